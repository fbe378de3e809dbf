/* Unit tests of join: pairs, flags, the service x peer matrix, gateways. */
#include "autoconfig.h"

#include "unit.h"

#include "peerscope/join.h"

#include "../../src/join_index.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SEC 1000000000LL
#define NOW (1700000000LL * SEC)

/* ---------------------------------------------------------------- builders */

static char *dup(const char *s)
{
	char *d = strdup(s ? s : "");
	ck_assert_ptr_nonnull(d);
	return d;
}

static void *grow(void *v, size_t n, size_t size)
{
	void *r = realloc(v, (n + 1) * size);
	ck_assert_ptr_nonnull(r);
	memset((char *)r + n * size, 0, size);
	return r;
}

/* A cluster under construction: mutable lists, turned into parts at the end. */
struct fx {
	struct store_snapshot *s;
	struct model_peering_list *peerings;
	struct store_kube_peerings *acceptors, *dialers;
	struct store_kube_secrets *secrets;
	struct model_service_summary_list *services;
	struct model_exported_services_entry *exports;
	struct model_instance_list *gateways;
	struct store_intentions *intentions;
};

static void fx_init(struct fx *f, size_t index, const char *name, const char *dc)
{
	memset(f, 0, sizeof *f);
	f->s = store_snapshot_new(index, name, "ctx-", "");
	ck_assert_ptr_nonnull(f->s);
	f->peerings = calloc(1, sizeof *f->peerings);
	f->acceptors = calloc(1, sizeof *f->acceptors);
	f->dialers = calloc(1, sizeof *f->dialers);
	f->secrets = calloc(1, sizeof *f->secrets);
	f->services = calloc(1, sizeof *f->services);
	f->exports = calloc(1, sizeof *f->exports);
	f->gateways = calloc(1, sizeof *f->gateways);
	f->intentions = calloc(1, sizeof *f->intentions);
	struct model_cluster_identity *id = calloc(1, sizeof *id);
	ck_assert_ptr_nonnull(id);
	id->datacenter = dup(dc);
	struct store_part *p = store_part_identity(id);
	f->s->identity = store_hold(f->s, STORE_SRC_IDENTITY, p);
	store_part_unref(p);
	f->s->has_identity = true;
	for (int i = 0; i < STORE_SRC_COUNT; i++) {
		f->s->sources[i].state = MODEL_SOURCE_OK;
		f->s->sources[i].last_ok_ns = NOW - SEC;
	}
}

static struct model_peering *fx_peering(struct fx *f, const char *name, const char *id,
                                        const char *peer_id, enum model_peering_state st,
                                        int64_t hb_age_s)
{
	f->peerings->v = grow(f->peerings->v, f->peerings->n, sizeof *f->peerings->v);
	struct model_peering *p = &f->peerings->v[f->peerings->n++];
	p->name = dup(name);
	p->id = dup(id);
	p->peer_id = dup(peer_id);
	p->state = st;
	p->has_stream_status = true;
	p->stream.last_heartbeat_ns = hb_age_s < 0 ? 0 : NOW - hb_age_s * SEC;
	return p;
}

static struct model_kube_peering *fx_cr(struct fx *f, enum model_peering_role role,
                                        const char *name, const char *secret, const char *key)
{
	struct store_kube_peerings *l = role == MODEL_PEERING_ACCEPTOR ? f->acceptors : f->dialers;
	l->v = grow(l->v, l->n, sizeof *l->v);
	struct model_kube_peering *cr = &l->v[l->n++];
	cr->role = role;
	cr->meta.name = dup(name);
	cr->meta.ns = dup("consul");
	cr->spec_secret.name = dup(secret);
	cr->spec_secret.key = dup(key);
	cr->synced.status = MODEL_COND_TRUE;
	return cr;
}

static void fx_secret(struct fx *f, const char *name, const char *key)
{
	f->secrets->v = grow(f->secrets->v, f->secrets->n, sizeof *f->secrets->v);
	struct model_kube_secret *s = &f->secrets->v[f->secrets->n++];
	s->meta.name = dup(name);
	s->meta.ns = dup("consul");
	s->token_label = true;
	s->keys = calloc(1, sizeof *s->keys);
	ck_assert_ptr_nonnull(s->keys);
	s->keys[0].key = dup(key);
	s->keys[0].size = 100;
	s->nkeys = 1;
}

static void fx_service(struct fx *f, const char *name, const char *peer, unsigned n,
                       unsigned critical)
{
	f->services->v = grow(f->services->v, f->services->n, sizeof *f->services->v);
	struct model_service_summary *s = &f->services->v[f->services->n++];
	s->name = dup(name);
	s->peer_name = dup(peer);
	s->kind = dup("");
	s->instance_count = n;
	s->checks_critical = critical;
}

static void fx_export(struct fx *f, const char *service, const char *peer)
{
	struct model_exported_services_entry *e = f->exports;
	e->services = grow(e->services, e->nservices, sizeof *e->services);
	struct model_export_service *s = &e->services[e->nservices++];
	s->name = dup(service);
	s->consumers = calloc(1, sizeof *s->consumers);
	ck_assert_ptr_nonnull(s->consumers);
	s->consumers[0].peer = dup(peer);
	s->nconsumers = 1;
	f->s->has_exports = true;
}

/* A source of the service-intentions entry of DEST (made when absent). */
static void fx_intention(struct fx *f, const char *dest, const char *source, const char *peer,
                         enum model_intention_action action)
{
	struct store_intentions *l = f->intentions;
	struct model_service_intentions_entry *e = NULL;

	for (size_t i = 0; i < l->n && !e; i++)
		if (!strcmp(l->v[i].head.name, dest))
			e = &l->v[i];
	if (!e) {
		l->v = grow(l->v, l->n, sizeof *l->v);
		e = &l->v[l->n++];
		e->head.name = dup(dest);
	}
	e->sources = grow(e->sources, e->nsources, sizeof *e->sources);
	struct model_intention_source *x = &e->sources[e->nsources++];
	x->name = dup(source);
	x->peer = dup(peer);
	x->action = action;
}

static void fx_gateway(struct fx *f, const char *id, enum model_health h)
{
	f->gateways->v = grow(f->gateways->v, f->gateways->n, sizeof *f->gateways->v);
	struct model_service_instance *g = &f->gateways->v[f->gateways->n++];
	g->service_id = dup(id);
	g->health = h;
}

#define HOLD(f, slot, field, ctor)                                                                 \
	do {                                                                                       \
		struct store_part *p_ = ctor(f->field);                                            \
		f->s->field = store_hold(f->s, slot, p_);                                          \
		store_part_unref(p_);                                                              \
	} while (0)

static struct store_snapshot *fx_done(struct fx *f)
{
	HOLD(f, STORE_SRC_PEERINGS, peerings, store_part_peerings);
	HOLD(f, STORE_SRC_KUBE_ACCEPTORS, acceptors, store_part_kube_peerings);
	HOLD(f, STORE_SRC_KUBE_DIALERS, dialers, store_part_kube_peerings);
	struct store_part *p = store_part_kube_secrets(f->secrets);
	f->s->token_secrets = store_hold(f->s, STORE_SRC_KUBE_SECRETS, p);
	store_part_unref(p);
	HOLD(f, STORE_SRC_SERVICES, services, store_part_services);
	HOLD(f, STORE_SRC_EXPORTS, exports, store_part_exports);
	HOLD(f, STORE_SRC_GATEWAYS, gateways, store_part_instances);
	HOLD(f, STORE_SRC_INTENTIONS, intentions, store_part_intentions);
	return f->s;
}

static void snaps_free(struct store_snapshot **s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		store_snapshot_unref(s[i]);
}

/* Two clusters peered the consul-k8s way: east accepts, west dials. */
static void peered(struct fx *east, struct fx *west, enum model_peering_state es,
                   enum model_peering_state ws)
{
	fx_init(east, 0, "east", "dc-east");
	fx_init(west, 1, "west", "dc-west");
	fx_peering(east, "west", "id-a", "", es, 2);
	fx_cr(east, MODEL_PEERING_ACCEPTOR, "west", "peering-token", "data");
	fx_secret(east, "peering-token", "data");
	fx_peering(west, "east", "id-d", "id-a", ws, 3);
	fx_cr(west, MODEL_PEERING_DIALER, "east", "peering-token", "data");
	fx_secret(west, "peering-token", "data");
}

/* ------------------------------------------------------------------- pairs */

START_TEST(healthy_pair_joined_by_id)
{
	struct fx e, w;
	peered(&e, &w, MODEL_PEERING_ACTIVE, MODEL_PEERING_ACTIVE);
	const struct store_snapshot *s[2] = {fx_done(&e), fx_done(&w)};
	struct join_view v;

	ck_assert_int_eq(join_build(s, 2, NOW, NULL, &v), 0);
	ck_assert_uint_eq(v.npairs, 1);
	const struct join_pair *p = &v.pairs[0];
	ck_assert_str_eq(p->id, "east|west");
	ck_assert_uint_eq(p->a.cluster, 0);
	ck_assert_uint_eq(p->b.cluster, 1);
	ck_assert_str_eq(p->a.name, "west");
	ck_assert_str_eq(p->b.name, "east");
	ck_assert(p->a.acceptor && p->b.dialer);
	ck_assert_ptr_nonnull(p->b.secret);
	ck_assert_int_eq(p->a.heartbeat_age_ms, 2000);
	ck_assert_uint_eq(p->flags, 0);
	ck_assert(p->healthy);
	ck_assert_str_eq(p->problem, "");
	ck_assert_uint_eq(v.pairs_active, 1);
	ck_assert_uint_eq(v.problems, 0);
	ck_assert_ptr_eq(join_find_pair(&v, "east|west"), p);
	ck_assert_ptr_null(join_find_pair(&v, "west|east"));
	join_view_free(&v);
	snaps_free((struct store_snapshot **)s, 2);
}
END_TEST

START_TEST(pair_joined_by_datacenter_and_by_name)
{
	struct fx a, b, c;
	fx_init(&a, 0, "one", "dc1");
	fx_init(&b, 1, "two", "dc2");
	fx_init(&c, 2, "three", "dc3");
	/* one <-> two by Remote.Datacenter, under aliases that name no one. */
	struct model_peering *p = fx_peering(&a, "alias-x", "i1", "", MODEL_PEERING_ACTIVE, 1);
	p->has_remote = true;
	p->remote.datacenter = dup("dc2");
	p = fx_peering(&b, "alias-y", "i2", "", MODEL_PEERING_ACTIVE, 1);
	p->has_remote = true;
	p->remote.datacenter = dup("dc1");
	/* one <-> three by name only (PENDING, no ids). */
	fx_peering(&a, "three", "i3", "", MODEL_PEERING_PENDING, -1);
	fx_peering(&c, "dc1", "i4", "", MODEL_PEERING_ESTABLISHING, -1);
	const struct store_snapshot *s[3] = {fx_done(&a), fx_done(&b), fx_done(&c)};
	struct join_view v;

	ck_assert_int_eq(join_build(s, 3, NOW, NULL, &v), 0);
	ck_assert_uint_eq(v.npairs, 2);
	ck_assert_str_eq(v.pairs[0].id, "one|two");
	ck_assert_str_eq(v.pairs[0].a.name, "alias-x");
	ck_assert_str_eq(v.pairs[0].b.name, "alias-y");
	ck_assert(v.pairs[0].healthy);
	ck_assert_str_eq(v.pairs[1].id, "one|three");
	ck_assert_str_eq(v.pairs[1].b.name, "dc1");
	ck_assert(!v.pairs[1].healthy);
	ck_assert_str_eq(v.pairs[1].problem, "PENDING on one");
	ck_assert_uint_eq(v.problems, 1);
	join_view_free(&v);
	snaps_free((struct store_snapshot **)s, 3);
}
END_TEST

START_TEST(asymmetric_when_other_side_terminated)
{
	struct fx e, w;
	peered(&e, &w, MODEL_PEERING_ACTIVE, MODEL_PEERING_TERMINATED);
	const struct store_snapshot *s[2] = {fx_done(&e), fx_done(&w)};
	struct join_view v;

	ck_assert_int_eq(join_build(s, 2, NOW, NULL, &v), 0);
	ck_assert_uint_eq(v.npairs, 1);
	ck_assert(v.pairs[0].flags & JOIN_F_ASYMMETRIC);
	ck_assert(v.pairs[0].flags & JOIN_F_STATE_BAD);
	ck_assert(!v.pairs[0].healthy);
	ck_assert_str_eq(v.pairs[0].problem, "ACTIVE on east but TERMINATED on west");
	join_view_free(&v);
	snaps_free((struct store_snapshot **)s, 2);
}
END_TEST

