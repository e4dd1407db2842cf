/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace stand-in for <linux/init.h>: the kernel's lib/lz4/ needs none of it. */
#ifndef MIG_SHIM_LINUX_INIT_H
#define MIG_SHIM_LINUX_INIT_H

#endif /* MIG_SHIM_LINUX_INIT_H */
