// SPDX-License-Identifier: GPL-2.0-only
/*
 * KVM Book3S PR: host invalidations of guest memory racing with vCPUs that
 * read it.  Every way the host can take a page away from a running guest
 * must take the guest's shadow HPTEs with it, however the invalidation
 * falls against the vCPUs' shadow faults; a shadow HPTE left behind lets
 * the guest go on reading a host page that the host dropped, replaced or
 * moved elsewhere.
 *
 * Two vCPUs, each in a thread of its own, map the same data slot and read
 * every guest page of it in a loop while the host invalidates it, one in
 * the order the host goes through the slot, the other in reverse.  Each
 * 4K guest page holds its generation and its own index, tag(G, i), in its
 * first and in its last 8 bytes.  A control page, in the program's own
 * memory slot, which no subtest touches, holds the current generation G.
 * The host makes every data page hold G + 1, through whichever
 * invalidation the subtest exercises, and only then publishes G + 1.  A
 * guest loads G (acquire) before a pass over the slot, and again after
 * each page it reads: every value it reads must be that page's, of a
 * generation from the first load to the second one plus one.  Anything
 * else comes from a host page that the host no longer maps there: a stale
 * read.  A guest counts them (it does not stop at the first), keeps the
 * first, and the host reports them at the end of the subtest.  At its
 * first stale read a guest also reads the page REREADS times more, and as
 * often after a round trip through the host (guest_mfmsr(): the exit and
 * the entry reload the SLB, which drops what the CPU, or the emulator of
 * a nested host, still caches of the translation), and reports how many
 * of each were stale: a stale translation that survives the round trip is
 * a shadow HPTE left in the host HTAB.
 *
 * The host brackets every change of a host page (one guest page, or 16
 * with 64K host pages) with a sequence count of that page in the control
 * page (odd while it changes, a seqlock): a read within a change may see
 * the zero page that MADV_DONTNEED or mmap(MAP_FIXED) leaves until the new
 * contents are in, which is not stale; outside a change, the first and
 * last 8 bytes of a guest page must also agree, so a torn page shows.
 *
 * The subtests (an invalidation is one host operation that removes host
 * mappings of the slot):
 *
 *   dontneed   MADV_DONTNEED of one host page at a time, and new contents
 *              in the previous one (in the page just freed: the per-CPU
 *              free lists are LIFO, so that a shadow HPTE left on a freed
 *              page reads another page's contents, not the right ones by
 *              chance)
 *   remap      mmap(MAP_FIXED) of new anonymous memory over the whole slot
 *              (the old pages go under the same mmap_lock, so that no guest
 *              access finds the range unmapped), then the new contents
 *   mprotect   the slot read-only and writable again while the guests only
 *              read, then new contents in place
 *   dirty-log  KVM_MEM_LOG_DIRTY_PAGES on or off, then new contents in
 *              place
 *   delete     the slot deleted and re-created at the same address on the
 *              other of two buffers, which holds the new contents; the old
 *              one keeps its old contents for a guest still mapping it
 *   move       the slot moved to another address, its pages moved away
 *              with mremap(MREMAP_DONTUNMAP) (which leaves the range empty
 *              and keeps the old pages alive elsewhere), new contents
 *              written, and the slot moved back: a shadow HPTE of the old
 *              address that the move left behind escapes the MMU notifier,
 *              which looks for the new one
 *   delete-live
 *              delete without pausing the vCPUs, which read on through the
 *              delete and the re-creation (below)
 *
 * mprotect and dirty-log keep the slot's pages, so no read can be stale
 * there: they race the invalidation with the guests' faults, which must
 * all succeed (KVM_RUN fails otherwise) and leave the host clean.
 *
 * While the slot is deleted or moved, a guest access to it is an MMIO
 * exit, so for delete and move the host first pauses the vCPUs: it sets a
 * pause number in the control page, each guest acknowledges it and spins
 * on the control page only, inside KVM_RUN, until the host clears it.
 * After each of those changes the host waits until each vCPU has read the
 * whole slot again.
 *
 * delete-live does not pause them: a guest read of the slot while it is
 * gone exits to userspace as an MMIO read, which the host answers with
 * NO_MEMORY, a value no page holds, and the guest takes it as "no memory
 * there", not as stale (in this subtest only).  A fault that meets the
 * slot while it is being deleted (KVM_MEMSLOT_INVALID) must not fail
 * KVM_RUN: it is retried, and becomes MMIO once the slot is gone.  The host
 * brackets the delete and the re-creation with a change of every host page
 * of the slot, since a page read across them may show the old buffer in
 * one word and the new one in the other.  A fault meets the slot being
 * deleted only in a short window, hence the many deletes.
 *
 * Every subtest requires each vCPU to have read memory of at least two
 * generations, so that a stuck guest cannot pass.
 *
 * A subtest with stale reads fails its TAP result and the next one runs;
 * at the end the test fails if any had stale reads.  The options set the
 * invalidations of each subtest (-h); the defaults, 101900 in all, take
 * 75 to 105 s on a 2-CPU host nested under QEMU TCG with debug kernels.
 *
 * On upstream kernels, which do not flush the shadow HPTEs of a deleted or
 * moved memslot (kvmppc_core_flush_memslot_pr() is empty), delete, move and
 * delete-live show stale reads.
 */
