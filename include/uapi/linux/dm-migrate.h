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
 * HANDOFF:    source; a handoff was decided and the peer's verdict is not
 *             known yet.  The device refuses resume and writes; the engine
 *             drains, asks the peer, and never leaves this mode by itself
 *             except to HANDED_OFF (the peer confirmed).  Only an explicit
 *             "abort force" returns it to TRACKING.
 */
enum dm_migrate_mode {
	DM_MIGRATE_MODE_TRACKING = 0,
	DM_MIGRATE_MODE_BULK,
	DM_MIGRATE_MODE_DIRTY,
	DM_MIGRATE_MODE_CONVERGED,
	DM_MIGRATE_MODE_MIRRORING,
	DM_MIGRATE_MODE_HANDED_OFF,
	DM_MIGRATE_MODE_RECEIVING,
	DM_MIGRATE_MODE_HANDOFF,
	__DM_MIGRATE_MODE_MAX,
};

/* The mode names of the status line, as an initializer indexed by mode. */
#define DM_MIGRATE_MODE_NAMES {				\
	[DM_MIGRATE_MODE_TRACKING] = "tracking",	\
	[DM_MIGRATE_MODE_BULK] = "bulk",		\
	[DM_MIGRATE_MODE_DIRTY] = "dirty",		\
	[DM_MIGRATE_MODE_CONVERGED] = "converged",	\
	[DM_MIGRATE_MODE_MIRRORING] = "mirroring",	\
	[DM_MIGRATE_MODE_HANDED_OFF] = "handed_off",	\
	[DM_MIGRATE_MODE_RECEIVING] = "receiving",	\
	[DM_MIGRATE_MODE_HANDOFF] = "handoff",		\
}

/*
 * Wire protocol, version 3 (docs/wire-protocol.rst).
 *
 * One TCP connection at a time per migration; the source connects.  Every
 * message is a struct dm_migrate_hdr followed by hdr.len payload bytes;
 * after the handshake, a sealed message also carries a tag (below).  All
 * integers are big-endian.  A receiver checks every field before it acts
 * on a message; any violation is a protocol error: the connection is
 * closed and nothing from that message is written.
 *
 * Handshake: each side sends HELLO: its geometry, a random nonce and the
 * encodings it decodes (flags); the source's also names the migration (a
 * random session id chosen when the push starts) and the connection's
 * generation (1, 2, 3... within the session).  The source sends its HELLO
 * first; the destination answers with its own.  The source then sends
 * AUTH, the HMAC-SHA256 under the pre-shared key of ("dm-migrate-v3
 * source" | source HELLO | destination HELLO).  The destination checks it,
 * decides its verdict on the session (enum dm_migrate_verdict) and answers
 * with its own AUTH: the verdict and the HMAC of ("dm-migrate-v3 dest" |
 * source HELLO | destination HELLO | verdict).  A side that cannot verify
 * the other's AUTH, or whose geometry differs, sends ERROR (code only is
 * trusted before authentication) and closes.  Nothing but HELLO, AUTH and
 * ERROR is accepted before both AUTHs have been verified; each side gives
 * the handshake a few seconds.
 *
 * Sealed stream: every message after the two AUTHs, in both directions,
 * is sealed with AES-128-GCM (NIST SP 800-38D) under the connection's
 * stream key, the first 16 bytes of HMAC-SHA256 under the pre-shared key
 * of ("dm-migrate-v3 stream" | source HELLO | destination HELLO |
 * verdict): fresh for each connection, as both HELLOs carry fresh nonces.  The header is the
 * associated data (authenticated, in clear: hdr.len is the plaintext
 * payload length), the payload is encrypted, and DM_MIGRATE_TAG_LEN bytes
 * of tag follow it (also after an empty payload).  The 12-byte nonce is
 * the direction (be32: DM_MIGRATE_DIR_*) and the count of messages sealed
 * before in that direction on this connection (be64, from 0): a message
 * altered, replayed, reordered or dropped in transit fails its tag, and
 * the receiver closes the connection having written nothing of it.
 *
 * Data: the source numbers CHUNK, WRITE, FLUSH and HANDOFF messages with
 * hdr.seq, 1, 2, 3... per connection.  The destination applies them in
 * order and answers ACK(seq) once everything up to seq is on its volume
 * and flushed to stable storage: an ACK means durable.  ACKs are
 * cumulative, and the destination batches them (one flush covers every
 * message it had already received), at least every 100 ms while it has
 * unacknowledged messages.
 *
 * Handoff: HANDOFF commits the destination as the volume's owner (it
 * flushes, becomes writable, and ACKs).  The commit is remembered: a later
 * connection of the same session is answered with the verdict OWNER in
 * the handshake and no data is accepted, so a source whose ACK was lost
 * learns the outcome by reconnecting.
 */