START_TEST(asymmetric_when_other_side_absent)
{
	struct fx e, w;
	fx_init(&e, 0, "east", "dc-east");
	fx_init(&w, 1, "west", "dc-west");
	fx_peering(&e, "west", "id-a", "", MODEL_PEERING_ACTIVE, 1);
	const struct store_snapshot *s[2] = {fx_done(&e), fx_done(&w)};
	struct join_view v;

	ck_assert_int_eq(join_build(s, 2, NOW, NULL, &v), 0);
	ck_assert_uint_eq(v.npairs, 1);
	ck_assert(!v.pairs[0].b.present);
	ck_assert_uint_eq(v.pairs[0].b.cluster, 1);
	ck_assert(v.pairs[0].flags & JOIN_F_ASYMMETRIC);
	ck_assert(!(v.pairs[0].flags & JOIN_F_ONE_SIDED));
	ck_assert_str_eq(v.pairs[0].problem, "ACTIVE on east but absent on west");
	join_view_free(&v);
	snaps_free((struct store_snapshot **)s, 2);
}
END_TEST

START_TEST(absent_end_is_a_when_lower_index)
{
	struct fx e, w;
	fx_init(&e, 0, "east", "dc-east");
	fx_init(&w, 1, "west", "dc-west");
	fx_cr(&w, MODEL_PEERING_DIALER, "east", "peering-token", "data");
	fx_secret(&w, "peering-token", "data");
	const struct store_snapshot *s[2] = {fx_done(&e), fx_done(&w)};
	struct join_view v;

	ck_assert_int_eq(join_build(s, 2, NOW, NULL, &v), 0);
	ck_assert_uint_eq(v.npairs, 1);
	ck_assert(!v.pairs[0].a.present);
	ck_assert_uint_eq(v.pairs[0].a.cluster, 0);
	ck_assert(v.pairs[0].b.present);
	ck_assert(v.pairs[0].flags & JOIN_F_CR_WITHOUT_PEERING);
	ck_assert_str_eq(v.pairs[0].problem,
	                 "PeeringDialer east on west has no Consul peering yet");
	join_view_free(&v);
	snaps_free((struct store_snapshot **)s, 2);
}
END_TEST

START_TEST(stale_heartbeat)
{
	struct fx e, w;
	peered(&e, &w, MODEL_PEERING_ACTIVE, MODEL_PEERING_ACTIVE);
	e.peerings->v[0].stream.last_heartbeat_ns = NOW - 120 * SEC;
	w.peerings->v[0].stream.last_heartbeat_ns = 0;
	const struct store_snapshot *s[2] = {fx_done(&e), fx_done(&w)};
	struct join_view v;
	struct join_options o = {.heartbeat_stale_ms = 200000};

	ck_assert_int_eq(join_build(s, 2, NOW, NULL, &v), 0);
	ck_assert(v.pairs[0].flags & JOIN_F_HEARTBEAT_STALE);
	ck_assert_str_eq(v.pairs[0].problem, "last heartbeat on east 2m ago");
	ck_assert_int_eq(v.pairs[0].b.heartbeat_age_ms, -1);
	/* The age in the problem counts in minutes after the first: the
	 * view changes when it is 3m, not every second. */
	ck_assert(v.next_change_ns == NOW + 60 * SEC);
	join_view_free(&v);
	ck_assert_int_eq(join_build(s, 2, NOW + 30 * SEC + 500000, NULL, &v), 0);
	ck_assert_str_eq(v.pairs[0].problem, "last heartbeat on east 2m ago");
	ck_assert(v.next_change_ns == NOW + 60 * SEC + 500000); /* ages count whole ms */
	join_view_free(&v);
	/* Within the first minute (a threshold of 30 s) it counts seconds. */
	struct join_options short_hb = {.heartbeat_stale_ms = 30000};
	ck_assert_int_eq(join_build(s, 2, NOW - 75 * SEC - 250000000, &short_hb, &v), 0);
	ck_assert_str_eq(v.pairs[0].problem, "last heartbeat on east 44s ago");
	ck_assert(v.next_change_ns == NOW - 75 * SEC);
	join_view_free(&v);
	/* A longer threshold still flags the side that never had one. */
	ck_assert_int_eq(join_build(s, 2, NOW, &o, &v), 0);
	ck_assert(v.pairs[0].flags & JOIN_F_HEARTBEAT_STALE);
	ck_assert_str_eq(v.pairs[0].problem, "no heartbeat on west");
	join_view_free(&v);
	snaps_free((struct store_snapshot **)s, 2);
}
END_TEST

/* A reader that draws only on change must know when time alone changes
 * the view: west's heartbeat, 3 s old, grows stale 57 s later (60 s
 * threshold). */
START_TEST(when_a_heartbeat_grows_stale)
{
	struct fx e, w;
	peered(&e, &w, MODEL_PEERING_ACTIVE, MODEL_PEERING_ACTIVE);
	const struct store_snapshot *s[2] = {fx_done(&e), fx_done(&w)};
	struct join_view v;

	ck_assert_int_eq(join_build(s, 2, NOW, NULL, &v), 0);
	ck_assert(v.pairs[0].healthy);
	ck_assert(v.next_change_ns == NOW + 57 * SEC + 1000000);
	join_view_free(&v);
	ck_assert_int_eq(join_build(s, 2, NOW + 57 * SEC + 1000000, NULL, &v), 0);
	ck_assert(v.pairs[0].flags & JOIN_F_HEARTBEAT_STALE);
	join_view_free(&v);
	snaps_free((struct store_snapshot **)s, 2);
}
END_TEST

START_TEST(not_synced_cr)
{
	struct fx e, w;
	peered(&e, &w, MODEL_PEERING_ACTIVE, MODEL_PEERING_ACTIVE);
	struct model_kube_peering *cr = &w.dialers->v[0];
	cr->synced.status = MODEL_COND_FALSE;
	cr->synced.reason = dup("consulAgentError");
	cr->synced.message = dup("a new peering token must be generated");
	const struct store_snapshot *s[2] = {fx_done(&e), fx_done(&w)};
	struct join_view v;

	ck_assert_int_eq(join_build(s, 2, NOW, NULL, &v), 0);
	ck_assert(v.pairs[0].flags & JOIN_F_NOT_SYNCED);
	ck_assert(!v.pairs[0].healthy);
	ck_assert_str_eq(
	        v.pairs[0].problem,
	        "PeeringDialer east on west not synced: a new peering token must be generated");
	join_view_free(&v);
	snaps_free((struct store_snapshot **)s, 2);
}
END_TEST

START_TEST(dialer_token_secret_missing)
{
	struct fx e, w;
	peered(&e, &w, MODEL_PEERING_PENDING, MODEL_PEERING_UNDEFINED);
	/* The Secret exists but under another key. */
	free(w.secrets->v[0].keys[0].key);
	w.secrets->v[0].keys[0].key = dup("token");
	const struct store_snapshot *s[2] = {fx_done(&e), fx_done(&w)};
	struct join_view v;

	ck_assert_int_eq(join_build(s, 2, NOW, NULL, &v), 0);
	ck_assert(v.pairs[0].flags & JOIN_F_TOKEN_MISSING);
	ck_assert_str_eq(v.pairs[0].problem, "dialer token Secret peering-token missing on west");
	join_view_free(&v);
	snaps_free((struct store_snapshot **)s, 2);
}
END_TEST

START_TEST(token_missing_unknown_without_secrets)
{
	struct fx e, w;
	peered(&e, &w, MODEL_PEERING_ACTIVE, MODEL_PEERING_ACTIVE);
	w.secrets->n = 0; /* the list is empty ... */
	free(w.secrets->v[0].meta.name);
	free(w.secrets->v[0].meta.ns);
	free(w.secrets->v[0].keys[0].key);
	free(w.secrets->v[0].keys);
	w.s->sources[STORE_SRC_KUBE_SECRETS].last_ok_ns = 0; /* ... and never read */
	const struct store_snapshot *s[2] = {fx_done(&e), fx_done(&w)};
	struct join_view v;

	ck_assert_int_eq(join_build(s, 2, NOW, NULL, &v), 0);
	ck_assert(!(v.pairs[0].flags & JOIN_F_TOKEN_MISSING));
	ck_assert(v.pairs[0].healthy);
	join_view_free(&v);
	snaps_free((struct store_snapshot **)s, 2);
}
END_TEST

START_TEST(one_sided_peering)
{
	struct fx e;
	fx_init(&e, 0, "east", "dc-east");
	struct model_peering *p = fx_peering(&e, "far-away", "x", "y", MODEL_PEERING_ACTIVE, 1);
	p->has_remote = true;
	p->remote.datacenter = dup("dc-far");
	const struct store_snapshot *s[2] = {fx_done(&e), NULL};
	struct join_view v;

	ck_assert_int_eq(join_build(s, 1, NOW, NULL, &v), 0);
	ck_assert_uint_eq(v.npairs, 1);
	ck_assert_str_eq(v.pairs[0].id, "east/far-away|");
	ck_assert_uint_eq(v.pairs[0].b.cluster, JOIN_NONE);
	ck_assert(v.pairs[0].flags & JOIN_F_ONE_SIDED);
	ck_assert(!(v.pairs[0].flags & JOIN_F_LOADING));
	ck_assert(v.pairs[0].healthy);
	ck_assert_str_eq(v.pairs[0].remote_datacenter, "dc-far");
	ck_assert_str_eq(v.pairs[0].problem, "peer far-away is not a configured cluster");
	ck_assert_uint_eq(v.problems, 0);
	ck_assert_uint_eq(v.ngateways, 1);
	join_view_free(&v);
	/* A second cluster that has not answered may be far-away. */
	ck_assert_int_eq(join_build(s, 2, NOW, NULL, &v), 0);
	ck_assert(v.pairs[0].flags & JOIN_F_ONE_SIDED);
	ck_assert(v.pairs[0].flags & JOIN_F_LOADING);
	ck_assert_str_eq(v.pairs[0].problem,
	                 "peer far-away: not every configured cluster has answered yet");
	ck_assert_uint_eq(v.problems, 0);
	join_view_free(&v);
	snaps_free((struct store_snapshot **)s, 1);
}
END_TEST

/* A source that never answered. */
static void unread(struct fx *f, enum store_src src)
{
	f->s->sources[src].state = MODEL_SOURCE_UNKNOWN;
	f->s->sources[src].last_ok_ns = 0;
}

/* While the dashboard loads, a side whose data has not arrived is not a
 * side that lacks the peering or the import: no problem is reported from
 * data not read yet (the count stayed 0 while 8 clusters loaded, where it
 * showed 180, then 260 "exported, not imported"). */
