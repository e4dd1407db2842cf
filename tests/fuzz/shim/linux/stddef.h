/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace stand-in for <linux/stddef.h> (the kernel's lib/zstd/). */
#ifndef MIG_SHIM_LINUX_STDDEF_H
#define MIG_SHIM_LINUX_STDDEF_H

#include <stdbool.h>
#include <stddef.h>

#endif /* MIG_SHIM_LINUX_STDDEF_H */
