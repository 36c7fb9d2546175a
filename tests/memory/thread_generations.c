/*
 * thread_generations.c — a thread that exits leaves nothing behind that
 * the next thread cannot use.
 *
 * argv[1] generations of one thread each; every thread allocates
 * argv[2] MiB of blocks of 8 B .. 256 KiB, writes them, frees them all
 * and exits.  Decay is set long (the test's STRATA_CONF), so what a
 * thread freed stays resident in strata: the next generation must reuse
 * it rather than take fresh memory.  Exits 0 when the RSS after every
 * generation stays under twice what one thread allocates (with every
 * generation on a fresh arena it grows by about that much each time).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rss.h"

static size_t mib_per_thread;

static void *generation(void *arg) {
	unsigned seed = (unsigned)(size_t)arg * 2654435761u + 1;
	size_t total = mib_per_thread << 20, cap = total / 8 + 1, n = 0;
	size_t bytes = 0;
	char **ptrs = malloc(cap * sizeof(*ptrs));
	if (ptrs == NULL)
		return "malloc failed";
	while (bytes < total && n < cap) {
		seed = seed * 1103515245u + 12345u;
		size_t size = (size_t)8 << ((seed >> 8) % 16); /* 8 B .. 256 KiB */
		char *p = malloc(size);
		if (p == NULL)
			return "malloc failed";
		memset(p, 0x5a, size);
		ptrs[n++] = p;
		bytes += size;
	}
	for (size_t i = 0; i < n; i++)
		free(ptrs[i]);
	free(ptrs);
	return NULL;
}

int main(int argc, char **argv) {
	long generations = argc > 1 ? atol(argv[1]) : 16;
	mib_per_thread = argc > 2 ? (size_t)atol(argv[2]) : 32;
	if (generations < 2 || mib_per_thread < 1) {
		fprintf(stderr, "usage: thread_generations GENERATIONS MIB\n");
		return 2;
	}
	long first = 0, last = 0, most = 0;
	for (long g = 0; g < generations; g++) {
		pthread_t t;
		void *err = NULL;
		if (pthread_create(&t, NULL, generation, (void *)(size_t)g) != 0 ||
		    pthread_join(t, &err) != 0 || err != NULL) {
			fprintf(stderr, "generation %ld: %s\n", g,
			        err != NULL ? (char *)err : "thread failed");
			return 2;
		}
		last = rss_kib();
		if (g == 0)
			first = last;
		most = last > most ? last : most;
	}
	long bound = (long)(2 * mib_per_thread) << 10;
	printf("RSS after 1 generation %ld KiB, after %ld: %ld KiB, at most "
	       "%ld KiB (bound %ld KiB)\n", first, generations, last, most,
	       bound);
	return most < bound ? 0 : 1;
}
