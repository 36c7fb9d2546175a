/*
 * tag.h — pointer and memory tags (AArch64 MTE) behind a compile-time
 * switch: the only architecture #if of the core.
 *
 * Builds without STRATA_MTE compile every function here to nothing (the
 * identity on pointers, no code for the memory operations), so api.c can
 * call them unconditionally at zero cost; the callgrind fast-path guard
 * (tests/perf) holds that.  The mte build (-Dmemory_backend=mte) compiles
 * them to inline assembly — irg, gmi, ldg, stg, st2g — and not to GCC
 * 12's ACLE intrinsics, whose __arm_mte_get_tag is miscompiled at -O1 and
 * above (LDG only inserts the tag into its destination register, and GCC
 * does not tie that register to the address).  Every operation is also
 * switched at run time: the core tags only when the backend reported
 * BACKEND_CAP_TAGGING (tag_boot), so an mte build on a CPU without MTE,
 * or with mte:off, never executes a tag instruction (they would be
 * undefined there) and runs untagged.
 *
 * The pointer boundary.  core/api.c is the only file that sees tagged
 * pointers: each entry point strips the tag once (tag_strip) and passes
 * the untagged address down; tcache, arena, slab, extent and the pagemap
 * only ever hold untagged addresses, and pagemap_lookup strips again as a
 * guard.  The thread cache therefore stores untagged addresses, and the
 * tag reaches the pointer malloc returns like this (the decision):
 *   - tag 0 is the tag of metadata and of free memory: the backend's
 *     include mask keeps IRG from ever picking it, mmap and a purge give
 *     memory tag 0, and so the core may read and write free blocks
 *     (zeroing, junk) and metadata through its untagged addresses, with
 *     plain stores: no zeroing tag store (STZG) is needed;
 *   - allocation: api.c gives the block a fresh tag on the way out —
 *     tag_block_alloc picks a random tag other than 0 and other than the
 *     tags of the granules just before and just after the block (an
 *     overflow into a neighbour faults), sets it on the block's granules
 *     and returns the tagged pointer;
 *   - free: api.c strips the pointer, and tag_block_free gives the
 *     block's granules tag 0 again before the address goes to the cache,
 *     so a stale pointer (the old tag) traps on use and a free of it is
 *     caught by the pagemap lookup and the bitmap as today;
 *   - realloc in place keeps the pointer's tag: a grown tail takes it, a
 *     shrunk one goes back to tag 0 before the arena has it (tag_resize).
 * Blocks larger than opt.mte_max_tagged are handed out untagged (tag 0);
 * a free tests the block's first granule (LDG), so a block that became
 * tagged by growing in place is cleared all the same.  A cache hit costs,
 * in the mte build, two tag loads, one tag pick and the granule stores of
 * the block on each side, and nothing in other builds.
 *
 * Granules are TAG_GRANULE_BYTES; every block strata hands out starts on
 * a granule and its usable size is a multiple of one, except the 8-byte
 * class, which shares a granule with its neighbour: with tags on, the
 * size classes start at 16 B (sizeclass_boot folds 1..8 into 16).
 */
#ifndef STRATA_TAG_H
#define STRATA_TAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

#define TAG_GRANULE_BYTES 16u
/* Blocks smaller than this lie in one CHUNK_BYTES-aligned chunk mapping
 * (extent.h; api.c asserts the two agree): their neighbouring granules
 * are mapped, tagged memory, unless the block starts or ends on such a
 * boundary. */
#define TAG_SPAN_BYTES ((uintptr_t)1 << 21)

#if STRATA_MTE && defined(__aarch64__)

#define TAG_SHIFT 56u
/* The build keeps the compiler's baseline ISA, so that it runs (untagged)
 * on CPUs without MTE; each statement lets the assembler take the MTE
 * instructions (binutils 2.40 takes them from .arch, not
 * .arch_extension). */
#define TAG_ASM ".arch armv8.5-a+memtag\n\t"

/* Largest block tagged (opt.mte_max_tagged); 0 while tags are off. */
extern HIDDEN size_t tag_max_bytes;

/* After the backend is up: tags on when it has tag checking on. */
static inline void tag_boot(bool has_tagging, size_t max_tagged) {
	tag_max_bytes = has_tagging ? max_tagged : 0;
}

static ALWAYS_INLINE bool tag_is_on(void) { return tag_max_bytes != 0; }

/* The address without its tag byte. */
static ALWAYS_INLINE uintptr_t tag_strip(const void *p) {
	return (uintptr_t)p & ~((uintptr_t)0xff << TAG_SHIFT);
}

/* addr with a random tag none of whose bit is set in exclude (bit t: tag
 * t).  Volatile: two picks are two random numbers. */
static ALWAYS_INLINE void *tag_irg(uintptr_t addr, uint64_t exclude) {
	void *p;
	__asm__ volatile(TAG_ASM "irg %0, %1, %2"
	                 : "=r"(p)
	                 : "r"(addr), "r"(exclude));
	return p;
}