START_TEST(nothing_is_a_problem_before_it_is_read)
{
	struct fx e, w;
	struct join_view v;

	/* west answered nothing yet: no peerings, no services. */
	peered(&e, &w, MODEL_PEERING_ACTIVE, MODEL_PEERING_ACTIVE);
	w.peerings->n = 0;
	model_peering_clear(&w.peerings->v[0]);
	unread(&w, STORE_SRC_PEERINGS);
	unread(&w, STORE_SRC_STREAM);
	unread(&w, STORE_SRC_SERVICES);
	fx_export(&e, "payments", "west");
	const struct store_snapshot *s[2] = {fx_done(&e), fx_done(&w)};
	ck_assert_int_eq(join_build(s, 2, NOW, NULL, &v), 0);
	ck_assert_uint_eq(v.npairs, 1);
	ck_assert(v.pairs[0].flags & JOIN_F_LOADING);
	ck_assert(!(v.pairs[0].flags & JOIN_F_ASYMMETRIC));
	ck_assert(v.pairs[0].b.loading);
	ck_assert_str_eq(v.pairs[0].problem, "west has not answered yet");
	ck_assert_uint_eq(v.nexports, 1);
	ck_assert_int_eq(v.exports[0].state, JOIN_CELL_UNKNOWN);
	ck_assert_str_eq(join_cell_state_name(v.exports[0].state), "unknown");
	ck_assert_uint_eq(v.problems, 0);
	join_view_free(&v);
	snaps_free((struct store_snapshot **)s, 2);

	/* west's peerings came, its services not yet. */
	peered(&e, &w, MODEL_PEERING_ACTIVE, MODEL_PEERING_ACTIVE);
	unread(&w, STORE_SRC_SERVICES);
	fx_export(&e, "payments", "west");
	s[0] = fx_done(&e);
	s[1] = fx_done(&w);
	ck_assert_int_eq(join_build(s, 2, NOW, NULL, &v), 0);
	ck_assert(v.pairs[0].healthy);
	ck_assert_int_eq(v.exports[0].state, JOIN_CELL_UNKNOWN);
	ck_assert_uint_eq(v.problems, 0);
	join_view_free(&v);
	snaps_free((struct store_snapshot **)s, 2);

	/* Everything read, the import missing: now it is a problem. */
	peered(&e, &w, MODEL_PEERING_ACTIVE, MODEL_PEERING_ACTIVE);
	fx_export(&e, "payments", "west");
	s[0] = fx_done(&e);
	s[1] = fx_done(&w);
	ck_assert_int_eq(join_build(s, 2, NOW, NULL, &v), 0);
	ck_assert_int_eq(v.exports[0].state, JOIN_CELL_NOT_IMPORTED);
	ck_assert_uint_eq(v.problems, 1);
	join_view_free(&v);
	snaps_free((struct store_snapshot **)s, 2);

	/* west's peerings read, and it has none for east: absent, a problem. */
	peered(&e, &w, MODEL_PEERING_ACTIVE, MODEL_PEERING_ACTIVE);
	w.peerings->n = 0;
	free(w.peerings->v[0].name);
	free(w.peerings->v[0].id);
	free(w.peerings->v[0].peer_id);
	w.dialers->n = 0;
	model_kube_peering_clear(&w.dialers->v[0]);
	s[0] = fx_done(&e);
	s[1] = fx_done(&w);
	ck_assert_int_eq(join_build(s, 2, NOW, NULL, &v), 0);
	ck_assert(!(v.pairs[0].flags & JOIN_F_LOADING));
	ck_assert(v.pairs[0].flags & JOIN_F_ASYMMETRIC);
	ck_assert_uint_eq(v.problems, 1);
	join_view_free(&v);
	snaps_free((struct store_snapshot **)s, 2);

	/* Its peerings could not be read (an error, no data): not known. */
	peered(&e, &w, MODEL_PEERING_ACTIVE, MODEL_PEERING_ACTIVE);
	w.peerings->n = 0;
	free(w.peerings->v[0].name);
	free(w.peerings->v[0].id);
	free(w.peerings->v[0].peer_id);
	w.dialers->n = 0;
	model_kube_peering_clear(&w.dialers->v[0]);
	unread(&w, STORE_SRC_PEERINGS);
	unread(&w, STORE_SRC_STREAM);
	w.s->sources[STORE_SRC_PEERINGS].state = MODEL_SOURCE_ERROR;
	s[0] = fx_done(&e);
	s[1] = fx_done(&w);
	ck_assert_int_eq(join_build(s, 2, NOW, NULL, &v), 0);
	ck_assert(v.pairs[0].flags & JOIN_F_LOADING);
	ck_assert_str_eq(v.pairs[0].problem, "the peerings of west could not be read");
	ck_assert_uint_eq(v.problems, 0);
	join_view_free(&v);
	snaps_free((struct store_snapshot **)s, 2);
}
END_TEST

START_TEST(stale_data_does_not_make_unhealthy)
{
	struct fx e, w;
	peered(&e, &w, MODEL_PEERING_ACTIVE, MODEL_PEERING_ACTIVE);
	w.s->sources[STORE_SRC_STREAM].stale = true;
	const struct store_snapshot *s[2] = {fx_done(&e), fx_done(&w)};
	struct join_view v;

	ck_assert_int_eq(join_build(s, 2, NOW, NULL, &v), 0);
	ck_assert_uint_eq(v.pairs[0].flags, JOIN_F_DATA_STALE);
	ck_assert(v.pairs[0].healthy);
	join_view_free(&v);
	snaps_free((struct store_snapshot **)s, 2);
}
END_TEST

/* ------------------------------------------------------------------ exports */

/* -------------------------------------------------------------- partitions */

/* Consul Enterprise: each peering and its Remote carry a Partition
 * (consul api/peering.go: Peering.Partition, PeeringRemoteInfo.Partition);
 * two peerings between the same two clusters in different partitions are
 * two pairs, each end matched by cluster and partition. */
static struct model_peering *ent_peering(struct fx *f, const char *name, const char *part,
                                         const char *id, const char *peer_id, const char *rdc,
                                         const char *rpart)
{
	struct model_peering *p = fx_peering(f, name, id, peer_id, MODEL_PEERING_ACTIVE, 1);
	p->partition = dup(part);
	p->has_remote = true;
	p->remote.datacenter = dup(rdc);
	p->remote.partition = dup(rpart);
	return p;
}

static void ent_identity(struct fx *f)
{
	((struct model_cluster_identity *)f->s->identity)->enterprise = true;
}

/* Clusters one (dc1) and two (dc2), both on Consul Enterprise. */
static void ent_pair(struct fx *a, struct fx *b)
{
	fx_init(a, 0, "one", "dc1");
	fx_init(b, 1, "two", "dc2");
	ent_identity(a);
	ent_identity(b);
}

START_TEST(partitions_pairs_matched_by_partition)
{
	struct fx a, b;
	ent_pair(&a, &b);
	/* The same peer names in two partitions; no PeerIDs (established
	 * ones are found by rule 1 anyway): only Remote.Partition tells the
	 * team-a <-> ops peering from the default <-> default one. */
	ent_peering(&a, "two", "default", "a1", "", "dc2", "default");
	ent_peering(&a, "two", "team-a", "a2", "", "dc2", "ops");
	ent_peering(&b, "one", "ops", "b2", "", "dc1", "team-a");
	ent_peering(&b, "one", "default", "b1", "", "dc1", "default");
	const struct store_snapshot *s[2] = {fx_done(&a), fx_done(&b)};
	struct join_view v;

	ck_assert_int_eq(join_build(s, 2, NOW, NULL, &v), 0);
	ck_assert_uint_eq(v.npairs, 2);
	ck_assert_str_eq(v.pairs[0].id, "one|two");
	ck_assert_str_eq(v.pairs[0].a.partition, "default");
	ck_assert_str_eq(v.pairs[0].b.partition, "default");
	ck_assert_str_eq(v.pairs[0].b.peering->id, "b1");
	ck_assert_str_eq(v.pairs[1].id, "one/team-a|two/ops");
	ck_assert_str_eq(v.pairs[1].a.peering->id, "a2");
	ck_assert_str_eq(v.pairs[1].b.peering->id, "b2");
	ck_assert(v.pairs[0].healthy && v.pairs[1].healthy);
	ck_assert_ptr_nonnull(join_find_pair(&v, "one/team-a|two/ops"));
	join_view_free(&v);
	snaps_free((struct store_snapshot **)s, 2);
}
END_TEST

/* A peering whose Remote.Partition names a partition the other cluster has
 * no end in is asymmetric, not joined with another partition's end. */
START_TEST(partitions_no_cross_partition_join)
{
	struct fx a, b;
	fx_init(&a, 0, "one", "dc1");
	fx_init(&b, 1, "two", "dc2");
	ent_peering(&a, "two", "team-a", "a2", "", "dc2", "ops");
	ent_peering(&b, "one", "default", "b1", "", "dc1", "default");
	const struct store_snapshot *s[2] = {fx_done(&a), fx_done(&b)};
	struct join_view v;

	ck_assert_int_eq(join_build(s, 2, NOW, NULL, &v), 0);
	ck_assert_uint_eq(v.npairs, 2);
	for (size_t i = 0; i < 2; i++) {
		ck_assert(!v.pairs[i].healthy);
		ck_assert(v.pairs[i].flags & JOIN_F_ASYMMETRIC);
	}
	join_view_free(&v);
	snaps_free((struct store_snapshot **)s, 2);
}
END_TEST

/* A CR is in the partition of its cluster's consul-k8s (Helm
 * global.adminPartitions.name; consul-k8s control-plane/connect-inject/
 * controllers/peering/peering_acceptor_controller.go makes the peering
 * with the controller's own Consul client, whose partition that is). */
START_TEST(partitions_cr_in_consul_k8s_partition)
{
	struct fx a, b;
	fx_init(&a, 0, "one", "dc1");
	fx_init(&b, 1, "two", "dc2");
	struct model_kube_helm *h = calloc(1, sizeof *h);
	ck_assert_ptr_nonnull(h);
	h->admin_partitions_enabled = true;
	h->admin_partition_name = dup("team-a");
	struct store_part *hp = store_part_helm(h);
	a.s->helm = store_hold(a.s, STORE_SRC_KUBE_HELM, hp);
	store_part_unref(hp);
	a.s->has_helm = true;
	ck_assert_str_eq(join_kube_partition(a.s), "team-a");
	ck_assert_str_eq(join_kube_partition(b.s), "");
	ent_peering(&a, "two", "team-a", "a2", "", "dc2", "ops");
	fx_cr(&a, MODEL_PEERING_ACCEPTOR, "two", "peering-token", "data");
	ent_peering(&b, "one", "ops", "b2", "a2", "dc1", "team-a");
	const struct store_snapshot *s[2] = {fx_done(&a), fx_done(&b)};
	struct join_view v;

	ck_assert_int_eq(join_build(s, 2, NOW, NULL, &v), 0);
	ck_assert_uint_eq(v.npairs, 1);
	ck_assert_ptr_nonnull(v.pairs[0].a.cr);
	ck_assert_ptr_nonnull(v.pairs[0].a.peering);
	ck_assert(v.pairs[0].a.acceptor);
	join_view_free(&v);
	snaps_free((struct store_snapshot **)s, 2);
}
END_TEST

/* The pair of V whose end A is a CR without its peering. */
static const struct join_pair *cr_alone(const struct join_view *v)
{
	for (size_t i = 0; i < v->npairs; i++)
		if (v->pairs[i].a.cr && !v->pairs[i].a.peering)
			return &v->pairs[i];
	return NULL;
}

/* At the dashboard's start a cluster's Helm release, which names the
 * partition its consul-k8s runs in, is read after the state the panes
 * show (store_src_held()). Until then a CR alone on Consul Enterprise is
 * not yet a CR without a peering: its peering may be in that partition.
 * On CE (the identity's version without "ent") there is one partition. */
START_TEST(partitions_cr_waits_for_release)
{
	struct fx a, b;
	ent_pair(&a, &b);
	ent_peering(&a, "two", "team-a", "a2", "", "dc2", "ops");
	fx_cr(&a, MODEL_PEERING_ACCEPTOR, "two", "peering-token", "data");
	fx_secret(&a, "peering-token", "data");
	ent_peering(&b, "one", "ops", "b2", "a2", "dc1", "team-a");
	const struct store_snapshot *s[2] = {fx_done(&a), fx_done(&b)};
	struct store_source *helm = &a.s->sources[STORE_SRC_KUBE_HELM];
	struct join_view v;

	helm->enabled = true;
	helm->state = MODEL_SOURCE_UNKNOWN;
	helm->last_ok_ns = 0;
	ck_assert_int_eq(join_build(s, 2, NOW, NULL, &v), 0);
	const struct join_pair *alone = cr_alone(&v);
	ck_assert_ptr_nonnull(alone);
	ck_assert(alone->flags & JOIN_F_LOADING);
	ck_assert(!(alone->flags & JOIN_F_CR_WITHOUT_PEERING));
	ck_assert_str_eq(
	        alone->problem,
	        "the Helm release of one, which names its admin partition, is not read yet");
	ck_assert_uint_eq(v.problems, 0);
	join_view_free(&v);

	/* Read, and it names no partition: the CR is in the default one,
	 * where there is no peering. */
	helm->state = MODEL_SOURCE_OK;
	helm->last_ok_ns = NOW - SEC;
	ck_assert_int_eq(join_build(s, 2, NOW, NULL, &v), 0);
	alone = cr_alone(&v);
	ck_assert_ptr_nonnull(alone);
	ck_assert(!(alone->flags & JOIN_F_LOADING));
	ck_assert(alone->flags & JOIN_F_CR_WITHOUT_PEERING);
	join_view_free(&v);

	/* Not read, on CE: nothing to wait for. */
	struct model_cluster_identity *id = (struct model_cluster_identity *)a.s->identity;
	helm->state = MODEL_SOURCE_UNKNOWN;
	helm->last_ok_ns = 0;
	id->enterprise = false;
	free(id->version);
	id->version = dup("1.17.3");
	ck_assert_int_eq(join_build(s, 2, NOW, NULL, &v), 0);
	alone = cr_alone(&v);
	ck_assert_ptr_nonnull(alone);
	ck_assert(alone->flags & JOIN_F_CR_WITHOUT_PEERING);
	join_view_free(&v);
	snaps_free((struct store_snapshot **)s, 2);
}
END_TEST

