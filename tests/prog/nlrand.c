// SPDX-License-Identifier: GPL-2.0
/*
 * nlrand: randomized requests to the dm-migrate generic netlink family.
 *
 * For COUNT iterations (or -t seconds) per phase it sends requests built
 * from a seeded generator: every command of the family, unknown command
 * numbers, random netlink and genetlink headers and flags (NLM_F_DUMP on
 * and off, no ACK, lengths that lie), and attributes of known, status and
 * unknown types with lengths of 0, short, exact, long and huge, nested
 * blobs, duplicates, strings without their NUL, device numbers of migrate
 * devices, of other dm devices, of no dm device and out of range.  Every
 * answer is read with a timeout and checked (well-formed, an errno of
 * the right sign, status replies and events sane, never a key), and its
 * errno counted: the histogram is printed as TAP diagnostics.
 *
 * Phases (-p, comma-separated; each runs in a child process):
 *   nobody  uid/gid 65534, no capability: every request of a known
 *           command is refused with EPERM, nothing answers with data, the
 *           events group cannot be joined, and no device changes.
 *   nocap   root with CAP_NET_ADMIN but without CAP_SYS_ADMIN (a container
 *           root): the family's own check refuses everything, no device
 *           changes.
 *   root    everything: requests may start and stop pushes and receivers.
 *
 * Before the phases, an optional fixture (-R, -S, -U) starts engines with
 * well-formed requests, so that the random ones meet devices in several
 * modes: a receiver, a push paused in its bulk pass, a push that cannot
 * connect (on a device the caller may have suspended: random HANDOFFs then
 * decide a handoff).  After the root phase every migrate device must
 * answer a GET, and a writer's writes (-w) must all complete.
 *
 * No traffic may leave 198.18.0.0/15: the program refuses to run unless
 * no interface but the loopback device is up in its network namespace
 * (-N makes one), and every PEER it sends is an address in 198.18.0.0/15
 * (or its v4-mapped IPv6 form), a truncation of one, or a string that
 * cannot parse as an address (no digit in it).
 *
 * Usage: nlrand [options] -m DEV [-m DEV...] SEED COUNT
 *   DEV is MAJ:MIN or a device node (/dev/mapper/NAME).
 *   -m DEV  a migrate device (several may be given)
 *   -x DEV  a device-mapper device that is not a migrate device
 *   -N      run in a new network namespace: lo up, 198.18.255.1 and .2 on it
 *   -R DEV  fixture: DEV receives on 198.18.255.2:7788
 *   -S DEV  fixture: DEV pushes to it, paused in its bulk pass
 *   -U DEV  fixture: DEV pushes to 198.18.254.1:7788, where nothing routes
 *   -c CMD  a shell command (e.g. 'dmsetup status; dmsetup table') whose
 *           output the unprivileged phases must not change
 *   -w DEV  write to DEV during the root phase (4 KiB direct writes every
 *           20 ms at random places); afterwards the write throttle of every
 *           migrate device is set to 0 and every write must complete
 *   -p LIST phases to run (default nobody,nocap,root)
 *   -t S    stop each phase after S seconds even if COUNT was not reached
 *           (the iterations done are printed: SEED with that COUNT replays
 *           them); -T S for the root phase
 *   -v      print every request and its answer
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/capability.h>
#include <linux/genetlink.h>
#include <linux/keyctl.h>
#include <linux/netlink.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>

#include "kselftest.h"
#include <linux/dm-migrate.h>

#define MAX_DEVS	16
#define MSG_MAX		(96 * 1024)
#define RBUF		(512 * 1024)
#define NERR		136		/* errno buckets; the last: larger ones */
#define ANSWER_MS	10000		/* an expected answer not there: a hang */
#define STALL_S		60		/* a phase with no progress: a hang */
#define MAX_PRINTED	20		/* violations printed per phase */

enum phase { PH_NOBODY, PH_NOCAP, PH_ROOT, NPHASES };
static const char * const phase_names[NPHASES] = { "nobody", "nocap", "root" };

struct devnum {
	unsigned int major, minor;
};

static struct {
	unsigned long long seed;
	unsigned long count;
	double secs, secs_root;
	unsigned int phases;
	bool verbose;
	struct devnum mig[MAX_DEVS], other[MAX_DEVS];
	int nmig, nother;
	const char *wdev[MAX_DEVS];	/* written to during the root phase */
	int nwdev;
	bool netns;			/* -N: a network namespace of our own */
	const char *state_cmd;		/* -c: output must not change unprivileged */
	struct devnum fix[3];		/* -R, -S, -U */
	bool fix_rcv, fix_src, fix_sus;
} opt;

static int family, events_grp;

/* What a phase saw; in shared memory, written by the phase's child. */
struct stats {
	unsigned long iters;		/* requests built */
	unsigned long sent;		/* send() accepted */
	unsigned long send_err[NERR];	/* send() refused, by errno */
	unsigned long err[NERR];	/* final answers, by errno; [0]: ok */
	unsigned long cmd_ok[256];	/* ok or data answers, by command */
	unsigned long desc_ok;		/* of those, with a key from the keyring */
	unsigned long silent;		/* no answer, none expected */
	unsigned long data;		/* GET replies and dump messages */
	unsigned long dumps;		/* dumps that ended with DONE */
	unsigned long events;		/* multicast events read */
	unsigned long stale;		/* answers to an earlier request */
	unsigned long joined;		/* sockets in the events group */
	unsigned long violations;
	unsigned long writes;		/* writer: writes that completed */
	unsigned long write_err[NERR];	/* writer: failed writes, by errno */
	bool stop_writer;
	bool writer_done;		/* ended after the phase, in time */
	double writer_wait;		/* seconds it took to end */
	double elapsed;
	bool finished;
};

static struct stats *st;

/* ------------------------------------------------------------------ */
/* The generator: xorshift64*, seeded per phase.                      */

static uint64_t rs;

static void rnd_seed(unsigned long long seed, unsigned int phase)
{
	uint64_t z = seed + 0x9e3779b97f4a7c15ULL * (phase + 1);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	rs = (z ^ (z >> 31)) | 1;
}

static uint64_t rnd(void)
{
	rs ^= rs >> 12;
	rs ^= rs << 25;
	rs ^= rs >> 27;
	return rs * 2685821657736338717ULL;
}

static unsigned int rn(unsigned int n)
{
	return n ? (unsigned int)(rnd() % n) : 0;
}

static bool chance(unsigned int pct)
{
	return rn(100) < pct;
}

static void rnd_fill(void *p, size_t len)
{
	unsigned char *b = p;

	while (len--)
		*b++ = (unsigned char)rnd();
}

/* ------------------------------------------------------------------ */
/* Messages.                                                          */

struct msg {
	unsigned char buf[MSG_MAX];
	size_t len;		/* bytes built */
	size_t claimed;		/* nlmsg_len to write */
	size_t sent;		/* bytes to send */
	char desc[512];		/* for -v and violations */
	size_t dlen;
};

