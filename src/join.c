/* join: snapshots -> peering pairs, service x peer matrix, gateways. Pure. */
#include "autoconfig.h"

#include "peerscope/join.h"

#include "join_index.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ helpers */

static bool str_eq(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

static bool str_set(const char *s)
{
	return s && *s;
}

static const char *snap_dc(const struct store_snapshot *s)
{
	return s->has_identity ? s->identity->datacenter : "";
}

/* A source has data to judge by: it succeeded at least once. */
static bool has_data(const struct store_snapshot *s, enum store_src src)
{
	return s->sources[src].last_ok_ns != 0;
}

/* The cluster's peerings were read: an absent one is known to be absent. */
static bool peerings_known(const struct store_snapshot *s)
{
	return s && (has_data(s, STORE_SRC_PEERINGS) || has_data(s, STORE_SRC_STREAM));
}

int64_t join_heartbeat_age_ms(const struct model_peering *p, int64_t now_ns)
{
	if (!p || !p->has_stream_status || p->stream.last_heartbeat_ns == 0)
		return -1;
	int64_t d = now_ns - p->stream.last_heartbeat_ns;
	return d < 0 ? 0 : d / 1000000;
}

const char *join_kube_partition(const struct store_snapshot *s)
{
	if (s->has_helm && s->helm->admin_partitions_enabled &&
	    str_set(s->helm->admin_partition_name))
		return s->helm->admin_partition_name;
	return "";
}

/* S and T read the same Consul: the same datacenter, and the same leader
 * when both know one (two deployments may both be called dc1). */
static bool same_consul(const struct store_snapshot *s, const struct store_snapshot *t)
{
	if (!s->has_identity || !t->has_identity || !str_set(s->identity->datacenter) ||
	    !str_eq(s->identity->datacenter, t->identity->datacenter))
		return false;
	return !str_set(s->identity->leader) || !str_set(t->identity->leader) ||
	       str_eq(s->identity->leader, t->identity->leader);
}

size_t join_kube_cluster_in_partition(const struct store_snapshot *const *snaps, size_t n,
                                      const struct store_snapshot *s, const char *part)
{
	for (size_t i = 0; i < n; i++) {
		const struct store_snapshot *t = snaps[i];
		if (!t || t == s || !t->kube_configured || !t->has_helm ||
		    !t->helm->admin_partitions_enabled)
			continue;
		if (join_partition_eq(join_kube_partition(t), part) && same_consul(s, t))
			return i;
	}
	return JOIN_NONE;
}

/* True when NAME, as one cluster calls a peer, designates cluster S. */
static bool names_cluster(const char *name, const struct store_snapshot *s)
{
	return str_set(name) && (str_eq(name, s->name) || str_eq(name, snap_dc(s)));
}

/* -------------------------------------------------------------- candidates */

/* One peer name known on one cluster: a Consul peering, a CR, or both. */
struct cand {
	size_t cluster;
	const char *name;
	const char *partition;
	const struct model_peering *peering;
	const struct model_kube_peering *cr;
	bool used;
};

struct cands {
	struct cand *v;
	size_t n, cap;
	struct join_tab by_name; /* (cluster, name) */
	struct join_tab by_id;   /* the peering's ID */
};

static uint64_t cand_hash(size_t cluster, const char *name)
{
	return join_hash_str(join_hash_u64(JOIN_HASH_SEED, cluster), name);
}

static struct cand *cand_find(struct cands *c, size_t cluster, const char *partition,
                              const char *name)
{
	size_t pos = 0, k;

	/* The first in list order, as a scan would find it. */
	while (join_tab_next(&c->by_name, cand_hash(cluster, name), &pos, &k))
		if (c->v[k].cluster == cluster && strcmp(c->v[k].name, name) == 0 &&
		    join_partition_eq(c->v[k].partition, partition))
			return &c->v[k];
	return NULL;
}

static struct cand *cand_get(struct cands *c, size_t cluster, const char *partition,
                             const char *name)
{
	struct cand *x = cand_find(c, cluster, partition, name);

	if (x)
		return x;
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 16;
		struct cand *v = realloc(c->v, cap * sizeof *v);
		if (!v)
			return NULL;
		c->v = v;
		c->cap = cap;
	}
	if (join_tab_put(&c->by_name, cand_hash(cluster, name), c->n))
		return NULL;
	x = &c->v[c->n++];
	*x = (struct cand){.cluster = cluster, .name = name, .partition = partition};
	return x;
}

/* Indexes the candidates by their peering's ID, for rule 1. */
static int cands_index_ids(struct cands *c)
{
	for (size_t i = 0; i < c->n; i++)
		if (c->v[i].peering && str_set(c->v[i].peering->id) &&
		    join_tab_put(&c->by_id, join_hash_str(JOIN_HASH_SEED, c->v[i].peering->id), i))
			return -1;
	return 0;
}

static int collect(const struct store_snapshot *const *snaps, size_t n, struct cands *c)
{
	for (size_t i = 0; i < n; i++) {
		const struct store_snapshot *s = snaps[i];
		if (!s)
			continue;
		for (size_t k = 0; k < s->peerings->n; k++) {
			const struct model_peering *pr = &s->peerings->v[k];
			struct cand *x = cand_get(c, i, pr->partition, pr->name);
			if (!x)
				return -1;
			x->peering = pr;
		}
		const struct store_kube_peerings *lists[2] = {s->acceptors, s->dialers};
		for (size_t l = 0; l < 2; l++) {
			for (size_t k = 0; k < lists[l]->n; k++) {
				const struct model_kube_peering *cr = &lists[l]->v[k];
				struct cand *x =
				        cand_get(c, i, join_kube_partition(s), cr->meta.name);
				if (!x)
					return -1;
				if (!x->cr) /* an acceptor wins over a dialer of the same name */
					x->cr = cr;
			}
		}
	}
	return 0;
}

/* ------------------------------------------------------------------- pairs */

struct pairs {
	struct join_pair *v;
	size_t n, cap;
};

static const struct model_kube_secret *find_secret(const struct store_snapshot *s,
                                                   const struct model_kube_peering *cr)
{
	const char *name = cr->spec_secret.name;

	if (!str_set(name))
		return NULL;
	for (size_t i = 0; i < s->token_secrets->n; i++) {
		const struct model_kube_secret *sec = &s->token_secrets->v[i];
		if (str_eq(sec->meta.name, name) && str_eq(sec->meta.ns, cr->meta.ns))
			return sec;
	}
	return NULL;
}

/* The ages of E's peering's last heartbeat and receive at NOW_NS. */
static void end_ages(struct join_end *e, int64_t now_ns)
{
	const struct model_peering *p = e->peering;

	e->heartbeat_age_ms = join_heartbeat_age_ms(p, now_ns);
	e->receive_age_ms = -1;
	if (p && p->has_stream_status && p->stream.last_receive_ns) {
		int64_t d = now_ns - p->stream.last_receive_ns;
		e->receive_age_ms = d < 0 ? 0 : d / 1000000;
	}
}

static void end_fill(struct join_end *e, const struct store_snapshot *const *snaps,
                     const struct cand *x, size_t cluster, int64_t now_ns)
{
	*e = (struct join_end){.cluster = cluster,
	                       .name = "",
	                       .partition = "",
	                       .heartbeat_age_ms = -1,
	                       .receive_age_ms = -1};
	if (cluster != JOIN_NONE) {
		e->snap = snaps[cluster];
		e->loading = !peerings_known(e->snap);
	}
	if (!x)
		return;
	e->name = x->name;
	e->partition = x->partition ? x->partition : "";
	e->peering = x->peering;
	e->cr = x->cr;
	e->present = true;
	if (x->cr) {
		e->acceptor = x->cr->role == MODEL_PEERING_ACCEPTOR;
		e->dialer = x->cr->role == MODEL_PEERING_DIALER;
		e->secret = find_secret(e->snap, x->cr);
	}
	end_ages(e, now_ns);
}

/* An ACTIVE end has not heard its peer within HB_MS. A stream that just
 * came up has no heartbeat for its first interval (Consul sends the first
 * after 15 s, peerstream/server.go) but has received the first messages:
 * until a heartbeat comes, LastReceive stands in (doc/api-contract.md
 * §2.6). */
static bool heartbeat_stale(const struct join_end *e, long hb_ms)
{
	if (e->heartbeat_age_ms >= 0)
		return e->heartbeat_age_ms > hb_ms;
	return e->receive_age_ms < 0 || e->receive_age_ms > hb_ms;
}

static struct join_pair *pair_add(struct pairs *p)
{
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 16;
		struct join_pair *v = realloc(p->v, cap * sizeof *v);
		if (!v)
			return NULL;
		p->v = v;
		p->cap = cap;
	}
	struct join_pair *r = &p->v[p->n++];
	memset(r, 0, sizeof *r);
	return r;
}

/* Pairs X (present) with Y (may be NULL: absent) in cluster YC. */
static int pair_make(struct pairs *p, const struct store_snapshot *const *snaps, struct cand *x,
                     struct cand *y, size_t yc, int64_t now_ns)
{
	struct join_pair *r = pair_add(p);

