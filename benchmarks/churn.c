/*
 * churn — single-thread small-object churn.
 *
 * A working set of --slots objects with random sizes in [--min, --max]
 * bytes; every step picks a random slot, checks and frees its object and
 * puts a freshly allocated one of a new random size in its place.
 * Measures the small-object malloc/free path under a randomised, cache-
 * unfriendly pattern with a steady live set.
 */
#include "bench_common.h"

int main(int argc, char **argv)
{
    bench_t b = {.prog = "churn",
                 .about = "single-thread small-object churn (random replace)"};
    bench_define(&b, "ops", 40000000, "replace operations (scaled)");
    bench_define(&b, "slots", 20000, "working-set slots");
    bench_define(&b, "min", 8, "smallest object size");
    bench_define(&b, "max", 512, "largest object size");
    bench_parse(&b, argc, argv);

    long long ops = bench_scaled(&b, bench_get(&b, "ops"));
    size_t nslots = (size_t)bench_get(&b, "slots");
    size_t lo = (size_t)bench_get(&b, "min"), hi = (size_t)bench_get(&b, "max");
    if (nslots < 1 || lo < 8 || hi < lo) {
        fprintf(stderr, "churn: need slots >= 1 and 8 <= min <= max\n");
        return 2;
    }

    rng_t r;
    rng_seed(&r, b.seed, 1);
    uint64_t **slot = xcheck(calloc(nslots, sizeof *slot), nslots);
    size_t *len = xcheck(calloc(nslots, sizeof *len), nslots);
    uint64_t sum = 0;

    for (size_t i = 0; i < nslots; i++) {
        len[i] = rng_range(&r, lo, hi);
        slot[i] = xcheck(malloc(len[i]), len[i]);
        slot[i][0] = i;
        ((unsigned char *)slot[i])[len[i] - 1] = (unsigned char)i;
    }
    for (long long op = 0; op < ops; op++) {
        size_t i = rng_below(&r, nslots);
        unsigned char *old = (unsigned char *)slot[i];
        sum = mix64(sum, slot[i][0] + old[len[i] - 1]);
        free(old);
        len[i] = rng_range(&r, lo, hi);
        slot[i] = xcheck(malloc(len[i]), len[i]);
        slot[i][0] = (uint64_t)op;
        ((unsigned char *)slot[i])[len[i] - 1] = (unsigned char)op;
    }
    size_t live = 0;
    for (size_t i = 0; i < nslots; i++) {
        sum = mix64(sum, slot[i][0]);
        live += len[i];
        free(slot[i]);
    }
    free(slot);
    free(len);
    printf("churn: checksum=0x%016" PRIx64 " ops=%lld slots=%zu live_bytes=%zu\n",
           sum, ops, nslots, live);
    return 0;
}
