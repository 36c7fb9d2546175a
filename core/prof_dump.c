/*
 * prof_dump.c — the dump writers.  Output goes through out_t, a fixed
 * buffer on the writer's stack flushed with write(2); the memory map is
 * read from /proc/self/maps with read(2).  Stacks are walked from a
 * snapshot of the list head (new stacks are prepended, so the walk sees
 * the same stacks each pass) and each stack's counters are copied under
 * the live lock, never held across a write.
 */
#include "prof_dump.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "prof_sample.h"
#include "prof_table.h"

#define OUT_BYTES 8192

typedef struct out {
	int fd;
	int err;
	size_t len;
	char buf[OUT_BYTES];
} out_t;

static void out_flush(out_t *o) {
	size_t off = 0;
	while (off < o->len && o->err == 0) {
		ssize_t w = write(o->fd, o->buf + off, o->len - off);
		if (w > 0)
			off += (size_t)w;
		else if (w < 0 && errno != EINTR)
			o->err = errno;
		else if (w == 0)
			o->err = EIO;
	}
	o->len = 0;
}

static void out_bytes(out_t *o, const void *p, size_t n) {
	const char *c = p;
	while (n > 0) {
		if (o->len == OUT_BYTES)
			out_flush(o);
		size_t k = OUT_BYTES - o->len < n ? OUT_BYTES - o->len : n;
		memcpy(o->buf + o->len, c, k);
		o->len += k;
		c += k;
		n -= k;
	}
}

static void out_str(out_t *o, const char *s) { out_bytes(o, s, strlen(s)); }

static void out_u64(out_t *o, uint64_t v) {
	char tmp[24];
	size_t i = sizeof tmp;
	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	out_bytes(o, tmp + i, sizeof tmp - i);
}

static void out_hex(out_t *o, uint64_t v) {
	char tmp[18];
	size_t i = sizeof tmp;
	do {
		tmp[--i] = "0123456789abcdef"[v & 15];
		v >>= 4;
	} while (v != 0);
	tmp[--i] = 'x';
	tmp[--i] = '0';
	out_bytes(o, tmp + i, sizeof tmp - i);
}

static int out_done(out_t *o) {
	out_flush(o);
	return o->err;
}

static void out_init(out_t *o, int fd) {
	o->fd = fd;
	o->err = 0;
	o->len = 0;
}

int prof_dump_filename(char *buf, size_t len, const char *prefix,
                       uint64_t pid, uint64_t seq, char kind, uint64_t vseq,
                       const char *ext) {
	/* Formatted through an out_t with no descriptor: digits only. */
	char num[3][24];
	uint64_t v[3] = { pid, seq, vseq };
	for (int k = 0; k < 3; k++) {
		size_t i = sizeof num[k] - 1;
		num[k][i] = '\0';
		do {
			num[k][--i] = (char)('0' + v[k] % 10);
			v[k] /= 10;
		} while (v[k] != 0);
		memmove(num[k], num[k] + i, sizeof num[k] - i);
	}
	const char kind_str[2] = { kind, '\0' };
	const char *parts[] = { prefix, ".", num[0], ".", num[1], ".", kind_str,
	                        vseq == PROF_VSEQ_NONE ? "" : num[2], ".", ext };
	size_t at = 0;
	for (size_t p = 0; p < ARRAY_LEN(parts); p++) {
		size_t n = strlen(parts[p]);
		if (at + n + 1 > len)
			return ENAMETOOLONG;
		memcpy(buf + at, parts[p], n);
		at += n;
	}
	buf[at] = '\0';
	return 0;
}

/* One stack's four numbers as a text format carries them. */
typedef struct text_counts {
	uint64_t live_objs, live_bytes, accum_objs, accum_bytes;
} text_counts_t;

/* The estimate (objects C, bytes S) pre-scaled for a reader that
 * multiplies by 1/(1 - exp(-(s/c)/R)) (jeprof's and google-pprof's
 * AdjustSamples for heap_v2): c = C p, s = c S/C with p = 1 - exp(-S/C/R),
 * so the reader gets back C and S (to the rounding of c). */
