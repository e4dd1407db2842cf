// SPDX-License-Identifier: GPL-2.0
/*
 * The source's pre-copy rounds: which dirty chunks the sender reads next,
 * when a round is over, and what then comes next by the stop conditions
 * (mig_precopy_next() in ratectl.c, pure logic): another dirty round, a
 * pause after the bulk pass, or converged.
 *
 * A round is one pass of push->cursor over the bitmap: the first, the
 * bulk pass, sends every chunk; each dirty round then sends what the
 * guest dirtied meanwhile.  Everything here runs in the push thread
 * (sender.c calls it); the busy chunks are shared with mirror.c, which
 * claims them the same way (see "busy" in push.c, and busy.c).
 */
#include "push.h"

/* Claim chunk @i: busy, and its dirty bit cleared.  False if not dirty. */
static bool claim(struct mig_push *push, u64 i)
{
	/* Busy first: exactly one of us and mirror.c wins. */
	if (!mig_busy_claim(push, i, GFP_NOIO))
		return false;
	if (!mig_bitmap_clear_range(push->dev->bm, i, i)) {
		push_unbusy(push, i, i);	/* cleaned meanwhile */
		return false;
	}
	return true;
}

/*
 * Pick the next run of dirty chunks of the round that are not busy, up to
 * push->run chunks; clear their bits and mark them busy.  Returns false
 * when the round has no more.
 */
bool mig_round_pick(struct mig_push *push, u64 *index, u32 *n)
{
	u64 first, last, i;

	/* A run's end is looked for no further than a slot takes. */
	while (mig_bitmap_next_range(push->dev->bm, push->cursor, push->run,
				     &first, &last)) {
		for (i = first; i <= last; i++) {
			push->cursor = i + 1;
			if (!claim(push, i))
				continue;
			*index = i;
			*n = 1;
			while (*n < push->run && i + *n <= last && claim(push, i + *n))
				(*n)++;
			push->cursor = i + *n;
			push->round_picked += *n;
			return true;
		}
	}
	push->cursor = push->nchunks;
	return false;
}

/* A round is over: the stop conditions of pre-copy say what comes next. */
void mig_round_end(struct mig_push *push)
{
	struct mig_dev *dev = push->dev;
	enum dm_migrate_mode mode = mig_mode(dev);
	u64 dirty = mig_bitmap_dirty(dev->bm);
	struct mig_round_end e = {
		.bulk = mode == DM_MIGRATE_MODE_BULK,
		.dirty_bytes = dirty * mig_geom_chunk_bytes(&push->geom),
		.sent = atomic64_read(&dev->stats.bytes_wire),
	};
	struct mig_limits lim = {};

	push->cursor = 0;
	/*
	 * A pass that found nothing to send is not a round; if chunks are
	 * dirty but all busy, wait for an ACK before the next pass.
	 */
	if (push->round_picked || e.bulk)
		atomic_inc(&dev->stats.round);
	else if (dirty)
		push->scan_blocked = true;
	/* Only this thread moves the round while it runs. */
	e.round = atomic_read(&dev->stats.round);
	push->round_picked = 0;
	if (mode != DM_MIGRATE_MODE_DIRTY && !e.bulk)
		return;
	/* The limits may change under us (set_limits): read each once. */
	lim.converge_bytes = READ_ONCE(push->lim.converge_bytes);
	lim.max_rounds = READ_ONCE(push->lim.max_rounds);
	lim.max_bytes = READ_ONCE(push->lim.max_bytes);
	lim.pause_after_bulk = READ_ONCE(push->lim.pause_after_bulk);
	switch (mig_precopy_next(&e, &lim)) {
	case MIG_PRECOPY_PAUSE:
		/*
		 * Paused before the phase event, which then shows it.  The
		 * pass counts as done: after 'resume' the first pass ends a
		 * round at once, so that the stop conditions are checked even
		 * when nothing is dirty (mig_round_over()).
		 */
		WRITE_ONCE(push->paused, true);
		WRITE_ONCE(push->paused_by_bulk, true);
		push->cursor = push->nchunks;
		if (mig_transition(dev, MIG_T_BULK_DONE))
			DMINFO("%s: bulk pass done; paused ('resume' starts the dirty rounds)",
			       mig_name(dev));
		return;
	case MIG_PRECOPY_CONVERGED:
		if (e.bulk)
			mig_transition(dev, MIG_T_BULK_DONE);
		if (mig_transition(dev, MIG_T_CONVERGED))
			DMINFO("%s: converged after %u rounds: %llu dirty chunks, %llu bytes sent",
			       mig_name(dev), e.round - 1,
			       (unsigned long long)dirty,
			       (unsigned long long)e.sent);
		return;
	default:
		break;
	}
	if (e.bulk)
		mig_transition(dev, MIG_T_BULK_DONE);
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

/* Everything dirty again: the peer holds nothing we can count on. */
void mig_round_restart(struct mig_push *push)
{
	struct mig_dev *dev = push->dev;

	mig_bitmap_set_range(dev->bm, 0, push->nchunks - 1);
	push->cursor = 0;
	push->round_picked = 0;
	/*
	 * A pause after the bulk pass comes again after the new one; the
	 * operator's own pause stays.
	 */
	if (READ_ONCE(push->paused_by_bulk))
		WRITE_ONCE(push->paused, false);
	if (mig_transition(dev, MIG_T_RESTART))
		atomic_set(&dev->stats.round, 0);
}
