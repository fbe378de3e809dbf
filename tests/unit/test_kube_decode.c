/* kube decoders and path builder, on the fixtures in tests/fixtures/kube. */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "peerscope/kube.h"
#include "unit.h"

static char *slurp(const char *name, size_t *len)
{
	return unit_fixture_read("kube", name, len);
}

static int decode_file(enum kube_kind kind, const char *name, struct kube_object *obj, char *err,
                       size_t errlen)
{
	size_t len;
	char *json = slurp(name, &len);
	int rc = kube_object_decode(kind, json, len, obj, err, errlen);
	free(json);
	return rc;
}

/* 2026-11-27T10:00:05Z in nanoseconds. */
#define T_100005 (1795773605LL * 1000000000LL)

/* ---------------------------------------------------------------- paths */

START_TEST(test_paths)
{
	char buf[256], err[128];

	ck_assert_int_eq(kube_path(buf, sizeof buf, KUBE_PEERING_ACCEPTOR, "consul", NULL, NULL,
	                           err, sizeof err),
	                 0);
	ck_assert_str_eq(buf,
	                 "/apis/consul.hashicorp.com/v1alpha1/namespaces/consul/peeringacceptors");
	ck_assert_int_eq(kube_path(buf, sizeof buf, KUBE_SECRET, "consul", "peering-token", NULL,
	                           err, sizeof err),
	                 0);
	ck_assert_str_eq(buf, "/api/v1/namespaces/consul/secrets/peering-token");
	ck_assert_int_eq(
	        kube_path(buf, sizeof buf, KUBE_MESH, NULL, NULL, "watch=1", err, sizeof err), 0);
	ck_assert_str_eq(buf, "/apis/consul.hashicorp.com/v1alpha1/meshes?watch=1");
	ck_assert_int_eq(kube_path(buf, sizeof buf, KUBE_EXPORTED_SERVICES, "a", "default", NULL,
	                           err, sizeof err),
	                 0);
	ck_assert_str_eq(
	        buf, "/apis/consul.hashicorp.com/v1alpha1/namespaces/a/exportedservices/default");
	/* Names Kubernetes would refuse never reach a URL. */
	ck_assert_int_eq(
	        kube_path(buf, sizeof buf, KUBE_SECRET, "consul", "../x", NULL, err, sizeof err),
	        -1);
	ck_assert_ptr_nonnull(strstr(err, "not a valid Secret name"));
	ck_assert_int_eq(
	        kube_path(buf, sizeof buf, KUBE_SECRET, "Consul", "x", NULL, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "namespace"));
	ck_assert_int_eq(kube_path(buf, sizeof buf, KUBE_SECRET, NULL, "x", NULL, err, sizeof err),
	                 -1);
	ck_assert_int_eq(kube_path(buf, 20, KUBE_SECRET, "consul", "x", NULL, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "too long"));
	ck_assert_str_eq(kube_kind_name(KUBE_SERVICE_DEFAULTS), "ServiceDefaults");
	ck_assert_str_eq(kube_kind_plural(KUBE_MESH), "meshes");
	ck_assert(kube_kind_is_consul(KUBE_PROXY_DEFAULTS));
	ck_assert(!kube_kind_is_consul(KUBE_SECRET));

	ck_assert_int_eq(kube_watch_path(buf, sizeof buf, KUBE_PEERING_DIALER, "consul", "4 2",
	                                 "a=b", 60, err, sizeof err),
	                 0);
	ck_assert_str_eq(buf,
	                 "/apis/consul.hashicorp.com/v1alpha1/namespaces/consul/"
	                 "peeringdialers?watch=1&allowWatchBookmarks=true&resourceVersion=4%202"
	                 "&labelSelector=a%3Db&timeoutSeconds=60");
}
END_TEST

/* ------------------------------------------------------------- peerings */

START_TEST(test_acceptor)
{
	struct kube_object o;
	char err[256];

	ck_assert_int_eq(decode_file(KUBE_PEERING_ACCEPTOR, "acceptor.json", &o, err, sizeof err),
	                 0);
	const struct model_kube_peering *p = &o.u.peering;
	ck_assert_int_eq(p->role, MODEL_PEERING_ACCEPTOR);
	ck_assert_str_eq(p->meta.name, "cluster-02");
	ck_assert_str_eq(p->meta.ns, "consul");
	ck_assert_str_eq(p->meta.resource_version, "81234");
	ck_assert_str_eq(p->meta.peering_version, "3");
	ck_assert_int_eq(p->meta.generation, 2);
	ck_assert(p->meta.has_finalizer);
	ck_assert_int_eq(p->meta.deleting_ns, 0);
	ck_assert_int_eq(p->meta.created_ns, T_100005 - 5000000000LL);
	ck_assert_str_eq(p->spec_secret.name, "peering-token");
	ck_assert_str_eq(p->spec_secret.key, "data");
	ck_assert_str_eq(p->spec_secret.backend, "kubernetes");
	ck_assert(p->has_status);
	ck_assert(p->has_latest_version);
	ck_assert_uint_eq(p->latest_version, 3);
	ck_assert_str_eq(p->status_secret.name, "peering-token");
	ck_assert_str_eq(p->status_secret.resource_version, "");
	ck_assert_int_eq(p->synced.status, MODEL_COND_TRUE);
	ck_assert_str_eq(p->synced.reason, "");
	ck_assert_int_eq(p->synced.last_transition_ns, T_100005);
	ck_assert_int_eq(p->last_synced_ns, T_100005);
	ck_assert(!p->legacy_status);
	ck_assert_ptr_eq(kube_object_meta(&o), &p->meta);
	kube_object_clear(&o);
	ck_assert_int_eq(o.kind, KUBE_PEERING_ACCEPTOR);
	ck_assert_ptr_null(o.u.peering.meta.name);
}
END_TEST

