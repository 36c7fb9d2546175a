/*
 * limits.c — the memory limit and the address-space limit hold, run on
 * the LD_PRELOAD library with the STRATA_CONF the test sets.
 *   limits huge-cache   (mem_limit_hard:300m) a 200 MiB block freed in one
 *       arena's huge cache, another live in a second arena: a third
 *       200 MiB block is refused.
 *   limits other-arena  (mem_limit_hard:64m) a thread frees 56 MiB (dirty
 *       in its arena); 40 KiB of small blocks in another thread's arena
 *       are served.
 *   limits threads N    (mem_limit_hard:64m) N threads allocate large
 *       blocks until refused: the live total plus the metadata (read
 *       through mallctl stats.metadata) never passes the limit.
 *   limits rlimit-as    under RLIMIT_AS 1000000 KiB (set in a child) fill
 *       1 GiB with 300 KB blocks, free them all: malloc(3 MiB) is served.
 * Exits 0 when the property holds.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <malloc.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#define MIB ((size_t)1 << 20)

static void *volatile sink;

static void *hold_200(void *arg) {
	(void)arg;
	char *p = malloc(200 * MIB);
	if (p != NULL)
		memset(p, 1, 200 * MIB);
	return p;
}

static int huge_cache(void) {
	char *a = malloc(200 * MIB);
	if (a == NULL)
		return 2;
	memset(a, 1, 200 * MIB);
	free(a); /* cached in this thread's arena */
	pthread_t t;
	void *b;
	pthread_create(&t, NULL, hold_200, NULL);
	pthread_join(t, &b);
	if (b == NULL)
		return 3;
	char *c = malloc(200 * MIB);
	printf("200 MiB live, second 200 MiB under 300 MiB: %s\n",
	       c == NULL ? "refused" : "SERVED");
	if (c != NULL)
		memset(c, 1, 200 * MIB);
	sink = c;
	return c == NULL ? 0 : 1;
}

static void *burst_and_free(void *arg) {
	(void)arg;
	enum { N = 56 * 4 };
	void *p[N];
	for (int i = 0; i < N; i++) {
		p[i] = malloc(MIB / 4 - 4096);
		if (p[i] != NULL)
			memset(p[i], 1, MIB / 4 - 4096);
	}
	for (int i = 0; i < N; i++)
		free(p[i]);
	return NULL;
}

static void *small_40k(void *arg) {
	(void)arg;
	for (int i = 0; i < 40 * 1024 / 64; i++) {
		char *p = malloc(64);
		if (p == NULL)
			return (void *)1;
		memset(p, 2, 64);
		sink = p;
	}
	return NULL;
}

static int other_arena(void) {
	pthread_t t;
	pthread_create(&t, NULL, burst_and_free, NULL);
	pthread_join(t, NULL);
	/* Filling most of the rest from here, then 40 KiB small. */
	size_t got = 0;
	while (got < 6 * MIB) {
		char *p = malloc(MIB / 2);
		if (p == NULL)
			break;
		memset(p, 3, MIB / 2);
		got += MIB / 2;
	}
	void *r;
	pthread_create(&t, NULL, small_40k, NULL);
	pthread_join(t, &r);
	printf("40 KiB small after another arena's 56 MiB freed: %s\n",
	       r == NULL ? "served" : "REFUSED");
	return r == NULL ? 0 : 1;
}

static size_t limit_bytes = 64 * MIB;
static pthread_barrier_t start;

static void *fill(void *arg) {
	size_t *total = arg;
	unsigned seed = (unsigned)(size_t)arg;
	pthread_barrier_wait(&start);
	for (;;) {
		seed = seed * 1103515245u + 12345u;
		size_t size = 20000 + (seed >> 8) % (600 * 1024);
		char *p = malloc(size);
		if (p == NULL)
			break;
		p[0] = 1;
		*total += malloc_usable_size(p);
	}
	return NULL;
}

static int threads(int n) {
	size_t totals[16] = { 0 };
	pthread_t t[16];
	pthread_barrier_init(&start, NULL, (unsigned)n);
	for (int i = 0; i < n; i++)
		pthread_create(&t[i], NULL, fill, &totals[i]);
	size_t sum = 0;
	for (int i = 0; i < n; i++) {
		pthread_join(t[i], NULL);
		sum += totals[i];
	}
	int (*ctl)(const char *, void *, size_t *, void *, size_t) =
	    (int (*)(const char *, void *, size_t *, void *, size_t))dlsym(
	        RTLD_DEFAULT, "mallctl");
	size_t meta = 0, len = sizeof(meta);
	uint64_t epoch = 1;
	if (ctl == NULL || ctl("epoch", NULL, NULL, &epoch, sizeof(epoch)) != 0 ||
	    ctl("stats.metadata", &meta, &len, NULL, 0) != 0)
		return 4;
	printf("%d threads: %zu KiB live + %zu KiB metadata under a %zu KiB "
	       "limit\n", n, sum >> 10, meta >> 10, limit_bytes >> 10);
	return sum + meta <= limit_bytes &&
	               sum + meta >= limit_bytes - 12 * MIB ? 0 : 1;
}

static int rlimit_as(void) {
	pid_t pid = fork();
	if (pid == 0) {
		struct rlimit rl = { 1000000ul * 1024, 1000000ul * 1024 };
		if (setrlimit(RLIMIT_AS, &rl) != 0)
			_exit(4);
		enum { N = 1024 * 1024 / 300 + 1 };
		static void *p[N];
		int n = 0;
		while (n < N && (p[n] = malloc(300 * 1000)) != NULL)
			memset(p[n++], 5, 4096);
		for (int i = 0; i < n; i++)
			free(p[i]);
		char *big = malloc(3 * MIB);
		printf("%d blocks of 300 KB, freed; malloc(3 MiB): %s\n", n,
		       big == NULL ? "FAILED" : "served");
		fflush(stdout);
		if (big != NULL)
			memset(big, 6, 3 * MIB);
		_exit(big != NULL ? 0 : 1);
	}
	int st = 0;
	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 5;
}

int main(int argc, char **argv) {
	const char *mode = argc > 1 ? argv[1] : "";
	if (strcmp(mode, "huge-cache") == 0)
		return huge_cache();
	if (strcmp(mode, "other-arena") == 0)
		return other_arena();
	if (strcmp(mode, "threads") == 0)
		return threads(argc > 2 ? atoi(argv[2]) : 4);
	if (strcmp(mode, "rlimit-as") == 0)
		return rlimit_as();
	fprintf(stderr, "usage: limits huge-cache|other-arena|threads N|rlimit-as\n");
	return 2;
}
