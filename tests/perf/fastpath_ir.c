/*
 * fastpath_ir.c — the program the callgrind guard measures: n pairs of
 * strata_malloc + strata_free of small sizes, all tcache hits after a
 * warm-up.  Run twice with n and 2n pairs; the difference in instructions
 * divided by n is the cost of one pair, free of start-up and exit.
 * With "cxx" as second argument the pairs are operator new + sized
 * operator delete (what a C++14 compiler emits for new T / delete p), by
 * their mangled names: the library exports them in drop-in builds.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strata.h"

void *cxx_new(size_t size) __asm__("_Znwm") __attribute__((weak));
void cxx_delete_sized(void *p, size_t size) __asm__("_ZdlPvm")
    __attribute__((weak));

static int run_cxx(long pairs, const size_t *sizes) {
	if (cxx_new == NULL || cxx_delete_sized == NULL) {
		fprintf(stderr, "fastpath_ir: no C++ operators in this build\n");
		return 77;
	}
	void *volatile sink;
	for (int i = 0; i < 64; i++)
		for (unsigned s = 0; s < 6; s++)
			cxx_delete_sized(cxx_new(sizes[s]), sizes[s]);
	for (long i = 0; i < pairs; i++) {
		void *p = cxx_new(sizes[i % 6]);
		sink = p;
		cxx_delete_sized(p, sizes[i % 6]);
	}
	(void)sink;
	return 0;
}

int main(int argc, char **argv) {
	long pairs = argc > 1 ? atol(argv[1]) : 100000;
	static const size_t sizes[] = { 16, 32, 48, 64, 128, 256 };
	if (argc > 2 && strcmp(argv[2], "cxx") == 0)
		return run_cxx(pairs, sizes);
	void *volatile sink;
	for (int i = 0; i < 64; i++) /* warm every class's cache */
		for (unsigned s = 0; s < 6; s++)
			strata_free(strata_malloc(sizes[s]));
	for (long i = 0; i < pairs; i++) {
		void *p = strata_malloc(sizes[i % 6]);
		sink = p;
		strata_free(p);
	}
	(void)sink;
	return 0;
}
