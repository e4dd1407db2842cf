// SPDX-License-Identifier: GPL-2.0
/*
 * Argument parsing for the table line (target.c) and the control messages
 * (ctlmsg.c, transport addresses).  Pure logic: builds in the kernel and in
 * userspace (tests/fuzz/) through portable.h.
 */
#include "args.h"

int mig_addr_parse(const char *s, struct mig_addr *addr)
{
	const char *port_s, *host_end;
	struct sockaddr_in *sin = (struct sockaddr_in *)&addr->ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&addr->ss;
	u16 port;

	memset(addr, 0, sizeof(*addr));
	if (strscpy(addr->text, s, sizeof(addr->text)) < 0)
		return -EINVAL;

	if (s[0] == '[') {
		host_end = strchr(s, ']');
		if (!host_end || host_end[1] != ':')
			return -EINVAL;
		port_s = host_end + 2;
		if (!in6_pton(s + 1, host_end - s - 1, sin6->sin6_addr.s6_addr,
			      -1, NULL))
			return -EINVAL;
		sin6->sin6_family = AF_INET6;
		addr->len = sizeof(*sin6);
	} else {
		host_end = strrchr(s, ':');
		if (!host_end)
			return -EINVAL;
		port_s = host_end + 1;
		if (!in4_pton(s, host_end - s, (u8 *)&sin->sin_addr.s_addr,
			      -1, NULL))
			return -EINVAL;
		sin->sin_family = AF_INET;
		addr->len = sizeof(*sin);
	}
	if (kstrtou16(port_s, 10, &port) || !port)
		return -EINVAL;
	if (addr->ss.ss_family == AF_INET6)
		sin6->sin6_port = htons(port);
	else
		sin->sin_port = htons(port);
	return 0;
}

int mig_parse_key(const char *hex, struct mig_key *key)
{
	size_t n = strlen(hex);

	if (n % 2 || n / 2 < DM_MIGRATE_MIN_KEY_LEN ||
	    n / 2 > DM_MIGRATE_MAX_KEY_LEN)
		return -EINVAL;
	if (hex2bin(key->bytes, hex, n / 2))
		return -EINVAL;
	key->len = n / 2;
	return 0;
}

/*
 * Not memparse() itself: that takes a bare suffix ("rate=M") as 0 and
 * wraps a size past 2^64 ("rate=32E" is 0), and 0 is "unlimited" for a
 * rate.  The same syntax, with those refused.
 */
int mig_parse_size(const char *s, u64 *out)
{
	static const char units[] = "kmgtpe";
	unsigned int shift = 0;
	const char *digits, *unit;
	int base = 10, d;
	u64 v = 0;

	if (s[0] == '0' && tolower(s[1]) == 'x' && isxdigit(s[2])) {
		base = 16;
		s += 2;
	} else if (s[0] == '0') {
		base = 8;
	}
	for (digits = s; (d = hex_to_bin(*s)) >= 0 && d < base; s++) {
		if (v > (U64_MAX - d) / base)
			return -ERANGE;
		v = v * base + d;
	}
	if (s == digits)
		return -EINVAL;
	if (*s) {
		unit = strchr(units, tolower(*s));
		if (!unit)
			return -EINVAL;
		shift = 10 * (unit - units + 1);
		s++;
	}
	if (*s)
		return -EINVAL;
	if (v > U64_MAX >> shift)
		return -ERANGE;
	*out = v << shift;
	return 0;
}