#define DM_MIGRATE_MAGIC		0x444d4d47U	/* "DMMG" */
#define DM_MIGRATE_PROTO_VERSION	3
#define DM_MIGRATE_NONCE_LEN		32
#define DM_MIGRATE_MAC_LEN		32	/* HMAC-SHA256 */
#define DM_MIGRATE_MIN_KEY_LEN		16
#define DM_MIGRATE_MAX_KEY_LEN		64
#define DM_MIGRATE_MAX_ERROR_TEXT	128
#define DM_MIGRATE_SESSION_LEN		16
#define DM_MIGRATE_TAG_LEN		16	/* GCM */
#define DM_MIGRATE_STREAM_KEY_LEN	16	/* AES-128 */

/* The direction word of a sealed message's nonce. */
#define DM_MIGRATE_DIR_TO_DEST		1
#define DM_MIGRATE_DIR_TO_SOURCE	2

enum dm_migrate_msg_type {
	DM_MIGRATE_MSG_HELLO = 1,	/* struct dm_migrate_hello */
	DM_MIGRATE_MSG_AUTH,		/* struct dm_migrate_auth */
	DM_MIGRATE_MSG_CHUNK,		/* struct dm_migrate_chunk + data */
	DM_MIGRATE_MSG_WRITE,		/* struct dm_migrate_write + data */
	DM_MIGRATE_MSG_FLUSH,		/* no payload */
	DM_MIGRATE_MSG_HANDOFF,		/* no payload: flush, become the owner */
	DM_MIGRATE_MSG_ACK,		/* no payload; hdr.seq is acknowledged */
	DM_MIGRATE_MSG_ERROR,		/* struct dm_migrate_error */
	/* struct dm_migrate_piece + data; only where negotiated (HELLO_PIECE) */
	DM_MIGRATE_MSG_PIECE,
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

/*
 * HELLO flags: the chunk encodings the sender of the HELLO can decode
 * (bit N: encoding N), and features (bits 16 to 31; a receiver ignores
 * bits it does not know).  0 is a peer that does not negotiate encodings (the
 * first dm-migrate of protocol v3, which refuses any other value): it
 * decodes RAW, LZO and ZERO, as every peer does.  A destination sends
 * flags only in answer to a source's HELLO that has some: it reads that
 * HELLO before it sends its own (docs/wire-protocol.rst, "Encodings").
 */
#define DM_MIGRATE_HELLO_ENCODINGS	0xffffU	/* the encodings' bits */
#define DM_MIGRATE_HELLO_ENC(enc)	(1U << (enc))
/*
 * Feature PIECE: the sender of the HELLO takes (destination) or may send
 * (source) PIECE messages.  Negotiated when both HELLOs set it; a
 * destination refuses a PIECE on a connection where it was not.
 */
#define DM_MIGRATE_HELLO_PIECE		(1U << 16)

struct dm_migrate_hello {
	__be64 dev_sectors;	/* size of the volume, 512-byte sectors */
	__be32 chunk_sectors;	/* chunk size, sectors */
	__be32 flags;		/* DM_MIGRATE_HELLO_ENC() bits; see above */
	__u8 nonce[DM_MIGRATE_NONCE_LEN];
	/* Source: the migration's random id; destination: zeroes. */
	__u8 session[DM_MIGRATE_SESSION_LEN];
	/* Source: this connection's number in the session, from 1; dest: 0. */
	__be64 generation;
};

/*
 * The destination's verdict on the session a source names (its AUTH).
 * The source acts on it only after the destination's MAC verified.
 */
enum dm_migrate_verdict {
	/*
	 * FRESH: the destination holds nothing of this session (a new
	 * receiver, or one that was restarted or re-created): whatever it
	 * ACKed before is not to be trusted, the source sends every chunk.
	 */
	DM_MIGRATE_VERDICT_FRESH = 0,
	/* RESUME: it holds the session; everything it ACKed is durable. */
	DM_MIGRATE_VERDICT_RESUME,
	/* OWNER: the session was handed off; the destination owns the volume. */
	DM_MIGRATE_VERDICT_OWNER,
	__DM_MIGRATE_VERDICT_MAX,
};

/* AUTH: the sender's MAC over the handshake; verdict: see above (source: 0). */
struct dm_migrate_auth {
	__u8 mac[DM_MIGRATE_MAC_LEN];
	__be32 verdict;		/* enum dm_migrate_verdict */
	__be32 pad;		/* 0 */
};

/*
 * Chunk encodings.  RAW, LZO and ZERO every peer decodes; LZ4 and ZSTD
 * only a destination whose HELLO says so.  A compressed chunk is sent only
 * when it is smaller than its data: LZ4 and ZSTD data is 1 to data_len - 1
 * bytes long.
 */
enum dm_migrate_encoding {
	DM_MIGRATE_ENC_RAW = 0,	/* data_len bytes as they are */
	DM_MIGRATE_ENC_LZO,	/* lzo1x_1 stream of data_len bytes */
	DM_MIGRATE_ENC_ZERO,	/* no data: count chunks of zeroes */
	DM_MIGRATE_ENC_LZ4,	/* an LZ4 block of data_len bytes */
	DM_MIGRATE_ENC_ZSTD,	/* a zstd frame of data_len bytes */
	__DM_MIGRATE_ENC_MAX,
};

/* The encodings' names (status), as an initializer indexed by encoding. */
#define DM_MIGRATE_ENC_NAMES {			\
	[DM_MIGRATE_ENC_RAW] = "raw",		\
	[DM_MIGRATE_ENC_LZO] = "lzo",		\
	[DM_MIGRATE_ENC_ZERO] = "zero",		\
	[DM_MIGRATE_ENC_LZ4] = "lz4",		\
	[DM_MIGRATE_ENC_ZSTD] = "zstd",		\
}

