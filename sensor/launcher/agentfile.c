// SPDX-License-Identifier: Apache-2.0
/*
 * Files a policy protects from the agent's tool processes but lets the agent
 * program itself change (`scope: tools`): its own settings, which the CLI
 * saves as it runs. The file stays bound read-only in the session and
 * guarded by the supervisor, so no process can write it in place, replace,
 * move or link it; only a call from the agent program is done for it here,
 * through the descriptor held since before the binds (or since the
 * supervisor made it for the agent program, if it was not there: then the
 * file gate refuses every open of it for writing in its stead).
 *
 * Who is the agent program, by lineage: the session's first process (the
 * command `warden run` started, after its own execs), and a process whose
 * parent is the agent program and whose image is the agent's: the same
 * executable and, for an interpreter, a script inside the agent's package,
 * started with no option and no environment of its own that loads other code
 * (a CLI relaunching itself; Codex's Node wrapper starting its native binary,
 * which lies in its package). A shell, an MCP server, any command a tool call
 * runs, and everything beneath them, is not the agent program, whatever it
 * runs later.
 *
 * What lineage cannot tell: a tool the agent program runs in its own process
 * (a CLI's built-in file editor). Warden's hooks refuse those before they run
 * (`warden hooks install`), and a save made while a tool call is open is
 * attributed to that call and alerted on (instruction-poisoning).
 */
#define _GNU_SOURCE
#include "agentfile.h"
#include "wholefile.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#define AGENT_FILE_MAX (4 * 1024 * 1024)
#define ANCESTRY_MAX 64

struct wd_agent_file *wd_agent_file_of(struct wd_floor *f, const char *path)
{
	for (size_t i = 0; i < f->n_agent_file; i++)
		if (!strcmp(f->agent_files[i].path, path))
			return &f->agent_files[i];
	return NULL;
}

/*
 * The file held for the agent program. One that was not there at start is made now, whole before
 * it has a name (an O_TMPFILE linked in, as the agent's umask and ids have it), and held from then
 * on: it has no read-only bind, but the file gate refuses every open of it for writing, the
 * supervisor's own included, and the supervisor every name made for it or moved over it.
 */
static int held(struct wd_agent_file *a, const struct where *to)
{
	if (a->fd >= 0)
		return 0;
	struct stat st;
	/* there, and not the file held: not the agent program's to change */
	if (fstatat(to->dir, to->base, &st, AT_SYMLINK_NOFOLLOW) == 0)
		return -EACCES;
	/* only in the directory that was there at start, which the file gate watches: in one made
	 * since, nothing would refuse a tool's open of the new file for writing */
	if (!a->parent_ino || fstat(to->dir, &st) || st.st_dev != a->parent_dev ||
	    st.st_ino != a->parent_ino)
		return -EACCES;
	int made = wd_make_named(to, 0666, NULL, 0);
	if (made < 0)
		return made;
	a->fd = made;
	return 0;
}

/* A process's image: its executable (identity and real path), and its argv. */
struct image {
	dev_t dev;
	ino_t ino;
	char exe[PATH_MAX];
	char argv[8192];
	size_t argv_len;
};

static bool read_image(pid_t pid, struct image *im)
{
	char p[64];
	struct stat st;
	snprintf(p, sizeof(p), "/proc/%d/exe", pid);
	if (stat(p, &st))
		return false;
	im->dev = st.st_dev;
	im->ino = st.st_ino;
	ssize_t n = readlink(p, im->exe, sizeof(im->exe) - 1);
	if (n <= 0)
		return false;
	im->exe[n] = 0;
	snprintf(p, sizeof(p), "/proc/%d/cmdline", pid);
	int fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, im->argv, sizeof(im->argv) - 1);
	close(fd);
	if (n <= 0)
		return false;
	im->argv_len = (size_t)n;
	im->argv[n] = 0;
	return true;
}

static pid_t parent_of(pid_t pid)
{
	char p[64], buf[512];
	snprintf(p, sizeof(p), "/proc/%d/stat", pid);
	int fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	/* pid (comm) state ppid: comm may hold spaces and parentheses, the last ')' ends it */
	char *end = strrchr(buf, ')');
	int ppid;
	return end && sscanf(end + 1, " %*c %d", &ppid) == 1 ? ppid : -1;
}

