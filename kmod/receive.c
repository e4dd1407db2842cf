// SPDX-License-Identifier: GPL-2.0
/*
 * The destination engine: listen, authenticate sources, apply the chunks
 * and writes of one connection to the volume in order, acknowledge them
 * once durable, and on HANDOFF flush and become the volume's owner.
 *
 * Threads and locking
 * -------------------
 * rv->acceptor accepts connections and queues each on rv->hs_wq for its
 * handshake, at most MIG_MAX_PENDING at once: when one more arrives the
 * oldest is dropped, so idle or slow clients cannot keep a real source
 * out, and each handshake has a deadline of a few seconds (auth.c).
 * A handshake that authenticates gets a verdict on the session its source
 * names (decide()): FRESH, RESUME or OWNER.  A FRESH or RESUME connection
 * becomes rv->next and preempts the one being served (a source only
 * reconnects when it gave up on the old connection); rv->thread serves
 * one connection at a time, so messages of two connections are never
 * applied interleaved.  rv->lock (a mutex) protects the session, the
 * pending list and the socket pointers.
 *
 * Stopping, and a stalled volume
 * ------------------------------
 * mig_recv_stop() runs under ctl_lock (abort, a push from an owner,
 * teardown): it shuts every socket down, so that the acceptor, the
 * handshakes and the serving thread end at once, and it never waits for
 * the volume: a write or flush stuck in a stalled volume (a suspended dm
 * device, a dead path) would hang abort, status and every control path of
 * the device until the volume answered.  The serving thread does its
 * volume I/O (vol_write(), vol_zero(), vol_flush(): synchronous, from
 * rv->data) between vol_begin() and vol_end(), which keep rv->io under
 * rv->io_lock (a spinlock); none starts once rv->io_stopped is set.  A
 * stop that finds rv->io set does not stop the thread: it marks it
 * rv->detached, moves the receiver to dev->recv_old and returns.  The
 * thread is then the last user of the receiver's memory (its buffer,
 * bio_set, seal, socket): when its I/O returns it acknowledges nothing
 * more, closes the connection and queues dev->recv_reap, which stops the
 * thread and frees the memory (recv_reap()).  Meanwhile mig_recv_start()
 * refuses a new listen (EBUSY); only the last table going waits for the
 * volume (mig_recv_destroy()).
 *
 * What an ACK means
 * -----------------
 * Every message is received whole and its seal opened (seal.c), then
 * checked in full (wire.c: a chunk only in an encoding negotiated on its
 * connection) and, for data, decoded (no decoder writes past the chunk)
 * and CRC-checked into a private buffer before a byte of it is written,
 * so a bad or altered message writes nothing.  ACK(seq) is sent only after everything up
 * to seq was written and the volume flushed: it means durable.  ACKs are
 * batched: one flush covers every message that had arrived by then (at
 * most ACK_BATCH messages or ACK_DELAY between ACKs).
 *
 * Handoff
 * -------
 * HANDOFF makes this host the owner (writes allowed, mode TRACKING) before
 * the ACK goes out.  The receiver then keeps listening: a source whose ACK
 * was lost reconnects and gets the verdict OWNER; no data is accepted any
 * more.  The operator's abort (or removing the device) ends that.
 */
#include <linux/blkdev.h>
#include <linux/kthread.h>
#include <linux/sched/mm.h>
#include <linux/vmalloc.h>

#include "dm-migrate.h"
#include "auth.h"
#include "chunkio.h"
#include "compress.h"
#include "engine.h"
#include "seal.h"
#include "state.h"
#include "transport.h"

#define MIG_MAX_PENDING	8		/* handshakes at once */
#define ACK_BATCH	64		/* messages per ACK at most */
#define ACK_DELAY	(HZ / 10)	/* between ACKs at most, when busy */

struct mig_pending {
	struct list_head list;		/* rv->pending, oldest first */
	struct work_struct work;
	struct mig_recv *rv;
	struct socket *sock;
	struct sockaddr_storage peer;	/* who connected */
	bool dropped;			/* shut down to make room */
	bool handed;			/* the socket went to rv->next */
};

struct mig_recv {
	struct mig_dev *dev;
	struct block_device *bdev;
	struct mig_geom geom;
	struct net *net;
	struct mig_addr addr;
	struct mig_key key;
	struct task_struct *acceptor;
	struct task_struct *thread;
	struct workqueue_struct *hs_wq;
	struct socket *listener;
	struct bio_set bs;
	struct mig_seal *seal;		/* of the connection served */
	void *data;			/* decoded chunk, vmalloc */
	struct mig_decoder dec;		/* the serving thread's decoders */
	u32 encs;			/* the connection served may carry these */

