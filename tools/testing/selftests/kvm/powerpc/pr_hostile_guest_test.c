// SPDX-License-Identifier: GPL-2.0-only
/*
 * A hostile guest under KVM Book3S PR, and a careless VMM: the host must
 * contain them.  Each round, from a seed:
 *   - the host garbles 8 HPTEs of the guest HTAB that translate the
 *     guest's data pages (random real page numbers, protection, page size
 *     and segment size bits), and writes random HPTEs into 8 free slots
 *     (the last round's garbage is put back first);
 *   - one round in eight, the host loads random SLB entries and a random
 *     SDR1 through KVM_SET_SREGS, and one in sixteen a random PVR too
 *     (KVM PR picks the guest MMU model from it);
 *   - the guest runs 24 random operations: slbmte, slbie and slbia with
 *     random operands, tlbie (both L forms) of random addresses, mtsdr1 of
 *     a random HTAB, loads, stores and dcbz through the garbled
 *     translations and at random addresses, an MSR bit flip, and hcalls
 *     with a random opcode and random arguments.
 * First, deterministically, the SLB slot bounds: slbmfee and slbmfev of
 * slot 64 (one past the 64 entries) must read zero, and an slbmte or a
 * KVM_SET_SREGS entry for slot 64 must change nothing.
 *
 * A round ends with the guest's ucall, an interrupt the guest's vectors
 * report, an error from KVM_RUN or an exit the VMM does not handle, or a
 * two-second timer (a guest spinning on a fault it made for itself).  The
 * first pass runs the guest on its own MMU, the second as a PAPR partition
 * whose hcalls (H_ENTER, H_REMOVE, H_BULK_REMOVE, H_PROTECT, ...) get
 * random arguments.  Afterwards the VM must still work: with its HTAB and
 * SLB restored, the guest invalidates its data translations and must read
 * every data page correctly.  The project's nested run checks the host's
 * log for warnings, BUGs, list corruption and kmemleak reports afterwards.
 */
#include <signal.h>
#include <sys/time.h>

#include "kvm_util.h"
#include "processor.h"
#include "ucall_common.h"

#define DATA_SLOT	1
#define DATA_GPA	BIT_ULL(30)
#define DATA_GVA	BIT_ULL(30)
#define DATA_PAGES	64UL
#define ROUNDS		1000
#define OPS		24
#define MAGIC		0xbad0000000000000ULL
#define MAX_MMIO	64	/* MMIO exits answered per round */

enum { MODE_HOSTILE, MODE_CHECK, MODE_SLB_BOUNDS };

