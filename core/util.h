/*
 * util.h — small inline helpers shared by every core module: branch hints,
 * visibility, power-of-two arithmetic.  No state, no OS calls.
 */
#ifndef STRATA_UTIL_H
#define STRATA_UTIL_H

#include <stddef.h>
#include <stdint.h>

#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#define HIDDEN __attribute__((visibility("hidden")))
#define ALWAYS_INLINE inline __attribute__((always_inline))
#define NOINLINE __attribute__((noinline))
/* The padding unit for data two threads write: the destructive-interference
 * size.  64 bytes on x86-64; meson sets 128 for AArch64 (Neoverse and
 * Apple parts fetch 128-byte pairs or have 128-byte lines), from the host
 * CPU family, for every file of a build alike.  A compile-time constant: it
 * fixes struct layouts (bin_t) and base_alloc alignments. */
#ifndef STRATA_CACHELINE_BYTES
#define STRATA_CACHELINE_BYTES 64
#endif
#define CACHELINE_BYTES STRATA_CACHELINE_BYTES
#define CACHE_ALIGNED __attribute__((aligned(CACHELINE_BYTES)))

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Statistics that cost on the fast paths (the per-thread deallocated
 * counter, mutex wait timing): meson -Dstats=false compiles them out.
 * The allocated counter stays: it is also the periodic-event clock. */
#ifndef STRATA_STATS
#define STRATA_STATS 1
#endif

/* Invalid and double free detection at the call (the live byte's set, test
 * and clear on the fast paths, and its test on the slow ones).  meson
 * -Ddetect=false compiles it out to measure what it costs: benchmarking
 * only, never shipped. */
#ifndef STRATA_DETECT
#define STRATA_DETECT 1
#endif

/* Memory tagging (core/tag.h): 1 in the mte build only. */
#ifndef STRATA_MTE
#define STRATA_MTE 0
#endif

/* Round x up / down to a multiple of align (a power of two). */
static inline size_t align_up(size_t x, size_t align) {
	return (x + align - 1) & ~(align - 1);
}
static inline size_t align_down(size_t x, size_t align) {
	return x & ~(align - 1);
}
static inline uintptr_t addr_of(const void *p) { return (uintptr_t)p; }
static inline void *ptr_add(void *p, size_t bytes) {
	return (char *)p + bytes;
}
static inline int is_pow2(size_t x) { return x != 0 && (x & (x - 1)) == 0; }

/* floor(log2(x)) for x > 0. */
static inline unsigned lg_floor(size_t x) {
	return (unsigned)(63 - __builtin_clzll((unsigned long long)x));
}
/* ceil(log2(x)) for x > 0. */
static inline unsigned lg_ceil(size_t x) {
	return x <= 1 ? 0 : lg_floor(x - 1) + 1;
}

#endif /* STRATA_UTIL_H */
