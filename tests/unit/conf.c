/*
 * conf.c — the options parser: every key with valid values, each kind of
 * bad input reported in one stderr line that names the key, the value
 * given and the value kept, the MALLOC_CONF subset, empty pairs, size
 * suffixes, and abort_conf.  conf_parse is called directly; each test is
 * a process of its own, so opt starts from its defaults.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "conf.h"
#include "expect_abort.h"

TestSuite(conf, .timeout = 60);

/* What one conf_parse call wrote to stderr. */
typedef struct parsed {
	unsigned errors;
	char text[4096];
} parsed_t;

static parsed_t parse(const char *text, const char *source, bool is_jemalloc) {
	parsed_t r = { 0 };
	int fds[2];
	cr_assert_eq(pipe(fds), 0);
	int saved = dup(STDERR_FILENO);
	dup2(fds[1], STDERR_FILENO);
	close(fds[1]);
	r.errors = conf_parse(text, source, is_jemalloc);
	dup2(saved, STDERR_FILENO);
	close(saved);
	ssize_t n = read(fds[0], r.text, sizeof(r.text) - 1);
	r.text[n > 0 ? n : 0] = '\0';
	close(fds[0]);
	return r;
}

static parsed_t parse_strata(const char *text) {
	return parse(text, "STRATA_CONF", false);
}

static void assert_quiet(const parsed_t *r, const char *text) {
	cr_assert_eq(r->errors, 0, "'%s': %s", text, r->text);
	cr_assert_str_empty(r->text, "'%s'", text);
}

static unsigned count_lines(const char *s) {
	unsigned n = 0;
	for (; *s != '\0'; s++)
		n += *s == '\n';
	return n;
}

/* ---- valid values ---- */

Test(conf, every_bool_key_takes_true_false_1_and_0) {
	struct { const char *key; bool *slot; } keys[] = {
		{ "abort_conf", &opt.abort_conf },
		{ "confirm_conf", &opt.confirm_conf },
		{ "tcache", &opt.tcache },
		{ "background_thread", &opt.background_thread },
		{ "retain", &opt.retain },
		{ "stats_print", &opt.stats_print },
		{ "hugepages", &opt.hugepages },
		{ "abort", &opt.abort },
	};
	const char *values[] = { "true", "false", "1", "0", "true", "0" };
	bool want[] = { true, false, true, false, true, false };
	for (size_t k = 0; k < ARRAY_LEN(keys); k++)
		for (size_t v = 0; v < ARRAY_LEN(values); v++) {
			char text[64];
			snprintf(text, sizeof(text), "%s:%s", keys[k].key, values[v]);
			parsed_t r = parse_strata(text);
			assert_quiet(&r, text);
			cr_assert_eq(*keys[k].slot, want[v], "%s", text);
		}
}

Test(conf, every_numeric_key_takes_its_bounds_and_a_middle_value) {
	parsed_t r;
#define CHECK(text, expr)                          \
	do {                                       \
		r = parse_strata(text);            \
		assert_quiet(&r, text);            \
		cr_assert(expr, "%s", text);       \
	} while (0)
	CHECK("narenas:1", opt.narenas == 1);
	CHECK("narenas:2048", opt.narenas == 2048);
	CHECK("narenas:+17", opt.narenas == 17);
	CHECK("tcache_max:0", opt.tcache_max == 0);
	CHECK("tcache_max:2097152", opt.tcache_max == 2097152);
	CHECK("tcache_max:65536", opt.tcache_max == 65536);
	CHECK("dirty_decay_ms:-1", opt.dirty_decay_ms == -1);
	CHECK("dirty_decay_ms:0", opt.dirty_decay_ms == 0);
	CHECK("dirty_decay_ms:1099511627776",
	      opt.dirty_decay_ms == 1099511627776L);
	CHECK("muzzy_decay_ms:-1", opt.muzzy_decay_ms == -1);
	CHECK("muzzy_decay_ms:250", opt.muzzy_decay_ms == 250);
	CHECK("max_background_threads:1", opt.max_background_threads == 1);
	CHECK("max_background_threads:4", opt.max_background_threads == 4);
	CHECK("metadata_thp:auto", opt.metadata_thp == METADATA_THP_AUTO);
	CHECK("metadata_thp:always", opt.metadata_thp == METADATA_THP_ALWAYS);
	CHECK("metadata_thp:disabled",
	      opt.metadata_thp == METADATA_THP_DISABLED);
	CHECK("mem_limit_soft:0", opt.mem_limit_soft == 0);
	CHECK("mem_limit_soft:123456789", opt.mem_limit_soft == 123456789);
	CHECK("mem_limit_hard:1125899906842624",
	      opt.mem_limit_hard == ((size_t)1 << 50));
	CHECK("thp:always", opt.thp == THP_ALWAYS);
	CHECK("thp:never", opt.thp == THP_NEVER);
	CHECK("thp:default", opt.thp == THP_DEFAULT);
	CHECK("stats_print_opts:J", strcmp(opt.stats_print_opts, "J") == 0);
	CHECK("stats_print_opts:", strcmp(opt.stats_print_opts, "") == 0);
	CHECK("stats_print_opts:abcdefghijklmno",
	      strcmp(opt.stats_print_opts, "abcdefghijklmno") == 0);
#undef CHECK
}