static void describe(struct msg *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void describe(struct msg *m, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (m->dlen >= sizeof(m->desc) - 1)
		return;
	va_start(ap, fmt);
	n = vsnprintf(m->desc + m->dlen, sizeof(m->desc) - m->dlen, fmt, ap);
	va_end(ap);
	if (n > 0)
		m->dlen += (size_t)n;
	if (m->dlen > sizeof(m->desc) - 1)
		m->dlen = sizeof(m->desc) - 1;
}

/*
 * Nothing a PEER attribute carries may parse as an address outside
 * 198.18.0.0/15: a port needs a digit, so random bytes lose theirs.
 */
static void no_digits(unsigned char *p, size_t len)
{
	for (; len; len--, p++)
		if (*p >= '0' && *p <= '9')
			*p = 'x';
}

/* Start an attribute of @len payload bytes; NULL when it does not fit. */
static unsigned char *attr_start(struct msg *m, uint16_t type, size_t len)
{
	struct nlattr *a = (struct nlattr *)(m->buf + m->len);

	if (len > 0xffff - NLA_HDRLEN || m->len + NLA_HDRLEN + NLA_ALIGN(len) > MSG_MAX)
		return NULL;
	a->nla_type = type;
	a->nla_len = (uint16_t)(NLA_HDRLEN + len);
	memset(m->buf + m->len + NLA_HDRLEN, 0, NLA_ALIGN(len));
	m->len += NLA_HDRLEN + NLA_ALIGN(len);
	return (unsigned char *)a + NLA_HDRLEN;
}

static void put_raw(struct msg *m, uint16_t type, const void *data, size_t len)
{
	unsigned char *p = attr_start(m, type, len);

	if (!p)
		return;
	memcpy(p, data, len);
	if ((type & NLA_TYPE_MASK) == DM_MIGRATE_A_PEER)
		no_digits(p, len);
}

/* A PEER from the safe generator keeps its digits. */
static void put_safe_str(struct msg *m, uint16_t type, const char *s, size_t len)
{
	unsigned char *p = attr_start(m, type, len);

	if (p)
		memcpy(p, s, len);
}

static void put_rand(struct msg *m, uint16_t type, size_t len)
{
	unsigned char *p = attr_start(m, type, len);

	if (!p)
		return;
	rnd_fill(p, len);
	if ((type & NLA_TYPE_MASK) == DM_MIGRATE_A_PEER)
		no_digits(p, len);
}

static void put_u32(struct msg *m, uint16_t type, uint32_t v)
{
	put_raw(m, type, &v, sizeof(v));
}

static void put_u64(struct msg *m, uint16_t type, uint64_t v)
{
	put_raw(m, type, &v, sizeof(v));
}

/* 0, short, exact, long or huge. */
static size_t rand_len(size_t natural)
{
	switch (rn(6)) {
	case 0:
		return 0;
	case 1:
		return natural > 1 ? 1 + rn((unsigned int)natural - 1) : 0;
	case 2:
		return natural;
	case 3:
		return natural + 1 + rn(16);
	case 4:
		return 256 + rn(4096);
	default:
		return 16384 + rn(40000);
	}
}

static uint64_t interesting64(void)
{
	static const uint64_t v[] = {
		0, 1, 2, 511, 512, 4096, 65536, 1ULL << 20, 64ULL << 20,
		1ULL << 30, 1ULL << 40, 1ULL << 62, 1ULL << 63, ~0ULL, ~0ULL - 1,
	};

	return chance(80) ? v[rn(ARRAY_SIZE(v))] : rnd();
}

static uint32_t interesting32(void)
{
	static const uint32_t v[] = {
		0, 1, 2, 3, 8, 30, 31, 255, 256, 4095, 4096, 65535, 0xfffff,
		0x100000, 0x7fffffff, 0x80000000, 0xffffffff,
	};

	return chance(80) ? v[rn(ARRAY_SIZE(v))] : (uint32_t)rnd();
}

/*
 * A peer address that is in 198.18.0.0/15 if it parses at all: valid ones
 * (mostly the two the test put on the namespace's loopback, and the ports
 * its receivers use), malformed ones, and truncations of either.
 */
static size_t gen_addr(char *s, size_t n)
{
	static const unsigned int ports[] = { 7788, 7789, 7790 };
	unsigned int port = chance(70) ? ports[rn(3)] : 1 + rn(65535);
	unsigned int b = 18, c = 255, d = 1 + rn(2);
	size_t len, i;

	if (chance(40)) {
		b = 18 + rn(2);
		c = rn(256);
		d = rn(256);
	}
	switch (rn(16)) {
	case 0: case 1: case 2: case 3: case 4: case 5:
		snprintf(s, n, "198.%u.%u.%u:%u", b, c, d, port);
		break;
	case 6: case 7:
		snprintf(s, n, "[::ffff:198.%u.%u.%u]:%u", b, c, d, port);
		break;
	case 8:
		snprintf(s, n, "198.%u.%u.%u:%s", b, c, d,
			 (const char *[]){ "", "0", "-1", "65536", "99999", "7788x",
					   " 7788", "0x1e6c", "7788\n" }[rn(9)]);
		break;
	case 9:
		snprintf(s, n, "198.%u.%u.%u", b, c, d);
		break;
	case 10:
		snprintf(s, n, rn(2) ? "198.%u.%u.256:%u" : "198.%u.%u:%u", b, c, port);
		break;
	case 11:
		snprintf(s, n, rn(2) ? "[::ffff:198.%u.%u.%u:%u" : "[::ffff:198.%u.%u.%u]%u",
			 b, c, d, port);
		break;
	case 12:
		s[0] = '\0';
		break;
	case 13:
		snprintf(s, n, "[%s]:", rn(2) ? "" : "::ffff:198.18.255.1");
		break;
	default:
		/* Letters and punctuation only: never an address. */
		len = 1 + rn(rn(4) ? 40 : (unsigned int)n - 1);
		for (i = 0; i < len && i < n - 1; i++)
			s[i] = "abcdefghijklmnopqrstuvwxyz:[].-_ "[rn(34)];
		s[i] = '\0';
	}
	len = strlen(s);
	if (len && chance(15))
		s[rn((unsigned int)len)] = '\0';	/* stays in range or fails */
	return strlen(s);
}

static size_t gen_desc(char *s, size_t n)
{
	static const char * const d[] = {
		"user:nlrand", "user:nlrand", "user:nlrand", "user:nlrand-short",
		"user:nlrand-long", "user:nlrand-revoked", "logon:nlrand:key",
		"logon:nlrand:none", "user:", "logon:", "", "nlrand",
		"user:nlrand\n", "USER:nlrand", "logon:nlrand", "user:missing",
	};
	size_t len, i;

	if (chance(85)) {
		snprintf(s, n, "%s", d[rn(ARRAY_SIZE(d))]);
	} else {
		snprintf(s, n, "%s", rn(2) ? "user:" : "logon:");
		len = strlen(s) + rn(rn(3) ? 40 : 300);
		for (i = strlen(s); i < len && i < n - 1; i++)
			s[i] = (char)(0x21 + rn(0x5e));
		s[i] = '\0';
	}
	return strlen(s);
}

static size_t gen_name(char *s, size_t n)
{
	static const char * const d[] = {
		"mt_trk", "mt_src", "mt_rcv", "mt_sus", "mt_lin", "mt_none", "", "-",
	};
	size_t len, i;

	if (chance(80)) {
		snprintf(s, n, "%s", d[rn(ARRAY_SIZE(d))]);
	} else {
		len = rn(300);
		for (i = 0; i < len && i < n - 1; i++)
			s[i] = (char)(1 + rn(255));
		s[i] = '\0';
	}
	return strlen(s);
}

/* The key the keyring holds as user:nlrand and logon:nlrand:key. */
static const unsigned char nlrand_key[32] = "dm-migrate nlrand test key 0123";

enum kind { K_U8, K_U32, K_U64, K_FLAG, K_STR, K_NEST_U64, K_BIN };

/* @len bytes at @p: attributes of types 1 to @max, each a u64. */
static bool nest_u64_ok(const unsigned char *p, int len, unsigned int max)
{
	struct nlattr a;

	while (len >= (int)sizeof(a)) {
		memcpy(&a, p, sizeof(a));
		if (a.nla_len != sizeof(a) + 8 || !a.nla_type || a.nla_type > max)
			return false;
		p += NLA_ALIGN(a.nla_len);
		len -= NLA_ALIGN(a.nla_len);
	}
	return !len;
}

static enum kind kind_of(unsigned int type)
{
	switch (type) {
	case DM_MIGRATE_A_ROLE: case DM_MIGRATE_A_PHASE: case DM_MIGRATE_A_CONN_STATE:
	case DM_MIGRATE_A_EVENT: case DM_MIGRATE_A_PAUSE_AFTER_BULK:
	case DM_MIGRATE_A_CONVERGE_REASON: case DM_MIGRATE_A_PREDICT_REASON:
	case DM_MIGRATE_A_AUTO_THROTTLE: case DM_MIGRATE_A_ENCODING:
	case DM_MIGRATE_A_ENCODING_USED: case DM_MIGRATE_A_SUBCHUNK:
	case DM_MIGRATE_A_PEER_PIECE:
		return K_U8;
	case DM_MIGRATE_A_DEV_MAJOR: case DM_MIGRATE_A_DEV_MINOR: case DM_MIGRATE_A_MAX_ROUNDS:
	case DM_MIGRATE_A_ROUND: case DM_MIGRATE_A_CHUNK_BYTES: case DM_MIGRATE_A_WIRE_PERMILLE:
	case DM_MIGRATE_A_CONNECTIONS: case DM_MIGRATE_A_PROTOCOL_ERRORS:
	case DM_MIGRATE_A_ERROR_CODE: case DM_MIGRATE_A_WINDOW_PEAK:
	case DM_MIGRATE_A_ACK_TIMEOUTS: case DM_MIGRATE_A_CONVERGE_MS:
	case DM_MIGRATE_A_PREDICT_ROUNDS: case DM_MIGRATE_A_PEER_ENCODINGS:
		return K_U32;
	case DM_MIGRATE_A_RATE_LIMIT: case DM_MIGRATE_A_WRITE_THROTTLE:
	case DM_MIGRATE_A_CONVERGE_BELOW: case DM_MIGRATE_A_MAX_BYTES:
	case DM_MIGRATE_A_CHUNKS_TOTAL: case DM_MIGRATE_A_CHUNKS_DIRTY:
	case DM_MIGRATE_A_BYTES_READ: case DM_MIGRATE_A_BYTES_WIRE:
	case DM_MIGRATE_A_CHUNKS_SENT: case DM_MIGRATE_A_ZERO_CHUNKS: case DM_MIGRATE_A_WRITES:
	case DM_MIGRATE_A_NET_RATE: case DM_MIGRATE_A_SEND_RATE: case DM_MIGRATE_A_DIRTY_RATE:
	case DM_MIGRATE_A_ETA_MS: case DM_MIGRATE_A_PREDICT_WIRE: case DM_MIGRATE_A_PREDICT_FINAL:
	case DM_MIGRATE_A_HANDOFF_US: case DM_MIGRATE_A_HANDOFF_SUSPEND_US:
	case DM_MIGRATE_A_HANDOFF_DRAIN_US: case DM_MIGRATE_A_HANDOFF_CONFIRM_US:
	case DM_MIGRATE_A_HANDOFF_FLUSH_US: case DM_MIGRATE_A_PIECES:
		return K_U64;
	case DM_MIGRATE_A_PAUSED: case DM_MIGRATE_A_FORCE:
		return K_FLAG;
	case DM_MIGRATE_A_DEV_NAME: case DM_MIGRATE_A_PEER: case DM_MIGRATE_A_KEY_DESC:
	case DM_MIGRATE_A_LAST_ERROR: case DM_MIGRATE_A_SOURCE_ADDR:
	case DM_MIGRATE_A_ENCODING_WHY:
		return K_STR;
	case DM_MIGRATE_A_ENC_CHUNKS:
		return K_NEST_U64;
	default:
		return K_BIN;	/* KEY, PAD, UNSPEC and unknown types */
	}
}

static size_t natural_len(unsigned int type)
{
	switch (kind_of(type)) {
	case K_U8: return 1;
	case K_U32: return 4;
	case K_U64: return 8;
	case K_FLAG: return 0;
	case K_STR: return 16;
	default: return type == DM_MIGRATE_A_KEY ? 32 : 8;
	}
}

/* The text a string attribute of @type carries when well-formed. */
static size_t gen_str(unsigned int type, char *s, size_t n)
{
	if (type == DM_MIGRATE_A_PEER)
		return gen_addr(s, n);
	if (type == DM_MIGRATE_A_KEY_DESC)
		return gen_desc(s, n);
	return gen_name(s, n);
}

/* A well-formed (by type) or malformed attribute of @type (flags too). */
static void put_typed(struct msg *m, uint16_t type, bool good)
{
	unsigned int t = type & NLA_TYPE_MASK;
	char s[512];
	size_t len, slen;
	unsigned char key[DM_MIGRATE_MAX_KEY_LEN];

	if (good) {
		switch (kind_of(t)) {
		case K_U8:
			put_raw(m, type, (uint8_t[]){ (uint8_t)rn(12) }, 1);
			return;
		case K_U32:
			put_u32(m, type, interesting32());
			return;
		case K_U64:
			put_u64(m, type, interesting64());
			return;
		case K_FLAG:
			attr_start(m, type, 0);
			return;
		case K_STR:
			slen = gen_str(t, s, sizeof(s));
			if (t == DM_MIGRATE_A_PEER)
				put_safe_str(m, type, s, slen + 1);
			else
				put_raw(m, type, s, slen + 1);
			return;
		default:
			if (t == DM_MIGRATE_A_KEY && chance(35)) {
				put_raw(m, type, nlrand_key, sizeof(nlrand_key));
			} else {
				len = t == DM_MIGRATE_A_KEY ? DM_MIGRATE_MIN_KEY_LEN +
				      rn(DM_MIGRATE_MAX_KEY_LEN - DM_MIGRATE_MIN_KEY_LEN + 1) :
				      rn(64);
				rnd_fill(key, sizeof(key));
				put_raw(m, type, key, len);
			}
			return;
		}
	}
	/* Malformed: a string without its NUL or with bytes after it, or junk. */
	if (kind_of(t) == K_STR && chance(50)) {
		slen = gen_str(t, s, sizeof(s));
		if (rn(2) && slen) {
			describe(m, "(unterminated)");
			if (t == DM_MIGRATE_A_PEER)
				put_safe_str(m, type, s, slen);
			else
				put_raw(m, type, s, slen);
		} else {
			/* The string, its NUL, then junk: parsing stops at the NUL. */
			unsigned char *p;

			len = slen + 1 + 1 + rn(rn(4) ? 64 : 4000);
			p = attr_start(m, type, len);
			if (!p)
				return;
			rnd_fill(p, len);
			if (t == DM_MIGRATE_A_PEER)
				no_digits(p, len);
			memcpy(p, s, slen + 1);
			describe(m, "(trailing junk)");
		}
		return;
	}
	len = rand_len(natural_len(t));
	describe(m, "(len %zu)", len);
	put_rand(m, type, len);
}

/* An attribute type: known request, status, unknown, with flags at times. */
static uint16_t rand_type(void)
{
	uint16_t t;

	switch (rn(8)) {
	case 0:
		t = (uint16_t)rn(DM_MIGRATE_A_MAX + 1);
		break;
	case 1:
		t = (uint16_t)(DM_MIGRATE_A_MAX + 1 + rn(32));
		break;
	case 2:
		t = (uint16_t)rn(NLA_TYPE_MASK + 1);
		break;
	case 3:
		t = (uint16_t)(DM_MIGRATE_A_ROLE + rn(DM_MIGRATE_A_ERROR_CODE - DM_MIGRATE_A_ROLE + 1));
		break;
	default:
		t = (uint16_t)(DM_MIGRATE_A_DEV_MAJOR + rn(DM_MIGRATE_A_MAX_BYTES -
							  DM_MIGRATE_A_DEV_MAJOR + 1));
	}
	if (chance(4))
		t |= NLA_F_NESTED;
	if (chance(3))
		t |= NLA_F_NET_BYTEORDER;
	return t;
}

static void put_nested(struct msg *m, int depth)
{
	size_t start = m->len;
	unsigned int i, n = rn(4);
	uint16_t type = rand_type();
	struct nlattr *a;

	/* A nest's bytes are headers: never let them pose as a PEER. */
	if ((type & NLA_TYPE_MASK) == DM_MIGRATE_A_PEER)
		type++;
	if (!attr_start(m, (uint16_t)(type | NLA_F_NESTED), 0))
		return;
	describe(m, " nest{");
	for (i = 0; i < n; i++) {
		if (depth < 3 && chance(25))
			put_nested(m, depth + 1);
		else
			put_typed(m, rand_type(), chance(60));
	}
	describe(m, "}");
	a = (struct nlattr *)(m->buf + start);
	if (m->len - start > 0xffff) {
		m->len = start;		/* too big for one attribute: drop it */
		return;
	}
	a->nla_len = (uint16_t)(m->len - start);
}

static void pick_dev(struct devnum *d)
{
	unsigned int dm_major = opt.nmig ? opt.mig[0].major : 253;
	unsigned int r = rn(100);

	if (r < 55 && opt.nmig) {
		*d = opt.mig[rn((unsigned int)opt.nmig)];
	} else if (r < 65 && opt.nother) {
		*d = opt.other[rn((unsigned int)opt.nother)];
	} else if (r < 75) {
		static const struct devnum nodm[] = { { 1, 3 }, { 7, 0 }, { 0, 0 }, { 1, 5 } };

		*d = nodm[rn(ARRAY_SIZE(nodm))];
	} else if (r < 85) {
		d->major = dm_major;		/* a dm number nobody created */
		d->minor = 200 + rn(1000);
	} else if (r < 90) {
		d->major = 4095;
		d->minor = 0xfffff;
	} else {
		d->major = rn(2) ? (uint32_t)rnd() : 4096 + rn(100);
		d->minor = rn(2) ? (uint32_t)rnd() : 0x100000 + rn(100);
	}
}

static void put_dev(struct msg *m)
{
	struct devnum d, e;

	pick_dev(&d);
	describe(m, " dev %u:%u", d.major, d.minor);
	switch (rn(20)) {
	case 0:
		describe(m, "(major only)");
		put_u32(m, DM_MIGRATE_A_DEV_MAJOR, d.major);
		return;
	case 1:
		describe(m, "(minor only)");
		put_u32(m, DM_MIGRATE_A_DEV_MINOR, d.minor);
		return;
	case 2:
		pick_dev(&e);
		describe(m, "(then %u:%u)", e.major, e.minor);
		put_u32(m, DM_MIGRATE_A_DEV_MAJOR, d.major);
		put_u32(m, DM_MIGRATE_A_DEV_MINOR, d.minor);
		put_u32(m, DM_MIGRATE_A_DEV_MAJOR, e.major);
		put_u32(m, DM_MIGRATE_A_DEV_MINOR, e.minor);
		return;
	case 3:
		describe(m, "(bad major)");
		put_typed(m, DM_MIGRATE_A_DEV_MAJOR, false);
		put_u32(m, DM_MIGRATE_A_DEV_MINOR, d.minor);
		return;
	case 4:
		describe(m, "(bad minor)");
		put_u32(m, DM_MIGRATE_A_DEV_MAJOR, d.major);
		put_typed(m, DM_MIGRATE_A_DEV_MINOR, false);
		return;
	case 5:
		describe(m, "(+name)");
		put_typed(m, DM_MIGRATE_A_DEV_NAME, chance(50));
		/* fall through */
	default:
		put_u32(m, DM_MIGRATE_A_DEV_MAJOR, d.major);
		put_u32(m, DM_MIGRATE_A_DEV_MINOR, d.minor);
	}
}

static const uint16_t limit_attrs[] = {
	DM_MIGRATE_A_RATE_LIMIT, DM_MIGRATE_A_WRITE_THROTTLE, DM_MIGRATE_A_CONVERGE_BELOW,
	DM_MIGRATE_A_MAX_ROUNDS, DM_MIGRATE_A_MAX_BYTES, DM_MIGRATE_A_CONVERGE_MS,
	DM_MIGRATE_A_AUTO_THROTTLE, DM_MIGRATE_A_SUBCHUNK,
};

static const char * const cmd_names[] = {
	[DM_MIGRATE_CMD_UNSPEC] = "UNSPEC", [DM_MIGRATE_CMD_GET] = "GET",
	[DM_MIGRATE_CMD_PUSH] = "PUSH", [DM_MIGRATE_CMD_RECEIVE] = "RECEIVE",
	[DM_MIGRATE_CMD_SET_LIMITS] = "SET_LIMITS", [DM_MIGRATE_CMD_PAUSE] = "PAUSE",
	[DM_MIGRATE_CMD_RESUME] = "RESUME", [DM_MIGRATE_CMD_MIRROR] = "MIRROR",
	[DM_MIGRATE_CMD_HANDOFF] = "HANDOFF", [DM_MIGRATE_CMD_ABORT] = "ABORT",
	[DM_MIGRATE_CMD_EVENT] = "EVENT",
};

/* What the request is, for the checks of its answer. */
struct shape {
	unsigned int cmd;
	bool ours;		/* our family's type, a request, a full header */
	bool dump;		/* NLM_F_DUMP */
	bool ack;
	bool hdr_bad;		/* reserved bits or flags genetlink refuses */
	bool desc;		/* carries a KEY_DESC */
	bool delivered;		/* netlink will parse it (lengths agree) */
	bool expect;		/* an answer must come */
};

static void build(struct msg *m, struct shape *sh, uint32_t seq)
{
	struct nlmsghdr *n = (struct nlmsghdr *)m->buf;
	struct genlmsghdr *g = (struct genlmsghdr *)(m->buf + NLMSG_HDRLEN);
	unsigned int cmd, r, i, extra;
	uint16_t type = (uint16_t)family, flags;
	size_t hdr = NLMSG_HDRLEN + GENL_HDRLEN;

	memset(m->buf, 0, NLMSG_HDRLEN + GENL_HDRLEN);
	memset(sh, 0, sizeof(*sh));
	m->len = hdr;
	m->dlen = 0;
	m->desc[0] = '\0';

	r = rn(100);
	if (r < 80)
		cmd = DM_MIGRATE_CMD_GET + rn(DM_MIGRATE_CMD_ABORT);
	else if (r < 88)
		cmd = rn(2) ? DM_MIGRATE_CMD_EVENT : DM_MIGRATE_CMD_UNSPEC;
	else
		cmd = DM_MIGRATE_CMD_MAX + 1 + rn(256 - DM_MIGRATE_CMD_MAX - 1);
	describe(m, "%s(%u)", cmd < ARRAY_SIZE(cmd_names) ? cmd_names[cmd] : "cmd", cmd);

	flags = NLM_F_REQUEST;
	if (chance(3))
		flags = 0;
	if (chance(80))
		flags |= NLM_F_ACK;
	if (chance(cmd == DM_MIGRATE_CMD_GET ? 35 : 6))
		flags |= NLM_F_DUMP;
	else if (chance(4))
		flags |= rn(2) ? NLM_F_ROOT : NLM_F_MATCH;
	if (chance(4))
		flags |= NLM_F_ECHO;
	if (chance(3))
		flags |= (uint16_t)(0x100 << rn(8));
	r = rn(100);
	if (r < 2)
		type = (uint16_t)rn(NLMSG_MIN_TYPE);		/* control messages */
	else if (r < 4)
		type = (uint16_t)(GENL_MAX_ID + 1 + rn(0xffff - GENL_MAX_ID)); /* no family */
	describe(m, " flags %#x", flags);
	if (type != family)
		describe(m, " type %u", type);

	g->cmd = (uint8_t)cmd;
	g->version = chance(92) ? DM_MIGRATE_GENL_VERSION : (uint8_t)rnd();
	g->reserved = chance(95) ? 0 : (uint16_t)rnd();
	if (g->version != DM_MIGRATE_GENL_VERSION)
		describe(m, " version %u", g->version);
	if (g->reserved)
		describe(m, " reserved %#x", g->reserved);

	if (chance(5)) {
		/* Soup: nothing but random attributes. */
		describe(m, " soup:");
		for (i = 1 + rn(20); i; i--) {
			uint16_t t = rand_type();

			describe(m, " %u", t);
			if (chance(10))
				put_nested(m, 0);
			else
				put_typed(m, t, chance(50));
		}
	} else {
		if (chance(92))
			put_dev(m);
		switch (cmd) {
		case DM_MIGRATE_CMD_PUSH:
		case DM_MIGRATE_CMD_RECEIVE:
			if (chance(92)) {
				bool good = chance(88);

				describe(m, " peer%s", good ? "" : "!");
				put_typed(m, DM_MIGRATE_A_PEER, good);
			}
			r = rn(100);
			if (r < 50 || r >= 93) {
				bool good = chance(88);

				describe(m, " key%s", good ? "" : "!");
				put_typed(m, DM_MIGRATE_A_KEY, good);
			}
			if (r >= 50 && r < 100 - 8) {
				bool good = chance(90);

				describe(m, " desc%s", good ? "" : "!");
				put_typed(m, DM_MIGRATE_A_KEY_DESC, good);
				sh->desc = true;
			}
			for (i = 0; i < ARRAY_SIZE(limit_attrs); i++)
				if (chance(cmd == DM_MIGRATE_CMD_PUSH ? 20 : 4)) {
					describe(m, " lim%u", limit_attrs[i]);
					put_typed(m, limit_attrs[i], chance(92));
				}
			break;
		case DM_MIGRATE_CMD_SET_LIMITS:
			for (i = 0; i < ARRAY_SIZE(limit_attrs); i++)
				if (chance(40)) {
					describe(m, " lim%u", limit_attrs[i]);
					put_typed(m, limit_attrs[i], chance(92));
				}
			break;
		case DM_MIGRATE_CMD_ABORT:
			if (chance(40)) {
				bool good = chance(90);

				describe(m, " force%s", good ? "" : "!");
				put_typed(m, DM_MIGRATE_A_FORCE, good);
			}
			break;
		default:
			break;
		}
		if (chance(25)) {
			describe(m, " +");
			for (extra = 1 + rn(4); extra; extra--) {
				uint16_t t = rand_type();

				if (chance(15)) {
					put_nested(m, 0);
				} else {
					describe(m, " %u", t);
					put_typed(m, t, chance(50));
				}
			}
		}
	}

	m->claimed = m->len;
	m->sent = m->len;
	r = rn(100);
	if (r < 2) {
		/* A genetlink header cut short. */
		m->sent = NLMSG_HDRLEN + rn(GENL_HDRLEN);
		m->claimed = m->sent;
		describe(m, " (header cut: %zu)", m->sent);
	} else if (r < 4) {
		/* Longer than sent: netlink drops it unanswered. */
		m->claimed = m->len + 1 + rn(256);
		describe(m, " (claims %zu)", m->claimed);
	} else if (r < 6 && m->len > hdr) {
		/* Shorter than sent, by less than a header: the rest is ignored. */
		m->claimed = m->len - 1 - rn((unsigned int)(m->len - hdr < 15 ? m->len - hdr : 15));
		describe(m, " (claims %zu)", m->claimed);
	} else if (r < 7) {
		m->claimed = rn(NLMSG_HDRLEN);
		describe(m, " (claims %zu)", m->claimed);
	}

	n->nlmsg_len = (uint32_t)m->claimed;
	n->nlmsg_type = type;
	n->nlmsg_flags = flags;
	n->nlmsg_seq = seq;
	n->nlmsg_pid = 0;

	sh->cmd = cmd;
	sh->dump = (flags & NLM_F_DUMP) == NLM_F_DUMP;
	sh->ack = flags & NLM_F_ACK;
	/* genetlink checks these before the permission (genl_header_check). */
	sh->hdr_bad = g->reserved ||
		      ((sh->dump ? flags & ~NLM_F_DUMP : flags) &
		       ~(NLM_F_REQUEST | NLM_F_ACK | NLM_F_ECHO));
	sh->delivered = m->claimed >= NLMSG_HDRLEN && m->claimed <= m->sent;
	sh->ours = sh->delivered && type == family && (flags & NLM_F_REQUEST) &&
		   m->claimed >= hdr;
	/*
	 * Netlink answers every error, and acknowledges success when asked;
	 * a dump of a family type ends with DONE or an error.
	 */
	sh->expect = sh->delivered &&
		     (sh->ack || (sh->dump && (flags & NLM_F_REQUEST) &&
				  type >= NLMSG_MIN_TYPE));
}

/* ------------------------------------------------------------------ */
/* Answers.                                                           */

struct answer {
	bool final;		/* an ERROR or DONE for this request */
	int err;		/* its errno (positive), 0: ok */
	unsigned int data;	/* GET replies / dump messages */
	char extack[256];
};

static unsigned long printed;

static void violation(unsigned long iter, const struct msg *m, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void violation(unsigned long iter, const struct msg *m, const char *fmt, ...)
{
	va_list ap;
	char why[512];

	st->violations++;
	if (printed++ >= MAX_PRINTED)
		return;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	printf("# VIOLATION at iteration %lu: %s\n#   request: %s\n", iter, why,
	       m ? m->desc : "-");
	fflush(stdout);
}

/* Attributes of a reply or event: well-formed, sane, never a key. */
static const char *check_attrs(const struct nlattr *a, int rem, bool event)
{
	bool name = false, phase = false, major = false, minor = false, total = false;
	uint64_t dirty = 0, chunks = 0;
	bool have_dirty = false;

	for (; rem >= NLA_HDRLEN; rem -= NLA_ALIGN(a->nla_len),
	     a = (const struct nlattr *)((const char *)a + NLA_ALIGN(a->nla_len))) {
		unsigned int t = a->nla_type & NLA_TYPE_MASK;
		int len = a->nla_len - NLA_HDRLEN;
		const unsigned char *p = (const unsigned char *)a + NLA_HDRLEN;

		if (a->nla_len < NLA_HDRLEN || a->nla_len > rem)
			return "attribute length out of the message";
		/* nla_nest_start() marks a nest NLA_F_NESTED: only a nest. */
		if ((a->nla_type & ~NLA_TYPE_MASK) &&
		    ((a->nla_type & ~NLA_TYPE_MASK) != NLA_F_NESTED ||
		     kind_of(t) != K_NEST_U64))
			return "attribute with flags";
		if (t == DM_MIGRATE_A_KEY || t == DM_MIGRATE_A_KEY_DESC)
			return "a key in a reply";
		if (t == DM_MIGRATE_A_PAD)
			continue;
		if (t > DM_MIGRATE_A_MAX || t == DM_MIGRATE_A_UNSPEC)
			return "unknown attribute type in a reply";
		switch (kind_of(t)) {
		case K_U8:
			if (len != 1)
				return "u8 attribute of the wrong length";
			if ((t == DM_MIGRATE_A_PHASE && p[0] >= __DM_MIGRATE_MODE_MAX) ||
			    (t == DM_MIGRATE_A_ROLE && p[0] > DM_MIGRATE_ROLE_DEST) ||
			    (t == DM_MIGRATE_A_CONN_STATE && p[0] > DM_MIGRATE_CONN_CLOSED) ||
			    (t == DM_MIGRATE_A_EVENT &&
			     (!p[0] || p[0] >= __DM_MIGRATE_EV_MAX)) ||
			    ((t == DM_MIGRATE_A_CONVERGE_REASON ||
			      t == DM_MIGRATE_A_PREDICT_REASON) && p[0] >= __DM_MIGRATE_CONV_MAX) ||
			    ((t == DM_MIGRATE_A_AUTO_THROTTLE || t == DM_MIGRATE_A_SUBCHUNK ||
			      t == DM_MIGRATE_A_PEER_PIECE) && p[0] > 1) ||
			    (t == DM_MIGRATE_A_ENCODING && p[0] >= __DM_MIGRATE_ENCODE_MAX) ||
			    (t == DM_MIGRATE_A_ENCODING_USED && p[0] >= __DM_MIGRATE_ENC_MAX))
				return "enum attribute out of range";
			break;
		case K_U32:
			if (len != 4)
				return "u32 attribute of the wrong length";
			break;
		case K_U64:
			if (len != 8)
				return "u64 attribute of the wrong length";
			if (t == DM_MIGRATE_A_CHUNKS_DIRTY) {
				memcpy(&dirty, p, 8);
				have_dirty = true;
			}
			if (t == DM_MIGRATE_A_CHUNKS_TOTAL)
				memcpy(&chunks, p, 8);
			break;
		case K_FLAG:
			if (len)
				return "flag attribute with a payload";
			break;
		case K_NEST_U64:
			if (!nest_u64_ok(p, len, __DM_MIGRATE_ENC_MAX))
				return "nested attribute not a list of u64 by encoding";
			break;
		case K_STR:
			if (len < 1 || memchr(p, '\0', (size_t)len) != p + len - 1)
				return "string attribute not NUL-terminated (or with a NUL inside)";
			break;
		default:
			return "binary attribute in a reply";
		}
		name |= t == DM_MIGRATE_A_DEV_NAME;
		phase |= t == DM_MIGRATE_A_PHASE;
		major |= t == DM_MIGRATE_A_DEV_MAJOR;
		minor |= t == DM_MIGRATE_A_DEV_MINOR;
		total |= t == DM_MIGRATE_A_CHUNKS_TOTAL;
	}
	if (rem)
		return "trailing bytes after the attributes";
	if (!name || !phase || !major || !minor)
		return "name, number or phase missing";
	if (!event && (!total || !have_dirty))
		return "chunk counts missing from a status reply";
	if (!event && dirty > chunks)
		return "more dirty chunks than chunks";
	return NULL;
}

/* Extended-ack TLVs after an nlmsgerr (or a DONE's errno). */
static const char *check_tlvs(const struct nlattr *a, int rem, char *msg, size_t msglen)
{
	for (; rem >= NLA_HDRLEN; rem -= NLA_ALIGN(a->nla_len),
	     a = (const struct nlattr *)((const char *)a + NLA_ALIGN(a->nla_len))) {
		int len = a->nla_len - NLA_HDRLEN;
		const char *p = (const char *)a + NLA_HDRLEN;

		if (a->nla_len < NLA_HDRLEN || a->nla_len > rem)
			return "extended-ack attribute out of the message";
		if ((a->nla_type & NLA_TYPE_MASK) == NLMSGERR_ATTR_MSG) {
			if (len < 1 || !memchr(p, '\0', (size_t)len))
				return "extended-ack message not NUL-terminated";
			snprintf(msg, msglen, "%s", p);
		}
	}
	return NULL;
}

static unsigned char *rbuf;

/* Handle the messages of one datagram; false when it is malformed. */
static bool parse_datagram(unsigned long iter, const struct msg *m, const struct shape *sh,
			   uint32_t seq, ssize_t got, struct answer *ans)
{
	struct nlmsghdr *h = (struct nlmsghdr *)rbuf;
	int len = (int)got;
	const char *why;

	for (; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
		if (h->nlmsg_seq == 0 && h->nlmsg_pid == 0) {
			/* A multicast event. */
			if (h->nlmsg_type != family) {
				violation(iter, m, "multicast message of type %u", h->nlmsg_type);
				continue;
			}
			st->events++;
			if (h->nlmsg_len < NLMSG_HDRLEN + GENL_HDRLEN) {
				violation(iter, m, "event shorter than its headers");
				continue;
			}
			if (((struct genlmsghdr *)NLMSG_DATA(h))->cmd != DM_MIGRATE_CMD_EVENT)
				violation(iter, m, "multicast message that is no EVENT");
			why = check_attrs((struct nlattr *)((char *)NLMSG_DATA(h) + GENL_HDRLEN),
					  (int)(h->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN), true);
			if (why)
				violation(iter, m, "event: %s", why);
			continue;
		}
		if (h->nlmsg_seq != seq) {
			st->stale++;
			continue;
		}
		if (h->nlmsg_type == NLMSG_ERROR) {
			struct nlmsgerr *e = NLMSG_DATA(h);
			size_t off;

			if (h->nlmsg_len < NLMSG_HDRLEN + sizeof(*e)) {
				violation(iter, m, "short NLMSG_ERROR");
				ans->final = true;
				ans->err = EIO;
				return false;
			}
			ans->final = true;
			ans->err = -e->error;
			if (e->error > 0 || e->error < -4095)
				violation(iter, m, "errno %d out of range", e->error);
			if (h->nlmsg_flags & NLM_F_ACK_TLVS) {
				/* The echoed request: its header only when capped. */
				off = sizeof(*e);
				if (!(h->nlmsg_flags & NLM_F_CAPPED))
					off += NLMSG_ALIGN(e->msg.nlmsg_len) - NLMSG_HDRLEN;
				if (NLMSG_HDRLEN + off <= h->nlmsg_len) {
					why = check_tlvs((struct nlattr *)((char *)e + off),
							 (int)(h->nlmsg_len - NLMSG_HDRLEN - off),
							 ans->extack, sizeof(ans->extack));
					if (why)
						violation(iter, m, "%s", why);
				}
			}
			continue;
		}
		if (h->nlmsg_type == NLMSG_DONE) {
			int e = 0;

			if (h->nlmsg_len >= NLMSG_HDRLEN + sizeof(int))
				memcpy(&e, NLMSG_DATA(h), sizeof(int));
			if (e > 0)
				violation(iter, m, "DONE with a positive errno %d", e);
			ans->final = true;
			ans->err = -e;
			if (!e)
				st->dumps++;
			continue;
		}
		if (h->nlmsg_type != family) {
			violation(iter, m, "answer of type %u", h->nlmsg_type);
			continue;
		}
		/* A status reply. */
		ans->data++;
		st->data++;
		if (sh->dump != !!(h->nlmsg_flags & NLM_F_MULTI))
			violation(iter, m, "NLM_F_MULTI %s a dump",
				  sh->dump ? "missing in" : "outside");
		if (h->nlmsg_len < NLMSG_HDRLEN + GENL_HDRLEN ||
		    ((struct genlmsghdr *)NLMSG_DATA(h))->cmd != DM_MIGRATE_CMD_GET) {
			violation(iter, m, "reply that is no GET status");
			continue;
		}
		why = check_attrs((struct nlattr *)((char *)NLMSG_DATA(h) + GENL_HDRLEN),
				  (int)(h->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN), false);
		if (why)
			violation(iter, m, "status reply: %s", why);
		if (!sh->dump && !sh->ack)
			ans->final = true;	/* a GET's reply is its answer */
	}
	if (len)
		violation(iter, m, "%d trailing bytes in a datagram", len);
	return true;
}

/*
 * Send @m and read what comes back: everything that was queued while the
 * request ran (netlink runs it in send()), and, when an answer must come
 * (an ACK, a dump's end), until it came or ANSWER_MS passed.
 */
static void exchange(int fd, unsigned long iter, struct msg *m, const struct shape *sh,
		     uint32_t seq, struct answer *ans)
{
	unsigned int msgs = 0;

	memset(ans, 0, sizeof(*ans));
	if (send(fd, m->buf, m->sent, 0) < 0) {
		int e = errno;

		st->send_err[e < NERR ? e : NERR - 1]++;
		ans->final = true;
		ans->err = -1;
		return;
	}
	st->sent++;
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		bool more = sh->expect || (sh->dump && sh->ours && ans->data);
		struct iovec iov = { rbuf, RBUF };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
		ssize_t got;
		int r;

		if (ans->final)
			break;
		r = poll(&p, 1, more ? ANSWER_MS : 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (more)
				violation(iter, m, "no answer within %d ms", ANSWER_MS);
			break;
		}
		got = recvmsg(fd, &mh, MSG_DONTWAIT);
		if (got < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			if (errno == ENOBUFS) {
				/* Events overran the socket: not the family's fault. */
				continue;
			}
			violation(iter, m, "recv: %s", strerror(errno));
			break;
		}
		if (mh.msg_flags & MSG_TRUNC)
			violation(iter, m, "answer truncated (%zd bytes)", got);
		parse_datagram(iter, m, sh, seq, got, ans);
		if (++msgs > 100000) {
			violation(iter, m, "endless answer");
			break;
		}
	}
}

/* ------------------------------------------------------------------ */
/* Privileges, keys, sockets.                                          */

static int capget_now(struct __user_cap_data_struct d[2])
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };

	return (int)syscall(SYS_capget, &h, d);
}

