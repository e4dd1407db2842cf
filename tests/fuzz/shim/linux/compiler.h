/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace stand-in for <linux/compiler.h> (the kernel's lib/zstd/). */
#ifndef MIG_SHIM_LINUX_COMPILER_H
#define MIG_SHIM_LINUX_COMPILER_H

#include <linux/kernel.h>

#endif /* MIG_SHIM_LINUX_COMPILER_H */
