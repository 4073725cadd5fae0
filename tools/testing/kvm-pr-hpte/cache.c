// SPDX-License-Identifier: GPL-2.0-only
/*
 * The shadow HPTE cache of the tree under test, compiled in userspace, and
 * the host side it calls, which records what it is asked to do.  Tests,
 * fuzzers and the benchmark drive it through cache.h only.
 */
#include "harness.h"
#include "cache.h"

#include HPTE_C

unsigned long hh_warnings;
int hh_rcu_depth;

static struct kvmppc_vcpu_book3s *hh_vcpu3s;
static struct kvm_vcpu hh_vcpu_s;
struct kvm_vcpu *const hh_vcpu = &hh_vcpu_s;
struct hh_vcpu_stat *const hh_stat = &hh_vcpu_s.stat;

static void **hh_rcu_pending;
static size_t hh_rcu_npending, hh_rcu_cap;
static long hh_live, hh_lock_errors, hh_rcu_errors;
static bool hh_tlbie_batch_open;
static unsigned int hh_capacity_now = HPTEG_CACHE_NUM;

/* Invalidation log and reference bits, by entry id */
static unsigned long *hh_log;
static size_t hh_log_len, hh_log_cap;
static unsigned char *hh_ref;
static size_t hh_ref_cap;
unsigned long hh_ref_queries;
unsigned long hh_age_queries;
unsigned long hh_buckets_walked;

struct hlist_head *hh_rcu_reader(struct hlist_head *head)
{
	hh_buckets_walked++;
	/* Walking a list without the lock needs rcu_read_lock() */
	if (hh_rcu_depth <= 0 && !(hh_vcpu3s && hh_vcpu3s->mmu_lock.locked))
		hh_rcu_errors++;
	return head;
}

void rcu_read_unlock(void)
{
	if (--hh_rcu_depth < 0)
		hh_rcu_errors++;
}

void hh_kfree_rcu(struct hpte_cache *pte, const char *field)
{
	struct callback_head *head = &pte->rcu_head;
	void *obj = pte;

	if (strcmp(field, "rcu_head"))
		abort();

	/* As kfree_rcu(): the rcu_head is overwritten now, freed later */
	head->next = (struct callback_head *)0x5a5a5a5a5a5a5a5aUL;
	head->func = NULL;
	if (hh_rcu_npending == hh_rcu_cap) {
		hh_rcu_cap = hh_rcu_cap ? 2 * hh_rcu_cap : 256;
		hh_rcu_pending = realloc(hh_rcu_pending, hh_rcu_cap * sizeof(void *));
		if (!hh_rcu_pending)
			abort();
	}
	hh_rcu_pending[hh_rcu_npending++] = obj;
}

bool hh_defer_quiesce;

/* A grace period: nothing may still point at what was kfree_rcu()ed */
void hh_quiesce(void)
{
	if (hh_rcu_depth)
		hh_rcu_errors++;
	while (hh_rcu_npending) {
		free(hh_rcu_pending[--hh_rcu_npending]);
		hh_live--;
	}
}

void spin_lock_init(spinlock_t *l)
{
	l->locked = 0;
}

void spin_lock(spinlock_t *l)
{
	if (l->locked)
		hh_lock_errors++;
	l->locked = 1;
}

void spin_unlock(spinlock_t *l)
{
	if (!l->locked || hh_tlbie_batch_open)
		hh_lock_errors++;
	l->locked = 0;
}

void kvmppc_mmu_tlbie_batch_start(struct kvm_vcpu *vcpu)
{
	if (vcpu != hh_vcpu || !hh_vcpu3s->mmu_lock.locked || hh_tlbie_batch_open)
		hh_lock_errors++;
	hh_tlbie_batch_open = true;
}

void kvmppc_mmu_tlbie_batch_end(struct kvm_vcpu *vcpu)
{
	if (vcpu != hh_vcpu || !hh_vcpu3s->mmu_lock.locked || !hh_tlbie_batch_open)
		hh_lock_errors++;
	hh_tlbie_batch_open = false;
}

struct kmem_cache *kmem_cache_create(const char *name, unsigned int size,
				     unsigned int align, unsigned long flags,
				     void (*ctor)(void *))
{
	struct kmem_cache *c = calloc(1, sizeof(*c));

	(void)name; (void)align; (void)flags; (void)ctor;
	if (c)
		c->size = size;
	return c;
}

void *kmem_cache_zalloc(struct kmem_cache *c, unsigned int gfp)
{
	void *p = calloc(1, c->size);

	(void)gfp;
	if (p)
		hh_live++;
	return p;
}

void kmem_cache_free(struct kmem_cache *c, void *p)
{
	(void)c;
	free(p);
	hh_live--;
}

void kmem_cache_destroy(struct kmem_cache *c)
{
	free(c);
}

