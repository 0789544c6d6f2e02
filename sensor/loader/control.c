// SPDX-License-Identifier: Apache-2.0
/*
 * The commands Warden sends on the loader's stdin (command.c parses their frames), carried out
 * in order. A command is acked at once, except a barrier (untrack, stats), whose ack waits until
 * every event the kernel had produced when it came is on the output.
 */
#define _GNU_SOURCE
#include "control.h"
#include "map_types.h"
#include "command.h"
#include "log.h"
#include "netattach.h"
#include "out.h"
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <bpf/bpf.h>

static int map_update(struct sensor_bpf *skel, const struct wd_cmd_map *c)
{
	struct bpf_map *map = c->map == WD_MAP_NET_RULES    ? skel->maps.wd_net_rules
			      : c->map == WD_MAP_NET_CFG    ? skel->maps.wd_net_cfg
			      : c->map == WD_MAP_UNIX_ALLOW ? skel->maps.wd_unix_allow
							    : NULL;
	if (!map || bpf_map__key_size(map) > sizeof(c->key) ||
	    bpf_map__value_size(map) > sizeof(c->value))
		return -EINVAL;
	int fd = bpf_map__fd(map);
	int r = c->op ? bpf_map_delete_elem(fd, c->key)
		      : bpf_map_update_elem(fd, c->key, c->value, BPF_ANY);
	return r ? -errno : 0;
}

/* A command frame, whole, as read from stdin. */
static int run_command(const struct wd_control *ctl, const struct wd_header *h, const void *frame)
{
	struct sensor_bpf *skel = ctl->skel;
	struct wd_gate *gate = ctl->gate;
	int fd = bpf_map__fd(skel->maps.wd_sessions);
	const struct wd_cmd *c = frame;
	switch (h->type) {
	case WD_CMD_TRACK:
		return bpf_map_update_elem(fd, &c->cgroup_id, &c->session, BPF_ANY) ? -errno : 0;
	case WD_CMD_UNTRACK: return bpf_map_delete_elem(fd, &c->cgroup_id) ? -errno : 0;
	/* sizes and strings were checked by wd_command_next */
	case WD_CMD_MAP_UPDATE: return map_update(skel, frame);
	case WD_CMD_NET_ATTACH: return wd_net_attach(skel, frame);
	case WD_CMD_GATE_ADD: return gate ? wd_gate_add(gate, frame) : -ENOTSUP;
	case WD_CMD_GATE_CLEAR:
		return gate ? wd_gate_clear(gate, ((const struct wd_cmd_gate *)frame)->session) : 0;
	case WD_CMD_NET_DETACH:
		return wd_net_detach_session(skel, ((const struct wd_cmd_attach *)frame)->session);
	default: return -EINVAL;
	}
}

/* Command bytes read from stdin, not yet carried out. */
static struct {
	_Alignas(8) unsigned char buf[8192];
	size_t have;
	bool eof;
} in;

void wd_control_read(void)
{
	if (in.have == sizeof(in.buf))
		return;
	ssize_t n = read(STDIN_FILENO, in.buf + in.have, sizeof(in.buf) - in.have);
	if ((n < 0 && errno != EINTR && errno != EAGAIN) || n == 0)
		in.eof = true; /* closed or broken */
	else if (n > 0)
		in.have += n;
}

/*
 * Where the ring buffer's producer and consumer are (its first two pages, as
 * libbpf maps them): a barrier is the producer's position when the command
 * came, reached once the consumer has passed it.
 */
static struct {
	const unsigned long *consumer, *producer;
} ring_pos;

int wd_control_init(int map_fd)
{
	long page = sysconf(_SC_PAGESIZE);
	void *c = mmap(NULL, page, PROT_READ, MAP_SHARED, map_fd, 0);
	void *p = mmap(NULL, page, PROT_READ, MAP_SHARED, map_fd, page);
	if (c == MAP_FAILED || p == MAP_FAILED)
		return -errno;
	ring_pos.consumer = c;
	ring_pos.producer = p;
	return 0;
}

/* Barrier commands carried out, their acks waiting for the consumer to pass `until`. */
#define MAX_BARRIERS 64
static struct {
	struct wd_ack ack;
	unsigned long until;
} barriers[MAX_BARRIERS];
static size_t n_barriers;

static bool is_barrier(__u16 type)
{
	return type == WD_CMD_UNTRACK || type == WD_CMD_STATS;
}

/* Acks the barriers the consumer has passed, oldest first. */
void wd_control_ack(const struct wd_control *ctl)
{
	unsigned long consumed = __atomic_load_n(ring_pos.consumer, __ATOMIC_ACQUIRE);
	size_t done = 0;
	while (done < n_barriers && !wd_out_holding() &&
	       (long)(consumed - barriers[done].until) >= 0) {
		struct wd_ack *ack = &barriers[done].ack;
		if (ack->cmd_type == WD_CMD_STATS && ctl->put_stats(ctl->skel))
			break; /* no room for its stats yet */
		wd_frame_header(&ack->hdr, WD_MSG_ACK, sizeof(*ack));
		if (wd_out_frame(ack, sizeof(*ack)))
			break;
		done++;
	}
	memmove(barriers, barriers + done, (n_barriers - done) * sizeof(barriers[0]));
	n_barriers -= done;
}

/*
 * Carries out the whole command frames read so far, in order. A command is
 * acked at once, except a barrier (untrack, stats), whose ack waits until
 * every event the kernel had produced when it came is on the output; the
 * commands after it go on meanwhile, so a backlog never holds up a session's
 * set-up. Nothing here blocks. Returns -1 on a broken stream, 1 when
 * commands wait for room for their acks, 0 when none is left.
 */
int wd_control_run(const struct wd_control *ctl)
{
	size_t at = 0;
	int result = 0;
	for (;;) {
		static _Alignas(8) unsigned char frame[WD_CMD_FRAME_MAX];
		size_t used = 0;
		enum wd_command_status got =
		    wd_command_next(in.buf + at, in.have - at, frame, &used);
		if (got == WD_COMMAND_BROKEN) {
			wd_logf("bad command frame: stopping");
			return -1;
		}
		if (got == WD_COMMAND_INCOMPLETE)
			break;
		struct wd_header h;
		memcpy(&h, frame, sizeof(h));
		if (!wd_out_room_for_frame(sizeof(struct wd_ack)) ||
		    (is_barrier(h.type) && n_barriers == MAX_BARRIERS)) {
			result = 1; /* wait for stdout to take what is queued */
			break;
		}
		at += used;
		struct wd_ack ack = {.cmd_type = h.type,
				     .cmd_id = ((struct wd_cmd *)frame)->cmd_id};
		/* the producer's position before the command takes effect: an untracked
		 * session's last event is before it */
		unsigned long until = __atomic_load_n(ring_pos.producer, __ATOMIC_ACQUIRE);
		ack.status = h.type == WD_CMD_STATS ? 0 : run_command(ctl, &h, frame);
		if (ctl->verbose)
			wd_logf("command %u id %llu: %d", h.type, (unsigned long long)ack.cmd_id,
				ack.status);
		if (is_barrier(h.type)) {
			barriers[n_barriers].ack = ack;
			barriers[n_barriers++].until = until;
			continue;
		}
		wd_frame_header(&ack.hdr, WD_MSG_ACK, sizeof(ack));
		wd_out_frame(&ack, sizeof(ack)); /* room was made for it above */
	}
	memmove(in.buf, in.buf + at, in.have - at);
	in.have -= at;
	return result;
}

bool wd_control_eof(void)
{
	return in.eof;
}

bool wd_control_barriers(void)
{
	return n_barriers > 0;
}
