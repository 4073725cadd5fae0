// SPDX-License-Identifier: GPL-2.0-only
/*
 * KVM Book3S PR's dirty log, harvested while vCPUs fault pages in.
 *
 * KVM PR logs a page dirty when it maps the page writable in the host
 * HTAB, and KVM_GET_DIRTY_LOG removes the slot's shadow HPTEs so that the
 * next write faults and is logged again.  If a harvest can run between a
 * fault's logging of a page and the insertion of its writable HPTE, the
 * harvest takes the bit and removes nothing, and the HPTE that follows
 * lets every later write through unlogged: a live migration would never
 * send those writes.
 *
 * Each round, the vCPUs write their share of the slot's host pages in a
 * loop, every store carrying the phase it read from a control page.  While
 * they write (and refault everything the previous round's harvests
 * removed), the host harvests once (B), then publishes a new phase.  It
 * then stops the vCPUs, which leave KVM_RUN, and harvests again with no
 * write in flight (C).  A page whose content carries the new phase was
 * written after B returned, so C must hold it; a page whose content
 * changed since the previous round must be in B or C.  A page that breaks
 * either rule is a write the dirty log missed.  The test stops after the
 * first round that finds one (-k: goes on, and counts them all).
 */
#include <time.h>

#include <linux/bitmap.h>

#include "kvm_util.h"
#include "processor.h"
#include "ucall_common.h"

#define DATA_SLOT	1
#define DATA_GPA	BIT_ULL(30)
#define DATA_GVA	BIT_ULL(30)
#define MAX_VCPUS	VCPU_THREADS_MAX

/* The guest's, in the program's own memory slot; the host's view is ctl */
static struct control {
	u64 stop;	/* the round whose writes must end */
	u64 phase;	/* stored in the top half of every value */
} control;

static void guest_code(u64 id, u64 nr_vcpus, u64 gva, u64 npages, u64 host_page)
{
	u64 round, seq = 0, i, phase;

	for (round = 1;; round++) {
		while (__atomic_load_n(&control.stop, __ATOMIC_ACQUIRE) != round) {
			for (i = id; i < npages; i += nr_vcpus) {
				phase = __atomic_load_n(&control.phase, __ATOMIC_ACQUIRE);
				WRITE_ONCE(*(u64 *)(gva + i * host_page), phase << 32 | ++seq);
			}
		}
		/* Leave KVM_RUN; the host harvests and checks, then runs us again */
		GUEST_SYNC(round);
	}
}

static u64 missed_new, missed_changed;

/* Page @p after @round's two harvests: count, and show the first of, the writes they missed */
static void check_page(u64 round, u64 p, u64 v, u64 prev, u64 phase, bool in_b, bool in_c)
{
	if (v >> 32 == phase && !in_c && !missed_new++)
		ksft_print_msg("round %lu: page %lu written after harvest 1, not in harvest 2\n",
			       round, p);
	if (v != prev && !in_b && !in_c && !missed_changed++)
		ksft_print_msg("round %lu: page %lu changed (0x%lx to 0x%lx), in no harvest\n",
			       round, p, prev, v);
}

