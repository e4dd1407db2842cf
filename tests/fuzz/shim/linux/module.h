/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace stand-in for <linux/module.h>: the kernel's lib/ compressors need no more. */
#ifndef MIG_SHIM_LINUX_MODULE_H
#define MIG_SHIM_LINUX_MODULE_H

#define EXPORT_SYMBOL_GPL(sym)	extern int mig_shim_export_unused
#define EXPORT_SYMBOL(sym)	extern int mig_shim_export_unused
#define MODULE_LICENSE(s)	extern int mig_shim_export_unused
#define MODULE_DESCRIPTION(s)	extern int mig_shim_export_unused

#endif /* MIG_SHIM_LINUX_MODULE_H */
