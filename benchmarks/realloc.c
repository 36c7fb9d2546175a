/*
 * realloc — growth of many buffers with realloc.
 *
 * --buffers buffers start empty.  Each step picks one at random and grows
 * it either by a small step (1..64 bytes, 75% of steps) or by doubling,
 * writes the new tail and checks that the old contents survived.  A buffer
 * that reaches --maxsize is freed and starts over.  Measures in-place growth,
 * size-class transitions and the copying cost of realloc.
 */
#include "bench_common.h"

static unsigned char pattern(size_t i, uint64_t tag)
{
    return (unsigned char)((i * 131u) ^ tag);
}

int main(int argc, char **argv)
{
    bench_t b = {.prog = "realloc", .about = "realloc growth by small and doubling steps"};
    bench_define(&b, "steps", 3000000, "growth steps (scaled)");
    bench_define(&b, "buffers", 1000, "buffers");
    bench_define(&b, "maxsize", 262144, "size at which a buffer is restarted");
    bench_parse(&b, argc, argv);

    long long steps = bench_scaled(&b, bench_get(&b, "steps"));
    size_t nb = (size_t)bench_get(&b, "buffers");
    size_t maxsize = (size_t)bench_get(&b, "maxsize");
    if (nb < 1 || maxsize < 64) {
        fprintf(stderr, "realloc: bad parameters\n");
        return 2;
    }
    rng_t r;
    rng_seed(&r, b.seed, 1);
    unsigned char **buf = xcheck(calloc(nb, sizeof *buf), nb);
    size_t *len = xcheck(calloc(nb, sizeof *len), nb);
    uint64_t *tag = xcheck(calloc(nb, sizeof *tag), nb);
    uint64_t sum = 0, restarts = 0;

    for (long long s = 0; s < steps; s++) {
        size_t i = rng_below(&r, nb);
        size_t old = len[i], n;
        if (old == 0 || rng_below(&r, 4) != 0)
            n = old + rng_range(&r, 1, 64);
        else
            n = old * 2;
        if (n > maxsize) {
            sum = mix64(sum, buf[i][old - 1] + old);
            free(buf[i]);
            buf[i] = NULL;
            len[i] = 0;
            tag[i] = rng_next(&r);
            restarts++;
            continue;
        }
        unsigned char *p = xcheck(realloc(buf[i], n), n);
        if (old && (p[0] != pattern(0, tag[i]) || p[old - 1] != pattern(old - 1, tag[i]))) {
            fprintf(stderr, "realloc: contents lost\n");
            return 3;
        }
        /* Fill the new tail: every byte of small steps, one per 64 bytes
         * of large ones, as a program appending records would touch it. */
        size_t stride = n - old > 256 ? 64 : 1;
        for (size_t k = old; k < n; k += stride)
            p[k] = pattern(k, tag[i]);
        p[n - 1] = pattern(n - 1, tag[i]);
        buf[i] = p;
        len[i] = n;
    }
    for (size_t i = 0; i < nb; i++) {
        if (len[i])
            sum = mix64(sum, buf[i][len[i] - 1] + len[i]);
        free(buf[i]);
    }
    free(buf);
    free(len);
    free(tag);
    printf("realloc: checksum=0x%016" PRIx64 " steps=%lld restarts=%" PRIu64 "\n",
           sum, steps, restarts);
    return 0;
}
