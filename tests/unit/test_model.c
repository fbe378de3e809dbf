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

/* ------------------------------------------------ payloads said the same */

/* A copy of V, or of "other" when field K is field ME: the fillers below
 * make a payload with every field set, field K (if any) set otherwise. */
static char *txt(int k, int me, const char *v)
{
	return strdup(k == me ? "other" : v);
}

static int fill_identity(struct model_cluster_identity *o, int k)
{
	int f = 0;

	memset(o, 0, sizeof *o);
	o->datacenter = txt(k, f++, "dc1");
	o->primary_datacenter = txt(k, f++, "dc1");
	o->node_name = txt(k, f++, "consul-server-0");
	o->node_id = txt(k, f++, "2f1b");
	o->partition = txt(k, f++, "");
	o->version = txt(k, f++, "1.18.2");
	o->revision = txt(k, f++, "9fa5");
	o->build_date_ns = k == f++ ? 2 : 1;
	o->server = k != f++;
	o->enterprise = k == f++;
	o->fips = k == f++;
	o->leader = txt(k, f++, "10.0.0.5:8300");
	return f;
}

static int fill_helm(struct model_kube_helm *o, int k)
{
	int f = 0;

	memset(o, 0, sizeof *o);
	o->release = txt(k, f++, "consul");
	o->ns = txt(k, f++, "consul");
	o->revision = k == f++ ? 4 : 3;
	o->status = txt(k, f++, "deployed");
	o->chart_version = txt(k, f++, "1.4.2");
	o->app_version = txt(k, f++, "1.18.2");
	o->image = txt(k, f++, "");
	o->datacenter = txt(k, f++, "dc1");
	o->peering_enabled = k != f++;
	o->tls_enabled = k != f++;
	o->tls_https_only = k == f++;
	o->mesh_gateway_enabled = k != f++;
	o->connect_inject_enabled = k != f++;
	o->manage_system_acls = k != f++;
	o->mesh_gateway_replicas = k == f++ ? 2 : 1;
	o->mesh_gateway_service_type = txt(k, f++, "LoadBalancer");
	o->admin_partitions_enabled = k == f++;
	o->admin_partition_name = txt(k, f++, "default");
	o->consul_namespaces_enabled = k == f++;
	return f;
}

static int fill_access(struct model_kube_access *o, int k)
{
	int f = 0;

	memset(o, 0, sizeof *o);
	o->reviews_known = k != f++;
	o->reviews_error = k == f++ ? strdup("HTTP 403") : NULL;
	o->nreviews = k == f++ ? 3 : 2;
	o->reviews = calloc(3, sizeof *o->reviews);
	for (size_t i = 0; i < o->nreviews; i++) {
		struct model_access_review *r = &o->reviews[i];
		int g = f; /* the last review's fields are the ones changed */
		bool last = i == 1;
		r->verb = txt(last ? k : -1, g++, "create");
		r->group = txt(last ? k : -1, g++, "consul.hashicorp.com");
		r->resource = txt(last ? k : -1, g++, "peeringacceptors");
		r->subresource = txt(last ? k : -1, g++, "");
		r->ns = txt(last ? k : -1, g++, "consul");
		r->allowed = !(last && k == g++);
		if (last)
			f = g;
	}
	return f;
}

static void links(struct model_acl_link **v, size_t *n, int k, int *f)
{
	*n = k == (*f)++ ? 2 : 1;
	*v = calloc(2, sizeof **v);
	for (size_t i = 0; i < *n; i++) {
		(*v)[i].id = txt(i ? -1 : k, (*f), "7c3e");
		(*v)[i].name = txt(i ? -1 : k, (*f) + 1, "peerscope");
	}
	*f += 2;
}

static void strv(struct model_strv *sv, int k, int *f)
{
	ck_assert_int_eq(model_strv_push(sv, k == (*f)++ ? "other" : "api"), 0);
	if (k == (*f)++)
		ck_assert_int_eq(model_strv_push(sv, "web"), 0);
}

