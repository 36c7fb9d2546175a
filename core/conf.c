/*
 * conf.c — the options parser, over the table conf.h's CONF_OPTIONS
 * describes (name, type, bounds, where it is stored, whether MALLOC_CONF
 * may set it), and the readers ctl and the statistics use.
 */
#include "conf.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conf_app.h"
#include "prim.h"
#include "report.h"

#ifndef STRATA_CONF_DEFAULT
#define STRATA_CONF_DEFAULT ""
#endif

conf_t opt = {
#define CONF_DEFAULT(name, type, def, ...) .name = def,
	CONF_OPTIONS(CONF_DEFAULT)
#undef CONF_DEFAULT
};

const char *const conf_thp_choices[] = { "default", "always", "never",
	                                 NULL };
const char *const conf_junk_choices[] = { "false", "true", "alloc", "free",
	                                  NULL };
/* Threads go to the least loaded arena, never by CPU: jemalloc's
 * "disabled" is accepted so that its configurations carry over. */
const char *const conf_percpu_arena_choices[] = { "disabled", NULL };
const char *const conf_dss_choices[] = { "disabled", NULL };
const char *const conf_mte_choices[] = { "sync", "async", "off", NULL };
const char *const conf_metadata_thp_choices[] = { "disabled", "auto",
	                                          "always", NULL };

static bool conf_set[CONF_NOPTIONS];

bool conf_is_set(enum conf_id id) { return conf_set[id]; }

/*
 * jemalloc 5.3's keys that strata has no row for (src/jemalloc.c,
 * malloc_conf_init_helper).  A pair with one of them is valid to jemalloc,
 * so it is reported in one line saying how strata differs and what to use
 * instead, and is never fatal.  .value, when set, is the one value that
 * already describes strata (accepted quietly: hpa:false, junk:false ...);
 * .is_prefix matches a family of keys.  Some of these exist only in
 * jemalloc builds configured for them (utrace, xmalloc, lg_san_uaf_align;
 * Debian's 5.3 also lacks cache_oblivious).  A row of CONF_OPTIONS with
 * the same key (prof, prof_active ..., junk, zero) takes precedence.
 */
typedef struct conf_jemalloc_key {
	const char *key;
	const char *value;
	bool is_prefix;
	const char *why;
} conf_jemalloc_key_t;

/* Values jemalloc 5.3 takes for a key whose row takes fewer: reported as
 * not honoured (the row's .why above), not as malformed. */
static const struct {
	const char *key, *value;
} conf_jemalloc_values[] = {
	{ "dss", "primary" }, { "dss", "secondary" },
	{ "percpu_arena", "percpu" }, { "percpu_arena", "phycpu" },
};

static const conf_jemalloc_key_t conf_jemalloc_keys[] = {
	{ "cache_oblivious", NULL, false,
	  "strata does not offset large blocks by a random cache line" },
	{ "trust_madvise", NULL, false,
	  "strata always uses madvise where the system has it" },
	{ "dss", "disabled", false,
	  "strata never uses sbrk; every mapping comes from mmap "
	  "(dss:disabled)" },
	{ "percpu_arena", "disabled", false,
	  "strata gives a thread the least loaded arena, never by CPU; "
	  "set narenas" },
	{ "bin_shards", NULL, false,
	  "strata has one lock per bin and per-thread caches in front" },
	{ "stats_interval", "-1", true,
	  "strata prints statistics at exit (stats_print) or when the "
	  "program calls malloc_stats_print" },
	{ "utrace", "false", false, "strata has no utrace(2) tracing" },
	{ "xmalloc", "false", false,
	  "strata returns NULL with errno ENOMEM on failure" },
	{ "experimental_infallible_new", "false", false,
	  "strata's operator new throws std::bad_alloc as the standard "
	  "says" },
	{ "tcache_nslots", NULL, true,
	  "strata sizes each thread-cache bin itself; set tcache_max" },
	{ "lg_tcache_nslots_mul", NULL, false,
	  "strata sizes each thread-cache bin itself; set tcache_max" },
	{ "tcache_gc", NULL, true,
	  "strata flushes thread caches on fill and at thread exit; use "
	  "thread.tcache.flush" },
	{ "lg_tcache_flush", NULL, true,
	  "strata flushes half a thread-cache bin at a time" },
	{ "mutex_max_spin", NULL, false, "strata's locks do not spin" },
	{ "lg_extent_max_active_fit", NULL, false,
	  "strata fits runs inside chunks best-fit, with no such bound" },
	{ "hpa", "false", true,
	  "strata has no huge-page allocator; on the numa backend arena "
	  "chunks get huge pages (thp, hugepages)" },
	{ "slab_sizes", NULL, false,
	  "strata's slab sizes are fixed per size class" },
	{ "prof", "false", true,
	  "strata's heap profiler has no such option (docs/profiling.md)" },
	{ "zero_realloc", "free", false,
	  "strata's realloc(p, 0) frees p and returns NULL "
	  "(zero_realloc:free)" },
	{ "lg_san_uaf_align", NULL, false,
	  "strata has no use-after-free sanitizer" },
	{ "san_guard", "0", true, "strata has no guard pages" },
};

