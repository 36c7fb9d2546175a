/*
 * expect_abort.h — (shared by the suites) run a misuse of the allocator in
 * a child process and check how the allocator reacted: killed by SIGABRT after writing exactly
 * one line on stderr that starts "strata: " and names the pointer as %p
 * prints it.  The child's stderr is a pipe the parent drains before it
 * waits, so a report of any length cannot block the child.
 */
#ifndef STRATA_TEST_EXPECT_ABORT_H
#define STRATA_TEST_EXPECT_ABORT_H

#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct child_outcome {
	int status;       /* from waitpid */
	char text[2048];  /* what the child wrote on stderr */
	size_t len;
} child_outcome_t;

/* Under qemu-user (the AArch64 suites) the emulator itself writes one line
 * when the program it runs dies of a signal; it is not the allocator's. */
static inline void drop_emulator_line(child_outcome_t *out) {
	static const char mark[] = "qemu: uncaught target signal ";
	char *line = strstr(out->text, mark);
	if (line != NULL && (line == out->text || line[-1] == '\n') &&
	    strchr(line, '\n') == out->text + out->len - 1) {
		*line = '\0';
		out->len = (size_t)(line - out->text);
	}
}

/* Runs misuse(arg) in a child with stderr on a pipe.  A child that returns
 * from misuse exits 0, which the checks below treat as a failure. */
static inline child_outcome_t run_in_child(void (*misuse)(void *), void *arg) {
	child_outcome_t out;
	memset(&out, 0, sizeof(out));
	int fds[2];
	cr_assert_eq(pipe(fds), 0);
	fflush(NULL);
	pid_t pid = fork();
	cr_assert_neq(pid, -1, "fork failed");
	if (pid == 0) {
		struct rlimit no_core = { 0, 0 };
		setrlimit(RLIMIT_CORE, &no_core); /* the abort is expected */
		close(fds[0]);
		dup2(fds[1], STDERR_FILENO);
		close(fds[1]);
		misuse(arg);
		_exit(0);
	}
	close(fds[1]);
	ssize_t n;
	while ((n = read(fds[0], out.text + out.len,
	                 sizeof(out.text) - 1 - out.len)) > 0)
		out.len += (size_t)n;
	close(fds[0]);
	out.text[out.len] = '\0';
	drop_emulator_line(&out);
	cr_assert_eq(waitpid(pid, &out.status, 0), pid);
	return out;
}

/* The child died of SIGABRT after one line "strata: ...<what> <ptr>: ...". */
static inline void expect_abort_naming(void (*misuse)(void *), void *arg,
                                       const void *ptr, const char *what) {
	child_outcome_t out = run_in_child(misuse, arg);
	char ptr_text[64];
	snprintf(ptr_text, sizeof(ptr_text), " %p:", ptr);
	cr_assert(WIFSIGNALED(out.status) && WTERMSIG(out.status) == SIGABRT,
	          "%s %p: child was not aborted (status 0x%x), stderr: '%s'",
	          what, ptr, out.status, out.text);
	cr_assert(out.len > 0 && out.text[out.len - 1] == '\n' &&
	          strchr(out.text, '\n') == out.text + out.len - 1,
	          "%s %p: stderr is not exactly one line: '%s'", what, ptr,
	          out.text);
	cr_assert(strncmp(out.text, "strata: ", 8) == 0,
	          "report does not start with 'strata: ': '%s'", out.text);
	cr_assert(strstr(out.text, ptr_text) != NULL,
	          "report does not name %p: '%s'", ptr, out.text);
	cr_assert(strstr(out.text, what) != NULL,
	          "report does not say '%s': '%s'", what, out.text);
}

#endif
