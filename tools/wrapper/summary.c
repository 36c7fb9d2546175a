/*
 * summary.c — libstrata-summary.so: the per-process record behind the
 * `strata --stats` summary (and tools/run.sh).
 *
 * The wrapper preloads it after libstrata.so.  When a process calls exit()
 * (or returns from main) it writes one record into STRATA_SUMMARY_DIR:
 * the process and its command line, the exit status, wall/user/sys time,
 * peak RSS, and strata's totals (strata_stats_print with "gaxt").  Which
 * processes write:
 *   - the top one, the wrapper's direct child (its parent's pid is
 *     STRATA_SUMMARY_PARENT), through every exec, into the file "top";
 *   - with STRATA_SUMMARY_ALL=1 also every other process (forked or
 *     exec'd descendants), each into a file named by its start time and pid.
 * The record is written at exit() (on_exit) and at _exit()/_Exit(), which
 * this library interposes because shells (dash, for one) end with _exit.
 * A process that ends by a signal writes nothing; the wrapper reports the
 * top one's end from its wait status.
 * A record is written under a temporary name and renamed, so the wrapper
 * never reads half of one.  Not part of libstrata: nothing here runs
 * unless the wrapper preloads it.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

typedef void write_cb_t(void *opaque, const char *text);
typedef void stats_print_t(write_cb_t *cb, void *opaque, const char *opts);

static char summary_dir[PATH_MAX];
static long summary_parent = -1;
static int summary_all;

static void write_all(void *opaque, const char *text) {
	int fd = *(const int *)opaque;
	size_t len = strlen(text), off = 0;
	while (off < len) {
		ssize_t w = write(fd, text + off, len - off);
		if (w <= 0)
			return;
		off += (size_t)w;
	}
}

/* The process's start, in seconds since boot (it survives exec), from
 * field 22 of /proc/self/stat; -1 when unreadable. */
static double start_since_boot_s(void) {
	char buf[1024];
	int fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	char *p = strrchr(buf, ')'); /* the command name may hold spaces */
	if (p == NULL)
		return -1;
	unsigned long long ticks = 0;
	/* After ")": state is field 3, starttime field 22. */
	if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u "
	           "%*u %*d %*d %*d %*d %*d %*d %llu", &ticks) != 1)
		return -1;
	return (double)ticks / (double)sysconf(_SC_CLK_TCK);
}

/* The command line, NULs turned to spaces, cut at cap - 1 bytes. */
static void read_cmdline(char *out, size_t cap) {
	out[0] = '\0';
	int fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	ssize_t n = read(fd, out, cap - 1);
	close(fd);
	if (n <= 0)
		n = 0;
	out[n] = '\0';
	while (n > 0 && out[n - 1] == '\0')
		n--;
	for (ssize_t i = 0; i < n; i++)
		if (out[i] == '\0')
			out[i] = ' ';
}

static void write_times(int fd) {
	struct rusage ru;
	struct timespec now;
	getrusage(RUSAGE_SELF, &ru);
	clock_gettime(CLOCK_BOOTTIME, &now);
	double start = start_since_boot_s();
	double wall = now.tv_sec + now.tv_nsec / 1e9 - start;
	if (start < 0)
		dprintf(fd, "time:        wall ? s");
	else
		dprintf(fd, "time:        wall %.2f s", wall);
	dprintf(fd, ", user %.2f s, sys %.2f s (this process)\n",
	        ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6,
	        ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6);
	dprintf(fd, "peak RSS:    %ld KiB\n", ru.ru_maxrss);
}

static void write_record(int fd, int status, int is_top) {
	char cmd[512];
	read_cmdline(cmd, sizeof(cmd));
	dprintf(fd, "--- process %ld (parent %ld%s): %s\n", (long)getpid(),
	        (long)getppid(), is_top ? ", the top one" : "", cmd);
	dprintf(fd, "exit status: %d\n", status & 0xff);
	write_times(fd);
	stats_print_t *print =
	    (stats_print_t *)dlsym(RTLD_DEFAULT, "strata_stats_print");
	if (print != NULL)
		print(write_all, &fd, "gaxt");
	else
		dprintf(fd, "statistics:  strata is not loaded in this process\n");
}

static void at_exit(int status, void *arg) {
	static int written;
	(void)arg;
	if (summary_dir[0] == '\0' || written)
		return;
	written = 1;
	int is_top = getppid() == summary_parent;
	if (!is_top && !summary_all)
		return;
	char final[PATH_MAX + 64], tmp[PATH_MAX + 64];
	if (is_top) {
		snprintf(final, sizeof(final), "%s/top", summary_dir);
	} else {
		double start = start_since_boot_s();
		snprintf(final, sizeof(final), "%s/%015.2f-%ld", summary_dir,
		         start < 0 ? 0 : start, (long)getpid());
	}
	snprintf(tmp, sizeof(tmp), "%s/.tmp-%ld", summary_dir, (long)getpid());
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	write_record(fd, status, is_top);
	close(fd);
	rename(tmp, final);
}

typedef void exit_fn(int);

static __attribute__((noreturn)) void call_next(const char *name, int status) {
	at_exit(status, NULL);
	exit_fn *next = (exit_fn *)dlsym(RTLD_NEXT, name);
	if (next != NULL)
		next(status);
	for (;;)
		syscall(SYS_exit_group, status);
	__builtin_unreachable();
}

__attribute__((visibility("default"), noreturn)) void _exit(int status) {
	call_next("_exit", status);
}

__attribute__((visibility("default"), noreturn)) void _Exit(int status) {
	call_next("_Exit", status);
}

__attribute__((constructor)) static void summary_init(void) {
	const char *dir = getenv("STRATA_SUMMARY_DIR");
	const char *parent = getenv("STRATA_SUMMARY_PARENT");
	const char *all = getenv("STRATA_SUMMARY_ALL");
	if (dir == NULL || dir[0] == '\0' || strlen(dir) >= sizeof(summary_dir))
		return;
	strcpy(summary_dir, dir);
	summary_parent = parent != NULL ? strtol(parent, NULL, 10) : -1;
	summary_all = all != NULL && strcmp(all, "1") == 0;
	on_exit(at_exit, NULL);
}
