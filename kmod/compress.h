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

/*
 * Encode one chunk of @len bytes.  @out must hold mig_lzo_worst(@len)
 * bytes.  A chunk of zeroes becomes ENC_ZERO with no data; otherwise LZO
 * if it makes the chunk smaller, else RAW.
 */
void mig_encode_chunk(struct mig_codec *codec, const void *data, u32 len,
		      void *out, u32 *out_len, u8 *enc, u32 *crc);

/*
 * Decode a CHUNK already checked by mig_wire_check_chunk() into @out
 * (data_len bytes) and verify its CRC.  Not for ENC_ZERO data (none).
 */
int mig_decode_chunk(const struct dm_migrate_chunk *c, const void *enc_data,
		     u32 enc_len, void *out, const char **why);

#endif /* DM_MIGRATE_COMPRESS_H */
