// SPDX-License-Identifier: GPL-2.0
/*
 * The source's sender: what push->thread does while connected
 * (mig_push_pump(), one pass), and the reads that feed it.
 *
 * Each pass sends, in this order: mirrored writes (the guest waits for
 * them), then the slots whose chunks are read and encoded, then starts
 * reading the next runs of the round (rounds.c picks them) on push->wq,
 * where slot_work() reads a run with one I/O and encodes it on any CPU
 * (a run of zero chunks becomes one message).  It is the only sender on
 * the socket.  Every message takes its ring entry (window.c) before it
 * is sent; admission checks the room first, so the ring never wraps.
 * Then the pass acts on the phase (mirror requested, all sent for the
 * handoff, or its ACK in), ends the round when it is over and sleeps until
 * work_ready() says there is something to do.
 *
 * Locks: push->lock (a spinlock, also taken from bio completion) for the
 * lists, the ring and the flags; push.c's header has the whole picture.
 */
#include <linux/bitops.h>
#include <linux/crc32c.h>
#include <linux/highmem.h>
#include <linux/sched/mm.h>

#include "push.h"

#define MIG_POLL		(HZ / 10)	/* new dirty chunks found within */

/* A PIECE takes what a CHUNK of its chunk would: same header size. */
static_assert(sizeof(struct dm_migrate_piece) == sizeof(struct dm_migrate_chunk));

/*
 * Encode the chunk at @data into @m: ZERO; else what the push's choice
 * says for it (encsel.h: a compressor, or none while chunks do not
 * compress), into @buf if that makes it smaller; else RAW, sent from
 * @data itself.  The times go to the choice's figures.
 */
static void encode_chunk(struct mig_push *push, struct mig_codec *codec,
			 const void *data, u32 len, void *buf, struct mig_msg *m)
{
	u64 t0 = ktime_get_ns(), t1, tc, t2;
	struct mig_pick pick;
	u32 clen = len;

	if (mig_chunk_zero(data, len)) {
		m->c.encoding = DM_MIGRATE_ENC_ZERO;
		m->enc_len = 0;
		return;
	}
	m->c.crc32c = cpu_to_be32(mig_crc32c(data, len));
	t1 = ktime_get_ns();
	spin_lock(&push->enc_lock);
	pick = mig_encsel_pick(&push->enc, len, t1);
	spin_unlock(&push->enc_lock);
	/* The encode cost starts here: not the wait for the lock above. */
	tc = ktime_get_ns();
	if (pick.enc != DM_MIGRATE_ENC_RAW)
		clen = mig_compress(codec, pick.enc, data, len, buf);
	t2 = ktime_get_ns();
	spin_lock(&push->enc_lock);
	mig_encsel_done(&push->enc, pick, len, clen, t1 - t0, t2 - tc, t2);
	spin_unlock(&push->enc_lock);
	if (clen < len) {
		m->c.encoding = pick.enc;
		m->data = buf;
		m->enc_len = clen;
	} else {
		m->c.encoding = DM_MIGRATE_ENC_RAW;
		m->data = data;
		m->enc_len = len;
	}
}

/*
 * The receiver writes a PIECE as one synchronous I/O per run of adjacent
 * sub-blocks (receive.c), a CHUNK as one: a scattered mask (0x5555, 8
 * runs) would cost 8 serial I/Os for half a chunk's bytes.  Beyond this
 * many runs the chunk goes whole: a few more bytes on the wire, one I/O.
 */
#define MIG_PIECE_MAX_RUNS	4

/* Runs of set bits in @mask: each begins at a set bit whose lower is clear. */
static unsigned int mask_runs(u32 mask)
{
	return hweight32(mask & ~(mask << 1));
}

/*
 * The mask of the sub-blocks of chunk @index to send as a PIECE, or 0 to
 * send it whole: a dirty round's slot on a connection that negotiated
 * PIECE, a mask taken with the dirty bit (an empty one says "whole": the
 * bit was set without masks) that does not name every sub-block, in at
 * most MIG_PIECE_MAX_RUNS runs.
 */
