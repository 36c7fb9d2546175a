/*
 * bitmap.h — word-array bit operations for slab region maps and chunk page
 * maps.  Bit i lives in word i / 64, bit i % 64.  No allocation, no locks.
 */
#ifndef STRATA_BITMAP_H
#define STRATA_BITMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Set bits of a word.  x86-64 without -mpopcnt would call libgcc's
 * table-driven __popcountdi2; the SWAR sum is a few inline operations. */
static inline unsigned bitmap_popcount(uint64_t x) {
#if defined(__x86_64__) && !defined(__POPCNT__)
	x -= (x >> 1) & 0x5555555555555555u;
	x = (x & 0x3333333333333333u) + ((x >> 2) & 0x3333333333333333u);
	x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0fu;
	return (unsigned)((x * 0x0101010101010101u) >> 56);
#else
	return (unsigned)__builtin_popcountll(x);
#endif
}

static inline bool bitmap_get(const uint64_t *map, size_t i) {
	return (map[i >> 6] >> (i & 63)) & 1;
}
static inline void bitmap_set(uint64_t *map, size_t i) {
	map[i >> 6] |= (uint64_t)1 << (i & 63);
}
static inline void bitmap_clear(uint64_t *map, size_t i) {
	map[i >> 6] &= ~((uint64_t)1 << (i & 63));
}

/* Mask of bits [lo, hi) within one word, 0 <= lo < hi <= 64. */
static inline uint64_t bitmap_word_mask(unsigned lo, unsigned hi) {
	uint64_t upto = hi == 64 ? ~(uint64_t)0 : (((uint64_t)1 << hi) - 1);
	return upto & ~(((uint64_t)1 << lo) - 1);
}

/* Set or clear bits [start, start + n). */
static inline void bitmap_assign_range(uint64_t *map, size_t start, size_t n,
                                       bool value) {
	size_t end = start + n;
	while (start < end) {
		size_t w = start >> 6;
		unsigned lo = (unsigned)(start & 63);
		unsigned hi = (end - (w << 6)) >= 64 ? 64 : (unsigned)(end & 63);
		uint64_t m = bitmap_word_mask(lo, hi);
		map[w] = value ? (map[w] | m) : (map[w] & ~m);
		start = (w + 1) << 6;
	}
}

/* True when any bit in [start, start + n) is set. */
static inline bool bitmap_any_in_range(const uint64_t *map, size_t start,
                                       size_t n) {
	size_t end = start + n;
	while (start < end) {
		size_t w = start >> 6;
		unsigned lo = (unsigned)(start & 63);
		unsigned hi = (end - (w << 6)) >= 64 ? 64 : (unsigned)(end & 63);
		if (map[w] & bitmap_word_mask(lo, hi))
			return true;
		start = (w + 1) << 6;
	}
	return false;
}

/* Index of the first bit >= start equal to value, or nbits if none. */
static inline size_t bitmap_find(const uint64_t *map, size_t nbits,
                                 size_t start, bool value) {
	while (start < nbits) {
		size_t w = start >> 6;
		uint64_t word = value ? map[w] : ~map[w];
		word &= ~(uint64_t)0 << (start & 63);
		if (word != 0) {
			size_t i = (w << 6) + (size_t)__builtin_ctzll(word);
			return i < nbits ? i : nbits;
		}
		start = (w + 1) << 6;
	}
	return nbits;
}

/* Index just past the last set bit below end (0 if none): the start of
 * the stretch of clear bits that ends at end. */
static inline size_t bitmap_clear_run_start(const uint64_t *map, size_t end) {
	while (end > 0) {
		size_t w = (end - 1) >> 6;
		unsigned hi = (unsigned)(end - (w << 6)); /* 1..64 */
		uint64_t word = map[w] & bitmap_word_mask(0, hi);
		if (word != 0)
			return (w << 6) + 64 - (size_t)__builtin_clzll(word);
		end = w << 6;
	}
	return 0;
}

/* The length of the longest stretch of clear bits among the first nbits,
 * a word at a time: a clear word extends the stretch in progress, and in
 * any other word the stretches between its set bits are walked with one
 * add each (f & (f + lowest bit of f) clears f's lowest stretch). */
static inline size_t bitmap_longest_clear_run(const uint64_t *map,
                                              size_t nbits) {
	size_t best = 0, run = 0, nwords = (nbits + 63) / 64;
	/* Bits past nbits read as set. */
	uint64_t past = (nbits & 63) != 0
	                    ? ~bitmap_word_mask(0, (unsigned)(nbits & 63))
	                    : 0;
	for (size_t w = 0; w < nwords; w++) {
		uint64_t set = map[w] | (w + 1 == nwords ? past : 0);
		if (set == ~(uint64_t)0) {
			if (run > best)
				best = run;
			run = 0;
			continue;
		}
		if (set == 0) {
			run += 64;
			continue;
		}
		run += (size_t)__builtin_ctzll(set);
		if (run > best)
			best = run;
		/* The clear bits between the lowest and the highest set bit. */
		uint64_t low = set & -set;
		uint64_t high = (uint64_t)1 << (63 - __builtin_clzll(set));
		uint64_t f = ~set & ~(low - 1) & (high - 1);
		while (f != 0) {
			unsigned s = (unsigned)__builtin_ctzll(f);
			size_t len = (size_t)__builtin_ctzll(~(f >> s));
			if (len > best)
				best = len;
			f &= f + (f & -f);
		}
		run = (size_t)__builtin_clzll(set);
	}
	return run > best ? run : best;
}

static inline size_t bitmap_count(const uint64_t *map, size_t nbits) {
	size_t n = 0;
	for (size_t w = 0; w < (nbits + 63) / 64; w++) {
		uint64_t word = map[w];
		if ((w + 1) * 64 > nbits)
			word &= bitmap_word_mask(0, (unsigned)(nbits & 63));
		n += bitmap_popcount(word);
	}
	return n;
}

#endif
