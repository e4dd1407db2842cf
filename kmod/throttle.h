/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest write throttle: while a push is in pre-copy, the operator may cap
 * the rate of the guest's writes (bytes/s), so that a guest that dirties
 * faster than the link drains still converges.  Writes over the rate are
 * held in a FIFO and submitted at their pacing time (ratectl.h); nothing
 * is reordered and nothing is dropped.  A suspend releases every held
 * write at once.
 */
#ifndef DM_MIGRATE_THROTTLE_H
#define DM_MIGRATE_THROTTLE_H

#include <linux/bio.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>

#include "ratectl.h"

struct mig_throttle {
	spinlock_t lock;		/* protects bypass, pace, queue */
	u64 rate;			/* bytes/s; 0: off; written under lock */
	bool automatic;			/* auto_throttle sets @rate; ditto */
	bool bypass;			/* suspending: let everything through */
	struct mig_pace pace;
	struct bio_list queue;		/* held writes, by release time */
	struct delayed_work work;
};

/* The module's workqueue that submits held writes: init and exit. */
int mig_throttle_module_init(void);
void mig_throttle_module_exit(void);

void mig_throttle_init(struct mig_throttle *t);
void mig_throttle_destroy(struct mig_throttle *t);
/* The operator's rate: auto_throttle is off from now. */
void mig_throttle_set_rate(struct mig_throttle *t, u64 rate);
/*
 * auto_throttle (rounds.c) on or off.  Off lifts the rate it set: true
 * when that changed the rate.
 */
bool mig_throttle_set_auto(struct mig_throttle *t, bool on);
/* auto_throttle's new rate, set only while it is on: true if it changed. */
bool mig_throttle_auto_rate(struct mig_throttle *t, u64 rate);

/*
 * Called from ->map with a write already remapped to the origin and
 * marked dirty.  Returns true when the throttle holds it: it is submitted
 * later with dm_submit_bio_remap() and ->map must return
 * DM_MAPIO_SUBMITTED.  @release_ns is the bio's per-bio slot for its time.
 */
bool mig_throttle_bio(struct mig_throttle *t, struct bio *bio, u64 *release_ns);

/* ->presuspend: submit every held write now; ->resume: throttle again. */
void mig_throttle_bypass(struct mig_throttle *t, bool bypass);

#endif /* DM_MIGRATE_THROTTLE_H */