/* Exports per partition: a Peer consumer names a peering of the exporting
 * partition, the import is looked up in the other end's partition, and a
 * partition with no mesh gateway registered breaks the specification's
 * Enterprise rule on the row. */
START_TEST(partitions_exports_and_gateway_rule)
{
	struct fx a, b;
	ent_pair(&a, &b);
	ent_peering(&a, "two", "team-a", "a2", "", "dc2", "ops");
	ent_peering(&a, "two", "default", "a1", "", "dc2", "default");
	ent_peering(&b, "one", "ops", "b2", "a2", "dc1", "team-a");
	ent_peering(&b, "one", "default", "b1", "a1", "dc1", "default");
	fx_export(&a, "ledger", "two");
	a.exports->services[0].partition = dup("team-a");
	fx_export(&a, "web", "two");
	a.exports->services[1].partition = dup("default");
	fx_gateway(&a, "mgw-0", MODEL_HEALTH_PASSING);
	a.gateways->v[0].partition = dup("default");
	fx_service(&b, "ledger", "one", 2, 0);
	b.services->v[0].partition = dup("ops");
	fx_service(&b, "web", "one", 1, 0);
	b.services->v[1].partition = dup("ops"); /* imported in the wrong partition */
	const struct store_snapshot *s[2] = {fx_done(&a), fx_done(&b)};
	struct join_view v;

	ck_assert_int_eq(join_build(s, 2, NOW, NULL, &v), 0);
	ck_assert_uint_eq(v.npairs, 2);
	ck_assert_uint_eq(v.nexports, 3);
	const struct join_export *led = &v.exports[0], *web = NULL, *webx = NULL;
	for (size_t i = 0; i < v.nexports; i++) {
		if (!strcmp(v.exports[i].service, "web") && v.exports[i].exported)
			web = &v.exports[i];
		if (!strcmp(v.exports[i].service, "web") && !v.exports[i].exported)
			webx = &v.exports[i];
	}
	ck_assert_str_eq(led->service, "ledger");
	ck_assert_str_eq(led->partition, "team-a");
	ck_assert_str_eq(led->id, "one/team-a/ledger|two");
	ck_assert_int_eq(led->state, JOIN_CELL_OK);
	ck_assert_uint_eq(led->instances, 2);
	ck_assert(led->no_partition_gateway);
	/* The importing end: two's peering "one" of partition ops. */
	ck_assert_uint_eq(led->to, 1);
	ck_assert_str_eq(led->to_partition, "ops");
	ck_assert_ptr_nonnull(web);
	ck_assert_str_eq(web->id, "one/web|two");
	ck_assert_int_eq(web->state, JOIN_CELL_NOT_IMPORTED);
	ck_assert_str_eq(web->to_partition, "default");
	ck_assert(!web->no_partition_gateway);
	/* ops imports web from the team-a end, which does not export it. */
	ck_assert_ptr_nonnull(webx);
	ck_assert_int_eq(webx->state, JOIN_CELL_NOT_EXPORTED);
	ck_assert_str_eq(webx->partition, "team-a");
	ck_assert_str_eq(webx->to_partition, "ops");
	join_view_free(&v);
	snaps_free((struct store_snapshot **)s, 2);
}
END_TEST

/* On Consul CE there are no partitions: nothing is asked of them. */
START_TEST(partitions_ce_rule_not_applied)
{
	struct fx e, w;
	peered(&e, &w, MODEL_PEERING_ACTIVE, MODEL_PEERING_ACTIVE);
	fx_export(&e, "web", "west");
	fx_service(&w, "web", "east", 1, 0);
	const struct store_snapshot *s[2] = {fx_done(&e), fx_done(&w)};
	struct join_view v;

	ck_assert_int_eq(join_build(s, 2, NOW, NULL, &v), 0);
	ck_assert_uint_eq(v.nexports, 1);
	ck_assert(!v.exports[0].no_partition_gateway);
	ck_assert_str_eq(v.exports[0].partition, "");
	ck_assert_str_eq(v.exports[0].to_partition, "");
	ck_assert_str_eq(v.pairs[0].a.partition, "");
	join_view_free(&v);
	snaps_free((struct store_snapshot **)s, 2);
}
END_TEST

START_TEST(export_matrix)
{
	struct fx e, w;
	peered(&e, &w, MODEL_PEERING_ACTIVE, MODEL_PEERING_ACTIVE);
	fx_export(&e, "payments", "west");  /* imported: ok */
	fx_export(&e, "ledger", "west");    /* not imported */
	fx_export(&e, "billing", "nobody"); /* no such peering */
	fx_service(&w, "payments", "east", 3, 1);
	fx_service(&w, "old-api", "east", 2, 0); /* imported, no longer exported */
	fx_service(&w, "web", "", 1, 0);         /* local */
	const struct store_snapshot *s[2] = {fx_done(&e), fx_done(&w)};
	struct join_view v;

	ck_assert_int_eq(join_build(s, 2, NOW, NULL, &v), 0);
	ck_assert_uint_eq(v.nexports, 4);
	/* Sorted by service name. */
	ck_assert_str_eq(v.exports[0].service, "billing");
	ck_assert_int_eq(v.exports[0].state, JOIN_CELL_NO_PEERING);
	ck_assert_str_eq(v.exports[1].service, "ledger");
	ck_assert_int_eq(v.exports[1].state, JOIN_CELL_NOT_IMPORTED);
	ck_assert_uint_eq(v.exports[1].to, 1);
	ck_assert_str_eq(v.exports[2].service, "old-api");
	ck_assert_int_eq(v.exports[2].state, JOIN_CELL_NOT_EXPORTED);
	ck_assert_uint_eq(v.exports[2].from, 0);
	ck_assert_str_eq(v.exports[2].peer, "west");
	ck_assert(!v.exports[2].exported && v.exports[2].imported);
	ck_assert_str_eq(v.exports[3].service, "payments");
	ck_assert_int_eq(v.exports[3].state, JOIN_CELL_OK);
	ck_assert_uint_eq(v.exports[3].instances, 3);
	ck_assert_uint_eq(v.exports[3].healthy, 2);
	ck_assert_str_eq(v.exports[3].id, "east/payments|west");
	ck_assert_str_eq(join_cell_state_name(v.exports[1].state), "not_imported");
	ck_assert_uint_eq(v.problems, 2);
	join_view_free(&v);
	snaps_free((struct store_snapshot **)s, 2);
}
END_TEST

/* An export's id is "FROM/SERVICE|PEER", cut to its buffer as snprintf
 * cuts it: a name longer than the buffer still gives the id it gave. */
START_TEST(export_id_of_a_long_name)
{
	struct fx e, w;
	char name[260], want[sizeof((struct join_export *)0)->id];
	memset(name, 's', sizeof name - 1);
	name[sizeof name - 1] = '\0';
	peered(&e, &w, MODEL_PEERING_ACTIVE, MODEL_PEERING_ACTIVE);
	fx_export(&e, name, "west");
	const struct store_snapshot *s[2] = {fx_done(&e), fx_done(&w)};
	struct join_view v;

	ck_assert_int_eq(join_build(s, 2, NOW, NULL, &v), 0);
	ck_assert_uint_eq(v.nexports, 1);
	/* "east/" and as much of the name as fits, as snprintf would cut it. */
	memcpy(want, "east/", 5);
	memset(want + 5, 's', sizeof want - 6);
	want[sizeof want - 1] = '\0';
	ck_assert_uint_eq(strlen(v.exports[0].id), sizeof want - 1);
	ck_assert_str_eq(v.exports[0].id, want);
	join_view_free(&v);
	snaps_free((struct store_snapshot **)s, 2);
}
END_TEST

/* Whether a peer's services may call a service follows Consul's precedence
 * (consul:agent/structs/config_entry_intentions.go,
 * computeIntentionPrecedence: exact destination before "*", then exact
 * source before "*"), and without a match the ACL default policy that every
 * answer carries in X-Consul-Default-ACL-Policy
 * (consul:agent/agent_endpoint.go, AgentConnectAuthorize). */
START_TEST(intentions_follow_precedence)
{
	struct fx e, w;
	struct join_intent_match m;

	peered(&e, &w, MODEL_PEERING_ACTIVE, MODEL_PEERING_ACTIVE);
	snprintf(e.intentions->default_policy, sizeof e.intentions->default_policy, "deny");
	fx_intention(&e, "payments", "*", "west", MODEL_INTENTION_ALLOW);
	fx_intention(&e, "payments", "batch", "west", MODEL_INTENTION_DENY);
	fx_intention(&e, "*", "*", "west", MODEL_INTENTION_DENY);
	fx_intention(&e, "ledger", "web", "west", MODEL_INTENTION_ALLOW);
	fx_intention(&e, "audit", "*", "other", MODEL_INTENTION_ALLOW);
	fx_export(&e, "payments", "west");
	fx_export(&e, "audit", "west");
	fx_service(&w, "payments", "east", 1, 0);
	fx_service(&w, "audit", "east", 1, 0);
	const struct store_snapshot *s[2] = {fx_done(&e), fx_done(&w)};

	ck_assert_int_eq(join_intention(s[0], "payments", "west", NULL, &m), JOIN_INTENT_ALLOWED);
	ck_assert_str_eq(m.destination, "payments");
	ck_assert_str_eq(m.source, "*");
	/* An exact source outranks "*". */
	ck_assert_int_eq(join_intention(s[0], "payments", "west", "batch", &m), JOIN_INTENT_DENIED);
	/* No entry of its own: the wildcard destination decides. */
	ck_assert_int_eq(join_intention(s[0], "orders", "west", NULL, &m), JOIN_INTENT_DENIED);
	ck_assert_str_eq(m.destination, "*");
	/* ledger has its own entry without a wildcard source for west: "*"
	 * decides for any service, but one named service is let through. */
	ck_assert_int_eq(join_intention(s[0], "ledger", "west", "web", NULL), JOIN_INTENT_ALLOWED);
	/* Another peer's source does not count. */
	ck_assert_int_eq(join_intention(s[0], "audit", "west", NULL, NULL), JOIN_INTENT_DENIED);

	struct join_view v;
	ck_assert_int_eq(join_build(s, 2, NOW, NULL, &v), 0);
	ck_assert_uint_eq(v.nexports, 2);
	ck_assert_str_eq(v.exports[0].service, "audit");
	ck_assert_int_eq(v.exports[0].intent, JOIN_INTENT_DENIED);
	ck_assert_int_eq(v.exports[1].intent, JOIN_INTENT_ALLOWED);
	/* An import no intention lets through is a problem. */
	ck_assert_uint_eq(v.problems, 1);
	join_view_free(&v);
	snaps_free((struct store_snapshot **)s, 2);
}
END_TEST

/* Without a match: the default policy; not read: unknown. */
START_TEST(intentions_default_policy)
{
	struct fx e;

	fx_init(&e, 0, "east", "dc-east");
	snprintf(e.intentions->default_policy, sizeof e.intentions->default_policy, "allow");
	const struct store_snapshot *s = fx_done(&e);
	ck_assert_int_eq(join_intention(s, "payments", "west", NULL, NULL),
	                 JOIN_INTENT_ALLOWED_DEFAULT);
	store_snapshot_unref(s);

	fx_init(&e, 0, "east", "dc-east");
	snprintf(e.intentions->default_policy, sizeof e.intentions->default_policy, "deny");
	s = fx_done(&e);
	ck_assert_int_eq(join_intention(s, "payments", "west", NULL, NULL),
	                 JOIN_INTENT_NO_INTENTION);
	ck_assert(!join_intent_ok(JOIN_INTENT_NO_INTENTION));
	store_snapshot_unref(s);

	fx_init(&e, 0, "east", "dc-east");
	e.s->sources[STORE_SRC_INTENTIONS].last_ok_ns = 0;
	e.s->sources[STORE_SRC_KUBE_INTENTIONS].last_ok_ns = 0;
	s = fx_done(&e);
	ck_assert_int_eq(join_intention(s, "payments", "west", NULL, NULL), JOIN_INTENT_UNKNOWN);
	store_snapshot_unref(s);
}
END_TEST

