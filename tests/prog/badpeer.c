// SPDX-License-Identifier: GPL-2.0
/*
 * badpeer: a misbehaving source for the destination's input checks.  It
 * connects to a listening `migrate` target and, depending on MODE, speaks
 * garbage, the wrong key, the wrong geometry, or authenticates properly and
 * then sends one malformed message.  After the handshake it seals what it
 * sends and opens what it receives (AES-128-GCM, protocol v3).  It
 * prints what the destination did ("error <code> <text>", "closed",
 * "acked <seq>" or "badtag") and exits 0 when that is what MODE expects.
 *
 * Usage: badpeer ADDR PORT HEXKEY DEV_SECTORS CHUNK_SECTORS MODE [ARG]
 * MODE: garbage wrongkey size preauth oversize badcrc badlzo badindex
 *       badlen seq good nosession errtext
 *       badlz4, badzstd: a corrupt LZ4 block or zstd frame, the encodings
 *       negotiated (HELLO flags); lz4bomb, zstdbomb: a valid one of more
 *       than the chunk's data; unnegotiated: a zstd chunk on a connection
 *       whose HELLO named no encodings
 *       tamper: a good chunk with one byte of its sealed payload flipped
 *       replay: a good chunk; then, on a new connection, the same sealed
 *       bytes again (its seq is right there, its seal is not)
 *       idle N: open N connections, say nothing, hold them until killed
 *       (prints "idle N" once they are all connected)
 */
#include <arpa/inet.h>
#include <lz4.h>
#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zstd.h>

#include "peer.h"

static int fd;
static struct dm_migrate_hello theirs_skip;

/* The sealed stream, once authenticated. */
static int sealed;
static u8 skey[DM_MIGRATE_MAC_LEN];	/* the first 16 bytes key AES-128 */
static u64 tx_count, rx_count;
static int flip;		/* tamper: flip a byte of the next sealed payload */
static u8 last[(8 << 20) + 4096];	/* replay: the last message sent */
static size_t last_len;
static u8 saved[sizeof(last)];		/* replay: from the first connection */
static size_t saved_len;

static int aead(int enc, u32 dir, u64 count, const struct dm_migrate_hdr *hdr,
		u8 *buf, int len, u8 *tag)
{
	return peer_aead(skey, enc, dir, count, hdr, buf, len, tag);
}

static void xsend(const void *p, size_t n)
{
	if (send(fd, p, n, MSG_NOSIGNAL) != (ssize_t)n) {
		printf("closed\n");
		exit(0);
	}
}

static int xrecv(void *p, size_t n)
{
	return peer_recv(fd, p, n);
}

static void msg(u8 type, u64 seq, const void *p, u32 n, const void *q, u32 m)
{
	struct dm_migrate_hdr *h = (struct dm_migrate_hdr *)last;
	u8 *pl = last + sizeof(*h);

	mig_wire_hdr(h, type, n + m, seq);
	memcpy(pl, p, n);
	memcpy(pl + n, q, m);
	last_len = sizeof(*h) + n + m;
	if (sealed) {
		aead(1, DM_MIGRATE_DIR_TO_DEST, tx_count++, h, pl, n + m,
		     pl + n + m);
		last_len += DM_MIGRATE_TAG_LEN;
		if (flip) {
			pl[n + m > 40 ? 40 : 0] ^= 0x20;
			flip = 0;
		}
	}
	xsend(last, last_len);
}

/* What the peer answered: "error", "closed" or "acked". */
static const char *answer(void)
{
	struct dm_migrate_hdr h;
	struct dm_migrate_error e;

	do {
		if (xrecv(&h, sizeof(h))) {
			printf("closed\n");
			return "closed";
		}
		/* Skip the destination's own HELLO (garbage mode). */
	} while (h.type == DM_MIGRATE_MSG_HELLO &&
		 !xrecv(&theirs_skip, sizeof(theirs_skip)));
	if (sealed) {
		u8 buf[sizeof(e) + DM_MIGRATE_TAG_LEN];
		u32 len = be32_to_cpu(h.len);

		if (len > sizeof(e) || xrecv(buf, len + DM_MIGRATE_TAG_LEN)) {
			printf("closed\n");
			return "closed";
		}
		if (aead(0, DM_MIGRATE_DIR_TO_SOURCE, rx_count++, &h, buf, len,
			 buf + len)) {
			printf("badtag\n");
			return "badtag";
		}
		memcpy(&e, buf, len);
	}
	if (h.type == DM_MIGRATE_MSG_ERROR &&
	    (sealed || !xrecv(&e, sizeof(e)))) {
		e.text[sizeof(e.text) - 1] = 0;
		printf("error %u %s\n", be32_to_cpu(e.code), e.text);
		return "error";
	}
	if (h.type == DM_MIGRATE_MSG_ACK) {
		printf("acked %llu\n", (unsigned long long)be64_to_cpu(h.seq));
		return "acked";
	}
	printf("unexpected %u\n", h.type);
	return "unexpected";
}

