// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of the shadow HPTE cache, and the differential fuzz against the
 * reference model.  TAP output.
 *
 *   hpte-test                    unit tests and a short fuzz
 *   hpte-test --fuzz N [--seed S] [--runs R]
 *                                R differential runs of N operations each
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/compiler.h>
#include <linux/kernel.h>

#include "cache.h"
#include "diff.h"

static int tap_n, tap_failed;
static char fail_why[2200];

/* Records the first failure of the running test; returns @cond */
static __printf(2, 3) bool expect(bool cond, const char *fmt, ...)
{
	va_list ap;

	if (!cond && !fail_why[0]) {
		va_start(ap, fmt);
		vsnprintf(fail_why, sizeof(fail_why), fmt, ap);
		va_end(ap);
	}
	return cond;
}

static unsigned long next_id = 1;

static int cmp_ul(const void *a, const void *b)
{
	unsigned long x = *(const unsigned long *)a, y = *(const unsigned long *)b;

	return x < y ? -1 : x > y;
}

static unsigned long map(unsigned long ea, u64 vp, unsigned long ra)
{
	struct hh_entry e = { next_id++, ea, vp, ra, true, 0 };

	return hh_map(&e);
}

/* The sorted ids invalidated since the last call, as a string */
static const char *taken(void)
{
	static char *buf;
	static size_t cap;
	size_t n, i, len = 0;
	const unsigned long *l = hh_take_log(&n);
	unsigned long *v = malloc((n + 1) * sizeof(*v));

	if (!v)
		abort();
	if (n)
		memcpy(v, l, n * sizeof(*v));
	qsort(v, n, sizeof(*v), cmp_ul);
	if (cap < 24 * n + 1) {
		cap = 24 * n + 1;
		buf = realloc(buf, cap);
		if (!buf)
			abort();
	}
	buf[0] = 0;
	for (i = 0; i < n; i++)
		len += snprintf(buf + len, cap - len, "%s%lu", i ? " " : "", v[i]);
	free(v);
	return buf;
}

/* The ids invalidated since the last check are exactly @want */
static void expect_taken(const char *want)
{
	const char *t = taken();

	expect(!strcmp(t, want), "invalidated {%.900s}, want {%.900s}", t, want);
}

static void expect_taken_n(size_t want)
{
	size_t n;

	hh_take_log(&n);
	expect(n == want, "invalidated %zu entries, want %zu", n, want);
}

static int t_map_count(void)
{
	map(0x1000, 0x1001, 0x2000);
	map(0x2000, 0x1002, 0x3000);
	map(0x3000, 0x1003, 0x4000);
	expect(hh_count() == 3, "count %ld", hh_count());
	expect_taken("");
	return 0;
}

static int t_flush_ea_page(void)
{
	map(0x10001000, 1, 0x1000);		/* 1 */
	map(0x10001abc, 2, 0x2000);		/* 2: same page */
	map(0x10002000, 3, 0x3000);		/* 3: next page */
	map(0x10000fff, 4, 0x4000);		/* 4: previous page */
	map(0x110001000UL, 5, 0x5000);		/* 5: 4G above */
	hh_flush_ea(0x10001234, HH_EA_PAGE);
	expect_taken("1 2");
	hh_flush_ea(0x10001000, HH_EA_PAGE);
	expect_taken("");
	expect(hh_count() == 3, "count %ld", hh_count());
	return 0;
}

static int t_flush_ea_segment(void)
{
	/* Upstream compares EA bits 12-27 only: the same page of any segment */
	map(0x01234000, 1, 0x1000);		/* 1 */
	map(0x31234fff, 2, 0x2000);		/* 2: another segment */
	map(0x01235000, 3, 0x3000);		/* 3 */
	map(0x00234000, 4, 0x4000);		/* 4 */
	hh_flush_ea(0x51234567, HH_EA_SEG);
	expect_taken("1 2");
	return 0;
}

static int t_vflush_4k(void)
{
	map(0x1000, 0x123456789ULL, 0x1000);		/* 1 */
	map(0x2000, 0x12345678aULL, 0x2000);		/* 2 */
	map(0x3000, 0x1123456789ULL, 0x3000);		/* 3: bit 36 set */
	map(0x4000, 0x123456789ULL, 0x4000);		/* 4 */
	hh_flush_vp(0x123456789ULL, HH_VP_4K);
	expect_taken("1 3 4");
	return 0;
}

