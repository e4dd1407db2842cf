// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for kmod/encsel.c: compression is skipped after chunks that
 * did not compress, probed again after a growing number of bytes or a
 * time, at most one probe at a time, and resumed as soon as one pays;
 * fixed choices fall back to LZO when the peer does not decode them; and
 * auto, fed by a model of compressors, a link and workers, picks zstd
 * when the link is the bottleneck, a fast compressor when the CPU is, raw
 * when nothing compresses, and keeps its choice through small changes.
 */
#include "encsel.h"
#include "wire.h"
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
	int r;

	while (n < 1000 && (r = mig_skip_try(s, CHUNK, now))) {
		mig_skip_done(s, CHUNK, enc_len, r == MIG_SKIP_PROBE, now);
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
		mig_skip_done(&s, CHUNK, CHUNK, true, 0);
		b = skipped_bytes(&s, 0);
		if (b + CHUNK < last && last + CHUNK < MIG_SKIP_MAX)
			grows = false;
		last = b;
	}
	ksft_test_result(grows && b + CHUNK > MIG_SKIP_MAX && b <= MIG_SKIP_MAX,
			 "skip: failed probes double it up to %u MiB (%llu)\n",
			 MIG_SKIP_MAX >> 20, (unsigned long long)b);
	/* A probe that pays: every chunk is tried again. */
	mig_skip_done(&s, CHUNK, CHUNK / 4, true, 0);
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
		mig_skip_done(&s, CHUNK, CHUNK, false, 0);
	ksft_test_result(s.backoff == MIG_SKIP_MIN,
			 "skip: late results of a skip's first chunks do not lengthen it\n");
	skipped_bytes(&s, 0);	/* the probe is out */
	for (i = 0; i < 20; i++)
		probes += mig_skip_try(&s, CHUNK, MIG_SKIP_PROBE_NS * 2);
	ksft_test_result(!probes, "skip: one probe at a time\n");
	/* A chunk tried before the skip ends while the probe is out. */
	mig_skip_done(&s, CHUNK, CHUNK, false, 0);
	ksft_test_result(s.backoff == MIG_SKIP_MIN && s.probing,
			 "skip: a late chunk's result is not taken for the probe's\n");
	mig_skip_done(&s, CHUNK, CHUNK, true, 0);
	ksft_test_result(s.backoff == 2 * MIG_SKIP_MIN && !s.probing,
			 "skip: the probe's result doubles the skip\n");
}

/* A pipeline: compressors' ratio and cost, the fixed cost, the link. */
struct model {
	double ratio[__DM_MIGRATE_ENC_MAX];	/* wire / data */
	double cost[__DM_MIGRATE_ENC_MAX];	/* ns per data byte */
	double fixed;				/* ns per data byte */
	double link;				/* wire bytes/s */
	unsigned int workers;
};

/* Text-like data: zstd compresses most, LZ4 is the fastest. */
static const struct model text = {
	.ratio = { [DM_MIGRATE_ENC_LZO] = 0.45, [DM_MIGRATE_ENC_LZ4] = 0.48,
		   [DM_MIGRATE_ENC_ZSTD] = 0.30 },
	.cost = { [DM_MIGRATE_ENC_LZO] = 4, [DM_MIGRATE_ENC_LZ4] = 2.5,
		  [DM_MIGRATE_ENC_ZSTD] = 8 },
	.fixed = 1, .link = 25e6, .workers = 2,
};

/*
 * Run the pipeline for @windows windows of 250 ms from *@now: each encodes
 * chunks until the link is full or the workers' CPU used up, and the
 * sender reports what it sent and how long it was busy.
 */
static void run(struct mig_encsel *s, const struct model *m, u64 *now, int windows)
{
	const double wall = 0.25;

	while (windows--) {
		double wire = 0, cpu_ns = 0, busy;

		while (wire < m->link * wall && cpu_ns < wall * 1e9 * m->workers) {
			struct mig_pick p = mig_encsel_pick(s, CHUNK, *now);
			u8 e = p.enc;
			double er = e == DM_MIGRATE_ENC_RAW ? 1 : m->ratio[e];
			double ns = e == DM_MIGRATE_ENC_RAW ? 0 : CHUNK * m->cost[e];

			mig_encsel_done(s, p, CHUNK, (u32)(CHUNK * er),
					(u64)(CHUNK * m->fixed), (u64)ns, *now);
			wire += CHUNK * er;
			cpu_ns += CHUNK * m->fixed + ns;
		}
		/* Busy all the window when the link limits, else briefly. */
		busy = wire >= m->link * wall ? wall : wire / 4e9;
		*now += (u64)(wall * 1e9);
		mig_encsel_link(s, (u64)wire, (u64)(busy * 1e9), (u64)(wall * 1e9), *now);
	}
}