/* Hold N silent connections open until killed. */
static int idle(struct sockaddr_storage *ss, socklen_t len, int n)
{
	int i, s;

	for (i = 0; i < n; i++) {
		s = socket(ss->ss_family, SOCK_STREAM, 0);
		if (s < 0 || connect(s, (struct sockaddr *)ss, len)) {
			perror("connect");
			return 1;
		}
	}
	printf("idle %d\n", n);
	fflush(stdout);
	for (;;)
		pause();
}

int main(int argc, char **argv)
{
	struct mig_geom g;
	struct dm_migrate_hello mine = {}, theirs;
	struct dm_migrate_hdr h;
	struct sockaddr_storage ss = {};
	struct addrinfo *ai;
	u8 key[64];
	struct dm_migrate_auth a = {};
	const char *mode, *want = "error";
	static u8 data[8 << 20];
	struct dm_migrate_chunk c = {};
	int klen, i;

	if (argc < 7) {
		fprintf(stderr, "usage: badpeer ADDR PORT HEXKEY DEV_SECTORS CHUNK_SECTORS MODE [ARG]\n");
		return 2;
	}
	ai = peer_args(argv, &ss, key, &klen, &g);
	if (!ai)
		return 2;
	mode = argv[6];

	if (!strcmp(mode, "idle"))
		return idle(&ss, ai->ai_addrlen, argc > 7 ? atoi(argv[7]) : 64);
again:
	fd = socket(ss.ss_family, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&ss, ai->ai_addrlen)) {
		perror("connect");
		return 2;
	}

	if (!strcmp(mode, "garbage")) {
		for (i = 0; i < 4096; i++)
			data[i] = rand();
		xsend(data, 4096);
		mode = answer();
		return strcmp(mode, "error") && strcmp(mode, "closed");
	}

	mine.dev_sectors = cpu_to_be64(g.dev_sectors + (!strcmp(mode, "size") ? 8 : 0));
	mine.chunk_sectors = cpu_to_be32(g.chunk_sectors);
	srand(getpid() + saved_len);
	for (i = 0; i < 32; i++)
		mine.nonce[i] = rand();
	for (i = 0; i < DM_MIGRATE_SESSION_LEN; i++)
		mine.session[i] = rand() | 1;
	if (strcmp(mode, "nosession"))
		mine.generation = cpu_to_be64(saved_len ? 2 : 1);
	/* We decode every encoding: the destination then says what it does. */
	if (strcmp(mode, "unnegotiated"))
		mine.flags = cpu_to_be32(MIG_ENC_KNOWN);
	msg(DM_MIGRATE_MSG_HELLO, 0, &mine, sizeof(mine), NULL, 0);
	if (xrecv(&h, sizeof(h)) || h.type != DM_MIGRATE_MSG_HELLO ||
	    xrecv(&theirs, sizeof(theirs))) {
		printf("no HELLO\n");
		return 1;
	}
	if (!strcmp(mode, "size") || !strcmp(mode, "nosession"))
		return strcmp(answer(), "error");
	if (!strcmp(mode, "errtext")) {
		/* Before authentication: text the destination must not print. */
		struct dm_migrate_error e = { .code = cpu_to_be32(DM_MIGRATE_ERR_IO) };

		strcpy(e.text, "INJECTED\nfake: dm-migrate: handed off\x1b[2J");
		msg(DM_MIGRATE_MSG_ERROR, 0, &e, sizeof(e), NULL, 0);
		return strcmp(answer(), "closed");
	}
	if (!strcmp(mode, "preauth")) {
		c.count = cpu_to_be32(1);
		msg(DM_MIGRATE_MSG_CHUNK, 1, &c, sizeof(c), NULL, 0);
		return strcmp(answer(), "error");
	}
	if (!strcmp(mode, "wrongkey"))
		key[0] ^= 1;
	peer_mac(key, klen, "dm-migrate-v3 source", &mine, &theirs, NULL, a.mac);
	msg(DM_MIGRATE_MSG_AUTH, 0, &a, sizeof(a), NULL, 0);
	if (!strcmp(mode, "wrongkey"))
		return strcmp(answer(), "error");
	if (xrecv(&h, sizeof(h)) || h.type != DM_MIGRATE_MSG_AUTH || xrecv(&a, sizeof(a))) {
		printf("no AUTH\n");
		return 1;
	}
	peer_mac(key, klen, "dm-migrate-v3 stream", &mine, &theirs, &a.verdict, skey);
	sealed = 1;

	/* Authenticated: one chunk, valid or broken as MODE says. */
	u32 len = mig_chunk_len(&g, 1);

	for (i = 0; i < (int)len; i++)
		data[i] = "dm-migrate test data "[i % 21];
	c.index = cpu_to_be64(1);
	c.count = cpu_to_be32(1);
	c.data_len = cpu_to_be32(len);
	c.crc32c = cpu_to_be32(mig_crc32c(data, len));
	c.encoding = DM_MIGRATE_ENC_RAW;
	if (!strcmp(mode, "good")) {
		msg(DM_MIGRATE_MSG_CHUNK, 1, &c, sizeof(c), data, len);
		want = "acked";
	} else if (!strcmp(mode, "oversize")) {
		mig_wire_hdr(&h, DM_MIGRATE_MSG_CHUNK, 1U << 30, 1);
		xsend(&h, sizeof(h));
		xsend(&c, sizeof(c));
	} else if (!strcmp(mode, "badcrc")) {
		c.crc32c ^= 1;
		msg(DM_MIGRATE_MSG_CHUNK, 1, &c, sizeof(c), data, len);
	} else if (!strcmp(mode, "badlzo")) {
		c.encoding = DM_MIGRATE_ENC_LZO;
		msg(DM_MIGRATE_MSG_CHUNK, 1, &c, sizeof(c), data, 100);
	} else if (!strcmp(mode, "badlz4") || !strcmp(mode, "badzstd") ||
		   !strcmp(mode, "unnegotiated")) {
		c.encoding = strcmp(mode, "badlz4") ? DM_MIGRATE_ENC_ZSTD : DM_MIGRATE_ENC_LZ4;
		msg(DM_MIGRATE_MSG_CHUNK, 1, &c, sizeof(c), data, 100);
	} else if (!strcmp(mode, "lz4bomb") || !strcmp(mode, "zstdbomb")) {
		/* Zeroes of twice the chunk: small, but too much once decoded. */
		static u8 zero[16 << 20], bomb[1 << 20];
		int n;

		memset(data, 0, len);
		c.crc32c = cpu_to_be32(mig_crc32c(data, len));
		if (!strcmp(mode, "lz4bomb")) {
			c.encoding = DM_MIGRATE_ENC_LZ4;
			n = LZ4_compress_default((char *)zero, (char *)bomb, 2 * len,
						 sizeof(bomb));
		} else {
			c.encoding = DM_MIGRATE_ENC_ZSTD;
			n = (int)ZSTD_compress(bomb, sizeof(bomb), zero, 2 * len, 1);
		}
		if (n <= 0 || (u32)n >= len) {
			fprintf(stderr, "cannot make the %s\n", mode);
			return 2;
		}
		msg(DM_MIGRATE_MSG_CHUNK, 1, &c, sizeof(c), bomb, n);
	} else if (!strcmp(mode, "badindex")) {
		c.index = cpu_to_be64(mig_geom_chunks(&g));
		msg(DM_MIGRATE_MSG_CHUNK, 1, &c, sizeof(c), data, len);
	} else if (!strcmp(mode, "badlen")) {
		c.data_len = cpu_to_be32(len - 512);
		msg(DM_MIGRATE_MSG_CHUNK, 1, &c, sizeof(c), data, len - 512);
	} else if (!strcmp(mode, "seq")) {
		msg(DM_MIGRATE_MSG_CHUNK, 7, &c, sizeof(c), data, len);
	} else if (!strcmp(mode, "tamper")) {
		flip = 1;
		msg(DM_MIGRATE_MSG_CHUNK, 1, &c, sizeof(c), data, len);
	} else if (!strcmp(mode, "replay") && !saved_len) {
		msg(DM_MIGRATE_MSG_CHUNK, 1, &c, sizeof(c), data, len);
		if (strcmp(answer(), "acked"))
			return 1;
		memcpy(saved, last, last_len);
		saved_len = last_len;
		close(fd);
		sealed = 0;
		tx_count = rx_count = 0;
		goto again;
	} else if (!strcmp(mode, "replay")) {
		xsend(saved, saved_len);
	} else {
		fprintf(stderr, "unknown mode %s\n", mode);
		return 2;
	}
	return strcmp(answer(), want) != 0;
}
