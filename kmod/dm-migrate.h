/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dm-migrate internal definitions shared by the files of the module.
 *
 * Objects and lifetimes:
 *
 *  struct mig_target - one instance of the `migrate` target in one table.
 *	Lives from the constructor to the destructor of that table.
 *
 *  struct mig_dev - the tracking state of one mapped device: the dirty
 *	bitmap, the chunk geometry and the mode.  A reload creates a new
 *	table (and a new mig_target) while the old one is still live; both
 *	share the same mig_dev, found in a registry keyed by (mapped device,
 *	target start), so that tracking survives reloads.  A mig_dev is
 *	has two counts: @tables, the mig_targets that use it (when the last
 *	goes, the engines stop and the mig_dev is marked dead and leaves the
 *	registry), and @kref, its memory, also held for a while by netlink
 *	commands that found it in the registry.
 */
#ifndef DM_MIGRATE_H
#define DM_MIGRATE_H

#include <linux/device-mapper.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/kref.h>
#include <linux/refcount.h>
#include <uapi/linux/dm-migrate.h>

#include "args.h"
#include "bitmap.h"
#include "ratectl.h"
#include "throttle.h"
#include "transport.h"
#include "wire.h"

#define DM_MSG_PREFIX "migrate"

struct mig_push;
struct mig_recv;
struct socket;

/* Counters shown in status; written by one engine thread, read by status. */
struct mig_stats {
	atomic64_t bytes_read;		/* source: read from the origin */
	atomic64_t bytes_wire;		/* bytes sent (source) / received */
	atomic64_t chunks;		/* chunks sent / applied */
	atomic64_t zero_chunks;		/* of those, announced as zero */
	atomic64_t writes;		/* mirrored writes sent / applied */
	atomic64_t dirtied;		/* chunks guest writes made dirty */
	atomic_t connections;		/* connections established */
	atomic_t protocol_errors;	/* connections closed for bad input */
};

/* What starts an engine: push to @addr, or listen on it. */
struct mig_start {
	struct mig_addr addr;
	struct mig_key key;
	struct mig_limits lim;		/* push only */
	struct net *net;		/* the requester's; not referenced */
};

/* Recent rates for status and the convergence estimate (ratectl.h). */
struct mig_estimator {
	spinlock_t lock;		/* protects the three rates */
	struct mig_rate net;		/* wire bytes */
	struct mig_rate send;		/* volume bytes sent */
	struct mig_rate dirty;		/* volume bytes the guest dirtied */
};

struct mig_dev {
	struct list_head list;		/* in the registry, under its mutex */
	refcount_t tables;		/* mig_targets using it */
	struct kref kref;		/* memory; see the top of this file */
	bool dead;			/* no table left; under ctl_lock */
	struct mapped_device *md;	/* registry key; outlives every table */
	dev_t devt;			/* md's device number */
	sector_t begin;			/* registry key: ti->begin */
	dev_t origin;			/* the origin must not change on reload */

	unsigned int chunk_shift;	/* log2(chunk size in sectors) */
	/*
	 * The live bitmap.  Replaced only in preresume, when the device is
	 * suspended and no bio is between map and end_io, so the I/O path
	 * reads it without further synchronisation.
	 */
	struct mig_bitmap *bm;
	sector_t sectors;		/* size the bitmap covers */
	enum dm_migrate_mode mode;	/* READ_ONCE/WRITE_ONCE */
	char name[DM_NAME_LEN];		/* "vm1", or "253:0" before known */
	struct block_device *bdev;	/* the origin, for the engines */

	/* Serialises push/receive control messages (start, stop, ...). */
	struct mutex ctl_lock;
	/*
	 * Under ctl_lock: set by postsuspend (no bio left in flight), cleared
	 * by preresume.  A handoff is decided only while it is set, and a
	 * resume is refused once one was (preresume), so no write can slip
	 * between the two.
	 */
	bool suspended;
	/*
	 * Loaded grown tables not resumed yet: raised and checked under
	 * ctl_lock; lowered without it by the destructor (which may run
	 * under dm's hash lock, taken under ctl_lock by mig_dev_name()).
	 */
	atomic_t grow_pending;
	struct mig_push *push;		/* under ctl_lock */
	struct mig_recv *recv;		/* under ctl_lock */
	struct mig_stats stats;
	char last_error[96];		/* under err_lock */
	int last_errno;			/* under err_lock */
	spinlock_t err_lock;
	/* Where events go: the namespace of the last engine; under err_lock. */
	struct net *ev_net;

