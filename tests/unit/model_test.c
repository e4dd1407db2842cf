// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for kmod/model.c: the stop rule of pre-copy (a time budget,
 * the operator's threshold, no progress, the limits), and the model's
 * prediction, against exact cases and against a reference: a simulation
 * of the push chunk by chunk (a cursor sweeping a bitmap, each chunk
 * taking its time on the link, random guest writes arriving as a Poisson
 * process), whose state part-way through is what the model starts from.
 */
#include <math.h>

#include "model.h"
#include "ratectl.h"
#include "kselftest.h"

#define KIB	1024ULL
#define MIB	(1024 * KIB)

static struct mig_limits defaults(void)
{
	struct mig_limits lim = { .converge_ms = MIG_CONVERGE_MS, .max_rounds = 30 };

	return lim;
}

static const char *reason(u8 why)
{
	static const char * const names[] = {
		"none", "budget", "below", "no progress", "max rounds", "max bytes",
	};

	return why < sizeof(names) / sizeof(names[0]) ? names[why] : "?";
}

/* The stop conditions (rounds.c acts on them). */
static void test_limits(void)
{
	struct mig_limits lim = { .given = MIG_LIM_CONVERGE, .converge_bytes = 1000,
				  .max_rounds = 3 };
	struct mig_round_end e = { .bulk = true, .round = 1, .dirty = 5,
				   .chunk_bytes = 1000, .sent = 1 };
	struct mig_progress p = {};
	u8 why;

	ksft_test_result(mig_precopy_next(&e, &lim, &p, &why) == MIG_PRECOPY_GO_ON &&
			 why == DM_MIGRATE_CONV_NONE,
			 "precopy: after the bulk pass, dirty rounds follow\n");
	e.dirty = 1;
	ksft_test_result(mig_precopy_next(&e, &lim, &p, &why) == MIG_PRECOPY_CONVERGED &&
			 why == DM_MIGRATE_CONV_BELOW,
			 "precopy: converged at converge_below, even after the bulk pass\n");
	lim.pause_after_bulk = true;
	ksft_test_result(mig_precopy_next(&e, &lim, &p, &why) == MIG_PRECOPY_PAUSE,
			 "precopy: pause_after_bulk pauses after the bulk pass, whatever is dirty\n");
	e.bulk = false;
	e.round = 2;
	e.dirty = 5;
	ksft_test_result(mig_precopy_next(&e, &lim, &p, &why) == MIG_PRECOPY_GO_ON,
			 "precopy: pause_after_bulk does not pause a dirty round\n");
	e.round = 4;
	ksft_test_result(mig_precopy_next(&e, &lim, &p, &why) == MIG_PRECOPY_CONVERGED &&
			 why == DM_MIGRATE_CONV_MAX_ROUNDS,
			 "precopy: converged after max_rounds dirty rounds, saying so\n");
	lim.max_rounds = 0;
	e.round = 1000;
	ksft_test_result(mig_precopy_next(&e, &lim, &p, &why) == MIG_PRECOPY_GO_ON,
			 "precopy: max_rounds 0 is no round limit (nor no-progress, with converge_below)\n");
	lim.max_bytes = 100;
	e.sent = 100;
	ksft_test_result(mig_precopy_next(&e, &lim, &p, &why) == MIG_PRECOPY_CONVERGED &&
			 why == DM_MIGRATE_CONV_MAX_BYTES,
			 "precopy: converged once max_bytes were sent, saying so\n");
}

