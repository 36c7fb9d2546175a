/*
 * backend.c — the memkind backend's vtable: required operations and the
 * late probe (memkind allocates while it looks for HBW and DAX_KMEM nodes).
 */
#include "mk_backend.h"

const backend_t backend_default = {
	.version = BACKEND_VERSION,
	.name = "memkind",
	.init = mk_init,
	.reserve = mk_reserve,
	.purge = mk_purge,
	.unmap = mk_unmap,
	.advise_hugepage = NULL,
	.current_node = NULL,
	.probe_late = mk_probe_late,
	.provider_name = mk_provider_name,
	/* A kind owns its mappings: docs/backend-contract.md, remap. */
	.remap = NULL,
};
