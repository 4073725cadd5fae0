// SPDX-License-Identifier: GPL-2.0-only
/*
 * KVM Book3S PR page aging through /sys/kernel/mm/page_idle/bitmap, the
 * interface access_tracking_perf_test uses, checked page by page.
 *
 * Two vCPUs write every page of the data slot, so that each page has a
 * shadow HPTE on both.  Then, in each phase, the host marks the slot's
 * pages idle, one vCPU (or none) reads the guest pages of every other host
 * page, something may happen to the shadow HPTEs, and the host reads the
 * bitmap.  A host page the guest read must no longer be idle: the MMU
 * notifier's age handlers must see the guest's accesses through the shadow
 * HPTEs, and so must whoever removes a shadow HPTE.  A host page the guest
 * did not touch must still be idle, so that "always young" cannot pass:
 *
 *   read          vCPU 0 reads;
 *   no-access     no vCPU runs: every page stays idle (a second pass);
 *   other-vcpu    vCPU 1 reads, vCPU 0 holds entries for the same pages;
 *   flushed       vCPU 0 reads, then KVM_SET_SREGS flushes every shadow
 *                 HPTE of both vCPUs before the host looks;
 *   evicted       (-f N) vCPU 0 reads, then touches N pages of another
 *                 slot, which evicts the entries of the reads from its
 *                 shadow HPTE cache (run it with a small hpte_cache_size).
 *
 * Each phase prints the shadow faults the guest's read took (the vCPU's
 * sp_storage stat): what marking the pages idle cost the guest.  Where the
 * host clears R in place that is none; where it removes the HPTE instead
 * (an LPAR without H_CLEAR_REF), one per guest page read.
 */
#include <fcntl.h>
#include <sched.h>
#include <sys/mman.h>

#include "kvm_util.h"
#include "processor.h"
#include "ucall_common.h"

#define DATA_SLOT	1
#define DATA_GPA	BIT_ULL(30)
#define DATA_GVA	BIT_ULL(30)
#define DATA_PAGES	1024UL		/* guest 4K pages */
#define FLOOD_SLOT	2
#define FLOOD_GPA	BIT_ULL(31)
#define FLOOD_GVA	BIT_ULL(31)
#define NR_VCPUS	2

enum { OP_WRITE, OP_READ, OP_FLOOD, OP_DONE };

/* What the guest does next: the host sets it before each KVM_RUN */
static u64 guest_op;

static bool touched(u64 guest_page, u64 host_page)
{
	return (guest_page * 4096 / host_page) % 2 == 0;
}

static void guest_code(u64 npages, u64 host_page, u64 flood_pages)
{
	u64 i, sum;

	for (;;) {
		sum = 0;
		switch (READ_ONCE(guest_op)) {
		case OP_WRITE:
			for (i = 0; i < npages; i++)
				WRITE_ONCE(*(u64 *)(DATA_GVA + i * 4096), i);
			break;
		case OP_READ:
			for (i = 0; i < npages; i++)
				if (touched(i, host_page))
					sum += READ_ONCE(*(u64 *)(DATA_GVA + i * 4096));
			break;
		case OP_FLOOD:
			for (i = 0; i < flood_pages; i++)
				sum += READ_ONCE(*(u64 *)(FLOOD_GVA + i * 4096));
			break;
		default:
			GUEST_DONE();
		}
		GUEST_SYNC(sum);
	}
}

static u64 pfn_of(int pagemap, void *hva)
{
	u64 entry;

	TEST_ASSERT(pread(pagemap, &entry, sizeof(entry),
			  (unsigned long)hva / getpagesize() * sizeof(entry)) == sizeof(entry),
		    "pagemap read");
	TEST_ASSERT(entry & BIT_ULL(63), "page at %p not present", hva);
	return entry & GENMASK_ULL(54, 0);
}

static bool pfn_idle(int bitmap, u64 pfn)
{
	u64 word;

	TEST_ASSERT(pread(bitmap, &word, sizeof(word), pfn / 64 * sizeof(word)) == sizeof(word),
		    "page_idle read of pfn 0x%lx", pfn);
	return word & BIT_ULL(pfn % 64);
}

