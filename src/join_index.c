/* join: hash tables and the cache kept between builds. See src/join_index.h. */
#include "autoconfig.h"

#include "join_index.h"

#include <stdlib.h>
#include <string.h>

/* -------------------------------------------------------------- partitions */

bool join_partition_eq(const char *a, const char *b)
{
	/* Unnamed is the default partition, as Consul reads it. */
	a = a && *a ? a : "default";
	b = b && *b ? b : "default";
	return strcmp(a, b) == 0;
}

/* ------------------------------------------------------------------ hashes */

uint64_t join_hash_str(uint64_t h, const char *s)
{
	/* FNV-1a, and a 0xff after the string so ("ab","c") != ("a","bc"). */
	for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
		h ^= *p;
		h *= 1099511628211ull;
	}
	h ^= 0xff;
	h *= 1099511628211ull;
	return h;
}

uint64_t join_hash_u64(uint64_t h, uint64_t v)
{
	for (int i = 0; i < 8; i++) {
		h ^= (v >> (8 * i)) & 0xff;
		h *= 1099511628211ull;
	}
	return h;
}

/* ------------------------------------------------------------------ tables */

static int tab_grow(struct join_tab *t)
{
	size_t cap = t->cap ? t->cap * 2 : 16;
	struct join_slot *s = calloc(cap, sizeof *s);

	if (!s)
		return -1;
	for (size_t i = 0; i < t->cap; i++) {
		if (!t->s[i].h)
			continue;
		size_t k = t->s[i].h & (cap - 1);
		while (s[k].h)
			k = (k + 1) & (cap - 1);
		s[k] = t->s[i];
	}
	free(t->s);
	t->s = s;
	t->cap = cap;
	return 0;
}

int join_tab_put(struct join_tab *t, uint64_t h, size_t v)
{
	if (!h)
		h = 1;
	/* At most half full: probes stay short. */
	if ((t->n + 1) * 2 > t->cap && tab_grow(t))
		return -1;
	size_t k = h & (t->cap - 1);
	while (t->s[k].h)
		k = (k + 1) & (t->cap - 1);
	t->s[k] = (struct join_slot){h, v};
	t->n++;
	return 0;
}

bool join_tab_next(const struct join_tab *t, uint64_t h, size_t *pos, size_t *v)
{
	if (!t->cap)
		return false;
	if (!h)
		h = 1;
	/* *pos counts the slots probed so far from the home slot. */
	for (size_t i = *pos; i < t->cap; i++) {
		const struct join_slot *s = &t->s[(h + i) & (t->cap - 1)];
		if (!s->h)
			return false;
		if (s->h == h) {
			*pos = i + 1;
			*v = s->v;
			return true;
		}
	}
	return false;
}

void join_tab_free(struct join_tab *t)
{
	free(t->s);
	memset(t, 0, sizeof *t);
}

/* -------------------------------------------------------------- the cache */

static void cl_clear(struct join_cl *x)
{
	join_tab_free(&x->imports);
	free(x->imported);
	memset(x, 0, sizeof *x);
}

static uint64_t import_hash(const char *service, const char *peer)
{
	return join_hash_str(join_hash_str(JOIN_HASH_SEED, service), peer);
}

static int cl_build(struct join_cl *x, const struct model_service_summary_list *svc)
{
	size_t n = 0;

	for (size_t i = 0; i < svc->n; i++)
		if (svc->v[i].peer_name && *svc->v[i].peer_name)
			n++;
	x->imported = malloc((n ? n : 1) * sizeof *x->imported);
	if (!x->imported)
		return -1;
	for (size_t i = 0; i < svc->n; i++) {
		const struct model_service_summary *s = &svc->v[i];
		if (!s->peer_name || !*s->peer_name)
			continue;
		if (join_tab_put(&x->imports, import_hash(s->name, s->peer_name), i))
			return -1;
		x->imported[x->nimported++] = i;
	}
	x->svc = svc;
	return 0;
}