static u32 piece_mask(struct mig_push *push, struct mig_slot *slot, u32 i)
{
	u64 index = slot->index + i;
	u32 valid, mask;

	if (!slot->pieces)
		return 0;
	valid = mig_piece_valid(&push->geom, index);
	mask = slot->masks[i] & valid;
	if (mask == valid || mask_runs(mask) > MIG_PIECE_MAX_RUNS)
		return 0;
	return mask;
}

/*
 * Move the sub-blocks @mask names to the front of the chunk at @data, in
 * ascending order (each moves down or stays: nothing is overwritten
 * before it moved); returns their length, mig_piece_len().
 */
static u32 gather_piece(struct mig_push *push, u64 index, void *data, u32 mask)
{
	u32 sub = mig_geom_sub_sectors(&push->geom) << 9;
	u32 chunk = mig_chunk_len(&push->geom, index), len = 0, n, l;

	while (mask) {
		n = __ffs(mask);
		mask &= mask - 1;
		l = min(sub, chunk - n * sub);
		if (len != n * sub)
			memmove(data + len, data + n * sub, l);
		len += l;
	}
	return len;
}

/*
 * Encode the slot's chunks into messages; zero chunks merge into runs,
 * chunks with a piece mask become PIECEs (the bulk pass and chunks
 * without one go whole).
 */
static void encode_run(struct mig_push *push, struct mig_slot *slot)
{
	u32 chunk = mig_geom_chunk_bytes(&push->geom), off = 0, i;
	struct mig_msg *m = NULL, *prev;

	slot->nmsgs = 0;
	slot->sent = 0;
	for (i = 0; i < slot->nchunks; i++) {
		u64 index = slot->index + i;
		u32 len = mig_chunk_len(&push->geom, index);
		u32 mask = piece_mask(push, slot, i);
		void *data = slot->data + (size_t)i * chunk;

		prev = m;
		m = &slot->msgs[slot->nmsgs];
		memset(&m->c, 0, sizeof(m->c));
		m->piece = mask;
		if (mask)
			len = gather_piece(push, index, data, mask);
		encode_chunk(push, &slot->codec, data, len, slot->enc + off, m);
		if (mask) {
			memset(&m->p, 0, sizeof(m->p));
			m->p.index = cpu_to_be64(index);
			m->p.mask = cpu_to_be32(mask);
			m->p.data_len = cpu_to_be32(len);
			m->p.crc32c = m->c.crc32c;
			m->p.encoding = m->c.encoding;
		} else if (m->c.encoding == DM_MIGRATE_ENC_ZERO && prev &&
			   !prev->piece && prev->c.encoding == DM_MIGRATE_ENC_ZERO) {
			prev->last = index;
			be32_add_cpu(&prev->c.count, 1);
			m = prev;
			continue;
		}
		slot->nmsgs++;
		m->c.index = cpu_to_be64(index);
		m->c.count = cpu_to_be32(1);
		m->c.data_len = cpu_to_be32(len);
		m->first = index;
		m->last = index;
		if (m->c.encoding != DM_MIGRATE_ENC_RAW)
			off += m->enc_len;
	}
}