/* What every peer decodes. */
#define DM_MIGRATE_ENC_BASE	(DM_MIGRATE_HELLO_ENC(DM_MIGRATE_ENC_RAW) | \
				 DM_MIGRATE_HELLO_ENC(DM_MIGRATE_ENC_LZO) | \
				 DM_MIGRATE_HELLO_ENC(DM_MIGRATE_ENC_ZERO))

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
 * PIECE: the dirty sub-blocks of one chunk, sent in the dirty rounds
 * instead of the whole chunk (docs/wire-protocol.rst, "Pieces").  A chunk
 * of chunk_sectors has dm_migrate_piece_subs(chunk_sectors) sub-blocks of
 * equal size, chunk_sectors / that many (at least 4 KiB); it is only sent
 * for chunks with at least 2.  Bit N of mask is sub-block N (from the
 * chunk's start); the mask is not 0 and names only sub-blocks that exist
 * (the last chunk of the volume may be short: a sub-block that begins
 * beyond the volume's end does not exist, the last that does may be
 * short).  data_len is the sum of the named sub-blocks' lengths, and the
 * data is their bytes in ascending order, concatenated, then encoded as a
 * CHUNK's (ZERO: all of them are zeroes, no data); crc32c is that of the
 * concatenation (0 for ZERO).  The encoded data, hdr.len -
 * sizeof(struct dm_migrate_piece) bytes, follows.
 */
#define DM_MIGRATE_PIECE_MAX_SUBS	16U
#define DM_MIGRATE_PIECE_MIN_SUB_SECTORS 8U	/* 4 KiB */
static inline __u32 dm_migrate_piece_subs(__u32 chunk_sectors)
{
	__u32 n = chunk_sectors / DM_MIGRATE_PIECE_MIN_SUB_SECTORS;

	return n < DM_MIGRATE_PIECE_MAX_SUBS ? n : DM_MIGRATE_PIECE_MAX_SUBS;
}

struct dm_migrate_piece {
	__be64 index;		/* the chunk */
	__be32 mask;		/* bit N: sub-block N; only bits 0..15 */
	__be32 data_len;	/* bytes of the named sub-blocks */
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
	DM_MIGRATE_ERR_BUSY,		/* a newer connection of the session won */
	DM_MIGRATE_ERR_OWNER,		/* handed off: this side owns the volume */
};

/*
 * The text is for logs only, and only after authentication: a receiver
 * keeps printable ASCII of it and ignores it before the handshake is done.
 */
struct dm_migrate_error {
	__be32 code;		/* enum dm_migrate_error_code */
	char text[DM_MIGRATE_MAX_ERROR_TEXT];	/* NUL-terminated */
};

/*
 * Generic netlink control plane (docs/netlink.rst).
 *
 * Family DM_MIGRATE_GENL_NAME, version DM_MIGRATE_GENL_VERSION.  A device
 * is named by its device number (DM_MIGRATE_A_DEV_MAJOR and _MINOR, as
 * `dmsetup info` shows them): device-mapper has no exported lookup by name,
 * and a number cannot be renamed under a running command.  Replies and
 * events carry the dm name as well.
 *
 * Every command needs CAP_NET_ADMIN in the network namespace of the
 * socket (GENL_ADMIN_PERM) and CAP_SYS_ADMIN in the initial user namespace
 * (the capability device-mapper's own ioctls need); DM_MIGRATE_CMD_GET
 * and the events group too, as dmsetup status needs root.  Refused
 * requests fail with -EPERM.  A push or receiver opens its socket in
 * the network namespace of the netlink socket that started it, and events
 * of that device go to listeners in that namespace (before any engine ran:
 * the initial namespace).  Attributes are validated strictly: an unknown
 * attribute, a wrong length or an out-of-range value fails the command
 * with -EINVAL or -ERANGE and an extended-ack message naming it.
 *
 * Keys are write-only: no reply, event or log line contains one.
 */
#define DM_MIGRATE_GENL_NAME		"dm-migrate"
#define DM_MIGRATE_GENL_VERSION		1
#define DM_MIGRATE_GENL_MCGRP_EVENTS	"events"

enum dm_migrate_cmd {
	DM_MIGRATE_CMD_UNSPEC,
	/*
	 * GET: with DEV_MAJOR/DEV_MINOR, the status of that device; as a
	 * dump, one message per migrate device.  Replies carry the status
	 * attributes below.
	 */
	DM_MIGRATE_CMD_GET,
	/*
	 * PUSH: start pushing the device to PEER.  Needs PEER and exactly
	 * one of KEY or KEY_DESC; takes the limit attributes.  The device
	 * must be in the tracking mode.
	 */
	DM_MIGRATE_CMD_PUSH,
	/* RECEIVE: listen on PEER (the local address) for a source. */
	DM_MIGRATE_CMD_RECEIVE,
	/*
	 * SET_LIMITS: change RATE_LIMIT, WRITE_THROTTLE, AUTO_THROTTLE,
	 * CONVERGE_BELOW, CONVERGE_MS, MAX_ROUNDS, MAX_BYTES,
	 * PAUSE_AFTER_BULK or ENCODING of a running push; absent ones keep
	 * their value.
	 */
	DM_MIGRATE_CMD_SET_LIMITS,
	/* PAUSE/RESUME: stop and restart sending chunks (not while mirroring). */
	DM_MIGRATE_CMD_PAUSE,
	DM_MIGRATE_CMD_RESUME,
	/* MIRROR: enter the mirroring phase once the peer has caught up. */
	DM_MIGRATE_CMD_MIRROR,
	/*
	 * HANDOFF: the device must be suspended.  Decides the handoff and
	 * returns at once: the phase becomes HANDOFF (resume and writes are
	 * refused from then on), the engine drains, lets the peer flush and
	 * take over, and the phase becomes HANDED_OFF when the peer confirmed
	 * (an EV_HANDOFF_DONE event).  Repeating it while pending is a no-op.
	 */
	DM_MIGRATE_CMD_HANDOFF,
	/*
	 * ABORT: stop a push (back to tracking) or a receiver.  A push whose
	 * handoff is pending (phase HANDOFF) is only aborted with FORCE: the
	 * peer may already own the volume, and forcing makes both writable.
	 */
	DM_MIGRATE_CMD_ABORT,
	/* EVENT: multicast on DM_MIGRATE_GENL_MCGRP_EVENTS, never a request. */
	DM_MIGRATE_CMD_EVENT,
	__DM_MIGRATE_CMD_MAX,
};

#define DM_MIGRATE_CMD_MAX (__DM_MIGRATE_CMD_MAX - 1)

/*
 * How a push encodes chunks (DM_MIGRATE_A_ENCODING; the push option
 * encoding=NAME).  LZO is the default.  LZ4 and ZSTD fall back to LZO when
 * the destination cannot decode them; RAW compresses nothing; AUTO picks
 * among RAW, LZO, LZ4 and ZSTD, as far as the destination decodes them,
 * from the measured speed of each and the link's (docs/dm-migrate.rst).
 * Whatever the choice, zero chunks are sent as ZERO, and a chunk that does
 * not get smaller is sent RAW.
 */
enum dm_migrate_encode {
	DM_MIGRATE_ENCODE_LZO = 0,
	DM_MIGRATE_ENCODE_LZ4,
	DM_MIGRATE_ENCODE_ZSTD,
	DM_MIGRATE_ENCODE_RAW,
	DM_MIGRATE_ENCODE_AUTO,
	__DM_MIGRATE_ENCODE_MAX,
};

#define DM_MIGRATE_ENCODE_NAMES {		\
	[DM_MIGRATE_ENCODE_LZO] = "lzo",	\
	[DM_MIGRATE_ENCODE_LZ4] = "lz4",	\
	[DM_MIGRATE_ENCODE_ZSTD] = "zstd",	\
	[DM_MIGRATE_ENCODE_RAW] = "raw",	\
	[DM_MIGRATE_ENCODE_AUTO] = "auto",	\
}

