/*
 * larson — Larson-style server simulation.
 *
 * --threads lanes run concurrently.  Each lane owns an array of --slots
 * objects (sizes in [--min, --max]).  A thread of a lane performs --ops
 * random replace operations on the array (free the old object, allocate a
 * new one), then starts a successor thread, hands it the array and exits.
 * After --generations threads per lane the lane is done.  So most frees
 * release memory allocated by a thread that no longer exists, as in a server
 * whose short-lived worker threads pass their state along.
 */
#include "bench_common.h"

#include <pthread.h>
#include <stdatomic.h>

typedef struct {
    int lane;
    long long gen;
    long long generations;
    long long ops;
    size_t nslots, lo, hi;
    uint64_t **slot;
    size_t *len;
    rng_t rng;
    uint64_t sum;
} lane_t;

static pthread_mutex_t done_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t done_cv = PTHREAD_COND_INITIALIZER;
static int lanes_done;

static void *worker(void *arg)
{
    lane_t *L = arg;
    for (long long op = 0; op < L->ops; op++) {
        size_t i = rng_below(&L->rng, L->nslots);
        L->sum = mix64(L->sum, L->slot[i][0]);
        free(L->slot[i]);
        size_t n = rng_range(&L->rng, L->lo, L->hi);
        L->len[i] = n;
        L->slot[i] = xcheck(malloc(n), n);
        L->slot[i][0] = (uint64_t)L->gen * 0x10000 + (uint64_t)op;
    }
    if (++L->gen < L->generations) {
        pthread_t t;
        pthread_attr_t at;
        pthread_attr_init(&at);
        pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
        int e = pthread_create(&t, &at, worker, L);
        pthread_attr_destroy(&at);
        if (e) {
            fprintf(stderr, "larson: pthread_create: %s\n", strerror(e));
            exit(2);
        }
        return NULL;
    }
    pthread_mutex_lock(&done_mu);
    lanes_done++;
    pthread_cond_signal(&done_cv);
    pthread_mutex_unlock(&done_mu);
    return NULL;
}

int main(int argc, char **argv)
{
    bench_t b = {.prog = "larson",
                 .about = "server simulation: short-lived threads free what "
                          "their predecessors allocated"};
    bench_define(&b, "threads", 4, "concurrent lanes");
    bench_define(&b, "generations", 700, "threads per lane (scaled)");
    bench_define(&b, "ops", 20000, "replace operations per thread");
    bench_define(&b, "slots", 2000, "objects per lane");
    bench_define(&b, "min", 8, "smallest object size");
    bench_define(&b, "max", 1000, "largest object size");
    bench_parse(&b, argc, argv);

    int nt = (int)bench_get(&b, "threads");
    long long gens = bench_scaled(&b, bench_get(&b, "generations"));
    long long ops = bench_get(&b, "ops");
    size_t nslots = (size_t)bench_get(&b, "slots");
    size_t lo = (size_t)bench_get(&b, "min"), hi = (size_t)bench_get(&b, "max");
    if (nt < 1 || nslots < 1 || lo < 8 || hi < lo || ops < 0) {
        fprintf(stderr, "larson: bad parameters\n");
        return 2;
    }

    lane_t *lanes = xcheck(calloc((size_t)nt, sizeof *lanes), (size_t)nt);
    for (int l = 0; l < nt; l++) {
        lane_t *L = &lanes[l];
        L->lane = l;
        L->generations = gens;
        L->ops = ops;
        L->nslots = nslots;
        L->lo = lo;
        L->hi = hi;
        rng_seed(&L->rng, b.seed, (uint64_t)l + 1);
        L->slot = xcheck(calloc(nslots, sizeof *L->slot), nslots);
        L->len = xcheck(calloc(nslots, sizeof *L->len), nslots);
        for (size_t i = 0; i < nslots; i++) {
            L->len[i] = rng_range(&L->rng, lo, hi);
            L->slot[i] = xcheck(malloc(L->len[i]), L->len[i]);
            L->slot[i][0] = i;
        }
    }
    for (int l = 0; l < nt; l++) {
        pthread_t t;
        pthread_attr_t at;
        pthread_attr_init(&at);
        pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
        if (pthread_create(&t, &at, worker, &lanes[l])) {
            fprintf(stderr, "larson: pthread_create failed\n");
            return 2;
        }
        pthread_attr_destroy(&at);
    }
    pthread_mutex_lock(&done_mu);
    while (lanes_done < nt)
        pthread_cond_wait(&done_cv, &done_mu);
    pthread_mutex_unlock(&done_mu);

    uint64_t sum = 0;
    for (int l = 0; l < nt; l++) {
        lane_t *L = &lanes[l];
        sum = mix64(sum, L->sum);
        for (size_t i = 0; i < nslots; i++)
            free(L->slot[i]);
        free(L->slot);
        free(L->len);
    }
    free(lanes);
    printf("larson: checksum=0x%016" PRIx64
           " threads=%d generations=%lld ops_per_thread=%lld\n",
           sum, nt, gens, ops);
    return 0;
}
