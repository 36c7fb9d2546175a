/*
 * bitmap.c — word-array bit operations, checked against a plain bool array
 * model, with ranges that start, end and cross at every word boundary.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "bitmap.h"

#define NBITS 256u
#define NWORDS (NBITS / 64)

TestSuite(bitmap, .timeout = 60);

/* A model: one bool per bit, compared bit by bit with the map. */
static void assert_matches(const uint64_t *map, const bool *model,
                           const char *what) {
	for (size_t i = 0; i < NBITS; i++)
		cr_assert_eq(bitmap_get(map, i), model[i], "%s: bit %zu", what, i);
}

Test(bitmap, set_and_clear_touch_exactly_one_bit) {
	for (size_t i = 0; i < NBITS; i++) {
		uint64_t map[NWORDS] = { 0 };
		bitmap_set(map, i);
		for (size_t w = 0; w < NWORDS; w++)
			cr_assert_eq(map[w], w == i / 64 ? (uint64_t)1 << (i % 64) : 0,
			             "set %zu: word %zu", i, w);
		cr_assert(bitmap_get(map, i));
		memset(map, 0xff, sizeof(map));
		bitmap_clear(map, i);
		for (size_t w = 0; w < NWORDS; w++)
			cr_assert_eq(map[w],
			             w == i / 64 ? ~((uint64_t)1 << (i % 64))
			                         : ~(uint64_t)0,
			             "clear %zu: word %zu", i, w);
		cr_assert_not(bitmap_get(map, i));
	}
}

Test(bitmap, word_mask_covers_lo_up_to_hi) {
	for (unsigned lo = 0; lo < 64; lo++)
		for (unsigned hi = lo + 1; hi <= 64; hi++) {
			uint64_t m = bitmap_word_mask(lo, hi);
			cr_assert_eq((unsigned)__builtin_popcountll(m), hi - lo,
			             "[%u, %u)", lo, hi);
			cr_assert_eq((unsigned)__builtin_ctzll(m), lo);
			cr_assert_eq(63u - (unsigned)__builtin_clzll(m), hi - 1);
		}
}

/* Every start in the first three words, every length up to two words past
 * it: assign_range sets (or clears) that range and nothing else. */
Test(bitmap, assign_range_changes_only_the_range) {
	for (size_t start = 0; start < 3 * 64; start++)
		for (size_t n = 0; start + n <= NBITS && n <= 130; n++)
			for (int value = 0; value < 2; value++) {
				uint64_t map[NWORDS];
				bool model[NBITS];
				memset(map, value ? 0 : 0xff, sizeof(map));
				for (size_t i = 0; i < NBITS; i++)
					model[i] = !value;
				bitmap_assign_range(map, start, n, value);
				for (size_t i = start; i < start + n; i++)
					model[i] = value;
				assert_matches(map, model, "assign_range");
			}
}

Test(bitmap, any_in_range_sees_one_bit_anywhere_in_the_range) {
	for (size_t bit = 0; bit < NBITS; bit++) {
		uint64_t map[NWORDS] = { 0 };
		bitmap_set(map, bit);
		for (size_t start = bit >= 70 ? bit - 70 : 0; start <= bit; start++)
			for (size_t n = 1; start + n <= NBITS && n <= 140; n++) {
				bool inside = bit >= start && bit < start + n;
				cr_assert_eq(bitmap_any_in_range(map, start, n), inside,
				             "bit %zu, range [%zu, %zu)", bit, start,
				             start + n);
			}
		/* Ranges that end right before it or start right after it. */
		if (bit > 0)
			cr_assert_not(bitmap_any_in_range(map, 0, bit));
		if (bit + 1 < NBITS)
			cr_assert_not(bitmap_any_in_range(map, bit + 1,
			                                  NBITS - bit - 1));
	}
}

Test(bitmap, any_in_range_of_nothing_is_false) {
	uint64_t map[NWORDS];
	memset(map, 0xff, sizeof(map));
	for (size_t start = 0; start <= NBITS; start++)
		cr_assert_not(bitmap_any_in_range(map, start, 0), "start %zu", start);
}

static size_t model_find(const bool *model, size_t nbits, size_t start,
                         bool value) {
	for (size_t i = start; i < nbits; i++)
		if (model[i] == value)
			return i;
	return nbits;
}

/* A sparse and a dense pattern, every start, several lengths that end
 * inside a word: find agrees with a linear scan and never reports a bit
 * at or past nbits. */
