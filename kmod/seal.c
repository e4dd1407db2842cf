// SPDX-License-Identifier: GPL-2.0
/*
 * The sealed stream.  After the handshake every message, both ways, is
 * sealed with AES-128-GCM (the kernel crypto API's "gcm(aes)": AES-NI and
 * PCLMULQDQ where the CPU has them): the header is the associated data,
 * the payload is encrypted, the tag follows it.  The nonce is the direction
 * and a per-direction message count, so nothing can be altered, replayed,
 * reordered or dropped without the next tag failing.
 *
 * A message's header is kept apart and its payload is built in a private
 * page-aligned buffer (payload | tag), sealed in place and sent with one
 * copy into the socket; a received message's payload and tag are read
 * into the other buffer and opened in place, so no byte of a message is
 * used before its tag verified.  The buffers live as long as the engine;
 * each connection only sets a new key and resets the counters.  The
 * implementation is one that never allocates memory while it works (the
 * sending side serves mirrored writes: writeback may wait on it), and the
 * layout is the one such implementations need: the header alone in the
 * first scatterlist element, the payload starting on a page.
 */
#include <crypto/aead.h>
#include <linux/bio.h>
#include <linux/mm.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "dm-migrate.h"
#include "seal.h"
#include "transport.h"

#define MIG_AEAD	"gcm(aes)"
#define HDR_LEN		sizeof(struct dm_migrate_hdr)

/* The 12-byte nonce of a sealed message. */
struct mig_nonce {
	__be32 dir;			/* DM_MIGRATE_DIR_* */
	__be64 count;			/* messages before, this direction */
} __packed;

/* One direction: its buffers, scatterlist, request and counter. */
struct mig_seal_dir {
	struct dm_migrate_hdr hdr;	/* the associated data */
	struct aead_request *req;
	u8 *buf;			/* payload | tag; page-aligned */
	struct scatterlist *sg;		/* @hdr, then the whole of @buf */
	u32 max;			/* payload bytes at most */
	u32 dir;			/* DM_MIGRATE_DIR_* */
	u64 count;			/* messages sealed/opened so far */
	struct mig_nonce iv;
	struct crypto_wait wait;	/* an asynchronous implementation's */
};

struct mig_seal {
	struct crypto_aead *tfm;
	struct mig_seal_dir tx, rx;
};

/*
 * @hdr, then @len bytes at @buf (page-aligned, from kvmalloc: either
 * physically contiguous or vmalloc'd) as a scatterlist.
 */
static struct scatterlist *dir_sg(struct dm_migrate_hdr *hdr, u8 *buf,
				  size_t len)
{
	unsigned int i, n = DIV_ROUND_UP(len, PAGE_SIZE);
	struct scatterlist *sg;

	sg = kvmalloc_array(n + 1, sizeof(*sg), GFP_KERNEL);
	if (!sg)
		return NULL;
	sg_init_table(sg, n + 1);
	sg_set_buf(&sg[0], hdr, sizeof(*hdr));
	for (i = 1; i <= n; i++, buf += PAGE_SIZE)
		sg_set_page(&sg[i], is_vmalloc_addr(buf) ? vmalloc_to_page(buf) :
			    virt_to_page(buf), PAGE_SIZE, 0);
	return sg;
}

static int dir_init(struct mig_seal *s, struct mig_seal_dir *d, u32 max)
{
	/* Whole pages: kmalloc'd ones are then page-aligned too. */
	size_t size = round_up((size_t)max + DM_MIGRATE_TAG_LEN, PAGE_SIZE);

	d->max = max;
	d->buf = kvmalloc(size, GFP_KERNEL);
	d->sg = d->buf ? dir_sg(&d->hdr, d->buf, size) : NULL;
	d->req = aead_request_alloc(s->tfm, GFP_KERNEL);
	if (!d->buf || !d->sg || !d->req)
		return -ENOMEM;
	if (WARN_ON_ONCE(offset_in_page(d->buf)))
		return -EINVAL;
	crypto_init_wait(&d->wait);
	aead_request_set_callback(d->req, CRYPTO_TFM_REQ_MAY_BACKLOG |
				  CRYPTO_TFM_REQ_MAY_SLEEP, crypto_req_done,
				  &d->wait);
	aead_request_set_ad(d->req, HDR_LEN);
	return 0;
}

static void dir_free(struct mig_seal_dir *d)
{
	if (d->req)
		aead_request_free(d->req);
	kvfree(d->sg);
	kvfree(d->buf);
}

struct mig_seal *mig_seal_alloc(u32 tx_max, u32 rx_max, const char **why)
{
	struct mig_seal *s = kzalloc(sizeof(*s), GFP_KERNEL);
	int r;

	*why = "out of memory";
	if (!s)
		return ERR_PTR(-ENOMEM);
	/* Asynchronous ones too (we wait), but none that allocates. */
	s->tfm = crypto_alloc_aead(MIG_AEAD, 0, CRYPTO_ALG_ALLOCATES_MEMORY);
	if (IS_ERR(s->tfm)) {
		r = PTR_ERR(s->tfm);
		*why = "cannot load " MIG_AEAD " (CONFIG_CRYPTO_GCM; modprobe gcm)";
		s->tfm = NULL;
		goto fail;
	}
	BUILD_BUG_ON(sizeof(struct mig_nonce) != 12);
	r = -EINVAL;
	if (crypto_aead_ivsize(s->tfm) != sizeof(struct mig_nonce) ||
	    crypto_aead_setauthsize(s->tfm, DM_MIGRATE_TAG_LEN)) {
		*why = "the kernel's " MIG_AEAD " does not take a 12-byte nonce and a 16-byte tag";
		goto fail;
	}
	*why = "out of memory";
	r = dir_init(s, &s->tx, tx_max) ?: dir_init(s, &s->rx, rx_max);
	if (r)
		goto fail;
	return s;
fail:
	mig_seal_free(s);
	return ERR_PTR(r);
}

