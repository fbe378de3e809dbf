/* view: cursor kept by id, filter, sort, change stamps; rows built from
 * joined snapshots. */
#include "autoconfig.h"

#include "unit.h"

#include "peerscope/join.h"
#include "peerscope/store.h"
#include "peerscope/view.h"

#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define SEC 1000000000LL

static const struct view_column cols[2] = {{"NAME", 10, false}, {"STATE", 10, true}};

/* Rows "id:state" pairs, e.g. make_rows(3, "b", "ACTIVE", "a", "PENDING", ...). */
static struct view_row *make_rows(size_t n, ...)
{
	struct view_row *v = calloc(n, sizeof *v);
	va_list ap;

	ck_assert_ptr_nonnull(v);
	va_start(ap, n);
	for (size_t i = 0; i < n; i++) {
		const char *id = va_arg(ap, const char *), *state = va_arg(ap, const char *);
		ck_assert_int_eq(view_row_init(&v[i], id, 2), 0);
		ck_assert_int_eq(view_cell_set(&v[i], 0, THEME_ACCENT, "%s", id), 0);
		ck_assert_int_eq(view_cell_set(&v[i], 1, THEME_OK, "%s", state), 0);
	}
	va_end(ap);
	return v;
}

static const char *sel(const struct view_table *t)
{
	const struct view_row *r = view_table_selected(t);
	return r ? r->id : "(none)";
}

START_TEST(cursor_follows_id)
{
	struct view_table t;

	view_table_init(&t, cols, 2);
	ck_assert_str_eq(sel(&t), "(none)");
	ck_assert_int_eq(view_table_set_rows(&t, make_rows(3, "a", "x", "b", "y", "c", "z"), 3, 10),
	                 0);
	view_table_move(&t, 1);
	ck_assert_str_eq(sel(&t), "b");
	/* New data in another order: the cursor stays on b. */
	ck_assert_int_eq(view_table_set_rows(
	                         &t, make_rows(4, "d", "w", "c", "z", "b", "y", "a", "x"), 4, 20),
	                 0);
	ck_assert_str_eq(sel(&t), "b");
	ck_assert_uint_eq(t.cursor, 2);
	/* b vanishes: the cursor keeps its place. */
	ck_assert_int_eq(view_table_set_rows(&t, make_rows(3, "d", "w", "c", "z", "a", "x"), 3, 30),
	                 0);
	ck_assert_str_eq(sel(&t), "a");
	/* Moving is clamped. */
	view_table_move(&t, 10);
	ck_assert_str_eq(sel(&t), "a");
	view_table_home(&t);
	ck_assert_str_eq(sel(&t), "d");
	view_table_move(&t, -1);
	ck_assert_str_eq(sel(&t), "d");
	view_table_end(&t);
	ck_assert_str_eq(sel(&t), "a");
	view_table_free(&t);
}
END_TEST

START_TEST(change_stamps)
{
	struct view_table t;

	view_table_init(&t, cols, 2);
	/* The first rows are not news. */
	view_table_set_rows(&t, make_rows(2, "a", "PENDING", "b", "ACTIVE"), 2, 100);
	ck_assert_int_eq(t.rows[0].changed_ns, 0);
	/* a changed, b did not, c is new. */
	view_table_set_rows(&t, make_rows(3, "a", "ACTIVE", "b", "ACTIVE", "c", "PENDING"), 3, 200);
	ck_assert_int_eq(t.rows[0].changed_ns, 200);
	ck_assert_int_eq(t.rows[1].changed_ns, 0);
	ck_assert_int_eq(t.rows[2].changed_ns, 200);
	/* Unchanged rows keep the time they changed. */
	view_table_set_rows(&t, make_rows(3, "a", "ACTIVE", "b", "ACTIVE", "c", "PENDING"), 3, 300);
	ck_assert_int_eq(t.rows[0].changed_ns, 200);
	ck_assert_int_eq(t.rows[2].changed_ns, 200);
	view_table_free(&t);
}
END_TEST

/* A clock cell (a heartbeat's age, new with every stream poll) that shows
 * another age is no news; in another role (turned stale) it is, and so is
 * a cell that is not a clock. */
START_TEST(clock_cells_are_not_news)
{
	struct view_table t;
	struct view_row *r;

	view_table_init(&t, cols, 2);
	r = make_rows(1, "a", "4s");
	r[0].cells[1].clock = true;
	view_table_set_rows(&t, r, 1, 100);
	r = make_rows(1, "a", "9s");
	r[0].cells[1].clock = true;
	view_table_set_rows(&t, r, 1, 200);
	ck_assert_int_eq(t.rows[0].changed_ns, 0);
	ck_assert_str_eq(t.rows[0].cells[1].text, "9s");
	r = make_rows(1, "a", "47s");
	r[0].cells[1].clock = true;
	r[0].cells[1].role = THEME_WARN;
	view_table_set_rows(&t, r, 1, 300);
	ck_assert_int_eq(t.rows[0].changed_ns, 300);
	/* The same text, no longer a clock: judged as text, the same. */
	r = make_rows(1, "a", "47s");
	r[0].cells[1].role = THEME_WARN;
	view_table_set_rows(&t, r, 1, 400);
	ck_assert_int_eq(t.rows[0].changed_ns, 300);
	r = make_rows(1, "a", "52s");
	r[0].cells[1].role = THEME_WARN;
	view_table_set_rows(&t, r, 1, 500);
	ck_assert_int_eq(t.rows[0].changed_ns, 500);
	view_table_free(&t);
}
END_TEST

START_TEST(filter_and_sort)
{
	struct view_table t;

	view_table_init(&t, cols, 2);
	view_table_set_rows(&t,
	                    make_rows(4, "cluster-10", "ACTIVE", "cluster-2", "PENDING",
	                              "cluster-1", "FAILING", "other", "ACTIVE"),
	                    4, 1);
	view_table_move(&t, 1);
	ck_assert_str_eq(sel(&t), "cluster-2");
	/* Case-insensitive, any cell. */
	view_table_set_filter(&t, "active");
	ck_assert_uint_eq(t.nvisible, 2);
	ck_assert_str_eq(view_table_visible(&t, 0)->id, "cluster-10");
	ck_assert_str_eq(view_table_visible(&t, 1)->id, "other");
	view_table_set_filter(&t, "CLUSTER");
	ck_assert_uint_eq(t.nvisible, 3);
	view_table_set_filter(&t, "");
	ck_assert_uint_eq(t.nvisible, 4);
	ck_assert_str_eq(sel(&t), "cluster-2");
	/* Sorting by the first column compares numbers as numbers. */
	view_table_sort_next(&t);
	ck_assert_int_eq(t.sort_col, 0);
	ck_assert_str_eq(view_table_visible(&t, 0)->id, "cluster-1");
	ck_assert_str_eq(view_table_visible(&t, 1)->id, "cluster-2");
	ck_assert_str_eq(view_table_visible(&t, 2)->id, "cluster-10");
	ck_assert_str_eq(sel(&t), "cluster-2");
	view_table_sort_reverse(&t);
	ck_assert_str_eq(view_table_visible(&t, 0)->id, "other");
	/* By state; ties keep the built order. */
	view_table_sort_next(&t);
	ck_assert_int_eq(t.sort_col, 1);
	ck_assert(!t.sort_desc);
	ck_assert_str_eq(view_table_visible(&t, 0)->id, "cluster-10");
	ck_assert_str_eq(view_table_visible(&t, 1)->id, "other");
	ck_assert_str_eq(view_table_visible(&t, 2)->id, "cluster-1");
	/* After the last column, the built order again. */
	view_table_sort_next(&t);
	ck_assert_int_eq(t.sort_col, -1);
	ck_assert_str_eq(view_table_visible(&t, 0)->id, "cluster-10");
	ck_assert_str_eq(sel(&t), "cluster-2");
	view_table_free(&t);
}
END_TEST

START_TEST(find_and_scroll)
{
	struct view_table t;

	view_table_init(&t, cols, 2);
	view_table_set_rows(&t,
	                    make_rows(5, "a|b", "ACTIVE", "a|c", "PENDING", "b|c", "ACTIVE", "x",
	                              "1", "y", "2"),
	                    5, 1);
	/* Exact cell or id first, then a substring. */
	ck_assert(view_table_find(&t, "b|c"));
	ck_assert_str_eq(sel(&t), "b|c");
	ck_assert(view_table_find(&t, "PENDING"));
	ck_assert_str_eq(sel(&t), "a|c");
	ck_assert(view_table_find(&t, "c"));
	ck_assert_str_eq(sel(&t), "a|c");
	ck_assert(!view_table_find(&t, "zzz"));
	ck_assert_str_eq(sel(&t), "a|c");
	/* The window follows the cursor. */
	view_table_end(&t);
	view_table_scroll(&t, 2);
	ck_assert_uint_eq(t.top, 3);
	view_table_home(&t);
	view_table_scroll(&t, 2);
	ck_assert_uint_eq(t.top, 0);
	view_table_scroll(&t, 10);
	ck_assert_uint_eq(t.top, 0);
	view_table_free(&t);
}
END_TEST

/* A row's cells start empty, each set, dropped and freed with the row as
 * any other (they share one empty text until set). */
START_TEST(row_cells_start_empty)
{
	struct view_row r;

	ck_assert_int_eq(view_row_init(&r, "id", 4), 0);
	for (size_t i = 0; i < 4; i++)
		ck_assert_str_eq(r.cells[i].text, "");
	ck_assert_int_eq(view_cell_set(&r, 1, THEME_OK, "%s", "one"), 0);
	ck_assert_int_eq(view_cell_set(&r, 1, THEME_OK, "%d", 2), 0);
	view_row_drop_cell(&r, 0); /* an empty one */
	view_row_drop_cell(&r, 0); /* a set one */
	ck_assert_uint_eq(r.ncells, 2);
	ck_assert_str_eq(r.cells[0].text, "");
	ck_assert_int_eq(view_cell_set(&r, 0, THEME_OK, "x"), 0);
	ck_assert_str_eq(r.cells[0].text, "x");
	ck_assert_str_eq(r.cells[1].text, "");
	view_row_clear(&r);
	ck_assert_ptr_null(r.cells);
}
END_TEST

START_TEST(helpers)
{
	char buf[16];
	char *s = NULL;

	ck_assert_str_eq(view_age(2500, false, buf, sizeof buf), "2s");
	ck_assert_str_eq(view_age(125000, false, buf, sizeof buf), "2m");
	ck_assert_str_eq(view_age(7200000, false, buf, sizeof buf), "2h");
	ck_assert_str_eq(view_age(3 * 86400000LL, false, buf, sizeof buf), "3d");
	ck_assert_str_eq(view_age(0, false, buf, sizeof buf), "0s");
	ck_assert_str_eq(view_age(59999, false, buf, sizeof buf), "59s");
	ck_assert_str_eq(view_age(60000, false, buf, sizeof buf), "1m");
	ck_assert_str_eq(view_age(86399999, false, buf, sizeof buf), "23h");
	ck_assert_str_eq(view_age(INT64_MAX, false, buf, sizeof buf), "106751991167d");
	/* Cut to the buffer, as snprintf cuts. */
	char small[3];
	ck_assert_str_eq(view_age(86400000000LL, false, small, sizeof small), "10");
	ck_assert_str_eq(view_age(7000, false, small, 1), "");
	ck_assert_str_eq(view_age(-1, true, buf, sizeof buf), "-");
	ck_assert_str_eq(view_age(-1, false, buf, sizeof buf), "\u2014");
	/* When the text of a growing age changes next. */
	ck_assert_int_eq(view_age_next_ms(2500), 500);
	ck_assert_int_eq(view_age_next_ms(59999), 1);
	ck_assert_int_eq(view_age_next_ms(60000), 60000);
	ck_assert_int_eq(view_age_next_ms(125000), 55000);
	ck_assert_int_eq(view_age_next_ms(7200000), 3600000);
	ck_assert_int_eq(view_age_next_ms(-1), -1);
	ck_assert_int_eq(view_state_role(MODEL_PEERING_ACTIVE), THEME_OK);
	ck_assert_int_eq(view_state_role(MODEL_PEERING_ESTABLISHING), THEME_WARN);
	ck_assert_int_eq(view_state_role(MODEL_PEERING_TERMINATED), THEME_BAD);
	ck_assert_int_eq(view_append(&s, "a%d", 1), 0);
	ck_assert_int_eq(view_append(&s, "-%s", "b"), 0);
	ck_assert_str_eq(s, "a1-b");
	free(s);
}
END_TEST

