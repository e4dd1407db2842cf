// SPDX-License-Identifier: GPL-2.0
/*
 * The deadline controller (deadline.h).  Pure logic: builds in the kernel
 * and in userspace through portable.h.  Integer arithmetic only; the time
 * a push has left comes from the pre-copy model (model.c).
 */
#include "deadline.h"

#define MAX_MS		BIT_ULL(50)	/* 35 000 years: clamps the products */
#define MAX_RATE	BIT_ULL(40)	/* bytes/s */
#define MIN_RATE	MIG_AUTO_MIN_RATE	/* the rate limit's floor */

static u64 sat_add(u64 a, u64 b)
{
	return a + b < a ? U64_MAX : a + b;
}

bool mig_dl_time_left(const struct mig_model_in *in, u64 write_bytes, u64 vmm_ms,
		      u64 *left_ms)
{
	struct mig_model_out out;
	u64 drain = 0;

	if (!in->wire_rate)
		return false;
	if (!mig_model_predict(in, &out)) {
		*left_ms = U64_MAX;
		return true;
	}
	if (out.final_chunks) {
		/* Mirroring sends the guest's writes too: the rest gets what is left. */
		if (write_bytes >= in->wire_rate) {
			*left_ms = U64_MAX;
			return true;
		}
		drain = mig_send_ms(out.final_chunks, in->wire_per_chunk,
				    in->wire_rate - write_bytes);
	}
	*left_ms = sat_add(sat_add(out.ms, drain), vmm_ms);
	return true;
}

/* The time to the deadline over the time left, in percent. */
static u32 slack_pct(u64 to_deadline, u64 left)
{
	u64 pct;

	if (!left)
		return U32_MAX;
	if (left == U64_MAX)
		return 0;
	pct = div64_u64(min(to_deadline, MAX_MS) * 100, left);
	return min_t(u64, pct, U32_MAX);
}

/*
 * Whether the push ends within @budget ms with the guest at @writes chunk
 * writes/s (in bytes/s as it writes them now: @in->write_bytes for
 * @in->push.write_rate).  @in->push.write_rate is not 0.
 */
static bool fits(const struct mig_dl *dl, const struct mig_dl_in *in, u64 writes,
		 u64 budget)
{
	struct mig_model_in m = in->push;
	u64 left;

	m.write_rate = writes;
	return mig_dl_time_left(&m, mig_mul_div(in->write_bytes, writes, in->push.write_rate),
				dl->p.vmm_ms, &left) && left <= budget;
}

/*
 * The guest write throttle, in bytes/s, for the push to end within
 * @budget ms: the most chunk writes/s that do (to 1/1024 of the search's
 * top), in bytes as the guest writes them now; 0 when it ends in time at
 * twice the chunks the link carries; min_write at the least.  U64_MAX
 * when it does not end in time even with the guest idle.
 */
static u64 throttle_for(const struct mig_dl *dl, const struct mig_dl_in *in, u64 budget)
{
	u64 lo = 0, hi, mid;

	hi = 2 * div64_u64(min(in->push.wire_rate, MAX_RATE),
			   clamp_val(in->push.wire_per_chunk, 1, MAX_RATE)) + 1;
	if (fits(dl, in, hi, budget))
		return 0;
	if (!fits(dl, in, 0, budget))
		return U64_MAX;
	while (hi - lo > div64_u64(hi, 1024) + 1) {
		mid = lo + (hi - lo) / 2;
		if (fits(dl, in, mid, budget))
			lo = mid;
		else
			hi = mid;
	}
	return max(mig_mul_div(in->write_bytes, lo, in->push.write_rate), dl->p.min_write);
}

/* Out of time: the throttle for converging soon (auto_throttle's). */
static void converge(struct mig_dl *dl, const struct mig_dl_in *in,
		     struct mig_dl_decision *d)
{
	u64 t = dl->throttle;

	if (mig_auto_throttle(&in->push, in->write_bytes, &t) && t != dl->throttle) {
		dl->throttle = t;
		d->throttle_why = MIG_DL_CONVERGE;
	}
}

/* Alg. 1's half: the guest write throttle. */
static void decide_throttle(struct mig_dl *dl, const struct mig_dl_in *in,
			    struct mig_dl_decision *d)
{
	u64 t = dl->throttle, budget;

