// SPDX-License-Identifier: GPL-2.0
/*
 * pr-smoke: run one KVM Book3S PR guest that turns on instruction and data
 * translation, touches N pages through its own hashed page table and checks
 * what it reads back; the host checks the same data from outside.
 *
 * Guest physical layout:
 *   slot 0, 0-16M:
 *   0x0000-0x3000  interrupt vectors: each reports its offset by MMIO
 *   0x10000        guest code (pr-smoke-guest.S), identity mapped
 *   0x100000       guest HTAB, 256 KiB (SDR1)
 *   slot 1, 16M-48M:
 *   0x1000000...   data pages; EA DATA_EA + i * 4K maps to the i-th page
 *                  from the END, so only a working HTAB lookup finds them
 *   0x8000000      MMIO window (outside the memslots), identity mapped
 *
 * The guest writes every data page, reads every page back, then writes
 * every page again.  Between the first write and the read, the host can
 * change the data slot (--action); the test then checks that the guest
 * sees what the slot now says, and the host sees what the guest did:
 *   delete         the slot goes: every guest access must exit as MMIO
 *   move           the slot moves away: the same
 *   replace        the slot is deleted and made again at the same address
 *                  on a new, zeroed buffer: the guest must see the new one
 *   delete-munmap  delete, then munmap the old buffer: accesses exit
 *   dirty-log      dirty logging is enabled: every page the guest writes
 *                  afterwards must be in the next KVM_GET_DIRTY_LOG
 *   dontneed       every 8th host page of the buffer is dropped with
 *                  MADV_DONTNEED, one call (one MMU notifier) each: the
 *                  guest must read zeros there, and its own data elsewhere
 *
 * Modes (--mode):
 *   guest  real mode at entry; the guest sets IR|DR itself with rfid
 *   host   IR|DR set by the host through KVM_SET_REGS before KVM_RUN
 *   dr     only DR, set by the host
 *   real   no translation and no KVM_SET_SREGS at all: data at EA = GPA.
 *          As the first KVM_RUN after kvm-pr is loaded, this runs the
 *          module's guest entry code before anything else on its page.
 *
 * Prints "key=value" lines and ends with "PASS" or "FAIL: why"; exit code
 * 0 on pass.  A guest that makes no progress for --timeout seconds fails.
 */
#define _GNU_SOURCE
#define __SANE_USERSPACE_TYPES__	/* __u64 is unsigned long long */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <linux/kvm.h>

#define MEM_SIZE	(16ul << 20)
#define DATA_SIZE	(32ul << 20)
#define MOVED_GPA	0x4000000ul
#define CODE_GPA	0x10000ul
#define HTAB_GPA	0x100000ul
#define HTAB_SIZE	(256ul << 10)
#define DATA_GPA	0x1000000ul
#define DATA_EA		0x4000000ul
#define MAX_PAGES	8192ul
#define MMIO_GPA	0x8000000ul
#define VSID		0x5a5ul
#define PG		4096ul

#define MSR_SF		(1ul << 63)
#define MSR_ME		(1ul << 12)
#define MSR_IR		(1ul << 5)
#define MSR_DR		(1ul << 4)
#define MSR_LE		(1ul << 0)

#define HPTE_V_VALID	0x1ul
#define HPTE_V_SECOND	0x2ul
#define HPTE_R_R	0x100ul
#define HPTE_R_C	0x80ul
#define HPTE_R_M	0x10ul
#define HPTE_R_PP_RW	0x2ul
#define SLB_ESID_V	0x08000000ul

extern const uint32_t pr_smoke_guest[], pr_smoke_guest_virt[], pr_smoke_guest_end[];

static uint8_t *mem, *data, *old_data;
static unsigned long npages = 1024, nexits = 1000;
static long wrong_page = -1;
static int hang, timeout_s = 20;
enum mode { GUEST, HOST, DR, REAL };
static const char *const mode_names[] = { "guest", "host", "dr", "real" };
enum action { NONE, DELETE, MOVE, REPLACE, DELETE_MUNMAP, DIRTY_LOG, DONTNEED };
static const char *const action_names[] = {
	"none", "delete", "move", "replace", "delete-munmap", "dirty-log", "dontneed"
};
static enum mode mode = GUEST;
static enum action action = NONE;
static int vm;
static volatile sig_atomic_t timed_out;

