// SPDX-License-Identifier: GPL-2.0-only
/*
 * KVM Book3S PR page aging through /sys/kernel/mm/page_idle/bitmap, the
 * interface access_tracking_perf_test uses, checked page by page.
 *
 * The guest writes every page of its data slot, so that each has a shadow
 * HPTE.  The host marks the slot's pages idle.  The guest then reads the
 * guest pages of every other host page.  A host page the guest read must
 * no longer be idle: the MMU notifier's age handlers must see the guest's
 * accesses through the shadow HPTEs.  A host page the guest did not touch
 * must still be idle, so that "always young" cannot pass either.
 */
#include <fcntl.h>

#include "kvm_util.h"
#include "processor.h"
#include "ucall_common.h"

#define DATA_SLOT	1
#define DATA_GPA	BIT_ULL(30)
#define DATA_GVA	BIT_ULL(30)
#define DATA_PAGES	1024UL		/* guest 4K pages */

static bool touched(u64 guest_page, u64 host_page)
{
	return (guest_page * 4096 / host_page) % 2 == 0;
}

static void guest_code(u64 gva, u64 npages, u64 host_page)
{
	u64 i, sum = 0;

	for (i = 0; i < npages; i++)
		WRITE_ONCE(*(u64 *)(gva + i * 4096), i);
	GUEST_SYNC(1);
	for (i = 0; i < npages; i++)
		if (touched(i, host_page))
			sum += READ_ONCE(*(u64 *)(gva + i * 4096));
	GUEST_SYNC(sum);
	GUEST_DONE();
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

int main(int argc, char *argv[])
{
	u64 host_page = getpagesize(), nhost = DATA_PAGES * 4096 / host_page, i, sum = 0;
	u64 pfn[DATA_PAGES], young_touched = 0, young_untouched = 0, marked = 0, want = 0;
	bool idle[DATA_PAGES];
	int bitmap, pagemap;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct ucall uc;
	char *host;

	ksft_print_header();
	bitmap = open("/sys/kernel/mm/page_idle/bitmap", O_RDWR);
	if (bitmap < 0)
		ksft_exit_skip("no /sys/kernel/mm/page_idle/bitmap (CONFIG_IDLE_PAGE_TRACKING)\n");
	pagemap = open("/proc/self/pagemap", O_RDONLY);
	TEST_ASSERT(pagemap >= 0, "open /proc/self/pagemap");
	ksft_set_plan(2);

	vm = vm_create_with_one_vcpu(&vcpu, guest_code);
	vm_userspace_mem_region_add(vm, VM_MEM_SRC_ANONYMOUS, DATA_GPA, DATA_SLOT, DATA_PAGES, 0);
	virt_map(vm, DATA_GVA, DATA_GPA, DATA_PAGES);
	vcpu_args_set(vcpu, 3, DATA_GVA, DATA_PAGES, host_page);
	host = addr_gpa2hva(vm, DATA_GPA);

	vcpu_run(vcpu);
	TEST_ASSERT_EQ(get_ucall(vcpu, &uc), UCALL_SYNC);
	for (i = 0; i < nhost; i++) {
		pfn[i] = pfn_of(pagemap, host + i * host_page);
		TEST_ASSERT(pfn_of(pagemap, host + i * host_page) == pfn[i], "pfn moved");
		mark_idle(bitmap, pfn[i]);
	}
	/* A folio still in a per-CPU LRU batch cannot be marked: leave it out */
	for (i = 0; i < nhost; i++) {
		idle[i] = pfn_idle(bitmap, pfn[i]);
		marked += idle[i];
	}
	ksft_print_msg("%lu of %lu host pages marked idle\n", marked, nhost);
	TEST_ASSERT(marked * 4 >= nhost * 3, "only %lu of %lu host pages could be marked idle",
		    marked, nhost);
	ksft_test_result_pass("mark idle\n");

	vcpu_run(vcpu);
	TEST_ASSERT_EQ(get_ucall(vcpu, &uc), UCALL_SYNC);
	for (i = 0; i < DATA_PAGES; i++)
		if (touched(i, host_page))
			sum += i;
	TEST_ASSERT_EQ(uc.args[1], sum);
	for (i = 0; i < nhost; i++) {
		bool young = idle[i] && !pfn_idle(bitmap, pfn[i]);

		if (!idle[i])
			continue;
		if (touched(i * host_page / 4096, host_page)) {
			want++;
			young_touched += young;
		} else {
			young_untouched += young;
		}
	}
	ksft_print_msg("marked host pages the guest read: %lu of %lu young; others: %lu young\n",
		       young_touched, want, young_untouched);
	TEST_ASSERT(young_touched == want, "%lu of %lu host pages the guest read still idle",
		    want - young_touched, want);
	TEST_ASSERT(young_untouched == 0, "%lu host pages the guest did not touch are young",
		    young_untouched);
	ksft_test_result_pass("guest reads age\n");

	vcpu_run(vcpu);
	TEST_ASSERT_EQ(get_ucall(vcpu, &uc), UCALL_DONE);
	kvm_vm_free(vm);
	ksft_finished();
}
