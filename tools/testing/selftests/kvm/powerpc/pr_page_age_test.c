// SPDX-License-Identifier: GPL-2.0-only
/*
 * KVM Book3S PR page aging through /sys/kernel/mm/page_idle/bitmap, the
 * interface access_tracking_perf_test uses, checked page by page.
 *
 * Two vCPUs write every page of the data slot, so that each page has a
 * shadow HPTE on both.  Then, in each phase, the host marks the slot's
 * pages idle, one vCPU (or none) reads the guest pages of every other host
 * page, something may happen to the shadow HPTEs, and the host reads the
 * bitmap.  A host page the guest read must no longer be idle: the MMU
 * notifier's age handlers must see the guest's accesses through the shadow
 * HPTEs, and so must whoever removes a shadow HPTE.  A host page the guest
 * did not touch must still be idle, so that "always young" cannot pass:
 *
 *   read          vCPU 0 reads;
 *   no-access     no vCPU runs: every page stays idle (a second pass);
 *   other-vcpu    vCPU 1 reads, vCPU 0 holds entries for the same pages;
 *   flushed       vCPU 0 reads, then KVM_SET_SREGS flushes every shadow
 *                 HPTE of both vCPUs before the host looks;
 *   evicted       (-f N) vCPU 0 reads, then touches N pages of another
 *                 slot, which evicts the entries of the reads from its
 *                 shadow HPTE cache (run it with a small hpte_cache_size);
 *   host-evicted  (-H N) vCPU 0 reads one guest page of each host page it
 *                 read before, then three more vCPUs each touch N aliases
 *                 of a few pages, whose shadow HPTEs overfill the host
 *                 HTAB: inserting into a full group, the host removes
 *                 another HPTE of the group, those of the reads among
 *                 them, and the guest's access must reach the host page
 *                 all the same.  vCPU 0's cache does not fill, so its
 *                 eviction hand, which would find R set, is not what
 *                 passes.  Run it with hpte_cache_size at least N, and 3N
 *                 well above the host HTAB's slots: -S gives them, if
 *                 known, and where 3N is no more than that the test fails
 *                 at once instead of after the aliases.  It needs a host
 *                 that clears R in place (native hash, or H_CLEAR_REF):
 *                 where aging removes the HPTE instead, every access after
 *                 aging refaults, and the fault marks the page, so no host
 *                 eviction can lose it; the test then fails, saying so, as
 *                 it does where the aliases made the host evict nothing: a
 *                 phase that shows nothing is not a pass.
 *   host-faulted  (-F N, with -S) vCPU 0 reads as for host-evicted, then
 *                 the host itself reads N times as many pages as its HTAB
 *                 has slots, of a read-only anonymous mapping (the zero
 *                 page), and so fills the HTAB with HPTEs of its own: its
 *                 hash faults evict shadow HPTEs from full groups as they
 *                 do any other HPTE, and whatever the guest read must
 *                 still reach the host page.  No KVM code runs meanwhile.
 *                 It needs a host that clears R in place as host-evicted
 *                 does, and fails at once where the HTAB is too large for
 *                 the test to fill (more than FAULT_PAGES_MAX faults).
 *                 Where the host's evictions do not mark the pages (an LPAR
 *                 with H_CLEAR_REF, or native hash with kvm_pr's
 *                 mark_evicted_young=0), KVM takes an evicted shadow HPTE
 *                 whose R it read in place as referenced: a page the guest
 *                 did not touch may then read young, at most once for each
 *                 (the vCPUs' pr_evicted_ref stat), and a second pass with
 *                 no access must read every page idle again.  -C fails the
 *                 phase unless it went that way.
 *
 * Each phase prints the shadow faults the guest's read took (the vCPU's
 * sp_storage stat): what marking the pages idle cost the guest.  Where the
 * host clears R in place that is none; where it removes the HPTE instead
 * (an LPAR without H_CLEAR_REF), one per guest page read.
 */
#include <fcntl.h>
#include <sched.h>
#include <time.h>
#include <sys/mman.h>

#include "kvm_util.h"
#include "processor.h"
#include "ucall_common.h"

