// SPDX-License-Identifier: GPL-2.0
/*
 * migrate VM (source): pre-flight; push every disk; once all converged,
 * mirror them all and start libvirt's RAM migration (paused on arrival);
 * abort it if a disk leaves mirroring or the operator asks; on success
 * hand every disk off and resume the destination.  The downtime is timed
 * from libvirt's lifecycle events.  docs/migrate-dm.8, "migrate".
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "request.h"
#include "show.h"
#include "vm.h"

#define MIRROR_WAIT_S	120	/* for every disk to reach mirroring */
#define HANDOFF_WAIT_S	60	/* for the peer to confirm a handoff */
#define RESUMED_WAIT_S	5	/* for the destination's resume event */

static volatile sig_atomic_t abort_sig;

static void on_abort(int sig)
{
	abort_sig = sig;
}

static const char *abort_reason(void)
{
	return abort_sig == SIGUSR1 ? "'migrate-dm abort' asked" : "interrupted";
}

static pthread_mutex_t times_lock = PTHREAD_MUTEX_INITIALIZER;

static int src_event(virConnectPtr c, virDomainPtr dom, int event, int detail, void *arg)
{
	struct vm_mig *m = arg;

	(void)c;
	(void)dom;
	(void)detail;
	pthread_mutex_lock(&times_lock);
	if (event == VIR_DOMAIN_EVENT_SUSPENDED && m->t_ram_start && !m->t_suspended)
		m->t_suspended = vm_elapsed(m);
	pthread_mutex_unlock(&times_lock);
	return 0;
}

static int dst_event(virConnectPtr c, virDomainPtr dom, int event, int detail, void *arg)
{
	struct vm_mig *m = arg;
	const char *name = virDomainGetName(dom);

	(void)c;
	(void)detail;
	pthread_mutex_lock(&times_lock);
	if (name && !strcmp(name, m->vm) && event == VIR_DOMAIN_EVENT_RESUMED &&
	    m->t_resume_call && !m->t_resumed)
		m->t_resumed = vm_elapsed(m);
	pthread_mutex_unlock(&times_lock);
	return 0;
}

/* libvirt's callback type differs by event: cast through void (*)(void). */
#define LIFECYCLE_CB(f) \
	((virConnectDomainEventGenericCallback)(void (*)(void))(f))

/* The RAM migration, in its own thread: the call returns at the end. */
struct ram_job {
	virDomainPtr dom;
	const char *uri, *migrate_uri;
	unsigned int flags;
	int ret;
	char err[512];
	int done;
};

