// SPDX-License-Identifier: GPL-2.0
/*
 * A VM migration as the operator sees it: one line per disk, one for the
 * disks together and one for RAM, redrawn in place on a terminal; plain
 * lines otherwise; with --json one event object per line
 * (docs/migrate-dm.8, "JSON events").
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <json-c/json.h>

#include "request.h"
#include "show.h"
#include "units.h"
#include "vm.h"

#define PLAIN_EVERY_S	5.0	/* a line per disk this often, off a tty */

double vm_elapsed(const struct vm_mig *m)
{
	return now_s() - m->t0;
}

static void emit(json_object *j)
{
	printf("%s\n", json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN));
	fflush(stdout);
	json_object_put(j);
}

static json_object *event(const struct vm_mig *m, const char *name)
{
	json_object *j = json_object_new_object();

	json_object_object_add(j, "event", json_object_new_string(name));
	json_object_object_add(j, "vm", json_object_new_string(m->vm));
	json_object_object_add(j, "t", json_object_new_double(vm_elapsed(m)));
	return j;
}

static void put_u64(json_object *j, const char *k, uint64_t v)
{
	json_object_object_add(j, k, json_object_new_uint64(v));
}

static json_object *ram_json(const struct vm_ram *r)
{
	json_object *j = json_object_new_object();

	put_u64(j, "memory_total", r->total);
	put_u64(j, "memory_processed", r->processed);
	put_u64(j, "memory_remaining", r->remaining);
	put_u64(j, "memory_bps", r->bps);
	put_u64(j, "memory_dirty_rate", r->dirty_rate);
	put_u64(j, "iteration", r->iteration);
	put_u64(j, "data_processed", r->data_processed);
	put_u64(j, "elapsed_ms", r->elapsed_ms);
	put_u64(j, "qemu_downtime_ms", r->downtime_ms);
	return j;
}

static json_object *disks_json(const struct vm_mig *m)
{
	json_object *a = json_object_new_array(), *d;
	int i;

	for (i = 0; i < m->n; i++) {
		d = mdm_status_json(&m->st[i]);
		json_object_object_add(d, "disk", json_object_new_string(m->disks[i].target));
		json_object_object_add(d, "progress",
				       json_object_new_double(mdm_progress(&m->st[i])));
		json_object_array_add(a, d);
	}
	return a;
}

/*
 * The disks together: the share of their chunks on the peer, their wire
 * rate, and the time until the last converges (each has its share of
 * --rate: the largest ETA; none while one has none, as the kernel gives
 * none before it knows).  The kernel's ETA goes by the wire: zero chunks
 * cost it nothing (kmod/ratectl.c, mig_eta_ms()).
 */
struct disks_total {
	double pct;
	uint64_t net_rate;
	bool has_eta;
	uint64_t eta_ms;
};

static void disks_total(const struct vm_mig *m, struct disks_total *t)
{
	uint64_t total = 0, on_peer = 0;
	int i;

	memset(t, 0, sizeof(*t));
	t->has_eta = true;
	for (i = 0; i < m->n; i++) {
		const struct mdm_status *st = &m->st[i];

		total += st->total;
		on_peer += st->total - (st->dirty < st->total ? st->dirty : st->total);
		t->net_rate += st->net_rate;
		if (!st->has_eta)
			t->has_eta = false;
		else if (st->eta_ms > t->eta_ms)
			t->eta_ms = st->eta_ms;
	}
	t->pct = total ? 100.0 * (double)on_peer / (double)total : 0;
	if (!t->has_eta)
		t->eta_ms = 0;
}

static void disks_line(const struct vm_mig *m, char *buf, size_t len)
{
	struct disks_total t;
	char a[32], b[32];

	disks_total(m, &t);
	snprintf(buf, len, "disks %5.1f%%  %s/s  ETA %s", t.pct,
		 mdm_fmt_size(t.net_rate, a, sizeof(a)),
		 t.has_eta ? mdm_fmt_duration(t.eta_ms, b, sizeof(b)) : "-");
}

static void ram_line(const struct vm_mig *m, char *buf, size_t len)
{
	char a[32], b[32], c[32];
	double pct;

	if (!m->ram.valid) {
		snprintf(buf, len, "RAM   %s", m->t_ram_start ? "starting" :
			 "waits until every disk converged");
		return;
	}
	pct = m->ram.total ? 100.0 * (double)m->ram.processed / (double)m->ram.total : 0;
	snprintf(buf, len, "RAM   %5.1f%%  iteration %llu  %s left of %s  %s/s", pct,
		 (unsigned long long)m->ram.iteration,
		 mdm_fmt_size(m->ram.remaining, a, sizeof(a)),
		 mdm_fmt_size(m->ram.total, b, sizeof(b)),
		 mdm_fmt_size(m->ram.bps, c, sizeof(c)));
}

void vm_show_clear(struct vm_mig *m)
{
	if (m->tty && m->drawn) {
		printf("\033[%dA\033[J", m->drawn);
		m->drawn = 0;
		fflush(stdout);
	}
}

