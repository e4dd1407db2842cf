// SPDX-License-Identifier: GPL-2.0
/*
 * The source engine: push a live volume to a peer until it converges,
 * mirror new writes, hand off.
 *
 * Threads and locking
 * -------------------
 * push->thread owns the connection: it connects and authenticates (here),
 * then runs the sender (sender.c): it picks runs of adjacent dirty chunks
 * (rounds.c; clearing their bits, then reading them: the in-flight
 * invariant of target.c makes that safe), hands them to push->wq for
 * reading with one I/O and encoding on any CPU, and sends what is ready.
 * It is the only sender on the socket, so messages go out in the order it
 * chooses: mirrored writes first, then chunks.  push->acker (window.c)
 * reads the peer's cumulative ACKs and retires what they cover.
 * push->lock (a spinlock, also taken from bio completion) protects the
 * lists, the unacknowledged ring and the flags.  Control reaches the
 * engine only through mig_push_engine (end of this file), under ctl_lock.
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
 * push_handoff() only decides: the mode becomes HANDOFF (writes and
 * resume refused), and the thread sends what is still dirty, HANDOFF
 * right behind it (sender.c, all_sent()) and waits for its ACK, across
 * reconnects (a lost ACK is answered by the verdict OWNER of the next
 * handshake).  Nothing but that ACK or that verdict ends the
 * mode, except the operator's "abort force".
 *
 * Memory
 * ------
 * struct mig_push is allocated at the device's first push and lives until
 * its last table goes (push_destroy()): the I/O path reads dev->push
 * without a lock, and status readers read its fields under dev->lock.
 * The engine memory, the big part (the slots' buffers and codecs, the
 * seal, push->wq, push->bs, push->mreq_pool, the ring, the busy chunks:
 * some 17 MiB at 64 KiB chunks), exists only while a push thread does:
 * push_mem_alloc() in push_start() before the thread starts,
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
 *  - reads of the origin: only the thread queues them (mig_push_pump()), each
 *    counted in push->reading until mig_slot_work() is done with its slot;
 *  - the free never waits for those two counts (a stalled origin would
 *    hang the thread and whoever stops it under ctl_lock): with a write
 *    or a read still counted, push_mem_release() marks the memory doomed
 *    and the last of them queues push->mem_work (mig_push_mem_unused()),
 *    which frees it;
 *  - the next push: push_start() allocates anew only after push_stop()
 *    reaped the old thread, under ctl_lock, and refuses (EBUSY) while the
 *    old memory is doomed but not yet freed.
 *
 * A pending handoff keeps its thread, so its memory too, unless the peer
 * lost the session (the thread parks: nothing more will be sent).
 */
#include <linux/crc32c.h>
#include <linux/highmem.h>
#include <linux/overflow.h>
#include <linux/random.h>
#include <linux/sched/mm.h>
#include <linux/vmalloc.h>

#include "push.h"

#define MIG_CONNECT_TIMEOUT	(5 * HZ)

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