const conf_option_t conf_options[CONF_NOPTIONS] = {
#define CONF_ROW(nm, ty, def, je, text, ...)                              \
	[CONF_ID_##nm] = { .name = #nm, .type = CONF_##ty,                \
	                   .jemalloc = CONF_JEMALLOC_##je, .doc = text,   \
	                   .offset = offsetof(conf_t, nm),                \
	                   .bytes = sizeof(opt.nm), __VA_ARGS__ },
	CONF_OPTIONS(CONF_ROW)
#undef CONF_ROW
};

const char *conf_compiled_default(void) { return STRATA_CONF_DEFAULT; }

/* A bounded view of the text: [p, p + len). */
typedef struct span {
	const char *p;
	size_t len;
} span_t;

static bool span_eq(span_t s, const char *word) {
	return strlen(word) == s.len && memcmp(s.p, word, s.len) == 0;
}

static void span_copy(span_t s, char *out, size_t cap) {
	size_t n = s.len < cap - 1 ? s.len : cap - 1;
	memcpy(out, s.p, n);
	out[n] = '\0';
}

static bool parse_bool(span_t v, bool *out) {
	if (span_eq(v, "true") || span_eq(v, "1"))
		*out = true;
	else if (span_eq(v, "false") || span_eq(v, "0"))
		*out = false;
	else
		return false;
	return true;
}

/* Decimal integer with an optional sign and k/m/g suffix (for sizes). */
static bool parse_number(span_t v, bool allow_suffix, long long *out) {
	size_t i = 0;
	bool neg = false;
	if (i < v.len && (v.p[i] == '-' || v.p[i] == '+'))
		neg = v.p[i++] == '-';
	if (i == v.len)
		return false;
	unsigned long long n = 0;
	for (; i < v.len && v.p[i] >= '0' && v.p[i] <= '9'; i++) {
		if (n > (ULLONG_MAX - 9) / 10)
			return false;
		n = n * 10 + (unsigned)(v.p[i] - '0');
	}
	if (i < v.len && allow_suffix) {
		unsigned shift = 0;
		switch (v.p[i]) {
		case 'k': case 'K': shift = 10; break;
		case 'm': case 'M': shift = 20; break;
		case 'g': case 'G': shift = 30; break;
		default: return false;
		}
		if (n > (ULLONG_MAX >> shift))
			return false;
		n <<= shift;
		i++;
		if (i < v.len && (v.p[i] == 'b' || v.p[i] == 'B'))
			i++;
	}
	if (i != v.len || n > (unsigned long long)LLONG_MAX)
		return false;
	*out = neg ? -(long long)n : (long long)n;
	return true;
}

static void *conf_slot(const conf_option_t *o) {
	return (char *)&opt + o->offset;
}

