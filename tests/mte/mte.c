/*
 * mte.c — the mte build's memory tagging, through libstrata.so under
 * qemu-aarch64 -cpu max: each memory error traps at the faulting access
 * with the si_code of the mode (the fault program, in a process of its
 * own), and correct programs see tags that are right: adjacent blocks
 * differ, a block from the thread cache carries its memory's tag, sizes
 * below a granule are a granule, resized blocks keep the tag on every
 * granule they own and none beyond.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "mte_tags.h"
#include "strata.h"

#ifndef SEGV_MTEAERR
#define SEGV_MTEAERR 8
#endif
#ifndef SEGV_MTESERR
#define SEGV_MTESERR 9
#endif

#define GRANULE 16u
#define CHUNK ((uintptr_t)2 << 20)

TestSuite(mte, .timeout = 120);

/* What the fault program printed and how it ended. */
typedef struct run {
	char out[512];
	int status;
} run_t;

static run_t run_fault(const char *what, const char *conf) {
	const char *prog = getenv("STRATA_MTE_FAULT");
	cr_assert_not_null(prog, "STRATA_MTE_FAULT not set (tests/mte)");
	int fds[2];
	cr_assert_eq(pipe(fds), 0);
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		dup2(fds[1], STDOUT_FILENO);
		close(fds[0]);
		close(fds[1]);
		if (conf != NULL)
			setenv("STRATA_CONF", conf, 1);
		else
			unsetenv("STRATA_CONF");
		execl(prog, prog, what, (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	run_t r = { .status = 0 };
	size_t n = 0;
	ssize_t got;
	while (n < sizeof(r.out) - 1 &&
	       (got = read(fds[0], r.out + n, sizeof(r.out) - 1 - n)) > 0)
		n += (size_t)got;
	r.out[n] = '\0';
	close(fds[0]);
	cr_assert_eq(waitpid(pid, &r.status, 0), pid);
	return r;
}

/* The program trapped with si_code code at the address it announced
 * (sync), or with no address (async). */
static void assert_trapped(const run_t *r, int code, bool at_access) {
	cr_assert(WIFEXITED(r->status) && WEXITSTATUS(r->status) == 3,
	          "no SIGSEGV: status %#x, said '%s'", r->status, r->out);
	unsigned long access = 0, addr = 1;
	int si_code = -1;
	const char *a = strstr(r->out, "access ");
	const char *s = strstr(r->out, "SIGSEGV ");
	cr_assert(a != NULL && s != NULL, "said '%s'", r->out);
	cr_assert_eq(sscanf(a, "access %lx", &access), 1);
	cr_assert_eq(sscanf(s, "SIGSEGV si_code %d addr %lx", &si_code, &addr),
	             2, "said '%s'", r->out);
	cr_assert_eq(si_code, code, "si_code %d, not %d: '%s'", si_code, code,
	             r->out);
	if (at_access)
		cr_assert_eq(addr, access, "faulted at %#lx, not at the access "
		             "%#lx", addr, access);
}

Test(mte, overflow_into_the_neighbours_first_granule_traps_sync) {
	run_t r = run_fault("overflow", NULL); /* the default: sync */
	assert_trapped(&r, SEGV_MTESERR, true);
}

Test(mte, read_after_free_traps_sync) {
	run_t r = run_fault("use_after_free", NULL);
	assert_trapped(&r, SEGV_MTESERR, true);
}

Test(mte, write_through_the_old_pointer_after_realloc_moved_traps_sync) {
	run_t r = run_fault("use_after_realloc", "mte:sync");
	assert_trapped(&r, SEGV_MTESERR, true);
}

Test(mte, async_mode_reports_SEGV_MTEAERR) {
	run_t r = run_fault("overflow", "mte:async");
	assert_trapped(&r, SEGV_MTEAERR, false);
	r = run_fault("use_after_free", "mte:async");
	assert_trapped(&r, SEGV_MTEAERR, false);
}

Test(mte, mte_off_runs_untagged) {
	run_t r = run_fault("overflow", "mte:off");
	cr_assert(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0,
	          "status %#x, said '%s'", r.status, r.out);
	cr_assert_not_null(strstr(r.out, "no fault"), "said '%s'", r.out);
}

/* Whether the granule at addr lies in the chunk of the block at base:
 * granules across a chunk boundary may not be mapped. */
static bool same_chunk(uintptr_t base, uintptr_t addr) {
	return base / CHUNK == addr / CHUNK;
}

Test(mte, adjacent_blocks_have_different_tags) {
	static const size_t sizes[] = { 16, 32, 48, 64, 80, 128, 256, 1024,
		                        4096 };
	enum { N = 200 };
	static void *blocks[N];
	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		size_t checked = 0;
		for (int i = 0; i < N; i++)
			blocks[i] = strata_malloc(sizes[s]);
		for (int i = 0; i < N; i++) {
			void *p = blocks[i];
			uintptr_t a = untagged(p);
			size_t usize = strata_malloc_usable_size(p);
			unsigned t = ptr_tag(p);
			cr_assert_neq(t, 0, "size %zu: block %p untagged",
			              sizes[s], p);
			cr_assert_eq(mem_tag(a), t, "%p: memory tag %u", p,
			             mem_tag(a));
			cr_assert_eq(mem_tag(a + usize - GRANULE), t,
			             "%p: last granule's tag %u", p,
			             mem_tag(a + usize - GRANULE));
			if (same_chunk(a, a - GRANULE)) {
				cr_assert_neq(mem_tag(a - GRANULE), t,
				              "%p: the granule before has its tag",
				              p);
				checked++;
			}
			if (same_chunk(a, a + usize)) {
				cr_assert_neq(mem_tag(a + usize), t,
				              "%p: the granule after has its tag",
				              p);
				checked++;
			}
		}
		cr_assert_gt(checked, N, "size %zu: too few neighbours seen",
		             sizes[s]);
		for (int i = 0; i < N; i++)
			strata_free(blocks[i]);
	}
}

Test(mte, a_block_from_the_thread_cache_carries_its_memorys_tag) {
	void *first = strata_malloc(48);
	uintptr_t a = untagged(first);
	strata_free(first);
	/* The freed block went back to tag 0. */
	cr_assert_eq(mem_tag(a), 0, "freed block kept tag %u", mem_tag(a));
	unsigned recycled = 0;
	for (int i = 0; i < 1000; i++) {
		char *volatile p = strata_malloc(48);
		recycled += untagged(p) == a;
		cr_assert_neq(ptr_tag(p), 0);
		for (size_t off = 0; off < 48; off += GRANULE)
			cr_assert_eq(mem_tag(untagged(p) + off), ptr_tag(p),
			             "%p + %zu: memory tag %u", (void *)p, off,
			             mem_tag(untagged(p) + off));
		memset(p, i, 48);
		strata_free(p);
	}
	cr_assert_eq(recycled, 1000, "the cache handed out another block");
}

Test(mte, sizes_below_a_granule_get_a_granule) {
	for (size_t size = 0; size <= 16; size++) {
		void *p = strata_malloc(size);
		cr_assert_eq(strata_malloc_usable_size(p), 16, "size %zu", size);
		cr_assert_eq(untagged(p) % GRANULE, 0);
		strata_free(p);
	}
}

Test(mte, blocks_beyond_mte_max_tagged_are_untagged) {
	char *volatile small = strata_malloc(512 << 10);
	char *volatile big = strata_malloc(4 << 20);
	cr_assert_neq(ptr_tag(small), 0, "512 KiB (below the 1 MiB default)");
	cr_assert_eq(ptr_tag(big), 0, "4 MiB is beyond the default bound");
	memset(small, 1, 512 << 10);
	memset(big, 1, 4 << 20);
	strata_free(small);
	strata_free(big);
}

/* Every granule of the block at p carries p's tag. */
static void assert_tagged_whole(const void *p) {
	size_t usize = strata_malloc_usable_size(p);
	for (size_t off = 0; off < usize; off += GRANULE)
		cr_assert_eq(mem_tag(untagged(p) + off), ptr_tag(p),
		             "%p + %zu of %zu: tag %u", p, off, usize,
		             mem_tag(untagged(p) + off));
}

Test(mte, realloc_and_xallocx_in_place_keep_the_tags_right) {
	char *volatile p = strata_malloc(20000);
	memset(p, 7, 20000);
	char *volatile guard = strata_malloc(100000); /* keeps the chunk */
	char *volatile q = strata_realloc(p, 60000);
	cr_assert_not_null(q);
	memset(q, 8, strata_malloc_usable_size(q));
	assert_tagged_whole(q);
	size_t before = strata_malloc_usable_size(q);
	char *volatile r = strata_realloc(q, 17000);
	size_t after = strata_malloc_usable_size(r);
	memset(r, 9, after);
	assert_tagged_whole(r);
	if (untagged(r) == untagged(q) && after < before)
		for (size_t off = after; off < before; off += 4096)
			cr_assert_neq(mem_tag(untagged(r) + off), ptr_tag(r),
			              "the shrunk tail kept the tag");
	size_t grown = strata_xallocx(r, 40000, 0, 0);
	memset(r, 10, grown);
	assert_tagged_whole(r);
	/* Other blocks may take the tail given back; writing them is fine. */
	char *volatile other = strata_malloc(20000);
	memset(other, 11, 20000);
	strata_free(other);
	strata_free(r);
	strata_free(guard);
}

Test(mte, calloc_aligned_and_zeroing_flags_hand_out_tagged_blocks) {
	for (int i = 0; i < 50; i++) {
		unsigned char *volatile c = strata_calloc(10, 100);
		for (int j = 0; j < 1000; j++)
			cr_assert_eq(c[j], 0);
		assert_tagged_whole(c);
		memset(c, 0xff, 1000);
		strata_free(c);
		void *a = strata_aligned_alloc(256, 512);
		cr_assert_eq(untagged(a) % 256, 0);
		assert_tagged_whole(a);
		memset(a, 1, 512);
		strata_free(a);
		/* Aligned beyond a chunk: a mapping of its own, whose
		 * neighbours are not looked at (they may be unmapped). */
		char *volatile h = strata_aligned_alloc(4 << 20, 4096);
		cr_assert_eq(untagged(h) % (4 << 20), 0);
		assert_tagged_whole(h);
		memset(h, 1, 4096);
		strata_free(h);
		unsigned char *volatile z = strata_mallocx(64,
		                                         STRATA_MALLOCX_ZERO);
		for (int j = 0; j < 64; j++)
			cr_assert_eq(z[j], 0);
		assert_tagged_whole(z);
		memset(z, 0xff, 64);
		strata_free(z);
	}
}
