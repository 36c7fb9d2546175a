/*
 * memkind_alignment.c — the memkind backend refuses a chunk memkind hands
 * back misaligned (1.14 has been seen to return 4 KiB-aligned memory near
 * a bounded pool's end): reserve fails with ENOMEM, the chunk goes back
 * to memkind, and the next aligned one is served.  The backend is linked
 * in directly; memkind_posix_memalign and memkind_free are wrapped here
 * (the executable's definitions win) to shift one result by a page.
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <dlfcn.h>
#include <errno.h>
#include <memkind.h>
#include <stdint.h>
#include <string.h>

#include "backend.h"

static int misalign_next;       /* shift the next result by a page */
static void *shifted, *original; /* what was handed out, what it hides */
static int shifted_frees;

int memkind_posix_memalign(memkind_t kind, void **memptr, size_t alignment,
                           size_t size) {
	static int (*real)(memkind_t, void **, size_t, size_t);
	if (real == NULL)
		real = (int (*)(memkind_t, void **, size_t, size_t))dlsym(
		    RTLD_NEXT, "memkind_posix_memalign");
	if (!misalign_next)
		return real(kind, memptr, alignment, size);
	misalign_next = 0;
	int rc = real(kind, &original, alignment, size + 4096);
	if (rc != 0)
		return rc;
	shifted = (char *)original + 4096;
	*memptr = shifted;
	return 0;
}

void memkind_free(memkind_t kind, void *ptr) {
	static void (*real)(memkind_t, void *);
	if (real == NULL)
		real = (void (*)(memkind_t, void *))dlsym(RTLD_NEXT,
		                                           "memkind_free");
	if (ptr != NULL && ptr == shifted) {
		shifted_frees++;
		shifted = NULL;
		ptr = original;
	}
	real(kind, ptr);
}

static backend_info_t info;
static void setup(void) { cr_assert_eq(backend_default.init(&info), 0); }
TestSuite(memkind_alignment, .init = setup, .timeout = 60);

Test(memkind_alignment, a_misaligned_chunk_is_refused_and_given_back) {
	const backend_placement_t any = { .tier = STRATA_TIER_DEFAULT,
		                          .node = STRATA_NODE_ANY };
	size_t chunk = (size_t)2 << 20;
	void *p = NULL;
	backend_region_t id;
	misalign_next = 1;
	cr_assert_eq(backend_default.reserve(chunk, chunk, &any, &p, &id),
	             ENOMEM);
	cr_assert_null(p, "nothing handed out");
	cr_assert_eq(shifted_frees, 1, "the misaligned chunk went back");
	cr_assert_eq(backend_default.reserve(chunk, chunk, &any, &p, &id), 0);
	cr_assert_eq((uintptr_t)p & (chunk - 1), 0);
	memset(p, 0x5c, chunk);
	cr_assert_eq(backend_default.unmap(p, chunk, id), 0);
}
