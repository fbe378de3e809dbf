/* preflight: running the checks again after a change, reusing the results
 * of the clusters and pairs the change did not touch. See
 * include/peerscope/preflight.h, preflight_memo_run().
 *
 * A report is laid out in segments of fixed length: every present cluster's
 * cluster checks in cluster order, then every pair's pair checks in pair
 * order. While the same clusters are present and the join gives the same
 * pairs in the same order, a run rewrites only the segments whose inputs
 * changed, in place; anything else runs every check again. */
#include "autoconfig.h"

#include "preflight_internal.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct memo_pair {
	char id[sizeof((struct join_pair *)0)->id];
	uint64_t ends;    /* who is at each end, and the pair's flags */
	uint64_t exports; /* the exports crossing it, as its checks read them */
	bool whole;       /* both ends present: no check of it counts time */
};

struct preflight_memo {
	bool valid;
	struct preflight_report rep;
	const struct store_snapshot **snaps; /* of the last run, one reference each */
	size_t n;
	size_t *seg; /* start of each cluster's segment; SIZE_MAX: no snapshot */
	size_t nc, np;
	size_t pstart;
	struct memo_pair *pairs;
	size_t npairs;
	uint64_t exports_gen;
	struct pf_cross cross; /* of cross_gen's exports */
	uint64_t cross_gen;    /* 0: none */
	size_t reran;
};

struct preflight_memo *preflight_memo_new(void)
{
	return calloc(1, sizeof(struct preflight_memo));
}

static void release(struct preflight_memo *m)
{
	for (size_t i = 0; m->snaps && i < m->n; i++)
		store_snapshot_unref(m->snaps[i]);
	free(m->snaps);
	free(m->seg);
	free(m->pairs);
	m->snaps = NULL;
	m->seg = NULL;
	m->pairs = NULL;
	m->npairs = m->n = 0;
	m->valid = false;
}

void preflight_memo_free(struct preflight_memo *m)
{
	if (!m)
		return;
	release(m);
	free(m->cross.v);
	preflight_report_free(&m->rep);
	free(m);
}

size_t preflight_memo_reran(const struct preflight_memo *m)
{
	return m ? m->reran : 0;
}

static uint64_t mix64(uint64_t h, uint64_t v)
{
	h = (h ^ v) * 0x9e3779b97f4a7c15ull;
	return h ^ (h >> 29);
}

/* S byte by byte, then V in one step (byte by byte, V was a third of the
 * keys of 640 pairs' ends at each review). */
static uint64_t mix(uint64_t h, const char *s, uint64_t v)
{
	for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
		h ^= *p;
		h *= 1099511628211ull;
	}
	return mix64(h, v);
}

static uint64_t ends_key(const struct join_pair *p)
{
	uint64_t h = 1469598103934665603ull;

	h = mix(h, p->a.name, p->a.cluster * 4 + p->a.present * 2 + p->a.acceptor);
	h = mix(h, p->b.name, p->b.cluster * 4 + p->b.present * 2 + p->b.acceptor);
	return mix(h, p->problem, p->flags * 2 + p->healthy);
}

/* The exports crossing P in CROSS, every field of each, in order: what
 * P's checks read of them. Their strings are taken by address, but for
 * the importing partition, a copy the join makes at each build: while
 * neither end's snapshot changed (else the pair runs again all the same),
 * the memo holds both, and the lists the other strings point into with
 * them. 0 when out of memory (taken for a change). */
static uint64_t exports_key(const struct pf_cross *cross, const struct join_pair *p)
{
	uint64_t h = 1469598103934665603ull;
	size_t *v, n;

	if (pf_pair_exports(cross, p, &v, &n) < 0)
		return 0;
	h = mix64(h, n);
	for (size_t i = 0; i < n; i++) {
		const struct join_export *x = &cross->x[v[i]];
		h = mix64(h, (uintptr_t)x->service);
		h = mix64(h, (uintptr_t)x->peer);
		h = mix64(h, (uintptr_t)x->partition);
		h = mix(h, x->to_partition, x->from);
		h = mix64(h, x->to);
		h = mix64(h, (uint64_t)x->instances << 32 | x->healthy);
		h = mix64(h, (uint64_t)x->state << 8 | (uint64_t)x->intent << 4 | x->exported << 3 |
		                     x->imported << 2 | x->wildcard << 1 | x->no_partition_gateway);
	}
	free(v);
	return h ? h : 1;
}

