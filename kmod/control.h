/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The control layer: the verbs both front-ends (ctlmsg.c for `dmsetup
 * message`, netlink.c for the generic netlink family) turn their input
 * into, and the status snapshot both format.  See control.c.
 */
#ifndef DM_MIGRATE_CONTROL_H
#define DM_MIGRATE_CONTROL_H

#include "engine.h"

/*
 * Carry @cmd out under the device's ctl_lock.  0, or an errno with @why
 * pointing at a sentence (for the log line or the extended ack).
 */
int mig_control(struct mig_dev *dev, const struct mig_cmd *cmd,
		const char **why);

/* Everything status shows, read under dev->lock and err_lock. */
void mig_ctl_snapshot(struct mig_dev *dev, struct mig_status *st);

/* Under ctl_lock: does an engine hold the device (no grow then)? */
bool mig_ctl_engine_busy(struct mig_dev *dev);

/* The I/O path of a write in mirroring (target.c). */
static inline int mig_ctl_map(struct mig_dev *dev, struct bio *bio)
{
	return mig_push_engine.map(dev, bio);
}

/* A new device (device.c): what the engines keep in it. */
void mig_ctl_init(struct mig_dev *dev);

/* The last table is gone (device.c): stop every engine. */
void mig_ctl_teardown(struct mig_dev *dev);

#endif /* DM_MIGRATE_CONTROL_H */