static bool has_cap(int cap)
{
	struct __user_cap_data_struct d[2];

	if (capget_now(d))
		return false;
	return d[cap / 32].effective & (1U << (cap % 32));
}

static void drop_privileges(enum phase ph)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2];

	if (ph == PH_ROOT)
		return;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		ksft_exit_fail_msg("no_new_privs: %s\n", strerror(errno));
	if (ph == PH_NOBODY) {
		if (setgroups(0, NULL) || setresgid(65534, 65534, 65534) ||
		    setresuid(65534, 65534, 65534))
			ksft_exit_fail_msg("cannot become uid 65534: %s\n", strerror(errno));
		if (has_cap(CAP_NET_ADMIN) || has_cap(CAP_SYS_ADMIN))
			ksft_exit_fail_msg("uid 65534 kept capabilities\n");
		return;
	}
	/* Root without CAP_SYS_ADMIN, as in a container. */
	if (prctl(PR_CAPBSET_DROP, CAP_SYS_ADMIN, 0, 0, 0) ||
	    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) || capget_now(d))
		ksft_exit_fail_msg("cannot drop CAP_SYS_ADMIN: %s\n", strerror(errno));
	d[CAP_SYS_ADMIN / 32].effective &= ~(1U << (CAP_SYS_ADMIN % 32));
	d[CAP_SYS_ADMIN / 32].permitted &= ~(1U << (CAP_SYS_ADMIN % 32));
	d[CAP_SYS_ADMIN / 32].inheritable &= ~(1U << (CAP_SYS_ADMIN % 32));
	if (syscall(SYS_capset, &h, d))
		ksft_exit_fail_msg("capset: %s\n", strerror(errno));
	if (has_cap(CAP_SYS_ADMIN) || !has_cap(CAP_NET_ADMIN))
		ksft_exit_fail_msg("capabilities not as wanted after capset\n");
}

