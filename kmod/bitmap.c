// SPDX-License-Identifier: GPL-2.0
/*
 * Dirty-chunk bitmap.  Pure logic: builds in the kernel and in userspace
 * (tests/unit/) through portable.h.
 */
#include "bitmap.h"

#define WORD(bit)	((bit) / BITS_PER_LONG)
#define SHIFT(bit)	((unsigned int)((bit) % BITS_PER_LONG))

/* Mask of bits [lo, hi] within one word, 0 <= lo <= hi < BITS_PER_LONG. */
static unsigned long word_mask(unsigned int lo, unsigned int hi)
{
	unsigned long upto_hi = (hi == BITS_PER_LONG - 1) ?
				~0UL : ((1UL << (hi + 1)) - 1);

	return upto_hi & ~((1UL << lo) - 1);
}

static u64 nwords(u64 nbits)
{
	return DIV_ROUND_UP(nbits, (u64)BITS_PER_LONG);
}

int mig_bitmap_init(struct mig_bitmap *bm, u64 nbits)
{
	u64 n = nwords(nbits) ? nwords(nbits) : 1;

	bm->nbits = nbits;
	atomic64_set(&bm->dirty, 0);
	RCU_INIT_POINTER(bm->sub, NULL);
	bm->sub_shift = 0;
	bm->chunk_shift = 0;
	bm->words = mig_zalloc_array(n, sizeof(*bm->words));
	bm->summary = mig_zalloc_array(nwords(n), sizeof(*bm->summary));
	if (bm->words && bm->summary)
		return 0;
	mig_bitmap_destroy(bm);
	return -ENOMEM;
}

void mig_bitmap_destroy(struct mig_bitmap *bm)
{
	mig_free(bm->words);
	bm->words = NULL;
	mig_free(bm->summary);
	bm->summary = NULL;
	/* A stray walk of a destroyed map finds nothing to do. */
	bm->nbits = 0;
}

/* Word @w has a bit set: the summary says so (bitmap.h, "summary"). */
static void summary_set(struct mig_bitmap *bm, u64 w)
{
	atomic_long_t *sum = &bm->summary[WORD(w)];
	unsigned long bit = 1UL << SHIFT(w);

	if (!((unsigned long)atomic_long_read(sum) & bit))
		atomic_long_fetch_or((long)bit, sum);
}

/*
 * Word @w was left zero by a clear: clear its summary bit, then set it
 * back if a setter came in meanwhile.  The fully ordered clear orders the
 * word's read after it, as the setter's fully ordered OR of the word
 * orders its read of the summary: one of the two sees the other.
 */
static void summary_clear(struct mig_bitmap *bm, u64 w)
{
	atomic_long_t *sum = &bm->summary[WORD(w)];
	unsigned long bit = 1UL << SHIFT(w);

	if (!((unsigned long)atomic_long_read(sum) & bit))
		return;
	atomic_long_fetch_andnot((long)bit, sum);
	if (atomic_long_read(&bm->words[w]))
		summary_set(bm, w);
}

/*
 * Apply @set (or clear) to bits [first, last], one atomic operation per
 * word.  The number of bits whose state changed is the popcount of the
 * difference between the old word and the new, so concurrent setters and
 * clearers each account for exactly the transitions they caused.  The
 * summary bit is set after the word's bits, cleared after its last bit.
 */
static u64 change_range(struct mig_bitmap *bm, u64 first, u64 last, bool set)
{
	u64 w, wfirst, wlast, changed = 0;

	if (first >= bm->nbits || first > last)
		return 0;
	if (last >= bm->nbits)
		last = bm->nbits - 1;

	wfirst = WORD(first);
	wlast = WORD(last);
	for (w = wfirst; w <= wlast; w++) {
		unsigned int lo = (w == wfirst) ? SHIFT(first) : 0;
		unsigned int hi = (w == wlast) ? SHIFT(last) : BITS_PER_LONG - 1;
		unsigned long mask = word_mask(lo, hi);
		unsigned long old;

		if (set) {
			/*
			 * Already set: nothing to do, and no atomic operation
			 * to pull the cache line in exclusive (a guest
			 * rewriting hot chunks hits this every time).
			 */
			if (((unsigned long)atomic_long_read(&bm->words[w]) & mask) == mask)
				continue;
			old = atomic_long_fetch_or((long)mask, &bm->words[w]);
			changed += hweight_long(mask & ~old);
			summary_set(bm, w);
		} else {
			old = atomic_long_fetch_andnot((long)mask, &bm->words[w]);
			changed += hweight_long(mask & old);
			if (!(old & ~mask))
				summary_clear(bm, w);
		}
	}

	if (set)
		atomic64_add(changed, &bm->dirty);
	else
		atomic64_sub(changed, &bm->dirty);
	return changed;
}

