/* kube client against peerscope-sim over loopback, in its plain, --tls and
 * --acl modes: every call, real watches (replayed, live with cancellation,
 * bookmarks, 410), Status errors from the API server and its webhooks, the
 * consul-k8s controllers acting on what the client creates, and Consul
 * reached through the API server's service proxy.
 *
 * One simulator per mode is started by an unchecked fixture (in the parent)
 * and stopped by its teardown; each test runs in a forked child. */
#include "autoconfig.h"

#include <cjson/cJSON.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "peerscope/kube.h"
#include "peerscope/kubeconfig.h"
#include "peerscope/monotime.h"
#include "simrig.h"
#include "unit.h"

#define NS "consul"

/* The simulator of the running tcase. Test-only state, set by the fixture
 * before the tests of a mode fork. */
static struct {
	const char *mode; /* "plain", "tls", "acl", "installs" */
	struct simrig_sim proc;
} sim;

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

static void sim_start(const char *mode)
{
	/* installs: cluster-01 without global.peering.enabled, cluster-02
	 * without connectInject.enabled. */
	const char *installs[] = {"--set", "cluster-01:peering_enabled=false", "--set",
	                          "cluster-02:connect_inject_enabled=false", NULL};
	const char *args[12] = {"--clusters", "2", "--speed", "20"};

	sim.mode = mode;
	if (!strcmp(mode, "tls") || !strcmp(mode, "acl"))
		args[4] = !strcmp(mode, "tls") ? "--tls" : "--acl";
	else if (!strcmp(mode, "installs"))
		memcpy(&args[4], installs, sizeof installs);
	ck_assert_msg(simrig_sim_start(&sim.proc, NULL, args) == 0, "peerscope-sim %s", mode);
}

static void sim_stop(void)
{
	simrig_sim_stop(&sim.proc);
}

static void setup_plain(void)
{
	sim_start("plain");
}
static void setup_tls(void)
{
	sim_start("tls");
}
static void setup_acl(void)
{
	sim_start("acl");
}
static void setup_installs(void)
{
	sim_start("installs");
}

/* ------------------------------------------------------------ clients */

/* A client for the Kubernetes API of CONTEXT ("cluster-01"), with BEARER
 * instead of the kubeconfig's token when not NULL. */
static struct http_client *kube_client(const char *context, const char *bearer)
{
	char path[320], err[512];
	struct kubeconfig_endpoint ep;
	struct http_options opts = {0};
	struct http_error herr;

	simrig_sim_path(&sim.proc, "kubeconfig", path, sizeof path);
	struct kubeconfig *kc = kubeconfig_load(path, true, err, sizeof err);
	ck_assert_msg(kc != NULL, "%s", err);
	ck_assert_msg(kubeconfig_resolve(kc, context, time(NULL), &ep, err, sizeof err) == 0, "%s",
	              err);
	kubeconfig_http_options(&ep, &opts);
	opts.cluster = context;
	if (bearer)
		opts.auth.bearer_token = bearer;
	struct http_client *c = http_client_new(&opts, &herr);
	ck_assert_msg(c != NULL, "%s", herr.message);
	kubeconfig_endpoint_clear(&ep);
	kubeconfig_free(kc);
	return c;
}

static const char *fmt_err(const struct http_error *err)
{
	static char buf[1024];
	return http_error_format(err, buf, sizeof buf);
}

/* The Consul ACL token of CLUSTER in --acl mode (NULL otherwise). */
static char *consul_token(const char *cluster)
{
	char path[400], line[256] = "";

	if (strcmp(sim.mode, "acl"))
		return NULL;
	snprintf(path, sizeof path, "%s/state/%s-management.token", sim.proc.dir, cluster);
	FILE *f = fopen(path, "r");
	ck_assert_msg(f != NULL, "no token file %s", path);
	ck_assert_ptr_nonnull(fgets(line, sizeof line, f));
	fclose(f);
	line[strcspn(line, "\n")] = 0;
	return strdup(line);
}

/* The proxy route to Consul in NS, with TLS as the Helm release of NS says
 * (global.tls.enabled); when the release cannot be read, TLS, which
 * peering requires. */
static int consul_route_auto(struct http_client *c, struct kube_consul_route *out,
                             struct http_error *err)
{
	struct model_kube_helm h;
	bool tls = true;

	memset(out, 0, sizeof *out);
	if (kube_helm_read(c, NS, &h, err) == 0) {
		tls = h.tls_enabled;
		model_kube_helm_clear(&h);
	} else if (err->kind != HTTP_ERR_STATUS || (err->status != 403 && err->status != 404)) {
		return -1;
	}
	http_error_clear(err);
	return kube_consul_route(c, NS, tls, out, err);
}

/* A client for Consul of CONTEXT through the API server's service proxy. */
static struct http_client *consul_via_proxy(const char *context, struct kube_consul_route *route,
                                            bool with_token)
{
	char path[320], err[512];
	struct kubeconfig_endpoint ep;
	struct http_options opts = {0};
	struct http_error herr;
	struct http_client *kc_client = kube_client(context, NULL);

	/* The simulated installs have global.tls.enabled, as peering needs,
	 * whether or not the simulator's own listeners use TLS. */
	ck_assert_msg(consul_route_auto(kc_client, route, &herr) == 0, "%s", fmt_err(&herr));
	http_client_free(kc_client);
	simrig_sim_path(&sim.proc, "kubeconfig", path, sizeof path);
	struct kubeconfig *kc = kubeconfig_load(path, true, err, sizeof err);
	ck_assert_ptr_nonnull(kc);
	ck_assert_int_eq(kubeconfig_resolve(kc, context, time(NULL), &ep, err, sizeof err), 0);
	kubeconfig_http_options(&ep, &opts);
	opts.cluster = context;
	opts.base_url = route->base_url;
	char *token = with_token ? consul_token(context) : NULL;
	opts.auth.consul_token = token;
	struct http_client *c = http_client_new(&opts, &herr);
	ck_assert_msg(c != NULL, "%s", herr.message);
	free(token);
	kubeconfig_endpoint_clear(&ep);
	kubeconfig_free(kc);
	return c;
}

/* Polls GET until PRED holds for the object, up to MS milliseconds. */
typedef bool (*obj_pred)(const struct kube_object *o);

static bool wait_for(struct http_client *c, enum kube_kind kind, const char *name, obj_pred pred,
                     long ms, struct kube_object *out)
{
	struct http_error err;

	for (int64_t end = monotime_ms() + ms; monotime_ms() < end; sleep_ms(50)) {
		if (kube_get(c, kind, NS, name, out, &err) == 0) {
			if (pred(out))
				return true;
			kube_object_clear(out);
		}
	}
	return false;
}

