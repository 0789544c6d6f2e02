/* SPDX-License-Identifier: Apache-2.0 */
/* The loader's log (log.c): stderr, one line a message. */
#pragma once

void wd_logf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
