/* SPDX-License-Identifier: GPL-2.0 */
/*
 * make sim: a cluster of hosts whose links carry the VMs' own traffic and
 * migrations, driven by the module's deadline controller (kmod/deadline.c)
 * and pre-copy model (kmod/model.c), compiled here in userspace.
 *
 * The world is a fluid model stepped every tick (1 s): each host has a
 * full-duplex link; its VMs' traffic (the background) takes a share of it,
 * drawn from a Gaussian once a period, higher on a hot host (an SLA
 * shortage, paper 004, section V-B); migrations share what is left of the
 * source's uplink and the destination's downlink equally, each at most
 * its rate limit.  A migration's volume is a count of chunks: a cursor
 * sweeps it, the guest's random writes dirty clean chunks ahead of and
 * behind it (1 - e^-w of them for w writes per chunk), and the stop rule
 * is the module's (mig_precopy_next()); then mirroring drains the rest
 * beside the guest's writes, then the VMM's part (RAM, handoff) takes a
 * fixed time.  The controller, when on, runs once a period per migration.
 */
#ifndef DM_MIGRATE_SIM_H
#define DM_MIGRATE_SIM_H

#include <stdint.h>
#include <stdio.h>

#include "deadline.h"
#include "ratectl.h"

enum sim_trace { TRACE_CONSTANT, TRACE_BURSTY, TRACE_DIURNAL };
enum sim_phase { PH_WAIT, PH_PRECOPY, PH_MIRROR, PH_VMM, PH_DONE };

struct sim_cfg {
	unsigned int hosts, tasks;
	double link;		/* bytes/s each way */
	double disk;		/* bytes */
	double write;		/* guest bytes/s, the trace's mean */
	double write_size;	/* bytes per guest write */
	double chunk;		/* chunk bytes */
	double wire_ratio;	/* wire bytes per chunk byte */
	double arrival;		/* s between migrations */
	double deadline;	/* s; 0: no controller ("no scheduling") */
	double judge;		/* without one: count as missed past this, s */
	double vmm;		/* s */
	double period;		/* s, the controller's */
	double bg_period;	/* s, the background's and hot spots' */
	double load;		/* share of hosts turning hot each bg_period */
	unsigned int hot_periods;	/* a hot spot's length */
	double bg_mean, bg_hot, bg_sd;	/* background, share of the link */
	enum sim_trace trace;
	int prio_mix;		/* tasks get priorities 0-2 (thresholds) */
	uint64_t seed;
	int plot_task;		/* record this task's course; -1: none */
	double max_time;	/* s; 0: until every task is done */
};

/* One sample of the recorded task. */
struct sim_sample {
	double t, rate, limit, dirty, throttle, guest;
	int state;
};

struct sim_result {
	unsigned int done, missed;
	double mean_time, max_time;	/* s, migrations' */
	double violation_periods;	/* host-periods hot */
	double extended;		/* of them, added by saturated links */
	double hot_saturated;		/* host-seconds hot and saturated */
	double saturated;		/* host-seconds saturated */
	double wire;			/* wire bytes / disk bytes, mean */
	unsigned long decisions;	/* controller steps that changed a limit */
	unsigned int busiest;		/* the task with the most of them */
	unsigned int busiest_changes;
	struct sim_sample *samples;	/* the recorded task's */
	size_t nsamples;
};

void sim_defaults(struct sim_cfg *c);
int sim_run(const struct sim_cfg *c, struct sim_result *r);

/* Plots of a recorded task: gnuplot if present, else an SVG of our own. */
int sim_plot(const struct sim_result *r, const char *path, const char *title);

#endif /* DM_MIGRATE_SIM_H */