static bool wait_gone(struct http_client *c, enum kube_kind kind, const char *name, long ms)
{
	struct http_error err;
	struct kube_object o;

	for (int64_t end = monotime_ms() + ms; monotime_ms() < end; sleep_ms(50)) {
		if (kube_get(c, kind, NS, name, &o, &err) == 0)
			kube_object_clear(&o);
		else if (kube_not_found(&err))
			return true;
	}
	return false;
}

static bool peering_synced(const struct kube_object *o)
{
	return o->u.peering.synced.status == MODEL_COND_TRUE && *o->u.peering.status_secret.name;
}

static const struct model_kube_entry_head *entry_head(const struct kube_object *o)
{
	switch (o->kind) {
	case KUBE_MESH:
		return &o->u.mesh.head;
	case KUBE_PROXY_DEFAULTS:
		return &o->u.proxy_defaults.head;
	case KUBE_EXPORTED_SERVICES:
		return &o->u.exported.head;
	default:
		return &o->u.service_defaults.head;
	}
}

/* The config-entry controller has reported: Synced is True, or False with
 * its reason and message (an entry written in Consul before the CR, for
 * instance, gives ExternallyManagedConfigError). */
static bool entry_reported(const struct kube_object *o)
{
	const struct model_kube_entry_head *h = entry_head(o);

	if (h->synced.status == MODEL_COND_TRUE)
		return h->last_synced_ns > 0;
	return h->synced.status == MODEL_COND_FALSE && *h->synced.reason && *h->synced.message;
}

/* ------------------------------------------------------------- tests */

START_TEST(t_discovery)
{
	struct http_client *c = kube_client("cluster-01", NULL);
	struct kube_discovery d;
	struct http_error err;

	ck_assert_msg(kube_discover(c, &d, &err) == 0, "%s", fmt_err(&err));
	ck_assert(d.group_served);
	ck_assert_str_eq(d.preferred_version, "v1alpha1");
	for (int k = 0; k < KUBE_KIND_COUNT; k++)
		ck_assert_msg(d.served[k] == kube_kind_is_consul((enum kube_kind)k), "%s",
		              kube_kind_name((enum kube_kind)k));
	kube_discovery_clear(&d);
	http_client_free(c);
}
END_TEST

START_TEST(t_unauthorized)
{
	struct http_client *c = kube_client("cluster-01", "PLANTED-BEARER-0123456789");
	struct kube_list l;
	struct http_error err;

	ck_assert_int_eq(kube_list(c, KUBE_PEERING_ACCEPTOR, NS, NULL, &l, &err), -1);
	ck_assert_int_eq(err.kind, HTTP_ERR_STATUS);
	ck_assert_int_eq(err.status, 401);
	const char *text = fmt_err(&err);
	ck_assert_ptr_nonnull(strstr(text, "Unauthorized (401)"));
	ck_assert_ptr_nonnull(strstr(text, "cluster-01"));
	ck_assert_ptr_null(strstr(text, "PLANTED"));
	http_client_free(c);
}
END_TEST

START_TEST(t_errors)
{
	struct http_client *c = kube_client("cluster-01", NULL);
	struct http_error err;
	struct kube_object o;
	char e[256];

	/* Not found. */
	ck_assert_int_eq(kube_get(c, KUBE_PEERING_DIALER, NS, "nobody", &o, &err), -1);
	ck_assert(kube_not_found(&err));
	ck_assert_ptr_nonnull(strstr(err.message, "NotFound (404)"));
	ck_assert_ptr_nonnull(strstr(err.message, "\"nobody\" not found"));
	ck_assert_int_eq(kube_delete(c, KUBE_SECRET, NS, "nobody", &err), -1);
	ck_assert(kube_not_found(&err));

	/* A custom resource created twice: admission runs before the storage
	 * create and the consul-k8s webhook lists the first one, so the second
	 * is its 400 (control-plane/api/v1alpha1/peeringacceptor_webhook.go);
	 * a Secret created twice is the API server's 409 AlreadyExists. */
	char *body = kube_body_peering(MODEL_PEERING_ACCEPTOR, NS, "twice", "twice-token", "data",
	                               e, sizeof e);
	ck_assert_msg(kube_create(c, KUBE_PEERING_ACCEPTOR, NS, body, NULL, &err) == 0, "%s",
	              fmt_err(&err));
	ck_assert_int_eq(kube_create(c, KUBE_PEERING_ACCEPTOR, NS, body, NULL, &err), -1);
	ck_assert_int_eq(err.status, 400);
	ck_assert_msg(strstr(err.message, "an existing PeeringAcceptor resource has the same "
	                                  "secret name"),
	              "%s", err.message);
	free(body);
	const char *secret = "{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":"
	                     "{\"name\":\"twice-secret\"},\"data\":{}}";
	ck_assert_msg(kube_create(c, KUBE_SECRET, NS, secret, NULL, &err) == 0, "%s",
	              fmt_err(&err));
	ck_assert_int_eq(kube_create(c, KUBE_SECRET, NS, secret, NULL, &err), -1);
	ck_assert_int_eq(err.status, 409);
	ck_assert_ptr_nonnull(strstr(err.message, "AlreadyExists (409)"));

	/* The consul-k8s webhook refuses another backend. */
	const char *vault =
	        "{\"apiVersion\":\"consul.hashicorp.com/v1alpha1\",\"kind\":"
	        "\"PeeringDialer\",\"metadata\":{\"name\":\"vaulted\"},\"spec\":{\"peer\":"
	        "{\"secret\":{\"name\":\"t\",\"key\":\"data\",\"backend\":\"vault\"}}}}";
	ck_assert_int_eq(kube_create(c, KUBE_PEERING_DIALER, NS, vault, NULL, &err), -1);
	ck_assert_int_eq(err.status, 400);
	ck_assert_msg(strstr(err.message, "backend must be") != NULL, "%s", err.message);

	/* Schema: a name that is not a string. */
	const char *typed =
	        "{\"apiVersion\":\"consul.hashicorp.com/v1alpha1\",\"kind\":"
	        "\"PeeringDialer\",\"metadata\":{\"name\":\"typed\"},\"spec\":{\"peer\":"
	        "{\"secret\":{\"name\":7,\"key\":\"data\",\"backend\":\"kubernetes\"}}}}";
	ck_assert_int_eq(kube_create(c, KUBE_PEERING_DIALER, NS, typed, NULL, &err), -1);
	/* A custom resource is checked against its OpenAPI schema after
	 * decoding: 422 Invalid, not 400. */
	ck_assert_msg(err.status == 422, "%ld %s", err.status, err.message);
	ck_assert_msg(strstr(err.message, "spec.peer.secret.name") != NULL, "%s", err.message);

	/* Bad names never leave the client. */
	ck_assert_int_eq(kube_get(c, KUBE_SECRET, NS, "../../etc", &o, &err), -1);
	ck_assert_int_eq(err.kind, HTTP_ERR_USAGE);

	ck_assert_int_eq(kube_delete(c, KUBE_PEERING_ACCEPTOR, NS, "twice", &err), 0);
	ck_assert(wait_gone(c, KUBE_PEERING_ACCEPTOR, "twice", 8000));
	http_client_free(c);
}
END_TEST

