/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The pre-copy model and its stop rule.  Pure logic: builds in the kernel
 * (rounds.c applies the rule at each round's end; status shows the
 * prediction) and in userspace through portable.h (tests/unit/model_test.c,
 * a simulator).
 *
 * Pre-copy sends every chunk once (the bulk pass), then rounds of the
 * chunks the guest dirtied since they were sent, until a stop condition
 * holds (mig_precopy_next()).  The model of a push:
 *
 *  - the link carries @wire_rate bytes/s; a chunk costs @wire_per_chunk
 *    bytes on the wire (compressed and sealed), a zero chunk nothing;
 *  - the guest writes at random over the whole volume.  A write dirties a
 *    whole chunk, and one to a chunk already dirty adds nothing: what the
 *    target counts is chunks that were clean, and their rate falls as the
 *    dirty set grows.  mig_writes_seen() turns them back into the guest's
 *    chunk writes (@write_rate), and in a stretch of time with w writes a
 *    share 1 - e^(-w / chunks) of the clean chunks is hit, so the dirty set
 *    saturates toward the volume;
 *  - a round sweeps the volume in order: a chunk dirtied ahead of its
 *    cursor goes in the same round, one behind it waits for the next.
 *
 * mig_model_predict() follows the current round and the next ones in
 * MIG_MODEL_STEPS slices each and applies the stop rule at the end of
 * each, as the engine does: the time until pre-copy stops, the round it
 * stops at, the wire bytes by then, and what is left dirty for mirroring.
 */
#ifndef DM_MIGRATE_MODEL_H
#define DM_MIGRATE_MODEL_H

#include "portable.h"
#include "args.h"

#define MIG_CONVERGE_MS		1000	/* default time budget of the rest */
/* Dirty rounds in a row that do not halve the dirty set: no progress. */
#define MIG_STALL_ROUNDS	3
#define MIG_MODEL_STEPS		8	/* slices of a round in the model */
#define MIG_MODEL_ROUNDS	256	/* rounds it follows at most */
/* auto_throttle: converge within these more rounds; never below this. */
#define MIG_AUTO_ROUNDS		3
#define MIG_AUTO_MIN_RATE	(64 * 1024)	/* bytes/s */

/* The no-progress rule's state, from the bulk pass's end. */
struct mig_progress {
	u64 mark;		/* dirty chunks after the last round of progress */
	u32 stalled;		/* dirty rounds since, none halving @mark */
};

/* A pre-copy round that just ended. */
struct mig_round_end {
	bool bulk;		/* it was the bulk pass */
	u32 round;		/* rounds ended so far, the bulk pass included */
	u64 dirty;		/* chunks dirty now */
	u64 chunk_bytes;
	u64 sent;		/* wire bytes of the push so far */
	u64 wire_rate;		/* wire bytes/s, measured; 0: not yet */
	u64 wire_per_chunk;	/* wire bytes a non-zero chunk costs */
};

enum mig_precopy_next {
	MIG_PRECOPY_GO_ON,	/* another dirty round */
	MIG_PRECOPY_PAUSE,	/* the bulk pass is over: pause (pause_after_bulk) */
	MIG_PRECOPY_CONVERGED,	/* a stop condition holds: *why says which */
};

/*
 * What follows the round @e, by @lim: after the bulk pass,
 * pause_after_bulk wins over everything (the operator, or an orchestrator
 * waiting for several volumes, resumes).  Converged, *@why saying why
 * (enum dm_migrate_converge_reason), when:
 *
 *  - converge_bytes, if @lim->given has MIG_LIM_CONVERGE (the operator set
 *    it): the dirty bytes are at most that;
 *  - otherwise the dirty chunks can be sent within converge_ms at
 *    @e->wire_rate (nothing dirty: at once, even unmeasured), or
 *    MIG_STALL_ROUNDS dirty rounds in a row ended without halving the
 *    dirty set of the last round that did (@p, which this updates; the
 *    bulk pass's end sets it);
 *  - max_rounds dirty rounds were sent (0: no limit), or max_bytes wire
 *    bytes (0: no limit).
 */
enum mig_precopy_next mig_precopy_next(const struct mig_round_end *e,
				       const struct mig_limits *lim,
				       struct mig_progress *p, u8 *why);

/* @a * @b / @c (@c > 0), rounded down; U64_MAX when it does not fit. */
u64 mig_mul_div(u64 a, u64 b, u64 c);

/* Milliseconds to send @chunks at @wire_rate; U64_MAX when it is 0. */
u64 mig_send_ms(u64 chunks, u64 wire_per_chunk, u64 wire_rate);

/*
 * The guest's chunk writes behind @dirtied chunks that went from clean to
 * dirty while the clean chunks of the volume's @chunks went from @clean0
 * to @clean1: a write hits a clean chunk with the odds clean / chunks (the
 * mean of the two), so @dirtied * chunks / clean; at most 64 * @dirtied.
 */
u64 mig_writes_seen(u64 dirtied, u64 chunks, u64 clean0, u64 clean1);

/* A push in pre-copy, as the model sees it. */
struct mig_model_in {
	u64 chunks;		/* of the volume */
	u64 chunk_bytes;
	u64 cursor;		/* chunks the current round has passed */
	u64 ahead;		/* dirty chunks it has still to send */
	u64 behind;		/* dirty chunks behind it, for the next round */
	bool bulk;		/* the current round is the bulk pass */
	u32 zero_permille;	/* zero chunks per 1000 (the bulk pass's rest) */
	u64 wire_per_chunk;	/* wire bytes per non-zero chunk */
	u64 wire_rate;		/* wire bytes/s; 0: not measured yet */
	u64 write_rate;		/* chunk writes/s of the guest (mig_writes_seen) */
	u32 round;		/* rounds ended so far */
	u64 sent;		/* wire bytes of the push so far */
	struct mig_limits lim;	/* the stop conditions (pause ignored) */
	struct mig_progress progress;
};

/* When pre-copy stops, by the model. */
struct mig_model_out {
	u64 ms;			/* from now */
	u32 round;		/* rounds ended then, the bulk pass included */
	u64 wire_bytes;		/* wire bytes of the push then */
	u64 final_chunks;	/* dirty then: mirroring sends them */
	u8 reason;		/* enum dm_migrate_converge_reason */
};

/*
 * Predict when pre-copy stops.  False when it cannot: no wire rate
 * measured yet, or no stop within MIG_MODEL_ROUNDS rounds.
 */
bool mig_model_predict(const struct mig_model_in *in, struct mig_model_out *out);

/*
 * auto_throttle at the end of a round, @in the push then (cursor 0): the
 * guest write throttle, in bytes/s, to replace *@throttle (0: none).
 * None stays none while the guest's @in->write_rate chunk writes/s have
 * pre-copy converge (on the budget, or converge_below) within
 * MIG_AUTO_ROUNDS more rounds, by the model.  Otherwise the throttle holds
 * the guest to the most chunk writes/s that do, in bytes as it writes
 * them now (@bytes_rate bytes/s for @in->write_rate chunk writes/s), at
 * least MIG_AUTO_MIN_RATE: it rises as the dirty set shrinks, and goes
 * (0) when the guest writes nothing.  False when it cannot tell (no link
 * rate measured): *@throttle stays.
 */
bool mig_auto_throttle(const struct mig_model_in *in, u64 bytes_rate, u64 *throttle);

#endif /* DM_MIGRATE_MODEL_H */