static void *ram_thread(void *arg)
{
	struct ram_job *j = arg;
	virTypedParameterPtr p = NULL;
	int n = 0, max = 0;

	/* Where QEMU sends the RAM, when not the destination's hostname. */
	if (j->migrate_uri &&
	    virTypedParamsAddString(&p, &n, &max, VIR_MIGRATE_PARAM_URI, j->migrate_uri) < 0)
		j->ret = -1;
	else
		j->ret = virDomainMigrateToURI3(j->dom, j->uri, p, (unsigned int)n, j->flags);
	if (j->ret < 0)
		snprintf(j->err, sizeof(j->err), "%s", vm_lasterr());
	virTypedParamsFree(p, n);
	__atomic_store_n(&j->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void get_ull(virTypedParameterPtr p, int n, const char *k, uint64_t *v)
{
	unsigned long long x;

	if (virTypedParamsGetULLong(p, n, k, &x) == 1)
		*v = x;
}

static void read_ram(struct vm_mig *m, virDomainPtr dom, unsigned int flags)
{
	virTypedParameterPtr p = NULL;
	int n = 0, type;

	if (virDomainGetJobStats(dom, &type, &p, &n, flags) < 0)
		return;
	if (type != VIR_DOMAIN_JOB_NONE || flags) {
		get_ull(p, n, VIR_DOMAIN_JOB_MEMORY_TOTAL, &m->ram.total);
		get_ull(p, n, VIR_DOMAIN_JOB_MEMORY_PROCESSED, &m->ram.processed);
		get_ull(p, n, VIR_DOMAIN_JOB_MEMORY_REMAINING, &m->ram.remaining);
		get_ull(p, n, VIR_DOMAIN_JOB_MEMORY_BPS, &m->ram.bps);
		get_ull(p, n, VIR_DOMAIN_JOB_MEMORY_DIRTY_RATE, &m->ram.dirty_rate);
		get_ull(p, n, VIR_DOMAIN_JOB_MEMORY_ITERATION, &m->ram.iteration);
		get_ull(p, n, VIR_DOMAIN_JOB_DATA_PROCESSED, &m->ram.data_processed);
		get_ull(p, n, VIR_DOMAIN_JOB_TIME_ELAPSED, &m->ram.elapsed_ms);
		get_ull(p, n, VIR_DOMAIN_JOB_DOWNTIME, &m->ram.downtime_ms);
		m->ram.valid = m->ram.total > 0;
	}
	virTypedParamsFree(p, n);
}

struct run {
	struct vm_mig m;
	int lock;
	int src_cb, dst_cb;
};

/* Every disk back to tracking after a failure before the RAM moved. */
static int back_to_tracking(struct run *x, const char *why, int code)
{
	struct vm_mig *m = &x->m;
	int bad = vm_disks_abort(m);

	vm_show_clear(m);
	vm_show_mark(m, "aborted", "%s; %s; the VM runs on the source. On the destination: migrate-dm prepare %s --cancel",
		     why, bad ? "some disks could not be aborted (see above)" :
		     "every disk tracks again (what the destination did not acknowledge stays dirty)",
		     m->vm);
	vm_lock_stage(x->lock, abort_sig ? "aborted" : "failed");
	return bad ? MDM_EXIT_FAILED : code;
}

/* Push until every disk converged; 0 or an exit code (disks aborted). */
static int disk_phase(struct run *x)
{
	struct vm_mig *m = &x->m;
	int r, i;
	char names[256] = "";

	for (i = 0; i < m->n; i++)
		snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s -> %s",
			 i ? ", " : "", m->disks[i].target, m->disks[i].addr);
	m->stage = "disks";
	vm_lock_stage(x->lock, m->stage);
	r = vm_disks_push(m);
	if (r)
		return r;
	vm_show_mark(m, "push", "pushing %d disk%s: %s", m->n, m->n == 1 ? "" : "s", names);
	while (!vm_disks_all(m, DM_MIGRATE_MODE_CONVERGED)) {
		r = vm_disks_poll(m, 500);
		if (r)
			return back_to_tracking(x, "a disk's push failed", r);
		if (abort_sig)
			return back_to_tracking(x, abort_reason(), MDM_EXIT_FAILED);
		vm_show_progress(m, false);
	}
	m->t_converged = vm_elapsed(m);
	vm_show_progress(m, true);
	vm_show_mark(m, "converged", "every disk converged after %.1f s", m->t_converged);

	m->stage = "mirror";
	vm_lock_stage(x->lock, m->stage);
	r = vm_disks_mirror(m);
	if (r)
		return back_to_tracking(x, "a disk could not start mirroring", r);
	while (!vm_disks_all(m, DM_MIGRATE_MODE_MIRRORING)) {
		r = vm_disks_poll(m, 200);
		if (r)
			return back_to_tracking(x, "a disk's push failed", r);
		if (abort_sig)
			return back_to_tracking(x, abort_reason(), MDM_EXIT_FAILED);
		if (vm_elapsed(m) - m->t_converged > MIRROR_WAIT_S)
			return back_to_tracking(x, "the disks did not all reach mirroring in time",
						MDM_EXIT_FAILED);
		vm_show_progress(m, false);
	}
	m->t_mirroring = vm_elapsed(m);
	vm_show_mark(m, "mirroring", "every disk mirrors its writes synchronously");
	return 0;
}

/*
 * libvirt's migration call failed.  The VM normally runs on in the source
 * (libvirt resumed it): every disk back to tracking.  If the source has
 * no running domain any more, where the VM is is not known here: the
 * disks stay as they are (mirroring: both volumes have every write).
 */
static int ram_failed(struct run *x, const char *msg)
{
	struct vm_mig *m = &x->m;
	int state = -1, reason;

	if (virDomainGetState(m->dom, &state, &reason, 0) < 0 ||
	    virDomainIsActive(m->dom) != 1) {
		vm_show_mark(m, "unknown", "%s, and the VM no longer runs on the source: the destination may have it ('virsh -c %s list --all'); its disks stay mirroring, nothing else was done",
			     msg, m->o->to);
		vm_lock_stage(x->lock, "failed");
		return MDM_EXIT_HALF;
	}
	if (state == VIR_DOMAIN_PAUSED)
		vm_show_mark(m, "paused", "the VM is paused on the source (libvirt did not resume it): 'virsh resume %s' once its disks track again",
			     m->vm);
	return back_to_tracking(x, msg, MDM_EXIT_FAILED);
}

/* The RAM migration; 0 when libvirt's call succeeded. */
static int ram_phase(struct run *x)
{
	struct vm_mig *m = &x->m;
	struct ram_job j = { .dom = m->dom, .uri = m->o->to, .migrate_uri = m->o->migrate_uri,
			     .flags = VIR_MIGRATE_LIVE | VIR_MIGRATE_PEER2PEER | VIR_MIGRATE_PAUSED };
	char why[256] = "";
	pthread_t t;
	int k;

	if (m->o->persist)
		j.flags |= VIR_MIGRATE_PERSIST_DEST;
	if (m->o->undefine_source)
		j.flags |= VIR_MIGRATE_UNDEFINE_SOURCE;
	if (m->o->max_downtime_ms &&
	    virDomainMigrateSetMaxDowntime(m->dom, m->o->max_downtime_ms, 0) < 0)
		return back_to_tracking(x, "libvirt refused --max-downtime", MDM_EXIT_FAILED);
	m->stage = "ram";
	vm_lock_stage(x->lock, m->stage);
	pthread_mutex_lock(&times_lock);
	m->t_ram_start = vm_elapsed(m);
	pthread_mutex_unlock(&times_lock);
	if (pthread_create(&t, NULL, ram_thread, &j))
		return back_to_tracking(x, "cannot start a thread", MDM_EXIT_FAILED);
	vm_show_mark(m, "ram_start", "RAM migration to %s started", m->o->to);
	while (!__atomic_load_n(&j.done, __ATOMIC_ACQUIRE)) {
		double t1 = now_s();
		int bad = vm_disks_poll(m, 250);

		read_ram(m, m->dom, 0);
		vm_show_progress(m, false);
		if (!why[0]) {
			k = vm_disks_unmirrored(m);
			if (bad)
				snprintf(why, sizeof(why), "a disk's push failed");
			else if (abort_sig)
				snprintf(why, sizeof(why), "%s", abort_reason());
			else if (k >= 0)
				snprintf(why, sizeof(why), "disk %s left mirroring (%s, link %s)",
					 m->disks[k].target, mdm_phase_name(m->st[k].phase),
					 mdm_conn_name(m->st[k].conn));
			if (why[0]) {
				vm_show_mark(m, "aborting", "%s: aborting the RAM migration", why);
				if (virDomainAbortJob(m->dom) < 0)
					vm_show_mark(m, "aborting", "libvirt could not abort the job (%s); it may complete",
						     vm_lasterr());
			}
		}
		/* A quarter of a second a turn, whatever returned early. */
		if (now_s() - t1 < 0.25)
			usleep((useconds_t)((0.25 - (now_s() - t1)) * 1e6));
	}
	pthread_join(t, NULL);
	if (j.ret < 0) {
		char msg[800];

		snprintf(msg, sizeof(msg), "RAM migration %s: %s", why[0] ? "aborted" : "failed",
			 why[0] ? why : j.err);
		return ram_failed(x, msg);
	}
	m->t_ram_done = vm_elapsed(m);
	if (why[0])
		vm_show_mark(m, "ram_done", "too late to abort (%s): the RAM migration had completed; the disks are handed off now",
			     why);
	read_ram(m, m->dom, VIR_DOMAIN_JOB_STATS_COMPLETED);
	vm_show_mark(m, "ram_done", "RAM migrated; the source QEMU has stopped");
	return 0;
}

/*
 * After the source QEMU is gone: hand every disk off and resume the
 * destination.  A disk whose handoff is not confirmed: the destination
 * holds every write if the disk mirrored until the source stopped (then
 * it is resumed, as nothing else can run the VM); otherwise it stays
 * paused for the operator.
 */
static int switchover(struct run *x)
{
	struct vm_mig *m = &x->m;
	int bad, i, unsafe = 0, r = 0;
	virDomainPtr ddom;
	double done;

	for (i = 0; i < m->n; i++)
		unsafe += m->st[i].phase != DM_MIGRATE_MODE_MIRRORING ||
			  m->st[i].conn != DM_MIGRATE_CONN_CONNECTED;
	m->stage = "handoff";
	vm_lock_stage(x->lock, m->stage);
	bad = vm_disks_handoff(m, HANDOFF_WAIT_S);
	m->t_handoff_done = vm_elapsed(m);
	for (i = 0; i < m->n; i++) {
		const char *name = m->disks[i].name;

		if (m->st[i].phase == DM_MIGRATE_MODE_HANDOFF)
			vm_show_mark(m, "handoff_failed", "disk %s (%s): handoff not confirmed yet; the source engine keeps asking the destination ('migrate-dm status %s' shows handed_off when it did)",
				     m->disks[i].target, name, name);
		else if (m->st[i].phase != DM_MIGRATE_MODE_HANDED_OFF)
			vm_show_mark(m, "handoff_failed", "disk %s (%s): handoff refused (phase %s, see above); retry it with 'migrate-dm handoff %s'",
				     m->disks[i].target, name, mdm_phase_name(m->st[i].phase), name);
	}
	if (bad && unsafe) {
		vm_show_mark(m, "paused", "the destination VM stays paused: a disk was not mirroring when the source stopped, so its last writes may be only on the source volume. Once 'migrate-dm status' shows every disk handed_off, run: virsh -c %s resume %s",
			     m->o->to, m->vm);
		vm_lock_stage(x->lock, "paused");
		return MDM_EXIT_HALF;
	}
	if (!bad)
		vm_show_mark(m, "handoff_done", "every disk handed off");
	m->stage = "resume";
	vm_lock_stage(x->lock, m->stage);
	ddom = virDomainLookupByName(m->dst, m->vm);
	pthread_mutex_lock(&times_lock);
	m->t_resume_call = vm_elapsed(m);
	pthread_mutex_unlock(&times_lock);
	if (!ddom || virDomainResume(ddom) < 0) {
		vm_show_mark(m, "resume_failed", "cannot resume the destination VM: %s; resume it: virsh -c %s resume %s",
			     vm_lasterr(), m->o->to, m->vm);
		r = MDM_EXIT_HALF;
	}
	done = vm_elapsed(m);
	if (ddom)
		virDomainFree(ddom);
	if (r)
		return r;
	for (i = 0; !r; i++) {
		pthread_mutex_lock(&times_lock);
		if (!m->t_resumed && i == RESUMED_WAIT_S * 100)
			m->t_resumed = done;	/* no event: the call's end */
		r = m->t_resumed > 0;
		pthread_mutex_unlock(&times_lock);
		if (!r)
			usleep(10000);
	}
	if (bad) {
		vm_show_mark(m, "resumed", "resumed the destination VM although %d disk handoff%s %s not confirmed: every disk mirrored until the source stopped, so the destination holds every write; until that disk's device takes over (above), the VM's writes to it fail",
			     bad, bad == 1 ? "" : "s", bad == 1 ? "is" : "are");
		vm_lock_stage(x->lock, "resumed-unconfirmed");
		vm_show_summary(m);
		return MDM_EXIT_HALF;
	}
	vm_show_mark(m, "resumed", "the VM runs on %s", m->o->to);
	vm_lock_stage(x->lock, "done");
	vm_show_summary(m);
	return 0;
}

int cmd_migrate(struct opts *o)
{
	struct run x = { .m = { .vm = o->dev_arg, .o = o, .json = o->json,
				.stage = "preflight" },
			 .lock = -1, .src_cb = -1, .dst_cb = -1 };
	struct vm_mig *m = &x.m;
	struct sigaction sa = { .sa_handler = on_abort };
	int r;

	if (!o->key_file == !o->key_desc) {
		mdm_err("%s: migrate: give one of --key-file and --key-desc", m->vm);
		return MDM_EXIT_USAGE;
	}
	m->tty = !o->json && isatty(STDOUT_FILENO);
	m->t0 = now_s();
	r = vm_libvirt_init();
	if (r)
		return r;
	x.lock = vm_lock(m->vm, &r);
	if (x.lock < 0)
		return r;
	/* From here, Ctrl-C and 'migrate-dm abort VM' abort, before the end. */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);

	r = vm_preflight(m);
	if (r)
		goto out;
	x.src_cb = virConnectDomainEventRegisterAny(m->src, m->dom, VIR_DOMAIN_EVENT_ID_LIFECYCLE,
						    LIFECYCLE_CB(src_event), m, NULL);
	x.dst_cb = virConnectDomainEventRegisterAny(m->dst, NULL, VIR_DOMAIN_EVENT_ID_LIFECYCLE,
						    LIFECYCLE_CB(dst_event), m, NULL);
	if (x.src_cb < 0 || x.dst_cb < 0)
		mdm_err("%s: warning: no libvirt lifecycle events (%s): the downtime cannot be measured",
			m->vm, vm_lasterr());
	vm_show_mark(m, "preflight", "pre-flight passed: %d disk%s, destination %s reachable",
		     m->n, m->n == 1 ? "" : "s", o->to);
	if (abort_sig) {
		r = MDM_EXIT_FAILED;
		vm_lock_stage(x.lock, "aborted");
		goto out;
	}
	r = disk_phase(&x);
	if (!r)
		r = ram_phase(&x);
	if (!r)
		r = switchover(&x);
out:
	/* An orchestrator reading --json always gets a last event. */
	if (r && o->json)
		vm_show_mark(m, "failed", "exit status %d (the messages on standard error say why)", r);
	if (x.src_cb >= 0)
		virConnectDomainEventDeregisterAny(m->src, x.src_cb);
	if (x.dst_cb >= 0)
		virConnectDomainEventDeregisterAny(m->dst, x.dst_cb);
	if (m->nl.sk)
		mdm_nl_close(&m->nl);
	if (m->ev.sk)
		mdm_nl_close(&m->ev);
	if (m->dom)
		virDomainFree(m->dom);
	if (m->src)
		virConnectClose(m->src);
	if (m->dst)
		virConnectClose(m->dst);
	vm_unlock(m->vm, x.lock);
	free(m->all);
	free(m->xml);
	free(m->disks);
	free(m->st);
	free(m->failed);
	return r;
}
