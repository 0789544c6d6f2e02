// SPDX-License-Identifier: GPL-2.0
/* One minimal program per mechanism `warden doctor` probes; each returns at once. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

SEC("tracepoint/syscalls/sys_enter_getppid")
int probe_tracepoint(void *ctx)
{
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(probe_tp_btf, struct task_struct *p)
{
	return 0;
}

SEC("raw_tp/sys_enter")
int probe_raw_tp(void *ctx)
{
	return 0;
}

SEC("lsm/file_open")
int BPF_PROG(probe_lsm, struct file *file)
{
	return 0;
}

SEC("fentry/do_unlinkat")
int BPF_PROG(probe_fentry)
{
	return 0;
}

SEC("kprobe/do_unlinkat")
int probe_kprobe(void *ctx)
{
	return 0;
}

SEC("cgroup/connect4")
int probe_connect4(struct bpf_sock_addr *ctx)
{
	return 1;
}

SEC("cgroup/sendmsg4")
int probe_sendmsg4(struct bpf_sock_addr *ctx)
{
	return 1;
}

SEC("cgroup/connect4") /* loaded as connect_unix: probe.c sets the attach type */
int probe_connect_unix(struct bpf_sock_addr *ctx)
{
	return 1;
}

SEC("cgroup/bind4")
int probe_bind4(struct bpf_sock_addr *ctx)
{
	return 1;
}

SEC("cgroup_skb/ingress")
int probe_ingress(struct __sk_buff *skb)
{
	return 1;
}
