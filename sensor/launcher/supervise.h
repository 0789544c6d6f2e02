/* SPDX-License-Identifier: Apache-2.0 */
/* The supervisor of a sealed session's creating calls (seccomp user notification). */
#pragma once
#include "floor.h"

/* Decides one notified call from listener. 0, or -1 when the listener is gone. */
int wd_supervise(int listener, struct wd_floor *f);
