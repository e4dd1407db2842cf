/* SPDX-License-Identifier: GPL-2.0 */
/*
 * climit: the bytes an ideal dm-migrate sender would put on the wire for a
 * volume's content with a given codec (climit.c has the tool and how the
 * bench uses it).
 *
 * The rule (climit_rule.c, pure: tests/unit/climit_test.c) is the
 * module's (kmod/compress.c, kmod/sender.c), without its limits: a chunk
 * of zeroes carries no data, and every run of consecutive zero chunks is
 * one CHUNK message with a count, however long (the module merges runs
 * only within one read); any other chunk is one CHUNK message with the
 * codec's output if that is smaller than the chunk, else the chunk raw.
 * Every message costs its header, its chunk header and its GCM tag.
 */
#ifndef DM_MIGRATE_CLIMIT_H
#define DM_MIGRATE_CLIMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/dm-migrate.h>

#define CLIMIT_MSG_BYTES (sizeof(struct dm_migrate_hdr) + \
			  sizeof(struct dm_migrate_chunk) + DM_MIGRATE_TAG_LEN)

/* One codec's account of a volume. */
struct climit_acc {
	uint64_t chunks;	/* every chunk */
	uint64_t zero_chunks;	/* of those, all zeroes */
	uint64_t msgs;		/* CHUNK messages */
	uint64_t packed;	/* chunks sent compressed */
	uint64_t wire;		/* message bytes: headers, data, tags */
	uint32_t run;		/* chunks in the current zero run; 0: none */
};

void climit_add_zero(struct climit_acc *a);

/*
 * A chunk of @len bytes that is not all zeroes, which the codec made
 * @clen bytes of (0: it could not compress it).
 */
void climit_add_data(struct climit_acc *a, uint32_t len, size_t clen);

/*
 * The bytes a TCP stream of @wire bytes costs a link as tbf counts them:
 * each segment of at most @mss bytes with @hdr bytes of Ethernet, IP and
 * TCP headers.
 */
uint64_t climit_link_bytes(uint64_t wire, uint32_t mss, uint32_t hdr);

/* A compressor (climit_codecs.c). */
struct climit_codec {
	const char *name;	/* "lzo", "lz4", "zstd", "raw" */
	int level;		/* zstd only */
	void *state;
	/* Worst-case output for @len bytes of input. */
	size_t (*bound)(size_t len);
	/* Compress; returns the output's length, 0 on failure. */
	size_t (*compress)(struct climit_codec *c, const void *src, size_t len,
			   void *dst, size_t cap);
	void (*destroy)(struct climit_codec *c);
};

/*
 * Set up the codec named by @spec: "lzo", "lz4", "raw" (zero detection
 * only) or "zstd:LEVEL" ("zstd" alone: level 1).  Returns 0, or -1 with a
 * message on stderr.
 */
int climit_codec_init(struct climit_codec *c, const char *spec);

#endif /* DM_MIGRATE_CLIMIT_H */