/* exclude with the bit of p's tag added. */
static ALWAYS_INLINE uint64_t tag_gmi(uintptr_t p, uint64_t exclude) {
	uint64_t out;
	__asm__(TAG_ASM "gmi %0, %1, %2" : "=r"(out) : "r"(p), "r"(exclude));
	return out;
}

/* addr carrying the memory tag of its granule: LDG writes the tag into
 * the top byte of its destination and keeps the other bits, so the
 * destination starts as addr (the tie GCC 12's intrinsic lacks). */
static ALWAYS_INLINE uintptr_t tag_load(uintptr_t addr) {
	uintptr_t p = addr;
	__asm__ volatile(TAG_ASM "ldg %0, [%1]" : "+r"(p) : "r"(addr) : "memory");
	return p;
}

/* Set the memory tag of every granule of [p, p + size) to p's tag (0 for
 * an untagged p).  p is granule-aligned, size a multiple of a granule. */
static ALWAYS_INLINE void tag_set_range(void *p, size_t size) {
	char *q = p, *end = q + size;
	if (size & TAG_GRANULE_BYTES) {
		__asm__ volatile(TAG_ASM "stg %0, [%0]" : : "r"(q) : "memory");
		q += TAG_GRANULE_BYTES;
	}
	for (; q < end; q += 2 * TAG_GRANULE_BYTES)
		__asm__ volatile(TAG_ASM "st2g %0, [%0]" : : "r"(q) : "memory");
}

/* A block of size bytes at (untagged) addr leaves the allocator: a fresh
 * tag, neither 0 nor a neighbour's, on its granules; returns the pointer
 * the caller gets.  Beyond tag_max_bytes (everything while tags are off)
 * the block stays untagged.  in_chunk: the block lies in a chunk (false
 * for a mapping of its own, whose neighbours may be unmapped: a huge
 * block, or one aligned beyond a chunk). */
static ALWAYS_INLINE void *tag_block_alloc_in(uintptr_t addr, size_t size,
                                              bool in_chunk) {
	if (size > tag_max_bytes)
		return (void *)addr;
	uint64_t exclude = 1;
	if (in_chunk && size < TAG_SPAN_BYTES) {
		if ((addr & (TAG_SPAN_BYTES - 1)) != 0)
			exclude = tag_gmi(tag_load(addr - TAG_GRANULE_BYTES),
			                  exclude);
		if (((addr + size) & (TAG_SPAN_BYTES - 1)) != 0)
			exclude = tag_gmi(tag_load(addr + size), exclude);
	}
	void *p = tag_irg(addr, exclude);
	tag_set_range(p, size);
	return p;
}

static ALWAYS_INLINE void *tag_block_alloc(uintptr_t addr, size_t size) {
	return tag_block_alloc_in(addr, size, true);
}

/* A block of size bytes at (untagged) addr comes back: its granules get
 * tag 0, so the pointer the program still holds no longer matches. */
static ALWAYS_INLINE void tag_block_free(uintptr_t addr, size_t size) {
	if (tag_is_on() && tag_load(addr) != addr)
		tag_set_range((void *)addr, size);
}

/* The block at ptr (the caller's pointer) is resized in place from
 * old_usize to usize bytes: a grown tail takes ptr's tag (call after the
 * resize), a shrunk one gets tag 0 (call before: the arena may hand it
 * out at once). */
static ALWAYS_INLINE void tag_resize(void *ptr, size_t old_usize,
                                     size_t usize) {
	if (tag_strip(ptr) == (uintptr_t)ptr)
		return; /* untagged: tag 0 everywhere already */
	if (usize > old_usize)
		tag_set_range((char *)ptr + old_usize, usize - old_usize);
	else
		tag_set_range((char *)tag_strip(ptr) + usize,
		              old_usize - usize);
}

#else

static inline void tag_boot(bool has_tagging, size_t max_tagged) {
	(void)has_tagging;
	(void)max_tagged;
}
static ALWAYS_INLINE bool tag_is_on(void) { return false; }
static ALWAYS_INLINE uintptr_t tag_strip(const void *p) {
	return (uintptr_t)p;
}
static ALWAYS_INLINE void *tag_block_alloc_in(uintptr_t addr, size_t size,
                                              bool in_chunk) {
	(void)size;
	(void)in_chunk;
	return (void *)addr;
}
static ALWAYS_INLINE void *tag_block_alloc(uintptr_t addr, size_t size) {
	(void)size;
	return (void *)addr;
}
static ALWAYS_INLINE void tag_block_free(uintptr_t addr, size_t size) {
	(void)addr;
	(void)size;
}
static ALWAYS_INLINE void tag_resize(void *ptr, size_t old_usize,
                                     size_t usize) {
	(void)ptr;
	(void)old_usize;
	(void)usize;
}

#endif

#endif
