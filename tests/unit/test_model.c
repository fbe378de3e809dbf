/* model: times, enum names, string lists and maps, deep copies. */
#include "autoconfig.h"

#include "unit.h"

#include "peerscope/model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

START_TEST(time_forms)
{
	int64_t ns = -1;
	char buf[40];

	ck_assert_int_eq(model_time_parse("1970-01-01T00:00:00Z", &ns), 0);
	ck_assert_int_eq(ns, 0);
	ck_assert_int_eq(model_time_parse("2024-05-01T10:00:00Z", &ns), 0);
	ck_assert_int_eq(ns, 1714557600LL * 1000000000LL);
	ck_assert_str_eq(model_time_format(ns, buf, sizeof buf), "2024-05-01T10:00:00Z");
	ck_assert_int_eq(model_time_parse("2024-05-01T10:00:00.123456789Z", &ns), 0);
	ck_assert_int_eq(ns, 1714557600123456789LL);
	ck_assert_int_eq(model_time_parse("2024-05-01T10:00:00.5Z", &ns), 0);
	ck_assert_int_eq(ns, 1714557600500000000LL);
	/* Go's nanosecond precision and beyond: extra digits are dropped. */
	ck_assert_int_eq(model_time_parse("2024-05-01T10:00:00.1234567891Z", &ns), 0);
	ck_assert_int_eq(ns, 1714557600123456789LL);
	ck_assert_int_eq(model_time_parse("2024-05-01T12:30:00+02:30", &ns), 0);
	ck_assert_int_eq(ns, 1714557600LL * 1000000000LL);
	ck_assert_int_eq(model_time_parse("2024-05-01T07:00:00-03:00", &ns), 0);
	ck_assert_int_eq(ns, 1714557600LL * 1000000000LL);
	ck_assert_int_eq(model_time_parse("2024-02-29T00:00:00Z", &ns), 0);
	/* The zero time means "never". */
	ns = 5;
	ck_assert_int_eq(model_time_parse("0001-01-01T00:00:00Z", &ns), 0);
	ck_assert_int_eq(ns, 0);
	ck_assert_str_eq(model_time_format(0, buf, sizeof buf), "");
}
END_TEST

START_TEST(time_invalid)
{
	int64_t ns = 7;
	static const char *const bad[] = {
	        "",
	        "2024-05-01",
	        "2024-05-01T10:00:00",
	        "2024-13-01T10:00:00Z",
	        "2023-02-29T00:00:00Z",
	        "2024-05-01T24:00:00Z",
	        "2024-05-01T10:00:00.Z",
	        "2024-05-01T10:00:00Zjunk",
	        "2024-05-01T10:00:00+0200",
	        "9999-01-01T00:00:00Z",
	        "yesterday",
	};

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		ck_assert_msg(model_time_parse(bad[i], &ns) == -1, "accepted \"%s\"", bad[i]);
	ck_assert_int_eq(model_time_parse(NULL, &ns), -1);
	ck_assert_int_eq(ns, 7);
}
END_TEST

START_TEST(enum_names)
{
	ck_assert_int_eq(model_peering_state_parse("ACTIVE"), MODEL_PEERING_ACTIVE);
	ck_assert_int_eq(model_peering_state_parse("failing"), MODEL_PEERING_FAILING);
	ck_assert_int_eq(model_peering_state_parse("INITIAL"), MODEL_PEERING_PENDING);
	ck_assert_int_eq(model_peering_state_parse("BOGUS"), MODEL_PEERING_UNDEFINED);
	ck_assert_int_eq(model_peering_state_parse(NULL), MODEL_PEERING_UNDEFINED);
	ck_assert_str_eq(model_peering_state_name(MODEL_PEERING_TERMINATED), "TERMINATED");
	ck_assert_str_eq(model_peering_state_name((enum model_peering_state)99), "UNDEFINED");
	ck_assert_int_eq(model_mgw_mode_parse(""), MODEL_MGW_DEFAULT);
	ck_assert_int_eq(model_mgw_mode_parse(NULL), MODEL_MGW_DEFAULT);
	ck_assert_int_eq(model_mgw_mode_parse("Local"), MODEL_MGW_LOCAL);
	ck_assert_int_eq(model_mgw_mode_parse("remote"), MODEL_MGW_REMOTE);
	ck_assert_int_eq(model_mgw_mode_parse("none"), MODEL_MGW_NONE);
	ck_assert_int_eq(model_mgw_mode_parse("sideways"), MODEL_MGW_INVALID);
	ck_assert_str_eq(model_mgw_mode_name(MODEL_MGW_LOCAL), "local");
	ck_assert_int_eq(model_health_parse("critical"), MODEL_HEALTH_CRITICAL);
	ck_assert_int_eq(model_health_parse("unknown"), MODEL_HEALTH_UNKNOWN);
	ck_assert_str_eq(model_health_name(MODEL_HEALTH_MAINTENANCE), "maintenance");
	ck_assert_str_eq(model_source_state_name(MODEL_SOURCE_STALE), "stale");
}
END_TEST

