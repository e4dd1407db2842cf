/* SPDX-License-Identifier: GPL-2.0 */
/* Device-mapper devices, through libdevmapper. */
#ifndef MIGRATE_DM_DMDEV_H
#define MIGRATE_DM_DMDEV_H

#include "mdm.h"

/*
 * Find @arg (a dm name, /dev/mapper/NAME or /dev/dm-N) and check that its
 * table has a migrate target.  Prints why not; returns an exit code.
 */
int mdm_dev_resolve(const char *arg, struct mdm_dev *dev);

/* Suspend (flushing) or resume @dev; prints why not, returns an exit code. */
int mdm_dev_suspend(const struct mdm_dev *dev, bool suspend);

#endif /* MIGRATE_DM_DMDEV_H */