static void mark_idle(int bitmap, u64 pfn)
{
	u64 word = BIT_ULL(pfn % 64);

	TEST_ASSERT(pwrite(bitmap, &word, sizeof(word), pfn / 64 * sizeof(word)) == sizeof(word),
		    "page_idle write of pfn 0x%lx", pfn);
}

static struct kvm_vm *vm;
static struct kvm_vcpu *vcpus[NR_VCPUS];
static int bitmap;
static u64 host_page, nhost, pfn[DATA_PAGES], read_sum;

static u64 run(struct kvm_vcpu *vcpu, u64 op)
{
	struct ucall uc;

	guest_op = op;
	sync_global_to_guest(vm, guest_op);
	vcpu_run(vcpu);
	TEST_ASSERT_EQ(get_ucall(vcpu, &uc), op == OP_DONE ? UCALL_DONE : UCALL_SYNC);
	return uc.args[1];
}

static void flush_all(void)
{
	struct kvm_sregs sregs;
	int i;

	for (i = 0; i < NR_VCPUS; i++) {
		vcpu_sregs_get(vcpus[i], &sregs);
		vcpu_sregs_set(vcpus[i], &sregs);
	}
}

/*
 * MADV_COLD drains the LRU batches of the CPU it runs on: run it on each CPU
 * in turn, on a page of its own.
 */