START_TEST(test_acceptor_without_status)
{
	struct kube_object o;
	char err[256];

	ck_assert_int_eq(
	        decode_file(KUBE_PEERING_ACCEPTOR, "acceptor-nostatus.json", &o, err, sizeof err),
	        0);
	const struct model_kube_peering *p = &o.u.peering;
	ck_assert(!p->has_status);
	ck_assert(!p->has_latest_version);
	ck_assert_int_eq(p->synced.status, MODEL_COND_UNSET);
	ck_assert_str_eq(model_cond_name(p->synced.status), "");
	/* Absent strings are "", never NULL. */
	ck_assert_str_eq(p->status_secret.name, "");
	ck_assert_str_eq(p->synced.message, "");
	ck_assert_str_eq(p->meta.peering_version, "");
	ck_assert_str_eq(p->legacy_message, "");
	ck_assert(!p->meta.has_finalizer);
	kube_object_clear(&o);
}
END_TEST

START_TEST(test_dialer_failed)
{
	struct kube_object o;
	char err[256];

	ck_assert_int_eq(
	        decode_file(KUBE_PEERING_DIALER, "dialer-failed.json", &o, err, sizeof err), 0);
	const struct model_kube_peering *p = &o.u.peering;
	ck_assert_int_eq(p->role, MODEL_PEERING_DIALER);
	ck_assert_int_eq(p->synced.status, MODEL_COND_FALSE);
	ck_assert_str_eq(model_cond_name(p->synced.status), "False");
	ck_assert_str_eq(p->synced.reason, "consulAgentError");
	ck_assert_ptr_nonnull(strstr(p->synced.message, "a new peering token must be generated"));
	/* 10:30 at +02:00 is 08:30 UTC. */
	ck_assert_int_eq(p->synced.last_transition_ns, T_100005 - (90 * 60 + 5) * 1000000000LL);
	ck_assert_int_eq(p->last_synced_ns, 0);
	ck_assert_str_eq(p->status_secret.resource_version, "4411");
	ck_assert(!p->meta.has_finalizer); /* someone else's finalizer */
	ck_assert_int_ne(p->meta.deleting_ns, 0);
	kube_object_clear(&o);
}
END_TEST

START_TEST(test_acceptor_legacy_status)
{
	struct kube_object o;
	char err[256];

	ck_assert_int_eq(
	        decode_file(KUBE_PEERING_ACCEPTOR, "acceptor-legacy.json", &o, err, sizeof err), 0);
	const struct model_kube_peering *p = &o.u.peering;
	ck_assert(p->legacy_status);
	ck_assert(p->legacy_error);
	ck_assert_ptr_nonnull(strstr(p->legacy_message, "PeerName is required"));
	ck_assert_int_eq(p->synced.status, MODEL_COND_UNSET);
	ck_assert_int_ne(p->last_synced_ns, 0); /* from lastReconcileTime */
	ck_assert(p->has_latest_version);
	ck_assert_uint_eq(p->latest_version, 2);
	kube_object_clear(&o);
}
END_TEST

START_TEST(test_odd_shapes)
{
	struct kube_object o;
	char err[256];

	/* Unknown fields, nulls, values of the wrong type, unicode, the zero
	 * time, a negative version: decoded, never fatal. */
	ck_assert_int_eq(
	        decode_file(KUBE_PEERING_ACCEPTOR, "acceptor-odd.json", &o, err, sizeof err), 0);
	const struct model_kube_peering *p = &o.u.peering;
	ck_assert_str_eq(p->meta.name, "p\xc3\xa9-ering.\xe6\x9d\xb1\xe4\xba\xac");
	ck_assert_str_eq(p->meta.ns, "");
	ck_assert_str_eq(p->meta.peering_version, "not-a-number");
	ck_assert_int_eq(p->meta.generation, 0);
	ck_assert_str_eq(p->spec_secret.name, "");
	ck_assert_str_eq(p->status_secret.name, ""); /* 7 is not a string */
	ck_assert_str_eq(p->status_secret.key, "data");
	ck_assert(!p->has_latest_version);
	ck_assert_int_eq(p->last_synced_ns, 0);
	ck_assert_int_eq(p->synced.status, MODEL_COND_UNSET);
	kube_object_clear(&o);
}
END_TEST

START_TEST(test_bad_input)
{
	struct kube_object o;
	char err[256];

	ck_assert_int_eq(decode_file(KUBE_PEERING_ACCEPTOR, "truncated.json", &o, err, sizeof err),
	                 -1);
	ck_assert_ptr_nonnull(strstr(err, "PeeringAcceptor"));
	ck_assert_ptr_nonnull(strstr(err, "truncated"));
	ck_assert_int_eq(decode_file(KUBE_PEERING_ACCEPTOR, "invalid.json", &o, err, sizeof err),
	                 -1);
	ck_assert_ptr_nonnull(strstr(err, "invalid JSON at byte 60 of 70"));
	/* A Status where an object was expected says what the server said. */
	ck_assert_int_eq(
	        decode_file(KUBE_PEERING_ACCEPTOR, "status-notfound.json", &o, err, sizeof err),
	        -1);
	ck_assert_ptr_nonnull(strstr(err, "\"cluster-09\" not found"));
	/* The wrong kind. */
	ck_assert_int_eq(decode_file(KUBE_PEERING_DIALER, "acceptor.json", &o, err, sizeof err),
	                 -1);
	ck_assert_ptr_nonnull(strstr(err, "expected a PeeringDialer, got a PeeringAcceptor"));
	ck_assert_int_eq(kube_object_decode(KUBE_MESH, "", 0, &o, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "empty"));
	ck_assert_int_eq(kube_object_decode(KUBE_MESH, "[1]", 3, &o, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "expected a JSON object"));
	ck_assert_int_eq(kube_object_decode(KUBE_MESH, "{\"spec\":{}}", 11, &o, err, sizeof err),
	                 -1);
	ck_assert_ptr_nonnull(strstr(err, "without metadata.name"));
	ck_assert_int_eq(kube_object_decode(KUBE_MESH, "{} x", 4, &o, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "after the value at byte 3"));
}
END_TEST

