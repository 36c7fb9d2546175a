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

#endif
