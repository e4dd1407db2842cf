/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared bits of the libFuzzer targets: reading fields off the input and
 * asserting invariants (a failed one aborts, which libFuzzer reports as a
 * crash and saves the input).
 */
#ifndef DM_MIGRATE_FUZZ_H
#define DM_MIGRATE_FUZZ_H

#include "wire.h"

#define FUZZ_CHECK(cond)						\
	do {								\
		if (!(cond)) {						\
			fprintf(stderr, "%s:%d: invariant failed: %s\n",	\
				__FILE__, __LINE__, #cond);		\
			abort();					\
		}							\
	} while (0)

struct fuzz_in {
	const u8 *p;
	size_t left;
};

/* Up to @len bytes into @dst, zero-filled past the end of the input. */
static inline void fuzz_take(struct fuzz_in *in, void *dst, size_t len)
{
	size_t n = len < in->left ? len : in->left;

	memcpy(dst, in->p, n);
	memset((u8 *)dst + n, 0, len - n);
	in->p += n;
	in->left -= n;
}

static inline u8 fuzz_u8(struct fuzz_in *in)
{
	u8 v;

	fuzz_take(in, &v, sizeof(v));
	return v;
}

static inline u64 fuzz_u64(struct fuzz_in *in)
{
	u64 v;

	fuzz_take(in, &v, sizeof(v));
	return v;
}

/*
 * A geometry the module can have: chunk_sectors a power of two from 8 to
 * 16384 (the table's limits), a volume of 1 to 2^54 - 1 sectors (a block
 * device's size in bytes is a loff_t); a byte picks the size's bit width
 * so that small and huge volumes are both common.
 */
static inline struct mig_geom fuzz_geom(struct fuzz_in *in)
{
	unsigned int shift = fuzz_u8(in) % 12, bits = 1 + fuzz_u8(in) % 54;
	struct mig_geom g;

	g.chunk_sectors = DM_MIGRATE_MIN_CHUNK_SECTORS << shift;
	g.dev_sectors = fuzz_u64(in) & ((1ULL << bits) - 1);
	if (!g.dev_sectors)
		g.dev_sectors = 1;
	return g;
}

#endif /* DM_MIGRATE_FUZZ_H */
