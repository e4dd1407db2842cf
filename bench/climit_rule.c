// SPDX-License-Identifier: GPL-2.0
/* The wire rule of climit (climit.h): pure. */
#include "climit.h"

void climit_add_zero(struct climit_acc *a)
{
	a->chunks++;
	a->zero_chunks++;
	/* A CHUNK's count is 32 bits: a longer run takes another message. */
	if (a->run && a->run < UINT32_MAX) {
		a->run++;
		return;
	}
	a->run = 1;
	a->msgs++;
	a->wire += CLIMIT_MSG_BYTES;
}

void climit_add_data(struct climit_acc *a, uint32_t len, size_t clen)
{
	bool packed = clen && clen < len;

	a->chunks++;
	a->run = 0;
	a->msgs++;
	a->packed += packed;
	a->wire += CLIMIT_MSG_BYTES + (packed ? clen : len);
}

uint64_t climit_link_bytes(uint64_t wire, uint32_t mss, uint32_t hdr)
{
	return wire + (wire + mss - 1) / mss * hdr;
}
