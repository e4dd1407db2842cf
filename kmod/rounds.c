// SPDX-License-Identifier: GPL-2.0
/*
 * The source's pre-copy rounds: which dirty chunks the sender reads next,
 * when a round is over, and what then comes next by the stop conditions
 * (mig_precopy_next() in model.c, pure logic): another dirty round, a
 * pause after the bulk pass, or converged.  And the model's prediction of
 * the push, for status (mig_model_predict(), model.c).
 *
 * A round is one pass of push->cursor over the bitmap: the first, the
 * bulk pass, sends every chunk; each dirty round then sends what the
 * guest dirtied meanwhile.  Everything here runs in the push thread
 * (sender.c calls it); the busy chunks are shared with mirror.c, which
 * claims them the same way (see "busy" in push.c, and busy.c).
 */
#include "push.h"

/*
 * Claim chunk @i: busy, and its dirty bit cleared, then its sub-block
 * mask taken into *@mask (0: send it whole).  False if not dirty.
 *
 * The order is the one bitmap.h ("Sub-block masks") proves: the bit's
 * clear, then the mask's read-and-clear, both fully ordered, then (in
 * the slot) the read.  A write whose mask bits the take misses sets the
 * bit again after the clear: the chunk goes again with them.
 */
static bool claim(struct mig_push *push, u64 i, u32 *mask)
{
	/* Busy first: exactly one of us and mirror.c wins. */
	if (!mig_busy_claim(push, i, GFP_NOIO))
		return false;
	if (!mig_bitmap_clear_range(push->dev->bm, i, i)) {
		push_unbusy(push, i, i);	/* cleaned meanwhile */
		return false;
	}
	*mask = mig_bitmap_take_sub(push->dev->bm, i);
	return true;
}

/*
 * Pick the next run of dirty chunks of the round that are not busy, up to
 * push->run chunks; clear their bits and mark them busy, their masks in
 * @masks[0 .. *n - 1].  Returns false when the round has no more.
 */
bool mig_round_pick(struct mig_push *push, u64 *index, u32 *n, u32 *masks)
{
	u64 first, last, i;

	/* A run's end is looked for no further than a slot takes. */
	while (mig_bitmap_next_range(push->dev->bm, push->cursor, push->run,
				     &first, &last)) {
		for (i = first; i <= last; i++) {
			push->cursor = i + 1;
			if (!claim(push, i, &masks[0]))
				continue;
			*index = i;
			*n = 1;
			while (*n < push->run && i + *n <= last &&
			       claim(push, i + *n, &masks[*n]))
				(*n)++;
			push->cursor = i + *n;
			WRITE_ONCE(push->round_picked, push->round_picked + *n);
			return true;
		}
	}
	push->cursor = push->nchunks;
	return false;
}

static const char * const why_text[__DM_MIGRATE_CONV_MAX] = {
	[DM_MIGRATE_CONV_BUDGET] = "time budget",
	[DM_MIGRATE_CONV_BELOW] = "converge_below",
	[DM_MIGRATE_CONV_NO_PROGRESS] = "no progress",
	[DM_MIGRATE_CONV_MAX_ROUNDS] = "max_rounds",
	[DM_MIGRATE_CONV_MAX_BYTES] = "max_bytes",
};

/* The stop conditions; they may change under us (set): each read once. */
static void read_limits(struct mig_push *push, struct mig_limits *lim)
{
	lim->given = READ_ONCE(push->lim.given);
	lim->converge_bytes = READ_ONCE(push->lim.converge_bytes);
	lim->converge_ms = READ_ONCE(push->lim.converge_ms);
	lim->max_rounds = READ_ONCE(push->lim.max_rounds);
	lim->max_bytes = READ_ONCE(push->lim.max_bytes);
	lim->pause_after_bulk = READ_ONCE(push->lim.pause_after_bulk);
}

/*
 * Wire bytes a chunk with data has cost so far: zero chunks cost next to
 * nothing (a run of them is one message), so they are left out.  Before
 * any, a chunk as it is.
 */
static u64 wire_per_chunk(struct mig_push *push)
{
	struct mig_stats *st = &push->dev->stats;
	u64 wire = atomic64_read(&st->bytes_wire);
	u64 chunks = atomic64_read(&st->chunks), zero = atomic64_read(&st->zero_chunks);

	if (chunks <= zero)
		return mig_geom_chunk_bytes(&push->geom);
	return div64_u64(wire, chunks - zero);
}

static void log_converged(struct mig_dev *dev, const struct mig_round_end *e, u8 why)
{
	DMINFO("%s: converged after %u dirty rounds (%s): %llu chunks dirty, %llu ms to send",
	       mig_name(dev), e->round - 1, why_text[why], (unsigned long long)e->dirty,
	       (unsigned long long)mig_send_ms(e->dirty, e->wire_per_chunk, e->wire_rate));
}

/* auto_throttle changed the guest write throttle: say so. */
void mig_round_throttled(struct mig_dev *dev)
{
	u64 rate = READ_ONCE(dev->throttle.rate);

	if (rate)
		DMINFO("%s: auto_throttle: guest writes held to %llu bytes/s",
		       mig_name(dev), (unsigned long long)rate);
	else
		DMINFO("%s: auto_throttle: guest writes no longer held", mig_name(dev));
	mig_event(dev, DM_MIGRATE_EV_THROTTLE, 0);
}

