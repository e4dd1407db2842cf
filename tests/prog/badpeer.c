// SPDX-License-Identifier: GPL-2.0
/*
 * badpeer: a misbehaving source for the destination's input checks.  It
 * connects to a listening `migrate` target and, depending on MODE, speaks
 * garbage, the wrong key, the wrong geometry, or authenticates properly and
 * then sends one malformed message.  It prints what the destination did
 * ("error <code> <text>", "closed" or "acked <seq>") and exits 0 when that
 * is what MODE expects.
 *
 * Usage: badpeer ADDR PORT HEXKEY DEV_SECTORS CHUNK_SECTORS MODE [ARG]
 * MODE: garbage wrongkey size preauth oversize badcrc badlzo badindex
 *       badlen seq good nosession errtext
 *       idle N: open N connections, say nothing, hold them until killed
 *       (prints "idle N" once they are all connected)
 */
#include <arpa/inet.h>
#include <netdb.h>
#include <openssl/hmac.h>
#include <sys/socket.h>
#include <unistd.h>

#include "wire.h"

static int fd;
static struct dm_migrate_hello theirs_skip;

static void xsend(const void *p, size_t n)
{
	if (send(fd, p, n, MSG_NOSIGNAL) != (ssize_t)n) {
		printf("closed\n");
		exit(0);
	}
}

static int xrecv(void *p, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = recv(fd, (char *)p + got, n - got, 0);

		if (r <= 0)
			return -1;
		got += r;
	}
	return 0;
}

static void msg(u8 type, u64 seq, const void *p, u32 n, const void *q, u32 m)
{
	struct dm_migrate_hdr h;

	mig_wire_hdr(&h, type, n + m, seq);
	xsend(&h, sizeof(h));
	if (n)
		xsend(p, n);
	if (m)
		xsend(q, m);
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
	if (h.type == DM_MIGRATE_MSG_ERROR && !xrecv(&e, sizeof(e))) {
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

/* HMAC(key, tag | source HELLO | destination HELLO), protocol v2. */
static void mac(const u8 *key, int klen, const char *tag,
		const struct dm_migrate_hello *hs,
		const struct dm_migrate_hello *hd, u8 *out)
{
	u8 buf[512];
	size_t n = strlen(tag);
	unsigned int olen = 32;

	memcpy(buf, tag, n);
	memcpy(buf + n, hs, sizeof(*hs));
	memcpy(buf + n + sizeof(*hs), hd, sizeof(*hd));
	HMAC(EVP_sha256(), key, klen, buf, n + 2 * sizeof(*hs), out, &olen);
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
	if (getaddrinfo(argv[1], argv[2], NULL, &ai))
		return 2;
	memcpy(&ss, ai->ai_addr, ai->ai_addrlen);
	klen = strlen(argv[3]) / 2;
	for (i = 0; i < klen; i++)
		sscanf(argv[3] + 2 * i, "%2hhx", &key[i]);
	g.dev_sectors = strtoull(argv[4], NULL, 0);
	g.chunk_sectors = strtoul(argv[5], NULL, 0);
	mode = argv[6];

	if (!strcmp(mode, "idle"))
		return idle(&ss, ai->ai_addrlen, argc > 7 ? atoi(argv[7]) : 64);
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
	srand(getpid());
	for (i = 0; i < 32; i++)
		mine.nonce[i] = rand();
	for (i = 0; i < DM_MIGRATE_SESSION_LEN; i++)
		mine.session[i] = rand() | 1;
	if (strcmp(mode, "nosession"))
		mine.generation = cpu_to_be64(1);
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
	mac(key, klen, "dm-migrate-v2 source", &mine, &theirs, a.mac);
	msg(DM_MIGRATE_MSG_AUTH, 0, &a, sizeof(a), NULL, 0);
	if (!strcmp(mode, "wrongkey"))
		return strcmp(answer(), "error");
	if (xrecv(&h, sizeof(h)) || h.type != DM_MIGRATE_MSG_AUTH || xrecv(&a, sizeof(a))) {
		printf("no AUTH\n");
		return 1;
	}

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
	} else if (!strcmp(mode, "badindex")) {
		c.index = cpu_to_be64(mig_geom_chunks(&g));
		msg(DM_MIGRATE_MSG_CHUNK, 1, &c, sizeof(c), data, len);
	} else if (!strcmp(mode, "badlen")) {
		c.data_len = cpu_to_be32(len - 512);
		msg(DM_MIGRATE_MSG_CHUNK, 1, &c, sizeof(c), data, len - 512);
	} else if (!strcmp(mode, "seq")) {
		msg(DM_MIGRATE_MSG_CHUNK, 7, &c, sizeof(c), data, len);
	} else {
		fprintf(stderr, "unknown mode %s\n", mode);
		return 2;
	}
	return strcmp(answer(), want) != 0;
}
