/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef SELFTEST_KVM_UTIL_ARCH_H
#define SELFTEST_KVM_UTIL_ARCH_H

#include <linux/types.h>
#include <stdbool.h>

/* Book3S PR: the guest runs in problem state, its MMU shadowed */
#define VM_TYPE_DEFAULT	KVM_VM_PPC_PR

struct kvm_mmu_arch {};

/* A hash-MMU guest: its HTAB, and the segments its SLB maps */
struct kvm_vm_arch {
	void *htab;		/* where the library reads and writes it (at mmu.pgd) */
	bool papr;		/* vcpu_enable_papr(): SDR1 is the host address */
};

#endif  // SELFTEST_KVM_UTIL_ARCH_H