	struct mutex lock;		/* protects the fields below */
	wait_queue_head_t wait;		/* rv->thread waits for rv->next */
	struct list_head pending;
	unsigned int nlisted;		/* entries in @pending */
	unsigned int npending;		/* of them, not dropped */
	struct socket *next;		/* authenticated, to serve next */
	struct mig_pending *next_p;	/* its handshake, until complete */
	bool next_ready;		/* its handshake is complete */
	u8 next_key[DM_MIGRATE_MAC_LEN];	/* its stream key, once ready */
	u32 next_encs;			/* its encodings, once ready */
	struct socket *sock;		/* being served */
	bool stopping;			/* also READ_ONCE by the thread */
	bool has_session;
	bool owner;			/* handed off: this host owns it */
	/* The HANDOFF's timing (ns; thread, read racily by status). */
	u64 ho_start, ho_flush, ho_total;
	struct mig_session session;
	char source[64];		/* address of the source served */
	bool connected;			/* READ_ONCE */

	/* The serving thread's volume I/O ("Stopping, and a stalled volume"). */
	spinlock_t io_lock;		/* protects the three below */
	bool io;			/* the thread is in a volume I/O */
	bool io_stopped;		/* none may start any more */
	bool detached;			/* the stop left the thread to its I/O */
};

/* Result of applying one message. */
enum { WROTE, FLUSHED, HANDED_OFF };

static int proto_error(struct mig_recv *rv, struct socket *sock, const char *why)
{
	struct mig_dev *dev = rv->dev;

	atomic_inc(&dev->stats.protocol_errors);
	mig_set_error(dev, -EPROTO, "protocol error: %s", why);
	DMERR_LIMIT("%s: protocol error from the source: %s; connection closed, nothing written",
		    mig_name(dev), why);
	mig_seal_error(rv->seal, sock, DM_MIGRATE_ERR_PROTOCOL, why);
	return -EPROTO;
}

static int io_error(struct mig_recv *rv, struct socket *sock, int r)
{
	/* Stopped: whatever the volume said, nothing more is acknowledged. */
	if (r == -ESHUTDOWN)
		return r;
	mig_set_error(rv->dev, r, "volume write failed: error %d", r);
	DMERR_LIMIT("%s: writing to the volume failed: %d; connection closed",
		    mig_name(rv->dev), r);
	mig_seal_error(rv->seal, sock, DM_MIGRATE_ERR_IO, "destination volume I/O error");
	return r;
}

/*
 * The serving thread's volume I/O goes between these two: mig_recv_stop()
 * does not wait for a thread in it (see "Stopping, and a stalled volume").
 * No I/O starts after a stop, and one that ends after it counts as not
 * done (-ESHUTDOWN): it is not acknowledged.
 */
static bool vol_begin(struct mig_recv *rv)
{
	bool ok;

	spin_lock(&rv->io_lock);
	ok = !rv->io_stopped;
	rv->io = ok;
	spin_unlock(&rv->io_lock);
	return ok;
}

static int vol_end(struct mig_recv *rv, int r)
{
	spin_lock(&rv->io_lock);
	rv->io = false;
	if (rv->io_stopped)
		r = -ESHUTDOWN;
	spin_unlock(&rv->io_lock);
	return r;
}

/* Write @len bytes of rv->data at @sector. */
static int vol_write(struct mig_recv *rv, sector_t sector, u32 len)
{
	if (!vol_begin(rv))
		return -ESHUTDOWN;
	return vol_end(rv, mig_bdev_rw(rv->bdev, &rv->bs, sector, rv->data,
				       len, REQ_OP_WRITE));
}

static int vol_zero(struct mig_recv *rv, sector_t sector, sector_t nr)
{
	if (!vol_begin(rv))
		return -ESHUTDOWN;
	return vol_end(rv, blkdev_issue_zeroout(rv->bdev, sector, nr, GFP_NOIO, 0));
}

static int vol_flush(struct mig_recv *rv)
{
	if (!vol_begin(rv))
		return -ESHUTDOWN;
	return vol_end(rv, blkdev_issue_flush(rv->bdev));
}

static int apply_chunk(struct mig_recv *rv, struct socket *sock,
		       const void *payload, u32 len)
{
	struct mig_dev *dev = rv->dev;
	struct dm_migrate_chunk c;
	const void *enc = payload + sizeof(c);
	u32 enc_len = len - sizeof(c);
	const char *why;
	sector_t sector;
	int r;

	memcpy(&c, payload, sizeof(c));
	if (mig_wire_check_chunk(&c, enc_len, &rv->geom, rv->encs, &why))
		return proto_error(rv, sock, why);
	sector = be64_to_cpu(c.index) * rv->geom.chunk_sectors;

	if (c.encoding == DM_MIGRATE_ENC_ZERO) {
		u64 end = min_t(u64, rv->geom.dev_sectors,
				(be64_to_cpu(c.index) + be32_to_cpu(c.count)) *
				rv->geom.chunk_sectors);

		r = vol_zero(rv, sector, end - sector);
		if (r)
			return io_error(rv, sock, r);
		atomic64_add(be32_to_cpu(c.count), &dev->stats.chunks);
		atomic64_add(be32_to_cpu(c.count), &dev->stats.zero_chunks);
		atomic64_add(be32_to_cpu(c.count), &dev->stats.enc_chunks[c.encoding]);
		return WROTE;
	}
	if (mig_decode_chunk(&rv->dec, &c, enc, enc_len, rv->data, &why))
		return proto_error(rv, sock, why);
	r = vol_write(rv, sector, be32_to_cpu(c.data_len));
	if (r)
		return io_error(rv, sock, r);
	/* Counted once written: a chunk refused or not written is not. */
	atomic64_inc(&dev->stats.chunks);
	atomic64_inc(&dev->stats.enc_chunks[c.encoding]);
	return WROTE;
}

