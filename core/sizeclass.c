/*
 * sizeclass.c — the small-size lookup table and slab geometry.
 */
#include "sizeclass.h"

#include "pages.h"
#include "tag.h"

uint8_t sc_small_index[(SC_SMALL_MAX >> 3) + 1];
const uint32_t sc_small_size[SC_NSMALL] = {
	8,    16,   32,   48,   64,   80,   96,   112,  128,
	160,  192,  224,  256,  320,  384,  448,  512,  640,
	768,  896,  1024, 1280, 1536, 1792, 2048, 2560, 3072,
	3584, 4096, 5120, 6144, 7168, 8192, 10240, 12288, 14336,
};
slab_geometry_t sc_slab[SC_NSMALL];
uint32_t sc_div_magic[SC_NSMALL];
uint16_t sc_small_min[SC_NSMALL];

/* Smallest slab (in pages) wasting at most 1/64 of itself in the tail;
 * failing that within 8 pages, the one that wastes the least. */
static slab_geometry_t slab_geometry_for(size_t size) {
	size_t best_bytes = 0, best_waste = SIZE_MAX;
	for (size_t pages = 1; pages <= 8; pages++) {
		size_t bytes = pages * page_bytes;
		size_t nregs = bytes / size;
		if (nregs > SC_SLAB_MAXREGS)
			nregs = SC_SLAB_MAXREGS;
		if (nregs == 0)
			continue;
		size_t waste = bytes - nregs * size;
		if (waste * 64 <= bytes) {
			best_bytes = bytes;
			break;
		}
		if (best_bytes == 0 || waste * best_bytes < best_waste * bytes) {
			best_bytes = bytes;
			best_waste = waste;
		}
	}
	size_t nregs = best_bytes / size;
	if (nregs > SC_SLAB_MAXREGS)
		nregs = SC_SLAB_MAXREGS;
	return (slab_geometry_t){
		.slab_bytes = (uint32_t)best_bytes,
		.nregs = (uint16_t)nregs,
		.bitmap_words = (uint16_t)((nregs + 63) / 64),
	};
}

void sizeclass_boot(void) {
	unsigned ind = 0;
	for (size_t i = 0; i < ARRAY_LEN(sc_small_index); i++) {
		size_t size = i << 3;
		while (sc_small_size[ind] < size)
			ind++;
		/* Relaxed: another thread's fast path may read the table
		 * while the booting thread writes it (then takes the slow
		 * path, which waits for the boot). */
		/* Tags: no class below a 16-byte granule (tag.h). */
		unsigned c = tag_is_on() && ind == 0 ? 1 : ind;
		__atomic_store_n(&sc_small_index[i], (uint8_t)c,
		                 __ATOMIC_RELAXED);
	}
	for (unsigned c = 0; c < SC_NSMALL; c++)
		sc_small_min[c] = UINT16_MAX;
	for (size_t i = ARRAY_LEN(sc_small_index); i-- > 0;)
		/* (size + 7) >> 3 == i for sizes 8i - 7 .. 8i (0 .. 0). */
		sc_small_min[sc_small_index[i]] = (uint16_t)(i == 0 ? 0 : 8 * i - 7);
	for (unsigned c = 0; c < SC_NSMALL; c++) {
		sc_slab[c] = slab_geometry_for(sc_small_size[c]);
		sc_div_magic[c] = (uint32_t)((((uint64_t)1 << 32) +
		                              sc_small_size[c] - 1) /
		                             sc_small_size[c]);
	}
}
