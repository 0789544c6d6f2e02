// SPDX-License-Identifier: Apache-2.0
/* The root of the Warden tree a program of sensor/build runs from: it is <root>/sensor/build/NAME.
 */
#pragma once
#include <string.h>
#include <unistd.h>

static inline int wd_self_root(char *root, size_t size)
{
	ssize_t n = readlink("/proc/self/exe", root, size - 1);
	if (n <= 0)
		return -1;
	root[n] = 0;
	for (int up = 0; up < 3; up++) {
		char *slash = strrchr(root, '/');
		if (!slash)
			return -1;
		*slash = 0;
	}
	return 0;
}