void mig_seal_free(struct mig_seal *s)
{
	if (IS_ERR_OR_NULL(s))
		return;
	dir_free(&s->tx);
	dir_free(&s->rx);
	if (s->tfm)
		crypto_free_aead(s->tfm);	/* wipes the key */
	kfree(s);
}

int mig_seal_rekey(struct mig_seal *s, const u8 *key, bool source)
{
	s->tx.count = 0;
	s->rx.count = 0;
	s->tx.dir = source ? DM_MIGRATE_DIR_TO_DEST : DM_MIGRATE_DIR_TO_SOURCE;
	s->rx.dir = source ? DM_MIGRATE_DIR_TO_SOURCE : DM_MIGRATE_DIR_TO_DEST;
	return crypto_aead_setkey(s->tfm, key, DM_MIGRATE_STREAM_KEY_LEN);
}

void mig_seal_wipe(struct mig_seal *s)
{
	u8 zero[DM_MIGRATE_STREAM_KEY_LEN] = {};

	if (!IS_ERR_OR_NULL(s))
		crypto_aead_setkey(s->tfm, zero, sizeof(zero));
}

static void next_nonce(struct mig_seal_dir *d)
{
	d->iv.dir = cpu_to_be32(d->dir);
	d->iv.count = cpu_to_be64(d->count++);
}

/* Seal the message built in s->tx.buf and send it. */
static int seal_send(struct mig_seal *s, struct socket *sock, u32 len)
{
	struct mig_seal_dir *d = &s->tx;
	int r;

	next_nonce(d);
	aead_request_set_crypt(d->req, d->sg, d->sg, len, (u8 *)&d->iv);
	r = crypto_wait_req(crypto_aead_encrypt(d->req), &d->wait);
	if (r)
		return r;
	return mig_send_parts(sock, &d->hdr, HDR_LEN, d->buf,
			      len + DM_MIGRATE_TAG_LEN);
}

/* The header of a message of @len payload bytes, or -EMSGSIZE. */
static int seal_hdr(struct mig_seal_dir *d, u8 type, u64 seq, u32 len)
{
	if (WARN_ON_ONCE(len > d->max))
		return -EMSGSIZE;
	mig_wire_hdr(&d->hdr, type, len, seq);
	return 0;
}

int mig_seal_send(struct mig_seal *s, struct socket *sock, u8 type, u64 seq,
		  const void *p1, u32 l1, const void *p2, u32 l2)
{
	u8 *p = s->tx.buf;
	int r = seal_hdr(&s->tx, type, seq, l1 + l2);

	if (r)
		return r;
	if (l1)
		memcpy(p, p1, l1);
	if (l2)
		memcpy(p + l1, p2, l2);
	return seal_send(s, sock, l1 + l2);
}

int mig_seal_send_bio(struct mig_seal *s, struct socket *sock, u8 type,
		      u64 seq, const void *p1, u32 l1, struct bio *bio,
		      struct bvec_iter iter)
{
	u8 *p = s->tx.buf + l1;
	u32 len = l1 + iter.bi_size;
	struct bvec_iter it;
	struct bio_vec bv;
	int r = seal_hdr(&s->tx, type, seq, len);

	if (r)
		return r;
	memcpy(s->tx.buf, p1, l1);
	__bio_for_each_segment(bv, bio, it, iter) {
		memcpy_from_bvec((char *)p, &bv);
		p += bv.bv_len;
	}
	return seal_send(s, sock, len);
}

void mig_seal_error(struct mig_seal *s, struct socket *sock, u32 code,
		    const char *text)
{
	struct dm_migrate_error err = { .code = cpu_to_be32(code) };

	strscpy(err.text, text, sizeof(err.text));
	mig_seal_send(s, sock, DM_MIGRATE_MSG_ERROR, 0, &err, sizeof(err),
		      NULL, 0);
}

int mig_seal_recv(struct mig_seal *s, struct socket *sock,
		  const struct dm_migrate_hdr *hdr, void **payload,
		  int (*tick)(void *arg), void *arg)
{
	struct mig_seal_dir *d = &s->rx;
	u32 len = be32_to_cpu(hdr->len);
	int r;

	if (WARN_ON_ONCE(len > d->max))
		return -EMSGSIZE;
	d->hdr = *hdr;
	r = mig_recv_ticking(sock, d->buf, len + DM_MIGRATE_TAG_LEN, tick, arg);
	if (r)
		return r;
	next_nonce(d);
	aead_request_set_crypt(d->req, d->sg, d->sg, len + DM_MIGRATE_TAG_LEN,
			       (u8 *)&d->iv);
	r = crypto_wait_req(crypto_aead_decrypt(d->req), &d->wait);
	if (r)
		return r;
	*payload = d->buf;
	return 0;
}
