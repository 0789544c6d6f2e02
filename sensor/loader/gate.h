/* SPDX-License-Identifier: Apache-2.0 */
/* The file gate: fanotify permission events on protected paths, decided here. */
#pragma once
#include <stddef.h>
#include "wire.h"

struct wd_gate;
typedef int (*wd_gate_emit_fn)(const void *frame, size_t size);

/* NULL (errno set) when fanotify permission events are unavailable. */
struct wd_gate *wd_gate_new(int stash_map_fd, wd_gate_emit_fn emit);
int wd_gate_fd(const struct wd_gate *g);
int wd_gate_add(struct wd_gate *g, const struct wd_cmd_gate *c);
int wd_gate_clear(struct wd_gate *g, __u32 session);
/* Answers every pending permission event. */
void wd_gate_handle(struct wd_gate *g);
void wd_gate_free(struct wd_gate *g);
