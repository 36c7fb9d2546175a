/*
 * mte_tags.h — what the mte suite reads of a pointer and of tag memory:
 * the pointer's tag, an address without it, the memory tag of a granule
 * (LDG, in inline assembly as core/tag.h does).
 */
#ifndef STRATA_TEST_MTE_TAGS_H
#define STRATA_TEST_MTE_TAGS_H

#include <stdint.h>

static inline unsigned ptr_tag(const void *p) {
	return (unsigned)((uintptr_t)p >> 56) & 0xf;
}

static inline uintptr_t untagged(const void *p) {
	return (uintptr_t)p & (((uintptr_t)1 << 56) - 1);
}

/* The allocation tag of the granule holding addr. */
static inline unsigned mem_tag(uintptr_t addr) {
	uintptr_t p = addr;
	__asm__ volatile(".arch armv8.5-a+memtag\n\tldg %0, [%1]"
	                 : "+r"(p)
	                 : "r"(addr)
	                 : "memory");
	return ptr_tag((void *)p);
}

#endif
