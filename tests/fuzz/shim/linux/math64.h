/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace stand-in for <linux/math64.h> (the kernel's lib/zstd/). */
#ifndef MIG_SHIM_LINUX_MATH64_H
#define MIG_SHIM_LINUX_MATH64_H

#include <linux/kernel.h>

static inline u64 div_u64(u64 dividend, u32 divisor)
{
	return dividend / divisor;
}

#endif /* MIG_SHIM_LINUX_MATH64_H */
