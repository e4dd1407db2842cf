// SPDX-License-Identifier: GPL-2.0
/*
 * Per mapped-device tracking state and the registry that lets it survive
 * table reloads.
 */
#include <linux/kernel.h>
#include <linux/slab.h>

#include "control.h"
#include "device.h"
#include "dm-migrate.h"

/* Protects mig_devs and every mig_dev's list linkage. */
static DEFINE_MUTEX(mig_devs_lock);
static LIST_HEAD(mig_devs);

/*
 * The shifts are fixed per device (the chunk size cannot change on
 * reload), so they are set here, before the bitmap is published, and never
 * again: attaching masks then publishes only the pointer (bitmap.h).
 */
struct mig_bitmap *mig_bitmap_alloc(u64 nbits, unsigned int chunk_shift)
{
	struct mig_bitmap *bm = kzalloc(sizeof(*bm), GFP_KERNEL);
	u32 subs = dm_migrate_piece_subs(1U << chunk_shift);

	if (!bm)
		return NULL;
	if (mig_bitmap_init(bm, nbits)) {
		kfree(bm);
		return NULL;
	}
	/* Fewer than 2 sub-blocks: no masks are ever attached. */
	mig_bitmap_set_shifts(bm, chunk_shift,
			      subs < 2 ? chunk_shift : chunk_shift - ilog2(subs));
	return bm;
}

void mig_bitmap_free(struct mig_bitmap *bm)
{
	if (!bm)
		return;
	mig_bitmap_destroy(bm);
	kfree(bm);
}

static struct mig_dev *mig_dev_find(struct mapped_device *md, sector_t begin)
{
	struct mig_dev *dev;

	lockdep_assert_held(&mig_devs_lock);
	list_for_each_entry(dev, &mig_devs, list)
		if (dev->md == md && dev->begin == begin)
			return dev;
	return NULL;
}

/*
 * Find the tracking state of the device @ti belongs to, or create it.
 * Called from the constructor; a reload finds the state of the table that
 * is still live and shares it.  The geometry of a reload must be
 * compatible: same origin, same chunk size, same or larger length (the
 * constructor allocates the grown bitmap; preresume installs it).
 */
struct mig_dev *mig_dev_get(struct dm_target *ti, dev_t origin,
			    unsigned int chunk_shift, bool receive, char **error)
{
	struct mapped_device *md = dm_table_get_md(ti->table);
	struct mig_dev *dev;

	mutex_lock(&mig_devs_lock);
	dev = mig_dev_find(md, ti->begin);
	if (dev) {
		if (dev->origin != origin) {
			*error = "Origin device differs from the live table (recreate the device)";
			dev = ERR_PTR(-EINVAL);
		} else if (dev->chunk_shift != chunk_shift) {
			*error = "Chunk size cannot change on reload";
			dev = ERR_PTR(-EINVAL);
		} else if (ti->len < dev->sectors) {
			*error = "Cannot shrink a tracked device";
			dev = ERR_PTR(-EINVAL);
		} else {
			refcount_inc(&dev->tables);
		}
		goto out;
	}

	dev = kzalloc(sizeof(*dev), GFP_KERNEL);
	if (!dev) {
		*error = "Cannot allocate tracking state";
		dev = ERR_PTR(-ENOMEM);
		goto out;
	}
	dev->bm = mig_bitmap_alloc(mig_chunks(ti->len, chunk_shift), chunk_shift);
	if (!dev->bm) {
		kfree(dev);
		*error = "Cannot allocate dirty bitmap";
		dev = ERR_PTR(-ENOMEM);
		goto out;
	}
	refcount_set(&dev->tables, 1);
	kref_init(&dev->kref);
	mutex_init(&dev->lock);
	mutex_init(&dev->ctl_lock);
	mutex_init(&dev->ti_lock);
	spin_lock_init(&dev->err_lock);
	spin_lock_init(&dev->est.lock);
	mig_throttle_init(&dev->throttle);
	mig_ctl_init(dev);
	dev->ti = ti;
	dev->md = md;
	dev->devt = disk_devt(dm_disk(md));
	dev->begin = ti->begin;
	dev->origin = origin;
	dev->chunk_shift = chunk_shift;
	dev->sectors = ti->len;
	/* A new device created to receive starts in receive mode. */
	dev->mode = receive ? DM_MIGRATE_MODE_RECEIVING : DM_MIGRATE_MODE_TRACKING;
	list_add(&dev->list, &mig_devs);
out:
	mutex_unlock(&mig_devs_lock);
	return dev;
}

static void mig_dev_free(struct kref *kref)
{
	struct mig_dev *dev = container_of(kref, struct mig_dev, kref);

	mig_throttle_destroy(&dev->throttle);
	if (dev->ev_net)
		put_net(dev->ev_net);
	mig_bitmap_free(dev->bm);
	kfree(dev);
}

/* A table lets go; the last one stops the engines. */
void mig_dev_put(struct mig_dev *dev)
{
	mutex_lock(&mig_devs_lock);
	if (!refcount_dec_and_test(&dev->tables)) {
		mutex_unlock(&mig_devs_lock);
		return;
	}
	list_del(&dev->list);
	mutex_unlock(&mig_devs_lock);

	mig_ctl_teardown(dev);
	kref_put(&dev->kref, mig_dev_free);
}

/*
 * For netlink: the tracking state of the mapped device @md (held by the
 * caller), with a memory reference; mig_dev_release() drops it.  A device
 * with several migrate targets answers with the first of them.
 */
struct mig_dev *mig_dev_lookup(struct mapped_device *md)
{
	struct mig_dev *dev, *found = NULL;

	mutex_lock(&mig_devs_lock);
	list_for_each_entry(dev, &mig_devs, list)
		if (dev->md == md && (!found || dev->begin < found->begin))
			found = dev;
	if (found)
		kref_get(&found->kref);
	mutex_unlock(&mig_devs_lock);
	return found;
}

/* For netlink dumps: the @idx-th device of the registry, referenced. */
struct mig_dev *mig_dev_nth(unsigned long idx)
{
	struct mig_dev *dev;

	mutex_lock(&mig_devs_lock);
	list_for_each_entry(dev, &mig_devs, list) {
		if (idx--)
			continue;
		kref_get(&dev->kref);
		mutex_unlock(&mig_devs_lock);
		return dev;
	}
	mutex_unlock(&mig_devs_lock);
	return NULL;
}

void mig_dev_release(struct mig_dev *dev)
{
	kref_put(&dev->kref, mig_dev_free);
}
