/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The commands of migrate-dm: the options they take, parsed once by the
 * dispatcher (migrate-dm.c), and their entry points, one file a group.
 */
#ifndef MIGRATE_DM_CMD_H
#define MIGRATE_DM_CMD_H

#include "mdm.h"

/* Options of every command; each command accepts a subset. */
enum opt_id {
	O_JSON = 'j', O_HELP = 'h', O_TO = 256, O_LISTEN, O_KEY_FILE,
	O_KEY_DESC, O_RATE, O_THROTTLE, O_MAX_ROUNDS, O_CONVERGE_BELOW,
	O_MAX_BYTES, O_NO_WAIT, O_WAIT, O_INTERVAL, O_UNTIL, O_TIMEOUT,
	O_COUNT, O_NO_RESUME, O_FORCE, O_PAUSE_AFTER_BULK, O_ENCODING,
	/* VM commands (vm.h). */
	O_FROM, O_PEER, O_VOLUME_DIR, O_CHUNK, O_CANCEL, O_MAX_DOWNTIME,
	O_PERSIST, O_UNDEFINE_SOURCE, O_MIGRATE_URI,
	/* A limit too (given). */
	O_CONVERGE_TIME, O_AUTO_THROTTLE,
	/* evacuate (vm.h): not limits, never in given. */
	O_PARALLEL, O_ORDER, O_DEADLINE, O_DRY_RUN,
	/* push, limit: not in given (its own field). */
	O_SUBCHUNK,
};

struct opts {
	const char *dev_arg;
	struct mdm_dev dev;
	bool json, no_wait, no_resume, force, pause_after_bulk, auto_throttle;
	const char *to, *listen, *key_file, *key_desc;
	/* VM commands: --from, --peer, --volume-dir; --chunk in sectors. */
	const char *from, *peer, *volume_dir, *migrate_uri;
	uint32_t chunk_sectors;
	bool cancel, persist, undefine_source;
	/* evacuate: at once, enum plan_order, 0: no deadline. */
	int parallel, order;
	uint64_t deadline_ms;
	bool dry_run;
	uint64_t max_downtime_ms;	/* 0: libvirt's default */
	uint64_t rate, throttle, converge_below, max_bytes;
	uint32_t max_rounds, converge_ms;
	int encoding;			/* enum dm_migrate_encode, or -1 */
	int subchunk;			/* --subchunk on (1) / off (0), or -1 */
	uint32_t given;			/* 1 << (O_x - O_TO) for limits */
	double wait_s, interval_s, timeout_s;
	int until;			/* phase, or -1 */
	long count;
};

#define GIVEN(o, id)	((o)->given & (1U << ((id) - O_TO)))

/* Each returns an exit code (MDM_EXIT_*), having said why when not 0. */

/* status.c: looking on */
int cmd_status(struct opts *o);
int cmd_watch(struct opts *o);
int cmd_events(struct opts *o);

/* push.c: starting either end of a migration */
int cmd_push(struct opts *o);
int cmd_receive(struct opts *o);

/* control.c: steering a running push or receiver */
int cmd_limit(struct opts *o);
int cmd_pause(struct opts *o);
int cmd_resume(struct opts *o);
int cmd_abort(struct opts *o);

/* handoff.c: ending a migration */
int cmd_mirror(struct opts *o);
int cmd_handoff(struct opts *o);
/*
 * The two halves of handoff, for a VM's disks: suspend and decide (undone
 * when refused); then wait up to @wait_s for the peer's confirmation,
 * resuming DEV after it when @resume.  Each says why when not 0.
 */
int handoff_begin(struct opts *o);
int handoff_end(struct opts *o, int wait_s, bool resume);

#endif /* MIGRATE_DM_CMD_H */