/* The default rule: the rest within the time budget at the measured rate. */
static void test_budget(void)
{
	struct mig_limits lim = defaults();
	/* 64 KiB chunks, 40 KiB each on the wire, 4 MB/s: 10 ms a chunk. */
	struct mig_round_end e = { .round = 2, .dirty = 100, .chunk_bytes = 64 * KIB,
				   .wire_per_chunk = 40000, .wire_rate = 4000000 };
	struct mig_progress p = { .mark = 1000 };
	u8 why;

	ksft_test_result(mig_send_ms(100, 40000, 4000000) == 1000 &&
			 mig_send_ms(0, 40000, 0) == 0 && mig_send_ms(1, 1, 0) == U64_MAX,
			 "send_ms: 100 chunks of 40 kB at 4 MB/s take 1 s; nothing takes nothing\n");
	ksft_test_result(mig_send_ms(1ULL << 40, 1 << 23, 1) > 0 &&
			 mig_send_ms(1ULL << 40, 1 << 23, 1ULL << 50) > 0,
			 "send_ms: no overflow at the limits\n");
	ksft_test_result(mig_precopy_next(&e, &lim, &p, &why) == MIG_PRECOPY_CONVERGED &&
			 why == DM_MIGRATE_CONV_BUDGET,
			 "budget: 100 chunks sent in 1 s converge with the default budget\n");
	e.dirty = 101;
	ksft_test_result(mig_precopy_next(&e, &lim, &p, &why) == MIG_PRECOPY_GO_ON,
			 "budget: 101 chunks do not\n");
	lim.converge_ms = 2000;
	ksft_test_result(mig_precopy_next(&e, &lim, &p, &why) == MIG_PRECOPY_CONVERGED,
			 "budget: they do within converge_ms 2000\n");
	e.wire_rate = 0;
	ksft_test_result(mig_precopy_next(&e, &lim, &p, &why) == MIG_PRECOPY_GO_ON,
			 "budget: no rate measured yet: go on\n");
	e.dirty = 0;
	ksft_test_result(mig_precopy_next(&e, &lim, &p, &why) == MIG_PRECOPY_CONVERGED &&
			 why == DM_MIGRATE_CONV_BUDGET,
			 "budget: nothing dirty converges, measured or not\n");
	lim.converge_ms = 0;
	e.wire_rate = 4000000;
	e.dirty = 1;
	ksft_test_result(mig_precopy_next(&e, &lim, &p, &why) == MIG_PRECOPY_GO_ON,
			 "budget: converge_ms 0 waits for a clean volume\n");
	/* The operator's threshold replaces the budget. */
	lim = defaults();
	lim.given = MIG_LIM_CONVERGE;
	lim.converge_bytes = 64 * KIB;
	e.dirty = 2;
	ksft_test_result(mig_precopy_next(&e, &lim, &p, &why) == MIG_PRECOPY_GO_ON,
			 "converge_below given: the budget does not apply (2 chunks > 64 KiB)\n");
}

/* Rounds that stop shrinking the dirty set end pre-copy. */
static void test_no_progress(void)
{
	struct mig_limits lim = defaults();
	struct mig_round_end e = { .bulk = true, .round = 1, .dirty = 1000,
				   .chunk_bytes = 64 * KIB, .wire_per_chunk = 64 * KIB,
				   .wire_rate = 1000000 };
	static const u64 dirty[] = { 900, 800, 400, 390, 380, 370 };
	struct mig_progress p = { .mark = 7, .stalled = 2 };
	enum mig_precopy_next next[6];
	unsigned int i;
	u8 why;

	mig_precopy_next(&e, &lim, &p, &why);
	ksft_test_result(p.mark == 1000 && !p.stalled,
			 "progress: the bulk pass's end sets the mark\n");
	e.bulk = false;
	for (i = 0; i < 6; i++) {
		e.round++;
		e.dirty = dirty[i];
		next[i] = mig_precopy_next(&e, &lim, &p, &why);
	}
	ksft_test_result(next[0] == MIG_PRECOPY_GO_ON && next[1] == MIG_PRECOPY_GO_ON &&
			 next[2] == MIG_PRECOPY_GO_ON && next[3] == MIG_PRECOPY_GO_ON &&
			 next[4] == MIG_PRECOPY_GO_ON && next[5] == MIG_PRECOPY_CONVERGED &&
			 why == DM_MIGRATE_CONV_NO_PROGRESS,
			 "progress: halving within 3 rounds goes on; 3 rounds without stop (%s)\n",
			 reason(why));
	lim.given = MIG_LIM_CONVERGE;
	p.stalled = 5;
	ksft_test_result(mig_precopy_next(&e, &lim, &p, &why) == MIG_PRECOPY_GO_ON,
			 "progress: not with converge_below (the operator's rule)\n");
}