/* Mirroring, handoff, stop: auto_throttle lifts what it set, at once. */
static void lift_auto_throttle(struct mig_dev *dev)
{
	if (mig_throttle_auto_rate(&dev->throttle, 0))
		mig_round_throttled(dev);
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
			mig_push_handed_off(push);
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
			mig_round_restart(push);
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
	u32 verdict, encs;
	bool old_peer;
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
	/* Flags, unless refused just now: a peer may be upgraded meanwhile. */
	old_peer = push->plain_hello;
	push->plain_hello = false;
	/* PIECE offered while the option is on (a later 'set' on: next time). */
	encs = old_peer ? 0 : MIG_ENC_KNOWN |
	       (push->sub && READ_ONCE(push->lim.subchunk) ? DM_MIGRATE_HELLO_PIECE : 0);
	r = mig_handshake_source(sock, &push->geom, &push->key, &push->session,
				 &encs, &verdict, stream_key, err, sizeof(err));
	if (!r)
		r = mig_seal_rekey(push->seal, stream_key, true);
	memzero_explicit(stream_key, sizeof(stream_key));
	if (r == -EPROTONOSUPPORT) {
		/* It refuses our HELLO's flags: connect again without. */
		DMINFO("%s: %s: %s", mig_name(dev), push->addr.text, err);
		push->plain_hello = true;
		goto fail;
	}
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
	WRITE_ONCE(push->peer_piece, !!(encs & DM_MIGRATE_HELLO_PIECE));
	spin_lock(&push->enc_lock);
	mig_encsel_set_peer(&push->enc, encs & MIG_ENC_KNOWN, old_peer);
	spin_unlock(&push->enc_lock);
	mig_push_window_reset(push);
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
		mig_slot_putback(push, slot);
		list_move(&slot->list, &push->free_slots);
	}
	for (i = 0; i < MIG_SLOTS; i++) {
		slot = &push->slots[i];
		if (slot->reading)
			push_mark_dirty(push, slot->index,
					slot->index + slot->nchunks - 1);
	}
	while (ring_used(push)) {
		struct mig_unacked *u = &push->fifo[push->head++ % MIG_WINDOW];

		if (u->mreq)
			list_add_tail(&u->mreq->list, &mreqs);
		else
			push_mark_dirty(push, u->first, u->last);
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
	/* No throttle holds the guest while nothing is migrated. */
	WRITE_ONCE(push->round_disturbed, true);
	lift_auto_throttle(push->dev);
	mig_dev_event(push->dev);
	mig_event(push->dev, DM_MIGRATE_EV_DISCONNECTED, err);
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
	lift_auto_throttle(dev);
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

static void push_sub_free(struct mig_push *push);

/*
 * Sub-block masks (bitmap.h): allocated at push start when the push's
 * limits have subchunk on and a chunk has 2 sub-blocks or more, 2 bytes
 * per chunk (at most 1/4096 of the volume, at 8 KiB chunks), every bit
 * set (the bulk pass sends every chunk whole anyway), and attached to
 * dev->bm, where the I/O path sets them.  No memory for them is no
 * error: the push sends whole chunks.
 * Attached and detached under dev->lock, against a grown table's bitmap
 * replacing dev->bm (target.c, only while no push is busy).
 */
static void push_sub_alloc(struct mig_push *push)
{
	struct mig_dev *dev = push->dev;
	u64 words = mig_sub_words(push->nchunks);
	size_t bytes;

	if (mig_geom_subs(&push->geom) < 2 ||
	    check_mul_overflow((size_t)words, sizeof(atomic_t), &bytes))
		return;
	WRITE_ONCE(push->sub, kvmalloc(bytes, GFP_KERNEL | __GFP_NOWARN));
	if (!push->sub) {
		DMWARN("%s: no memory for sub-block masks (%zu KiB): whole chunks only",
		       mig_name(dev), bytes >> 10);
		return;
	}
	memset(push->sub, 0xff, bytes);
	mutex_lock(&dev->lock);
	mig_bitmap_sub_attach(dev->bm, push->sub);
	mutex_unlock(&dev->lock);
}

/*
 * Detach the masks, wait until no reader of dev->bm can hold them (the
 * I/O path reads them under rcu_read_lock(): a grace period, not the
 * volume), free them.  Idempotent.
 */
static void push_sub_free(struct mig_push *push)
{
	struct mig_dev *dev = push->dev;
	atomic_t *sub;

	if (!push->sub)
		return;
	mutex_lock(&dev->lock);
	if (rcu_access_pointer(dev->bm->sub) == push->sub)
		mig_bitmap_sub_detach(dev->bm);
	mutex_unlock(&dev->lock);
	synchronize_rcu();
	sub = push->sub;
	WRITE_ONCE(push->sub, NULL);
	kvfree(sub);
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
		kvfree(slot->masks);
		slot->masks = NULL;
		mig_codec_destroy(&slot->codec);
	}
	mempool_destroy(push->mreq_pool);
	push->mreq_pool = NULL;
	bioset_exit(&push->bs);
	/* The next bioset_init() starts from zeroes, as the first did. */
	memset(&push->bs, 0, sizeof(push->bs));
	xa_destroy(&push->busy);
	push_sub_free(push);
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
			/* An older peer: again at once, without flags. */
			if (r == -EPROTONOSUPPORT)
				continue;
			if (r < 0 && !push_give_up(push, r)) {
				wait_event_interruptible_timeout(push->wait,
								 kthread_should_stop(),
								 msecs_to_jiffies(backoff_ms));
				backoff_ms = min(backoff_ms * 2, 5000U);
			}
			if (r)
				continue;
		}
		r = mig_push_pump(push);
		if (READ_ONCE(push->handoff_acked)) {
			mig_push_handed_off(push);
			continue;
		}
		if (r) {
			bool brief = time_before(jiffies, push->connected_at + HZ);

			push_disconnect(push, r);
			/* The ACK may have come while the acker was stopped. */
			if (READ_ONCE(push->handoff_acked)) {
				mig_push_handed_off(push);
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
	spin_lock_init(&push->enc_lock);
	mutex_init(&push->sock_lock);
	init_waitqueue_head(&push->wait);
	INIT_LIST_HEAD(&push->free_slots);
	INIT_LIST_HEAD(&push->ready_slots);
	INIT_LIST_HEAD(&push->mirror_q);
	INIT_WORK(&push->mem_work, push_mem_work);
	xa_init_flags(&push->busy, XA_FLAGS_LOCK_IRQ);
	for (i = 0; i < MIG_SLOTS; i++) {
		push->slots[i].push = push;
		INIT_WORK(&push->slots[i].work, mig_slot_work);
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
		slot->masks = kvcalloc(push->run, sizeof(*slot->masks), GFP_KERNEL);
		if (!slot->data || !slot->enc || !slot->msgs || !slot->masks ||
		    mig_codec_init(&slot->codec, chunk_bytes))
			goto fail;
		list_add_tail(&slot->list, &push->free_slots);
	}
	return 0;
fail:
	push_mem_free(push);
	return -ENOMEM;
}

/* (Re)start the handoff's clock: nothing sent or confirmed yet. */
static void push_handoff_clock(struct mig_push *push, u64 suspend_ns,
			       u64 decided)
{
	WRITE_ONCE(push->ho_sent, 0);
	WRITE_ONCE(push->ho_done, 0);
	WRITE_ONCE(push->ho_suspend, suspend_ns);
	WRITE_ONCE(push->ho_decided, decided);
}

/* Apply the limits @lim gives (under ctl_lock). */
static void apply_limits(struct mig_push *push, const struct mig_limits *lim)
{
	struct mig_dev *dev = push->dev;
	u32 given = push->lim.given;

	if (lim->given & MIG_LIM_RATE)
		WRITE_ONCE(push->lim.rate, lim->rate);	/* rate_wait() sees it */
	/* converge_ms brings its rule back; converge_bytes (also given) wins. */
	if (lim->given & MIG_LIM_CONVERGE_MS) {
		WRITE_ONCE(push->lim.converge_ms, lim->converge_ms);
		given &= ~MIG_LIM_CONVERGE;
	}
	if (lim->given & MIG_LIM_CONVERGE) {
		WRITE_ONCE(push->lim.converge_bytes, lim->converge_bytes);
		given |= MIG_LIM_CONVERGE;
	}
	WRITE_ONCE(push->lim.given, given);
	if (lim->given & MIG_LIM_MAX_BYTES)
		WRITE_ONCE(push->lim.max_bytes, lim->max_bytes);
	if (lim->given & MIG_LIM_MAX_ROUNDS)
		WRITE_ONCE(push->lim.max_rounds, lim->max_rounds);
	if (lim->given & MIG_LIM_PAUSE_BULK)
		WRITE_ONCE(push->lim.pause_after_bulk, lim->pause_after_bulk);
	/* Off: from the next pick (sender.c); on: from the next connection. */
	if (lim->given & MIG_LIM_SUBCHUNK)
		WRITE_ONCE(push->lim.subchunk, lim->subchunk);
	spin_lock(&push->enc_lock);
	if (lim->given & MIG_LIM_ENCODING)
		mig_encsel_set_choice(&push->enc, lim->encoding);
	/* Auto measures the link again under the new rate. */
	if (lim->given & MIG_LIM_RATE)
		mig_encsel_link_changed(&push->enc);
	spin_unlock(&push->enc_lock);
	/*
	 * The throttle keeps its own rate: the I/O path reads it there.  A
	 * rate given turns auto_throttle off, also when auto_throttle=1
	 * comes with it (the uapi says so); auto_throttle=1 alone takes over
	 * from the operator's rate.
	 */
	if (lim->given & MIG_LIM_THROTTLE)
		mig_throttle_set_rate(&dev->throttle, lim->throttle);
	else if ((lim->given & MIG_LIM_AUTO_THROTTLE) &&
		 mig_throttle_set_auto(&dev->throttle, lim->auto_throttle))
		mig_round_throttled(dev);
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
	lift_auto_throttle(push->dev);
	mig_throttle_set_rate(&push->dev->throttle, 0);
}

static int push_start(struct mig_dev *dev, const struct mig_start *s,
		      const char **why)
{
	const char *name = mig_name(dev);
	/* Every limit but converge_bytes: the time budget is the rule. */
	struct mig_limits defaults = {
		.given = (u32)~MIG_LIM_CONVERGE,
		.converge_ms = MIG_CONVERGE_MS,
		.max_rounds = 30,
		/*
		 * Off until the whole test suite has run with it on: pieces
		 * shrink what a writer costs the dirty rounds 14-18 times, so
		 * tests whose writer must outrun the link (63-converge's "no
		 * progress") converge instead.
		 */
		.subchunk = false,
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
	/* busy.c indexes an xarray by chunk number: an unsigned long. */
	if (BITS_PER_LONG == 32 && upper_32_bits(push->nchunks - 1)) {
		*why = "more than 2^32 chunks need a 64-bit kernel (use larger chunks)";
		return -EINVAL;
	}
	r = push_mem_alloc(push, why);
	if (r)
		return r;
	mig_encsel_init(&push->enc, DM_MIGRATE_ENCODE_LZO,
			min_t(unsigned int, num_online_cpus(), MIG_SLOTS));
	apply_limits(push, &defaults);
	apply_limits(push, &s->lim);
	/*
	 * Masks only for a push that starts with subchunk on: a later 'set
	 * subchunk=1' finds none and the push keeps sending whole chunks
	 * (status: SUBCHUNK 0, push_snapshot()).
	 */
	if (push->lim.subchunk)
		push_sub_alloc(push);
	push->pace.vtime_ns = 0;
	push->plain_hello = false;
	push->bdev = dev->bdev;
	push->addr = s->addr;
	push->key = s->key;
	get_random_bytes(push->session.id, sizeof(push->session.id));
	push->session.generation = 0;
	push->handoff_ever_sent = false;
	push->peer_lost = false;
	push->paused = false;
	push->paused_by_bulk = false;
	push->failed = false;
	push->read_errors = 0;
	push->peer_io_errors = 0;
	push->mirror_requested = false;
	push->conn_error = 0;
	push->ring_peak = 0;
	atomic_set(&push->ack_timeouts, 0);
	push_handoff_clock(push, 0, 0);
	push->net = get_net(s->net);
	mig_dev_set_net(dev, s->net);

	/* The peer has nothing yet: the bulk pass sends every chunk. */
	mig_stats_reset(&dev->stats);
	mig_clear_error(dev);
	mig_bitmap_set_range(dev->bm, 0, push->nchunks - 1);
	mig_round_start(push);
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
static void push_destroy(struct mig_dev *dev)
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

static bool push_active(struct mig_dev *dev)
{
	return dev->push && dev->push->thread && !READ_ONCE(dev->push->failed);
}

/*
 * Running, or stopped with reads or mirrored writes still out in the
 * origin: their completion marks chunks in dev->bm (no grow then).
 */
static bool push_busy(struct mig_dev *dev)
{
	return push_active(dev) || (dev->push && push_mem_doomed(dev->push));
}

static int push_abort(struct mig_push *push, bool force, const char **why)
{
	struct mig_dev *dev = push->dev;
	bool pending = mig_mode(dev) == DM_MIGRATE_MODE_HANDOFF;

	if (pending && !force) {
		*why = "a handoff is pending: the peer may own the volume (see 'abort force')";
		return -EBUSY;
	}
	push_stop(push);
	/* The peer's confirmation may have come in meanwhile: it wins. */
	if (push->handoff_acked || mig_mode(dev) == DM_MIGRATE_MODE_HANDED_OFF) {
		mig_push_handed_off(push);
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

static int push_pause(struct mig_push *push, bool pause, const char **why)
{
	if (pause && (!mig_mode_precopy(mig_mode(push->dev)) ||
		      push->mirror_requested)) {
		*why = "cannot pause while mirroring: guest writes wait for the peer";
		return -EBUSY;
	}
	WRITE_ONCE(push->paused, pause);
	WRITE_ONCE(push->paused_by_bulk, false);	/* the operator's now */
	if (pause) {
		/* No throttle holds the guest while nothing is migrated. */
		WRITE_ONCE(push->round_disturbed, true);
		lift_auto_throttle(push->dev);
	}
	DMINFO("%s: push %s", mig_name(push->dev), pause ? "paused" : "resumed");
	return 0;
}

static int push_mirror(struct mig_push *push, const char **why)
{
	if (mig_mode(push->dev) == DM_MIGRATE_MODE_HANDOFF) {
		*why = "a handoff is pending";
		return -EBUSY;
	}
	spin_lock_irq(&push->lock);
	push->mirror_requested = true;
	spin_unlock_irq(&push->lock);
	WRITE_ONCE(push->paused, false);
	lift_auto_throttle(push->dev);
	return 0;
}

/*
 * Decide the handoff: from now on the device refuses resume and writes
 * (target.c), and the thread drains and asks the peer to take over.
 * Returns at once; the mode says the outcome (HANDED_OFF).
 */
static int push_handoff(struct mig_push *push, const char **why)
{
	struct mig_dev *dev = push->dev;

	if (mig_mode(dev) == DM_MIGRATE_MODE_HANDOFF)
		return 0;		/* already decided: same answer */
	/* dev->suspended changes under ctl_lock, which we hold. */
	if (!dev->suspended) {
		*why = "suspend the device first (dmsetup suspend)";
		return -EBUSY;
	}
	/* The clock starts before the thread can see the mode. */
	push_handoff_clock(push, dev->suspend_ns, ktime_get_ns());
	if (!mig_transition(dev, MIG_T_HANDOFF)) {
		push_handoff_clock(push, 0, 0);
		*why = "the push stopped meanwhile (see status)";
		return -EBUSY;
	}
	WRITE_ONCE(push->paused, false);
	lift_auto_throttle(dev);
	DMINFO("%s: handoff decided (%llu chunks dirty); no writes or resume until %s confirms",
	       mig_name(dev), (unsigned long long)mig_bitmap_dirty(dev->bm),
	       push->addr.text);
	return 0;
}

/* A verb for the running push (control.c, under ctl_lock). */
static int push_command(struct mig_dev *dev, const struct mig_cmd *cmd,
			const char **why)
{
	struct mig_push *push = dev->push;
	int r;

	lockdep_assert_held(&dev->ctl_lock);
	if (mig_mode(dev) == DM_MIGRATE_MODE_HANDED_OFF) {
		*why = "the volume was handed off to the peer";
		return cmd->verb == MIG_V_ABORT ? -EBUSY : -ENOENT;
	}
	if (!push_active(dev)) {
		*why = push && push->thread ?
		       "the push stopped after repeated failures (see status)" :
		       "no push is running";
		return -ENOENT;
	}
	switch (cmd->verb) {
	case MIG_V_SET:
		apply_limits(push, &cmd->lim);
		r = 0;
		break;
	case MIG_V_PAUSE:
	case MIG_V_RESUME:
		r = push_pause(push, cmd->verb == MIG_V_PAUSE, why);
		break;
	case MIG_V_MIRROR:
		r = push_mirror(push, why);
		break;
	case MIG_V_HANDOFF:
		r = push_handoff(push, why);
		break;
	case MIG_V_ABORT:
		return push_abort(push, cmd->force, why);
	default:
		return -EINVAL;
	}
	wake_up(&push->wait);
	return r;
}

static int push_map(struct mig_dev *dev, struct bio *bio)
{
	/* dev->push, once set, lives as long as dev ("Memory" above). */
	struct mig_push *push = READ_ONCE(dev->push);

	if (!push || mig_mode(dev) != DM_MIGRATE_MODE_MIRRORING)
		return DM_MAPIO_REMAPPED;
	return mig_mirror_map(push, bio);
}

/* The handoff's timing so far (racy reads, as status does). */
static void push_handoff_times(struct mig_push *push, u64 *ns)
{
	u64 decided = READ_ONCE(push->ho_decided);
	u64 sent = READ_ONCE(push->ho_sent), done = READ_ONCE(push->ho_done);

	if (!decided)
		return;
	ns[MIG_HO_SUSPEND] = READ_ONCE(push->ho_suspend);
	if (sent)
		ns[MIG_HO_DRAIN] = sent - decided;
	if (done)
		ns[MIG_HO_TOTAL] = done - decided;
	if (sent && done)
		ns[MIG_HO_CONFIRM] = done - sent;
}

/*
 * Under dev->lock: push_destroy() clears dev->push under it when the last
 * table goes.  The fields are read racily, as dm status does.
 */
static void push_snapshot(struct mig_dev *dev, struct mig_status *st)
{
	struct mig_push *push = dev->push;

	if (!push)
		return;
	st->window_peak = READ_ONCE(push->ring_peak);
	st->ack_timeouts = atomic_read(&push->ack_timeouts);
	st->round = atomic_read(&dev->stats.round);
	push_handoff_times(push, st->handoff_ns);
	strscpy(st->peer, push->addr.text, sizeof(st->peer));
	if (!push->thread)
		return;
	st->engine = MIG_ENGINE_PUSH;
	st->failed = READ_ONCE(push->failed);
	st->connected = READ_ONCE(push->connected);
	st->paused = !st->failed && push_paused(push);
	spin_lock(&push->enc_lock);
	st->has_encoding = true;
	st->encoding = push->enc.choice;
	st->encoding_used = mig_encsel_used(&push->enc);
	st->peer_encodings = st->connected ? push->enc.peer : 0;
	/* What the next connection offers: the option, if masks exist. */
	st->subchunk = READ_ONCE(push->lim.subchunk) && READ_ONCE(push->sub);
	st->peer_piece = READ_ONCE(push->peer_piece);
	mig_encsel_explain(&push->enc, st->encoding_why, sizeof(st->encoding_why));
	spin_unlock(&push->enc_lock);
	if (!st->failed && (st->mode == DM_MIGRATE_MODE_BULK ||
			    st->mode == DM_MIGRATE_MODE_DIRTY))
		st->predicted = mig_round_predict(push, st, &st->predict);
}

const struct mig_engine_ops mig_push_engine = {
	.start		= push_start,
	.command	= push_command,
	.active		= push_active,
	.busy		= push_busy,
	.destroy	= push_destroy,
	.snapshot	= push_snapshot,
	.map		= push_map,
};
