/* Unit tests of the store: snapshots, parts, generations, wake-ups, events. */
#include "autoconfig.h"

#include "unit.h"

#include "peerscope/monotime.h"
#include "peerscope/store.h"

#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static int freed;

static void count_free(void *data)
{
	freed++;
	free(data);
}

static struct store_part *peering_part(const char *name, enum model_peering_state state)
{
	struct model_peering_list *l = calloc(1, sizeof *l);

	ck_assert_ptr_nonnull(l);
	l->v = calloc(1, sizeof *l->v);
	ck_assert_ptr_nonnull(l->v);
	l->n = 1;
	l->v[0].name = strdup(name);
	l->v[0].state = state;
	return store_part_peerings(l);
}

/* Each list a part holds has a shape of its own, and one it came with
 * (a copy with new times: consul_peerings_with_times()) stays. */
START_TEST(peering_parts_have_their_own_shape)
{
	struct store_part *a = peering_part("cluster-02", MODEL_PEERING_ACTIVE);
	struct store_part *b = peering_part("cluster-02", MODEL_PEERING_ACTIVE);
	const struct model_peering_list *la = store_part_data(a), *lb = store_part_data(b);

	ck_assert_uint_ne(la->shape, 0);
	ck_assert_uint_ne(lb->shape, 0);
	ck_assert_uint_ne(la->shape, lb->shape);
	struct model_peering_list *l = calloc(1, sizeof *l);
	ck_assert_ptr_nonnull(l);
	l->shape = la->shape;
	struct store_part *c = store_part_peerings(l);
	ck_assert_uint_eq(((const struct model_peering_list *)store_part_data(c))->shape,
	                  la->shape);
	store_part_unref(a);
	store_part_unref(b);
	store_part_unref(c);
}
END_TEST

/* A list with new times borrows its entries' strings from the list it
 * was made from (store_part_peerings_over()): they stay while it lives,
 * after the base's last reference is gone, and through a list made over
 * that one (ASan reads them after the lists between are freed). */
static struct model_peering_list borrowed(const struct model_peering_list *from, uint64_t shape)
{
	struct model_peering_list l = {malloc(from->n * sizeof *l.v), from->n, shape};

	ck_assert_ptr_nonnull(l.v);
	memcpy(l.v, from->v, from->n * sizeof *l.v);
	return l;
}

START_TEST(peerings_over_hold_their_strings)
{
	struct store_part *a = peering_part("cluster-02", MODEL_PEERING_ACTIVE);
	const struct model_peering_list *la = store_part_data(a);
	struct model_peering_list l = borrowed(la, la->shape);
	struct store_part *b = store_part_peerings_over(&l, a);
	const struct model_peering_list *lb = store_part_data(b);

	ck_assert_ptr_nonnull(b);
	ck_assert_uint_eq(lb->shape, la->shape);
	ck_assert_ptr_eq(lb->v[0].name, la->v[0].name);
	store_part_unref(a);
	ck_assert_str_eq(lb->v[0].name, "cluster-02");
	/* A second answer's list over the first's; no shape: a new one. */
	struct model_peering_list m = borrowed(lb, 0);
	struct store_part *c = store_part_peerings_over(&m, b);
	const struct model_peering_list *lc = store_part_data(c);
	ck_assert_ptr_nonnull(c);
	ck_assert_uint_ne(lc->shape, 0);
	ck_assert_uint_ne(lc->shape, lb->shape);
	store_part_unref(b);
	ck_assert_str_eq(lc->v[0].name, "cluster-02");
	ck_assert_int_eq(lc->v[0].state, MODEL_PEERING_ACTIVE);
	store_part_unref(c);
}
END_TEST

START_TEST(snapshot_new_has_empty_lists)
{
	struct store_snapshot *s = store_snapshot_new(2, "east", "kind-east", "");

	ck_assert_ptr_nonnull(s);
	ck_assert_str_eq(s->name, "east");
	ck_assert_str_eq(s->context, "kind-east");
	ck_assert_str_eq(s->consul_address, "");
	ck_assert(s->consul_via_proxy);
	ck_assert(s->kube_configured);
	ck_assert_uint_eq(s->index, 2);
	ck_assert_ptr_nonnull(s->peerings);
	ck_assert_uint_eq(s->peerings->n, 0);
	ck_assert_uint_eq(s->acceptors->n, 0);
	ck_assert_uint_eq(s->token_secrets->n, 0);
	ck_assert(!store_snapshot_answered(s));
	for (int i = 0; i < STORE_SRC_COUNT; i++)
		s->sources[i].state = MODEL_SOURCE_OK;
	ck_assert(store_snapshot_answered(s));
	ck_assert(!store_snapshot_failing(s));
	s->sources[STORE_SRC_MESH].failures = 2;
	ck_assert(store_snapshot_failing(s));
	s->sources[STORE_SRC_MESH].enabled = false;
	ck_assert(!store_snapshot_failing(s));
	store_snapshot_unref(s);
}
END_TEST

