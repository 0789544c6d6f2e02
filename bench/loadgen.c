// SPDX-License-Identifier: Apache-2.0
/*
 * loadgen: a tight loop of one kind of operation, each timed, for the benchmarks.
 *
 *   loadgen openclose N PATH       open(PATH) + close, N times
 *   loadgen connect N PORT [ADDR]  TCP connect to ADDR (127.0.0.1):PORT + close, N times
 *   loadgen forkexec N             fork + exec /bin/true + wait, N times
 *   loadgen failopen N [RATE]      failing opens (one event each), RATE per second (0: flat out)
 *
 * Prints one JSON line: op, n, total_s and per-operation percentiles in ns.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;
	return x < y ? -1 : x > y;
}

static const char *addr = "127.0.0.1";

static int one(const char *op, const char *arg, long i)
{
	if (strcmp(op, "openclose") == 0) {
		int fd = open(arg, O_RDONLY);
		return fd < 0 ? -1 : close(fd);
	}
	if (strcmp(op, "failopen") == 0) {
		char path[64];
		snprintf(path, sizeof(path), "/nonexistent/warden-bench/%ld", i);
		return open(path, O_RDONLY) < 0 ? 0 : -1;
	}
	if (strcmp(op, "connect") == 0) {
		struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(atoi(arg))};
		inet_pton(AF_INET, addr, &sa.sin_addr);
		int s = socket(AF_INET, SOCK_STREAM, 0);
		int r = connect(s, (struct sockaddr *)&sa, sizeof(sa));
		close(s);
		return r;
	}
	if (strcmp(op, "forkexec") == 0) {
		pid_t pid = fork();
		if (pid == 0) {
			execl("/bin/true", "true", (char *)NULL);
			_exit(127);
		}
		int st;
		waitpid(pid, &st, 0);
		return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
	}
	return -2;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: loadgen openclose|connect|forkexec|failopen N [ARG]\n");
		return 2;
	}
	const char *op = argv[1], *arg = argc > 3 ? argv[3] : "";
	long n = atol(argv[2]);
	double rate = strcmp(op, "failopen") == 0 && argc > 3 ? atof(argv[3]) : 0;
	if (strcmp(op, "connect") == 0 && argc > 4)
		addr = argv[4];
	long long *lat = malloc(sizeof(long long) * n);
	long errors = 0;
	long long start = now_ns();
	for (long i = 0; i < n; i++) {
		if (rate > 0) {
			long long due = start + (long long)(i * 1e9 / rate);
			while (now_ns() < due)
				;
		}
		long long t0 = now_ns();
		if (one(op, arg, i) != 0)
			errors++;
		lat[i] = now_ns() - t0;
	}
	double total = (now_ns() - start) / 1e9;
	qsort(lat, n, sizeof(lat[0]), cmp);
	long long sum = 0;
	for (long i = 0; i < n; i++)
		sum += lat[i];
	printf("{\"op\":\"%s\",\"n\":%ld,\"errors\":%ld,\"total_s\":%.6f,\"mean_ns\":%lld,"
	       "\"p50_ns\":%lld,\"p90_ns\":%lld,\"p99_ns\":%lld,\"p999_ns\":%lld}\n",
	       op, n, errors, total, sum / n, lat[n / 2], lat[n * 9 / 10], lat[n * 99 / 100],
	       lat[n * 999 / 1000]);
	return 0; /* errors are data here: a denied loop fails every time by design */
}
