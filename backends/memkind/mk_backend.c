/*
 * mk_backend.c — memory from libmemkind: one memkind kind per region id.
 *
 * Region ids 0 .. MK_STATIC_COUNT - 1 are memkind's static kinds, one per
 * tier and policy; the ids above are file-backed PMEM kinds, one per
 * directory string (the core copies the string per arena, so every PMEM
 * arena with a directory gets a file of its own).  A kind is created on
 * the first reservation that asks for it and lives as long as the process.
 *
 * Chunks come from memkind_posix_memalign at the asked size and alignment;
 * one that comes back misaligned is freed and the reservation fails with
 * ENOMEM.  memkind's jemalloc may hand back memory it had before, so a
 * fresh reservation is zeroed the way a purge would (it costs no RSS).
 * Purging: MADV_DONTNEED on the anonymous kinds, MADV_REMOVE (a punched
 * hole, which reads as zero and frees the file's blocks) on file kinds.
 *
 * memkind allocates through the process's malloc while it probes for HBW
 * and DAX_KMEM nodes (hwloc, libnuma, libdaxctl), but not while it serves
 * MEMKIND_DEFAULT or creates a PMEM kind: init therefore offers DEFAULT
 * and PMEM files only, and probe_late, called outside the allocator's
 * locks, asks for the rest and runs each kind's first allocation.
 */
#define _GNU_SOURCE
#include "mk_backend.h"

#include <errno.h>
#include <memkind.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

enum mk_static {
	MK_DEFAULT,
	MK_REGULAR,
	MK_HBW,
	MK_HBW_PREFERRED,
	MK_HBW_INTERLEAVE,
	MK_DAX,
	MK_DAX_PREFERRED,
	MK_DAX_INTERLEAVE,
	MK_STATIC_COUNT
};

static memkind_t *const static_kinds[MK_STATIC_COUNT] = {
	[MK_DEFAULT] = &MEMKIND_DEFAULT,
	[MK_REGULAR] = &MEMKIND_REGULAR,
	[MK_HBW] = &MEMKIND_HBW,
	[MK_HBW_PREFERRED] = &MEMKIND_HBW_PREFERRED,
	[MK_HBW_INTERLEAVE] = &MEMKIND_HBW_INTERLEAVE,
	[MK_DAX] = &MEMKIND_DAX_KMEM,
	[MK_DAX_PREFERRED] = &MEMKIND_DAX_KMEM_PREFERRED,
	[MK_DAX_INTERLEAVE] = &MEMKIND_DAX_KMEM_INTERLEAVE,
};

static const char *const static_names[MK_STATIC_COUNT] = {
	"MEMKIND_DEFAULT", "MEMKIND_REGULAR", "MEMKIND_HBW",
	"MEMKIND_HBW_PREFERRED", "MEMKIND_HBW_INTERLEAVE", "MEMKIND_DAX_KMEM",
	"MEMKIND_DAX_KMEM_PREFERRED", "MEMKIND_DAX_KMEM_INTERLEAVE",
};

/* Set by init (DEFAULT) and probe_late (the rest), read by reserve. */
static atomic_bool is_available[MK_STATIC_COUNT];

/* File-backed PMEM kinds; an entry is published by storing its kind last. */
#define MK_FILES_MAX 256u
typedef struct mk_file {
	const char *dir; /* the placement's string: identity, not contents */
	_Atomic(memkind_t) kind;
} mk_file_t;
static mk_file_t files[MK_FILES_MAX];
static atomic_uint nfiles;
static pthread_mutex_t files_lock = PTHREAD_MUTEX_INITIALIZER;

/* memkind refuses a bounded pool smaller than this. */
#define MK_PMEM_MIN_BYTES ((size_t)MEMKIND_PMEM_MIN_SIZE)

int mk_init(backend_info_t *info) {
	long page = sysconf(_SC_PAGESIZE);
	info->page_bytes = page > 0 ? (size_t)page : 4096;
	info->hugepage_bytes = 0;
	info->node_count = 1;
	info->tier_mask = 1u << STRATA_TIER_DEFAULT;
	info->caps = BACKEND_CAP_PMEM_DIR | BACKEND_CAP_PROBE_LATE |
	             BACKEND_CAP_PROVIDER_NAME;
	atomic_store(&is_available[MK_DEFAULT], true);
	return 0;
}

/* The kind's first allocation runs its one-time set-up (node masks, ...),
 * which may call malloc: here, not under a lock of the allocator. */
static bool kind_works(memkind_t kind) {
	if (memkind_check_available(kind) != 0)
		return false;
	volatile char *p = memkind_malloc(kind, 64);
	if (p == NULL)
		return false;
	p[0] = 1;
	memkind_free(kind, (void *)p);
	return true;
}

int mk_probe_late(backend_info_t *info) {
	int saved_errno = errno;
	static const unsigned tier_of[MK_STATIC_COUNT] = {
		[MK_DEFAULT] = STRATA_TIER_DEFAULT, [MK_REGULAR] = STRATA_TIER_DRAM,
		[MK_HBW] = STRATA_TIER_HBM, [MK_HBW_PREFERRED] = STRATA_TIER_HBM,
		[MK_HBW_INTERLEAVE] = STRATA_TIER_HBM, [MK_DAX] = STRATA_TIER_PMEM,
		[MK_DAX_PREFERRED] = STRATA_TIER_PMEM,
		[MK_DAX_INTERLEAVE] = STRATA_TIER_PMEM,
	};
	for (unsigned k = MK_REGULAR; k < MK_STATIC_COUNT; k++) {
		bool ok = kind_works(*static_kinds[k]);
		atomic_store(&is_available[k], ok);
		/* A tier is on hand when its strict kind is. */
		if (ok && (k == MK_REGULAR || k == MK_HBW || k == MK_DAX))
			info->tier_mask |= 1u << tier_of[k];
	}
	if (info->tier_mask & ~(1u << STRATA_TIER_DEFAULT))
		info->caps |= BACKEND_CAP_TIERS;
	errno = saved_errno;
	return 0;
}

