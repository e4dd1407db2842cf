// SPDX-License-Identifier: GPL-2.0
/*
 * migrate's pre-flight (vm.h): everything is checked before anything
 * starts, each refusal one line naming the disk and the fix.
 */
#include <stdlib.h>

#include "err.h"
#include "vm.h"

int vm_preflight_source(struct vm_mig *m)
{
	struct opts *o = m->o;
	const char *why;
	int nall, i, r = 0;

	if (!m->src)
		m->src = vm_open(m->vm, NULL, "source");
	if (!m->src)
		return MDM_EXIT_ENV;
	r = vm_lookup(m->src, m->vm, "source", &m->dom, &m->xml);
	if (r)
		return r;
	if (vm_disks_parse(m->vm, m->xml, &m->all, &nall))
		return MDM_EXIT_FAILED;
	m->disks = calloc((size_t)nall + 1, sizeof(*m->disks));
	m->st = calloc((size_t)nall + 1, sizeof(*m->st));
	m->failed = calloc((size_t)nall + 1, sizeof(*m->failed));
	if (!m->disks || !m->st || !m->failed) {
		mdm_err("%s: out of memory", m->vm);
		return MDM_EXIT_FAILED;
	}
	for (i = 0; i < nall; i++) {
		struct vm_disk *d = &m->all[i];

		if (d->skip)
			continue;
		why = vm_disk_unfit(d);
		if (why) {
			mdm_err("%s: disk %s (%s): %s", m->vm, d->target, d->path, why);
			r = MDM_EXIT_VM;
			continue;
		}
		vm_disk_dm_name(d);
		if (o->peer && vm_disk_addr(o->peer, m->n, d->addr, sizeof(d->addr))) {
			mdm_err("%s: invalid --peer '%s': want ADDR, ADDR:PORT or [IPV6]:PORT (disk i goes to PORT+i)",
				m->vm, o->peer);
			return MDM_EXIT_USAGE;
		}
		m->disks[m->n++] = *d;
	}
	if (r)
		return r;
	if (!m->n) {
		mdm_err("%s: the VM has no disk to migrate (only read-only or empty ones): 'virsh migrate' moves it alone",
			m->vm);
		return MDM_EXIT_VM;
	}
	return 0;
}

int vm_preflight(struct vm_mig *m)
{
	struct opts *o = m->o;
	virDomainPtr ddom;
	int r = vm_preflight_source(m);

	if (r)
		return r;
	m->dst = vm_open(m->vm, o->to, "destination");
	if (!m->dst)
		return MDM_EXIT_PEER;
	ddom = virDomainLookupByName(m->dst, m->vm);
	if (ddom) {
		r = virDomainIsActive(ddom) == 1;
		virDomainFree(ddom);
		if (r) {
			mdm_err("%s: the domain already runs on the destination %s: nothing to migrate to",
				m->vm, o->to);
			return MDM_EXIT_VM;
		}
	}
	r = mdm_nl_open(&m->nl);
	if (!r)
		r = mdm_nl_open_events(&m->ev);
	if (!r)
		r = vm_disks_check(m);
	return r;
}
