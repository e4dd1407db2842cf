/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace stand-ins for the kernel primitives kmod/portable.h names, so
 * that the module's pure logic builds into unit tests and fuzzers.
 */
#ifndef DM_MIGRATE_PORTABLE_USER_H
#define DM_MIGRATE_PORTABLE_USER_H

#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <linux/types.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ctype.h>
#include <sys/socket.h>
#include <sys/types.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef struct { long counter; } atomic_long_t;
typedef struct { int64_t counter; } atomic64_t;

#define BITS_PER_LONG		(8 * (int)sizeof(long))
#define READ_ONCE(x)		__atomic_load_n(&(x), __ATOMIC_RELAXED)
#define WRITE_ONCE(x, v)	__atomic_store_n(&(x), (v), __ATOMIC_RELAXED)

/*
 * Reads of atomic_long_t words, counted: tests/unit/bitmap_test.c checks
 * how many words a bitmap walk reads.  Weak: one counter per program.
 */
__attribute__((weak)) unsigned long mig_user_word_reads;

static inline long atomic_long_read(const atomic_long_t *v)
{
	__atomic_fetch_add(&mig_user_word_reads, 1, __ATOMIC_RELAXED);
	return __atomic_load_n(&v->counter, __ATOMIC_RELAXED);
}

static inline void atomic_long_set(atomic_long_t *v, long i)
{
	__atomic_store_n(&v->counter, i, __ATOMIC_RELAXED);
}

/*
 * The kernel's value-returning atomics are fully ordered: a full barrier
 * before and after.  A seq_cst RMW alone does not order a later relaxed
 * load in C11 (bitmap.c's summary relies on that order), so the fences
 * are explicit.
 */
