/* SPDX-License-Identifier: Apache-2.0 */
/*
 * wire.h — the only definition of Warden's sensor wire format.
 *
 * Every frame, kernel event or loader message, starts with struct wd_header.
 * Fixed-width types, explicit padding, sizes pinned by _Static_assert. The
 * TypeScript decoder (src/sensor/wire.ts) carries a layout table that a test
 * compiles against this header, so the two cannot drift apart silently.
 * Bump WD_WIRE_VERSION on any layout change.
 *
 * Variable data (argv, strings, paths) follows a frame's fixed part, in the
 * order the fixed part's *_len fields list them. A "walked" path is the kernel's
 * dentry chain written leaf first: NUL-terminated components, root last.
 */
#ifndef WD_WIRE_H
#define WD_WIRE_H

#ifdef __BPF__
/* vmlinux.h already defines the fixed-width kernel types. */
#else
#include <linux/types.h>
#include <assert.h>
#define _Static_assert static_assert
#endif

#define WD_WIRE_VERSION 3

/* Bounds on variable data; powers of two so BPF can mask offsets. */
#define WD_ARGV_MAX 4096
#define WD_STR_MAX 1024
#define WD_PATH_MAX 2048
#define WD_PATH_DEPTH 48
#define WD_NAME_MAX 256
#define WD_FRAME_MAX 16384

enum wd_frame_type {
	/* kernel events (BPF → loader → stdout) */
	WD_EV_EXEC = 1,
	WD_EV_FORK = 2,
	WD_EV_EXIT = 3,
	WD_EV_OPEN = 4,
	WD_EV_UNLINK = 5,
	WD_EV_RENAME = 6,
	WD_EV_MKDIR = 7,
	WD_EV_CHMOD = 8,
	WD_EV_TRUNCATE = 9,
	WD_EV_CONNECT = 10,
	WD_EV_SEND = 11,
	WD_EV_BIND = 12,
	WD_EV_LISTEN = 13,
	WD_EV_ACCEPT = 14,
	WD_EV_KILL = 15,
	WD_EV_PTRACE = 16,
	WD_EV_SETUID = 17,
	WD_EV_CAPSET = 18,
	WD_EV_EXEC_FAILED = 19, /* an execve that returned an error (struct wd_file) */
	WD_EV_LINK = 20,	/* struct wd_file: str1 the existing file, str2 the new name */
	WD_EV_SYMLINK = 21,	/* struct wd_file: str1 the link's text, str2 the new name */
	WD_EV_MKNOD = 22,	/* struct wd_file: str1 the new node, mode its type */
	/* loader messages (loader → stdout) */
	WD_MSG_READY = 100,
	WD_MSG_ACK = 101,
	WD_MSG_STATS = 102,
	WD_MSG_GATE = 103, /* struct wd_gate_decision */
	/* commands (stdin → loader) */
	WD_CMD_TRACK = 200,
	WD_CMD_UNTRACK = 201,
	WD_CMD_STATS = 202,
	WD_CMD_MAP_UPDATE = 203, /* struct wd_cmd_map */
	WD_CMD_NET_ATTACH = 204, /* struct wd_cmd_attach */
	WD_CMD_NET_DETACH = 205, /* struct wd_cmd_attach */
	WD_CMD_GATE_ADD = 206,	 /* struct wd_cmd_gate */
	WD_CMD_GATE_CLEAR = 207, /* struct wd_cmd_gate: every rule of a session */
};

