// SPDX-License-Identifier: GPL-2.0
/*
 * The messages of `dmsetup message` (docs/dm-migrate.rst): text in, the
 * same control verbs as the netlink family (netlink.c) out, and the
 * bitmap messages, which work on the dirty bitmap directly.
 *
 *   push <addr:port> <hex_key> [option=value...]
 *   listen <addr:port> <hex_key>
 *   set option=value...
 *   pause | resume | mirror | handoff | abort [force]
 *   clear_dirty [<first>[-<last>]]    clear all bits, or a range of chunks
 *   mark_dirty [<first>[-<last>]]     set all bits, or a range of chunks
 *   dirty_ranges [<from> [<max>]]     list dirty chunks as ranges
 *
 * handoff returns once the handoff is decided (the mode is "handoff");
 * status shows "handed_off" when the peer confirmed.
 *
 * Options: rate=B, throttle=B (bytes per second), auto_throttle=0|1,
 * converge_below=B,
 * max_bytes=B (sizes with an optional K/M/G/T suffix), converge_ms=N,
 * max_rounds=N, pause_after_bulk=0|1, encoding=lzo|lz4|zstd|raw|auto,
 * subchunk=0|1.
 */
#include <linux/nsproxy.h>

#include "control.h"
#include "frontend.h"

/* <addr:port> <hex_key> [options]; @opts: whether options may follow. */
static int parse_start(unsigned int argc, char **argv, bool opts,
		       struct mig_start *s, const char **why)
{
	if (argc < 2 || (!opts && argc > 2)) {
		*why = opts ? "usage: push <addr:port> <hex_key> [option=value...]" :
			      "usage: listen <addr:port> <hex_key>";
		return -EINVAL;
	}
	if (mig_addr_parse(argv[0], &s->addr)) {
		*why = "invalid address: want A.B.C.D:PORT or [IPV6]:PORT";
		return -EINVAL;
	}
	if (mig_parse_key(argv[1], &s->key)) {
		*why = "invalid key: want 32 to 128 hex digits";
		return -EINVAL;
	}
	if (mig_parse_limits(argc - 2, argv + 2, &s->lim)) {
		*why = "invalid option (see 'push' in docs/dm-migrate.rst)";
		return -EINVAL;
	}
	s->net = current->nsproxy->net_ns;
	return 0;
}

static int ctl_start(struct mig_dev *dev, struct mig_cmd *cmd,
		     unsigned int argc, char **argv, const char **why)
{
	struct mig_start *s;
	int r;

	s = kzalloc(sizeof(*s), GFP_KERNEL);
	if (!s)
		return -ENOMEM;
	r = parse_start(argc, argv, cmd->verb == MIG_V_PUSH, s, why);
	cmd->start = s;
	if (!r)
		r = mig_control(dev, cmd, why);
	kfree_sensitive(s);
	return r;
}

/* The control verbs' words; the bitmap messages are below. */
static const char * const verb_words[MIG_V_NR] = {
	[MIG_V_PUSH]	= "push",
	[MIG_V_LISTEN]	= "listen",
	[MIG_V_SET]	= "set",
	[MIG_V_PAUSE]	= "pause",
	[MIG_V_RESUME]	= "resume",
	[MIG_V_MIRROR]	= "mirror",
	[MIG_V_HANDOFF]	= "handoff",
	[MIG_V_ABORT]	= "abort",
};

