// SPDX-License-Identifier: GPL-2.0
/*
 * The simulated cluster (sim.h): hosts, their links and background
 * traffic, hot spots, migrations as fluids, and the deadline controller.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sim.h"

#define TICK	1.0		/* s */
#define SAT	0.99		/* a link this full is saturated */

struct host {
	double bg;		/* background share of the link, this period */
	unsigned int hot;	/* periods of hot spot left; 0: none */
	bool saturated;		/* this period, at some tick */
	double up, down;	/* migrations' bytes/s this tick */
	unsigned int nup, ndown;
	bool ask;		/* a migration through it asked to back off */
	double stamp;		/* the tick it was last counted saturated */
};

struct task {
	unsigned int id, src, dst, prio;
	double start, deadline;	/* s; deadline absolute, 0: none */
	enum sim_phase phase;
	double chunks, cursor, ahead, behind;	/* chunks (fluid) */
	double final;		/* chunks left for mirroring */
	double vmm_left;	/* s */
	double sent;		/* wire bytes */
	u32 round;
	bool bulk;
	struct mig_progress progress;
	struct mig_dl dl;
	bool ask;		/* its controller asks others to back off */
	double rate;		/* bytes/s this tick */
	double guest;		/* guest bytes/s this tick (after the throttle) */
	double phase0;		/* the trace's phase, s */
	/* over the controller's period */
	double p_sent, p_writes, p_bytes, p_time;
	int state;
	unsigned int changes;	/* controller steps that changed a limit */
};

struct world {
	const struct sim_cfg *c;
	struct host *h;
	struct task *t;
	unsigned int lo, hi;	/* tasks [lo, hi) may be under way */
	uint64_t rng;
	double now;
	struct sim_result *r;
};

