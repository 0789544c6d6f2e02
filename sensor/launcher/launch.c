// SPDX-License-Identifier: Apache-2.0
/*
 * warden-launch: joins a session cgroup, applies the launch floor, then runs
 * the agent command.
 *
 *   warden-launch [--floor FILE] CGROUP_DIR CMD [ARGS...]
 *
 * The agent's first instruction already runs inside the session cgroup and
 * under the floor. If any step fails it refuses to run the command (exit 126).
 *
 * A sealed floor (`seal`) runs the agent in private mount and PID namespaces,
 * as three processes:
 *   warden-launch (outside)  the relay: forwards signals, exits as the agent did
 *     init (pid 1 inside)    its own /proc, reaps orphans, supervises creating calls,
 *                            checks each run against the denied programs' bytes
 *       the agent (pid 2)    seccomp, then exec
 * No pid outside the session can be named from inside it: not Warden's, not
 * any other process on the host. Signals a terminal sends reach the agent by
 * itself (it is in the foreground group); only those another process sent are
 * forwarded, so none arrives twice.
 */
#define _GNU_SOURCE
#include "content.h"
#include "floor.h"
#include "seal.h"
#include "supervise.h"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <linux/sched.h>
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static const int forwarded[] = {SIGTERM, SIGHUP,  SIGINT,   SIGQUIT, SIGUSR1,
				SIGUSR2, SIGCONT, SIGWINCH, SIGALRM};

static int join_cgroup(const char *dir)
{
	char procs[4096];
	snprintf(procs, sizeof(procs), "%s/cgroup.procs", dir);
	int fd = open(procs, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, "0\n", 2) != 2) {
		fprintf(stderr, "warden-launch: cannot join session cgroup %s: %s\n", dir,
			strerror(errno));
		return -1;
	}
	close(fd);
	return 0;
}

static _Noreturn void run(char **cmd)
{
	execvp(cmd[0], cmd);
	int err = errno;
	fprintf(stderr, "warden-launch: %s: %s\n", cmd[0], strerror(err));
	_exit(err == ENOENT ? 127 : 126);
}

static void relayed_signals(sigset_t *set)
{
	sigemptyset(set);
	for (size_t i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++)
		sigaddset(set, forwarded[i]);
	sigaddset(set, SIGCHLD);
}

/* Sent by a process (kill, sigqueue, tgkill), not by the terminal or the kernel. */
static int sent_by_process(const struct signalfd_siginfo *si)
{
	return (int)si->ssi_code <= 0 && si->ssi_signo != SIGCHLD;
}

/* Exits the way the agent did: its code, or its signal. */
static _Noreturn void exit_as(int status)
{
	if (WIFSIGNALED(status)) {
		int sig = WTERMSIG(status);
		sigset_t set;
		signal(sig, SIG_DFL);
		sigemptyset(&set);
		sigaddset(&set, sig);
		sigprocmask(SIG_UNBLOCK, &set, NULL);
		raise(sig);
		_exit(128 + sig);
	}
	_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 126);
}

static int send_fd(int sock, int fd)
{
	char byte = fd >= 0;
	struct iovec iov = {.iov_base = &byte, .iov_len = 1};
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u = {0};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
	if (fd >= 0) {
		msg.msg_control = u.buf;
		msg.msg_controllen = sizeof(u.buf);
		struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	}
	return sendmsg(sock, &msg, 0) == 1 ? 0 : -1;
}

static int recv_fd(int sock)
{
	char byte = 0;
	struct iovec iov = {.iov_base = &byte, .iov_len = 1};
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr msg = {.msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = u.buf,
			     .msg_controllen = sizeof(u.buf)};
	if (recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) != 1 || !byte)
		return -1;
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
	int fd = -1;
	if (cm && cm->cmsg_type == SCM_RIGHTS)
		memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	return fd;
}

/* The agent: seccomp last (its listener handed to init, never kept), then exec. */
static _Noreturn void agent(const struct wd_floor *f, int sock, char **cmd)
{
	int listener;
	if (wd_floor_seccomp(f, &listener))
		_exit(126);
	if (send_fd(sock, listener)) {
		fprintf(stderr, "warden-launch: cannot hand over the supervisor: %s\n",
			strerror(errno));
		_exit(126);
	}
	if (listener >= 0)
		close(listener);
	close(sock);
	/* init's do-nothing handlers are inherited: a signal forwarded before the exec would be
	 * caught by one and lost (SIGTERM just after warden run started); the agent's own
	 * dispositions are the defaults, in force before anything is unblocked */
	for (size_t i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++)
		signal(forwarded[i], SIG_DFL);
	signal(SIGCHLD, SIG_DFL);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	run(cmd);
}

