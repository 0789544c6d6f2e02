// SPDX-License-Identifier: Apache-2.0
/*
 * libFuzzer target: the loader's command stream (sensor/loader/command.c).
 * Any bytes are read frame by frame as the loader reads its stdin; every
 * frame handed out must have its type's size and strings that end inside
 * their fields.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "command.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static _Alignas(8) unsigned char frame[WD_CMD_FRAME_MAX];
	size_t at = 0;
	while (at < size) {
		size_t used = 0;
		enum wd_command_status got = wd_command_next(data + at, size - at, frame, &used);
		if (got != WD_COMMAND_FRAME)
			break;
		if (used < sizeof(struct wd_cmd) || used > size - at)
			abort();
		const struct wd_header *h = (const void *)frame;
		if (h->type == WD_CMD_GATE_ADD) {
			const struct wd_cmd_gate *c = (const void *)frame;
			if (strnlen(c->path, sizeof(c->path)) == sizeof(c->path) ||
			    strnlen(c->base, sizeof(c->base)) == sizeof(c->base))
				abort();
		}
		if (h->type == WD_CMD_NET_ATTACH) {
			const struct wd_cmd_attach *c = (const void *)frame;
			if (strnlen(c->cgroup, sizeof(c->cgroup)) == sizeof(c->cgroup))
				abort();
		}
		at += used;
	}
	return 0;
}