Test(conf, size_suffixes_scale_by_powers_of_1024) {
	struct { const char *text; size_t want; } cases[] = {
		{ "tcache_max:16k", 16384 }, { "tcache_max:16K", 16384 },
		{ "tcache_max:2m", 2097152 }, { "tcache_max:64kb", 65536 },
		{ "tcache_max:64KB", 65536 }, { "tcache_max:1M", 1048576 },
	};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		parsed_t r = parse_strata(cases[i].text);
		assert_quiet(&r, cases[i].text);
		cr_assert_eq(opt.tcache_max, cases[i].want, "%s", cases[i].text);
	}
	parsed_t r = parse_strata("mem_limit_soft:3g,mem_limit_hard:5G");
	assert_quiet(&r, "g");
	cr_assert_eq(opt.mem_limit_soft, (size_t)3 << 30);
	cr_assert_eq(opt.mem_limit_hard, (size_t)5 << 30);
}

Test(conf, several_pairs_and_empty_pairs_are_read_in_order) {
	const char *text = ",,narenas:3,,tcache:false,,,narenas:5,";
	parsed_t r = parse_strata(text);
	assert_quiet(&r, text);
	cr_assert_eq(opt.narenas, 5, "the later pair wins");
	cr_assert_not(opt.tcache);
	r = parse_strata("");
	assert_quiet(&r, "");
	r = parse_strata(",,,");
	assert_quiet(&r, ",,,");
	cr_assert_eq(conf_parse(NULL, "STRATA_CONF", false), 0);
}

Test(conf, malloc_conf_sets_the_keys_jemalloc_shares) {
	const char *text = "narenas:7,tcache:false,dirty_decay_ms:0,"
	                   "muzzy_decay_ms:5,retain:false,thp:never,"
	                   "background_thread:false,tcache_max:4k";
	parsed_t r = parse(text, "MALLOC_CONF", true);
	assert_quiet(&r, text);
	cr_assert_eq(opt.narenas, 7);
	cr_assert_not(opt.tcache);
	cr_assert_eq(opt.dirty_decay_ms, 0);
	cr_assert_eq(opt.muzzy_decay_ms, 5);
	cr_assert_not(opt.retain);
	cr_assert_eq(opt.thp, THP_NEVER);
	cr_assert_eq(opt.tcache_max, 4096);
}

/* ---- bad input ---- */

/* One error, one line, naming the source, the pair given and (for a known
 * key) the value kept. */
static void assert_reported(const char *text, const char *line) {
	parsed_t r = parse_strata(text);
	cr_assert_eq(r.errors, 1, "'%s': %u errors", text, r.errors);
	cr_assert_eq(count_lines(r.text), 1, "'%s': '%s'", text, r.text);
	cr_assert_str_eq(r.text, line, "'%s'", text);
}

