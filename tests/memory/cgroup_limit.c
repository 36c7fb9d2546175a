/*
 * cgroup_limit.c — strata reads its cgroup's memory limit at start and
 * purges what it holds free before the limit is reached.
 *
 *   cgroup_limit fake      a directory of its own with memory.max 96 MiB
 *                          (STRATA_CGROUP_DIR): the limit is read, and
 *                          the freed half of 88 MiB is purged
 *   cgroup_limit none      the same with memory.max "max": nothing read,
 *                          the freed half stays resident
 *   cgroup_limit fake-v1, none-v1   the same with v1's file,
 *                          memory.limit_in_bytes
 *   cgroup_limit real      a child cgroup of /sys/fs/cgroup with
 *                          memory.max 96 MiB, when that is a writable v2
 *                          hierarchy (root), else of v1's
 *                          /sys/fs/cgroup/memory with memory.limit_in_bytes
 *                          96 MiB; skipped (77) without either
 *
 * Each mode runs the check in a child process started in the prepared
 * cgroup, since strata reads the limit when it boots.  Run with a long
 * dirty decay (the test's STRATA_CONF), so only the limit can purge.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rss.h"

#define LIMIT_BYTES ((size_t)96 << 20)
#define CGROUP2_SUPER_MAGIC 0x63677270
#define CGROUP_SUPER_MAGIC 0x27e0eb

typedef int mallctl_fn(const char *, void *, size_t *, void *, size_t);

static size_t stat_size(mallctl_fn *ctl, const char *name) {
	size_t v = 0, len = sizeof(v);
	return ctl(name, &v, &len, NULL, 0) == 0 ? v : (size_t)-1;
}

/* In the prepared cgroup: the limit as strata read it, then 88 MiB of
 * 64 KiB blocks with every other one freed, then small allocations for
 * the periodic event that checks the soft limit. */
static int check(size_t want_limit) {
	mallctl_fn *ctl = (mallctl_fn *)dlsym(RTLD_DEFAULT, "mallctl");
	if (ctl == NULL) {
		fprintf(stderr, "no mallctl: not running on libstrata.so\n");
		return 2;
	}
	size_t got = stat_size(ctl, "stats.mem_limit.cgroup");
	size_t soft = stat_size(ctl, "stats.mem_limit.soft");
	if (got != want_limit || soft != want_limit - want_limit / 8) {
		fprintf(stderr, "cgroup limit read %zu (want %zu), soft %zu\n",
		        got, want_limit, soft);
		return 1;
	}
	enum { NBLOCKS = 88 * 16, BLOCK = 64 << 10 };
	static char *blocks[NBLOCKS];
	for (int i = 0; i < NBLOCKS; i++) {
		if ((blocks[i] = malloc(BLOCK)) == NULL)
			return 2;
		memset(blocks[i], 0x5a, BLOCK);
	}
	long peak = rss_kib();
	for (int i = 0; i < NBLOCKS; i += 2)
		free(blocks[i]);
	for (int i = 0; i < 4096; i++) {
		char *volatile p = malloc(256);
		if (p == NULL)
			return 2;
		p[0] = (char)i;
		free(p);
	}
	long now = rss_kib();
	printf("limit %zu, soft %zu: peak %ld KiB, half freed %ld KiB\n", got,
	       soft, peak, now);
	for (int i = 1; i < NBLOCKS; i += 2)
		free(blocks[i]);
	/* With a limit the freed half is purged; without, it stays. */
	bool purged = now * 10 < peak * 7;
	return purged == (want_limit != 0) ? 0 : 1;
}

static int write_file(const char *dir, const char *name, const char *text) {
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return errno;
	ssize_t n = write(fd, text, strlen(text));
	int err = n == (ssize_t)strlen(text) ? 0 : errno != 0 ? errno : EIO;
	close(fd);
	return err;
}

/* Run "check LIMIT" in a child; cgroup_dir, when given, is the real
 * cgroup it joins first. */
static int run_child(const char *self, size_t limit, const char *cgroup_dir) {
	pid_t pid = fork();
	if (pid < 0)
		return 2;
	if (pid == 0) {
		if (cgroup_dir != NULL &&
		    write_file(cgroup_dir, "cgroup.procs", "0") != 0)
			_exit(3);
		char arg[32];
		snprintf(arg, sizeof(arg), "%zu", limit);
		execl(self, self, "check", arg, (char *)NULL);
		_exit(3);
	}
	int status;
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status))
		return 2;
	return WEXITSTATUS(status) == 3 ? 2 : WEXITSTATUS(status);
}

