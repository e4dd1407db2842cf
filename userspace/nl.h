/* SPDX-License-Identifier: GPL-2.0 */
/* The dm-migrate generic netlink family, through libnl-genl. */
#ifndef MIGRATE_DM_NL_H
#define MIGRATE_DM_NL_H

#include <netlink/genl/genl.h>

#include "mdm.h"

struct mdm_nl {
	struct nl_sock *sk;
	int family;
	char ext_msg[256];		/* the kernel's extended ack, if any */
};

/* Connect and resolve the family; prints why not and returns an exit code. */
int mdm_nl_open(struct mdm_nl *nl);
/* Also join the events group (a socket used for nothing else). */
int mdm_nl_open_events(struct mdm_nl *nl);
void mdm_nl_close(struct mdm_nl *nl);

/* A request for @cmd on @dev (NULL: none), NLM_F_DUMP with @dump. */
struct nl_msg *mdm_nl_msg(struct mdm_nl *nl, uint8_t cmd,
			  const struct mdm_dev *dev, bool dump);

typedef int (*mdm_status_cb)(const struct mdm_status *st, void *arg);

/*
 * Send @msg (consumed), pass each reply to @cb, wait for the ack.
 * Returns 0 or a negative errno; nl->ext_msg then says why.
 */
int mdm_nl_request(struct mdm_nl *nl, struct nl_msg *msg, mdm_status_cb cb,
		   void *arg);

/*
 * Wait up to @timeout_ms (< 0: forever) for events; each goes to @cb,
 * which returns non-zero to stop.  Returns the callback's value, 0 on
 * timeout, or a negative errno.
 */
int mdm_nl_events(struct mdm_nl *nl, int timeout_ms, mdm_status_cb cb, void *arg);

#endif /* MIGRATE_DM_NL_H */
