/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The few primitives that dm-migrate's pure logic (bitmap walks, range
 * formatting, the wire codec, chunk encoding, rate control, argument
 * parsing) needs, so that the same source builds into the kernel module and
 * into the userspace unit tests (tests/unit/) and fuzzers (tests/fuzz/).
 * In the kernel these are the kernel's own; in userspace they map onto the
 * compiler's builtins and libc.
 */
#ifndef DM_MIGRATE_PORTABLE_H
#define DM_MIGRATE_PORTABLE_H

#ifdef __KERNEL__
#include <asm/byteorder.h>
#include <linux/atomic.h>
#include <linux/bitops.h>
#include <linux/ctype.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/inet.h>
#include <linux/kernel.h>
#include <linux/log2.h>
#include <linux/math64.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/socket.h>
#include <linux/string.h>
#include <linux/types.h>

#define mig_zalloc_array(n, size)	kvcalloc((n), (size), GFP_KERNEL)
#define mig_free(p)			kvfree(p)
#else
/* Userspace builds (tests/unit/, fuzzers) provide the same names. */
#include "portable_user.h"
#endif /* __KERNEL__ */

#endif /* DM_MIGRATE_PORTABLE_H */
