// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for userspace/plan.c, the plan of an evacuation: placement
 * by first-fit decreasing (fits, does not fit and says what is short, a
 * known example where the decreasing order is what makes it fit), the
 * predicted times (kmod/model.c), each order on known inputs, and runs of
 * at most N at once with a deadline.
 */
#include <stdio.h>
#include <string.h>

#include "plan.h"
#include "kselftest.h"

#define GIB	(1024ULL * 1024 * 1024)
#define MIB	(1024ULL * 1024)

static struct plan_vm vm(const char *name, uint64_t vcpus, uint64_t mem, uint64_t disk)
{
	struct plan_vm v = { .req = { .vcpus = vcpus, .mem = mem, .disk = disk } };

	snprintf(v.name, sizeof(v.name), "%s", name);
	return v;
}

static struct plan_dest dest(const char *name, uint64_t vcpus, uint64_t mem, uint64_t disk)
{
	struct plan_dest d = { .free = { .vcpus = vcpus, .mem = mem, .disk = disk } };

	snprintf(d.name, sizeof(d.name), "%s", name);
	return d;
}

/* The destination names of @vms, as "a b a" (-: none). */
static const char *where(const struct plan_vm *vms, int n, const struct plan_dest *d)
{
	static char buf[256];
	size_t k = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; i < n && k < sizeof(buf); i++)
		k += (size_t)snprintf(buf + k, sizeof(buf) - k, "%s%s", i ? " " : "",
				      vms[i].dest >= 0 ? d[vms[i].dest].name : "-");
	return buf;
}

/* The names of the VMs of @seq, as "v1 v3 v2". */
static const char *names(const struct plan_vm *vms, const int *seq, int count)
{
	static char buf[256];
	size_t k = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; i < count && k < sizeof(buf); i++)
		k += (size_t)snprintf(buf + k, sizeof(buf) - k, "%s%s", i ? " " : "",
				      vms[seq[i]].name);
	return buf;
}

static void test_fits(void)
{
	struct plan_dest d[2] = { dest("a", 4, 8 * GIB, 100 * GIB), dest("b", 4, 8 * GIB, 100 * GIB) };
	struct plan_vm v[3] = { vm("v1", 2, 4 * GIB, 20 * GIB), vm("v2", 2, 4 * GIB, 20 * GIB),
				vm("v3", 4, 2 * GIB, 10 * GIB) };
	char why[512];
	int bad = plan_place(v, 3, d, 2, why, sizeof(why));

	ksft_test_result(bad == 0 && !why[0] && !strcmp(where(v, 3, d), "b b a") &&
			 d[0].used.vcpus == 4 && d[0].used.mem == 2 * GIB &&
			 d[1].used.vcpus == 4 && d[1].used.mem == 8 * GIB,
			 "place: VMs that fit are all placed, none said short (%s)\n",
			 where(v, 3, d));
}

static void test_no_fit(void)
{
	struct plan_dest d[2] = { dest("a", 8, 4 * GIB, 100 * GIB), dest("b", 1, 16 * GIB, 100 * GIB) };
	struct plan_vm v[2] = { vm("small", 1, 1 * GIB, 10 * GIB), vm("big", 2, 6 * GIB, 10 * GIB) };
	char why[512];
	int bad = plan_place(v, 2, d, 2, why, sizeof(why));

	ksft_test_result(bad == 1 && v[1].dest == -1 && v[0].dest == 0 &&
			 strstr(why, "big (2 vCPUs, 6.0 GiB memory, 10.0 GiB disk) fits on no destination: a: 2.0 GiB memory short; b: 1 vCPU short\n"),
			 "place: a VM that fits nowhere is named with what each destination lacks\n");
	if (bad != 1)
		ksft_print_msg("%s", why);

	d[0] = dest("a", 8, 64 * GIB, 10 * GIB);
	d[1] = dest("b", 8, 64 * GIB, 5 * GIB);
	v[0] = vm("v1", 1, 1 * GIB, 8 * GIB);
	v[1] = vm("v2", 1, 1 * GIB, 8 * GIB);
	bad = plan_place(v, 2, d, 2, why, sizeof(why));
	ksft_test_result(bad == 1 &&
			 strstr(why, "the VMs together need 2 vCPUs, 2.0 GiB memory, 16.0 GiB disk, more than the destinations have free together: 1.0 GiB disk short\n") &&
			 strstr(why, "v2 (1 vCPU, 1.0 GiB memory, 8.0 GiB disk) fits on no destination: a: 6.0 GiB disk short; b: 3.0 GiB disk short"),
			 "place: more than all destinations have is said first, with the resource short\n");
}

