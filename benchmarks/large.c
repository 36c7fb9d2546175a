/*
 * large — large blocks from 64 KiB to 32 MiB.
 *
 * A working set of --slots blocks with log-uniform sizes between --min and
 * --max.  Each step frees a random block and allocates a new one, touching
 * its first and last page and --touch further random pages.  Measures the
 * large-allocation path: mapping and unmapping, page reuse, retained-memory
 * policy and the page-fault cost that comes with it.
 */
#include "bench_common.h"

#define PAGE 4096

int main(int argc, char **argv)
{
    bench_t b = {.prog = "large", .about = "large blocks 64 KiB..32 MiB: allocate, touch, free"};
    bench_define(&b, "steps", 300000, "replace steps (scaled)");
    bench_define(&b, "slots", 16, "blocks live at a time");
    bench_define(&b, "min", 65536, "smallest block size");
    bench_define(&b, "max", 33554432, "largest block size");
    bench_define(&b, "touch", 8, "random pages written per block");
    bench_parse(&b, argc, argv);

    long long steps = bench_scaled(&b, bench_get(&b, "steps"));
    size_t nslots = (size_t)bench_get(&b, "slots");
    size_t lo = (size_t)bench_get(&b, "min"), hi = (size_t)bench_get(&b, "max");
    long long touch = bench_get(&b, "touch");
    if (nslots < 1 || lo < 64 || hi < lo || touch < 0) {
        fprintf(stderr, "large: bad parameters\n");
        return 2;
    }
    rng_t r;
    rng_seed(&r, b.seed, 1);
    unsigned char **blk = xcheck(calloc(nslots, sizeof *blk), nslots);
    size_t *len = xcheck(calloc(nslots, sizeof *len), nslots);
    uint64_t sum = 0;

    for (long long s = 0; s < steps; s++) {
        size_t i = rng_below(&r, nslots);
        if (blk[i]) {
            sum = mix64(sum, blk[i][0] + blk[i][len[i] - 1]);
            free(blk[i]);
        }
        size_t n = rng_logrange(&r, lo, hi);
        unsigned char *p = xcheck(malloc(n), n);
        p[0] = (unsigned char)s;
        p[n - 1] = (unsigned char)(s >> 8);
        size_t pages = n / PAGE;
        for (long long t = 0; t < touch && pages > 2; t++)
            p[(1 + rng_below(&r, pages - 2)) * PAGE] = (unsigned char)t;
        blk[i] = p;
        len[i] = n;
    }
    for (size_t i = 0; i < nslots; i++) {
        if (blk[i])
            sum = mix64(sum, blk[i][0] + blk[i][len[i] - 1]);
        free(blk[i]);
    }
    free(blk);
    free(len);
    printf("large: checksum=0x%016" PRIx64 " steps=%lld slots=%zu\n", sum, steps,
           nslots);
    return 0;
}