START_TEST(export_wildcard_expands_local_services)
{
	struct fx e, w;
	peered(&e, &w, MODEL_PEERING_ACTIVE, MODEL_PEERING_ACTIVE);
	fx_export(&e, "*", "west");
	fx_service(&e, "api", "", 2, 0);
	fx_service(&e, "consul", "", 1, 0);       /* never exportable */
	fx_service(&e, "remote-x", "west", 1, 0); /* imported, not ours */
	fx_service(&w, "api", "east", 2, 0);
	const struct store_snapshot *s[2] = {fx_done(&e), fx_done(&w)};
	struct join_view v;

	ck_assert_int_eq(join_build(s, 2, NOW, NULL, &v), 0);
	ck_assert_uint_eq(v.nexports, 2);
	ck_assert_str_eq(v.exports[0].service, "api");
	ck_assert(v.exports[0].wildcard);
	ck_assert_int_eq(v.exports[0].state, JOIN_CELL_OK);
	/* east imports remote-x from west, which exports nothing. */
	ck_assert_str_eq(v.exports[1].service, "remote-x");
	ck_assert_int_eq(v.exports[1].state, JOIN_CELL_NOT_EXPORTED);
	ck_assert_uint_eq(v.exports[1].from, 1);
	ck_assert_uint_eq(v.exports[1].to, 0);
	join_view_free(&v);
	snaps_free((struct store_snapshot **)s, 2);
}
END_TEST

/* ------------------------------------------------------------------ cache */

/* A snapshot derived from S into *D, and an empty peerings list with room
 * for S's. */
static struct model_peering_list *derive_peerings(const struct store_snapshot *s,
                                                  struct store_snapshot **d)
{
	struct model_peering_list *l = calloc(1, sizeof *l);

	*d = store_snapshot_derive(s);
	ck_assert_ptr_nonnull(*d);
	ck_assert_ptr_nonnull(l);
	l->v = calloc(s->peerings->n ? s->peerings->n : 1, sizeof *l->v);
	ck_assert_ptr_nonnull(l->v);
	return l;
}

/* D holds L as its peerings. */
static void hold_peerings(struct store_snapshot *d, struct model_peering_list *l)
{
	struct store_part *p = store_part_peerings(l);
	d->peerings = store_hold(d, STORE_SRC_PEERINGS, p);
	store_part_unref(p);
}

/* A snapshot of the same cluster with the parts of S, except a new
 * peerings list (a heartbeat came: the stream poll's new body). */
static struct store_snapshot *new_heartbeat(const struct store_snapshot *s, int64_t hb_age_s)
{
	struct store_snapshot *d;
	struct model_peering_list *l = derive_peerings(s, &d);
	for (size_t i = 0; i < s->peerings->n; i++) {
		const struct model_peering *o = &s->peerings->v[i];
		struct model_peering *p = &l->v[l->n++];
		p->name = dup(o->name);
		p->id = dup(o->id);
		p->peer_id = dup(o->peer_id);
		p->partition = o->partition ? dup(o->partition) : NULL;
		p->state = o->state;
		p->has_stream_status = true;
		p->stream.last_heartbeat_ns = NOW - hb_age_s * SEC;
	}
	hold_peerings(d, l);
	return d;
}

/* The exports of two views are the same rows. */
static void same_exports(const struct join_view *a, const struct join_view *b)
{
	ck_assert_uint_eq(a->nexports, b->nexports);
	for (size_t i = 0; i < a->nexports; i++) {
		ck_assert_str_eq(a->exports[i].id, b->exports[i].id);
		ck_assert_str_eq(a->exports[i].peer, b->exports[i].peer);
		ck_assert_int_eq(a->exports[i].state, b->exports[i].state);
		ck_assert_uint_eq(a->exports[i].instances, b->exports[i].instances);
	}
	ck_assert_uint_eq(a->problems, b->problems);
}

/* East and west peered; east exports payments and ledger to west, which
 * imports payments and an old-api east no longer exports, into S. */
static void exports_world(struct store_snapshot *s[2])
{
	struct fx e, w;
	peered(&e, &w, MODEL_PEERING_ACTIVE, MODEL_PEERING_ACTIVE);
	/* The decoder gives every peering a partition of its own ("" on CE). */
	e.peerings->v[0].partition = dup("");
	w.peerings->v[0].partition = dup("");
	fx_export(&e, "payments", "west");
	fx_export(&e, "ledger", "west");
	fx_service(&w, "payments", "east", 3, 1);
	fx_service(&w, "old-api", "east", 2, 0); /* not exported: the row names a peer */
	s[0] = fx_done(&e);
	s[1] = fx_done(&w);
}

/* The dashboard joins after every change: a build indexes the services a
 * cluster imports once per services list, and reuses the exports while no
 * list they come from changed and the pairs have the same ends; what it
 * gives is what a build from nothing gives. */
START_TEST(cache_reuses_what_did_not_change)
{
	struct store_snapshot *s[2];
	exports_world(s);
	struct join_cache *c = join_cache_new();
	struct join_view v, ref;
	ck_assert_ptr_nonnull(c);

	ck_assert_int_eq(
	        join_build_cached(c, (const struct store_snapshot *const *)s, 2, NOW, NULL, &v), 0);
	struct join_cache_stats st = join_cache_stats(c);
	ck_assert_uint_eq(st.index_builds, 2);
	ck_assert_uint_eq(st.exports_builds, 1);
	uint64_t gen = v.exports_gen;
	ck_assert_uint_ne(gen, 0);
	join_view_free(&v);

	/* A heartbeat on west: new peerings, same services and exports. */
	struct store_snapshot *hb = new_heartbeat(s[1], 1);
	store_snapshot_unref(s[1]);
	s[1] = hb;
	ck_assert_int_eq(
	        join_build_cached(c, (const struct store_snapshot *const *)s, 2, NOW, NULL, &v), 0);
	st = join_cache_stats(c);
	ck_assert_uint_eq(st.index_builds, 2);
	ck_assert_uint_eq(st.exports_reused, 1);
	ck_assert_uint_eq(v.exports_gen, gen);
	/* The reused rows borrow nothing from the peerings list just freed. */
	for (size_t i = 0; i < v.nexports; i++) {
		ck_assert_str_eq(v.exports[i].to_partition, "");
		ck_assert_str_eq(v.exports[i].partition, "");
		ck_assert_str_eq(v.exports[i].peer, "west"); /* east names west */
	}
	ck_assert_int_eq(join_build((const struct store_snapshot *const *)s, 2, NOW, NULL, &ref),
	                 0);
	same_exports(&v, &ref);
	ck_assert_uint_eq(ref.exports_gen, 0);
	join_view_free(&ref);
	join_view_free(&v);

	/* A new services list on west: its index only, and new exports. */
	struct store_snapshot *d = store_snapshot_derive(s[1]);
	struct model_service_summary_list *l = calloc(1, sizeof *l);
	ck_assert_ptr_nonnull(d);
	ck_assert_ptr_nonnull(l);
	l->v = calloc(1, sizeof *l->v);
	ck_assert_ptr_nonnull(l->v);
	l->v[0] = (struct model_service_summary){.name = dup("ledger"),
	                                         .peer_name = dup("east"),
	                                         .kind = dup(""),
	                                         .instance_count = 1};
	l->n = 1;
	struct store_part *p = store_part_services(l);
	d->services = store_hold(d, STORE_SRC_SERVICES, p);
	store_part_unref(p);
	store_snapshot_unref(s[1]);
	s[1] = d;
	ck_assert_int_eq(
	        join_build_cached(c, (const struct store_snapshot *const *)s, 2, NOW, NULL, &v), 0);
	st = join_cache_stats(c);
	ck_assert_uint_eq(st.index_builds, 3);
	ck_assert_uint_eq(st.exports_builds, 2);
	ck_assert_uint_ne(v.exports_gen, gen);
	ck_assert_int_eq(join_build((const struct store_snapshot *const *)s, 2, NOW, NULL, &ref),
	                 0);
	same_exports(&v, &ref);
	ck_assert_str_eq(v.exports[0].service, "ledger");
	ck_assert_int_eq(v.exports[0].state, JOIN_CELL_OK);
	join_view_free(&ref);
	join_view_free(&v);
	join_cache_free(c);
	snaps_free(s, 2);
}
END_TEST

/* S with a copy of its peerings whose heartbeats are HB_AGE_S old, of the
 * same shape (as consul_peerings_with_times() makes one): the copy an
 * answer with nothing new but stream times gives. With STATE set (not 0),
 * the first peering's state too, and a shape of its own. */
static struct store_snapshot *times_copy(const struct store_snapshot *s, int64_t hb_age_s,
                                         enum model_peering_state state)
{
	struct store_snapshot *d;
	struct model_peering_list *l = derive_peerings(s, &d);
	for (size_t i = 0; i < s->peerings->n; i++) {
		ck_assert_int_eq(model_peering_copy(&l->v[l->n], &s->peerings->v[i]), 0);
		l->v[l->n++].stream.last_heartbeat_ns = NOW - hb_age_s * SEC;
	}
	if (state && l->n)
		l->v[0].state = state;
	else
		l->shape = s->peerings->shape;
	hold_peerings(d, l);
	ck_assert(store_snapshot_same_but_times(s, d) == !state);
	return d;
}

/* Two views' pairs are the same, each end's peering the one of SNAPS. */
static void same_pairs(const struct join_view *a, const struct join_view *b,
                       struct store_snapshot *const *snaps)
{
	ck_assert_uint_eq(a->npairs, b->npairs);
	ck_assert_uint_eq(a->problems, b->problems);
	ck_assert_uint_eq(a->pairs_active, b->pairs_active);
	ck_assert_int_eq(a->next_change_ns, b->next_change_ns);
	for (size_t i = 0; i < a->npairs; i++) {
		const struct join_pair *x = &a->pairs[i], *y = &b->pairs[i];
		ck_assert_str_eq(x->id, y->id);
		ck_assert_uint_eq(x->flags, y->flags);
		ck_assert_int_eq(x->healthy, y->healthy);
		ck_assert_str_eq(x->problem, y->problem);
		ck_assert_str_eq(x->remote_datacenter, y->remote_datacenter);
		const struct join_end *xe[2] = {&x->a, &x->b}, *ye[2] = {&y->a, &y->b};
		for (int k = 0; k < 2; k++) {
			ck_assert_uint_eq(xe[k]->cluster, ye[k]->cluster);
			ck_assert_ptr_eq(xe[k]->snap, ye[k]->snap);
			ck_assert_ptr_eq(xe[k]->peering, ye[k]->peering);
			ck_assert_ptr_eq(xe[k]->cr, ye[k]->cr);
			ck_assert_ptr_eq(xe[k]->secret, ye[k]->secret);
			ck_assert_str_eq(xe[k]->name, ye[k]->name);
			ck_assert_str_eq(xe[k]->partition, ye[k]->partition);
			ck_assert_int_eq(xe[k]->heartbeat_age_ms, ye[k]->heartbeat_age_ms);
			ck_assert_int_eq(xe[k]->receive_age_ms, ye[k]->receive_age_ms);
			if (xe[k]->peering) {
				const struct model_peering_list *l =
				        snaps[xe[k]->cluster]->peerings;
				ck_assert(xe[k]->peering >= l->v && xe[k]->peering < l->v + l->n);
				ck_assert_ptr_eq(xe[k]->name, xe[k]->peering->name);
			}
		}
	}
}

/* The dashboard joins again every time new heartbeats come: when the
 * snapshots differ from the last build's only in the peerings' stream
 * times, the pairs are that build's, moved to the new lists and judged
 * again (a heartbeat gone stale is a problem), not matched anew; what it
 * gives is what a build from nothing gives. */
