// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for kmod/bitmap.c, built for userspace: the word-level set
 * and clear operations and the range walks are checked against a plain
 * array of booleans under random operations, plus the edge cases; the
 * summary level is checked against the words after every operation and
 * under concurrent setters and clearers, and the walks' costs are counted
 * in words read (portable_user.h counts atomic_long_read()).
 */
#include <pthread.h>
#include <sched.h>
#include <time.h>
#include <unistd.h>

#include "bitmap.h"
#include "kselftest.h"

/* Every word with a bit set has its summary bit (exact when @exact). */
static bool summary_ok(const struct mig_bitmap *bm, bool exact)
{
	u64 w, n = DIV_ROUND_UP(bm->nbits, (u64)BITS_PER_LONG);

	for (w = 0; w < n; w++) {
		bool word = bm->words[w].counter != 0;
		bool sum = bm->summary[w / BITS_PER_LONG].counter &
			   (1UL << (w % BITS_PER_LONG));

		if ((word && !sum) || (exact && sum && !word))
			return false;
	}
	return true;
}

static bool model_ranges(const bool *m, u64 n, char *buf, size_t size)
{
	size_t len = 0;
	u64 i = 0;
	int first = 1;

	buf[0] = '\0';
	while (i < n) {
		u64 j;

		if (!m[i]) {
			i++;
			continue;
		}
		for (j = i; j + 1 < n && m[j + 1]; j++)
			;
		if (i == j)
			len += snprintf(buf + len, size - len, "%s%llu",
					first ? "" : ",", (unsigned long long)i);
		else
			len += snprintf(buf + len, size - len, "%s%llu-%llu",
					first ? "" : ",", (unsigned long long)i,
					(unsigned long long)j);
		first = 0;
		i = j + 1;
	}
	return len < size;
}

/*
 * Set (or clear) [a, b] in @bm and in the model @m; true if the bitmap
 * reports the model's transitions, keeps its count (*@count) and its
 * summary exact.
 */
static bool apply(struct mig_bitmap *bm, bool *m, u64 a, u64 b, bool set,
		  u64 *count)
{
	u64 changed = 0, i;

	for (i = a; i <= b; i++) {
		changed += m[i] != set;
		*count += set && !m[i];
		*count -= !set && m[i];
		m[i] = set;
	}
	return (set ? mig_bitmap_set_range(bm, a, b) :
		      mig_bitmap_clear_range(bm, a, b)) == changed &&
	       mig_bitmap_dirty(bm) == *count && summary_ok(bm, true);
}

static void test_random(u64 n, unsigned int ops)
{
	static char got[1 << 20], want[1 << 20];
	struct mig_bitmap bm;
	bool *m = calloc(n, 1);
	u64 count = 0, i;
	bool good = true;

	if (!m || mig_bitmap_init(&bm, n))
		ksft_exit_fail_msg("out of memory\n");
	while (ops--) {
		u64 a = rand() % n, b = a + rand() % (n - a);

		if (!apply(&bm, m, a, b, rand() & 1, &count))
			good = false;
	}
	for (i = 0; i < n; i++)
		if (mig_bitmap_test(&bm, i) != m[i])
			good = false;
	model_ranges(m, n, want, sizeof(want));
	mig_bitmap_format_ranges(&bm, 0, ~0U, got, sizeof(got));
	if (strcmp(got, want))
		good = false;
	ksft_test_result(good, "random set/clear matches model, %llu bits\n",
			 (unsigned long long)n);
	mig_bitmap_destroy(&bm);
	free(m);
}

