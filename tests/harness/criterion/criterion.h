/*
 * criterion.h (plain harness) — the part of Criterion's API the suites use,
 * for builds where Criterion's runner cannot start (ThreadSanitizer: its
 * fork+exec'd worker allocates before the sanitizer runtime is ready and
 * crashes).  The same test sources compile against it unchanged: the
 * sanitized build puts tests/harness/ on the include path ahead of the
 * system headers and does not link libcriterion.
 *
 * What it keeps of Criterion's contract: every test (every parameter of a
 * parameterized test) runs in a process of its own, forked from a runner
 * that allocates nothing after start-up; the suite's .init runs first in
 * that process, then the test, then .fini; a failed assertion ends the test
 * with a line naming file, line and expression; .timeout (seconds, scaled
 * by HARNESS_TIMEOUT_SCALE, default 1) kills a test that overruns it; a
 * test that dies of a signal or exits non-zero failed (so a sanitizer
 * report, which exits non-zero, is a failure).  Options: --jobs=N (tests
 * run N at a time), --filter=SUITE/NAME (run only those; a prefix match,
 * repeatable), --exclude=SUITE/NAME (leave those out; a prefix match,
 * repeatable), others ignored.
 * The last line of output is "N passed, N failed, N skipped".
 */
#ifndef STRATA_PLAIN_HARNESS_H
#define STRATA_PLAIN_HARNESS_H

#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

struct criterion_suite_opts {
	void (*init)(void);
	void (*fini)(void);
	double timeout;
};

struct harness_suite {
	const char *name;
	struct criterion_suite_opts opts;
	struct harness_suite *next;
};

struct harness_params {
	void *base;
	size_t size, count;
};

struct harness_test {
	const char *suite, *name;
	void (*fn)(void);
	struct harness_params (*params)(void);
	void (*param_fn)(void *);
	struct harness_test *next;
};

static struct harness_suite *harness_suites;
static struct harness_test *harness_tests, **harness_tail = &harness_tests;

static inline void harness_add_test(struct harness_test *t) {
	*harness_tail = t; /* registration order is declaration order */
	harness_tail = &t->next;
}

#define HARNESS_SKIP_STATUS 77

__attribute__((noreturn, unused, format(printf, 4, 5))) static void
harness_fail(const char *file, int line, const char *expr, const char *fmt,
             ...) {
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s:%d: assertion failed: %s:%s\n", file, line, expr,
	        msg);
	fflush(NULL);
	exit(1);
}

__attribute__((noreturn, unused, format(printf, 1, 2))) static void
harness_skip(const char *fmt, ...) {
	va_list ap;
	va_start(ap, fmt);
	fputs("skipped: ", stdout);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(NULL);
	exit(HARNESS_SKIP_STATUS);
}

/* The message arguments are optional; " " keeps the format non-empty. */
#define HARNESS_CHECK(cond, text, ...)                                    \
	do {                                                              \
		if (!(cond))                                              \
			harness_fail(__FILE__, __LINE__, text, " " __VA_ARGS__); \
	} while (0)