Test(conf, unknown_key_is_reported_and_ignored) {
	assert_reported("bogus:1",
	                "strata: STRATA_CONF: unknown option 'bogus'; ignored\n");
	assert_reported("junk_free:true", "strata: STRATA_CONF: unknown option "
	                                  "'junk_free'; ignored\n");
	assert_reported("Narenas:4", "strata: STRATA_CONF: unknown option "
	                             "'Narenas'; ignored\n");
	cr_assert_eq(opt.narenas, 0);
}

Test(conf, missing_value_keeps_the_previous_value) {
	assert_reported("narenas", "strata: STRATA_CONF: missing value in "
	                           "'narenas:'; using the default\n");
	assert_reported("tcache", "strata: STRATA_CONF: missing value in "
	                          "'tcache:'; using tcache:true\n");
	cr_assert(opt.tcache);
}

Test(conf, bad_numbers_are_reported) {
	const char *bad[] = { "abc", "", "-", "+", "1.5", " 3", "0x10", "3 " };
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		char text[64], line[160];
		snprintf(text, sizeof(text), "narenas:%s", bad[i]);
		snprintf(line, sizeof(line),
		         "strata: STRATA_CONF: invalid value in 'narenas:%s'; "
		         "using the default\n", bad[i]);
		assert_reported(text, line);
	}
	cr_assert_eq(opt.narenas, 0);
}

Test(conf, values_out_of_range_are_reported_with_the_value_kept) {
	assert_reported("narenas:0", "strata: STRATA_CONF: invalid value in "
	                             "'narenas:0'; using the default\n");
	assert_reported("narenas:2049", "strata: STRATA_CONF: invalid value in "
	                                "'narenas:2049'; using the default\n");
	assert_reported("dirty_decay_ms:-2",
	                "strata: STRATA_CONF: invalid value in "
	                "'dirty_decay_ms:-2'; using dirty_decay_ms:10000\n");
	assert_reported("muzzy_decay_ms:1099511627777",
	                "strata: STRATA_CONF: invalid value in "
	                "'muzzy_decay_ms:1099511627777'; using "
	                "muzzy_decay_ms:0\n");
	assert_reported("tcache_max:2097153",
	                "strata: STRATA_CONF: invalid value in "
	                "'tcache_max:2097153'; using tcache_max:32768\n");
	assert_reported("tcache_max:3m", "strata: STRATA_CONF: invalid value in "
	                                 "'tcache_max:3m'; using "
	                                 "tcache_max:32768\n");
	assert_reported("max_background_threads:0",
	                "strata: STRATA_CONF: invalid value in "
	                "'max_background_threads:0'; using "
	                "max_background_threads:1\n");
	assert_reported("mem_limit_soft:-1",
	                "strata: STRATA_CONF: invalid value in "
	                "'mem_limit_soft:-1'; using mem_limit_soft:0\n");
	assert_reported("narenas:99999999999999999999999",
	                "strata: STRATA_CONF: invalid value in "
	                "'narenas:99999999999999999999999'; using the "
	                "default\n");
}

Test(conf, bad_bools_and_enums_are_reported) {
	const char *bad[] = { "yes", "no", "TRUE", "2", "", "truex" };
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		char text[64], line[160];
		snprintf(text, sizeof(text), "retain:%s", bad[i]);
		snprintf(line, sizeof(line),
		         "strata: STRATA_CONF: invalid value in 'retain:%s'; "
		         "using retain:true\n", bad[i]);
		assert_reported(text, line);
	}
	assert_reported("thp:sometimes", "strata: STRATA_CONF: invalid value in "
	                                 "'thp:sometimes'; using thp:default\n");
	cr_assert(opt.retain);
}

Test(conf, trailing_garbage_is_reported) {
	assert_reported("narenas:12x", "strata: STRATA_CONF: invalid value in "
	                               "'narenas:12x'; using the default\n");
	assert_reported("dirty_decay_ms:5ms",
	                "strata: STRATA_CONF: invalid value in "
	                "'dirty_decay_ms:5ms'; using dirty_decay_ms:10000\n");
	assert_reported("tcache_max:16kx", "strata: STRATA_CONF: invalid value "
	                                   "in 'tcache_max:16kx'; using "
	                                   "tcache_max:32768\n");
	/* Suffixes belong to sizes only. */
	assert_reported("narenas:2k", "strata: STRATA_CONF: invalid value in "
	                              "'narenas:2k'; using the default\n");
	assert_reported("tcache:true:false",
	                "strata: STRATA_CONF: invalid value in "
	                "'tcache:true:false'; using tcache:true\n");
}

