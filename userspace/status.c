// SPDX-License-Identifier: GPL-2.0
/* status, watch and events: looking on. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "err.h"
#include "request.h"
#include "show.h"

struct collect {
	const struct opts *o;
	int found;
};

static int print_cb(const struct mdm_status *st, void *arg)
{
	struct collect *c = arg;

	if (c->o->dev_arg && strcmp(st->name, c->o->dev.name))
		return 0;
	if (c->o->json)
		mdm_show_status_json(stdout, st);
	else
		mdm_show_status(stdout, st);
	c->found++;
	return 0;
}

int cmd_status(struct opts *o)
{
	struct collect c = { .o = o };
	struct mdm_nl nl;
	int r = mdm_nl_open(&nl);

	if (r)
		return r;
	/* A dump, filtered here by name. */
	r = mdm_nl_request(&nl, mdm_nl_msg(&nl, DM_MIGRATE_CMD_GET, NULL, true),
			   print_cb, &c);
	mdm_nl_close(&nl);
	if (r == -EPERM) {
		mdm_err("status: permission denied: run as root (CAP_SYS_ADMIN), as for dmsetup");
		return MDM_EXIT_ENV;
	}
	if (r) {
		mdm_err("%s%sstatus failed: %s", o->dev_arg ? o->dev.name : "",
			o->dev_arg ? ": " : "", nl.ext_msg[0] ? nl.ext_msg : strerror(-r));
		return MDM_EXIT_FAILED;
	}
	if (o->dev_arg && !c.found) {
		mdm_err("%s: not a migrate device ('migrate-dm status' lists them)", o->dev_arg);
		return MDM_EXIT_NODEV;
	}
	if (!o->dev_arg && !c.found && !o->json)
		printf("no migrate devices\n");
	return 0;
}

/* Source phases in the order a push goes through them. */
static int phase_rank(int phase)
{
	switch (phase) {
	case DM_MIGRATE_MODE_BULK: return 1;
	case DM_MIGRATE_MODE_DIRTY: return 2;
	case DM_MIGRATE_MODE_CONVERGED: return 3;
	case DM_MIGRATE_MODE_MIRRORING: return 4;
	case DM_MIGRATE_MODE_HANDED_OFF: return 5;
	default: return 0;
	}
}

static volatile sig_atomic_t stop_now;

static void on_signal(int sig)
{
	(void)sig;
	stop_now = 1;
}

/*
 * Whether watch is done with a destination (1), must fail (< 0: an exit
 * code, after saying why) or goes on (0).  A destination is done once the
 * source handed off (it tracks then); it never reaches a source's phases.
 */
static int dest_watch_done(const struct opts *o, const struct mdm_status *st)
{
	if (st->role == DM_MIGRATE_ROLE_NONE) {
		mdm_err("%s: no receiver is listening on it; start one with 'migrate-dm receive %s --listen ADDR:PORT'",
			o->dev.name, o->dev.name);
		return -MDM_EXIT_FAILED;
	}
	if (o->until >= 0 && o->until != DM_MIGRATE_MODE_RECEIVING &&
	    o->until != DM_MIGRATE_MODE_TRACKING) {
		mdm_err("%s: a destination never reaches %s: use --until receiving or --until tracking (after the handoff)",
			o->dev.name, mdm_phase_name(o->until));
		return -MDM_EXIT_USAGE;
	}
	if (o->until >= 0)
		return st->phase == o->until;
	return st->phase == DM_MIGRATE_MODE_TRACKING;
}

int cmd_watch(struct opts *o)
{
	bool tty = isatty(STDOUT_FILENO);
	double t0 = now_s();
	struct mdm_status st;
	int last_phase = -1, width = 80, r, done;
	struct winsize ws;
	struct mdm_nl nl;

	if (tty && !ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) && ws.ws_col)
		width = ws.ws_col;
	r = mdm_nl_open(&nl);
	if (r)
		return r;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	while (!stop_now) {
		r = get_status(&nl, o, &st);
		if (r)
			break;
		if (tty && last_phase >= 0 && st.phase != last_phase)
			putchar('\n');	/* keep each phase's last bar on screen */
		last_phase = st.phase;
		mdm_show_line(stdout, &st, tty, width);
		if (mdm_is_dest(&st)) {
			done = dest_watch_done(o, &st);
			if (done) {
				if (tty && done < 0)
					putchar('\n');
				r = done < 0 ? -done : 0;
				break;
			}
		} else if (o->until == DM_MIGRATE_MODE_RECEIVING) {
			if (tty)
				putchar('\n');
			mdm_err("%s: only a destination receives: --until takes a source's phase here (bulk, dirty, converged, mirroring, handed_off, tracking)",
				o->dev.name);
			r = MDM_EXIT_USAGE;
			break;
		} else if (o->until >= 0) {
			if (st.phase == o->until ||
			    (phase_rank(o->until) && phase_rank(st.phase) > phase_rank(o->until)))
				break;
			if (st.phase == DM_MIGRATE_MODE_TRACKING &&
			    o->until != DM_MIGRATE_MODE_TRACKING) {
				if (tty)
					putchar('\n');
				mdm_err("%s: the push ended before %s (aborted?)%s%s", o->dev.name,
					mdm_phase_name(o->until), st.last_error[0] ? ": " : "",
					st.last_error);
				r = MDM_EXIT_FAILED;
				break;
			}
		} else if (st.phase == DM_MIGRATE_MODE_HANDED_OFF ||
			   (st.phase == DM_MIGRATE_MODE_TRACKING &&
			    st.role == DM_MIGRATE_ROLE_NONE)) {
			break;
		}
		if (o->timeout_s > 0 && now_s() - t0 >= o->timeout_s) {
			if (tty)
				putchar('\n');
			mdm_err("%s: timed out after %.0f s in phase %s", o->dev.name,
				o->timeout_s, mdm_phase_name(st.phase));
			r = MDM_EXIT_FAILED;
			break;
		}
		usleep((useconds_t)(o->interval_s * 1e6));
	}
	if (tty && !r)
		putchar('\n');
	mdm_nl_close(&nl);
	return r;
}

struct ev_filter {
	const struct opts *o;
	long seen;
};

static int event_cb(const struct mdm_status *ev, void *arg)
{
	struct ev_filter *f = arg;

	if (f->o->dev_arg && (ev->major != f->o->dev.major || ev->minor != f->o->dev.minor))
		return 0;
	mdm_show_event(stdout, ev, f->o->json);
	return f->o->count > 0 && ++f->seen >= f->o->count;
}

int cmd_events(struct opts *o)
{
	struct ev_filter f = { .o = o };
	struct mdm_nl nl;
	double t0 = now_s(), left;
	int r = mdm_nl_open_events(&nl);

	if (r)
		return r;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	while (!stop_now) {
		left = o->timeout_s > 0 ? o->timeout_s - (now_s() - t0) : -1;
		if (o->timeout_s > 0 && left <= 0)
			break;
		/* Wake up now and then to notice signals. */
		r = mdm_nl_events(&nl, left < 0 || left > 0.5 ? 500 : (int)(left * 1000),
				  event_cb, &f);
		if (r)
			break;
	}
	mdm_nl_close(&nl);
	if (r < 0) {
		mdm_err("%s%sevents: cannot read from the netlink socket: %s",
			o->dev_arg ? o->dev.name : "", o->dev_arg ? ": " : "", strerror(-r));
		return MDM_EXIT_FAILED;
	}
	return 0;
}
