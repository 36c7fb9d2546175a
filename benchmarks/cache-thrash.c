/*
 * cache-thrash — active false sharing (after the Hoard benchmark).
 *
 * --threads threads each repeatedly allocate a small object of --objsize
 * bytes, write every byte of it --writes times and free it.  If the
 * allocator hands objects on the same cache line to different threads at
 * the same time, the writes bounce that line between cores and the run
 * slows down sharply.  An allocator with per-thread (or per-CPU) heaps
 * keeps each thread's objects on its own lines.
 */
#include "bench_common.h"

#include <pthread.h>

typedef struct {
    int id;
    long long iters, writes;
    size_t objsize;
    uint64_t sum;
} arg_t;

static void *worker(void *p)
{
    arg_t *a = p;
    uint64_t sum = 0;
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

int main(int argc, char **argv)
{
    bench_t b = {.prog = "cache-thrash",
                 .about = "active false sharing: concurrent threads write "
                          "their own small objects"};
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
        fprintf(stderr, "cache-thrash: bad parameters\n");
        return 2;
    }
    arg_t *args = xcheck(calloc((size_t)nt, sizeof *args), (size_t)nt);
    pthread_t *th = xcheck(calloc((size_t)nt, sizeof *th), (size_t)nt);
    for (int i = 0; i < nt; i++) {
        args[i] = (arg_t){.id = i, .iters = iters, .writes = writes,
                          .objsize = objsize};
        if (pthread_create(&th[i], NULL, worker, &args[i])) {
            fprintf(stderr, "cache-thrash: pthread_create failed\n");
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
    printf("cache-thrash: checksum=0x%016" PRIx64
           " threads=%d iters=%lld writes=%lld objsize=%zu\n",
           sum, nt, iters, writes, objsize);
    return 0;
}