#define cr_assert(c, ...) HARNESS_CHECK(c, #c, __VA_ARGS__)
#define cr_assert_not(c, ...) HARNESS_CHECK(!(c), "!(" #c ")", __VA_ARGS__)
#define cr_assert_fail(...) HARNESS_CHECK(0, "cr_assert_fail", __VA_ARGS__)
#define cr_assert_eq(a, b, ...) HARNESS_CHECK((a) == (b), #a " == " #b, __VA_ARGS__)
#define cr_assert_neq(a, b, ...) HARNESS_CHECK((a) != (b), #a " != " #b, __VA_ARGS__)
#define cr_assert_lt(a, b, ...) HARNESS_CHECK((a) < (b), #a " < " #b, __VA_ARGS__)
#define cr_assert_leq(a, b, ...) HARNESS_CHECK((a) <= (b), #a " <= " #b, __VA_ARGS__)
#define cr_assert_gt(a, b, ...) HARNESS_CHECK((a) > (b), #a " > " #b, __VA_ARGS__)
#define cr_assert_geq(a, b, ...) HARNESS_CHECK((a) >= (b), #a " >= " #b, __VA_ARGS__)
#define cr_assert_null(a, ...) HARNESS_CHECK((a) == NULL, #a " == NULL", __VA_ARGS__)
#define cr_assert_not_null(a, ...) HARNESS_CHECK((a) != NULL, #a " != NULL", __VA_ARGS__)
#define cr_assert_str_eq(a, b, ...) \
	HARNESS_CHECK(strcmp((a), (b)) == 0, #a " equals " #b, __VA_ARGS__)
#define cr_assert_str_neq(a, b, ...) \
	HARNESS_CHECK(strcmp((a), (b)) != 0, #a " differs from " #b, __VA_ARGS__)
#define cr_assert_str_empty(a, ...) \
	HARNESS_CHECK((a)[0] == '\0', #a " is empty", __VA_ARGS__)
#define cr_skip_test(...) harness_skip(" " __VA_ARGS__)
#define cr_log_info(...) (printf(__VA_ARGS__), putchar('\n'))

#define TestSuite(suite, ...)                                              \
	static struct harness_suite harness_suite_##suite = {              \
		#suite, { __VA_ARGS__ }, NULL };                           \
	__attribute__((constructor)) static void harness_reg_suite_##suite(void) { \
		harness_suite_##suite.next = harness_suites;               \
		harness_suites = &harness_suite_##suite;                   \
	}

#define HARNESS_REGISTER(suite, name, fn_, params_, param_fn_)             \
	static struct harness_test harness_test_##suite##_##name = {       \
		#suite, #name, fn_, params_, param_fn_, NULL };            \
	__attribute__((constructor)) static void harness_reg_##suite##_##name(void) { \
		harness_add_test(&harness_test_##suite##_##name);          \
	}

#define Test(suite, name)                                                  \
	static void harness_fn_##suite##_##name(void);                     \
	HARNESS_REGISTER(suite, name, harness_fn_##suite##_##name, NULL, NULL) \
	static void harness_fn_##suite##_##name(void)


static const struct criterion_suite_opts *
harness_suite_opts(const char *name) {
	static const struct criterion_suite_opts none = { NULL, NULL, 0 };
	for (struct harness_suite *s = harness_suites; s != NULL; s = s->next)
		if (strcmp(s->name, name) == 0)
			return &s->opts;
	return &none;
}

/* In the test's own process: never returns. */
__attribute__((noreturn)) static void
harness_run_one(const struct harness_test *t, size_t param) {
	const struct criterion_suite_opts *o = harness_suite_opts(t->suite);
	const char *scale = getenv("HARNESS_TIMEOUT_SCALE");
	double timeout = o->timeout * (scale != NULL ? atof(scale) : 1.0);
	if (timeout > 0)
		alarm((unsigned)timeout + 1);
	if (o->init != NULL)
		o->init();
	if (t->fn != NULL) {
		t->fn();
	} else {
		struct harness_params p = t->params();
		t->param_fn((char *)p.base + param * p.size);
	}
	if (o->fini != NULL)
		o->fini();
	fflush(NULL);
	exit(0); /* exit, not _exit: sanitizers report and set the status here */
}

struct harness_job {
	pid_t pid;
	const struct harness_test *t;
	size_t param;
};

struct harness_counts {
	unsigned passed, failed, skipped;
};

static void harness_reap(struct harness_job *jobs, unsigned *running,
                         struct harness_counts *c) {
	int status;
	pid_t pid = wait(&status);
	if (pid < 0) {
		perror("harness: wait");
		exit(2);
	}
	for (unsigned i = 0; i < *running; i++) {
		if (jobs[i].pid != pid)
			continue;
		const struct harness_test *t = jobs[i].t;
		char param[32] = "";
		if (t->fn == NULL)
			snprintf(param, sizeof(param), "[%zu]", jobs[i].param);
		if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
			c->passed++;
		} else if (WIFEXITED(status) &&
		           WEXITSTATUS(status) == HARNESS_SKIP_STATUS) {
			c->skipped++;
		} else {
			c->failed++;
			if (WIFSIGNALED(status))
				printf("[FAIL] %s::%s%s: killed by signal %d%s\n",
				       t->suite, t->name, param, WTERMSIG(status),
				       WTERMSIG(status) == SIGALRM ? " (timeout)" : "");
			else
				printf("[FAIL] %s::%s%s: exit status %d\n", t->suite,
				       t->name, param, WEXITSTATUS(status));
		}
		fflush(stdout);
		jobs[i] = jobs[--*running];
		return;
	}
}

static bool harness_matches(const struct harness_test *t, const char *prefix) {
	char full[256];
	snprintf(full, sizeof(full), "%s/%s", t->suite, t->name);
	return strncmp(full, prefix, strlen(prefix)) == 0;
}

static bool harness_selected(const struct harness_test *t, int argc,
                             char **argv) {
	bool has_filter = false, is_in = false;
	for (int i = 1; i < argc; i++) {
		if (strncmp(argv[i], "--exclude=", 10) == 0 &&
		    harness_matches(t, argv[i] + 10))
			return false;
		if (strncmp(argv[i], "--filter=", 9) == 0) {
			has_filter = true;
			is_in = is_in || harness_matches(t, argv[i] + 9);
		}
	}
	return !has_filter || is_in;
}

int main(int argc, char **argv) {
	unsigned jobs_max = 1;
	for (int i = 1; i < argc; i++)
		if (strncmp(argv[i], "--jobs=", 7) == 0)
			jobs_max = (unsigned)atoi(argv[i] + 7);
	if (jobs_max < 1 || jobs_max > 64)
		jobs_max = 1;
	struct harness_job jobs[64];
	unsigned running = 0;
	struct harness_counts c = { 0, 0, 0 };
	for (const struct harness_test *t = harness_tests; t != NULL; t = t->next) {
		if (!harness_selected(t, argc, argv))
			continue;
		size_t n = t->fn != NULL ? 1 : t->params().count;
		for (size_t k = 0; k < n; k++) {
			if (running == jobs_max)
				harness_reap(jobs, &running, &c);
			fflush(NULL);
			pid_t pid = fork();
			if (pid < 0) {
				perror("harness: fork");
				return 2;
			}
			if (pid == 0)
				harness_run_one(t, k);
			jobs[running++] = (struct harness_job){ pid, t, k };
		}
	}
	while (running > 0)
		harness_reap(jobs, &running, &c);
	printf("%u passed, %u failed, %u skipped\n", c.passed, c.failed,
	       c.skipped);
	return c.failed == 0 ? 0 : 1;
}

#endif
