/*
 * mte.c — AArch64 Memory Tagging Extension: every reservation is mapped
 * with PROT_MTE, so each 16-byte granule carries a 4-bit allocation tag,
 * and init switches tag checking on for the process in the mode the core
 * asks for (info->tag_check, opt.mte): a load or store through a pointer
 * whose top-byte tag differs from the granule's faults with SIGSEGV,
 * SEGV_MTESERR at the access (sync) or SEGV_MTEAERR at the next kernel
 * entry (async).
 *
 * The include mask leaves tag 0 out of what IRG may pick: tag 0 is the
 * tag of metadata and of free memory (what mmap and a purge give back),
 * so the core, which works on untagged addresses, never faults on them,
 * and no block handed out matches an untagged pointer.
 *
 * On a CPU or kernel without MTE (HWCAP2_MTE clear), or with mte:off,
 * BACKEND_CAP_TAGGING stays clear and the backend is the posix one: the
 * core then never executes a tag instruction and says so once.
 *
 * The prctl is per thread and inherited by threads created afterwards:
 * init runs at the first allocation, normally before the program starts
 * threads; a thread created before it runs with checks off.
 */
#define _GNU_SOURCE
#include "mte.h"

#include <errno.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/prctl.h>

#include "posix.h"

#ifndef HWCAP2_MTE
#define HWCAP2_MTE (1ul << 18)
#endif
#ifndef PROT_MTE
#define PROT_MTE 0x20
#endif
#ifndef PR_SET_TAGGED_ADDR_CTRL
#define PR_SET_TAGGED_ADDR_CTRL 55
#define PR_TAGGED_ADDR_ENABLE (1ul << 0)
#endif
#ifndef PR_MTE_TCF_SYNC
#define PR_MTE_TCF_SYNC (1ul << 1)
#define PR_MTE_TCF_ASYNC (1ul << 2)
#define PR_MTE_TAG_SHIFT 3
#endif

/* Tags IRG may pick: 1 .. 15. */
#define MTE_INCLUDE_MASK 0xfffeul

/* PROT_MTE on every mapping once tag checking is on. */
static int mte_prot;

int mte_init(backend_info_t *info) {
	int saved_errno = errno;
	int err = posix_init(info);
	if (err != 0)
		return err;
	/* posix's, but not offered here: mte leaves remap out. */
	info->caps &= ~(unsigned)BACKEND_CAP_REMAP;
	mte_prot = 0;
	if (info->tag_check == BACKEND_TAG_OFF ||
	    (getauxval(AT_HWCAP2) & HWCAP2_MTE) == 0)
		goto out;
	unsigned long ctrl = PR_TAGGED_ADDR_ENABLE |
	                     (info->tag_check == BACKEND_TAG_ASYNC
	                          ? PR_MTE_TCF_ASYNC
	                          : PR_MTE_TCF_SYNC) |
	                     (MTE_INCLUDE_MASK << PR_MTE_TAG_SHIFT);
	if (prctl(PR_SET_TAGGED_ADDR_CTRL, ctrl, 0, 0, 0) != 0)
		goto out;
	mte_prot = PROT_MTE;
	info->caps |= BACKEND_CAP_TAGGING;
out:
	errno = saved_errno;
	return 0;
}

/* One provider, the default tier, no files; a tagged placement needs
 * tagging on. */
int mte_reserve(size_t size, size_t align,
                const backend_placement_t *placement, void **addr,
                backend_region_t *region) {
	if (placement->tier != STRATA_TIER_DEFAULT ||
	    (placement->is_tagged && mte_prot == 0) ||
	    placement->pmem_dir != NULL)
		return ENOTSUP;
	*region = 0;
	return posix_reserve_prot(size, align, mte_prot, addr);
}
