/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The file gate's state, shared by its two halves: the rules and marks the main thread adds
 * (gate_rules.c) and the thread that answers by them (gate.c).
 */
#pragma once
#include "gate.h"
#include <pthread.h>
#include <stdbool.h>
#include <sys/fanotify.h>
#include <sys/types.h>

#define MAX_RULES 1024
#define MAX_MARKS 4096
#define MARK_SLOTS 8192 /* open addressing, at most half full */
#define GATE_MASK (FAN_OPEN_PERM | FAN_OPEN_EXEC_PERM)
#define MAX_LINKED 1024 /* protected files with other names (hardlinks), by inode */
#define QUEUE 1024	/* denial reports waiting for the main thread */
#define BATCH 512	/* events per read of the fanotify queue */

struct marked {
	dev_t dev;
	ino_t ino;
	__u64 mask;
	bool used;
};

struct rule {
	__u32 session, access, rule, glob;
	bool except; /* path (a prefix) is not covered by the rule numbered `rule` */
	char *path;
};

/* A protected file that has other names: a rule holds for it whatever name opens it. */
struct linked {
	__u32 session, access, rule;
	dev_t dev;
	ino_t ino;
};

struct wd_gate {
	int fd, stash_fd;
	int stop_fd;   /* eventfd: the thread stops */
	int notify_fd; /* eventfd: reports are queued */
	__u64 deadline_ns;
	pthread_t thread;
	bool running;
	bool fd_closed; /* the thread gave up on a failed queue and closed it */
	/* the rules and the report queue, shared by the two threads; priority
	 * inheritance: the gate thread must never wait behind a preempted holder */
	pthread_mutex_t lock;
	struct rule rules[MAX_RULES];
	size_t n_rules;
	struct linked linked[MAX_LINKED];
	size_t n_linked;
	struct wd_gate_decision queue[QUEUE];
	size_t q_head, q_len;
	struct wd_gate_counters n; /* written by the gate thread, read under lock */
	/* the main thread's alone */
	size_t n_marks;
	struct marked marks[MARK_SLOTS];
};

/* Whether a rule's exception covers path. Called with the lock held, or by the adding thread. */
bool wd_gate_excepted(const struct wd_gate *g, __u32 session, __u32 rule, const char *path);
