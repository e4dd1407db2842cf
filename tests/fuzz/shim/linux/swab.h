/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace stand-in for <linux/swab.h> (the kernel's lib/zstd/). */
#ifndef MIG_SHIM_LINUX_SWAB_H
#define MIG_SHIM_LINUX_SWAB_H

#define swab32(x)	__builtin_bswap32(x)
#define swab64(x)	__builtin_bswap64(x)

#endif /* MIG_SHIM_LINUX_SWAB_H */
