// SPDX-License-Identifier: GPL-2.0
/*
 * climit: the compressibility limit of a volume's content, offline.
 *
 *   build/bench/climit [-c CHUNK] [-C CODECS] [-r MBIT] [-m MTU] PATH
 *
 * Reads PATH (a file, a block device, or - for standard input) in chunks
 * of CHUNK bytes (default 64K: the bench's `migrate DEV 128`), and for each
 * codec of CODECS (default raw,lzo,lz4,zstd:-1,zstd:1) prints what an ideal
 * dm-migrate sender using it puts on the wire (climit.h has the rule):
 * one line of key=value per codec, starting "climit ", then a table.
 *
 *   wire        message bytes (headers, data, GCM tags; the handshake's
 *               few hundred bytes left out): compare with the bytes a
 *               tool sent (veth tx_bytes, which counts the headers of a
 *               TSO packet of up to 64 KiB once: within 0.1 %)
 *   wire_ratio  wire / the volume's size
 *   link_bytes  wire plus 66 bytes of Ethernet, IPv4 and TCP headers (with
 *               timestamps) per segment of MTU - 52 bytes: what tbf
 *               charges, 4.6 % more than wire at MTU 1500
 *   limit_s     link_bytes at MBIT Mbit/s (default 200): no copy over the
 *               bench's link takes less
 *   cpu_s, mbps the codec's CPU time (this thread) and speed, MB/s of
 *               non-zero chunks in, one core: for choosing a codec
 *
 * Wiring into the bench's bulk section (bench/guest.sh, for the lead),
 * after `fill CONTENT` and before the tools run on /dev/ram0 (-C lzo alone:
 * 20-35 s for 1 GiB in the TCG guest; the guest has no /dev/fd, so no
 * process substitution):
 *
 *   read -r lim_wire lim_s <<< "$(build/bench/climit -C lzo -r "$LINK_MBIT" \
 *       /dev/ram0 | sed -n 's/^climit .* wire=\([0-9]*\) .* limit_s=\([0-9.]*\) .*$/\1 \2/p')"
 *
 * and two more columns per tool: "wire/limit" = wire / lim_wire and
 * "time/limit" = seconds / lim_s.  dm-migrate's goal: wire/limit <= 1.05,
 * time/limit <= 1.1.  The "fs" content (bench/mkimage-fs.sh) adds one case
 * to fill().
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "climit.h"
#include "units.h"

#define MAX_CODECS	8
#define TCP_IP_HDR	52	/* IPv4 20 + TCP 20 + timestamps 12 */
#define ETH_HDR		14

struct run {
	const char *path;
	uint32_t chunk;
	unsigned int rate_mbit;
	uint32_t mtu;
	uint64_t bytes;		/* read */
	uint64_t data_bytes;	/* in non-zero chunks */
	int ncodecs;
	struct climit_codec codecs[MAX_CODECS];
	struct climit_acc acc[MAX_CODECS];
	double cpu_s[MAX_CODECS];
};

static void usage(void)
{
	fprintf(stderr,
		"usage: climit [-c CHUNK] [-C CODECS] [-r MBIT] [-m MTU] PATH\n"
		"  CHUNK   chunk size, a power of two from 4K to 8M (default 64K)\n"
		"  CODECS  comma-separated: raw, lzo, lz4, zstd:LEVEL\n"
		"          (default raw,lzo,lz4,zstd:-1,zstd:1)\n"
		"  MBIT    link rate for limit_s, Mbit/s (default 200)\n"
		"  MTU     the link's MTU (default 1500)\n"
		"  PATH    file or block device; - for standard input\n");
	exit(2);
}

static double thread_cpu(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static bool all_zero(const unsigned char *p, size_t len)
{
	return !p[0] && !memcmp(p, p + 1, len - 1);
}

/* Fill @buf with up to @len bytes; returns the count, 0 at the end. */
static size_t read_chunk(int fd, const char *path, unsigned char *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t r = read(fd, buf + got, len - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			fprintf(stderr, "climit: cannot read %s: %s\n", path, strerror(errno));
			exit(1);
		}
		if (!r)
			break;
		got += r;
	}
	return got;
}

static void scan(struct run *run, int fd)
{
	size_t cap = 0, len;
	unsigned char *buf, *out;
	int i;

	for (i = 0; i < run->ncodecs; i++) {
		size_t b = run->codecs[i].bound(run->chunk);

		cap = b > cap ? b : cap;
	}
	buf = malloc(run->chunk);
	out = malloc(cap);
	if (!buf || !out) {
		fprintf(stderr, "climit: out of memory for %u-byte chunks\n", run->chunk);
		exit(1);
	}
	while ((len = read_chunk(fd, run->path, buf, run->chunk))) {
		bool zero = all_zero(buf, len);

		run->bytes += len;
		run->data_bytes += zero ? 0 : len;
		for (i = 0; i < run->ncodecs; i++) {
			struct climit_codec *c = &run->codecs[i];
			double t0;
			size_t clen;

			if (zero) {
				climit_add_zero(&run->acc[i]);
				continue;
			}
			t0 = thread_cpu();
			clen = c->compress(c, buf, len, out, cap);
			run->cpu_s[i] += thread_cpu() - t0;
			climit_add_data(&run->acc[i], len, clen);
		}
	}
	free(buf);
	free(out);
}

static const char *label(const struct climit_codec *c, char *buf, size_t len)
{
	if (strcmp(c->name, "zstd"))
		return c->name;
	snprintf(buf, len, "zstd:%d", c->level);
	return buf;
}