static void drain_lru(void)
{
	static char *dummy;
	long cpu, ncpus = sysconf(_SC_NPROCESSORS_ONLN);
	cpu_set_t old, one;

	if (!dummy) {
		dummy = mmap(NULL, host_page, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		TEST_ASSERT(dummy != MAP_FAILED, "mmap");
	}
	dummy[0] = 1;
	TEST_ASSERT(!sched_getaffinity(0, sizeof(old), &old), "sched_getaffinity");
	for (cpu = 0; cpu < ncpus; cpu++) {
		CPU_ZERO(&one);
		CPU_SET(cpu, &one);
		if (!sched_setaffinity(0, sizeof(one), &one))
			madvise(dummy, host_page, MADV_COLD);
	}
	TEST_ASSERT(!sched_setaffinity(0, sizeof(old), &old), "sched_setaffinity");
}

/* @reader reads (or no vCPU, if negative), then @after runs, then the host looks */
static void phase(const char *name, int reader, void (*after)(void))
{
	u64 i, marked = 0, want = 0, young_touched = 0, young_untouched = 0, faults = 0;
	bool idle[DATA_PAGES];
	int try;

	/*
	 * A folio still in a per-CPU LRU batch cannot be marked: drain the
	 * batches and try again; what stays unmarked is left out.
	 */
	for (try = 0; try < 3 && marked * 4 < nhost * 3; try++) {
		if (try)
			drain_lru();
		for (i = 0; i < nhost; i++)
			mark_idle(bitmap, pfn[i]);
		for (marked = 0, i = 0; i < nhost; i++) {
			idle[i] = pfn_idle(bitmap, pfn[i]);
			marked += idle[i];
		}
	}
	TEST_ASSERT(marked * 4 >= nhost * 3, "%s: only %lu of %lu host pages could be marked idle",
		    name, marked, nhost);

	if (reader >= 0) {
		faults = vcpu_get_stat(vcpus[reader], sp_storage);
		TEST_ASSERT_EQ(run(vcpus[reader], OP_READ), read_sum);
		faults = vcpu_get_stat(vcpus[reader], sp_storage) - faults;
	}
	if (after)
		after();

	for (i = 0; i < nhost; i++) {
		bool young = idle[i] && !pfn_idle(bitmap, pfn[i]);

		if (!idle[i])
			continue;
		if (reader >= 0 && touched(i * host_page / 4096, host_page)) {
			want++;
			young_touched += young;
		} else {
			young_untouched += young;
		}
	}
	ksft_print_msg("%s: %lu of %lu host pages marked idle, the guest read %lu: %lu young;",
		       name, marked, nhost, want, young_touched);
	printf(" others: %lu young; the read took %lu shadow faults\n", young_untouched, faults);
	TEST_ASSERT(young_touched == want, "%s: %lu of %lu host pages the guest read still idle",
		    name, want - young_touched, want);
	TEST_ASSERT(young_untouched == 0, "%s: %lu host pages the guest did not touch are young",
		    name, young_untouched);
	ksft_test_result_pass("%s\n", name);
}

static void flood(void)
{
	run(vcpus[0], OP_FLOOD);
}

int main(int argc, char *argv[])
{
	u64 i, flood_pages = 0;
	int pagemap, opt;
	char *host;

	while ((opt = getopt(argc, argv, "f:")) != -1) {
		switch (opt) {
		case 'f':
			flood_pages = strtoull(optarg, NULL, 0);
			break;
		default:
			ksft_exit_fail_msg("usage: %s [-f flood_pages]\n", argv[0]);
		}
	}

	ksft_print_header();
	bitmap = open("/sys/kernel/mm/page_idle/bitmap", O_RDWR);
	if (bitmap < 0)
		ksft_exit_skip("no /sys/kernel/mm/page_idle/bitmap (CONFIG_IDLE_PAGE_TRACKING)\n");
	pagemap = open("/proc/self/pagemap", O_RDONLY);
	TEST_ASSERT(pagemap >= 0, "open /proc/self/pagemap");
	ksft_set_plan(flood_pages ? 5 : 4);

	host_page = getpagesize();
	nhost = DATA_PAGES * 4096 / host_page;
	vm = vm_create_with_vcpus(NR_VCPUS, guest_code, vcpus);
	vm_userspace_mem_region_add(vm, VM_MEM_SRC_ANONYMOUS, DATA_GPA, DATA_SLOT, DATA_PAGES, 0);
	virt_map(vm, DATA_GVA, DATA_GPA, DATA_PAGES);
	if (flood_pages) {
		vm_userspace_mem_region_add(vm, VM_MEM_SRC_ANONYMOUS, FLOOD_GPA, FLOOD_SLOT,
					    flood_pages, 0);
		virt_map(vm, FLOOD_GVA, FLOOD_GPA, flood_pages);
	}
	for (i = 0; i < NR_VCPUS; i++)
		vcpu_args_set(vcpus[i], 3, DATA_PAGES, host_page, flood_pages);
	host = addr_gpa2hva(vm, DATA_GPA);

	for (i = 0; i < NR_VCPUS; i++)
		run(vcpus[i], OP_WRITE);
	for (i = 0; i < DATA_PAGES; i++)
		if (touched(i, host_page))
			read_sum += i;
	for (i = 0; i < nhost; i++) {
		pfn[i] = pfn_of(pagemap, host + i * host_page);
		TEST_ASSERT(pfn_of(pagemap, host + i * host_page) == pfn[i], "pfn moved");
	}

	phase("read", 0, NULL);
	phase("no-access", -1, NULL);
	phase("other-vcpu", 1, NULL);
	phase("flushed", 0, flush_all);
	if (flood_pages)
		phase("evicted", 0, flood);

	/* The vCPU stats: aging found references, and removals folded them */
	for (i = 0; i < NR_VCPUS; i++) {
		u64 young = vcpu_get_stat(vcpus[i], pr_age_young);
		u64 ref = vcpu_get_stat(vcpus[i], pr_fold_ref);

		ksft_print_msg("vCPU %d: pr_age_young %lu, pr_fold_ref %lu, ", i, young, ref);
		printf("pr_range_lookup %lu, pr_range_walk %lu\n",
		       vcpu_get_stat(vcpus[i], pr_range_lookup),
		       vcpu_get_stat(vcpus[i], pr_range_walk));
		TEST_ASSERT(young + ref, "vCPU %d: the stats show no reference seen", i);
	}

	for (i = 0; i < NR_VCPUS; i++)
		run(vcpus[i], OP_DONE);
	kvm_vm_free(vm);
	ksft_finished();
}
