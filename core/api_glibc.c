/*
 * api_glibc.c — glibc's malloc API beyond the standard, answered from
 * strata's own figures in the drop-in library (a preloaded program would
 * otherwise get glibc's answers about a heap it no longer uses):
 * malloc_trim, mallinfo2 / mallinfo, malloc_stats, malloc_info, mallopt.
 * Built on the public API only (strata_ctl), never on the fast paths.
 *
 * How strata's figures fill glibc's shapes: strata has no sbrk heap and
 * no separate mmap path, so every page it holds counts as "arena" (active
 * plus dirty pages: in use or cached for reuse), "in use" is the bytes
 * allocated, "free" is the difference, and keepcost is what malloc_trim
 * would give back now (dirty plus muzzy pages).  hblks/hblkhd stay 0.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "strata.h"

#define EXPORT __attribute__((visibility("default")))

/* glibc's layouts (malloc.h), field for field. */
struct mallinfo2 {
	size_t arena, ordblks, smblks, hblks, hblkhd, usmblks, fsmblks,
	    uordblks, fordblks, keepcost;
};
struct mallinfo {
	int arena, ordblks, smblks, hblks, hblkhd, usmblks, fsmblks, uordblks,
	    fordblks, keepcost;
};

/* glibc's mallopt parameters (malloc.h). */
enum {
	GLIBC_M_MXFAST = 1,
	GLIBC_M_TRIM_THRESHOLD = -1,
	GLIBC_M_TOP_PAD = -2,
	GLIBC_M_MMAP_THRESHOLD = -3,
	GLIBC_M_ARENA_MAX = -8,
};
#define GLIBC_MAX_FAST_BYTES (80 * sizeof(size_t) / 4)
#define GLIBC_MMAP_THRESHOLD_MAX ((size_t)4 * 1024 * 1024 * sizeof(long))

typedef struct figures {
	size_t allocated, active, dirty, muzzy, mapped, resident;
} figures_t;

static size_t ctl_size(const char *name) {
	size_t v = 0, len = sizeof(v);
	return strata_ctl(name, &v, &len, NULL, 0) == 0 ? v : 0;
}

static void refresh(void) {
	uint64_t epoch = 1;
	size_t len = sizeof(epoch);
	strata_ctl("epoch", &epoch, &len, &epoch, len);
}

/* prefix "stats" for the process, "stats.arenas.<i>" for one arena. */
static void read_figures(const char *prefix, figures_t *f) {
	static const char *const names[] = { "allocated", "active", "dirty",
		                             "muzzy", "mapped", "resident" };
	size_t *out[] = { &f->allocated, &f->active, &f->dirty, &f->muzzy,
		          &f->mapped, &f->resident };
	char name[64];
	for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++) {
		snprintf(name, sizeof(name), "%s.%s", prefix, names[i]);
		*out[i] = ctl_size(name);
	}
}

static size_t held(const figures_t *f) { return f->active + f->dirty; }

/* Purge every arena now; 1 when pages went back to the system.  pad (the
 * bytes glibc leaves at the top of its heap) has no counterpart. */
EXPORT int malloc_trim(size_t pad) {
	(void)pad;
	figures_t before, after;
	strata_ctl("thread.tcache.flush", NULL, NULL, NULL, 0);
	refresh();
	read_figures("stats", &before);
	strata_ctl("arena.4096.purge", NULL, NULL, NULL, 0);
	refresh();
	read_figures("stats", &after);
	return after.dirty + after.muzzy < before.dirty + before.muzzy;
}

EXPORT struct mallinfo2 mallinfo2(void) {
	figures_t f;
	refresh();
	read_figures("stats", &f);
	struct mallinfo2 mi;
	memset(&mi, 0, sizeof(mi));
	mi.arena = held(&f);
	mi.uordblks = f.allocated;
	mi.fordblks = mi.arena > f.allocated ? mi.arena - f.allocated : 0;
	mi.keepcost = f.dirty + f.muzzy;
	return mi;
}

static int clamp_int(size_t v) { return v > INT_MAX ? INT_MAX : (int)v; }

/* The old int-sized shape: figures above 2 GiB read as INT_MAX (glibc
 * wraps them). */
EXPORT struct mallinfo mallinfo(void) {
	struct mallinfo2 m2 = mallinfo2();
	struct mallinfo mi;
	memset(&mi, 0, sizeof(mi));
	mi.arena = clamp_int(m2.arena);
	mi.uordblks = clamp_int(m2.uordblks);
	mi.fordblks = clamp_int(m2.fordblks);
	mi.keepcost = clamp_int(m2.keepcost);
	return mi;
}