	if (!in->push.write_rate || !in->write_bytes) {
		/* The guest writes nothing: nothing to hold back. */
		if (t) {
			dl->throttle = 0;
			d->throttle_why = MIG_DL_RELEASE;
		}
		return;
	}
	if (d->state == MIG_DL_LATE) {
		converge(dl, in, d);
		return;
	}
	if (d->state == MIG_DL_OK && !t)
		return;
	/* What keeps the slack at target_pct. */
	budget = div64_u64(min(d->to_deadline_ms, MAX_MS) * 100, dl->p.target_pct);
	if (d->state == MIG_DL_OK) {
		/*
		 * Only ever looser here: lifted when the guest does not push
		 * against it (writes under 7/8 of it), raised when it does.
		 */
		if (in->write_bytes < t - t / 8) {
			dl->throttle = 0;
			d->throttle_why = MIG_DL_RELEASE;
			return;
		}
		t = throttle_for(dl, in, budget);
		if (t == U64_MAX)
			return;
		if (!t) {
			dl->throttle = 0;
			d->throttle_why = MIG_DL_RELEASE;
		} else if (t > dl->throttle) {
			dl->throttle = t;
			d->throttle_why = MIG_DL_LOOSEN;
		}
		return;
	}
	/* Warning or danger: only ever tighter, and only where it binds. */
	t = throttle_for(dl, in, budget);
	if (t == U64_MAX) {
		/* Holding the guest back cannot make it: converge, no more. */
		converge(dl, in, d);
		return;
	}
	if (t && t < in->write_bytes && (!dl->throttle || t < dl->throttle)) {
		dl->throttle = t;
		d->throttle_why = MIG_DL_TIGHTEN;
	}
}

static void set_rate(struct mig_dl *dl, struct mig_dl_decision *d, u64 rate, u8 why)
{
	dl->action = why;
	if (rate != dl->rate) {
		dl->rate = rate;
		d->rate_why = why;
	}
}

/*
 * A cut of the rate to @want on a back-off, from @base, the rate now: no
 * deeper than keeps the slack at danger_pct (to 1/64 of @base), so that a
 * cut does not throw the push into danger, where it would lift the limit
 * again at the next period.  *@why says whether it was cut short.
 */
static u64 cut(const struct mig_dl *dl, const struct mig_dl_in *in,
	       const struct mig_dl_decision *d, u64 base, u64 want, u8 *why)
{
	u64 budget = div64_u64(min(d->to_deadline_ms, MAX_MS) * 100, dl->p.danger_pct);
	struct mig_model_in m = in->push;
	u64 lo = want, hi = base, mid, left;

	m.wire_rate = want;
	if (want >= base || (mig_dl_time_left(&m, in->write_bytes, dl->p.vmm_ms, &left) &&
			     left <= budget))
		return want;
	/* @hi keeps it (the push is not in danger at @base); @lo does not. */
	while (hi - lo > div64_u64(base, 64) + 1) {
		mid = lo + (hi - lo) / 2;
		m.wire_rate = mid;
		if (mig_dl_time_left(&m, in->write_bytes, dl->p.vmm_ms, &left) && left <= budget)
			hi = mid;
		else
			lo = mid;
	}
	*why = MIG_DL_SHORT;
	return hi;
}

/* Alg. 2: the network rate limit, AIMD on back-off. */
static void decide_rate(struct mig_dl *dl, const struct mig_dl_in *in,
			struct mig_dl_decision *d)
{
	bool ignore = d->state == MIG_DL_DANGER || d->state == MIG_DL_LATE;
	u64 base = in->push.wire_rate ?: dl->rate, rate;
	u8 why;

	if (ignore) {
		/* Its deadline first: ask the others to make room instead. */
		d->ask_backoff = true;
		dl->quiet = 0;
		set_rate(dl, d, 0, MIG_DL_UNLIMIT);
		dl->action = MIG_DL_KEEP;
		return;
	}
	if (in->backoff) {
		dl->quiet = 0;
		if (dl->rate && dl->rate < base)
			base = dl->rate;
		if (dl->action == MIG_DL_PROBE) {
			why = MIG_DL_REVERT;
			rate = cut(dl, in, d, base, dl->safe_rate, &why);
		} else {
			/* Unlimited, or cut already and still told to back off: halve. */
			why = MIG_DL_BACKOFF;
			rate = cut(dl, in, d, base, max(base / 2, MIN_RATE), &why);
		}
		/* A cut kept short counts as one: the next quiet period marks it safe. */
		set_rate(dl, d, rate, why);
		if (why == MIG_DL_SHORT)
			dl->action = MIG_DL_BACKOFF;
		return;
	}
	dl->quiet++;
	switch (dl->action) {
	case MIG_DL_BACKOFF:
	case MIG_DL_REVERT:
		/* A cut rate that caused no back-off: safe, raise from it next. */
		dl->safe_rate = dl->rate;
		dl->action = MIG_DL_PROBE;
		break;
	case MIG_DL_PROBE:
		dl->safe_rate = dl->rate;
		if (dl->p.quiet_periods && dl->quiet > dl->p.quiet_periods) {
			set_rate(dl, d, 0, MIG_DL_UNLIMIT);
			dl->action = MIG_DL_KEEP;
		} else {
			set_rate(dl, d, min(sat_add(dl->rate, dl->p.net_step), MAX_RATE),
				 MIG_DL_PROBE);
		}
		break;
	default:
		break;
	}
}

