/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Whether a path falls under a protected-path rule: a prefix (a directory and
 * what is in it), or an fnmatch pattern with extglob (a policy glob whose `**`
 * became `*`, which may over-match, never under-match). Shared by the file
 * gate (sensor/loader) and the launch floor's supervisor (sensor/launcher):
 * both run it on paths an agent chose, so it must never take long.
 */
#pragma once
/* FNM_EXTMATCH is a GNU extension: every includer defines _GNU_SOURCE first */
#include <fnmatch.h>
#include <stdbool.h>
#include <string.h>

static inline bool wd_path_matches(const char *rule, bool glob, const char *path)
{
	if (glob)
		return fnmatch(rule, path, FNM_EXTMATCH) == 0;
	size_t n = strlen(rule);
	return !strncmp(path, rule, n) && (path[n] == 0 || path[n] == '/' || !strcmp(rule, "/"));
}