/*
 * auto_throttle at the end of a round that another follows: the throttle
 * the model asks for (mig_auto_throttle()), from the guest's chunk writes
 * and write bytes as the estimator measures them now.  A change of less
 * than an eighth is not made.
 */
static void auto_throttle(struct mig_push *push, const struct mig_round_end *e,
			  const struct mig_limits *lim)
{
	struct mig_dev *dev = push->dev;
	u64 old = READ_ONCE(dev->throttle.rate), rate = old;
	struct mig_model_in in = {
		.chunks = push->nchunks,
		.chunk_bytes = e->chunk_bytes,
		.ahead = e->dirty,
		.wire_per_chunk = e->wire_per_chunk,
		.wire_rate = e->wire_rate,
		.round = e->round,
		.sent = e->sent,
		.lim = *lim,
		.progress = push->progress,
	};
	struct mig_rates r;

	mig_est_sample(dev, e->dirty, &r);
	/*
	 * No chunk writes measured lifts the throttle (the model) only if
	 * the guest wrote no bytes either, measured: rewrites of chunks
	 * already dirty, or an estimator not yet primed, read as 0 too.
	 */
	if (!r.writes && (r.written || !READ_ONCE(dev->est.written.primed)))
		return;
	in.write_rate = r.writes;
	if (!mig_auto_throttle(&in, r.written, &rate) ||
	    (old && rate && max(old, rate) - min(old, rate) < old / 8))
		return;
	if (!mig_throttle_auto_rate(&dev->throttle, rate))
		return;
	/*
	 * Mirror, pause and handoff set their request, then lift (push.c),
	 * both under or before the throttle's lock: a rate set after that
	 * lift sees the request here and is lifted again.
	 */
	if (READ_ONCE(push->mirror_requested) || READ_ONCE(push->paused) ||
	    !mig_mode_precopy(mig_mode(dev)))
		mig_throttle_auto_rate(&dev->throttle, 0);
	mig_round_throttled(dev);
}

/* A round is over: the stop conditions of pre-copy say what comes next. */
void mig_round_end(struct mig_push *push)
{
	struct mig_dev *dev = push->dev;
	enum dm_migrate_mode mode = mig_mode(dev);
	u64 dirty = mig_bitmap_dirty(dev->bm);
	bool counted = push->round_picked || mode == DM_MIGRATE_MODE_BULK;
	struct mig_round_end e = {
		.bulk = mode == DM_MIGRATE_MODE_BULK,
		.dirty = dirty,
		.chunk_bytes = mig_geom_chunk_bytes(&push->geom),
		.sent = atomic64_read(&dev->stats.bytes_wire),
		.wire_per_chunk = wire_per_chunk(push),
	};
	struct mig_limits lim = {};
	bool disturbed;
	u8 why;

	push->cursor = 0;
	WRITE_ONCE(push->round_dirty0, dirty);
	/*
	 * A pass that found nothing to send is not a round; if chunks are
	 * dirty but all busy, wait for an ACK before the next pass (and
	 * decide nothing: no round ended).
	 */
	if (counted)
		atomic_inc(&dev->stats.round);
	else if (dirty)
		push->scan_blocked = true;
	/* Only this thread moves the round while it runs. */
	e.round = atomic_read(&dev->stats.round);
	WRITE_ONCE(push->round_picked, 0);
	if ((mode != DM_MIGRATE_MODE_DIRTY && !e.bulk) || (!counted && dirty))
		return;
	/*
	 * A round that was paused or lost its connection measured the
	 * pause, not the link: sample afresh from here (the budget rule
	 * waits a round) and let auto_throttle wait for a round of its own.
	 */
	disturbed = READ_ONCE(push->round_disturbed);
	if (disturbed) {
		WRITE_ONCE(push->round_disturbed, false);
		memset(&push->round_rate, 0, sizeof(push->round_rate));
	}
	mig_rate_update(&push->round_rate, mig_now_ms(), e.sent);
	e.wire_rate = push->round_rate.rate;
	read_limits(push, &lim);
	switch (mig_precopy_next(&e, &lim, &push->progress, &why)) {
	case MIG_PRECOPY_PAUSE:
		/*
		 * Paused before the phase event, which then shows it.  The
		 * pass counts as done: after 'resume' the first pass ends a
		 * round at once, so that the stop conditions are checked even
		 * when nothing is dirty (mig_round_over()).
		 */
		WRITE_ONCE(push->paused, true);
		WRITE_ONCE(push->paused_by_bulk, true);
		WRITE_ONCE(push->round_disturbed, true);
		push->cursor = push->nchunks;
		if (mig_transition(dev, MIG_T_BULK_DONE))
			DMINFO("%s: bulk pass done; paused ('resume' starts the dirty rounds)",
			       mig_name(dev));
		return;
	case MIG_PRECOPY_CONVERGED:
		/* Before the transition: its event carries the reason. */
		atomic_set(&dev->stats.converge_why, why);
		if (e.bulk)
			mig_transition(dev, MIG_T_BULK_DONE);
		if (mig_transition(dev, MIG_T_CONVERGED))
			log_converged(dev, &e, why);
		return;
	default:
		break;
	}
	if (e.bulk)
		mig_transition(dev, MIG_T_BULK_DONE);
	if (READ_ONCE(dev->throttle.automatic) && !disturbed)
		auto_throttle(push, &e, &lim);
}

