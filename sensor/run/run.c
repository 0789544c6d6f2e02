// SPDX-License-Identifier: Apache-2.0
/*
 * warden-run: `warden run` when a daemon hosts the session (bin/warden comes
 * here first). Node's start alone would cost the agent ~200 ms before its
 * first instruction; this costs ~1 ms on top of the daemon's set-up. It
 * speaks the daemon's control protocol (src/rpc/control.ts, JSON lines):
 *
 *   open {token, command, ...}  -> the launch spec; then it starts warden-launch itself,
 *                                  so the terminal and signals stay the user's
 *   started {pid}, then exit {code, signal} -> {id, status, warnings}
 *   {event: 'quarantined'}      the daemon holds the session frozen: the run ends, 125
 *
 * It relays signals to the agent as the JavaScript client does (session/agent.ts's
 * SignalRelay): a request to end gives the agent END_GRACE_MS, a second one ends it at once.
 * Whatever it does not handle itself it hands, unchanged, to the JavaScript CLI
 * (WARDEN_RUN_JS=1): option shapes it does not take, --standalone, --help, no
 * daemon, not root. The end summary, when one is asked for, is `warden summary`.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "self_root.h"

extern char **environ;

#define QUARANTINED_STATUS 125
#define END_GRACE_MS 10000
#define TTY_INTERRUPTS 3
#define TTY_INTERRUPT_WINDOW_MS 3000
#define DUPLICATE_MS 500
#define OPEN_TIMEOUT_MS (10 * 60 * 1000)
#define RECORD_WAIT_MS 15000
#define LINE_MAX_BYTES (16u << 20)

/* ---- what the command line asks for ---- */

struct opts {
	const char *name, *agent, *json_events, *policy, *workspace;
	int no_policy, keep_lingering, quiet, verbose;
	char **command; /* NULL-terminated, after -- */
};

static char root[PATH_MAX];

/* The JavaScript CLI takes the run as it was asked for: every case this program does not handle. */
static void __attribute__((noreturn)) hand_to_js(char **argv)
{
	char bin[PATH_MAX + 16];
	snprintf(bin, sizeof(bin), "%s/bin/warden", root);
	setenv("WARDEN_RUN_JS", "1", 1);
	argv[0] = bin;
	execv(bin, argv);
	fprintf(stderr, "warden: cannot start %s: %s\n", bin, strerror(errno));
	exit(1);
}

/* An option's value: `--name=v`, `--name v`, `-pv` or `-p v`; NULL when it has none. */
static const char *value(char **argv, int *i, const char *inline_value)
{
	if (inline_value)
		return inline_value;
	if (!argv[*i + 1] || !strcmp(argv[*i + 1], "--"))
		return NULL;
	return argv[++*i];
}

/* 0 when argv (`run [options] -- command...`) is one this program takes as the CLI would */
static int parse(char **argv, struct opts *o)
{
	int i = 2;
	for (; argv[i] && strcmp(argv[i], "--"); i++) {
		const char *a = argv[i];
		if (a[0] != '-' || !a[1])
			return -1; /* a command without --: the CLI's own parser decides */
		if (a[1] == '-') {
			char key[32];
			const char *eq = strchr(a, '=');
			size_t n = eq ? (size_t)(eq - a) : strlen(a);
			if (n >= sizeof(key))
				return -1;
			memcpy(key, a, n);
			key[n] = 0;
			const char *inl = eq ? eq + 1 : NULL;
			const char **slot = !strcmp(key, "--name")	    ? &o->name
					    : !strcmp(key, "--agent")	    ? &o->agent
					    : !strcmp(key, "--json-events") ? &o->json_events
					    : !strcmp(key, "--policy")	    ? &o->policy
					    : !strcmp(key, "--workspace")   ? &o->workspace
									    : NULL;
			int *flag = !strcmp(key, "--keep-lingering") ? &o->keep_lingering
				    : !strcmp(key, "--quiet")	     ? &o->quiet
				    : !strcmp(key, "--verbose")	     ? &o->verbose
								     : NULL;
			if (slot) {
				if (!(*slot = value(argv, &i, inl)))
					return -1;
				if (slot == &o->policy)
					o->no_policy =
					    0; /* the last of --policy and --no-policy wins */
			} else if (flag && !inl) {
				*flag = 1;
			} else if (!strcmp(key, "--no-policy") && !inl) {
				o->no_policy = 1;
				o->policy = NULL;
			} else {
				return -1; /* --standalone, --help, or one the CLI explains */
			}
			continue;
		}
		for (const char *c = a + 1; *c; c++) {
			if (*c == 'q') {
				o->quiet = 1;
			} else if (*c == 'v') {
				o->verbose = 1;
			} else if (*c == 'p' || *c == 'w') {
				const char *v = value(argv, &i, c[1] ? c + 1 : NULL);
				if (!v)
					return -1;
				if (*c == 'p') {
					o->policy = v;
					o->no_policy = 0;
				} else {
					o->workspace = v;
				}
				break;
			} else {
				return -1;
			}
		}
	}
	if (!argv[i] || !argv[i + 1])
		return -1;
	o->command = argv + i + 1;
	return 0;
}