	struct mig_estimator est;
	struct mig_throttle throttle;

	/* The live target, for dm_table_event(); under ti_lock. */
	struct mutex ti_lock;
	struct dm_target *ti;
	/* Serialises status and messages against bitmap replacement. */
	struct mutex lock;
};

struct mig_target {
	struct dm_target *ti;
	struct dm_dev *origin;
	struct mig_dev *dev;
	bool receive;			/* table has the 'receive' feature */
	/* A larger bitmap for a grown table, installed in preresume. */
	struct mig_bitmap *grown;
};

/* Per-bio data, for every bio the target maps. */
struct mig_io {
	u64 first_chunk;
	u64 last_chunk;
	u64 release_ns;			/* throttle.c: when to submit */
	bool tracked;
};

/* The device's dm name, for log lines (refreshed by mig_dev_name()). */
static inline const char *mig_name(struct mig_dev *dev)
{
	return dev->name;
}

static inline void mig_stats_reset(struct mig_stats *st)
{
	atomic64_set(&st->bytes_read, 0);
	atomic64_set(&st->bytes_wire, 0);
	atomic64_set(&st->chunks, 0);
	atomic64_set(&st->zero_chunks, 0);
	atomic64_set(&st->writes, 0);
	atomic64_set(&st->dirtied, 0);
	atomic_set(&st->connections, 0);
	atomic_set(&st->protocol_errors, 0);
}

static inline enum dm_migrate_mode mig_mode(struct mig_dev *dev)
{
	return READ_ONCE(dev->mode);
}

static inline bool mig_mode_precopy(enum dm_migrate_mode mode)
{
	return mode == DM_MIGRATE_MODE_BULK || mode == DM_MIGRATE_MODE_DIRTY ||
	       mode == DM_MIGRATE_MODE_CONVERGED;
}

void mig_set_mode(struct mig_dev *dev, enum dm_migrate_mode mode);
bool mig_move_mode(struct mig_dev *dev, unsigned int from,
		   enum dm_migrate_mode to);
/* Record an error for status and send an ERROR event; @err < 0. */
void mig_set_error(struct mig_dev *dev, int err, const char *fmt, ...) __printf(3, 4);
void mig_clear_error(struct mig_dev *dev);
void mig_dev_set_net(struct mig_dev *dev, struct net *net);
extern const char * const mig_mode_names[];
extern struct workqueue_struct *mig_io_wq;

/* chunkio.c */
int mig_bdev_rw(struct block_device *bdev, struct bio_set *bs, sector_t sector,
		void *buf, u32 len, blk_opf_t opf);

/* auth.c: the handshake (wire protocol v3). */
struct mig_session {
	u8 id[DM_MIGRATE_SESSION_LEN];	/* random, chosen at push start */
	u64 generation;			/* connection number, from 1 */
};

/*
 * Source side: authenticate, name @s, and learn the destination's
 * verdict (enum dm_migrate_verdict) and the connection's stream key
 * (a DM_MIGRATE_MAC_LEN-byte buffer; the caller wipes it).  0 or a negative
 * errno with a sentence in @err: -EACCES wrong key, -EINVAL geometry,
 * -ETIMEDOUT silent peer, -EPERM the peer owns the volume of another
 * session.
 */
int mig_handshake_source(struct socket *sock, const struct mig_geom *g,
			 const struct mig_key *key, const struct mig_session *s,
			 u32 *verdict, u8 *stream_key, char *err, size_t errlen);

/*
 * Destination side: once the source proved the key, @decide gets the
 * session it names and returns the verdict to send, or a negative errno
 * to refuse it (with the ERROR code to send in *@code).  Returns the
 * verdict sent (and the stream key, as above), or a negative errno.
 */
