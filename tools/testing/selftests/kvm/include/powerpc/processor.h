/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * powerpc64 hash-MMU guests under KVM Book3S PR: the guest's view.
 */
#ifndef SELFTEST_KVM_PROCESSOR_H
#define SELFTEST_KVM_PROCESSOR_H

#include <linux/bits.h>
#include <linux/types.h>
#include <stdbool.h>

#include "kvm_util_types.h"

#define MSR_SF		BIT(63)
#define MSR_VEC		BIT(25)
#define MSR_VSX		BIT(23)
#define MSR_EE		BIT(15)
#define MSR_PR		BIT(14)
#define MSR_FP		BIT(13)
#define MSR_ME		BIT(12)
#define MSR_IR		BIT(5)
#define MSR_DR		BIT(4)
#define MSR_RI		BIT(1)
#define MSR_LE		BIT(0)

static inline void cpu_relax(void)
{
	asm volatile("or 1,1,1; or 2,2,2" : : : "memory");	/* low, then medium priority */
}

/*
 * The MSR guest code runs with: 64-bit, translation on, little-endian, and
 * FP, VMX and VSX available (the compiler uses vector stores to clear
 * arrays)
 */
#define GUEST_MSR	(MSR_SF | MSR_VEC | MSR_VSX | MSR_FP | MSR_ME | MSR_IR | MSR_DR | \
			 MSR_RI | MSR_LE)

/* 256M segments, 4K pages, one VSID per segment */
#define SEGMENT_SHIFT	28
#define GUEST_SEGMENTS	64		/* the SLB entries KVM PR emulates */
#define VSID_BASE	0x100000UL

static inline __u64 guest_vsid(__u64 esid)
{
	return VSID_BASE + esid;
}

/*
 * SLB slot of a segment: the ESID, except that the segment of the test
 * program's text and data (the ELF is loaded at its link address, the same
 * in the guest as in the host process) takes slot 0, which slbia keeps.
 */
static inline unsigned long guest_slb_slot(unsigned long esid)
{
	extern char __executable_start[];

	return esid ^ ((unsigned long)__executable_start >> SEGMENT_SHIFT);
}

#define SLB_ESID_V	0x08000000UL
#define SLB_VSID_SHIFT	12

/*
 * The guest HTAB: 8 MiB, 65536 groups of 8 HPTEs (big-endian), hashed as
 * the architecture's primary and secondary hash of a 256M-segment 4K page.
 */
#define GUEST_HTAB_SIZE		(8UL << 20)
#define HPTE_V_VALID		0x1UL
#define HPTE_V_SECONDARY	0x2UL
#define HPTE_R_R		0x100UL
#define HPTE_R_C		0x80UL
#define HPTE_R_M		0x10UL
#define HPTE_R_PP_RW		0x2UL

/* The first doubleword of a valid HPTE of @ea's page in segment @vsid */
static inline __u64 hpte_v(__u64 vsid, unsigned long ea)
{
	__u64 va = vsid << SEGMENT_SHIFT | (ea & 0x0fffffffUL);

	return (va >> 23) << 7 | HPTE_V_VALID;
}

/* The group (PTEG index) of @ea's page in segment @vsid */
static inline __u64 hpte_group(__u64 vsid, unsigned long ea, bool secondary)
{
	__u64 hash = vsid ^ ((ea & 0x0fffffffUL) >> 12);

	if (secondary)
		hash = ~hash;
	return hash & (GUEST_HTAB_SIZE / 128 - 1);
}

/*
 * Guest tlbie of one 4K page: RB holds the virtual address, VSID and page
 * offset in the segment, as KVM PR's emulation reads it.
 */
static inline void guest_tlbie(unsigned long ea)
{
	unsigned long va = guest_vsid(ea >> SEGMENT_SHIFT) << SEGMENT_SHIFT |
			   (ea & 0x0ffff000UL);

	asm volatile("ptesync; tlbie %0,0; eieio; tlbsync; ptesync" : : "r"(va) : "memory");
}

