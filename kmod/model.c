// SPDX-License-Identifier: GPL-2.0
/*
 * The pre-copy model and its stop rule (model.h).  Pure logic: builds in
 * the kernel and in userspace (tests/unit/) through portable.h.  Integer
 * arithmetic only, and no product that can overflow: the inputs are
 * clamped to what a volume and a link can be, and mul_div() saturates.
 */
#include "model.h"

#define Q		24			/* fixed point of the shares */
#define ONE		BIT_ULL(Q)
#define USEC		1000000ULL
#define MAX_CHUNKS	BIT_ULL(38)		/* 1 PiB of 4 KiB chunks */
#define MAX_RATE	BIT_ULL(40)		/* bytes/s */
#define MAX_WIRE_CHUNK	BIT_ULL(24)		/* an 8 MiB chunk, sealed */

static u64 sat_add(u64 a, u64 b)
{
	return a + b < a ? U64_MAX : a + b;
}

/*
 * @a * @b / @c (@c > 0), rounded down; U64_MAX when it does not fit.
 * Exact while (@c - 1) * @b fits in 64 bits; beyond that the remainder's
 * part loses its low bits.
 */
static u64 mul_div(u64 a, u64 b, u64 c)
{
	u64 q = div64_u64(a, c), r = a - q * c;

	if (q && b > U64_MAX / q)
		return U64_MAX;
	while (r && b > U64_MAX / r) {
		r >>= 1;
		c >>= 1;
	}
	return sat_add(q * b, r ? div64_u64(r * b, c) : 0);
}

u64 mig_mul_div(u64 a, u64 b, u64 c)
{
	return mul_div(a, b, c);
}

/* 1 - e^-x, both in Q24: the share of clean chunks x writes per chunk hit. */
static u64 hit_share(u64 x)
{
	u64 x2, x3, y;
	int i;

	if (x >= 32 * ONE)
		return ONE;
	if (x < ONE / 8) {
		/* x - x^2/2 + x^3/6: exact to 2^-24 here, also for a tiny x. */
		x2 = (x * x) >> Q;
		x3 = (x2 * x) >> Q;
		return x - x2 / 2 + x3 / 6;
	}
	/* e^-x = (e^(-x/256))^256, the series again for x/256 < 1/8. */
	x >>= 8;
	x2 = (x * x) >> Q;
	x3 = (x2 * x) >> Q;
	y = ONE - x + x2 / 2 - x3 / 6;
	for (i = 0; i < 8; i++)
		y = (y * y) >> Q;
	return ONE - y;
}

u64 mig_send_ms(u64 chunks, u64 wire_per_chunk, u64 wire_rate)
{
	if (!chunks)
		return 0;
	if (!wire_rate)
		return U64_MAX;
	chunks = min(chunks, MAX_CHUNKS);
	wire_per_chunk = min(wire_per_chunk, MAX_WIRE_CHUNK);
	return mul_div(chunks * wire_per_chunk, 1000, min(wire_rate, MAX_RATE));
}

/* The no-progress rule at the end of a dirty round: true when it holds. */
static bool stalled(struct mig_progress *p, u64 dirty)
{
	if (dirty <= p->mark / 2) {
		p->mark = dirty;
		p->stalled = 0;
		return false;
	}
	return ++p->stalled >= MIG_STALL_ROUNDS;
}

enum mig_precopy_next mig_precopy_next(const struct mig_round_end *e,
				       const struct mig_limits *lim,
				       struct mig_progress *p, u8 *why)
{
	bool below = lim->given & MIG_LIM_CONVERGE;

	*why = DM_MIGRATE_CONV_NONE;
	if (e->bulk) {
		p->mark = e->dirty;
		p->stalled = 0;
		if (lim->pause_after_bulk)
			return MIG_PRECOPY_PAUSE;
	}
	if (below && e->dirty * e->chunk_bytes <= lim->converge_bytes)
		*why = DM_MIGRATE_CONV_BELOW;
	else if (!below && mig_send_ms(e->dirty, e->wire_per_chunk,
				       e->wire_rate) <= lim->converge_ms)
		*why = DM_MIGRATE_CONV_BUDGET;
	else if (lim->max_rounds && e->round > lim->max_rounds)
		*why = DM_MIGRATE_CONV_MAX_ROUNDS;
	else if (lim->max_bytes && e->sent >= lim->max_bytes)
		*why = DM_MIGRATE_CONV_MAX_BYTES;
	else if (!below && !e->bulk && stalled(p, e->dirty))
		*why = DM_MIGRATE_CONV_NO_PROGRESS;
	return *why ? MIG_PRECOPY_CONVERGED : MIG_PRECOPY_GO_ON;
}

u64 mig_writes_seen(u64 dirtied, u64 chunks, u64 clean0, u64 clean1)
{
	u64 clean = clean0 / 2 + clean1 / 2 + (clean0 & clean1 & 1);

	dirtied = min(dirtied, MAX_CHUNKS);
	chunks = min(chunks, MAX_CHUNKS);
	if (clean * 64 <= chunks)
		return dirtied * 64;
	return mul_div(dirtied, chunks, clean);
}

/* The share of the clean chunks that @writes/s dirty in @us (Q24). */
static u64 dirtied(u64 writes, u64 us, u64 chunks)
{
	u64 hits = mul_div(us, writes, USEC);

	return hit_share(mul_div(min(hits, 64 * chunks), ONE, chunks));
}

