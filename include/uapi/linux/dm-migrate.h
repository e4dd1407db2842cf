/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * dm-migrate: live migration of block devices between share-nothing hosts.
 *
 * This header is shared by the kernel module (kmod/), the userspace tools
 * (userspace/) and the tests.  It holds every constant that is visible to
 * userspace: the device-mapper table limits and the names of the modes that
 * `dmsetup status` reports.  Later additions (the wire protocol and the
 * generic netlink family) live here too, so that there is one place that
 * defines the ABI.
 */
#ifndef _UAPI_LINUX_DM_MIGRATE_H
#define _UAPI_LINUX_DM_MIGRATE_H

/* Name of the device-mapper target type, as used in a table line. */
#define DM_MIGRATE_TARGET_NAME		"migrate"

/*
 * Chunk size limits, in 512-byte sectors.  The chunk is the unit of dirty
 * tracking and of transfer; it must be a power of two between 4 KiB and
 * 8 MiB.
 */
#define DM_MIGRATE_MIN_CHUNK_SECTORS	8U	/* 4 KiB */
#define DM_MIGRATE_MAX_CHUNK_SECTORS	16384U	/* 8 MiB */

/*
 * Modes of a migrate target.  The first word of the INFO status line is the
 * mode's name, as listed in dm_migrate_mode_names below.
 *
 * DM_MIGRATE_MODE_TRACKING: pass-through; every write, discard and
 *	write-zeroes marks the chunks it touches as dirty.
 */
enum dm_migrate_mode {
	DM_MIGRATE_MODE_TRACKING = 0,
	__DM_MIGRATE_MODE_MAX,
};

#endif /* _UAPI_LINUX_DM_MIGRATE_H */
