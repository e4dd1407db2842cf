// SPDX-License-Identifier: GPL-2.0
/* Unit tests for userspace/units.c: what operators type and what they read. */
#include <string.h>

#include "units.h"
#include "kselftest.h"

static void parse(const char *s, bool rate, int want_r, uint64_t want)
{
	uint64_t v = 0;
	int r = mdm_parse_size(s, rate, &v);

	ksft_test_result(r == want_r && (r || v == want), "parse %s \"%s\" -> %d %llu\n",
			 rate ? "rate" : "size", s, r, (unsigned long long)v);
}

static void fmt(uint64_t bytes, const char *want)
{
	char buf[32];

	ksft_test_result(!strcmp(mdm_fmt_size(bytes, buf, sizeof(buf)), want),
			 "format %llu -> \"%s\"\n", (unsigned long long)bytes, buf);
}

int main(void)
{
	char buf[32];

	ksft_print_header();
	ksft_set_plan(25);
	parse("512", false, 0, 512);
	parse("64K", false, 0, 65536);
	parse("64k", false, 0, 65536);
	parse("1.5G", false, 0, 1610612736);
	parse("2GiB", false, 0, 2147483648ULL);
	parse("16MB", false, 0, 16777216);
	parse("100M/s", true, 0, 104857600);
	parse("100M/s", false, -1, 0);
	parse("none", true, 0, 0);
	parse("unlimited", true, 0, 0);
	parse("", false, -1, 0);
	parse("-1", false, -1, 0);
	parse("12X", false, -1, 0);
	parse("1K2", false, -1, 0);
	parse("99999999P", false, -1, 0);
	fmt(0, "0 B");
	fmt(1023, "1023 B");
	fmt(1536, "1.5 KiB");
	fmt(268435456, "256.0 MiB");
	ksft_test_result(!strcmp(mdm_fmt_duration(3723000, buf, sizeof(buf)), "1:02:03"),
			 "duration 3723 s -> %s\n", buf);
	ksft_test_result(!strcmp(mdm_fmt_duration(245000, buf, sizeof(buf)), "4:05"),
			 "duration 245 s -> %s\n", buf);
	ksft_test_result(!strcmp(mdm_fmt_duration(6600, buf, sizeof(buf)), "7s"),
			 "duration 6.6 s -> %s\n", buf);
	ksft_test_result(!strcmp(mdm_fmt_us(250, buf, sizeof(buf)), "0.25 ms"),
			 "span 250 us -> %s\n", buf);
	ksft_test_result(!strcmp(mdm_fmt_us(12345, buf, sizeof(buf)), "12.3 ms"),
			 "span 12345 us -> %s\n", buf);
	ksft_test_result(!strcmp(mdm_fmt_us(4200000, buf, sizeof(buf)), "4.20 s"),
			 "span 4.2 s -> %s\n", buf);
	ksft_finished();
}