const struct join_cl *join_cache_imports(struct join_cache *c, size_t i,
                                         const struct model_service_summary_list *svc)
{
	struct join_cl *x = &c->cl[i];

	if (x->svc == svc)
		return x;
	cl_clear(x);
	c->stats.index_builds++;
	if (cl_build(x, svc)) {
		cl_clear(x);
		return NULL;
	}
	return x;
}

const struct model_service_summary *join_cl_find(const struct join_cl *x, const char *service,
                                                 const char *partition, const char *peer)
{
	size_t pos = 0, v;
	uint64_t h = import_hash(service, peer);

	while (join_tab_next(&x->imports, h, &pos, &v)) {
		const struct model_service_summary *s = &x->svc->v[v];
		if (!strcmp(s->name ? s->name : "", service ? service : "") &&
		    !strcmp(s->peer_name, peer ? peer : "") &&
		    join_partition_eq(s->partition, partition))
			return s;
	}
	return NULL;
}

int join_cache_reserve(struct join_cache *c, size_t n)
{
	if (n <= c->ncl)
		return 0;
	struct join_cl *v = realloc(c->cl, n * sizeof *v);
	if (!v)
		return -1;
	memset(v + c->ncl, 0, (n - c->ncl) * sizeof *v);
	c->cl = v;
	c->ncl = n;
	return 0;
}

static void release_held(struct join_cache *c)
{
	for (size_t i = 0; i < c->nheld; i++)
		store_snapshot_unref(c->held[i]);
	free(c->held);
	c->held = NULL;
	c->nheld = 0;
}

void join_cache_forget_exports(struct join_cache *c)
{
	free(c->exports);
	c->exports = NULL;
	c->nexports = 0;
	free(c->groups);
	c->groups = NULL;
	join_tab_free(&c->group_keys);
	c->groups_n = 0;
	for (size_t i = 0; i < c->npeers; i++)
		free(c->peers[i]);
	free(c->peers);
	c->peers = NULL;
	c->npeers = 0;
	c->have_exports = false;
}

void join_cache_forget_pairs(struct join_cache *c)
{
	free(c->pairs);
	c->pairs = NULL;
	c->npairs = 0;
	c->pairs_fresh = false;
	c->pairs_key = 0;
}

void join_cache_forget(struct join_cache *c)
{
	for (size_t i = 0; i < c->ncl; i++)
		cl_clear(&c->cl[i]);
	join_cache_forget_exports(c);
	join_cache_forget_pairs(c);
}

int join_cache_hold(struct join_cache *c, const struct store_snapshot *const *snaps, size_t n)
{
	if (c->once)
		return 0;
	const struct store_snapshot **v = calloc(n ? n : 1, sizeof *v);

	/* Take the new references first: a snapshot in both sets stays. */
	for (size_t i = 0; v && i < n; i++)
		v[i] = snaps[i] ? store_snapshot_ref(snaps[i]) : NULL;
	release_held(c);
	if (!v) {
		/* Nothing held: no key may be trusted on the next build. */
		join_cache_forget(c);
		return -1;
	}
	c->held = v;
	c->nheld = n;
	/* The pairs point into the snapshots of the build that kept them. */
	if (!c->pairs_fresh)
		join_cache_forget_pairs(c);
	c->pairs_fresh = false;
	/* An index of a list no held snapshot has (its cluster gone, or not
	 * looked at by this build) could meet a new list at its address. */
	for (size_t i = 0; i < c->ncl; i++)
		if (c->cl[i].svc && (i >= n || !v[i] || v[i]->services != c->cl[i].svc))
			cl_clear(&c->cl[i]);
	return 0;
}

struct join_cache *join_cache_new(void)
{
	return calloc(1, sizeof(struct join_cache));
}

void join_cache_free(struct join_cache *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->ncl; i++)
		cl_clear(&c->cl[i]);
	free(c->cl);
	join_cache_forget_exports(c);
	join_cache_forget_pairs(c);
	release_held(c);
	free(c);
}

struct join_cache_stats join_cache_stats(const struct join_cache *c)
{
	return c ? c->stats : (struct join_cache_stats){0};
}
