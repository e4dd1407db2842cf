// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for kmod/deadline.c: the time a push has left against the
 * paper's formula, the states, the guest write throttle of Alg. 1 (set
 * only as far as the deadline needs, loosened and released when it does
 * not), the network rate's AIMD of Alg. 2 on back-off traces, and the
 * edges: nothing measured, a writer faster than the link, a deadline
 * already passed.
 */
#include "deadline.h"
#include "kselftest.h"

#define KIB	1024ULL
#define MIB	(1024 * KIB)
#define U	(16 * MIB)		/* the unit of rates here */
#define LINK	(10 * U)		/* wire bytes/s */

/*
 * 16 GiB of 64 KiB chunks at the start of the bulk pass, 160 MiB/s, the
 * guest writing @wbytes/s in 64 KiB writes (one chunk write each).
 */
static struct mig_dl_in push(u64 now_ms, u64 wbytes)
{
	struct mig_dl_in in = {
		.now_ms = now_ms,
		.push = {
			.chunks = 262144, .chunk_bytes = 64 * KIB,
			.ahead = 262144, .bulk = true,
			.wire_per_chunk = 64 * KIB, .wire_rate = LINK,
			.write_rate = wbytes / (64 * KIB),
			.lim = { .converge_ms = MIG_CONVERGE_MS },
		},
		.write_bytes = wbytes,
	};

	return in;
}

static struct mig_dl_params params(u64 deadline_ms)
{
	struct mig_dl_params p = { .deadline_ms = deadline_ms, .vmm_ms = 10000,
				   .net_step = U, .quiet_periods = 4 };

	return p;
}

/* The push @in with the guest held to @t bytes/s (0: not held). */
static u64 left_with(struct mig_dl_in in, u64 t)
{
	u64 left;

	if (t && t < in.write_bytes) {
		in.push.write_rate = in.push.write_rate * t / in.write_bytes;
		in.write_bytes = t;
	}
	if (!mig_dl_time_left(&in.push, in.write_bytes, 10000, &left))
		return 0;
	return left;
}

static void test_time_left(void)
{
	struct mig_dl_in in = push(0, 0);
	u64 left, paper;

	ksft_test_result(mig_dl_time_left(&in.push, 0, 10000, &left) &&
			 left >= 112400 && left <= 112500,
			 "time left: an idle guest's 16 GiB at 160 MiB/s is 102.4 s, + 10 s (%llu ms)\n",
			 (unsigned long long)left);
	in = push(0, U);
	paper = 1024 * 1000 / 9 + 10000;	/* 16 GiB / (160 - 16 MiB/s) + 10 s */
	ksft_test_result(mig_dl_time_left(&in.push, in.write_bytes, 10000, &left) &&
			 left * 100 >= paper * 90 && left * 100 <= paper * 110,
			 "time left: a guest at 10 %% of the link: within 10 %% of the paper's formula (%llu vs %llu ms)\n",
			 (unsigned long long)left, (unsigned long long)paper);
	in = push(0, 2 * LINK);
	ksft_test_result(mig_dl_time_left(&in.push, in.write_bytes, 10000, &left) &&
			 left == U64_MAX,
			 "time left: a guest writing faster than the link never ends\n");
	in.push.wire_rate = 0;
	ksft_test_result(!mig_dl_time_left(&in.push, in.write_bytes, 10000, &left),
			 "time left: unknown with no send rate measured\n");
}