/* The whole peering flow as an operator drives it: acceptor, token Secret
 * copied across, dialer, Consul on both sides through the proxy. */
START_TEST(t_peering_flow)
{
	struct http_client *c1 = kube_client("cluster-01", NULL);
	struct http_client *c2 = kube_client("cluster-02", NULL);
	struct http_error err;
	struct kube_object o;
	char e[256];

	char *body = kube_body_peering(MODEL_PEERING_ACCEPTOR, NS, "cluster-02", "peering-token",
	                               "data", e, sizeof e);
	ck_assert_msg(kube_create(c1, KUBE_PEERING_ACCEPTOR, NS, body, &o, &err) == 0, "%s",
	              fmt_err(&err));
	free(body);
	ck_assert_str_eq(o.u.peering.meta.name, "cluster-02");
	ck_assert_str_eq(o.u.peering.spec_secret.backend, "kubernetes");
	ck_assert_str_ne(o.u.peering.meta.resource_version, "");
	kube_object_clear(&o);

	ck_assert_msg(wait_for(c1, KUBE_PEERING_ACCEPTOR, "cluster-02", peering_synced, 8000, &o),
	              "acceptor never synced");
	ck_assert(o.u.peering.meta.has_finalizer);
	ck_assert_str_eq(o.u.peering.status_secret.name, "peering-token");
	kube_object_clear(&o);

	/* The token Secret: keys only in the model, the label present. */
	ck_assert_msg(kube_get(c1, KUBE_SECRET, NS, "peering-token", &o, &err) == 0, "%s",
	              fmt_err(&err));
	ck_assert(o.u.secret.token_label);
	const struct model_kube_secret_key *k = model_kube_secret_find(&o.u.secret, "data");
	ck_assert_ptr_nonnull(k);
	ck_assert_uint_gt(k->size, 20);
	kube_object_clear(&o);

	char *raw;
	size_t len;
	ck_assert_int_eq(kube_get_raw(c1, KUBE_SECRET, NS, "peering-token", &raw, &len, &err), 0);
	char *token, *copy = kube_body_secret_copy(raw, len, NS, e, sizeof e);
	size_t tlen;
	ck_assert_int_eq(kube_secret_value(raw, len, "data", &token, &tlen, e, sizeof e), 0);
	ck_assert_uint_gt(tlen, 20);
	memset(token, 0, tlen);
	free(token);
	memset(raw, 0, len);
	free(raw);
	ck_assert_ptr_nonnull(copy);
	ck_assert_msg(kube_create(c2, KUBE_SECRET, NS, copy, &o, &err) == 0, "%s", fmt_err(&err));
	free(copy);
	ck_assert(o.u.secret.token_label);
	kube_object_clear(&o);

	body = kube_body_peering(MODEL_PEERING_DIALER, NS, "cluster-01", "peering-token", "data", e,
	                         sizeof e);
	ck_assert_int_eq(kube_create(c2, KUBE_PEERING_DIALER, NS, body, NULL, &err), 0);
	free(body);
	ck_assert_msg(wait_for(c2, KUBE_PEERING_DIALER, "cluster-01", peering_synced, 8000, &o),
	              "dialer never synced");
	ck_assert_str_ne(o.u.peering.status_secret.resource_version, "");
	kube_object_clear(&o);

	/* Consul of each cluster through its API server's service proxy. */
	static const char *const sides[][2] = {{"cluster-01", "cluster-02"},
	                                       {"cluster-02", "cluster-01"}};
	for (int i = 0; i < 2; i++) {
		struct kube_consul_route route;
		struct http_client *consul = consul_via_proxy(sides[i][0], &route, true);
		ck_assert_str_eq(route.service, KUBE_CONSUL_SERVER_SERVICE);
		ck_assert_int_eq(route.port, 8501);
		ck_assert_str_eq(route.scheme, "https");
		char path[128];
		snprintf(path, sizeof path, "/v1/peering/%s", sides[i][1]);
		struct http_request req = {.path = path};
		struct http_response resp = {0};
		ck_assert_msg(http_do(consul, &req, &resp, &err) == 0, "%s", fmt_err(&err));
		cJSON *peering = cJSON_Parse(resp.body);
		ck_assert_ptr_nonnull(peering);
		ck_assert_str_eq(cJSON_GetObjectItem(peering, "Name")->valuestring, sides[i][1]);
		const char *state = cJSON_GetObjectItem(peering, "State")->valuestring;
		ck_assert_msg(!strcmp(state, "PENDING") || !strcmp(state, "ESTABLISHING") ||
		                      !strcmp(state, "ACTIVE"),
		              "%s", state);
		cJSON_Delete(peering);
		http_response_clear(&resp);
		kube_consul_route_clear(&route);
		http_client_free(consul);
	}

	/* Regenerate: bump the version annotation; the controller records it. */
	ck_assert_int_eq(kube_get(c1, KUBE_PEERING_ACCEPTOR, NS, "cluster-02", &o, &err), 0);
	uint64_t target = kube_peering_next_version(&o.u.peering);
	char *stale_rv = strdup(o.u.peering.meta.resource_version);
	kube_object_clear(&o);
	ck_assert_uint_eq(target, 1);
	ck_assert_msg(kube_peering_bump_version(c1, KUBE_PEERING_ACCEPTOR, NS, "cluster-02", target,
	                                        &err) == 0,
	              "%s", fmt_err(&err));
	ck_assert_int_eq(kube_get(c1, KUBE_PEERING_ACCEPTOR, NS, "cluster-02", &o, &err), 0);
	ck_assert_str_eq(o.u.peering.meta.peering_version, "1");
	kube_object_clear(&o);
	/* A retry with the same target bumps nothing twice. */
	ck_assert_int_eq(kube_peering_bump_version(c1, KUBE_PEERING_ACCEPTOR, NS, "cluster-02",
	                                           target, &err),
	                 0);
	ck_assert_int_eq(kube_get(c1, KUBE_PEERING_ACCEPTOR, NS, "cluster-02", &o, &err), 0);
	ck_assert_str_eq(o.u.peering.meta.peering_version, "1");
	kube_object_clear(&o);
	/* A patch tied to an older version of the CR is refused. */
	char *bump = kube_body_version_bump(target + 1, stale_rv, e, sizeof e);
	ck_assert_int_eq(
	        kube_merge_patch(c1, KUBE_PEERING_ACCEPTOR, NS, "cluster-02", bump, NULL, &err),
	        -1);
	ck_assert_int_eq(err.status, 409);
	ck_assert_ptr_nonnull(strstr(err.message, "Conflict (409)"));
	free(bump);
	free(stale_rv);
	for (int64_t end = monotime_ms() + 8000; monotime_ms() < end; sleep_ms(50)) {
		ck_assert_int_eq(kube_get(c1, KUBE_PEERING_ACCEPTOR, NS, "cluster-02", &o, &err),
		                 0);
		bool done = o.u.peering.has_latest_version && o.u.peering.latest_version == 1;
		kube_object_clear(&o);
		if (done)
			break;
	}
	ck_assert_int_eq(kube_get(c1, KUBE_PEERING_ACCEPTOR, NS, "cluster-02", &o, &err), 0);
	ck_assert_uint_eq(o.u.peering.latest_version, 1);
	ck_assert_uint_eq(kube_peering_next_version(&o.u.peering), 2);
	kube_object_clear(&o);

	/* The regenerated token reaches the dialer's cluster: the copy is
	 * brought up to date in place by a merge patch of its labels and data. */
	char *a_json, *b_json, *a_tok, *b_tok;
	size_t a_len, b_len, at_len, bt_len;
	ck_assert_int_eq(kube_get_raw(c1, KUBE_SECRET, NS, "peering-token", &a_json, &a_len, &err),
	                 0);
	char *patch = kube_body_secret_copy_patch(a_json, a_len, e, sizeof e);
	ck_assert_ptr_nonnull(patch);
	ck_assert_msg(kube_merge_patch(c2, KUBE_SECRET, NS, "peering-token", patch, NULL, &err) ==
	                      0,
	              "%s", fmt_err(&err));
	free(patch);
	ck_assert_int_eq(kube_get_raw(c2, KUBE_SECRET, NS, "peering-token", &b_json, &b_len, &err),
	                 0);
	ck_assert_int_eq(kube_secret_value(a_json, a_len, "data", &a_tok, &at_len, e, sizeof e), 0);
	ck_assert_int_eq(kube_secret_value(b_json, b_len, "data", &b_tok, &bt_len, e, sizeof e), 0);
	ck_assert(at_len == bt_len && !memcmp(a_tok, b_tok, at_len));
	free(a_json);
	free(b_json);
	free(a_tok);
	free(b_tok);

	/* Delete: the finalizer holds the CR until the controller is done. */
	ck_assert_int_eq(kube_delete(c2, KUBE_PEERING_DIALER, NS, "cluster-01", &err), 0);
	ck_assert_int_eq(kube_delete(c1, KUBE_PEERING_ACCEPTOR, NS, "cluster-02", &err), 0);
	ck_assert(wait_gone(c2, KUBE_PEERING_DIALER, "cluster-01", 8000));
	ck_assert(wait_gone(c1, KUBE_PEERING_ACCEPTOR, "cluster-02", 8000));
	http_client_free(c1);
	http_client_free(c2);
}
END_TEST

