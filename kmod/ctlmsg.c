// SPDX-License-Identifier: GPL-2.0
/*
 * The control messages of `dmsetup message` (docs/dm-migrate.rst): text in,
 * the same engine calls as the netlink family (netlink.c) out.
 *
 *   push <addr:port> <hex_key> [option=value...]
 *   listen <addr:port> <hex_key>
 *   set option=value...
 *   pause | resume | mirror | handoff | abort [force]
 *
 * handoff returns once the handoff is decided (the mode is "handoff");
 * status shows "handed_off" when the peer confirmed.
 *
 * Options: rate=B, throttle=B (bytes per second), converge_below=B,
 * max_bytes=B (sizes with an optional K/M/G/T suffix), max_rounds=N.
 */
#include <linux/nsproxy.h>

#include "dm-migrate.h"

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
		*why = "invalid option: rate=, throttle=, converge_below=, max_rounds=, max_bytes=";
		return -EINVAL;
	}
	s->net = current->nsproxy->net_ns;
	return 0;
}

static int ctl_start(struct mig_dev *dev, bool push, unsigned int argc,
		     char **argv, const char **why)
{
	struct mig_start *s;
	int r;

	s = kzalloc(sizeof(*s), GFP_KERNEL);
	if (!s)
		return -ENOMEM;
	r = parse_start(argc, argv, push, s, why);
	if (!r)
		r = push ? mig_push_start(dev, s, why) : mig_recv_start(dev, s, why);
	kfree_sensitive(s);
	return r;
}

static int ctl_set(struct mig_dev *dev, unsigned int argc, char **argv,
		   const char **why)
{
	struct mig_limits lim = {};

	if (!argc || mig_parse_limits(argc, argv, &lim)) {
		*why = "usage: set <option>=<value>...";
		return -EINVAL;
	}
	return mig_push_set_limits(dev, &lim, why);
}

/*
 * abort: stop the receiver (receiving, or answering its old source after
 * a handoff), or else the push; @force: even a pending handoff.
 */
int mig_ctl_abort(struct mig_dev *dev, bool force, const char **why)
{
	if (dev->recv) {
		mig_recv_stop(dev);
		return 0;
	}
	return mig_push_abort(dev, force, why);
}

/* Returns -ENOTTY when @argv[0] is not a control message. */
int mig_ctl_message(struct mig_dev *dev, unsigned int argc, char **argv)
{
	static const char * const noarg[] = {
		"pause", "resume", "mirror", "handoff", "abort",
	};
	const char *cmd = argv[0], *why = NULL;
	bool known = !strcasecmp(cmd, "push") || !strcasecmp(cmd, "listen") ||
		     !strcasecmp(cmd, "set");
	unsigned int i;
	int r;

	for (i = 0; i < ARRAY_SIZE(noarg); i++)
		if (!strcasecmp(cmd, noarg[i]))
			known = true;
	if (!known)
		return -ENOTTY;

	mutex_lock(&dev->ctl_lock);
	mig_dev_name(dev);
	if (!strcasecmp(cmd, "push")) {
		r = ctl_start(dev, true, argc - 1, argv + 1, &why);
	} else if (!strcasecmp(cmd, "listen")) {
		r = ctl_start(dev, false, argc - 1, argv + 1, &why);
	} else if (!strcasecmp(cmd, "set")) {
		r = ctl_set(dev, argc - 1, argv + 1, &why);
	} else if (!strcasecmp(cmd, "abort") &&
		   (argc == 1 || (argc == 2 && !strcasecmp(argv[1], "force")))) {
		r = mig_ctl_abort(dev, argc == 2, &why);
	} else if (argc != 1) {
		why = "this message takes no arguments (abort: 'force' only)";
		r = -EINVAL;
	} else if (!strcasecmp(cmd, "mirror")) {
		r = mig_push_mirror(dev, &why);
	} else if (!strcasecmp(cmd, "handoff")) {
		r = mig_push_handoff(dev, &why);
	} else {
		r = mig_push_pause(dev, !strcasecmp(cmd, "pause"), &why);
	}
	mutex_unlock(&dev->ctl_lock);

	if (r && why)
		DMERR("%s: %s refused: %s", mig_name(dev), cmd, why);
	return r;
}
