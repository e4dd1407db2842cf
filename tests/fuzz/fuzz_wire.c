// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the wire codec's checks (kmod/wire.c) on arbitrary
 * bytes, and the invariants the module relies on when they accept.
 *
 * Input: a mode byte, a geometry (fuzz_geom()), then the message fields.
 *   mode & 7: 0 header, 1 HELLO, 2 CHUNK, 3 WRITE, 4 AUTH, 5 a peer's
 *             ERROR text (mig_wire_sanitize), 6 and 7: a header and the
 *             CHUNK or WRITE it announces, as receive.c reads them
 *   mode & 8: authenticated (header checks); from the source (HELLO, AUTH)
 *   mode & 16: the header limit push.c and auth.c use (an ERROR's size)
 *             rather than the receiver's mig_wire_max_payload()
 *   mode & 32: CHUNKs on a connection that negotiated every encoding,
 *             else only those every peer decodes (a source that named none)
 *   mode & 64: the connection negotiated PIECE; mode 2 reads a PIECE
 *             (of a CHUNK's size) rather than a CHUNK
 */
#include "fuzz.h"

static const u8 hs_types[] = {
	DM_MIGRATE_MSG_HELLO, DM_MIGRATE_MSG_AUTH, DM_MIGRATE_MSG_ERROR,
};

/* An accepted header: the rules of include/uapi/linux/dm-migrate.h. */
static void hdr_accepted(const struct dm_migrate_hdr *h, bool authed, u32 max)
{
	u32 len = be32_to_cpu(h->len);

	FUZZ_CHECK(be32_to_cpu(h->magic) == DM_MIGRATE_MAGIC);
	FUZZ_CHECK(h->version == DM_MIGRATE_PROTO_VERSION);
	FUZZ_CHECK(!h->flags && !h->reserved);
	FUZZ_CHECK(len <= max);
	FUZZ_CHECK(h->type && h->type < __DM_MIGRATE_MSG_MAX);
	if (!authed)
		FUZZ_CHECK(memchr(hs_types, h->type, sizeof(hs_types)));
	else
		FUZZ_CHECK(h->type != DM_MIGRATE_MSG_HELLO &&
			   h->type != DM_MIGRATE_MSG_AUTH);
	switch (h->type) {
	case DM_MIGRATE_MSG_HELLO:
		FUZZ_CHECK(len == sizeof(struct dm_migrate_hello));
		break;
	case DM_MIGRATE_MSG_AUTH:
		FUZZ_CHECK(len == sizeof(struct dm_migrate_auth));
		break;
	case DM_MIGRATE_MSG_ERROR:
		FUZZ_CHECK(len == sizeof(struct dm_migrate_error));
		break;
	case DM_MIGRATE_MSG_CHUNK:
		FUZZ_CHECK(len >= sizeof(struct dm_migrate_chunk));
		break;
	case DM_MIGRATE_MSG_WRITE:
		FUZZ_CHECK(len >= sizeof(struct dm_migrate_write));
		break;
	case DM_MIGRATE_MSG_PIECE:
		FUZZ_CHECK(len >= sizeof(struct dm_migrate_piece));
		break;
	default:
		FUZZ_CHECK(len == 0);
	}
}

/* An accepted CHUNK stays inside the volume and the receiver's buffers. */
static void chunk_accepted(const struct dm_migrate_chunk *c, u32 enc_len,
			   const struct mig_geom *g, u32 encs)
{
	u64 n = mig_geom_chunks(g), index = be64_to_cpu(c->index);
	u32 count = be32_to_cpu(c->count), data_len = be32_to_cpu(c->data_len);
	u32 chunk = mig_geom_chunk_bytes(g);

	FUZZ_CHECK(!c->pad[0] && !c->pad[1] && !c->pad[2]);
	FUZZ_CHECK(count >= 1 && index < n && index + count <= n);
	FUZZ_CHECK(data_len && data_len <= chunk && !(data_len & 511));
	FUZZ_CHECK(index * g->chunk_sectors + (data_len >> 9) <= g->dev_sectors);
	/* receive.c: the encoded bytes fit its buffer, the data its other. */
	FUZZ_CHECK(enc_len <= mig_wire_max_payload(g) - sizeof(*c));
	/* Only what the connection negotiated. */
	FUZZ_CHECK(c->encoding < __DM_MIGRATE_ENC_MAX &&
		   (encs & DM_MIGRATE_HELLO_ENC(c->encoding)));
	switch (c->encoding) {
	case DM_MIGRATE_ENC_RAW:
		FUZZ_CHECK(count == 1 && enc_len == data_len);
		break;
	case DM_MIGRATE_ENC_LZO:
		FUZZ_CHECK(count == 1 && enc_len && enc_len <= mig_lzo_worst(chunk));
		break;
	case DM_MIGRATE_ENC_ZERO: {
		/* The zeroout range receive.c computes for a run. */
		u64 start = index * g->chunk_sectors;
		u64 end = (index + count) * g->chunk_sectors;

		if (end > g->dev_sectors)
			end = g->dev_sectors;
		FUZZ_CHECK(!enc_len && !c->crc32c);
		FUZZ_CHECK(start < end && end - start <= (u64)count * g->chunk_sectors);
		break;
	}
	case DM_MIGRATE_ENC_LZ4:
	case DM_MIGRATE_ENC_ZSTD:
		/* Sent only when smaller: the decoders' input is bounded. */
		FUZZ_CHECK(count == 1 && enc_len && enc_len < data_len);
		break;
	default:
		FUZZ_CHECK(!"unknown encoding accepted");
	}
}

/*
 * An accepted PIECE: negotiated, a chunk with sub-blocks, a mask neither
 * empty nor beyond the chunk, every run receive.c writes (from its place
 * in the decoded data) inside the chunk, the volume and the data.
 */
static void piece_accepted(const struct dm_migrate_piece *p, u32 enc_len,
			   const struct mig_geom *g, u32 encs)
{
	u64 index = be64_to_cpu(p->index);
	u32 mask = be32_to_cpu(p->mask), data_len = be32_to_cpu(p->data_len);
	u32 sub = mig_geom_sub_sectors(g) << 9, subs = mig_geom_subs(g);
	u32 chunk = mig_chunk_len(g, index), off = 0;

	FUZZ_CHECK(encs & DM_MIGRATE_HELLO_PIECE);
	FUZZ_CHECK(!p->pad[0] && !p->pad[1] && !p->pad[2]);
	FUZZ_CHECK(index < mig_geom_chunks(g));
	FUZZ_CHECK(subs >= 2 && subs <= DM_MIGRATE_PIECE_MAX_SUBS && sub >= 4096);
	FUZZ_CHECK(mask && !(mask >> subs));
	FUZZ_CHECK(data_len && data_len <= chunk);
	while (mask) {
		u32 n = __builtin_ctz(mask), l;

		mask &= mask - 1;
		FUZZ_CHECK(n * sub < chunk);
		l = min(sub, chunk - n * sub);
		FUZZ_CHECK(!(l & 511));
		FUZZ_CHECK(index * g->chunk_sectors + ((n * sub + l) >> 9) <= g->dev_sectors);
		off += l;
	}
	FUZZ_CHECK(off == data_len);
	FUZZ_CHECK(enc_len <= mig_wire_max_payload(g) - sizeof(*p));
	FUZZ_CHECK(p->encoding < __DM_MIGRATE_ENC_MAX &&
		   (encs & DM_MIGRATE_HELLO_ENC(p->encoding)));
	switch (p->encoding) {
	case DM_MIGRATE_ENC_RAW:
		FUZZ_CHECK(enc_len == data_len);
		break;
	case DM_MIGRATE_ENC_LZO:
		FUZZ_CHECK(enc_len && enc_len <= mig_lzo_worst(data_len));
		break;
	case DM_MIGRATE_ENC_ZERO:
		FUZZ_CHECK(!enc_len && !p->crc32c);
		break;
	default:
		FUZZ_CHECK(enc_len && enc_len < data_len);
	}
}

static void write_accepted(const struct dm_migrate_write *w, u32 data_len,
			   const struct mig_geom *g)
{
	u64 sector = be64_to_cpu(w->sector);

	FUZZ_CHECK(!w->pad);
	FUZZ_CHECK(!(be32_to_cpu(w->flags) &
		     ~(DM_MIGRATE_WRITE_FUA | DM_MIGRATE_WRITE_PREFLUSH)));
	FUZZ_CHECK(be32_to_cpu(w->data_len) == data_len);
	FUZZ_CHECK(data_len && !(data_len & 511));
	FUZZ_CHECK(data_len <= mig_geom_chunk_bytes(g));
	FUZZ_CHECK(sector < g->dev_sectors &&
		   sector + (data_len >> 9) <= g->dev_sectors);
}

static void hello(struct fuzz_in *in, bool from_source, const struct mig_geom *g)
{
	static const u8 none[DM_MIGRATE_SESSION_LEN];
	struct dm_migrate_hello h;
	const char *why = NULL;
	u64 gen;

	fuzz_take(in, &h, sizeof(h));
	if (mig_wire_check_hello(&h, from_source, g, &why)) {
		FUZZ_CHECK(why && *why);
		return;
	}
	gen = be64_to_cpu(h.generation);
	/* Any flags: the peer's encodings are ours and the base ones at most. */
	FUZZ_CHECK((mig_wire_hello_encs(&h) & ~MIG_ENC_KNOWN) == 0 &&
		   (mig_wire_hello_encs(&h) & DM_MIGRATE_ENC_BASE) == DM_MIGRATE_ENC_BASE);
	FUZZ_CHECK(be64_to_cpu(h.dev_sectors) == g->dev_sectors &&
		   be32_to_cpu(h.chunk_sectors) == g->chunk_sectors);
	if (from_source)
		FUZZ_CHECK(gen && memcmp(h.session, none, sizeof(none)));
	else
		FUZZ_CHECK(!gen && !memcmp(h.session, none, sizeof(none)));
}

static void auth(struct fuzz_in *in, bool from_source)
{
	struct dm_migrate_auth a;
	const char *why = NULL;

	fuzz_take(in, &a, sizeof(a));
	if (mig_wire_check_auth(&a, from_source, &why)) {
		FUZZ_CHECK(why && *why);
		return;
	}
	FUZZ_CHECK(!a.pad);
	FUZZ_CHECK(be32_to_cpu(a.verdict) < __DM_MIGRATE_VERDICT_MAX);
	if (from_source)
		FUZZ_CHECK(be32_to_cpu(a.verdict) == DM_MIGRATE_VERDICT_FRESH);
}

/* A peer's ERROR text, in a buffer of 1 to 256 bytes. */
static void sanitize(struct fuzz_in *in)
{
	size_t size = 1 + fuzz_u8(in), i;
	char *text = malloc(size);

	FUZZ_CHECK(text);
	fuzz_take(in, text, size);
	mig_wire_sanitize(text, size);
	for (i = 0; i < size && text[i]; i++)
		FUZZ_CHECK(text[i] >= 0x20 && text[i] <= 0x7e);
	FUZZ_CHECK(i < size);
	free(text);
}

/* A header, then the CHUNK or WRITE it announces, as receive.c does. */
static void receive(struct fuzz_in *in, const struct mig_geom *g, u32 encs)
{
	u32 max = mig_wire_max_payload(g), len;
	struct dm_migrate_hdr h;
	const char *why;

	fuzz_take(in, &h, sizeof(h));
	if (mig_wire_check_hdr(&h, true, max, &why))
		return;
	hdr_accepted(&h, true, max);
	len = be32_to_cpu(h.len);
	if (h.type == DM_MIGRATE_MSG_CHUNK) {
		struct dm_migrate_chunk c;

		fuzz_take(in, &c, sizeof(c));
		if (!mig_wire_check_chunk(&c, len - sizeof(c), g, encs, &why))
			chunk_accepted(&c, len - sizeof(c), g, encs);
	} else if (h.type == DM_MIGRATE_MSG_WRITE) {
		struct dm_migrate_write w;

		fuzz_take(in, &w, sizeof(w));
		if (!mig_wire_check_write(&w, len - sizeof(w), g, &why))
			write_accepted(&w, len - sizeof(w), g);
	} else if (h.type == DM_MIGRATE_MSG_PIECE) {
		struct dm_migrate_piece p;

		fuzz_take(in, &p, sizeof(p));
		if (!mig_wire_check_piece(&p, len - sizeof(p), g, encs, &why))
			piece_accepted(&p, len - sizeof(p), g, encs);
	}
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size);

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	struct fuzz_in in = { data, size };
	u8 mode = fuzz_u8(&in);
	bool authed = mode & 8;
	struct mig_geom g = fuzz_geom(&in);
	const char *why = NULL;
	u32 max = mode & 16 ? sizeof(struct dm_migrate_error) :
		  mig_wire_max_payload(&g);
	u32 encs = (mode & 32 ? MIG_ENC_KNOWN : DM_MIGRATE_ENC_BASE) |
		   (mode & 64 ? DM_MIGRATE_HELLO_PIECE : 0);

	switch (mode & 7) {
	case 0: {
		struct dm_migrate_hdr h;

		fuzz_take(&in, &h, sizeof(h));
		if (!mig_wire_check_hdr(&h, authed, max, &why))
			hdr_accepted(&h, authed, max);
		else
			FUZZ_CHECK(why && *why);
		break;
	}
	case 1:
		hello(&in, authed, &g);
		break;
	case 2: {
		struct dm_migrate_chunk c;
		struct dm_migrate_piece p;
		u64 enc_len;
		int r;

		if (mode & 64) {
			fuzz_take(&in, &p, sizeof(p));
			enc_len = fuzz_u64(&in) & 0xffffffff;
			r = mig_wire_check_piece(&p, enc_len, &g, encs, &why);
			if (!r)
				piece_accepted(&p, enc_len, &g, encs);
		} else {
			fuzz_take(&in, &c, sizeof(c));
			enc_len = fuzz_u64(&in) & 0xffffffff;
			r = mig_wire_check_chunk(&c, enc_len, &g, encs, &why);
			if (!r)
				chunk_accepted(&c, enc_len, &g, encs);
		}
		if (r)
			FUZZ_CHECK(why && *why);
		break;
	}
	case 3: {
		struct dm_migrate_write w;
		u64 data_len;

		fuzz_take(&in, &w, sizeof(w));
		data_len = fuzz_u64(&in) & 0xffffffff;
		if (!mig_wire_check_write(&w, data_len, &g, &why))
			write_accepted(&w, data_len, &g);
		else
			FUZZ_CHECK(why && *why);
		break;
	}
	case 4:
		auth(&in, authed);
		break;
	case 5:
		sanitize(&in);
		break;
	default:
		receive(&in, &g, encs);
	}
	return 0;
}
