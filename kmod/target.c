// SPDX-License-Identifier: GPL-2.0
/*
 * The `migrate` device-mapper target: pass-through I/O to an origin device
 * with dirty-chunk tracking.
 *
 * Table line:
 *   <start> <len> migrate <origin_dev> <chunk_sectors> [<#features> <feature>*]
 *
 * The in-flight invariant
 * -----------------------
 * A consumer that clears a chunk's bit and then reads the chunk must never
 * miss a write that was in flight at that moment: once that write has
 * completed, either the read saw its data or the bit is set again.
 *
 * The target marks the chunks a write touches twice: in ->map, before the
 * bio is passed to the origin, and in ->end_io, after the origin completed
 * it and before the completion is passed up (the submitter cannot see its
 * write acknowledged before the second mark).  Take a write W to chunk c
 * and a consumer that clears c's bit at time t and then reads c:
 *
 *  - W mapped after t: ->map sets the bit after the clear.
 *  - W completed before t: W's data was on the origin before the read was
 *    issued, so the read sees it (the origin orders a read issued after a
 *    write's completion after that write).
 *  - W in flight at t (mapped before, completed after): ->end_io runs after
 *    t and sets the bit again, whatever the read saw.
 *
 * In every case the chunk is either read with W's data or dirty again, so
 * it is sent again.  While a push keeps sub-block masks, each mark sets
 * W's sub-blocks in the chunk's mask before its dirty bit, and the
 * consumer takes the mask right after clearing the bit (bitmap.h,
 * "Sub-block masks"): "dirty again" then means "dirty again with W's
 * sub-blocks in the mask", so a chunk sent in part never leaves W out.
 * The consumer needs no lock against the I/O path; bits change with
 * atomic word operations (bitmap.c).  A consumer that
 * needs the bitmap final (handoff) suspends the device first: suspend
 * waits for every mapped bio to pass ->end_io.
 */
#include <linux/blkdev.h>
#include <linux/module.h>

#include "control.h"
#include "device.h"
#include "engine.h"
#include "frontend.h"

static const char * const mig_mode_names[] = DM_MIGRATE_MODE_NAMES;
static const char * const enc_names[] = DM_MIGRATE_ENC_NAMES;

/*
 * Mark what the bio changes: its sub-blocks (while a push keeps masks),
 * then its chunks (bitmap.h, "Sub-block masks").
 */
static void mig_mark_bio(struct mig_target *mt, struct mig_io *io)
{
	u64 n = mig_bitmap_mark(mt->dev->bm, io->sector, io->nr_sectors,
				mt->dev->chunk_shift);

	/* Newly dirty chunks: the dirty rate of the convergence estimate. */
	if (n)
		atomic64_add(n, &mt->dev->stats.dirtied);
}

static int parse_features(struct dm_target *ti, struct dm_arg_set *as,
			  struct mig_target *mt)
{
	static const struct dm_arg _args[] = {
		{0, 1, "Invalid number of feature arguments"},
	};
	unsigned int argc;
	const char *arg;
	int r;

	if (!as->argc)
		return 0;
	r = dm_read_arg_group(_args, as, &argc, &ti->error);
	if (r)
		return r;
	while (argc--) {
		arg = dm_shift_arg(as);
		if (!strcasecmp(arg, "receive")) {
			mt->receive = true;
		} else {
			ti->error = "Unrecognised feature argument";
			return -EINVAL;
		}
	}
	if (as->argc) {
		ti->error = "Unexpected argument after the feature arguments";
		return -EINVAL;
	}
	return 0;
}

/*
 * <origin_dev> <chunk_sectors> [<#features> <feature>*]
 */
