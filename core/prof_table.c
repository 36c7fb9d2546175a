/*
 * prof_table.c — the stack table, the live-record table and the recent
 * ring.  Both tables chain in fixed bucket arrays sized at boot; records
 * are recycled through a free list, refilled from base_alloc in batches.
 */
#include "prof_table.h"

#include <errno.h>
#include <stdatomic.h>
#include <string.h>

#include "base.h"
#include "prof_unwind.h"
#include "sync.h"

typedef struct prof_record {
	struct prof_record *chain;
	uintptr_t addr;
	size_t size;
	prof_stack_t *stack;
	prof_weight_t weight;
	uint64_t recent_seq;   /* 0: not in the ring */
} prof_record_t;

#define RECORD_BATCH 64

MUTEX_GLOBAL(prof_stacks_lock, "prof_stacks");
MUTEX_GLOBAL(prof_live_lock, "prof_live");
MUTEX_GLOBAL(prof_recent_lock, "prof_recent");

/* Under prof_stacks_lock. */
static prof_stack_t **stack_buckets;
static unsigned stack_lg;
static prof_stack_t *_Atomic stack_newest;
static _Atomic unsigned stack_total;

/* Under prof_live_lock. */
static prof_record_t **live_buckets;
static unsigned live_lg;
static prof_record_t *record_free;
static size_t live_total;
/* Weights already computed, direct-mapped by size: samples come in a few
 * size classes, and a weight costs a series of about 20 terms. */
#define WEIGHT_MEMO_LG 6
static struct weight_memo {
	size_t size;        /* 0: empty */
	unsigned lg_sample;
	prof_weight_t w;
} weight_memo[1u << WEIGHT_MEMO_LG];

/* Under prof_recent_lock.  The ring holds [recent_first, recent_next),
 * at most recent_limit <= recent_cap entries; seq sits in slot
 * seq % recent_cap. */
static prof_recent_t *recent_ring;
static size_t recent_cap, recent_limit;
static uint64_t recent_first = 1, recent_next = 1;
/* recent_limit != 0, read without the lock: an insert with the ring off
 * takes no second lock, and its caller reads no thread id or clock. */
static atomic_bool recent_on;

int prof_table_boot(unsigned lg_stack_buckets, unsigned lg_live_buckets) {
	stack_buckets = base_alloc(sizeof(void *) << lg_stack_buckets,
	                           CACHELINE_BYTES);
	live_buckets = base_alloc(sizeof(void *) << lg_live_buckets,
	                          CACHELINE_BYTES);
	if (stack_buckets == NULL || live_buckets == NULL)
		return ENOMEM;
	stack_lg = lg_stack_buckets;
	live_lg = lg_live_buckets;
	return 0;
}

static uint64_t hash_frames(void *const *frames, unsigned n) {
	uint64_t h = UINT64_C(0xCBF29CE484222325) ^ n;
	for (unsigned i = 0; i < n; i++) {
		h = (h ^ (uint64_t)(uintptr_t)frames[i]) *
		    UINT64_C(0x9E3779B97F4A7C15);
		h ^= h >> 29;
	}
	return h;
}

static size_t bucket_of(uint64_t h, unsigned lg) {
	return lg == 0 ? 0 : (size_t)(h >> (64 - lg));
}

static prof_stack_t *stack_find(uint64_t h, void *const *frames,
                                unsigned n) {
	for (prof_stack_t *s = stack_buckets[bucket_of(h, stack_lg)]; s;
	     s = s->chain)
		if (s->hash == h && s->nframes == n &&
		    memcmp(s->frames, frames, n * sizeof(void *)) == 0)
			return s;
	return NULL;
}