int mig_lim_set(struct mig_limits *lim, u32 bit, u64 v)
{
	switch (bit) {
	case MIG_LIM_RATE:
		lim->rate = v;
		break;
	case MIG_LIM_THROTTLE:
		lim->throttle = v;
		break;
	case MIG_LIM_CONVERGE:
		lim->converge_bytes = v;
		break;
	case MIG_LIM_MAX_BYTES:
		lim->max_bytes = v;
		break;
	case MIG_LIM_MAX_ROUNDS:
		if (v > U32_MAX)
			return -ERANGE;
		lim->max_rounds = v;
		break;
	case MIG_LIM_CONVERGE_MS:
		if (v > U32_MAX)
			return -ERANGE;
		lim->converge_ms = v;
		break;
	case MIG_LIM_PAUSE_BULK:
		if (v > 1)
			return -ERANGE;
		lim->pause_after_bulk = v;
		break;
	case MIG_LIM_AUTO_THROTTLE:
		if (v > 1)
			return -ERANGE;
		lim->auto_throttle = v;
		break;
	case MIG_LIM_SUBCHUNK:
		if (v > 1)
			return -ERANGE;
		lim->subchunk = v;
		break;
	case MIG_LIM_ENCODING:
		if (v >= __DM_MIGRATE_ENCODE_MAX)
			return -ERANGE;
		lim->encoding = v;
		break;
	default:
		return -EINVAL;
	}
	lim->given |= bit;
	return 0;
}

static const struct {
	const char *name;
	u32 bit;
} lim_names[] = {
	{ "rate", MIG_LIM_RATE },
	{ "throttle", MIG_LIM_THROTTLE },
	{ "converge_below", MIG_LIM_CONVERGE },
	{ "converge_ms", MIG_LIM_CONVERGE_MS },
	{ "max_bytes", MIG_LIM_MAX_BYTES },
	{ "max_rounds", MIG_LIM_MAX_ROUNDS },
	{ "pause_after_bulk", MIG_LIM_PAUSE_BULK },
	{ "auto_throttle", MIG_LIM_AUTO_THROTTLE },
	{ "encoding", MIG_LIM_ENCODING },
	{ "subchunk", MIG_LIM_SUBCHUNK },
};

/* An encoding's name: its enum dm_migrate_encode value. */
static int parse_encoding(const char *s, u64 *v)
{
	static const char * const names[] = DM_MIGRATE_ENCODE_NAMES;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(names); i++) {
		if (!strcmp(s, names[i])) {
			*v = i;
			return 0;
		}
	}
	return -EINVAL;
}

int mig_parse_limits(unsigned int argc, char **argv, struct mig_limits *lim)
{
	unsigned int i, j;
	u64 v;

	for (i = 0; i < argc; i++) {
		const char *eq = strchr(argv[i], '=');

		if (!eq)
			return -EINVAL;
		for (j = 0; j < ARRAY_SIZE(lim_names); j++)
			if (strlen(lim_names[j].name) == (size_t)(eq - argv[i]) &&
			    !strncmp(argv[i], lim_names[j].name, eq - argv[i]))
				break;
		if (j == ARRAY_SIZE(lim_names) ||
		    (lim_names[j].bit == MIG_LIM_ENCODING ?
		     parse_encoding(eq + 1, &v) : mig_parse_size(eq + 1, &v)) ||
		    mig_lim_set(lim, lim_names[j].bit, v))
			return -EINVAL;
	}
	return 0;
}

int mig_parse_chunk_size(const char *arg, unsigned int *shift, char **error)
{
	unsigned int sectors;

	if (kstrtouint(arg, 10, &sectors) || !is_power_of_2(sectors) ||
	    sectors < DM_MIGRATE_MIN_CHUNK_SECTORS ||
	    sectors > DM_MIGRATE_MAX_CHUNK_SECTORS) {
		*error = "Invalid chunk size: need a power of two, 8 to 16384 sectors";
		return -EINVAL;
	}
	*shift = ilog2(sectors);
	return 0;
}

int mig_parse_chunk_range(const char *arg, u64 nbits, u64 *first, u64 *last)
{
	char buf[48];
	char *dash;

	if (strscpy(buf, arg, sizeof(buf)) < 0)
		return -EINVAL;
	dash = strchr(buf, '-');
	if (dash)
		*dash++ = '\0';
	if (kstrtoull(buf, 10, first))
		return -EINVAL;
	if (!dash)
		*last = *first;
	else if (kstrtoull(dash, 10, last))
		return -EINVAL;
	if (*first > *last || *last >= nbits)
		return -ERANGE;
	return 0;
}