START_TEST(cache_judges_the_same_pairs_again)
{
	struct store_snapshot *s[2];
	exports_world(s);
	for (int i = 0; i < 2; i++) {
		struct store_snapshot *hb = new_heartbeat(s[i], 1);
		store_snapshot_unref(s[i]);
		s[i] = hb;
	}
	struct join_cache *c = join_cache_new();
	struct join_view v, ref;
	ck_assert_ptr_nonnull(c);

	ck_assert_int_eq(
	        join_build_cached(c, (const struct store_snapshot *const *)s, 2, NOW, NULL, &v), 0);
	ck_assert_uint_eq(join_cache_stats(c).pairs_reused, 0);
	ck_assert_uint_eq(v.npairs, 1);
	ck_assert(v.pairs[0].healthy);
	uint64_t gen = v.exports_gen, key = c->pairs_key;
	ck_assert_uint_ne(key, 0);
	join_view_free(&v);

	/* West's heartbeat ages to 5 min: stale, a problem now. East's list
	 * is let go, so that a pair still pointing into it would be read
	 * after its free (ASan). */
	for (int i = 0; i < 2; i++) {
		struct store_snapshot *t = times_copy(s[i], i ? 300 : 2, MODEL_PEERING_UNDEFINED);
		store_snapshot_unref(s[i]);
		s[i] = t;
	}
	ck_assert_int_eq(
	        join_build_cached(c, (const struct store_snapshot *const *)s, 2, NOW, NULL, &v), 0);
	ck_assert_uint_eq(join_cache_stats(c).pairs_reused, 1);
	/* Their key kept, the exports stand (and are what a build anew makes:
	 * same_exports() below). */
	ck_assert_uint_eq(c->pairs_key, key);
	ck_assert_uint_eq(v.exports_gen, gen);
	/* Judged again in the cache's own array, which the view borrows. */
	ck_assert(v.pairs_borrowed);
	ck_assert_ptr_eq(v.pairs, c->pairs);
	ck_assert_int_eq(join_build((const struct store_snapshot *const *)s, 2, NOW, NULL, &ref),
	                 0);
	ck_assert(!ref.pairs_borrowed);
	ck_assert(!ref.pairs[0].healthy);
	ck_assert_ptr_nonnull(strstr(ref.pairs[0].problem, "heartbeat"));
	same_pairs(&v, &ref, s);
	same_exports(&v, &ref);
	join_view_free(&ref);
	join_view_free(&v);

	/* More than times moved (west's end FAILING): the ends are matched
	 * anew. */
	struct store_snapshot *d = times_copy(s[1], 1, MODEL_PEERING_FAILING);
	store_snapshot_unref(s[1]);
	s[1] = d;
	ck_assert_int_eq(
	        join_build_cached(c, (const struct store_snapshot *const *)s, 2, NOW, NULL, &v), 0);
	ck_assert_uint_eq(join_cache_stats(c).pairs_reused, 1);
	ck_assert_int_eq(join_build((const struct store_snapshot *const *)s, 2, NOW, NULL, &ref),
	                 0);
	same_pairs(&v, &ref, s);
	ck_assert(!v.pairs[0].healthy);
	join_view_free(&ref);
	join_view_free(&v);
	join_cache_free(c);
	snaps_free(s, 2);
}
END_TEST

/* Allocations made to fail: the test binary is linked with ld
 * --wrap=malloc, calloc and realloc (mk/store.am). ALLOC_FAIL_IN counts
 * down the allocations until the one that fails; 0: none fails. */
void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t n);
static unsigned alloc_fail_in;
static bool alloc_failed;

static bool alloc_fails(void)
{
	if (alloc_fail_in == 0 || --alloc_fail_in > 0)
		return false;
	alloc_failed = true;
	return true;
}

void *__wrap_malloc(size_t n)
{
	return alloc_fails() ? NULL : __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t size)
{
	return alloc_fails() ? NULL : __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t n)
{
	return alloc_fails() ? NULL : __real_realloc(p, n);
}

/* A build of the cache over snapshots NEXT with its allocation K failing:
 * a view that is whole, or none; and the build after it, with nothing
 * failing, is the one join_build() makes (ASan: nothing the views borrow
 * was freed under them). True while the K-th allocation was reached. */
static bool build_failing_at(struct join_cache *c, struct store_snapshot **next, unsigned k)
{
	const struct store_snapshot *const *cs = (const struct store_snapshot *const *)next;
	struct join_view v, ref;

	alloc_failed = false;
	alloc_fail_in = k;
	int rc = join_build_cached(c, cs, 2, NOW, NULL, &v);
	alloc_fail_in = 0;
	if (rc == 0) {
		for (size_t i = 0; i < v.npairs; i++)
			ck_assert(strlen(v.pairs[i].id) + strlen(v.pairs[i].problem) +
			                  strlen(v.pairs[i].a.name) >
			          0);
		for (size_t i = 0; i < v.nexports; i++)
			ck_assert(strlen(v.exports[i].service) + strlen(v.exports[i].peer) > 0);
		join_view_free(&v);
	} else {
		ck_assert(alloc_failed);
		ck_assert_ptr_null(v.pairs);
		ck_assert_ptr_null(v.exports);
		ck_assert_uint_eq(v.npairs + v.nexports, 0);
	}
	ck_assert_int_eq(join_build_cached(c, cs, 2, NOW, NULL, &v), 0);
	ck_assert_int_eq(join_build(cs, 2, NOW, NULL, &ref), 0);
	same_pairs(&v, &ref, next);
	same_exports(&v, &ref);
	join_view_free(&ref);
	join_view_free(&v);
	return alloc_failed;
}

/* Each allocation of a cached build failing in turn, when the last
 * build's pairs are judged again in place (new heartbeats) and when they
 * are matched anew (a state moved). */
START_TEST(cache_build_out_of_memory)
{
	struct store_snapshot *s[2];
	exports_world(s);
	struct join_cache *c = join_cache_new();
	struct join_view v;
	ck_assert_ptr_nonnull(c);

	ck_assert_int_eq(
	        join_build_cached(c, (const struct store_snapshot *const *)s, 2, NOW, NULL, &v), 0);
	join_view_free(&v);
	for (int round = 0; round < 2; round++) {
		unsigned k = 1;
		do {
			struct store_snapshot *t[2];
			/* West's state moved each time in the second round. */
			enum model_peering_state st =
			        k % 2 ? MODEL_PEERING_FAILING : MODEL_PEERING_ACTIVE;
			for (int i = 0; i < 2; i++)
				t[i] = times_copy(s[i], 2 + k % 7,
				                  round && i ? st : MODEL_PEERING_UNDEFINED);
			snaps_free(s, 2);
			s[0] = t[0];
			s[1] = t[1];
		} while (build_failing_at(c, s, k++));
		ck_assert_uint_gt(k, 3);
	}
	join_cache_free(c);
	snaps_free(s, 2);
}
END_TEST

/* A cached build's view borrows the cache's exports, one array whether
 * they were computed or reused (no copy of them for each review), and
 * join_view_free() leaves it to the cache; join_build()'s view owns its. */
START_TEST(cache_view_borrows_exports)
{
	struct store_snapshot *s[2];
	exports_world(s);
	struct join_cache *c = join_cache_new();
	struct join_view v, ref;
	ck_assert_ptr_nonnull(c);

	ck_assert_int_eq(
	        join_build_cached(c, (const struct store_snapshot *const *)s, 2, NOW, NULL, &v), 0);
	ck_assert_uint_eq(v.nexports, 3);
	ck_assert(v.exports_borrowed);
	ck_assert_ptr_eq(v.exports, c->exports);
	ck_assert_uint_eq(c->nexports, v.nexports);
	const struct join_export *first = v.exports;
	join_view_free(&v);
	/* The cache's rows outlive the view. */
	ck_assert_ptr_eq(c->exports, first);
	ck_assert_str_eq(c->exports[0].service, "ledger");

	struct store_snapshot *hb = new_heartbeat(s[1], 1);
	store_snapshot_unref(s[1]);
	s[1] = hb;
	ck_assert_int_eq(
	        join_build_cached(c, (const struct store_snapshot *const *)s, 2, NOW, NULL, &v), 0);
	ck_assert_uint_eq(join_cache_stats(c).exports_reused, 1);
	ck_assert(v.exports_borrowed);
	ck_assert_ptr_eq(v.exports, first);
	ck_assert_int_eq(join_build((const struct store_snapshot *const *)s, 2, NOW, NULL, &ref),
	                 0);
	ck_assert(!ref.exports_borrowed);
	ck_assert_ptr_ne(ref.exports, v.exports);
	same_exports(&v, &ref);
	join_view_free(&ref);
	join_view_free(&v);
	join_cache_free(c);
	snaps_free(s, 2);
}
END_TEST

/* A snapshot of S with its mesh gateways replaced by one instance, of
 * health H, in partition PART (NULL: none given, as on CE). */
static struct store_snapshot *new_gateways(const struct store_snapshot *s, enum model_health h,
                                           const char *part)
{
	struct store_snapshot *d = store_snapshot_derive(s);
	struct model_instance_list *l = calloc(1, sizeof *l);
	ck_assert_ptr_nonnull(d);
	ck_assert_ptr_nonnull(l);
	l->v = calloc(1, sizeof *l->v);
	ck_assert_ptr_nonnull(l->v);
	l->v[0].service_id = dup("mgw-0");
	l->v[0].partition = part ? dup(part) : NULL;
	l->v[0].health = h;
	l->n = 1;
	struct store_part *p = store_part_instances(l);
	d->gateways = store_hold(d, STORE_SRC_GATEWAYS, p);
	store_part_unref(p);
	return d;
}

/* A mesh gateway's health change is the commonest change of all, and
 * touches no export: the rows are reused. What the exports take from the
 * gateways is which partitions have one (Enterprise), and a gateway in
 * another partition makes them again. */
START_TEST(cache_reuses_exports_across_gateway_health)
{
	struct fx a, b;
	ent_pair(&a, &b);
	ent_peering(&a, "two", "team-a", "a2", "", "dc2", "ops");
	ent_peering(&b, "one", "ops", "b2", "a2", "dc1", "team-a");
	fx_export(&a, "ledger", "two");
	a.exports->services[0].partition = dup("team-a");
	fx_gateway(&a, "mgw-0", MODEL_HEALTH_PASSING);
	a.gateways->v[0].partition = dup("default");
	fx_service(&b, "ledger", "one", 2, 0);
	b.services->v[0].partition = dup("ops");
	struct store_snapshot *s[2] = {fx_done(&a), fx_done(&b)};
	const struct store_snapshot *const *cs = (const struct store_snapshot *const *)s;
	struct join_cache *c = join_cache_new();
	struct join_view v, ref;
	ck_assert_ptr_nonnull(c);

	ck_assert_int_eq(join_build_cached(c, cs, 2, NOW, NULL, &v), 0);
	uint64_t gen = v.exports_gen;
	ck_assert_uint_eq(v.nexports, 1);
	ck_assert(v.exports[0].no_partition_gateway);
	join_view_free(&v);

	/* The gateway goes critical, in the same partition: reused. */
	struct store_snapshot *d = new_gateways(s[0], MODEL_HEALTH_CRITICAL, "default");
	store_snapshot_unref(s[0]);
	s[0] = d;
	ck_assert_int_eq(join_build_cached(c, cs, 2, NOW, NULL, &v), 0);
	ck_assert_uint_eq(join_cache_stats(c).exports_reused, 1);
	ck_assert_uint_eq(join_cache_stats(c).exports_builds, 1);
	ck_assert_uint_eq(v.exports_gen, gen);
	ck_assert_uint_eq(v.gateways[0].healthy, 0);
	ck_assert_int_eq(join_build(cs, 2, NOW, NULL, &ref), 0);
	same_exports(&v, &ref);
	ck_assert(ref.exports[0].no_partition_gateway);
	join_view_free(&ref);
	join_view_free(&v);

	/* A gateway in team-a now: made again, and the rule is met. */
	d = new_gateways(s[0], MODEL_HEALTH_PASSING, "team-a");
	store_snapshot_unref(s[0]);
	s[0] = d;
	ck_assert_int_eq(join_build_cached(c, cs, 2, NOW, NULL, &v), 0);
	ck_assert_uint_eq(join_cache_stats(c).exports_builds, 2);
	ck_assert_uint_ne(v.exports_gen, gen);
	ck_assert(!v.exports[0].no_partition_gateway);
	join_view_free(&v);
	join_cache_free(c);
	snaps_free(s, 2);
}
END_TEST

/* A build that fails (out of memory) may do so before it looked at every
 * cluster's services, or inside the exports: the cache then keeps nothing
 * keyed on the lists of the snapshots it stops holding, whose addresses a
 * later list can have. What join_build_cached() does after a failure is
 * done by hand here (no allocation can be made to fail): forget, hold. */
