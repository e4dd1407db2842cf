/* SPDX-License-Identifier: GPL-2.0 */
/* Status and events, for people (text) and programs (JSON). */
#ifndef MIGRATE_DM_SHOW_H
#define MIGRATE_DM_SHOW_H

#include <stdio.h>

#include "mdm.h"

const char *mdm_phase_name(int phase);
const char *mdm_role_name(int role);
const char *mdm_conn_name(int conn);
const char *mdm_event_name(int event);
/*
 * A destination: a receiver was started on it, or it is in the receive
 * mode (its table has the 'receive' feature) with none yet or any more.
 */
bool mdm_is_dest(const struct mdm_status *st);
/* A destination's connection state in words: "source connected"... */
const char *mdm_dest_conn_text(int conn);
/* Phase by name (status words), or -1. */
int mdm_phase_by_name(const char *name);
/* enum dm_migrate_encode by name (lzo, lz4, zstd, raw, auto), or -1. */
int mdm_encoding_by_name(const char *name);

void mdm_show_status(FILE *f, const struct mdm_status *st);
void mdm_show_status_json(FILE *f, const struct mdm_status *st);
/* The object status --json prints (json-c; the caller puts it). */
struct json_object;
struct json_object *mdm_status_json(const struct mdm_status *st);
void mdm_show_event(FILE *f, const struct mdm_status *ev, bool json);

/*
 * Progress in percent.  Source: the share of the volume that is on the
 * peer.  Destination: chunks applied over the volume's chunks, at most 100
 * (it follows the bulk pass; dirty rounds send chunks again).
 */
double mdm_progress(const struct mdm_status *st);

/*
 * One line (watch): source: phase, progress, round, rate, savings, ETA;
 * destination: phase, progress, chunks applied, rate, writes, connection.
 */
void mdm_show_line(FILE *f, const struct mdm_status *st, bool bar, int width);

#endif /* MIGRATE_DM_SHOW_H */
