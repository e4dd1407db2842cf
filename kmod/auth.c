// SPDX-License-Identifier: GPL-2.0
/*
 * Keys and the handshake: geometry check, mutual HMAC-SHA256
 * challenge-response over a pre-shared key, the destination's verdict on
 * the session the source names, and the connection's stream key for
 * seal.c (include/uapi/linux/dm-migrate.h, "Handshake").  Each handshake
 * has MIG_HS_TIMEOUT in all: a peer that connects and says nothing, or
 * trickles bytes, is dropped by then.
 * Before the peer proved the key nothing it says is printed: an ERROR's
 * code is mapped to our own sentence and its text ignored.
 */
#include <crypto/algapi.h>
#include <crypto/hash.h>
#include <keys/user-type.h>
#include <linux/key.h>
#include <linux/random.h>

#include "auth.h"
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

static const char tag_source[] = "dm-migrate-v3 source";
static const char tag_dest[] = "dm-migrate-v3 dest";
static const char tag_stream[] = "dm-migrate-v3 stream";

/* The whole handshake, sends and receives, must fit in this. */
#define MIG_HS_TIMEOUT	(5 * HZ)

/* HMAC(key, tag | source HELLO | destination HELLO [| verdict]) */
static int mig_mac(const struct mig_key *key, const char *tag,
		   const struct dm_migrate_hello *hs,
		   const struct dm_migrate_hello *hd, const __be32 *verdict,
		   u8 *mac)
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
		    crypto_shash_update(desc, (const u8 *)hs, sizeof(*hs)) ?:
		    crypto_shash_update(desc, (const u8 *)hd, sizeof(*hd)) ?:
		    (verdict ? crypto_shash_update(desc, (const u8 *)verdict,
						   sizeof(*verdict)) : 0) ?:
		    crypto_shash_final(desc, mac);
		shash_desc_zero(desc);
	}
	crypto_free_shash(tfm);
	return r;
}

/* What an unauthenticated peer's ERROR code means; its text is ignored. */
static int refusal(u32 code, char *err, size_t errlen)
{
	static const char * const why[] = {
		[DM_MIGRATE_ERR_PROTOCOL] = "protocol error",
		[DM_MIGRATE_ERR_AUTH] = "authentication failed (wrong key?)",
		[DM_MIGRATE_ERR_GEOMETRY] = "volume or chunk size differs",
		[DM_MIGRATE_ERR_IO] = "volume I/O error",
		[DM_MIGRATE_ERR_BUSY] = "a newer connection of this migration is active",
		[DM_MIGRATE_ERR_OWNER] = "it owns the volume (handed off)",
	};

	snprintf(err, errlen, "peer refused: %s",
		 code < ARRAY_SIZE(why) && why[code] ? why[code] : "unknown reason");
	switch (code) {
	case DM_MIGRATE_ERR_AUTH:
		return -EACCES;		/* the key differs */
	case DM_MIGRATE_ERR_GEOMETRY:
		return -EINVAL;		/* the volumes differ */
	default:
		/* Even OWNER: only a verdict under the peer's MAC is final. */
		return -ECONNREFUSED;
	}
}

/*
 * Receive one handshake message of @type into @buf (@len bytes) by
 * @deadline.  An ERROR from the peer ends the handshake.
 */
static int recv_hs(struct socket *sock, u8 type, void *buf, u32 len,
		   unsigned long deadline, char *err, size_t errlen)
{
	struct dm_migrate_error perr;
	struct dm_migrate_hdr hdr;
	const char *why;
	int r;

	r = mig_recv_by(sock, &hdr, sizeof(hdr), deadline);
	if (r)
		goto fail;
	if (mig_wire_check_hdr(&hdr, false, sizeof(perr), &why)) {
		snprintf(err, errlen, "protocol error in handshake: %s", why);
		mig_send_error(sock, DM_MIGRATE_ERR_PROTOCOL, why);
		return -EPROTO;
	}
	if (hdr.type == DM_MIGRATE_MSG_ERROR) {
		r = mig_recv_by(sock, &perr, sizeof(perr), deadline);
		if (r)
			goto fail;
		return refusal(be32_to_cpu(perr.code), err, errlen);
	}
	if (hdr.type != type) {
		snprintf(err, errlen, "protocol error in handshake: unexpected message");
		mig_send_error(sock, DM_MIGRATE_ERR_PROTOCOL, "unexpected message in handshake");
		return -EPROTO;
	}
	r = mig_recv_by(sock, buf, len, deadline);
	if (!r)
		return 0;
fail:
	if (r == -ETIMEDOUT)
		snprintf(err, errlen, "handshake timed out: the peer said nothing for %u s",
			 MIG_HS_TIMEOUT / HZ);
	return r;
}

