// SPDX-License-Identifier: GPL-2.0
/*
 * dm-migrate: live migration of device-mapper volumes between hosts that
 * share no storage.  Module entry points.
 */
#include <linux/module.h>

#include "dm-migrate.h"

static int __init dm_migrate_init(void)
{
	int r = mig_target_register();

	if (r)
		DMERR("register failed %d", r);
	return r;
}

static void __exit dm_migrate_exit(void)
{
	mig_target_unregister();
}

module_init(dm_migrate_init);
module_exit(dm_migrate_exit);

MODULE_DESCRIPTION(DM_NAME " live migration target with dirty-chunk tracking");
MODULE_AUTHOR("dm-migrate developers");
MODULE_LICENSE("GPL");
