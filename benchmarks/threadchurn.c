/*
 * threadchurn — threads recreated every round, blocks swapped through a
 * shared table.
 *
 * Each round starts --threads threads and joins them.  Every thread
 * replaces random slots of one table shared by all (an atomic exchange:
 * the block it takes out was usually allocated by a thread of an earlier
 * round, often one that has exited), with blocks of --min .. --max bytes
 * (log-uniform), every page written.  What a dead thread's cache, slabs or
 * arena keep shows as peak RSS, reported from VmHWM; the last RSS is
 * printed after the table is emptied.  The checksum covers the sizes each
 * thread drew, which depend only on the options.
 */
#include <pthread.h>
#include <stdatomic.h>

#include "bench_common.h"

typedef struct churn_thread {
	_Atomic(unsigned char *) *table;
	size_t nslots, lo, hi;
	long long ops;
	uint64_t seed, sum;
} churn_thread_t;

/* Write one byte in every 4 KiB so the block is resident. */
static void touch(unsigned char *p, size_t n, unsigned char v) {
	for (size_t i = 0; i < n; i += 4096)
		p[i] = v;
	p[n - 1] = v;
}

static void *churn_thread(void *arg) {
	churn_thread_t *t = arg;
	rng_t r;
	rng_seed(&r, t->seed, 5);
	for (long long op = 0; op < t->ops; op++) {
		size_t i = rng_below(&r, t->nslots);
		size_t n = rng_logrange(&r, t->lo, t->hi);
		unsigned char *p = xcheck(malloc(n), n);
		touch(p, n, (unsigned char)op);
		t->sum = mix64(t->sum, n);
		unsigned char *old = atomic_exchange(&t->table[i], p);
		if (old != NULL)
			escape(old);
		free(old);
	}
	return NULL;
}

int main(int argc, char **argv) {
	bench_t b = { .prog = "threadchurn",
		      .about = "threads recreated every round, shared table" };
	bench_define(&b, "rounds", 200, "thread generations (scaled)");
	bench_define(&b, "threads", 4, "threads per round");
	bench_define(&b, "ops", 2000, "replacements per thread and round");
	bench_define(&b, "slots", 1000, "shared table slots");
	bench_define(&b, "min", 8, "smallest block size");
	bench_define(&b, "max", 1 << 20, "largest block size");
	bench_parse(&b, argc, argv);

	long long rounds = bench_scaled(&b, bench_get(&b, "rounds"));
	long long nthreads = bench_get(&b, "threads");
	size_t nslots = (size_t)bench_get(&b, "slots");
	size_t lo = (size_t)bench_get(&b, "min"), hi = (size_t)bench_get(&b, "max");
	if (nthreads < 1 || nthreads > 64 || nslots < 1 || lo < 1 || hi < lo) {
		fprintf(stderr, "threadchurn: need 1..64 threads, slots >= 1 "
		                "and 1 <= min <= max\n");
		return 2;
	}
	_Atomic(unsigned char *) *table = xcheck(calloc(nslots, sizeof(*table)),
	                                         nslots);
	churn_thread_t t[64];
	pthread_t tid[64];
	uint64_t sum = 0;
	double t0 = now_sec();
	for (long long round = 0; round < rounds; round++) {
		for (long long k = 0; k < nthreads; k++) {
			t[k] = (churn_thread_t){
				.table = table, .nslots = nslots, .lo = lo, .hi = hi,
				.ops = bench_get(&b, "ops"),
				.seed = b.seed + (uint64_t)(round * nthreads + k),
			};
			if (pthread_create(&tid[k], NULL, churn_thread, &t[k]) != 0) {
				fprintf(stderr, "threadchurn: pthread_create failed\n");
				return 1;
			}
		}
		for (long long k = 0; k < nthreads; k++) {
			pthread_join(tid[k], NULL);
			sum = mix64(sum, t[k].sum);
		}
	}
	double secs = now_sec() - t0;
	for (size_t i = 0; i < nslots; i++)
		free(atomic_load(&table[i]));
	free(table);
	printf("threadchurn: checksum=0x%016" PRIx64 " rounds=%lld threads=%lld "
	       "seconds=%.3f peak_rss_kib=%ld final_rss_kib=%ld\n", sum, rounds,
	       nthreads, secs, proc_status_kb("VmHWM"), proc_status_kb("VmRSS"));
	return 0;
}
