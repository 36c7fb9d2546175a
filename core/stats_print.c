/*
 * stats_print.c — strata_stats_print and the exit-time print.
 *
 * Output goes through the caller's callback in lines formatted into a
 * stack buffer, so printing allocates nothing and may run at exit.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "init.h"
#include "pages.h"
#include "stats.h"
#include "strata.h"

typedef struct out {
	strata_write_cb *cb;
	void *opaque;
} out_t;

static void write_stderr(void *opaque, const char *text) {
	(void)opaque;
	size_t len = strlen(text), off = 0;
	while (off < len) {
		ssize_t w = write(STDERR_FILENO, text + off, len - off);
		if (w <= 0)
			return;
		off += (size_t)w;
	}
}

__attribute__((format(printf, 2, 3)))
static void outf(out_t *o, const char *fmt, ...) {
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	o->cb(o->opaque, buf);
}

static void print_text_bins(out_t *o, const stats_arena_t *sa) {
	outf(o, "bins:     size  regions    slabs      nmalloc      ndalloc"
	        "    fills  flushes\n");
	for (unsigned i = 0; i < SC_NSMALL; i++) {
		const bin_stats_t *b = &sa->bins[i];
		if (b->nmalloc == 0)
			continue;
		outf(o, "      %9u %8zu %8zu %12llu %12llu %8llu %8llu\n",
		     (unsigned)sc_small_size[i], b->curregs, b->curslabs,
		     (unsigned long long)b->nmalloc,
		     (unsigned long long)b->ndalloc,
		     (unsigned long long)b->nfills,
		     (unsigned long long)b->nflushes);
	}
}

static void print_text(out_t *o) {
	stats_totals_t t;
	stats_totals_read(&t);
	outf(o, "___ strata %s statistics (backend %s) ___\n", STRATA_VERSION,
	     pages_backend_name());
	outf(o, "page size: %zu, arenas: %u, tcache: %s (max %zu)\n",
	     page_bytes, t.narenas, opt.tcache ? "on" : "off", opt.tcache_max);
	outf(o, "allocated: %zu, active: %zu, metadata: %zu, resident: %zu, "
	        "mapped: %zu, dirty: %zu, muzzy: %zu\n",
	     t.allocated_bytes, t.active_bytes, t.metadata_bytes,
	     t.resident_bytes, t.mapped_bytes, t.dirty_bytes, t.muzzy_bytes);
	stats_arena_t sum;
	memset(&sum, 0, sizeof(sum));
	unsigned n = atomic_load(&narenas_total);
	for (unsigned i = 0; i < n; i++) {
		arena_t *a = atomic_load(&arenas[i]);
		if (a != NULL)
			stats_arena_read(a, &sum);
	}
	outf(o, "small: allocated %zu, nmalloc %llu, ndalloc %llu\n",
	     sum.small_allocated_bytes, (unsigned long long)sum.small_nmalloc,
	     (unsigned long long)sum.small_ndalloc);
	outf(o, "large: allocated %zu, nmalloc %llu, ndalloc %llu\n",
	     sum.large_allocated_bytes, (unsigned long long)sum.large_nmalloc,
	     (unsigned long long)sum.large_ndalloc);
	print_text_bins(o, &sum);
	outf(o, "--- end of strata statistics ---\n");
}

void strata_stats_print(strata_write_cb *write_cb, void *opaque,
                        const char *opts) {
	(void)opts;
	if (malloc_init() != 0)
		return;
	out_t o = { write_cb != NULL ? write_cb : write_stderr, opaque };
	print_text(&o);
}

void stats_print_at_exit(void) {
	strata_stats_print(NULL, NULL, opt.stats_print_opts);
}
