// SPDX-License-Identifier: GPL-2.0-only
/*
 * powerpc64 hash-MMU guests under KVM Book3S PR.
 *
 * The VM is a KVM_VM_PPC_PR VM outside PAPR mode: the guest owns its MMU
 * as the architecture defines it, a hashed page table (HTAB) named by SDR1
 * and an SLB, and the library sets both through KVM_SET_SREGS.  That needs
 * no firmware and no hcall handling in userspace, and it is exactly what
 * the PR shadow MMU translates: guest tlbie and slbie are emulated against
 * the shadow.  (PAPR mode, where the guest maps with H_ENTER, would need
 * KVM_CAP_PPC_PAPR and userspace hcall handling for the rest of sPAPR.)
 *
 * Layout: guest physical pages 0 and 1 hold the interrupt vectors and the
 * entry trampoline; the HTAB has a memslot of its own (HTAB_SLOT).
 * Each 256M segment of the first GUEST_SEGMENTS has an SLB entry with VSID
 * guest_vsid(ESID), in slot guest_slb_slot(ESID) (the program's own segment
 * in slot 0, so that guest code survives slbia); pages are 4K.
 *
 * A vCPU starts in real mode at the trampoline, which rfids to the guest
 * code with GUEST_MSR, so that the library does not depend on KVM_SET_REGS
 * loading a translated MSR.  Interrupt vectors store their offset to the
 * ucall MMIO address + 8 and spin; ucall_arch_get_ucall() fails the test
 * on such a store.
 */
#include <endian.h>
#include <pthread.h>
#include <semaphore.h>
#include <sys/mman.h>
#include <sys/time.h>

#include "kvm_util.h"
#include "processor.h"
#include "ucall_common.h"

/*
 * The HTAB has a memslot of its own, in the middle of the 40-bit guest
 * physical space where tests do not put memory (they use the bottom and
 * the top), so that its size does not depend on memslot 0's.  8 MiB hold
 * 524288 HPTEs: 2 GiB of 4K mappings.  In PAPR mode KVM reads the HTAB at
 * the host virtual address in SDR1 instead (vcpu_enable_papr()).
 */
#define HTAB_GPA		BIT_ULL(39)
#define HTAB_SDR1_SIZE		5		/* log2(GUEST_HTAB_SIZE) - 18 */
#define HTAB_SLOT		32700

#define VECTORS_GPA		0x0UL
#define TRAMPOLINE_GPA		0x1c00UL
#define GUEST_STACK_SIZE	(64UL << 10)

static u64 *pteg_of(struct kvm_vm *vm, u64 vsid, gva_t gva, bool secondary)
{
	return (u64 *)vm->arch.htab + hpte_group(vsid, gva, secondary) * 16;
}

void virt_arch_pgd_alloc(struct kvm_vm *vm)
{
	if (vm->mmu.pgd_created)
		return;
	TEST_ASSERT(vm->page_size == 4096, "4K guest pages only, not %u", vm->page_size);
	vm_userspace_mem_region_add(vm, VM_MEM_SRC_ANONYMOUS, HTAB_GPA, HTAB_SLOT,
				    GUEST_HTAB_SIZE / vm->page_size, 0);
	vm->arch.htab = addr_gpa2hva(vm, HTAB_GPA);
	memset(vm->arch.htab, 0, GUEST_HTAB_SIZE);
	vm->mmu.pgd = HTAB_GPA;
	vm->mmu.pgd_created = true;
}

void virt_pg_map_vsid(struct kvm_vm *vm, u64 vsid, gva_t gva, gpa_t gpa)
{
	u64 v = hpte_v(vsid, gva);
	u64 r = (gpa & ~0xfffUL) | HPTE_R_R | HPTE_R_C | HPTE_R_M | HPTE_R_PP_RW;
	int second, i;

	TEST_ASSERT(gpa >> vm->page_shift <= vm->max_gfn, "GPA 0x%lx beyond the VM", gpa);
	for (second = 0; second < 2; second++) {
		u64 *pteg = pteg_of(vm, vsid, gva, second);

		for (i = 0; i < 8; i++) {
			if (be64toh(pteg[2 * i]) & HPTE_V_VALID)
				continue;
			pteg[2 * i + 1] = htobe64(r);
			pteg[2 * i] = htobe64(v | (second ? HPTE_V_SECONDARY : 0));
			return;
		}
	}
	TEST_FAIL("guest HTAB full: no slot for GVA 0x%lx", gva);
}

