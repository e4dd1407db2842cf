// SPDX-License-Identifier: GPL-2.0
/*
 * prepare VM (destination): for every disk of the VM on the source
 * libvirt, a receiving migrate device of the same /dev/mapper name over
 * VOLUME_DIR/NAME, listening on ADDR:PORT+i.  Idempotent; --cancel
 * removes what prepare made (the devices whose uuid it set).
 */
#include <stdio.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dmdev.h"
#include "err.h"
#include "request.h"
#include "show.h"
#include "units.h"
#include "vm.h"

#define UUID_PREFIX	"mdm-prepare:"

static void uuid_prefix(const char *vm, char *buf, size_t len)
{
	snprintf(buf, len, UUID_PREFIX "%s:", vm);
}

/* The disks the source's migrate would move, in its order; says why not. */
static int wanted_disks(struct opts *o, virDomainPtr dom, const char *xml,
			struct vm_disk **out, int *n)
{
	struct vm_disk *all;
	virDomainBlockInfo bi;
	const char *why;
	int nall, i, r = 0;

	if (vm_disks_parse(o->dev_arg, xml, &all, &nall))
		return MDM_EXIT_FAILED;
	*out = all;
	*n = 0;
	for (i = 0; i < nall; i++) {
		struct vm_disk d = all[i];

		if (d.skip)
			continue;
		why = vm_disk_unfit(&d);
		if (why) {
			mdm_err("%s: disk %s (%s): %s", o->dev_arg, d.target, d.path, why);
			r = MDM_EXIT_VM;
			continue;
		}
		vm_disk_dm_name(&d);
		if (vm_disk_addr(o->listen, *n, d.addr, sizeof(d.addr))) {
			mdm_err("%s: invalid --listen '%s': want ADDR, ADDR:PORT or [IPV6]:PORT (disk i listens on PORT+i)",
				o->dev_arg, o->listen);
			return MDM_EXIT_USAGE;
		}
		if (virDomainGetBlockInfo(dom, d.target, &bi, 0) < 0) {
			mdm_err("%s: disk %s: cannot read its size from the source libvirt: %s",
				o->dev_arg, d.target, vm_lasterr());
			return MDM_EXIT_FAILED;
		}
		d.bytes = bi.capacity;
		all[(*n)++] = d;
	}
	if (!r && !*n) {
		mdm_err("%s: the VM has no disk to migrate (only read-only or empty ones)", o->dev_arg);
		r = MDM_EXIT_VM;
	}
	return r;
}

/* Every destination volume there and of the source's size; says why not. */
static int check_volumes(struct opts *o, struct vm_disk *d, int n)
{
	uint64_t want, have;
	char vol[512], a[32];
	int i, e;

	for (i = 0; i < n; i++) {
		want = d[i].bytes;
		snprintf(vol, sizeof(vol), "%s/%s", o->volume_dir, d[i].name);
		e = mdm_blockdev_size(vol, &have);
		if (e) {
			mdm_err("%s: disk %s: no destination volume %s (%s): create it, %s, e.g. lvcreate -L %lluB -n %s VG",
				o->dev_arg, d[i].target, vol, strerror(-e),
				mdm_fmt_size(want, a, sizeof(a)), (unsigned long long)want,
				d[i].name);
			return MDM_EXIT_NODEV;
		}
		if (have != want || want % 512) {
			mdm_err("%s: disk %s: %s is %llu bytes, the source's disk %llu: make them the same size",
				o->dev_arg, d[i].target, vol, (unsigned long long)have,
				(unsigned long long)want);
			return MDM_EXIT_VM;
		}
	}
	return 0;
}

