// SPDX-License-Identifier: GPL-2.0
/*
 * The device's rate estimator (estimate.h).  Called by the status paths
 * (control.c's snapshot) with dev->lock held, and by the push thread
 * (auto_throttle, rounds.c), which needs no lock for dev->bm: only a grow
 * replaces it, refused while a push runs.  The estimator's own spinlock
 * keeps concurrent samples in order.
 */
#include "dm-migrate.h"
#include "model.h"

#include <linux/timekeeping.h>

u64 mig_now_ms(void)
{
	return div_u64(ktime_get_ns(), NSEC_PER_MSEC) + 1;
}

void mig_est_sample(struct mig_dev *dev, u64 dirty, struct mig_rates *out)
{
	struct mig_estimator *est = &dev->est;
	struct mig_stats *st = &dev->stats;
	u64 chunk = 512ULL << dev->chunk_shift, t = mig_now_ms();
	u64 chunks = dev->bm->nbits, dirtied = atomic64_read(&st->dirtied);
	u64 clean = chunks - min(dirty, chunks);

	spin_lock(&est->lock);
	mig_rate_update(&est->net, t, atomic64_read(&st->bytes_wire));
	mig_rate_update(&est->send, t, atomic64_read(&st->chunks) * chunk);
	mig_rate_update(&est->dirty, t, dirtied * chunk);
	/*
	 * The guest's chunk writes behind the chunks it dirtied since the
	 * last sample (a push start resets the counters: start over).
	 */
	if (dirtied < est->dirtied)
		est->dirtied = 0;
	est->writes += mig_writes_seen(dirtied - est->dirtied, chunks,
				       est->clean, clean);
	est->dirtied = dirtied;
	est->clean = clean;
	mig_rate_update(&est->write_rate, t, est->writes);
	mig_rate_update(&est->written, t, atomic64_read(&st->written));
	out->net = est->net.rate;
	out->send = est->send.rate;
	out->dirty = est->dirty.rate;
	out->writes = est->write_rate.rate;
	out->written = est->written.rate;
	spin_unlock(&est->lock);
}
