/*
 * fork_stdio.c — fork() while other threads flush, read and allocate.
 *
 * One thread loops on fflush(NULL) (glibc: the stream-list lock held while
 * it waits for each stream's lock), four read a file through stdio and
 * allocate while holding their stream (a stream's first read allocates its
 * buffer), two more allocate and free; the main thread forks argv[1]
 * times, the child allocates, writes through stdio and exits.  Exits 0
 * when every fork completed and every child exited 0; a deadlock is a
 * hang, ended by the alarm (exit by SIGALRM) or the test's timeout.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static atomic_bool stop;
static char path[64];

static void *flusher(void *arg) {
	(void)arg;
	while (!atomic_load(&stop))
		fflush(NULL);
	return NULL;
}

static void *reader(void *arg) {
	(void)arg;
	char line[128];
	while (!atomic_load(&stop)) {
		FILE *f = fopen(path, "r");
		if (f == NULL)
			continue;
		flockfile(f);
		while (fgets(line, sizeof(line), f) != NULL) {
			char *volatile p = malloc(strlen(line) + 1 + 3000);
			strcpy(p, line);
			free(p);
		}
		funlockfile(f);
		fclose(f);
	}
	return NULL;
}

static void *allocator(void *arg) {
	(void)arg;
	unsigned seed = (unsigned)(size_t)&arg;
	void *keep[64] = { 0 };
	while (!atomic_load(&stop)) {
		seed = seed * 1103515245u + 12345u;
		unsigned i = (seed >> 8) % 64;
		free(keep[i]);
		keep[i] = malloc(16 + (seed >> 12) % 40000);
		if (keep[i] != NULL)
			memset(keep[i], 1, 16);
	}
	for (unsigned i = 0; i < 64; i++)
		free(keep[i]);
	return NULL;
}

int main(int argc, char **argv) {
	int forks = argc > 1 ? atoi(argv[1]) : 300;
	snprintf(path, sizeof(path), "/tmp/strata_fork_stdio.%d", (int)getpid());
	FILE *f = fopen(path, "w");
	for (int i = 0; i < 200; i++)
		fprintf(f, "line %d of the file the readers read\n", i);
	fclose(f);
	alarm(100);
	pthread_t t[7];
	pthread_create(&t[0], NULL, flusher, NULL);
	for (int i = 1; i < 5; i++)
		pthread_create(&t[i], NULL, reader, NULL);
	for (int i = 5; i < 7; i++)
		pthread_create(&t[i], NULL, allocator, NULL);
	int bad = 0;
	for (int i = 0; i < forks; i++) {
		pid_t pid = fork();
		if (pid == 0) {
			char *volatile p = malloc(1000);
			memset(p, 2, 1000);
			fprintf(stdout, "%s", "");
			fflush(stdout);
			free(p);
			_exit(p[0] == 2 ? 0 : 3);
		}
		int st = 0;
		if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) ||
		    WEXITSTATUS(st) != 0)
			bad++;
	}
	atomic_store(&stop, true);
	for (int i = 0; i < 7; i++)
		pthread_join(t[i], NULL);
	unlink(path);
	printf("%d forks, %d failed\n", forks, bad);
	return bad == 0 ? 0 : 1;
}