static char *read_file(const char *path, size_t max)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return NULL;
	char *buf = malloc(max + 1);
	size_t n = buf ? fread(buf, 1, max, f) : 0;
	fclose(f);
	if (!buf)
		return NULL;
	buf[n] = 0;
	return buf;
}

/* ---- the daemon's connection: one JSON object a line ---- */

struct run {
	int sock, sigfd, pidfd;
	pid_t child;
	char *buf;
	size_t len, cap;
	int tty;
	const char *cgroup;
	/* the relay's state (as SignalRelay's) */
	int pending;	 /* a signal before the agent started */
	long asked_at;	 /* the first request to end, ms; -1: none */
	int asked_sig;	 /* and its signal */
	int watch_child; /* the agent's exit ends a wait */
	long interrupts[TTY_INTERRUPTS];
	int forced;
};

static long now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static int send_line(struct run *r, json_t *msg)
{
	char *text = json_dumps(msg, JSON_COMPACT);
	json_decref(msg);
	if (!text)
		return -1;
	size_t len = strlen(text);
	text[len] = '\n';
	for (size_t off = 0; off < len + 1;) {
		ssize_t n = send(r->sock, text + off, len + 1 - off, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			free(text);
			return -1;
		}
		off += (size_t)n;
	}
	free(text);
	return 0;
}

static int call(struct run *r, int id, const char *method, json_t *params)
{
	return send_line(
	    r, json_pack("{s:i, s:s, s:o}", "id", id, "method", method, "params", params));
}

/* Ends every process of the session now: cgroup.kill reaches frozen ones and ones in the kernel. */
static void end_session(struct run *r, const char *why)
{
	if (r->forced || !r->cgroup)
		return;
	r->forced = 1;
	fprintf(stderr, "warden: ending the session (%s)\n", why);
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/cgroup.kill", r->cgroup);
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if ((fd < 0 || write(fd, "1", 1) != 1) && errno != ENOENT)
		kill(r->child, SIGKILL);
	if (fd >= 0)
		close(fd);
}

static const char *sig_name(int sig, char *out, size_t size)
{
	const char *abbrev = sigabbrev_np(sig);
	snprintf(out, size, "SIG%s", abbrev ? abbrev : "?");
	return out;
}

static void on_signal(struct run *r, int sig)
{
	if (!r->child) {
		if (!r->pending)
			r->pending = sig;
		return;
	}
	/* a terminal delivers these to the whole foreground group, the agent included */
	int tty_delivered = sig == SIGINT || sig == SIGQUIT || sig == SIGWINCH;
	if (!(r->tty && tty_delivered))
		kill(r->child, sig);
	if (sig != SIGTERM && sig != SIGHUP && sig != SIGINT)
		return;
	long now = now_ms();
	char name[32], why[96];
	sig_name(sig, name, sizeof(name));
	if (r->tty && sig == SIGINT) {
		/* on a terminal SIGINT is the agent's (it cancels a turn): three close together end
		 * it */
		int n = 0;
		for (int k = 0; k < TTY_INTERRUPTS - 1; k++) {
			r->interrupts[k] = r->interrupts[k + 1];
			n += r->interrupts[k] >= 0 &&
			     now - r->interrupts[k] < TTY_INTERRUPT_WINDOW_MS;
		}
		r->interrupts[TTY_INTERRUPTS - 1] = now;
		if (n + 1 >= TTY_INTERRUPTS) {
			snprintf(why, sizeof(why), "%d interrupts", TTY_INTERRUPTS);
			end_session(r, why);
		}
		return;
	}
	/* `timeout` and a terminal's process group deliver one request twice at once: a second
	 * request is one that comes at least DUPLICATE_MS after the first */
	if (r->asked_at < 0) {
		r->asked_at = now;
		r->asked_sig = sig;
	} else if (now - r->asked_at >= DUPLICATE_MS) {
		snprintf(why, sizeof(why), "a second %s", name);
		end_session(r, why);
	}
}

