/*
 * fuzz_conf.c — libFuzzer target: the option parser on arbitrary text.
 * conf_parse must never crash, never read outside the string (the copy
 * below ends exactly at its NUL, so AddressSanitizer sees any read past
 * it) and keep every option in its range.  The first byte picks the
 * source (STRATA_CONF or the jemalloc-compatible MALLOC_CONF).  Inputs
 * naming abort_conf are left out: with abort_conf:true a bad key is fatal
 * by design.  Options are restored after each input.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"

static conf_t defaults;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
	(void)argc;
	(void)argv;
	defaults = opt;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
	if (size == 0)
		return 0;
	bool is_jemalloc = data[0] & 1;
	data++;
	size--;
	char *text = malloc(size + 1);
	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (strstr(text, "abort_conf") != NULL) {
		free(text);
		return -1; /* not added to the corpus */
	}
	conf_parse(text, "fuzz", is_jemalloc);
	/* What the rest of strata relies on, whatever the text said. */
	if (opt.stats_print_opts[sizeof(opt.stats_print_opts) - 1] != '\0' ||
	    opt.dirty_decay_ms < -1 || opt.muzzy_decay_ms < -1 ||
	    opt.dirty_decay_ms > (1L << 40) || opt.muzzy_decay_ms > (1L << 40) ||
	    opt.thp > THP_NEVER)
		abort();
	opt = defaults;
	free(text);
	return 0;
}
