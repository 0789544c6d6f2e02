// SPDX-License-Identifier: Apache-2.0
/*
 * warden-launch: joins a session cgroup, then becomes the agent command.
 *
 *   warden-launch CGROUP_DIR CMD [ARGS...]
 *
 * It moves itself into CGROUP_DIR before exec, so the agent's first
 * instruction already runs inside its session: no window where it is
 * unobserved. If the move fails it refuses to run the command (exit 126).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: warden-launch CGROUP_DIR CMD [ARGS...]\n");
		return 2;
	}
	char procs[4096];
	snprintf(procs, sizeof(procs), "%s/cgroup.procs", argv[1]);
	int fd = open(procs, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, "0\n", 2) != 2) {
		fprintf(stderr, "warden-launch: cannot join session cgroup %s: %s\n", argv[1],
			strerror(errno));
		return 126;
	}
	close(fd);
	execvp(argv[2], argv + 2);
	int err = errno;
	fprintf(stderr, "warden-launch: %s: %s\n", argv[2], strerror(err));
	return err == ENOENT ? 127 : 126;
}