/* Read and encode one run of chunks (workqueue, may sleep, NOIO). */
void mig_slot_work(struct work_struct *work)
{
	struct mig_slot *slot = container_of(work, struct mig_slot, work);
	struct mig_push *push = slot->push;
	u64 last = slot->index + slot->nchunks - 1;
	u32 len = (u32)(last - slot->index) * mig_geom_chunk_bytes(&push->geom) +
		  mig_chunk_len(&push->geom, last);
	unsigned int noio = memalloc_noio_save();

	slot->error = mig_bdev_rw(push->bdev, &push->bs,
				  slot->index * push->geom.chunk_sectors,
				  slot->data, len, REQ_OP_READ);
	if (!slot->error) {
		atomic64_add(len, &push->dev->stats.bytes_read);
		encode_run(push, slot);
	}
	memalloc_noio_restore(noio);

	/*
	 * Ready even if the connection went meanwhile: the next one sends
	 * it.  The last use of the memory by this work is above; once the
	 * push stopped, its memory may go as soon as we let go of the lock
	 * (push->wq is destroyed only after this function returns).
	 */
	spin_lock_irq(&push->lock);
	slot->reading = false;
	push->reading--;
	list_add_tail(&slot->list, &push->ready_slots);
	mig_push_mem_unused(push);
	spin_unlock_irq(&push->lock);
	wake_up(&push->wait);
}

/* The chunks of @slot not on the wire yet: dirty again, not busy. */
void mig_slot_putback(struct mig_push *push, struct mig_slot *slot)
{
	u64 first = slot->index, last = slot->index + slot->nchunks - 1;

	if (!slot->error) {
		if (slot->sent == slot->nmsgs)
			return;
		first = slot->msgs[slot->sent].first;
	}
	push_mark_dirty(push, first, last);
	push_unbusy(push, first, last);
}

static int send_mirrored(struct mig_push *push, unsigned int reserve);

/*
 * Sleep as long as the rate limit asks before sending @bytes more, in
 * short slices: mirrored writes go out meanwhile (they are not paced: the
 * guest waits for them), a stop or a broken link ends the wait, and a new
 * rate forgives the debt of the old one.
 */
static int rate_wait(struct mig_push *push, u32 bytes, unsigned int reserve)
{
	u64 rate = READ_ONCE(push->lim.rate), now = ktime_get_ns(), until;
	int r;

	if (!rate)
		return 0;
	until = now + mig_pace_admit(&push->pace, now, bytes, rate);
	while ((now = ktime_get_ns()) < until) {
		if (READ_ONCE(push->conn_error))
			return READ_ONCE(push->conn_error);
		if (kthread_should_stop())
			return -EINTR;
		if (READ_ONCE(push->lim.rate) != rate) {
			push->pace.vtime_ns = 0;
			return 0;
		}
		schedule_timeout_interruptible(min_t(unsigned long, HZ / 20,
						     nsecs_to_jiffies(until - now) ?: 1));
		/* Room stays for the paced slot's own messages. */
		r = send_mirrored(push, reserve);
		if (r)
			return r;
	}
	return 0;
}

/*
 * Whether the peer decodes what is left of @slot: one encoded before a
 * reconnection (read while the link was down) may use an encoding, or
 * PIECE, the new peer does not.
 */
static bool slot_decodable(struct mig_push *push, struct mig_slot *slot)
{
	bool ok = true;
	u32 i;

	spin_lock(&push->enc_lock);
	for (i = slot->sent; i < slot->nmsgs && ok; i++)
		ok = mig_encsel_decodes(&push->enc, slot->msgs[i].c.encoding) &&
		     (!slot->msgs[i].piece || push->peer_piece);
	spin_unlock(&push->enc_lock);
	return ok;
}

/*
 * Send the messages of a ready slot; on error, slot->sent says how far.
 * One the peer cannot decode is not sent: its chunks are dirty again and
 * read anew.
 */