static int t_vflush_64k(void)
{
	unsigned long i;

	for (i = 0; i < 18; i++)		/* 1-16 in one 64K page, 17, 18 next */
		map(0x10000 + i * 0x1000, 0xabc0 + i, 0x1000 * i);
	map(0x40000, 0xabbf, 0x40000);		/* 19: previous 64K page */
	hh_flush_vp(0xabc7, HH_VP_64K);
	expect_taken("1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16");
	hh_flush_vp(0xabd0, HH_VP_4K);
	expect_taken("17");
	expect(hh_count() == 2, "count %ld", hh_count());
	return 0;
}

static int t_vflush_16m(void)
{
	unsigned long i;

	map(0x1000, 0x5000, 0x1000);			/* 1: first 4K */
	map(0x2000, 0x5fff, 0x2000);			/* 2: last 4K */
	map(0x3000, 0x5800, 0x3000);			/* 3 */
	map(0x4000, 0x6000, 0x4000);			/* 4: next 16M */
	map(0x5000, 0x4fff, 0x5000);			/* 5: previous */
	hh_flush_vp(0x5abc, HH_VP_16M);
	expect_taken("1 2 3");
	for (i = 0; i < 4096; i++)
		map(0x100000 + i * 0x1000, 0x7000 + i, i << 12);
	hh_flush_vp(0x7000, HH_VP_16M);
	expect_taken_n(4096);
	expect(hh_count() == 2, "count %ld", hh_count());
	return 0;
}

static int t_pflush_page(void)
{
	unsigned long ps = 1UL << hh_page_shift(), p = 0x40000000;

	map(0x1000, 1, p);			/* 1 */
	map(0x2000, 2, p + 0x800);		/* 2 */
	map(0x3000, 3, p + ps - 1);		/* 3 */
	map(0x4000, 4, p + ps);			/* 4 */
	map(0x5000, 5, p - 1);			/* 5 */
	hh_pflush(p, p + ps);
	expect_taken("1 2 3");
	expect(hh_count() == 2, "count %ld", hh_count());
	return 0;
}

static int t_pflush_bounds(void)
{
	map(0x1000, 1, 0x10000fff);		/* 1 */
	map(0x2000, 2, 0x10001000);		/* 2 */
	map(0x3000, 3, 0x10001100);		/* 3 */
	hh_pflush(0x10000000, 0x10000fff);	/* end is exclusive */
	expect_taken("");
	hh_pflush(0x10001000, 0x10001000);	/* empty */
	expect_taken("");
	hh_pflush(0x10002000, 0x10001000);	/* reversed */
	expect_taken("");
	hh_pflush(0x10001001, 0x10001101);	/* unaligned */
	expect_taken("3");
	hh_pflush(0x10000fff, 0x10001001);	/* across a page boundary */
	expect_taken("1 2");
	return 0;
}

static int t_pflush_large(void)
{
	unsigned long i;

	for (i = 0; i < 1000; i++)
		map(i << 12, i, i << 16);
	hh_pflush(0, 500UL << 16);		/* half of them */
	expect_taken_n(500);
	hh_pflush(0, ~0UL);			/* the rest */
	expect_taken_n(500);
	expect(hh_count() == 0, "count %ld", hh_count());
	return 0;
}

static int t_pflush_huge_guest_page(void)
{
	/* Entries of one 16M guest page: raddr keeps the offset in the page */
	unsigned long i, base = 0x3000000;

	for (i = 0; i < 64; i++)
		map(0x1000000 + i * 0x40000, 0x9000 + i * 64, base + i * 0x40000 + 0x10);
	map(0x1000, 1, base - 0x1000);
	map(0x2000, 2, base + 0x1000000);
	hh_pflush(base, base + 0x1000000);
	expect_taken_n(64);
	expect(hh_count() == 2, "count %ld", hh_count());
	return 0;
}