/* ------------------------------------------------------------ from snapshots */

/* Holds part P in snapshot S and drops the builder's own reference. */
static const void *keep(struct store_snapshot *s, enum store_src slot, struct store_part *p)
{
	const void *d;

	if (!p)
		return NULL;
	d = store_hold(s, slot, p);
	store_part_unref(p);
	return d;
}

static void peering(struct model_peering *p, const char *id, const char *name, const char *peer_id,
                    enum model_peering_state st, int64_t hb)
{
	memset(p, 0, sizeof *p);
	p->id = strdup(id);
	p->name = strdup(name);
	p->partition = strdup("");
	p->state = st;
	p->state_text = strdup(model_peering_state_name(st));
	p->peer_id = strdup(peer_id);
	p->peer_server_name = strdup("");
	p->has_stream_status = true;
	p->stream.last_heartbeat_ns = hb;
	ck_assert_int_eq(model_strv_push(&p->stream.exported_services, "payments"), 0);
}

static struct store_snapshot *snap(size_t i, const char *name, const char *dc, int64_t now,
                                   struct model_peering *peerings, size_t n, bool stale)
{
	struct store_snapshot *s = store_snapshot_new(i, name, "", "http://127.0.0.1:1");
	struct model_cluster_identity *id = calloc(1, sizeof *id);
	struct model_peering_list *l = calloc(1, sizeof *l);

	ck_assert(s && id && l);
	id->datacenter = strdup(dc);
	id->version = strdup(i == 2 ? "1.13.9" : "1.17.3");
	id->leader = strdup("10.0.0.5:8300");
	id->primary_datacenter = strdup(dc);
	id->node_name = strdup("n");
	id->node_id = strdup("");
	id->partition = strdup("");
	id->revision = strdup("");
	s->identity = keep(s, STORE_SRC_IDENTITY, store_part_identity(id));
	s->has_identity = true;
	/* GET /v1/agent/members: the one server runs the agent's version. */
	struct model_acl_facts *acl = calloc(1, sizeof *acl);
	ck_assert_ptr_nonnull(acl);
	acl->acl_known = acl->servers_known = true;
	ck_assert_int_eq(model_meta_set(&acl->servers, "n", id->version), 0);
	s->acl = keep(s, STORE_SRC_ACL, store_part_acl(acl));
	l->v = peerings;
	l->n = n;
	s->peerings = keep(s, STORE_SRC_PEERINGS, store_part_peerings(l));
	s->consul_reachable = !stale;
	s->published_ns = now;
	for (int k = 0; k < STORE_SRC_COUNT; k++) {
		s->sources[k].enabled = !store_src_is_kube((enum store_src)k);
		s->sources[k].state = stale ? MODEL_SOURCE_STALE : MODEL_SOURCE_OK;
		s->sources[k].stale = stale;
		s->sources[k].last_ok_ns = now - (stale ? 42000000000LL : 0);
	}
	return s;
}

static void gateway(struct store_snapshot *s, const char *id, enum model_health h)
{
	struct model_instance_list *l = calloc(1, sizeof *l);
	struct model_service_instance *g;

	ck_assert_ptr_nonnull(l);
	l->v = g = calloc(1, sizeof *g);
	ck_assert_ptr_nonnull(g);
	l->n = 1;
	g->node = strdup("node-1");
	g->node_address = strdup("10.0.0.4");
	g->datacenter = strdup("east");
	g->service_id = strdup(id);
	g->service_name = strdup("mesh-gateway");
	g->kind = strdup("mesh-gateway");
	g->address = strdup("10.0.0.7");
	g->lan.address = strdup("10.0.0.7");
	g->lan.port = 8443;
	g->wan.address = strdup("198.51.100.10");
	g->wan.port = 443;
	g->peer_name = strdup("");
	g->health = h;
	s->gateways = keep(s, STORE_SRC_GATEWAYS, store_part_instances(l));
}

/* Cluster S exports the N services NAMES to PEER, in one entry. */
static void export_services(struct store_snapshot *s, const char *const *names, size_t n,
                            const char *peer)
{
	struct model_exported_services_entry *e = calloc(1, sizeof *e);

	ck_assert_ptr_nonnull(e);
	e->head.kind = strdup("exported-services");
	e->head.name = strdup("default");
	e->head.partition = strdup("");
	e->head.ns = strdup("");
	e->services = calloc(n, sizeof *e->services);
	ck_assert_ptr_nonnull(e->services);
	e->nservices = n;
	for (size_t i = 0; i < n; i++) {
		struct model_export_service *x = &e->services[i];
		x->name = strdup(names[i]);
		x->ns = strdup("");
		x->consumers = calloc(1, sizeof *x->consumers);
		ck_assert_ptr_nonnull(x->consumers);
		x->nconsumers = 1;
		x->consumers[0].peer = strdup(peer);
		x->consumers[0].partition = strdup("");
		x->consumers[0].sameness_group = strdup("");
	}
	s->exports = keep(s, STORE_SRC_EXPORTS, store_part_exports(e));
	s->has_exports = true;
}

/* Cluster S exports SERVICE to PEER. */
static void export(struct store_snapshot *s, const char *service, const char *peer)
{
	export_services(s, &service, 1, peer);
}

/* Cluster S exports SERVICE to the N peers PEERS. */
static void export_to(struct store_snapshot *s, const char *service, const char *const *peers,
                      size_t n)
{
	export_services(s, &service, 1, peers[0]);
	struct model_export_service *x =
	        ((struct model_exported_services_entry *)s->exports)->services;
	x->consumers = realloc(x->consumers, n * sizeof *x->consumers);
	ck_assert_ptr_nonnull(x->consumers);
	for (size_t i = 1; i < n; i++)
		x->consumers[i] = (struct model_export_consumer){.peer = strdup(peers[i]),
		                                                 .partition = strdup(""),
		                                                 .sameness_group = strdup("")};
	x->nconsumers = n;
}

/* Cluster S imports SERVICE from PEER with N passing instances. */
static void import(struct store_snapshot *s, const char *service, const char *peer, unsigned n)
{
	struct model_service_summary_list *l = calloc(1, sizeof *l);
	struct model_service_summary *x;

	ck_assert_ptr_nonnull(l);
	l->v = x = calloc(1, sizeof *x);
	l->n = 1;
	x->name = strdup(service);
	x->kind = strdup("");
	x->datacenter = strdup("east");
	x->peer_name = strdup(peer);
	x->partition = strdup("");
	x->ns = strdup("");
	x->instance_count = n;
	x->checks_passing = n;
	s->services = keep(s, STORE_SRC_SERVICES, store_part_services(l));
}

/* The cell under the column of T titled TITLE: the pane's own names for
 * its columns, not their positions. */
static const struct view_cell *cell(const struct view_table *t, size_t row, const char *title)
{
	ck_assert_uint_lt(row, t->nrows);
	for (size_t i = 0; i < t->ncols; i++)
		if (!strcmp(t->cols[i].title, title))
			return &t->rows[row].cells[i];
	ck_abort_msg("the pane has no column \"%s\"", title);
	return NULL;
}

/* Three clusters at NOW: cluster-01 and cluster-02 peered, their streams'
 * last heartbeats HB_A and HB_B, gateways passing and critical, an export
 * each way; cluster-01 has a PENDING peering cluster-03, stale and without one. */
static void three_clusters(struct store_snapshot **s, const char *const *names, int64_t now,
                           int64_t hb_a, int64_t hb_b)
{
	struct model_peering *p1 = calloc(2, sizeof *p1), *p2 = calloc(1, sizeof *p2);

	ck_assert(p1 && p2);
	peering(&p1[0], "id-a", "cluster-02", "id-b", MODEL_PEERING_ACTIVE, hb_a);
	peering(&p1[1], "id-c", "cluster-03", "", MODEL_PEERING_PENDING, 0);
	peering(&p2[0], "id-b", "cluster-01", "id-a", MODEL_PEERING_ACTIVE, hb_b);
	s[0] = snap(0, names[0], "east", now, p1, 2, false);
	s[1] = snap(1, names[1], "west", now, p2, 1, false);
	s[2] = snap(2, names[2], "lab", now, NULL, 0, true);
	gateway(s[0], "mesh-gateway-7c9f", MODEL_HEALTH_PASSING);
	gateway(s[1], "mesh-gateway-2b1a", MODEL_HEALTH_CRITICAL);
	export(s[0], "payments", "cluster-02");
	export(s[1], "frontend", "cluster-01");
	import(s[1], "payments", "cluster-01", 2);
}

static void same_row(const struct view_row *a, const struct view_row *b, const char *pane)
{
	ck_assert_str_eq(a->id, b->id);
	ck_assert_uint_eq(a->ncells, b->ncells);
	for (size_t c = 0; c < a->ncells; c++) {
		ck_assert_msg(!strcmp(a->cells[c].text, b->cells[c].text),
		              "%s %s cell %zu: \"%s\" patched, \"%s\" built", pane, a->id, c,
		              a->cells[c].text, b->cells[c].text);
		ck_assert_int_eq(a->cells[c].role, b->cells[c].role);
		ck_assert_int_eq(a->cells[c].clock, b->cells[c].clock);
	}
	ck_assert_str_eq(a->reason, b->reason);
	ck_assert_msg(!strcmp(a->detail, b->detail), "%s %s: the details differ", pane, a->id);
	ck_assert_str_eq(a->raw, b->raw);
	ck_assert(!memcmp(&a->target, &b->target, sizeof a->target));
}

/* What the pollers publish after A[0..N): every part shared but the
 * peerings, whose streams' times moved (the first heartbeat 1 s old on
 * the first cluster, 12 s on the others), and every success at LATER. */
static void new_times(struct store_snapshot **a, struct store_snapshot **b, size_t n, int64_t later)
{
	const int64_t s1 = 1000000000LL;

	for (size_t i = 0; i < n; i++) {
		b[i] = store_snapshot_derive(a[i]);
		ck_assert_ptr_nonnull(b[i]);
		b[i]->published_ns = later;
		for (int k = 0; k < STORE_SRC_COUNT; k++)
			if (b[i]->sources[k].last_ok_ns && !b[i]->sources[k].stale)
				b[i]->sources[k].last_ok_ns = later;
		if (!a[i]->peerings->n)
			continue;
		struct model_peering_list *l = calloc(1, sizeof *l);
		ck_assert_ptr_nonnull(l);
		l->v = calloc(a[i]->peerings->n, sizeof *l->v);
		ck_assert_ptr_nonnull(l->v);
		for (; l->n < a[i]->peerings->n; l->n++)
			ck_assert_int_eq(model_peering_copy(&l->v[l->n], &a[i]->peerings->v[l->n]),
			                 0);
		if (l->v[0].stream.last_heartbeat_ns)
			l->v[0].stream.last_heartbeat_ns = later - (i ? 12 : 1) * s1;
		b[i]->peerings = keep(b[i], STORE_SRC_PEERINGS, store_part_peerings(l));
	}
}

/* Only the streams' times and the sources' success times moved, and the
 * pairs came out the same (ids, flags, health, problems): the model
 * view_model_update_times() leaves is the one view_model_update() builds,
 * with whichever row's detail wanted; the timeless panes and the peerings
 * pane's rows were not built again. */