static unsigned static_kind_of(const backend_placement_t *pl) {
	unsigned by_policy = pl->policy == STRATA_POLICY_STRICT ? 0
	                     : pl->policy == STRATA_POLICY_PREFERRED ? 1
	                                                             : 2;
	switch (pl->tier) {
	case STRATA_TIER_DRAM: return MK_REGULAR;
	case STRATA_TIER_HBM: return MK_HBW + by_policy;
	case STRATA_TIER_PMEM: return MK_DAX + by_policy;
	default: return MK_DEFAULT;
	}
}

/* memkind's error numbers are negative and not errno values. */
static int create_error(int rc) {
	if (rc == MEMKIND_ERROR_INVALID)
		return EINVAL;
	return errno != 0 ? errno : ENOMEM;
}

static int file_create(const backend_placement_t *pl, unsigned i) {
	size_t max = pl->pmem_max_bytes;
	if (max != 0 && max < MK_PMEM_MIN_BYTES)
		max = MK_PMEM_MIN_BYTES;
	memkind_t kind = NULL;
	errno = 0;
	int rc = memkind_create_pmem(pl->pmem_dir, max, &kind);
	if (rc != 0 || kind == NULL)
		return create_error(rc);
	files[i].dir = pl->pmem_dir;
	atomic_store_explicit(&files[i].kind, kind, memory_order_release);
	atomic_store_explicit(&nfiles, i + 1, memory_order_release);
	return 0;
}

/* The region of the placement's directory, its kind made on first use. */
static int file_region(const backend_placement_t *pl, backend_region_t *region) {
	int err = 0;
	pthread_mutex_lock(&files_lock);
	unsigned n = atomic_load_explicit(&nfiles, memory_order_relaxed), i = 0;
	while (i < n && files[i].dir != pl->pmem_dir)
		i++;
	if (i == n)
		err = n < MK_FILES_MAX ? file_create(pl, n) : ENOSPC;
	pthread_mutex_unlock(&files_lock);
	*region = MK_STATIC_COUNT + i;
	return err;
}

static memkind_t kind_of(backend_region_t region) {
	if (region < MK_STATIC_COUNT)
		return *static_kinds[region];
	unsigned i = region - MK_STATIC_COUNT;
	if (i >= atomic_load_explicit(&nfiles, memory_order_acquire))
		return NULL;
	return atomic_load_explicit(&files[i].kind, memory_order_acquire);
}

static bool is_file(backend_region_t region) {
	return region >= MK_STATIC_COUNT;
}

/* Zero and release a range: anonymous kinds drop their pages, file kinds
 * punch a hole in the file (a DONTNEED'd shared page would keep its data). */
static int release(void *addr, size_t size, backend_region_t region) {
	int advice = is_file(region) ? MADV_REMOVE : MADV_DONTNEED;
	return madvise(addr, size, advice) == 0 ? 0 : errno;
}

static int reserve(size_t size, size_t align, const backend_placement_t *pl,
                   void **addr, backend_region_t *region) {
	int err = 0;
	/* memkind places by kind: no node of one's own, no tags. */
	if (pl->is_tagged || pl->node != STRATA_NODE_ANY)
		return ENOTSUP;
	if (pl->pmem_dir != NULL) {
		if ((err = file_region(pl, region)) != 0)
			return err;
	} else {
		unsigned k = static_kind_of(pl);
		if (!atomic_load(&is_available[k]))
			return ENOTSUP;
		*region = k;
	}
	memkind_t kind = kind_of(*region);
	void *p = NULL;
	if (memkind_posix_memalign(kind, &p, align, size) != 0 || p == NULL)
		return ENOMEM;
	if (((uintptr_t)p & (align - 1)) != 0 ||
	    (err = release(p, size, *region)) != 0) {
		memkind_free(kind, p);
		return err != 0 ? err : ENOMEM;
	}
	*addr = p;
	return 0;
}

int mk_reserve(size_t size, size_t align, const backend_placement_t *pl,
               void **addr, backend_region_t *region) {
	int saved_errno = errno;
	*region = 0;
	int err = reserve(size, align, pl, addr, region);
	errno = saved_errno;
	return err;
}

int mk_purge(void *addr, size_t size, backend_region_t region,
             backend_purge_t how, bool *is_zeroed) {
	(void)how; /* no BACKEND_CAP_PURGE_LAZY: always eager */
	int saved_errno = errno;
	int err = release(addr, size, region);
	errno = saved_errno;
	*is_zeroed = err == 0;
	return err;
}

int mk_unmap(void *addr, size_t size, backend_region_t region) {
	memkind_t kind = kind_of(region);
	if (kind == NULL)
		return EINVAL;
	int saved_errno = errno;
	/* memkind keeps a freed file extent's blocks: give them back first. */
	if (is_file(region))
		release(addr, size, region);
	memkind_free(kind, addr);
	errno = saved_errno;
	return 0;
}

const char *mk_provider_name(const backend_placement_t *pl) {
	if (pl->pmem_dir != NULL)
		return "memkind_create_pmem";
	return static_names[static_kind_of(pl)];
}
