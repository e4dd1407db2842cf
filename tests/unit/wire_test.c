// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for the wire codec (kmod/wire.c): every check of a header,
 * HELLO, CHUNK, PIECE and WRITE, and a mutation loop that flips random bytes of
 * valid messages and asserts that whatever the checks accept stays inside
 * the volume and the buffers.
 */
#include "wire.h"
#include "kselftest.h"

/* Every encoding, as a connection that negotiated them accepts. */
#define ALL	MIG_ENC_KNOWN

/* 1 GiB + 3 sectors at 64 KiB chunks: the last chunk is partial. */
static const struct mig_geom g = { .dev_sectors = (1 << 21) + 3, .chunk_sectors = 128 };

static int hdr_ok(u8 type, u32 len, bool authed)
{
	struct dm_migrate_hdr h;
	const char *why;

	mig_wire_hdr(&h, type, len, 1);
	return mig_wire_check_hdr(&h, authed, mig_wire_max_payload(&g), &why);
}

static struct dm_migrate_chunk chunk(u64 index, u32 count, u32 len, u8 enc)
{
	struct dm_migrate_chunk c = {
		.index = cpu_to_be64(index), .count = cpu_to_be32(count),
		.data_len = cpu_to_be32(len), .encoding = enc,
	};
	return c;
}

static void test_hdr(void)
{
	struct dm_migrate_hdr h;
	const char *why;

	ksft_test_result(!hdr_ok(DM_MIGRATE_MSG_HELLO, sizeof(struct dm_migrate_hello), false),
			 "HELLO accepted before auth\n");
	ksft_test_result(hdr_ok(DM_MIGRATE_MSG_HELLO, sizeof(struct dm_migrate_hello), true),
			 "HELLO refused after auth\n");
	ksft_test_result(hdr_ok(DM_MIGRATE_MSG_CHUNK, 100, false),
			 "CHUNK refused before auth\n");
	ksft_test_result(!hdr_ok(DM_MIGRATE_MSG_CHUNK, 100, true),
			 "CHUNK accepted after auth\n");
	ksft_test_result(hdr_ok(DM_MIGRATE_MSG_CHUNK, mig_wire_max_payload(&g) + 1, true),
			 "oversized payload refused\n");
	ksft_test_result(hdr_ok(DM_MIGRATE_MSG_ACK, 4, true), "ACK with payload refused\n");
	ksft_test_result(hdr_ok(0, 0, true) && hdr_ok(__DM_MIGRATE_MSG_MAX, 0, true),
			 "unknown types refused\n");
	mig_wire_hdr(&h, DM_MIGRATE_MSG_ACK, 0, 1);
	h.magic ^= 1;
	ksft_test_result(mig_wire_check_hdr(&h, true, 1000, &why) &&
			 !strcmp(why, "bad magic"), "bad magic refused\n");
	mig_wire_hdr(&h, DM_MIGRATE_MSG_ACK, 0, 1);
	h.version = DM_MIGRATE_PROTO_VERSION + 1;
	ksft_test_result(mig_wire_check_hdr(&h, true, 1000, &why) != 0,
			 "other version refused\n");
	mig_wire_hdr(&h, DM_MIGRATE_MSG_ACK, 0, 1);
	h.reserved = 1;
	ksft_test_result(mig_wire_check_hdr(&h, true, 1000, &why) != 0,
			 "reserved bits refused\n");
}

