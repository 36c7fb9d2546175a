/*
 * strata.h — the one public header of the strata memory allocator.
 *
 * Every function here is thread-safe and may be called before main(), from
 * constructors, inside signal-free thread-exit paths and across fork().
 * Functions returning int return 0 on success or an errno value; they never
 * set errno.  The malloc-family functions set errno as the C standard and
 * POSIX name it (ENOMEM on exhaustion, EINVAL for an impossible alignment).
 */
#ifndef STRATA_H
#define STRATA_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define STRATA_VERSION_MAJOR 0
#define STRATA_VERSION_MINOR 1
#define STRATA_VERSION_PATCH 0
#define STRATA_VERSION "0.1.0"

#if defined(__GNUC__)
#define STRATA_EXPORT __attribute__((visibility("default")))
#define STRATA_MALLOC_ATTR __attribute__((malloc, warn_unused_result))
#define STRATA_ALLOC_SIZE(...) __attribute__((alloc_size(__VA_ARGS__)))
#else
#define STRATA_EXPORT
#define STRATA_MALLOC_ATTR
#define STRATA_ALLOC_SIZE(...)
#endif

/* ---- Standard functions, prefixed. ---- */

STRATA_EXPORT STRATA_MALLOC_ATTR STRATA_ALLOC_SIZE(1)
void *strata_malloc(size_t size);
STRATA_EXPORT STRATA_MALLOC_ATTR STRATA_ALLOC_SIZE(1, 2)
void *strata_calloc(size_t count, size_t size);
STRATA_EXPORT STRATA_ALLOC_SIZE(2)
void *strata_realloc(void *ptr, size_t size);
STRATA_EXPORT STRATA_ALLOC_SIZE(2, 3)
void *strata_reallocarray(void *ptr, size_t count, size_t size);
STRATA_EXPORT void strata_free(void *ptr);
STRATA_EXPORT int strata_posix_memalign(void **out, size_t alignment,
                                        size_t size);
STRATA_EXPORT STRATA_MALLOC_ATTR STRATA_ALLOC_SIZE(2)
void *strata_aligned_alloc(size_t alignment, size_t size);
STRATA_EXPORT size_t strata_malloc_usable_size(const void *ptr);
/* C23 sized deallocation: size (and alignment) must be what was asked. */
STRATA_EXPORT void strata_free_sized(void *ptr, size_t size);
STRATA_EXPORT void strata_free_aligned_sized(void *ptr, size_t alignment,
                                             size_t size);

/* ---- Extended functions (jemalloc's *allocx family). ---- */

/* flags: OR of the macros below; 0 means "as malloc". */
#define STRATA_MALLOCX_LG_ALIGN(la) ((int)(la))
#define STRATA_MALLOCX_ALIGN(a) ((int)__builtin_ctzl((unsigned long)(a)))
#define STRATA_MALLOCX_ZERO ((int)0x40)
/* Bypass the calling thread's cache for this call.  These values are
 * jemalloc's MALLOCX_* (LG_ALIGN, ALIGN, ZERO, TCACHE_NONE, ARENA), so a
 * program built against jemalloc's header passes strata the same flags;
 * jemalloc's MALLOCX_TCACHE(tc) names an explicit cache from tcache.create,
 * which strata does not have. */
#define STRATA_MALLOCX_TCACHE_NONE ((int)0x100)
/* Serve from arena a (an index from strata_arena_create or 0..narenas-1). */
#define STRATA_MALLOCX_ARENA(a) ((int)(((unsigned)(a) + 1) << 20))

STRATA_EXPORT STRATA_MALLOC_ATTR STRATA_ALLOC_SIZE(1)
void *strata_mallocx(size_t size, int flags);
STRATA_EXPORT STRATA_ALLOC_SIZE(2)
void *strata_rallocx(void *ptr, size_t size, int flags);
/* Usable size mallocx(size, flags) would give; 0 when it would fail. */
STRATA_EXPORT size_t strata_nallocx(size_t size, int flags);
STRATA_EXPORT size_t strata_sallocx(const void *ptr, int flags);
STRATA_EXPORT void strata_dallocx(void *ptr, int flags);
STRATA_EXPORT void strata_sdallocx(void *ptr, size_t size, int flags);
/* Resize in place to at least size, up to size + extra when possible;
 * never moves.  Returns the usable size afterwards: the old one when the
 * block could not be resized (compare it against size). */
STRATA_EXPORT size_t strata_xallocx(void *ptr, size_t size, size_t extra,
                                    int flags);

/* ---- Arenas. ---- */

/* Memory tier an arena draws from.  DEFAULT is whatever the backend maps
 * without asking; the others need a backend that reports them available. */
typedef enum strata_tier {
	STRATA_TIER_DEFAULT = 0,
	STRATA_TIER_DRAM = 1,
	STRATA_TIER_HBM = 2,
	STRATA_TIER_PMEM = 3,
} strata_tier;

