/*
 * runwrap — run a command and report its wall time, CPU time and peak RSS.
 *
 *   runwrap [-o FILE] [-p PRELOAD] [-t SECONDS] -- command [args...]
 *
 * The command's stdout and stderr pass through unchanged.  When it ends, one
 * line is written to FILE (default: stderr):
 *   wall=<s> user=<s> sys=<s> maxrss_kb=<KiB> status=<exit code | 128+signal>
 * Wall time comes from CLOCK_MONOTONIC around fork/wait; CPU time and peak
 * RSS from the rusage that wait4() returns for the child (which includes
 * the child's own waited-for descendants).  With -p, LD_PRELOAD is set to
 * PRELOAD in the child only, so runwrap itself runs on the default malloc.
 * With -t, the command is killed (SIGKILL) after SECONDS and the line
 * reports status=124.  runwrap exits with the reported status.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t timed_out;
static volatile pid_t child;

static void on_alarm(int sig)
{
    (void)sig;
    timed_out = 1;
    if (child > 0)
        kill(child, SIGKILL);
}

static double tv(struct timeval t)
{
    return (double)t.tv_sec + (double)t.tv_usec * 1e-6;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void usage(void)
{
    fprintf(stderr, "usage: runwrap [-o FILE] [-p PRELOAD] [-t SECONDS] -- command [args...]\n");
    exit(125);
}

int main(int argc, char **argv)
{
    const char *out = NULL, *preload = NULL;
    unsigned limit = 0;
    int i = 1;
    for (; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0) {
            i++;
            break;
        } else if (strcmp(argv[i], "-o") == 0 && i + 1 < argc) {
            out = argv[++i];
        } else if (strcmp(argv[i], "-t") == 0 && i + 1 < argc) {
            limit = (unsigned)strtoul(argv[++i], NULL, 10);
        } else if (strcmp(argv[i], "-p") == 0 && i + 1 < argc) {
            preload = argv[++i];
        } else {
            usage();
        }
    }
    if (i >= argc)
        usage();

    double t0 = now();
    pid_t pid = fork();
    if (pid < 0) {
        perror("runwrap: fork");
        return 125;
    }
    if (pid == 0) {
        if (preload && *preload)
            setenv("LD_PRELOAD", preload, 1);
        execvp(argv[i], argv + i);
        fprintf(stderr, "runwrap: %s: %s\n", argv[i], strerror(errno));
        _exit(127);
    }
    child = pid;
    if (limit) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_alarm;
        sigaction(SIGALRM, &sa, NULL);
        alarm(limit);
    }
    int st;
    struct rusage ru;
    while (wait4(pid, &st, 0, &ru) < 0) {
        if (errno != EINTR) {
            perror("runwrap: wait4");
            return 125;
        }
    }
    double wall = now() - t0;
    alarm(0);
    int code = timed_out ? 124 : WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);

    FILE *f = out ? fopen(out, "w") : stderr;
    if (!f) {
        perror("runwrap: output file");
        return 125;
    }
    fprintf(f, "wall=%.4f user=%.4f sys=%.4f maxrss_kb=%ld status=%d\n", wall,
            tv(ru.ru_utime), tv(ru.ru_stime), ru.ru_maxrss, code);
    if (out)
        fclose(f);
    return code;
}