/* An option that makes an interpreter run code other than its script. */
static bool loads_code(const char *opt)
{
	static const char *const prefixes[] = {"--env-file",
					       "--preload",
					       "-r",
					       "--require",
					       "--import",
					       "--loader",
					       "--experimental-loader",
					       "-e",
					       "--eval",
					       "-p",
					       "--print",
					       "--inspect",
					       "-i",
					       "--interactive",
					       "-c",
					       "-m"};
	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		size_t n = strlen(prefixes[i]);
		if (!strncmp(opt, prefixes[i], n) &&
		    (opt[n] == 0 || opt[n] == '=' || (prefixes[i][1] == '-' && opt[n] == '-')))
			return true;
	}
	return false;
}

/* The script an interpreter image runs: argv's first operand, after options that load nothing.
 * Empty: none (a native program). NULL: an option that loads other code, or no script. */
static const char *script_of(const struct image *im)
{
	size_t at = strlen(im->argv) + 1;
	if (at >= im->argv_len)
		return "";
	while (at < im->argv_len) {
		const char *a = im->argv + at;
		if (a[0] != '-')
			return a;
		if (loads_code(a) || !strcmp(a, "--"))
			return NULL;
		at += strlen(a) + 1;
	}
	return NULL;
}

/* A process's script by its real path: a relative one is relative to the process's cwd. */
static bool real_script(pid_t pid, const char *script, char *out)
{
	char p[PATH_MAX + 64];
	if (script[0] == '/')
		snprintf(p, sizeof(p), "%s", script);
	else
		snprintf(p, sizeof(p), "/proc/%d/cwd/%s", pid, script);
	return realpath(p, out) != NULL;
}

/* The directory of the package a script or program lies in: the nearest one with a
 * package.json, else its own directory. */
static bool package_of(const char *real_file, char *out, size_t size)
{
	char real[PATH_MAX], probe[PATH_MAX + 16];
	snprintf(real, sizeof(real), "%s", real_file);
	for (char *slash = strrchr(real, '/'); slash && slash > real; slash = strrchr(real, '/')) {
		*slash = 0;
		snprintf(probe, sizeof(probe), "%s/package.json", real);
		if (access(probe, F_OK) == 0) {
			snprintf(out, size, "%s", real);
			return true;
		}
	}
	snprintf(real, sizeof(real), "%s", real_file);
	char *slash = strrchr(real, '/');
	if (!slash || slash == real)
		return false; /* a program in / names no package */
	*slash = 0;
	snprintf(out, size, "%s", real);
	return true;
}

static bool beneath(const char *path, const char *dir)
{
	size_t n = strlen(dir);
	return !strncmp(path, dir, n) && path[n] == '/';
}

/* Variables that make a program load code other than its own. */
static const char *const LOADING_ENV[] = {
    "LD_PRELOAD=", "LD_AUDIT=",	     "LD_LIBRARY_PATH=", "NODE_OPTIONS=", "NODE_PATH=",
    "PYTHONPATH=", "PYTHONSTARTUP=", "PYTHONHOME=",	 "PERL5OPT=",	  "PERL5LIB=",
    "RUBYOPT=",	   "RUBYLIB=",	     "BUN_OPTIONS="};
#define N_LOADING_ENV (sizeof(LOADING_ENV) / sizeof(LOADING_ENV[0]))

/* A process's code-loading variables, each "NAME=value" or NULL (unset); false: unreadable. */
static bool loading_env(pid_t pid, char *buf, size_t size, const char *vals[N_LOADING_ENV])
{
	char p[64];
	snprintf(p, sizeof(p), "/proc/%d/environ", pid);
	int fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	ssize_t n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0 || (size_t)n == size - 1)
		return false; /* unreadable, or too large to be sure of */
	buf[n] = 0;
	for (size_t k = 0; k < N_LOADING_ENV; k++)
		vals[k] = NULL;
	for (ssize_t at = 0; at < n; at += (ssize_t)strlen(buf + at) + 1)
		for (size_t k = 0; k < N_LOADING_ENV; k++)
			if (!strncmp(buf + at, LOADING_ENV[k], strlen(LOADING_ENV[k])))
				vals[k] = buf + at;
	return true;
}

/* The agent program's environment is the one it was started with: a process whose code-loading
 * variables differ from the first process's (a preload, a module path) is not the agent's. */
static bool loads_other_code(pid_t pid, pid_t root)
{
	static char a[65536], b[65536];
	const char *mine[N_LOADING_ENV], *roots[N_LOADING_ENV];
	if (!loading_env(pid, a, sizeof(a), mine) || !loading_env(root, b, sizeof(b), roots))
		return true;
	for (size_t k = 0; k < N_LOADING_ENV; k++)
		if ((mine[k] == NULL) != (roots[k] == NULL) ||
		    (mine[k] && strcmp(mine[k], roots[k])))
			return true;
	return false;
}

