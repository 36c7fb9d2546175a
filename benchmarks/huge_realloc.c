/*
 * huge_realloc — one buffer grown by doubling from --from MiB to --to MiB
 * with realloc, --rounds times, every page of each new tail written (as a
 * program appending to a buffer would) and the first byte of every old
 * page checked.  Past a chunk (2 MiB) each step is a huge block: a copy
 * of all it holds, or a remap of its pages where the backend offers one.
 * Prints the wall time of all rounds and the peak RSS.
 */
#include "bench_common.h"

#define PAGE 4096u

static unsigned char pattern(size_t page, unsigned round)
{
    return (unsigned char)(page * 31u + round * 7u + 1u);
}

int main(int argc, char **argv)
{
    bench_t b = {.prog = "huge_realloc", .about = "huge block grown by doubling with realloc"};
    bench_define(&b, "from", 4, "first size, MiB");
    bench_define(&b, "to", 256, "last size, MiB");
    bench_define(&b, "rounds", 8, "growth series (scaled)");
    bench_parse(&b, argc, argv);

    size_t from = (size_t)bench_get(&b, "from") << 20;
    size_t to = (size_t)bench_get(&b, "to") << 20;
    long long rounds = bench_scaled(&b, bench_get(&b, "rounds"));
    if (from < PAGE || to < from || rounds < 1) {
        fprintf(stderr, "huge_realloc: bad parameters\n");
        return 2;
    }
    uint64_t sum = 0, steps = 0;
    double t0 = now_sec();
    for (long long r = 0; r < rounds; r++) {
        unsigned char *p = NULL;
        size_t old = 0;
        for (size_t n = from; n <= to; n *= 2) {
            p = xcheck(realloc(p, n), n);
            for (size_t k = 0; k < old; k += PAGE)
                if (p[k] != pattern(k / PAGE, (unsigned)r)) {
                    fprintf(stderr, "huge_realloc: contents lost\n");
                    return 3;
                }
            for (size_t k = old; k < n; k += PAGE)
                p[k] = pattern(k / PAGE, (unsigned)r);
            old = n;
            steps++;
        }
        sum = mix64(sum, p[old - PAGE] + old);
        free(p);
    }
    double secs = now_sec() - t0;
    printf("huge_realloc: checksum=0x%016" PRIx64 " steps=%" PRIu64
           " seconds=%.3f hwm_kib=%ld\n",
           sum, steps, secs, proc_status_kb("VmHWM"));
    return 0;
}