static void help(char *name)
{
	printf("usage: %s [-k] [-r rounds] [-v vcpus] [-p pages] [-t seconds]\n"
	       " -k: go on after a round that missed writes\n"
	       " -r: rounds, two harvests each (default 5000)\n"
	       " -v: vCPUs writing (default 2, at most %d)\n"
	       " -p: host pages in the dirty-logged slot (default 64)\n"
	       " -t: stop after this many seconds if the rounds are not done (default 120)\n",
	       name, MAX_VCPUS);
	exit(KSFT_FAIL);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char *argv[])
{
	u64 host_page = getpagesize(), rounds = 5000, npages = 64, round, p, phase;
	u64 harvests = 0, dirty = 0;
	unsigned long *b, *c;
	struct kvm_vcpu *vcpus[MAX_VCPUS];
	unsigned int nr_vcpus = 2, i;
	double limit = 120, t0;
	bool keep_going = false;
	struct control *ctl;
	u64 *prev, *host;
	struct kvm_vm *vm;
	int opt;

	while ((opt = getopt(argc, argv, "hkr:v:p:t:")) != -1) {
		switch (opt) {
		case 'k':
			keep_going = true;
			break;
		case 'r':
			rounds = atoll(optarg);
			break;
		case 'v':
			nr_vcpus = atoi(optarg);
			break;
		case 'p':
			npages = atoll(optarg);
			break;
		case 't':
			limit = atof(optarg);
			break;
		default:
			help(argv[0]);
		}
	}
	TEST_ASSERT(nr_vcpus >= 1 && nr_vcpus <= MAX_VCPUS, "1 to %d vCPUs", MAX_VCPUS);
	TEST_ASSERT(npages >= nr_vcpus, "at least one page per vCPU");

	ksft_print_header();
	ksft_set_plan(1);

	vm = vm_create_with_vcpus(nr_vcpus, guest_code, vcpus);
	vm_userspace_mem_region_add(vm, VM_MEM_SRC_ANONYMOUS, DATA_GPA, DATA_SLOT,
				    npages * host_page / vm->page_size, KVM_MEM_LOG_DIRTY_PAGES);
	virt_map(vm, DATA_GVA, DATA_GPA, npages * host_page / vm->page_size);
	host = addr_gpa2hva(vm, DATA_GPA);
	ctl = addr_gva2hva(vm, (gva_t)&control);
	b = bitmap_zalloc(npages);
	c = bitmap_zalloc(npages);
	prev = calloc(npages, sizeof(*prev));
	TEST_ASSERT(prev, "calloc");

	for (i = 0; i < nr_vcpus; i++)
		vcpu_args_set(vcpus[i], 5, i, nr_vcpus, DATA_GVA, npages, host_page);
	vcpu_threads_start(vcpus, nr_vcpus);
	srandom(getpid());

	t0 = now();
	for (round = 1; round <= rounds && now() - t0 < limit &&
	     (keep_going || !(missed_new + missed_changed)); round++) {
		vcpu_threads_run();

		/* A harvest while the vCPUs refault what the last one removed */
		usleep(random() % 2000);
		kvm_vm_get_dirty_log(vm, DATA_SLOT, b);
		phase = __atomic_add_fetch(&ctl->phase, 1, __ATOMIC_RELEASE);
		usleep(500);

		/* Then one with every vCPU out of KVM_RUN */
		__atomic_store_n(&ctl->stop, round, __ATOMIC_RELEASE);
		vcpu_threads_wait();
		kvm_vm_get_dirty_log(vm, DATA_SLOT, c);
		harvests += 2;

		for (p = 0; p < npages; p++) {
			u64 v = READ_ONCE(host[p * host_page / sizeof(u64)]);
			bool in_b = test_bit(p, b), in_c = test_bit(p, c);

			dirty += in_b + in_c;
			check_page(round, p, v, prev[p], phase, in_b, in_c);
			prev[p] = v;
		}
	}
	round--;

	vcpu_threads_stop();

	ksft_print_msg("%u vCPUs, %lu host pages of %lu bytes, %lu rounds, %lu harvests: %.1f s\n",
		       nr_vcpus, npages, host_page, round, harvests, now() - t0);
	ksft_print_msg("%lu dirty bits; missed: %lu written after a harvest, %lu changed\n",
		       dirty, missed_new, missed_changed);
	TEST_ASSERT(missed_new + missed_changed == 0,
		    "the dirty log missed writes: %lu after a harvest, %lu in none (%lu harvests)",
		    missed_new, missed_changed, harvests);
	TEST_ASSERT(dirty >= round * npages,
		    "only %lu dirty bits in %lu rounds of %lu pages: the vCPUs did not write",
		    dirty, round, npages);
	ksft_test_result_pass("dirty log under load: %lu harvests, no write missed\n", harvests);

	kvm_vm_free(vm);
	ksft_finished();
}
