/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The plan of an evacuation: which VM goes to which destination, in which
 * order, how many at once, and when each is predicted to end.  Pure logic
 * (no libvirt, no I/O): vm_evacuate.c gathers the inputs, and
 * tests/unit/plan_test.c checks each step on known inputs.
 *
 *  1. plan_place(): first-fit decreasing.  The VMs are taken largest
 *     first, a VM's size being its largest share of the destinations'
 *     free capacity together (vCPUs, memory or disk); each goes to the
 *     first destination, in the order given, where it fits beside the VMs
 *     placed there before it: REQ(vm) + sum REQ(placed) <= CAP(dest) for
 *     every resource.  A VM that fits nowhere is named with what each
 *     destination lacks.
 *  2. plan_predict(): each VM's time by the pre-copy model (kmod/model.c:
 *     a bulk pass of its disks, then dirty rounds under its dirty rate,
 *     until the module's default stop rule holds), at its share of the
 *     link, plus one pass of its RAM.
 *  3. plan_order(): the sequence.  A group is the VMs of one source host
 *     going to one destination.  one-by-one: a group after another, as in
 *     the symmetric migration of one host to another; round-robin: one VM
 *     of each group in turn (the next destination, or the next source
 *     host, each time); auto: the shortest predicted time first, then the
 *     highest priority.  Within a group, the placement's order.
 *  4. plan_schedule(): at most @parallel at once; each VM of the sequence
 *     starts when the first of the running ones ends.
 */
#ifndef MIGRATE_DM_PLAN_H
#define MIGRATE_DM_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A requirement (of a VM) or a free capacity (of a destination). */
struct plan_res {
	uint64_t vcpus;
	uint64_t mem;		/* bytes */
	uint64_t disk;		/* bytes */
};

struct plan_vm {
	char name[64];
	int source;		/* its source host (an index; evacuate: 0) */
	struct plan_res req;
	uint64_t dirty_rate;	/* bytes/s of chunks the guest dirties; 0: none */
	uint32_t chunk_bytes;	/* of its disks' tracking */
	int priority;		/* auto: the higher first among equal times */

	/* The plan. */
	int dest;		/* index of its destination; -1: fits nowhere */
	int rank;		/* position in the placement order */
	uint64_t predict_ms;	/* disks and RAM; 0 with !predicted */
	bool predicted;		/* false: the model cannot tell (no rate) */
	int seq;		/* position in the run */
	int slot;		/* which of the @parallel runs it takes */
	uint64_t start_ms, end_ms;
	bool late;		/* ends after the deadline */
};

struct plan_dest {
	char name[256];
	struct plan_res free;	/* before the plan */
	struct plan_res used;	/* by the VMs the plan puts there */
};

enum plan_order {
	PLAN_ONE_BY_ONE,
	PLAN_ROUND_ROBIN,
	PLAN_AUTO,
};

/* "one-by-one", "round-robin", "auto" to enum plan_order; -1 if none. */
int plan_order_by_name(const char *name);
const char *plan_order_name(int order);

/*
 * Place @vms on @dests (their @used are reset).  Returns the VMs that fit
 * nowhere (their dest is -1); for each, a line in @why (of @len bytes,
 * lines ending in '\n'): "VM (its needs) fits on no destination: DEST:
 * what is short; ...", and first a line when the VMs together need more
 * of a resource than the destinations have free.
 */
int plan_place(struct plan_vm *vms, int n, struct plan_dest *dests, int nd,
	       char *why, size_t len);

/*
 * Each VM's predicted time at @rate bytes/s (its share of the link) by
 * the pre-copy model with the module's default stop rule, plus one pass
 * of its RAM (req.mem) at @rate.
 */
void plan_predict(struct plan_vm *vms, int n, uint64_t rate);

/*
 * The sequence of the placed VMs by @order into @seq (indexes into @vms,
 * room for @n); each VM's seq is set (-1 if not placed).  Returns how many.
 */
int plan_order(struct plan_vm *vms, int n, int order, int *seq);

/*
 * Start and end of each VM of @seq (@count of them) with at most
 * @parallel at once; late when it ends after @deadline_ms (0: none).
 * Returns when the last ends.
 */
uint64_t plan_schedule(struct plan_vm *vms, const int *seq, int count, int parallel,
		       uint64_t deadline_ms);

#endif /* MIGRATE_DM_PLAN_H */