/* Role of a device (DM_MIGRATE_A_ROLE). */
enum dm_migrate_role {
	DM_MIGRATE_ROLE_NONE = 0,	/* tracking only */
	DM_MIGRATE_ROLE_SOURCE,		/* a push was started */
	DM_MIGRATE_ROLE_DEST,		/* a receiver was started */
};

/* Connection state (DM_MIGRATE_A_CONN_STATE). */
enum dm_migrate_conn_state {
	DM_MIGRATE_CONN_NONE = 0,	/* no engine */
	DM_MIGRATE_CONN_CONNECTING,	/* source: connecting or backing off */
	DM_MIGRATE_CONN_CONNECTED,	/* authenticated connection up */
	DM_MIGRATE_CONN_LISTENING,	/* destination: waiting for a source */
	DM_MIGRATE_CONN_CLOSED,		/* handed off */
};

/* Events (DM_MIGRATE_A_EVENT). */
enum dm_migrate_event {
	DM_MIGRATE_EV_PHASE = 1,	/* PHASE changed */
	DM_MIGRATE_EV_CONVERGED,	/* a stop condition holds */
	DM_MIGRATE_EV_CONNECTED,	/* connection (re)established */
	DM_MIGRATE_EV_DISCONNECTED,	/* connection lost; ERROR_CODE says why */
	DM_MIGRATE_EV_HANDOFF_DONE,	/* the peer owns the volume now */
	DM_MIGRATE_EV_ERROR,		/* LAST_ERROR and ERROR_CODE were set */
	/* The automatic write throttle changed it: WRITE_THROTTLE, 0 off. */
	DM_MIGRATE_EV_THROTTLE,
	__DM_MIGRATE_EV_MAX,
};