/* ---------------------------------------------------- config-entry CRs */

START_TEST(test_config_entries)
{
	struct kube_object o;
	char err[256];

	ck_assert_int_eq(decode_file(KUBE_MESH, "mesh.json", &o, err, sizeof err), 0);
	ck_assert(o.u.mesh.peer_through_mesh_gateways);
	ck_assert_int_eq(o.u.mesh.head.synced.status, MODEL_COND_UNKNOWN);
	ck_assert_str_eq(kube_object_meta(&o)->name, "mesh");
	kube_object_clear(&o);

	ck_assert_int_eq(
	        decode_file(KUBE_EXPORTED_SERVICES, "exportedservices.json", &o, err, sizeof err),
	        0);
	const struct model_kube_exported_services *e = &o.u.exported;
	ck_assert_uint_eq(e->nservices, 3);
	ck_assert_str_eq(e->services[0].name, "payments");
	ck_assert_str_eq(e->services[0].ns, "default");
	ck_assert_uint_eq(e->services[0].nconsumers, 2);
	ck_assert_str_eq(e->services[0].consumers[0].peer, "cluster-02");
	ck_assert_str_eq(e->services[0].consumers[1].sameness_group, "sg");
	ck_assert_str_eq(e->services[0].consumers[1].peer, "");
	ck_assert_str_eq(e->services[1].consumers[0].partition, "part-b");
	ck_assert_uint_eq(e->services[2].nconsumers, 0);
	ck_assert_int_eq(e->head.synced.status, MODEL_COND_FALSE);
	ck_assert_str_eq(e->head.synced.reason, "ExternallyManagedConfigError");
	ck_assert_int_ne(e->head.last_synced_ns, 0);
	kube_object_clear(&o);

	ck_assert_int_eq(
	        decode_file(KUBE_PROXY_DEFAULTS, "proxydefaults.json", &o, err, sizeof err), 0);
	ck_assert_int_eq(o.u.proxy_defaults.mgw_mode, MODEL_MGW_LOCAL);
	ck_assert_int_eq(o.u.proxy_defaults.head.synced.status, MODEL_COND_TRUE);
	kube_object_clear(&o);

	ck_assert_int_eq(
	        decode_file(KUBE_SERVICE_DEFAULTS, "servicedefaults.json", &o, err, sizeof err), 0);
	const struct model_kube_service_defaults *s = &o.u.service_defaults;
	ck_assert_str_eq(s->protocol, "http");
	ck_assert_int_eq(s->mgw_mode, MODEL_MGW_REMOTE);
	ck_assert(s->has_upstream_defaults);
	ck_assert_int_eq(s->upstream_defaults_mgw_mode, MODEL_MGW_LOCAL);
	ck_assert_uint_eq(s->noverrides, 2);
	ck_assert_str_eq(s->overrides[0].peer, "cluster-02");
	ck_assert_int_eq(s->overrides[0].mgw_mode, MODEL_MGW_NONE);
	ck_assert_int_eq(s->overrides[1].mgw_mode, MODEL_MGW_INVALID);
	ck_assert_int_eq(s->head.synced.status, MODEL_COND_UNSET);
	kube_object_clear(&o);

	/* k8s:control-plane/api/v1alpha1/serviceintentions_types.go: the
	 * destination and the sources, each an action or L7 permissions. */
	ck_assert_int_eq(
	        decode_file(KUBE_SERVICE_INTENTIONS, "serviceintentions.json", &o, err, sizeof err),
	        0);
	const struct model_kube_service_intentions *si = &o.u.intentions;
	ck_assert_str_eq(kube_kind_plural(KUBE_SERVICE_INTENTIONS), "serviceintentions");
	ck_assert(kube_kind_is_consul(KUBE_SERVICE_INTENTIONS));
	ck_assert_str_eq(si->head.meta.name, "payments-from-peers");
	ck_assert_str_eq(si->destination, "payments");
	ck_assert_uint_eq(si->nsources, 3);
	ck_assert_str_eq(si->sources[0].name, "*");
	ck_assert_str_eq(si->sources[0].peer, "cluster-02");
	ck_assert_int_eq(si->sources[0].action, MODEL_INTENTION_ALLOW);
	ck_assert_int_eq(si->sources[1].action, MODEL_INTENTION_DENY);
	ck_assert_int_eq(si->sources[2].action, MODEL_INTENTION_L7);
	ck_assert_uint_eq(si->sources[2].npermissions, 1);
	ck_assert_str_eq(si->sources[2].peer, "");
	ck_assert_int_eq(si->head.synced.status, MODEL_COND_TRUE);
	kube_object_clear(&o);
}
END_TEST

/* --------------------------------------------------------------- Secrets */

START_TEST(test_secret)
{
	struct kube_object o;
	char err[256];
	size_t len;

	ck_assert_int_eq(decode_file(KUBE_SECRET, "secret-token.json", &o, err, sizeof err), 0);
	const struct model_kube_secret *s = &o.u.secret;
	ck_assert(s->token_label);
	ck_assert_str_eq(s->type, "Opaque");
	ck_assert_uint_eq(s->nkeys, 3);
	const struct model_kube_secret_key *k = model_kube_secret_find(s, "data");
	ck_assert_ptr_nonnull(k);
	ck_assert_uint_eq(k->size, strlen("PLANTED-PEERING-TOKEN-value"));
	ck_assert_uint_eq(model_kube_secret_find(s, "empty")->size, 0);
	ck_assert_uint_eq(model_kube_secret_find(s, "short")->size, 1);
	ck_assert_ptr_null(model_kube_secret_find(s, "nope"));
	kube_object_clear(&o);

	char *json = slurp("secret-token.json", &len), *value;
	size_t vlen;
	ck_assert_int_eq(kube_secret_value(json, len, "data", &value, &vlen, err, sizeof err), 0);
	ck_assert_str_eq(value, "PLANTED-PEERING-TOKEN-value");
	ck_assert_uint_eq(vlen, 27);
	free(value);
	ck_assert_int_eq(kube_secret_value(json, len, "missing", &value, &vlen, err, sizeof err),
	                 -1);
	ck_assert_ptr_null(value);
	ck_assert_str_eq(err, "Secret peering-token has no data key \"missing\"");
	free(json);

	const char *bad = "{\"metadata\":{\"name\":\"t\"},\"data\":{\"k\":\"PLANTED*SECRET\"}}";
	ck_assert_int_eq(kube_secret_value(bad, strlen(bad), "k", &value, &vlen, err, sizeof err),
	                 -1);
	ck_assert_ptr_nonnull(strstr(err, "not base64"));
	ck_assert_ptr_null(strstr(err, "PLANTED"));
}
END_TEST

