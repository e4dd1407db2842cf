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

/* Refresh the name used in log lines (process context). */
static void mig_dev_name(struct mig_dev *dev)
{
	char name[DM_NAME_LEN];

	if (dm_copy_name_and_uuid(dev->md, name, NULL))
		strscpy(name, dm_device_name(dev->md), sizeof(name));
	strscpy(dev->name, name, sizeof(dev->name));
}

/* Both engines; a receiver's status fields win over a push's. */
static const struct mig_engine_ops * const engines[] = {
	&mig_push_engine, &mig_recv_engine,
};

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
	/* In tracking, a receiver is one that took over: it stops answering. */
	mig_recv_engine.stop(dev);
	if (mig_recv_engine.busy(dev)) {
		*why = "the stopped receiver's writes still wait for the volume: retry later";
		return -EBUSY;
	}
	return mig_push_engine.start(dev, cmd->start, why);
}

static int v_listen(struct mig_dev *dev, const struct mig_cmd *cmd,
		    const char **why)
{
	return mig_recv_engine.start(dev, cmd->start, why);
}

/*
 * Every other verb is the running engine's: the receiver's (receiving, or
 * answering its old source after a handoff), or else the push's.
 */
static int v_engine(struct mig_dev *dev, const struct mig_cmd *cmd,
		    const char **why)
{
	const struct mig_engine_ops *e = mig_recv_engine.active(dev) ?
					 &mig_recv_engine : &mig_push_engine;

	return e->command(dev, cmd, why);
}

static int (* const mig_verbs[MIG_V_NR])(struct mig_dev *dev,
					 const struct mig_cmd *cmd,
					 const char **why) = {
	[MIG_V_PUSH]	= v_push,
	[MIG_V_LISTEN]	= v_listen,
	[MIG_V_SET]	= v_engine,
	[MIG_V_PAUSE]	= v_engine,
	[MIG_V_RESUME]	= v_engine,
	[MIG_V_MIRROR]	= v_engine,
	[MIG_V_HANDOFF]	= v_engine,
	[MIG_V_ABORT]	= v_engine,
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
	unsigned int i;

	memset(st, 0, sizeof(*st));
	mutex_lock(&dev->lock);
	st->mode = mig_mode(dev);
	st->dirty = mig_bitmap_dirty(dev->bm);
	st->total = dev->bm->nbits;
	mig_est_sample(dev, st->dirty, &st->rates);
	/*
	 * The push's counters stay after it stopped; a receiver's role,
	 * address and connection win over a push's.
	 */
	for (i = 0; i < ARRAY_SIZE(engines); i++)
		engines[i]->snapshot(dev, st);
	mutex_unlock(&dev->lock);
	spin_lock(&dev->err_lock);
	strscpy(st->last_error, dev->last_error, sizeof(st->last_error));
	spin_unlock(&dev->err_lock);
}

bool mig_ctl_engine_busy(struct mig_dev *dev)
{
	lockdep_assert_held(&dev->ctl_lock);
	return mig_mode(dev) != DM_MIGRATE_MODE_TRACKING ||
	       mig_push_engine.busy(dev) || mig_recv_engine.busy(dev);
}

void mig_ctl_init(struct mig_dev *dev)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(engines); i++)
		if (engines[i]->init)
			engines[i]->init(dev);
}

void mig_ctl_teardown(struct mig_dev *dev)
{
	unsigned int i;

	/* Stop the engines while the origin is still held. */
	mutex_lock(&dev->ctl_lock);
	if (mig_mode(dev) == DM_MIGRATE_MODE_HANDOFF)
		DMCRIT("%s: table of a pending handoff replaced: the peer may own the volume",
		       mig_name(dev));
	for (i = 0; i < ARRAY_SIZE(engines); i++)
		engines[i]->destroy(dev);
	dev->dead = true;
	mutex_unlock(&dev->ctl_lock);
}
