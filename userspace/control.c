// SPDX-License-Identifier: GPL-2.0
/* limit, pause, resume and abort: steering a running push or receiver. */
#include "err.h"
#include "request.h"

int cmd_limit(struct opts *o)
{
	if (!o->given && !o->pause_after_bulk && !o->auto_throttle && o->encoding < 0 &&
	    o->subchunk < 0) {
		mdm_err("%s: limit: give at least one of --rate, --throttle, --auto-throttle, --converge-time, --converge-below, --max-rounds, --max-bytes, --pause-after-bulk, --encoding, --subchunk",
			o->dev.name);
		return MDM_EXIT_USAGE;
	}
	return simple_request(o, DM_MIGRATE_CMD_SET_LIMITS, "limit", put_limits);
}

int cmd_pause(struct opts *o)
{
	return simple_request(o, DM_MIGRATE_CMD_PAUSE, "pause", NULL);
}

int cmd_resume(struct opts *o)
{
	return simple_request(o, DM_MIGRATE_CMD_RESUME, "resume", NULL);
}

static int put_force(struct nl_msg *msg, struct opts *o)
{
	return o->force ? nla_put_flag(msg, DM_MIGRATE_A_FORCE) : 0;
}

int cmd_abort(struct opts *o)
{
	return simple_request(o, DM_MIGRATE_CMD_ABORT, "abort", put_force);
}
