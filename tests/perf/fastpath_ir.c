/*
 * fastpath_ir.c — the program the callgrind guard measures: n pairs of
 * strata_malloc + strata_free of small sizes, all tcache hits after a
 * warm-up.  Run twice with n and 2n pairs; the difference in instructions
 * divided by n is the cost of one pair, free of start-up and exit.
 */
#include <stdio.h>
#include <stdlib.h>

#include "strata.h"

int main(int argc, char **argv) {
	long pairs = argc > 1 ? atol(argv[1]) : 100000;
	static const size_t sizes[] = { 16, 32, 48, 64, 128, 256 };
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
