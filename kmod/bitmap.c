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
	bm->nbits = nbits;
	atomic64_set(&bm->dirty, 0);
	bm->words = mig_zalloc_array(nwords(nbits) ? nwords(nbits) : 1,
				     sizeof(*bm->words));
	return bm->words ? 0 : -ENOMEM;
}

void mig_bitmap_destroy(struct mig_bitmap *bm)
{
	mig_free(bm->words);
	bm->words = NULL;
	/* A stray walk of a destroyed map finds nothing to do. */
	bm->nbits = 0;
}

/*
 * Apply @set (or clear) to bits [first, last], one atomic operation per
 * word.  The number of bits whose state changed is the popcount of the
 * difference between the old word and the new, so concurrent setters and
 * clearers each account for exactly the transitions they caused.
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
		} else {
			old = atomic_long_fetch_andnot((long)mask, &bm->words[w]);
			changed += hweight_long(mask & old);
		}
	}

	if (set)
		atomic64_add(changed, &bm->dirty);
	else
		atomic64_sub(changed, &bm->dirty);
	return changed;
}

u64 mig_bitmap_set_range(struct mig_bitmap *bm, u64 first, u64 last)
{
	return change_range(bm, first, last, true);
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

/* First bit >= @from whose value is @want, or bm->nbits. */
static u64 find_next(const struct mig_bitmap *bm, u64 from, bool want)
{
	u64 w, n = nwords(bm->nbits);
	unsigned long word;

	if (from >= bm->nbits)
		return bm->nbits;

	w = WORD(from);
	word = atomic_long_read(&bm->words[w]);
	if (!want)
		word = ~word;
	word &= ~0UL << SHIFT(from);

	for (;;) {
		if (word) {
			u64 bit = w * BITS_PER_LONG + __ffs(word);

			return bit < bm->nbits ? bit : bm->nbits;
		}
		if (++w >= n)
			return bm->nbits;
		word = atomic_long_read(&bm->words[w]);
		if (!want)
			word = ~word;
	}
}

bool mig_bitmap_next_range(const struct mig_bitmap *bm, u64 from,
			   u64 *first, u64 *last)
{
	u64 start = find_next(bm, from, true);

	if (start >= bm->nbits)
		return false;
	*first = start;
	*last = find_next(bm, start, false) - 1;
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

	while (n < max_ranges && mig_bitmap_next_range(bm, from, &first, &last)) {
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

	if (n == max_ranges && mig_bitmap_next_range(bm, from, &first, &last))
		return first;
	return bm->nbits;
}
