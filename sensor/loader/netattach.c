// SPDX-License-Identifier: Apache-2.0
/*
 * The network programs of a session's cgroup: attached on command, their links pinned in bpffs
 * (a crash of the loader lifts no session's limits), detached on command; a session still
 * attached when the loader ends was abandoned by Warden, and is frozen with its limits kept.
 */
#define _GNU_SOURCE
#include "netattach.h"
#include "map_types.h"
#include "log.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>

/* Network programs attached to one session's cgroup; their links are pinned. */
#define NET_PROGS 11
#define MAX_ATTACHED 256
static struct attached {
	__u32 session;
	__u64 cgroup_id;
	char cgroup[512];
	char pin_dir[512];
	int freeze_fd; /* opened at attach: freezing never needs a new fd (an RLIMIT_NOFILE of 0
			  cannot stop it) */
	struct bpf_link *links[NET_PROGS];
} attached[MAX_ATTACHED];

/* cgroup connect_unix/sendmsg_unix (kernel 6.7+; libbpf 1.1 has no section name for them) */
#define WD_CGROUP_UNIX_CONNECT 49
#define WD_CGROUP_UNIX_SENDMSG 50
static bool unix_hooks;

/* NULL: this kernel has no such hook (the session goes without it, and says so at start). */
static struct bpf_program *net_prog(struct sensor_bpf *skel, int i, const char **name)
{
	static const char *names[NET_PROGS] = {
	    "connect4", "connect6", "sendmsg4", "sendmsg6",	"recvmsg4",    "recvmsg6",
	    "bind4",	"bind6",    "ingress",	"connect_unix", "sendmsg_unix"};
	struct bpf_program *progs[NET_PROGS] = {
	    skel->progs.wd_connect4,	 skel->progs.wd_connect6,    skel->progs.wd_sendmsg4,
	    skel->progs.wd_sendmsg6,	 skel->progs.wd_recvmsg4,    skel->progs.wd_recvmsg6,
	    skel->progs.wd_bind4,	 skel->progs.wd_bind6,	     skel->progs.wd_ingress,
	    skel->progs.wd_connect_unix, skel->progs.wd_sendmsg_unix};
	*name = names[i];
	if (!unix_hooks &&
	    (progs[i] == skel->progs.wd_connect_unix || progs[i] == skel->progs.wd_sendmsg_unix))
		return NULL;
	return progs[i];
}

/* The unix hooks' BTF enum values exist on kernels that have them. */
void wd_net_setup(struct sensor_bpf *skel)
{
	struct btf *vm = btf__load_vmlinux_btf();
	unix_hooks = false;
	if (vm) {
		/* enumerators are not types: look for the value in enum bpf_attach_type */
		__s32 id = btf__find_by_name_kind(vm, "bpf_attach_type", BTF_KIND_ENUM);
		const struct btf_type *t = id > 0 ? btf__type_by_id(vm, id) : NULL;
		const struct btf_enum *e = t ? btf_enum(t) : NULL;
		for (int i = 0; e && i < btf_vlen(t); i++)
			if (!strcmp(btf__name_by_offset(vm, e[i].name_off),
				    "BPF_CGROUP_UNIX_CONNECT"))
				unix_hooks = e[i].val == WD_CGROUP_UNIX_CONNECT;
		btf__free(vm);
	}
	if (unix_hooks) {
		bpf_program__set_expected_attach_type(skel->progs.wd_connect_unix,
						      WD_CGROUP_UNIX_CONNECT);
		bpf_program__set_expected_attach_type(skel->progs.wd_sendmsg_unix,
						      WD_CGROUP_UNIX_SENDMSG);
	} else {
		bpf_program__set_autoload(skel->progs.wd_connect_unix, false);
		bpf_program__set_autoload(skel->progs.wd_sendmsg_unix, false);
		wd_logf(
		    "this kernel has no cgroup connect_unix hook (6.7+): Unix sockets unlimited");
	}
}

/* Forgets the Unix socket names a session bound (the map is keyed by its cgroup id). */
static void forget_unix_names(struct sensor_bpf *skel, __u64 cgroup_id)
{
	int fd = bpf_map__fd(skel->maps.wd_unix_own);
	struct wd_unix_key key, next, *prev = NULL;
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		if (prev && prev->id == cgroup_id)
			bpf_map_delete_elem(fd, prev);
		key = next;
		prev = &key;
	}
	if (prev && prev->id == cgroup_id)
		bpf_map_delete_elem(fd, prev);
}

static void net_detach(struct sensor_bpf *skel, struct attached *a)
{
	forget_unix_names(skel, a->cgroup_id);
	for (int i = 0; i < NET_PROGS; i++) {
		if (!a->links[i])
			continue;
		bpf_link__unpin(a->links[i]);
		bpf_link__destroy(a->links[i]);
		a->links[i] = NULL;
	}
	rmdir(a->pin_dir);
	if (a->freeze_fd >= 0)
		close(a->freeze_fd);
	a->freeze_fd = -1;
	a->session = 0;
}

static void abandon(struct attached *a)
{
	if (a->freeze_fd < 0 || write(a->freeze_fd, "1", 1) != 1)
		wd_logf("cannot freeze abandoned session %s: %s", a->cgroup, strerror(errno));
	else
		wd_logf("session %s left without Warden: frozen, network limits kept", a->cgroup);
	for (int i = 0; i < NET_PROGS; i++)
		bpf_link__destroy(a->links[i]); /* our handle only: the pin keeps the link */
}

int wd_net_attach(struct sensor_bpf *skel, const struct wd_cmd_attach *c)
{
	struct attached *a = NULL;
	for (int i = 0; i < MAX_ATTACHED && !a; i++)
		if (!attached[i].session)
			a = &attached[i];
	if (!a)
		return -ENOSPC;
	int cg = open(c->cgroup, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cg < 0)
		return -errno;
	a->session = c->session;
	struct stat st;
	a->cgroup_id = fstat(cg, &st) ? 0 : st.st_ino; /* a cgroup2 directory's inode is its id */
	snprintf(a->cgroup, sizeof(a->cgroup), "%s", c->cgroup);
	snprintf(a->pin_dir, sizeof(a->pin_dir), "%s", c->pin_dir);
	a->freeze_fd = openat(cg, "cgroup.freeze", O_WRONLY | O_CLOEXEC);
	int err = a->freeze_fd < 0 ? -errno : 0;
	if (!err && mkdir(a->pin_dir, 0700) && errno != EEXIST)
		err = -errno;
	for (int i = 0; i < NET_PROGS && !err; i++) {
		const char *name;
		char pin[600];
		struct bpf_program *prog = net_prog(skel, i, &name);
		if (!prog)
			continue;
		a->links[i] = bpf_program__attach_cgroup(prog, cg);
		if (!a->links[i]) {
			err = -errno;
			break;
		}
		snprintf(pin, sizeof(pin), "%s/%s", a->pin_dir, name);
		err = bpf_link__pin(a->links[i], pin);
	}
	close(cg);
	if (err)
		net_detach(skel, a);
	return err;
}

int wd_net_detach_session(struct sensor_bpf *skel, __u32 session)
{
	for (int i = 0; i < MAX_ATTACHED; i++)
		if (attached[i].session == session) {
			net_detach(skel, &attached[i]);
			return 0;
		}
	return -ENOENT;
}

bool wd_net_unix_hooks(void)
{
	return unix_hooks;
}

void wd_net_abandon_all(void)
{
	for (int i = 0; i < MAX_ATTACHED; i++)
		if (attached[i].session)
			abandon(&attached[i]);
}