#define DATA_SLOT	1
#define DATA_GPA	BIT_ULL(30)
#define DATA_GVA	BIT_ULL(30)
#define DATA_PAGES	1024UL		/* guest 4K pages */
#define FLOOD_SLOT	2
#define FLOOD_GPA	BIT_ULL(31)
#define FLOOD_GVA	BIT_ULL(31)
#define ALIAS_SLOT	3
#define ALIAS_GPA	BIT_ULL(32)
#define ALIAS_GVA	BIT_ULL(32)
#define ALIAS_PAGES	16UL		/* what the -H aliases map */
#define NR_VCPUS	2
#define NR_FLOOD_VCPUS	3		/* more, for -H */
#define FAULT_PAGES_MAX	BIT(20)		/* host faults -F may take */
#define USAGE		"usage: %s [-f pages] [-H aliases] [-F N [-C]] [-S slots]\n"

enum { OP_WRITE, OP_READ, OP_READ_ONE, OP_FLOOD, OP_ALIAS, OP_NOP, OP_DONE };

/* What the guest does next: the host sets it before each KVM_RUN */
static u64 guest_op;

static bool touched(u64 guest_page, u64 host_page)
{
	return (guest_page * 4096 / host_page) % 2 == 0;
}

static void guest_code(u64 npages, u64 host_page, u64 flood_pages, u64 alias_pages)
{
	u64 i, sum;

	for (;;) {
		sum = 0;
		switch (READ_ONCE(guest_op)) {
		case OP_WRITE:
			for (i = 0; i < npages; i++)
				WRITE_ONCE(*(u64 *)(DATA_GVA + i * 4096), i);
			break;
		case OP_READ:
			for (i = 0; i < npages; i++)
				if (touched(i, host_page))
					sum += READ_ONCE(*(u64 *)(DATA_GVA + i * 4096));
			break;
		case OP_READ_ONE:
			for (i = 0; i < npages; i += host_page / 4096)
				if (touched(i, host_page))
					sum += READ_ONCE(*(u64 *)(DATA_GVA + i * 4096));
			break;
		case OP_FLOOD:
			for (i = 0; i < flood_pages; i++)
				sum += READ_ONCE(*(u64 *)(FLOOD_GVA + i * 4096));
			break;
		case OP_ALIAS:
			for (i = 0; i < alias_pages; i++)
				sum += READ_ONCE(*(u64 *)(ALIAS_GVA + i * 4096));
			break;
		case OP_NOP:
			break;
		default:
			GUEST_DONE();
		}
		GUEST_SYNC(sum);
	}
}

static u64 pfn_of(int pagemap, void *hva)
{
	u64 entry;

	TEST_ASSERT(pread(pagemap, &entry, sizeof(entry),
			  (unsigned long)hva / getpagesize() * sizeof(entry)) == sizeof(entry),
		    "pagemap read");
	TEST_ASSERT(entry & BIT_ULL(63), "page at %p not present", hva);
	return entry & GENMASK_ULL(54, 0);
}

static bool pfn_idle(int bitmap, u64 pfn)
{
	u64 word;

	TEST_ASSERT(pread(bitmap, &word, sizeof(word), pfn / 64 * sizeof(word)) == sizeof(word),
		    "page_idle read of pfn 0x%lx", pfn);
	return word & BIT_ULL(pfn % 64);
}

static void mark_idle(int bitmap, u64 pfn)
{
	u64 word = BIT_ULL(pfn % 64);

	TEST_ASSERT(pwrite(bitmap, &word, sizeof(word), pfn / 64 * sizeof(word)) == sizeof(word),
		    "page_idle write of pfn 0x%lx", pfn);
}

static struct kvm_vm *vm;
static struct kvm_vcpu *vcpus[NR_VCPUS + NR_FLOOD_VCPUS];
static unsigned int nr_vcpus = NR_VCPUS;
static int bitmap;
static u64 host_page, nhost, pfn[DATA_PAGES], read_sum, read_one_sum;
static bool aging_in_place;	/* the read after aging took no shadow fault */
static u64 fault_pages;		/* -F: the host pages host_fault() reads */
static u64 evicted_ref;		/* the last phase's pr_evicted_ref, all vCPUs */

static u64 run(struct kvm_vcpu *vcpu, u64 op)
{
	struct ucall uc;

	guest_op = op;
	sync_global_to_guest(vm, guest_op);
	vcpu_run(vcpu);
	TEST_ASSERT_EQ(get_ucall(vcpu, &uc), op == OP_DONE ? UCALL_DONE : UCALL_SYNC);
	return uc.args[1];
}

/* pr_evicted_ref of every vCPU, from the host-faulted phase on (0 before) */
static bool read_evicted_ref;

