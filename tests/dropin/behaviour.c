/*
 * behaviour.c — libstrata.so as the process's malloc: glibc's obsolete
 * aligned functions (memalign, valloc, pvalloc), the errno values of the
 * standard ones, and the awkward moments: before main (a constructor),
 * inside a thread's exit (a pthread key destructor), and fork() in a
 * threaded program.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "strata.h"

/* C23 names; older C libraries do not declare them. */
void free_sized(void *ptr, size_t size);
void free_aligned_sized(void *ptr, size_t alignment, size_t size);

TestSuite(behaviour, .timeout = 60);

/* Opaque to the compiler, so it neither folds nor warns. */
static volatile size_t size_max = SIZE_MAX;
/* Calls the compiler cannot remove: a malloc/free pair whose block is not
 * used is otherwise elided at -O1 and above (without -fno-builtin). */
static void *(*volatile const malloc_v)(size_t) = malloc;
static void *(*volatile const calloc_v)(size_t, size_t) = calloc;
static void *(*volatile const aligned_alloc_v)(size_t, size_t) = aligned_alloc;
static void (*volatile const free_v)(void *) = free;
/* A block stored here has escaped: writing it and freeing it is kept. */
static void *volatile block_sink;

static size_t page(void) { return (size_t)sysconf(_SC_PAGESIZE); }

/* ---- before main ---- */

static int constructor_result = -1;

/* Runs before Criterion's main; nothing has called malloc through strata
 * on purpose yet. */
__attribute__((constructor(101))) static void allocate_before_main(void) {
	int ok = 1;
	for (size_t size = 1; size <= ((size_t)4 << 20); size *= 3) {
		char *p = malloc(size);
		if (p == NULL || strata_malloc_usable_size(p) < size) {
			ok = 0;
			break;
		}
		memset(p, 0x3c, size);
		block_sink = p;
		free(p);
	}
	char *z = calloc(100, 10);
	for (size_t i = 0; z != NULL && i < 1000; i++)
		if (z[i] != 0)
			ok = 0;
	free(z);
	void *a = NULL;
	if (z == NULL || posix_memalign(&a, 4096, 100) != 0 ||
	    (uintptr_t)a % 4096 != 0)
		ok = 0;
	free(a);
	constructor_result = ok;
}

Test(behaviour, malloc_in_a_constructor_before_main_works) {
	cr_assert_eq(constructor_result, 1, "constructor allocation %s",
	             constructor_result < 0 ? "never ran" : "failed");
}

/* ---- memalign, valloc, pvalloc ---- */

Test(behaviour, memalign_aligns_every_power_of_two) {
	for (unsigned lg = 0; lg <= 21; lg++) {
		size_t align = (size_t)1 << lg;
		size_t sizes[] = { 1, align, 3 * align + 1 };
		for (unsigned k = 0; k < 3; k++) {
			char *p = memalign(align, sizes[k]);
			cr_assert_not_null(p, "memalign(%zu, %zu)", align,
			                   sizes[k]);
			cr_assert_eq((uintptr_t)p % align, 0);
			cr_assert_geq(malloc_usable_size(p), sizes[k]);
			memset(p, 0x11, sizes[k]);
			free(p);
		}
	}
}

/* glibc rounds an alignment that is not a power of two up to one. */
Test(behaviour, memalign_rounds_other_alignments_up) {
	size_t aligns[] = { 3, 24, 48, 100, 1000, 3000, 5000 };
	for (unsigned i = 0; i < sizeof(aligns) / sizeof(*aligns); i++) {
		size_t want = 1;
		while (want < aligns[i])
			want <<= 1;
		char *p = memalign(aligns[i], 100);
		cr_assert_not_null(p, "memalign(%zu)", aligns[i]);
		cr_assert_eq((uintptr_t)p % want, 0, "memalign(%zu) = %p",
		             aligns[i], (void *)p);
		free(p);
	}
}

Test(behaviour, valloc_returns_page_aligned_blocks) {
	size_t sizes[] = { 1, 100, page() - 1, page(), page() + 1,
		           10 * page(), (size_t)3 << 20 };
	for (unsigned i = 0; i < sizeof(sizes) / sizeof(*sizes); i++) {
		char *p = valloc(sizes[i]);
		cr_assert_not_null(p, "valloc(%zu)", sizes[i]);
		cr_assert_eq((uintptr_t)p % page(), 0, "valloc(%zu) = %p",
		             sizes[i], (void *)p);
		cr_assert_geq(malloc_usable_size(p), sizes[i]);
		memset(p, 0x22, sizes[i]);
		free(p);
	}
}

/* Disabled: a zero size with an alignment above 8 is served from the 8-byte
 * class, unaligned (core/api.c class_for rounds 0 up to the alignment, which
 * stays 0); enable once that is fixed. */