static int fake(const char *self, bool has_limit, bool v1) {
	const char *tmp = getenv("TMPDIR");
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s/strata-cgroup-XXXXXX",
	         tmp != NULL && *tmp != '\0' ? tmp : P_tmpdir);
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 2;
	}
	char max[32];
	snprintf(max, sizeof(max), "%zu\n", LIMIT_BYTES);
	/* v1 says "no limit" with the largest page count, in bytes. */
	int err = v1 ? write_file(dir, "memory.limit_in_bytes",
	                          has_limit ? max : "9223372036854771712\n")
	             : write_file(dir, "memory.max", has_limit ? max : "max\n");
	if (err == 0 && !v1)
		err = write_file(dir, "memory.high", "max\n");
	int rc = 2;
	if (err == 0 && setenv("STRATA_CGROUP_DIR", dir, 1) == 0)
		rc = run_child(self, has_limit ? LIMIT_BYTES : 0, NULL);
	char path[4200];
	snprintf(path, sizeof(path), "%s/memory.max", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/memory.high", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/memory.limit_in_bytes", dir);
	unlink(path);
	rmdir(dir);
	return rc;
}

/* A child of v1's memory hierarchy with memory.limit_in_bytes. */
static int real_v1(const char *self) {
	const char *root = "/sys/fs/cgroup/memory";
	struct statfs fs;
	if (statfs(root, &fs) != 0 || fs.f_type != CGROUP_SUPER_MAGIC ||
	    access(root, W_OK) != 0) {
		printf("skip: neither /sys/fs/cgroup (v2) nor %s (v1) is a "
		       "writable memory cgroup hierarchy\n", root);
		return 77;
	}
	char dir[256], max[32];
	snprintf(dir, sizeof(dir), "%s/strata-test-%ld", root, (long)getpid());
	if (mkdir(dir, 0755) != 0) {
		printf("skip: cannot create a child cgroup in %s (%s)\n", root,
		       strerror(errno));
		return 77;
	}
	snprintf(max, sizeof(max), "%zu\n", LIMIT_BYTES);
	int rc = 2;
	if (write_file(dir, "memory.limit_in_bytes", max) != 0)
		printf("cannot set %s/memory.limit_in_bytes\n", dir);
	else
		rc = run_child(self, LIMIT_BYTES, dir);
	rmdir(dir);
	return rc;
}

static int real(const char *self) {
	struct statfs fs;
	if (statfs("/sys/fs/cgroup", &fs) != 0 ||
	    fs.f_type != CGROUP2_SUPER_MAGIC ||
	    access("/sys/fs/cgroup", W_OK) != 0)
		return real_v1(self);
	char dir[256], max[32];
	snprintf(dir, sizeof(dir), "/sys/fs/cgroup/strata-test-%ld",
	         (long)getpid());
	if (mkdir(dir, 0755) != 0) {
		printf("skip: cannot create a child cgroup (%s)\n",
		       strerror(errno));
		return 77;
	}
	snprintf(max, sizeof(max), "%zu\n", LIMIT_BYTES);
	int rc = 2;
	(void)write_file("/sys/fs/cgroup", "cgroup.subtree_control", "+memory");
	if (write_file(dir, "memory.max", max) != 0)
		printf("skip: the memory controller is not enabled for "
		       "child cgroups\n"), rc = 77;
	else
		rc = run_child(self, LIMIT_BYTES, dir);
	rmdir(dir);
	return rc;
}

int main(int argc, char **argv) {
	const char *mode = argc > 1 ? argv[1] : "";
	char self[4096];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return 2;
	self[n] = '\0';
	if (strcmp(mode, "check") == 0 && argc > 2)
		return check((size_t)strtoull(argv[2], NULL, 10));
	if (strcmp(mode, "fake") == 0)
		return fake(self, true, false);
	if (strcmp(mode, "none") == 0)
		return fake(self, false, false);
	if (strcmp(mode, "fake-v1") == 0)
		return fake(self, true, true);
	if (strcmp(mode, "none-v1") == 0)
		return fake(self, false, true);
	if (strcmp(mode, "real") == 0)
		return real(self);
	fprintf(stderr, "usage: cgroup_limit fake|none|fake-v1|none-v1|real\n");
	return 2;
}