/*
 * OR @m into the masks of chunks [first, last] (last < nbits), one atomic
 * per word that lacks some of it; unordered: the caller's smp_mb() orders
 * the stores before its look at the dirty bits (bitmap.h, "Sub-block").
 */
static void sub_or(atomic_t *sub, u64 first, u64 last, u32 m)
{
	u64 c;

	for (c = first; c <= last; c++) {
		u32 v = m << (MIG_SUB_BITS * (c & 1));

		/* Both chunks of the word at once. */
		if (!(c & 1) && c < last)
			v |= m << MIG_SUB_BITS;
		if (((u32)atomic_read(&sub[c / 2]) & v) != v)
			atomic_or((int)v, &sub[c / 2]);
		if (!(c & 1) && c < last)
			c++;
	}
}

/* Bits [lo, hi] of a mask, 0 <= lo <= hi < MIG_SUB_BITS. */
static u32 sub_bits(unsigned int lo, unsigned int hi)
{
	return ((2U << hi) - 1) & ~((1U << lo) - 1);
}

u64 mig_bitmap_set_range(struct mig_bitmap *bm, u64 first, u64 last)
{
	atomic_t *sub;
	u64 changed;

	if (first >= bm->nbits || first > last)
		return 0;
	rcu_read_lock();
	sub = rcu_dereference(bm->sub);
	if (sub) {
		/* Whole chunks: the whole mask, before the dirty bits. */
		sub_or(sub, first, min(last, bm->nbits - 1), MIG_SUB_FULL);
		/* Masks stored before the bits are looked at (bitmap.h). */
		smp_mb();
	}
	changed = change_range(bm, first, last, true);
	rcu_read_unlock();
	return changed;
}

/* The mask bits of chunk @c that sectors [@sector, @end) touch. */
static u32 chunk_bits(const struct mig_bitmap *bm, u64 c, u64 sector, u64 end,
		      unsigned int chunk_shift)
{
	u64 cs = c << chunk_shift;
	u64 lo = max(sector, cs) - cs;
	u64 hi = min(end, cs + (1ULL << chunk_shift)) - cs - 1;

	return sub_bits(lo >> bm->sub_shift, hi >> bm->sub_shift);
}

u64 mig_bitmap_mark(struct mig_bitmap *bm, u64 sector, u64 nr,
		    unsigned int chunk_shift)
{
	u64 first = sector >> chunk_shift, end = sector + nr;
	u64 last = (end - 1) >> chunk_shift;
	atomic_t *sub;
	u64 changed;

	if (!nr || first >= bm->nbits)
		return 0;
	if (last >= bm->nbits)
		last = bm->nbits - 1;
	rcu_read_lock();
	sub = rcu_dereference(bm->sub);
	/* The masks are for this geometry (mig_bitmap_sub_attach()). */
	if (sub && bm->chunk_shift == chunk_shift) {
		/*
		 * The end chunks may be partial; the chunks between are whole
		 * (a large discard: one look per two chunks, an atomic only
		 * where a mask lacks bits).
		 */
		sub_or(sub, first, first, chunk_bits(bm, first, sector, end, chunk_shift));
		if (last > first + 1)
			sub_or(sub, first + 1, last - 1, MIG_SUB_FULL);
		if (last > first)
			sub_or(sub, last, last, chunk_bits(bm, last, sector, end, chunk_shift));
		/* Masks stored before the bits are looked at (bitmap.h). */
		smp_mb();
	}
	changed = change_range(bm, first, last, true);
	rcu_read_unlock();
	return changed;
}

u32 mig_bitmap_take_sub(struct mig_bitmap *bm, u64 bit)
{
	unsigned int shift = MIG_SUB_BITS * (bit & 1);
	atomic_t *sub;
	u32 old = 0;

	rcu_read_lock();
	sub = rcu_dereference(bm->sub);
	if (sub && bit < bm->nbits)
		old = (u32)atomic_fetch_andnot((int)(MIG_SUB_FULL << shift),
					       &sub[bit / 2]);
	rcu_read_unlock();
	return (old >> shift) & MIG_SUB_FULL;
}

void mig_bitmap_set_shifts(struct mig_bitmap *bm, unsigned int chunk_shift,
			   unsigned int sub_shift)
{
	bm->chunk_shift = chunk_shift;
	bm->sub_shift = sub_shift;
}

void mig_bitmap_sub_attach(struct mig_bitmap *bm, atomic_t *sub)
{
	/* Only the pointer: the shifts were set before @bm was published. */
	rcu_assign_pointer(bm->sub, sub);
}