START_TEST(times_update_is_a_full_one)
{
	const int64_t s1 = 1000000000LL, now = 1800000000LL * s1, later = now + 7 * s1;
	const char *names[3] = {"cluster-01", "cluster-02", "cluster-03"};
	struct store_snapshot *a[3], *b[3];
	struct join_view ja, jb;

	three_clusters(a, names, now, now - 2 * s1, now - 3 * s1);
	new_times(a, b, 3, later);
	ck_assert_int_eq(join_build((const struct store_snapshot *const *)a, 3, now, NULL, &ja), 0);
	ck_assert_int_eq(join_build((const struct store_snapshot *const *)b, 3, later, NULL, &jb),
	                 0);
	for (size_t i = 0; i < 3; i++)
		ck_assert(store_snapshot_same_but_times(a[i], b[i]));
	ck_assert_uint_eq(ja.npairs, jb.npairs);
	for (size_t i = 0; i < ja.npairs; i++) {
		ck_assert_str_eq(ja.pairs[i].id, jb.pairs[i].id);
		ck_assert_uint_eq(ja.pairs[i].flags, jb.pairs[i].flags);
		ck_assert_str_eq(ja.pairs[i].problem, jb.pairs[i].problem);
	}
	const struct {
		const char *id;
		enum view_pane pane;
	} details[] = {{"", VIEW_CLUSTERS},
	               {ja.pairs[0].id, VIEW_PEERINGS},
	               {ja.pairs[1].id, VIEW_PEERINGS},
	               {"cluster-01", VIEW_CLUSTERS}};
	for (size_t d = 0; d < sizeof details / sizeof details[0]; d++) {
		struct view_input ia = {(const struct store_snapshot *const *)a, names, 3, &ja,
		                        now},
		                  ib = {(const struct store_snapshot *const *)b, names, 3, &jb,
		                        later};
		struct view_model patched, built;
		ia.detail_id = ib.detail_id = details[d].id;
		ia.detail_pane = ib.detail_pane = details[d].pane;
		view_model_init(&patched);
		view_model_init(&built);
		ck_assert_int_eq(view_model_update(&patched, &ia), 0);
		unsigned gw = view_model_builds(&patched, VIEW_GATEWAYS),
		         pe = view_model_builds(&patched, VIEW_PEERINGS),
		         cl = view_model_builds(&patched, VIEW_CLUSTERS);
		const struct view_table *pt = &patched.table[VIEW_PEERINGS];
		uint64_t rows_gen = pt->rows_gen, clock_gen = pt->clock_gen;
		ck_assert_int_eq(view_model_update_times(&patched, &ib), 0);
		ck_assert_uint_eq(view_model_builds(&patched, VIEW_GATEWAYS), gw);
		ck_assert_uint_eq(view_model_builds(&patched, VIEW_PEERINGS), pe);
		/* lab is stale, its age moves with the time: built again. */
		ck_assert_uint_eq(view_model_builds(&patched, VIEW_CLUSTERS), cl + 1);
		/* Only the heartbeat cells set again: the drawing measures their
		 * column alone; a peering's detail built again: every column. */
		if (details[d].pane == VIEW_PEERINGS) {
			ck_assert_uint_ne(pt->rows_gen, rows_gen);
		} else {
			ck_assert_uint_eq(pt->rows_gen, rows_gen);
			ck_assert_uint_ne(pt->clock_gen, clock_gen);
		}
		ck_assert_int_eq(view_model_update(&built, &ib), 0);
		for (int p = 0; p < VIEW_PANE_COUNT; p++) {
			const struct view_table *x = &patched.table[p], *y = &built.table[p];
			ck_assert_uint_eq(x->nrows, y->nrows);
			for (size_t r = 0; r < x->nrows; r++)
				same_row(&x->rows[r], &y->rows[r],
				         view_pane_title((enum view_pane)p));
		}
		/* The older heartbeat moved on screen: 3s before, 12s now. */
		ck_assert_str_eq(cell(&patched.table[VIEW_PEERINGS], 0, "HB")->text, "12s");
		ck_assert_uint_eq(patched.pairs_active, built.pairs_active);
		ck_assert_uint_eq(patched.problems, built.problems);
		ck_assert_str_eq(patched.stale_note, built.stale_note);
		ck_assert_int_eq(patched.newest_ns, built.newest_ns);
		ck_assert_uint_eq(patched.map.nlinks, built.map.nlinks);
		for (size_t l = 0; l < built.map.nlinks; l++) {
			ck_assert_str_eq(patched.map.links[l].label, built.map.links[l].label);
			ck_assert_str_eq(patched.map.links[l].note, built.map.links[l].note);
		}
		view_model_free(&patched);
		view_model_free(&built);
	}
	join_view_free(&ja);
	join_view_free(&jb);
	for (size_t i = 0; i < 3; i++) {
		store_snapshot_unref(a[i]);
		store_snapshot_unref(b[i]);
	}
}
END_TEST

/* With no cluster stale, new stream times leave the clusters' rows as they
 * are (nothing of them reads a stream's time), unless a cluster's detail
 * is shown, whose sources' ages move. */
START_TEST(clusters_kept_for_new_times)
{
	const int64_t s1 = 1000000000LL, now = 1800000000LL * s1, later = now + 7 * s1;
	const char *names[3] = {"cluster-01", "cluster-02", "cluster-03"};
	struct store_snapshot *a[3], *b[2];
	struct join_view ja, jb;
	struct view_model vm;

	three_clusters(a, names, now, now - 2 * s1, now - 3 * s1);
	store_snapshot_unref(a[2]); /* lab, the stale one */
	new_times(a, b, 2, later);
	ck_assert_int_eq(join_build((const struct store_snapshot *const *)a, 2, now, NULL, &ja), 0);
	ck_assert_int_eq(join_build((const struct store_snapshot *const *)b, 2, later, NULL, &jb),
	                 0);
	struct view_input ia = {(const struct store_snapshot *const *)a, names, 2, &ja, now},
	                  ib = {(const struct store_snapshot *const *)b, names, 2, &jb, later};
	ia.detail_id = ib.detail_id = "";
	ia.detail_pane = ib.detail_pane = VIEW_CLUSTERS;
	view_model_init(&vm);
	ck_assert_int_eq(view_model_update(&vm, &ia), 0);
	unsigned cl = view_model_builds(&vm, VIEW_CLUSTERS);
	uint64_t gen = vm.table[VIEW_CLUSTERS].rows_gen;
	ck_assert_int_eq(view_model_update_times(&vm, &ib), 0);
	ck_assert_uint_eq(view_model_builds(&vm, VIEW_CLUSTERS), cl);
	ck_assert_uint_eq(vm.table[VIEW_CLUSTERS].rows_gen, gen);
	ck_assert_str_eq(cell(&vm.table[VIEW_CLUSTERS], 0, "CONSUL")->text, "ok (direct)");
	/* cluster-01's detail shown: its sources' ages, built again. */
	ib.detail_id = "cluster-01";
	ck_assert_int_eq(view_model_update_times(&vm, &ib), 0);
	ck_assert_uint_eq(view_model_builds(&vm, VIEW_CLUSTERS), cl + 1);
	ck_assert(strstr(vm.table[VIEW_CLUSTERS].rows[0].detail, "SOURCE") != NULL);
	view_model_free(&vm);
	join_view_free(&ja);
	join_view_free(&jb);
	for (size_t i = 0; i < 2; i++) {
		store_snapshot_unref(a[i]);
		store_snapshot_unref(b[i]);
	}
}
END_TEST

START_TEST(model_from_snapshots)
{
	int64_t now = 1800000000LL * 1000000000LL;
	struct store_snapshot *s[3];
	const char *names[3] = {"cluster-01", "cluster-02", "cluster-03"};
	struct join_view jv;
	struct view_model vm;
	const struct view_table *t;

	three_clusters(s, names, now, now - 2000000000LL, now - 3000000000LL);
	ck_assert_int_eq(join_build((const struct store_snapshot *const *)s, 3, now, NULL, &jv), 0);
	struct view_input in = {(const struct store_snapshot *const *)s, names, 3, &jv, now, true};
	view_model_init(&vm);
	ck_assert_int_eq(view_model_update(&vm, &in), 0);

	ck_assert_uint_eq(vm.clusters, 3);
	ck_assert_uint_eq(vm.pairs_active, 1);
	ck_assert_uint_eq(vm.stale, 1);
	ck_assert_str_eq(vm.stale_note, "cluster-03 42s");
	/* Clusters: reachability, staleness with its age, a failed prerequisite. */
	t = &vm.table[VIEW_CLUSTERS];
	ck_assert_uint_eq(t->nrows, 3);
	ck_assert_str_eq(cell(t, 0, "CONSUL")->text, "ok (direct)");
	ck_assert_str_eq(cell(t, 2, "CONSUL")->text, "STALE 42s");
	ck_assert_int_eq(cell(t, 2, "CONSUL")->role, THEME_BAD);
	ck_assert_str_eq(cell(t, 2, "VERSION")->text, "1.13.9");
	/* PREREQS: the worst verdict of the cluster's checks, with a count and
	 * the first such check; the detail lists every check with its evidence
	 * and fix. */
	ck_assert_str_eq(cell(t, 2, "PREREQS")->text, "1 fail: consul-version");
	ck_assert_int_eq(cell(t, 2, "PREREQS")->role, THEME_BAD);
	ck_assert_int_eq(cell(t, 2, "VERSION")->role, THEME_BAD);
	ck_assert(t->rows[2].problem);
	ck_assert(strstr(t->rows[2].reason, "consul-version") != NULL);
	ck_assert(strstr(t->rows[2].detail, "fail    consul-version") != NULL);
	ck_assert(strstr(t->rows[2].detail, "GET /v1/agent/self Config.Version=1.13.9") != NULL);
	ck_assert(strstr(t->rows[2].detail, "fix: upgrade every Consul server") != NULL);
	ck_assert_str_eq(cell(t, 1, "PREREQS")->text, "1 fail: gateway-passing");
	ck_assert(strstr(t->rows[1].reason, "gateway-passing") != NULL);
	/* No mesh entry: the specification's setup is not followed, a warning. */
	ck_assert_str_eq(cell(t, 0, "PREREQS")->text, "1 warn: mesh-peer-through-gateways");
	ck_assert_int_eq(cell(t, 0, "PREREQS")->role, THEME_WARN);
	ck_assert(strstr(t->rows[0].reason, "mesh-peer-through-gateways") != NULL);
	ck_assert(strstr(t->rows[0].detail, "ok      consul-version") != NULL);
	/* The prerequisites the pollers read rarely: the servers' versions,
	 * and ACLs off. */
	ck_assert(strstr(t->rows[0].detail, "every server") != NULL);
	ck_assert(strstr(t->rows[0].detail, "skip    acl-mesh-write") != NULL);
	ck_assert(strstr(t->rows[0].detail, "ACLs are disabled") != NULL);
	/* Peerings: the ACTIVE pair, both ends, and the one-sided pending one. */
	t = &vm.table[VIEW_PEERINGS];
	ck_assert_uint_eq(t->nrows, 2);
	ck_assert_str_eq(cell(t, 0, "A")->text, "cluster-01");
	ck_assert_str_eq(cell(t, 0, "B")->text, "cluster-02");
	ck_assert_str_eq(cell(t, 0, "STATE A")->text, "ACTIVE");
	ck_assert_int_eq(cell(t, 0, "STATE A")->role, THEME_OK);
	ck_assert_str_eq(cell(t, 0, "STATE B")->text, "ACTIVE");
	ck_assert_str_eq(cell(t, 0, "HB")->text, "3s");
	/* Every stream poll moves it: not news by itself. */
	ck_assert(cell(t, 0, "HB")->clock);
	ck_assert(!cell(t, 0, "STATE A")->clock);
	ck_assert(!t->rows[0].problem);
	ck_assert(strstr(t->rows[0].detail, "cluster-01 <-> cluster-02") != NULL);
	/* The pair's checks, under its two ends. */
	ck_assert(strstr(t->rows[0].detail, "Checks:") != NULL);
	ck_assert(strstr(t->rows[0].detail, "fail    pair-versions") == NULL);
	ck_assert(strstr(t->rows[0].detail, "ok      pair-versions: cluster-01 Consul 1.17.3") !=
	          NULL);
	ck_assert(strstr(t->rows[0].raw, "\"State\": \"ACTIVE\"") != NULL);
	ck_assert_str_eq(cell(t, 1, "STATE A")->text, "PENDING");
	ck_assert_int_eq(cell(t, 1, "STATE A")->role, THEME_WARN);
	ck_assert(t->rows[1].problem);
	ck_assert_str_eq(cell(t, 1, "")->text, "!"); /* the mark column has no title */
	ck_assert_msg(strstr(t->rows[1].reason, "no peering on cluster-03"), "%s",
	              t->rows[1].reason);
	ck_assert_str_eq(cell(t, 1, "PROBLEM")->text, t->rows[1].reason);

	/* Gateways: instances with health and addresses; none is a row too. */
	t = &vm.table[VIEW_GATEWAYS];
	ck_assert_uint_eq(t->nrows, 3);
	ck_assert_str_eq(t->rows[0].id, "cluster-01/mesh-gateway-7c9f");
	ck_assert_str_eq(cell(t, 0, "WAN")->text, "198.51.100.10:443");
	ck_assert_str_eq(cell(t, 0, "HEALTH")->text, "passing");
	ck_assert_int_eq(cell(t, 0, "HEALTH")->role, THEME_OK);
	ck_assert(!t->rows[0].problem);
	ck_assert_str_eq(cell(t, 1, "HEALTH")->text, "critical");
	ck_assert_int_eq(cell(t, 1, "HEALTH")->role, THEME_BAD);
	ck_assert(t->rows[1].problem);
	ck_assert_str_eq(t->rows[2].id, "cluster-03/");
	ck_assert_str_eq(cell(t, 2, "INSTANCE")->text, "no mesh gateway");
#ifdef __GLIBC__
	/* Room is made for a partition row per export, and what is not used
	 * is given back: the rows are held as long as the pane shows them. */
	ck_assert_uint_lt(malloc_usable_size(t->rows), 4 * sizeof t->rows[0]);
#endif
	/* Exports: a column per cluster; imported with its instances, or not. */
	t = &vm.table[VIEW_EXPORTS];
	ck_assert_uint_eq(t->ncols, 7);
	ck_assert_str_eq(t->cols[2].title, "cluster-01");
	ck_assert_str_eq(t->cols[4].title, "cluster-03");
	ck_assert_uint_eq(t->nrows, 2);
	ck_assert_str_eq(t->rows[0].id, "cluster-02/frontend");
	ck_assert_str_eq(cell(t, 0, "cluster-01")->text, "exported, not imported !");
	ck_assert_str_eq(cell(t, 0, "cluster-02")->text, "(here)");
	ck_assert(t->rows[0].problem);
	ck_assert_str_eq(t->rows[1].id, "cluster-01/payments");
	ck_assert_str_eq(cell(t, 1, "cluster-01")->text, "(here)");
	ck_assert_str_eq(cell(t, 1, "cluster-02")->text, "imported 2/2");
	ck_assert_int_eq(cell(t, 1, "cluster-02")->role, THEME_OK);
	ck_assert_str_eq(cell(t, 1, "cluster-03")->text, "-");
	ck_assert(!t->rows[1].problem);

	/* The same data again changes nothing; a state change is news. */
	ck_assert_int_eq(view_model_update(&vm, &in), 0);
	ck_assert_int_eq(vm.table[VIEW_PEERINGS].rows[0].changed_ns, 0);

	view_model_free(&vm);
	join_view_free(&jv);
	for (int i = 0; i < 3; i++)
		store_snapshot_unref(s[i]);
}
END_TEST

