/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace stand-in for <linux/printk.h> (the kernel's lib/zstd/): silent. */
#ifndef MIG_SHIM_LINUX_PRINTK_H
#define MIG_SHIM_LINUX_PRINTK_H

#define pr_debug(...)	do { } while (0)

#endif /* MIG_SHIM_LINUX_PRINTK_H */
