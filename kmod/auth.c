// SPDX-License-Identifier: GPL-2.0
/*
 * Keys and the handshake: geometry check and mutual HMAC-SHA256
 * challenge-response over a pre-shared key (include/uapi/linux/dm-migrate.h,
 * "Handshake").
 */
#include <crypto/algapi.h>
#include <crypto/hash.h>
#include <keys/user-type.h>
#include <linux/key.h>
#include <linux/random.h>

#include "dm-migrate.h"
#include "transport.h"

/*
 * Read the key bytes of "logon:DESC" or "user:DESC" from the calling
 * process's keyrings, the way dm-crypt takes its keys: the operator loads
 * the key with keyctl, and no key ever passes through a command line.
 */
int mig_key_from_keyring(const char *desc, struct mig_key *key,
			 const char **why)
{
	const struct user_key_payload *ukp;
	struct key_type *type;
	struct key *k;
	int r = 0;

	if (!strncmp(desc, "logon:", 6)) {
		type = &key_type_logon;
		desc += 6;
	} else if (!strncmp(desc, "user:", 5)) {
		type = &key_type_user;
		desc += 5;
	} else {
		*why = "key description must start with logon: or user:";
		return -EINVAL;
	}
	k = request_key(type, desc, NULL);
	if (IS_ERR(k)) {
		*why = "no such key in the caller's keyrings";
		return PTR_ERR(k);
	}
	down_read(&k->sem);
	ukp = user_key_payload_locked(k);
	if (!ukp) {
		*why = "the key was revoked";
		r = -EKEYREVOKED;
	} else if (ukp->datalen < DM_MIGRATE_MIN_KEY_LEN ||
		   ukp->datalen > DM_MIGRATE_MAX_KEY_LEN) {
		*why = "the key must hold 16 to 64 bytes";
		r = -EINVAL;
	} else {
		memcpy(key->bytes, ukp->data, ukp->datalen);
		key->len = ukp->datalen;
	}
	up_read(&k->sem);
	key_put(k);
	return r;
}

static const char tag_source[] = "dm-migrate-v1 source";
static const char tag_dest[] = "dm-migrate-v1 dest";

/* HMAC(key, tag | nonce_a | nonce_b | geometry) */
static int mig_mac(const struct mig_key *key, const char *tag,
		   const u8 *nonce_a, const u8 *nonce_b,
		   const struct dm_migrate_hello *geom, u8 *mac)
{
	struct crypto_shash *tfm;
	int r;

	tfm = crypto_alloc_shash("hmac(sha256)", 0, 0);
	if (IS_ERR(tfm))
		return PTR_ERR(tfm);
	r = crypto_shash_setkey(tfm, key->bytes, key->len);
	if (!r) {
		SHASH_DESC_ON_STACK(desc, tfm);

		desc->tfm = tfm;
		r = crypto_shash_init(desc) ?:
		    crypto_shash_update(desc, tag, strlen(tag)) ?:
		    crypto_shash_update(desc, nonce_a, DM_MIGRATE_NONCE_LEN) ?:
		    crypto_shash_update(desc, nonce_b, DM_MIGRATE_NONCE_LEN) ?:
		    crypto_shash_update(desc, (const u8 *)&geom->dev_sectors,
					sizeof(geom->dev_sectors) +
					sizeof(geom->chunk_sectors)) ?:
		    crypto_shash_final(desc, mac);
		shash_desc_zero(desc);
	}
	crypto_free_shash(tfm);
	return r;
}

/*
 * Receive one handshake message of @type into @buf (@len bytes).  An ERROR
 * from the peer ends the handshake with its text in @err.
 */
