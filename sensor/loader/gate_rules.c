// SPDX-License-Identifier: Apache-2.0
/*
 * The file gate's rules and marks (see gate.c for the answers): a session's rules added and
 * cleared from the loader's main thread, and the paths they protect marked for fanotify, each
 * directory with its subdirectories, each inode once whoever's rule names it.
 */
#define _GNU_SOURCE
#include "gate_state.h"
#include "map_types.h"
#include "path_match.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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

/* Whether a rule's exception covers path. Called with the lock held, or by the adding thread. */
bool wd_gate_excepted(const struct wd_gate *g, __u32 session, __u32 rule, const char *path)
{
	for (size_t i = 0; i < g->n_rules; i++) {
		const struct rule *r = &g->rules[i];
		if (r->except && r->session == session && r->rule == rule &&
		    wd_path_matches(r->path, false, path))
			return true;
	}
	return false;
}

/*
 * A protected file with more than one name: a hardlink made before the
 * session (one made inside it fails, EXDEV, across the floor's read-only
 * bind) would open the same bytes under a path no rule names. It is marked on
 * its own inode and decided by inode. A file with one name has no other way in.
 */
static void note_linked(struct wd_gate *g, const struct wd_cmd_gate *c, const char *path)
{
	struct stat st;
	if (lstat(path, &st) || !S_ISREG(st.st_mode) || st.st_nlink < 2 ||
	    g->n_linked >= MAX_LINKED || wd_gate_excepted(g, c->session, c->rule, path) ||
	    mark(g, path, false))
		return;
	pthread_mutex_lock(&g->lock);
	g->linked[g->n_linked++] =
	    (struct linked){.session = c->session,
			    .access = c->access & (WD_GATE_READ | WD_GATE_WRITE | WD_GATE_EXEC),
			    .rule = c->rule,
			    .dev = st.st_dev,
			    .ino = st.st_ino};
	pthread_mutex_unlock(&g->lock);
}

/* Marks dir and its subdirectories down to the rule's depth (0: all); for a
 * literal rule, notes the files in them that have other names. */
static int mark_tree(struct wd_gate *g, const struct wd_cmd_gate *c, const char *dir, __u32 level)
{
	int err = mark(g, dir, true);
	if (err || (c->depth && level >= c->depth))
		return err;
	DIR *d = opendir(dir);
	if (!d)
		return 0;
	bool literal = !(c->access & WD_GATE_GLOB);
	struct dirent *e;
	while (!err && (e = readdir(d))) {
		char sub[4096];
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", dir, e->d_name);
		if (e->d_type == DT_DIR)
			err = mark_tree(g, c, sub, level + 1);
		else if (literal && (e->d_type == DT_REG || e->d_type == DT_UNKNOWN))
			note_linked(g, c, sub);
	}
	closedir(d);
	return err;
}

int wd_gate_add(struct wd_gate *g, const struct wd_cmd_gate *c)
{
	struct stat st;
	int err;
	if (g->n_rules >= MAX_RULES) /* only this thread adds: read without the lock */
		return -ENOSPC;
	bool except = c->access & WD_GATE_EXCEPT;
	if (except)
		err = 0; /* nothing to mark: beneath the rule's marks */
	else if (stat(c->base, &st) == 0)
		err = S_ISDIR(st.st_mode) ? mark_tree(g, c, c->base, 0) : mark(g, c->base, false);
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
	if (!except && !(c->access & WD_GATE_GLOB))
		note_linked(g, c, c->base); /* a protected file itself */
	char *path = strndup(c->path, sizeof(c->path));
	if (!path)
		return -ENOMEM;
	pthread_mutex_lock(&g->lock);
	g->rules[g->n_rules++] = (struct rule){
	    .session = c->session,
	    .access = c->access & (WD_GATE_READ | WD_GATE_WRITE | WD_GATE_EXEC),
	    .glob = !!(c->access & WD_GATE_GLOB),
	    .except = except,
	    .rule = c->rule,
	    .path = path,
	};
	pthread_mutex_unlock(&g->lock);
	return 0;
}

int wd_gate_clear(struct wd_gate *g, __u32 session)
{
	size_t kept = 0;
	pthread_mutex_lock(&g->lock);
	for (size_t i = 0; i < g->n_rules; i++) {
		if (g->rules[i].session == session)
			free(g->rules[i].path);
		else
			g->rules[kept++] = g->rules[i];
	}
	g->n_rules = kept;
	kept = 0;
	for (size_t i = 0; i < g->n_linked; i++)
		if (g->linked[i].session != session)
			g->linked[kept++] = g->linked[i];
	g->n_linked = kept;
	pthread_mutex_unlock(&g->lock);
	/* marks are shared by path and cheap for other processes (no stash: allowed at once);
	 * they go when no rule is left */
	if (!g->n_rules) {
		fanotify_mark(g->fd, FAN_MARK_FLUSH, 0, AT_FDCWD, NULL);
		g->n_marks = 0;
		memset(g->marks, 0, sizeof(g->marks));
	}
	return 0;
}
