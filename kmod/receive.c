// SPDX-License-Identifier: GPL-2.0
/*
 * The destination engine: listen, authenticate the source, apply its
 * chunks and writes to the volume in order, acknowledge them, and on
 * HANDOFF flush and become a plain tracking pass-through.
 *
 * One thread, one connection at a time.  Every message is checked in full
 * (wire.c) and, for data, decoded and CRC-checked into a private buffer
 * before a byte of it is written, so a bad message writes nothing: the
 * connection is closed with an ERROR and the protocol error counter rises.
 * ACKs are sent after the write completed (and after the flush, for FLUSH
 * and HANDOFF), so an ACK means the data is on the volume.
 */
#include <linux/blkdev.h>
#include <linux/kthread.h>
#include <linux/sched/mm.h>
#include <linux/vmalloc.h>

#include "dm-migrate.h"
#include "compress.h"
#include "transport.h"

struct mig_recv {
	struct mig_dev *dev;
	struct block_device *bdev;
	struct mig_geom geom;
	struct net *net;
	struct mig_addr addr;
	struct mig_key key;
	struct task_struct *thread;
	struct socket *listener;
	struct socket *sock;		/* current connection, under lock */
	spinlock_t lock;
	bool connected;
	void *buf;			/* encoded payload, vmalloc */
	void *data;			/* decoded chunk, vmalloc */
};

/* Result of applying one message. */
enum { APPLIED, HANDED_OFF };

static int proto_error(struct mig_recv *rv, struct socket *sock, const char *why)
{
	struct mig_dev *dev = rv->dev;

	atomic_inc(&dev->stats.protocol_errors);
	mig_set_error(dev, -EPROTO, "protocol error: %s", why);
	DMERR_LIMIT("%s: protocol error from the source: %s; connection closed, nothing written",
		    mig_name(dev), why);
	mig_send_error(sock, DM_MIGRATE_ERR_PROTOCOL, why);
	return -EPROTO;
}

static int io_error(struct mig_recv *rv, struct socket *sock, int r)
{
	mig_set_error(rv->dev, r, "volume write failed: error %d", r);
	DMERR_LIMIT("%s: writing to the volume failed: %d; connection closed",
		    mig_name(rv->dev), r);
	mig_send_error(sock, DM_MIGRATE_ERR_IO, "destination volume I/O error");
	return r;
}

static int apply_chunk(struct mig_recv *rv, struct socket *sock, u32 len)
{
	struct mig_dev *dev = rv->dev;
	struct dm_migrate_chunk c;
	u32 enc_len = len - sizeof(c);
	const char *why;
	sector_t sector;
	int r;

	r = mig_recv(sock, &c, sizeof(c));
	if (r)
		return r;
	if (mig_wire_check_chunk(&c, enc_len, &rv->geom, &why))
		return proto_error(rv, sock, why);
	r = mig_recv(sock, rv->buf, enc_len);
	if (r)
		return r;
	sector = be64_to_cpu(c.index) * rv->geom.chunk_sectors;

	if (c.encoding == DM_MIGRATE_ENC_ZERO) {
		u64 end = min_t(u64, rv->geom.dev_sectors,
				(be64_to_cpu(c.index) + be32_to_cpu(c.count)) *
				rv->geom.chunk_sectors);

		r = blkdev_issue_zeroout(rv->bdev, sector, end - sector,
					 GFP_NOIO, 0);
		if (r)
			return io_error(rv, sock, r);
		atomic64_add(be32_to_cpu(c.count), &dev->stats.chunks);
		atomic64_add(be32_to_cpu(c.count), &dev->stats.zero_chunks);
		return APPLIED;
	}
	if (mig_decode_chunk(&c, rv->buf, enc_len, rv->data, &why))
		return proto_error(rv, sock, why);
	r = mig_bdev_rw(rv->bdev, sector, rv->data, be32_to_cpu(c.data_len),
			REQ_OP_WRITE);
	if (r)
		return io_error(rv, sock, r);
	atomic64_inc(&dev->stats.chunks);
	return APPLIED;
}

