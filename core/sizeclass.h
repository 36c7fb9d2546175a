/*
 * sizeclass.h — request size -> size class index -> usable size.
 *
 * Classes follow jemalloc's spacing: 8, then 16-byte quantum up to 64, then
 * four classes per doubling (80, 96, 112, 128, 160, ...).  Classes 0 ..
 * SC_NSMALL-1 (8 B .. 14 KiB) live in slabs; larger ones are page runs
 * ("large") or, beyond a chunk, their own mapping ("huge").  A small size is
 * one table load; above that the index is bit arithmetic, no branch per
 * range.  Nothing here depends on the page size except the usable size of
 * large classes (rounded up to whole pages) and the slab geometry, both
 * computed at boot by sizeclass_boot().
 */
#ifndef STRATA_SIZECLASS_H
#define STRATA_SIZECLASS_H

#include <stdint.h>

#include "pages.h"
#include "util.h"

#define SC_NSMALL 36u
#define SC_SMALL_MAX ((size_t)14336)
#define SC_QUANTUM ((size_t)16)
/* Largest request served; beyond it malloc fails with ENOMEM. */
#define SC_SIZE_MAX ((size_t)PTRDIFF_MAX)
/* Index of the first class of the four-per-doubling part (80 B). */
#define SC_GROUP_BASE_INDEX 5u
#define SC_GROUP_BASE_LG 7u
/* Most regions any slab holds (8 B class in a 64 KiB page). */
#define SC_SLAB_MAXREGS 8192u

typedef struct slab_geometry {
	uint32_t slab_bytes; /* a multiple of page_bytes */
	uint16_t nregs;
	uint16_t bitmap_words;
} slab_geometry_t;

/* (size + 7) >> 3 -> class index, for every size up to SC_SMALL_MAX. */
extern HIDDEN uint8_t sc_small_index[(SC_SMALL_MAX >> 3) + 1];
extern HIDDEN const uint32_t sc_small_size[SC_NSMALL];
extern HIDDEN slab_geometry_t sc_slab[SC_NSMALL];
/* ceil(2^32 / size): offset / size == (offset * magic) >> 32 for every
 * offset that is a multiple of size inside a slab. */
extern HIDDEN uint32_t sc_div_magic[SC_NSMALL];
/* The smallest request size of each small class (sc_small_index's, so
 * tags' merge of class 0 into 1 included; UINT16_MAX for a class no size
 * maps to). */
extern HIDDEN uint16_t sc_small_min[SC_NSMALL];

/* Computes slab geometry for the booted page size. */
HIDDEN void sizeclass_boot(void);

static inline unsigned sc_index_compute(size_t size) {
	unsigned lg = lg_ceil(size);
	size_t base = (size_t)1 << (lg - 1);
	unsigned lg_spacing = lg - 3;
	unsigned k = (unsigned)((size - base + ((size_t)1 << lg_spacing) - 1) >>
	                        lg_spacing);
	return SC_GROUP_BASE_INDEX + (lg - SC_GROUP_BASE_LG) * 4 + k - 1;
}

/* The table read of a small size: relaxed, as it may race with the boot's
 * writes (a plain load on every target). */
static ALWAYS_INLINE unsigned sc_small_index_load(size_t size) {
	return __atomic_load_n(&sc_small_index[(size + 7) >> 3],
	                       __ATOMIC_RELAXED);
}

/* Class of a request; size must be in 1 .. SC_SIZE_MAX (0 counts as 1). */
static ALWAYS_INLINE unsigned sc_index(size_t size) {
	if (likely(size <= SC_SMALL_MAX))
		return sc_small_index_load(size);
	return sc_index_compute(size);
}

/* Nominal size of a class (before page rounding of large classes). */
static inline size_t sc_class_size(unsigned ind) {
	if (ind < SC_NSMALL)
		return sc_small_size[ind];
	unsigned g = (ind - SC_GROUP_BASE_INDEX) / 4;
	unsigned k = (ind - SC_GROUP_BASE_INDEX) % 4 + 1;
	unsigned lg = g + SC_GROUP_BASE_LG;
	return ((size_t)1 << (lg - 1)) + ((size_t)k << (lg - 3));
}

static inline int sc_is_small(unsigned ind) { return ind < SC_NSMALL; }

/* What malloc_usable_size reports for the class: large classes are whole
 * pages, so with 16 KiB pages a 20 KiB class offers 32 KiB. */
static inline size_t sc_usable_size(unsigned ind) {
	if (likely(ind < SC_NSMALL))
		return sc_small_size[ind];
	return align_up(sc_class_size(ind), page_bytes);
}

#endif /* STRATA_SIZECLASS_H */
