// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the receiver's chunk decoding (kmod/compress.c with the
 * kernel's own lib/lzo/ and lib/lz4/, and zstd), and the sender's encoding
 * round trip with each compressor.
 *
 * Input: a mode byte, then
 *   mode & 1 == 0: a geometry (fuzz_geom()), a struct dm_migrate_chunk,
 *     and the encoded bytes (the rest of the input), decoded as
 *     receive.c's apply_chunk() does: mig_wire_check_chunk() with the
 *     encodings of a connection that negotiated them (mode & 2) or not,
 *     then mig_decode_chunk() into a buffer of exactly data_len bytes.
 *   mode & 1 == 1: chunk data (the rest), encoded as the sender does with
 *     the compressor (mode >> 1) % 4 picks (LZO, LZ4, zstd, or none): zero
 *     check, mig_compress() into a buffer of mig_lzo_worst() bytes, RAW if
 *     that is not smaller; checked and decoded back, it must be accepted
 *     and come back identical.
 * Every buffer is allocated at its exact size, so that AddressSanitizer
 * sees any access past it (in the kernel's LZO, LZ4 and zstd too, which
 * are built with it).
 */
#include "compress.h"
#include "fuzz.h"

static struct mig_codec codec;
static struct mig_decoder dec;

int LLVMFuzzerTestOneInput(const u8 *data, size_t size);

static void decode(struct fuzz_in *in, u32 encs)
{
	struct mig_geom g = fuzz_geom(in);
	u32 chunk = mig_geom_chunk_bytes(&g);
	struct dm_migrate_chunk c;
	u32 enc_len, data_len;
	const char *why = NULL;
	u8 *enc, *out;
	int r;

	fuzz_take(in, &c, sizeof(c));
	if (in->left > mig_wire_max_payload(&g) - sizeof(c))
		return;		/* the header check refuses it first */
	enc_len = in->left;
	if (mig_wire_check_chunk(&c, enc_len, &g, encs, &why))
		return;
	FUZZ_CHECK(encs & DM_MIGRATE_HELLO_ENC(c.encoding));
	if (c.encoding == DM_MIGRATE_ENC_ZERO)
		return;		/* receive.c zeroes the range, no decoding */
	data_len = be32_to_cpu(c.data_len);
	FUZZ_CHECK(data_len && data_len <= chunk);
	if (c.encoding == DM_MIGRATE_ENC_LZ4 || c.encoding == DM_MIGRATE_ENC_ZSTD)
		FUZZ_CHECK(enc_len && enc_len < data_len);

	enc = malloc(enc_len ? enc_len : 1);
	out = malloc(data_len);
	FUZZ_CHECK(enc && out);
	memcpy(enc, in->p, enc_len);
	r = mig_decode_chunk(&dec, &c, enc, enc_len, out, &why);
	if (!r) {
		FUZZ_CHECK(mig_crc32c(out, data_len) == be32_to_cpu(c.crc32c));
		if (c.encoding == DM_MIGRATE_ENC_RAW)
			FUZZ_CHECK(!memcmp(out, enc, data_len));
	} else {
		FUZZ_CHECK(r == -EPROTO && why && *why);
	}
	free(enc);
	free(out);
}

static void round_trip(struct fuzz_in *in, u8 want)
{
	u32 len = in->left, enc_len = 0, crc = 0;
	struct dm_migrate_chunk c;
	const char *why = NULL;
	u8 *src, *enc, *out, e;

	if (!len)
		return;
	src = malloc(len);
	enc = malloc(mig_lzo_worst(len));
	out = malloc(len);
	FUZZ_CHECK(src && enc && out);
	memcpy(src, in->p, len);
	/* As kmod/sender.c's encode_chunk() does. */
	if (mig_chunk_zero(src, len)) {
		e = DM_MIGRATE_ENC_ZERO;
	} else {
		crc = mig_crc32c(src, len);
		enc_len = want == DM_MIGRATE_ENC_RAW ? len :
			  mig_compress(&codec, want, src, len, enc);
		FUZZ_CHECK(enc_len <= mig_lzo_worst(len));
		e = want;
		if (enc_len >= len) {
			e = DM_MIGRATE_ENC_RAW;
			enc_len = len;
			memcpy(enc, src, len);
		}
	}

	memset(&c, 0, sizeof(c));
	c.count = cpu_to_be32(1);
	c.data_len = cpu_to_be32(len);
	c.crc32c = cpu_to_be32(crc);
	c.encoding = e;
	if (e == DM_MIGRATE_ENC_ZERO)
		FUZZ_CHECK(!memchr_inv(src, 0, len) && !enc_len);
	else if (e != DM_MIGRATE_ENC_RAW)
		FUZZ_CHECK(enc_len && enc_len < len);

	/* What the sender makes, the receiver must take. */
	if (!(len & 511)) {
		struct mig_geom g = { .dev_sectors = len >> 9, .chunk_sectors = 8 };

		while (g.chunk_sectors < g.dev_sectors)
			g.chunk_sectors <<= 1;
		if (g.chunk_sectors <= DM_MIGRATE_MAX_CHUNK_SECTORS)
			FUZZ_CHECK(!mig_wire_check_chunk(&c, enc_len, &g,
							 MIG_ENC_KNOWN, &why));
	}
	if (e != DM_MIGRATE_ENC_ZERO) {
		FUZZ_CHECK(!mig_decode_chunk(&dec, &c, enc, enc_len, out, &why));
		FUZZ_CHECK(!memcmp(out, src, len));
	}
	free(src);
	free(enc);
	free(out);
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	static const u8 wants[] = {
		DM_MIGRATE_ENC_LZO, DM_MIGRATE_ENC_LZ4, DM_MIGRATE_ENC_ZSTD,
		DM_MIGRATE_ENC_RAW,
	};
	struct fuzz_in in = { data, size };
	u8 mode;

	if (!codec.lzo_mem) {
		/* The largest chunk: zstd's parameters suit every smaller one. */
		FUZZ_CHECK(!mig_codec_init(&codec, DM_MIGRATE_MAX_CHUNK_SECTORS << 9));
		FUZZ_CHECK(!mig_decoder_init(&dec));
	}
	mode = fuzz_u8(&in);
	if (mode & 1)
		round_trip(&in, wants[(mode >> 1) % ARRAY_SIZE(wants)]);
	else
		decode(&in, mode & 2 ? MIG_ENC_KNOWN : DM_MIGRATE_ENC_BASE);
	return 0;
}