/* The model on cases with an exact answer. */
static void test_exact(void)
{
	struct mig_model_in in = {
		.chunks = 4096, .chunk_bytes = 64 * KIB, .ahead = 4096, .bulk = true,
		.wire_per_chunk = 64 * KIB, .wire_rate = 4 * MIB, .lim = defaults(),
	};
	struct mig_model_out out;
	bool ok;

	ok = mig_model_predict(&in, &out);
	ksft_test_result(ok && out.ms == 64000 && out.round == 1 &&
			 out.wire_bytes == 256 * MIB && !out.final_chunks &&
			 out.reason == DM_MIGRATE_CONV_BUDGET,
			 "model: an idle 256 MiB volume at 4 MiB/s: 64 s, converged after the bulk pass (%llu ms, round %u, %s)\n",
			 (unsigned long long)out.ms, out.round, reason(out.reason));
	in.zero_permille = 500;
	ok = mig_model_predict(&in, &out);
	ksft_test_result(ok && out.ms == 32000 && out.wire_bytes == 128 * MIB,
			 "model: half of it zero chunks: half the time and bytes (%llu ms)\n",
			 (unsigned long long)out.ms);
	in.zero_permille = 0;
	in.cursor = 2048;
	in.ahead = 2048;
	in.behind = 100;
	in.round = 0;
	ok = mig_model_predict(&in, &out);
	ksft_test_result(ok && out.ms == 32000 + 1562 && out.round == 2 &&
			 out.reason == DM_MIGRATE_CONV_BUDGET,
			 "model: mid-bulk, 100 chunks behind: the bulk's rest, then a round of 1.56 s (%llu ms, round %u)\n",
			 (unsigned long long)out.ms, out.round);
	/* Paused after the bulk pass: its cursor at the end, 100 chunks dirty. */
	in.bulk = false;
	in.round = 1;
	in.cursor = 4096;
	in.ahead = 100;
	in.behind = 0;
	ok = mig_model_predict(&in, &out);
	ksft_test_result(ok && out.ms == 1562 && out.round == 2,
			 "model: the cursor at the end: what is dirty is the next round's (%llu ms, round %u)\n",
			 (unsigned long long)out.ms, out.round);
	in.wire_rate = 0;
	ksft_test_result(!mig_model_predict(&in, &out), "model: no rate measured: no prediction\n");
	in.wire_rate = 1;
	in.chunks = in.ahead = 1ULL << 40;
	in.cursor = 0;
	in.write_rate = 1ULL << 40;
	in.wire_per_chunk = 1ULL << 30;
	ok = mig_model_predict(&in, &out);
	ksft_test_result(!ok || out.ms > 1000000,
			 "model: absurd inputs do not overflow (%s)\n", ok ? "predicted" : "none");
}

/* The reference: the push chunk by chunk, guest writes at random. */
struct sim {
	unsigned int chunks;
	double chunk_s;		/* a chunk's time on the link */
	double writes_per_s;	/* the guest's chunk writes */
	double switch_s;	/* from then on (a throttle) */
	double writes_after;
	double t, next_write;
	bool *dirty;
	unsigned int ndirty;
	u64 rng;
	/* Status, sampled every second as a watcher would (netlink.c). */
	double next_sample;
	u64 newly, newly0, clean0, writes;
	struct mig_rate write_rate;
};

