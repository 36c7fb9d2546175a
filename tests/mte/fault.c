/*
 * fault.c — one memory error on strata's mte build, and the report of the
 * fault it raises: the mte suite runs it in a process of its own, with
 * the tag check mode it wants in STRATA_CONF.
 *   fault overflow | use_after_free | use_after_realloc
 * Prints "access ADDR" (the untagged address about to be touched), then
 * on SIGSEGV "SIGSEGV si_code N addr ADDR" (ADDR without its tag, 0 when
 * the kernel gives none, as for async faults) and exits 3; "no fault" and
 * exit 0 when the access went through.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "mte_tags.h"
#include "strata.h"

static void on_segv(int sig, siginfo_t *si, void *ctx) {
	(void)sig;
	(void)ctx;
	char line[96];
	int n = snprintf(line, sizeof(line), "SIGSEGV si_code %d addr %#lx\n",
	                 si->si_code, (unsigned long)untagged(si->si_addr));
	if (write(STDOUT_FILENO, line, (size_t)n) < 0)
		_exit(4);
	_exit(3);
}

static void announce(const volatile char *at) {
	printf("access %#lx\n", (unsigned long)untagged((const void *)at));
	fflush(stdout);
}

int main(int argc, char **argv) {
	if (argc != 2) {
		fprintf(stderr, "usage: fault overflow|use_after_free|"
		                "use_after_realloc\n");
		return 2;
	}
	struct sigaction sa = { .sa_sigaction = on_segv,
		                .sa_flags = SA_SIGINFO };
	sigaction(SIGSEGV, &sa, NULL);
	/* Volatile: the compiler keeps every access below. */
	char *volatile p = strata_malloc(32);
	char *volatile next = strata_malloc(32);
	memset(p, 1, 32);
	memset(next, 2, 32);
	volatile char *at;
	if (strcmp(argv[1], "overflow") == 0) {
		at = p + 32; /* the first granule after the block */
		announce(at);
		*at = 3;
	} else if (strcmp(argv[1], "use_after_free") == 0) {
		strata_free(p);
		at = p;
		announce(at);
		(void)*at;
	} else if (strcmp(argv[1], "use_after_realloc") == 0) {
		char *volatile q = strata_realloc(p, 4096);
		if (untagged(q) == untagged(p)) {
			printf("realloc did not move the block\n");
			return 1;
		}
		at = p;
		announce(at);
		*at = 4;
	} else {
		fprintf(stderr, "fault: unknown case '%s'\n", argv[1]);
		return 2;
	}
	/* Async mode reports at the next entry into the kernel. */
	getppid();
	printf("no fault\n");
	return 0;
}