static int mig_ctr(struct dm_target *ti, unsigned int argc, char **argv)
{
	struct dm_arg_set as = { .argc = argc, .argv = argv };
	struct mig_target *mt;
	unsigned int shift;
	sector_t origin_sectors;
	int r;

	if (argc < 2) {
		ti->error = "Invalid argument count: <origin_dev> <chunk_sectors> [features]";
		return -EINVAL;
	}

	mt = kzalloc(sizeof(*mt), GFP_KERNEL);
	if (!mt) {
		ti->error = "Cannot allocate target context";
		return -ENOMEM;
	}
	mt->ti = ti;

	r = dm_get_device(ti, dm_shift_arg(&as), dm_table_get_mode(ti->table),
			  &mt->origin);
	if (r) {
		ti->error = "Origin device lookup failed";
		goto bad_free;
	}

	r = mig_parse_chunk_size(dm_shift_arg(&as), &shift, &ti->error);
	if (r)
		goto bad_put_origin;
	r = parse_features(ti, &as, mt);
	if (r)
		goto bad_put_origin;

	origin_sectors = bdev_nr_sectors(mt->origin->bdev);
	if (ti->len != origin_sectors) {
		ti->error = "Target length does not match the origin device size";
		r = -EINVAL;
		goto bad_put_origin;
	}

	mt->dev = mig_dev_get(ti, mt->origin->bdev->bd_dev, shift, mt->receive,
			      &ti->error);
	if (IS_ERR(mt->dev)) {
		r = PTR_ERR(mt->dev);
		goto bad_put_origin;
	}

	mt->dev->bdev = mt->origin->bdev;

	if (ti->len > mt->dev->sectors) {
		mt->grown = mig_bitmap_alloc(mig_chunks(ti->len, shift), shift);
		if (!mt->grown) {
			ti->error = "Cannot allocate dirty bitmap for the grown device";
			r = -ENOMEM;
			goto bad_put_dev;
		}
		/*
		 * The engines size their state by the volume: no growing under
		 * them, and no push starts until this table is resumed or gone.
		 */
		mutex_lock(&mt->dev->ctl_lock);
		r = mig_ctl_engine_busy(mt->dev) ? -EBUSY : 0;
		if (!r)
			atomic_inc(&mt->dev->grow_pending);
		mutex_unlock(&mt->dev->ctl_lock);
		if (r) {
			ti->error = "Cannot grow a device while it is migrating";
			goto bad_free_grown;
		}
	}

	ti->num_flush_bios = 1;
	ti->num_discard_bios = 1;
	ti->num_secure_erase_bios = 1;
	ti->num_write_zeroes_bios = 1;
	ti->per_io_data_size = sizeof(struct mig_io);
	ti->private = mt;
	return 0;

bad_free_grown:
	mig_bitmap_free(mt->grown);
bad_put_dev:
	mig_dev_put(mt->dev);
bad_put_origin:
	dm_put_device(ti, mt->origin);
bad_free:
	kfree(mt);
	return r;
}

static void mig_dtr(struct dm_target *ti)
{
	struct mig_target *mt = ti->private;

	if (mt->grown) {
		atomic_dec(&mt->dev->grow_pending);
		mig_bitmap_free(mt->grown);
	}
	mutex_lock(&mt->dev->ti_lock);
	if (mt->dev->ti == ti)
		mt->dev->ti = NULL;
	mutex_unlock(&mt->dev->ti_lock);
	mig_dev_put(mt->dev);
	dm_put_device(ti, mt->origin);
	kfree(mt);
}

static bool mig_bio_modifies(struct bio *bio)
{
	return op_is_write(bio_op(bio)) && bio_sectors(bio);
}

static int mig_map(struct dm_target *ti, struct bio *bio)
{
	struct mig_target *mt = ti->private;
	struct mig_io *io = dm_per_bio_data(bio, sizeof(*io));
	enum dm_migrate_mode mode = mig_mode(mt->dev);

	io->tracked = mig_bio_modifies(bio);
	if (io->tracked && (mode == DM_MIGRATE_MODE_RECEIVING ||
			    mode == DM_MIGRATE_MODE_HANDOFF ||
			    mode == DM_MIGRATE_MODE_HANDED_OFF)) {
		DMERR_LIMIT("%s: write refused: %s", mig_name(mt->dev),
			    mode == DM_MIGRATE_MODE_RECEIVING ?
			    "the volume is receiving a migration" :
			    mode == DM_MIGRATE_MODE_HANDOFF ?
			    "a handoff to the peer is pending" :
			    "the volume was handed off to the peer");
		return DM_MAPIO_KILL;
	}
	if (mode == DM_MIGRATE_MODE_MIRRORING && (io->tracked || op_is_flush(bio->bi_opf)) &&
	    mig_ctl_map(mt->dev, bio) == DM_MAPIO_SUBMITTED) {
		io->tracked = false;
		return DM_MAPIO_SUBMITTED;
	}
	if (io->tracked) {
		io->sector = dm_target_offset(ti, bio->bi_iter.bi_sector);
		io->nr_sectors = bio_sectors(bio);
		mig_mark_bio(mt, io);
	}

	bio_set_dev(bio, mt->origin->bdev);
	bio->bi_iter.bi_sector = dm_target_offset(ti, bio->bi_iter.bi_sector);
	/* Discards and write-zeroes cost the origin little: not throttled. */
	if (!io->tracked || bio_op(bio) != REQ_OP_WRITE)
		return DM_MAPIO_REMAPPED;
	/* The guest's write bytes: auto_throttle's measure (rounds.c). */
	atomic64_add(bio->bi_iter.bi_size, &mt->dev->stats.written);
	if (mig_mode_precopy(mode) &&
	    mig_throttle_bio(&mt->dev->throttle, bio, &io->release_ns))
		return DM_MAPIO_SUBMITTED;
	return DM_MAPIO_REMAPPED;
}