START_TEST(parts_are_shared_and_freed_once)
{
	freed = 0;
	struct store_part *p = store_part_new(malloc(8), count_free);
	struct store_snapshot *a = store_snapshot_new(0, "a", "", "http://127.0.0.1:1");

	ck_assert_ptr_nonnull(p);
	ck_assert_ptr_eq(store_hold(a, STORE_SRC_MESH, p), store_part_data(p));
	store_part_unref(p); /* the snapshot's reference remains */
	ck_assert_int_eq(freed, 0);
	struct store_snapshot *b = store_snapshot_derive(a);
	ck_assert_ptr_nonnull(b);
	ck_assert_str_eq(b->name, "a");
	ck_assert(b->name != a->name);
	store_snapshot_unref(a);
	ck_assert_int_eq(freed, 0);
	/* Replacing the part in b releases the last reference to the first. */
	store_hold(b, STORE_SRC_MESH, NULL);
	ck_assert_int_eq(freed, 1);
	store_snapshot_unref(b);
	ck_assert_int_eq(freed, 1);
}
END_TEST

START_TEST(part_new_frees_data_without_memory)
{
	/* store_part_new owns data from the call on; NULL data is allowed. */
	struct store_part *p = store_part_new(NULL, NULL);
	ck_assert_ptr_nonnull(p);
	ck_assert_ptr_null(store_part_data(p));
	store_part_unref(p);
	store_part_unref(NULL);
}
END_TEST

/* A reader that showed a snapshot need not look at the next one when only
 * the times of successes moved (a poll answered with the same data); a new
 * part, a source's state or a flag is news. */
START_TEST(snapshot_same_data)
{
	struct store_snapshot *a = store_snapshot_new(0, "east", "kind-east", "");
	ck_assert_ptr_nonnull(a);
	struct store_part *p = peering_part("west", MODEL_PEERING_ACTIVE);
	a->peerings = store_hold(a, STORE_SRC_PEERINGS, p);
	store_part_unref(p);
	a->sources[STORE_SRC_PEERINGS].state = MODEL_SOURCE_OK;
	a->sources[STORE_SRC_PEERINGS].last_ok_ns = 1000;

	struct store_snapshot *b = store_snapshot_derive(a);
	ck_assert_ptr_nonnull(b);
	b->sources[STORE_SRC_PEERINGS].last_ok_ns = 2000;
	ck_assert(store_snapshot_same(a, b));
	ck_assert(store_snapshot_same(a, a));
	ck_assert(!store_snapshot_same(a, NULL));
	ck_assert(store_snapshot_same(NULL, NULL));

	b->sources[STORE_SRC_PEERINGS].failures = 1;
	ck_assert(!store_snapshot_same(a, b));
	b->sources[STORE_SRC_PEERINGS].failures = 0;
	b->consul_reachable = !a->consul_reachable;
	ck_assert(!store_snapshot_same(a, b));
	b->consul_reachable = a->consul_reachable;
	/* A source that had no data has some now. */
	b->sources[STORE_SRC_GATEWAYS].last_ok_ns = 5;
	ck_assert(!store_snapshot_same(a, b));
	b->sources[STORE_SRC_GATEWAYS].last_ok_ns = 0;
	ck_assert(store_snapshot_same(a, b));
	/* The clusters pane names the exec plugin a connection waits for. */
	snprintf(b->exec_plugin, sizeof b->exec_plugin, "aws");
	ck_assert(!store_snapshot_same(a, b));
	b->exec_plugin[0] = '\0';
	/* The same data in a new part is a new part. */
	p = peering_part("west", MODEL_PEERING_ACTIVE);
	b->peerings = store_hold(b, STORE_SRC_PEERINGS, p);
	store_part_unref(p);
	ck_assert(!store_snapshot_same(a, b));
	store_snapshot_unref(a);
	store_snapshot_unref(b);
}
END_TEST

/* A snapshot whose peerings moved only their stream times: the same data
 * but for the times, which a reader may show later; anything else in the
 * new list, or in another part, is news at once. */