static size_t scope_count(enum preflight_scope scope)
{
	size_t n = 0;

	for (size_t i = 0; i < preflight_check_count(); i++)
		n += preflight_check_at(i)->scope == scope;
	return n;
}

/* The crossing exports of IN's join: kept while the join reused its
 * exports (same order, a new copy). */
static int cross_for(struct preflight_memo *m, const struct preflight_input *in)
{
	uint64_t gen = in->join ? in->join->exports_gen : 0;

	if (gen && gen == m->cross_gen) {
		m->cross.x = in->join->exports;
		return 0;
	}
	free(m->cross.v);
	m->cross.v = NULL;
	m->cross_gen = 0;
	if (pf_cross_init(&m->cross, in->join) < 0)
		return -1;
	m->cross_gen = gen;
	return 0;
}

/* Remembers what the run on IN was made from. 0, or -1 (memo invalid). */
static int remember(struct preflight_memo *m, const struct preflight_input *in)
{
	size_t npresent = 0, np = in->join ? in->join->npairs : 0;

	release(m);
	m->nc = scope_count(PREFLIGHT_CLUSTER);
	m->np = scope_count(PREFLIGHT_PAIR);
	m->snaps = calloc(in->n ? in->n : 1, sizeof *m->snaps);
	m->seg = calloc(in->n ? in->n : 1, sizeof *m->seg);
	m->pairs = calloc(np ? np : 1, sizeof *m->pairs);
	if (!m->snaps || !m->seg || !m->pairs)
		return -1;
	m->n = in->n;
	for (size_t i = 0; i < in->n; i++) {
		m->seg[i] = SIZE_MAX;
		if (!in->snaps[i])
			continue;
		m->snaps[i] = store_snapshot_ref(in->snaps[i]);
		m->seg[i] = npresent++ * m->nc;
	}
	m->pstart = npresent * m->nc;
	for (size_t j = 0; j < np; j++) {
		const struct join_pair *p = &in->join->pairs[j];
		memcpy(m->pairs[j].id, p->id, sizeof m->pairs[j].id);
		m->pairs[j].ends = ends_key(p);
		m->pairs[j].whole = p->a.present && p->b.present;
	}
	m->npairs = np;
	m->exports_gen = in->join ? in->join->exports_gen : 0;
	if (np && cross_for(m, in) < 0)
		return -1;
	for (size_t j = 0; j < np; j++)
		m->pairs[j].exports = exports_key(&m->cross, &in->join->pairs[j]);
	/* The layout must be the one assumed, or nothing is reused. */
	m->valid = m->rep.n == m->pstart + np * m->np;
	return 0;
}

/* The same clusters present and the same pairs in the same order. */
static bool same_layout(const struct preflight_memo *m, const struct preflight_input *in)
{
	size_t np = in->join ? in->join->npairs : 0;

	if (!m->valid || in->live || m->n != in->n || m->npairs != np)
		return false;
	for (size_t i = 0; i < in->n; i++)
		if (!m->snaps[i] != !in->snaps[i])
			return false;
	for (size_t j = 0; j < np; j++)
		if (strcmp(m->pairs[j].id, in->join->pairs[j].id))
			return false;
	return true;
}

/* Runs the checks into the segment at AT (LEN results) in place. */
static int rerun(struct preflight_memo *m, size_t at, size_t len, const struct preflight_input *in,
                 size_t cluster, const struct join_pair *p)
{
	struct preflight_report tmp = {0};
	int rc = p ? pf_run_pair(in, p, &m->cross, &tmp) : pf_run_cluster(in, cluster, &tmp);

	if (rc == 0 && tmp.n != len)
		rc = -1;
	if (rc == 0) {
		/* The segment's results take the new ones' texts. */
		preflight_results_free(&m->rep.v[at], len);
		memcpy(&m->rep.v[at], tmp.v, len * sizeof *tmp.v);
		tmp.n = 0;
		m->reran += len;
	}
	preflight_report_free(&tmp);
	return rc;
}

/* The live data of cluster I into LIVE[I], derived once. */
static int need_live(const struct preflight_input *in, size_t i, struct pf_live_buf *b,
                     struct preflight_live *live, bool *have)
{
	if (i >= in->n || have[i] || !in->snaps[i])
		return 0;
	if (pf_live_from_snapshot(in->snaps[i], &b[i]) < 0)
		return -1;
	live[i] = b[i].live;
	have[i] = true;
	return 0;
}

