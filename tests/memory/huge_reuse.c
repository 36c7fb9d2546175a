/*
 * huge_reuse.c — freed huge blocks stay resident for reuse, and go back
 * with decay.
 *
 * For each size given (MiB, or KiB with a k suffix): a block is
 * allocated and every page written, freed, allocated again and every
 * page written: the second round must take under 5 % of the first
 * round's page faults (the pages were still resident).  Then it is freed
 * and the process idles with no allocator call: RSS must fall by at
 * least three quarters of the block within argv[1] ms (the decay times
 * plus the purger's wake-up).  Exit 0 when every size passes.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "rss.h"

static long minflt(void) {
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_minflt;
}

/* Page faults taken while allocating size bytes and writing each page;
 * the block is stored in *out.  -1 without memory. */
static long faults_of_one(size_t size, char *volatile *out) {
	long before = minflt();
	char *p = malloc(size);
	if (p == NULL)
		return -1;
	for (size_t i = 0; i < size; i += 4096)
		p[i] = (char)i;
	p[size - 1] = 1;
	*out = p;
	return minflt() - before;
}

static int one_size(size_t size, long wait_ms) {
	char *volatile p;
	long first = faults_of_one(size, &p);
	if (first < 0)
		return 2;
	free(p);
	long second = faults_of_one(size, &p);
	if (second < 0)
		return 2;
	long held = rss_kib();
	free(p);
	long now = rss_kib(), waited = 0;
	long want = held - (long)(size >> 10) * 3 / 4;
	for (; waited < wait_ms && now > want; waited += 100) {
		struct timespec ts = { 0, 100 * 1000000L };
		nanosleep(&ts, NULL);
		now = rss_kib();
	}
	bool reused = second * 20 < first;
	bool returned = now <= want;
	printf("%zu KiB: faults %ld then %ld (%s); RSS %ld KiB held, "
	       "%ld KiB after %ld ms idle (%s)\n", size >> 10, first, second,
	       reused ? "reused" : "NOT reused", held, now, waited,
	       returned ? "returned" : "NOT returned");
	return reused && returned ? 0 : 1;
}

int main(int argc, char **argv) {
	if (argc < 3) {
		fprintf(stderr, "usage: huge_reuse WAIT_MS SIZE[k]...\n");
		return 2;
	}
	long wait_ms = atol(argv[1]);
	int rc = 0;
	for (int i = 2; i < argc; i++) {
		char *end;
		size_t n = strtoul(argv[i], &end, 10);
		size_t size = *end == 'k' ? n << 10 : n << 20;
		if (size < 4096 || (*end != '\0' && strcmp(end, "k") != 0)) {
			fprintf(stderr, "huge_reuse: bad size '%s'\n", argv[i]);
			return 2;
		}
		int r = one_size(size, wait_ms);
		if (r > rc)
			rc = r;
	}
	return rc;
}
