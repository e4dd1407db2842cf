/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The sealed stream: every message after the handshake is encrypted and
 * authenticated with AES-128-GCM under the connection's stream key
 * (include/uapi/linux/dm-migrate.h, "Sealed stream").
 */
#ifndef DM_MIGRATE_SEAL_H
#define DM_MIGRATE_SEAL_H

#include <linux/bvec.h>
#include <linux/net.h>

#include "wire.h"

struct bio;
struct mig_seal;

/* Bytes a sealed message with @payload bytes takes on the wire. */
static inline u32 mig_sealed_len(u32 payload)
{
	return sizeof(struct dm_migrate_hdr) + payload + DM_MIGRATE_TAG_LEN;
}

/*
 * The sealing state of one end of a connection, allocated once per engine
 * and keyed again for each connection: buffers for messages of up to
 * @tx_max payload bytes sent and @rx_max received.  Sending is for one
 * thread and receiving for one thread (they may be two).  An ERR_PTR if
 * out of memory or the kernel has no AES-GCM (with a sentence in *@why).
 */
struct mig_seal *mig_seal_alloc(u32 tx_max, u32 rx_max, const char **why);
void mig_seal_free(struct mig_seal *s);

/*
 * Key a new connection: @key is its stream key (the handshake's), @source
 * whether we are its source.  The message counters start again at 0.
 */
int mig_seal_rekey(struct mig_seal *s, const u8 *key, bool source);
/* Forget the stream key (the connection is gone). */
void mig_seal_wipe(struct mig_seal *s);

/* Seal and send a header and up to two payload pieces as one message. */
int mig_seal_send(struct mig_seal *s, struct socket *sock, u8 type, u64 seq,
		  const void *p1, u32 l1, const void *p2, u32 l2);
/* The same with the data of @bio under @iter as the second piece. */
int mig_seal_send_bio(struct mig_seal *s, struct socket *sock, u8 type,
		      u64 seq, const void *p1, u32 l1, struct bio *bio,
		      struct bvec_iter iter);
/* Send a sealed ERROR, best effort. */
void mig_seal_error(struct mig_seal *s, struct socket *sock, u32 code,
		    const char *text);

/*
 * Receive the rest of the message whose header @hdr was received and
 * checked (hdr->len no more than rx_max): its payload and tag, then open
 * it.  On success *@payload points to hdr->len plaintext bytes, valid
 * until the next receive; it starts on a page.  -EBADMSG: the message was
 * not sealed by our peer for this place in the stream; nothing of it may
 * be used.  Other errors: the socket's or the crypto API's.  @tick is
 * as for mig_recv_ticking() (NULL: wait).
 */
int mig_seal_recv(struct mig_seal *s, struct socket *sock,
		  const struct dm_migrate_hdr *hdr, void **payload,
		  int (*tick)(void *arg), void *arg);

#endif /* DM_MIGRATE_SEAL_H */
