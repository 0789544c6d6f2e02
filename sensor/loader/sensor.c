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
#include "map_types.h"
#include "sensor.skel.h"
#include "lsm.skel.h"
#include "gate.h"
#include "command.h"
#include "log.h"
#include "out.h"
#include "control.h"
#include "netattach.h"
#include "watch.h"

#define GATE_DEADLINE_MS 250

static volatile sig_atomic_t stop;
static struct wd_gate *gate;
static struct lsm_bpf *lsm; /* NULL when this kernel refuses BPF-LSM */
static bool verbose;
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
static int on_event(void *ctx, void *data, size_t size)
{
	(void)ctx;
	const struct wd_header *h = data;
	if (size < sizeof(*h) || h->size > size || h->size > WD_FRAME_MAX)
		return 0;
	/* a gate report goes before the event of the syscall it refused */
	if (gate && wd_gate_pending(gate))
		wd_gate_drain(gate, wd_out_event);
	if ((!gate || !wd_gate_pending(gate)) && wd_out_event(data, h->size) == 0)
		return 0;
	/* no room: keep this one, stop consuming until stdout drains */
	wd_out_hold(data, h->size);
	return -ENOSPC;
}

/* Drains the ring buffer onto the output, as far as there is room: 1 when it had events. */
static bool drain_ring(struct ring_buffer *rb)
{
	return wd_out_release() && ring_buffer__consume(rb) > 0;
}

/* the programs wake the loader at most every 2 ms (bpf/lib/emit.h): after events, look again sooner
 */
#define WD_WAKE_POLL_MS 3

static int put_stats(struct sensor_bpf *skel)
{
	int ncpu = libbpf_num_possible_cpus();
	struct wd_counters per_cpu[ncpu > 0 ? ncpu : 1];
	struct wd_stats s = {};
	__u32 zero = 0;

	wd_frame_header(&s.hdr, WD_MSG_STATS, sizeof(s));
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
	s.frames_out = wd_out_frames() + 1;
	return wd_out_frame(&s, sizeof(s));
}

