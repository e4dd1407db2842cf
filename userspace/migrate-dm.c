// SPDX-License-Identifier: GPL-2.0
/*
 * migrate-dm: the operator's tool for dm-migrate (docs/migrate-dm.8).
 *
 * Talks to the module over its generic netlink family; uses libdevmapper
 * only to turn a device name into its number and to suspend and resume
 * around a handoff.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netdb.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "dmdev.h"
#include "err.h"
#include "nl.h"
#include "show.h"
#include "units.h"

#define MDM_VERSION "0.1.0"

/* Options of every command; each command accepts a subset. */
enum opt_id {
	O_JSON = 'j', O_HELP = 'h', O_TO = 256, O_LISTEN, O_KEY_FILE,
	O_KEY_DESC, O_RATE, O_THROTTLE, O_MAX_ROUNDS, O_CONVERGE_BELOW,
	O_MAX_BYTES, O_NO_WAIT, O_WAIT, O_INTERVAL, O_UNTIL, O_TIMEOUT,
	O_COUNT, O_NO_RESUME, O_FORCE,
};

static const struct option long_opts[] = {
	{ "json", no_argument, NULL, O_JSON },
	{ "help", no_argument, NULL, O_HELP },
	{ "to", required_argument, NULL, O_TO },
	{ "listen", required_argument, NULL, O_LISTEN },
	{ "key-file", required_argument, NULL, O_KEY_FILE },
	{ "key-desc", required_argument, NULL, O_KEY_DESC },
	{ "rate", required_argument, NULL, O_RATE },
	{ "throttle", required_argument, NULL, O_THROTTLE },
	{ "max-rounds", required_argument, NULL, O_MAX_ROUNDS },
	{ "converge-below", required_argument, NULL, O_CONVERGE_BELOW },
	{ "max-bytes", required_argument, NULL, O_MAX_BYTES },
	{ "no-wait", no_argument, NULL, O_NO_WAIT },
	{ "wait", required_argument, NULL, O_WAIT },
	{ "interval", required_argument, NULL, O_INTERVAL },
	{ "until", required_argument, NULL, O_UNTIL },
	{ "timeout", required_argument, NULL, O_TIMEOUT },
	{ "count", required_argument, NULL, O_COUNT },
	{ "no-resume", no_argument, NULL, O_NO_RESUME },
	{ "force", no_argument, NULL, O_FORCE },
	{ NULL, 0, NULL, 0 },
};

struct opts {
	const char *dev_arg;
	struct mdm_dev dev;
	bool json, no_wait, no_resume, force;
	const char *to, *listen, *key_file, *key_desc;
	uint64_t rate, throttle, converge_below, max_bytes;
	uint32_t max_rounds;
	uint32_t given;			/* 1 << (O_x - O_TO) for limits */
	double wait_s, interval_s, timeout_s;
	int until;			/* phase, or -1 */
	long count;
};

#define GIVEN(o, id)	((o)->given & (1U << ((id) - O_TO)))

struct cmd {
	const char *name;
	int (*fn)(struct opts *o);
	bool needs_dev;			/* DEV is required (else optional) */
	const char *usage;
	const char *help;
	const int opts[10];		/* accepted options, 0-terminated */
};

static int usage_error(const struct cmd *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int usage_error(const struct cmd *c, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s%s%s: ", mdm_prog, c ? " " : "", c ? c->name : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (%s%s%s --help)\n", mdm_prog, c ? " " : "", c ? c->name : "");
	return MDM_EXIT_USAGE;
}

/* Map a failed request to a message and an exit code. */
static int request_failed(struct mdm_nl *nl, const struct opts *o,
			  const char *what, int err)
{
	const char *why = nl->ext_msg[0] ? nl->ext_msg : strerror(-err);

	switch (-err) {
	case EPERM:
		mdm_err("%s: %s: permission denied: run as root (CAP_SYS_ADMIN)",
			o->dev.name, what);
		return MDM_EXIT_ENV;
	case ENODEV:
	case ENXIO:
		mdm_err("%s: %s: %s", o->dev.name, what, why);
		return MDM_EXIT_NODEV;
	default:
		mdm_err("%s: %s refused: %s", o->dev.name, what, why);
		return MDM_EXIT_FAILED;
	}
}