static int recv_hs(struct socket *sock, u8 type, void *buf, u32 len,
		   char *err, size_t errlen)
{
	struct dm_migrate_error perr;
	struct dm_migrate_hdr hdr;
	const char *why;
	int r;

	r = mig_recv(sock, &hdr, sizeof(hdr));
	if (r)
		return r;
	if (mig_wire_check_hdr(&hdr, false, sizeof(perr), &why)) {
		snprintf(err, errlen, "protocol error in handshake: %s", why);
		mig_send_error(sock, DM_MIGRATE_ERR_PROTOCOL, why);
		return -EPROTO;
	}
	if (hdr.type == DM_MIGRATE_MSG_ERROR) {
		r = mig_recv(sock, &perr, sizeof(perr));
		if (r)
			return r;
		perr.text[sizeof(perr.text) - 1] = '\0';
		snprintf(err, errlen, "peer refused: %s", perr.text);
		switch (be32_to_cpu(perr.code)) {
		case DM_MIGRATE_ERR_AUTH:
			return -EACCES;		/* the key differs */
		case DM_MIGRATE_ERR_GEOMETRY:
			return -EINVAL;		/* the volumes differ */
		default:
			return -ECONNREFUSED;
		}
	}
	if (hdr.type != type) {
		snprintf(err, errlen, "protocol error in handshake: unexpected message");
		mig_send_error(sock, DM_MIGRATE_ERR_PROTOCOL, "unexpected message in handshake");
		return -EPROTO;
	}
	return mig_recv(sock, buf, len);
}

int mig_handshake(struct socket *sock, bool source, const struct mig_geom *g,
		  const struct mig_key *key, char *err, size_t errlen)
{
	struct dm_migrate_hello mine = {}, theirs;
	u8 mac[DM_MIGRATE_MAC_LEN], want[DM_MIGRATE_MAC_LEN];
	const u8 *client_nonce, *server_nonce;
	const char *why;
	int r;

	mine.dev_sectors = cpu_to_be64(g->dev_sectors);
	mine.chunk_sectors = cpu_to_be32(g->chunk_sectors);
	get_random_bytes(mine.nonce, sizeof(mine.nonce));

	r = mig_send_msg(sock, DM_MIGRATE_MSG_HELLO, 0, &mine, sizeof(mine),
			 NULL, 0);
	if (!r)
		r = recv_hs(sock, DM_MIGRATE_MSG_HELLO, &theirs, sizeof(theirs),
			    err, errlen);
	if (r)
		goto out;
	if (mig_wire_check_hello(&theirs, g, &why)) {
		snprintf(err, errlen, "handshake refused: %s", why);
		mig_send_error(sock, DM_MIGRATE_ERR_GEOMETRY, why);
		r = -EINVAL;
		goto out;
	}
	client_nonce = source ? mine.nonce : theirs.nonce;
	server_nonce = source ? theirs.nonce : mine.nonce;

	/* The source proves itself first, then the destination. */
	if (source) {
		r = mig_mac(key, tag_source, server_nonce, client_nonce, &mine, mac) ?:
		    mig_send_msg(sock, DM_MIGRATE_MSG_AUTH, 0, mac, sizeof(mac),
				 NULL, 0) ?:
		    recv_hs(sock, DM_MIGRATE_MSG_AUTH, mac, sizeof(mac), err, errlen) ?:
		    mig_mac(key, tag_dest, client_nonce, server_nonce, &mine, want);
		if (r)
			goto out;
		if (crypto_memneq(mac, want, sizeof(mac))) {
			snprintf(err, errlen, "destination failed authentication (wrong key?)");
			mig_send_error(sock, DM_MIGRATE_ERR_AUTH, "authentication failed");
			r = -EACCES;
		}
		goto out;
	}

	r = recv_hs(sock, DM_MIGRATE_MSG_AUTH, mac, sizeof(mac), err, errlen) ?:
	    mig_mac(key, tag_source, server_nonce, client_nonce, &mine, want);
	if (r)
		goto out;
	if (crypto_memneq(mac, want, sizeof(mac))) {
		snprintf(err, errlen, "source failed authentication (wrong key?)");
		mig_send_error(sock, DM_MIGRATE_ERR_AUTH, "authentication failed");
		r = -EACCES;
		goto out;
	}
	r = mig_mac(key, tag_dest, client_nonce, server_nonce, &mine, mac) ?:
	    mig_send_msg(sock, DM_MIGRATE_MSG_AUTH, 0, mac, sizeof(mac), NULL, 0);
out:
	memzero_explicit(mac, sizeof(mac));
	memzero_explicit(want, sizeof(want));
	if (r && !err[0])
		snprintf(err, errlen, "handshake failed: error %d", r);
	return r;
}
