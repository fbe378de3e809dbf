/* Unit tests of the events a publish adds to the activity log
 * (src/poller_diff.c): peerings and mesh gateways added, changed and
 * removed, on snapshots built by hand; Consul Enterprise's same name in two
 * admin partitions as two items (a peering is read and deleted by name and
 * partition: consul agent/peering_endpoint.go peeringRead, peeringDelete;
 * api/peering.go Peering.Partition). */
#include "autoconfig.h"

#include "unit.h"

#include "poller_src.h"

#include "peerscope/store.h"

#include <stdlib.h>
#include <string.h>

struct item {
	const char *key;
	int state;             /* enum model_peering_state or enum model_health */
	const char *partition; /* NULL: none (CE) */
};

static struct store *st;

static void setup(void)
{
	st = store_new(1, 0);
	ck_assert_ptr_nonnull(st);
}

static void teardown(void)
{
	store_free(st);
	st = NULL;
}

static void hold_peerings(struct store_snapshot *s, const struct item *v, size_t n)
{
	struct model_peering_list *l = calloc(1, sizeof *l);

	ck_assert_ptr_nonnull(l);
	l->v = calloc(n ? n : 1, sizeof *l->v);
	ck_assert_ptr_nonnull(l->v);
	l->n = n;
	for (size_t i = 0; i < n; i++) {
		l->v[i].name = strdup(v[i].key);
		l->v[i].state = (enum model_peering_state)v[i].state;
		l->v[i].partition = strdup(v[i].partition ? v[i].partition : "");
	}
	struct store_part *p = store_part_peerings(l);
	ck_assert_ptr_nonnull(p);
	s->peerings = store_hold(s, STORE_SRC_PEERINGS, p);
	store_part_unref(p);
}

static void hold_gateways(struct store_snapshot *s, const struct item *v, size_t n)
{
	struct model_instance_list *l = calloc(1, sizeof *l);

	ck_assert_ptr_nonnull(l);
	l->v = calloc(n ? n : 1, sizeof *l->v);
	ck_assert_ptr_nonnull(l->v);
	l->n = n;
	for (size_t i = 0; i < n; i++) {
		l->v[i].service_id = strdup(v[i].key);
		l->v[i].health = (enum model_health)v[i].state;
		l->v[i].partition = strdup(v[i].partition ? v[i].partition : "");
	}
	struct store_part *p = store_part_instances(l);
	ck_assert_ptr_nonnull(p);
	s->gateways = store_hold(s, STORE_SRC_GATEWAYS, p);
	store_part_unref(p);
}

/* A snapshot of cluster "east" whose peerings and gateways have answered. */
static struct store_snapshot *snap(const struct item *peerings, size_t np,
                                   const struct item *gateways, size_t ng)
{
	struct store_snapshot *s = store_snapshot_new(0, "east", "", "127.0.0.1:8500");

	ck_assert_ptr_nonnull(s);
	s->sources[STORE_SRC_PEERINGS].last_ok_ns = 1;
	s->sources[STORE_SRC_GATEWAYS].last_ok_ns = 1;
	hold_peerings(s, peerings, np);
	hold_gateways(s, gateways, ng);
	return s;
}

/* The events logged so far, oldest first; returns how many. */
static size_t events(struct store_event *out, size_t max)
{
	return store_events_since(st, 0, out, max);
}

static void expect(const struct store_event *e, enum store_event_level level, const char *subject,
                   const char *text)
{
	ck_assert_str_eq(e->cluster, "east");
	ck_assert_str_eq(e->subject, subject);
	ck_assert_str_eq(e->text, text);
	ck_assert_int_eq(e->level, level);
}

START_TEST(peerings_added_changed_removed)
{
	const struct item was[] = {
	        {"west", MODEL_PEERING_ACTIVE},
	        {"north", MODEL_PEERING_PENDING},
	        {"south", MODEL_PEERING_ACTIVE},
	        {"gone", MODEL_PEERING_ACTIVE},
	};
	const struct item now[] = {
	        {"west", MODEL_PEERING_FAILING},     /* changed, for the worse */
	        {"north", MODEL_PEERING_ACTIVE},     /* changed, for the better */
	        {"south", MODEL_PEERING_ACTIVE},     /* the same */
	        {"new", MODEL_PEERING_ESTABLISHING}, /* added */
	};
	struct store_snapshot *old = snap(was, 4, NULL, 0);
	struct store_snapshot *new = snap(now, 4, NULL, 0);
	struct store_event ev[8];

	poller_diff(st, "east", old, new);
	ck_assert_uint_eq(events(ev, 8), 4);
	expect(&ev[0], STORE_EV_WARN, "west", "peering west ACTIVE -> FAILING");
	expect(&ev[1], STORE_EV_INFO, "north", "peering north PENDING -> ACTIVE");
	expect(&ev[2], STORE_EV_INFO, "new", "peering new appeared (ESTABLISHING)");
	expect(&ev[3], STORE_EV_INFO, "gone", "peering gone removed");
	store_snapshot_unref(old);
	store_snapshot_unref(new);
}
END_TEST

