/*
 * prof_sample.c — ln, exp and the draws behind the sampler.  Both
 * functions reduce the argument by powers of two and sum a short series;
 * the unit suite checks them against libm.
 */
#include "prof_sample.h"

#include <string.h>

#define LN2 0.69314718055994530942

uint64_t prof_prng_seed(uint64_t a, uint64_t b, uint64_t c) {
	uint64_t z = a * UINT64_C(0x9E3779B97F4A7C15) ^ b ^
	             (c * UINT64_C(0xBF58476D1CE4E5B9));
	z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
	z ^= z >> 31;
	return z != 0 ? z : UINT64_C(0x853C49E6748FEA9B);
}

/* x = m * 2^e with m in [sqrt(1/2), sqrt(2)); x normal, positive. */
static double split_exponent(double x, int *e) {
	uint64_t bits;
	memcpy(&bits, &x, sizeof bits);
	*e = (int)((bits >> 52) & 0x7ff) - 1023;
	bits = (bits & ~(UINT64_C(0x7ff) << 52)) | (UINT64_C(1023) << 52);
	double m;
	memcpy(&m, &bits, sizeof m);
	if (m > 1.41421356237309504880) {
		m *= 0.5;
		(*e)++;
	}
	return m;
}

/* ln m = 2 atanh(s), s = (m-1)/(m+1), |s| <= 0.172: the odd terms up to
 * s^25 reach below 1e-17, summed by Horner's rule with the coefficients
 * 2/k written out (each sample's gap draws one: no loop, no division
 * but the one for s). */
double prof_ln(double x) {
	int e;
	double m = split_exponent(x, &e);
	double s = (m - 1.0) / (m + 1.0), s2 = s * s;
	double p = 2.0 / 25;
	p = p * s2 + 2.0 / 23;
	p = p * s2 + 2.0 / 21;
	p = p * s2 + 2.0 / 19;
	p = p * s2 + 2.0 / 17;
	p = p * s2 + 2.0 / 15;
	p = p * s2 + 2.0 / 13;
	p = p * s2 + 2.0 / 11;
	p = p * s2 + 2.0 / 9;
	p = p * s2 + 2.0 / 7;
	p = p * s2 + 2.0 / 5;
	p = p * s2 + 2.0 / 3;
	p = p * s2 + 2.0;
	return p * s + e * LN2;
}

static double pow2i(int k) {
	if (k < -1022)
		return 0.0;
	if (k > 1023)
		k = 1023;
	uint64_t bits = (uint64_t)(k + 1023) << 52;
	double d;
	memcpy(&d, &bits, sizeof d);
	return d;
}

/* e^x = 2^k e^r, |r| <= ln2/2: the Taylor series to r^17/17!. */
double prof_exp(double x) {
	if (x < -745.0)
		return 0.0;
	if (x > 709.0)
		x = 709.0;
	double kf = x / LN2;
	int k = (int)(kf < 0 ? kf - 0.5 : kf + 0.5);
	double r = x - k * LN2, term = 1.0, sum = 1.0;
	for (int i = 1; i <= 17; i++) {
		term *= r / i;
		sum += term;
	}
	return sum * pow2i(k);
}

double prof_one_minus_exp_neg(double x) {
	if (x >= 0.5)
		return 1.0 - prof_exp(-x);
	/* -expm1(-x) = x - x^2/2! + x^3/3! - ... */
	double term = x, sum = 0.0;
	for (int i = 1; i <= 20; i++) {
		sum += term;
		term *= -x / (i + 1);
	}
	return sum;
}

uint64_t prof_sample_gap_bytes(uint64_t *prng, unsigned lg_sample) {
	/* 53 random bits, plus one so u lies in (0, 1]. */
	double u = (double)((prof_prng_next(prng) >> 11) + 1) *
	           (1.0 / 9007199254740992.0);
	double gap = -prof_ln(u) * (double)((uint64_t)1 << lg_sample);
	return gap < 1.0 ? 1 : (uint64_t)(gap + 0.5);
}

prof_weight_t prof_sample_weight(size_t size, unsigned lg_sample) {
	if (size == 0)
		return (prof_weight_t){ PROF_OBJS_ONE, 0 };
	double p = prof_one_minus_exp_neg((double)size /
	                                  (double)((uint64_t)1 << lg_sample));
	return (prof_weight_t){
		.objs_fp = (uint64_t)((double)PROF_OBJS_ONE / p + 0.5),
		.bytes = (uint64_t)((double)size / p + 0.5),
	};
}

void prof_sampler_init(prof_sampler_t *s, uint64_t seed,
                       unsigned lg_sample) {
	s->prng = seed != 0 ? seed : 1;
	s->bytes_until_sample =
	    (int64_t)prof_sample_gap_bytes(&s->prng, lg_sample);
}
