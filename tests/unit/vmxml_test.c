// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for userspace/vmxml.c: which disks of a domain migrate-dm
 * moves, which it refuses and why, and the receivers' addresses.
 */
#include <stdlib.h>
#include <string.h>

#include "vm.h"
#include "kselftest.h"

static const char *xml =
	"<domain type='kvm'><name>vm1</name><devices>"
	"<disk type='block' device='disk'><driver name='qemu' type='raw' cache='none'/>"
	"<source dev='/dev/mapper/vm1-a'/><target dev='vda' bus='virtio'/></disk>"
	"<disk type='block' device='disk'><driver name='qemu' type='raw' cache='writeback'/>"
	"<source dev='/dev/mapper/vm1-b'/><target dev='vdb' bus='virtio'/></disk>"
	"<disk type='file' device='disk'><driver name='qemu' type='raw' cache='none'/>"
	"<source file='/dev/mapper/vm1-c'/><target dev='vdc' bus='virtio'/></disk>"
	"<disk type='block' device='disk'><driver name='qemu' type='qcow2' cache='none'/>"
	"<source dev='/dev/mapper/vm1-d'/><target dev='vdd' bus='virtio'/></disk>"
	"<disk type='block' device='disk'><driver name='qemu' type='raw' cache='directsync'/>"
	"<source dev='/dev/mapper/vm1-e'/><target dev='vde' bus='virtio'/><shareable/></disk>"
	"<disk type='block' device='disk'><driver name='qemu' type='raw' cache='directsync'/>"
	"<source dev='/dev/vg/vm1-f'/><target dev='vdf' bus='virtio'/></disk>"
	"<disk type='file' device='cdrom'><driver name='qemu' type='raw'/>"
	"<target dev='hdc' bus='ide'/><readonly/></disk>"
	"<disk type='block' device='disk'><driver name='qemu' type='raw' cache='none'/>"
	"<source dev='/dev/mapper/vm1-h'/><target dev='vdh' bus='virtio'/><readonly/></disk>"
	"</devices></domain>";

static void unfit(const struct vm_disk *d, const char *target, const char *want)
{
	const char *why = vm_disk_unfit(d);

	ksft_test_result(!strcmp(d->target, target) &&
			 (want ? why && strstr(why, want) : !why),
			 "disk %s: %s\n", d->target, why ? why : "fit");
}

static void addr(const char *base, int i, const char *want)
{
	char out[80] = "";
	int r = vm_disk_addr(base, i, out, sizeof(out));

	ksft_test_result(want ? !r && !strcmp(out, want) : r == -1,
			 "address \"%s\" + %d -> %s\n", base, i, r ? "invalid" : out);
}

int main(void)
{
	struct vm_disk *d;
	int n;

	ksft_print_header();
	ksft_set_plan(22);
	ksft_test_result(!vm_disks_parse("vm1", xml, &d, &n) && n == 8, "eight disks\n");
	unfit(&d[0], "vda", NULL);
	unfit(&d[1], "vdb", "cache");
	unfit(&d[2], "vdc", "type='block'");
	unfit(&d[3], "vdd", "not raw");
	unfit(&d[4], "vde", "shareable");
	unfit(&d[5], "vdf", "/dev/mapper");
	ksft_test_result(!d[0].skip && d[6].skip && d[7].skip,
			 "the CD-ROM and the read-only disk are skipped, the others not\n");
	ksft_test_result(!vm_disk_dm_name(&d[0]) && !strcmp(d[0].name, "vm1-a") &&
			 vm_disk_dm_name(&d[5]) == -1, "dm names from /dev/mapper paths\n");
	free(d);
	ksft_test_result(vm_disks_parse("vm1", "<network/>", &d, &n) == -1 && !d,
			 "not a domain: refused\n");
	ksft_test_result(vm_disks_parse("vm1", "<domain><devices>", &d, &n) == -1,
			 "malformed XML: refused\n");
	ksft_test_result(!vm_disks_parse("vm1", "<domain/>", &d, &n) && !n,
			 "no devices: no disks\n");
	free(d);
	addr("198.18.0.2", 0, "198.18.0.2:7788");
	addr("198.18.0.2", 2, "198.18.0.2:7790");
	addr("198.18.0.2:9000", 1, "198.18.0.2:9001");
	addr("dst.example", 0, "dst.example:7788");
	addr("fd00::2", 1, "[fd00::2]:7789");
	addr("[fd00::2]:9000", 0, "[fd00::2]:9000");
	addr("[fd00::2]", 0, "[fd00::2]:7788");
	addr("198.18.0.2:65535", 1, NULL);
	addr("198.18.0.2:x", 0, NULL);
	addr(":9000", 0, NULL);
	ksft_finished();
}
