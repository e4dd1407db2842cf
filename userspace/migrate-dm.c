// SPDX-License-Identifier: GPL-2.0
/*
 * migrate-dm: the operator's tool for dm-migrate (docs/migrate-dm.8).
 *
 * Talks to the module over its generic netlink family; uses libdevmapper
 * only to turn a device name into its number and to suspend and resume
 * around a handoff.  This file parses the command line and runs one of
 * the commands (cmd.h), which live one group a file.
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cmd.h"
#include "dmdev.h"
#include "err.h"
#include "plan.h"
#include "show.h"
#include "units.h"
#include "vm.h"

#define MDM_VERSION "0.1.0"

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
	{ "pause-after-bulk", no_argument, NULL, O_PAUSE_AFTER_BULK },
	{ "encoding", required_argument, NULL, O_ENCODING },
	{ "subchunk", required_argument, NULL, O_SUBCHUNK },
	{ "from", required_argument, NULL, O_FROM },
	{ "peer", required_argument, NULL, O_PEER },
	{ "volume-dir", required_argument, NULL, O_VOLUME_DIR },
	{ "chunk", required_argument, NULL, O_CHUNK },
	{ "cancel", no_argument, NULL, O_CANCEL },
	{ "max-downtime", required_argument, NULL, O_MAX_DOWNTIME },
	{ "persist", no_argument, NULL, O_PERSIST },
	{ "undefine-source", no_argument, NULL, O_UNDEFINE_SOURCE },
	{ "migrate-uri", required_argument, NULL, O_MIGRATE_URI },
	{ "converge-time", required_argument, NULL, O_CONVERGE_TIME },
	{ "auto-throttle", no_argument, NULL, O_AUTO_THROTTLE },
	{ "parallel", required_argument, NULL, O_PARALLEL },
	{ "order", required_argument, NULL, O_ORDER },
	{ "deadline", required_argument, NULL, O_DEADLINE },
	{ "dry-run", no_argument, NULL, O_DRY_RUN },
	{ NULL, 0, NULL, 0 },
};

struct cmd {
	const char *name;
	int (*fn)(struct opts *o);
	bool needs_dev;			/* DEV is required (else optional) */
	const char *usage;
	const char *help;
	const int opts[16];		/* accepted options, 0-terminated */
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
	  "        [--rate R] [--throttle R | --auto-throttle]\n"
	  "        [--converge-time T | --converge-below SIZE] [--max-rounds N]\n"
	  "        [--max-bytes SIZE] [--pause-after-bulk] [--encoding E]\n"
	  "        [--subchunk on|off] [--wait S | --no-wait]",
	  "Start pushing DEV to a receiver; waits until the peer accepted us.\n"
	  "Converged once the dirty rest can be sent within --converge-time (1s), or\n"
	  "when rounds stop shrinking it; --converge-below SIZE replaces that rule.\n"
	  "--auto-throttle: hold the guest's writes to what converges in a few rounds.\n"
	  "--pause-after-bulk: pause once every chunk was sent once ('resume' goes on).\n"
	  "--encoding lzo (default), lz4, zstd, raw, or auto: picked from the\n"
	  "measured speed of each and of the link ('status' says which and why).\n"
	  "--subchunk on: the dirty rounds send only the 4 KiB blocks written, not\n"
	  "whole chunks, where the receiver takes them (off by default).",
	  { O_TO, O_KEY_FILE, O_KEY_DESC, O_RATE, O_THROTTLE, O_AUTO_THROTTLE,
	    O_CONVERGE_BELOW, O_CONVERGE_TIME, O_MAX_ROUNDS, O_MAX_BYTES,
	    O_PAUSE_AFTER_BULK, O_ENCODING, O_SUBCHUNK, O_WAIT, O_NO_WAIT } },
	{ "receive", cmd_receive, true,
	  "DEV --listen ADDR:PORT (--key-file F | --key-desc logon:DESC)",
	  "Listen for a source on a device created with the 'receive' feature.",
	  { O_LISTEN, O_KEY_FILE, O_KEY_DESC } },
	{ "limit", cmd_limit, true,
	  "DEV [--rate R] [--throttle R | --auto-throttle]\n"
	  "        [--converge-time T | --converge-below SIZE] [--max-rounds N]\n"
	  "        [--max-bytes SIZE] [--pause-after-bulk] [--encoding E]\n"
	  "        [--subchunk on|off]",
	  "Change the limits of a running push (--rate none lifts the rate limit;\n"
	  "--converge-time brings the time rule back after --converge-below;\n"
	  "--throttle turns --auto-throttle off; --subchunk on takes effect from\n"
	  "the next connection, off at once).",
	  { O_RATE, O_THROTTLE, O_AUTO_THROTTLE, O_CONVERGE_BELOW, O_CONVERGE_TIME,
	    O_MAX_ROUNDS, O_MAX_BYTES, O_PAUSE_AFTER_BULK, O_ENCODING, O_SUBCHUNK } },
	{ "pause", cmd_pause, true, "DEV", "Stop sending chunks (not while mirroring).", { 0 } },
	{ "resume", cmd_resume, true, "DEV", "Send chunks again after a pause.", { 0 } },
	{ "mirror", cmd_mirror, true, "DEV [--wait S | --no-wait]",
	  "Mirror every new write to the peer synchronously.", { O_WAIT, O_NO_WAIT } },
	{ "handoff", cmd_handoff, true, "DEV [--no-resume]",
	  "Suspend DEV, let the peer take over, resume DEV (its writes then fail).",
	  { O_NO_RESUME } },
	{ "abort", cmd_abort, true, "DEV [--force] | VM",
	  "Stop a push (DEV goes back to tracking) or a receiver; --force: even a\n"
	  "pending handoff (only if the peer certainly did not take over).  With the\n"
	  "name of a VM that 'migrate' is moving from this host: abort that migration.",
	  { O_FORCE } },
	{ "prepare", cmd_prepare, true,
	  "VM --from URI --listen ADDR[:PORT] --volume-dir DIR\n"
	  "        (--key-file F | --key-desc logon:DESC) [--chunk SIZE]\n"
	  "       prepare VM --cancel",
	  "Destination: a listening receiver for every disk of a VM, before migrate.\n"
	  "Reads VM's disks from the source libvirt URI; for each, creates the\n"
	  "receiving migrate device of the same /dev/mapper name over DIR/NAME (a\n"
	  "volume of the same size) and listens on ADDR, port PORT+i for disk i\n"
	  "(default port 7788).  Run it again: it does what is missing.  --cancel\n"
	  "removes what prepare made.",
	  { O_FROM, O_LISTEN, O_VOLUME_DIR, O_KEY_FILE, O_KEY_DESC, O_CHUNK, O_CANCEL } },
	{ "migrate", cmd_migrate, true,
	  "VM --to URI --peer ADDR[:PORT] (--key-file F | --key-desc logon:DESC)\n"
	  "        [--rate R] [--throttle R | --auto-throttle]\n"
	  "        [--converge-time T | --converge-below SIZE] [--max-rounds N]\n"
	  "        [--encoding E] [--max-downtime MS] [--migrate-uri URI] [--persist]\n"
	  "        [--undefine-source] [--json]",
	  "Source: live-migrate a VM, its disks and its RAM, to another host.\n"
	  "Pushes every disk to the receivers 'prepare' made at ADDR (PORT+i),\n"
	  "mirrors them once all converged, moves the RAM with libvirt to URI, hands\n"
	  "the disks off and resumes VM there.  Ctrl-C or 'migrate-dm abort VM'\n"
	  "aborts it until the RAM has moved.",
	  { O_TO, O_PEER, O_KEY_FILE, O_KEY_DESC, O_RATE, O_THROTTLE, O_AUTO_THROTTLE,
	    O_CONVERGE_BELOW, O_CONVERGE_TIME, O_MAX_ROUNDS, O_ENCODING, O_MAX_DOWNTIME,
	    O_PERSIST, O_UNDEFINE_SOURCE, O_JSON, O_MIGRATE_URI } },
	{ "evacuate", cmd_evacuate, true,
	  "HOST-URI --to URI[,URI...] [--parallel N]\n"
	  "        [--order one-by-one|round-robin|auto] [--rate R] [--deadline T]\n"
	  "        --dry-run [--json]",
	  "Plan moving every running VM of a host (its libvirt URI) to the hosts of\n"
	  "--to: each VM's pre-flight, then first-fit decreasing of the VMs' vCPUs,\n"
	  "memory and disk on the destinations' free capacity, in order (auto: the\n"
	  "shortest predicted first), N at once sharing --rate (default 1 Gbit/s),\n"
	  "printed with each VM's predicted time.  Only the plan (--dry-run) so far.",
	  { O_TO, O_PARALLEL, O_ORDER, O_RATE, O_DEADLINE, O_DRY_RUN, O_JSON } },
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

