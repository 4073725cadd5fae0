/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The reference model of the shadow HPTE cache: every entry in one array in
 * the order it was mapped, every operation a linear scan.  Its flush
 * semantics are upstream's.  Its replacement is either upstream's (flush
 * everything when full) or CLOCK as the patched cache specifies it: a hand
 * over the gfn buckets, taking each bucket's entries newest first, sparing
 * an entry once if it was mapped since the hand passed or is referenced,
 * with the cache's batch size and limit of spared entries.
 */
#ifndef KVM_PR_HPTE_MODEL_H
#define KVM_PR_HPTE_MODEL_H

#include "cache.h"

struct model_entry {
	struct hh_entry e;
	bool aged, ref;
};

struct model {
	struct model_entry *v;
	size_t n, cap;
	unsigned int capacity, batch, chances, min, buckets, page_shift, hand;
	bool clock;
	unsigned long *out;	/* ids removed by the last operation */
	size_t nout, outcap;
	unsigned long warnings, ref_queries;
};

/* Replacement and gfn hashing of the cache under test, from cache.h */
void model_init(struct model *m);
void model_free(struct model *m);
void model_map(struct model *m, const struct hh_entry *e);
void model_flush_ea(struct model *m, unsigned long ea, unsigned long mask);
void model_flush_vp(struct model *m, u64 vp, u64 mask);
void model_pflush(struct model *m, unsigned long start, unsigned long end);
void model_set_ref(struct model *m, unsigned long id);

#endif
