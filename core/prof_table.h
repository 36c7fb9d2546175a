/*
 * prof_table.h — what the profiler remembers: interned backtraces
 * (stacks) with their counters, the live sampled blocks keyed by address,
 * and a bounded ring of the most recent sampled allocations.
 *
 * Memory comes from base_alloc (metadata, never inside user memory), so
 * nothing here calls malloc.  Three locks: prof_stacks (interning),
 * prof_live (records and every stack's counters), prof_recent (the ring);
 * only prof_recent nests, inside prof_live, and base's lock nests inside
 * prof_stacks and prof_live.  Stacks are never freed: a pointer to one stays valid for
 * the life of the process, which is what lets the dump writers walk them
 * without holding a lock across a write.
 */
#ifndef STRATA_PROF_TABLE_H
#define STRATA_PROF_TABLE_H

#include <stddef.h>
#include <stdint.h>

#include "prof_sample.h"
#include "util.h"

/* Counters of one stack, or of all.  The raw ones count samples; the
 * _est ones are the unbiased estimates (objects in fixed point,
 * PROF_OBJS_FRAC_BITS fraction bits).  accum_* only grow (prof_accum). */
typedef struct prof_counts {
	uint64_t live_objs, live_bytes;
	uint64_t live_objs_est_fp, live_bytes_est;
	uint64_t accum_objs, accum_bytes;
	uint64_t accum_objs_est_fp, accum_bytes_est;
} prof_counts_t;

typedef struct prof_stack {
	struct prof_stack *chain;         /* hash bucket */
	struct prof_stack *_Atomic next;  /* every stack, newest first */
	uint64_t hash;
	uint32_t id;                      /* 1, 2, ... in intern order */
	uint32_t nframes;
	prof_counts_t counts;             /* under prof_live */
	void *frames[];                   /* innermost first */
} prof_stack_t;

/* thread.prof.name, with its NUL (the thread state's copy). */
#define PROF_THREAD_NAME_BYTES 16

/* One entry of the recent-allocations ring. */
typedef struct prof_recent {
	uint64_t seq;            /* 1, 2, ...; 0: empty slot */
	const prof_stack_t *stack;
	uintptr_t addr;
	size_t size;
	uint64_t alloc_thread_id;
	uint64_t alloc_ns;
	uint64_t free_thread_id;
	uint64_t free_ns;        /* 0 while the block is live */
	char alloc_thread_name[PROF_THREAD_NAME_BYTES]; /* thread.prof.name, */
	char free_thread_name[PROF_THREAD_NAME_BYTES];  /* "" when none */
} prof_recent_t;

/* Bucket arrays of 2^lg entries each; once, before any other call.
 * 0 or ENOMEM. */
HIDDEN int prof_table_boot(unsigned lg_stack_buckets,
                           unsigned lg_live_buckets);

/* The stack with these frames, created on first sight; NULL (ENOMEM)
 * when metadata is exhausted.  n <= PROF_FRAMES_MAX. */
HIDDEN prof_stack_t *prof_stack_intern(void *const *frames, unsigned n);
/* Every stack, newest first: for (s = first(); s; s = next(s)). */
HIDDEN prof_stack_t *prof_stack_first(void);
HIDDEN prof_stack_t *prof_stack_next(const prof_stack_t *s);
HIDDEN unsigned prof_stack_count(void);
/* Copies of the counters, taken under prof_live. */
HIDDEN void prof_stack_counts(const prof_stack_t *s, prof_counts_t *out);
HIDDEN void prof_counts_total(prof_counts_t *out);

/* A sampled block of size bytes at addr, allocated by stack on thread
 * tid (named tname, NULL or "" when unnamed) at now_ns, sampled at mean
 * interval 2^lg_sample: counts it live and accumulated, and appends it to
 * the recent ring.  0, ENOMEM, or EEXIST when addr is already live (the
 * block is then not counted twice). */
HIDDEN int prof_live_insert(const void *addr, size_t size,
                            unsigned lg_sample, prof_stack_t *stack,
                            uint64_t tid, uint64_t now_ns,
                            const char *tname);
/* The sampled block at addr is freed by thread tid (named tname) at
 * now_ns: no longer live; its ring entry (if still held) gets the free
 * time and thread.  0, or ENOENT when addr is not a live sampled block. */
HIDDEN int prof_live_remove(const void *addr, uint64_t tid,
                            uint64_t now_ns, const char *tname);
HIDDEN size_t prof_live_count(void);
/* prof.reset: forgets every live record and zeroes every counter (the
 * stacks stay interned). */
HIDDEN void prof_table_reset(void);

/* The ring holds the max most recent samples; 0 turns it off (and drops
 * what it held).  Growing beyond the largest size used so far takes a new
 * array from metadata (the old one is not returned).  0 or ENOMEM. */
HIDDEN int prof_recent_set_max(size_t max);
HIDDEN size_t prof_recent_max(void);
/* prof_recent_max() != 0, without a lock: whether an insert's thread id
 * and time (and a remove's) are kept at all. */
HIDDEN bool prof_recent_is_on(void);
/* The sequence numbers held now are [*first, *end). */
HIDDEN void prof_recent_range(uint64_t *first, uint64_t *end);
/* Copies entry seq; 0, or ENOENT when it is no longer (or never) held. */
HIDDEN int prof_recent_get(uint64_t seq, prof_recent_t *out);

HIDDEN void prof_table_prefork(void);
HIDDEN void prof_table_postfork_parent(void);
HIDDEN void prof_table_postfork_child(void);

#endif /* STRATA_PROF_TABLE_H */
