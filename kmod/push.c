// SPDX-License-Identifier: GPL-2.0
/*
 * The source engine: push a live volume to a peer until it converges,
 * mirror new writes, hand off.
 *
 * Threads and locking
 * -------------------
 * push->thread owns the connection: it connects and authenticates, picks
 * runs of adjacent dirty chunks (up to MIG_RUN_BYTES; clearing their bits,
 * then reading them: the in-flight invariant of target.c makes that safe),
 * hands them to push->wq for reading with one I/O and encoding on any CPU
 * (a run of zero chunks becomes one message), and sends what is ready.  It is the only sender on
 * the socket, so messages go out in the order it chooses: mirrored writes
 * first, then chunks.  push->acker reads the peer's cumulative ACKs and
 * retires what they cover.  push->lock (a spinlock, also taken from bio
 * completion) protects the lists, the unacknowledged ring and the flags.
 *
 * A chunk is "busy" from the moment it is picked (or a mirrored write to it
 * is accepted) until its message is on the wire (or the write is complete).
 * A busy chunk is not picked again, so two versions of one chunk are never
 * in flight out of order; a write to a busy chunk is not mirrored but marks
 * the chunk dirty.
 *
 * Losing the peer
 * ---------------
 * Every message has its entry in the ring of unacknowledged messages
 * before it is sent, and keeps it until ACKed (an ACK means durable on the
 * peer).  Admission checks the room: a mirrored write takes one entry per
 * piece and is taken off its queue only when all fit, a slot only when
 * all its messages fit; the ring refuses (and warns) rather than wrap.
 * When the connection drops, the chunks of every unacknowledged message
 * and of every chunk not yet sent are marked dirty again, mirrored writes
 * in flight complete to the guest with their chunks marked dirty, and the
 * thread reconnects with backoff.  The acker is also a watchdog: when the
 * peer ACKs nothing for ack_timeout_ms while messages wait, it drops the
 * connection the same way (a stalled destination degrades mirroring to
 * tracking instead of blocking guest writes).
 *
 * Reconnecting, the source names its session (random id, generation);
 * the destination's verdict says whether it still holds what it ACKed
 * (RESUME), holds nothing (FRESH: every chunk is sent again) or was
 * handed the volume already (OWNER).
 *
 * Handoff
 * -------
 * mig_push_handoff() only decides: the mode becomes HANDOFF (writes and
 * resume refused), and the thread drains, sends HANDOFF and waits for its
 * ACK, across reconnects (a lost ACK is answered by the verdict OWNER of
 * the next handshake).  Nothing but that ACK or that verdict ends the
 * mode, except the operator's "abort force".
 *
 * Memory
 * ------
 * struct mig_push is allocated at the device's first push and lives until
 * its last table goes (mig_push_destroy()): the I/O path reads dev->push
 * without a lock, and status readers read its fields under dev->lock.
 * The engine memory, the big part (the slots' buffers and codecs, the
 * seal, push->wq, push->bs, push->mreq_pool, the ring, the busy bitmap:
 * some 17 MiB at 64 KiB chunks), exists only while a push thread does:
 * push_mem_alloc() in mig_push_start() before the thread starts,
 * push_mem_release() by the thread when it is done (stopped, or handed
 * off, failed or lost: then it parks until push_stop() reaps it), or by
 * push_stop() for a thread that was stopped before it ran.  Its other
 * users by then:
 *
 *  - the acker: push_disconnect() stopped it;
 *  - the I/O path: mirror.c touches the memory only for a write it has
 *    counted in push->mreqs, under push->lock while push->connected.  Only
 *    the thread sets @connected (after the memory exists) and it clears it
 *    (push_disconnect()) before freeing.  A counted write gives its count
 *    back after its last use of the memory (its mreq back in the mempool,
 *    its clone back in the bio_set), before it ends dm's bio;
 *  - reads of the origin: only the thread queues them (pump()), each
 *    counted in push->reading until slot_work() is done with its slot;
 *  - the free never waits for those two counts (a stalled origin would
 *    hang the thread and whoever stops it under ctl_lock): with a write
 *    or a read still counted, push_mem_release() marks the memory doomed
 *    and the last of them queues push->mem_work (mig_push_mem_unused()),
 *    which frees it;
 *  - the next push: mig_push_start() allocates anew only after push_stop()
 *    reaped the old thread, under ctl_lock, and refuses (EBUSY) while the
 *    old memory is doomed but not yet freed.
 *
 * A pending handoff keeps its thread, so its memory too, unless the peer
 * lost the session (the thread parks: nothing more will be sent).
 */
#include <linux/crc32c.h>
#include <linux/highmem.h>
#include <linux/random.h>
#include <linux/sched/mm.h>
#include <linux/vmalloc.h>

#include "push.h"

#define MIG_CONNECT_TIMEOUT	(5 * HZ)
#define MIG_POLL		(HZ / 10)	/* new dirty chunks found within */

static void mark_dirty(struct mig_push *push, u64 first, u64 last)
{
	if (first <= last)
		mig_bitmap_set_range(push->dev->bm, first, last);
}

static void unbusy(struct mig_push *push, u64 first, u64 last)
{
	if (first <= last)
		mig_bitmap_clear_range(&push->busy, first, last);
}

