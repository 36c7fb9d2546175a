/*
 * prof_dump.h — heap profiles written from the profiler's tables, in the
 * formats the standard readers take:
 *   heap_v2      jemalloc's text format, read by jeprof;
 *   gperftools   "heap profile:" text, read by google-pprof;
 *   pprof        profile.proto (uncompressed; go tool pprof reads it);
 *   recent JSON  the recent-allocations ring (jemalloc's field names);
 *   leak report  live samples summarised by stack, as text.
 * Every writer goes through a fixed buffer on the caller's stack to a file
 * descriptor: no stdio, no malloc.  Counts are the unbiased estimates
 * (prof_sample.h); the text formats carry them pre-scaled the way
 * jemalloc 5.3 does, so that the reader's own per-stack adjustment
 * yields the estimate.
 */
#ifndef STRATA_PROF_DUMP_H
#define STRATA_PROF_DUMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

/* No per-kind sequence number in the name (the final dump). */
#define PROF_VSEQ_NONE UINT64_MAX

/* "<prefix>.<pid>.<seq>.<kind><vseq>.<ext>" (vseq omitted when
 * PROF_VSEQ_NONE), jemalloc's scheme: kind 'f' final, 'i' interval,
 * 'm' manual, 'u' high-water mark; ext "heap" for heap_v2.  0, or
 * ENAMETOOLONG when it does not fit in len bytes. */
HIDDEN int prof_dump_filename(char *buf, size_t len, const char *prefix,
                              uint64_t pid, uint64_t seq, char kind,
                              uint64_t vseq, const char *ext);

/* What a dump shows.  with_accum: the accumulated counts too
 * (prof_accum); otherwise they read as zero. */
typedef struct prof_dump_opts {
	unsigned lg_sample;
	bool with_accum;
	uint64_t now_ns;    /* pprof's time_nanos */
	/* /proc/self/maps, or another file in its format (tests). */
	const char *maps_path;
} prof_dump_opts_t;

/* Each returns 0 or the errno value of the first failing write. */
HIDDEN int prof_dump_heap_v2(int fd, const prof_dump_opts_t *o);
HIDDEN int prof_dump_gperftools(int fd, const prof_dump_opts_t *o);
HIDDEN int prof_dump_pprof(int fd, const prof_dump_opts_t *o);
HIDDEN int prof_dump_recent_json(int fd, const prof_dump_opts_t *o);
/* At most top stacks, largest live estimate first. */
HIDDEN int prof_dump_leak_report(int fd, const prof_dump_opts_t *o,
                                 unsigned top);

/* Opens path (created or truncated, mode 0644), runs writer, closes.
 * 0 or errno. */
HIDDEN int prof_dump_file(const char *path,
                          int (*writer)(int, const prof_dump_opts_t *),
                          const prof_dump_opts_t *o);

#endif /* STRATA_PROF_DUMP_H */
