/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace stand-in for <linux/crc32c.h>: crc32c() is declared by
 * tests/unit/portable_user.h and defined in tests/unit/crc32c_user.c.
 */
#ifndef MIG_SHIM_LINUX_CRC32C_H
#define MIG_SHIM_LINUX_CRC32C_H

#include "portable.h"

#endif /* MIG_SHIM_LINUX_CRC32C_H */
