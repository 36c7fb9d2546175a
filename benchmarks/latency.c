/*
 * latency.c — the latency distribution of malloc and of free, separately,
 * in a server-like loop with bursts.
 *
 * One worker thread serves `requests` requests.  A request allocates 4 to
 * 16 objects of mixed sizes (log-uniform 16 B .. 4 KiB, one in 20 up to
 * 64 KiB, one in 200 up to 1 MiB) and writes into each; a quarter of them
 * replace a random entry of a table of `keep` long-lived blocks (the
 * replaced one is freed), the rest are freed at the end of the request.
 * Every `burst_every` requests comes a burst: `burst_mib` MiB of blocks of
 * 64 KiB .. 1 MiB, written, then all freed, then `idle_ms` ms without any
 * allocator call — where a background purger works and inline decay
 * leaves its purging to the next calls, which is the cost measured here.
 *
 * Every malloc and every free is timed on its own with the cheapest clock
 * the machine has: rdtsc on x86-64, cntvct_el0 on AArch64 (calibrated
 * against CLOCK_MONOTONIC over 50 ms), else clock_gettime.  The clock's own
 * cost (median of back-to-back reads) is printed and subtracted from each
 * sample.  Samples go into a log-linear histogram (32 sub-buckets per
 * power of two: under 3 % error) held in memory mapped before the run, so
 * the recording neither allocates nor disturbs the allocator under test;
 * the maximum is kept exactly.
 *
 * Summary line: the checksum, clock, its overhead, for malloc and free
 * p50, p99, p99.9, p99.99 and max in ns, and the involuntary context
 * switches of the run (on a loaded machine the maximum is a preemption
 * when that count is not zero).  With BENCH_LATENCY_CCDF=FILE set, the
 * distributions are also written there, one line per histogram bucket:
 * "op ns fraction_slower" (for a plot of the complementary CDF).
 */
#include "bench_common.h" /* first: it defines _GNU_SOURCE */

#include <sys/mman.h>
#include <sys/resource.h>

/* ---- the clock ---- */