enum event { LINE, CHILD_EXITED, CLOSED, TIMED_OUT };

/*
 * Waits until a line comes from the daemon (returned in *line, parsed), the
 * agent exits, the connection closes, or deadline (ms, -1: none) passes;
 * signals are relayed meanwhile.
 */
static enum event next_event(struct run *r, long deadline, json_t **line)
{
	for (;;) {
		char *nl = r->len ? memchr(r->buf, '\n', r->len) : NULL;
		if (nl) {
			size_t n = (size_t)(nl - r->buf);
			*line = json_loadb(r->buf, n, 0, NULL);
			memmove(r->buf, nl + 1, r->len - n - 1);
			r->len -= n + 1;
			if (*line)
				return LINE;
			continue; /* an unreadable line answers nothing */
		}
		long now = now_ms();
		long wait = deadline < 0 ? -1 : deadline - now;
		if (r->asked_at >= 0 && !r->forced) {
			long grace = r->asked_at + END_GRACE_MS - now;
			if (grace <= 0) {
				char name[32], why[96];
				snprintf(why, sizeof(why), "%s, and %d s passed",
					 sig_name(r->asked_sig, name, sizeof(name)),
					 END_GRACE_MS / 1000);
				end_session(r, why);
				continue;
			}
			wait = wait < 0 || grace < wait ? grace : wait;
		}
		if (deadline >= 0 && wait <= 0)
			return TIMED_OUT;
		struct pollfd p[3] = {{.fd = r->sock, .events = POLLIN},
				      {.fd = r->sigfd, .events = POLLIN},
				      {.fd = r->pidfd, .events = POLLIN}};
		int k = poll(p, r->watch_child ? 3 : 2, (int)(wait > INT_MAX ? INT_MAX : wait));
		if (k < 0 && errno != EINTR)
			return CLOSED;
		if (k <= 0)
			continue;
		if (p[1].revents & POLLIN) {
			struct signalfd_siginfo si;
			while (read(r->sigfd, &si, sizeof(si)) == sizeof(si))
				on_signal(r, (int)si.ssi_signo);
		}
		if (r->watch_child && (p[2].revents & POLLIN))
			return CHILD_EXITED;
		if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			if (r->len + 65536 > r->cap) {
				size_t cap = r->cap ? r->cap * 2 : 131072;
				char *b = cap > LINE_MAX_BYTES * 2 ? NULL : realloc(r->buf, cap);
				if (!b)
					return CLOSED;
				r->buf = b;
				r->cap = cap;
			}
			ssize_t n = recv(r->sock, r->buf + r->len, r->cap - r->len, 0);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				return CLOSED;
			r->len += (size_t)n;
		}
	}
}

/* The answer to request `id` ({result} or {error}); quarantine pushes before it are kept in *held.
 */
static json_t *answer(struct run *r, int id, long deadline, char **error, char **held)
{
	for (;;) {
		json_t *line = NULL;
		enum event e = next_event(r, deadline, &line);
		if (e == CLOSED) {
			*error = strdup("the connection to the daemon closed");
			return NULL;
		}
		if (e == TIMED_OUT) {
			*error = NULL;
			return NULL;
		}
		const char *event = json_string_value(json_object_get(line, "event"));
		if (event) {
			const char *reason = json_string_value(json_object_get(line, "reason"));
			if (!strcmp(event, "quarantined") && held && !*held)
				*held = strdup(reason ? reason : "quarantined");
			json_decref(line);
			continue;
		}
		if (json_integer_value(json_object_get(line, "id")) != id) {
			json_decref(line);
			continue;
		}
		json_t *err = json_object_get(line, "error");
		if (err) {
			*error = strdup(json_is_string(err) ? json_string_value(err) : "an error");
			json_decref(line);
			return NULL;
		}
		json_t *result = json_incref(json_object_get(line, "result"));
		json_decref(line);
		if (!result)
			*error = strdup("an answer without a result");
		return result;
	}
}