/* Send @cmd on the device with whatever @add puts in; ack only. */
static int simple_request(struct opts *o, uint8_t cmd, const char *what,
			  int (*add)(struct nl_msg *, struct opts *))
{
	struct mdm_nl nl;
	struct nl_msg *msg;
	int r = mdm_nl_open(&nl);

	if (r)
		return r;
	msg = mdm_nl_msg(&nl, cmd, &o->dev, false);
	if (msg && add && add(msg, o)) {
		nlmsg_free(msg);
		msg = NULL;
	}
	r = mdm_nl_request(&nl, msg, NULL, NULL);
	if (r)
		r = request_failed(&nl, o, what, r);
	mdm_nl_close(&nl);
	return r;
}

/* --- keys and addresses --------------------------------------------- */

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Hex text (openssl rand -hex 32 > F) or 16 to 64 raw bytes; @dev for messages. */
static int read_key_file(const char *dev, const char *path, uint8_t *key, size_t *len)
{
	unsigned char buf[4096];
	size_t n = 0, i, hexlen;
	struct stat sb;
	ssize_t got;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		mdm_err("%s: cannot read key file %s: %s", dev, path, strerror(errno));
		return MDM_EXIT_USAGE;
	}
	if (!fstat(fd, &sb) && (sb.st_mode & 077))
		fprintf(stderr, "%s: %s: warning: key file %s is readable by others (chmod 600 %s)\n",
			mdm_prog, dev, path, path);
	while (n < sizeof(buf) && (got = read(fd, buf + n, sizeof(buf) - n)) > 0)
		n += (size_t)got;
	close(fd);

	hexlen = n;
	while (hexlen && (buf[hexlen - 1] == '\n' || buf[hexlen - 1] == ' ' ||
			  buf[hexlen - 1] == '\r' || buf[hexlen - 1] == '\t'))
		hexlen--;
	for (i = 0; i < hexlen && hexval(buf[i]) >= 0; i++)
		;
	if (i == hexlen && hexlen % 2 == 0 && hexlen >= 2 * DM_MIGRATE_MIN_KEY_LEN &&
	    hexlen <= 2 * DM_MIGRATE_MAX_KEY_LEN) {
		for (i = 0; i < hexlen / 2; i++)
			key[i] = (uint8_t)(hexval(buf[2 * i]) << 4 | hexval(buf[2 * i + 1]));
		*len = hexlen / 2;
	} else if (n >= DM_MIGRATE_MIN_KEY_LEN && n <= DM_MIGRATE_MAX_KEY_LEN) {
		memcpy(key, buf, n);
		*len = n;
	} else {
		mdm_err("%s: key file %s: want 32 to 128 hex digits or 16 to 64 raw bytes (openssl rand -hex 32 > %s makes one)",
			dev, path, path);
		memset(buf, 0, sizeof(buf));
		return MDM_EXIT_USAGE;
	}
	memset(buf, 0, sizeof(buf));
	return 0;
}

/*
 * "host:port" or "[v6]:port" to the numeric form the kernel takes.
 * Returns 0; -1 when @in is malformed (the caller says so); -2 when the
 * host does not resolve (said here, for @dev).
 */
