/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Rate control and estimation, pure logic (builds in userspace through
 * portable.h for tests/unit/ratectl_test.c):
 *
 *  - struct mig_pace: a virtual-clock pacer.  Each admitted transfer moves
 *    a virtual finish time forward by bytes / rate; the caller waits until
 *    that time.  Idle time earns at most MIG_PACE_BURST_NS of credit, so a
 *    pacer that was idle does not then let a long burst through.  Used for
 *    the network rate limit (push.c) and the guest write throttle
 *    (throttle.c).
 *  - struct mig_rate: the recent rate of a growing counter, an average
 *    over time with an exponential decay of MIG_RATE_TAU_MS.
 *
 * The pre-copy model and its stop conditions are in model.h.
 */
#ifndef DM_MIGRATE_RATECTL_H
#define DM_MIGRATE_RATECTL_H

#include "portable.h"

#define MIG_NSEC_PER_SEC	1000000000ULL
#define MIG_PACE_BURST_NS	(20 * 1000 * 1000ULL)
#define MIG_RATE_TAU_MS		3000ULL
#define MIG_RATE_MIN_MS		200ULL	/* shorter gaps do not sample */

struct mig_pace {
	u64 vtime_ns;		/* virtual finish time of the last transfer */
};

struct mig_rate {
	u64 t_ms;		/* time of the last sample; 0: none yet */
	u64 value;		/* the counter then */
	u64 rate;		/* per second */
	bool primed;		/* rate holds a measurement */
};

/*
 * Admit @bytes at @rate bytes/s at time @now_ns.  Returns how many ns the
 * caller must wait before the transfer (0: go now).  @rate must not be 0.
 */
u64 mig_pace_admit(struct mig_pace *p, u64 now_ns, u64 bytes, u64 rate);

/* Feed the counter's @value at @now_ms (monotonic, > 0). */
void mig_rate_update(struct mig_rate *r, u64 now_ms, u64 value);

#endif /* DM_MIGRATE_RATECTL_H */
