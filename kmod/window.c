// SPDX-License-Identifier: GPL-2.0
/*
 * The source's send window: the ring of messages sent and not yet
 * acknowledged (push->fifo, MIG_WINDOW entries), and the acker thread
 * that reads the destination's ACKs and retires them.
 *
 * Threads and locks: the push thread adds entries (mig_window_add(), after
 * admission checked the room); the acker retires them (push_ack()) and
 * completes the mirrored writes they carry; push_disconnect() empties the
 * ring after stopping the acker.  Everything here is under push->lock.
 * The acker also watches for a peer that acknowledges nothing
 * (ack_timeout_ms) and records why a connection ended in conn_error.
 */
#include <linux/moduleparam.h>

#include "push.h"

static unsigned int ack_timeout_ms = 10000;
module_param(ack_timeout_ms, uint, 0644);
MODULE_PARM_DESC(ack_timeout_ms,
		 "Drop a connection whose peer acknowledges nothing for this long while messages wait (0: never)");

/*
 * Append @n entries, one per message about to be sent, the last one a
 * copy of @last; returns the first one's seq.  Admission checked the room
 * (only the thread adds); were it wrong, wrapping would overwrite entries
 * still unacknowledged, so the ring refuses (0) and warns instead.
 */
u64 mig_window_add(struct mig_push *push, unsigned int n, u32 bytes,
		   const struct mig_unacked *last)
{
	u32 end = mig_sock_bytes_queued(push->sock) + bytes;
	struct mig_unacked *u;
	u64 seq = 0;

	spin_lock_irq(&push->lock);
	if (WARN_ON_ONCE(!n || !ring_room(push, n)))
		goto out;
	seq = push->next_seq + 1;
	while (n--) {
		u = &push->fifo[push->tail++ % MIG_WINDOW];
		if (n) {
			memset(u, 0, sizeof(*u));
			u->first = 1;	/* no chunks */
		} else {
			*u = *last;
		}
		u->seq = ++push->next_seq;
		u->queued = jiffies;
		u->end = end;
	}
	push->ring_peak = max(push->ring_peak, ring_used(push));
out:
	spin_unlock_irq(&push->lock);
	return seq;
}

/* Retire every message up to @seq (acker). */
static int push_ack(struct mig_push *push, u64 seq)
{
	struct mig_mreq *done[16];
	unsigned int n, head;
	bool more;

	if (seq > READ_ONCE(push->next_seq))
		return -EPROTO;
	do {
		n = 0;
		spin_lock_irq(&push->lock);
		head = push->head;
		while (ring_used(push) && n < ARRAY_SIZE(done)) {
			struct mig_unacked *u = &push->fifo[push->head % MIG_WINDOW];

			if (u->seq > seq)
				break;
			if (u->mreq)
				done[n++] = u->mreq;
			if (u->handoff)
				push->handoff_acked = true;
			push->head++;
		}
		/* Progress: the peer is alive, and busy chunks may be free. */
		if (push->head != head) {
			push->last_ack = jiffies;
			push->peer_io_errors = 0;
			push->scan_blocked = false;
		}
		more = ring_used(push) &&
		       push->fifo[push->head % MIG_WINDOW].seq <= seq;
		spin_unlock_irq(&push->lock);
		while (n)
			mig_mreq_put(done[--n], true);
	} while (more);
	wake_up(&push->wait);
	return 0;
}

/*
 * The acker's watchdog: has the peer stopped acknowledging?  A peer whose
 * TCP still takes our bytes is reading them (a big message on a slow link
 * takes long to arrive whole); one that neither ACKs a message nor takes
 * a byte for ack_timeout_ms while messages wait is stalled.
 */
static int ack_tick(void *arg)
{
	struct mig_push *push = arg;
	unsigned long limit = msecs_to_jiffies(READ_ONCE(ack_timeout_ms));
	u32 una = mig_sock_bytes_acked(push->sock);
	unsigned long since;
	bool stalled = false;

	if (kthread_should_stop())
		return -EINTR;
	spin_lock_irq(&push->lock);
	if (limit && ring_used(push)) {
		struct mig_unacked *u = &push->fifo[push->head % MIG_WINDOW];

		/* TCP still carries the oldest message: the peer reads. */
		if (una != push->tcp_una && (s32)(una - u->end) < 0)
			push->last_ack = jiffies;
		since = u->queued;
		if (time_after(push->last_ack, since))
			since = push->last_ack;
		stalled = time_after(jiffies, since + limit);
	}
	push->tcp_una = una;
	spin_unlock_irq(&push->lock);
	return stalled ? -ETIMEDOUT : 0;
}

/*
 * Reads push->sock without sock_lock: push_disconnect() stops this thread
 * (kthread_stop) before push_close_sock() releases the socket.
 */
int mig_window_acker(void *arg)
{
	struct mig_push *push = arg;
	struct mig_dev *dev = push->dev;
	struct dm_migrate_error perr;
	struct dm_migrate_hdr hdr;
	const char *why;
	void *payload;
	int r;

	for (;;) {
		r = mig_recv_ticking(push->sock, &hdr, sizeof(hdr), ack_tick, push);
		if (r)
			break;
		if (mig_wire_check_hdr(&hdr, true, sizeof(perr), &why)) {
			mig_set_error(dev, -EPROTO, "protocol error from peer: %s", why);
			atomic_inc(&dev->stats.protocol_errors);
			r = -EPROTO;
			break;
		}
		r = mig_seal_recv(push->seal, push->sock, &hdr, &payload,
				  ack_tick, push);
		if (r == -EBADMSG) {
			mig_set_error(dev, -EPROTO,
				      "a message from the peer failed authentication (altered in transit?)");
			DMERR_LIMIT("%s: a message from %s failed authentication; dropped",
				    mig_name(dev), push->addr.text);
			atomic_inc(&dev->stats.protocol_errors);
			r = -EPROTO;
		}
		if (r)
			break;
		if (hdr.type == DM_MIGRATE_MSG_ERROR) {
			memcpy(&perr, payload, sizeof(perr));
			mig_wire_sanitize(perr.text, sizeof(perr.text));
			mig_set_error(dev, -ECONNABORTED, "peer closed: %s", perr.text);
			DMERR_LIMIT("%s: peer %s closed the connection: %s",
				    mig_name(dev), push->addr.text, perr.text);
			if (be32_to_cpu(perr.code) == DM_MIGRATE_ERR_IO) {
				spin_lock_irq(&push->lock);
				push->peer_io_errors++;
				spin_unlock_irq(&push->lock);
			}
			r = -ECONNABORTED;
			break;
		}
		if (hdr.type != DM_MIGRATE_MSG_ACK ||
		    push_ack(push, be64_to_cpu(hdr.seq))) {
			mig_set_error(dev, -EPROTO, "protocol error from peer: unexpected message");
			atomic_inc(&dev->stats.protocol_errors);
			r = -EPROTO;
			break;
		}
	}

	if (r == -ETIMEDOUT) {
		atomic_inc(&push->ack_timeouts);
		mig_set_error(dev, r,
			      "peer acknowledged nothing for %u ms: connection dropped, unacknowledged data marked dirty",
			      READ_ONCE(ack_timeout_ms));
		DMWARN("%s: peer %s acknowledged nothing for %u ms; dropping the connection",
		       mig_name(dev), push->addr.text, READ_ONCE(ack_timeout_ms));
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
