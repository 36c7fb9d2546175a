/*
 * huge_refit.c — a freed huge block, still resident, serves the next huge
 * block of another size, and a burst of them survives its own frees.
 *
 * Run with libstrata.so preloaded on a backend that can remap (posix,
 * numa), decay long enough not to purge during the run.  Each check
 * counts the page faults of writing every page of a block:
 *
 *   grown     a 24 MiB block, allocated while only an 8 MiB block (freed,
 *             every page written) is cached, faults at most 3/4 of what a
 *             fresh 24 MiB block faults (2/3 when the 8 MiB are kept);
 *   zeroed    calloc of 24 MiB under the same conditions reads as zero
 *             (a refit is never used for zeroed memory);
 *   burst     8 blocks of 16 MiB, all freed, then 8 again: the second
 *             round takes under 5 % of the first round's faults (the
 *             cache's byte budget follows the most live bytes lately, not
 *             the live bytes left at each free).
 *
 * Where a fresh block faults too few times to compare (huge pages back
 * the mapping), the fault checks are skipped and say so.  Prints
 * "N passed, N failed, N skipped"; exit 1 on any failure.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#define MIB ((size_t)1 << 20)
#define PAGE 4096

static int passed, failed, skipped;

static long minflt(void) {
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_minflt;
}

static void check(bool ok, const char *what) {
	printf("%s: %s\n", ok ? "pass" : "FAIL", what);
	if (ok)
		passed++;
	else
		failed++;
}

static void skip(const char *what, long fresh) {
	printf("skip: %s (a fresh block took only %ld faults)\n", what, fresh);
	skipped++;
}

/* Faults taken while allocating size bytes and writing each page. */
static long faults_of(size_t size, char *volatile *out) {
	long before = minflt();
	char *p = malloc(size);
	if (p == NULL) {
		printf("FAIL: malloc(%zu) returned NULL\n", size);
		exit(1);
	}
	for (size_t i = 0; i < size; i += PAGE)
		p[i] = (char)(i >> 12 | 1);
	p[size - 1] = 1;
	*out = p;
	return minflt() - before;
}

static void grown(void) {
	char *volatile fresh, *volatile small, *volatile big;
	long f_fresh = faults_of(24 * MIB, &fresh); /* nothing cached yet */
	faults_of(8 * MIB, &small);
	free(small);
	long f_big = faults_of(24 * MIB, &big);
	printf("24 MiB: %ld faults fresh, %ld grown from a cached 8 MiB\n",
	       f_fresh, f_big);
	if (f_fresh < 1024)
		skip("a grown block faults only its new pages", f_fresh);
	else
		check(f_big * 4 <= f_fresh * 3,
		      "a grown block faults only its new pages");
	free(big);
	free(fresh);
}

static void zeroed(void) {
	char *volatile keep, *volatile small;
	faults_of(40 * MIB, &keep); /* takes what grown() left cached */
	faults_of(8 * MIB, &small);
	memset(small, 0xff, 8 * MIB);
	free(small);
	unsigned char *z = calloc(1, 24 * MIB);
	if (z == NULL) {
		check(false, "calloc(24 MiB)");
		return;
	}
	size_t bad = 0;
	for (size_t i = 0; i < 24 * MIB; i++)
		bad += z[i] != 0;
	printf("calloc 24 MiB after a dirty 8 MiB was cached: %zu nonzero "
	       "bytes\n", bad);
	check(bad == 0, "calloc reads as zero");
	free(z);
	free(keep);
}

static void burst(void) {
	enum { N = 8 };
	char *volatile blk[N];
	long first = 0, second = 0;
	for (int i = 0; i < N; i++)
		first += faults_of(16 * MIB, &blk[i]);
	for (int i = 0; i < N; i++)
		free(blk[i]);
	for (int i = 0; i < N; i++)
		second += faults_of(16 * MIB, &blk[i]);
	for (int i = 0; i < N; i++)
		free(blk[i]);
	printf("8 x 16 MiB: %ld faults, then %ld after all were freed\n",
	       first, second);
	if (first < 1024)
		skip("a freed burst is reused resident", first);
	else
		check(second * 20 < first, "a freed burst is reused resident");
}

int main(void) {
	grown();
	zeroed();
	burst();
	printf("%d passed, %d failed, %d skipped\n", passed, failed, skipped);
	return failed != 0;
}
