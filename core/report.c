/*
 * report.c — diagnostics without malloc or stdio.
 */
#include "report.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "prim.h"

#define LINE_MAX_BYTES 512

static void line_append(char *line, size_t *len, const char *s) {
	size_t n = strlen(s);
	if (n > LINE_MAX_BYTES - 2 - *len)
		n = LINE_MAX_BYTES - 2 - *len;
	memcpy(line + *len, s, n);
	*len += n;
}

static void line_emit(char *line, size_t len) {
	line[len++] = '\n';
	prim_write_stderr(line, len);
}

void report_line(const char *first, ...) {
	char line[LINE_MAX_BYTES];
	size_t len = 0;
	line_append(line, &len, "strata: ");
	va_list ap;
	va_start(ap, first);
	for (const char *s = first; s != NULL; s = va_arg(ap, const char *))
		line_append(line, &len, s);
	va_end(ap);
	line_emit(line, len);
}

char *report_u64(char *buf, unsigned long long v) {
	char tmp[24];
	int n = 0;
	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	for (int i = 0; i < n; i++)
		buf[i] = tmp[n - 1 - i];
	buf[n] = '\0';
	return buf;
}

char *report_ptr(char *buf, const void *ptr) {
	uintptr_t v = (uintptr_t)ptr;
	char *p = buf;
	*p++ = '0';
	*p++ = 'x';
	int started = 0;
	for (int shift = (int)sizeof(v) * 8 - 4; shift >= 0; shift -= 4) {
		unsigned d = (unsigned)(v >> shift) & 15;
		if (d != 0 || started || shift == 0) {
			*p++ = "0123456789abcdef"[d];
			started = 1;
		}
	}
	*p = '\0';
	return buf;
}

void report_bad_pointer(const char *what, const void *ptr, const char *why) {
	char hex[2 + 16 + 1];
	report_line(what, " ", report_ptr(hex, ptr), ": ", why, (char *)NULL);
	abort();
}

void report_bad_pointer_in(const char *what, const void *ptr, const char *why,
                           const void *block) {
	char hex[2 + 16 + 1], bhex[2 + 16 + 1];
	report_line(what, " ", report_ptr(hex, ptr), ": ", why, " ",
	            report_ptr(bhex, block), (char *)NULL);
	abort();
}
