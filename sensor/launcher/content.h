/* SPDX-License-Identifier: Apache-2.0 */
/* exec.deny by content: a denied program's bytes cannot be run under any name. */
#pragma once
#include "floor.h"

/*
 * In the relay, before the session's mount namespace is made (a masked
 * program reads as empty from inside it): opens the denied programs the floor
 * names (`exec-content`) and the dynamic loaders. Returns the fanotify group
 * to answer, -1 when the floor denies no program by content, or -2 after
 * printing why it cannot.
 */
int wd_content_open(const struct wd_floor *f);
/* Once the namespace is built, before anything runs in it: marks its every mount. 0 or -1. */
int wd_content_watch(int group);
/* Answers the group's pending exec events (init does). 0, or -1 when the group failed. */
int wd_content_answer(int group);