/*
 * Keys in this process's keyring for KEY_DESC: a good one (the same bytes
 * as nlrand_key), one too short, one too long, a logon one and a revoked
 * one.  Without CONFIG_KEYS the requests just fail.
 */
static void add_keys(void)
{
	unsigned char shortk[8] = { 1 }, longk[100] = { 2 };
	long id;

	syscall(SYS_add_key, "user", "nlrand", nlrand_key, sizeof(nlrand_key),
		KEY_SPEC_PROCESS_KEYRING);
	syscall(SYS_add_key, "user", "nlrand-short", shortk, sizeof(shortk),
		KEY_SPEC_PROCESS_KEYRING);
	syscall(SYS_add_key, "user", "nlrand-long", longk, sizeof(longk),
		KEY_SPEC_PROCESS_KEYRING);
	syscall(SYS_add_key, "logon", "nlrand:key", nlrand_key, sizeof(nlrand_key),
		KEY_SPEC_PROCESS_KEYRING);
	id = syscall(SYS_add_key, "user", "nlrand-revoked", nlrand_key, sizeof(nlrand_key),
		     KEY_SPEC_PROCESS_KEYRING);
	if (id < 0)
		ksft_print_msg("no keyring (%s): KEY_DESC requests only fail\n",
			       strerror(errno));
	else
		syscall(SYS_keyctl, KEYCTL_REVOKE, id);
}

