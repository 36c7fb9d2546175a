/*
 * parameterized.h (plain harness) — Criterion's parameterized tests: each
 * element of the parameter array runs as a test of its own.
 */
#ifndef STRATA_PLAIN_HARNESS_PARAMETERIZED_H
#define STRATA_PLAIN_HARNESS_PARAMETERIZED_H

#include <criterion/criterion.h>

#define cr_make_param_array(type, arr, n) \
	((struct harness_params){ (arr), sizeof(type), (n) })

#define ParameterizedTestParameters(suite, name) \
	static struct harness_params harness_params_##suite##_##name(void)

#define ParameterizedTest(param, suite, name)                              \
	static struct harness_params harness_params_##suite##_##name(void); \
	static void harness_pfn_##suite##_##name(param);                   \
	static void harness_pwrap_##suite##_##name(void *arg) {            \
		harness_pfn_##suite##_##name(arg);                         \
	}                                                                  \
	HARNESS_REGISTER(suite, name, NULL, harness_params_##suite##_##name, \
	                 harness_pwrap_##suite##_##name)                   \
	static void harness_pfn_##suite##_##name(param)

#endif