/* The largest block calloc() was asked for while armed: the test binary
 * is linked with ld --wrap=calloc (mk/view.am), so that the panes' calls
 * come here. */
void *__real_calloc(size_t n, size_t size);
void *__wrap_calloc(size_t n, size_t size);
static bool calloc_armed;
static size_t calloc_largest;

void *__wrap_calloc(size_t n, size_t size)
{
	if (calloc_armed && n * size > calloc_largest)
		calloc_largest = n * size;
	return __real_calloc(n, size);
}

int __real_vsnprintf(char *buf, size_t len, const char *fmt, va_list ap);
int __wrap_vsnprintf(char *buf, size_t len, const char *fmt, va_list ap);
static int vsnprintf_calls;

int __wrap_vsnprintf(char *buf, size_t len, const char *fmt, va_list ap)
{
	vsnprintf_calls++;
	return __real_vsnprintf(buf, len, fmt, ap);
}

/* An age set again over its last text when it is as long, a new text
 * when not. */
START_TEST(cell_text_set_in_place)
{
	struct view_row r;

	ck_assert_int_eq(view_row_init(&r, "row", 2), 0);
	ck_assert_int_eq(view_cell_set_text(&r, 0, THEME_NORMAL, "15s"), 0);
	ck_assert_str_eq(r.cells[0].text, "15s");
	const char *at = r.cells[0].text;
	ck_assert_int_eq(view_cell_set_text(&r, 0, THEME_WARN, "20s"), 0);
	ck_assert_ptr_eq(r.cells[0].text, at);
	ck_assert_str_eq(r.cells[0].text, "20s");
	ck_assert_int_eq(r.cells[0].role, THEME_WARN);
	ck_assert_int_eq(view_cell_set_text(&r, 0, THEME_NORMAL, "1m"), 0);
	ck_assert_str_eq(r.cells[0].text, "1m");
	ck_assert_int_eq(view_cell_set_text(&r, 1, THEME_NORMAL, ""), 0);
	ck_assert_str_eq(r.cells[1].text, "");
	ck_assert_int_eq(view_cell_set_text(&r, 2, THEME_NORMAL, "x"), -1);
	view_row_clear(&r);
}
END_TEST

/* A cell's text is formatted once: one string or a fixed text copied as
 * they are, anything else formatted again only when it does not fit the
 * first buffer; and so is a piece appended to a text. Measuring, then
 * formatting, made the peerings pane's rows cost 1.7 times as much at
 * each review of new stream times. The texts are printf's all the same. */
START_TEST(cell_text_formatted_once)
{
	struct view_row r;
	char long_name[400];

	memset(long_name, 'n', sizeof long_name - 1);
	long_name[sizeof long_name - 1] = '\0';
	ck_assert_int_eq(view_row_init(&r, "row", 4), 0);
	vsnprintf_calls = 0;
	ck_assert_int_eq(view_cell_set(&r, 0, THEME_OK, "%s", "cluster-01"), 0);
	ck_assert_int_eq(view_cell_set(&r, 1, THEME_WARN, "no mesh gateway"), 0);
	ck_assert_int_eq(vsnprintf_calls, 0);
	ck_assert_int_eq(view_cell_set(&r, 2, THEME_OK, "%zu/%zu", (size_t)2, (size_t)3), 0);
	ck_assert_int_eq(vsnprintf_calls, 1);
	ck_assert_int_eq(view_cell_set(&r, 3, THEME_BAD, "imported, no intention %s", long_name),
	                 0);
	ck_assert_int_eq(vsnprintf_calls, 3);
	ck_assert_str_eq(r.cells[0].text, "cluster-01");
	ck_assert_str_eq(r.cells[1].text, "no mesh gateway");
	ck_assert_str_eq(r.cells[2].text, "2/3");
	ck_assert_uint_eq(strlen(r.cells[3].text), strlen("imported, no intention ") + 399);
	ck_assert(!strncmp(r.cells[3].text, "imported, no intention nnn", 26));
	ck_assert_int_eq(r.cells[3].role, THEME_BAD);
	/* A cell set again drops its old text (ASan's leak check). */
	ck_assert_int_eq(view_cell_set(&r, 0, THEME_OK, "%s%%", "100"), 0);
	ck_assert_str_eq(r.cells[0].text, "100%");
	view_row_clear(&r);

	/* Appended pieces: once each, and again only when one does not fit. */
	char *joined = NULL;
	vsnprintf_calls = 0;
	ck_assert_int_eq(view_append(&joined, "%s", "cluster-02"), 0);
	ck_assert_int_eq(view_append(&joined, ", %s", "cluster-03"), 0);
	ck_assert_int_eq(vsnprintf_calls, 2);
	ck_assert_int_eq(view_append(&joined, " %s", long_name), 0);
	ck_assert_int_eq(vsnprintf_calls, 4);
	ck_assert_uint_eq(strlen(joined), strlen("cluster-02, cluster-03 ") + 399);
	ck_assert(!strncmp(joined, "cluster-02, cluster-03 nnn", 26));
	free(joined);
}
END_TEST

/* The gateways pane's rows are the gateways (and a partition without one,
 * on Enterprise): the room it makes follows them, not the exports. It made
 * room for a row per export, some 1 MB at 8 clusters x 2,000 services,
 * zeroed at every review and faulted in again after each trim of the
 * heap. */
START_TEST(gateways_room_follows_the_gateways)
{
	int64_t now = 1800000000LL * 1000000000LL;
	struct model_peering *p1 = calloc(1, sizeof *p1), *p2 = calloc(1, sizeof *p2);
	struct store_snapshot *s[2];
	const char *names[2] = {"cluster-01", "cluster-02"};
	struct join_view jv;
	struct view_row *rows = NULL;
	size_t n = 0;

	peering(&p1[0], "id-a", "cluster-02", "id-b", MODEL_PEERING_ACTIVE, now - SEC);
	peering(&p2[0], "id-b", "cluster-01", "id-a", MODEL_PEERING_ACTIVE, now - SEC);
	s[0] = snap(0, names[0], "east", now, p1, 1, false);
	s[1] = snap(1, names[1], "west", now, p2, 1, false);
	gateway(s[0], "mesh-gateway-7c9f", MODEL_HEALTH_PASSING);
	static char svc[2000][16];
	const char *svcs[2000];
	for (size_t i = 0; i < 2000; i++) {
		snprintf(svc[i], sizeof svc[i], "svc-%zu", i);
		svcs[i] = svc[i];
	}
	export_services(s[0], svcs, 2000, "cluster-02");
	ck_assert_int_eq(join_build((const struct store_snapshot *const *)s, 2, now, NULL, &jv), 0);
	ck_assert_uint_eq(jv.nexports, 2000);
	struct view_input in = {(const struct store_snapshot *const *)s, names, 2, &jv, now, true};

	calloc_largest = 0;
	calloc_armed = true;
	int rc = view_pane_get(VIEW_GATEWAYS)->rows(&in, &rows, &n);
	calloc_armed = false;
	ck_assert_int_eq(rc, 0);
	/* cluster-01's gateway, and cluster-02's "no mesh gateway". */
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(rows[0].id, "cluster-01/mesh-gateway-7c9f");
	ck_assert_msg(calloc_largest <= 4 * sizeof *rows,
	              "the pane asked for %zu bytes for 2 rows of %zu", calloc_largest,
	              sizeof *rows);

	view_rows_free(rows, n);
	join_view_free(&jv);
	for (int i = 0; i < 2; i++)
		store_snapshot_unref(s[i]);
}
END_TEST

/* The column titled TITLE of table T; fails when there is none. */
static size_t col(const struct view_table *t, const char *title)
{
	for (size_t i = 0; i < t->ncols; i++)
		if (!strcmp(t->cols[i].title, title))
			return i;
	ck_abort_msg("no column %s", title);
	return 0;
}

/* S runs Consul Enterprise: its identity says so (set before anything
 * reads the snapshot). */
static void enterprise(struct store_snapshot *s)
{
	((struct model_cluster_identity *)s->identity)->enterprise = true;
}

/* One Enterprise cluster and one on Consul CE: the panes gain the
 * PARTITION column, where an Enterprise record without a partition is in
 * "default" and a CE record, which has no partition, shows the none mark
 * (Consul CE refuses partitions: consul agent/http_ce.go). */
