/*
 * sample.c — the sampler's arithmetic: ln and exp against libm, the mean
 * and spread of the gaps, and that the weights give unbiased estimates of
 * objects and bytes for small and large allocations.
 */
#include <criterion/criterion.h>
#include <math.h>

#include "prof_sample.h"

Test(prof_sample, ln_and_exp_match_libm_to_1e_13) {
	for (double x = 1e-300; x < 1e300; x *= 1.37) {
		double want = log(x);
		cr_expect(fabs(prof_ln(x) - want) <= 1e-13 * fmax(1, fabs(want)),
		          "ln(%g): %.17g, libm %.17g", x, prof_ln(x), want);
	}
	for (double x = -700; x < 700; x += 0.37) {
		double want = exp(x);
		cr_expect(fabs(prof_exp(x) - want) <= 1e-13 * want,
		          "exp(%g): %.17g, libm %.17g", x, prof_exp(x), want);
	}
	for (double x = 1e-12; x < 40; x *= 1.21) {
		double want = -expm1(-x);
		cr_expect(fabs(prof_one_minus_exp_neg(x) - want) <= 1e-13 * want,
		          "1-exp(-%g): %.17g, libm %.17g", x,
		          prof_one_minus_exp_neg(x), want);
	}
}

/* 10^6 exponential gaps: the mean's standard error is mean/1000, so 0.5 %
 * is five of them; the variance of an exponential is mean^2; and a gap
 * exceeds the mean with probability 1/e. */
Test(prof_sample, gaps_are_exponential_with_mean_2_to_lg_sample) {
	for (unsigned lg = 10; lg <= 22; lg += 3) {
		uint64_t prng = prof_prng_seed(lg, 12345, 0);
		const int n = 1000000;
		double mean = (double)((uint64_t)1 << lg), sum = 0, sum2 = 0;
		int above = 0;
		for (int i = 0; i < n; i++) {
			double g = (double)prof_sample_gap_bytes(&prng, lg);
			cr_assert(g >= 1);
			sum += g;
			sum2 += g * g;
			above += g > mean;
		}
		double m = sum / n, var = sum2 / n - m * m;
		cr_expect(fabs(m / mean - 1) < 0.005, "lg %u: mean %g", lg, m);
		cr_expect(fabs(var / (mean * mean) - 1) < 0.02,
		          "lg %u: variance %g", lg, var);
		cr_expect(fabs((double)above / n - exp(-1)) < 0.003,
		          "lg %u: %d above the mean", lg, above);
	}
}

Test(prof_sample, seeds_differ_per_thread_and_are_never_zero) {
	cr_expect_neq(prof_prng_seed(1, 2, 3), prof_prng_seed(2, 2, 3));
	cr_expect_neq(prof_prng_seed(0, 0, 0), 0);
	uint64_t s = prof_prng_seed(0, 0, 0);
	for (int i = 0; i < 1000; i++)
		cr_assert_neq(prof_prng_next(&s), 0);
}

Test(prof_sample, weight_of_a_large_allocation_is_itself) {
	prof_weight_t w = prof_sample_weight(64u << 20, 19);
	cr_expect_eq(w.objs_fp, PROF_OBJS_ONE);
	cr_expect_eq(w.bytes, 64u << 20);
	/* s << R: one sample stands for about R bytes, R/s objects. */
	w = prof_sample_weight(16, 19);
	cr_expect(fabs((double)w.bytes / (1 << 19) - 1) < 1e-4, "%lu",
	          (unsigned long)w.bytes);
	cr_expect(fabs((double)w.objs_fp / PROF_OBJS_ONE / (1 << 15) - 1) <
	          1e-4);
}

/* Allocates count blocks of size bytes through the sampler runs times
 * and returns the mean estimated bytes and objects over the runs. */
static void estimate(size_t size, long count, unsigned lg, int runs,
                     double *bytes, double *objs) {
	double b = 0, o = 0;
	for (int r = 0; r < runs; r++) {
		prof_sampler_t s;
		prof_sampler_init(&s, prof_prng_seed(r, size, lg), lg);
		for (long i = 0; i < count; i++) {
			if (prof_sampler_hit(&s, size, lg)) {
				prof_weight_t w = prof_sample_weight(size, lg);
				b += (double)w.bytes;
				o += (double)w.objs_fp / PROF_OBJS_ONE;
			}
		}
	}
	*bytes = b / runs;
	*objs = o / runs;
}

/* 300 runs of about 200 (small) and 900 (large) samples each: the
 * standard error of the mean estimate is below 0.4 %, so 2 % is five of
 * them.  A biased estimator (counting each sample as R bytes, say) is off
 * by 20 % for the large blocks. */
Test(prof_sample, estimates_are_unbiased_within_2_percent) {
	struct { size_t size; long count; } site[] = {
		{ 64, 200000 }, { 40960, 2000 }, { 3000, 20000 },
	};
	for (size_t i = 0; i < ARRAY_LEN(site); i++) {
		double bytes, objs;
		estimate(site[i].size, site[i].count, 16, 300, &bytes, &objs);
		double want = (double)site[i].size * site[i].count;
		cr_expect(fabs(bytes / want - 1) < 0.02,
		          "size %zu: %.0f bytes estimated, %.0f allocated",
		          site[i].size, bytes, want);
		cr_expect(fabs(objs / site[i].count - 1) < 0.02,
		          "size %zu: %.0f objects estimated, %ld allocated",
		          site[i].size, objs, site[i].count);
	}
}
