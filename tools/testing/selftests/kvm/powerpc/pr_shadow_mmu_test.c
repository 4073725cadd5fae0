// SPDX-License-Identifier: GPL-2.0-only
/*
 * KVM Book3S PR shadow MMU: the guest's translations, as the host shadows
 * them, must follow every change the guest or the host makes, and survive
 * while nothing changes.
 *
 *   cached     a VM of its own writes and reads back CACHED_PAGES pages,
 *              far fewer than the shadow cache holds, then reads them in
 *              three more passes, each after an exit to userspace: those
 *              passes must take no shadow faults (the vCPU's sp_storage
 *              and sp_instruc stats), or the shadow HPTEs did not survive
 *   map        the guest writes N pages through its HTAB, the host reads
 *              them, changes them, and the guest reads the changes
 *   tlbie      the host points page 0's HPTE at page 1; after a guest
 *              tlbie the guest must see page 1
 *   dontneed   the host drops pages with MADV_DONTNEED while the guest
 *              holds their translations: the guest must read zeros
 *   slbie      the guest drops the data segment and puts it back under
 *              another VSID: it must read the pages mapped under that VSID
 *   slbia      the guest drops all segments and puts the data segment back
 *              under its own VSID: it must read its pages again
 *   big        8192 pages written and checked twice: more than the shadow
 *              cache holds when kvm-pr is loaded with hpte_cache_size=1024,
 *              as the project's nested run does
 *   munmap     the host replaces pages with new anonymous memory
 *              (MAP_FIXED): the guest must read the new pages
 *   mprotect   the host makes a page read-only: a guest store to it must
 *              not land, KVM_RUN must fail with EFAULT (plain: powerpc
 *              has no KVM_CAP_MEMORY_FAULT_INFO), and the store must
 *              land once the page is writable again
 *   move       the host moves the data memslot while the guest holds
 *              translations of it: pages the guest remaps (and tlbies)
 *              read through the new address, the others exit as MMIO
 *   delete     the host deletes the data memslot while the guest holds
 *              translations of it: the guest's reads must exit as MMIO
 */
#include <signal.h>
#include <sys/mman.h>

#include "kvm_util.h"
#include "processor.h"
#include "ucall_common.h"

#define DATA_SLOT	1
#define DATA_GPA	BIT_ULL(30)
#define DATA_GVA	BIT_ULL(30)
#define SMALL_PAGES	256UL
#define BIG_PAGES	8192UL	/* above kvm_pr.hpte_cache_size in the nested run */
#define MOVED_GPA	BIT_ULL(31)
#define ALT_VSID	0x200000UL	/* the data segment's other VSID */
#define ALT_SHIFT	9		/* page i maps page i + 9 under ALT_VSID */
#define ALT_FIRST	2UL
#define ALT_PAGES	8
#define UNMAP_FIRST	16		/* guest pages the host replaces */
#define UNMAP_PAGES	32
#define RO_PAGE		48		/* the page the host write-protects */
#define MOVE_KEEP	2UL		/* pages 2, 3 are remapped after the move */
#define MOVE_PAGES	16UL		/* pages 2..15 are read after the move */
#define CACHED_PAGES	64UL		/* the working set of the cached stage */
#define CACHED_PASSES	4UL		/* pass 1 writes, all passes read */
#define UPSTREAM_CACHE	32768UL		/* HPTEG_CACHE_NUM, without hpte_cache_size */

static u64 pattern(u64 i, u64 pass)
{
	return 0x5eed000000000000ULL ^ (i << 8) ^ pass;
}

/* What page @i holds after the dontneed stage */
static u64 after_dontneed(u64 i, u64 host_page)
{
	return (i * 4096 / host_page) % 2 ? 0 : pattern(i, 1) ^ 1;
}

static u64 unmap_fill(u64 i)
{
	return 0xfeed000000000000ULL | i;
}

/*
 * cached: pass 0 runs the loop touching nothing, so that every instruction
 * and data page of later passes (the loops, the ucall and its return) is
 * mapped before pass 2; the working set is written in pass 1 only, so that
 * its shadow HPTEs are writable from the start.
 */
