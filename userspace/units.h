/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Human sizes and rates, both ways.  Suffixes are powers of 1024, as
 * dmsetup and the kernel's memparse() read them: "64K", "1.5G", "100M/s",
 * "2GiB", "512" (bytes).  Pure logic: unit-tested in tests/unit/.
 */
#ifndef MIGRATE_DM_UNITS_H
#define MIGRATE_DM_UNITS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Parse a size ("64K") or, with @rate, a rate ("100M/s"; "/s" optional).
 * A rate may also be "0", "none" or "unlimited" (0).  Returns 0, or -1 for
 * malformed or out-of-range input.
 */
int mdm_parse_size(const char *s, bool rate, uint64_t *out);

/* "1.5 GiB" (or "512 B"); @buf of at least 16 bytes. */
const char *mdm_fmt_size(uint64_t bytes, char *buf, size_t len);

/* "1:02:03", "4:05" or "7s"; @buf of at least 16 bytes. */
const char *mdm_fmt_duration(uint64_t ms, char *buf, size_t len);

/* A short span: "0.35 ms", "12.3 ms", "4.20 s"; @buf of at least 16 bytes. */
const char *mdm_fmt_us(uint64_t us, char *buf, size_t len);

#endif /* MIGRATE_DM_UNITS_H */