static void report(const struct run *run)
{
	uint32_t mss = run->mtu - TCP_IP_HDR;
	uint64_t size = run->bytes ? run->bytes : 1;
	char sz[32], ck[32], name[32];
	int i;

	for (i = 0; i < run->ncodecs; i++) {
		const struct climit_acc *a = &run->acc[i];
		uint64_t link = climit_link_bytes(a->wire, mss, TCP_IP_HDR + ETH_HDR);
		double secs = run->cpu_s[i];

		printf("climit codec=%s level=%d chunk=%u bytes=%llu chunks=%llu zero_chunks=%llu "
		       "msgs=%llu packed=%llu wire=%llu wire_ratio=%.4f link_bytes=%llu "
		       "rate_mbit=%u limit_s=%.2f cpu_s=%.3f mbps=%.0f\n",
		       run->codecs[i].name, run->codecs[i].level, run->chunk,
		       (unsigned long long)run->bytes, (unsigned long long)a->chunks,
		       (unsigned long long)a->zero_chunks, (unsigned long long)a->msgs,
		       (unsigned long long)a->packed, (unsigned long long)a->wire,
		       (double)a->wire / size, (unsigned long long)link, run->rate_mbit,
		       link * 8.0 / (run->rate_mbit * 1e6), secs,
		       secs > 0 ? run->data_bytes / secs / 1e6 : 0.0);
	}
	if (!run->ncodecs)
		return;
	printf("# %s: %s in %llu chunks of %s, %llu zero (%.1f %%)\n", run->path,
	       mdm_fmt_size(run->bytes, sz, sizeof(sz)),
	       (unsigned long long)run->acc[0].chunks, mdm_fmt_size(run->chunk, ck, sizeof(ck)),
	       (unsigned long long)run->acc[0].zero_chunks,
	       100.0 * run->acc[0].zero_chunks / (run->acc[0].chunks ? run->acc[0].chunks : 1));
	printf("%-9s %10s %10s %8s %8s %12s %10s\n", "codec", "wire_MB", "wire/size",
	       "packed", "msgs", "limit_s", "MB/s/core");
	for (i = 0; i < run->ncodecs; i++) {
		const struct climit_acc *a = &run->acc[i];
		uint64_t link = climit_link_bytes(a->wire, mss, TCP_IP_HDR + ETH_HDR);
		char rate[32];

		snprintf(rate, sizeof(rate), "%.0f",
			 run->cpu_s[i] > 0 ? run->data_bytes / run->cpu_s[i] / 1e6 : 0.0);
		printf("%-9s %10.1f %10.4f %8llu %8llu %12.2f %10s\n",
		       label(&run->codecs[i], name, sizeof(name)), a->wire / 1e6,
		       (double)a->wire / size, (unsigned long long)a->packed,
		       (unsigned long long)a->msgs, link * 8.0 / (run->rate_mbit * 1e6),
		       strcmp(run->codecs[i].name, "raw") ? rate : "-");
	}
	printf("# limit_s: at %u Mbit/s, MTU %u; MB/s/core: CPU time of this thread\n",
	       run->rate_mbit, run->mtu);
}

static void parse_codecs(struct run *run, const char *list)
{
	char *copy = strdup(list), *tok, *save = NULL;

	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (run->ncodecs == MAX_CODECS) {
			fprintf(stderr, "climit: at most %d codecs\n", MAX_CODECS);
			exit(2);
		}
		if (climit_codec_init(&run->codecs[run->ncodecs++], tok))
			exit(2);
	}
	free(copy);
	if (!run->ncodecs) {
		fprintf(stderr, "climit: no codec in '%s'\n", list);
		exit(2);
	}
}

static unsigned long number(const char *s, const char *what, unsigned long lo,
			    unsigned long hi)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	if (!*s || *end || v < lo || v > hi) {
		fprintf(stderr, "climit: %s '%s' is not a number from %lu to %lu\n",
			what, s, lo, hi);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	struct run run = { .chunk = 64 << 10, .rate_mbit = 200, .mtu = 1500 };
	const char *codecs = "raw,lzo,lz4,zstd:-1,zstd:1";
	uint64_t chunk;
	int opt, fd, i;

	while ((opt = getopt(argc, argv, "c:C:r:m:h")) != -1) {
		switch (opt) {
		case 'c':
			if (mdm_parse_size(optarg, false, &chunk) || chunk < 4096 ||
			    chunk > (8 << 20) || (chunk & (chunk - 1))) {
				fprintf(stderr, "climit: chunk size '%s' is not a power of two from 4K to 8M\n",
					optarg);
				exit(2);
			}
			run.chunk = chunk;
			break;
		case 'C':
			codecs = optarg;
			break;
		case 'r':
			run.rate_mbit = number(optarg, "link rate (Mbit/s)", 1, 1000000);
			break;
		case 'm':
			run.mtu = number(optarg, "MTU", 576, 65536);
			break;
		default:
			usage();
		}
	}
	if (optind != argc - 1)
		usage();
	run.path = argv[optind];
	parse_codecs(&run, codecs);
	fd = strcmp(run.path, "-") ? open(run.path, O_RDONLY) : 0;
	if (fd < 0) {
		fprintf(stderr, "climit: cannot open %s: %s\n", run.path, strerror(errno));
		return 1;
	}
	scan(&run, fd);
	report(&run);
	for (i = 0; i < run.ncodecs; i++)
		run.codecs[i].destroy(&run.codecs[i]);
	return 0;
}
