// SPDX-License-Identifier: GPL-2.0
/* The plan of an evacuation: placement, times, order, runs (plan.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "plan.h"
#include "units.h"

/* The module's chunk when a VM's is not known: 128 sectors. */
#define PLAN_CHUNK_BYTES	(64 * 1024)

static const char *const order_names[] = {
	[PLAN_ONE_BY_ONE] = "one-by-one",
	[PLAN_ROUND_ROBIN] = "round-robin",
	[PLAN_AUTO] = "auto",
};

int plan_order_by_name(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(order_names) / sizeof(order_names[0]); i++)
		if (!strcmp(name, order_names[i]))
			return (int)i;
	return -1;
}

const char *plan_order_name(int order)
{
	if (order < 0 || (size_t)order >= sizeof(order_names) / sizeof(order_names[0]))
		return "unknown";
	return order_names[order];
}

/* Room left on @d for each resource. */
static struct plan_res room(const struct plan_dest *d)
{
	struct plan_res r = {
		.vcpus = d->free.vcpus > d->used.vcpus ? d->free.vcpus - d->used.vcpus : 0,
		.mem = d->free.mem > d->used.mem ? d->free.mem - d->used.mem : 0,
		.disk = d->free.disk > d->used.disk ? d->free.disk - d->used.disk : 0,
	};

	return r;
}

static bool fits(const struct plan_res *need, const struct plan_res *have)
{
	return need->vcpus <= have->vcpus && need->mem <= have->mem && need->disk <= have->disk;
}

/* "2 vCPUs, 4.0 GiB memory, 20.0 GiB disk" of @r. */
static void res_text(const struct plan_res *r, char *buf, size_t len)
{
	char m[32], d[32];

	snprintf(buf, len, "%llu vCPU%s, %s memory, %s disk", (unsigned long long)r->vcpus,
		 r->vcpus == 1 ? "" : "s", mdm_fmt_size(r->mem, m, sizeof(m)),
		 mdm_fmt_size(r->disk, d, sizeof(d)));
}

/* What @have lacks for @need: "1 vCPU, 2.0 GiB memory short". */
static void short_text(const struct plan_res *need, const struct plan_res *have,
		       char *buf, size_t len)
{
	char s[32];
	size_t k = 0;

	buf[0] = '\0';
	if (need->vcpus > have->vcpus)
		k += (size_t)snprintf(buf + k, len - k, "%llu vCPU%s",
				      (unsigned long long)(need->vcpus - have->vcpus),
				      need->vcpus - have->vcpus == 1 ? "" : "s");
	if (k < len && need->mem > have->mem)
		k += (size_t)snprintf(buf + k, len - k, "%s%s memory", k ? ", " : "",
				      mdm_fmt_size(need->mem - have->mem, s, sizeof(s)));
	if (k < len && need->disk > have->disk)
		k += (size_t)snprintf(buf + k, len - k, "%s%s disk", k ? ", " : "",
				      mdm_fmt_size(need->disk - have->disk, s, sizeof(s)));
	if (k < len)
		snprintf(buf + k, len - k, " short");
}

