// SPDX-License-Identifier: GPL-2.0
/*
 * The course of one migration (sim.h): send rate, its limit, the guest's
 * writes and their throttle, and the dirty set, over time.  With gnuplot
 * (as bench/report.py uses it) when installed, else a small SVG of our
 * own.  The samples are also written next to the plot, as FILE.dat.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim.h"

#define MB	1e6

static int write_dat(const struct sim_result *r, const char *path)
{
	FILE *f = fopen(path, "w");
	size_t i;

	if (!f) {
		perror(path);
		return -1;
	}
	fprintf(f, "# t_s rate_MBps limit_MBps guest_MBps throttle_MBps dirty_MB state\n");
	for (i = 0; i < r->nsamples; i++) {
		const struct sim_sample *s = &r->samples[i];

		fprintf(f, "%.0f %.2f %.2f %.2f %.2f %.2f %d\n", s->t, s->rate / MB,
			s->limit / MB, s->guest / MB, s->throttle / MB, s->dirty / MB, s->state);
	}
	return fclose(f) ? -1 : 0;
}

static int gnuplot(const char *dat, const char *out, const char *title)
{
	FILE *p = popen("gnuplot", "w");

	if (!p)
		return -1;
	fprintf(p,
		"set terminal svg size 900,600 dynamic\n"
		"set output '%s'\n"
		"set multiplot layout 2,1 title '%s'\n"
		"set grid\n"
		"set ylabel 'MB/s'\n"
		"plot '%s' u 1:2 w l t 'send rate', '' u 1:($3 > 0 ? $3 : 1/0) w l t 'rate limit', "
		"'' u 1:4 w l t 'guest writes', '' u 1:($5 > 0 ? $5 : 1/0) w l t 'write throttle'\n"
		"set xlabel 'seconds since the migration started'\n"
		"set ylabel 'MB'\n"
		"plot '%s' u 1:6 w l t 'dirty set'\n"
		"unset multiplot\n", out, title, dat, dat);
	return pclose(p) ? -1 : 0;
}

/* A polyline of samples' field @off in the box (@x0, @y0, @w, @h). */
static void polyline(FILE *f, const struct sim_result *r, size_t off, double ymax,
		     double x0, double y0, double w, double h, const char *color)
{
	double tmax = r->samples[r->nsamples - 1].t;
	size_t i;

	fprintf(f, "<polyline fill='none' stroke='%s' points='", color);
	for (i = 0; i < r->nsamples; i++) {
		double v = *(const double *)((const char *)&r->samples[i] + off);

		fprintf(f, "%.1f,%.1f ", x0 + w * r->samples[i].t / (tmax ?: 1),
			y0 + h - h * v / (ymax ?: 1));
	}
	fprintf(f, "'/>\n");
}

static int own_svg(const struct sim_result *r, const char *out, const char *title)
{
	double rmax = 0, dmax = 0;
	FILE *f = fopen(out, "w");
	size_t i;

	if (!f) {
		perror(out);
		return -1;
	}
	for (i = 0; i < r->nsamples; i++) {
		const struct sim_sample *s = &r->samples[i];

		rmax = s->rate > rmax ? s->rate : rmax;
		rmax = s->limit > rmax ? s->limit : rmax;
		dmax = s->dirty > dmax ? s->dirty : dmax;
	}
	fprintf(f, "<svg xmlns='http://www.w3.org/2000/svg' width='900' height='600'>\n"
		"<rect width='900' height='600' fill='white'/>\n"
		"<text x='450' y='20' text-anchor='middle'>%s</text>\n"
		"<text x='60' y='45'>send rate (black), limit (red), guest writes (blue), "
		"throttle (green): 0 to %.0f MB/s</text>\n"
		"<text x='60' y='325'>dirty set: 0 to %.0f MB; %.0f s in all</text>\n",
		title, rmax / MB, dmax / MB, r->samples[r->nsamples - 1].t);
	polyline(f, r, offsetof(struct sim_sample, rate), rmax, 60, 50, 800, 240, "black");
	polyline(f, r, offsetof(struct sim_sample, limit), rmax, 60, 50, 800, 240, "red");
	polyline(f, r, offsetof(struct sim_sample, guest), rmax, 60, 50, 800, 240, "blue");
	polyline(f, r, offsetof(struct sim_sample, throttle), rmax, 60, 50, 800, 240, "green");
	polyline(f, r, offsetof(struct sim_sample, dirty), dmax, 60, 330, 800, 240, "black");
	fprintf(f, "</svg>\n");
	return fclose(f) ? -1 : 0;
}

int sim_plot(const struct sim_result *r, const char *path, const char *title)
{
	char dat[4096];

	if (!r->nsamples) {
		fprintf(stderr, "sim: nothing recorded for the plot: give --task a migration that runs\n");
		return -1;
	}
	snprintf(dat, sizeof(dat), "%s.dat", path);
	if (write_dat(r, dat))
		return -1;
	if (!access("/usr/bin/gnuplot", X_OK) && !gnuplot(dat, path, title))
		return 0;
	return own_svg(r, path, title);
}
