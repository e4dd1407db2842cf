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
 * Every sent message stays in the ring until ACKed.  When the connection
 * drops, the chunks of every unacknowledged message and of every chunk not
 * yet sent are marked dirty again, mirrored writes in flight complete to
 * the guest with their chunks marked dirty, and the thread reconnects with
 * backoff.  Nothing is lost and only dirty chunks are sent again.
 */
#include <linux/delay.h>
#include <linux/sched/mm.h>
#include <linux/vmalloc.h>

#include "push.h"

#define HANDOFF_TIMEOUT		(120 * HZ)

static unsigned int ring_used(struct mig_push *push)
{
	return push->tail - push->head;
}

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

	slot->error = mig_bdev_rw(push->bdev,
				  slot->index * push->geom.chunk_sectors,
				  slot->data, len, REQ_OP_READ);
	if (!slot->error) {
		atomic64_add(len, &push->dev->stats.bytes_read);
		encode_run(push, slot);
	}
	memalloc_noio_restore(noio);

	spin_lock_irq(&push->lock);
	push->reading--;
	list_add_tail(&slot->list, &push->ready_slots);
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

/* Sleep as long as the rate limit asks before sending @bytes more. */
static void rate_wait(struct mig_push *push, u32 bytes)
{
	u64 rate = READ_ONCE(push->lim.rate);
	u64 wait;

	if (!rate)
		return;
	wait = mig_pace_admit(&push->pace, ktime_get_ns(), bytes, rate);
	if (wait)
		schedule_timeout_interruptible(nsecs_to_jiffies(wait) ?: 1);
}

/* Append to the unacknowledged ring; the caller checked there is room. */
u64 mig_push_ring_add(struct mig_push *push, u64 first, u64 last,
		      struct mig_mreq *mreq)
{
	struct mig_unacked *u;
	u64 seq;

	spin_lock_irq(&push->lock);
	seq = ++push->next_seq;
	u = &push->fifo[push->tail++ % MIG_WINDOW];
	u->seq = seq;
	u->first = first;
	u->last = last;
	u->mreq = mreq;
	spin_unlock_irq(&push->lock);
	return seq;
}

/* Retire every message up to @seq (acker). */
static void push_ack(struct mig_push *push, u64 seq)
{
	struct mig_mreq *done[16];
	unsigned int n;

	do {
		n = 0;
		spin_lock_irq(&push->lock);
		while (ring_used(push) && n < ARRAY_SIZE(done)) {
			struct mig_unacked *u = &push->fifo[push->head % MIG_WINDOW];

			if (u->seq > seq)
				break;
			if (u->mreq)
				done[n++] = u->mreq;
			push->head++;
		}
		spin_unlock_irq(&push->lock);
		while (n)
			mig_mreq_put(done[--n], true);
	} while (ring_used(push) && push->fifo[push->head % MIG_WINDOW].seq <= seq);
	wake_up(&push->wait);
}

static int acker_fn(void *arg)
{
	struct mig_push *push = arg;
	struct mig_dev *dev = push->dev;
	struct dm_migrate_error perr;
	struct dm_migrate_hdr hdr;
	const char *why;
	int r;

	for (;;) {
		r = mig_recv(push->sock, &hdr, sizeof(hdr));
		if (r)
			break;
		if (mig_wire_check_hdr(&hdr, true, sizeof(perr), &why)) {
			mig_set_error(dev, -EPROTO, "protocol error from peer: %s", why);
			atomic_inc(&dev->stats.protocol_errors);
			r = -EPROTO;
			break;
		}
		if (hdr.type == DM_MIGRATE_MSG_ERROR) {
			r = mig_recv(push->sock, &perr, sizeof(perr));
			if (!r) {
				perr.text[sizeof(perr.text) - 1] = '\0';
				mig_set_error(dev, -ECONNABORTED, "peer closed: %s", perr.text);
				DMERR("%s: peer closed the connection: %s",
				      push->addr.text, perr.text);
			}
			r = -ECONNABORTED;
			break;
		}
		if (hdr.type != DM_MIGRATE_MSG_ACK) {
			mig_set_error(dev, -EPROTO, "protocol error from peer: unexpected message");
			atomic_inc(&dev->stats.protocol_errors);
			r = -EPROTO;
			break;
		}
		push_ack(push, be64_to_cpu(hdr.seq));
	}

	spin_lock_irq(&push->lock);
	if (!push->conn_error)
		push->conn_error = r;
	spin_unlock_irq(&push->lock);
	kernel_sock_shutdown(push->sock, SHUT_RDWR);
	wake_up(&push->wait);

	/* Wait for the thread to reap us. */
	mig_wait_for_stop();
	return 0;
}

