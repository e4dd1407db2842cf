/* SPDX-License-Identifier: GPL-2.0 */
/* Messages to the operator: the CLI's commands and libraries all use these. */
#ifndef MIGRATE_DM_ERR_H
#define MIGRATE_DM_ERR_H

extern const char *mdm_prog;

/* "migrate-dm: <message>" and a newline, on stderr. */
void mdm_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif /* MIGRATE_DM_ERR_H */