START_TEST(t_config_entries)
{
	struct http_client *c = kube_client("cluster-01", NULL);
	struct http_error err;
	struct kube_object o;
	struct kube_list l;
	char e[256];

	char *b = kube_body_mesh(NS, true, e, sizeof e);
	ck_assert_msg(kube_create(c, KUBE_MESH, NS, b, NULL, &err) == 0, "%s", fmt_err(&err));
	free(b);
	b = kube_body_proxy_defaults(NS, MODEL_MGW_LOCAL, e, sizeof e);
	ck_assert_msg(kube_create(c, KUBE_PROXY_DEFAULTS, NS, b, NULL, &err) == 0, "%s",
	              fmt_err(&err));
	free(b);
	b = kube_body_service_defaults(NS, "web", "http", MODEL_MGW_REMOTE, e, sizeof e);
	ck_assert_msg(kube_create(c, KUBE_SERVICE_DEFAULTS, NS, b, NULL, &err) == 0, "%s",
	              fmt_err(&err));
	free(b);
	char peer[] = "cluster-02", svc[] = "web", empty[] = "";
	struct model_export_consumer consumer = {.peer = peer};
	struct model_export_service exp = {
	        .name = svc, .ns = empty, .consumers = &consumer, .nconsumers = 1};
	b = kube_body_exported_services(NS, "default", &exp, 1, e, sizeof e);
	ck_assert_msg(kube_create(c, KUBE_EXPORTED_SERVICES, NS, b, NULL, &err) == 0, "%s",
	              fmt_err(&err));
	free(b);

	ck_assert_msg(wait_for(c, KUBE_MESH, "mesh", entry_reported, 8000, &o), "mesh: no status");
	ck_assert(o.u.mesh.peer_through_mesh_gateways);
	kube_object_clear(&o);
	ck_assert(wait_for(c, KUBE_PROXY_DEFAULTS, "global", entry_reported, 8000, &o));
	ck_assert_int_eq(o.u.proxy_defaults.mgw_mode, MODEL_MGW_LOCAL);
	kube_object_clear(&o);
	ck_assert(wait_for(c, KUBE_SERVICE_DEFAULTS, "web", entry_reported, 8000, &o));
	ck_assert_str_eq(o.u.service_defaults.protocol, "http");
	ck_assert_int_eq(o.u.service_defaults.mgw_mode, MODEL_MGW_REMOTE);
	kube_object_clear(&o);
	ck_assert(wait_for(c, KUBE_EXPORTED_SERVICES, "default", entry_reported, 8000, &o));
	ck_assert_uint_eq(o.u.exported.nservices, 1);
	ck_assert_str_eq(o.u.exported.services[0].consumers[0].peer, "cluster-02");
	kube_object_clear(&o);

	/* Merge patches. */
	b = kube_body_gateway_mode_patch(MODEL_MGW_REMOTE, e, sizeof e);
	ck_assert_int_eq(kube_merge_patch(c, KUBE_PROXY_DEFAULTS, NS, "global", b, &o, &err), 0);
	ck_assert_int_eq(o.u.proxy_defaults.mgw_mode, MODEL_MGW_REMOTE);
	kube_object_clear(&o);
	free(b);
	b = kube_body_gateway_mode_patch(MODEL_MGW_DEFAULT, e, sizeof e);
	ck_assert_int_eq(kube_merge_patch(c, KUBE_SERVICE_DEFAULTS, NS, "web", b, &o, &err), 0);
	ck_assert_int_eq(o.u.service_defaults.mgw_mode, MODEL_MGW_DEFAULT);
	ck_assert_str_eq(o.u.service_defaults.protocol, "http");
	kube_object_clear(&o);
	free(b);
	b = kube_body_mesh_patch(false, e, sizeof e);
	ck_assert_int_eq(kube_merge_patch(c, KUBE_MESH, NS, "mesh", b, &o, &err), 0);
	ck_assert(!o.u.mesh.peer_through_mesh_gateways);
	kube_object_clear(&o);
	free(b);
	char api[] = "api";
	exp.name = api;
	b = kube_body_exported_services_patch(&exp, 1, e, sizeof e);
	ck_assert_msg(kube_merge_patch(c, KUBE_EXPORTED_SERVICES, NS, "default", b, &o, &err) == 0,
	              "%s", fmt_err(&err));
	ck_assert_uint_eq(o.u.exported.nservices, 1);
	ck_assert_str_eq(o.u.exported.services[0].name, "api");
	kube_object_clear(&o);
	free(b);
	/* The webhook wants at least one exported service. */
	b = kube_body_exported_services_patch(NULL, 0, e, sizeof e);
	ck_assert_int_eq(kube_merge_patch(c, KUBE_EXPORTED_SERVICES, NS, "default", b, &o, &err),
	                 -1);
	ck_assert_int_eq(err.status, 400);
	ck_assert_msg(strstr(err.message, "at least one service must be exported") != NULL, "%s",
	              err.message);
	free(b);

	/* Lists, in the namespace and across all of them. */
	ck_assert_int_eq(kube_list(c, KUBE_SERVICE_DEFAULTS, NS, NULL, &l, &err), 0);
	ck_assert_uint_eq(l.n, 1);
	ck_assert_str_ne(l.resource_version, "");
	kube_list_clear(&l);
	ck_assert_int_eq(kube_list(c, KUBE_MESH, NULL, NULL, &l, &err), 0);
	ck_assert_uint_eq(l.n, 1);
	ck_assert_str_eq(l.items[0].u.mesh.head.meta.ns, NS);
	kube_list_clear(&l);

	static const struct {
		enum kube_kind kind;
		const char *name;
	} all[] = {{KUBE_MESH, "mesh"},
	           {KUBE_PROXY_DEFAULTS, "global"},
	           {KUBE_SERVICE_DEFAULTS, "web"},
	           {KUBE_EXPORTED_SERVICES, "default"}};
	for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
		ck_assert_int_eq(kube_delete(c, all[i].kind, NS, all[i].name, &err), 0);
	for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
		ck_assert_msg(wait_gone(c, all[i].kind, all[i].name, 8000), "%s stays",
		              all[i].name);
	http_client_free(c);
}
END_TEST

