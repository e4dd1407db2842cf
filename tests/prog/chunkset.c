// SPDX-License-Identifier: GPL-2.0
/*
 * chunkset: compute which chunks a list of writes touches, in the compact
 * form the target's `dirty_ranges` message prints.  It uses the module's
 * own bitmap code (kmod/bitmap.c) built for userspace.
 *
 * Usage: chunkset CHUNK_BYTES DEVICE_BYTES < "offset length" lines (bytes)
 */
#include "bitmap.h"

int main(int argc, char **argv)
{
	unsigned long long chunk, size, off, len;
	struct mig_bitmap bm;
	size_t bufsz = 1 << 24;
	char *buf;

	if (argc != 3) {
		fprintf(stderr, "usage: chunkset CHUNK_BYTES DEVICE_BYTES < writes\n");
		return 2;
	}
	chunk = strtoull(argv[1], NULL, 0);
	size = strtoull(argv[2], NULL, 0);
	if (!chunk || mig_bitmap_init(&bm, DIV_ROUND_UP(size, chunk)))
		return 2;
	while (scanf("%llu %llu", &off, &len) == 2)
		if (len)
			mig_bitmap_set_range(&bm, off / chunk, (off + len - 1) / chunk);
	buf = malloc(bufsz);
	if (!buf)
		return 2;
	mig_bitmap_format_ranges(&bm, 0, ~0U, buf, bufsz);
	printf("%s\n", buf);
	printf("%llu\n", (unsigned long long)mig_bitmap_dirty(&bm));
	free(buf);
	mig_bitmap_destroy(&bm);
	return 0;
}