/*
 * Under push->lock: the round's pass is over (it reached the end, or it
 * picked something and nothing is dirty any more) and nothing of it is
 * left in flight to the slots.  Not while paused: a round ends (and the
 * push converges) only once it runs again.
 */
bool mig_round_over(struct mig_push *push)
{
	return !push_paused(push) &&
	       (push->cursor >= push->nchunks ||
		(push->round_picked && !mig_bitmap_dirty(push->dev->bm))) &&
	       !push->reading && list_empty(&push->ready_slots);
}

/* A bulk pass begins (thread, or push_start() before the thread runs). */
void mig_round_start(struct mig_push *push)
{
	push->cursor = 0;
	WRITE_ONCE(push->round_picked, 0);
	WRITE_ONCE(push->round_dirty0, push->nchunks);
	WRITE_ONCE(push->progress.mark, 0);
	WRITE_ONCE(push->progress.stalled, 0);
	/* The wire rate of the rounds: from now, as the counters start. */
	memset(&push->round_rate, 0, sizeof(push->round_rate));
	mig_rate_update(&push->round_rate, mig_now_ms(),
			atomic64_read(&push->dev->stats.bytes_wire));
}

/* Everything dirty again: the peer holds nothing we can count on. */
void mig_round_restart(struct mig_push *push)
{
	struct mig_dev *dev = push->dev;

	mig_bitmap_set_range(dev->bm, 0, push->nchunks - 1);
	mig_round_start(push);
	/* A new bulk pass: the throttle waits for the model to ask again. */
	if (mig_throttle_auto_rate(&dev->throttle, 0))
		mig_round_throttled(dev);
	atomic_set(&dev->stats.converge_why, 0);
	/*
	 * A pause after the bulk pass comes again after the new one; the
	 * operator's own pause stays.
	 */
	if (READ_ONCE(push->paused_by_bulk))
		WRITE_ONCE(push->paused, false);
	if (mig_transition(dev, MIG_T_RESTART))
		atomic_set(&dev->stats.round, 0);
}

/*
 * The wire rate since the rounds' rate was last sampled (at a round's end,
 * or the push's start): the current round's so far.  Read racily: 0 if
 * the two fields do not fit together, or too little time passed.
 */
static u64 rate_so_far(struct mig_push *push, u64 sent)
{
	u64 t = READ_ONCE(push->round_rate.t_ms), v = READ_ONCE(push->round_rate.value);
	u64 now = mig_now_ms();

	if (!t || now < t + MIG_RATE_MIN_MS || sent < v)
		return 0;
	return div64_u64((sent - v) * 1000, now - t);
}

/*
 * The model's prediction of the push in pre-copy, for status (under
 * dev->lock): the round's progress is read racily (the thread moves it),
 * the rates are @st's.  The dirty chunks the round has still to send are
 * those dirty when it began less those it picked (a chunk dirtied ahead
 * of the cursor since is counted behind it: a small error).
 */
bool mig_round_predict(struct mig_push *push, const struct mig_status *st,
		       struct mig_model_out *out)
{
	struct mig_stats *stats = &push->dev->stats;
	u64 dirty0 = READ_ONCE(push->round_dirty0);
	u64 picked = READ_ONCE(push->round_picked);
	u64 chunks = atomic64_read(&stats->chunks);
	u64 sent = atomic64_read(&stats->bytes_wire);
	struct mig_model_in in = {
		.chunks = push->nchunks,
		.chunk_bytes = mig_geom_chunk_bytes(&push->geom),
		.cursor = READ_ONCE(push->cursor),
		.ahead = min(dirty0 > picked ? dirty0 - picked : 0, st->dirty),
		.bulk = st->mode == DM_MIGRATE_MODE_BULK,
		.wire_per_chunk = wire_per_chunk(push),
		/*
		 * Every rate measured falls short of the link's while the
		 * push idles or sends zero chunks: the largest is the
		 * closest (status's recent one, the rounds', this round's).
		 */
		.wire_rate = max3(st->rates.net, READ_ONCE(push->round_rate.rate),
				  rate_so_far(push, sent)),
		.write_rate = st->rates.writes,
		.round = st->round,
		.sent = sent,
		.progress = {
			.mark = READ_ONCE(push->progress.mark),
			.stalled = READ_ONCE(push->progress.stalled),
		},
	};

	if (chunks)
		in.zero_permille = div64_u64(min_t(u64, atomic64_read(&stats->zero_chunks),
						   chunks) * 1000, chunks);
	in.behind = st->dirty - in.ahead;
	read_limits(push, &in.lim);
	return mig_model_predict(&in, out);
}