static double uniform(struct sim *s)
{
	s->rng = s->rng * 6364136223846793005ULL + 1442695040888963407ULL;
	return ((s->rng >> 11) + 0.5) / 9007199254740992.0;
}

/* The guest's chunk writes as the estimator sees them (mig_est_sample()). */
static void sim_sample(struct sim *s)
{
	u64 clean = s->chunks - s->ndirty;

	s->writes += mig_writes_seen(s->newly - s->newly0, s->chunks, s->clean0, clean);
	s->newly0 = s->newly;
	s->clean0 = clean;
	mig_rate_update(&s->write_rate, (u64)(s->next_sample * 1000) + 1, s->writes);
	s->next_sample += 1;
}

/* Let time run to @t: the guest's writes until then land. */
static void sim_until(struct sim *s, double t)
{
	for (;;) {
		if (s->next_sample <= t && s->next_sample < s->next_write) {
			sim_sample(s);
		} else if (s->next_write <= t) {
			unsigned int c = (unsigned int)(uniform(s) * s->chunks);

			if (!s->dirty[c]) {
				s->dirty[c] = true;
				s->ndirty++;
				s->newly++;
			}
			s->next_write += -log(uniform(s)) /
					 (s->next_write >= s->switch_s ? s->writes_after :
					  s->writes_per_s);
		} else {
			break;
		}
	}
	s->t = t;
}

static void sim_start(struct sim *s)
{
	unsigned int i;

	for (i = 0; i < s->chunks; i++)
		s->dirty[i] = true;
	s->ndirty = s->chunks;
	s->t = 0;
	s->rng = 42;
	s->next_write = -log(uniform(s)) / s->writes_per_s;
	s->next_sample = 0;
	s->newly = s->newly0 = s->writes = 0;
	memset(&s->write_rate, 0, sizeof(s->write_rate));
	sim_sample(s);
}

struct sim_result {
	double s;
	u32 round;
	u64 wire, final;
	u8 why;
	bool snapped;
	struct mig_model_in in;	/* the state at the snapshot */
	double snap_s;
	double bulk_s;		/* the bulk pass's end: time, state */
	u64 bulk_dirty, bulk_writes, bulk_sent;
	struct mig_progress bulk_progress;
};

/*
 * Run the push from its start to its stop; at @snap_s, note its state
 * as status would see it, for the model.
 */
static void sim_run(struct sim *s, const struct mig_limits *lim, u64 wire_per_chunk,
		    u64 rate, double snap_s, struct sim_result *r)
{
	struct mig_round_end e = { .bulk = true, .chunk_bytes = 64 * KIB,
				   .wire_rate = rate, .wire_per_chunk = wire_per_chunk };
	struct mig_progress p = {};
	u64 dirty0 = s->chunks, picked = 0;
	unsigned int c;

	memset(r, 0, sizeof(*r));
	sim_start(s);
	for (;;) {
		for (c = 0; c < s->chunks; c++) {
			if (!r->snapped && s->t >= snap_s) {
				u64 ahead = dirty0 > picked ? dirty0 - picked : 0;

				r->snapped = true;
				r->snap_s = s->t;
				r->in = (struct mig_model_in) {
					.chunks = s->chunks, .chunk_bytes = 64 * KIB,
					.cursor = c, .ahead = min(ahead, (u64)s->ndirty),
					.bulk = e.bulk, .wire_per_chunk = wire_per_chunk,
					.wire_rate = rate,
					.write_rate = s->write_rate.rate,
					.round = e.round, .sent = e.sent, .lim = *lim,
					.progress = p,
				};
				r->in.behind = s->ndirty - r->in.ahead;
			}
			if (!s->dirty[c])
				continue;
			s->dirty[c] = false;
			s->ndirty--;
			picked++;
			sim_until(s, s->t + s->chunk_s);
			e.sent += wire_per_chunk;
		}
		e.round++;
		e.dirty = s->ndirty;
		if (mig_precopy_next(&e, lim, &p, &r->why) == MIG_PRECOPY_CONVERGED)
			break;
		if (e.bulk) {
			r->bulk_s = s->t;
			r->bulk_dirty = s->ndirty;
			r->bulk_writes = s->write_rate.rate;
			r->bulk_sent = e.sent;
			r->bulk_progress = p;
		}
		e.bulk = false;
		dirty0 = s->ndirty;
		picked = 0;
	}
	r->s = s->t;
	r->round = e.round;
	r->wire = e.sent;
	r->final = s->ndirty;
}

