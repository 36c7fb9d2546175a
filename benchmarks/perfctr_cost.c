/*
 * perfctr_cost.c — what reading the per-thread event counters costs a
 * statistics print: N threads (counting events or not) wait while the
 * main thread prints the Prometheus form M times.  Prints the read(2)
 * calls per print (from /proc/self/io, exact) and the process CPU time
 * per print (noisy on a loaded machine).  Linked with libstrata by
 * benchmarks/perfctr_cost.sh.
 *   perfctr_cost on|off THREADS PRINTS
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "strata.h"

static pthread_barrier_t barrier;
static bool is_counting;

static void *worker(void *arg) {
	(void)arg;
	if (is_counting)
		strata_ctl("thread.perf_events.active", NULL, NULL, &is_counting,
		           sizeof(is_counting));
	void *volatile p = strata_malloc(100);
	strata_free(p);
	pthread_barrier_wait(&barrier); /* listed and counting */
	pthread_barrier_wait(&barrier); /* the prints are done */
	return NULL;
}

static void sink(void *opaque, const char *text) {
	*(size_t *)opaque += strlen(text);
}

/* read(2) calls the process made so far (syscr of /proc/self/io). */
static unsigned long long read_calls(void) {
	char buf[512];
	FILE *f = fopen("/proc/self/io", "r");
	if (f == NULL)
		return 0;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	const char *p = strstr(buf, "syscr:");
	return p != NULL ? strtoull(p + 6, NULL, 10) : 0;
}

static double cpu_us(void) {
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

int main(int argc, char **argv) {
	if (argc != 4 || (strcmp(argv[1], "on") != 0 &&
	                  strcmp(argv[1], "off") != 0)) {
		fprintf(stderr, "usage: perfctr_cost on|off THREADS PRINTS\n");
		return 2;
	}
	is_counting = strcmp(argv[1], "on") == 0;
	int nthreads = atoi(argv[2]), nprints = atoi(argv[3]);
	if (nthreads < 1 || nthreads > 256 || nprints < 1) {
		fprintf(stderr, "perfctr_cost: THREADS 1..256, PRINTS >= 1\n");
		return 2;
	}
	pthread_t *t = calloc((size_t)nthreads, sizeof(*t));
	pthread_barrier_init(&barrier, NULL, (unsigned)nthreads + 1);
	for (int i = 0; i < nthreads; i++)
		pthread_create(&t[i], NULL, worker, NULL);
	pthread_barrier_wait(&barrier);
	unsigned fds = 0;
	size_t len = sizeof(fds), bytes = 0;
	strata_ctl("perf_events.fds", &fds, &len, NULL, 0);
	unsigned long long r0 = read_calls();
	double c0 = cpu_us();
	for (int i = 0; i < nprints; i++)
		strata_stats_print(sink, &bytes, "P");
	double c1 = cpu_us();
	unsigned long long r1 = read_calls();
	pthread_barrier_wait(&barrier);
	for (int i = 0; i < nthreads; i++)
		pthread_join(t[i], NULL);
	printf("counters %-3s: %d threads, %u counter fds, %.1f read(2) per "
	       "print, %.0f us CPU per print, %zu bytes per print\n",
	       argv[1], nthreads, fds, (double)(r1 - r0 - 1) / nprints,
	       (c1 - c0) / nprints, bytes / (size_t)nprints);
	free(t);
	return 0;
}
