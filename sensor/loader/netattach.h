/* SPDX-License-Identifier: Apache-2.0 */
/* The network programs of a session's cgroup (netattach.c). */
#pragma once
#include <stdbool.h>
#include "wire.h"
#include "sensor.skel.h"

/* Before load: the Unix socket hooks where this kernel has them (6.7+), else left unloaded. */
void wd_net_setup(struct sensor_bpf *skel);
bool wd_net_unix_hooks(void);
int wd_net_attach(struct sensor_bpf *skel, const struct wd_cmd_attach *c);
int wd_net_detach_session(struct sensor_bpf *skel, __u32 session);
/* At exit: every session still attached is frozen, its pinned limits kept. */
void wd_net_abandon_all(void);
