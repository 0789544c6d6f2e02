/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The command protocol, read side: whole frames out of the bytes on the
 * loader's stdin, each checked against its type before anything acts on it.
 */
#pragma once
#include <stddef.h>
#include "wire.h"

#define WD_CMD_FRAME_MAX 4096

enum wd_command_status {
	WD_COMMAND_BROKEN = -1,	   /* not a command stream: stop reading */
	WD_COMMAND_INCOMPLETE = 0, /* wait for more bytes */
	WD_COMMAND_FRAME = 1,	   /* one frame in `frame`, `*used` bytes consumed */
};

/*
 * The next whole command in buf[0, have). A frame's size must be the size of
 * its type's struct (at least struct wd_cmd for a type the loader does not
 * know, which it refuses with -EINVAL); its strings are cut at their field's
 * end, so no reader can run past them. `frame` holds WD_CMD_FRAME_MAX bytes,
 * aligned for any command struct.
 */
enum wd_command_status wd_command_next(const unsigned char *buf, size_t have, void *frame,
				       size_t *used);