#include <sched.h>
#include <sys/mman.h>
#include <time.h>

#include "kvm_util.h"
#include "processor.h"
#include "ucall_common.h"

#define DATA_SLOT	1
#define DATA_GPA	BIT_ULL(30)
#define DATA_GVA	BIT_ULL(30)
#define MOVED_GPA	BIT_ULL(31)
#define NR_VCPUS	2
#define GUEST_PAGE	4096UL
#define LAST_WORD	(GUEST_PAGE / 8 - 1)	/* the index of a guest page's last u64 */
#define MAX_HOST_PAGES	1024
#define MAX_GUEST_PAGES	4096
#define DEFAULT_PAGES	128UL
#define WAIT_SECONDS	60		/* for a vCPU to acknowledge or to read */
#define NO_MEMORY	~0ULL		/* the host's MMIO answer: no page holds it */
#define REREADS		64		/* of the first stale page, at once and after an exit */

/* What a vCPU did in the current subtest, in the control page */
struct vcpu_stats {
	u64 ack;		/* the last pause number acknowledged */
	u64 reads;		/* data page reads (two words of one guest page each) */
	u64 busy;		/* of them, within a change of that page */
	u64 zeros;		/* of them, zeros within a change */
	u64 loops;		/* whole passes over the slot */
	u64 gens;		/* generations seen at the start of a pass */
	u64 stale;		/* reads of a value that the page no longer held */
	u64 first_page;		/* the first stale read: guest page, its two words, */
	u64 first_value[2];
	u64 first_gen[2];	/* the generation before and after */
	u64 first_busy;
	u64 absent;		/* reads that found no memory (a NO_MEMORY word) */
	u64 first_again;	/* of REREADS rereads of the first stale page, stale ones */
	u64 first_after_exit;	/* the same after a round trip through the host */
};

/*
 * The guest's, in the program's own memory slot, which no subtest
 * touches; the host's view of it is ctl.
 */
static struct control {
	u64 gen;			/* every data page holds at least this */
	u64 phase;			/* the subtest the guests run */
	u64 stop;			/* the subtest that must end */
	u64 pause;			/* non-zero: leave the slot alone */
	u64 zero_ok;			/* a change may show a zero page */
	u64 absent_ok;			/* the slot may be gone: NO_MEMORY */
	u64 pad[10];
	u64 seq[MAX_HOST_PAGES];	/* per host page: odd while it changes */
	struct vcpu_stats cpu[NR_VCPUS];
} control;