static bool conf_apply(const conf_option_t *o, span_t v) {
	long long n;
	void *slot = conf_slot(o);
	switch (o->type) {
	case CONF_BOOL:
		return parse_bool(v, slot);
	case CONF_STRING:
	case CONF_PATH:
		if (v.len >= o->bytes)
			return false;
		span_copy(v, slot, o->bytes);
		return true;
	case CONF_ENUM:
		for (unsigned i = 0; o->choices[i] != NULL; i++)
			if (span_eq(v, o->choices[i])) {
				*(unsigned *)slot = i;
				return true;
			}
		return false;
	default:
		break;
	}
	if (!parse_number(v, o->type == CONF_SIZE, &n) || n < o->min ||
	    n > o->max)
		return false;
	if (o->type == CONF_UNSIGNED)
		*(unsigned *)slot = (unsigned)n;
	else if (o->type == CONF_SIZE)
		*(size_t *)slot = (size_t)n;
	else
		*(long *)slot = (long)n;
	return true;
}

static const conf_option_t *conf_find(span_t key) {
	for (size_t i = 0; i < CONF_NOPTIONS; i++)
		if (span_eq(key, conf_options[i].name))
			return &conf_options[i];
	return NULL;
}

/* The number stored in opt (booleans as 0 or 1). */
static long long conf_stored_number(const conf_option_t *o) {
	const void *slot = conf_slot(o);
	switch (o->type) {
	case CONF_BOOL: return *(const bool *)slot;
	case CONF_UNSIGNED:
	case CONF_ENUM: return *(const unsigned *)slot;
	case CONF_SIZE: return (long long)*(const size_t *)slot;
	case CONF_LONG:
	case CONF_MS: return *(const long *)slot;
	case CONF_STRING:
	case CONF_PATH: break;
	}
	return 0;
}

bool conf_option_bool(const conf_option_t *o) {
	return conf_option_number(o) != 0;
}

long long conf_option_number(const conf_option_t *o) {
	return conf_stored_number(o);
}

const char *conf_option_text(const conf_option_t *o) {
	if (o->type == CONF_STRING || o->type == CONF_PATH)
		return conf_slot(o);
	if (o->type == CONF_ENUM)
		return o->choices[conf_stored_number(o)];
	return NULL;
}

/* The value stored in opt as the parser's messages show it. */
static void conf_value_text(const conf_option_t *o, char *buf, size_t cap) {
	char num[24];
	const char *text = conf_option_text(o);
	long long n = conf_stored_number(o);
	if (o->type == CONF_BOOL)
		text = n != 0 ? "true" : "false";
	if (text != NULL) {
		span_copy((span_t){ text, strlen(text) }, buf, cap);
		return;
	}
	char *p = buf;
	if (n < 0) {
		*p++ = '-';
		n = -n;
	}
	report_u64(num, (unsigned long long)n);
	span_copy((span_t){ num, strlen(num) }, p, cap - (size_t)(p - buf));
}

static void conf_error(const char *source, span_t key, span_t value,
                       const char *problem, const conf_option_t *k) {
	char kb[64], vb[64], cur[64];
	span_copy(key, kb, sizeof(kb));
	span_copy(value, vb, sizeof(vb));
	if (k == NULL) {
		report_line(source, ": ", problem, " '", kb, "'; ignored",
		            (char *)NULL);
		return;
	}
	long long n = conf_stored_number(k);
	if (k->type != CONF_STRING && k->type != CONF_ENUM &&
	    k->type != CONF_BOOL && (n < k->min || n > k->max)) {
		/* The value in force is start-up's to resolve (narenas). */
		report_line(source, ": ", problem, " '", kb, ":", vb,
		            "'; using the default", (char *)NULL);
		return;
	}
	conf_value_text(k, cur, sizeof(cur));
	report_line(source, ": ", problem, " '", kb, ":", vb, "'; using ",
	            kb, ":", cur, (char *)NULL);
}