START_TEST(token_target)
{
	struct model_strv a = {0};

	ck_assert_int_eq(model_token_target_guess(&a), MODEL_TOKEN_TARGET_UNKNOWN);
	model_strv_push(&a, "10.0.0.1:8502");
	model_strv_push(&a, "10.0.0.2:8502");
	ck_assert_int_eq(model_token_target_guess(&a), MODEL_TOKEN_TARGET_SERVERS);
	model_strv_push(&a, "[2001:db8::1]:443");
	ck_assert_int_eq(model_token_target_guess(&a), MODEL_TOKEN_TARGET_GATEWAYS);
	model_strv_clear(&a);
	model_strv_push(&a, "gw.example.com:8443");
	ck_assert_int_eq(model_token_target_guess(&a), MODEL_TOKEN_TARGET_GATEWAYS);
	ck_assert_str_eq(model_token_target_name(MODEL_TOKEN_TARGET_GATEWAYS), "mesh gateways");
	model_strv_clear(&a);
	model_strv_push(&a, "no-port");
	ck_assert_int_eq(model_token_target_guess(&a), MODEL_TOKEN_TARGET_UNKNOWN);
	model_strv_clear(&a);
}
END_TEST

/* Text put together piece by piece: in order, growing past its first
 * buffer, NULL until something is put. */
START_TEST(text_put)
{
	struct model_text t = {0};
	char want[2048] = "";

	ck_assert_ptr_null(t.s);
	model_text_put(&t, "");
	ck_assert_uint_eq(t.n, 0);
	ck_assert_str_eq(t.s, "");
	for (int i = 0; i < 300; i++) {
		char piece[16];
		snprintf(piece, sizeof piece, "%s%d", i ? ", " : "", i);
		model_text_put(&t, piece);
		strcat(want, piece);
	}
	ck_assert(!t.nomem);
	ck_assert_uint_eq(t.n, strlen(want));
	ck_assert_uint_ge(t.cap, t.n + 1);
	ck_assert_str_eq(t.s, want);
	free(t.s);
}
END_TEST

START_TEST(strv_meta)
{
	struct model_strv sv = {0};
	struct model_meta m = {0};

	ck_assert_int_eq(model_strv_push(&sv, "web"), 0);
	ck_assert_int_eq(model_strv_push(&sv, NULL), 0);
	ck_assert_uint_eq(sv.n, 2);
	ck_assert_str_eq(sv.v[1], "");
	ck_assert(model_strv_contains(&sv, "web"));
	ck_assert(!model_strv_contains(&sv, "api"));
	model_strv_clear(&sv);
	ck_assert_ptr_null(sv.v);
	model_strv_clear(&sv);

	ck_assert_int_eq(model_meta_set(&m, "pod-name", "gw-0"), 0);
	ck_assert_int_eq(model_meta_set(&m, "k8s-namespace", "consul"), 0);
	ck_assert_int_eq(model_meta_set(&m, "pod-name", "gw-1"), 0);
	ck_assert_uint_eq(m.n, 2);
	ck_assert_str_eq(model_meta_get(&m, "pod-name"), "gw-1");
	ck_assert_ptr_null(model_meta_get(&m, "nope"));
	model_meta_clear(&m);
	ck_assert_uint_eq(m.n, 0);
}
END_TEST

/* A list in one block: a peering's hundreds of service names are one
 * allocation and one free (decoded again whenever a heartbeat moves), and
 * the list behaves as any other: added to, copied, cleared. */