static inline u64 load_acquire(u64 *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static inline void store_release(u64 *p, u64 v)
{
	__atomic_store_n(p, v, __ATOMIC_RELEASE);
}

/* Order earlier loads before later ones */
static inline void guest_rmb(void)
{
	asm volatile("lwsync" : : : "memory");
}

/*
 * Of REREADS reads of the first word of guest page @i at @page, after a
 * stale read between generation loads @g1 and later, those that are stale
 * still: another page's contents, or this page's of a generation before
 * @g1 (a later one is the host moving on).  Zero (a change) and, in
 * delete-live, NO_MEMORY are not stale here.
 */
static u64 stale_rereads(u64 *page, u64 i, u64 g1)
{
	u64 n = 0, k, v;

	for (k = 0; k < REREADS; k++) {
		v = READ_ONCE(page[0]);
		n += v && v != NO_MEMORY && ((u32)v != i || v >> 32 < g1);
	}
	return n;
}

/* What guest page @i holds in generation @g */
static inline u64 tag(u64 g, u64 i)
{
	return g << 32 | i;
}

/*
 * A value read from guest page @i between generation loads @g1 and @g2
 * that the page does not hold
 */
static inline bool stale_value(u64 v, u64 i, u64 g1, u64 g2, bool zero_ok)
{
	if (!v && zero_ok)
		return false;
	return (u32)v != i || v >> 32 < g1 || v >> 32 > g2 + 1;
}

static void guest_code(u64 id, u64 gva, u64 npages, u64 host_shift)
{
	struct vcpu_stats *st = &control.cpu[id];
	u64 phase, i, j;

	for (;;) {
		u64 reads = 0, busy_reads = 0, zeros = 0, loops = 0, gens = 0, stale = 0;
		u64 absent = 0, last_gen = 0;
		bool zero_ok, absent_ok;

		phase = load_acquire(&control.phase);
		zero_ok = READ_ONCE(control.zero_ok);
		absent_ok = READ_ONCE(control.absent_ok);
		/* Drop what the last subtest may have left in the shadow */
		for (i = 0; i < npages; i++)
			guest_tlbie(gva + i * GUEST_PAGE);

		while (load_acquire(&control.stop) != phase) {
			u64 p = load_acquire(&control.pause), g1;

			if (p) {
				store_release(&st->ack, p);
				while (load_acquire(&control.pause) == p)
					cpu_relax();
				continue;
			}
			g1 = load_acquire(&control.gen);
			gens += g1 != last_gen;
			last_gen = g1;
			for (j = 0; j < npages; j++) {
				u64 *page, *seq, s1, s2, a, b, g2;
				bool busy, a_none, b_none;

				if (READ_ONCE(control.pause))
					break;
				/* One vCPU follows the host's order, the other meets it */
				i = id & 1 ? npages - 1 - j : j;
				page = (u64 *)(gva + i * GUEST_PAGE);
				seq = &control.seq[i >> host_shift];
				s1 = load_acquire(seq);
				a = READ_ONCE(page[0]);
				b = READ_ONCE(page[LAST_WORD]);
				guest_rmb();
				s2 = READ_ONCE(*seq);
				g2 = READ_ONCE(control.gen);
				busy = s1 != s2 || (s1 & 1);
				a_none = absent_ok && a == NO_MEMORY;
				b_none = absent_ok && b == NO_MEMORY;
				reads++;
				busy_reads += busy;
				zeros += busy && (!a || !b);
				absent += a_none || b_none;
				if ((a_none || !stale_value(a, i, g1, g2, busy && zero_ok)) &&
				    (b_none || !stale_value(b, i, g1, g2, busy && zero_ok)) &&
				    (busy || a_none || b_none || a == b))
					continue;
				if (!stale++) {
					WRITE_ONCE(st->first_page, i);
					WRITE_ONCE(st->first_value[0], a);
					WRITE_ONCE(st->first_value[1], b);
					WRITE_ONCE(st->first_gen[0], g1);
					WRITE_ONCE(st->first_gen[1], g2);
					WRITE_ONCE(st->first_busy, busy);
					/* A translation that outlives an exit is in the HTAB */
					WRITE_ONCE(st->first_again, stale_rereads(page, i, g1));
					guest_mfmsr();
					WRITE_ONCE(st->first_after_exit,
						   stale_rereads(page, i, g1));
				}
			}
			loops += j == npages;
			WRITE_ONCE(st->reads, reads);
			WRITE_ONCE(st->busy, busy_reads);
			WRITE_ONCE(st->zeros, zeros);
			WRITE_ONCE(st->gens, gens);
			WRITE_ONCE(st->stale, stale);
			WRITE_ONCE(st->absent, absent);
			store_release(&st->loops, loops);
		}
		GUEST_SYNC(phase);
	}
}

static struct kvm_vcpu *vcpus[NR_VCPUS];
static struct kvm_vm *vm;
static struct control *ctl;
static u64 host_page, gpp;	/* host page size, guest pages per host page */
static u64 npages, nhost;	/* guest and host pages in the data slot */
static u64 *buf[2];		/* the two backings of the data slot */
static void *spare;		/* where the move subtest keeps the old pages */
static int cur;			/* the one in the slot */
static u32 slot_flags;
static u64 gen, pause_id;
static bool answer_mmio;		/* delete-live runs: answer the gone slot's reads */
static u64 live_deletes;		/* delete-live: the deletes begun */
static u64 mmio_answers[NR_VCPUS];	/* delete-live: MMIO reads answered NO_MEMORY */

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * Poll for @cond, yielding the CPU: to a vCPU thread waiting for it, which
 * is the one the host waits for (sleeping would cost a tick: HZ, no high
 * resolution timers in the nested host)
 */
#define WAIT_FOR(cond, fmt, ...) do {						\
	double __end = now() + WAIT_SECONDS;					\
										\
	while (!(cond)) {							\
		TEST_ASSERT(now() < __end, fmt " within %d s", ##__VA_ARGS__,	\
			    WAIT_SECONDS);					\
		sched_yield();							\
	}									\
} while (0)

