/* SPDX-License-Identifier: Apache-2.0 */
/* The launch floor: restrictions warden-launch applies to itself before exec. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#define WD_FLOOR_MAX_RULES 4096
#define WD_GUARD_MAX_EXCEPT 16
#define WD_FLOOR_MAX_GIT_CONFIG 16
#define WD_FLOOR_MAX_AGENT_FILES 32

struct wd_floor {
	bool handle_write;   /* Landlock: writes only beneath write_paths */
	bool handle_exec;    /* Landlock: execve only beneath exec_paths */
	bool scope_signal;   /* Landlock: no signals to processes outside the session */
	bool scope_abstract; /* Landlock: no abstract unix sockets outside the session */
	bool seccomp;
	bool drop_caps;
	bool seal;	   /* private mount and PID namespaces, the launcher as init */
	bool memfd_noexec; /* no executable memfd in the session (vm.memfd_noexec = 2) */
	size_t n_write, n_exec, n_ro, n_rw, n_guard, n_mask, n_exec_content;
	char *write_paths[WD_FLOOR_MAX_RULES];
	char *exec_paths[WD_FLOOR_MAX_RULES];
	char *ro_paths[WD_FLOOR_MAX_RULES]; /* bound read-only over themselves */
	char *
	    rw_paths[WD_FLOOR_MAX_RULES]; /* a rule's exception inside a read-only path: writable */
	char *mask_paths[WD_FLOOR_MAX_RULES];	/* Unix sockets outside the session: /dev/null over
						   them */
	char *exec_content[WD_FLOOR_MAX_RULES]; /* denied programs: their bytes run under no name */
	struct wd_guard {
		char *pattern;
		bool glob;
		bool pathname; /* a glob's '*' stops at '/' (it had no '**') */
		size_t n_except;
		char
		    *except[WD_GUARD_MAX_EXCEPT]; /* paths (and beneath) the guard does not cover */
	} guards[WD_FLOOR_MAX_RULES]; /* never created, moved or linked by the session */
	size_t n_git_config;
	struct wd_git_config {
		char *
		    path; /* guarded, but a change that runs nothing is let through (gitconfig.c) */
		int fd;	  /* opened for writing before the read-only binds; -1: none */
	} git_configs[WD_FLOOR_MAX_GIT_CONFIG];
	size_t n_agent_file;
	struct wd_agent_file {
		char *path; /* guarded and bound read-only, but the agent program may change it */
		int fd;	    /* opened for writing before the read-only binds; -1: none */
		/* not there at start: the directory it would be made in, as it was then (the file
		 * gate marks it); made in no other */
		unsigned long long parent_dev, parent_ino;
	} agent_files[WD_FLOOR_MAX_AGENT_FILES];
	int agent_pid; /* the session's first process, once init has started it */
};

/* Each returns 0, or -1 after printing why on stderr. */
int wd_floor_read(const char *file, struct wd_floor *f);
/* Capabilities, no_new_privs and Landlock: for the launcher's init and the agent alike. */
int wd_floor_apply(const struct wd_floor *f);
/* The seccomp filter, the agent's alone. With guards, the creating calls go to a
 * supervisor: *listener is the notification fd to hand it (else -1). */
int wd_floor_seccomp(const struct wd_floor *f, int *listener);
