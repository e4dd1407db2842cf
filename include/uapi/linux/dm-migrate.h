/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * dm-migrate: live migration of block devices between share-nothing hosts.
 *
 * This header is shared by the kernel module (kmod/), the userspace tools
 * (userspace/) and the tests.  It holds every constant that is visible to
 * userspace: the device-mapper table limits and the names of the modes that
 * `dmsetup status` reports.  Later additions (the wire protocol and the
 * generic netlink family) live here too, so that there is one place that
 * defines the ABI.
 */
#ifndef _UAPI_LINUX_DM_MIGRATE_H
#define _UAPI_LINUX_DM_MIGRATE_H

#include <linux/types.h>

/* Name of the device-mapper target type, as used in a table line. */
#define DM_MIGRATE_TARGET_NAME		"migrate"

/*
 * Chunk size limits, in 512-byte sectors.  The chunk is the unit of dirty
 * tracking and of transfer; it must be a power of two between 4 KiB and
 * 8 MiB.
 */
#define DM_MIGRATE_MIN_CHUNK_SECTORS	8U	/* 4 KiB */
#define DM_MIGRATE_MAX_CHUNK_SECTORS	16384U	/* 8 MiB */

/*
 * Modes of a migrate target.  The first word of the INFO status line is the
 * mode's name (docs/dm-migrate.rst):
 *
 * TRACKING:   pass-through; writes, discards and write-zeroes mark chunks.
 * BULK:       pushing; the first pass over every chunk.
 * DIRTY:      pushing; rounds over the chunks written since they were sent.
 * CONVERGED:  pushing; a stop condition holds (the target raised an event).
 * MIRRORING:  pushing; new writes complete only once the peer has them.
 * HANDED_OFF: the peer owns the volume; local writes fail with EIO.
 * RECEIVING:  destination; chunks arrive from the peer, local writes fail.
 */
enum dm_migrate_mode {
	DM_MIGRATE_MODE_TRACKING = 0,
	DM_MIGRATE_MODE_BULK,
	DM_MIGRATE_MODE_DIRTY,
	DM_MIGRATE_MODE_CONVERGED,
	DM_MIGRATE_MODE_MIRRORING,
	DM_MIGRATE_MODE_HANDED_OFF,
	DM_MIGRATE_MODE_RECEIVING,
	__DM_MIGRATE_MODE_MAX,
};

/*
 * Wire protocol, version 1 (docs/wire-protocol.rst).
 *
 * One TCP connection per migration; the source connects.  Every message is
 * a struct dm_migrate_hdr followed by hdr.len payload bytes.  All integers
 * are big-endian.  A receiver checks every field before it acts on a
 * message; any violation is a protocol error: the connection is closed and
 * nothing from that message is written.
 *
 * Handshake: each side sends HELLO (its geometry and a random nonce); the
 * source then sends AUTH, the HMAC-SHA256 under the pre-shared key of
 * ("dm-migrate-v1 source" | server nonce | client nonce | geometry); the
 * destination checks it and answers with its own AUTH over
 * ("dm-migrate-v1 dest" | client nonce | server nonce | geometry).  A side
 * that cannot verify the other's AUTH, or whose geometry differs, sends
 * ERROR and closes.  Nothing but HELLO, AUTH and ERROR is accepted before
 * both AUTHs have been verified.
 *
 * Data: the source numbers CHUNK, WRITE, FLUSH and HANDOFF messages with
 * hdr.seq, 1, 2, 3... per connection.  The destination applies them in
 * order and answers ACK(seq) once everything up to seq is on its volume
 * (FLUSH: and flushed).  ACKs are cumulative.
 */
#define DM_MIGRATE_MAGIC		0x444d4d47U	/* "DMMG" */
#define DM_MIGRATE_PROTO_VERSION	1
#define DM_MIGRATE_NONCE_LEN		32
#define DM_MIGRATE_MAC_LEN		32	/* HMAC-SHA256 */
#define DM_MIGRATE_MIN_KEY_LEN		16
#define DM_MIGRATE_MAX_KEY_LEN		64
#define DM_MIGRATE_MAX_ERROR_TEXT	128

