/*
 * guard.c — guarded sampling (guard.h): the pool of slots, the FIFO of
 * slots not in use (never used ones first, then the freed ones in the
 * order they were freed, so a freed block stays in quarantine as long as
 * the pool allows), the stacks kept per slot and the fault report.
 *
 * Layout: 2 * guard_slots + 1 pages, a faulting page, then each slot's
 * data page followed by a faulting page.  Slot i's data page is page
 * 2i + 1; the block ends at that page's end, so the byte after it is on
 * a faulting page (the tail slack is below the alignment asked for, 0
 * for malloc's).  Locks: guard_lock around the FIFO and the slots'
 * state; the fault handler reads slots without it (the faulting thread
 * may hold nothing, and a report racing with a free is still right about
 * the address).
 */
#define _GNU_SOURCE
#include "guard.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdatomic.h>
#include <string.h>

#include "base.h"
#include "conf.h"
#include "pages.h"
#include "prim.h"
#include "prof.h"
#include "prof_sample.h"
#include "prof_unwind.h"
#include "report.h"
#include "sync.h"
#include "tsd.h"

/* Frames kept per stack: enough to name the call site and its callers. */
#define GUARD_FRAMES 32

enum guard_state { GUARD_UNUSED = 0, GUARD_LIVE, GUARD_FREED };

typedef struct guard_slot {
	uintptr_t block;            /* the block's start (last use) */
	size_t usize;
	uint8_t state;              /* enum guard_state */
	uint8_t alloc_depth, free_depth;
	uint64_t alloc_tid, free_tid;
	void *alloc_frames[GUARD_FRAMES];
	void *free_frames[GUARD_FRAMES];
} guard_slot_t;

uintptr_t guard_pool;
size_t guard_pool_bytes;
static unsigned guard_nslots;
static guard_slot_t *guard_slots;
static uint32_t *guard_fifo; /* slots not live, oldest first */
static uint32_t guard_fifo_head, guard_fifo_len;
static atomic_bool guard_on;
static mutex_t guard_lock = MUTEX_INITIALIZER("guard");

bool guard_is_on(void) { return atomic_load(&guard_on); }

static char *data_page(unsigned i) {
	return (char *)guard_pool + (size_t)(2 * i + 1) * page_bytes;
}

void guard_countdown(tsd_t *tsd) {
	if (!atomic_load_explicit(&guard_on, memory_order_relaxed) ||
	    tsd->state != TSD_ACTIVE) {
		tsd->guard_sample_at = UINT64_MAX;
		prof_sample_at_set(tsd, tsd->prof_own_at);
		return;
	}
	tsd->guard_sample_at = tsd->allocated_bytes +
	                       prof_sample_gap_bytes(&tsd->prof_prng,
	                                             (unsigned)opt.lg_guard_sample);
	prof_sample_at_set(tsd, tsd->prof_own_at);
}

void guard_countdown_mean(tsd_t *tsd) {
	if (!atomic_load_explicit(&guard_on, memory_order_relaxed) ||
	    tsd->state != TSD_ACTIVE) {
		tsd->guard_sample_at = UINT64_MAX;
		prof_sample_at_set(tsd, tsd->prof_own_at);
		return;
	}
	tsd->guard_sample_at = tsd->allocated_bytes +
	                       ((uint64_t)1 << opt.lg_guard_sample);
	prof_sample_at_set(tsd, tsd->prof_own_at);
}

/* ---- slots ---- */

static bool fifo_pop(unsigned *i) {
	if (guard_fifo_len == 0)
		return false;
	*i = guard_fifo[guard_fifo_head];
	guard_fifo_head = (guard_fifo_head + 1) % guard_nslots;
	guard_fifo_len--;
	return true;
}

static void fifo_push(unsigned i) {
	guard_fifo[(guard_fifo_head + guard_fifo_len) % guard_nslots] = i;
	guard_fifo_len++;
}