START_TEST(snapshot_same_but_times)
{
	struct store_snapshot *a = store_snapshot_new(0, "east", "kind-east", "");
	ck_assert_ptr_nonnull(a);
	struct store_part *p = peering_part("west", MODEL_PEERING_ACTIVE);
	struct model_peering_list *l = (struct model_peering_list *)store_part_data(p);
	l->v[0].has_stream_status = true;
	l->v[0].stream.last_heartbeat_ns = 1000;
	a->peerings = store_hold(a, STORE_SRC_PEERINGS, p);
	store_part_unref(p);
	struct store_snapshot *b = store_snapshot_derive(a);
	ck_assert_ptr_nonnull(b);
	ck_assert(store_snapshot_same_but_times(a, b));
	ck_assert(store_snapshot_same_but_times(NULL, NULL));
	ck_assert(!store_snapshot_same_but_times(a, NULL));

	/* The same peering with a newer heartbeat: a new part. */
	p = peering_part("west", MODEL_PEERING_ACTIVE);
	l = (struct model_peering_list *)store_part_data(p);
	l->v[0].has_stream_status = true;
	l->v[0].stream.last_heartbeat_ns = 16000;
	b->peerings = store_hold(b, STORE_SRC_PEERINGS, p);
	store_part_unref(p);
	ck_assert(!store_snapshot_same(a, b));
	ck_assert(store_snapshot_same_but_times(a, b));
	l->v[0].stream.last_heartbeat_ns = 0; /* none: news */
	ck_assert(!store_snapshot_same_but_times(a, b));

	/* Its state moved: news. */
	p = peering_part("west", MODEL_PEERING_FAILING);
	b->peerings = store_hold(b, STORE_SRC_PEERINGS, p);
	store_part_unref(p);
	ck_assert(!store_snapshot_same_but_times(a, b));

	/* The same peerings, and another part new: news. */
	struct store_snapshot *c = store_snapshot_derive(a);
	ck_assert_ptr_nonnull(c);
	p = peering_part("west", MODEL_PEERING_ACTIVE);
	l = (struct model_peering_list *)store_part_data(p);
	l->v[0].has_stream_status = true;
	l->v[0].stream.last_heartbeat_ns = 31000;
	c->peerings = store_hold(c, STORE_SRC_PEERINGS, p);
	store_part_unref(p);
	ck_assert(store_snapshot_same_but_times(a, c));
	p = peering_part("west", MODEL_PEERING_ACTIVE);
	store_hold(c, STORE_SRC_GATEWAYS, p);
	store_part_unref(p);
	ck_assert(!store_snapshot_same_but_times(a, c));
	/* And a source's state, as store_snapshot_same() judges it. */
	struct store_snapshot *d = store_snapshot_derive(a);
	ck_assert_ptr_nonnull(d);
	d->sources[STORE_SRC_STREAM].failures = 1;
	ck_assert(!store_snapshot_same_but_times(a, d));
	store_snapshot_unref(a);
	store_snapshot_unref(b);
	store_snapshot_unref(c);
	store_snapshot_unref(d);
}
END_TEST

START_TEST(publish_swaps_and_counts)
{
	struct store *st = store_new(2, 0);
	ck_assert_ptr_nonnull(st);
	ck_assert_ptr_null(store_get(st, 0));
	ck_assert_ptr_null(store_get(st, 5));

	struct store_snapshot *s = store_snapshot_new(1, "west", "", "http://x");
	struct store_part *p = peering_part("east", MODEL_PEERING_ACTIVE);
	s->peerings = store_hold(s, STORE_SRC_PEERINGS, p);
	store_part_unref(p);
	ck_assert_uint_eq(store_publish(st, s), 1);

	struct store_snapshot *got = store_get(st, 1);
	ck_assert_ptr_eq(got, s);
	ck_assert_uint_eq(got->generation, 1);
	ck_assert_uint_eq(got->seq, 1);
	ck_assert(got->published_ns > 0);
	ck_assert_str_eq(got->peerings->v[0].name, "east");

	/* A newer snapshot replaces it; the reader's copy stays valid. */
	struct store_snapshot *s2 = store_snapshot_derive(got);
	s2->consul_reachable = true;
	ck_assert_uint_eq(store_publish(st, s2), 2);
	ck_assert_str_eq(got->peerings->v[0].name, "east");
	ck_assert_uint_eq(got->seq, 1);

	struct store_snapshot *all[2];
	uint64_t gen = 0;
	store_get_all(st, all, &gen);
	ck_assert_uint_eq(gen, 2);
	ck_assert_ptr_null(all[0]);
	ck_assert_ptr_eq(all[1], s2);
	ck_assert_uint_eq(all[1]->seq, 2);
	ck_assert(all[1]->consul_reachable);
	ck_assert_ptr_eq(all[1]->peerings, got->peerings); /* shared part */
	store_snapshot_unref(all[1]);
	store_snapshot_unref(got);
	store_free(st);
}
END_TEST