START_TEST(peering_terminated_is_a_warning)
{
	const struct item was[] = {{"west", MODEL_PEERING_ACTIVE}};
	const struct item now[] = {{"west", MODEL_PEERING_TERMINATED}};
	struct store_snapshot *old = snap(was, 1, NULL, 0);
	struct store_snapshot *new = snap(now, 1, NULL, 0);
	struct store_event ev[4];

	poller_diff(st, "east", old, new);
	ck_assert_uint_eq(events(ev, 4), 1);
	expect(&ev[0], STORE_EV_WARN, "west", "peering west ACTIVE -> TERMINATED");
	store_snapshot_unref(old);
	store_snapshot_unref(new);
}
END_TEST

START_TEST(gateways_registered_changed_deregistered)
{
	const struct item was[] = {
	        {"mgw-a", MODEL_HEALTH_PASSING},
	        {"mgw-b", MODEL_HEALTH_CRITICAL},
	        {"mgw-c", MODEL_HEALTH_PASSING},
	};
	const struct item now[] = {
	        {"mgw-d", MODEL_HEALTH_WARNING},  /* registered */
	        {"mgw-a", MODEL_HEALTH_CRITICAL}, /* changed, for the worse */
	        {"mgw-b", MODEL_HEALTH_PASSING},  /* changed, for the better */
	};
	struct store_snapshot *old = snap(NULL, 0, was, 3);
	struct store_snapshot *new = snap(NULL, 0, now, 3);
	struct store_event ev[8];

	poller_diff(st, "east", old, new);
	ck_assert_uint_eq(events(ev, 8), 4);
	expect(&ev[0], STORE_EV_INFO, "mgw-d", "mesh gateway mgw-d registered (warning)");
	expect(&ev[1], STORE_EV_WARN, "mgw-a", "mesh gateway mgw-a passing -> critical");
	expect(&ev[2], STORE_EV_INFO, "mgw-b", "mesh gateway mgw-b critical -> passing");
	expect(&ev[3], STORE_EV_WARN, "mgw-c", "mesh gateway mgw-c deregistered");
	store_snapshot_unref(old);
	store_snapshot_unref(new);
}
END_TEST

START_TEST(both_kinds_in_one_publish)
{
	const struct item pw[] = {{"west", MODEL_PEERING_ACTIVE}};
	const struct item gw[] = {{"mgw-a", MODEL_HEALTH_PASSING}};
	struct store_snapshot *old = snap(pw, 1, gw, 1);
	struct store_snapshot *new = snap(NULL, 0, NULL, 0);
	struct store_event ev[4];

	poller_diff(st, "east", old, new);
	ck_assert_uint_eq(events(ev, 4), 2);
	expect(&ev[0], STORE_EV_INFO, "west", "peering west removed");
	expect(&ev[1], STORE_EV_WARN, "mgw-a", "mesh gateway mgw-a deregistered");
	store_snapshot_unref(old);
	store_snapshot_unref(new);
}
END_TEST

/* Two peerings named "west" in partitions team-a and team-b of one cluster
 * are two peerings: one changing, one going, one new in a third partition,
 * each event naming its partition. "default" and no partition (CE) are the
 * same partition. */
