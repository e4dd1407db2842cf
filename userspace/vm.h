/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Whole VMs through libvirt: prepare (destination), migrate (source) and
 * abort of a running VM migration.  vmxml.c reads a domain's disks,
 * vmconn.c holds the libvirt connections and their event loop, vmlock.c
 * the per-VM lock that abort signals, vmdisks.c drives the disks' pushes,
 * vmshow.c the progress display; vm_prepare.c and vm_migrate.c (with its
 * checks, vm_preflight.c) are the commands, linked into migrate-dm-vm
 * only (vmexec.c runs it).
 */
#ifndef MIGRATE_DM_VM_H
#define MIGRATE_DM_VM_H

#include <stdbool.h>
#include <stdint.h>
#include <libvirt/libvirt.h>

#include "cmd.h"
#include "nl.h"

/* Default first port: disk i of a VM (in domain XML order) uses PORT + i. */
#define VM_DEFAULT_PORT		7788

/* One <disk> of a domain, as its XML says. */
struct vm_disk {
	char target[32];	/* <target dev='vda'/> */
	char type[16];		/* disk type: block, file, network... */
	char device[16];	/* disk, cdrom, floppy, lun */
	char format[16];	/* <driver type='raw'/> */
	char cache[16];		/* <driver cache='none'/>; "" when absent */
	char path[256];		/* <source dev=...> or file=; "" when empty */
	bool readonly, shareable;
	bool skip;		/* read-only or empty: not migrated */
	/* Set by the commands: the migrate device under the disk. */
	char name[128];		/* its dm name (the basename under /dev/mapper) */
	struct mdm_dev dev;
	char addr[80];		/* the receiver's ADDR:PORT */
	uint64_t bytes;		/* its size on the source (prepare) */
};

/*
 * The disks of domain XML @xml: *@disks (free()) and their count.  Returns
 * 0, or -1 after saying why (the XML of VM @vm cannot be read).
 */
int vm_disks_parse(const char *vm, const char *xml, struct vm_disk **disks, int *n);

/*
 * Whether @d can be migrated by dm-migrate under libvirt: NULL, or what is
 * wrong and how to fix it (a static string, for "VM: disk vda: ...").
 */
const char *vm_disk_unfit(const struct vm_disk *d);

/* Its device's dm name from /dev/mapper/NAME; -1 when not under there. */
int vm_disk_dm_name(struct vm_disk *d);

/*
 * "ADDR[:PORT]" plus @index to "ADDR:PORT+index" (IPv6 in brackets) in
 * @out; -1 when malformed.
 */
int vm_disk_addr(const char *base, int index, char *out, size_t len);

/* vmconn.c: libvirt connections. */

/* Quiet libvirt's own error printing; start its event loop thread once. */
int vm_libvirt_init(void);
/*
 * Open @uri (NULL: the default, $LIBVIRT_DEFAULT_URI or the local daemon)
 * with keepalive; prints "VM: cannot reach the ROLE libvirt URI: why".
 */
virConnectPtr vm_open(const char *vm, const char *uri, const char *role);
/* libvirt's last error in words. */
const char *vm_lasterr(void);
/* The running domain @vm on @conn with its live XML; prints why not. */
int vm_lookup(virConnectPtr conn, const char *vm, const char *where,
	      virDomainPtr *dom, char **xml);

/* vmlock.c: one migration per VM on a host, and its abort. */

/*
 * Take the lock of @vm (a file under $MIGRATE_DM_RUNDIR, default
 * /run/migrate-dm/vm); returns its fd, or -1 after saying why (another
 * migration of @vm holds it: exit code MDM_EXIT_VM in *@code).
 */
int vm_lock(const char *vm, int *code);
/* Record the migration's stage in the lock file, for abort. */
void vm_lock_stage(int fd, const char *stage);
void vm_unlock(const char *vm, int fd);
/* Whether a migration of @vm is running on this host. */
bool vm_migrating(const char *vm);

