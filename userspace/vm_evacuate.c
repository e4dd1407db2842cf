// SPDX-License-Identifier: GPL-2.0
/*
 * evacuate HOST-URI --to URI[,URI...] --dry-run: the plan of moving every
 * running VM of a host.  Gathers what plan.c needs through libvirt: each
 * running VM of the source (migrate's pre-flight of its disks, and of its
 * devices when the module answers here), its vCPUs, memory and disk
 * sizes; each destination's free vCPUs and memory (its node less its
 * running domains) and the free space of its largest active storage
 * pool.  Then places, predicts, orders and prints the plan (plan.h).
 * docs/migrate-dm.8, "evacuate".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <json-c/json.h>

#include "err.h"
#include "plan.h"
#include "request.h"
#include "units.h"
#include "vm.h"

#define MAX_DESTS	32
/* The link's rate when --rate is not given: 1 Gbit/s. */
#define DEFAULT_RATE	125000000ULL

struct dest {
	const char *uri;
	virConnectPtr c;
	uint64_t node_free;		/* virNodeGetFreeMemory(); 0: not known */
	uint64_t cpus, mem;		/* the node's */
	char pool[64];			/* where free.disk is from; "": none */
};

struct evac {
	struct opts *o;
	const char *host;
	virConnectPtr src;
	struct dest d[MAX_DESTS];
	struct plan_dest pd[MAX_DESTS];
	int nd;
	struct plan_vm *vms;
	int n;
	struct mdm_nl nl;		/* when the module answers here */
	bool devices;			/* the devices were checked */
	uint64_t rate, each;
	int parallel;
};

/* --to's URIs; refuses the source among them and a URI twice. */
static int split_dests(struct evac *e, char *list)
{
	char *save = NULL, *u;
	int i;

	for (u = strtok_r(list, ",", &save); u; u = strtok_r(NULL, ",", &save)) {
		if (!*u)
			continue;
		if (e->nd == MAX_DESTS) {
			mdm_err("evacuate: more than %d destinations in --to", MAX_DESTS);
			return MDM_EXIT_USAGE;
		}
		if (!strcmp(u, e->host)) {
			mdm_err("evacuate: %s is the host evacuated: not a destination", u);
			return MDM_EXIT_USAGE;
		}
		for (i = 0; i < e->nd; i++)
			if (!strcmp(e->d[i].uri, u)) {
				mdm_err("evacuate: destination %s given twice in --to", u);
				return MDM_EXIT_USAGE;
			}
		e->d[e->nd++].uri = u;
	}
	if (!e->nd) {
		mdm_err("evacuate: --to names no destination");
		return MDM_EXIT_USAGE;
	}
	return 0;
}

/* vCPUs and memory (bytes) of the running domains of @c; -1 if unknown. */
static int running_use(virConnectPtr c, uint64_t *vcpus, uint64_t *mem)
{
	virDomainPtr *doms = NULL;
	virDomainInfo info;
	int n, i;

	*vcpus = 0;
	*mem = 0;
	n = virConnectListAllDomains(c, &doms, VIR_CONNECT_LIST_DOMAINS_ACTIVE);
	if (n < 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (!virDomainGetInfo(doms[i], &info)) {
			*vcpus += info.nrVirtCpu;
			*mem += (uint64_t)info.maxMem * 1024;
		}
		virDomainFree(doms[i]);
	}
	free(doms);
	return 0;
}

/* The free space of @c's largest active storage pool in *@bytes. */
static void largest_pool(virConnectPtr c, char *name, size_t len, uint64_t *bytes)
{
	virStoragePoolPtr *pools = NULL;
	virStoragePoolInfo info;
	int n, i;

	name[0] = '\0';
	*bytes = 0;
	n = virConnectListAllStoragePools(c, &pools, VIR_CONNECT_LIST_STORAGE_POOLS_ACTIVE);
	for (i = 0; i < n; i++) {
		if (!virStoragePoolGetInfo(pools[i], &info) && (!name[0] || info.available > *bytes)) {
			*bytes = info.available;
			snprintf(name, len, "%s", virStoragePoolGetName(pools[i]));
		}
		virStoragePoolFree(pools[i]);
	}
	free(pools);
}