/* A socket with random options; unprivileged ones try to join the group. */
static int open_sock(enum phase ph, unsigned long iter)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	int one = 1, big = 4 << 20, grp = events_grp;

	if (fd < 0)
		ksft_exit_fail_msg("netlink socket: %s\n", strerror(errno));
	if (chance(85))
		setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	if (chance(60))
		setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	if (chance(30))
		setsockopt(fd, SOL_NETLINK, NETLINK_GET_STRICT_CHK, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big));
	if (grp > 0 && (ph != PH_ROOT || chance(50))) {
		int r = setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &grp, sizeof(grp));

		if (ph != PH_ROOT && !r)
			violation(iter, NULL, "%s joined the events group", phase_names[ph]);
		if (ph == PH_ROOT && r)
			violation(iter, NULL, "root cannot join the events group: %s",
				  strerror(errno));
		if (!r)
			st->joined++;
	}
	return fd;
}

/* ------------------------------------------------------------------ */
/* A phase.                                                           */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char *errname(int e)
{
	static char buf[16];

	switch (e) {
	case 0: return "ok";
	case EPERM: return "EPERM";
	case ENOENT: return "ENOENT";
	case EINTR: return "EINTR";
	case EIO: return "EIO";
	case ENXIO: return "ENXIO";
	case E2BIG: return "E2BIG";
	case EAGAIN: return "EAGAIN";
	case ENOMEM: return "ENOMEM";
	case EACCES: return "EACCES";
	case EFAULT: return "EFAULT";
	case EBUSY: return "EBUSY";
	case EEXIST: return "EEXIST";
	case ENODEV: return "ENODEV";
	case EINVAL: return "EINVAL";
	case ENOSPC: return "ENOSPC";
	case ERANGE: return "ERANGE";
	case EMSGSIZE: return "EMSGSIZE";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	case EADDRINUSE: return "EADDRINUSE";
	case EADDRNOTAVAIL: return "EADDRNOTAVAIL";
	case ENETUNREACH: return "ENETUNREACH";
	case ECONNREFUSED: return "ECONNREFUSED";
	case ENOKEY: return "ENOKEY";
	case EKEYREVOKED: return "EKEYREVOKED";
	case EKEYEXPIRED: return "EKEYEXPIRED";
	case EKEYREJECTED: return "EKEYREJECTED";
	case ENOBUFS: return "ENOBUFS";
	case ECONNRESET: return "ECONNRESET";
	default:
		snprintf(buf, sizeof(buf), "errno %d", e);
		return buf;
	}
}