static int send_slot(struct mig_push *push, struct mig_slot *slot)
{
	struct mig_dev *dev = push->dev;

	if (!slot_decodable(push, slot)) {
		mig_slot_putback(push, slot);
		slot->sent = slot->nmsgs;
		return 0;
	}
	while (slot->sent < slot->nmsgs) {
		struct mig_msg *m = &slot->msgs[slot->sent];
		struct mig_unacked u = { .first = m->first, .last = m->last };
		/* The two headers are of one size (wire.h). */
		u32 bytes = mig_sealed_len(sizeof(m->c) + m->enc_len);
		u32 count = be32_to_cpu(m->c.count);
		u64 seq;
		int r;

		r = rate_wait(push, bytes, slot->nmsgs - slot->sent);
		if (r)
			return r;
		seq = mig_window_add(push, 1, bytes, &u);
		if (!seq)
			return -EOVERFLOW;
		if (m->piece)
			r = mig_seal_send(push->seal, push->sock, DM_MIGRATE_MSG_PIECE,
					  seq, &m->p, sizeof(m->p),
					  m->data, m->enc_len);
		else
			r = mig_seal_send(push->seal, push->sock, DM_MIGRATE_MSG_CHUNK,
					  seq, &m->c, sizeof(m->c),
					  m->data, m->enc_len);
		if (r)
			return r;
		push_unbusy(push, m->first, m->last);
		slot->sent++;
		atomic64_add(bytes, &dev->stats.bytes_wire);
		if (m->piece)
			atomic64_inc(&dev->stats.pieces);
		atomic64_add(count, &dev->stats.chunks);
		atomic64_add(count, &dev->stats.enc_chunks[m->c.encoding]);
		if (m->c.encoding == DM_MIGRATE_ENC_ZERO)
			atomic64_add(count, &dev->stats.zero_chunks);
	}
	return 0;
}

/*
 * Under push->lock: every chunk and write is on the wire (nothing dirty,
 * read, queued or busy) and HANDOFF fits in the ring.  HANDOFF may then
 * go at once, without waiting for the ACKs of what is in flight: the
 * destination applies messages in order and acknowledges HANDOFF only
 * after its flush, so that one ACK covers everything before it.  Should
 * the link go first, push_disconnect() marks what was not acknowledged
 * dirty again and HANDOFF follows it on the next connection (unless that
 * one learns the verdict OWNER).  Waiting for the ACKs instead cost a
 * round trip and a flush of the destination more whenever chunks were
 * left to send at the decision.
 */
static bool all_sent(struct mig_push *push)
{
	return !mig_bitmap_dirty(push->dev->bm) && !push->reading &&
	       list_empty(&push->ready_slots) && list_empty(&push->mirror_q) &&
	       xa_empty(&push->busy) && ring_room(push, 1);
}

/*
 * Under push->lock: the first queued mirrored write, if it fits in the
 * ring with @reserve entries left over.
 */
static struct mig_mreq *mirror_head(struct mig_push *push, unsigned int reserve)
{
	struct mig_mreq *mreq = list_first_entry_or_null(&push->mirror_q,
							 struct mig_mreq, list);

	return mreq && ring_room(push, mig_mreq_pieces(push, mreq) + reserve) ?
	       mreq : NULL;
}

/*
 * Under push->lock: a ready slot and room for all its messages.  Paused,
 * read slots wait too (their chunks stay busy, so no newer write of them
 * is mirrored meanwhile): a pause sends nothing once the reads are in.
 */
static struct mig_slot *ready_slot(struct mig_push *push)
{
	return !push_paused(push) && ring_room(push, push->run) ?
	       list_first_entry_or_null(&push->ready_slots, struct mig_slot, list) :
	       NULL;
}

/* Under push->lock: a free slot to read into, room for every slot. */
static struct mig_slot *free_slot(struct mig_push *push)
{
	if (push_paused(push) || push->scan_blocked ||
	    push->cursor >= push->nchunks || !mig_bitmap_dirty(push->dev->bm) ||
	    !ring_room(push, (MIG_SLOTS + 1) * push->run))
		return NULL;
	return list_first_entry_or_null(&push->free_slots, struct mig_slot, list);
}

/*
 * Whether the sender has something it can do now; it sleeps until then
 * (or MIG_POLL passed, for new dirty chunks).  Every condition is one the
 * pass below acts on, so that a wakeup is never a busy loop.
 */
