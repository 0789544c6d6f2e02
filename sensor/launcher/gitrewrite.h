/* SPDX-License-Identifier: Apache-2.0 */
/* The supervisor's rewrite of a guarded git config (gitrewrite.c). */
#pragma once
#include "floor.h"
#include "where.h"

/* The floor's judged git config at `path`, or NULL. */
struct wd_git_config *wd_git_config_of(struct wd_floor *f, const char *path);
/* A rename of `from` onto `g`, done by content: 0, or -errno (EACCES: it sets what can run a
 * command). */
int wd_git_config_rewrite(struct wd_git_config *g, const struct where *from,
			  const struct where *to);