/*
 * A PIECE: the named sub-blocks of one chunk.  Checked whole, decoded
 * into rv->data and its CRC verified before anything is written; then
 * each run of adjacent sub-blocks is one write, from the buffer's start
 * (bios take whole pages: the run is moved there first; the runs after
 * it lie beyond what it overwrites).
 * Zero pieces are zeroed run by run.  A write that fails leaves the
 * runs before it written: the PIECE is not acknowledged, and the source
 * sends the chunk again (whole, after the reconnect).
 */
static int apply_piece(struct mig_recv *rv, struct socket *sock,
		       const void *payload, u32 len)
{
	struct mig_dev *dev = rv->dev;
	struct dm_migrate_piece p;
	struct dm_migrate_chunk c = {};
	const void *enc = payload + sizeof(p);
	u32 enc_len = len - sizeof(p), mask, sub, chunk, off = 0;
	const char *why;
	sector_t sector;
	int r;

	memcpy(&p, payload, sizeof(p));
	if (mig_wire_check_piece(&p, enc_len, &rv->geom, rv->encs, &why))
		return proto_error(rv, sock, why);
	if (p.encoding != DM_MIGRATE_ENC_ZERO) {
		/* The decoders take a CHUNK header: the fields they read. */
		c.data_len = p.data_len;
		c.crc32c = p.crc32c;
		c.encoding = p.encoding;
		if (mig_decode_chunk(&rv->dec, &c, enc, enc_len, rv->data, &why))
			return proto_error(rv, sock, why);
	}
	sector = be64_to_cpu(p.index) * rv->geom.chunk_sectors;
	sub = mig_geom_sub_sectors(&rv->geom) << 9;
	chunk = mig_chunk_len(&rv->geom, be64_to_cpu(p.index));
	mask = be32_to_cpu(p.mask);
	while (mask) {
		u32 first = __ffs(mask), n = __ffs(~(mask >> first));
		u32 start = first * sub, rlen = min(n * sub, chunk - start);

		mask &= ~(((1U << n) - 1) << first);
		if (p.encoding == DM_MIGRATE_ENC_ZERO) {
			r = vol_zero(rv, sector + (start >> 9), rlen >> 9);
		} else {
			if (off)
				memmove(rv->data, rv->data + off, rlen);
			r = vol_write(rv, sector + (start >> 9), rlen);
		}
		if (r)
			return io_error(rv, sock, r);
		off += rlen;
	}
	atomic64_inc(&dev->stats.chunks);
	atomic64_inc(&dev->stats.pieces);
	atomic64_inc(&dev->stats.enc_chunks[p.encoding]);
	if (p.encoding == DM_MIGRATE_ENC_ZERO)
		atomic64_inc(&dev->stats.zero_chunks);
	return WROTE;
}

/*
 * A mirrored write.  FUA needs nothing of its own: no ACK goes out before
 * a flush that covers the write.
 */
static int apply_write(struct mig_recv *rv, struct socket *sock,
		       void *payload, u32 len)
{
	struct dm_migrate_write w;
	void *data = payload + sizeof(w);
	u32 data_len = len - sizeof(w);
	const char *why;
	int r;

	memcpy(&w, payload, sizeof(w));
	if (mig_wire_check_write(&w, data_len, &rv->geom, &why))
		return proto_error(rv, sock, why);
	if (mig_crc32c(data, data_len) != be32_to_cpu(w.crc32c))
		return proto_error(rv, sock, "write CRC mismatch");
	/* Bios take whole pages: write from our page-aligned buffer. */
	memcpy(rv->data, data, data_len);
	if (be32_to_cpu(w.flags) & DM_MIGRATE_WRITE_PREFLUSH) {
		r = vol_flush(rv);
		if (r)
			return io_error(rv, sock, r);
	}
	r = vol_write(rv, be64_to_cpu(w.sector), data_len);
	if (r)
		return io_error(rv, sock, r);
	atomic64_inc(&rv->dev->stats.writes);
	return WROTE;
}

/* HANDOFF: everything before it is written; make it durable (timed). */
static int apply_handoff(struct mig_recv *rv, struct socket *sock)
{
	u64 t = ktime_get_ns();
	int r;

	rv->ho_start = t;
	r = vol_flush(rv);
	if (r)
		return io_error(rv, sock, r);
	WRITE_ONCE(rv->ho_flush, ktime_get_ns() - t);
	return HANDED_OFF;
}