enum dm_migrate_msg_type {
	DM_MIGRATE_MSG_HELLO = 1,	/* struct dm_migrate_hello */
	DM_MIGRATE_MSG_AUTH,		/* __u8 mac[DM_MIGRATE_MAC_LEN] */
	DM_MIGRATE_MSG_CHUNK,		/* struct dm_migrate_chunk + data */
	DM_MIGRATE_MSG_WRITE,		/* struct dm_migrate_write + data */
	DM_MIGRATE_MSG_FLUSH,		/* no payload */
	DM_MIGRATE_MSG_HANDOFF,		/* no payload: flush, become the owner */
	DM_MIGRATE_MSG_ACK,		/* no payload; hdr.seq is acknowledged */
	DM_MIGRATE_MSG_ERROR,		/* struct dm_migrate_error */
	__DM_MIGRATE_MSG_MAX,
};

struct dm_migrate_hdr {
	__be32 magic;		/* DM_MIGRATE_MAGIC */
	__u8 version;		/* DM_MIGRATE_PROTO_VERSION */
	__u8 type;		/* enum dm_migrate_msg_type */
	__be16 flags;		/* 0; reserved */
	__be32 len;		/* payload bytes that follow */
	__be32 reserved;	/* 0 */
	__be64 seq;		/* see "Data" above; 0 in the handshake */
};

struct dm_migrate_hello {
	__be64 dev_sectors;	/* size of the volume, 512-byte sectors */
	__be32 chunk_sectors;	/* chunk size, sectors */
	__be32 flags;		/* 0; reserved */
	__u8 nonce[DM_MIGRATE_NONCE_LEN];
};

/* Chunk encodings. */
enum dm_migrate_encoding {
	DM_MIGRATE_ENC_RAW = 0,	/* data_len bytes as they are */
	DM_MIGRATE_ENC_LZO,	/* lzo1x_1 stream of data_len bytes */
	DM_MIGRATE_ENC_ZERO,	/* no data: count chunks of zeroes */
	__DM_MIGRATE_ENC_MAX,
};

/*
 * CHUNK: chunks index .. index + count - 1.  count > 1 only for ENC_ZERO.
 * data_len is the uncompressed length of one chunk: the chunk size, or what
 * remains of the volume for its last chunk.  crc32c is the CRC32C (seed
 * ~0, no final inversion) of the uncompressed data; 0 for ENC_ZERO.  The
 * encoded data, hdr.len - sizeof(struct dm_migrate_chunk) bytes, follows.
 */
struct dm_migrate_chunk {
	__be64 index;
	__be32 count;
	__be32 data_len;
	__be32 crc32c;
	__u8 encoding;		/* enum dm_migrate_encoding */
	__u8 pad[3];		/* 0 */
};

/*
 * WRITE: a mirrored guest write of data_len bytes (a multiple of 512) at
 * sector, sent during the mirroring phase; the data follows raw.
 */
#define DM_MIGRATE_WRITE_FUA	0x1	/* write through to stable storage */
#define DM_MIGRATE_WRITE_PREFLUSH 0x2	/* flush the volume before writing */

struct dm_migrate_write {
	__be64 sector;
	__be32 data_len;
	__be32 crc32c;
	__be32 flags;		/* DM_MIGRATE_WRITE_* */
	__be32 pad;		/* 0 */
};

/* ERROR: why the sender is closing the connection. */
enum dm_migrate_error_code {
	DM_MIGRATE_ERR_PROTOCOL = 1,	/* malformed or unexpected message */
	DM_MIGRATE_ERR_AUTH,		/* authentication failed */
	DM_MIGRATE_ERR_GEOMETRY,	/* size or chunk size differ */
	DM_MIGRATE_ERR_IO,		/* the volume failed a write */
};

struct dm_migrate_error {
	__be32 code;		/* enum dm_migrate_error_code */
	char text[DM_MIGRATE_MAX_ERROR_TEXT];	/* NUL-terminated */
};

#endif /* _UAPI_LINUX_DM_MIGRATE_H */