static bool within(double got, double want, double tol)
{
	return fabs(got - want) <= tol * want;
}

/*
 * A 256 MiB volume of 64 KiB chunks over a 25 MB/s link, guest writes
 * at random making @load of the link's rate in whole chunks; the model
 * from the state at @at of the push's time (10 %, 50 %, 90 %) predicts
 * its end within 20 % and its round within one.
 */
static void test_against_sim(double load, u8 want)
{
	static const double at[] = { 0.1, 0.5, 0.9 };
	u64 rate = 25000000, wpc = 64 * KIB;
	struct mig_limits lim = defaults();
	struct sim_result full, r;
	struct mig_model_out out;
	unsigned int i;
	struct sim s = {
		.chunks = 4096, .chunk_s = (double)wpc / rate,
		.writes_per_s = load * rate / wpc, .switch_s = 1e9,
	};

	s.dirty = calloc(s.chunks, sizeof(*s.dirty));
	sim_run(&s, &lim, wpc, rate, 1e9, &full);
	ksft_print_msg("sim: load %.0f%%: %.1f s, round %u, %.2f x the volume, %llu chunks left (%s)\n",
		       load * 100, full.s, full.round, full.wire / (4096.0 * wpc),
		       (unsigned long long)full.final, reason(full.why));
	ksft_test_result(full.why == want, "sim: load %.0f%% stops by %s (%s)\n",
			 load * 100, reason(want), reason(full.why));
	for (i = 0; i < 3; i++) {
		bool ok;

		sim_run(&s, &lim, wpc, rate, at[i] * full.s, &r);
		ok = mig_model_predict(&r.in, &out);
		ksft_print_msg("model at %.0f%% (%.1f s, round %u, %llu ahead, %llu behind, %llu/s): %.1f s, round %u, %.2f x, %llu left (%s)\n",
			       at[i] * 100, r.snap_s, r.in.round,
			       (unsigned long long)r.in.ahead, (unsigned long long)r.in.behind,
			       (unsigned long long)r.in.write_rate,
			       r.snap_s + out.ms / 1000.0, out.round,
			       out.wire_bytes / (4096.0 * wpc),
			       (unsigned long long)out.final_chunks, reason(out.reason));
		ksft_test_result(ok && within(r.snap_s + out.ms / 1000.0, r.s, 0.2) &&
				 within(out.wire_bytes, r.wire, 0.2) &&
				 out.round + 1 >= r.round && out.round <= r.round + 1 &&
				 out.reason == r.why,
				 "model: load %.0f%%, at %.0f%% of the push: time, bytes within 20 %%, round within 1\n",
				 load * 100, at[i] * 100);
	}
	free(s.dirty);
}

/*
 * auto_throttle: none for a guest that converges anyway; for one faster
 * than the link, from the bulk pass's end, the most writes that converge
 * within MIG_AUTO_ROUNDS rounds (a little more does not), and the
 * reference, its writer held to that from then on, converges on the budget
 * within them.
 */