/* The argument is a VM's name, not a device. */
static bool takes_vm(const struct cmd *c)
{
	return c->fn == cmd_prepare || c->fn == cmd_migrate || c->fn == cmd_evacuate;
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

/* "300ms", "300" (ms), "0.3s", for --@name; 0 only if @zero, at most @max. */
static int parse_ms(const struct cmd *c, const char *name, const char *arg, bool zero,
		    uint64_t max, uint64_t *out)
{
	char *end;
	double v = strtod(arg, &end);

	if (end == arg || v < 0 || (!zero && v <= 0))
		goto bad;
	if (!strcmp(end, "s"))
		v *= 1000;
	else if (*end && strcmp(end, "ms"))
		goto bad;
	if (v > (double)max)
		goto bad;
	*out = (uint64_t)(v + 0.5);
	if (*out || zero)
		return 0;
bad:
	return usage_error(c, "invalid --%s '%s': want milliseconds, as 300, 300ms or 0.3s",
			   name, arg);
}

/* A chunk size: a power of two from 4K to 8M, as the table takes it. */
static int parse_chunk(const struct cmd *c, const char *arg, uint32_t *sectors)
{
	uint64_t v;

	if (mdm_parse_size(arg, false, &v) || v % 512 || v / 512 < DM_MIGRATE_MIN_CHUNK_SECTORS ||
	    v / 512 > DM_MIGRATE_MAX_CHUNK_SECTORS || (v & (v - 1)))
		return usage_error(c, "invalid --chunk '%s': a power of two from 4K to 8M, the source device's chunk size",
				   arg);
	*sectors = (uint32_t)(v / 512);
	return 0;
}

/* A deadline: "600" or "600s", "10m", "1.5h"; in ms. */
static int parse_deadline(const struct cmd *c, const char *arg, uint64_t *out)
{
	char *end;
	double v = strtod(arg, &end);

	if (end == arg || v <= 0)
		goto bad;
	if (!strcmp(end, "m"))
		v *= 60;
	else if (!strcmp(end, "h"))
		v *= 3600;
	else if (*end && strcmp(end, "s"))
		goto bad;
	if (v > 1e9)
		goto bad;
	*out = (uint64_t)(v * 1000 + 0.5);
	return 0;
bad:
	return usage_error(c, "invalid --deadline '%s': want a time, as 600, 600s, 10m or 1.5h",
			   arg);
}

static int parse_opt(const struct cmd *c, int id, const char *arg, struct opts *o)
{
	uint64_t v;
	char *end;

	switch (id) {
	case O_PARALLEL:
		o->parallel = (int)strtol(arg, &end, 10);
		if (end == arg || *end || o->parallel < 1 || o->parallel > 64)
			return usage_error(c, "invalid --parallel '%s': from 1 to 64 at once", arg);
		return 0;
	case O_ORDER:
		o->order = plan_order_by_name(arg);
		if (o->order < 0)
			return usage_error(c, "unknown order '%s' (one-by-one, round-robin, auto)",
					   arg);
		return 0;
	case O_DEADLINE: return parse_deadline(c, arg, &o->deadline_ms);
	case O_DRY_RUN: o->dry_run = true; return 0;
	case O_FROM: o->from = arg; return 0;
	case O_PEER: o->peer = arg; return 0;
	case O_MIGRATE_URI: o->migrate_uri = arg; return 0;
	case O_VOLUME_DIR: o->volume_dir = arg; return 0;
	case O_CANCEL: o->cancel = true; return 0;
	case O_PERSIST: o->persist = true; return 0;
	case O_UNDEFINE_SOURCE: o->undefine_source = true; return 0;
	case O_CHUNK: return parse_chunk(c, arg, &o->chunk_sectors);
	case O_MAX_DOWNTIME:
		return parse_ms(c, "max-downtime", arg, false, UINT64_MAX, &o->max_downtime_ms);
	case O_CONVERGE_TIME:
		if (parse_ms(c, "converge-time", arg, true, UINT32_MAX, &v))
			return MDM_EXIT_USAGE;
		o->converge_ms = (uint32_t)v;
		o->given |= 1U << (id - O_TO);
		return 0;
	case O_JSON: o->json = true; return 0;
	case O_NO_WAIT: o->no_wait = true; return 0;
	case O_NO_RESUME: o->no_resume = true; return 0;
	case O_FORCE: o->force = true; return 0;
	case O_PAUSE_AFTER_BULK: o->pause_after_bulk = true; return 0;
	case O_AUTO_THROTTLE: o->auto_throttle = true; return 0;
	case O_ENCODING:
		o->encoding = mdm_encoding_by_name(arg);
		if (o->encoding < 0)
			return usage_error(c, "unknown encoding '%s' (lzo, lz4, zstd, raw, auto)",
					   arg);
		return 0;
	case O_SUBCHUNK:
		if (!strcmp(arg, "on") || !strcmp(arg, "1"))
			o->subchunk = 1;
		else if (!strcmp(arg, "off") || !strcmp(arg, "0"))
			o->subchunk = 0;
		else
			return usage_error(c, "--subchunk wants on or off, not '%s'", arg);
		return 0;
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
	struct opts o = { .until = -1, .wait_s = 10, .interval_s = 1, .chunk_sectors = 128,
			  .encoding = -1, .subchunk = -1, .parallel = 1, .order = PLAN_AUTO };
	const struct cmd *c = NULL;
	struct stat sb;
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
		return usage_error(c, c->fn == cmd_evacuate ? "which host (its libvirt URI)?" :
				   takes_vm(c) ? "which VM?" : "which device?");
	if (c->fn == cmd_push && !o.to)
		return usage_error(c, "--to HOST:PORT is required");
	if (c->fn == cmd_receive && !o.listen)
		return usage_error(c, "--listen ADDR:PORT is required");
	if (c->fn == cmd_prepare && !o.cancel && (!o.from || !o.listen || !o.volume_dir))
		return usage_error(c, "--from URI, --listen ADDR and --volume-dir DIR are required");
	if (c->fn == cmd_prepare && o.cancel && (o.from || o.listen || o.volume_dir ||
						 o.key_file || o.key_desc))
		return usage_error(c, "--cancel takes no other option");
	if (c->fn == cmd_migrate && (!o.to || !o.peer))
		return usage_error(c, "--to URI and --peer ADDR are required");
	if (c->fn == cmd_evacuate && !o.to)
		return usage_error(c, "--to URI[,URI...] is required");
	if (c->fn == cmd_evacuate && !o.dry_run) {
		mdm_err("evacuate: only the plan is implemented: add --dry-run (running it takes 'prepare' on each destination, then 'migrate' here, per VM: man migrate-dm)");
		return MDM_EXIT_USAGE;
	}
	/* A VM's name, not a device; abort VM when a migration of it runs. */
	if (takes_vm(c))
		return c->fn(&o);
	if (c->fn == cmd_abort && o.dev_arg && !o.force && vm_migrating(o.dev_arg))
		return cmd_vm_abort(&o);

	/* status filters a dump by name. */
	if (o.dev_arg && c->fn == cmd_status && strchr(o.dev_arg, '/') &&
	    !stat(o.dev_arg, &sb) && S_ISBLK(sb.st_mode)) {
		/* A path is the device it names, whatever its basename. */
		r = mdm_dev_resolve(o.dev_arg, &o.dev);
		if (r)
			return r;
	} else if (o.dev_arg && c->fn == cmd_status) {
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