static void prescale(uint64_t objs_fp, uint64_t bytes, unsigned lg_sample,
                     uint64_t *c, uint64_t *s) {
	if (objs_fp == 0 || bytes == 0) {
		*c = *s = 0;
		return;
	}
	double objs = (double)objs_fp / (double)PROF_OBJS_ONE;
	double avg = (double)bytes / objs;
	double p = prof_one_minus_exp_neg(avg / (double)((uint64_t)1
	                                                 << lg_sample));
	uint64_t ci = (uint64_t)(objs * p + 0.5);
	if (ci == 0)
		ci = 1;
	*c = ci;
	*s = (uint64_t)((double)ci * avg + 0.5);
}

static text_counts_t text_counts(const prof_counts_t *c,
                                 const prof_dump_opts_t *o) {
	text_counts_t t = { 0, 0, 0, 0 };
	prescale(c->live_objs_est_fp, c->live_bytes_est, o->lg_sample,
	         &t.live_objs, &t.live_bytes);
	if (o->with_accum)
		prescale(c->accum_objs_est_fp, c->accum_bytes_est,
		         o->lg_sample, &t.accum_objs, &t.accum_bytes);
	return t;
}

static bool text_is_empty(const text_counts_t *t) {
	return t->live_objs == 0 && t->accum_objs == 0;
}

/* "c: s [ac: as]" */
static void out_text_counts(out_t *o, const text_counts_t *t) {
	out_u64(o, t->live_objs);
	out_str(o, ": ");
	out_u64(o, t->live_bytes);
	out_str(o, " [");
	out_u64(o, t->accum_objs);
	out_str(o, ": ");
	out_u64(o, t->accum_bytes);
	out_str(o, "]");
}

static void out_frames(out_t *o, const prof_stack_t *s) {
	for (unsigned i = 0; i < s->nframes; i++) {
		out_str(o, " ");
		out_hex(o, (uint64_t)(uintptr_t)s->frames[i]);
	}
}

/* Sum of what the stack lines will show, for the header. */
static text_counts_t text_total(prof_stack_t *head,
                                const prof_dump_opts_t *o) {
	text_counts_t sum = { 0, 0, 0, 0 };
	for (prof_stack_t *s = head; s; s = prof_stack_next(s)) {
		prof_counts_t c;
		prof_stack_counts(s, &c);
		text_counts_t t = text_counts(&c, o);
		sum.live_objs += t.live_objs;
		sum.live_bytes += t.live_bytes;
		sum.accum_objs += t.accum_objs;
		sum.accum_bytes += t.accum_bytes;
	}
	return sum;
}

/* Copies the memory map as it is; a missing map leaves the section
 * empty (the readers then cannot symbolize, but the dump stays valid). */