START_TEST(strv_packed)
{
	static const char text[] = "web\0api\0\0db-\xc3\x9f";
	struct model_strv sv = {0};

	ck_assert_int_eq(model_strv_pack(&sv, text, sizeof text, 4), 0);
	ck_assert(sv.packed);
	ck_assert_uint_eq(sv.n, 4);
	ck_assert_str_eq(sv.v[0], "web");
	ck_assert_str_eq(sv.v[1], "api");
	ck_assert_str_eq(sv.v[2], "");
	ck_assert_str_eq(sv.v[3], "db-\xc3\x9f");
	/* One block: the strings follow the pointers. */
	ck_assert_ptr_eq(sv.v[0], (char *)(sv.v + 4));
	ck_assert(model_strv_contains(&sv, "api"));

	/* A copy is packed too, and its own. */
	struct model_peering p = {0}, q;
	p.stream.exported_services = sv;
	ck_assert_int_eq(model_peering_copy(&q, &p), 0);
	ck_assert(q.stream.exported_services.packed);
	ck_assert_ptr_ne(q.stream.exported_services.v, sv.v);
	ck_assert_str_eq(q.stream.exported_services.v[3], "db-\xc3\x9f");
	struct model_peering_list lp = {.v = &p, .n = 1}, lq = {.v = &q, .n = 1};
	ck_assert(model_peering_list_same_but_times(&lp, &lq));
	model_peering_clear(&q);

	/* Added to: its strings become their own first. */
	ck_assert_int_eq(model_strv_push(&sv, "new"), 0);
	ck_assert(!sv.packed);
	ck_assert_uint_eq(sv.n, 5);
	ck_assert_str_eq(sv.v[0], "web");
	ck_assert_str_eq(sv.v[4], "new");

	/* Packed again over a list (what it held is freed), and empty. */
	ck_assert_int_eq(model_strv_pack(&sv, "x", 2, 1), 0);
	ck_assert_int_eq(model_strv_pack(&sv, "x", 2, 1), 0);
	ck_assert_str_eq(sv.v[0], "x");
	ck_assert_int_eq(model_strv_pack(&sv, NULL, 0, 0), 0);
	ck_assert_uint_eq(sv.n, 0);
	ck_assert(!sv.packed);
	model_strv_clear(&sv);
}
END_TEST

START_TEST(peering_copy_and_counts)
{
	struct model_peering p = {0}, q;

	p.name = strdup("cluster-02");
	p.id = strdup("5c5f1e8c-0000-4000-8000-000000000001");
	p.state = MODEL_PEERING_ACTIVE;
	p.has_stream_status = true;
	model_strv_push(&p.stream.imported_services, "api");
	model_strv_push(&p.stream.exported_services, "web");
	model_strv_push(&p.stream.exported_services, "db");
	model_meta_set(&p.meta, "env", "prod");
	p.remote.datacenter = strdup("dc2");
	p.remote.has_locality = true;
	p.remote.locality.region = strdup("eu-west-1");
	ck_assert_int_eq(model_peering_copy(&q, &p), 0);
	model_peering_clear(&p);
	ck_assert_str_eq(q.name, "cluster-02");
	ck_assert_str_eq(q.remote.datacenter, "dc2");
	ck_assert_str_eq(q.remote.locality.region, "eu-west-1");
	ck_assert_ptr_null(q.remote.locality.zone);
	ck_assert_str_eq(model_meta_get(&q.meta, "env"), "prod");
	ck_assert_uint_eq(model_peering_imported_count(&q), 1);
	ck_assert_uint_eq(model_peering_exported_count(&q), 2);
	model_peering_clear(&q);

	/* The Consul 1.13 shape counts instead of listing. */
	p.has_counts = true;
	p.imported_service_count = 7;
	p.exported_service_count = 3;
	ck_assert_uint_eq(model_peering_imported_count(&p), 7);
	ck_assert_uint_eq(model_peering_exported_count(&p), 3);
}
END_TEST

/* A live peering's stream times move on every answer (Consul computes
 * StreamStatus on read: agent/consul/state/peering.go keeps no raft index
 * for it); every other field is news, and so is a first time. */
