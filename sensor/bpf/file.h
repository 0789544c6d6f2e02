/* SPDX-License-Identifier: Apache-2.0 */
/* File operations: open, unlink, rename, mkdir, chmod, truncate, link, symlink, mknod. */
#pragma once

struct wd_file_args {
	__u16 type;
	int dirfd;
	const char *path;
	int dirfd2;
	const char *path2; /* rename's, link's and symlink's new name */
	bool text1;	   /* path is a symlink's text: not resolved against a directory */
	int fd;		   /* fchmod/ftruncate: the file itself */
	__u32 flags;
	__u32 mode;
	__u64 length;
};

static __always_inline int wd_emit_file(struct wd_file_args *a, struct wd_stash *s, long ret)
{
	__u32 flags = 0;
	__u8 *buf = wd_scratch();
	if (!buf)
		return 0;
	struct wd_file *e = (struct wd_file *)buf;
	__u64 off = sizeof(*e);

	wd_fill_header(&e->hdr, a->type);
	wd_fill_task(&e->task, s->session);
	e->result = ret;
	e->length = a->length;
	e->flags = a->flags;
	e->mode = a->mode;
	e->syscall = s->nr;
	e->str1_len = wd_put_user_str(buf, &off, a->path, &flags);
	e->walk1_len = 0;
	if (a->type == WD_EV_OPEN && ret >= 0) {
		/* the file actually opened: symlinks and ".." already resolved by the kernel */
		struct file *f = wd_fd_file(ret);
		if (f) {
			struct path p = BPF_CORE_READ(f, f_path);
			e->walk1_len = wd_put_walk(buf, &off, &p, &flags);
			flags |= WD_F_RESOLVED;
		}
	} else if (a->fd >= 0) {
		struct file *f = wd_fd_file(a->fd);
		if (f) {
			struct path p = BPF_CORE_READ(f, f_path);
			e->walk1_len = wd_put_walk(buf, &off, &p, &flags);
			flags |= WD_F_RESOLVED;
		}
	} else if (!a->text1 && e->str1_len > 0 && buf[(sizeof(*e)) & WD_MASK] != '/') {
		e->walk1_len = wd_put_base(buf, &off, a->dirfd, &flags);
	}
	e->str2_len = 0;
	e->walk2_len = 0;
	if (a->path2) {
		__u64 str2_at = off;
		e->str2_len = wd_put_user_str(buf, &off, a->path2, &flags);
		if (e->str2_len > 0 && buf[str2_at & WD_MASK] != '/')
			e->walk2_len = wd_put_base(buf, &off, a->dirfd2, &flags);
	}
	if (a->type == WD_EV_UNLINK && (a->flags & AT_REMOVEDIR))
		flags |= WD_F_DIR;
	e->flags_ex = flags;
	return wd_submit(buf, off, flags);
}