/* bpffs holds the pinned links that keep a session's network limits in force. */
static int ensure_bpffs(void)
{
	struct statfs st;
	if (statfs("/sys/fs/bpf", &st) == 0 && st.f_type == 0xcafe4a11 /* BPF_FS_MAGIC */)
		return 0;
	if (mount("bpf", "/sys/fs/bpf", "bpf", 0, "mode=0700")) {
		wd_logf("cannot mount bpffs on /sys/fs/bpf: %s", strerror(errno));
		return -errno;
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
			wd_logf("BPF-LSM: cannot share map %s", bpf_map__name(m));
	}
	int err = lsm_bpf__load(lsm);
	if (!err)
		err = lsm_bpf__attach(lsm);
	if (err) {
		wd_logf(
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
		wd_logf("--session-level must be 1..64; --ringbuf-mb a power of two up to 1024; "
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
	if (wd_out_init())
		return 1;

	skel = sensor_bpf__open();
	if (!skel) {
		err = -errno;
		wd_logf("open BPF object: %s", strerror(-err));
		goto cleanup;
	}
	skel->rodata->wd_session_level = level;
	bpf_map__set_max_entries(skel->maps.wd_events, (__u32)ringbuf_mb << 20);
	if ((err = wd_watch_fill(skel->rodata->wd_watch, sizeof(skel->rodata->wd_watch))))
		goto cleanup;
	wd_net_setup(skel);
	if ((err = sensor_bpf__load(skel))) {
		wd_logf("load BPF programs: %s", strerror(-err));
		goto cleanup;
	}
	if ((err = ensure_bpffs()))
		goto cleanup;
	programs = setup_autoattach(skel);
	if ((err = sensor_bpf__attach(skel))) {
		wd_logf("attach BPF programs: %s", strerror(-err));
		goto cleanup;
	}
	try_lsm(skel, level);
	rb = ring_buffer__new(bpf_map__fd(skel->maps.wd_events), on_event, NULL, NULL);
	if (!rb || (err = wd_control_init(bpf_map__fd(skel->maps.wd_events)))) {
		err = rb ? err : -errno;
		wd_logf("ring buffer: %s", strerror(-err));
		goto cleanup;
	}

	gate =
	    wd_gate_new(bpf_map__fd(skel->maps.wd_stash_map), (__u64)gate_deadline_ms * 1000000ull);
	if (!gate)
		wd_logf("file gate unavailable (fanotify: %s): protected paths are not gated",
			strerror(errno));
	else if (verbose)
		wd_logf("file gate on its own thread, decision deadline %ld ms", gate_deadline_ms);
	if (fcntl(STDOUT_FILENO, F_SETFL, fcntl(STDOUT_FILENO, F_GETFL) | O_NONBLOCK) ||
	    fcntl(STDIN_FILENO, F_SETFL, fcntl(STDIN_FILENO, F_GETFL) | O_NONBLOCK)) {
		err = -errno;
		wd_logf("non-blocking stdio: %s", strerror(-err));
		goto cleanup;
	}

	const struct wd_control control = {
	    .skel = skel, .gate = gate, .verbose = verbose, .put_stats = put_stats};
	struct wd_ready ready = {.programs = programs,
				 .session_level = level,
				 .lsm = lsm != NULL,
				 .unix_hooks = wd_net_unix_hooks()};
	ready.ringbuf_bytes = (__u32)ringbuf_mb << 20;
	ready.boot_ns = clock_ns(CLOCK_BOOTTIME);
	ready.realtime_ns = clock_ns(CLOCK_REALTIME);
	wd_frame_header(&ready.hdr, WD_MSG_READY, sizeof(ready));
	wd_out_frame(&ready, sizeof(ready));
	if (verbose)
		wd_logf("%u programs attached, session level %ld", programs, level);

	__u64 next_stats = clock_ns(CLOCK_MONOTONIC) + 1000000000ull;
	bool waiting = false; /* commands wait for room on stdout */
	bool busy = false;    /* the last look at the ring buffer found events */
	while (!stop) {
		/* 0: ring buffer, 1: commands, 2: gate reports, 3: stdout */
		struct pollfd fds[4] = {
		    {.fd = wd_out_holding() ? -1 : ring_buffer__epoll_fd(rb), .events = POLLIN},
		    {.fd = waiting || wd_control_eof() ? -1 : STDIN_FILENO, .events = POLLIN},
		    {.fd = gate && !wd_out_holding() ? wd_gate_notify_fd(gate) : -1,
		     .events = POLLIN},
		    {.fd = wd_out_waiting() ? STDOUT_FILENO : -1, .events = POLLOUT},
		};
		int n = poll(fds, 4, busy ? WD_WAKE_POLL_MS : 200);
		if (n < 0 && errno != EINTR) {
			err = -errno;
			break;
		}
		if (wd_out_flush()) {
			wd_logf("stdout closed: stopping");
			break;
		}
		if (fds[0].revents || wd_out_holding() || n == 0)
			busy = drain_ring(rb);
		if (fds[2].revents)
			wd_gate_drain(gate, wd_out_event);
		if (fds[1].revents)
			wd_control_read();
		int r = wd_control_run(&control);
		if (r < 0)
			break;
		waiting = r > 0;
		if (wd_control_barriers()) {
			drain_ring(rb);
			wd_control_ack(&control);
		}
		if (wd_control_eof() && !waiting && !wd_control_barriers())
			break; /* Warden closed our stdin: every command it sent is done */
		if (clock_ns(CLOCK_MONOTONIC) >= next_stats) {
			put_stats(skel); /* no room: the next one says it all */
			next_stats = clock_ns(CLOCK_MONOTONIC) + 1000000000ull;
		}
		if (wd_out_flush()) {
			wd_logf("stdout closed: stopping");
			break;
		}
	}
	drain_ring(rb);
	wd_control_ack(&control);
	put_stats(skel);
	wd_out_flush_bounded(2000);

cleanup:
	/* Sessions still attached were not ended by Warden: Warden died or let go.
	 * Fail closed: their network limits stay pinned and they are frozen until
	 * someone decides (warden session release | kill); frozen before the gate
	 * goes, which lets every pending open through. */
	wd_net_abandon_all();
	wd_gate_free(gate);
	lsm_bpf__destroy(lsm);
	ring_buffer__free(rb);
	sensor_bpf__destroy(skel);
	wd_out_free();
	return err ? 1 : 0;
}
