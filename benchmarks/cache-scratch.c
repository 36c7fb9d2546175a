/*
 * cache-scratch — passive false sharing (after the Hoard benchmark).
 *
 * The main thread allocates one small object per worker back to back, so
 * they very likely share cache lines, and hands one to each worker.  Each
 * worker frees the object it was given and then repeatedly allocates an
 * object of the same size, writes it --writes times and frees it.  An
 * allocator that gives the freed block (still on a line shared with other
 * threads' blocks) straight back to the freeing thread makes the workers
 * false-share; one that returns remote frees to their owner does not.
 */
#include "bench_common.h"

#include <pthread.h>

typedef struct {
    int id;
    long long iters, writes;
    size_t objsize;
    unsigned char *given;
    uint64_t sum;
} arg_t;

static void *worker(void *p)
{
    arg_t *a = p;
    uint64_t sum = a->given[0];
    free(a->given);
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
    bench_t b = {.prog = "cache-scratch",
                 .about = "passive false sharing: workers free objects the "
                          "main thread allocated side by side, then reuse"};
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
        fprintf(stderr, "cache-scratch: bad parameters\n");
        return 2;
    }
    arg_t *args = xcheck(calloc((size_t)nt, sizeof *args), (size_t)nt);
    pthread_t *th = xcheck(calloc((size_t)nt, sizeof *th), (size_t)nt);
    for (int i = 0; i < nt; i++) {
        args[i] = (arg_t){.id = i, .iters = iters, .writes = writes,
                          .objsize = objsize};
        args[i].given = xcheck(malloc(objsize), objsize);
        memset(args[i].given, i + 1, objsize);
    }
    for (int i = 0; i < nt; i++) {
        if (pthread_create(&th[i], NULL, worker, &args[i])) {
            fprintf(stderr, "cache-scratch: pthread_create failed\n");
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
    printf("cache-scratch: checksum=0x%016" PRIx64
           " threads=%d iters=%lld writes=%lld objsize=%zu\n",
           sum, nt, iters, writes, objsize);
    return 0;
}