typedef int (*mig_decide_fn)(void *arg, const struct mig_session *s, u32 *code);
int mig_handshake_dest(struct socket *sock, const struct mig_geom *g,
		       const struct mig_key *key, mig_decide_fn decide,
		       void *arg, u8 *stream_key, char *err, size_t errlen);

/*
 * auth.c: keys.  mig_key_from_keyring() reads a "logon:DESC" or
 * "user:DESC" key of the calling process's keyrings.
 */
int mig_key_from_keyring(const char *desc, struct mig_key *key,
			 const char **why);

/*
 * Control of the engines: called with ctl_lock held, by the dm message
 * path (ctlmsg.c) and by netlink (netlink.c).  On refusal they return an
 * error and point @why at a sentence saying why, for the log line or the
 * netlink extended ack.
 */
/* push.c: the source engine */
int mig_push_start(struct mig_dev *dev, const struct mig_start *s,
		   const char **why);
int mig_push_set_limits(struct mig_dev *dev, const struct mig_limits *lim,
			const char **why);
int mig_push_pause(struct mig_dev *dev, bool pause, const char **why);
int mig_push_abort(struct mig_dev *dev, bool force, const char **why);
int mig_push_mirror(struct mig_dev *dev, const char **why);
int mig_push_handoff(struct mig_dev *dev, const char **why);
int mig_push_map(struct mig_dev *dev, struct bio *bio, struct mig_io *io);
void mig_push_status(struct mig_dev *dev, char *result, unsigned int maxlen,
		     unsigned int *sz);
void mig_push_destroy(struct mig_dev *dev);
bool mig_push_running(struct mig_dev *dev);
bool mig_push_connected(struct mig_dev *dev);
bool mig_push_paused(struct mig_dev *dev);
unsigned int mig_push_round(struct mig_dev *dev);
u64 mig_push_converge_bytes(struct mig_dev *dev);
const char *mig_push_peer(struct mig_dev *dev);
unsigned int mig_push_window_peak(struct mig_dev *dev);
unsigned int mig_push_ack_timeouts(struct mig_dev *dev);

/* receive.c: the destination engine */
int mig_recv_start(struct mig_dev *dev, const struct mig_start *s,
		   const char **why);
void mig_recv_stop(struct mig_dev *dev);
void mig_recv_status(struct mig_dev *dev, char *result, unsigned int maxlen,
		     unsigned int *sz);
bool mig_recv_connected(struct mig_dev *dev);
bool mig_recv_owner(struct mig_dev *dev);
const char *mig_recv_addr(struct mig_dev *dev);
void mig_recv_source(struct mig_dev *dev, char *buf, size_t len);

/* ctlmsg.c: the control messages of `dmsetup message` */
int mig_ctl_message(struct mig_dev *dev, unsigned int argc, char **argv);
int mig_ctl_abort(struct mig_dev *dev, bool force, const char **why);

/* netlink.c: the generic netlink family and its events */
int mig_netlink_register(void);
void mig_netlink_unregister(void);
void mig_nl_event(struct mig_dev *dev, enum dm_migrate_event ev, int err);

void mig_dev_event(struct mig_dev *dev);

/* device.c */
struct mig_dev *mig_dev_get(struct dm_target *ti, dev_t origin,
			    unsigned int chunk_shift, char **error);
void mig_dev_put(struct mig_dev *dev);
struct mig_dev *mig_dev_lookup(struct mapped_device *md);
struct mig_dev *mig_dev_nth(unsigned long idx);
void mig_dev_release(struct mig_dev *dev);
void mig_dev_name(struct mig_dev *dev);
void mig_wait_for_stop(void);
struct mig_bitmap *mig_bitmap_alloc(u64 nbits);
void mig_bitmap_free(struct mig_bitmap *bm);

static inline u64 mig_chunks(sector_t sectors, unsigned int chunk_shift)
{
	return DIV_ROUND_UP_SECTOR_T(sectors, 1ULL << chunk_shift);
}

/* target.c */
int mig_target_register(void);
void mig_target_unregister(void);

#endif /* DM_MIGRATE_H */
