/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * powerpc64 hash-MMU guests under KVM Book3S PR: the guest's view.
 */
#ifndef SELFTEST_KVM_PROCESSOR_H
#define SELFTEST_KVM_PROCESSOR_H

#include <linux/bits.h>
#include <linux/types.h>

#define MSR_SF		BIT(63)
#define MSR_EE		BIT(15)
#define MSR_PR		BIT(14)
#define MSR_ME		BIT(12)
#define MSR_IR		BIT(5)
#define MSR_DR		BIT(4)
#define MSR_RI		BIT(1)
#define MSR_LE		BIT(0)

static inline void cpu_relax(void)
{
	asm volatile("or 1,1,1; or 2,2,2" : : : "memory");	/* low, then medium priority */
}

/* The MSR guest code runs with: 64-bit, translation on, little-endian */
#define GUEST_MSR	(MSR_SF | MSR_ME | MSR_IR | MSR_DR | MSR_RI | MSR_LE)

/* 256M segments, 4K pages, one VSID per segment */
#define SEGMENT_SHIFT	28
#define GUEST_SEGMENTS	64		/* the SLB entries KVM PR emulates */
#define VSID_BASE	0x100000UL

static inline __u64 guest_vsid(__u64 esid)
{
	return VSID_BASE + esid;
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

/* Guest SLB entry of a segment, as the library sets it: slot = ESID */
static inline void guest_slbmte(unsigned long ea)
{
	unsigned long esid = ea >> SEGMENT_SHIFT;
	unsigned long rb = esid << SEGMENT_SHIFT | 0x08000000UL | esid;	/* V, slot */

	asm volatile("slbmte %0,%1; isync" : : "r"(guest_vsid(esid) << 12), "r"(rb) : "memory");
}

struct kvm_vm;

/* Host side: point the guest HTAB's existing translation of @gva at @gpa */
void virt_pg_remap(struct kvm_vm *vm, unsigned long gva, unsigned long gpa);

#endif