static void fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	printf("FAIL: ");
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
	exit(1);
}

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static void on_alarm(int sig)
{
	(void)sig;
	timed_out = 1;
}

/* Insert one 4K translation EA -> GPA into the guest HTAB (big-endian). */
static void map_page(unsigned long ea, unsigned long gpa)
{
	unsigned long page = (ea & 0x0ffffffful) >> 12;
	unsigned long hash = (VSID ^ page) & ((HTAB_SIZE >> 7) - 1);
	unsigned long v = (((VSID << 28 | (ea & 0x0ffffffful)) >> 23) << 7) | HPTE_V_VALID;
	unsigned long r = (gpa & ~(PG - 1)) | HPTE_R_R | HPTE_R_C | HPTE_R_M | HPTE_R_PP_RW;

	for (int second = 0; second < 2; second++) {
		unsigned long grp = second ? (~hash & ((HTAB_SIZE >> 7) - 1)) : hash;
		uint64_t *pteg = (uint64_t *)(mem + HTAB_GPA + (grp << 7));

		for (int i = 0; i < 8; i++) {
			if (be64toh(pteg[2 * i]) & HPTE_V_VALID)
				continue;
			pteg[2 * i + 1] = htobe64(r);
			pteg[2 * i] = htobe64(v | (second ? HPTE_V_SECOND : 0));
			return;
		}
	}
	fail("guest HTAB full for EA 0x%lx", ea);
}

/* Every interrupt vector stores its own offset to MMIO+0x20 (big-endian). */
static void write_vectors(void)
{
	for (unsigned long off = 0x100; off < 0x3000; off += 0x20) {
		uint32_t *p = (uint32_t *)(mem + off);

		p[0] = htobe32(14u << 26 | 3u << 21 | (uint32_t)off);	/* li r3,off */
		p[1] = htobe32(15u << 26 | 4u << 21 | (MMIO_GPA >> 16)); /* lis r4,MMIO */
		p[2] = htobe32(36u << 26 | 3u << 21 | 4u << 16 | 0x20); /* stw r3,0x20(r4) */
		p[3] = htobe32(0x48000000u);				/* b . */
	}
}

static unsigned long data_off(unsigned long i)
{
	return (npages - 1 - i) * PG;
}

static unsigned long data_gpa(unsigned long i)
{
	return DATA_GPA + data_off(i);
}

static unsigned long data_ea;

static uint64_t pattern(unsigned long i, int pass)
{
	uint64_t v = (data_ea + i * PG) ^ 0x5eed0000c0ffee00ul;

	return pass == 1 ? v : ~v;
}

/* Pages of buf whose first word is not the value of the given pass. */
static unsigned long count_bad(const uint8_t *buf, int pass)
{
	unsigned long bad = 0;

	for (unsigned long i = 0; i < npages; i++) {
		uint64_t have;

		memcpy(&have, buf + data_off(i), sizeof(have));
		bad += have != pattern(i, pass);
	}
	return bad;
}

static void set_slot(int slot, unsigned long gpa, unsigned long size, void *hva, unsigned int flags)
{
	struct kvm_userspace_memory_region r = {
		.slot = slot, .flags = flags, .guest_phys_addr = gpa,
		.memory_size = size, .userspace_addr = (uintptr_t)hva,
	};

	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &r))
		fail("KVM_SET_USER_MEMORY_REGION slot %d: %s", slot, strerror(errno));
}

static uint64_t *dirty_bitmap;

/* KVM_GET_DIRTY_LOG of the data slot: the number of dirty host pages. */
static unsigned long dirty_pages(void)
{
	long host_page = sysconf(_SC_PAGESIZE);
	unsigned long bits = DATA_SIZE / host_page, n = 0;
	struct kvm_dirty_log log = { .slot = 1 };

	if (!dirty_bitmap)
		dirty_bitmap = calloc(bits / 64 + 1, 8);
	memset(dirty_bitmap, 0, (bits / 64 + 1) * 8);
	log.dirty_bitmap = dirty_bitmap;
	if (ioctl(vm, KVM_GET_DIRTY_LOG, &log))
		fail("KVM_GET_DIRTY_LOG: %s", strerror(errno));
	for (unsigned long i = 0; i < bits; i++)
		n += (dirty_bitmap[i / 64] >> (i % 64)) & 1;
	return n;
}

