// SPDX-License-Identifier: GPL-2.0
/*
 * dm-migrate: live migration of device-mapper volumes between hosts that
 * share no storage.  Module entry points.
 */
#include <linux/module.h>
#include <linux/workqueue.h>

#include "dm-migrate.h"

/* Submits the writes the guest write throttle held back (throttle.c). */
struct workqueue_struct *mig_io_wq;

static int __init dm_migrate_init(void)
{
	int r;

	mig_io_wq = alloc_workqueue("dm-migrate-io", WQ_MEM_RECLAIM | WQ_UNBOUND, 0);
	if (!mig_io_wq)
		return -ENOMEM;
	r = mig_netlink_register();
	if (r) {
		DMERR("cannot register the generic netlink family: %d", r);
		goto fail_wq;
	}
	r = mig_target_register();
	if (r) {
		DMERR("cannot register the target: %d", r);
		goto fail_nl;
	}
	return 0;
fail_nl:
	mig_netlink_unregister();
fail_wq:
	destroy_workqueue(mig_io_wq);
	return r;
}

static void __exit dm_migrate_exit(void)
{
	mig_target_unregister();
	mig_netlink_unregister();
	destroy_workqueue(mig_io_wq);
}

module_init(dm_migrate_init);
module_exit(dm_migrate_exit);

MODULE_DESCRIPTION(DM_NAME " live migration target with dirty-chunk tracking");
MODULE_AUTHOR("dm-migrate developers");
MODULE_LICENSE("GPL");
/* The sealed stream (seal.c); loaded on demand too, this only saves a wait. */
MODULE_SOFTDEP("pre: gcm");