/*
 * Two destinations of 8 GiB; VMs of 2, 2, 3, 4, 5 GiB.  First fit in the
 * given order fills a with 2+2+3 and leaves 5 nowhere; decreasing: a 5+3,
 * b 4+2+2.
 */
static void test_ffd(void)
{
	struct plan_dest d[2] = { dest("a", 16, 8 * GIB, GIB), dest("b", 16, 8 * GIB, GIB) };
	struct plan_vm v[5] = { vm("v2a", 1, 2 * GIB, 0), vm("v2b", 1, 2 * GIB, 0),
				vm("v3", 1, 3 * GIB, 0), vm("v4", 1, 4 * GIB, 0),
				vm("v5", 1, 5 * GIB, 0) };
	char why[512];
	int bad = plan_place(v, 5, d, 2, why, sizeof(why));

	ksft_test_result(bad == 0 && !strcmp(where(v, 5, d), "b b a b a") &&
			 v[4].rank == 0 && v[3].rank == 1 && v[2].rank == 2 && v[0].rank == 3,
			 "place: first-fit decreasing packs 5+3 and 4+2+2 (got %s)\n", where(v, 5, d));

	/* The largest share decides: 1 of 2 vCPUs outweighs 1 of 8 GiB. */
	d[0] = dest("a", 1, 4 * GIB, GIB);
	d[1] = dest("b", 1, 4 * GIB, GIB);
	v[0] = vm("mem", 0, 3 * GIB, 0);
	v[1] = vm("cpu", 1, 1 * GIB, 0);
	bad = plan_place(v, 2, d, 2, why, sizeof(why));
	ksft_test_result(bad == 0 && v[1].rank == 0 && v[0].rank == 1,
			 "place: a VM's size is its largest share of the free capacity\n");
}

static void test_predict(void)
{
	struct plan_vm v[3] = { vm("idle", 1, 0, GIB), vm("ram", 1, 512 * MIB, GIB),
				vm("busy", 1, 0, GIB) };

	v[2].dirty_rate = 20 * MIB;
	plan_predict(v, 3, 100 * MIB);
	ksft_test_result(v[0].predicted && v[0].predict_ms >= 10200 && v[0].predict_ms <= 10280,
			 "predict: 1 GiB idle at 100 MiB/s: the bulk pass, 10.24 s (%llu ms)\n",
			 (unsigned long long)v[0].predict_ms);
	ksft_test_result(v[1].predicted && v[1].predict_ms == v[0].predict_ms + 5120,
			 "predict: plus one pass of 512 MiB of RAM, 5.12 s (%llu ms)\n",
			 (unsigned long long)v[1].predict_ms);
	ksft_test_result(v[2].predicted && v[2].predict_ms > v[0].predict_ms + 1000,
			 "predict: a guest dirtying 20 MiB/s adds dirty rounds (%llu ms)\n",
			 (unsigned long long)v[2].predict_ms);
	plan_predict(v, 1, 0);
	ksft_test_result(!v[0].predicted, "predict: no link rate, no prediction\n");
}

/*
 * Four VMs, two destinations: a takes v1 and v3, b v2 and v4 (placement
 * order v1 v2 v3 v4).
 */
