// SPDX-License-Identifier: Apache-2.0
/*
 * The file gate. Marks the protected paths with fanotify permission events
 * (FAN_OPEN_PERM, FAN_OPEN_EXEC_PERM) and answers each one here, in
 * microseconds, with no round trip to Node:
 *  - the event names the blocked thread (FAN_REPORT_TID); the sensor's stash
 *    for that thread says its session and the open flags it asked for. No
 *    stash: not a session's process, allowed at once;
 *  - the file's path is matched against the session's rules: a prefix, or an
 *    fnmatch pattern with extglob; read, write or exec per rule.
 * Directories are marked with their subdirectories (walked at add time, to
 * `depth` levels, 4096 at most): fanotify marks do not recurse by themselves.
 * A directory is marked once however many sessions' rules name it (the
 * daemon's sensor serves them all), so the budget is of distinct directories.
 * The gate never opens a file under a mark: it would wait on itself.
 */
#define _GNU_SOURCE
#include "gate.h"
#include <stdbool.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fanotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>

#define MAX_RULES 1024
#define MAX_MARKS 4096
#define MARK_SLOTS 8192 /* open addressing, at most half full */
#define GATE_MASK (FAN_OPEN_PERM | FAN_OPEN_EXEC_PERM)

struct marked {
	dev_t dev;
	ino_t ino;
	__u64 mask;
	bool used;
};

struct rule {
	__u32 session, access, rule, glob;
	char *path;
};

struct wd_gate {
	int fd, stash_fd;
	wd_gate_emit_fn emit;
	struct rule rules[MAX_RULES];
	size_t n_rules, n_marks;
	struct marked marks[MARK_SLOTS];
};

static __u64 now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

struct wd_gate *wd_gate_new(int stash_map_fd, wd_gate_emit_fn emit)
{
	struct wd_gate *g = calloc(1, sizeof(*g));
	if (!g)
		return NULL;
	g->fd = fanotify_init(FAN_CLASS_CONTENT | FAN_CLOEXEC | FAN_NONBLOCK | FAN_REPORT_TID,
			      O_RDONLY | O_LARGEFILE | O_CLOEXEC);
	if (g->fd < 0) {
		free(g);
		return NULL;
	}
	g->stash_fd = stash_map_fd;
	g->emit = emit;
	return g;
}

int wd_gate_fd(const struct wd_gate *g)
{
	return g->fd;
}

/* The slot for (dev, ino): where it is, or the free one where it goes. */
static struct marked *slot(struct wd_gate *g, dev_t dev, ino_t ino)
{
	size_t i = (size_t)((ino * 0x9E3779B97F4A7C15ull) ^ dev) % MARK_SLOTS;
	while (g->marks[i].used && (g->marks[i].dev != dev || g->marks[i].ino != ino))
		i = (i + 1) % MARK_SLOTS;
	return &g->marks[i];
}

static int mark(struct wd_gate *g, const char *path, bool dir)
{
	/* No FAN_ONDIR: opening a directory never waits for the gate, so the gate's own
	 * directory walks cannot wait for themselves (that deadlocked). Listing a
	 * protected directory stays possible; reading what is in it does not. */
	__u64 mask = GATE_MASK | (dir ? FAN_EVENT_ON_CHILD : 0);
	struct stat st;
	if (stat(path, &st))
		return -errno;
	struct marked *m = slot(g, st.st_dev, st.st_ino);
	if (m->used && (m->mask & mask) == mask)
		return 0; /* marked already, for another rule or session */
	if (!m->used && g->n_marks >= MAX_MARKS)
		return -ENOSPC;
	if (fanotify_mark(g->fd, FAN_MARK_ADD, mask, AT_FDCWD, path))
		return -errno;
	if (!m->used)
		g->n_marks++;
	*m = (struct marked){
	    .dev = st.st_dev, .ino = st.st_ino, .mask = m->mask | mask, .used = true};
	return 0;
}

