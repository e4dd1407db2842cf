// SPDX-License-Identifier: GPL-2.0
/*
 * The source's busy chunks: picked for reading, or under a mirrored
 * write, and not yet on the wire (push.c, "busy").  There are at most a
 * few hundred at a time whatever the size of the volume (the slots' runs
 * and the mirrored writes in flight), so they are the indices of an
 * xarray: memory per busy chunk, not a bit per chunk of the volume (that
 * was 32 MiB more for a 16 TiB volume at 64 KiB chunks).
 *
 * Callers: the push thread (rounds.c picks, sender.c and push.c let go),
 * the I/O path (mirror.c claims) and bio completions (mirror.c lets go, in
 * any context: the xarray's lock is taken with interrupts off).  The
 * entries go with the engine memory (push_mem_free()).
 */
#include <linux/lockdep.h>

#include "push.h"

/*
 * Make chunk @i busy; false if it already was.  Also false if the xarray
 * has no memory for it now (@gfp): the caller then leaves the chunk as it
 * would a busy one, dirty bit and all (the picker tries it again after
 * MIG_POLL, a mirrored write takes the tracking path), so a failed insert
 * loses no mark.  Memory: a node of 64 slots per 64 neighbouring chunks,
 * plus the path to it (at most 4 more at 2^28 chunks), freed after an RCU
 * grace period once empty.
 *
 * Process context with interrupts on (the push thread, ->map):
 * xa_insert_irq() turns them back on when it lets go of the lock.
 */
bool mig_busy_claim(struct mig_push *push, u64 i, gfp_t gfp)
{
	lockdep_assert_irqs_enabled();
	return !xa_insert_irq(&push->busy, (unsigned long)i, xa_mk_value(0), gfp);
}

/* Chunks [@first, @last] are busy no more (any context). */
void mig_busy_release(struct mig_push *push, u64 first, u64 last)
{
	unsigned long flags;
	u64 i;

	xa_lock_irqsave(&push->busy, flags);
	for (i = first; i <= last; i++)
		__xa_erase(&push->busy, (unsigned long)i);
	xa_unlock_irqrestore(&push->busy, flags);
}