void mig_dl_init(struct mig_dl *dl, const struct mig_dl_params *p)
{
	memset(dl, 0, sizeof(*dl));
	dl->p = *p;
	if (!dl->p.danger_pct)
		dl->p.danger_pct = MIG_DL_DANGER_PCT;
	if (!dl->p.warning_pct)
		dl->p.warning_pct = MIG_DL_WARNING_PCT;
	dl->p.warning_pct = max(dl->p.warning_pct, dl->p.danger_pct);
	if (!dl->p.target_pct)
		dl->p.target_pct = MIG_DL_TARGET_PCT;
	dl->p.target_pct = max(dl->p.target_pct, 100U);
	if (!dl->p.min_write)
		dl->p.min_write = MIG_DL_MIN_WRITE;
	if (!dl->p.net_step)
		dl->p.net_step = MIN_RATE;
}

bool mig_dl_step(struct mig_dl *dl, const struct mig_dl_in *in,
		 struct mig_dl_decision *d)
{
	struct mig_dl_in eff;
	u64 left;

	memset(d, 0, sizeof(*d));
	d->old_rate = dl->rate;
	d->old_throttle = dl->throttle;
	d->to_deadline_ms = dl->p.deadline_ms > in->now_ms ? dl->p.deadline_ms - in->now_ms : 0;
	if (!mig_dl_time_left(&in->push, in->write_bytes, dl->p.vmm_ms, &left)) {
		d->state = MIG_DL_UNKNOWN;
		d->left_ms = U64_MAX;
		goto out;
	}
	d->left_ms = left;
	d->slack_pct = slack_pct(d->to_deadline_ms, left);
	if (!d->to_deadline_ms)
		d->state = MIG_DL_LATE;
	else if (d->slack_pct < dl->p.danger_pct)
		d->state = MIG_DL_DANGER;
	else if (d->slack_pct <= dl->p.warning_pct)
		d->state = MIG_DL_WARNING;
	else
		d->state = MIG_DL_OK;
	decide_rate(dl, in, d);
	/* The throttle for the rate the push will have. */
	eff = *in;
	if (dl->rate && dl->rate < eff.push.wire_rate)
		eff.push.wire_rate = dl->rate;
	decide_throttle(dl, &eff, d);
out:
	dl->state = d->state;
	d->rate = dl->rate;
	d->throttle = dl->throttle;
	return d->rate_why != MIG_DL_KEEP || d->throttle_why != MIG_DL_KEEP;
}

const char *mig_dl_state_name(u8 state)
{
	static const char * const names[] = {
		[MIG_DL_UNKNOWN] = "unknown",
		[MIG_DL_OK] = "ok",
		[MIG_DL_WARNING] = "warning",
		[MIG_DL_DANGER] = "danger",
		[MIG_DL_LATE] = "late",
	};

	return state < ARRAY_SIZE(names) ? names[state] : "?";
}

const char *mig_dl_why_name(u8 why)
{
	static const char * const names[] = {
		[MIG_DL_KEEP] = "keep",
		[MIG_DL_TIGHTEN] = "deadline at risk",
		[MIG_DL_LOOSEN] = "slack regained",
		[MIG_DL_RELEASE] = "not needed",
		[MIG_DL_CONVERGE] = "deadline out of reach: converge",
		[MIG_DL_BACKOFF] = "back-off",
		[MIG_DL_SHORT] = "back-off, no deeper than the deadline allows",
		[MIG_DL_REVERT] = "back-off while raising: last safe rate",
		[MIG_DL_PROBE] = "no back-off: raise",
		[MIG_DL_UNLIMIT] = "no back-off for long, or in danger",
	};

	return why < ARRAY_SIZE(names) ? names[why] : "?";
}