static int t_flush_all(void)
{
	unsigned long i;

	for (i = 0; i < 300; i++)
		map(i << 12, i, i << 12);
	hh_flush_all();
	expect_taken_n(300);
	expect(hh_count() == 0, "count %ld", hh_count());
	hh_flush_all();
	expect_taken("");
	return 0;
}

static int t_bad_masks(void)
{
	map(0x1000, 1, 0x1000);
	hh_flush_ea(0x1000, 0xfffff000);
	expect(hh_take_warnings() == 1, "no warning for a bad EA mask");
	hh_flush_vp(1, 0xfff);
	expect(hh_take_warnings() == 1, "no warning for a bad VP mask");
	expect_taken("");
	expect(hh_count() == 1, "count %ld", hh_count());
	return 0;
}

/* n entries with gfns from, from + 1, ... (one host page each) */
static unsigned long fill_from(unsigned long from, unsigned long n)
{
	unsigned long i, first = next_id;

	for (i = 0; i < n; i++)
		map((i & 0xffff) << 12 | (i >> 16) << 28, 0x100000 + next_id,
		    (from + i) << hh_page_shift());
	return first;
}

static unsigned long fill(unsigned long n)
{
	return fill_from(0, n);
}

/* "a b c ..." for ids first + from, ..., first + to - 1 */
static const char *ids(unsigned long first, unsigned long from, unsigned long to)
{
	static char buf[4096];
	size_t len = 0;

	buf[0] = 0;
	for (; from < to && len < sizeof(buf) - 24; from++)
		len += snprintf(buf + len, sizeof(buf) - len, "%s%lu", len ? " " : "",
				first + from);
	return buf;
}

/*
 * The map that finds the cache full evicts a few entries, not everything:
 * the hand has passed none of them, so it spares 256 (just mapped) and ends
 * the batch after 16.
 */
static int t_full_evicts_batch(void)
{
	unsigned long cap = hh_capacity();

	fill(cap);
	expect_taken("");
	map(0x7000000, 0x1, 0x1000);
	expect_taken_n(16);
	expect(hh_count() == (long)cap - 15, "count %ld after the map", hh_count());
	return 0;
}

/*
 * Capacity 128, gfns 0-127 in buckets 0-127, none referenced: the hand's
 * first lap asks the host about each and spares all of them (just mapped),
 * the second asks again and evicts gfns 0-63, and stops in bucket 63.
 */
static int t_clock_first_lap(void)
{
	unsigned long first;

	expect(hh_capacity() == 128, "capacity %u, not 128", hh_capacity());
	first = fill(128);
	hh_ref_queries = 0;
	map(0x7000000, 0x1, 5000UL << hh_page_shift());
	expect_taken(ids(first, 0, 64));
	expect(hh_ref_queries == 192, "%lu reference queries, want 192", hh_ref_queries);
	return 0;
}

/* Then referenced entries are passed over once, and go after the others */
static int t_clock_second_chance(void)
{
	unsigned long first, i;
	const unsigned long *l;
	size_t n;

	expect(hh_capacity() == 128, "capacity %u, not 128", hh_capacity());
	first = fill(128);
	map(0x7000000, 0x1, 5000UL << hh_page_shift());	/* gfns 0-63 go */
	expect_taken(ids(first, 0, 64));
	for (i = 64; i < 74; i++)
		hh_set_ref(first + i);
	fill_from(4000, 63);				/* 128 cached again */
	map(0x7001000, 0x2, 6000UL << hh_page_shift());
	l = hh_take_log(&n);
	if (!expect(n == 64, "%zu evicted", n))
		return -1;
	for (i = 0; i < 54; i++)			/* gfns 74-127 first */
		expect(l[i] == first + 74 + i, "eviction %lu was %lu, want %lu", i, l[i],
		       first + 74 + i);
	for (i = 54; i < 64; i++)			/* then 64-73 */
		expect(l[i] == first + 10 + i, "eviction %lu was %lu, want %lu", i, l[i],
		       first + 10 + i);
	return 0;
}

/*
 * Capacity 128, everything referenced (by the accesses that mapped them):
 * the first lap asks about all 128 and spares them, which takes their
 * references, and the second asks again and evicts.  A hand that spared
 * new entries without asking would spare them twice.
 */