START_TEST(cache_keeps_nothing_of_lists_it_lets_go)
{
	struct fx e, w;
	peered(&e, &w, MODEL_PEERING_ACTIVE, MODEL_PEERING_ACTIVE);
	fx_export(&e, "payments", "west");
	fx_service(&w, "payments", "east", 3, 1);
	struct store_snapshot *s[2] = {fx_done(&e), fx_done(&w)};
	const struct store_snapshot *const *cs = (const struct store_snapshot *const *)s;
	struct join_cache *c = join_cache_new();
	struct join_view v;
	ck_assert_ptr_nonnull(c);

	ck_assert_int_eq(join_build_cached(c, cs, 2, NOW, NULL, &v), 0);
	join_view_free(&v);
	ck_assert_ptr_eq(c->cl[1].svc, s[1]->services);
	ck_assert(c->have_exports);

	/* Held again with west's services replaced, the build not reaching
	 * them: west's index goes, east's stays. */
	struct store_snapshot *d = store_snapshot_derive(s[1]);
	struct model_service_summary_list *l = calloc(1, sizeof *l);
	ck_assert(d && l);
	struct store_part *p = store_part_services(l);
	d->services = store_hold(d, STORE_SRC_SERVICES, p);
	store_part_unref(p);
	store_snapshot_unref(s[1]);
	s[1] = d;
	join_cache_hold(c, cs, 2);
	ck_assert_ptr_eq(c->cl[0].svc, s[0]->services);
	ck_assert_ptr_null(c->cl[1].svc);
	ck_assert_uint_eq(c->cl[1].nimported, 0);
	/* A cluster missing from the hold: its index goes. */
	const struct store_snapshot *only_west[2] = {NULL, s[1]};
	join_cache_hold(c, only_west, 2);
	ck_assert_ptr_null(c->cl[0].svc);
	join_cache_hold(c, cs, 2);

	/* After a failure: nothing kept, the next build makes it all again. */
	ck_assert_int_eq(join_build_cached(c, cs, 2, NOW, NULL, &v), 0);
	join_view_free(&v);
	/* East's rows did not read west's services (no "*"), and its imports
	 * did not change: its index was not needed again. */
	ck_assert_ptr_null(c->cl[0].svc);
	ck_assert_ptr_eq(c->cl[1].svc, s[1]->services);
	ck_assert(c->have_exports);
	struct join_cache_stats st = join_cache_stats(c);
	join_cache_forget(c);
	join_cache_hold(c, cs, 2);
	ck_assert_ptr_null(c->cl[0].svc);
	ck_assert(!c->have_exports);
	ck_assert_ptr_null(c->exports);
	ck_assert_uint_eq(c->npeers, 0);
	ck_assert_int_eq(join_build_cached(c, cs, 2, NOW, NULL, &v), 0);
	ck_assert_uint_eq(join_cache_stats(c).exports_builds, st.exports_builds + 1);
	ck_assert_uint_eq(join_cache_stats(c).index_builds, st.index_builds + 2);
	join_view_free(&v);
	join_cache_free(c);
	snaps_free(s, 2);
}
END_TEST

/* Many clusters, peerings and services: the indexes give what scanning
 * gave (every pair joined by ID, every import found). */
START_TEST(cache_at_scale)
{
	enum {
		N = 12,
		SVC = 3000
	};
	struct fx f[N];
	char name[32], peer[32], id[64], pid[64];
	struct store_snapshot *s[N];

	for (int i = 0; i < N; i++) {
		snprintf(name, sizeof name, "c%02d", i);
		snprintf(id, sizeof id, "dc%02d", i);
		fx_init(&f[i], (size_t)i, name, id);
	}
	/* Each pair (i < j): i accepts as "c<j>", j dials as "c<i>". */
	for (int i = 0; i < N; i++) {
		for (int j = i + 1; j < N; j++) {
			snprintf(peer, sizeof peer, "c%02d", j);
			snprintf(id, sizeof id, "id-%d-%d", i, j);
			fx_peering(&f[i], peer, id, "", MODEL_PEERING_ACTIVE, 1);
			snprintf(peer, sizeof peer, "c%02d", i);
			snprintf(pid, sizeof pid, "id-%d-%d-d", i, j);
			fx_peering(&f[j], peer, pid, id, MODEL_PEERING_ACTIVE, 1);
		}
	}
	for (int i = 0; i < N; i++) {
		for (int k = 0; k < SVC; k++) {
			snprintf(name, sizeof name, "svc-%04d", k);
			fx_service(&f[i], name, "", 1, 0);
		}
		for (int j = 0; j < N; j++) {
			if (j == i)
				continue;
			snprintf(peer, sizeof peer, "c%02d", j);
			fx_export(&f[i], "svc-0001", peer);
			fx_export(&f[i], "svc-0002", peer);
			snprintf(peer, sizeof peer, "c%02d", j);
			fx_service(&f[i], "svc-0001", peer, 2, 0);
		}
	}
	for (int i = 0; i < N; i++)
		s[i] = fx_done(&f[i]);
	struct join_view v;
	ck_assert_int_eq(join_build((const struct store_snapshot *const *)s, N, NOW, NULL, &v), 0);
	ck_assert_uint_eq(v.npairs, N * (N - 1) / 2);
	ck_assert_uint_eq(v.pairs_active, N * (N - 1) / 2);
	ck_assert_uint_eq(v.nexports, 2 * N * (N - 1));
	unsigned ok = 0, missing = 0;
	for (size_t i = 0; i < v.nexports; i++) {
		ok += v.exports[i].state == JOIN_CELL_OK;
		missing += v.exports[i].state == JOIN_CELL_NOT_IMPORTED;
	}
	/* svc-0001 is imported everywhere, svc-0002 nowhere. */
	ck_assert_uint_eq(ok, N * (N - 1));
	ck_assert_uint_eq(missing, N * (N - 1));
	ck_assert_uint_eq(v.problems, N * (N - 1));
	join_view_free(&v);
	snaps_free(s, N);
}
END_TEST

/* ------------------------------------------------- the exports by groups */

/* A world of DN clusters, each peered with every other, as a spec a step
 * changes one list of one cluster at a time. */
#define DN 5
struct dspec {
	unsigned svc_ver;      /* the instance counts */
	bool drop_import[DN];  /* no import of s0 from peer j */
	bool ghost;            /* imports "ghost", which the next cluster never exports */
	bool drop_export[DN];  /* no export of s1 to peer j */
	bool extra_export[DN]; /* s2 exported to peer j too */
	bool wildcard;         /* "*" exported to the next cluster */
	bool failing[DN];      /* its peering with j FAILING */
	bool gone[DN];         /* no peering with j in Consul */
	bool gw_critical;
	bool deny[DN]; /* an intention denies peer j's callers of s0 */
};

static struct store_snapshot *dworld_cluster(int i, const struct dspec *sp)
{
	struct fx f;
	char name[16], peer[16], id[32], pid[32];

	snprintf(name, sizeof name, "c%d", i);
	snprintf(id, sizeof id, "dc%d", i);
	fx_init(&f, (size_t)i, name, id);
	for (int j = 0; j < DN; j++) {
		if (j == i || sp->gone[j])
			continue;
		enum model_peering_state st =
		        sp->failing[j] ? MODEL_PEERING_FAILING : MODEL_PEERING_ACTIVE;
		snprintf(peer, sizeof peer, "c%d", j);
		if (i < j) {
			snprintf(id, sizeof id, "id-%d-%d", i, j);
			fx_peering(&f, peer, id, "", st, 1);
		} else {
			snprintf(id, sizeof id, "id-%d-%d-d", j, i);
			snprintf(pid, sizeof pid, "id-%d-%d", j, i);
			fx_peering(&f, peer, id, pid, st, 1);
		}
	}
	for (int k = 0; k < 5; k++) {
		snprintf(name, sizeof name, "s%d", k);
		fx_service(&f, name, "", 1 + sp->svc_ver % 3, sp->svc_ver % 2);
	}
	for (int j = 0; j < DN; j++) {
		if (j == i)
			continue;
		snprintf(peer, sizeof peer, "c%d", j);
		if (!sp->drop_import[j])
			fx_service(&f, "s0", peer, 2 + (sp->svc_ver + (unsigned)j) % 3,
			           (sp->svc_ver + (unsigned)j) % 2);
		fx_service(&f, "s1", peer, 2, 0);
		fx_export(&f, "s0", peer);
		if (!sp->drop_export[j])
			fx_export(&f, "s1", peer);
		if (sp->extra_export[j])
			fx_export(&f, "s2", peer);
		if (sp->deny[j])
			fx_intention(&f, "s0", "*", peer, MODEL_INTENTION_DENY);
	}
	snprintf(peer, sizeof peer, "c%d", (i + 1) % DN);
	if (sp->ghost)
		fx_service(&f, "ghost", peer, 1, 0);
	if (sp->wildcard)
		fx_export(&f, "*", peer);
	fx_gateway(&f, "mgw-0", sp->gw_critical ? MODEL_HEALTH_CRITICAL : MODEL_HEALTH_PASSING);
	return fx_done(&f);
}

/* S with the list SLOT of the cluster SP makes, and its other lists. */
static struct store_snapshot *dworld_with(const struct store_snapshot *s, int i,
                                          const struct dspec *sp, enum store_src slot)
{
	struct store_snapshot *f = dworld_cluster(i, sp), *d = store_snapshot_derive(s);
	struct store_part *p = store_held(f, slot);

	ck_assert_ptr_nonnull(d);
	ck_assert_ptr_nonnull(p);
	const void *held = store_hold(d, slot, p);
	switch (slot) {
	case STORE_SRC_SERVICES:
		d->services = held;
		break;
	case STORE_SRC_EXPORTS:
		d->exports = held;
		break;
	case STORE_SRC_PEERINGS:
		d->peerings = held;
		break;
	case STORE_SRC_GATEWAYS:
		d->gateways = held;
		break;
	default:
		d->intentions = held;
		break;
	}
	store_snapshot_unref(f);
	return d;
}

/* Every field of every row, and the problems. */
static void same_rows(const struct join_view *a, const struct join_view *b)
{
	ck_assert_uint_eq(a->nexports, b->nexports);
	for (size_t i = 0; i < a->nexports; i++) {
		const struct join_export *x = &a->exports[i], *y = &b->exports[i];
		ck_assert_str_eq(x->id, y->id);
		ck_assert_str_eq(x->service, y->service);
		ck_assert_str_eq(x->partition, y->partition);
		ck_assert_str_eq(x->peer, y->peer);
		ck_assert_str_eq(x->to_partition, y->to_partition);
		ck_assert_msg(x->from == y->from && x->to == y->to && x->exported == y->exported &&
		                      x->imported == y->imported && x->wildcard == y->wildcard &&
		                      x->instances == y->instances && x->healthy == y->healthy &&
		                      x->state == y->state &&
		                      x->no_partition_gateway == y->no_partition_gateway &&
		                      x->intent == y->intent,
		              "%s: differs from a build from nothing", x->id);
	}
	ck_assert_uint_eq(a->problems, b->problems);
}

/* The exported rows of a view whose importing cluster is C. */
static size_t rows_to(const struct join_view *v, size_t c)
{
	size_t n = 0;

	for (size_t i = 0; i < v->nexports; i++)
		n += v->exports[i].state != JOIN_CELL_NOT_EXPORTED && v->exports[i].to == c;
	return n;
}

/* A build after one cluster's list changed makes the rows that read it,
 * keeps the others, and gives what a build from nothing gives: over a
 * long run of changes of every kind. A new services list (a gateway's
 * health is counted in it) makes the rows exported to that cluster, and
 * the cluster's own rows only when it exports "*". */
