/*
 * vg_programs.c — small programs for the memcheck test, one per argv[1]:
 * correct ones (malloc family, strata_mallocx/strata_sdallocx, calloc,
 * realloc) that must give zero errors, and ones with one bug each (leak,
 * overflow into a block's slack, overflow through malloc into the next
 * block, use after free, double free) that memcheck must report.  Calls go
 * through volatile function pointers so the compiler keeps them.
 *   vg_programs CASE
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strata.h"

static void *(*volatile do_malloc)(size_t) = malloc;
static void (*volatile do_free)(void *) = free;
static void *(*volatile do_mallocx)(size_t, int) = strata_mallocx;
static void (*volatile do_sdallocx)(void *, size_t, int) = strata_sdallocx;
static void (*volatile do_dallocx)(void *, int) = strata_dallocx;
static void *volatile keep;

static int correct(void) {
	unsigned sum = 0;
	for (int i = 1; i < 3000; i += 7) {
		char *p = do_malloc((size_t)i);
		memset(p, i, (size_t)i);
		char *q = realloc(p, (size_t)i * 3);
		q[(size_t)i * 3 - 1] = 1;
		sum += (unsigned char)q[0];
		do_free(q);
		int *z = calloc((size_t)i, sizeof(int));
		sum += (unsigned)z[i - 1];
		do_free(z);
	}
	void *big = do_malloc(1 << 20);
	memset(big, 1, 1 << 20);
	do_free(big);
	return sum == 0 ? 3 : 0;
}

static int correct_x(void) {
	unsigned sum = 0;
	for (size_t n = 8; n < 70000; n = n * 3 / 2) {
		char *p = do_mallocx(n, STRATA_MALLOCX_ALIGN(64));
		memset(p, 7, n);
		sum += (unsigned char)p[n - 1];
		do_sdallocx(p, n, STRATA_MALLOCX_ALIGN(64));
		char *z = do_mallocx(n, STRATA_MALLOCX_ZERO);
		sum += (unsigned char)z[n / 2];
		do_dallocx(z, 0);
	}
	return sum == 0 ? 3 : 0;
}

/* Many blocks: the thread cache's stack keeps stale copies of the last
 * batch it handed out, which memcheck counts as still reachable. */
static int leak(void) {
	for (int i = 0; i < 1000; i++) {
		char *p = do_malloc(40);
		memset(p, 1, 40);
		keep = p;
	}
	keep = NULL;
	return 0;
}

static int overflow_slack(void) {
	char *p = do_mallocx(20, 0); /* a 24- or 32-byte class */
	p[20] = 1;                   /* one past what was asked */
	do_sdallocx(p, 20, 0);
	return 0;
}

static int overflow_malloc(void) {
	char *p = do_malloc(16); /* exactly a class: no slack */
	char *q = do_malloc(16);
	memset(q, 0, 16);
	do_free(q);              /* the neighbour is free */
	p[16] = 1;               /* into whatever follows p */
	p[(char *)q - p] = 1;    /* and into the freed neighbour itself */
	do_free(p);
	return 0;
}

static int use_after_free(void) {
	char *p = do_mallocx(100, 0);
	memset(p, 1, 100);
	do_dallocx(p, 0);
	return p[10] == 1 ? 1 : 0;
}

static int double_free(void) {
	char *p = do_malloc(64);
	memset(p, 1, 64);
	do_free(p);
	do_free(p);
	return 0;
}

int main(int argc, char **argv) {
	static const struct { const char *name; int (*fn)(void); } cases[] = {
		{ "correct", correct }, { "correct_x", correct_x },
		{ "leak", leak }, { "overflow_slack", overflow_slack },
		{ "overflow_malloc", overflow_malloc },
		{ "use_after_free", use_after_free },
		{ "double_free", double_free },
	};
	for (size_t i = 0; argc == 2 && i < sizeof(cases) / sizeof(cases[0]); i++)
		if (strcmp(argv[1], cases[i].name) == 0)
			return cases[i].fn();
	fprintf(stderr, "usage: vg_programs CASE\n");
	return 2;
}
