/* SPDX-License-Identifier: Apache-2.0 */
/* Session filter, task context, variable data and ring buffer output. */
#pragma once

#define WD_MASK (WD_FRAME_MAX - 1)

static __always_inline struct wd_counters *wd_counters(void)
{
	__u32 zero = 0;
	return bpf_map_lookup_elem(&wd_stats, &zero);
}

static __always_inline void wd_count_read_error(void)
{
	struct wd_counters *c = wd_counters();
	if (c)
		c->read_errors++;
}

/* The one check every hook starts with: is the current task in a tracked session? */
static __always_inline bool wd_tracked(__u32 *session)
{
	__u64 cg = bpf_get_current_ancestor_cgroup_id(wd_session_level);
	__u32 *s = bpf_map_lookup_elem(&wd_sessions, &cg);
	if (!s)
		return false;
	*session = *s;
	return true;
}

static __always_inline __u8 *wd_scratch(void)
{
	__u32 zero = 0;
	struct wd_scratch *s = bpf_map_lookup_elem(&wd_scratch_map, &zero);
	return s ? s->buf : NULL;
}

static __always_inline void wd_fill_task(struct wd_task *t, __u32 session)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u64 uid_gid = bpf_get_current_uid_gid();

	t->pid = pid_tgid >> 32;
	t->tid = (__u32)pid_tgid;
	t->ppid = BPF_CORE_READ(task, real_parent, tgid);
	t->uid = (__u32)uid_gid;
	t->gid = uid_gid >> 32;
	t->session = session;
	t->cgroup_id = bpf_get_current_cgroup_id();
	t->start_ns = BPF_CORE_READ(task, group_leader, start_boottime);
	bpf_get_current_comm(t->comm, sizeof(t->comm));
}

static __always_inline void wd_fill_header(struct wd_header *h, __u16 type)
{
	h->version = WD_WIRE_VERSION;
	h->type = type;
	h->size = 0;
	h->time_ns = bpf_ktime_get_boot_ns();
}

/* Appends a NUL-terminated user string at *off; returns bytes written. */
static __always_inline __u16 wd_put_user_str(__u8 *buf, __u64 *off, const char *s, __u32 *flags)
{
	if (!s)
		return 0;
	long n = bpf_probe_read_user_str(&buf[*off & WD_MASK], WD_STR_MAX, s);
	if (n <= 0) {
		wd_count_read_error();
		return 0;
	}
	if (n == WD_STR_MAX)
		*flags |= WD_F_TRUNC_STR;
	*off += n;
	return (__u16)n;
}

/*
 * Walk state lives in a per-CPU map, not on the stack: the verifier then sees
 * the write offset as an unknown (masked) scalar and checks the loop body once
 * instead of once per possible offset.
 */
struct wd_walk {
	struct dentry *d;
	struct mount *mnt;
	__u64 off;
	__u64 start;
	__u32 done;
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct wd_walk);
} wd_walk_map SEC(".maps");

/* One step of the walk: emit d's name and move to its parent, or cross a mount. */
static long wd_walk_step(__u32 i, void *ctx)
{
	__u32 zero = 0;
	struct wd_walk *w = bpf_map_lookup_elem(&wd_walk_map, &zero);
	__u8 *buf = wd_scratch();
	if (!w || !buf)
		return 1;
	struct dentry *d = w->d; /* locals: CO-RE must not relocate wd_walk's own fields */
	struct mount *mnt = w->mnt;
	struct dentry *root = BPF_CORE_READ(mnt, mnt.mnt_root);
	struct dentry *parent = BPF_CORE_READ(d, d_parent);

	if (d == root || d == parent) {
		struct mount *up = BPF_CORE_READ(mnt, mnt_parent);
		if (d != root || up == mnt) {
			w->done = 1; /* reached the root */
			return 1;
		}
		w->d = BPF_CORE_READ(mnt, mnt_mountpoint);
		w->mnt = up;
		return 0;
	}
	__u64 off = w->off;
	if (off - w->start > WD_PATH_MAX - WD_NAME_MAX)
		return 1;
	const unsigned char *name = BPF_CORE_READ(d, d_name.name);
	long n = bpf_probe_read_kernel_str(&buf[off & WD_MASK], WD_NAME_MAX, name);
	if (n <= 0)
		return 1;
	w->off = off + n;
	w->d = parent;
	return 0;
}