static int mig_end_io(struct dm_target *ti, struct bio *bio,
		      blk_status_t *error)
{
	struct mig_target *mt = ti->private;
	struct mig_io *io = dm_per_bio_data(bio, sizeof(*io));

	/* Second mark: see "The in-flight invariant" above. */
	if (io->tracked) {
		/*
		 * Order the bitmap's read (set_range skips bits it finds set)
		 * after the origin's completion: a clear this read does not
		 * see comes after it, and so does the consumer's chunk read.
		 */
		smp_mb();
		mig_mark_bio(mt, io);
	}
	return DM_ENDIO_DONE;
}

/* Writes the throttle holds go now: suspend waits for them. */
static void mig_presuspend(struct dm_target *ti)
{
	struct mig_target *mt = ti->private;

	mt->dev->suspend_start = ktime_get_ns();
	mig_throttle_bypass(&mt->dev->throttle, true);
}

/* A suspend that was cancelled: the throttle holds writes again. */
static void mig_presuspend_undo(struct dm_target *ti)
{
	struct mig_target *mt = ti->private;

	mig_throttle_bypass(&mt->dev->throttle, false);
}

/* Every bio is through ->end_io: a handoff may be decided now. */
static void mig_postsuspend(struct dm_target *ti)
{
	struct mig_target *mt = ti->private;
	u64 now = ktime_get_ns();

	mutex_lock(&mt->dev->ctl_lock);
	mt->dev->suspended = true;
	mt->dev->suspend_ns = now - mt->dev->suspend_start;
	mutex_unlock(&mt->dev->ctl_lock);
}

static void mig_resume(struct dm_target *ti)
{
	struct mig_target *mt = ti->private;

	mig_throttle_bypass(&mt->dev->throttle, false);
}

/*
 * Refuse to resume while a handoff is pending: the peer may own the volume
 * already (dm-migrate.rst, "Handoff").  Otherwise install the bitmap of a
 * grown table.  The device is suspended and the new table already swapped
 * in: no bio is between ->map and ->end_io, so the I/O path does not look
 * at the bitmap.  Status and message calls may (they run against the live
 * table without suspend_lock); dev->lock keeps them off the bitmap while
 * it is replaced.  ctl_lock keeps the engines from starting meanwhile.
 */
static int mig_preresume(struct dm_target *ti)
{
	struct mig_target *mt = ti->private;
	struct mig_dev *dev = mt->dev;
	struct mig_bitmap *old = NULL;
	int r = 0;

	mutex_lock(&dev->ctl_lock);
	if (mig_mode(dev) == DM_MIGRATE_MODE_HANDOFF) {
		DMERR("%s: resume refused: a handoff is pending (wait for it, or abort force)",
		      mig_name(dev));
		r = -EBUSY;
		goto out;
	}
	if (mt->grown && mig_ctl_engine_busy(dev)) {
		DMERR("%s: resume refused: a grown table cannot go live while migrating",
		      mig_name(dev));
		r = -EBUSY;
		goto out;
	}
	dev->suspended = false;
	mutex_lock(&dev->ti_lock);
	dev->ti = ti;
	mutex_unlock(&dev->ti_lock);
	if (!mt->grown)
		goto out;

	mutex_lock(&dev->lock);
	old = dev->bm;
	mig_bitmap_copy_grow(mt->grown, old);
	dev->bm = mt->grown;
	dev->sectors = ti->len;
	mutex_unlock(&dev->lock);
	atomic_dec(&dev->grow_pending);

	DMINFO("%s: grown to %llu sectors, %llu new chunks marked dirty",
	       mig_name(dev), (unsigned long long)ti->len,
	       (unsigned long long)(mt->grown->nbits - old->nbits));
	mt->grown = NULL;
out:
	mutex_unlock(&dev->ctl_lock);
	mig_bitmap_free(old);
	return r;
}