static void test_states(void)
{
	struct mig_dl_params p = params(1000 * 1000);
	struct mig_dl_in in = push(0, U);
	struct mig_dl_decision d;
	struct mig_dl dl;
	bool changed;

	mig_dl_init(&dl, &p);
	changed = mig_dl_step(&dl, &in, &d);
	ksft_test_result(!changed && d.state == MIG_DL_OK && !d.throttle && !d.rate &&
			 !d.ask_backoff && d.slack_pct > 700 && d.slack_pct < 900,
			 "deadline met: 1000 s for ~125 s is ok (%u %%), nothing limited\n",
			 d.slack_pct);
	p.deadline_ms = 450 * 1000;
	mig_dl_init(&dl, &p);
	mig_dl_step(&dl, &in, &d);
	ksft_test_result(d.state == MIG_DL_WARNING && !d.ask_backoff,
			 "450 s for ~125 s: warning (%u %%)\n", d.slack_pct);
	p.deadline_ms = 200 * 1000;
	mig_dl_init(&dl, &p);
	in.backoff = true;
	mig_dl_step(&dl, &in, &d);
	ksft_test_result(d.state == MIG_DL_DANGER && d.ask_backoff && !d.rate &&
			 d.rate_why == MIG_DL_KEEP,
			 "200 s: danger (%u %%): asks others to back off, ignores its own back-off\n",
			 d.slack_pct);
	/* Priorities are thresholds: the same push is ok for a lower one. */
	p.deadline_ms = 300 * 1000;
	p.danger_pct = 120;
	p.warning_pct = 150;
	mig_dl_init(&dl, &p);
	mig_dl_step(&dl, &in, &d);
	ksft_test_result(d.state == MIG_DL_OK && d.rate_why == MIG_DL_BACKOFF &&
			 d.rate == LINK / 2,
			 "thresholds 120/150 %%: 300 s is ok and backs off to half the rate\n");
	in = push(0, U);
	in.push.wire_rate = 0;
	mig_dl_init(&dl, &p);
	ksft_test_result(!mig_dl_step(&dl, &in, &d) && d.state == MIG_DL_UNKNOWN &&
			 !d.throttle && !d.rate,
			 "no send rate yet: unknown, nothing decided\n");
}

/* Alg. 1: the throttle as far as needed, and back. */
static void test_throttle(void)
{
	struct mig_dl_params p = params(450 * 1000);
	struct mig_dl_in in = push(0, U);
	struct mig_dl_decision d;
	struct mig_dl dl;
	u64 budget = 138 * 1000 * 100 / MIG_DL_TARGET_PCT, t;

	/* Warning, but on time at the guest's rate: no throttle. */
	mig_dl_init(&dl, &p);
	mig_dl_step(&dl, &in, &d);
	ksft_test_result(d.state == MIG_DL_WARNING && d.throttle_why == MIG_DL_KEEP &&
			 !d.throttle,
			 "warning, on time at the guest's rate with 120 %%: not throttled\n");
	/* Danger: 138 s for ~118 s, 115 s to keep 120 %. */
	p.deadline_ms = 138 * 1000;
	mig_dl_init(&dl, &p);
	mig_dl_step(&dl, &in, &d);
	t = d.throttle;
	ksft_test_result(d.state == MIG_DL_DANGER && d.throttle_why == MIG_DL_TIGHTEN &&
			 t > MIG_DL_MIN_WRITE && t < U && !d.old_throttle,
			 "danger: the guest is throttled below its 16 MiB/s (%llu B/s)\n",
			 (unsigned long long)t);
	ksft_test_result(left_with(in, t) <= budget && left_with(in, t * 105 / 100) > budget,
			 "the throttle is just what keeps the slack at 120 %% (5 %% more misses it)\n");
	/* The guest now writes at the throttle (in whole chunk writes/s). */
	in = push(0, t);
	mig_dl_step(&dl, &in, &d);
	ksft_test_result(d.throttle_why != MIG_DL_TIGHTEN && d.throttle >= t &&
			 d.throttle <= t * 11 / 10,
			 "held at the throttle: not tightened further, within 10 %% (%llu B/s)\n",
			 (unsigned long long)d.throttle);
	t = d.throttle;
	/* The deadline moves out (the push got ahead): loosened, then lifted. */
	dl.p.deadline_ms = 600 * 1000;
	mig_dl_step(&dl, &in, &d);
	in = push(0, t);
	ksft_test_result(d.state == MIG_DL_OK && d.throttle_why == MIG_DL_LOOSEN &&
			 d.throttle > t && d.old_throttle == t,
			 "more slack: loosened from %llu to %llu B/s\n",
			 (unsigned long long)t, (unsigned long long)d.throttle);
	mig_dl_step(&dl, &in, &d);
	ksft_test_result(d.throttle_why == MIG_DL_RELEASE && !d.throttle,
			 "ok, and the guest writes under 7/8 of the throttle: released\n");
	/* Ok and unthrottled: ok never throttles. */
	ksft_test_result(!mig_dl_step(&dl, &in, &d) && !d.throttle,
			 "ok and unthrottled: stays unthrottled\n");
	/* An idle guest needs no throttle. */
	dl.throttle = 100 * KIB;
	dl.p.deadline_ms = 450 * 1000;
	in = push(0, 0);
	mig_dl_step(&dl, &in, &d);
	ksft_test_result(d.throttle_why == MIG_DL_RELEASE && !d.throttle,
			 "the guest stopped writing: the throttle goes\n");
}

