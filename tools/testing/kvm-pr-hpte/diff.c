// SPDX-License-Identifier: GPL-2.0-only
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache.h"
#include "diff.h"
#include "model.h"

static u64 prng_next(struct source *s, u64 bound)
{
	/* splitmix64 */
	u64 z = (s->state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	z ^= z >> 31;
	return bound ? z % bound : z;
}

void source_prng(struct source *s, u64 seed)
{
	memset(s, 0, sizeof(*s));
	s->next = prng_next;
	s->state = seed;
}

static u64 bytes_next(struct source *s, u64 bound)
{
	u64 v = 0;
	int i;

	for (i = 0; i < 4; i++) {
		if (s->pos >= s->size) {
			s->done = 1;
			break;
		}
		v = v << 8 | s->data[s->pos++];
		if (bound && (bound >> (8 * (i + 1))) == 0)
			break;
	}
	return bound ? v % bound : v;
}

void source_bytes(struct source *s, const u8 *data, size_t size)
{
	memset(s, 0, sizeof(*s));
	s->next = bytes_next;
	s->data = data;
	s->size = size;
}

#define R(n)	src->next(src, (n))

/*
 * Entries are drawn from small pools so that flushes find several matches:
 * four 256M segments (and their aliases 4G apart), 64 pages each, VSIDs
 * that share low bits, 128 guest 4K pages with offsets, and now and then
 * values with bits above what the masks keep.
 */
static void random_entry(struct source *src, struct hh_entry *e, unsigned long id)
{
	unsigned long seg = R(4), page = R(64), vsid = 0x100 + R(3) * 0x1000;

	e->id = id;
	e->eaddr = seg << 28 | page << 12 | R(4096);
	if (!R(8))
		e->eaddr |= (R(2) + 1) << 32;
	switch (R(3)) {
	case 0:		/* 4K page */
		e->vpage = vsid << 16 | page;
		e->page_size = 0;
		break;
	case 1:		/* 64K page: the low 4 bits of vpage vary inside it */
		e->vpage = vsid << 16 | (page & ~0xfUL) | R(16);
		e->page_size = 1;
		break;
	default:	/* 16M page */
		e->vpage = vsid << 16 | (page & ~0xfffUL) | R(4096);
		e->page_size = 2;
		break;
	}
	if (!R(16))
		e->vpage |= 1ULL << (36 + R(20));
	e->raddr = R(128) << 12 | R(4096);
	e->writable = R(2);
}

static int cmp_ul(const void *a, const void *b)
{
	unsigned long x = *(const unsigned long *)a, y = *(const unsigned long *)b;

	return x < y ? -1 : x > y;
}

static int compare(struct model *m, unsigned long opno, const char *what)
{
	size_t n, i;
	const unsigned long *got = hh_take_log(&n);
	unsigned long *g = malloc((n + 1) * sizeof(*g));
	unsigned long warn = hh_take_warnings();
	const char *why = hh_check();
	int bad = 0;

	if (!g)
		abort();
	if (n)
		memcpy(g, got, n * sizeof(*g));
	qsort(g, n, sizeof(*g), cmp_ul);
	if (m->nout)
		qsort(m->out, m->nout, sizeof(*m->out), cmp_ul);
	if (n != m->nout || (n && memcmp(g, m->out, n * sizeof(*g)))) {
		fprintf(stderr, "op %lu %s: invalidated %zu entries, model %zu\n",
			opno, what, n, m->nout);
		for (i = 0; i < n && i < 8; i++)
			fprintf(stderr, "  cache: %lu\n", g[i]);
		for (i = 0; i < m->nout && i < 8; i++)
			fprintf(stderr, "  model: %lu\n", m->out[i]);
		bad = 1;
	} else if ((size_t)hh_count() != m->n) {
		fprintf(stderr, "op %lu %s: cache holds %ld entries, model %zu\n",
			opno, what, hh_count(), m->n);
		bad = 1;
	} else if (warn != m->warnings) {
		fprintf(stderr, "op %lu %s: %lu warnings, model %lu\n", opno, what,
			warn, m->warnings);
		bad = 1;
	} else if (m->clock && hh_clock_hand() != m->hand) {
		fprintf(stderr, "op %lu %s: the hand is on bucket %u, model %u\n", opno, what,
			hh_clock_hand(), m->hand);
		bad = 1;
	} else if (hh_ref_queries != m->ref_queries) {
		fprintf(stderr, "op %lu %s: %lu reference queries, model %lu\n", opno, what,
			hh_ref_queries, m->ref_queries);
		bad = 1;
	} else if (why) {
		fprintf(stderr, "op %lu %s: %s\n", opno, what, why);
		bad = 1;
	}
	m->warnings = 0;
	free(g);
	return bad ? -1 : 0;
}

int diff_run(struct source *src, unsigned long ops, unsigned int capacity,
	     struct diff_stats *st)
{
	struct model m;
	unsigned long id = 1, op;
	const char *why;
	char what[96];
	int ret = 0;

	memset(st, 0, sizeof(*st));
	if (hh_setup(capacity))
		return -1;
	model_init(&m);

	for (op = 0; op < ops && !src->done; op++) {
		u64 k = R(1000), a, b;
		struct hh_entry e;

		if (k < 450) {
			random_entry(src, &e, id++);
			snprintf(what, sizeof(what), "map ea %lx vp %llx ra %lx", e.eaddr,
				 (unsigned long long)e.vpage, e.raddr);
			model_map(&m, &e);
			hh_map(&e);
			st->maps++;
		} else if (k < 530) {
			a = R(4) << 28 | R(64) << 12 | R(4096);
			snprintf(what, sizeof(what), "flush ea %llx page", (unsigned long long)a);
			model_flush_ea(&m, a, HH_EA_PAGE);
			hh_flush_ea(a, HH_EA_PAGE);
		} else if (k < 560) {
			a = R(4) << 28 | R(64) << 12 | R(4096);
			snprintf(what, sizeof(what), "flush ea %llx segment",
				 (unsigned long long)a);
			model_flush_ea(&m, a, HH_EA_SEG);
			hh_flush_ea(a, HH_EA_SEG);
		} else if (k < 650) {
			static const u64 masks[] = { HH_VP_4K, HH_VP_64K, HH_VP_16M };
			u64 mask = masks[R(3)];

			a = (0x100 + R(3) * 0x1000) << 16 | R(64);
			if (!R(16))
				a |= 1ULL << (36 + R(20));
			snprintf(what, sizeof(what), "vflush %llx mask %llx",
				 (unsigned long long)a, (unsigned long long)mask);
			model_flush_vp(&m, a, mask);
			hh_flush_vp(a, mask);
		} else if (k < 800) {
			/* Small ranges, page aligned or not: the per-page lookup */
			a = R(130) << 12 | (R(2) ? 0 : R(4096));
			b = a + (R(2) ? R(3) << 12 : R(3 << 12)) + (R(4) ? 0 : 1);
			if (!R(32))
				b = a - R(4096);	/* empty or reversed */
			snprintf(what, sizeof(what), "pflush %llx-%llx",
				 (unsigned long long)a, (unsigned long long)b);
			model_pflush(&m, a, b);
			hh_pflush(a, b);
		} else if (k < 850) {
			/* Large ranges: the walk */
			a = R(2) ? 0 : R(64) << 12;
			b = R(2) ? ~0UL : a + (R(256) << 12);
			snprintf(what, sizeof(what), "pflush %llx-%llx",
				 (unsigned long long)a, (unsigned long long)b);
			model_pflush(&m, a, b);
			hh_pflush(a, b);
		} else if (k < 855) {
			snprintf(what, sizeof(what), "flush all");
			model_flush_ea(&m, 0, 0);
			hh_flush_all();
		} else if (k < 985) {
			if (!m.n)
				continue;
			a = m.v[R(m.n)].e.id;
			snprintf(what, sizeof(what), "reference %llu", (unsigned long long)a);
			model_set_ref(&m, a);
			hh_set_ref(a);
			m.nout = 0;
		} else if (k < 990) {
			if (R(2)) {
				a = R(1UL << 32) & ~0xfffUL;
				snprintf(what, sizeof(what), "flush ea %llx bad mask",
					 (unsigned long long)a);
				model_flush_ea(&m, a, 0xfff000);
				hh_flush_ea(a, 0xfff000);
			} else {
				a = R(1UL << 36);
				snprintf(what, sizeof(what), "vflush %llx bad mask",
					 (unsigned long long)a);
				model_flush_vp(&m, a, 0xff);
				hh_flush_vp(a, 0xff);
			}
		} else {
			/* Fill to capacity and one past it: the replacement path */
			unsigned long before = m.n;

			snprintf(what, sizeof(what), "fill from %lu to %u + 1", before, m.capacity);
			while (m.n < m.capacity) {
				random_entry(src, &e, id++);
				model_map(&m, &e);
				hh_map(&e);
				st->maps++;
				if (m.nout)
					break;	/* a flush-all model never passes capacity */
			}
			if (compare(&m, op, what)) {
				ret = -1;
				break;
			}
			random_entry(src, &e, id++);
			model_map(&m, &e);
			hh_map(&e);
			st->maps++;
			st->evictions++;
		}
		st->invalidated += m.nout;
		if (compare(&m, op, what)) {
			ret = -1;
			break;
		}
	}
	st->ops = op;
	why = hh_teardown();
	if (why && !ret) {
		fprintf(stderr, "teardown: %s\n", why);
		ret = -1;
	}
	if (ret)
		st->divergences++;
	model_free(&m);
	return ret;
}
