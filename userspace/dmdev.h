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

/*
 * Create @name with one migrate target over @origin: @sectors long,
 * @chunk_sectors chunks, the 'receive' feature when @receive; @uuid marks
 * who made it.  Waits for udev's /dev/mapper node.  Prints why not.
 */
int mdm_dev_create(const char *name, const char *uuid, const char *origin,
		   uint64_t sectors, uint32_t chunk_sectors, bool receive);
/* Remove @name; prints why not. */
int mdm_dev_remove(const char *name);
/* A device-mapper uuid, its NUL included (DM_UUID_LEN). */
#define MDM_UUID_LEN	129

/* 1 and its uuid and open count when @name exists, 0 when not, < 0: error. */
int mdm_dev_info(const char *name, char *uuid, size_t len, int *open_count);
/* Call @fn with the name of every device whose uuid starts with @prefix. */
int mdm_dev_each_uuid(const char *prefix, void (*fn)(const char *name, void *arg),
		      void *arg);
/* Size in bytes of the block device at @path; -errno. */
int mdm_blockdev_size(const char *path, uint64_t *bytes);

#endif /* MIGRATE_DM_DMDEV_H */
