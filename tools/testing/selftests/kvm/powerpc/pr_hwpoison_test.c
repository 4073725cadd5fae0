// SPDX-License-Identifier: GPL-2.0-only
/*
 * KVM Book3S PR: a guest access to a poisoned host page must reach the VMM
 * as a SIGBUS, as on the other architectures, so that it can inject a
 * machine check or kill the guest; a host page that is only missing, or
 * read-only for a store, must fail KVM_RUN with EFAULT and send no SIGBUS.
 *
 *   hwpoison   the guest writes and reads a data page, so that it has a
 *              shadow HPTE; the host poisons the host page behind it with
 *              MADV_HWPOISON, whose MMU notifier drops the shadow HPTE.
 *              When the guest reads the page again the vCPU thread must
 *              get SIGBUS with BUS_MCEERR_AR at the host page's address
 *              (si_addr_lsb its shift) and KVM_RUN must end with EINTR.
 *              Upstream instead retries the fault in the kernel, a printk
 *              each time, until a signal comes: here the test's timer.
 *   mprotect   the control: a guest store to a page the host made
 *              read-only must fail KVM_RUN with EFAULT and send no SIGBUS,
 *              and land once the page is writable again.
 *
 * MADV_HWPOISON needs CAP_SYS_ADMIN and CONFIG_MEMORY_FAILURE; without
 * them the hwpoison subtest is skipped.  It may send a SIGBUS of its own
 * (memory_failure() signals the injecting thread for a dirty page): only
 * the SIGBUS that KVM_RUN brings counts.  The poisoned page is gone from
 * the process: the host never touches it again, it is unmapped when the
 * VM is freed.
 */
#include <signal.h>
#include <sys/mman.h>

#include "kvm_util.h"
#include "processor.h"
#include "ucall_common.h"

#define DATA_SLOT	1
#define DATA_GPA	BIT_ULL(30)
#define DATA_GVA	BIT_ULL(30)
#define DATA_PAGES	64UL		/* guest 4K pages: 4 host pages of 64K */
#define POISON_PAGE	21		/* not the first guest page of a 64K page */
#define POISON_OFFSET	0x18UL
#define RO_PAGE		48		/* another host page, 4K or 64K */
#define RUN_MS		2000		/* a kernel that retries the fault gets EINTR */

#define POISON_VALUE	0x0bad0bad0bad0badULL
#define STORE_1		0x5707e00000000001ULL
#define STORE_2		0x5707e00000000002ULL

/* What the signal handlers saw: signals come on the return from a system call */
struct seen {
	int sigbus, alarms;	/* how many */
	int code, lsb;		/* of the last SIGBUS */
	void *addr;
};

static struct seen seen;

static void on_sigbus(int sig, siginfo_t *si, void *uc)
{
	WRITE_ONCE(seen.code, si->si_code);
	WRITE_ONCE(seen.lsb, si->si_addr_lsb);
	WRITE_ONCE(seen.addr, si->si_addr);
	WRITE_ONCE(seen.sigbus, READ_ONCE(seen.sigbus) + 1);
}

static void on_alarm(int sig)
{
	WRITE_ONCE(seen.alarms, READ_ONCE(seen.alarms) + 1);
}

/*
 * What the handlers saw since the last call.  Volatile accesses: without
 * them the compiler takes the handlers' stores for impossible across the
 * system call, and reads back the zeros stored before it.
 */
static struct seen take_seen(void)
{
	struct seen s = {
		.sigbus = READ_ONCE(seen.sigbus),
		.alarms = READ_ONCE(seen.alarms),
		.code = READ_ONCE(seen.code),
		.lsb = READ_ONCE(seen.lsb),
		.addr = READ_ONCE(seen.addr),
	};

	WRITE_ONCE(seen.sigbus, 0);
	WRITE_ONCE(seen.alarms, 0);
	return s;
}

