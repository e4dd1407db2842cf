// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for kmod/encsel.c: compression is skipped after chunks that
 * did not compress, probed again after a growing number of bytes or a
 * time, at most one probe at a time, and resumed as soon as one pays.
 */
#include "encsel.h"
#include "kselftest.h"

#define CHUNK	(64U << 10)
#define MS	1000000ULL

/*
 * Chunks of CHUNK bytes, each compressed to @enc_len, until one is not
 * tried (that one is skipped); how many were.
 */
static unsigned int tried_in_a_row(struct mig_skip *s, u32 enc_len, u64 now)
{
	unsigned int n = 0;

	while (n < 1000 && mig_skip_try(s, CHUNK, now)) {
		mig_skip_done(s, CHUNK, enc_len, now);
		n++;
	}
	return n;
}

/* Chunks not tried before the next probe. */
static u64 skipped_bytes(struct mig_skip *s, u64 now)
{
	u64 bytes = 0;

	while (bytes < (1ULL << 32) && !mig_skip_try(s, CHUNK, now))
		bytes += CHUNK;
	return bytes;
}

static void test_skip_backoff(void)
{
	struct mig_skip s;
	u64 b, last = 0;
	bool grows = true;
	int i;

	mig_skip_reset(&s);
	ksft_test_result(tried_in_a_row(&s, CHUNK / 2, 0) == 1000,
			 "skip: chunks that compress are always tried\n");
	ksft_test_result(tried_in_a_row(&s, CHUNK + 100, 0) == MIG_SKIP_MISSES,
			 "skip: %u incompressible chunks in a row, then none tried\n",
			 MIG_SKIP_MISSES);
	b = CHUNK + skipped_bytes(&s, 0);	/* tried_in_a_row() skipped one */
	ksft_test_result(b + CHUNK > MIG_SKIP_MIN && b <= MIG_SKIP_MIN,
			 "skip: the first skip is %u KiB (%llu)\n", MIG_SKIP_MIN >> 10,
			 (unsigned long long)b);
	/* The chunk that ended the skip is the probe: it does not pay. */
	for (i = 0; i < 10; i++) {
		mig_skip_done(&s, CHUNK, CHUNK, 0);
		b = skipped_bytes(&s, 0);
		if (b + CHUNK < last && last + CHUNK < MIG_SKIP_MAX)
			grows = false;
		last = b;
	}
	ksft_test_result(grows && b + CHUNK > MIG_SKIP_MAX && b <= MIG_SKIP_MAX,
			 "skip: failed probes double it up to %u MiB (%llu)\n",
			 MIG_SKIP_MAX >> 20, (unsigned long long)b);
	/* A probe that pays: every chunk is tried again. */
	mig_skip_done(&s, CHUNK, CHUNK / 4, 0);
	ksft_test_result(tried_in_a_row(&s, CHUNK / 4, 0) == 1000,
			 "skip: a probe that pays ends the skip\n");
}

static void test_skip_time_and_gain(void)
{
	struct mig_skip s;
	u32 small = CHUNK - CHUNK / MIG_SKIP_GAIN;

	mig_skip_reset(&s);
	tried_in_a_row(&s, CHUNK, 0);
	ksft_test_result(!mig_skip_try(&s, CHUNK, MIG_SKIP_PROBE_NS - 1) &&
			 mig_skip_try(&s, CHUNK, MIG_SKIP_PROBE_NS),
			 "skip: a probe after %llu ms even within the bytes\n",
			 MIG_SKIP_PROBE_NS / MS);
	mig_skip_reset(&s);
	ksft_test_result(tried_in_a_row(&s, small, 0) == MIG_SKIP_MISSES &&
			 !mig_skip_pays(CHUNK, small) &&
			 mig_skip_pays(CHUNK, small - 1),
			 "skip: saving 1/%u or less does not pay\n", MIG_SKIP_GAIN);
}

static void test_skip_workers(void)
{
	struct mig_skip s;
	int i, probes = 0;

	mig_skip_reset(&s);
	/* Eight workers had chunks in compression when the skip began. */
	for (i = 0; i < MIG_SKIP_MISSES + 7; i++)
		mig_skip_done(&s, CHUNK, CHUNK, 0);
	ksft_test_result(s.backoff == MIG_SKIP_MIN,
			 "skip: late results of a skip's first chunks do not lengthen it\n");
	skipped_bytes(&s, 0);	/* the probe is out */
	for (i = 0; i < 20; i++)
		probes += mig_skip_try(&s, CHUNK, MIG_SKIP_PROBE_NS * 2);
	ksft_test_result(!probes, "skip: one probe at a time\n");
	mig_skip_done(&s, CHUNK, CHUNK, 0);
	ksft_test_result(s.backoff == 2 * MIG_SKIP_MIN && !s.probing,
			 "skip: the probe's result doubles the skip\n");
}

int main(void)
{
	ksft_print_header();
	ksft_set_plan(10);
	test_skip_backoff();
	test_skip_time_and_gain();
	test_skip_workers();
	ksft_finished();
}
