/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The BPF maps' keys and values that the sensor, the loader and Warden share (wire.h is the
 * frame stream): network policy, the session's Unix socket names, syscalls in flight, BPF-LSM
 * file rules, counters. Layouts are checked against src/sensor/layout.ts by test/wire.test.ts.
 */
#ifndef WD_MAP_TYPES_H
#define WD_MAP_TYPES_H
#include "wire.h"

/* Maps userspace writes through WD_CMD_MAP_UPDATE. */
enum wd_map_id {
	WD_MAP_NET_RULES = 1,	   /* struct wd_net_key -> struct wd_net_val */
	WD_MAP_NET_CFG = 2,	   /* __u32 session -> struct wd_net_cfg */
	WD_MAP_PROTECTED_PIDS = 3, /* __u32 tgid -> __u8: Warden's processes (BPF-LSM only) */
	WD_MAP_LSM_FILES = 4,  /* struct wd_lsm_file_key -> struct wd_lsm_file_val (BPF-LSM only) */
	WD_MAP_UNIX_ALLOW = 5, /* struct wd_unix_key -> __u8 WD_UNIX_* */
};

/* Network policy: an LPM trie over (session, family, address). prefixlen counts
 * the 64 bits of session and family plus the address prefix. */
struct wd_net_key {
	__u32 prefixlen;
	__u32 session;
	__u32 family; /* 4 or 6; v4-mapped v6 addresses are looked up as 4 */
	__u8 addr[16];
};
_Static_assert(sizeof(struct wd_net_key) == 28, "wd_net_key size");

/*
 * A pathname Unix socket address, as the caller gave it (NUL-padded), and whose
 * it is: a session key in the allow map, a session cgroup id among the names the
 * session bound itself (those outlive a policy reload).
 */
struct wd_unix_key {
	__u64 id;
	char path[WD_UNIX_PATH];
	__u32 pad;
};
_Static_assert(sizeof(struct wd_unix_key) == 120, "wd_unix_key size");
#define WD_UNIX_EXACT 1	  /* this path */
#define WD_UNIX_SUBTREE 2 /* key ends in '/': any path beneath it */

#define WD_NET_ENTRIES 8
/* Every rule that covers a prefix, its containing prefixes' rules included. */
struct wd_net_entry {
	__u32 rule; /* index into the policy's rules, for userspace */
	__u16 port; /* 0: any port */
	__u8 deny;
	__u8 pad;
};

struct wd_net_val {
	__u32 n;
	__u32 pad;
	struct wd_net_entry e[WD_NET_ENTRIES];
};
_Static_assert(sizeof(struct wd_net_val) == 72, "wd_net_val size");

struct wd_net_cfg {
	__u8 enforce;	    /* 0: audit, decide nothing in the kernel */
	__u8 default_allow; /* when no rule covers the address */
	__u16 dns_port;	    /* Warden's resolver on loopback; 0: no DNS redirect */
	__u8 on_violation;  /* WD_VIOLATION_*: what the kernel does to a process it refused */
	__u8 unix_limit;    /* pathname Unix sockets: only allowed ones and the session's own */
	__u8 local_only;    /* listeners reachable from this machine only; loopback to own ones */
	__u8 pad;
};

#define WD_VIOLATION_DENY 0
#define WD_VIOLATION_KILL 1 /* SIGKILL before the refused call returns */
#define WD_VIOLATION_STOP 2 /* SIGSTOP before it returns; userspace then freezes the session */
_Static_assert(sizeof(struct wd_net_cfg) == 8, "wd_net_cfg size");

/*
 * A watched syscall in flight: its arguments, saved at sys_enter for sys_exit.
 * Keyed by thread id. The file gate reads it too: a fanotify permission event
 * names the blocked thread, and its stash says its session and open flags.
 */
struct wd_stash {
	__u64 args[6];
	__u32 session;
	__u32 nr;	  /* enum wd_syscall */
	__u32 open_flags; /* for the open family: the flags asked for */
	__u32 pad;
	__u64 enter_ns; /* bpf_ktime_get_ns() at sys_enter: the gate's deadline counts from it */
};

/* BPF-LSM file rules: a protected file or directory, by inode, for one session.
 * The hooks walk a file's dentry chain and deny when an ancestor is listed. */
struct wd_lsm_file_key {
	__u64 ino;
	__u32 dev; /* the kernel's s_dev: MAJOR << 20 | MINOR */
	__u32 session;
};
_Static_assert(sizeof(struct wd_lsm_file_key) == 16, "wd_lsm_file_key size");

struct wd_lsm_file_val {
	__u32 access; /* WD_GATE_READ | WRITE | EXEC */
	__u32 rule;
};
_Static_assert(sizeof(struct wd_lsm_file_val) == 8, "wd_lsm_file_val size");

/* Per-CPU counters in the BPF stats map (summed by the loader). */
struct wd_counters {
	__u64 events;
	__u64 drops;
	__u64 truncations;
	__u64 read_errors;
};

#endif /* WD_MAP_TYPES_H */
