/*
 * conf.c — the options parser.  Each key is a row of a table: name, kind,
 * bounds, where it is stored, and whether MALLOC_CONF may set it.
 */
#include "conf.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "prim.h"
#include "report.h"

#ifndef STRATA_CONF_DEFAULT
#define STRATA_CONF_DEFAULT ""
#endif

conf_t opt = {
	.abort_conf = false,
	.confirm_conf = false,
	.narenas = 0,
	.tcache = true,
	.tcache_max = 32768,
	.dirty_decay_ms = 10000,
	.muzzy_decay_ms = 10000,
	.stats_print = false,
	.stats_print_opts = "",
	.background_thread = true,
	.max_background_threads = 1,
	.retain = true,
	.thp = THP_DEFAULT,
	.metadata_thp = false,
	.oversize_threshold = (size_t)8 << 20,
	.mem_limit_soft = 0,
	.mem_limit_hard = 0,
	.percpu_arena = 0,
};

enum conf_kind { CONF_BOOL, CONF_UNSIGNED, CONF_SIZE, CONF_LONG, CONF_STRING,
	         CONF_ENUM };

typedef struct conf_key {
	const char *name;
	enum conf_kind kind;
	void *slot;
	long long min, max;  /* numeric kinds */
	size_t string_bytes; /* CONF_STRING */
	const char *const *choices; /* CONF_ENUM: NULL-terminated, stored as
	                             * the unsigned index */
	bool is_jemalloc;    /* same meaning in MALLOC_CONF */
} conf_key_t;

static const char *const thp_choices[] = { "default", "always", "never",
	                                   NULL };
/* Threads are spread over arenas round-robin, never by CPU: jemalloc's
 * "disabled" is accepted so that its configurations carry over. */
static const char *const percpu_arena_choices[] = { "disabled", NULL };

#define KEY_BOOL(name, field, is_jemalloc) \
	{ name, CONF_BOOL, &opt.field, 0, 0, 0, NULL, is_jemalloc }
#define KEY_NUM(name, kind, field, min, max, is_jemalloc) \
	{ name, kind, &opt.field, min, max, 0, NULL, is_jemalloc }
#define KEY_STRING(name, field, is_jemalloc) \
	{ name, CONF_STRING, opt.field, 0, 0, sizeof(opt.field), NULL, \
	  is_jemalloc }
#define KEY_ENUM(name, field, choices, is_jemalloc) \
	{ name, CONF_ENUM, &opt.field, 0, 0, 0, choices, is_jemalloc }
#define DECAY_MS_MAX (1LL << 40)
#define BYTES_MAX (1LL << 50)

/* The last column: MALLOC_CONF may set the key (same meaning as in
 * jemalloc).  docs/configuration.md lists every key. */
