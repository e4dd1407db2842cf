/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The engines, as the control layer (control.c) sees them: push (push.c
 * and the files of push.h, the source) and receive (receive.c, the
 * destination), each behind a struct mig_engine_ops.  Control calls the
 * hooks with ctl_lock held (but snapshot: dev->lock; map: the I/O path);
 * the engines report mode changes and errors through state.h and never
 * call up.  A refusal returns an errno and points @why at a sentence.
 */
#ifndef DM_MIGRATE_ENGINE_H
#define DM_MIGRATE_ENGINE_H

#include "dm-migrate.h"

/* The control verbs, whichever front-end asked. */
enum mig_verb {
	MIG_V_PUSH,		/* @start: start the push engine */
	MIG_V_LISTEN,		/* @start: start the receive engine */
	MIG_V_SET,		/* @lim; the verbs below go to the running engine */
	MIG_V_PAUSE,
	MIG_V_RESUME,
	MIG_V_MIRROR,
	MIG_V_HANDOFF,
	MIG_V_ABORT,		/* @force */
	MIG_V_NR
};

struct mig_cmd {
	enum mig_verb verb;
	const struct mig_start *start;
	struct mig_limits lim;
	bool force;
};

struct mig_engine_ops {
	/* Optional: once, when the device is created. */
	void (*init)(struct mig_dev *dev);
	/* Start on a device in tracking mode (control checked the rest). */
	int (*start)(struct mig_dev *dev, const struct mig_start *s,
		     const char **why);
	/* A verb for it, from MIG_V_SET on. */
	int (*command)(struct mig_dev *dev, const struct mig_cmd *cmd,
		       const char **why);
	/* Is it running (the verbs from MIG_V_SET on go to it)? */
	bool (*active)(struct mig_dev *dev);
	/* Does it still hold the device, running or not (no grow then)? */
	bool (*busy)(struct mig_dev *dev);
	/*
	 * Optional: stop now, never waiting for the volume: control hands
	 * the device to the other engine.
	 */
	void (*stop)(struct mig_dev *dev);
	/*
	 * The last table is gone: stop and free everything; the only hook
	 * that may wait for I/O stuck in the volume.
	 */
	void (*destroy)(struct mig_dev *dev);
	/* Under dev->lock: fill its part of @st (fields read racily). */
	void (*snapshot)(struct mig_dev *dev, struct mig_status *st);
	/* The I/O path, if it has one: DM_MAPIO_SUBMITTED when it took @bio. */
	int (*map)(struct mig_dev *dev, struct bio *bio);
};

extern const struct mig_engine_ops mig_push_engine;	/* push.c */
extern const struct mig_engine_ops mig_recv_engine;	/* receive.c */

#endif /* DM_MIGRATE_ENGINE_H */
