/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The loader's output (out.c): frames queued for stdout, which is non-blocking, so a reader that
 * falls behind never blocks the loader. Events stop short of a reserve kept for acks and stats;
 * the event that did not fit is held, and the ring buffer left alone, until there is room again.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include "wire.h"

int wd_out_init(void);
void wd_out_free(void);
/* Writes what stdout takes now; -errno when the reader is gone. */
int wd_out_flush(void);
/* At exit: what is left goes out if the reader takes it within a bound, never longer. */
void wd_out_flush_bounded(int timeout_ms);
/* A loader message (ack, stats, ready): it may use the reserve. -ENOSPC: no room now. */
int wd_out_frame(const void *data, size_t size);
bool wd_out_room_for_frame(size_t size);
/* An event or a gate report: -ENOSPC when it must wait for room. */
int wd_out_event(const void *data, size_t size);
/* The event that did not fit (at most WD_FRAME_MAX bytes), kept to go out first. */
void wd_out_hold(const void *data, size_t size);
/* The held event goes out once there is room; true when nothing is held. */
bool wd_out_release(void);
bool wd_out_holding(void);
/* frames queued, not yet written */
bool wd_out_waiting(void);
/* frames put out so far */
__u64 wd_out_frames(void);
/* A frame's header, stamped now (CLOCK_BOOTTIME, as the kernel's events are). */
void wd_frame_header(struct wd_header *h, __u16 type, __u32 size);
