/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Choosing how the next chunk is encoded (encsel.c).  Pure logic, shared
 * with the userspace unit tests (tests/unit/encsel_test.c); the caller
 * serialises the calls on one state (push.c: push->enc_lock) and passes
 * the time in.
 *
 * struct mig_skip: compression is tried only while it pays.  After
 * MIG_SKIP_MISSES chunks in a row whose compressed form saved less than
 * 1/MIG_SKIP_GAIN of their size (random data, encrypted or already
 * compressed files), the next chunks are sent raw without trying; one
 * chunk is tried again (a probe) after backoff bytes or MIG_SKIP_PROBE_NS,
 * whichever comes first (one probe at a time, whatever the number of
 * workers).  A probe that does not pay doubles the backoff
 * (from MIG_SKIP_MIN to MIG_SKIP_MAX bytes); one that does ends the
 * skipping.  Incompressible data so costs one compression in
 * MIG_SKIP_MAX bytes, and a compressible region after it is found within
 * that many bytes or that much time.
 */
#ifndef DM_MIGRATE_ENCSEL_H
#define DM_MIGRATE_ENCSEL_H

#include "portable.h"

#define MIG_SKIP_MISSES		4		/* in a row, then skip */
#define MIG_SKIP_GAIN		32		/* pays: saves more than 1/32 */
#define MIG_SKIP_MIN		(256U << 10)	/* bytes sent raw, first skip */
#define MIG_SKIP_MAX		(8U << 20)	/* and at most */
#define MIG_SKIP_PROBE_NS	(250 * 1000 * 1000ULL)

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
 * Every true answer must be followed by mig_skip_done() for that chunk:
 * so call it only for chunks that are not zero.
 */
bool mig_skip_try(struct mig_skip *s, u32 len, u64 now_ns);

/*
 * A chunk of @len bytes was compressed to @enc_len bytes (any size: more
 * than @len when it grew) at @now_ns.  Not for zero chunks.
 */
void mig_skip_done(struct mig_skip *s, u32 len, u32 enc_len, u64 now_ns);

#endif /* DM_MIGRATE_ENCSEL_H */