static void test_chunk(void)
{
	u64 n = mig_geom_chunks(&g);
	struct dm_migrate_chunk c;
	const char *why;

	ksft_test_result(n == 16385 && mig_chunk_len(&g, n - 1) == 3 * 512,
			 "geometry: %llu chunks, last is partial\n", (unsigned long long)n);
	c = chunk(0, 1, 65536, DM_MIGRATE_ENC_RAW);
	ksft_test_result(!mig_wire_check_chunk(&c, 65536, &g, ALL, &why), "raw chunk accepted\n");
	ksft_test_result(mig_wire_check_chunk(&c, 65535, &g, ALL, &why) != 0,
			 "raw chunk with short data refused\n");
	c = chunk(n - 1, 1, 1536, DM_MIGRATE_ENC_RAW);
	ksft_test_result(!mig_wire_check_chunk(&c, 1536, &g, ALL, &why), "partial last chunk accepted\n");
	c = chunk(n - 1, 1, 65536, DM_MIGRATE_ENC_RAW);
	ksft_test_result(mig_wire_check_chunk(&c, 65536, &g, ALL, &why) != 0,
			 "last chunk with a full length refused\n");
	c = chunk(n, 1, 65536, DM_MIGRATE_ENC_RAW);
	ksft_test_result(mig_wire_check_chunk(&c, 65536, &g, ALL, &why) != 0, "index past the end refused\n");
	c = chunk(n - 2, 3, 65536, DM_MIGRATE_ENC_ZERO);
	ksft_test_result(mig_wire_check_chunk(&c, 0, &g, ALL, &why) != 0, "zero run past the end refused\n");
	c = chunk(5, UINT32_MAX, 65536, DM_MIGRATE_ENC_ZERO);
	ksft_test_result(mig_wire_check_chunk(&c, 0, &g, ALL, &why) != 0, "huge zero run refused\n");
	c = chunk(n - 3, 3, 65536, DM_MIGRATE_ENC_ZERO);
	ksft_test_result(!mig_wire_check_chunk(&c, 0, &g, ALL, &why), "zero run to the end accepted\n");
	c = chunk(0, 2, 65536, DM_MIGRATE_ENC_RAW);
	ksft_test_result(mig_wire_check_chunk(&c, 65536, &g, ALL, &why) != 0, "raw run refused\n");
	c = chunk(0, 1, 65536, DM_MIGRATE_ENC_LZO);
	ksft_test_result(mig_wire_check_chunk(&c, mig_lzo_worst(65536) + 1, &g, ALL, &why) != 0,
			 "LZO longer than the worst case refused\n");
	c = chunk(0, 1, 65536, 7);
	ksft_test_result(mig_wire_check_chunk(&c, 10, &g, ALL, &why) != 0, "unknown encoding refused\n");
	c = chunk(0, 1, 65536, DM_MIGRATE_ENC_ZERO);
	ksft_test_result(mig_wire_check_chunk(&c, 1, &g, ALL, &why) != 0, "zero chunk with data refused\n");
}

/* LZ4 and zstd chunks: smaller than their data, only where negotiated. */
static void test_encodings(void)
{
	struct dm_migrate_hello h = {};
	struct dm_migrate_chunk c;
	const char *why = "";
	u8 e;

	for (e = DM_MIGRATE_ENC_LZ4; e <= DM_MIGRATE_ENC_ZSTD; e++) {
		c = chunk(0, 1, 65536, e);
		ksft_test_result(!mig_wire_check_chunk(&c, 65535, &g, ALL, &why) &&
				 !mig_wire_check_chunk(&c, 1, &g, ALL, &why) &&
				 mig_wire_check_chunk(&c, 65536, &g, ALL, &why) &&
				 mig_wire_check_chunk(&c, 0, &g, ALL, &why),
				 "encoding %u: 1 to data_len - 1 bytes\n", e);
		ksft_test_result(mig_wire_check_chunk(&c, 100, &g, DM_MIGRATE_ENC_BASE, &why) &&
				 strstr(why, "not negotiated"),
				 "encoding %u refused where not negotiated (%s)\n", e, why);
	}
	c = chunk(0, 2, 65536, DM_MIGRATE_ENC_LZ4);
	ksft_test_result(mig_wire_check_chunk(&c, 100, &g, ALL, &why) != 0,
			 "LZ4 run refused\n");
	c = chunk(0, 1, 65536, __DM_MIGRATE_ENC_MAX);
	ksft_test_result(mig_wire_check_chunk(&c, 100, &g, U32_MAX, &why) &&
			 !strcmp(why, "unknown chunk encoding"),
			 "an encoding we do not know refused, whatever was negotiated\n");
	ksft_test_result(mig_wire_hello_encs(&h) == DM_MIGRATE_ENC_BASE,
			 "HELLO without flags: the base encodings\n");
	h.flags = cpu_to_be32(0xffffffff);
	ksft_test_result(mig_wire_hello_encs(&h) == MIG_ENC_KNOWN,
			 "HELLO flags: unknown bits ignored (%#x)\n", mig_wire_hello_encs(&h));
	h.flags = cpu_to_be32(DM_MIGRATE_HELLO_ENC(DM_MIGRATE_ENC_ZSTD));
	ksft_test_result(mig_wire_hello_encs(&h) ==
			 (DM_MIGRATE_ENC_BASE | DM_MIGRATE_HELLO_ENC(DM_MIGRATE_ENC_ZSTD)),
			 "HELLO flags: zstd and the base ones\n");
}