static void guest_cached(u64 gva, u64 npages)
{
	u64 i, pass;

	for (pass = 0; pass <= CACHED_PASSES; pass++) {
		for (i = 0; i < npages; i++) {
			if (pass == 1)
				WRITE_ONCE(*(u64 *)(gva + i * 4096), pattern(i, 0));
			if (pass)
				GUEST_ASSERT_EQ(READ_ONCE(*(u64 *)(gva + i * 4096)), pattern(i, 0));
		}
		GUEST_SYNC(pass);
	}
	GUEST_DONE();
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

	/* slbie: the segment comes back under ALT_VSID, another mapping */
	guest_slbie(gva);
	guest_slbmte_vsid(gva, ALT_VSID);
	for (i = ALT_FIRST; i < ALT_FIRST + ALT_PAGES; i++)
		GUEST_ASSERT_EQ(READ_ONCE(*(u64 *)(gva + i * 4096)),
				after_dontneed(i + ALT_SHIFT, host_page));

	/* slbia: every segment goes, the data one comes back as it was */
	guest_slbia();
	guest_slbmte(gva);
	for (i = ALT_FIRST; i < ALT_FIRST + ALT_PAGES; i++)
		GUEST_ASSERT_EQ(READ_ONCE(*(u64 *)(gva + i * 4096)), after_dontneed(i, host_page));
	GUEST_SYNC(4);

	/* big: more pages than the shadow cache, twice */
	for (pass = 2; pass < 4 && big; pass++) {	/* page 0 is page 1 now */
		for (i = 1; i < big; i++)
			WRITE_ONCE(*(u64 *)(gva + i * 4096), pattern(i, pass));
		for (i = 1; i < big; i++)
			GUEST_ASSERT_EQ(READ_ONCE(*(u64 *)(gva + i * 4096)), pattern(i, pass));
	}
	GUEST_SYNC(5);

	/* munmap: the host put new memory under these pages */
	for (i = UNMAP_FIRST; i < UNMAP_FIRST + UNMAP_PAGES; i++)
		GUEST_ASSERT_EQ(READ_ONCE(*(u64 *)(gva + i * 4096)), unmap_fill(i));
	GUEST_SYNC(6);

	/* mprotect: the store waits until the page is writable again */
	WRITE_ONCE(*(u64 *)(gva + RO_PAGE * 4096), unmap_fill(RO_PAGE));
	GUEST_SYNC(7);

	/* move: pages 2, 3 point at the new address, the rest exit as MMIO */
	for (i = ALT_FIRST; i < ALT_FIRST + MOVE_KEEP; i++)
		guest_tlbie(gva + i * 4096);
	for (i = ALT_FIRST; i < MOVE_PAGES; i++)
		GUEST_ASSERT_EQ(READ_ONCE(*(u64 *)(gva + i * 4096)),
				i < ALT_FIRST + MOVE_KEEP ? pattern(i, 3) : ~0ULL);
	GUEST_SYNC(8);

	/* delete: the host answers MMIO reads of the old slot with all-ones */
	for (i = ALT_FIRST; i < ALT_FIRST + MOVE_KEEP; i++)
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

/*
 * Run until a ucall, answering MMIO reads in [@lo, @hi) with all-ones;
 * returns how many there were.
 */
static u64 run_answering_mmio(struct kvm_vcpu *vcpu, u64 lo, u64 hi)
{
	struct kvm_run *run = vcpu->run;
	u64 n;

	for (n = 0;; n++) {
		vcpu_run(vcpu);
		if (run->exit_reason != KVM_EXIT_MMIO || run->mmio.is_write)
			return n;	/* a ucall */
		TEST_ASSERT(run->mmio.phys_addr >= lo && run->mmio.phys_addr < hi,
			    "MMIO read at 0x%llx", run->mmio.phys_addr);
		memset(run->mmio.data, 0xff, sizeof(run->mmio.data));
	}
}

/* Shadow HPTEs a vCPU caches: kvm_pr.hpte_cache_size, or upstream's fixed size */
static u64 shadow_cache_size(void)
{
	if (access("/sys/module/kvm_pr/parameters/hpte_cache_size", R_OK))
		return UPSTREAM_CACHE;
	return kvm_get_module_param_integer("kvm_pr", "hpte_cache_size");
}

/*
 * cached: sp_storage and sp_instruc count the guest's data and instruction
 * storage faults that KVM answers by inserting a shadow HPTE (or, for a
 * fetch, tries to).  The ucall's MMIO store is a storage fault too, but is
 * emulated: it counts in mmio_exits.  Pass 1 maps the whole working set;
 * if the shadow HPTEs survive the exits to userspace between passes, later
 * passes take no shadow fault at all.
 */
static void cached_pass(struct kvm_vcpu *vcpu, u64 pass)
{
	u64 data = vcpu_get_stat(vcpu, sp_storage), insn = vcpu_get_stat(vcpu, sp_instruc);

	expect_sync(vcpu, pass);
	data = vcpu_get_stat(vcpu, sp_storage) - data;
	insn = vcpu_get_stat(vcpu, sp_instruc) - insn;
	ksft_print_msg("cached: pass %lu: %lu data, %lu instruction shadow faults, %lu pages\n",
		       pass, data, insn, CACHED_PAGES);
	TEST_ASSERT(pass != 1 || data >= CACHED_PAGES,
		    "pass 1 took %lu shadow faults for %lu new pages: sp_storage misses them",
		    data, CACHED_PAGES);
	TEST_ASSERT(pass < 2 || !(data + insn),
		    "shadow translations lost: pass %lu took %lu shadow faults for %lu pages",
		    pass, data + insn, CACHED_PAGES);
}

static void test_cached(void)
{
	u64 size = shadow_cache_size(), pass;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;

	ksft_print_msg("cached: hpte_cache_size %lu\n", size);
	if (size < 8 * CACHED_PAGES) {
		ksft_test_result_skip("cached: hpte_cache_size below %lu\n", 8 * CACHED_PAGES);
		return;
	}
	vm = vm_create_with_one_vcpu(&vcpu, guest_cached);
	vm_userspace_mem_region_add(vm, VM_MEM_SRC_ANONYMOUS, DATA_GPA, DATA_SLOT,
				    CACHED_PAGES, 0);
	virt_map(vm, DATA_GVA, DATA_GPA, CACHED_PAGES);
	vcpu_args_set(vcpu, 2, DATA_GVA, CACHED_PAGES);
	for (pass = 0; pass <= CACHED_PASSES; pass++)
		cached_pass(vcpu, pass);
	expect_sync(vcpu, 0);
	kvm_vm_free(vm);
	ksft_test_result_pass("cached\n");
}

static void on_alarm(int sig)
{
}

int main(int argc, char *argv[])
{
	u64 npages = BIG_PAGES, host_page = getpagesize(), i, n;
	struct sigaction sa = { .sa_handler = on_alarm };
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	u64 *host;
	char *p;
	int r;

	ksft_print_header();
	ksft_set_plan(11);
	TEST_ASSERT(!sigaction(SIGALRM, &sa, NULL), "sigaction");

	test_cached();

	vm = vm_create_with_one_vcpu(&vcpu, guest_code);
	vm_userspace_mem_region_add(vm, VM_MEM_SRC_ANONYMOUS, DATA_GPA, DATA_SLOT, npages, 0);
	virt_map(vm, DATA_GVA, DATA_GPA, npages);
	for (i = ALT_FIRST; i < ALT_FIRST + ALT_PAGES; i++)
		virt_pg_map_vsid(vm, ALT_VSID, DATA_GVA + i * 4096,
				 DATA_GPA + (i + ALT_SHIFT) * 4096);
	vcpu_args_set(vcpu, 4, DATA_GVA, SMALL_PAGES, BIG_PAGES, host_page);
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

	for (i = host_page; i < SMALL_PAGES * 4096; i += 2 * host_page)
		TEST_ASSERT(!madvise((char *)host + i, host_page, MADV_DONTNEED), "madvise");
	expect_sync(vcpu, 4);
	ksft_test_result_pass("dontneed\n");
	ksft_test_result_pass("slbie\n");
	ksft_test_result_pass("slbia\n");

	expect_sync(vcpu, 5);
	ksft_test_result_pass("big\n");

	/* host pages of guest pages UNMAP_FIRST.. (a multiple of 16) */
	p = (char *)host + UNMAP_FIRST * 4096;
	TEST_ASSERT(!munmap(p, UNMAP_PAGES * 4096), "munmap");
	TEST_ASSERT(mmap(p, UNMAP_PAGES * 4096, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == p, "mmap");
	for (i = UNMAP_FIRST; i < UNMAP_FIRST + UNMAP_PAGES; i++)
		host[i * 512] = unmap_fill(i);
	expect_sync(vcpu, 6);
	ksft_test_result_pass("munmap\n");

	p = (char *)host + RO_PAGE * 4096;
	TEST_ASSERT(!mprotect(p, host_page, PROT_READ), "mprotect");
	r = vcpu_run_for(vcpu, 2000);	/* a kernel that spins on the fault gets EINTR */
	TEST_ASSERT(r == -1 && errno == EFAULT,
		    "KVM_RUN on a store to a read-only page: %d (errno %d), exit %s",
		    r, errno, exit_reason_str(vcpu->run->exit_reason));
	TEST_ASSERT(!kvm_has_cap(KVM_CAP_MEMORY_FAULT_INFO),
		    "KVM_CAP_MEMORY_FAULT_INFO: check the memory fault exit");
	TEST_ASSERT_EQ(host[RO_PAGE * 512], pattern(RO_PAGE, 3));
	TEST_ASSERT(!mprotect(p, host_page, PROT_READ | PROT_WRITE), "mprotect");
	expect_sync(vcpu, 7);
	TEST_ASSERT_EQ(host[RO_PAGE * 512], unmap_fill(RO_PAGE));
	ksft_test_result_pass("mprotect\n");

	vm_mem_region_move(vm, DATA_SLOT, MOVED_GPA);
	for (i = ALT_FIRST; i < ALT_FIRST + MOVE_KEEP; i++)
		virt_pg_remap(vm, DATA_GVA + i * 4096, MOVED_GPA + i * 4096);
	n = run_answering_mmio(vcpu, DATA_GPA, DATA_GPA + npages * 4096);
	expect_ucall(vcpu, 8);
	TEST_ASSERT(n == MOVE_PAGES - ALT_FIRST - MOVE_KEEP, "%lu reads exited, want %lu",
		    n, MOVE_PAGES - ALT_FIRST - MOVE_KEEP);
	ksft_test_result_pass("move\n");

	vm_mem_region_delete(vm, DATA_SLOT);
	n = run_answering_mmio(vcpu, MOVED_GPA, MOVED_GPA + npages * 4096);
	expect_ucall(vcpu, 0);
	TEST_ASSERT(n == MOVE_KEEP, "%lu reads exited, want %lu", n, MOVE_KEEP);
	ksft_test_result_pass("delete\n");

	kvm_vm_free(vm);
	ksft_finished();
}
