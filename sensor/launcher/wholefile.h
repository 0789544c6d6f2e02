/* SPDX-License-Identifier: Apache-2.0 */
/* Files the supervisor writes whole, for the agent: read, rewritten, or made (wholefile.c). */
#pragma once
#include "where.h"
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* A regular file's bytes (at most `max`), NUL-terminated, or NULL. */
char *wd_slurp(int fd, size_t max, size_t *len);
/* `fd`'s file replaced by `len` bytes of `buf`. */
bool wd_write_whole(int fd, const char *buf, size_t len);
/* A new file named `to`, whole before it has a name (an O_TMPFILE with `len` bytes of `buf`,
 * linked in): its descriptor (read-write), or -errno. */
int wd_make_named(const struct where *to, mode_t mode, const char *buf, size_t len);
