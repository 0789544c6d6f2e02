// SPDX-License-Identifier: Apache-2.0
/*
 * The supervisor: the session's init decides every call that creates, moves
 * or links a name (seccomp sends them here, see floor.c), so a protected path
 * that does not exist yet stays that way, and a protected path that does
 * cannot be moved or linked away.
 *
 * No check-then-use race: a mkdir, mknod, symlink, link or rename is done
 * here, on the agent's behalf, on the directories this process resolved and
 * checked (the agent's memory is read once; a name swapped afterwards changes
 * nothing). The supervisor runs under the same capability set, no_new_privs
 * and Landlock domain as the agent, with its umask and fsuid, so it can do
 * nothing the agent could not. An open with O_CREAT is checked and, if it
 * names no protected path, let through: the kernel re-reads that path, so the
 * file gate (fanotify, by path) stays the backstop for it.
 *
 * Protected, for a creating call's target T:
 *   T is a guarded path or beneath one (or matches a guard's glob);
 *   a rename or symlink onto an ancestor of a guarded path that would bring
 *   that path into being (a directory that holds its next component, any
 *   symlink);
 * and for a rename's or link's source: it is a guarded path, or (rename)
 * holds one.
 */
#define _GNU_SOURCE
#include "supervise.h"
#include "agentfile.h"
#include "gitrewrite.h"
#include "where.h"
#include "path_match.h"
#include <errno.h>
#include <fnmatch.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <seccomp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* A glob guard's literal leading directory: what a rename onto its ancestor could bring in. */
static size_t glob_base_len(const char *glob)
{
	size_t first = strcspn(glob, "*?[]{}()!");
	while (first > 0 && glob[first] != '/')
		first--;
	return first ? first : 1;
}

/* T is one of the guard's exceptions, or beneath one. */
static bool excepted(const struct wd_guard *g, const char *t)
{
	for (size_t i = 0; i < g->n_except; i++)
		if (wd_path_matches(g->except[i], false, t))
			return true;
	return false;
}

/* T is a guarded path, beneath one, or (for a glob) it or an ancestor matches. */
static bool guarded(const struct wd_floor *f, const char *t)
{
	char buf[PATH_MAX];
	for (size_t i = 0; i < f->n_guard; i++) {
		const struct wd_guard *g = &f->guards[i];
		if (excepted(g, t))
			continue;
		if (!g->glob) {
			if (wd_path_matches(g->pattern, false, t))
				return true;
			continue;
		}
		snprintf(buf, sizeof(buf), "%s", t);
		int flags = FNM_EXTMATCH | (g->pathname ? FNM_PATHNAME : 0);
		for (char *end = buf + strlen(buf); end > buf;) {
			if (fnmatch(g->pattern, buf, flags) == 0)
				return true;
			while (end > buf && *--end != '/')
				;
			*end = 0;
		}
	}
	return false;
}

/* T holds a guarded path strictly beneath it (a glob guard: its literal base, or beneath). */
static bool holds_guard(const struct wd_floor *f, const char *t, char *next, size_t size)
{
	size_t n = strlen(t);
	for (size_t i = 0; i < f->n_guard; i++) {
		const struct wd_guard *g = &f->guards[i];
		size_t base = g->glob ? glob_base_len(g->pattern) : strlen(g->pattern);
		bool inside = base > n && !strncmp(g->pattern, t, n) &&
			      (g->pattern[n] == '/' || !strcmp(t, "/"));
		if (g->glob && base == n && !strncmp(g->pattern, t, n)) {
			snprintf(next, size, "%s",
				 ""); /* t is the base: anything it holds may match */
			return true;
		}
		if (!inside)
			continue;
		const char *rest = g->pattern + n + (strcmp(t, "/") ? 1 : 0);
		snprintf(next, size, "%.*s", (int)strcspn(rest, "/"), rest);
		return true;
	}
	return false;
}

/* What the notified call asks, decided: -errno, or 0 with *done said. */
struct call {
	pid_t pid;
	int mem;
	const unsigned long long *a;
	int nr;
	int listener;	       /* where an answer with a descriptor goes */
	unsigned long long id; /* the notification's */
	bool answered;	       /* the call was answered already (with a descriptor) */
};

static int arg_where(const struct call *c, int dirfd, unsigned long long addr, struct where *w)
{
	char path[PATH_MAX];
	int err = wd_read_string(c->mem, addr, path, sizeof(path));
	return err ? err : wd_locate(c->pid, dirfd, path, w);
}