static u64 evicted_ref_sum(void)
{
	u64 n = 0, data;
	unsigned int i;

	for (i = 0; read_evicted_ref && i < nr_vcpus; i++) {
		kvm_get_stat(&vcpus[i]->stats, "pr_evicted_ref", &data, 1);
		n += data;
	}
	return n;
}

static void flush_all(void)
{
	struct kvm_sregs sregs;
	int i;

	for (i = 0; i < NR_VCPUS; i++) {
		vcpu_sregs_get(vcpus[i], &sregs);
		vcpu_sregs_set(vcpus[i], &sregs);
	}
}

/*
 * MADV_COLD drains the LRU batches of the CPU it runs on: run it on each CPU
 * in turn, on a page of its own.
 */
static void drain_lru(void)
{
	static char *dummy;
	long cpu, ncpus = sysconf(_SC_NPROCESSORS_ONLN);
	cpu_set_t old, one;

	if (!dummy) {
		dummy = mmap(NULL, host_page, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		TEST_ASSERT(dummy != MAP_FAILED, "mmap");
	}
	dummy[0] = 1;
	TEST_ASSERT(!sched_getaffinity(0, sizeof(old), &old), "sched_getaffinity");
	for (cpu = 0; cpu < ncpus; cpu++) {
		CPU_ZERO(&one);
		CPU_SET(cpu, &one);
		if (!sched_setaffinity(0, sizeof(one), &one))
			madvise(dummy, host_page, MADV_COLD);
	}
	TEST_ASSERT(!sched_setaffinity(0, sizeof(old), &old), "sched_setaffinity");
}

/*
 * @reader reads with @op (or no vCPU reads, if negative), then @after runs,
 * then the host looks
 */
static void phase(const char *name, int reader, u64 op, void (*after)(void))
{
	u64 i, marked = 0, want = 0, young_touched = 0, young_untouched = 0, faults = 0;
	bool idle[DATA_PAGES];
	int try;

	/*
	 * A folio still in a per-CPU LRU batch cannot be marked: drain the
	 * batches and try again; what stays unmarked is left out.
	 */
	for (try = 0; try < 3 && marked * 4 < nhost * 3; try++) {
		if (try)
			drain_lru();
		for (i = 0; i < nhost; i++)
			mark_idle(bitmap, pfn[i]);
		for (marked = 0, i = 0; i < nhost; i++) {
			idle[i] = pfn_idle(bitmap, pfn[i]);
			marked += idle[i];
		}
	}
	TEST_ASSERT(marked * 4 >= nhost * 3, "%s: only %lu of %lu host pages could be marked idle",
		    name, marked, nhost);

	if (reader >= 0) {
		faults = vcpu_get_stat(vcpus[reader], sp_storage);
		TEST_ASSERT_EQ(run(vcpus[reader], op), op == OP_READ ? read_sum : read_one_sum);
		faults = vcpu_get_stat(vcpus[reader], sp_storage) - faults;
	}
	if (after)
		after();

	evicted_ref = evicted_ref_sum();
	for (i = 0; i < nhost; i++) {
		bool young = idle[i] && !pfn_idle(bitmap, pfn[i]);

		if (!idle[i])
			continue;
		if (reader >= 0 && touched(i * host_page / 4096, host_page)) {
			want++;
			young_touched += young;
		} else {
			young_untouched += young;
		}
	}
	evicted_ref = evicted_ref_sum() - evicted_ref;
	if (!strcmp(name, "read"))
		aging_in_place = !faults;
	/* A fault marks the page: the read must go through the old entries */
	TEST_ASSERT(strncmp(name, "host-", 5) || !faults,
		    "%s: the read took %lu shadow faults, so it shows nothing", name, faults);
	ksft_print_msg("%s: %lu of %lu host pages marked idle, the guest read %lu: %lu young;",
		       name, marked, nhost, want, young_touched);
	printf(" others: %lu young; the read took %lu shadow faults;", young_untouched, faults);
	printf(" %lu evicted HPTEs taken as referenced\n", evicted_ref);
	TEST_ASSERT(young_touched == want, "%s: %lu of %lu host pages the guest read still idle",
		    name, want - young_touched, want);
	TEST_ASSERT(young_untouched <= evicted_ref,
		    "%s: %lu untouched host pages are young, %lu evicted HPTEs taken as referenced",
		    name, young_untouched, evicted_ref);
	ksft_test_result_pass("%s\n", name);
}

static void flood(void)
{
	run(vcpus[0], OP_FLOOD);
}

static u64 host_evictions(void)
{
	u64 n = 0;
	unsigned int i;

	for (i = 0; i < nr_vcpus; i++)
		n += vcpu_get_stat(vcpus[i], pr_host_evict);
	return n;
}

/* The flood vCPUs fill the host HTAB with the shadow HPTEs of the aliases */
static void alias_flood(void)
{
	u64 before = host_evictions();
	unsigned int i;

	for (i = NR_VCPUS; i < nr_vcpus; i++)
		run(vcpus[i], OP_ALIAS);
	ksft_print_msg("host-evicted: the host evicted %lu shadow HPTEs from full groups\n",
		       host_evictions() - before);
	TEST_ASSERT(host_evictions() > before,
		    "host-evicted: the aliases made the host evict no shadow HPTE, so it shows nothing");
}

/*
 * The host's own hash faults fill its HTAB: one HPTE for each page read of a
 * read-only private mapping, all of them the zero page.
 */
static void host_fault(void)
{
	struct timespec start;
	u64 i, sum = 0, ns;
	char *map;

	map = mmap(NULL, fault_pages * host_page, PROT_READ,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	TEST_ASSERT(map != MAP_FAILED, "mmap of %lu pages", fault_pages);
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (i = 0; i < fault_pages; i++)
		sum += READ_ONCE(map[i * host_page]);
	ns = timespec_to_ns(timespec_elapsed(start));
	TEST_ASSERT_EQ(sum, 0);
	TEST_ASSERT(!munmap(map, fault_pages * host_page), "munmap");
	/* What the host's faults cost, with the eviction marking or without */
	ksft_print_msg("host-faulted: the host read %lu pages of its own, %lu ns a page\n",
		       fault_pages, ns / fault_pages);
}

/*
 * The reads' shadow HPTEs that the host evicted are gone: read again, now
 * that the bitmap has been read, and count them.  A first run that reads no
 * data refaults what else the host evicted (the guest's code, stack, ucall).
 */
static void count_evicted(const char *name)
{
	u64 refaults;

	run(vcpus[0], OP_NOP);
	refaults = vcpu_get_stat(vcpus[0], sp_storage);
	TEST_ASSERT_EQ(run(vcpus[0], OP_READ_ONE), read_one_sum);
	refaults = vcpu_get_stat(vcpus[0], sp_storage) - refaults;
	ksft_print_msg("%s: %lu of the reads' shadow HPTEs were evicted\n", name, refaults);
	TEST_ASSERT(refaults,
		    "%s: the host evicted none of the reads' shadow HPTEs, so it shows nothing",
		    name);
}

int main(int argc, char *argv[])
{
	u64 i, flood_pages = 0, alias_pages = 0, htab_slots = 0, fault_times = 0;
	bool unmarked = false;
	int pagemap, opt;
	char *host;

	while ((opt = getopt(argc, argv, "Cf:F:H:S:")) != -1) {
		switch (opt) {
		case 'C':
			unmarked = true;
			break;
		case 'f':
			flood_pages = strtoull(optarg, NULL, 0);
			break;
		case 'F':
			fault_times = strtoull(optarg, NULL, 0);
			break;
		case 'H':
			alias_pages = strtoull(optarg, NULL, 0);
			break;
		case 'S':
			htab_slots = strtoull(optarg, NULL, 0);
			break;
		default:
			ksft_exit_fail_msg(USAGE, argv[0]);
		}
	}

	ksft_print_header();
	bitmap = open("/sys/kernel/mm/page_idle/bitmap", O_RDWR);
	if (bitmap < 0)
		ksft_exit_skip("no /sys/kernel/mm/page_idle/bitmap (CONFIG_IDLE_PAGE_TRACKING)\n");
	pagemap = open("/proc/self/pagemap", O_RDONLY);
	TEST_ASSERT(pagemap >= 0, "open /proc/self/pagemap");
	ksft_set_plan(4 + !!flood_pages + !!alias_pages + 2 * !!fault_times);

	host_page = getpagesize();
	nhost = DATA_PAGES * 4096 / host_page;
	if (alias_pages)
		nr_vcpus += NR_FLOOD_VCPUS;
	vm = vm_create_with_vcpus(nr_vcpus, guest_code, vcpus);
	vm_userspace_mem_region_add(vm, VM_MEM_SRC_ANONYMOUS, DATA_GPA, DATA_SLOT, DATA_PAGES, 0);
	virt_map(vm, DATA_GVA, DATA_GPA, DATA_PAGES);
	if (flood_pages) {
		vm_userspace_mem_region_add(vm, VM_MEM_SRC_ANONYMOUS, FLOOD_GPA, FLOOD_SLOT,
					    flood_pages, 0);
		virt_map(vm, FLOOD_GVA, FLOOD_GPA, flood_pages);
	}
	if (alias_pages) {
		vm_userspace_mem_region_add(vm, VM_MEM_SRC_ANONYMOUS, ALIAS_GPA, ALIAS_SLOT,
					    ALIAS_PAGES, 0);
		for (i = 0; i < alias_pages; i++)
			virt_pg_map(vm, ALIAS_GVA + i * 4096, ALIAS_GPA + i % ALIAS_PAGES * 4096);
	}
	for (i = 0; i < nr_vcpus; i++)
		vcpu_args_set(vcpus[i], 4, DATA_PAGES, host_page, flood_pages, alias_pages);
	host = addr_gpa2hva(vm, DATA_GPA);

	for (i = 0; i < NR_VCPUS; i++)
		run(vcpus[i], OP_WRITE);
	for (i = 0; i < DATA_PAGES; i++)
		if (touched(i, host_page)) {
			read_sum += i;
			if (i % (host_page / 4096) == 0)
				read_one_sum += i;
		}
	for (i = 0; i < nhost; i++) {
		pfn[i] = pfn_of(pagemap, host + i * host_page);
		TEST_ASSERT(pfn_of(pagemap, host + i * host_page) == pfn[i], "pfn moved");
	}

	phase("read", 0, OP_READ, NULL);
	phase("no-access", -1, OP_READ, NULL);
	phase("other-vcpu", 1, OP_READ, NULL);
	phase("flushed", 0, OP_READ, flush_all);
	if (flood_pages)
		phase("evicted", 0, OP_READ, flood);
	TEST_ASSERT(!alias_pages || aging_in_place,
		    "host-evicted: aging removes the HPTEs here, so it shows nothing");
	TEST_ASSERT(!fault_times || aging_in_place,
		    "host-faulted: aging removes the HPTEs here, so it shows nothing");
	fault_pages = fault_times * htab_slots;
	TEST_ASSERT(!fault_times || htab_slots,
		    "host-faulted: -F needs the host HTAB's slots (-S)");
	TEST_ASSERT(fault_pages <= FAULT_PAGES_MAX,
		    "host-faulted: %lu times the host HTAB's %lu slots are more host faults than the test takes (%lu)",
		    fault_times, htab_slots, FAULT_PAGES_MAX);
	TEST_ASSERT(!alias_pages || !htab_slots || NR_FLOOD_VCPUS * alias_pages > htab_slots,
		    "host-evicted: %d vCPUs of %lu aliases are no more than the host HTAB's %lu slots, too few to fill it, so it shows nothing",
		    NR_FLOOD_VCPUS, alias_pages, htab_slots);
	if (alias_pages) {
		run(vcpus[0], OP_READ);		/* the entries that "flushed" flushed */
		phase("host-evicted", 0, OP_READ_ONE, alias_flood);
		count_evicted("host-evicted");
	}
	if (fault_times) {
		run(vcpus[0], OP_READ);		/* the entries earlier phases evicted */
		read_evicted_ref = true;
		phase("host-faulted", 0, OP_READ_ONE, host_fault);
		TEST_ASSERT(!unmarked || evicted_ref,
			    "host-faulted: -C, but no evicted HPTE was taken as referenced, so it shows nothing");
		count_evicted("host-faulted");
		phase("no-access-again", -1, OP_READ, NULL);
	}

	/* The vCPU stats: aging found references, and removals folded them */
	for (i = 0; i < NR_VCPUS; i++) {
		u64 young = vcpu_get_stat(vcpus[i], pr_age_young);
		u64 ref = vcpu_get_stat(vcpus[i], pr_fold_ref);

		ksft_print_msg("vCPU %lu: pr_age_young %lu, pr_fold_ref %lu, ", i, young, ref);
		printf("pr_range_lookup %lu, pr_range_walk %lu\n",
		       vcpu_get_stat(vcpus[i], pr_range_lookup),
		       vcpu_get_stat(vcpus[i], pr_range_walk));
		TEST_ASSERT(young + ref, "vCPU %lu: the stats show no reference seen", i);
	}

	for (i = 0; i < nr_vcpus; i++)
		run(vcpus[i], OP_DONE);
	kvm_vm_free(vm);
	ksft_finished();
}