/* The request to open the session, as rpc/control.ts's OpenRequestSchema says. */
static json_t *open_request(const struct opts *o, const char *token)
{
	char cwd[PATH_MAX];
	if (!getcwd(cwd, sizeof(cwd)))
		return NULL;
	json_t *command = json_array();
	for (char **c = o->command; *c; c++)
		json_array_append_new(command, json_string(*c));
	/* the run's own environment: the daemon takes its model and DNS upstreams from it */
	json_t *env = json_object();
	for (char **e = environ; *e; e++) {
		const char *eq = strchr(*e, '=');
		if (!eq || eq == *e)
			continue;
		char *key = strndup(*e, (size_t)(eq - *e));
		json_t *v = json_string(eq + 1); /* NULL when not UTF-8: not one the daemon reads */
		if (key && v)
			json_object_set_new(env, key, v);
		else
			json_decref(v);
		free(key);
	}
	json_t *req =
	    json_pack("{s:s, s:o, s:s, s:s, s:b, s:I, s:o}", "token", token, "command", command,
		      "cwd", cwd, "workspace", o->workspace ? o->workspace : cwd, "keepLingering",
		      o->keep_lingering, "clientPid", (json_int_t)getpid(), "env", env);
	if (!req)
		return NULL;
	if (o->no_policy)
		json_object_set_new(req, "policy", json_null());
	else if (o->policy)
		json_object_set_new(req, "policy", json_string(o->policy));
	if (o->name)
		json_object_set_new(req, "name", json_string(o->name));
	if (o->agent)
		json_object_set_new(req, "agent", json_string(o->agent));
	if (o->json_events)
		json_object_set_new(req, "jsonEvents", json_string(o->json_events));
	return req;
}

/* The agent: warden-launch joins the session's cgroup, applies the floor, and execs the command. */
static pid_t start_agent(const char *launch, json_t *spec, const sigset_t *mask)
{
	json_t *command = json_object_get(spec, "command");
	const char *floor = json_string_value(json_object_get(spec, "floor"));
	const char *cgroup =
	    json_string_value(json_object_get(json_object_get(spec, "cgroup"), "path"));
	size_t n = json_array_size(command);
	if (!cgroup || !n)
		return -1;
	char **args = calloc(n + 5, sizeof(char *));
	size_t k = 0;
	args[k++] = (char *)launch;
	if (floor) {
		args[k++] = "--floor";
		args[k++] = (char *)floor;
	}
	args[k++] = (char *)cgroup;
	for (size_t i = 0; i < n; i++) {
		const char *a = json_string_value(json_array_get(command, i));
		if (!a)
			return -1;
		args[k++] = (char *)a;
	}
	/* this environment, with the session's additions (the proxy's base URLs, the session
	 * socket) */
	json_t *added = json_object_get(spec, "env");
	size_t mine = 0;
	while (environ[mine])
		mine++;
	char **env = calloc(mine + json_object_size(added) + 1, sizeof(char *));
	size_t e = 0;
	for (size_t i = 0; i < mine; i++) {
		const char *eq = strchr(environ[i], '=');
		char key[256];
		size_t len = eq ? (size_t)(eq - environ[i]) : 0;
		if (eq && len < sizeof(key)) {
			memcpy(key, environ[i], len);
			key[len] = 0;
			if (json_object_get(added, key))
				continue;
		}
		env[e++] = environ[i];
	}
	const char *key;
	json_t *v;
	json_object_foreach(added, key, v)
	{
		const char *s = json_string_value(v);
		if (s && asprintf(&env[e], "%s=%s", key, s) >= 0)
			e++;
	}
	pid_t pid = fork();
	if (pid == 0) {
		sigprocmask(SIG_UNBLOCK, mask, NULL);
		execve(launch, args, env);
		fprintf(stderr, "warden: cannot start %s: %s\n", launch, strerror(errno));
		_exit(127);
	}
	return pid;
}

/* The daemon went away, and with it the session's monitor: the agent never goes on unwatched. */
static void daemon_gone(struct run *r, const char *id)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/cgroup.freeze", r->cgroup);
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, "1", 1) != 1)
		fprintf(stderr, "warden: cannot freeze session %s: %s\n", id, strerror(errno));
	if (fd >= 0)
		close(fd);
	/* the store records it (quarantined, ended): `warden session freeze --unwatched` */
	char bin[PATH_MAX + 16];
	snprintf(bin, sizeof(bin), "%s/bin/warden", root);
	pid_t pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
		if (null >= 0)
			dup2(null, 1);
		execl(bin, bin, "session", "freeze", "--unwatched", id, (char *)NULL);
		_exit(127);
	}
	int status = 0;
	if (pid > 0)
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
}