START_TEST(test_service)
{
	struct kube_object o;
	struct kube_consul_route r;
	char err[256];

	ck_assert_int_eq(
	        decode_file(KUBE_SERVICE, "service-consul-server.json", &o, err, sizeof err), 0);
	ck_assert_str_eq(o.u.service.component, "server");
	ck_assert_uint_eq(o.u.service.nports, 4);
	ck_assert_int_eq(kube_consul_route_from_service("https://127.0.0.1:6443/", &o.u.service,
	                                                true, &r, err, sizeof err),
	                 0);
	ck_assert_str_eq(r.base_url, "https://127.0.0.1:6443/api/v1/namespaces/consul/services/"
	                             "https:consul-server:8501/proxy");
	ck_assert_int_eq(r.port, 8501);
	kube_consul_route_clear(&r);
	ck_assert_int_eq(kube_consul_route_from_service("http://k", &o.u.service, false, &r, err,
	                                                sizeof err),
	                 0);
	ck_assert_str_eq(
	        r.base_url,
	        "http://k/api/v1/namespaces/consul/services/http:consul-server:8500/proxy");
	kube_consul_route_clear(&r);
	/* A Service without the port TLS needs. */
	o.u.service.ports[1].port = 9999;
	free(o.u.service.ports[1].name);
	o.u.service.ports[1].name = strdup("other");
	ck_assert_int_eq(
	        kube_consul_route_from_service("http://k", &o.u.service, true, &r, err, sizeof err),
	        -1);
	ck_assert_str_eq(err, "Service consul/consul-server has no https port (8501)");
	kube_object_clear(&o);
}
END_TEST

/* ------------------------------------------------------------------ lists */

START_TEST(test_lists)
{
	struct kube_list l;
	char err[256];
	size_t len;
	char *json = slurp("dialers-list.json", &len);

	ck_assert_int_eq(kube_list_decode(KUBE_PEERING_DIALER, json, len, &l, err, sizeof err), 0);
	free(json);
	ck_assert_uint_eq(l.n, 2);
	ck_assert_str_eq(l.resource_version, "5000");
	ck_assert_str_eq(l.continue_token, "");
	ck_assert_str_eq(l.items[1].u.peering.meta.ns, "other");
	ck_assert_int_eq(l.items[1].u.peering.role, MODEL_PEERING_DIALER);
	ck_assert_str_eq(l.items[1].u.peering.status_secret.resource_version, "3999");
	kube_list_clear(&l);

	json = slurp("list-null-items.json", &len);
	ck_assert_int_eq(kube_list_decode(KUBE_PEERING_ACCEPTOR, json, len, &l, err, sizeof err),
	                 0);
	free(json);
	ck_assert_uint_eq(l.n, 0);
	ck_assert_str_eq(l.continue_token, "eyJ2IjoibWV0YS5rOHMuaW8vdjEifQ");
	kube_list_clear(&l);

	const char *bad = "{\"items\":[{\"metadata\":{\"name\":\"a\"}},{\"spec\":{}}]}";
	ck_assert_int_eq(kube_list_decode(KUBE_MESH, bad, strlen(bad), &l, err, sizeof err), -1);
	ck_assert_str_eq(err, "Mesh list, item 1: Mesh without metadata.name");
	ck_assert_uint_eq(l.n, 0);
	bad = "{\"items\":{}}";
	ck_assert_int_eq(kube_list_decode(KUBE_MESH, bad, strlen(bad), &l, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "not an array"));
	json = slurp("status-forbidden.json", &len);
	ck_assert_int_eq(kube_list_decode(KUBE_SECRET, json, len, &l, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "cannot list resource"));
	free(json);
}
END_TEST

START_TEST(test_list_10000)
{
	const size_t n = 10000;
	size_t cap = n * 260 + 256, off = 0;
	char *json = malloc(cap), err[256];
	struct kube_list l;

	ck_assert_ptr_nonnull(json);
	off += (size_t)snprintf(json + off, cap - off,
	                        "{\"kind\":\"PeeringAcceptorList\",\"metadata\":"
	                        "{\"resourceVersion\":\"99\"},\"items\":[");
	for (size_t i = 0; i < n; i++)
		off += (size_t)snprintf(
		        json + off, cap - off,
		        "%s{\"metadata\":{\"name\":\"peer-%zu\",\"namespace\":\"ns-\xc3\xa9\","
		        "\"resourceVersion\":\"%zu\"},\"spec\":{\"peer\":{\"secret\":{\"name\":"
		        "\"t-%zu\",\"key\":\"data\",\"backend\":\"kubernetes\"}}},\"status\":"
		        "{\"latestPeeringVersion\":%zu}}",
		        i ? "," : "", i, i + 1, i, i);
	off += (size_t)snprintf(json + off, cap - off, "]}");
	ck_assert_int_eq(kube_list_decode(KUBE_PEERING_ACCEPTOR, json, off, &l, err, sizeof err),
	                 0);
	ck_assert_uint_eq(l.n, n);
	ck_assert_str_eq(l.items[9999].u.peering.meta.name, "peer-9999");
	ck_assert_str_eq(l.items[9999].u.peering.spec_secret.name, "t-9999");
	ck_assert_uint_eq(l.items[4242].u.peering.latest_version, 4242);
	ck_assert_str_eq(l.items[0].u.peering.meta.ns, "ns-\xc3\xa9");
	kube_list_clear(&l);
	free(json);
}
END_TEST