static int resolve_addr(const char *dev, const char *in, char *out, size_t len)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_NUMERICSERV };
	char host[256], num[INET6_ADDRSTRLEN];
	struct addrinfo *res;
	const char *port;
	int r;

	if (in[0] == '[') {
		const char *end = strchr(in, ']');

		if (!end || end[1] != ':' || (size_t)(end - in - 1) >= sizeof(host))
			return -1;
		snprintf(host, sizeof(host), "%.*s", (int)(end - in - 1), in + 1);
		port = end + 2;
	} else {
		const char *colon = strrchr(in, ':');

		if (!colon || (size_t)(colon - in) >= sizeof(host))
			return -1;
		snprintf(host, sizeof(host), "%.*s", (int)(colon - in), in);
		port = colon + 1;
	}
	if (!*port || !*host)
		return -1;
	r = getaddrinfo(host, port, &hints, &res);
	if (r) {
		mdm_err("%s: cannot resolve %s: %s; give a numeric address or a name this host resolves",
			dev, host, gai_strerror(r));
		return -2;
	}
	if (res->ai_family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)res->ai_addr;

		inet_ntop(AF_INET6, &s6->sin6_addr, num, sizeof(num));
		snprintf(out, len, "[%s]:%u", num, ntohs(s6->sin6_port));
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)res->ai_addr;

		inet_ntop(AF_INET, &s4->sin_addr, num, sizeof(num));
		snprintf(out, len, "%s:%u", num, ntohs(s4->sin_port));
	}
	freeaddrinfo(res);
	return 0;
}

/* --- status, watch, events ------------------------------------------ */

