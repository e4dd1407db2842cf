// SPDX-License-Identifier: GPL-2.0
/* libvirt connections, their errors and their event loop (vm.h). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <libvirt/virterror.h>

#include "err.h"
#include "vm.h"

/* Ours are one line each and name the VM; libvirt's would repeat them. */
static void quiet(void *arg, virErrorPtr e)
{
	(void)arg;
	(void)e;
}

static void *event_loop(void *arg)
{
	(void)arg;
	for (;;)
		if (virEventRunDefaultImpl() < 0)
			break;
	return NULL;
}

int vm_libvirt_init(void)
{
	static bool done;
	pthread_t t;

	if (done)
		return 0;
	virSetErrorFunc(NULL, quiet);
	/* Before any connection: events and keepalive run in this loop. */
	if (virInitialize() < 0 || virEventRegisterDefaultImpl() < 0 ||
	    pthread_create(&t, NULL, event_loop, NULL)) {
		mdm_err("cannot start libvirt's event loop: %s", vm_lasterr());
		return MDM_EXIT_ENV;
	}
	pthread_detach(t);
	done = true;
	return 0;
}

const char *vm_lasterr(void)
{
	const char *m = virGetLastErrorMessage();

	return m ? m : "unknown error";
}

virConnectPtr vm_open(const char *vm, const char *uri, const char *role)
{
	virConnectPtr c = virConnectOpen(uri);

	if (!c) {
		mdm_err("%s: cannot reach the %s libvirt %s: %s; check the URI and that libvirtd runs there",
			vm, role, uri ? uri : "(default)", vm_lasterr());
		return NULL;
	}
	/*
	 * A dead peer daemon is noticed in about 15 s (not every driver has
	 * keepalive: the test and local drivers answer -1 or 1, both fine).
	 */
	virConnectSetKeepAlive(c, 5, 3);
	return c;
}

int vm_lookup(virConnectPtr conn, const char *vm, const char *where,
	      virDomainPtr *dom, char **xml)
{
	*dom = virDomainLookupByName(conn, vm);
	*xml = NULL;
	if (!*dom) {
		mdm_err("%s: no such domain on the %s libvirt (virsh list --all)", vm, where);
		return MDM_EXIT_NODEV;
	}
	if (virDomainIsActive(*dom) != 1) {
		mdm_err("%s: the domain is not running on the %s libvirt: start it, or migrate nothing",
			vm, where);
		goto fail;
	}
	*xml = virDomainGetXMLDesc(*dom, 0);
	if (!*xml) {
		mdm_err("%s: cannot read the domain's XML from the %s libvirt: %s", vm, where,
			vm_lasterr());
		goto fail;
	}
	return 0;
fail:
	virDomainFree(*dom);
	*dom = NULL;
	return MDM_EXIT_FAILED;
}
