// SPDX-License-Identifier: GPL-2.0
/*
 * Rate control and estimation (ratectl.h).  Pure logic: builds in the
 * kernel and in userspace (tests/unit/) through portable.h.
 */
#include "ratectl.h"

u64 mig_pace_admit(struct mig_pace *p, u64 now_ns, u64 bytes, u64 rate)
{
	u64 floor = now_ns > MIG_PACE_BURST_NS ? now_ns - MIG_PACE_BURST_NS : 0;
	u64 start = p->vtime_ns > floor ? p->vtime_ns : floor;

	p->vtime_ns = start + div64_u64(bytes * MIG_NSEC_PER_SEC, rate);
	return p->vtime_ns > now_ns ? p->vtime_ns - now_ns : 0;
}

void mig_rate_update(struct mig_rate *r, u64 now_ms, u64 value)
{
	u64 dt, inst;

	if (!r->t_ms || value < r->value || now_ms < r->t_ms) {
		/* First sample, or the counter was reset: start over. */
		r->t_ms = now_ms;
		r->value = value;
		r->rate = 0;
		r->primed = false;
		return;
	}
	dt = now_ms - r->t_ms;
	if (dt < MIG_RATE_MIN_MS)
		return;
	inst = div64_u64((value - r->value) * 1000, dt);
	if (!r->primed)
		r->rate = inst;
	else
		r->rate = div64_u64(r->rate * MIG_RATE_TAU_MS + inst * dt,
				    MIG_RATE_TAU_MS + dt);
	r->primed = true;
	r->t_ms = now_ms;
	r->value = value;
}
