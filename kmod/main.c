// SPDX-License-Identifier: GPL-2.0
/*
 * dm-migrate: live migration of device-mapper volumes between hosts that
 * share no storage.  Module entry points.
 */
#include <linux/module.h>

#include "frontend.h"
#include "throttle.h"
#include "transport.h"

static int __init dm_migrate_init(void)
{
	int r;

	r = mig_throttle_module_init();
	if (r)
		return r;
	mig_transport_module_init();
	r = mig_netlink_register();
	if (r) {
		DMERR("cannot register the generic netlink family: %d", r);
		goto fail_key;
	}
	r = mig_target_register();
	if (r) {
		DMERR("cannot register the target: %d", r);
		goto fail_nl;
	}
	return 0;
fail_nl:
	mig_netlink_unregister();
fail_key:
	mig_transport_module_exit();
	mig_throttle_module_exit();
	return r;
}

static void __exit dm_migrate_exit(void)
{
	mig_target_unregister();
	mig_netlink_unregister();
	mig_transport_module_exit();
	mig_throttle_module_exit();
}

module_init(dm_migrate_init);
module_exit(dm_migrate_exit);

MODULE_DESCRIPTION(DM_NAME " live migration target with dirty-chunk tracking");
MODULE_AUTHOR("dm-migrate developers");
MODULE_LICENSE("GPL");
/* The sealed stream (seal.c); loaded on demand too, this only saves a wait. */
MODULE_SOFTDEP("pre: gcm");