START_TEST(publish_out_of_range_is_dropped)
{
	struct store *st = store_new(1, 0);
	struct store_snapshot *s = store_snapshot_new(3, "x", "", "");

	ck_assert_uint_eq(store_publish(st, s), 0);
	ck_assert_uint_eq(store_generation(st), 0);
	store_free(st);
}
END_TEST

START_TEST(wakeups_coalesce)
{
	struct store *st = store_new(1, 0);
	struct pollfd pfd = {.fd = store_wake_fd(st), .events = POLLIN};

	ck_assert_int_eq(poll(&pfd, 1, 0), 0);
	for (int i = 0; i < 1000; i++)
		store_publish(st, store_snapshot_new(0, "a", "", ""));
	ck_assert_uint_eq(store_wakeups(st), 1);
	ck_assert_int_eq(poll(&pfd, 1, 0), 1);
	ck_assert_uint_eq(store_wake_drain(st), 1000);
	ck_assert_int_eq(poll(&pfd, 1, 0), 0);
	/* The next change wakes again. */
	store_publish(st, store_snapshot_new(0, "a", "", ""));
	ck_assert_int_eq(poll(&pfd, 1, 0), 1);
	ck_assert_uint_eq(store_wakeups(st), 2);
	store_free(st);
}
END_TEST

/* A cluster's snapshot with a newer heartbeat and nothing else new. */
static struct store_snapshot *heartbeat_at(const struct store_snapshot *prev, const char *name,
                                           enum model_peering_state state, int64_t hb)
{
	struct store_snapshot *s =
	        prev ? store_snapshot_derive(prev) : store_snapshot_new(0, name, "", "");
	struct store_part *p = peering_part("west", state);
	struct model_peering_list *l = (struct model_peering_list *)store_part_data(p);

	ck_assert_ptr_nonnull(s);
	l->v[0].has_stream_status = true;
	l->v[0].stream.last_heartbeat_ns = hb;
	s->peerings = store_hold(s, STORE_SRC_PEERINGS, p);
	store_part_unref(p);
	return s;
}

/* A reader tells the store which answers would show nothing new (the
 * dashboard's UI: the stream polls' answers woke it a dozen times each
 * interval at 16 clusters), and is not woken for them until the time it
 * gave; anything else wakes it at once, and so does everything after that
 * time. The snapshots are published all the same. */