/* ----------------------------------------------------------------- Status */

struct status_case {
	const char *file;
	int code;
	const char *reason;
	const char *line;
};

static const struct status_case status_cases[] = {
        {"status-notfound.json", 404, "NotFound",
         "NotFound (404): peeringacceptors.consul.hashicorp.com \"cluster-09\" not found"},
        {"status-exists.json", 409, "AlreadyExists",
         "AlreadyExists (409): peeringdialers.consul.hashicorp.com \"cluster-01\" already exists"},
        {"status-conflict.json", 409, "Conflict",
         "Conflict (409): Operation cannot be fulfilled on secrets \"peering-token\": the object "
         "has "
         "been modified; please apply your changes to the latest version and try again"},
        {"status-forbidden.json", 403, "Forbidden", NULL},
        {"status-unauthorized.json", 401, "Unauthorized", "Unauthorized (401): Unauthorized"},
        {"status-invalid.json", 422, "Invalid", NULL},
        {"status-webhook.json", 400, "BadRequest", NULL},
        {"status-expired.json", 410, "Expired",
         "Expired (410): too old resource version: 100 (5000)"},
        {"status-unavailable.json", 503, "ServiceUnavailable", NULL},
        {"status-method.json", 405, "MethodNotAllowed", NULL},
        {"status-gone.json", 410, "Expired", NULL},
        {"status-mediatype.json", 415, "UnsupportedMediaType", NULL},
        {"status-toomany.json", 429, "TooManyRequests",
         "TooManyRequests (429): Too many requests, please try again later."},
        {"status-internal.json", 500, "InternalError", NULL},
        {"status-timeout.json", 504, "Timeout", NULL},
};

/* SelfSubjectAccessReview (authorization.k8s.io/v1): status.allowed, left
 * out when false (omitempty); the body peerscope sends names the resource
 * attributes (doc/api-contract.md §7.6). */
START_TEST(test_access)
{
	size_t len;
	char *json = slurp("ssar-allowed.json", &len), err[256];
	bool allowed = false;

	ck_assert_int_eq(kube_access_review_decode(json, len, &allowed, err, sizeof err), 0);
	ck_assert(allowed);
	free(json);
	json = slurp("ssar-denied.json", &len);
	ck_assert_int_eq(kube_access_review_decode(json, len, &allowed, err, sizeof err), 0);
	ck_assert(!allowed);
	free(json);
	json = slurp("status-forbidden.json", &len);
	ck_assert_int_eq(kube_access_review_decode(json, len, &allowed, err, sizeof err), -1);
	free(json);
	ck_assert_int_eq(kube_access_review_decode("nope", 4, &allowed, err, sizeof err), -1);

	char *body = kube_body_access_review("consul", "create", "consul.hashicorp.com",
	                                     "peeringacceptors", "");
	ck_assert_str_eq(body, "{\"apiVersion\":\"authorization.k8s.io/v1\",\"kind\":"
	                       "\"SelfSubjectAccessReview\",\"spec\":{\"resourceAttributes\":{"
	                       "\"namespace\":\"consul\",\"verb\":\"create\",\"group\":"
	                       "\"consul.hashicorp.com\",\"resource\":\"peeringacceptors\","
	                       "\"subresource\":\"\"}}}");
	free(body);
}
END_TEST

/* SelfSubjectRulesReview (authorization.k8s.io/v1): the caller's rules in
 * spec.namespace, matched as the RBAC authorizer matches a request
 * (kubernetes/kubernetes plugin/pkg/auth/authorizer/rbac/rbac.go RuleAllows,
 * pkg/apis/rbac/v1/evaluation_helpers.go): "*" for any verb, group or
 * resource, "*" before "/SUB" for any resource's subresource SUB, and a
 * rule that names objects never allows a request without a name. */