START_TEST(same_name_in_two_partitions)
{
	const struct item was[] = {
	        {"west", MODEL_PEERING_ACTIVE, "team-a"},
	        {"west", MODEL_PEERING_ACTIVE, "team-b"},
	        {"south", MODEL_PEERING_ACTIVE, ""},
	};
	const struct item now[] = {
	        {"west", MODEL_PEERING_ACTIVE, "team-a"},
	        {"west", MODEL_PEERING_PENDING, "ops"},
	        {"south", MODEL_PEERING_ACTIVE, "default"},
	};
	struct store_snapshot *old = snap(was, 3, NULL, 0);
	struct store_snapshot *new = snap(now, 3, NULL, 0);
	struct store_event ev[8];

	poller_diff(st, "east", old, new);
	ck_assert_uint_eq(events(ev, 8), 2);
	expect(&ev[0], STORE_EV_INFO, "west", "peering west in partition ops appeared (PENDING)");
	expect(&ev[1], STORE_EV_INFO, "west", "peering west in partition team-b removed");
	store_snapshot_unref(old);
	store_snapshot_unref(new);

	/* The one in team-b fails while team-a's stays ACTIVE: the event is
	 * team-b's, and the state it left is team-b's own. */
	const struct item a[] = {
	        {"west", MODEL_PEERING_ACTIVE, "team-a"},
	        {"west", MODEL_PEERING_PENDING, "team-b"},
	};
	const struct item b[] = {
	        {"west", MODEL_PEERING_FAILING, "team-b"},
	        {"west", MODEL_PEERING_ACTIVE, "team-a"},
	};
	old = snap(a, 2, NULL, 0);
	new = snap(b, 2, NULL, 0);
	poller_diff(st, "east", old, new);
	ck_assert_uint_eq(events(ev, 8), 3);
	expect(&ev[2], STORE_EV_WARN, "west",
	       "peering west in partition team-b PENDING -> FAILING");
	store_snapshot_unref(old);
	store_snapshot_unref(new);
}
END_TEST

/* A gateway's service ID may repeat in another partition. */
START_TEST(gateways_in_two_partitions)
{
	const struct item was[] = {
	        {"mgw-a", MODEL_HEALTH_PASSING, "default"},
	        {"mgw-a", MODEL_HEALTH_PASSING, "team-a"},
	};
	const struct item now[] = {
	        {"mgw-a", MODEL_HEALTH_CRITICAL, "team-a"},
	        {"mgw-a", MODEL_HEALTH_PASSING, "default"},
	};
	struct store_snapshot *old = snap(NULL, 0, was, 2);
	struct store_snapshot *new = snap(NULL, 0, now, 2);
	struct store_event ev[4];

	poller_diff(st, "east", old, new);
	ck_assert_uint_eq(events(ev, 4), 1);
	expect(&ev[0], STORE_EV_WARN, "mgw-a",
	       "mesh gateway mgw-a in partition team-a passing -> critical");
	store_snapshot_unref(old);
	store_snapshot_unref(new);
}
END_TEST

START_TEST(no_news)
{
	const struct item pw[] = {{"west", MODEL_PEERING_ACTIVE}};
	const struct item gw[] = {{"mgw-a", MODEL_HEALTH_PASSING}};
	struct store_snapshot *old = snap(pw, 1, gw, 1);
	struct store_snapshot *same = snap(pw, 1, gw, 1);
	struct store_snapshot *first = snap(NULL, 0, NULL, 0);
	struct store_event ev[4];

	/* The first publish, and equal contents in new lists, say nothing. */
	poller_diff(st, "east", NULL, old);
	poller_diff(st, "east", old, same);
	/* Nor does a source's first answer (the list before it is no list). */
	first->sources[STORE_SRC_PEERINGS].last_ok_ns = 0;
	first->sources[STORE_SRC_GATEWAYS].last_ok_ns = 0;
	poller_diff(st, "east", first, old);
	/* Nor a list emptied while its source has not answered since (a
	 * cluster that starts reading its admin partitions one by one). */
	struct store_snapshot *unread = snap(NULL, 0, NULL, 0);
	unread->sources[STORE_SRC_PEERINGS].last_ok_ns = 0;
	unread->sources[STORE_SRC_GATEWAYS].last_ok_ns = 0;
	poller_diff(st, "east", old, unread);
	store_snapshot_unref(unread);
	/* Nor the same list shared by two snapshots. */
	struct store_snapshot *derived = store_snapshot_derive(old);
	ck_assert_ptr_nonnull(derived);
	poller_diff(st, "east", old, derived);
	ck_assert_uint_eq(events(ev, 4), 0);
	store_snapshot_unref(derived);
	store_snapshot_unref(first);
	store_snapshot_unref(same);
	store_snapshot_unref(old);
}
END_TEST

static Suite *poller_diff_suite(void)
{
	Suite *s = suite_create("poller_diff");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, peerings_added_changed_removed);
	tcase_add_test(tc, peering_terminated_is_a_warning);
	tcase_add_test(tc, gateways_registered_changed_deregistered);
	tcase_add_test(tc, both_kinds_in_one_publish);
	tcase_add_test(tc, same_name_in_two_partitions);
	tcase_add_test(tc, gateways_in_two_partitions);
	tcase_add_test(tc, no_news);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN(poller_diff_suite)
