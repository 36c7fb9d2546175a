/*
 * conf_app.h — option strings the application itself supplies, read by
 * the option parser in jemalloc's order (after the compiled default and
 * /etc/malloc.conf, before MALLOC_CONF and STRATA_CONF).
 */
#ifndef STRATA_CONF_APP_H
#define STRATA_CONF_APP_H

#include "util.h"

/* The executable's `const char *malloc_conf = "...";` (jemalloc's global),
 * or NULL when it defines none, defines it empty, or the library is built
 * without the drop-in names.  Never allocates. */
HIDDEN const char *conf_app_malloc_conf(void);

#endif
