// SPDX-License-Identifier: GPL-2.0
/* Device-mapper devices, through libdevmapper (dmdev.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <libdevmapper.h>

#include "dmdev.h"
#include "err.h"

/* libdevmapper's own messages would repeat ours less clearly. */
static void quiet_log(int level, const char *file, int line, int dm_errno,
		      const char *f, ...)
{
	(void)level; (void)file; (void)line; (void)dm_errno; (void)f;
}

static struct dm_task *task_for(int type, const char *arg)
{
	struct dm_task *dmt;
	struct stat sb;
	bool ok;

	dm_log_with_errno_init(quiet_log);
	dmt = dm_task_create(type);
	if (!dmt)
		return NULL;
	if (strchr(arg, '/') && strncmp(arg, "/dev/mapper/", 12) &&
	    !stat(arg, &sb) && S_ISBLK(sb.st_mode))
		ok = dm_task_set_major_minor(dmt, major(sb.st_rdev),
					     minor(sb.st_rdev), 0);
	else
		ok = dm_task_set_name(dmt, arg);
	if (!ok) {
		dm_task_destroy(dmt);
		return NULL;
	}
	return dmt;
}

int mdm_dev_resolve(const char *arg, struct mdm_dev *dev)
{
	struct dm_task *dmt = task_for(DM_DEVICE_TABLE, arg);
	uint64_t start, length;
	char *type, *params;
	struct dm_info info;
	bool migrate = false;
	void *next = NULL;
	int r = MDM_EXIT_NODEV;

	if (access("/dev/mapper/control", R_OK | W_OK) && errno == EACCES) {
		mdm_err("%s: permission denied: device-mapper needs root (run migrate-dm as root)", arg);
		if (dmt)
			dm_task_destroy(dmt);
		return MDM_EXIT_ENV;
	}
	if (!dmt) {
		char ver[64];

		if (!dm_driver_version(ver, sizeof(ver))) {
			mdm_err("%s: device-mapper is not available in this kernel (modprobe dm_mod)", arg);
			return MDM_EXIT_ENV;
		}
		mdm_err("%s: not a device-mapper device name or path (dmsetup ls lists them)", arg);
		return MDM_EXIT_USAGE;
	}
	if (!dm_task_run(dmt)) {
		int e = dm_task_get_errno(dmt);

		if (e == EACCES || e == EPERM) {
			mdm_err("%s: permission denied: device-mapper needs root (run migrate-dm as root)", arg);
			r = MDM_EXIT_ENV;
		} else {
			mdm_err("%s: no such device-mapper device (dmsetup ls lists them)", arg);
		}
		goto out;
	}
	if (!dm_task_get_info(dmt, &info) || !info.exists) {
		mdm_err("%s: no such device-mapper device (dmsetup ls lists them)", arg);
		goto out;
	}
	do {
		next = dm_get_next_target(dmt, next, &start, &length, &type, &params);
		if (type && !strcmp(type, DM_MIGRATE_TARGET_NAME))
			migrate = true;
	} while (next);
	if (!migrate) {
		mdm_err("%s: not a migrate device: its table has no '%s' target (dmsetup table %s)",
			arg, DM_MIGRATE_TARGET_NAME, arg);
		goto out;
	}
	snprintf(dev->name, sizeof(dev->name), "%s", dm_task_get_name(dmt));
	dev->major = info.major;
	dev->minor = info.minor;
	r = MDM_EXIT_OK;
out:
	dm_task_destroy(dmt);
	return r;
}

int mdm_dev_suspend(const struct mdm_dev *dev, bool suspend)
{
	struct dm_task *dmt = task_for(suspend ? DM_DEVICE_SUSPEND : DM_DEVICE_RESUME,
				       dev->name);
	int r = MDM_EXIT_OK;

	if (!dmt || !dm_task_run(dmt)) {
		int e = dmt ? dm_task_get_errno(dmt) : ENOMEM;

		if (suspend)
			mdm_err("%s: cannot suspend the device: %s; nothing was handed off",
				dev->name, e ? strerror(e) : "device-mapper refused");
		else
			mdm_err("%s: cannot resume the device: %s; resume it with 'dmsetup resume %s'",
				dev->name, e ? strerror(e) : "device-mapper refused", dev->name);
		r = MDM_EXIT_FAILED;
	}
	if (dmt)
		dm_task_destroy(dmt);
	return r;
}
