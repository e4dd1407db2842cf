// SPDX-License-Identifier: GPL-2.0
/* The socket, the sealing and the HMACs of protocol v3 (peer.h). */
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sys/socket.h>

#include "peer.h"

struct addrinfo *peer_args(char **argv, struct sockaddr_storage *ss, u8 *key,
			   int *klen, struct mig_geom *g)
{
	struct addrinfo *ai;
	int i;

	if (getaddrinfo(argv[1], argv[2], NULL, &ai))
		return NULL;
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	*klen = strlen(argv[3]) / 2;
	if (*klen > 64)
		*klen = 64;
	for (i = 0; i < *klen; i++)
		sscanf(argv[3] + 2 * i, "%2hhx", &key[i]);
	g->dev_sectors = strtoull(argv[4], NULL, 0);
	g->chunk_sectors = strtoul(argv[5], NULL, 0);
	return ai;
}

int peer_recv(int fd, void *p, size_t n)
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

int peer_aead(const u8 *key, int enc, u32 dir, u64 count,
	      const struct dm_migrate_hdr *hdr, u8 *buf, int len, u8 *tag)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	u8 iv[12];
	int n, ok;

	*(__be32 *)iv = cpu_to_be32(dir);
	*(__be64 *)(iv + 4) = cpu_to_be64(count);
	ok = EVP_CipherInit_ex(ctx, EVP_aes_128_gcm(), NULL, NULL, NULL, enc) &&
	     EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_IVLEN, 12, NULL) &&
	     EVP_CipherInit_ex(ctx, NULL, NULL, key, iv, enc) &&
	     (enc || EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG,
					 DM_MIGRATE_TAG_LEN, tag)) &&
	     EVP_CipherUpdate(ctx, NULL, &n, (const u8 *)hdr, sizeof(*hdr)) &&
	     (!len || EVP_CipherUpdate(ctx, buf, &n, buf, len)) &&
	     EVP_CipherFinal_ex(ctx, buf + len, &n) > 0 &&
	     (!enc || EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG,
					  DM_MIGRATE_TAG_LEN, tag));
	EVP_CIPHER_CTX_free(ctx);
	return ok ? 0 : -1;
}

void peer_mac(const u8 *key, int klen, const char *tag,
	      const struct dm_migrate_hello *hs,
	      const struct dm_migrate_hello *hd, const __be32 *verdict, u8 *out)
{
	u8 buf[512];
	size_t n = strlen(tag);
	unsigned int olen = 32;

	memcpy(buf, tag, n);
	memcpy(buf + n, hs, sizeof(*hs));
	memcpy(buf + n + sizeof(*hs), hd, sizeof(*hd));
	n += 2 * sizeof(*hs);
	if (verdict) {
		memcpy(buf + n, verdict, sizeof(*verdict));
		n += sizeof(*verdict);
	}
	HMAC(EVP_sha256(), key, klen, buf, n, out, &olen);
}