static const conf_key_t conf_keys[] = {
	KEY_BOOL("abort_conf", abort_conf, true),
	KEY_BOOL("confirm_conf", confirm_conf, true),
	KEY_NUM("narenas", CONF_UNSIGNED, narenas, 1, 2048, true),
	KEY_BOOL("tcache", tcache, true),
	KEY_NUM("tcache_max", CONF_SIZE, tcache_max, 0, 2 << 20, true),
	KEY_NUM("dirty_decay_ms", CONF_LONG, dirty_decay_ms, -1, DECAY_MS_MAX,
	        true),
	KEY_NUM("muzzy_decay_ms", CONF_LONG, muzzy_decay_ms, -1, DECAY_MS_MAX,
	        true),
	KEY_BOOL("background_thread", background_thread, true),
	KEY_NUM("max_background_threads", CONF_UNSIGNED,
	        max_background_threads, 1, 1, true),
	KEY_BOOL("retain", retain, true),
	KEY_ENUM("thp", thp, thp_choices, true),
	KEY_BOOL("metadata_thp", metadata_thp, false),
	KEY_NUM("oversize_threshold", CONF_SIZE, oversize_threshold, 0,
	        BYTES_MAX, true),
	KEY_NUM("mem_limit_soft", CONF_SIZE, mem_limit_soft, 0, BYTES_MAX,
	        false),
	KEY_NUM("mem_limit_hard", CONF_SIZE, mem_limit_hard, 0, BYTES_MAX,
	        false),
	KEY_BOOL("stats_print", stats_print, true),
	KEY_STRING("stats_print_opts", stats_print_opts, true),
	KEY_ENUM("percpu_arena", percpu_arena, percpu_arena_choices, true),
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

static bool conf_apply(const conf_key_t *k, span_t v) {
	long long n;
	switch (k->kind) {
	case CONF_BOOL:
		return parse_bool(v, k->slot);
	case CONF_STRING:
		if (v.len >= k->string_bytes)
			return false;
		span_copy(v, k->slot, k->string_bytes);
		return true;
	case CONF_ENUM:
		for (unsigned i = 0; k->choices[i] != NULL; i++)
			if (span_eq(v, k->choices[i])) {
				*(unsigned *)k->slot = i;
				return true;
			}
		return false;
	default:
		break;
	}
	if (!parse_number(v, k->kind == CONF_SIZE, &n) || n < k->min ||
	    n > k->max)
		return false;
	if (k->kind == CONF_UNSIGNED)
		*(unsigned *)k->slot = (unsigned)n;
	else if (k->kind == CONF_SIZE)
		*(size_t *)k->slot = (size_t)n;
	else
		*(long *)k->slot = (long)n;
	return true;
}

static const conf_key_t *conf_find(span_t key) {
	for (size_t i = 0; i < ARRAY_LEN(conf_keys); i++)
		if (span_eq(key, conf_keys[i].name))
			return &conf_keys[i];
	return NULL;
}

static void conf_value_text(const conf_key_t *k, char *buf, size_t cap) {
	char num[24];
	long long n = 0;
	switch (k->kind) {
	case CONF_BOOL:
		span_copy((span_t){ *(bool *)k->slot ? "true" : "false",
		                    *(bool *)k->slot ? 4 : 5 }, buf, cap);
		return;
	case CONF_STRING:
		span_copy((span_t){ k->slot, strlen(k->slot) }, buf, cap);
		return;
	case CONF_ENUM: {
		const char *c = k->choices[*(unsigned *)k->slot];
		span_copy((span_t){ c, strlen(c) }, buf, cap);
		return;
	}
	case CONF_UNSIGNED: n = *(unsigned *)k->slot; break;
	case CONF_SIZE: n = (long long)*(size_t *)k->slot; break;
	case CONF_LONG: n = *(long *)k->slot; break;
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
                       const char *problem, const conf_key_t *k) {
	char kb[64], vb[64], cur[64];
	span_copy(key, kb, sizeof(kb));
	span_copy(value, vb, sizeof(vb));
	if (k != NULL) {
		conf_value_text(k, cur, sizeof(cur));
		report_line(source, ": ", problem, " '", kb, ":", vb,
		            "'; using ", kb, ":", cur, (char *)NULL);
	} else {
		report_line(source, ": ", problem, " '", kb, "'; ignored",
		            (char *)NULL);
	}
	if (opt.abort_conf) {
		report_line("abort_conf:true, aborting", (char *)NULL);
		abort();
	}
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

unsigned conf_parse(const char *text, const char *source,
                    bool is_jemalloc_source) {
	if (text == NULL)
		return 0;
	const char *end = text + strlen(text);
	unsigned errors = 0;
	span_t key, value;
	bool has_colon;
	while (next_pair(&text, end, &key, &value, &has_colon)) {
		const conf_key_t *k = conf_find(key);
		if (k == NULL || (is_jemalloc_source && !k->is_jemalloc)) {
			conf_error(source, key, value,
			           is_jemalloc_source
			               ? "no strata option matches jemalloc key"
			               : "unknown option",
			           NULL);
		} else if (!has_colon) {
			conf_error(source, key, value, "missing value in", k);
		} else if (!conf_apply(k, value)) {
			conf_error(source, key, value, "invalid value in", k);
		} else {
			continue;
		}
		errors++;
	}
	return errors;
}

static void conf_confirm(void) {
	char value[64];
	for (size_t i = 0; i < ARRAY_LEN(conf_keys); i++) {
		conf_value_text(&conf_keys[i], value, sizeof(value));
		report_line("option ", conf_keys[i].name, ":", value,
		            (char *)NULL);
	}
}

void conf_boot(void) {
	conf_parse(conf_compiled_default(), "compiled default", false);
	conf_parse(prim_getenv("MALLOC_CONF"), "MALLOC_CONF", true);
	conf_parse(prim_getenv("STRATA_CONF"), "STRATA_CONF", false);
	if (opt.confirm_conf)
		conf_confirm();
}
