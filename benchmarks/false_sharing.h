/*
 * false_sharing.h — the Hoard false-sharing benchmarks, shared by
 * cache-thrash.c (active: each worker allocates its own objects) and
 * cache-scratch.c (passive: each worker first frees an object the main
 * thread allocated next to the others' and then reuses that size).
 */
#ifndef STRATA_BENCH_FALSE_SHARING_H
#define STRATA_BENCH_FALSE_SHARING_H

#include "bench_common.h"

#include <pthread.h>
#include <stdbool.h>

typedef struct {
    int id;
    long long iters, writes;
    size_t objsize;
    unsigned char *given; /* passive: freed first; NULL when active */
    uint64_t sum;
} fs_arg_t;

static void *fs_worker(void *p)
{
    fs_arg_t *a = p;
    uint64_t sum = 0;
    if (a->given) {
        sum = a->given[0];
        free(a->given);
    }
    for (long long i = 0; i < a->iters; i++) {
        volatile unsigned char *o = xcheck(malloc(a->objsize), a->objsize);
        for (size_t k = 0; k < a->objsize; k++)
            o[k] = (unsigned char)i;
        for (long long w = 0; w < a->writes; w++)
            for (size_t k = 0; k < a->objsize; k++)
                o[k] = (unsigned char)(o[k] + (unsigned char)(w + k));
        for (size_t k = 0; k < a->objsize; k++)
            sum += o[k];
        sum = mix64(sum, (uint64_t)a->id * 1000003u + (uint64_t)i);
        free((void *)o);
    }
    a->sum = sum;
    return NULL;
}

static int false_sharing_main(int argc, char **argv, const char *prog,
                              const char *about, bool passive)
{
    bench_t b = {.prog = prog, .about = about};
    bench_define(&b, "threads", 2, "threads");
    bench_define(&b, "iters", 3000000, "objects per thread (scaled)");
    bench_define(&b, "writes", 100, "write passes over each object");
    bench_define(&b, "objsize", 8, "object size in bytes");
    bench_parse(&b, argc, argv);

    int nt = (int)bench_get(&b, "threads");
    long long iters = bench_scaled(&b, bench_get(&b, "iters"));
    long long writes = bench_get(&b, "writes");
    size_t objsize = (size_t)bench_get(&b, "objsize");
    if (nt < 1 || objsize < 1 || writes < 0) {
        fprintf(stderr, "%s: bad parameters\n", prog);
        return 2;
    }
    fs_arg_t *args = xcheck(calloc((size_t)nt, sizeof *args), (size_t)nt);
    pthread_t *th = xcheck(calloc((size_t)nt, sizeof *th), (size_t)nt);
    for (int i = 0; i < nt; i++) {
        args[i] = (fs_arg_t){.id = i, .iters = iters, .writes = writes,
                             .objsize = objsize};
        if (passive) { /* side by side, from the main thread */
            args[i].given = xcheck(malloc(objsize), objsize);
            memset(args[i].given, i + 1, objsize);
        }
    }
    for (int i = 0; i < nt; i++) {
        if (pthread_create(&th[i], NULL, fs_worker, &args[i])) {
            fprintf(stderr, "%s: pthread_create failed\n", prog);
            return 2;
        }
    }
    uint64_t sum = 0;
    for (int i = 0; i < nt; i++) {
        pthread_join(th[i], NULL);
        sum = mix64(sum, args[i].sum);
    }
    free(args);
    free(th);
    printf("%s: checksum=0x%016" PRIx64
           " threads=%d iters=%lld writes=%lld objsize=%zu\n",
           prog, sum, nt, iters, writes, objsize);
    return 0;
}

#endif
