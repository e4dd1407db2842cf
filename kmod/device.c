// SPDX-License-Identifier: GPL-2.0
/*
 * Per mapped-device tracking state and the registry that lets it survive
 * table reloads.
 */
#include <linux/kernel.h>
#include <linux/kthread.h>
#include <linux/slab.h>

#include "dm-migrate.h"

/* Protects mig_devs and every mig_dev's list linkage. */
static DEFINE_MUTEX(mig_devs_lock);
static LIST_HEAD(mig_devs);

struct mig_bitmap *mig_bitmap_alloc(u64 nbits)
{
	struct mig_bitmap *bm = kzalloc(sizeof(*bm), GFP_KERNEL);

	if (!bm)
		return NULL;
	if (mig_bitmap_init(bm, nbits)) {
		kfree(bm);
		return NULL;
	}
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
			    unsigned int chunk_shift, char **error)
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
			refcount_inc(&dev->ref);
		}
		goto out;
	}

	dev = kzalloc(sizeof(*dev), GFP_KERNEL);
	if (!dev) {
		*error = "Cannot allocate tracking state";
		dev = ERR_PTR(-ENOMEM);
		goto out;
	}
	dev->bm = mig_bitmap_alloc(mig_chunks(ti->len, chunk_shift));
	if (!dev->bm) {
		kfree(dev);
		*error = "Cannot allocate dirty bitmap";
		dev = ERR_PTR(-ENOMEM);
		goto out;
	}
	refcount_set(&dev->ref, 1);
	mutex_init(&dev->lock);
	mutex_init(&dev->ctl_lock);
	mutex_init(&dev->ti_lock);
	spin_lock_init(&dev->err_lock);
	dev->ti = ti;
	dev->md = md;
	dev->begin = ti->begin;
	dev->origin = origin;
	dev->chunk_shift = chunk_shift;
	dev->sectors = ti->len;
	dev->mode = DM_MIGRATE_MODE_TRACKING;
	list_add(&dev->list, &mig_devs);
out:
	mutex_unlock(&mig_devs_lock);
	return dev;
}

void mig_dev_put(struct mig_dev *dev)
{
	mutex_lock(&mig_devs_lock);
	if (!refcount_dec_and_test(&dev->ref)) {
		mutex_unlock(&mig_devs_lock);
		return;
	}
	list_del(&dev->list);
	mutex_unlock(&mig_devs_lock);

	/* The last table is going: stop the engines while the origin is held. */
	mutex_lock(&dev->ctl_lock);
	mig_push_destroy(dev);
	mig_recv_stop(dev);
	mutex_unlock(&dev->ctl_lock);

	mig_bitmap_free(dev->bm);
	kfree(dev);
}

void mig_set_mode(struct mig_dev *dev, enum dm_migrate_mode mode)
{
	if (READ_ONCE(dev->mode) == mode)
		return;
	WRITE_ONCE(dev->mode, mode);
	mig_dev_event(dev);
}

/* Raise a dm event (dmsetup wait, uevent) on the live table. */
void mig_dev_event(struct mig_dev *dev)
{
	mutex_lock(&dev->ti_lock);
	if (dev->ti)
		dm_table_event(dev->ti->table);
	mutex_unlock(&dev->ti_lock);
}

void mig_set_error(struct mig_dev *dev, const char *fmt, ...)
{
	va_list args;

	spin_lock(&dev->err_lock);
	va_start(args, fmt);
	vscnprintf(dev->last_error, sizeof(dev->last_error), fmt, args);
	va_end(args);
	spin_unlock(&dev->err_lock);
}

/* A pre-shared key, given as 32 to 128 hex digits (16 to 64 bytes). */
int mig_parse_key(const char *hex, struct mig_key *key)
{
	size_t n = strlen(hex);

	if (n % 2 || n / 2 < DM_MIGRATE_MIN_KEY_LEN ||
	    n / 2 > DM_MIGRATE_MAX_KEY_LEN)
		return -EINVAL;
	if (hex2bin(key->bytes, hex, n / 2))
		return -EINVAL;
	key->len = n / 2;
	return 0;
}

/*
 * Refresh the name used in log lines: the name the operator gave the
 * device (dmsetup rename changes it).  Process context only (takes dm's
 * name hash lock); the I/O path only reads dev->name.
 */
void mig_dev_name(struct mig_dev *dev)
{
	char name[DM_NAME_LEN];

	if (dm_copy_name_and_uuid(dev->md, name, NULL))
		strscpy(name, dm_device_name(dev->md), sizeof(name));
	strscpy(dev->name, name, sizeof(dev->name));
}

/*
 * For a kthread whose work is over but whose owner will kthread_stop() it
 * (the owner holds the only reference): sleep until then.
 */
void mig_wait_for_stop(void)
{
	while (!kthread_should_stop()) {
		set_current_state(TASK_INTERRUPTIBLE);
		if (!kthread_should_stop())
			schedule();
		__set_current_state(TASK_RUNNING);
	}
}