START_TEST(quiet_until_news)
{
	struct store *st = store_new(1, 0);
	struct pollfd pfd = {.fd = store_wake_fd(st), .events = POLLIN};
	struct store_snapshot *s = heartbeat_at(NULL, "east", MODEL_PEERING_ACTIVE, 1000), *t;
	int64_t minute = 60LL * 1000000000;

	store_publish(st, store_snapshot_ref(s));
	ck_assert_int_eq(poll(&pfd, 1, 0), 1);
	store_wake_drain(st);
	ck_assert_uint_eq(store_wakeups(st), 1);

	/* Not quiet: the same data wakes, and so do new times. */
	store_publish(st, store_snapshot_derive(s));
	ck_assert_uint_eq(store_wakeups(st), 2);
	store_wake_drain(st);
	t = heartbeat_at(s, "east", MODEL_PEERING_ACTIVE, 2000);
	store_publish(st, store_snapshot_ref(t));
	ck_assert_uint_eq(store_wakeups(st), 3);
	store_wake_drain(st);

	/* Quiet for the same data only: it does not wake, new times do. */
	store_quiet_until(st, store_now_ns() + minute, 0);
	store_publish(st, store_snapshot_derive(t));
	ck_assert_uint_eq(store_wakeups(st), 3);
	ck_assert_int_eq(poll(&pfd, 1, 0), 0);
	store_snapshot_unref(s);
	s = heartbeat_at(t, "east", MODEL_PEERING_ACTIVE, 3000);
	store_publish(st, store_snapshot_ref(s));
	ck_assert_uint_eq(store_wakeups(st), 4);
	store_wake_drain(st);

	/* Quiet for times too: new times do not wake, and are published. */
	store_quiet_until(st, store_now_ns() + minute, store_now_ns() + minute);
	store_snapshot_unref(t);
	t = heartbeat_at(s, "east", MODEL_PEERING_ACTIVE, 4000);
	store_publish(st, store_snapshot_ref(t));
	store_publish(st, store_snapshot_derive(t));
	ck_assert_uint_eq(store_wakeups(st), 4);
	ck_assert_int_eq(poll(&pfd, 1, 0), 0);
	struct store_snapshot *got = store_get(st, 0);
	ck_assert_ptr_ne(got, t); /* the derived one, newer */
	ck_assert_int_eq(got->peerings->v[0].stream.last_heartbeat_ns, 4000);
	store_snapshot_unref(got);

	/* The peering's state moved: that wakes. */
	store_snapshot_unref(s);
	s = heartbeat_at(t, "east", MODEL_PEERING_FAILING, 5000);
	store_publish(st, store_snapshot_ref(s));
	ck_assert_uint_eq(store_wakeups(st), 5);
	store_wake_drain(st);

	/* An event wakes. */
	store_event(st, STORE_EV_INFO, "east", "peering west", "failing");
	ck_assert_uint_eq(store_wakeups(st), 6);
	store_wake_drain(st);

	/* The times given are past: everything wakes again. */
	store_quiet_until(st, store_now_ns() - 1, store_now_ns() - 1);
	store_snapshot_unref(t);
	t = heartbeat_at(s, "east", MODEL_PEERING_FAILING, 6000);
	store_publish(st, store_snapshot_ref(t));
	ck_assert_uint_eq(store_wakeups(st), 7);
	store_wake_drain(st);
	store_publish(st, store_snapshot_derive(t));
	ck_assert_uint_eq(store_wakeups(st), 8);
	store_wake_drain(st);
	/* And 0 ends it at once. */
	store_quiet_until(st, 0, 0);
	store_publish(st, store_snapshot_derive(t));
	ck_assert_uint_eq(store_wakeups(st), 9);
	store_snapshot_unref(s);
	store_snapshot_unref(t);
	store_free(st);
}
END_TEST

START_TEST(events_ring_keeps_newest)
{
	struct store *st = store_new(1, 4);
	struct store_event ev[8];

	ck_assert_uint_eq(store_last_event(st), 0);
	ck_assert_uint_eq(store_events_since(st, 0, ev, 8), 0);
	for (int i = 1; i <= 6; i++)
		ck_assert_uint_eq(
		        store_event(st, STORE_EV_INFO, "east", "peering west", "change %d", i), i);
	size_t n = store_events_since(st, 0, ev, 8);
	ck_assert_uint_eq(n, 4);
	ck_assert_uint_eq(ev[0].seq, 3);
	ck_assert_str_eq(ev[0].text, "change 3");
	ck_assert_str_eq(ev[3].text, "change 6");
	ck_assert_str_eq(ev[3].cluster, "east");
	ck_assert_str_eq(ev[3].subject, "peering west");
	ck_assert(ev[3].time_ns >= ev[0].time_ns);
	n = store_events_since(st, 5, ev, 8);
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(ev[0].seq, 6);
	ck_assert_uint_eq(store_events_since(st, 4, ev, 1), 1);
	ck_assert_uint_eq(ev[0].seq, 5);
	ck_assert_uint_eq(store_events_since(st, 6, ev, 8), 0);
	store_free(st);
}
END_TEST

START_TEST(event_text_is_cut_to_fit)
{
	struct store *st = store_new(1, 0);
	char big[1000];
	struct store_event ev;

	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	store_event(st, STORE_EV_ERROR, big, big, "%s", big);
	ck_assert_uint_eq(store_events_since(st, 0, &ev, 1), 1);
	ck_assert_uint_eq(strlen(ev.cluster), sizeof ev.cluster - 1);
	ck_assert_uint_eq(strlen(ev.text), sizeof ev.text - 1);
	ck_assert_int_eq(ev.level, STORE_EV_ERROR);
	store_free(st);
}
END_TEST

