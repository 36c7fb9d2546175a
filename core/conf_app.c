/*
 * conf_app.c — the application's own option string: jemalloc's
 * `malloc_conf` global.  Its own file, beside the entry points (it needs
 * the drop-in build's flag), so the option parser, a cross-cutting module,
 * depends on nothing of the API floor.
 */
#include "conf_app.h"

#include <stddef.h>

#ifdef STRATA_DROP_IN
/* jemalloc's weak definition: an executable that defines malloc_conf and
 * exports it (it does when linked with a library that has the symbol,
 * libjemalloc.so.2 or libstrata.so) takes precedence at run time; the read
 * goes through the GOT, since a weak definition is interposable. */
__attribute__((weak, visibility("default"))) const char *malloc_conf;

const char *conf_app_malloc_conf(void) {
	const char *s = malloc_conf;
	return s != NULL && *s != '\0' ? s : NULL;
}
#else
const char *conf_app_malloc_conf(void) { return NULL; }
#endif
