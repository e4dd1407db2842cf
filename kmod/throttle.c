// SPDX-License-Identifier: GPL-2.0
/*
 * Guest write throttle (throttle.h).
 */
#include <linux/blkdev.h>
#include <linux/device-mapper.h>
#include <linux/timekeeping.h>

#include "dm-migrate.h"

/* Submits the writes the guest write throttle held back. */
static struct workqueue_struct *mig_io_wq;

int mig_throttle_module_init(void)
{
	mig_io_wq = alloc_workqueue("dm-migrate-io", WQ_MEM_RECLAIM | WQ_UNBOUND, 0);
	return mig_io_wq ? 0 : -ENOMEM;
}

void mig_throttle_module_exit(void)
{
	destroy_workqueue(mig_io_wq);
}

static u64 *release_of(struct bio *bio)
{
	struct mig_io *io = dm_per_bio_data(bio, sizeof(*io));

	return &io->release_ns;
}

/* Submit the held writes whose time has come; rearm for the next. */
static void throttle_work(struct work_struct *work)
{
	struct mig_throttle *t = container_of(to_delayed_work(work),
					      struct mig_throttle, work);
	struct bio_list ready = BIO_EMPTY_LIST;
	u64 now = ktime_get_ns();
	struct blk_plug plug;
	struct bio *bio;

	spin_lock_irq(&t->lock);
	while ((bio = bio_list_peek(&t->queue))) {
		u64 due = *release_of(bio);

		if (!t->bypass && READ_ONCE(t->rate) && due > now) {
			mod_delayed_work(mig_io_wq, &t->work,
					 max(nsecs_to_jiffies(due - now), 1UL));
			break;
		}
		bio_list_add(&ready, bio_list_pop(&t->queue));
	}
	spin_unlock_irq(&t->lock);

	blk_start_plug(&plug);
	while ((bio = bio_list_pop(&ready)))
		dm_submit_bio_remap(bio, NULL);
	blk_finish_plug(&plug);
}

void mig_throttle_init(struct mig_throttle *t)
{
	spin_lock_init(&t->lock);
	bio_list_init(&t->queue);
	INIT_DELAYED_WORK(&t->work, throttle_work);
}

/* The device is gone: every table was suspended first, nothing is held. */
void mig_throttle_destroy(struct mig_throttle *t)
{
	cancel_delayed_work_sync(&t->work);
	WARN_ON_ONCE(!bio_list_empty(&t->queue));
}

/*
 * A new rate applies to what is held, too: the old rate's debt is forgiven
 * and the queue is paced again from now, so that writes held at a rate set
 * too low (1 byte/s holds a 4 KiB write for an hour) go when it is raised,
 * not at the times the old rate gave them.  A higher rate never makes a
 * held write wait longer than it already had to (both sequences of release
 * times rise, so their minimum keeps the queue's order).  Under t->lock;
 * true if the rate changed.
 */
static bool set_rate(struct mig_throttle *t, u64 rate)
{
	u64 now = ktime_get_ns(), old = t->rate;
	struct bio *bio;

	lockdep_assert_held(&t->lock);
	if (rate == old)
		return false;
	WRITE_ONCE(t->rate, rate);
	t->pace.vtime_ns = 0;
	bio_list_for_each(bio, &t->queue) {
		u64 *due = release_of(bio);

		u64 again = !rate ? now :
			    now + mig_pace_admit(&t->pace, now,
						 bio->bi_iter.bi_size, rate);

		*due = rate > old && again > *due ? *due : again;
	}
	return true;
}

void mig_throttle_set_rate(struct mig_throttle *t, u64 rate)
{
	spin_lock_irq(&t->lock);
	WRITE_ONCE(t->automatic, false);
	set_rate(t, rate);
	spin_unlock_irq(&t->lock);
	mod_delayed_work(mig_io_wq, &t->work, 0);
}

bool mig_throttle_set_auto(struct mig_throttle *t, bool on)
{
	bool lifted;

	spin_lock_irq(&t->lock);
	lifted = !on && t->automatic && set_rate(t, 0);
	WRITE_ONCE(t->automatic, on);
	spin_unlock_irq(&t->lock);
	mod_delayed_work(mig_io_wq, &t->work, 0);
	return lifted;
}

bool mig_throttle_auto_rate(struct mig_throttle *t, u64 rate)
{
	bool changed;

	spin_lock_irq(&t->lock);
	changed = t->automatic && set_rate(t, rate);
	spin_unlock_irq(&t->lock);
	if (changed)
		mod_delayed_work(mig_io_wq, &t->work, 0);
	return changed;
}

bool mig_throttle_bio(struct mig_throttle *t, struct bio *bio, u64 *release_ns)
{
	u64 rate = READ_ONCE(t->rate);
	unsigned long flags;
	u64 now, wait;
	bool was_empty;

	if (!rate)
		return false;
	now = ktime_get_ns();
	spin_lock_irqsave(&t->lock, flags);
	/* The rate under the lock: a bio paced at the old one would miss a re-time. */
	rate = t->rate;
	if (t->bypass || !rate) {
		spin_unlock_irqrestore(&t->lock, flags);
		return false;
	}
	wait = mig_pace_admit(&t->pace, now, bio->bi_iter.bi_size, rate);
	was_empty = bio_list_empty(&t->queue);
	if (!wait && was_empty) {
		spin_unlock_irqrestore(&t->lock, flags);
		return false;
	}
	*release_ns = now + wait;
	bio_list_add(&t->queue, bio);
	if (was_empty)
		mod_delayed_work(mig_io_wq, &t->work, nsecs_to_jiffies(wait));
	spin_unlock_irqrestore(&t->lock, flags);
	return true;
}

void mig_throttle_bypass(struct mig_throttle *t, bool bypass)
{
	spin_lock_irq(&t->lock);
	t->bypass = bypass;
	spin_unlock_irq(&t->lock);
	if (bypass) {
		mod_delayed_work(mig_io_wq, &t->work, 0);
		flush_delayed_work(&t->work);
	}
}