static void test_write(void)
{
	struct dm_migrate_write w = { .sector = cpu_to_be64(8), .data_len = cpu_to_be32(4096) };
	const char *why;

	ksft_test_result(!mig_wire_check_write(&w, 4096, &g, &why), "write accepted\n");
	w.sector = cpu_to_be64(g.dev_sectors - 4);
	ksft_test_result(mig_wire_check_write(&w, 4096, &g, &why) != 0, "write past the end refused\n");
	w.sector = cpu_to_be64(UINT64_MAX - 2);
	ksft_test_result(mig_wire_check_write(&w, 4096, &g, &why) != 0, "wrapping sector refused\n");
	w.sector = 0;
	w.data_len = cpu_to_be32(4000);
	ksft_test_result(mig_wire_check_write(&w, 4000, &g, &why) != 0, "unaligned length refused\n");
	w.data_len = cpu_to_be32(131072);
	ksft_test_result(mig_wire_check_write(&w, 131072, &g, &why) != 0, "write above a chunk refused\n");
	w.data_len = cpu_to_be32(4096);
	w.flags = cpu_to_be32(0x80);
	ksft_test_result(mig_wire_check_write(&w, 4096, &g, &why) != 0, "unknown flags refused\n");
}

/* Flip bytes of valid messages; accepted ones must stay in bounds. */
static void test_mutations(void)
{
	unsigned long accepted = 0, bad = 0, i;
	u64 n = mig_geom_chunks(&g);

	srand(7);
	for (i = 0; i < 2000000; i++) {
		struct dm_migrate_chunk c = chunk(rand() % n, 1, 65536,
						  rand() % __DM_MIGRATE_ENC_MAX);
		u32 enc = rand() % 70000, flips = 1 + rand() % 4;
		const char *why;

		while (flips--)
			((u8 *)&c)[rand() % sizeof(c)] ^= 1 << (rand() % 8);
		if (mig_wire_check_chunk(&c, enc, &g, ALL, &why))
			continue;
		accepted++;
		if (be64_to_cpu(c.index) + be32_to_cpu(c.count) > n ||
		    be32_to_cpu(c.data_len) > 65536 ||
		    (c.encoding == DM_MIGRATE_ENC_RAW && enc != be32_to_cpu(c.data_len)) ||
		    (c.encoding >= DM_MIGRATE_ENC_LZ4 && enc >= be32_to_cpu(c.data_len)))
			bad++;
	}
	ksft_test_result(!bad, "2M mutated chunk headers: %lu accepted, %lu out of bounds\n",
			 accepted, bad);
}

/* Protocol v2: sessions in HELLO, AUTH fields, peer text. */
static void test_v2(void)
{
	struct dm_migrate_hello hs = {
		.dev_sectors = cpu_to_be64(g.dev_sectors),
		.chunk_sectors = cpu_to_be32(g.chunk_sectors),
		.session = { 1 }, .generation = cpu_to_be64(1),
	}, hd = hs;
	struct dm_migrate_auth a = {};
	char text[16] = "ok\n\x1b[2Jtail!";
	const char *why;

	memset(hd.session, 0, sizeof(hd.session));
	hd.generation = 0;
	ksft_test_result(!mig_wire_check_hello(&hs, true, &g, &why) &&
			 !mig_wire_check_hello(&hd, false, &g, &why),
			 "v2: source HELLO names a session, destination's none\n");
	ksft_test_result(mig_wire_check_hello(&hd, true, &g, &why) &&
			 mig_wire_check_hello(&hs, false, &g, &why),
			 "v2: HELLO without a session (source) or with one (dest) refused\n");
	hs.generation = 0;
	ksft_test_result(mig_wire_check_hello(&hs, true, &g, &why) != 0,
			 "v2: source HELLO with generation 0 refused\n");
	ksft_test_result(!mig_wire_check_auth(&a, true, &why) &&
			 (a.verdict = cpu_to_be32(DM_MIGRATE_VERDICT_OWNER),
			  mig_wire_check_auth(&a, true, &why) &&
			  !mig_wire_check_auth(&a, false, &why)),
			 "v2: a verdict only from the destination\n");
	a.verdict = cpu_to_be32(__DM_MIGRATE_VERDICT_MAX);
	ksft_test_result(mig_wire_check_auth(&a, false, &why) != 0,
			 "v2: unknown verdict refused\n");
	ksft_test_result(hdr_ok(DM_MIGRATE_MSG_AUTH, sizeof(a), false) == 0 &&
			 hdr_ok(DM_MIGRATE_MSG_AUTH, DM_MIGRATE_MAC_LEN, false) != 0,
			 "v2: AUTH carries a struct dm_migrate_auth\n");
	mig_wire_sanitize(text, sizeof(text));
	ksft_test_result(!strcmp(text, "ok??[2Jtail!"),
			 "v2: peer text sanitized to printable ASCII (%s)\n", text);
}

