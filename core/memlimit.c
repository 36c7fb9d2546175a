/*
 * memlimit.c — the charged total and the two limits; a leaf: it reads
 * base.c's mapped bytes, the options and (once, at boot) the cgroup's
 * limit through prim.h, and calls nothing else.
 */
#include "memlimit.h"

#include "base.h"
#include "conf.h"
#include "pages.h"
#include "prim.h"

atomic_size_t memlimit_bytes;
atomic_uint_fast64_t memlimit_soft_hits, memlimit_hard_hits;
static size_t cgroup_bytes, soft_bytes;

void memlimit_boot(void) {
	cgroup_bytes = prim_cgroup_memory_limit();
	soft_bytes = opt.mem_limit_soft != 0 ? opt.mem_limit_soft
	                                     : cgroup_bytes - cgroup_bytes / 8;
}

size_t memlimit_cgroup_bytes(void) { return cgroup_bytes; }
size_t memlimit_soft_bytes(void) { return soft_bytes; }

size_t memlimit_charged_bytes(void) {
	return atomic_load_explicit(&memlimit_bytes, memory_order_relaxed) +
	       base_mapped_bytes();
}

bool memlimit_try_charge(size_t bytes) {
	size_t limit = opt.mem_limit_hard;
	if (limit == 0) {
		atomic_fetch_add_explicit(&memlimit_bytes, bytes,
		                          memory_order_relaxed);
		return true;
	}
	size_t base = base_mapped_bytes();
	size_t cur = atomic_load_explicit(&memlimit_bytes, memory_order_relaxed);
	do {
		if (cur + base + bytes > limit || cur + bytes < cur) {
			atomic_fetch_add(&memlimit_hard_hits, 1);
			return false;
		}
	} while (!atomic_compare_exchange_weak_explicit(
	    &memlimit_bytes, &cur, cur + bytes, memory_order_relaxed,
	    memory_order_relaxed));
	return true;
}

bool memlimit_would_exceed_hard(size_t bytes) {
	return opt.mem_limit_hard != 0 &&
	       memlimit_charged_bytes() + bytes > opt.mem_limit_hard;
}

bool memlimit_is_above_soft(void) {
	if (soft_bytes == 0 || memlimit_charged_bytes() <= soft_bytes)
		return false;
	atomic_fetch_add(&memlimit_soft_hits, 1);
	return true;
}
