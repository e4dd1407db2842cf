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
/* Phase by name (status words), or -1. */
int mdm_phase_by_name(const char *name);

void mdm_show_status(FILE *f, const struct mdm_status *st);
void mdm_show_status_json(FILE *f, const struct mdm_status *st);
void mdm_show_event(FILE *f, const struct mdm_status *ev, bool json);

/* Share of the volume that is on the peer, in percent. */
double mdm_progress(const struct mdm_status *st);

/* One line: phase, progress, rates, savings, ETA (watch). */
void mdm_show_line(FILE *f, const struct mdm_status *st, bool bar, int width);

#endif /* MIGRATE_DM_SHOW_H */
