/* SPDX-License-Identifier: Apache-2.0 */
/* Signals, ptrace and credential changes. */
#pragma once

static __always_inline int wd_signal_exit(struct wd_stash *s, long ret, __u32 nr)
{
	__u8 *buf = wd_scratch();
	if (!buf)
		return 0;
	struct wd_signal *e = (struct wd_signal *)buf;
	__u64 *g = s->args;
	__u16 type = WD_EV_KILL;

	e->result = ret;
	e->syscall = nr;
	e->pad = 0;
	switch (nr) {
	case WD_SYS_KILL:
	case WD_SYS_TKILL: e->target = g[0], e->arg = g[1]; break;
	case WD_SYS_TGKILL: e->target = g[1], e->arg = g[2]; break;
	case WD_SYS_PTRACE: type = WD_EV_PTRACE, e->target = g[1], e->arg = g[0]; break;
	default: return 0;
	}
	wd_fill_header(&e->hdr, type);
	wd_fill_task(&e->task, s->session);
	return wd_submit(buf, sizeof(*e), 0);
}

struct wd_cap_data {
	__u32 effective;
	__u32 permitted;
	__u32 inheritable;
};

static __always_inline int wd_cred_exit(struct wd_stash *s, long ret, __u32 nr)
{
	__u8 *buf = wd_scratch();
	if (!buf)
		return 0;
	struct wd_cred *e = (struct wd_cred *)buf;
	__u64 *g = s->args;
	__u16 type = WD_EV_SETUID;

	e->result = ret;
	e->syscall = nr;
	e->ids[0] = g[0], e->ids[1] = (__u32)-1, e->ids[2] = (__u32)-1;
	e->cap_effective = e->cap_permitted = e->cap_inheritable = 0;
	switch (nr) {
	case WD_SYS_SETUID:
	case WD_SYS_SETGID:
	case WD_SYS_SETFSUID:
	case WD_SYS_SETFSGID: break;
	case WD_SYS_SETREUID:
	case WD_SYS_SETREGID: e->ids[1] = g[1]; break;
	case WD_SYS_SETRESUID:
	case WD_SYS_SETRESGID: e->ids[1] = g[1], e->ids[2] = g[2]; break;
	case WD_SYS_CAPSET: {
		struct wd_cap_data d[2] = {};
		type = WD_EV_CAPSET;
		e->ids[0] = (__u32)-1;
		if (g[1] && bpf_probe_read_user(d, sizeof(d), (void *)g[1]) == 0) {
			e->cap_effective = d[0].effective | (__u64)d[1].effective << 32;
			e->cap_permitted = d[0].permitted | (__u64)d[1].permitted << 32;
			e->cap_inheritable = d[0].inheritable | (__u64)d[1].inheritable << 32;
		}
		break;
	}
	default: return 0;
	}
	wd_fill_header(&e->hdr, type);
	wd_fill_task(&e->task, s->session);
	return wd_submit(buf, sizeof(*e), 0);
}
