/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Source engine internals shared by its files: push.c (lifecycle,
 * connection, control), sender.c (the sender loop and the reads),
 * rounds.c (pre-copy rounds), window.c (the unacknowledged ring and the
 * acker) and mirror.c (the I/O path's half of mirroring).
 */
#ifndef DM_MIGRATE_PUSH_H
#define DM_MIGRATE_PUSH_H

#include <linux/bio.h>
#include <linux/kthread.h>
#include <linux/mempool.h>
#include <linux/sizes.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>

#include "dm-migrate.h"
#include "auth.h"
#include "chunkio.h"
#include "compress.h"
#include "encsel.h"
#include "engine.h"
#include "ratectl.h"
#include "seal.h"
#include "state.h"
#include "transport.h"

#define MIG_SLOTS	8	/* runs of chunks being read and encoded at once */
#define MIG_WINDOW	1024	/* messages sent and not yet acknowledged */
#define MIG_RUN_BYTES	SZ_1M	/* adjacent dirty chunks read together */
#define MIG_MIRROR_MAX	SZ_1M	/* larger writes take the dirty path */
#define MIG_MAX_FAILURES 8	/* same failure in a row: the push stops */

/*
 * One message of a slot: a CHUNK of one chunk or of a run of zero
 * chunks, or a PIECE (@piece: @p is its header, @c holds its encoding
 * and CRC while it is built) of one chunk's dirty sub-blocks.
 */
struct mig_msg {
	struct dm_migrate_chunk c;
	struct dm_migrate_piece p;
	bool piece;
	u64 first, last;		/* chunks it carries */
	const void *data;		/* in the slot's enc or data buffer */
	u32 enc_len;			/* bytes at @data */
};

/*
 * A run of adjacent dirty chunks on its way: read from the origin with one
 * I/O, encoded chunk by chunk (zero chunks merged into one message), then
 * sent.  Its chunks are busy until their message is on the wire.
 */
struct mig_slot {
	struct list_head list;		/* free or ready list */
	struct work_struct work;
	struct mig_push *push;
	u64 index;			/* first chunk of the run */
	u32 nchunks;			/* chunks in the run */
	/*
	 * Per chunk of the run: its sub-block mask, taken with its dirty
	 * bit (rounds.c); used only if @pieces (a dirty round of a push
	 * whose connection negotiated PIECE, with subchunk=1).
	 */
	u32 *masks;
	bool pieces;
	void *data;			/* the run, vmalloc */
	void *enc;			/* encoded chunks, vmalloc */
	struct mig_msg *msgs;		/* up to push->run messages */
	u32 nmsgs;
	u32 sent;			/* messages already on the wire */
	bool reading;			/* queued on wq; under push->lock */
	int error;
	struct mig_codec codec;
};

/*
 * A mirrored guest write.  It completes (bio_endio of @bio) once both the
 * local write and the peer's ACK are in, or when the peer is lost (then
 * its chunks are marked dirty first).
 */
struct mig_mreq {
	struct list_head list;		/* mirror queue */
	struct mig_push *push;
	struct bio *bio;		/* dm's clone, ours to complete */
	u64 first_chunk, last_chunk;	/* busy while the request lives */
	sector_t sector;		/* 0-based in the volume */
	u32 len;			/* 0 for a flush */
	u32 flags;			/* DM_MIGRATE_WRITE_* */
	/* The data, sent from @bio's own pages: it lives until we end it. */
	struct bvec_iter iter;
	atomic_t pending;		/* local write + peer ack */
	blk_status_t status;
};

/* What an unacknowledged message carried, to resend it if the link drops. */
struct mig_unacked {
	u64 seq;
	u64 first, last;		/* chunks; first > last for none */
	struct mig_mreq *mreq;		/* on the last piece of a write */
	unsigned long queued;		/* jiffies, for the ACK watchdog */
	u32 end;			/* TCP sequence after its last byte */
	bool handoff;			/* the HANDOFF message */
};

struct mig_push {
	struct mig_dev *dev;
	struct block_device *bdev;
	struct mig_geom geom;
	u64 nchunks;
	u32 run;			/* chunks per slot at most */
	struct net *net;
	struct mig_addr addr;
	struct mig_key key;

	struct task_struct *thread;	/* connects, dispatches, sends */
	struct task_struct *acker;	/* reads ACKs, watches for stalls */
	/*
	 * Owned by thread; published under sock_lock (as soon as it exists,
	 * before connect) so that a stop can shut it down from outside and
	 * so end any blocking connect, send or receive.
	 */
	struct socket *sock;
	struct mutex sock_lock;		/* publishes @sock, @stopping */
	bool stopping;			/* under sock_lock */
	struct mig_session session;	/* id and connection generation */
	/*
	 * The engine memory, from push_start() until the thread ends
	 * (push.c, "Memory"): these, the ring and the slots' buffers.
	 */
	struct mig_seal *seal;		/* the connection's sealing */
	mempool_t *mreq_pool;		/* mirrored writes, from ->map */
	struct workqueue_struct *wq;	/* reads and encodes chunks */
	struct bio_set bs;		/* local clones of mirrored writes */
	/* Chunks read or mirrored and not yet on the wire (busy.c). */
	struct xarray busy;
	/*
	 * The sub-block masks attached to dev->bm (bitmap.h), or NULL (a
	 * chunk without sub-blocks, or no memory for them: whole chunks).
	 */
	atomic_t *sub;
	/*
	 * How the slots' workers encode chunks (sender.c): the choice, what
	 * the peer decodes, the figures auto chooses by.  enc_lock is the
	 * innermost lock (status takes it under dev->lock).
	 */
	spinlock_t enc_lock;		/* protects @enc */
	struct mig_encsel enc;

	/* lock protects everything down to the counters. */
	spinlock_t lock;
	wait_queue_head_t wait;
	bool connected;
	int conn_error;			/* set by the acker */
	struct list_head free_slots;
	struct list_head ready_slots;
	unsigned int reading;		/* slots queued on wq (the memory's users) */
	struct list_head mirror_q;	/* mreqs to send */
	unsigned int mreqs;		/* mirrored writes using the memory */
	bool mem_doomed;		/* freed by mem_work once nothing uses it */
	struct work_struct mem_work;	/* frees the memory (push.c) */
	struct mig_unacked *fifo;	/* ring of MIG_WINDOW */
	unsigned int head, tail;	/* fifo[head % W] .. fifo[tail % W] */
	unsigned int ring_peak;		/* most entries ever used at once */
	u64 next_seq;
	unsigned long last_ack;		/* jiffies of the last ACK progress */
	u32 tcp_una;			/* the socket's acked bytes, last seen */
	bool scan_blocked;		/* a pass found only busy chunks */
	bool handoff_sent;		/* HANDOFF is in the ring */
	bool handoff_ever_sent;		/* in this session; thread-only */
	bool peer_lost;			/* it said FRESH after that; thread-only */
	bool handoff_acked;		/* and the peer ACKed it (read unlocked) */
	unsigned int peer_io_errors;	/* ERROR(IO) from the peer, in a row */

	/* Set by the thread, read unlocked elsewhere (status, control). */
	bool failed;			/* the thread gave up; see last_error */
	atomic_t ack_timeouts;		/* connections dropped for no ACK */
	/*
	 * The handoff's clock (ktime ns; 0: not yet): control sets
	 * @ho_suspend (a length) and @ho_decided at the decision, the thread
	 * @ho_sent (the first HANDOFF) and @ho_done; status reads them.
	 */
	u64 ho_suspend, ho_decided, ho_sent, ho_done;

	/* Thread-only state. */
	unsigned long connected_at;	/* jiffies */
	bool memalloc;			/* the socket may use reserves */
	unsigned int read_errors;	/* origin read failures, in a row */
	u64 cursor;			/* next chunk of the round */
	u64 round_picked;		/* chunks picked in this round */
	u64 round_dirty0;		/* chunks dirty when the round began */
	struct mig_progress progress;	/* the no-progress rule's (model.h) */
	struct mig_rate round_rate;	/* wire bytes/s, sampled at round ends */
	/*
	 * The round was paused or lost its connection: its wire rate says
	 * nothing of the link's (mig_round_end() then re-primes it and
	 * auto_throttle waits for a round of its own).
	 */
	bool round_disturbed;
	struct mig_pace pace;		/* the network rate limit */
	bool plain_hello;		/* the peer refused HELLO flags: next without */
	/* This connection negotiated PIECE; set before @connected, read unlocked. */
	bool peer_piece;
	/* The sender's window for the link's drain rate (mig_encsel_link()). */
	u64 win_start_ns, win_wait_ns, win_bytes;

	/* Requests, under lock; written only under ctl_lock too (read there). */
	bool mirror_requested;

	/*
	 * Limits and pause: read locklessly, set under ctl_lock; the thread
	 * also sets and clears @paused for pause_after_bulk (rounds.c).
	 * lim.given has MIG_LIM_CONVERGE while converge_bytes is the rule.
	 */
	struct mig_limits lim;
	bool paused;			/* send no chunks; see push_paused() */
	bool paused_by_bulk;		/* @paused came from pause_after_bulk */

	struct mig_slot slots[MIG_SLOTS];
};

/*
 * Under push->lock: the engine memory's last user (a mirrored write or a
 * read) is done.  If the push already stopped, free the memory now, from
 * a workqueue: we may be in a bio completion (push.c, "Memory").
 */
static inline void mig_push_mem_unused(struct mig_push *push)
{
	lockdep_assert_held(&push->lock);
	if (!push->mreqs && !push->reading) {
		if (push->mem_doomed)
			queue_work(system_wq, &push->mem_work);
		wake_up(&push->wait);
	}
}

static inline void push_mark_dirty(struct mig_push *push, u64 first, u64 last)
{
	if (first <= last)
		mig_bitmap_set_range(push->dev->bm, first, last);
}

/* busy.c: chunks on their way (any context) */
bool mig_busy_claim(struct mig_push *push, u64 i, gfp_t gfp);
void mig_busy_release(struct mig_push *push, u64 first, u64 last);

static inline void push_unbusy(struct mig_push *push, u64 first, u64 last)
{
	if (first <= last)
		mig_busy_release(push, first, last);
}

/* Paused: pre-copy only; mirroring and a handoff send regardless. */
static inline bool push_paused(struct mig_push *push)
{
	return READ_ONCE(push->paused) && mig_mode_precopy(mig_mode(push->dev));
}

static inline unsigned int ring_used(struct mig_push *push)
{
	return push->tail - push->head;
}

static inline bool ring_room(struct mig_push *push, unsigned int n)
{
	return ring_used(push) + n <= MIG_WINDOW;
}

/* sender.c: one pass of the sender (thread); slots */
int mig_push_pump(struct mig_push *push);
void mig_push_handed_off(struct mig_push *push);
void mig_slot_work(struct work_struct *work);
void mig_slot_putback(struct mig_push *push, struct mig_slot *slot);
void mig_push_window_reset(struct mig_push *push);

/* rounds.c: pre-copy rounds (thread) */
bool mig_round_pick(struct mig_push *push, u64 *index, u32 *n, u32 *masks);
bool mig_round_over(struct mig_push *push);
void mig_round_end(struct mig_push *push);
void mig_round_restart(struct mig_push *push);
void mig_round_start(struct mig_push *push);
void mig_round_throttled(struct mig_dev *dev);
/* status (under dev->lock), racily: the model's prediction of the push */
bool mig_round_predict(struct mig_push *push, const struct mig_status *st,
		       struct mig_model_out *out);

/* window.c: the unacknowledged ring and the acker thread */
u64 mig_window_add(struct mig_push *push, unsigned int n, u32 bytes,
		   const struct mig_unacked *last);
int mig_window_acker(void *arg);

/* mirror.c */
int mig_mirror_map(struct mig_push *push, struct bio *bio);
void mig_mreq_put(struct mig_mreq *mreq, bool peer_has_it);
/* Ring entries (messages) a mirrored write or flush takes. */
unsigned int mig_mreq_pieces(struct mig_push *push, struct mig_mreq *mreq);

#endif /* DM_MIGRATE_PUSH_H */