atomic_t *mig_bitmap_sub_detach(struct mig_bitmap *bm)
{
	atomic_t *sub = rcu_dereference_protected(bm->sub, true);

	RCU_INIT_POINTER(bm->sub, NULL);
	return sub;
}

u64 mig_bitmap_clear_range(struct mig_bitmap *bm, u64 first, u64 last)
{
	return change_range(bm, first, last, false);
}

bool mig_bitmap_test(const struct mig_bitmap *bm, u64 bit)
{
	if (bit >= bm->nbits)
		return false;
	return atomic_long_read(&bm->words[WORD(bit)]) & (1UL << SHIFT(bit));
}

/*
 * First set bit >= @from, or bm->nbits.  Past the word of @from, only the
 * words the summary marks are read.  A bit set during the walk may be
 * missed (its summary bit read before it was set, or, on a weakly ordered
 * CPU, the summary bit seen before the word's): as without the summary,
 * the dirty count then says another pass is due, and that pass finds it.
 */
static u64 next_set(const struct mig_bitmap *bm, u64 from)
{
	u64 w, sw, n = nwords(bm->nbits), ns = nwords(n);
	unsigned long word, sum;

	if (from >= bm->nbits)
		return bm->nbits;
	w = WORD(from);
	word = atomic_long_read(&bm->words[w]) & (~0UL << SHIFT(from));
	while (!word) {
		if (++w >= n)
			return bm->nbits;
		sw = WORD(w);
		sum = atomic_long_read(&bm->summary[sw]) & (~0UL << SHIFT(w));
		while (!sum) {
			if (++sw >= ns)
				return bm->nbits;
			sum = atomic_long_read(&bm->summary[sw]);
		}
		w = sw * BITS_PER_LONG + __ffs(sum);
		if (w >= n)
			return bm->nbits;
		/* Zero if its summary bit is stale, or a clear is under way. */
		word = atomic_long_read(&bm->words[w]);
	}
	return min(w * BITS_PER_LONG + __ffs(word), bm->nbits);
}

/* First clear bit in [@from, @end), or @end; @from < @end <= bm->nbits. */
static u64 next_clear(const struct mig_bitmap *bm, u64 from, u64 end)
{
	u64 w = WORD(from);
	unsigned long word = ~atomic_long_read(&bm->words[w]) &
			     (~0UL << SHIFT(from));

	/* Bits past nbits are clear: the last word ends a run. */
	while (!word) {
		if (++w * BITS_PER_LONG >= end)
			return end;
		word = ~atomic_long_read(&bm->words[w]);
	}
	return min(w * BITS_PER_LONG + __ffs(word), end);
}

bool mig_bitmap_next_range(const struct mig_bitmap *bm, u64 from, u64 max,
			   u64 *first, u64 *last)
{
	u64 start = next_set(bm, from);

	if (start >= bm->nbits)
		return false;
	*first = start;
	*last = next_clear(bm, start, bm->nbits - start > max ?
			   start + max : bm->nbits) - 1;
	return true;
}

void mig_bitmap_copy_grow(struct mig_bitmap *dst, const struct mig_bitmap *src)
{
	u64 w, n = nwords(src->nbits);
	u64 count = 0;

	for (w = 0; w < n; w++) {
		unsigned long word = atomic_long_read(&src->words[w]);

		/* Bits past src's end in its last word are always clear. */
		atomic_long_set(&dst->words[w], (long)word);
		count += hweight_long(word);
		if (word)
			summary_set(dst, w);
	}
	atomic64_set(&dst->dirty, count);
	if (dst->nbits > src->nbits)
		mig_bitmap_set_range(dst, src->nbits, dst->nbits - 1);
}

u64 mig_bitmap_format_ranges(const struct mig_bitmap *bm, u64 from,
			     unsigned int max_ranges, char *buf, size_t size)
{
	size_t len = 0;
	unsigned int n = 0;
	u64 first, last;

	if (!size)
		return from;
	buf[0] = '\0';

	while (n < max_ranges &&
	       mig_bitmap_next_range(bm, from, U64_MAX, &first, &last)) {
		char item[48];
		int ilen;

		if (first == last)
			ilen = scnprintf(item, sizeof(item), "%s%llu",
					 n ? "," : "", (unsigned long long)first);
		else
			ilen = scnprintf(item, sizeof(item), "%s%llu-%llu",
					 n ? "," : "", (unsigned long long)first,
					 (unsigned long long)last);
		if (len + ilen >= size)
			return first;	/* does not fit: continue here */
		memcpy(buf + len, item, ilen + 1);
		len += ilen;
		n++;
		from = last + 1;
	}

	if (n == max_ranges && mig_bitmap_next_range(bm, from, 1, &first, &last))
		return first;
	return bm->nbits;
}
