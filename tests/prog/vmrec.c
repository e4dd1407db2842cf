// SPDX-License-Identifier: GPL-2.0
/*
 * vmrec: the record writer of the VM test's nested guest, and its checker.
 *
 *   vmrec write [-i INTERVAL_MS] DEV...   (PID 1's child in the nested VM)
 *   vmrec check [-m MIN_LAST] [-b BOOT] DEV
 *
 * write: appends 4 KiB records to every DEV (raw block devices, O_DIRECT |
 * O_DSYNC) in a ring of slots: record seq goes to slot seq % nslots of each
 * device.  A record holds a magic, the sequence number, the wall-clock time
 * of the write, the device's index, a boot id (random, one per run of the
 * writer: a rebooted VM has another one), a payload derived from all that,
 * and a CRC-32C over the whole.  The same seq is written to every device,
 * in order, before the next seq starts.  Once a second (and on every write
 * error) a heartbeat line goes to stdout:
 *   vmrec: hb boot=BOOT seq=SEQ t=UNIX_MS
 * where SEQ is the last seq acknowledged on every device.  A failed write
 * is retried every 100 ms, never skipped.
 *
 * check: reads DEV and verifies every used slot: magic, CRC, the slot
 * matches the seq, one boot id (the one given with -b, if any), one device
 * index; the seqs present are one contiguous run (no gap: the ring holds
 * the last nslots of them) and their timestamps never go back.  Prints
 *   vmrec: check DEV boot=BOOT first=F last=L records=N
 * and exits 0 when all holds and L >= MIN_LAST; prints every problem (at
 * most 20) and exits 1 otherwise.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stddef.h>
#include <linux/fs.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#define REC_SIZE 4096
#define MAGIC "DMMVMREC"
#define MAX_DEVS 8

struct rec {
	char magic[8];
	uint64_t seq;
	uint64_t time_ms;
	uint64_t boot;
	uint32_t dev_index;
	uint32_t pad;
	uint8_t payload[REC_SIZE - 40 - 4];
	uint32_t crc;
};

_Static_assert(sizeof(struct rec) == REC_SIZE, "record size");

static uint32_t crc32c(const void *buf, size_t len)
{
	const uint8_t *p = buf;
	uint32_t crc = ~0u;

	while (len--) {
		crc ^= *p++;
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0x82f63b78u & -(crc & 1));
	}
	return ~crc;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void fill(struct rec *r, uint64_t seq, uint64_t boot, uint32_t idx)
{
	uint64_t x = seq * 0x9e3779b97f4a7c15ull ^ boot ^ idx;

	memset(r, 0, sizeof(*r));
	memcpy(r->magic, MAGIC, 8);
	r->seq = seq;
	r->time_ms = now_ms();
	r->boot = boot;
	r->dev_index = idx;
	for (size_t i = 0; i < sizeof(r->payload); i += 8) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		memcpy(r->payload + i, &x, 8);
	}
	r->crc = crc32c(r, offsetof(struct rec, crc));
}

static uint64_t dev_slots(int fd, const char *path)
{
	uint64_t bytes = 0;

	if (ioctl(fd, BLKGETSIZE64, &bytes) < 0) {
		off_t end = lseek(fd, 0, SEEK_END);

		if (end < 0) {
			fprintf(stderr, "vmrec: %s: size: %m\n", path);
			exit(2);
		}
		bytes = end;
	}
	if (bytes < 2 * REC_SIZE) {
		fprintf(stderr, "vmrec: %s: too small\n", path);
		exit(2);
	}
	return bytes / REC_SIZE;
}

static int do_write(int argc, char **argv)
{
	int fds[MAX_DEVS], ndev = 0, interval = 100, opt;
	uint64_t slots[MAX_DEVS], boot, seq, last_hb = 0;
	struct rec *r;

	while ((opt = getopt(argc, argv, "i:")) != -1) {
		if (opt != 'i')
			return 2;
		interval = atoi(optarg);
	}
	if (optind >= argc || argc - optind > MAX_DEVS) {
		fprintf(stderr, "usage: vmrec write [-i MS] DEV...\n");
		return 2;
	}
	/* GRND_INSECURE: the nested guest has no entropy source; waiting for
	 * the CRNG costs seconds per second of TCG. */
	if (getrandom(&boot, sizeof(boot), 0x0004 /* GRND_INSECURE */) != sizeof(boot))
		boot = now_ms() ^ ((uint64_t)getpid() << 32);
	boot &= 0xffffffffffffull;	/* 12 hex digits */
	for (int i = optind; i < argc; i++) {
		fds[ndev] = open(argv[i], O_RDWR | O_DIRECT | O_DSYNC);
		if (fds[ndev] < 0) {
			fprintf(stderr, "vmrec: %s: %m\n", argv[i]);
			return 2;
		}
		slots[ndev] = dev_slots(fds[ndev], argv[i]);
		ndev++;
	}
	if (posix_memalign((void **)&r, 4096, REC_SIZE))
		return 2;
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("vmrec: start boot=%012" PRIx64 " devices=%d interval=%dms\n",
	       boot, ndev, interval);
	for (seq = 1;; seq++) {
		for (int d = 0; d < ndev; d++) {
			off_t off = (off_t)(seq % slots[d]) * REC_SIZE;

			fill(r, seq, boot, d);
			while (pwrite(fds[d], r, REC_SIZE, off) != REC_SIZE) {
				printf("vmrec: write error dev=%d seq=%" PRIu64 ": %s\n",
				       d, seq, strerror(errno));
				usleep(100000);
				fill(r, seq, boot, d);
			}
		}
		if (now_ms() - last_hb >= 1000) {
			last_hb = now_ms();
			printf("vmrec: hb boot=%012" PRIx64 " seq=%" PRIu64 " t=%" PRIu64 "\n",
			       boot, seq, last_hb);
		}
		if (interval)
			usleep(interval * 1000);
	}
}

