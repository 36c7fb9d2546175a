/*
 * fork_signal.c — a single-threaded program whose signal handler forks
 * while the main code is inside fork() or malloc().
 *
 * The main loop allocates, frees and forks; an interval timer's SIGALRM
 * handler forks too (the child _exits at once, as a handler's child
 * should).  argv[1] rounds.  Exits 0 when every fork completed; a
 * deadlock (a prepare step waiting for a lock this very thread holds) is
 * a hang, ended by the watchdog alarm (SIGKILL from the parent).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t handler_forks, handler_failures;

static void on_alarm(int sig) {
	(void)sig;
	int saved = errno;
	pid_t pid = fork();
	if (pid == 0)
		_exit(0);
	if (pid < 0)
		handler_failures++;
	else
		handler_forks++;
	errno = saved;
}

static int run(int rounds) {
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGALRM, &sa, NULL);
	struct itimerval it = { { 0, 1000 }, { 0, 1000 } };
	setitimer(ITIMER_REAL, &it, NULL);
	void *keep[32] = { 0 };
	unsigned seed = 7;
	for (int r = 0; r < rounds; r++) {
		for (int k = 0; k < 200; k++) {
			seed = seed * 1103515245u + 12345u;
			unsigned i = (seed >> 8) % 32;
			free(keep[i]);
			keep[i] = malloc(8 + (seed >> 12) % 20000);
			memset(keep[i], 3, 8);
		}
		pid_t pid = fork();
		if (pid == 0) {
			char *volatile p = malloc(64);
			p[0] = 1;
			_exit(p[0] == 1 ? 0 : 3);
		}
		int st;
		while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
			;
	}
	struct itimerval off = { { 0, 0 }, { 0, 0 } };
	setitimer(ITIMER_REAL, &off, NULL);
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	printf("%d rounds, %d forks from the handler, %d failed\n", rounds,
	       (int)handler_forks, (int)handler_failures);
	fflush(stdout);
	return handler_failures == 0 && handler_forks > 0 ? 0 : 1;
}

int main(int argc, char **argv) {
	int rounds = argc > 1 ? atoi(argv[1]) : 2000;
	/* The work runs in a child so a hang can be ended from outside. */
	pid_t pid = fork();
	if (pid == 0)
		_exit(run(rounds));
	for (int waited = 0; waited < 500; waited++) { /* 50 s */
		int st;
		if (waitpid(pid, &st, WNOHANG) == pid) {
			if (WIFEXITED(st))
				return WEXITSTATUS(st);
			return 1;
		}
		usleep(100000);
	}
	kill(pid, SIGKILL);
	fprintf(stderr, "fork from a signal handler hung\n");
	return 1;
}