static int t_eviction_bounded(void)
{
	unsigned long first, i;

	expect(hh_evict_batch() == 64 && hh_evict_chances() == 256,
	       "batch %u, chances %u", hh_evict_batch(), hh_evict_chances());
	first = fill(128);
	for (i = 0; i < 128; i++)
		hh_set_ref(first + i);
	hh_ref_queries = 0;
	map(0x7000000, 0x1, 5000UL << hh_page_shift());
	expect_taken(ids(first, 0, 64));
	expect(hh_ref_queries == 192, "%lu reference queries, want 192", hh_ref_queries);
	return 0;
}

/*
 * At the default capacity, with everything referenced, one map spares at
 * most 256 entries, then evicts 16 without asking and ends the batch: it
 * looks at a few buckets, not the cache.
 */
static int t_eviction_bounded_full(void)
{
	unsigned long cap = hh_capacity(), first, i;

	first = fill(cap);
	for (i = 0; i < cap; i++)
		hh_set_ref(first + i);
	hh_ref_queries = 0;
	map(0x7000000, 0x1, 0x1000);
	expect_taken_n(16);
	expect(hh_ref_queries == 256, "%lu reference queries, want 256", hh_ref_queries);
	expect(hh_stat->pr_hpte_evict == 16 && hh_stat->pr_hpte_spare == 256,
	       "stats: %llu evicted, %llu spared", hh_stat->pr_hpte_evict,
	       hh_stat->pr_hpte_spare);
	expect(hh_stat->pr_hpte_map == cap + 1, "stats: %llu mapped, want %lu",
	       hh_stat->pr_hpte_map, cap + 1);
	/* 4 entries a bucket: 256 spared in buckets 0-63, 16 evicted in 64-67 */
	expect(hh_clock_hand() == 68, "the hand moved to bucket %u, not 68", hh_clock_hand());
	return 0;
}

static bool log_has(const unsigned long *l, size_t n, unsigned long id)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (l[i] == id)
			return true;
	return false;
}

/* No flush finds an evicted entry again */
static int t_evicted_gone(void)
{
	unsigned long cap = hh_capacity(), gone[16], i;
	const unsigned long *l;
	size_t n;

	fill(cap);
	map(0x7000000, 0x1, 0x1000);
	l = hh_take_log(&n);
	if (!expect(n == 16, "%zu evicted", n))
		return -1;
	memcpy(gone, l, sizeof(gone));
	hh_flush_all();
	l = hh_take_log(&n);
	expect(n == cap - 15, "flush-all took %zu", n);
	for (i = 0; i < 16; i++)
		expect(!log_has(l, n, gone[i]), "evicted entry %lu invalidated again", gone[i]);
	return 0;
}

/* What a pflush costs, in hash buckets walked */
static int t_pflush_cost_page(void)
{
	unsigned long cap = hh_capacity();

	fill(cap - 1);
	hh_buckets_walked = 0;
	hh_pflush(5UL << hh_page_shift(), 6UL << hh_page_shift());
	expect_taken_n(1);
	expect(hh_buckets_walked <= 2, "one page walked %lu buckets", hh_buckets_walked);
	expect(hh_stat->pr_range_lookup == 1 && !hh_stat->pr_range_walk,
	       "stats: %llu lookups, %llu walks", hh_stat->pr_range_lookup,
	       hh_stat->pr_range_walk);
	return 0;
}

static int t_pflush_cost_range(void)
{
	fill(1000);
	hh_buckets_walked = 0;
	hh_pflush(0, 1UL << 30);		/* 262144 pages, 1000 entries */
	expect_taken_n(1000);
	expect(hh_buckets_walked <= 64, "1 GiB walked %lu buckets", hh_buckets_walked);
	return 0;
}

/*
 * Aging (the MMU notifier's clear_young and test_young) asks the host about
 * the range's entries only, clears R in clear mode only, and keeps them.
 */
