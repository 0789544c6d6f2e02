// SPDX-License-Identifier: Apache-2.0
/*
 * A small JSON reader for the one answer `warden hook` needs: it walks any
 * well-formed JSON value (objects, arrays, strings, numbers, literals, depth
 * at most 16) and keeps the spans of the few strings it is asked about.
 */
#include <string.h>
#include "answer.h"

struct scan {
	const char *p, *end;
	struct wd_hook_answer *out;
};

enum where { ELSEWHERE, TOP, RESULT, DECISION };

static void ws(struct scan *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
		s->p++;
}

static int hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* a string at s->p: its contents' span (escapes kept) */
static int string(struct scan *s, struct wd_span *sp)
{
	if (s->p >= s->end || *s->p != '"')
		return -1;
	const char *start = ++s->p;
	while (s->p < s->end && *s->p != '"') {
		unsigned char c = (unsigned char)*s->p;
		if (c < 0x20)
			return -1;
		if (c == '\\') {
			if (++s->p >= s->end)
				return -1;
			if (*s->p == 'u') {
				if (s->end - s->p < 5 || !hex(s->p[1]) || !hex(s->p[2]) ||
				    !hex(s->p[3]) || !hex(s->p[4]))
					return -1;
				s->p += 4;
			} else if (!strchr("\"\\/bfnrt", *s->p)) {
				return -1;
			}
		}
		s->p++;
	}
	if (s->p >= s->end)
		return -1;
	sp->at = start;
	sp->len = (size_t)(s->p - start);
	s->p++;
	return 0;
}

static int literal(struct scan *s, const char *word)
{
	size_t n = strlen(word);
	if ((size_t)(s->end - s->p) < n || memcmp(s->p, word, n))
		return -1;
	s->p += n;
	return 0;
}

static int number(struct scan *s)
{
	const char *start = s->p;
	while (s->p < s->end && strchr("+-.eE0123456789", *s->p))
		s->p++;
	return s->p > start ? 0 : -1;
}

static int value(struct scan *s, enum where at, int depth, struct wd_span *str);

/* the member `key` of an object at `at`: where its value is, and which span keeps it */
static enum where member(struct scan *s, enum where at, struct wd_span key, struct wd_span **keep)
{
	struct wd_hook_answer *o = s->out;
	*keep = NULL;
	if (at == TOP && wd_span_is(key, "error")) {
		o->error = 1;
		*keep = &o->message;
	}
	if (at == TOP && wd_span_is(key, "result"))
		return RESULT;
	if (at == RESULT && wd_span_is(key, "decision"))
		return DECISION;
	if (at == DECISION) {
		struct {
			const char *name;
			struct wd_span *span;
		} fields[] = {{"verdict", &o->verdict},
			      {"rule", &o->rule},
			      {"reason", &o->reason},
			      {"policy", &o->policy},
			      {"by", &o->by}};
		for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
			if (wd_span_is(key, fields[i].name))
				*keep = fields[i].span;
	}
	return ELSEWHERE;
}

static int object(struct scan *s, enum where at, int depth)
{
	s->p++; /* { */
	ws(s);
	if (s->p < s->end && *s->p == '}') {
		s->p++;
		return 0;
	}
	for (;;) {
		struct wd_span key, got = {0};
		ws(s);
		if (string(s, &key))
			return -1;
		ws(s);
		if (s->p >= s->end || *s->p++ != ':')
			return -1;
		ws(s);
		struct wd_span *keep;
		enum where inner = member(s, at, key, &keep);
		if (inner == DECISION && literal(s, "null") == 0)
			s->out->decision_null = 1;
		else if (value(s, inner, depth + 1, &got))
			return -1;
		if (keep && got.at)
			*keep = got;
		ws(s);
		if (s->p >= s->end)
			return -1;
		if (*s->p == '}') {
			s->p++;
			return 0;
		}
		if (*s->p++ != ',')
			return -1;
	}
}

static int array(struct scan *s, int depth)
{
	s->p++; /* [ */
	ws(s);
	if (s->p < s->end && *s->p == ']') {
		s->p++;
		return 0;
	}
	for (;;) {
		struct wd_span ignored = {0};
		ws(s);
		if (value(s, ELSEWHERE, depth + 1, &ignored))
			return -1;
		ws(s);
		if (s->p >= s->end)
			return -1;
		if (*s->p == ']') {
			s->p++;
			return 0;
		}
		if (*s->p++ != ',')
			return -1;
	}
}

/* one value; a string's span goes to `str` */
static int value(struct scan *s, enum where at, int depth, struct wd_span *str)
{
	if (depth > 16 || s->p >= s->end)
		return -1;
	switch (*s->p) {
	case '{': return object(s, at, depth);
	case '[': return array(s, depth);
	case '"': return string(s, str);
	case 't': return literal(s, "true");
	case 'f': return literal(s, "false");
	case 'n': return literal(s, "null");
	default: return number(s);
	}
}

int wd_span_is(struct wd_span sp, const char *s)
{
	return sp.at && strlen(s) == sp.len && memcmp(sp.at, s, sp.len) == 0;
}

int wd_hook_answer_read(const char *line, size_t len, struct wd_hook_answer *out)
{
	memset(out, 0, sizeof(*out));
	struct scan s = {.p = line, .end = line + len, .out = out};
	struct wd_span ignored = {0};
	ws(&s);
	if (s.p >= s.end || *s.p != '{' || value(&s, TOP, 0, &ignored))
		return -1;
	ws(&s);
	if (s.p != s.end)
		return -1;
	if (out->error)
		return out->message.at ? 0 : -1;
	if (out->decision_null)
		return 0;
	int known = wd_span_is(out->verdict, "allowed") || wd_span_is(out->verdict, "denied") ||
		    wd_span_is(out->verdict, "would-deny");
	return known && out->rule.at && out->reason.at && out->policy.at && out->by.at ? 0 : -1;
}