/* The host's change to the data slot, between the guest's passes. */
static void do_action(void)
{
	if (action == DELETE || action == DELETE_MUNMAP) {
		set_slot(1, DATA_GPA, 0, data, 0);
		if (action == DELETE_MUNMAP) {
			munmap(data, DATA_SIZE);
			data = NULL;
		}
	} else if (action == MOVE) {
		set_slot(1, MOVED_GPA, DATA_SIZE, data, 0);
	} else if (action == REPLACE) {
		set_slot(1, DATA_GPA, 0, data, 0);
		old_data = data;
		data = mmap(NULL, DATA_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (data == MAP_FAILED)
			fail("mmap: %s", strerror(errno));
		set_slot(1, DATA_GPA, DATA_SIZE, data, 0);
	} else if (action == DIRTY_LOG) {
		set_slot(1, DATA_GPA, DATA_SIZE, data, KVM_MEM_LOG_DIRTY_PAGES);
		printf("dirty_after_enable=%lu\n", dirty_pages());
	} else if (action == DONTNEED) {
		unsigned long hp = sysconf(_SC_PAGESIZE);

		for (unsigned long off = 0; off < npages * PG; off += 8 * hp)
			if (madvise(data + off, hp, MADV_DONTNEED))
				fail("madvise: %s", strerror(errno));
	}
}

/* Guest pages whose host page do_action() dropped (DONTNEED) */
static unsigned long dropped_pages(void)
{
	unsigned long hp = sysconf(_SC_PAGESIZE), n = 0;

	for (unsigned long i = 0; i < npages; i++)
		n += (data_off(i) / hp) % 8 == 0;
	return n;
}

static uint64_t get_one_reg(int vcpu, uint64_t id)
{
	uint64_t val = 0;
	struct kvm_one_reg reg = { .id = id, .addr = (uintptr_t)&val };

	ioctl(vcpu, KVM_GET_ONE_REG, &reg);
	return val;
}

static void dump_vcpu(int vcpu)
{
	struct kvm_regs regs;

	if (ioctl(vcpu, KVM_GET_REGS, &regs) == 0)
		printf("pc=0x%llx msr=0x%llx srr0=0x%llx srr1=0x%llx\n",
		       regs.pc, regs.msr, regs.srr0, regs.srr1);
	printf("dar=0x%llx dsisr=0x%llx\n",
	       (unsigned long long)get_one_reg(vcpu, KVM_REG_PPC_DAR),
	       (unsigned long long)get_one_reg(vcpu, KVM_REG_PPC_DSISR));
}

static void usage(void);

/* The index of s in names[], or usage(). */
static int pick(const char *s, const char *const *names, int n)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(s, names[i]))
			return i;
	usage();
	return -1;
}

