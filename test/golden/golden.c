// SPDX-License-Identifier: Apache-2.0
/*
 * Writes one frame of each kind, with known values, to stdout: the golden
 * records test/wire-golden.test.ts decodes. Built from the same wire.h as the sensor.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "wire.h"

static unsigned char buf[WD_FRAME_MAX];

static void task(struct wd_task *t, __u32 pid)
{
	t->pid = pid;
	t->tid = pid + 1;
	t->ppid = 1;
	t->uid = 1000;
	t->gid = 1001;
	t->session = 7;
	t->cgroup_id = 0x0011223344556677ull; /* all eight bytes used, below 2^53 */
	t->start_ns = 123456789;
	strcpy(t->comm, "golden");
}

static void emit(__u16 type, size_t size)
{
	struct wd_header *h = (struct wd_header *)buf;
	h->version = WD_WIRE_VERSION;
	h->type = type;
	h->size = (size + 7) & ~7u;
	h->time_ns = 5000000000ull;
	fwrite(buf, 1, h->size, stdout);
	memset(buf, 0, sizeof(buf));
}

static size_t put(size_t off, const char *data, size_t len)
{
	memcpy(buf + off, data, len);
	return len;
}

int main(void)
{
	size_t off;
	struct wd_exec *x = (struct wd_exec *)buf;
	task(&x->task, 100);
	x->old_pid = 100;
	x->argc = 2;
	off = sizeof(*x);
	off += x->argv_len = put(off, "cat\0/etc/hostname\0", 18);
	off += x->exe_len = put(off, "cat\0bin\0usr\0", 12);
	off += x->cwd_len = put(off, "tmp\0", 4);
	emit(WD_EV_EXEC, off);

	struct wd_file *f = (struct wd_file *)buf;
	task(&f->task, 200);
	f->result = 0;
	f->flags = 1;
	f->syscall = WD_SYS_RENAMEAT2;
	off = sizeof(*f);
	off += f->str1_len = put(off, "a.txt\0", 6);
	off += f->walk1_len = put(off, "work\0/\0", 7);
	off += f->str2_len = put(off, "/tmp/../tmp/b.txt\0", 18);
	emit(WD_EV_RENAME, off);

	f = (struct wd_file *)buf;
	task(&f->task, 201);
	f->result = 3;
	f->flags = 0100 | 01;
	f->mode = 0644;
	f->flags_ex = WD_F_RESOLVED;
	f->syscall = WD_SYS_OPENAT;
	off = sizeof(*f);
	off += f->str1_len = put(off, "link\0", 5);
	off += f->walk1_len = put(off, "target\0etc\0", 11);
	emit(WD_EV_OPEN, off);

	struct wd_net *n = (struct wd_net *)buf;
	task(&n->task, 300);
	n->result = -111;
	n->fd = 3;
	n->family = 2;
	n->sock_type = 1;
	n->protocol = 6;
	n->dport = 1;
	memcpy(n->daddr, "\x7f\x00\x00\x01", 4);
	n->syscall = WD_SYS_CONNECT;
	emit(WD_EV_CONNECT, sizeof(*n));

	n = (struct wd_net *)buf;
	task(&n->task, 301);
	n->result = 5;
	n->bytes = 5;
	n->family = 10;
	n->sock_type = 2;
	n->protocol = 17;
	n->dport = 53;
	n->daddr[15] = 1;
	n->syscall = WD_SYS_SENDTO;
	emit(WD_EV_SEND, sizeof(*n));

	struct wd_signal *s = (struct wd_signal *)buf;
	task(&s->task, 400);
	s->result = -1;
	s->target = 1;
	s->arg = 9;
	s->syscall = WD_SYS_KILL;
	emit(WD_EV_KILL, sizeof(*s));

	struct wd_cred *c = (struct wd_cred *)buf;
	task(&c->task, 500);
	c->syscall = WD_SYS_SETRESUID;
	c->ids[0] = 0;
	c->ids[1] = 0;
	c->ids[2] = (__u32)-1;
	emit(WD_EV_SETUID, sizeof(*c));

	struct wd_fork *k = (struct wd_fork *)buf;
	task(&k->task, 600);
	k->child_pid = 601;
	k->child_start_ns = 42;
	emit(WD_EV_FORK, sizeof(*k));

	struct wd_exit *e = (struct wd_exit *)buf;
	task(&e->task, 601);
	e->exit_code = 3 << 8;
	emit(WD_EV_EXIT, sizeof(*e));

	struct wd_stats *st = (struct wd_stats *)buf;
	st->events = 10;
	st->drops = 2;
	st->truncations = 1;
	st->read_errors = 0;
	st->frames_out = 11;
	emit(WD_MSG_STATS, sizeof(*st));
	return fflush(stdout) ? 1 : 0;
}
