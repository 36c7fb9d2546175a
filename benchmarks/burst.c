/*
 * burst.c — memory return after a burst, and steady-state churn.
 *
 * mode 0 (burst): allocate `mib` MiB of blocks of `min` .. `max` bytes
 * (16 B .. 24 KiB by default), free 90 % of them at random, then the
 * rest, and sit idle (no allocator call) for `idle` seconds, printing
 * VmRSS at a few moments.
 * mode 1 (churn): `threads` threads replace random blocks in a working set
 * of `live` blocks for `steps` steps each; prints the rate.  With the
 * working set moving, freed pages keep becoming dirty, which is the load
 * under which the purger's cost is measured.
 */
#include <pthread.h>
#include <unistd.h>

#include "bench_common.h"

typedef struct churn_arg {
	long long steps, live;
	uint64_t seed, sum;
} churn_arg_t;

static void *churn_thread(void *p) {
	churn_arg_t *a = p;
	rng_t r;
	rng_seed(&r, a->seed, 7);
	unsigned char **set = xcheck(calloc((size_t)a->live, sizeof(*set)),
	                             (size_t)a->live);
	for (long long s = 0; s < a->steps; s++) {
		size_t i = rng_below(&r, (uint64_t)a->live);
		if (set[i] != NULL)
			a->sum = mix64(a->sum, set[i][0]);
		free(set[i]);
		size_t n = rng_logrange(&r, 16, 64 * 1024);
		set[i] = xcheck(malloc(n), n);
		memset(set[i], (int)(s & 0xff), n < 256 ? n : 256);
	}
	for (long long i = 0; i < a->live; i++)
		free(set[i]);
	free(set);
	return NULL;
}

static int run_churn(const bench_t *b) {
	long long threads = bench_get(b, "threads");
	churn_arg_t args[64];
	pthread_t tid[64];
	if (threads < 1 || threads > 64)
		return 2;
	double t0 = now_sec();
	for (long long t = 0; t < threads; t++) {
		args[t] = (churn_arg_t){
			.steps = bench_scaled(b, bench_get(b, "steps")),
			.live = bench_get(b, "live"),
			.seed = b->seed + (uint64_t)t,
		};
		pthread_create(&tid[t], NULL, churn_thread, &args[t]);
	}
	uint64_t sum = 0;
	for (long long t = 0; t < threads; t++) {
		pthread_join(tid[t], NULL);
		sum = mix64(sum, args[t].sum);
	}
	double secs = now_sec() - t0;
	printf("burst: checksum=0x%016" PRIx64 " mode=churn threads=%lld "
	       "seconds=%.3f\n", sum, threads, secs);
	return 0;
}

static int run_burst(const bench_t *b) {
	size_t total = (size_t)bench_get(b, "mib") << 20;
	long long idle = bench_get(b, "idle");
	size_t lo = (size_t)bench_get(b, "min"), hi = (size_t)bench_get(b, "max");
	if (lo < 1 || hi < lo) {
		fprintf(stderr, "burst: need 1 <= min <= max\n");
		return 2;
	}
	size_t cap = total / lo + 1, n = 0, bytes = 0;
	unsigned char **blk = xcheck(malloc(cap * sizeof(*blk)), cap);
	rng_t r;
	rng_seed(&r, b->seed, 3);
	uint64_t sum = 0;
	while (bytes < total && n < cap) {
		size_t sz = rng_logrange(&r, lo, hi);
		blk[n] = xcheck(malloc(sz), sz);
		memset(blk[n], (int)(n & 0xff), sz);
		bytes += sz;
		n++;
	}
	long peak = proc_status_kb("VmRSS");
	for (size_t i = 0; i < n; i++) /* 90 % at random */
		if (rng_below(&r, 10) != 0) {
			sum = mix64(sum, blk[i][0]);
			free(blk[i]);
			blk[i] = NULL;
		}
	long after90 = proc_status_kb("VmRSS");
	for (size_t i = 0; i < n; i++)
		free(blk[i]);
	free(blk);
	long after_all = proc_status_kb("VmRSS");
	printf("burst: checksum=0x%016" PRIx64 " mode=burst peak_kib=%ld "
	       "after_90pct_free_kib=%ld after_all_free_kib=%ld", sum, peak,
	       after90, after_all);
	static const long marks[] = { 1, 3, 5, 11, 21, 30 };
	long slept = 0;
	for (unsigned m = 0; m < sizeof(marks) / sizeof(marks[0]); m++) {
		if (marks[m] > idle)
			break;
		sleep((unsigned)(marks[m] - slept));
		slept = marks[m];
		printf(" idle%lds_kib=%ld", marks[m], proc_status_kb("VmRSS"));
	}
	printf("\n");
	return 0;
}

int main(int argc, char **argv) {
	bench_t b = { .prog = "burst",
		      .about = "memory return after a burst; steady churn" };
	bench_define(&b, "mode", 0, "0: burst then idle, 1: churn");
	bench_define(&b, "mib", 512, "burst: MiB allocated");
	bench_define(&b, "idle", 21, "burst: idle seconds watched");
	bench_define(&b, "min", 16, "burst: smallest block");
	bench_define(&b, "max", 24 * 1024, "burst: largest block");
	bench_define(&b, "threads", 2, "churn: threads");
	bench_define(&b, "steps", 4000000, "churn: replacements per thread");
	bench_define(&b, "live", 20000, "churn: working-set blocks per thread");
	bench_parse(&b, argc, argv);
	return bench_get(&b, "mode") == 0 ? run_burst(&b) : run_churn(&b);
}