static void test_auto_throttle(void)
{
	u64 rate = 25000000, wpc = 64 * KIB, t = 0, t2, writes;
	struct mig_limits lim = defaults();
	struct mig_model_out out;
	struct sim_result full, r;
	struct mig_model_in in;
	struct sim s = {
		.chunks = 4096, .chunk_s = (double)wpc / rate,
		.writes_per_s = 1.6 * rate / wpc, .switch_s = 1e9,
	};
	bool ok, more;

	s.dirty = calloc(s.chunks, sizeof(*s.dirty));
	sim_run(&s, &lim, wpc, rate, 1e9, &full);
	in = (struct mig_model_in) {
		.chunks = s.chunks, .chunk_bytes = 64 * KIB, .ahead = full.bulk_dirty,
		.wire_per_chunk = wpc, .wire_rate = rate, .write_rate = full.bulk_writes,
		.round = 1, .sent = full.bulk_sent, .lim = lim,
		.progress = full.bulk_progress,
	};
	ok = mig_auto_throttle(&in, in.write_rate * 4096, &t);
	writes = t / 4096;
	ksft_print_msg("auto: after the bulk pass (%.1f s, %llu dirty, %llu writes/s): %llu bytes/s, %llu writes/s\n",
		       full.bulk_s, (unsigned long long)full.bulk_dirty,
		       (unsigned long long)in.write_rate, (unsigned long long)t,
		       (unsigned long long)writes);
	in.write_rate = writes;
	ok = ok && mig_model_predict(&in, &out) && out.reason == DM_MIGRATE_CONV_BUDGET &&
	     out.round <= 1 + MIG_AUTO_ROUNDS;
	in.write_rate = writes + writes / 8 + 2 * (2 * rate / wpc) / 64;
	more = mig_model_predict(&in, &out) && out.reason == DM_MIGRATE_CONV_BUDGET &&
	       out.round <= 1 + MIG_AUTO_ROUNDS;
	ksft_test_result(ok && t && writes < full.bulk_writes && !more,
			 "auto: a writer 1.6 x the link is held to what converges within %d rounds, not much more\n",
			 MIG_AUTO_ROUNDS);
	s.switch_s = full.bulk_s;
	s.writes_after = writes;
	sim_run(&s, &lim, wpc, rate, 1e9, &r);
	ksft_print_msg("auto: the reference held to it: %.1f s, round %u, %.2f x (%s)\n", r.s,
		       r.round, r.wire / (4096.0 * wpc), reason(r.why));
	ksft_test_result(r.why == DM_MIGRATE_CONV_BUDGET && r.round <= 2 + MIG_AUTO_ROUNDS,
			 "auto: the reference held to it converges on the budget in time\n");
	/* Held, the measured rate converges: the throttle rises, stays on. */
	in.write_rate = writes;
	t2 = t;
	in.ahead = full.bulk_dirty / 4;
	ok = mig_auto_throttle(&in, writes * 4096, &t2);
	ksft_test_result(ok && t2 > t, "auto: held, with less dirty, it rises (%llu bytes/s)\n",
			 (unsigned long long)t2);
	/* A slow writer needs none. */
	t = 0;
	in.ahead = 180;
	in.write_rate = (u64)(0.25 * rate / wpc);
	ksft_test_result(mig_auto_throttle(&in, in.write_rate * 4096, &t) && !t,
			 "auto: a writer at a quarter of the link needs no throttle\n");
	in.wire_rate = 0;
	t = 5;
	ksft_test_result(!mig_auto_throttle(&in, 1, &t) && t == 5,
			 "auto: no rate measured: no decision\n");
	free(s.dirty);
}

int main(void)
{
	ksft_print_header();
	ksft_set_plan(7 + 9 + 3 + 6 + 4 * 3 + 5);
	test_limits();
	test_budget();
	test_no_progress();
	test_exact();
	/* A steady writer converges on the budget; one faster than the link stops. */
	test_against_sim(0.25, DM_MIGRATE_CONV_BUDGET);
	test_against_sim(0.6, DM_MIGRATE_CONV_BUDGET);
	test_against_sim(1.6, DM_MIGRATE_CONV_NO_PROGRESS);
	test_auto_throttle();
	ksft_finished();
}
