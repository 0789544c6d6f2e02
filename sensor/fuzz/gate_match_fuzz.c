// SPDX-License-Identifier: Apache-2.0
/*
 * libFuzzer target: protected-path matching, which runs on the gate thread for
 * every open of a session's process under a mark, and in the launch floor's
 * supervisor for every path a session creates. The input is
 * a rule (a policy's pattern after `**` became `*`), a NUL, and a path the
 * agent chose. libFuzzer's -timeout catches a match that takes too long.
 */
#define _GNU_SOURCE
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "path_match.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 2);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = buf[size + 1] = 0;
	const char *rule = buf, *path = buf + strlen(buf) + 1;
	if (path > buf + size)
		path = buf + size;
	wd_path_matches(rule, true, path);
	wd_path_matches(rule, false, path);
	free(buf);
	return 0;
}