static int push_connect(struct mig_push *push)
{
	struct mig_dev *dev = push->dev;
	char err[96] = "";
	int r;

	r = mig_sock_connect(push->net, &push->addr, &push->sock);
	if (r) {
		mig_set_error(dev, r, "cannot connect to %s: error %d",
			      push->addr.text, r);
		return r;
	}
	r = mig_handshake(push->sock, true, &push->geom, &push->key, err,
			  sizeof(err));
	if (r) {
		mig_set_error(dev, r, "%s", err);
		DMERR_LIMIT("%s: %s", push->addr.text, err);
		goto fail;
	}
	push->conn_error = 0;
	push->next_seq = 0;
	push->head = 0;
	push->tail = 0;
	push->acker = kthread_run(acker_fn, push, "dm-migrate-ack");
	if (IS_ERR(push->acker)) {
		r = PTR_ERR(push->acker);
		push->acker = NULL;
		goto fail;
	}
	spin_lock_irq(&push->lock);
	push->connected = true;
	spin_unlock_irq(&push->lock);
	atomic_inc(&dev->stats.connections);
	DMINFO("%s: connected to %s", mig_name(dev), push->addr.text);
	mig_dev_event(dev);
	mig_nl_event(dev, DM_MIGRATE_EV_CONNECTED, 0);
	return 0;
fail:
	mig_sock_close(push->sock);
	push->sock = NULL;
	return r;
}

/*
 * Tear the connection down and put back everything that was not
 * acknowledged: its chunks are dirty again, mirrored writes complete.
 */
