/*
 * emitter.c — text, JSON and Prometheus forms of the statistics walk.
 */
#include "emitter.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* ---- output buffer ---- */

static void em_flush(emitter_t *em) {
	if (em->used == 0)
		return;
	em->buf[em->used] = '\0';
	em->cb(em->opaque, em->buf);
	em->used = 0;
}

static void em_puts(emitter_t *em, const char *s) {
	size_t len = strlen(s);
	while (len > 0) {
		size_t room = sizeof(em->buf) - 1 - em->used;
		if (room == 0) {
			em_flush(em);
			continue;
		}
		size_t n = len < room ? len : room;
		memcpy(em->buf + em->used, s, n);
		em->used += n;
		s += n;
		len -= n;
	}
}

__attribute__((format(printf, 2, 3)))
static void em_printf(emitter_t *em, const char *fmt, ...) {
	char line[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	em_puts(em, line);
}

static void em_indent(emitter_t *em, unsigned depth) {
	static const char spaces[] = "                                ";
	unsigned n = 2 * depth < sizeof(spaces) - 1 ? 2 * depth
	                                            : sizeof(spaces) - 1;
	em_puts(em, spaces + (sizeof(spaces) - 1 - n));
}

/* JSON string body: quotes, backslashes and control characters escaped. */
static void em_json_string(emitter_t *em, const char *s) {
	em_puts(em, "\"");
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			em_printf(em, "\\%c", c);
		else if (c < 0x20)
			em_printf(em, "\\u%04x", c);
		else
			em_printf(em, "%c", c);
	}
	em_puts(em, "\"");
}

/* ---- setup and passes ---- */

void emitter_init(emitter_t *em, enum emitter_format format,
                  strata_write_cb *cb, void *opaque) {
	memset(em, 0, offsetof(emitter_t, buf));
	em->format = format;
	em->cb = cb;
	em->opaque = opaque;
}

bool emitter_next_pass(emitter_t *em) {
	em_flush(em);
	if (em->format != EMITTER_PROMETHEUS)
		return false;
	em->pass++;
	em->pass_has_header = false;
	return em->pass < em->nfamilies;
}

void emitter_begin(emitter_t *em) {
	em->depth = 0;
	em->nlabels = 0;
	em->levels[0] = (emitter_level_t){ 0 };
	if (em->format == EMITTER_JSON)
		em_puts(em, "{");
	else if (em->format == EMITTER_TEXT)
		em_puts(em, "___ strata statistics ___\n");
}

void emitter_end(emitter_t *em) {
	if (em->format == EMITTER_JSON)
		em_puts(em, "\n}\n");
	else if (em->format == EMITTER_TEXT)
		em_puts(em, "--- end of strata statistics ---\n");
	em_flush(em);
}

/* ---- objects ---- */

static bool em_in_row(const emitter_t *em) {
	return em->levels[em->depth].is_row;
}

/* JSON: the comma and line break before a new member. */
static void em_json_item(emitter_t *em) {
	emitter_level_t *l = &em->levels[em->depth];
	em_puts(em, l->has_items ? ",\n" : "\n");
	l->has_items = true;
	em_indent(em, em->depth + 1);
}

static void em_push(emitter_t *em, const char *prom, unsigned nlabels,
                    bool is_row) {
	bool parent_row = em_in_row(em);
	if (em->depth + 1 < EMITTER_DEPTH_MAX)
		em->depth++;
	em->levels[em->depth] = (emitter_level_t){
		.prom = prom, .nlabels = nlabels, .is_row = is_row || parent_row,
	};
}

static void em_label_push(emitter_t *em, const char *name, const char *value) {
	if (em->nlabels == EMITTER_LABELS_MAX)
		return;
	emitter_label_t *l = &em->labels[em->nlabels++];
	l->name = name;
	snprintf(l->value, sizeof(l->value), "%s", value);
}