	if (!r)
		return -1;
	x->used = true;
	if (y)
		y->used = true;
	if (yc != JOIN_NONE && yc < x->cluster) {
		end_fill(&r->a, snaps, y, yc, now_ns);
		end_fill(&r->b, snaps, x, x->cluster, now_ns);
	} else {
		end_fill(&r->a, snaps, x, x->cluster, now_ns);
		end_fill(&r->b, snaps, y, yc, now_ns);
	}
	const struct model_peering *ap = r->a.peering;
	r->remote_datacenter = ap && ap->has_remote ? ap->remote.datacenter : "";
	return 0;
}

/* Rule 1: the dialer's PeerID is the acceptor's ID. */
static struct cand *match_id(struct cands *c, const struct cand *x)
{
	size_t pos = 0, i, best = (size_t)-1;

	if (!x->peering || !str_set(x->peering->peer_id))
		return NULL;
	/* The first candidate in list order, as a scan would find it. */
	while (join_tab_next(&c->by_id, join_hash_str(JOIN_HASH_SEED, x->peering->peer_id), &pos,
	                     &i)) {
		struct cand *y = &c->v[i];
		if (i < best && !y->used && y != x && y->cluster != x->cluster && y->peering &&
		    str_eq(y->peering->id, x->peering->peer_id))
			best = i;
	}
	return best == (size_t)-1 ? NULL : &c->v[best];
}

/* X's Remote.Partition, when Consul sent one, is Y's partition. */
static bool remote_partition_is(const struct cand *x, const struct cand *y)
{
	if (!x->peering || !x->peering->has_remote || !str_set(x->peering->remote.partition))
		return true;
	return join_partition_eq(x->peering->remote.partition, y->partition);
}

/* Two ends can be one peering's as far as partitions tell. */
static bool partitions_fit(const struct cand *x, const struct cand *y)
{
	return remote_partition_is(x, y) && remote_partition_is(y, x);
}

/* Rule 2: each side's Remote.Datacenter is the other's datacenter. */
static struct cand *match_dc(struct cands *c, const struct store_snapshot *const *snaps,
                             const struct cand *x)
{
	if (!x->peering || !x->peering->has_remote || !str_set(x->peering->remote.datacenter))
		return NULL;
	const char *xdc = snap_dc(snaps[x->cluster]);
	for (size_t i = 0; i < c->n; i++) {
		struct cand *y = &c->v[i];
		if (y->used || y == x || y->cluster == x->cluster || !y->peering ||
		    !y->peering->has_remote)
			continue;
		if (str_eq(snap_dc(snaps[y->cluster]), x->peering->remote.datacenter) &&
		    str_eq(y->peering->remote.datacenter, xdc) && partitions_fit(x, y))
			return y;
	}
	return NULL;
}

/* Rule 3: the configured cluster X's name designates, and its end there. */
static size_t named_cluster(const struct store_snapshot *const *snaps, size_t n,
                            const struct cand *x)
{
	for (size_t j = 0; j < n; j++)
		if (j != x->cluster && snaps[j] && names_cluster(x->name, snaps[j]))
			return j;
	if (x->peering && x->peering->has_remote) {
		for (size_t j = 0; j < n; j++)
			if (j != x->cluster && snaps[j] && str_set(snap_dc(snaps[j])) &&
			    str_eq(snap_dc(snaps[j]), x->peering->remote.datacenter))
				return j;
	}
	return JOIN_NONE;
}

static struct cand *end_in(struct cands *c, const struct store_snapshot *const *snaps, size_t j,
                           const struct cand *x)
{
	for (size_t i = 0; i < c->n; i++) {
		struct cand *y = &c->v[i];
		if (!y->used && y->cluster == j && names_cluster(y->name, snaps[x->cluster]) &&
		    partitions_fit(x, y))
			return y;
	}
	return NULL;
}

static int match_all(struct cands *c, const struct store_snapshot *const *snaps, size_t n,
                     int64_t now_ns, struct pairs *p)
{
	if (cands_index_ids(c))
		return -1;
	for (size_t i = 0; i < c->n; i++) {
		struct cand *x = &c->v[i], *y;
		if (!x->used && (y = match_id(c, x)) &&
		    pair_make(p, snaps, x, y, y->cluster, now_ns))
			return -1;
	}
	for (size_t i = 0; i < c->n; i++) {
		struct cand *x = &c->v[i], *y;
		if (!x->used && (y = match_dc(c, snaps, x)) &&
		    pair_make(p, snaps, x, y, y->cluster, now_ns))
			return -1;
	}
	for (size_t i = 0; i < c->n; i++) {
		struct cand *x = &c->v[i];
		if (x->used)
			continue;
		size_t j = named_cluster(snaps, n, x);
		struct cand *y = j == JOIN_NONE ? NULL : end_in(c, snaps, j, x);
		if (pair_make(p, snaps, x, y, j, now_ns))
			return -1;
	}
	return 0;
}

/* ------------------------------------------------------------- pair flags */

static enum model_peering_state end_state(const struct join_end *e)
{
	return e->peering ? e->peering->state : MODEL_PEERING_UNDEFINED;
}

static bool state_bad(enum model_peering_state s)
{
	return s == MODEL_PEERING_FAILING || s == MODEL_PEERING_TERMINATED ||
	       s == MODEL_PEERING_DELETING;
}

static bool side_gone(const struct join_end *e)
{
	enum model_peering_state s = end_state(e);
	return !e->peering || s == MODEL_PEERING_TERMINATED || s == MODEL_PEERING_DELETING;
}

static bool cr_not_synced(const struct model_kube_peering *cr)
{
	return cr && (cr->synced.status == MODEL_COND_FALSE || cr->legacy_error);
}

/* The dialer's spec Secret is absent, or lacks the key; known only when
 * the Secrets could be read. */
static bool token_missing(const struct join_end *e)
{
	if (!e->dialer || !has_data(e->snap, STORE_SRC_KUBE_SECRETS))
		return false;
	return !e->secret || !model_kube_secret_find(e->secret, e->cr->spec_secret.key);
}

static bool end_stale(const struct join_end *e)
{
	static const enum store_src srcs[] = {STORE_SRC_PEERINGS, STORE_SRC_STREAM,
	                                      STORE_SRC_KUBE_ACCEPTORS, STORE_SRC_KUBE_DIALERS,
	                                      STORE_SRC_KUBE_SECRETS};
	if (!e->snap)
		return false;
	for (size_t i = 0; i < sizeof srcs / sizeof srcs[0]; i++)
		if (e->snap->sources[srcs[i]].stale)
			return true;
	return false;
}

/* The admin partition of S's consul-k8s is known: its Consul is CE, which
 * has the default partition alone, or its Helm release, which names the
 * partition (global.adminPartitions.name), was read or will not be (none
 * configured, or the read failed: the default, as before partitions). At
 * the dashboard's start the release is read after the state the panes
 * show (store_src_held()). */
static bool kube_partition_known(const struct store_snapshot *s)
{
	const struct store_source *h = &s->sources[STORE_SRC_KUBE_HELM];

	if (s->has_identity && str_set(s->identity->version) && !s->identity->enterprise)
		return true;
	return !h->enabled || h->state != MODEL_SOURCE_UNKNOWN;
}

/* E is a CR alone whose partition is not known yet: its peering may be in
 * the partition its cluster's release names, so the pair waits for that. */
static bool cr_partition_pending(const struct join_end *e)
{
	return e->cr && !e->peering && e->snap && !kube_partition_known(e->snap);
}

static unsigned end_flags(const struct join_end *e, const struct join_end *other, long hb_ms)
{
	unsigned f = 0;

	if (!e->present)
		return 0;
	enum model_peering_state s = end_state(e);
	if (s == MODEL_PEERING_ACTIVE && other->cluster != JOIN_NONE && !other->loading &&
	    side_gone(other))
		f |= JOIN_F_ASYMMETRIC;
	/* Servers older than 1.14 send no stream status: nothing to judge. */
	if (s == MODEL_PEERING_ACTIVE && e->peering->has_stream_status && heartbeat_stale(e, hb_ms))
		f |= JOIN_F_HEARTBEAT_STALE;
	if (cr_not_synced(e->cr))
		f |= JOIN_F_NOT_SYNCED;
	if (token_missing(e))
		f |= JOIN_F_TOKEN_MISSING;
	if (state_bad(s))
		f |= JOIN_F_STATE_BAD;
	if (end_stale(e))
		f |= JOIN_F_DATA_STALE;
	if (e->cr && !e->peering && has_data(e->snap, STORE_SRC_PEERINGS) &&
	    !cr_partition_pending(e))
		f |= JOIN_F_CR_WITHOUT_PEERING;
	return f;
}

static const char *cluster_of(const struct join_end *e)
{
	return e->snap ? e->snap->name : "?";
}

static const char *cr_message(const struct model_kube_peering *cr)
{
	if (cr->legacy_error)
		return cr->legacy_message;
	return str_set(cr->synced.message) ? cr->synced.message : cr->synced.reason;
}

/* The most important problem of the pair, in one line. */
/* What a loading pair waits for. */
static void loading_problem(struct join_pair *r)
{
	const struct join_end *e = !r->a.peering && r->a.loading   ? &r->a
	                           : !r->b.peering && r->b.loading ? &r->b
	                                                           : NULL;

	if (!e) {
		e = cr_partition_pending(&r->a)   ? &r->a
		    : cr_partition_pending(&r->b) ? &r->b
		                                  : NULL;
		if (e)
			snprintf(r->problem, sizeof r->problem,
			         "the Helm release of %s, which names its admin partition, is not "
			         "read yet",
			         cluster_of(e));
		else
			snprintf(r->problem, sizeof r->problem,
			         "peer %s: not every configured cluster has answered yet",
			         r->a.name);
		return;
	}
	if (!e->snap || e->snap->sources[STORE_SRC_PEERINGS].state == MODEL_SOURCE_UNKNOWN)
		snprintf(r->problem, sizeof r->problem, "%s has not answered yet", cluster_of(e));
	else
		snprintf(r->problem, sizeof r->problem, "the peerings of %s could not be read",
		         cluster_of(e));
}

