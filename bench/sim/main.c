// SPDX-License-Identifier: GPL-2.0
/*
 * make sim: the simulator's command line (sim.h).
 *
 *   sim --table                 the paper's experiment: no scheduling vs the
 *                               brokers with deadlines 200, 350, 800 s, at
 *                               hot-spot loads 5-25 %
 *   sim [options]               one run, its figures; exit 3 when a migration
 *                               did not end in the time simulated
 *   sim ... --plot FILE.svg     and the course of one migration (--task N,
 *                               default the one the controller changed most)
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sim.h"

static const struct option opts[] = {
	{ "table", no_argument, NULL, 'T' },
	{ "hosts", required_argument, NULL, 'n' },
	{ "tasks", required_argument, NULL, 'm' },
	{ "link", required_argument, NULL, 'l' },
	{ "disk", required_argument, NULL, 'd' },
	{ "write", required_argument, NULL, 'w' },
	{ "write-size", required_argument, NULL, 'W' },
	{ "arrival", required_argument, NULL, 'a' },
	{ "deadline", required_argument, NULL, 'D' },
	{ "period", required_argument, NULL, 'p' },
	{ "load", required_argument, NULL, 'L' },
	{ "trace", required_argument, NULL, 't' },
	{ "prio-mix", no_argument, NULL, 'P' },
	{ "seed", required_argument, NULL, 's' },
	{ "time", required_argument, NULL, 'x' },
	{ "plot", required_argument, NULL, 'o' },
	{ "task", required_argument, NULL, 'k' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: sim [--table] [--hosts N] [--tasks N] [--link GBIT/S] [--disk GB]\n"
		"           [--write MB/S] [--write-size KIB] [--arrival S] [--deadline S]\n"
		"           [--period S] [--load SHARE] [--trace constant|bursty|diurnal]\n"
		"           [--prio-mix] [--seed N] [--time S] [--plot FILE.svg [--task N]]\n"
		"--deadline 0 (the default) runs without the controller (\"no scheduling\").\n");
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double number(const char *opt, const char *s)
{
	char *end;
	double v = strtod(s, &end);

	if (end == s || *end || v < 0) {
		fprintf(stderr, "sim: --%s %s: give a number >= 0\n", opt, s);
		exit(2);
	}
	return v;
}

static void print_row(const char *load, const char *policy, const struct sim_result *r,
		      double secs)
{
	printf("%-5s %-14s %9.0f %9.0f %10.0f %10.0f %6u/%-5u %7.0f %7.0f %6.2f %6.2f\n",
	       load, policy, r->violation_periods, r->extended, r->hot_saturated, r->saturated,
	       r->missed, r->done, r->mean_time, r->max_time, r->wire, secs);
}

static void header(void)
{
	printf("%-5s %-14s %9s %9s %10s %10s %12s %7s %7s %6s %6s\n", "load", "policy",
	       "SLA-viol", "extended", "hot-sat s", "sat s", "missed/done", "mean s",
	       "max s", "wire/x", "run s");
}

/* The paper's Fig. 4 as a table: periods of SLA violation per load. */
static int table(struct sim_cfg *c)
{
	static const double loads[] = { 0.05, 0.10, 0.15, 0.20, 0.25 };
	static const double deadlines[] = { 0, 200, 350, 800 };
	struct sim_result r;
	double t0 = now_s(), t;
	char load[16], policy[32];
	unsigned int i, j;

	printf("# %u hosts, %.0f Gbit/s links, %u migrations one every %.0f s, %.0f GB disks\n"
	       "# written at %.0f MB/s (%s), controller period %.0f s, hot spots %u x %.0f s\n",
	       c->hosts, c->link * 8 / 1e9, c->tasks, c->arrival, c->disk / 1e9,
	       c->write / 1e6, c->trace == TRACE_BURSTY ? "bursty" :
	       c->trace == TRACE_DIURNAL ? "diurnal" : "constant", c->period,
	       c->hot_periods, c->bg_period);
	header();
	for (i = 0; i < sizeof(loads) / sizeof(loads[0]); i++) {
		for (j = 0; j < sizeof(deadlines) / sizeof(deadlines[0]); j++) {
			c->load = loads[i];
			c->deadline = deadlines[j];
			c->judge = deadlines[1];
			t = now_s();
			if (sim_run(c, &r)) {
				fprintf(stderr, "sim: out of memory or fewer than 2 hosts\n");
				return 1;
			}
			snprintf(load, sizeof(load), "%.0f%%", loads[i] * 100);
			if (deadlines[j] > 0)
				snprintf(policy, sizeof(policy), "broker %.0fs", deadlines[j]);
			else
				snprintf(policy, sizeof(policy), "no scheduling");
			print_row(load, policy, &r, now_s() - t);
			free(r.samples);
		}
	}
	printf("# SLA-viol: host-periods of shortage; extended: of them, added because\n"
	       "# migrations saturated the link; hot-sat/sat s: host-seconds of saturated\n"
	       "# links, hot or any; no scheduling's missed: over %.0f s\n", deadlines[1]);
	printf("# %.1f s in all\n", now_s() - t0);
	return 0;
}