/*
 * Why pre-copy converged (DM_MIGRATE_A_CONVERGE_REASON), or will by the
 * model (DM_MIGRATE_A_PREDICT_REASON); docs/dm-migrate.rst, "Convergence".
 */
enum dm_migrate_converge_reason {
	DM_MIGRATE_CONV_NONE = 0,	/* not converged */
	DM_MIGRATE_CONV_BUDGET,		/* the dirty rest is sent within CONVERGE_MS */
	DM_MIGRATE_CONV_BELOW,		/* dirty bytes <= CONVERGE_BELOW, as set */
	DM_MIGRATE_CONV_NO_PROGRESS,	/* rounds stopped shrinking the dirty set */
	DM_MIGRATE_CONV_MAX_ROUNDS,	/* MAX_ROUNDS dirty rounds were sent */
	DM_MIGRATE_CONV_MAX_BYTES,	/* MAX_BYTES were sent */
	__DM_MIGRATE_CONV_MAX,
};

enum dm_migrate_attr {
	DM_MIGRATE_A_UNSPEC,
	DM_MIGRATE_A_PAD,
	/* Identity. */
	DM_MIGRATE_A_DEV_MAJOR,		/* u32 */
	DM_MIGRATE_A_DEV_MINOR,		/* u32 */
	DM_MIGRATE_A_DEV_NAME,		/* string: dm name (replies, events) */
	/* Requests. */
	DM_MIGRATE_A_PEER,		/* string: "A.B.C.D:PORT" or "[V6]:PORT" */
	DM_MIGRATE_A_KEY,		/* binary: 16 to 64 key bytes */
	/* string: "logon:DESC" or "user:DESC", a key in the caller's keyrings */
	DM_MIGRATE_A_KEY_DESC,
	DM_MIGRATE_A_RATE_LIMIT,	/* u64: bytes/s on the wire; 0: none */
	DM_MIGRATE_A_WRITE_THROTTLE,	/* u64: guest write bytes/s; 0: none */
	/* u64: converged at <= dirty bytes; replaces CONVERGE_MS's rule */
	DM_MIGRATE_A_CONVERGE_BELOW,
	DM_MIGRATE_A_MAX_ROUNDS,	/* u32: or after this many dirty rounds */
	DM_MIGRATE_A_MAX_BYTES,		/* u64: or after these wire bytes; 0: no cap */
	/* Status (replies to GET; events carry a subset). */
	DM_MIGRATE_A_ROLE,		/* u8: enum dm_migrate_role */
	DM_MIGRATE_A_PHASE,		/* u8: enum dm_migrate_mode */
	DM_MIGRATE_A_PAUSED,		/* flag */
	DM_MIGRATE_A_ROUND,		/* u32: 0 is the bulk pass */
	DM_MIGRATE_A_CHUNK_BYTES,	/* u32 */
	DM_MIGRATE_A_CHUNKS_TOTAL,	/* u64 */
	DM_MIGRATE_A_CHUNKS_DIRTY,	/* u64 */
	DM_MIGRATE_A_BYTES_READ,	/* u64: source: read from the volume */
	DM_MIGRATE_A_BYTES_WIRE,	/* u64: sent (source) / received (dest) */
	DM_MIGRATE_A_CHUNKS_SENT,	/* u64: sent (source) / applied (dest) */
	DM_MIGRATE_A_ZERO_CHUNKS,	/* u64: of those, zero chunks */
	DM_MIGRATE_A_WRITES,		/* u64: mirrored writes sent / applied */
	DM_MIGRATE_A_WIRE_PERMILLE,	/* u32: bytes_wire * 1000 / bytes_read */
	DM_MIGRATE_A_NET_RATE,		/* u64: wire bytes/s, recent average */
	DM_MIGRATE_A_SEND_RATE,		/* u64: volume bytes/s sent, recent */
	DM_MIGRATE_A_DIRTY_RATE,	/* u64: bytes/s the guest dirties */
	/*
	 * u64: ms until pre-copy converges, by the model (PREDICT_* below);
	 * absent before a rate is measured, and out of pre-copy
	 */
	DM_MIGRATE_A_ETA_MS,
	DM_MIGRATE_A_CONN_STATE,	/* u8: enum dm_migrate_conn_state */
	DM_MIGRATE_A_CONNECTIONS,	/* u32: connections established */
	DM_MIGRATE_A_PROTOCOL_ERRORS,	/* u32 */
	DM_MIGRATE_A_LAST_ERROR,	/* string; absent when none */
	/* Events. */
	DM_MIGRATE_A_EVENT,		/* u8: enum dm_migrate_event */
	DM_MIGRATE_A_ERROR_CODE,	/* u32: positive errno of an error */
	/* Added in version 2 of the module. */
	DM_MIGRATE_A_FORCE,		/* flag: ABORT a pending handoff */
	/* u32: most messages ever unacknowledged at once (capacity: 1024) */
	DM_MIGRATE_A_WINDOW_PEAK,
	DM_MIGRATE_A_SOURCE_ADDR,	/* string: destination: the source's address */
	DM_MIGRATE_A_ACK_TIMEOUTS,	/* u32: connections dropped for no ACK */
	DM_MIGRATE_A_PAUSE_AFTER_BULK,	/* u8 0/1: pause once the bulk pass is done */
	/*
	 * The last handoff's timing, u64 microseconds, each absent until
	 * measured.  Source: HANDOFF_US from the decision to the peer's
	 * confirmation = HANDOFF_DRAIN_US (until HANDOFF is sent: the last
	 * dirty chunks) + HANDOFF_CONFIRM_US (until the peer's ACK of it);
	 * HANDOFF_SUSPEND_US: the device's suspend before the decision (the
	 * guest's writes in flight, mirrored ones until their ACK).
	 * Destination: HANDOFF_US from applying HANDOFF to sending its ACK,
	 * of which HANDOFF_FLUSH_US is the volume's flush.
	 */
	DM_MIGRATE_A_HANDOFF_US,
	DM_MIGRATE_A_HANDOFF_SUSPEND_US,
	DM_MIGRATE_A_HANDOFF_DRAIN_US,
	DM_MIGRATE_A_HANDOFF_CONFIRM_US,
	DM_MIGRATE_A_HANDOFF_FLUSH_US,
	/* Added in version 2.1 of the module: the pre-copy model. */
	/*
	 * u32: limit: converged once the dirty rest can be sent within this
	 * many ms at the measured rate (default 1000); giving it undoes a
	 * CONVERGE_BELOW, which replaces this rule while set
	 */
	DM_MIGRATE_A_CONVERGE_MS,
	/* u8: enum dm_migrate_converge_reason (status, EV_CONVERGED) */
	DM_MIGRATE_A_CONVERGE_REASON,
	/*
	 * The model's prediction of the push in pre-copy (status; absent
	 * before a rate is measured): the round count when pre-copy stops
	 * (u32), the wire bytes of the push by then (u64), the volume bytes
	 * dirty then, left for mirroring (u64), and why it stops (u8: enum
	 * dm_migrate_converge_reason).  ETA_MS is the time until then.
	 */
	DM_MIGRATE_A_PREDICT_ROUNDS,
	DM_MIGRATE_A_PREDICT_WIRE,
	DM_MIGRATE_A_PREDICT_FINAL,
	DM_MIGRATE_A_PREDICT_REASON,
	/*
	 * u8 0/1: limit: the guest write throttle follows the model: held
	 * to what converges within a few rounds, lifted once not needed or
	 * when mirroring starts; a WRITE_THROTTLE given turns it off (also
	 * in the request that gives AUTO_THROTTLE 1: the rate wins).  Status
	 * of a source: it (u8) and its WRITE_THROTTLE now (u64; 0: off).
	 */
	DM_MIGRATE_A_AUTO_THROTTLE,
	/* Added in version 3 of the module. */
	DM_MIGRATE_A_ENCODING,		/* u8: enum dm_migrate_encode (push, SET_LIMITS, status) */
	/* Status of a push: u8, enum dm_migrate_encoding chosen for the next chunks */
	DM_MIGRATE_A_ENCODING_USED,
	DM_MIGRATE_A_ENCODING_WHY,	/* string: why that one */
	/* u32: DM_MIGRATE_HELLO_ENC() bits the peer decodes (push, connected) */
	DM_MIGRATE_A_PEER_ENCODINGS,
	/*
	 * Nested: chunks sent (source) or applied (destination) per encoding,
	 * a u64 attribute of type encoding + 1 for each encoding used so far
	 */
	DM_MIGRATE_A_ENC_CHUNKS,
	/* Added in version 3.1 of the module: PIECE messages. */
	/*
	 * u8 0/1: limit: the dirty rounds send only the written sub-blocks
	 * of a chunk (PIECE) where the peer takes them (default 1; push,
	 * SET_LIMITS; status, push only: on and the push has sub-block
	 * masks, which only a push started with it on has)
	 */
	DM_MIGRATE_A_SUBCHUNK,
	/* u64: PIECE messages sent (source) / applied (destination) */
	DM_MIGRATE_A_PIECES,
	/* u8: the connection negotiated PIECE (status, push, connected) */
	DM_MIGRATE_A_PEER_PIECE,
	__DM_MIGRATE_A_MAX,
};

#define DM_MIGRATE_A_MAX (__DM_MIGRATE_A_MAX - 1)

#endif /* _UAPI_LINUX_DM_MIGRATE_H */
