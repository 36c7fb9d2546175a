/*
 * frag — fragmentation under bursty phases.
 *
 * --phases times: allocate a burst of --burst objects whose size
 * distribution changes from phase to phase (small, medium, mixed), then free
 * 90% of all live objects chosen at random.  The survivors pin pages that
 * the allocator can only reuse for fitting sizes, so resident memory grows
 * beyond the live bytes.  Prints the live bytes at the end together with
 * the peak RSS (VmHWM) and the final RSS (VmRSS) from /proc/self/status:
 * the RSS figures are allocator-dependent and not part of the checksum.
 */
#include "bench_common.h"

static size_t phase_size(rng_t *r, long long phase)
{
    switch (phase % 3) {
    case 0:
        return rng_range(r, 8, 128);
    case 1:
        return rng_range(r, 128, 2048);
    default:
        return rng_logrange(r, 8, 4096);
    }
}

int main(int argc, char **argv)
{
    bench_t b = {.prog = "frag",
                 .about = "fragmentation: bursts of allocation, then free 90% "
                          "at random"};
    bench_define(&b, "phases", 120, "allocate/free phases (scaled)");
    bench_define(&b, "burst", 100000, "objects allocated per phase");
    bench_define(&b, "keep", 10, "percent of live objects kept per phase");
    bench_parse(&b, argc, argv);

    long long phases = bench_scaled(&b, bench_get(&b, "phases"));
    size_t burst = (size_t)bench_get(&b, "burst");
    long long keep = bench_get(&b, "keep");
    if (burst < 1 || keep < 0 || keep > 100) {
        fprintf(stderr, "frag: bad parameters\n");
        return 2;
    }
    if (phases < 3)
        phases = 3;
    rng_t r;
    rng_seed(&r, b.seed, 1);
    size_t cap = burst * 2 + 16, nlive = 0;
    uint64_t **obj = xcheck(malloc(cap * sizeof *obj), cap);
    size_t *len = xcheck(malloc(cap * sizeof *len), cap);
    uint64_t sum = 0;
    size_t live_bytes = 0, peak_live = 0;

    for (long long ph = 0; ph < phases; ph++) {
        if (nlive + burst > cap) {
            cap = (nlive + burst) * 2;
            obj = xcheck(realloc(obj, cap * sizeof *obj), cap);
            len = xcheck(realloc(len, cap * sizeof *len), cap);
        }
        for (size_t k = 0; k < burst; k++) {
            size_t n = phase_size(&r, ph);
            uint64_t *o = xcheck(malloc(n), n);
            o[0] = rng_next(&r);
            memset((char *)o + 8, (int)(k & 0xff), n > 64 ? 56 : n - 8);
            obj[nlive] = o;
            len[nlive] = n;
            nlive++;
            live_bytes += n;
        }
        if (live_bytes > peak_live)
            peak_live = live_bytes;
        /* Free all but keep% of the live objects, chosen at random. */
        size_t w = 0;
        for (size_t i = 0; i < nlive; i++) {
            if ((long long)rng_below(&r, 100) < keep) {
                obj[w] = obj[i];
                len[w] = len[i];
                w++;
            } else {
                sum = mix64(sum, obj[i][0]);
                live_bytes -= len[i];
                free(obj[i]);
            }
        }
        nlive = w;
    }
    long peak_rss = proc_status_kb("VmHWM");
    long final_rss = proc_status_kb("VmRSS");
    for (size_t i = 0; i < nlive; i++)
        sum = mix64(sum, obj[i][0]);
    printf("frag: checksum=0x%016" PRIx64
           " phases=%lld live_objects=%zu live_bytes=%zu peak_live_bytes=%zu"
           " peak_rss_kb=%ld final_rss_kb=%ld\n",
           sum, phases, nlive, live_bytes, peak_live, peak_rss, final_rss);
    for (size_t i = 0; i < nlive; i++)
        free(obj[i]);
    free(obj);
    free(len);
    return 0;
}
