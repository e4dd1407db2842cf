// SPDX-License-Identifier: GPL-2.0
/*
 * inflight: check the in-flight invariant of the migrate target (see
 * kmod/target.c).  A writer thread writes one chunk once per round; the
 * checker, at a random moment during that write, clears the chunk's bit
 * and reads the chunk.  After the write completed, either the read saw the
 * write's data or the bit must be set again.
 *
 * Run it over an origin whose writes are slow (dm-delay) so that the clear
 * often falls inside the write.  Prints kselftest TAP.
 *
 * Usage: inflight DM_NAME CHUNK_INDEX CHUNK_BYTES ROUNDS
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "kselftest.h"
#include "dmmsg.h"

static int fd;
static off_t chunk_off;
static size_t chunk_len;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static uint64_t go_seq, done_seq;

static void *writer(void *arg)
{
	uint64_t seq, *buf;
	size_t i;

	(void)arg;
	if (posix_memalign((void **)&buf, 4096, chunk_len))
		return NULL;
	for (;;) {
		pthread_mutex_lock(&lock);
		while (go_seq == done_seq)
			pthread_cond_wait(&cond, &lock);
		seq = go_seq;
		pthread_mutex_unlock(&lock);
		if (seq == UINT64_MAX)
			break;
		for (i = 0; i < chunk_len / sizeof(*buf); i++)
			buf[i] = seq;
		if (pwrite(fd, buf, chunk_len, chunk_off) != (ssize_t)chunk_len)
			ksft_exit_fail_msg("write: %m\n");
		pthread_mutex_lock(&lock);
		done_seq = seq;
		pthread_cond_broadcast(&cond);
		pthread_mutex_unlock(&lock);
	}
	free(buf);
	return NULL;
}

static uint64_t read_seq(uint64_t *buf)
{
	size_t i;

	if (pread(fd, buf, chunk_len, chunk_off) != (ssize_t)chunk_len)
		ksft_exit_fail_msg("read: %m\n");
	/* A torn read (part old, part new) counts as not seeing the write. */
	for (i = 1; i < chunk_len / sizeof(*buf); i++)
		if (buf[i] != buf[0])
			return 0;
	return buf[0];
}

int main(int argc, char **argv)
{
	unsigned long long chunk, rounds, r, raced = 0, missed = 0;
	char path[256], msg[64], resp[256], want[32];
	uint64_t *buf, seen;
	pthread_t tid;

	if (argc != 5)
		ksft_exit_fail_msg("usage: inflight DM_NAME CHUNK CHUNK_BYTES ROUNDS\n");
	chunk = strtoull(argv[2], NULL, 0);
	chunk_len = strtoull(argv[3], NULL, 0);
	rounds = strtoull(argv[4], NULL, 0);
	chunk_off = chunk * chunk_len;
	snprintf(path, sizeof(path), "/dev/mapper/%s", argv[1]);

	ksft_print_header();
	ksft_set_plan(1);
	fd = open(path, O_RDWR | O_DIRECT);
	if (fd < 0)
		ksft_exit_fail_msg("open %s: %m\n", path);
	if (posix_memalign((void **)&buf, 4096, chunk_len))
		ksft_exit_fail_msg("out of memory\n");
	pthread_create(&tid, NULL, writer, NULL);
	srand(getpid());
	snprintf(want, sizeof(want), "%llu", chunk);

	for (r = 1; r <= rounds; r++) {
		struct timespec ts = { 0, (rand() % 30000) * 1000L };

		pthread_mutex_lock(&lock);
		go_seq = r;
		pthread_cond_broadcast(&cond);
		pthread_mutex_unlock(&lock);

		nanosleep(&ts, NULL);
		snprintf(msg, sizeof(msg), "clear_dirty %llu", chunk);
		if (dm_message(argv[1], msg, NULL, 0))
			ksft_exit_fail_msg("message '%s' failed\n", msg);
		seen = read_seq(buf);

		pthread_mutex_lock(&lock);
		while (done_seq != r)
			pthread_cond_wait(&cond, &lock);
		pthread_mutex_unlock(&lock);

		snprintf(msg, sizeof(msg), "dirty_ranges %llu 1", chunk);
		if (dm_message(argv[1], msg, resp, sizeof(resp)))
			ksft_exit_fail_msg("message '%s' failed\n", msg);
		if (seen != r) {
			raced++;
			/* The read missed write r: the chunk must be dirty. */
			if (strncmp(resp, want, strlen(want)) ||
			    (resp[strlen(want)] && resp[strlen(want)] != ',' &&
			     resp[strlen(want)] != '-' && resp[strlen(want)] != ' '))
				missed++;
		}
	}

	pthread_mutex_lock(&lock);
	go_seq = UINT64_MAX;
	pthread_cond_broadcast(&cond);
	pthread_mutex_unlock(&lock);
	pthread_join(tid, NULL);

	ksft_print_msg("%llu rounds, %llu reads missed the write in flight, %llu of those left the chunk clean\n",
		       rounds, raced, missed);
	ksft_test_result(!missed && raced, "in-flight writes re-mark cleared chunks\n");
	ksft_finished();
}