static void mig_status(struct dm_target *ti, status_type_t type,
		       unsigned int status_flags, char *result,
		       unsigned int maxlen)
{
	struct mig_target *mt = ti->private;
	struct mig_dev *dev = mt->dev;
	struct mig_stats *st = &dev->stats;
	struct mig_status ss;
	unsigned int sz = 0, i;

	switch (type) {
	case STATUSTYPE_INFO:
		mig_ctl_snapshot(dev, &ss);
		DMEMIT("%s %llu %llu/%llu", mig_mode_names[ss.mode],
		       1ULL << dev->chunk_shift, (unsigned long long)ss.dirty,
		       (unsigned long long)ss.total);
		if (ss.engine == MIG_ENGINE_RECV)
			DMEMIT(" - %s %s", ss.owner ? "owner" :
			       ss.connected ? "connected" : "listening", ss.peer);
		else if (ss.engine == MIG_ENGINE_PUSH)
			DMEMIT(" %u %s %s", ss.round,
			       ss.mode == DM_MIGRATE_MODE_HANDED_OFF ? "closed" :
			       ss.failed ? "stopped" :
			       ss.connected ? "connected" : "connecting", ss.peer);
		else
			DMEMIT(" - - -");
		DMEMIT(" %lld %lld %lld %lld %lld %d %d %u",
		       atomic64_read(&st->bytes_read), atomic64_read(&st->bytes_wire),
		       atomic64_read(&st->chunks), atomic64_read(&st->zero_chunks),
		       atomic64_read(&st->writes), atomic_read(&st->connections),
		       atomic_read(&st->protocol_errors), ss.window_peak);
		/* The last handoff's timing in us, "-" where not measured. */
		for (i = 0; i < MIG_HO_NR; i++) {
			if (ss.handoff_ns[i])
				DMEMIT(" %llu", div_u64(ss.handoff_ns[i], NSEC_PER_USEC));
			else
				DMEMIT(" -");
		}
		DMEMIT(" %s %s", ss.has_encoding ? enc_names[ss.encoding_used] : "-",
		       ss.last_error[0] ? ss.last_error : "-");
		break;
	case STATUSTYPE_TABLE:
		DMEMIT("%s %llu", mt->origin->name, 1ULL << dev->chunk_shift);
		if (mt->receive)
			DMEMIT(" 1 receive");
		break;
	case STATUSTYPE_IMA:
		DMEMIT_TARGET_NAME_VERSION(ti->type);
		DMEMIT(",origin_name=%s,chunk_sectors=%llu,receive=%c;",
		       mt->origin->name, 1ULL << dev->chunk_shift,
		       mt->receive ? 'y' : 'n');
		break;
	}
}

static int mig_message(struct dm_target *ti, unsigned int argc, char **argv,
		       char *result, unsigned int maxlen)
{
	struct mig_target *mt = ti->private;

	return mig_ctl_message(mt->dev, argc, argv, result, maxlen);
}

static int mig_iterate_devices(struct dm_target *ti,
			       iterate_devices_callout_fn fn, void *data)
{
	struct mig_target *mt = ti->private;

	return fn(ti, mt->origin, 0, ti->len, data);
}

static struct target_type mig_target_type = {
	.name		= DM_MIGRATE_TARGET_NAME,
	.version	= {2, 1, 0},
	.module		= THIS_MODULE,
	.ctr		= mig_ctr,
	.dtr		= mig_dtr,
	.map		= mig_map,
	.end_io		= mig_end_io,
	.presuspend	= mig_presuspend,
	.presuspend_undo = mig_presuspend_undo,
	.postsuspend	= mig_postsuspend,
	.preresume	= mig_preresume,
	.resume		= mig_resume,
	.status		= mig_status,
	.message	= mig_message,
	.iterate_devices = mig_iterate_devices,
};

int mig_target_register(void)
{
	return dm_register_target(&mig_target_type);
}

void mig_target_unregister(void)
{
	dm_unregister_target(&mig_target_type);
}