static void test_edges(void)
{
	struct mig_bitmap bm, big;
	char buf[64];
	u64 next;

	mig_bitmap_init(&bm, 130);
	ksft_test_result(mig_bitmap_set_range(&bm, 0, 1000) == 130 &&
			 mig_bitmap_dirty(&bm) == 130,
			 "set beyond the end is clipped\n");
	ksft_test_result(mig_bitmap_set_range(&bm, 200, 300) == 0,
			 "range past the end changes nothing\n");
	mig_bitmap_clear_range(&bm, 0, 129);
	mig_bitmap_set_range(&bm, 63, 64);
	mig_bitmap_set_range(&bm, 129, 129);
	mig_bitmap_format_ranges(&bm, 0, ~0U, buf, sizeof(buf));
	ksft_test_result(!strcmp(buf, "63-64,129"), "ranges across words: %s\n", buf);

	next = mig_bitmap_format_ranges(&bm, 0, 1, buf, sizeof(buf));
	ksft_test_result(next == 129 && !strcmp(buf, "63-64"),
			 "max_ranges truncates and names the next chunk\n");
	next = mig_bitmap_format_ranges(&bm, 0, ~0U, buf, 8);
	ksft_test_result(next == 129 && !strcmp(buf, "63-64"),
			 "a full buffer truncates at a whole range\n");
	next = mig_bitmap_format_ranges(&bm, 65, ~0U, buf, sizeof(buf));
	ksft_test_result(next == 130 && !strcmp(buf, "129"),
			 "listing starts at from\n");

	mig_bitmap_init(&big, 300);
	mig_bitmap_copy_grow(&big, &bm);
	mig_bitmap_format_ranges(&big, 0, ~0U, buf, sizeof(buf));
	ksft_test_result(!strcmp(buf, "63-64,129-299") &&
			 mig_bitmap_dirty(&big) == 173,
			 "grow keeps bits and marks new space dirty: %s\n", buf);
	mig_bitmap_destroy(&big);
	mig_bitmap_destroy(&bm);
}

/* Runs are found in pieces of at most max bits. */
static void test_max(void)
{
	struct mig_bitmap bm;
	u64 first, last;
	bool good;

	mig_bitmap_init(&bm, 300);
	mig_bitmap_set_range(&bm, 10, 209);
	good = mig_bitmap_next_range(&bm, 0, 16, &first, &last) &&
	       first == 10 && last == 25 &&
	       mig_bitmap_next_range(&bm, 26, 100, &first, &last) &&
	       first == 26 && last == 125 &&
	       mig_bitmap_next_range(&bm, 200, 64, &first, &last) &&
	       first == 200 && last == 209 &&
	       mig_bitmap_next_range(&bm, 5, 1, &first, &last) &&
	       first == 10 && last == 10 &&
	       mig_bitmap_next_range(&bm, 0, U64_MAX, &first, &last) &&
	       first == 10 && last == 209 &&
	       !mig_bitmap_next_range(&bm, 210, 16, &first, &last);
	ksft_test_result(good, "next_range cuts runs at max bits\n");
	mig_bitmap_set_range(&bm, 0, 299);
	good = mig_bitmap_next_range(&bm, 290, 64, &first, &last) &&
	       first == 290 && last == 299;
	ksft_test_result(good, "a run cut by the end of the map\n");
	mig_bitmap_destroy(&bm);
}

/*
 * 2^28 chunks (16 TiB of 64 KiB chunks) with 8 dirty: a walk over all of
 * it reads the summary (2^22 words / 64) and the 8 words, not 2^22 words.
 */
static void test_clean_walk_cost(void)
{
	u64 n = 1ULL << 28, first, last, from = 0, found = 0, i;
	struct mig_bitmap bm;
	unsigned long reads;

	if (mig_bitmap_init(&bm, n))
		ksft_exit_fail_msg("out of memory\n");
	for (i = 0; i < 8; i++)
		mig_bitmap_set_range(&bm, n / 8 * i + 3, n / 8 * i + 3);
	reads = mig_user_word_reads;
	while (mig_bitmap_next_range(&bm, from, 16, &first, &last)) {
		found += last - first + 1;
		from = last + 1;
	}
	reads = mig_user_word_reads - reads;
	ksft_test_result(found == 8 && reads < (n >> 12) + 100,
			 "walk of 2^28 bits, 8 set: %lu words read (summary: %llu)\n",
			 reads, (unsigned long long)(n >> 12));
	mig_bitmap_destroy(&bm);
}

