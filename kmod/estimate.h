/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The device's rate estimator (struct mig_estimator in dm-migrate.h): the
 * recent rates of its counters, for status and the pre-copy model.  It
 * samples when asked (status, at most every MIG_RATE_MIN_MS: ratectl.h).
 */
#ifndef DM_MIGRATE_ESTIMATE_H
#define DM_MIGRATE_ESTIMATE_H

#include <linux/types.h>

struct mig_dev;

/* Recent rates: bytes/s, but @writes in chunk writes/s. */
struct mig_rates {
	u64 net;		/* wire bytes */
	u64 send;		/* volume bytes sent (source) or applied */
	u64 dirty;		/* volume bytes of chunks the guest dirtied */
	u64 writes;		/* the guest's chunk writes (mig_writes_seen()) */
	u64 written;		/* the guest's write bytes */
};

/* A clock for the rates, in ms, never 0. */
u64 mig_now_ms(void);

/* Sample the counters, @dirty chunks dirty now; the rates into @out. */
void mig_est_sample(struct mig_dev *dev, u64 dirty, struct mig_rates *out);

#endif /* DM_MIGRATE_ESTIMATE_H */
