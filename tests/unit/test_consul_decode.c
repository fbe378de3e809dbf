/* consul decoders and encoders on the fixtures in tests/fixtures/consul. */
#include "autoconfig.h"

#include "unit.h"

#include "peerscope/consul.h"

#include "consul_internal.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

#define SECRET "5f4dcc3b-planted-establishment-secret"

static char *slurp(const char *name, size_t *len)
{
	return unit_fixture_read("consul", name, len);
}

#define NS(s) ((int64_t)(s)*1000000000LL)

/* ---------------------------------------------------------------- peerings */

START_TEST(peerings_full)
{
	size_t len;
	char *json = slurp("peerings.json", &len), err[256];
	struct model_peering_list l;

	ck_assert_int_eq(consul_decode_peerings(json, len, &l, err, sizeof err), 0);
	ck_assert_uint_eq(l.n, 4);

	const struct model_peering *p = &l.v[0];
	ck_assert_str_eq(p->id, "9e8e6fa8-2f3c-4e5b-9c47-2f9a2d5f0a11");
	ck_assert_str_eq(p->name, "cluster-02");
	ck_assert_str_eq(p->partition, "");
	ck_assert_int_eq(p->state, MODEL_PEERING_ACTIVE);
	ck_assert_str_eq(p->state_text, "ACTIVE");
	ck_assert_str_eq(p->peer_id, "3c1f0b6e-7d4a-4b8e-a5e2-0c9d8f7e6a55");
	ck_assert_uint_eq(p->peer_ca_pems.n, 1);
	ck_assert_str_eq(p->peer_server_name,
	                 "server.dc2.peering.11111111-2222-3333-4444-555555555555.consul");
	ck_assert_uint_eq(p->peer_server_addresses.n, 2);
	ck_assert_str_eq(p->peer_server_addresses.v[1], "203.0.113.11:443");
	ck_assert_str_eq(model_meta_get(&p->meta, "owner"), "platform");
	ck_assert(p->has_stream_status);
	ck_assert_uint_eq(p->stream.imported_services.n, 2);
	ck_assert_str_eq(p->stream.imported_services.v[1], "billing");
	ck_assert_uint_eq(p->stream.exported_services.n, 1);
	ck_assert_int_eq(p->stream.last_heartbeat_ns, NS(1714557600) + 123456789);
	ck_assert_int_eq(p->stream.last_receive_ns, NS(1714557601));
	ck_assert_int_eq(p->stream.last_send_ns, NS(1714557599) + 500000000);
	ck_assert_uint_eq(p->create_index, 20);
	ck_assert_uint_eq(p->modify_index, 31);
	ck_assert(p->has_remote);
	ck_assert_str_eq(p->remote.datacenter, "dc2");
	ck_assert_str_eq(p->remote.partition, "default");
	ck_assert(p->remote.has_locality);
	ck_assert_str_eq(p->remote.locality.region, "eu-west-1");
	ck_assert_str_eq(p->remote.locality.zone, "eu-west-1a");
	ck_assert(!p->has_counts);
	ck_assert_int_eq(p->deleted_at_ns, 0);

	/* Nulls: empty lists, unset times, strings never NULL. */
	p = &l.v[1];
	ck_assert_int_eq(p->state, MODEL_PEERING_PENDING);
	ck_assert(p->has_stream_status);
	ck_assert_uint_eq(p->stream.imported_services.n, 0);
	ck_assert_ptr_null(p->stream.imported_services.v);
	ck_assert_int_eq(p->stream.last_heartbeat_ns, 0);
	ck_assert_int_eq(p->stream.last_send_ns, 0);
	ck_assert_str_eq(p->peer_id, "");
	ck_assert_str_eq(p->peer_server_name, "");
	ck_assert_uint_eq(p->meta.n, 0);
	ck_assert(!p->remote.has_locality);
	ck_assert_str_eq(p->remote.datacenter, "");

	/* Unicode, zero times, offsets, unknown fields. */
	p = &l.v[2];
	ck_assert_str_eq(p->name, "ñandú-東京");
	ck_assert_str_eq(model_meta_get(&p->meta, "note"), "café 🚀");
	ck_assert_int_eq(p->state, MODEL_PEERING_FAILING);
	ck_assert_int_eq(p->stream.last_heartbeat_ns, 0);
	ck_assert_int_eq(p->stream.last_receive_ns, 0);
	ck_assert_int_eq(p->stream.last_send_ns, NS(1714559400));
	ck_assert_uint_eq(p->stream.exported_services.n, 2);
	ck_assert(p->has_remote);
	ck_assert(!p->remote.has_locality);

	/* Keys in another case are found. */
	p = &l.v[3];
	ck_assert_str_eq(p->name, "lower-case-keys");
	ck_assert_int_eq(p->state, MODEL_PEERING_TERMINATED);
	ck_assert_int_eq(p->deleted_at_ns, NS(1717200000));
	ck_assert_uint_eq(p->modify_index, 91);
	ck_assert(!p->has_stream_status);
	ck_assert(!p->has_remote);
	ck_assert_str_eq(p->remote.datacenter, "");

	model_peering_list_free(&l);
	free(json);
}
END_TEST

START_TEST(peering_single)
{
	size_t len;
	char *json = slurp("peering.json", &len), err[256];
	struct model_peering p;

	ck_assert_int_eq(consul_decode_peering(json, len, &p, err, sizeof err), 0);
	ck_assert_int_eq(p.state, MODEL_PEERING_DELETING);
	ck_assert_int_eq(p.deleted_at_ns, NS(1714636800));
	ck_assert(p.has_stream_status);
	ck_assert_uint_eq(p.peer_server_addresses.n, 0);
	ck_assert_uint_eq(model_peering_imported_count(&p), 0);
	model_peering_clear(&p);
	/* A list is not a peering. */
	ck_assert_int_eq(consul_decode_peering("[]", 2, &p, err, sizeof err), -1);
	ck_assert_str_eq(err, "peering: expected an object, found a list");
	free(json);
}
END_TEST

START_TEST(peerings_113_shape)
{
	size_t len;
	char *json = slurp("peerings_113.json", &len), err[256];
	struct model_peering_list l;

	ck_assert_int_eq(consul_decode_peerings(json, len, &l, err, sizeof err), 0);
	ck_assert_uint_eq(l.n, 2);
	ck_assert(l.v[0].has_counts);
	ck_assert(!l.v[0].has_stream_status);
	ck_assert(!l.v[0].has_remote);
	ck_assert_uint_eq(model_peering_imported_count(&l.v[0]), 4);
	ck_assert_uint_eq(model_peering_exported_count(&l.v[0]), 2);
	ck_assert_int_eq(l.v[1].state, MODEL_PEERING_PENDING);
	ck_assert_str_eq(l.v[1].state_text, "INITIAL");
	ck_assert(l.v[1].has_counts);
	model_peering_list_free(&l);
	free(json);
}
END_TEST

