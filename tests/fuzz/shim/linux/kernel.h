/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace stand-in for <linux/kernel.h>, just enough for the kernel's
 * LZO, LZ4 and zstd sources in lib/lzo/, lib/lz4/ and lib/zstd/
 * (extracted from linux-source-6.1 at build time) to build into the
 * fuzzers, configured as on x86-64.
 */
#ifndef MIG_SHIM_LINUX_KERNEL_H
#define MIG_SHIM_LINUX_KERNEL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the fuzz shims assume a little-endian host"
#endif
/* The kernel defines only the host's byte order; lzodefs.h checks. */
#undef __BIG_ENDIAN
#ifndef __LITTLE_ENDIAN
#define __LITTLE_ENDIAN 1234
#endif

#define CONFIG_X86_64 1
#define CONFIG_64BIT 1
#define CONFIG_HAVE_EFFICIENT_UNALIGNED_ACCESS 1

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;

#define likely(x)	__builtin_expect(!!(x), 1)
#define unlikely(x)	__builtin_expect(!!(x), 0)
#define noinline	__attribute__((noinline))
#ifndef __always_inline		/* glibc's <sys/cdefs.h> has it */
#define __always_inline	inline __attribute__((__always_inline__))
#endif
#define fallthrough	__attribute__((__fallthrough__))
#define min(a, b)	((a) < (b) ? (a) : (b))
#define min_t(type, a, b)	min((type)(a), (type)(b))
#define BUILD_BUG_ON(cond)	_Static_assert(!(cond), #cond)

#endif /* MIG_SHIM_LINUX_KERNEL_H */
