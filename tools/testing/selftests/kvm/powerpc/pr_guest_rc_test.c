// SPDX-License-Identifier: GPL-2.0-only
/*
 * KVM Book3S PR: the R and C bits of the guest's own HTAB.  The processor
 * sets R in a guest HPTE when the guest accesses the page and C when it
 * stores to it; a guest OS that finds its modified pages by C loses data
 * if a store leaves C clear.  Under KVM PR the guest's accesses go through
 * shadow HPTEs, so R and C are set only when KVM emulates the fault.
 *
 * Two vCPUs share one HTAB.  The host writes every data page, so that KVM
 * can map each writable at the guest's first access (an anonymous page the
 * host never wrote is the zero page, which KVM maps read-only), and clears
 * R and C in the HPTEs of the data pages; then, phase by phase, vCPUs
 * read and write some of them, and the host reads every data HPTE: a page
 * read has R, a page written has C, and a page not touched since R and C
 * were cleared has neither.
 *
 *   read         vCPU 0 reads pages 0-31: R set, C clear
 *   write        vCPU 0 writes the even pages of 0-31, which it has read:
 *                C must be set on them (the store must fault although the
 *                page is writable in the guest HPTE) and on no others
 *   write-first  vCPU 0 writes pages 32-39, never touched before
 *   other-vcpu   both vCPUs read pages 40-47; vCPU 1 writes 40-43 and
 *                vCPU 0 writes 44-47
 *   cleared      the host clears R and C in every data HPTE, as a guest's
 *                page daemon would, vCPU 1 invalidates them with tlbie;
 *                vCPU 0 reads pages 0-47 and writes every fourth: R on the
 *                pages read, C on the pages written, neither on 48-63
 */
#include "kvm_util.h"
#include "processor.h"
#include "ucall_common.h"

#define DATA_SLOT	1
#define DATA_GPA	BIT_ULL(30)
#define DATA_GVA	BIT_ULL(30)
#define DATA_PAGES	64UL
#define NR_VCPUS	2

enum { OP_READ, OP_WRITE, OP_TLBIE, OP_DONE };

/* What the guest does next, to pages first, first + stride, ... < end */
static u64 guest_op, guest_first, guest_end, guest_stride;

static void guest_code(void)
{
	u64 i, sum;

	for (;;) {
		sum = 0;
		for (i = READ_ONCE(guest_first); i < READ_ONCE(guest_end);
		     i += READ_ONCE(guest_stride)) {
			u64 *p = (u64 *)(DATA_GVA + i * 4096);

			switch (READ_ONCE(guest_op)) {
			case OP_READ:
				sum += READ_ONCE(*p);
				break;
			case OP_WRITE:
				WRITE_ONCE(*p, i);
				break;
			case OP_TLBIE:
				guest_tlbie((unsigned long)p);
				break;
			}
		}
		if (READ_ONCE(guest_op) == OP_DONE)
			GUEST_DONE();
		GUEST_SYNC(sum);
	}
}

static struct kvm_vm *vm;
static struct kvm_vcpu *vcpus[NR_VCPUS];

/* What each data page's HPTE must show after the phase */
static u64 want_rc[DATA_PAGES];

static void run(int vcpu, u64 op, u64 first, u64 end, u64 stride)
{
	struct ucall uc;
	u64 i;

	guest_op = op;
	guest_first = first;
	guest_end = end;
	guest_stride = stride;
	sync_global_to_guest(vm, guest_op);
	sync_global_to_guest(vm, guest_first);
	sync_global_to_guest(vm, guest_end);
	sync_global_to_guest(vm, guest_stride);
	vcpu_run(vcpus[vcpu]);
	TEST_ASSERT_EQ(get_ucall(vcpus[vcpu], &uc), op == OP_DONE ? UCALL_DONE : UCALL_SYNC);
	for (i = first; i < end && op != OP_TLBIE; i += stride)
		want_rc[i] |= op == OP_WRITE ? HPTE_R_R | HPTE_R_C : HPTE_R_R;
}

static u64 *hpte_of(u64 page)
{
	u64 gva = DATA_GVA + page * 4096;
	u64 *hpte = virt_hpte_lookup(vm, guest_vsid(gva >> SEGMENT_SHIFT), gva);

	TEST_ASSERT(hpte, "no HPTE for data page %lu", page);
	return hpte;
}

static void clear_rc(void)
{
	u64 i;

	for (i = 0; i < DATA_PAGES; i++) {
		u64 *hpte = hpte_of(i);

		hpte[1] = htobe64(be64toh(hpte[1]) & ~(HPTE_R_R | HPTE_R_C));
		want_rc[i] = 0;
	}
}

/* Every data HPTE against want_rc[]: the phase passes if all match */
static void check(const char *phase)
{
	u64 i, rc, wrong = 0, first = 0;

	for (i = 0; i < DATA_PAGES; i++) {
		rc = be64toh(hpte_of(i)[1]) & (HPTE_R_R | HPTE_R_C);
		if (rc == want_rc[i])
			continue;
		if (!wrong++)
			first = i;
		ksft_print_msg("%s: page %lu: R %d C %d, want R %d C %d\n", phase, i,
			       !!(rc & HPTE_R_R), !!(rc & HPTE_R_C),
			       !!(want_rc[i] & HPTE_R_R), !!(want_rc[i] & HPTE_R_C));
	}
	ksft_test_result(!wrong, "%s\n", phase);
	TEST_ASSERT(!wrong, "%s: %lu of %lu guest HPTEs with wrong R/C, the first page %lu%s",
		    phase, wrong, DATA_PAGES, first,
		    want_rc[first] & ~(be64toh(hpte_of(first)[1])) & HPTE_R_C ?
		    ": a store left C clear" : "");
}

int main(int argc, char *argv[])
{
	ksft_print_header();
	ksft_set_plan(5);

	vm = vm_create_with_vcpus(NR_VCPUS, guest_code, vcpus);
	vm_userspace_mem_region_add(vm, VM_MEM_SRC_ANONYMOUS, DATA_GPA, DATA_SLOT,
				    DATA_PAGES, 0);
	virt_map(vm, DATA_GVA, DATA_GPA, DATA_PAGES);
	memset(addr_gpa2hva(vm, DATA_GPA), 0x5a, DATA_PAGES * 4096);
	clear_rc();

	run(0, OP_READ, 0, 32, 1);
	check("read");

	run(0, OP_WRITE, 0, 32, 2);
	check("write");

	run(0, OP_WRITE, 32, 40, 1);
	check("write-first");

	run(0, OP_READ, 40, 48, 1);
	run(1, OP_READ, 40, 48, 1);
	run(1, OP_WRITE, 40, 44, 1);
	run(0, OP_WRITE, 44, 48, 1);
	check("other-vcpu");

	clear_rc();
	run(1, OP_TLBIE, 0, DATA_PAGES, 1);
	run(0, OP_READ, 0, 48, 1);
	run(0, OP_WRITE, 0, 48, 4);
	check("cleared");

	run(0, OP_DONE, 0, 0, 1);
	run(1, OP_DONE, 0, 0, 1);
	kvm_vm_free(vm);
	ksft_finished();
}
