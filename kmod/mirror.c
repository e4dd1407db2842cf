// SPDX-License-Identifier: GPL-2.0
/*
 * Synchronous mirroring of guest writes during the mirroring phase.
 *
 * A write to chunks that are clean and not busy is taken over by the
 * target (DM_MAPIO_SUBMITTED): a clone goes to the origin, and the write
 * is queued for the sender, which sends it from the bio's pages as WRITE
 * messages of at most a chunk each.  dm's
 * bio completes only after both the local write and the peer's ACK.  Its
 * chunks stay busy meanwhile, so no chunk message and no other mirrored
 * write for them can overtake it on the wire.
 *
 * Everything else takes the tracking path (mark dirty, remap): writes to
 * dirty or busy chunks (the drain will send them), discards and
 * write-zeroes, writes too large to copy cheaply, and every write while the
 * peer is away.  An empty flush is mirrored as FLUSH so that what the guest
 * flushed is durable on both sides.
 */
#include <linux/blkdev.h>
#include <linux/sizes.h>

#include "push.h"

/* A mirrored write is done with the engine memory (push.c, "Memory"). */
static void mreq_end(struct mig_push *push)
{
	unsigned long flags;

	/*
	 * Woken under the lock: the waiter, which may free @push, sees zero
	 * only after we let go of it.
	 */
	spin_lock_irqsave(&push->lock, flags);
	push->mreqs--;
	mig_push_mem_unused(push);
	spin_unlock_irqrestore(&push->lock, flags);
}

void mig_mreq_put(struct mig_mreq *mreq, bool peer_has_it)
{
	struct mig_push *push = mreq->push;
	struct bio *bio;

	if (!peer_has_it && mreq->len)
		mig_bitmap_set_range(push->dev->bm, mreq->first_chunk,
				     mreq->last_chunk);
	if (!atomic_dec_and_test(&mreq->pending))
		return;
	if (mreq->len) {
		/* A failed local write may have changed the chunk anyway. */
		if (mreq->status)
			mig_bitmap_set_range(push->dev->bm, mreq->first_chunk,
					     mreq->last_chunk);
		push_unbusy(push, mreq->first_chunk, mreq->last_chunk);
	}
	bio = mreq->bio;
	bio->bi_status = mreq->status;
	/*
	 * Free, then uncount (once nothing is counted the mempool may go),
	 * then end: ending the bio may let the device (and push) go.
	 */
	mempool_free(mreq, push->mreq_pool);
	mreq_end(push);
	bio_endio(bio);
}

static void local_endio(struct bio *clone)
{
	struct mig_mreq *mreq = clone->bi_private;

	mreq->status = clone->bi_status;
	bio_put(clone);
	mig_mreq_put(mreq, true);
}

/*
 * Claim the chunks for a mirrored write: each must become busy by our own
 * test-and-set (so the drain cannot hold it) and be clean (so no older
 * version is waiting to be sent).  All or none.
 */
static bool claim_chunks(struct mig_push *push, u64 first, u64 last)
{
	u64 i;

	for (i = first; i <= last; i++) {
		if (!mig_busy_claim(push, i, GFP_NOWAIT | __GFP_NOWARN))
			goto undo;
		if (mig_bitmap_test(push->dev->bm, i)) {
			i++;
			goto undo;
		}
	}
	return true;
undo:
	if (i > first)
		push_unbusy(push, first, i - 1);
	return false;
}

/*
 * Take a write (or an empty flush) over for mirroring.  Allocation never
 * waits: the request comes from a mempool with a reserve, and when even
 * that is empty the write takes the tracking path.  The data is not
 * copied: it is sent from the bio's pages, which stay ours until we end
 * the bio.  The engine memory (mempool, bio_set, busy chunks) is used only
 * by a write counted in push->mreqs while connected (push.c, "Memory").
 */
int mig_mirror_map(struct mig_push *push, struct bio *bio)
{
	struct dm_target *ti = READ_ONCE(push->dev->ti);
	unsigned int shift = push->dev->chunk_shift;
	bool flush = !bio_sectors(bio) && (bio->bi_opf & REQ_PREFLUSH);
	struct mig_mreq *mreq;
	struct bio *clone;
	sector_t off = 0;
	u32 len = 0;

	if (!ti)
		return DM_MAPIO_REMAPPED;
	if (!flush) {
		if (bio_op(bio) != REQ_OP_WRITE || !bio_sectors(bio) ||
		    bio->bi_iter.bi_size > MIG_MIRROR_MAX)
			return DM_MAPIO_REMAPPED;
		off = dm_target_offset(ti, bio->bi_iter.bi_sector);
		len = bio->bi_iter.bi_size;
	}

	spin_lock_irq(&push->lock);
	if (!push->connected) {
		spin_unlock_irq(&push->lock);
		return DM_MAPIO_REMAPPED;
	}
	push->mreqs++;
	spin_unlock_irq(&push->lock);

	mreq = mempool_alloc(push->mreq_pool, GFP_NOWAIT | __GFP_NOWARN);
	if (!mreq) {
		mreq_end(push);
		return DM_MAPIO_REMAPPED;
	}
	memset(mreq, 0, sizeof(*mreq));
	mreq->push = push;
	mreq->bio = bio;
	mreq->sector = off;
	mreq->len = len;
	mreq->iter = bio->bi_iter;
	mreq->flags = ((bio->bi_opf & REQ_FUA) ? DM_MIGRATE_WRITE_FUA : 0) |
		      ((bio->bi_opf & REQ_PREFLUSH) ? DM_MIGRATE_WRITE_PREFLUSH : 0);
	INIT_LIST_HEAD(&mreq->list);
	atomic_set(&mreq->pending, 2);

	if (len) {
		mreq->first_chunk = off >> shift;
		mreq->last_chunk = (off + (len >> 9) - 1) >> shift;
		if (!claim_chunks(push, mreq->first_chunk, mreq->last_chunk))
			goto fallback;
	}

	spin_lock_irq(&push->lock);
	if (!push->connected) {
		spin_unlock_irq(&push->lock);
		if (len)
			push_unbusy(push, mreq->first_chunk, mreq->last_chunk);
		goto fallback;
	}
	list_add_tail(&mreq->list, &push->mirror_q);
	spin_unlock_irq(&push->lock);
	wake_up(&push->wait);

	clone = bio_alloc_clone(push->bdev, bio, GFP_NOIO, &push->bs);
	clone->bi_iter.bi_sector = off;
	clone->bi_private = mreq;
	clone->bi_end_io = local_endio;
	submit_bio_noacct(clone);
	atomic64_inc(&push->dev->stats.writes);
	return DM_MAPIO_SUBMITTED;

fallback:
	mempool_free(mreq, push->mreq_pool);
	mreq_end(push);
	return DM_MAPIO_REMAPPED;
}

unsigned int mig_mreq_pieces(struct mig_push *push, struct mig_mreq *mreq)
{
	return mreq->len ? DIV_ROUND_UP(mreq->len,
					mig_geom_chunk_bytes(&push->geom)) : 1;
}
