/* SPDX-License-Identifier: Apache-2.0 */
/* The session's answer to a `hook` request, read without a JSON library. */
#pragma once
#include <stddef.h>

/* a span of the answer: a JSON string's contents, still escaped (valid inside another JSON string)
 */
struct wd_span {
	const char *at;
	size_t len;
};

struct wd_hook_answer {
	int error;	   /* the session answered an error (message in `message`) */
	int decision_null; /* result.decision is null: nothing to decide (PostToolUse) */
	struct wd_span message, verdict, rule, reason, policy, by;
};

/*
 * Reads one answer line ({"id":..,"result":{"decision":{...}}} or {"id":..,"error":".."}).
 * Returns 0 when it is an error, a null decision, or a decision with all five fields and a
 * known verdict; -1 for anything else (the caller then decides without the session).
 */
int wd_hook_answer_read(const char *line, size_t len, struct wd_hook_answer *out);

/* 1: the span holds exactly `s` */
int wd_span_is(struct wd_span sp, const char *s);