/* Is @a an answer the unprivileged phase @ph may get to request @sh? */
static const char *unpriv_check(enum phase ph, const struct shape *sh,
				const struct answer *a)
{
	bool known = sh->cmd >= DM_MIGRATE_CMD_GET && sh->cmd <= DM_MIGRATE_CMD_ABORT;

	if (!sh->ours || !known)
		return NULL;
	if (a->data)
		return "status data for an unprivileged request";
	if (a->final && !a->err)
		return "an unprivileged request succeeded";
	if (!a->final && !sh->expect)
		return "no error for an unprivileged request";
	if (ph != PH_NOBODY || !a->final)
		return NULL;
	/*
	 * Without CAP_NET_ADMIN genetlink refuses before it parses any
	 * attribute; only a bad genetlink header or bad flags come first.  A
	 * dump of a command that has none: 6.1 checks the permission first,
	 * 6.12 the operation.
	 */
	if (sh->hdr_bad)
		return a->err == EINVAL ? NULL : "bad genetlink header not refused with EINVAL";
	if (a->err != EPERM &&
	    !(sh->dump && sh->cmd != DM_MIGRATE_CMD_GET && a->err == EOPNOTSUPP))
		return "unprivileged request not refused with EPERM";
	return NULL;
}

/*
 * The root phase's writer: 4 KiB direct writes at random places of the
 * -w devices, every 20 ms, until told to stop; refused writes (a device
 * that hands off or was handed off) are counted by errno.
 */
static pid_t start_writer(void)
{
	int fd[MAX_DEVS], i;
	off_t size[MAX_DEVS];
	void *buf;
	pid_t pid;

	if (!opt.nwdev)
		return 0;
	fflush(stdout);
	pid = fork();
	if (pid)
		return pid;
	rnd_seed(opt.seed, NPHASES + 1);
	if (posix_memalign(&buf, 4096, 4096))
		_exit(1);
	rnd_fill(buf, 4096);
	for (i = 0; i < opt.nwdev; i++) {
		fd[i] = open(opt.wdev[i], O_WRONLY | O_DIRECT | O_CLOEXEC);
		size[i] = fd[i] < 0 ? 0 : lseek(fd[i], 0, SEEK_END);
		if (fd[i] < 0 || size[i] < 4096) {
			printf("# writer: cannot use %s\n", opt.wdev[i]);
			fflush(stdout);
			_exit(1);
		}
	}
	while (!st->stop_writer) {
		i = (int)rn((unsigned int)opt.nwdev);
		if (pwrite(fd[i], buf, 4096, (off_t)rn((unsigned int)(size[i] / 4096)) * 4096) == 4096)
			st->writes++;
		else
			st->write_err[errno < NERR ? errno : NERR - 1]++;
		usleep(20000);
	}
	_exit(0);
}

/*
 * A well-formed request: @cmd for @d, with PEER @peer and the test key
 * if @peer, and a u64 attribute if @attr.  Returns the errno, -1 if none.
 */
static int simple_request(int fd, unsigned int cmd, const struct devnum *d,
			  const char *peer, uint16_t attr, uint64_t v)
{
	static struct msg m;
	struct nlmsghdr *n = (struct nlmsghdr *)m.buf;
	struct genlmsghdr *g = (struct genlmsghdr *)(m.buf + NLMSG_HDRLEN);
	struct shape sh = { .cmd = cmd, .ours = true, .ack = true, .delivered = true,
			    .expect = true };
	struct answer ans;

	memset(m.buf, 0, NLMSG_HDRLEN + GENL_HDRLEN);
	m.len = NLMSG_HDRLEN + GENL_HDRLEN;
	m.dlen = 0;
	describe(&m, "%s(%u) dev %u:%u (fixture)", cmd_names[cmd], cmd, d->major, d->minor);
	g->cmd = (uint8_t)cmd;
	g->version = DM_MIGRATE_GENL_VERSION;
	put_u32(&m, DM_MIGRATE_A_DEV_MAJOR, d->major);
	put_u32(&m, DM_MIGRATE_A_DEV_MINOR, d->minor);
	if (peer) {
		put_safe_str(&m, DM_MIGRATE_A_PEER, peer, strlen(peer) + 1);
		put_raw(&m, DM_MIGRATE_A_KEY, nlrand_key, sizeof(nlrand_key));
	}
	if (attr)
		put_u64(&m, attr, v);
	m.sent = m.len;
	n->nlmsg_len = (uint32_t)m.len;
	n->nlmsg_type = (uint16_t)family;
	n->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	n->nlmsg_seq = 0x7fffffff;
	exchange(fd, st->iters, &m, &sh, n->nlmsg_seq, &ans);
	if (ans.final && ans.err && ans.extack[0])
		ksft_print_msg("%s: %s: %s\n", m.desc, errname(ans.err), ans.extack);
	return ans.final ? ans.err : -1;
}

/*
 * The random requests are over: release what a random write throttle may
 * hold (for hours, at 1 byte/s), stop the writer, and give it the time a
 * mirrored write may wait for a silent peer (the ACK timeout, 10 s).
 */
static void stop_writer(pid_t pid)
{
	double t0 = now_s();
	int fd, i, status;

	fd = open_sock(PH_ROOT, st->iters);
	for (i = 0; i < opt.nmig; i++)
		simple_request(fd, DM_MIGRATE_CMD_SET_LIMITS, &opt.mig[i], NULL,
			       DM_MIGRATE_A_WRITE_THROTTLE, 0);
	close(fd);
	st->stop_writer = true;
	while (now_s() - t0 < 30) {
		if (waitpid(pid, &status, WNOHANG) == pid) {
			st->writer_done = WIFEXITED(status) && !WEXITSTATUS(status);
			break;
		}
		usleep(20000);
	}
	st->writer_wait = now_s() - t0;
}

static void run_phase(enum phase ph)
{
	pid_t writer = 0;
	static struct msg m;
	unsigned long i, reopen = 0;
	double secs = ph == PH_ROOT && opt.secs_root > 0 ? opt.secs_root : opt.secs;
	double t0 = now_s(), deadline = secs > 0 ? t0 + secs : 0;
	struct shape sh;
	struct answer ans;
	int fd = -1;

	rnd_seed(opt.seed, ph);
	drop_privileges(ph);
	if (ph == PH_ROOT) {
		add_keys();
		writer = start_writer();
		if (writer < 0)
			ksft_exit_fail_msg("fork: %s\n", strerror(errno));
	}
	for (i = 0; i < opt.count; i++) {
		const char *why;

		if (deadline && now_s() > deadline)
			break;
		if (i >= reopen) {
			if (fd >= 0)
				close(fd);
			fd = open_sock(ph, i);
			reopen = i + 100 + rn(900);
		}
		build(&m, &sh, (uint32_t)(i + 1));
		st->iters = i + 1;
		exchange(fd, i, &m, &sh, (uint32_t)(i + 1), &ans);
		if (ans.err >= 0 && ans.final)
			st->err[ans.err < NERR ? ans.err : NERR - 1]++;
		else if (!ans.final && !ans.data)
			st->silent++;
		if (sh.ours && ((ans.final && !ans.err) || ans.data)) {
			st->cmd_ok[sh.cmd]++;
			if (sh.desc && (sh.cmd == DM_MIGRATE_CMD_PUSH ||
					sh.cmd == DM_MIGRATE_CMD_RECEIVE))
				st->desc_ok++;
		}
		if (ph != PH_ROOT) {
			why = unpriv_check(ph, &sh, &ans);
			if (why)
				violation(i, &m, "%s (%s)", why,
					  ans.final ? errname(ans.err) : "no answer");
		}
		if (opt.verbose) {
			printf("# %lu: %s -> %s%s%s%s\n", i, m.desc,
			       ans.final ? (ans.err < 0 ? "send failed" : errname(ans.err)) :
			       "no answer", ans.data ? " +data" : "",
			       ans.extack[0] ? ": " : "", ans.extack);
			fflush(stdout);
		}
	}
	if (fd >= 0)
		close(fd);
	st->elapsed = now_s() - t0;
	if (writer)
		stop_writer(writer);
	st->finished = true;
}

/* ------------------------------------------------------------------ */
/* The parent: device state, phases, reports.                         */

/*
 * A generic netlink socket that has sent @req and waits at most 10 s for
 * each answer; -1 if either failed.
 */
