// SPDX-License-Identifier: GPL-2.0
/*
 * Wire codec.  Pure logic: builds in the kernel and in userspace
 * (tests/unit/, tests/fuzz/) through portable.h.
 */
#include "wire.h"

u32 mig_chunk_len(const struct mig_geom *g, u64 index)
{
	u64 start = index * g->chunk_sectors;
	u64 left = g->dev_sectors - start;

	return (u32)((left < g->chunk_sectors ? left : g->chunk_sectors) << 9);
}

u32 mig_piece_valid(const struct mig_geom *g, u64 index)
{
	u32 subs = mig_geom_subs(g), sub = mig_geom_sub_sectors(g) << 9;
	u32 n = DIV_ROUND_UP(mig_chunk_len(g, index), sub);

	return n >= subs ? (u32)((1ULL << subs) - 1) : (1U << n) - 1;
}

u32 mig_piece_len(const struct mig_geom *g, u64 index, u32 mask)
{
	u32 sub = mig_geom_sub_sectors(g) << 9, chunk = mig_chunk_len(g, index);
	u32 len = 0, n;

	mask &= mig_piece_valid(g, index);
	while (mask) {
		n = __ffs(mask);
		mask &= mask - 1;
		len += min(sub, chunk - n * sub);
	}
	return len;
}

void mig_wire_hdr(struct dm_migrate_hdr *h, u8 type, u32 len, u64 seq)
{
	memset(h, 0, sizeof(*h));
	h->magic = cpu_to_be32(DM_MIGRATE_MAGIC);
	h->version = DM_MIGRATE_PROTO_VERSION;
	h->type = type;
	h->len = cpu_to_be32(len);
	h->seq = cpu_to_be64(seq);
}

static int bad(const char **why, const char *reason)
{
	*why = reason;
	return -EPROTO;
}

int mig_wire_check_hdr(const struct dm_migrate_hdr *h, bool authed,
		       u32 max_payload, const char **why)
{
	u32 len = be32_to_cpu(h->len);

	if (be32_to_cpu(h->magic) != DM_MIGRATE_MAGIC)
		return bad(why, "bad magic");
	if (h->version != DM_MIGRATE_PROTO_VERSION)
		return bad(why, "unsupported protocol version");
	if (h->flags || h->reserved)
		return bad(why, "reserved header fields set");
	if (len > max_payload)
		return bad(why, "message too long");

	switch (h->type) {
	case DM_MIGRATE_MSG_HELLO:
		if (authed)
			return bad(why, "HELLO after the handshake");
		if (len != sizeof(struct dm_migrate_hello))
			return bad(why, "HELLO of wrong length");
		return 0;
	case DM_MIGRATE_MSG_AUTH:
		if (authed)
			return bad(why, "AUTH after the handshake");
		if (len != sizeof(struct dm_migrate_auth))
			return bad(why, "AUTH of wrong length");
		return 0;
	case DM_MIGRATE_MSG_ERROR:
		if (len != sizeof(struct dm_migrate_error))
			return bad(why, "ERROR of wrong length");
		return 0;
	case DM_MIGRATE_MSG_CHUNK:
	case DM_MIGRATE_MSG_WRITE:
	case DM_MIGRATE_MSG_PIECE:
		if (!authed)
			return bad(why, "data before authentication");
		if (len < (h->type == DM_MIGRATE_MSG_CHUNK ?
			   sizeof(struct dm_migrate_chunk) :
			   h->type == DM_MIGRATE_MSG_PIECE ?
			   sizeof(struct dm_migrate_piece) :
			   sizeof(struct dm_migrate_write)))
			return bad(why, "data message too short");
		return 0;
	case DM_MIGRATE_MSG_FLUSH:
	case DM_MIGRATE_MSG_HANDOFF:
	case DM_MIGRATE_MSG_ACK:
		if (!authed)
			return bad(why, "control message before authentication");
		if (len)
			return bad(why, "control message with a payload");
		return 0;
	default:
		return bad(why, "unknown message type");
	}
}

int mig_wire_check_hello(const struct dm_migrate_hello *hello, bool from_source,
			 const struct mig_geom *g, const char **why)
{
	static const u8 none[DM_MIGRATE_SESSION_LEN];
	u64 gen = be64_to_cpu(hello->generation);

	if (from_source && (!gen || !memcmp(hello->session, none, sizeof(none))))
		return bad(why, "HELLO names no session");
	if (!from_source && (gen || memcmp(hello->session, none, sizeof(none))))
		return bad(why, "destination HELLO with a session");
	if (be64_to_cpu(hello->dev_sectors) != g->dev_sectors)
		return bad(why, "volume sizes differ");
	if (be32_to_cpu(hello->chunk_sectors) != g->chunk_sectors)
		return bad(why, "chunk sizes differ");
	return 0;
}