static void pair_problem(struct join_pair *r, long hb_ms)
{
	const struct join_end *ends[2] = {&r->a, &r->b};
	size_t len = sizeof r->problem;
	char age[16];

	if (r->flags & JOIN_F_LOADING) {
		loading_problem(r);
		return;
	}
	for (int i = 0; i < 2; i++) {
		const struct join_end *e = ends[i];
		if (e->present && token_missing(e)) {
			snprintf(r->problem, len, "dialer token Secret %s missing on %s",
			         e->cr->spec_secret.name, cluster_of(e));
			return;
		}
	}
	for (int i = 0; i < 2; i++) {
		const struct join_end *e = ends[i];
		if (e->present && cr_not_synced(e->cr)) {
			snprintf(r->problem, len, "%s %s on %s not synced: %s",
			         e->dialer ? "PeeringDialer" : "PeeringAcceptor", e->cr->meta.name,
			         cluster_of(e), cr_message(e->cr));
			return;
		}
	}
	for (int i = 0; i < 2; i++) {
		const struct join_end *e = ends[i], *o = ends[1 - i];
		if (!(r->flags & JOIN_F_ASYMMETRIC) || end_state(e) != MODEL_PEERING_ACTIVE)
			continue;
		snprintf(r->problem, len, "ACTIVE on %s but %s on %s", cluster_of(e),
		         o->peering ? model_peering_state_name(end_state(o)) : "absent",
		         cluster_of(o));
		return;
	}
	for (int i = 0; i < 2; i++) {
		const struct join_end *e = ends[i];
		if (state_bad(end_state(e))) {
			snprintf(r->problem, len, "%s on %s",
			         model_peering_state_name(end_state(e)), cluster_of(e));
			return;
		}
	}
	for (int i = 0; i < 2; i++) {
		const struct join_end *e = ends[i];
		if (e->present && end_state(e) == MODEL_PEERING_ACTIVE &&
		    e->peering->has_stream_status && heartbeat_stale(e, hb_ms)) {
			if (e->heartbeat_age_ms < 0)
				snprintf(r->problem, len, "no heartbeat on %s", cluster_of(e));
			else
				snprintf(
				        r->problem, len, "last heartbeat on %s %s ago",
				        cluster_of(e),
				        model_age_format(e->heartbeat_age_ms, "", age, sizeof age));
			return;
		}
	}
	for (int i = 0; i < 2; i++) {
		const struct join_end *e = ends[i];
		if (e->present && e->cr && !e->peering && has_data(e->snap, STORE_SRC_PEERINGS)) {
			snprintf(r->problem, len, "%s %s on %s has no Consul peering yet",
			         e->dialer ? "PeeringDialer" : "PeeringAcceptor", e->name,
			         cluster_of(e));
			return;
		}
	}
	for (int i = 0; i < 2; i++) {
		const struct join_end *e = ends[i];
		if (!e->present && e->cluster != JOIN_NONE) {
			snprintf(r->problem, len, "no peering on %s", cluster_of(e));
			return;
		}
	}
	for (int i = 0; i < 2; i++) {
		const struct join_end *e = ends[i];
		if (e->present && end_state(e) != MODEL_PEERING_ACTIVE) {
			snprintf(r->problem, len, "%s on %s",
			         e->peering ? model_peering_state_name(end_state(e)) : "no peering",
			         cluster_of(e));
			return;
		}
	}
	if (r->flags & JOIN_F_ONE_SIDED)
		snprintf(r->problem, len, "peer %s is not a configured cluster", r->a.name);
}

/* ALL_KNOWN: every configured cluster said who it is and which peerings it
 * has, so a peer that is none of them is not one that has not answered. */
static void pair_finish(struct join_pair *r, long hb_ms, bool all_known)
{
	r->flags = end_flags(&r->a, &r->b, hb_ms) | end_flags(&r->b, &r->a, hb_ms);
	if (r->b.cluster == JOIN_NONE)
		r->flags |= JOIN_F_ONE_SIDED;
	if ((!r->a.peering && r->a.loading) || (!r->b.peering && r->b.loading) ||
	    (r->b.cluster == JOIN_NONE && !all_known) || cr_partition_pending(&r->a) ||
	    cr_partition_pending(&r->b))
		r->flags |= JOIN_F_LOADING;
	bool both_active = end_state(&r->a) == MODEL_PEERING_ACTIVE &&
	                   (r->b.cluster == JOIN_NONE || end_state(&r->b) == MODEL_PEERING_ACTIVE);
	unsigned bad = r->flags & ~(unsigned)(JOIN_F_DATA_STALE | JOIN_F_ONE_SIDED |
	                                      (both_active ? JOIN_F_LOADING : 0));
	r->healthy = both_active && bad == 0;
	r->problem[0] = '\0';
	if (!r->healthy || (r->flags & JOIN_F_ONE_SIDED))
		pair_problem(r, hb_ms);
}

static size_t key_cluster(size_t c)
{
	return c == JOIN_NONE ? (size_t)-1 : c;
}

static int pair_cmp(const void *pa, const void *pb)
{
	const struct join_pair *a = pa, *b = pb;

	if (a->a.cluster != b->a.cluster)
		return a->a.cluster < b->a.cluster ? -1 : 1;
	if (key_cluster(a->b.cluster) != key_cluster(b->b.cluster))
		return key_cluster(a->b.cluster) < key_cluster(b->b.cluster) ? -1 : 1;
	int pc = strcmp(a->a.partition, b->a.partition);
	if (pc)
		return pc;
	pc = strcmp(a->b.partition, b->b.partition);
	if (pc)
		return pc;
	const char *na = a->a.present ? a->a.name : a->b.name;
	const char *nb = b->a.present ? b->a.name : b->b.name;
	return strcmp(na, nb);
}

/* "<a>|<b>", each "<cluster>/<partition>" when an end is in a partition
 * other than default. */
static void pair_base_id(const struct join_pair *r, char *buf, size_t len)
{
	if (join_partition_eq(r->a.partition, "") && join_partition_eq(r->b.partition, ""))
		snprintf(buf, len, "%s|%s", r->a.snap->name, r->b.snap->name);
	else
		snprintf(buf, len, "%s/%s|%s/%s", r->a.snap->name,
		         str_set(r->a.partition) ? r->a.partition : "default", r->b.snap->name,
		         str_set(r->b.partition) ? r->b.partition : "default");
}

static void pair_ids(struct join_pair *v, size_t n)
{
	char base[sizeof v->id], prev[sizeof v->id];

	for (size_t i = 0; i < n; i++) {
		struct join_pair *r = &v[i];
		const char *pname = r->a.present ? r->a.name : r->b.name;
		if (r->b.cluster == JOIN_NONE) {
			if (join_partition_eq(r->a.partition, ""))
				snprintf(r->id, sizeof r->id, "%s/%s|", r->a.snap->name, r->a.name);
			else
				snprintf(r->id, sizeof r->id, "%s/%s/%s|", r->a.snap->name,
				         r->a.partition, r->a.name);
			continue;
		}
		pair_base_id(r, base, sizeof base);
		snprintf(r->id, sizeof r->id, "%s", base);
		/* A second pair between the same ends gets its peer name. */
		if (i > 0 && v[i - 1].b.cluster != JOIN_NONE) {
			pair_base_id(&v[i - 1], prev, sizeof prev);
			if (!strcmp(prev, base))
				snprintf(r->id, sizeof r->id, "%.120s#%.63s", base, pname);
		}
	}
}

/* ------------------------------------------------------------------ modes */

const char *join_mode_source_name(enum join_mode_source s)
{
	switch (s) {
	case JOIN_MODE_PROXY_DEFAULTS:
		return "proxy-defaults";
	case JOIN_MODE_SERVICE_DEFAULTS:
		return "service-defaults";
	case JOIN_MODE_UPSTREAM_DEFAULTS:
		return "upstream-defaults";
	case JOIN_MODE_UPSTREAM_OVERRIDE:
		return "upstream-override";
	case JOIN_MODE_DEFAULT:
		break;
	}
	return "default";
}

static const struct model_service_defaults_entry *find_sd(const struct store_snapshot *s,
                                                          const char *service)
{
	for (size_t i = 0; i < s->service_defaults->n; i++)
		if (str_eq(s->service_defaults->v[i].head.name, service))
			return &s->service_defaults->v[i];
	return NULL;
}

