/* SPDX-License-Identifier: Apache-2.0 */
/* The syscalls the sensor watches (watch.c). */
#pragma once
#include <stddef.h>
#include "wire.h"

/* Fills the BPF program's native -> enum wd_syscall table before load: 0, or -ERANGE. */
int wd_watch_fill(volatile __u8 *table, size_t max);
