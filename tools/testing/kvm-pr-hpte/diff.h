/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Differential runs: random operation sequences applied to the cache under
 * test and to the reference model, compared after every operation.
 */
#ifndef KVM_PR_HPTE_DIFF_H
#define KVM_PR_HPTE_DIFF_H

#include <stddef.h>
#include <linux/types.h>

struct source {
	/* A number below @bound; from a PRNG, or from fuzzer bytes */
	u64 (*next)(struct source *s, u64 bound);
	u64 state;
	const u8 *data;
	size_t size, pos;
	int done;
};

void source_prng(struct source *s, u64 seed);
void source_bytes(struct source *s, const u8 *data, size_t size);

struct diff_stats {
	unsigned long ops, maps, flushes, invalidated, evictions, divergences;
};

/*
 * Runs up to @ops operations (until the source runs dry for bytes) with the
 * cache's capacity set to @capacity (0: the tree's default).  Returns 0, or
 * -1 at the first divergence, which is printed to stderr.
 */
int diff_run(struct source *src, unsigned long ops, unsigned int capacity,
	     struct diff_stats *st);

#endif
