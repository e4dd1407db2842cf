// SPDX-License-Identifier: GPL-2.0
/*
 * Modes, errors and events of a device (state.h has the diagram).
 * Called by the engines' threads and by the control layer; takes only
 * dev->err_lock and dev->ti_lock, never a lock of its callers.
 */
#include <linux/kthread.h>

#include "state.h"

#define PRECOPY	(BIT(DM_MIGRATE_MODE_BULK) | BIT(DM_MIGRATE_MODE_DIRTY) | \
		 BIT(DM_MIGRATE_MODE_CONVERGED))
#define M(mode)	BIT(DM_MIGRATE_MODE_##mode)
#define NO_EVENT 0

static const struct {
	u16 from;			/* BIT()s of the modes it leaves */
	u8 to;
	u8 event;			/* sent besides PHASE, or NO_EVENT */
} mig_table[MIG_T_NR] = {
	[MIG_T_PUSH]		= { M(TRACKING), DM_MIGRATE_MODE_BULK },
	[MIG_T_RESTART]		= { PRECOPY, DM_MIGRATE_MODE_BULK },
	[MIG_T_BULK_DONE]	= { M(BULK), DM_MIGRATE_MODE_DIRTY },
	[MIG_T_CONVERGED]	= { M(DIRTY), DM_MIGRATE_MODE_CONVERGED,
				    DM_MIGRATE_EV_CONVERGED },
	[MIG_T_MIRROR]		= { PRECOPY, DM_MIGRATE_MODE_MIRRORING },
	[MIG_T_HANDOFF]		= { PRECOPY | M(MIRRORING), DM_MIGRATE_MODE_HANDOFF },
	[MIG_T_HANDED_OFF]	= { M(HANDOFF), DM_MIGRATE_MODE_HANDED_OFF,
				    DM_MIGRATE_EV_HANDOFF_DONE },
	[MIG_T_STOP]		= { PRECOPY | M(MIRRORING), DM_MIGRATE_MODE_TRACKING },
	[MIG_T_FORCE_STOP]	= { PRECOPY | M(MIRRORING) | M(HANDOFF),
				    DM_MIGRATE_MODE_TRACKING },
	[MIG_T_TOOK_OVER]	= { M(RECEIVING), DM_MIGRATE_MODE_TRACKING,
				    DM_MIGRATE_EV_HANDOFF_DONE },
};

/* Events start at 1 (uapi), so 0 is free to mean none. */
static_assert(DM_MIGRATE_EV_PHASE > NO_EVENT);

static mig_event_fn mig_sink;

bool mig_transition(struct mig_dev *dev, enum mig_trans t)
{
	enum dm_migrate_mode old = READ_ONCE(dev->mode), to = mig_table[t].to;

	do {
		if (!(mig_table[t].from & BIT(old)))
			return false;
	} while (!try_cmpxchg(&dev->mode, &old, to));
	if (old == to)
		return true;
	mig_dev_event(dev);
	mig_event(dev, DM_MIGRATE_EV_PHASE, 0);
	if (mig_table[t].event != NO_EVENT)
		mig_event(dev, mig_table[t].event, 0);
	return true;
}

void mig_events_set_sink(mig_event_fn fn)
{
	WRITE_ONCE(mig_sink, fn);
}

void mig_event(struct mig_dev *dev, enum dm_migrate_event ev, int err)
{
	mig_event_fn fn = READ_ONCE(mig_sink);

	if (fn)
		fn(dev, ev, err);
}

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
		mig_event(dev, DM_MIGRATE_EV_ERROR, err);
}

void mig_clear_error(struct mig_dev *dev)
{
	spin_lock(&dev->err_lock);
	dev->last_error[0] = '\0';
	dev->last_errno = 0;
	spin_unlock(&dev->err_lock);
}

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

void mig_wait_for_stop(void)
{
	while (!kthread_should_stop()) {
		set_current_state(TASK_INTERRUPTIBLE);
		if (!kthread_should_stop())
			schedule();
		__set_current_state(TASK_RUNNING);
	}
}
