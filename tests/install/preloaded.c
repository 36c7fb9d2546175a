/*
 * preloaded.c — a program that knows nothing of strata, run through the
 * installed wrapper.  It finds strata_ctl at run time (so it proves the
 * preload), prints opt.narenas and how much its own malloc moved
 * thread.allocated, forks CHILDREN children that each allocate and
 * exit(0), then exits with STATUS.
 *   preloaded [STATUS [CHILDREN]]
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

typedef int ctl_fn(const char *, void *, size_t *, void *, size_t);

static void *(*volatile malloc_fn)(size_t) = malloc;

int main(int argc, char **argv) {
	int status = argc > 1 ? atoi(argv[1]) : 0;
	int children = argc > 2 ? atoi(argv[2]) : 0;
	ctl_fn *ctl = (ctl_fn *)dlsym(RTLD_DEFAULT, "strata_ctl");
	if (ctl == NULL) {
		printf("preloaded: strata is not loaded\n");
		return 99;
	}
	unsigned narenas = 0;
	uint64_t before = 0, after = 0;
	size_t len = sizeof(narenas);
	ctl("opt.narenas", &narenas, &len, NULL, 0);
	len = sizeof(before);
	ctl("thread.allocated", &before, &len, NULL, 0);
	char *p = malloc_fn(1 << 20);
	memset(p, 1, 1 << 20);
	ctl("thread.allocated", &after, &len, NULL, 0);
	printf("preloaded: narenas %u, malloc moved thread.allocated by %llu\n",
	       narenas, (unsigned long long)(after - before));
	fflush(stdout);
	for (int i = 0; i < children; i++) {
		pid_t pid = fork();
		if (pid == 0) {
			char *c = malloc_fn(4096);
			c[0] = (char)i;
			exit(c[0] == (char)i ? 0 : 1);
		}
		waitpid(pid, NULL, 0);
	}
	free(p);
	return status;
}
