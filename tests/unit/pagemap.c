/*
 * pagemap.c — address -> entry: packing of entries, the class read from
 * the descriptor, the fast entry's fixed flags, lookups of registered
 * and never-registered pages, ranges across a leaf boundary, clearing,
 * addresses beyond the 48-bit space, and a failed leaf changing nothing.
 *
 * Entries are written for address ranges far from any real mapping of
 * the test (each test runs in a process of its own, so they do not leak).
 */
#include <criterion/criterion.h>
#include <errno.h>

#include "extent.h"
#include "fake_backend.h"
#include "pagemap.h"
#include "sizeclass.h"
#include "strata.h"

/* Boot the allocator so that lg_page is set. */
static void boot(void) { strata_free(strata_malloc(1)); }

TestSuite(pagemap, .init = boot, .timeout = 60);

/* Bytes one leaf covers (4 KiB units, whatever the page size). */
static uintptr_t leaf_bytes(void) {
	return (uintptr_t)1 << (PAGEMAP_LEAF_BITS + PAGEMAP_LG_UNIT);
}

/* A leaf-aligned address in the 2^44 .. 2^45 range, well away from the
 * kernel's usual mmap area; i picks one of several such leaves. */
static uintptr_t far_leaf(unsigned i) {
	return ((uintptr_t)1 << 44) + (uintptr_t)(i + 1) * leaf_bytes();
}

static pm_entry_t entry_for(unsigned i) {
	static _Alignas(PM_DESC_ALIGN) char descs[8][PM_DESC_ALIGN];
	return pm_make(descs[i % 8], PM_SLAB);
}

Test(pagemap, entries_pack_and_unpack_every_field) {
	/* Descriptor addresses (64-byte aligned, as base_alloc hands them
	 * out) from low to the top of the 48-bit space. */
	static const uintptr_t descs[] = { 0x40, 0x1000, 0x7fffdeadbec0,
		                           0xffffffffffc0, 0x123456789ac0 };
	for (size_t d = 0; d < ARRAY_LEN(descs); d++)
		/* Every combination of the flag bits, and of the free bits a
		 * new flag may take. */
		for (uint64_t f = 0; f <= (PM_FLAG_MASK | PM_FREE_MASK); f++) {
			pm_entry_t e = pm_make((void *)descs[d], f);
			cr_assert_neq(e, 0);
			cr_assert_eq(pm_desc(e), (void *)descs[d],
			             "desc %#lx flags %lu",
			             (unsigned long)descs[d], (unsigned long)f);
			cr_assert_eq(e & (PM_FLAG_MASK | PM_FREE_MASK), f);
		}
}

/* A fast entry's descriptor is reached without masking: the entry is the
 * descriptor plus PM_FAST_FLAGS, which is what slabs of automatic arenas
 * are registered with. */
Test(pagemap, fast_entries_are_the_descriptor_plus_fixed_flags) {
	static _Alignas(PM_DESC_ALIGN) char desc[PM_DESC_ALIGN];
	pm_entry_t e = pm_make(desc, PM_FAST_FLAGS);
	cr_assert_eq(pm_fast_desc(e), (void *)desc);
	cr_assert_eq(pm_desc(e), (void *)desc);
	void *p = strata_malloc(16);
	cr_assert_not_null(p);
	pm_entry_t live = pagemap_lookup(addr_of(p));
	cr_assert_eq(live & (PM_FLAG_MASK | PM_FREE_MASK), PM_FAST_FLAGS);
	cr_assert_eq(pm_fast_desc(live), pm_desc(live));
	strata_free(p);
}

/* The class an entry names is its descriptor's: a run that changes class
 * (a large run resized in place) needs no pagemap write. */
Test(pagemap, the_class_is_read_from_the_descriptor) {
	static _Alignas(PM_DESC_ALIGN) run_t run;
	for (unsigned ind = 0; sc_class_size(ind) <= ((size_t)1 << 40); ind++) {
		run.ind = ind;
		pm_entry_t e = pm_make(&run, PM_NO_TCACHE);
		cr_assert_eq(pm_ind(e), ind);
		cr_assert_eq(pm_desc(e), (void *)&run);
	}
}