/* Open message @seq (@hdr received and checked), then act on it. */
static int apply(struct mig_recv *rv, struct socket *sock,
		 const struct dm_migrate_hdr *hdr, u64 seq)
{
	u32 len = be32_to_cpu(hdr->len);
	struct dm_migrate_error perr;
	void *payload;
	int r;

	r = mig_seal_recv(rv->seal, sock, hdr, &payload, NULL, NULL);
	if (r == -EBADMSG)
		return proto_error(rv, sock,
				   "a message failed authentication (altered in transit?)");
	if (r)
		return r;
	/* The header is authentic now: its fields are the source's. */
	if (hdr->type != DM_MIGRATE_MSG_ERROR && be64_to_cpu(hdr->seq) != seq)
		return proto_error(rv, sock, "message out of sequence");
	if (READ_ONCE(rv->owner))
		return proto_error(rv, sock, "data after the handoff");
	switch (hdr->type) {
	case DM_MIGRATE_MSG_CHUNK:
		return apply_chunk(rv, sock, payload, len);
	case DM_MIGRATE_MSG_WRITE:
		return apply_write(rv, sock, payload, len);
	case DM_MIGRATE_MSG_PIECE:
		return apply_piece(rv, sock, payload, len);
	case DM_MIGRATE_MSG_FLUSH:
		r = vol_flush(rv);
		return r ? io_error(rv, sock, r) : FLUSHED;
	case DM_MIGRATE_MSG_HANDOFF:
		return apply_handoff(rv, sock);
	case DM_MIGRATE_MSG_ERROR:
		memcpy(&perr, payload, sizeof(perr));
		mig_wire_sanitize(perr.text, sizeof(perr.text));
		mig_set_error(rv->dev, -ECONNABORTED, "source closed: %s", perr.text);
		return -ECONNABORTED;
	default:
		return proto_error(rv, sock, "unexpected message type");
	}
}

/*
 * The volume is ours now: before the ACK that tells the source so.  Not
 * if the operator stopped the receiver meanwhile: then nothing commits,
 * nothing is acknowledged, and the source stays in its pending handoff.
 */
static int commit_handoff(struct mig_recv *rv)
{
	struct mig_dev *dev = rv->dev;

	mutex_lock(&rv->lock);
	if (!rv->stopping)
		rv->owner = true;
	mutex_unlock(&rv->lock);
	if (!rv->owner)
		return -ESHUTDOWN;
	/* Pages cached from reads during the migration are stale. */
	invalidate_bdev(dm_disk(dev->md)->part0);
	mig_transition(dev, MIG_T_TOOK_OVER);
	DMINFO("%s: handoff complete; this host now owns the volume",
	       mig_name(dev));
	return 0;
}

/* Make everything up to @seq durable, then say so. */
static int ack(struct mig_recv *rv, struct socket *sock, u64 seq,
	       bool *unflushed)
{
	int r;

	if (*unflushed) {
		r = vol_flush(rv);
		if (r)
			return io_error(rv, sock, r);
		*unflushed = false;
	}
	return mig_seal_send(rv->seal, sock, DM_MIGRATE_MSG_ACK, seq, NULL, 0,
			     NULL, 0);
}

/* Serve one authenticated connection until it ends or hands off. */
static int serve(struct mig_recv *rv, struct socket *sock)
{
	u32 max = mig_wire_max_payload(&rv->geom);
	unsigned long since = 0;
	struct dm_migrate_hdr hdr;
	u64 seq = 0, acked = 0;
	bool unflushed = false;
	const char *why;
	int r;

	for (;;) {
		r = mig_recv(sock, &hdr, sizeof(hdr));
		if (r)
			return r;
		if (mig_wire_check_hdr(&hdr, true, max, &why))
			return proto_error(rv, sock, why);
		/*
		 * Its payload is not all here (a big message on a slow
		 * link): acknowledge what is applied before waiting for it.
		 */
		if (seq != acked &&
		    !mig_sock_payload_ready(sock, be32_to_cpu(hdr.len) +
						  DM_MIGRATE_TAG_LEN)) {
			r = ack(rv, sock, seq, &unflushed);
			if (r)
				return r;
			acked = seq;
		}
		atomic64_add(mig_sealed_len(be32_to_cpu(hdr.len)),
			     &rv->dev->stats.bytes_wire);
		r = apply(rv, sock, &hdr, seq + 1);
		if (r < 0)
			return r;
		if (seq++ == acked)
			since = jiffies;
		unflushed = r == WROTE || (unflushed && r != FLUSHED && r != HANDED_OFF);
		if (r == HANDED_OFF) {
			r = commit_handoff(rv);
			if (r)
				return r;
			mig_seal_send(rv->seal, sock, DM_MIGRATE_MSG_ACK, seq,
				      NULL, 0, NULL, 0);
			WRITE_ONCE(rv->ho_total, ktime_get_ns() - rv->ho_start);
			return 0;
		}
		/* More is waiting: let one flush and one ACK cover it too. */
		if (mig_sock_payload_ready(sock, 1) && seq - acked < ACK_BATCH &&
		    time_before(jiffies, since + ACK_DELAY))
			continue;
		r = ack(rv, sock, seq, &unflushed);
		if (r)
			return r;
		acked = seq;
	}
}

