/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The engines' entry points, for the control layer (control.c) and the
 * target's I/O path (target.c): push.c and mirror.c are the source,
 * receive.c the destination.  Control calls them with ctl_lock held;
 * they report mode changes and errors through state.h and never call up.
 * A refusal returns an errno and points @why at a sentence saying why.
 */
#ifndef DM_MIGRATE_ENGINE_H
#define DM_MIGRATE_ENGINE_H

#include "dm-migrate.h"

/* push.c: the source engine */
int mig_push_start(struct mig_dev *dev, const struct mig_start *s,
		   const char **why);
int mig_push_set_limits(struct mig_dev *dev, const struct mig_limits *lim,
			const char **why);
int mig_push_pause(struct mig_dev *dev, bool pause, const char **why);
int mig_push_abort(struct mig_dev *dev, bool force, const char **why);
int mig_push_mirror(struct mig_dev *dev, const char **why);
int mig_push_handoff(struct mig_dev *dev, const char **why);
void mig_push_destroy(struct mig_dev *dev);
bool mig_push_running(struct mig_dev *dev);
/* Under dev->lock (mig_push_destroy() clears dev->push under it). */
void mig_push_snapshot(struct mig_dev *dev, struct mig_status *st);
/* The I/O path: take a write over for mirroring (DM_MAPIO_SUBMITTED). */
int mig_push_map(struct mig_dev *dev, struct bio *bio);

/* receive.c: the destination engine */
int mig_recv_start(struct mig_dev *dev, const struct mig_start *s,
		   const char **why);
void mig_recv_stop(struct mig_dev *dev);
/* Once, at the device's creation. */
void mig_recv_init(struct mig_dev *dev);
/* The last table goes: stop, and wait for a stopped receiver's I/O. */
void mig_recv_destroy(struct mig_dev *dev);
bool mig_recv_owner(struct mig_dev *dev);
/* Under dev->lock. */
void mig_recv_snapshot(struct mig_dev *dev, struct mig_status *st);

#endif /* DM_MIGRATE_ENGINE_H */
