/*
 * posix.c — the portable backend: anonymous private mmap, munmap, madvise.
 *
 * Aligned reservations first try a plain mapping of the exact size (usually
 * aligned already when the kernel places mappings next to each other) and
 * otherwise over-map by the alignment and trim both ends.
 *
 * On Linux, remap resizes a reservation with mremap: in place when the
 * address space after it is free (or it shrinks), else into a fresh
 * aligned reservation that MREMAP_FIXED replaces — a plain
 * MREMAP_MAYMOVE would put it wherever the kernel likes, losing the
 * alignment.
 */
#define _GNU_SOURCE
#include "posix.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* Run an operation without disturbing the caller's errno. */
#define KEEP_ERRNO(expr)                 \
	({                               \
		int saved_errno_ = errno; \
		int rc_ = (expr);         \
		errno = saved_errno_;     \
		rc_;                      \
	})

/* The bracketed word of the kernel's THP setting ("always [madvise]
 * never"), into mode; "" when it cannot be read.  No malloc. */
static void read_thp_mode(char *mode, size_t cap) {
	char buf[128];
	mode[0] = '\0';
	int fd = open("/sys/kernel/mm/transparent_hugepage/enabled",
	              O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = '\0';
	char *open_br = strchr(buf, '['), *close_br;
	if (open_br == NULL || (close_br = strchr(open_br, ']')) == NULL)
		return;
	size_t len = (size_t)(close_br - open_br - 1);
	if (len >= cap)
		return;
	memcpy(mode, open_br + 1, len);
	mode[len] = '\0';
}

int posix_init(backend_info_t *info) {
	int saved_errno = errno;
	read_thp_mode(info->thp_mode, sizeof(info->thp_mode));
	errno = saved_errno;
	info->memory_node_mask = 1;
	info->tier_node_mask[STRATA_TIER_DEFAULT] = 1;
	long page = sysconf(_SC_PAGESIZE);
	info->page_bytes = page > 0 ? (size_t)page : 4096;
	info->hugepage_bytes = 0;
	info->node_count = 1;
	info->tier_mask = 1u << STRATA_TIER_DEFAULT;
	info->caps = 0;
#ifdef MADV_FREE
	info->caps |= BACKEND_CAP_PURGE_LAZY;
#endif
#ifdef POSIX_HAS_REMAP
	info->caps |= BACKEND_CAP_REMAP;
#endif
	return 0;
}

static int map_anon(size_t size, int prot, void **addr) {
	void *p = mmap(NULL, size, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return errno == 0 ? ENOMEM : errno;
	*addr = p;
	return 0;
}

static int reserve_prot(size_t size, size_t align, int prot, void **addr) {
	void *p;
	int err = map_anon(size, prot, &p);
	if (err != 0)
		return err;
	if (((uintptr_t)p & (align - 1)) == 0) {
		*addr = p;
		return 0;
	}
	munmap(p, size);
	size_t over = size + align;
	if (over < size)
		return ENOMEM;
	err = map_anon(over, prot, &p);
	if (err != 0)
		return err;
	uintptr_t base = (uintptr_t)p;
	uintptr_t aligned = (base + align - 1) & ~(uintptr_t)(align - 1);
	size_t lead = aligned - base, trail = over - lead - size;
	if (lead != 0)
		munmap(p, lead);
	if (trail != 0)
		munmap((void *)(aligned + size), trail);
	*addr = (void *)aligned;
	return 0;
}

int posix_reserve_prot(size_t size, size_t align, int extra_prot,
                       void **addr) {
	return KEEP_ERRNO(
	    reserve_prot(size, align, PROT_READ | PROT_WRITE | extra_prot, addr));
}

/* One provider (anonymous memory), the default tier, no tags, no files;
 * nodes and policies are not honoured, as BACKEND_CAP_NUMA is clear. */
int posix_reserve(size_t size, size_t align,
                  const backend_placement_t *placement, void **addr,
                  backend_region_t *region) {
	if (placement->tier != STRATA_TIER_DEFAULT || placement->is_tagged ||
	    placement->pmem_dir != NULL)
		return ENOTSUP;
	*region = 0;
	return posix_reserve_prot(size, align, 0, addr);
}

static int purge(void *addr, size_t size, backend_purge_t how,
                 bool *is_zeroed) {
	*is_zeroed = false;
#ifdef MADV_FREE
	if (how == BACKEND_PURGE_LAZY)
		return madvise(addr, size, MADV_FREE) == 0 ? 0 : errno;
#endif
	if (madvise(addr, size, MADV_DONTNEED) != 0)
		return errno;
	/* Private anonymous memory reads as zero after MADV_DONTNEED. */
	*is_zeroed = true;
	return 0;
}

int posix_purge(void *addr, size_t size, backend_region_t region,
                backend_purge_t how, bool *is_zeroed) {
	(void)region;
	return KEEP_ERRNO(purge(addr, size, how, is_zeroed));
}

int posix_unmap(void *addr, size_t size, backend_region_t region) {
	(void)region;
	return KEEP_ERRNO(munmap(addr, size) == 0 ? 0 : errno);
}

#ifdef POSIX_HAS_REMAP
#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000 /* Linux 4.17; a mere hint before */
#endif

/* A failed MREMAP_FIXED may have unmapped the destination already (the
 * kernel does that first), and another thread may have mapped something
 * into the hole since: the range is given back only when it is ours
 * whole, an empty hole taken back with MAP_FIXED_NOREPLACE.  Otherwise
 * (the kernel failed before unmapping it, or the hole is partly someone
 * else's) it is left mapped: address space without RSS, on a path only
 * an exhausted map count or address-space limit reaches. */
static void release_destination(void *dest, size_t size) {
	void *p = mmap(dest, size, PROT_NONE,
	               MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (p == MAP_FAILED)
		return;
	munmap(p, size); /* ours: the hole, or elsewhere on an old kernel */
}

/* Moves into a fresh reservation aligned to align, which the old pages
 * replace; the part of it past old_size stays as reserved: zeroed. */
static int remap_moving(void *old_addr, size_t old_size, size_t new_size,
                        size_t align, void **new_addr) {
	void *dest;
	int err = reserve_prot(new_size, align, PROT_READ | PROT_WRITE, &dest);
	if (err != 0)
		return err;
	void *p = mremap(old_addr, old_size, new_size,
	                 MREMAP_MAYMOVE | MREMAP_FIXED, dest);
	if (p == MAP_FAILED) {
		err = errno == 0 ? ENOMEM : errno;
		release_destination(dest, new_size);
		return err;
	}
	*new_addr = p;
	return 0;
}

static int remap(void *old_addr, size_t old_size, size_t new_size,
                 size_t align, void **new_addr) {
	bool is_aligned = ((uintptr_t)old_addr & (align - 1)) == 0;
	if (is_aligned) {
		/* Without MREMAP_MAYMOVE the mapping grows or shrinks where
		 * it is, or the call fails changing nothing. */
		void *p = mremap(old_addr, old_size, new_size, 0);
		if (p != MAP_FAILED) {
			*new_addr = p;
			return 0;
		}
	}
	/* A moving shrink would unmap the old tail before it can fail
	 * (Linux's mremap_to), breaking "untouched on failure". */
	if (new_size <= old_size)
		return is_aligned ? (errno == 0 ? ENOMEM : errno) : EINVAL;
	return remap_moving(old_addr, old_size, new_size, align, new_addr);
}

int posix_remap(void *old_addr, size_t old_size, size_t new_size,
                size_t align, const backend_placement_t *placement,
                backend_region_t region, void **new_addr) {
	(void)placement;
	(void)region;
	return KEEP_ERRNO(remap(old_addr, old_size, new_size, align, new_addr));
}
#endif