START_TEST(source_age)
{
	struct store_snapshot *s = store_snapshot_new(0, "a", "", "");

	ck_assert_int_eq(store_source_age_ms(s, STORE_SRC_PEERINGS, 5), -1);
	s->sources[STORE_SRC_PEERINGS].last_ok_ns = 1000000000;
	ck_assert_int_eq(store_source_age_ms(s, STORE_SRC_PEERINGS, 3500000000), 2500);
	ck_assert_int_eq(store_source_age_ms(s, STORE_SRC_PEERINGS, 0), 0);
	ck_assert_str_eq(store_src_name(STORE_SRC_KUBE_SECRETS), "kube_token_secrets");
	ck_assert_str_eq(store_src_name(STORE_SRC_KUBE_HELM), "kube_helm");
	for (int i = 0; i < STORE_SRC_COUNT; i++)
		ck_assert_str_ne(store_src_name((enum store_src)i), "unknown");
	ck_assert(store_src_is_kube(STORE_SRC_KUBE_CRDS));
	ck_assert(!store_src_is_kube(STORE_SRC_SERVICES));
	store_snapshot_unref(s);
}
END_TEST

/* The one staleness rule (store_side_stale_age_ms), read by the clusters
 * pane, the stale note of the other panes and the --once report. */
START_TEST(side_stale_after_it_had_answered)
{
	struct store_snapshot *s = store_snapshot_new(0, "a", "ctx", "");
	const int64_t sec = 1000000000;

	for (int i = 0; i < STORE_SRC_COUNT; i++)
		s->sources[i].enabled = true;
	/* Never answered, unreachable: waiting or down, not stale. */
	ck_assert_int_eq(store_side_stale_age_ms(s, false, 10 * sec), -1);
	ck_assert_int_eq(store_side_stale_age_ms(s, true, 10 * sec), -1);
	ck_assert(!store_side_stale(s, false));
	/* Consul answered, then stopped: stale, aged by its newest data. */
	s->sources[STORE_SRC_PEERINGS].last_ok_ns = 2 * sec;
	s->sources[STORE_SRC_GATEWAYS].last_ok_ns = 4 * sec;
	ck_assert_int_eq(store_side_stale_age_ms(s, false, 10 * sec), 6000);
	ck_assert(store_side_stale(s, false));
	/* Kubernetes is its own side: Consul's data does not make it stale. */
	ck_assert_int_eq(store_side_stale_age_ms(s, true, 10 * sec), -1);
	s->sources[STORE_SRC_KUBE_ACCEPTORS].last_ok_ns = 9 * sec;
	ck_assert_int_eq(store_side_stale_age_ms(s, true, 10 * sec), 1000);
	/* Reachable again: not stale, however old the data. */
	s->consul_reachable = true;
	ck_assert_int_eq(store_side_stale_age_ms(s, false, 10 * sec), -1);
	ck_assert(!store_side_stale(s, false));
	s->kube_reachable = true;
	ck_assert(!store_side_stale(s, true));
	/* A disabled source's old answer does not count. */
	s->kube_reachable = false;
	s->sources[STORE_SRC_KUBE_ACCEPTORS].enabled = false;
	ck_assert_int_eq(store_side_stale_age_ms(s, true, 10 * sec), -1);
	/* Data newer than the clock reads as 0 ms old, still stale. */
	s->consul_reachable = false;
	ck_assert_int_eq(store_side_stale_age_ms(s, false, 3 * sec), 0);
	store_snapshot_unref(s);
}
END_TEST

/* Several publishers and readers at once: every reader sees a consistent,
 * growing seq per cluster; under TSan this checks the locking. */
struct race {
	struct store *st;
	size_t cluster;
};

static void *publisher(void *arg)
{
	struct race *r = arg;
	for (int i = 0; i < 2000; i++) {
		struct store_snapshot *s = store_snapshot_new(r->cluster, "c", "", "");
		if (!s)
			return NULL;
		struct store_part *p = peering_part("peer", MODEL_PEERING_ACTIVE);
		s->peerings = store_hold(s, STORE_SRC_PEERINGS, p);
		store_part_unref(p);
		store_publish(r->st, s);
		if (i % 100 == 0)
			store_event(r->st, STORE_EV_INFO, "c", "", "tick %d", i);
	}
	return NULL;
}

static void *reader(void *arg)
{
	struct store *st = arg;
	uint64_t last[2] = {0, 0};
	for (int i = 0; i < 4000; i++) {
		struct store_snapshot *all[2];
		store_get_all(st, all, NULL);
		for (int c = 0; c < 2; c++) {
			if (!all[c])
				continue;
			if (all[c]->seq < last[c] || all[c]->peerings->n != 1)
				abort();
			last[c] = all[c]->seq;
			store_snapshot_unref(all[c]);
		}
		store_wake_drain(st);
	}
	return NULL;
}