static int apply_write(struct mig_recv *rv, struct socket *sock, u32 len)
{
	struct dm_migrate_write w;
	u32 data_len = len - sizeof(w);
	const char *why;
	blk_opf_t opf = REQ_OP_WRITE;
	u32 flags;
	int r;

	r = mig_recv(sock, &w, sizeof(w));
	if (r)
		return r;
	if (mig_wire_check_write(&w, data_len, &rv->geom, &why))
		return proto_error(rv, sock, why);
	r = mig_recv(sock, rv->data, data_len);
	if (r)
		return r;
	if (mig_crc32c(rv->data, data_len) != be32_to_cpu(w.crc32c))
		return proto_error(rv, sock, "write CRC mismatch");
	flags = be32_to_cpu(w.flags);
	if (flags & DM_MIGRATE_WRITE_PREFLUSH) {
		r = blkdev_issue_flush(rv->bdev);
		if (r)
			return io_error(rv, sock, r);
	}
	if (flags & DM_MIGRATE_WRITE_FUA)
		opf |= REQ_FUA;
	r = mig_bdev_rw(rv->bdev, be64_to_cpu(w.sector), rv->data, data_len, opf);
	if (r)
		return io_error(rv, sock, r);
	atomic64_inc(&rv->dev->stats.writes);
	return APPLIED;
}

static int apply(struct mig_recv *rv, struct socket *sock,
		 const struct dm_migrate_hdr *hdr)
{
	u32 len = be32_to_cpu(hdr->len);
	struct dm_migrate_error perr;
	int r;

	switch (hdr->type) {
	case DM_MIGRATE_MSG_CHUNK:
		return apply_chunk(rv, sock, len);
	case DM_MIGRATE_MSG_WRITE:
		return apply_write(rv, sock, len);
	case DM_MIGRATE_MSG_FLUSH:
	case DM_MIGRATE_MSG_HANDOFF:
		r = blkdev_issue_flush(rv->bdev);
		if (r)
			return io_error(rv, sock, r);
		return hdr->type == DM_MIGRATE_MSG_HANDOFF ? HANDED_OFF : APPLIED;
	case DM_MIGRATE_MSG_ERROR:
		r = mig_recv(sock, &perr, sizeof(perr));
		if (!r) {
			perr.text[sizeof(perr.text) - 1] = '\0';
			mig_set_error(rv->dev, -ECONNABORTED, "source closed: %s", perr.text);
		}
		return -ECONNABORTED;
	default:
		return proto_error(rv, sock, "unexpected message type");
	}
}

/* Serve one authenticated connection until it ends or hands off. */
static int serve(struct mig_recv *rv, struct socket *sock)
{
	u32 max = mig_wire_max_payload(&rv->geom);
	struct dm_migrate_hdr hdr;
	const char *why;
	u64 expect = 1;
	int r;

	for (;;) {
		r = mig_recv(sock, &hdr, sizeof(hdr));
		if (r)
			return r;
		if (mig_wire_check_hdr(&hdr, true, max, &why))
			return proto_error(rv, sock, why);
		if (hdr.type != DM_MIGRATE_MSG_ERROR &&
		    be64_to_cpu(hdr.seq) != expect)
			return proto_error(rv, sock, "message out of sequence");
		atomic64_add(sizeof(hdr) + be32_to_cpu(hdr.len),
			     &rv->dev->stats.bytes_wire);
		r = apply(rv, sock, &hdr);
		if (r < 0)
			return r;
		expect++;
		if (r == HANDED_OFF) {
			/* Pages cached from reads during the migration are stale. */
			invalidate_bdev(dm_disk(rv->dev->md)->part0);
			mig_set_mode(rv->dev, DM_MIGRATE_MODE_TRACKING);
			mig_nl_event(rv->dev, DM_MIGRATE_EV_HANDOFF_DONE, 0);
		}
		r = mig_send_msg(sock, DM_MIGRATE_MSG_ACK, be64_to_cpu(hdr.seq),
				 NULL, 0, NULL, 0) ?: r;
		if (r)
			return r;
	}
}

