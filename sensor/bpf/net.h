/* SPDX-License-Identifier: Apache-2.0 */
/* Network: connect, UDP send destinations, bind, listen, accept. */
#pragma once

#define WD_AF_INET 2
#define WD_AF_INET6 10
#define WD_SOCK_STREAM 1
#define WD_AF_UNIX 1

/* An AF_UNIX address for the frame: '@' marks an abstract name. */
static __always_inline void wd_unix_path_user(char *out, const void *uaddr)
{
	if (!uaddr || bpf_probe_read_user(out, WD_UNIX_PATH, uaddr + 2))
		return;
	if (out[0] == 0 && out[1] != 0)
		out[0] = '@';
	out[WD_UNIX_PATH - 1] = 0;
}

static __always_inline struct socket *wd_fd_socket(int fd)
{
	struct file *f = wd_fd_file(fd);
	if (!f)
		return NULL;
	umode_t mode = BPF_CORE_READ(f, f_inode, i_mode);
	if ((mode & S_IFMT) != S_IFSOCK)
		return NULL;
	return BPF_CORE_READ(f, private_data);
}

static __always_inline bool wd_fd_unix(int fd)
{
	struct socket *sock = wd_fd_socket(fd);
	return sock && BPF_CORE_READ(sock, sk, __sk_common.skc_family) == WD_AF_UNIX;
}

/* Fills family, type, protocol and both endpoints from the kernel socket. */
static __always_inline void wd_net_from_socket(struct wd_net *e, struct socket *sock)
{
	struct sock *sk = BPF_CORE_READ(sock, sk);
	if (!sk)
		return;
	e->family = BPF_CORE_READ(sk, __sk_common.skc_family);
	e->sock_type = BPF_CORE_READ(sk, sk_type);
	e->protocol = BPF_CORE_READ(sk, sk_protocol);
	e->lport = BPF_CORE_READ(sk, __sk_common.skc_num);
	e->dport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	if (e->family == WD_AF_INET) {
		/* read whole addresses: READ_INTO on a byte array would copy one byte */
		__u32 l = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);
		__u32 d = BPF_CORE_READ(sk, __sk_common.skc_daddr);
		__builtin_memcpy(e->laddr, &l, 4);
		__builtin_memcpy(e->daddr, &d, 4);
	} else if (e->family == WD_AF_INET6) {
		struct in6_addr l = BPF_CORE_READ(sk, __sk_common.skc_v6_rcv_saddr);
		struct in6_addr d = BPF_CORE_READ(sk, __sk_common.skc_v6_daddr);
		__builtin_memcpy(e->laddr, &l, 16);
		__builtin_memcpy(e->daddr, &d, 16);
	}
}

/* Reads a user sockaddr into (addr, port); returns its family, 0 if unreadable. */
static __always_inline __u16 wd_read_sockaddr(const void *uaddr, __u8 *addr, __u16 *port)
{
	struct sockaddr_in6 sa = {};
	if (!uaddr || bpf_probe_read_user(&sa, sizeof(sa), uaddr)) {
		/* a sockaddr_in may sit at the very end of a mapping: retry short */
		if (!uaddr || bpf_probe_read_user(&sa, sizeof(struct sockaddr_in), uaddr))
			return 0;
	}
	if (sa.sin6_family == WD_AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)&sa;
		__builtin_memcpy(addr, &in->sin_addr, 4);
		*port = bpf_ntohs(in->sin_port);
	} else if (sa.sin6_family == WD_AF_INET6) {
		__builtin_memcpy(addr, &sa.sin6_addr, 16);
		*port = bpf_ntohs(sa.sin6_port);
	}
	return sa.sin6_family;
}

static __always_inline int wd_net_exit(struct wd_stash *s, long ret, __u32 nr)
{
	__u8 *buf = wd_scratch();
	if (!buf)
		return 0;
	struct wd_net *e = (struct wd_net *)buf;
	__u64 *g = s->args;
	const void *uaddr = NULL;
	__u16 type;

	__builtin_memset((void *)e + sizeof(e->hdr) + sizeof(e->task), 0,
			 sizeof(*e) - sizeof(e->hdr) - sizeof(e->task));
	e->result = ret;
	e->fd = g[0];
	e->syscall = nr;
	switch (nr) {
	case WD_SYS_CONNECT: type = WD_EV_CONNECT, uaddr = (void *)g[1]; break;
	case WD_SYS_BIND: type = WD_EV_BIND, uaddr = (void *)g[1]; break;
	case WD_SYS_LISTEN: type = WD_EV_LISTEN, e->backlog = g[1]; break;
	case WD_SYS_ACCEPT:
	case WD_SYS_ACCEPT4: type = WD_EV_ACCEPT; break;
	case WD_SYS_SENDTO: type = WD_EV_SEND, uaddr = (void *)g[4], e->bytes = g[2]; break;
	case WD_SYS_SENDMSG:
	case WD_SYS_SENDMMSG: {
		struct user_msghdr m = {};
		bpf_probe_read_user(&m, sizeof(m), (void *)g[1]);
		type = WD_EV_SEND, uaddr = m.msg_name;
		e->bytes = ret > 0 && nr == WD_SYS_SENDMSG ? ret : 0;
		break;
	}
	default: return 0;
	}
	int sock_fd = type == WD_EV_ACCEPT ? (int)ret : (int)g[0];
	struct socket *sock = wd_fd_socket(sock_fd);
	if (sock)
		wd_net_from_socket(e, sock);
	if (type == WD_EV_SEND) {
		/* Only datagrams sent to an explicit address: streams show up as connect. */
		if (!uaddr || e->sock_type == WD_SOCK_STREAM)
			return 0;
		e->family = wd_read_sockaddr(uaddr, e->daddr, &e->dport);
		if (e->family != WD_AF_INET && e->family != WD_AF_INET6 && e->family != WD_AF_UNIX)
			return 0;
	} else if (type == WD_EV_CONNECT) {
		/* the destination asked for, even when the connect failed */
		__builtin_memset(e->daddr, 0, sizeof(e->daddr));
		e->dport = 0;
		e->family = wd_read_sockaddr(uaddr, e->daddr, &e->dport);
	} else if (type == WD_EV_BIND) {
		__builtin_memset(e->laddr, 0, sizeof(e->laddr));
		e->lport = 0;
		e->family = wd_read_sockaddr(uaddr, e->laddr, &e->lport);
	} else if (type == WD_EV_ACCEPT && ret < 0) {
		return 0; /* EAGAIN on non-blocking accept loops is noise, not an action */
	}
	if (e->family == WD_AF_UNIX) {
		wd_unix_path_user(e->unix_path, uaddr);
		if (type == WD_EV_BIND && ret == 0 && sock)
			wd_unix_note_bound(sock);
	}
	wd_fill_header(&e->hdr, type);
	wd_fill_task(&e->task, s->session);
	return wd_submit(buf, sizeof(*e), 0);
}