static enum model_mgw_mode service_mode(const struct model_service_defaults_entry *sd,
                                        const char *upstream, const char *peer,
                                        enum join_mode_source *src)
{
	if (upstream) {
		for (size_t i = 0; i < sd->noverrides; i++) {
			const struct model_upstream_override *o = &sd->overrides[i];
			if (!str_eq(o->name, upstream) || o->mgw_mode == MODEL_MGW_DEFAULT)
				continue;
			if (str_set(o->peer) && !str_eq(o->peer, peer))
				continue;
			*src = JOIN_MODE_UPSTREAM_OVERRIDE;
			return o->mgw_mode;
		}
		if (sd->has_upstream_defaults &&
		    sd->upstream_defaults_mgw_mode != MODEL_MGW_DEFAULT) {
			*src = JOIN_MODE_UPSTREAM_DEFAULTS;
			return sd->upstream_defaults_mgw_mode;
		}
	}
	if (sd->mgw_mode != MODEL_MGW_DEFAULT) {
		*src = JOIN_MODE_SERVICE_DEFAULTS;
		return sd->mgw_mode;
	}
	return MODEL_MGW_DEFAULT;
}

enum model_mgw_mode join_effective_mode(const struct store_snapshot *s, const char *service,
                                        const char *upstream, const char *peer,
                                        enum join_mode_source *source)
{
	enum join_mode_source src = JOIN_MODE_DEFAULT;
	enum model_mgw_mode m = MODEL_MGW_DEFAULT;
	const struct model_service_defaults_entry *sd = service ? find_sd(s, service) : NULL;

	if (sd)
		m = service_mode(sd, upstream, peer, &src);
	if (m == MODEL_MGW_DEFAULT && s->has_proxy_defaults &&
	    s->proxy_defaults->mgw_mode != MODEL_MGW_DEFAULT) {
		m = s->proxy_defaults->mgw_mode;
		src = JOIN_MODE_PROXY_DEFAULTS;
	}
	/* The CR only when Consul's entry could not be read at all. */
	if (m == MODEL_MGW_DEFAULT && !has_data(s, STORE_SRC_PROXY_DEFAULTS) &&
	    s->kube_proxy_defaults->n > 0 &&
	    s->kube_proxy_defaults->v[0].mgw_mode != MODEL_MGW_DEFAULT) {
		m = s->kube_proxy_defaults->v[0].mgw_mode;
		src = JOIN_MODE_PROXY_DEFAULTS;
	}
	if (m == MODEL_MGW_DEFAULT) {
		/* Peering traffic goes through mesh gateways in remote mode by
		 * default. */
		m = MODEL_MGW_REMOTE;
		src = JOIN_MODE_DEFAULT;
	}
	if (source)
		*source = src;
	return m;
}

/* --------------------------------------------------------------- gateways */

static bool snap_ptmg(const struct store_snapshot *s)
{
	if (s->has_mesh || has_data(s, STORE_SRC_MESH))
		return s->has_mesh && s->mesh->peer_through_mesh_gateways;
	return s->kube_meshes->n > 0 && s->kube_meshes->v[0].peer_through_mesh_gateways;
}

static int gateways_fill(struct join_gateways *g, const struct store_snapshot *s)
{
	g->cluster = s->index;
	g->instances = s->gateways;
	g->total = (unsigned)s->gateways->n;
	for (size_t i = 0; i < s->gateways->n; i++)
		if (s->gateways->v[i].health == MODEL_HEALTH_PASSING)
			g->healthy++;
	g->mode = join_effective_mode(s, NULL, NULL, NULL, &g->mode_source);
	g->peer_through_mesh_gateways = snap_ptmg(s);
	for (size_t i = 0; i < s->service_defaults->n; i++) {
		const struct model_service_defaults_entry *sd = &s->service_defaults->v[i];
		if ((sd->mgw_mode != MODEL_MGW_DEFAULT && sd->mgw_mode != g->mode) ||
		    sd->noverrides > 0 ||
		    (sd->has_upstream_defaults &&
		     sd->upstream_defaults_mgw_mode != MODEL_MGW_DEFAULT))
			g->noverrides++;
	}
	if (s->peerings->n == 0)
		return 0;
	g->peers = calloc(s->peerings->n, sizeof *g->peers);
	if (!g->peers)
		return -1;
	for (size_t i = 0; i < s->peerings->n; i++) {
		const struct model_peering *p = &s->peerings->v[i];
		if (p->state != MODEL_PEERING_DELETING && p->state != MODEL_PEERING_TERMINATED)
			g->peers[g->npeers++] = p->name;
	}
	return 0;
}

/* ---------------------------------------------------------------- exports */

const char *join_cell_state_name(enum join_cell_state s)
{
	switch (s) {
	case JOIN_CELL_OK:
		return "ok";
	case JOIN_CELL_NOT_IMPORTED:
		return "not_imported";
	case JOIN_CELL_NOT_EXPORTED:
		return "not_exported";
	case JOIN_CELL_PEER_UNKNOWN:
		return "peer_unknown";
	case JOIN_CELL_NO_PEERING:
		return "no_peering";
	case JOIN_CELL_UNKNOWN:
		break;
	}
	return "unknown";
}

/* The exports a build gives: the view's rows. */
struct exports {
	struct join_export *v;
	size_t n, cap;
	bool borrowed; /* v is the cache's */
};

/* A row being made, and its group (the cache's groups). */
struct tagged {
	struct join_export x;
	uint64_t group;
};

struct rows {
	struct tagged *v;
	size_t n, cap;
};

static struct join_export *row_add(struct rows *e, uint64_t group)
{
	if (e->n == e->cap) {
		size_t cap = e->cap ? e->cap * 2 : 32;
		struct tagged *v = realloc(e->v, cap * sizeof *v);
		if (!v)
			return NULL;
		e->v = v;
		e->cap = cap;
	}
	struct tagged *t = &e->v[e->n++];
	memset(t, 0, sizeof *t);
	t->group = group;
	return &t->x;
}

/* What the exports are built with: the pairs, and the indexes over them. */
struct xctx {
	const struct pairs *p;
	const struct store_snapshot *const *snaps;
	size_t n;
	struct join_cache *cache;
	struct rows *ex;      /* the rows made */
	uint64_t group;       /* the group of the rows made next */
	struct join_tab ends; /* (cluster, peer name) -> 2 * pair + (0: a, 1: b) */
	/* The groups: of the rows each pair end's cluster exports towards
	 * the other end (2 * pair + side), and of each cluster's rows towards
	 * peers no pair has; whether the last build had them (kept). */
	uint64_t *gk, *gnone;
	bool *gk_kept, *gnone_kept;
	bool *exp_dirty; /* a cluster with a group of exported rows to make */
	/* The groups of the rows of imports nobody exports, by importing
	 * cluster. Two importing clusters never make the same such row: its
	 * exporting end is in one pair only (match_all() pairs a candidate
	 * once, and there is one a cluster, partition and peer name). */
	uint64_t *gimp;
	bool *gimp_kept;
	/* The rows once the exported ones are made, sorted (export_cmp):
	 * what imports_of() looks for, with the rows it made (known). */
	const struct join_export *made;
	size_t nmade;
	struct join_tab known; /* (from, service, peer) -> ex->v[i] */
};

static uint64_t end_hash(size_t cluster, const char *name)
{
	return join_hash_str(join_hash_u64(JOIN_HASH_SEED, cluster), name);
}

static uint64_t known_hash(size_t from, const char *service, const char *peer)
{
	return join_hash_str(join_hash_str(join_hash_u64(JOIN_HASH_SEED, from), service), peer);
}

/* Indexes the present ends of every pair, in pair order, A before B. */
static int index_ends(struct xctx *x)
{
	for (size_t i = 0; i < x->p->n; i++) {
		const struct join_pair *r = &x->p->v[i];
		if (r->a.present &&
		    join_tab_put(&x->ends, end_hash(r->a.cluster, r->a.name), 2 * i))
			return -1;
		if (r->b.present &&
		    join_tab_put(&x->ends, end_hash(r->b.cluster, r->b.name), 2 * i + 1))
			return -1;
	}
	return 0;
}

/* The pair end (cluster C, partition PART, peer NAME), and the other end
 * through *other: the first in pair order. */
static bool end_is(const struct join_end *e, size_t c, const char *part, const char *name)
{
	return e->present && e->cluster == c && str_eq(e->name, name) &&
	       join_partition_eq(e->partition, part);
}

static const struct join_end *find_end_at(const struct xctx *x, size_t c, const char *part,
                                          const char *name, const struct join_end **other,
                                          size_t *at)
{
	size_t pos = 0, v, best = (size_t)-1;
	uint64_t h = end_hash(c, name);

	while (join_tab_next(&x->ends, h, &pos, &v)) {
		const struct join_pair *r = &x->p->v[v / 2];
		if (v < best && end_is(v % 2 ? &r->b : &r->a, c, part, name))
			best = v;
	}
	*at = best;
	if (best == (size_t)-1) {
		*other = NULL;
		return NULL;
	}
	const struct join_pair *r = &x->p->v[best / 2];
	*other = best % 2 ? &r->a : &r->b;
	return best % 2 ? &r->b : &r->a;
}

static const struct join_end *find_end(const struct xctx *x, size_t c, const char *part,
                                       const char *name, const struct join_end **other)
{
	size_t at;

	return find_end_at(x, c, part, name, other, &at);
}

/* Instances with no critical check: each critical check belongs to at most
 * one instance, so this is a lower bound. */
static unsigned healthy_instances(const struct model_service_summary *x)
{
	return x->checks_critical >= x->instance_count ? 0 : x->instance_count - x->checks_critical;
}

/* Consul Enterprise: no mesh gateway registered in partition PART of S,
 * once the gateways were read. */
