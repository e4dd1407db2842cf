// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the table and message argument parsers (kmod/args.c).
 *
 * Input: a byte that picks the parser, then its text (the rest of the
 * input, NUL-terminated in a buffer of its exact size):
 *   0 mig_addr_parse()        1 mig_parse_key()      2 mig_parse_size()
 *   3 mig_parse_limits() (the text split at spaces into words)
 *   4 mig_parse_chunk_size()  5 mig_parse_chunk_range() (8 bytes of chunk
 *                               count first)
 * Whatever a parser accepts is checked against an independent reading of
 * the same text.
 */
#include "args.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const u8 *data, size_t size);

/*
 * The number a size names, computed with 128-bit arithmetic: digits as
 * memparse() reads them (0x hex, 0 octal, else decimal), a K/M/G/T/P/E
 * suffix.  Returns false if the text is not a size; *@big: it does not fit
 * in 64 bits.
 */
static bool ref_size(const char *s, u64 *v, bool *big)
{
	unsigned __int128 n = 0;
	unsigned int base = 10, digits = 0;
	const char *sfx = "kmgtpe", *u;

	*big = false;
	if (s[0] == '0' && (s[1] | 0x20) == 'x' && isxdigit((unsigned char)s[2]))
		base = 16, s += 2;
	else if (s[0] == '0')
		base = 8;
	for (;; s++, digits++) {
		int d = hex_to_bin(*s);

		if (d < 0 || (unsigned int)d >= base)
			break;
		n = n * base + d;
		if (n >> 64)
			*big = true, n &= ~(u64)0;
	}
	if (!digits)
		return false;
	if (*s && (u = strchr(sfx, *s | 0x20))) {
		unsigned int shift = 10 * (u - sfx + 1);

		if (n >> (64 - shift))
			*big = true;
		n <<= shift;
		s++;
	}
	*v = (u64)n;
	return !*s;
}

static void addr(const char *s)
{
	char host[INET6_ADDRSTRLEN], again[80];
	struct mig_addr a, b;
	u16 port;

	if (mig_addr_parse(s, &a))
		return;
	FUZZ_CHECK(strlen(s) < sizeof(a.text) && !strcmp(a.text, s));
	if (a.ss.ss_family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&a.ss;

		FUZZ_CHECK(a.len == sizeof(*sin));
		port = ntohs(sin->sin_port);
		FUZZ_CHECK(inet_ntop(AF_INET, &sin->sin_addr, host, sizeof(host)));
		snprintf(again, sizeof(again), "%s:%u", host, port);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&a.ss;

		FUZZ_CHECK(a.ss.ss_family == AF_INET6 && a.len == sizeof(*sin6));
		port = ntohs(sin6->sin6_port);
		FUZZ_CHECK(inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof(host)));
		snprintf(again, sizeof(again), "[%s]:%u", host, port);
	}
	FUZZ_CHECK(port);
	/* The canonical spelling of the same address parses the same. */
	FUZZ_CHECK(!mig_addr_parse(again, &b));
	FUZZ_CHECK(a.len == b.len && !memcmp(&a.ss, &b.ss, sizeof(a.ss)));
}

static void key(const char *s)
{
	struct mig_key k;
	size_t n = strlen(s), i;

	if (mig_parse_key(s, &k))
		return;
	FUZZ_CHECK(k.len >= DM_MIGRATE_MIN_KEY_LEN && k.len <= DM_MIGRATE_MAX_KEY_LEN);
	FUZZ_CHECK(n == 2 * k.len);
	for (i = 0; i < k.len; i++) {
		unsigned int byte;

		FUZZ_CHECK(isxdigit((unsigned char)s[2 * i]) &&
			   isxdigit((unsigned char)s[2 * i + 1]));
		FUZZ_CHECK(sscanf(s + 2 * i, "%2x", &byte) == 1 && byte == k.bytes[i]);
	}
}

static void size(const char *s)
{
	u64 v, ref;
	bool big, ok = ref_size(s, &ref, &big);

	if (mig_parse_size(s, &v)) {
		FUZZ_CHECK(!ok || big);
		return;
	}
	/* Accepted: it is a size, it fits, and it is the right one. */
	FUZZ_CHECK(ok && !big && v == ref);
}

