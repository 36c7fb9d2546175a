/*
 * thread_exit_free.c — threads that exit while the heap is busy never
 * deadlock the allocator's purger start.
 *
 * glibc frees a dead thread's TLS (its DTV) while it holds the lock of its
 * stack cache, which pthread_create takes: an allocator that starts a
 * thread of its own from inside free() deadlocks there.  Each round, in a
 * fresh child process (so that the purger has not started yet), lanes of
 * short-lived detached threads pass an array of blocks along as in a
 * Larson server simulation: a thread replaces random blocks (free the
 * old, allocate a new), starts its successor and exits.  A round that
 * does not end within argv[3] seconds is killed (SIGALRM) and the test
 * fails.  argv: rounds, generations per lane, seconds per round.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define LANES 4
#define SLOTS 2000
#define OPS 2000

typedef struct lane {
	char *slots[SLOTS];
	long gen, generations;
	unsigned seed;
} lane_t;

static pthread_mutex_t done_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t done_cv = PTHREAD_COND_INITIALIZER;
static int lanes_done;

static size_t next_size(lane_t *l) {
	l->seed = l->seed * 1103515245u + 12345u;
	return 16 + (l->seed >> 8) % 4096;
}

static void *worker(void *arg) {
	lane_t *l = arg;
	for (int i = 0; i < OPS; i++) {
		l->seed = l->seed * 1103515245u + 12345u;
		unsigned k = (l->seed >> 8) % SLOTS;
		free(l->slots[k]);
		size_t size = next_size(l);
		l->slots[k] = malloc(size);
		if (l->slots[k] == NULL)
			abort();
		memset(l->slots[k], (int)k, size);
	}
	if (++l->gen < l->generations) {
		pthread_t next;
		pthread_attr_t attr;
		pthread_attr_init(&attr);
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		if (pthread_create(&next, &attr, worker, l) != 0)
			abort();
		pthread_attr_destroy(&attr);
		return NULL;
	}
	pthread_mutex_lock(&done_mu);
	lanes_done++;
	pthread_cond_signal(&done_cv);
	pthread_mutex_unlock(&done_mu);
	return NULL;
}

static int round_child(long generations, unsigned seconds) {
	alarm(seconds);
	static lane_t lanes[LANES];
	for (int i = 0; i < LANES; i++) {
		lanes[i].generations = generations;
		lanes[i].seed = 12345u + (unsigned)i;
		for (int k = 0; k < SLOTS; k++) {
			size_t size = next_size(&lanes[i]);
			if ((lanes[i].slots[k] = malloc(size)) == NULL)
				return 2;
			memset(lanes[i].slots[k], k, size);
		}
		pthread_t t;
		if (pthread_create(&t, NULL, worker, &lanes[i]) != 0)
			return 2;
		pthread_detach(t);
	}
	pthread_mutex_lock(&done_mu);
	while (lanes_done < LANES)
		pthread_cond_wait(&done_cv, &done_mu);
	pthread_mutex_unlock(&done_mu);
	for (int i = 0; i < LANES; i++)
		for (int k = 0; k < SLOTS; k++)
			free(lanes[i].slots[k]);
	return 0;
}

int main(int argc, char **argv) {
	int rounds = argc > 1 ? atoi(argv[1]) : 8;
	long generations = argc > 2 ? atol(argv[2]) : 300;
	unsigned seconds = argc > 3 ? (unsigned)atoi(argv[3]) : 60;
	int failed = 0;
	for (int r = 0; r < rounds; r++) {
		fflush(stdout);
		pid_t pid = fork();
		if (pid < 0)
			return 2;
		if (pid == 0)
			_exit(round_child(generations, seconds));
		int status;
		if (waitpid(pid, &status, 0) != pid)
			return 2;
		if (WIFSIGNALED(status)) {
			printf("round %d: %s after %u s (a deadlock)\n", r,
			       strsignal(WTERMSIG(status)), seconds);
			failed++;
		} else if (WEXITSTATUS(status) != 0) {
			printf("round %d: exit status %d\n", r,
			       WEXITSTATUS(status));
			failed++;
		}
	}
	printf("%d passed, %d failed\n", rounds - failed, failed);
	return failed == 0 ? 0 : 1;
}
