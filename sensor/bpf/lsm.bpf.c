// SPDX-License-Identifier: GPL-2.0
/*
 * BPF-LSM enforcement, the best rung of the ladder where the kernel allows it
 * (lsm=...,bpf). Loaded after the sensor object and sharing its maps; the
 * loader reports whether this kernel accepted it, and Warden claims it only
 * then: the network decision at socket_connect (the same rules as the cgroup
 * hooks), file rules at file_open, bprm_check_security, path_unlink and
 * path_rename (a protected inode or any of its ancestors), and no signal from a
 * session to Warden's own processes.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include "wire.h"
#include "map_types.h"

#include "lib/consts.h"

#define EPERM 1
#define AF_INET 2
#define AF_INET6 10

char LICENSE[] SEC("license") = "GPL";

#include "lib/maps.h"
#include "lib/emit.h"
#include "lib/netdecide.h"

/* Warden's own processes (tgid): never signalled by a session. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u8);
} wd_protected_pids SEC(".maps");

SEC("lsm/socket_connect")
int BPF_PROG(wd_lsm_connect, struct socket *sock, struct sockaddr *address, int addrlen, int ret)
{
	__u32 session;
	__u8 addr[16] = {};
	if (ret || !wd_tracked(&session))
		return ret;
	__u16 family = BPF_CORE_READ(address, sa_family);
	if (family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)address;
		__u32 ip = BPF_CORE_READ(in, sin_addr.s_addr);
		__builtin_memcpy(addr, &ip, 4);
		return wd_net_decide(session, 4, addr, bpf_ntohs(BPF_CORE_READ(in, sin_port)))
			   ? 0
			   : -EPERM;
	}
	if (family == AF_INET6) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)address;
		BPF_CORE_READ_INTO(&addr, in6, sin6_addr);
		__u16 port = bpf_ntohs(BPF_CORE_READ(in6, sin6_port));
		__u32 w[4];
		__builtin_memcpy(w, addr, 16);
		if (w[0] == 0 && w[1] == 0 && w[2] == bpf_htonl(0x0000ffff)) {
			__u8 v4[16] = {};
			__builtin_memcpy(v4, &w[3], 4);
			return wd_net_decide(session, 4, v4, port) ? 0 : -EPERM;
		}
		return wd_net_decide(session, 6, addr, port) ? 0 : -EPERM;
	}
	return 0;
}

SEC("lsm/task_kill")
int BPF_PROG(wd_lsm_task_kill, struct task_struct *p, struct kernel_siginfo *info, int sig,
	     const struct cred *cred, int ret)
{
	__u32 session;
	if (ret || !sig || !wd_tracked(&session))
		return ret;
	__u32 tgid = BPF_CORE_READ(p, tgid);
	return bpf_map_lookup_elem(&wd_protected_pids, &tgid) ? -EPERM : 0;
}

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, struct wd_lsm_file_key);
	__type(value, struct wd_lsm_file_val);
} wd_lsm_files SEC(".maps");

struct wd_lsm_walk {
	struct dentry *d;
	__u32 session;
	__u32 access;
	__u32 denied;
};

/* One step up the dentry chain: is this inode protected for this access? */
static long wd_lsm_step(__u32 i, void *ctx)
{
	struct wd_lsm_walk *w = ctx;
	struct dentry *d = w->d;
	struct inode *inode = BPF_CORE_READ(d, d_inode);
	if (inode) {
		struct wd_lsm_file_key key = {
		    .ino = BPF_CORE_READ(inode, i_ino),
		    .dev = BPF_CORE_READ(inode, i_sb, s_dev),
		    .session = w->session,
		};
		struct wd_lsm_file_val *v = bpf_map_lookup_elem(&wd_lsm_files, &key);
		if (v && (v->access & w->access)) {
			w->denied = 1;
			return 1;
		}
	}
	struct dentry *parent = BPF_CORE_READ(d, d_parent);
	if (!parent || parent == d)
		return 1;
	w->d = parent;
	return 0;
}

/* -EPERM when the dentry or an ancestor is protected for `access` in the caller's session. */
static __always_inline int wd_lsm_file(struct dentry *d, __u32 access)
{
	struct wd_lsm_walk w = {.d = d, .access = access};
	if (!d || !wd_tracked(&w.session))
		return 0;
	bpf_loop(WD_PATH_DEPTH, wd_lsm_step, &w, 0);
	return w.denied ? -EPERM : 0;
}

#define WD_FMODE_READ 0x1
#define WD_FMODE_WRITE 0x2
#define WD_FMODE_EXEC 0x20

SEC("lsm/file_open")
int BPF_PROG(wd_lsm_file_open, struct file *file, int ret)
{
	if (ret)
		return ret;
	__u32 mode = BPF_CORE_READ(file, f_mode);
	__u32 access = (mode & WD_FMODE_WRITE ? WD_GATE_WRITE : 0) |
		       (mode & WD_FMODE_READ ? WD_GATE_READ : 0) |
		       (mode & WD_FMODE_EXEC ? WD_GATE_EXEC : 0);
	return wd_lsm_file(BPF_CORE_READ(file, f_path.dentry), access);
}

SEC("lsm/bprm_check_security")
int BPF_PROG(wd_lsm_exec, struct linux_binprm *bprm, int ret)
{
	if (ret)
		return ret;
	return wd_lsm_file(BPF_CORE_READ(bprm, file, f_path.dentry), WD_GATE_EXEC);
}

SEC("lsm/path_unlink")
int BPF_PROG(wd_lsm_unlink, const struct path *dir, struct dentry *dentry, int ret)
{
	if (ret)
		return ret;
	return wd_lsm_file(dentry, WD_GATE_WRITE);
}

/* Renaming over a protected file (or moving one away) is a write to it. */
SEC("lsm/path_rename")
int BPF_PROG(wd_lsm_rename, const struct path *old_dir, struct dentry *old_dentry,
	     const struct path *new_dir, struct dentry *new_dentry, unsigned int flags, int ret)
{
	if (ret)
		return ret;
	int r = wd_lsm_file(old_dentry, WD_GATE_WRITE);
	return r ? r : wd_lsm_file(new_dentry, WD_GATE_WRITE);
}