/* ------------------------------------------------------------ watches */

struct events {
	char log[4096];
	const char *stop_on; /* name whose DELETED ends the watch */
	int bookmarks;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int added;
};

static int on_event(struct kube_event *ev, void *ctx)
{
	static const char *const names[] = {"ADDED", "MODIFIED", "DELETED", "BOOKMARK", "ERROR"};
	struct events *s = ctx;

	pthread_mutex_lock(&s->lock);
	if (ev->type == KUBE_EVENT_BOOKMARK) {
		s->bookmarks++;
	} else if (ev->type != KUBE_EVENT_ERROR) {
		size_t n = strlen(s->log);
		snprintf(s->log + n, sizeof s->log - n, "%s %s\n", names[ev->type],
		         kube_object_meta(&ev->object)->name);
		if (ev->type == KUBE_EVENT_ADDED)
			s->added++;
	}
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
	return ev->type == KUBE_EVENT_DELETED && s->stop_on &&
	       !strcmp(kube_object_meta(&ev->object)->name, s->stop_on);
}

static void events_init(struct events *s)
{
	memset(s, 0, sizeof *s);
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->cond, NULL);
}

static char *secret_body(const char *name, const char *label)
{
	char *b = malloc(512);
	snprintf(b, 512,
	         "{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{\"name\":\"%s\","
	         "\"labels\":{\"test\":\"%s\"}},\"data\":{\"k\":\"dmFsdWU=\"}}",
	         name, label);
	return b;
}

START_TEST(t_watch_replay)
{
	struct http_client *c = kube_client("cluster-02", NULL);
	struct http_error err;
	struct kube_list l;
	struct events s;

	ck_assert_int_eq(kube_list(c, KUBE_SECRET, NS, "test=replay", &l, &err), 0);
	char *rv = strdup(l.resource_version);
	kube_list_clear(&l);
	char *b = secret_body("replayed", "replay");
	ck_assert_msg(kube_create(c, KUBE_SECRET, NS, b, NULL, &err) == 0, "%s", fmt_err(&err));
	free(b);
	ck_assert_int_eq(kube_merge_patch(c, KUBE_SECRET, NS, "replayed",
	                                  "{\"data\":{\"k\":\"b3RoZXI=\"}}", NULL, &err),
	                 0);
	ck_assert_int_eq(kube_delete(c, KUBE_SECRET, NS, "replayed", &err), 0);

	/* From the version before the changes, the stream replays them. */
	events_init(&s);
	s.stop_on = "replayed";
	int rc = kube_watch(c, KUBE_SECRET, NS, "test=replay", 5, &rv, NULL, on_event, &s, &err);
	ck_assert_msg(rc == KUBE_WATCH_STOPPED, "%d %s", rc, fmt_err(&err));
	ck_assert_str_eq(s.log, "ADDED replayed\nMODIFIED replayed\nDELETED replayed\n");
	ck_assert_str_ne(rv, "");
	free(rv);
	http_client_free(c);
}
END_TEST