START_TEST(test_rules)
{
	static const char answer[] =
	        "{\"kind\":\"SelfSubjectRulesReview\",\"apiVersion\":\"authorization.k8s.io/v1\","
	        "\"spec\":{\"namespace\":\"consul\"},\"status\":{\"resourceRules\":["
	        "{\"verbs\":[\"get\",\"list\"],\"apiGroups\":[\"consul.hashicorp.com\"],"
	        "\"resources\":[\"peeringacceptors\"]},"
	        "{\"verbs\":[\"*\"],\"apiGroups\":[\"\"],\"resources\":[\"secrets\"],"
	        "\"resourceNames\":[\"peering-token\"]},"
	        "{\"verbs\":[\"create\"],\"apiGroups\":[\"*\"],\"resources\":[\"*/proxy\"]},"
	        "{\"verbs\":[\"delete\"],\"apiGroups\":[\"\"],\"resources\":[\"services/proxy\"]},"
	        "{\"verbs\":[\"watch\"],\"apiGroups\":[\"consul.hashicorp.com\"],\"resources\":[\"*"
	        "\"]},"
	        "{\"verbs\":[\"get\"],\"apiGroups\":[\"\"],\"resources\":[\"services\"]}],"
	        "\"nonResourceRules\":[{\"verbs\":[\"get\"],\"nonResourceURLs\":[\"/api\"]}],"
	        "\"incomplete\":false}}";
	struct kube_rules r;
	char err[256];

	ck_assert_int_eq(kube_rules_review_decode(answer, strlen(answer), &r, err, sizeof err), 0);
	ck_assert(!r.incomplete);
	ck_assert_uint_eq(r.n, 5); /* the one naming a Secret left out */
	ck_assert(kube_rules_allow(&r, "get", "consul.hashicorp.com", "peeringacceptors", ""));
	ck_assert(kube_rules_allow(&r, "list", "consul.hashicorp.com", "peeringacceptors", NULL));
	ck_assert(!kube_rules_allow(&r, "create", "consul.hashicorp.com", "peeringacceptors", ""));
	ck_assert(!kube_rules_allow(&r, "get", "", "peeringacceptors", ""));
	ck_assert(kube_rules_allow(&r, "watch", "consul.hashicorp.com", "meshes", ""));
	ck_assert(!kube_rules_allow(&r, "get", "", "secrets", ""));
	ck_assert(kube_rules_allow(&r, "create", "", "services", "proxy"));
	ck_assert(kube_rules_allow(&r, "delete", "", "services", "proxy"));
	ck_assert(!kube_rules_allow(&r, "get", "", "services", "proxy")); /* services alone */
	ck_assert(kube_rules_allow(&r, "get", "", "services", ""));
	ck_assert(!kube_rules_allow(&r, "delete", "", "services", ""));
	kube_rules_clear(&r);

	/* An authorizer that cannot list what it allows. */
	static const char partial[] = "{\"status\":{\"resourceRules\":[],\"incomplete\":true}}";
	ck_assert_int_eq(kube_rules_review_decode(partial, strlen(partial), &r, err, sizeof err),
	                 0);
	ck_assert(r.incomplete);
	kube_rules_clear(&r);
	static const char failed[] = "{\"status\":{\"evaluationError\":\"webhook: timeout\"}}";
	ck_assert_int_eq(kube_rules_review_decode(failed, strlen(failed), &r, err, sizeof err), 0);
	ck_assert(r.incomplete);
	ck_assert_uint_eq(r.n, 0);
	ck_assert(!kube_rules_allow(&r, "get", "", "secrets", ""));
	kube_rules_clear(&r);

	static const char bad_verb[] =
	        "{\"status\":{\"resourceRules\":[{\"verbs\":[\"get\"],\"resources\":[\"a\"]},"
	        "{\"verbs\":[\"get\",7],\"resources\":[\"b\"]}]}}";
	ck_assert_int_eq(kube_rules_review_decode(bad_verb, strlen(bad_verb), &r, err, sizeof err),
	                 -1);
	ck_assert_str_eq(err, "SelfSubjectRulesReview: status.resourceRules[1].verbs[1] is not a "
	                      "string");
	ck_assert_uint_eq(r.n, 0);
	static const char bad_rules[] = "{\"status\":{\"resourceRules\":{}}}";
	ck_assert_int_eq(
	        kube_rules_review_decode(bad_rules, strlen(bad_rules), &r, err, sizeof err), -1);
	ck_assert_str_eq(err, "SelfSubjectRulesReview: status.resourceRules is not an array");
	ck_assert_int_eq(kube_rules_review_decode("{}", 2, &r, err, sizeof err), -1);
	ck_assert_str_eq(err, "SelfSubjectRulesReview: no status");
	ck_assert_int_eq(kube_rules_review_decode("nope", 4, &r, err, sizeof err), -1);

	char *body = kube_body_rules_review("consul");
	ck_assert_str_eq(body, "{\"apiVersion\":\"authorization.k8s.io/v1\",\"kind\":"
	                       "\"SelfSubjectRulesReview\",\"spec\":{\"namespace\":\"consul\"}}");
	free(body);
}
END_TEST

/* The consul-k8s controllers run in the Deployment labelled
 * component=connect-injector (consul-k8s
 * charts/consul/templates/connect-inject-deployment.yaml), its status as
 * the deployment controller writes it (kubernetes
 * pkg/controller/deployment/sync.go calculateStatus: Available True with
 * MinimumReplicasAvailable, False with MinimumReplicasUnavailable); apps/v1
 * DeploymentStatus leaves out counts of 0 (omitempty), and spec.replicas
 * is defaulted to 1. */