static int serve_thread(void *arg)
{
	struct mig_recv *rv = arg;
	struct mig_dev *dev = rv->dev;
	unsigned int noio = memalloc_noio_save();
	u8 key[DM_MIGRATE_MAC_LEN];
	struct socket *sock;
	bool detached;
	int r;

	for (;;) {
		wait_event_interruptible(rv->wait, kthread_should_stop() ||
					 READ_ONCE(rv->stopping) ||
					 READ_ONCE(rv->next_ready));
		if (kthread_should_stop() || READ_ONCE(rv->stopping))
			break;
		mutex_lock(&rv->lock);
		sock = rv->next_ready ? rv->next : NULL;
		if (sock) {
			rv->next = NULL;
			rv->next_ready = false;
			rv->sock = sock;
			rv->encs = rv->next_encs;
			mig_sock_peer_text(sock, rv->source, sizeof(rv->source));
			memcpy(key, rv->next_key, sizeof(key));
			memzero_explicit(rv->next_key, sizeof(rv->next_key));
		}
		mutex_unlock(&rv->lock);
		if (!sock)
			continue;
		r = mig_seal_rekey(rv->seal, key, false);
		memzero_explicit(key, sizeof(key));
		if (r) {
			mig_set_error(dev, r, "cannot key the connection: error %d", r);
			goto closed;
		}

		atomic_inc(&dev->stats.connections);
		WRITE_ONCE(rv->connected, true);
		DMINFO("%s: source %s connected", mig_name(dev), rv->source);
		mig_dev_event(dev);
		mig_event(dev, DM_MIGRATE_EV_CONNECTED, 0);
		mig_sock_memalloc(sock, true);
		r = serve(rv, sock);
		mig_seal_wipe(rv->seal);
		mig_sock_memalloc(sock, false);
		WRITE_ONCE(rv->connected, false);
		if (r) {
			DMWARN("%s: source connection ended (error %d)",
			       mig_name(dev), r);
			mig_event(dev, DM_MIGRATE_EV_DISCONNECTED, r);
		}
closed:
		mutex_lock(&rv->lock);
		rv->sock = NULL;
		mutex_unlock(&rv->lock);
		mig_sock_close(sock);
		mig_dev_event(dev);
	}
	/*
	 * A stop that found us in a volume I/O left the rest to us: that
	 * I/O is over now, so the memory may go (recv_reap() stops us).
	 */
	spin_lock(&rv->io_lock);
	detached = rv->detached;
	spin_unlock(&rv->io_lock);
	if (detached)
		queue_work(system_wq, &dev->recv_reap);
	while (!kthread_should_stop())
		wait_event_interruptible(rv->wait, kthread_should_stop());
	memalloc_noio_restore(noio);
	return 0;
}

/* What the handshake worker needs in decide(). */
struct hs_ctx {
	struct mig_recv *rv;
	struct mig_pending *p;
};

/*
 * The verdict on the session an authenticated source names (rv->lock not
 * held by the caller).  A newer generation of our session resumes and
 * preempts the connection being served; another session starts afresh;
 * once handed off, only our own session is answered (OWNER).
 */
static int decide(void *arg, const struct mig_session *s, u32 *code)
{
	struct hs_ctx *c = arg;
	struct mig_recv *rv = c->rv;
	bool same;
	int r;

	mutex_lock(&rv->lock);
	same = rv->has_session &&
	       !memcmp(rv->session.id, s->id, sizeof(s->id));
	if (rv->stopping || c->p->dropped ||
	    (same && s->generation <= rv->session.generation)) {
		*code = DM_MIGRATE_ERR_BUSY;
		r = -ESTALE;
		goto out;
	}
	if (rv->owner) {
		*code = DM_MIGRATE_ERR_OWNER;
		r = same ? DM_MIGRATE_VERDICT_OWNER : -EPERM;
		goto out;
	}
	r = same ? DM_MIGRATE_VERDICT_RESUME : DM_MIGRATE_VERDICT_FRESH;
	rv->session = *s;
	rv->has_session = true;

	/* This connection is served next; it is no longer pending. */
	list_del_init(&c->p->list);
	rv->nlisted--;
	rv->npending--;
	c->p->handed = true;
	if (rv->next_ready) {
		mig_sock_close(rv->next);
		memzero_explicit(rv->next_key, sizeof(rv->next_key));
	} else if (rv->next) {
		/* Still in its handshake: its worker closes it. */
		kernel_sock_shutdown(rv->next, SHUT_RDWR);
		rv->next_p->handed = false;
	}
	rv->next = c->p->sock;
	rv->next_p = c->p;
	rv->next_ready = false;
	if (rv->sock)
		kernel_sock_shutdown(rv->sock, SHUT_RDWR);
out:
	if (r >= 0 && rv->owner)
		rv->session.generation = s->generation;
	mutex_unlock(&rv->lock);
	return r;
}