static void hello_init(struct dm_migrate_hello *h, const struct mig_geom *g,
		       const struct mig_session *s, u32 encs)
{
	memset(h, 0, sizeof(*h));
	h->dev_sectors = cpu_to_be64(g->dev_sectors);
	h->chunk_sectors = cpu_to_be32(g->chunk_sectors);
	h->flags = cpu_to_be32(encs);
	get_random_bytes(h->nonce, sizeof(h->nonce));
	if (s) {
		memcpy(h->session, s->id, sizeof(h->session));
		h->generation = cpu_to_be64(s->generation);
	}
}

/*
 * Exchange HELLOs.  The source sends its HELLO and then reads the
 * destination's; the destination reads the source's first, so that it
 * names encodings in its flags only to a source that named some (the
 * first sources of protocol v3 refuse any flags).  @from_source: whose
 * HELLO we receive.
 */
static int exchange_hello(struct socket *sock, const struct mig_geom *g,
			  struct dm_migrate_hello *mine,
			  struct dm_migrate_hello *theirs, bool from_source,
			  unsigned long deadline, char *err, size_t errlen)
{
	const char *why;
	int r;

	if (!from_source) {
		r = mig_send_msg(sock, DM_MIGRATE_MSG_HELLO, 0, mine,
				 sizeof(*mine), NULL, 0);
		if (r)
			return r;
	}
	r = recv_hs(sock, DM_MIGRATE_MSG_HELLO, theirs, sizeof(*theirs),
		    deadline, err, errlen);
	if (r)
		return r;
	if (from_source) {
		if (!theirs->flags)
			mine->flags = 0;
		r = mig_send_msg(sock, DM_MIGRATE_MSG_HELLO, 0, mine,
				 sizeof(*mine), NULL, 0);
		if (r)
			return r;
	}
	if (mig_wire_check_hello(theirs, from_source, g, &why)) {
		snprintf(err, errlen, "handshake refused: %s", why);
		mig_send_error(sock, DM_MIGRATE_ERR_GEOMETRY, why);
		return -EINVAL;
	}
	/* A destination that did not answer our flags is one that refuses them. */
	if (!from_source && mine->flags && !theirs->flags) {
		snprintf(err, errlen,
			 "the peer does not negotiate encodings (an older dm-migrate): connecting again with LZO");
		return -EPROTONOSUPPORT;
	}
	return 0;
}

/* Receive the peer's AUTH and check its fields and MAC. */
static int recv_auth(struct socket *sock, const struct mig_key *key,
		     bool from_source, const struct dm_migrate_hello *hs,
		     const struct dm_migrate_hello *hd, struct dm_migrate_auth *a,
		     unsigned long deadline, char *err, size_t errlen)
{
	u8 want[DM_MIGRATE_MAC_LEN];
	const char *why;
	int r;

	r = recv_hs(sock, DM_MIGRATE_MSG_AUTH, a, sizeof(*a), deadline, err, errlen);
	if (r)
		return r;
	if (mig_wire_check_auth(a, from_source, &why)) {
		snprintf(err, errlen, "protocol error in handshake: %s", why);
		mig_send_error(sock, DM_MIGRATE_ERR_PROTOCOL, why);
		return -EPROTO;
	}
	r = mig_mac(key, from_source ? tag_source : tag_dest, hs, hd,
		    from_source ? NULL : &a->verdict, want);
	if (!r && crypto_memneq(a->mac, want, sizeof(want))) {
		snprintf(err, errlen, "%s failed authentication (wrong key?)",
			 from_source ? "source" : "destination");
		mig_send_error(sock, DM_MIGRATE_ERR_AUTH, "authentication failed");
		r = -EACCES;
	}
	memzero_explicit(want, sizeof(want));
	return r;
}

