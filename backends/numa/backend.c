/*
 * backend.c — the numa backend's vtable: posix operations where nothing
 * differs, numa.c where placement and huge pages matter.
 */
#include "numa.h"
#include "posix.h"

const backend_t backend_default = {
	.version = BACKEND_VERSION,
	.name = "numa",
	.init = numa_backend_init,
	.reserve = numa_backend_reserve,
	.purge = posix_purge,
	.unmap = posix_unmap,
	.advise_hugepage = numa_backend_advise_hugepage,
	.current_node = numa_backend_current_node,
	.probe_late = NULL,
	.provider_name = NULL,
	.remap = numa_backend_remap,
};