static void test_edges(void)
{
	struct mig_dl_params p = params(3600 * 1000);
	struct mig_dl_in in = push(0, 2 * LINK);
	struct mig_dl_decision d;
	struct mig_dl dl;

	/* A writer at twice the link never converges: danger however far. */
	mig_dl_init(&dl, &p);
	mig_dl_step(&dl, &in, &d);
	ksft_test_result(d.state == MIG_DL_DANGER && d.left_ms == U64_MAX && !d.slack_pct &&
			 d.throttle_why == MIG_DL_TIGHTEN && d.throttle < LINK &&
			 left_with(in, d.throttle) <= 3600 * 1000 * 100 / MIG_DL_TARGET_PCT,
			 "dirty rate above the send rate: throttled below the link (%llu B/s), on time\n",
			 (unsigned long long)d.throttle);
	/* Deadline passed: converge as soon as the model can, unlimited. */
	dl.rate = U;
	dl.action = MIG_DL_PROBE;
	in.now_ms = 3600 * 1000;
	in.backoff = true;
	mig_dl_step(&dl, &in, &d);
	ksft_test_result(d.state == MIG_DL_LATE && !d.to_deadline_ms && d.ask_backoff &&
			 d.rate_why == MIG_DL_UNLIMIT && !d.rate &&
			 d.throttle_why == MIG_DL_CONVERGE && d.throttle,
			 "deadline passed: late, rate limit lifted, throttled to converge (%llu B/s)\n",
			 (unsigned long long)d.throttle);
	/* Out of reach even for an idle guest: only what converges. */
	p.deadline_ms = 5000;
	mig_dl_init(&dl, &p);
	in = push(0, U);
	mig_dl_step(&dl, &in, &d);
	ksft_test_result(d.state == MIG_DL_DANGER && !d.throttle && d.throttle_why == MIG_DL_KEEP,
			 "out of reach, guest converges anyway: not throttled\n");
	in = push(0, 2 * LINK);
	mig_dl_step(&dl, &in, &d);
	ksft_test_result(d.state == MIG_DL_DANGER && d.throttle_why == MIG_DL_CONVERGE &&
			 d.throttle > MIG_DL_MIN_WRITE && d.throttle < LINK,
			 "out of reach, a writer faster than the link: throttled to converge (%llu B/s)\n",
			 (unsigned long long)d.throttle);
	/* Zero everything: no division by zero, nothing decided. */
	memset(&in, 0, sizeof(in));
	memset(&p, 0, sizeof(p));
	mig_dl_init(&dl, &p);
	ksft_test_result(!mig_dl_step(&dl, &in, &d) && d.state == MIG_DL_UNKNOWN &&
			 dl.p.danger_pct == 300 && dl.p.warning_pct == 400,
			 "all zero: unknown, defaults 300/400 %%\n");
}