/* A migration of a VM's disks under way (vm_migrate.c). */
struct vm_ram {
	bool valid;
	uint64_t total, processed, remaining, bps, iteration, elapsed_ms;
	uint64_t data_processed, dirty_rate, downtime_ms;
};

struct vm_mig {
	const char *vm;
	struct opts *o;
	virConnectPtr src, dst;		/* this host's libvirt, the destination's */
	virDomainPtr dom;		/* the VM on the source */
	char *xml;			/* its live XML */
	struct vm_disk *all;		/* every disk of it */
	struct vm_disk *disks;		/* only those migrated */
	int n;
	struct mdm_status *st;		/* the last status of each */
	bool *failed;			/* a disk's push failed for good */
	char why[320];			/* why the push of a failed disk stopped */
	bool said;			/* ... and that was said */
	struct mdm_nl nl, ev;
	bool tty, json;
	int drawn;			/* lines of the last tty redraw */
	double t0, last_show;
	const char *stage;		/* disks, mirror, ram, handoff, resume */
	struct vm_ram ram;
	/* Milestones, vm_elapsed() seconds; 0: not reached. */
	double t_converged, t_mirroring, t_ram_start, t_ram_done;
	double t_handoff_done, t_resume_call;
	/* From libvirt's lifecycle events (the event loop thread). */
	double t_suspended, t_resumed;
};

/*
 * vm_preflight.c: open both libvirts, read the VM's disks into @m, check
 * everything (disks, destination, devices); 0 or an exit code, said why.
 */
int vm_preflight(struct vm_mig *m);
/*
 * Its first half: the VM runs on m->src (opened when NULL: this host's
 * libvirt), its disks into @m, each fit for dm-migrate (addresses from
 * --peer when given); 0 or an exit code, said why.
 */
int vm_preflight_source(struct vm_mig *m);

/* vmdisks.c: every disk's push, together. */

/* Each disk a migrate device in the tracking mode; says why not. */
int vm_disks_check(struct vm_mig *m);
/* Start every push (sharing --rate); aborts the started ones on failure. */
int vm_disks_push(struct vm_mig *m);
/*
 * Wait up to @ms for events, then read every disk's status.  Returns 0,
 * or an exit code once a push failed for good (m->why says which, why).
 */
int vm_disks_poll(struct vm_mig *m, int ms);
/* Whether every disk is in @phase (CONVERGED: or further). */
bool vm_disks_all(const struct vm_mig *m, int phase);
/* The first disk not mirroring with its link up, or -1. */
int vm_disks_unmirrored(const struct vm_mig *m);
int vm_disks_mirror(struct vm_mig *m);
/* Every push back to tracking (dirty chunks stay dirty); 0 or failures. */
int vm_disks_abort(struct vm_mig *m);
/* Hand off every disk; 0 or the number not handed off. */
int vm_disks_handoff(struct vm_mig *m, int wait_s);

/* vmshow.c: what the operator (or an orchestrator, --json) sees. */

/* Seconds since the migration started. */
double vm_elapsed(const struct vm_mig *m);
/* The progress of every disk, then RAM: redrawn on a tty, else lines. */
void vm_show_progress(struct vm_mig *m, bool force);
/*
 * A milestone: a line on stdout, or with --json the event
 * {"event": @event, "vm", "t", "message"}.
 */
void vm_show_mark(struct vm_mig *m, const char *event, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The end: downtime and its parts, totals per disk and for RAM. */
void vm_show_summary(struct vm_mig *m);
/* Clear the progress lines before other output on a tty. */
void vm_show_clear(struct vm_mig *m);

/* The commands. */
int cmd_prepare(struct opts *o);
int cmd_migrate(struct opts *o);
/* abort VM: stop a running migrate of VM (signals it, waits for it). */
int cmd_vm_abort(struct opts *o);
/* evacuate HOST-URI: the plan of moving its running VMs (vm_evacuate.c). */
int cmd_evacuate(struct opts *o);

#endif /* MIGRATE_DM_VM_H */
