/*
 * vg.h — what strata tells valgrind's memcheck about blocks (meson
 * -Dvalgrind=true; see docs/debugging.md).
 *
 * Run under memcheck with --soname-synonyms=somalloc=nouserintercepts,
 * memcheck does not replace strata's malloc; instead the entry points in
 * api.c announce each block with client requests: a block handed out is
 * MALLOCLIKE for the size the caller asked for, and the rest of its size
 * class (the slack) is NOACCESS, so an overflow into it is reported; a
 * block given back is FREELIKE (NOACCESS from then on, in a thread cache
 * or in a slab alike), so a use after free or a second free is reported.
 * Whatever strata itself writes into a block (calloc's zeroing) is done
 * after the block is announced.
 *
 * In the default build every helper is an empty inline function and
 * STRATA_VALGRIND is 0: the fast paths compile to the same instructions
 * (the callgrind guard checks it).
 */
#ifndef STRATA_VG_H
#define STRATA_VG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "util.h"

#ifndef STRATA_VALGRIND
#define STRATA_VALGRIND 0
#endif

#if STRATA_VALGRIND
#include <valgrind/memcheck.h>

/* A block of usable bytes becomes the program's, size of them asked for;
 * is_zeroed: it must read as zeros (strata writes them now).  Returns p. */
static inline void *vg_alloc(void *p, size_t size, size_t usable,
                             bool is_zeroed) {
	if (p == NULL)
		return p;
	VALGRIND_MAKE_MEM_NOACCESS(p, usable);
	VALGRIND_MALLOCLIKE_BLOCK(p, size, 0, is_zeroed);
	if (is_zeroed)
		memset(p, 0, size);
	return p;
}

/* The program gives p back (NULL: nothing). */
static inline void vg_free(const void *p) {
	if (p != NULL)
		VALGRIND_FREELIKE_BLOCK(p, 0);
}

/* The size memcheck knows for a live block of usable bytes: where its
 * addressable bytes end (the probe reports nothing itself). */
static inline size_t vg_size(const void *p, size_t usable) {
	if (p == NULL || RUNNING_ON_VALGRIND == 0)
		return usable;
	VALGRIND_DISABLE_ERROR_REPORTING;
	uintptr_t bad = (uintptr_t)VALGRIND_CHECK_MEM_IS_ADDRESSABLE(p, usable);
	VALGRIND_ENABLE_ERROR_REPORTING;
	return bad == 0 ? usable : (size_t)(bad - (uintptr_t)p);
}

/* Before strata copies a whole block of usable bytes (realloc): its slack
 * reads as undefined instead of unaddressable. */
static inline void vg_open_slack(void *p, size_t usable) {
	size_t size = vg_size(p, usable);
	VALGRIND_MAKE_MEM_UNDEFINED((char *)p + size, usable - size);
}

/* strata itself fills n bytes of a block the program does not hold (junk
 * and zero fills, before vg_alloc or after vg_free): the write is the
 * allocator's, and the bytes stay unaddressable to the program. */
static inline void vg_fill(void *p, int byte, size_t n) {
	VALGRIND_MAKE_MEM_UNDEFINED(p, n);
	memset(p, byte, n);
	VALGRIND_MAKE_MEM_NOACCESS(p, n);
}

#else

static ALWAYS_INLINE void *vg_alloc(void *p, size_t size, size_t usable,
                                    bool is_zeroed) {
	(void)size, (void)usable, (void)is_zeroed;
	return p;
}
static ALWAYS_INLINE void vg_free(const void *p) { (void)p; }
static ALWAYS_INLINE size_t vg_size(const void *p, size_t usable) {
	(void)p;
	return usable;
}
static ALWAYS_INLINE void vg_open_slack(void *p, size_t usable) {
	(void)p, (void)usable;
}
static ALWAYS_INLINE void vg_fill(void *p, int byte, size_t n) {
	memset(p, byte, n);
}

#endif

#endif
