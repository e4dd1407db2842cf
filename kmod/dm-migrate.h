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
#include <linux/workqueue.h>
#include <uapi/linux/dm-migrate.h>

#include "args.h"
#include "bitmap.h"
#include "estimate.h"
#include "model.h"
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
	atomic64_t written;		/* bytes of guest writes (not zeroes) */
	atomic_t connections;		/* connections established */
	atomic_t protocol_errors;	/* connections closed for bad input */
	atomic_t round;			/* source: 0 is the bulk pass; the push thread's */
	/* chunks sent / applied, per enum dm_migrate_encoding */
	atomic64_t enc_chunks[__DM_MIGRATE_ENC_MAX];
	atomic_t converge_why;		/* source: enum dm_migrate_converge_reason */
	atomic64_t pieces;		/* PIECE messages sent / applied */
};

/* What starts an engine: push to @addr, or listen on it. */
struct mig_start {
	struct mig_addr addr;
	struct mig_key key;
	struct mig_limits lim;		/* push only */
	struct net *net;		/* the requester's; not referenced */
};

/* Recent rates for status and the pre-copy model (estimate.h). */
struct mig_estimator {
	spinlock_t lock;		/* protects the rest */
	struct mig_rate net;		/* wire bytes */
	struct mig_rate send;		/* volume bytes sent */
	struct mig_rate dirty;		/* volume bytes the guest dirtied */
	struct mig_rate write_rate;	/* the guest's chunk writes */
	struct mig_rate written;	/* the guest's write bytes */
	u64 writes;			/* estimated chunk writes so far */
	u64 dirtied, clean;		/* stats.dirtied, clean chunks: last sample */
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
	 * The last suspend's start and length (ktime ns), for the handoff's
	 * timing: set by presuspend and postsuspend (dm serialises them),
	 * read under ctl_lock.
	 */
	u64 suspend_start, suspend_ns;
	/*
	 * Loaded grown tables not resumed yet: raised and checked under
	 * ctl_lock; lowered without it by the destructor (which may run
	 * under dm's hash lock, taken under ctl_lock by mig_dev_name()).
	 */
	atomic_t grow_pending;
	struct mig_push *push;		/* under ctl_lock */
	struct mig_recv *recv;		/* under ctl_lock */
	/*
	 * A stopped receiver whose serving thread was in a write to the
	 * origin (a stalled volume): recv_reap frees it once that returned,
	 * and clears this (receive.c, "Stopping, and a stalled volume").
	 * Set under ctl_lock and rv->io_lock, READ_ONCE elsewhere.
	 */
	struct mig_recv *recv_old;
	struct work_struct recv_reap;
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
	u64 sector;			/* what the bio changes, 0-based */
	u32 nr_sectors;
	u64 release_ns;			/* throttle.c: when to submit */
	bool tracked;
};

enum mig_engine { MIG_ENGINE_NONE, MIG_ENGINE_PUSH, MIG_ENGINE_RECV };

/*
 * The parts of the last handoff's timing (struct mig_status), in the
 * order status shows them.  Source: TOTAL from the decision to the
 * peer's confirmation, in two parts: DRAIN until HANDOFF is sent, CONFIRM
 * until it is confirmed; SUSPEND is the length of the device's suspend
 * before the decision.  Destination: TOTAL from applying HANDOFF to
 * sending its ACK, and of that FLUSH, the volume's flush.
 */
enum mig_ho {
	MIG_HO_TOTAL,
	MIG_HO_SUSPEND,
	MIG_HO_DRAIN,
	MIG_HO_CONFIRM,
	MIG_HO_FLUSH,
	MIG_HO_NR
};

/*
 * What status shows of a device, for both front-ends: filled by
 * mig_ctl_snapshot() (control.c) and the engines' snapshot functions.
 * The counters of struct mig_stats are read from the device directly.
 */
struct mig_status {
	enum dm_migrate_mode mode;
	u64 dirty, total;		/* chunks */
	enum mig_engine engine;		/* push: a thread exists */
	bool connected;
	bool failed;			/* push: the thread gave up */
	bool paused;			/* push: running and paused */
	bool owner;			/* receiver: it took the volume over */
	unsigned int round;		/* push */
	unsigned int window_peak;	/* push: its ring's peak occupancy */
	unsigned int ack_timeouts;	/* push: connections dropped for it */
	u64 handoff_ns[MIG_HO_NR];	/* 0 where not measured (yet) */
	struct mig_rates rates;		/* recent rates (estimate.h) */
	bool predicted;			/* push in pre-copy: @predict holds */
	struct mig_model_out predict;	/* its end, by the model (model.h) */
	char peer[64];			/* push's peer, or listened on */
	char source[64];		/* receiver: the source served last, or "-" */
	char last_error[96];
	/* push: how chunks are encoded (encsel.h) */
	bool has_encoding;
	u8 encoding;			/* enum dm_migrate_encode: the choice */
	u8 encoding_used;		/* enum dm_migrate_encoding */
	u32 peer_encodings;		/* DM_MIGRATE_HELLO_ENC() bits; 0: unknown */
	char encoding_why[192];
	bool subchunk;			/* push: the option on and masks exist */
	bool peer_piece;		/* push: this connection negotiated PIECE */
};

/* The device's dm name, for log lines (refreshed by mig_dev_name()). */
static inline const char *mig_name(struct mig_dev *dev)
{
	return dev->name;
}

static inline void mig_stats_reset(struct mig_stats *st)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(st->enc_chunks); i++)
		atomic64_set(&st->enc_chunks[i], 0);
	atomic64_set(&st->bytes_read, 0);
	atomic64_set(&st->bytes_wire, 0);
	atomic64_set(&st->chunks, 0);
	atomic64_set(&st->zero_chunks, 0);
	atomic64_set(&st->writes, 0);
	atomic64_set(&st->pieces, 0);
	atomic64_set(&st->dirtied, 0);
	atomic64_set(&st->written, 0);
	atomic_set(&st->connections, 0);
	atomic_set(&st->protocol_errors, 0);
	atomic_set(&st->round, 0);
	atomic_set(&st->converge_why, 0);
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

static inline u64 mig_chunks(sector_t sectors, unsigned int chunk_shift)
{
	return DIV_ROUND_UP_SECTOR_T(sectors, 1ULL << chunk_shift);
}

#endif /* DM_MIGRATE_H */