START_TEST(concurrent_publish_and_read)
{
	struct store *st = store_new(2, 64);
	struct race r[2] = {{st, 0}, {st, 1}};
	pthread_t t[4];

	pthread_create(&t[0], NULL, publisher, &r[0]);
	pthread_create(&t[1], NULL, publisher, &r[1]);
	pthread_create(&t[2], NULL, reader, st);
	pthread_create(&t[3], NULL, reader, st);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	ck_assert_uint_eq(store_generation(st), 4000);
	ck_assert_uint_eq(store_last_event(st), 40);
	struct store_snapshot *s = store_get(st, 1);
	ck_assert_uint_eq(s->seq, 2000);
	store_snapshot_unref(s);
	store_free(st);
}
END_TEST

/* A publisher racing with the reader's drain: whatever the interleaving,
 * each change is followed by a byte in the pipe or seen by the drain, so
 * a reader that sleeps in poll() until the pipe is readable sees the last
 * change, and the next one wakes it again. (A drain that cleared the flag
 * before reading could read the byte of a publish racing with it and
 * leave the flag set with the pipe empty: no publish woke it again.) */
#define WAKE_RACE_N 30000

static void *wake_publisher(void *arg)
{
	struct store *st = arg;

	for (int i = 0; i < WAKE_RACE_N; i++) {
		store_publish(st, store_snapshot_new(0, "a", "", ""));
		if (i % 64 == 0)
			sched_yield();
	}
	return NULL;
}

START_TEST(no_wakeup_lost)
{
	struct store *st = store_new(1, 0);
	struct pollfd pfd = {.fd = store_wake_fd(st), .events = POLLIN};
	uint64_t seen = 0;
	pthread_t t;

	pthread_create(&t, NULL, wake_publisher, st);
	while (seen < WAKE_RACE_N) {
		/* A change left without a byte in the pipe sleeps here. */
		int rc = poll(&pfd, 1, 2000);
		ck_assert_msg(rc == 1, "no wake-up after change %llu of %d",
		              (unsigned long long)seen, WAKE_RACE_N);
		seen = store_wake_drain(st);
	}
	pthread_join(t, NULL);
	ck_assert_uint_eq(seen, WAKE_RACE_N);
	store_publish(st, store_snapshot_new(0, "a", "", ""));
	ck_assert_int_eq(poll(&pfd, 1, 0), 1);
	store_free(st);
}
END_TEST

/* A thread that waits on the store, so that a test can publish once it is
 * seen asleep in the wait. */
struct waiter {
	struct store *st;
	atomic_int tid; /* the thread's id, once it runs; 0 before */
	uint64_t got;   /* store_wait's answer */
	bool answered;  /* store_wait_answered's, for cluster 1 */
	struct store_snapshot *out[3];
};

static void *waiter_main(void *arg)
{
	struct waiter *w = arg;

	atomic_store(&w->tid, (int)syscall(SYS_gettid));
	w->got = store_wait(w->st, 0, 5000);
	return NULL;
}

static void *answered_main(void *arg)
{
	struct waiter *w = arg;

	atomic_store(&w->tid, (int)syscall(SYS_gettid));
	w->answered = store_wait_answered(w->st, (size_t[]){1}, 1, w->out, 5000, NULL);
	return NULL;
}

/* Whether thread TID of this process sleeps (state S in its stat file). */
static bool thread_sleeps(int tid)
{
	char path[64], buf[256];
	FILE *f;

	snprintf(path, sizeof path, "/proc/self/task/%d/stat", tid);
	if (!(f = fopen(path, "r")))
		return false;
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	const char *p = strrchr(buf, ')');
	return p && p[1] == ' ' && p[2] == 'S';
}

/* Starts FN on W in thread T and returns once that thread sleeps (5 s at
 * most): it is in its wait. */
static void start_waiter(pthread_t *t, void *(*fn)(void *), struct waiter *w)
{
	int64_t end = monotime_ms() + 5000;

	ck_assert_int_eq(pthread_create(t, NULL, fn, w), 0);
	while (!(atomic_load(&w->tid) && thread_sleeps(atomic_load(&w->tid))) &&
	       monotime_ms() < end)
		nanosleep(&(struct timespec){.tv_nsec = 1000000L}, NULL);
	ck_assert_msg(thread_sleeps(atomic_load(&w->tid)), "the waiter never slept");
}

