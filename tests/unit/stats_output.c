/*
 * stats_output.c — strata_stats_print in its three forms: the JSON is one
 * document python3 and jq accept, the Prometheus text passes promtool,
 * the text names the totals; printing allocates nothing; live threads are
 * listed with their counters and allocation rate.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "pages.h"
#include "strata.h"

static void boot(void) { strata_free(strata_malloc(1)); }

TestSuite(stats_output, .init = boot, .timeout = 120);

/* Output collected in static memory, so capturing allocates nothing. */
static char out[1 << 21];
static size_t out_len;
static unsigned out_calls;

static void collect(void *opaque, const char *text) {
	(void)opaque;
	size_t len = strlen(text);
	cr_assert_lt(out_len + len, sizeof(out), "output too long");
	memcpy(out + out_len, text, len);
	out_len += len;
	out[out_len] = '\0';
	out_calls++;
}

static void print_stats(const char *opts) {
	out_len = 0;
	out[0] = '\0';
	strata_stats_print(collect, NULL, opts);
}

/* Writes the output to a temporary file; returns its path. */
static const char *save(char *path, size_t cap) {
	snprintf(path, cap, "%s/strata-stats-XXXXXX",
	         getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp");
	int fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, out, out_len), (ssize_t)out_len);
	close(fd);
	return path;
}

static bool have(const char *program) {
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "command -v %s >/dev/null 2>&1", program);
	return system(cmd) == 0;
}

static int run_on(const char *fmt, const char *path) {
	char cmd[512];
	snprintf(cmd, sizeof(cmd), fmt, path);
	return system(cmd);
}

/* Something in several classes, large and huge, from two arenas. */
static void **make_load(size_t *n) {
	static void *p[64];
	static const size_t sizes[] = { 8, 48, 100, 1000, 14336, 40000,
		                        3 << 20 };
	*n = 0;
	for (unsigned r = 0; r < 8; r++)
		for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
			p[(*n)++] = strata_mallocx(sizes[i],
			                           r % 2 ? STRATA_MALLOCX_ARENA(1)
			                                 : 0);
	return p;
}

static void free_load(void **p, size_t n) {
	for (size_t i = 0; i < n; i++)
		strata_free(p[i]);
}

Test(stats_output, text_is_the_default_and_names_the_totals) {
	size_t n;
	void **p = make_load(&n);
	print_stats(NULL);
	cr_assert(strstr(out, "___ strata statistics ___") == out);
	cr_assert_not_null(strstr(out, "allocated: "));
	cr_assert_not_null(strstr(out, "mutex extents:"));
	cr_assert_not_null(strstr(out, "bin 3 (48 B):"));
	cr_assert_not_null(strstr(out, "--- end of strata statistics ---\n"));
	size_t text_len = out_len;
	print_stats("");
	cr_assert_eq(out_len > 0, true);
	cr_assert(text_len > 0);
	free_load(p, n);
}

/* jemalloc's omit letters: g, a, x (and t for the thread list) leave a
 * section out and keep the totals. */
Test(stats_output, omit_letters_leave_sections_out) {
	size_t n;
	void **p = make_load(&n);
	print_stats("");
	cr_assert_not_null(strstr(out, "opt:"));
	cr_assert_not_null(strstr(out, "mutex extents:"));
	size_t full_len = out_len;
	print_stats("gaxt");
	cr_assert_not_null(strstr(out, "allocated: "));
	cr_assert_null(strstr(out, "opt:"), "general section printed");
	cr_assert_null(strstr(out, "bin 3 (48 B):"), "arena section printed");
	cr_assert_null(strstr(out, "mutex extents:"), "mutexes printed");
	cr_assert_null(strstr(out, "threads:"), "thread list printed");
	cr_assert_lt(out_len * 4, full_len, "summary not much shorter");
	print_stats("Jgaxt");
	cr_assert_eq(out[0], '{');
	free_load(p, n);
}

Test(stats_output, json_is_one_document_python_and_jq_accept) {
	size_t n;
	void **p = make_load(&n);
	print_stats("J");
	cr_assert_eq(out[0], '{');
	char path[256];
	save(path, sizeof(path));
	if (!have("python3"))
		cr_skip_test("python3 not installed (tools/bootstrap.sh)");
	cr_assert_eq(run_on("python3 -m json.tool '%s' >/dev/null", path), 0,
	             "python3 -m json.tool rejected the JSON (%s)", path);
	cr_assert_eq(run_on("python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); "
	                    "assert d[\"stats\"][\"allocated\"] > 0; "
	                    "assert \"0\" in d[\"stats\"][\"arenas\"]; "
	                    "assert d[\"stats\"][\"threads\"]' '%s'", path), 0);
	if (have("jq"))
		cr_assert_eq(run_on("jq -e '.stats.arenas[\"0\"].bins[\"0\"].nmalloc "
		                    ">= 1 and .stats.arenas[\"0\"].tier == \"DEFAULT\"' "
		                    "'%s' >/dev/null", path), 0);
	unlink(path);
	free_load(p, n);
}

