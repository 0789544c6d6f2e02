/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Network enforcement: cgroup sock_addr programs on each session's cgroup
 * decide connect() and UDP sendmsg() in the kernel from per-session maps.
 * Deny wins over allow; an address no rule covers gets the session default.
 */
#pragma once
#include "lib/netdecide.h"

/* Where a redirected DNS socket really meant to send: restored on its replies. */
struct wd_dns_orig {
	__u32 ip6[4]; /* the IPv4 address in ip6[0] for AF_INET */
	__u16 port;   /* network order */
	__u16 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct wd_dns_orig);
} wd_dns_orig SEC(".maps");

/*
 * A session's DNS goes to Warden's resolver on loopback, whatever server it
 * names, so only names the policy allows resolve (and their answers are
 * allowed as they pass). Returns 1 when the destination was rewritten.
 */
static __always_inline int wd_dns_redirect(struct bpf_sock_addr *ctx, __u32 session, bool v6)
{
	struct wd_net_cfg *cfg = bpf_map_lookup_elem(&wd_net_cfg, &session);
	if (!cfg || !cfg->dns_port || bpf_ntohs(ctx->user_port) != 53)
		return 0;
	struct wd_dns_orig *orig =
	    bpf_sk_storage_get(&wd_dns_orig, ctx->sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (orig) {
		if (v6) {
			orig->ip6[0] = ctx->user_ip6[0], orig->ip6[1] = ctx->user_ip6[1];
			orig->ip6[2] = ctx->user_ip6[2], orig->ip6[3] = ctx->user_ip6[3];
		} else {
			orig->ip6[0] = ctx->user_ip4;
		}
		orig->port = ctx->user_port;
	}
	if (v6) {
		ctx->user_ip6[0] = 0, ctx->user_ip6[1] = 0;
		ctx->user_ip6[2] =
		    bpf_htonl(0x0000ffff); /* ::ffff:127.0.0.1 works on dual-stack sockets */
		ctx->user_ip6[3] = bpf_htonl(0x7f000001);
	} else {
		ctx->user_ip4 = bpf_htonl(0x7f000001);
	}
	ctx->user_port = bpf_htons(cfg->dns_port);
	return 1;
}

/* Replies from the resolver carry the address the client asked, not loopback. */
static __always_inline int wd_dns_restore(struct bpf_sock_addr *ctx, bool v6)
{
	struct wd_dns_orig *orig = bpf_sk_storage_get(&wd_dns_orig, ctx->sk, 0, 0);
	if (!orig)
		return 1;
	if (v6) {
		ctx->user_ip6[0] = orig->ip6[0], ctx->user_ip6[1] = orig->ip6[1];
		ctx->user_ip6[2] = orig->ip6[2], ctx->user_ip6[3] = orig->ip6[3];
	} else {
		ctx->user_ip4 = orig->ip6[0];
	}
	ctx->user_port = orig->port;
	return 1;
}

static __always_inline int wd_sock_addr4(struct bpf_sock_addr *ctx)
{
	__u32 session;
	__u8 addr[16] = {};
	if (!wd_tracked(&session))
		return 1;
	if (wd_dns_redirect(ctx, session, false))
		return 1;
	__u32 ip = ctx->user_ip4;
	__builtin_memcpy(addr, &ip, 4);
	return wd_net_decide(session, 4, addr, bpf_ntohs(ctx->user_port));
}

static __always_inline int wd_sock_addr6(struct bpf_sock_addr *ctx)
{
	__u32 session, w[4];
	__u8 addr[16] = {};
	if (!wd_tracked(&session))
		return 1;
	if (wd_dns_redirect(ctx, session, true))
		return 1;
	w[0] = ctx->user_ip6[0], w[1] = ctx->user_ip6[1];
	w[2] = ctx->user_ip6[2], w[3] = ctx->user_ip6[3];
	__u16 port = bpf_ntohs(ctx->user_port);
	/* ::ffff:a.b.c.d is an IPv4 destination: judge it as one */
	if (w[0] == 0 && w[1] == 0 && w[2] == bpf_htonl(0x0000ffff)) {
		__builtin_memcpy(addr, &w[3], 4);
		return wd_net_decide(session, 4, addr, port);
	}
	__builtin_memcpy(addr, w, 16);
	return wd_net_decide(session, 6, addr, port);
}

/*
 * A connect or send the session's policy refused: act before the call returns
 * to the agent, so it cannot take one more step (userspace then freezes the
 * whole session, or records the kill).
 */
static __always_inline void wd_net_violation(__u32 session)
{
	struct wd_net_cfg *cfg = bpf_map_lookup_elem(&wd_net_cfg, &session);
	if (!cfg || !cfg->enforce)
		return;
	if (cfg->on_violation == WD_VIOLATION_KILL)
		bpf_send_signal(9 /* SIGKILL */);
	else if (cfg->on_violation == WD_VIOLATION_STOP)
		bpf_send_signal(19 /* SIGSTOP */);
}

SEC("cgroup/connect4")
int wd_connect4(struct bpf_sock_addr *ctx)
{
	return wd_sock_addr4(ctx);
}

SEC("cgroup/connect6")
int wd_connect6(struct bpf_sock_addr *ctx)
{
	return wd_sock_addr6(ctx);
}

SEC("cgroup/sendmsg4")
int wd_sendmsg4(struct bpf_sock_addr *ctx)
{
	return wd_sock_addr4(ctx);
}

SEC("cgroup/sendmsg6")
int wd_sendmsg6(struct bpf_sock_addr *ctx)
{
	return wd_sock_addr6(ctx);
}

SEC("cgroup/recvmsg4")
int wd_recvmsg4(struct bpf_sock_addr *ctx)
{
	return wd_dns_restore(ctx, false);
}

SEC("cgroup/recvmsg6")
int wd_recvmsg6(struct bpf_sock_addr *ctx)
{
	return wd_dns_restore(ctx, true);
}
