/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace stand-in for <linux/zstd.h>: the kernel's zstd API, the part
 * kmod/compress.c uses, mapped onto the system's libzstd (the upstream
 * code the kernel's lib/zstd/ carries), with the same static workspaces.
 */
#ifndef MIG_SHIM_LINUX_ZSTD_H
#define MIG_SHIM_LINUX_ZSTD_H

#define ZSTD_STATIC_LINKING_ONLY
#define ZSTD_DISABLE_DEPRECATE_WARNINGS
#include <zstd.h>

typedef ZSTD_CCtx zstd_cctx;
typedef ZSTD_DCtx zstd_dctx;
typedef ZSTD_parameters zstd_parameters;
typedef ZSTD_compressionParameters zstd_compression_parameters;

static inline unsigned int zstd_is_error(size_t code)
{
	return ZSTD_isError(code);
}

static inline zstd_parameters zstd_get_params(int level, unsigned long long size)
{
	return ZSTD_getParams(level, size, 0);
}

static inline size_t zstd_cctx_workspace_bound(const zstd_compression_parameters *p)
{
	return ZSTD_estimateCCtxSize_usingCParams(*p);
}

static inline zstd_cctx *zstd_init_cctx(void *workspace, size_t size)
{
	return ZSTD_initStaticCCtx(workspace, size);
}

static inline size_t zstd_compress_cctx(zstd_cctx *cctx, void *dst, size_t cap,
					const void *src, size_t len,
					const zstd_parameters *p)
{
	return ZSTD_compress_advanced(cctx, dst, cap, src, len, NULL, 0, *p);
}

static inline size_t zstd_dctx_workspace_bound(void)
{
	return ZSTD_estimateDCtxSize();
}

static inline zstd_dctx *zstd_init_dctx(void *workspace, size_t size)
{
	return ZSTD_initStaticDCtx(workspace, size);
}

static inline size_t zstd_decompress_dctx(zstd_dctx *dctx, void *dst, size_t cap,
					  const void *src, size_t len)
{
	return ZSTD_decompressDCtx(dctx, dst, cap, src, len);
}

#endif /* MIG_SHIM_LINUX_ZSTD_H */
