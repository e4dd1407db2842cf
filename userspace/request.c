// SPDX-License-Identifier: GPL-2.0
/* What the commands share (request.h). */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "err.h"
#include "request.h"

int request_failed(struct mdm_nl *nl, const struct opts *o,
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

int simple_request(struct opts *o, uint8_t cmd, const char *what,
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

static int grab_cb(const struct mdm_status *st, void *arg)
{
	*(struct mdm_status *)arg = *st;
	return 0;
}

int get_status(struct mdm_nl *nl, struct opts *o, struct mdm_status *st)
{
	int r;

	memset(st, 0, sizeof(*st));
	r = mdm_nl_request(nl, mdm_nl_msg(nl, DM_MIGRATE_CMD_GET, &o->dev, false), grab_cb, st);
	if (r)
		return request_failed(nl, o, "status", r);
	return 0;
}

int put_limits(struct nl_msg *msg, struct opts *o)
{
	return (GIVEN(o, O_RATE) && nla_put_u64(msg, DM_MIGRATE_A_RATE_LIMIT, o->rate)) ||
	       (GIVEN(o, O_THROTTLE) &&
		nla_put_u64(msg, DM_MIGRATE_A_WRITE_THROTTLE, o->throttle)) ||
	       (GIVEN(o, O_CONVERGE_BELOW) &&
		nla_put_u64(msg, DM_MIGRATE_A_CONVERGE_BELOW, o->converge_below)) ||
	       (GIVEN(o, O_CONVERGE_TIME) &&
		nla_put_u32(msg, DM_MIGRATE_A_CONVERGE_MS, o->converge_ms)) ||
	       (GIVEN(o, O_MAX_BYTES) && nla_put_u64(msg, DM_MIGRATE_A_MAX_BYTES, o->max_bytes)) ||
	       (GIVEN(o, O_MAX_ROUNDS) && nla_put_u32(msg, DM_MIGRATE_A_MAX_ROUNDS, o->max_rounds)) ||
	       (o->pause_after_bulk && nla_put_u8(msg, DM_MIGRATE_A_PAUSE_AFTER_BULK, 1)) ||
	       (o->auto_throttle && nla_put_u8(msg, DM_MIGRATE_A_AUTO_THROTTLE, 1)) ||
	       (o->encoding >= 0 && nla_put_u8(msg, DM_MIGRATE_A_ENCODING, (uint8_t)o->encoding)) ||
	       (o->subchunk >= 0 && nla_put_u8(msg, DM_MIGRATE_A_SUBCHUNK, (uint8_t)o->subchunk));
}

double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}
