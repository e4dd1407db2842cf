// SPDX-License-Identifier: GPL-2.0
/*
 * olddest: a destination of another version, for the source's encoding
 * negotiation.  It listens on ADDR:PORT, takes a source through the
 * protocol v3 handshake, applies what it sends to VOLUME (decoding with
 * the system's liblzo2, liblz4 and libzstd: not the module's code),
 * acknowledges it, and exits 0 once HANDOFF is applied, printing the
 * chunks it got of each encoding.  A connection that breaks is followed
 * by the next one.
 *
 * MODE legacy: the first dm-migrate of protocol v3, which negotiates no
 *   encodings: it sends its HELLO first and refuses a source's HELLO
 *   with flags (ERROR GEOMETRY, "HELLO with reserved flags set"), as that
 *   version did; then takes RAW, LZO and ZERO only.
 * MODE offer:MASK: a destination that decodes RAW, LZO, ZERO and the
 *   encodings of MASK (HELLO flag bits, hex: 8 is LZ4, 10 zstd): it
 *   answers the source's HELLO with them.
 * Any chunk in an encoding it did not offer, or any other violation,
 * ends it with exit status 1 and the reason.
 *
 * Usage: olddest ADDR PORT HEXKEY DEV_SECTORS CHUNK_SECTORS VOLUME MODE
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <lz4.h>
#include <lzo/lzo1x.h>
#include <netdb.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zstd.h>

#include "peer.h"

static int fd, vol;
static struct mig_geom g;
static u8 key[64], skey[DM_MIGRATE_MAC_LEN];
static int klen;
static u64 tx_count, rx_count;
static u64 counts[__DM_MIGRATE_ENC_MAX], writes;
static u8 buf[(8 << 20) + 4096], data[8 << 20];

static void die(const char *why)
{
	printf("olddest: %s\n", why);
	fflush(stdout);
	exit(1);
}

static int xrecv(void *p, size_t n)
{
	return peer_recv(fd, p, n);
}

static int xsend(const void *p, size_t n)
{
	return send(fd, p, n, MSG_NOSIGNAL) == (ssize_t)n ? 0 : -1;
}

/* A handshake message, in clear. */
static int send_plain(u8 type, const void *p, u32 n)
{
	struct dm_migrate_hdr h;

	mig_wire_hdr(&h, type, n, 0);
	return xsend(&h, sizeof(h)) || xsend(p, n);
}

static int recv_plain(u8 type, void *p, u32 n)
{
	struct dm_migrate_hdr h;
	const char *why;

	if (xrecv(&h, sizeof(h)) || mig_wire_check_hdr(&h, false, 4096, &why) ||
	    h.type != type || be32_to_cpu(h.len) != n)
		return -1;
	return xrecv(p, n);
}

static int send_sealed(u8 type, u64 seq, const void *p, u32 n)
{
	struct dm_migrate_hdr h;

	mig_wire_hdr(&h, type, n, seq);
	memcpy(buf, p, n);
	peer_aead(skey, 1, DM_MIGRATE_DIR_TO_SOURCE, tx_count++, &h, buf, n, buf + n);
	return xsend(&h, sizeof(h)) || xsend(buf, n + DM_MIGRATE_TAG_LEN);
}