static void out_maps(out_t *o, const prof_dump_opts_t *opts) {
	out_str(o, "\nMAPPED_LIBRARIES:\n");
	int fd = open(opts->maps_path ? opts->maps_path : "/proc/self/maps",
	              O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	for (;;) {
		if (o->len == OUT_BYTES)
			out_flush(o);
		ssize_t n = read(fd, o->buf + o->len, OUT_BYTES - o->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		o->len += (size_t)n;
	}
	close(fd);
}

int prof_dump_heap_v2(int fd, const prof_dump_opts_t *opts) {
	out_t o;
	out_init(&o, fd);
	prof_stack_t *head = prof_stack_first();
	text_counts_t total = text_total(head, opts);
	out_str(&o, "heap_v2/");
	out_u64(&o, (uint64_t)1 << opts->lg_sample);
	out_str(&o, "\n  t*: ");
	out_text_counts(&o, &total);
	out_str(&o, "\n");
	for (prof_stack_t *s = head; s; s = prof_stack_next(s)) {
		prof_counts_t c;
		prof_stack_counts(s, &c);
		text_counts_t t = text_counts(&c, opts);
		if (text_is_empty(&t))
			continue;
		out_str(&o, "@");
		out_frames(&o, s);
		out_str(&o, "\n  t*: ");
		out_text_counts(&o, &t);
		out_str(&o, "\n");
	}
	out_maps(&o, opts);
	return out_done(&o);
}

int prof_dump_gperftools(int fd, const prof_dump_opts_t *opts) {
	out_t o;
	out_init(&o, fd);
	prof_stack_t *head = prof_stack_first();
	text_counts_t total = text_total(head, opts);
	out_str(&o, "heap profile: ");
	out_text_counts(&o, &total);
	out_str(&o, " @ heap_v2/");
	out_u64(&o, (uint64_t)1 << opts->lg_sample);
	out_str(&o, "\n");
	for (prof_stack_t *s = head; s; s = prof_stack_next(s)) {
		prof_counts_t c;
		prof_stack_counts(s, &c);
		text_counts_t t = text_counts(&c, opts);
		if (text_is_empty(&t))
			continue;
		out_text_counts(&o, &t);
		out_str(&o, " @");
		out_frames(&o, s);
		out_str(&o, "\n");
	}
	out_maps(&o, opts);
	return out_done(&o);
}

/* --- profile.proto (google/pprof), encoded by hand --------------------- */

enum {
	PB_VARINT = 0,
	PB_LEN = 2,
};
/* Fields of message Profile. */
enum {
	PROFILE_SAMPLE_TYPE = 1, PROFILE_SAMPLE = 2, PROFILE_MAPPING = 3,
	PROFILE_LOCATION = 4, PROFILE_STRING_TABLE = 6, PROFILE_TIME_NANOS = 9,
	PROFILE_PERIOD_TYPE = 11, PROFILE_PERIOD = 12,
	PROFILE_DEFAULT_SAMPLE_TYPE = 14,
};
/* The fixed part of the string table; mapping file names follow. */
enum {
	STR_EMPTY, STR_ALLOC_OBJECTS, STR_COUNT, STR_ALLOC_SPACE, STR_BYTES,
	STR_INUSE_OBJECTS, STR_INUSE_SPACE, STR_SPACE, STR_FIXED,
};
static const char *const pprof_strings[STR_FIXED] = {
	"", "alloc_objects", "count", "alloc_space", "bytes",
	"inuse_objects", "inuse_space", "space",
};

/* A message body built on the stack. */
typedef struct pb {
	uint8_t b[2048];
	size_t len;
} pb_t;

static size_t varint_put(uint8_t *b, uint64_t v) {
	size_t n = 0;
	while (v >= 0x80) {
		b[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	b[n++] = (uint8_t)v;
	return n;
}

static void pb_varint(pb_t *p, uint64_t v) {
	if (p->len + 10 <= sizeof p->b)
		p->len += varint_put(p->b + p->len, v);
}
static void pb_uint(pb_t *p, unsigned field, uint64_t v) {
	if (v == 0)
		return; /* proto3: zero is the default, not sent */
	pb_varint(p, (uint64_t)field << 3 | PB_VARINT);
	pb_varint(p, v);
}

/* Key and length of a length-delimited field, then its body. */
static void out_pb_len(out_t *o, unsigned field, const void *body,
                       size_t len) {
	uint8_t head[20];
	size_t n = varint_put(head, (uint64_t)field << 3 | PB_LEN);
	n += varint_put(head + n, len);
	out_bytes(o, head, n);
	out_bytes(o, body, len);
}
static void out_pb_msg(out_t *o, unsigned field, const pb_t *p) {
	out_pb_len(o, field, p->b, p->len);
}
static void out_pb_uint(out_t *o, unsigned field, uint64_t v) {
	pb_t p = { .len = 0 };
	pb_uint(&p, field, v);
	out_bytes(o, p.b, p.len);
}

static void out_value_type(out_t *o, unsigned field, uint64_t type,
                           uint64_t unit) {
	pb_t p = { .len = 0 };
	pb_uint(&p, 1, type);
	pb_uint(&p, 2, unit);
	out_pb_msg(o, field, &p);
}

/* An executable mapping of the process, for locations' mapping_id. */
typedef struct pprof_map {
	uint64_t start, limit, offset;
} pprof_map_t;
#define PPROF_MAPS_MAX 256

typedef struct pprof_maps {
	pprof_map_t map[PPROF_MAPS_MAX];
	unsigned n;
	uint64_t next_string;
} pprof_maps_t;

static const char *parse_hex(const char *s, const char *end, uint64_t *v) {
	*v = 0;
	for (; s < end; s++) {
		unsigned d;
		if (*s >= '0' && *s <= '9')
			d = (unsigned)(*s - '0');
		else if (*s >= 'a' && *s <= 'f')
			d = (unsigned)(*s - 'a' + 10);
		else
			break;
		*v = *v << 4 | d;
	}
	return s;
}

static const char *skip_field(const char *s, const char *end) {
	while (s < end && *s != ' ')
		s++;
	while (s < end && *s == ' ')
		s++;
	return s;
}

/* One line of the map, "start-end perms offset dev inode path": an
 * executable mapping of a file becomes a Mapping (and its name a string). */
static void pprof_map_line(out_t *o, pprof_maps_t *m, const char *s,
                           size_t len) {
	const char *end = s + len;
	uint64_t start, limit, offset;
	const char *p = parse_hex(s, end, &start);
	if (p >= end || *p != '-')
		return;
	p = parse_hex(p + 1, end, &limit);
	if (p + 5 > end || p[3] != 'x' || m->n == PPROF_MAPS_MAX)
		return;
	p = skip_field(p + 1, end);            /* perms */
	p = parse_hex(p, end, &offset);
	p = skip_field(skip_field(skip_field(p, end), end), end); /* dev inode */
	if (p >= end || *p != '/')
		return;
	out_pb_len(o, PROFILE_STRING_TABLE, p, (size_t)(end - p));
	uint64_t id = ++m->n;
	m->map[id - 1] = (pprof_map_t){ start, limit, offset };
	pb_t b = { .len = 0 };
	pb_uint(&b, 1, id);
	pb_uint(&b, 2, start);
	pb_uint(&b, 3, limit);
	pb_uint(&b, 4, offset);
	pb_uint(&b, 5, m->next_string++);
	out_pb_msg(o, PROFILE_MAPPING, &b);
}

static void pprof_mappings(out_t *o, pprof_maps_t *m,
                           const prof_dump_opts_t *opts) {
	int fd = open(opts->maps_path ? opts->maps_path : "/proc/self/maps",
	              O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	char line[4096 + 256];
	size_t have = 0;
	for (;;) {
		ssize_t n = read(fd, line + have, sizeof line - have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		have += (size_t)n;
		char *nl, *start = line;
		while ((nl = memchr(start, '\n', have - (size_t)(start - line)))) {
			pprof_map_line(o, m, start, (size_t)(nl - start));
			start = nl + 1;
		}
		have -= (size_t)(start - line);
		memmove(line, start, have);
		if (have == sizeof line)
			have = 0; /* a line too long to be a map entry */
	}
	close(fd);
}

static uint64_t pprof_mapping_of(const pprof_maps_t *m, uint64_t addr) {
	for (unsigned i = 0; i < m->n; i++)
		if (addr >= m->map[i].start && addr < m->map[i].limit)
			return i + 1;
	return 0;
}

static uint64_t objs_of(uint64_t fp) {
	return (fp + PROF_OBJS_ONE / 2) >> PROF_OBJS_FRAC_BITS;
}

/* A Sample: location ids first_loc.. (one per frame) and the four values
 * alloc_objects, alloc_space, inuse_objects, inuse_space. */
static void pprof_sample(out_t *o, const prof_stack_t *s, uint64_t first_loc,
                         const prof_counts_t *c, bool with_accum) {
	pb_t ids = { .len = 0 }, vals = { .len = 0 };
	for (unsigned i = 0; i < s->nframes; i++)
		pb_varint(&ids, first_loc + i);
	pb_varint(&vals, with_accum ? objs_of(c->accum_objs_est_fp) : 0);
	pb_varint(&vals, with_accum ? c->accum_bytes_est : 0);
	pb_varint(&vals, objs_of(c->live_objs_est_fp));
	pb_varint(&vals, c->live_bytes_est);
	pb_t body = { .len = 0 };
	pb_varint(&body, 1 << 3 | PB_LEN);
	pb_varint(&body, ids.len);
	memcpy(body.b + body.len, ids.b, ids.len); /* <= 128 * 10 bytes */
	body.len += ids.len;
	pb_varint(&body, 2 << 3 | PB_LEN);
	pb_varint(&body, vals.len);
	memcpy(body.b + body.len, vals.b, vals.len);
	body.len += vals.len;
	out_pb_msg(o, PROFILE_SAMPLE, &body);
}

/* Locations for every frame of every stack: return addresses less one,
 * so that the reader names the call instruction's line. */
static void pprof_locations(out_t *o, prof_stack_t *head,
                            const pprof_maps_t *m) {
	uint64_t id = 1;
	for (prof_stack_t *s = head; s; s = prof_stack_next(s)) {
		for (unsigned i = 0; i < s->nframes; i++, id++) {
			uint64_t addr = (uint64_t)(uintptr_t)s->frames[i] - 1;
			pb_t b = { .len = 0 };
			pb_uint(&b, 1, id);
			pb_uint(&b, 2, pprof_mapping_of(m, addr));
			pb_uint(&b, 3, addr);
			out_pb_msg(o, PROFILE_LOCATION, &b);
		}
	}
}

static void pprof_header(out_t *o, const prof_dump_opts_t *opts) {
	for (unsigned i = 0; i < STR_FIXED; i++)
		out_pb_len(o, PROFILE_STRING_TABLE, pprof_strings[i],
		           strlen(pprof_strings[i]));
	out_value_type(o, PROFILE_SAMPLE_TYPE, STR_ALLOC_OBJECTS, STR_COUNT);
	out_value_type(o, PROFILE_SAMPLE_TYPE, STR_ALLOC_SPACE, STR_BYTES);
	out_value_type(o, PROFILE_SAMPLE_TYPE, STR_INUSE_OBJECTS, STR_COUNT);
	out_value_type(o, PROFILE_SAMPLE_TYPE, STR_INUSE_SPACE, STR_BYTES);
	out_value_type(o, PROFILE_PERIOD_TYPE, STR_SPACE, STR_BYTES);
	out_pb_uint(o, PROFILE_PERIOD, (uint64_t)1 << opts->lg_sample);
	out_pb_uint(o, PROFILE_TIME_NANOS, opts->now_ns);
	out_pb_uint(o, PROFILE_DEFAULT_SAMPLE_TYPE, STR_INUSE_SPACE);
}

int prof_dump_pprof(int fd, const prof_dump_opts_t *opts) {
	out_t o;
	out_init(&o, fd);
	pprof_header(&o, opts);
	pprof_maps_t maps = { .n = 0, .next_string = STR_FIXED };
	pprof_mappings(&o, &maps, opts);
	prof_stack_t *head = prof_stack_first();
	uint64_t loc = 1;
	for (prof_stack_t *s = head; s; s = prof_stack_next(s)) {
		prof_counts_t c;
		prof_stack_counts(s, &c);
		if (c.live_objs != 0 || (opts->with_accum && c.accum_objs != 0))
			pprof_sample(&o, s, loc, &c, opts->with_accum);
		loc += s->nframes;
	}
	pprof_locations(&o, head, &maps);
	return out_done(&o);
}

/* --- the recent ring as JSON, the leak report, files ------------------- */

static void out_json_trace(out_t *o, const prof_stack_t *s) {
	out_str(o, "[");
	for (unsigned i = 0; s != NULL && i < s->nframes; i++) {
		out_str(o, i ? ", \"" : "\"");
		out_hex(o, (uint64_t)(uintptr_t)s->frames[i]);
		out_str(o, "\"");
	}
	out_str(o, "]");
}

static void out_json_u64(out_t *o, const char *key, uint64_t v) {
	out_str(o, "\"");
	out_str(o, key);
	out_str(o, "\": ");
	out_u64(o, v);
}

/* ', "key": "name"' for a named thread (jemalloc's recent-allocation
 * keys), nothing for an unnamed one; the name escaped as JSON wants. */
static void out_json_name(out_t *o, const char *key, const char *name) {
	if (name[0] == '\0')
		return;
	out_str(o, ", \"");
	out_str(o, key);
	out_str(o, "\": \"");
	for (const char *c = name; *c != '\0'; c++) {
		unsigned char ch = (unsigned char)*c;
		if (ch == '"' || ch == '\\') {
			char esc[3] = { '\\', (char)ch, '\0' };
			out_str(o, esc);
		} else if (ch < 0x20) {
			char esc[7] = { '\\', 'u', '0', '0',
			                "0123456789abcdef"[ch >> 4],
			                "0123456789abcdef"[ch & 15], '\0' };
			out_str(o, esc);
		} else {
			char one[2] = { (char)ch, '\0' };
			out_str(o, one);
		}
	}
	out_str(o, "\"");
}

static void out_json_recent(out_t *o, const prof_recent_t *r) {
	out_str(o, "{");
	out_json_u64(o, "size", r->size);
	out_str(o, r->free_ns != 0 ? ", \"released\": true, "
	                           : ", \"released\": false, ");
	out_json_u64(o, "alloc_thread_uid", r->alloc_thread_id);
	out_json_name(o, "alloc_thread_name", r->alloc_thread_name);
	out_str(o, ", ");
	out_json_u64(o, "alloc_time", r->alloc_ns);
	out_str(o, ", \"alloc_trace\": ");
	out_json_trace(o, r->stack);
	if (r->free_ns != 0) {
		out_str(o, ", ");
		out_json_u64(o, "free_thread_uid", r->free_thread_id);
		out_json_name(o, "free_thread_name", r->free_thread_name);
		out_str(o, ", ");
		out_json_u64(o, "free_time", r->free_ns);
	}
	out_str(o, "}");
}

int prof_dump_recent_json(int fd, const prof_dump_opts_t *opts) {
	out_t o;
	out_init(&o, fd);
	out_str(&o, "{");
	out_json_u64(&o, "sample_interval", (uint64_t)1 << opts->lg_sample);
	out_str(&o, ", ");
	out_json_u64(&o, "recent_alloc_max", prof_recent_max());
	out_str(&o, ", \"recent_alloc\": [");
	uint64_t first, end;
	prof_recent_range(&first, &end);
	bool any = false;
	for (uint64_t seq = first; seq < end; seq++) {
		prof_recent_t r;
		if (prof_recent_get(seq, &r) != 0)
			continue; /* overwritten since the range was read */
		out_str(&o, any ? ",\n  " : "\n  ");
		out_json_recent(&o, &r);
		any = true;
	}
	out_str(&o, any ? "\n]}\n" : "]}\n");
	return out_done(&o);
}

/* The stack with the largest live estimate below (bytes, id) `below`. */
static prof_stack_t *leak_next(prof_stack_t *head, uint64_t *bytes,
                               uint32_t *id) {
	prof_stack_t *best = NULL;
	uint64_t best_bytes = 0;
	for (prof_stack_t *s = head; s; s = prof_stack_next(s)) {
		prof_counts_t c;
		prof_stack_counts(s, &c);
		uint64_t b = c.live_bytes_est;
		bool below = b < *bytes || (b == *bytes && s->id < *id);
		if (b != 0 && below &&
		    (best == NULL || b > best_bytes ||
		     (b == best_bytes && s->id > best->id))) {
			best = s;
			best_bytes = b;
		}
	}
	if (best != NULL) {
		*bytes = best_bytes;
		*id = best->id;
	}
	return best;
}

int prof_dump_leak_report(int fd, const prof_dump_opts_t *opts,
                          unsigned top) {
	out_t o;
	out_init(&o, fd);
	prof_counts_t total;
	prof_counts_total(&total);
	unsigned contexts = 0;
	prof_stack_t *head = prof_stack_first();
	for (prof_stack_t *s = head; s; s = prof_stack_next(s)) {
		prof_counts_t c;
		prof_stack_counts(s, &c);
		contexts += c.live_objs != 0;
	}
	out_str(&o, "<strata>: Leak approximation summary: ~");
	out_u64(&o, total.live_bytes_est);
	out_str(&o, " bytes, ~");
	out_u64(&o, objs_of(total.live_objs_est_fp));
	out_str(&o, " objects, >= ");
	out_u64(&o, contexts);
	out_str(&o, contexts == 1 ? " context\n" : " contexts\n");
	uint64_t bytes = UINT64_MAX;
	uint32_t id = UINT32_MAX;
	for (unsigned i = 0; i < top; i++) {
		prof_stack_t *s = leak_next(head, &bytes, &id);
		if (s == NULL)
			break;
		prof_counts_t c;
		prof_stack_counts(s, &c);
		out_str(&o, "<strata>:   ~");
		out_u64(&o, c.live_bytes_est);
		out_str(&o, " bytes in ~");
		out_u64(&o, objs_of(c.live_objs_est_fp));
		out_str(&o, " objects at");
		out_frames(&o, s);
		out_str(&o, "\n");
	}
	if (contexts != 0)
		out_str(&o, "<strata>: Run jeprof on the final dump for leak "
		            "detail\n");
	(void)opts;
	return out_done(&o);
}

int prof_dump_file(const char *path,
                   int (*writer)(int, const prof_dump_opts_t *),
                   const prof_dump_opts_t *o) {
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return errno;
	int err = writer(fd, o);
	if (close(fd) != 0 && err == 0)
		err = errno;
	return err;
}