START_TEST(peerings_empty_forms)
{
	const char *files[] = {"peerings_null.json", "peerings_empty.json"};
	char err[256];

	for (size_t i = 0; i < 2; i++) {
		size_t len;
		char *json = slurp(files[i], &len);
		struct model_peering_list l = {(void *)1, 9};
		ck_assert_int_eq(consul_decode_peerings(json, len, &l, err, sizeof err), 0);
		ck_assert_uint_eq(l.n, 0);
		ck_assert_ptr_null(l.v);
		model_peering_list_free(&l);
		free(json);
	}
}
END_TEST

/* The scanner (consul_decode_peerings) and the tree decoder give the same
 * list, times included, or fail with the same words, on JSON of LEN bytes. */
static void same_as_tree(const char *what, const char *json, size_t len)
{
	struct model_peering_list a, b;
	char ea[256] = "", eb[256] = "";
	int ra = consul_decode_peerings(json, len, &a, ea, sizeof ea);
	int rb = consul_decode_peerings_tree(json, len, &b, eb, sizeof eb);

	ck_assert_msg(ra == rb, "%s: scanner %d (%s), tree %d (%s)", what, ra, ea, rb, eb);
	/* Of a syntax error the scanner may say more ("unexpected byte 0x6f"). */
	ck_assert_msg(!strncmp(ea, eb, strlen(eb)), "%s: scanner \"%s\", tree \"%s\"", what, ea,
	              eb);
	ck_assert_msg(model_peering_list_same_but_times(&a, &b), "%s: the lists differ", what);
	for (size_t i = 0; i < a.n; i++) {
		const struct model_stream_status *x = &a.v[i].stream, *y = &b.v[i].stream;
		ck_assert_msg(x->last_heartbeat_ns == y->last_heartbeat_ns &&
		                      x->last_receive_ns == y->last_receive_ns &&
		                      x->last_send_ns == y->last_send_ns,
		              "%s: [%zu]'s times differ", what, i);
	}
	ck_assert_msg(ra != 0 || (a.n == 0) == (a.v == NULL), "%s: an empty list holds memory",
	              what);
	model_peering_list_free(&a);
	model_peering_list_free(&b);
}

/* The stream-health poll reads /v1/peerings with the scanner; the tree
 * decoder is the reference: every fixture, every prefix of the full one
 * (cut anywhere), and bodies that stress what the scanner does on its own
 * (keys in any case, nulls, nested objects, escapes, one fault each). */
START_TEST(peerings_scanner_is_the_tree)
{
	const char *files[] = {"peerings.json",           "peerings_113.json",
	                       "peerings_badtime.json",   "peerings_empty.json",
	                       "peerings_invalid.json",   "peerings_null.json",
	                       "peerings_truncated.json", "peerings_wrongtype.json"};
	const char *bodies[] = {
	        "[{\"name\":\"a\",\"STATE\":\"ACTIVE\",\"remote\":{\"datacenter\":\"dc2\"}}]",
	        "[{\"Name\":null,\"State\":null,\"Remote\":null,\"StreamStatus\":null,\"Meta\":"
	        "null}]",
	        "[{\"Name\":\"b\",\"Remote\":{\"Locality\":{\"Region\":\"us\",\"Zone\":\"a\"}}}]",
	        "[{\"Name\":\"c\\u00e9\\n\",\"Meta\":{\"k\":\"v\",\"k2\":\"\\\"q\\\"\"}}]",
	        "[{\"Name\":\"d\",\"StreamStatus\":{\"LastHeartbeat\":\"\",\"LastSend\":"
	        "\"0001-01-01T00:00:00Z\",\"LastReceive\":\"2024-05-01T10:00:00.5+02:00\"}}]",
	        "[{\"Name\":\"e\",\"ImportedServiceCount\":3,\"ExportedServiceCount\":null}]",
	        "[{\"Name\":\"f\",\"Unknown\":{\"deep\":[1,{\"x\":[]}]},\"CreateIndex\":7}]",
	        "[{\"Name\":5}]",
	        "[{\"Meta\":{\"k\":1}}]",
	        "[{\"PeerCAPems\":[\"a\",2]}]",
	        "[{\"StreamStatus\":[]}]",
	        "[{\"StreamStatus\":{\"LastSend\":\"yesterday\"}}]",
	        "[{\"StreamStatus\":{\"LastSend\":5}}]",
	        "[{\"Remote\":{\"Locality\":\"x\"}}]",
	        "[{\"CreateIndex\":-1}]",
	        "[{\"ModifyIndex\":\"7\"}]",
	        "[{}, 3]",
	        "{\"Name\":\"x\"}",
	        "[{\"Name\":\"x\"}] []",
	        "[{\"Name\":\"x\"",
	        "",
	        "null",
	        "[]",
	};
	size_t len;
	char *full;

	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		char *json = slurp(files[i], &len);
		same_as_tree(files[i], json, len);
		free(json);
	}
	for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++)
		same_as_tree(bodies[i], bodies[i], strlen(bodies[i]));
	full = slurp("peerings.json", &len);
	for (size_t cut = 0; cut < len; cut++) {
		char what[64];
		snprintf(what, sizeof what, "peerings.json cut at %zu", cut);
		same_as_tree(what, full, cut);
	}
	free(full);
}
END_TEST

static void expect_error(const char *file, const char *want)
{
	size_t len;
	char *json = slurp(file, &len), err[256];
	struct model_peering_list l;

	ck_assert_int_eq(consul_decode_peerings(json, len, &l, err, sizeof err), -1);
	ck_assert_msg(strstr(err, want) != NULL, "%s: got \"%s\", want \"%s\"", file, err, want);
	ck_assert_uint_eq(l.n, 0);
	ck_assert_ptr_null(l.v);
	free(json);
}

