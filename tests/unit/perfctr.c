/*
 * perfctr.c — per-thread event counters: off by default with no
 * descriptor open; a thread that asks counts the page faults it causes;
 * the hardware events show counts where the system opens them and
 * "unavailable" with the errno reason where it does not (the test asks
 * the system itself which it is); counters close when the thread exits;
 * the option and the global switch open them for every thread, a running
 * thread at its next periodic event.
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <linux/perf_event.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "strata.h"

/* The ctl names of the events, in the order the statistics print them. */
static const char *const event_keys[] = {
	"cache_misses", "l1d_read_misses", "llc_read_misses",
	"dtlb_read_misses", "page_faults",
};
#define NEVENTS (sizeof(event_keys) / sizeof(event_keys[0]))

static void boot(void) { strata_free(strata_malloc(1)); }

static void boot_with_option(void) {
	setenv("STRATA_CONF", "perf_events:true", 1);
	boot();
}

TestSuite(perfctr, .init = boot, .timeout = 120);

/* Output collected in static memory: capturing allocates nothing. */
static char out[1 << 20];
static size_t out_len;

static void collect(void *opaque, const char *text) {
	(void)opaque;
	size_t len = strlen(text);
	cr_assert_lt(out_len + len, sizeof(out), "output too long");
	memcpy(out + out_len, text, len);
	out_len += len;
	out[out_len] = '\0';
}

static void print_stats(const char *opts) {
	out_len = 0;
	out[0] = '\0';
	strata_stats_print(collect, NULL, opts);
}

/* The calling thread's line of the text statistics, into line. */
static void own_thread_line(char *line, size_t cap) {
	char head[48];
	snprintf(head, sizeof(head), "thread %ld:", (long)syscall(SYS_gettid));
	print_stats("gax");
	const char *p = strstr(out, head);
	cr_assert_not_null(p, "no line for this thread in:\n%s", out);
	size_t n = strcspn(p, "\n");
	cr_assert_lt(n, cap);
	memcpy(line, p, n);
	line[n] = '\0';
}

static unsigned ctl_unsigned(const char *name) {
	unsigned v = 0;
	size_t len = sizeof(v);
	cr_assert_eq(strata_ctl(name, &v, &len, NULL, 0), 0, "%s", name);
	return v;
}

static bool ctl_bool(const char *name) {
	bool v = false;
	size_t len = sizeof(v);
	cr_assert_eq(strata_ctl(name, &v, &len, NULL, 0), 0, "%s", name);
	return v;
}

static void ctl_set_bool(const char *name, bool v) {
	cr_assert_eq(strata_ctl(name, NULL, NULL, &v, sizeof(v)), 0, "%s",
	             name);
}

/* The calling thread's count of event key: 0 or the ctl's errno. */
static int thread_count(const char *key, uint64_t *count) {
	char name[64];
	snprintf(name, sizeof(name), "thread.perf_events.%s", key);
	size_t len = sizeof(*count);
	return strata_ctl(name, count, &len, NULL, 0);
}

/* Perf descriptors open in the process, as /proc/self/fd shows them. */
static unsigned proc_perf_fds(void) {
	DIR *d = opendir("/proc/self/fd");
	cr_assert_not_null(d);
	unsigned n = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		char path[300], target[128];
		snprintf(path, sizeof(path), "/proc/self/fd/%s", e->d_name);
		ssize_t len = readlink(path, target, sizeof(target) - 1);
		if (len <= 0)
			continue;
		target[len] = '\0';
		n += strstr(target, "perf_event") != NULL;
	}
	closedir(d);
	return n;
}

/* What the system answers for the event, opened as strata opens it (this
 * thread, user mode): 0 or the errno value. */
static int probe(uint32_t type, uint64_t config) {
	struct perf_event_attr attr;
	memset(&attr, 0, sizeof(attr));
	attr.size = sizeof(attr);
	attr.type = type;
	attr.config = config;
	attr.exclude_kernel = 1;
	attr.exclude_hv = 1;
	long fd = syscall(SYS_perf_event_open, &attr, 0, -1, -1, 0);
	if (fd < 0)
		return errno;
	close((int)fd);
	return 0;
}