static void ignore(int sig)
{
	(void)sig;
}

/*
 * A child born in the session cgroup (clone3's CLONE_INTO_CGROUP): a move
 * there afterwards (a write to cgroup.procs) waits for an RCU grace period,
 * 5-15 ms measured here, and the agent would wait for it. -1 (errno set)
 * when this kernel cannot; the caller forks and the child joins. The child
 * is glibc's fork's without its bookkeeping (its cached tid is its parent's):
 * it must not raise() or use threads; init does neither, and the agent it
 * forks (by fork) is whole.
 */
static pid_t fork_into(const char *cgroup)
{
	int fd = open(cgroup, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	struct clone_args ca = {
	    .flags = CLONE_INTO_CGROUP, .exit_signal = SIGCHLD, .cgroup = (uint64_t)fd};
	pid_t pid = (pid_t)syscall(SYS_clone3, &ca, sizeof(ca));
	int err = errno;
	if (pid != 0)
		close(fd);
	errno = err;
	return pid;
}

/* pid 1 of the session: reaps, forwards, supervises; reports the agent's status on `report`.
 * Born in the session cgroup (`joined`), or joins it itself; either way what it does before
 * the agent runs is the launcher's own (file calls of warden-launch are never the agent's). */
static _Noreturn void init(struct wd_floor *f, const char *cgroup, bool joined, int report,
			   int runs, char **cmd)
{
	int sp[2];
	/* not dumpable: the agent (no CAP_SYS_PTRACE) can neither trace the supervisor nor
	 * read its memory or take its fds */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) || wd_seal_proc(f) ||
	    (!joined && join_cgroup(cgroup)) || wd_floor_apply(f))
		_exit(126);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp)) {
		perror("warden-launch: socketpair");
		_exit(126);
	}
	/* an init ignores a signal it has no handler for: these are taken through the signalfd */
	struct sigaction sa = {.sa_handler = ignore};
	for (size_t i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++)
		sigaction(forwarded[i], &sa, NULL);
	sigaction(SIGCHLD, &sa, NULL);
	pid_t child = fork();
	if (child < 0) {
		perror("warden-launch: fork");
		_exit(126);
	}
	if (child == 0) {
		close(sp[0]);
		close(report);
		if (runs >= 0)
			close(runs);
		agent(f, sp[1], cmd);
	}
	close(sp[1]);
	f->agent_pid = child; /* the agent program's first process, for the supervisor */
	int listener = recv_fd(sp[0]);
	close(sp[0]);
	/* the agent's terminal and pipes are its own: processes it leaves behind keep init
	 * alive, and a pipe init held open would keep whoever reads it waiting */
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	for (int fd = 0; null >= 0 && fd <= 2; fd++)
		dup3(null, fd, 0);
	if (null > 2)
		close(null);
	sigset_t set;
	relayed_signals(&set);
	int sfd = signalfd(-1, &set, SFD_CLOEXEC);
	struct pollfd fds[3] = {{.fd = sfd, .events = POLLIN},
				{.fd = listener, .events = POLLIN},
				{.fd = runs, .events = POLLIN}};
	for (;;) {
		if (poll(fds, 3, -1) < 0 && errno != EINTR)
			_exit(126);
		/* a run never waits on a check that cannot answer: init's end ends the session */
		if (fds[2].revents && wd_content_answer(runs))
			_exit(126);
		/* supervision that cannot go on closes the listener: every notified call then fails
		 * (ENOSYS) rather than waiting for an answer that never comes */
		if ((fds[1].revents & POLLIN && wd_supervise(listener, f)) ||
		    (!(fds[1].revents & POLLIN) &&
		     fds[1].revents & (POLLHUP | POLLERR | POLLNVAL))) {
			/* (a hung-up listener: no process uses the filter any more; polled no more)
			 */
			close(listener);
			fds[1].fd = listener = -1;
		}
		if (!(fds[0].revents & POLLIN))
			continue;
		struct signalfd_siginfo si;
		if (read(sfd, &si, sizeof(si)) != sizeof(si))
			continue;
		if (si.ssi_signo != SIGCHLD) {
			if (child > 0 && sent_by_process(&si))
				kill(child, (int)si.ssi_signo);
			continue;
		}
		for (;;) {
			int st;
			pid_t pid = waitpid(-1, &st, WNOHANG);
			if (pid < 0 && errno == ECHILD)
				_exit(0); /* the agent's status went out on `report` already */
			if (pid <= 0)
				break;
			if (pid == child) {
				/* the agent is done; what it left behind stays until Warden decides
				 */
				child = 0;
				/* reaped: its pid may be anyone's next, and no one is the agent
				 * program
				 */
				f->agent_pid = 0;
				if (write(report, &st, sizeof(st)) != sizeof(st))
					_exit(126);
			}
		}
	}
}

