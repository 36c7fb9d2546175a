/*
 * stats.c — aggregation of the arenas' figures, and readers of one piece
 * of an arena (a bin, a large class, a lock, its settings) for ctl and the
 * printer.
 */
#include "stats.h"

#include <string.h>

#include "background.h"
#include "base.h"
#include "init.h"
#include "memlimit.h"
#include "pages.h"

void stats_mutex_merge(mutex_stats_t *sum, const mutex_stats_t *in) {
	sum->ops += in->ops;
	sum->contended_ops += in->contended_ops;
	sum->wait_ns += in->wait_ns;
	if (in->max_wait_ns > sum->max_wait_ns)
		sum->max_wait_ns = in->max_wait_ns;
	sum->owner_switches += in->owner_switches;
}

static void purge_merge(purge_stats_t *sum, const purge_stats_t *in) {
	sum->lazy_calls += in->lazy_calls;
	sum->eager_calls += in->eager_calls;
	sum->lazy_pages += in->lazy_pages;
	sum->eager_pages += in->eager_pages;
	sum->chunks_unmapped += in->chunks_unmapped;
	sum->chunks_adopted += in->chunks_adopted;
	sum->hugepages_split += in->hugepages_split;
}

void stats_arena_read(arena_t *a, stats_arena_t *out) {
	for (unsigned i = 0; i < SC_NSMALL; i++) {
		bin_t *bin = &a->bins[i];
		mutex_lock(&bin->lock);
		bin_stats_t b = bin->stats;
		mutex_stats_t m = bin->lock.stats;
		mutex_unlock(&bin->lock);
		stats_mutex_merge(&out->bins_mutex[i], &m);
		out->bins[i].nmalloc += b.nmalloc;
		out->bins[i].ndalloc += b.ndalloc;
		out->bins[i].nfills += b.nfills;
		out->bins[i].nflushes += b.nflushes;
		out->bins[i].nslabs_created += b.nslabs_created;
		out->bins[i].curregs += b.curregs;
		out->bins[i].curslabs += b.curslabs;
		out->small_allocated_bytes += b.curregs * sc_small_size[i];
		out->small_nmalloc += b.nmalloc;
		out->small_ndalloc += b.ndalloc;
	}
	mutex_lock(&a->extents.lock);
	out->large_allocated_bytes += a->large.allocated_bytes +
	                              a->large.huge_allocated_bytes;
	for (unsigned j = 0; j < ARENA_NLEXTENTS; j++) {
		out->lextents[j].nmalloc += a->lextents[j].nmalloc;
		out->lextents[j].ndalloc += a->lextents[j].ndalloc;
		out->lextents[j].curlextents += a->lextents[j].curlextents;
	}
	out->large_nmalloc += a->large.nmalloc + a->large.huge_nmalloc;
	out->large_ndalloc += a->large.ndalloc + a->large.huge_ndalloc;
	out->large_nremap += a->large.huge_nremap;
	out->large_nrefit += a->large.huge_nrefit;
	const extents_t *ex = &a->extents;
	out->active_bytes += (ex->active_pages << lg_page) + ex->huge_live_bytes;
	out->dirty_bytes += extents_dirty_pages(ex) << lg_page;
	out->muzzy_bytes += ex->muzzy_pages << lg_page;
	out->mapped_bytes += ex->nchunks * CHUNK_BYTES + ex->huge_live_bytes +
	                     ex->huge_cached_bytes;
	out->retained_bytes += extents_retained_bytes(ex);
	purge_merge(&out->purge, &ex->purge_stats);
	mutex_stats_t m = a->extents.lock.stats;
	mutex_unlock(&a->extents.lock);
	stats_mutex_merge(&out->extents_mutex, &m);
	out->nthreads += atomic_load(&a->nthreads);
}