Test(bitmap, find_returns_the_first_match_at_or_after_start) {
	static const size_t lengths[] = { 1, 63, 64, 65, 100, 127, 128, 129,
		                          200, 256 };
	for (int pattern = 0; pattern < 2; pattern++) {
		uint64_t map[NWORDS] = { 0 };
		bool model[NBITS] = { false };
		for (size_t i = 0; i < NBITS; i++) {
			bool on = pattern == 0 ? (i % 61 == 7 || i == 64 || i == 191)
			                       : (i % 5 != 0);
			if (on) {
				bitmap_set(map, i);
				model[i] = true;
			}
		}
		for (size_t l = 0; l < sizeof(lengths) / sizeof(lengths[0]); l++)
			for (size_t start = 0; start <= lengths[l]; start++)
				for (int value = 0; value < 2; value++)
					cr_assert_eq(bitmap_find(map, lengths[l], start, value),
					             model_find(model, lengths[l], start,
					                        value),
					             "pattern %d nbits %zu start %zu value %d",
					             pattern, lengths[l], start, value);
	}
}

/* Bits past nbits in the last word must not be found. */
Test(bitmap, find_ignores_bits_past_nbits) {
	uint64_t map[NWORDS] = { 0 };
	bitmap_set(map, 70);
	cr_assert_eq(bitmap_find(map, 70, 0, true), 70);
	cr_assert_eq(bitmap_find(map, 71, 0, true), 70);
	memset(map, 0xff, sizeof(map));
	bitmap_clear(map, 130);
	cr_assert_eq(bitmap_find(map, 130, 0, false), 130);
	cr_assert_eq(bitmap_find(map, 131, 5, false), 130);
}

Test(bitmap, count_ignores_bits_past_nbits_at_every_length) {
	uint64_t map[NWORDS];
	memset(map, 0xff, sizeof(map));
	for (size_t nbits = 1; nbits <= NBITS; nbits++)
		cr_assert_eq(bitmap_count(map, nbits), nbits, "nbits %zu", nbits);
	memset(map, 0, sizeof(map));
	for (size_t i = 0; i < NBITS; i += 3)
		bitmap_set(map, i);
	for (size_t nbits = 1; nbits <= NBITS; nbits++)
		cr_assert_eq(bitmap_count(map, nbits), (nbits + 2) / 3,
		             "nbits %zu", nbits);
}

/* The SWAR popcount against a bit-by-bit count, on single bits, runs and
 * pseudo-random words. */
Test(bitmap, popcount_counts_every_set_bit) {
	uint64_t x = 0x9e3779b97f4a7c15u;
	for (unsigned i = 0; i < 4096; i++) {
		uint64_t w = i < 64 ? (uint64_t)1 << i
		           : i < 129 ? (i == 128 ? ~(uint64_t)0
		                                 : ((uint64_t)1 << (i - 64)) - 1)
		                     : (x = x * 6364136223846793005u + 1442695040888963407u);
		unsigned want = 0;
		for (unsigned b = 0; b < 64; b++)
			want += (unsigned)((w >> b) & 1);
		cr_assert_eq(bitmap_popcount(w), want, "word %#llx",
		             (unsigned long long)w);
	}
}

/* The model's longest stretch of clear bits among the first nbits. */
static size_t model_longest_clear(const bool *model, size_t nbits) {
	size_t best = 0, run = 0;
	for (size_t i = 0; i < nbits; i++) {
		run = model[i] ? 0 : run + 1;
		if (run > best)
			best = run;
	}
	return best;
}

/* The longest clear run, word at a time, against the model: maps of
 * random densities (stretches inside words, across words, whole clear
 * words), every length of map, bits past nbits set or clear. */
Test(bitmap, longest_clear_run_matches_the_model) {
	uint64_t x = 42;
	for (unsigned round = 0; round < 2000; round++) {
		uint64_t map[NWORDS];
		bool model[NBITS];
		unsigned density = round % 9; /* 1 in 2^density bits set */
		for (size_t i = 0; i < NBITS; i++) {
			x = x * 6364136223846793005u + 1442695040888963407u;
			model[i] = density == 8 ? false
			                        : ((x >> 33) & ((1u << density) - 1)) == 0;
		}
		memset(map, 0, sizeof(map));
		for (size_t i = 0; i < NBITS; i++)
			if (model[i])
				bitmap_set(map, i);
		size_t nbits = 1 + (size_t)(x >> 40) % NBITS;
		if (round & 1) /* garbage past nbits must not count */
			for (size_t i = nbits; i < NBITS; i++)
				if (i % 5 != 0)
					bitmap_set(map, i);
		cr_assert_eq(bitmap_longest_clear_run(map, nbits),
		             model_longest_clear(model, nbits),
		             "round %u nbits %zu", round, nbits);
	}
	uint64_t clear[NWORDS] = { 0 }, full[NWORDS];
	memset(full, 0xff, sizeof(full));
	cr_assert_eq(bitmap_longest_clear_run(clear, NBITS), NBITS);
	cr_assert_eq(bitmap_longest_clear_run(full, NBITS), 0);
	cr_assert_eq(bitmap_longest_clear_run(clear, 37), 37);
}
