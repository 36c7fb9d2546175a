/*
 * fastpath — the allocation fast path.
 *
 * With --batch 1 (default): a tight loop of malloc immediately followed by
 * free, cycling over the sizes 16, 32 and 64 bytes.  With --batch N: allocate
 * N objects (same size cycle), then free all N in allocation order.  Measures
 * the per-call overhead of the thread cache / free list.
 */
#include "bench_common.h"

int main(int argc, char **argv)
{
    bench_t b = {.prog = "fastpath",
                 .about = "tight malloc+free loop of 16/32/64-byte objects"};
    bench_define(&b, "ops", 200000000, "malloc+free pairs (scaled)");
    bench_define(&b, "batch", 1, "objects allocated before they are freed");
    bench_parse(&b, argc, argv);

    long long ops = bench_scaled(&b, bench_get(&b, "ops"));
    long long batch = bench_get(&b, "batch");
    static const size_t sizes[3] = {16, 32, 64};
    if (batch < 1 || batch > 1000000) {
        fprintf(stderr, "fastpath: batch must be 1..1000000\n");
        return 2;
    }
    uint64_t sum = 0;
    if (batch == 1) {
        for (long long i = 0; i < ops; i++) {
            size_t n = sizes[i % 3];
            unsigned char *p = xcheck(malloc(n), n);
            p[0] = (unsigned char)i;
            escape(p);
            sum += p[0];
            free(p);
        }
    } else {
        unsigned char **v = xcheck(malloc((size_t)batch * sizeof *v), (size_t)batch);
        long long rounds = ops / batch;
        for (long long rd = 0; rd < rounds; rd++) {
            for (long long k = 0; k < batch; k++) {
                size_t n = sizes[k % 3];
                v[k] = xcheck(malloc(n), n);
                v[k][0] = (unsigned char)k;
                escape(v[k]);
            }
            for (long long k = 0; k < batch; k++) {
                sum += v[k][0];
                free(v[k]);
            }
        }
        ops = rounds * batch;
        free(v);
    }
    printf("fastpath: checksum=0x%016" PRIx64 " ops=%lld batch=%lld\n", sum, ops,
           batch);
    return 0;
}