Test(conf, overlong_string_is_reported_not_truncated) {
	parsed_t r = parse_strata("stats_print_opts:J");
	assert_quiet(&r, "J");
	assert_reported("stats_print_opts:abcdefghijklmnop",
	                "strata: STRATA_CONF: invalid value in "
	                "'stats_print_opts:abcdefghijklmnop'; using "
	                "stats_print_opts:J\n");
	cr_assert_str_eq(opt.stats_print_opts, "J");
}

/* The line names the value in force, which an earlier pair may have set. */
Test(conf, report_names_the_value_in_force) {
	parsed_t r = parse_strata("narenas:9,narenas:none");
	cr_assert_eq(r.errors, 1);
	cr_assert_str_eq(r.text, "strata: STRATA_CONF: invalid value in "
	                         "'narenas:none'; using narenas:9\n");
	cr_assert_eq(opt.narenas, 9);
}

Test(conf, good_pairs_around_a_bad_one_still_apply) {
	parsed_t r = parse_strata("narenas:3,bogus,tcache:false,retain:maybe");
	cr_assert_eq(r.errors, 2);
	cr_assert_eq(count_lines(r.text), 2, "'%s'", r.text);
	cr_assert_eq(opt.narenas, 3);
	cr_assert_not(opt.tcache);
	cr_assert(opt.retain);
}

Test(conf, malloc_conf_rejects_strata_only_keys) {
	const char *keys[] = { "mem_limit_soft:1m", "mem_limit_hard:1m",
		               "hugepages:false", "junk_free:true" };
	for (size_t i = 0; i < ARRAY_LEN(keys); i++) {
		parsed_t r = parse(keys[i], "MALLOC_CONF", true);
		cr_assert_eq(r.errors, 1, "%s", keys[i]);
		cr_assert_eq(count_lines(r.text), 1);
		cr_assert_eq(strncmp(r.text, "strata: MALLOC_CONF: ", 21), 0, "'%s'",
		             r.text);
		char key[32];
		snprintf(key, sizeof(key), "'%.*s'",
		         (int)(strchr(keys[i], ':') - keys[i]), keys[i]);
		cr_assert_not_null(strstr(r.text, key), "'%s' lacks %s", r.text,
		                   key);
	}
	cr_assert_eq(opt.mem_limit_soft, 0);
	cr_assert_eq(opt.mem_limit_hard, 0);
	cr_assert(opt.hugepages);
	/* The same keys are fine in STRATA_CONF. */
	parsed_t r = parse_strata("mem_limit_soft:1m,hugepages:false");
	assert_quiet(&r, "strata keys");
	cr_assert_eq(opt.mem_limit_soft, (size_t)1 << 20);
}

static void parse_fatal(void *arg) {
	const conf_source_t *src = arg;
	conf_read(src, 2);
}

Test(conf, abort_conf_makes_a_bad_option_fatal) {
	conf_source_t src[] = { { "STRATA_CONF", "abort_conf:true,narenas:lots",
		                  false }, { "MALLOC_CONF", NULL, true } };
	child_outcome_t out = run_in_child(parse_fatal, src);
	cr_assert(WIFSIGNALED(out.status) && WTERMSIG(out.status) == SIGABRT,
	          "status %#x, said '%s'", out.status, out.text);
	cr_assert_str_eq(out.text, "strata: STRATA_CONF: invalid value in "
	                           "'narenas:lots'; using the default\n"
	                           "strata: abort_conf:true, aborting\n");
}

Test(conf, without_abort_conf_a_bad_option_is_not_fatal) {
	parsed_t r = parse_strata("abort_conf:false,narenas:lots,narenas:4");
	cr_assert_eq(r.errors, 1);
	cr_assert_eq(opt.narenas, 4);
}

/* ---- jemalloc's keys, one row each: what MALLOC_CONF does ---- */

#include "strata.h"

