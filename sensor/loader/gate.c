// SPDX-License-Identifier: Apache-2.0
/*
 * The file gate. Marks the protected paths with fanotify permission events
 * (FAN_OPEN_PERM, FAN_OPEN_EXEC_PERM) and answers each one on a thread of its
 * own, in microseconds, with no round trip to Node:
 *  - the event names the blocked thread (FAN_REPORT_TID); the sensor's stash
 *    for that thread says its session and the open flags it asked for. No
 *    stash: not a session's process (Warden's own included), allowed at once,
 *    before any session's event of the same read is looked at;
 *  - the file's path is matched against the session's rules: a prefix, or an
 *    fnmatch pattern with extglob; read, write or exec per rule.
 * The thread waits on nothing but its fanotify queue: not on the event stream,
 * the loader's stdout or Node. Denials are reported through a bounded queue
 * that the main thread drains; when it is full a report is dropped and counted,
 * never waited for. Each decision is bounded: a session's open still waiting
 * `deadline` after its syscall began is refused (fail closed), and counted.
 * The thread runs SCHED_FIFO where it may, so a loaded machine does not
 * starve the answers that every gated open on the host waits for.
 * Directories are marked with their subdirectories (walked at add time, to
 * `depth` levels, 4096 at most): fanotify marks do not recurse by themselves.
 * A directory is marked once however many sessions' rules name it (the
 * daemon's sensor serves them all), so the budget is of distinct directories.
 * The gate never opens a file under a mark: it would wait on itself.
 */
#define _GNU_SOURCE
#include "gate.h"
#include "gate_state.h"
#include "map_types.h"
#include "path_match.h"
#include <stdbool.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/eventfd.h>
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

static __u64 now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void *gate_thread(void *arg);

struct wd_gate *wd_gate_new(int stash_map_fd, __u64 deadline_ns)
{
	struct wd_gate *g = calloc(1, sizeof(*g));
	if (!g)
		return NULL;
	/* unlimited queue: an overflowing queue would allow permission events unanswered */
	g->fd = fanotify_init(FAN_CLASS_CONTENT | FAN_CLOEXEC | FAN_NONBLOCK | FAN_REPORT_TID |
				  FAN_UNLIMITED_QUEUE,
			      O_RDONLY | O_LARGEFILE | O_CLOEXEC);
	g->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	g->notify_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	g->stash_fd = stash_map_fd;
	g->deadline_ns = deadline_ns;
	g->n.deadline_ms = (__u32)(deadline_ns / 1000000);
	pthread_mutexattr_t attr;
	pthread_mutexattr_init(&attr);
	pthread_mutexattr_setprotocol(&attr, PTHREAD_PRIO_INHERIT);
	pthread_mutex_init(&g->lock, &attr);
	pthread_mutexattr_destroy(&attr);
	if (g->fd < 0 || g->stop_fd < 0 || g->notify_fd < 0)
		goto fail;
	/* signals are the main thread's: the gate thread is never interrupted */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	errno = pthread_create(&g->thread, NULL, gate_thread, g);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (errno)
		goto fail;
	g->running = true;
	return g;
fail : {
	int err = errno;
	wd_gate_free(g);
	errno = err;
	return NULL;
}
}

int wd_gate_notify_fd(const struct wd_gate *g)
{
	return g->notify_fd;
}

static __u32 access_of(const struct fanotify_event_metadata *m, const struct wd_stash *s)
{
	if (m->mask & FAN_OPEN_EXEC_PERM)
		return WD_GATE_EXEC;
	__u32 f = s->open_flags;
	return (f & O_ACCMODE) != O_RDONLY || (f & (O_CREAT | O_TRUNC)) ? WD_GATE_WRITE
									: WD_GATE_READ;
}

static void answer(struct wd_gate *g, const struct fanotify_event_metadata *m, __u32 response)
{
	struct fanotify_response resp = {.fd = m->fd, .response = response};
	/* the group's own fd: never blocks; a failure leaves nothing waiting that closing
	 * the fd would not also release */
	if (write(g->fd, &resp, sizeof(resp)) < 0 && response == FAN_DENY)
		fprintf(stderr, "warden-sensor: gate: answer: %s\n", strerror(errno));
	close(m->fd);
}

static void max_into(__u64 *max, __u64 v)
{
	if (v > *max)
		*max = v;
}

