/*
 * mte_overflow.c — a heap overflow caught by strata's mte build
 * (docs/backends/mte.md): the write one byte past a 24-byte request lands
 * in the next 16-byte granule, whose tag differs from the pointer's, and
 * faults at that store.  The SIGSEGV handler prints the one-line report a
 * program can give (the faulting address and the kind of tag fault), then
 * exits; without a handler the kernel kills the process with SIGSEGV.
 *
 *   ./mte_overflow                     (on AArch64 with MTE, or under
 *   qemu-aarch64-static -cpu max ./mte_overflow)
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "strata.h"

#ifndef SEGV_MTEAERR
#define SEGV_MTEAERR 8
#endif
#ifndef SEGV_MTESERR
#define SEGV_MTESERR 9
#endif

static void report(int sig, siginfo_t *si, void *ctx) {
	(void)sig;
	(void)ctx;
	char line[160];
	const char *kind = si->si_code == SEGV_MTESERR ? "SEGV_MTESERR"
	                   : si->si_code == SEGV_MTEAERR ? "SEGV_MTEAERR"
	                                                 : "not a tag fault";
	int n = snprintf(line, sizeof(line),
	                 "mte_overflow: tag check fault (%s, si_code %d) at "
	                 "address %p\n",
	                 kind, si->si_code, si->si_addr);
	if (write(STDERR_FILENO, line, (size_t)n) < 0)
		_exit(2);
	_exit(1);
}

int main(void) {
	struct sigaction sa = { .sa_sigaction = report,
		                .sa_flags = SA_SIGINFO };
	sigaction(SIGSEGV, &sa, NULL);
	char *volatile name = strata_malloc(24); /* the block is 32 bytes */
	printf("block of 24 bytes at %p (usable %zu)\n", (void *)name,
	       strata_malloc_usable_size(name));
	fflush(stdout);
	memset(name, 'x', 24);
	for (size_t i = 24; i <= 32; i++) /* the last iteration overflows */
		name[i] = 'x';
	printf("no fault: is this the mte build on an MTE CPU?\n");
	return 0;
}