static void test_auto(void)
{
	struct mig_encsel s;
	struct model m = text;
	int i, raw = 0;
	char why[160];
	u64 now = 1;

	mig_encsel_init(&s, DM_MIGRATE_ENCODE_AUTO, m.workers);
	mig_encsel_set_peer(&s, MIG_ENC_KNOWN, false);
	run(&s, &m, &now, 40);
	mig_encsel_explain(&s, why, sizeof(why));
	ksft_test_result(mig_encsel_used(&s) == DM_MIGRATE_ENC_ZSTD && s.why == MIG_WHY_LINK,
			 "auto: link-bound text: zstd (%s)\n", why);

	/* The rate limit was lifted: the sender says so. */
	m.link = 200e6;
	mig_encsel_link_changed(&s);
	run(&s, &m, &now, 40);
	mig_encsel_explain(&s, why, sizeof(why));
	ksft_test_result(mig_encsel_used(&s) == DM_MIGRATE_ENC_LZ4,
			 "auto: a faster link, zstd CPU-bound: LZ4 (%s)\n", why);

	/* The link became faster by itself: found once it is forgotten. */
	m.link = 5e9;
	run(&s, &m, &now, MIG_LINK_FORGET_NS / 250000000 + 8);
	mig_encsel_explain(&s, why, sizeof(why));
	ksft_test_result(mig_encsel_used(&s) == DM_MIGRATE_ENC_RAW && s.why == MIG_WHY_CPU,
			 "auto: a link faster than any compressor: raw (%s)\n", why);

	m.link = 25e6;
	m.ratio[DM_MIGRATE_ENC_LZO] = 0.99;
	m.ratio[DM_MIGRATE_ENC_LZ4] = 0.995;
	m.ratio[DM_MIGRATE_ENC_ZSTD] = 0.98;
	run(&s, &m, &now, 40);
	for (i = 0; i < 1000; i++) {
		struct mig_pick p = mig_encsel_pick(&s, CHUNK, now);

		raw += p.enc == DM_MIGRATE_ENC_RAW;
		mig_encsel_done(&s, p, CHUNK, CHUNK - 100, 1000, 1000, now);
	}
	mig_encsel_explain(&s, why, sizeof(why));
	ksft_test_result(raw >= 950, "auto: nothing compresses: %d of 1000 chunks raw (%s)\n",
			 raw, why);
}

/*
 * A slow pipeline (a CPU-starved guest: compressors 100 times slower,
 * a 3 MB/s link), raw in use: the compressors' rare probes still add up
 * to figures, and the one that moves most takes over (LZ4: zstd would be
 * CPU-bound at 2 MB/s).
 */
static void test_auto_slow(void)
{
	struct model m = text;
	struct mig_encsel s;
	char why[160];
	u64 now = 1;
	int i;

	for (i = 0; i < __DM_MIGRATE_ENC_MAX; i++)
		m.cost[i] *= 100;
	m.fixed *= 100;
	m.link = 3e6;
	mig_encsel_init(&s, DM_MIGRATE_ENCODE_AUTO, m.workers);
	mig_encsel_set_peer(&s, MIG_ENC_KNOWN, false);
	s.used = DM_MIGRATE_ENC_RAW;
	run(&s, &m, &now, 80);
	mig_encsel_explain(&s, why, sizeof(why));
	ksft_test_result(mig_encsel_used(&s) == DM_MIGRATE_ENC_LZ4,
			 "auto: slow pipeline: raw gives way to LZ4 (%s)\n", why);

	/* The data stops compressing: back to raw, compressors measured. */
	for (i = 0; i < __DM_MIGRATE_ENC_MAX; i++)
		m.ratio[i] = 0.99;
	run(&s, &m, &now, 80);
	mig_encsel_explain(&s, why, sizeof(why));
	ksft_test_result(mig_encsel_used(&s) == DM_MIGRATE_ENC_RAW &&
			 s.why != MIG_WHY_MEASURING,
			 "auto: slow pipeline, incompressible: raw (%s)\n", why);
}