/* Opens an object for the text and JSON forms: key is its JSON key. */
static void em_open(emitter_t *em, const char *key, const char *text_head) {
	if (em->format == EMITTER_JSON) {
		em_json_item(em);
		em_json_string(em, key);
		em_puts(em, ": {");
	} else if (em->format == EMITTER_TEXT) {
		if (em_in_row(em)) {
			em_printf(em, " %s:", text_head);
		} else {
			em_indent(em, em->depth);
			em_printf(em, "%s:", text_head);
		}
	}
}

void emitter_obj_begin(emitter_t *em, const char *key, const char *prom) {
	em_open(em, key, key);
	if (em->format == EMITTER_TEXT && !em_in_row(em))
		em_puts(em, "\n");
	em_push(em, prom, 0, false);
}

void emitter_obj_begin_index(emitter_t *em, const char *label, uint64_t key,
                             size_t size_class, bool is_row) {
	char k[24], head[64];
	snprintf(k, sizeof(k), "%llu", (unsigned long long)key);
	if (size_class != 0)
		snprintf(head, sizeof(head), "%s %s (%zu B)", label, k,
		         size_class);
	else
		snprintf(head, sizeof(head), "%s %s", label, k);
	em_open(em, k, head);
	if (em->format == EMITTER_TEXT && !is_row && !em_in_row(em))
		em_puts(em, "\n");
	unsigned pushed = em->nlabels;
	em_label_push(em, label, k);
	if (size_class != 0) {
		char sz[24];
		snprintf(sz, sizeof(sz), "%zu", size_class);
		em_label_push(em, "size_class", sz);
	}
	em_push(em, NULL, em->nlabels - pushed, is_row);
}

void emitter_obj_begin_named(emitter_t *em, const char *label,
                             const char *key) {
	char head[64];
	snprintf(head, sizeof(head), "%s %s", label, key);
	em_open(em, key, head);
	if (em->format == EMITTER_TEXT && !em_in_row(em))
		em_puts(em, "\n");
	unsigned pushed = em->nlabels;
	em_label_push(em, label, key);
	em_push(em, NULL, em->nlabels - pushed, false);
}

void emitter_label(emitter_t *em, const char *name, const char *value) {
	unsigned before = em->nlabels;
	em_label_push(em, name, value);
	em->levels[em->depth].nlabels += em->nlabels - before;
}

void emitter_obj_end(emitter_t *em) {
	emitter_level_t *l = &em->levels[em->depth];
	em->nlabels -= l->nlabels;
	bool was_row = l->is_row;
	if (em->depth > 0)
		em->depth--;
	if (em->format == EMITTER_JSON) {
		em_puts(em, "\n");
		em_indent(em, em->depth + 1);
		em_puts(em, "}");
	} else if (em->format == EMITTER_TEXT && was_row && !em_in_row(em)) {
		em_puts(em, "\n");
	}
}

/* ---- Prometheus ---- */

static uint64_t fnv1a(const char *s) {
	uint64_t h = 0xcbf29ce484222325ull;
	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
	return h;
}

/* The family's name into name[]; false when the value is not exported. */
static bool em_prom_name(const emitter_t *em, const emitter_desc_t *d,
                         char *name, size_t cap) {
	const char *leaf = d->prom != NULL ? d->prom : d->key;
	if (leaf[0] == '\0')
		return false;
	size_t len = (size_t)snprintf(name, cap, "strata");
	for (unsigned i = 1; i <= em->depth; i++) {
		const char *frag = em->levels[i].prom;
		if (frag != NULL && frag[0] != '\0' && len < cap)
			len += (size_t)snprintf(name + len, cap - len, "_%s",
			                        frag);
	}
	if (len < cap)
		snprintf(name + len, cap - len, "_%s%s", leaf,
		         d->kind == EMITTER_COUNTER ? "_total" : "");
	for (char *p = name; *p != '\0'; p++)
		if (*p == '.' || *p == '-')
			*p = '_';
	return true;
}

/* Whether this pass prints the family; registers it when new. */
static bool em_prom_this_pass(emitter_t *em, const char *name) {
	uint64_t h = fnv1a(name);
	unsigned i = 0;
	while (i < em->nfamilies && em->families[i] != h)
		i++;
	if (i == em->nfamilies) {
		if (em->nfamilies == EMITTER_FAMILIES_MAX)
			return false;
		em->families[em->nfamilies++] = h;
	}
	return i == em->pass;
}