void *guard_alloc(size_t usize, size_t align, bool zero, unsigned skip) {
	if (usize == 0 || !guard_fits(usize, align, page_bytes) ||
	    !atomic_load_explicit(&guard_on, memory_order_acquire))
		return NULL;
	size_t natural = usize < 16 ? 8 : 16;
	if (align < natural)
		align = natural;
	void *frames[GUARD_FRAMES];
	unsigned depth = prof_backtrace(frames, GUARD_FRAMES, skip + 1);
	unsigned i;
	mutex_lock(&guard_lock);
	if (!fifo_pop(&i)) {
		mutex_unlock(&guard_lock);
		return NULL;
	}
	char *page = data_page(i);
	if (prim_guard_protect(page, page_bytes, true) != 0) {
		fifo_push(i);
		mutex_unlock(&guard_lock);
		return NULL;
	}
	guard_slot_t *s = &guard_slots[i];
	s->block = ((uintptr_t)page + page_bytes - usize) & ~(align - 1);
	s->usize = usize;
	s->state = GUARD_LIVE;
	s->alloc_tid = prim_thread_id();
	s->alloc_depth = (uint8_t)depth;
	memcpy(s->alloc_frames, frames, depth * sizeof frames[0]);
	s->free_depth = 0;
	mutex_unlock(&guard_lock);
	if (zero)
		memset((void *)s->block, 0, usize);
	return (void *)s->block;
}

static unsigned slot_of(const void *ptr) {
	return (unsigned)(((uintptr_t)ptr - guard_pool) / page_bytes / 2);
}

NOINLINE size_t guard_free(void *ptr, unsigned skip) {
	void *frames[GUARD_FRAMES];
	unsigned depth = prof_backtrace(frames, GUARD_FRAMES, skip + 1);
	unsigned i = slot_of(ptr);
	mutex_lock(&guard_lock);
	guard_slot_t *s = i < guard_nslots ? &guard_slots[i] : NULL;
	if (s == NULL || s->block != (uintptr_t)ptr ||
	    s->state != GUARD_LIVE) {
		bool is_twice = s != NULL && s->block == (uintptr_t)ptr &&
		                s->state == GUARD_FREED;
		bool is_inside = s != NULL && s->state == GUARD_LIVE &&
		                 (uintptr_t)ptr - s->block < s->usize;
		uintptr_t block = s != NULL ? s->block : 0;
		mutex_unlock(&guard_lock);
		if (is_inside)
			report_bad_pointer_in("free of", ptr,
			                      "points inside the block at",
			                      (void *)block);
		if (is_twice)
			report_bad_pointer("double free of", ptr,
			                   "block was already freed");
		report_bad_pointer("free of", ptr,
		                   "not a live block of this allocator (invalid "
		                   "or double free)");
	}
	size_t usize = s->usize;
	s->state = GUARD_FREED;
	s->free_tid = prim_thread_id();
	s->free_depth = (uint8_t)depth;
	memcpy(s->free_frames, frames, depth * sizeof frames[0]);
	prim_guard_protect(data_page(i), page_bytes, false);
	fifo_push(i);
	mutex_unlock(&guard_lock);
	return usize;
}

size_t guard_usable_size(const void *ptr) {
	unsigned i = slot_of(ptr);
	if (!guard_owns(ptr) || i >= guard_nslots)
		return 0;
	guard_slot_t *s = &guard_slots[i];
	return s->state == GUARD_LIVE && s->block == (uintptr_t)ptr ? s->usize
	                                                            : 0;
}

/* ---- the fault report ---- */

/* One frame: "#k 0x<ip> <symbol>+0x<off> (<file>)" when the dynamic
 * symbol table names it, else "#k 0x<ip> (<file>+0x<off>)", the offset
 * addr2line takes. */
static void report_frame(unsigned k, void *ip) {
	char n[24], hex[20], off[20];
	Dl_info dl;
	if (dladdr(ip, &dl) == 0 || dl.dli_fname == NULL) {
		report_line("  #", report_u64(n, k), " ", report_ptr(hex, ip),
		            (char *)NULL);
		return;
	}
	const char *slash = strrchr(dl.dli_fname, '/');
	const char *file = slash != NULL ? slash + 1 : dl.dli_fname;
	if (dl.dli_sname != NULL && dl.dli_saddr != NULL) {
		report_ptr(off, (void *)((uintptr_t)ip -
		                         (uintptr_t)dl.dli_saddr));
		report_line("  #", report_u64(n, k), " ", report_ptr(hex, ip),
		            " ", dl.dli_sname, "+", off, " (", file, ")",
		            (char *)NULL);
	} else {
		report_ptr(off, (void *)((uintptr_t)ip -
		                         (uintptr_t)dl.dli_fbase));
		report_line("  #", report_u64(n, k), " ", report_ptr(hex, ip),
		            " (", file, "+", off, ")", (char *)NULL);
	}
}

/* The stack from the allocator's entry point outwards: the frames inside
 * the allocator's own object are left out, unless that leaves none (a
 * program linked with the allocator statically). */