static bool partition_without_gateway(const struct store_snapshot *s, const char *part)
{
	if (!s->has_identity || !s->identity->enterprise || !has_data(s, STORE_SRC_GATEWAYS))
		return false;
	for (size_t i = 0; i < s->gateways->n; i++)
		if (join_partition_eq(s->gateways->v[i].partition, part))
			return false;
	return true;
}

/* S appended to the text of BUF (LEN bytes) that ends at AT, cut to fit
 * as snprintf cuts; the new end. */
static size_t id_put(char *buf, size_t len, size_t at, const char *s)
{
	size_t n = strlen(s ? s : "(null)");

	if (n > len - 1 - at)
		n = len - 1 - at;
	memcpy(buf + at, s ? s : "(null)", n);
	buf[at + n] = '\0';
	return at + n;
}

/* "FROM/SERVICE|PEER", or "FROM/PARTITION/SERVICE|PEER" outside the default
 * partition, put together without snprintf, which was half the cost of an
 * export (12,800 of them at 64 x 100, made again at each change of a
 * services list). */
static void export_id(struct join_export *x, const struct store_snapshot *from)
{
	size_t at = id_put(x->id, sizeof x->id, 0, from->name);

	at = id_put(x->id, sizeof x->id, at, "/");
	if (!join_partition_eq(x->partition, "")) {
		at = id_put(x->id, sizeof x->id, at, x->partition);
		at = id_put(x->id, sizeof x->id, at, "/");
	}
	at = id_put(x->id, sizeof x->id, at, x->service);
	at = id_put(x->id, sizeof x->id, at, "|");
	id_put(x->id, sizeof x->id, at, x->peer);
}

/* The exporting cluster's intentions for X's consumer peer; those of the
 * default partition only are read (unknown in another one). */
static enum join_intent export_intent(const struct join_export *x,
                                      const struct store_snapshot *from)
{
	if (!join_partition_eq(x->partition, ""))
		return JOIN_INTENT_UNKNOWN;
	return join_intention(from, x->service, x->peer, NULL, NULL);
}

/* A new export row of the current group; once the exported rows are made,
 * indexed by (from, service, peer) with them. */
static struct join_export *export_new(struct xctx *x, size_t from, const char *service,
                                      const char *peer)
{
	struct join_export *e = row_add(x->ex, x->group);

	if (!e ||
	    (x->made && join_tab_put(&x->known, known_hash(from, service, peer), x->ex->n - 1)))
		return NULL;
	e->from = from;
	e->service = service;
	e->peer = peer;
	return e;
}

/* The row of SERVICE exported by FROM to PEER, whose pair end is ME (NULL:
 * none), OTHER the other end. */
static int export_one(struct xctx *xc, size_t from, const char *part, const char *service,
                      const char *peer, bool wildcard, const struct join_end *me,
                      const struct join_end *other)
{
	const struct store_snapshot *const *snaps = xc->snaps;
	struct join_export *x = export_new(xc, from, service, peer);

	if (!x)
		return -1;
	x->partition = part ? part : "";
	x->no_partition_gateway = partition_without_gateway(snaps[from], part);
	x->to = JOIN_NONE;
	x->to_partition = "";
	x->exported = true;
	x->wildcard = wildcard;
	export_id(x, snaps[from]);
	x->intent = export_intent(x, snaps[from]);
	if (!me) {
		x->state = peerings_known(snaps[from]) ? JOIN_CELL_NO_PEERING : JOIN_CELL_UNKNOWN;
		return 0;
	}
	if (other->cluster == JOIN_NONE) {
		x->state = JOIN_CELL_PEER_UNKNOWN;
		return 0;
	}
	x->to = other->cluster;
	x->to_partition = other->partition ? other->partition : "";
	/* An absent end, or services, not read yet: nothing to judge by. */
	if ((!other->present && other->loading) ||
	    (other->present && !has_data(xc->snaps[other->cluster], STORE_SRC_SERVICES))) {
		x->state = JOIN_CELL_UNKNOWN;
		return 0;
	}
	const struct model_service_summary *imp = NULL;
	if (other->present) {
		const struct store_snapshot *to = snaps[other->cluster];
		const struct join_cl *idx =
		        join_cache_imports(xc->cache, other->cluster, to->services);
		if (!idx)
			return -1;
		imp = join_cl_find(idx, service, other->partition, other->name);
	}
	if (imp) {
		x->imported = true;
		x->instances = imp->instance_count;
		x->healthy = healthy_instances(imp);
	}
	x->state = imp ? JOIN_CELL_OK : JOIN_CELL_NOT_IMPORTED;
	return 0;
}

/* The services the exporting cluster has: what "*" expands to. */
static bool exportable(const struct model_service_summary *s)
{
	return !str_set(s->peer_name) && !str_set(s->kind) && !str_eq(s->name, "consul");
}

/* The services S exports: its exported-services entry, or the CR that
 * stands for it while Consul's was never read. */
static const struct model_export_service *exports_list(const struct store_snapshot *s, size_t *n)
{
	if (!s->has_exports && !has_data(s, STORE_SRC_EXPORTS) && s->kube_exports->n > 0) {
		*n = s->kube_exports->v[0].nservices;
		return s->kube_exports->v[0].services;
	}
	*n = s->exports->nservices;
	return s->exports->services;
}

/* S exports "*": its rows read its services. */
static bool exports_all(const struct store_snapshot *s)
{
	size_t n;
	const struct model_export_service *svc = exports_list(s, &n);

	for (size_t i = 0; i < n; i++)
		if (str_eq(svc[i].name, "*"))
			return true;
	return false;
}

/* The rows FROM exports, of the groups the last build did not have. */
static int exports_of(struct xctx *xc, size_t from)
{
	const struct store_snapshot *s = xc->snaps[from];
	size_t nsvc;
	const struct model_export_service *svc = exports_list(s, &nsvc);

	for (size_t i = 0; i < nsvc; i++) {
		for (size_t k = 0; k < svc[i].nconsumers; k++) {
			const char *peer = svc[i].consumers[k].peer;
			const char *part = svc[i].partition ? svc[i].partition : "";
			const struct join_end *other = NULL, *me;
			size_t at;
			if (!str_set(peer))
				continue; /* a partition or sameness group (ENT) */
			me = find_end_at(xc, from, part, peer, &other, &at);
			if (me ? xc->gk_kept[at] : xc->gnone_kept[from])
				continue;
			xc->group = me ? xc->gk[at] : xc->gnone[from];
			if (!str_eq(svc[i].name, "*")) {
				if (export_one(xc, from, part, svc[i].name, peer, false, me, other))
					return -1;
				continue;
			}
			for (size_t j = 0; j < s->services->n; j++)
				if (exportable(&s->services->v[j]) &&
				    join_partition_eq(s->services->v[j].partition, part) &&
				    export_one(xc, from, part, s->services->v[j].name, peer, true,
				               me, other))
					return -1;
		}
	}
	return 0;
}

/* The row (SERVICE, FROM, PART, PEER) among the N sorted rows V, PART
 * compared exactly; NULL when none. */
static const struct join_export *row_find(const struct join_export *v, size_t n,
                                          const char *service, size_t from, const char *part,
                                          const char *peer)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct join_export *e = &v[mid];
		int c = strcmp(e->service, service);
		if (!c)
			c = e->from < from ? -1 : e->from > from;
		if (!c)
			c = strcmp(e->partition, part);
		if (!c)
			c = strcmp(e->peer, peer);
		if (!c)
			return e;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* A row (FROM, SERVICE, PEER) of a partition PART names as
 * join_partition_eq() does, made already: the default partition is ""
 * or "default". */
static bool export_known(const struct xctx *xc, size_t from, const char *part, const char *service,
                         const char *peer)
{
	const struct join_export *e = NULL;
	size_t pos = 0, i;

	if (!str_set(part) || str_eq(part, "default")) {
		e = row_find(xc->made, xc->nmade, service, from, "", peer);
		if (!e)
			e = row_find(xc->made, xc->nmade, service, from, "default", peer);
	} else {
		e = row_find(xc->made, xc->nmade, service, from, part, peer);
	}
	while (!e && join_tab_next(&xc->known, known_hash(from, service, peer), &pos, &i)) {
		const struct join_export *x = &xc->ex->v[i].x;
		if (x->from == from && str_eq(x->service, service) && str_eq(x->peer, peer) &&
		    join_partition_eq(x->partition, part))
			e = x;
	}
	return e != NULL;
}

/* Imported on TO from a configured peer that no longer exports it. */
static int imports_of(struct xctx *xc, size_t to)
{
	const struct store_snapshot *const *snaps = xc->snaps;
	const struct store_snapshot *s = snaps[to];
	const struct join_cl *idx = join_cache_imports(xc->cache, to, s->services);

	if (!idx)
		return -1;
	for (size_t k = 0; k < idx->nimported; k++) {
		const struct model_service_summary *imp = &s->services->v[idx->imported[k]];
		const struct join_end *other = NULL;
		if (!find_end(xc, to, imp->partition, imp->peer_name, &other))
			continue;
		if (other->cluster == JOIN_NONE || !other->present ||
		    !has_data(snaps[other->cluster], STORE_SRC_EXPORTS))
			continue;
		if (export_known(xc, other->cluster, other->partition, imp->name, other->name))
			continue;
		struct join_export *x = export_new(xc, other->cluster, imp->name, other->name);
		if (!x)
			return -1;
		x->partition = other->partition;
		x->to = to;
		x->to_partition = imp->partition ? imp->partition : "";
		x->imported = true;
		x->instances = imp->instance_count;
		x->healthy = healthy_instances(imp);
		x->state = JOIN_CELL_NOT_EXPORTED;
		export_id(x, snaps[other->cluster]);
		x->intent = export_intent(x, snaps[other->cluster]);
	}
	return 0;
}

