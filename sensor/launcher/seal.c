// SPDX-License-Identifier: Apache-2.0
/*
 * The sealed room, in the order bubblewrap sets one up: namespaces, then
 * mounts from a list, then (floor.c) privileges dropped, then exec.
 *
 * A read-only bind of a protected path over itself turns every way of
 * changing it into an error the kernel gives whatever the path used: writes
 * and truncation (EROFS), a rename over it or of it and an unlink (EBUSY: it
 * is a mount point), a hardlink into or out of it (EXDEV: another mount). The
 * agent cannot undo a bind: it has no CAP_SYS_ADMIN and seccomp refuses mount
 * and umount. Propagation is one-way (slave): mounts made on the host later
 * still show inside, nothing made inside leaks out.
 */
#define _GNU_SOURCE
#include "seal.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

static int fail(const char *what, const char *path)
{
	fprintf(stderr, "warden-launch: %s%s%s: %s\n", what, path ? " " : "", path ? path : "",
		strerror(errno));
	return -1;
}

/* The flags a remount must keep: dropping a locked one is refused (EPERM). */
static unsigned long kept_flags(const char *path)
{
	static const struct {
		unsigned long st, ms;
	} flags[] = {{ST_NOSUID, MS_NOSUID},	     {ST_NODEV, MS_NODEV},
		     {ST_NOEXEC, MS_NOEXEC},	     {ST_NOATIME, MS_NOATIME},
		     {ST_NODIRATIME, MS_NODIRATIME}, {ST_RELATIME, MS_RELATIME}};
	struct statvfs sv;
	unsigned long keep = 0;
	if (statvfs(path, &sv))
		return 0;
	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++)
		if (sv.f_flag & flags[i].st)
			keep |= flags[i].ms;
	return keep;
}

static int bind_read_only(const char *path)
{
	struct stat st;
	if (lstat(path, &st))
		return errno == ENOENT ? 0 : fail("cannot look at", path); /* gone since: guarded */
	if (S_ISLNK(st.st_mode))
		return 0; /* a bind follows it: the floor lists the target too */
	if (mount(path, path, NULL, MS_BIND | MS_REC, NULL))
		return fail("cannot bind", path);
	if (mount(NULL, path, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | kept_flags(path), NULL))
		return fail("cannot make read-only", path);
	return 0;
}

/*
 * Hides what is at path, read-only: a file (or socket) becomes an empty
 * /dev/null, a directory an empty tmpfs. A socket under a mask is no socket:
 * connect fails whatever name reaches it.
 */
static int mask(const char *path)
{
	struct stat st;
	if (lstat(path, &st))
		return errno == ENOENT ? 0 : fail("cannot look at", path);
	if (S_ISLNK(st.st_mode))
		return 0; /* a mount follows it: the floor lists the target too */
	if (S_ISDIR(st.st_mode)) {
		if (mount("tmpfs", path, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
			  "size=4k,mode=0555"))
			return fail("cannot mask", path);
		return 0;
	}
	if (mount("/dev/null", path, NULL, MS_BIND, NULL) ||
	    mount(NULL, path, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | kept_flags(path), NULL))
		return fail("cannot mask", path);
	return 0;
}

int wd_seal_mounts(struct wd_floor *f)
{
	if (!f->seal)
		return 0;
	/* held for the supervisor before its binds make them read-only: the one way to write a
	 * change to them that it judged (gone or not a file: nothing to hold) */
	for (size_t i = 0; i < f->n_git_config; i++)
		f->git_configs[i].fd =
		    open(f->git_configs[i].path, O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	/* the same for the files the agent program may change itself; a file that is not there
	 * (or not a regular file) stays guarded from everyone: there is nothing to hand over */
	for (size_t i = 0; i < f->n_agent_file; i++) {
		struct stat st;
		int fd = open(f->agent_files[i].path, O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
		if (fd >= 0 && (fstat(fd, &st) || !S_ISREG(st.st_mode))) {
			close(fd);
			fd = -1;
		}
		f->agent_files[i].fd = fd;
		char dir[PATH_MAX];
		snprintf(dir, sizeof(dir), "%s", f->agent_files[i].path);
		char *slash = strrchr(dir, '/');
		if (fd < 0 && slash && slash != dir) {
			*slash = 0;
			if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode)) {
				f->agent_files[i].parent_dev = st.st_dev;
				f->agent_files[i].parent_ino = st.st_ino;
			}
		}
	}
	if (unshare(CLONE_NEWNS | CLONE_NEWPID))
		return fail("cannot make the session's namespaces", NULL);
	if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL))
		return fail("cannot make mounts one-way", NULL);
	/* the floor lists a parent before what is beneath it: an inner bind lands on the
	 * outer one and stays visible */
	for (size_t i = 0; i < f->n_ro; i++)
		if (bind_read_only(f->ro_paths[i]))
			return -1;
	/* a rule's exception inside a read-only path: bound again over itself, writable */
	for (size_t i = 0; i < f->n_rw; i++)
		if (mount(f->rw_paths[i], f->rw_paths[i], NULL, MS_BIND | MS_REC, NULL) &&
		    errno != ENOENT)
			return fail("cannot bind", f->rw_paths[i]);
	for (size_t i = 0; i < f->n_mask; i++)
		if (mask(f->mask_paths[i]))
			return -1;
	return 0;
}

int wd_seal_proc(const struct wd_floor *f)
{
	if (!f->seal)
		return 0;
	/* only the session's processes: a pid outside it cannot even be named */
	if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL))
		return fail("cannot mount the session's /proc", NULL);
	if (f->memfd_noexec) {
		/* per PID namespace, and a child namespace can only raise it */
		int fd = open("/proc/sys/vm/memfd_noexec", O_WRONLY | O_CLOEXEC);
		if (fd < 0 || write(fd, "2", 1) != 1) {
			int err = errno;
			if (fd >= 0)
				close(fd);
			errno = err;
			return fail("cannot refuse executable memfds (vm.memfd_noexec)", NULL);
		}
		close(fd);
	}
	return 0;
}
