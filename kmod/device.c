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
	dev->bm = mig_bitmap_alloc(mig_chunks(ti->len, chunk_shift));
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
	dev->ti = ti;
	dev->md = md;
	dev->devt = disk_devt(dm_disk(md));
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

	/* Stop the engines while the origin is still held. */
	mutex_lock(&dev->ctl_lock);
	if (mig_mode(dev) == DM_MIGRATE_MODE_HANDOFF)
		DMCRIT("%s: table of a pending handoff replaced: the peer may own the volume",
		       mig_name(dev));
	mig_push_destroy(dev);
	mig_recv_stop(dev);
	dev->dead = true;
	mutex_unlock(&dev->ctl_lock);
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

static void mig_mode_changed(struct mig_dev *dev, enum dm_migrate_mode mode);

void mig_set_mode(struct mig_dev *dev, enum dm_migrate_mode mode)
{
	if (READ_ONCE(dev->mode) == mode)
		return;
	WRITE_ONCE(dev->mode, mode);
	mig_mode_changed(dev, mode);
}

/*
 * Move to @to only from a mode in the mask @from (BIT(mode)s), atomically:
 * the engine thread and the control path both move modes, and neither may
 * undo what the other decided (a handoff, a stop).  False if not moved.
 */
bool mig_move_mode(struct mig_dev *dev, unsigned int from,
		   enum dm_migrate_mode to)
{
	enum dm_migrate_mode old = READ_ONCE(dev->mode);

	do {
		if (!(from & BIT(old)))
			return false;
	} while (!try_cmpxchg(&dev->mode, &old, to));
	if (old != to)
		mig_mode_changed(dev, to);
	return true;
}

static void mig_mode_changed(struct mig_dev *dev, enum dm_migrate_mode mode)
{
	mig_dev_event(dev);
	mig_nl_event(dev, DM_MIGRATE_EV_PHASE, 0);
	if (mode == DM_MIGRATE_MODE_CONVERGED)
		mig_nl_event(dev, DM_MIGRATE_EV_CONVERGED, 0);
	else if (mode == DM_MIGRATE_MODE_HANDED_OFF)
		mig_nl_event(dev, DM_MIGRATE_EV_HANDOFF_DONE, 0);
}

/* Raise a dm event (dmsetup wait, uevent) on the live table. */
void mig_dev_event(struct mig_dev *dev)
{
	mutex_lock(&dev->ti_lock);
	if (dev->ti)
		dm_table_event(dev->ti->table);
	mutex_unlock(&dev->ti_lock);
}

void mig_set_error(struct mig_dev *dev, int err, const char *fmt, ...)
{
	char text[sizeof(dev->last_error)];
	va_list args;
	bool same;

	va_start(args, fmt);
	vscnprintf(text, sizeof(text), fmt, args);
	va_end(args);
	spin_lock(&dev->err_lock);
	same = dev->last_errno == err && !strcmp(dev->last_error, text);
	strscpy(dev->last_error, text, sizeof(dev->last_error));
	dev->last_errno = err;
	spin_unlock(&dev->err_lock);
	/* A reconnect loop repeats its error: one event per change. */
	if (!same)
		mig_nl_event(dev, DM_MIGRATE_EV_ERROR, err);
}

void mig_clear_error(struct mig_dev *dev)
{
	spin_lock(&dev->err_lock);
	dev->last_error[0] = '\0';
	dev->last_errno = 0;
	spin_unlock(&dev->err_lock);
}

/* Events of @dev go to @net's listeners from now on. */
void mig_dev_set_net(struct mig_dev *dev, struct net *net)
{
	struct net *old;

	get_net(net);
	spin_lock(&dev->err_lock);
	old = dev->ev_net;
	dev->ev_net = net;
	spin_unlock(&dev->err_lock);
	if (old)
		put_net(old);
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