/* Queues a denial report for the main thread; a full queue drops it, counted. */
static void report(struct wd_gate *g, struct wd_gate_decision *d)
{
	d->hdr.version = WD_WIRE_VERSION;
	d->hdr.type = WD_MSG_GATE;
	d->hdr.size = sizeof(*d);
	struct timespec ts;
	clock_gettime(CLOCK_BOOTTIME, &ts);
	d->hdr.time_ns = (__u64)ts.tv_sec * 1000000000ull + ts.tv_nsec;
	bool queued = false;
	pthread_mutex_lock(&g->lock);
	if (g->q_len < QUEUE) {
		g->queue[(g->q_head + g->q_len) % QUEUE] = *d;
		__atomic_store_n(&g->q_len, g->q_len + 1, __ATOMIC_RELEASE);
		queued = true;
	} else
		g->n.queue_drops++;
	pthread_mutex_unlock(&g->lock);
	__u64 one = 1;
	if (queued && write(g->notify_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		fprintf(stderr, "warden-sensor: gate: notify: %s\n", strerror(errno));
}

/* A session process's open: by its rules, or refused once the deadline has passed. */
static void decide(struct wd_gate *g, const struct fanotify_event_metadata *m,
		   const struct wd_stash *s)
{
	struct wd_gate_decision d = {.session = s->session, .tid = m->pid, .rule = ~0u};
	char link[64], path[4096];
	__u64 t0 = now_ns();
	snprintf(link, sizeof(link), "/proc/self/fd/%d", m->fd);
	ssize_t n = readlink(link, path, sizeof(path) - 1);
	path[n > 0 ? n : 0] = 0;
	d.access = access_of(m, s);
	bool late = s->enter_ns && t0 > s->enter_ns && t0 - s->enter_ns > g->deadline_ns;
	pthread_mutex_lock(&g->lock);
	if (late)
		d.rule = WD_GATE_RULE_DEADLINE;
	for (size_t i = 0; !late && n > 0 && i < g->n_rules; i++) {
		const struct rule *r = &g->rules[i];
		if (!r->except && r->session == s->session && (r->access & d.access) &&
		    wd_path_matches(r->path, r->glob, path) &&
		    !wd_gate_excepted(g, s->session, r->rule, path)) {
			d.rule = r->rule;
			break;
		}
	}
	bool by_inode = !late && d.rule == ~0u && g->n_linked > 0;
	pthread_mutex_unlock(&g->lock);
	struct stat st;
	if (by_inode && fstat(m->fd, &st) == 0) {
		pthread_mutex_lock(&g->lock);
		for (size_t i = 0; i < g->n_linked; i++) {
			const struct linked *l = &g->linked[i];
			if (l->session == s->session && (l->access & d.access) &&
			    l->dev == st.st_dev && l->ino == st.st_ino) {
				d.rule = l->rule;
				break;
			}
		}
		pthread_mutex_unlock(&g->lock);
	}
	d.allowed = d.rule == ~0u;
	if (!d.allowed) {
		/* reported before the answer: the refused syscall's event, which the
		 * answer lets happen, then finds its report queued (see on_event) */
		d.latency_ns = (__u32)(now_ns() - t0);
		snprintf(d.path, sizeof(d.path), "%.*s", (int)sizeof(d.path) - 1, path);
		report(g, &d);
	}
	answer(g, m, d.allowed ? FAN_ALLOW : FAN_DENY);
	__u64 t1 = now_ns();
	pthread_mutex_lock(&g->lock);
	g->n.answered++;
	g->n.denied += !d.allowed;
	g->n.late_denied += late;
	if (s->enter_ns && t1 > s->enter_ns)
		max_into(&g->n.max_wait_ns, t1 - s->enter_ns);
	pthread_mutex_unlock(&g->lock);
}

/*
 * One read of the queue: every outsider is answered first, then each session
 * process in turn. Returns false when nothing was read.
 */
static bool handle_batch(struct wd_gate *g)
{
	static char buf[BATCH * sizeof(struct fanotify_event_metadata)]
	    __attribute__((aligned(__alignof__(struct fanotify_event_metadata))));
	static const struct fanotify_event_metadata *own[BATCH];
	static struct wd_stash stash[BATCH];
	ssize_t len = read(g->fd, buf, sizeof(buf));
	if (len <= 0)
		return false;
	__u64 t_read = now_ns(), slowest = 0;
	size_t n_own = 0, outsiders = 0, late = 0;
	const struct fanotify_event_metadata *m = (void *)buf;
	for (; FAN_EVENT_OK(m, len); m = FAN_EVENT_NEXT(m, len)) {
		if (m->vers != FANOTIFY_METADATA_VERSION || m->fd < 0)
			continue;
		__u64 tid = (__u32)m->pid;
		if (!(m->mask & GATE_MASK))
			close(m->fd);
		else if (n_own < BATCH &&
			 bpf_map_lookup_elem(g->stash_fd, &tid, &stash[n_own]) == 0)
			own[n_own++] = m;
		else {
			answer(g, m, FAN_ALLOW); /* not a session's process */
			__u64 took = now_ns() - t_read;
			outsiders++;
			late += took > g->deadline_ns;
			max_into(&slowest, took);
		}
	}
	pthread_mutex_lock(&g->lock);
	g->n.answered += outsiders;
	g->n.outsiders += outsiders;
	max_into(&g->n.max_outsider_ns, slowest);
	g->n.late_outsiders += late;
	pthread_mutex_unlock(&g->lock);
	for (size_t i = 0; i < n_own; i++)
		decide(g, own[i], &stash[i]);
	return true;
}

static void *gate_thread(void *arg)
{
	struct wd_gate *g = arg;
	struct sched_param sp = {.sched_priority = 1};
	bool realtime = pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp) == 0;
	pthread_mutex_lock(&g->lock);
	g->n.realtime = realtime;
	pthread_mutex_unlock(&g->lock);
	struct pollfd fds[2] = {{.fd = g->fd, .events = POLLIN},
				{.fd = g->stop_fd, .events = POLLIN}};
	for (;;) {
		if (poll(fds, 2, -1) < 0 && errno != EINTR)
			break;
		if (fds[1].revents)
			return NULL;
		if (fds[0].revents & (POLLERR | POLLNVAL))
			break;
		while (handle_batch(g))
			;
	}
	/* never spin at real-time priority, and never leave an open waiting on a gate that
	 * cannot answer: closing the group allows every pending and future event */
	fprintf(stderr, "warden-sensor: gate: its queue failed (%s): the gate is off\n",
		strerror(errno));
	close(g->fd);
	__atomic_store_n(&g->fd_closed, true, __ATOMIC_RELEASE);
	return NULL;
}

void wd_gate_drain(struct wd_gate *g, wd_gate_emit_fn emit)
{
	__u64 count;
	if (read(g->notify_fd, &count, sizeof(count)) < 0 && errno != EAGAIN)
		return;
	for (;;) {
		struct wd_gate_decision d;
		pthread_mutex_lock(&g->lock);
		bool have = g->q_len > 0;
		if (have)
			d = g->queue[g->q_head];
		pthread_mutex_unlock(&g->lock);
		if (!have || emit(&d, sizeof(d)))
			break;
		pthread_mutex_lock(&g->lock);
		g->q_head = (g->q_head + 1) % QUEUE;
		__atomic_store_n(&g->q_len, g->q_len - 1, __ATOMIC_RELEASE);
		pthread_mutex_unlock(&g->lock);
	}
	/* left in the queue for lack of room: poll again once there is room */
	pthread_mutex_lock(&g->lock);
	bool left = g->q_len > 0;
	pthread_mutex_unlock(&g->lock);
	__u64 one = 1;
	if (left && write(g->notify_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		fprintf(stderr, "warden-sensor: gate: notify: %s\n", strerror(errno));
}

bool wd_gate_pending(struct wd_gate *g)
{
	return __atomic_load_n(&g->q_len, __ATOMIC_ACQUIRE) > 0;
}

void wd_gate_counters(struct wd_gate *g, struct wd_gate_counters *out)
{
	pthread_mutex_lock(&g->lock);
	*out = g->n;
	pthread_mutex_unlock(&g->lock);
}

void wd_gate_free(struct wd_gate *g)
{
	if (!g)
		return;
	if (g->running) {
		__u64 one = 1;
		if (write(g->stop_fd, &one, sizeof(one)) == sizeof(one))
			pthread_join(g->thread, NULL);
	}
	/* closing the group removes its marks and allows pending events */
	if (g->fd >= 0 && !__atomic_load_n(&g->fd_closed, __ATOMIC_ACQUIRE))
		close(g->fd);
	for (size_t i = 0; i < g->n_rules; i++)
		free(g->rules[i].path);
	if (g->stop_fd >= 0)
		close(g->stop_fd);
	if (g->notify_fd >= 0)
		close(g->notify_fd);
	pthread_mutex_destroy(&g->lock);
	free(g);
}
