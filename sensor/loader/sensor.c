// SPDX-License-Identifier: Apache-2.0
/*
 * warden-sensor: loads the BPF sensor, attaches it, streams frames (wire.h) on
 * stdout, logs on stderr, and takes commands as frames on stdin.
 *
 *   warden-sensor --session-level N [--ringbuf-mb M] [--gate-deadline-ms D] [--verbose]
 *
 * Frames go out in ring-buffer order. The ack of a barrier command (untrack,
 * stats) is written only once the ring buffer has been consumed past where
 * its producer was when the command came: every event that happened before
 * the command was sent is on stdout before its ack. Other commands are acked
 * at once. Nothing here blocks on stdout: a reader that falls behind leaves
 * events in the ring buffer (which drops and counts what it cannot hold).
 * The file gate answers on a thread of its own (gate.c), whatever this one does.
 * Exits cleanly on EOF on stdin, SIGTERM or SIGINT. Tracing programs live as
 * long as this process; the network programs it attaches to a session's cgroup
 * are pinned in bpffs, so a crash cannot lift a session's limits; only an
 * explicit detach unpins them. A session still attached when the loader exits
 * was abandoned by Warden: it is frozen, its limits kept.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <bpf/btf.h>
#include "wire.h"
#include "sensor.skel.h"
#include "lsm.skel.h"
#include "gate.h"
#include "command.h"

#define OUT_BUF (4 << 20)
#define OUT_RESERVE (64 << 10) /* kept for acks and stats: events never fill it */
#define GATE_DEADLINE_MS 250

static volatile sig_atomic_t stop;
static struct wd_gate *gate;
static struct lsm_bpf *lsm; /* NULL when this kernel refuses BPF-LSM */
static bool verbose;
/*
 * Frames waiting for stdout, which is non-blocking: a reader that falls behind
 * never blocks this thread. Events stop at OUT_BUF - OUT_RESERVE; the sample
 * that did not fit is held and the ring buffer is left alone until there is
 * room again (it keeps what comes meanwhile, or drops and counts it).
 */
static struct {
	unsigned char *buf;
	size_t start, len;
	__u64 frames;
	_Alignas(8) unsigned char held[WD_FRAME_MAX];
	size_t held_size;
} out;

