/*
 * emitter.h — one walk over the statistics, three output formats.
 *
 * The printer describes the data as nested objects holding named values;
 * the emitter turns that into
 *   text        indented "key: value" lines (a row object on one line),
 *   JSON        one document: objects keyed by name or index,
 *   Prometheus  text exposition 0.0.4: one family per value name, the
 *               index objects (arena, bin, mutex, thread) as labels.
 * Prometheus wants every sample of a family together, while the walk goes
 * object by object; so for that format the caller runs the walk once per
 * family (emitter_next_pass) and each pass prints one family.  The set of
 * families seen is kept as hashes in the emitter itself.
 *
 * Nothing here allocates: output is formatted into a buffer inside the
 * emitter_t (which lives on the caller's stack) and handed to the write
 * callback whenever it fills and at the end.
 */
#ifndef STRATA_EMITTER_H
#define STRATA_EMITTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "strata.h"
#include "util.h"

enum emitter_format { EMITTER_TEXT, EMITTER_JSON, EMITTER_PROMETHEUS };
enum emitter_kind { EMITTER_GAUGE, EMITTER_COUNTER };

#define EMITTER_DEPTH_MAX 8u
#define EMITTER_LABELS_MAX 6u
#define EMITTER_FAMILIES_MAX 512u

/* How one value is named and explained.  prom is the Prometheus name
 * fragment (with its unit, without _total; NULL: same as key; "": not
 * exported there); units_per_second: the value is a time in that unit
 * (1000 for ms, 1000000000 for ns), exported to Prometheus in seconds
 * (0: not a time). */
typedef struct emitter_desc {
	const char *key;
	const char *prom;
	const char *help;
	enum emitter_kind kind;
	uint32_t units_per_second;
} emitter_desc_t;

typedef struct emitter_label {
	const char *name;
	char value[24];
} emitter_label_t;

typedef struct emitter_level {
	const char *prom;  /* name fragment this object adds, or NULL */
	unsigned nlabels;  /* labels this object pushed */
	bool has_items;    /* JSON: a comma goes before the next item */
	bool is_row;       /* text: the members go on one line */
} emitter_level_t;

typedef struct emitter {
	enum emitter_format format;
	strata_write_cb *cb;
	void *opaque;
	unsigned depth;
	emitter_level_t levels[EMITTER_DEPTH_MAX];
	emitter_label_t labels[EMITTER_LABELS_MAX];
	unsigned nlabels;
	/* Prometheus passes: families in first-seen order. */
	uint64_t families[EMITTER_FAMILIES_MAX];
	unsigned nfamilies;
	unsigned pass;        /* family printed in this pass */
	bool pass_has_header; /* its HELP/TYPE lines are out */
	size_t used;
	char buf[2048];
} emitter_t;

HIDDEN void emitter_init(emitter_t *em, enum emitter_format format,
                         strata_write_cb *cb, void *opaque);
/* Prometheus: true while another walk is needed (call after each walk). */
HIDDEN bool emitter_next_pass(emitter_t *em);
HIDDEN void emitter_begin(emitter_t *em);
HIDDEN void emitter_end(emitter_t *em);

/* A named object: JSON key, text heading, Prometheus name fragment (NULL:
 * none). */
HIDDEN void emitter_obj_begin(emitter_t *em, const char *key,
                              const char *prom);
/* An object for one member of a set, keyed by its index; label names the
 * Prometheus label carrying key; size_class (when non-zero) adds a
 * size_class label.  A row prints on one text line. */
HIDDEN void emitter_obj_begin_index(emitter_t *em, const char *label,
                                    uint64_t key, size_t size_class,
                                    bool is_row);
/* The same keyed by a name (mutexes). */
HIDDEN void emitter_obj_begin_named(emitter_t *em, const char *label,
                                    const char *key);
HIDDEN void emitter_obj_end(emitter_t *em);
/* Prometheus: one more label (value < 24 bytes) on every metric inside
 * the object opened last; the other forms ignore it. */
HIDDEN void emitter_label(emitter_t *em, const char *name, const char *value);

HIDDEN void emitter_u64(emitter_t *em, const emitter_desc_t *d, uint64_t v);
HIDDEN void emitter_i64(emitter_t *em, const emitter_desc_t *d, int64_t v);
HIDDEN void emitter_bool(emitter_t *em, const emitter_desc_t *d, bool v);
/* Strings are not exported to Prometheus. */
HIDDEN void emitter_str(emitter_t *em, const emitter_desc_t *d,
                        const char *v);
/* A string that Prometheus receives as an info series instead: sample 1
 * with one more label (value < 24 bytes), name{...,label="value"} 1. */
HIDDEN void emitter_str_info(emitter_t *em, const emitter_desc_t *d,
                             const char *v, const char *label,
                             const char *value);

#endif
