/* SPDX-License-Identifier: Apache-2.0 */
/* Process lifecycle: exec (argv, exe, cwd), fork, exit. */
#pragma once

SEC("tp_btf/sched_process_exec")
int BPF_PROG(wd_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	__u32 session, flags = 0;
	if (!wd_tracked(&session))
		return 0;
	__u8 *buf = wd_scratch();
	if (!buf)
		return 0;
	struct wd_exec *e = (struct wd_exec *)buf;
	__u64 off = sizeof(*e);

	wd_fill_header(&e->hdr, WD_EV_EXEC);
	wd_fill_task(&e->task, session);
	e->old_pid = old_pid;
	e->argc = BPF_CORE_READ(bprm, argc);

	struct mm_struct *mm = BPF_CORE_READ(p, mm);
	__u64 arg_start = BPF_CORE_READ(mm, arg_start);
	__u64 len = BPF_CORE_READ(mm, arg_end) - arg_start;
	if (len >= WD_ARGV_MAX) {
		len = WD_ARGV_MAX - 1;
		flags |= WD_F_TRUNC_ARGV;
	}
	len &= WD_ARGV_MAX - 1;
	if (bpf_probe_read_user(&buf[off & WD_MASK], len, (void *)arg_start)) {
		wd_count_read_error();
		len = 0;
	}
	e->argv_len = len;
	off += len;

	struct path exe = BPF_CORE_READ(bprm, file, f_path);
	e->exe_len = wd_put_walk(buf, &off, &exe, &flags);
	struct path pwd = BPF_CORE_READ(p, fs, pwd);
	e->cwd_len = wd_put_walk(buf, &off, &pwd, &flags);
	e->truncated = flags;
	return wd_submit(buf, off, flags);
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(wd_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 session;
	if (BPF_CORE_READ(child, pid) != BPF_CORE_READ(child, tgid))
		return 0; /* a new thread, not a new process */
	if (!wd_tracked(&session))
		return 0;
	__u8 *buf = wd_scratch();
	if (!buf)
		return 0;
	struct wd_fork *e = (struct wd_fork *)buf;

	wd_fill_header(&e->hdr, WD_EV_FORK);
	wd_fill_task(&e->task, session);
	e->child_pid = BPF_CORE_READ(child, tgid);
	e->pad = 0;
	e->child_start_ns = BPF_CORE_READ(child, start_boottime);
	return wd_submit(buf, sizeof(*e), 0);
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(wd_exit, struct task_struct *p)
{
	__u32 session;
	if (BPF_CORE_READ(p, signal, live.counter) != 0)
		return 0; /* other threads of the process still run */
	if (!wd_tracked(&session))
		return 0;
	__u8 *buf = wd_scratch();
	if (!buf)
		return 0;
	struct wd_exit *e = (struct wd_exit *)buf;

	wd_fill_header(&e->hdr, WD_EV_EXIT);
	wd_fill_task(&e->task, session);
	e->task.tid = e->task.pid;
	e->exit_code = BPF_CORE_READ(p, exit_code);
	e->pad = 0;
	return wd_submit(buf, sizeof(*e), 0);
}
