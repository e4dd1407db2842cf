// SPDX-License-Identifier: GPL-2.0
/*
 * CRC32C (Castagnoli, reflected polynomial 0x82f63b78) for userspace
 * builds: crc32c() as the kernel's (the caller's seed, no final inversion),
 * and mig_crc32c() as the protocol defines it, crc32c(~0, ...).  The latter
 * is weak: a build that links kmod/compress.c uses the module's own.
 */
#include "wire.h"

u32 crc32c(u32 crc, const void *data, unsigned int len)
{
	static u32 table[256];
	const u8 *p = data;
	unsigned int i;

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

__attribute__((weak)) u32 mig_crc32c(const void *data, size_t len)
{
	return crc32c(~0U, data, len);
}