START_TEST(partition_column_ce_rows)
{
	int64_t now = 1800000000LL * 1000000000LL;
	struct model_peering *p1 = calloc(1, sizeof *p1), *p2 = calloc(1, sizeof *p2);
	struct store_snapshot *s[2];
	const char *names[2] = {"cluster-01", "cluster-02"};
	struct join_view jv;
	struct view_model vm;
	const struct view_table *t;

	peering(&p1[0], "id-a", "cluster-02", "id-b", MODEL_PEERING_ACTIVE, now - 2000000000LL);
	peering(&p2[0], "id-b", "cluster-01", "id-a", MODEL_PEERING_ACTIVE, now - 2000000000LL);
	free(p1[0].partition);
	p1[0].partition = strdup("default");
	s[0] = snap(0, names[0], "east", now, p1, 1, false);
	s[1] = snap(1, names[1], "west", now, p2, 1, false);
	enterprise(s[0]);
	gateway(s[0], "mesh-gateway-7c9f", MODEL_HEALTH_PASSING);
	gateway(s[1], "mesh-gateway-2b1a", MODEL_HEALTH_PASSING);
	export(s[0], "payments", "cluster-02");
	export(s[1], "frontend", "cluster-01");
	import(s[1], "payments", "cluster-01", 1);
	ck_assert_int_eq(join_build((const struct store_snapshot *const *)s, 2, now, NULL, &jv), 0);
	struct view_input in = {(const struct store_snapshot *const *)s, names, 2, &jv, now, true};
	view_model_init(&vm);
	ck_assert_int_eq(view_model_update(&vm, &in), 0);

	t = &vm.table[VIEW_CLUSTERS];
	ck_assert_str_eq(t->rows[0].cells[col(t, "PARTITION")].text, "default");
	ck_assert_str_eq(t->rows[1].cells[col(t, "PARTITION")].text, "-");
	t = &vm.table[VIEW_PEERINGS];
	ck_assert_uint_eq(t->nrows, 1);
	ck_assert_str_eq(t->rows[0].cells[col(t, "PARTITION")].text, "default <-> -");
	t = &vm.table[VIEW_GATEWAYS];
	ck_assert_uint_eq(t->nrows, 2);
	ck_assert_str_eq(t->rows[0].id, "cluster-01/mesh-gateway-7c9f");
	ck_assert_str_eq(t->rows[0].cells[col(t, "PARTITION")].text, "default");
	ck_assert_str_eq(t->rows[1].cells[col(t, "PARTITION")].text, "-");
	t = &vm.table[VIEW_EXPORTS];
	ck_assert_uint_eq(t->nrows, 2);
	ck_assert_str_eq(t->rows[0].id, "cluster-02/frontend");
	ck_assert_str_eq(t->rows[0].cells[col(t, "PARTITION")].text, "-");
	ck_assert_str_eq(t->rows[1].cells[col(t, "PARTITION")].text, "default");
	/* The importer, with its partition when it runs Enterprise. */
	ck_assert_msg(strstr(t->rows[0].detail, " cluster-01/default exported, not imported"), "%s",
	              t->rows[0].detail);
	ck_assert_msg(strstr(t->rows[1].detail, " cluster-02   imported") &&
	                      !strstr(t->rows[1].detail, "cluster-02/"),
	              "%s", t->rows[1].detail);
	ck_assert_uint_eq(jv.nexports, 2);

	view_model_free(&vm);
	join_view_free(&jv);
	for (int i = 0; i < 2; i++)
		store_snapshot_unref(s[i]);
}
END_TEST

/* A PeeringAcceptor NAME on S, Synced. */
static void acceptor(struct store_snapshot *s, const char *name)
{
	struct store_kube_peerings *l = calloc(1, sizeof *l);
	struct model_kube_peering *a;

	ck_assert_ptr_nonnull(l);
	l->v = a = calloc(1, sizeof *a);
	ck_assert_ptr_nonnull(a);
	l->n = 1;
	a->role = MODEL_PEERING_ACCEPTOR;
	a->meta.name = strdup(name);
	a->meta.ns = strdup("consul");
	a->meta.uid = strdup("u");
	a->meta.resource_version = strdup("1");
	a->meta.peering_version = strdup("");
	a->synced.status = MODEL_COND_TRUE;
	a->synced.reason = strdup("");
	a->synced.message = strdup("");
	s->acceptors = keep(s, STORE_SRC_KUBE_ACCEPTORS, store_part_kube_peerings(l));
}

/* With controllers-ready failing on a cluster, its custom resources are
 * stale (nothing reconciles them): a healthy pair names the cluster as its
 * problem and the reason says why nothing moves; the clusters pane names
 * the check. */
START_TEST(peerings_without_controllers)
{
	int64_t now = 1800000000LL * 1000000000LL;
	struct model_peering *p1 = calloc(1, sizeof *p1), *p2 = calloc(1, sizeof *p2);
	struct store_snapshot *s[2];
	const char *names[2] = {"cluster-01", "cluster-02"};
	struct preflight_report rep = {0};
	struct join_view jv;
	struct view_model vm;
	const struct view_table *t;

	peering(&p1[0], "id-a", "cluster-02", "", MODEL_PEERING_ACTIVE, now - 2000000000LL);
	peering(&p2[0], "id-b", "cluster-01", "id-a", MODEL_PEERING_ACTIVE, now - 3000000000LL);
	s[0] = snap(0, names[0], "east", now, p1, 1, false);
	s[1] = snap(1, names[1], "west", now, p2, 1, false);
	acceptor(s[0], "cluster-02");
	ck_assert_int_eq(join_build((const struct store_snapshot *const *)s, 2, now, NULL, &jv), 0);
	rep.v = calloc(1, sizeof *rep.v);
	ck_assert_ptr_nonnull(rep.v);
	rep.n = rep.cap = 1;
	rep.v[0] = (struct preflight_result){.check = preflight_check_find("controllers-ready"),
	                                     .verdict = PREFLIGHT_FAIL,
	                                     .cluster = 0,
	                                     .other = PREFLIGHT_NONE,
	                                     .subject = "cluster-01",
	                                     .path = "",
	                                     .seen = "",
	                                     .required = "",
	                                     .evidence = "the consul-k8s controllers are not "
	                                                 "running",
	                                     .fix = ""};
	ck_assert_ptr_nonnull(rep.v[0].check);
	struct view_input in = {
	        (const struct store_snapshot *const *)s, names, 2, &jv, now, false, &rep};
	view_model_init(&vm);
	ck_assert_int_eq(view_model_update(&vm, &in), 0);
	t = &vm.table[VIEW_PEERINGS];
	ck_assert_uint_eq(t->nrows, 1);
	ck_assert_str_eq(cell(t, 0, "CR A")->text, "acc stale");
	ck_assert_int_eq(cell(t, 0, "CR A")->role, THEME_WARN);
	ck_assert_str_eq(cell(t, 0, "PROBLEM")->text, "controllers down on cluster-01");
	ck_assert(t->rows[0].problem);
	ck_assert_str_eq(t->rows[0].reason, "the consul-k8s controllers on cluster-01 are not "
	                                    "running: its PeeringAcceptor is not reconciled "
	                                    "(controllers-ready)");
	t = &vm.table[VIEW_CLUSTERS];
	ck_assert_str_eq(cell(t, 0, "PREREQS")->text, "1 fail: controllers-ready");
	ck_assert(strstr(t->rows[0].reason, "fail controllers-ready: the consul-k8s controllers"));
	/* Running again: the acceptor is Synced, nothing to say. */
	rep.v[0].verdict = PREFLIGHT_OK;
	ck_assert_int_eq(view_model_update(&vm, &in), 0);
	t = &vm.table[VIEW_PEERINGS];
	ck_assert_str_eq(cell(t, 0, "CR A")->text, "acc ok");
	ck_assert(!t->rows[0].problem);
	view_model_free(&vm);
	join_view_free(&jv);
	preflight_report_free(&rep);
	for (int i = 0; i < 2; i++)
		store_snapshot_unref(s[i]);
}
END_TEST

/* A result of check ID about cluster C, for a report made by hand. */
static struct preflight_result result(const char *id, enum preflight_verdict v, size_t c,
                                      const char *evidence)
{
	struct preflight_result r = {.check = preflight_check_find(id),
	                             .verdict = v,
	                             .cluster = c,
	                             .other = PREFLIGHT_NONE,
	                             .subject = "",
	                             .path = "",
	                             .seen = "",
	                             .required = "",
	                             .evidence = evidence,
	                             .fix = ""};

	ck_assert_ptr_nonnull(r.check);
	return r;
}

/* Each cluster's row takes its worst verdict, how many have it, the first
 * check with it and the version check from one pass over the report (the
 * rows scanned every result each, pair checks too): the clusters' results
 * interleaved, a pair check about the first cluster that fails and must
 * not count, and a worse verdict coming after a first one. */
START_TEST(clusters_rows_read_the_report_once)
{
	int64_t now = 1800000000LL * 1000000000LL;
	struct store_snapshot *s[3];
	const char *names[3] = {"cluster-01", "cluster-02", "cluster-03"};
	struct preflight_report rep = {0};
	struct join_view jv;
	struct view_model vm;
	const struct view_table *t;

	for (size_t i = 0; i < 3; i++)
		s[i] = snap(i, names[i], "dc", now, calloc(1, sizeof(struct model_peering)), 0,
		            false);
	ck_assert_int_eq(join_build((const struct store_snapshot *const *)s, 3, now, NULL, &jv), 0);
	rep.v = calloc(9, sizeof *rep.v);
	ck_assert_ptr_nonnull(rep.v);
	rep.n = rep.cap = 9;
	rep.v[0] = result("exports-imported", PREFLIGHT_FAIL, 0, "a pair's check");
	rep.v[1] = result("consul-version", PREFLIGHT_OK, 0, "1.17.3");
	rep.v[2] = result("consul-version", PREFLIGHT_FAIL, 1, "1.13.9");
	rep.v[3] = result("gateway-passing", PREFLIGHT_WARN, 0, "one of two passing");
	rep.v[4] = result("helm-tls-enabled", PREFLIGHT_UNKNOWN, 2, "no values");
	rep.v[5] = result("mode-none", PREFLIGHT_FAIL, 0, "mode none");
	rep.v[6] = result("peer-name", PREFLIGHT_WARN, 1, "a long name");
	rep.v[7] = result("acl-token", PREFLIGHT_FAIL, 0, "no token");
	rep.v[8] = result("helm-peering-enabled", PREFLIGHT_UNKNOWN, 2, "no values");
	ck_assert_int_eq(rep.v[0].check->scope, PREFLIGHT_PAIR);
	struct view_input in = {
	        (const struct store_snapshot *const *)s, names, 3, &jv, now, false, &rep};
	view_model_init(&vm);
	ck_assert_int_eq(view_model_update(&vm, &in), 0);
	t = &vm.table[VIEW_CLUSTERS];
	ck_assert_uint_eq(t->nrows, 3);
	ck_assert_str_eq(cell(t, 0, "PREREQS")->text, "2 fail: mode-none +1");
	ck_assert_int_eq(cell(t, 0, "PREREQS")->role, THEME_BAD);
	ck_assert_str_eq(t->rows[0].reason, "fail mode-none: mode none (Enter: every check)");
	ck_assert_int_eq(cell(t, 0, "VERSION")->role, THEME_NORMAL);
	ck_assert_str_eq(cell(t, 1, "PREREQS")->text, "1 fail: consul-version");
	ck_assert_int_eq(cell(t, 1, "VERSION")->role, THEME_BAD);
	ck_assert_str_eq(cell(t, 2, "PREREQS")->text, "2 unknown");
	ck_assert_int_eq(cell(t, 2, "PREREQS")->role, THEME_DIM);
	ck_assert_int_eq(cell(t, 2, "VERSION")->role, THEME_NORMAL);
	/* No check about a cluster: "ok". */
	rep.n = 1;
	ck_assert_int_eq(view_model_update(&vm, &in), 0);
	t = &vm.table[VIEW_CLUSTERS];
	ck_assert_str_eq(cell(t, 0, "PREREQS")->text, "ok");
	ck_assert(!t->rows[0].problem);
	rep.n = 9;
	view_model_free(&vm);
	join_view_free(&jv);
	free(rep.v);
	for (int i = 0; i < 3; i++)
		store_snapshot_unref(s[i]);
}
END_TEST

