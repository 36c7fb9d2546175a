/*
 * mallctl_trace.c — an LD_PRELOAD shim placed before the allocator: every
 * mallctl call a program makes is passed on (to strata or jemalloc,
 * whichever comes next) and its name and result appended, once per
 * distinct pair, to the file named by MALLCTL_TRACE.  Lines: "<errno>
 * <name>".  Used to list the jemalloc ctl names a real program reads.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef int ctl_fn(const char *, void *, size_t *, void *, size_t);

#define SEEN_MAX 256
static char seen[SEEN_MAX][96];
static int nseen;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static void record(const char *name, int err) {
	char line[128];
	snprintf(line, sizeof(line), "%d %.90s\n", err, name);
	pthread_mutex_lock(&lock);
	for (int i = 0; i < nseen; i++)
		if (strcmp(seen[i], line) == 0) {
			pthread_mutex_unlock(&lock);
			return;
		}
	if (nseen < SEEN_MAX)
		snprintf(seen[nseen++], sizeof(seen[0]), "%s", line);
	pthread_mutex_unlock(&lock);
	const char *path = getenv("MALLCTL_TRACE");
	int fd = path ? open(path, O_WRONLY | O_APPEND | O_CREAT, 0644) : 2;
	if (fd < 0)
		return;
	ssize_t w = write(fd, line, strlen(line));
	(void)w;
	if (fd != 2)
		close(fd);
}

__attribute__((visibility("default"))) int mallctl(const char *name,
                                                    void *oldp,
                                                    size_t *oldlenp,
                                                    void *newp,
                                                    size_t newlen) {
	static ctl_fn *next;
	if (next == NULL)
		next = (ctl_fn *)dlsym(RTLD_NEXT, "mallctl");
	int err = next(name, oldp, oldlenp, newp, newlen);
	record(name, err);
	return err;
}
