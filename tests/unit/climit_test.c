// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for bench/climit_rule.c and climit_codecs.c: the wire rule of
 * an ideal sender (zero runs, compressed or raw chunks, per-message
 * overhead), the link's framing, and that each codec's output is a real
 * stream that decodes to its input.
 */
#include <lz4.h>
#include <lzo/lzo1x.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "climit.h"
#include "kselftest.h"

#define LEN	65536U

static void test_rule(void)
{
	struct climit_acc a = {};

	ksft_test_result(CLIMIT_MSG_BYTES == 64, "a CHUNK message costs 64 bytes (%zu)\n",
			 CLIMIT_MSG_BYTES);

	climit_add_data(&a, LEN, 1000);		/* compressed */
	climit_add_zero(&a);			/* a run of three */
	climit_add_zero(&a);
	climit_add_zero(&a);
	climit_add_data(&a, LEN, LEN);		/* no gain: raw */
	climit_add_zero(&a);			/* a run of one */
	climit_add_data(&a, LEN, 0);		/* codec failed: raw */
	climit_add_data(&a, 512, 100);		/* a short last chunk */
	ksft_test_result(a.chunks == 8 && a.zero_chunks == 4,
			 "chunks counted: %llu, %llu zero\n",
			 (unsigned long long)a.chunks, (unsigned long long)a.zero_chunks);
	ksft_test_result(a.msgs == 6, "one message per zero run (%llu messages)\n",
			 (unsigned long long)a.msgs);
	ksft_test_result(a.packed == 2, "only smaller output is sent compressed (%llu)\n",
			 (unsigned long long)a.packed);
	ksft_test_result(a.wire == 6 * 64 + 1000 + 2 * LEN + 100,
			 "wire bytes: headers, compressed and raw data (%llu)\n",
			 (unsigned long long)a.wire);

	a = (struct climit_acc){ .run = UINT32_MAX - 1, .msgs = 1 };
	climit_add_zero(&a);
	climit_add_zero(&a);
	ksft_test_result(a.msgs == 2 && a.run == 1,
			 "a zero run longer than a CHUNK's count takes another message\n");

	ksft_test_result(climit_link_bytes(0, 1448, 66) == 0 &&
			 climit_link_bytes(1448, 1448, 66) == 1448 + 66 &&
			 climit_link_bytes(1449, 1448, 66) == 1449 + 2 * 66,
			 "link bytes: headers per segment\n");
}

static int decode(const struct climit_codec *c, const void *src, size_t len,
		  void *dst, size_t cap)
{
	if (!strcmp(c->name, "lzo")) {
		lzo_uint out = cap;

		return lzo1x_decompress_safe(src, len, dst, &out, NULL) == LZO_E_OK ?
			(int)out : -1;
	}
	if (!strcmp(c->name, "lz4"))
		return LZ4_decompress_safe(src, dst, len, cap);
	return (int)ZSTD_decompress(dst, cap, src, len);
}

static void test_codec(const char *spec, const unsigned char *text, const unsigned char *noise)
{
	static unsigned char out[LEN * 2], back[LEN];
	struct climit_codec c;
	size_t t, n;

	if (climit_codec_init(&c, spec)) {
		ksft_test_result_fail("%s: set up\n", spec);
		return;
	}
	t = c.compress(&c, text, LEN, out, c.bound(LEN));
	ksft_test_result(t > 0 && t < LEN / 4 && decode(&c, out, t, back, LEN) == (int)LEN &&
			 !memcmp(back, text, LEN),
			 "%s: text compresses (%zu bytes) and decodes to itself\n", spec, t);
	n = c.compress(&c, noise, LEN, out, c.bound(LEN));
	ksft_test_result(n >= LEN && n <= c.bound(LEN),
			 "%s: noise does not compress (%zu bytes)\n", spec, n);
	c.destroy(&c);
}

int main(void)
{
	static unsigned char text[LEN], noise[LEN];
	struct climit_codec c;
	unsigned int i, x = 1;

	ksft_print_header();
	ksft_set_plan(7 + 4 * 2 + 3);
	test_rule();

	for (i = 0; i < LEN; i++) {
		text[i] = "the quick brown fox jumps over the lazy dog\n"[i % 44];
		x = x * 1103515245 + 12345;
		noise[i] = x >> 23;
	}
	test_codec("lzo", text, noise);
	test_codec("lz4", text, noise);
	test_codec("zstd:-1", text, noise);
	test_codec("zstd:3", text, noise);

	ksft_test_result(!climit_codec_init(&c, "raw") &&
			 c.compress(&c, text, LEN, NULL, 0) == 0,
			 "raw: never compresses\n");
	ksft_test_result(climit_codec_init(&c, "gzip") == -1, "an unknown codec is refused\n");
	ksft_test_result(climit_codec_init(&c, "zstd:fast") == -1 &&
			 climit_codec_init(&c, "zstd:99") == -1,
			 "a bad zstd level is refused\n");
	ksft_finished();
}