static void test_orders(void)
{
	struct plan_dest d[2] = { dest("a", 8, 6 * GIB, GIB), dest("b", 8, 4 * GIB, GIB) };
	struct plan_vm v[4] = { vm("v1", 1, 4 * GIB, 0), vm("v2", 1, 3 * GIB, 0),
				vm("v3", 1, 2 * GIB, 0), vm("v4", 1, 1 * GIB, 0) };
	static const uint64_t ms[4] = { 9000, 3000, 5000, 3000 };
	char why[512];
	int seq[4], k;

	plan_place(v, 4, d, 2, why, sizeof(why));
	ksft_test_result(!strcmp(where(v, 4, d), "a b a b"),
			 "order: the example's placement is a b a b (%s)\n", where(v, 4, d));
	k = plan_order(v, 4, PLAN_ONE_BY_ONE, seq);
	ksft_test_result(k == 4 && !strcmp(names(v, seq, k), "v1 v3 v2 v4") && v[2].seq == 1,
			 "order: one-by-one moves everything bound for a, then b (%s)\n",
			 names(v, seq, k));
	k = plan_order(v, 4, PLAN_ROUND_ROBIN, seq);
	ksft_test_result(k == 4 && !strcmp(names(v, seq, k), "v1 v2 v3 v4"),
			 "order: round-robin alternates the destinations (%s)\n", names(v, seq, k));

	for (k = 0; k < 4; k++) {
		v[k].predict_ms = ms[k];
		v[k].predicted = true;
	}
	v[3].priority = 1;
	k = plan_order(v, 4, PLAN_AUTO, seq);
	ksft_test_result(k == 4 && !strcmp(names(v, seq, k), "v4 v2 v3 v1"),
			 "order: auto, shortest predicted first, then the higher priority (%s)\n",
			 names(v, seq, k));
	v[1].predicted = false;
	k = plan_order(v, 4, PLAN_AUTO, seq);
	ksft_test_result(k == 4 && !strcmp(names(v, seq, k), "v4 v3 v1 v2"),
			 "order: auto puts a VM without a prediction last (%s)\n", names(v, seq, k));

	/* Two source hosts, one destination: round-robin alternates the sources. */
	for (k = 0; k < 4; k++) {
		v[k].source = k / 2;
		v[k].dest = 0;
		v[k].rank = k;
	}
	k = plan_order(v, 4, PLAN_ROUND_ROBIN, seq);
	ksft_test_result(k == 4 && !strcmp(names(v, seq, k), "v1 v3 v2 v4"),
			 "order: round-robin alternates the source hosts too (%s)\n",
			 names(v, seq, k));
	k = plan_order(v, 4, PLAN_ONE_BY_ONE, seq);
	ksft_test_result(k == 4 && !strcmp(names(v, seq, k), "v1 v2 v3 v4"),
			 "order: one-by-one empties a source host before the next (%s)\n",
			 names(v, seq, k));
	v[1].dest = -1;
	k = plan_order(v, 4, PLAN_ONE_BY_ONE, seq);
	ksft_test_result(k == 3 && v[1].seq == -1, "order: a VM not placed is not run\n");
}

static void test_schedule(void)
{
	struct plan_vm v[4] = { vm("v1", 1, 0, 0), vm("v2", 1, 0, 0), vm("v3", 1, 0, 0),
				vm("v4", 1, 0, 0) };
	int seq[4] = { 0, 1, 2, 3 };
	uint64_t end;

	v[0].predict_ms = 10000;
	v[1].predict_ms = 4000;
	v[2].predict_ms = 3000;
	v[3].predict_ms = 5000;
	end = plan_schedule(v, seq, 4, 1, 0);
	ksft_test_result(end == 22000 && v[3].start_ms == 17000 && v[3].slot == 0,
			 "schedule: one at a time, each after the last (%llu ms)\n",
			 (unsigned long long)end);
	end = plan_schedule(v, seq, 4, 2, 11000);
	ksft_test_result(end == 12000 && v[0].slot == 0 && v[1].slot == 1 && v[2].slot == 1 &&
			 v[2].start_ms == 4000 && v[3].start_ms == 7000 && v[3].slot == 1 &&
			 !v[2].late && v[3].late,
			 "schedule: two at once, the next where one ended first; past the deadline is late (%llu ms)\n",
			 (unsigned long long)end);
	end = plan_schedule(v, seq, 4, 8, 0);
	ksft_test_result(end == 10000 && v[3].start_ms == 0 && v[3].slot == 3,
			 "schedule: more runs than VMs: all at once (%llu ms)\n",
			 (unsigned long long)end);
}

int main(void)
{
	ksft_print_header();
	ksft_set_plan(21);
	test_fits();
	test_no_fit();
	test_ffd();
	test_predict();
	test_orders();
	test_schedule();
	ksft_test_result(plan_order_by_name("round-robin") == PLAN_ROUND_ROBIN &&
			 plan_order_by_name("auto") == PLAN_AUTO &&
			 plan_order_by_name("one-by-one") == PLAN_ONE_BY_ONE &&
			 plan_order_by_name("random") == -1 &&
			 !strcmp(plan_order_name(PLAN_AUTO), "auto"),
			 "order names both ways\n");
	ksft_finished();
}
