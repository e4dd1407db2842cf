// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for kmod/bitmap.c, built for userspace: the word-level set
 * and clear operations and the range walks are checked against a plain
 * array of booleans under random operations, plus the edge cases.
 */
#include "bitmap.h"
#include "kselftest.h"

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
		if (mig_bitmap_dirty(&bm) != count)
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

int main(void)
{
	ksft_print_header();
	ksft_set_plan(11);
	srand(1);
	test_edges();
	test_random(1, 100);
	test_random(64, 1000);
	test_random(1000, 2000);
	test_random(100003, 200);
	ksft_finished();
}
