/* SPDX-License-Identifier: Apache-2.0 */
/* Maps and load-time knobs shared by every hook family. */
#pragma once

/* Depth of session cgroups below the cgroup2 root; set by the loader before load. */
const volatile __u32 wd_session_level = 0;

/* Tracked sessions: session cgroup id -> session key. Descendant cgroups count too. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, __u32);
} wd_sessions SEC(".maps");

/* One ring buffer for every event; its size is set by the loader. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 << 20);
} wd_events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct wd_counters);
} wd_stats SEC(".maps");

/* Frames are built here, then copied to the ring buffer at their real size. */
struct wd_scratch {
	__u8 buf[2 * WD_FRAME_MAX];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct wd_scratch);
} wd_scratch_map SEC(".maps");

/* Syscall arguments saved at sys_enter, consumed at sys_exit (struct wd_stash, wire.h). */

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, struct wd_stash);
} wd_stash_map SEC(".maps");
