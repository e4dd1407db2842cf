/* SPDX-License-Identifier: GPL-2.0 */
/* What the commands share: requests on DEV, and the clock they wait by. */
#ifndef MIGRATE_DM_REQUEST_H
#define MIGRATE_DM_REQUEST_H

#include "cmd.h"
#include "nl.h"

/* Map a failed request to a message and an exit code. */
int request_failed(struct mdm_nl *nl, const struct opts *o,
		   const char *what, int err);

/* Send @cmd on the device with whatever @add puts in; ack only. */
int simple_request(struct opts *o, uint8_t cmd, const char *what,
		   int (*add)(struct nl_msg *, struct opts *));

/* One GET of the device. */
int get_status(struct mdm_nl *nl, struct opts *o, struct mdm_status *st);

/* The limits given (push, limit); non-zero when the message is full. */
int put_limits(struct nl_msg *msg, struct opts *o);

/* Monotonic seconds. */
double now_s(void);

#endif /* MIGRATE_DM_REQUEST_H */