/* An accepted pair and what ctl then reads: a number (bools as 0/1) or,
 * for strings and words, text. */
typedef struct accepted {
	const char *text, *ctl;
	long long number;
	const char *word;
	size_t bytes; /* of the ctl value */
} accepted_t;

static const accepted_t jemalloc_accepted[] = {
	{ "abort:true", "opt.abort", 1, NULL, sizeof(bool) },
	{ "abort_conf:true", "opt.abort_conf", 1, NULL, sizeof(bool) },
	{ "confirm_conf:false", "opt.confirm_conf", 0, NULL, sizeof(bool) },
	{ "narenas:3", "opt.narenas", 3, NULL, sizeof(unsigned) },
	{ "tcache:false", "opt.tcache", 0, NULL, sizeof(bool) },
	{ "tcache_max:65536", "opt.tcache_max", 65536, NULL, sizeof(size_t) },
	{ "lg_tcache_max:16", "opt.tcache_max", 65536, NULL, sizeof(size_t) },
	{ "lg_tcache_max:12", "opt.tcache_max", 4096, NULL, sizeof(size_t) },
	{ "dirty_decay_ms:0", "opt.dirty_decay_ms", 0, NULL, sizeof(long) },
	{ "muzzy_decay_ms:-1", "opt.muzzy_decay_ms", -1, NULL, sizeof(long) },
	{ "background_thread:false", "opt.background_thread", 0, NULL,
	  sizeof(bool) },
	{ "max_background_threads:4", "opt.max_background_threads", 4, NULL,
	  sizeof(size_t) },
	{ "retain:false", "opt.retain", 0, NULL, sizeof(bool) },
	{ "thp:never", "opt.thp", 0, "never", sizeof(char *) },
	{ "thp:default", "opt.thp", 0, "default", sizeof(char *) },
	{ "metadata_thp:auto", "opt.metadata_thp", 0, "auto", sizeof(char *) },
	{ "oversize_threshold:0", "opt.oversize_threshold", 0, NULL,
	  sizeof(size_t) },
	{ "oversize_threshold:1m", "opt.oversize_threshold", 1 << 20, NULL,
	  sizeof(size_t) },
	{ "stats_print:true", "opt.stats_print", 1, NULL, sizeof(bool) },
	{ "stats_print_opts:J", "opt.stats_print_opts", 0, "J",
	  sizeof(char *) },
	{ "percpu_arena:disabled", "opt.percpu_arena", 0, "disabled",
	  sizeof(char *) },
	{ "dss:disabled", "opt.dss", 0, "disabled", sizeof(char *) },
	{ "zero_realloc:free", NULL, 0, NULL, 0 },
	{ "hpa:false", NULL, 0, NULL, 0 },
	{ "junk:false", NULL, 0, NULL, 0 },
	{ "zero:false", NULL, 0, NULL, 0 },
	{ "xmalloc:false", NULL, 0, NULL, 0 },
	{ "stats_interval:-1", NULL, 0, NULL, 0 },
	{ "san_guard_small:0", NULL, 0, NULL, 0 },
};

static long long ctl_number(const char *name, size_t bytes) {
	union { bool b; unsigned u; long long ll; } v = { 0 };
	size_t len = bytes;
	cr_assert_eq(strata_ctl(name, &v, &len, NULL, 0), 0, "%s", name);
	cr_assert_eq(len, bytes, "%s", name);
	if (bytes == sizeof(bool))
		return v.b;
	if (bytes == sizeof(unsigned))
		return v.u;
	return v.ll; /* size_t and long: both 64-bit here */
}

Test(conf, every_jemalloc_key_strata_has_means_its_value_through_ctl) {
	for (size_t i = 0; i < ARRAY_LEN(jemalloc_accepted); i++) {
		const accepted_t *a = &jemalloc_accepted[i];
		parsed_t r = parse(a->text, "MALLOC_CONF", true);
		assert_quiet(&r, a->text);
		if (a->ctl == NULL)
			continue;
		if (a->word != NULL) {
			const char *s = NULL;
			size_t len = sizeof(s);
			cr_assert_eq(strata_ctl(a->ctl, &s, &len, NULL, 0), 0);
			cr_assert_str_eq(s, a->word, "%s", a->text);
		} else {
			cr_assert_eq(ctl_number(a->ctl, a->bytes), a->number,
			             "%s", a->text);
		}
	}
}

