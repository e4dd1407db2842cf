// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for kmod/ratectl.c: the pacer holds a rate over a long run
 * and bounds bursts after idle time, and the rate average follows steps of
 * the counter.  The pre-copy model: model_test.c.
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

int main(void)
{
	ksft_print_header();
	ksft_set_plan(8);
	test_pace_holds_rate();
	test_rate();
	ksft_finished();
}
