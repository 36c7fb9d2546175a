/*
 * stress.c — every size class up to 20 KiB through malloc, calloc,
 * realloc and free with a byte pattern checked before each free, run
 * under MALLOC_CONF=prof:true,lg_prof_sample:4 (wired.sh) so that most
 * blocks are sampled: a sampled small block (a run of whole pages) must
 * hold its whole class, keep its bytes across realloc and read as zero
 * from calloc.  Exits 1 on the first damaged byte.
 *
 * "stress names FILE": names the thread (thread.prof.name), allocates and
 * frees, and writes the recent ring to FILE (prof_recent.alloc_dump),
 * through jemalloc's mallctl as a jemalloc program would.
 *
 * "stress freed HELD FREED": blocks of every class up to 20 KiB, small and
 * large, all live, dumped to HELD (prof.dump); all freed and allocated
 * again (from the thread cache) and freed, then dumped to FREED: a
 * sampled block's free must reach the profiler, and a block reused after
 * it must not count.
 *
 * "stress twice FILE": frees a sampled small block twice; the second free
 * must be reported (the process aborts).  FILE: a dump (prof.dump) taken
 * while the block is held, to show it sampled.
 *
 * "stress inplace": a sampled large block is not resized in place by
 * xallocx (the profiler keeps the size it sampled); exits 1 if it is.
 *
 * Both want lg_prof_sample:0 (every allocation sampled) and first allocate
 * past the thread's first event (64 KiB), where its countdown starts.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define N 4096
static unsigned char *blk[N];
static size_t len[N];

static int check(int i) {
	for (size_t k = 0; k < len[i]; k++)
		if (blk[i][k] != (unsigned char)i) {
			printf("block %d byte %zu of %zu damaged\n", i, k, len[i]);
			return 1;
		}
	return 0;
}

typedef int mallctl_fn(const char *, void *, size_t *, void *, size_t);

static int recent_names(const char *file) {
	mallctl_fn *ctl = (mallctl_fn *)dlsym(RTLD_DEFAULT, "mallctl");
	const char *name = "stress-main";
	if (ctl == NULL ||
	    ctl("thread.prof.name", NULL, NULL, &name, sizeof name) != 0)
		return 1;
	for (int i = 0; i < 64; i++) {
		char *volatile p = malloc(4096);
		p[0] = 1;
		free(p);
	}
	return ctl("prof_recent.alloc_dump", NULL, NULL, &file, sizeof file);
}

static int freed_dumps(const char *held, const char *freed) {
	mallctl_fn *ctl = (mallctl_fn *)dlsym(RTLD_DEFAULT, "mallctl");
	if (ctl == NULL)
		return 1;
	for (int i = 0; i < N; i++) {
		len[i] = 1 + (size_t)i * 7 % 20480;
		blk[i] = malloc(len[i]);
		if (blk[i] == NULL)
			return 1;
		memset(blk[i], i & 0xff, len[i]);
	}
	if (ctl("prof.dump", NULL, NULL, &held, sizeof held) != 0)
		return 1;
	for (int r = 0; r < 2; r++)
		for (int i = 0; i < N; i++) {
			if (check(i))
				return 1;
			free(blk[i]);
			blk[i] = r == 0 ? malloc(len[i]) : NULL;
			if (r == 0 && blk[i] == NULL)
				return 1;
			if (r == 0)
				memset(blk[i], i & 0xff, len[i]);
		}
	return ctl("prof.dump", NULL, NULL, &freed, sizeof freed);
}

static void *(*volatile malloc_fn)(size_t) = malloc;
static void (*volatile free_fn)(void *) = free;

static void past_first_event(void) {
	for (int i = 0; i < 64; i++) {
		char *p = malloc_fn(4096);
		if (p != NULL)
			p[0] = 1;
		free_fn(p);
	}
}

static int free_twice(const char *dump) {
	mallctl_fn *ctl = (mallctl_fn *)dlsym(RTLD_DEFAULT, "mallctl");
	past_first_event();
	char *p = malloc_fn(48);
	if (ctl == NULL || p == NULL ||
	    ctl("prof.dump", NULL, NULL, &dump, sizeof dump) != 0)
		return 1;
	p[0] = 1;
	free_fn(p);
	free_fn(p);
	return 0; /* not reported */
}

typedef size_t xallocx_fn(void *, size_t, size_t, int);

static int sampled_not_resized(void) {
	xallocx_fn *xallocx = (xallocx_fn *)dlsym(RTLD_DEFAULT, "xallocx");
	past_first_event();
	unsigned char *p = malloc_fn(20000);
	if (xallocx == NULL || p == NULL)
		return 2;
	memset(p, 1, 20000);
	size_t usize = xallocx(p, 20000, 0, 0), grown = xallocx(p, 40000, 0, 0);
	printf("usable %zu, after xallocx to 40000: %zu\n", usize, grown);
	free_fn(p);
	return grown == usize ? 0 : 1;
}

int main(int argc, char **argv) {
	if (argc == 3 && strcmp(argv[1], "names") == 0)
		return recent_names(argv[2]);
	if (argc == 4 && strcmp(argv[1], "freed") == 0)
		return freed_dumps(argv[2], argv[3]);
	if (argc == 3 && strcmp(argv[1], "twice") == 0)
		return free_twice(argv[2]);
	if (argc == 2 && strcmp(argv[1], "inplace") == 0)
		return sampled_not_resized();
	srand(7);
	for (int r = 0; r < 12; r++) {
		for (int i = 0; i < N; i++) {
			if (blk[i] != NULL && check(i))
				return 1;
			size_t n = 1 + (size_t)rand() % 20480;
			switch (rand() % 3) {
			case 0:
				free(blk[i]);
				blk[i] = malloc(n);
				break;
			case 1: {
				unsigned char *p = realloc(blk[i], n);
				if (p == NULL)
					return 1;
				blk[i] = p;
				break;
			}
			default:
				free(blk[i]);
				blk[i] = calloc(1, n);
				for (size_t k = 0; k < n; k++)
					if (blk[i][k] != 0) {
						printf("calloc byte %zu not zero\n", k);
						return 1;
					}
			}
			if (blk[i] == NULL)
				return 1;
			len[i] = n;
			memset(blk[i], i & 0xff, n);
		}
		if (r == 6) { /* the child frees and allocates too */
			pid_t c = fork();
			if (c == 0) {
				for (int i = 0; i < N; i++)
					free(blk[i]);
				_exit(0);
			}
			int st;
			if (c < 0 || waitpid(c, &st, 0) != c || !WIFEXITED(st) ||
			    WEXITSTATUS(st) != 0)
				return 1;
		}
	}
	for (int i = 0; i < N; i++)
		if (check(i))
			return 1;
	puts("stress ok");
	return 0;
}