void vm_show_progress(struct vm_mig *m, bool force)
{
	double t = vm_elapsed(m);
	struct winsize ws;
	char line[256];
	int i, width = 80;

	if (m->json) {
		json_object *j;

		if (!force && t - m->last_show < 1.0)
			return;
		struct disks_total dt;

		disks_total(m, &dt);
		j = event(m, "progress");
		json_object_object_add(j, "stage", json_object_new_string(m->stage));
		json_object_object_add(j, "disks", disks_json(m));
		json_object_object_add(j, "disks_eta_ms", dt.has_eta ?
				       json_object_new_uint64(dt.eta_ms) : NULL);
		json_object_object_add(j, "ram", m->ram.valid ? ram_json(&m->ram) : NULL);
		emit(j);
	} else if (m->tty) {
		if (!ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) && ws.ws_col > 40)
			width = ws.ws_col;
		vm_show_clear(m);
		for (i = 0; i < m->n; i++) {
			/* The device's own bar (it starts with \r), then the disk. */
			mdm_show_line(stdout, &m->st[i], true, width - 8);
			printf("  %s\n", m->disks[i].target);
		}
		disks_line(m, line, sizeof(line));
		printf("%s\n", line);
		ram_line(m, line, sizeof(line));
		printf("%s\n", line);
		m->drawn = m->n + 2;
		fflush(stdout);
	} else {
		if (!force && t - m->last_show < PLAIN_EVERY_S)
			return;
		for (i = 0; i < m->n; i++) {
			printf("%s: %s ", m->vm, m->disks[i].target);
			mdm_show_line(stdout, &m->st[i], false, 0);
		}
		if (!m->t_converged) {
			disks_line(m, line, sizeof(line));
			printf("%s: %s\n", m->vm, line);
		}
		if (m->ram.valid || m->t_ram_start) {
			ram_line(m, line, sizeof(line));
			printf("%s: %s\n", m->vm, line);
		}
		fflush(stdout);
	}
	m->last_show = t;
}

void vm_show_mark(struct vm_mig *m, const char *name, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (m->json) {
		json_object *j = event(m, name);

		json_object_object_add(j, "message", json_object_new_string(msg));
		emit(j);
		return;
	}
	vm_show_clear(m);
	printf("%s: %s\n", m->vm, msg);
	fflush(stdout);
}

/* Milliseconds between two milestones, or -1 when one is missing. */
static long ms_between(double a, double b)
{
	return a > 0 && b >= a ? (long)((b - a) * 1000 + 0.5) : -1;
}

static void put_ms(json_object *j, const char *k, long ms)
{
	json_object_object_add(j, k, ms < 0 ? NULL : json_object_new_int64(ms));
}

void vm_show_summary(struct vm_mig *m)
{
	long down = ms_between(m->t_suspended, m->t_resumed);
	long ram = ms_between(m->t_suspended, m->t_ram_done);
	long hand = ms_between(m->t_ram_done, m->t_handoff_done);
	long res = ms_between(m->t_handoff_done, m->t_resumed);
	char a[32], b[32], c[32];
	int i;

	if (m->json) {
		json_object *j = event(m, "done");

		put_ms(j, "downtime_ms", down);
		put_ms(j, "ram_final_ms", ram);
		put_ms(j, "handoff_ms", hand);
		put_ms(j, "resume_ms", res);
		put_ms(j, "total_ms", (long)(vm_elapsed(m) * 1000));
		json_object_object_add(j, "disks", disks_json(m));
		json_object_object_add(j, "ram", ram_json(&m->ram));
		emit(j);
		return;
	}
	vm_show_clear(m);
	if (down >= 0)
		printf("%s: downtime %ld ms (source suspended -> destination resumed): RAM final stage %ld ms, disk handoff %ld ms, resume %ld ms\n",
		       m->vm, down, ram, hand, res);
	else
		printf("%s: downtime unknown (libvirt sent no %s event); disk handoff %ld ms\n",
		       m->vm, m->t_suspended > 0 ? "resume" : "suspend", hand);
	for (i = 0; i < m->n; i++) {
		const struct mdm_status *st = &m->st[i];

		printf("%s: disk %s (%s): %s read, %s on the wire (%.1fx savings), %llu writes mirrored\n",
		       m->vm, m->disks[i].target, m->disks[i].name,
		       mdm_fmt_size(st->bytes_read, a, sizeof(a)),
		       mdm_fmt_size(st->bytes_wire, b, sizeof(b)),
		       st->bytes_wire ? (double)st->bytes_read / (double)st->bytes_wire : 1.0,
		       (unsigned long long)st->writes);
	}
	printf("%s: RAM: %s of %s sent in %llu iterations; %s on the wire; total %.1f s\n",
	       m->vm, mdm_fmt_size(m->ram.processed, a, sizeof(a)),
	       mdm_fmt_size(m->ram.total, b, sizeof(b)),
	       (unsigned long long)m->ram.iteration,
	       mdm_fmt_size(m->ram.data_processed, c, sizeof(c)), vm_elapsed(m));
	fflush(stdout);
}