struct collect {
	const struct opts *o;
	struct mdm_status st;
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

static int grab_cb(const struct mdm_status *st, void *arg)
{
	struct collect *c = arg;

	c->st = *st;
	c->found++;
	return 0;
}

/* One GET of the device. */
static int get_status(struct mdm_nl *nl, struct opts *o, struct mdm_status *st)
{
	struct collect c = { .o = o };
	int r = mdm_nl_request(nl, mdm_nl_msg(nl, DM_MIGRATE_CMD_GET, &o->dev, false),
			       grab_cb, &c);

	if (r)
		return request_failed(nl, o, "status", r);
	*st = c.st;
	return 0;
}

static int cmd_status(struct opts *o)
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

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
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

static int cmd_watch(struct opts *o)
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

static int cmd_events(struct opts *o)
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

/* --- push, receive, limits and the one-word commands ------------------ */

static int put_limits(struct nl_msg *msg, struct opts *o)
{
	return (GIVEN(o, O_RATE) && nla_put_u64(msg, DM_MIGRATE_A_RATE_LIMIT, o->rate)) ||
	       (GIVEN(o, O_THROTTLE) &&
		nla_put_u64(msg, DM_MIGRATE_A_WRITE_THROTTLE, o->throttle)) ||
	       (GIVEN(o, O_CONVERGE_BELOW) &&
		nla_put_u64(msg, DM_MIGRATE_A_CONVERGE_BELOW, o->converge_below)) ||
	       (GIVEN(o, O_MAX_BYTES) && nla_put_u64(msg, DM_MIGRATE_A_MAX_BYTES, o->max_bytes)) ||
	       (GIVEN(o, O_MAX_ROUNDS) && nla_put_u32(msg, DM_MIGRATE_A_MAX_ROUNDS, o->max_rounds));
}

/* Address and key of push and receive. */
static int put_start(struct nl_msg *msg, struct opts *o)
{
	const char *where = o->to ? o->to : o->listen;
	uint8_t key[DM_MIGRATE_MAX_KEY_LEN];
	char addr[128];
	size_t len = 0;
	int r;

	r = resolve_addr(o->dev.name, where, addr, sizeof(addr));
	if (r) {
		if (r == -1)
			mdm_err("%s: invalid address '%s': want HOST:PORT or [IPV6]:PORT",
				o->dev.name, where);
		return -1;
	}
	if (o->key_file && read_key_file(o->dev.name, o->key_file, key, &len))
		return -1;
	r = nla_put_string(msg, DM_MIGRATE_A_PEER, addr) ||
	    (o->key_file && nla_put(msg, DM_MIGRATE_A_KEY, (int)len, key)) ||
	    (o->key_desc && nla_put_string(msg, DM_MIGRATE_A_KEY_DESC, o->key_desc)) ||
	    put_limits(msg, o);
	memset(key, 0, sizeof(key));
	return r;
}

struct conn_wait {
	const struct opts *o;
	int error;
	char text[128];
};

/* Until the push connected, or failed in a way retrying cannot fix. */
static int conn_cb(const struct mdm_status *ev, void *arg)
{
	struct conn_wait *w = arg;

	if (ev->major != w->o->dev.major || ev->minor != w->o->dev.minor)
		return 0;
	if (ev->event == DM_MIGRATE_EV_CONNECTED)
		return 1;
	if (ev->event == DM_MIGRATE_EV_ERROR) {
		w->error = (int)ev->error_code;
		snprintf(w->text, sizeof(w->text), "%s", ev->last_error);
		if (w->error == EACCES || w->error == EINVAL)
			return 2;
	}
	return 0;
}

static int cmd_start(struct opts *o, bool push)
{
	struct conn_wait w = { .o = o };
	struct mdm_nl nl, ev;
	struct nl_msg *msg;
	const char *what = push ? "push" : "receive";
	int r;

	if (!o->key_file == !o->key_desc) {
		mdm_err("%s: %s: give one of --key-file and --key-desc", o->dev.name, what);
		return MDM_EXIT_USAGE;
	}
	r = mdm_nl_open(&nl);
	if (r)
		return r;
	if (push && !o->no_wait) {
		r = mdm_nl_open_events(&ev);
		if (r) {
			mdm_nl_close(&nl);
			return r;
		}
	}
	msg = mdm_nl_msg(&nl, push ? DM_MIGRATE_CMD_PUSH : DM_MIGRATE_CMD_RECEIVE,
			 &o->dev, false);
	if (!msg || put_start(msg, o)) {
		nlmsg_free(msg);
		r = MDM_EXIT_USAGE;
		goto out;
	}
	r = mdm_nl_request(&nl, msg, NULL, NULL);
	if (r) {
		r = request_failed(&nl, o, what, r);
		goto out;
	}
	if (!push || o->no_wait)
		goto out;

	r = mdm_nl_events(&ev, (int)(o->wait_s * 1000), conn_cb, &w);
	if (r == 1) {
		printf("%s: pushing to %s\n", o->dev.name, o->to);
		r = 0;
	} else if (r == 2) {
		mdm_err("%s: the peer %s refused us: %s; push aborted. Use the same key, and volumes of the same size, on both hosts",
			o->dev.name, o->to, w.text);
		mdm_nl_request(&nl, mdm_nl_msg(&nl, DM_MIGRATE_CMD_ABORT, &o->dev, false),
			       NULL, NULL);
		r = MDM_EXIT_PEER;
	} else {
		mdm_err("%s: not connected to %s after %.0f s%s%s; the push keeps retrying (migrate-dm abort %s stops it)",
			o->dev.name, o->to, o->wait_s, w.text[0] ? ": " : "", w.text,
			o->dev.name);
		r = MDM_EXIT_PEER;
	}
out:
	if (push && !o->no_wait)
		mdm_nl_close(&ev);
	mdm_nl_close(&nl);
	return r;
}

static int cmd_push(struct opts *o)
{
	return cmd_start(o, true);
}

static int cmd_receive(struct opts *o)
{
	return cmd_start(o, false);
}

static int cmd_limit(struct opts *o)
{
	if (!o->given) {
		mdm_err("%s: limit: give at least one of --rate, --throttle, --converge-below, --max-rounds, --max-bytes",
			o->dev.name);
		return MDM_EXIT_USAGE;
	}
	return simple_request(o, DM_MIGRATE_CMD_SET_LIMITS, "limit", put_limits);
}

static int cmd_pause(struct opts *o)
{
	return simple_request(o, DM_MIGRATE_CMD_PAUSE, "pause", NULL);
}

static int cmd_resume(struct opts *o)
{
	return simple_request(o, DM_MIGRATE_CMD_RESUME, "resume", NULL);
}

static int put_force(struct nl_msg *msg, struct opts *o)
{
	return o->force ? nla_put_flag(msg, DM_MIGRATE_A_FORCE) : 0;
}

static int cmd_abort(struct opts *o)
{
	return simple_request(o, DM_MIGRATE_CMD_ABORT, "abort", put_force);
}

static int cmd_mirror(struct opts *o)
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

/* Suspend, hand off, resume: afterwards local writes fail with EIO. */
static int phase_cb(const struct mdm_status *st, void *arg)
{
	*(int *)arg = st->phase;
	return 0;
}

/* DEV's phase, or -1 when it cannot be read. */
static int dev_phase(struct opts *o)
{
	struct mdm_nl nl;
	int phase = -1;

	if (mdm_nl_open(&nl))
		return -1;
	mdm_nl_request(&nl, mdm_nl_msg(&nl, DM_MIGRATE_CMD_GET, &o->dev, false),
		       phase_cb, &phase);
	mdm_nl_close(&nl);
	return phase;
}

#define HANDOFF_WAIT_S	60

/*
 * Suspend, decide the handoff (the kernel answers at once), then wait for
 * the peer's confirmation here: no kernel lock is held meanwhile.
 */
static int cmd_handoff(struct opts *o)
{
	int r = mdm_dev_suspend(&o->dev, true), phase = -1, i;

	if (r)
		return r;
	r = simple_request(o, DM_MIGRATE_CMD_HANDOFF, "handoff", NULL);
	if (r) {
		/* Refused before it was decided: the device still owns it. */
		if (dev_phase(o) != DM_MIGRATE_MODE_HANDOFF)
			mdm_dev_suspend(&o->dev, false);
		return r;
	}
	for (i = 0; i < HANDOFF_WAIT_S * 10; i++) {
		phase = dev_phase(o);
		if (phase != DM_MIGRATE_MODE_HANDOFF)
			break;
		usleep(100000);
	}
	if (phase == DM_MIGRATE_MODE_HANDOFF) {
		mdm_err("%s: the peer has not confirmed the handoff after %d s; the device stays suspended and refuses writes while the engine keeps asking ('migrate-dm status %s'; 'abort --force' only if the peer certainly did not take over)",
			o->dev.name, HANDOFF_WAIT_S, o->dev.name);
		return MDM_EXIT_FAILED;
	}
	if (phase != DM_MIGRATE_MODE_HANDED_OFF) {
		mdm_err("%s: the handoff did not complete (phase %s); see 'migrate-dm status %s'",
			o->dev.name, phase < 0 ? "unknown" : mdm_phase_name(phase),
			o->dev.name);
		mdm_dev_suspend(&o->dev, false);
		return MDM_EXIT_FAILED;
	}
	if (o->no_resume) {
		printf("%s: handed off; the device stays suspended\n", o->dev.name);
		return 0;
	}
	r = mdm_dev_suspend(&o->dev, false);
	printf("%s: handed off; the peer owns the volume, local writes now fail\n",
	       o->dev.name);
	return r;
}

static const struct cmd cmds[] = {
	{ "status", cmd_status, false, "[DEV] [--json]",
	  "Show the state of DEV, or of every migrate device.",
	  { O_JSON } },
	{ "watch", cmd_watch, true,
	  "DEV [--interval S] [--until PHASE] [--timeout S]",
	  "Follow a migration: a progress bar per phase on a terminal, else a line per\n"
	  "interval.  Ends when the migration ends, or at --until PHASE.  On a\n"
	  "destination: the chunks received, until the source hands off.",
	  { O_INTERVAL, O_UNTIL, O_TIMEOUT } },
	{ "push", cmd_push, true,
	  "DEV --to HOST:PORT (--key-file F | --key-desc logon:DESC)\n"
	  "        [--rate R] [--throttle R] [--converge-below SIZE] [--max-rounds N]\n"
	  "        [--max-bytes SIZE] [--wait S | --no-wait]",
	  "Start pushing DEV to a receiver; waits until the peer accepted us.",
	  { O_TO, O_KEY_FILE, O_KEY_DESC, O_RATE, O_THROTTLE, O_CONVERGE_BELOW,
	    O_MAX_ROUNDS, O_MAX_BYTES, O_WAIT, O_NO_WAIT } },
	{ "receive", cmd_receive, true,
	  "DEV --listen ADDR:PORT (--key-file F | --key-desc logon:DESC)",
	  "Listen for a source on a device created with the 'receive' feature.",
	  { O_LISTEN, O_KEY_FILE, O_KEY_DESC } },
	{ "limit", cmd_limit, true,
	  "DEV [--rate R] [--throttle R] [--converge-below SIZE] [--max-rounds N]\n"
	  "        [--max-bytes SIZE]",
	  "Change the limits of a running push (--rate none lifts the rate limit).",
	  { O_RATE, O_THROTTLE, O_CONVERGE_BELOW, O_MAX_ROUNDS, O_MAX_BYTES } },
	{ "pause", cmd_pause, true, "DEV", "Stop sending chunks (not while mirroring).", { 0 } },
	{ "resume", cmd_resume, true, "DEV", "Send chunks again after a pause.", { 0 } },
	{ "mirror", cmd_mirror, true, "DEV [--wait S | --no-wait]",
	  "Mirror every new write to the peer synchronously.", { O_WAIT, O_NO_WAIT } },
	{ "handoff", cmd_handoff, true, "DEV [--no-resume]",
	  "Suspend DEV, let the peer take over, resume DEV (its writes then fail).",
	  { O_NO_RESUME } },
	{ "abort", cmd_abort, true, "DEV [--force]",
	  "Stop a push (DEV goes back to tracking) or a receiver; --force: even a\n"
	  "pending handoff (only if the peer certainly did not take over).",
	  { O_FORCE } },
	{ "events", cmd_events, false, "[DEV] [--json] [--count N] [--timeout S]",
	  "Print events (phase changes, connections, errors) as they happen.",
	  { O_JSON, O_COUNT, O_TIMEOUT } },
};

#define NCMDS (sizeof(cmds) / sizeof(cmds[0]))

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: %s COMMAND [ARGS]\n\ncommands:\n", mdm_prog);
	for (i = 0; i < NCMDS; i++)
		fprintf(f, "  %-8s %.*s\n", cmds[i].name,
			(int)strcspn(cmds[i].help, "\n"), cmds[i].help);
	fprintf(f, "\nSizes and rates take K, M, G, T suffixes (powers of 1024): 64K, 1G, 100M/s.\n"
		"'%s COMMAND --help' describes a command; man migrate-dm has the rest.\n", mdm_prog);
}

