/* SPDX-License-Identifier: GPL-2.0 */
/* migrate-dm: shared definitions of the operator CLI. */
#ifndef MIGRATE_DM_H
#define MIGRATE_DM_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/dm-migrate.h>

/* Exit codes (docs/migrate-dm.8, EXIT STATUS). */
enum {
	MDM_EXIT_OK = 0,
	MDM_EXIT_FAILED = 1,	/* the kernel refused or the operation failed */
	MDM_EXIT_USAGE = 2,	/* unknown command or option, bad value */
	MDM_EXIT_ENV = 3,	/* module not loaded, not permitted */
	MDM_EXIT_NODEV = 4,	/* no such device, or not a migrate device */
	MDM_EXIT_PEER = 5,	/* the peer refused the key or is unreachable */
	/* VM commands: a pre-flight check refused; nothing was started. */
	MDM_EXIT_VM = 6,
	/*
	 * migrate: the VM left the source but the end needs the operator
	 * (a handoff unconfirmed, or the destination not resumed); the
	 * message says what was done and what is left.
	 */
	MDM_EXIT_HALF = 7,
};

/* A device as the CLI names it. */
struct mdm_dev {
	char name[128];
	unsigned int major, minor;
};

/* Status or event attributes, decoded. */
struct mdm_status {
	char name[128];
	unsigned int major, minor;
	int event;			/* events only; 0 otherwise */
	int phase, role, conn;
	bool paused;
	unsigned int round;
	uint32_t chunk_bytes;
	uint64_t total, dirty;
	uint64_t bytes_read, bytes_wire, chunks_sent, zero_chunks, writes;
	/* PIECEs sent / applied; source: the option, and the connection's. */
	uint64_t pieces;
	bool subchunk, peer_piece;
	bool has_wire_permille;
	uint32_t wire_permille;
	uint64_t net_rate, send_rate, dirty_rate;
	bool has_eta;
	uint64_t eta_ms;
	/*
	 * Source: why it converged (enum dm_migrate_converge_reason, 0: not
	 * yet); the model's prediction of pre-copy's end (has_predict).
	 */
	int converge_reason;
	bool has_predict;
	uint32_t predict_round;
	uint64_t predict_wire, predict_final;
	int predict_reason;
	/* Source: the guest write throttle now (0: none), set by the model? */
	uint64_t write_throttle;
	bool auto_throttle;
	uint32_t connections, protocol_errors, error_code;
	/* Source: the peer pushed to.  Destination: the address it listens on. */
	char peer[64];
	/*
	 * Destination: the address of the source served last
	 * (DM_MIGRATE_A_SOURCE_ADDR); empty when none connected yet.
	 */
	char source[64];
	/* Source: most messages unacknowledged at once; ACK timeouts. */
	uint32_t window_peak, ack_timeouts;
	/*
	 * The last handoff's timing in us, -1 where not measured (the
	 * DM_MIGRATE_A_HANDOFF_* attributes): source: total = drain +
	 * confirm, and the suspend before; destination: total and flush.
	 */
	struct {
		int64_t total, suspend, drain, confirm, flush;
	} handoff_us;
	char last_error[128];
	/* Source: the encoding asked (-1: none shown), used, and why. */
	int encoding, encoding_used;
	uint32_t peer_encodings;	/* DM_MIGRATE_HELLO_ENC() bits; 0: unknown */
	char encoding_why[192];
	/* Chunks sent or applied per enum dm_migrate_encoding. */
	uint64_t enc_chunks[__DM_MIGRATE_ENC_MAX];
};

#endif /* MIGRATE_DM_H */
