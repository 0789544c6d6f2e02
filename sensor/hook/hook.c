// SPDX-License-Identifier: Apache-2.0
/*
 * warden-hook: what an agent CLI runs before and after each tool call
 * (`warden hooks install` points it here). Inside a `warden run` session it
 * hands the hook input to the session ($WARDEN_SOCKET), which decides under
 * the session's policy, and prints a refusal in the CLI's hook format. It
 * is native because it runs on every tool call: ~1 ms, where starting Node
 * costs ~90. Whenever the session cannot decide (no session, no answer, an
 * answer it cannot read) it hands the same input to the JavaScript hook
 * (bin/warden with WARDEN_HOOK_JS=1), which decides under the policy file:
 * a forbidden call is never let through because Warden is down.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include "answer.h"
#include "self_root.h"

#define HOOK_INPUT_MAX (64u << 20) /* a Write tool's content rides in the input */
#define ANSWER_MS 3000		   /* the JavaScript hook waits as long */
#define HOOK_ANSWER_MAX (1u << 20)

struct buf {
	char *p;
	size_t len, cap;
};

static int put(struct buf *b, const void *data, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		while (cap < b->len + n + 1)
			cap *= 2;
		char *p = realloc(b->p, cap);
		if (!p)
			return -1;
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, data, n);
	b->len += n;
	b->p[b->len] = 0;
	return 0;
}

static int puts_(struct buf *b, const char *s)
{
	return put(b, s, strlen(s));
}

static int read_all(int fd, struct buf *b)
{
	char chunk[65536];
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			return 0;
		if (b->len + (size_t)n > HOOK_INPUT_MAX || put(b, chunk, (size_t)n))
			return -1;
	}
}

/* bin/warden, beside this program's build directory */
static int warden_bin(char *out, size_t size)
{
	char root[PATH_MAX];
	if (wd_self_root(root, sizeof(root)))
		return -1;
	return snprintf(out, size, "%s/bin/warden", root) >= (int)size ? -1 : 0;
}

/* The JavaScript hook decides, given the input on its stdin; `why` says why the session did not. */
static void __attribute__((noreturn))
decide_in_js(char **argv, const struct buf *input, const char *why)
{
	char bin[PATH_MAX];
	if (warden_bin(bin, sizeof(bin)) == 0) {
		if (input) {
			int fd = memfd_create("warden-hook-input", MFD_CLOEXEC);
			if (fd < 0 || write(fd, input->p, input->len) != (ssize_t)input->len ||
			    lseek(fd, 0, SEEK_SET) != 0 || dup2(fd, 0) != 0)
				goto fail;
		}
		setenv("WARDEN_HOOK_JS", "1", 1);
		if (why)
			setenv("WARDEN_HOOK_WHY", why, 1);
		int argc = 0;
		while (argv[argc])
			argc++;
		char **args = calloc((size_t)argc + 2, sizeof(char *));
		if (!args)
			goto fail;
		args[0] = bin;
		args[1] = "hook";
		for (int i = 1; i < argc; i++)
			args[i + 1] = argv[i];
		execv(bin, args);
	}
fail:
	/* exit 2 refuses the call; stderr is what the agent is shown */
	fprintf(stderr,
		"Warden: refused because no decision could be made (%s; cannot start the "
		"JavaScript hook: %s)\n",
		why ? why : "no session", strerror(errno));
	exit(2);
}

/* one request (`head`, the input, `}}` or `}`) on a new connection; the answer line, or NULL with
 * `why` said */
static char *ask(const char *path, const char *head, const char *tail, const struct buf *input,
		 char *why, size_t why_size)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(addr.sun_path)) {
		snprintf(why, why_size, "the session socket path is too long");
		return NULL;
	}
	strcpy(addr.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr))) {
		snprintf(why, why_size, "the session did not answer (connect %s: %s)", path,
			 strerror(errno));
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	/* one JSON line: the input's line breaks are whitespace between tokens (none can be in a
	 * string) */
	struct buf req = {0};
	int bad = puts_(&req, head) || put(&req, input->p, input->len) || puts_(&req, tail);
	for (size_t i = 0; !bad && i + 1 < req.len; i++)
		if (req.p[i] == '\n' || req.p[i] == '\r')
			req.p[i] = ' ';
	for (size_t off = 0; !bad && off < req.len;) {
		ssize_t n = send(fd, req.p + off, req.len - off, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			bad = 1;
		else
			off += (size_t)n;
	}
	free(req.p);
	struct buf ans = {0};
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	char *nl = NULL;
	while (!bad && !nl) {
		struct timespec now;
		clock_gettime(CLOCK_MONOTONIC, &now);
		long left = ANSWER_MS - ((now.tv_sec - t0.tv_sec) * 1000 +
					 (now.tv_nsec - t0.tv_nsec) / 1000000);
		struct pollfd p = {.fd = fd, .events = POLLIN};
		int r = left > 0 ? poll(&p, 1, (int)left) : 0;
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			snprintf(why, why_size,
				 "the session did not answer (no answer from %s within %d ms)",
				 path, ANSWER_MS);
			break;
		}
		char chunk[16384];
		ssize_t n = recv(fd, chunk, sizeof(chunk), 0);
		if (n <= 0 || ans.len + (size_t)n > HOOK_ANSWER_MAX ||
		    put(&ans, chunk, (size_t)n)) {
			snprintf(why, why_size, "the session did not answer (%s)",
				 n < 0 ? strerror(errno) : "closed");
			break;
		}
		nl = memchr(ans.p, '\n', ans.len);
	}
	if (bad && !nl)
		snprintf(why, why_size, "the session did not answer (send: %s)", strerror(errno));
	close(fd);
	if (!nl) {
		free(ans.p);
		return NULL;
	}
	*nl = 0;
	return ans.p;
}