void virt_arch_pg_map(struct kvm_vm *vm, gva_t gva, gpa_t gpa)
{
	TEST_ASSERT((gva >> SEGMENT_SHIFT) < GUEST_SEGMENTS,
		    "GVA 0x%lx is outside the %u segments the SLB maps", gva, GUEST_SEGMENTS);
	virt_pg_map_vsid(vm, guest_vsid(gva >> SEGMENT_SHIFT), gva, gpa);
}

u64 *virt_hpte_lookup(struct kvm_vm *vm, u64 vsid, gva_t gva)
{
	u64 v = hpte_v(vsid, gva);
	int second, i;

	for (second = 0; second < 2; second++) {
		u64 *pteg = pteg_of(vm, vsid, gva, second);
		u64 want = v | (second ? HPTE_V_SECONDARY : 0);

		for (i = 0; i < 8; i++)
			if (be64toh(pteg[2 * i]) == want)
				return &pteg[2 * i];
	}
	return NULL;
}

gpa_t addr_arch_gva2gpa(struct kvm_vm *vm, gva_t gva)
{
	u64 *hpte = virt_hpte_lookup(vm, guest_vsid(gva >> SEGMENT_SHIFT), gva);

	TEST_ASSERT(hpte, "no translation for GVA 0x%lx", gva);
	return (be64toh(hpte[1]) & ~0xfffUL) | (gva & 0xfffUL);
}

void virt_pg_remap(struct kvm_vm *vm, gva_t gva, gpa_t gpa)
{
	u64 *hpte = virt_hpte_lookup(vm, guest_vsid(gva >> SEGMENT_SHIFT), gva);

	TEST_ASSERT(hpte, "no translation of GVA 0x%lx to remap", gva);
	hpte[1] = htobe64((be64toh(hpte[1]) & 0xfffUL) | (gpa & ~0xfffUL));
}

/*
 * PAPR mode: the guest is an sPAPR partition.  KVM PR handles H_ENTER,
 * H_REMOVE, H_BULK_REMOVE and H_PROTECT itself (the rest exit to userspace
 * as KVM_EXIT_PAPR_HCALL), and reads the HTAB at the host virtual address
 * in SDR1, which the guest may no longer write.  The HTAB moves to an
 * anonymous mapping aligned to its size (KVM ORs the hash into SDR1),
 * with the mappings made so far.
 */
