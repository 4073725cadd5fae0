// SPDX-License-Identifier: GPL-2.0-only
/*
 * Costs of the shadow HPTE cache's operations with N entries cached.
 *
 *   hpte-bench OP N          one measurement: prints "OP N K ns_per_op"
 *   hpte-bench --list        the operations
 *
 * The measured calls run inside bench_measure(), so that
 * valgrind --tool=callgrind --toggle-collect=bench_measure counts their
 * instructions only; filling the cache before is not counted.  Entries map
 * distinct pseudo-random 4K pages of a 4 GiB guest, from 16 segments.
 */
#include <linux/kernel.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cache.h"

#define GUEST_PAGES	(1024UL * 1024)	/* 4 GiB of 4K pages */

struct op {
	const char *name;
	const char *what;
	unsigned int k;		/* calls per measurement */
};

static const struct op ops[] = {
	{ "pflush-page", "pflush of one 4K page", 256 },
	{ "pflush-2m", "pflush of a 2 MiB range", 16 },
	{ "pflush-1g", "pflush of a 1 GiB range", 1 },
	{ "flush-ea", "guest tlbie of one EA page", 256 },
	{ "flush-vpn", "VPN flush of one 4K page", 256 },
	{ "map", "cache_next + cache_map of a new entry", 256 },
	{ "full", "the map that finds the cache full", 1 },
	{ "flush-all", "flush of every entry", 1 },
	{ "age-page", "clear_young of one 4K page (patched only)", 256 },
	{ "age-all", "clear_young of every entry (patched only)", 1 },
};

static struct hh_entry *ent;
static u64 rng = 42;

static u64 rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void make_entries(unsigned long n)
{
	unsigned char *used = calloc(GUEST_PAGES / 8, 1);
	unsigned long i;

	ent = calloc(n, sizeof(*ent));
	if (!ent || !used)
		abort();
	for (i = 0; i < n; i++) {
		unsigned long page, seg = rnd() % 16;

		do
			page = rnd() % GUEST_PAGES;
		while (used[page / 8] & (1 << (page % 8)));
		used[page / 8] |= 1 << (page % 8);
		ent[i].id = i + 1;
		/* EA page i of segment seg; VSID 0x1000 + seg */
		ent[i].eaddr = seg << 28 | (i & 0xffff) << 12;
		ent[i].vpage = (0x1000 + seg) << 16 | (i & 0xffff);
		ent[i].raddr = page << 12;
		ent[i].writable = true;
	}
	free(used);
}

/* Not inlined, so that callgrind can count it alone */
static void HH_NOINLINE bench_measure(const struct op *op, unsigned long n,
				      unsigned long *victims)
{
	unsigned int i;

	if (!strcmp(op->name, "pflush-page")) {
		for (i = 0; i < op->k; i++)
			hh_pflush(ent[victims[i]].raddr, ent[victims[i]].raddr + 4096);
	} else if (!strcmp(op->name, "pflush-2m")) {
		for (i = 0; i < op->k; i++) {
			unsigned long s = ent[victims[i]].raddr & ~((2UL << 20) - 1);

			hh_pflush(s, s + (2UL << 20));
		}
	} else if (!strcmp(op->name, "pflush-1g")) {
		hh_pflush(1UL << 30, 2UL << 30);
	} else if (!strcmp(op->name, "flush-ea")) {
		for (i = 0; i < op->k; i++)
			hh_flush_ea(ent[victims[i]].eaddr, HH_EA_PAGE);
	} else if (!strcmp(op->name, "flush-vpn")) {
		for (i = 0; i < op->k; i++)
			hh_flush_vp(ent[victims[i]].vpage, HH_VP_4K);
	} else if (!strcmp(op->name, "map")) {
		for (i = 0; i < op->k; i++)
			hh_map(&ent[n - op->k + i]);
	} else if (!strcmp(op->name, "full")) {
		hh_map(&ent[n]);
	} else if (!strcmp(op->name, "flush-all")) {
		hh_flush_all();
	} else if (!strcmp(op->name, "age-page")) {
		for (i = 0; i < op->k; i++)
			hh_age(ent[victims[i]].raddr, ent[victims[i]].raddr + 4096, true);
	} else if (!strcmp(op->name, "age-all")) {
		hh_age(0, ~0UL, true);
	}
}

int main(int argc, char **argv)
{
	const struct op *op = NULL;
	unsigned long n, fill, i, *victims;
	struct timespec t0, t1;
	size_t nlog;
	double ns;

	if (argc == 2 && !strcmp(argv[1], "--list")) {
		for (i = 0; i < ARRAY_SIZE(ops); i++)
			printf("%s\t%u\t%s\n", ops[i].name, ops[i].k, ops[i].what);
		return 0;
	}
	if (argc != 3) {
		fprintf(stderr, "usage: %s OP ENTRIES | --list\n", argv[0]);
		return 2;
	}
	for (i = 0; i < ARRAY_SIZE(ops); i++)
		if (!strcmp(argv[1], ops[i].name))
			op = &ops[i];
	n = strtoul(argv[2], NULL, 0);
	if (!op || n < 256 || n > 32768) {
		fprintf(stderr, "unknown operation, or ENTRIES not in 256..32768\n");
		return 2;
	}
	if (hh_setup(0))
		return 1;
	if (!strncmp(op->name, "age-", 4) && hh_age(0, 0, false) < 0) {
		fprintf(stderr, "%s: the tree under test has no aging\n", op->name);
		return 3;
	}
	if (!strcmp(op->name, "full") && hh_capacity() != n) {
		fprintf(stderr, "full: ENTRIES must be the capacity, %u\n", hh_capacity());
		return 2;
	}
	make_entries(n + 1);
	/* map measures the last k entries going in; everything else starts full */
	fill = !strcmp(op->name, "map") ? n - op->k : n;
	for (i = 0; i < fill; i++)
		hh_map(&ent[i]);
	hh_take_log(&nlog);
	if (nlog || hh_count() != (long)fill) {
		fprintf(stderr, "filling invalidated %zu entries\n", nlog);
		return 1;
	}
	victims = calloc(op->k, sizeof(*victims));
	if (!victims)
		abort();
	for (i = 0; i < op->k; i++)
		victims[i] = (i * 7919UL) % fill;	/* distinct, spread */

	hh_defer_quiesce = true;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	bench_measure(op, n, victims);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	hh_defer_quiesce = false;
	hh_quiesce();
	hh_take_log(&nlog);

	ns = (t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec);
	printf("%s %lu %u %.1f %zu\n", op->name, n, op->k, ns / op->k, nlog);
	free(victims);
	free(ent);
	return hh_teardown() ? 1 : 0;
}