/* Which syscall a frame came from (arch-independent numbering). */
enum wd_syscall {
	WD_SYS_NONE = 0,
	WD_SYS_OPEN,
	WD_SYS_OPENAT,
	WD_SYS_OPENAT2,
	WD_SYS_CREAT,
	WD_SYS_UNLINK,
	WD_SYS_UNLINKAT,
	WD_SYS_RMDIR,
	WD_SYS_RENAME,
	WD_SYS_RENAMEAT,
	WD_SYS_RENAMEAT2,
	WD_SYS_MKDIR,
	WD_SYS_MKDIRAT,
	WD_SYS_CHMOD,
	WD_SYS_FCHMOD,
	WD_SYS_FCHMODAT,
	WD_SYS_FCHMODAT2,
	WD_SYS_TRUNCATE,
	WD_SYS_FTRUNCATE,
	WD_SYS_LINK,
	WD_SYS_LINKAT,
	WD_SYS_SYMLINK,
	WD_SYS_SYMLINKAT,
	WD_SYS_MKNOD,
	WD_SYS_MKNODAT,
	WD_SYS_CONNECT,
	WD_SYS_SENDTO,
	WD_SYS_SENDMSG,
	WD_SYS_SENDMMSG,
	WD_SYS_BIND,
	WD_SYS_LISTEN,
	WD_SYS_ACCEPT,
	WD_SYS_ACCEPT4,
	WD_SYS_KILL,
	WD_SYS_TKILL,
	WD_SYS_TGKILL,
	WD_SYS_PTRACE,
	WD_SYS_SETUID,
	WD_SYS_SETGID,
	WD_SYS_SETREUID,
	WD_SYS_SETREGID,
	WD_SYS_SETRESUID,
	WD_SYS_SETRESGID,
	WD_SYS_SETFSUID,
	WD_SYS_SETFSGID,
	WD_SYS_CAPSET,
	WD_SYS_EXECVE,
	WD_SYS_EXECVEAT,
	WD_SYS_COUNT
};

/*
 * The families sys_exit dispatches on (sensor.bpf.c): each is one run of the enum above, in this
 * order, so a family is told by a range. A syscall added goes inside its family's run; syscalls.ts
 * names every syscall's family, and the layout test checks this macro agrees for each.
 */
enum wd_sys_family {
	WD_FAM_NONE = 0,
	WD_FAM_FILE,   /* [OPEN, MKNODAT] */
	WD_FAM_NET,    /* [CONNECT, ACCEPT4]; egress first: [CONNECT, SENDMMSG] */
	WD_FAM_SIGNAL, /* [KILL, PTRACE] */
	WD_FAM_CRED,   /* [SETUID, CAPSET] */
	WD_FAM_EXEC,   /* [EXECVE, EXECVEAT] */
};
#define WD_SYS_FAMILY(nr)                                            \
	((nr) == WD_SYS_NONE || (nr) >= WD_SYS_COUNT ? WD_FAM_NONE   \
	 : (nr) <= WD_SYS_MKNODAT		     ? WD_FAM_FILE   \
	 : (nr) <= WD_SYS_ACCEPT4		     ? WD_FAM_NET    \
	 : (nr) <= WD_SYS_PTRACE		     ? WD_FAM_SIGNAL \
	 : (nr) <= WD_SYS_CAPSET		     ? WD_FAM_CRED   \
						     : WD_FAM_EXEC)
/* a call that sends to an address: connect and the send family */
#define WD_SYS_EGRESS(nr) ((nr) >= WD_SYS_CONNECT && (nr) <= WD_SYS_SENDMMSG)

/* Flags on wd_file.flags_ex, wd_exec.truncated, wd_net.flags_ex. */
#define WD_F_TRUNC_STR 0x1   /* a string was cut at its bound */
#define WD_F_TRUNC_PATH 0x2  /* a walked path was cut at its bound */
#define WD_F_RESOLVED 0x4    /* walk1 is the opened file itself, not a base dir */
#define WD_F_DIR 0x8	     /* unlink removed a directory (rmdir / AT_REMOVEDIR) */
#define WD_F_TRUNC_ARGV 0x10 /* argv was cut at WD_ARGV_MAX */

struct wd_header {
	__u16 version;
	__u16 type;    /* enum wd_frame_type */
	__u32 size;    /* whole frame in bytes, header included */
	__u64 time_ns; /* CLOCK_BOOTTIME */
};
_Static_assert(sizeof(struct wd_header) == 16, "wd_header size");

/* Who did it: the acting thread and its process. */
struct wd_task {
	__u32 pid; /* thread-group id */
	__u32 tid;
	__u32 ppid; /* real parent's thread-group id */
	__u32 uid;
	__u32 gid;
	__u32 session; /* session key from the tracked-sessions map */
	__u64 cgroup_id;
	__u64 start_ns; /* process start, CLOCK_BOOTTIME: (pid, start_ns) is unique */
	char comm[16];
};
_Static_assert(sizeof(struct wd_task) == 56, "wd_task size");

/* Data: argv (NUL-separated), exe (walked), cwd (walked). */
struct wd_exec {
	struct wd_header hdr;
	struct wd_task task;
	__u32 old_pid;
	__u16 argv_len;
	__u16 exe_len;
	__u16 cwd_len;
	__u16 truncated; /* WD_F_* */
	__u32 argc;
};
_Static_assert(sizeof(struct wd_exec) == 88, "wd_exec size");