/* The map: a node per cluster with its gateways' health and mode, a link
 * per pair labelled and coloured by its state: ACTIVE, FAILING on both
 * ends, PENDING on one and ESTABLISHING on the other, and one-sided (an
 * acceptor no dialer has used yet). */
START_TEST(map_from_snapshots)
{
	int64_t now = 1800000000LL * 1000000000LL;
	struct model_peering *p0 = calloc(3, sizeof *p0), *p1 = calloc(3, sizeof *p1),
	                     *p2 = calloc(2, sizeof *p2);
	struct store_snapshot *s[4];
	const char *names[4] = {"cluster-01", "cluster-02", "cluster-03", "cluster-04"};
	struct join_view jv;
	struct view_model vm;
	const struct view_map *m = &vm.map;

	peering(&p0[0], "a-b", "cluster-02", "b-a", MODEL_PEERING_ACTIVE, now - 2000000000LL);
	peering(&p0[1], "a-c", "cluster-03", "c-a", MODEL_PEERING_FAILING, 0);
	peering(&p0[2], "a-d", "cluster-04", "", MODEL_PEERING_PENDING, 0);
	peering(&p1[0], "b-a", "cluster-01", "a-b", MODEL_PEERING_ACTIVE, now - 2000000000LL);
	peering(&p1[1], "b-c", "cluster-03", "c-b", MODEL_PEERING_PENDING, 0);
	peering(&p2[0], "c-a", "cluster-01", "a-c", MODEL_PEERING_FAILING, 0);
	peering(&p2[1], "c-b", "cluster-02", "b-c", MODEL_PEERING_ESTABLISHING, 0);
	s[0] = snap(0, names[0], "east", now, p0, 3, false);
	s[1] = snap(1, names[1], "west", now, p1, 2, false);
	s[2] = snap(2, names[2], "lab", now, p2, 2, false);
	s[3] = snap(3, names[3], "north", now, NULL, 0, false);
	gateway(s[0], "mesh-gateway-7c9f", MODEL_HEALTH_PASSING);
	gateway(s[1], "mesh-gateway-2b1a", MODEL_HEALTH_CRITICAL);
	ck_assert_int_eq(join_build((const struct store_snapshot *const *)s, 4, now, NULL, &jv), 0);
	struct view_input in = {(const struct store_snapshot *const *)s, names, 4, &jv, now, true};
	view_model_init(&vm);
	ck_assert_int_eq(view_model_update(&vm, &in), 0);

	ck_assert_uint_eq(m->nnodes, 4);
	ck_assert_str_eq(m->nodes[0].name, "cluster-01");
	ck_assert_uint_eq(m->nodes[0].gw_total, 1);
	ck_assert_uint_eq(m->nodes[0].gw_healthy, 1);
	ck_assert_int_eq(m->nodes[0].role, THEME_OK);
	ck_assert_uint_eq(m->nodes[1].gw_healthy, 0);
	ck_assert_int_eq(m->nodes[1].role, THEME_BAD);
	ck_assert(m->nodes[2].loaded);
	ck_assert_uint_eq(m->nodes[2].gw_total, 0);
	ck_assert_int_eq(m->nodes[2].role, THEME_BAD);

	ck_assert_uint_eq(m->nlinks, 4);
	bool seen[4] = {false};
	for (size_t i = 0; i < m->nlinks; i++) {
		const struct view_map_link *l = &m->links[i];
		if (l->a == 0 && l->b == 1) {
			ck_assert_str_eq(l->label, "ACTIVE");
			ck_assert_int_eq(l->role, THEME_OK);
			ck_assert_str_eq(l->note, "");
			seen[0] = true;
		} else if (l->a == 0 && l->b == 2) {
			ck_assert_str_eq(l->label, "FAILING");
			ck_assert_int_eq(l->role, THEME_BAD);
			ck_assert_str_ne(l->note, "");
			seen[1] = true;
		} else if (l->a == 1 && l->b == 2) {
			ck_assert_str_eq(l->label, "PENDING / ESTABLISHING");
			ck_assert_int_ne(l->role, THEME_OK);
			seen[2] = true;
		} else if (l->a == 0 && l->b == 3) {
			ck_assert_str_eq(l->label, "PENDING, one-sided");
			ck_assert_int_ne(l->role, THEME_OK);
			ck_assert_str_eq(l->peer, "cluster-04");
			seen[3] = true;
		}
	}
	ck_assert(seen[0] && seen[1] && seen[2] && seen[3]);

	view_model_free(&vm);
	join_view_free(&jv);
	for (int i = 0; i < 4; i++)
		store_snapshot_unref(s[i]);
}
END_TEST

/* Cluster S's proxy-defaults global: mesh gateway mode M. */
static void proxy_defaults(struct store_snapshot *s, enum model_mgw_mode m)
{
	struct model_proxy_defaults_entry *e = calloc(1, sizeof *e);

	ck_assert_ptr_nonnull(e);
	e->head.kind = strdup("proxy-defaults");
	e->head.name = strdup("global");
	e->protocol = strdup("");
	e->mgw_mode = m;
	s->proxy_defaults = keep(s, STORE_SRC_PROXY_DEFAULTS, store_part_proxy_defaults(e));
	s->has_proxy_defaults = true;
}

/* Two clusters, east (cluster-01) and west (cluster-02), their one
 * peering ACTIVE with a heartbeat a second old, into S. */
static void two_peered(struct store_snapshot *s[2], const char *const names[2], int64_t now)
{
	struct model_peering *p1 = calloc(1, sizeof *p1), *p2 = calloc(1, sizeof *p2);

	ck_assert(p1 && p2);
	peering(&p1[0], "id-a", "cluster-02", "", MODEL_PEERING_ACTIVE, now - SEC);
	peering(&p2[0], "id-b", "cluster-01", "id-a", MODEL_PEERING_ACTIVE, now - SEC);
	s[0] = snap(0, names[0], "east", now, p1, 1, false);
	s[1] = snap(1, names[1], "west", now, p2, 1, false);
}

/* The exports matrix: a cell per peer's column, with what the keys act on,
 * and the traffic path of the call from the importing cluster: the first
 * broken hop marked with why (the data path of the specification's "Mesh
 * gateway modes": in local mode through the importer's own gateway). */
START_TEST(matrix_cells_and_paths)
{
	int64_t now = 1800000000LL * 1000000000LL;
	struct model_peering *p1 = calloc(1, sizeof *p1), *p2 = calloc(1, sizeof *p2);
	struct store_snapshot *s[2];
	const char *names[2] = {"cluster-01", "cluster-02"};
	struct join_view jv;
	struct view_model vm;
	char why[320];

	peering(&p1[0], "id-a", "cluster-02", "", MODEL_PEERING_ACTIVE, now - SEC);
	peering(&p2[0], "id-b", "cluster-01", "id-a", MODEL_PEERING_ACTIVE, now - SEC);
	ck_assert_int_eq(model_strv_push(&p2[0].peer_server_addresses, "10.0.0.5:8502"), 0);
	s[0] = snap(0, names[0], "east", now, p1, 1, false);
	s[1] = snap(1, names[1], "west", now, p2, 1, false);
	gateway(s[0], "gw-east", MODEL_HEALTH_PASSING);
	gateway(s[1], "gw-west", MODEL_HEALTH_CRITICAL);
	export(s[0], "payments", "cluster-02");
	import(s[1], "payments", "cluster-01", 2);
	ck_assert_int_eq(join_build((const struct store_snapshot *const *)s, 2, now, NULL, &jv), 0);
	struct view_input in = {(const struct store_snapshot *const *)s, names, 2, &jv, now, true};
	view_model_init(&vm);
	ck_assert_int_eq(view_model_update(&vm, &in), 0);

	const struct view_table *t = &vm.table[VIEW_EXPORTS];
	ck_assert_uint_eq(t->nrows, 1);
	ck_assert_ptr_null(t->rows[0].cells[2].cell); /* (here) */
	const struct view_cell_target *c = t->rows[0].cells[3].cell;
	ck_assert_ptr_nonnull(c);
	ck_assert_uint_eq(c->to, 1);
	ck_assert_str_eq(c->peer, "cluster-02");
	ck_assert(c->peered && c->exported && c->allowed);
	ck_assert_str_eq(t->rows[0].target.service, "payments");
	/* The matrix selects its first cell. */
	ck_assert_int_eq(t->cell, 3);
	ck_assert_ptr_eq(view_table_cell(t), c);
	char status[512];
	view_cell_status(&t->rows[0], c, names, status, sizeof status);
	ck_assert(strstr(status, "e: unexport") != NULL);
	ck_assert(strstr(c->detail, "payments: cluster-02 -> cluster-01    mode remote (default)"));
	ck_assert(
	        strstr(c->detail, "-> gw-east 198.51.100.10:443 (cluster-01, remote)  [passing]"));
	ck_assert(strstr(c->detail, "control plane: cluster-02 dials cluster-01's servers at the "
	                            "token's addresses: 10.0.0.5:8502  [ACTIVE]"));
	ck_assert(strstr(c->detail, "every hop works"));
	ck_assert(view_path_ok(&in, 0, 1, "payments", "cluster-02", why, sizeof why));

	/* Mode local in the importing cluster, whose gateway is critical. */
	proxy_defaults(s[1], MODEL_MGW_LOCAL);
	join_view_free(&jv);
	ck_assert_int_eq(join_build((const struct store_snapshot *const *)s, 2, now, NULL, &jv), 0);
	ck_assert_int_eq(view_model_update(&vm, &in), 0);
	c = vm.table[VIEW_EXPORTS].rows[0].cells[3].cell;
	ck_assert(strstr(c->detail, "X -> gw-west 10.0.0.7:8443 (cluster-02, local)  [critical]"));
	ck_assert(strstr(c->detail, "first broken hop: mode local without a local gateway: "
	                            "cluster-02's mesh gateway is critical"));
	ck_assert(!view_path_ok(&in, 0, 1, "payments", "cluster-02", why, sizeof why));
	ck_assert(strstr(why, "mode local without a local gateway") != NULL);
	/* The gateway's detail carries the paths through it. */
	ck_assert(strstr(vm.table[VIEW_GATEWAYS].rows[1].detail, "Mode local (proxy-defaults)"));
	ck_assert(strstr(vm.table[VIEW_GATEWAYS].rows[1].detail, "Traffic path"));
	/* Moving along the row finds no other cell. */
	ck_assert(!view_table_cell_move(&vm.table[VIEW_EXPORTS], 1));

	view_model_free(&vm);
	join_view_free(&jv);
	for (int i = 0; i < 2; i++)
		store_snapshot_unref(s[i]);
}
END_TEST

/* A cell names the consumer by the exporter's name for their peering,
 * exported to or not, and by the cluster's name where there is none; its
 * status line, made when it is shown, says what the cell shows. */
/* Consumers with no column of their own (not configured clusters, or
 * clusters past the last column) are listed in the row's last cell, one
 * after the other. */
START_TEST(exports_elsewhere_lists_other_consumers)
{
	int64_t now = 1800000000LL * 1000000000LL;
	struct store_snapshot *s[2];
	const char *names[2] = {"cluster-01", "cluster-02"};
	struct join_view jv;
	struct view_model vm;

	two_peered(s, names, now);
	static const char *const peers[] = {"cluster-02", "partner-a", "partner-b"};
	export_to(s[0], "payments", peers, 3);
	import(s[1], "payments", "cluster-01", 2);
	ck_assert_int_eq(join_build((const struct store_snapshot *const *)s, 2, now, NULL, &jv), 0);
	struct view_input in = {(const struct store_snapshot *const *)s, names, 2, &jv, now, true};
	view_model_init(&vm);
	ck_assert_int_eq(view_model_update(&vm, &in), 0);
	const struct view_table *t = &vm.table[VIEW_EXPORTS];
	ck_assert_uint_eq(t->nrows, 1);
	ck_assert_str_eq(cell(t, 0, "cluster-02")->text, "imported 2/2");
	ck_assert_str_eq(cell(t, 0, "ELSEWHERE")->text,
	                 "partner-a: no peering, partner-b: no peering");
	ck_assert_int_eq(cell(t, 0, "ELSEWHERE")->role, THEME_WARN);
	ck_assert(t->rows[0].problem);
	view_model_free(&vm);
	join_view_free(&jv);
	store_snapshot_unref(s[0]);
	store_snapshot_unref(s[1]);
}
END_TEST

