/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace stand-in for <asm/unaligned.h> (little-endian host): accesses
 * through packed structures, as the kernel's own, so that the sanitizers
 * see byte-aligned accesses.
 */
#ifndef MIG_SHIM_ASM_UNALIGNED_H
#define MIG_SHIM_ASM_UNALIGNED_H

#include <stdint.h>
#include <string.h>

#define get_unaligned(p) \
	({ const struct { __typeof__(*(p)) x; } __attribute__((packed)) *__u = \
		(const void *)(p); __u->x; })
#define put_unaligned(v, p) \
	do { struct { __typeof__(*(p)) x; } __attribute__((packed)) *__u = \
		(void *)(p); __u->x = (v); } while (0)

static inline uint16_t get_unaligned_le16(const void *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline uint32_t get_unaligned_le32(const void *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline void put_unaligned_le16(uint16_t v, void *p)
{
	memcpy(p, &v, sizeof(v));
}

static inline void put_unaligned_le32(uint32_t v, void *p)
{
	memcpy(p, &v, sizeof(v));
}

#endif /* MIG_SHIM_ASM_UNALIGNED_H */
