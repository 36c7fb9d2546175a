/*
 * export_workload.c — a program for the stats_export test: NTHREADS
 * threads allocate different amounts (thread i keeps (i + 1) * 256 KiB)
 * and stay alive; once all are done the main thread waits for the export
 * to catch up, reads strata_ctl and prints its figures and the process's
 * CPU time (the threads sleep, so that is mostly the export), then says
 * "ready"
 * and lives until the file named by argv[2] appears, so the test scrapes a
 * running process.
 *   export_workload NTHREADS STOPFILE SETTLE_MS
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "strata.h"

static pthread_barrier_t done;
static const char *stop_file;

static void sleep_ms(long ms) {
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

static void *worker(void *arg) {
	size_t i = (size_t)(uintptr_t)arg;
	size_t blocks = (i + 1) * 64;
	char **keep = strata_malloc(blocks * sizeof(*keep));
	for (size_t j = 0; j < blocks; j++) {
		keep[j] = strata_malloc(4096);
		memset(keep[j], (int)j, 4096); /* used: not elided */
	}
	pthread_barrier_wait(&done);
	while (access(stop_file, F_OK) != 0)
		sleep_ms(20);
	for (size_t j = 0; j < blocks; j++)
		strata_free(keep[j]);
	strata_free(keep);
	return NULL;
}

static size_t ctl_size(const char *name) {
	size_t v = 0, len = sizeof(v);
	if (strata_ctl(name, &v, &len, NULL, 0) != 0) {
		fprintf(stderr, "strata_ctl(%s) failed\n", name);
		exit(1);
	}
	return v;
}

int main(int argc, char **argv) {
	if (argc != 4)
		return 2;
	unsigned n = (unsigned)atoi(argv[1]);
	stop_file = argv[2];
	long settle_ms = atol(argv[3]);
	pthread_t t[64];
	if (n == 0 || n > 64)
		return 2;
	static char out[4096]; /* stdio must not allocate between reads */
	setvbuf(stdout, out, _IOFBF, sizeof(out));
	pthread_barrier_init(&done, NULL, n + 1);
	for (unsigned i = 0; i < n; i++)
		pthread_create(&t[i], NULL, worker, (void *)(uintptr_t)i);
	pthread_barrier_wait(&done);
	sleep_ms(settle_ms); /* the export runs at least once more */
	uint64_t epoch = 1;
	strata_ctl("epoch", NULL, NULL, &epoch, sizeof(epoch));
	printf("allocated %zu\n", ctl_size("stats.allocated"));
	printf("active %zu\n", ctl_size("stats.active"));
	printf("mapped %zu\n", ctl_size("stats.mapped"));
	sleep_ms(settle_ms); /* and once after the read */
	struct timespec cpu;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu);
	printf("cpu_ns %lld\n", (long long)cpu.tv_sec * 1000000000LL + cpu.tv_nsec);
	printf("ready\n");
	fflush(stdout);
	for (unsigned i = 0; i < n; i++)
		pthread_join(t[i], NULL);
	return 0;
}