/* Append to @why (bounded; always NUL-terminated). */
static void add(char *why, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void add(char *why, size_t len, const char *fmt, ...)
{
	size_t k = strlen(why);
	va_list ap;

	if (k + 1 >= len)
		return;
	va_start(ap, fmt);
	vsnprintf(why + k, len - k, fmt, ap);
	va_end(ap);
}

/* A VM's size in the first-fit decreasing order: its largest share. */
static double share(const struct plan_res *r, const struct plan_res *total)
{
	double s = 0, x;

	if (total->vcpus) {
		x = (double)r->vcpus / (double)total->vcpus;
		s = x > s ? x : s;
	}
	if (total->mem) {
		x = (double)r->mem / (double)total->mem;
		s = x > s ? x : s;
	}
	if (total->disk) {
		x = (double)r->disk / (double)total->disk;
		s = x > s ? x : s;
	}
	return s;
}

struct ffd_key {
	int i;
	double share;
	const struct plan_vm *vm;
};

/* Larger first; equal shares: more memory, more disk, more vCPUs, given order. */
static int ffd_cmp(const void *a, const void *b)
{
	const struct ffd_key *x = a, *y = b;
	const struct plan_res *p = &x->vm->req, *q = &y->vm->req;

	if (x->share != y->share)
		return x->share > y->share ? -1 : 1;
	if (p->mem != q->mem)
		return p->mem > q->mem ? -1 : 1;
	if (p->disk != q->disk)
		return p->disk > q->disk ? -1 : 1;
	if (p->vcpus != q->vcpus)
		return p->vcpus > q->vcpus ? -1 : 1;
	return x->i - y->i;
}

int plan_place(struct plan_vm *vms, int n, struct plan_dest *dests, int nd,
	       char *why, size_t len)
{
	struct plan_res total = { 0 }, need = { 0 }, have;
	struct ffd_key *keys;
	char a[96], b[96];
	int i, j, bad = 0;

	if (len)
		why[0] = '\0';
	for (j = 0; j < nd; j++) {
		memset(&dests[j].used, 0, sizeof(dests[j].used));
		total.vcpus += dests[j].free.vcpus;
		total.mem += dests[j].free.mem;
		total.disk += dests[j].free.disk;
	}
	for (i = 0; i < n; i++) {
		need.vcpus += vms[i].req.vcpus;
		need.mem += vms[i].req.mem;
		need.disk += vms[i].req.disk;
		vms[i].dest = -1;
		vms[i].rank = -1;
	}
	if (!fits(&need, &total)) {
		res_text(&need, a, sizeof(a));
		short_text(&need, &total, b, sizeof(b));
		add(why, len, "the VMs together need %s, more than the destinations have free together: %s\n",
		    a, b);
	}
	keys = calloc((size_t)n + 1, sizeof(*keys));
	if (!keys) {
		add(why, len, "out of memory\n");
		return n;
	}
	for (i = 0; i < n; i++) {
		keys[i].i = i;
		keys[i].vm = &vms[i];
		keys[i].share = share(&vms[i].req, &total);
	}
	qsort(keys, (size_t)n, sizeof(*keys), ffd_cmp);
	for (i = 0; i < n; i++) {
		struct plan_vm *v = &vms[keys[i].i];

		v->rank = i;
		for (j = 0; j < nd; j++) {
			have = room(&dests[j]);
			if (fits(&v->req, &have))
				break;
		}
		if (j < nd) {
			v->dest = j;
			dests[j].used.vcpus += v->req.vcpus;
			dests[j].used.mem += v->req.mem;
			dests[j].used.disk += v->req.disk;
			continue;
		}
		bad++;
		res_text(&v->req, a, sizeof(a));
		add(why, len, "%s (%s) fits on no destination", v->name, a);
		for (j = 0; j < nd; j++) {
			have = room(&dests[j]);
			short_text(&v->req, &have, b, sizeof(b));
			add(why, len, "%s %s: %s", j ? ";" : ":", dests[j].name, b);
		}
		add(why, len, "\n");
	}
	free(keys);
	return bad;
}

void plan_predict(struct plan_vm *vms, int n, uint64_t rate)
{
	struct mig_model_out out;
	int i;

	for (i = 0; i < n; i++) {
		struct plan_vm *v = &vms[i];
		u64 chunk = v->chunk_bytes ? v->chunk_bytes : PLAN_CHUNK_BYTES;
		/* A fresh push, as push_start() sets its limits. */
		struct mig_model_in in = {
			.chunks = (v->req.disk + chunk - 1) / chunk,
			.chunk_bytes = chunk,
			.bulk = true,
			.wire_per_chunk = chunk,
			.wire_rate = rate,
			.write_rate = v->dirty_rate / chunk,
			.lim = {
				.given = (u32)~MIG_LIM_CONVERGE,
				.converge_ms = MIG_CONVERGE_MS,
				.max_rounds = 30,
			},
		};

		in.ahead = in.chunks;
		v->predicted = false;
		v->predict_ms = 0;
		if (!rate)
			continue;
		if (in.chunks) {
			if (!mig_model_predict(&in, &out))
				continue;
			v->predict_ms = out.ms;
		}
		v->predict_ms += v->req.mem * 1000 / rate;
		v->predicted = true;
	}
}

/* Each VM's group: its source host and destination. */
static bool same_group(const struct plan_vm *a, const struct plan_vm *b)
{
	return a->source == b->source && a->dest == b->dest;
}

/* The placed VMs in placement order (rank): their indexes in @out. */
static int by_rank(const struct plan_vm *vms, int n, int *out)
{
	int i, k = 0, r;

	for (r = 0; r < n; r++)
		for (i = 0; i < n; i++)
			if (vms[i].rank == r && vms[i].dest >= 0)
				out[k++] = i;
	return k;
}

/* Groups in order of source host, then destination. */
static int group_cmp(const struct plan_vm *a, const struct plan_vm *b)
{
	if (a->source != b->source)
		return a->source - b->source;
	return a->dest - b->dest;
}

static const struct plan_vm *auto_vms;

/* Shortest predicted first (unknown last), then higher priority, then rank. */
static int auto_cmp(const void *a, const void *b)
{
	const struct plan_vm *x = &auto_vms[*(const int *)a], *y = &auto_vms[*(const int *)b];

	if (x->predicted != y->predicted)
		return x->predicted ? -1 : 1;
	if (x->predict_ms != y->predict_ms)
		return x->predict_ms < y->predict_ms ? -1 : 1;
	if (x->priority != y->priority)
		return x->priority > y->priority ? -1 : 1;
	return x->rank - y->rank;
}

int plan_order(struct plan_vm *vms, int n, int order, int *seq)
{
	int *ranked, *taken, count, k = 0, i, j, best;

	for (i = 0; i < n; i++)
		vms[i].seq = -1;
	ranked = calloc((size_t)n + 1, sizeof(*ranked));
	taken = calloc((size_t)n + 1, sizeof(*taken));
	if (!ranked || !taken) {
		free(ranked);
		free(taken);
		return 0;
	}
	count = by_rank(vms, n, ranked);
	if (order == PLAN_AUTO) {
		memcpy(seq, ranked, (size_t)count * sizeof(*seq));
		auto_vms = vms;
		qsort(seq, (size_t)count, sizeof(*seq), auto_cmp);
		k = count;
	} else if (order == PLAN_ONE_BY_ONE) {
		/* The first group left, all of it; then the next. */
		while (k < count) {
			best = -1;
			for (i = 0; i < count; i++)
				if (!taken[i] && (best < 0 ||
						  group_cmp(&vms[ranked[i]], &vms[ranked[best]]) < 0))
					best = i;
			for (i = 0; i < count; i++)
				if (!taken[i] && same_group(&vms[ranked[i]], &vms[ranked[best]])) {
					taken[i] = 1;
					seq[k++] = ranked[i];
				}
		}
	} else {
		/* A turn: the next VM of each group, groups in order. */
		while (k < count) {
			int last = -1;

			for (;;) {
				best = -1;
				for (i = 0; i < count; i++) {
					const struct plan_vm *v = &vms[ranked[i]];

					if (taken[i])
						continue;
					if (last >= 0 && group_cmp(v, &vms[last]) <= 0)
						continue;
					if (best < 0 || group_cmp(v, &vms[ranked[best]]) < 0)
						best = i;
				}
				if (best < 0)
					break;
				taken[best] = 1;
				last = ranked[best];
				seq[k++] = last;
			}
		}
	}
	for (j = 0; j < k; j++)
		vms[seq[j]].seq = j;
	free(ranked);
	free(taken);
	return k;
}

uint64_t plan_schedule(struct plan_vm *vms, const int *seq, int count, int parallel,
		       uint64_t deadline_ms)
{
	uint64_t *free_at, end = 0;
	int i, s, best;

	if (parallel < 1)
		parallel = 1;
	free_at = calloc((size_t)parallel, sizeof(*free_at));
	if (!free_at)
		return 0;
	for (i = 0; i < count; i++) {
		struct plan_vm *v = &vms[seq[i]];

		best = 0;
		for (s = 1; s < parallel; s++)
			if (free_at[s] < free_at[best])
				best = s;
		v->slot = best;
		v->start_ms = free_at[best];
		v->end_ms = v->start_ms + v->predict_ms;
		free_at[best] = v->end_ms;
		v->late = deadline_ms && v->end_ms > deadline_ms;
		if (v->end_ms > end)
			end = v->end_ms;
	}
	free(free_at);
	return end;
}
