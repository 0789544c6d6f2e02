// SPDX-License-Identifier: Apache-2.0
#include "command.h"
#include <string.h>

/* The size a command type's frame must have; 0 for a type the loader does not know. */
static size_t size_of(__u16 type)
{
	switch (type) {
	case WD_CMD_TRACK:
	case WD_CMD_UNTRACK:
	case WD_CMD_STATS: return sizeof(struct wd_cmd);
	case WD_CMD_MAP_UPDATE: return sizeof(struct wd_cmd_map);
	case WD_CMD_NET_ATTACH:
	case WD_CMD_NET_DETACH: return sizeof(struct wd_cmd_attach);
	case WD_CMD_GATE_ADD:
	case WD_CMD_GATE_CLEAR: return sizeof(struct wd_cmd_gate);
	default: return 0;
	}
}

#define TERMINATE(field) ((field)[sizeof(field) - 1] = 0)

enum wd_command_status wd_command_next(const unsigned char *buf, size_t have, void *frame,
				       size_t *used)
{
	struct wd_header h;
	if (have < sizeof(h))
		return WD_COMMAND_INCOMPLETE;
	memcpy(&h, buf, sizeof(h));
	size_t want = size_of(h.type);
	if (h.version != WD_WIRE_VERSION || h.size < sizeof(struct wd_cmd) ||
	    h.size > WD_CMD_FRAME_MAX || (want && h.size != want))
		return WD_COMMAND_BROKEN;
	if (have < h.size)
		return WD_COMMAND_INCOMPLETE;
	memcpy(frame, buf, h.size);
	*used = h.size;
	if (h.type == WD_CMD_NET_ATTACH || h.type == WD_CMD_NET_DETACH) {
		struct wd_cmd_attach *c = frame;
		TERMINATE(c->cgroup);
		TERMINATE(c->pin_dir);
	} else if (h.type == WD_CMD_GATE_ADD || h.type == WD_CMD_GATE_CLEAR) {
		struct wd_cmd_gate *c = frame;
		TERMINATE(c->path);
		TERMINATE(c->base);
	}
	return WD_COMMAND_FRAME;
}