/* Marks dir and its subdirectories down to `depth` levels (0: all). */
static int mark_tree(struct wd_gate *g, const char *dir, __u32 depth, __u32 level)
{
	int err = mark(g, dir, true);
	if (err || (depth && level >= depth))
		return err;
	DIR *d = opendir(dir);
	if (!d)
		return 0;
	struct dirent *e;
	while (!err && (e = readdir(d))) {
		char sub[4096];
		if (e->d_type != DT_DIR || !strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", dir, e->d_name);
		err = mark_tree(g, sub, depth, level + 1);
	}
	closedir(d);
	return err;
}

int wd_gate_add(struct wd_gate *g, const struct wd_cmd_gate *c)
{
	struct stat st;
	int err;
	if (g->n_rules >= MAX_RULES)
		return -ENOSPC;
	if (stat(c->base, &st) == 0)
		err = S_ISDIR(st.st_mode) ? mark_tree(g, c->base, c->depth, 0)
					  : mark(g, c->base, false);
	else {
		/* not there yet: watch its directory for it to appear */
		char parent[1024];
		snprintf(parent, sizeof(parent), "%s", c->base);
		char *slash = strrchr(parent, '/');
		if (slash && slash != parent)
			*slash = 0;
		err = stat(parent, &st) == 0 ? mark(g, parent, true) : 0;
	}
	if (err)
		return err;
	struct rule *r = &g->rules[g->n_rules++];
	r->session = c->session;
	r->access = c->access & (WD_GATE_READ | WD_GATE_WRITE | WD_GATE_EXEC);
	r->glob = !!(c->access & WD_GATE_GLOB);
	r->rule = c->rule;
	r->path = strndup(c->path, sizeof(c->path));
	return r->path ? 0 : -ENOMEM;
}

int wd_gate_clear(struct wd_gate *g, __u32 session)
{
	size_t kept = 0;
	for (size_t i = 0; i < g->n_rules; i++) {
		if (g->rules[i].session == session)
			free(g->rules[i].path);
		else
			g->rules[kept++] = g->rules[i];
	}
	g->n_rules = kept;
	/* marks are shared by path and cheap for other processes (no stash: allowed at once);
	 * they go when no rule is left */
	if (!kept) {
		fanotify_mark(g->fd, FAN_MARK_FLUSH, 0, AT_FDCWD, NULL);
		g->n_marks = 0;
		memset(g->marks, 0, sizeof(g->marks));
	}
	return 0;
}

static bool matches(const struct rule *r, const char *path)
{
	if (r->glob)
		return fnmatch(r->path, path, FNM_EXTMATCH) == 0;
	size_t n = strlen(r->path);
	return !strncmp(path, r->path, n) &&
	       (path[n] == 0 || path[n] == '/' || !strcmp(r->path, "/"));
}

static __u32 access_of(const struct fanotify_event_metadata *m, const struct wd_stash *s)
{
	if (m->mask & FAN_OPEN_EXEC_PERM)
		return WD_GATE_EXEC;
	__u32 f = s->open_flags;
	return (f & O_ACCMODE) != O_RDONLY || (f & (O_CREAT | O_TRUNC)) ? WD_GATE_WRITE
									: WD_GATE_READ;
}

static void decide(struct wd_gate *g, const struct fanotify_event_metadata *m)
{
	__u64 t0 = now_ns();
	struct fanotify_response resp = {.fd = m->fd, .response = FAN_ALLOW};
	struct wd_stash s;
	__u64 tid = (__u32)m->pid;

	if (bpf_map_lookup_elem(g->stash_fd, &tid, &s) == 0) {
		char link[64], path[4096];
		snprintf(link, sizeof(link), "/proc/self/fd/%d", m->fd);
		ssize_t n = readlink(link, path, sizeof(path) - 1);
		path[n > 0 ? n : 0] = 0;
		__u32 access = access_of(m, &s);
		struct wd_gate_decision d = {.session = s.session, .tid = m->pid, .access = access};
		d.rule = ~0u;
		d.allowed = 1;
		for (size_t i = 0; n > 0 && i < g->n_rules; i++) {
			const struct rule *r = &g->rules[i];
			if (r->session == s.session && (r->access & access) && matches(r, path)) {
				resp.response = FAN_DENY;
				d.rule = r->rule;
				d.allowed = 0;
				break;
			}
		}
		write(g->fd, &resp, sizeof(resp));
		if (!d.allowed) {
			/* decisions about protected paths only: an allowed session open is not news
			 */
			d.latency_ns = now_ns() - t0;
			snprintf(d.path, sizeof(d.path), "%.*s", (int)sizeof(d.path) - 1, path);
			d.hdr.version = WD_WIRE_VERSION;
			d.hdr.type = WD_MSG_GATE;
			d.hdr.size = sizeof(d);
			struct timespec ts;
			clock_gettime(CLOCK_BOOTTIME, &ts);
			d.hdr.time_ns = (__u64)ts.tv_sec * 1000000000ull + ts.tv_nsec;
			g->emit(&d, sizeof(d));
		}
	} else {
		write(g->fd, &resp, sizeof(resp)); /* not a session's process */
	}
	close(m->fd);
}

void wd_gate_handle(struct wd_gate *g)
{
	char buf[8192] __attribute__((aligned(__alignof__(struct fanotify_event_metadata))));
	for (;;) {
		ssize_t len = read(g->fd, buf, sizeof(buf));
		if (len <= 0)
			return;
		const struct fanotify_event_metadata *m = (void *)buf;
		for (; FAN_EVENT_OK(m, len); m = FAN_EVENT_NEXT(m, len)) {
			if (m->vers != FANOTIFY_METADATA_VERSION || m->fd < 0)
				continue;
			if (m->mask & GATE_MASK)
				decide(g, m);
			else
				close(m->fd);
		}
	}
}

void wd_gate_free(struct wd_gate *g)
{
	if (!g)
		return;
	wd_gate_clear(g, 0);
	for (size_t i = 0; i < g->n_rules; i++)
		free(g->rules[i].path);
	close(g->fd); /* closing the group removes its marks and allows pending events */
	free(g);
}
