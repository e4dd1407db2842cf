// SPDX-License-Identifier: GPL-2.0
/*
 * Chunk encoding: LZO, LZ4 or zstd compression and the CRC32C of the
 * uncompressed data (sender.c decides what to try); and the checked
 * decoding on the receiving side, every decoder bounded to the chunk.
 * Pure logic apart from the kernel's compressors and CRC32C: also builds
 * in userspace (tests/fuzz/) through portable.h and the fuzzers' shims.
 */
#include <linux/crc32c.h>
#include <linux/lz4.h>
#include <linux/lzo.h>
#include <linux/zstd.h>

#include "compress.h"

/* Fast: auto picks zstd for links slower than the CPU, not for ratio alone. */
#define MIG_ZSTD_LEVEL	1

u32 mig_crc32c(const void *data, size_t len)
{
	return crc32c(~0U, data, len);
}

/*
 * The work area zstd needs for @p: that of its compression parameters,
 * the first member of zstd_parameters (ZSTD_parameters in zstd_lib.h, the
 * frame parameters after it), whose CamelCase name kernel style keeps
 * out of our code: a pointer to the whole is one to it.
 */
static size_t zstd_workspace(const zstd_parameters *p)
{
	return zstd_cctx_workspace_bound((const zstd_compression_parameters *)p);
}

int mig_codec_init(struct mig_codec *codec, u32 chunk_bytes)
{
	size_t zsize;

	memset(codec, 0, sizeof(*codec));
	codec->zparams = zstd_get_params(MIG_ZSTD_LEVEL, chunk_bytes);
	zsize = zstd_workspace(&codec->zparams);
	codec->lzo_mem = kvmalloc(LZO1X_1_MEM_COMPRESS, GFP_KERNEL);
	codec->lz4_mem = kvmalloc(LZ4_MEM_COMPRESS, GFP_KERNEL);
	codec->zstd_mem = kvmalloc(zsize, GFP_KERNEL);
	if (!codec->lzo_mem || !codec->lz4_mem || !codec->zstd_mem)
		return -ENOMEM;
	codec->cctx = zstd_init_cctx(codec->zstd_mem, zsize);
	return codec->cctx ? 0 : -EINVAL;
}

void mig_codec_destroy(struct mig_codec *codec)
{
	kvfree(codec->lzo_mem);
	kvfree(codec->lz4_mem);
	kvfree(codec->zstd_mem);
	memset(codec, 0, sizeof(*codec));
}

u32 mig_compress(struct mig_codec *codec, u8 enc, const void *data, u32 len,
		 void *out)
{
	size_t clen = mig_lzo_worst(len);
	int n;

	switch (enc) {
	case DM_MIGRATE_ENC_LZO:
		if (lzo1x_1_compress(data, len, out, &clen, codec->lzo_mem) != LZO_E_OK)
			return len;
		return clen;
	case DM_MIGRATE_ENC_LZ4:
		/* Room for less than @len only: it gives up when it would not fit. */
		n = LZ4_compress_default(data, out, len, len - 1, codec->lz4_mem);
		return n > 0 ? n : len;
	case DM_MIGRATE_ENC_ZSTD:
		clen = zstd_compress_cctx(codec->cctx, out, len - 1, data, len,
					  &codec->zparams);
		return zstd_is_error(clen) ? len : clen;
	default:
		return len;
	}
}

int mig_decoder_init(struct mig_decoder *dec)
{
	size_t size = zstd_dctx_workspace_bound();

	dec->zstd_mem = kvmalloc(size, GFP_KERNEL);
	if (!dec->zstd_mem)
		return -ENOMEM;
	dec->dctx = zstd_init_dctx(dec->zstd_mem, size);
	return dec->dctx ? 0 : -EINVAL;
}

void mig_decoder_destroy(struct mig_decoder *dec)
{
	kvfree(dec->zstd_mem);
	dec->zstd_mem = NULL;
	dec->dctx = NULL;
}

int mig_decode_chunk(struct mig_decoder *dec, const struct dm_migrate_chunk *c,
		     const void *enc_data, u32 enc_len, void *out,
		     const char **why)
{
	u32 len = be32_to_cpu(c->data_len);
	size_t dlen = len;

	/* Every decoder writes at most @len bytes to @out, and must fill them. */
	switch (c->encoding) {
	case DM_MIGRATE_ENC_RAW:
		memcpy(out, enc_data, len);
		break;
	case DM_MIGRATE_ENC_LZO:
		if (lzo1x_decompress_safe(enc_data, enc_len, out, &dlen) != LZO_E_OK ||
		    dlen != len) {
			*why = "corrupt LZO stream";
			return -EPROTO;
		}
		break;
	case DM_MIGRATE_ENC_LZ4:
		if (LZ4_decompress_safe(enc_data, out, enc_len, len) != (int)len) {
			*why = "corrupt LZ4 block";
			return -EPROTO;
		}
		break;
	case DM_MIGRATE_ENC_ZSTD:
		dlen = zstd_decompress_dctx(dec->dctx, out, len, enc_data, enc_len);
		if (zstd_is_error(dlen) || dlen != len) {
			*why = "corrupt zstd frame";
			return -EPROTO;
		}
		break;
	default:
		*why = "unknown chunk encoding";
		return -EPROTO;
	}
	if (mig_crc32c(out, len) != be32_to_cpu(c->crc32c)) {
		*why = "chunk CRC mismatch";
		return -EPROTO;
	}
	return 0;
}
