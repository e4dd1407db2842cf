/* SPDX-License-Identifier: GPL-2.0 */
/* Chunk encoding and decoding (compress.c). */
#ifndef DM_MIGRATE_COMPRESS_H
#define DM_MIGRATE_COMPRESS_H

#include "wire.h"

/* Per-worker compression state. */
struct mig_codec {
	void *wrkmem;
};

int mig_codec_init(struct mig_codec *codec);
void mig_codec_destroy(struct mig_codec *codec);

/* A chunk of zeroes: sent as ENC_ZERO, without data. */
static inline bool mig_chunk_zero(const void *data, u32 len)
{
	return !memchr_inv(data, 0, len);
}

/*
 * LZO-compress a chunk of @len bytes into @out, which holds
 * mig_lzo_worst(@len) bytes.  Returns the compressed length: sent as
 * ENC_LZO only when less than @len (else the chunk goes RAW).
 */
u32 mig_compress(struct mig_codec *codec, const void *data, u32 len, void *out);

/*
 * Decode a CHUNK already checked by mig_wire_check_chunk() into @out
 * (data_len bytes) and verify its CRC.  Not for ENC_ZERO data (none).
 */
int mig_decode_chunk(const struct dm_migrate_chunk *c, const void *enc_data,
		     u32 enc_len, void *out, const char **why);

#endif /* DM_MIGRATE_COMPRESS_H */
