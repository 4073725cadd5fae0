// SPDX-License-Identifier: GPL-2.0-only
/*
 * KVM Book3S PR shadow MMU: the guest's translations, as the host shadows
 * them, must follow every change the guest or the host makes.
 *
 *   map        the guest writes N pages through its HTAB, the host reads
 *              them, changes them, and the guest reads the changes
 *   tlbie      the host points page 0's HPTE at page 1; after a guest
 *              tlbie the guest must see page 1
 *   dontneed   the host drops pages with MADV_DONTNEED while the guest
 *              holds their translations: the guest must read zeros
 *   slbie      the guest drops the data segment from its SLB and puts it
 *              back with slbmte: its pages must read as before
 *   big        8192 pages written and checked twice: more than the shadow
 *              cache holds when kvm-pr is loaded with hpte_cache_size=1024,
 *              as the project's nested run does
 *   delete     the host deletes the data memslot while the guest holds
 *              translations of it: the guest's reads must exit as MMIO
 */
#include <sys/mman.h>

#include "kvm_util.h"
#include "processor.h"
#include "ucall_common.h"

#define DATA_SLOT	1
#define DATA_GPA	BIT_ULL(30)
#define DATA_GVA	BIT_ULL(30)
#define SMALL_PAGES	256UL
#define BIG_PAGES	8192UL	/* above kvm_pr.hpte_cache_size in the nested run */

static u64 pattern(u64 i, u64 pass)
{
	return 0x5eed000000000000ULL ^ (i << 8) ^ pass;
}

static void guest_code(u64 gva, u64 npages, u64 big, u64 host_page)
{
	u64 i, pass;

	/* map: write, the host checks and flips each value */
	for (i = 0; i < npages; i++)
		WRITE_ONCE(*(u64 *)(gva + i * 4096), pattern(i, 1));
	GUEST_SYNC(1);
	for (i = 0; i < npages; i++)
		GUEST_ASSERT_EQ(READ_ONCE(*(u64 *)(gva + i * 4096)), pattern(i, 1) ^ 1);

	/* tlbie: the host moved page 0 onto page 1's memory */
	GUEST_SYNC(2);
	guest_tlbie(gva);
	GUEST_ASSERT_EQ(READ_ONCE(*(u64 *)gva), pattern(1, 1) ^ 1);

	/* dontneed: the host dropped every other host page from the 2nd on */
	GUEST_SYNC(3);
	for (i = 2; i < npages; i++)
		GUEST_ASSERT_EQ(READ_ONCE(*(u64 *)(gva + i * 4096)),
				(i * 4096 / host_page) % 2 ? 0 : pattern(i, 1) ^ 1);

	/* slbie: the segment goes and comes back */
	guest_slbie(gva);
	guest_slbmte(gva);
	GUEST_ASSERT_EQ(READ_ONCE(*(u64 *)(gva + 2 * 4096)), pattern(2, 1) ^ 1);
	GUEST_SYNC(4);

	/* big: more pages than the shadow cache, twice */
	for (pass = 2; pass < 4 && big; pass++) {	/* page 0 is page 1 now */
		for (i = 1; i < big; i++)
			WRITE_ONCE(*(u64 *)(gva + i * 4096), pattern(i, pass));
		for (i = 1; i < big; i++)
			GUEST_ASSERT_EQ(READ_ONCE(*(u64 *)(gva + i * 4096)), pattern(i, pass));
	}
	GUEST_SYNC(5);

	/* delete: the host answers MMIO reads of the old slot with all-ones */
	for (i = 2; i < npages; i++)
		GUEST_ASSERT_EQ(READ_ONCE(*(u64 *)(gva + i * 4096)), ~0ULL);
	GUEST_DONE();
}

/* The ucall of the last exit: GUEST_SYNC(@stage), or GUEST_DONE for 0 */
static void expect_ucall(struct kvm_vcpu *vcpu, u64 stage)
{
	struct ucall uc;

	switch (get_ucall(vcpu, &uc)) {
	case UCALL_SYNC:
		TEST_ASSERT(uc.args[1] == stage, "sync %lu, want %lu", uc.args[1], stage);
		break;
	case UCALL_ABORT:
		REPORT_GUEST_ASSERT(uc);
		break;
	case UCALL_DONE:
		TEST_ASSERT(stage == 0, "guest done at stage %lu", stage);
		break;
	default:
		TEST_FAIL("unexpected exit %s", exit_reason_str(vcpu->run->exit_reason));
	}
}

static void expect_sync(struct kvm_vcpu *vcpu, u64 stage)
{
	vcpu_run(vcpu);
	expect_ucall(vcpu, stage);
}

int main(int argc, char *argv[])
{
	u64 npages = BIG_PAGES, i, mmio;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	u64 *host;

	ksft_print_header();
	ksft_set_plan(6);

	vm = vm_create_with_one_vcpu(&vcpu, guest_code);
	vm_userspace_mem_region_add(vm, VM_MEM_SRC_ANONYMOUS, DATA_GPA, DATA_SLOT, npages, 0);
	virt_map(vm, DATA_GVA, DATA_GPA, npages);
	vcpu_args_set(vcpu, 4, DATA_GVA, SMALL_PAGES, BIG_PAGES, (u64)getpagesize());
	host = addr_gpa2hva(vm, DATA_GPA);

	expect_sync(vcpu, 1);
	for (i = 0; i < SMALL_PAGES; i++) {
		TEST_ASSERT_EQ(host[i * 512], pattern(i, 1));
		host[i * 512] ^= 1;
	}
	expect_sync(vcpu, 2);
	ksft_test_result_pass("map\n");

	virt_pg_remap(vm, DATA_GVA, DATA_GPA + 4096);
	expect_sync(vcpu, 3);
	ksft_test_result_pass("tlbie\n");

	for (i = getpagesize(); i < SMALL_PAGES * 4096; i += 2 * getpagesize())
		TEST_ASSERT(!madvise((char *)host + i, getpagesize(), MADV_DONTNEED), "madvise");
	expect_sync(vcpu, 4);
	ksft_test_result_pass("dontneed\n");
	ksft_test_result_pass("slbie\n");

	expect_sync(vcpu, 5);
	ksft_test_result_pass("big\n");

	vm_mem_region_delete(vm, DATA_SLOT);
	for (mmio = 0;; mmio++) {
		struct kvm_run *run = vcpu->run;

		vcpu_run(vcpu);
		if (run->exit_reason != KVM_EXIT_MMIO || run->mmio.is_write)
			break;		/* a ucall */
		TEST_ASSERT(run->mmio.phys_addr >= DATA_GPA &&
			    run->mmio.phys_addr < DATA_GPA + npages * 4096,
			    "MMIO read at 0x%llx", run->mmio.phys_addr);
		memset(run->mmio.data, 0xff, sizeof(run->mmio.data));
	}
	expect_ucall(vcpu, 0);
	TEST_ASSERT(mmio == SMALL_PAGES - 2, "%lu reads exited, want %lu", mmio, SMALL_PAGES - 2);
	ksft_test_result_pass("delete\n");

	kvm_vm_free(vm);
	ksft_finished();
}
