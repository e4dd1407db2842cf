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
 */
#ifndef DM_MIGRATE_BITMAP_H
#define DM_MIGRATE_BITMAP_H

#include "portable.h"

struct mig_bitmap {
	u64 nbits;		/* number of chunks tracked */
	atomic64_t dirty;	/* number of bits set */
	atomic_long_t *words;	/* DIV_ROUND_UP(nbits, BITS_PER_LONG) words */
	atomic_long_t *summary;	/* bit w: words[w] may be non-zero */
};

int mig_bitmap_init(struct mig_bitmap *bm, u64 nbits);
void mig_bitmap_destroy(struct mig_bitmap *bm);

/* Set / clear bits [first, last]; return how many changed state. */
u64 mig_bitmap_set_range(struct mig_bitmap *bm, u64 first, u64 last);
u64 mig_bitmap_clear_range(struct mig_bitmap *bm, u64 first, u64 last);

bool mig_bitmap_test(const struct mig_bitmap *bm, u64 bit);

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