static bool work_ready(struct mig_push *push)
{
	enum dm_migrate_mode mode = mig_mode(push->dev);
	bool r;

	if (kthread_should_stop() || READ_ONCE(push->conn_error))
		return true;
	spin_lock_irq(&push->lock);
	r = mirror_head(push, 0) || ready_slot(push) || free_slot(push) ||
	    push->handoff_acked || mig_round_over(push) ||
	    (mode == DM_MIGRATE_MODE_HANDOFF && !push->handoff_sent &&
	     all_sent(push)) ||
	    (push->mirror_requested && mig_mode_precopy(mode));
	spin_unlock_irq(&push->lock);
	return r;
}

/* Everything is on the wire: send HANDOFF; its ACK ends the mode. */
static int send_handoff(struct mig_push *push)
{
	struct mig_unacked u = { .first = 1, .handoff = true };
	u64 seq = mig_window_add(push, 1, mig_sealed_len(0), &u);

	if (!seq)
		return -EOVERFLOW;
	push->handoff_sent = true;
	push->handoff_ever_sent = true;
	if (!READ_ONCE(push->ho_sent))
		WRITE_ONCE(push->ho_sent, ktime_get_ns());
	DMINFO("%s: everything sent; asking %s to take the volume over",
	       mig_name(push->dev), push->addr.text);
	return mig_seal_send(push->seal, push->sock, DM_MIGRATE_MSG_HANDOFF,
			     seq, NULL, 0, NULL, 0);
}

/* A slot whose read failed: its chunks go back; too many in a row stop. */
static void slot_failed(struct mig_push *push, struct mig_slot *slot)
{
	struct mig_dev *dev = push->dev;

	mig_set_error(dev, slot->error, "origin read failed: error %d", slot->error);
	DMERR_LIMIT("%s: reading chunk %llu from the origin failed: %d",
		    mig_name(dev), (unsigned long long)slot->index, slot->error);
	mig_slot_putback(push, slot);
	push->read_errors++;
	push->scan_blocked = true;	/* retry after MIG_POLL, not at once */
}

/* CRC32C (the protocol's: seed ~0, no final inversion) of @bio's data. */
static u32 crc32c_bio(struct bio *bio, struct bvec_iter iter)
{
	struct bvec_iter it;
	struct bio_vec bv;
	u32 crc = ~0U;

	__bio_for_each_segment(bv, bio, it, iter) {
		void *p = bvec_kmap_local(&bv);

		crc = crc32c(crc, p, bv.bv_len);
		kunmap_local(p);
	}
	return crc;
}

/*
 * Send a mirrored write (in chunk-sized pieces) or flush (thread).  Every
 * piece has its ring entry before the first is sent, the request on the
 * last: if the link drops after any piece, push_disconnect() finds the
 * request in the ring and completes it, its chunks dirty.  The caller
 * checked that the ring has room for mig_mreq_pieces().
 */
static int send_mreq(struct mig_push *push, struct mig_mreq *mreq)
{
	u32 max = mig_geom_chunk_bytes(&push->geom);
	struct mig_unacked last = { .first = 1, .last = 0, .mreq = mreq };
	struct bvec_iter iter = mreq->iter;
	unsigned int pieces = mig_mreq_pieces(push, mreq);
	u64 seq;
	int r;

	/*
	 * Our own reference while we read the bio's pages: once the last
	 * piece is in the ring, its ACK (or a disconnect) may drop the peer's
	 * reference before we are done with the earlier pieces' data.
	 */
	atomic_inc(&mreq->pending);
	/* A FLUSH has no payload; each WRITE piece its header and data. */
	seq = mig_window_add(push, pieces,
			     mreq->len ? pieces * mig_sealed_len(sizeof(struct dm_migrate_write)) +
					 mreq->len : mig_sealed_len(0), &last);
	if (!seq) {
		mig_mreq_put(mreq, false);
		r = -EOVERFLOW;
		goto out;
	}
	if (!mreq->len) {
		r = mig_seal_send(push->seal, push->sock, DM_MIGRATE_MSG_FLUSH,
				  seq, NULL, 0, NULL, 0);
		goto out;
	}
	r = 0;
	while (iter.bi_size) {
		struct bvec_iter piece = iter;
		u32 n = min(iter.bi_size, max);
		struct dm_migrate_write w = {
			.sector = cpu_to_be64(mreq->sector +
					      ((mreq->len - iter.bi_size) >> 9)),
			.data_len = cpu_to_be32(n),
			.flags = cpu_to_be32(mreq->flags),
		};

		piece.bi_size = n;
		w.crc32c = cpu_to_be32(crc32c_bio(mreq->bio, piece));
		/* The flush before the write: with the first piece only. */
		if (iter.bi_size != mreq->len)
			w.flags &= ~cpu_to_be32(DM_MIGRATE_WRITE_PREFLUSH);
		r = mig_seal_send_bio(push->seal, push->sock,
				      DM_MIGRATE_MSG_WRITE, seq++, &w, sizeof(w),
				      mreq->bio, piece);
		if (r)
			break;
		atomic64_add(mig_sealed_len(sizeof(w) + n),
			     &push->dev->stats.bytes_wire);
		bio_advance_iter(mreq->bio, &iter, n);
	}
out:
	/* Neutral: whoever completes the peer's part marks what is missing. */
	mig_mreq_put(mreq, true);
	return r;
}