/*
 * The bulk pass: every bit set, picked 16 at a time and cleared, as
 * rounds.c does.  Each pick reads a word or two, whatever is left after it
 * (it once read to the end of the map: quadratic).
 */
static void test_bulk_pick_cost(void)
{
	u64 n = 1ULL << 22, first, last, from = 0, picks = 0;
	struct mig_bitmap bm;
	unsigned long reads;

	mig_bitmap_init(&bm, n);
	mig_bitmap_set_range(&bm, 0, n - 1);
	reads = mig_user_word_reads;
	while (mig_bitmap_next_range(&bm, from, 16, &first, &last)) {
		mig_bitmap_clear_range(&bm, first, last);
		from = last + 1;
		picks++;
	}
	reads = mig_user_word_reads - reads;
	ksft_test_result(picks == n / 16 && !mig_bitmap_dirty(&bm) &&
			 reads < 8 * picks && summary_ok(&bm, true),
			 "bulk: %llu picks of 16 read %lu words\n",
			 (unsigned long long)picks, reads);
	mig_bitmap_destroy(&bm);
}

/*
 * A setter and a clearer race on one word at a time (the I/O path marks
 * a chunk as the push thread clears the word's last bits), in lockstep:
 * each word starts with a bit set (its summary bit too); the clearer
 * clears the whole word while the setter sets another bit of it.  Either
 * order is fine, but a word left with a bit must have its summary bit.
 */
#define RACE_WORDS	(1U << 15)

struct race {
	struct mig_bitmap *bm;
	unsigned int *arrived;
	bool set;
};

static void *race_thread(void *arg)
{
	struct race *r = arg;
	unsigned int i, spins;

	for (i = 0; i < RACE_WORDS; i++) {
		u64 w = (u64)i * BITS_PER_LONG;

		/* Both threads start word i together (yielding on one CPU). */
		__atomic_fetch_add(r->arrived, 1, __ATOMIC_SEQ_CST);
		for (spins = 0;
		     __atomic_load_n(r->arrived, __ATOMIC_ACQUIRE) < 2 * (i + 1);
		     spins++)
			if (spins > 100000)
				sched_yield();
		if (r->set)
			mig_bitmap_set_range(r->bm, w + 1, w + 1);
		else
			mig_bitmap_clear_range(r->bm, w, w + BITS_PER_LONG - 1);
	}
	return NULL;
}

static void test_summary_race(void)
{
	u64 n = (u64)RACE_WORDS * BITS_PER_LONG, i, from = 0, first, last;
	u64 walked = 0, tested = 0;
	unsigned int arrived = 0;
	struct mig_bitmap bm;
	struct race set = { .bm = &bm, .arrived = &arrived, .set = true };
	struct race clear = { .bm = &bm, .arrived = &arrived, .set = false };
	pthread_t a, b;
	bool good;

	if (mig_bitmap_init(&bm, n))
		ksft_exit_fail_msg("out of memory\n");
	for (i = 0; i < n; i += BITS_PER_LONG)
		mig_bitmap_set_range(&bm, i, i);
	pthread_create(&a, NULL, race_thread, &set);
	pthread_create(&b, NULL, race_thread, &clear);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	good = summary_ok(&bm, false);
	while (mig_bitmap_next_range(&bm, from, U64_MAX, &first, &last)) {
		walked += last - first + 1;
		from = last + 1;
	}
	for (i = 0; i < n; i++)
		tested += mig_bitmap_test(&bm, i);
	ksft_test_result(good && walked == tested && tested == mig_bitmap_dirty(&bm),
			 "a clear racing a set keeps the summary and the count (%llu of %u words kept a bit)\n",
			 (unsigned long long)tested, RACE_WORDS);
	mig_bitmap_destroy(&bm);
}

/* next_range(@from, @max) of the plain model @m of @n bits. */
static bool model_next(const bool *m, u64 n, u64 from, u64 max,
		       u64 *first, u64 *last)
{
	u64 i = from;

	while (i < n && !m[i])
		i++;
	if (i >= n)
		return false;
	*first = i;
	while (i + 1 < n && m[i + 1] && i + 1 - *first < max)
		i++;
	*last = i;
	return true;
}