START_TEST(t_watch_bookmark_and_close)
{
	struct http_client *c = kube_client("cluster-01", NULL);
	struct http_error err;
	struct kube_list l;
	struct events s;

	ck_assert_int_eq(kube_list(c, KUBE_PEERING_DIALER, NS, NULL, &l, &err), 0);
	char *rv = strdup(l.resource_version);
	kube_list_clear(&l);
	events_init(&s);
	/* Nothing changes; the server sends bookmarks (a second in and each
	 * second after, the watch ending within 2 s) and ends the watch after
	 * timeoutSeconds. */
	int64_t t0 = monotime_ms();
	int rc = kube_watch(c, KUBE_PEERING_DIALER, NS, NULL, 2, &rv, NULL, on_event, &s, &err);
	ck_assert_msg(rc == KUBE_WATCH_CLOSED, "%d %s", rc, fmt_err(&err));
	ck_assert_int_ge(monotime_ms() - t0, 1500);
	ck_assert_int_ge(s.bookmarks, 1);
	ck_assert_str_eq(s.log, "");
	free(rv);
	http_client_free(c);
}
END_TEST

struct live {
	struct http_client *c;
	atomic_bool cancel;
	struct events s;
	int rc;
	struct http_error err;
};

static void *live_watch(void *arg)
{
	struct live *w = arg;
	char *rv = NULL;

	w->rc = kube_watch(w->c, KUBE_SECRET, NS, "test=live", 30, &rv, &w->cancel, on_event, &w->s,
	                   &w->err);
	free(rv);
	return NULL;
}

START_TEST(t_watch_live_cancel)
{
	struct live w = {.c = kube_client("cluster-01", NULL)};
	struct http_error err;
	pthread_t th;

	events_init(&w.s);
	atomic_init(&w.cancel, false);
	ck_assert_int_eq(pthread_create(&th, NULL, live_watch, &w), 0);
	ck_assert(simrig_sim_wait_parked(&sim.proc, "cluster-01",
	                                 "/api/v1/namespaces/" NS "/secrets", 1, 10000));
	char *b = secret_body("live-one", "live");
	ck_assert_msg(kube_create(w.c, KUBE_SECRET, NS, b, NULL, &err) == 0, "%s", fmt_err(&err));
	free(b);

	/* The event arrives on the open stream. */
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 5;
	pthread_mutex_lock(&w.s.lock);
	while (!strstr(w.s.log, "live-one"))
		if (pthread_cond_timedwait(&w.s.cond, &w.s.lock, &until))
			break;
	ck_assert_msg(strstr(w.s.log, "ADDED live-one") != NULL, "log: %s", w.s.log);
	pthread_mutex_unlock(&w.s.lock);

	/* Cancelling from this thread ends the watch at once. */
	int64_t t0 = monotime_ms();
	atomic_store(&w.cancel, true);
	pthread_join(th, NULL);
	ck_assert_int_lt(monotime_ms() - t0, 2000);
	ck_assert_int_eq(w.rc, -1);
	ck_assert_int_eq(w.err.kind, HTTP_ERR_CANCELLED);
	ck_assert_int_eq(kube_delete(w.c, KUBE_SECRET, NS, "live-one", &err), 0);
	http_client_free(w.c);
}
END_TEST

START_TEST(t_watch_expired)
{
	struct http_client *c = kube_client("cluster-02", NULL);
	struct http_error err;
	struct kube_list l;
	struct events s;
	char patch[96];

	ck_assert_int_eq(kube_list(c, KUBE_SECRET, NS, "test=churn", &l, &err), 0);
	char *rv = strdup(l.resource_version);
	kube_list_clear(&l);
	char *b = secret_body("churn", "churn");
	ck_assert_int_eq(kube_create(c, KUBE_SECRET, NS, b, NULL, &err), 0);
	free(b);
	/* More changes than the API server keeps: the old version expires. */
	for (int i = 0; i < 4200; i++) {
		snprintf(patch, sizeof patch, "{\"metadata\":{\"labels\":{\"n\":\"%d\"}}}", i);
		ck_assert_msg(kube_merge_patch(c, KUBE_SECRET, NS, "churn", patch, NULL, &err) == 0,
		              "%s", fmt_err(&err));
	}
	events_init(&s);
	int rc = kube_watch(c, KUBE_SECRET, NS, "test=churn", 5, &rv, NULL, on_event, &s, &err);
	ck_assert_msg(rc == KUBE_WATCH_EXPIRED, "%d %s", rc, fmt_err(&err));
	/* Relist, then watch again from the list: no longer expired. */
	ck_assert_int_eq(kube_list(c, KUBE_SECRET, NS, "test=churn", &l, &err), 0);
	ck_assert_uint_eq(l.n, 1);
	free(rv);
	rv = strdup(l.resource_version);
	kube_list_clear(&l);
	ck_assert_int_eq(kube_delete(c, KUBE_SECRET, NS, "churn", &err), 0);
	s.stop_on = "churn";
	rc = kube_watch(c, KUBE_SECRET, NS, "test=churn", 5, &rv, NULL, on_event, &s, &err);
	ck_assert_msg(rc == KUBE_WATCH_STOPPED, "%d %s", rc, fmt_err(&err));
	ck_assert_ptr_nonnull(strstr(s.log, "DELETED churn"));
	free(rv);
	http_client_free(c);
}
END_TEST

/* A list longer than one page (kube_list asks for 500 items at a time)
 * comes back whole: kube_list follows the simulator's continue tokens. */
START_TEST(t_list_pages)
{
	struct http_client *c = kube_client("cluster-01", NULL);
	struct http_error err;
	struct kube_list l;
	char name[32];
	const int total = 517;

	for (int i = 0; i < total; i++) {
		snprintf(name, sizeof name, "page-%03d", i);
		char *b = secret_body(name, "pages");
		ck_assert_msg(kube_create(c, KUBE_SECRET, NS, b, NULL, &err) == 0, "%s",
		              fmt_err(&err));
		free(b);
	}
	ck_assert_msg(kube_list(c, KUBE_SECRET, NS, "test=pages", &l, &err) == 0, "%s",
	              fmt_err(&err));
	ck_assert_uint_eq(l.n, (size_t)total);
	for (int i = 0; i < total; i++) {
		snprintf(name, sizeof name, "page-%03d", i);
		ck_assert_str_eq(kube_object_meta(&l.items[i])->name, name);
	}
	ck_assert_str_eq(l.continue_token, "");
	ck_assert_str_ne(l.resource_version, "");
	kube_list_clear(&l);
	http_client_free(c);
}
END_TEST

