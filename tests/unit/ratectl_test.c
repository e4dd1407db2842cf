// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for kmod/ratectl.c: the pacer holds a rate over a long run
 * and bounds bursts after idle time, the rate average follows steps of the
 * counter, and the convergence estimate has the pre-copy model's shape.
 */
#include "ratectl.h"
#include "kselftest.h"

#define MS	1000000ULL

static void test_pace_holds_rate(void)
{
	struct mig_pace p = {};
	u64 now = 1000 * MS, rate = 10 * 1000 * 1000;	/* 10 MB/s */
	u64 sent = 0, wait;
	int i;

	/*
	 * A sender that always waits as told moves 10 MB in one second,
	 * less the initial burst credit.
	 */
	for (i = 0; i < 10000; i++) {
		wait = mig_pace_admit(&p, now, 1000, rate);
		now += wait;
		sent += 1000;
	}
	ksft_test_result(now - 1000 * MS >= 980 * MS && now - 1000 * MS <= 1000 * MS,
			 "pace: 10 MB at 10 MB/s takes 1 s (%llu ms)\n",
			 (unsigned long long)((now - 1000 * MS) / MS));

	/* Idle for a second: only MIG_PACE_BURST_NS of credit. */
	now += 1000 * MS;
	sent = 0;
	while (mig_pace_admit(&p, now, 1000, rate) == 0)
		sent += 1000;
	ksft_test_result(sent >= 190000 && sent <= 201000,
			 "pace: burst after idle is 20 ms worth (%llu bytes)\n",
			 (unsigned long long)sent);
	ksft_test_result(mig_pace_admit(&p, 0, 1, 1) > 0,
			 "pace: time 0 does not underflow\n");
}

static void test_rate(void)
{
	struct mig_rate r = {};
	u64 t, v = 0;

	mig_rate_update(&r, 1, 0);
	ksft_test_result(!r.primed, "rate: one sample is not a rate\n");
	mig_rate_update(&r, 100, 1000);
	ksft_test_result(!r.primed, "rate: samples closer than %llu ms are ignored\n",
			 MIG_RATE_MIN_MS);
	/* 5 MB/s for 30 s, sampled every second. */
	for (t = 1001; t <= 30001; t += 1000) {
		v += 5000000;
		mig_rate_update(&r, t, v);
	}
	ksft_test_result(r.rate == 5000000, "rate: steady 5 MB/s (%llu)\n",
			 (unsigned long long)r.rate);
	/* Step down to 1 MB/s: 20 s later the average is within 5 %. */
	for (; t <= 50001; t += 1000) {
		v += 1000000;
		mig_rate_update(&r, t, v);
	}
	ksft_test_result(r.rate > 1000000 && r.rate < 1050000,
			 "rate: follows a step down within 20 s (%llu)\n",
			 (unsigned long long)r.rate);
	mig_rate_update(&r, t, 0);
	ksft_test_result(!r.primed && r.rate == 0, "rate: a counter reset restarts\n");
}

static u64 eta(u64 dirty, u64 target, u64 net, u64 dirty_rate, u64 read, u64 wire)
{
	struct mig_eta_in in = {
		.dirty = dirty, .target = target, .net_rate = net,
		.dirty_rate = dirty_rate, .read = read, .wire = wire,
	};

	return mig_eta_ms(&in);
}