/* Random walks of @bm agree with the model, and (@whole) a whole walk. */
static bool walks_agree(const struct mig_bitmap *bm, const bool *m, u64 n,
			bool whole)
{
	static const u64 maxes[] = { 1, 16, 63, 64, 65, 257, U64_MAX };
	u64 f1, l1, f2, l2, from, max;
	bool r1, r2;
	int k;

	for (k = 0; k < 4; k++) {
		from = rand() % (n + 2);
		max = maxes[rand() % (sizeof(maxes) / sizeof(maxes[0]))];
		r1 = mig_bitmap_next_range(bm, from, max, &f1, &l1);
		r2 = model_next(m, n, from, max, &f2, &l2);
		if (r1 != r2 || (r1 && (f1 != f2 || l1 != l2)))
			return false;
	}
	if (!whole)
		return true;
	from = 0;
	max = 1 + rand() % 300;
	while ((r2 = model_next(m, n, from, max, &f2, &l2))) {
		r1 = mig_bitmap_next_range(bm, from, max, &f1, &l1);
		if (!r1 || f1 != f2 || l1 != l2)
			return false;
		from = l2 + 1;
	}
	return !mig_bitmap_next_range(bm, from, max, &f1, &l1);
}

/*
 * A sparse map, as the dirty rounds see it: short runs set and cleared
 * here and there (across words and summary words), now and then a wide
 * clear or set; after every operation the summary is exact and random
 * walks (any start, any run limit) find what a plain array of booleans
 * says, and at the end a grown copy does too.
 */
static void test_sparse_walk(u64 n, unsigned int ops)
{
	struct mig_bitmap bm, big;
	bool *m = calloc(n + 5000, 1);
	u64 count = 0, i, a, b;
	bool good = true;

	if (!m || mig_bitmap_init(&bm, n))
		ksft_exit_fail_msg("out of memory\n");
	while (ops--) {
		int kind = rand() % 64;
		bool set = rand() % 2;

		a = ((u64)rand() * RAND_MAX + rand()) % n;
		if (kind == 0)			/* a wide clear: a round */
			set = false, b = a + ((u64)rand() * 64) % (n - a);
		else if (kind == 1)		/* a wide set */
			set = true, b = a + rand() % 2000;
		else if (kind < 16)		/* word and summary edges */
			a -= a % 64, b = a + 63 + (rand() % 3) * 64 - rand() % 2;
		else
			b = a + rand() % 70;
		if (b >= n)
			b = n - 1;
		if (!apply(&bm, m, a, b, set, &count) ||
		    !walks_agree(&bm, m, n, ops % 16 == 0))
			good = false;
	}
	ksft_test_result(good, "sparse set/clear/walk matches model, %llu bits (%llu set)\n",
			 (unsigned long long)n, (unsigned long long)count);

	if (mig_bitmap_init(&big, n + 5000))
		ksft_exit_fail_msg("out of memory\n");
	mig_bitmap_copy_grow(&big, &bm);
	for (i = n; i < n + 5000; i++)
		m[i] = true;
	ksft_test_result(summary_ok(&big, true) && walks_agree(&big, m, n + 5000, true) &&
			 mig_bitmap_dirty(&big) == count + 5000,
			 "a grown copy keeps the summary and the walks\n");
	mig_bitmap_destroy(&big);
	mig_bitmap_destroy(&bm);
	free(m);
}

/*
 * The I/O path and the push thread at once: setters mark random chunks
 * (single ones and short runs) of a 2^14-chunk map (256 words, so that
 * a picker's clear often leaves a word zero as a setter comes in) while a picker
 * walks it as rounds.c does (runs of at most 16, each bit cleared by the
 * picker's own clear) and a third thread clears wide ranges now and then
 * (the operator's clear_dirty, a restart's set and a pass's clears).
 * Every transition is accounted for: set = picked + cleared + left, and
 * once the setters stop, passes of the picker find every bit that is
 * left (a summary bit wrongly clear would hide one: the pass would find
 * nothing while the count says dirty).
 */