START_TEST(matrix_cells_name_the_peering)
{
	int64_t now = store_now_ns();
	struct model_peering *p0 = calloc(2, sizeof *p0), *p1 = calloc(1, sizeof *p1),
	                     *p3 = calloc(1, sizeof *p3);
	struct store_snapshot *s[4];
	const char *names[4] = {"cluster-01", "cluster-02", "cluster-03", "cluster-04"};
	struct join_view jv;
	struct view_model vm;
	char status[512];

	peering(&p0[0], "id-a", "west", "id-b", MODEL_PEERING_ACTIVE, now - SEC);
	peering(&p0[1], "id-c", "east-4", "id-d", MODEL_PEERING_ACTIVE, now - SEC);
	peering(&p1[0], "id-b", "cluster-01", "id-a", MODEL_PEERING_ACTIVE, now - SEC);
	peering(&p3[0], "id-d", "c1", "id-c", MODEL_PEERING_ACTIVE, now - SEC);
	s[0] = snap(0, names[0], "dc1", now, p0, 2, false);
	s[1] = snap(1, names[1], "dc2", now, p1, 1, false);
	s[2] = snap(2, names[2], "dc3", now, NULL, 0, false);
	s[3] = snap(3, names[3], "dc4", now, p3, 1, false);
	export(s[0], "payments", "west");
	import(s[1], "payments", "cluster-01", 1);
	ck_assert_int_eq(join_build((const struct store_snapshot *const *)s, 4, now, NULL, &jv), 0);
	struct view_input in = {(const struct store_snapshot *const *)s, names, 4, &jv, now, true};
	view_model_init(&vm);
	ck_assert_int_eq(view_model_update(&vm, &in), 0);

	const struct view_table *t = &vm.table[VIEW_EXPORTS];
	const struct view_row *r = NULL;
	for (size_t i = 0; i < t->nrows; i++)
		if (t->rows[i].target.a == 0 && !strcmp(t->rows[i].target.service, "payments"))
			r = &t->rows[i];
	ck_assert_ptr_nonnull(r);
	ck_assert_ptr_null(r->cells[2].cell); /* (here) */
	const struct view_cell_target *west = r->cells[3].cell, *none = r->cells[4].cell,
	                              *east = r->cells[5].cell;
	ck_assert(west && none && east);
	ck_assert_str_eq(west->peer, "west");
	ck_assert(west->peered && west->exported);
	ck_assert_str_eq(none->peer, "cluster-03");
	ck_assert(!none->peered && !none->exported);
	ck_assert_str_eq(east->peer, "east-4");
	ck_assert(east->peered && !east->exported);
	view_cell_status(r, east, names, status, sizeof status);
	ck_assert_str_eq(status, "payments of cluster-01 for cluster-04: not exported; calls "
	                         "allowed   e: export  i: deny  Enter: path");
	view_cell_status(r, west, names, status, sizeof status);
	ck_assert_str_eq(status, "payments of cluster-01 for cluster-02: imported; calls "
	                         "allowed   e: unexport  i: deny  Enter: path");

	view_model_free(&vm);
	join_view_free(&jv);
	for (int i = 0; i < 4; i++)
		store_snapshot_unref(s[i]);
}
END_TEST

/* S again, with its one peering in state ST (a new peerings list, the
 * other lists the same: what a poll of the peerings publishes). */
static struct store_snapshot *repeered(const struct store_snapshot *s, enum model_peering_state st)
{
	struct store_snapshot *d = store_snapshot_derive(s);
	struct model_peering_list *l = calloc(1, sizeof *l);
	const struct model_peering *o = &s->peerings->v[0];

	ck_assert(d && l);
	l->v = calloc(1, sizeof *l->v);
	ck_assert_ptr_nonnull(l->v);
	peering(&l->v[0], o->id, o->name, o->peer_id, st, o->stream.last_heartbeat_ns);
	l->n = 1;
	d->peerings = keep(d, STORE_SRC_PEERINGS, store_part_peerings(l));
	return d;
}

/* The traffic path of an exports cell reads more than the exports: the
 * peerings' states, the gateway modes, the dialer's addresses. While the
 * row's detail is open the pane's rows follow them (both peerings went
 * from ACTIVE to FAILING with the same exports: the path said ACTIVE). */
START_TEST(exports_detail_follows_its_path)
{
	int64_t now = 1800000000LL * 1000000000LL;
	struct model_peering *p1 = calloc(1, sizeof *p1), *p2 = calloc(1, sizeof *p2);
	struct store_snapshot *s[2];
	const char *names[2] = {"cluster-01", "cluster-02"};
	struct join_cache *c = join_cache_new();
	struct join_view jv;
	struct view_model vm;

	ck_assert_ptr_nonnull(c);
	peering(&p1[0], "id-a", "cluster-02", "", MODEL_PEERING_ACTIVE, now - SEC);
	peering(&p2[0], "id-b", "cluster-01", "id-a", MODEL_PEERING_ACTIVE, now - SEC);
	s[0] = snap(0, names[0], "east", now, p1, 1, false);
	s[1] = snap(1, names[1], "west", now, p2, 1, false);
	gateway(s[0], "gw-east", MODEL_HEALTH_PASSING);
	export(s[0], "payments", "cluster-02");
	import(s[1], "payments", "cluster-01", 2);
	const struct store_snapshot *const *cs = (const struct store_snapshot *const *)s;
	ck_assert_int_eq(join_build_cached(c, cs, 2, now, NULL, &jv), 0);
	struct view_input in = {cs,          names, 2, &jv, now, true, NULL, "cluster-01/payments",
	                        VIEW_EXPORTS};
	view_model_init(&vm);
	ck_assert_int_eq(view_model_update(&vm, &in), 0);
	ck_assert_uint_eq(view_model_builds(&vm, VIEW_EXPORTS), 1);
	const struct view_cell_target *t = vm.table[VIEW_EXPORTS].rows[0].cells[3].cell;
	ck_assert_ptr_nonnull(t);
	ck_assert(strstr(t->detail, "[ACTIVE]") != NULL);

	for (int i = 0; i < 2; i++) {
		struct store_snapshot *d = repeered(s[i], MODEL_PEERING_FAILING);
		store_snapshot_unref(s[i]);
		s[i] = d;
	}
	join_view_free(&jv);
	ck_assert_int_eq(join_build_cached(c, cs, 2, now, NULL, &jv), 0);
	ck_assert_uint_eq(join_cache_stats(c).exports_reused, 1);
	ck_assert_int_eq(view_model_update(&vm, &in), 0);
	ck_assert_uint_eq(view_model_builds(&vm, VIEW_EXPORTS), 2);
	t = vm.table[VIEW_EXPORTS].rows[0].cells[3].cell;
	ck_assert_ptr_nonnull(t);
	ck_assert(strstr(t->detail, "[FAILING]") != NULL);
	ck_assert(strstr(t->detail, "[ACTIVE]") == NULL);

	/* No exports detail open: the rows are kept while the exports are. */
	in.detail_id = "";
	ck_assert_int_eq(view_model_update(&vm, &in), 0);
	ck_assert_int_eq(view_model_update(&vm, &in), 0);
	ck_assert_uint_eq(view_model_builds(&vm, VIEW_EXPORTS), 3);

	view_model_free(&vm);
	join_view_free(&jv);
	join_cache_free(c);
	for (int i = 0; i < 2; i++)
		store_snapshot_unref(s[i]);
}
END_TEST

/* Consul Enterprise: a row per service of each admin partition, with a
 * PARTITION column; a partition exporting without a mesh gateway marks it
 * (the specification's Enterprise rule); the mesh operations and the
 * traffic path cover the default partition, which the cell says. */
START_TEST(matrix_partitions)
{
	int64_t now = 1800000000LL * 1000000000LL;
	struct store_snapshot *s[2];
	const char *names[2] = {"cluster-01", "cluster-02"};
	struct join_view jv;
	struct view_model vm;

	two_peered(s, names, now);
	((struct model_cluster_identity *)s[0]->identity)->enterprise = true;
	gateway(s[0], "gw-east", MODEL_HEALTH_PASSING);
	static const char *const ledger[] = {"ledger", "audit"};
	export_services(s[0], ledger, 2, "cluster-02");
	struct model_export_service *d =
	        ((struct model_exported_services_entry *)s[0]->exports)->services;
	free(d[0].partition);
	d[0].partition = strdup("team-a");
	free(d[1].partition);
	d[1].partition = strdup("team-a");
	ck_assert_int_eq(join_build((const struct store_snapshot *const *)s, 2, now, NULL, &jv), 0);
	struct view_input in = {(const struct store_snapshot *const *)s, names, 2, &jv, now, true};
	view_model_init(&vm);
	ck_assert_int_eq(view_model_update(&vm, &in), 0);

	/* The gateways pane: one row for the partition without a gateway,
	 * whatever the number of its exports. */
	const struct view_table *g = &vm.table[VIEW_GATEWAYS];
	size_t partition_rows = 0;
	for (size_t i = 0; i < g->nrows; i++) {
		if (!strstr(g->rows[i].id, "/partition/"))
			continue;
		partition_rows++;
		ck_assert_str_eq(g->rows[i].id, "cluster-01/partition/team-a");
		ck_assert_str_eq(cell(g, i, "INSTANCE")->text, "no mesh gateway");
		ck_assert(g->rows[i].problem);
		ck_assert_msg(strstr(g->rows[i].reason, "partition team-a of cluster-01, which "
		                                        "exports audit") != NULL,
		              "%s", g->rows[i].reason);
	}
	ck_assert_uint_eq(partition_rows, 1);

	const struct view_table *t = &vm.table[VIEW_EXPORTS];
	ck_assert_str_eq(t->cols[2].title, "PARTITION");
	ck_assert_uint_eq(t->nrows, 2);
	const struct view_row *r = &t->rows[1];
	ck_assert_str_eq(r->id, "cluster-01/team-a/ledger");
	ck_assert_str_eq(r->cells[2].text, "team-a");
	ck_assert_int_eq(r->cells[2].role, THEME_BAD);
	ck_assert(r->problem);
	ck_assert(strstr(r->reason, "no mesh gateway in partition team-a") == r->reason);
	const struct view_cell_target *c = r->cells[4].cell;
	ck_assert_ptr_nonnull(c);
	ck_assert_str_eq(c->partition, "team-a");
	ck_assert(strstr(c->detail, "cover the default partition only") != NULL);

	view_model_free(&vm);
	join_view_free(&jv);
	for (int i = 0; i < 2; i++)
		store_snapshot_unref(s[i]);
}
END_TEST

/* The dashboard rebuilds after every change: a pane whose rows come from
 * what did not change keeps them, the detail texts are built for the row
 * shown only, and when only the time moves just the ages are redone. */