Test(pagemap, addresses_never_registered_miss) {
	int on_stack;
	static int in_data;
	uintptr_t probes[] = { 0, 1, page_bytes, addr_of(&on_stack),
		               addr_of(&in_data), addr_of(boot), far_leaf(20),
		               far_leaf(20) + leaf_bytes() / 2,
		               ((uintptr_t)1 << 47) - 1 };
	for (size_t i = 0; i < ARRAY_LEN(probes); i++)
		cr_assert_eq(pagemap_lookup(probes[i]), 0, "address %#lx",
		             (unsigned long)probes[i]);
}

Test(pagemap, addresses_above_the_48_bit_space_miss) {
	uintptr_t probes[] = { (uintptr_t)1 << 48, ((uintptr_t)1 << 48) + 4096,
		               (uintptr_t)1 << 52, (uintptr_t)1 << 56,
		               (uintptr_t)1 << 63, UINTPTR_MAX,
		               UINTPTR_MAX - page_bytes };
	for (size_t i = 0; i < ARRAY_LEN(probes); i++)
		cr_assert_eq(pagemap_lookup(probes[i]), 0, "address %#lx",
		             (unsigned long)probes[i]);
}

/* Past the last root slot nothing can be registered. */
Test(pagemap, setting_past_the_root_is_refused) {
	uintptr_t reach = (uintptr_t)PAGEMAP_ROOT_LEN
	                  << (PAGEMAP_LEAF_BITS + PAGEMAP_LG_UNIT);
	cr_assert_eq(pagemap_set(reach, 1, entry_for(0)), ENOMEM);
	cr_assert_eq(pagemap_set(UINTPTR_MAX & ~(uintptr_t)(page_bytes - 1), 1,
	                         entry_for(0)),
	             ENOMEM);
	/* A range that starts inside and runs past the end. */
	cr_assert_eq(pagemap_set(reach - page_bytes, 2, entry_for(0)), ENOMEM);
	cr_assert_eq(pagemap_lookup(reach - page_bytes), 0);
	cr_assert_eq(pagemap_lookup(reach), 0);
}

/* The last page below 2^48 is registered like any other. */
Test(pagemap, last_page_of_the_48_bit_space_round_trips) {
	uintptr_t last = ((uintptr_t)1 << 48) - page_bytes;
	cr_assert_eq(pagemap_set(last, 1, entry_for(1)), 0);
	cr_assert_eq(pagemap_lookup(last), entry_for(1));
	cr_assert_eq(pagemap_lookup(last + page_bytes - 1), entry_for(1));
	cr_assert_eq(pagemap_lookup(last - 1), 0);
}

/* Any byte of a registered page finds the entry; its neighbours do not. */
Test(pagemap, every_byte_of_a_registered_page_finds_its_entry) {
	uintptr_t page = far_leaf(0) + 5 * page_bytes;
	cr_assert_eq(pagemap_set(page, 1, entry_for(2)), 0);
	for (uintptr_t off = 0; off < page_bytes; off += 8)
		cr_assert_eq(pagemap_lookup(page + off), entry_for(2), "offset %lu",
		             (unsigned long)off);
	cr_assert_eq(pagemap_lookup(page + page_bytes - 1), entry_for(2));
	cr_assert_eq(pagemap_lookup(page - 1), 0);
	cr_assert_eq(pagemap_lookup(page + page_bytes), 0);
}

Test(pagemap, range_across_a_leaf_boundary_is_set_in_both_leaves) {
	uintptr_t boundary = far_leaf(2);
	uintptr_t start = boundary - 3 * page_bytes;
	size_t npages = 7;
	cr_assert_eq(pagemap_set(start, npages, entry_for(3)), 0);
	for (size_t i = 0; i < npages; i++)
		cr_assert_eq(pagemap_lookup(start + i * page_bytes), entry_for(3),
		             "page %zu", i);
	cr_assert_eq(pagemap_lookup(start - page_bytes), 0);
	cr_assert_eq(pagemap_lookup(start + npages * page_bytes), 0);
	/* Clearing across the boundary clears both sides. */
	cr_assert_eq(pagemap_set(start, npages, 0), 0);
	for (size_t i = 0; i < npages; i++)
		cr_assert_eq(pagemap_lookup(start + i * page_bytes), 0, "page %zu",
		             i);
}