#define MARK_BITS	(1ULL << 14)

struct marker {
	struct mig_bitmap *bm;
	unsigned int seed;
	bool clearer;
	u64 done;		/* transitions this thread made */
	const int *stop;
};

static void *marker_thread(void *arg)
{
	struct marker *t = arg;
	unsigned int i;

	for (i = 0; !__atomic_load_n(t->stop, __ATOMIC_ACQUIRE); i++) {
		u64 a = (((u64)rand_r(&t->seed) << 16) ^ rand_r(&t->seed)) % MARK_BITS;

		if (t->clearer) {
			if (i % 64 == 0)
				t->done += mig_bitmap_clear_range(t->bm, a, a + 300);
			else
				sched_yield();
			continue;
		}
		t->done += mig_bitmap_set_range(t->bm, a, a + (i % 4 ? 0 : rand_r(&t->seed) % 40));
	}
	return NULL;
}

/* One pass of the picker; returns the transitions it cleared. */
static u64 pick_pass(struct mig_bitmap *bm)
{
	u64 from = 0, first, last, i, picked = 0;

	while (mig_bitmap_next_range(bm, from, 16, &first, &last)) {
		for (i = first; i <= last; i++)
			picked += mig_bitmap_clear_range(bm, i, i);
		from = last + 1;
	}
	return picked;
}

static void test_concurrent_marks(void)
{
	struct mig_bitmap bm;
	int stop = 0;
	struct marker t[3] = {
		{ .bm = &bm, .seed = 1, .stop = &stop },
		{ .bm = &bm, .seed = 2, .stop = &stop },
		{ .bm = &bm, .seed = 3, .stop = &stop, .clearer = true },
	};
	pthread_t th[3];
	u64 picked = 0, set, passes = 0, hidden = 0, left;
	struct timespec t0, now;
	int i;

	if (mig_bitmap_init(&bm, MARK_BITS))
		ksft_exit_fail_msg("out of memory\n");
	for (i = 0; i < 3; i++)
		pthread_create(&th[i], NULL, marker_thread, &t[i]);
	/* A second of it (each pass is short: the map is small). */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		picked += pick_pass(&bm);
		passes++;
		clock_gettime(CLOCK_MONOTONIC, &now);
	} while (now.tv_sec - t0.tv_sec < 1 || passes < 100);
	__atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
	for (i = 0; i < 3; i++)
		pthread_join(th[i], NULL);
	set = t[0].done + t[1].done;
	left = mig_bitmap_dirty(&bm);
	if (!summary_ok(&bm, false))
		hidden++;
	/* Quiet now: one pass must take everything left. */
	picked += pick_pass(&bm);
	if (mig_bitmap_dirty(&bm))
		hidden++;
	/*
	 * Not exact: a setter's summary bit may land after a clear emptied
	 * its word (a stale bit: a walk reads the word, finds it zero and
	 * moves on; seen once in 400 runs).  A word with bits and no summary
	 * bit is what would hide a chunk: summary_ok() fails on that.
	 */
	ksft_test_result(!hidden && set == picked + t[2].done &&
			 summary_ok(&bm, false),
			 "concurrent marks, picks and clears: %llu set = %llu picked + %llu cleared (%llu left after %llu passes)\n",
			 (unsigned long long)set, (unsigned long long)picked,
			 (unsigned long long)t[2].done, (unsigned long long)left,
			 (unsigned long long)passes);
	mig_bitmap_destroy(&bm);
}

/* 64 KiB chunks (shift 7) of 16 sub-blocks of 4 KiB (shift 3). */
#define SUB_CHUNKS	40
static atomic_t *sub_attach(struct mig_bitmap *bm, u64 n)
{
	atomic_t *sub = calloc(mig_sub_words(n), sizeof(*sub));

	memset(sub, 0xff, mig_sub_words(n) * sizeof(*sub));
	mig_bitmap_set_shifts(bm, 7, 3);
	mig_bitmap_sub_attach(bm, sub);
	return sub;
}