static void hs_work(struct work_struct *work)
{
	struct mig_pending *p = container_of(work, struct mig_pending, work);
	struct mig_recv *rv = p->rv;
	struct mig_dev *dev = rv->dev;
	struct hs_ctx ctx = { .rv = rv, .p = p };
	unsigned int noio = memalloc_noio_save();
	u8 key[DM_MIGRATE_MAC_LEN];
	/* We decode every encoding, and take PIECE. */
	u32 encs = MIG_ENC_KNOWN | DM_MIGRATE_HELLO_PIECE;
	char err[96] = "";
	int r;

	r = mig_handshake_dest(p->sock, &rv->geom, &rv->key, &encs, decide,
			       &ctx, key, err, sizeof(err));

	mutex_lock(&rv->lock);
	if (!p->handed && !list_empty(&p->list)) {
		list_del(&p->list);
		rv->nlisted--;
		if (!p->dropped)
			rv->npending--;
	} else if (p->handed) {
		/* Served from now on, or dropped if its AUTH did not go out. */
		rv->next_p = NULL;
		if (r < 0) {
			rv->next = NULL;
		} else {
			memcpy(rv->next_key, key, sizeof(key));
			rv->next_encs = encs;
			WRITE_ONCE(rv->next_ready, true);
		}
		p->handed = r >= 0;
	}
	mutex_unlock(&rv->lock);
	memzero_explicit(key, sizeof(key));
	wake_up(&rv->wait);

	if (r == DM_MIGRATE_VERDICT_OWNER) {
		DMINFO("%s: told a reconnecting source that the handoff is done",
		       mig_name(dev));
	} else if (r < 0 && !p->dropped && r != -ESTALE) {
		atomic_inc(&dev->stats.protocol_errors);
		mig_set_error(dev, r, "%s", err);
		DMERR_LIMIT("%s: refused a source: %s", mig_name(dev), err);
	}
	if (!p->handed)
		mig_sock_close(p->sock);
	memalloc_noio_restore(noio);
	kfree(p);
}

static bool same_host(const struct sockaddr_storage *a,
		      const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
		       ((const struct sockaddr_in *)b)->sin_addr.s_addr;
	return !memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
		       &((const struct sockaddr_in6 *)b)->sin6_addr,
		       sizeof(struct in6_addr));
}

/* Handshakes pending from @p's host, not dropped. */
static unsigned int host_pending(struct mig_recv *rv, struct mig_pending *p)
{
	struct mig_pending *q;
	unsigned int n = 0;

	list_for_each_entry(q, &rv->pending, list)
		n += !q->dropped && same_host(&p->peer, &q->peer);
	return n;
}

/*
 * Make room for one more handshake: shut down the oldest one of the host
 * with the most pending, so that one host flooding the port evicts its
 * own connections, not the real source's.
 */
static void drop_oldest(struct mig_recv *rv)
{
	struct mig_pending *p, *victim = NULL;
	unsigned int n, most = 0;

	list_for_each_entry(p, &rv->pending, list) {
		if (p->dropped)
			continue;
		n = host_pending(rv, p);
		if (n > most) {
			most = n;
			victim = p;
		}
	}
	p = victim;
	if (p) {
		p->dropped = true;
		rv->npending--;
		kernel_sock_shutdown(p->sock, SHUT_RDWR);
		DMWARN_LIMIT("%s: too many handshakes; dropped the busiest host's oldest",
			     mig_name(rv->dev));
	}
}

static int accept_thread(void *arg)
{
	struct mig_recv *rv = arg;
	struct mig_pending *p;
	struct socket *sock;

	while (!kthread_should_stop()) {
		if (mig_sock_accept(rv->listener, &sock)) {
			schedule_timeout_interruptible(HZ / 10);
			continue;
		}
		p = kzalloc(sizeof(*p), GFP_KERNEL);
		if (!p) {
			mig_sock_close(sock);
			continue;
		}
		p->rv = rv;
		p->sock = sock;
		if (kernel_getpeername(sock, (struct sockaddr *)&p->peer) < 0)
			p->peer.ss_family = AF_UNSPEC;
		INIT_WORK(&p->work, hs_work);
		mutex_lock(&rv->lock);
		/* Dropped ones linger until their worker ran: bound them too. */
		if (rv->stopping || rv->nlisted >= 4 * MIG_MAX_PENDING) {
			mutex_unlock(&rv->lock);
			mig_sock_close(sock);
			kfree(p);
			continue;
		}
		if (rv->npending >= MIG_MAX_PENDING)
			drop_oldest(rv);
		list_add_tail(&p->list, &rv->pending);
		rv->nlisted++;
		rv->npending++;
		mutex_unlock(&rv->lock);
		queue_work(rv->hs_wq, &p->work);
	}
	return 0;
}