static int export_cmp(const void *pa, const void *pb)
{
	const struct join_export *a = pa, *b = pb;
	int c = strcmp(a->service, b->service);

	if (c)
		return c;
	if (a->from != b->from)
		return a->from < b->from ? -1 : 1;
	c = strcmp(a->partition, b->partition);
	if (c)
		return c;
	return strcmp(a->peer, b->peer);
}

/* ------------------------------------------------------------------- view */

/* What the exports are made from: the lists of every cluster they read (by
 * identity: the cache holds their snapshots) — the exports, the services,
 * the intentions that judge them, the gateways and identity that say
 * whether a partition has a gateway —, whether each source has data, the
 * clusters' names, and who is at each end of each pair. Equal keys: the
 * last build's exports can be reused. */
/* What the exports take from S's mesh gateways: the partitions that have
 * one (partition_without_gateway), not their health or addresses, so that a
 * gateway's health change leaves the exports as they were. */
static uint64_t gateway_partitions_key(uint64_t h, const struct store_snapshot *s)
{
	if (!s->has_identity || !s->identity->enterprise || !has_data(s, STORE_SRC_GATEWAYS))
		return join_hash_u64(h, 0);
	h = join_hash_u64(h, s->gateways->n + 1);
	for (size_t i = 0; i < s->gateways->n; i++)
		h = join_hash_str(h,
		                  s->gateways->v[i].partition ? s->gateways->v[i].partition : "");
	return h;
}

/* What the rows S exports read of S itself (SERVICES: its services list
 * too, which they read for "*" only). */
static uint64_t own_key(uint64_t h, const struct store_snapshot *s, bool services)
{
	static const enum store_src srcs[] = {STORE_SRC_EXPORTS,        STORE_SRC_SERVICES,
	                                      STORE_SRC_GATEWAYS,       STORE_SRC_INTENTIONS,
	                                      STORE_SRC_IDENTITY,       STORE_SRC_KUBE_EXPORTS,
	                                      STORE_SRC_KUBE_INTENTIONS};

	h = join_hash_u64(h, s != NULL);
	if (!s)
		return h;
	h = join_hash_str(h, s->name);
	h = join_hash_u64(h, (uint64_t)(uintptr_t)s->exports);
	h = join_hash_u64(h, (uint64_t)(uintptr_t)s->kube_exports);
	h = join_hash_u64(h, services ? (uint64_t)(uintptr_t)s->services : 0);
	h = gateway_partitions_key(h, s);
	h = join_hash_u64(h, (uint64_t)(uintptr_t)s->identity);
	h = join_hash_u64(h, (uint64_t)(uintptr_t)s->intentions);
	h = join_hash_u64(h, (uint64_t)(uintptr_t)s->kube_intentions);
	uint64_t flags = (uint64_t)s->has_exports | (uint64_t)s->has_identity << 1 |
	                 (uint64_t)peerings_known(s) << 31;
	for (size_t k = 0; k < sizeof srcs / sizeof srcs[0]; k++)
		flags |= (uint64_t)has_data(s, srcs[k]) << (k + 2);
	return join_hash_u64(h, flags);
}

/* What a row takes from a pair end, and what finding it reads. */
static uint64_t end_key(uint64_t h, const struct join_end *e)
{
	h = join_hash_u64(h, (uint64_t)e->cluster * 8 + e->present * 4 + (e->peering != NULL) * 2 +
	                             e->loading);
	return join_hash_str(join_hash_str(h, e->name), e->partition);
}

static uint64_t pair_key(const struct join_pair *r)
{
	return end_key(end_key(JOIN_HASH_SEED, &r->a), &r->b);
}

/* What the exports read of the pairs' ends, in the pairs' order. */
static uint64_t pairs_key(const struct pairs *p)
{
	uint64_t h = join_hash_u64(JOIN_HASH_SEED, p->n);

	for (size_t i = 0; i < p->n; i++)
		h = join_hash_u64(h, pair_key(&p->v[i]));
	return h ? h : 1;
}

static uint64_t exports_key(const struct store_snapshot *const *snaps, size_t n, uint64_t pairs)
{
	uint64_t h = join_hash_u64(JOIN_HASH_SEED, n);

	for (size_t i = 0; i < n; i++)
		h = own_key(h, snaps[i], true);
	return join_hash_u64(h, pairs);
}

/* A copy the cache owns of S (from its list of copies); "" is a literal. */
static const char *intern(struct join_cache *c, const char *s)
{
	if (!s || !*s)
		return "";
	for (size_t k = 0; k < c->npeers; k++)
		if (!strcmp(c->peers[k], s))
			return c->peers[k];
	char **pv = realloc(c->peers, (c->npeers + 1) * sizeof *pv);
	if (!pv)
		return NULL;
	c->peers = pv;
	if (!(c->peers[c->npeers] = strdup(s)))
		return NULL;
	return c->peers[c->npeers++];
}

/* What a row takes from a pair end points into a peerings list (or the
 * Helm values), which exports_key does not cover and every heartbeat
 * replaces: the cache keeps copies of it. That is the importing partition
 * of every row, and the peer and partition of "not exported" rows; the
 * rest comes from the lists the key covers. */
static int intern_ends(struct join_cache *c, struct tagged *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct join_export *x = &v[i].x;
		if (!(x->to_partition = intern(c, x->to_partition)))
			return -1;
		if (x->state != JOIN_CELL_NOT_EXPORTED)
			continue;
		if (!(x->peer = intern(c, x->peer)) || !(x->partition = intern(c, x->partition)))
			return -1;
	}
	return 0;
}

static int tagged_cmp(const void *pa, const void *pb)
{
	const struct tagged *a = pa, *b = pb;

	return export_cmp(&a->x, &b->x);
}

static bool tab_has(const struct join_tab *t, uint64_t key)
{
	size_t pos = 0, v;

	return join_tab_next(t, key, &pos, &v);
}

static uint64_t group_final(uint64_t h)
{
	return h ? h : 1; /* 0 is the group of "not exported" rows */
}

/* The key of every group of rows (struct join_cache, groups). The rows a
 * cluster exports towards a pair end are made from the cluster's own
 * lists (own_key(), its services only when it exports "*"), which of its
 * peer names find which pair end (the pairs it has an end in, in order),
 * the pair's two ends, and the importing cluster's services list; towards
 * a peer no pair has, from the first two. The rows of imports nobody
 * exports, from the importing cluster's lists, its pairs, and whether the
 * cluster at each pair's other end exports a service (its own lists, as
 * for its exported rows). Whether the last build had each group. */
static int group_keys(struct xctx *xc)
{
	const struct pairs *p = xc->p;
	const struct join_tab *old = &xc->cache->group_keys;
	size_t n = xc->n, ne = 2 * p->n, nn = n ? n : 1;
	uint64_t *own = calloc(nn, sizeof *own), *cl = calloc(nn, sizeof *cl);
	uint64_t *pk = calloc(p->n ? p->n : 1, sizeof *pk);
	int rc = -1;

	xc->gk = calloc(ne ? ne : 1, sizeof *xc->gk);
	xc->gnone = calloc(nn, sizeof *xc->gnone);
	xc->gimp = calloc(nn, sizeof *xc->gimp);
	xc->gk_kept = calloc(ne ? ne : 1, sizeof *xc->gk_kept);
	xc->gnone_kept = calloc(nn, sizeof *xc->gnone_kept);
	xc->gimp_kept = calloc(nn, sizeof *xc->gimp_kept);
	xc->exp_dirty = calloc(nn, sizeof *xc->exp_dirty);
	if (!own || !cl || !pk || !xc->gk || !xc->gnone || !xc->gimp || !xc->gk_kept ||
	    !xc->gnone_kept || !xc->gimp_kept || !xc->exp_dirty)
		goto out;
	for (size_t i = 0; i < n; i++) {
		const struct store_snapshot *s = xc->snaps[i];
		uint64_t h = join_hash_u64(join_hash_u64(JOIN_HASH_SEED, n), i);
		own[i] = own_key(h, s, s && exports_all(s));
		cl[i] = own[i];
		xc->gimp[i] = own_key(join_hash_u64(h, 1), s, true);
	}
	for (size_t k = 0; k < p->n; k++) {
		const struct join_pair *r = &p->v[k];
		const struct join_end *e[2] = {&r->a, &r->b};
		pk[k] = pair_key(r);
		for (int side = 0; side < 2; side++) {
			size_t c = e[side]->cluster, o = e[!side]->cluster;
			if (!e[side]->present || c >= n)
				continue;
			cl[c] = join_hash_u64(cl[c], pk[k] * 2 + (uint64_t)side);
			xc->gimp[c] = join_hash_u64(
			        join_hash_u64(xc->gimp[c], pk[k] * 2 + (uint64_t)side),
			        o < n ? own[o] : 0);
		}
	}
	for (size_t i = 0; i < n; i++) {
		xc->gnone[i] = group_final(join_hash_u64(cl[i], 0));
		xc->gnone_kept[i] = tab_has(old, xc->gnone[i]);
		xc->exp_dirty[i] = !xc->gnone_kept[i];
		xc->gimp[i] = group_final(xc->gimp[i]);
		xc->gimp_kept[i] = tab_has(old, xc->gimp[i]);
	}
	for (size_t v = 0; v < ne; v++) {
		const struct join_pair *r = &p->v[v / 2];
		const struct join_end *me = v % 2 ? &r->b : &r->a, *other = v % 2 ? &r->a : &r->b;
		if (!me->present || me->cluster >= n)
			continue; /* no row finds it */
		uint64_t h = join_hash_u64(join_hash_u64(cl[me->cluster], pk[v / 2]), v % 2 + 1);
		const struct store_snapshot *to =
		        other->cluster < n ? xc->snaps[other->cluster] : NULL;
		if (to)
			h = join_hash_u64(join_hash_u64(h, (uint64_t)(uintptr_t)to->services),
			                  has_data(to, STORE_SRC_SERVICES));
		xc->gk[v] = group_final(h);
		xc->gk_kept[v] = tab_has(old, xc->gk[v]);
		xc->exp_dirty[me->cluster] |= !xc->gk_kept[v];
	}
	rc = 0;
out:
	free(own);
	free(cl);
	free(pk);
	return rc;
}