/*
 * Appends the dentry chain of @path, leaf first, each component NUL-terminated.
 * Crosses mount points up to the root mount; userspace reverses it.
 */
static __always_inline __u16 wd_put_walk(__u8 *buf, __u64 *off, struct path *path, __u32 *flags)
{
	__u32 zero = 0;
	struct wd_walk *w = bpf_map_lookup_elem(&wd_walk_map, &zero);
	struct vfsmount *vfs = BPF_CORE_READ(path, mnt);
	struct dentry *d = BPF_CORE_READ(path, dentry);

	if (!w || !d || !vfs)
		return 0;
	w->d = d;
	w->mnt = container_of(vfs, struct mount, mnt);
	w->off = *off;
	w->start = *off;
	w->done = 0;
	bpf_loop(WD_PATH_DEPTH, wd_walk_step, NULL, 0);
	if (!w->done)
		*flags |=
		    WD_F_TRUNC_PATH; /* deeper than WD_PATH_DEPTH or longer than WD_PATH_MAX */
	__u64 len = w->off - w->start;
	if (len > WD_PATH_MAX)
		return 0;
	*off = w->off;
	return (__u16)len;
}

static __always_inline struct file *wd_fd_file(int fd)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	struct file **fds;
	struct file *f = NULL;

	if (fd < 0 || !fdt || (unsigned int)fd >= BPF_CORE_READ(fdt, max_fds))
		return NULL;
	fds = BPF_CORE_READ(fdt, fd);
	bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]);
	return f;
}

/* The directory a relative path is resolved against: dirfd's, or the cwd. */
static __always_inline __u16 wd_put_base(__u8 *buf, __u64 *off, int dirfd, __u32 *flags)
{
	if (dirfd == AT_FDCWD) {
		struct task_struct *task = (struct task_struct *)bpf_get_current_task();
		struct path pwd = BPF_CORE_READ(task, fs, pwd);
		return wd_put_walk(buf, off, &pwd, flags);
	}
	struct file *f = wd_fd_file(dirfd);
	if (!f)
		return 0;
	struct path p = BPF_CORE_READ(f, f_path);
	return wd_put_walk(buf, off, &p, flags);
}

/* Sets the frame size and copies it to the ring buffer; counts a loss when full. */
/*
 * Wake-ups of the loader are batched: waking it costs the program ~20 µs (an IPI,
 * a VM exit on a virtual machine), three times per fork and exec. An event wakes it
 * when WD_WAKE_NS have passed since the last wake-up or WD_WAKE_BYTES wait; after
 * each wake-up the loader polls again within WD_WAKE_POLL_MS for what came between
 * (loader/sensor.c), so no event waits longer than that. A race between CPUs on
 * wd_last_wake costs at most one wake-up more.
 */
#define WD_WAKE_NS 2000000ull
#define WD_WAKE_BYTES (256u << 10)
__u64 wd_last_wake;

static __always_inline __u64 wd_wake_flags(__u64 now)
{
	if (now - wd_last_wake >= WD_WAKE_NS ||
	    bpf_ringbuf_query(&wd_events, BPF_RB_AVAIL_DATA) >= WD_WAKE_BYTES) {
		wd_last_wake = now;
		return BPF_RB_FORCE_WAKEUP;
	}
	return BPF_RB_NO_WAKEUP;
}

static __always_inline int wd_submit(__u8 *buf, __u64 size, __u32 flags)
{
	struct wd_counters *c = wd_counters();
	struct wd_header *h = (struct wd_header *)buf;

	if (size > WD_FRAME_MAX)
		size = WD_FRAME_MAX;
	size = (size + 7) & ~7ULL; /* keep frames 8-byte aligned on the pipe */
	if (size > WD_FRAME_MAX)
		return 0;
	h->size = size;
	if (bpf_ringbuf_output(&wd_events, buf, size, wd_wake_flags(h->time_ns))) {
		if (c)
			c->drops++;
		return 0;
	}
	if (c) {
		c->events++;
		if (flags & (WD_F_TRUNC_STR | WD_F_TRUNC_PATH | WD_F_TRUNC_ARGV))
			c->truncations++;
	}
	return 0;
}
