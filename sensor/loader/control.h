/* SPDX-License-Identifier: Apache-2.0 */
/* The commands on the loader's stdin, carried out and acked (control.c). */
#pragma once
#include <stdbool.h>
#include "gate.h"
#include "sensor.skel.h"

struct wd_control {
	struct sensor_bpf *skel;
	struct wd_gate *gate; /* NULL: no file gate on this kernel */
	bool verbose;
	/* puts a stats frame out: non-zero when there is no room for it yet */
	int (*put_stats)(struct sensor_bpf *skel);
};

/* Maps the ring buffer's producer and consumer positions (the barriers wait on them). */
int wd_control_init(int ring_map_fd);
/* Reads what stdin has; at its end (or a broken read) wd_control_eof says so. */
void wd_control_read(void);
bool wd_control_eof(void);
/*
 * Carries out the whole command frames read so far, in order; nothing here blocks. Returns -1
 * on a broken stream, 1 when commands wait for room for their acks, 0 when none is left.
 */
int wd_control_run(const struct wd_control *ctl);
/* Acks the barriers the consumer has passed, oldest first. */
void wd_control_ack(const struct wd_control *ctl);
/* barriers carried out whose acks still wait */
bool wd_control_barriers(void);