static void test_sub_masks(void)
{
	struct mig_bitmap bm;
	atomic_t *sub;
	bool ok = true;
	u64 i;

	mig_bitmap_init(&bm, SUB_CHUNKS);
	sub = sub_attach(&bm, SUB_CHUNKS);
	/* A fresh attach says "whole" for every chunk; a take empties it. */
	for (i = 0; i < SUB_CHUNKS; i++)
		ok &= mig_bitmap_take_sub(&bm, i) == 0xffff && !mig_bitmap_take_sub(&bm, i);
	ksft_test_result(ok, "sub-block masks start full, a take reads and clears\n");

	/* One 512-byte write, a 4 KiB one straddling two sub-blocks. */
	ok = mig_bitmap_mark(&bm, 3 * 128 + 17, 1, 7) == 1 &&
	     mig_bitmap_test(&bm, 3) && mig_bitmap_take_sub(&bm, 3) == 0x4;
	ok &= mig_bitmap_mark(&bm, 5 * 128 + 12, 8, 7) == 1 &&
	      mig_bitmap_take_sub(&bm, 5) == 0x6;
	/* Across chunks 6 and 7 (one word), 7 to 9 (two words; 7 was dirty). */
	ok &= mig_bitmap_mark(&bm, 7 * 128 - 4, 8, 7) == 2 &&
	      mig_bitmap_take_sub(&bm, 6) == 0x8000 && mig_bitmap_take_sub(&bm, 7) == 0x1;
	ok &= mig_bitmap_mark(&bm, 8 * 128 - 1, 130, 7) == 2 &&
	      mig_bitmap_take_sub(&bm, 7) == 0x8000 && mig_bitmap_take_sub(&bm, 8) == 0xffff &&
	      mig_bitmap_take_sub(&bm, 9) == 0x1;
	ksft_test_result(ok, "marks: 512 bytes, straddling sub-blocks and chunks\n");

	/* Whole marks widen any partial mask; marks add to them. */
	mig_bitmap_mark(&bm, 20 * 128, 8, 7);
	mig_bitmap_set_range(&bm, 20, 21);
	mig_bitmap_mark(&bm, 21 * 128, 8, 7);
	ok = mig_bitmap_take_sub(&bm, 20) == 0xffff && mig_bitmap_take_sub(&bm, 21) == 0xffff;
	mig_bitmap_mark(&bm, 22 * 128, 8, 7);
	mig_bitmap_mark(&bm, 22 * 128 + 120, 8, 7);
	ok &= mig_bitmap_take_sub(&bm, 22) == 0x8001;
	ksft_test_result(ok, "a whole mark is never narrowed by a later write\n");

	/* Detached: bits only; a mark of another geometry leaves masks be. */
	mig_bitmap_mark(&bm, 30 * 128, 8, 6);
	ok = !mig_bitmap_take_sub(&bm, 30) && !mig_bitmap_take_sub(&bm, 60);
	ok &= mig_bitmap_sub_detach(&bm) == sub;
	ok &= mig_bitmap_mark(&bm, 31 * 128, 8, 7) == 1 && mig_bitmap_test(&bm, 31) &&
	      !mig_bitmap_take_sub(&bm, 31);
	ksft_test_result(ok, "detached: marks set bits only, takes read 0\n");
	free(sub);
	mig_bitmap_destroy(&bm);
}

/*
 * Writers and a consumer: each write bumps the versions of its
 * sub-blocks ("the write completed"), then marks (as ->end_io does); a
 * whole-chunk marker sets ranges (a resend); the consumer claims a chunk
 * as rounds.c does (clear the bit, take the mask) and copies the
 * versions of the sub-blocks the mask names (all of them if empty) to
 * the "peer".  Once quiet and drained, the peer must have every latest
 * version: nothing a write did was lost by a mask.
 */
#define RACE_CHUNKS	64
#define RACE_SUBS	(RACE_CHUNKS * 16)
static u32 cur[RACE_SUBS], peer[RACE_SUBS];

