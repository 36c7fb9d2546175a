/*
 * override.h — the drop-in symbols (-Doverride_malloc=true): malloc and
 * friends as aliases of the strata_* functions, plus glibc's __libc_*
 * names for programs that call those.  An alias must sit in the
 * translation unit that defines its target, so api.c includes this file
 * at its end when built with STRATA_DROP_IN; a wrapper in a file of its own
 * would add a jump to every call.
 */
#ifndef STRATA_OVERRIDE_H
#define STRATA_OVERRIDE_H

#include "cxx_new.h"

#define EXPORT_ALIAS(target) \
	__attribute__((alias(#target), visibility("default"), used))

void *malloc(size_t size) EXPORT_ALIAS(strata_malloc);
void *calloc(size_t count, size_t size) EXPORT_ALIAS(strata_calloc);
void *realloc(void *ptr, size_t size) EXPORT_ALIAS(strata_realloc);
STRATA_ALLOC_SIZE(2, 3)
void *reallocarray(void *ptr, size_t count, size_t size)
    EXPORT_ALIAS(strata_reallocarray);
void free(void *ptr) EXPORT_ALIAS(strata_free);
void cfree(void *ptr) EXPORT_ALIAS(strata_free);
int posix_memalign(void **out, size_t align, size_t size)
    EXPORT_ALIAS(strata_posix_memalign);
void *aligned_alloc(size_t align, size_t size)
    EXPORT_ALIAS(strata_aligned_alloc);
void *memalign(size_t align, size_t size) EXPORT_ALIAS(strata_memalign);
void *valloc(size_t size) EXPORT_ALIAS(strata_valloc);
void *pvalloc(size_t size) EXPORT_ALIAS(strata_pvalloc);
size_t malloc_usable_size(void *ptr) EXPORT_ALIAS(strata_malloc_usable_size);
void free_sized(void *ptr, size_t size) EXPORT_ALIAS(strata_free_sized);
void free_aligned_sized(void *ptr, size_t align, size_t size)
    EXPORT_ALIAS(strata_free_aligned_sized);

/* jemalloc's extended API: the flags are jemalloc's encoding (strata.h).
 * xallocx, mallctl* and malloc_stats_print sit with their targets in
 * api_jemalloc.c. */
STRATA_MALLOC_ATTR STRATA_ALLOC_SIZE(1)
void *mallocx(size_t size, int flags) EXPORT_ALIAS(strata_mallocx);
STRATA_ALLOC_SIZE(2)
void *rallocx(void *ptr, size_t size, int flags) EXPORT_ALIAS(strata_rallocx);
size_t sallocx(const void *ptr, int flags) EXPORT_ALIAS(strata_sallocx);
size_t nallocx(size_t size, int flags) EXPORT_ALIAS(strata_nallocx);
void dallocx(void *ptr, int flags) EXPORT_ALIAS(strata_dallocx);
void sdallocx(void *ptr, size_t size, int flags)
    EXPORT_ALIAS(strata_sdallocx);

STRATA_MALLOC_ATTR STRATA_ALLOC_SIZE(1)
void *__libc_malloc(size_t size) EXPORT_ALIAS(strata_malloc);
STRATA_MALLOC_ATTR STRATA_ALLOC_SIZE(1, 2)
void *__libc_calloc(size_t count, size_t size) EXPORT_ALIAS(strata_calloc);
STRATA_ALLOC_SIZE(2)
void *__libc_realloc(void *ptr, size_t size) EXPORT_ALIAS(strata_realloc);
void __libc_free(void *ptr) EXPORT_ALIAS(strata_free);
void *__libc_memalign(size_t align, size_t size)
    EXPORT_ALIAS(strata_memalign);
void *__libc_valloc(size_t size) EXPORT_ALIAS(strata_valloc);
void *__libc_pvalloc(size_t size) EXPORT_ALIAS(strata_pvalloc);
int __posix_memalign(void **out, size_t align, size_t size)
    EXPORT_ALIAS(strata_posix_memalign);

/* ---- C++: operator new / delete (Itanium C++ ABI names, LP64). ----
 * new inlines malloc's hit path (malloc_hit, api.c), so a hit costs what
 * malloc's does; a miss takes malloc's slow path and leaves only the
 * failure to cxx_new.c (new-handler loop, std::bad_alloc); delete is
 * an alias of strata_free, sized delete of strata_free_sized (a size that
 * does not match the block's class is reported, as free_sized does).  The
 * nothrow and aligned forms follow the same pattern. */
_Static_assert(sizeof(size_t) == sizeof(unsigned long),
               "the mangled names below spell size_t as unsigned long (m)");

/* Out of line, so that the hit path saves no register and tail-calls. */
static NOINLINE void *cxx_new_miss(size_t size, bool is_nothrow) {
	void *p = malloc_miss(size);
	return p != NULL ? p : cxx_new_slow(size, 0, is_nothrow);
}
#define CXX_NEW(mangled, is_nothrow) \
	__attribute__((visibility("default"), used)) \
	void *cxx_##mangled(size_t size) __asm__(#mangled); \
	void *cxx_##mangled(size_t size) { \
		void *p; \
		if (likely(malloc_hit(size, &p))) \
			return p; \
		return cxx_new_miss(size, is_nothrow); \
	}
#define CXX_NEW_ALIGNED(mangled, is_nothrow) \
	__attribute__((visibility("default"), used)) \
	void *cxx_##mangled(size_t size, size_t align) __asm__(#mangled); \
	void *cxx_##mangled(size_t size, size_t align) { \
		void *p = strata_aligned_alloc(align, size); \
		if (likely(p != NULL)) \
			return p; \
		return cxx_new_slow(size, align, is_nothrow); \
	}
#define CXX_ALIAS(mangled, proto, target) \
	void mangled##_alias proto __asm__(#mangled) EXPORT_ALIAS(target);

CXX_NEW(_Znwm, false)
CXX_NEW(_Znam, false)
CXX_NEW(_ZnwmRKSt9nothrow_t, true)
CXX_NEW(_ZnamRKSt9nothrow_t, true)
CXX_NEW_ALIGNED(_ZnwmSt11align_val_t, false)
CXX_NEW_ALIGNED(_ZnamSt11align_val_t, false)
CXX_NEW_ALIGNED(_ZnwmSt11align_val_tRKSt9nothrow_t, true)
CXX_NEW_ALIGNED(_ZnamSt11align_val_tRKSt9nothrow_t, true)

/* delete(p), delete(p, nothrow), delete(p, align), delete(p, align,
 * nothrow): the extra arguments need no reading, so plain free. */
CXX_ALIAS(_ZdlPv, (void *p), strata_free)
CXX_ALIAS(_ZdaPv, (void *p), strata_free)
CXX_ALIAS(_ZdlPvRKSt9nothrow_t, (void *p), strata_free)
CXX_ALIAS(_ZdaPvRKSt9nothrow_t, (void *p), strata_free)
CXX_ALIAS(_ZdlPvSt11align_val_t, (void *p), strata_free)
CXX_ALIAS(_ZdaPvSt11align_val_t, (void *p), strata_free)
CXX_ALIAS(_ZdlPvSt11align_val_tRKSt9nothrow_t, (void *p), strata_free)
CXX_ALIAS(_ZdaPvSt11align_val_tRKSt9nothrow_t, (void *p), strata_free)
/* delete(p, size), which C++14 compilers call for every delete of a
 * complete type: the size check is a subtract and a compare on the hit
 * path (against the range of sizes of the block's class, in the slab
 * descriptor free reads anyway); a miss, NULL or a mismatch goes to
 * strata_free_sized, which reports the mismatch. */
static ALWAYS_INLINE void cxx_delete_sized(void *p, size_t size) {
	uintptr_t addr = tag_strip(p);
	pm_entry_t e = pagemap_lookup(addr);
	if (likely((e & PM_FAST) &&
	           slab_size_matches(pm_fast_desc(e), size))) {
		free_impl((void *)addr, e);
		return;
	}
	strata_free_sized(p, size);
}
#define CXX_DELETE_SIZED(mangled) \
	__attribute__((visibility("default"), used)) \
	void cxx_##mangled(void *p, size_t size) __asm__(#mangled); \
	void cxx_##mangled(void *p, size_t size) { cxx_delete_sized(p, size); }
CXX_DELETE_SIZED(_ZdlPvm)
CXX_DELETE_SIZED(_ZdaPvm)

/* delete(p, size, align): free_aligned_sized takes (p, align, size). */
#define CXX_DELETE_SIZED_ALIGNED(mangled) \
	__attribute__((visibility("default"), used)) \
	void cxx_##mangled(void *p, size_t size, size_t align) __asm__(#mangled); \
	void cxx_##mangled(void *p, size_t size, size_t align) { \
		strata_free_aligned_sized(p, align, size); \
	}
CXX_DELETE_SIZED_ALIGNED(_ZdlPvmSt11align_val_t)
CXX_DELETE_SIZED_ALIGNED(_ZdaPvmSt11align_val_t)

#endif
