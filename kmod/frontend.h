/* SPDX-License-Identifier: GPL-2.0 */
/* The front-ends' entry points, for main.c and target.c. */
#ifndef DM_MIGRATE_FRONTEND_H
#define DM_MIGRATE_FRONTEND_H

#include "dm-migrate.h"

/* target.c: the `migrate` device-mapper target */
int mig_target_register(void);
void mig_target_unregister(void);

/* netlink.c: the generic netlink family and its events */
int mig_netlink_register(void);
void mig_netlink_unregister(void);

/*
 * ctlmsg.c: `dmsetup message` (text in, control verbs out); the reply of
 * dirty_ranges goes to @result.  Returns 1 when @result holds a reply.
 */
int mig_ctl_message(struct mig_dev *dev, unsigned int argc, char **argv,
		    char *result, unsigned int maxlen);

#endif /* DM_MIGRATE_FRONTEND_H */