static __always_inline int wd_file_exit(struct wd_stash *s, long ret, __u32 nr)
{
	struct wd_file_args a = {.dirfd = AT_FDCWD, .dirfd2 = AT_FDCWD, .fd = -1};
	__u64 *g = s->args;

	switch (nr) {
	case WD_SYS_OPEN:
		a.type = WD_EV_OPEN, a.path = (void *)g[0], a.flags = g[1], a.mode = g[2];
		break;
	case WD_SYS_OPENAT:
		a.type = WD_EV_OPEN, a.dirfd = g[0], a.path = (void *)g[1], a.flags = g[2],
		a.mode = g[3];
		break;
	case WD_SYS_OPENAT2: {
		struct open_how how = {};
		bpf_probe_read_user(&how, sizeof(how), (void *)g[2]);
		a.type = WD_EV_OPEN, a.dirfd = g[0], a.path = (void *)g[1];
		a.flags = how.flags, a.mode = how.mode;
		break;
	}
	case WD_SYS_CREAT:
		a.type = WD_EV_OPEN, a.path = (void *)g[0], a.mode = g[1];
		a.flags = O_CREAT | O_WRONLY | O_TRUNC;
		break;
	case WD_SYS_UNLINK: a.type = WD_EV_UNLINK, a.path = (void *)g[0]; break;
	case WD_SYS_RMDIR:
		a.type = WD_EV_UNLINK, a.path = (void *)g[0], a.flags = AT_REMOVEDIR;
		break;
	case WD_SYS_UNLINKAT:
		a.type = WD_EV_UNLINK, a.dirfd = g[0], a.path = (void *)g[1], a.flags = g[2];
		break;
	case WD_SYS_RENAME:
		a.type = WD_EV_RENAME, a.path = (void *)g[0], a.path2 = (void *)g[1];
		break;
	case WD_SYS_RENAMEAT:
	case WD_SYS_RENAMEAT2:
		a.type = WD_EV_RENAME, a.dirfd = g[0], a.path = (void *)g[1];
		a.dirfd2 = g[2], a.path2 = (void *)g[3];
		a.flags = nr == WD_SYS_RENAMEAT2 ? g[4] : 0;
		break;
	case WD_SYS_MKDIR: a.type = WD_EV_MKDIR, a.path = (void *)g[0], a.mode = g[1]; break;
	case WD_SYS_MKDIRAT:
		a.type = WD_EV_MKDIR, a.dirfd = g[0], a.path = (void *)g[1], a.mode = g[2];
		break;
	case WD_SYS_CHMOD: a.type = WD_EV_CHMOD, a.path = (void *)g[0], a.mode = g[1]; break;
	case WD_SYS_FCHMOD: a.type = WD_EV_CHMOD, a.fd = g[0], a.mode = g[1]; break;
	case WD_SYS_FCHMODAT:
	case WD_SYS_FCHMODAT2:
		a.type = WD_EV_CHMOD, a.dirfd = g[0], a.path = (void *)g[1], a.mode = g[2];
		a.flags = nr == WD_SYS_FCHMODAT2 ? g[3] : 0;
		break;
	case WD_SYS_TRUNCATE:
		a.type = WD_EV_TRUNCATE, a.path = (void *)g[0], a.length = g[1];
		break;
	case WD_SYS_FTRUNCATE: a.type = WD_EV_TRUNCATE, a.fd = g[0], a.length = g[1]; break;
	case WD_SYS_LINK: a.type = WD_EV_LINK, a.path = (void *)g[0], a.path2 = (void *)g[1]; break;
	case WD_SYS_LINKAT:
		a.type = WD_EV_LINK, a.dirfd = g[0], a.path = (void *)g[1];
		a.dirfd2 = g[2], a.path2 = (void *)g[3], a.flags = g[4];
		break;
	case WD_SYS_SYMLINK:
		a.type = WD_EV_SYMLINK, a.text1 = true, a.path = (void *)g[0],
		a.path2 = (void *)g[1];
		break;
	case WD_SYS_SYMLINKAT:
		a.type = WD_EV_SYMLINK, a.text1 = true, a.path = (void *)g[0];
		a.dirfd2 = g[1], a.path2 = (void *)g[2];
		break;
	case WD_SYS_MKNOD: a.type = WD_EV_MKNOD, a.path = (void *)g[0], a.mode = g[1]; break;
	case WD_SYS_MKNODAT:
		a.type = WD_EV_MKNOD, a.dirfd = g[0], a.path = (void *)g[1], a.mode = g[2];
		break;
	case WD_SYS_EXECVE:
	case WD_SYS_EXECVEAT:
		if (ret >= 0)
			return 0; /* a successful exec is reported by sched_process_exec */
		a.type = WD_EV_EXEC_FAILED, a.path = (void *)g[0];
		if (nr == WD_SYS_EXECVEAT)
			a.dirfd = g[0], a.path = (void *)g[1], a.flags = g[4];
		break;
	default: return 0;
	}
	return wd_emit_file(&a, s, ret);
}