START_TEST(peerings_bad_input)
{
	char err[256];
	struct model_peering_list l;

	expect_error("peerings_truncated.json",
	             "peerings: invalid JSON: the text ends early (truncated after 700 bytes)");
	expect_error("peerings_invalid.json", "peerings: invalid JSON at byte 21 of 27");
	expect_error("peerings_badtime.json",
	             "peerings[0].StreamStatus.LastSend: not an RFC 3339 time: \"yesterday\"");
	expect_error("peerings_wrongtype.json",
	             "peerings[1].Name: expected a string, found a number");
	ck_assert_int_eq(consul_decode_peerings("", 0, &l, err, sizeof err), -1);
	ck_assert_str_eq(err, "peerings: empty body where JSON was expected");
	ck_assert_int_eq(consul_decode_peerings("[] x", 4, &l, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "unexpected text after the value"));
	ck_assert_int_eq(consul_decode_peerings("{}", 2, &l, err, sizeof err), -1);
	ck_assert_str_eq(err, "peerings: expected a list, found an object");
	ck_assert_int_eq(consul_decode_peerings("[1]", 3, &l, err, sizeof err), -1);
	ck_assert_str_eq(err, "peerings[0]: expected an object, found a number");
	ck_assert_int_eq(consul_decode_peerings("[{\"Meta\":{\"a\":1}}]", 18, &l, err, sizeof err),
	                 -1);
	ck_assert_str_eq(err, "peerings[0].Meta.a: expected a string, found a number");
	/* Not NUL-terminated: only len bytes are read. */
	ck_assert_int_eq(consul_decode_peerings("[]garbage", 2, &l, err, sizeof err), 0);
}
END_TEST

START_TEST(peerings_ten_thousand)
{
	const size_t n = 10000;
	size_t cap = n * 400, off = 0;
	char *json = malloc(cap), err[256];
	struct model_peering_list l;

	ck_assert_ptr_nonnull(json);
	off += (size_t)snprintf(json + off, cap - off, "[");
	for (size_t i = 0; i < n; i++)
		off += (size_t)snprintf(
		        json + off, cap - off,
		        "%s{\"ID\":\"id-%zu\",\"Name\":\"peer-%zu-ß\",\"State\":\"ACTIVE\","
		        "\"StreamStatus\":{\"ImportedServices\":[\"s%zu\"],\"ExportedServices\":"
		        "null,"
		        "\"LastHeartbeat\":\"2024-05-01T10:00:00Z\"},\"CreateIndex\":%zu,"
		        "\"ModifyIndex\":%zu}",
		        i ? "," : "", i, i, i, i + 1, i + 2);
	off += (size_t)snprintf(json + off, cap - off, "]");
	ck_assert_int_eq(consul_decode_peerings(json, off, &l, err, sizeof err), 0);
	ck_assert_uint_eq(l.n, n);
	ck_assert_str_eq(l.v[0].name, "peer-0-ß");
	ck_assert_str_eq(l.v[9999].name, "peer-9999-ß");
	ck_assert_str_eq(l.v[5000].stream.imported_services.v[0], "s5000");
	/* A list of names is one block, decoded once. */
	ck_assert(l.v[5000].stream.imported_services.packed);
	ck_assert_uint_eq(l.v[5000].stream.exported_services.n, 0);
	ck_assert_uint_eq(l.v[9999].modify_index, 10001);
	ck_assert_int_eq(l.v[1234].stream.last_heartbeat_ns, NS(1714557600));
	model_peering_list_free(&l);
	free(json);
}
END_TEST

/* ---------------------------------------------------------------- identity */

START_TEST(identity)
{
	size_t len;
	char *json = slurp("agent_self.json", &len), err[256], *leader;
	struct model_cluster_identity id;

	ck_assert_int_eq(consul_decode_agent_self(json, len, &id, err, sizeof err), 0);
	ck_assert_str_eq(id.datacenter, "dc1");
	ck_assert_str_eq(id.primary_datacenter, "dc1");
	ck_assert_str_eq(id.node_name, "consul-server-0");
	ck_assert_str_eq(id.version, "1.17.3");
	ck_assert_str_eq(id.revision, "d0b9c4e1");
	ck_assert_str_eq(id.partition, "");
	ck_assert_str_eq(id.leader, "");
	ck_assert(id.server);
	ck_assert(!id.enterprise);
	ck_assert_int_eq(id.build_date_ns, NS(1707837600));
	free(json);

	json = slurp("agent_version.json", &len);
	ck_assert_int_eq(consul_decode_agent_version(json, len, &id, err, sizeof err), 0);
	ck_assert_str_eq(id.version, "1.18.0");
	ck_assert_str_eq(id.revision, "98ab7c2");
	ck_assert_str_eq(id.datacenter, "dc1");
	ck_assert(!id.fips);
	model_cluster_identity_clear(&id);
	free(json);

	json = slurp("agent_self_ent.json", &len);
	ck_assert_int_eq(consul_decode_agent_self(json, len, &id, err, sizeof err), 0);
	ck_assert(id.enterprise);
	ck_assert_str_eq(id.partition, "default");
	ck_assert_int_eq(id.build_date_ns, 0);
	model_cluster_identity_clear(&id);
	free(json);

	ck_assert_int_eq(consul_decode_agent_self("{\"Config\":null}", 15, &id, err, sizeof err),
	                 -1);
	ck_assert_str_eq(err, "agent/self: the Config object is missing");

	json = slurp("leader.json", &len);
	ck_assert_int_eq(consul_decode_leader(json, len, &leader, err, sizeof err), 0);
	ck_assert_str_eq(leader, "10.0.0.5:8300");
	free(leader);
	free(json);
	json = slurp("leader_none.json", &len);
	ck_assert_int_eq(consul_decode_leader(json, len, &leader, err, sizeof err), 0);
	ck_assert_str_eq(leader, "");
	free(leader);
	free(json);
	ck_assert_int_eq(consul_decode_leader("[]", 2, &leader, err, sizeof err), -1);
	ck_assert_ptr_null(leader);
}
END_TEST

/* ----------------------------------------------------------- peering token */

static void assert_no_secret(const struct model_token_summary *t)
{
	const char *strs[] = {t->server_name,       t->peer_id,         t->remote_partition,
	                      t->remote_datacenter, t->locality.region, t->locality.zone};
	const struct model_strv *lists[] = {&t->ca_pems, &t->server_addresses,
	                                    &t->manual_server_addresses};

	for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++)
		ck_assert(!strs[i] || !strstr(strs[i], SECRET));
	for (size_t i = 0; i < 3; i++)
		for (size_t k = 0; k < lists[i]->n; k++)
			ck_assert(!strstr(lists[i]->v[k], SECRET));
}