/* s as a JSON string's contents */
static int put_json_string(struct buf *b, const char *s)
{
	int bad = puts_(b, "\"");
	for (; !bad && *s; s++) {
		unsigned char c = (unsigned char)*s;
		char esc[8];
		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			bad = put(b, esc, 2);
		} else if (c < 0x20) {
			snprintf(esc, sizeof(esc), "\\u%04x", c);
			bad = puts_(b, esc);
		} else {
			bad = put(b, s, 1);
		}
	}
	return bad || puts_(b, "\"");
}

/* Outside any session: the daemon's answer line, or NULL (no daemon, no token, no answer). */
static char *ask_daemon(char **argv, const struct buf *input, char *why, size_t why_size)
{
	const char *state = getenv("WARDEN_STATE_DIR");
	if (!state || !*state)
		state = "/var/lib/warden";
	char path[PATH_MAX], token[256], cwd[PATH_MAX];
	snprintf(path, sizeof(path), "%s/api.token", state);
	FILE *f = fopen(path, "re");
	size_t n = f ? fread(token, 1, sizeof(token) - 1, f) : 0;
	if (f)
		fclose(f);
	token[n] = 0;
	token[strcspn(token, " \t\r\n")] = 0;
	if (!*token || !getcwd(cwd, sizeof(cwd)))
		return NULL;
	const char *policy = NULL;
	for (int i = 1; argv[i]; i++)
		if (!strcmp(argv[i], "--policy") && argv[i + 1])
			policy = argv[i + 1];
	struct buf head = {0};
	int bad = puts_(&head, "{\"id\":1,\"method\":\"hook\",\"params\":{\"token\":") ||
		  put_json_string(&head, token) || puts_(&head, ",\"cwd\":") ||
		  put_json_string(&head, cwd);
	if (!bad && policy)
		bad = puts_(&head, ",\"policy\":") || put_json_string(&head, policy);
	bad = bad || puts_(&head, ",\"input\":");
	snprintf(path, sizeof(path), "%s/run/control.sock", state);
	char *line = bad ? NULL : ask(path, head.p, "}}\n", input, why, why_size);
	free(head.p);
	return line;
}

static void print_span(FILE *f, struct wd_span s)
{
	fwrite(s.at, 1, s.len, f);
}

int main(int argc, char **argv)
{
	(void)argc;
	const char *socket_path = getenv("WARDEN_SOCKET"); /* set by warden run for its agent */
	int in_session = socket_path && *socket_path;
	if (getenv("WARDEN_HOOK_JS"))
		decide_in_js(argv, NULL, NULL); /* stdin untouched: the JavaScript hook reads it */
	struct buf input = {0};
	if (read_all(0, &input) || input.len == 0)
		decide_in_js(argv, &input,
			     NULL); /* it says what is wrong with the input, and refuses */
	char why[512];
	char *line = in_session
			 ? ask(socket_path, "{\"id\":1,\"method\":\"hook\",\"params\":", "}\n",
			       &input, why, sizeof(why))
			 : ask_daemon(argv, &input, why, sizeof(why));
	if (!in_session && !line)
		decide_in_js(argv, &input,
			     NULL); /* no daemon to ask: the policy file decides there */
	const char *who = in_session ? "the session" : "the warden daemon";
	int gemini = 0;
	for (int i = 1; argv[i]; i++)
		if (!strcmp(argv[i], "--agent") && argv[i + 1] && !strcmp(argv[i + 1], "gemini"))
			gemini = 1;
	struct wd_hook_answer a;
	if (line && wd_hook_answer_read(line, strlen(line), &a)) {
		snprintf(why, sizeof(why),
			 "%s did not answer (an answer that is no decision: %.200s)", who, line);
		free(line);
		line = NULL;
	}
	if (line && a.error) {
		snprintf(why, sizeof(why), "%s did not answer (%.*s)", who,
			 (int)(a.message.len > 300 ? 300 : a.message.len), a.message.at);
		free(line);
		line = NULL;
	}
	if (!line) {
		fprintf(stderr, "warden hook: %s\n", why);
		decide_in_js(argv, &input, why);
	}
	if (!a.decision_null && wd_span_is(a.verdict, "denied")) {
		/* in the CLI's own format (--agent, as warden hooks install writes it); the spans
		 * are escaped JSON string contents: valid inside this string as they are */
		fputs(gemini ? "{\"decision\":\"deny\",\"reason\":\"Warden: "
			     : "{\"hookSpecificOutput\":{\"hookEventName\":\"PreToolUse\","
			       "\"permissionDecision\":\"deny\","
			       "\"permissionDecisionReason\":\"Warden: ",
		      stdout);
		print_span(stdout, a.reason);
		fputs(" (rule ", stdout);
		print_span(stdout, a.rule);
		fputs(" of policy ", stdout);
		print_span(stdout, a.policy);
		fputs(in_session
			  ? ")"
			  : "; decided by the warden daemon: not inside a warden run session)",
		      stdout);
		fputs(gemini ? "\"}\n" : "\"}}\n", stdout);
	}
	free(line);
	return fflush(stdout) ? 1 : 0;
}
