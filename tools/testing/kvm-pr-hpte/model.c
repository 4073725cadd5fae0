// SPDX-License-Identifier: GPL-2.0-only
#include <stdlib.h>
#include <string.h>

#include "model.h"

void model_init(struct model *m)
{
	memset(m, 0, sizeof(*m));
	m->capacity = hh_capacity();
	m->clock = !strcmp(hh_policy(), "clock");
	m->batch = hh_evict_batch();
	m->chances = hh_evict_chances();
	m->min = hh_evict_min();
	m->buckets = hh_gfn_buckets();
	m->page_shift = hh_page_shift();
}

void model_free(struct model *m)
{
	free(m->v);
	free(m->out);
	memset(m, 0, sizeof(*m));
}

static void out(struct model *m, unsigned long id)
{
	if (m->nout == m->outcap) {
		m->outcap = m->outcap ? 2 * m->outcap : 256;
		m->out = realloc(m->out, m->outcap * sizeof(*m->out));
		if (!m->out)
			abort();
	}
	m->out[m->nout++] = id;
}

/* Removes, in order, every entry that matches */
static void sweep(struct model *m, bool (*match)(const struct hh_entry *, const void *),
		  const void *arg)
{
	size_t i, j = 0;

	for (i = 0; i < m->n; i++) {
		if (match(&m->v[i].e, arg))
			out(m, m->v[i].e.id);
		else
			m->v[j++] = m->v[i];
	}
	m->n = j;
}

static bool match_all(const struct hh_entry *e, const void *arg)
{
	(void)e; (void)arg;
	return true;
}

/* The host is asked first; where it says no, a new entry is spared once */
static bool spare(struct model *m, struct model_entry *me)
{
	bool ref = me->ref, aged = me->aged;

	m->ref_queries++;
	me->ref = false;
	me->aged = true;
	return ref || !aged;
}

static unsigned int bucket(const struct model *m, const struct model_entry *me)
{
	return (me->e.raddr >> m->page_shift) & (m->buckets - 1);
}

/* The first bucket from @from on, cyclically, that holds an entry */
static unsigned int next_occupied(const struct model *m, unsigned int from)
{
	unsigned int best = m->buckets, b;
	size_t i;

	for (i = 0; i < m->n; i++) {
		b = (bucket(m, &m->v[i]) + m->buckets - from) % m->buckets;
		if (b < best)
			best = b;
	}
	return (from + best) % m->buckets;
}

static void evict(struct model *m)
{
	unsigned int evicted = 0, spared = 0;

	while (evicted < m->batch && m->n) {
		size_t i = m->n;

		/* Empty buckets change nothing but the hand */
		m->hand = next_occupied(m, m->hand);
		/* The hand's bucket, newest entry first */
		while (i-- > 0) {
			struct model_entry *me = &m->v[i];

			if (bucket(m, me) != m->hand)
				continue;
			if (spared < m->chances) {
				if (spare(m, me)) {
					spared++;
					continue;
				}
			} else if (evicted >= m->min) {
				return;
			}
			out(m, me->e.id);
			memmove(me, me + 1, (m->n - i - 1) * sizeof(*me));
			m->n--;
			if (++evicted == m->batch)
				break;
		}
		if (evicted < m->batch)
			m->hand = (m->hand + 1) % m->buckets;
	}
}

void model_map(struct model *m, const struct hh_entry *e)
{
	m->nout = 0;
	if (m->clock && m->n >= m->capacity)
		evict(m);
	else if (!m->clock && m->n == m->capacity)
		sweep(m, match_all, NULL);
	if (m->n == m->cap) {
		m->cap = m->cap ? 2 * m->cap : 256;
		m->v = realloc(m->v, m->cap * sizeof(*m->v));
		if (!m->v)
			abort();
	}
	m->v[m->n].e = *e;
	m->v[m->n].aged = false;
	m->v[m->n].ref = false;
	m->n++;
}

struct masked { u64 val, mask; };

static bool match_ea(const struct hh_entry *e, const void *arg)
{
	const struct masked *k = arg;

	return (e->eaddr & k->mask) == k->val;
}

static bool match_vp(const struct hh_entry *e, const void *arg)
{
	const struct masked *k = arg;

	return (e->vpage & k->mask) == k->val;
}

void model_flush_ea(struct model *m, unsigned long ea, unsigned long mask)
{
	struct masked k = { ea & mask, mask };

	m->nout = 0;
	if (mask == 0)
		sweep(m, match_all, NULL);
	else if (mask == HH_EA_PAGE || mask == HH_EA_SEG)
		sweep(m, match_ea, &k);
	else
		m->warnings++;
}

void model_flush_vp(struct model *m, u64 vp, u64 mask)
{
	struct masked k = { vp & mask, mask };

	m->nout = 0;
	if (mask == HH_VP_4K || mask == HH_VP_64K || mask == HH_VP_16M)
		sweep(m, match_vp, &k);
	else
		m->warnings++;
}

struct range { unsigned long start, end; };

static bool match_range(const struct hh_entry *e, const void *arg)
{
	const struct range *r = arg;

	return e->raddr >= r->start && e->raddr < r->end;
}

void model_pflush(struct model *m, unsigned long start, unsigned long end)
{
	struct range r = { start, end };

	m->nout = 0;
	sweep(m, match_range, &r);
}

void model_set_ref(struct model *m, unsigned long id)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		if (m->v[i].e.id == id)
			m->v[i].ref = true;
}