START_TEST(peering_token)
{
	size_t len;
	char *tok = slurp("peering_token.b64", &len), err[256];
	struct model_token_summary t;

	ck_assert_int_eq(consul_decode_peering_token(tok, &t, err, sizeof err), 0);
	ck_assert(t.has_secret);
	ck_assert_uint_eq(t.ca_pems.n, 1);
	ck_assert_uint_eq(t.server_addresses.n, 2);
	ck_assert_str_eq(t.server_addresses.v[0], "203.0.113.50:443");
	ck_assert_uint_eq(t.manual_server_addresses.n, 0);
	ck_assert_str_eq(t.server_name,
	                 "server.dc1.peering.11111111-2222-3333-4444-555555555555.consul");
	ck_assert_str_eq(t.peer_id, "9e8e6fa8-2f3c-4e5b-9c47-2f9a2d5f0a11");
	ck_assert_str_eq(t.remote_datacenter, "dc1");
	ck_assert_str_eq(t.remote_partition, "default");
	ck_assert(t.has_locality);
	ck_assert_str_eq(t.locality.region, "us-east-1");
	ck_assert_int_eq(t.target, MODEL_TOKEN_TARGET_GATEWAYS);
	assert_no_secret(&t);
	model_token_summary_clear(&t);
	free(tok);

	/* As a Kubernetes Secret's data holds it: base64 once more. */
	tok = slurp("peering_token_secret_data.b64", &len);
	ck_assert_int_eq(consul_decode_peering_token(tok, &t, err, sizeof err), 0);
	ck_assert(t.has_secret);
	ck_assert_str_eq(t.remote_datacenter, "dc1");
	assert_no_secret(&t);
	model_token_summary_clear(&t);
	free(tok);

	/* Unpadded, no secret, server addresses. */
	tok = slurp("peering_token_servers.b64", &len);
	ck_assert_int_eq(consul_decode_peering_token(tok, &t, err, sizeof err), 0);
	ck_assert(!t.has_secret);
	ck_assert_int_eq(t.target, MODEL_TOKEN_TARGET_SERVERS);
	ck_assert_str_eq(t.remote_datacenter, "dc3");
	ck_assert(!t.has_locality);
	model_token_summary_clear(&t);
	free(tok);

	ck_assert_int_eq(consul_decode_peering_token("not*base64", &t, err, sizeof err), -1);
	ck_assert_str_eq(err, "peering token: not base64: bad character at offset 3");
	ck_assert_int_eq(consul_decode_peering_token("aGVsbG8=", &t, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "peering token: invalid JSON"));
	ck_assert_int_eq(consul_decode_peering_token("", &t, err, sizeof err), -1);
	ck_assert_str_eq(err, "peering token: the token is empty");
}
END_TEST

/* ----------------------------------------------------------- config entries */

START_TEST(exported_services_entry)
{
	size_t len;
	char *json = slurp("exported_services_entry.json", &len), err[256];
	struct model_exported_services_entry e;

	ck_assert_int_eq(consul_decode_exported_services_entry(json, len, &e, err, sizeof err), 0);
	ck_assert_str_eq(e.head.kind, "exported-services");
	ck_assert_str_eq(e.head.name, "default");
	ck_assert_str_eq(model_meta_get(&e.head.meta, "external-source"), "kubernetes");
	ck_assert_uint_eq(e.head.modify_index, 105);
	ck_assert_uint_eq(e.nservices, 3);
	ck_assert_str_eq(e.services[0].name, "web");
	ck_assert_uint_eq(e.services[0].nconsumers, 2);
	ck_assert_str_eq(e.services[0].consumers[1].peer, "cluster-03");
	ck_assert_str_eq(e.services[0].consumers[1].partition, "");
	ck_assert_str_eq(e.services[1].consumers[0].peer, "cluster-02"); /* PeerName */
	ck_assert_str_eq(e.services[2].name, "*");
	ck_assert_uint_eq(e.services[2].nconsumers, 0);
	model_exported_services_entry_clear(&e);
	free(json);

	json = slurp("mesh_entry.json", &len);
	ck_assert_int_eq(consul_decode_exported_services_entry(json, len, &e, err, sizeof err), -1);
	ck_assert_str_eq(err, "exported-services: expected a exported-services entry, found Kind "
	                      "\"mesh\"");
	free(json);
}
END_TEST

START_TEST(mesh_and_proxy_defaults)
{
	size_t len;
	char *json = slurp("mesh_entry.json", &len), err[256];
	struct model_mesh_entry m;
	struct model_proxy_defaults_entry pd;

	ck_assert_int_eq(consul_decode_mesh_entry(json, len, &m, err, sizeof err), 0);
	ck_assert(m.peer_through_mesh_gateways);
	ck_assert(!m.mesh_destinations_only);
	ck_assert_str_eq(m.head.name, "mesh");
	ck_assert_uint_eq(m.head.modify_index, 9);
	model_mesh_entry_clear(&m);
	free(json);
	json = slurp("mesh_entry_bare.json", &len);
	ck_assert_int_eq(consul_decode_mesh_entry(json, len, &m, err, sizeof err), 0);
	ck_assert(!m.peer_through_mesh_gateways);
	model_mesh_entry_clear(&m);
	free(json);
	ck_assert_int_eq(
	        consul_decode_mesh_entry("{\"Peering\":{\"PeerThroughMeshGateways\":\"yes\"}}", 46,
	                                 &m, err, sizeof err),
	        -1);
	ck_assert_str_eq(err, "mesh.Peering.PeerThroughMeshGateways: expected a boolean, found a "
	                      "string");

	json = slurp("proxy_defaults.json", &len);
	ck_assert_int_eq(consul_decode_proxy_defaults_entry(json, len, &pd, err, sizeof err), 0);
	ck_assert_int_eq(pd.mgw_mode, MODEL_MGW_LOCAL);
	ck_assert_str_eq(pd.protocol, "http");
	ck_assert_str_eq(pd.head.name, "global");
	model_proxy_defaults_entry_clear(&pd);
	free(json);
}
END_TEST

