/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The file gate: fanotify permission events on protected paths, answered on a
 * thread of its own that waits on nothing but its own decision.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include "wire.h"

struct wd_gate;

/* The gate's counters, for the stats frame (the gate_* fields of struct wd_stats). */
struct wd_gate_counters {
	__u64 answered, outsiders, denied, late_denied, late_outsiders;
	__u64 max_wait_ns, max_outsider_ns, queue_drops;
	__u32 deadline_ms, realtime;
};

/* Puts one frame on the output; non-zero when there is no room for it now. */
typedef int (*wd_gate_emit_fn)(const void *frame, size_t size);

/*
 * Starts the gate and its thread. NULL (errno set) when fanotify permission
 * events are unavailable. A session's open still waiting deadline_ns after its
 * syscall began is refused; an outsider is always allowed.
 */
struct wd_gate *wd_gate_new(int stash_map_fd, __u64 deadline_ns);
/* Readable when denial reports are queued for wd_gate_drain. */
int wd_gate_notify_fd(const struct wd_gate *g);
/* Moves queued denial reports to emit, in order, until it has no room. */
void wd_gate_drain(struct wd_gate *g, wd_gate_emit_fn emit);
/* Whether reports are queued: one atomic load, cheap enough to ask before every event. */
bool wd_gate_pending(struct wd_gate *g);
/* Rules are added and cleared from the loader's main thread; the gate thread reads them. */
int wd_gate_add(struct wd_gate *g, const struct wd_cmd_gate *c);
int wd_gate_clear(struct wd_gate *g, __u32 session);
void wd_gate_counters(struct wd_gate *g, struct wd_gate_counters *out);
/* Stops the thread; closing the group allows every pending event. */
void wd_gate_free(struct wd_gate *g);
