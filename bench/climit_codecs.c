// SPDX-License-Identifier: GPL-2.0
/*
 * The compressors climit measures, through the distributions' libraries:
 * LZO1X-1 (liblzo2: the algorithm of the kernel's lzo1x_1_compress(), whose
 * smaller dictionary makes its output 0.2-0.7 % larger), LZ4 (liblz4,
 * acceleration 1), zstd (libzstd, any level; frames without the content
 * size, which the chunk header carries), and "raw": zero detection only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lz4.h>
#include <lzo/lzo1x.h>
#include <zstd.h>

#include "climit.h"

static size_t raw_bound(size_t len)
{
	return len;
}

static size_t raw_compress(struct climit_codec *c, const void *src, size_t len,
			   void *dst, size_t cap)
{
	(void)c, (void)src, (void)len, (void)dst, (void)cap;
	return 0;
}

static size_t lzo_bound(size_t len)
{
	return len + len / 16 + 64 + 3;
}

static size_t lzo_compress(struct climit_codec *c, const void *src, size_t len,
			   void *dst, size_t cap)
{
	lzo_uint out = cap;

	if (lzo1x_1_compress(src, len, dst, &out, c->state) != LZO_E_OK)
		return 0;
	return out;
}

static size_t lz4_bound(size_t len)
{
	return LZ4_compressBound(len);
}

static size_t lz4_compress(struct climit_codec *c, const void *src, size_t len,
			   void *dst, size_t cap)
{
	int out = LZ4_compress_default(src, dst, len, cap);

	(void)c;
	return out > 0 ? (size_t)out : 0;
}

static size_t zstd_bound(size_t len)
{
	return ZSTD_compressBound(len);
}

static size_t zstd_compress(struct climit_codec *c, const void *src, size_t len,
			    void *dst, size_t cap)
{
	size_t out = ZSTD_compress2(c->state, dst, cap, src, len);

	return ZSTD_isError(out) ? 0 : out;
}

static void free_state(struct climit_codec *c)
{
	free(c->state);
}

static void zstd_destroy(struct climit_codec *c)
{
	ZSTD_freeCCtx(c->state);
}

static int zstd_init(struct climit_codec *c, const char *level)
{
	char *end;
	long l = level ? strtol(level, &end, 10) : 1;

	if (level && (!*level || *end || l < ZSTD_minCLevel() || l > ZSTD_maxCLevel())) {
		fprintf(stderr, "climit: zstd level '%s' is not a number from %d to %d\n",
			level, ZSTD_minCLevel(), ZSTD_maxCLevel());
		return -1;
	}
	c->level = l;
	c->state = ZSTD_createCCtx();
	if (!c->state ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(c->state, ZSTD_c_compressionLevel, l)) ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(c->state, ZSTD_c_contentSizeFlag, 0))) {
		fprintf(stderr, "climit: cannot set up zstd level %ld\n", l);
		return -1;
	}
	c->bound = zstd_bound;
	c->compress = zstd_compress;
	c->destroy = zstd_destroy;
	return 0;
}

int climit_codec_init(struct climit_codec *c, const char *spec)
{
	memset(c, 0, sizeof(*c));
	c->destroy = free_state;
	if (!strcmp(spec, "raw")) {
		c->name = "raw";
		c->bound = raw_bound;
		c->compress = raw_compress;
		return 0;
	}
	if (!strcmp(spec, "lzo")) {
		c->name = "lzo";
		c->bound = lzo_bound;
		c->compress = lzo_compress;
		c->state = malloc(LZO1X_1_MEM_COMPRESS);
		if (lzo_init() != LZO_E_OK || !c->state) {
			fprintf(stderr, "climit: cannot set up liblzo2\n");
			return -1;
		}
		return 0;
	}
	if (!strcmp(spec, "lz4")) {
		c->name = "lz4";
		c->bound = lz4_bound;
		c->compress = lz4_compress;
		return 0;
	}
	if (!strcmp(spec, "zstd") || !strncmp(spec, "zstd:", 5)) {
		c->name = "zstd";
		return zstd_init(c, spec[4] ? spec + 5 : NULL);
	}
	fprintf(stderr, "climit: unknown codec '%s'; use lzo, lz4, raw or zstd:LEVEL\n", spec);
	return -1;
}