/* The handshake; the encodings this connection may carry, or 0 to drop it. */
static u32 handshake(bool legacy, u32 offer)
{
	static struct {
		u8 id[DM_MIGRATE_SESSION_LEN];
		u64 generation;
	} seen;
	struct dm_migrate_hello hs, hd = {
		.dev_sectors = cpu_to_be64(g.dev_sectors),
		.chunk_sectors = cpu_to_be32(g.chunk_sectors),
	};
	struct dm_migrate_auth a;
	struct dm_migrate_error e = { .code = cpu_to_be32(DM_MIGRATE_ERR_GEOMETRY) };
	u8 want[DM_MIGRATE_MAC_LEN];
	const char *why;
	u32 verdict;
	size_t i;

	for (i = 0; i < sizeof(hd.nonce); i++)
		hd.nonce[i] = rand();
	if (legacy && send_plain(DM_MIGRATE_MSG_HELLO, &hd, sizeof(hd)))
		return 0;
	if (recv_plain(DM_MIGRATE_MSG_HELLO, &hs, sizeof(hs)))
		return 0;
	if (legacy && hs.flags) {
		strcpy(e.text, "HELLO with reserved flags set");
		send_plain(DM_MIGRATE_MSG_ERROR, &e, sizeof(e));
		printf("refused a HELLO with flags %#x\n", be32_to_cpu(hs.flags));
		return 0;
	}
	hd.flags = hs.flags ? cpu_to_be32(DM_MIGRATE_ENC_BASE | offer) : 0;
	if ((!legacy && send_plain(DM_MIGRATE_MSG_HELLO, &hd, sizeof(hd))) ||
	    mig_wire_check_hello(&hs, true, &g, &why))
		return 0;
	if (recv_plain(DM_MIGRATE_MSG_AUTH, &a, sizeof(a)))
		return 0;
	peer_mac(key, klen, "dm-migrate-v3 source", &hs, &hd, NULL, want);
	if (memcmp(want, a.mac, sizeof(want)))
		die("the source failed authentication");
	verdict = !memcmp(seen.id, hs.session, sizeof(seen.id)) &&
		  be64_to_cpu(hs.generation) > seen.generation ?
		  DM_MIGRATE_VERDICT_RESUME : DM_MIGRATE_VERDICT_FRESH;
	memcpy(seen.id, hs.session, sizeof(seen.id));
	seen.generation = be64_to_cpu(hs.generation);
	memset(&a, 0, sizeof(a));
	a.verdict = cpu_to_be32(verdict);
	peer_mac(key, klen, "dm-migrate-v3 dest", &hs, &hd, &a.verdict, a.mac);
	if (send_plain(DM_MIGRATE_MSG_AUTH, &a, sizeof(a)))
		return 0;
	peer_mac(key, klen, "dm-migrate-v3 stream", &hs, &hd, &a.verdict, skey);
	tx_count = rx_count = 0;
	printf("connected: flags %#x, %s\n", be32_to_cpu(hd.flags),
	       verdict ? "resumed" : "new session");
	fflush(stdout);
	return mig_wire_hello_encs(&hd);
}

/* Decode CHUNK @c's @n bytes at @p into data[]; 0 or a reason. */
static const char *decode(const struct dm_migrate_chunk *c, const u8 *p, u32 n)
{
	u32 len = be32_to_cpu(c->data_len);
	lzo_uint dlen = len;

	switch (c->encoding) {
	case DM_MIGRATE_ENC_RAW:
		memcpy(data, p, len);
		break;
	case DM_MIGRATE_ENC_LZO:
		if (lzo1x_decompress_safe(p, n, data, &dlen, NULL) != LZO_E_OK || dlen != len)
			return "corrupt LZO";
		break;
	case DM_MIGRATE_ENC_LZ4:
		if (LZ4_decompress_safe((const char *)p, (char *)data, n, len) != (int)len)
			return "corrupt LZ4";
		break;
	case DM_MIGRATE_ENC_ZSTD:
		if (ZSTD_decompress(data, len, p, n) != len)
			return "corrupt zstd";
		break;
	}
	return mig_crc32c(data, len) == be32_to_cpu(c->crc32c) ? NULL : "CRC mismatch";
}

static void apply_chunk(const u8 *p, u32 n, u32 encs)
{
	struct dm_migrate_chunk c;
	const char *why;
	u64 off, end;

	memcpy(&c, p, sizeof(c));
	if (mig_wire_check_chunk(&c, n - sizeof(c), &g, encs, &why))
		die(why);
	off = be64_to_cpu(c.index) * g.chunk_sectors * 512;
	counts[c.encoding] += be32_to_cpu(c.count);
	if (c.encoding == DM_MIGRATE_ENC_ZERO) {
		end = (be64_to_cpu(c.index) + be32_to_cpu(c.count)) * g.chunk_sectors * 512;
		if (end > g.dev_sectors * 512)
			end = g.dev_sectors * 512;
		memset(data, 0, mig_geom_chunk_bytes(&g));
		for (; off < end; off += mig_geom_chunk_bytes(&g))
			if (pwrite(vol, data, end - off < mig_geom_chunk_bytes(&g) ?
				   end - off : mig_geom_chunk_bytes(&g), off) < 0)
				die("volume write failed");
		return;
	}
	why = decode(&c, p + sizeof(c), n - sizeof(c));
	if (why)
		die(why);
	if (pwrite(vol, data, be32_to_cpu(c.data_len), off) < 0)
		die("volume write failed");
}