/* A control verb; -ENOTTY when @argv[0] is none. */
static int ctl_verb(struct mig_dev *dev, unsigned int argc, char **argv)
{
	struct mig_cmd cmd = {};
	const char *why = NULL;
	int r;

	for (cmd.verb = 0; cmd.verb < MIG_V_NR; cmd.verb++)
		if (!strcasecmp(argv[0], verb_words[cmd.verb]))
			break;
	if (cmd.verb == MIG_V_NR)
		return -ENOTTY;
	switch (cmd.verb) {
	case MIG_V_PUSH:
	case MIG_V_LISTEN:
		r = ctl_start(dev, &cmd, argc - 1, argv + 1, &why);
		break;
	case MIG_V_SET:
		if (argc < 2 || mig_parse_limits(argc - 1, argv + 1, &cmd.lim)) {
			why = "usage: set <option>=<value>...";
			r = -EINVAL;
			break;
		}
		r = mig_control(dev, &cmd, &why);
		break;
	case MIG_V_ABORT:
		cmd.force = argc == 2 && !strcasecmp(argv[1], "force");
		fallthrough;
	default:
		if (argc != 1 && !cmd.force) {
			why = "this message takes no arguments (abort: 'force' only)";
			r = -EINVAL;
			break;
		}
		r = mig_control(dev, &cmd, &why);
	}
	if (r && why)
		DMERR("%s: %s refused: %s", mig_name(dev), argv[0], why);
	return r;
}

/* A control verb, or else a bitmap message. */
int mig_ctl_message(struct mig_dev *dev, unsigned int argc, char **argv,
		    char *result, unsigned int maxlen)
{
	const char *name = mig_name(dev);
	u64 first, last, from = 0, next;
	unsigned int max = UINT_MAX;
	bool set;
	int r = 0;

	if (!argc) {
		DMERR("%s: empty message", name);
		return -EINVAL;
	}

	r = ctl_verb(dev, argc, argv);
	if (r != -ENOTTY)
		return r;
	r = 0;

	/* ctl_lock: no push starts between a check and a clear below. */
	mutex_lock(&dev->ctl_lock);
	mutex_lock(&dev->lock);
	if (!strcasecmp(argv[0], "dirty_ranges")) {
		if (argc > 3 || (argc > 1 && kstrtoull(argv[1], 10, &from)) ||
		    (argc > 2 && (kstrtouint(argv[2], 10, &max) || !max))) {
			DMERR("%s: usage: dirty_ranges [<from_chunk> [<max_ranges>]]",
			      name);
			r = -EINVAL;
			goto out;
		}
		next = mig_bitmap_format_ranges(dev->bm, from, max, result,
						maxlen);
		/*
		 * A truncated list ends with " next=<chunk>"; the caller
		 * continues from there.  If even that does not fit, dm reports
		 * the buffer full and libdevmapper retries with a larger one.
		 */
		if (next < dev->bm->nbits) {
			unsigned int sz = strlen(result);

			DMEMIT(" next=%llu", (unsigned long long)next);
		}
		r = 1;
		goto out;
	}

	if (!strcasecmp(argv[0], "clear_dirty")) {
		set = false;
	} else if (!strcasecmp(argv[0], "mark_dirty")) {
		set = true;
	} else {
		DMERR("%s: unrecognised message '%s'", name, argv[0]);
		r = -EINVAL;
		goto out;
	}

	if (argc > 2) {
		DMERR("%s: usage: %s [<first_chunk>[-<last_chunk>]]", name, argv[0]);
		r = -EINVAL;
		goto out;
	}
	first = 0;
	last = dev->bm->nbits - 1;
	if (argc == 2 && mig_parse_chunk_range(argv[1], dev->bm->nbits, &first, &last)) {
		DMERR("%s: invalid chunk range '%s' (device has %llu chunks)",
		      name, argv[1], (unsigned long long)dev->bm->nbits);
		r = -EINVAL;
		goto out;
	}
	if (set) {
		mig_bitmap_set_range(dev->bm, first, last);
		goto out;
	}
	if (mig_mode(dev) != DM_MIGRATE_MODE_TRACKING) {
		DMERR("%s: clear_dirty refused while migrating: it would lose data", name);
		r = -EBUSY;
	} else {
		mig_bitmap_clear_range(dev->bm, first, last);
	}
out:
	mutex_unlock(&dev->lock);
	mutex_unlock(&dev->ctl_lock);
	return r;
}
