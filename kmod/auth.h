/* SPDX-License-Identifier: GPL-2.0 */
/* Keys and the authenticated handshake (auth.c). */
#ifndef DM_MIGRATE_AUTH_H
#define DM_MIGRATE_AUTH_H

#include "dm-migrate.h"

struct socket;

/* auth.c: the handshake (wire protocol v3). */
struct mig_session {
	u8 id[DM_MIGRATE_SESSION_LEN];	/* random, chosen at push start */
	u64 generation;			/* connection number, from 1 */
};

/*
 * Source side: authenticate, name @s, and learn the destination's
 * verdict (enum dm_migrate_verdict) and the connection's stream key
 * (a DM_MIGRATE_MAC_LEN-byte buffer; the caller wipes it).  *@encs: the
 * HELLO flags to send (the encodings we decode; 0 for a destination that
 * does not negotiate them), then the encodings the destination decodes.
 * 0 or a negative errno with a sentence in @err: -EACCES wrong key,
 * -EINVAL geometry, -ETIMEDOUT silent peer, -EPERM the peer owns the
 * volume of another session, -EPROTONOSUPPORT the destination does not
 * negotiate encodings (connect again with *@encs 0).
 */
int mig_handshake_source(struct socket *sock, const struct mig_geom *g,
			 const struct mig_key *key, const struct mig_session *s,
			 u32 *encs, u32 *verdict, u8 *stream_key, char *err,
			 size_t errlen);

/*
 * Destination side: once the source proved the key, @decide gets the
 * session it names and returns the verdict to send, or a negative errno
 * to refuse it (with the ERROR code to send in *@code).  *@encs: the
 * encodings we decode, then those this connection may carry (only the
 * ones every peer decodes for a source that named none).  Returns the
 * verdict sent (and the stream key, as above), or a negative errno.
 */
typedef int (*mig_decide_fn)(void *arg, const struct mig_session *s, u32 *code);
int mig_handshake_dest(struct socket *sock, const struct mig_geom *g,
		       const struct mig_key *key, u32 *encs, mig_decide_fn decide,
		       void *arg, u8 *stream_key, char *err, size_t errlen);

/*
 * auth.c: keys.  mig_key_from_keyring() reads a "logon:DESC" or
 * "user:DESC" key of the calling process's keyrings.
 */
int mig_key_from_keyring(const char *desc, struct mig_key *key,
			 const char **why);

#endif /* DM_MIGRATE_AUTH_H */