struct wd_fork {
	struct wd_header hdr;
	struct wd_task task; /* the parent */
	__u32 child_pid;
	__u32 pad;
	__u64 child_start_ns;
};
_Static_assert(sizeof(struct wd_fork) == 88, "wd_fork size");

struct wd_exit {
	struct wd_header hdr;
	struct wd_task task;
	__s32 exit_code; /* wait status: code << 8 | signal */
	__u32 pad;
};
_Static_assert(sizeof(struct wd_exit) == 80, "wd_exit size");

/*
 * open, unlink, rename, mkdir, chmod, truncate, and execve attempts that failed.
 * Data: str1 (the path as passed), walk1 (the opened file when WD_F_RESOLVED,
 * else the directory str1 is relative to, empty when str1 is absolute),
 * then str2 and walk2 for rename's new path.
 */
struct wd_file {
	struct wd_header hdr;
	struct wd_task task;
	__s64 result; /* fd or 0 on success, -errno on failure */
	__u64 length; /* truncate */
	__u32 flags;  /* open flags, unlinkat/renameat2 flags */
	__u32 mode;
	__u16 str1_len;
	__u16 walk1_len;
	__u16 str2_len;
	__u16 walk2_len;
	__u32 flags_ex; /* WD_F_* */
	__u32 syscall;	/* enum wd_syscall */
};
_Static_assert(sizeof(struct wd_file) == 112, "wd_file size");

#define WD_UNIX_PATH 108 /* sun_path */

/* connect, send (UDP), bind, listen, accept. Addresses in network order. */
struct wd_net {
	struct wd_header hdr;
	struct wd_task task;
	__s64 result;
	__u64 bytes; /* send length */
	__s32 fd;
	__u16 family;
	__u16 sock_type;
	__u16 protocol;
	__u16 dport; /* host order */
	__u16 lport; /* host order */
	__u16 pad;
	__u8 daddr[16]; /* IPv4 in the first 4 bytes */
	__u8 laddr[16];
	__u32 backlog;
	__u32 syscall;		      /* enum wd_syscall */
	char unix_path[WD_UNIX_PATH]; /* AF_UNIX: the address named ('@' first: abstract) */
	__u32 pad2;
};
_Static_assert(sizeof(struct wd_net) == 256, "wd_net size");

/* kill, tkill, tgkill, ptrace. */
struct wd_signal {
	struct wd_header hdr;
	struct wd_task task;
	__s64 result;
	__s32 target;  /* pid or tid the call named; may be negative (process group) */
	__u32 arg;     /* signal number or ptrace request */
	__u32 syscall; /* enum wd_syscall */
	__u32 pad;
};
_Static_assert(sizeof(struct wd_signal) == 96, "wd_signal size");

/* setuid family and capset. ids[] hold the uid/gid arguments (-1 = unchanged). */
struct wd_cred {
	struct wd_header hdr;
	struct wd_task task;
	__s64 result;
	__u32 syscall; /* enum wd_syscall */
	__u32 ids[3];
	__u64 cap_effective;
	__u64 cap_permitted;
	__u64 cap_inheritable;
};
_Static_assert(sizeof(struct wd_cred) == 120, "wd_cred size");

/* Loader → userspace: attached and ready; clocks to turn time_ns into wall time. */
struct wd_ready {
	struct wd_header hdr;
	__u64 boot_ns;	   /* CLOCK_BOOTTIME ... */
	__u64 realtime_ns; /* ... and CLOCK_REALTIME read together */
	__u32 programs;	   /* programs attached */
	__u32 ringbuf_bytes;
	__u32 session_level;
	__u32 lsm; /* 1: the BPF-LSM programs loaded and attached; 0: this kernel refused them */
	__u32 unix_hooks; /* 1: cgroup connect_unix/sendmsg_unix programs (kernel 6.7+) */
	__u32 pad;
};
_Static_assert(sizeof(struct wd_ready) == 56, "wd_ready size");

/* Loader → userspace: a command was carried out (status 0) or failed (-errno). */
struct wd_ack {
	struct wd_header hdr;
	__u32 cmd_type;
	__s32 status;
	__u64 cmd_id;
};
_Static_assert(sizeof(struct wd_ack) == 32, "wd_ack size");