Test(behaviour, zero_sized_aligned_requests_are_aligned) {
	for (unsigned lg = 4; lg <= 21; lg++) {
		size_t align = (size_t)1 << lg;
		void *p[4] = { memalign(align, 0), aligned_alloc(align, 0),
			       NULL, valloc(0) };
		cr_assert_eq(posix_memalign(&p[2], align, 0), 0);
		for (unsigned k = 0; k < 4; k++) {
			size_t want = k == 3 ? page() : align;
			cr_assert_not_null(p[k]);
			cr_assert_eq((uintptr_t)p[k] % want, 0,
			             "call %u, align %zu: %p", k, want, p[k]);
			free(p[k]);
		}
	}
}

Test(behaviour, pvalloc_rounds_the_size_up_to_whole_pages) {
	size_t sizes[] = { 0, 1, 100, page() - 1, page(), page() + 1,
		           10 * page() + 7, (size_t)3 << 20 };
	for (unsigned i = 0; i < sizeof(sizes) / sizeof(*sizes); i++) {
		size_t n = sizes[i] == 0 ? 1 : sizes[i];
		size_t whole = (n + page() - 1) / page() * page();
		char *p = pvalloc(sizes[i]);
		cr_assert_not_null(p, "pvalloc(%zu)", sizes[i]);
		cr_assert_eq((uintptr_t)p % page(), 0, "pvalloc(%zu) = %p",
		             sizes[i], (void *)p);
		cr_assert_geq(malloc_usable_size(p), whole, "pvalloc(%zu)",
		              sizes[i]);
		memset(p, 0x33, whole);
		free(p);
	}
	errno = 0;
	cr_assert_null(pvalloc(size_max));
	cr_assert_eq(errno, ENOMEM);
}

Test(behaviour, posix_memalign_aligns_and_reports_errors) {
	for (unsigned lg = 3; lg <= 21; lg++) {
		void *p = NULL;
		cr_assert_eq(posix_memalign(&p, (size_t)1 << lg, 1000), 0);
		cr_assert_eq((uintptr_t)p % ((size_t)1 << lg), 0);
		free(p);
	}
	void *const sentinel = (void *)(uintptr_t)0x1234;
	size_t bad[] = { 0, 1, 2, 4, 12, 24, 4097 };
	for (unsigned i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		void *p = sentinel;
		cr_assert_eq(posix_memalign(&p, bad[i], 64), EINVAL,
		             "align %zu", bad[i]);
		cr_assert_eq(p, sentinel);
	}
	void *p = sentinel;
	cr_assert_eq(posix_memalign(&p, 64, size_max), ENOMEM);
	cr_assert_eq(p, sentinel);
}

Test(behaviour, standard_functions_set_the_errno_the_standard_names) {
	errno = 0;
	cr_assert_null(malloc_v(size_max));
	cr_assert_eq(errno, ENOMEM);
	errno = 0;
	cr_assert_null(calloc_v(size_max / 2 + 1, 2));
	cr_assert_eq(errno, ENOMEM);
	errno = 0;
	size_t volatile not_pow2 = 24; /* volatile: clang rejects the literal */
	cr_assert_null(aligned_alloc_v(not_pow2, 48));
	cr_assert_eq(errno, EINVAL);
	errno = 0;
	cr_assert_null(memalign(size_max / 2 + 2, 16));
	cr_assert_eq(errno, EINVAL);
	char *volatile p = malloc(64);
	memset(p, 0x44, 64);
	errno = 0;
	cr_assert_null(realloc(p, size_max));
	cr_assert_eq(errno, ENOMEM);
	errno = 0;
	cr_assert_null(reallocarray(p, size_max / 2 + 1, 2));
	cr_assert_eq(errno, ENOMEM);
	for (unsigned i = 0; i < 64; i++)
		cr_assert_eq((unsigned char)p[i], 0x44);
	free(p);
	/* success leaves errno alone */
	errno = 777;
	free_v(malloc_v(10));
	free_v(calloc_v(3, 3));
	cr_assert_eq(errno, 777);
}

Test(behaviour, free_sized_and_free_aligned_sized_accept_the_true_sizes) {
	for (size_t size = 1; size <= ((size_t)4 << 20); size = size * 2 + 1) {
		free_sized(malloc(size), size);
		free_aligned_sized(aligned_alloc(64, (size + 63) & ~(size_t)63),
		                   64, (size + 63) & ~(size_t)63);
	}
	free_sized(NULL, 10);
}

/* ---- thread exit ---- */

static pthread_key_t exit_key;
static atomic_uint destructor_runs, destructor_failures;

/* Frees the block it was given; on the first round allocates another and
 * installs it, so that it runs again (glibc repeats destructors while
 * values are set). */