static int t_age_page(void)
{
	unsigned long ps = 1UL << hh_page_shift(), p = 0x40000000;
	unsigned long a, b;
	int r;

	a = map(0x1000, 1, p);
	b = map(0x2000, 2, p + 0x800);
	map(0x3000, 3, p + ps);
	r = hh_age(p, p + ps, true);
	if (!expect(r >= 0, "the tree has no aging (kvmppc_mmu_pte_age)"))
		return 0;
	expect(!r, "young before any reference");
	expect(hh_age_queries == 2, "%lu host queries for 2 entries", hh_age_queries);
	hh_set_ref(b);
	expect(hh_age(p, p + ps, false) == 1, "test_young misses a reference");
	expect(hh_age(p, p + ps, false) == 1, "test_young cleared the reference");
	expect(hh_age(p, p + ps, true) == 1, "clear_young misses a reference");
	expect(hh_age(p, p + ps, true) == 0, "clear_young left the reference");
	hh_set_ref(a);
	expect(hh_age(p + ps, p + 2 * ps, true) == 0, "the next page is young");
	expect(hh_age(0, 1UL << 40, true) == 1, "a large range misses a reference");
	expect_taken("");
	expect(hh_count() == 3, "count %ld: aging removed entries", hh_count());
	return 0;
}

/*
 * The host evicted a shadow HPTE for a map: its entry goes, without an
 * invalidation of ours (the HPTE is gone), and only the entry whose VPN the
 * slot held.
 */
static int t_host_evicted(void)
{
	unsigned long a, b;

	a = map(0x1000, 1, 0x40000000);
	b = map(0x2000, 2, 0x40001000);
	if (!expect(hh_host_evict(b, a) >= 0, "the tree has no host eviction path"))
		return 0;
	expect(hh_count() == 2, "count %ld: another VPN's HPTE took an entry", hh_count());
	expect(!hh_host_evict(b, b), "the evicted entry stayed");
	expect(hh_count() == 1, "count %ld after the eviction", hh_count());
	expect(hh_stat->pr_host_evict == 1, "pr_host_evict %llu",
	       (unsigned long long)hh_stat->pr_host_evict);
	expect_taken("");
	hh_flush_ea(0, 0);
	expect_taken_n(1);
	return 0;
}

/* One page with a full cache asks about its entry alone */
static int t_age_cost_page(void)
{
	fill(hh_capacity() - 1);
	hh_age_queries = 0;
	hh_buckets_walked = 0;
	if (!expect(hh_age(5UL << hh_page_shift(), 6UL << hh_page_shift(), true) >= 0,
		    "the tree has no aging (kvmppc_mmu_pte_age)"))
		return 0;
	expect(hh_age_queries == 1, "one page asked %lu entries", hh_age_queries);
	expect(hh_buckets_walked <= 2, "one page walked %lu buckets", hh_buckets_walked);
	return 0;
}

/* hpte_cache_size is clamped to 64..131072 (24 MiB of entries per vCPU) */
static int t_capacity_max(void)
{
	expect(hh_capacity() == 131072, "capacity %u, not 131072", hh_capacity());
	return 0;
}

static int t_capacity_min(void)
{
	expect(hh_capacity() == 64, "capacity %u, not 64", hh_capacity());
	return 0;
}

struct test {
	const char *name;
	int (*fn)(void);
	unsigned int capacity;
};

static const struct test tests[] = {
	{ "map-count", t_map_count, 0 },
	{ "flush-ea-page", t_flush_ea_page, 0 },
	{ "flush-ea-segment", t_flush_ea_segment, 0 },
	{ "vflush-4k", t_vflush_4k, 0 },
	{ "vflush-64k", t_vflush_64k, 0 },
	{ "vflush-16m", t_vflush_16m, 0 },
	{ "pflush-page", t_pflush_page, 0 },
	{ "pflush-bounds", t_pflush_bounds, 0 },
	{ "pflush-large", t_pflush_large, 0 },
	{ "pflush-16m-guest-page", t_pflush_huge_guest_page, 0 },
	{ "flush-all", t_flush_all, 0 },
	{ "bad-masks", t_bad_masks, 0 },
	{ "full-evicts-batch", t_full_evicts_batch, 0 },
	{ "clock-first-lap", t_clock_first_lap, 128 },
	{ "clock-second-chance", t_clock_second_chance, 128 },
	{ "eviction-bounded", t_eviction_bounded, 128 },
	{ "eviction-bounded-full", t_eviction_bounded_full, 0 },
	{ "evicted-gone", t_evicted_gone, 0 },
	{ "pflush-cost-page", t_pflush_cost_page, 0 },
	{ "pflush-cost-range", t_pflush_cost_range, 0 },
	{ "age-page", t_age_page, 0 },
	{ "age-cost-page", t_age_cost_page, 0 },
	{ "host-evicted", t_host_evicted, 0 },
	{ "capacity-max", t_capacity_max, 1000000 },
	{ "capacity-min", t_capacity_min, 1 },
};

