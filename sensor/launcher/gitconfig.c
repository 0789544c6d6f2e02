// SPDX-License-Identifier: Apache-2.0
/*
 * A git config file, judged by what a change to it sets. Git rewrites its
 * config for ordinary work (a branch deleted or tracked, a remote added, a
 * user name), and settings in the same file run commands (core.hooksPath,
 * core.fsmonitor, an alias starting with '!', a filter, an include of another
 * file). A change is let through when every setting it adds or changes is one
 * git's ordinary work writes, from a list of settings that run nothing; a
 * setting off the list, or a file that does not parse, is refused. Settings it
 * removes or leaves as they were are not judged: they were there before.
 */
#include "gitconfig.h"
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>

#define MAX_ENTRIES 4096

struct entry {
	char section[64];
	char sub[256];
	bool has_sub;
	char key[64];
	const char *value; /* its raw text, into the parsed copy; NULL: the key alone (true) */
	size_t value_len;
};

struct parsed {
	char *text;
	struct entry *e;
	size_t n, cap;
};

/* Settings git's ordinary work writes, none of which names a command to run. sub: 0 none,
 * 1 one required, 2 either. key "*": any key of the section. Not here, though git init writes
 * them: the repository format and its extensions (extensions.worktreeConfig turns on a second
 * config file beside this one), and git-lfs's settings (a custom transfer agent runs a program). */
static const struct {
	const char *section;
	int sub;
	const char *key;
} harmless[] = {
    {"branch", 1, "remote"},
    {"branch", 1, "merge"},
    {"branch", 1, "rebase"},
    {"branch", 1, "pushremote"},
    {"branch", 1, "description"},
    {"remote", 1, "url"},
    {"remote", 1, "pushurl"},
    {"remote", 1, "fetch"},
    {"remote", 1, "push"},
    {"remote", 1, "tagopt"},
    {"remote", 1, "prune"},
    {"remote", 1, "mirror"},
    {"remote", 1, "promisor"},
    {"remote", 1, "partialclonefilter"},
    {"submodule", 1, "url"},
    {"submodule", 1, "active"},
    {"submodule", 1, "branch"},
    {"submodule", 0, "active"},
    {"user", 0, "name"},
    {"user", 0, "email"},
    {"author", 0, "name"},
    {"author", 0, "email"},
    {"committer", 0, "name"},
    {"committer", 0, "email"},
    {"core", 0, "filemode"},
    {"core", 0, "bare"},
    {"core", 0, "logallrefupdates"},
    {"core", 0, "ignorecase"},
    {"core", 0, "precomposeunicode"},
    {"core", 0, "autocrlf"},
    {"core", 0, "eol"},
    {"core", 0, "safecrlf"},
    {"core", 0, "symlinks"},
    {"core", 0, "sparsecheckout"},
    {"core", 0, "sparsecheckoutcone"},
    {"core", 0, "quotepath"},
    {"core", 0, "whitespace"},
    {"core", 0, "abbrev"},
    {"core", 0, "untrackedcache"},
    {"core", 0, "checkstat"},
    {"core", 0, "trustctime"},
    {"core", 0, "commitgraph"},
    {"core", 0, "preloadindex"},
    {"init", 0, "defaultbranch"},
    {"pull", 0, "rebase"},
    {"pull", 0, "ff"},
    {"push", 0, "default"},
    {"push", 0, "autosetupremote"},
    {"push", 0, "followtags"},
    {"fetch", 0, "prune"},
    {"fetch", 0, "prunetags"},
    {"merge", 0, "conflictstyle"},
    {"merge", 0, "ff"},
    {"rebase", 0, "autostash"},
    {"rebase", 0, "autosquash"},
    {"rebase", 0, "updaterefs"},
    {"rerere", 0, "enabled"},
    {"gc", 0, "auto"},
    {"maintenance", 2, "*"},
    {"color", 2, "*"},
    {"advice", 0, "*"},
    {"diff", 0, "algorithm"},
    {"diff", 0, "renames"},
    {"diff", 0, "colormoved"},
    {"status", 0, "*"},
    {"log", 0, "*"},
    {"commit", 0, "verbose"},
    {"tag", 0, "sort"},
    {"index", 0, "version"},
    {"feature", 0, "*"},
    {"worktree", 0, "guessremote"},
};

static bool is_harmless(const struct entry *e)
{
	if (!strcmp(e->section, "alias") && !e->has_sub) {
		/* an alias for another git command runs nothing of its own; one starting with
		 * '!' runs a shell */
		const char *v = e->value ? e->value : "";
		size_t i = 0;
		while (i < e->value_len && (isspace((unsigned char)v[i]) || v[i] == '"'))
			i++;
		return e->value && i < e->value_len && v[i] != '!';
	}
	for (size_t i = 0; i < sizeof(harmless) / sizeof(harmless[0]); i++) {
		if (strcmp(harmless[i].section, e->section))
			continue;
		if ((harmless[i].sub == 0 && e->has_sub) || (harmless[i].sub == 1 && !e->has_sub))
			continue;
		if (!strcmp(harmless[i].key, "*") || !strcmp(harmless[i].key, e->key))
			return true;
	}
	return false;
}