/* A key or value jemalloc 5.3 takes and strata does not honour: one line,
 * saying so and why, not an error (never fatal). */
static const char *const jemalloc_not_honoured[] = {
	"cache_oblivious:false", "trust_madvise:true", "dss:secondary",
	"dss:primary", "percpu_arena:percpu", "percpu_arena:phycpu",
	"bin_shards:1-160:16", "stats_interval:1000000",
	"stats_interval_opts:J", "utrace:true", "xmalloc:true",
	"experimental_infallible_new:true", "tcache_nslots_small_min:20",
	"tcache_nslots_small_max:200", "tcache_nslots_large:20",
	"lg_tcache_nslots_mul:1", "tcache_gc_incr_bytes:65536",
	"tcache_gc_delay_bytes:0", "lg_tcache_flush_small_div:1",
	"lg_tcache_flush_large_div:1", "mutex_max_spin:600",
	"lg_extent_max_active_fit:6", "hpa:true", "hpa_slab_max_alloc:64k",
	"hpa_dirty_mult:-1", "hpa_sec_nshards:4", "slab_sizes:1-4096:1",
	"zero_realloc:alloc", "lg_san_uaf_align:12", "san_guard_small:1",
	"san_guard_large:1",
};

Test(conf, every_jemalloc_key_strata_lacks_gets_one_line_and_no_error) {
	for (size_t i = 0; i < ARRAY_LEN(jemalloc_not_honoured); i++) {
		const char *text = jemalloc_not_honoured[i];
		parsed_t r = parse(text, "MALLOC_CONF", true);
		cr_assert_eq(r.errors, 0, "%s: %s", text, r.text);
		cr_assert_eq(count_lines(r.text), 1, "%s: '%s'", text, r.text);
		char head[96];
		snprintf(head, sizeof(head), "strata: MALLOC_CONF: jemalloc's '%s' "
		         "is not honoured: ", text);
		cr_assert_eq(strncmp(r.text, head, strlen(head)), 0, "'%s'",
		             r.text);
		cr_assert_gt(strlen(r.text), strlen(head) + 10, "no reason");
	}
}

Test(conf, malloc_conf_names_the_strata_only_keys_and_unknown_ones) {
	parsed_t r = parse("mem_limit_hard:1g", "MALLOC_CONF", true);
	cr_assert_eq(r.errors, 1);
	cr_assert_str_eq(r.text, "strata: MALLOC_CONF: 'mem_limit_hard' is a "
	                         "strata option, set it in STRATA_CONF; "
	                         "ignored\n");
	cr_assert_eq(opt.mem_limit_hard, 0);
	r = parse("narenass:4", "MALLOC_CONF", true);
	cr_assert_eq(r.errors, 1);
	cr_assert_str_eq(r.text, "strata: MALLOC_CONF: unknown jemalloc key "
	                         "'narenass'; ignored\n");
	r = parse("lg_tcache_max:30", "MALLOC_CONF", true);
	cr_assert_eq(r.errors, 1, "2^30 is past tcache_max's bound");
	cr_assert_eq(opt.tcache_max, 32768);
}

static void read_fatal(void *arg) {
	const conf_source_t *src = arg;
	conf_read(src, 3);
}

static child_outcome_t read_in_child(const char *malloc_conf,
                                     const char *strata_conf) {
	static conf_source_t src[3];
	src[0] = (conf_source_t){ "malloc_conf", NULL, true };
	src[1] = (conf_source_t){ "MALLOC_CONF", malloc_conf, true };
	src[2] = (conf_source_t){ "STRATA_CONF", strata_conf, false };
	return run_in_child(read_fatal, src);
}

static bool is_abort(child_outcome_t out) {
	return WIFSIGNALED(out.status) && WTERMSIG(out.status) == SIGABRT;
}

