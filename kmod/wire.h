/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Wire codec: building and checking the messages of
 * include/uapi/linux/dm-migrate.h.  Pure logic, shared with the userspace
 * tests and fuzzers; no I/O and no allocation here.
 */
#ifndef DM_MIGRATE_WIRE_H
#define DM_MIGRATE_WIRE_H

#include "portable.h"
#include <uapi/linux/dm-migrate.h>

/* The geometry both ends must agree on. */
struct mig_geom {
	u64 dev_sectors;
	u32 chunk_sectors;
};

static inline u64 mig_geom_chunks(const struct mig_geom *g)
{
	return DIV_ROUND_UP(g->dev_sectors, (u64)g->chunk_sectors);
}

static inline u32 mig_geom_chunk_bytes(const struct mig_geom *g)
{
	return g->chunk_sectors << 9;
}

/* Uncompressed length of chunk @index (the last one may be partial). */
u32 mig_chunk_len(const struct mig_geom *g, u64 index);

/* Every encoding of enum dm_migrate_encoding, as HELLO flags. */
#define MIG_ENC_KNOWN	(DM_MIGRATE_HELLO_ENC(__DM_MIGRATE_ENC_MAX) - 1)
/* Every feature this version knows, as HELLO flags. */
#define MIG_FEAT_KNOWN	DM_MIGRATE_HELLO_PIECE

/*
 * Sub-blocks of a chunk (PIECE): how many (1: the chunk has none, no
 * PIECE for it) and their size in sectors; both ends derive them from
 * the chunk size alone.
 */
static inline u32 mig_geom_subs(const struct mig_geom *g)
{
	return dm_migrate_piece_subs(g->chunk_sectors);
}

static inline u32 mig_geom_sub_sectors(const struct mig_geom *g)
{
	return g->chunk_sectors / mig_geom_subs(g);
}

/*
 * The sub-blocks of chunk @index that exist (the last chunk may be
 * short), as a mask, and the bytes of those @mask names: the length of
 * a PIECE's data.  Sub-block N of the chunk begins at byte N * sub size;
 * the last one that exists may be short.
 */
u32 mig_piece_valid(const struct mig_geom *g, u64 index);
u32 mig_piece_len(const struct mig_geom *g, u64 index, u32 mask);

/* Worst-case lzo1x_1 output for @len input bytes (as <linux/lzo.h>). */
static inline u32 mig_lzo_worst(u32 len)
{
	return len + len / 16 + 64 + 3;
}

/* Largest payload a valid message may carry for this geometry. */
static inline u32 mig_wire_max_payload(const struct mig_geom *g)
{
	return sizeof(struct dm_migrate_chunk) +
	       mig_lzo_worst(mig_geom_chunk_bytes(g));
}

void mig_wire_hdr(struct dm_migrate_hdr *h, u8 type, u32 len, u64 seq);

/*
 * Check a received header.  @authed: whether the handshake is complete
 * (before it only HELLO, AUTH and ERROR are valid; after it, everything
 * but HELLO and AUTH).  @max_payload: the largest hdr.len accepted.
 * Returns 0 or -EPROTO, with a reason in *why.
 */
int mig_wire_check_hdr(const struct dm_migrate_hdr *h, bool authed,
		       u32 max_payload, const char **why);

/*
 * Check a HELLO payload against our own geometry.  @from_source: a
 * source's HELLO names a session and a generation, a destination's none.
 * Its flags may be anything (mig_wire_hello_encs() reads them).
 */
int mig_wire_check_hello(const struct dm_migrate_hello *hello, bool from_source,
			 const struct mig_geom *g, const char **why);

/*
 * The encodings a peer decodes, from its HELLO: those its flags name that
 * we know, and the ones every peer decodes.
 */
static inline u32 mig_wire_hello_encs(const struct dm_migrate_hello *hello)
{
	return (be32_to_cpu(hello->flags) & MIG_ENC_KNOWN) | DM_MIGRATE_ENC_BASE;
}

/* The features a HELLO names that we know (DM_MIGRATE_HELLO_PIECE). */
static inline u32 mig_wire_hello_feats(const struct dm_migrate_hello *hello)
{
	return be32_to_cpu(hello->flags) & MIG_FEAT_KNOWN;
}

/* Check an AUTH payload's fields (not its MAC). */
int mig_wire_check_auth(const struct dm_migrate_auth *auth, bool from_source,
			const char **why);

/*
 * Make a peer's text safe to print: NUL-terminated within @size, every
 * byte outside printable ASCII replaced by '?'.
 */
void mig_wire_sanitize(char *text, size_t size);

/*
 * Check a CHUNK message: @c and the @enc_len encoded bytes that follow it.
 * Checks the index and count bounds, data_len against the chunk's real
 * length, the encoding (one of @encs, DM_MIGRATE_HELLO_ENC() bits: those
 * negotiated on the connection) and the encoded length (the data itself
 * is checked after decoding, by CRC).
 */
int mig_wire_check_chunk(const struct dm_migrate_chunk *c, u32 enc_len,
			 const struct mig_geom *g, u32 encs, const char **why);

/*
 * Check a PIECE message: @p and the @enc_len encoded bytes that follow.
 * The chunk within the volume and with sub-blocks, a mask that is not
 * empty and names only sub-blocks that exist, data_len that of the
 * sub-blocks named, the encoding as for a CHUNK (negotiated: @encs) and
 * its length.  The data is checked after decoding, by CRC.
 */
int mig_wire_check_piece(const struct dm_migrate_piece *p, u32 enc_len,
			 const struct mig_geom *g, u32 encs, const char **why);

/* Check a WRITE message and the @data_len bytes that follow it. */
int mig_wire_check_write(const struct dm_migrate_write *w, u32 data_len,
			 const struct mig_geom *g, const char **why);

/* CRC32C as the protocol defines it (seed ~0, no final inversion). */
u32 mig_crc32c(const void *data, size_t len);

#endif /* DM_MIGRATE_WIRE_H */