START_TEST(cache_makes_the_groups_that_changed)
{
	struct dspec sp[DN];
	struct store_snapshot *s[DN];
	const struct store_snapshot *const *cs = (const struct store_snapshot *const *)s;
	struct join_cache *c = join_cache_new();
	struct join_view v, ref;
	unsigned long seed = 12345;

	ck_assert_ptr_nonnull(c);
	memset(sp, 0, sizeof sp);
	sp[0].ghost = true;
	for (int i = 0; i < DN; i++)
		s[i] = dworld_cluster(i, &sp[i]);
	ck_assert_int_eq(join_build_cached(c, cs, DN, NOW, NULL, &v), 0);
	size_t all = v.nexports;
	ck_assert_uint_eq(join_cache_stats(c).rows_made, all - 1); /* and one "not exported" */
	join_view_free(&v);

	/* Cluster 2's services: the rows exported to it. */
	sp[2].svc_ver++;
	struct store_snapshot *d = dworld_with(s[2], 2, &sp[2], STORE_SRC_SERVICES);
	store_snapshot_unref(s[2]);
	s[2] = d;
	unsigned long made = join_cache_stats(c).rows_made;
	ck_assert_int_eq(join_build_cached(c, cs, DN, NOW, NULL, &v), 0);
	ck_assert_int_eq(join_build(cs, DN, NOW, NULL, &ref), 0);
	same_rows(&v, &ref);
	ck_assert_uint_eq(join_cache_stats(c).rows_made - made, rows_to(&ref, 2));
	ck_assert_uint_lt(rows_to(&ref, 2), all / 4);
	join_view_free(&ref);
	join_view_free(&v);
	/* Once it exports "*", its own rows read its services too. */
	sp[2].wildcard = true;
	d = dworld_with(s[2], 2, &sp[2], STORE_SRC_EXPORTS);
	store_snapshot_unref(s[2]);
	s[2] = d;
	ck_assert_int_eq(join_build_cached(c, cs, DN, NOW, NULL, &v), 0);
	join_view_free(&v);
	sp[2].svc_ver++;
	d = dworld_with(s[2], 2, &sp[2], STORE_SRC_SERVICES);
	store_snapshot_unref(s[2]);
	s[2] = d;
	made = join_cache_stats(c).rows_made;
	ck_assert_int_eq(join_build_cached(c, cs, DN, NOW, NULL, &v), 0);
	ck_assert_int_eq(join_build(cs, DN, NOW, NULL, &ref), 0);
	same_rows(&v, &ref);
	size_t own = 0;
	for (size_t i = 0; i < ref.nexports; i++)
		own += ref.exports[i].state != JOIN_CELL_NOT_EXPORTED && ref.exports[i].from == 2 &&
		       ref.exports[i].to != 2;
	ck_assert_uint_eq(join_cache_stats(c).rows_made - made, rows_to(&ref, 2) + own);
	join_view_free(&ref);
	join_view_free(&v);

	for (int step = 0; step < 400; step++) {
		seed = seed * 6364136223846793005ul + 1442695040888963407ul;
		int i = (int)(seed >> 33) % DN, j = (int)(seed >> 41) % DN,
		    kind = (int)(seed >> 50) % 6;
		enum store_src slot = STORE_SRC_SERVICES;
		switch (kind) {
		case 0:
			sp[i].svc_ver++;
			sp[i].drop_import[j] ^= (seed >> 20) & 1;
			sp[i].ghost ^= (seed >> 21) & 1;
			break;
		case 1:
			slot = STORE_SRC_EXPORTS;
			sp[i].drop_export[j] ^= (seed >> 20) & 1;
			sp[i].extra_export[j] ^= (seed >> 21) & 1;
			sp[i].wildcard ^= (seed >> 22) & 1;
			break;
		case 2:
			slot = STORE_SRC_PEERINGS;
			sp[i].failing[j] ^= (seed >> 20) & 1;
			sp[i].gone[j] ^= (seed >> 21) & 1;
			break;
		case 3:
			slot = STORE_SRC_GATEWAYS;
			sp[i].gw_critical ^= 1;
			break;
		case 4:
			slot = STORE_SRC_INTENTIONS;
			sp[i].deny[j] ^= 1;
			break;
		default:
			slot = STORE_SRC_COUNT; /* a heartbeat */
			break;
		}
		d = slot == STORE_SRC_COUNT ? new_heartbeat(s[i], (int64_t)(seed >> 24) % 9)
		                            : dworld_with(s[i], i, &sp[i], slot);
		store_snapshot_unref(s[i]);
		s[i] = d;
		ck_assert_int_eq(join_build_cached(c, cs, DN, NOW, NULL, &v), 0);
		ck_assert_int_eq(join_build(cs, DN, NOW, NULL, &ref), 0);
		same_rows(&v, &ref);
		join_view_free(&ref);
		join_view_free(&v);
	}
	join_cache_free(c);
	snaps_free(s, DN);
}
END_TEST

/* ----------------------------------------------------------------- gateways */

START_TEST(gateways_and_modes)
{
	struct fx e;
	fx_init(&e, 0, "east", "dc-east");
	fx_gateway(&e, "mgw-1", MODEL_HEALTH_PASSING);
	fx_gateway(&e, "mgw-2", MODEL_HEALTH_CRITICAL);
	fx_peering(&e, "west", "i", "", MODEL_PEERING_ACTIVE, 1);
	fx_peering(&e, "gone", "j", "", MODEL_PEERING_TERMINATED, 1);
	struct store_snapshot *snap = fx_done(&e);

	/* Nothing configured: remote, Consul's default. */
	enum join_mode_source src;
	ck_assert_int_eq(join_effective_mode(snap, NULL, NULL, NULL, &src), MODEL_MGW_REMOTE);
	ck_assert_int_eq(src, JOIN_MODE_DEFAULT);

	struct model_proxy_defaults_entry *pd = calloc(1, sizeof *pd);
	pd->mgw_mode = MODEL_MGW_LOCAL;
	struct store_part *p = store_part_proxy_defaults(pd);
	snap->proxy_defaults = store_hold(snap, STORE_SRC_PROXY_DEFAULTS, p);
	store_part_unref(p);
	snap->has_proxy_defaults = true;

	struct store_service_defaults *sdl = calloc(1, sizeof *sdl);
	sdl->v = calloc(1, sizeof *sdl->v);
	sdl->n = 1;
	sdl->v[0].head.name = dup("web");
	sdl->v[0].mgw_mode = MODEL_MGW_REMOTE;
	sdl->v[0].overrides = calloc(1, sizeof *sdl->v[0].overrides);
	sdl->v[0].noverrides = 1;
	sdl->v[0].overrides[0].name = dup("api");
	sdl->v[0].overrides[0].peer = dup("west");
	sdl->v[0].overrides[0].mgw_mode = MODEL_MGW_LOCAL;
	p = store_part_service_defaults(sdl);
	snap->service_defaults = store_hold(snap, STORE_SRC_SERVICE_DEFAULTS, p);
	store_part_unref(p);

	ck_assert_int_eq(join_effective_mode(snap, NULL, NULL, NULL, &src), MODEL_MGW_LOCAL);
	ck_assert_int_eq(src, JOIN_MODE_PROXY_DEFAULTS);
	ck_assert_int_eq(join_effective_mode(snap, "web", NULL, NULL, &src), MODEL_MGW_REMOTE);
	ck_assert_int_eq(src, JOIN_MODE_SERVICE_DEFAULTS);
	ck_assert_int_eq(join_effective_mode(snap, "web", "api", "west", &src), MODEL_MGW_LOCAL);
	ck_assert_int_eq(src, JOIN_MODE_UPSTREAM_OVERRIDE);
	ck_assert_int_eq(join_effective_mode(snap, "web", "api", "other", &src), MODEL_MGW_REMOTE);
	ck_assert_int_eq(join_effective_mode(snap, "other", NULL, NULL, NULL), MODEL_MGW_LOCAL);
	ck_assert_str_eq(join_mode_source_name(JOIN_MODE_UPSTREAM_OVERRIDE), "upstream-override");

	const struct store_snapshot *s[1] = {snap};
	struct join_view v;
	ck_assert_int_eq(join_build(s, 1, NOW, NULL, &v), 0);
	ck_assert_uint_eq(v.ngateways, 1);
	ck_assert_uint_eq(v.gateways[0].total, 2);
	ck_assert_uint_eq(v.gateways[0].healthy, 1);
	ck_assert_int_eq(v.gateways[0].mode, MODEL_MGW_LOCAL);
	ck_assert_uint_eq(v.gateways[0].npeers, 1);
	ck_assert_str_eq(v.gateways[0].peers[0], "west");
	ck_assert_uint_eq(v.gateways[0].noverrides, 1);
	ck_assert(!v.gateways[0].peer_through_mesh_gateways);
	join_view_free(&v);
	store_snapshot_unref(snap);
}
END_TEST

START_TEST(proxy_defaults_cr_used_only_without_consul)
{
	struct fx e;
	fx_init(&e, 0, "east", "dc-east");
	struct store_snapshot *snap = fx_done(&e);
	struct store_kube_proxy_defaults *l = calloc(1, sizeof *l);
	l->v = calloc(1, sizeof *l->v);
	l->n = 1;
	l->v[0].mgw_mode = MODEL_MGW_LOCAL;
	struct store_part *p = store_part_kube_proxy_defaults(l);
	snap->kube_proxy_defaults = store_hold(snap, STORE_SRC_KUBE_PROXY_DEFAULTS, p);
	store_part_unref(p);

	/* Consul answered: no entry there, so the default applies. */
	ck_assert_int_eq(join_effective_mode(snap, NULL, NULL, NULL, NULL), MODEL_MGW_REMOTE);
	snap->sources[STORE_SRC_PROXY_DEFAULTS].last_ok_ns = 0;
	ck_assert_int_eq(join_effective_mode(snap, NULL, NULL, NULL, NULL), MODEL_MGW_LOCAL);
	store_snapshot_unref(snap);
}
END_TEST

START_TEST(empty_input)
{
	struct join_view v;
	const struct store_snapshot *s[2] = {NULL, NULL};

	ck_assert_int_eq(join_build(s, 2, NOW, NULL, &v), 0);
	ck_assert_uint_eq(v.npairs, 0);
	ck_assert_uint_eq(v.nexports, 0);
	ck_assert_uint_eq(v.ngateways, 0);
	join_view_free(&v);
	join_view_free(&v);
	/* Kept by a cache: no rows to copy (the sanitizers' build checks the
	 * copy of nothing from NULL), and none reused. */
	struct join_cache *c = join_cache_new();
	ck_assert_ptr_nonnull(c);
	for (int i = 0; i < 2; i++) {
		ck_assert_int_eq(join_build_cached(c, s, 2, NOW, NULL, &v), 0);
		ck_assert_uint_eq(v.nexports, 0);
		join_view_free(&v);
	}
	ck_assert_uint_eq(join_cache_stats(c).exports_reused, 1);
	join_cache_free(c);
}
END_TEST

static Suite *join_suite(void)
{
	Suite *s = suite_create("join");
	TCase *tc = tcase_create("pairs");

	tcase_add_test(tc, healthy_pair_joined_by_id);
	tcase_add_test(tc, pair_joined_by_datacenter_and_by_name);
	tcase_add_test(tc, asymmetric_when_other_side_terminated);
	tcase_add_test(tc, asymmetric_when_other_side_absent);
	tcase_add_test(tc, absent_end_is_a_when_lower_index);
	tcase_add_test(tc, stale_heartbeat);
	tcase_add_test(tc, when_a_heartbeat_grows_stale);
	tcase_add_test(tc, not_synced_cr);
	tcase_add_test(tc, dialer_token_secret_missing);
	tcase_add_test(tc, token_missing_unknown_without_secrets);
	tcase_add_test(tc, one_sided_peering);
	tcase_add_test(tc, stale_data_does_not_make_unhealthy);
	tcase_add_test(tc, nothing_is_a_problem_before_it_is_read);
	suite_add_tcase(s, tc);
	tc = tcase_create("exports");
	tcase_add_test(tc, export_matrix);
	tcase_add_test(tc, export_id_of_a_long_name);
	tcase_add_test(tc, export_wildcard_expands_local_services);
	tcase_add_test(tc, intentions_follow_precedence);
	tcase_add_test(tc, intentions_default_policy);
	tcase_add_test(tc, cache_reuses_what_did_not_change);
	tcase_add_test(tc, cache_view_borrows_exports);
	tcase_add_test(tc, cache_judges_the_same_pairs_again);
	tcase_add_test(tc, cache_build_out_of_memory);
	tcase_add_test(tc, cache_reuses_exports_across_gateway_health);
	tcase_add_test(tc, cache_keeps_nothing_of_lists_it_lets_go);
	tcase_add_test(tc, cache_at_scale);
	tcase_add_test(tc, cache_makes_the_groups_that_changed);
	suite_add_tcase(s, tc);
	tc = tcase_create("gateways");
	tcase_add_test(tc, gateways_and_modes);
	tcase_add_test(tc, proxy_defaults_cr_used_only_without_consul);
	tcase_add_test(tc, empty_input);
	tcase_add_test(tc, partitions_pairs_matched_by_partition);
	tcase_add_test(tc, partitions_no_cross_partition_join);
	tcase_add_test(tc, partitions_cr_in_consul_k8s_partition);
	tcase_add_test(tc, partitions_cr_waits_for_release);
	tcase_add_test(tc, partitions_exports_and_gateway_rule);
	tcase_add_test(tc, partitions_ce_rule_not_applied);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN(join_suite)
