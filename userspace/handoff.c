// SPDX-License-Identifier: GPL-2.0
/*
 * mirror and handoff: the end of a migration.  handoff suspends, hands
 * off, resumes: afterwards local writes fail with EIO.
 */
#include <stdio.h>
#include <unistd.h>

#include "dmdev.h"
#include "err.h"
#include "request.h"
#include "show.h"

int cmd_mirror(struct opts *o)
{
	struct mdm_status st;
	struct mdm_nl nl;
	double t0;
	int r = simple_request(o, DM_MIGRATE_CMD_MIRROR, "mirror", NULL);

	if (r || o->no_wait)
		return r;
	r = mdm_nl_open(&nl);
	if (r)
		return r;
	for (t0 = now_s(); !(r = get_status(&nl, o, &st)); usleep(100000)) {
		if (st.phase == DM_MIGRATE_MODE_MIRRORING)
			break;
		if (now_s() - t0 > o->wait_s) {
			mdm_err("%s: not mirroring after %.0f s (phase %s): the peer has not caught up; wait longer with --wait S, or see 'migrate-dm status %s'",
				o->dev.name, o->wait_s, mdm_phase_name(st.phase), o->dev.name);
			r = MDM_EXIT_FAILED;
			break;
		}
	}
	mdm_nl_close(&nl);
	if (!r)
		printf("%s: mirroring writes to %s\n", o->dev.name, st.peer);
	return r;
}

static int phase_cb(const struct mdm_status *st, void *arg)
{
	*(int *)arg = st->phase;
	return 0;
}

/* DEV's phase, or -1 when it cannot be read. */
static int phase_on(struct mdm_nl *nl, struct opts *o)
{
	int phase = -1;

	mdm_nl_request(nl, mdm_nl_msg(nl, DM_MIGRATE_CMD_GET, &o->dev, false),
		       phase_cb, &phase);
	return phase;
}

static int dev_phase(struct opts *o)
{
	struct mdm_nl nl;
	int phase = -1;

	if (!mdm_nl_open(&nl))
		phase = phase_on(&nl, o);
	mdm_nl_close(&nl);
	return phase;
}

int handoff_begin(struct opts *o)
{
	int r = mdm_dev_suspend(&o->dev, true);

	if (r)
		return r;
	r = simple_request(o, DM_MIGRATE_CMD_HANDOFF, "handoff", NULL);
	/* Refused before it was decided: the device still owns it. */
	if (r && dev_phase(o) != DM_MIGRATE_MODE_HANDOFF)
		mdm_dev_suspend(&o->dev, false);
	return r;
}

static int any_event(const struct mdm_status *ev, void *arg)
{
	(void)ev;
	(void)arg;
	return 1;
}

/*
 * Wait for the peer's confirmation, which takes milliseconds: the phase
 * is read again at each event of the events group (joined first, so
 * none is missed), and anyway after 5 ms, then 10, 20... up to every
 * 100 ms: the events go to the namespace the push was started in, which
 * need not be ours.  (A poll every 100 ms from the start added up to
 * 100 ms to the VM's downtime.)
 */
int handoff_end(struct opts *o, int wait_s, bool resume)
{
	double t0 = now_s();
	struct mdm_nl nl, ev;
	int phase = -1, ms = 5;
	bool events = !mdm_nl_open_events(&ev);

	if (!mdm_nl_open(&nl)) {
		for (;;) {
			phase = phase_on(&nl, o);
			if (phase != DM_MIGRATE_MODE_HANDOFF || now_s() - t0 >= wait_s)
				break;
			if (!events || mdm_nl_events(&ev, ms, any_event, NULL) < 0)
				usleep(ms * 1000);
			ms = ms < 50 ? ms * 2 : 100;
		}
	}
	/* Also what a failed open left. */
	mdm_nl_close(&nl);
	mdm_nl_close(&ev);
	if (phase == DM_MIGRATE_MODE_HANDOFF) {
		mdm_err("%s: the peer has not confirmed the handoff after %d s; the device stays suspended and refuses writes while the engine keeps asking ('migrate-dm status %s'; 'abort --force' only if the peer certainly did not take over)",
			o->dev.name, wait_s, o->dev.name);
		return MDM_EXIT_FAILED;
	}
	if (phase != DM_MIGRATE_MODE_HANDED_OFF) {
		mdm_err("%s: the handoff did not complete (phase %s); see 'migrate-dm status %s'",
			o->dev.name, phase < 0 ? "unknown" : mdm_phase_name(phase),
			o->dev.name);
		mdm_dev_suspend(&o->dev, false);
		return MDM_EXIT_FAILED;
	}
	return resume ? mdm_dev_suspend(&o->dev, false) : 0;
}

#define HANDOFF_WAIT_S	60

/*
 * Suspend, decide the handoff (the kernel answers at once), then wait for
 * the peer's confirmation here: no kernel lock is held meanwhile.
 */
int cmd_handoff(struct opts *o)
{
	int r = handoff_begin(o);

	if (!r)
		r = handoff_end(o, HANDOFF_WAIT_S, false);
	if (r)
		return r;
	if (o->no_resume) {
		printf("%s: handed off; the device stays suspended\n", o->dev.name);
		return 0;
	}
	r = mdm_dev_suspend(&o->dev, false);
	printf("%s: handed off; the peer owns the volume, local writes now fail\n",
	       o->dev.name);
	return r;
}
