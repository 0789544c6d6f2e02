// SPDX-License-Identifier: Apache-2.0
/*
 * libFuzzer target: warden-hook's reader of the session's answer. Besides
 * crashes: every span it keeps lies inside the input, and a decision it
 * accepts has all five fields.
 */
#include <stdint.h>
#include <stdlib.h>
#include "answer.h"

static void inside(struct wd_span s, const uint8_t *data, size_t size)
{
	if (s.at && ((const uint8_t *)s.at < data || (const uint8_t *)s.at + s.len > data + size))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wd_hook_answer a;
	if (wd_hook_answer_read((const char *)data, size, &a))
		return 0;
	struct wd_span all[] = {a.message, a.verdict, a.rule, a.reason, a.policy, a.by};
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		inside(all[i], data, size);
	if (!a.error && !a.decision_null &&
	    !(a.verdict.at && a.rule.at && a.reason.at && a.policy.at && a.by.at))
		abort();
	return 0;
}
