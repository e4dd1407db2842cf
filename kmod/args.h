/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The text arguments of the table line and of `dmsetup message`: peer
 * addresses, keys, sizes, push limits, chunk sizes and chunk ranges.
 * Pure logic, shared with the userspace fuzzer (tests/fuzz/).
 */
#ifndef DM_MIGRATE_ARGS_H
#define DM_MIGRATE_ARGS_H

#include "portable.h"
#include <uapi/linux/dm-migrate.h>

struct mig_addr {
	struct sockaddr_storage ss;
	int len;
	char text[64];		/* as the operator wrote it */
};

struct mig_key {
	u8 bytes[DM_MIGRATE_MAX_KEY_LEN];
	u32 len;
};

/* Limits of a push; @given says which fields a request sets. */
struct mig_limits {
	u64 rate;			/* wire bytes/s; 0: unlimited */
	u64 throttle;			/* guest write bytes/s; 0: none */
	/*
	 * Converged at or under this, when given: it replaces the rule of
	 * converge_ms (model.h) until a converge_ms is given.
	 */
	u64 converge_bytes;
	u32 converge_ms;		/* or when the rest is sent within this */
	u64 max_bytes;			/* or after this many wire bytes */
	u32 max_rounds;			/* or after this many dirty rounds */
	bool pause_after_bulk;		/* pause once the bulk pass is over */
	bool auto_throttle;		/* the model sets throttle (rounds.c) */
	bool subchunk;			/* dirty rounds send PIECEs (sender.c) */
	u8 encoding;			/* enum dm_migrate_encode */
	u32 given;			/* MIG_LIM_* */
};

#define MIG_LIM_RATE		BIT(0)
#define MIG_LIM_THROTTLE	BIT(1)
#define MIG_LIM_CONVERGE	BIT(2)
#define MIG_LIM_MAX_BYTES	BIT(3)
#define MIG_LIM_MAX_ROUNDS	BIT(4)
#define MIG_LIM_PAUSE_BULK	BIT(5)
#define MIG_LIM_CONVERGE_MS	BIT(6)
#define MIG_LIM_AUTO_THROTTLE	BIT(7)
#define MIG_LIM_ENCODING	BIT(8)
#define MIG_LIM_SUBCHUNK	BIT(9)

/* Set the limit @bit (one MIG_LIM_*) of @lim to @v: -ERANGE if too big. */
int mig_lim_set(struct mig_limits *lim, u32 bit, u64 v);

/* Parse "A.B.C.D:PORT" or "[IPV6]:PORT". */
int mig_addr_parse(const char *s, struct mig_addr *addr);

/* A pre-shared key, given as 32 to 128 hex digits (16 to 64 bytes). */
int mig_parse_key(const char *hex, struct mig_key *key);

/*
 * A size: a number (0x: hex, 0: octal, else decimal) with an optional
 * K/M/G/T/P/E suffix, as memparse() reads it; -ERANGE past 2^64 - 1.
 */
int mig_parse_size(const char *s, u64 *out);

/*
 * option=value words of push and set into @lim (ctlmsg.c lists them):
 * sizes, but encoding=lzo|lz4|zstd|raw|auto.
 */
int mig_parse_limits(unsigned int argc, char **argv, struct mig_limits *lim);

/*
 * The table's <chunk_sectors>: a power of two from 8 to 16384.  Returns
 * its log2 in *@shift, or -EINVAL with a message in *@error.
 */
int mig_parse_chunk_size(const char *arg, unsigned int *shift, char **error);

/*
 * "<first>[-<last>]" chunk numbers of a device of @nbits chunks; @last
 * defaults to @first.  -EINVAL if malformed, -ERANGE if out of range.
 */
int mig_parse_chunk_range(const char *arg, u64 nbits, u64 *first, u64 *last);

#endif /* DM_MIGRATE_ARGS_H */