/* How strictly the node (or tier) is honoured. */
typedef enum strata_policy {
	STRATA_POLICY_PREFERRED = 0, /* fall back to any node when short */
	STRATA_POLICY_STRICT = 1,    /* fail with ENOMEM rather than move */
	STRATA_POLICY_INTERLEAVE = 2 /* spread pages over the allowed nodes */
} strata_policy;

#define STRATA_NODE_ANY (-1)
/* Decay value meaning "the process-wide option". */
#define STRATA_DECAY_DEFAULT (-2L)

/* Append-only: struct_bytes tells which fields the caller knows.  A
 * smaller struct from an older header is accepted, the fields it lacks
 * taking their defaults; a larger one from a newer header is accepted when
 * the fields this library does not know are zero. */
typedef struct strata_arena_opts {
	size_t struct_bytes; /* sizeof(strata_arena_opts) */
	strata_tier tier;
	int node;            /* STRATA_NODE_ANY or a node number */
	strata_policy policy;
	long dirty_decay_ms; /* -1 never purge, 0 at once, DEFAULT */
	long muzzy_decay_ms;
	/* Since 0.2.  File-backed PMEM: a directory (tier must be PMEM), NULL
	 * for none; copied at creation.  ENOTSUP unless the backend offers
	 * file-backed PMEM (memkind). */
	const char *pmem_dir;
	size_t pmem_max_bytes; /* with pmem_dir: size bound, 0 for none */
} strata_arena_opts;

/* Fill the first struct_bytes bytes of opts with the defaults (default
 * tier, any node, preferred; fields this library does not know zero) and
 * set opts->struct_bytes to struct_bytes: nothing past the caller's struct
 * is written, whatever this library's own size.  EINVAL when struct_bytes
 * is smaller than the first release's struct.  Since 0.2. */
STRATA_EXPORT int strata_arena_opts_init_sized(strata_arena_opts *opts,
                                               size_t struct_bytes);
/* Fill opts with the defaults, sized as the calling program sees the
 * struct.  Inline, so the size is fixed when the program is compiled; the
 * library keeps an exported strata_arena_opts_init for programs built
 * before it was inline, which fills the first release's fields only. */
static inline void strata_arena_opts_init(strata_arena_opts *opts) {
	strata_arena_opts_init_sized(opts, sizeof(*opts));
}
/* Create a manual arena; ENOTSUP when the backend cannot serve the tier or
 * node, EINVAL for a malformed opts, EAGAIN when the arena table is full. */
STRATA_EXPORT int strata_arena_create(const strata_arena_opts *opts,
                                      unsigned *arena_index);
/* Free every allocation of a manual arena and return its memory.  Pointers
 * into it become invalid.  EINVAL for an automatic or unknown arena. */
STRATA_EXPORT int strata_arena_destroy(unsigned arena_index);
/* The arena the calling thread allocates from by default. */
STRATA_EXPORT int strata_thread_arena_set(unsigned arena_index);
STRATA_EXPORT int strata_thread_arena_get(unsigned *arena_index);

/* ---- Introspection. ---- */

/* mallctl-compatible: read into oldp (when non-NULL, *oldlenp bytes), then
 * write newp (when non-NULL).  ENOENT unknown name, EINVAL wrong length or
 * value, EPERM read-only, EFAULT internal failure. */
STRATA_EXPORT int strata_ctl(const char *name, void *oldp, size_t *oldlenp,
                             void *newp, size_t newlen);
/* Translate a name once into a MIB (*miblenp: capacity in, length out);
 * index components (arena.<i>, arenas.bin.<j>, stats.arenas.<i> ...)
 * appear as the index itself, so a caller may patch them and call
 * strata_ctl_bymib, which skips the string work.  Same errors as
 * strata_ctl (ENOENT also when *miblenp is too small). */
STRATA_EXPORT int strata_ctl_nametomib(const char *name, size_t *mibp,
                                       size_t *miblenp);
STRATA_EXPORT int strata_ctl_bymib(const size_t *mib, size_t miblen,
                                   void *oldp, size_t *oldlenp, void *newp,
                                   size_t newlen);
/* The arena index meaning "every arena" in arena.<i>.purge / .decay. */
#define STRATA_ARENAS_ALL 4096u

typedef void strata_write_cb(void *opaque, const char *text);
/* opts: NULL or "" for text, "J" for JSON, "P" for Prometheus; any of
 * "g" (options and geometry), "a" (per-arena detail), "x" (mutexes) and
 * "t" (the thread list) leave that section out. */
STRATA_EXPORT void strata_stats_print(strata_write_cb *write_cb, void *opaque,
                                      const char *opts);

#ifdef __cplusplus
}
#endif
#endif /* STRATA_H */
