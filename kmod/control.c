// SPDX-License-Identifier: GPL-2.0
/*
 * The control layer, between the front-ends and the engines:
 *
 *   target.c  ctlmsg.c  netlink.c      front-ends: text, attributes, dm
 *         \      |      /
 *          control.c, device.c         verbs, snapshot, registry
 *            |            \
 *   push.c mirror.c     receive.c      engines (engine.h)
 *            \            /
 *             state.c                  modes, errors, events
 *                 |
 *   seal, auth, transport, wire, compress, bitmap, ratectl, throttle
 *
 * Every verb runs under the device's ctl_lock, whichever front-end asked,
 * so both see the same rules.  A verb that starts or stops an engine
 * does it here; the engines move the mode only through mig_transition().
 * Lock order: ctl_lock, then dev->lock, then an engine's own locks, then
 * err_lock and ti_lock (state.c).
 */
#include <linux/mutex.h>

#include "control.h"
#include "engine.h"

void mig_dev_name(struct mig_dev *dev)
{
	char name[DM_NAME_LEN];

	if (dm_copy_name_and_uuid(dev->md, name, NULL))
		strscpy(name, dm_device_name(dev->md), sizeof(name));
	strscpy(dev->name, name, sizeof(dev->name));
}

static int v_push(struct mig_dev *dev, const struct mig_cmd *cmd,
		  const char **why)
{
	if (mig_mode(dev) != DM_MIGRATE_MODE_TRACKING) {
		*why = mig_mode(dev) == DM_MIGRATE_MODE_RECEIVING ?
		       "the device is receiving a migration" :
		       "the device is already migrating (abort it first)";
		return -EBUSY;
	}
	if (atomic_read(&dev->grow_pending)) {
		*why = "a grown table is loaded but not resumed: resume the device first";
		return -EBUSY;
	}
	/* A destination that took over stops answering its old source. */
	if (mig_recv_owner(dev))
		mig_recv_stop(dev);
	return mig_push_start(dev, cmd->start, why);
}

static int v_listen(struct mig_dev *dev, const struct mig_cmd *cmd,
		    const char **why)
{
	return mig_recv_start(dev, cmd->start, why);
}

static int v_set(struct mig_dev *dev, const struct mig_cmd *cmd,
		 const char **why)
{
	return mig_push_set_limits(dev, &cmd->lim, why);
}

static int v_pause(struct mig_dev *dev, const struct mig_cmd *cmd,
		   const char **why)
{
	return mig_push_pause(dev, cmd->verb == MIG_V_PAUSE, why);
}

static int v_mirror(struct mig_dev *dev, const struct mig_cmd *cmd,
		    const char **why)
{
	return mig_push_mirror(dev, why);
}

static int v_handoff(struct mig_dev *dev, const struct mig_cmd *cmd,
		     const char **why)
{
	return mig_push_handoff(dev, why);
}

/*
 * abort: stop the receiver (receiving, or answering its old source after
 * a handoff), or else the push; force: even a pending handoff.
 */
static int v_abort(struct mig_dev *dev, const struct mig_cmd *cmd,
		   const char **why)
{
	if (dev->recv) {
		mig_recv_stop(dev);
		return 0;
	}
	return mig_push_abort(dev, cmd->force, why);
}

static int (* const mig_verbs[MIG_V_NR])(struct mig_dev *dev,
					 const struct mig_cmd *cmd,
					 const char **why) = {
	[MIG_V_PUSH]	= v_push,
	[MIG_V_LISTEN]	= v_listen,
	[MIG_V_SET]	= v_set,
	[MIG_V_PAUSE]	= v_pause,
	[MIG_V_RESUME]	= v_pause,
	[MIG_V_MIRROR]	= v_mirror,
	[MIG_V_HANDOFF]	= v_handoff,
	[MIG_V_ABORT]	= v_abort,
};

int mig_control(struct mig_dev *dev, const struct mig_cmd *cmd,
		const char **why)
{
	int r;

	if (cmd->verb >= MIG_V_NR)
		return -EINVAL;
	mutex_lock(&dev->ctl_lock);
	if (dev->dead) {
		*why = "the device's migrate table is gone";
		r = -ENODEV;
	} else {
		mig_dev_name(dev);
		r = mig_verbs[cmd->verb](dev, cmd, why);
	}
	mutex_unlock(&dev->ctl_lock);
	return r;
}

void mig_ctl_snapshot(struct mig_dev *dev, struct mig_status *st)
{
	memset(st, 0, sizeof(*st));
	mutex_lock(&dev->lock);
	st->mode = mig_mode(dev);
	st->dirty = mig_bitmap_dirty(dev->bm);
	st->total = dev->bm->nbits;
	/*
	 * The push's counters stay after it stopped; a receiver's role,
	 * address and connection win over a push's.
	 */
	mig_push_snapshot(dev, st);
	mig_recv_snapshot(dev, st);
	mutex_unlock(&dev->lock);
	spin_lock(&dev->err_lock);
	strscpy(st->last_error, dev->last_error, sizeof(st->last_error));
	spin_unlock(&dev->err_lock);
}

bool mig_ctl_engine_busy(struct mig_dev *dev)
{
	lockdep_assert_held(&dev->ctl_lock);
	return mig_mode(dev) != DM_MIGRATE_MODE_TRACKING ||
	       mig_push_running(dev) || dev->recv ||
	       READ_ONCE(dev->recv_old);
}

void mig_ctl_init(struct mig_dev *dev)
{
	mig_recv_init(dev);
}

void mig_ctl_teardown(struct mig_dev *dev)
{
	/* Stop the engines while the origin is still held. */
	mutex_lock(&dev->ctl_lock);
	if (mig_mode(dev) == DM_MIGRATE_MODE_HANDOFF)
		DMCRIT("%s: table of a pending handoff replaced: the peer may own the volume",
		       mig_name(dev));
	mig_push_destroy(dev);
	mig_recv_destroy(dev);
	dev->dead = true;
	mutex_unlock(&dev->ctl_lock);
}