static void allocate_at_thread_exit(void *value) {
	char *p = value;
	for (unsigned i = 0; i < 64; i++)
		if ((unsigned char)p[i] != 0x55)
			atomic_fetch_add(&destructor_failures, 1);
	free(p);
	unsigned run = atomic_fetch_add(&destructor_runs, 1);
	for (size_t size = 8; size <= ((size_t)1 << 20); size *= 4) {
		void *q = malloc(size);
		if (q == NULL)
			atomic_fetch_add(&destructor_failures, 1);
		else
			memset(q, 1, size);
		block_sink = q;
		free(q);
	}
	if (run % 2 == 0) {
		char *again = malloc(64);
		memset(again, 0x55, 64);
		pthread_setspecific(exit_key, again);
	}
}

static void *thread_with_key(void *arg) {
	(void)arg;
	for (unsigned i = 0; i < 100; i++)
		free_v(malloc_v(i * 100 + 1));
	char *p = malloc(64);
	memset(p, 0x55, 64);
	pthread_setspecific(exit_key, p);
	return NULL;
}

Test(behaviour, malloc_inside_a_thread_exit_destructor_works) {
	cr_assert_eq(pthread_key_create(&exit_key, allocate_at_thread_exit), 0);
	for (unsigned i = 0; i < 50; i++) {
		pthread_t t;
		cr_assert_eq(pthread_create(&t, NULL, thread_with_key, NULL), 0);
		cr_assert_eq(pthread_join(t, NULL), 0);
	}
	cr_assert_eq(atomic_load(&destructor_runs), 100);
	cr_assert_eq(atomic_load(&destructor_failures), 0);
}

/* ---- fork ---- */

static atomic_bool stop_workers;

static void *allocate_until_stopped(void *arg) {
	unsigned s = (unsigned)(uintptr_t)arg;
	void *ring[32] = { 0 };
	for (unsigned i = 0; !atomic_load(&stop_workers); i++) {
		void **slot = &ring[i % 32];
		free(*slot);
		s = s * 1103515245u + 12345u;
		size_t size = (s >> 8) % 64 == 0 ? (s >> 4) % (1 << 20)
		                                 : (s >> 4) % 2048;
		*slot = malloc(size + 1);
	}
	for (unsigned k = 0; k < 32; k++)
		free(ring[k]);
	return NULL;
}

static void *child_thread(void *arg) {
	(void)arg;
	for (unsigned i = 0; i < 1000; i++)
		free_v(malloc_v(i * 37 + 1));
	return NULL;
}

/* The child uses the allocator directly and through libc. */
static int child_work(void) {
	for (size_t size = 1; size <= ((size_t)4 << 20); size = size * 2 + 3) {
		char *p = malloc(size);
		if (p == NULL)
			return 2;
		memset(p, 0x66, size);
		block_sink = p;
		free(p);
	}
	char *s = strdup("after fork");
	FILE *f = fopen("/dev/null", "w");
	if (s == NULL || f == NULL || fprintf(f, "%s %d\n", s, 1) <= 0)
		return 3;
	fclose(f);
	free(s);
	pthread_t t;
	if (pthread_create(&t, NULL, child_thread, NULL) != 0 ||
	    pthread_join(t, NULL) != 0)
		return 4;
	return 0;
}

static int wait_with_deadline(pid_t pid, unsigned seconds) {
	struct timespec nap = { 0, 10 * 1000 * 1000 };
	for (unsigned waited = 0; waited < seconds * 100; waited++) {
		int status;
		pid_t r = waitpid(pid, &status, WNOHANG);
		if (r == pid)
			return status;
		if (r == -1)
			return -2;
		nanosleep(&nap, NULL);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return -1;
}

Test(behaviour, fork_in_a_threaded_program_leaves_a_working_child) {
	enum { WORKERS = 4, FORKS = 20 };
	pthread_t t[WORKERS];
	atomic_store(&stop_workers, false);
	for (unsigned i = 0; i < WORKERS; i++)
		cr_assert_eq(pthread_create(&t[i], NULL, allocate_until_stopped,
		                            (void *)(uintptr_t)(i + 1)), 0);
	for (unsigned f = 0; f < FORKS; f++) {
		fflush(NULL);
		pid_t pid = fork();
		cr_assert_neq(pid, -1);
		if (pid == 0)
			_exit(child_work());
		int status = wait_with_deadline(pid, 10);
		cr_assert_neq(status, -1, "fork %u: child hung", f);
		cr_assert(status >= 0 && WIFEXITED(status) &&
		          WEXITSTATUS(status) == 0,
		          "fork %u: child status 0x%x", f, status);
	}
	atomic_store(&stop_workers, true);
	for (unsigned i = 0; i < WORKERS; i++)
		pthread_join(t[i], NULL);
}
