/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The registry of tracked devices (device.c): a struct mig_dev per mapped
 * device and target start, shared by the tables of successive reloads.
 */
#ifndef DM_MIGRATE_DEVICE_H
#define DM_MIGRATE_DEVICE_H

#include "dm-migrate.h"

/* For a table's constructor: @receive is the mode of a new device. */
struct mig_dev *mig_dev_get(struct dm_target *ti, dev_t origin,
			    unsigned int chunk_shift, bool receive, char **error);
void mig_dev_put(struct mig_dev *dev);
/* For netlink: found by mapped device, or the @idx-th; referenced. */
struct mig_dev *mig_dev_lookup(struct mapped_device *md);
struct mig_dev *mig_dev_nth(unsigned long idx);
void mig_dev_release(struct mig_dev *dev);

struct mig_bitmap *mig_bitmap_alloc(u64 nbits, unsigned int chunk_shift);
void mig_bitmap_free(struct mig_bitmap *bm);

#endif /* DM_MIGRATE_DEVICE_H */
