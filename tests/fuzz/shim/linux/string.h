/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace stand-in for <linux/string.h> (the kernel's lib/lz4/). */
#ifndef MIG_SHIM_LINUX_STRING_H
#define MIG_SHIM_LINUX_STRING_H

#include <string.h>

#endif /* MIG_SHIM_LINUX_STRING_H */