/* Whether pair J, now P with keys ENDS and EXPORTS, is to be checked
 * again. New exports (a services list changed somewhere) need not have
 * changed those crossing P: a gateway's change at 64 clusters made all
 * 640 pairs run again, a fifth of the UI's work for it. */
static bool pair_dirty(const struct preflight_memo *m, size_t j, const struct join_pair *p,
                       uint64_t ends, uint64_t exports, const bool *dirty)
{
	const struct memo_pair *o = &m->pairs[j];

	return !o->whole || !(p->a.present && p->b.present) || o->ends != ends ||
	       dirty[p->a.cluster] || (p->b.cluster != JOIN_NONE && dirty[p->b.cluster]) ||
	       !exports || o->exports != exports;
}

static int partial(struct preflight_memo *m, const struct preflight_input *given)
{
	size_t n = given->n;
	/* Not zeroed: pf_live_from_snapshot() sets each buffer it fills, and
	 * only those are read and freed (have[]). Zeroed, the buffers (170 KB
	 * at 64 clusters) were 0.70 M of the checks' 2.35 M instructions in 30
	 * idle seconds. */
	struct pf_live_buf *b = malloc((n ? n : 1) * sizeof *b);
	struct preflight_live *live = calloc(n ? n : 1, sizeof *live);
	bool *have = calloc(n ? n : 1, sizeof *have), *dirty = calloc(n ? n : 1, sizeof *dirty);
	struct preflight_input in = *given;
	uint64_t gen = given->join ? given->join->exports_gen : 0;
	int rc = -1;

	if (!b || !live || !have || !dirty)
		goto out;
	in.live = live;
	/* No check reads the streams' heartbeat, receive or send times, which
	 * every stream poll moves: what the join judges of them (a stale
	 * heartbeat, a healthy pair) is in each pair's key. */
	for (size_t i = 0; i < n; i++)
		dirty[i] = in.snaps[i] && !store_snapshot_same_but_times(m->snaps[i], in.snaps[i]);
	for (size_t i = 0; i < n; i++)
		if (dirty[i] &&
		    (need_live(&in, i, b, live, have) || rerun(m, m->seg[i], m->nc, &in, i, NULL)))
			goto out;
	if (cross_for(m, &in) < 0)
		goto out;
	for (size_t j = 0; j < m->npairs; j++) {
		const struct join_pair *p = &in.join->pairs[j];
		uint64_t ends = ends_key(p);
		uint64_t xk = gen && gen == m->exports_gen ? m->pairs[j].exports
		                                           : exports_key(&m->cross, p);
		bool again = pair_dirty(m, j, p, ends, xk, dirty);
		/* What the next run compares with (a failed run forgets it all). */
		m->pairs[j].ends = ends;
		m->pairs[j].exports = xk;
		m->pairs[j].whole = p->a.present && p->b.present;
		if (!again)
			continue;
		if (need_live(&in, p->a.cluster, b, live, have) ||
		    (p->b.cluster != JOIN_NONE && need_live(&in, p->b.cluster, b, live, have)) ||
		    rerun(m, m->pstart + j * m->np, m->np, &in, 0, p))
			goto out;
	}
	/* The same layout: only the snapshots and the exports' generation are
	 * new. Made again from nothing at each run, the memo's arrays were a
	 * third of an idle review's checks at 640 pairs. */
	for (size_t i = 0; i < n; i++) {
		const struct store_snapshot *was = m->snaps[i];
		m->snaps[i] = store_snapshot_ref(in.snaps[i]);
		store_snapshot_unref(was);
	}
	m->exports_gen = gen;
	rc = 0;
out:
	for (size_t i = 0; b && i < n; i++)
		if (have && have[i])
			pf_live_buf_free(&b[i]);
	free(b);
	free(live);
	free(have);
	free(dirty);
	return rc;
}

const struct preflight_report *preflight_memo_run(struct preflight_memo *m,
                                                  const struct preflight_input *in)
{
	/* A partial run remembers what it was made from as it goes. */
	if (same_layout(m, in) && partial(m, in) == 0)
		return &m->rep;
	preflight_report_free(&m->rep);
	if (preflight_run(in, &m->rep) < 0) {
		release(m);
		preflight_report_free(&m->rep);
		return NULL;
	}
	m->reran += m->rep.n;
	if (remember(m, in) < 0)
		release(m);
	return &m->rep;
}