/* Encode the slot's chunks into messages; zero chunks merge into runs. */
static void encode_run(struct mig_push *push, struct mig_slot *slot)
{
	u32 chunk = mig_geom_chunk_bytes(&push->geom), off = 0, i;
	struct mig_msg *m = NULL;

	slot->nmsgs = 0;
	slot->sent = 0;
	for (i = 0; i < slot->nchunks; i++) {
		u64 index = slot->index + i;
		u32 len = mig_chunk_len(&push->geom, index), enc_len, crc;
		u8 enc;

		mig_encode_chunk(&slot->codec, slot->data + (size_t)i * chunk, len,
				 slot->enc + off, &enc_len, &enc, &crc);
		if (enc == DM_MIGRATE_ENC_ZERO && m &&
		    m->c.encoding == DM_MIGRATE_ENC_ZERO) {
			m->last = index;
			be32_add_cpu(&m->c.count, 1);
			continue;
		}
		m = &slot->msgs[slot->nmsgs++];
		memset(&m->c, 0, sizeof(m->c));
		m->c.index = cpu_to_be64(index);
		m->c.count = cpu_to_be32(1);
		m->c.data_len = cpu_to_be32(len);
		m->c.crc32c = cpu_to_be32(crc);
		m->c.encoding = enc;
		m->first = index;
		m->last = index;
		m->enc_off = off;
		m->enc_len = enc_len;
		off += enc_len;
	}
}

