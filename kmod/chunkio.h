/* SPDX-License-Identifier: GPL-2.0 */
/* Synchronous reads and writes of a volume's chunks (chunkio.c). */
#ifndef DM_MIGRATE_CHUNKIO_H
#define DM_MIGRATE_CHUNKIO_H

#include <linux/blkdev.h>

int mig_bdev_rw(struct block_device *bdev, struct bio_set *bs, sector_t sector,
		void *buf, u32 len, blk_opf_t opf);

#endif /* DM_MIGRATE_CHUNKIO_H */
