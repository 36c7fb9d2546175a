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
/* Threads are spread over arenas round-robin, never by CPU: jemalloc's
 * "disabled" is accepted so that its configurations carry over. */
const char *const conf_percpu_arena_choices[] = { "disabled", NULL };

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
		const conf_option_t *k = conf_find(key);
		if (k == NULL || (is_jemalloc_source &&
		                  k->jemalloc != CONF_JEMALLOC_SAME)) {
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
	for (size_t i = 0; i < CONF_NOPTIONS; i++) {
		conf_value_text(&conf_options[i], value, sizeof(value));
		report_line("option ", conf_options[i].name, ":", value,
		            (char *)NULL);
	}
}

void conf_boot(void) {
	conf_parse(conf_compiled_default(), "compiled default", false);
	conf_parse(conf_app_malloc_conf(), "malloc_conf", true);
	conf_parse(prim_getenv("MALLOC_CONF"), "MALLOC_CONF", true);
	conf_parse(prim_getenv("STRATA_CONF"), "STRATA_CONF", false);
	if (opt.confirm_conf)
		conf_confirm();
}
