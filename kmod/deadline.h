/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The deadline controller: a push that must be over (handed off) by a
 * deadline.  Pure logic, like model.h: builds in the kernel and in
 * userspace (tests/unit/deadline_test.c, the simulator bench/sim/).
 * Integer arithmetic only.
 *
 * Once a period (100 ms to 1 s in the engine), mig_dl_step() takes the
 * push as the model sees it, the time and a back-off signal, and decides
 * two limits (struct mig_limits' throttle and rate):
 *
 *  - how long the push has left (mig_dl_time_left(): pre-copy by
 *    mig_model_predict(), then the rest drained while mirroring, then
 *    vmm_ms for the VM's RAM and the handoff), and the slack: the time to
 *    the deadline over that time, in percent.  Above warning_pct the push
 *    is ok, at or below it in warning, below danger_pct in danger, and
 *    late once the deadline has passed;
 *  - the guest write throttle (Alg. 1): in warning or danger, if the push
 *    would not end within the time to the deadline over target_pct (120 %:
 *    a margin for the measurements) at the guest's present rate, by the
 *    model, the guest is held to the most that does, no less than
 *    min_write.  It never rises there.  Where not even an idle guest
 *    would make it (or the deadline has passed), the throttle is
 *    auto_throttle's (mig_auto_throttle(): converge within a few rounds):
 *    holding the guest back further would not save the deadline.  When
 *    the slack is above
 *    warning_pct it is lifted (0) if the guest writes under 7/8 of it,
 *    else raised to that most again.  So the thresholds decide when the
 *    controller acts, and the guest is held back only as far as the
 *    deadline needs;
 *  - the network rate limit (Alg. 2, AIMD): a back-off signal (another
 *    push on the link in danger, a congestion signal) halves it, from the
 *    measured rate; a period without one after a cut marks the rate as
 *    safe and starts raising it by net_step a period; a back-off while
 *    raising goes back to the last safe rate; quiet_periods quiet periods
 *    in a row lift it (0).  A cut goes no deeper than keeps the slack at
 *    danger_pct (else the next period would find the push in danger and
 *    lift it: a cycle).  A push in danger or late ignores back-off, lifts
 *    its limit and asks the pushes sharing its link to back off
 *    (ask_backoff).  The throttle is decided for the rate so decided.
 *
 * Each step fills a struct mig_dl_decision: both limits before and after,
 * why each changed (enum mig_dl_why), the state, the prediction.  The
 * engine applies the limits and turns a change into an event.
 */
#ifndef DM_MIGRATE_DEADLINE_H
#define DM_MIGRATE_DEADLINE_H

#include "portable.h"
#include "model.h"

#define MIG_DL_DANGER_PCT	300	/* the paper's defaults */
#define MIG_DL_WARNING_PCT	400
#define MIG_DL_TARGET_PCT	120	/* the throttle's aim */
#define MIG_DL_QUIET_PERIODS	10	/* quiet periods that lift the rate limit */
#define MIG_DL_MIN_WRITE	MIG_AUTO_MIN_RATE	/* throttle floor, bytes/s */

enum mig_dl_state {
	MIG_DL_UNKNOWN,		/* no send rate measured yet: nothing decided */
	MIG_DL_OK,		/* slack above warning_pct */
	MIG_DL_WARNING,		/* slack at or below warning_pct */
	MIG_DL_DANGER,		/* slack below danger_pct */
	MIG_DL_LATE,		/* the deadline has passed */
};

/* Why a limit changed (or MIG_DL_KEEP: it did not). */
enum mig_dl_why {
	MIG_DL_KEEP,
	/* the guest write throttle */
	MIG_DL_TIGHTEN,		/* warning or danger, and late at this rate */
	MIG_DL_LOOSEN,		/* slack regained: the guest may write more */
	MIG_DL_RELEASE,		/* no throttle needed, or the guest is idle */
	MIG_DL_CONVERGE,	/* out of reach or late: to converge (auto_throttle) */
	/* the network rate limit */
	MIG_DL_BACKOFF,		/* back-off: halved */
	MIG_DL_SHORT,		/* back-off, cut short to keep danger_pct */
	MIG_DL_REVERT,		/* back-off while raising: the last safe rate */
	MIG_DL_PROBE,		/* no back-off: raised by net_step */
	MIG_DL_UNLIMIT,		/* quiet_periods without back-off, or danger */
};

/* The operator's part, fixed for a push. */
struct mig_dl_params {
	u64 deadline_ms;	/* on the clock of mig_dl_in.now_ms */
	u32 danger_pct;		/* > 100, < warning_pct */
	u32 warning_pct;
	u32 target_pct;		/* the throttle's aim, >= 100 */
	u64 vmm_ms;		/* after the disks: the VM's RAM, the handoff */
	u64 net_step;		/* AIMD's additive step, wire bytes/s */
	u32 quiet_periods;	/* 0: never lift the rate limit by itself */
	u64 min_write;		/* the throttle's floor, guest bytes/s */
};

/* The controller's state between periods. */
struct mig_dl {
	struct mig_dl_params p;
	u64 rate;		/* network rate limit, wire bytes/s; 0: none */
	u64 throttle;		/* guest write throttle, bytes/s; 0: none */
	u64 safe_rate;		/* the last rate without back-off */
	u8 action;		/* the rate's last move: enum mig_dl_why */
	u32 quiet;		/* periods in a row without back-off */
	u8 state;		/* enum mig_dl_state */
};

/* One period's measurements. */
struct mig_dl_in {
	u64 now_ms;
	/* The push (model.h); wire_rate and write_rate measured. */
	struct mig_model_in push;
	u64 write_bytes;	/* the guest's writes, bytes/s */
	bool backoff;		/* a back-off signal this period */
};

/* What a step decided, and why. */
struct mig_dl_decision {
	u8 state;		/* enum mig_dl_state */
	u8 throttle_why;	/* enum mig_dl_why; MIG_DL_KEEP: unchanged */
	u8 rate_why;
	bool ask_backoff;	/* danger or late: ask the link's others */
	u64 throttle, old_throttle;	/* bytes/s; 0: none */
	u64 rate, old_rate;	/* wire bytes/s; 0: none */
	u64 left_ms;		/* predicted time left; U64_MAX: never */
	u64 to_deadline_ms;	/* 0: passed */
	u32 slack_pct;		/* to_deadline over left; U32_MAX: no time left */
};

/* @p, 0s replaced by the defaults (the paper's thresholds); no limits. */
void mig_dl_init(struct mig_dl *dl, const struct mig_dl_params *p);

/*
 * The time the push @in has left until the VM runs on the destination:
 * pre-copy by the model, then what is still dirty sent while mirroring at
 * the link's rate less the guest's @write_bytes/s (which mirroring sends
 * too), then @vmm_ms.  U64_MAX when it does not end (the guest writes as
 * fast as the link, or the model sees no end); false when it cannot tell
 * (no send rate measured).
 */
bool mig_dl_time_left(const struct mig_model_in *in, u64 write_bytes, u64 vmm_ms,
		      u64 *left_ms);

/*
 * One period: decide both limits into @dl (and @d) from @in.  Returns
 * whether a limit changed.
 */
bool mig_dl_step(struct mig_dl *dl, const struct mig_dl_in *in,
		 struct mig_dl_decision *d);

/* Names for events and status: "ok", "warning"...; "tighten", "backoff"... */
const char *mig_dl_state_name(u8 state);
const char *mig_dl_why_name(u8 why);

#endif /* DM_MIGRATE_DEADLINE_H */