START_TEST(peering_same_but_times)
{
	struct model_peering_list a = {0}, b = {0};
	struct model_peering p = {0};

	p.name = strdup("cluster-02");
	p.id = strdup("5c5f1e8c-0000-4000-8000-000000000001");
	p.state = MODEL_PEERING_ACTIVE;
	p.has_stream_status = true;
	p.stream.last_heartbeat_ns = 1000;
	p.stream.last_receive_ns = 2000;
	p.stream.last_send_ns = 3000;
	model_strv_push(&p.stream.exported_services, "web");
	p.remote.datacenter = strdup("dc2");
	a.v = &p;
	a.n = 1;
	b.v = calloc(1, sizeof *b.v);
	b.n = 1;
	ck_assert_ptr_nonnull(b.v);
	ck_assert_int_eq(model_peering_copy(&b.v[0], &p), 0);
	struct model_peering *q = &b.v[0];
	ck_assert(model_peering_list_same_but_times(&a, &b));
	q->stream.last_heartbeat_ns = 16000;
	q->stream.last_receive_ns = 17000;
	q->stream.last_send_ns = 18000;
	ck_assert(model_peering_list_same_but_times(&a, &b));

	q->stream.last_send_ns = 0; /* none any more */
	ck_assert(!model_peering_list_same_but_times(&a, &b));
	q->stream.last_send_ns = 18000;
	q->state = MODEL_PEERING_FAILING;
	ck_assert(!model_peering_list_same_but_times(&a, &b));
	q->state = MODEL_PEERING_ACTIVE;
	model_strv_push(&q->stream.exported_services, "api");
	ck_assert(!model_peering_list_same_but_times(&a, &b));
	model_strv_clear(&q->stream.exported_services);
	model_strv_push(&q->stream.exported_services, "web");
	ck_assert(model_peering_list_same_but_times(&a, &b));
	free(q->remote.datacenter);
	q->remote.datacenter = strdup("dc3");
	ck_assert(!model_peering_list_same_but_times(&a, &b));
	free(q->remote.datacenter);
	q->remote.datacenter = NULL; /* NULL and "" say the same */
	free(p.remote.datacenter);
	p.remote.datacenter = strdup("");
	ck_assert(model_peering_list_same_but_times(&a, &b));
	q->modify_index = 9;
	ck_assert(!model_peering_list_same_but_times(&a, &b));
	q->modify_index = 0;
	model_meta_set(&q->meta, "env", "prod");
	ck_assert(!model_peering_list_same_but_times(&a, &b));
	/* The same shape says it without the fields (store_part_peerings(),
	 * consul_peerings_with_times()); another shape, or none, does not. */
	a.shape = b.shape = 7;
	ck_assert(model_peering_list_same_but_times(&a, &b));
	b.shape = 8;
	ck_assert(!model_peering_list_same_but_times(&a, &b));
	a.shape = b.shape = 0;

	/* Another number of peerings, or none (NULL: an empty list). */
	a.n = 0;
	ck_assert(!model_peering_list_same_but_times(&a, &b));
	ck_assert(model_peering_list_same_but_times(&a, NULL));
	ck_assert(model_peering_list_same_but_times(NULL, NULL));
	model_peering_clear(&p);
	model_peering_list_free(&b);
}
END_TEST

START_TEST(clears_are_idempotent)
{
	struct model_service_defaults_entry sd = {0};
	struct model_source_status st = {0}, st2;

	sd.protocol = strdup("http");
	sd.overrides = calloc(1, sizeof *sd.overrides);
	sd.noverrides = 1;
	sd.overrides[0].name = strdup("api");
	sd.overrides[0].peer = strdup("dc2");
	model_service_defaults_entry_clear(&sd);
	model_service_defaults_entry_clear(&sd);
	ck_assert_ptr_null(sd.overrides);

	st.state = MODEL_SOURCE_STALE;
	st.last_error = strdup("dc1: GET /v1/peerings: HTTP 500");
	ck_assert_int_eq(model_source_status_copy(&st2, &st), 0);
	model_source_status_clear(&st);
	ck_assert_str_eq(st2.last_error, "dc1: GET /v1/peerings: HTTP 500");
	ck_assert_int_eq(st2.state, MODEL_SOURCE_STALE);
	model_source_status_clear(&st2);
	model_peering_list_free(NULL);
	model_cluster_identity_clear(NULL);

	struct model_export_service es = {.name = strdup("api")};
	es.consumers = calloc(2, sizeof *es.consumers);
	es.nconsumers = 2;
	es.consumers[0].peer = strdup("dc2");
	es.consumers[1].partition = strdup("ap1");
	model_export_service_clear(&es);
	model_export_service_clear(&es);
	ck_assert_ptr_null(es.consumers);
	ck_assert_uint_eq(es.nconsumers, 0);
	model_export_service_clear(NULL);
	model_export_consumer_clear(NULL);
	model_upstream_override_clear(NULL);
	model_instance_list_free(NULL);
}
END_TEST

static Suite *model_suite(void)
{
	Suite *s = suite_create("model");
	TCase *tc = tcase_create("model");

	tcase_add_test(tc, time_forms);
	tcase_add_test(tc, text_put);
	tcase_add_test(tc, strv_packed);
	tcase_add_test(tc, time_invalid);
	tcase_add_test(tc, enum_names);
	tcase_add_test(tc, token_target);
	tcase_add_test(tc, strv_meta);
	tcase_add_test(tc, peering_copy_and_counts);
	tcase_add_test(tc, peering_same_but_times);
	tcase_add_test(tc, clears_are_idempotent);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN(model_suite)
