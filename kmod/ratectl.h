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
 *  - mig_eta_ms(): time until the dirty data falls under the convergence
 *    threshold, from the link's rate, what the push's chunks cost on the
 *    link so far (zero chunks nothing) and the rate the guest dirties
 *    clean ones (the pre-copy model: each round sends what the previous
 *    one left, while the guest dirties more).
 *  - mig_precopy_next(): the stop conditions of that model, checked at
 *    the end of each round (rounds.c).
 */
#ifndef DM_MIGRATE_RATECTL_H
#define DM_MIGRATE_RATECTL_H

#include "portable.h"
#include "args.h"

#define MIG_NSEC_PER_SEC	1000000000ULL
#define MIG_PACE_BURST_NS	(20 * 1000 * 1000ULL)
#define MIG_RATE_TAU_MS		3000ULL
#define MIG_RATE_MIN_MS		200ULL	/* shorter gaps do not sample */
#define MIG_ETA_UNKNOWN		(~0ULL)

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

/* What the convergence estimate goes by, read at status time. */
struct mig_eta_in {
	u64 dirty;		/* dirty volume bytes */
	u64 target;		/* converge_bytes */
	u64 net_rate;		/* wire bytes/s of the push, recent */
	u64 dirty_rate;		/* volume bytes/s the guest dirtied, recent */
	u64 read;		/* volume bytes the push read so far */
	u64 wire;		/* wire bytes it sent so far */
};

/*
 * Milliseconds until the dirty bytes fall to the target.  The time is the
 * link's: a zero chunk costs it nothing (a flag) and a compressed one
 * less, so the dirty bytes are expected to cost on the wire what the
 * push's data did so far (wire / read, zero chunks included: the read
 * ahead counts the zero chunks it found), drained at the wire rate, which
 * a run of zero chunks does not inflate as a rate of volume bytes would.
 * The guest's newly dirtied bytes cost the same.  0 when already there;
 * MIG_ETA_UNKNOWN before the first wire bytes and rate, or when the guest
 * dirties as fast as the link drains, or faster: the push then converges
 * only through its round or byte limits.
 */
u64 mig_eta_ms(const struct mig_eta_in *in);

/* A pre-copy round that just ended. */
struct mig_round_end {
	bool bulk;		/* it was the bulk pass */
	u32 round;		/* rounds ended so far, the bulk pass included */
	u64 dirty_bytes;	/* dirty now */
	u64 sent;		/* wire bytes of the push so far */
};

enum mig_precopy_next {
	MIG_PRECOPY_GO_ON,	/* another dirty round */
	MIG_PRECOPY_PAUSE,	/* the bulk pass is over: pause (pause_after_bulk) */
	MIG_PRECOPY_CONVERGED,	/* small enough, or a round or byte limit hit */
};

/*
 * What follows the round @e, by @lim's converge_bytes, max_rounds (dirty
 * rounds; 0: no limit), max_bytes (0: no limit) and pause_after_bulk.
 * After the bulk pass pause_after_bulk wins over everything: the operator
 * (or an orchestrator waiting for several volumes) resumes.
 */
enum mig_precopy_next mig_precopy_next(const struct mig_round_end *e,
				       const struct mig_limits *lim);

#endif /* DM_MIGRATE_RATECTL_H */