/* Loader → userspace: counters since load (the kernel's summed over CPUs). */
struct wd_stats {
	struct wd_header hdr;
	__u64 events;	   /* events written to the ring buffer */
	__u64 drops;	   /* events lost: ring buffer full */
	__u64 truncations; /* events whose data was cut at a bound */
	__u64 read_errors; /* user or kernel memory that could not be read */
	__u64 frames_out;  /* frames written on stdout by the loader */
	/* The file gate, answered on its own thread (sensor/loader/gate.c). */
	__u64 gate_answered;	    /* permission events answered */
	__u64 gate_outsiders;	    /* of those, from processes outside every session: allowed */
	__u64 gate_denied;	    /* session opens refused (by a rule or the deadline) */
	__u64 gate_late_denied;	    /* session opens refused because the deadline had passed */
	__u64 gate_late_outsiders;  /* outsiders answered later than the deadline after the read */
	__u64 gate_max_wait_ns;	    /* longest session wait: from its syscall to the answer */
	__u64 gate_max_outsider_ns; /* longest from reading an outsider's event to answering it */
	__u64 gate_queue_drops;	    /* denial reports lost: the output was backed up */
	__u32 gate_deadline_ms;	    /* the decision deadline in force */
	__u32 gate_realtime;	    /* 1: the gate thread runs SCHED_FIFO */
};
_Static_assert(sizeof(struct wd_stats) == 128, "wd_stats size");

/* Userspace → loader. cmd_id is echoed in the ack. */
struct wd_cmd {
	struct wd_header hdr;
	__u64 cmd_id;
	__u64 cgroup_id;
	__u32 session;
	__u32 pad;
};
_Static_assert(sizeof(struct wd_cmd) == 40, "wd_cmd size");

/* Userspace -> loader: create/replace (op 0) or delete (op 1) one map entry. */
struct wd_cmd_map {
	struct wd_header hdr;
	__u64 cmd_id;
	__u32 map; /* enum wd_map_id */
	__u32 op;
	__u8 key[128];
	__u8 value[128];
};
_Static_assert(sizeof(struct wd_cmd_map) == 288, "wd_cmd_map size");

/* Userspace -> loader: attach (or detach) the network programs on a session cgroup,
 * pinning their links under pin_dir so they outlive the loader. */
struct wd_cmd_attach {
	struct wd_header hdr;
	__u64 cmd_id;
	__u32 session;
	__u32 pad;
	char cgroup[512];
	char pin_dir[512];
};
_Static_assert(sizeof(struct wd_cmd_attach) == 1056, "wd_cmd_attach size");

/* File gate rules (WD_CMD_GATE_ADD). */
#define WD_GATE_READ 0x1
#define WD_GATE_WRITE 0x2
#define WD_GATE_EXEC 0x4
#define WD_GATE_GLOB 0x100 /* path is an fnmatch pattern (FNM_EXTMATCH), not a prefix */
#define WD_GATE_EXCEPT                                                            \
	0x200 /* path (and beneath) is not covered by rule `rule`: sent before it \
	       */

struct wd_cmd_gate {
	struct wd_header hdr;
	__u64 cmd_id;
	__u32 session;
	__u32 access; /* WD_GATE_*; 0 with GATE_CLEAR */
	__u32 rule;   /* the rule's number, echoed in decisions */
	__u32 depth;  /* directory levels under base to mark; 0: unlimited */
	char path[1024];
	char base[1024]; /* the directory or file to mark */
};
_Static_assert(sizeof(struct wd_cmd_gate) == 2088, "wd_cmd_gate size");

/* The rule number of a refusal made because the decision deadline had passed. */
#define WD_GATE_RULE_DEADLINE 0xfffffffeu

/* Loader -> userspace: one gate decision about a session's open. */
struct wd_gate_decision {
	struct wd_header hdr;
	__u32 session;
	__u32 tid;
	__u32 access;  /* WD_GATE_* asked for */
	__u32 rule;    /* the rule that denied; ~0 when allowed; WD_GATE_RULE_DEADLINE */
	__u32 allowed; /* 1: allowed, 0: denied */
	__u32 latency_ns;
	char path[256];
};
_Static_assert(sizeof(struct wd_gate_decision) == 296, "wd_gate_decision size");

#endif /* WD_WIRE_H */