static void limits(char *s)
{
	static const char * const names[] = {
		"rate", "throttle", "converge_below", "max_bytes", "max_rounds",
		"pause_after_bulk", "converge_ms", "auto_throttle", "encoding",
		"subchunk",
	};
	static const char * const encodings[] = DM_MIGRATE_ENCODE_NAMES;
	u64 want[ARRAY_SIZE(names)] = { 0 }, v;
	struct mig_limits lim = { 0 };
	unsigned int argc = 0, i, given = 0;
	char *argv[16], *p;

	for (p = strtok(s, " "); p && argc < ARRAY_SIZE(argv); p = strtok(NULL, " "))
		argv[argc++] = p;
	if (mig_parse_limits(argc, argv, &lim))
		return;
	/* Accepted: every word is a known name and a size; the last one counts. */
	for (i = 0; i < argc; i++) {
		char *eq = strchr(argv[i], '=');
		unsigned int j;

		FUZZ_CHECK(eq);
		for (j = 0; j < ARRAY_SIZE(names); j++)
			if (strlen(names[j]) == (size_t)(eq - argv[i]) &&
			    !strncmp(argv[i], names[j], eq - argv[i]))
				break;
		FUZZ_CHECK(j < ARRAY_SIZE(names));
		if (j == 8) {
			/* encoding=: one of the names, nothing else. */
			for (v = 0; v < ARRAY_SIZE(encodings); v++)
				if (!strcmp(eq + 1, encodings[v]))
					break;
			FUZZ_CHECK(v < ARRAY_SIZE(encodings));
			want[j] = v;
			given |= 1U << j;
			continue;
		}
		FUZZ_CHECK(!mig_parse_size(eq + 1, &v));
		FUZZ_CHECK(j != 4 || v <= 0xffffffffULL);	/* u32 */
		FUZZ_CHECK(j != 5 || v <= 1);			/* a flag */
		FUZZ_CHECK(j != 6 || v <= 0xffffffffULL);	/* u32 ms */
		FUZZ_CHECK(j != 7 || v <= 1);			/* a flag */
		FUZZ_CHECK(j != 9 || v <= 1);			/* a flag */
		want[j] = v;
		given |= 1U << j;
	}
	FUZZ_CHECK(lim.given == given);
	FUZZ_CHECK(lim.rate == want[0] && lim.throttle == want[1] &&
		   lim.converge_bytes == want[2] && lim.max_bytes == want[3] &&
		   lim.max_rounds == want[4] && lim.pause_after_bulk == want[5] &&
		   lim.converge_ms == want[6] && lim.auto_throttle == want[7] &&
		   lim.encoding == want[8] && lim.subchunk == want[9]);
}

static void chunk_size(const char *s)
{
	unsigned int shift;
	char *error = NULL;
	u64 v;

	if (mig_parse_chunk_size(s, &shift, &error)) {
		FUZZ_CHECK(error && *error);
		return;
	}
	FUZZ_CHECK(shift >= 3 && shift <= 14);
	FUZZ_CHECK(!kstrtoull(s, 10, &v) && v == 1ULL << shift);
}

static void chunk_range(const char *s, u64 nbits)
{
	u64 first, last;

	if (mig_parse_chunk_range(s, nbits, &first, &last))
		return;
	FUZZ_CHECK(first <= last && last < nbits);
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size_)
{
	struct fuzz_in in = { data, size_ };
	u8 which = fuzz_u8(&in) % 6;
	u64 nbits = which == 5 ? fuzz_u64(&in) : 0;
	char *s = malloc(in.left + 1);

	FUZZ_CHECK(s);
	memcpy(s, in.p, in.left);
	s[in.left] = '\0';
	switch (which) {
	case 0:
		addr(s);
		break;
	case 1:
		key(s);
		break;
	case 2:
		size(s);
		break;
	case 3:
		limits(s);
		break;
	case 4:
		chunk_size(s);
		break;
	default:
		chunk_range(s, nbits);
	}
	free(s);
	return 0;
}