static void lower(char *s)
{
	for (; *s; s++)
		*s = (char)tolower((unsigned char)*s);
}

/* [section], [section "sub"] or the old [section.sub]; *p after the ']'. */
static bool header(char **p, struct entry *cur)
{
	char *s = *p + 1;
	size_t n = 0;
	while (isalnum((unsigned char)s[n]) || s[n] == '-' || s[n] == '.')
		n++;
	if (!n || n >= sizeof(cur->section))
		return false;
	memcpy(cur->section, s, n);
	cur->section[n] = 0;
	cur->has_sub = false;
	cur->sub[0] = 0;
	char *dot = strchr(cur->section, '.');
	if (dot) {
		*dot = 0;
		snprintf(cur->sub, sizeof(cur->sub), "%s", dot + 1);
		lower(cur->sub);
		cur->has_sub = true;
	}
	lower(cur->section);
	s += n;
	if (!dot && (*s == ' ' || *s == '\t')) {
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s++ != '"')
			return false;
		size_t m = 0;
		while (*s && *s != '"' && *s != '\n') {
			if (*s == '\\' && s[1] && s[1] != '\n')
				s++;
			if (m + 1 >= sizeof(cur->sub))
				return false;
			cur->sub[m++] = *s++;
		}
		if (*s++ != '"')
			return false;
		cur->sub[m] = 0;
		cur->has_sub = true;
	}
	if (*s != ']')
		return false;
	*p = s + 1;
	return true;
}

/* key [= value], the value running on over lines that end in a backslash; *p at the line's end. */
static bool setting(char **p, const struct entry *cur, struct parsed *out)
{
	char *s = *p;
	size_t n = 0;
	if (!isalpha((unsigned char)*s) || !cur->section[0] || out->n >= MAX_ENTRIES)
		return false;
	if (out->n == out->cap) {
		size_t cap = out->cap ? out->cap * 2 : 32;
		struct entry *grown = realloc(out->e, cap * sizeof(*grown));
		if (!grown)
			return false;
		out->e = grown;
		out->cap = cap;
	}
	while (isalnum((unsigned char)s[n]) || s[n] == '-')
		n++;
	if (n >= sizeof(cur->key))
		return false;
	struct entry *e = &out->e[out->n++];
	*e = *cur;
	memcpy(e->key, s, n);
	e->key[n] = 0;
	lower(e->key);
	s += n;
	while (*s == ' ' || *s == '\t')
		s++;
	if (*s == '=') {
		s++;
		while (*s == ' ' || *s == '\t')
			s++;
		e->value = s;
		while (*s && (*s != '\n' || (s > e->value && s[-1] == '\\')))
			s++;
		e->value_len = (size_t)(s - e->value);
		while (e->value_len && isspace((unsigned char)e->value[e->value_len - 1]))
			e->value_len--;
	} else if (*s && *s != '\n' && *s != '#' && *s != ';')
		return false;
	while (*s && *s != '\n')
		s++;
	*p = s;
	return true;
}

static bool parse(const char *text, size_t len, struct parsed *out)
{
	out->text = malloc(len + 1);
	if (!out->text)
		return false;
	memcpy(out->text, text, len);
	out->text[len] = 0;
	if (strlen(out->text) != len)
		return false; /* a NUL inside: not a config file */
	struct entry cur = {0};
	for (char *p = out->text; *p;) {
		while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
			p++;
		if (!*p)
			break;
		if (*p == '#' || *p == ';') {
			while (*p && *p != '\n')
				p++;
			continue;
		}
		if (*p == '[') {
			if (!header(&p, &cur))
				return false;
			continue; /* a setting may follow on the same line */
		}
		if (!setting(&p, &cur, out))
			return false;
	}
	return true;
}

static bool same(const struct entry *a, const struct entry *b)
{
	return !strcmp(a->section, b->section) && a->has_sub == b->has_sub &&
	       !strcmp(a->sub, b->sub) && !strcmp(a->key, b->key) &&
	       (a->value == NULL) == (b->value == NULL) && a->value_len == b->value_len &&
	       (!a->value || !memcmp(a->value, b->value, a->value_len));
}

const char *wd_git_config_change(const char *before, size_t before_len, const char *after,
				 size_t after_len, char *why, size_t why_size)
{
	struct parsed old = {0}, new = {0};
	const char *verdict = NULL;
	if (!parse(before, before_len, &old) || !parse(after, after_len, &new))
		verdict = "the file does not parse as git config";
	for (size_t i = 0; !verdict && i < new.n; i++) {
		bool kept = false;
		for (size_t j = 0; !kept && j < old.n; j++)
			kept = same(&new.e[i], &old.e[j]);
		if (kept || is_harmless(&new.e[i]))
			continue;
		snprintf(why, why_size, "%s%s%s.%s", new.e[i].section, new.e[i].has_sub ? "." : "",
			 new.e[i].sub, new.e[i].key);
		verdict = why;
	}
	free(old.text);
	free(old.e);
	free(new.text);
	free(new.e);
	return verdict;
}