/* The pattern a poller uses: the watch as one transfer of an http_multi,
 * its body fed to a parser as it arrives. */
struct multi_watch {
	struct kube_watch_parser *parser;
	struct events s;
	char why[512];
	int feed_rc;
	bool done;
};

static int multi_chunk(void *ctx, const char *data, size_t len)
{
	struct multi_watch *m = ctx;

	m->feed_rc = kube_watch_parser_feed(m->parser, data, len, on_event, &m->s, m->why,
	                                    sizeof m->why);
	return m->feed_rc;
}

static void multi_done(void *ctx, int rc, struct http_response *resp, struct http_error *err)
{
	struct multi_watch *m = ctx;
	(void)rc;
	(void)resp;
	(void)err;
	m->done = true;
}

START_TEST(t_watch_multi)
{
	struct http_client *c = kube_client("cluster-01", NULL);
	struct http_multi *multi = http_multi_new();
	struct multi_watch m = {.parser = kube_watch_parser_new(KUBE_SECRET, 0)};
	struct http_error err;
	char path[1024], e[256];

	struct kube_list l;

	/* From the list's version, so the changes below are seen however soon
	 * the transfer gets going. */
	events_init(&m.s);
	ck_assert_int_eq(kube_list(c, KUBE_SECRET, NS, "test=multi", &l, &err), 0);
	ck_assert_int_eq(kube_watch_path(path, sizeof path, KUBE_SECRET, NS, l.resource_version,
	                                 "test=multi", 20, e, sizeof e),
	                 0);
	kube_list_clear(&l);
	struct http_request req = {
	        .path = path, .wait_ms = 20000, .on_chunk = multi_chunk, .chunk_ctx = &m};
	struct http_xfer *x = http_multi_add(multi, c, &req, multi_done, &m, &err);
	ck_assert_msg(x != NULL, "%s", fmt_err(&err));
	char *b = secret_body("multi-one", "multi");
	ck_assert_int_eq(kube_create(c, KUBE_SECRET, NS, b, NULL, &err), 0);
	free(b);
	ck_assert_int_eq(kube_delete(c, KUBE_SECRET, NS, "multi-one", &err), 0);
	for (int64_t end = monotime_ms() + 5000; monotime_ms() < end && !m.done;) {
		ck_assert_int_ge(http_multi_run(multi, 100), 0);
		if (strstr(m.s.log, "DELETED multi-one"))
			break;
	}
	ck_assert_msg(m.feed_rc == 0, "%s", m.why);
	ck_assert_str_eq(m.s.log, "ADDED multi-one\nDELETED multi-one\n");
	ck_assert_ptr_nonnull(kube_watch_parser_resource_version(m.parser));
	if (!m.done)
		http_multi_remove(multi, x);
	http_multi_free(multi);
	kube_watch_parser_free(m.parser);
	http_client_free(c);
}
END_TEST

START_TEST(t_helm_and_route)
{
	struct http_client *c = kube_client("cluster-02", NULL);
	struct http_error err;
	struct model_kube_helm h;

	ck_assert_msg(kube_helm_read(c, NS, &h, &err) == 0, "%s", fmt_err(&err));
	ck_assert_str_eq(h.release, "consul");
	ck_assert_str_eq(h.status, "deployed");
	ck_assert(h.peering_enabled);
	ck_assert(h.mesh_gateway_enabled);
	ck_assert(h.connect_inject_enabled);
	ck_assert_str_ne(h.datacenter, "");
	ck_assert_str_ne(h.chart_version, "");
	model_kube_helm_clear(&h);

	struct kube_consul_route route;
	struct http_client *consul = consul_via_proxy("cluster-02", &route, true);
	struct http_request req = {.path = "/v1/status/leader"};
	struct http_response resp = {0};
	ck_assert_msg(http_do(consul, &req, &resp, &err) == 0, "%s", fmt_err(&err));
	ck_assert_int_eq(resp.status, 200);
	ck_assert_int_eq(resp.body[0], '"');
	http_response_clear(&resp);
	req.path = "/v1/peerings";
	ck_assert_msg(http_do(consul, &req, &resp, &err) == 0, "%s", fmt_err(&err));
	/* A list, [] when empty, never null: hashicorp/consul
	 * agent/peering_endpoint.go PeeringList answers pbresp.ToAPI(), a
	 * slice made to the answer's length. */
	ck_assert_msg(resp.body[0] == '[', "%s", resp.body);
	http_response_clear(&resp);
	kube_consul_route_clear(&route);
	http_client_free(consul);

	/* Consul's own ACL answers come back through the proxy as they are:
	 * the X-Consul-Token passes, the Kubernetes bearer token does not. */
	if (!strcmp(sim.mode, "acl")) {
		consul = consul_via_proxy("cluster-02", &route, false);
		ck_assert_int_eq(http_do(consul, &req, &resp, &err), -1);
		ck_assert_int_eq(err.status, 403);
		/* No token is the anonymous token (hashicorp/consul
		 * acl/errors_test.go, PermissionDeniedByACLUnnamed). */
		ck_assert_msg(strstr(err.message, "Permission denied: anonymous token lacks "
		                                  "permission 'peering:read'"),
		              "%s", err.message);
		http_response_clear(&resp);
		kube_consul_route_clear(&route);
		http_client_free(consul);
	}
	http_client_free(c);
}
END_TEST

/* Clusters installed without what peering needs: discovery and the Helm
 * values say so, and the API server refuses the kinds it does not serve. */
START_TEST(t_partial_installs)
{
	struct http_client *c1 = kube_client("cluster-01", NULL);
	struct http_client *c2 = kube_client("cluster-02", NULL);
	struct kube_discovery d;
	struct model_kube_helm h;
	struct http_error err;
	char e[256];

	ck_assert_msg(kube_discover(c1, &d, &err) == 0, "%s", fmt_err(&err));
	ck_assert(d.group_served);
	ck_assert(!d.served[KUBE_PEERING_ACCEPTOR]);
	ck_assert(!d.served[KUBE_PEERING_DIALER]);
	ck_assert(d.served[KUBE_MESH]);
	kube_discovery_clear(&d);
	ck_assert_int_eq(kube_helm_read(c1, NS, &h, &err), 0);
	ck_assert(!h.peering_enabled);
	ck_assert(h.connect_inject_enabled);
	model_kube_helm_clear(&h);
	char *body = kube_body_peering(MODEL_PEERING_ACCEPTOR, NS, "cluster-02", "peering-token",
	                               "data", e, sizeof e);
	ck_assert_int_eq(kube_create(c1, KUBE_PEERING_ACCEPTOR, NS, body, NULL, &err), -1);
	ck_assert(kube_not_found(&err));
	free(body);

	ck_assert_msg(kube_discover(c2, &d, &err) == 0, "%s", fmt_err(&err));
	for (int k = 0; k < KUBE_KIND_COUNT; k++)
		ck_assert_msg(!d.served[k], "%s", kube_kind_name((enum kube_kind)k));
	/* The chart installs no consul.hashicorp.com CRD without connectInject. */
	ck_assert(!d.group_served);
	ck_assert_str_eq(d.preferred_version, "");
	kube_discovery_clear(&d);
	ck_assert_int_eq(kube_helm_read(c2, NS, &h, &err), 0);
	ck_assert(!h.connect_inject_enabled);
	model_kube_helm_clear(&h);
	http_client_free(c1);
	http_client_free(c2);
}
END_TEST

