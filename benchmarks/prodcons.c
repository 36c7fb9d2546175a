/*
 * prodcons — producer/consumer cross-thread frees.
 *
 * --pairs producer/consumer pairs, each joined by a bounded single-producer
 * single-consumer lock-free ring of pointers.  The producer allocates
 * objects of random size in [--min, --max], writes a value into each and
 * pushes the pointer; the consumer pops, reads and frees it.  Every free is
 * a remote free of memory allocated by another thread: the pattern of
 * pipelines, message passing and work queues.
 */
#include "bench_common.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>

#define RING 4096 /* power of two */

typedef struct {
    _Alignas(64) _Atomic size_t head; /* written by the consumer */
    _Alignas(64) _Atomic size_t tail; /* written by the producer */
    _Alignas(64) void *buf[RING];
    long long count;
    size_t lo, hi;
    uint64_t seed;
    int id;
    uint64_t produced_sum, consumed_sum;
} pair_t;

static void *producer(void *arg)
{
    pair_t *P = arg;
    rng_t r;
    rng_seed(&r, P->seed, (uint64_t)P->id + 1);
    size_t tail = 0;
    uint64_t sum = 0;
    for (long long k = 0; k < P->count; k++) {
        size_t n = rng_range(&r, P->lo, P->hi);
        uint64_t *o = xcheck(malloc(n), n);
        o[0] = rng_next(&r);
        ((unsigned char *)o)[n - 1] = (unsigned char)k;
        o[1] = n;
        sum = mix64(sum, o[0]);
        int spins = 0;
        while (tail - atomic_load_explicit(&P->head, memory_order_acquire) == RING)
            if (++spins > 64) {
                sched_yield();
                spins = 0;
            }
        P->buf[tail % RING] = o;
        atomic_store_explicit(&P->tail, ++tail, memory_order_release);
    }
    P->produced_sum = sum;
    return NULL;
}

static void *consumer(void *arg)
{
    pair_t *P = arg;
    size_t head = 0;
    uint64_t sum = 0;
    for (long long k = 0; k < P->count; k++) {
        int spins = 0;
        while (atomic_load_explicit(&P->tail, memory_order_acquire) == head)
            if (++spins > 64) {
                sched_yield();
                spins = 0;
            }
        uint64_t *o = P->buf[head % RING];
        atomic_store_explicit(&P->head, ++head, memory_order_release);
        size_t n = (size_t)o[1];
        if (((unsigned char *)o)[n - 1] != (unsigned char)k) {
            fprintf(stderr, "prodcons: corrupted object\n");
            exit(3);
        }
        sum = mix64(sum, o[0]);
        free(o);
    }
    P->consumed_sum = sum;
    return NULL;
}

int main(int argc, char **argv)
{
    bench_t b = {.prog = "prodcons",
                 .about = "producer threads allocate, consumer threads free"};
    bench_define(&b, "pairs", 1, "producer/consumer pairs");
    bench_define(&b, "count", 30000000, "objects per pair (scaled)");
    bench_define(&b, "min", 24, "smallest object size");
    bench_define(&b, "max", 256, "largest object size");
    bench_parse(&b, argc, argv);

    int np = (int)bench_get(&b, "pairs");
    long long count = bench_scaled(&b, bench_get(&b, "count"));
    size_t lo = (size_t)bench_get(&b, "min"), hi = (size_t)bench_get(&b, "max");
    if (np < 1 || lo < 24 || hi < lo) {
        fprintf(stderr, "prodcons: need pairs >= 1 and 24 <= min <= max\n");
        return 2;
    }
    pair_t *pairs = NULL;
    size_t psz = (size_t)np * sizeof *pairs;
    if (posix_memalign((void **)&pairs, 64, psz) != 0)
        xcheck(NULL, psz);
    memset(pairs, 0, psz);
    pthread_t *th = xcheck(calloc((size_t)np * 2, sizeof *th), (size_t)np * 2);
    for (int i = 0; i < np; i++) {
        pairs[i].count = count;
        pairs[i].lo = lo;
        pairs[i].hi = hi;
        pairs[i].seed = b.seed;
        pairs[i].id = i;
        atomic_init(&pairs[i].head, 0);
        atomic_init(&pairs[i].tail, 0);
        if (pthread_create(&th[2 * i], NULL, consumer, &pairs[i]) ||
            pthread_create(&th[2 * i + 1], NULL, producer, &pairs[i])) {
            fprintf(stderr, "prodcons: pthread_create failed\n");
            return 2;
        }
    }
    uint64_t sum = 0;
    int ok = 1;
    for (int i = 0; i < np; i++) {
        pthread_join(th[2 * i], NULL);
        pthread_join(th[2 * i + 1], NULL);
        ok &= pairs[i].produced_sum == pairs[i].consumed_sum;
        sum = mix64(sum, pairs[i].consumed_sum);
    }
    free(th);
    free(pairs);
    if (!ok) {
        fprintf(stderr, "prodcons: produced and consumed sums differ\n");
        return 3;
    }
    printf("prodcons: checksum=0x%016" PRIx64 " pairs=%d objects=%lld\n", sum, np,
           count * np);
    return 0;
}