Test(conf, abort_conf_covers_errors_before_it_and_in_other_sources) {
	child_outcome_t out = read_in_child("narenas:abc,abort_conf:true", NULL);
	cr_assert(is_abort(out), "before it: %#x '%s'", out.status, out.text);
	out = read_in_child("narenas:abc", "abort_conf:true");
	cr_assert(is_abort(out), "STRATA_CONF over MALLOC_CONF: '%s'",
	          out.text);
	out = read_in_child("abort_conf:true", "narenas:abc");
	cr_assert(is_abort(out), "MALLOC_CONF over STRATA_CONF: '%s'",
	          out.text);
	out = read_in_child("abort:true,narenas:abc", NULL);
	cr_assert(is_abort(out), "abort: '%s'", out.text);
	out = read_in_child("narenas:abc", NULL);
	cr_assert(WIFEXITED(out.status) && WEXITSTATUS(out.status) == 0,
	          "without abort_conf: %#x", out.status);
}

Test(conf, abort_conf_does_not_abort_on_a_valid_jemalloc_key) {
	child_outcome_t out = read_in_child(
	    "abort_conf:true,cache_oblivious:false,percpu_arena:percpu,"
	    "hpa:true", NULL);
	cr_assert(WIFEXITED(out.status) && WEXITSTATUS(out.status) == 0,
	          "status %#x, said '%s'", out.status, out.text);
	cr_assert_eq(count_lines(out.text), 3, "'%s'", out.text);
}

Test(conf, thp_always_without_huge_page_advice_is_reported) {
	parsed_t r = parse("thp:always", "MALLOC_CONF", true);
	assert_quiet(&r, "thp:always");
	int fds[2];
	cr_assert_eq(pipe(fds), 0);
	int saved = dup(STDERR_FILENO);
	dup2(fds[1], STDERR_FILENO);
	close(fds[1]);
	conf_check_backend("posix", false, false);
	conf_check_backend("numa", true, false);
	dup2(saved, STDERR_FILENO);
	close(saved);
	char text[512];
	ssize_t n = read(fds[0], text, sizeof(text) - 1);
	text[n > 0 ? n : 0] = '\0';
	close(fds[0]);
	cr_assert_str_eq(text, "strata: thp:always is not "
	                       "honoured: the posix backend gives no huge-page "
	                       "advice; build with -Dmemory_backend=numa\n");
	cr_assert(conf_is_set(CONF_ID_thp));
	cr_assert_not(conf_is_set(CONF_ID_narenas));
}

/* Stderr of one conf_check_backend call, into text. */
static void check_backend_text(const char *backend, bool has_tagging,
                               char *text, size_t cap) {
	int fds[2];
	cr_assert_eq(pipe(fds), 0);
	int saved = dup(STDERR_FILENO);
	dup2(fds[1], STDERR_FILENO);
	close(fds[1]);
	conf_check_backend(backend, false, has_tagging);
	dup2(saved, STDERR_FILENO);
	close(saved);
	ssize_t n = read(fds[0], text, cap - 1);
	text[n > 0 ? n : 0] = '\0';
	close(fds[0]);
}

Test(conf, mte_without_tagging_is_reported_only_when_set) {
	char text[512];
	check_backend_text("posix", false, text, sizeof(text));
	cr_assert_str_empty(text, "mte not set, and not the mte build");
	parsed_t r = parse_strata("mte:async");
	assert_quiet(&r, "mte:async");
	cr_assert_eq(opt.mte, MTE_ASYNC);
	check_backend_text("mte", true, text, sizeof(text));
	cr_assert_str_empty(text, "the backend has tags");
	check_backend_text("posix", false, text, sizeof(text));
	cr_assert_str_eq(text, "strata: mte:async is not honoured: the posix "
	                       "backend has no memory tagging; build with "
	                       "-Dmemory_backend=mte\n");
	r = parse_strata("mte:off");
	assert_quiet(&r, "mte:off");
	check_backend_text("posix", false, text, sizeof(text));
	cr_assert_str_empty(text, "mte:off asks for nothing");
	r = parse_strata("mte:never");
	cr_assert_eq(r.errors, 1, "a bad mode is one error: '%s'", r.text);
	cr_assert_eq(opt.mte, MTE_OFF, "the previous value stays");
}