int main(int argc, char **argv)
{
	struct sim_cfg c;
	struct sim_result r;
	const char *plot = NULL;
	int o, task = -1, want_table = 0;
	char title[128], load[16];
	double t;

	setvbuf(stdout, NULL, _IOLBF, 0);
	sim_defaults(&c);
	while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (o) {
		case 'T': want_table = 1; break;
		case 'n': c.hosts = (unsigned int)number("hosts", optarg); break;
		case 'm': c.tasks = (unsigned int)number("tasks", optarg); break;
		case 'l': c.link = number("link", optarg) * 1e9 / 8; break;
		case 'd': c.disk = number("disk", optarg) * 1e9; break;
		case 'w': c.write = number("write", optarg) * 1e6; break;
		case 'W': c.write_size = number("write-size", optarg) * 1024; break;
		case 'a': c.arrival = number("arrival", optarg); break;
		case 'D': c.deadline = number("deadline", optarg); break;
		case 'p': c.period = number("period", optarg); break;
		case 'L': c.load = number("load", optarg); break;
		case 'P': c.prio_mix = 1; break;
		case 's': c.seed = (uint64_t)number("seed", optarg); break;
		case 'x': c.max_time = number("time", optarg); break;
		case 'o': plot = optarg; break;
		case 'k': task = (int)number("task", optarg); break;
		case 't':
			if (!strcmp(optarg, "constant")) {
				c.trace = TRACE_CONSTANT;
			} else if (!strcmp(optarg, "bursty")) {
				c.trace = TRACE_BURSTY;
			} else if (!strcmp(optarg, "diurnal")) {
				c.trace = TRACE_DIURNAL;
			} else {
				fprintf(stderr, "sim: --trace %s: give constant, bursty or diurnal\n",
					optarg);
				return 2;
			}
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc || c.hosts < 2 || !c.tasks || c.write_size < 1 || c.chunk < 1 ||
	    c.period < 1 || c.bg_period < 1 || c.link <= 0) {
		usage(stderr);
		return 2;
	}
	if (want_table)
		return table(&c);
	t = now_s();
	if (sim_run(&c, &r)) {
		fprintf(stderr, "sim: out of memory or fewer than 2 hosts\n");
		return 1;
	}
	header();
	snprintf(load, sizeof(load), "%.0f%%", c.load * 100);
	snprintf(title, sizeof(title), c.deadline > 0 ? "broker %.0fs" : "no scheduling",
		 c.deadline);
	print_row(load, title, &r, now_s() - t);
	if (r.done < c.tasks) {
		fprintf(stderr, "sim: %u of %u migrations did not end in the time simulated\n",
			c.tasks - r.done, c.tasks);
		free(r.samples);
		return 3;
	}
	if (!plot)
		return 0;
	/* The same run again (seeded), recording one task. */
	c.plot_task = task >= 0 ? task : (int)r.busiest;
	free(r.samples);
	if (sim_run(&c, &r)) {
		fprintf(stderr, "sim: out of memory\n");
		return 1;
	}
	snprintf(title, sizeof(title), "migration %d: %s, load %.0f %%", c.plot_task,
		 c.deadline > 0 ? "deadline" : "no scheduling", c.load * 100);
	if (c.deadline > 0)
		snprintf(title + strlen(title), sizeof(title) - strlen(title), ", %.0f s",
			 c.deadline);
	if (sim_plot(&r, plot, title)) {
		free(r.samples);
		return 1;
	}
	printf("# plot of migration %d (%zu samples): %s\n", c.plot_task, r.nsamples, plot);
	free(r.samples);
	return 0;
}