/* Every group's key of this build into T. */
static int group_table(struct join_tab *t, const struct xctx *xc)
{
	for (size_t i = 0; i < xc->n; i++)
		if (join_tab_put(t, xc->gnone[i], 0) || join_tab_put(t, xc->gimp[i], 0))
			return -1;
	for (size_t v = 0; v < 2 * xc->p->n; v++)
		if (xc->gk[v] && join_tab_put(t, xc->gk[v], 0))
			return -1;
	return 0;
}

/* OLD (sorted, GOLD the group of each row) and NEW (sorted) merged into
 * *OUT and *OUT_GROUPS; with NOW, the rows of OLD whose group is not in it
 * are left out (0 never is). */
static int merge_rows(const struct join_export *old, const uint64_t *gold, size_t nold,
                      const struct tagged *new, size_t nnew, const struct join_tab *now,
                      struct join_export **out, uint64_t **out_groups, size_t *n)
{
	size_t cap = nold + nnew, i = 0, j = 0, k = 0;
	struct join_export *v = malloc((cap ? cap : 1) * sizeof *v);
	uint64_t *g = malloc((cap ? cap : 1) * sizeof *g);

	if (!v || !g) {
		free(v);
		free(g);
		return -1;
	}
	for (;;) {
		while (i < nold && now && (!gold[i] || !tab_has(now, gold[i])))
			i++;
		if (i == nold && j == nnew)
			break;
		if (j == nnew || (i < nold && export_cmp(&old[i], &new[j].x) < 0)) {
			g[k] = gold[i];
			v[k++] = old[i++];
		} else {
			g[k] = new[j].group;
			v[k++] = new[j++].x;
		}
	}
	/* The room of the rows left out goes back. */
	if (k && k < cap) {
		struct join_export *sv = realloc(v, k * sizeof *v);
		uint64_t *sg = realloc(g, k * sizeof *g);
		v = sv ? sv : v;
		g = sg ? sg : g;
	}
	*out = v;
	*out_groups = g;
	*n = k;
	return 0;
}
static void xctx_free(struct xctx *xc)
{
	join_tab_free(&xc->ends);
	join_tab_free(&xc->known);
	free(xc->gk);
	free(xc->gnone);
	free(xc->gimp);
	free(xc->gk_kept);
	free(xc->gnone_kept);
	free(xc->gimp_kept);
	free(xc->exp_dirty);
	free(xc->ex->v);
	xc->ex->v = NULL;
	xc->ex->n = xc->ex->cap = 0;
}

/* The rows of imports nobody exports, of the importing clusters whose
 * group the last build did not have, after the rows *MADE (M of them, *GM
 * their groups), merged with them into EX and *GROUPS, which take what
 * *MADE and *GM held. */
static int add_not_exported(struct xctx *xc, struct join_export **made, uint64_t **gm, size_t m,
                            struct exports *ex, uint64_t **groups)
{
	xc->made = *made;
	xc->nmade = m;
	xc->ex->n = 0;
	for (size_t i = 0; i < xc->n; i++) {
		if (!xc->snaps[i] || xc->gimp_kept[i])
			continue;
		xc->group = xc->gimp[i];
		if (imports_of(xc, i))
			return -1;
	}
	if (!xc->ex->n) {
		ex->v = *made;
		ex->n = ex->cap = m;
		*groups = *gm;
		*made = NULL;
		*gm = NULL;
		return 0;
	}
	qsort(xc->ex->v, xc->ex->n, sizeof *xc->ex->v, tagged_cmp);
	if (!xc->cache->once && intern_ends(xc->cache, xc->ex->v, xc->ex->n))
		return -1;
	if (merge_rows(*made, *gm, m, xc->ex->v, xc->ex->n, NULL, &ex->v, groups, &ex->n))
		return -1;
	ex->cap = ex->n;
	return 0;
}

/* The exports into EX: the cached ones when KEY is the cache's, else new
 * ones, which the cache then keeps. Either way the view borrows the cache's
 * one array: a copy for each build was the largest block a review of new
 * stream times made (435 KB at 8 clusters x 2,000 services), and every
 * view held one beside the cache's.
 *
 * New ones are made by groups (the cache's groups): the rows of a group
 * whose key the last build had are kept, and only the others are made, so
 * that a change of one cluster's lists makes again the rows that read
 * them, not every row (12,800 at 64 clusters of 100 services, some 58 M
 * instructions at each gateway's change). */
static int build_exports(struct join_cache *cache, const struct store_snapshot *const *snaps,
                         size_t n, const struct pairs *p, uint64_t key, struct exports *ex)
{
	struct rows made = {0};
	struct xctx xc = {.p = p, .snaps = snaps, .n = n, .cache = cache, .ex = &made};
	struct join_tab now = {0};
	struct join_export *m = NULL;
	uint64_t *gm = NULL, *groups = NULL;
	size_t nm = 0;
	int rc = -1;

	if (cache->have_exports && cache->exports_key == key) {
		cache->stats.exports_reused++;
		ex->v = cache->exports;
		ex->n = ex->cap = cache->nexports;
		ex->borrowed = true;
		return 0;
	}
	/* Rows are kept for the same clusters only, and while the copies
	 * kept for them (intern()) are not mostly of rows gone. */
	if (cache->once || !cache->have_exports || cache->groups_n != n ||
	    cache->npeers > 64 + cache->nexports / 4)
		join_cache_forget_exports(cache);
	cache->stats.exports_builds++;
	cache->exports_gen++;
	if (index_ends(&xc) || group_keys(&xc) || group_table(&now, &xc))
		goto out;
	for (size_t i = 0; i < n; i++)
		if (snaps[i] && xc.exp_dirty[i] && exports_of(&xc, i))
			goto out;
	cache->stats.rows_made += made.n;
	if (made.n)
		qsort(made.v, made.n, sizeof *made.v, tagged_cmp);
	if (!cache->once && intern_ends(cache, made.v, made.n))
		goto out;
	if (merge_rows(cache->exports, cache->groups, cache->nexports, made.v, made.n, &now, &m,
	               &gm, &nm) ||
	    add_not_exported(&xc, &m, &gm, nm, ex, &groups))
		goto out;
	if (cache->once) {
		rc = 0;
		goto out;
	}
	free(cache->exports);
	free(cache->groups);
	join_tab_free(&cache->group_keys);
	cache->exports = ex->v;
	cache->groups = groups;
	groups = NULL;
	cache->group_keys = now;
	now = (struct join_tab){0};
	cache->groups_n = n;
	ex->borrowed = true;
	cache->nexports = ex->n;
	cache->exports_key = key;
	cache->have_exports = true;
	rc = 0;
out:
	if (rc && ex->v && ex->v != cache->exports) {
		free(ex->v);
		ex->v = NULL;
		ex->n = ex->cap = 0;
	}
	free(m);
	free(gm);
	free(groups);
	join_tab_free(&now);
	xctx_free(&xc);
	if (rc)
		join_cache_forget_exports(cache);
	return rc;
}

/* The earliest moment after NOW at which E's heartbeat judgment or the
 * age its problem shows changes, into *next. */
static void end_next_change(const struct join_end *e, bool shown, long hb_ms, int64_t now,
                            int64_t *next)
{
	int64_t at = 0, ms = 1000000;

	if (!e->present || end_state(e) != MODEL_PEERING_ACTIVE || !e->peering->has_stream_status)
		return;
	/* "last heartbeat ... 42s ago" counts: each second in the first
	 * minute, then each minute ("3m"), then each hour. */
	if (shown && e->heartbeat_age_ms >= 0)
		at = now + model_age_next_ms(e->heartbeat_age_ms) * ms;
	else if (e->heartbeat_age_ms >= 0 && e->heartbeat_age_ms <= hb_ms)
		at = now + (hb_ms - e->heartbeat_age_ms + 1) * ms;
	else if (e->heartbeat_age_ms < 0 && e->receive_age_ms >= 0 && e->receive_age_ms <= hb_ms)
		at = now + (hb_ms - e->receive_age_ms + 1) * ms;
	if (at && (!*next || at < *next))
		*next = at;
}