static int read_dest(struct evac *e, int i)
{
	struct dest *d = &e->d[i];
	struct plan_dest *p = &e->pd[i];
	virNodeInfo ni;
	uint64_t vcpus, mem;

	d->c = vm_open("evacuate", d->uri, "destination");
	if (!d->c)
		return MDM_EXIT_PEER;
	if (virNodeGetInfo(d->c, &ni) < 0 || running_use(d->c, &vcpus, &mem) < 0) {
		mdm_err("evacuate: cannot read the capacity of the destination %s: %s",
			d->uri, vm_lasterr());
		return MDM_EXIT_PEER;
	}
	snprintf(p->name, sizeof(p->name), "%s", d->uri);
	d->cpus = ni.cpus;
	d->mem = (uint64_t)ni.memory * 1024;
	d->node_free = virNodeGetFreeMemory(d->c);
	/* What the running domains may take: no overcommit. */
	p->free.vcpus = d->cpus > vcpus ? d->cpus - vcpus : 0;
	p->free.mem = d->mem > mem ? d->mem - mem : 0;
	largest_pool(d->c, d->pool, sizeof(d->pool), &p->free.disk);
	if (!d->pool[0]) {
		mdm_err("evacuate: warning: the destination %s has no active storage pool in libvirt: its disk space is not checked",
			d->uri);
		p->free.disk = UINT64_MAX / 4;
	}
	return 0;
}

/* The devices' checks and dirty rates, when the module answers here. */
static void read_devices(struct evac *e, struct vm_mig *m, struct plan_vm *v, int *r)
{
	struct mdm_status st;
	struct opts d;
	int i;

	if (!e->devices)
		return;
	m->nl = e->nl;
	*r = vm_disks_check(m);
	if (*r)
		return;
	for (i = 0; i < m->n; i++) {
		d = *m->o;
		d.dev = m->disks[i].dev;
		d.dev_arg = m->disks[i].name;
		if (get_status(&e->nl, &d, &st))
			continue;
		v->dirty_rate += st.dirty_rate;
		if (st.chunk_bytes > v->chunk_bytes)
			v->chunk_bytes = st.chunk_bytes;
	}
}

/* One running VM of the source: pre-flight, then its requirements. */
static int read_vm(struct evac *e, const char *name, struct plan_vm *v)
{
	struct opts o = *e->o;
	struct vm_mig m = { .vm = name, .o = &o, .src = e->src };
	virDomainBlockInfo bi;
	virDomainInfo info;
	virDomainPtr dd;
	int i, r;

	o.peer = NULL;
	o.to = NULL;
	snprintf(v->name, sizeof(v->name), "%s", name);
	r = vm_preflight_source(&m);
	for (i = 0; !r && i < e->nd; i++) {
		dd = virDomainLookupByName(e->d[i].c, name);
		if (dd && virDomainIsActive(dd) == 1) {
			mdm_err("%s: the domain already runs on the destination %s: nothing to migrate to",
				name, e->d[i].uri);
			r = MDM_EXIT_VM;
		}
		if (dd)
			virDomainFree(dd);
	}
	if (!r && virDomainGetInfo(m.dom, &info) < 0) {
		mdm_err("%s: cannot read its vCPUs and memory from the source libvirt: %s",
			name, vm_lasterr());
		r = MDM_EXIT_FAILED;
	}
	if (!r) {
		v->req.vcpus = info.nrVirtCpu;
		v->req.mem = (uint64_t)info.maxMem * 1024;
	}
	for (i = 0; !r && i < m.n; i++) {
		if (virDomainGetBlockInfo(m.dom, m.disks[i].target, &bi, 0) < 0) {
			mdm_err("%s: disk %s: cannot read its size from the source libvirt: %s",
				name, m.disks[i].target, vm_lasterr());
			r = MDM_EXIT_FAILED;
		} else {
			v->req.disk += bi.capacity;
		}
	}
	if (!r)
		read_devices(e, &m, v, &r);
	if (m.dom)
		virDomainFree(m.dom);
	free(m.all);
	free(m.xml);
	free(m.disks);
	free(m.st);
	free(m.failed);
	return r;
}

