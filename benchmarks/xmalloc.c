/*
 * xmalloc — mixed-size multi-thread stress with objects moving between
 * threads (in the spirit of the xmalloc-test benchmark).
 *
 * --threads threads form a ring.  In each round a thread allocates a batch
 * of --batch objects of mixed sizes (mostly small, some medium, a few up to
 * 16 KiB), passes the batch to its successor's inbox and frees every object
 * in its own inbox — objects that a different thread allocated.  A thread
 * whose successor has too many pending batches waits (draining its own inbox)
 * so memory stays bounded; a thread that has finished its rounds keeps
 * draining until every thread has finished.
 */
#include "bench_common.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>

#define MAX_PENDING 32

typedef struct batch {
    struct batch *next;
    size_t n;
    void *obj[];
} batch_t;

typedef struct {
    pthread_mutex_t mu;
    batch_t *head;
    int pending;
    char pad[64];
} inbox_t;

typedef struct {
    int id, nt;
    long long rounds;
    size_t batch;
    uint64_t seed;
    inbox_t *boxes;
    atomic_int *finished;
    uint64_t sum, freed;
} arg_t;

static uint64_t obj_value(int t, long long round, size_t k)
{
    uint64_t x = ((uint64_t)t << 48) ^ ((uint64_t)round << 16) ^ k;
    return splitmix64(&x);
}

static void drain(arg_t *a)
{
    inbox_t *box = &a->boxes[a->id];
    pthread_mutex_lock(&box->mu);
    batch_t *list = box->head;
    box->head = NULL;
    box->pending = 0;
    pthread_mutex_unlock(&box->mu);
    while (list) {
        batch_t *nx = list->next;
        for (size_t k = 0; k < list->n; k++) {
            uint64_t *o = list->obj[k];
            a->sum += o[0];
            a->freed++;
            free(o);
        }
        free(list);
        list = nx;
    }
}

static size_t pick_size(rng_t *r)
{
    uint64_t c = rng_below(r, 100);
    if (c < 70)
        return rng_range(r, 8, 128);
    if (c < 95)
        return rng_range(r, 129, 2048);
    return rng_range(r, 2049, 16384);
}

static void *worker(void *p)
{
    arg_t *a = p;
    rng_t r;
    rng_seed(&r, a->seed, (uint64_t)a->id + 1);
    inbox_t *to = &a->boxes[(a->id + 1) % a->nt];
    for (long long round = 0; round < a->rounds; round++) {
        size_t bsz = sizeof(batch_t) + a->batch * sizeof(void *);
        batch_t *bt = xcheck(malloc(bsz), bsz);
        bt->n = a->batch;
        for (size_t k = 0; k < a->batch; k++) {
            size_t n = pick_size(&r);
            uint64_t *o = xcheck(malloc(n), n);
            o[0] = obj_value(a->id, round, k);
            ((unsigned char *)o)[n - 1] = 1;
            bt->obj[k] = o;
        }
        for (;;) {
            pthread_mutex_lock(&to->mu);
            if (to->pending < MAX_PENDING || a->nt == 1)
                break;
            pthread_mutex_unlock(&to->mu);
            drain(a);
            sched_yield();
        }
        bt->next = to->head;
        to->head = bt;
        to->pending++;
        pthread_mutex_unlock(&to->mu);
        drain(a);
    }
    /* Keep draining until nobody can send any more. */
    atomic_fetch_add(a->finished, 1);
    while (atomic_load(a->finished) < a->nt) {
        drain(a);
        sched_yield();
    }
    drain(a);
    return NULL;
}

int main(int argc, char **argv)
{
    bench_t b = {.prog = "xmalloc",
                 .about = "mixed-size multi-thread stress, objects freed by "
                          "another thread"};
    bench_define(&b, "threads", 4, "threads in the ring");
    bench_define(&b, "rounds", 80000, "batches per thread (scaled)");
    bench_define(&b, "batch", 100, "objects per batch");
    bench_parse(&b, argc, argv);

    int nt = (int)bench_get(&b, "threads");
    long long rounds = bench_scaled(&b, bench_get(&b, "rounds"));
    size_t batch = (size_t)bench_get(&b, "batch");
    if (nt < 1 || batch < 1) {
        fprintf(stderr, "xmalloc: bad parameters\n");
        return 2;
    }
    inbox_t *boxes = xcheck(calloc((size_t)nt, sizeof *boxes), (size_t)nt);
    arg_t *args = xcheck(calloc((size_t)nt, sizeof *args), (size_t)nt);
    pthread_t *th = xcheck(calloc((size_t)nt, sizeof *th), (size_t)nt);
    atomic_int finished;
    atomic_init(&finished, 0);
    for (int i = 0; i < nt; i++)
        pthread_mutex_init(&boxes[i].mu, NULL);
    for (int i = 0; i < nt; i++) {
        args[i] = (arg_t){.id = i, .nt = nt, .rounds = rounds, .batch = batch,
                          .seed = b.seed, .boxes = boxes, .finished = &finished};
        if (pthread_create(&th[i], NULL, worker, &args[i])) {
            fprintf(stderr, "xmalloc: pthread_create failed\n");
            return 2;
        }
    }
    uint64_t sum = 0, freed = 0;
    for (int i = 0; i < nt; i++) {
        pthread_join(th[i], NULL);
        sum += args[i].sum;
        freed += args[i].freed;
    }
    for (int i = 0; i < nt; i++)
        pthread_mutex_destroy(&boxes[i].mu);
    free(boxes);
    free(args);
    free(th);
    if (freed != (uint64_t)nt * (uint64_t)rounds * batch) {
        fprintf(stderr, "xmalloc: freed %" PRIu64 " objects, expected %" PRIu64 "\n",
                freed, (uint64_t)nt * (uint64_t)rounds * batch);
        return 3;
    }
    printf("xmalloc: checksum=0x%016" PRIx64 " threads=%d objects=%" PRIu64 "\n",
           sum, nt, freed);
    return 0;
}
