/*
 * report.h — one-line diagnostics on stderr, written with prim_write_stderr
 * from a fixed buffer: usable inside malloc, before constructors, after
 * fork.
 */
#ifndef STRATA_REPORT_H
#define STRATA_REPORT_H

#include <stddef.h>

#include "util.h"

/* "strata: <what> <ptr>: <why>" then abort().  Never returns. */
HIDDEN _Noreturn void report_bad_pointer(const char *what, const void *ptr,
                                         const char *why);
/* "strata: <what> <ptr>: <why> <block>" then abort().  Never returns. */
HIDDEN _Noreturn void report_bad_pointer_in(const char *what, const void *ptr,
                                            const char *why,
                                            const void *block);
/* "strata: " + the concatenation of the NULL-terminated list of strings. */
HIDDEN void report_line(const char *first, ...);
/* Formats v in decimal into buf (>= 21 bytes); returns buf. */
HIDDEN char *report_u64(char *buf, unsigned long long v);
/* Formats ptr as 0x... (hexadecimal, no leading zeros) into buf (>= 19
 * bytes); returns buf. */
HIDDEN char *report_ptr(char *buf, const void *ptr);

#endif