static void cmd_usage(const struct cmd *c)
{
	printf("usage: %s %s %s\n\n%s\n", mdm_prog, c->name, c->usage, c->help);
}

static bool accepts(const struct cmd *c, int id)
{
	int i;

	for (i = 0; c->opts[i]; i++)
		if (c->opts[i] == id)
			return true;
	return false;
}

static int parse_seconds(const struct cmd *c, const char *arg, double *out)
{
	char *end;

	*out = strtod(arg, &end);
	if (end == arg || *end || *out < 0)
		return usage_error(c, "invalid number of seconds '%s'", arg);
	return 0;
}

static int parse_opt(const struct cmd *c, int id, const char *arg, struct opts *o)
{
	uint64_t v;

	switch (id) {
	case O_JSON: o->json = true; return 0;
	case O_NO_WAIT: o->no_wait = true; return 0;
	case O_NO_RESUME: o->no_resume = true; return 0;
	case O_FORCE: o->force = true; return 0;
	case O_TO: o->to = arg; return 0;
	case O_LISTEN: o->listen = arg; return 0;
	case O_KEY_FILE: o->key_file = arg; return 0;
	case O_KEY_DESC: o->key_desc = arg; return 0;
	case O_WAIT: return parse_seconds(c, arg, &o->wait_s);
	case O_INTERVAL:
		if (parse_seconds(c, arg, &o->interval_s) || o->interval_s < 0.1)
			return usage_error(c, "--interval wants at least 0.1 s");
		return 0;
	case O_TIMEOUT: return parse_seconds(c, arg, &o->timeout_s);
	case O_UNTIL:
		o->until = mdm_phase_by_name(arg);
		if (o->until < 0)
			return usage_error(c, "unknown phase '%s' (bulk, dirty, converged, mirroring, handed_off, tracking; receiving on a destination)",
					   arg);
		return 0;
	case O_COUNT:
		o->count = strtol(arg, NULL, 10);
		if (o->count <= 0)
			return usage_error(c, "--count wants a positive number");
		return 0;
	}
	/* The limits. */
	if (mdm_parse_size(arg, id == O_RATE || id == O_THROTTLE, &v) ||
	    (id == O_MAX_ROUNDS && v > UINT32_MAX))
		return usage_error(c, "invalid value '%s' for --%s", arg,
				   long_opts[id - O_TO + 2].name);
	o->given |= 1U << (id - O_TO);
	switch (id) {
	case O_RATE: o->rate = v; break;
	case O_THROTTLE: o->throttle = v; break;
	case O_CONVERGE_BELOW: o->converge_below = v; break;
	case O_MAX_BYTES: o->max_bytes = v; break;
	default: o->max_rounds = (uint32_t)v;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o = { .until = -1, .wait_s = 10, .interval_s = 1 };
	const struct cmd *c = NULL;
	size_t i;
	int id, r, li;

	if (argc < 2) {
		usage(stderr);
		return MDM_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("%s %s\n", mdm_prog, MDM_VERSION);
		return 0;
	}
	for (i = 0; i < NCMDS; i++)
		if (!strcmp(argv[1], cmds[i].name))
			c = &cmds[i];
	if (!c)
		return usage_error(NULL, "unknown command '%s'", argv[1]);

	argv++;
	argc--;
	opterr = 0;
	li = 0;
	while ((id = getopt_long(argc, argv, ":jh", long_opts, &li)) != -1) {
		if (id == O_HELP) {
			cmd_usage(c);
			return 0;
		}
		if (id == ':')
			return usage_error(c, "option '%s' needs a value", argv[optind - 1]);
		if (id == '?')
			return usage_error(c, "unknown option '%s'", argv[optind - 1]);
		if (!accepts(c, id))
			return usage_error(c, "option --%s does not apply here",
					   long_opts[li].name);
		r = parse_opt(c, id, optarg, &o);
		if (r)
			return r;
	}
	if (optind < argc)
		o.dev_arg = argv[optind++];
	if (optind < argc)
		return usage_error(c, "unexpected argument '%s'", argv[optind]);
	if (c->needs_dev && !o.dev_arg)
		return usage_error(c, "which device?");
	if (c->fn == cmd_push && !o.to)
		return usage_error(c, "--to HOST:PORT is required");
	if (c->fn == cmd_receive && !o.listen)
		return usage_error(c, "--listen ADDR:PORT is required");

	/* status filters a dump by name. */
	if (o.dev_arg && c->fn == cmd_status) {
		const char *name = o.dev_arg;

		if (!strncmp(name, "/dev/mapper/", 12))
			name += 12;
		snprintf(o.dev.name, sizeof(o.dev.name), "%s", name);
	} else if (o.dev_arg) {
		r = mdm_dev_resolve(o.dev_arg, &o.dev);
		if (r)
			return r;
	}
	return c->fn(&o);
}
