/* SPDX-License-Identifier: Apache-2.0 */
/* The sealed room: namespaces and mounts the launch floor sets up before exec. */
#pragma once
#include "floor.h"

/* Private mount and PID namespaces for the caller's next child, and the
 * floor's read-only binds. 0, or -1 after printing why. */
int wd_seal_mounts(struct wd_floor *f);
/* In the new PID namespace's init: its own /proc, and vm.memfd_noexec. */
int wd_seal_proc(const struct wd_floor *f);