static void recv_free(struct mig_recv *rv)
{
	if (rv->hs_wq)
		destroy_workqueue(rv->hs_wq);
	bioset_exit(&rv->bs);
	mig_seal_free(rv->seal);
	vfree(rv->data);
	mig_decoder_destroy(&rv->dec);
	if (rv->net)
		put_net(rv->net);
	memzero_explicit(&rv->key, sizeof(rv->key));
	kfree_sensitive(rv);	/* next_key */
}

static int mig_recv_start(struct mig_dev *dev, const struct mig_start *s,
			  const char **why)
{
	const char *name = mig_name(dev);
	struct mig_recv *rv;
	int r;

	lockdep_assert_held(&dev->ctl_lock);
	if (mig_mode(dev) != DM_MIGRATE_MODE_RECEIVING || dev->recv) {
		*why = dev->recv ? "already listening" :
		       "the table has no 'receive' feature";
		return -EBUSY;
	}
	if (READ_ONCE(dev->recv_old)) {
		*why = "a write of the stopped receiver still waits for the volume: retry later";
		return -EBUSY;
	}
	rv = kzalloc(sizeof(*rv), GFP_KERNEL);
	if (!rv)
		return -ENOMEM;
	rv->dev = dev;
	rv->bdev = dev->bdev;
	rv->geom.dev_sectors = dev->sectors;
	rv->geom.chunk_sectors = 1U << dev->chunk_shift;
	mutex_init(&rv->lock);
	spin_lock_init(&rv->io_lock);
	init_waitqueue_head(&rv->wait);
	INIT_LIST_HEAD(&rv->pending);
	rv->addr = s->addr;
	rv->key = s->key;
	strscpy(rv->source, "-", sizeof(rv->source));

	r = -ENOMEM;
	rv->seal = mig_seal_alloc(sizeof(struct dm_migrate_error),
				  mig_wire_max_payload(&rv->geom), why);
	if (IS_ERR(rv->seal)) {
		r = PTR_ERR(rv->seal);
		rv->seal = NULL;
		goto fail;
	}
	r = -ENOMEM;
	rv->data = vmalloc(mig_geom_chunk_bytes(&rv->geom));
	rv->hs_wq = alloc_workqueue("dm-migrate-hs", WQ_UNBOUND, MIG_MAX_PENDING);
	if (!rv->data || !rv->hs_wq || mig_decoder_init(&rv->dec) ||
	    bioset_init(&rv->bs, 4, 0, BIOSET_NEED_BVECS))
		goto fail;
	rv->net = get_net(s->net);
	r = mig_sock_listen(rv->net, &rv->addr, &rv->listener);
	if (r) {
		DMERR("%s: cannot listen on %s: error %d", name, rv->addr.text, r);
		*why = r == -EADDRINUSE ? "the address is in use" :
		       r == -EADDRNOTAVAIL ? "the address is not on this host (or namespace)" :
		       "cannot listen on the address";
		goto fail;
	}
	rv->thread = kthread_run(serve_thread, rv, "dm-migrate-recv");
	if (IS_ERR(rv->thread)) {
		r = PTR_ERR(rv->thread);
		goto fail_listener;
	}
	rv->acceptor = kthread_run(accept_thread, rv, "dm-migrate-accept");
	if (IS_ERR(rv->acceptor)) {
		r = PTR_ERR(rv->acceptor);
		kthread_stop(rv->thread);
		goto fail_listener;
	}
	mig_stats_reset(&dev->stats);
	mig_clear_error(dev);
	mig_dev_set_net(dev, s->net);
	mutex_lock(&dev->lock);		/* status readers look at dev->recv */
	dev->recv = rv;
	mutex_unlock(&dev->lock);
	DMINFO("%s: listening on %s", name, rv->addr.text);
	return 0;
fail_listener:
	mig_sock_close(rv->listener);
fail:
	recv_free(rv);
	return r;
}

/*
 * Stop the receiver without waiting for the volume (see "Stopping, and a
 * stalled volume"): a serving thread stuck in a volume I/O is left to it,
 * and frees the receiver when it returns.
 */