/* Every running VM of the source, checked; 0 or an exit code. */
static int read_vms(struct evac *e)
{
	virDomainPtr *doms = NULL;
	int n, i, r, bad = 0, code = 0;

	n = virConnectListAllDomains(e->src, &doms, VIR_CONNECT_LIST_DOMAINS_ACTIVE);
	if (n < 0) {
		mdm_err("evacuate: cannot list the running domains of %s: %s", e->host,
			vm_lasterr());
		return MDM_EXIT_FAILED;
	}
	e->vms = calloc((size_t)n + 1, sizeof(*e->vms));
	if (!e->vms) {
		mdm_err("evacuate: out of memory");
		code = MDM_EXIT_FAILED;
	}
	for (i = 0; i < n; i++) {
		/* Every VM's refusal is said; anything else stops at once. */
		r = code ? 0 : read_vm(e, virDomainGetName(doms[i]), &e->vms[e->n]);
		if (!code && !r)
			e->n++;
		else if (r == MDM_EXIT_VM || r == MDM_EXIT_NODEV || r == MDM_EXIT_FAILED)
			bad++;
		else
			code = code ? code : r;
		virDomainFree(doms[i]);
	}
	free(doms);
	if (code)
		return code;
	if (bad) {
		mdm_err("evacuate: %d VM%s of %s refused by the pre-flight (above): nothing planned",
			bad, bad == 1 ? "" : "s", e->host);
		return MDM_EXIT_VM;
	}
	return 0;
}

static const char *dur(uint64_t ms, char *buf, size_t len)
{
	return mdm_fmt_duration(ms, buf, len);
}

static void print_text(struct evac *e, const int *seq, int count, uint64_t end)
{
	char a[32], b[32], c[32], f[96];
	int i, j, late = 0;

	printf("evacuate %s: %d running VM%s to %d destination%s, order %s, %d at once\n",
	       e->host, e->n, e->n == 1 ? "" : "s", e->nd, e->nd == 1 ? "" : "s",
	       plan_order_name(e->o->order), e->parallel);
	printf("link %s/s%s, %s/s for each migration; the disks' devices %s\n",
	       mdm_fmt_size(e->rate, a, sizeof(a)),
	       GIVEN(e->o, O_RATE) && e->o->rate ? "" : " (assumed: --rate)",
	       mdm_fmt_size(e->each, b, sizeof(b)),
	       e->devices ? "checked, dirty rates measured" :
	       "not checked and dirty rates taken as 0 (no dm-migrate module here)");
	printf("\nplaced / free   %-9s %-21s %-28s %s\n", "vCPUs", "memory", "disk", "destination");
	for (j = 0; j < e->nd; j++) {
		const struct plan_dest *p = &e->pd[j];
		char m[64], g[32];

		snprintf(m, sizeof(m), "%s / %s", mdm_fmt_size(p->used.mem, a, sizeof(a)),
			 mdm_fmt_size(p->free.mem, b, sizeof(b)));
		if (e->d[j].pool[0])
			snprintf(f, sizeof(f), "%s / %s (%s)", mdm_fmt_size(p->used.disk, c, sizeof(c)),
				 mdm_fmt_size(p->free.disk, g, sizeof(g)), e->d[j].pool);
		else
			snprintf(f, sizeof(f), "%s / not checked",
				 mdm_fmt_size(p->used.disk, c, sizeof(c)));
		snprintf(g, sizeof(g), "%llu / %llu", (unsigned long long)p->used.vcpus,
			 (unsigned long long)p->free.vcpus);
		printf("%-15s %-9s %-21s %-28s %s\n", "", g, m, f, p->name);
	}
	printf("\n%3s %-20s %-40s %4s %8s %9s %8s\n", "#", "VM", "destination", "run", "start",
	       "predicted", "end");
	for (i = 0; i < count; i++) {
		const struct plan_vm *v = &e->vms[seq[i]];

		late += v->late;
		printf("%3d %-20s %-40s %4d %8s %9s %8s%s\n", i + 1, v->name,
		       e->pd[v->dest].name, v->slot + 1, dur(v->start_ms, a, sizeof(a)),
		       v->predicted ? dur(v->predict_ms, b, sizeof(b)) : "?",
		       dur(v->end_ms, c, sizeof(c)), v->late ? "  late" : "");
	}
	printf("\npredicted total %s", dur(end, a, sizeof(a)));
	if (e->o->deadline_ms)
		printf(", deadline %s: %s", dur(e->o->deadline_ms, b, sizeof(b)),
		       late ? "missed" : "met");
	if (late)
		printf(" (%d VM%s late)", late, late == 1 ? "" : "s");
	printf("\ndry run: nothing was started\n");
}