START_TEST(test_deployments)
{
	struct kube_list l = {0};
	char path[512], err[256];
	size_t len;
	char *json;
	const struct model_kube_deployment *d;

	ck_assert_int_eq(kube_path(path, sizeof path, KUBE_DEPLOYMENT, "consul", NULL,
	                           "labelSelector=component%3Dconnect-injector", err, sizeof err),
	                 0);
	ck_assert_str_eq(path, "/apis/apps/v1/namespaces/consul/deployments"
	                       "?labelSelector=component%3Dconnect-injector");
	ck_assert_int_eq(kube_watch_path(path, sizeof path, KUBE_DEPLOYMENT, NULL, "7",
	                                 KUBE_INJECTOR_SELECTOR, 60, err, sizeof err),
	                 0);
	ck_assert_str_eq(path, "/apis/apps/v1/deployments?watch=1&allowWatchBookmarks=true"
	                       "&resourceVersion=7&labelSelector=component%3Dconnect-injector"
	                       "&timeoutSeconds=60");
	ck_assert(!kube_kind_is_consul(KUBE_DEPLOYMENT));

	json = slurp("deployments-connect-injector.json", &len);
	ck_assert_int_eq(kube_list_decode(KUBE_DEPLOYMENT, json, len, &l, err, sizeof err), 0);
	free(json);
	ck_assert_uint_eq(l.n, 1);
	d = &l.items[0].u.deployment;
	ck_assert_str_eq(d->meta.name, "consul-connect-injector");
	ck_assert_str_eq(d->meta.ns, "consul");
	ck_assert_int_eq(d->meta.generation, 3);
	ck_assert_int_eq(d->observed_generation, 3);
	ck_assert_int_eq(d->replicas, 1);
	ck_assert_int_eq(d->ready, 1);
	ck_assert_int_eq(d->available, 1);
	ck_assert_int_eq(d->unavailable, 0);
	ck_assert_int_eq(d->available_status, MODEL_COND_TRUE);
	ck_assert_str_eq(d->available_reason, "MinimumReplicasAvailable");
	ck_assert_str_eq(d->available_message, "Deployment has minimum availability.");
	ck_assert_str_eq(d->image, "hashicorp/consul-k8s-control-plane:1.4.3");
	kube_list_clear(&l);

	json = slurp("deployments-injector-down.json", &len);
	ck_assert_int_eq(kube_list_decode(KUBE_DEPLOYMENT, json, len, &l, err, sizeof err), 0);
	free(json);
	ck_assert_uint_eq(l.n, 2);
	d = &l.items[0].u.deployment;
	ck_assert_int_eq(d->replicas, 2);
	ck_assert_int_eq(d->status_replicas, 2);
	ck_assert_int_eq(d->updated, 2);
	ck_assert_int_eq(d->ready, 0);
	ck_assert_int_eq(d->available, 0);
	ck_assert_int_eq(d->unavailable, 2);
	ck_assert_int_eq(d->meta.generation, 4);
	ck_assert_int_eq(d->observed_generation, 3);
	ck_assert_int_eq(d->available_status, MODEL_COND_FALSE);
	ck_assert_str_eq(d->available_reason, "MinimumReplicasUnavailable");
	ck_assert_str_eq(d->available_message, "Deployment does not have minimum availability.");
	/* Odd shapes: no spec, counts of the wrong type, no conditions. */
	d = &l.items[1].u.deployment;
	ck_assert_str_eq(d->meta.ns, "other");
	ck_assert_int_eq(d->replicas, 1);
	ck_assert_int_eq(d->ready, 0);
	ck_assert_int_eq(d->available, 0);
	ck_assert_int_eq(d->available_status, MODEL_COND_UNSET);
	ck_assert_str_eq(d->available_reason, "");
	ck_assert_str_eq(d->image, "");
	kube_list_clear(&l);

	json = slurp("list-null-items.json", &len);
	ck_assert_int_eq(kube_list_decode(KUBE_DEPLOYMENT, json, len, &l, err, sizeof err), 0);
	ck_assert_uint_eq(l.n, 0);
	kube_list_clear(&l);
	free(json);
	ck_assert_int_eq(
	        kube_list_decode(KUBE_DEPLOYMENT, "{\"items\":7}", 11, &l, err, sizeof err), -1);
	struct kube_object o;
	const char *secret = "{\"kind\":\"Secret\",\"metadata\":{\"name\":\"x\"}}";
	ck_assert_int_eq(
	        kube_object_decode(KUBE_DEPLOYMENT, secret, strlen(secret), &o, err, sizeof err),
	        -1);
	ck_assert_str_eq(err, "expected a Deployment, got a Secret");
}
END_TEST

struct deploy_events {
	size_t n;
	int64_t available[4];
	enum kube_event_type type[4];
};

static int deploy_event(struct kube_event *ev, void *ctx)
{
	struct deploy_events *e = ctx;

	if (e->n < 4) {
		e->type[e->n] = ev->type;
		e->available[e->n] = ev->object.u.deployment.available;
	}
	e->n++;
	return 0;
}

/* A watch of the Deployments: the injector going down is a MODIFIED event
 * whose availableReplicas is gone. */
START_TEST(test_deployment_watch)
{
	struct kube_watch_parser *p = kube_watch_parser_new(KUBE_DEPLOYMENT, 0);
	struct deploy_events e = {0};
	size_t len;
	char *text = slurp("watch-deployments.ndjson", &len), err[256];

	ck_assert_ptr_nonnull(p);
	/* Cut in the middle of the second event. */
	ck_assert_int_eq(
	        kube_watch_parser_feed(p, text, len / 2, deploy_event, &e, err, sizeof err), 0);
	ck_assert_int_eq(kube_watch_parser_feed(p, text + len / 2, len - len / 2, deploy_event, &e,
	                                        err, sizeof err),
	                 0);
	ck_assert_int_eq(kube_watch_parser_finish(p, deploy_event, &e, err, sizeof err), 0);
	ck_assert_uint_eq(e.n, 3);
	ck_assert_int_eq(e.type[0], KUBE_EVENT_ADDED);
	ck_assert_int_eq(e.available[0], 1);
	ck_assert_int_eq(e.type[1], KUBE_EVENT_MODIFIED);
	ck_assert_int_eq(e.available[1], 0);
	ck_assert_int_eq(e.type[2], KUBE_EVENT_BOOKMARK);
	ck_assert_str_eq(kube_watch_parser_resource_version(p), "110");
	kube_watch_parser_free(p);
	free(text);
}
END_TEST

START_TEST(test_status)
{
	const struct status_case *c = &status_cases[_i];
	struct kube_status st;
	char err[256], line[1024];
	size_t len;
	char *json = slurp(c->file, &len);

	ck_assert_int_eq(kube_status_decode(json, len, &st, err, sizeof err), 0);
	ck_assert_int_eq(st.code, c->code);
	ck_assert_str_eq(st.reason, c->reason);
	ck_assert_str_eq(st.status, "Failure");
	kube_status_format(&st, line, sizeof line);
	if (c->line)
		ck_assert_str_eq(line, c->line);
	ck_assert_ptr_nonnull(strstr(line, st.message));
	kube_status_clear(&st);
	/* The same through the error-text helper, as a call would report it. */
	char via[1024];
	kube_error_text(c->code, json, len, via, sizeof via);
	ck_assert_str_eq(via, line);
	free(json);
}
END_TEST

