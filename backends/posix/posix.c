/*
 * posix.c — the portable backend: anonymous private mmap, munmap, madvise.
 *
 * Aligned reservations first try a plain mapping of the exact size (usually
 * aligned already when the kernel places mappings next to each other) and
 * otherwise over-map by the alignment and trim both ends.
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