/* Read and encode one run of chunks (workqueue, may sleep, NOIO). */
static void slot_work(struct work_struct *work)
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
static void slot_putback(struct mig_push *push, struct mig_slot *slot)
{
	u64 first = slot->index, last = slot->index + slot->nchunks - 1;

	if (!slot->error) {
		if (slot->sent == slot->nmsgs)
			return;
		first = slot->msgs[slot->sent].first;
	}
	mark_dirty(push, first, last);
	unbusy(push, first, last);
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

/* Close the thread's socket; the stop path no longer sees it. */
static void push_close_sock(struct mig_push *push)
{
	struct socket *sock;

	mutex_lock(&push->sock_lock);
	sock = push->sock;
	push->sock = NULL;
	mutex_unlock(&push->sock_lock);
	if (sock && push->memalloc)
		mig_sock_memalloc(sock, false);
	push->memalloc = false;
	mig_sock_close(sock);
	mig_seal_wipe(push->seal);
}

static void handed_off(struct mig_push *push)
{
	struct mig_dev *dev = push->dev;

	if (!mig_transition(dev, MIG_T_HANDED_OFF))
		return;
	DMINFO("%s: handed off to %s; local writes now fail",
	       mig_name(dev), push->addr.text);
	/* No more connections: the key is not needed any more. */
	memzero_explicit(&push->key, sizeof(push->key));
}

/* Everything dirty again: the peer holds nothing we can count on. */
static void restart(struct mig_push *push)
{
	struct mig_dev *dev = push->dev;

	mig_bitmap_set_range(dev->bm, 0, push->nchunks - 1);
	push->cursor = 0;
	push->round_picked = 0;
	if (mig_transition(dev, MIG_T_RESTART))
		atomic_set(&dev->stats.round, 0);
}

/* The peer lost our session after HANDOFF went out: never ours again. */
static int lost_after_handoff(struct mig_dev *dev)
{
	mig_set_error(dev, -ESTALE,
		      "the peer lost the session after HANDOFF was sent: it may own the volume; check it ('abort force' takes it back)");
	return -ESTALE;
}

/*
 * Act on the destination's verdict (nothing is in flight yet).  Returns
 * 0 to go on with this connection, 1 when there is nothing more to send
 * (handed off), or an error.
 */

static int push_verdict(struct mig_push *push, u32 verdict)
{
	struct mig_dev *dev = push->dev;

	switch (verdict) {
	case DM_MIGRATE_VERDICT_OWNER:
		if (mig_mode(dev) == DM_MIGRATE_MODE_HANDOFF) {
			DMINFO("%s: the peer confirms it took the volume over",
			       mig_name(dev));
			handed_off(push);
			return 1;
		}
		mig_set_error(dev, -EPERM, "the peer owns the volume: it was handed off");
		return -EPERM;
	case DM_MIGRATE_VERDICT_FRESH:
		/*
		 * After HANDOFF went out the peer may have committed, run the
		 * guest and then lost our session: resending would overwrite
		 * its writes.  Stay pending; the operator decides.
		 */
		if (push->handoff_ever_sent) {
			/*
			 * Sticky: that peer now holds our session with none of
			 * its data, and would answer RESUME next time.
			 */
			push->peer_lost = true;
			return lost_after_handoff(dev);
		}
		if (push->session.generation > 1) {
			DMWARN("%s: %s holds nothing of this migration; sending every chunk again",
			       mig_name(dev), push->addr.text);
			mig_set_error(dev, -ESTALE,
				      "the peer lost the migration's state: sending every chunk again");
			restart(push);
		}
		return 0;
	default:
		/* RESUME from a peer that lost the session: still not ours. */
		return push->peer_lost ? lost_after_handoff(dev) : 0;
	}
}

static int push_connect(struct mig_push *push)
{
	u8 stream_key[DM_MIGRATE_MAC_LEN];
	struct mig_dev *dev = push->dev;
	struct socket *sock;
	char err[96] = "";
	u32 verdict;
	int r;

	r = mig_sock_open(push->net, &push->addr, &sock);
	if (r) {
		mig_set_error(dev, r, "cannot create a socket: error %d", r);
		return r;
	}
	mutex_lock(&push->sock_lock);
	if (push->stopping) {
		mutex_unlock(&push->sock_lock);
		sock_release(sock);
		return -EINTR;
	}
	push->sock = sock;
	mutex_unlock(&push->sock_lock);

	r = mig_sock_connect(sock, &push->addr, MIG_CONNECT_TIMEOUT);
	if (!r && READ_ONCE(push->stopping))
		r = -EINTR;
	if (r) {
		mig_set_error(dev, r, "cannot connect to %s: error %d",
			      push->addr.text, r);
		goto fail;
	}
	push->session.generation++;
	r = mig_handshake_source(sock, &push->geom, &push->key, &push->session,
				 &verdict, stream_key, err, sizeof(err));
	if (!r)
		r = mig_seal_rekey(push->seal, stream_key, true);
	memzero_explicit(stream_key, sizeof(stream_key));
	if (r) {
		mig_set_error(dev, r, "%s", err);
		DMERR_LIMIT("%s: %s: %s", mig_name(dev), push->addr.text, err);
		goto fail;
	}
	r = push_verdict(push, verdict);
	if (r)
		goto fail;

	/*
	 * No lock needed: the acker is not running yet, @connected is false
	 * (mirror.c queues nothing) and push_disconnect() emptied the ring.
	 */
	push->conn_error = 0;
	push->next_seq = 0;
	push->head = 0;
	push->tail = 0;
	push->last_ack = jiffies;
	push->handoff_sent = false;
	push->handoff_acked = false;
	push->tcp_una = mig_sock_bytes_acked(sock);
	push->connected_at = jiffies;
	/* Authenticated: writeback may depend on this socket now. */
	mig_sock_memalloc(sock, true);
	push->memalloc = true;
	/* The acker wakes up every second to watch for a stalled peer. */
	mig_sock_set_timeouts(sock, HZ, MAX_SCHEDULE_TIMEOUT);
	push->acker = kthread_run(mig_window_acker, push, "dm-migrate-ack");
	if (IS_ERR(push->acker)) {
		r = PTR_ERR(push->acker);
		push->acker = NULL;
		goto fail;
	}
	spin_lock_irq(&push->lock);
	push->connected = true;
	spin_unlock_irq(&push->lock);
	atomic_inc(&dev->stats.connections);
	DMINFO("%s: connected to %s (%s)", mig_name(dev), push->addr.text,
	       verdict == DM_MIGRATE_VERDICT_RESUME ? "resumed" : "new session");
	mig_dev_event(dev);
	mig_event(dev, DM_MIGRATE_EV_CONNECTED, 0);
	return 0;
fail:
	push_close_sock(push);
	return r;
}

/*
 * Tear the connection down and put back everything that was not
 * acknowledged: its chunks are dirty again, mirrored writes complete.
 */
static void push_disconnect(struct mig_push *push, int err)
{
	struct mig_slot *slot, *tmp;
	int i;
	struct mig_mreq *mreq, *mtmp;
	LIST_HEAD(mreqs);

	if (!push->sock)
		return;
	kernel_sock_shutdown(push->sock, SHUT_RDWR);
	if (push->acker)
		kthread_stop(push->acker);
	push->acker = NULL;

	/*
	 * Reads still in flight are not waited for (a stalled origin would
	 * hang whoever stops the push): their chunks are dirty again now,
	 * and the slot, once read, is sent on the next connection or goes
	 * with the memory (push_mem_release()).
	 */
	spin_lock_irq(&push->lock);
	push->connected = false;
	push->handoff_sent = false;
	push->scan_blocked = false;
	list_for_each_entry_safe(slot, tmp, &push->ready_slots, list) {
		slot_putback(push, slot);
		list_move(&slot->list, &push->free_slots);
	}
	for (i = 0; i < MIG_SLOTS; i++) {
		slot = &push->slots[i];
		if (slot->reading)
			mark_dirty(push, slot->index,
				   slot->index + slot->nchunks - 1);
	}
	while (ring_used(push)) {
		struct mig_unacked *u = &push->fifo[push->head++ % MIG_WINDOW];

		if (u->mreq)
			list_add_tail(&u->mreq->list, &mreqs);
		else
			mark_dirty(push, u->first, u->last);
	}
	list_splice_tail_init(&push->mirror_q, &mreqs);
	spin_unlock_irq(&push->lock);

	list_for_each_entry_safe(mreq, mtmp, &mreqs, list) {
		list_del_init(&mreq->list);
		mig_mreq_put(mreq, false);
	}
	push_close_sock(push);

	if (err && err != -EINTR) {
		DMWARN("%s: connection to %s lost (error %d); unacknowledged chunks marked dirty",
		       mig_name(push->dev), push->addr.text, err);
		if (!push->dev->last_error[0])
			mig_set_error(push->dev, err, "connection lost: error %d", err);
	}
	mig_dev_event(push->dev);
	mig_event(push->dev, DM_MIGRATE_EV_DISCONNECTED, err);
}

/* Send the messages of a ready slot; on error, slot->sent says how far. */
static int send_slot(struct mig_push *push, struct mig_slot *slot)
{
	struct mig_dev *dev = push->dev;

	while (slot->sent < slot->nmsgs) {
		struct mig_msg *m = &slot->msgs[slot->sent];
		struct mig_unacked u = { .first = m->first, .last = m->last };
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
		r = mig_seal_send(push->seal, push->sock, DM_MIGRATE_MSG_CHUNK,
				  seq, &m->c, sizeof(m->c),
				  slot->enc + m->enc_off, m->enc_len);
		if (r)
			return r;
		unbusy(push, m->first, m->last);
		slot->sent++;
		atomic64_add(bytes, &dev->stats.bytes_wire);
		atomic64_add(count, &dev->stats.chunks);
		if (m->c.encoding == DM_MIGRATE_ENC_ZERO)
			atomic64_add(count, &dev->stats.zero_chunks);
	}
	return 0;
}

/* Claim chunk @i: busy, and its dirty bit cleared.  False if not dirty. */
static bool claim(struct mig_push *push, u64 i)
{
	/* Busy first: exactly one of us and mirror.c wins. */
	if (mig_bitmap_set_range(&push->busy, i, i) != 1)
		return false;
	if (!mig_bitmap_clear_range(push->dev->bm, i, i)) {
		unbusy(push, i, i);	/* cleaned meanwhile */
		return false;
	}
	return true;
}

/*
 * Pick the next run of dirty chunks of the round that are not busy, up to
 * push->run chunks; clear their bits and mark them busy.  Returns false
 * when the round has no more.
 */
static bool pick_run(struct mig_push *push, u64 *index, u32 *n)
{
	u64 first, last, i;

	while (mig_bitmap_next_range(push->dev->bm, push->cursor, &first, &last)) {
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

/* A round is over: check the stop conditions of the pre-copy model. */
static void end_round(struct mig_push *push)
{
	struct mig_dev *dev = push->dev;
	enum dm_migrate_mode mode = mig_mode(dev);
	u64 dirty = mig_bitmap_dirty(dev->bm);
	u64 dirty_bytes = dirty * mig_geom_chunk_bytes(&push->geom);
	u64 sent = atomic64_read(&dev->stats.bytes_wire);
	unsigned int round;
	u64 max_bytes;
	u32 max_rounds;

	push->cursor = 0;
	/*
	 * A pass that found nothing to send is not a round; if chunks are
	 * dirty but all busy, wait for an ACK before the next pass.
	 */
	if (push->round_picked || mode == DM_MIGRATE_MODE_BULK)
		atomic_inc(&dev->stats.round);
	else if (dirty)
		push->scan_blocked = true;
	/* Only this thread moves the round while it runs. */
	round = atomic_read(&dev->stats.round);
	push->round_picked = 0;
	if (mode == DM_MIGRATE_MODE_BULK &&
	    mig_transition(dev, MIG_T_BULK_DONE))
		mode = DM_MIGRATE_MODE_DIRTY;
	if (mode != DM_MIGRATE_MODE_DIRTY)
		return;
	/* The limits may change under us (set_limits): read each once. */
	max_rounds = READ_ONCE(push->lim.max_rounds);
	max_bytes = READ_ONCE(push->lim.max_bytes);
	if (dirty_bytes <= READ_ONCE(push->lim.converge_bytes) ||
	    (max_rounds && round > max_rounds) ||
	    (max_bytes && sent >= max_bytes)) {
		if (mig_transition(dev, MIG_T_CONVERGED))
			DMINFO("%s: converged after %u rounds: %llu dirty chunks, %llu bytes sent",
			       mig_name(dev), round - 1,
			       (unsigned long long)dirty, (unsigned long long)sent);
	}
}

static bool drained(struct mig_push *push)
{
	return !mig_bitmap_dirty(push->dev->bm) && !push->reading &&
	       list_empty(&push->ready_slots) && list_empty(&push->mirror_q) &&
	       !ring_used(push) && !mig_bitmap_dirty(&push->busy);
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
	return !READ_ONCE(push->paused) && ring_room(push, push->run) ?
	       list_first_entry_or_null(&push->ready_slots, struct mig_slot, list) :
	       NULL;
}

/* Under push->lock: a free slot to read into, room for every slot. */
static struct mig_slot *free_slot(struct mig_push *push)
{
	if (READ_ONCE(push->paused) || push->scan_blocked ||
	    push->cursor >= push->nchunks || !mig_bitmap_dirty(push->dev->bm) ||
	    !ring_room(push, (MIG_SLOTS + 1) * push->run))
		return NULL;
	return list_first_entry_or_null(&push->free_slots, struct mig_slot, list);
}

/*
 * Under push->lock: the round's pass is over (it reached the end, or it
 * picked something and nothing is dirty any more) and nothing of it is
 * left in flight to the slots.
 */
static bool round_over(struct mig_push *push)
{
	return (push->cursor >= push->nchunks ||
		(push->round_picked && !mig_bitmap_dirty(push->dev->bm))) &&
	       !push->reading && list_empty(&push->ready_slots);
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
	    push->handoff_acked || round_over(push) ||
	    (mode == DM_MIGRATE_MODE_HANDOFF && !push->handoff_sent &&
	     drained(push)) ||
	    (push->mirror_requested && mig_mode_precopy(mode));
	spin_unlock_irq(&push->lock);
	return r;
}

/* Everything is on the peer: send HANDOFF; its ACK ends the mode. */
static int send_handoff(struct mig_push *push)
{
	struct mig_unacked u = { .first = 1, .handoff = true };
	u64 seq = mig_window_add(push, 1, mig_sealed_len(0), &u);

	if (!seq)
		return -EOVERFLOW;
	push->handoff_sent = true;
	push->handoff_ever_sent = true;
	DMINFO("%s: drained; asking %s to take the volume over",
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
	slot_putback(push, slot);
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
	seq = mig_window_add(push, pieces,
			     pieces * mig_sealed_len(sizeof(struct dm_migrate_write)) +
			     mreq->len, &last);
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

/* One pass of the sender: returns an error when the connection broke. */
static int pump(struct mig_push *push)
{
	struct mig_dev *dev = push->dev;
	struct mig_slot *slot;
	bool round_done;
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
	if (push->read_errors >= MIG_MAX_FAILURES &&
	    mig_mode(dev) != DM_MIGRATE_MODE_HANDOFF)
		return -EIO;

	/* 3. Start reading more chunks, unless paused. */
	for (;;) {
		spin_lock_irq(&push->lock);
		slot = free_slot(push);
		spin_unlock_irq(&push->lock);
		if (!slot || !pick_run(push, &index, &n))
			break;
		slot->index = index;
		slot->nchunks = n;
		spin_lock_irq(&push->lock);
		list_del_init(&slot->list);
		slot->reading = true;
		push->reading++;
		spin_unlock_irq(&push->lock);
		queue_work(push->wq, &slot->work);
	}

	spin_lock_irq(&push->lock);
	round_done = round_over(push);
	if (push->mirror_requested && mig_mode_precopy(mig_mode(dev))) {
		spin_unlock_irq(&push->lock);
		if (mig_transition(dev, MIG_T_MIRROR))
			DMINFO("%s: mirroring writes to %s", mig_name(dev),
			       push->addr.text);
		spin_lock_irq(&push->lock);
	}
	if (push->handoff_acked) {
		spin_unlock_irq(&push->lock);
		handed_off(push);
		return 0;
	}
	if (mig_mode(dev) == DM_MIGRATE_MODE_HANDOFF && !push->handoff_sent &&
	    drained(push)) {
		spin_unlock_irq(&push->lock);
		return send_handoff(push);
	}
	spin_unlock_irq(&push->lock);

	if (round_done)
		end_round(push);
	if (!wait_event_interruptible_timeout(push->wait, work_ready(push),
					      MIG_POLL)) {
		/* Time passed: chunks that were busy may be pickable now. */
		spin_lock_irq(&push->lock);
		push->scan_blocked = false;
		spin_unlock_irq(&push->lock);
	}
	/* An ACK of HANDOFF counts even if the link closed right after it. */
	if (READ_ONCE(push->handoff_acked))
		return 0;
	return READ_ONCE(push->conn_error);
}

/*
 * The push cannot go on (the origin or the peer keeps failing): stop
 * with the error in status, back to tracking, every unsent chunk dirty.
 * Never while a handoff is pending: that mode ends only by the peer's
 * word or the operator's.
 */
static bool push_give_up(struct mig_push *push, int err)
{
	struct mig_dev *dev = push->dev;
	const char *what;

	if (push->read_errors >= MIG_MAX_FAILURES)
		what = "reading the origin";
	else if (push->peer_io_errors >= MIG_MAX_FAILURES)
		what = "the destination's writes";
	else if (err == -EPERM)
		what = "the destination owns the volume:";
	else
		return false;
	/* Not once a handoff is decided: that mode ends by the peer's word. */
	if (!mig_transition(dev, MIG_T_STOP))
		return false;
	mig_set_error(dev, err,
		      "push stopped: %s failed (error %d); the volume is intact and tracked",
		      what, err);
	DMERR("%s: push to %s stopped: %s failed (error %d)", mig_name(dev),
	      push->addr.text, what, err);
	WRITE_ONCE(push->failed, true);
	mig_throttle_set_rate(&dev->throttle, 0);
	return true;
}

/* Nothing uses the engine memory: no mirrored write, no read. */
static bool push_mem_idle(struct mig_push *push)
{
	bool idle;

	spin_lock_irq(&push->lock);
	idle = !push->mreqs && !push->reading;
	spin_unlock_irq(&push->lock);
	return idle;
}

/*
 * Free the engine memory (see "Memory" above), once nothing uses it: the
 * connection is down and the thread gone, so no new user comes.  Also
 * frees what a failed push_mem_alloc() got.  Idempotent.
 */
static void push_mem_free(struct mig_push *push)
{
	int i;

	WARN_ON_ONCE(READ_ONCE(push->connected));
	wait_event(push->wait, push_mem_idle(push));
	INIT_LIST_HEAD(&push->free_slots);
	INIT_LIST_HEAD(&push->ready_slots);
	/* No slot work can run on the buffers below any more. */
	if (push->wq)
		destroy_workqueue(push->wq);
	push->wq = NULL;
	for (i = 0; i < MIG_SLOTS; i++) {
		struct mig_slot *slot = &push->slots[i];

		vfree(slot->data);
		slot->data = NULL;
		vfree(slot->enc);
		slot->enc = NULL;
		kvfree(slot->msgs);
		slot->msgs = NULL;
		mig_codec_destroy(&slot->codec);
	}
	mempool_destroy(push->mreq_pool);
	push->mreq_pool = NULL;
	bioset_exit(&push->bs);
	/* The next bioset_init() starts from zeroes, as the first did. */
	memset(&push->bs, 0, sizeof(push->bs));
	mig_bitmap_destroy(&push->busy);
	kvfree(push->fifo);
	push->fifo = NULL;
	mig_seal_free(push->seal);
	push->seal = NULL;
}

/*
 * The engine is done with its memory: free it now, or, while mirrored
 * writes or reads still use it (not yet back from the origin), when the
 * last of them ends.  Never waits.
 */
static void push_mem_release(struct mig_push *push)
{
	bool busy, later;

	spin_lock_irq(&push->lock);
	busy = push->mreqs || push->reading;
	later = busy || push->mem_doomed;
	if (busy)
		push->mem_doomed = true;
	spin_unlock_irq(&push->lock);
	if (!later)
		push_mem_free(push);
}

static void push_mem_work(struct work_struct *work)
{
	struct mig_push *push = container_of(work, struct mig_push, mem_work);

	push_mem_free(push);
	spin_lock_irq(&push->lock);
	push->mem_doomed = false;
	spin_unlock_irq(&push->lock);
}

static bool push_mem_doomed(struct mig_push *push)
{
	bool doomed;

	spin_lock_irq(&push->lock);
	doomed = push->mem_doomed;
	spin_unlock_irq(&push->lock);
	return doomed;
}

static int push_thread(void *arg)
{
	struct mig_push *push = arg;
	unsigned int noio = memalloc_noio_save();
	unsigned int backoff_ms = 100;
	int r;

	while (!kthread_should_stop()) {
		/*
		 * Nothing more to send: handed off, given up, or a peer that
		 * lost our session after HANDOFF (it answers the same on
		 * every reconnect; the operator decides, see status).
		 */
		if (mig_mode(push->dev) == DM_MIGRATE_MODE_HANDED_OFF ||
		    READ_ONCE(push->failed) || push->peer_lost) {
			push_disconnect(push, 0);
			push_mem_release(push);
			memzero_explicit(&push->key, sizeof(push->key));
			wait_event_interruptible(push->wait, kthread_should_stop());
			continue;
		}
		if (!push->sock) {
			r = push_connect(push);
			if (r < 0 && !push_give_up(push, r)) {
				wait_event_interruptible_timeout(push->wait,
								 kthread_should_stop(),
								 msecs_to_jiffies(backoff_ms));
				backoff_ms = min(backoff_ms * 2, 5000U);
			}
			if (r)
				continue;
		}
		r = pump(push);
		if (READ_ONCE(push->handoff_acked)) {
			handed_off(push);
			continue;
		}
		if (r) {
			bool brief = time_before(jiffies, push->connected_at + HZ);

			push_disconnect(push, r);
			/* The ACK may have come while the acker was stopped. */
			if (READ_ONCE(push->handoff_acked)) {
				handed_off(push);
				continue;
			}
			if (push_give_up(push, r))
				continue;
			if (!brief) {
				backoff_ms = 100;
				continue;
			}
			/* A connection that dies at once: back off as well. */
			wait_event_interruptible_timeout(push->wait,
							 kthread_should_stop(),
							 msecs_to_jiffies(backoff_ms));
			backoff_ms = min(backoff_ms * 2, 5000U);
		}
	}
	push_disconnect(push, 0);
	push_mem_release(push);
	memalloc_noio_restore(noio);
	return 0;
}

static void push_free(struct mig_push *push)
{
	/*
	 * No mirrored write is left (the last table is gone), but a read of
	 * the origin may be: this waits for it (a device removed while its
	 * origin stalls waits for the origin), then for the mem_work its
	 * end queued, before freeing.
	 */
	wait_event(push->wait, push_mem_idle(push));
	flush_work(&push->mem_work);
	push_mem_free(push);
	memzero_explicit(&push->key, sizeof(push->key));
	kfree(push);
}

/*
 * The engine is allocated at the first push and kept until the device
 * goes away: the I/O path (mirror.c), bio completions and status readers
 * may look at it at any time.  Its memory comes and goes with each push
 * (push_mem_alloc()).
 */
static struct mig_push *push_alloc(struct mig_dev *dev)
{
	u32 chunk_bytes = 512U << dev->chunk_shift;
	struct mig_push *push;
	int i;
	/* Every slot's messages fit in half the ring (see free_slot()). */
	u32 run = clamp(MIG_RUN_BYTES / chunk_bytes, 1U, MIG_WINDOW / 2 / MIG_SLOTS);

	push = kzalloc(sizeof(*push), GFP_KERNEL);
	if (!push)
		return NULL;
	push->dev = dev;
	push->run = run;
	spin_lock_init(&push->lock);
	mutex_init(&push->sock_lock);
	init_waitqueue_head(&push->wait);
	INIT_LIST_HEAD(&push->free_slots);
	INIT_LIST_HEAD(&push->ready_slots);
	INIT_LIST_HEAD(&push->mirror_q);
	INIT_WORK(&push->mem_work, push_mem_work);
	for (i = 0; i < MIG_SLOTS; i++) {
		push->slots[i].push = push;
		INIT_WORK(&push->slots[i].work, slot_work);
	}
	return push;
}

/*
 * The engine memory of a push about to start (push->geom and nchunks
 * set); it goes when the push's thread ends.  See "Memory" above.
 */
static int push_mem_alloc(struct mig_push *push, const char **why)
{
	u32 chunk_bytes = 512U << push->dev->chunk_shift;
	struct mig_seal *seal;
	int i;

	seal = mig_seal_alloc(mig_wire_max_payload(&push->geom),
			      sizeof(struct dm_migrate_error), why);
	if (IS_ERR(seal))
		return PTR_ERR(seal);
	push->seal = seal;
	*why = "out of memory";
	push->fifo = kvcalloc(MIG_WINDOW, sizeof(*push->fifo), GFP_KERNEL);
	if (!push->fifo)
		goto fail;
	if (mig_bitmap_init(&push->busy, push->nchunks))
		goto fail;
	if (bioset_init(&push->bs, 64, 0, BIOSET_NEED_BVECS))
		goto fail;
	push->mreq_pool = mempool_create_kmalloc_pool(64, sizeof(struct mig_mreq));
	if (!push->mreq_pool)
		goto fail;
	push->wq = alloc_workqueue("dm-migrate-read", WQ_UNBOUND | WQ_MEM_RECLAIM,
				   MIG_SLOTS);
	if (!push->wq)
		goto fail;
	for (i = 0; i < MIG_SLOTS; i++) {
		struct mig_slot *slot = &push->slots[i];

		slot->data = vmalloc((size_t)push->run * chunk_bytes);
		slot->enc = vmalloc((size_t)push->run * mig_lzo_worst(chunk_bytes));
		slot->msgs = kvcalloc(push->run, sizeof(*slot->msgs), GFP_KERNEL);
		if (!slot->data || !slot->enc || !slot->msgs ||
		    mig_codec_init(&slot->codec))
			goto fail;
		list_add_tail(&slot->list, &push->free_slots);
	}
	return 0;
fail:
	push_mem_free(push);
	return -ENOMEM;
}

/* Apply the limits @lim gives (under ctl_lock). */
static void apply_limits(struct mig_push *push, const struct mig_limits *lim)
{
	struct mig_dev *dev = push->dev;

	if (lim->given & MIG_LIM_RATE)
		WRITE_ONCE(push->lim.rate, lim->rate);	/* rate_wait() sees it */
	if (lim->given & MIG_LIM_CONVERGE)
		WRITE_ONCE(push->lim.converge_bytes, lim->converge_bytes);
	if (lim->given & MIG_LIM_MAX_BYTES)
		WRITE_ONCE(push->lim.max_bytes, lim->max_bytes);
	if (lim->given & MIG_LIM_MAX_ROUNDS)
		WRITE_ONCE(push->lim.max_rounds, lim->max_rounds);
	/* The throttle keeps its own rate: the I/O path reads it there. */
	if (lim->given & MIG_LIM_THROTTLE)
		mig_throttle_set_rate(&dev->throttle, lim->throttle);
}

/* Stop the thread; what was not acknowledged is dirty again. */
static void push_stop(struct mig_push *push)
{
	if (!push->thread)
		return;
	/* End any blocking connect, send or receive of the thread's socket. */
	mutex_lock(&push->sock_lock);
	push->stopping = true;
	if (push->sock)
		kernel_sock_shutdown(push->sock, SHUT_RDWR);
	mutex_unlock(&push->sock_lock);
	kthread_stop(push->thread);
	push->thread = NULL;
	/* The thread let the memory go, unless it was stopped before it ran. */
	push_mem_release(push);
	push->stopping = false;
	put_net(push->net);
	push->net = NULL;
	memzero_explicit(&push->key, sizeof(push->key));
	mig_throttle_set_rate(&push->dev->throttle, 0);
}

int mig_push_start(struct mig_dev *dev, const struct mig_start *s,
		   const char **why)
{
	const char *name = mig_name(dev);
	struct mig_limits defaults = {
		.given = ~0U,
		.max_rounds = 30,
	};
	struct mig_push *push;
	int r;

	/* control.c checked: tracking, no grow pending, no receiver owner. */
	lockdep_assert_held(&dev->ctl_lock);
	if (!dev->push) {
		dev->push = push_alloc(dev);
		if (!dev->push)
			return -ENOMEM;
	}
	push = dev->push;
	push_stop(push);		/* a push that stopped by itself */
	flush_work(&push->mem_work);	/* a free already due: let it end */
	if (push_mem_doomed(push)) {
		*why = "reads or writes of the last push still wait for the origin: retry later";
		return -EBUSY;
	}
	push->geom.dev_sectors = dev->sectors;
	push->geom.chunk_sectors = 1U << dev->chunk_shift;
	/* The last push's memory went with its thread: all of it is new. */
	push->nchunks = mig_geom_chunks(&push->geom);
	r = push_mem_alloc(push, why);
	if (r)
		return r;
	defaults.converge_bytes = 8ULL * mig_geom_chunk_bytes(&push->geom);
	apply_limits(push, &defaults);
	apply_limits(push, &s->lim);
	push->pace.vtime_ns = 0;
	push->bdev = dev->bdev;
	push->addr = s->addr;
	push->key = s->key;
	get_random_bytes(push->session.id, sizeof(push->session.id));
	push->session.generation = 0;
	push->handoff_ever_sent = false;
	push->peer_lost = false;
	push->round_picked = 0;
	push->cursor = 0;
	push->paused = false;
	push->failed = false;
	push->read_errors = 0;
	push->peer_io_errors = 0;
	push->mirror_requested = false;
	push->conn_error = 0;
	push->ring_peak = 0;
	atomic_set(&push->ack_timeouts, 0);
	push->net = get_net(s->net);
	mig_dev_set_net(dev, s->net);

	/* The peer has nothing yet: the bulk pass sends every chunk. */
	mig_stats_reset(&dev->stats);
	mig_clear_error(dev);
	mig_bitmap_set_range(dev->bm, 0, push->nchunks - 1);
	mig_transition(dev, MIG_T_PUSH);

	push->thread = kthread_run(push_thread, push, "dm-migrate-push");
	if (IS_ERR(push->thread)) {
		r = PTR_ERR(push->thread);
		push->thread = NULL;
		push_mem_free(push);
		put_net(push->net);
		mig_transition(dev, MIG_T_STOP);
		*why = "cannot start the push thread";
		return r;
	}
	DMINFO("%s: pushing to %s", name, push->addr.text);
	return 0;
}

/* The last table is gone: no I/O reaches dev->push any more. */
void mig_push_destroy(struct mig_dev *dev)
{
	struct mig_push *push = dev->push;

	if (!push)
		return;
	push_stop(push);
	mutex_lock(&dev->lock);		/* status readers look at dev->push */
	dev->push = NULL;
	mutex_unlock(&dev->lock);
	push_free(push);
}

/* The running push, or NULL with @why set. */
static struct mig_push *running_push(struct mig_dev *dev, const char **why)
{
	lockdep_assert_held(&dev->ctl_lock);
	if (mig_mode(dev) == DM_MIGRATE_MODE_HANDED_OFF) {
		*why = "the volume was handed off to the peer";
		return NULL;
	}
	if (!mig_push_running(dev)) {
		*why = dev->push && dev->push->thread ?
		       "the push stopped after repeated failures (see status)" :
		       "no push is running";
		return NULL;
	}
	return dev->push;
}

int mig_push_abort(struct mig_dev *dev, bool force, const char **why)
{
	bool pending = mig_mode(dev) == DM_MIGRATE_MODE_HANDOFF;

	if (!running_push(dev, why))
		return mig_mode(dev) == DM_MIGRATE_MODE_HANDED_OFF ? -EBUSY : -ENOENT;
	if (pending && !force) {
		*why = "a handoff is pending: the peer may own the volume (see 'abort force')";
		return -EBUSY;
	}
	push_stop(dev->push);
	/* The peer's confirmation may have come in meanwhile: it wins. */
	if (dev->push->handoff_acked || mig_mode(dev) == DM_MIGRATE_MODE_HANDED_OFF) {
		mig_transition(dev, MIG_T_HANDED_OFF);
		*why = "the peer confirmed the handoff: it owns the volume";
		return -EBUSY;
	}
	mig_transition(dev, pending ? MIG_T_FORCE_STOP : MIG_T_STOP);
	if (pending)
		DMWARN("%s: pending handoff forced back to tracking; writable here again",
		       mig_name(dev));
	DMINFO("%s: push aborted; %llu chunks dirty", mig_name(dev),
	       (unsigned long long)mig_bitmap_dirty(dev->bm));
	return 0;
}

int mig_push_pause(struct mig_dev *dev, bool pause, const char **why)
{
	struct mig_push *push = running_push(dev, why);

	if (!push)
		return -ENOENT;
	if (pause && (!mig_mode_precopy(mig_mode(dev)) || push->mirror_requested)) {
		*why = "cannot pause while mirroring: guest writes wait for the peer";
		return -EBUSY;
	}
	WRITE_ONCE(push->paused, pause);
	wake_up(&push->wait);
	DMINFO("%s: push %s", mig_name(dev), pause ? "paused" : "resumed");
	return 0;
}

int mig_push_mirror(struct mig_dev *dev, const char **why)
{
	struct mig_push *push = running_push(dev, why);

	if (!push)
		return -ENOENT;
	if (mig_mode(dev) == DM_MIGRATE_MODE_HANDOFF) {
		*why = "a handoff is pending";
		return -EBUSY;
	}
	spin_lock_irq(&push->lock);
	push->mirror_requested = true;
	spin_unlock_irq(&push->lock);
	WRITE_ONCE(push->paused, false);
	wake_up(&push->wait);
	return 0;
}

/*
 * Decide the handoff: from now on the device refuses resume and writes
 * (target.c), and the thread drains and asks the peer to take over.
 * Returns at once; the mode says the outcome (HANDED_OFF).
 */
int mig_push_handoff(struct mig_dev *dev, const char **why)
{
	struct mig_push *push = running_push(dev, why);

	if (!push)
		return -ENOENT;
	if (mig_mode(dev) == DM_MIGRATE_MODE_HANDOFF)
		return 0;		/* already decided: same answer */
	/* dev->suspended changes under ctl_lock, which we hold. */
	if (!dev->suspended) {
		*why = "suspend the device first (dmsetup suspend)";
		return -EBUSY;
	}
	if (!mig_transition(dev, MIG_T_HANDOFF)) {
		*why = "the push stopped meanwhile (see status)";
		return -EBUSY;
	}
	WRITE_ONCE(push->paused, false);
	wake_up(&push->wait);
	DMINFO("%s: handoff decided; writes and resume refused until %s confirms",
	       mig_name(dev), push->addr.text);
	return 0;
}

int mig_push_set_limits(struct mig_dev *dev, const struct mig_limits *lim,
			const char **why)
{
	struct mig_push *push = running_push(dev, why);

	if (!push)
		return -ENOENT;
	apply_limits(push, lim);
	wake_up(&push->wait);
	return 0;
}

int mig_push_map(struct mig_dev *dev, struct bio *bio)
{
	/* dev->push, once set, lives as long as dev ("Memory" above). */
	struct mig_push *push = READ_ONCE(dev->push);

	if (!push || mig_mode(dev) != DM_MIGRATE_MODE_MIRRORING)
		return DM_MAPIO_REMAPPED;
	return mig_mirror_map(push, bio);
}

/*
 * Under dev->lock: mig_push_destroy() clears dev->push under it when the
 * last table goes.  The fields are read racily, as dm status does.
 */
void mig_push_snapshot(struct mig_dev *dev, struct mig_status *st)
{
	struct mig_push *push = dev->push;

	if (!push)
		return;
	st->window_peak = READ_ONCE(push->ring_peak);
	st->ack_timeouts = atomic_read(&push->ack_timeouts);
	st->round = atomic_read(&dev->stats.round);
	st->converge_bytes = READ_ONCE(push->lim.converge_bytes);
	strscpy(st->peer, push->addr.text, sizeof(st->peer));
	if (!push->thread)
		return;
	st->engine = MIG_ENGINE_PUSH;
	st->failed = READ_ONCE(push->failed);
	st->connected = READ_ONCE(push->connected);
	st->paused = !st->failed && READ_ONCE(push->paused);
}

bool mig_push_running(struct mig_dev *dev)
{
	return dev->push && dev->push->thread && !READ_ONCE(dev->push->failed);
}
