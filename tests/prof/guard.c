/*
 * guard.c — the program guard.sh runs under libstrata.so with guarded
 * sampling on for every allocation (lg_guard_sample:0): one bad access
 * per mode, which must fault with the report, and a correct program
 * ("api") that must run to the end.  Built -O2 with -rdynamic, so the
 * report's dladdr names the site functions below.
 *   guard MODE   overflow | underflow | uaf | double_free | api
 */
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline))

/* Through a volatile pointer, so no call is elided. */
static void *(*volatile alloc_fn)(size_t) = malloc;
static void (*volatile free_fn)(void *) = free;

NOINLINE char *site_guard_alloc(size_t size) {
	char *p = alloc_fn(size);
	memset(p, 'a', size);
	return p;
}

NOINLINE void site_guard_free(char *p) {
	free_fn(p);
	__asm__ volatile("" ::: "memory"); /* no tail call: a frame of its own */
}

static int fail(const char *what) {
	printf("not ok - %s\n", what);
	return 1;
}

/* The block ends where its page does: the byte after it faults. */
static int is_at_page_end(const void *p) {
	uintptr_t end = (uintptr_t)p + malloc_usable_size((void *)p);
	return end % (uintptr_t)sysconf(_SC_PAGESIZE) == 0;
}

static int run_api(void) {
	int bad = 0;
	char *p = site_guard_alloc(64);
	if (!is_at_page_end(p) || malloc_usable_size(p) != 64)
		bad |= fail("malloc(64) is guarded at its page's end");
	char *q = realloc(p, 60); /* the same class (64): stays */
	if (q != p)
		bad |= fail("realloc within the class keeps the block");
	q = realloc(q, 3000);
	if (q == NULL || q[0] != 'a' || q[47] != 'a')
		bad |= fail("realloc to a larger class keeps the bytes");
	memset(q, 'b', malloc_usable_size(q));
	q = realloc(q, 100000); /* out of the pool (above a page) */
	if (q == NULL || q[0] != 'b' || q[2999] != 'b')
		bad |= fail("realloc out of the pool keeps the bytes");
	free(q);
	void *a = aligned_alloc(256, 100);
	if (a == NULL || (uintptr_t)a % 256 != 0 ||
	    malloc_usable_size(a) < 100)
		bad |= fail("aligned_alloc(256, 100) is aligned and usable");
	memset(a, 'c', malloc_usable_size(a));
	free(a);
	void *m = NULL;
	if (posix_memalign(&m, 64, 24) != 0 || (uintptr_t)m % 64 != 0)
		bad |= fail("posix_memalign(64) is aligned");
	free(m);
	/* More blocks than slots: freed slots come back (quarantine reused
	 * oldest first), dirty, and calloc still zeroes. */
	for (int round = 0; round < 3; round++) {
		char *blocks[200];
		for (int i = 0; i < 200; i++) {
			blocks[i] = calloc(1, 512);
			for (int k = 0; k < 512; k++)
				if (blocks[i][k] != 0) {
					bad |= fail("calloc zeroes a reused slot");
					break;
				}
			memset(blocks[i], 'd', 512);
		}
		for (int i = 0; i < 200; i++)
			free(blocks[i]);
	}
	if (!bad)
		printf("ok - api\n");
	return bad;
}

int main(int argc, char **argv) {
	const char *mode = argc > 1 ? argv[1] : "api";
	setvbuf(stdout, NULL, _IONBF, 0);
	if (strcmp(mode, "api") == 0)
		return run_api();
	char *volatile p;
	if (strcmp(mode, "overflow") == 0) {
		p = site_guard_alloc(64);
		p[64] = 'x'; /* one byte past the end */
	} else if (strcmp(mode, "underflow") == 0) {
		p = site_guard_alloc(4096);
		p[-1] = 'x';
	} else if (strcmp(mode, "uaf") == 0) {
		p = site_guard_alloc(64);
		site_guard_free(p);
		p[8] = 'x';
	} else if (strcmp(mode, "double_free") == 0) {
		p = site_guard_alloc(64);
		site_guard_free(p);
		site_guard_free(p);
	}
	printf("not ok - %s did not fault\n", mode);
	return 1;
}
