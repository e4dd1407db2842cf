/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the test peers (badpeer, a misbehaving source; olddest, a
 * destination of another version) share: reading the socket, the sealing
 * of protocol v3
 * (AES-128-GCM, the nonce of a direction and a count) and its HMACs, with
 * OpenSSL, written from docs/wire-protocol.rst and not from the module.
 */
#ifndef DM_MIGRATE_TEST_PEER_H
#define DM_MIGRATE_TEST_PEER_H

#include <netdb.h>

#include "wire.h"

/*
 * AES-128-GCM in place over @len bytes at @buf under @key (16 bytes),
 * @hdr the associated data; encrypting writes the tag to @tag,
 * decrypting checks it.  0, or -1 when the tag does not match.
 */
int peer_aead(const u8 *key, int enc, u32 dir, u64 count,
	      const struct dm_migrate_hdr *hdr, u8 *buf, int len, u8 *tag);

/* HMAC-SHA256(key, tag | source HELLO | destination HELLO [| verdict]). */
void peer_mac(const u8 *key, int klen, const char *tag,
	      const struct dm_migrate_hello *hs,
	      const struct dm_migrate_hello *hd, const __be32 *verdict, u8 *out);

/*
 * The arguments every test peer starts with: ADDR PORT HEXKEY DEV_SECTORS
 * CHUNK_SECTORS (argv[1] to argv[5]) into @ss, @key (up to 64 bytes, its
 * length in @klen) and @g.  The address's addrinfo, or NULL.
 */
struct addrinfo *peer_args(char **argv, struct sockaddr_storage *ss, u8 *key,
			   int *klen, struct mig_geom *g);

/* Receive exactly @n bytes from @fd into @p: 0, or -1 (closed, error). */
int peer_recv(int fd, void *p, size_t n);

#endif /* DM_MIGRATE_TEST_PEER_H */
