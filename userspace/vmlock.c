// SPDX-License-Identifier: GPL-2.0
/*
 * One migration per VM on a host: a lock file, RUNDIR/VM.lock, held
 * (flock) by the running migrate, holding its pid and its stage.  abort
 * VM signals that pid (SIGUSR1) and waits for the lock to be released.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "request.h"
#include "vm.h"

#define ABORT_WAIT_S	120

static const char *rundir(void)
{
	const char *d = getenv("MIGRATE_DM_RUNDIR");

	return d && *d ? d : "/run/migrate-dm/vm";
}

static int lock_path(const char *vm, char *buf, size_t len)
{
	if (!*vm || strchr(vm, '/') || vm[0] == '.') {
		mdm_err("%s: unusable domain name for a lock file (no '/', no leading '.')", vm);
		return -1;
	}
	snprintf(buf, len, "%s/%s.lock", rundir(), vm);
	return 0;
}

static void mkdirs(const char *dir)
{
	char buf[512], *p;

	snprintf(buf, sizeof(buf), "%s", dir);
	for (p = buf + 1; *p; p++)
		if (*p == '/') {
			*p = '\0';
			mkdir(buf, 0700);
			*p = '/';
		}
	mkdir(buf, 0700);
}

/* The pid and stage in the lock file. */
static void read_lock(int fd, long *pid, char *stage, size_t len)
{
	char buf[128] = "";
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	char *nl;

	buf[n > 0 ? n : 0] = '\0';
	*pid = strtol(buf, &nl, 10);
	if (*nl == '\n')
		nl++;
	snprintf(stage, len, "%.*s", (int)strcspn(nl, "\n"), nl);
}

void vm_lock_stage(int fd, const char *stage)
{
	char buf[128];
	int n = snprintf(buf, sizeof(buf), "%ld\n%s\n", (long)getpid(), stage);

	if (fd < 0)
		return;
	if (ftruncate(fd, 0) || pwrite(fd, buf, (size_t)n, 0) != n)
		return;	/* abort then reports less, nothing else changes */
}

int vm_lock(const char *vm, int *code)
{
	char path[512], stage[64];
	struct stat a, b;
	long pid;
	int fd;

	*code = MDM_EXIT_ENV;
	if (lock_path(vm, path, sizeof(path)))
		return -1;
	mkdirs(rundir());
	for (;;) {
		fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		if (fd < 0) {
			mdm_err("%s: cannot create the lock file %s: %s (run as root)", vm, path,
				strerror(errno));
			return -1;
		}
		if (flock(fd, LOCK_EX | LOCK_NB)) {
			read_lock(fd, &pid, stage, sizeof(stage));
			mdm_err("%s: a migration of this VM is already running (pid %ld, %s); 'migrate-dm abort %s' stops it",
				vm, pid, stage[0] ? stage : "starting", vm);
			close(fd);
			*code = MDM_EXIT_VM;
			return -1;
		}
		/* Not a file a finishing migration just unlinked? */
		if (!fstat(fd, &a) && !stat(path, &b) && a.st_ino == b.st_ino &&
		    a.st_dev == b.st_dev)
			break;
		close(fd);
	}
	vm_lock_stage(fd, "starting");
	return fd;
}

void vm_unlock(const char *vm, int fd)
{
	char path[512];

	if (fd < 0)
		return;
	if (!lock_path(vm, path, sizeof(path)))
		unlink(path);
	close(fd);
}

/* An open lock file of @vm that a migration holds, or -1. */
static int held_lock(const char *vm)
{
	char path[512];
	int fd;

	if (!*vm || strchr(vm, '/') || vm[0] == '.')
		return -1;
	snprintf(path, sizeof(path), "%s/%s.lock", rundir(), vm);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (!flock(fd, LOCK_SH | LOCK_NB)) {
		close(fd);		/* stale: nobody holds it */
		return -1;
	}
	return fd;
}

bool vm_migrating(const char *vm)
{
	int fd = held_lock(vm);

	if (fd < 0)
		return false;
	close(fd);
	return true;
}

int cmd_vm_abort(struct opts *o)
{
	const char *vm = o->dev_arg;
	int fd = held_lock(vm), i;
	char stage[64];
	long pid;

	if (fd < 0) {
		mdm_err("%s: no migration of this VM runs on this host", vm);
		return MDM_EXIT_NODEV;
	}
	read_lock(fd, &pid, stage, sizeof(stage));
	if (!strcmp(stage, "handoff") || !strcmp(stage, "resume") || !strcmp(stage, "done")) {
		mdm_err("%s: too late to abort: the VM's RAM is on the destination and its disks are being handed off (pid %ld finishes it)",
			vm, pid);
		close(fd);
		return MDM_EXIT_FAILED;
	}
	if (pid <= 0 || kill((pid_t)pid, SIGUSR1)) {
		int e = errno;

		mdm_err("%s: cannot signal the migration (pid %ld): %s", vm, pid,
			pid <= 0 ? "no pid in its lock file" : strerror(e));
		close(fd);
		return pid > 0 && e == EPERM ? MDM_EXIT_ENV : MDM_EXIT_FAILED;
	}
	printf("%s: abort requested (pid %ld, %s)\n", vm, pid, stage);
	fflush(stdout);
	for (i = 0; i < ABORT_WAIT_S * 10 && flock(fd, LOCK_SH | LOCK_NB); i++)
		usleep(100000);
	read_lock(fd, &pid, stage, sizeof(stage));
	close(fd);
	if (i == ABORT_WAIT_S * 10) {
		mdm_err("%s: the migration (pid %ld) has not ended after %d s (stage %s); see its output",
			vm, pid, ABORT_WAIT_S, stage);
		return MDM_EXIT_FAILED;
	}
	if (strcmp(stage, "aborted")) {
		mdm_err("%s: the migration ended as '%s', not aborted; see its output", vm, stage);
		return MDM_EXIT_FAILED;
	}
	printf("%s: migration aborted; the VM runs on the source, its disks track again\n", vm);
	return 0;
}
