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
 *   aligned   the same with posix_memalign to 16 MiB: the grown block
 *             has the alignment and still faults at most 3/4;
 *   zeroed    calloc of 24 MiB under the same conditions reads as zero
 *             (a refit is never used for zeroed memory);
 *   burst     8 blocks of 16 MiB, all freed, then 8 again: the second
 *             round takes under 5 % of the first round's faults (the
 *             cache's byte budget follows the most live bytes lately, not
 *             the live bytes left at each free).
 *
 * Where a fresh block faults too few times to compare (huge pages back
 * the mapping), the fault checks are skipped and say so.  Each check
 * runs in a child of its own, which starts with nothing cached.  Prints
 * "N passed, N failed, N skipped"; exit 1 on any failure.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#define MIB ((size_t)1 << 20)
#define PAGE 4096

/* A check's verdict, its child's exit status. */
enum { PASSED = 0, FAILED = 1, SKIPPED = 3 };
static int verdict = PASSED;

static long minflt(void) {
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_minflt;
}

static void check(bool ok, const char *what) {
	printf("%s: %s\n", ok ? "pass" : "FAIL", what);
	if (!ok)
		verdict = FAILED;
}

static void skip(const char *what, long fresh) {
	printf("skip: %s (a fresh block took only %ld faults)\n", what, fresh);
	if (verdict == PASSED)
		verdict = SKIPPED;
}

/* Faults taken while allocating size bytes and writing each page. */
static long faults_aligned(size_t size, size_t align, char *volatile *out) {
	long before = minflt();
	void *v = NULL;
	if (align == 0)
		v = malloc(size);
	else if (posix_memalign(&v, align, size) != 0)
		v = NULL;
	if (v == NULL) {
		printf("FAIL: allocating %zu bytes returned NULL\n", size);
		exit(FAILED);
	}
	char *p = v;
	for (size_t i = 0; i < size; i += PAGE)
		p[i] = (char)(i >> 12 | 1);
	p[size - 1] = 1;
	*out = p;
	return minflt() - before;
}

static long faults_of(size_t size, char *volatile *out) {
	return faults_aligned(size, 0, out);
}

/* A 24 MiB block (aligned to align, when not 0) allocated while only a
 * freed 8 MiB block is cached, against a fresh one. */
static void grown_with(size_t align, const char *what) {
	char *volatile fresh, *volatile small, *volatile big;
	long f_fresh = faults_aligned(24 * MIB, align, &fresh);
	faults_of(8 * MIB, &small);
	free(small);
	long f_big = faults_aligned(24 * MIB, align, &big);
	printf("24 MiB, alignment %zu: %ld faults fresh, %ld grown from a "
	       "cached 8 MiB at %p\n", align, f_fresh, f_big, (void *)big);
	if (align != 0)
		check(((size_t)big & (align - 1)) == 0,
		      "a grown block keeps the alignment asked");
	if (f_fresh < 1024)
		skip(what, f_fresh);
	else
		check(f_big * 4 <= f_fresh * 3, what);
	free(big);
	free(fresh);
}

static void grown(void) {
	grown_with(0, "a grown block faults only its new pages");
}

static void aligned(void) {
	grown_with(16 * MIB, "an aligned grown block faults only its new pages");
}

static void zeroed(void) {
	char *volatile small;
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
	void (*const checks[])(void) = { grown, aligned, zeroed, burst };
	int passed = 0, failed = 0, skipped = 0;
	for (size_t i = 0; i < sizeof checks / sizeof checks[0]; i++) {
		fflush(stdout);
		pid_t pid = fork();
		if (pid == 0) {
			checks[i]();
			fflush(stdout);
			_exit(verdict);
		}
		int status = 0;
		if (pid < 0 || waitpid(pid, &status, 0) != pid ||
		    !WIFEXITED(status)) {
			printf("FAIL: check %zu did not finish\n", i);
			failed++;
			continue;
		}
		int v = WEXITSTATUS(status);
		passed += v == PASSED;
		failed += v != PASSED && v != SKIPPED;
		skipped += v == SKIPPED;
	}
	printf("%d passed, %d failed, %d skipped\n", passed, failed, skipped);
	return failed != 0;
}