void kvmppc_mmu_invalidate_pte(struct kvm_vcpu *vcpu, struct hpte_cache *pte)
{
	if (vcpu != hh_vcpu || hlist_unhashed(&pte->list_pte))
		hh_rcu_errors++;	/* the host HPTE of an entry no longer cached */
	if (hh_log_len == hh_log_cap) {
		hh_log_cap = hh_log_cap ? 2 * hh_log_cap : 1024;
		hh_log = realloc(hh_log, hh_log_cap * sizeof(*hh_log));
		if (!hh_log)
			abort();
	}
	hh_log[hh_log_len++] = pte->slot;
}

bool hh_test_clear_ref(struct kvm_vcpu *vcpu, struct hpte_cache *pte)
{
	unsigned long id = pte->slot;
	bool r;

	(void)vcpu;
	hh_ref_queries++;
	if (id >= hh_ref_cap)
		return false;
	r = hh_ref[id];
	hh_ref[id] = 0;
	return r;
}

#ifdef KVMPPC_PTE_YOUNG
/* The host side of aging: R comes from the table the hand reads */
int kvmppc_mmu_age_pte(struct kvm_vcpu *vcpu, struct hpte_cache *pte, bool clear)
{
	unsigned long id = pte->slot;
	int r;

	if (vcpu != hh_vcpu || hlist_unhashed(&pte->list_pte))
		hh_rcu_errors++;
	hh_age_queries++;
	if (id >= hh_ref_cap)
		return 0;
	r = hh_ref[id] ? KVMPPC_PTE_YOUNG : 0;
	if (clear)
		hh_ref[id] = 0;
	return r;
}
#endif

/* The host side of an eviction: the entry whose VPN (its id) the HPTE had */
bool kvmppc_mmu_host_evicted_pte(struct kvm_vcpu *vcpu, struct hpte_cache *pte,
				 unsigned long v, unsigned long r)
{
	(void)r;
	if (vcpu != hh_vcpu || hlist_unhashed(&pte->list_pte))
		hh_rcu_errors++;
	return pte->host_vpn == v;
}

int hh_host_evict(unsigned long id, unsigned long owner)
{
#ifdef HPTEG_HASH_BITS_SLOT
	static struct kvm hh_kvm;
	long before = hh_vcpu3s->hpte_cache_count;

	kvmppc_mmu_hpte_host_evicted(&hh_kvm, id, owner, 0);
	if (!hh_defer_quiesce)
		hh_quiesce();
	return hh_vcpu3s->hpte_cache_count == before;
#else
	(void)id;
	(void)owner;
	return -1;
#endif
}

void hh_set_ref(unsigned long id)
{
	if (id >= hh_ref_cap) {
		size_t n = hh_ref_cap ? hh_ref_cap : 1024;

		while (n <= id)
			n *= 2;
		hh_ref = realloc(hh_ref, n);
		if (!hh_ref)
			abort();
		memset(hh_ref + hh_ref_cap, 0, n - hh_ref_cap);
		hh_ref_cap = n;
	}
	hh_ref[id] = 1;
}

const unsigned long *hh_take_log(size_t *n)
{
	*n = hh_log_len;
	hh_log_len = 0;
	return hh_log;
}

unsigned int hh_capacity(void)
{
	return hh_capacity_now;
}

const char *hh_policy(void)
{
#ifdef HPTEG_EVICT_BATCH
	return "clock";
#else
	return "flush-all";
#endif
}

unsigned int hh_evict_batch(void)
{
#ifdef HPTEG_EVICT_BATCH
	return HPTEG_EVICT_BATCH;
#else
	return 0;
#endif
}

unsigned int hh_evict_chances(void)
{
#ifdef HPTEG_EVICT_CHANCES
	return HPTEG_EVICT_CHANCES;
#else
	return 0;
#endif
}

/* A batch that has used its chances ends after this many evictions */
unsigned int hh_evict_min(void)
{
#ifdef HPTEG_EVICT_MIN
	return HPTEG_EVICT_MIN;
#else
	return hh_evict_batch();
#endif
}

unsigned int hh_clock_hand(void)
{
#ifdef HPTEG_EVICT_BATCH
	return hh_vcpu3s->hpte_clock_hand;
#else
	return 0;
#endif
}

unsigned int hh_gfn_buckets(void)
{
#ifdef HPTEG_HASH_NUM_GFN
	return HPTEG_HASH_NUM_GFN;
#else
	return 0;
#endif
}

size_t hh_entry_size(void)
{
	return sizeof(struct hpte_cache);
}

