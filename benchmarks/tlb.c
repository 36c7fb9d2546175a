/*
 * tlb.c — a large-heap, TLB-heavy workload: `mib` MiB of small nodes
 * (48..80 bytes) linked in a random cycle, chased for `steps` hops.
 * Each hop lands on a random page of the heap, so the time is dominated
 * by TLB misses: backing the heap with huge pages shows directly.  Prints
 * the chase time separately from set-up and the heap's huge-page coverage
 * (AnonHugePages / Rss over all mappings, from /proc/self/smaps).
 */
#include "bench_common.h"

typedef struct node {
	struct node *next;
	uint64_t payload[5];
} node_t;

static void smaps_coverage(long *rss_kib, long *huge_kib) {
	FILE *f = fopen("/proc/self/smaps", "r");
	char line[512];
	*rss_kib = *huge_kib = 0;
	while (f != NULL && fgets(line, sizeof(line), f)) {
		long v;
		if (sscanf(line, "Rss: %ld kB", &v) == 1)
			*rss_kib += v;
		else if (sscanf(line, "AnonHugePages: %ld kB", &v) == 1)
			*huge_kib += v;
	}
	if (f != NULL)
		fclose(f);
}

int main(int argc, char **argv) {
	bench_t b = { .prog = "tlb", .about = "pointer chase over a large heap" };
	bench_define(&b, "mib", 1024, "heap size in MiB");
	bench_define(&b, "steps", 40000000, "hops (scaled)");
	bench_parse(&b, argc, argv);
	size_t n = ((size_t)bench_get(&b, "mib") << 20) / 64;
	long long steps = bench_scaled(&b, bench_get(&b, "steps"));
	rng_t r;
	rng_seed(&r, b.seed, 11);
	double t0 = now_sec();
	node_t **nodes = xcheck(malloc(n * sizeof(*nodes)), n * sizeof(*nodes));
	for (size_t i = 0; i < n; i++) {
		size_t sz = 48 + 16 * rng_below(&r, 3);
		nodes[i] = xcheck(malloc(sz), sz);
		nodes[i]->payload[0] = i;
	}
	for (size_t i = n - 1; i > 0; i--) { /* random cycle: shuffle, link */
		size_t j = rng_below(&r, i + 1);
		node_t *t = nodes[i];
		nodes[i] = nodes[j];
		nodes[j] = t;
	}
	for (size_t i = 0; i < n; i++)
		nodes[i]->next = nodes[(i + 1) % n];
	node_t *p = nodes[0];
	free(nodes);
	double t1 = now_sec();
	uint64_t sum = 0;
	for (long long s = 0; s < steps; s++) {
		sum += p->payload[0];
		p = p->next;
	}
	double t2 = now_sec();
	long rss, huge;
	smaps_coverage(&rss, &huge);
	printf("tlb: checksum=0x%016" PRIx64 " setup_s=%.3f chase_s=%.3f "
	       "rss_kib=%ld anon_huge_kib=%ld huge_pct=%.1f\n", sum, t1 - t0,
	       t2 - t1, rss, huge, rss ? 100.0 * huge / rss : 0.0);
	return 0;
}
