/* SPDX-License-Identifier: GPL-2.0 */
/* Chunk encoding and decoding (compress.c). */
#ifndef DM_MIGRATE_COMPRESS_H
#define DM_MIGRATE_COMPRESS_H

#include <linux/zstd.h>

#include "wire.h"

/* A sender worker's compressors (their work memory). */
struct mig_codec {
	void *lzo_mem;
	void *lz4_mem;
	void *zstd_mem;
	zstd_cctx *cctx;		/* in zstd_mem */
	zstd_parameters zparams;
};

/* A receiver's decoders. */
struct mig_decoder {
	void *zstd_mem;
	zstd_dctx *dctx;		/* in zstd_mem */
};

/*
 * The compressors of one worker, for chunks of at most @chunk_bytes:
 * about 60 KiB and zstd's context (level 1: some 150 KiB to 1.3 MiB from
 * 4 KiB to 8 MiB chunks).  Destroy even after a failure.
 */
int mig_codec_init(struct mig_codec *codec, u32 chunk_bytes);
void mig_codec_destroy(struct mig_codec *codec);

/* A chunk of zeroes: sent as ENC_ZERO, without data. */
static inline bool mig_chunk_zero(const void *data, u32 len)
{
	return !memchr_inv(data, 0, len);
}

/*
 * Compress a chunk of @len bytes with @enc (LZO, LZ4 or ZSTD) into @out,
 * which holds mig_lzo_worst(@len) bytes.  Returns the compressed length;
 * @len or more when it is not smaller (the chunk then goes RAW).
 */
u32 mig_compress(struct mig_codec *codec, u8 enc, const void *data, u32 len,
		 void *out);

/* The decoders' state (zstd's context, ~160 KiB).  Destroy even after a failure. */
int mig_decoder_init(struct mig_decoder *dec);
void mig_decoder_destroy(struct mig_decoder *dec);

/*
 * Decode a CHUNK already checked by mig_wire_check_chunk() into @out
 * (data_len bytes: no decoder writes more) and verify its CRC.  Not for
 * ENC_ZERO (no data).  -EPROTO with a reason in *@why.
 */
int mig_decode_chunk(struct mig_decoder *dec, const struct dm_migrate_chunk *c,
		     const void *enc_data, u32 enc_len, void *out,
		     const char **why);

#endif /* DM_MIGRATE_COMPRESS_H */