START_TEST(model_does_only_what_changed)
{
	int64_t now = 1800000000LL * 1000000000LL;
	struct model_peering *p1 = calloc(1, sizeof *p1), *p2 = calloc(1, sizeof *p2);
	struct store_snapshot *s[3];
	const char *names[3] = {"cluster-01", "cluster-02", "cluster-03"};
	struct join_cache *c = join_cache_new();
	struct join_view jv;
	struct view_model vm;

	ck_assert_ptr_nonnull(c);
	peering(&p1[0], "id-a", "cluster-02", "id-b", MODEL_PEERING_ACTIVE, now - 2000000000LL);
	peering(&p2[0], "id-b", "cluster-01", "id-a", MODEL_PEERING_ACTIVE, now - 3000000000LL);
	s[0] = snap(0, names[0], "east", now, p1, 1, false);
	s[1] = snap(1, names[1], "west", now, p2, 1, false);
	s[2] = snap(2, names[2], "lab", now, NULL, 0, true);
	export(s[0], "payments", "cluster-02");
	import(s[1], "payments", "cluster-01", 2);
	const struct store_snapshot *const *cs = (const struct store_snapshot *const *)s;
	ck_assert_int_eq(join_build_cached(c, cs, 3, now, NULL, &jv), 0);
	struct view_input in = {cs, names, 3, &jv, now, true, NULL, "", VIEW_CLUSTERS};
	view_model_init(&vm);
	ck_assert_int_eq(view_model_update(&vm, &in), 0);
	ck_assert_uint_eq(view_model_builds(&vm, VIEW_EXPORTS), 1);
	/* No detail asked for: none built. */
	ck_assert_str_eq(vm.table[VIEW_PEERINGS].rows[0].detail, "");
	ck_assert_str_eq(vm.table[VIEW_EXPORTS].rows[0].detail, "");
	/* A stale cluster's age of 42 s shows as "42s" until it is 43 s. */
	ck_assert_str_eq(vm.stale_note, "cluster-03 42s");
	ck_assert(vm.ages_change_ns == now + 1000000000LL);

	/* Joined again from the same lists: the exports are the same rows. */
	join_view_free(&jv);
	ck_assert_int_eq(join_build_cached(c, cs, 3, now, NULL, &jv), 0);
	in.detail_id = "cluster-01|cluster-02";
	in.detail_pane = VIEW_PEERINGS;
	ck_assert_int_eq(view_model_update(&vm, &in), 0);
	ck_assert_uint_eq(view_model_builds(&vm, VIEW_EXPORTS), 1);
	ck_assert_uint_eq(view_model_builds(&vm, VIEW_PEERINGS), 2);
	ck_assert_uint_eq(vm.table[VIEW_EXPORTS].nrows, 1);
	ck_assert_str_eq(vm.table[VIEW_EXPORTS].rows[0].cells[3].text, "imported 2/2");
	/* The row shown has its detail and raw texts. */
	ck_assert(strstr(vm.table[VIEW_PEERINGS].rows[0].detail, "cluster-01 <-> cluster-02"));
	ck_assert(strstr(vm.table[VIEW_PEERINGS].rows[0].raw, "\"State\": \"ACTIVE\""));
	ck_assert_str_eq(vm.table[VIEW_CLUSTERS].rows[0].detail, "");

	/* A second later only the ages are redone. */
	unsigned peerings = view_model_builds(&vm, VIEW_PEERINGS);
	unsigned clusters = view_model_builds(&vm, VIEW_CLUSTERS);
	in.now_ns = now + 1000000000LL;
	ck_assert_int_eq(view_model_update_ages(&vm, &in), 0);
	ck_assert_str_eq(vm.stale_note, "cluster-03 43s");
	ck_assert_str_eq(vm.table[VIEW_CLUSTERS].rows[2].cells[3].text, "STALE 43s");
	ck_assert_uint_eq(view_model_builds(&vm, VIEW_CLUSTERS), clusters + 1);
	ck_assert_uint_eq(view_model_builds(&vm, VIEW_PEERINGS), peerings);
	ck_assert(vm.ages_change_ns == now + 2000000000LL);

	/* cluster-02 turns out to run Consul Enterprise, its lists the same:
	 * the exports are the join's, but their rows gain the partitions. */
	size_t ncols = vm.table[VIEW_EXPORTS].ncols;
	enterprise(s[1]);
	join_view_free(&jv);
	ck_assert_int_eq(join_build_cached(c, cs, 3, now, NULL, &jv), 0);
	ck_assert_int_eq(view_model_update(&vm, &in), 0);
	ck_assert_uint_eq(view_model_builds(&vm, VIEW_EXPORTS), 2);
	ck_assert_uint_eq(vm.table[VIEW_EXPORTS].ncols, ncols + 1);

	view_model_free(&vm);
	join_view_free(&jv);
	join_cache_free(c);
	for (int i = 0; i < 3; i++)
		store_snapshot_unref(s[i]);
}
END_TEST

/* While a cluster's data has not arrived, its cells say "loading" and no
 * row is a problem; once it arrived the same gap is one. */
START_TEST(loading_is_not_a_problem)
{
	int64_t now = 1800000000LL * 1000000000LL;
	struct model_peering *p1 = calloc(1, sizeof *p1);
	struct store_snapshot *s[2];
	const char *names[2] = {"cluster-01", "cluster-02"};
	struct join_view jv;
	struct view_model vm;

	peering(&p1[0], "id-a", "cluster-02", "id-b", MODEL_PEERING_ACTIVE, now - 2000000000LL);
	s[0] = snap(0, names[0], "east", now, p1, 1, false);
	s[1] = snap(1, names[1], "west", now, NULL, 0, false);
	export(s[0], "payments", "cluster-02");
	/* cluster-02 answered nothing yet but who it is. */
	enum store_src unread[] = {STORE_SRC_PEERINGS, STORE_SRC_STREAM, STORE_SRC_SERVICES};
	for (size_t k = 0; k < 3; k++) {
		s[1]->sources[unread[k]].state = MODEL_SOURCE_UNKNOWN;
		s[1]->sources[unread[k]].last_ok_ns = 0;
	}
	const struct store_snapshot *const *cs = (const struct store_snapshot *const *)s;
	ck_assert_int_eq(join_build(cs, 2, now, NULL, &jv), 0);
	struct view_input in = {cs, names, 2, &jv, now, true};
	view_model_init(&vm);
	ck_assert_int_eq(view_model_update(&vm, &in), 0);
	ck_assert_uint_eq(vm.problems, 0);
	const struct view_table *t = &vm.table[VIEW_PEERINGS];
	ck_assert_uint_eq(t->nrows, 1);
	ck_assert(!t->rows[0].problem);
	ck_assert_str_eq(t->rows[0].cells[4].text, "loading");
	ck_assert_str_eq(t->rows[0].cells[9].text, "");
	ck_assert_str_eq(t->rows[0].cells[10].text, "cluster-02 has not answered yet");
	t = &vm.table[VIEW_EXPORTS];
	ck_assert_uint_eq(t->nrows, 1);
	ck_assert(!t->rows[0].problem);
	ck_assert_str_eq(t->rows[0].cells[3].text, "loading");
	ck_assert_int_eq(t->rows[0].cells[3].role, THEME_DIM);
	view_model_free(&vm);
	join_view_free(&jv);

	/* It answered: no peering there, nothing imported: two problems. */
	for (size_t k = 0; k < 3; k++) {
		s[1]->sources[unread[k]].state = MODEL_SOURCE_OK;
		s[1]->sources[unread[k]].last_ok_ns = now;
	}
	ck_assert_int_eq(join_build(cs, 2, now, NULL, &jv), 0);
	view_model_init(&vm);
	ck_assert_int_eq(view_model_update(&vm, &in), 0);
	ck_assert_uint_eq(vm.problems, 2);
	ck_assert(vm.table[VIEW_PEERINGS].rows[0].problem);
	ck_assert(vm.table[VIEW_EXPORTS].rows[0].problem);
	ck_assert_str_eq(vm.table[VIEW_EXPORTS].rows[0].cells[3].text, "exported, not imported !");
	view_model_free(&vm);
	join_view_free(&jv);
	for (int i = 0; i < 2; i++)
		store_snapshot_unref(s[i]);
}
END_TEST

/* N local services svc-00000 ... of cluster S (its services list). */
static void local_services(struct store_snapshot *s, size_t n)
{
	struct model_service_summary_list *l = calloc(1, sizeof *l);
	char name[32];

	ck_assert_ptr_nonnull(l);
	l->v = calloc(n, sizeof *l->v);
	ck_assert_ptr_nonnull(l->v);
	for (size_t i = 0; i < n; i++) {
		struct model_service_summary *x = &l->v[l->n++];
		snprintf(name, sizeof name, "svc-%05zu", i);
		x->name = strdup(name);
		x->kind = strdup("");
		x->datacenter = strdup("east");
		x->peer_name = strdup("");
		x->partition = strdup("");
		x->ns = strdup("");
		x->instance_count = 1;
	}
	s->services = keep(s, STORE_SRC_SERVICES, store_part_services(l));
}

/* The exports matrix has a row for every service a cluster could export,
 * while those exported to no peer are few; with thousands, only the
 * exported ones and a last row that counts the others (a row, 16 cells and
 * their status per service of 16 x 10,000 clusters took a gigabyte). */
START_TEST(exports_rows_of_large_clusters)
{
	int64_t now = 1800000000LL * 1000000000LL;
	const char *names[2] = {"cluster-01", "cluster-02"};
	struct store_snapshot *s[2];
	struct join_view jv;
	struct view_model vm;

	for (int round = 0; round < 2; round++) {
		struct model_peering *p1 = calloc(1, sizeof *p1), *p2 = calloc(1, sizeof *p2);
		size_t n = round ? VIEW_EXPORTS_OTHERS_MAX + 2 : 20;
		peering(&p1[0], "id-a", "cluster-02", "id-b", MODEL_PEERING_ACTIVE,
		        now - 2000000000LL);
		peering(&p2[0], "id-b", "cluster-01", "id-a", MODEL_PEERING_ACTIVE,
		        now - 3000000000LL);
		s[0] = snap(0, names[0], "east", now, p1, 1, false);
		s[1] = snap(1, names[1], "west", now, p2, 1, false);
		local_services(s[0], n);
		export(s[0], "svc-00003", "cluster-02");
		const struct store_snapshot *const *cs = (const struct store_snapshot *const *)s;
		ck_assert_int_eq(join_build(cs, 2, now, NULL, &jv), 0);
		struct view_input in = {cs, names, 2, &jv, now, true, NULL, "", VIEW_CLUSTERS};
		view_model_init(&vm);
		ck_assert_int_eq(view_model_update(&vm, &in), 0);
		const struct view_table *t = &vm.table[VIEW_EXPORTS];
		if (!round) {
			ck_assert_uint_eq(t->nrows, 20);
		} else {
			ck_assert_uint_eq(t->nrows, 2);
			ck_assert_str_eq(t->rows[0].id, "cluster-01/svc-00003");
			ck_assert_str_eq(t->rows[1].cells[0].text, "(2001 more)");
			ck_assert(strstr(t->rows[1].cells[t->ncols - 1].text, ":export"));
			ck_assert_uint_eq(t->rows[1].target.a, VIEW_NO_CLUSTER);
		}
		view_model_free(&vm);
		join_view_free(&jv);
		for (int i = 0; i < 2; i++)
			store_snapshot_unref(s[i]);
	}
}
END_TEST

static Suite *view_suite(void)
{
	Suite *s = suite_create("view");
	TCase *tc = tcase_create("view");

	tcase_add_test(tc, cursor_follows_id);
	tcase_add_test(tc, change_stamps);
	tcase_add_test(tc, clock_cells_are_not_news);
	tcase_add_test(tc, filter_and_sort);
	tcase_add_test(tc, find_and_scroll);
	tcase_add_test(tc, row_cells_start_empty);
	tcase_add_test(tc, helpers);
	tcase_add_test(tc, model_from_snapshots);
	tcase_add_test(tc, times_update_is_a_full_one);
	tcase_add_test(tc, clusters_kept_for_new_times);
	tcase_add_test(tc, gateways_room_follows_the_gateways);
	tcase_add_test(tc, partition_column_ce_rows);
	tcase_add_test(tc, peerings_without_controllers);
	tcase_add_test(tc, clusters_rows_read_the_report_once);
	tcase_add_test(tc, model_does_only_what_changed);
	tcase_add_test(tc, exports_detail_follows_its_path);
	tcase_add_test(tc, loading_is_not_a_problem);
	tcase_add_test(tc, exports_rows_of_large_clusters);
	tcase_add_test(tc, map_from_snapshots);
	tcase_add_test(tc, matrix_cells_and_paths);
	tcase_add_test(tc, exports_elsewhere_lists_other_consumers);
	tcase_add_test(tc, matrix_cells_name_the_peering);
	tcase_add_test(tc, matrix_partitions);
	tcase_add_test(tc, cell_text_formatted_once);
	tcase_add_test(tc, cell_text_set_in_place);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN(view_suite)