static void print_json(struct evac *e, const int *seq, int count, uint64_t end)
{
	struct json_object *root = json_object_new_object(), *ds = json_object_new_array();
	struct json_object *vs = json_object_new_array(), *x;
	int i;

	json_object_object_add(root, "host", json_object_new_string(e->host));
	json_object_object_add(root, "order",
			       json_object_new_string(plan_order_name(e->o->order)));
	json_object_object_add(root, "parallel", json_object_new_int(e->parallel));
	json_object_object_add(root, "rate", json_object_new_int64((int64_t)e->rate));
	json_object_object_add(root, "rate_each", json_object_new_int64((int64_t)e->each));
	json_object_object_add(root, "devices_checked", json_object_new_boolean(e->devices));
	json_object_object_add(root, "total_ms", json_object_new_int64((int64_t)end));
	if (e->o->deadline_ms)
		json_object_object_add(root, "deadline_ms",
				       json_object_new_int64((int64_t)e->o->deadline_ms));
	for (i = 0; i < e->nd; i++) {
		const struct plan_dest *p = &e->pd[i];

		x = json_object_new_object();
		json_object_object_add(x, "uri", json_object_new_string(p->name));
		json_object_object_add(x, "vcpus_free", json_object_new_int64((int64_t)p->free.vcpus));
		json_object_object_add(x, "memory_free", json_object_new_int64((int64_t)p->free.mem));
		if (e->d[i].pool[0]) {
			json_object_object_add(x, "disk_free",
					       json_object_new_int64((int64_t)p->free.disk));
			json_object_object_add(x, "pool", json_object_new_string(e->d[i].pool));
		}
		if (e->d[i].node_free)
			json_object_object_add(x, "node_free_memory",
					       json_object_new_int64((int64_t)e->d[i].node_free));
		json_object_array_add(ds, x);
	}
	for (i = 0; i < count; i++) {
		const struct plan_vm *v = &e->vms[seq[i]];

		x = json_object_new_object();
		json_object_object_add(x, "vm", json_object_new_string(v->name));
		json_object_object_add(x, "destination",
				       json_object_new_string(e->pd[v->dest].name));
		json_object_object_add(x, "seq", json_object_new_int(i + 1));
		json_object_object_add(x, "run", json_object_new_int(v->slot + 1));
		json_object_object_add(x, "vcpus", json_object_new_int64((int64_t)v->req.vcpus));
		json_object_object_add(x, "memory", json_object_new_int64((int64_t)v->req.mem));
		json_object_object_add(x, "disk", json_object_new_int64((int64_t)v->req.disk));
		json_object_object_add(x, "dirty_rate",
				       json_object_new_int64((int64_t)v->dirty_rate));
		json_object_object_add(x, "start_ms", json_object_new_int64((int64_t)v->start_ms));
		if (v->predicted)
			json_object_object_add(x, "predict_ms",
					       json_object_new_int64((int64_t)v->predict_ms));
		json_object_object_add(x, "end_ms", json_object_new_int64((int64_t)v->end_ms));
		json_object_object_add(x, "late", json_object_new_boolean(v->late));
		json_object_array_add(vs, x);
	}
	json_object_object_add(root, "destinations", ds);
	json_object_object_add(root, "vms", vs);
	printf("%s\n", json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(root);
}

/* Place, predict, order, schedule and print; 0 or MDM_EXIT_VM. */
static int plan(struct evac *e)
{
	size_t len = 256 + (size_t)e->n * (200 + (size_t)e->nd * 300);
	char *why = malloc(len), *line, *save = NULL;
	int *seq = calloc((size_t)e->n + 1, sizeof(*seq));
	int bad, count, r = 0;
	uint64_t end;

	if (!why || !seq) {
		mdm_err("evacuate: out of memory");
		free(why);
		free(seq);
		return MDM_EXIT_FAILED;
	}
	bad = plan_place(e->vms, e->n, e->pd, e->nd, why, len);
	if (bad) {
		for (line = strtok_r(why, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
			mdm_err("evacuate: %s", line);
		mdm_err("evacuate: %d VM%s of %s fit%s on no destination: nothing planned (free capacity on the destinations, or add one to --to)",
			bad, bad == 1 ? "" : "s", e->host, bad == 1 ? "s" : "");
		r = MDM_EXIT_VM;
		goto out;
	}
	e->parallel = e->o->parallel < e->n ? e->o->parallel : e->n;
	if (e->parallel < 1)
		e->parallel = 1;
	e->rate = GIVEN(e->o, O_RATE) && e->o->rate ? e->o->rate : DEFAULT_RATE;
	e->each = e->rate / (uint64_t)e->parallel;
	plan_predict(e->vms, e->n, e->each);
	count = plan_order(e->vms, e->n, e->o->order, seq);
	end = plan_schedule(e->vms, seq, count, e->parallel, e->o->deadline_ms);
	if (e->o->json)
		print_json(e, seq, count, end);
	else
		print_text(e, seq, count, end);
out:
	free(why);
	free(seq);
	return r;
}

int cmd_evacuate(struct opts *o)
{
	struct evac e = { .o = o, .host = o->dev_arg };
	char *list = strdup(o->to);
	int r, i;

	if (!list) {
		mdm_err("evacuate: out of memory");
		return MDM_EXIT_FAILED;
	}
	r = split_dests(&e, list);
	if (!r)
		r = vm_libvirt_init();
	if (r)
		goto out;
	e.src = vm_open("evacuate", e.host, "source");
	if (!e.src) {
		r = MDM_EXIT_PEER;
		goto out;
	}
	for (i = 0; !r && i < e.nd; i++)
		r = read_dest(&e, i);
	/* The devices are this host's: checked when the module answers. */
	if (!r && !access("/sys/module/dm_migrate", F_OK)) {
		r = mdm_nl_open(&e.nl);
		e.devices = !r;
	}
	if (!r)
		r = read_vms(&e);
	if (!r && !e.n)
		printf("evacuate %s: no running VM: nothing to do\n", e.host);
	else if (!r)
		r = plan(&e);
out:
	if (e.nl.sk)
		mdm_nl_close(&e.nl);
	for (i = 0; i < e.nd; i++)
		if (e.d[i].c)
			virConnectClose(e.d[i].c);
	if (e.src)
		virConnectClose(e.src);
	free(e.vms);
	free(list);
	return r;
}
