// SPDX-License-Identifier: Apache-2.0
/*
 * warden-launch: joins a session cgroup, applies the launch floor, then
 * becomes the agent command.
 *
 *   warden-launch [--floor FILE] CGROUP_DIR CMD [ARGS...]
 *
 * It moves itself into CGROUP_DIR and applies the floor (floor.c) before exec,
 * so the agent's first instruction already runs inside its session and under
 * its limits. If either step fails it refuses to run the command (exit 126).
 */
#include "floor.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int join_cgroup(const char *dir)
{
	char procs[4096];
	snprintf(procs, sizeof(procs), "%s/cgroup.procs", dir);
	int fd = open(procs, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, "0\n", 2) != 2) {
		fprintf(stderr, "warden-launch: cannot join session cgroup %s: %s\n", dir,
			strerror(errno));
		return -1;
	}
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	static struct wd_floor floor;
	const char *floor_file = NULL;
	int at = 1;
	if (argc > 2 && !strcmp(argv[1], "--floor")) {
		floor_file = argv[2];
		at = 3;
	}
	if (argc - at < 2) {
		fprintf(stderr, "usage: warden-launch [--floor FILE] CGROUP_DIR CMD [ARGS...]\n");
		return 2;
	}
	if (floor_file && wd_floor_read(floor_file, &floor))
		return 126;
	if (join_cgroup(argv[at]))
		return 126;
	if (floor_file && wd_floor_apply(&floor))
		return 126;
	execvp(argv[at + 1], argv + at + 1);
	int err = errno;
	fprintf(stderr, "warden-launch: %s: %s\n", argv[at + 1], strerror(err));
	return err == ENOENT ? 127 : 126;
}