static void em_prom_sample(emitter_t *em, const emitter_desc_t *d,
                           const char *value) {
	char name[160];
	if (!em_prom_name(em, d, name, sizeof(name)) ||
	    !em_prom_this_pass(em, name))
		return;
	if (!em->pass_has_header) {
		em_printf(em, "# HELP %s %s\n# TYPE %s %s\n", name, d->help,
		          name, d->kind == EMITTER_COUNTER ? "counter" : "gauge");
		em->pass_has_header = true;
	}
	em_puts(em, name);
	for (unsigned i = 0; i < em->nlabels; i++)
		em_printf(em, "%s%s=\"%s\"", i == 0 ? "{" : ",",
		          em->labels[i].name, em->labels[i].value);
	em_printf(em, "%s %s\n", em->nlabels != 0 ? "}" : "", value);
}

/* ---- values ---- */

static void em_value(emitter_t *em, const emitter_desc_t *d,
                     const char *text, const char *prom) {
	switch (em->format) {
	case EMITTER_JSON:
		em_json_item(em);
		em_json_string(em, d->key);
		em_printf(em, ": %s", text);
		break;
	case EMITTER_TEXT:
		if (em_in_row(em)) {
			em_printf(em, " %s %s", d->key, text);
		} else {
			em_indent(em, em->depth);
			em_printf(em, "%s: %s\n", d->key, text);
		}
		break;
	case EMITTER_PROMETHEUS:
		if (prom != NULL)
			em_prom_sample(em, d, prom);
		break;
	}
}

/* A time in units of 1/ups s as decimal seconds ("-1" stays "-1"). */
static void em_seconds(char *out, size_t cap, int64_t v, uint32_t ups) {
	if (ups <= 1 || v < 0) {
		snprintf(out, cap, "%lld", (long long)v);
		return;
	}
	char frac[16];
	unsigned digits = 0;
	for (uint32_t u = ups; u > 1 && digits < sizeof(frac) - 1; u /= 10)
		digits++;
	uint64_t rem = (uint64_t)v % ups;
	frac[digits] = '\0';
	for (unsigned i = digits; i > 0; i--, rem /= 10)
		frac[i - 1] = (char)('0' + rem % 10);
	snprintf(out, cap, "%lld.%s", (long long)(v / ups), frac);
}

void emitter_u64(emitter_t *em, const emitter_desc_t *d, uint64_t v) {
	char text[24], prom[48];
	snprintf(text, sizeof(text), "%llu", (unsigned long long)v);
	if (d->units_per_second > 1 && v <= (uint64_t)INT64_MAX)
		em_seconds(prom, sizeof(prom), (int64_t)v, d->units_per_second);
	else
		memcpy(prom, text, sizeof(text));
	em_value(em, d, text, prom);
}

void emitter_i64(emitter_t *em, const emitter_desc_t *d, int64_t v) {
	char text[24], prom[48];
	snprintf(text, sizeof(text), "%lld", (long long)v);
	em_seconds(prom, sizeof(prom), v, d->units_per_second);
	em_value(em, d, text, prom);
}

void emitter_bool(emitter_t *em, const emitter_desc_t *d, bool v) {
	em_value(em, d, v ? "true" : "false", v ? "1" : "0");
}

void emitter_str(emitter_t *em, const emitter_desc_t *d, const char *v) {
	if (em->format == EMITTER_JSON) {
		em_json_item(em);
		em_json_string(em, d->key);
		em_puts(em, ": ");
		em_json_string(em, v);
	} else {
		em_value(em, d, v, NULL);
	}
}

void emitter_str_info(emitter_t *em, const emitter_desc_t *d, const char *v,
                      const char *label, const char *value) {
	if (em->format != EMITTER_PROMETHEUS) {
		emitter_str(em, d, v);
		return;
	}
	unsigned before = em->nlabels;
	em_label_push(em, label, value);
	em_prom_sample(em, d, "1");
	em->nlabels = before;
}