/* Serve one authenticated connection; 1 once handed off. */
static int serve(u32 encs)
{
	u32 max = mig_wire_max_payload(&g), n;
	struct dm_migrate_write w;
	struct dm_migrate_hdr h;
	u64 seq = 0, acked = 0;
	const char *why;
	int pending;

	for (;;) {
		if (xrecv(&h, sizeof(h)))
			return 0;
		if (mig_wire_check_hdr(&h, true, max, &why))
			die(why);
		n = be32_to_cpu(h.len);
		if (xrecv(buf, n + DM_MIGRATE_TAG_LEN) ||
		    peer_aead(skey, 0, DM_MIGRATE_DIR_TO_DEST, rx_count++, &h, buf, n, buf + n))
			die("a message failed authentication");
		if (be64_to_cpu(h.seq) != ++seq)
			die("message out of sequence");
		switch (h.type) {
		case DM_MIGRATE_MSG_CHUNK:
			apply_chunk(buf, n, encs);
			break;
		case DM_MIGRATE_MSG_WRITE:
			memcpy(&w, buf, sizeof(w));
			if (mig_wire_check_write(&w, n - sizeof(w), &g, &why))
				die(why);
			if (mig_crc32c(buf + sizeof(w), n - sizeof(w)) != be32_to_cpu(w.crc32c))
				die("write CRC mismatch");
			if (pwrite(vol, buf + sizeof(w), n - sizeof(w),
				   be64_to_cpu(w.sector) * 512) < 0)
				die("volume write failed");
			writes++;
			break;
		case DM_MIGRATE_MSG_FLUSH:
		case DM_MIGRATE_MSG_HANDOFF:
			break;
		default:
			die("unexpected message");
		}
		/* An ACK means durable; one covers what has arrived. */
		if (ioctl(fd, FIONREAD, &pending) || !pending || seq - acked >= 64 ||
		    h.type == DM_MIGRATE_MSG_HANDOFF) {
			if (fdatasync(vol))
				die("volume flush failed");
			if (send_sealed(DM_MIGRATE_MSG_ACK, seq, NULL, 0))
				return 0;
			acked = seq;
		}
		if (h.type == DM_MIGRATE_MSG_HANDOFF)
			return 1;
	}
}

int main(int argc, char **argv)
{
	struct sockaddr_storage ss = {};
	struct addrinfo *ai;
	u32 offer = 0, encs;
	bool legacy;
	int ls, i, one = 1;

	if (argc != 8) {
		fprintf(stderr, "usage: olddest ADDR PORT HEXKEY DEV_SECTORS CHUNK_SECTORS VOLUME MODE\n");
		return 2;
	}
	ai = peer_args(argv, &ss, key, &klen, &g);
	if (!ai)
		return 2;
	vol = open(argv[6], O_WRONLY);
	legacy = !strcmp(argv[7], "legacy");
	if (!legacy && sscanf(argv[7], "offer:%x", &offer) != 1) {
		fprintf(stderr, "olddest: MODE is legacy or offer:MASK\n");
		return 2;
	}
	ls = socket(ss.ss_family, SOCK_STREAM, 0);
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (vol < 0 || lzo_init() != LZO_E_OK || ls < 0 ||
	    bind(ls, (struct sockaddr *)&ss, ai->ai_addrlen) || listen(ls, 8)) {
		perror("olddest");
		return 2;
	}
	printf("listening\n");
	fflush(stdout);
	for (i = 0; i < 50; i++) {
		fd = accept(ls, NULL, NULL);
		if (fd < 0)
			continue;
		encs = handshake(legacy, offer);
		if (encs && serve(encs)) {
			printf("handed off: raw=%llu lzo=%llu zero=%llu lz4=%llu zstd=%llu writes=%llu\n",
			       (unsigned long long)counts[DM_MIGRATE_ENC_RAW],
			       (unsigned long long)counts[DM_MIGRATE_ENC_LZO],
			       (unsigned long long)counts[DM_MIGRATE_ENC_ZERO],
			       (unsigned long long)counts[DM_MIGRATE_ENC_LZ4],
			       (unsigned long long)counts[DM_MIGRATE_ENC_ZSTD],
			       (unsigned long long)writes);
			return 0;
		}
		close(fd);
	}
	die("too many connections");
}
