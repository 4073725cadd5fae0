/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The harness's handle on the shadow HPTE cache under test (cache.c): one
 * vCPU, entries named by an id the caller chooses (kept in the entry's host
 * slot), and a log of the ids the cache asked the host to invalidate.
 */
#ifndef KVM_PR_HPTE_CACHE_H
#define KVM_PR_HPTE_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

/* The masks the callers in arch/powerpc/kvm pass */
#define HH_EA_PAGE	(~0xfffUL)
#define HH_EA_SEG	0x0ffff000UL
#define HH_VP_4K	0xfffffffffULL
#define HH_VP_64K	0xffffffff0ULL
#define HH_VP_16M	0xffffff000ULL

struct hh_entry {
	unsigned long id;
	unsigned long eaddr;
	u64 vpage;
	unsigned long raddr;
	bool writable;
	u8 page_size;
};

/* The vCPU's counters the cache adds to (struct kvm_vcpu_stat) */
struct hh_vcpu_stat {
	u64 pr_hpte_map, pr_hpte_evict, pr_hpte_spare, pr_flush_all;
	u64 pr_range_lookup, pr_range_walk, pr_age_young, pr_host_evict;
};

int hh_setup(unsigned int capacity);	/* 0: the tree's default */
extern struct hh_vcpu_stat *const hh_stat;	/* zeroed by hh_setup() */
const char *hh_teardown(void);
const char *hh_check(void);

unsigned long hh_map(const struct hh_entry *e);
void hh_flush_ea(unsigned long ea, unsigned long mask);
void hh_flush_vp(u64 vp, u64 mask);
void hh_pflush(unsigned long start, unsigned long end);
int hh_age(unsigned long start, unsigned long end, bool clear);
/*
 * The host evicted the HPTE in entry @id's slot for a map, and it had entry
 * @owner's VPN: 0 if the cache let the entry in that slot go (if @id ==
 * @owner), 1 if it kept it, -1 if the tree has no such path.
 */
int hh_host_evict(unsigned long id, unsigned long owner);
void hh_flush_all(void);
long hh_count(void);

const unsigned long *hh_take_log(size_t *n);
/* Frees what kfree_rcu() deferred; hh_*() do it after each call unless set */
void hh_quiesce(void);
extern bool hh_defer_quiesce;
unsigned long hh_take_warnings(void);
void hh_set_ref(unsigned long id);
extern unsigned long hh_ref_queries;
extern unsigned long hh_age_queries;
extern unsigned long hh_buckets_walked;	/* list walks started */

unsigned int hh_capacity(void);
const char *hh_policy(void);		/* "clock" or "flush-all" */
unsigned int hh_evict_batch(void);
unsigned int hh_evict_chances(void);
unsigned int hh_evict_min(void);
unsigned int hh_gfn_buckets(void);	/* 0 before the gfn index */
unsigned int hh_clock_hand(void);	/* gfn bucket the eviction hand is on */
size_t hh_entry_size(void);
unsigned int hh_page_shift(void);

#endif