/* Host pages [@first, @first + @n) begin or end a change (the guest's seqlock) */
static void change_begin(u64 first, u64 n)
{
	u64 i;

	for (i = first; i < first + n; i++)
		WRITE_ONCE(ctl->seq[i], ctl->seq[i] + 1);
	__sync_synchronize();
}

static void change_end(u64 first, u64 n)
{
	u64 i;

	__atomic_thread_fence(__ATOMIC_RELEASE);
	for (i = first; i < first + n; i++)
		WRITE_ONCE(ctl->seq[i], ctl->seq[i] + 1);
}

/* Generation @g into every guest page of host pages [@first, @first + @n) of @b */
static void fill(u64 *b, u64 first, u64 n, u64 g)
{
	u64 i;

	for (i = first * gpp; i < (first + n) * gpp; i++) {
		WRITE_ONCE(b[i * GUEST_PAGE / 8], tag(g, i));
		WRITE_ONCE(b[i * GUEST_PAGE / 8 + LAST_WORD], tag(g, i));
	}
}

/* New contents in place, one host page at a time, then publish them */
static void rewrite_and_publish(void)
{
	u64 i;

	for (i = 0; i < nhost; i++) {
		change_begin(i, 1);
		fill(buf[cur], i, 1, gen + 1);
		change_end(i, 1);
	}
	store_release(&ctl->gen, ++gen);
}

static void set_slot(u64 gpa, u64 size, void *hva)
{
	vm_set_user_memory_region(vm, DATA_SLOT, slot_flags, gpa, size, hva);
}

static void pause_vcpus(void)
{
	int i;

	store_release(&ctl->pause, ++pause_id);
	for (i = 0; i < NR_VCPUS; i++)
		WAIT_FOR(load_acquire(&ctl->cpu[i].ack) == pause_id,
			 "vCPU %d did not acknowledge pause %lu", i, pause_id);
}

/* Resume, and wait until each vCPU has read the whole slot again */
static void resume_vcpus(void)
{
	u64 loops[NR_VCPUS];
	int i;

	for (i = 0; i < NR_VCPUS; i++)
		loops[i] = load_acquire(&ctl->cpu[i].loops);
	store_release(&ctl->pause, 0);
	for (i = 0; i < NR_VCPUS; i++)
		WAIT_FOR(load_acquire(&ctl->cpu[i].loops) > loops[i],
			 "vCPU %d did not read the slot after pause %lu", i, pause_id);
}

/* Each step makes one new generation and returns its invalidations */
static u64 step_dontneed(void)
{
	u64 i;

	for (i = 0; i < nhost; i++) {
		change_begin(i, 1);
		TEST_ASSERT(!madvise((char *)buf[cur] + i * host_page, host_page, MADV_DONTNEED),
			    "madvise(MADV_DONTNEED)");
		/* The page just freed goes to the previous one's new contents */
		if (i) {
			fill(buf[cur], i - 1, 1, gen + 1);
			change_end(i - 1, 1);
		}
	}
	fill(buf[cur], nhost - 1, 1, gen + 1);
	change_end(nhost - 1, 1);
	store_release(&ctl->gen, ++gen);
	return nhost;
}