/* E, an end of a pair of the held snapshots, moved to the same end in
 * SNAPS, which differ from them at most in the peerings' stream times: the
 * same peering by its place in a list of the same shape, its name and
 * partition with it, its ages at NOW_NS. False when a name does not come
 * from its peering (two peerings of one name), which only a match can
 * follow. */
static bool end_remap(struct join_end *e, const struct store_snapshot *const *snaps, int64_t now_ns)
{
	if (e->cluster == JOIN_NONE)
		return true;
	const struct store_snapshot *old = e->snap, *now = snaps[e->cluster];
	const struct model_peering *op = e->peering;

	e->snap = now;
	if (op) {
		const struct model_peering *np = &now->peerings->v[op - old->peerings->v];
		if (e->name != op->name || (op->partition && e->partition != op->partition))
			return false;
		e->name = np->name;
		if (op->partition)
			e->partition = np->partition;
		e->peering = np;
	}
	end_ages(e, now_ns);
	return true;
}

/* The last build's pairs for SNAPS, when they differ from the snapshots it
 * held only in the peerings' stream times (the same lists otherwise, by
 * store_snapshot_same_but_times()), into P, ready to be judged again:
 * the ends found, sorted and named as before. False when it cannot tell,
 * and the ends are matched anew. */
static bool pairs_reuse(struct join_cache *cache, const struct store_snapshot *const *snaps,
                        size_t n, int64_t now_ns, struct pairs *p)
{
	if (cache->once || !cache->pairs || cache->nheld != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (cache->held[i] != snaps[i] &&
		    !store_snapshot_same_but_times(cache->held[i], snaps[i]))
			return false;
	/* Judged again in place: the view borrows them (a copy for each build
	 * was two of 400 KB at 640 pairs). */
	struct join_pair *v = cache->pairs;
	for (size_t i = 0; i < cache->npairs; i++) {
		struct join_pair *r = &v[i];
		if (!end_remap(&r->a, snaps, now_ns) || !end_remap(&r->b, snaps, now_ns)) {
			join_cache_forget_pairs(cache); /* half moved: of no use */
			return false;
		}
		const struct model_peering *ap = r->a.peering;
		r->remote_datacenter = ap && ap->has_remote ? ap->remote.datacenter : "";
	}
	p->v = v;
	p->n = p->cap = cache->npairs;
	cache->stats.pairs_reused++;
	return true;
}

/* Keeps P's pairs for the next build (pairs_reuse()): the cache takes
 * them, and the view borrows them. */
static void pairs_keep(struct join_cache *cache, struct pairs *p)
{
	if (cache->once)
		return;
	if (p->v != cache->pairs) {
		join_cache_forget_pairs(cache);
		cache->pairs = p->v;
		cache->npairs = p->n;
	}
	cache->pairs_fresh = true; /* for the snapshots join_cache_hold() takes next */
}

static int build(struct join_cache *cache, const struct store_snapshot *const *snaps, size_t n,
                 int64_t now_ns, long hb_ms, struct join_view *out, struct cands *c,
                 struct pairs *p, struct exports *ex)
{
	bool all_known = true;

	if (join_cache_reserve(cache, n))
		return -1;
	bool reused = pairs_reuse(cache, snaps, n, now_ns, p);
	if (!reused && (collect(snaps, n, c) || match_all(c, snaps, n, now_ns, p)))
		return -1;
	for (size_t i = 0; i < n; i++)
		all_known =
		        all_known && snaps[i] && snaps[i]->has_identity && peerings_known(snaps[i]);
	for (size_t i = 0; i < p->n; i++) {
		struct join_pair *r = &p->v[i];
		pair_finish(r, hb_ms, all_known);
		/* pair_problem() wrote the heartbeat's age (model_age_format). */
		bool shown = strstr(r->problem, "last heartbeat") != NULL;
		end_next_change(&r->a, shown, hb_ms, now_ns, &out->next_change_ns);
		end_next_change(&r->b, shown, hb_ms, now_ns, &out->next_change_ns);
	}
	if (!reused) {
		if (p->n)
			qsort(p->v, p->n, sizeof *p->v, pair_cmp);
		pair_ids(p->v, p->n);
	}
	/* Pairs judged again have the ends they had, their names and
	 * partitions the same texts: their key stands. Hashed again at every
	 * review of new stream times, it was a quarter of the join at 640
	 * pairs. */
	uint64_t pk = reused && cache->pairs_key ? cache->pairs_key : pairs_key(p);
	pairs_keep(cache, p);
	if (!cache->once)
		cache->pairs_key = pk;
	if (build_exports(cache, snaps, n, p, exports_key(snaps, n, pk), ex))
		return -1;
	out->exports_gen = cache->exports_gen;
	out->gateways = calloc(n ? n : 1, sizeof *out->gateways);
	if (!out->gateways)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (snaps[i] && gateways_fill(&out->gateways[out->ngateways++], snaps[i]))
			return -1;
	return 0;
}

int join_build_cached(struct join_cache *cache, const struct store_snapshot *const *snaps, size_t n,
                      int64_t now_ns, const struct join_options *opt, struct join_view *out)
{
	struct cands c = {0};
	struct pairs p = {0};
	struct exports ex = {0};
	long hb_ms = opt && opt->heartbeat_stale_ms > 0 ? opt->heartbeat_stale_ms
	                                                : JOIN_DEFAULT_HEARTBEAT_STALE_MS;

	memset(out, 0, sizeof *out);
	int rc = build(cache, snaps, n, now_ns, hb_ms, out, &c, &p, &ex);
	free(c.v);
	join_tab_free(&c.by_name);
	join_tab_free(&c.by_id);
	out->pairs = p.v;
	out->npairs = p.n;
	out->exports = ex.v;
	out->nexports = ex.n;
	out->exports_borrowed = ex.borrowed;
	out->pairs_borrowed = p.v && p.v == cache->pairs;
	/* A build that failed may have kept exports or indexes keyed on lists
	 * of the snapshots the hold releases: their addresses can come back
	 * with other lists, so nothing of it is kept. */
	if (rc)
		join_cache_forget(cache);
	if (join_cache_hold(cache, snaps, n) < 0 && rc == 0) {
		/* The cache dropped what the view borrows. */
		if (out->pairs_borrowed)
			out->pairs = NULL;
		if (out->exports_borrowed)
			out->exports = NULL;
		rc = -1;
	}
	if (rc) {
		join_view_free(out);
		return -1;
	}
	for (size_t i = 0; i < p.n; i++) {
		if (end_state(&p.v[i].a) == MODEL_PEERING_ACTIVE &&
		    end_state(&p.v[i].b) == MODEL_PEERING_ACTIVE)
			out->pairs_active++;
		if (!p.v[i].healthy && !(p.v[i].flags & JOIN_F_LOADING))
			out->problems++;
	}
	for (size_t i = 0; i < ex.n; i++)
		if (ex.v[i].state == JOIN_CELL_NOT_IMPORTED ||
		    ex.v[i].state == JOIN_CELL_NOT_EXPORTED || ex.v[i].no_partition_gateway ||
		    (ex.v[i].state == JOIN_CELL_OK && !join_intent_ok(ex.v[i].intent)))
			out->problems++;
	return 0;
}

int join_build(const struct store_snapshot *const *snaps, size_t n, int64_t now_ns,
               const struct join_options *opt, struct join_view *out)
{
	struct join_cache *cache = join_cache_new();
	int rc;

	if (!cache) {
		memset(out, 0, sizeof *out);
		return -1;
	}
	/* Used once: the view may borrow from the snapshots alone. */
	cache->once = true;
	rc = join_build_cached(cache, snaps, n, now_ns, opt, out);
	join_cache_free(cache);
	out->exports_gen = 0;
	return rc;
}

void join_view_free(struct join_view *v)
{
	if (!v)
		return;
	for (size_t i = 0; i < v->ngateways; i++)
		free(v->gateways[i].peers);
	free(v->gateways);
	if (!v->pairs_borrowed)
		free(v->pairs);
	if (!v->exports_borrowed)
		free(v->exports);
	memset(v, 0, sizeof *v);
}

const struct join_pair *join_find_pair(const struct join_view *v, const char *id)
{
	for (size_t i = 0; i < v->npairs; i++)
		if (strcmp(v->pairs[i].id, id) == 0)
			return &v->pairs[i];
	return NULL;
}

const char *join_export_problem(const struct join_export *x, char *buf, size_t len)
{
	if (!x->no_partition_gateway)
		return NULL;
	snprintf(buf, len,
	         "no mesh gateway in partition %.63s, which exports %.63s (Consul Enterprise needs "
	         "one there)",
	         str_set(x->partition) ? x->partition : "default", x->service);
	return buf;
}

/* Orders (service, from) as export_cmp does. */
static int export_key_cmp(const struct join_export *e, const char *service, size_t from)
{
	int c = strcmp(e->service, service);

	if (c)
		return c;
	return e->from < from ? -1 : e->from > from;
}

const struct join_export *join_find_exports(const struct join_view *v, const char *service,
                                            size_t from, size_t *n)
{
	size_t lo = 0, hi = v ? v->nexports : 0, end;

	*n = 0;
	while (lo < hi) { /* the first not below the key */
		size_t mid = lo + (hi - lo) / 2;
		if (export_key_cmp(&v->exports[mid], service, from) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (end = lo; v && end < v->nexports && !export_key_cmp(&v->exports[end], service, from);
	     end++)
		;
	*n = end - lo;
	return *n ? &v->exports[lo] : NULL;
}