Test(pagemap, clearing_part_of_a_range_leaves_the_rest) {
	uintptr_t start = far_leaf(3) + 64 * page_bytes;
	cr_assert_eq(pagemap_set(start, 10, entry_for(4)), 0);
	cr_assert_eq(pagemap_set(start + 3 * page_bytes, 4, 0), 0);
	for (size_t i = 0; i < 10; i++) {
		pm_entry_t want = i >= 3 && i < 7 ? 0 : entry_for(4);
		cr_assert_eq(pagemap_lookup(start + i * page_bytes), want,
		             "page %zu", i);
	}
}

Test(pagemap, a_later_set_replaces_the_entry) {
	uintptr_t page = far_leaf(4);
	cr_assert_eq(pagemap_set(page, 1, entry_for(5)), 0);
	cr_assert_eq(pagemap_set(page, 1, entry_for(6)), 0);
	cr_assert_eq(pagemap_lookup(page), entry_for(6));
	cr_assert_neq(entry_for(5), entry_for(6));
}

/* A leaf that cannot be mapped: ENOMEM, and the part of the range in the
 * existing leaf keeps its old entries. */
Test(pagemap, failed_leaf_changes_nothing) {
	uintptr_t boundary = far_leaf(6);
	uintptr_t start = boundary - 2 * page_bytes;
	cr_assert_eq(pagemap_set(start, 2, entry_for(7)), 0);
	fake_fail_reserve(true);
	int err = pagemap_set(start, 4, entry_for(1));
	fake_fail_reserve(false);
	cr_assert_eq(err, ENOMEM);
	cr_assert_eq(pagemap_lookup(start), entry_for(7));
	cr_assert_eq(pagemap_lookup(start + page_bytes), entry_for(7));
	cr_assert_eq(pagemap_lookup(boundary), 0);
	/* The same call succeeds once memory is back. */
	cr_assert_eq(pagemap_set(start, 4, entry_for(1)), 0);
	cr_assert_eq(pagemap_lookup(boundary + page_bytes), entry_for(1));
}

/* A held leaf: with no memory left for leaves, pagemap_set fails but the
 * holder's one set into a new leaf succeeds, once; the next hold needs
 * memory again, and a hold given back unused leaves its spare for the
 * next holder. */
Test(pagemap, a_held_leaf_registers_a_new_address_without_memory) {
	uintptr_t page = far_leaf(8), other = far_leaf(9);
	cr_assert_eq(pagemap_hold_leaf(), 0);
	fake_fail_reserve(true);
	cr_assert_eq(pagemap_set(page, 1, entry_for(1)), ENOMEM);
	cr_assert_eq(pagemap_lookup(page), 0);
	cr_assert_eq(pagemap_set_held(page, entry_for(1)), 0);
	cr_assert_eq(pagemap_lookup(page), entry_for(1));
	/* The hold is spent: no spare is left for another. */
	cr_assert_eq(pagemap_hold_leaf(), ENOMEM);
	fake_fail_reserve(false);
	/* A hold given back unused keeps its spare for the next holder. */
	cr_assert_eq(pagemap_hold_leaf(), 0);
	pagemap_release_leaf();
	fake_fail_reserve(true);
	cr_assert_eq(pagemap_hold_leaf(), 0);
	cr_assert_eq(pagemap_set_held(other, entry_for(2)), 0);
	cr_assert_eq(pagemap_lookup(other), entry_for(2));
	fake_fail_reserve(false);
	/* A set into an existing leaf leaves the spare in place. */
	cr_assert_eq(pagemap_hold_leaf(), 0);
	cr_assert_eq(pagemap_set_held(page + page_bytes, entry_for(3)), 0);
	fake_fail_reserve(true);
	cr_assert_eq(pagemap_hold_leaf(), 0);
	pagemap_release_leaf();
	fake_fail_reserve(false);
}

/* Real allocations are registered: a small block finds a slab entry of
 * its class, a large one an entry without PM_SLAB. */
Test(pagemap, live_blocks_are_registered_with_their_class) {
	for (unsigned ind = 0; sc_class_size(ind) <= ((size_t)1 << 20); ind++) {
		void *p = strata_malloc(sc_class_size(ind));
		cr_assert_not_null(p);
		pm_entry_t e = pagemap_lookup(addr_of(p));
		cr_assert_neq(e, 0, "class %u", ind);
		cr_assert_eq(pm_ind(e), ind, "class %u", ind);
		cr_assert_eq((e & PM_SLAB) != 0, sc_is_small(ind) != 0,
		             "class %u", ind);
		strata_free(p);
	}
}
