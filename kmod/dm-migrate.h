/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dm-migrate internal definitions shared by the files of the module.
 *
 * Objects and lifetimes:
 *
 *  struct mig_target - one instance of the `migrate` target in one table.
 *	Lives from the constructor to the destructor of that table.
 *
 *  struct mig_dev - the tracking state of one mapped device: the dirty
 *	bitmap, the chunk geometry and the mode.  A reload creates a new
 *	table (and a new mig_target) while the old one is still live; both
 *	share the same mig_dev, found in a registry keyed by (mapped device,
 *	target start), so that tracking survives reloads.  A mig_dev is
 *	refcounted by the mig_targets that use it and freed with the last.
 */
#ifndef DM_MIGRATE_H
#define DM_MIGRATE_H

#include <linux/device-mapper.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/refcount.h>
#include <uapi/linux/dm-migrate.h>

#include "bitmap.h"

#define DM_MSG_PREFIX "migrate"

struct mig_dev {
	struct list_head list;		/* in the registry, under its mutex */
	refcount_t ref;
	struct mapped_device *md;	/* registry key, never dereferenced */
	sector_t begin;			/* registry key: ti->begin */
	dev_t origin;			/* the origin must not change on reload */

	unsigned int chunk_shift;	/* log2(chunk size in sectors) */
	/*
	 * The live bitmap.  Replaced only in preresume, when the device is
	 * suspended and no bio is between map and end_io, so the I/O path
	 * reads it without further synchronisation.
	 */
	struct mig_bitmap *bm;
	sector_t sectors;		/* size the bitmap covers */
	enum dm_migrate_mode mode;
	/* Serialises status and messages against bitmap replacement. */
	struct mutex lock;
};

struct mig_target {
	struct dm_target *ti;
	struct dm_dev *origin;
	struct mig_dev *dev;
	/* A larger bitmap for a grown table, installed in preresume. */
	struct mig_bitmap *grown;
};

/* Per-bio data, for every bio the target maps. */
struct mig_io {
	u64 first_chunk;
	u64 last_chunk;
	bool tracked;
};

/* device.c */
struct mig_dev *mig_dev_get(struct dm_target *ti, dev_t origin,
			    unsigned int chunk_shift, char **error);
void mig_dev_put(struct mig_dev *dev);
struct mig_bitmap *mig_bitmap_alloc(u64 nbits);
void mig_bitmap_free(struct mig_bitmap *bm);

static inline u64 mig_chunks(sector_t sectors, unsigned int chunk_shift)
{
	return DIV_ROUND_UP_SECTOR_T(sectors, 1ULL << chunk_shift);
}

/* target.c */
int mig_target_register(void);
void mig_target_unregister(void);

#endif /* DM_MIGRATE_H */
