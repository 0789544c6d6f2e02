/* SPDX-License-Identifier: Apache-2.0 */
/* A git config file, judged by what a change to it sets (see gitconfig.c). */
#pragma once
#include <stdbool.h>
#include <stddef.h>

/* NULL when going from `before` to `after` sets nothing that could run a command; else why not
 * (the first setting off the list, written into `why`, or that the file does not parse). */
const char *wd_git_config_change(const char *before, size_t before_len, const char *after,
				 size_t after_len, char *why, size_t why_size);