static void report_stack(const char *what, uint64_t tid, void *const *frames,
                         unsigned depth) {
	char num[24];
	report_line(what, " by thread ", report_u64(num, tid), ":",
	            (char *)NULL);
	Dl_info self, dl;
	unsigned first = 0;
	if (dladdr((void *)(uintptr_t)report_stack, &self) != 0) {
		while (first < depth && dladdr(frames[first], &dl) != 0 &&
		       dl.dli_fbase == self.dli_fbase)
			first++;
		if (first == depth)
			first = 0;
	}
	for (unsigned k = first; k < depth; k++)
		report_frame(k - first, frames[k]);
}

/* The slot a faulting address belongs to, and what the access was: on a
 * data page, that slot's (a use after free); on a faulting page, the
 * block ending just below it (an overflow) in its lower half, the one
 * starting above it (an underflow) in its upper half. */
static guard_slot_t *fault_slot(uintptr_t addr, const char **kind) {
	size_t page = (addr - guard_pool) / page_bytes;
	size_t in_page = (addr - guard_pool) % page_bytes;
	size_t i;
	if (page % 2 == 1) {
		i = page / 2;
		*kind = "use-after-free";
	} else if ((in_page < page_bytes / 2 && page > 0) ||
	           page / 2 >= guard_nslots) {
		i = page / 2 - 1;
		*kind = "overflow";
	} else {
		i = page / 2;
		*kind = "underflow";
	}
	guard_slot_t *s = &guard_slots[i];
	return s->state == GUARD_UNUSED ? NULL : s;
}

static bool guard_fault(void *addr) {
	if (!guard_owns(addr))
		return false;
	uintptr_t a = (uintptr_t)addr;
	const char *kind;
	guard_slot_t *s = fault_slot(a, &kind);
	char at[20], blk[20], num[24], size[24];
	if (s == NULL) {
		report_line("guarded pool: access at ", report_ptr(at, addr),
		            " next to no block", (char *)NULL);
		return true;
	}
	uintptr_t end = s->block + s->usize;
	const char *where;
	if (a >= end) {
		report_u64(num, a - end);
		where = " bytes past the end of ";
	} else if (a < s->block) {
		report_u64(num, s->block - a);
		where = " bytes before ";
	} else {
		report_u64(num, a - s->block);
		where = " bytes into ";
	}
	report_line(kind, " at ", report_ptr(at, addr), ": ", num, where,
	            s->state == GUARD_FREED ? "the freed" : "the",
	            " guarded block ", report_ptr(blk, (void *)s->block), " (",
	            report_u64(size, s->usize), " bytes)", (char *)NULL);
	report_stack("allocated", s->alloc_tid, s->alloc_frames,
	             s->alloc_depth);
	if (s->state == GUARD_FREED)
		report_stack("freed", s->free_tid, s->free_frames,
		             s->free_depth);
	return true;
}

/* ---- boot and fork ---- */

int guard_boot(void) {
	if (opt.lg_guard_sample < 0)
		return 0;
	unsigned n = opt.guard_slots;
	size_t bytes = (size_t)(2 * n + 1) * page_bytes;
	void *pool = prim_guard_reserve(bytes);
	guard_slots = base_alloc(n * sizeof guard_slots[0], STRATA_CACHELINE_BYTES);
	guard_fifo = base_alloc(n * sizeof guard_fifo[0], STRATA_CACHELINE_BYTES);
	if (pool == NULL || guard_slots == NULL || guard_fifo == NULL)
		return ENOMEM;
	for (unsigned i = 0; i < n; i++)
		guard_fifo[i] = i;
	guard_fifo_len = guard_nslots = n;
	prof_unwind_boot();
	int err = prim_fault_handler_install(guard_fault);
	if (err != 0)
		return err;
	guard_pool = (uintptr_t)pool;
	guard_pool_bytes = bytes;
	atomic_store_explicit(&guard_on, true, memory_order_release);
	tsd_t *tsd = tsd_get();
	if (tsd->state == TSD_ACTIVE)
		guard_countdown(tsd); /* the booting thread's, at once */
	return 0;
}

void guard_prefork(void) {
	if (atomic_load(&guard_on))
		mutex_prefork(&guard_lock);
}

void guard_postfork_parent(void) {
	if (atomic_load(&guard_on))
		mutex_postfork_parent(&guard_lock);
}

void guard_postfork_child(void) {
	if (atomic_load(&guard_on))
		mutex_postfork_child(&guard_lock);
}
