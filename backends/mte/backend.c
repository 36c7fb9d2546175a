/*
 * backend.c — the mte backend's vtable: posix operations where nothing
 * differs, mte.c for init and reserve.
 */
#include "mte.h"
#include "posix.h"

const backend_t backend_default = {
	.version = BACKEND_VERSION,
	.name = "mte",
	.init = mte_init,
	.reserve = mte_reserve,
	.purge = posix_purge,
	.unmap = posix_unmap,
	.advise_hugepage = NULL,
	.current_node = NULL,
	.probe_late = NULL,
	.provider_name = NULL,
	/* Tagged memory is not moved: docs/backend-contract.md, remap. */
	.remap = NULL,
};