/* `im` (process `pid`) is one of the agent's images, the agent's first process's being `root`. */
static bool agent_image(const struct image *root, const char *root_package, pid_t pid,
			const struct image *im)
{
	const char *script = script_of(im), *root_script = script_of(root);
	if (!script || !root_script)
		return false;
	if (im->dev == root->dev && im->ino == root->ino) {
		if (!*root_script)
			return !*script; /* a native agent: itself again */
		char real[PATH_MAX];
		return *script && root_package[0] && real_script(pid, script, real) &&
		       beneath(real, root_package);
	}
	/* another program: one inside the agent's package (Codex's native binary) */
	return !*script && root_package[0] && *root_script && beneath(im->exe, root_package);
}

bool wd_is_agent(const struct wd_floor *f, pid_t pid)
{
	if (f->agent_pid <= 0)
		return false;
	struct image *root = calloc(1, sizeof(*root)), *im = calloc(1, sizeof(*im));
	char package[PATH_MAX] = "";
	bool agent = false;
	if (!root || !im || !read_image(f->agent_pid, root))
		goto out;
	const char *root_script = script_of(root);
	char real[PATH_MAX];
	if (root_script && *root_script &&
	    !(real_script(f->agent_pid, root_script, real) &&
	      package_of(real, package, sizeof(package))))
		package[0] = 0;
	for (int depth = 0; depth < ANCESTRY_MAX; depth++) {
		if (pid == f->agent_pid) {
			agent = true;
			break;
		}
		if (!read_image(pid, im) || loads_other_code(pid, f->agent_pid) ||
		    !agent_image(root, package, pid, im))
			break;
		bool interpreted = im->dev == root->dev && im->ino == root->ino && *script_of(im);
		pid = parent_of(pid);
		if (pid <= 1)
			break; /* reparented to init: the agent program did not start it */
		/* a process can rewrite its own argv: an interpreter's script is believed only of
		 * one started by the interpreter running the agent (a CLI relaunching itself),
		 * never of one a native part of the agent started with arguments a model may have
		 * chosen */
		struct stat parent;
		char exe[64];
		snprintf(exe, sizeof(exe), "/proc/%d/exe", pid);
		if (interpreted && pid != f->agent_pid &&
		    (stat(exe, &parent) || parent.st_dev != root->dev ||
		     parent.st_ino != root->ino))
			break;
	}
out:
	free(root);
	free(im);
	return agent;
}

int wd_agent_file_open(struct wd_agent_file *a, const struct where *to, int listener,
		       unsigned long long id, int flags)
{
	int err = held(a, to);
	if (err)
		return err;
	/* one open file shared with the supervisor: placed as the call asked */
	int fl = fcntl(a->fd, F_GETFL);
	if (fl < 0 || fcntl(a->fd, F_SETFL, (flags & O_APPEND) ? fl | O_APPEND : fl & ~O_APPEND))
		return -errno;
	if ((flags & O_TRUNC) && ftruncate(a->fd, 0))
		return -errno;
	if (lseek(a->fd, 0, (flags & O_APPEND) ? SEEK_END : SEEK_SET) < 0)
		return -errno;
	struct seccomp_notif_addfd add = {
	    .id = id,
	    .flags = SECCOMP_ADDFD_FLAG_SEND,
	    .srcfd = (unsigned)a->fd,
	    .newfd_flags = (flags & O_CLOEXEC) ? O_CLOEXEC : 0,
	};
	/* answered by the kernel with the new descriptor: the call returns it */
	return ioctl(listener, SECCOMP_IOCTL_NOTIF_ADDFD, &add) >= 0 ? 0 : -errno;
}

int wd_agent_file_replace(struct wd_agent_file *a, const struct where *from, const struct where *to)
{
	int src = openat(from->dir, from->base, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (src < 0)
		return -errno;
	size_t len = 0;
	char *bytes = wd_slurp(src, AGENT_FILE_MAX, &len);
	close(src);
	int err = bytes ? held(a, to) : -EACCES; /* not a file, or too large: refused */
	if (!err && !wd_write_whole(a->fd, bytes, len))
		err = -EIO;
	free(bytes);
	if (!err && unlinkat(from->dir, from->base, 0))
		err = -errno;
	return err;
}
