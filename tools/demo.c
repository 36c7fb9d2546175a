/*
 * demo.c — the workload `tools/run.sh` runs on strata when no program is
 * named: a small server-like mix.  Worker threads build and tear down
 * request objects of many sizes, hand some to a neighbour thread to free,
 * keep a working set of long-lived entries, and grow buffers with
 * realloc.  Deterministic: prints a checksum that does not depend on the
 * allocator.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define THREADS 4
#define ROUNDS 200000
#define WORKING_SET 4096

typedef struct worker {
	unsigned id;
	uint64_t seed, checksum;
	void *volatile handoff[64];
	pthread_mutex_t lock;
} worker_t;

static worker_t workers[THREADS];

static uint64_t next_random(uint64_t *s) {
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static size_t request_size(uint64_t r) {
	switch (r % 10) {
	case 0: return 4096 + r % 60000;   /* a large body */
	case 1: case 2: return 256 + r % 1800;
	default: return 8 + r % 240;       /* headers, small nodes */
	}
}

static void give(worker_t *to, void *p) {
	pthread_mutex_lock(&to->lock);
	unsigned slot = (unsigned)((uintptr_t)p >> 4) % 64;
	void *old = to->handoff[slot];
	to->handoff[slot] = p;
	pthread_mutex_unlock(&to->lock);
	free(old);
}

static void *work(void *arg) {
	worker_t *w = arg;
	void **set = calloc(WORKING_SET, sizeof(void *));
	char *log = NULL;
	size_t log_len = 0;
	for (unsigned i = 0; i < ROUNDS; i++) {
		uint64_t r = next_random(&w->seed);
		size_t n = request_size(r);
		unsigned char *p = malloc(n);
		memset(p, (int)(r & 0xff), n);
		w->checksum += p[n / 2] + n;
		unsigned slot = (unsigned)(r >> 32) % WORKING_SET;
		if (r & 0x10000) {
			free(set[slot]);
			set[slot] = p;
		} else if (r & 0x20000) {
			give(&workers[(w->id + 1) % THREADS], p);
		} else {
			free(p);
		}
		if (i % 1000 == 0) {
			log = realloc(log, log_len + 512);
			memset(log + log_len, 'x', 512);
			log_len += 512;
			if (log_len > (1u << 20)) {
				free(log);
				log = NULL;
				log_len = 0;
			}
		}
	}
	for (unsigned i = 0; i < WORKING_SET; i++)
		free(set[i]);
	free(set);
	free(log);
	return NULL;
}

int main(void) {
	pthread_t threads[THREADS];
	for (unsigned i = 0; i < THREADS; i++) {
		workers[i].id = i;
		workers[i].seed = 0x5eed + i;
		pthread_mutex_init(&workers[i].lock, NULL);
	}
	for (unsigned i = 0; i < THREADS; i++)
		pthread_create(&threads[i], NULL, work, &workers[i]);
	uint64_t total = 0;
	for (unsigned i = 0; i < THREADS; i++) {
		pthread_join(threads[i], NULL);
		total += workers[i].checksum;
	}
	for (unsigned i = 0; i < THREADS; i++)
		for (unsigned s = 0; s < 64; s++)
			free(workers[i].handoff[s]);
	printf("demo: %u threads x %u requests, checksum %llu\n", THREADS,
	       ROUNDS, (unsigned long long)total);
	return 0;
}
