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

/* Sockets a session bound: whose, and whether to a port of its choosing (a server's). */
struct wd_sk_owner {
	__u64 cgroup; /* the session cgroup's id */
	__u16 port;   /* host order; 0: any free port */
	__u16 pad[3];
};

struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct wd_sk_owner);
} wd_sk_owner SEC(".maps");

static __always_inline bool wd_loopback4(__u32 ip)
{
	return (bpf_ntohl(ip) >> 24) == 127;
}

static __always_inline bool wd_loopback6(const __u32 *w)
{
	if (w[0] || w[1])
		return false;
	if (w[2] == bpf_htonl(0x0000ffff))
		return wd_loopback4(w[3]);
	return !w[2] && w[3] == bpf_htonl(1);
}

/*
 * 1: a loopback destination is a listener the session bound itself, or nothing
 * at all (the call then fails by itself: refusing it would only make noise,
 * as when `localhost` is tried on ::1 first).
 */
static __always_inline int wd_own_listener(struct bpf_sock_addr *ctx, __u32 ip4, const __u32 *ip6)
{
	struct bpf_sock_tuple t = {};
	struct bpf_sock *sk;
	__u32 size;
	/* a v4-mapped destination is an IPv4 one: a v6 lookup would miss a v4 listener there */
	if (ip6) {
		t.ipv6.daddr[0] = ip6[0], t.ipv6.daddr[1] = ip6[1];
		t.ipv6.daddr[2] = ip6[2], t.ipv6.daddr[3] = ip6[3];
		t.ipv6.saddr[3] = bpf_htonl(1);
		t.ipv6.dport = ctx->user_port;
		size = sizeof(t.ipv6);
	} else {
		t.ipv4.daddr = ip4;
		t.ipv4.saddr = bpf_htonl(0x7f000001);
		t.ipv4.dport = ctx->user_port;
		size = sizeof(t.ipv4);
	}
	if (ctx->type == WD_SOCK_STREAM)
		sk = bpf_sk_lookup_tcp(ctx, &t, size, BPF_F_CURRENT_NETNS, 0);
	else
		sk = bpf_sk_lookup_udp(ctx, &t, size, BPF_F_CURRENT_NETNS, 0);
	if (!sk)
		return 1;
	struct wd_sk_owner *owner = bpf_sk_storage_get(&wd_sk_owner, sk, 0, 0);
	int own = owner && owner->cgroup == bpf_get_current_ancestor_cgroup_id(wd_session_level);
	bpf_sk_release(sk);
	return own;
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
	if (wd_net_decide(session, 4, addr, bpf_ntohs(ctx->user_port)))
		return 1;
	return wd_loopback4(ip) && wd_own_listener(ctx, ip, NULL);
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
	bool mapped = w[0] == 0 && w[1] == 0 && w[2] == bpf_htonl(0x0000ffff);
	int ok;
	if (mapped) {
		__builtin_memcpy(addr, &w[3], 4);
		ok = wd_net_decide(session, 4, addr, port);
	} else {
		__builtin_memcpy(addr, w, 16);
		ok = wd_net_decide(session, 6, addr, port);
	}
	return ok || (wd_loopback6(w) && wd_own_listener(ctx, w[3], mapped ? NULL : w));
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

/* ---- Unix sockets, listeners and loopback ---- */

extern void *bpf_cast_to_kern_ctx(void *obj) __ksym;

/* A pathname Unix connect or datagram send: only allowed names, and the session's own. */
static __always_inline int wd_unix_sock_addr(struct bpf_sock_addr *ctx)
{
	__u32 session;
	if (!wd_tracked(&session))
		return 1;
	struct wd_net_cfg *cfg = bpf_map_lookup_elem(&wd_net_cfg, &session);
	if (!cfg || !cfg->enforce || !cfg->unix_limit)
		return 1;
	struct bpf_sock_addr_kern *k = bpf_cast_to_kern_ctx(ctx);
	struct wd_unix_key *key = wd_unix_key_slot(0);
	if (!key)
		return 0;
	int n = wd_unix_path_from(key, (const void *)k->uaddr + 2, k->uaddrlen);
	if (n == 0)
		return 1; /* unnamed: nothing to reach */
	return n > 0 && wd_unix_allowed(session, key);
}

SEC("cgroup/connect4") /* attached as connect_unix: the loader sets the type */
int wd_connect_unix(struct bpf_sock_addr *ctx)
{
	return wd_unix_sock_addr(ctx);
}

SEC("cgroup/sendmsg4") /* attached as sendmsg_unix */
int wd_sendmsg_unix(struct bpf_sock_addr *ctx)
{
	return wd_unix_sock_addr(ctx);
}

/*
 * bind: a listener is reachable from this machine only (the ingress program
 * drops what comes from other hosts), so a wildcard bind is kept; a bind to
 * another host-facing address is refused. The socket is marked the session's.
 */
static __always_inline int wd_bind(struct bpf_sock_addr *ctx, bool v6)
{
	__u32 session;
	if (!wd_tracked(&session))
		return 1;
	struct wd_sk_owner *owner =
	    bpf_sk_storage_get(&wd_sk_owner, ctx->sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (owner) {
		owner->cgroup = bpf_get_current_ancestor_cgroup_id(wd_session_level);
		owner->port = bpf_ntohs(ctx->user_port);
	}
	struct wd_net_cfg *cfg = bpf_map_lookup_elem(&wd_net_cfg, &session);
	if (!cfg || !cfg->enforce || !cfg->local_only)
		return 1;
	if (v6) {
		__u32 w[4] = {ctx->user_ip6[0], ctx->user_ip6[1], ctx->user_ip6[2],
			      ctx->user_ip6[3]};
		bool any = !w[0] && !w[1] && !w[2] && !w[3];
		return any || wd_loopback6(w);
	}
	return ctx->user_ip4 == 0 || wd_loopback4(ctx->user_ip4);
}

SEC("cgroup/bind4")
int wd_bind4(struct bpf_sock_addr *ctx)
{
	return wd_bind(ctx, false);
}

SEC("cgroup/bind6")
int wd_bind6(struct bpf_sock_addr *ctx)
{
	return wd_bind(ctx, true);
}

/*
 * Inbound from other hosts to a session: new TCP connections, and datagrams to
 * sockets the session bound, are dropped (what the session itself opened
 * still gets its replies). Loopback traffic, this machine's own, passes.
 */
SEC("cgroup_skb/ingress")
int wd_ingress(struct __sk_buff *skb)
{
	if (skb->ingress_ifindex == 1 /* lo */)
		return 1;
	__u64 cg = bpf_skb_ancestor_cgroup_id(skb, wd_session_level);
	__u32 *session = bpf_map_lookup_elem(&wd_sessions, &cg);
	if (!session)
		return 1;
	struct wd_net_cfg *cfg = bpf_map_lookup_elem(&wd_net_cfg, session);
	if (!cfg || !cfg->enforce || !cfg->local_only)
		return 1;
	__u8 proto = 0;
	__u32 l4 = 0;
	if (skb->protocol == bpf_htons(0x0800)) {
		__u8 vihl;
		if (bpf_skb_load_bytes(skb, 0, &vihl, 1) || bpf_skb_load_bytes(skb, 9, &proto, 1))
			return 1;
		l4 = (vihl & 0xf) * 4;
	} else if (skb->protocol == bpf_htons(0x86dd)) {
		if (bpf_skb_load_bytes(skb, 6, &proto, 1))
			return 1;
		l4 = 40;
	} else {
		return 1;
	}
	if (proto == 6 /* TCP */) {
		__u8 flags;
		if (bpf_skb_load_bytes(skb, l4 + 13, &flags, 1))
			return 1;
		return (flags & 0x12) == 0x02 ? 0 : 1; /* SYN without ACK: someone calling in */
	}
	if (proto == 17 /* UDP */) {
		struct bpf_sock *sk = skb->sk;
		if (!sk || !(sk = bpf_sk_fullsock(sk)))
			return 1;
		struct wd_sk_owner *owner = bpf_sk_storage_get(&wd_sk_owner, sk, 0, 0);
		return owner && owner->port ? 0 : 1; /* a server's port, not a client's */
	}
	return 1;
}
