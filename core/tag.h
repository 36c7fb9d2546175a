/*
 * tag.h — pointer tags (AArch64 MTE) behind a compile-time switch.
 *
 * Builds without STRATA_MTE compile every function here to nothing, so the
 * rest of the core can strip and set tags unconditionally at zero cost.
 * The pagemap is keyed on untagged addresses.
 */
#ifndef STRATA_TAG_H
#define STRATA_TAG_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

#if defined(STRATA_MTE) && defined(__aarch64__)
#define TAG_SHIFT 56u
static ALWAYS_INLINE uintptr_t tag_strip(const void *p) {
	return (uintptr_t)p & ~((uintptr_t)0xff << TAG_SHIFT);
}
#else
static ALWAYS_INLINE uintptr_t tag_strip(const void *p) {
	return (uintptr_t)p;
}
#endif

#endif
