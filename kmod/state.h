/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The device's mode, its last error and its events: the one place a mode
 * changes.  Engines and the control layer report what happened as a
 * transition (enum mig_trans); mig_transition() applies it only from the
 * modes its row of the table in state.c allows, atomically, so the engine
 * thread and the control path cannot undo each other's decisions.
 *
 *   tracking --PUSH--> bulk --BULK_DONE--> dirty --CONVERGED--> converged
 *   pre-copy (bulk, dirty, converged) --RESTART--> bulk
 *   pre-copy --MIRROR--> mirroring
 *   pre-copy, mirroring --HANDOFF--> handoff --HANDED_OFF--> handed_off
 *   pre-copy, mirroring --STOP--> tracking
 *   pre-copy, mirroring, handoff --FORCE_STOP--> tracking
 *   receiving --TOOK_OVER--> tracking
 *
 * A device created by a table with the 'receive' feature starts in
 * receiving (device.c); no transition leads there.
 *
 * Events: every transition raises a dm event and a PHASE event; some rows
 * add their own (CONVERGED, HANDOFF_DONE).  The netlink front-end
 * registers the sink that sends them (mig_events_set_sink()); nothing
 * below it calls netlink.
 */
#ifndef DM_MIGRATE_STATE_H
#define DM_MIGRATE_STATE_H

#include "dm-migrate.h"

enum mig_trans {
	MIG_T_PUSH,		/* tracking -> bulk: a push starts */
	MIG_T_RESTART,		/* pre-copy -> bulk: the peer holds nothing */
	MIG_T_BULK_DONE,	/* bulk -> dirty: the first pass is over */
	MIG_T_CONVERGED,	/* dirty -> converged: a stop condition held */
	MIG_T_MIRROR,		/* pre-copy -> mirroring */
	MIG_T_HANDOFF,		/* pre-copy, mirroring -> handoff (decided) */
	MIG_T_HANDED_OFF,	/* handoff -> handed_off: the peer confirmed */
	MIG_T_STOP,		/* pre-copy, mirroring -> tracking */
	MIG_T_FORCE_STOP,	/* pre-copy, mirroring, handoff -> tracking */
	MIG_T_TOOK_OVER,	/* receiving -> tracking: this host owns it */
	MIG_T_NR
};

/* Apply @t if the mode allows it; false (and nothing changes) if not. */
bool mig_transition(struct mig_dev *dev, enum mig_trans t);

/* Record an error for status and send an ERROR event; @err < 0. */
void mig_set_error(struct mig_dev *dev, int err, const char *fmt, ...) __printf(3, 4);
void mig_clear_error(struct mig_dev *dev);

/* Events of @dev go to @net's listeners from now on. */
void mig_dev_set_net(struct mig_dev *dev, struct net *net);
/* Raise a dm event (dmsetup wait, uevent) on the live table. */
void mig_dev_event(struct mig_dev *dev);
/* Send @ev to the sink, if one is registered; never from the I/O path. */
void mig_event(struct mig_dev *dev, enum dm_migrate_event ev, int err);

typedef void (*mig_event_fn)(struct mig_dev *dev, enum dm_migrate_event ev,
			     int err);
/* Set at module init before any device exists, cleared after the last. */
void mig_events_set_sink(mig_event_fn fn);

/*
 * For a kthread whose work is over but whose owner will kthread_stop() it
 * (the owner holds the only reference): sleep until then.
 */
void mig_wait_for_stop(void);

#endif /* DM_MIGRATE_STATE_H */
