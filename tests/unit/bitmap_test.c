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
		bool set = rand() & 1;
		u64 changed = 0;

		for (i = a; i <= b; i++) {
			changed += m[i] != set;
			count += set && !m[i];
			count -= !set && m[i];
			m[i] = set;
		}
		if ((set ? mig_bitmap_set_range(&bm, a, b) :
			   mig_bitmap_clear_range(&bm, a, b)) != changed)
			good = false;
		if (mig_bitmap_dirty(&bm) != count || !summary_ok(&bm, true))
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

int main(void)
{
	ksft_print_header();
	ksft_set_plan(16);
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
	ksft_finished();
}