static void guest_poison(u64 gva)
{
	WRITE_ONCE(*(u64 *)gva, POISON_VALUE);
	GUEST_ASSERT_EQ(READ_ONCE(*(u64 *)gva), POISON_VALUE);
	GUEST_SYNC(1);
	/* The host poisoned the page: this read must not complete */
	GUEST_SYNC_ARGS(2, READ_ONCE(*(u64 *)gva), 0, 0, 0);
	GUEST_DONE();
}

static void guest_store(u64 gva)
{
	WRITE_ONCE(*(u64 *)gva, STORE_1);
	GUEST_SYNC(1);
	/* The host made the page read-only: this store waits until it is not */
	WRITE_ONCE(*(u64 *)gva, STORE_2);
	GUEST_DONE();
}

static struct kvm_vm *create_vm(struct kvm_vcpu **vcpu, void *guest_code, u64 gva)
{
	struct kvm_vm *vm = vm_create_with_one_vcpu(vcpu, guest_code);

	vm_userspace_mem_region_add(vm, VM_MEM_SRC_ANONYMOUS, DATA_GPA, DATA_SLOT, DATA_PAGES, 0);
	virt_map(vm, DATA_GVA, DATA_GPA, DATA_PAGES);
	vcpu_args_set(*vcpu, 1, gva);
	return vm;
}

/* One KVM_RUN that must end in a ucall: its command, @uc filled */
static u64 run_ucall(struct kvm_vcpu *vcpu, struct ucall *uc)
{
	u64 cmd;

	vcpu_run(vcpu);
	cmd = get_ucall(vcpu, uc);
	if (cmd == UCALL_ABORT)
		REPORT_GUEST_ASSERT(*uc);
	return cmd;
}

static void expect_sync(struct kvm_vcpu *vcpu, u64 stage)
{
	struct ucall uc;

	TEST_ASSERT(run_ucall(vcpu, &uc) == UCALL_SYNC && uc.args[1] == stage,
		    "want GUEST_SYNC(%lu), exit %s", stage,
		    exit_reason_str(vcpu->run->exit_reason));
}

static void test_hwpoison(void)
{
	long host_page = getpagesize();
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct ucall uc;
	char *hva, *page;
	struct seen s;
	int r, e;

	vm = create_vm(&vcpu, guest_poison, DATA_GVA + POISON_PAGE * 4096 + POISON_OFFSET);
	hva = addr_gpa2hva(vm, DATA_GPA + POISON_PAGE * 4096 + POISON_OFFSET);
	page = (char *)((unsigned long)hva & ~(host_page - 1));
	expect_sync(vcpu, 1);
	TEST_ASSERT_EQ(*(u64 *)hva, POISON_VALUE);

	/* MADV_HWPOISON may send a SIGBUS of its own, to this thread, at once */
	take_seen();
	if (madvise(page, host_page, MADV_HWPOISON)) {
		e = errno;
		kvm_vm_free(vm);
		if (e == EINVAL || e == EPERM) {
			ksft_test_result_skip("hwpoison: MADV_HWPOISON: %s (%s)\n", strerror(e),
					      e == EINVAL ? "no CONFIG_MEMORY_FAILURE" :
					      "needs CAP_SYS_ADMIN");
			return;
		}
		TEST_FAIL("MADV_HWPOISON of %p: %s", page, strerror(e));
	}
	s = take_seen();
	ksft_print_msg("hwpoison: host page %p (%ld bytes) poisoned; madvise sent %d SIGBUS\n",
		       page, host_page, s.sigbus);
	if (s.sigbus)
		ksft_print_msg("hwpoison: madvise's SIGBUS: si_code %d, si_addr %p, lsb %d\n",
			       s.code, s.addr, s.lsb);

	r = vcpu_run_for(vcpu, RUN_MS);
	e = r ? errno : 0;
	s = take_seen();
	ksft_print_msg("hwpoison: KVM_RUN %d (errno %d), exit %s; %d SIGBUS, %d SIGALRM\n",
		       r, e, exit_reason_str(vcpu->run->exit_reason), s.sigbus, s.alarms);
	if (s.sigbus)
		ksft_print_msg("hwpoison: KVM_RUN's SIGBUS: si_code %d, si_addr %p, lsb %d\n",
			       s.code, s.addr, s.lsb);
	if (!r && get_ucall(vcpu, &uc) == UCALL_SYNC)
		TEST_FAIL("the guest read 0x%lx from the poisoned page: its shadow HPTE survived",
			  uc.args[2]);
	TEST_ASSERT(s.sigbus, "no SIGBUS for the poisoned page: KVM_RUN returned %d (errno %d)%s",
		    r, e, s.alarms ? ", ended by the test's timer" : "");
	TEST_ASSERT(r == -1 && e == EINTR, "KVM_RUN after the SIGBUS: %d (errno %d), want EINTR",
		    r, e);
	TEST_ASSERT(s.code == BUS_MCEERR_AR, "SIGBUS si_code %d, want BUS_MCEERR_AR (%d)",
		    s.code, BUS_MCEERR_AR);
	TEST_ASSERT(s.addr == page, "SIGBUS si_addr %p, want the poisoned host page %p",
		    s.addr, page);
	TEST_ASSERT(s.lsb == __builtin_ctzl(host_page), "SIGBUS si_addr_lsb %d, want %d",
		    s.lsb, __builtin_ctzl(host_page));

	kvm_vm_free(vm);	/* munmap: the poisoned page is not touched */
	ksft_test_result_pass("hwpoison\n");
}