static void tap(bool ok, const char *name, const char *why)
{
	tap_n++;
	if (!ok)
		tap_failed++;
	printf("%sok %d - %s%s%s\n", ok ? "" : "not ", tap_n, name,
	       why ? " # " : "", why ? why : "");
	fflush(stdout);
}

static void run_unit(const struct test *t)
{
	const char *why;
	int r;

	fail_why[0] = 0;
	next_id = 1;
	if (hh_setup(t->capacity)) {
		tap(false, t->name, "setup failed");
		return;
	}
	r = t->fn();
	hh_take_log(&(size_t){ 0 });
	why = hh_teardown();
	if (r || fail_why[0])
		tap(false, t->name, fail_why);
	else
		tap(!why, t->name, why);
}

static int run_fuzz(unsigned long ops, unsigned long runs, u64 seed, bool quiet)
{
	static const unsigned int caps[] = { 64, 65, 100, 128, 257 };
	struct diff_stats st, sum = { 0 };
	unsigned long r;
	bool clock = !strcmp(hh_policy(), "clock");
	char name[128];

	for (r = 0; r < runs; r++) {
		struct source src;
		unsigned int cap = clock ? caps[r % 5] : 0;

		source_prng(&src, seed + r);
		if (diff_run(&src, ops, cap, &st)) {
			snprintf(name, sizeof(name), "seed %llu, capacity %u: %s",
				 (unsigned long long)(seed + r), cap, "diverged from the model");
			tap(false, "fuzz", name);
			return -1;
		}
		sum.ops += st.ops;
		sum.maps += st.maps;
		sum.invalidated += st.invalidated;
		sum.evictions += st.evictions;
	}
	snprintf(name, sizeof(name), "%lu runs x %lu ops from seed %llu", runs, ops,
		 (unsigned long long)seed);
	tap(true, "fuzz", name);
	if (!quiet)
		printf("# %lu operations, %lu maps, %lu invalidations, %s%lu, 0 divergences\n",
		       sum.ops, sum.maps, sum.invalidated, "fills past capacity ",
		       sum.evictions);
	return 0;
}

int main(int argc, char **argv)
{
	unsigned long ops = 0, runs = 20;
	u64 seed = 1;
	size_t i;
	int a;

	for (a = 1; a < argc; a++) {
		const char *val = a + 1 < argc ? argv[a + 1] : NULL;

		if (!strcmp(argv[a], "--fuzz") && val) {
			ops = strtoul(val, NULL, 0);
		} else if (!strcmp(argv[a], "--seed") && val) {
			seed = strtoull(val, NULL, 0);
		} else if (!strcmp(argv[a], "--runs") && val) {
			runs = strtoul(val, NULL, 0);
		} else {
			fprintf(stderr, "usage: %s [--fuzz OPS [--seed S] [--runs R]]\n", argv[0]);
			return 2;
		}
		a++;
	}
	printf("TAP version 13\n");
	printf("# policy %s, capacity %u, page shift %u, sizeof(struct hpte_cache) %zu\n",
	       hh_policy(), hh_capacity(), hh_page_shift(), hh_entry_size());
	if (ops) {
		printf("1..1\n");
		return run_fuzz(ops, runs, seed, false) ? 1 : 0;
	}
	printf("1..%zu\n", ARRAY_SIZE(tests) + 1);
	for (i = 0; i < ARRAY_SIZE(tests); i++)
		run_unit(&tests[i]);
	/* The flush-all model scans up to 32768 entries per operation */
	if (hh_evict_batch())
		run_fuzz(20000, 10, seed, false);
	else
		run_fuzz(2000, 2, seed, false);
	printf("# %d of %d failed\n", tap_failed, tap_n);
	return tap_failed ? 1 : 0;
}
