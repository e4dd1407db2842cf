// SPDX-License-Identifier: GPL-2.0
/* Human sizes and rates (units.h). */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "units.h"

int mdm_parse_size(const char *s, bool rate, uint64_t *out)
{
	static const char units[] = "KMGTP";
	const char *p;
	char *end;
	double v;
	int shift = 0;

	if (rate && (!strcasecmp(s, "none") || !strcasecmp(s, "unlimited"))) {
		*out = 0;
		return 0;
	}
	if (!isdigit((unsigned char)*s) && *s != '.')
		return -1;
	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || v < 0)
		return -1;
	if (*end && (p = strchr(units, toupper((unsigned char)*end)))) {
		shift = 10 * (int)(p - units + 1);
		end++;
		if (*end == 'i' || *end == 'I')
			end++;
	}
	if (*end == 'B' || *end == 'b')
		end++;
	if (rate && !strcmp(end, "/s"))
		end += 2;
	if (*end)
		return -1;
	v = ldexp(v, shift);
	if (v >= 18446744073709551615.0)
		return -1;
	*out = (uint64_t)(v + 0.5);
	return 0;
}

const char *mdm_fmt_size(uint64_t bytes, char *buf, size_t len)
{
	static const char *const units[] = { "KiB", "MiB", "GiB", "TiB", "PiB" };
	double v = (double)bytes;
	int i = -1;

	while (v >= 1024 && i < 4) {
		v /= 1024;
		i++;
	}
	if (i < 0)
		snprintf(buf, len, "%llu B", (unsigned long long)bytes);
	else
		snprintf(buf, len, "%.1f %s", v, units[i]);
	return buf;
}

const char *mdm_fmt_us(uint64_t us, char *buf, size_t len)
{
	if (us >= 1000000)
		snprintf(buf, len, "%.2f s", us / 1e6);
	else if (us >= 10000)
		snprintf(buf, len, "%.1f ms", us / 1e3);
	else
		snprintf(buf, len, "%.2f ms", us / 1e3);
	return buf;
}

const char *mdm_fmt_duration(uint64_t ms, char *buf, size_t len)
{
	uint64_t s = (ms + 500) / 1000;

	if (s >= 3600)
		snprintf(buf, len, "%llu:%02llu:%02llu", (unsigned long long)(s / 3600),
			 (unsigned long long)(s / 60 % 60), (unsigned long long)(s % 60));
	else if (s >= 60)
		snprintf(buf, len, "%llu:%02llu", (unsigned long long)(s / 60),
			 (unsigned long long)(s % 60));
	else
		snprintf(buf, len, "%llus", (unsigned long long)s);
	return buf;
}