prof_stack_t *prof_stack_intern(void *const *frames, unsigned n) {
	if (n > PROF_FRAMES_MAX)
		n = PROF_FRAMES_MAX;
	uint64_t h = hash_frames(frames, n);
	mutex_lock(&prof_stacks_lock);
	prof_stack_t *s = stack_find(h, frames, n);
	if (s == NULL) {
		s = base_alloc(sizeof(*s) + n * sizeof(void *),
		               sizeof(void *));
		if (s != NULL) {
			memcpy(s->frames, frames, n * sizeof(void *));
			s->nframes = n;
			s->hash = h;
			s->id = atomic_load(&stack_total) + 1;
			size_t b = bucket_of(h, stack_lg);
			s->chain = stack_buckets[b];
			stack_buckets[b] = s;
			atomic_store_explicit(&s->next,
			    atomic_load_explicit(&stack_newest,
			                         memory_order_relaxed),
			    memory_order_relaxed);
			atomic_store_explicit(&stack_newest, s,
			                      memory_order_release);
			atomic_fetch_add(&stack_total, 1);
		}
	}
	mutex_unlock(&prof_stacks_lock);
	return s;
}

prof_stack_t *prof_stack_first(void) {
	return atomic_load_explicit(&stack_newest, memory_order_acquire);
}
prof_stack_t *prof_stack_next(const prof_stack_t *s) {
	return atomic_load_explicit(&s->next, memory_order_acquire);
}
unsigned prof_stack_count(void) { return atomic_load(&stack_total); }

void prof_stack_counts(const prof_stack_t *s, prof_counts_t *out) {
	mutex_lock(&prof_live_lock);
	*out = s->counts;
	mutex_unlock(&prof_live_lock);
}

void prof_counts_total(prof_counts_t *out) {
	memset(out, 0, sizeof(*out));
	for (prof_stack_t *s = prof_stack_first(); s; s = prof_stack_next(s)) {
		prof_counts_t c;
		prof_stack_counts(s, &c);
		out->live_objs += c.live_objs;
		out->live_bytes += c.live_bytes;
		out->live_objs_est_fp += c.live_objs_est_fp;
		out->live_bytes_est += c.live_bytes_est;
		out->accum_objs += c.accum_objs;
		out->accum_bytes += c.accum_bytes;
		out->accum_objs_est_fp += c.accum_objs_est_fp;
		out->accum_bytes_est += c.accum_bytes_est;
	}
}

static size_t addr_bucket(uintptr_t addr) {
	return bucket_of((uint64_t)addr * UINT64_C(0x9E3779B97F4A7C15),
	                 live_lg);
}

/* Under prof_live_lock: a record from the free list, refilled in a batch
 * from metadata (base's lock nests inside prof_live). */
static prof_record_t *record_take(void) {
	if (record_free == NULL) {
		prof_record_t *batch =
		    base_alloc(RECORD_BATCH * sizeof(*batch), sizeof(void *));
		if (batch == NULL)
			return NULL;
		for (unsigned i = 0; i < RECORD_BATCH; i++) {
			batch[i].chain = record_free;
			record_free = &batch[i];
		}
	}
	prof_record_t *r = record_free;
	record_free = r->chain;
	return r;
}

static prof_record_t **record_slot(uintptr_t addr) {
	prof_record_t **p = &live_buckets[addr_bucket(addr)];
	while (*p != NULL && (*p)->addr != addr)
		p = &(*p)->chain;
	return p;
}

static void counts_add(prof_counts_t *c, size_t size, prof_weight_t w) {
	c->live_objs++;
	c->live_bytes += size;
	c->live_objs_est_fp += w.objs_fp;
	c->live_bytes_est += w.bytes;
	c->accum_objs++;
	c->accum_bytes += size;
	c->accum_objs_est_fp += w.objs_fp;
	c->accum_bytes_est += w.bytes;
}

static void counts_sub_live(prof_counts_t *c, size_t size, prof_weight_t w) {
	c->live_objs--;
	c->live_bytes -= size;
	c->live_objs_est_fp -= w.objs_fp;
	c->live_bytes_est -= w.bytes;
}

