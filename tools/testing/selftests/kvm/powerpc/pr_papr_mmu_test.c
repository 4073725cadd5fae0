// SPDX-License-Identifier: GPL-2.0-only
/*
 * KVM Book3S PR in PAPR mode: the guest maps its pages with H_ENTER and
 * unmaps them with H_REMOVE and H_BULK_REMOVE, which KVM handles in the
 * kernel against the HTAB in userspace memory.  After each removal the
 * guest maps the address to another page: if KVM left the old shadow HPTE
 * behind, the guest reads the old page.
 *
 *   enter      the guest maps 16 pages with H_ENTER and writes each; the
 *              host reads them
 *   remove     H_REMOVE (with H_AVPN) of the even pages, each mapped again
 *              to the next page: the guest must read the next page's data
 *   bulk       H_BULK_REMOVE of the odd pages, four per call, each mapped
 *              again to the page before it
 *   not found  H_REMOVE with a wrong AVPN and of a free slot return
 *              H_NOT_FOUND, and the mapping stays
 *   exact      H_ENTER with H_EXACT into a slot in use returns H_PTEG_FULL,
 *              and the mapping stays
 */
#include "kvm_util.h"
#include "processor.h"
#include "ucall_common.h"

#define DATA_SLOT	1
#define DATA_GPA	BIT_ULL(30)
#define DATA_GVA	BIT_ULL(31)	/* a segment the library does not map */
#define NPAGES		16UL

static u64 pattern(u64 i)
{
	return 0xfade000000000000ULL | i;
}

static u64 data_vsid(void)
{
	return guest_vsid(DATA_GVA >> SEGMENT_SHIFT);
}

/* H_ENTER of @gva -> @gpa in its primary group: the HPTE index */
static u64 h_enter(u64 flags, u64 index, u64 gva, u64 gpa)
{
	u64 args[8] = {
		flags, index, hpte_v(data_vsid(), gva),
		gpa | HPTE_R_R | HPTE_R_C | HPTE_R_M | HPTE_R_PP_RW,
	};

	GUEST_ASSERT_EQ(guest_hcall(H_ENTER, args), H_SUCCESS);
	return args[0];
}

static u64 group_of(u64 gva)
{
	return hpte_group(data_vsid(), gva, false) * 8;
}

static u64 peek(u64 i)
{
	return READ_ONCE(*(u64 *)(DATA_GVA + i * 4096));
}

static void guest_code(void)
{
	u64 slot[NPAGES], args[8] = {}, avpn, i, j;

	for (i = 0; i < NPAGES; i++) {
		slot[i] = h_enter(0, group_of(DATA_GVA + i * 4096), DATA_GVA + i * 4096,
				  DATA_GPA + i * 4096);
		WRITE_ONCE(*(u64 *)(DATA_GVA + i * 4096), pattern(i));
	}
	GUEST_SYNC(1);

	/* remove: even pages, then mapped to the next page */
	for (i = 0; i < NPAGES; i += 2) {
		args[0] = H_AVPN;
		args[1] = slot[i];
		args[2] = hpte_v(data_vsid(), DATA_GVA + i * 4096) & ~0x7fUL;
		GUEST_ASSERT_EQ(guest_hcall(H_REMOVE, args), H_SUCCESS);
		slot[i] = h_enter(0, group_of(DATA_GVA + i * 4096), DATA_GVA + i * 4096,
				  DATA_GPA + (i + 1) * 4096);
		GUEST_ASSERT_EQ(peek(i), pattern(i + 1));
	}
	GUEST_SYNC(2);

	/* bulk: odd pages, four per call, then mapped to the page before */
	for (i = 1; i < NPAGES; i += 8) {
		for (j = 0; j < 4; j++) {
			u64 k = i + 2 * j;

			args[2 * j] = H_BULK_REMOVE_REQUEST | H_BULK_REMOVE_AVPN | slot[k];
			args[2 * j + 1] = hpte_v(data_vsid(), DATA_GVA + k * 4096) & ~0x7fUL;
		}
		GUEST_ASSERT_EQ(guest_hcall(H_BULK_REMOVE, args), H_SUCCESS);
		for (j = 0; j < 4; j++)
			GUEST_ASSERT_EQ(args[2 * j] & H_BULK_REMOVE_CODE, 0);
		for (j = 0; j < 4; j++) {
			u64 k = i + 2 * j;

			slot[k] = h_enter(0, group_of(DATA_GVA + k * 4096), DATA_GVA + k * 4096,
					  DATA_GPA + (k - 1) * 4096);
			GUEST_ASSERT_EQ(peek(k), pattern(k - 1));
		}
	}
	GUEST_SYNC(3);

	/* not found: a wrong AVPN, a free slot */
	/* The AVPN leaves out VA bits 0-22: another 8M block */
	avpn = hpte_v(data_vsid(), DATA_GVA + BIT(23)) & ~0x7fUL;
	args[0] = H_AVPN;
	args[1] = slot[0];
	args[2] = avpn;
	GUEST_ASSERT_EQ(guest_hcall(H_REMOVE, args), H_NOT_FOUND);
	args[0] = 0;
	args[2] = 0;
	args[1] = group_of(DATA_GVA + NPAGES * 4096) | 7;	/* nothing maps that page */
	GUEST_ASSERT_EQ(guest_hcall(H_REMOVE, args), H_NOT_FOUND);
	GUEST_ASSERT_EQ(peek(0), pattern(1));
	GUEST_SYNC(4);

	/* exact: slot[2] is in use */
	args[0] = H_EXACT;
	args[1] = slot[2];
	args[2] = hpte_v(data_vsid(), DATA_GVA + 2 * 4096);
	args[3] = (DATA_GPA + 5 * 4096) | HPTE_R_R | HPTE_R_C | HPTE_R_M | HPTE_R_PP_RW;
	GUEST_ASSERT_EQ(guest_hcall(H_ENTER, args), H_PTEG_FULL);
	GUEST_ASSERT_EQ(peek(2), pattern(3));
	GUEST_DONE();
}

static void expect_ucall(struct kvm_vcpu *vcpu, u64 stage)
{
	struct ucall uc;

	vcpu_run(vcpu);
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

int main(int argc, char *argv[])
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	u64 *host, i;

	ksft_print_header();
	TEST_REQUIRE(kvm_has_cap(KVM_CAP_PPC_PAPR));
	ksft_set_plan(5);

	vm = vm_create_with_one_vcpu(&vcpu, guest_code);
	vm_userspace_mem_region_add(vm, VM_MEM_SRC_ANONYMOUS, DATA_GPA, DATA_SLOT, NPAGES, 0);
	vcpu_enable_papr(vcpu);
	host = addr_gpa2hva(vm, DATA_GPA);

	expect_ucall(vcpu, 1);
	for (i = 0; i < NPAGES; i++)
		TEST_ASSERT_EQ(host[i * 512], pattern(i));
	ksft_test_result_pass("enter\n");
	expect_ucall(vcpu, 2);
	ksft_test_result_pass("remove\n");
	expect_ucall(vcpu, 3);
	ksft_test_result_pass("bulk\n");
	expect_ucall(vcpu, 4);
	ksft_test_result_pass("not found\n");
	expect_ucall(vcpu, 0);
	ksft_test_result_pass("exact\n");

	kvm_vm_free(vm);
	ksft_finished();
}