static int quarantined(const char *id, const char *reason)
{
	fprintf(
	    stderr,
	    "warden: session %s is quarantined (frozen): %s.\n"
	    "  It stays frozen, its network limits in force. Resume: warden session release %s   "
	    "End: warden session kill %s\n",
	    id, reason, id, id);
	return QUARANTINED_STATUS;
}

/* `warden summary`: what `warden run` prints at a session's end, from the store. */
static void summary(const char *id, int quiet)
{
	char bin[PATH_MAX + 16];
	snprintf(bin, sizeof(bin), "%s/bin/warden", root);
	pid_t pid = fork();
	if (pid == 0) {
		if (quiet)
			execl(bin, bin, "summary", "--quiet", "--session", id, (char *)NULL);
		else
			execl(bin, bin, "summary", "--session", id, (char *)NULL);
		_exit(127);
	}
	int status;
	if (pid > 0)
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
}

static int fail(const char *what, const char *error)
{
	fprintf(stderr, "warden: %s%s%s\n", what, error ? ": " : "", error ? error : "");
	return 1;
}

int main(int argc, char **argv)
{
	(void)argc;
	struct opts o = {0};
	if (wd_self_root(root, sizeof(root)))
		return fail("cannot find the Warden root from /proc/self/exe", NULL);
	if (!argv[1] || strcmp(argv[1], "run") || getenv("WARDEN_RUN_JS") || geteuid() != 0 ||
	    parse(argv, &o))
		hand_to_js(argv);
	const char *state = getenv("WARDEN_STATE_DIR");
	char state_dir[2 * PATH_MAX + 2], path[sizeof(state_dir) + 32];
	if (!state || !*state)
		state = "/var/lib/warden";
	if (state[0] == '/') {
		snprintf(state_dir, sizeof(state_dir), "%s", state);
	} else {
		char cwd[PATH_MAX];
		if (!getcwd(cwd, sizeof(cwd)))
			hand_to_js(argv);
		snprintf(state_dir, sizeof(state_dir), "%s/%s", cwd, state);
	}
	/* the daemon that would host it: its record, and its pid alive; none: a standalone run */
	snprintf(path, sizeof(path), "%s/run/daemon.json", state_dir);
	char *text = read_file(path, 65536);
	json_t *daemon = text ? json_loads(text, 0, NULL) : NULL;
	free(text);
	json_int_t daemon_pid = json_integer_value(json_object_get(daemon, "pid"));
	const char *control = json_string_value(json_object_get(daemon, "control"));
	if (!control || daemon_pid <= 0 || kill((pid_t)daemon_pid, 0))
		hand_to_js(argv);

	/* signals first: one that comes early aborts cleanly (a pending one is never lost) */
	sigset_t mask;
	sigemptyset(&mask);
	int forwarded[] = {SIGTERM, SIGHUP, SIGINT, SIGQUIT, SIGUSR1, SIGUSR2, SIGCONT, SIGWINCH};
	for (size_t i = 0; i < sizeof(forwarded) / sizeof(*forwarded); i++)
		sigaddset(&mask, forwarded[i]);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	struct run r = {.sock = -1, .pidfd = -1, .asked_at = -1, .tty = isatty(0)};
	for (int k = 0; k < TTY_INTERRUPTS; k++)
		r.interrupts[k] = -1;
	r.sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (r.sigfd < 0)
		return fail("signalfd", strerror(errno));

	snprintf(path, sizeof(path), "%s/api.token", state_dir);
	char *token = read_file(path, 4096);
	if (!token) {
		char why[sizeof(path) + 64];
		snprintf(why, sizeof(why), "%s: %s", path, strerror(errno));
		return fail("cannot read the daemon's token", why);
	}
	token[strcspn(token, " \t\r\n")] = 0;

	char what[128];
	snprintf(what, sizeof(what), "the warden daemon (pid %lld) did not open the session",
		 (long long)daemon_pid);
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	if (strlen(control) >= sizeof(addr.sun_path))
		return fail(what, "its control socket path is too long");
	strcpy(addr.sun_path, control);
	r.sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (r.sock < 0 || connect(r.sock, (struct sockaddr *)&addr, sizeof(addr))) {
		char why[PATH_MAX + 64];
		snprintf(why, sizeof(why), "connect %s: %s", control, strerror(errno));
		return fail(what, why);
	}
	json_t *req = open_request(&o, token);
	char *error = NULL, *held = NULL;
	if (!req || call(&r, 1, "open", req))
		return fail(what, "cannot send the request");
	json_t *spec = answer(&r, 1, now_ms() + OPEN_TIMEOUT_MS, &error, &held);
	if (!spec)
		return fail(what, error ? error : "no answer");
	const char *id = json_string_value(json_object_get(spec, "id"));
	r.cgroup = json_string_value(json_object_get(json_object_get(spec, "cgroup"), "path"));
	if (!id || !r.cgroup)
		return fail(what, "a launch spec without its session id or cgroup");
	if (o.verbose)
		fprintf(stderr, "warden: session %s is hosted by the warden daemon (pid %lld)\n",
			id, (long long)daemon_pid);
	const char *note = json_string_value(json_object_get(spec, "note"));
	if (note)
		fprintf(stderr, "warden: %s\n", note);

	/* a signal that came before the agent started: the session is not run (closing the
	 * connection ends it on the daemon) */
	struct signalfd_siginfo si;
	while (read(r.sigfd, &si, sizeof(si)) == sizeof(si))
		on_signal(&r, (int)si.ssi_signo);
	if (r.pending) {
		char name[32];
		fprintf(stderr, "warden: interrupted by %s before the command started\n",
			sig_name(r.pending, name, sizeof(name)));
		return 128 + r.pending;
	}
	snprintf(path, sizeof(path), "%s/sensor/build/warden-launch", root);
	r.child = start_agent(path, spec, &mask);
	if (r.child <= 0)
		return fail("the agent did not start", strerror(errno));
	r.pidfd = (int)syscall(SYS_pidfd_open, r.child, 0);
	if (r.pidfd < 0)
		return fail("pidfd_open", strerror(errno));
	json_t *ok = call(&r, 2, "started", json_pack("{s:i}", "pid", (int)r.child))
			 ? NULL
			 : answer(&r, 2, now_ms() + OPEN_TIMEOUT_MS, &error, &held);
	json_decref(ok);
	r.watch_child = 1;

	/* the agent runs: until it exits, the daemon holds it frozen, or the daemon goes away */
	int status = 0;
	siginfo_t info = {0};
	for (;;) {
		if (held)
			return quarantined(id, held);
		json_t *line = NULL;
		enum event e = next_event(&r, -1, &line);
		if (e == CLOSED) {
			daemon_gone(&r, id);
			return quarantined(
			    id, "the warden daemon went away: the session would go on unwatched");
		}
		if (e == LINE) {
			const char *event = json_string_value(json_object_get(line, "event"));
			const char *reason = json_string_value(json_object_get(line, "reason"));
			if (event && !strcmp(event, "quarantined"))
				held = strdup(reason ? reason : "quarantined");
			json_decref(line);
			continue;
		}
		if (e == CHILD_EXITED && waitid(P_PID, (id_t)r.child, &info, WEXITED) == 0)
			break;
	}

	/* the agent has ended: the daemon records it, and the user is kept no longer than
	 * RECORD_WAIT_MS for that */
	int killed = info.si_code == CLD_KILLED || info.si_code == CLD_DUMPED;
	char name[32];
	json_t *exit_params = killed ? json_pack("{s:n, s:s}", "code", "signal",
						 sig_name(info.si_status, name, sizeof(name)))
				     : json_pack("{s:i, s:n}", "code", info.si_status, "signal");
	status = killed ? 128 + info.si_status : info.si_status;
	r.watch_child = 0;
	r.child = 0;
	json_t *done = call(&r, 3, "exit", exit_params)
			   ? NULL
			   : answer(&r, 3, now_ms() + RECORD_WAIT_MS, &error, NULL);
	if (!done && error) {
		char why[512];
		snprintf(why, sizeof(why), "the warden daemon did not record the end of session %s",
			 id);
		return fail(why, error);
	}
	if (!done) {
		fprintf(stderr,
			"warden: session %s has ended; the daemon is still recording its events "
			"(warden sessions shows when it is done)\n",
			id);
		return status;
	}
	json_t *given = json_object_get(done, "status");
	if (json_is_integer(given))
		status = (int)json_integer_value(given);
	if (!o.quiet || json_integer_value(json_object_get(done, "warnings")) > 0)
		summary(id, o.quiet);
	return status;
}
