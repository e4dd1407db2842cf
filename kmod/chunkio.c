// SPDX-License-Identifier: GPL-2.0
/*
 * Synchronous block I/O between a vmalloc'ed buffer and a block device:
 * the source reads chunks from its origin, the destination writes them.
 * Bios come from the engine's own bio_set, so that chunk I/O never waits
 * for bios that the I/O it serves holds.
 */
#include <linux/bio.h>
#include <linux/blkdev.h>
#include <linux/highmem.h>
#include <linux/vmalloc.h>

#include "dm-migrate.h"
#include "chunkio.h"

int mig_bdev_rw(struct block_device *bdev, struct bio_set *bs, sector_t sector,
		void *buf, u32 len, blk_opf_t opf)
{
	bool write = op_is_write(opf & REQ_OP_MASK);
	u32 done = 0;
	int r = 0;

	/* Pages are taken one by one: a page-aligned vmalloc'd buffer only. */
	if (WARN_ON_ONCE(!is_vmalloc_addr(buf) || offset_in_page(buf)))
		return -EINVAL;
	if (write)
		flush_kernel_vmap_range(buf, len);
	while (done < len && !r) {
		u32 n = min_t(u32, len - done, BIO_MAX_VECS * PAGE_SIZE);
		struct bio *bio = bio_alloc_bioset(bdev, DIV_ROUND_UP(n, PAGE_SIZE),
						   opf, GFP_NOIO, bs);
		u32 off;

		bio->bi_iter.bi_sector = sector + (done >> 9);
		for (off = 0; off < n; off += PAGE_SIZE) {
			void *p = buf + done + off;
			u32 plen = min_t(u32, n - off, PAGE_SIZE);

			if (bio_add_page(bio, vmalloc_to_page(p), plen,
					 offset_in_page(p)) != plen) {
				r = -EIO;
				break;
			}
		}
		if (!r)
			r = submit_bio_wait(bio);
		bio_put(bio);
		done += n;
	}
	if (!write)
		invalidate_kernel_vmap_range(buf, len);
	return r;
}
