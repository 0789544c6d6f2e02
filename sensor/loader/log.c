// SPDX-License-Identifier: Apache-2.0
/* The loader's log: one line per message on stderr, named. */
#include "log.h"
#include <stdarg.h>
#include <stdio.h>

void wd_logf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("warden-sensor: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}