static void usage(void)
{
	fprintf(stderr, "usage: pr-smoke [--mode guest|host|dr] [--pages N] [--exits N]\n"
			"                [--timeout S] [--inject wrong-value|hang]\n"
			"                [--action delete|move|replace|delete-munmap|dirty-log|dontneed]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "mode", 1, 0, 'm' }, { "pages", 1, 0, 'n' }, { "exits", 1, 0, 'e' },
		{ "timeout", 1, 0, 't' }, { "inject", 1, 0, 'i' }, { "action", 1, 0, 'a' },
		{ 0 }
	};
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	struct kvm_run *run;
	double t_start = 0, t_stage1 = 0, t_stage2 = 0, t_exit0 = 0, t_exitn = 0;
	unsigned long exits = 0, mmio_seen = 0, data_reads = 0, data_writes = 0, code_len, bad = 0;
	int kvm, vcpu, c, stage = 0, stop_after_read;
	long run_size;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'm': mode = pick(optarg, mode_names, 4); break;
		case 'a': action = pick(optarg, action_names, 7); break;
		case 'n': npages = strtoul(optarg, NULL, 0); break;
		case 'e': nexits = strtoul(optarg, NULL, 0); break;
		case 't': timeout_s = atoi(optarg); break;
		case 'i':
			if (!strcmp(optarg, "wrong-value"))
				wrong_page = 7 % npages;
			else if (!strcmp(optarg, "hang"))
				hang = 1;
			else
				usage();
			break;
		default: usage();
		}
	}
	if (!npages || npages > MAX_PAGES)
		fail("--pages must be 1..%lu", MAX_PAGES);
	/* In real mode EA = GPA: only one page keeps the reversed layout. */
	if (mode == REAL)
		npages = 1;
	data_ea = mode == REAL ? DATA_GPA : DATA_EA;
	/* Freed pages: read them (the test), never write them (on base). */
	stop_after_read = action == DELETE_MUNMAP;
	setvbuf(stdout, NULL, _IOLBF, 0);

	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0)
		fail("open /dev/kvm: %s", strerror(errno));
	vm = ioctl(kvm, KVM_CREATE_VM, KVM_VM_PPC_PR);
	if (vm < 0)
		fail("KVM_CREATE_VM(KVM_VM_PPC_PR): %s", strerror(errno));
	mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	data = mmap(NULL, DATA_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED || data == MAP_FAILED)
		fail("mmap: %s", strerror(errno));
	set_slot(0, 0, MEM_SIZE, mem, 0);
	set_slot(1, DATA_GPA, DATA_SIZE, data, 0);
	vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	if (vcpu < 0)
		fail("KVM_CREATE_VCPU: %s", strerror(errno));
	run_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	run = mmap(NULL, run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	if (run == MAP_FAILED)
		fail("mmap kvm_run: %s", strerror(errno));

	/* Guest memory: vectors, code, HTAB, mappings. */
	write_vectors();
	code_len = (unsigned long)((const char *)pr_smoke_guest_end - (const char *)pr_smoke_guest);
	memcpy(mem + CODE_GPA, pr_smoke_guest, code_len);
	map_page(CODE_GPA, CODE_GPA);
	map_page(MMIO_GPA, MMIO_GPA);
	for (unsigned long i = 0; i < npages; i++)
		map_page(DATA_EA + i * PG, data_gpa(i));

	/* SDR1 and one SLB entry (ESID 0, 256M segment) through KVM_SET_SREGS. */
	if (mode != REAL) {
		if (ioctl(vcpu, KVM_GET_SREGS, &sregs))
			fail("KVM_GET_SREGS: %s", strerror(errno));
		sregs.u.s.sdr1 = HTAB_GPA;	/* HTABSIZE 0: 256 KiB */
		memset(&sregs.u.s.ppc64.slb, 0, sizeof(sregs.u.s.ppc64.slb));
		sregs.u.s.ppc64.slb[0].slbe = 0 | SLB_ESID_V | 0;
		sregs.u.s.ppc64.slb[0].slbv = VSID << 12;
		if (ioctl(vcpu, KVM_SET_SREGS, &sregs))
			fail("KVM_SET_SREGS: %s", strerror(errno));
	}

	memset(&regs, 0, sizeof(regs));
	regs.pc = CODE_GPA;
	regs.msr = MSR_SF | MSR_ME | MSR_LE;
	if (mode == HOST)
		regs.msr |= MSR_IR | MSR_DR;
	else if (mode == DR)
		regs.msr |= MSR_DR;
	regs.gpr[3] = data_ea;
	regs.gpr[4] = npages;
	regs.gpr[5] = PG;
	regs.gpr[6] = MMIO_GPA;
	regs.gpr[7] = 0x5eed0000c0ffee00ul;
	regs.gpr[8] = mode == GUEST ? (MSR_SF | MSR_ME | MSR_LE | MSR_IR | MSR_DR) : 0;
	regs.gpr[9] = CODE_GPA + ((const char *)pr_smoke_guest_virt - (const char *)pr_smoke_guest);
	if (mode == REAL)
		regs.pc = regs.gpr[9];
	regs.gpr[15] = nexits;
	regs.gpr[16] = (unsigned long)wrong_page;
	regs.gpr[17] = hang;
	if (ioctl(vcpu, KVM_SET_REGS, &regs))
		fail("KVM_SET_REGS: %s", strerror(errno));
	printf("mode=%s action=%s pages=%lu page_size=%ld\n", mode_names[mode],
	       action_names[action], npages, sysconf(_SC_PAGESIZE));

	struct sigaction sa = { .sa_handler = on_alarm };	/* no SA_RESTART */

	sigaction(SIGALRM, &sa, NULL);
	t_start = now_us();
	for (;;) {
		alarm(timeout_s);
		if (ioctl(vcpu, KVM_RUN, 0) < 0) {
			if (errno == EINTR && timed_out) {
				printf("stage=%d mmio_exits=%lu\n", stage, mmio_seen);
				dump_vcpu(vcpu);
				fail("guest made no progress in %d s (stage %d)", timeout_s, stage);
			}
			if (errno == EINTR)
				continue;
			fail("KVM_RUN: %s", strerror(errno));
		}
		exits++;
		if (run->exit_reason != KVM_EXIT_MMIO) {
			dump_vcpu(vcpu);
			fail("unexpected exit reason %u", run->exit_reason);
		}
		uint64_t pa = run->mmio.phys_addr;

		/* An access to a data page the guest's HTAB still maps. */
		if ((pa >= DATA_GPA && pa < DATA_GPA + DATA_SIZE) ||
		    (pa >= MOVED_GPA && pa < MOVED_GPA + DATA_SIZE)) {
			if (run->mmio.is_write) {
				data_writes++;
			} else {
				data_reads++;
				memset(run->mmio.data, 0xff, sizeof(run->mmio.data));
			}
			continue;
		}
		if (!run->mmio.is_write)
			fail("unexpected MMIO read at 0x%llx", pa);
		uint64_t off = run->mmio.phys_addr - MMIO_GPA, val = 0;

		memcpy(&val, run->mmio.data, run->mmio.len);
		if (off == 0x00) {
			stage = (int)val;
			if (stage == 1)
				t_stage1 = now_us();
			else if (stage == 2) {
				t_stage2 = now_us();
				do_action();
			} else if (stage == 3 && stop_after_read) {
				break;
			}
		} else if (off == 0x10) {
			if (!t_exit0)
				t_exit0 = now_us();
			t_exitn = now_us();
		} else if (off == 0x08) {
			bad = val;
			break;
		} else if (off == 0x20) {
			printf("stage=%d\n", stage);
			dump_vcpu(vcpu);
			fail("guest took interrupt 0x%x", (unsigned int)be32toh((uint32_t)val));
		} else {
			fail("MMIO store to unexpected address 0x%llx", run->mmio.phys_addr);
		}
	}
	alarm(0);

	/* What the guest did, seen from the host, for each action. */
	unsigned long want_bad = 0, want_mmio = 0;
	const char *why = NULL;

	if (action == NONE || action == DIRTY_LOG || action == DONTNEED) {
		if (action == DONTNEED)
			want_bad = dropped_pages();	/* read back as zeros */
		if (count_bad(data, 2))
			why = "the host does not see the guest's writes in its buffer";
	} else if (action == REPLACE) {
		want_bad = npages;	/* the new buffer is zeroed */
		if (count_bad(data, 2))
			why = "the guest's writes after the replace are not in the new buffer";
		else if (count_bad(old_data, 1))
			why = "the guest wrote the old buffer after the replace";
	} else {
		want_bad = npages;	/* every read exits and gets all-ones */
		want_mmio = npages;
		if (data_reads != npages)
			why = "guest reads of the removed slot did not all exit to userspace";
		else if (!stop_after_read && data_writes != npages)
			why = "guest writes to the removed slot did not all exit to userspace";
		else if (data && count_bad(data, 1))
			why = "the guest wrote the old buffer after the slot was removed";
	}
	if (!why && stop_after_read && stage != 3)
		why = "the guest did not reach its read pass";
	if (!why && bad != want_bad && !stop_after_read)
		why = "the guest read back unexpected data";
	if (action == DIRTY_LOG) {
		unsigned long host_page = sysconf(_SC_PAGESIZE), n = dirty_pages();
		unsigned long want = (npages * PG + host_page - 1) / host_page;

		printf("dirty_pages=%lu want=%lu\n", n, want);
		if (!why && n < want)
			why = "writes after dirty logging was enabled are missing from the dirty log";
	}
	printf("entry_to_translation_us=%.1f\n", t_stage1 - t_start);
	printf("first_touch_us_per_page=%.2f\n", (t_stage2 - t_stage1) / npages);
	if (nexits > 1)
		printf("mmio_exit_us=%.2f\n", (t_exitn - t_exit0) / (nexits - 1));
	printf("exits=%lu guest_bad_pages=%lu (want %lu) data_mmio_reads=%lu data_mmio_writes=%lu (want %lu)\n",
	       exits, bad, want_bad, data_reads, data_writes, want_mmio);
	if (why)
		fail("%s", why);
	printf("PASS\n");
	return 0;
}