static int recv_thread(void *arg)
{
	struct mig_recv *rv = arg;
	struct mig_dev *dev = rv->dev;
	unsigned int noio = memalloc_noio_save();
	struct socket *sock;
	char err[96];
	int r;

	while (!kthread_should_stop() &&
	       mig_mode(dev) == DM_MIGRATE_MODE_RECEIVING) {
		r = mig_sock_accept(rv->listener, &sock);
		if (r) {
			if (!kthread_should_stop())
				schedule_timeout_interruptible(HZ / 10);
			continue;
		}
		spin_lock(&rv->lock);
		rv->sock = sock;
		spin_unlock(&rv->lock);

		err[0] = '\0';
		r = mig_handshake(sock, false, &rv->geom, &rv->key, err, sizeof(err));
		if (r) {
			atomic_inc(&dev->stats.protocol_errors);
			mig_set_error(dev, r, "%s", err);
			DMERR_LIMIT("%s: refused a source: %s", mig_name(dev), err);
		} else {
			atomic_inc(&dev->stats.connections);
			WRITE_ONCE(rv->connected, true);
			DMINFO("%s: source connected", mig_name(dev));
			mig_dev_event(dev);
			mig_nl_event(dev, DM_MIGRATE_EV_CONNECTED, 0);
			r = serve(rv, sock);
			WRITE_ONCE(rv->connected, false);
			if (r)
				mig_nl_event(dev, DM_MIGRATE_EV_DISCONNECTED, r);
			if (mig_mode(dev) == DM_MIGRATE_MODE_TRACKING)
				DMINFO("%s: handoff complete; this host now owns the volume",
				       mig_name(dev));
			else
				DMWARN("%s: source connection ended (error %d)",
				       mig_name(dev), r);
		}
		spin_lock(&rv->lock);
		rv->sock = NULL;
		spin_unlock(&rv->lock);
		mig_sock_close(sock);
	}
	/* Handed off (or stopping): no more sources. */
	kernel_sock_shutdown(rv->listener, SHUT_RDWR);
	memalloc_noio_restore(noio);
	/* Wait for kthread_stop() (mig_recv_stop owns our lifetime). */
	mig_wait_for_stop();
	return 0;
}

static void recv_free(struct mig_recv *rv)
{
	vfree(rv->buf);
	vfree(rv->data);
	if (rv->net)
		put_net(rv->net);
	memzero_explicit(&rv->key, sizeof(rv->key));
	kfree(rv);
}

int mig_recv_start(struct mig_dev *dev, const struct mig_start *s,
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
	rv = kzalloc(sizeof(*rv), GFP_KERNEL);
	if (!rv)
		return -ENOMEM;
	rv->dev = dev;
	rv->bdev = dev->bdev;
	rv->geom.dev_sectors = dev->sectors;
	rv->geom.chunk_sectors = 1U << dev->chunk_shift;
	spin_lock_init(&rv->lock);
	rv->addr = s->addr;
	rv->key = s->key;

	r = -ENOMEM;
	rv->buf = vmalloc(mig_wire_max_payload(&rv->geom));
	rv->data = vmalloc(mig_geom_chunk_bytes(&rv->geom));
	if (!rv->buf || !rv->data)
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
	mig_stats_reset(&dev->stats);
	mig_clear_error(dev);
	mig_dev_set_net(dev, s->net);
	rv->thread = kthread_run(recv_thread, rv, "dm-migrate-recv");
	if (IS_ERR(rv->thread)) {
		r = PTR_ERR(rv->thread);
		mig_sock_close(rv->listener);
		goto fail;
	}
	mutex_lock(&dev->lock);		/* status readers look at dev->recv */
	dev->recv = rv;
	mutex_unlock(&dev->lock);
	DMINFO("%s: listening on %s", name, rv->addr.text);
	return 0;
fail:
	recv_free(rv);
	return r;
}

void mig_recv_stop(struct mig_dev *dev)
{
	struct mig_recv *rv = dev->recv;

	if (!rv)
		return;
	kernel_sock_shutdown(rv->listener, SHUT_RDWR);
	spin_lock(&rv->lock);
	if (rv->sock)
		kernel_sock_shutdown(rv->sock, SHUT_RDWR);
	spin_unlock(&rv->lock);
	kthread_stop(rv->thread);
	sock_release(rv->listener);
	mutex_lock(&dev->lock);
	dev->recv = NULL;
	mutex_unlock(&dev->lock);
	recv_free(rv);
}

void mig_recv_status(struct mig_dev *dev, char *result, unsigned int maxlen,
		     unsigned int *psz)
{
	struct mig_recv *rv = dev->recv;
	unsigned int sz = *psz;

	DMEMIT(" - %s %s", READ_ONCE(rv->connected) ? "connected" : "listening",
	       rv->addr.text);
	*psz = sz;
}

bool mig_recv_connected(struct mig_dev *dev)
{
	return dev->recv && READ_ONCE(dev->recv->connected);
}

const char *mig_recv_addr(struct mig_dev *dev)
{
	return dev->recv ? dev->recv->addr.text : NULL;
}
