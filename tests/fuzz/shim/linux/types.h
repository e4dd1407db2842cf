/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace stand-in for <linux/types.h>: the uapi header, and the C
 * types the kernel's own <linux/types.h> also gives (the kernel's lib/lz4/
 * uses them).
 */
#ifndef MIG_SHIM_LINUX_TYPES_H
#define MIG_SHIM_LINUX_TYPES_H

#include_next <linux/types.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#endif /* MIG_SHIM_LINUX_TYPES_H */