static int nl_request(const void *req, size_t len)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	struct timeval tmo = { .tv_sec = 10 };

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tmo, sizeof(tmo));
	if (send(fd, req, len, 0) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* The well-formed attributes of a message, from @a, @rem bytes. */
#define for_each_nla(a, rem)						\
	for (; (rem) >= NLA_HDRLEN && (a)->nla_len >= NLA_HDRLEN &&	\
	       (a)->nla_len <= (rem);					\
	     (rem) -= NLA_ALIGN((a)->nla_len),				\
	     (a) = (struct nlattr *)((char *)(a) + NLA_ALIGN((a)->nla_len)))

/* One line per migrate device: what a request could change. */
static size_t snapshot(char *out, size_t outlen)
{
	struct {
		struct nlmsghdr n;
		struct genlmsghdr g;
	} req = {
		.n = { .nlmsg_len = sizeof(req), .nlmsg_type = (uint16_t)family,
		       .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP, .nlmsg_seq = 1 },
		.g = { .cmd = DM_MIGRATE_CMD_GET, .version = DM_MIGRATE_GENL_VERSION },
	};
	int fd = nl_request(&req, sizeof(req));
	size_t used = 0;
	bool done = false;

	out[0] = '\0';
	if (fd < 0)
		return 0;
	while (!done) {
		ssize_t got = recv(fd, rbuf, RBUF, 0);
		struct nlmsghdr *h = (struct nlmsghdr *)rbuf;
		int len = (int)got;

		if (got <= 0)
			break;
		for (; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
			struct nlattr *a;
			int rem;
			char name[128] = "?", peer[80] = "-";
			unsigned int maj = 0, min = 0, ph = 99, role = 99, conn = 99;
			bool paused = false;
			uint64_t dirty = 0;

			if (h->nlmsg_type == NLMSG_DONE || h->nlmsg_type == NLMSG_ERROR) {
				done = true;
				break;
			}
			a = (struct nlattr *)((char *)NLMSG_DATA(h) + GENL_HDRLEN);
			rem = (int)(h->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN);
			for_each_nla(a, rem) {
				void *p = (char *)a + NLA_HDRLEN;

				switch (a->nla_type) {
				case DM_MIGRATE_A_DEV_NAME: snprintf(name, sizeof(name), "%s", (char *)p); break;
				case DM_MIGRATE_A_PEER: snprintf(peer, sizeof(peer), "%s", (char *)p); break;
				case DM_MIGRATE_A_DEV_MAJOR: memcpy(&maj, p, 4); break;
				case DM_MIGRATE_A_DEV_MINOR: memcpy(&min, p, 4); break;
				case DM_MIGRATE_A_PHASE: ph = *(uint8_t *)p; break;
				case DM_MIGRATE_A_ROLE: role = *(uint8_t *)p; break;
				case DM_MIGRATE_A_CONN_STATE: conn = *(uint8_t *)p; break;
				case DM_MIGRATE_A_PAUSED: paused = true; break;
				case DM_MIGRATE_A_CHUNKS_DIRTY: memcpy(&dirty, p, 8); break;
				default: break;
				}
			}
			used += (size_t)snprintf(out + used, outlen - used,
						 "#   %s %u:%u phase %u role %u conn %u%s peer %s dirty %llu\n",
						 name, maj, min, ph, role, conn,
						 paused ? " paused" : "", peer,
						 (unsigned long long)dirty);
			if (used >= outlen)
				used = outlen - 1;
		}
	}
	close(fd);
	return done ? used : 0;
}

/* "name count, name count..." into @line. */
static void append(char *line, size_t size, size_t *n, const char *name, unsigned long v)
{
	int r;

	if (*n >= size - 1)
		return;
	r = snprintf(line + *n, size - *n, "%s%s %lu", *n ? ", " : "", name, v);
	if (r > 0)
		*n = *n + (size_t)r < size ? *n + (size_t)r : size - 1;
}

static void print_histogram(enum phase ph)
{
	char line[2048];
	size_t n = 0;
	int e;
	unsigned int c;

	ksft_print_msg("%s: %lu requests in %.1f s (%.0f/s), seed %llu: replay with COUNT %lu\n",
		       phase_names[ph], st->iters, st->elapsed,
		       st->elapsed > 0 ? (double)st->iters / st->elapsed : 0.0, opt.seed,
		       st->iters);
	for (e = 0; e < NERR; e++)
		if (st->err[e])
			append(line, sizeof(line), &n, e == NERR - 1 ? "other" : errname(e),
			       st->err[e]);
	ksft_print_msg("%s: answers: %s\n", phase_names[ph], n ? line : "none");
	n = 0;
	for (e = 0; e < NERR; e++)
		if (st->send_err[e])
			append(line, sizeof(line), &n, errname(e), st->send_err[e]);
	ksft_print_msg("%s: no answer (none due) %lu, status replies %lu, dumps done %lu, events %lu, stale %lu, sockets in the events group %lu%s%s\n",
		       phase_names[ph], st->silent, st->data, st->dumps, st->events,
		       st->stale, st->joined, n ? "; send refused: " : "", n ? line : "");
	n = 0;
	for (c = 0; c < 256; c++)
		if (st->cmd_ok[c])
			append(line, sizeof(line), &n,
			       c < ARRAY_SIZE(cmd_names) ? cmd_names[c] : "?", st->cmd_ok[c]);
	ksft_print_msg("%s: accepted, by command: %s; PUSH and RECEIVE with a keyring key: %lu\n",
		       phase_names[ph], n ? line : "none", st->desc_ok);
	if (ph != PH_ROOT || !opt.nwdev)
		return;
	n = 0;
	for (e = 0; e < NERR; e++)
		if (st->write_err[e])
			append(line, sizeof(line), &n, errname(e), st->write_err[e]);
	ksft_print_msg("%s: writer: %lu writes done, refused: %s; it ended %.1f s after the requests\n",
		       phase_names[ph], st->writes, n ? line : "none", st->writer_wait);
}

/*
 * A well-formed GET of @d: true when it answers with a sane status; its
 * connection state in *@conn.
 */
static bool get_status(const struct devnum *d, unsigned int *conn)
{
	struct {
		struct nlmsghdr n;
		struct genlmsghdr g;
		struct nlattr a1;
		uint32_t major;
		struct nlattr a2;
		uint32_t minor;
	} req = {
		.n = { .nlmsg_len = sizeof(req), .nlmsg_type = (uint16_t)family,
		       .nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK, .nlmsg_seq = 7 },
		.g = { .cmd = DM_MIGRATE_CMD_GET, .version = DM_MIGRATE_GENL_VERSION },
		.a1 = { .nla_len = NLA_HDRLEN + 4, .nla_type = DM_MIGRATE_A_DEV_MAJOR },
		.major = d->major,
		.a2 = { .nla_len = NLA_HDRLEN + 4, .nla_type = DM_MIGRATE_A_DEV_MINOR },
		.minor = d->minor,
	};
	int fd = nl_request(&req, sizeof(req));
	bool data = false, acked = false;

	*conn = ~0U;
	if (fd < 0)
		return false;
	while (!acked) {
		ssize_t got = recv(fd, rbuf, RBUF, 0);
		struct nlmsghdr *h = (struct nlmsghdr *)rbuf;
		int len = (int)got;

		if (got <= 0)
			break;
		for (; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
			struct nlattr *a = (struct nlattr *)((char *)NLMSG_DATA(h) + GENL_HDRLEN);
			int rem = (int)(h->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN);

			if (h->nlmsg_type == NLMSG_ERROR) {
				acked = !((struct nlmsgerr *)NLMSG_DATA(h))->error;
				if (!acked)
					goto out;
				continue;
			}
			if (h->nlmsg_type != family)
				continue;
			data = !check_attrs(a, rem, false);
			for_each_nla(a, rem)
				if (a->nla_type == DM_MIGRATE_A_CONN_STATE)
					*conn = *((uint8_t *)a + NLA_HDRLEN);
		}
	}
out:
	close(fd);
	return data && acked;
}

/* Run @ph in a child; false if it hung or died. */
static bool phase_child(enum phase ph)
{
	unsigned long last = 0;
	double since = now_s();
	int status;
	pid_t pid;

	memset(st, 0, sizeof(*st));
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		ksft_exit_fail_msg("fork: %s\n", strerror(errno));
	if (pid == 0) {
		run_phase(ph);
		fflush(stdout);
		_exit(0);
	}
	for (;;) {
		pid_t w = waitpid(pid, &status, WNOHANG);

		if (w == pid)
			break;
		if (st->iters != last) {
			last = st->iters;
			since = now_s();
		} else if (now_s() - since > STALL_S) {
			char path[64], buf[4096];
			FILE *f;
			size_t n;

			ksft_print_msg("%s: no progress for %d s at iteration %lu: hung in the kernel?\n",
				       phase_names[ph], STALL_S, st->iters);
			snprintf(path, sizeof(path), "/proc/%d/stack", pid);
			f = fopen(path, "r");
			if (f) {
				n = fread(buf, 1, sizeof(buf) - 1, f);
				buf[n] = '\0';
				fclose(f);
				printf("%s", buf);
			}
			kill(pid, SIGKILL);
			return false;
		}
		usleep(20000);
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		ksft_print_msg("%s: child ended with status %#x\n", phase_names[ph], status);
		return false;
	}
	return st->finished;
}

/*
 * Only loopback is up here (a kernel may add tunnel devices such as sit0
 * to every namespace, down): whatever a request starts reaches no network.
 */
static bool netns_isolated(void)
{
	FILE *f = fopen("/proc/net/dev", "r");
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	char line[512];
	bool ok = fd >= 0;
	int n = 0;

	if (!f) {
		if (fd >= 0)
			close(fd);
		return false;
	}
	while (ok && fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':'), *name = line;
		struct ifreq ifr;

		if (n++ < 2 || !colon)
			continue;
		*colon = '\0';
		while (*name == ' ')
			name++;
		if (!strcmp(name, "lo"))
			continue;
		memset(&ifr, 0, sizeof(ifr));
		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%.*s", IFNAMSIZ - 1, name);
		if (ioctl(fd, SIOCGIFFLAGS, &ifr) || (ifr.ifr_flags & IFF_UP)) {
			ksft_print_msg("interface %s is up in this network namespace\n", name);
			ok = false;
		}
	}
	fclose(f);
	if (fd >= 0)
		close(fd);
	return ok;
}

/* A network namespace of our own: lo up, with 198.18.255.1 and .2. */
static void make_netns(void)
{
	static const char * const addrs[] = { "198.18.255.1", "198.18.255.2" };
	struct sockaddr_in *sin;
	struct ifreq ifr;
	unsigned int i;
	int fd;

	if (unshare(CLONE_NEWNET))
		ksft_exit_fail_msg("unshare(CLONE_NEWNET): %s\n", strerror(errno));
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	if (fd < 0 || ioctl(fd, SIOCGIFFLAGS, &ifr))
		ksft_exit_fail_msg("lo: %s\n", strerror(errno));
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(fd, SIOCSIFFLAGS, &ifr))
		ksft_exit_fail_msg("lo up: %s\n", strerror(errno));
	for (i = 0; i < ARRAY_SIZE(addrs); i++) {
		memset(&ifr, 0, sizeof(ifr));
		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo:%u", i + 1);
		sin = (struct sockaddr_in *)&ifr.ifr_addr;
		sin->sin_family = AF_INET;
		inet_pton(AF_INET, addrs[i], &sin->sin_addr);
		if (ioctl(fd, SIOCSIFADDR, &ifr))
			ksft_exit_fail_msg("%s on lo: %s\n", addrs[i], strerror(errno));
		inet_pton(AF_INET, "255.255.255.255", &sin->sin_addr);
		if (ioctl(fd, SIOCSIFNETMASK, &ifr))
			ksft_exit_fail_msg("%s/32: %s\n", addrs[i], strerror(errno));
	}
	close(fd);
}

/* MAJ:MIN, or a device node. */
static bool parse_dev(const char *s, struct devnum *d)
{
	struct stat sb;

	if (s[0] == '/') {
		if (stat(s, &sb) || !S_ISBLK(sb.st_mode))
			return false;
		d->major = major(sb.st_rdev);
		d->minor = minor(sb.st_rdev);
		return true;
	}
	return sscanf(s, "%u:%u", &d->major, &d->minor) == 2;
}

/* The output of the state command (-c), or "" if there is none. */
static void run_state_cmd(char *out, size_t len)
{
	size_t n = 0;
	FILE *f;

	out[0] = '\0';
	if (!opt.state_cmd)
		return;
	fflush(stdout);
	f = popen(opt.state_cmd, "r");
	if (!f)
		return;
	n = fread(out, 1, len - 1, f);
	out[n] = '\0';
	pclose(f);
}

/*
 * The fixture: a receiver on 198.18.255.2:7788 (-R), a push to it paused in
 * its bulk pass (-S), a push to an address nothing routes to (-U); then
 * the states must settle (two dumps and state command outputs alike).
 */
