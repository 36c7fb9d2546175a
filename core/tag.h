/*
 * tag.h — pointer and memory tags (AArch64 MTE) behind a compile-time
 * switch: the only architecture #if of the core.
 *
 * Builds without STRATA_MTE compile every function here to nothing (the
 * identity on pointers, no code for the memory operations), so api.c can
 * call them unconditionally at zero cost; the callgrind fast-path guard
 * (tests/perf) holds that.
 *
 * The pointer boundary.  core/api.c is the only file that sees tagged
 * pointers: each entry point strips the tag once (tag_strip) and passes
 * the untagged address down; tcache, arena, slab, extent and the pagemap
 * only ever hold untagged addresses, and pagemap_lookup strips again as a
 * guard.  The thread cache therefore stores untagged addresses, and the
 * tag reaches the pointer malloc returns like this (the decision):
 *   - allocation: api.c gives the block a fresh tag on the way out —
 *     tag_block_alloc picks a random tag excluding the one the block
 *     carried while free, sets it on the block's granules and returns the
 *     tagged pointer;
 *   - free: api.c strips the pointer, and tag_block_free retags the block
 *     with another random tag before the address goes to the cache, so a
 *     stale pointer (the old tag) traps on use and a free of it is caught
 *     by the pagemap lookup and the bitmap as today;
 *   - realloc in place keeps the pointer's tag and tags the grown tail
 *     with it (tag_set_range).
 * So a cache hit costs, in an MTE build, one tag pick and the granule
 * stores of the block on each side, and nothing in other builds.  Lower
 * layers never write block memory through their untagged addresses while
 * the block is tagged, with one exception left to the MTE build: zeroing
 * on allocation (arena.c's zero paths, before api.c tags the block) must
 * then be done by tag_block_alloc with zeroing tag stores (STZG).
 *
 * Granules are TAG_GRANULE_BYTES; every block strata hands out starts on
 * a granule and its usable size is a multiple of one, except the 8-byte
 * class, which shares a granule with its neighbour: an MTE build must
 * start the classes at 16 B.
 */
#ifndef STRATA_TAG_H
#define STRATA_TAG_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

#define TAG_GRANULE_BYTES 16u

#if defined(STRATA_MTE) && defined(__aarch64__)
#include <arm_acle.h>

#define TAG_SHIFT 56u

/* The address without its tag byte. */
static ALWAYS_INLINE uintptr_t tag_strip(const void *p) {
	return (uintptr_t)p & ~((uintptr_t)0xff << TAG_SHIFT);
}

/* p with a random tag that is none of the tags whose bit is set in
 * exclude_mask (bit t: tag t; tag 0 is always excluded, so a tagged
 * block never matches an untagged pointer).  Memory is not touched. */
static ALWAYS_INLINE void *tag_random(const void *p, uint16_t exclude_mask) {
	return __arm_mte_create_random_tag((void *)p, exclude_mask | 1u);
}

/* Bit of p's tag, for an exclude mask. */
static ALWAYS_INLINE uint16_t tag_mask_of(const void *p) {
	return (uint16_t)(1u << (((uintptr_t)p >> TAG_SHIFT) & 0xf));
}

/* Set the memory tag of every granule of [p, p + size) to p's tag.  p is
 * granule-aligned, size a multiple of a granule (0: nothing). */
static ALWAYS_INLINE void tag_set_range(void *p, size_t size) {
	for (size_t off = 0; off < size; off += TAG_GRANULE_BYTES)
		__arm_mte_set_tag((char *)p + off);
}

/* The pointer to addr carrying the memory tag of addr's granule: reads
 * the tag memory, not the block. */
static ALWAYS_INLINE void *tag_load(uintptr_t addr) {
	return __arm_mte_get_tag((void *)addr);
}

/* A block of size bytes at (untagged) addr leaves the allocator: a fresh
 * tag, other than the one it had while free, on its granules; returns
 * the pointer the caller gets. */
static ALWAYS_INLINE void *tag_block_alloc(uintptr_t addr, size_t size) {
	void *p = tag_random((void *)addr, tag_mask_of(tag_load(addr)));
	tag_set_range(p, size);
	return p;
}

/* A block of size bytes at (untagged) addr comes back: retag it so that
 * the pointer the program still holds no longer matches. */
static ALWAYS_INLINE void tag_block_free(uintptr_t addr, size_t size) {
	tag_set_range(tag_random((void *)addr, tag_mask_of(tag_load(addr))),
	              size);
}

#else

static ALWAYS_INLINE uintptr_t tag_strip(const void *p) {
	return (uintptr_t)p;
}
static ALWAYS_INLINE void *tag_random(const void *p, uint16_t exclude_mask) {
	(void)exclude_mask;
	return (void *)p;
}
static ALWAYS_INLINE uint16_t tag_mask_of(const void *p) {
	(void)p;
	return 0;
}
static ALWAYS_INLINE void tag_set_range(void *p, size_t size) {
	(void)p;
	(void)size;
}
static ALWAYS_INLINE void *tag_load(uintptr_t addr) { return (void *)addr; }
static ALWAYS_INLINE void *tag_block_alloc(uintptr_t addr, size_t size) {
	(void)size;
	return (void *)addr;
}
static ALWAYS_INLINE void tag_block_free(uintptr_t addr, size_t size) {
	(void)addr;
	(void)size;
}

#endif

#endif
