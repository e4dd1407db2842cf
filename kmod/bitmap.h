/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Dirty-chunk bitmap: one bit per chunk, set by the I/O path, cleared by
 * whoever consumes dirty chunks (the operator's messages now, the
 * replication engine later).  Every operation is lock-free: bits change
 * with atomic read-modify-write operations on whole words, and the count of
 * dirty chunks is kept exact by crediting each bit transition to exactly
 * the one atomic operation that made it.
 *
 * A second level, the summary, has one bit per word of the bitmap, set
 * whenever that word may have a bit set, so that a walk over a nearly clean
 * bitmap reads one summary word per 64 words (4096 chunks): a round over a
 * 16 TiB volume of 64 KiB chunks reads 512 KiB, not 32 MiB.  A setter sets
 * the summary bit after the word's bit; a clearer that leaves the word zero
 * clears the summary bit, then looks at the word again and sets the bit
 * back if a setter came in between (both sides order the two with a fully
 * ordered atomic, so at least one of them sees the other's store).  A
 * summary bit may so stay set over a zero word: that costs a walk one
 * read, never a missed bit.
 *
 * Sub-block masks (optional, attached by a push while it runs): 16 bits
 * per chunk, one per sub-block (wire.h, mig_geom_subs()), saying which
 * parts of a dirty chunk were written since it was last taken, so that
 * the dirty rounds send only those (PIECE).  Two chunks share an
 * atomic_t: 2 bytes per chunk, 1/4096 of the volume at 8 KiB chunks (the
 * smallest with sub-blocks), 1/32768 at 64 KiB.  The rules:
 *
 *  - A mask is a superset hint: a bit set that needs no sending costs
 *    bytes, never data.  A dirty chunk whose mask is empty (its bit was
 *    set while no masks were attached) is sent whole.
 *  - Every setter sets the mask bits first and the dirty bit after, with
 *    a full barrier between (the mask stores are visible before the dirty
 *    bit is looked at).  mig_bitmap_set_range() (the paths that do not
 *    know which sectors changed: a reconnect's resend, a failed read, the
 *    operator's marks) sets the whole mask, so that a later partial write
 *    cannot narrow a chunk that must go whole.
 *  - The consumer clears the dirty bit first (a fully ordered atomic),
 *    then takes the mask with one fully ordered read-and-clear
 *    (mig_bitmap_take_sub()), then reads the chunk.  A setter whose mask
 *    store the take missed sets the dirty bit after the clear (it looks
 *    at the bit only after its mask store, and the clear came before the
 *    take), so the chunk is dirty again with that sub-block in its mask.
 *    A setter whose mask store the take saw completed its write before
 *    the take (marks after the write: target.c, "The in-flight
 *    invariant"), so the read that follows the take sees the data.
 *  - Masks come and go under RCU: readers look at bm->sub under
 *    rcu_read_lock(); the detacher waits for a grace period before it
 *    frees them.
 */
#ifndef DM_MIGRATE_BITMAP_H
#define DM_MIGRATE_BITMAP_H

#include "portable.h"

struct mig_bitmap {
	u64 nbits;		/* number of chunks tracked */
	atomic64_t dirty;	/* number of bits set */
	atomic_long_t *words;	/* DIV_ROUND_UP(nbits, BITS_PER_LONG) words */
	atomic_long_t *summary;	/* bit w: words[w] may be non-zero */
	atomic_t __rcu *sub;	/* sub-block masks, 2 chunks a word, or NULL */
	/*
	 * Fixed for the bitmap's life: set by mig_bitmap_set_shifts() before
	 * the bitmap is published, never written again, so a reader that got
	 * bm->sub through rcu_dereference() never sees stale shifts.
	 */
	unsigned int sub_shift;	/* log2 of a sub-block, in sectors */
	unsigned int chunk_shift; /* log2 of a chunk, in sectors */
};

/* The masks' bits of one chunk, and the words a bitmap of @nbits needs. */
#define MIG_SUB_BITS		16
#define MIG_SUB_FULL		0xffffU
static inline u64 mig_sub_words(u64 nbits)
{
	return DIV_ROUND_UP(nbits, 2);
}

int mig_bitmap_init(struct mig_bitmap *bm, u64 nbits);
void mig_bitmap_destroy(struct mig_bitmap *bm);

/* Set / clear bits [first, last]; return how many changed state. */
u64 mig_bitmap_set_range(struct mig_bitmap *bm, u64 first, u64 last);
u64 mig_bitmap_clear_range(struct mig_bitmap *bm, u64 first, u64 last);

bool mig_bitmap_test(const struct mig_bitmap *bm, u64 bit);

/*
 * The geometry the masks are for: a chunk of 1 << @chunk_shift sectors has
 * sub-blocks of 1 << @sub_shift (at most MIG_SUB_BITS).  Called once, right
 * after mig_bitmap_init() and before the bitmap is visible to anyone.
 */
void mig_bitmap_set_shifts(struct mig_bitmap *bm, unsigned int chunk_shift,
			   unsigned int sub_shift);

/*
 * Attach sub-block masks: @sub holds mig_sub_words(bm->nbits) words, every
 * bit set (a chunk dirty now must go whole), for the shifts set above.
 * Detach returns them; the caller frees them after synchronize_rcu().
 * Neither runs concurrently with itself or the other.
 */
void mig_bitmap_sub_attach(struct mig_bitmap *bm, atomic_t *sub);
atomic_t *mig_bitmap_sub_detach(struct mig_bitmap *bm);

/*
 * The I/O path's mark: sectors [@sector, @sector + @nr) changed, of
 * chunks of 1 << @chunk_shift sectors: their sub-blocks' mask bits, then
 * their chunks' dirty bits.  Returns how many dirty bits changed.
 */
u64 mig_bitmap_mark(struct mig_bitmap *bm, u64 sector, u64 nr,
		    unsigned int chunk_shift);

/*
 * The mask of chunk @bit, read and cleared in one fully ordered step;
 * call it right after clearing the chunk's dirty bit.  0 without masks.
 */
u32 mig_bitmap_take_sub(struct mig_bitmap *bm, u64 bit);

static inline u64 mig_bitmap_dirty(const struct mig_bitmap *bm)
{
	return (u64)atomic64_read(&bm->dirty);
}

/*
 * Find the first run of set bits that starts at or after @from, and store
 * its bounds in [*first, *last], at most @max bits of it (a longer run is
 * found in pieces: the walk reads no further than it returns).  Returns
 * false when no bit at or after @from is set.  @max must be at least 1.
 */
bool mig_bitmap_next_range(const struct mig_bitmap *bm, u64 from, u64 max,
			   u64 *first, u64 *last);

/*
 * Copy every bit of @src into @dst, which must be at least as large, and
 * mark the bits beyond @src's end dirty (space a volume grew by holds data
 * the peer has never seen).  Neither bitmap may change concurrently.
 */
void mig_bitmap_copy_grow(struct mig_bitmap *dst, const struct mig_bitmap *src);

/*
 * Write the runs of set bits starting at or after @from, as a compact
 * comma-separated list of chunk numbers and inclusive ranges ("0-15,32"),
 * into @buf.  At most @max_ranges runs are written, and never more than
 * fits.  Returns the chunk at which a further call should continue, or
 * bm->nbits when the list is complete.
 */
u64 mig_bitmap_format_ranges(const struct mig_bitmap *bm, u64 from,
			     unsigned int max_ranges, char *buf, size_t size);

#endif /* DM_MIGRATE_BITMAP_H */
