// SPDX-License-Identifier: GPL-2.0
/*
 * A VM's disks, together: the checks before, one push each (sharing the
 * rate), their status and events, mirroring, abort and handoff (vm.h).
 * Each step is the single-device command's own code (push.c, handoff.c,
 * control.c) run on each disk.
 */
#include <errno.h>
#include <string.h>

#include "dmdev.h"
#include "err.h"
#include "request.h"
#include "show.h"
#include "vm.h"

/* The options of the single-device commands, for disk @i. */
static struct opts disk_opts(const struct vm_mig *m, int i)
{
	struct opts d = *m->o;

	d.dev = m->disks[i].dev;
	d.dev_arg = m->disks[i].name;
	d.to = m->disks[i].addr;
	d.no_wait = true;
	/* The rate is the budget of all the disks: each has its share. */
	if (GIVEN(m->o, O_RATE) && m->o->rate)
		d.rate = m->o->rate / (uint64_t)m->n ? m->o->rate / (uint64_t)m->n : 1;
	return d;
}

int vm_disks_check(struct vm_mig *m)
{
	struct mdm_status st;
	struct opts d;
	int i, r;

	for (i = 0; i < m->n; i++) {
		/* By the path the VM opens: its device number, not its basename. */
		r = mdm_dev_resolve(m->disks[i].path, &m->disks[i].dev);
		if (r)
			return r;
		d = disk_opts(m, i);
		r = get_status(&m->nl, &d, &st);
		if (r)
			return r;
		if (st.phase != DM_MIGRATE_MODE_TRACKING) {
			mdm_err("%s: disk %s: %s is %s, not tracking: a migration of it is under way ('migrate-dm status %s'; 'migrate-dm abort %s' stops it)",
				m->vm, m->disks[i].target, m->disks[i].name,
				mdm_phase_name(st.phase), m->disks[i].name, m->disks[i].name);
			return MDM_EXIT_FAILED;
		}
	}
	return 0;
}

int vm_disks_push(struct vm_mig *m)
{
	struct opts d;
	int i, r = 0;

	for (i = 0; i < m->n && !r; i++) {
		d = disk_opts(m, i);
		r = cmd_push(&d);
	}
	if (r) {
		/* Those started go back to tracking: nothing half-started. */
		while (--i > 0) {
			d = disk_opts(m, i - 1);
			simple_request(&d, DM_MIGRATE_CMD_ABORT, "abort", NULL);
		}
	}
	return r;
}

static int event_cb(const struct mdm_status *ev, void *arg)
{
	struct vm_mig *m = arg;
	int i;

	for (i = 0; i < m->n; i++) {
		if (ev->major != m->disks[i].dev.major || ev->minor != m->disks[i].dev.minor)
			continue;
		/* What retrying cannot fix: the peer refused the key or geometry. */
		if (ev->event == DM_MIGRATE_EV_ERROR &&
		    (ev->error_code == EACCES || ev->error_code == EINVAL)) {
			m->failed[i] = true;
			snprintf(m->why, sizeof(m->why), "the peer %s refused it: %s",
				 m->disks[i].addr, ev->last_error);
		}
	}
	return 0;
}

int vm_disks_poll(struct vm_mig *m, int ms)
{
	struct opts d;
	int i, r;

	r = mdm_nl_events(&m->ev, ms, event_cb, m);
	if (r < 0) {
		mdm_err("%s: cannot read dm-migrate events: %s", m->vm, strerror(-r));
		return MDM_EXIT_FAILED;
	}
	for (i = 0; i < m->n; i++) {
		d = disk_opts(m, i);
		r = get_status(&m->nl, &d, &m->st[i]);
		if (r)
			return r;
		/* Back to tracking by itself: the engine gave up (see status). */
		if (m->st[i].phase == DM_MIGRATE_MODE_TRACKING && !m->failed[i]) {
			m->failed[i] = true;
			snprintf(m->why, sizeof(m->why), "its push stopped: %s",
				 m->st[i].last_error[0] ? m->st[i].last_error : "aborted");
		}
		if (m->failed[i]) {
			if (!m->said)
				mdm_err("%s: disk %s (%s): %s", m->vm, m->disks[i].target,
					m->disks[i].name, m->why);
			m->said = true;
			return strstr(m->why, "refused") ? MDM_EXIT_PEER : MDM_EXIT_FAILED;
		}
	}
	return 0;
}

bool vm_disks_all(const struct vm_mig *m, int phase)
{
	int i, p;

	for (i = 0; i < m->n; i++) {
		p = m->st[i].phase;
		if (p != phase && !(phase == DM_MIGRATE_MODE_CONVERGED &&
				    p == DM_MIGRATE_MODE_MIRRORING))
			return false;
	}
	return true;
}

int vm_disks_unmirrored(const struct vm_mig *m)
{
	int i;

	for (i = 0; i < m->n; i++)
		if (m->st[i].phase != DM_MIGRATE_MODE_MIRRORING ||
		    m->st[i].conn != DM_MIGRATE_CONN_CONNECTED)
			return i;
	return -1;
}

int vm_disks_mirror(struct vm_mig *m)
{
	struct opts d;
	int i, r;

	for (i = 0; i < m->n; i++) {
		d = disk_opts(m, i);
		r = simple_request(&d, DM_MIGRATE_CMD_MIRROR, "mirror", NULL);
		if (r)
			return r;
	}
	return 0;
}

int vm_disks_abort(struct vm_mig *m)
{
	struct mdm_status st;
	struct opts d;
	int i, bad = 0;

	for (i = 0; i < m->n; i++) {
		d = disk_opts(m, i);
		if (!get_status(&m->nl, &d, &st) && st.phase == DM_MIGRATE_MODE_TRACKING)
			continue;
		if (simple_request(&d, DM_MIGRATE_CMD_ABORT, "abort", NULL))
			bad++;
	}
	return bad;
}

int vm_disks_handoff(struct vm_mig *m, int wait_s)
{
	bool begun[m->n];
	struct opts d;
	int i, bad = 0;

	/* Decide every handoff first: the confirmations then overlap. */
	for (i = 0; i < m->n; i++) {
		d = disk_opts(m, i);
		begun[i] = !handoff_begin(&d);
	}
	for (i = 0; i < m->n; i++) {
		d = disk_opts(m, i);
		if (!begun[i] || handoff_end(&d, wait_s, true))
			bad++;
		get_status(&m->nl, &d, &m->st[i]);
	}
	return bad;
}