/* A thread name into a ring entry's field, cut to fit. */
static void name_copy(char *dst, const char *name) {
	size_t n = name != NULL ? strnlen(name, PROF_THREAD_NAME_BYTES - 1)
	                        : 0;
	if (n != 0)
		memcpy(dst, name, n);
	dst[n] = '\0';
}

static uint64_t recent_push(const prof_stack_t *stack, uintptr_t addr,
                            size_t size, uint64_t tid, uint64_t now_ns,
                            const char *tname) {
	if (!atomic_load_explicit(&recent_on, memory_order_relaxed))
		return 0;
	mutex_lock(&prof_recent_lock);
	uint64_t seq = 0;
	if (recent_limit != 0) {
		seq = recent_next++;
		if (recent_next - recent_first > recent_limit)
			recent_first = recent_next - recent_limit;
		prof_recent_t *e = &recent_ring[seq % recent_cap];
		*e = (prof_recent_t){
			.seq = seq, .stack = stack, .addr = addr, .size = size,
			.alloc_thread_id = tid, .alloc_ns = now_ns,
		};
		name_copy(e->alloc_thread_name, tname);
	}
	mutex_unlock(&prof_recent_lock);
	return seq;
}

/* Under prof_recent_lock: the slot of seq if the ring still holds it. */
static prof_recent_t *recent_held(uint64_t seq) {
	if (seq < recent_first || seq >= recent_next)
		return NULL;
	prof_recent_t *e = &recent_ring[seq % recent_cap];
	return e->seq == seq ? e : NULL;
}

/* Under prof_live_lock. */
static prof_weight_t weight_of(size_t size, unsigned lg_sample) {
	struct weight_memo *m =
	    &weight_memo[((uint64_t)size * UINT64_C(0x9E3779B97F4A7C15)) >>
	                (64 - WEIGHT_MEMO_LG)];
	if (m->size != size || m->lg_sample != lg_sample || size == 0)
		*m = (struct weight_memo){ size, lg_sample,
			                   prof_sample_weight(size, lg_sample) };
	return m->w;
}

int prof_live_insert(const void *addr, size_t size, unsigned lg_sample,
                     prof_stack_t *stack, uint64_t tid, uint64_t now_ns,
                     const char *tname) {
	mutex_lock(&prof_live_lock);
	prof_weight_t w = weight_of(size, lg_sample);
	prof_record_t **slot = record_slot(addr_of(addr));
	int err = *slot != NULL ? EEXIST : 0;
	prof_record_t *r = err == 0 ? record_take() : NULL;
	if (r != NULL) {
		/* In the ring only once recorded: prof_recent nests here. */
		uint64_t seq = recent_push(stack, addr_of(addr), size, tid,
		                           now_ns, tname);
		*r = (prof_record_t){ .addr = addr_of(addr), .size = size,
		                      .stack = stack, .weight = w,
		                      .recent_seq = seq };
		*slot = r;
		live_total++;
		counts_add(&stack->counts, size, w);
	} else if (err == 0) {
		err = ENOMEM;
	}
	mutex_unlock(&prof_live_lock);
	return err;
}

int prof_live_remove(const void *addr, uint64_t tid, uint64_t now_ns,
                     const char *tname) {
	mutex_lock(&prof_live_lock);
	prof_record_t **slot = record_slot(addr_of(addr));
	prof_record_t *r = *slot;
	uint64_t seq = 0;
	if (r != NULL) {
		*slot = r->chain;
		counts_sub_live(&r->stack->counts, r->size, r->weight);
		seq = r->recent_seq;
		r->chain = record_free;
		record_free = r;
		live_total--;
	}
	mutex_unlock(&prof_live_lock);
	if (r == NULL)
		return ENOENT;
	if (seq != 0) {
		mutex_lock(&prof_recent_lock);
		prof_recent_t *e = recent_held(seq);
		if (e != NULL) {
			e->free_ns = now_ns;
			e->free_thread_id = tid;
			name_copy(e->free_thread_name, tname);
		}
		mutex_unlock(&prof_recent_lock);
	}
	return 0;
}