static void logf_(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("warden-sensor: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static int libbpf_log(enum libbpf_print_level level, const char *fmt, va_list args)
{
	if (level == LIBBPF_DEBUG && !verbose)
		return 0;
	return vfprintf(stderr, fmt, args);
}

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static __u64 clock_ns(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (__u64)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* Moves what is still to be written to the front of the buffer. */
static void compact_out(void)
{
	memmove(out.buf, out.buf + out.start, out.len - out.start);
	out.len -= out.start;
	out.start = 0;
}

/* Writes what stdout takes now; -errno when the reader is gone. */
static int flush_out(void)
{
	while (out.len > out.start) {
		ssize_t n = write(STDOUT_FILENO, out.buf + out.start, out.len - out.start);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n <= 0)
			return n < 0 ? -errno : -EPIPE;
		out.start += n;
	}
	if (out.start == out.len || out.start > OUT_BUF / 2)
		compact_out();
	return 0;
}

static bool room_for(size_t size, size_t limit)
{
	if (out.len + size > limit)
		compact_out();
	return out.len + size <= limit;
}

static void put(const void *data, size_t size)
{
	memcpy(out.buf + out.len, data, size);
	out.len += size;
	out.frames++;
}

/* A loader message (ack, stats, ready): it may use the reserve. */
static int put_frame(const void *data, size_t size)
{
	if (!room_for(size, OUT_BUF))
		return -ENOSPC;
	put(data, size);
	return 0;
}

/* An event or a gate report: non-zero when it must wait for room. */
static int put_event(const void *data, size_t size)
{
	if (out.held_size || !room_for(size, OUT_BUF - OUT_RESERVE))
		return -ENOSPC;
	put(data, size);
	return 0;
}

static int on_event(void *ctx, void *data, size_t size)
{
	(void)ctx;
	const struct wd_header *h = data;
	if (size < sizeof(*h) || h->size > size || h->size > sizeof(out.held))
		return 0;
	/* a gate report goes before the event of the syscall it refused */
	if (gate && wd_gate_pending(gate))
		wd_gate_drain(gate, put_event);
	if ((!gate || !wd_gate_pending(gate)) && put_event(data, h->size) == 0)
		return 0;
	/* no room: keep this one, stop consuming until stdout drains */
	memcpy(out.held, data, h->size);
	out.held_size = h->size;
	return -ENOSPC;
}

/* The held sample goes out first once there is room; true when nothing is held. */
static bool release_held(void)
{
	if (!out.held_size)
		return true;
	if (!room_for(out.held_size, OUT_BUF - OUT_RESERVE))
		return false;
	put(out.held, out.held_size);
	out.held_size = 0;
	return true;
}

/* Drains the ring buffer onto the output, as far as there is room. */
static void drain_ring(struct ring_buffer *rb)
{
	if (release_held())
		ring_buffer__consume(rb);
}

static void header(struct wd_header *h, __u16 type, __u32 size)
{
	h->version = WD_WIRE_VERSION;
	h->type = type;
	h->size = size;
	h->time_ns = clock_ns(CLOCK_BOOTTIME);
}

static int put_stats(struct sensor_bpf *skel)
{
	int ncpu = libbpf_num_possible_cpus();
	struct wd_counters per_cpu[ncpu > 0 ? ncpu : 1];
	struct wd_stats s = {};
	__u32 zero = 0;

	header(&s.hdr, WD_MSG_STATS, sizeof(s));
	if (bpf_map_lookup_elem(bpf_map__fd(skel->maps.wd_stats), &zero, per_cpu) == 0) {
		for (int i = 0; i < ncpu; i++) {
			s.events += per_cpu[i].events;
			s.drops += per_cpu[i].drops;
			s.truncations += per_cpu[i].truncations;
			s.read_errors += per_cpu[i].read_errors;
		}
	}
	if (gate) {
		struct wd_gate_counters g;
		wd_gate_counters(gate, &g);
		s.gate_answered = g.answered;
		s.gate_outsiders = g.outsiders;
		s.gate_denied = g.denied;
		s.gate_late_denied = g.late_denied;
		s.gate_late_outsiders = g.late_outsiders;
		s.gate_max_wait_ns = g.max_wait_ns;
		s.gate_max_outsider_ns = g.max_outsider_ns;
		s.gate_queue_drops = g.queue_drops;
		s.gate_deadline_ms = g.deadline_ms;
		s.gate_realtime = g.realtime;
	}
	s.frames_out = out.frames + 1;
	return put_frame(&s, sizeof(s));
}

/* Network programs attached to one session's cgroup; their links are pinned. */
#define NET_PROGS 11
#define MAX_ATTACHED 256
static struct attached {
	__u32 session;
	__u64 cgroup_id;
	char cgroup[512];
	char pin_dir[512];
	int freeze_fd; /* opened at attach: freezing never needs a new fd (an RLIMIT_NOFILE of 0
			  cannot stop it) */
	struct bpf_link *links[NET_PROGS];
} attached[MAX_ATTACHED];

/* cgroup connect_unix/sendmsg_unix (kernel 6.7+; libbpf 1.1 has no section name for them) */
#define WD_CGROUP_UNIX_CONNECT 49
#define WD_CGROUP_UNIX_SENDMSG 50
static bool unix_hooks;

/* NULL: this kernel has no such hook (the session goes without it, and says so at start). */
static struct bpf_program *net_prog(struct sensor_bpf *skel, int i, const char **name)
{
	static const char *names[NET_PROGS] = {
	    "connect4", "connect6", "sendmsg4", "sendmsg6",	"recvmsg4",    "recvmsg6",
	    "bind4",	"bind6",    "ingress",	"connect_unix", "sendmsg_unix"};
	struct bpf_program *progs[NET_PROGS] = {
	    skel->progs.wd_connect4,	 skel->progs.wd_connect6,    skel->progs.wd_sendmsg4,
	    skel->progs.wd_sendmsg6,	 skel->progs.wd_recvmsg4,    skel->progs.wd_recvmsg6,
	    skel->progs.wd_bind4,	 skel->progs.wd_bind6,	     skel->progs.wd_ingress,
	    skel->progs.wd_connect_unix, skel->progs.wd_sendmsg_unix};
	*name = names[i];
	if (!unix_hooks &&
	    (progs[i] == skel->progs.wd_connect_unix || progs[i] == skel->progs.wd_sendmsg_unix))
		return NULL;
	return progs[i];
}

/* The unix hooks' BTF enum values exist on kernels that have them. */
static void setup_unix_hooks(struct sensor_bpf *skel)
{
	struct btf *vm = btf__load_vmlinux_btf();
	unix_hooks = false;
	if (vm) {
		/* enumerators are not types: look for the value in enum bpf_attach_type */
		__s32 id = btf__find_by_name_kind(vm, "bpf_attach_type", BTF_KIND_ENUM);
		const struct btf_type *t = id > 0 ? btf__type_by_id(vm, id) : NULL;
		const struct btf_enum *e = t ? btf_enum(t) : NULL;
		for (int i = 0; e && i < btf_vlen(t); i++)
			if (!strcmp(btf__name_by_offset(vm, e[i].name_off),
				    "BPF_CGROUP_UNIX_CONNECT"))
				unix_hooks = e[i].val == WD_CGROUP_UNIX_CONNECT;
		btf__free(vm);
	}
	if (unix_hooks) {
		bpf_program__set_expected_attach_type(skel->progs.wd_connect_unix,
						      WD_CGROUP_UNIX_CONNECT);
		bpf_program__set_expected_attach_type(skel->progs.wd_sendmsg_unix,
						      WD_CGROUP_UNIX_SENDMSG);
	} else {
		bpf_program__set_autoload(skel->progs.wd_connect_unix, false);
		bpf_program__set_autoload(skel->progs.wd_sendmsg_unix, false);
		logf_("this kernel has no cgroup connect_unix hook (6.7+): Unix sockets unlimited");
	}
}

/* Forgets the Unix socket names a session bound (the map is keyed by its cgroup id). */
static void forget_unix_names(struct sensor_bpf *skel, __u64 cgroup_id)
{
	int fd = bpf_map__fd(skel->maps.wd_unix_own);
	struct wd_unix_key key, next, *prev = NULL;
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		if (prev && prev->id == cgroup_id)
			bpf_map_delete_elem(fd, prev);
		key = next;
		prev = &key;
	}
	if (prev && prev->id == cgroup_id)
		bpf_map_delete_elem(fd, prev);
}

static void net_detach(struct sensor_bpf *skel, struct attached *a)
{
	forget_unix_names(skel, a->cgroup_id);
	for (int i = 0; i < NET_PROGS; i++) {
		if (!a->links[i])
			continue;
		bpf_link__unpin(a->links[i]);
		bpf_link__destroy(a->links[i]);
		a->links[i] = NULL;
	}
	rmdir(a->pin_dir);
	if (a->freeze_fd >= 0)
		close(a->freeze_fd);
	a->freeze_fd = -1;
	a->session = 0;
}

static void abandon(struct attached *a)
{
	if (a->freeze_fd < 0 || write(a->freeze_fd, "1", 1) != 1)
		logf_("cannot freeze abandoned session %s: %s", a->cgroup, strerror(errno));
	else
		logf_("session %s left without Warden: frozen, network limits kept", a->cgroup);
	for (int i = 0; i < NET_PROGS; i++)
		bpf_link__destroy(a->links[i]); /* our handle only: the pin keeps the link */
}

static int net_attach(struct sensor_bpf *skel, const struct wd_cmd_attach *c)
{
	struct attached *a = NULL;
	for (int i = 0; i < MAX_ATTACHED && !a; i++)
		if (!attached[i].session)
			a = &attached[i];
	if (!a)
		return -ENOSPC;
	int cg = open(c->cgroup, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cg < 0)
		return -errno;
	a->session = c->session;
	struct stat st;
	a->cgroup_id = fstat(cg, &st) ? 0 : st.st_ino; /* a cgroup2 directory's inode is its id */
	snprintf(a->cgroup, sizeof(a->cgroup), "%s", c->cgroup);
	snprintf(a->pin_dir, sizeof(a->pin_dir), "%s", c->pin_dir);
	a->freeze_fd = openat(cg, "cgroup.freeze", O_WRONLY | O_CLOEXEC);
	int err = a->freeze_fd < 0 ? -errno : 0;
	if (!err && mkdir(a->pin_dir, 0700) && errno != EEXIST)
		err = -errno;
	for (int i = 0; i < NET_PROGS && !err; i++) {
		const char *name;
		char pin[600];
		struct bpf_program *prog = net_prog(skel, i, &name);
		if (!prog)
			continue;
		a->links[i] = bpf_program__attach_cgroup(prog, cg);
		if (!a->links[i]) {
			err = -errno;
			break;
		}
		snprintf(pin, sizeof(pin), "%s/%s", a->pin_dir, name);
		err = bpf_link__pin(a->links[i], pin);
	}
	close(cg);
	if (err)
		net_detach(skel, a);
	return err;
}

static int net_detach_session(struct sensor_bpf *skel, __u32 session)
{
	for (int i = 0; i < MAX_ATTACHED; i++)
		if (attached[i].session == session) {
			net_detach(skel, &attached[i]);
			return 0;
		}
	return -ENOENT;
}

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
static int run_command(struct sensor_bpf *skel, const struct wd_header *h, const void *frame)
{
	int fd = bpf_map__fd(skel->maps.wd_sessions);
	const struct wd_cmd *c = frame;
	switch (h->type) {
	case WD_CMD_TRACK:
		return bpf_map_update_elem(fd, &c->cgroup_id, &c->session, BPF_ANY) ? -errno : 0;
	case WD_CMD_UNTRACK: return bpf_map_delete_elem(fd, &c->cgroup_id) ? -errno : 0;
	/* sizes and strings were checked by wd_command_next */
	case WD_CMD_MAP_UPDATE: return map_update(skel, frame);
	case WD_CMD_NET_ATTACH: return net_attach(skel, frame);
	case WD_CMD_GATE_ADD: return gate ? wd_gate_add(gate, frame) : -ENOTSUP;
	case WD_CMD_GATE_CLEAR:
		return gate ? wd_gate_clear(gate, ((const struct wd_cmd_gate *)frame)->session) : 0;
	case WD_CMD_NET_DETACH:
		return net_detach_session(skel, ((const struct wd_cmd_attach *)frame)->session);
	default: return -EINVAL;
	}
}

/* Command bytes read from stdin, not yet carried out. */
static struct {
	_Alignas(8) unsigned char buf[8192];
	size_t have;
	bool eof;
} in;

/* Reads what stdin has; false once it is closed or broken. */
static bool read_stdin(void)
{
	if (in.have == sizeof(in.buf))
		return true;
	ssize_t n = read(STDIN_FILENO, in.buf + in.have, sizeof(in.buf) - in.have);
	if (n < 0)
		return errno == EINTR || errno == EAGAIN;
	if (n == 0)
		return false;
	in.have += n;
	return true;
}

/*
 * Where the ring buffer's producer and consumer are (its first two pages, as
 * libbpf maps them): a barrier is the producer's position when the command
 * came, reached once the consumer has passed it.
 */
static struct {
	const unsigned long *consumer, *producer;
} ring_pos;

static int map_ring_positions(int map_fd)
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
static void ack_barriers(struct sensor_bpf *skel)
{
	unsigned long consumed = __atomic_load_n(ring_pos.consumer, __ATOMIC_ACQUIRE);
	size_t done = 0;
	while (done < n_barriers && !out.held_size &&
	       (long)(consumed - barriers[done].until) >= 0) {
		struct wd_ack *ack = &barriers[done].ack;
		if (ack->cmd_type == WD_CMD_STATS && put_stats(skel))
			break; /* no room for its stats yet */
		header(&ack->hdr, WD_MSG_ACK, sizeof(*ack));
		if (put_frame(ack, sizeof(*ack)))
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
static int run_commands(struct sensor_bpf *skel)
{
	size_t at = 0;
	int result = 0;
	for (;;) {
		static _Alignas(8) unsigned char frame[WD_CMD_FRAME_MAX];
		size_t used = 0;
		enum wd_command_status got =
		    wd_command_next(in.buf + at, in.have - at, frame, &used);
		if (got == WD_COMMAND_BROKEN) {
			logf_("bad command frame: stopping");
			return -1;
		}
		if (got == WD_COMMAND_INCOMPLETE)
			break;
		struct wd_header h;
		memcpy(&h, frame, sizeof(h));
		if (!room_for(sizeof(struct wd_ack), OUT_BUF) ||
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
		ack.status = h.type == WD_CMD_STATS ? 0 : run_command(skel, &h, frame);
		if (verbose)
			logf_("command %u id %llu: %d", h.type, (unsigned long long)ack.cmd_id,
			      ack.status);
		if (is_barrier(h.type)) {
			barriers[n_barriers].ack = ack;
			barriers[n_barriers++].until = until;
			continue;
		}
		header(&ack.hdr, WD_MSG_ACK, sizeof(ack));
		put_frame(&ack, sizeof(ack)); /* room was made for it above */
	}
	memmove(in.buf, in.buf + at, in.have - at);
	in.have -= at;
	return result;
}

/* At exit: what is left goes out if the reader takes it within a bound, never longer. */
static void flush_out_bounded(int timeout_ms)
{
	__u64 deadline = clock_ns(CLOCK_MONOTONIC) + (__u64)timeout_ms * 1000000ull;
	while (out.len > out.start && flush_out() == 0) {
		__u64 now = clock_ns(CLOCK_MONOTONIC);
		if (now >= deadline)
			break;
		struct pollfd p = {.fd = STDOUT_FILENO, .events = POLLOUT};
		poll(&p, 1, (int)((deadline - now) / 1000000ull) + 1);
	}
}

/* bpffs holds the pinned links that keep a session's network limits in force. */
static int ensure_bpffs(void)
{
	struct statfs st;
	if (statfs("/sys/fs/bpf", &st) == 0 && st.f_type == 0xcafe4a11 /* BPF_FS_MAGIC */)
		return 0;
	if (mount("bpf", "/sys/fs/bpf", "bpf", 0, "mode=0700")) {
		logf_("cannot mount bpffs on /sys/fs/bpf: %s", strerror(errno));
		return -errno;
	}
	return 0;
}

/* Which native syscalls the sensor watches, by their number on this architecture. */
/* clang-format off */
static const struct {
	__u8 wd;
	long native;
} watched[] = {
#ifdef SYS_open
	{WD_SYS_OPEN, SYS_open},
#endif
#ifdef SYS_creat
	{WD_SYS_CREAT, SYS_creat},
#endif
#ifdef SYS_unlink
	{WD_SYS_UNLINK, SYS_unlink},
#endif
#ifdef SYS_rmdir
	{WD_SYS_RMDIR, SYS_rmdir},
#endif
#ifdef SYS_rename
	{WD_SYS_RENAME, SYS_rename},
#endif
#ifdef SYS_renameat
	{WD_SYS_RENAMEAT, SYS_renameat},
#endif
#ifdef SYS_mkdir
	{WD_SYS_MKDIR, SYS_mkdir},
#endif
#ifdef SYS_chmod
	{WD_SYS_CHMOD, SYS_chmod},
#endif
#ifdef SYS_link
	{WD_SYS_LINK, SYS_link},
#endif
#ifdef SYS_symlink
	{WD_SYS_SYMLINK, SYS_symlink},
#endif
#ifdef SYS_mknod
	{WD_SYS_MKNOD, SYS_mknod},
#endif
#ifdef SYS_fchmodat2
	{WD_SYS_FCHMODAT2, SYS_fchmodat2},
#else
	/* fchmodat2 is not in this libc's headers yet; 452 on every arch */
	{WD_SYS_FCHMODAT2, 452},
#endif
	{WD_SYS_OPENAT, SYS_openat},
	{WD_SYS_OPENAT2, SYS_openat2},
	{WD_SYS_UNLINKAT, SYS_unlinkat},
	{WD_SYS_RENAMEAT2, SYS_renameat2},
	{WD_SYS_MKDIRAT, SYS_mkdirat},
	{WD_SYS_FCHMOD, SYS_fchmod},
	{WD_SYS_FCHMODAT, SYS_fchmodat},
	{WD_SYS_TRUNCATE, SYS_truncate},
	{WD_SYS_FTRUNCATE, SYS_ftruncate},
	{WD_SYS_LINKAT, SYS_linkat},
	{WD_SYS_SYMLINKAT, SYS_symlinkat},
	{WD_SYS_MKNODAT, SYS_mknodat},
	{WD_SYS_CONNECT, SYS_connect},
	{WD_SYS_SENDTO, SYS_sendto},
	{WD_SYS_SENDMSG, SYS_sendmsg},
	{WD_SYS_SENDMMSG, SYS_sendmmsg},
	{WD_SYS_BIND, SYS_bind},
	{WD_SYS_LISTEN, SYS_listen},
	{WD_SYS_ACCEPT, SYS_accept},
	{WD_SYS_ACCEPT4, SYS_accept4},
	{WD_SYS_KILL, SYS_kill},
	{WD_SYS_TKILL, SYS_tkill},
	{WD_SYS_TGKILL, SYS_tgkill},
	{WD_SYS_PTRACE, SYS_ptrace},
	{WD_SYS_SETUID, SYS_setuid},
	{WD_SYS_SETGID, SYS_setgid},
	{WD_SYS_SETREUID, SYS_setreuid},
	{WD_SYS_SETREGID, SYS_setregid},
	{WD_SYS_SETRESUID, SYS_setresuid},
	{WD_SYS_SETRESGID, SYS_setresgid},
	{WD_SYS_SETFSUID, SYS_setfsuid},
	{WD_SYS_SETFSGID, SYS_setfsgid},
	{WD_SYS_CAPSET, SYS_capset},
	{WD_SYS_EXECVE, SYS_execve},
	{WD_SYS_EXECVEAT, SYS_execveat},
};
/* clang-format on */

static int configure_watch(struct sensor_bpf *skel)
{
	const size_t max = sizeof(skel->rodata->wd_watch);
	for (size_t i = 0; i < sizeof(watched) / sizeof(watched[0]); i++) {
		if (watched[i].native < 0 || (size_t)watched[i].native >= max) {
			logf_("syscall %ld is beyond the watch table", watched[i].native);
			return -ERANGE;
		}
		skel->rodata->wd_watch[watched[i].native] = watched[i].wd;
	}
	return 0;
}

/* Tracing programs attach at start; the network programs per session, on command. */
static __u32 setup_autoattach(struct sensor_bpf *skel)
{
	struct bpf_program *prog;
	__u32 n = 0;
	bpf_object__for_each_program (prog, skel->obj) {
		bool cgroup = strncmp(bpf_program__section_name(prog), "cgroup", 6) == 0;
		bpf_program__set_autoattach(prog, !cgroup);
		n += !cgroup;
	}
	return n;
}

/*
 * BPF-LSM, the best rung: a second object sharing the sensor's maps. Kernels
 * without "bpf" in their LSM list refuse it at load; that is reported, and
 * the cgroup hooks, Landlock and fanotify carry enforcement instead.
 */
static void try_lsm(struct sensor_bpf *skel, long level)
{
	struct bpf_map *m;
	lsm = lsm_bpf__open();
	if (!lsm)
		return;
	lsm->rodata->wd_session_level = level;
	bpf_object__for_each_map(m, lsm->obj)
	{
		struct bpf_map *shared = bpf_object__find_map_by_name(skel->obj, bpf_map__name(m));
		if (shared && bpf_map__reuse_fd(m, bpf_map__fd(shared)))
			logf_("BPF-LSM: cannot share map %s", bpf_map__name(m));
	}
	int err = lsm_bpf__load(lsm);
	if (!err)
		err = lsm_bpf__attach(lsm);
	if (err) {
		logf_(
		    "BPF-LSM unavailable (%s): enforcing with cgroup hooks, Landlock and fanotify",
		    strerror(-err));
		lsm_bpf__destroy(lsm);
		lsm = NULL;
		return;
	}
	__u32 self = getpid();
	__u8 one = 1;
	bpf_map_update_elem(bpf_map__fd(lsm->maps.wd_protected_pids), &self, &one, BPF_ANY);
}

static void usage(void)
{
	fprintf(stderr, "usage: warden-sensor --session-level N [--ringbuf-mb M] "
			"[--gate-deadline-ms D] [--verbose]\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"session-level", required_argument, NULL, 'l'},
	    {"ringbuf-mb", required_argument, NULL, 'r'},
	    {"gate-deadline-ms", required_argument, NULL, 'd'},
	    {"verbose", no_argument, NULL, 'v'},
	    {"help", no_argument, NULL, 'h'},
	    {},
	};
	long level = -1, ringbuf_mb = 64;
	struct sensor_bpf *skel = NULL;
	struct ring_buffer *rb = NULL;
	long gate_deadline_ms = GATE_DEADLINE_MS;
	int err = 0, opt;
	__u32 programs = 0;

	while ((opt = getopt_long(argc, argv, "l:r:d:vh", opts, NULL)) != -1) {
		switch (opt) {
		case 'd': gate_deadline_ms = strtol(optarg, NULL, 10); break;
		case 'l': level = strtol(optarg, NULL, 10); break;
		case 'r': ringbuf_mb = strtol(optarg, NULL, 10); break;
		case 'v': verbose = true; break;
		default: usage(); return opt == 'h' ? 0 : 2;
		}
	}
	if (level < 1 || level > 64 || ringbuf_mb < 1 || ringbuf_mb > 1024 ||
	    (ringbuf_mb & (ringbuf_mb - 1)) || gate_deadline_ms < 1 || gate_deadline_ms > 60000) {
		usage();
		logf_("--session-level must be 1..64; --ringbuf-mb a power of two up to 1024; "
		      "--gate-deadline-ms 1..60000");
		return 2;
	}

	/* Hold no descriptor but our stdio: an inherited pipe kept open by us would
	 * make whoever waits on it wait for our (slow) detach at exit. */
	close_range(3, ~0U, 0);
	signal(SIGPIPE, SIG_IGN);
	struct sigaction sa = {.sa_handler = on_signal};
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	libbpf_set_print(libbpf_log);
	out.buf = malloc(OUT_BUF);
	if (!out.buf)
		return 1;

	skel = sensor_bpf__open();
	if (!skel) {
		err = -errno;
		logf_("open BPF object: %s", strerror(-err));
		goto cleanup;
	}
	skel->rodata->wd_session_level = level;
	bpf_map__set_max_entries(skel->maps.wd_events, (__u32)ringbuf_mb << 20);
	if ((err = configure_watch(skel)))
		goto cleanup;
	setup_unix_hooks(skel);
	if ((err = sensor_bpf__load(skel))) {
		logf_("load BPF programs: %s", strerror(-err));
		goto cleanup;
	}
	if ((err = ensure_bpffs()))
		goto cleanup;
	programs = setup_autoattach(skel);
	if ((err = sensor_bpf__attach(skel))) {
		logf_("attach BPF programs: %s", strerror(-err));
		goto cleanup;
	}
	try_lsm(skel, level);
	rb = ring_buffer__new(bpf_map__fd(skel->maps.wd_events), on_event, NULL, NULL);
	if (!rb || (err = map_ring_positions(bpf_map__fd(skel->maps.wd_events)))) {
		err = rb ? err : -errno;
		logf_("ring buffer: %s", strerror(-err));
		goto cleanup;
	}

	gate =
	    wd_gate_new(bpf_map__fd(skel->maps.wd_stash_map), (__u64)gate_deadline_ms * 1000000ull);
	if (!gate)
		logf_("file gate unavailable (fanotify: %s): protected paths are not gated",
		      strerror(errno));
	else if (verbose)
		logf_("file gate on its own thread, decision deadline %ld ms", gate_deadline_ms);
	if (fcntl(STDOUT_FILENO, F_SETFL, fcntl(STDOUT_FILENO, F_GETFL) | O_NONBLOCK) ||
	    fcntl(STDIN_FILENO, F_SETFL, fcntl(STDIN_FILENO, F_GETFL) | O_NONBLOCK)) {
		err = -errno;
		logf_("non-blocking stdio: %s", strerror(-err));
		goto cleanup;
	}

	struct wd_ready ready = {.programs = programs,
				 .session_level = level,
				 .lsm = lsm != NULL,
				 .unix_hooks = unix_hooks};
	ready.ringbuf_bytes = (__u32)ringbuf_mb << 20;
	ready.boot_ns = clock_ns(CLOCK_BOOTTIME);
	ready.realtime_ns = clock_ns(CLOCK_REALTIME);
	header(&ready.hdr, WD_MSG_READY, sizeof(ready));
	put_frame(&ready, sizeof(ready));
	if (verbose)
		logf_("%u programs attached, session level %ld", programs, level);

	__u64 next_stats = clock_ns(CLOCK_MONOTONIC) + 1000000000ull;
	bool waiting = false; /* commands wait for room on stdout */
	while (!stop) {
		/* 0: ring buffer, 1: commands, 2: gate reports, 3: stdout */
		struct pollfd fds[4] = {
		    {.fd = out.held_size ? -1 : ring_buffer__epoll_fd(rb), .events = POLLIN},
		    {.fd = waiting || in.eof ? -1 : STDIN_FILENO, .events = POLLIN},
		    {.fd = gate && !out.held_size ? wd_gate_notify_fd(gate) : -1, .events = POLLIN},
		    {.fd = out.len > out.start ? STDOUT_FILENO : -1, .events = POLLOUT},
		};
		if (poll(fds, 4, 200) < 0 && errno != EINTR) {
			err = -errno;
			break;
		}
		if (flush_out()) {
			logf_("stdout closed: stopping");
			break;
		}
		if (fds[0].revents || out.held_size)
			drain_ring(rb);
		if (fds[2].revents)
			wd_gate_drain(gate, put_event);
		if (fds[1].revents && !read_stdin())
			in.eof = true;
		int r = run_commands(skel);
		if (r < 0)
			break;
		waiting = r > 0;
		if (n_barriers) {
			drain_ring(rb);
			ack_barriers(skel);
		}
		if (in.eof && !waiting && !n_barriers)
			break; /* Warden closed our stdin: every command it sent is done */
		if (clock_ns(CLOCK_MONOTONIC) >= next_stats) {
			put_stats(skel); /* no room: the next one says it all */
			next_stats = clock_ns(CLOCK_MONOTONIC) + 1000000000ull;
		}
		if (flush_out()) {
			logf_("stdout closed: stopping");
			break;
		}
	}
	drain_ring(rb);
	ack_barriers(skel);
	put_stats(skel);
	flush_out_bounded(2000);

cleanup:
	/* Sessions still attached were not ended by Warden: Warden died or let go.
	 * Fail closed: their network limits stay pinned and they are frozen until
	 * someone decides (warden session release | kill); frozen before the gate
	 * goes, which lets every pending open through. */
	for (int i = 0; i < MAX_ATTACHED; i++)
		if (attached[i].session)
			abandon(&attached[i]);
	wd_gate_free(gate);
	lsm_bpf__destroy(lsm);
	ring_buffer__free(rb);
	sensor_bpf__destroy(skel);
	free(out.buf);
	return err ? 1 : 0;
}