static inline uint64_t ticks_gettime(void) {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

#if defined(__x86_64__)
#define CLOCK_NAME "rdtsc"
/* lfence keeps the read after the instructions before it (the call). */
static inline uint64_t ticks_cycle(void) {
	uint32_t lo, hi;
	__asm__ volatile("lfence\n\trdtsc" : "=a"(lo), "=d"(hi) : : "memory");
	return ((uint64_t)hi << 32) | lo;
}
#elif defined(__aarch64__)
#define CLOCK_NAME "cntvct_el0"
static inline uint64_t ticks_cycle(void) {
	uint64_t v;
	__asm__ volatile("isb\n\tmrs %0, cntvct_el0" : "=r"(v) : : "memory");
	return v;
}
#else
#define CLOCK_NAME "clock_gettime"
static inline uint64_t ticks_cycle(void) { return ticks_gettime(); }
#endif

static int use_gettime; /* --clock 1, or no cycle counter */
static double ns_per_tick = 1.0;

static inline uint64_t ticks(void) {
	return use_gettime ? ticks_gettime() : ticks_cycle();
}

static void clock_calibrate(void) {
	if (use_gettime || strcmp(CLOCK_NAME, "clock_gettime") == 0) {
		use_gettime = 1;
		return;
	}
	uint64_t n0 = ticks_gettime(), t0 = ticks_cycle();
	while (ticks_gettime() - n0 < 50000000u)
		;
	uint64_t n1 = ticks_gettime(), t1 = ticks_cycle();
	ns_per_tick = (double)(n1 - n0) / (double)(t1 - t0);
}

static int cmp_u64(const void *a, const void *b) {
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

/* Median cost of one read, in ticks: what every sample carries. */
static uint64_t clock_overhead(void) {
	static uint64_t d[10001];
	for (size_t i = 0; i < sizeof(d) / sizeof(*d); i++) {
		uint64_t a = ticks();
		uint64_t b = ticks();
		d[i] = b - a;
	}
	qsort(d, sizeof(d) / sizeof(*d), sizeof(*d), cmp_u64);
	return d[sizeof(d) / sizeof(*d) / 2];
}

/* ---- the histogram (in ticks) ---- */

#define SUB_BITS 5
#define SUB (1u << SUB_BITS)
#define NBUCKETS (64u * SUB)

typedef struct hist {
	uint64_t *count; /* NBUCKETS, mapped */
	uint64_t n, max;
} hist_t;

static unsigned bucket_of(uint64_t v) {
	if (v < SUB)
		return (unsigned)v;
	unsigned lg = 63u - (unsigned)__builtin_clzll(v);
	unsigned sub = (unsigned)(v >> (lg - SUB_BITS)) & (SUB - 1);
	return (lg - SUB_BITS + 1) * SUB + sub;
}

/* The largest value in bucket b. */
static uint64_t bucket_top(unsigned b) {
	if (b < SUB)
		return b;
	unsigned lg = b / SUB + SUB_BITS - 1, sub = b % SUB;
	uint64_t lo = ((uint64_t)1 << lg) + ((uint64_t)sub << (lg - SUB_BITS));
	return lo + ((uint64_t)1 << (lg - SUB_BITS)) - 1;
}

static void hist_init(hist_t *h) {
	void *m = mmap(NULL, NBUCKETS * sizeof(uint64_t),
	               PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
	               0);
	if (m == MAP_FAILED) {
		perror("latency: mmap");
		exit(2);
	}
	memset(m, 0, NBUCKETS * sizeof(uint64_t)); /* fault it in now */
	h->count = m;
	h->n = h->max = 0;
}

static uint64_t overhead_ticks;

static inline void hist_add(hist_t *h, uint64_t t0, uint64_t t1) {
	uint64_t d = t1 - t0;
	d = d > overhead_ticks ? d - overhead_ticks : 0;
	h->count[bucket_of(d)]++;
	h->n++;
	if (d > h->max)
		h->max = d;
}

/* The q-quantile in ns (upper edge of its bucket, capped by the max). */
static double hist_quantile_ns(const hist_t *h, double q) {
	uint64_t want = (uint64_t)((double)h->n * q), seen = 0;
	for (unsigned b = 0; b < NBUCKETS; b++) {
		seen += h->count[b];
		if (seen > want) {
			uint64_t top = bucket_top(b);
			return (double)(top < h->max ? top : h->max) * ns_per_tick;
		}
	}
	return (double)h->max * ns_per_tick;
}

static void hist_ccdf(const hist_t *h, const char *op, FILE *out) {
	uint64_t seen = 0;
	for (unsigned b = 0; b < NBUCKETS; b++) {
		if (h->count[b] == 0)
			continue;
		seen += h->count[b];
		uint64_t top = bucket_top(b);
		fprintf(out, "%s %.1f %.9g\n", op,
		        (double)(top < h->max ? top : h->max) * ns_per_tick,
		        (double)(h->n - seen) / (double)h->n);
	}
}

/* ---- the workload ---- */

static hist_t h_malloc, h_free;

static void *timed_malloc(size_t n) {
	uint64_t t0 = ticks();
	void *p = malloc(n);
	uint64_t t1 = ticks();
	hist_add(&h_malloc, t0, t1);
	return xcheck(p, n);
}

static void timed_free(void *p) {
	uint64_t t0 = ticks();
	free(p);
	uint64_t t1 = ticks();
	hist_add(&h_free, t0, t1);
}

static size_t request_size(rng_t *r) {
	uint64_t k = rng_below(r, 200);
	if (k == 0)
		return rng_logrange(r, 64 * 1024, 1024 * 1024);
	if (k < 10)
		return rng_logrange(r, 4 * 1024, 64 * 1024);
	return rng_logrange(r, 16, 4 * 1024);
}

/* Writes a few bytes at the start and end of p (not timed). */
static uint64_t touch(unsigned char *p, size_t n, uint64_t v) {
	p[0] = (unsigned char)v;
	p[n - 1] = (unsigned char)(v >> 8);
	escape(p);
	return mix64(v, n);
}

typedef struct state {
	rng_t r;
	unsigned char **keep;
	size_t *keep_size;
	size_t nkeep;
	uint64_t sum;
} state_t;

static void serve_request(state_t *s) {
	unsigned char *objs[16];
	size_t sizes[16];
	unsigned n = 4 + (unsigned)rng_below(&s->r, 13);
	for (unsigned i = 0; i < n; i++) {
		sizes[i] = request_size(&s->r);
		objs[i] = timed_malloc(sizes[i]);
		s->sum = touch(objs[i], sizes[i], s->sum);
	}
	for (unsigned i = 0; i < n; i++) {
		if (rng_below(&s->r, 4) == 0) {
			size_t k = rng_below(&s->r, s->nkeep);
			if (s->keep[k] != NULL) {
				s->sum = mix64(s->sum, s->keep[k][0]);
				timed_free(s->keep[k]);
			}
			s->keep[k] = objs[i];
			s->keep_size[k] = sizes[i];
		} else {
			s->sum = mix64(s->sum, objs[i][sizes[i] - 1]);
			timed_free(objs[i]);
		}
	}
}

static void burst(state_t *s, long long mib, long long idle_ms) {
	enum { MAX_BLOCKS = 65536 };
	static unsigned char *blocks[MAX_BLOCKS];
	size_t total = 0, goal = (size_t)mib << 20, nb = 0;
	while (total < goal && nb < MAX_BLOCKS) {
		size_t n = rng_logrange(&s->r, 64 * 1024, 1024 * 1024);
		blocks[nb] = timed_malloc(n);
		memset(blocks[nb], (int)(nb & 0xff), n); /* every page */
		s->sum = mix64(s->sum, n);
		total += n;
		nb++;
	}
	for (size_t i = 0; i < nb; i++)
		timed_free(blocks[i]);
	struct timespec idle = { .tv_sec = idle_ms / 1000,
		                 .tv_nsec = (idle_ms % 1000) * 1000000 };
	while (nanosleep(&idle, &idle) != 0 && errno == EINTR)
		;
}

int main(int argc, char **argv) {
	bench_t b = { .prog = "latency",
		      .about = "malloc and free latency distributions, server "
		               "loop with bursts" };
	bench_define(&b, "requests", 400000, "requests served");
	bench_define(&b, "keep", 20000, "long-lived blocks kept across "
	                                "requests");
	bench_define(&b, "burst_every", 20000, "requests between bursts");
	bench_define(&b, "burst_mib", 64, "MiB allocated and freed per burst");
	bench_define(&b, "idle_ms", 200, "idle time after each burst (ms)");
	bench_define(&b, "clock", 0, "0 cycle counter when there is one, 1 "
	                             "clock_gettime");
	bench_parse(&b, argc, argv);
	long long requests = bench_scaled(&b, bench_get(&b, "requests"));
	long long nkeep = bench_get(&b, "keep");
	long long every = bench_get(&b, "burst_every");
	long long mib = bench_get(&b, "burst_mib");
	long long idle_ms = bench_get(&b, "idle_ms");
	if (nkeep < 1 || every < 1 || mib < 0 || idle_ms < 0) {
		fprintf(stderr, "latency: keep and burst_every must be >= 1, "
		                "burst_mib and idle_ms >= 0\n");
		return 2;
	}
	use_gettime = bench_get(&b, "clock") == 1;
	clock_calibrate();
	overhead_ticks = clock_overhead();
	hist_init(&h_malloc);
	hist_init(&h_free);

	state_t s = { .nkeep = (size_t)nkeep, .sum = 0 };
	rng_seed(&s.r, b.seed, 11);
	s.keep = xcheck(calloc(s.nkeep, sizeof(*s.keep)), s.nkeep);
	s.keep_size = xcheck(calloc(s.nkeep, sizeof(*s.keep_size)), s.nkeep);
	double t0 = now_sec();
	for (long long q = 1; q <= requests; q++) {
		serve_request(&s);
		if (q % every == 0)
			burst(&s, mib, idle_ms);
	}
	double secs = now_sec() - t0;
	for (size_t k = 0; k < s.nkeep; k++)
		free(s.keep[k]);
	free(s.keep);
	free(s.keep_size);

	printf("latency: checksum=0x%016" PRIx64 " clock=%s overhead_ns=%.1f "
	       "secs=%.2f mallocs=%" PRIu64 " frees=%" PRIu64,
	       s.sum, use_gettime ? "clock_gettime" : CLOCK_NAME,
	       (double)overhead_ticks * ns_per_tick, secs, h_malloc.n,
	       h_free.n);
	const struct { const char *name; const hist_t *h; } ops[] = {
		{ "malloc", &h_malloc }, { "free", &h_free } };
	for (int i = 0; i < 2; i++)
		printf(" %s_p50_ns=%.0f %s_p99_ns=%.0f %s_p999_ns=%.0f "
		       "%s_p9999_ns=%.0f %s_max_ns=%.0f", ops[i].name,
		       hist_quantile_ns(ops[i].h, 0.5), ops[i].name,
		       hist_quantile_ns(ops[i].h, 0.99), ops[i].name,
		       hist_quantile_ns(ops[i].h, 0.999), ops[i].name,
		       hist_quantile_ns(ops[i].h, 0.9999), ops[i].name,
		       (double)ops[i].h->max * ns_per_tick);
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	printf(" involuntary_switches=%ld peak_rss_kib=%ld\n", ru.ru_nivcsw,
	       proc_status_kb("VmHWM"));
	const char *path = getenv("BENCH_LATENCY_CCDF");
	if (path != NULL && path[0] != '\0') {
		FILE *f = fopen(path, "w");
		if (f == NULL) {
			fprintf(stderr, "latency: cannot write %s\n", path);
			return 2;
		}
		for (int i = 0; i < 2; i++)
			hist_ccdf(ops[i].h, ops[i].name, f);
		fclose(f);
	}
	return 0;
}