static void push_disconnect(struct mig_push *push, int err)
{
	struct mig_slot *slot, *tmp;
	struct mig_mreq *mreq, *mtmp;
	LIST_HEAD(mreqs);

	if (!push->sock)
		return;
	kernel_sock_shutdown(push->sock, SHUT_RDWR);
	if (push->acker)
		kthread_stop(push->acker);
	push->acker = NULL;
	flush_workqueue(push->wq);	/* every slot is now free or ready */

	spin_lock_irq(&push->lock);
	push->connected = false;
	list_for_each_entry_safe(slot, tmp, &push->ready_slots, list) {
		slot_putback(push, slot);
		list_move(&slot->list, &push->free_slots);
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
	sock_release(push->sock);
	push->sock = NULL;

	if (err && err != -EINTR) {
		DMWARN("%s: connection to %s lost (error %d); unacknowledged chunks marked dirty",
		       mig_name(push->dev), push->addr.text, err);
		if (!push->dev->last_error[0])
			mig_set_error(push->dev, err, "connection lost: error %d", err);
	}
	mig_dev_event(push->dev);
	mig_nl_event(push->dev, DM_MIGRATE_EV_DISCONNECTED, err);
}

/* Send the messages of a ready slot; on error, slot->sent says how far. */
static int send_slot(struct mig_push *push, struct mig_slot *slot)
{
	struct mig_dev *dev = push->dev;

	while (slot->sent < slot->nmsgs) {
		struct mig_msg *m = &slot->msgs[slot->sent];
		u32 bytes = sizeof(struct dm_migrate_hdr) + sizeof(m->c) + m->enc_len;
		u32 count = be32_to_cpu(m->c.count);
		u64 seq;
		int r;

		rate_wait(push, bytes);
		seq = mig_push_ring_add(push, m->first, m->last, NULL);
		r = mig_send_msg(push->sock, DM_MIGRATE_MSG_CHUNK, seq, &m->c,
				 sizeof(m->c), slot->enc + m->enc_off, m->enc_len);
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
	u64 max_bytes;
	u32 max_rounds;

	push->cursor = 0;
	/* A pass that found nothing to send is not a round. */
	if (push->round_picked || mode == DM_MIGRATE_MODE_BULK)
		push->round++;
	push->round_picked = 0;
	if (mode == DM_MIGRATE_MODE_BULK)
		mig_set_mode(dev, mode = DM_MIGRATE_MODE_DIRTY);
	if (mode != DM_MIGRATE_MODE_DIRTY)
		return;
	/* The limits may change under us (set_limits): read each once. */
	max_rounds = READ_ONCE(push->lim.max_rounds);
	max_bytes = READ_ONCE(push->lim.max_bytes);
	if (dirty_bytes <= READ_ONCE(push->lim.converge_bytes) ||
	    (max_rounds && push->round > max_rounds) ||
	    (max_bytes && sent >= max_bytes)) {
		DMINFO("%s: converged after %u rounds: %llu dirty chunks, %llu bytes sent",
		       mig_name(dev), push->round - 1,
		       (unsigned long long)dirty, (unsigned long long)sent);
		mig_set_mode(dev, DM_MIGRATE_MODE_CONVERGED);
	}
}

static bool drained(struct mig_push *push)
{
	return !mig_bitmap_dirty(push->dev->bm) && !push->reading &&
	       list_empty(&push->ready_slots) && list_empty(&push->mirror_q) &&
	       !ring_used(push) && !mig_bitmap_dirty(&push->busy);
}

/* Everything is on the peer: send HANDOFF and wait for its ACK. */
static int do_handoff(struct mig_push *push)
{
	struct mig_dev *dev = push->dev;
	int r;

	r = mig_send_msg(push->sock, DM_MIGRATE_MSG_HANDOFF,
			 mig_push_ring_add(push, 1, 0, NULL), NULL, 0, NULL, 0);
	if (r)
		return r;
	wait_event_interruptible_timeout(push->wait,
					 !ring_used(push) || push->conn_error ||
					 kthread_should_stop(), HANDOFF_TIMEOUT);
	if (ring_used(push))
		return push->conn_error ?: -ETIMEDOUT;

	mig_set_mode(dev, DM_MIGRATE_MODE_HANDED_OFF);
	DMINFO("%s: handed off to %s; local writes now fail",
	       mig_name(dev), push->addr.text);
	spin_lock_irq(&push->lock);
	push->handoff_requested = false;
	push->handoff_result = 0;
	spin_unlock_irq(&push->lock);
	complete(&push->handoff_done);
	return 0;
}

/* Wake the idle sender: new mirrored writes or a request. */
static bool idle_wakeup(struct mig_push *push)
{
	return kthread_should_stop() || push->conn_error ||
	       !list_empty(&push->mirror_q) || push->handoff_requested;
}

/* Wake the busy sender: also chunks ready or room to read more. */
static bool busy_wakeup(struct mig_push *push)
{
	return idle_wakeup(push) || !list_empty(&push->ready_slots) ||
	       (!READ_ONCE(push->paused) && !list_empty(&push->free_slots) &&
		ring_used(push) < MIG_WINDOW / 2);
}

/* One pass of the sender: returns an error when the connection broke. */
static int pump(struct mig_push *push)
{
	struct mig_dev *dev = push->dev;
	struct mig_mreq *mreq;
	struct mig_slot *slot;
	bool round_done = false;
	u64 index;
	u32 n;
	int r;

	/* 1. Mirrored writes first: the guest is waiting for them. */
	for (;;) {
		spin_lock_irq(&push->lock);
		mreq = ring_used(push) < MIG_WINDOW - 1 ?
		       list_first_entry_or_null(&push->mirror_q, struct mig_mreq, list) :
		       NULL;
		if (mreq)
			list_del_init(&mreq->list);
		spin_unlock_irq(&push->lock);
		if (!mreq)
			break;
		r = mig_mirror_send(push, mreq);
		if (r)
			return r;
	}

	/* 2. Chunks that are read and encoded. */
	for (;;) {
		spin_lock_irq(&push->lock);
		slot = ring_used(push) + push->run < MIG_WINDOW ?
		       list_first_entry_or_null(&push->ready_slots, struct mig_slot, list) :
		       NULL;
		if (slot)
			list_del_init(&slot->list);
		spin_unlock_irq(&push->lock);
		if (!slot)
			break;
		if (slot->error) {
			mig_set_error(dev, slot->error, "origin read failed: error %d",
				      slot->error);
			DMERR_LIMIT("%s: reading chunk %llu from the origin failed: %d",
				    mig_name(dev),
				    (unsigned long long)slot->index, slot->error);
			slot_putback(push, slot);
			r = 0;
		} else {
			r = send_slot(push, slot);
		}
		spin_lock_irq(&push->lock);
		list_add(&slot->list, r ? &push->ready_slots : &push->free_slots);
		spin_unlock_irq(&push->lock);
		if (r)
			return r;
	}

	/* 3. Start reading more chunks, unless paused. */
	while (!READ_ONCE(push->paused)) {
		spin_lock_irq(&push->lock);
		/* Room in the ring for every slot's messages. */
		slot = ring_used(push) + MIG_SLOTS * push->run < MIG_WINDOW ?
		       list_first_entry_or_null(&push->free_slots, struct mig_slot, list) :
		       NULL;
		spin_unlock_irq(&push->lock);
		if (!slot)
			break;
		if (!pick_run(push, &index, &n)) {
			round_done = true;
			break;
		}
		spin_lock_irq(&push->lock);
		list_del_init(&slot->list);
		push->reading++;
		spin_unlock_irq(&push->lock);
		slot->index = index;
		slot->nchunks = n;
		queue_work(push->wq, &slot->work);
	}

	spin_lock_irq(&push->lock);
	round_done = round_done && !push->reading && list_empty(&push->ready_slots);
	if (push->mirror_requested && mig_mode(dev) != DM_MIGRATE_MODE_MIRRORING) {
		spin_unlock_irq(&push->lock);
		mig_set_mode(dev, DM_MIGRATE_MODE_MIRRORING);
		DMINFO("%s: mirroring writes to %s", mig_name(dev),
		       push->addr.text);
		spin_lock_irq(&push->lock);
	}
	if (push->handoff_requested && drained(push)) {
		spin_unlock_irq(&push->lock);
		return do_handoff(push);
	}
	spin_unlock_irq(&push->lock);

	if (round_done) {
		end_round(push);
		/* Nothing dirty: poll, new writes will be found next pass. */
		if (!mig_bitmap_dirty(dev->bm))
			wait_event_interruptible_timeout(push->wait,
							 idle_wakeup(push), HZ / 20);
		return push->conn_error;
	}

	wait_event_interruptible_timeout(push->wait, busy_wakeup(push), HZ / 10);
	return push->conn_error;
}

static int push_thread(void *arg)
{
	struct mig_push *push = arg;
	unsigned int noio = memalloc_noio_save();
	unsigned int backoff_ms = 100;
	int r;

	while (!kthread_should_stop()) {
		if (mig_mode(push->dev) == DM_MIGRATE_MODE_HANDED_OFF) {
			push_disconnect(push, 0);
			schedule_timeout_interruptible(HZ);
			continue;
		}
		if (!push->sock) {
			r = push_connect(push);
			if (r) {
				wait_event_interruptible_timeout(push->wait,
								 kthread_should_stop(),
								 msecs_to_jiffies(backoff_ms));
				backoff_ms = min(backoff_ms * 2, 5000U);
				continue;
			}
			backoff_ms = 100;
		}
		r = pump(push);
		if (r)
			push_disconnect(push, r);
	}
	push_disconnect(push, 0);
	memalloc_noio_restore(noio);
	return 0;
}

static void push_free(struct mig_push *push)
{
	int i;

	for (i = 0; i < MIG_SLOTS; i++) {
		vfree(push->slots[i].data);
		vfree(push->slots[i].enc);
		kvfree(push->slots[i].msgs);
		mig_codec_destroy(&push->slots[i].codec);
	}
	if (push->wq)
		destroy_workqueue(push->wq);
	bioset_exit(&push->bs);
	mig_bitmap_destroy(&push->busy);
	kvfree(push->fifo);
	memzero_explicit(&push->key, sizeof(push->key));
	kfree(push);
}

/*
 * The engine's memory is allocated at the first push and kept until the
 * device goes away: the I/O path (mirror.c) and bio completions may look
 * at it at any time, and a later push reuses it.
 */
static struct mig_push *push_alloc(struct mig_dev *dev)
{
	u32 chunk_bytes = 512U << dev->chunk_shift;
	struct mig_push *push;
	int i;
	/* Every slot's messages fit in half the ring (see pump()). */
	u32 run = clamp(MIG_RUN_BYTES / chunk_bytes, 1U, MIG_WINDOW / 2 / MIG_SLOTS);

	push = kzalloc(sizeof(*push), GFP_KERNEL);
	if (!push)
		return NULL;
	push->dev = dev;
	push->run = run;
	spin_lock_init(&push->lock);
	init_waitqueue_head(&push->wait);
	INIT_LIST_HEAD(&push->free_slots);
	INIT_LIST_HEAD(&push->ready_slots);
	INIT_LIST_HEAD(&push->mirror_q);
	init_completion(&push->handoff_done);

	push->fifo = kvcalloc(MIG_WINDOW, sizeof(*push->fifo), GFP_KERNEL);
	if (!push->fifo)
		goto fail;
	if (bioset_init(&push->bs, 64, 0, BIOSET_NEED_BVECS))
		goto fail;
	push->wq = alloc_workqueue("dm-migrate-read", WQ_UNBOUND | WQ_MEM_RECLAIM,
				   MIG_SLOTS);
	if (!push->wq)
		goto fail;
	for (i = 0; i < MIG_SLOTS; i++) {
		struct mig_slot *slot = &push->slots[i];

		slot->push = push;
		INIT_WORK(&slot->work, slot_work);
		slot->data = vmalloc((size_t)run * chunk_bytes);
		slot->enc = vmalloc((size_t)run * mig_lzo_worst(chunk_bytes));
		slot->msgs = kvcalloc(run, sizeof(*slot->msgs), GFP_KERNEL);
		if (!slot->data || !slot->enc || !slot->msgs ||
		    mig_codec_init(&slot->codec))
			goto fail;
		list_add_tail(&slot->list, &push->free_slots);
	}
	return push;
fail:
	push_free(push);
	return NULL;
}

/* Apply the limits @lim gives (under ctl_lock). */
static void apply_limits(struct mig_push *push, const struct mig_limits *lim)
{
	struct mig_dev *dev = push->dev;

	if (lim->given & MIG_LIM_RATE)
		WRITE_ONCE(push->lim.rate, lim->rate);
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

	lockdep_assert_held(&dev->ctl_lock);
	if (mig_mode(dev) != DM_MIGRATE_MODE_TRACKING) {
		*why = mig_mode(dev) == DM_MIGRATE_MODE_RECEIVING ?
		       "the device is receiving a migration" :
		       "the device is already migrating (abort it first)";
		return -EBUSY;
	}

	if (!dev->push) {
		dev->push = push_alloc(dev);
		if (!dev->push)
			return -ENOMEM;
	}
	push = dev->push;
	push->geom.dev_sectors = dev->sectors;
	push->geom.chunk_sectors = 1U << dev->chunk_shift;
	if (push->nchunks != mig_geom_chunks(&push->geom)) {
		/* First push, or the device grew since the last one. */
		mig_bitmap_destroy(&push->busy);
		push->nchunks = mig_geom_chunks(&push->geom);
		if (mig_bitmap_init(&push->busy, push->nchunks)) {
			push->nchunks = 0;
			return -ENOMEM;
		}
	}
	defaults.converge_bytes = 8ULL * mig_geom_chunk_bytes(&push->geom);
	apply_limits(push, &defaults);
	apply_limits(push, &s->lim);
	push->pace.vtime_ns = 0;
	push->bdev = dev->bdev;
	push->addr = s->addr;
	push->key = s->key;
	push->round = 0;
	push->round_picked = 0;
	push->cursor = 0;
	push->paused = false;
	push->mirror_requested = false;
	push->handoff_requested = false;
	push->conn_error = 0;
	push->net = get_net(s->net);
	mig_dev_set_net(dev, s->net);

	/* The peer has nothing yet: the bulk pass sends every chunk. */
	mig_stats_reset(&dev->stats);
	mig_clear_error(dev);
	mig_bitmap_set_range(dev->bm, 0, push->nchunks - 1);
	mig_set_mode(dev, DM_MIGRATE_MODE_BULK);

	push->thread = kthread_run(push_thread, push, "dm-migrate-push");
	if (IS_ERR(push->thread)) {
		r = PTR_ERR(push->thread);
		push->thread = NULL;
		put_net(push->net);
		mig_set_mode(dev, DM_MIGRATE_MODE_TRACKING);
		*why = "cannot start the push thread";
		return r;
	}
	DMINFO("%s: pushing to %s", name, push->addr.text);
	return 0;
}

/* Stop the thread; what was not acknowledged is dirty again. */
static void push_stop(struct mig_push *push)
{
	if (!push->thread)
		return;
	kthread_stop(push->thread);
	push->thread = NULL;
	put_net(push->net);
	push->net = NULL;
	mig_throttle_set_rate(&push->dev->throttle, 0);
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
	if (!dev->push || !dev->push->thread) {
		*why = "no push is running";
		return NULL;
	}
	return dev->push;
}

int mig_push_abort(struct mig_dev *dev, const char **why)
{
	if (!running_push(dev, why))
		return mig_mode(dev) == DM_MIGRATE_MODE_HANDED_OFF ? -EBUSY : -ENOENT;
	push_stop(dev->push);
	mig_set_mode(dev, DM_MIGRATE_MODE_TRACKING);
	DMINFO("%s: push aborted; %llu chunks dirty", mig_name(dev),
	       (unsigned long long)mig_bitmap_dirty(dev->bm));
	return 0;
}

int mig_push_pause(struct mig_dev *dev, bool pause, const char **why)
{
	struct mig_push *push = running_push(dev, why);

	if (!push)
		return -ENOENT;
	if (pause && (mig_mode(dev) == DM_MIGRATE_MODE_MIRRORING ||
		      push->mirror_requested)) {
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
	spin_lock_irq(&push->lock);
	push->mirror_requested = true;
	spin_unlock_irq(&push->lock);
	WRITE_ONCE(push->paused, false);
	wake_up(&push->wait);
	return 0;
}

static bool suspended(struct mig_dev *dev)
{
	bool r;

	mutex_lock(&dev->ti_lock);
	r = dev->ti && dm_suspended(dev->ti);
	mutex_unlock(&dev->ti_lock);
	return r;
}

int mig_push_handoff(struct mig_dev *dev, const char **why)
{
	struct mig_push *push = running_push(dev, why);
	long left;

	if (!push)
		return -ENOENT;
	if (!suspended(dev)) {
		*why = "suspend the device first (dmsetup suspend)";
		return -EBUSY;
	}
	reinit_completion(&push->handoff_done);
	spin_lock_irq(&push->lock);
	push->handoff_requested = true;
	push->handoff_result = -ETIMEDOUT;
	spin_unlock_irq(&push->lock);
	WRITE_ONCE(push->paused, false);
	wake_up(&push->wait);

	left = wait_for_completion_killable_timeout(&push->handoff_done,
						    HANDOFF_TIMEOUT);
	if (left <= 0) {
		spin_lock_irq(&push->lock);
		push->handoff_requested = false;
		spin_unlock_irq(&push->lock);
		*why = "the peer did not confirm in time (unreachable or not draining)";
		DMERR("%s: handoff did not complete: peer %s unreachable or not draining",
		      mig_name(dev), push->addr.text);
		return left ? left : -ETIMEDOUT;
	}
	if (push->handoff_result)
		*why = "the peer did not confirm";
	return push->handoff_result;
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

int mig_push_map(struct mig_dev *dev, struct bio *bio, struct mig_io *io)
{
	/* dev->push, once set, lives as long as dev (push_alloc). */
	struct mig_push *push = READ_ONCE(dev->push);

	if (!push || mig_mode(dev) != DM_MIGRATE_MODE_MIRRORING)
		return DM_MAPIO_REMAPPED;
	return mig_mirror_map(push, bio);
}

void mig_push_status(struct mig_dev *dev, char *result, unsigned int maxlen,
		     unsigned int *psz)
{
	struct mig_push *push = READ_ONCE(dev->push);
	unsigned int sz = *psz;

	if (!push || !push->thread)
		DMEMIT(" - - -");
	else
		DMEMIT(" %u %s %s", push->round,
		       mig_mode(dev) == DM_MIGRATE_MODE_HANDED_OFF ? "closed" :
		       READ_ONCE(push->connected) ? "connected" : "connecting",
		       push->addr.text);
	*psz = sz;
}

/*
 * Accessors for status readers (netlink.c).  The push struct lives until
 * the device is freed; its fields are read racily, as dm status does.
 */
bool mig_push_running(struct mig_dev *dev)
{
	return dev->push && dev->push->thread;
}

bool mig_push_connected(struct mig_dev *dev)
{
	return dev->push && READ_ONCE(dev->push->connected);
}

bool mig_push_paused(struct mig_dev *dev)
{
	return mig_push_running(dev) && READ_ONCE(dev->push->paused);
}

unsigned int mig_push_round(struct mig_dev *dev)
{
	return dev->push ? READ_ONCE(dev->push->round) : 0;
}

u64 mig_push_converge_bytes(struct mig_dev *dev)
{
	return dev->push ? READ_ONCE(dev->push->lim.converge_bytes) : 0;
}

const char *mig_push_peer(struct mig_dev *dev)
{
	return dev->push ? dev->push->addr.text : NULL;
}
