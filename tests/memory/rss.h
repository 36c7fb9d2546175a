/*
 * rss.h — the memory tests' reading of their own resident set size.
 */
#ifndef STRATA_TESTS_MEMORY_RSS_H
#define STRATA_TESTS_MEMORY_RSS_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* VmRSS of this process in KiB, -1 when /proc/self/status cannot say. */
static long rss_kib(void) {
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long v = -1;
	while (f != NULL && fgets(line, sizeof(line), f))
		if (strncmp(line, "VmRSS:", 6) == 0)
			v = atol(line + 6);
	if (f != NULL)
		fclose(f);
	return v;
}

#endif
