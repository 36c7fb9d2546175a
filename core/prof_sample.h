/*
 * prof_sample.h — the sampler's arithmetic: a per-thread PRNG, the
 * exponentially distributed gap (in bytes) until the next sampled
 * allocation, and the weight that turns one sample back into an unbiased
 * estimate of the objects and bytes it stands for.
 *
 * Sampling is a Poisson process over allocated bytes with mean gap
 * R = 2^lg_sample: an allocation of size s is sampled with probability
 * p = 1 - exp(-s/R), so it counts 1/p objects and s/p bytes (jemalloc's
 * unbiasing).  No libm: ln and exp are computed here, to within 1e-13.
 */
#ifndef STRATA_PROF_SAMPLE_H
#define STRATA_PROF_SAMPLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

/* Object estimates are fixed point with this many fraction bits, so that
 * adding a sample's weight and taking it away on free cancel exactly. */
#define PROF_OBJS_FRAC_BITS 16
#define PROF_OBJS_ONE ((uint64_t)1 << PROF_OBJS_FRAC_BITS)

/* xorshift64*: 64-bit state, never zero; period 2^64 - 1. */
static inline uint64_t prof_prng_next(uint64_t *state) {
	uint64_t x = *state;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * UINT64_C(0x2545F4914F6CDD1D);
}

/* A non-zero seed mixed (splitmix64) from whatever differs per thread:
 * its id, the time, the address of its thread state. */
HIDDEN uint64_t prof_prng_seed(uint64_t a, uint64_t b, uint64_t c);

/* Natural logarithm for x > 0 (finite), and e^x; no libm. */
HIDDEN double prof_ln(double x);
HIDDEN double prof_exp(double x);
/* 1 - e^-x for x >= 0, accurate also for tiny x (where 1 - prof_exp(-x)
 * would cancel). */
HIDDEN double prof_one_minus_exp_neg(double x);

/* Bytes until the next sample: -ln(u) * 2^lg_sample, u uniform in (0, 1],
 * at least 1.  Mean 2^lg_sample. */
HIDDEN uint64_t prof_sample_gap_bytes(uint64_t *prng, unsigned lg_sample);

/* What one sample of size bytes stands for. */
typedef struct prof_weight {
	uint64_t objs_fp;  /* objects, PROF_OBJS_FRAC_BITS fraction bits */
	uint64_t bytes;
} prof_weight_t;
HIDDEN prof_weight_t prof_sample_weight(size_t size, unsigned lg_sample);

/* A thread's countdown, as the allocation slow path keeps it. */
typedef struct prof_sampler {
	uint64_t prng;
	int64_t bytes_until_sample;
} prof_sampler_t;

HIDDEN void prof_sampler_init(prof_sampler_t *s, uint64_t seed,
                              unsigned lg_sample);
/* Counts an allocation of size bytes; true when it is to be sampled (and
 * then draws the next gap, counted from the end of this allocation). */
static inline bool prof_sampler_hit(prof_sampler_t *s, size_t size,
                                    unsigned lg_sample) {
	s->bytes_until_sample -= (int64_t)size;
	if (likely(s->bytes_until_sample > 0))
		return false;
	s->bytes_until_sample =
	    (int64_t)prof_sample_gap_bytes(&s->prng, lg_sample);
	return true;
}

#endif /* STRATA_PROF_SAMPLE_H */