struct sub_racer {
	struct mig_bitmap *bm;
	unsigned int seed, kind;	/* 0 writer, 1 whole marker, 2 consumer */
	int *stop;
	u64 ops;
};

static void consume(struct mig_bitmap *bm, u64 c)
{
	u32 m, s;

	if (!mig_bitmap_clear_range(bm, c, c))
		return;
	m = mig_bitmap_take_sub(bm, c);
	if (!m)
		m = 0xffff;
	for (s = 0; s < 16; s++)
		if (m & (1U << s))
			peer[c * 16 + s] = __atomic_load_n(&cur[c * 16 + s], __ATOMIC_SEQ_CST);
}

static void *sub_race_thread(void *arg)
{
	struct sub_racer *t = arg;

	while (!__atomic_load_n(t->stop, __ATOMIC_ACQUIRE)) {
		u64 sector = rand_r(&t->seed) % (RACE_CHUNKS * 128);
		u64 nr = 1 + rand_r(&t->seed) % (t->ops % 8 ? 16 : 300), s;
		u64 first, last;

		t->ops++;
		if (sector + nr > RACE_CHUNKS * 128)
			nr = RACE_CHUNKS * 128 - sector;
		if (t->kind == 0) {
			for (s = sector / 8; s <= (sector + nr - 1) / 8; s++)
				__atomic_fetch_add(&cur[s], 1, __ATOMIC_SEQ_CST);
			mig_bitmap_mark(t->bm, sector, nr, 7);
		} else if (t->kind == 1) {
			if (t->ops % 16 == 0)
				mig_bitmap_set_range(t->bm, sector / 128, sector / 128 + 2);
			else
				sched_yield();
		} else if (mig_bitmap_next_range(t->bm, sector / 128, 8, &first, &last)) {
			for (s = first; s <= last; s++)
				consume(t->bm, s);
		}
	}
	return NULL;
}

static void test_sub_race(void)
{
	struct mig_bitmap bm;
	struct sub_racer t[4];
	pthread_t th[4];
	int stop = 0, i;
	u64 c, lost = 0;
	atomic_t *sub;

	mig_bitmap_init(&bm, RACE_CHUNKS);
	sub = sub_attach(&bm, RACE_CHUNKS);
	for (i = 0; i < 4; i++) {
		t[i] = (struct sub_racer){ .bm = &bm, .seed = 7 + i, .stop = &stop,
					   .kind = i < 2 ? 0 : i == 2 ? 1 : 2 };
		pthread_create(&th[i], NULL, sub_race_thread, &t[i]);
	}
	usleep(400 * 1000);
	__atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
	for (i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	/* Quiet: drain what is dirty, as the last round does. */
	for (c = 0; c < RACE_CHUNKS; c++)
		consume(&bm, c);
	for (c = 0; c < RACE_SUBS; c++)
		lost += peer[c] != cur[c];
	ksft_test_result(!lost && !mig_bitmap_dirty(&bm),
			 "masks under racing writes, whole marks and takes: %llu writes, %llu consumer passes, %llu sub-blocks stale\n",
			 (unsigned long long)(t[0].ops + t[1].ops),
			 (unsigned long long)t[3].ops, (unsigned long long)lost);
	mig_bitmap_sub_detach(&bm);
	free(sub);
	mig_bitmap_destroy(&bm);
}

int main(void)
{
	ksft_print_header();
	ksft_set_plan(23 + 5);
	srand(1);
	test_edges();
	test_max();
	test_clean_walk_cost();
	test_bulk_pick_cost();
	test_summary_race();
	test_random(1, 100);
	test_random(64, 1000);
	test_random(1000, 2000);
	test_random(100003, 200);
	test_sparse_walk(64, 2000);
	test_sparse_walk(4096 * 3 + 17, 3000);
	test_sparse_walk((1 << 16) + 4095, 3000);
	test_concurrent_marks();
	test_sub_masks();
	test_sub_race();
	ksft_finished();
}