size_t prof_live_count(void) {
	mutex_lock(&prof_live_lock);
	size_t n = live_total;
	mutex_unlock(&prof_live_lock);
	return n;
}

void prof_table_reset(void) {
	mutex_lock(&prof_live_lock);
	for (size_t b = 0; b < ((size_t)1 << live_lg); b++) {
		while (live_buckets[b] != NULL) {
			prof_record_t *r = live_buckets[b];
			live_buckets[b] = r->chain;
			r->chain = record_free;
			record_free = r;
		}
	}
	live_total = 0;
	for (prof_stack_t *s = prof_stack_first(); s; s = prof_stack_next(s))
		memset(&s->counts, 0, sizeof(s->counts));
	mutex_unlock(&prof_live_lock);
}

/* Under prof_recent_lock: the sequence numbers held, [*first, *end). */
static void recent_range_locked(uint64_t *first, uint64_t *end) {
	*first = recent_first;
	*end = recent_next;
}

/* Under prof_recent_lock: moves the newest min(held, cap) entries into
 * ring (cap slots, cap larger than the current one). */
static void recent_move(prof_recent_t *ring, size_t cap) {
	uint64_t first, end;
	recent_range_locked(&first, &end);
	for (uint64_t seq = first; seq < end; seq++)
		ring[seq % cap] = recent_ring[seq % recent_cap];
	recent_ring = ring;
	recent_cap = cap;
}

/* Under prof_recent_lock: forgets all but the newest keep entries. */
static void recent_drop(size_t keep) {
	if (recent_next - recent_first > keep)
		recent_first = recent_next - keep;
}

int prof_recent_set_max(size_t max) {
	mutex_lock(&prof_recent_lock);
	size_t cap = recent_cap;
	mutex_unlock(&prof_recent_lock);
	prof_recent_t *fresh = NULL;
	if (max > cap) {
		fresh = base_alloc(max * sizeof(*fresh), CACHELINE_BYTES);
		if (fresh == NULL)
			return ENOMEM;
	}
	mutex_lock(&prof_recent_lock);
	recent_drop(max);
	if (fresh != NULL && max > recent_cap)
		recent_move(fresh, max);
	recent_limit = max;
	atomic_store_explicit(&recent_on, max != 0, memory_order_relaxed);
	mutex_unlock(&prof_recent_lock);
	return 0;
}

bool prof_recent_is_on(void) {
	return atomic_load_explicit(&recent_on, memory_order_relaxed);
}

size_t prof_recent_max(void) {
	mutex_lock(&prof_recent_lock);
	size_t n = recent_limit;
	mutex_unlock(&prof_recent_lock);
	return n;
}

void prof_recent_range(uint64_t *first, uint64_t *end) {
	mutex_lock(&prof_recent_lock);
	recent_range_locked(first, end);
	mutex_unlock(&prof_recent_lock);
}

int prof_recent_get(uint64_t seq, prof_recent_t *out) {
	mutex_lock(&prof_recent_lock);
	prof_recent_t *e = recent_held(seq);
	if (e != NULL)
		*out = *e;
	mutex_unlock(&prof_recent_lock);
	return e != NULL ? 0 : ENOENT;
}

void prof_table_prefork(void) {
	mutex_prefork(&prof_stacks_lock);
	mutex_prefork(&prof_live_lock);
	mutex_prefork(&prof_recent_lock);
}
void prof_table_postfork_parent(void) {
	mutex_postfork_parent(&prof_recent_lock);
	mutex_postfork_parent(&prof_live_lock);
	mutex_postfork_parent(&prof_stacks_lock);
}
void prof_table_postfork_child(void) {
	mutex_postfork_child(&prof_recent_lock);
	mutex_postfork_child(&prof_live_lock);
	mutex_postfork_child(&prof_stacks_lock);
}