Test(stats_output, prometheus_text_passes_promtool) {
	size_t n;
	void **p = make_load(&n);
	print_stats("P");
	cr_assert_not_null(strstr(out, "# TYPE strata_allocated_bytes gauge\n"));
	cr_assert_not_null(strstr(out, "strata_arena_bin_nmalloc_total{arena=\"0\",tier=\"DEFAULT\",bin=\"0\",size_class=\"8\"} "));
	cr_assert_not_null(strstr(out, "strata_arena_mapped_bytes{arena=\"0\",tier=\"DEFAULT\"} "),
	                   "the tier labels every metric of an arena");
	cr_assert_not_null(strstr(out, "strata_mutex_num_ops_total{mutex=\"base\"} "));
	char path[256];
	save(path, sizeof(path));
	if (!have("promtool"))
		cr_skip_test("promtool not installed: apt-get install prometheus "
		             "(tools/bootstrap.sh does it)");
	cr_assert_eq(run_on("promtool check metrics < '%s'", path), 0,
	             "promtool check metrics failed on %s", path);
	unlink(path);
	free_load(p, n);
}

/* Every family is one block: HELP, TYPE, then all its samples. */
Test(stats_output, prometheus_families_are_contiguous) {
	print_stats("P");
	char prev[160] = "";
	unsigned families = 0;
	for (char *line = out; *line != '\0';) {
		char *nl = strchr(line, '\n');
		cr_assert_not_null(nl);
		if (strncmp(line, "# TYPE ", 7) == 0) {
			char name[160];
			cr_assert_eq(sscanf(line + 7, "%159s", name), 1);
			cr_assert_str_neq(name, prev);
			char needle[200];
			snprintf(needle, sizeof(needle), "# TYPE %s ", name);
			cr_assert_eq(strstr(nl, needle), NULL, "%s twice", name);
			snprintf(prev, sizeof(prev), "%s", name);
			families++;
		}
		line = nl + 1;
	}
	cr_assert_gt(families, 40);
}

Test(stats_output, printing_allocates_nothing) {
	uint64_t before = 0, after = 0;
	size_t len = sizeof(uint64_t);
	const char *forms[] = { "", "J", "P" };
	for (unsigned f = 0; f < 3; f++) {
		cr_assert_eq(strata_ctl("thread.allocated", &before, &len, NULL,
		                        0), 0);
		print_stats(forms[f]);
		cr_assert_eq(strata_ctl("thread.allocated", &after, &len, NULL,
		                        0), 0);
		cr_assert_eq(after, before, "form '%s' allocated", forms[f]);
		cr_assert_gt(out_calls, 0);
	}
}

static volatile int worker_go;
static void *worker(void *arg) {
	void *p = strata_malloc(5000);
	__atomic_store_n((pid_t *)arg, (pid_t)syscall(SYS_gettid), __ATOMIC_RELEASE);
	while (!__atomic_load_n(&worker_go, __ATOMIC_ACQUIRE))
		usleep(1000);
	strata_free(p);
	return NULL;
}

Test(stats_output, live_threads_are_listed_with_their_rate) {
	pid_t tid = 0;
	pthread_t t;
	cr_assert_eq(pthread_create(&t, NULL, worker, &tid), 0);
	while (__atomic_load_n(&tid, __ATOMIC_ACQUIRE) == 0)
		usleep(1000);
	print_stats("");
	char needle[64];
	snprintf(needle, sizeof(needle), "thread %d: allocated 5120 ", (int)tid);
	cr_assert_not_null(strstr(out, needle), "no line for %s", needle);
	snprintf(needle, sizeof(needle), "thread %d: ",
	         (int)syscall(SYS_gettid));
	cr_assert_not_null(strstr(out, needle));
	/* since the previous print the worker allocated nothing */
	print_stats("");
	snprintf(needle, sizeof(needle),
	         "thread %d: allocated 5120 deallocated 0 allocation_rate 0\n",
	         (int)tid);
	cr_assert_not_null(strstr(out, needle), "no line for %s", needle);
	/* while this thread did */
	void *p = strata_malloc(1 << 20);
	print_stats("P");
	snprintf(needle, sizeof(needle),
	         "strata_thread_allocation_rate_bytes_per_second{thread=\"%d\"} ",
	         (int)syscall(SYS_gettid));
	char *line = strstr(out, needle);
	cr_assert_not_null(line);
	cr_assert_gt(strtoull(line + strlen(needle), NULL, 10), 0);
	strata_free(p);
	__atomic_store_n(&worker_go, 1, __ATOMIC_RELEASE);
	pthread_join(t, NULL);
}

Test(stats_output, the_machine_shape_is_a_section_and_an_info_series) {
	char want[128];
	print_stats("P");
	snprintf(want, sizeof(want), "\nstrata_system_info{backend=\"%s\",thp=\"",
	         pages_backend_name());
	cr_assert_not_null(strstr(out, want), "no %s", want);
	snprintf(want, sizeof(want), "\nstrata_system_page_bytes %zu\n",
	         page_bytes);
	cr_assert_not_null(strstr(out, want), "no %s", want);
	print_stats("J");
	snprintf(want, sizeof(want), "\"page\": %zu", page_bytes);
	const char *sys = strstr(out, "\"system\": {");
	cr_assert_not_null(sys);
	cr_assert_not_null(strstr(sys, want));
	snprintf(want, sizeof(want), "\"node_count\": %u", pages_info.node_count);
	cr_assert_not_null(strstr(sys, want));
	cr_assert_not_null(strstr(sys, "\"thp\": \""));
	print_stats("P");
	cr_assert_not_null(strstr(out, "\nstrata_system_node_has_memory{node=\"0\"} "));
	cr_assert_not_null(strstr(out, "\nstrata_system_tier_node_mask{tier=\"0\"} "));
}
