// SPDX-License-Identifier: GPL-2.0
/*
 * spawn-loop N PROGRAM: fork and exec PROGRAM N times, one after the other,
 * waiting for each; prints the time per process.  The workload of the 2010
 * thread this project grew from.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct timespec a, b;
	long n, i;
	double s;

	if (argc < 3) {
		fprintf(stderr, "usage: spawn-loop N PROGRAM [ARG...]\n");
		return 2;
	}
	n = strtol(argv[1], NULL, 0);
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (i = 0; i < n; i++) {
		int status;
		pid_t pid = fork();

		if (pid < 0) {
			perror("fork");
			return 1;
		}
		if (pid == 0) {
			execv(argv[2], argv + 2);
			_exit(127);
		}
		if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status)) {
			fprintf(stderr, "child %ld failed\n", i);
			return 1;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	s = (double)(b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9;
	printf("procs=%ld total_s=%.3f per_proc_ms=%.3f\n", n, s, s * 1e3 / n);
	return 0;
}
