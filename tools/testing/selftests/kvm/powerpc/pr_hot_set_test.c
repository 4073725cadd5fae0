// SPDX-License-Identifier: GPL-2.0-only
/*
 * KVM Book3S PR: the shadow HPTE cache keeps what the guest uses.  A guest
 * reads a hot set of pages that fits the cache, then a chunk of a cold set
 * that does not, round after round; each chunk is new, so the cache must
 * evict for it.  Replacement that tests R (CLOCK) keeps the hot set: its
 * pages are referenced between two passes of the hand.  Replacement that
 * cannot see R (first in, first out with one reprieve) cycles it out with
 * the cold pages, and the hot reads fault again.
 *
 * Run it with a cache smaller than the cold set (the nested run loads
 * kvm-pr with hpte_cache_size=1024).  After -w rounds of warm-up it counts
 * the shadow faults (the vCPU's sp_storage stat) of -r rounds of hot reads
 * and fails if more than -m per mille of the hot reads faulted.  The
 * cache's own stats (pr_hpte_map, pr_hpte_evict) must agree with that.
 *
 * Where the host cannot clear R in place (an LPAR whose hypervisor lacks
 * H_CLEAR_REF, as QEMU's spapr), the hand cannot see R and the test shows
 * the reprieve-only rate.
 */
#include "kvm_util.h"
#include "processor.h"
#include "ucall_common.h"

#define DATA_SLOT	1
#define DATA_GPA	BIT_ULL(30)
#define DATA_GVA	BIT_ULL(30)

enum { OP_READ, OP_DONE };

/* What the guest reads next: pages first .. end - 1 */
static u64 guest_op, guest_first, guest_end;

static void guest_code(void)
{
	u64 i, sum;

	for (;;) {
		sum = 0;
		for (i = READ_ONCE(guest_first); i < READ_ONCE(guest_end); i++)
			sum += READ_ONCE(*(u64 *)(DATA_GVA + i * 4096));
		if (READ_ONCE(guest_op) == OP_DONE)
			GUEST_DONE();
		GUEST_SYNC(sum);
	}
}

static struct kvm_vm *vm;
static struct kvm_vcpu *vcpu;

/* Reads pages [first, end); returns the shadow faults it took */
static u64 run(u64 op, u64 first, u64 end)
{
	u64 faults = vcpu_get_stat(vcpu, sp_storage);
	struct ucall uc;

	guest_op = op;
	guest_first = first;
	guest_end = end;
	sync_global_to_guest(vm, guest_op);
	sync_global_to_guest(vm, guest_first);
	sync_global_to_guest(vm, guest_end);
	vcpu_run(vcpu);
	TEST_ASSERT_EQ(get_ucall(vcpu, &uc), op == OP_DONE ? UCALL_DONE : UCALL_SYNC);
	return vcpu_get_stat(vcpu, sp_storage) - faults;
}

static void help(const char *name)
{
	printf("usage: %s [-h hot pages] [-c cold chunk] [-n cold pages] [-w warm-up rounds]\n"
	       "          [-r rounds] [-m most hot faults per mille]\n", name);
	exit(KSFT_SKIP);
}

int main(int argc, char *argv[])
{
	u64 hot = 256, chunk = 256, cold = 8192, warm = 8, rounds = 16, most = 50;
	u64 cache, round, hot_faults = 0, cold_faults = 0, next = 0, map, evict, spare;
	int opt;

	while ((opt = getopt(argc, argv, "h:c:n:w:r:m:")) != -1) {
		switch (opt) {
		case 'h':
			hot = atoll(optarg);
			break;
		case 'c':
			chunk = atoll(optarg);
			break;
		case 'n':
			cold = atoll(optarg);
			break;
		case 'w':
			warm = atoll(optarg);
			break;
		case 'r':
			rounds = atoll(optarg);
			break;
		case 'm':
			most = atoll(optarg);
			break;
		default:
			help(argv[0]);
		}
	}
	TEST_REQUIRE(!access("/sys/module/kvm_pr/parameters/hpte_cache_size", R_OK));
	cache = kvm_get_module_param_integer("kvm_pr", "hpte_cache_size");
	TEST_ASSERT(hot && chunk && cold >= chunk && rounds, "bad arguments");
	TEST_REQUIRE(hot + chunk < cache && hot + cold > cache);

	ksft_print_header();
	ksft_set_plan(1);
	vm = vm_create_with_one_vcpu(&vcpu, guest_code);
	vm_userspace_mem_region_add(vm, VM_MEM_SRC_ANONYMOUS, DATA_GPA, DATA_SLOT,
				    hot + cold, 0);
	virt_map(vm, DATA_GVA, DATA_GPA, hot + cold);

	for (round = 0; round < warm + rounds; round++) {
		u64 c, h;

		c = run(OP_READ, hot + next, hot + next + chunk);
		next = (next + chunk) % (cold - chunk + 1);
		h = run(OP_READ, 0, hot);
		if (round < warm)
			continue;
		hot_faults += h;
		cold_faults += c;
	}
	run(OP_DONE, 0, 0);
	map = vcpu_get_stat(vcpu, pr_hpte_map);
	evict = vcpu_get_stat(vcpu, pr_hpte_evict);
	spare = vcpu_get_stat(vcpu, pr_hpte_spare);
	kvm_vm_free(vm);
	ksft_print_msg("stats: pr_hpte_map %lu, pr_hpte_evict %lu, pr_hpte_spare %lu\n",
		       map, evict, spare);
	TEST_ASSERT(map >= hot_faults + cold_faults && map - evict <= cache,
		    "the stats do not add up: %lu mapped, %lu evicted, %lu faults, cache %lu",
		    map, evict, hot_faults + cold_faults, cache);

	ksft_print_msg("cache %lu, hot %lu, cold chunk %lu of %lu, %lu rounds: ",
		       cache, hot, chunk, cold, rounds);
	printf("%lu shadow faults in %lu hot reads (%lu per mille), %lu in %lu cold reads\n",
	       hot_faults, rounds * hot, hot_faults * 1000 / (rounds * hot), cold_faults,
	       rounds * chunk);
	TEST_ASSERT(cold_faults >= rounds * chunk / 2,
		    "the cold reads took %lu shadow faults for %lu new pages: sp_storage misses them",
		    cold_faults, rounds * chunk);
	TEST_ASSERT(hot_faults * 1000 <= most * rounds * hot,
		    "the hot set is not kept: %lu shadow faults in %lu hot reads, more than %lu per mille",
		    hot_faults, rounds * hot, most);
	ksft_test_result_pass("hot set kept\n");
	ksft_finished();
}