/* One disk: its device (made, or found made) listening at its address. */
static int prepare_disk(struct opts *o, struct mdm_nl *nl, struct vm_disk *d)
{
	char uuid[MDM_UUID_LEN], want[MDM_UUID_LEN], vol[512];
	struct mdm_status st;
	struct opts r_o;
	int open_count, r, e;

	uuid_prefix(o->dev_arg, want, sizeof(want));
	if (strlen(want) + strlen(d->name) >= sizeof(want)) {
		mdm_err("%s: disk %s: the VM's and the device's names together are too long for a device-mapper uuid (%d characters at most)",
			o->dev_arg, d->target, (int)(sizeof(want) - 1 - strlen(UUID_PREFIX) - 1));
		return MDM_EXIT_USAGE;
	}
	strcat(want, d->name);
	snprintf(vol, sizeof(vol), "%s/%s", o->volume_dir, d->name);
	e = mdm_dev_info(d->name, uuid, sizeof(uuid), &open_count);
	if (e < 0) {
		mdm_err("%s: disk %s: cannot ask device-mapper about %s (run as root)",
			o->dev_arg, d->target, d->name);
		return MDM_EXIT_ENV;
	}
	if (e == 0) {
		r = mdm_dev_create(d->name, want, vol, d->bytes / 512, o->chunk_sectors, true);
		if (r)
			return r;
	} else if (strcmp(uuid, want)) {
		mdm_err("%s: disk %s: /dev/mapper/%s exists and was not made by 'prepare %s': remove it (dmsetup remove %s) or rename it",
			o->dev_arg, d->target, d->name, o->dev_arg, d->name);
		return MDM_EXIT_FAILED;
	}
	r = mdm_dev_resolve(d->name, &d->dev);
	if (r)
		return r;
	r_o = *o;
	r_o.dev = d->dev;
	r = get_status(nl, &r_o, &st);
	if (r)
		return r;
	if (st.phase != DM_MIGRATE_MODE_RECEIVING) {
		mdm_err("%s: disk %s: %s is %s, not receiving: the source handed it off already and this host owns it (nothing changed)",
			o->dev_arg, d->target, d->name, mdm_phase_name(st.phase));
		return MDM_EXIT_FAILED;
	}
	if (st.role == DM_MIGRATE_ROLE_DEST) {
		printf("%s: disk %s: /dev/mapper/%s over %s already listening on %s\n",
		       o->dev_arg, d->target, d->name, vol, st.peer);
		return 0;
	}
	r_o.listen = d->addr;
	r_o.to = NULL;
	r = cmd_receive(&r_o);
	if (!r)
		printf("%s: disk %s: /dev/mapper/%s over %s listening on %s\n",
		       o->dev_arg, d->target, d->name, vol, d->addr);
	return r;
}

struct cancel {
	struct opts *o;
	struct mdm_nl nl;
	int removed, refused;
};

static void cancel_one(const char *name, void *arg)
{
	struct cancel *c = arg;
	struct opts d = *c->o;
	char uuid[MDM_UUID_LEN];
	struct mdm_status st;
	int open_count = 0;

	if (mdm_dev_resolve(name, &d.dev) || get_status(&c->nl, &d, &st)) {
		c->refused++;
		return;
	}
	if (st.phase != DM_MIGRATE_MODE_RECEIVING) {
		mdm_err("%s: %s owns its volume (the source handed it off, phase %s): not removed",
			c->o->dev_arg, name, mdm_phase_name(st.phase));
		c->refused++;
		return;
	}
	if (mdm_dev_info(name, uuid, sizeof(uuid), &open_count) == 1 && open_count) {
		mdm_err("%s: %s is open (by the destination's QEMU? the migration may be under way): not removed; retry once it is closed",
			c->o->dev_arg, name);
		c->refused++;
		return;
	}
	if (st.role == DM_MIGRATE_ROLE_DEST)
		simple_request(&d, DM_MIGRATE_CMD_ABORT, "abort", NULL);
	if (mdm_dev_remove(name)) {
		c->refused++;
		return;
	}
	printf("%s: removed /dev/mapper/%s\n", c->o->dev_arg, name);
	c->removed++;
}

static int prepare_cancel(struct opts *o)
{
	struct cancel c = { .o = o };
	char prefix[MDM_UUID_LEN];
	int r = mdm_nl_open(&c.nl);

	if (r)
		return r;
	uuid_prefix(o->dev_arg, prefix, sizeof(prefix));
	r = mdm_dev_each_uuid(prefix, cancel_one, &c);
	mdm_nl_close(&c.nl);
	if (r)
		return r;
	if (!c.removed && !c.refused)
		printf("%s: nothing prepared on this host\n", o->dev_arg);
	return c.refused ? MDM_EXIT_FAILED : 0;
}

int cmd_prepare(struct opts *o)
{
	struct vm_disk *disks = NULL;
	virConnectPtr src = NULL;
	virDomainPtr dom = NULL;
	struct mdm_nl nl = { 0 };
	char *xml = NULL;
	int n = 0, r, i;

	if (o->cancel)
		return prepare_cancel(o);
	if (!o->key_file == !o->key_desc) {
		mdm_err("%s: prepare: give one of --key-file and --key-desc", o->dev_arg);
		return MDM_EXIT_USAGE;
	}
	r = vm_libvirt_init();
	if (r)
		return r;
	src = vm_open(o->dev_arg, o->from, "source");
	if (!src)
		return MDM_EXIT_PEER;
	r = vm_lookup(src, o->dev_arg, "source", &dom, &xml);
	if (!r)
		r = wanted_disks(o, dom, xml, &disks, &n);
	if (!r)
		r = check_volumes(o, disks, n);
	if (!r)
		r = mdm_nl_open(&nl);
	for (i = 0; !r && i < n; i++) {
		r = prepare_disk(o, &nl, &disks[i]);
		if (r)
			mdm_err("%s: prepare stopped at disk %s; what it made stays (run prepare again once fixed, or 'migrate-dm prepare %s --cancel')",
				o->dev_arg, disks[i].target, o->dev_arg);
	}
	if (nl.sk)
		mdm_nl_close(&nl);
	free(disks);
	free(xml);
	if (dom)
		virDomainFree(dom);
	virConnectClose(src);
	return r;
}
