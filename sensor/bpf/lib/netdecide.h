/* SPDX-License-Identifier: Apache-2.0 */
/* The network decision, shared by the cgroup sock_addr programs and BPF-LSM. */
#pragma once

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 65536);
	__type(key, struct wd_net_key);
	__type(value, struct wd_net_val);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} wd_net_rules SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, struct wd_net_cfg);
} wd_net_cfg SEC(".maps");

/* 1: allow, 0: refuse (the syscall then fails with EPERM). */
static __always_inline int wd_net_decide(__u32 session, __u32 family, const __u8 *addr, __u16 port)
{
	struct wd_net_cfg *cfg = bpf_map_lookup_elem(&wd_net_cfg, &session);
	struct wd_net_key key = {.session = session, .family = family};
	struct wd_net_val *val;

	if (!cfg || !cfg->enforce)
		return 1;
	key.prefixlen = 64 + (family == 4 ? 32 : 128);
	__builtin_memcpy(key.addr, addr, 16);
	val = bpf_map_lookup_elem(&wd_net_rules, &key);
	if (val) {
		__u8 allow = 0;
		for (int i = 0; i < WD_NET_ENTRIES; i++) {
			if (i >= val->n)
				break;
			if (val->e[i].port && val->e[i].port != port)
				continue;
			if (val->e[i].deny)
				return 0;
			allow = 1;
		}
		if (allow)
			return 1;
	}
	return cfg->default_allow ? 1 : 0;
}
