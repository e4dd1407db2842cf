// SPDX-License-Identifier: GPL-2.0
/*
 * prepare, migrate and evacuate in migrate-dm itself: they run migrate-dm-vm, the
 * same tool with the VM commands linked in (libvirt, libxml2: some sixty
 * shared libraries that every other command would load for nothing),
 * installed next to it.  The command line is passed on as it was given.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "vm.h"

#define VM_BINARY	"migrate-dm-vm"

static int run_vm_binary(void)
{
	char self[PATH_MAX], path[PATH_MAX + 32], buf[65536], *argv[256], *slash;
	ssize_t n, len = 0;
	int fd, argc = 0;

	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
	if (n <= 0 || fd < 0) {
		mdm_err("cannot find where migrate-dm runs from (is /proc mounted?)");
		if (fd >= 0)
			close(fd);
		return MDM_EXIT_ENV;
	}
	self[n] = '\0';
	while (len < (ssize_t)sizeof(buf) - 1 &&
	       (n = read(fd, buf + len, sizeof(buf) - 1 - (size_t)len)) > 0)
		len += n;
	close(fd);
	buf[len] = '\0';
	slash = strrchr(self, '/');
	snprintf(path, sizeof(path), "%.*s/" VM_BINARY, slash ? (int)(slash - self) : 1,
		 slash ? self : ".");
	argv[argc++] = path;
	/* argv[0] as given is replaced; then each NUL-terminated argument. */
	for (n = (ssize_t)strlen(buf) + 1; n < len && argc < 255; n += (ssize_t)strlen(buf + n) + 1)
		argv[argc++] = buf + n;
	argv[argc] = NULL;
	execv(path, argv);
	mdm_err("cannot run %s: %s (the VM commands are in it: 'make tools' builds it, 'make install' installs it next to migrate-dm)",
		path, strerror(errno));
	return MDM_EXIT_ENV;
}

int cmd_prepare(struct opts *o)
{
	(void)o;
	return run_vm_binary();
}

int cmd_migrate(struct opts *o)
{
	(void)o;
	return run_vm_binary();
}

int cmd_evacuate(struct opts *o)
{
	(void)o;
	return run_vm_binary();
}