/* Splits the next `key:value` pair off *text.  False at the end. */
static bool next_pair(const char **text, const char *end, span_t *key,
                      span_t *value, bool *has_colon) {
	const char *p = *text;
	while (p < end && *p == ',')
		p++;
	if (p == end)
		return false;
	const char *comma = memchr(p, ',', (size_t)(end - p));
	const char *stop = comma != NULL ? comma : end;
	const char *colon = memchr(p, ':', (size_t)(stop - p));
	*has_colon = colon != NULL;
	*key = (span_t){ p, (size_t)((colon ? colon : stop) - p) };
	*value = colon ? (span_t){ colon + 1, (size_t)(stop - colon - 1) }
	               : (span_t){ stop, 0 };
	*text = stop;
	return true;
}

static const conf_jemalloc_key_t *conf_find_jemalloc(span_t key) {
	for (size_t i = 0; i < ARRAY_LEN(conf_jemalloc_keys); i++) {
		const conf_jemalloc_key_t *j = &conf_jemalloc_keys[i];
		size_t len = strlen(j->key);
		if (j->is_prefix ? key.len >= len && memcmp(key.p, j->key, len) == 0
		                 : span_eq(key, j->key))
			return j;
	}
	return NULL;
}

static bool conf_is_jemalloc_value(span_t key, span_t value) {
	for (size_t i = 0; i < ARRAY_LEN(conf_jemalloc_values); i++)
		if (span_eq(key, conf_jemalloc_values[i].key) &&
		    span_eq(value, conf_jemalloc_values[i].value))
			return true;
	return false;
}

static void conf_not_honoured(const char *source, span_t key, span_t value,
                              const char *why) {
	char kb[64], vb[64];
	span_copy(key, kb, sizeof(kb));
	span_copy(value, vb, sizeof(vb));
	report_line(source, ": jemalloc's '", kb, ":", vb,
	            "' is not honoured: ", why, (char *)NULL);
}

/* lg_tcache_max:N, the name jemalloc 5.3 still accepts, is
 * tcache_max:2^N.  False when the value is malformed. */
static bool conf_apply_lg_tcache_max(span_t v) {
	long long lg;
	if (!parse_number(v, false, &lg) || lg < 0 || lg > 62)
		return false;
	const conf_option_t *o = &conf_options[CONF_ID_tcache_max];
	if ((1LL << lg) > o->max)
		return false;
	opt.tcache_max = (size_t)1 << lg;
	conf_set[CONF_ID_tcache_max] = true;
	return true;
}

/* A key without a row: mapped, honoured as is, reported, or unknown.
 * Returns 1 when it is an error (unknown key, malformed value). */
static unsigned conf_other_key(const char *source, span_t key, span_t value,
                               bool is_jemalloc_source) {
	if (span_eq(key, "lg_tcache_max")) {
		if (conf_apply_lg_tcache_max(value))
			return 0;
		conf_error(source, key, value, "invalid value in",
		           &conf_options[CONF_ID_tcache_max]);
		return 1;
	}
	const conf_jemalloc_key_t *j = conf_find_jemalloc(key);
	if (j == NULL) {
		conf_error(source, key, value,
		           is_jemalloc_source ? "unknown jemalloc key"
		                              : "unknown option", NULL);
		return 1;
	}
	if (j->value != NULL && span_eq(value, j->value))
		return 0;
	conf_not_honoured(source, key, value, j->why);
	return 0;
}

/* Returns 1 when the pair is an error. */
static unsigned conf_pair(const char *source, span_t key, span_t value,
                          bool has_colon, bool is_jemalloc_source) {
	const conf_option_t *k = conf_find(key);
	if (k == NULL)
		return conf_other_key(source, key, value, is_jemalloc_source);
	if (is_jemalloc_source && k->jemalloc != CONF_JEMALLOC_SAME) {
		char kb[64];
		span_copy(key, kb, sizeof(kb));
		report_line(source, ": '", kb, "' is a strata option, set it "
		            "in STRATA_CONF; ignored", (char *)NULL);
		return 1;
	}
	if (!has_colon) {
		conf_error(source, key, value, "missing value in", k);
		return 1;
	}
	if (!conf_apply(k, value)) {
		if (conf_is_jemalloc_value(key, value)) {
			conf_not_honoured(source, key, value,
			                  conf_find_jemalloc(key)->why);
			return 0;
		}
		conf_error(source, key, value, "invalid value in", k);
		return 1;
	}
	conf_set[k - conf_options] = true;
	return 0;
}