int mig_wire_check_auth(const struct dm_migrate_auth *auth, bool from_source,
			const char **why)
{
	u32 verdict = be32_to_cpu(auth->verdict);

	if (auth->pad)
		return bad(why, "AUTH padding not zero");
	if (verdict >= __DM_MIGRATE_VERDICT_MAX || (from_source && verdict))
		return bad(why, "AUTH with an unknown verdict");
	return 0;
}

void mig_wire_sanitize(char *text, size_t size)
{
	size_t i;

	text[size - 1] = '\0';
	for (i = 0; text[i]; i++)
		if (text[i] < 0x20 || text[i] > 0x7e)
			text[i] = '?';
}

/* The encoding of a CHUNK or PIECE of @data_len bytes, and its length. */
static int check_encoded(u8 encoding, u32 enc_len, u32 data_len, __be32 crc,
			 u32 encs, const char **why)
{
	if (encoding >= __DM_MIGRATE_ENC_MAX)
		return bad(why, "unknown chunk encoding");
	if (!(encs & DM_MIGRATE_HELLO_ENC(encoding)))
		return bad(why, "chunk encoding not negotiated on this connection");

	switch (encoding) {
	case DM_MIGRATE_ENC_RAW:
		if (enc_len != data_len)
			return bad(why, "raw chunk of wrong length");
		return 0;
	case DM_MIGRATE_ENC_LZO:
		if (!enc_len || enc_len > mig_lzo_worst(data_len))
			return bad(why, "compressed chunk of impossible length");
		return 0;
	case DM_MIGRATE_ENC_ZERO:
		if (enc_len || crc)
			return bad(why, "zero chunk with data");
		return 0;
	default:
		/* LZ4, ZSTD: sent only when smaller than the data. */
		if (!enc_len || enc_len >= data_len)
			return bad(why, "compressed chunk of impossible length");
		return 0;
	}
}

int mig_wire_check_chunk(const struct dm_migrate_chunk *c, u32 enc_len,
			 const struct mig_geom *g, u32 encs, const char **why)
{
	u64 index = be64_to_cpu(c->index);
	u32 count = be32_to_cpu(c->count);
	u32 data_len = be32_to_cpu(c->data_len);
	u64 nchunks = mig_geom_chunks(g);

	if (c->pad[0] || c->pad[1] || c->pad[2])
		return bad(why, "CHUNK padding not zero");
	if (!count || index >= nchunks || count > nchunks - index)
		return bad(why, "chunk index out of range");
	if (count > 1 && c->encoding != DM_MIGRATE_ENC_ZERO)
		return bad(why, "several chunks in one non-zero CHUNK");
	/* For a run, data_len describes its first chunk. */
	if (data_len != mig_chunk_len(g, index))
		return bad(why, "chunk length does not match the chunk");
	return check_encoded(c->encoding, enc_len, data_len, c->crc32c, encs, why);
}

int mig_wire_check_piece(const struct dm_migrate_piece *p, u32 enc_len,
			 const struct mig_geom *g, u32 encs, const char **why)
{
	u64 index = be64_to_cpu(p->index);
	u32 mask = be32_to_cpu(p->mask);

	if (p->pad[0] || p->pad[1] || p->pad[2])
		return bad(why, "PIECE padding not zero");
	if (!(encs & DM_MIGRATE_HELLO_PIECE))
		return bad(why, "PIECE not negotiated on this connection");
	if (index >= mig_geom_chunks(g))
		return bad(why, "chunk index out of range");
	if (mig_geom_subs(g) < 2)
		return bad(why, "PIECE for chunks without sub-blocks");
	if (!mask)
		return bad(why, "PIECE with an empty mask");
	if (mask & ~mig_piece_valid(g, index))
		return bad(why, "PIECE mask beyond the chunk");
	if (be32_to_cpu(p->data_len) != mig_piece_len(g, index, mask))
		return bad(why, "PIECE length does not match its mask");
	return check_encoded(p->encoding, enc_len, be32_to_cpu(p->data_len),
			     p->crc32c, encs, why);
}

int mig_wire_check_write(const struct dm_migrate_write *w, u32 data_len,
			 const struct mig_geom *g, const char **why)
{
	u64 sector = be64_to_cpu(w->sector);
	u32 len = be32_to_cpu(w->data_len);

	if (w->pad || (be32_to_cpu(w->flags) &
		       ~(DM_MIGRATE_WRITE_FUA | DM_MIGRATE_WRITE_PREFLUSH)))
		return bad(why, "WRITE reserved fields set");
	if (len != data_len || !len || (len & 511))
		return bad(why, "WRITE of wrong length");
	if (len > mig_geom_chunk_bytes(g))
		return bad(why, "WRITE longer than a chunk");
	if (sector >= g->dev_sectors || (len >> 9) > g->dev_sectors - sector)
		return bad(why, "WRITE beyond the end of the volume");
	return 0;
}
