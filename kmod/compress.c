// SPDX-License-Identifier: GPL-2.0
/*
 * Chunk encoding: LZO compression and the CRC32C of the uncompressed data
 * (sender.c decides what to try); and the checked decoding on the
 * receiving side.
 * Pure logic apart from the kernel's LZO and CRC32C: also builds in userspace
 * (tests/fuzz/) through portable.h.
 */
#include <linux/crc32c.h>
#include <linux/lzo.h>

#include "compress.h"

u32 mig_crc32c(const void *data, size_t len)
{
	return crc32c(~0U, data, len);
}

int mig_codec_init(struct mig_codec *codec)
{
	codec->wrkmem = kvmalloc(LZO1X_1_MEM_COMPRESS, GFP_KERNEL);
	return codec->wrkmem ? 0 : -ENOMEM;
}

void mig_codec_destroy(struct mig_codec *codec)
{
	kvfree(codec->wrkmem);
	codec->wrkmem = NULL;
}

u32 mig_compress(struct mig_codec *codec, const void *data, u32 len, void *out)
{
	size_t clen = mig_lzo_worst(len);

	if (lzo1x_1_compress(data, len, out, &clen, codec->wrkmem) != LZO_E_OK)
		return len;
	return clen;
}

int mig_decode_chunk(const struct dm_migrate_chunk *c, const void *enc_data,
		     u32 enc_len, void *out, const char **why)
{
	u32 len = be32_to_cpu(c->data_len);
	size_t dlen = len;

	switch (c->encoding) {
	case DM_MIGRATE_ENC_ZERO:
		return 0;
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