static inline void guest_slbie(unsigned long ea)
{
	asm volatile("slbie %0; isync" : : "r"(ea & ~0x0fffffffUL) : "memory");
}

/* Guest SLB entry of the segment of @ea with VSID @vsid, in its slot */
static inline void guest_slbmte_vsid(unsigned long ea, unsigned long vsid)
{
	unsigned long esid = ea >> SEGMENT_SHIFT;
	unsigned long rb = esid << SEGMENT_SHIFT | SLB_ESID_V | guest_slb_slot(esid);

	asm volatile("slbmte %0,%1; isync" : : "r"(vsid << SLB_VSID_SHIFT), "r"(rb) : "memory");
}

/* Guest SLB entry of a segment, as the library sets it */
static inline void guest_slbmte(unsigned long ea)
{
	guest_slbmte_vsid(ea, guest_vsid(ea >> SEGMENT_SHIFT));
}

/*
 * slbia drops every SLB entry but slot 0 (the program's segment); the stack
 * segment (ESID 0) must come back before the next C statement, so its
 * slbmte is in the same asm.
 */
static inline void guest_slbia(void)
{
	unsigned long rb = SLB_ESID_V | guest_slb_slot(0);

	asm volatile("slbia; slbmte %0,%1; isync"
		     : : "r"(guest_vsid(0) << SLB_VSID_SHIFT), "r"(rb) : "memory");
}

/*
 * The guest's MSR.  mfmsr is privileged, and a PR guest runs in problem
 * state, so KVM emulates it: each call is also a round trip through the
 * host kernel, whose exit and entry reload the SLB.
 */
static inline u64 guest_mfmsr(void)
{
	u64 msr;

	asm volatile("mfmsr %0" : "=r"(msr) : : "memory");
	return msr;
}

/* sPAPR hypervisor calls (PAPR mode, vcpu_enable_papr()) */
#define H_SUCCESS		0
#define H_FUNCTION		-2
#define H_PARAMETER		-4
#define H_PTEG_FULL		-6
#define H_NOT_FOUND		-7
#define H_EXACT			BIT_ULL(63 - 24)
#define H_AVPN			BIT_ULL(63 - 32)
#define H_READ_4		BIT_ULL(63 - 26)
#define H_REMOVE		0x04
#define H_ENTER			0x08
#define H_READ			0x0c
#define H_CLEAR_MOD		0x10
#define H_CLEAR_REF		0x14
#define H_PROTECT		0x18
#define H_PUT_TCE		0x20
#define H_LOGICAL_CI_LOAD	0x3c
#define H_LOGICAL_CI_STORE	0x40
#define H_XIRR			0x74
#define H_BULK_REMOVE		0x124
#define H_STUFF_TCE		0x138
#define H_PUT_TCE_INDIRECT	0x13c
#define H_SET_MODE		0x31c
#define H_RTAS			0xf000

#define H_BULK_REMOVE_REQUEST	BIT_ULL(62)
#define H_BULK_REMOVE_END	(BIT_ULL(63) | BIT_ULL(62))
#define H_BULK_REMOVE_AVPN	BIT_ULL(57)
#define H_BULK_REMOVE_CODE	(BIT_ULL(61) | BIT_ULL(60))
#define H_BULK_REMOVE_REF	BIT_ULL(59)	/* the removed HPTE's R */
#define H_BULK_REMOVE_CHG	BIT_ULL(58)	/* and its C */
#define H_BULK_REMOVE_PTEX	(BIT_ULL(56) - 1)

/*
 * hcall @op with r4-r11 from @args; r4-r11 come back in @args.
 *
 * Not "sc 1" but the reserved instruction KVM PR takes as one
 * (OP_31_XOP_FAKE_SC1, as SLOF patches itself to use): when KVM PR runs
 * in an LPAR, the hypervisor below may answer an "sc 1" from the guest's
 * problem state itself (QEMU's pseries does, with H_PRIVILEGE), and the
 * call never reaches KVM.
 */