static void test_eta(void)
{
	ksft_test_result(eta(100, 200, 0, 0, 0, 0) == 0, "eta: already converged\n");
	ksft_test_result(eta(1000, 0, 10, 0, 0, 0) == MIG_ETA_UNKNOWN,
			 "eta: unknown before the first wire bytes\n");
	ksft_test_result(eta(1000, 0, 10, 10, 1000, 1000) == MIG_ETA_UNKNOWN,
			 "eta: dirtying as fast as sending never converges\n");
	ksft_test_result(eta(1000000, 0, 200000, 100000, 5000000, 5000000) == 10000,
			 "eta: 1 MB of incompressible data at a net drain of 100 kB/s is 10 s\n");
	/*
	 * make demo's VM disks: the first chunks data (the records), the rest
	 * zero chunks.  Early in the bulk pass 24 MiB are dirty and the link
	 * carries 32 KiB/s; the read ahead found 8 MiB at 1/142 on the wire.
	 * By the volume bytes sent (the data chunks: 32 KiB/s) that was
	 * 12 min; the zero chunks go as a flag: ~5.4 s.
	 */
	ksft_test_result(eta(24ULL << 20, 0, 32768, 0, 8ULL << 20, 59070) == 5408,
			 "eta: zero chunks cost no link time (24 MiB at 1/142 over 32 KiB/s: %llu ms)\n",
			 (unsigned long long)eta(24ULL << 20, 0, 32768, 0, 8ULL << 20, 59070));
	ksft_test_result(eta(2000000, 1000000, 100000, 0, 4000000, 2000000) == 5000,
			 "eta: compressed 2:1, 1 MB above the target over 100 kB/s is 5 s\n");
	ksft_test_result(eta(1ULL << 44, 0, 1, 0, 1ULL << 44, 1ULL << 44) == (1ULL << 44) * 1000,
			 "eta: 16 TiB at 1 B/s does not overflow\n");
	ksft_test_result(eta(1ULL << 44, 0, 1ULL << 40, 0, 1ULL << 44, 1ULL << 40) / 1000 == 256,
			 "eta: 16 TiB read at 16x the wire, 1 TB/s taken as 4 GiB/s, does not overflow (%llu ms)\n",
			 (unsigned long long)eta(1ULL << 44, 0, 1ULL << 40, 0, 1ULL << 44, 1ULL << 40));
}

/* The stop conditions of pre-copy (rounds.c acts on them). */
static void test_precopy(void)
{
	struct mig_limits lim = { .converge_bytes = 1000, .max_rounds = 3 };
	struct mig_round_end e = { .bulk = true, .round = 1,
				   .dirty_bytes = 5000, .sent = 1 };

	ksft_test_result(mig_precopy_next(&e, &lim) == MIG_PRECOPY_GO_ON,
			 "precopy: after the bulk pass, dirty rounds follow\n");
	e.dirty_bytes = 1000;
	ksft_test_result(mig_precopy_next(&e, &lim) == MIG_PRECOPY_CONVERGED,
			 "precopy: converged at the threshold, even after the bulk pass\n");
	lim.pause_after_bulk = true;
	ksft_test_result(mig_precopy_next(&e, &lim) == MIG_PRECOPY_PAUSE,
			 "precopy: pause_after_bulk pauses after the bulk pass, whatever is dirty\n");
	e.bulk = false;
	e.round = 2;
	e.dirty_bytes = 5000;
	ksft_test_result(mig_precopy_next(&e, &lim) == MIG_PRECOPY_GO_ON,
			 "precopy: pause_after_bulk does not pause a dirty round\n");
	e.round = 4;
	ksft_test_result(mig_precopy_next(&e, &lim) == MIG_PRECOPY_CONVERGED,
			 "precopy: converged after max_rounds dirty rounds\n");
	lim.max_rounds = 0;
	e.round = 1000;
	ksft_test_result(mig_precopy_next(&e, &lim) == MIG_PRECOPY_GO_ON,
			 "precopy: max_rounds 0 is no round limit\n");
	lim.max_bytes = 100;
	e.sent = 100;
	ksft_test_result(mig_precopy_next(&e, &lim) == MIG_PRECOPY_CONVERGED,
			 "precopy: converged once max_bytes were sent\n");
}

int main(void)
{
	ksft_print_header();
	ksft_set_plan(23);
	test_pace_holds_rate();
	test_rate();
	test_eta();
	test_precopy();
	ksft_finished();
}
