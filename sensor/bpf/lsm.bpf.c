// SPDX-License-Identifier: GPL-2.0
/*
 * BPF-LSM enforcement, the best rung of the ladder where the kernel allows it
 * (lsm=...,bpf). Loaded after the sensor object and sharing its maps; the
 * loader reports whether this kernel accepted it, and Warden claims it only
 * then. Here: the network decision at socket_connect (the same rules as the
 * cgroup hooks), and no signal from a session to Warden's own processes.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include "wire.h"

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
