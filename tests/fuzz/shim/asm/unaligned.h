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

/* get_unaligned_le16() and put_unaligned_le16(), ... be64 (byte-swapped). */
#define MIG_SHIM_UNALIGNED(bits, end, swap)					\
static inline uint##bits##_t get_unaligned_##end##bits(const void *p)		\
{										\
	uint##bits##_t v;							\
										\
	memcpy(&v, p, sizeof(v));						\
	return swap(v);								\
}										\
										\
static inline void put_unaligned_##end##bits(uint##bits##_t v, void *p)		\
{										\
	v = swap(v);								\
	memcpy(p, &v, sizeof(v));						\
}

#define MIG_SHIM_SAME(v)	(v)
MIG_SHIM_UNALIGNED(16, le, MIG_SHIM_SAME)
MIG_SHIM_UNALIGNED(32, le, MIG_SHIM_SAME)
MIG_SHIM_UNALIGNED(64, le, MIG_SHIM_SAME)
MIG_SHIM_UNALIGNED(32, be, __builtin_bswap32)
MIG_SHIM_UNALIGNED(64, be, __builtin_bswap64)

#endif /* MIG_SHIM_ASM_UNALIGNED_H */
