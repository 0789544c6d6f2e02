// SPDX-License-Identifier: Apache-2.0
/*
 * libFuzzer target: the supervisor's git config judge, which parses a file the
 * agent wrote (the `config.lock` renamed onto a guarded git config). The input
 * is the file as it was, a NUL, and the file the agent offers. Besides
 * crashes: a file judged against itself changes nothing, so it is refused only
 * when it does not parse.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "gitconfig.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, 0, size);
	size_t before_len = nul ? (size_t)(nul - data) : size;
	const char *before = (const char *)data, *after = nul ? (const char *)nul + 1 : "";
	size_t after_len = nul ? size - before_len - 1 : 0;
	char why[400];
	wd_git_config_change(before, before_len, after, after_len, why, sizeof(why));
	const char *self =
	    wd_git_config_change(after, after_len, after, after_len, why, sizeof(why));
	if (self && strcmp(self, "the file does not parse as git config"))
		abort(); /* a file against itself refused for a setting it already had */
	return 0;
}