static void test_auto_peer_and_hysteresis(void)
{
	struct mig_encsel s;
	struct model m = text;
	bool zstd = false;
	u64 now = 1;
	int i;

	mig_encsel_init(&s, DM_MIGRATE_ENCODE_AUTO, m.workers);
	mig_encsel_set_peer(&s, DM_MIGRATE_ENC_BASE | DM_MIGRATE_HELLO_ENC(DM_MIGRATE_ENC_LZ4),
			    false);
	for (i = 0; i < 200; i++) {
		run(&s, &m, &now, 1);
		zstd |= mig_encsel_used(&s) == DM_MIGRATE_ENC_ZSTD ||
			s.st[DM_MIGRATE_ENC_ZSTD].in;
	}
	ksft_test_result(!zstd && mig_encsel_used(&s) != DM_MIGRATE_ENC_ZSTD,
			 "auto: never zstd, not even a probe, for a peer without it\n");

	mig_encsel_init(&s, DM_MIGRATE_ENCODE_AUTO, m.workers);
	mig_encsel_set_peer(&s, MIG_ENC_KNOWN, false);
	run(&s, &m, &now, 40);
	/* LZO now moves 3 % more data than zstd, at a higher cost: stay. */
	m.ratio[DM_MIGRATE_ENC_LZO] = 0.29;
	m.cost[DM_MIGRATE_ENC_LZO] = 9;
	run(&s, &m, &now, 20);
	ksft_test_result(mig_encsel_used(&s) == DM_MIGRATE_ENC_ZSTD,
			 "auto: a dearer encoding 3 %% better does not take over\n");
	/* 10 % better: it does. */
	m.ratio[DM_MIGRATE_ENC_LZO] = 0.27;
	run(&s, &m, &now, 20);
	ksft_test_result(mig_encsel_used(&s) == DM_MIGRATE_ENC_LZO,
			 "auto: one 10 %% better does\n");
}

static void test_fixed(void)
{
	struct mig_encsel s;
	char why[160];
	u64 now = 1;
	int i, raw = 0;

	mig_encsel_init(&s, DM_MIGRATE_ENCODE_ZSTD, 2);
	ksft_test_result(mig_encsel_used(&s) == DM_MIGRATE_ENC_LZO,
			 "fixed: before the peer is known, LZO (every peer decodes it)\n");
	mig_encsel_set_peer(&s, MIG_ENC_KNOWN, false);
	ksft_test_result(mig_encsel_used(&s) == DM_MIGRATE_ENC_ZSTD &&
			 mig_encsel_pick(&s, CHUNK, now).enc == DM_MIGRATE_ENC_ZSTD,
			 "fixed: zstd when the peer decodes it\n");
	mig_encsel_set_peer(&s, DM_MIGRATE_ENC_BASE, false);
	mig_encsel_explain(&s, why, sizeof(why));
	ksft_test_result(mig_encsel_used(&s) == DM_MIGRATE_ENC_LZO &&
			 strstr(why, "does not decode"),
			 "fixed: LZO when it does not (%s)\n", why);
	mig_encsel_set_peer(&s, DM_MIGRATE_ENC_BASE, true);
	mig_encsel_explain(&s, why, sizeof(why));
	ksft_test_result(strstr(why, "older dm-migrate") != NULL,
			 "fixed: an old peer is named (%s)\n", why);
	mig_encsel_set_choice(&s, DM_MIGRATE_ENCODE_RAW);
	for (i = 0; i < 100; i++)
		raw += mig_encsel_pick(&s, CHUNK, now).enc == DM_MIGRATE_ENC_RAW;
	ksft_test_result(raw == 100, "fixed: raw compresses nothing\n");
	mig_encsel_set_choice(&s, DM_MIGRATE_ENCODE_LZ4);
	mig_encsel_set_peer(&s, MIG_ENC_KNOWN, false);
	for (i = 0; i < 10; i++) {
		struct mig_pick p = mig_encsel_pick(&s, CHUNK, now);

		mig_encsel_done(&s, p, CHUNK, CHUNK + 10, 100, 100, now);
	}
	mig_encsel_explain(&s, why, sizeof(why));
	ksft_test_result(mig_encsel_pick(&s, CHUNK, now).enc == DM_MIGRATE_ENC_RAW &&
			 strstr(why, "did not compress"),
			 "fixed: incompressible chunks are skipped (%s)\n", why);
}

int main(void)
{
	ksft_print_header();
	ksft_set_plan(11 + 4 + 2 + 3 + 6);
	test_skip_backoff();
	test_skip_time_and_gain();
	test_skip_workers();
	test_auto();
	test_auto_slow();
	test_auto_peer_and_hysteresis();
	test_fixed();
	ksft_finished();
}