#define GUEST_FAKE_SC1		".long 0x7c000268"

static inline long guest_hcall(u64 op, u64 args[8])
{
	register u64 r3 asm("r3") = op;
	register u64 r4 asm("r4") = args[0];
	register u64 r5 asm("r5") = args[1];
	register u64 r6 asm("r6") = args[2];
	register u64 r7 asm("r7") = args[3];
	register u64 r8 asm("r8") = args[4];
	register u64 r9 asm("r9") = args[5];
	register u64 r10 asm("r10") = args[6];
	register u64 r11 asm("r11") = args[7];

	asm volatile(GUEST_FAKE_SC1
		     : "+r"(r3), "+r"(r4), "+r"(r5), "+r"(r6), "+r"(r7), "+r"(r8), "+r"(r9),
		       "+r"(r10), "+r"(r11)
		     : : "r0", "r12", "ctr", "xer", "cr0", "memory");
	args[0] = r4;
	args[1] = r5;
	args[2] = r6;
	args[3] = r7;
	args[4] = r8;
	args[5] = r9;
	args[6] = r10;
	args[7] = r11;
	return r3;
}

struct kvm_vm;

/* Host side: point the guest HTAB's existing translation of @gva at @gpa */
void virt_pg_remap(struct kvm_vm *vm, gva_t gva, gpa_t gpa);

/* Host side: map @gva to @gpa in the guest HTAB under segment VSID @vsid */
void virt_pg_map_vsid(struct kvm_vm *vm, u64 vsid, gva_t gva, gpa_t gpa);

/* Host side: the HPTE (two big-endian doublewords) of @gva in @vsid, or NULL */
u64 *virt_hpte_lookup(struct kvm_vm *vm, u64 vsid, gva_t gva);

struct kvm_vcpu;

/* Make the vCPU an sPAPR partition's (KVM_CAP_PPC_PAPR); see processor.c */
void vcpu_enable_papr(struct kvm_vcpu *vcpu);

/*
 * Host side: one KVM_RUN of @vcpu, ended after @ms milliseconds by SIGALRM
 * if it has not returned (the caller installs a SIGALRM handler); returns
 * the ioctl's result with its errno.
 */
int vcpu_run_for(struct kvm_vcpu *vcpu, long ms);

/*
 * Host side: vCPUs that run in threads of their own, from one GUEST_SYNC
 * to the next.  vcpu_threads_start() starts a thread per vCPU, which waits;
 * vcpu_threads_run() lets every vCPU run until its next GUEST_SYNC, and
 * vcpu_threads_wait() waits until all of them got there; a guest assertion
 * or any other exit fails the test, unless vcpu_threads_exit_handler takes
 * it.  vcpu_threads_stop() ends the threads (every vCPU must be at a
 * GUEST_SYNC).
 *
 * vcpu_threads_exit_handler, NULL unless the test sets it (before
 * vcpu_threads_run()), is called in the vCPU's thread, concurrently for
 * different vCPUs: with @err 0 for an exit that is not a ucall (the test
 * looks at vcpu->run, and may complete an MMIO read in run->mmio.data), or
 * with KVM_RUN's errno (also in errno) when KVM_RUN failed with anything
 * but EINTR, which the library retries.  It returns true when it handled
 * the exit or the error: the vCPU runs again; false fails the test with the
 * exit reason, or with the errno's name.  It may fail the test itself with
 * a message of its own.
 */
#define VCPU_THREADS_MAX	8
extern bool (*vcpu_threads_exit_handler)(struct kvm_vcpu *vcpu, int err);
void vcpu_threads_start(struct kvm_vcpu **vcpus, unsigned int nr);
void vcpu_threads_run(void);
void vcpu_threads_wait(void);
void vcpu_threads_stop(void);

#endif