static void mig_recv_stop(struct mig_dev *dev)
{
	struct mig_recv *rv = dev->recv;
	struct mig_pending *p;
	struct socket *next;
	bool stuck;

	lockdep_assert_held(&dev->ctl_lock);
	if (!rv)
		return;
	mutex_lock(&rv->lock);
	rv->stopping = true;
	if (rv->owner)
		DMWARN("%s: no longer answering the old source; this host owns the volume",
		       mig_name(dev));
	kernel_sock_shutdown(rv->listener, SHUT_RDWR);
	list_for_each_entry(p, &rv->pending, list)
		kernel_sock_shutdown(p->sock, SHUT_RDWR);
	if (rv->next)
		kernel_sock_shutdown(rv->next, SHUT_RDWR);
	if (rv->sock)
		kernel_sock_shutdown(rv->sock, SHUT_RDWR);
	mutex_unlock(&rv->lock);
	spin_lock(&rv->io_lock);
	rv->io_stopped = true;		/* no volume I/O starts any more */
	spin_unlock(&rv->io_lock);
	wake_up(&rv->wait);

	/* Neither waits for the volume; handshakes end at their deadline. */
	kthread_stop(rv->acceptor);
	flush_workqueue(rv->hs_wq);	/* every handshake is over */
	mutex_lock(&rv->lock);
	next = rv->next;
	rv->next = NULL;
	rv->next_ready = false;
	mutex_unlock(&rv->lock);
	mig_sock_close(next);
	sock_release(rv->listener);
	rv->listener = NULL;

	mutex_lock(&dev->lock);		/* status readers look at dev->recv */
	dev->recv = NULL;
	mutex_unlock(&dev->lock);
	/*
	 * The thread is in a volume I/O that may never return: leave the
	 * receiver to it (recv_reap()).  Not a byte of rv is ours after
	 * the unlock.
	 */
	spin_lock(&rv->io_lock);
	stuck = rv->io;
	if (stuck) {
		rv->detached = true;
		WRITE_ONCE(dev->recv_old, rv);
	}
	spin_unlock(&rv->io_lock);
	if (stuck) {
		DMWARN("%s: receiver stopped; memory kept until its stuck volume I/O returns",
		       mig_name(dev));
		return;
	}
	kthread_stop(rv->thread);
	recv_free(rv);
}

/*
 * A detached serving thread's volume I/O returned (it queued us): stop it
 * and free the receiver.  Runs without ctl_lock (mig_recv_destroy() waits
 * for us under it).
 */
static void recv_reap(struct work_struct *work)
{
	struct mig_dev *dev = container_of(work, struct mig_dev, recv_reap);
	struct mig_recv *rv = READ_ONCE(dev->recv_old);

	kthread_stop(rv->thread);
	recv_free(rv);
	DMINFO("%s: the stopped receiver's volume I/O returned; its memory is freed",
	       mig_name(dev));
	WRITE_ONCE(dev->recv_old, NULL);
	smp_mb();	/* the store, then wake_up_var()'s look for waiters */
	wake_up_var(&dev->recv_old);
}

static void mig_recv_init(struct mig_dev *dev)
{
	INIT_WORK(&dev->recv_reap, recv_reap);
}

/*
 * The last table goes: stop the receiver and, only here, wait for the
 * volume to return a stuck I/O (the origin is released after us).
 */
static void mig_recv_destroy(struct mig_dev *dev)
{
	lockdep_assert_held(&dev->ctl_lock);
	mig_recv_stop(dev);
	if (READ_ONCE(dev->recv_old))
		DMWARN("%s: removal waits for the stopped receiver's volume I/O",
		       mig_name(dev));
	wait_var_event(&dev->recv_old, !READ_ONCE(dev->recv_old));
	flush_work(&dev->recv_reap);	/* it may still be returning */
}

/* Running: the verbs after MIG_V_SET are its. */
static bool mig_recv_active(struct mig_dev *dev)
{
	return dev->recv;
}

/* Running, or stopped with a volume I/O still out (no grow then). */
static bool mig_recv_busy(struct mig_dev *dev)
{
	return dev->recv || READ_ONCE(dev->recv_old);
}

/* Of the verbs after MIG_V_SET, a receiver knows abort: it stops. */
static int mig_recv_command(struct mig_dev *dev, const struct mig_cmd *cmd,
			    const char **why)
{
	if (cmd->verb != MIG_V_ABORT) {
		*why = "no push is running";
		return -ENOENT;
	}
	mig_recv_stop(dev);
	return 0;
}

/* Under dev->lock (the status path); a receiver outranks a push. */
static void mig_recv_snapshot(struct mig_dev *dev, struct mig_status *st)
{
	struct mig_recv *rv = dev->recv;

	if (!rv)
		return;
	st->engine = MIG_ENGINE_RECV;
	st->owner = READ_ONCE(rv->owner);
	st->connected = READ_ONCE(rv->connected);
	/* Its own timing only, none of a push's. */
	memset(st->handoff_ns, 0, sizeof(st->handoff_ns));
	st->handoff_ns[MIG_HO_TOTAL] = READ_ONCE(rv->ho_total);
	st->handoff_ns[MIG_HO_FLUSH] = READ_ONCE(rv->ho_flush);
	strscpy(st->peer, rv->addr.text, sizeof(st->peer));
	mutex_lock(&rv->lock);
	strscpy(st->source, rv->source, sizeof(st->source));
	mutex_unlock(&rv->lock);
}

const struct mig_engine_ops mig_recv_engine = {
	.init		= mig_recv_init,
	.start		= mig_recv_start,
	.command	= mig_recv_command,
	.active		= mig_recv_active,
	.busy		= mig_recv_busy,
	.stop		= mig_recv_stop,
	.destroy	= mig_recv_destroy,
	.snapshot	= mig_recv_snapshot,
};