/* Send the queued mirrored writes that fit, leaving @reserve entries. */
static int send_mirrored(struct mig_push *push, unsigned int reserve)
{
	struct mig_mreq *mreq;
	int r;

	for (;;) {
		spin_lock_irq(&push->lock);
		mreq = mirror_head(push, reserve);
		if (mreq)
			list_del_init(&mreq->list);
		spin_unlock_irq(&push->lock);
		if (!mreq)
			return 0;
		r = send_mreq(push, mreq);
		if (r)
			return r;
	}
}

void mig_push_handed_off(struct mig_push *push)
{
	struct mig_dev *dev = push->dev;
	u64 now = ktime_get_ns();

	if (!mig_transition(dev, MIG_T_HANDED_OFF))
		return;
	/*
	 * The peer holds every chunk: HANDOFF went only once all was sent,
	 * and it applied all that before HANDOFF.  What a lost ACK of the
	 * last messages marked dirty again (push_disconnect()) is not.
	 */
	mig_bitmap_clear_range(dev->bm, 0, push->nchunks - 1);
	WRITE_ONCE(push->ho_done, now);
	DMINFO("%s: handed off to %s in %llu us; local writes now fail",
	       mig_name(dev), push->addr.text,
	       div_u64(now - READ_ONCE(push->ho_decided), NSEC_PER_USEC));
	/* No more connections: the key is not needed any more. */
	memzero_explicit(&push->key, sizeof(push->key));
}

/*
 * The sender's window (thread), for auto's choice: what went on the wire
 * in MIG_LINK_WINDOW_NS, and for how long the sender was held by what is
 * after it (sealing, pacing, the socket, the peer's ACKs): the whole
 * window but the time it waited for chunks being read and encoded
 * (starved: what is before it is the bottleneck) or for anything at all
 * (idle).  The link, so to speak, drains the bytes in that time.
 */
#define MIG_LINK_WINDOW_NS	(250 * NSEC_PER_MSEC)

void mig_push_window_reset(struct mig_push *push)
{
	push->win_start_ns = ktime_get_ns();
	push->win_wait_ns = 0;
	push->win_bytes = atomic64_read(&push->dev->stats.bytes_wire);
}

static void window_end(struct mig_push *push)
{
	u64 now = ktime_get_ns(), wall = now - push->win_start_ns;
	u64 bytes = atomic64_read(&push->dev->stats.bytes_wire) - push->win_bytes;

	if (wall < MIG_LINK_WINDOW_NS)
		return;
	spin_lock(&push->enc_lock);
	mig_encsel_link(&push->enc, bytes, wall - min(push->win_wait_ns, wall),
			wall, now);
	spin_unlock(&push->enc_lock);
	mig_push_window_reset(push);
}