static u64 xorshift(u64 *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

static void random_op(u64 *x, u64 gva, bool papr)
{
	u64 op = xorshift(x) % 16, a = xorshift(x), b = xorshift(x);
	u64 data = gva + (a % (DATA_PAGES * 4096) & ~7UL);

	switch (op) {
	case 0:
		asm volatile("slbmte %0,%1" : : "r"(b), "r"((a & ~0xfffUL) | a % 64) : "memory");
		break;
	case 1:
		asm volatile("slbie %0" : : "r"(a) : "memory");
		break;
	case 2:
		if (a % 16 == 0)
			asm volatile("slbia" : : : "memory");
		break;
	case 3:
		asm volatile("ptesync; tlbie %0,0; eieio; tlbsync; ptesync" : : "r"(a) : "memory");
		break;
	case 4:
		asm volatile("ptesync; tlbie %0,1; eieio; tlbsync; ptesync" : : "r"(a) : "memory");
		break;
	case 5:
		if (a % 8 == 0)
			asm volatile("mtspr 25,%0; isync" : : "r"(b) : "memory");	/* SDR1 */
		break;
	case 6:
	case 7:
		READ_ONCE(*(u64 *)data);
		break;
	case 8:
	case 9:
		WRITE_ONCE(*(u64 *)data, b);
		break;
	case 10:
		asm volatile("dcbz 0,%0" : : "r"(data) : "memory");
		break;
	case 11:
		READ_ONCE(*(u64 *)(a & ~7UL));
		break;
	case 12:
		if (a % 8 == 0) {
			u64 msr = guest_mfmsr();

			msr ^= BIT_ULL(b % 64);
			asm volatile("mtmsrd %0; isync" : : "r"(msr) : "memory");
		}
		break;
	default: {
		/*
		 * An hcall, mostly one KVM PR handles, arguments partly
		 * plausible.  Not H_CEDE: it would sleep until the timer.
		 */
		static const u64 ops[] = {
			H_REMOVE, H_ENTER, H_PROTECT, H_BULK_REMOVE, H_PUT_TCE,
			H_PUT_TCE_INDIRECT, H_STUFF_TCE, H_LOGICAL_CI_LOAD,
			H_LOGICAL_CI_STORE, H_SET_MODE, H_XIRR, H_RTAS,
		};
		u64 args[8], i;

		if (!papr && a % 32)
			break;	/* outside PAPR mode, an hcall ends the round */
		if (a % 16 == 0) {	/* a real sc 1, for whoever takes it */
			asm volatile("li 3,0; sc 1"
				     : : : "r0", "r3", "r4", "r5", "r6", "r7", "r8", "r9", "r10",
				     "r11", "r12", "ctr", "xer", "cr0", "memory");
			break;
		}

		args[0] = a % 3 ? b >> (a % 64) : b;	/* flags */
		args[1] = a % 2 ? (b & 0x7ffff) : xorshift(x);	/* often an HPTE index */
		for (i = 2; i < 8; i++)
			args[i] = xorshift(x);
		guest_hcall(a % 4 ? ops[b % ARRAY_SIZE(ops)] : (a >> 32) & ~3UL, args);
		break;
	}
	}
}

static void guest_code(u64 seed, u64 gva, u64 mode, u64 papr)
{
	u64 i, x = seed | 1;

	if (mode == MODE_SLB_BOUNDS) {
		u64 e, v;

		asm volatile("slbmfee %0,%1" : "=r"(e) : "r"(64UL));
		asm volatile("slbmfev %0,%1" : "=r"(v) : "r"(64UL));
		GUEST_ASSERT_EQ(e, 0);
		GUEST_ASSERT_EQ(v, 0);
		asm volatile("slbmte %0,%1; isync" : : "r"(0UL), "r"(SLB_ESID_V | 64UL) : "memory");
		GUEST_SYNC(1);
		GUEST_DONE();
	}
	if (mode == MODE_CHECK) {
		for (i = 0; i < DATA_PAGES; i++) {
			guest_tlbie(gva + i * 4096);
			GUEST_ASSERT_EQ(READ_ONCE(*(u64 *)(gva + i * 4096)), MAGIC ^ i);
		}
		GUEST_DONE();
	}
	for (i = 0; i < OPS; i++)
		random_op(&x, gva, papr);
	GUEST_SYNC(seed);
}

static void on_alarm(int sig)
{
}

enum outcome { DONE, INTERRUPT, STUCK, ERROR, OTHER_EXIT, NR_OUTCOMES };

static const char * const outcome_name[] = {
	"ucall", "guest interrupt", "timer", "KVM_RUN error", "other exit",
};

/* Real page numbers for garbled HPTEs: data, the void above it, anything */
static u64 random_rpn(u64 *x)
{
	u64 a = xorshift(x);

	switch (a % 4) {
	case 0:
		return DATA_GPA + (a >> 8) % (DATA_PAGES * 4096);
	case 1:
		return DATA_GPA + DATA_PAGES * 4096 + (a >> 8) % (1UL << 28);
	case 2:
		return BIT_ULL(40) + (a >> 8);
	default:
		return xorshift(x);
	}
}

/*
 * Put back what the last round garbled (@copy is the HTAB as the library
 * built it), then garble 8 HPTEs of data pages and 8 free HPTE slots.
 */
static void garble(struct kvm_vm *vm, const u64 *copy, u64 *touched, u64 *x)
{
	u64 *htab = vm->arch.htab, vsid = guest_vsid(DATA_GVA >> SEGMENT_SHIFT);
	int i;

	for (i = 0; i < 16; i++) {
		htab[2 * touched[i]] = copy[2 * touched[i]];
		htab[2 * touched[i] + 1] = copy[2 * touched[i] + 1];
	}
	for (i = 0; i < 8; i++) {
		u64 page = xorshift(x) % DATA_PAGES, a = xorshift(x);
		u64 *hpte = virt_hpte_lookup(vm, vsid, DATA_GVA + page * 4096);

		if (!hpte)
			continue;	/* garbled already this round */
		touched[i] = (hpte - htab) / 2;
		if (a % 4)
			hpte[1] = htobe64((random_rpn(x) & ~0xfffUL) | (a & 0xfff));
		else
			hpte[0] = htobe64(be64toh(hpte[0]) ^ (0xc000000000000004ULL & a));
	}
	for (; i < 16; i++) {
		u64 slot = xorshift(x) % (GUEST_HTAB_SIZE / 16);

		if (copy[2 * slot])
			continue;	/* a translation the guest needs */
		touched[i] = slot;
		htab[2 * slot] = xorshift(x);
		htab[2 * slot + 1] = htobe64(random_rpn(x) | (xorshift(x) & 0xfff));
	}
}

static enum outcome run_round(struct kvm_vcpu *vcpu, u64 *x, unsigned int *mmio)
{
	struct itimerval t = { .it_value = { .tv_sec = 2 } }, off = {};
	struct kvm_run *run = vcpu->run;
	u64 ucall = vcpu->vm->ucall_mmio_addr;
	enum outcome o;
	int r, n;

	TEST_ASSERT(!setitimer(ITIMER_REAL, &t, NULL), "setitimer");
	for (n = 0;; n++) {
		r = __vcpu_run(vcpu);
		if (r < 0) {
			o = errno == EINTR ? STUCK : ERROR;
			break;
		}
		if (run->exit_reason == KVM_EXIT_MMIO && run->mmio.is_write &&
		    (run->mmio.phys_addr == ucall || run->mmio.phys_addr == ucall + 8)) {
			o = run->mmio.phys_addr == ucall ? DONE : INTERRUPT;
			break;
		}
		if (run->exit_reason == KVM_EXIT_MMIO && n < MAX_MMIO) {
			u64 v = xorshift(x);

			if (!run->mmio.is_write)
				memcpy(run->mmio.data, &v, sizeof(run->mmio.data));
			(*mmio)++;
			continue;
		}
		if (run->exit_reason == KVM_EXIT_PAPR_HCALL && n < MAX_MMIO) {
			run->papr_hcall.ret = -2;	/* H_FUNCTION */
			continue;
		}
		o = OTHER_EXIT;
		break;
	}
	setitimer(ITIMER_REAL, &off, NULL);
	return o;
}

static void hostile_pass(bool papr)
{
	unsigned int count[NR_OUTCOMES] = {}, mmio = 0, round, i;
	struct kvm_sregs sregs, bad;
	struct kvm_vcpu *vcpu;
	struct kvm_regs regs;
	struct kvm_vm *vm;
	u64 x = papr ? 0x9e3779b97f4a7c15ULL : 0x2545f4914f6cdd1dULL;
	u64 *data, *htab_copy, touched[16] = {};
	struct ucall uc;

	vm = vm_create_with_one_vcpu(&vcpu, guest_code);
	vm_userspace_mem_region_add(vm, VM_MEM_SRC_ANONYMOUS, DATA_GPA, DATA_SLOT, DATA_PAGES, 0);
	virt_map(vm, DATA_GVA, DATA_GPA, DATA_PAGES);
	if (papr)
		vcpu_enable_papr(vcpu);
	vcpu_args_set(vcpu, 4, 0, DATA_GVA, MODE_HOSTILE, papr);
	vcpu_regs_get(vcpu, &regs);
	vcpu_sregs_get(vcpu, &sregs);
	htab_copy = malloc(GUEST_HTAB_SIZE);
	TEST_ASSERT(htab_copy, "malloc");
	memcpy(htab_copy, vm->arch.htab, GUEST_HTAB_SIZE);

	for (round = 0; round < ROUNDS; round++) {
		garble(vm, htab_copy, touched, &x);
		if (round % 8 == 7) {
			bad = sregs;
			if (round % 16 == 15)
				bad.pvr = xorshift(&x);	/* may switch the MMU model */
			bad.u.s.sdr1 = xorshift(&x);
			for (i = 0; i < 64; i++) {
				bad.u.s.ppc64.slb[i].slbe = xorshift(&x);
				bad.u.s.ppc64.slb[i].slbv = xorshift(&x);
			}
			_vcpu_sregs_set(vcpu, &bad);	/* KVM may refuse it */
		} else {
			vcpu_sregs_set(vcpu, &sregs);
		}
		regs.gpr[3] = xorshift(&x);
		vcpu_regs_set(vcpu, &regs);
		count[run_round(vcpu, &x, &mmio)]++;
	}
	ksft_print_msg("%s: %u rounds: %u %s, %u %s, %u %s, %u %s, %u %s; %u MMIO exits\n",
		       papr ? "PAPR" : "own MMU", ROUNDS,
		       count[DONE], outcome_name[DONE], count[INTERRUPT], outcome_name[INTERRUPT],
		       count[STUCK], outcome_name[STUCK], count[ERROR], outcome_name[ERROR],
		       count[OTHER_EXIT], outcome_name[OTHER_EXIT], mmio);
	TEST_ASSERT(count[DONE] && count[INTERRUPT],
		    "no round completed or none faulted: the guest was not exercised");

	/* Containment: restored, the VM works and sees its memory */
	memcpy(vm->arch.htab, htab_copy, GUEST_HTAB_SIZE);
	data = addr_gpa2hva(vm, DATA_GPA);
	for (i = 0; i < DATA_PAGES; i++)
		data[i * 512] = MAGIC ^ i;
	vcpu_sregs_set(vcpu, &sregs);
	regs.gpr[5] = MODE_CHECK;
	vcpu_regs_set(vcpu, &regs);
	vcpu_run(vcpu);
	switch (get_ucall(vcpu, &uc)) {
	case UCALL_DONE:
		break;
	case UCALL_ABORT:
		REPORT_GUEST_ASSERT(uc);
		break;
	default:
		TEST_FAIL("check run: unexpected exit %s", exit_reason_str(vcpu->run->exit_reason));
	}
	free(htab_copy);
	kvm_vm_free(vm);
	ksft_test_result_pass("%s\n", papr ? "papr" : "own mmu");
}

static void expect_ucall(struct kvm_vcpu *vcpu, u64 want)
{
	struct ucall uc;
	u64 got;

	vcpu_run(vcpu);
	got = get_ucall(vcpu, &uc);
	if (got == UCALL_ABORT)
		REPORT_GUEST_ASSERT(uc);
	TEST_ASSERT(got == want, "ucall %lu, want %lu", got, want);
}

/* Slot 64, one past the SLB, from the guest and from KVM_SET_SREGS */
static void slb_bounds(void)
{
	struct kvm_sregs sregs, bad, now;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	int i;

	vm = vm_create_with_one_vcpu(&vcpu, guest_code);
	vcpu_args_set(vcpu, 3, 0, 0, MODE_SLB_BOUNDS);
	expect_ucall(vcpu, UCALL_SYNC);

	vcpu_sregs_get(vcpu, &sregs);
	bad = sregs;
	bad.u.s.ppc64.slb[63].slbe = SLB_ESID_V | 64;
	bad.u.s.ppc64.slb[63].slbv = 0;
	vcpu_sregs_set(vcpu, &bad);
	vcpu_sregs_get(vcpu, &now);
	for (i = 0; i < 63; i++)
		TEST_ASSERT(now.u.s.ppc64.slb[i].slbe == sregs.u.s.ppc64.slb[i].slbe &&
			    now.u.s.ppc64.slb[i].slbv == sregs.u.s.ppc64.slb[i].slbv,
			    "SLB entry %d changed", i);
	vcpu_sregs_set(vcpu, &sregs);
	expect_ucall(vcpu, UCALL_DONE);
	kvm_vm_free(vm);
	ksft_test_result_pass("slb bounds\n");
}

int main(int argc, char *argv[])
{
	struct sigaction sa = { .sa_handler = on_alarm };

	ksft_print_header();
	ksft_set_plan(3);
	TEST_ASSERT(!sigaction(SIGALRM, &sa, NULL), "sigaction");
	slb_bounds();
	hostile_pass(false);
	hostile_pass(true);
	ksft_finished();
}