static void test_mprotect(void)
{
	long host_page = getpagesize();
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct ucall uc;
	struct seen s;
	char *page;
	u64 *hva;
	int r, e;

	vm = create_vm(&vcpu, guest_store, DATA_GVA + RO_PAGE * 4096);
	hva = addr_gpa2hva(vm, DATA_GPA + RO_PAGE * 4096);
	page = (char *)((unsigned long)hva & ~(host_page - 1));
	expect_sync(vcpu, 1);
	TEST_ASSERT_EQ(*hva, STORE_1);

	TEST_ASSERT(!mprotect(page, host_page, PROT_READ), "mprotect");
	take_seen();
	r = vcpu_run_for(vcpu, RUN_MS);
	e = r ? errno : 0;
	s = take_seen();
	ksft_print_msg("mprotect: KVM_RUN %d (errno %d), exit %s; %d SIGBUS\n",
		       r, e, exit_reason_str(vcpu->run->exit_reason), s.sigbus);
	TEST_ASSERT(!s.sigbus, "SIGBUS (si_code %d, si_addr %p) for a read-only page",
		    s.code, s.addr);
	TEST_ASSERT(r == -1 && e == EFAULT,
		    "KVM_RUN on a store to a read-only page: %d (errno %d), want EFAULT", r, e);
	TEST_ASSERT_EQ(*hva, STORE_1);

	TEST_ASSERT(!mprotect(page, host_page, PROT_READ | PROT_WRITE), "mprotect");
	TEST_ASSERT(run_ucall(vcpu, &uc) == UCALL_DONE, "want GUEST_DONE, exit %s",
		    exit_reason_str(vcpu->run->exit_reason));
	TEST_ASSERT_EQ(*hva, STORE_2);
	kvm_vm_free(vm);
	ksft_test_result_pass("mprotect\n");
}

int main(int argc, char *argv[])
{
	struct sigaction bus = { .sa_sigaction = on_sigbus, .sa_flags = SA_SIGINFO };
	struct sigaction alrm = { .sa_handler = on_alarm };

	ksft_print_header();
	ksft_set_plan(2);
	/* This thread is the vCPU's: the SIGBUS comes to it */
	TEST_ASSERT(!sigaction(SIGBUS, &bus, NULL), "sigaction SIGBUS");
	TEST_ASSERT(!sigaction(SIGALRM, &alrm, NULL), "sigaction SIGALRM");

	test_hwpoison();
	test_mprotect();
	ksft_finished();
}