static unsigned narenas(void) {
	unsigned n = 0;
	size_t len = sizeof(n);
	strata_ctl("arenas.narenas", &n, &len, NULL, 0);
	return n;
}

/* glibc's shape on stderr: one block per arena, then the total. */
EXPORT void malloc_stats(void) {
	refresh();
	char prefix[48];
	figures_t f, total;
	for (unsigned i = 0, n = narenas(); i < n; i++) {
		snprintf(prefix, sizeof(prefix), "stats.arenas.%u", i);
		read_figures(prefix, &f);
		fprintf(stderr, "Arena %u:\nsystem bytes     = %10zu\n"
		        "in use bytes     = %10zu\n", i, held(&f), f.allocated);
	}
	read_figures("stats", &total);
	fprintf(stderr, "Total (incl. mmap):\nsystem bytes     = %10zu\n"
	        "in use bytes     = %10zu\nmax mmap regions = %10u\n"
	        "max mmap bytes   = %10lu\n", held(&total), total.allocated,
	        0u, 0ul);
}

static void info_totals(FILE *fp, const figures_t *f) {
	size_t free_bytes = held(f) > f->allocated ? held(f) - f->allocated : 0;
	fprintf(fp, "<total type=\"fast\" count=\"0\" size=\"0\"/>\n"
	        "<total type=\"rest\" count=\"%d\" size=\"%zu\"/>\n",
	        free_bytes != 0, free_bytes);
}

static void info_system(FILE *fp, const figures_t *f) {
	fprintf(fp, "<system type=\"current\" size=\"%zu\"/>\n"
	        "<system type=\"max\" size=\"%zu\"/>\n"
	        "<aspace type=\"total\" size=\"%zu\"/>\n"
	        "<aspace type=\"mprotect\" size=\"%zu\"/>\n",
	        held(f), held(f), f->mapped, f->mapped);
}

/* glibc's XML: a <heap> per arena, then the totals; options must be 0. */
EXPORT int malloc_info(int options, FILE *fp) {
	if (options != 0 || fp == NULL) {
		errno = EINVAL;
		return -1;
	}
	refresh();
	char prefix[48];
	figures_t f;
	fputs("<malloc version=\"1\">\n", fp);
	for (unsigned i = 0, n = narenas(); i < n; i++) {
		snprintf(prefix, sizeof(prefix), "stats.arenas.%u", i);
		read_figures(prefix, &f);
		fprintf(fp, "<heap nr=\"%u\">\n<sizes>\n</sizes>\n", i);
		info_totals(fp, &f);
		info_system(fp, &f);
		fputs("</heap>\n", fp);
	}
	read_figures("stats", &f);
	info_totals(fp, &f);
	fputs("<total type=\"mmap\" count=\"0\" size=\"0\"/>\n", fp);
	info_system(fp, &f);
	fputs("</malloc>\n", fp);
	return 0;
}

/* M_TRIM_THRESHOLD 0 asks glibc to give memory back at every free:
 * strata's equivalent is decay 0 (purge at once) in every arena. */
static int trim_at_once(void) {
	long ms = 0;
	char name[48];
	int err = 0;
	for (unsigned i = 0, n = narenas(); i < n; i++) {
		snprintf(name, sizeof(name), "arena.%u.dirty_decay_ms", i);
		err |= strata_ctl(name, NULL, NULL, &ms, sizeof(ms));
		snprintf(name, sizeof(name), "arena.%u.muzzy_decay_ms", i);
		err |= strata_ctl(name, NULL, NULL, &ms, sizeof(ms));
	}
	return err == 0;
}

/* glibc returns 1 on success, 0 on error, and 1 for parameters it
 * ignores.  M_ARENA_MAX, M_TOP_PAD and a non-zero M_TRIM_THRESHOLD have
 * no effect here: strata's arena count is fixed at start-up (narenas in
 * MALLOC_CONF or STRATA_CONF), it keeps no top pad, and decay already
 * returns idle pages.  M_MMAP_THRESHOLD: strata maps huge blocks (above
 * its 2 MiB chunk) on their own already; glibc's range check is kept. */
EXPORT int mallopt(int param, int value) {
	switch (param) {
	case GLIBC_M_MXFAST:
		return value >= 0 && (size_t)value <= GLIBC_MAX_FAST_BYTES;
	case GLIBC_M_TRIM_THRESHOLD:
		return value == 0 ? trim_at_once() : 1;
	case GLIBC_M_MMAP_THRESHOLD:
		return value >= 0 && (size_t)value <= GLIBC_MMAP_THRESHOLD_MAX;
	case GLIBC_M_TOP_PAD:
	case GLIBC_M_ARENA_MAX:
	default:
		return 1;
	}
}