/* Outside the session's PID namespace: relays signals in, and the agent's status out. */
static int sealed(struct wd_floor *f, const char *cgroup, char **cmd)
{
	sigset_t set;
	int report[2];
	relayed_signals(&set);
	sigprocmask(SIG_BLOCK, &set, NULL);
	/* the denied programs are read before the namespace masks any, and its mounts are
	 * watched before anything runs in it; all before the relay is the session's */
	int runs = wd_content_open(f);
	if (runs == -2 || wd_seal_mounts(f) || wd_content_watch(runs) || pipe2(report, O_CLOEXEC))
		return 126;
	bool joined = true;
	pid_t init_pid = fork_into(cgroup);
	if (init_pid < 0 &&
	    (errno == ENOSYS || errno == EINVAL || errno == E2BIG || errno == EOPNOTSUPP)) {
		joined = false; /* no clone3, or no cgroup v2 to be born in */
		init_pid = fork();
	}
	if (init_pid < 0) {
		perror("warden-launch: fork");
		return 126;
	}
	if (init_pid == 0) {
		close(report[0]);
		init(f, cgroup, joined, report[1], runs, cmd);
	}
	close(report[1]);
	if (runs >= 0)
		close(runs); /* init's: it lives as long as anything in the session */
	/* the relay is the session's too (cgroup.kill ends it); the agent does not wait for this */
	if (join_cgroup(cgroup)) {
		kill(init_pid, SIGKILL);
		return 126;
	}
	int sfd = signalfd(-1, &set, SFD_CLOEXEC);
	struct pollfd fds[2] = {{.fd = sfd, .events = POLLIN}, {.fd = report[0], .events = POLLIN}};
	for (;;) {
		if (poll(fds, 2, -1) < 0 && errno != EINTR)
			return 126;
		if (fds[1].revents) {
			int st;
			if (read(report[0], &st, sizeof(st)) == sizeof(st))
				exit_as(st);
			fds[1].fd = -1; /* init ended without a word: its SIGCHLD says how */
		}
		if (!(fds[0].revents & POLLIN))
			continue;
		struct signalfd_siginfo si;
		if (read(sfd, &si, sizeof(si)) != sizeof(si))
			continue;
		if (si.ssi_signo == SIGCHLD) {
			int st;
			if (waitpid(init_pid, &st, WNOHANG) == init_pid)
				return WIFEXITED(st) ? WEXITSTATUS(st) : 126;
		} else if (sent_by_process(&si))
			kill(init_pid, (int)si.ssi_signo);
	}
}

int main(int argc, char **argv)
{
	static struct wd_floor floor;
	const char *floor_file = NULL;
	int at = 1;
	if (argc > 2 && !strcmp(argv[1], "--floor")) {
		floor_file = argv[2];
		at = 3;
	}
	if (argc - at < 2) {
		fprintf(stderr, "usage: warden-launch [--floor FILE] CGROUP_DIR CMD [ARGS...]\n");
		return 2;
	}
	if (floor_file && wd_floor_read(floor_file, &floor))
		return 126;
	if (floor.seal)
		return sealed(&floor, argv[at], argv + at + 1);
	if (join_cgroup(argv[at]))
		return 126;
	int listener;
	if (floor_file && (wd_floor_apply(&floor) || wd_floor_seccomp(&floor, &listener)))
		return 126;
	run(argv + at + 1);
}