#define HW_CACHE(c, op, res)                                              \
	(PERF_COUNT_HW_CACHE_##c | PERF_COUNT_HW_CACHE_OP_##op << 8 |     \
	 PERF_COUNT_HW_CACHE_RESULT_##res << 16)

static int probe_event(unsigned i) {
	switch (i) {
	case 0: return probe(PERF_TYPE_HARDWARE, PERF_COUNT_HW_CACHE_MISSES);
	case 1: return probe(PERF_TYPE_HW_CACHE, HW_CACHE(L1D, READ, MISS));
	case 2: return probe(PERF_TYPE_HW_CACHE, HW_CACHE(LL, READ, MISS));
	case 3: return probe(PERF_TYPE_HW_CACHE, HW_CACHE(DTLB, READ, MISS));
	default: return probe(PERF_TYPE_SOFTWARE, PERF_COUNT_SW_PAGE_FAULTS);
	}
}

/* "unavailable: ENOENT (No such file or directory)" as strata prints it. */
static void unavailable_text(int err, char *buf, size_t cap) {
	snprintf(buf, cap, "unavailable: %s (%s)", strerrorname_np(err),
	         strerrordesc_np(err));
}

Test(perfctr, off_by_default_with_no_descriptor_open) {
	cr_assert_not(ctl_bool("opt.perf_events"));
	cr_assert_not(ctl_bool("perf_events.active"));
	cr_assert_not(ctl_bool("thread.perf_events.active"));
	void *volatile p = strata_malloc(256 << 10); /* past a thread event */
	cr_assert_not_null(p);
	strata_free(p);
	cr_assert_eq(ctl_unsigned("perf_events.fds"), 0);
	cr_assert_eq(proc_perf_fds(), 0);
	uint64_t c;
	cr_assert_eq(thread_count("page_faults", &c), EAGAIN);
	char line[4096];
	own_thread_line(line, sizeof(line));
	cr_assert_null(strstr(line, "page_faults"), "%s", line);
}

/* Touch n fresh pages of our own mapping (no huge pages, so one fault
 * each); the thread's fault count rises by at least n. */
static void *touch_pages(void *arg) {
	size_t n = 256, page = (size_t)sysconf(_SC_PAGESIZE);
	ctl_set_bool("thread.perf_events.active", true);
	cr_assert(ctl_bool("thread.perf_events.active"));
	uint64_t before = 0, after = 0;
	int err = thread_count("page_faults", &before);
	/* perf_event_paranoid forbids even this, or the system has no
	 * perf_event_open at all (ENOSYS: qemu-user does not emulate it). */
	if (err != 0) {
		char line[4096], why[128];
		unavailable_text(err, why, sizeof(why));
		own_thread_line(line, sizeof(line));
		cr_assert(err == EACCES || err == EPERM || err == ENOSYS, "%s",
		          strerror(err));
		cr_assert_not_null(strstr(line, why), "%s", line);
		return NULL;
	}
	char *volatile m = mmap(NULL, n * page, PROT_READ | PROT_WRITE,
	                        MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	cr_assert_neq((void *)m, MAP_FAILED);
	madvise((void *)m, n * page, MADV_NOHUGEPAGE);
	for (size_t i = 0; i < n; i++)
		m[i * page] = (char)i;
	cr_assert_eq(thread_count("page_faults", &after), 0);
	cr_assert_geq(after - before, n, "%llu faults for %zu pages",
	              (unsigned long long)(after - before), n);
	munmap((void *)m, n * page);
	char line[4096];
	own_thread_line(line, sizeof(line));
	unsigned long long printed = 0;
	const char *f = strstr(line, " page_faults ");
	cr_assert_not_null(f, "%s", line);
	cr_assert_eq(sscanf(f, " page_faults %llu", &printed), 1);
	cr_assert_geq(printed, after, "%s", line);
	cr_assert_not_null(strstr(line, " page_faults_per_mib "), "%s", line);
	*(unsigned *)arg = ctl_unsigned("perf_events.fds");
	return NULL;
}

Test(perfctr, page_faults_count_the_pages_a_thread_touches) {
	pthread_t t;
	unsigned fds_inside = 0;
	cr_assert_eq(pthread_create(&t, NULL, touch_pages, &fds_inside), 0);
	pthread_join(t, NULL);
	if (probe_event(4) == 0)
		cr_assert_geq(fds_inside, 1);
	/* closed with the thread */
	cr_assert_eq(ctl_unsigned("perf_events.fds"), 0);
	cr_assert_eq(proc_perf_fds(), 0);
}

Test(perfctr, hardware_events_show_counts_or_unavailable_with_the_reason) {
	ctl_set_bool("thread.perf_events.active", true);
	void *volatile p = strata_malloc(1 << 20);
	cr_assert_not_null(p);
	memset(p, 1, 1 << 20);
	strata_free(p);
	char line[4096];
	own_thread_line(line, sizeof(line));
	unsigned opened = 0;
	for (unsigned i = 0; i < NEVENTS; i++) {
		int expect = probe_event(i);
		uint64_t c = 0;
		char want[160];
		cr_assert_eq(thread_count(event_keys[i], &c), expect, "%s: %s",
		             event_keys[i], strerror(thread_count(event_keys[i], &c)));
		if (expect == 0) {
			opened++;
			snprintf(want, sizeof(want), " %s_per_mib ", event_keys[i]);
		} else {
			char why[128];
			unavailable_text(expect, why, sizeof(why));
			snprintf(want, sizeof(want), " %s %s", event_keys[i], why);
		}
		cr_assert_not_null(strstr(line, want), "no '%s' in %s", want,
		                   line);
	}
	cr_assert_eq(ctl_unsigned("perf_events.fds"), opened);
	cr_assert_eq(proc_perf_fds(), opened);
	ctl_set_bool("thread.perf_events.active", false);
	cr_assert_eq(ctl_unsigned("perf_events.fds"), 0);
	cr_assert_eq(proc_perf_fds(), 0);
}

/* The other forms carry the same figures: JSON as a number or the
 * "unavailable" string, Prometheus as a counter or an info series whose
 * reason label is the errno name. */
Test(perfctr, json_and_prometheus_carry_the_counters) {
	ctl_set_bool("thread.perf_events.active", true);
	long tid = (long)syscall(SYS_gettid);
	for (unsigned i = 0; i < NEVENTS; i++) {
		int err = probe_event(i);
		char want[200];
		print_stats("gaxJ");
		if (err == 0) {
			snprintf(want, sizeof(want), "\"%s\": ", event_keys[i]);
		} else {
			char why[128];
			unavailable_text(err, why, sizeof(why));
			snprintf(want, sizeof(want), "\"%s\": \"%s\"", event_keys[i],
			         why);
		}
		cr_assert_not_null(strstr(out, want), "no '%s' in JSON", want);
		print_stats("gaxP");
		if (err == 0)
			snprintf(want, sizeof(want),
			         "strata_thread_%s_total{thread=\"%ld\"} ",
			         event_keys[i], tid);
		else
			snprintf(want, sizeof(want),
			         "strata_thread_%s_unavailable{thread=\"%ld\","
			         "reason=\"%s\"} 1\n",
			         event_keys[i], tid, strerrorname_np(err));
		cr_assert_not_null(strstr(out, want), "no '%s' in:\n%s", want,
		                   out);
	}
}

static void *report_active(void *arg) {
	void *volatile p = strata_malloc(64);
	strata_free(p);
	*(bool *)arg = ctl_bool("thread.perf_events.active");
	return NULL;
}

static bool new_thread_is_counting(void) {
	pthread_t t;
	bool active = false;
	cr_assert_eq(pthread_create(&t, NULL, report_active, &active), 0);
	pthread_join(t, NULL);
	return active;
}

Test(perfctr, the_global_switch_opens_counters_for_every_thread) {
	cr_assert_not(new_thread_is_counting());
	ctl_set_bool("perf_events.active", true);
	cr_assert(ctl_bool("thread.perf_events.active")); /* the caller now */
	cr_assert(new_thread_is_counting());
	ctl_set_bool("perf_events.active", false);
	cr_assert_not(ctl_bool("thread.perf_events.active"));
	cr_assert_not(new_thread_is_counting());
	cr_assert_eq(ctl_unsigned("perf_events.fds"), 0);
}

/* A running thread sees the switch at its next periodic event (every
 * 64 KiB it allocates), not before. */
static pthread_barrier_t step;
static void *follow_switch(void *arg) {
	bool *seen = arg;
	void *volatile p = strata_malloc(64);
	strata_free(p);
	seen[0] = ctl_bool("thread.perf_events.active");
	pthread_barrier_wait(&step); /* the switch goes on */
	pthread_barrier_wait(&step);
	seen[1] = ctl_bool("thread.perf_events.active");
	p = strata_malloc(256 << 10);
	strata_free(p);
	seen[2] = ctl_bool("thread.perf_events.active");
	return NULL;
}

Test(perfctr, a_running_thread_follows_the_switch_at_its_next_event) {
	pthread_t t;
	bool seen[3] = { true, true, false };
	pthread_barrier_init(&step, NULL, 2);
	cr_assert_eq(pthread_create(&t, NULL, follow_switch, seen), 0);
	pthread_barrier_wait(&step);
	ctl_set_bool("perf_events.active", true);
	pthread_barrier_wait(&step);
	pthread_join(t, NULL);
	cr_assert_not(seen[0], "open before the switch");
	cr_assert_not(seen[1], "open before its next event");
	cr_assert(seen[2], "still closed after its next event");
}

Test(perfctr, a_thread_that_says_no_stays_closed_under_the_switch) {
	ctl_set_bool("thread.perf_events.active", false);
	ctl_set_bool("perf_events.active", true);
	cr_assert_not(ctl_bool("thread.perf_events.active"));
	void *volatile p = strata_malloc(256 << 10); /* a periodic event */
	strata_free(p);
	cr_assert_not(ctl_bool("thread.perf_events.active"));
	cr_assert_eq(ctl_unsigned("perf_events.fds"), 0);
}

/* ---- perf_events:true ---- */

TestSuite(perfctr_option, .init = boot_with_option, .timeout = 120);

Test(perfctr_option, opens_counters_at_the_first_allocation) {
	cr_assert(ctl_bool("opt.perf_events"));
	cr_assert(ctl_bool("perf_events.active"));
	cr_assert(ctl_bool("thread.perf_events.active"));
	cr_assert(new_thread_is_counting());
	uint64_t c;
	cr_assert_eq(thread_count("page_faults", &c), probe_event(4));
}

Test(perfctr, bad_writes_are_refused) {
	int wrong = 1;
	cr_assert_eq(strata_ctl("thread.perf_events.active", NULL, NULL, &wrong,
	                        sizeof(wrong)), EINVAL);
	uint64_t c = 1;
	cr_assert_eq(strata_ctl("thread.perf_events.page_faults", NULL, NULL,
	                        &c, sizeof(c)), EPERM);
	unsigned u = 1;
	cr_assert_eq(strata_ctl("perf_events.fds", NULL, NULL, &u, sizeof(u)),
	             EPERM);
	cr_assert_not(ctl_bool("thread.perf_events.active"));
}

/* The parent's counters watch the parent's thread: the child starts
 * with none open and opens its own at its next periodic event. */
Test(perfctr, a_forked_child_opens_counters_of_its_own) {
	ctl_set_bool("thread.perf_events.active", true);
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		int bad = 0;
		unsigned n = 0;
		size_t len = sizeof(n);
		bad |= strata_ctl("perf_events.fds", &n, &len, NULL, 0) != 0 ||
		       n != 0;
		void *volatile p = strata_malloc(256 << 10); /* an event */
		strata_free(p);
		bool on = false;
		len = sizeof(on);
		bad |= (strata_ctl("thread.perf_events.active", &on, &len, NULL,
		                   0) != 0 || !on) << 1;
		uint64_t c;
		bad |= (thread_count("page_faults", &c) != probe_event(4)) << 2;
		_exit(bad);
	}
	int status = 0;
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status));
	cr_assert_eq(WEXITSTATUS(status), 0, "child check bits %d",
	             WEXITSTATUS(status));
}
