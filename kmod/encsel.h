/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Choosing how the next chunk is encoded (encsel.c).  Pure logic, shared
 * with the userspace unit tests (tests/unit/encsel_test.c); the caller
 * serialises the calls on one state (sender.c: push->enc_lock) and passes
 * the time in.
 *
 * struct mig_skip: compression is tried only while it pays.  After
 * MIG_SKIP_MISSES chunks in a row whose compressed form saved less than
 * 1/MIG_SKIP_GAIN of their size (random data, encrypted or already
 * compressed files), the next chunks are sent raw without trying; one
 * chunk is tried again (a probe) after backoff bytes or MIG_SKIP_PROBE_NS,
 * whichever comes first (one probe at a time, whatever the number of
 * workers).  A probe that does not pay doubles the backoff (from
 * MIG_SKIP_MIN to MIG_SKIP_MAX bytes); one that does ends the skipping.
 * Incompressible data so costs one compression in MIG_SKIP_MAX bytes, and
 * a compressible region after it is found within that many bytes or that
 * much time.
 *
 * struct mig_encsel: the encoding of each chunk, from the operator's
 * choice (enum dm_migrate_encode), what the peer decodes (its HELLO), the
 * skip above, and for "auto" a model:
 *
 *  - each compressor's ratio (wire bytes / data bytes) and cost (ns per
 *    data byte), measured on the chunks it encodes (MIG_STAT_MIN bytes
 *    before it counts), halved every MIG_STAT_HALF_NS once it has four
 *    times that, or when it got no chunk in that time (a compressor the
 *    skip keeps from being probed), so that the last seconds count;
 *    every MIG_AUTO_PROBE-th chunk (every fourth while one has no
 *    figures) is encoded with the next compressor in turn, so that all
 *    stay measured;
 *  - the cost every chunk has whatever its encoding (zero check, CRC);
 *  - the link's drain rate (wire bytes/s), measured by the sender in the
 *    windows where what is after it (sealing, the socket, the peer) held
 *    it at least half of the time rather than it waiting for encoded
 *    chunks: that is the bottleneck then; only raised by other windows;
 *    forgotten after MIG_LINK_FORGET_NS without such a window (a link
 *    that became faster is found again) and when the rate limit changes;
 *  - the workers that encode at once.
 *
 *   Every MIG_AUTO_CHOOSE_NS, for each encoding E the peer decodes (RAW
 *   included), the data rate it would reach is min(CPU: workers / (fixed
 *   cost + E's cost), link: drain / E's ratio), and the best wins: zstd
 *   when the link is the bottleneck and there is CPU to spare, LZ4 or LZO
 *   when the CPU is, RAW when compressing gains nothing.  A change needs a
 *   gain of 1/MIG_AUTO_HYST; near-equals (1/32) go to the cheaper one.
 *   With the link unknown only the CPU counts: the fastest encoding runs
 *   until the link is measured.
 */
#ifndef DM_MIGRATE_ENCSEL_H
#define DM_MIGRATE_ENCSEL_H

#include "portable.h"
#include <uapi/linux/dm-migrate.h>

#define MIG_SKIP_MISSES		4		/* in a row, then skip */
#define MIG_SKIP_GAIN		32		/* pays: saves more than 1/32 */
#define MIG_SKIP_MIN		(256U << 10)	/* bytes sent raw, first skip */
#define MIG_SKIP_MAX		(8U << 20)	/* and at most */
#define MIG_SKIP_PROBE_NS	(250 * 1000 * 1000ULL)

#define MIG_AUTO_PROBE		16		/* every 16th chunk: the next compressor */
#define MIG_AUTO_CHOOSE_NS	(500 * 1000 * 1000ULL)
#define MIG_AUTO_HYST		16		/* change for a gain of 1/16 */
#define MIG_STAT_MIN		(256U << 10)	/* data bytes before a figure counts */
#define MIG_STAT_HALF_NS	(1000 * 1000 * 1000ULL)	/* the figures' half-life */
#define MIG_STAT_MAX		BIT(30)		/* and halved past this */
#define MIG_LINK_FORGET_NS	(20 * 1000 * 1000 * 1000ULL)

struct mig_skip {
	u32 misses;		/* tried chunks in a row that did not pay */
	u32 backoff;		/* bytes of the current skip; 0: not skipping */
	u64 left;		/* bytes still to send raw before a probe */
	u64 probe_ns;		/* probe by then anyway */
	bool probing;		/* a probe is out: the others skip */
};

/* Compression pays for a chunk of @len bytes that became @enc_len. */
static inline bool mig_skip_pays(u32 len, u32 enc_len)
{
	return enc_len < len - len / MIG_SKIP_GAIN;
}

/* Forget what was learnt: the next chunk is tried. */
void mig_skip_reset(struct mig_skip *s);

/*
 * Whether to try compressing the next chunk, of @len bytes, at @now_ns.
 * MIG_SKIP_NO, MIG_SKIP_TRY, or MIG_SKIP_PROBE for the skip's probe.  Every
 * answer but MIG_SKIP_NO must be followed by mig_skip_done() for that
 * chunk: so call it only for chunks that are not zero.
 */
enum { MIG_SKIP_NO, MIG_SKIP_TRY, MIG_SKIP_PROBE };
int mig_skip_try(struct mig_skip *s, u32 len, u64 now_ns);

/*
 * A chunk of @len bytes was compressed to @enc_len bytes (any size: more
 * than @len when it grew) at @now_ns; @probe: mig_skip_try() said
 * MIG_SKIP_PROBE for it (only its result decides the next skip, not that
 * of a chunk tried earlier that finished meanwhile).  Not for zero chunks.
 */
void mig_skip_done(struct mig_skip *s, u32 len, u32 enc_len, bool probe,
		   u64 now_ns);

/* Measured figures of one encoding, or of the fixed cost (encsel.c). */
struct mig_enc_stat {
	u64 in;			/* data bytes */
	u64 out;		/* wire bytes they became */
	u64 ns;			/* spent on them */
	bool fed;		/* bytes came since the last half-life */
};

/* Why the encoding in use is the one (status). */
enum mig_enc_why {
	MIG_WHY_ASKED,		/* the operator's choice */
	MIG_WHY_PEER,		/* the choice, but the peer does not decode it */
	MIG_WHY_OLD_PEER,	/* the peer negotiates no encodings */
	MIG_WHY_MEASURING,	/* auto: not enough figures yet */
	MIG_WHY_LINK,		/* auto: the link is the bottleneck */
	MIG_WHY_CPU,		/* auto: the CPU is */
};

struct mig_encsel {
	u8 choice;		/* enum dm_migrate_encode */
	u8 used;		/* enum dm_migrate_encoding in use */
	u8 why;			/* enum mig_enc_why */
	u8 rotor;		/* the compressor the next auto probe tries */
	u32 peer;		/* DM_MIGRATE_HELLO_ENC() bits the peer decodes */
	bool old_peer;		/* it negotiates none */
	u32 workers;		/* encoding at once */
	u32 tried;		/* chunks, for the auto probes */
	struct mig_skip skip;
	struct mig_enc_stat fixed;	/* every non-zero chunk: zero check, CRC */
	struct mig_enc_stat st[__DM_MIGRATE_ENC_MAX];	/* compression only */
	u64 link;		/* wire bytes/s the link drains; 0: unknown */
	u64 link_ns;		/* when a window last measured it */
	u64 chose_ns;		/* when auto last chose */
	u64 decay_ns;		/* when the figures were last halved */
	/* What the last choice of auto saw, for mig_encsel_explain(). */
	u64 cpu_rate, net_rate;	/* data bytes/s of the one chosen */
};

/* The encoding of one chunk, and whether it is the skip's probe. */
struct mig_pick {
	u8 enc;			/* enum dm_migrate_encoding */
	bool probe;		/* for mig_skip_done() */
};

/* A push starts: @choice (enum dm_migrate_encode), @workers at once. */
void mig_encsel_init(struct mig_encsel *s, u8 choice, u32 workers);

/* The operator's new choice (a running push). */
void mig_encsel_set_choice(struct mig_encsel *s, u8 choice);

/*
 * A connection: the peer decodes @encs (DM_MIGRATE_HELLO_ENC() bits);
 * @old_peer: it is one that negotiates none.
 */
void mig_encsel_set_peer(struct mig_encsel *s, u32 encs, bool old_peer);

/* The peer of the connection decodes @enc (enum dm_migrate_encoding). */
bool mig_encsel_decodes(const struct mig_encsel *s, u8 enc);

/*
 * The encoding to try for the next chunk (not zero), of @len bytes:
 * DM_MIGRATE_ENC_RAW for none, else a compressor the peer decodes.  Every
 * answer must be followed by mig_encsel_done() for that chunk.
 */
struct mig_pick mig_encsel_pick(struct mig_encsel *s, u32 len, u64 now_ns);

/*
 * The chunk of @len bytes mig_encsel_pick() gave @p for: @fixed_ns for
 * its zero check and CRC, @enc_len and @enc_ns its compressed length and
 * the time that took (RAW: @len, 0).
 */
void mig_encsel_done(struct mig_encsel *s, struct mig_pick p, u32 len,
		     u32 enc_len, u64 fixed_ns, u64 enc_ns, u64 now_ns);

/*
 * The sender's window of @wall_ns ending at @now_ns: @bytes went on the
 * wire, and for @send_ns of it the sender had something to send (it was
 * not waiting for chunks to be encoded, or idle).  Auto chooses again
 * when its time has come.
 */
void mig_encsel_link(struct mig_encsel *s, u64 bytes, u64 send_ns,
		     u64 wall_ns, u64 now_ns);

/* The operator changed the rate limit: the link is not known any more. */
void mig_encsel_link_changed(struct mig_encsel *s);

/* The encoding the next chunks get, unless they do not compress. */
u8 mig_encsel_used(const struct mig_encsel *s);

/* One line for status: the encoding in use and why. */
void mig_encsel_explain(const struct mig_encsel *s, char *buf, size_t size);

#endif /* DM_MIGRATE_ENCSEL_H */
