/*
 * bench_common.h — shared helpers for the strata benchmark programs.
 *
 * The benchmarks use only the standard allocation API (malloc, free, calloc,
 * realloc, posix_memalign) so that any allocator can be swapped in with
 * LD_PRELOAD.  This header provides a deterministic PRNG, a tiny option
 * parser, a monotonic clock and a /proc reader for resident-set figures.
 *
 * Every program accepts:
 *   --quick          scale the amount of work down (about 1/8)
 *   --scale F        multiply the amount of work by F
 *   --seed N         PRNG seed (default 42)
 *   --help           list the options of that program
 * plus program-specific "--name N" (or "--name=N") options.
 *
 * Every program prints exactly one summary line on stdout of the form
 *   <name>: checksum=0x... key=value ...
 * The checksum depends only on the options, never on addresses, timing or
 * thread interleaving, so it must be identical under every allocator.
 */
#ifndef STRATA_BENCH_COMMON_H
#define STRATA_BENCH_COMMON_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- PRNG: splitmix64 seeding a xorshift64* stream. ---- */

typedef struct {
    uint64_t s;
} rng_t;

static inline uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static inline void rng_seed(rng_t *r, uint64_t seed, uint64_t stream)
{
    uint64_t x = seed ^ (stream * 0xd1b54a32d192ed03ULL);
    r->s = splitmix64(&x);
    if (r->s == 0)
        r->s = 0x2545f4914f6cdd1dULL;
}

static inline uint64_t rng_next(rng_t *r)
{
    uint64_t x = r->s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    r->s = x;
    return x * 0x2545f4914f6cdd1dULL;
}

__extension__ typedef unsigned __int128 bench_u128;

/* Uniform in [0, n). n must be > 0. */
static inline uint64_t rng_below(rng_t *r, uint64_t n)
{
    return (uint64_t)(((bench_u128)rng_next(r) * n) >> 64);
}

/* Uniform in [lo, hi]. */
static inline uint64_t rng_range(rng_t *r, uint64_t lo, uint64_t hi)
{
    return lo + rng_below(r, hi - lo + 1);
}

/* Log-uniform in [lo, hi]: every power-of-two band is equally likely. */
static inline uint64_t rng_logrange(rng_t *r, uint64_t lo, uint64_t hi)
{
    unsigned lb = 63u - (unsigned)__builtin_clzll(lo);
    unsigned hb = 63u - (unsigned)__builtin_clzll(hi);
    unsigned b = lb + (unsigned)rng_below(r, hb - lb + 1);
    uint64_t blo = (uint64_t)1 << b, bhi = blo * 2 - 1;
    if (blo < lo)
        blo = lo;
    if (bhi > hi)
        bhi = hi;
    return rng_range(r, blo, bhi);
}

/* Order-sensitive checksum mixing. */
static inline uint64_t mix64(uint64_t h, uint64_t v)
{
    h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
    return h;
}

/* Keeps the compiler from eliding an allocation or a store into it. */
static inline void escape(void *p)
{
    __asm__ volatile("" : : "r"(p) : "memory");
}

/* ---- Clock. ---- */

static inline double now_sec(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* ---- /proc/self/status reader: value in KiB of e.g. "VmRSS", "VmHWM". ---- */

static inline long proc_status_kb(const char *field)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    size_t n = strlen(field);
    long v = -1;
    if (!f)
        return -1;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, field, n) == 0 && line[n] == ':') {
            v = strtol(line + n + 1, NULL, 10);
            break;
        }
    }
    fclose(f);
    return v;
}

/* ---- Out-of-memory handling: benchmarks never tolerate NULL. ---- */

static inline void *xcheck(void *p, size_t size)
{
    if (!p && size) {
        fprintf(stderr, "allocation of %zu bytes failed\n", size);
        exit(2);
    }
    return p;
}

/* ---- Options. ---- */

#define BENCH_MAX_OPTS 16

typedef struct {
    const char *name;
    const char *help;
    long long def;
    long long val;
} bench_opt_t;

typedef struct {
    const char *prog;
    const char *about;
    double scale;
    uint64_t seed;
    int nopts;
    bench_opt_t opts[BENCH_MAX_OPTS];
} bench_t;

static inline void bench_define(bench_t *b, const char *name, long long def,
                                const char *help)
{
    if (b->nopts >= BENCH_MAX_OPTS) {
        fprintf(stderr, "%s: too many options\n", b->prog);
        exit(2);
    }
    b->opts[b->nopts].name = name;
    b->opts[b->nopts].help = help;
    b->opts[b->nopts].def = def;
    b->opts[b->nopts].val = def;
    b->nopts++;
}

static inline void bench_usage(const bench_t *b, FILE *out)
{
    fprintf(out, "usage: %s [options]\n  %s\n\n", b->prog, b->about);
    fprintf(out, "  --quick          about 1/8 of the default work\n");
    fprintf(out, "  --scale F        multiply the amount of work by F\n");
    fprintf(out, "  --seed N         PRNG seed (default 42)\n");
    for (int i = 0; i < b->nopts; i++)
        fprintf(out, "  --%-14s %s (default %lld)\n", b->opts[i].name,
                b->opts[i].help, b->opts[i].def);
}

static inline void bench_parse(bench_t *b, int argc, char **argv)
{
    b->scale = 1.0;
    b->seed = 42;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *val = NULL;
        char key[64];
        if (strncmp(a, "--", 2) != 0)
            goto bad;
        a += 2;
        const char *eq = strchr(a, '=');
        size_t klen = eq ? (size_t)(eq - a) : strlen(a);
        if (klen >= sizeof key)
            goto bad;
        memcpy(key, a, klen);
        key[klen] = '\0';
        if (strcmp(key, "help") == 0) {
            bench_usage(b, stdout);
            exit(0);
        }
        if (strcmp(key, "quick") == 0) {
            b->scale = 0.125;
            continue;
        }
        if (eq)
            val = eq + 1;
        else if (i + 1 < argc)
            val = argv[++i];
        else
            goto bad;
        char *end;
        errno = 0;
        if (strcmp(key, "scale") == 0) {
            b->scale = strtod(val, &end);
            if (*end || errno || b->scale <= 0)
                goto bad;
            continue;
        }
        long long v = strtoll(val, &end, 0);
        if (*end || errno)
            goto bad;
        if (strcmp(key, "seed") == 0) {
            b->seed = (uint64_t)v;
            continue;
        }
        int found = 0;
        for (int k = 0; k < b->nopts; k++) {
            if (strcmp(key, b->opts[k].name) == 0) {
                b->opts[k].val = v;
                found = 1;
            }
        }
        if (!found)
            goto bad;
        continue;
    bad:
        fprintf(stderr, "%s: bad option '%s'\n", b->prog, argv[i]);
        bench_usage(b, stderr);
        exit(2);
    }
}

static inline long long bench_get(const bench_t *b, const char *name)
{
    for (int k = 0; k < b->nopts; k++)
        if (strcmp(name, b->opts[k].name) == 0)
            return b->opts[k].val;
    fprintf(stderr, "%s: internal: no option %s\n", b->prog, name);
    exit(2);
}

/* An amount of work scaled by --quick / --scale, at least 1. */
static inline long long bench_scaled(const bench_t *b, long long n)
{
    long long v = (long long)((double)n * b->scale);
    return v < 1 ? 1 : v;
}

#endif /* STRATA_BENCH_COMMON_H */
