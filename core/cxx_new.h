/*
 * cxx_new.h — the failure path of the drop-in C++ operator new (the
 * operators themselves sit in override.h, with the functions they call).
 */
#ifndef STRATA_CXX_NEW_H
#define STRATA_CXX_NEW_H

#include <stdbool.h>
#include <stddef.h>

#include "util.h"

/* What the C++ standard asks of operator new when allocation failed: call
 * the installed new-handler and retry while there is one; then throw
 * std::bad_alloc, or return NULL for the nothrow forms.  align 0: an
 * ordinary new.  Never returns NULL when !is_nothrow. */
HIDDEN void *cxx_new_slow(size_t size, size_t align, bool is_nothrow);

#endif