START_TEST(service_defaults)
{
	size_t len, n;
	char *json = slurp("service_defaults.json", &len), err[256];
	struct model_service_defaults_entry sd, *v;

	ck_assert_int_eq(consul_decode_service_defaults_entry(json, len, &sd, err, sizeof err), 0);
	ck_assert_str_eq(sd.head.name, "web");
	ck_assert_str_eq(sd.protocol, "http");
	ck_assert_int_eq(sd.mgw_mode, MODEL_MGW_REMOTE);
	ck_assert_uint_eq(sd.noverrides, 2);
	ck_assert_str_eq(sd.overrides[0].name, "api");
	ck_assert_str_eq(sd.overrides[0].peer, "cluster-02");
	ck_assert_int_eq(sd.overrides[0].mgw_mode, MODEL_MGW_LOCAL);
	ck_assert_int_eq(sd.overrides[1].mgw_mode, MODEL_MGW_DEFAULT);
	ck_assert(sd.has_upstream_defaults);
	ck_assert_int_eq(sd.upstream_defaults_mgw_mode, MODEL_MGW_LOCAL);
	model_service_defaults_entry_clear(&sd);
	free(json);

	json = slurp("service_defaults_list.json", &len);
	ck_assert_int_eq(consul_decode_service_defaults_list(json, len, &v, &n, err, sizeof err),
	                 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(v[1].protocol, "grpc");
	ck_assert_int_eq(v[1].mgw_mode, MODEL_MGW_INVALID);
	ck_assert(!v[1].has_upstream_defaults);
	consul_service_defaults_list_free(v, n);
	free(json);
}
END_TEST

/* consul:agent/structs/config_entry_intentions.go: Sources of {Name, Peer,
 * Action or Permissions, Precedence, Type, Description}, read back sorted by
 * precedence; an entry may have no sources in a list (null). */
START_TEST(service_intentions)
{
	size_t len, n;
	char *json = slurp("service_intentions_list.json", &len), err[256];
	struct model_service_intentions_entry *v;

	ck_assert_int_eq(consul_decode_service_intentions_list(json, len, &v, &n, err, sizeof err),
	                 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(v[0].head.name, "payments");
	ck_assert_uint_eq(v[0].head.modify_index, 52);
	ck_assert_uint_eq(v[0].nsources, 3);
	ck_assert_str_eq(v[0].sources[0].name, "web");
	ck_assert_int_eq(v[0].sources[0].action, MODEL_INTENTION_DENY);
	ck_assert_str_eq(v[0].sources[1].peer, "west");
	ck_assert_int_eq(v[0].sources[1].action, MODEL_INTENTION_ALLOW);
	ck_assert_str_eq(v[0].sources[1].description, "the west peer's services");
	ck_assert_int_eq(v[0].sources[2].action, MODEL_INTENTION_L7);
	ck_assert_uint_eq(v[0].sources[2].npermissions, 2);
	ck_assert_str_eq(model_intention_action_name(v[0].sources[2].action), "permissions");
	ck_assert_str_eq(v[1].head.name, "*");
	ck_assert_uint_eq(v[1].nsources, 0);
	consul_service_intentions_list_free(v, n);
	free(json);

	ck_assert_int_eq(consul_decode_service_intentions_list("[{\"Kind\": \"mesh\"}]", 18, &v, &n,
	                                                       err, sizeof err),
	                 -1);
	ck_assert_ptr_nonnull(strstr(err, "expected a service-intentions entry"));
}
END_TEST

/* ------------------------------------------------------- services, exports */

/* Consul Enterprise: GET /v1/partitions is a list of api.Partition
 * {Name, Description, ...} (consul api/partition.go), and every health
 * entry's Service carries its Partition (api/agent.go AgentService). */
START_TEST(enterprise_partitions)
{
	const char *parts = "[{\"Name\":\"default\",\"Description\":\"Builtin Default Partition\"},"
	                    "{\"Name\":\"team-a\",\"Description\":\"\",\"CreateIndex\":12}]";
	struct model_strv names = {0};
	char err[256];

	ck_assert_int_eq(consul_decode_partitions(parts, strlen(parts), &names, err, sizeof err),
	                 0);
	ck_assert_uint_eq(names.n, 2);
	ck_assert_str_eq(names.v[1], "team-a");
	model_strv_clear(&names);
	ck_assert_int_eq(consul_decode_partitions("{}", 2, &names, err, sizeof err), -1);
	ck_assert_int_eq(consul_decode_partitions("[{\"Name\":3}]", 12, &names, err, sizeof err),
	                 -1);
	ck_assert_msg(strstr(err, "partitions[0].Name"), "%s", err);

	const char *h = "[{\"Node\":{\"Node\":\"n\",\"Partition\":\"team-a\"},"
	                "\"Service\":{\"ID\":\"mgw\",\"Service\":\"mesh-gateway\","
	                "\"Kind\":\"mesh-gateway\",\"Partition\":\"team-a\","
	                "\"Namespace\":\"default\"},\"Checks\":[]},"
	                "{\"Node\":{\"Node\":\"m\"},\"Service\":{\"ID\":\"ce\"},\"Checks\":[]}]";
	struct model_instance_list l;
	ck_assert_int_eq(consul_decode_health_service(h, strlen(h), &l, err, sizeof err), 0);
	ck_assert_str_eq(l.v[0].partition, "team-a");
	ck_assert_str_eq(l.v[1].partition, "");
	model_instance_list_free(&l);
}
END_TEST

START_TEST(health_gateways)
{
	size_t len;
	char *json = slurp("health_mesh_gateway.json", &len), err[256];
	struct model_instance_list l;

	ck_assert_int_eq(consul_decode_health_service(json, len, &l, err, sizeof err), 0);
	ck_assert_uint_eq(l.n, 3);
	const struct model_service_instance *g = &l.v[0];
	ck_assert_str_eq(g->kind, "mesh-gateway");
	ck_assert_str_eq(g->service_id, "consul-mesh-gateway-7d9c8b6f5-x2x4z");
	ck_assert_str_eq(g->service_name, "mesh-gateway");
	ck_assert_str_eq(g->node, "k8s-node-1-virtual");
	ck_assert_str_eq(g->node_address, "10.1.0.4");
	ck_assert_str_eq(g->datacenter, "dc1");
	ck_assert_str_eq(g->address, "10.1.2.7");
	ck_assert_int_eq(g->port, 8443);
	ck_assert_str_eq(g->lan.address, "10.1.2.7");
	ck_assert_int_eq(g->lan.port, 8443);
	ck_assert_str_eq(g->wan.address, "203.0.113.50");
	ck_assert_int_eq(g->wan.port, 443);
	ck_assert_str_eq(model_meta_get(&g->meta, "k8s-namespace"), "consul");
	ck_assert_str_eq(g->peer_name, "");
	ck_assert_int_eq(g->health, MODEL_HEALTH_PASSING);
	ck_assert_uint_eq(g->checks_passing, 2);
	/* Lower-case keys in tagged addresses, as some documents show them. */
	g = &l.v[1];
	ck_assert_str_eq(g->wan.address, "gw.example.com");
	ck_assert_int_eq(g->wan.port, 443);
	ck_assert_int_eq(g->health, MODEL_HEALTH_CRITICAL);
	ck_assert_uint_eq(g->checks_critical, 1);
	g = &l.v[2];
	ck_assert_int_eq(g->health, MODEL_HEALTH_UNKNOWN);
	ck_assert_str_eq(g->wan.address, "");
	ck_assert_int_eq(g->wan.port, 0);
	model_instance_list_free(&l);
	free(json);

	json = slurp("health_imported.json", &len);
	ck_assert_int_eq(consul_decode_health_service(json, len, &l, err, sizeof err), 0);
	ck_assert_str_eq(l.v[0].peer_name, "cluster-02");
	ck_assert_int_eq(l.v[0].health, MODEL_HEALTH_MAINTENANCE);
	ck_assert_uint_eq(l.v[0].checks_warning, 1);
	ck_assert_uint_eq(l.v[0].tags.n, 1);
	model_instance_list_free(&l);
	free(json);

	/* A bad check is named from the instance, not from inside Service. */
	static const char bad_check[] =
	        "[{\"Node\":{},\"Service\":{\"TaggedAddresses\":{}},\"Checks\":[7]}]";
	ck_assert_int_eq(
	        consul_decode_health_service(bad_check, strlen(bad_check), &l, err, sizeof err),
	        -1);
	ck_assert_str_eq(err, "health/service[0].Checks[0]: expected a check object");
}
END_TEST

/* Service.Proxy.Config is opaque (consul api/agent.go
 * AgentServiceConnectProxyConfig.Config, map[string]interface{}): the keys
 * consul-k8s's endpoints controller sets on a mesh gateway
 * (control-plane/connect-inject/controllers/endpoints/endpoints_controller.go
 * createGatewayRegistrations) come through as text. */
START_TEST(gateway_proxy_config)
{
	size_t len;
	char *json = slurp("health_mesh_gateway_config.json", &len), err[256];
	struct model_instance_list l;

	ck_assert_int_eq(consul_decode_health_service(json, len, &l, err, sizeof err), 0);
	ck_assert_uint_eq(l.n, 1);
	const struct model_meta *c = &l.v[0].proxy_config;
	ck_assert_uint_eq(c->n, 5);
	ck_assert_str_eq(model_meta_get(c, "envoy_gateway_no_default_bind"), "true");
	ck_assert_str_eq(model_meta_get(c, "envoy_gateway_bind_addresses"),
	                 "{\"all-interfaces\":{\"address\":\"0.0.0.0\",\"port\":8443}}");
	ck_assert_str_eq(model_meta_get(c, "connect_timeout_ms"), "5000");
	ck_assert_str_eq(model_meta_get(c, "envoy_prometheus_bind_addr"), "10.1.2.7:20200");
	ck_assert_str_eq(model_meta_get(c, "envoy_dns_discovery_type"), "null");
	model_instance_list_free(&l);
	free(json);

	/* An empty Config, or none, is no key. */
	json = slurp("health_mesh_gateway.json", &len);
	ck_assert_int_eq(consul_decode_health_service(json, len, &l, err, sizeof err), 0);
	ck_assert_uint_eq(l.v[0].proxy_config.n, 0);
	ck_assert_uint_eq(l.v[1].proxy_config.n, 0);
	model_instance_list_free(&l);
	free(json);

	static const char bad[] = "[{\"Node\":{},\"Service\":{\"Proxy\":{\"Config\":[1]}}}]";
	ck_assert_int_eq(consul_decode_health_service(bad, strlen(bad), &l, err, sizeof err), -1);
	ck_assert(strstr(err, "Proxy.Config") != NULL);
}
END_TEST

/* GET /v1/agent/members (consul api/agent.go AgentMember): servers carry
 * Tags.role "consul" and Tags.build "<version>:<revision>" (consul
 * agent/consul/server_serf.go setupSerf, agent/agent.go newConsulConfig);
 * Status 3 is left (serf's MemberStatus). */
START_TEST(agent_members)
{
	size_t len;
	char *json = slurp("agent_members.json", &len), err[256];
	struct model_meta servers = {0};

	ck_assert_int_eq(consul_decode_members(json, len, &servers, err, sizeof err), 0);
	ck_assert_uint_eq(servers.n, 2);
	ck_assert_str_eq(model_meta_get(&servers, "consul-server-0"), "1.17.3");
	ck_assert_str_eq(model_meta_get(&servers, "consul-server-1"), "1.13.9");
	ck_assert_ptr_null(model_meta_get(&servers, "consul-server-2"));
	ck_assert_ptr_null(model_meta_get(&servers, "k8s-node-1"));
	model_meta_clear(&servers);
	free(json);

	ck_assert_int_eq(consul_decode_members("[]", 2, &servers, err, sizeof err), 0);
	ck_assert_uint_eq(servers.n, 0);
	ck_assert_int_eq(consul_decode_members("{}", 2, &servers, err, sizeof err), -1);
	static const char bad[] = "[{\"Name\":\"s\",\"Tags\":{\"role\":7}}]";
	ck_assert_int_eq(consul_decode_members(bad, strlen(bad), &servers, err, sizeof err), -1);
	ck_assert(strstr(err, "agent/members[0].role") || strstr(err, "agent/members[0]"));
}
END_TEST

/* The summaries are scanned, not parsed into a tree: the same answers as
 * the other decoders (keys in any case, null as absent, a wrong type named
 * with its path), escapes decoded, every string in the list's blocks. */
START_TEST(ui_services_scanned)
{
	const char *json =
	        "[{\"name\": \"caf\\u00e9\", \"Tags\": [\"a\", \"b\\\"c\"], \"Kind\": null,"
	        " \"Extra\": {\"deep\": [1, [2]]}, \"InstanceCount\": 7, "
	        "\"PeerName\": \"p\", \"ConnectedWithGateway\": true},"
	        " {\"Name\": \"x\", \"NAME\": \"y\", \"Tags\": null}]";
	struct model_service_summary_list s;
	char err[256];

	ck_assert_int_eq(consul_decode_ui_services(json, strlen(json), &s, err, sizeof err), 0);
	ck_assert_uint_eq(s.n, 2);
	ck_assert_ptr_nonnull(s.blocks);
	ck_assert_str_eq(s.v[0].name, "caf\xc3\xa9");
	ck_assert_str_eq(s.v[0].kind, "");
	ck_assert_str_eq(s.v[0].datacenter, "");
	ck_assert_str_eq(s.v[0].peer_name, "p");
	ck_assert_uint_eq(s.v[0].instance_count, 7);
	ck_assert(s.v[0].connected_with_gateway && !s.v[0].connected_with_proxy);
	/* The member written as the field is spelled wins. */
	ck_assert_str_eq(s.v[1].name, "x");
	model_service_summary_list_free(&s);
	ck_assert_ptr_null(s.v);

	const char *bad[][2] = {
	        {"[{\"Name\": 3}]",
	         "internal/ui/services[0].Name: expected a string, found a number"},
	        {"[{\"Name\": \"a\"}, {\"InstanceCount\": -1}]",
	         "internal/ui/services[1].InstanceCount: expected a non-negative integer, found a "
	         "number"},
	        {"[{\"Tags\": [1]}]",
	         "internal/ui/services[0].Tags: [0]: expected a string, found a "
	         "number"},
	        {"[3]", "internal/ui/services[0]: expected an object, found a number"},
	        {"{}", "internal/ui/services: expected a list, found an object"},
	        {"[{\"Name\": \"a\"", "internal/ui/services: invalid JSON: the text ends early "
	                              "(truncated after 13 bytes)"},
	        {"", "internal/ui/services: empty body where JSON was expected"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		ck_assert_int_eq(consul_decode_ui_services(bad[i][0], strlen(bad[i][0]), &s, err,
		                                           sizeof err),
		                 -1);
		ck_assert_str_eq(err, bad[i][1]);
		ck_assert_ptr_null(s.v);
		ck_assert_ptr_null(s.blocks);
	}
	ck_assert_int_eq(consul_decode_ui_services("null", 4, &s, err, sizeof err), 0);
	ck_assert_uint_eq(s.n, 0);
	model_service_summary_list_free(&s);
	ck_assert_int_eq(consul_decode_ui_services("[]", 2, &s, err, sizeof err), 0);
	ck_assert_uint_eq(s.n, 0);
	model_service_summary_list_free(&s);
}
END_TEST

/* A large cluster's list: every summary, in order. */
START_TEST(ui_services_large)
{
	enum {
		N = 20000
	};
	size_t cap = N * 200, len = 0;
	char *json = malloc(cap), err[256];
	struct model_service_summary_list s;

	ck_assert_ptr_nonnull(json);
	json[len++] = '[';
	for (int i = 0; i < N; i++)
		len += (size_t)snprintf(
		        json + len, cap - len,
		        "%s{\"Name\": \"svc-%05d\", \"Datacenter\": \"dc1\", \"Tags\": "
		        "[\"v%d\"], \"InstanceCount\": %d, \"ChecksCritical\": %d}",
		        i ? ", " : "", i, i % 3, i % 5, i % 2);
	json[len++] = ']';
	ck_assert_int_eq(consul_decode_ui_services(json, len, &s, err, sizeof err), 0);
	ck_assert_uint_eq(s.n, N);
	ck_assert_str_eq(s.v[N - 1].name, "svc-19999");
	ck_assert_str_eq(s.v[12345].name, "svc-12345");
	ck_assert_uint_eq(s.v[12345].instance_count, 0);
	ck_assert_uint_eq(s.v[12346].checks_critical, 0);
	ck_assert_uint_eq(s.v[12347].checks_critical, 1);
	model_service_summary_list_free(&s);
	free(json);
}
END_TEST

START_TEST(ui_and_exports)
{
	size_t len;
	char *json = slurp("ui_services.json", &len), err[256];
	struct model_service_summary_list s;
	struct model_exported_service_list e;
	struct model_imported_service_list im;

	ck_assert_int_eq(consul_decode_ui_services(json, len, &s, err, sizeof err), 0);
	ck_assert_uint_eq(s.n, 3);
	ck_assert_str_eq(s.v[0].name, "web");
	ck_assert(s.v[0].connected_with_proxy);
	ck_assert_uint_eq(s.v[0].instance_count, 2);
	ck_assert_str_eq(s.v[1].kind, "mesh-gateway");
	ck_assert_str_eq(s.v[2].peer_name, "cluster-02");
	ck_assert_uint_eq(s.v[2].checks_critical, 2);
	model_service_summary_list_free(&s);
	free(json);

	json = slurp("ui_exported_services.json", &len);
	ck_assert_int_eq(
	        consul_decode_ui_exported_services(json, len, "cluster-02", &e, err, sizeof err),
	        0);
	ck_assert_uint_eq(e.n, 2);
	ck_assert_str_eq(e.v[1].service, "frontend-ü");
	ck_assert_uint_eq(e.v[1].peers.n, 1);
	ck_assert_str_eq(e.v[1].peers.v[0], "cluster-02");
	model_exported_service_list_free(&e);
	free(json);

	json = slurp("exported_services.json", &len);
	ck_assert_int_eq(consul_decode_exported_services(json, len, &e, err, sizeof err), 0);
	ck_assert_uint_eq(e.n, 3);
	ck_assert_uint_eq(e.v[0].peers.n, 2);
	ck_assert_str_eq(e.v[1].partitions.v[0], "team-b");
	ck_assert_str_eq(e.v[1].ns, "default");
	ck_assert_uint_eq(e.v[2].peers.n, 0);
	model_exported_service_list_free(&e);
	free(json);

	json = slurp("imported_services.json", &len);
	ck_assert_int_eq(consul_decode_imported_services(json, len, &im, err, sizeof err), 0);
	ck_assert_uint_eq(im.n, 2);
	ck_assert_str_eq(im.v[0].source_peer, "cluster-02");
	ck_assert_str_eq(im.v[1].service, "billing");
	ck_assert_str_eq(im.v[1].partition, "");
	model_imported_service_list_free(&im);
	free(json);
}
END_TEST

START_TEST(acl)
{
	size_t len;
	char *json = slurp("acl_token_self.json", &len), err[256];
	struct model_acl_token t;
	char peering[] = "peering", service[] = "service", web[] = "web", none[] = "";
	char read[] = "read", write[] = "write";
	struct model_acl_check checks[3] = {
	        {peering, none, read, false},
	        {peering, none, write, true},
	        {service, web, read, false},
	};

	ck_assert_int_eq(consul_decode_acl_token(json, len, &t, err, sizeof err), 0);
	ck_assert_str_eq(t.accessor_id, "6a1253d2-1785-24fd-91c2-f8e78c745511");
	ck_assert_str_eq(t.description, "peerscope read-only");
	ck_assert_uint_eq(t.npolicies, 1);
	ck_assert_str_eq(t.policies[0].name, "peerscope-read");
	ck_assert_str_eq(t.roles[0].name, "operators");
	ck_assert_str_eq(t.service_identities.v[0], "web");
	ck_assert_str_eq(t.node_identities.v[0], "node-1");
	ck_assert_str_eq(t.auth_method, "kubernetes");
	ck_assert_int_eq(t.expiration_time_ns, NS(1893456000));
	ck_assert_int_eq(t.create_time_ns, NS(1704877200) + 500000000);
	model_acl_token_clear(&t);
	free(json);

	json = slurp("acl_authorize.json", &len);
	ck_assert_int_eq(consul_decode_authorize(json, len, checks, 3, err, sizeof err), 0);
	ck_assert(checks[0].allow);
	ck_assert(!checks[1].allow);
	ck_assert(checks[2].allow);
	ck_assert_int_eq(consul_decode_authorize(json, len, checks, 2, err, sizeof err), -1);
	ck_assert_str_eq(err, "internal/acl/authorize: 3 answers for 2 checks");
	free(json);
}
END_TEST

/* ------------------------------------------------------------------ encoders */

START_TEST(encode_exported_services)
{
	char p2[] = "cluster-02", p3[] = "cluster-03", none[] = "", web[] = "web";
	struct model_export_consumer cons[2] = {{p2, NULL, NULL}, {p3, none, none}};
	struct model_export_service svc = {web, NULL, cons, 2};
	struct model_exported_services_entry e = {.services = &svc, .nservices = 1}, back;
	char err[256], *json = consul_encode_exported_services_entry(&e, NULL);

	ck_assert_ptr_nonnull(json);
	ck_assert_str_eq(json, "{\"Kind\":\"exported-services\",\"Name\":\"default\",\"Services\":"
	                       "[{\"Name\":\"web\",\"Consumers\":[{\"Peer\":\"cluster-02\"},"
	                       "{\"Peer\":\"cluster-03\"}]}]}");
	ck_assert_int_eq(
	        consul_decode_exported_services_entry(json, strlen(json), &back, err, sizeof err),
	        0);
	ck_assert_str_eq(back.services[0].consumers[1].peer, "cluster-03");
	model_exported_services_entry_clear(&back);
	free(json);
	ck_assert_ptr_null(consul_encode_exported_services_entry(&e, "[1]"));
}
END_TEST

START_TEST(encode_keeps_unknown_keys)
{
	size_t len;
	char *base = slurp("mesh_entry.json", &len), *json, err[256];
	struct model_mesh_entry m = {.peer_through_mesh_gateways = false};
	struct model_proxy_defaults_entry pd = {.mgw_mode = MODEL_MGW_REMOTE};
	struct model_service_defaults_entry sd;
	cJSON *o;

	json = consul_encode_mesh_entry(&m, base);
	o = cJSON_Parse(json);
	ck_assert(cJSON_IsFalse(
	        cJSON_GetObjectItem(cJSON_GetObjectItem(o, "Peering"), "PeerThroughMeshGateways")));
	ck_assert_ptr_nonnull(cJSON_GetObjectItem(o, "TLS"));
	ck_assert_str_eq(cJSON_GetObjectItem(o, "Kind")->valuestring, "mesh");
	/* MeshConfigEntry has no Name; Consul refuses one. */
	ck_assert_ptr_null(cJSON_GetObjectItem(o, "Name"));
	cJSON_Delete(o);
	free(json);
	free(base);

	base = slurp("proxy_defaults.json", &len);
	json = consul_encode_proxy_defaults_entry(&pd, base);
	o = cJSON_Parse(json);
	ck_assert_str_eq(
	        cJSON_GetObjectItem(cJSON_GetObjectItem(o, "MeshGateway"), "Mode")->valuestring,
	        "remote");
	ck_assert_str_eq(
	        cJSON_GetObjectItem(cJSON_GetObjectItem(o, "Config"), "envoy_prometheus_bind_addr")
	                ->valuestring,
	        "0.0.0.0:9102");
	cJSON_Delete(o);
	free(json);
	free(base);

	/* Change the api override's mode; its other settings stay. */
	base = slurp("service_defaults.json", &len);
	ck_assert_int_eq(consul_decode_service_defaults_entry(base, len, &sd, err, sizeof err), 0);
	sd.overrides[0].mgw_mode = MODEL_MGW_REMOTE;
	sd.mgw_mode = MODEL_MGW_DEFAULT;
	json = consul_encode_service_defaults_entry(&sd, base);
	model_service_defaults_entry_clear(&sd);
	ck_assert_int_eq(
	        consul_decode_service_defaults_entry(json, strlen(json), &sd, err, sizeof err), 0);
	ck_assert_int_eq(sd.overrides[0].mgw_mode, MODEL_MGW_REMOTE);
	ck_assert_int_eq(sd.mgw_mode, MODEL_MGW_DEFAULT);
	ck_assert_int_eq(sd.upstream_defaults_mgw_mode, MODEL_MGW_LOCAL);
	ck_assert_ptr_nonnull(strstr(json, "\"ConnectTimeoutMs\":5000"));
	ck_assert_ptr_nonnull(strstr(json, "\"OutboundListenerPort\":15001"));
	ck_assert_ptr_null(
	        strstr(json, "\"MeshGateway\":{\"Mode\":\"remote\"},\"UpstreamConfig\""));
	model_service_defaults_entry_clear(&sd);
	free(json);
	free(base);
}
END_TEST

static Suite *decode_suite(void)
{
	Suite *s = suite_create("consul_decode");
	TCase *tc = tcase_create("decode");

	tcase_add_test(tc, peerings_full);
	tcase_add_test(tc, ui_services_scanned);
	tcase_add_test(tc, ui_services_large);
	tcase_add_test(tc, peering_single);
	tcase_add_test(tc, peerings_113_shape);
	tcase_add_test(tc, peerings_empty_forms);
	tcase_add_test(tc, peerings_bad_input);
	tcase_add_test(tc, peerings_scanner_is_the_tree);
	tcase_add_test(tc, peerings_ten_thousand);
	tcase_add_test(tc, identity);
	tcase_add_test(tc, peering_token);
	tcase_add_test(tc, exported_services_entry);
	tcase_add_test(tc, mesh_and_proxy_defaults);
	tcase_add_test(tc, service_defaults);
	tcase_add_test(tc, service_intentions);
	tcase_add_test(tc, health_gateways);
	tcase_add_test(tc, enterprise_partitions);
	tcase_add_test(tc, gateway_proxy_config);
	tcase_add_test(tc, agent_members);
	tcase_add_test(tc, ui_and_exports);
	tcase_add_test(tc, acl);
	tcase_add_test(tc, encode_exported_services);
	tcase_add_test(tc, encode_keeps_unknown_keys);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN(decode_suite)
