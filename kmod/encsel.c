// SPDX-License-Identifier: GPL-2.0
/*
 * Choosing how the next chunk is encoded (encsel.h).  Pure logic: builds
 * in the kernel and in userspace (tests/unit/) through portable.h.
 */
#include "encsel.h"

void mig_skip_reset(struct mig_skip *s)
{
	memset(s, 0, sizeof(*s));
}

bool mig_skip_try(struct mig_skip *s, u32 len, u64 now_ns)
{
	if (!s->backoff)
		return true;
	if (s->probing)
		return false;	/* one probe at a time */
	if (s->left >= len && now_ns < s->probe_ns) {
		s->left -= len;
		return false;
	}
	s->left = 0;
	s->probing = true;
	return true;
}

void mig_skip_done(struct mig_skip *s, u32 len, u32 enc_len, u64 now_ns)
{
	if (mig_skip_pays(len, enc_len)) {
		mig_skip_reset(s);
		return;
	}
	if (s->backoff && !s->probing)
		return;		/* tried before the skip began */
	if (++s->misses < MIG_SKIP_MISSES)
		return;
	s->probing = false;
	s->backoff = s->backoff ? min(s->backoff * 2, MIG_SKIP_MAX) : MIG_SKIP_MIN;
	s->left = s->backoff;
	s->probe_ns = now_ns + MIG_SKIP_PROBE_NS;
}