static int do_rename(struct wd_floor *f, const struct call *c, int odir, unsigned long long o,
		     int ndir, unsigned long long n, unsigned flags)
{
	struct where from, to;
	char next[NAME_MAX + 1];
	int err = arg_where(c, odir, o, &from);
	if (err)
		return err;
	err = arg_where(c, ndir, n, &to);
	if (err) {
		close(from.dir);
		return err;
	}
	struct wd_git_config *judged = wd_git_config_of(f, to.abs);
	struct wd_agent_file *own = wd_agent_file_of(f, to.abs);
	if (guarded(f, from.abs) || holds_guard(f, from.abs, next, sizeof(next)))
		err = -EACCES;
	else if (judged && !flags) {
		err = wd_git_config_rewrite(judged, &from, &to);
		goto out;
	} else if (own && !flags && wd_is_agent(f, c->pid)) {
		/* the agent program saving its own file (written aside, renamed over) */
		err = wd_agent_file_replace(own, &from, &to);
		goto out;
	} else if (guarded(f, to.abs))
		err = -EACCES;
	else if (holds_guard(f, to.abs, next, sizeof(next))) {
		/* a directory arriving where a guarded path would be inside it */
		struct stat st;
		char inner[PATH_MAX];
		snprintf(inner, sizeof(inner), "%s/%s", from.base, next);
		if (fstatat(from.dir, from.base, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    (S_ISLNK(st.st_mode) ||
		     (S_ISDIR(st.st_mode) &&
		      (!*next || fstatat(from.dir, inner, &st, AT_SYMLINK_NOFOLLOW) == 0))))
			err = -EACCES;
	}
	if (!err && syscall(SYS_renameat2, from.dir, from.base, to.dir, to.base, flags))
		err = -errno;
out:
	close(from.dir);
	close(to.dir);
	return err;
}

static int do_link(const struct wd_floor *f, const struct call *c, int odir, unsigned long long o,
		   int ndir, unsigned long long n, int flags)
{
	struct where from = {.dir = -1}, to;
	int err = 0;
	if (!(flags & AT_EMPTY_PATH))
		err = arg_where(c, odir, o, &from);
	if (err)
		return err;
	err = arg_where(c, ndir, n, &to);
	if (err) {
		if (from.dir >= 0)
			close(from.dir);
		return err;
	}
	if (guarded(f, to.abs) || (from.dir >= 0 && guarded(f, from.abs)))
		err = -EACCES;
	else if (from.dir >= 0) {
		if (linkat(from.dir, from.base, to.dir, to.base, flags & AT_SYMLINK_FOLLOW))
			err = -errno;
	} else {
		/* an fd (an O_TMPFILE file): its path names what it is */
		char fdpath[64];
		snprintf(fdpath, sizeof(fdpath), "/proc/%d/fd/%d", c->pid, odir);
		if (linkat(AT_FDCWD, fdpath, to.dir, to.base, AT_SYMLINK_FOLLOW))
			err = -errno;
	}
	if (from.dir >= 0)
		close(from.dir);
	close(to.dir);
	return err;
}

static int do_symlink(const struct wd_floor *f, const struct call *c, unsigned long long target,
		      int ndir, unsigned long long n)
{
	char content[PATH_MAX], next[NAME_MAX + 1];
	struct where to;
	int err = wd_read_string(c->mem, target, content, sizeof(content));
	if (!err)
		err = arg_where(c, ndir, n, &to);
	if (err)
		return err;
	if (guarded(f, to.abs) || holds_guard(f, to.abs, next, sizeof(next)))
		err = -EACCES;
	else if (symlinkat(content, to.dir, to.base))
		err = -errno;
	close(to.dir);
	return err;
}

/* mkdir and mknod: the new name must not be guarded. */
static int do_make(const struct wd_floor *f, const struct call *c, int dir, unsigned long long p,
		   mode_t mode, dev_t dev, bool is_dir)
{
	struct where to;
	int err = arg_where(c, dir, p, &to);
	if (err)
		return err;
	if (guarded(f, to.abs))
		err = -EACCES;
	else if (is_dir ? mkdirat(to.dir, to.base, mode) : mknodat(to.dir, to.base, mode, dev))
		err = -errno;
	close(to.dir);
	return err;
}

/* An open that may create: refused if it names a guarded path, else the kernel does it; an agent
 * file opened by the agent program is handed to it from here. */
static int check_open(struct wd_floor *f, struct call *c, int dir, unsigned long long p, int flags,
		      bool *cont)
{
	struct where to;
	int err = arg_where(c, dir, p, &to);
	*cont = true;
	if (err)
		return 0; /* the kernel will say why (ENOENT, EFAULT, ...) */
	struct wd_agent_file *own = wd_agent_file_of(f, to.abs);
	if (own && !(flags & (O_EXCL | O_DIRECTORY | O_PATH | O_TMPFILE)) &&
	    wd_is_agent(f, c->pid)) {
		*cont = false;
		err = wd_agent_file_open(own, &to, c->listener, c->id, flags);
		c->answered = err == 0;
	} else if (guarded(f, to.abs)) {
		*cont = false;
		err = -EACCES;
	}
	close(to.dir);
	return err;
}

static int decide(struct wd_floor *f, struct call *c, bool *cont)
{
	const unsigned long long *a = c->a;
	*cont = false;
	switch (c->nr) {
	case SYS_mkdir: return do_make(f, c, AT_FDCWD, a[0], a[1], 0, true);
	case SYS_mkdirat: return do_make(f, c, (int)a[0], a[1], a[2], 0, true);
	case SYS_mknod: return do_make(f, c, AT_FDCWD, a[0], a[1], a[2], false);
	case SYS_mknodat: return do_make(f, c, (int)a[0], a[1], a[2], a[3], false);
	case SYS_symlink: return do_symlink(f, c, a[0], AT_FDCWD, a[1]);
	case SYS_symlinkat: return do_symlink(f, c, a[0], (int)a[1], a[2]);
	case SYS_link: return do_link(f, c, AT_FDCWD, a[0], AT_FDCWD, a[1], 0);
	case SYS_linkat: return do_link(f, c, (int)a[0], a[1], (int)a[2], a[3], (int)a[4]);
	case SYS_rename: return do_rename(f, c, AT_FDCWD, a[0], AT_FDCWD, a[1], 0);
	case SYS_renameat: return do_rename(f, c, (int)a[0], a[1], (int)a[2], a[3], 0);
	case SYS_renameat2:
		return do_rename(f, c, (int)a[0], a[1], (int)a[2], a[3], (unsigned)a[4]);
	case SYS_creat: return check_open(f, c, AT_FDCWD, a[0], O_CREAT | O_WRONLY | O_TRUNC, cont);
	case SYS_open: return check_open(f, c, AT_FDCWD, a[0], (int)a[1], cont);
	case SYS_openat: return check_open(f, c, (int)a[0], a[1], (int)a[2], cont);
	case SYS_ptrace:
	case SYS_process_vm_writev: {
		/* asked only where the agent program may change files of its own (floor.c): one of
		 * its tools taking the agent program over would change them through it */
		pid_t target = (pid_t)(c->nr == SYS_ptrace ? a[1] : a[0]);
		if (wd_is_agent(f, target) && !wd_is_agent(f, c->pid))
			return -EPERM;
		*cont = true;
		return 0;
	}
	case SYS_openat2: {
		struct open_how how;
		if (a[3] < sizeof(how.flags) ||
		    pread(c->mem, &how.flags, sizeof(how.flags), (off_t)a[2]) !=
			sizeof(how.flags) ||
		    !(how.flags & O_CREAT)) {
			*cont = true; /* creates nothing, or the kernel refuses it */
			return 0;
		}
		return check_open(f, c, (int)a[0], a[1], (int)how.flags, cont);
	}
	}
	*cont = true;
	return 0;
}

int wd_supervise(int listener, struct wd_floor *f)
{
	struct seccomp_notif *req;
	struct seccomp_notif_resp *resp;
	if (seccomp_notify_alloc(&req, &resp))
		return -1;
	if (seccomp_notify_receive(listener, req)) {
		/* libseccomp says -ECANCELED for every failure; the ioctl's errno says which. The
		 * caller went away (killed, or its call interrupted) between the poll and the read:
		 * nothing to answer, and the next call is served as ever. Only a listener that is
		 * no more is the end of supervision */
		int err = errno;
		seccomp_notify_free(req, resp);
		return err == EBADF || err == EINVAL || err == ENOTTY ? -1 : 0;
	}
	char mem_path[64];
	snprintf(mem_path, sizeof(mem_path), "/proc/%d/mem", req->pid);
	struct call c = {.pid = (pid_t)req->pid,
			 .a = req->data.args,
			 .nr = req->data.nr,
			 .listener = listener,
			 .id = req->id};
	c.mem = open(mem_path, O_RDONLY | O_CLOEXEC);
	/* fail closed: a call whose arguments cannot be read is refused */
	bool cont = false;
	int err = -EACCES;
	/* the id still valid once the memory is open: the pid was not reused meanwhile */
	if (c.mem >= 0 && seccomp_notify_id_valid(listener, req->id) == 0) {
		mode_t was;
		wd_take_identity(c.pid, &was);
		err = decide(f, &c, &cont);
		wd_drop_identity(was);
	}
	if (c.mem >= 0)
		close(c.mem);
	if (c.answered) {
		seccomp_notify_free(req, resp);
		return 0;
	}
	resp->id = req->id;
	resp->val = 0;
	resp->error = cont ? 0 : err;
	resp->flags = cont ? SECCOMP_USER_NOTIF_FLAG_CONTINUE : 0;
	seccomp_notify_respond(listener, resp); /* ENOENT: it was interrupted meanwhile */
	seccomp_notify_free(req, resp);
	return 0;
}
