// SPDX-License-Identifier: GPL-2.0
/*
 * mig_crc32c() for userspace builds: CRC32C (Castagnoli, reflected
 * polynomial 0x82f63b78), seed ~0, no final inversion, as the kernel's
 * crc32c(~0, ...) computes it.
 */
#include "wire.h"

u32 mig_crc32c(const void *data, size_t len)
{
	static u32 table[256];
	const u8 *p = data;
	u32 crc = ~0U;
	size_t i;

	if (!table[1]) {
		for (i = 0; i < 256; i++) {
			u32 c = i;
			int k;

			for (k = 0; k < 8; k++)
				c = (c >> 1) ^ (c & 1 ? 0x82f63b78U : 0);
			table[i] = c;
		}
	}
	for (i = 0; i < len; i++)
		crc = table[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
	return crc;
}
