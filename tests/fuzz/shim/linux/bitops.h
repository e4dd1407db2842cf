/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace stand-in for <linux/bitops.h>: what the kernel's lib/lz4/ uses. */
#ifndef MIG_SHIM_LINUX_BITOPS_H
#define MIG_SHIM_LINUX_BITOPS_H

#include "kernel.h"

/* Index of the lowest set bit; undefined for 0, as in the kernel. */
static inline unsigned long __ffs(unsigned long w)
{
	return (unsigned long)__builtin_ctzl(w);
}

/* Index of the highest set bit; undefined for 0. */
static inline unsigned long __fls(unsigned long w)
{
	return (unsigned long)(63 - __builtin_clzl(w));
}

#endif /* MIG_SHIM_LINUX_BITOPS_H */
