/*
 * memlimit.c — the charged total and the two limits; a leaf: it reads
 * base.c's mapped bytes and the options, and calls nothing else.
 */
#include "memlimit.h"

#include "base.h"
#include "conf.h"
#include "pages.h"

atomic_size_t memlimit_chunk_pages;
atomic_size_t memlimit_huge_bytes;
atomic_uint_fast64_t memlimit_soft_hits, memlimit_hard_hits;

size_t memlimit_charged_bytes(void) {
	return (atomic_load_explicit(&memlimit_chunk_pages,
	                             memory_order_relaxed) << lg_page) +
	       atomic_load_explicit(&memlimit_huge_bytes, memory_order_relaxed) +
	       base_mapped_bytes();
}

bool memlimit_would_exceed_hard(size_t bytes) {
	if (opt.mem_limit_hard == 0 ||
	    memlimit_charged_bytes() + bytes <= opt.mem_limit_hard)
		return false;
	atomic_fetch_add(&memlimit_hard_hits, 1);
	return true;
}

bool memlimit_is_above_soft(void) {
	if (opt.mem_limit_soft == 0 ||
	    memlimit_charged_bytes() <= opt.mem_limit_soft)
		return false;
	atomic_fetch_add(&memlimit_soft_hits, 1);
	return true;
}