/* Alg. 2 over a back-off trace; the push measures what the limit allows. */
static void test_aimd(void)
{
	static const struct {
		bool backoff;
		u64 rate;	/* the limit after the period, in U; 0: none */
		u8 why;
	} trace[] = {
		{ false, 0, MIG_DL_KEEP },	/* unlimited, quiet */
		{ true, 5, MIG_DL_BACKOFF },	/* halved from the measured 10 U */
		{ true, 2, MIG_DL_BACKOFF },	/* (2.5) halved again */
		{ false, 2, MIG_DL_KEEP },	/* safe: kept, marked */
		{ false, 3, MIG_DL_PROBE },	/* + 1 U (net_step) */
		{ false, 4, MIG_DL_PROBE },
		{ true, 3, MIG_DL_REVERT },	/* back to the last safe */
		{ true, 1, MIG_DL_BACKOFF },	/* (1.75) halved */
		{ false, 1, MIG_DL_KEEP },
		{ false, 2, MIG_DL_PROBE },
		{ false, 3, MIG_DL_PROBE },
		{ false, 4, MIG_DL_PROBE },
		{ false, 0, MIG_DL_UNLIMIT },	/* 5th quiet period > 4 */
		{ false, 0, MIG_DL_KEEP },
	};
	struct mig_dl_params p = params(100000 * 1000);
	struct mig_dl_decision d;
	struct mig_dl_in in;
	struct mig_dl dl;
	unsigned int i;
	bool ok = true;

	mig_dl_init(&dl, &p);
	for (i = 0; i < ARRAY_SIZE(trace); i++) {
		in = push(i * 1000, U);
		in.push.wire_rate = dl.rate ?: LINK;
		in.backoff = trace[i].backoff;
		mig_dl_step(&dl, &in, &d);
		if (d.rate / U != trace[i].rate || d.rate_why != trace[i].why ||
		    d.state != MIG_DL_OK) {
			ksft_print_msg("period %u: rate %llu (%s), expected %llu MiB/s (%s)\n", i,
				       (unsigned long long)d.rate, mig_dl_why_name(d.rate_why),
				       (unsigned long long)trace[i].rate * U,
				       mig_dl_why_name(trace[i].why));
			ok = false;
		}
	}
	ksft_test_result(ok, "AIMD: halve on back-off, hold, + step, revert, lift after 4 quiet\n");
	/* Never below the floor however long the back-off lasts (idle guest). */
	dl.p.deadline_ms = U64_MAX;
	for (i = 0; i < 64; i++) {
		in = push(0, 0);
		in.push.wire_rate = dl.rate ?: LINK;
		in.backoff = true;
		mig_dl_step(&dl, &in, &d);
	}
	ksft_test_result(d.rate == MIG_AUTO_MIN_RATE && d.state == MIG_DL_OK,
			 "AIMD: a long back-off stops at the 64 KiB/s floor\n");
	/* Danger lifts a cut rate at once and ignores the signal. */
	dl.p.deadline_ms = 140 * 1000;
	in = push(0, U);
	in.push.wire_rate = LINK;
	in.backoff = true;
	mig_dl_step(&dl, &in, &d);
	ksft_test_result(d.state == MIG_DL_DANGER && d.rate_why == MIG_DL_UNLIMIT && !d.rate &&
			 d.old_rate == MIG_AUTO_MIN_RATE,
			 "AIMD: in danger the cut rate is lifted despite back-off\n");
	/* A halving that would throw the push into danger is cut short. */
	p.deadline_ms = 533 * 1000;
	mig_dl_init(&dl, &p);
	in = push(0, U);
	in.backoff = true;
	mig_dl_step(&dl, &in, &d);
	in.push.wire_rate = d.rate;
	ksft_test_result(d.state == MIG_DL_OK && d.rate_why == MIG_DL_SHORT &&
			 d.rate > LINK / 2 && d.rate < LINK &&
			 left_with(in, 0) * MIG_DL_DANGER_PCT <= 533 * 1000 * 100,
			 "AIMD: a cut that would mean danger stops at 300 %% (%llu of %llu B/s)\n",
			 (unsigned long long)d.rate, (unsigned long long)LINK);
	ksft_test_result(!strcmp(mig_dl_state_name(MIG_DL_DANGER), "danger") &&
			 !strcmp(mig_dl_why_name(MIG_DL_BACKOFF), "back-off") &&
			 !strcmp(mig_dl_state_name(200), "?"),
			 "names for events: state and reason\n");
}

int main(void)
{
	ksft_print_header();
	ksft_set_plan(27);
	test_time_left();
	test_states();
	test_throttle();
	test_edges();
	test_aimd();
	ksft_finished();
}