/* One pass of the sender: returns an error when the connection broke. */
int mig_push_pump(struct mig_push *push)
{
	struct mig_dev *dev = push->dev;
	struct mig_slot *slot;
	bool round_done, waiting;
	u64 t;
	u64 index;
	u32 n;
	int r;

	/* 1. Mirrored writes first: the guest is waiting for them. */
	r = send_mirrored(push, 0);
	if (r)
		return r;

	/* 2. Chunks that are read and encoded. */
	for (;;) {
		spin_lock_irq(&push->lock);
		slot = ready_slot(push);
		if (slot)
			list_del_init(&slot->list);
		spin_unlock_irq(&push->lock);
		if (!slot)
			break;
		r = 0;
		if (slot->error) {
			slot_failed(push, slot);
		} else {
			push->read_errors = 0;
			r = send_slot(push, slot);
		}
		spin_lock_irq(&push->lock);
		list_add(&slot->list, r ? &push->ready_slots : &push->free_slots);
		if (!slot->error)
			push->scan_blocked = false;
		spin_unlock_irq(&push->lock);
		if (r)
			return r;
	}
	window_end(push);
	if (push->read_errors >= MIG_MAX_FAILURES &&
	    mig_mode(dev) != DM_MIGRATE_MODE_HANDOFF)
		return -EIO;

	/* 3. Start reading more chunks, unless paused. */
	for (;;) {
		spin_lock_irq(&push->lock);
		slot = free_slot(push);
		spin_unlock_irq(&push->lock);
		if (!slot || !mig_round_pick(push, &index, &n, slot->masks))
			break;
		slot->index = index;
		slot->nchunks = n;
		/* The bulk pass sends whole chunks; a dirty round may not. */
		slot->pieces = push->sub && READ_ONCE(push->peer_piece) &&
			       READ_ONCE(push->lim.subchunk) &&
			       mig_mode(dev) != DM_MIGRATE_MODE_BULK;
		spin_lock_irq(&push->lock);
		list_del_init(&slot->list);
		slot->reading = true;
		push->reading++;
		spin_unlock_irq(&push->lock);
		queue_work(push->wq, &slot->work);
	}

	spin_lock_irq(&push->lock);
	round_done = mig_round_over(push);
	if (push->mirror_requested && mig_mode_precopy(mig_mode(dev))) {
		spin_unlock_irq(&push->lock);
		if (mig_transition(dev, MIG_T_MIRROR))
			DMINFO("%s: mirroring writes to %s", mig_name(dev),
			       push->addr.text);
		spin_lock_irq(&push->lock);
	}
	if (push->handoff_acked) {
		spin_unlock_irq(&push->lock);
		mig_push_handed_off(push);
		return 0;
	}
	if (mig_mode(dev) == DM_MIGRATE_MODE_HANDOFF && !push->handoff_sent &&
	    all_sent(push)) {
		spin_unlock_irq(&push->lock);
		return send_handoff(push);
	}
	spin_unlock_irq(&push->lock);

	if (round_done)
		mig_round_end(push);
	/* Not held by the link: nothing ready to send (window_end()). */
	spin_lock_irq(&push->lock);
	waiting = (list_empty(&push->ready_slots) || push_paused(push)) &&
		  list_empty(&push->mirror_q);
	spin_unlock_irq(&push->lock);
	t = ktime_get_ns();
	if (!wait_event_interruptible_timeout(push->wait, work_ready(push),
					      MIG_POLL)) {
		/* Time passed: chunks that were busy may be pickable now. */
		spin_lock_irq(&push->lock);
		push->scan_blocked = false;
		spin_unlock_irq(&push->lock);
	}
	if (waiting)
		push->win_wait_ns += ktime_get_ns() - t;
	/* An ACK of HANDOFF counts even if the link closed right after it. */
	if (READ_ONCE(push->handoff_acked))
		return 0;
	return READ_ONCE(push->conn_error);
}