void stats_totals_read(stats_totals_t *out) {
	memset(out, 0, sizeof(*out));
	if (!atomic_load(&malloc_is_booted))
		return;
	stats_arena_t sum;
	memset(&sum, 0, sizeof(sum));
	arenas_for_each(a) {
		stats_arena_read(a, &sum);
		out->narenas++;
	}
	out->allocated_bytes = sum.small_allocated_bytes +
	                       sum.large_allocated_bytes;
	out->active_bytes = sum.active_bytes;
	out->dirty_bytes = sum.dirty_bytes;
	out->muzzy_bytes = sum.muzzy_bytes;
	out->retained_bytes = sum.retained_bytes;
	out->metadata_bytes = base_mapped_bytes();
	out->resident_bytes = sum.active_bytes + sum.dirty_bytes +
	                      out->metadata_bytes;
	out->mapped_bytes = atomic_load(&pages_mapped_bytes);
}

unsigned stats_nlextents(void) {
	unsigned n = 0;
	/* Classes above SC_SIZE_MAX cannot be asked for. */
	while (sc_class_size(SC_NSMALL + n) <= SC_SIZE_MAX &&
	       sc_class_size(SC_NSMALL + n) > sc_class_size(SC_NSMALL + n - 1))
		n++;
	return n;
}

/* ---- readers of one piece of an arena ---- */

void stats_process_read(stats_process_t *out) {
	out->is_background_running = background_is_running();
	out->mem_limit_soft_hits = atomic_load(&memlimit_soft_hits);
	out->mem_limit_cgroup_bytes = memlimit_cgroup_bytes();
	out->mem_limit_soft_bytes = memlimit_soft_bytes();
	out->mem_limit_hard_hits = atomic_load(&memlimit_hard_hits);
}

void stats_system_read(stats_system_t *out) {
	out->backend = pages_backend_name();
	out->page_bytes = pages_info.page_bytes;
	out->hugepage_bytes = pages_info.hugepage_bytes;
	out->cacheline_bytes = CACHELINE_BYTES;
	out->node_count = pages_info.node_count;
	out->tier_mask = pages_info.tier_mask;
	out->caps = pages_info.caps;
	out->has_hugepage = pages_has_cap(BACKEND_CAP_HUGEPAGE);
	out->has_numa = pages_has_cap(BACKEND_CAP_NUMA);
	out->memory_node_mask = pages_info.memory_node_mask;
	memcpy(out->tier_node_mask, pages_info.tier_node_mask,
	       sizeof(out->tier_node_mask));
	out->thp = pages_info.thp_mode[0] != '\0' ? pages_info.thp_mode
	                                          : "unknown";
}

/* Under the extents lock: a destroyed arena is recycled in place under its
 * locks (arena_reset), so a reader that loaded the pointer before sees the
 * old settings or the new ones, never a mix. */
void stats_arena_settings_read(arena_t *a, stats_arena_settings_t *out) {
	mutex_lock(&a->extents.lock);
	out->index = a->index;
	out->dirty_decay_ms = arena_decay_ms(a, false);
	out->muzzy_decay_ms = arena_decay_ms(a, true);
	out->tier = (unsigned)a->extents.placement.tier;
	out->node = a->extents.placement.node;
	out->provider = pages_provider_name(&a->extents.placement);
	mutex_unlock(&a->extents.lock);
}

void stats_bin_read(arena_t *a, unsigned j, bin_stats_t *out,
                    mutex_stats_t *mutex_out) {
	bin_t *bin = &a->bins[j];
	mutex_lock(&bin->lock);
	if (out != NULL)
		*out = bin->stats;
	if (mutex_out != NULL)
		*mutex_out = bin->lock.stats;
	mutex_unlock(&bin->lock);
}

void stats_lextent_read(arena_t *a, unsigned j, lextent_stats_t *out) {
	mutex_lock(&a->extents.lock);
	*out = a->lextents[j];
	mutex_unlock(&a->extents.lock);
}

void stats_extents_mutex_read(arena_t *a, mutex_stats_t *out) {
	mutex_stats_read(&a->extents.lock, out);
}