START_TEST(wait_returns_on_publish_or_timeout)
{
	struct store *st = store_new(1, 0);
	struct waiter w = {.st = st};
	pthread_t t;

	ck_assert_uint_eq(store_wait(st, 0, 20), 0);
	/* A waiter asleep in store_wait is woken by a publish. */
	start_waiter(&t, waiter_main, &w);
	int64_t t0 = monotime_ms();
	store_publish(st, store_snapshot_new(0, "a", "", ""));
	pthread_join(t, NULL);
	ck_assert_uint_eq(w.got, 1);
	ck_assert_int_lt(monotime_ms() - t0, 4000);
	store_free(st);
}
END_TEST

/* A snapshot of cluster I whose one enabled source answered (or not). */
static struct store_snapshot *answered_snap(size_t i, bool answered)
{
	struct store_snapshot *s = store_snapshot_new(i, i ? "b" : "a", "", "http://x");

	ck_assert_ptr_nonnull(s);
	for (int k = 0; k < STORE_SRC_COUNT; k++)
		s->sources[k].enabled = k == STORE_SRC_PEERINGS;
	s->sources[STORE_SRC_PEERINGS].state = answered ? MODEL_SOURCE_OK : MODEL_SOURCE_UNKNOWN;
	return s;
}

/* --once, check and the operations' prerequisites wait until every source of
 * the clusters they read has answered, or a deadline, or a cancel. */
START_TEST(wait_answered_subset_deadline_cancel)
{
	struct store *st = store_new(3, 0);
	struct store_snapshot *out[3] = {NULL, NULL, NULL};
	size_t which[2] = {2, 1};
	atomic_bool cancel = false;
	pthread_t t;

	store_publish(st, answered_snap(0, true));
	store_publish(st, answered_snap(1, false));
	/* Cluster 2 never published, cluster 1 has not answered. */
	ck_assert(!store_wait_answered(st, NULL, 0, out, 20, NULL));
	ck_assert_ptr_nonnull(out[0]);
	ck_assert_ptr_nonnull(out[1]);
	ck_assert_ptr_null(out[2]);
	ck_assert(!store_wait_answered(st, which, 2, out, 20, NULL));
	ck_assert_ptr_null(out[0]);
	ck_assert_str_eq(out[1]->name, "b");
	/* Only cluster 0: answered at once. */
	ck_assert(store_wait_answered(st, (size_t[]){0}, 1, out, 5000, NULL));
	ck_assert_str_eq(out[0]->name, "a");
	/* A cancel ends the wait well before the deadline. */
	atomic_store(&cancel, true);
	int64_t t0 = monotime_ms();
	ck_assert(!store_wait_answered(st, (size_t[]){1}, 1, out, 5000, &cancel));
	ck_assert_int_lt(monotime_ms() - t0, 1000);
	/* An answer that comes while it waits ends it. */
	struct waiter w = {.st = st};
	start_waiter(&t, answered_main, &w);
	t0 = monotime_ms();
	store_publish(st, answered_snap(1, true));
	pthread_join(t, NULL);
	ck_assert(w.answered);
	ck_assert_int_lt(monotime_ms() - t0, 4000);
	for (int i = 0; i < 3; i++) {
		store_snapshot_unref(out[i]);
		store_snapshot_unref(w.out[i]);
	}
	store_free(st);
}
END_TEST

static Suite *store_suite(void)
{
	Suite *s = suite_create("store");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, snapshot_new_has_empty_lists);
	tcase_add_test(tc, peering_parts_have_their_own_shape);
	tcase_add_test(tc, peerings_over_hold_their_strings);
	tcase_add_test(tc, parts_are_shared_and_freed_once);
	tcase_add_test(tc, part_new_frees_data_without_memory);
	tcase_add_test(tc, snapshot_same_data);
	tcase_add_test(tc, snapshot_same_but_times);
	tcase_add_test(tc, publish_swaps_and_counts);
	tcase_add_test(tc, publish_out_of_range_is_dropped);
	tcase_add_test(tc, wakeups_coalesce);
	tcase_add_test(tc, quiet_until_news);
	tcase_add_test(tc, no_wakeup_lost);
	tcase_add_test(tc, events_ring_keeps_newest);
	tcase_add_test(tc, event_text_is_cut_to_fit);
	tcase_add_test(tc, source_age);
	tcase_add_test(tc, side_stale_after_it_had_answered);
	tcase_add_test(tc, concurrent_publish_and_read);
	tcase_add_test(tc, wait_returns_on_publish_or_timeout);
	tcase_add_test(tc, wait_answered_subset_deadline_cancel);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN(store_suite)