/* The Consul server Service is found by its label, whatever its name; with
 * none, the route says what it looked for. */
START_TEST(t_route_lookup)
{
	struct http_client *c = kube_client("cluster-01", NULL);
	struct kube_consul_route route;
	struct http_error err;
	const char *svc = "{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":"
	                  "\"prod-consul-server\",\"labels\":{\"app\":\"consul\",\"component\":"
	                  "\"server\"}},\"spec\":{\"ports\":[{\"name\":\"https\",\"port\":"
	                  "18501}]}}";

	ck_assert_msg(kube_delete(c, KUBE_SERVICE, NS, KUBE_CONSUL_SERVER_SERVICE, &err) == 0, "%s",
	              fmt_err(&err));
	ck_assert_int_eq(kube_consul_route(c, NS, true, &route, &err), -1);
	ck_assert_str_eq(err.message, "no Consul server Service in namespace consul (label "
	                              "component=server or name consul-server)");
	ck_assert_msg(kube_create(c, KUBE_SERVICE, NS, svc, NULL, &err) == 0, "%s", fmt_err(&err));
	ck_assert_msg(kube_consul_route(c, NS, true, &route, &err) == 0, "%s", fmt_err(&err));
	ck_assert_str_eq(route.service, "prod-consul-server");
	ck_assert_int_eq(route.port, 18501);
	ck_assert_ptr_nonnull(strstr(route.base_url, "/api/v1/namespaces/consul/services/"
	                                             "https:prod-consul-server:18501/proxy"));
	kube_consul_route_clear(&route);
	/* Without TLS the Service offers no port: said so. */
	ck_assert_int_eq(kube_consul_route(c, NS, false, &route, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.message, "has no http port (8500)"));
	http_client_free(c);
}
END_TEST

/* A control API request that must succeed; its answer (the caller frees
 * it). */
static char *sim_ctl(const char *method, const char *path, const char *body)
{
	char *answer = NULL;

	ck_assert_msg(simrig_sim_ctl(&sim.proc, method, path, body, &answer) == 0, "%s %s", method,
	              path);
	return answer;
}

/* When Services may not be read (403) or are not served (404), the route
 * is the chart's consul-server on 8501, and it reaches Consul. */
START_TEST(t_route_fallback)
{
	struct http_client *c = kube_client("cluster-01", NULL);
	static const int codes[] = {403, 404};

	for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
		struct kube_consul_route route;
		struct http_response resp = {0};
		struct http_error err;
		char spec[256], path[400];

		snprintf(spec, sizeof spec,
		         "{\"listener\":\"kube\",\"error_rate\":1,\"error_code\":%d,\"count\":1,"
		         "\"path\":\"/api/v1/namespaces/consul/services\"}",
		         codes[i]);
		free(sim_ctl("POST", "/v1/clusters/cluster-01/faults", spec));
		ck_assert_msg(kube_consul_route(c, NS, true, &route, &err) == 0, "%d: %s", codes[i],
		              fmt_err(&err));
		char *faults = sim_ctl("GET", "/v1/clusters/cluster-01/faults", NULL);
		ck_assert_msg(strstr(faults, "\"count\":0"), "the %d was not served: %s", codes[i],
		              faults);
		free(faults);
		ck_assert_str_eq(route.service, KUBE_CONSUL_SERVER_SERVICE);
		ck_assert_int_eq(route.port, KUBE_CONSUL_HTTPS_PORT);
		const char *api = strstr(route.base_url, "/api/v1/");
		ck_assert_ptr_nonnull(api);
		snprintf(path, sizeof path, "%s/v1/status/leader", api);
		struct http_request req = {.path = path};
		ck_assert_msg(http_do(c, &req, &resp, &err) == 0, "%s", fmt_err(&err));
		ck_assert_msg(resp.body && resp.body[0] == '"', "%s", resp.body ? resp.body : "");
		http_response_clear(&resp);
		kube_consul_route_clear(&route);
		free(sim_ctl("DELETE", "/v1/clusters/cluster-01/faults", NULL));
	}
	http_client_free(c);
}
END_TEST

static TCase *mode_case(const char *name, void (*setup)(void), bool heavy)
{
	TCase *t = tcase_create(name);

	tcase_add_unchecked_fixture(t, setup, sim_stop);
	tcase_set_timeout(t, 30);
	tcase_add_test(t, t_discovery);
	tcase_add_test(t, t_unauthorized);
	tcase_add_test(t, t_errors);
	tcase_add_test(t, t_peering_flow);
	tcase_add_test(t, t_config_entries);
	tcase_add_test(t, t_watch_replay);
	tcase_add_test(t, t_watch_live_cancel);
	tcase_add_test(t, t_watch_multi);
	tcase_add_test(t, t_helm_and_route);
	if (heavy) {
		tcase_add_test(t, t_watch_bookmark_and_close);
		tcase_add_test(t, t_list_pages);
		tcase_add_test(t, t_route_fallback);
		tcase_add_test(t, t_watch_expired);
	}
	return t;
}

static Suite *sim_suite(void)
{
	Suite *s = suite_create("kube_sim");

	suite_add_tcase(s, mode_case("plain", setup_plain, true));
	suite_add_tcase(s, mode_case("tls", setup_tls, false));
	suite_add_tcase(s, mode_case("acl", setup_acl, false));
	TCase *t = tcase_create("installs");
	tcase_add_unchecked_fixture(t, setup_installs, sim_stop);
	tcase_add_test(t, t_partial_installs);
	tcase_add_test(t, t_route_lookup);
	suite_add_tcase(s, t);
	return s;
}

UNIT_MAIN(sim_suite)
