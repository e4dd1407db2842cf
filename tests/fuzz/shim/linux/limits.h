/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace stand-in for <linux/limits.h> (the kernel's lib/zstd/). */
#ifndef MIG_SHIM_LINUX_LIMITS_H
#define MIG_SHIM_LINUX_LIMITS_H

#include <limits.h>

#endif /* MIG_SHIM_LINUX_LIMITS_H */