static struct dm_migrate_piece piece(u64 index, u32 mask, u32 len, u8 enc)
{
	struct dm_migrate_piece p = {
		.index = cpu_to_be64(index), .mask = cpu_to_be32(mask),
		.data_len = cpu_to_be32(len), .encoding = enc,
	};
	return p;
}

/* Refused, with the reason @want. */
static bool refused(const struct dm_migrate_piece *p, u32 enc_len,
		    const struct mig_geom *geom, u32 encs, const char *want)
{
	const char *why = "";

	return mig_wire_check_piece(p, enc_len, geom, encs, &why) == -EPROTO &&
	       !strcmp(why, want);
}

static void test_piece(void)
{
	const u32 P = ALL | DM_MIGRATE_HELLO_PIECE;
	u64 last = mig_geom_chunks(&g) - 1;
	/* 8 KiB chunks: 2 sub-blocks; 4 KiB: none; 8 MiB: 16 of 512 KiB. */
	const struct mig_geom g8 = { .dev_sectors = 1000, .chunk_sectors = 16 };
	const struct mig_geom g4 = { .dev_sectors = 1000, .chunk_sectors = 8 };
	const struct mig_geom gbig = { .dev_sectors = 1 << 20, .chunk_sectors = 16384 };
	struct dm_migrate_piece p;
	const char *why;

	ksft_test_result(mig_geom_subs(&g) == 16 && mig_geom_sub_sectors(&g) == 8 &&
			 mig_geom_subs(&g8) == 2 && mig_geom_subs(&g4) == 1 &&
			 mig_geom_subs(&gbig) == 16 && mig_geom_sub_sectors(&gbig) == 1024,
			 "sub-blocks: 16 of 4 KiB at 64 KiB, 2 at 8 KiB, none at 4 KiB, 512 KiB at 8 MiB\n");
	/* The last chunk is 3 sectors: one short sub-block. */
	ksft_test_result(mig_piece_valid(&g, last) == 1 && mig_piece_valid(&g, 0) == 0xffff &&
			 mig_piece_len(&g, last, 1) == 1536 &&
			 mig_piece_len(&g, 0, 0x8001) == 8192,
			 "valid sub-blocks and lengths, short last chunk\n");
	p = piece(3, 0x0105, 12288, DM_MIGRATE_ENC_RAW);
	ksft_test_result(!mig_wire_check_piece(&p, 12288, &g, P, &why), "raw PIECE accepted\n");
	ksft_test_result(refused(&p, 12288, &g, ALL, "PIECE not negotiated on this connection"),
			 "PIECE refused where not negotiated\n");
	p = piece(3, 0, 0, DM_MIGRATE_ENC_RAW);
	ksft_test_result(refused(&p, 0, &g, P, "PIECE with an empty mask"),
			 "empty mask refused\n");
	p = piece(3, 0x10000, 4096, DM_MIGRATE_ENC_RAW);
	ksft_test_result(refused(&p, 4096, &g, P, "PIECE mask beyond the chunk"),
			 "mask bit 16 refused\n");
	p = piece(last, 3, 1536 + 4096, DM_MIGRATE_ENC_RAW);
	ksft_test_result(refused(&p, 1536 + 4096, &g, P, "PIECE mask beyond the chunk"),
			 "sub-block past the volume's end refused\n");
	p = piece(last, 1, 1536, DM_MIGRATE_ENC_RAW);
	ksft_test_result(!mig_wire_check_piece(&p, 1536, &g, P, &why),
			 "short last sub-block accepted\n");
	p = piece(3, 0x0105, 8192, DM_MIGRATE_ENC_RAW);
	ksft_test_result(refused(&p, 8192, &g, P, "PIECE length does not match its mask"),
			 "data_len short of the mask refused\n");
	p = piece(3, 0x0105, 12288, DM_MIGRATE_ENC_RAW);
	ksft_test_result(refused(&p, 12287, &g, P, "raw chunk of wrong length"),
			 "raw data of the wrong length refused\n");
	p = piece(last + 1, 1, 4096, DM_MIGRATE_ENC_RAW);
	ksft_test_result(refused(&p, 4096, &g, P, "chunk index out of range"),
			 "index past the end refused\n");
	p = piece(1, 1, 4096, DM_MIGRATE_ENC_RAW);
	ksft_test_result(refused(&p, 4096, &g4, P, "PIECE for chunks without sub-blocks"),
			 "4 KiB chunks take no PIECE\n");
	p = piece(1, 2, 4096, DM_MIGRATE_ENC_RAW);
	ksft_test_result(!mig_wire_check_piece(&p, 4096, &g8, P, &why) &&
			 refused(&(struct dm_migrate_piece){ .index = cpu_to_be64(1),
				 .mask = cpu_to_be32(4), .data_len = cpu_to_be32(4096) },
				 4096, &g8, P, "PIECE mask beyond the chunk"),
			 "8 KiB chunks: 2 sub-blocks, a third refused\n");
	p = piece(2, 0xf, 16384, DM_MIGRATE_ENC_ZERO);
	ksft_test_result(!mig_wire_check_piece(&p, 0, &g, P, &why) &&
			 refused(&p, 1, &g, P, "zero chunk with data"),
			 "zero PIECE accepted, with data refused\n");
	p = piece(2, 0xf, 16384, DM_MIGRATE_ENC_LZ4);
	ksft_test_result(!mig_wire_check_piece(&p, 100, &g, P, &why) &&
			 refused(&p, 100, &g, DM_MIGRATE_ENC_BASE | DM_MIGRATE_HELLO_PIECE,
				 "chunk encoding not negotiated on this connection") &&
			 refused(&p, 16384, &g, P, "compressed chunk of impossible length"),
			 "PIECE encodings checked as a CHUNK's\n");
	p = piece(2, 1, 4096, DM_MIGRATE_ENC_RAW);
	p.pad[1] = 1;
	ksft_test_result(refused(&p, 4096, &g, P, "PIECE padding not zero"),
			 "PIECE padding refused\n");
	ksft_test_result(!hdr_ok(DM_MIGRATE_MSG_PIECE, 24 + 4096, true) &&
			 hdr_ok(DM_MIGRATE_MSG_PIECE, 23, true) &&
			 hdr_ok(DM_MIGRATE_MSG_PIECE, 24 + 4096, false),
			 "PIECE header: after the handshake, with its struct\n");
}

/* Every PIECE a valid mask makes is accepted, with the length it names. */
static void test_piece_masks(void)
{
	const u32 P = ALL | DM_MIGRATE_HELLO_PIECE;
	struct dm_migrate_piece p;
	unsigned int bad = 0;
	const char *why;
	u32 mask, i, len;

	for (mask = 1; mask <= 0xffff; mask++) {
		for (len = 0, i = 0; i < 16; i++)
			len += (mask >> i & 1) * 4096;
		p = piece(9, mask, len, DM_MIGRATE_ENC_RAW);
		bad += !!mig_wire_check_piece(&p, len, &g, P, &why);
		p = piece(9, mask, len + 512, DM_MIGRATE_ENC_RAW);
		bad += !mig_wire_check_piece(&p, len + 512, &g, P, &why);
	}
	ksft_test_result(!bad, "every mask: its length accepted, another refused\n");
}

int main(void)
{
	ksft_print_header();
	ksft_set_plan(10 + 13 + 4 + 5 + 6 + 1 + 7 + 17 + 1);
	test_hdr();
	test_chunk();
	test_encodings();
	test_write();
	test_mutations();
	test_v2();
	test_piece();
	test_piece_masks();
	ksft_finished();
}