static int fill_acl(struct model_acl_facts *o, int k)
{
	int f = 0;

	memset(o, 0, sizeof *o);
	o->acl_known = k != f++;
	o->acl_enabled = k != f++;
	o->servers_known = k != f++;
	o->servers.v = calloc(2, sizeof *o->servers.v);
	o->servers.n = k == f++ ? 2 : 1;
	for (size_t i = 0; i < o->servers.n; i++) {
		o->servers.v[i].key = txt(i ? -1 : k, f, "consul-server-0");
		o->servers.v[i].value = txt(i ? -1 : k, f + 1, "1.18.2");
	}
	f += 2;
	o->servers_error = k == f++ ? strdup("HTTP 403") : NULL;
	o->nprincipals = k == f++ ? 2 : 1;
	o->principals = calloc(2, sizeof *o->principals);
	for (size_t i = 0; i < o->nprincipals; i++) {
		struct model_acl_principal *p = &o->principals[i];
		int g = f, kk = i ? -1 : k;
		p->who = txt(kk, g++, "peerscope's token");
		p->gateway = kk == g++;
		p->has_token = kk != g++;
		p->token.accessor_id = txt(kk, g++, "0a1b");
		p->token.description = txt(kk, g++, "peerscope");
		links(&p->token.policies, &p->token.npolicies, kk, &g);
		links(&p->token.roles, &p->token.nroles, kk, &g);
		strv(&p->token.service_identities, kk, &g);
		strv(&p->token.node_identities, kk, &g);
		p->token.local = kk == g++;
		p->token.auth_method = txt(kk, g++, "kubernetes");
		p->token.expiration_time_ns = kk == g++ ? 2 : 1;
		p->token.create_time_ns = kk == g++ ? 2 : 1;
		p->token.create_index = kk == g++ ? 2 : 1;
		p->token.modify_index = kk == g++ ? 2 : 1;
		p->error = kk == g++ ? strdup("HTTP 403") : NULL;
		p->nchecks = kk == g++ ? 2 : 1;
		p->checks = calloc(2, sizeof *p->checks);
		for (size_t j = 0; j < p->nchecks; j++) {
			struct model_acl_check *c = &p->checks[j];
			int h = g, kj = j ? -1 : kk;
			c->resource = txt(kj, h++, "peering");
			c->segment = txt(kj, h++, "");
			c->access = txt(kj, h++, "write");
			c->allow = kj != h++;
			if (!j)
				g = h;
		}
		if (!i)
			f = g;
	}
	return f;
}

/* Every field of each payload asked for every identity interval counts:
 * changed alone, it makes the payload another (src/model_same.c). A field
 * that a filler sets and the comparison forgets fails here. */
START_TEST(same_payloads)
{
	struct model_cluster_identity ia, ib;
	int n = fill_identity(&ia, -1);
	for (int k = -1; k < n; k++) {
		fill_identity(&ib, k);
		ck_assert_msg(model_cluster_identity_same(&ia, &ib) == (k < 0),
		              "identity, field %d", k);
		model_cluster_identity_clear(&ib);
	}
	/* No text is an empty one, as in the peerings' comparison; another
	 * text is not. */
	free(ia.partition);
	ia.partition = NULL;
	fill_identity(&ib, -1);
	ck_assert(model_cluster_identity_same(&ia, &ib));
	ck_assert(model_cluster_identity_same(&ib, &ia));
	free(ib.version);
	ib.version = NULL;
	ck_assert(!model_cluster_identity_same(&ia, &ib));
	ck_assert(!model_cluster_identity_same(&ib, &ia));
	ck_assert(model_text_same(NULL, "") && !model_text_same(NULL, "a"));
	model_cluster_identity_clear(&ib);
	model_cluster_identity_clear(&ia);

	struct model_kube_helm ha, hb;
	n = fill_helm(&ha, -1);
	for (int k = -1; k < n; k++) {
		fill_helm(&hb, k);
		ck_assert_msg(model_kube_helm_same(&ha, &hb) == (k < 0), "helm, field %d", k);
		model_kube_helm_clear(&hb);
	}
	model_kube_helm_clear(&ha);

	struct model_kube_access aa, ab;
	n = fill_access(&aa, -1);
	for (int k = -1; k < n; k++) {
		fill_access(&ab, k);
		ck_assert_msg(model_kube_access_same(&aa, &ab) == (k < 0), "access, field %d", k);
		model_kube_access_clear(&ab);
	}
	model_kube_access_clear(&aa);

	struct model_acl_facts fa, fb;
	n = fill_acl(&fa, -1);
	ck_assert_int_gt(n, 30);
	for (int k = -1; k < n; k++) {
		fill_acl(&fb, k);
		ck_assert_msg(model_acl_facts_same(&fa, &fb) == (k < 0), "acl, field %d", k);
		ck_assert_msg(model_acl_facts_same(&fb, &fa) == (k < 0), "acl, field %d", k);
		model_acl_facts_clear(&fb);
	}
	model_acl_facts_clear(&fa);
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
	tcase_add_test(tc, same_payloads);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN(model_suite)
