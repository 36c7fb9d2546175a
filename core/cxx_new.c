/*
 * cxx_new.c — operator new's failure path without a link to libstdc++.
 *
 * The drop-in library stays a C library: a C program that preloads it does
 * not load libstdc++ (measured: +1.8 MB peak RSS and about 3.6 ms per exec
 * of /bin/true when it does; docs/architecture.md).  The two C++ runtime
 * functions needed here are weak references, bound at load time to the
 * libstdc++ every C++ program has: std::get_new_handler() and
 * std::__throw_bad_alloc().  Without them (a C program that dlopens C++
 * code later) a failed new reports one line and aborts, which is what an
 * uncaught std::bad_alloc does.
 *
 * Built with -fexceptions: the exception thrown from here, or from a
 * new-handler, unwinds through these C frames.  A new-handler that throws
 * during a nothrow new propagates (libstdc++ would catch and return NULL;
 * catching needs C++).
 */
#include <stdlib.h>

#include "cxx_new.h"
#include "report.h"
#include "strata.h"

typedef void (*new_handler_fn)(void);

extern new_handler_fn cxx_get_new_handler(void)
    __asm__("_ZSt15get_new_handlerv") __attribute__((weak));
extern _Noreturn void cxx_throw_bad_alloc(void)
    __asm__("_ZSt17__throw_bad_allocv") __attribute__((weak));

static void *retry(size_t size, size_t align) {
	return align != 0 ? strata_aligned_alloc(align, size)
	                  : strata_malloc(size);
}

void *cxx_new_slow(size_t size, size_t align, bool is_nothrow) {
	while (cxx_get_new_handler != NULL) {
		new_handler_fn handler = cxx_get_new_handler();
		if (handler == NULL)
			break;
		handler();
		void *p = retry(size, align);
		if (p != NULL)
			return p;
	}
	if (is_nothrow)
		return NULL;
	if (cxx_throw_bad_alloc != NULL)
		cxx_throw_bad_alloc();
	report_line("operator new: out of memory, and no C++ runtime loaded "
	            "to throw std::bad_alloc", (char *)NULL);
	abort();
}