/* The model's state while it follows the rounds. */
struct model {
	u64 chunks, wire_per_chunk, rate, writes;
	u64 pos, ahead, behind;		/* as in struct mig_model_in */
	u32 zero;			/* permille of the current round */
	u64 us;				/* time so far */
	struct mig_round_end e;		/* the next round end */
};

/*
 * Send the rest of the current round, in MIG_MODEL_STEPS slices of what
 * is left of the volume ahead of the cursor, each with its share of the
 * dirty chunks there; the guest dirties clean chunks on both sides
 * meanwhile.
 */
static void model_round(struct model *m)
{
	u64 seg, a, bytes, us, share;
	unsigned int s;

	for (s = MIG_MODEL_STEPS; s; s--) {
		seg = (m->chunks - m->pos) / s;
		a = m->ahead / s;
		bytes = mul_div(a, 1000 - m->zero, 1000) * m->wire_per_chunk;
		us = mul_div(bytes, USEC, m->rate);
		share = dirtied(m->writes, us, m->chunks);
		m->pos += seg;
		m->ahead -= a;
		m->ahead += mul_div(m->chunks - m->pos - min(m->ahead, m->chunks - m->pos),
				    share, ONE);
		m->behind += mul_div(m->pos - min(m->behind, m->pos), share, ONE);
		m->us = sat_add(m->us, us);
		m->e.sent = sat_add(m->e.sent, bytes);
	}
}

bool mig_model_predict(const struct mig_model_in *in, struct mig_model_out *out)
{
	struct mig_limits lim = in->lim;
	struct mig_progress p = in->progress;
	struct model m = {
		.chunks = min(in->chunks, MAX_CHUNKS),
		.wire_per_chunk = clamp_val(in->wire_per_chunk, 1, MAX_WIRE_CHUNK),
		.rate = min(in->wire_rate, MAX_RATE),
		.zero = in->bulk ? min(in->zero_permille, 1000U) : 0,
		.e = {
			.bulk = in->bulk,
			.round = in->round,
			.chunk_bytes = in->chunk_bytes,
			.sent = in->sent,
		},
	};
	unsigned int n;
	u8 why;

	if (!m.rate || !m.chunks)
		return false;
	/* What cannot be ahead of the cursor is behind it (a paused push's). */
	m.pos = min(in->cursor, m.chunks);
	m.ahead = min(in->ahead, m.chunks - m.pos);
	m.behind = min(sat_add(in->behind, in->ahead - m.ahead), m.pos);
	/* A pass at its end with nothing sent is no round: the next begins. */
	if (!in->bulk && !m.ahead && m.pos == m.chunks) {
		m.ahead = m.behind;
		m.behind = 0;
		m.pos = 0;
	}
	m.writes = min(in->write_rate, 64 * MAX_CHUNKS);
	m.e.wire_rate = m.rate;
	m.e.wire_per_chunk = m.wire_per_chunk;
	lim.pause_after_bulk = false;
	for (n = 0; n < MIG_MODEL_ROUNDS; n++) {
		model_round(&m);
		m.e.round++;
		m.e.dirty = m.behind;
		if (mig_precopy_next(&m.e, &lim, &p, &why) == MIG_PRECOPY_CONVERGED) {
			out->ms = div64_u64(m.us, 1000);
			out->round = m.e.round;
			out->wire_bytes = m.e.sent;
			out->final_chunks = m.behind;
			out->reason = why;
			return true;
		}
		/* The next round: what the last one left behind its cursor. */
		m.e.bulk = false;
		m.zero = 0;
		m.ahead = m.behind;
		m.behind = 0;
		m.pos = 0;
	}
	return false;
}

/* Whether pre-copy converges within MIG_AUTO_ROUNDS rounds at @writes/s. */
static bool converges_with(struct mig_model_in *in, u64 writes)
{
	struct mig_model_out out;

	in->write_rate = writes;
	return mig_model_predict(in, &out) &&
	       (out.reason == DM_MIGRATE_CONV_BUDGET || out.reason == DM_MIGRATE_CONV_BELOW) &&
	       out.round <= in->round + MIG_AUTO_ROUNDS;
}

bool mig_auto_throttle(const struct mig_model_in *in, u64 bytes_rate, u64 *throttle)
{
	struct mig_model_in m = *in;
	u64 lo = 0, hi, mid;

	if (!in->wire_rate)
		return false;
	if (!in->write_rate) {		/* the guest stopped writing: lift */
		*throttle = 0;
		return true;
	}
	if (!*throttle && converges_with(&m, in->write_rate))
		return true;
	/* Twice the chunks the link carries: the search's top. */
	hi = 2 * div64_u64(min(in->wire_rate, MAX_RATE),
			   clamp_val(in->wire_per_chunk, 1, MAX_WIRE_CHUNK)) + 1;
	if (converges_with(&m, hi)) {
		*throttle = 0;
		return true;
	}
	/* The most that converges, to 1/64 of the top. */
	while (hi - lo > div64_u64(hi, 64) + 1) {
		mid = lo + (hi - lo) / 2;
		if (converges_with(&m, mid))
			lo = mid;
		else
			hi = mid;
	}
	*throttle = max(mul_div(min(bytes_rate, MAX_RATE), lo, in->write_rate),
			(u64)MIG_AUTO_MIN_RATE);
	return true;
}