static int hs_end(struct socket *sock, int r, char *err, size_t errlen)
{
	mig_sock_set_timeouts(sock, MAX_SCHEDULE_TIMEOUT, MAX_SCHEDULE_TIMEOUT);
	if (r && !err[0])
		snprintf(err, errlen, "handshake failed: error %d", r);
	return r;
}

int mig_handshake_source(struct socket *sock, const struct mig_geom *g,
			 const struct mig_key *key, const struct mig_session *s,
			 u32 *encs, u32 *verdict, u8 *stream_key, char *err,
			 size_t errlen)
{
	unsigned long deadline = jiffies + MIG_HS_TIMEOUT;
	struct dm_migrate_hello hs, hd;
	struct dm_migrate_auth a = {};
	int r;

	mig_sock_set_timeouts(sock, MIG_HS_TIMEOUT, MIG_HS_TIMEOUT);
	hello_init(&hs, g, s, *encs);
	r = exchange_hello(sock, g, &hs, &hd, false, deadline, err, errlen) ?:
	    mig_mac(key, tag_source, &hs, &hd, NULL, a.mac) ?:
	    mig_send_msg(sock, DM_MIGRATE_MSG_AUTH, 0, &a, sizeof(a), NULL, 0) ?:
	    recv_auth(sock, key, false, &hs, &hd, &a, deadline, err, errlen) ?:
	    mig_mac(key, tag_stream, &hs, &hd, &a.verdict, stream_key);
	if (!r) {
		*verdict = be32_to_cpu(a.verdict);
		/* Features: those both HELLOs name. */
		*encs = mig_wire_hello_encs(&hd) |
			(mig_wire_hello_feats(&hd) & mig_wire_hello_feats(&hs));
	}
	memzero_explicit(&a, sizeof(a));
	return hs_end(sock, r, err, errlen);
}

int mig_handshake_dest(struct socket *sock, const struct mig_geom *g,
		       const struct mig_key *key, u32 *encs, mig_decide_fn decide,
		       void *arg, u8 *stream_key, char *err, size_t errlen)
{
	unsigned long deadline = jiffies + MIG_HS_TIMEOUT;
	struct dm_migrate_hello hs, hd;
	struct dm_migrate_auth a;
	struct mig_session s;
	u32 code = 0;
	int r, verdict = 0;

	mig_sock_set_timeouts(sock, MIG_HS_TIMEOUT, MIG_HS_TIMEOUT);
	hello_init(&hd, g, NULL, *encs);
	r = exchange_hello(sock, g, &hd, &hs, true, deadline, err, errlen) ?:
	    recv_auth(sock, key, true, &hs, &hd, &a, deadline, err, errlen);
	if (r)
		goto out;
	/* What we told this source we decode, and the features both name. */
	*encs = mig_wire_hello_encs(&hd) |
		(mig_wire_hello_feats(&hd) & mig_wire_hello_feats(&hs));

	/* The source proved the key: now the session it names counts. */
	memcpy(s.id, hs.session, sizeof(s.id));
	s.generation = be64_to_cpu(hs.generation);
	r = decide(arg, &s, &code);
	if (r < 0) {
		refusal(code, err, errlen);
		mig_send_error(sock, code, err);
		goto out;
	}
	verdict = r;
	memset(&a, 0, sizeof(a));
	a.verdict = cpu_to_be32(verdict);
	r = mig_mac(key, tag_dest, &hs, &hd, &a.verdict, a.mac) ?:
	    mig_send_msg(sock, DM_MIGRATE_MSG_AUTH, 0, &a, sizeof(a), NULL, 0) ?:
	    mig_mac(key, tag_stream, &hs, &hd, &a.verdict, stream_key);
out:
	memzero_explicit(&a, sizeof(a));
	return hs_end(sock, r, err, errlen) ?: verdict;
}