int hh_setup(unsigned int capacity)
{
	hh_warnings = 0;
	hh_live = 0;
	hh_lock_errors = 0;
	hh_rcu_errors = 0;
	hh_log_len = 0;
	hh_ref_queries = 0;
	hh_age_queries = 0;
	memset(hh_stat, 0, sizeof(*hh_stat));
	if (hh_ref)
		memset(hh_ref, 0, hh_ref_cap);
#ifdef HPTEG_EVICT_BATCH
	hpte_cache_size = capacity ? capacity : HPTEG_CACHE_NUM;
#else
	(void)capacity;
#endif
	if (kvmppc_mmu_hpte_sysinit())
		return -1;
#ifdef HPTEG_EVICT_BATCH
	hh_capacity_now = hpte_cache_size;	/* after sysinit's clamp */
#endif
	hh_vcpu3s = calloc(1, sizeof(*hh_vcpu3s));
	if (!hh_vcpu3s)
		return -1;
	hh_vcpu_s.arch.book3s = hh_vcpu3s;
	return kvmppc_mmu_hpte_init(hh_vcpu);
}

unsigned long hh_map(const struct hh_entry *e)
{
	struct hpte_cache *pte = kvmppc_mmu_hpte_cache_next(hh_vcpu);

	if (!pte)
		abort();
	pte->slot = e->id;
	pte->host_vpn = e->id;
	pte->pfn = e->raddr >> PAGE_SHIFT;
	pte->pagesize = 0;
	pte->pte.eaddr = e->eaddr;
	pte->pte.vpage = e->vpage;
	pte->pte.raddr = e->raddr;
	pte->pte.may_read = true;
	pte->pte.may_write = e->writable;
	pte->pte.page_size = e->page_size;
	kvmppc_mmu_hpte_cache_map(hh_vcpu, pte);
	if (!hh_defer_quiesce)
		hh_quiesce();
	return e->id;
}

void hh_flush_ea(ulong ea, ulong mask)
{
	kvmppc_mmu_pte_flush(hh_vcpu, ea, mask);
	if (!hh_defer_quiesce)
		hh_quiesce();
}

void hh_flush_vp(u64 vp, u64 mask)
{
	kvmppc_mmu_pte_vflush(hh_vcpu, vp, mask);
	if (!hh_defer_quiesce)
		hh_quiesce();
}

void hh_pflush(ulong start, ulong end)
{
	kvmppc_mmu_pte_pflush(hh_vcpu, start, end);
	if (!hh_defer_quiesce)
		hh_quiesce();
}

/* 1 young, 0 not, -1 when the tree under test has no aging */
int hh_age(ulong start, ulong end, bool clear)
{
#ifdef KVMPPC_PTE_YOUNG
	bool young = kvmppc_mmu_pte_age(hh_vcpu, start, end, clear);

	if (!hh_defer_quiesce)
		hh_quiesce();
	return young;
#else
	return -1;
#endif
}

void hh_flush_all(void)
{
	kvmppc_mmu_pte_flush(hh_vcpu, 0, 0);
	if (!hh_defer_quiesce)
		hh_quiesce();
}

long hh_count(void)
{
	return hh_vcpu3s->hpte_cache_count;
}

/* Tears everything down; returns a description of what went wrong, or NULL */
const char *hh_teardown(void)
{
	static char why[160];

	kvmppc_mmu_hpte_destroy(hh_vcpu);
	hh_quiesce();
	why[0] = 0;
	if (hh_vcpu3s->hpte_cache_count)
		snprintf(why, sizeof(why), "%d entries left after destroy",
			 hh_vcpu3s->hpte_cache_count);
	else if (hh_live)
		snprintf(why, sizeof(why), "%ld objects leaked", hh_live);
	else if (hh_lock_errors || hh_rcu_errors || hh_warnings)
		snprintf(why, sizeof(why), "%ld lock errors, %ld RCU errors, %lu warnings",
			 hh_lock_errors, hh_rcu_errors, hh_warnings);
	kvmppc_mmu_hpte_sysexit();
	free(hh_vcpu3s);
	hh_vcpu3s = NULL;
	hh_log_len = 0;
	return why[0] ? why : NULL;
}

/* Checks that can be made at any point between operations */
const char *hh_check(void)
{
	static char why[160];

	if (hh_lock_errors || hh_rcu_errors || hh_warnings) {
		snprintf(why, sizeof(why), "%ld lock errors, %ld RCU errors, %lu warnings",
			 hh_lock_errors, hh_rcu_errors, hh_warnings);
		return why;
	}
	if (hh_live != hh_vcpu3s->hpte_cache_count) {
		snprintf(why, sizeof(why), "%ld objects live, %d cached", hh_live,
			 hh_vcpu3s->hpte_cache_count);
		return why;
	}
	return NULL;
}

unsigned long hh_take_warnings(void)
{
	unsigned long n = hh_warnings;

	hh_warnings = 0;
	return n;
}

unsigned int hh_page_shift(void)
{
	return PAGE_SHIFT;
}