void vcpu_enable_papr(struct kvm_vcpu *vcpu)
{
	struct kvm_vm *vm = vcpu->vm;
	struct kvm_sregs sregs;

	if (!vm->arch.papr) {
		char *p = mmap(NULL, 2 * GUEST_HTAB_SIZE, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		void *htab;

		TEST_ASSERT(p != MAP_FAILED, "mmap of the PAPR HTAB");
		htab = (void *)(((unsigned long)p + GUEST_HTAB_SIZE - 1) & ~(GUEST_HTAB_SIZE - 1));
		memcpy(htab, vm->arch.htab, GUEST_HTAB_SIZE);
		vm->arch.htab = htab;
		vm->arch.papr = true;
	}
	vcpu_enable_cap(vcpu, KVM_CAP_PPC_PAPR, 0);
	vcpu_sregs_get(vcpu, &sregs);
	sregs.u.s.sdr1 = (unsigned long)vm->arch.htab | HTAB_SDR1_SIZE;
	vcpu_sregs_set(vcpu, &sregs);
}

void virt_arch_dump(FILE *stream, struct kvm_vm *vm, u8 indent)
{
	u64 *htab = vm->arch.htab;
	unsigned long i, n = 0;

	for (i = 0; i < GUEST_HTAB_SIZE / 16; i++)
		n += !!(be64toh(htab[2 * i]) & HPTE_V_VALID);
	fprintf(stream, "%*sHTAB at 0x%llx%s, %lu of %lu HPTEs valid\n", indent, "",
		(unsigned long long)vm->mmu.pgd, vm->arch.papr ? " (PAPR: host memory)" : "",
		n, GUEST_HTAB_SIZE / 16);
}

/* Big-endian instructions: interrupts run with MSR[LE] = LPCR[ILE] = 0 */
static void put_insn(struct kvm_vm *vm, gpa_t gpa, u32 insn)
{
	*(u32 *)addr_gpa2hva(vm, gpa) = htobe32(insn);
}

/* The trampoline runs with the MSR the vCPU starts with: little-endian */
static void put_insn_le(struct kvm_vm *vm, gpa_t gpa, u32 insn)
{
	*(u32 *)addr_gpa2hva(vm, gpa) = htole32(insn);
}

static void write_vectors(struct kvm_vm *vm)
{
	u64 report = vm->ucall_mmio_addr + 8, off;

	for (off = 0x100; off < TRAMPOLINE_GPA; off += 0x20) {
		gpa_t p = VECTORS_GPA + off;

		/* r4 = report address (lis, ori, sldi 32, oris, ori) */
		put_insn(vm, p, 15u << 26 | 4u << 21 | ((report >> 48) & 0xffff));
		put_insn(vm, p + 4, 24u << 26 | 4u << 21 | 4u << 16 | ((report >> 32) & 0xffff));
		put_insn(vm, p + 8, 30u << 26 | 4u << 21 | 4u << 16 | 0u << 11 | 0x7c6u);
		put_insn(vm, p + 12, 25u << 26 | 4u << 21 | 4u << 16 | ((report >> 16) & 0xffff));
		put_insn(vm, p + 16, 24u << 26 | 4u << 21 | 4u << 16 | (report & 0xffff));
		put_insn(vm, p + 20, 14u << 26 | 3u << 21 | (u32)off);	/* li r3,off */
		put_insn(vm, p + 24, 62u << 26 | 3u << 21 | 4u << 16);	/* std r3,0(r4) */
		put_insn(vm, p + 28, 0x48000000u);			/* b . */
	}
	/* The trampoline: rfid to SRR0 = r12 with SRR1 = r11 */
	put_insn_le(vm, TRAMPOLINE_GPA, 0x7d9a03a6u);		/* mtsrr0 r12 */
	put_insn_le(vm, TRAMPOLINE_GPA + 4, 0x7d7b03a6u);	/* mtsrr1 r11 */
	put_insn_le(vm, TRAMPOLINE_GPA + 8, 0x4c000024u);	/* rfid */
}

struct kvm_vcpu *vm_arch_vcpu_add(struct kvm_vm *vm, u32 vcpu_id)
{
	struct kvm_vcpu *vcpu = __vm_vcpu_add(vm, vcpu_id);
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	gva_t stack;
	u64 esid;

	virt_arch_pgd_alloc(vm);
	stack = __vm_alloc(vm, GUEST_STACK_SIZE, KVM_UTIL_MIN_VADDR, MEM_REGION_DATA);

	vcpu_sregs_get(vcpu, &sregs);
	sregs.u.s.sdr1 = vm->mmu.pgd | HTAB_SDR1_SIZE;
	memset(&sregs.u.s.ppc64.slb, 0, sizeof(sregs.u.s.ppc64.slb));
	for (esid = 0; esid < GUEST_SEGMENTS; esid++) {
		unsigned long slot = guest_slb_slot(esid);

		sregs.u.s.ppc64.slb[slot].slbe = esid << SEGMENT_SHIFT | SLB_ESID_V | slot;
		sregs.u.s.ppc64.slb[slot].slbv = guest_vsid(esid) << SLB_VSID_SHIFT;
	}
	vcpu_sregs_set(vcpu, &sregs);
	/* Vectors at 0: KVM PR puts them at 0xfff00000 for a 64-bit PVR */
	vcpu_set_reg(vcpu, KVM_REG_PPC_HIOR, VECTORS_GPA);

	vcpu_regs_get(vcpu, &regs);
	memset(&regs.gpr, 0, sizeof(regs.gpr));
	regs.pc = TRAMPOLINE_GPA;
	regs.msr = MSR_SF | MSR_ME | MSR_LE;
	regs.gpr[1] = stack + GUEST_STACK_SIZE - 256;	/* ABI: a frame to spill into */
	regs.gpr[11] = GUEST_MSR;
	vcpu_regs_set(vcpu, &regs);
	return vcpu;
}

void vcpu_arch_set_entry_point(struct kvm_vcpu *vcpu, void *guest_code)
{
	struct kvm_regs regs;

	vcpu_regs_get(vcpu, &regs);
	regs.gpr[12] = (u64)guest_code;	/* ELFv2 global entry: r2 from r12 */
	vcpu_regs_set(vcpu, &regs);
}

void vcpu_args_set(struct kvm_vcpu *vcpu, unsigned int num, ...)
{
	struct kvm_regs regs;
	unsigned int i;
	va_list ap;

	TEST_ASSERT(num <= 8, "at most 8 arguments (r3-r10), not %u", num);
	vcpu_regs_get(vcpu, &regs);
	va_start(ap, num);
	for (i = 0; i < num; i++)
		regs.gpr[3 + i] = va_arg(ap, u64);
	va_end(ap);
	vcpu_regs_set(vcpu, &regs);
}

void vcpu_arch_dump(FILE *stream, struct kvm_vcpu *vcpu, u8 indent)
{
	struct kvm_regs regs;

	vcpu_regs_get(vcpu, &regs);
	fprintf(stream, "%*spc 0x%llx msr 0x%llx lr 0x%llx srr0 0x%llx srr1 0x%llx\n",
		indent, "", regs.pc, regs.msr, regs.lr, regs.srr0, regs.srr1);
	fprintf(stream, "%*sdar 0x%lx dsisr 0x%x r3 0x%llx r4 0x%llx\n", indent, "",
		vcpu_get_reg(vcpu, KVM_REG_PPC_DAR), (u32)vcpu_get_reg(vcpu, KVM_REG_PPC_DSISR),
		regs.gpr[3], regs.gpr[4]);
}

void ucall_arch_init(struct kvm_vm *vm, gpa_t mmio_gpa)
{
	gva_t mmio_gva = vm_unused_gva_gap(vm, vm->page_size, KVM_UTIL_MIN_VADDR);

	virt_map(vm, mmio_gva, mmio_gpa, 1);
	vm->ucall_mmio_addr = mmio_gpa;
	write_guest_global(vm, ucall_exit_mmio_addr, (gva_t *)mmio_gva);
	write_vectors(vm);
}

gva_t *ucall_exit_mmio_addr;

void *ucall_arch_get_ucall(struct kvm_vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;

	if (run->exit_reason != KVM_EXIT_MMIO || !run->mmio.is_write)
		return NULL;
	if (run->mmio.phys_addr == vcpu->vm->ucall_mmio_addr) {
		TEST_ASSERT(run->mmio.len == sizeof(u64), "ucall store of %u bytes", run->mmio.len);
		return (void *)*(u64 *)run->mmio.data;
	}
	return NULL;
}

/* An interrupt vector reported itself: the guest took an unexpected one */
void assert_on_unhandled_exception(struct kvm_vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;

	if (run->exit_reason == KVM_EXIT_MMIO && run->mmio.is_write &&
	    run->mmio.phys_addr == vcpu->vm->ucall_mmio_addr + 8) {
		vcpu_arch_dump(stderr, vcpu, 2);
		TEST_FAIL("unexpected guest interrupt 0x%llx",
			  (unsigned long long)be64toh(*(u64 *)run->mmio.data));
	}
}

int vcpu_run_for(struct kvm_vcpu *vcpu, long ms)
{
	struct itimerval t = { .it_value = { .tv_sec = ms / 1000, .tv_usec = ms % 1000 * 1000 } };
	struct itimerval off = {};
	int r, e;

	TEST_ASSERT(!setitimer(ITIMER_REAL, &t, NULL), "setitimer");
	r = __vcpu_run(vcpu);
	e = errno;
	setitimer(ITIMER_REAL, &off, NULL);
	errno = e;
	return r;
}

static struct vcpu_thread {
	struct kvm_vcpu *vcpu;
	pthread_t thread;
	sem_t go;
} vcpu_threads[VCPU_THREADS_MAX];
static unsigned int nr_vcpu_threads;
static sem_t vcpu_threads_stopped;
static bool vcpu_threads_done;

bool (*vcpu_threads_exit_handler)(struct kvm_vcpu *vcpu, int err);

static const char *errno_name(int err)
{
	return strerrorname_np(err) ?: "an unknown errno";
}

/*
 * Run @vcpu to its next GUEST_SYNC (_vcpu_run() retries EINTR), again
 * after each exit or error that the test's exit handler takes; anything
 * else fails the test.
 */
static void vcpu_thread_run(struct kvm_vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	struct ucall uc;
	int r, err;

	for (;;) {
		r = _vcpu_run(vcpu);
		if (r) {
			err = errno;
			if (vcpu_threads_exit_handler && vcpu_threads_exit_handler(vcpu, err))
				continue;
			errno = err;
			TEST_FAIL("vCPU %u: KVM_RUN failed with %s, rc: %d errno: %d (%s)",
				  vcpu->id, errno_name(err), r, err, strerror(err));
		}
		switch (get_ucall(vcpu, &uc)) {
		case UCALL_SYNC:
			return;
		case UCALL_ABORT:
			REPORT_GUEST_ASSERT(uc);
			break;
		case UCALL_NONE:
			if (vcpu_threads_exit_handler && vcpu_threads_exit_handler(vcpu, 0))
				continue;
			fallthrough;
		default:
			TEST_FAIL("vCPU %u: unexpected exit %s (MMIO %s of %u bytes at 0x%llx)",
				  vcpu->id, exit_reason_str(run->exit_reason),
				  run->mmio.is_write ? "write" : "read", run->mmio.len,
				  run->mmio.phys_addr);
		}
	}
}

static void *vcpu_thread(void *arg)
{
	struct vcpu_thread *t = arg;

	for (;;) {
		sem_wait(&t->go);
		if (READ_ONCE(vcpu_threads_done))
			return NULL;
		vcpu_thread_run(t->vcpu);
		sem_post(&vcpu_threads_stopped);
	}
}

void vcpu_threads_start(struct kvm_vcpu **vcpus, unsigned int nr)
{
	unsigned int i;

	TEST_ASSERT(nr && nr <= VCPU_THREADS_MAX, "1 to %d vCPU threads, not %u",
		    VCPU_THREADS_MAX, nr);
	nr_vcpu_threads = nr;
	vcpu_threads_done = false;
	sem_init(&vcpu_threads_stopped, 0, 0);
	for (i = 0; i < nr; i++) {
		vcpu_threads[i].vcpu = vcpus[i];
		sem_init(&vcpu_threads[i].go, 0, 0);
		TEST_ASSERT(!pthread_create(&vcpu_threads[i].thread, NULL, vcpu_thread,
					    &vcpu_threads[i]), "pthread_create");
	}
}

void vcpu_threads_run(void)
{
	unsigned int i;

	for (i = 0; i < nr_vcpu_threads; i++)
		sem_post(&vcpu_threads[i].go);
}

void vcpu_threads_wait(void)
{
	unsigned int i;

	for (i = 0; i < nr_vcpu_threads; i++)
		sem_wait(&vcpu_threads_stopped);
}

void vcpu_threads_stop(void)
{
	unsigned int i;

	WRITE_ONCE(vcpu_threads_done, true);
	vcpu_threads_run();
	for (i = 0; i < nr_vcpu_threads; i++)
		pthread_join(vcpu_threads[i].thread, NULL);
	nr_vcpu_threads = 0;
}