/* Records are read 256 at a time: 4 KiB reads cost minutes under TCG. */
#define BATCH 256

static int do_check(int argc, char **argv)
{
	uint64_t min_last = 0, want_boot = 0, boot = 0, nslots, first = 0, last = 0;
	uint64_t n = 0, nbad = 0, *seqs, *times;
	int opt, fd, idx = -1;
	const char *path;
	struct rec *buf;

	while ((opt = getopt(argc, argv, "m:b:")) != -1) {
		if (opt == 'm')
			min_last = strtoull(optarg, NULL, 10);
		else if (opt == 'b')
			want_boot = strtoull(optarg, NULL, 16);
		else
			return 2;
	}
	if (optind != argc - 1) {
		fprintf(stderr, "usage: vmrec check [-m MIN_LAST] [-b BOOT] DEV\n");
		return 2;
	}
	path = argv[optind];
	fd = open(path, O_RDONLY | O_DIRECT);
	if (fd < 0) {
		fprintf(stderr, "vmrec: %s: %m\n", path);
		return 2;
	}
	nslots = dev_slots(fd, path);
	seqs = calloc(nslots, sizeof(*seqs));
	times = calloc(nslots, sizeof(*times));
	if (!seqs || !times || posix_memalign((void **)&buf, 4096, BATCH * REC_SIZE))
		return 2;
#define BAD(...) do { if (nbad++ < 20) printf("vmrec: " __VA_ARGS__); } while (0)
	for (uint64_t base = 0; base < nslots; base += BATCH) {
		uint64_t cnt = nslots - base < BATCH ? nslots - base : BATCH;
		ssize_t got = pread(fd, buf, cnt * REC_SIZE, (off_t)base * REC_SIZE);

		if (got != (ssize_t)(cnt * REC_SIZE)) {
			BAD("%s: slots %" PRIu64 "..%" PRIu64 ": read: %m\n", path, base, base + cnt - 1);
			continue;
		}
		for (uint64_t k = 0; k < cnt; k++) {
			struct rec *r = &buf[k];
			uint64_t s = base + k;

			if (memcmp(r->magic, MAGIC, 8)) {
				int zero = 1;

				for (size_t i = 0; i < REC_SIZE && zero; i++)
					zero = !((uint8_t *)r)[i];
				if (!zero)
					BAD("%s: slot %" PRIu64 ": neither a record nor zeroes\n", path, s);
				continue;
			}
			if (r->crc != crc32c(r, offsetof(struct rec, crc))) {
				BAD("%s: slot %" PRIu64 ": bad checksum (seq %" PRIu64 ")\n",
				    path, s, r->seq);
				continue;
			}
			if (r->seq % nslots != s)
				BAD("%s: slot %" PRIu64 ": holds seq %" PRIu64 "\n", path, s, r->seq);
			if (!boot)
				boot = r->boot;
			if (r->boot != boot)
				BAD("%s: slot %" PRIu64 ": boot %012" PRIx64 ", others %012" PRIx64 "\n",
				    path, s, r->boot, boot);
			if (idx < 0)
				idx = r->dev_index;
			if ((int)r->dev_index != idx)
				BAD("%s: slot %" PRIu64 ": device index %u, others %d\n",
				    path, s, r->dev_index, idx);
			seqs[s] = r->seq;
			times[s] = r->time_ms;
			if (!n || r->seq < first)
				first = r->seq;
			if (!n || r->seq > last)
				last = r->seq;
			n++;
		}
	}
	if (want_boot && boot != want_boot)
		BAD("%s: boot %012" PRIx64 ", expected %012" PRIx64 " (a reboot?)\n",
		    path, boot, want_boot);
	if (!n) {
		BAD("%s: no record\n", path);
	} else if (last - first + 1 != n) {
		BAD("%s: %" PRIu64 " records for seqs %" PRIu64 "..%" PRIu64 ": a gap\n",
		    path, n, first, last);
	} else {
		/* Contiguous: timestamps must not go back along the seqs. */
		for (uint64_t q = first; q <= last; q++) {
			uint64_t s = q % nslots;

			if (seqs[s] != q) {
				BAD("%s: seq %" PRIu64 " missing\n", path, q);
				break;
			}
			if (q > first && times[s] < times[(q - 1) % nslots])
				BAD("%s: seq %" PRIu64 " written before seq %" PRIu64 "\n",
				    path, q, q - 1);
		}
	}
	if (n && last < min_last)
		BAD("%s: last seq %" PRIu64 " < %" PRIu64 " (records lost)\n", path, last, min_last);
	printf("vmrec: check %s boot=%012" PRIx64 " first=%" PRIu64 " last=%" PRIu64
	       " records=%" PRIu64 "%s\n", path, boot, first, last, n, nbad ? " BAD" : "");
	return nbad ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "write"))
		return do_write(argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "check"))
		return do_check(argc - 1, argv + 1);
	fprintf(stderr, "usage: vmrec write [-i MS] DEV... | vmrec check [-m MIN] [-b BOOT] DEV\n");
	return 2;
}
