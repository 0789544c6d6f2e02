/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Pathname Unix sockets: which a session may connect or send to. The kernel
 * copy of the address is judged (the caller cannot change it after the check):
 * allowed when the policy names it (exactly, or a directory above it) or when
 * the session bound that name itself. Abstract names are Landlock's (scoped to
 * the session); unnamed sockets have no address to judge.
 */
#pragma once

/* network.unix.allow, and Warden's own socket for the session: WD_UNIX_* */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, struct wd_unix_key);
	__type(value, __u8);
} wd_unix_allow SEC(".maps");

/* Names the session's own sockets were bound to (filled at bind's exit). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct wd_unix_key);
	__type(value, __u8);
} wd_unix_own SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, struct wd_unix_key);
} wd_unix_scratch SEC(".maps");

static __always_inline struct wd_unix_key *wd_unix_key_slot(__u32 slot)
{
	return bpf_map_lookup_elem(&wd_unix_scratch, &slot);
}

/*
 * The loops over a path run as bpf_loop callbacks: the verifier checks a callback
 * once, where an open loop of 108 steps cost it ~70 ms per program at every start.
 */
struct wd_unix_pad {
	struct wd_unix_key *key;
	int n;
	bool abstract, ended;
};

static long wd_unix_pad_step(__u64 i, void *ctx)
{
	struct wd_unix_pad *p = ctx;
	if (i >= WD_UNIX_PATH)
		return 1;
	if (i >= p->n || (!p->abstract && p->key->path[i] == 0))
		p->ended = true;
	if (p->ended)
		p->key->path[i] = 0;
	return 0;
}

/* a walk along key->path; found: the step's question had its answer */
struct wd_unix_walk {
	const struct wd_unix_key *key;
	struct wd_unix_key *prefix;
	bool found;
};

static long wd_unix_climb_step(__u64 i, void *ctx)
{
	struct wd_unix_walk *w = ctx;
	if (i >= WD_UNIX_PATH - 2) /* i itself: the verifier bounds the index it is given */
		return 1;
	const char *p = w->key->path;
	if (p[i] == 0)
		return 1;
	if ((i == 0 || p[i - 1] == '/') && p[i] == '.' && p[i + 1] == '.' &&
	    (p[i + 2] == '/' || p[i + 2] == 0)) {
		w->found = true;
		return 1;
	}
	return 0;
}

/* copies the path into prefix one byte at a time; at each '/', is that directory a subtree rule? */
static long wd_unix_prefix_step(__u64 i, void *ctx)
{
	struct wd_unix_walk *w = ctx;
	if (i >= WD_UNIX_PATH - 1)
		return 1;
	char c = w->key->path[i];
	if (c == 0)
		return 1;
	w->prefix->path[i] = c;
	if (c != '/')
		return 0;
	__u8 *kind = bpf_map_lookup_elem(&wd_unix_allow, w->prefix);
	if (kind && *kind == WD_UNIX_SUBTREE) {
		w->found = true;
		return 1;
	}
	return 0;
}

/*
 * Copies a sockaddr_un's path (len: the address length, family included) from
 * kernel memory into key->path, NUL-padded. Returns the path's length; an
 * abstract name keeps its leading NUL (path[0] == 0, length > 0).
 */
static __always_inline int wd_unix_path_from(struct wd_unix_key *key, const void *sun_path, int len)
{
	int n = len - 2;
	if (n <= 0)
		return 0;
	if (n > WD_UNIX_PATH)
		n = WD_UNIX_PATH;
	if (bpf_probe_read_kernel(key->path, WD_UNIX_PATH, sun_path))
		return -1;
	/* a pathname ends at its first NUL; an abstract name starts with one */
	struct wd_unix_pad pad = {.key = key, .n = n, .abstract = key->path[0] == 0};
	bpf_loop(WD_UNIX_PATH, wd_unix_pad_step, &pad, 0);
	return n;
}

/* Records the name a session socket was just bound to, from the socket itself. */
static __always_inline void wd_unix_note_bound(struct socket *sock)
{
	struct unix_sock *u = (struct unix_sock *)BPF_CORE_READ(sock, sk);
	struct unix_address *a = BPF_CORE_READ(u, addr);
	struct wd_unix_key *key = wd_unix_key_slot(0);
	if (!a || !key)
		return;
	int len = BPF_CORE_READ(a, len);
	const void *name = (const void *)a + bpf_core_field_offset(struct unix_address, name);
	key->id = bpf_get_current_ancestor_cgroup_id(wd_session_level);
	key->pad = 0;
	if (wd_unix_path_from(key, name + 2 /* sun_family */, len) <= 0 || key->path[0] == 0)
		return;
	__u8 one = 1;
	bpf_map_update_elem(&wd_unix_own, key, &one, BPF_ANY);
}

/* 1: a path with a ".." component (a subtree rule never covers it). */
static __always_inline bool wd_unix_climbs(const struct wd_unix_key *key)
{
	struct wd_unix_walk w = {.key = key};
	bpf_loop(WD_UNIX_PATH, wd_unix_climb_step, &w, 0);
	return w.found;
}

/* 1: allowed. `key` holds the path asked for; the caller is in `session`. */
static __always_inline int wd_unix_allowed(__u32 session, struct wd_unix_key *key)
{
	if (key->path[0] == 0)
		return 1; /* abstract */
	key->pad = 0;
	key->id = bpf_get_current_ancestor_cgroup_id(wd_session_level);
	if (bpf_map_lookup_elem(&wd_unix_own, key))
		return 1;
	key->id = session;
	if (bpf_map_lookup_elem(&wd_unix_allow, key))
		return 1;
	if (key->path[0] != '/' || wd_unix_climbs(key))
		return 0;
	struct wd_unix_key *prefix = wd_unix_key_slot(1);
	if (!prefix)
		return 0;
	__builtin_memset(prefix, 0, sizeof(*prefix));
	prefix->id = session;
	struct wd_unix_walk w = {.key = key, .prefix = prefix};
	bpf_loop(WD_UNIX_PATH, wd_unix_prefix_step, &w, 0);
	return w.found;
}