#define SNAP_LEN	16384
#define STATE_LEN	65536

static bool fixture(char *snap, char *state)
{
	static char snap2[SNAP_LEN], state2[STATE_LEN];
	double t0 = now_s();
	unsigned int conn = 0;
	int fd, r = 0, i;

	if (!opt.fix_rcv && !opt.fix_src && !opt.fix_sus)
		return true;
	fd = open_sock(PH_ROOT, 0);
	if (opt.fix_rcv)
		r |= simple_request(fd, DM_MIGRATE_CMD_RECEIVE, &opt.fix[0],
				    "198.18.255.2:7788", 0, 0);
	if (opt.fix_src) {
		/* 64 KiB/s until the pause: the bulk pass cannot end before. */
		r |= simple_request(fd, DM_MIGRATE_CMD_PUSH, &opt.fix[1], "198.18.255.2:7788",
				    DM_MIGRATE_A_RATE_LIMIT, 65536);
		while (!r && get_status(&opt.fix[1], &conn) &&
		       conn != DM_MIGRATE_CONN_CONNECTED && now_s() - t0 < 60)
			usleep(50000);
		if (conn != DM_MIGRATE_CONN_CONNECTED) {
			ksft_print_msg("fixture: the push did not connect\n");
			r = -1;
		}
		r |= simple_request(fd, DM_MIGRATE_CMD_PAUSE, &opt.fix[1], NULL, 0, 0);
		/* The run already being sent goes on: at full speed. */
		r |= simple_request(fd, DM_MIGRATE_CMD_SET_LIMITS, &opt.fix[1], NULL,
				    DM_MIGRATE_A_RATE_LIMIT, 0);
	}
	if (opt.fix_sus)
		r |= simple_request(fd, DM_MIGRATE_CMD_PUSH, &opt.fix[2], "198.18.254.1:7788",
				    0, 0);
	close(fd);
	if (r)
		return false;
	snapshot(snap, SNAP_LEN);
	run_state_cmd(state, STATE_LEN);
	for (i = 0; i < 50; i++) {
		usleep(300000);
		snapshot(snap2, sizeof(snap2));
		run_state_cmd(state2, sizeof(state2));
		if (!strcmp(snap, snap2) && !strcmp(state, state2))
			return true;
		memcpy(snap, snap2, SNAP_LEN);
		memcpy(state, state2, STATE_LEN);
	}
	ksft_print_msg("fixture: the devices' states did not settle\n");
	return false;
}

/*
 * Every attribute of the uapi header has a kind here (a new one without
 * would read as "binary attribute in a reply"): checked first, and alone
 * by -K on the host (tests/run.sh).
 */
static void check_kinds(void)
{
	unsigned int t;

	for (t = 1; t <= DM_MIGRATE_A_MAX; t++)
		if (kind_of(t) == K_BIN && t != DM_MIGRATE_A_KEY &&
		    t != DM_MIGRATE_A_PAD) {
			fprintf(stderr, "nlrand: attribute %u of dm-migrate.h has no kind: add it to kind_of() in tests/prog/nlrand.c\n",
				t);
			exit(2);
		}
}

static void usage(void)
{
	fprintf(stderr, "usage: nlrand -K | [-N] [-t S] [-T S] [-p nobody,nocap,root] [-v] [-c CMD]\n"
		"              [-R DEV] [-S DEV] [-U DEV] [-x DEV...] [-w DEV...] -m DEV [-m DEV...]\n"
		"              SEED COUNT\n"
		"  DEV: MAJ:MIN or a device node\n");
	exit(2);
}

/* The state command's output after the unprivileged phases: unchanged. */
static void state_result(const char *before, char *after)
{
	run_state_cmd(after, STATE_LEN);
	if (strcmp(before, after)) {
		ksft_test_result_fail("unprivileged: '%s' prints the same\n", opt.state_cmd);
		printf("# before:\n%s# after:\n%s", before, after);
	} else {
		ksft_test_result_pass("unprivileged: '%s' prints the same\n", opt.state_cmd);
	}
}

static void devopt(struct devnum *list, int *n, const char *arg)
{
	if (*n == MAX_DEVS || !parse_dev(arg, &list[*n]))
		usage();
	(*n)++;
}

/* A fixture device is a migrate device too. */
static void fixopt(int i, bool *flag, const char *arg)
{
	if (!parse_dev(arg, &opt.fix[i]) || opt.nmig == MAX_DEVS)
		usage();
	*flag = true;
	opt.mig[opt.nmig++] = opt.fix[i];
}

int main(int argc, char **argv)
{
	static char before[SNAP_LEN], after[SNAP_LEN], sbefore[STATE_LEN], safter[STATE_LEN];
	bool unpriv_done = false, have_state = false;
	struct nl_sock *sk;
	unsigned int ph, tests = 0;
	int c;

	check_kinds();
	opt.phases = (1U << NPHASES) - 1;
	while ((c = getopt(argc, argv, "Kt:T:p:vm:x:w:Nc:R:S:U:")) != -1) {
		switch (c) {
		case 'K':
			return 0;
		case 't':
			opt.secs = atof(optarg);
			break;
		case 'T':
			opt.secs_root = atof(optarg);
			break;
		case 'p':
			opt.phases = 0;
			for (ph = 0; ph < NPHASES; ph++)
				if (strstr(optarg, phase_names[ph]))
					opt.phases |= 1U << ph;
			if (!opt.phases)
				usage();
			break;
		case 'v':
			opt.verbose = true;
			break;
		case 'm':
			devopt(opt.mig, &opt.nmig, optarg);
			break;
		case 'x':
			devopt(opt.other, &opt.nother, optarg);
			break;
		case 'w':
			if (opt.nwdev == MAX_DEVS)
				usage();
			opt.wdev[opt.nwdev++] = optarg;
			break;
		case 'N':
			opt.netns = true;
			break;
		case 'c':
			opt.state_cmd = optarg;
			break;
		case 'R':
			fixopt(0, &opt.fix_rcv, optarg);
			break;
		case 'S':
			fixopt(1, &opt.fix_src, optarg);
			break;
		case 'U':
			fixopt(2, &opt.fix_sus, optarg);
			break;
		default:
			usage();
		}
	}
	if (argc - optind != 2 || !opt.nmig)
		usage();
	opt.seed = strtoull(argv[optind], NULL, 0);
	opt.count = strtoul(argv[optind + 1], NULL, 0);

	ksft_print_header();
	ksft_print_msg("seed %llu, count %lu, %.1f s per phase at most (root: %.1f s)\n",
		       opt.seed, opt.count, opt.secs, opt.secs_root > 0 ? opt.secs_root : opt.secs);
	if (getuid() != 0 || !has_cap(CAP_SYS_ADMIN))
		ksft_exit_fail_msg("nlrand needs root\n");
	if (opt.netns)
		make_netns();
	if (!netns_isolated())
		ksft_exit_fail_msg("refusing to run: an interface besides lo is up in this network namespace (use -N, or run it under 'ip netns exec' in a namespace with loopback only)\n");

	sk = nl_socket_alloc();
	if (!sk || genl_connect(sk))
		ksft_exit_fail_msg("cannot connect generic netlink\n");
	family = genl_ctrl_resolve(sk, DM_MIGRATE_GENL_NAME);
	events_grp = genl_ctrl_resolve_grp(sk, DM_MIGRATE_GENL_NAME,
					   DM_MIGRATE_GENL_MCGRP_EVENTS);
	nl_socket_free(sk);
	if (family < 0)
		ksft_exit_fail_msg("dm-migrate family not registered\n");
	if (events_grp < 0)
		ksft_print_msg("events group not found: not joined\n");

	st = mmap(NULL, sizeof(*st), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	rbuf = malloc(RBUF);
	if (st == MAP_FAILED || !rbuf)
		ksft_exit_fail_msg("out of memory\n");
	memset(st, 0, sizeof(*st));

	if (opt.fix_rcv || opt.fix_src || opt.fix_sus)
		tests++;
	for (ph = 0; ph < NPHASES; ph++)
		if (opt.phases & (1U << ph))
			tests += ph == PH_ROOT && opt.nwdev ? 4 : 3;
	if (opt.state_cmd && (opt.phases & ((1U << PH_NOBODY) | (1U << PH_NOCAP))))
		tests++;
	ksft_set_plan(tests);

	if (opt.fix_rcv || opt.fix_src || opt.fix_sus) {
		bool ok = fixture(before, sbefore);

		have_state = ok;
		ksft_test_result(ok, "fixture: receiver listening, push connected and paused, push to nowhere; states settled\n");
		if (before[0])
			printf("# devices:\n%s", before);
		if (!ok)
			ksft_exit_fail_msg("no fixture, no test\n");
	}
	if (!have_state)
		run_state_cmd(sbefore, sizeof(sbefore));

	for (ph = 0; ph < NPHASES; ph++) {
		bool ran;

		if (!(opt.phases & (1U << ph)))
			continue;
		if (ph == PH_ROOT && opt.state_cmd && unpriv_done) {
			state_result(sbefore, safter);
			unpriv_done = false;
		}
		printed = 0;
		if (!snapshot(before, sizeof(before)))
			ksft_print_msg("%s: no status dump before the phase\n", phase_names[ph]);
		ran = phase_child(ph);
		if (st->iters)
			print_histogram(ph);
		ksft_test_result(ran, "%s: %lu requests answered without a hang\n",
				 phase_names[ph], st->iters);
		ksft_test_result(ran && !st->violations,
				 "%s: every answer well-formed and as allowed (%lu violations)\n",
				 phase_names[ph], st->violations);
		if (ph == PH_ROOT) {
			unsigned int conn;
			int i, bad = 0;

			for (i = 0; i < opt.nmig; i++)
				if (!get_status(&opt.mig[i], &conn)) {
					ksft_print_msg("no status from %u:%u\n", opt.mig[i].major,
						       opt.mig[i].minor);
					bad++;
				}
			ksft_test_result(!bad, "root: every migrate device answers a GET afterwards\n");
			if (opt.nwdev)
				ksft_test_result(ran && st->writer_done,
						 "root: the writer's writes all completed (%.1f s after the requests)\n",
						 st->writer_wait);
			continue;
		}
		unpriv_done = true;
		if (!snapshot(after, sizeof(after)) || strcmp(before, after)) {
			ksft_test_result_fail("%s: no device changed\n", phase_names[ph]);
			printf("# before:\n%s# after:\n%s", before, after);
		} else {
			ksft_test_result_pass("%s: no device changed\n", phase_names[ph]);
		}
	}
	if (opt.state_cmd && unpriv_done)
		state_result(sbefore, safter);
	if (snapshot(after, sizeof(after)))
		printf("# devices now:\n%s", after);
	ksft_finished();
	return 0;
}