unsigned conf_parse(const char *text, const char *source,
                    bool is_jemalloc_source) {
	if (text == NULL)
		return 0;
	const char *end = text + strlen(text);
	unsigned errors = 0;
	span_t key, value;
	bool has_colon;
	while (next_pair(&text, end, &key, &value, &has_colon))
		errors += conf_pair(source, key, value, has_colon,
		                    is_jemalloc_source);
	return errors;
}

/* The abort_conf and abort pairs alone, quietly (the full pass reports
 * them), so that they cover every source wherever they appear. */
static void conf_scan_abort(const char *text) {
	if (text == NULL)
		return;
	const char *end = text + strlen(text);
	span_t key, value;
	bool has_colon;
	while (next_pair(&text, end, &key, &value, &has_colon)) {
		if (span_eq(key, "abort_conf"))
			parse_bool(value, &opt.abort_conf);
		else if (span_eq(key, "abort"))
			parse_bool(value, &opt.abort);
	}
}

unsigned conf_read(const conf_source_t *sources, size_t n) {
	for (size_t i = 0; i < n; i++)
		conf_scan_abort(sources[i].text);
	unsigned errors = 0;
	for (size_t i = 0; i < n; i++)
		errors += conf_parse(sources[i].text, sources[i].name,
		                     sources[i].is_jemalloc);
	if (errors != 0 && (opt.abort_conf || opt.abort)) {
		report_line(opt.abort_conf ? "abort_conf:true, aborting"
		                           : "abort:true, aborting",
		            (char *)NULL);
		abort();
	}
	return errors;
}

void conf_check_backend(const char *backend, bool has_hugepage,
                        bool has_tagging) {
	if (opt.thp == THP_ALWAYS && !has_hugepage) {
		report_line("thp:always is not honoured: the ",
		            backend, " backend gives no huge-page advice; build "
		            "with -Dmemory_backend=numa", (char *)NULL);
		if (opt.abort)
			abort();
	}
	if (opt.mte != MTE_OFF && !has_tagging &&
	    (STRATA_MTE || conf_is_set(CONF_ID_mte))) {
		if (STRATA_MTE)
			report_line("mte:", conf_mte_choices[opt.mte],
			            " is not honoured: this CPU or kernel has no "
			            "memory tagging (HWCAP2_MTE); running untagged",
			            (char *)NULL);
		else
			report_line("mte:", conf_mte_choices[opt.mte],
			            " is not honoured: the ", backend,
			            " backend has no memory tagging; build with "
			            "-Dmemory_backend=mte", (char *)NULL);
		if (opt.abort)
			abort();
	}
}

static void conf_confirm(void) {
	char value[64];
	for (size_t i = 0; i < CONF_NOPTIONS; i++) {
		conf_value_text(&conf_options[i], value, sizeof(value));
		report_line("option ", conf_options[i].name, ":", value,
		            (char *)NULL);
	}
}

void conf_boot(void) {
	char link[128];
	const char *etc = prim_readlink("/etc/malloc.conf", link, sizeof(link))
	                          == 0
	                      ? link
	                      : NULL;
	const conf_source_t sources[] = {
		{ "compiled default", conf_compiled_default(), false },
		{ "/etc/malloc.conf", etc, true },
		{ "malloc_conf", conf_app_malloc_conf(), true },
		{ "MALLOC_CONF", prim_getenv("MALLOC_CONF"), true },
		{ "STRATA_CONF", prim_getenv("STRATA_CONF"), false },
	};
	conf_read(sources, ARRAY_LEN(sources));
	if (opt.confirm_conf)
		conf_confirm();
}