static inline long atomic_long_fetch_or(long i, atomic_long_t *v)
{
	long old;

	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	old = __atomic_fetch_or(&v->counter, i, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return old;
}

static inline long atomic_long_fetch_andnot(long i, atomic_long_t *v)
{
	long old;

	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	old = __atomic_fetch_and(&v->counter, ~i, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return old;
}

typedef struct { int counter; } atomic_t;

static inline int atomic_read(const atomic_t *v)
{
	return __atomic_load_n(&v->counter, __ATOMIC_RELAXED);
}

/* Not value-returning: unordered, as in the kernel. */
static inline void atomic_or(int i, atomic_t *v)
{
	__atomic_fetch_or(&v->counter, i, __ATOMIC_RELAXED);
}

static inline int atomic_fetch_andnot(int i, atomic_t *v)
{
	int old;

	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	old = __atomic_fetch_and(&v->counter, ~i, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return old;
}

#define smp_mb()		__atomic_thread_fence(__ATOMIC_SEQ_CST)

/* RCU: the tests have no concurrent detach; readers need no lock. */
#define __rcu
#define rcu_read_lock()		do { } while (0)
#define rcu_read_unlock()	do { } while (0)
#define rcu_dereference(p)	__atomic_load_n(&(p), __ATOMIC_ACQUIRE)
#define rcu_dereference_protected(p, c)	(p)
#define rcu_assign_pointer(p, v)	__atomic_store_n(&(p), (v), __ATOMIC_RELEASE)
#define RCU_INIT_POINTER(p, v)	((p) = (v))

static inline int64_t atomic64_read(const atomic64_t *v)
{
	return __atomic_load_n(&v->counter, __ATOMIC_RELAXED);
}

static inline void atomic64_set(atomic64_t *v, int64_t i)
{
	__atomic_store_n(&v->counter, i, __ATOMIC_RELAXED);
}

static inline void atomic64_add(int64_t i, atomic64_t *v)
{
	__atomic_fetch_add(&v->counter, i, __ATOMIC_RELAXED);
}

static inline void atomic64_sub(int64_t i, atomic64_t *v)
{
	__atomic_fetch_sub(&v->counter, i, __ATOMIC_RELAXED);
}

static inline unsigned int hweight_long(unsigned long w)
{
	return (unsigned int)__builtin_popcountl(w);
}

/* Index of the lowest set bit; undefined for 0, as in the kernel. */
static inline unsigned long __ffs(unsigned long w)
{
	return (unsigned long)__builtin_ctzl(w);
}

#define DIV_ROUND_UP(n, d)	(((n) + (d) - 1) / (d))
static inline u64 div64_u64(u64 a, u64 b)
{
	return a / b;
}

#define min(a, b)		((a) < (b) ? (a) : (b))
#define max(a, b)		((a) > (b) ? (a) : (b))
#define min_t(t, a, b)		((t)(a) < (t)(b) ? (t)(a) : (t)(b))
#define clamp_val(v, lo, hi)	((v) < (lo) ? (lo) : (v) > (hi) ? (hi) : (v))
#define scnprintf(buf, size, ...) \
	({ int __n = snprintf((buf), (size), __VA_ARGS__); \
	   __n < 0 ? 0 : ((size_t)__n >= (size) ? (int)(size) - 1 : __n); })

#define cpu_to_be16(x)		((__be16)htobe16(x))
#define cpu_to_be32(x)		((__be32)htobe32(x))
#define cpu_to_be64(x)		((__be64)htobe64(x))
#define be16_to_cpu(x)		be16toh(x)
#define be32_to_cpu(x)		be32toh(x)
#define be64_to_cpu(x)		be64toh(x)

#define mig_zalloc_array(n, size)	calloc((n), (size))
#define mig_free(p)			free(p)

#define GFP_KERNEL		0
#define kvmalloc(size, gfp)	((void)(gfp), malloc(size))
#define kvfree(p)		free(p)

/* First byte of @p[0..n) that is not @c, or NULL. */
static inline void *memchr_inv(const void *p, int c, size_t n)
{
	const unsigned char *s = p;
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] != (unsigned char)c)
			return (void *)(s + i);
	return NULL;
}

/* The kernel's crc32c(seed, ...): tests/unit/crc32c_user.c. */
u32 crc32c(u32 crc, const void *data, unsigned int len);

#ifndef BIT
#define BIT(n)			(1UL << (n))
#endif
#ifndef BIT_ULL
#define BIT_ULL(n)		(1ULL << (n))
#endif
#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))
#endif
#define U16_MAX			((u16)~0U)
#define U32_MAX			((u32)~0U)
#define U64_MAX			((u64)~0ULL)

static inline bool is_power_of_2(unsigned long n)
{
	return n && !(n & (n - 1));
}

/* log2 of a non-zero value, rounded down. */
#define ilog2(n)		(63 - __builtin_clzll((unsigned long long)(n)))

/* Copy with truncation; -E2BIG if @src did not fit. */
static inline ssize_t strscpy(char *dst, const char *src, size_t size)
{
	size_t len = strnlen(src, size);

	if (!size)
		return -E2BIG;
	if (len == size) {
		memcpy(dst, src, size - 1);
		dst[size - 1] = '\0';
		return -E2BIG;
	}
	memcpy(dst, src, len + 1);
	return (ssize_t)len;
}

/*
 * kstrtoull() as lib/kstrtox.c documents it: an optional '+', digits of
 * @base (0: 0x hex, 0 octal, else decimal; 16 also takes 0x), an optional
 * single newline, nothing else; -ERANGE on overflow, -EINVAL otherwise.
 */
static inline int kstrtoull(const char *s, unsigned int base, u64 *res)
{
	u64 v = 0;
	bool over = false;
	size_t n = 0;

	if (*s == '+')
		s++;
	if (!base)
		base = s[0] != '0' ? 10 : ((s[1] | 0x20) == 'x' &&
					   isxdigit((unsigned char)s[2])) ? 16 : 8;
	if (base == 16 && s[0] == '0' && (s[1] | 0x20) == 'x')
		s += 2;
	for (;; s++, n++) {
		unsigned int c = (unsigned char)*s, d;

		if (c >= '0' && c <= '9')
			d = c - '0';
		else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
			d = (c | 0x20) - 'a' + 10;
		else
			break;
		if (d >= base)
			break;
		if (v > (~0ULL - d) / base)
			over = true;
		v = v * base + d;
	}
	if (over)
		return -ERANGE;
	if (!n)
		return -EINVAL;
	if (*s == '\n')
		s++;
	if (*s)
		return -EINVAL;
	*res = v;
	return 0;
}

static inline int kstrtouint(const char *s, unsigned int base, unsigned int *res)
{
	u64 v;
	int r = kstrtoull(s, base, &v);

	if (r)
		return r;
	if (v > ~0U)
		return -ERANGE;
	*res = (unsigned int)v;
	return 0;
}

static inline int kstrtou16(const char *s, unsigned int base, u16 *res)
{
	u64 v;
	int r = kstrtoull(s, base, &v);

	if (r)
		return r;
	if (v > U16_MAX)
		return -ERANGE;
	*res = (u16)v;
	return 0;
}

static inline int hex_to_bin(unsigned char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	ch |= 0x20;
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	return -1;
}

static inline int hex2bin(u8 *dst, const char *src, size_t count)
{
	while (count--) {
		int hi = hex_to_bin(*src++), lo;

		if (hi < 0)
			return -EINVAL;
		lo = hex_to_bin(*src++);
		if (lo < 0)
			return -EINVAL;
		*dst++ = (u8)(hi << 4 | lo);
	}
	return 0;
}

/*
 * in4_pton()/in6_pton() with a length and no delimiter (the only way
 * dm-migrate calls them), through libc's inet_pton(): the address must be
 * exactly the @len bytes at @src.  libc is stricter in corner cases (it
 * refuses leading zeros in IPv4 octets, which the kernel takes).
 */
static inline int mig_user_pton(int af, const char *src, int len, void *dst)
{
	char buf[INET6_ADDRSTRLEN + 1];

	if (len < 0 || (size_t)len >= sizeof(buf))
		return 0;
	memcpy(buf, src, (size_t)len);
	buf[len] = '\0';
	return inet_pton(af, buf, dst) == 1;
}

#define in4_pton(src, len, dst, delim, end) \
	({ (void)(delim); (void)(end); mig_user_pton(AF_INET, (src), (len), (dst)); })
#define in6_pton(src, len, dst, delim, end) \
	({ (void)(delim); (void)(end); mig_user_pton(AF_INET6, (src), (len), (dst)); })

#endif /* DM_MIGRATE_PORTABLE_USER_H */
