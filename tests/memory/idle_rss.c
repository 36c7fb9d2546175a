/*
 * idle_rss.c — memory goes back to the OS while the process is idle.
 *
 * Allocates about 1 GiB (or argv[1] MiB) of small and medium blocks,
 * touches them, frees them all, then makes no further allocator call and
 * watches VmRSS for argv[2] ms.  Prints the peak and the final RSS and
 * exits 0 when the final RSS is under argv[3] percent of the peak (or,
 * with a negative argv[3], when it stays above -argv[3] percent).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "rss.h"

int main(int argc, char **argv) {
	size_t total = (size_t)(argc > 1 ? atol(argv[1]) : 1024) << 20;
	long wait_ms = argc > 2 ? atol(argv[2]) : 3000;
	double bound = argc > 3 ? atof(argv[3]) : 5.0;
	size_t cap = total / 16 + 1, n = 0, bytes = 0;
	void **ptrs = malloc(cap * sizeof(void *));
	unsigned seed = 12345;
	while (bytes < total && n < cap) {
		seed = seed * 1103515245u + 12345u;
		size_t size = 16 + (seed >> 8) % 24000; /* small and medium */
		char *p = malloc(size);
		if (p == NULL)
			return 2;
		memset(p, 0x5a, size);
		ptrs[n++] = p;
		bytes += size;
	}
	long peak = rss_kib();
	for (size_t i = 0; i < n; i++)
		free(ptrs[i]);
	free(ptrs);
	/* From here on: no allocator call, only sleeping and reading. */
	long now = rss_kib(), waited = 0;
	for (; waited < wait_ms; waited += 100) {
		struct timespec ts = { 0, 100 * 1000000L };
		nanosleep(&ts, NULL);
		now = rss_kib();
		if (bound >= 0 && now * 100.0 < peak * bound)
			break;
	}
	double pct = 100.0 * (double)now / (double)peak;
	printf("peak %ld KiB, after %ld ms idle %ld KiB (%.1f%% of peak)\n",
	       peak, waited, now, pct);
	if (bound >= 0)
		return pct < bound ? 0 : 1;
	return pct > -bound ? 0 : 1;
}
