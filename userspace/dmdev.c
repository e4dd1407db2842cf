// SPDX-License-Identifier: GPL-2.0
/* Device-mapper devices, through libdevmapper (dmdev.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <linux/fs.h>
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

/*
 * A path (/dev/mapper/NAME, /dev/vg/lv, a symlink) is the device it names:
 * looked up by its device number, not by its basename, which need not be
 * the kernel's name (a renamed device, a private /dev/mapper in another
 * mount namespace).  A plain name is a kernel name.
 */
static struct dm_task *task_for(int type, const char *arg)
{
	struct dm_task *dmt;
	struct stat sb;
	bool ok;

	dm_log_with_errno_init(quiet_log);
	dmt = dm_task_create(type);
	if (!dmt)
		return NULL;
	if (type != DM_DEVICE_CREATE && strchr(arg, '/') &&
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

/* Run @dmt with a udev cookie: /dev/mapper is up to date when it returns. */
static bool run_synced(struct dm_task *dmt)
{
	uint32_t cookie = 0;
	bool ok;

	if (!dm_task_set_cookie(dmt, &cookie, 0))
		return dm_task_run(dmt);
	ok = dm_task_run(dmt);
	dm_udev_wait(cookie);
	return ok;
}

int mdm_dev_create(const char *name, const char *uuid, const char *origin,
		   uint64_t sectors, uint32_t chunk_sectors, bool receive)
{
	struct dm_task *dmt = task_for(DM_DEVICE_CREATE, name);
	char params[512];
	int r = MDM_EXIT_OK;

	snprintf(params, sizeof(params), "%s %u%s", origin, chunk_sectors,
		 receive ? " 1 receive" : "");
	if (!dmt || (uuid && !dm_task_set_uuid(dmt, uuid)) ||
	    !dm_task_add_target(dmt, 0, sectors, DM_MIGRATE_TARGET_NAME, params) ||
	    !run_synced(dmt)) {
		int e = dmt ? dm_task_get_errno(dmt) : ENOMEM;

		mdm_err("%s: cannot create the device over %s: %s (dmesg may say more; is dm-migrate loaded?)",
			name, origin, e ? strerror(e) : "device-mapper refused the table");
		r = e == EACCES || e == EPERM ? MDM_EXIT_ENV : MDM_EXIT_FAILED;
	}
	if (dmt)
		dm_task_destroy(dmt);
	return r;
}

int mdm_dev_remove(const char *name)
{
	struct dm_task *dmt = task_for(DM_DEVICE_REMOVE, name);
	int r = MDM_EXIT_OK;

	if (!dmt || !run_synced(dmt)) {
		int e = dmt ? dm_task_get_errno(dmt) : ENOMEM;

		mdm_err("%s: cannot remove the device: %s (is it open? dmsetup info %s)",
			name, e ? strerror(e) : "device-mapper refused", name);
		r = MDM_EXIT_FAILED;
	}
	if (dmt)
		dm_task_destroy(dmt);
	return r;
}

int mdm_dev_info(const char *name, char *uuid, size_t len, int *open_count)
{
	struct dm_task *dmt = task_for(DM_DEVICE_INFO, name);
	struct dm_info info;
	const char *u;
	int r = -1;

	if (!dmt || !dm_task_run(dmt) || !dm_task_get_info(dmt, &info))
		goto out;
	r = info.exists ? 1 : 0;
	if (r) {
		u = dm_task_get_uuid(dmt);
		snprintf(uuid, len, "%s", u ? u : "");
		*open_count = info.open_count;
	}
out:
	if (dmt)
		dm_task_destroy(dmt);
	return r;
}

int mdm_dev_each_uuid(const char *prefix, void (*fn)(const char *name, void *arg),
		      void *arg)
{
	struct dm_task *dmt;
	struct dm_names *names;
	char uuid[MDM_UUID_LEN];
	unsigned int next = 0;
	int open_count;

	dm_log_with_errno_init(quiet_log);
	dmt = dm_task_create(DM_DEVICE_LIST);
	if (!dmt || !dm_task_run(dmt) || !(names = dm_task_get_names(dmt))) {
		mdm_err("cannot list device-mapper devices (run as root; modprobe dm_mod)");
		if (dmt)
			dm_task_destroy(dmt);
		return MDM_EXIT_ENV;
	}
	if (names->dev) {
		do {
			names = (struct dm_names *)((char *)names + next);
			if (mdm_dev_info(names->name, uuid, sizeof(uuid), &open_count) == 1 &&
			    !strncmp(uuid, prefix, strlen(prefix)))
				fn(names->name, arg);
			next = names->next;
		} while (next);
	}
	dm_task_destroy(dmt);
	return 0;
}

int mdm_blockdev_size(const char *path, uint64_t *bytes)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), e;

	if (fd < 0)
		return -errno;
	e = ioctl(fd, BLKGETSIZE64, bytes) ? -errno : 0;
	close(fd);
	return e;
}
