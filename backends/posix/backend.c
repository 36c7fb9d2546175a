/*
 * backend.c — the posix backend's vtable: the required operations and,
 * on Linux, remap.
 */
#include "posix.h"

const backend_t backend_default = {
	.version = BACKEND_VERSION,
	.name = "posix",
	.init = posix_init,
	.reserve = posix_reserve,
	.purge = posix_purge,
	.unmap = posix_unmap,
	.advise_hugepage = NULL,
	.current_node = NULL,
	.probe_late = NULL,
	.provider_name = NULL,
	.remap = POSIX_REMAP,
};