static u64 step_remap(void)
{
	void *p;

	change_begin(0, nhost);
	p = mmap(buf[cur], nhost * host_page, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	TEST_ASSERT(p == buf[cur], "mmap(MAP_FIXED) over the slot");
	fill(buf[cur], 0, nhost, gen + 1);
	change_end(0, nhost);
	store_release(&ctl->gen, ++gen);
	return 1;
}

static u64 step_mprotect(void)
{
	TEST_ASSERT(!mprotect(buf[cur], nhost * host_page, PROT_READ), "mprotect(PROT_READ)");
	TEST_ASSERT(!mprotect(buf[cur], nhost * host_page, PROT_READ | PROT_WRITE),
		    "mprotect(PROT_READ | PROT_WRITE)");
	rewrite_and_publish();
	return 1;
}

static u64 step_dirty_log(void)
{
	slot_flags ^= KVM_MEM_LOG_DIRTY_PAGES;
	set_slot(DATA_GPA, nhost * host_page, buf[cur]);
	rewrite_and_publish();
	return 1;
}

static u64 step_delete(void)
{
	pause_vcpus();
	set_slot(DATA_GPA, 0, NULL);
	fill(buf[!cur], 0, nhost, gen + 1);
	cur = !cur;
	set_slot(DATA_GPA, nhost * host_page, buf[cur]);
	store_release(&ctl->gen, ++gen);
	resume_vcpus();
	return 1;
}

static u64 step_move(void)
{
	void *p;

	pause_vcpus();
	set_slot(MOVED_GPA, nhost * host_page, buf[cur]);
	p = mremap(buf[cur], nhost * host_page, nhost * host_page,
		   MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP, spare);
	TEST_ASSERT(p == spare, "mremap(MREMAP_DONTUNMAP) of the moved slot");
	fill(buf[cur], 0, nhost, gen + 1);
	set_slot(DATA_GPA, nhost * host_page, buf[cur]);
	store_release(&ctl->gen, ++gen);
	resume_vcpus();
	return 3;
}

/*
 * Delete the slot and re-create it on the other buffer with the vCPUs
 * running: the deleted slot's reads exit as MMIO (answer_mmio_read())
 */
static u64 step_delete_live(void)
{
	change_begin(0, nhost);
	WRITE_ONCE(live_deletes, live_deletes + 1);
	set_slot(DATA_GPA, 0, NULL);
	fill(buf[!cur], 0, nhost, gen + 1);
	cur = !cur;
	set_slot(DATA_GPA, nhost * host_page, buf[cur]);
	change_end(0, nhost);
	store_release(&ctl->gen, ++gen);
	return 1;
}

/*
 * vcpu_threads_exit_handler: in delete-live, answer an 8-byte read of the
 * data slot's addresses with NO_MEMORY, and fail a KVM_RUN error there
 * with a message of its own
 */
static bool answer_mmio_read(struct kvm_vcpu *vcpu, int err)
{
	struct kvm_run *run = vcpu->run;
	u64 pa = run->mmio.phys_addr, v = NO_MEMORY;

	if (!READ_ONCE(answer_mmio))
		return false;
	TEST_ASSERT(!err, "vCPU %u: KVM_RUN failed with %s in delete-live, delete %lu: %s",
		    vcpu->id, strerrorname_np(err) ?: "an unknown errno", READ_ONCE(live_deletes),
		    "a fault on a memslot being deleted must be retried (MMIO once it is gone)");
	if (run->exit_reason != KVM_EXIT_MMIO || run->mmio.is_write ||
	    run->mmio.len != sizeof(v) || pa < DATA_GPA || pa >= DATA_GPA + nhost * host_page)
		return false;
	memcpy(run->mmio.data, &v, sizeof(v));
	mmio_answers[vcpu->id]++;
	return true;
}

struct kind {
	const char *name;
	u64 (*step)(void);
	bool zero_ok;		/* the invalidation leaves zero pages until the rewrite */
	u64 count;		/* invalidations to do */
	bool absent_ok;		/* reads of the slot may be MMIO, answered NO_MEMORY */
	u64 done, stale;
};

/* In this order: the memslot kinds that upstream fails come last */
static struct kind kinds[] = {
	{ "dontneed", step_dontneed, true, 100000 },
	{ "remap", step_remap, true, 200 },
	{ "mprotect", step_mprotect, false, 300 },
	{ "dirty-log", step_dirty_log, false, 200 },
	{ "delete", step_delete, false, 50 },
	{ "move", step_move, false, 150 },
	{ "delete-live", step_delete_live, false, 1000, true },
};

#define NR_KINDS	ARRAY_SIZE(kinds)

static u64 total_reads;

static void report_vcpu(struct kind *k, int id, struct vcpu_stats *st, u64 faults)
{
	u64 *v = st->first_value;

	ksft_print_msg("%s: vCPU %d: %lu reads (%lu in a change, %lu zero), %lu passes\n",
		       k->name, id, st->reads, st->busy, st->zeros, st->loops);
	ksft_print_msg("%s: vCPU %d: %lu shadow faults, %lu generations seen, %lu stale reads\n",
		       k->name, id, faults, st->gens, st->stale);
	if (k->absent_ok)
		ksft_print_msg("%s: vCPU %d: %lu reads found no memory, %lu MMIO reads answered\n",
			       k->name, id, st->absent, mmio_answers[id]);
	if (!st->stale)
		return;
	ksft_print_msg("%s: vCPU %d: first stale: page %lu held generation:page %lu:%u, %lu:%u\n",
		       k->name, id, st->first_page, v[0] >> 32, (u32)v[0], v[1] >> 32, (u32)v[1]);
	ksft_print_msg("%s: vCPU %d: first stale: between generations %lu and %lu%s\n",
		       k->name, id, st->first_gen[0], st->first_gen[1],
		       st->first_busy ? ", in a change" : "");
	ksft_print_msg("%s: vCPU %d: first stale: %lu of %d rereads, %lu of %d after an exit\n",
		       k->name, id, st->first_again, REREADS, st->first_after_exit, REREADS);
}

static void run_kind(struct kind *k, u64 phase)
{
	struct vcpu_stats st[NR_VCPUS];
	u64 first_gen = gen, reads = 0, faults[NR_VCPUS];
	double t0, t;
	int i;

	if (!k->count) {
		ksft_test_result_skip("%s: no invalidations asked for\n", k->name);
		return;
	}
	memset(ctl->cpu, 0, sizeof(ctl->cpu));
	memset(mmio_answers, 0, sizeof(mmio_answers));
	for (i = 0; i < NR_VCPUS; i++)
		faults[i] = vcpu_get_stat(vcpus[i], sp_storage);
	WRITE_ONCE(ctl->zero_ok, k->zero_ok);
	WRITE_ONCE(ctl->absent_ok, k->absent_ok);
	WRITE_ONCE(answer_mmio, k->absent_ok);
	store_release(&ctl->phase, phase);
	vcpu_threads_run();
	for (i = 0; i < NR_VCPUS; i++)
		WAIT_FOR(load_acquire(&ctl->cpu[i].loops), "%s: vCPU %d did not read the slot",
			 k->name, i);

	t0 = now();
	while (k->done < k->count)
		k->done += k->step();
	/* Dirty logging ends off */
	if (slot_flags & KVM_MEM_LOG_DIRTY_PAGES)
		k->done += step_dirty_log();
	t = now() - t0;

	store_release(&ctl->stop, phase);
	vcpu_threads_wait();
	WRITE_ONCE(answer_mmio, false);
	memcpy(st, ctl->cpu, sizeof(st));

	for (i = 0; i < NR_VCPUS; i++) {
		reads += st[i].reads;
		k->stale += st[i].stale;
	}
	total_reads += reads;
	ksft_print_msg("%s: %lu invalidations, %lu generations in %.1f s (%.0f us each)\n",
		       k->name, k->done, gen - first_gen, t, t * 1e6 / k->done);
	for (i = 0; i < NR_VCPUS; i++)
		report_vcpu(k, i, &st[i], vcpu_get_stat(vcpus[i], sp_storage) - faults[i]);
	/* A guest that cannot read memory proves nothing: that stops the test */
	for (i = 0; i < NR_VCPUS; i++)
		TEST_ASSERT(st[i].reads > st[i].absent && st[i].gens >= 2,
			    "%s: vCPU %d read %lu pages in %lu generations: the guest is stuck",
			    k->name, i, st[i].reads - st[i].absent, st[i].gens);
	if (k->stale)
		ksft_test_result_fail("%s: %lu stale reads in %lu\n", k->name, k->stale, reads);
	else
		ksft_test_result_pass("%s: %lu invalidations, %lu reads, no stale read\n",
				      k->name, k->done, reads);
}

static void *anon(u64 size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	TEST_ASSERT(p != MAP_FAILED, "mmap of %lu bytes", size);
	return p;
}

static void help(char *name)
{
	printf("usage: %s [-n count] [-r count] [-m count] [-l count] [-d count] [-M count]\n"
	       "          [-D count] [-p pages]\n"
	       " -n: MADV_DONTNEED of one host page (default %lu)\n"
	       " -r: mmap(MAP_FIXED) over the slot (default %lu)\n"
	       " -m: mprotect read-only and back (default %lu)\n"
	       " -l: dirty logging turned on or off (default %lu)\n"
	       " -d: memslot deletes, each re-created (default %lu)\n"
	       " -M: invalidations of the move subtest, 3 a round: the move, the mremap\n"
	       "     of the moved slot's pages and the move back (default %lu)\n"
	       " -D: memslot deletes, each re-created, with the vCPUs reading (default %lu)\n"
	       " -p: guest pages in the data slot, rounded up to whole host pages (default %lu)\n"
	       "A count of 0 skips its subtest.\n",
	       name, kinds[0].count, kinds[1].count, kinds[2].count, kinds[3].count,
	       kinds[4].count, kinds[5].count, kinds[6].count, DEFAULT_PAGES);
	exit(KSFT_FAIL);
}

int main(int argc, char *argv[])
{
	u64 invalidations = 0, stale = 0, i;
	char failed[256] = "";
	int opt, k;

	host_page = getpagesize();
	gpp = host_page / GUEST_PAGE;
	npages = DEFAULT_PAGES;
	while ((opt = getopt(argc, argv, "hn:r:m:l:d:M:D:p:")) != -1) {
		const char *opts = "nrmldMD";

		if (opt == 'p') {
			npages = atoll(optarg);
			continue;
		}
		if (opt == 'h' || !strchr(opts, opt))
			help(argv[0]);
		kinds[strchr(opts, opt) - opts].count = atoll(optarg);
	}
	nhost = (npages + gpp - 1) / gpp;
	npages = nhost * gpp;
	TEST_ASSERT(nhost && nhost <= MAX_HOST_PAGES && npages <= MAX_GUEST_PAGES,
		    "1 to %d host pages, at most %d guest pages", MAX_HOST_PAGES,
		    MAX_GUEST_PAGES);

	ksft_print_header();
	ksft_set_plan(NR_KINDS);
	ksft_print_msg("%d vCPUs, %lu guest pages in %lu host pages of %lu bytes\n",
		       NR_VCPUS, npages, nhost, host_page);

	vm = vm_create_with_vcpus(NR_VCPUS, guest_code, vcpus);
	for (k = 0; k < 2; k++)
		buf[k] = anon(nhost * host_page);
	spare = anon(nhost * host_page);
	gen = 1;
	fill(buf[0], 0, nhost, gen);
	set_slot(DATA_GPA, nhost * host_page, buf[0]);
	virt_map(vm, DATA_GVA, DATA_GPA, npages);
	ctl = addr_gva2hva(vm, (gva_t)&control);
	ctl->gen = gen;

	for (i = 0; i < NR_VCPUS; i++)
		vcpu_args_set(vcpus[i], 4, i, DATA_GVA, npages, __builtin_ctzl(gpp));
	vcpu_threads_exit_handler = answer_mmio_read;
	vcpu_threads_start(vcpus, NR_VCPUS);

	for (k = 0; k < NR_KINDS; k++) {
		run_kind(&kinds[k], k + 1);
		invalidations += kinds[k].done;
		stale += kinds[k].stale;
		if (kinds[k].stale)
			snprintf(failed + strlen(failed), sizeof(failed) - strlen(failed),
				 "%s%s %lu", *failed ? ", " : "", kinds[k].name, kinds[k].stale);
	}

	vcpu_threads_stop();

	ksft_print_msg("invalidations %lu, guest reads %lu, stale reads %lu\n",
		       invalidations, total_reads, stale);
	TEST_ASSERT(!stale, "stale reads (%s): the guests read host pages the host had invalidated",
		    failed);

	set_slot(DATA_GPA, 0, NULL);
	kvm_vm_free(vm);
	ksft_finished();
}