START_TEST(test_status_details)
{
	struct kube_status st;
	char err[256], line[1024];
	size_t len;
	char *json = slurp("status-invalid.json", &len);

	ck_assert_int_eq(kube_status_decode(json, len, &st, err, sizeof err), 0);
	free(json);
	ck_assert_str_eq(st.name, "x");
	ck_assert_str_eq(st.kind, "PeeringAcceptor");
	ck_assert_uint_eq(st.ncauses, 2);
	ck_assert_str_eq(st.causes[1].field, "spec.peer.secret.key");
	kube_status_format(&st, line, sizeof line);
	/* The message names the first field; the second cause is added. */
	ck_assert_ptr_nonnull(strstr(line, "; spec.peer.secret.key: Required value"));
	ck_assert_ptr_null(strstr(line, "; spec.peer.secret.name"));
	kube_status_clear(&st);

	kube_error_text(502, "<html>\n<b>Bad\tGateway</b></html>", 33, line, sizeof line);
	ck_assert_str_eq(line, "HTTP 502: <html> <b>Bad Gateway</b></html>");
	kube_error_text(500, NULL, 0, line, sizeof line);
	ck_assert_str_eq(line, "HTTP 500");
	ck_assert_int_eq(kube_status_decode("{\"kind\":\"Mesh\"}", 15, &st, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "got a Mesh"));
	ck_assert_int_eq(kube_status_decode("{\"kind\":\"Status\"", 16, &st, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "truncated"));
}
END_TEST

/* -------------------------------------------------------------- discovery */

START_TEST(test_discovery)
{
	struct kube_discovery d;
	char err[256];
	size_t len;
	char *json = slurp("group.json", &len);

	ck_assert_int_eq(kube_discovery_decode_group(json, len, &d, err, sizeof err), 0);
	free(json);
	ck_assert(d.group_served);
	ck_assert_str_eq(d.preferred_version, "v1alpha1");
	ck_assert_uint_eq(d.nversions, 1);
	json = slurp("resources.json", &len);
	ck_assert_int_eq(kube_discovery_decode_resources(json, len, &d, err, sizeof err), 0);
	free(json);
	ck_assert(d.served[KUBE_PEERING_ACCEPTOR]);
	ck_assert(!d.served[KUBE_PEERING_DIALER]); /* not in this list */
	ck_assert(d.served[KUBE_MESH]);
	ck_assert(!d.served[KUBE_EXPORTED_SERVICES]);
	ck_assert(d.served[KUBE_PROXY_DEFAULTS]);
	ck_assert(d.served[KUBE_SERVICE_DEFAULTS]);
	ck_assert(!d.served[KUBE_SECRET]);
	kube_discovery_clear(&d);

	const char *other = "{\"kind\":\"APIGroup\",\"name\":\"apps\",\"versions\":[]}";
	ck_assert_int_eq(kube_discovery_decode_group(other, strlen(other), &d, err, sizeof err),
	                 -1);
	ck_assert_ptr_nonnull(strstr(err, "described \"apps\""));
	const char *nopref =
	        "{\"name\":\"consul.hashicorp.com\",\"versions\":[{\"version\":\"v2\"},"
	        "{\"version\":\"v1alpha1\"}]}";
	ck_assert_int_eq(kube_discovery_decode_group(nopref, strlen(nopref), &d, err, sizeof err),
	                 0);
	ck_assert_str_eq(d.preferred_version, "v2");
	ck_assert_uint_eq(d.nversions, 2);
	kube_discovery_clear(&d);
}
END_TEST

/* The Secret's tree is wiped before it is freed: the peering token (as
 * base64) must not stay in freed memory, whichever decoder read it. */
START_TEST(test_secret_wiped)
{
	size_t len, vlen;
	char *json = slurp("secret-token.json", &len), *value, err[256];
	struct kube_object o;
	struct kube_list l;
	char list[4096];

	/* "PLANTED-PEERING-TOKEN-value" in base64, as the fixture holds it */
	const char *needle = "UExBTlRFRC1QRUVSSU5HLVRPS0VO";
	ck_assert_ptr_nonnull(strstr(json, needle));
	snprintf(list, sizeof list,
	         "{\"kind\":\"SecretList\",\"metadata\":{\"resourceVersion\":\"9\"},"
	         "\"items\":[%.*s]}",
	         (int)len, json);
	unit_watch_frees(needle);
	ck_assert_int_eq(kube_object_decode(KUBE_SECRET, json, len, &o, err, sizeof err), 0);
	kube_object_clear(&o);
	ck_assert_int_eq(unit_frees_with_text(), 0);
	ck_assert_int_eq(kube_secret_value(json, len, "data", &value, &vlen, err, sizeof err), 0);
	free(value);
	ck_assert_int_eq(unit_frees_with_text(), 0);
	ck_assert_int_eq(kube_list_decode(KUBE_SECRET, list, strlen(list), &l, err, sizeof err), 0);
	ck_assert_uint_eq(l.n, 1);
	kube_list_clear(&l);
	ck_assert_int_eq(unit_frees_with_text(), 0);
	unit_watch_frees_end();
	free(json);
}
END_TEST

static Suite *decode_suite(void)
{
	Suite *s = suite_create("kube_decode");
	TCase *t = tcase_create("decode");

	tcase_add_test(t, test_paths);
	tcase_add_test(t, test_acceptor);
	tcase_add_test(t, test_acceptor_without_status);
	tcase_add_test(t, test_dialer_failed);
	tcase_add_test(t, test_acceptor_legacy_status);
	tcase_add_test(t, test_odd_shapes);
	tcase_add_test(t, test_bad_input);
	tcase_add_test(t, test_config_entries);
	tcase_add_test(t, test_secret);
	tcase_add_test(t, test_secret_wiped);
	tcase_add_test(t, test_service);
	tcase_add_test(t, test_lists);
	tcase_add_test(t, test_list_10000);
	tcase_add_loop_test(t, test_status, 0, (int)(sizeof status_cases / sizeof status_cases[0]));
	tcase_add_test(t, test_status_details);
	tcase_add_test(t, test_discovery);
	tcase_add_test(t, test_access);
	tcase_add_test(t, test_rules);
	tcase_add_test(t, test_deployments);
	tcase_add_test(t, test_deployment_watch);
	suite_add_tcase(s, t);
	return s;
}

UNIT_MAIN(decode_suite)