/* splitmix64: seeded, so runs repeat. */
static uint64_t rnd(struct world *w)
{
	uint64_t z = (w->rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static double uniform(struct world *w)
{
	return (rnd(w) >> 11) * (1.0 / 9007199254740992.0);
}

static double gauss(struct world *w, double mean, double sd)
{
	double u = uniform(w), v = uniform(w);

	return mean + sd * sqrt(-2 * log(u + 1e-300)) * cos(2 * M_PI * v);
}

static double clampd(double v, double lo, double hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

void sim_defaults(struct sim_cfg *c)
{
	memset(c, 0, sizeof(*c));
	c->hosts = 500;
	c->tasks = 1000;
	c->link = 10e9 / 8;
	c->disk = 50e9;
	c->write = 30e6;
	c->write_size = 64 * 1024;
	c->chunk = 64 * 1024;
	c->wire_ratio = 1.0;
	c->arrival = 100;
	c->vmm = 20;
	c->period = 60;
	c->bg_period = 60;
	c->load = 0.10;
	c->hot_periods = 5;
	c->bg_mean = 0.3;
	c->bg_hot = 0.7;
	c->bg_sd = 0.1;
	c->trace = TRACE_CONSTANT;
	c->seed = 1;
	c->plot_task = -1;
}

/* The guest's write rate now, bytes/s, before any throttle. */
static double trace_rate(const struct world *w, const struct task *t)
{
	double x = w->now + t->phase0;

	switch (w->c->trace) {
	case TRACE_BURSTY:	/* 10 s at 5x the mean every 50 s, idle between */
		return fmod(x, 50) < 10 ? 5 * w->c->write : 0;
	case TRACE_DIURNAL:	/* a day's sine around the mean */
		return w->c->write * (1 + 0.8 * sin(2 * M_PI * x / 86400));
	default:
		return w->c->write;
	}
}

/* Each bg_period: the VMs' traffic, and the hot spots (SLA shortages). */
static void background(struct world *w)
{
	const struct sim_cfg *c = w->c;
	unsigned int i;
	double u, g;

	for (i = 0; i < c->hosts; i++) {
		struct host *h = &w->h[i];

		if (h->hot) {
			w->r->violation_periods++;
			/* Migrations took the whole link: the shortage goes on. */
			if (!--h->hot && h->saturated) {
				h->hot = 1;
				w->r->extended++;
			}
		}
		/* The same draws whatever the policy: the runs compare alike. */
		u = uniform(w);
		g = gauss(w, 0, c->bg_sd);
		if (!h->hot && u < c->load)
			h->hot = c->hot_periods;
		h->bg = clampd((h->hot ? c->bg_hot : c->bg_mean) + g, 0, 0.98);
		h->saturated = false;
	}
}

static bool active(const struct task *t)
{
	return t->phase == PH_PRECOPY || t->phase == PH_MIRROR;
}

/* The controller's period for task @t (Alg. 1 and 2 through mig_dl_step). */
static void control(struct world *w, struct task *t)
{
	const struct sim_cfg *c = w->c;
	struct mig_dl_decision d;
	struct mig_dl_in in;
	double wpc = c->chunk * c->wire_ratio;

	memset(&in, 0, sizeof(in));
	in.now_ms = (u64)(w->now * 1000);
	in.push.chunks = (u64)t->chunks;
	in.push.chunk_bytes = (u64)c->chunk;
	in.push.cursor = (u64)t->cursor;
	in.push.ahead = (u64)t->ahead;
	in.push.behind = (u64)t->behind;
	in.push.bulk = t->bulk;
	in.push.wire_per_chunk = (u64)wpc;
	in.push.wire_rate = t->p_time > 0 ? (u64)(t->p_sent / t->p_time) : 0;
	in.push.write_rate = t->p_time > 0 ? (u64)(t->p_writes / t->p_time) : 0;
	in.push.round = t->round;
	in.push.sent = (u64)t->sent;
	in.push.lim.converge_ms = MIG_CONVERGE_MS;
	in.push.progress = t->progress;
	in.write_bytes = t->p_time > 0 ? (u64)(t->p_bytes / t->p_time) : 0;
	/* shouldBackOff: a hot link on the path, or a sharer in danger. */
	in.backoff = w->h[t->src].hot || w->h[t->dst].hot ||
		     w->h[t->src].ask || w->h[t->dst].ask;
	if (t->phase != PH_PRECOPY)
		in.push.wire_rate = 0;	/* mirroring: the model has no say */
	if (mig_dl_step(&t->dl, &in, &d)) {
		w->r->decisions++;
		if (++t->changes > w->r->busiest_changes) {
			w->r->busiest_changes = t->changes;
			w->r->busiest = t->id;
		}
	}
	t->ask = d.ask_backoff;
	t->state = d.state;
	t->p_sent = t->p_writes = t->p_bytes = t->p_time = 0;
}

/* Share the links among the active migrations: equal shares, capped. */
static void allocate(struct world *w)
{
	const struct sim_cfg *c = w->c;
	unsigned int i;

	for (i = w->lo; i < w->hi; i++) {
		w->h[w->t[i].src].nup = w->h[w->t[i].src].ndown = 0;
		w->h[w->t[i].src].up = w->h[w->t[i].src].down = 0;
		w->h[w->t[i].dst].nup = w->h[w->t[i].dst].ndown = 0;
		w->h[w->t[i].dst].up = w->h[w->t[i].dst].down = 0;
	}
	for (i = w->lo; i < w->hi; i++) {
		if (!active(&w->t[i]))
			continue;
		w->h[w->t[i].src].nup++;
		w->h[w->t[i].dst].ndown++;
	}
	for (i = w->lo; i < w->hi; i++) {
		struct task *t = &w->t[i];
		struct host *s = &w->h[t->src], *d = &w->h[t->dst];
		double up, down, r;

		if (!active(t))
			continue;
		up = c->link * (1 - s->bg) / s->nup;
		down = c->link * (1 - d->bg) / d->ndown;
		r = up < down ? up : down;
		if (t->dl.rate && t->dl.rate < r)
			r = t->dl.rate;
		t->rate = r;
		s->up += r;
		d->down += r;
	}
	/* What a capped one leaves goes to the others on the link. */
	for (i = w->lo; i < w->hi; i++) {
		struct task *t = &w->t[i];
		struct host *s = &w->h[t->src], *d = &w->h[t->dst];
		double spare, more;

		if (!active(t) || t->dl.rate)
			continue;
		spare = c->link * (1 - s->bg) - s->up;
		more = c->link * (1 - d->bg) - d->down;
		spare = spare < more ? spare : more;
		if (spare > 1) {
			t->rate += spare;
			s->up += spare;
			d->down += spare;
		}
	}
}

/* One tick of task @t's push. */
static void advance(struct world *w, struct task *t)
{
	const struct sim_cfg *c = w->c;
	double wpc = c->chunk * c->wire_ratio, guest, writes, hit, clean, n, done;
	struct mig_round_end e;
	struct mig_limits lim = { .converge_ms = MIG_CONVERGE_MS };
	u8 why;

	guest = trace_rate(w, t);
	if (t->dl.throttle && guest > t->dl.throttle)
		guest = t->dl.throttle;
	t->guest = guest;
	writes = guest / c->write_size * TICK;
	t->p_writes += writes;
	t->p_bytes += guest * TICK;
	t->p_time += TICK;
	n = t->rate * TICK / wpc;	/* chunks the link carries this tick */
	t->sent += t->rate * TICK;
	t->p_sent += t->rate * TICK;
	if (t->phase == PH_MIRROR) {
		/* The guest's writes go synchronously; the rest gets the remainder. */
		done = (t->rate - guest) * TICK / wpc;
		t->final -= done > 0 ? done : 0;
		if (t->final <= 0) {
			t->phase = PH_VMM;
			t->vmm_left = c->vmm;
		}
		return;
	}
	/* The guest dirties clean chunks on both sides of the cursor. */
	hit = 1 - exp(-writes / t->chunks);
	clean = t->chunks - t->cursor - t->ahead;
	t->ahead += (clean > 0 ? clean : 0) * hit;
	clean = t->cursor - t->behind;
	t->behind += (clean > 0 ? clean : 0) * hit;
	/* The cursor sweeps ahead: the dirty chunks there are spread evenly. */
	while (n > 0 && t->phase == PH_PRECOPY) {
		if (n < t->ahead) {
			t->cursor += (t->chunks - t->cursor) * n / t->ahead;
			t->ahead -= n;
			break;
		}
		n -= t->ahead;
		t->ahead = 0;
		t->cursor = t->chunks;
		/* The round's end: the module's stop rule. */
		t->round++;
		memset(&e, 0, sizeof(e));
		e.bulk = t->bulk;
		e.round = t->round;
		e.dirty = (u64)t->behind;
		e.chunk_bytes = (u64)c->chunk;
		e.sent = (u64)t->sent;
		e.wire_rate = (u64)t->rate;
		e.wire_per_chunk = (u64)wpc;
		if (mig_precopy_next(&e, &lim, &t->progress, &why) == MIG_PRECOPY_CONVERGED) {
			/*
			 * The controller's part ends with pre-copy: its rate
			 * limit goes, so that mirroring keeps up with the
			 * guest (the throttle stays until the handoff).
			 */
			t->phase = PH_MIRROR;
			t->final = t->behind;
			t->dl.rate = 0;
			break;
		}
		t->bulk = false;
		t->ahead = t->behind;
		t->behind = 0;
		t->cursor = 0;
		if (t->ahead < 1e-9)
			t->ahead = 1e-9;
	}
}

/* Count host @h saturated this tick, once. */
static void saturation(struct world *w, struct host *h)
{
	double cap = SAT * w->c->link;

	if (h->stamp == w->now + 1 ||
	    (h->bg * w->c->link + h->up < cap && h->bg * w->c->link + h->down < cap))
		return;
	h->stamp = w->now + 1;
	h->saturated = true;
	w->r->saturated += TICK;
	if (h->hot)
		w->r->hot_saturated += TICK;
}

static void start(struct world *w, struct task *t)
{
	const struct sim_cfg *c = w->c;
	struct mig_dl_params p = {
		.vmm_ms = (u64)(c->vmm * 1000),
		.net_step = (u64)(c->link / 20),
		.quiet_periods = 5,
	};

	t->phase = PH_PRECOPY;
	t->chunks = ceil(c->disk / c->chunk);
	t->ahead = t->chunks;
	t->bulk = true;
	if (c->deadline > 0) {
		t->deadline = t->start + c->deadline;
		p.deadline_ms = (u64)(t->deadline * 1000);
		/* Priority 0-2: the paper's thresholds 200/250 ... 400/450 %. */
		if (c->prio_mix) {
			p.danger_pct = 200 + 100 * t->prio;
			p.warning_pct = p.danger_pct + 50;
		}
	}
	mig_dl_init(&t->dl, &p);
}

static void record(struct world *w, const struct task *t)
{
	struct sim_result *r = w->r;
	struct sim_sample *s;

	if ((int)t->id != w->c->plot_task || t->phase == PH_WAIT || t->phase == PH_DONE)
		return;
	s = realloc(r->samples, (r->nsamples + 1) * sizeof(*s));
	if (!s)
		return;
	r->samples = s;
	s += r->nsamples++;
	s->t = w->now - t->start;
	s->rate = t->rate;
	s->limit = t->dl.rate;
	s->dirty = (t->phase == PH_MIRROR ? t->final : t->ahead + t->behind) * w->c->chunk;
	s->throttle = t->dl.throttle;
	s->guest = t->guest;
	s->state = t->state;
}

int sim_run(const struct sim_cfg *c, struct sim_result *r)
{
	struct world w = { .c = c, .r = r };
	unsigned int i, left = c->tasks;
	double next_bg = 0, next_ctl = 0, sum = 0, end;

	memset(r, 0, sizeof(*r));
	w.rng = c->seed;
	w.h = calloc(c->hosts, sizeof(*w.h));
	w.t = calloc(c->tasks, sizeof(*w.t));
	if (!w.h || !w.t || c->hosts < 2) {
		free(w.h);
		free(w.t);
		return -1;
	}
	for (i = 0; i < c->tasks; i++) {
		struct task *t = &w.t[i];

		t->id = i;
		t->start = i * c->arrival;
		t->src = rnd(&w) % c->hosts;
		t->dst = (t->src + 1 + rnd(&w) % (c->hosts - 1)) % c->hosts;
		t->prio = rnd(&w) % 3;
		t->phase0 = uniform(&w) * 86400;
	}
	/* However it goes, it ends: a day past the last migration's start. */
	end = c->max_time ? c->max_time : c->tasks * c->arrival + 86400;
	for (w.now = 0; left && w.now < end; w.now += TICK) {
		if (w.now >= next_bg) {
			background(&w);
			next_bg += c->bg_period;
		}
		while (w.hi < c->tasks && w.t[w.hi].start <= w.now)
			start(&w, &w.t[w.hi++]);
		while (w.lo < w.hi && w.t[w.lo].phase == PH_DONE)
			w.lo++;
		if (c->deadline > 0 && w.now >= next_ctl) {
			for (i = w.lo; i < w.hi; i++)
				w.h[w.t[i].src].ask = w.h[w.t[i].dst].ask = false;
			for (i = w.lo; i < w.hi; i++)
				if (active(&w.t[i]) && w.t[i].ask)
					w.h[w.t[i].src].ask = w.h[w.t[i].dst].ask = true;
			for (i = w.lo; i < w.hi; i++)
				if (w.t[i].phase == PH_PRECOPY)
					control(&w, &w.t[i]);
			next_ctl += c->period;
		}
		allocate(&w);
		for (i = w.lo; i < w.hi; i++) {
			if (active(&w.t[i])) {
				saturation(&w, &w.h[w.t[i].src]);
				saturation(&w, &w.h[w.t[i].dst]);
			}
		}
		for (i = w.lo; i < w.hi; i++) {
			struct task *t = &w.t[i];

			record(&w, t);
			if (active(t)) {
				advance(&w, t);
			} else if (t->phase == PH_VMM) {
				t->vmm_left -= TICK;
				if (t->vmm_left > 0)
					continue;
				t->phase = PH_DONE;
				left--;
				r->done++;
				sum += w.now + TICK - t->start;
				if (w.now + TICK - t->start > r->max_time)
					r->max_time = w.now + TICK - t->start;
				if (c->deadline > 0 ? w.now + TICK > t->deadline :
				    c->judge > 0 && w.now + TICK - t->start > c->judge)
					r->missed++;
				r->wire += t->sent / c->disk;
			}
		}
	}
	if (r->done) {
		r->mean_time = sum / r->done;
		r->wire /= r->done;
	}
	free(w.h);
	free(w.t);
	return 0;
}
