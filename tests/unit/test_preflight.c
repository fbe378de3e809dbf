/* Unit tests of preflight: every check's every verdict from snapshots built
 * here, the small rules the checks share, and the Helm values linter on the
 * files of tests/fixtures/values. */
#include "autoconfig.h"

#include "unit.h"

#include "peerscope/preflight.h"

#include "../../src/preflight_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SEC    1000000000LL
#define NOW    (1700000000LL * SEC)
#define MINUTE (60 * SEC)

/* ---------------------------------------------------------------- builders */

static char *sdup(const char *s)
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
	struct model_cluster_identity *id;
	struct model_peering_list *peerings;
	struct store_kube_peerings *acceptors, *dialers;
	struct store_kube_secrets *secrets;
	struct model_service_summary_list *services;
	struct model_exported_services_entry *exports;
	struct model_instance_list *gateways;
	struct model_mesh_entry *mesh;
	struct model_proxy_defaults_entry *pd;
	struct store_service_defaults *sd;
	struct store_kube_meshes *kmeshes;
	struct store_kube_proxy_defaults *kpd;
	struct model_kube_helm *helm;
	struct model_acl_facts *acl;
	struct store_intentions *intentions;
	struct store_kube_deployments *ctl; /* the connect-injector Deployments */
};

/* A connect-injector Deployment NS/NAME of WANT replicas, AVAIL of them
 * ready and available, its Available condition as the deployment
 * controller writes it (kubernetes pkg/controller/deployment/sync.go). */
static struct model_kube_deployment *fx_injector(struct fx *f, const char *ns, const char *name,
                                                 int want, int avail, bool available)
{
	struct model_kube_deployment *d;

	f->ctl->v = grow(f->ctl->v, f->ctl->n, sizeof *f->ctl->v);
	d = &f->ctl->v[f->ctl->n++];
	d->meta.name = sdup(name);
	d->meta.ns = sdup(ns);
	d->meta.uid = sdup("u");
	d->meta.resource_version = sdup("1");
	d->meta.peering_version = sdup("");
	d->meta.generation = d->observed_generation = 1;
	d->replicas = d->status_replicas = d->updated = want;
	d->ready = d->available = avail;
	d->unavailable = want - avail;
	d->available_status = available ? MODEL_COND_TRUE : MODEL_COND_FALSE;
	d->available_reason =
	        sdup(available ? "MinimumReplicasAvailable" : "MinimumReplicasUnavailable");
	d->available_message = sdup(available ? "Deployment has minimum availability."
	                                      : "Deployment does not have minimum availability.");
	d->image = sdup("hashicorp/consul-k8s-control-plane:1.3.1");
	return d;
}

/* Every source answered a second ago; KUBE: the cluster has a context. */
static void fx_init(struct fx *f, size_t index, const char *name, const char *version, bool kube)
{
	memset(f, 0, sizeof *f);
	f->s = store_snapshot_new(index, name, kube ? "kind-x" : "", kube ? "" : "http://c:8500");
	ck_assert_ptr_nonnull(f->s);
	f->s->kube_configured = kube;
	f->s->consul_via_proxy = kube;
	f->peerings = calloc(1, sizeof *f->peerings);
	f->acceptors = calloc(1, sizeof *f->acceptors);
	f->dialers = calloc(1, sizeof *f->dialers);
	f->secrets = calloc(1, sizeof *f->secrets);
	f->services = calloc(1, sizeof *f->services);
	f->exports = calloc(1, sizeof *f->exports);
	f->intentions = calloc(1, sizeof *f->intentions);
	f->gateways = calloc(1, sizeof *f->gateways);
	f->mesh = calloc(1, sizeof *f->mesh);
	f->pd = calloc(1, sizeof *f->pd);
	f->sd = calloc(1, sizeof *f->sd);
	f->kmeshes = calloc(1, sizeof *f->kmeshes);
	f->kpd = calloc(1, sizeof *f->kpd);
	f->ctl = calloc(1, sizeof *f->ctl);
	ck_assert_ptr_nonnull(f->ctl);
	f->ctl->refused = sdup("");
	if (kube)
		fx_injector(f, "consul", "consul-connect-injector", 1, 1, true);
	f->id = calloc(1, sizeof *f->id);
	ck_assert_ptr_nonnull(f->id);
	f->id->datacenter = sdup(name);
	f->id->version = sdup(version);
	f->id->node_name = sdup("server-0");
	f->id->partition = sdup("");
	f->id->enterprise = strstr(version, "ent") != NULL;
	f->s->has_identity = true;
	/* GET /v1/agent/members: one server, the agent's version; ACLs off. */
	f->acl = calloc(1, sizeof *f->acl);
	ck_assert_ptr_nonnull(f->acl);
	f->acl->acl_known = f->acl->servers_known = true;
	ck_assert_int_eq(model_meta_set(&f->acl->servers, "server-0", version), 0);
	f->s->crds = (struct store_crds){true, "v1alpha1", true, true, true, true, true, true};
	for (int i = 0; i < STORE_SRC_COUNT; i++) {
		bool k = store_src_is_kube((enum store_src)i);
		f->s->sources[i].enabled = kube || !k;
		f->s->sources[i].state =
		        f->s->sources[i].enabled ? MODEL_SOURCE_OK : MODEL_SOURCE_UNKNOWN;
		f->s->sources[i].last_ok_ns = f->s->sources[i].enabled ? NOW - SEC : 0;
	}
}

/* SRC never answered; its error is ERR. */
static void fx_unread(struct fx *f, enum store_src src, const char *err)
{
	f->s->sources[src].last_ok_ns = 0;
	f->s->sources[src].state = MODEL_SOURCE_ERROR;
	snprintf(f->s->sources[src].last_error, sizeof f->s->sources[src].last_error, "%s", err);
}

/* No connect-injector Deployment is listed; TEXT ("" for none) is the API
 * server's refusal to list them. */
static void fx_no_injector(struct fx *f, const char *text)
{
	for (size_t i = 0; i < f->ctl->n; i++)
		model_kube_deployment_clear(&f->ctl->v[i]);
	f->ctl->n = 0;
	free(f->ctl->refused);
	f->ctl->refused = sdup(text);
}

static struct model_kube_helm *fx_helm(struct fx *f)
{
	f->helm = calloc(1, sizeof *f->helm);
	ck_assert_ptr_nonnull(f->helm);
	f->helm->release = sdup("consul");
	f->helm->ns = sdup("consul");
	f->helm->revision = 3;
	f->helm->status = sdup("deployed");
	f->helm->chart_version = sdup("1.3.1");
	f->helm->app_version = sdup("1.17.3");
	f->helm->image = sdup("");
	f->helm->datacenter = sdup("dc1");
	f->helm->peering_enabled = f->helm->tls_enabled = true;
	f->helm->mesh_gateway_enabled = f->helm->connect_inject_enabled = true;
	f->helm->mesh_gateway_replicas = 1;
	f->helm->mesh_gateway_service_type = sdup("LoadBalancer");
	f->helm->admin_partition_name = sdup("default");
	return f->helm;
}

static struct model_peering *fx_peering(struct fx *f, const char *name, const char *id,
                                        const char *peer_id, enum model_peering_state st)
{
	f->peerings->v = grow(f->peerings->v, f->peerings->n, sizeof *f->peerings->v);
	struct model_peering *p = &f->peerings->v[f->peerings->n++];
	p->name = sdup(name);
	p->id = sdup(id);
	p->peer_id = sdup(peer_id);
	p->partition = sdup("");
	p->state = st;
	p->has_stream_status = true;
	p->stream.last_heartbeat_ns = NOW - 2 * SEC;
	return p;
}

static struct model_kube_peering *fx_cr(struct fx *f, enum model_peering_role role,
                                        const char *name, const char *secret, const char *key)
{
	struct store_kube_peerings *l = role == MODEL_PEERING_ACCEPTOR ? f->acceptors : f->dialers;
	l->v = grow(l->v, l->n, sizeof *l->v);
	struct model_kube_peering *cr = &l->v[l->n++];
	cr->role = role;
	cr->meta.name = sdup(name);
	cr->meta.ns = sdup("consul");
	cr->meta.created_ns = NOW - 2 * MINUTE;
	cr->spec_secret.name = sdup(secret);
	cr->spec_secret.key = sdup(key);
	cr->synced.status = MODEL_COND_TRUE;
	return cr;
}

static struct model_kube_secret *fx_secret(struct fx *f, const char *name, const char *key)
{
	f->secrets->v = grow(f->secrets->v, f->secrets->n, sizeof *f->secrets->v);
	struct model_kube_secret *s = &f->secrets->v[f->secrets->n++];
	s->meta.name = sdup(name);
	s->meta.ns = sdup("consul");
	s->token_label = true;
	s->keys = calloc(1, sizeof *s->keys);
	ck_assert_ptr_nonnull(s->keys);
	s->keys[0].key = sdup(key);
	s->keys[0].size = 100;
	s->nkeys = 1;
	return s;
}

static void fx_service(struct fx *f, const char *name, const char *peer, unsigned n)
{
	f->services->v = grow(f->services->v, f->services->n, sizeof *f->services->v);
	struct model_service_summary *s = &f->services->v[f->services->n++];
	s->name = sdup(name);
	s->peer_name = sdup(peer);
	s->kind = sdup("");
	s->instance_count = n;
	s->checks_passing = n;
}

static void fx_export(struct fx *f, const char *service, const char *peer)
{
	struct model_exported_services_entry *e = f->exports;
	if (!e->head.name) {
		e->head.name = sdup("default");
		e->head.partition = sdup("");
	}
	e->services = grow(e->services, e->nservices, sizeof *e->services);
	struct model_export_service *s = &e->services[e->nservices++];
	s->name = sdup(service);
	s->consumers = calloc(1, sizeof *s->consumers);
	ck_assert_ptr_nonnull(s->consumers);
	s->consumers[0].peer = sdup(peer);
	s->nconsumers = 1;
	f->s->has_exports = true;
}

static struct model_service_instance *fx_gateway(struct fx *f, const char *id, enum model_health h,
                                                 const char *wan)
{
	f->gateways->v = grow(f->gateways->v, f->gateways->n, sizeof *f->gateways->v);
	struct model_service_instance *g = &f->gateways->v[f->gateways->n++];
	g->service_id = sdup(id);
	g->address = sdup("10.0.0.7");
	g->node_address = sdup("10.0.0.4");
	g->port = 8443;
	g->wan.address = sdup(wan);
	g->wan.port = 443;
	g->health = h;
	return g;
}

static void fx_mesh(struct fx *f, bool ptmg)
{
	f->mesh->head.name = sdup("mesh");
	f->mesh->peer_through_mesh_gateways = ptmg;
	f->s->has_mesh = true;
}

static void fx_mode(struct fx *f, enum model_mgw_mode m)
{
	f->pd->head.name = sdup("global");
	f->pd->mgw_mode = m;
	f->s->has_proxy_defaults = true;
}

static struct model_service_defaults_entry *fx_sd(struct fx *f, const char *name,
                                                  enum model_mgw_mode m)
{
	f->sd->v = grow(f->sd->v, f->sd->n, sizeof *f->sd->v);
	struct model_service_defaults_entry *e = &f->sd->v[f->sd->n++];
	e->head.name = sdup(name);
	e->mgw_mode = m;
	return e;
}

static void fx_override(struct model_service_defaults_entry *e, const char *upstream,
                        const char *peer, enum model_mgw_mode m)
{
	e->overrides = grow(e->overrides, e->noverrides, sizeof *e->overrides);
	struct model_upstream_override *o = &e->overrides[e->noverrides++];
	o->name = sdup(upstream);
	o->peer = sdup(peer);
	o->mgw_mode = m;
}

static struct model_kube_mesh *fx_kube_mesh(struct fx *f, bool ptmg)
{
	f->kmeshes->v = grow(f->kmeshes->v, f->kmeshes->n, sizeof *f->kmeshes->v);
	struct model_kube_mesh *m = &f->kmeshes->v[f->kmeshes->n++];
	m->head.meta.name = sdup("mesh");
	m->head.meta.ns = sdup("consul");
	m->head.synced.status = MODEL_COND_FALSE;
	m->head.synced.message = sdup("ACL not found");
	m->head.synced.reason = sdup("ConsulAgentError");
	m->peer_through_mesh_gateways = ptmg;
	return m;
}

#define HOLD(f, slot, field, ctor)                                                                 \
	do {                                                                                       \
		struct store_part *p_ = ctor(f->field);                                            \
		f->s->field = store_hold(f->s, slot, p_);                                          \
		store_part_unref(p_);                                                              \
	} while (0)

static struct store_snapshot *fx_done(struct fx *f)
{
	struct store_part *p;

	p = store_part_identity(f->id);
	f->s->identity = store_hold(f->s, STORE_SRC_IDENTITY, p);
	store_part_unref(p);
	HOLD(f, STORE_SRC_PEERINGS, peerings, store_part_peerings);
	HOLD(f, STORE_SRC_KUBE_ACCEPTORS, acceptors, store_part_kube_peerings);
	HOLD(f, STORE_SRC_KUBE_DIALERS, dialers, store_part_kube_peerings);
	p = store_part_kube_secrets(f->secrets);
	f->s->token_secrets = store_hold(f->s, STORE_SRC_KUBE_SECRETS, p);
	store_part_unref(p);
	HOLD(f, STORE_SRC_SERVICES, services, store_part_services);
	HOLD(f, STORE_SRC_EXPORTS, exports, store_part_exports);
	HOLD(f, STORE_SRC_GATEWAYS, gateways, store_part_instances);
	HOLD(f, STORE_SRC_MESH, mesh, store_part_mesh);
	HOLD(f, STORE_SRC_INTENTIONS, intentions, store_part_intentions);
	p = store_part_proxy_defaults(f->pd);
	f->s->proxy_defaults = store_hold(f->s, STORE_SRC_PROXY_DEFAULTS, p);
	store_part_unref(p);
	p = store_part_service_defaults(f->sd);
	f->s->service_defaults = store_hold(f->s, STORE_SRC_SERVICE_DEFAULTS, p);
	store_part_unref(p);
	p = store_part_kube_meshes(f->kmeshes);
	f->s->kube_meshes = store_hold(f->s, STORE_SRC_KUBE_MESHES, p);
	store_part_unref(p);
	p = store_part_kube_proxy_defaults(f->kpd);
	f->s->kube_proxy_defaults = store_hold(f->s, STORE_SRC_KUBE_PROXY_DEFAULTS, p);
	store_part_unref(p);
	p = store_part_acl(f->acl);
	f->s->acl = store_hold(f->s, STORE_SRC_ACL, p);
	store_part_unref(p);
	p = store_part_kube_deployments(f->ctl);
	f->s->controllers = store_hold(f->s, STORE_SRC_KUBE_CONTROLLERS, p);
	store_part_unref(p);
	if (f->helm) {
		p = store_part_helm(f->helm);
		f->s->helm = store_hold(f->s, STORE_SRC_KUBE_HELM, p);
		store_part_unref(p);
		f->s->has_helm = true;
	}
	return f->s;
}

/* ------------------------------------------------------------------ running */

struct run {
	struct store_snapshot *s[3];
	size_t n;
	struct join_view jv;
	struct preflight_report r;
};

static void run_with(struct run *x, const struct preflight_live *live,
                     const struct preflight_options *opt)
{
	ck_assert_int_eq(
	        join_build((const struct store_snapshot *const *)x->s, x->n, NOW, NULL, &x->jv), 0);
	struct preflight_input in = {
	        (const struct store_snapshot *const *)x->s, x->n, &x->jv, live, NOW, opt};
	ck_assert_int_eq(preflight_run(&in, &x->r), 0);
}

static void run1(struct run *x, struct fx *f, const struct preflight_live *live)
{
	memset(x, 0, sizeof *x);
	x->s[0] = fx_done(f);
	x->n = 1;
	run_with(x, live, NULL);
}

static void run2(struct run *x, struct fx *a, struct fx *b, const struct preflight_options *opt)
{
	memset(x, 0, sizeof *x);
	x->s[0] = fx_done(a);
	x->s[1] = fx_done(b);
	x->n = 2;
	run_with(x, NULL, opt);
}

static void done(struct run *x)
{
	preflight_report_free(&x->r);
	join_view_free(&x->jv);
	for (size_t i = 0; i < x->n; i++)
		store_snapshot_unref(x->s[i]);
}

static const struct preflight_result *get(const struct run *x, const char *id, const char *subject)
{
	for (size_t i = 0; i < x->r.n; i++)
		if (!strcmp(x->r.v[i].check->id, id) && !strcmp(x->r.v[i].subject, subject))
			return &x->r.v[i];
	ck_abort_msg("no result of %s about %s", id, subject);
	return NULL;
}

/* The result of ID about SUBJECT has verdict V, evidence containing WANT
 * (NULL: any), and a fix exactly when the verdict is neither ok nor skip. */
static const struct preflight_result *expect(const struct run *x, const char *id,
                                             const char *subject, enum preflight_verdict v,
                                             const char *want)
{
	const struct preflight_result *r = get(x, id, subject);

	ck_assert_msg(r->verdict == v, "%s on %s: %s, wanted %s (%s)", id, subject,
	              preflight_verdict_name(r->verdict), preflight_verdict_name(v), r->evidence);
	ck_assert_msg(*r->evidence, "%s: no evidence", id);
	ck_assert_msg(!want || strstr(r->evidence, want), "%s: evidence \"%s\" lacks \"%s\"", id,
	              r->evidence, want);
	/* Every verdict but ok and skip says what to do. */
	if (v == PREFLIGHT_OK || v == PREFLIGHT_SKIP)
		ck_assert_msg(!*r->fix, "%s: a %s with a fix: %s", id, preflight_verdict_name(v),
		              r->fix);
	else
		ck_assert_msg(*r->fix, "%s: a %s without a fix", id, preflight_verdict_name(v));
	return r;
}

#define OK      PREFLIGHT_OK
#define WARN    PREFLIGHT_WARN
#define FAIL    PREFLIGHT_FAIL
#define UNKNOWN PREFLIGHT_UNKNOWN
#define SKIP    PREFLIGHT_SKIP

/* A healthy Kubernetes cluster of the specification's setup. */
static void healthy(struct fx *f, size_t index, const char *name)
{
	fx_init(f, index, name, "1.17.3", true);
	fx_helm(f);
	fx_gateway(f, "mesh-gateway-1", MODEL_HEALTH_PASSING, "198.51.100.10");
	fx_mesh(f, true);
	fx_mode(f, MODEL_MGW_LOCAL);
}

/* ------------------------------------------------------------ the table */

START_TEST(table_is_consistent)
{
	size_t n = preflight_check_count();

	ck_assert_uint_ge(n, 30);
	ck_assert_ptr_null(preflight_check_at(n));
	for (size_t i = 0; i < n; i++) {
		const struct preflight_check *c = preflight_check_at(i);
		ck_assert_ptr_nonnull(c->title);
		ck_assert_ptr_nonnull(c->spec);
		ck_assert_ptr_nonnull(c->pending);
		ck_assert_ptr_eq(preflight_check_find(c->id), c);
		for (const char *p = c->id; *p; p++)
			ck_assert_msg((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
			                      *p == '-',
			              "id %s", c->id);
		for (size_t j = 0; j < i; j++)
			ck_assert_str_ne(preflight_check_at(j)->id, c->id);
	}
	ck_assert_ptr_null(preflight_check_find("no-such-check"));
	ck_assert_str_eq(preflight_verdict_name(PREFLIGHT_FAIL), "fail");
	ck_assert_str_eq(preflight_verdict_name(PREFLIGHT_SKIP), "skip");
}
END_TEST

/* Every check id is documented in peerscope-checks(7), with its verdicts. */
START_TEST(table_is_documented)
{
	char path[4096];
	size_t len;
	const char *top = getenv("top_srcdir");

	snprintf(path, sizeof path, "%s/doc/peerscope-checks.7", top ? top : "../..");
	char *doc = unit_slurp(path, &len);
	for (size_t i = 0; i < preflight_check_count(); i++) {
		char want[128];
		const struct preflight_check *c = preflight_check_at(i);
		snprintf(want, sizeof want, ".SS %s\n", c->id);
		ck_assert_msg(strstr(doc, want), "peerscope-checks(7) lacks %s", c->id);
	}
	free(doc);
}
END_TEST

/* --------------------------------------------------------- small rules */

START_TEST(versions)
{
	bool ok;

	ck_assert(preflight_version_at_least("1.14.0", 1, 14, 0, &ok) && ok);
	ck_assert(preflight_version_at_least("v1.17.3+ent", 1, 14, 0, &ok) && ok);
	ck_assert(preflight_version_at_least("1.14.0-rc1", 1, 14, 0, &ok) && ok);
	ck_assert(preflight_version_at_least("2.0", 1, 14, 0, &ok) && ok);
	ck_assert(!preflight_version_at_least("1.13.9", 1, 14, 0, &ok) && ok);
	ck_assert(!preflight_version_at_least("0.49.8", 1, 0, 0, &ok) && ok);
	ck_assert(!preflight_version_at_least("latest", 1, 0, 0, &ok) && !ok);
	ck_assert(!preflight_version_at_least("", 1, 0, 0, &ok) && !ok);
	ck_assert(!preflight_version_at_least(NULL, 1, 0, 0, &ok) && !ok);
}
END_TEST

/* Consul's peer names: ^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$
 * (hashicorp/consul agent/rpc/peering/validate.go, validatePeerName). */
START_TEST(peer_names)
{
	char long63[64], long64[65];

	memset(long63, 'a', 63);
	long63[63] = '\0';
	memset(long64, 'a', 64);
	long64[64] = '\0';
	ck_assert(preflight_peer_name_valid("cluster-02"));
	ck_assert(preflight_peer_name_valid("a"));
	ck_assert(preflight_peer_name_valid("0"));
	ck_assert(preflight_peer_name_valid(long63));
	ck_assert(!preflight_peer_name_valid(long64));
	ck_assert(!preflight_peer_name_valid("Cluster-02"));
	ck_assert(!preflight_peer_name_valid("cluster.02"));
	ck_assert(!preflight_peer_name_valid("cluster_02"));
	ck_assert(!preflight_peer_name_valid("-cluster"));
	ck_assert(!preflight_peer_name_valid("cluster-"));
	ck_assert(!preflight_peer_name_valid(""));
	ck_assert(!preflight_peer_name_valid(NULL));
}
END_TEST

START_TEST(addresses)
{
	ck_assert_ptr_null(preflight_address_unroutable("198.51.100.10"));
	ck_assert_ptr_null(preflight_address_unroutable("10.0.0.7"));
	ck_assert_ptr_null(preflight_address_unroutable("gw.east.example.com"));
	ck_assert_ptr_null(preflight_address_unroutable("2001:db8::1"));
	ck_assert_str_eq(preflight_address_unroutable("127.0.0.1"), "loopback");
	ck_assert_str_eq(preflight_address_unroutable("127.10.0.1"), "loopback");
	ck_assert_str_eq(preflight_address_unroutable("::1"), "loopback");
	ck_assert_str_eq(preflight_address_unroutable("[::1]"), "loopback");
	ck_assert_str_eq(preflight_address_unroutable("::ffff:127.0.0.1"), "loopback");
	ck_assert_str_eq(preflight_address_unroutable("localhost"), "loopback");
	ck_assert_str_eq(preflight_address_unroutable("gw.localhost"), "loopback");
	ck_assert_str_eq(preflight_address_unroutable("169.254.1.2"), "link-local");
	ck_assert_str_eq(preflight_address_unroutable("fe80::1"), "link-local");
	ck_assert_str_eq(preflight_address_unroutable("0.0.0.0"), "unspecified");
	ck_assert_str_eq(preflight_address_unroutable("::"), "unspecified");
	ck_assert_str_eq(preflight_address_unroutable(""), "empty");
	ck_assert_str_eq(preflight_address_unroutable(NULL), "empty");
}
END_TEST

START_TEST(image_tags)
{
	char b[64];

	ck_assert_str_eq(preflight_image_tag("hashicorp/consul:1.14.1", b, sizeof b), "1.14.1");
	ck_assert_str_eq(preflight_image_tag("consul:1.10.0", b, sizeof b), "1.10.0");
	ck_assert_str_eq(preflight_image_tag("reg:5000/hashicorp/consul:1.15.2-ent", b, sizeof b),
	                 "1.15.2-ent");
	ck_assert_str_eq(preflight_image_tag("reg:5000/hashicorp/consul", b, sizeof b), "");
	ck_assert_str_eq(preflight_image_tag("hashicorp/consul", b, sizeof b), "");
	ck_assert_str_eq(preflight_image_tag("consul:1.16@sha256:abcd", b, sizeof b), "1.16");
	ck_assert_str_eq(preflight_image_tag("consul@sha256:abcd", b, sizeof b), "");
}
END_TEST

/* ------------------------------------------------------- Consul checks */

START_TEST(consul_version)
{
	struct fx f;
	struct run x;
	struct model_meta servers = {0};
	struct preflight_live live = {.server_versions = &servers};

	healthy(&f, 0, "east");
	run1(&x, &f, NULL);
	ck_assert_str_eq(
	        expect(&x, "consul-version", "east", OK, "GET /v1/agent/self Config.Version=1.17.3")
	                ->required,
	        ">= 1.14");
	done(&x);

	fx_init(&f, 0, "east", "1.13.9", true);
	run1(&x, &f, NULL);
	const struct preflight_result *r = expect(&x, "consul-version", "east", FAIL, "1.13.9");
	ck_assert_str_eq(r->seen, "1.13.9");
	ck_assert(strstr(r->fix, "global.image=hashicorp/consul:1.14.1"));
	ck_assert(strstr(r->fix, "--kube-context kind-x"));
	done(&x);

	/* Without agent:read the poller reads /v1/agent/version, no node. */
	fx_init(&f, 0, "east", "1.17.3", false);
	free(f.id->node_name);
	f.id->node_name = sdup("");
	run1(&x, &f, NULL);
	expect(&x, "consul-version", "east", OK, "GET /v1/agent/version HumanVersion=1.17.3");
	done(&x);

	fx_init(&f, 0, "east", "unknown-build", false);
	run1(&x, &f, NULL);
	expect(&x, "consul-version", "east", UNKNOWN, "is not a version");
	done(&x);

	fx_init(&f, 0, "east", "1.17.3", false);
	f.s->has_identity = false;
	fx_unread(&f, STORE_SRC_IDENTITY, "east: connection refused");
	run1(&x, &f, NULL);
	expect(&x, "consul-version", "east", UNKNOWN, "connection refused");
	done(&x);

	/* Every server when their versions are known: one old one fails. */
	ck_assert_int_eq(model_meta_set(&servers, "server-0", "1.17.3"), 0);
	ck_assert_int_eq(model_meta_set(&servers, "server-1", "1.13.2"), 0);
	fx_init(&f, 0, "east", "1.17.3", false);
	run1(&x, &f, &live);
	expect(&x, "consul-version", "east", FAIL, "server server-1 runs Consul 1.13.2");
	done(&x);
	model_meta_clear(&servers);
	ck_assert_int_eq(model_meta_set(&servers, "server-0", "1.17.3"), 0);
	fx_init(&f, 0, "east", "1.17.3", false);
	run1(&x, &f, &live);
	expect(&x, "consul-version", "east", OK, "every server (1)");
	done(&x);
	model_meta_clear(&servers);
}
END_TEST

START_TEST(gateway_registered)
{
	struct fx f;
	struct run x;

	healthy(&f, 0, "east");
	run1(&x, &f, NULL);
	expect(&x, "gateway-registered", "east", OK, "1 registered: mesh-gateway-1");
	done(&x);

	/* None, and the cluster exports to a peer: the specification's rule. */
	fx_init(&f, 0, "east", "1.17.3", true);
	fx_helm(&f)->mesh_gateway_enabled = false;
	fx_export(&f, "payments", "west");
	run1(&x, &f, NULL);
	const struct preflight_result *r =
	        expect(&x, "gateway-registered", "east", FAIL, "exports to peers");
	ck_assert(strstr(r->fix, "--set meshGateway.enabled=true"));
	done(&x);

	/* None while the mesh entry peers through gateways: token generation fails. */
	fx_init(&f, 0, "east", "1.17.3", true);
	fx_mesh(&f, true);
	run1(&x, &f, NULL);
	expect(&x, "gateway-registered", "east", FAIL, "peers through mesh gateways");
	done(&x);

	fx_init(&f, 0, "east", "1.17.3", false);
	fx_peering(&f, "west", "id-1", "", MODEL_PEERING_ACTIVE);
	run1(&x, &f, NULL);
	r = expect(&x, "gateway-registered", "east", FAIL, "1 peering exists");
	ck_assert(strstr(r->fix, "consul connect envoy -gateway=mesh"));
	done(&x);

	fx_init(&f, 0, "east", "1.17.3", false);
	run1(&x, &f, NULL);
	expect(&x, "gateway-registered", "east", WARN, "cannot export");
	done(&x);

	fx_init(&f, 0, "east", "1.17.3", false);
	fx_unread(&f, STORE_SRC_GATEWAYS, "GET /v1/health/service/mesh-gateway: 403");
	run1(&x, &f, NULL);
	expect(&x, "gateway-registered", "east", UNKNOWN, "403");
	done(&x);
}
END_TEST

START_TEST(gateway_passing)
{
	struct fx f;
	struct run x;

	healthy(&f, 0, "east");
	run1(&x, &f, NULL);
	expect(&x, "gateway-passing", "east", OK, "1 of 1 passing");
	done(&x);

	healthy(&f, 0, "east");
	fx_gateway(&f, "mesh-gateway-2", MODEL_HEALTH_CRITICAL, "198.51.100.11");
	run1(&x, &f, NULL);
	expect(&x, "gateway-passing", "east", WARN, "mesh-gateway-2 critical");
	done(&x);

	fx_init(&f, 0, "east", "1.17.3", true);
	fx_gateway(&f, "mesh-gateway-1", MODEL_HEALTH_CRITICAL, "198.51.100.10");
	run1(&x, &f, NULL);
	const struct preflight_result *r = expect(&x, "gateway-passing", "east", FAIL, "0 of 1");
	ck_assert(strstr(r->fix, "describe pod mesh-gateway-1"));
	ck_assert_str_eq(r->seen, "0/1 passing");
	done(&x);

	fx_init(&f, 0, "east", "1.17.3", true);
	run1(&x, &f, NULL);
	expect(&x, "gateway-passing", "east", SKIP, "no mesh gateway");
	done(&x);

	fx_init(&f, 0, "east", "1.17.3", true);
	fx_unread(&f, STORE_SRC_GATEWAYS, "timeout");
	run1(&x, &f, NULL);
	expect(&x, "gateway-passing", "east", UNKNOWN, "timeout");
	done(&x);
}
END_TEST

/* The address a peer dials is the WAN tagged address, else the service's
 * (hashicorp/consul agent/consul/peering_backend.go, meshGatewayAdresses and
 * ServiceNode.BestAddress(wan)). */
START_TEST(gateway_wan_address)
{
	struct fx f;
	struct run x;

	healthy(&f, 0, "east");
	run1(&x, &f, NULL);
	expect(&x, "gateway-wan-address", "east", OK, "mesh-gateway-1 wan 198.51.100.10:443");
	done(&x);

	healthy(&f, 0, "east");
	fx_gateway(&f, "mesh-gateway-2", MODEL_HEALTH_PASSING, "127.0.0.1");
	run1(&x, &f, NULL);
	expect(&x, "gateway-wan-address", "east", WARN, "127.0.0.1:443 is loopback");
	done(&x);

	fx_init(&f, 0, "east", "1.17.3", true);
	struct model_service_instance *g =
	        fx_gateway(&f, "mesh-gateway-1", MODEL_HEALTH_PASSING, "");
	free(g->address);
	g->address = sdup("169.254.3.4");
	run1(&x, &f, NULL);
	const struct preflight_result *r =
	        expect(&x, "gateway-wan-address", "east", FAIL,
	               "address (no wan tagged address) 169.254.3.4:8443 "
	               "is link-local");
	ck_assert(strstr(r->fix, "meshGateway.wanAddress"));
	done(&x);

	fx_init(&f, 0, "east", "1.17.3", true);
	run1(&x, &f, NULL);
	expect(&x, "gateway-wan-address", "east", SKIP, NULL);
	done(&x);

	fx_init(&f, 0, "east", "1.17.3", true);
	fx_unread(&f, STORE_SRC_GATEWAYS, "timeout");
	run1(&x, &f, NULL);
	expect(&x, "gateway-wan-address", "east", UNKNOWN, NULL);
	done(&x);
}
END_TEST

/* Consul reads these keys (agent/xds/config/config.go ProxyConfig and
 * GatewayConfig, command/connect/envoy/bootstrap_config.go) and ignores any
 * other one. */
START_TEST(gateway_proxy_config)
{
	struct fx f;
	struct run x;
	struct model_meta cfg = {0};
	struct preflight_gateway_config gc = {"mesh-gateway-1", &cfg};
	struct preflight_live live = {
	        .gateway_configs_known = true, .gateway_configs = &gc, .ngateway_configs = 1};

	/* Derived from the snapshot: the instances' Service.Proxy.Config. */
	healthy(&f, 0, "east");
	run1(&x, &f, NULL);
	expect(&x, "gateway-proxy-config", "east", OK, "none set");
	done(&x);

	healthy(&f, 0, "east");
	ck_assert_int_eq(model_meta_set(&f.gateways->v[0].proxy_config,
	                                "envoy_gateway_bind_tagged_addresses", "true"),
	                 0);
	ck_assert_int_eq(model_meta_set(&f.gateways->v[0].proxy_config, "envoy_gatway_typo", "1"),
	                 0);
	run1(&x, &f, NULL);
	expect(&x, "gateway-proxy-config", "east", WARN,
	       "envoy_gatway_typo=1 (not a key Consul reads)");
	done(&x);

	/* No answer from the gateways: unknown, as before. */
	healthy(&f, 0, "east");
	run1(&x, &f, &(struct preflight_live){0});
	expect(&x, "gateway-proxy-config", "east", UNKNOWN, "not fetched yet");
	done(&x);

	healthy(&f, 0, "east");
	run1(&x, &f, &live);
	expect(&x, "gateway-proxy-config", "east", OK, "none set");
	done(&x);

	ck_assert_int_eq(model_meta_set(&cfg, "envoy_gateway_bind_tagged_addresses", "true"), 0);
	ck_assert_int_eq(model_meta_set(&cfg, "Connect_Timeout_MS", "3000"), 0);
	healthy(&f, 0, "east");
	run1(&x, &f, &live);
	expect(&x, "gateway-proxy-config", "east", OK,
	       "mesh-gateway-1 envoy_gateway_bind_tagged_addresses=true");
	done(&x);

	ck_assert_int_eq(model_meta_set(&cfg, "envoy_gateway_bind_addrs", "{}"), 0);
	healthy(&f, 0, "east");
	run1(&x, &f, &live);
	expect(&x, "gateway-proxy-config", "east", WARN,
	       "envoy_gateway_bind_addrs={} (not a key Consul reads)");
	done(&x);

	fx_init(&f, 0, "east", "1.17.3", true);
	run1(&x, &f, &live);
	expect(&x, "gateway-proxy-config", "east", SKIP, NULL);
	done(&x);
	model_meta_clear(&cfg);
}
END_TEST

START_TEST(mesh_peer_through_gateways)
{
	struct fx f;
	struct run x;

	healthy(&f, 0, "east");
	run1(&x, &f, NULL);
	expect(&x, "mesh-peer-through-gateways", "east", OK,
	       "Peering.PeerThroughMeshGateways=true");
	done(&x);

	fx_init(&f, 0, "east", "1.17.3", true);
	run1(&x, &f, NULL);
	const struct preflight_result *r =
	        expect(&x, "mesh-peer-through-gateways", "east", WARN, "no mesh entry");
	ck_assert(strstr(r->fix, "kind Mesh"));
	done(&x);

	/* The CR asks for it, Consul does not have it: the controller says why. */
	fx_init(&f, 0, "east", "1.17.3", true);
	fx_mesh(&f, false);
	fx_kube_mesh(&f, true);
	run1(&x, &f, NULL);
	r = expect(&x, "mesh-peer-through-gateways", "east", WARN, "Synced=False: ACL not found");
	ck_assert(strstr(r->fix, "get mesh mesh -o yaml"));
	done(&x);

	/* Consul unread: the CR decides. */
	fx_init(&f, 0, "east", "1.17.3", true);
	fx_unread(&f, STORE_SRC_MESH, "timeout");
	fx_kube_mesh(&f, true);
	run1(&x, &f, NULL);
	expect(&x, "mesh-peer-through-gateways", "east", OK,
	       "Mesh consul/mesh spec.peering.peerThroughMeshGateways=true");
	done(&x);

	fx_init(&f, 0, "east", "1.17.3", false);
	fx_unread(&f, STORE_SRC_MESH, "timeout");
	run1(&x, &f, NULL);
	expect(&x, "mesh-peer-through-gateways", "east", UNKNOWN, "timeout");
	done(&x);
}
END_TEST

START_TEST(mode_none)
{
	struct fx f;
	struct run x;

	healthy(&f, 0, "east");
	run1(&x, &f, NULL);
	expect(&x, "mode-none", "east", OK, "MeshGateway.Mode=local");
	done(&x);

	/* The specification: none is invalid with cluster peering. */
	fx_init(&f, 0, "east", "1.17.3", true);
	fx_mode(&f, MODEL_MGW_NONE);
	fx_peering(&f, "west", "id-1", "", MODEL_PEERING_ACTIVE);
	run1(&x, &f, NULL);
	const struct preflight_result *r = expect(&x, "mode-none", "east", FAIL, "Mode=none");
	ck_assert(strstr(r->fix, "ProxyDefaults global with spec.meshGateway.mode: remote"));
	done(&x);

	/* On a service's upstream towards a peer, from service-defaults. */
	fx_init(&f, 0, "east", "1.17.3", false);
	fx_export(&f, "payments", "west");
	fx_override(fx_sd(&f, "web", MODEL_MGW_DEFAULT), "api", "west", MODEL_MGW_NONE);
	run1(&x, &f, NULL);
	r = expect(&x, "mode-none", "east", FAIL,
	           "service-defaults web UpstreamConfig.Overrides[api peer west] "
	           "MeshGateway.Mode=none");
	ck_assert(strstr(r->fix, "ServiceDefaults"));
	done(&x);

	/* No peering yet: a warning, invalid once it peers. */
	fx_init(&f, 0, "east", "1.17.3", false);
	fx_mode(&f, MODEL_MGW_NONE);
	run1(&x, &f, NULL);
	expect(&x, "mode-none", "east", WARN, "invalid once the cluster peers");
	done(&x);

	fx_init(&f, 0, "east", "1.17.3", false);
	fx_unread(&f, STORE_SRC_PROXY_DEFAULTS, "403 Permission denied");
	run1(&x, &f, NULL);
	expect(&x, "mode-none", "east", UNKNOWN, "Permission denied");
	done(&x);
}
END_TEST

START_TEST(mode_local_gateway)
{
	struct fx f;
	struct run x;

	healthy(&f, 0, "east");
	run1(&x, &f, NULL);
	expect(&x, "mode-local-gateway", "east", OK, "1 of 1 passing");
	done(&x);

	/* Mode local in the importing cluster without a passing gateway. */
	fx_init(&f, 0, "east", "1.17.3", true);
	fx_mode(&f, MODEL_MGW_LOCAL);
	fx_peering(&f, "west", "id-1", "", MODEL_PEERING_ACTIVE);
	fx_gateway(&f, "mesh-gateway-1", MODEL_HEALTH_CRITICAL, "198.51.100.10");
	run1(&x, &f, NULL);
	expect(&x, "mode-local-gateway", "east", FAIL, "0 of 1 passing");
	done(&x);

	fx_init(&f, 0, "east", "1.17.3", false);
	fx_sd(&f, "web", MODEL_MGW_LOCAL);
	run1(&x, &f, NULL);
	expect(&x, "mode-local-gateway", "east", WARN,
	       "service-defaults web MeshGateway.Mode=local");
	done(&x);

	fx_init(&f, 0, "east", "1.17.3", false);
	run1(&x, &f, NULL);
	expect(&x, "mode-local-gateway", "east", SKIP, "no mode local");
	done(&x);

	fx_init(&f, 0, "east", "1.17.3", false);
	fx_mode(&f, MODEL_MGW_LOCAL);
	fx_unread(&f, STORE_SRC_GATEWAYS, "timeout");
	run1(&x, &f, NULL);
	expect(&x, "mode-local-gateway", "east", UNKNOWN, "timeout");
	done(&x);
}
END_TEST

START_TEST(mode_per_service)
{
	struct fx f;
	struct run x;

	healthy(&f, 0, "east");
	fx_sd(&f, "web", MODEL_MGW_REMOTE);
	fx_sd(&f, "db", MODEL_MGW_LOCAL);
	run1(&x, &f, NULL);
	expect(&x, "mode-per-service", "east", OK,
	       "cluster-wide local (proxy-defaults); service-defaults web MeshGateway.Mode=remote");
	ck_assert(strstr(get(&x, "mode-per-service", "east")->evidence, "db") == NULL);
	done(&x);

	fx_init(&f, 0, "east", "1.17.3", false);
	run1(&x, &f, NULL);
	expect(&x, "mode-per-service", "east", OK, "remote (default); every service uses it");
	done(&x);

	fx_init(&f, 0, "east", "1.17.3", false);
	fx_unread(&f, STORE_SRC_SERVICE_DEFAULTS, "timeout");
	run1(&x, &f, NULL);
	expect(&x, "mode-per-service", "east", UNKNOWN, "timeout");
	done(&x);
}
END_TEST

START_TEST(exports_consumer_peer)
{
	struct fx f;
	struct run x;

	healthy(&f, 0, "east");
	fx_peering(&f, "west", "id-1", "", MODEL_PEERING_ACTIVE);
	fx_export(&f, "payments", "west");
	run1(&x, &f, NULL);
	expect(&x, "exports-consumer-peer", "east", OK, "payments -> west (ACTIVE)");
	done(&x);

	healthy(&f, 0, "east");
	fx_peering(&f, "west", "id-1", "", MODEL_PEERING_ACTIVE);
	fx_export(&f, "payments", "west");
	fx_export(&f, "orders", "wset");
	run1(&x, &f, NULL);
	const struct preflight_result *r = expect(&x, "exports-consumer-peer", "east", WARN,
	                                          "orders -> wset (no such peering)");
	ck_assert_str_eq(r->seen, "wset");
	done(&x);

	healthy(&f, 0, "east");
	run1(&x, &f, NULL);
	expect(&x, "exports-consumer-peer", "east", SKIP, "nothing is exported");
	done(&x);

	healthy(&f, 0, "east");
	fx_unread(&f, STORE_SRC_EXPORTS, "timeout");
	fx_unread(&f, STORE_SRC_KUBE_EXPORTS, "timeout");
	run1(&x, &f, NULL);
	expect(&x, "exports-consumer-peer", "east", UNKNOWN, "timeout");
	done(&x);
}
END_TEST

START_TEST(exports_partition)
{
	struct fx f;
	struct run x;

	healthy(&f, 0, "east");
	run1(&x, &f, NULL);
	expect(&x, "exports-partition", "east", SKIP, "not Enterprise");
	done(&x);

	healthy(&f, 0, "east");
	free(f.id->version);
	f.id->version = sdup("1.17.3+ent");
	f.id->enterprise = true;
	fx_export(&f, "payments", "west");
	run1(&x, &f, NULL);
	expect(&x, "exports-partition", "east", OK, "partition default");
	done(&x);

	/* The chart installed partition team-a; the entry is in default. */
	healthy(&f, 0, "east");
	f.id->enterprise = true;
	f.helm->admin_partitions_enabled = true;
	free(f.helm->admin_partition_name);
	f.helm->admin_partition_name = sdup("team-a");
	fx_export(&f, "payments", "west");
	run1(&x, &f, NULL);
	expect(&x, "exports-partition", "east", FAIL, "adminPartitions.name=team-a");
	done(&x);

	healthy(&f, 0, "east");
	f.s->has_identity = false;
	fx_unread(&f, STORE_SRC_IDENTITY, "timeout");
	run1(&x, &f, NULL);
	expect(&x, "exports-partition", "east", UNKNOWN, NULL);
	done(&x);

	/* Partitions read (config partitions): each exported service and
	 * each gateway names its partition (consul api/agent.go
	 * AgentService.Partition). ledger is exported from team-a, where no
	 * gateway is registered: the specification's Enterprise rule. */
	healthy(&f, 0, "east");
	f.id->enterprise = true;
	for (size_t i = 0; i < f.gateways->n; i++)
		f.gateways->v[i].partition = sdup("default");
	fx_export(&f, "web", "west");
	f.exports->services[0].partition = sdup("default");
	fx_export(&f, "ledger", "west");
	f.exports->services[1].partition = sdup("team-a");
	run1(&x, &f, NULL);
	expect(&x, "exports-partition", "east", FAIL,
	       "ledger is exported from partition team-a (exported-services entry team-a) but no "
	       "mesh gateway is registered there");
	ck_assert_msg(strstr(get(&x, "exports-partition", "east")->fix,
	                     "register a mesh gateway in partition team-a"),
	              "%s", get(&x, "exports-partition", "east")->fix);
	done(&x);

	/* A gateway in team-a too: the rule holds. */
	healthy(&f, 0, "east");
	f.id->enterprise = true;
	for (size_t i = 0; i < f.gateways->n; i++)
		f.gateways->v[i].partition = sdup("default");
	fx_gateway(&f, "mgw-team-a", MODEL_HEALTH_PASSING, "198.51.100.9:443")->partition =
	        sdup("team-a");
	fx_export(&f, "ledger", "west");
	f.exports->services[0].partition = sdup("team-a");
	run1(&x, &f, NULL);
	expect(&x, "exports-partition", "east", OK, "partitions default, team-a");
	done(&x);
}
END_TEST

START_TEST(exports_intentions)
{
	struct fx f;
	struct run x;
	struct preflight_intention in[] = {{"payments", "*", "west", true},
	                                   {"orders", "web", "west", false}};
	struct preflight_live live = {.intentions_known = true,
	                              .acl_default_policy = "deny",
	                              .intentions = in,
	                              .nintentions = 1};

	healthy(&f, 0, "east");
	fx_export(&f, "payments", "west");
	fx_unread(&f, STORE_SRC_INTENTIONS, "timeout");
	fx_unread(&f, STORE_SRC_KUBE_INTENTIONS, "timeout");
	run1(&x, &f, NULL);
	expect(&x, "exports-intentions", "east", UNKNOWN, "not fetched yet");
	done(&x);

	/* The pollers' service-intentions entries, with the default policy
	 * their read reported. */
	healthy(&f, 0, "east");
	fx_export(&f, "payments", "west");
	snprintf(f.intentions->default_policy, sizeof f.intentions->default_policy, "deny");
	run1(&x, &f, NULL);
	expect(&x, "exports-intentions", "east", FAIL,
	       "payments: no intention allows calls from peer west");
	done(&x);

	healthy(&f, 0, "east");
	fx_export(&f, "payments", "west");
	snprintf(f.intentions->default_policy, sizeof f.intentions->default_policy, "deny");
	f.intentions->v = calloc(1, sizeof *f.intentions->v);
	ck_assert_ptr_nonnull(f.intentions->v);
	f.intentions->n = 1;
	f.intentions->v[0].head.name = sdup("payments");
	f.intentions->v[0].sources = calloc(1, sizeof *f.intentions->v[0].sources);
	ck_assert_ptr_nonnull(f.intentions->v[0].sources);
	f.intentions->v[0].nsources = 1;
	f.intentions->v[0].sources[0].name = sdup("*");
	f.intentions->v[0].sources[0].peer = sdup("west");
	f.intentions->v[0].sources[0].action = MODEL_INTENTION_ALLOW;
	run1(&x, &f, NULL);
	expect(&x, "exports-intentions", "east", OK, "default policy deny");
	done(&x);

	healthy(&f, 0, "east");
	fx_export(&f, "payments", "west");
	run1(&x, &f, &live);
	expect(&x, "exports-intentions", "east", OK, "default ACL policy deny");
	done(&x);

	live.nintentions = 2;
	healthy(&f, 0, "east");
	fx_export(&f, "orders", "west");
	run1(&x, &f, &live);
	expect(&x, "exports-intentions", "east", FAIL,
	       "orders: no intention allows a source from "
	       "peer west (one denies it)");
	done(&x);

	live.acl_default_policy = NULL;
	healthy(&f, 0, "east");
	fx_export(&f, "orders", "west");
	run1(&x, &f, &live);
	expect(&x, "exports-intentions", "east", WARN, "not known");
	done(&x);

	healthy(&f, 0, "east");
	run1(&x, &f, &live);
	expect(&x, "exports-intentions", "east", SKIP, NULL);
	done(&x);
}
END_TEST

/* ------------------------------------------------------ Kubernetes checks */

START_TEST(consul_k8s_version)
{
	struct fx f;
	struct run x;
	struct preflight_live live = {.controller_image =
	                                      "hashicorp/consul-k8s-control-plane:0.49.8"};

	healthy(&f, 0, "east");
	run1(&x, &f, NULL);
	expect(&x, "consul-k8s-version", "east", OK,
	       "Helm release consul/consul (revision 3) chart consul-1.3.1");
	done(&x);

	healthy(&f, 0, "east");
	free(f.helm->chart_version);
	f.helm->chart_version = sdup("0.49.8");
	run1(&x, &f, NULL);
	const struct preflight_result *r = expect(&x, "consul-k8s-version", "east", FAIL, "0.49.8");
	ck_assert(strstr(r->fix, "--version 1.0.0"));
	done(&x);

	/* The Helm release unreadable: the controllers' image, once fetched. */
	fx_init(&f, 0, "east", "1.17.3", true);
	fx_unread(&f, STORE_SRC_KUBE_HELM, "secrets is forbidden");
	f.s->sources[STORE_SRC_KUBE_CONTROLLERS].state = MODEL_SOURCE_UNKNOWN;
	f.s->sources[STORE_SRC_KUBE_CONTROLLERS].last_ok_ns = 0;
	run1(&x, &f, NULL);
	r = expect(&x, "consul-k8s-version", "east", UNKNOWN, "secrets is forbidden");
	ck_assert_msg(strstr(r->evidence, "the consul-k8s controllers' image: the list of the "
	                                  "connect-injector Deployments has not answered yet"),
	              "%s", r->evidence);
	done(&x);
	fx_init(&f, 0, "east", "1.17.3", true);
	fx_unread(&f, STORE_SRC_KUBE_HELM, "secrets is forbidden");
	struct preflight_live nothing = {0};
	run1(&x, &f, &nothing);
	r = expect(&x, "consul-k8s-version", "east", UNKNOWN, "secrets is forbidden");
	ck_assert(strstr(r->evidence, "not fetched yet: the consul-k8s controllers' image"));
	done(&x);
	fx_init(&f, 0, "east", "1.17.3", true);
	fx_unread(&f, STORE_SRC_KUBE_HELM, "secrets is forbidden");
	run1(&x, &f, &live);
	expect(&x, "consul-k8s-version", "east", FAIL, "controllers' image");
	done(&x);

	fx_init(&f, 0, "east", "1.17.3", false);
	run1(&x, &f, NULL);
	expect(&x, "consul-k8s-version", "east", SKIP, "no Kubernetes context");
	done(&x);
}
END_TEST

/* The chart's defaults (hashicorp/consul-k8s charts/consul/values.yaml) are
 * in the release as chart.values; the decoder lays the user's over them. */
START_TEST(helm_values)
{
	static const char *const ids[] = {"helm-peering-enabled", "helm-tls-enabled",
	                                  "helm-mesh-gateway-enabled",
	                                  "helm-connect-inject-enabled"};
	static const char *const paths[] = {"global.peering.enabled", "global.tls.enabled",
	                                    "meshGateway.enabled", "connectInject.enabled"};
	struct fx f;
	struct run x;

	healthy(&f, 0, "east");
	run1(&x, &f, NULL);
	for (int i = 0; i < 4; i++)
		expect(&x, ids[i], "east", OK, paths[i]);
	expect(&x, "helm-mesh-gateway-replicas", "east", OK, "meshGateway.replicas=1");
	done(&x);

	for (int i = 0; i < 4; i++) {
		healthy(&f, 0, "east");
		bool *field[] = {&f.helm->peering_enabled, &f.helm->tls_enabled,
		                 &f.helm->mesh_gateway_enabled, &f.helm->connect_inject_enabled};
		*field[i] = false;
		run1(&x, &f, NULL);
		const struct preflight_result *r = expect(
		        &x, ids[i], "east", FAIL, "Helm release consul/consul (revision 3) values");
		ck_assert_str_eq(r->seen, "false");
		ck_assert(strstr(r->fix,
		                 "helm upgrade consul hashicorp/consul --kube-context kind-x "
		                 "-n consul --reuse-values --set"));
		ck_assert(strstr(r->fix, paths[i]));
		done(&x);
	}

	healthy(&f, 0, "east");
	f.helm->mesh_gateway_replicas = 0;
	run1(&x, &f, NULL);
	expect(&x, "helm-mesh-gateway-replicas", "east", FAIL, "meshGateway.replicas=0");
	done(&x);
	healthy(&f, 0, "east");
	f.helm->mesh_gateway_enabled = false;
	run1(&x, &f, NULL);
	expect(&x, "helm-mesh-gateway-replicas", "east", SKIP, NULL);
	done(&x);

	/* Unreadable: unknown, not fail. */
	fx_init(&f, 0, "east", "1.17.3", true);
	fx_unread(&f, STORE_SRC_KUBE_HELM,
	          "no deployed Helm release of the consul chart in namespace consul");
	run1(&x, &f, NULL);
	for (int i = 0; i < 4; i++)
		expect(&x, ids[i], "east", UNKNOWN, "no deployed Helm release");
	expect(&x, "helm-mesh-gateway-replicas", "east", UNKNOWN, NULL);
	done(&x);

	fx_init(&f, 0, "east", "1.17.3", false);
	run1(&x, &f, NULL);
	for (int i = 0; i < 4; i++)
		expect(&x, ids[i], "east", SKIP, NULL);
	done(&x);
}
END_TEST

/* The chart refuses admin partitions without Consul namespaces
 * (hashicorp/consul-k8s charts/consul/templates/connect-inject-deployment.yaml). */
START_TEST(helm_admin_partitions)
{
	struct fx f;
	struct run x;

	healthy(&f, 0, "east");
	run1(&x, &f, NULL);
	expect(&x, "helm-admin-partitions", "east", SKIP, "not Consul Enterprise");
	done(&x);

	healthy(&f, 0, "east");
	f.id->enterprise = true;
	run1(&x, &f, NULL);
	expect(&x, "helm-admin-partitions", "east", OK, "default partition");
	done(&x);

	healthy(&f, 0, "east");
	f.id->enterprise = true;
	f.helm->admin_partitions_enabled = true;
	run1(&x, &f, NULL);
	const struct preflight_result *r =
	        expect(&x, "helm-admin-partitions", "east", FAIL, "enableConsulNamespaces=false");
	ck_assert(strstr(r->fix, "global.enableConsulNamespaces=true"));
	done(&x);

	healthy(&f, 0, "east");
	f.id->enterprise = true;
	f.helm->admin_partitions_enabled = f.helm->consul_namespaces_enabled = true;
	run1(&x, &f, NULL);
	expect(&x, "helm-admin-partitions", "east", OK, "enableConsulNamespaces=true");
	done(&x);

	fx_init(&f, 0, "east", "1.17.3+ent", true);
	fx_unread(&f, STORE_SRC_KUBE_HELM, "timeout");
	run1(&x, &f, NULL);
	expect(&x, "helm-admin-partitions", "east", UNKNOWN, NULL);
	done(&x);

	/* Neither the agent nor the release read: the edition is not known. */
	fx_init(&f, 0, "east", "1.17.3", true);
	f.s->has_identity = false;
	fx_unread(&f, STORE_SRC_IDENTITY, "connection refused");
	fx_unread(&f, STORE_SRC_KUBE_HELM, "timeout");
	run1(&x, &f, NULL);
	expect(&x, "helm-admin-partitions", "east", UNKNOWN, "connection refused");
	done(&x);
}
END_TEST

START_TEST(crds)
{
	struct fx f;
	struct run x;

	healthy(&f, 0, "east");
	run1(&x, &f, NULL);
	expect(&x, "crds-peering", "east", OK, "peeringacceptors peeringdialers");
	expect(&x, "crds-config-entries", "east", OK, "meshes proxydefaults exportedservices");
	done(&x);

	healthy(&f, 0, "east");
	f.s->crds.peering_dialers = false;
	f.s->crds.exported_services = false;
	run1(&x, &f, NULL);
	const struct preflight_result *r =
	        expect(&x, "crds-peering", "east", FAIL, "; not peeringdialers");
	ck_assert(strstr(r->fix, "global.peering.enabled=true"));
	expect(&x, "crds-config-entries", "east", FAIL, "not exportedservices");
	done(&x);

	healthy(&f, 0, "east");
	f.s->crds = (struct store_crds){0};
	run1(&x, &f, NULL);
	expect(&x, "crds-peering", "east", FAIL, "not served");
	done(&x);

	healthy(&f, 0, "east");
	snprintf(f.s->crds.version, sizeof f.s->crds.version, "v2beta1");
	run1(&x, &f, NULL);
	expect(&x, "crds-peering", "east", WARN, "peerscope speaks v1alpha1");
	done(&x);

	healthy(&f, 0, "east");
	fx_unread(&f, STORE_SRC_KUBE_CRDS, "connection refused");
	run1(&x, &f, NULL);
	expect(&x, "crds-peering", "east", UNKNOWN, "connection refused");
	done(&x);

	fx_init(&f, 0, "east", "1.17.3", false);
	run1(&x, &f, NULL);
	expect(&x, "crds-config-entries", "east", SKIP, NULL);
	done(&x);
}
END_TEST

/* The acceptor webhook refuses a second acceptor with the same Secret on
 * CREATE only (hashicorp/consul-k8s control-plane/api/v1alpha1/
 * peeringacceptor_webhook.go); an update can still make two share one. */
START_TEST(acceptor_secret_shared)
{
	struct fx f;
	struct run x;

	healthy(&f, 0, "east");
	fx_cr(&f, MODEL_PEERING_ACCEPTOR, "west", "token-west", "data");
	fx_cr(&f, MODEL_PEERING_ACCEPTOR, "south", "token-south", "data");
	run1(&x, &f, NULL);
	expect(&x, "acceptor-secret-shared", "east", OK, "2 PeeringAcceptors");
	done(&x);

	healthy(&f, 0, "east");
	fx_cr(&f, MODEL_PEERING_ACCEPTOR, "west", "peering-token", "data");
	fx_cr(&f, MODEL_PEERING_ACCEPTOR, "south", "peering-token", "data");
	run1(&x, &f, NULL);
	const struct preflight_result *r = expect(&x, "acceptor-secret-shared", "east", FAIL,
	                                          "west and south (namespace consul) both write "
	                                          "Secret peering-token");
	ck_assert(strstr(r->fix, "edit peeringacceptor south"));
	done(&x);

	healthy(&f, 0, "east");
	run1(&x, &f, NULL);
	expect(&x, "acceptor-secret-shared", "east", SKIP, "no PeeringAcceptor");
	done(&x);

	healthy(&f, 0, "east");
	fx_unread(&f, STORE_SRC_KUBE_ACCEPTORS, "forbidden");
	run1(&x, &f, NULL);
	expect(&x, "acceptor-secret-shared", "east", UNKNOWN, "forbidden");
	done(&x);
}
END_TEST

START_TEST(peer_name)
{
	struct fx f;
	struct run x;

	healthy(&f, 0, "east");
	fx_cr(&f, MODEL_PEERING_ACCEPTOR, "west", "t", "data");
	fx_export(&f, "payments", "west");
	run1(&x, &f, NULL);
	expect(&x, "peer-name", "east", OK, "2 peer names");
	done(&x);

	/* Kubernetes takes the name; Consul refuses it. */
	healthy(&f, 0, "east");
	fx_cr(&f, MODEL_PEERING_DIALER, "Cluster_02.prod", "t", "data");
	run1(&x, &f, NULL);
	const struct preflight_result *r =
	        expect(&x, "peer-name", "east", FAIL, "PeeringDialer consul/Cluster_02.prod");
	ck_assert(strstr(r->fix, "as cluster-02-prod"));
	done(&x);

	fx_init(&f, 0, "east", "1.17.3", false);
	fx_export(&f, "payments", "West");
	run1(&x, &f, NULL);
	expect(&x, "peer-name", "east", FAIL, "consumer peer of exported-services entry default");
	done(&x);

	fx_init(&f, 0, "east", "1.17.3", false);
	run1(&x, &f, NULL);
	expect(&x, "peer-name", "east", SKIP, NULL);
	done(&x);

	healthy(&f, 0, "east");
	fx_unread(&f, STORE_SRC_KUBE_DIALERS, "forbidden");
	run1(&x, &f, NULL);
	expect(&x, "peer-name", "east", UNKNOWN, "forbidden");
	done(&x);
}
END_TEST

/* --------------------------------------------------------------- access */

static struct model_acl_check acl(const char *resource, const char *segment, const char *access,
                                  bool allow)
{
	return (struct model_acl_check){sdup(resource), sdup(segment), sdup(access), allow};
}

START_TEST(acl_checks)
{
	struct fx f;
	struct run x;
	struct model_acl_token tok = {.accessor_id = sdup("a1b2"),
	                              .description = sdup("peerscope")};
	struct model_acl_link *pol = calloc(1, sizeof *pol);
	struct model_acl_check gw_checks[] = {acl("service", "mesh-gateway", "write", true),
	                                      acl("service", "", "read", true),
	                                      acl("mesh", "", "write", false)};
	struct model_acl_check own_checks[] = {acl("mesh", "", "write", false)};
	struct preflight_principal who[] = {{"peerscope's token", false, &tok, NULL, own_checks, 1},
	                                    {"mesh gateway token", true, NULL, NULL, gw_checks, 3}};
	struct preflight_live live = {
	        .acl_known = true, .acl_enabled = true, .principals = who, .nprincipals = 2};

	ck_assert_ptr_nonnull(pol);
	pol->id = sdup("p1");
	pol->name = sdup("peerscope-read");
	tok.policies = pol;
	tok.npolicies = 1;
	healthy(&f, 0, "east");
	run1(&x, &f, &(struct preflight_live){0});
	expect(&x, "acl-token", "east", UNKNOWN, "not fetched yet: GET /v1/acl/token/self");
	expect(&x, "acl-service-write", "east", UNKNOWN, "not fetched yet");
	expect(&x, "acl-service-read", "east", UNKNOWN, "not fetched yet");
	expect(&x, "acl-mesh-write", "east", UNKNOWN, "not fetched yet");
	done(&x);

	healthy(&f, 0, "east");
	run1(&x, &f, &live);
	expect(&x, "acl-token", "east", OK, "AccessorID a1b2, peerscope; policies peerscope-read");
	expect(&x, "acl-service-write", "east", OK, "mesh gateway token allowed");
	expect(&x, "acl-service-read", "east", OK, NULL);
	const struct preflight_result *r =
	        expect(&x, "acl-mesh-write", "east", FAIL, "mesh gateway token denied");
	ck_assert(strstr(r->fix, "mesh = \"write\""));
	done(&x);

	/* Only peerscope's own token denied: its operations will be refused. */
	gw_checks[2].allow = true;
	healthy(&f, 0, "east");
	run1(&x, &f, &live);
	expect(&x, "acl-mesh-write", "east", WARN, "peerscope's token denied");
	done(&x);

	who[0].token = NULL;
	who[0].error = "ACL not found";
	healthy(&f, 0, "east");
	run1(&x, &f, &live);
	expect(&x, "acl-token", "east", FAIL, "ACL not found");
	done(&x);

	live.acl_enabled = false;
	healthy(&f, 0, "east");
	run1(&x, &f, &live);
	expect(&x, "acl-token", "east", SKIP, "ACLs are disabled");
	expect(&x, "acl-mesh-write", "east", SKIP, NULL);
	done(&x);
	model_acl_token_clear(&tok);
	for (int i = 0; i < 3; i++)
		model_acl_check_clear(&gw_checks[i]);
	model_acl_check_clear(&own_checks[0]);
}
END_TEST

START_TEST(rbac_checks)
{
	static const char *const res[] = {"peeringacceptors", "peeringdialers", "secrets"};
	static const char *const verbs[] = {"get",    "list",  "watch", "create",
	                                    "update", "patch", "delete"};
	struct preflight_access acc[22];
	struct fx f;
	struct run x;
	size_t n = 0;

	for (int r = 0; r < 3; r++)
		for (int v = 0; v < 7; v++)
			acc[n++] = (struct preflight_access){
			        verbs[v], r < 2 ? "consul.hashicorp.com" : "", res[r], "", true};
	acc[n++] = (struct preflight_access){"get", "", "services", "proxy", true};
	struct preflight_live live = {.access_known = true, .access = acc, .naccess = n};

	healthy(&f, 0, "east");
	run1(&x, &f, NULL);
	expect(&x, "rbac-peering", "east", UNKNOWN, "not fetched yet: access reviews");
	expect(&x, "rbac-config-entries", "east", UNKNOWN, "not fetched yet");
	expect(&x, "rbac-service-proxy", "east", UNKNOWN, "not fetched yet");
	done(&x);

	healthy(&f, 0, "east");
	run1(&x, &f, &live);
	expect(&x, "rbac-peering", "east", OK, "21 verbs allowed");
	expect(&x, "rbac-service-proxy", "east", OK, "1 verb allowed");
	/* Nothing asked about these resources: not known. */
	expect(&x, "rbac-config-entries", "east", UNKNOWN, NULL);
	done(&x);

	acc[3].allowed = false; /* create peeringacceptors */
	healthy(&f, 0, "east");
	run1(&x, &f, &live);
	const struct preflight_result *r =
	        expect(&x, "rbac-peering", "east", WARN, "create peeringacceptors denied");
	ck_assert(strstr(r->fix, "create role peerscope"));
	done(&x);

	acc[14].allowed = false; /* get secrets */
	acc[21].allowed = false; /* get services/proxy */
	healthy(&f, 0, "east");
	run1(&x, &f, &live);
	expect(&x, "rbac-peering", "east", FAIL, "get secrets denied");
	expect(&x, "rbac-service-proxy", "east", FAIL, "get services/proxy denied");
	done(&x);

	fx_init(&f, 0, "east", "1.17.3", true);
	f.s->consul_via_proxy = false;
	run1(&x, &f, &live);
	expect(&x, "rbac-service-proxy", "east", SKIP, "reached directly");
	done(&x);

	fx_init(&f, 0, "east", "1.17.3", false);
	run1(&x, &f, &live);
	expect(&x, "rbac-peering", "east", SKIP, "no Kubernetes context");
	done(&x);
}
END_TEST

/* ------------------------------------------- live data from the snapshots */

/* peerscope's token as the poller reads it (src/poller_checks.c): token/self
 * and the authorize answers, in the order asked. */
static struct model_acl_principal *fx_own(struct fx *f, bool peering_write, bool mesh_write)
{
	struct model_acl_principal *p = calloc(1, sizeof *p);

	ck_assert_ptr_nonnull(p);
	f->acl->acl_enabled = true;
	f->acl->principals = p;
	f->acl->nprincipals = 1;
	p->who = sdup("peerscope's token");
	p->has_token = true;
	p->token.accessor_id = sdup("0b9e");
	p->token.description = sdup("peerscope dashboard");
	p->checks = calloc(5, sizeof *p->checks);
	ck_assert_ptr_nonnull(p->checks);
	p->checks[0] = acl("service", "mesh-gateway", "write", true);
	p->checks[1] = acl("service", "", "read", true);
	p->checks[2] = acl("mesh", "", "write", mesh_write);
	p->checks[3] = acl("peering", "", "read", true);
	p->checks[4] = acl("peering", "", "write", peering_write);
	p->nchecks = 5;
	return p;
}

/* The servers' versions come from GET /v1/agent/members, each server's
 * Tags.build (agent/agent.go newConsulConfig: "<version>:<revision>"); a
 * member the token may not read is left out (agent/acl.go filterMembers:
 * node:read). */
START_TEST(servers_versions_live)
{
	struct fx f;
	struct run x;

	healthy(&f, 0, "east");
	ck_assert_int_eq(model_meta_set(&f.acl->servers, "consul-server-1", "1.13.9"), 0);
	run1(&x, &f, NULL);
	const struct preflight_result *r = expect(&x, "consul-version", "east", FAIL,
	                                          "server consul-server-1 runs Consul 1.13.9");
	ck_assert_str_eq(r->seen, "1.13.9");
	done(&x);

	healthy(&f, 0, "east");
	ck_assert_int_eq(model_meta_set(&f.acl->servers, "consul-server-1", "1.17.3"), 0);
	run1(&x, &f, NULL);
	expect(&x, "consul-version", "east", OK, "every server (2) runs 1.14 or later");
	done(&x);

	/* The members refused or filtered: unknown, saying why. */
	healthy(&f, 0, "east");
	model_meta_clear(&f.acl->servers);
	f.acl->servers_known = false;
	f.acl->acl_enabled = true;
	f.acl->servers_error = sdup("GET /v1/agent/members lists no server this token may read "
	                            "(node:read on the servers' nodes)");
	run1(&x, &f, NULL);
	r = expect(&x, "consul-version", "east", UNKNOWN, "lists no server this token may read");
	ck_assert(strstr(r->fix, "node_prefix"));
	done(&x);

	/* The acl source never answered: its error. */
	healthy(&f, 0, "east");
	fx_unread(&f, STORE_SRC_ACL, "east: GET /v1/agent/members: connection refused");
	run1(&x, &f, NULL);
	expect(&x, "consul-version", "east", UNKNOWN, "connection refused");
	done(&x);
}
END_TEST

/* GET /v1/acl/token/self answers 401 "ACL support disabled" when ACLs are
 * off and 403 "ACL not found" for a token Consul does not know; POST
 * /v1/internal/acl/authorize answers each {Resource, Segment, Access} with
 * Allow (consul agent/acl_endpoint.go ACLTokenSelf, ACLAuthorize; agent/
 * structs/acl.go CreateACLAuthorizationResponses). Peering and mesh fall
 * back on the operator rule (acl/policy_authorizer.go PeeringWrite). */
START_TEST(acl_live)
{
	struct fx f;
	struct run x;

	/* ACLs off: every ACL check is skipped. */
	healthy(&f, 0, "east");
	run1(&x, &f, NULL);
	expect(&x, "acl-token", "east", SKIP, "ACLs are disabled");
	expect(&x, "acl-mesh-write", "east", SKIP, NULL);
	done(&x);

	/* The dashboard's token: known, may write peerings; the gateways'
	 * token lives in the gateway pods: with global.acls.manageSystemACLs
	 * each logs in through <fullname>-k8s-component-auth-method
	 * (consul-k8s charts/consul/templates/mesh-gateway-deployment.yaml,
	 * -login-auth-method) into the role <fullname>-mesh-gateway-acl-role
	 * (control-plane/subcommand/server-acl-init/create_or_update.go). */
	healthy(&f, 0, "east");
	fx_own(&f, true, true);
	f.helm->manage_system_acls = true;
	run1(&x, &f, NULL);
	expect(&x, "acl-token", "east", OK,
	       "AccessorID 0b9e, peerscope dashboard; peering:write allowed");
	const struct preflight_result *r =
	        expect(&x, "acl-mesh-write", "east", UNKNOWN, "peerscope's token allowed");
	ck_assert(strstr(r->evidence, "consul-k8s-component-auth-method"));
	ck_assert(strstr(r->fix, "consul acl role read -name consul-mesh-gateway-acl-role"));
	expect(&x, "acl-service-write", "east", UNKNOWN, "the mesh gateways' token cannot be read");
	done(&x);

	/* A read-only token: no mesh:write (warns), no peering:write (warns
	 * unless the cluster is read-only). */
	healthy(&f, 0, "east");
	fx_own(&f, false, false);
	run1(&x, &f, NULL);
	r = expect(&x, "acl-token", "east", WARN, "peering:write denied");
	ck_assert(strstr(r->fix, "peering = \"write\""));
	r = expect(&x, "acl-mesh-write", "east", WARN, "peerscope's token denied");
	ck_assert(strstr(r->fix, "mesh = \"write\""));
	done(&x);
	healthy(&f, 0, "east");
	fx_own(&f, false, true);
	f.s->readonly = true;
	run1(&x, &f, NULL);
	expect(&x, "acl-token", "east", OK, "AccessorID 0b9e");
	done(&x);

	/* A token Consul does not know. */
	healthy(&f, 0, "east");
	struct model_acl_principal *p = fx_own(&f, true, true);
	model_acl_token_clear(&p->token);
	p->has_token = false;
	p->error = sdup("GET /v1/acl/token/self: HTTP 403: ACL not found");
	run1(&x, &f, NULL);
	expect(&x, "acl-token", "east", FAIL, "HTTP 403: ACL not found");
	done(&x);

	/* The source has not answered yet. */
	healthy(&f, 0, "east");
	f.s->sources[STORE_SRC_ACL].last_ok_ns = 0;
	f.s->sources[STORE_SRC_ACL].state = MODEL_SOURCE_UNKNOWN;
	run1(&x, &f, NULL);
	expect(&x, "acl-token", "east", UNKNOWN, "GET /v1/acl/token/self has not answered yet");
	done(&x);
}
END_TEST

/* SelfSubjectAccessReview answers status.allowed for the caller
 * (doc/api-contract.md §7.6); the poller asks list and watch cluster-wide,
 * the other verbs in the cluster's namespace. */
START_TEST(access_live)
{
	static const char *const res[] = {"peeringacceptors", "peeringdialers", "secrets"};
	static const char *const verbs[] = {"get",    "list",  "watch", "create",
	                                    "update", "patch", "delete"};
	struct fx f;
	struct run x;
	struct model_kube_access *a;

	healthy(&f, 0, "east");
	run1(&x, &f, NULL);
	expect(&x, "rbac-peering", "east", UNKNOWN, "not fetched yet");
	done(&x);

	healthy(&f, 0, "east");
	fx_done(&f);
	a = calloc(1, sizeof *a);
	ck_assert_ptr_nonnull(a);
	a->reviews = calloc(21, sizeof *a->reviews);
	ck_assert_ptr_nonnull(a->reviews);
	for (int r = 0; r < 3; r++)
		for (int v = 0; v < 7; v++) {
			struct model_access_review *m = &a->reviews[a->nreviews++];
			*m = (struct model_access_review){
			        sdup(verbs[v]), sdup(r < 2 ? "consul.hashicorp.com" : ""),
			        sdup(res[r]),   sdup(""),
			        sdup("consul"), !(r == 2 && v == 3)};
		}
	a->reviews_known = true;
	struct store_part *part = store_part_kube_access(a);
	f.s->kube_access = store_hold(f.s, STORE_SRC_KUBE_ACCESS, part);
	store_part_unref(part);
	memset(&x, 0, sizeof x);
	x.s[0] = f.s;
	x.n = 1;
	run_with(&x, NULL, NULL);
	expect(&x, "rbac-peering", "east", WARN, "create secrets denied");
	/* The Helm release was read: its chart version wins over the image. */
	expect(&x, "consul-k8s-version", "east", OK, "chart consul-1.3.1");
	done(&x);

	/* The reviews themselves refused, the Helm release unreadable, and
	 * the Deployments forbidden: unknown, each saying why. */
	fx_init(&f, 0, "east", "1.17.3", true);
	fx_unread(&f, STORE_SRC_KUBE_HELM, "secrets is forbidden");
	fx_no_injector(&f,
	               "HTTP 403: deployments.apps is forbidden: User \"peerscope\" cannot list "
	               "resource");
	fx_done(&f);
	a = calloc(1, sizeof *a);
	ck_assert_ptr_nonnull(a);
	a->reviews_error = sdup("POST /apis/authorization.k8s.io/v1/selfsubjectaccessreviews: "
	                        "HTTP 403: forbidden");
	part = store_part_kube_access(a);
	f.s->kube_access = store_hold(f.s, STORE_SRC_KUBE_ACCESS, part);
	store_part_unref(part);
	memset(&x, 0, sizeof x);
	x.s[0] = f.s;
	x.n = 1;
	run_with(&x, NULL, NULL);
	expect(&x, "rbac-peering", "east", UNKNOWN, "selfsubjectaccessreviews: HTTP 403");
	const struct preflight_result *r =
	        expect(&x, "consul-k8s-version", "east", UNKNOWN, "deployments.apps is forbidden");
	ck_assert(strstr(r->evidence, "secrets is forbidden"));
	done(&x);

	/* The Helm release unreadable: the connect-injector's image decides. */
	fx_init(&f, 0, "east", "1.17.3", true);
	fx_unread(&f, STORE_SRC_KUBE_HELM, "secrets is forbidden");
	free(f.ctl->v[0].image);
	f.ctl->v[0].image = sdup("hashicorp/consul-k8s-control-plane:0.49.8");
	run1(&x, &f, NULL);
	expect(&x, "consul-k8s-version", "east", FAIL,
	       "image hashicorp/consul-k8s-control-plane:0.49.8 in Deployment "
	       "consul/consul-connect-injector");
	done(&x);
}
END_TEST

/* ------------------------------------------------------------------ pairs */

/* Two clusters peered the consul-k8s way: east accepts, west dials. */
static void peered(struct fx *east, struct fx *west, enum model_peering_state es,
                   enum model_peering_state ws)
{
	healthy(east, 0, "east");
	healthy(west, 1, "west");
	fx_peering(east, "west", "id-a", "", es);
	fx_cr(east, MODEL_PEERING_ACCEPTOR, "west", "peering-token", "data");
	fx_secret(east, "peering-token", "data");
	fx_peering(west, "east", "id-d", "id-a", ws);
	fx_cr(west, MODEL_PEERING_DIALER, "east", "peering-token", "data");
	fx_secret(west, "peering-token", "data");
}

START_TEST(pair_versions)
{
	struct fx a, b;
	struct run x;

	peered(&a, &b, MODEL_PEERING_ACTIVE, MODEL_PEERING_ACTIVE);
	run2(&x, &a, &b, NULL);
	expect(&x, "pair-versions", "east|west", OK,
	       "east Consul 1.17.3, consul-k8s 1.3.1; west Consul 1.17.3");
	done(&x);

	peered(&a, &b, MODEL_PEERING_ACTIVE, MODEL_PEERING_ACTIVE);
	free(b.id->version);
	b.id->version = sdup("1.13.9");
	run2(&x, &a, &b, NULL);
	expect(&x, "pair-versions", "east|west", FAIL, "west Consul 1.13.9");
	done(&x);

	peered(&a, &b, MODEL_PEERING_ACTIVE, MODEL_PEERING_ACTIVE);
	b.s->has_identity = false;
	run2(&x, &a, &b, NULL);
	expect(&x, "pair-versions", "east|west", UNKNOWN, "west Consul not read");
	done(&x);

	/* A peer outside the configuration: nothing to compare. */
	healthy(&a, 0, "east");
	fx_peering(&a, "sandbox", "id-s", "", MODEL_PEERING_ACTIVE);
	run1(&x, &a, NULL);
	expect(&x, "pair-versions", "east/sandbox|", SKIP, "not a configured cluster");
	done(&x);
}
END_TEST

/* A result's texts are one block of their own length, each right after
 * the one before (a result once held six buffers of their longest, 1.6 KB,
 * and a report at 8 clusters 1.6 MB of them). */
static void own_texts(const struct preflight_result *x)
{
	const char *t[6] = {x->subject, x->path, x->seen, x->required, x->evidence, x->fix};

	ck_assert_ptr_eq(t[0], x->text_);
	for (int k = 1; k < 6; k++)
		ck_assert_ptr_eq(t[k], t[k - 1] + strlen(t[k - 1]) + 1);
}

/* The memo's report is the full run's, result for result. */
static void same_report(const struct preflight_report *a, const struct preflight_report *b)
{
	ck_assert_uint_eq(a->n, b->n);
	for (size_t i = 0; i < a->n; i++) {
		ck_assert_str_eq(a->v[i].check->id, b->v[i].check->id);
		ck_assert_str_eq(a->v[i].subject, b->v[i].subject);
		ck_assert_int_eq(a->v[i].verdict, b->v[i].verdict);
		ck_assert_str_eq(a->v[i].path, b->v[i].path);
		ck_assert_str_eq(a->v[i].seen, b->v[i].seen);
		ck_assert_str_eq(a->v[i].required, b->v[i].required);
		ck_assert_str_eq(a->v[i].evidence, b->v[i].evidence);
		ck_assert_str_eq(a->v[i].fix, b->v[i].fix);
		own_texts(&a->v[i]);
		own_texts(&b->v[i]);
	}
}

/* Runs the memo on X's snapshots (joined with cache C) and compares with a
 * run from nothing; returns how many results the memo computed. */
static size_t memo_round(struct preflight_memo *m, struct join_cache *c, struct run *x)
{
	const struct store_snapshot *const *cs = (const struct store_snapshot *const *)x->s;
	size_t before = preflight_memo_reran(m);

	join_view_free(&x->jv);
	ck_assert_int_eq(join_build_cached(c, cs, x->n, NOW, NULL, &x->jv), 0);
	struct preflight_input in = {cs, x->n, &x->jv, NULL, NOW, NULL};
	const struct preflight_report *r = preflight_memo_run(m, &in);
	ck_assert_ptr_nonnull(r);
	preflight_report_free(&x->r);
	ck_assert_int_eq(preflight_run(&in, &x->r), 0);
	same_report(r, &x->r);
	return preflight_memo_reran(m) - before;
}

/* A snapshot of F's cluster like S with its gateways replaced by one
 * instance of health H. */
static struct store_snapshot *with_gateway(const struct store_snapshot *s, enum model_health h)
{
	struct store_snapshot *d = store_snapshot_derive(s);
	struct model_instance_list *l = calloc(1, sizeof *l);
	ck_assert(d && l);
	l->v = calloc(1, sizeof *l->v);
	ck_assert_ptr_nonnull(l->v);
	l->n = 1;
	l->v[0].service_id = sdup("mesh-gateway-1");
	l->v[0].node = sdup("n");
	l->v[0].health = h;
	l->v[0].wan.address = sdup("198.51.100.10");
	l->v[0].wan.port = 443;
	struct store_part *p = store_part_instances(l);
	d->gateways = store_hold(d, STORE_SRC_GATEWAYS, p);
	store_part_unref(p);
	return d;
}

/* A snapshot like S with its mesh entry's PeerThroughMeshGateways PTMG. */
static struct store_snapshot *with_mesh(const struct store_snapshot *s, bool ptmg)
{
	struct store_snapshot *d = store_snapshot_derive(s);
	struct model_mesh_entry *m = calloc(1, sizeof *m);
	ck_assert(d && m);
	m->head.name = sdup("mesh");
	m->peer_through_mesh_gateways = ptmg;
	struct store_part *p = store_part_mesh(m);
	d->mesh = store_hold(d, STORE_SRC_MESH, p);
	d->has_mesh = true;
	store_part_unref(p);
	return d;
}

/* A snapshot like S whose peerings' streams heard from their peers again:
 * the same data but for the stream times. */
static struct store_snapshot *with_new_heartbeats(const struct store_snapshot *s)
{
	struct store_snapshot *d = store_snapshot_derive(s);
	struct model_peering_list *l = calloc(1, sizeof *l);
	ck_assert(d && l && s->peerings);
	l->v = calloc(s->peerings->n ? s->peerings->n : 1, sizeof *l->v);
	ck_assert_ptr_nonnull(l->v);
	for (size_t i = 0; i < s->peerings->n; i++, l->n++) {
		ck_assert_int_eq(model_peering_copy(&l->v[i], &s->peerings->v[i]), 0);
		struct model_stream_status *st = &l->v[i].stream;
		st->last_heartbeat_ns += st->last_heartbeat_ns ? SEC : 0;
		st->last_receive_ns += st->last_receive_ns ? SEC : 0;
		st->last_send_ns += st->last_send_ns ? SEC : 0;
	}
	struct store_part *p = store_part_peerings(l);
	d->peerings = store_hold(d, STORE_SRC_PEERINGS, p);
	store_part_unref(p);
	ck_assert(!store_snapshot_same(s, d) && store_snapshot_same_but_times(s, d));
	return d;
}

/* A snapshot like S whose services list is one local service NAME. */
static struct store_snapshot *with_service(const struct store_snapshot *s, const char *name)
{
	struct store_snapshot *d = store_snapshot_derive(s);
	struct model_service_summary_list *l = calloc(1, sizeof *l);
	ck_assert(d && l);
	l->v = calloc(1, sizeof *l->v);
	ck_assert_ptr_nonnull(l->v);
	l->n = 1;
	l->v[0].name = sdup(name);
	l->v[0].kind = sdup("");
	l->v[0].datacenter = sdup(s->identity->datacenter);
	l->v[0].peer_name = sdup("");
	l->v[0].partition = sdup("");
	l->v[0].ns = sdup("");
	l->v[0].instance_count = 1;
	struct store_part *p = store_part_services(l);
	d->services = store_hold(d, STORE_SRC_SERVICES, p);
	store_part_unref(p);
	return d;
}

/* The dashboard checks again after every change: the results of clusters
 * and pairs the change did not touch are reused, and the report is the one
 * a run from nothing gives. */
START_TEST(memo_reruns_what_changed)
{
	struct fx a, b, c;
	struct run x;
	struct preflight_memo *m = preflight_memo_new();
	struct join_cache *jc = join_cache_new();
	size_t nc = 0, np = 0;

	ck_assert(m && jc);
	for (size_t i = 0; i < preflight_check_count(); i++) {
		nc += preflight_check_at(i)->scope == PREFLIGHT_CLUSTER;
		np += preflight_check_at(i)->scope == PREFLIGHT_PAIR;
	}
	peered(&a, &b, MODEL_PEERING_ACTIVE, MODEL_PEERING_ACTIVE);
	healthy(&c, 2, "lab");
	memset(&x, 0, sizeof x);
	x.s[0] = fx_done(&a);
	x.s[1] = fx_done(&b);
	x.s[2] = fx_done(&c);
	x.n = 3;
	ck_assert_uint_eq(memo_round(m, jc, &x), 3 * nc + np);
	/* Nothing new: nothing runs. */
	ck_assert_uint_eq(memo_round(m, jc, &x), 0);
	/* New heartbeats on both ends, as every stream poll brings: no check
	 * reads the stream times, nothing runs. */
	for (int i = 0; i < 2; i++) {
		struct store_snapshot *t = with_new_heartbeats(x.s[i]);
		store_snapshot_unref(x.s[i]);
		x.s[i] = t;
	}
	ck_assert_uint_eq(memo_round(m, jc, &x), 0);
	/* lab stops peering through its gateways: lab's cluster checks only. */
	struct store_snapshot *d = with_mesh(x.s[2], false);
	store_snapshot_unref(x.s[2]);
	x.s[2] = d;
	ck_assert_uint_eq(memo_round(m, jc, &x), nc);
	expect(&x, "mesh-peer-through-gateways", "lab", WARN, NULL);
	/* A new services list on lab: the join makes the exports again, but
	 * those crossing the pair are the same: lab's cluster checks only. */
	size_t built = join_cache_stats(jc).exports_builds;
	d = with_service(x.s[2], "cache");
	store_snapshot_unref(x.s[2]);
	x.s[2] = d;
	ck_assert_uint_eq(memo_round(m, jc, &x), nc);
	ck_assert_uint_eq(join_cache_stats(jc).exports_builds, built + 1);
	/* west's gateway goes critical: west's cluster checks and its pair's. */
	d = with_gateway(x.s[1], MODEL_HEALTH_CRITICAL);
	store_snapshot_unref(x.s[1]);
	x.s[1] = d;
	ck_assert_uint_eq(memo_round(m, jc, &x), nc + np);
	expect(&x, "gateway-passing", "west", FAIL, NULL);
	/* A run that reused results remembers what it was made from: the
	 * same snapshots again run nothing, and the gateway back runs west's
	 * checks and its pair's, whose problem is gone. */
	ck_assert_uint_eq(memo_round(m, jc, &x), 0);
	d = with_gateway(x.s[1], MODEL_HEALTH_PASSING);
	store_snapshot_unref(x.s[1]);
	x.s[1] = d;
	ck_assert_uint_eq(memo_round(m, jc, &x), nc + np);
	expect(&x, "gateway-passing", "west", OK, NULL);
	ck_assert_uint_eq(memo_round(m, jc, &x), 0);
	done(&x);
	preflight_memo_free(m);
	join_cache_free(jc);
}
END_TEST

START_TEST(pair_peer_through_gateways)
{
	struct fx a, b;
	struct run x;

	peered(&a, &b, MODEL_PEERING_ACTIVE, MODEL_PEERING_ACTIVE);
	run2(&x, &a, &b, NULL);
	expect(&x, "pair-peer-through-gateways", "east|west", OK, "east true, west true");
	done(&x);

	peered(&a, &b, MODEL_PEERING_ACTIVE, MODEL_PEERING_ACTIVE);
	b.mesh->peer_through_mesh_gateways = false;
	run2(&x, &a, &b, NULL);
	const struct preflight_result *r = expect(&x, "pair-peer-through-gateways", "east|west",
	                                          WARN, "east true, west false");
	ck_assert(strstr(r->fix, "on west, as on east"));
	done(&x);

	peered(&a, &b, MODEL_PEERING_ACTIVE, MODEL_PEERING_ACTIVE);
	fx_unread(&b, STORE_SRC_MESH, "timeout");
	fx_unread(&b, STORE_SRC_KUBE_MESHES, "timeout");
	run2(&x, &a, &b, NULL);
	expect(&x, "pair-peer-through-gateways", "east|west", UNKNOWN, "west");
	done(&x);
}
END_TEST

START_TEST(exports_imported)
{
	struct fx a, b;
	struct run x;

	peered(&a, &b, MODEL_PEERING_ACTIVE, MODEL_PEERING_ACTIVE);
	fx_export(&a, "payments", "west");
	fx_service(&b, "payments", "east", 2);
	run2(&x, &a, &b, NULL);
	expect(&x, "exports-imported", "east|west", OK, "payments east -> west imported (2/2)");
	done(&x);

	peered(&a, &b, MODEL_PEERING_ACTIVE, MODEL_PEERING_ACTIVE);
	fx_export(&a, "payments", "west");
	fx_export(&b, "orders", "east");
	fx_service(&b, "payments", "east", 2);
	run2(&x, &a, &b, NULL);
	const struct preflight_result *r = expect(&x, "exports-imported", "east|west", WARN,
	                                          "orders west -> east not imported");
	ck_assert_str_eq(r->seen, "1 of 2 imported");
	done(&x);

	peered(&a, &b, MODEL_PEERING_ACTIVE, MODEL_PEERING_PENDING);
	fx_export(&a, "payments", "west");
	run2(&x, &a, &b, NULL);
	expect(&x, "exports-imported", "east|west", SKIP, "PENDING on west");
	done(&x);

	peered(&a, &b, MODEL_PEERING_ACTIVE, MODEL_PEERING_ACTIVE);
	run2(&x, &a, &b, NULL);
	expect(&x, "exports-imported", "east|west", SKIP, "nothing is exported");
	done(&x);
}
END_TEST

/* A dialer acts on its spec Secret only (hashicorp/consul-k8s
 * control-plane/connect-inject/controllers/peering/
 * peering_dialer_controller.go): a missing Secret or key stops it, and a
 * Secret without the peering-token label is not watched. */
START_TEST(dialer_secret)
{
	struct fx a, b;
	struct run x;

	peered(&a, &b, MODEL_PEERING_ACTIVE, MODEL_PEERING_ACTIVE);
	run2(&x, &a, &b, NULL);
	expect(&x, "dialer-secret", "east|west", OK,
	       "Secret consul/peering-token on west has key data");
	done(&x);

	peered(&a, &b, MODEL_PEERING_ACTIVE, MODEL_PEERING_ACTIVE);
	b.secrets->n = 0;
	model_kube_secret_clear(&b.secrets->v[0]);
	run2(&x, &a, &b, NULL);
	const struct preflight_result *r =
	        expect(&x, "dialer-secret", "east|west", FAIL, "no such Secret on west");
	ck_assert(strstr(r->fix, "copy the token Secret from east"));
	done(&x);

	peered(&a, &b, MODEL_PEERING_ACTIVE, MODEL_PEERING_ACTIVE);
	free(b.dialers->v[0].spec_secret.key);
	b.dialers->v[0].spec_secret.key = sdup("token");
	run2(&x, &a, &b, NULL);
	expect(&x, "dialer-secret", "east|west", FAIL, "has no key token (keys: data)");
	done(&x);

	/* The copy carries an older version than the acceptor generated since. */
	peered(&a, &b, MODEL_PEERING_ACTIVE, MODEL_PEERING_ACTIVE);
	a.acceptors->v[0].has_latest_version = true;
	a.acceptors->v[0].latest_version = 3;
	b.secrets->v[0].meta.peering_version = sdup("2");
	run2(&x, &a, &b, NULL);
	expect(&x, "dialer-secret", "east|west", FAIL,
	       "carries peering-version 2; PeeringAcceptor west on east is at "
	       "latestPeeringVersion 3");
	done(&x);

	peered(&a, &b, MODEL_PEERING_ACTIVE, MODEL_PEERING_ACTIVE);
	b.secrets->v[0].token_label = false;
	run2(&x, &a, &b, NULL);
	r = expect(&x, "dialer-secret", "east|west", WARN, "lacks the label");
	ck_assert(strstr(r->fix, "label secret peering-token"));
	done(&x);

	peered(&a, &b, MODEL_PEERING_ACTIVE, MODEL_PEERING_ACTIVE);
	fx_unread(&b, STORE_SRC_KUBE_SECRETS, "secrets is forbidden");
	run2(&x, &a, &b, NULL);
	expect(&x, "dialer-secret", "east|west", UNKNOWN, "secrets is forbidden");
	done(&x);

	/* Peered through Consul alone: no dialer resource to check. */
	healthy(&a, 0, "east");
	healthy(&b, 1, "west");
	fx_peering(&a, "west", "id-a", "", MODEL_PEERING_ACTIVE);
	fx_peering(&b, "east", "id-d", "id-a", MODEL_PEERING_ACTIVE);
	run2(&x, &a, &b, NULL);
	expect(&x, "dialer-secret", "east|west", SKIP, "no PeeringDialer");
	done(&x);
}
END_TEST

START_TEST(one_sided)
{
	struct fx a, b;
	struct run x;
	struct preflight_options opt = {.one_sided_ms = 60000};

	peered(&a, &b, MODEL_PEERING_ACTIVE, MODEL_PEERING_ACTIVE);
	run2(&x, &a, &b, NULL);
	expect(&x, "one-sided", "east|west", OK, "east ACTIVE, west ACTIVE");
	done(&x);

	/* The acceptor waits for its dialer: within the time, then not. */
	healthy(&a, 0, "east");
	healthy(&b, 1, "west");
	fx_peering(&a, "west", "id-a", "", MODEL_PEERING_PENDING);
	fx_cr(&a, MODEL_PEERING_ACCEPTOR, "west", "peering-token", "data");
	run2(&x, &a, &b, NULL);
	expect(&x, "one-sided", "east|west", OK, "east PENDING, west absent for 120s");
	done(&x);
	healthy(&a, 0, "east");
	healthy(&b, 1, "west");
	fx_peering(&a, "west", "id-a", "", MODEL_PEERING_PENDING);
	fx_cr(&a, MODEL_PEERING_ACCEPTOR, "west", "peering-token", "data");
	run2(&x, &a, &b, &opt);
	const struct preflight_result *r = expect(&x, "one-sided", "east|west", WARN, "for 120s");
	ck_assert(strstr(r->fix, "create the other end on west (a PeeringDialer"));
	done(&x);

	/* No resource, no creation time. */
	healthy(&a, 0, "east");
	healthy(&b, 1, "west");
	fx_peering(&a, "west", "id-a", "", MODEL_PEERING_PENDING);
	run2(&x, &a, &b, NULL);
	expect(&x, "one-sided", "east|west", UNKNOWN, "since when is not known");
	done(&x);

	/* The other end deleted its side: this one is left TERMINATED. */
	healthy(&a, 0, "east");
	healthy(&b, 1, "west");
	fx_peering(&a, "west", "id-a", "", MODEL_PEERING_ACTIVE);
	fx_peering(&b, "east", "id-d", "id-a", MODEL_PEERING_DELETING);
	run2(&x, &a, &b, NULL);
	expect(&x, "one-sided", "east|west", WARN, "west deleted its end");
	done(&x);

	healthy(&a, 0, "east");
	fx_peering(&a, "sandbox", "id-s", "", MODEL_PEERING_ACTIVE);
	run1(&x, &a, NULL);
	expect(&x, "one-sided", "east/sandbox|", SKIP, NULL);
	done(&x);
}
END_TEST

/* The consul-k8s controllers run in the connect-injector Deployment, one
 * manager for every controller and webhook (consul-k8s
 * control-plane/subcommand/inject-connect/v1controllers.go; they elect a
 * leader, so one available replica runs them); its Available condition is
 * the deployment controller's (kubernetes pkg/controller/deployment/sync.go
 * calculateStatus: MinimumReplicasAvailable / MinimumReplicasUnavailable). */
START_TEST(controllers_ready)
{
	struct fx f;
	struct run x;
	const struct preflight_result *r;
	struct model_kube_deployment *d;

	healthy(&f, 0, "east");
	run1(&x, &f, NULL);
	r = expect(&x, "controllers-ready", "east", OK,
	           "Deployment consul/consul-connect-injector: 1/1 ready, 1 available, "
	           "Available=True (MinimumReplicasAvailable: Deployment has minimum "
	           "availability.)");
	ck_assert_str_eq(r->seen, "1/1 ready");
	ck_assert_str_eq(r->required, ">= 1 available");
	done(&x);

	/* Down: the pod is there, not ready. */
	healthy(&f, 0, "east");
	fx_no_injector(&f, "");
	fx_injector(&f, "consul", "consul-connect-injector", 1, 0, false);
	run1(&x, &f, NULL);
	r = expect(&x, "controllers-ready", "east", FAIL,
	           "the consul-k8s controllers are not running: PeeringAcceptor, PeeringDialer "
	           "and config entry resources are not reconciled; Deployment "
	           "consul/consul-connect-injector: 0/1 ready, 0 available, Available=False "
	           "(MinimumReplicasUnavailable: Deployment does not have minimum availability.)");
	ck_assert_str_eq(r->seen, "0/1 ready");
	ck_assert_str_eq(r->fix, "kubectl --context kind-x -n consul describe deployment "
	                         "consul-connect-injector (its events and pods say why), then "
	                         "kubectl --context kind-x -n consul rollout status deployment "
	                         "consul-connect-injector");
	/* Every operation that writes a consul-k8s resource stops on it; unpeer
	 * only warns (its deletions finish when the controllers run again). */
	const struct preflight_result *stop = preflight_blocking(&x.r, PREFLIGHT_GATE_PEER, 0);
	ck_assert_ptr_nonnull(stop);
	ck_assert_str_eq(stop->check->id, "controllers-ready");
	ck_assert_ptr_nonnull(preflight_blocking(&x.r, PREFLIGHT_GATE_EXPORT, 0));
	ck_assert_ptr_nonnull(preflight_blocking(&x.r, PREFLIGHT_GATE_MODE, 0));
	ck_assert_ptr_nonnull(preflight_blocking(&x.r, PREFLIGHT_GATE_MESH, 0));
	ck_assert_ptr_nonnull(preflight_blocking(&x.r, PREFLIGHT_GATE_INTENTIONS, 0));
	ck_assert_ptr_null(preflight_blocking(&x.r, PREFLIGHT_GATE_UNPEER, 0));
	ck_assert(r->check->warns & PREFLIGHT_GATE_UNPEER);
	done(&x);

	/* Several replicas: one of three available still runs the
	 * controllers, below the Deployment's minimum availability. */
	healthy(&f, 0, "east");
	fx_no_injector(&f, "");
	fx_injector(&f, "consul", "consul-connect-injector", 3, 1, false);
	run1(&x, &f, NULL);
	r = expect(&x, "controllers-ready", "east", WARN,
	           "1/3 ready, 1 available, Available=False");
	ck_assert_str_eq(r->seen, "1/3 ready");
	ck_assert(strstr(r->evidence, "below the minimum availability"));
	done(&x);
	healthy(&f, 0, "east");
	fx_no_injector(&f, "");
	fx_injector(&f, "consul", "consul-connect-injector", 3, 3, true);
	run1(&x, &f, NULL);
	r = expect(&x, "controllers-ready", "east", OK, "3/3 ready, 3 available");
	done(&x);
	/* Two releases (all namespaces watched): one down, one up. */
	healthy(&f, 0, "east");
	fx_injector(&f, "other", "consul-connect-injector", 1, 0, false);
	run1(&x, &f, NULL);
	r = expect(&x, "controllers-ready", "east", WARN,
	           "Deployment other/consul-connect-injector");
	ck_assert(strstr(r->fix, "-n other describe deployment"));
	done(&x);

	/* Scaled to 0: Kubernetes calls it Available, nothing runs. */
	healthy(&f, 0, "east");
	fx_no_injector(&f, "");
	fx_injector(&f, "consul", "consul-connect-injector", 0, 0, true);
	run1(&x, &f, NULL);
	r = expect(&x, "controllers-ready", "east", FAIL, "0/0 ready");
	ck_assert(strstr(r->fix, "scale deployment consul-connect-injector --replicas=1"));
	done(&x);

	/* A status older than the spec says so. */
	healthy(&f, 0, "east");
	fx_no_injector(&f, "");
	d = fx_injector(&f, "consul", "consul-connect-injector", 1, 0, false);
	d->meta.generation = 2;
	run1(&x, &f, NULL);
	expect(&x, "controllers-ready", "east", FAIL, "(status of generation 1, the spec is at 2)");
	done(&x);

	/* None found: the Helm release says the chart installs one. */
	healthy(&f, 0, "east");
	fx_no_injector(&f, "");
	run1(&x, &f, NULL);
	r = expect(&x, "controllers-ready", "east", FAIL,
	           "no Deployment labelled component=connect-injector is in namespace consul");
	ck_assert_str_eq(r->seen, "none");
	done(&x);
	healthy(&f, 0, "east");
	fx_no_injector(&f, "");
	f.helm->connect_inject_enabled = false;
	run1(&x, &f, NULL);
	expect(&x, "controllers-ready", "east", SKIP, "connectInject.enabled=false");
	done(&x);
	fx_init(&f, 0, "east", "1.17.3", true);
	fx_no_injector(&f, "");
	run1(&x, &f, NULL);
	r = expect(&x, "controllers-ready", "east", UNKNOWN, "no Helm release");
	ck_assert(strstr(r->fix, "get deployments -A -l component=connect-injector"));
	done(&x);

	/* RBAC: the API server's words, unknown, never a fail. */
	healthy(&f, 0, "east");
	fx_no_injector(&f,
	               "HTTP 403: deployments.apps is forbidden: User \"peerscope\" cannot list "
	               "resource \"deployments\" in API group \"apps\" in the namespace "
	               "\"consul\"");
	run1(&x, &f, NULL);
	r = expect(&x, "controllers-ready", "east", UNKNOWN,
	           "the connect-injector Deployments could not be listed: HTTP 403: "
	           "deployments.apps is forbidden: User \"peerscope\" cannot list");
	ck_assert(strstr(r->fix, "list and watch on deployments.apps in namespace consul"));
	ck_assert_ptr_null(preflight_blocking(&x.r, PREFLIGHT_GATE_PEER, 0));
	done(&x);

	/* Not answered yet, and a cluster without Kubernetes. */
	healthy(&f, 0, "east");
	f.s->sources[STORE_SRC_KUBE_CONTROLLERS].state = MODEL_SOURCE_UNKNOWN;
	f.s->sources[STORE_SRC_KUBE_CONTROLLERS].last_ok_ns = 0;
	run1(&x, &f, NULL);
	expect(&x, "controllers-ready", "east", UNKNOWN, "has not answered yet");
	done(&x);
	fx_init(&f, 0, "east", "1.17.3", false);
	run1(&x, &f, NULL);
	expect(&x, "controllers-ready", "east", SKIP, "no Kubernetes context");
	done(&x);
}
END_TEST

/* ------------------------------------------------------------ the report */

START_TEST(report_helpers)
{
	struct fx a, b;
	struct run x;
	unsigned n;

	peered(&a, &b, MODEL_PEERING_ACTIVE, MODEL_PEERING_ACTIVE);
	free(b.id->version);
	b.id->version = sdup("1.13.9");
	b.helm->tls_enabled = false;
	run2(&x, &a, &b, NULL);
	/* east: only the not-fetched-yet ones are unknown; west fails twice. */
	ck_assert_int_eq(preflight_worst(&x.r, 0, &n), PREFLIGHT_UNKNOWN);
	ck_assert_int_eq(preflight_worst(&x.r, 1, &n), PREFLIGHT_FAIL);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(preflight_worst(&x.r, PREFLIGHT_NONE, NULL), PREFLIGHT_FAIL);
	/* A peering operation on east stops at the pair's version check. */
	const struct preflight_result *stop = preflight_blocking(&x.r, PREFLIGHT_GATE_PEER, 0);
	ck_assert_ptr_nonnull(stop);
	ck_assert_str_eq(stop->check->id, "pair-versions");
	stop = preflight_blocking(&x.r, PREFLIGHT_GATE_PEER, 1);
	ck_assert_str_eq(stop->check->id, "consul-version");
	ck_assert_ptr_null(preflight_blocking(&x.r, PREFLIGHT_GATE_MODE, 1));
	ck_assert_int_eq(preflight_exit_status(&x.r, false), 1);
	ck_assert_uint_eq(preflight_count(&x.r, PREFLIGHT_FAIL), 3);

	char *json = preflight_json(&x.r, "clusters", NULL, 0, false);
	ck_assert_ptr_nonnull(json);
	ck_assert(strstr(json, "\"check\":\t\"consul-version\""));
	ck_assert(strstr(json, "\"cluster\":\t\"west\""));
	ck_assert(strstr(json, "\"pair\":\t\"east|west\""));
	free(json);
	done(&x);

	/* Only warnings: they fail with --strict only. */
	healthy(&a, 0, "east");
	a.mesh->peer_through_mesh_gateways = false;
	run1(&x, &a, NULL);
	ck_assert_int_eq(preflight_worst(&x.r, 0, &n), PREFLIGHT_WARN);
	ck_assert_int_eq(preflight_exit_status(&x.r, false), 0);
	ck_assert_int_eq(preflight_exit_status(&x.r, true), 1);
	done(&x);
}
END_TEST

/* ------------------------------------------------------------- values */

struct lint {
	struct preflight_report r;
	struct preflight_values_error e;
	char paths[4][4096];
	const char *files[4];
	int rc;
};

static void lint(struct lint *l, const char *a, const char *b)
{
	memset(l, 0, sizeof *l);
	snprintf(l->paths[0], sizeof l->paths[0], "%s", unit_fixture(a));
	l->files[0] = l->paths[0];
	if (b) {
		snprintf(l->paths[1], sizeof l->paths[1], "%s", unit_fixture(b));
		l->files[1] = l->paths[1];
	}
	l->rc = preflight_values_lint(l->files, b ? 2 : 1, &l->r, &l->e);
}

static const struct preflight_result *vget(const struct lint *l, const char *id)
{
	for (size_t i = 0; i < l->r.n; i++)
		if (!strcmp(l->r.v[i].check->id, id))
			return &l->r.v[i];
	ck_abort_msg("no result of %s", id);
	return NULL;
}

/* ID's verdict is V and its value was seen at FILE (a fixture name, NULL:
 * not checked):LINE:COLUMN. */
static const struct preflight_result *vexpect(const struct lint *l, const char *id,
                                              enum preflight_verdict v, const char *file,
                                              unsigned line, unsigned column)
{
	const struct preflight_result *r = vget(l, id);

	ck_assert_msg(r->verdict == v, "%s: %s, wanted %s (%s)", id,
	              preflight_verdict_name(r->verdict), preflight_verdict_name(v), r->evidence);
	ck_assert_str_eq(r->subject, "values");
	ck_assert_ptr_nonnull(r->file);
	if (file) {
		ck_assert_msg(strstr(r->file, file), "%s in %s, not %s", id, r->file, file);
		ck_assert_msg(r->line == line && r->column == column, "%s at %u:%u, not %u:%u", id,
		              r->line, r->column, line, column);
	}
	if (v == PREFLIGHT_WARN || v == PREFLIGHT_FAIL)
		ck_assert_msg(*r->fix, "%s without a fix", id);
	return r;
}

START_TEST(values_good)
{
	struct lint l;

	lint(&l, "values/good.yaml", NULL);
	ck_assert_int_eq(l.rc, 0);
	vexpect(&l, "consul-version", OK, "good.yaml", 4, 10);
	vexpect(&l, "consul-k8s-version", SKIP, NULL, 0, 0);
	vexpect(&l, "helm-peering-enabled", OK, "good.yaml", 6, 14);
	vexpect(&l, "helm-tls-enabled", OK, "good.yaml", 8, 14);
	vexpect(&l, "helm-mesh-gateway-enabled", OK, "good.yaml", 10, 12);
	vexpect(&l, "helm-mesh-gateway-replicas", OK, "good.yaml", 11, 13);
	vexpect(&l, "helm-connect-inject-enabled", OK, "good.yaml", 13, 12);
	vexpect(&l, "helm-admin-partitions", SKIP, NULL, 0, 0);
	vexpect(&l, "gateway-wan-address", OK, NULL, 0, 0);
	vexpect(&l, "mode-none", SKIP, NULL, 0, 0);
	vexpect(&l, "values-file", OK, NULL, 0, 0);
	ck_assert_int_eq(preflight_exit_status(&l.r, true), 0);
	preflight_report_free(&l.r);
}
END_TEST

/* The chart's own refusals (hashicorp/consul-k8s charts/consul/templates/
 * connect-inject-deployment.yaml, mesh-gateway-deployment.yaml) and the
 * YAML 1.1 words Helm takes for booleans (go-yaml v2 resolve.go: "no" is
 * false; a quoted "true" is a string). */
START_TEST(values_bad)
{
	struct lint l;
	const struct preflight_result *r;

	lint(&l, "values/bad.yaml", NULL);
	ck_assert_int_eq(l.rc, 0);
	r = vexpect(&l, "consul-version", FAIL, "bad.yaml", 3, 10);
	ck_assert_str_eq(r->seen, "hashicorp/consul:1.13.9");
	ck_assert_str_eq(r->required, ">= 1.14.0");
	vexpect(&l, "consul-k8s-version", FAIL, "bad.yaml", 4, 13);
	r = vexpect(&l, "helm-peering-enabled", FAIL, "bad.yaml", 6, 14);
	ck_assert_str_eq(r->seen, "false");
	ck_assert_str_eq(r->required, "true");
	ck_assert_str_eq(r->path, "global.peering.enabled");
	r = vexpect(&l, "helm-tls-enabled", WARN, "bad.yaml", 8, 14);
	ck_assert_str_eq(r->seen, "\"true\"");
	vexpect(&l, "helm-mesh-gateway-enabled", OK, "bad.yaml", 10, 12);
	vexpect(&l, "helm-mesh-gateway-replicas", FAIL, "bad.yaml", 11, 13);
	r = vexpect(&l, "helm-connect-inject-enabled", FAIL, "bad.yaml", 17, 12);
	ck_assert(strstr(r->evidence, "connectInject.enabled: no"));
	r = vexpect(&l, "gateway-wan-address", FAIL, "bad.yaml", 15, 13);
	ck_assert(strstr(r->evidence, "is loopback"));
	r = vexpect(&l, "mode-none", FAIL, "bad.yaml", 12, 15);
	ck_assert(strstr(r->evidence, "none is invalid with cluster peering"));
	ck_assert_int_eq(preflight_exit_status(&l.r, false), 1);
	preflight_report_free(&l.r);
}
END_TEST

/* Later files win; mappings merge key by key; null drops a value (helm
 * pkg/cli/values/options.go, mergeMaps). */
START_TEST(values_merge_in_order)
{
	struct lint l;

	lint(&l, "values/bad.yaml", "values/override.yaml");
	ck_assert_int_eq(l.rc, 0);
	vexpect(&l, "consul-version", OK, "override.yaml", 3, 10);
	vexpect(&l, "consul-k8s-version", SKIP, NULL, 0, 0);
	vexpect(&l, "helm-peering-enabled", OK, "override.yaml", 6, 14);
	vexpect(&l, "helm-tls-enabled", OK, "override.yaml", 8, 14);
	/* Only in the first file: still there after the merge. */
	vexpect(&l, "helm-mesh-gateway-enabled", OK, "bad.yaml", 10, 12);
	vexpect(&l, "helm-mesh-gateway-replicas", OK, "override.yaml", 10, 13);
	vexpect(&l, "gateway-wan-address", OK, NULL, 0, 0);
	vexpect(&l, "mode-none", SKIP, NULL, 0, 0);
	ck_assert_int_eq(preflight_exit_status(&l.r, true), 0);
	preflight_report_free(&l.r);

	/* The other way round, the bad file wins. */
	lint(&l, "values/override.yaml", "values/bad.yaml");
	ck_assert_int_eq(l.rc, 0);
	vexpect(&l, "helm-peering-enabled", FAIL, "bad.yaml", 6, 14);
	preflight_report_free(&l.r);
}
END_TEST

/* Aliases are resolved and "<<" merge keys applied, as Helm's reader does;
 * an alias's value is where the alias is used. */
START_TEST(values_anchors)
{
	struct lint l;

	lint(&l, "values/anchors.yaml", NULL);
	ck_assert_int_eq(l.rc, 0);
	/* peering: *on copies the anchored mapping: its key is where written. */
	vexpect(&l, "helm-peering-enabled", OK, "anchors.yaml", 3, 12);
	vexpect(&l, "helm-tls-enabled", OK, "anchors.yaml", 3, 12);
	vexpect(&l, "helm-mesh-gateway-enabled", OK, "anchors.yaml", 3, 12);
	/* Written in the mapping: wins over the merged key. */
	vexpect(&l, "helm-mesh-gateway-replicas", OK, "anchors.yaml", 10, 13);
	vexpect(&l, "helm-connect-inject-enabled", OK, "anchors.yaml", 3, 12);
	vexpect(&l, "values-file", OK, NULL, 0, 0);
	preflight_report_free(&l.r);
}
END_TEST

/* Helm reads one document per values file (helm pkg/chartutil/values.go,
 * ReadValues through sigs.k8s.io/yaml): the second is ignored, and said. */
START_TEST(values_multi_document)
{
	struct lint l;

	lint(&l, "values/multidoc.yaml", NULL);
	ck_assert_int_eq(l.rc, 0);
	vexpect(&l, "helm-peering-enabled", OK, "multidoc.yaml", 3, 14);
	const struct preflight_result *r = vexpect(&l, "values-file", WARN, "multidoc.yaml", 8, 1);
	ck_assert(strstr(r->evidence, "a second YAML document"));
	ck_assert_int_eq(preflight_exit_status(&l.r, false), 0);
	ck_assert_int_eq(preflight_exit_status(&l.r, true), 1);
	preflight_report_free(&l.r);
}
END_TEST

START_TEST(values_enterprise)
{
	struct lint l;

	lint(&l, "values/enterprise.yaml", NULL);
	ck_assert_int_eq(l.rc, 0);
	vexpect(&l, "consul-version", OK, "enterprise.yaml", 2, 10);
	const struct preflight_result *r =
	        vexpect(&l, "helm-admin-partitions", FAIL, "enterprise.yaml", 7, 14);
	ck_assert(strstr(r->evidence, "global.enableConsulNamespaces"));
	r = vexpect(&l, "gateway-wan-address", FAIL, NULL, 0, 0);
	ck_assert(strstr(r->evidence, "needs meshGateway.service.nodePort"));
	preflight_report_free(&l.r);
}
END_TEST

START_TEST(values_errors)
{
	struct lint l;

	lint(&l, "values/notyaml.txt", NULL);
	ck_assert_int_eq(l.rc, -1);
	ck_assert_uint_eq(l.r.n, 0);
	ck_assert_msg(strstr(l.e.text, "notyaml.txt:2:1: not YAML: "), "%s", l.e.text);

	lint(&l, "values/scalar.yaml", NULL);
	ck_assert_int_eq(l.rc, -1);
	ck_assert(strstr(l.e.text, "scalar.yaml:1:1: not a Helm values file: the top level is a "
	                           "scalar, not a mapping"));

	lint(&l, "values/no-such-file.yaml", NULL);
	ck_assert_int_eq(l.rc, -1);
	ck_assert(strstr(l.e.text, "no-such-file.yaml: cannot read: No such file or directory"));

	/* The first file fine, the second broken: nothing is reported. */
	lint(&l, "values/good.yaml", "values/notyaml.txt");
	ck_assert_int_eq(l.rc, -1);
	ck_assert_uint_eq(l.r.n, 0);
	ck_assert(strstr(l.e.text, "notyaml.txt"));
}
END_TEST

/* Odd YAML written to a temporary file: repeated keys, unknown aliases,
 * tags, an alias bomb, an empty file. */
static int lint_text(const char *text, struct preflight_report *r, struct preflight_values_error *e)
{
	char path[4096];
	const char *tmp = getenv("TMPDIR");

	snprintf(path, sizeof path, "%s/peerscope-values-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	int fd = mkstemp(path);
	const char *files[1] = {path};

	ck_assert_int_ge(fd, 0);
	FILE *f = fdopen(fd, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
	memset(r, 0, sizeof *r);
	int rc = preflight_values_lint(files, 1, r, e);
	unlink(path);
	/* The results point at the file name: keep only what the test reads. */
	for (size_t i = 0; i < r->n; i++)
		r->v[i].file = "tmp";
	return rc;
}

static const struct preflight_result *rget(const struct preflight_report *r, const char *id)
{
	for (size_t i = 0; i < r->n; i++)
		if (!strcmp(r->v[i].check->id, id))
			return &r->v[i];
	ck_abort_msg("no %s", id);
	return NULL;
}

START_TEST(values_odd_yaml)
{
	struct preflight_report r;
	struct preflight_values_error e;

	/* A repeated key: the last counts, and it is said. */
	ck_assert_int_eq(
	        lint_text("global:\n  peering:\n    enabled: false\n    enabled: true\n", &r, &e),
	        0);
	ck_assert_int_eq(rget(&r, "helm-peering-enabled")->verdict, PREFLIGHT_OK);
	ck_assert_uint_eq(rget(&r, "helm-peering-enabled")->line, 4);
	ck_assert_int_eq(rget(&r, "values-file")->verdict, PREFLIGHT_WARN);
	ck_assert(strstr(rget(&r, "values-file")->evidence, "repeats the one at line 3"));
	preflight_report_free(&r);

	/* Tags: !!str makes a string of true; yes and On are booleans. */
	ck_assert_int_eq(
	        lint_text("global:\n  peering: {enabled: !!str true}\n  tls: {enabled: On}\n"
	                  "meshGateway: {enabled: yes, replicas: \"2\"}\n",
	                  &r, &e),
	        0);
	ck_assert_int_eq(rget(&r, "helm-peering-enabled")->verdict, PREFLIGHT_WARN);
	ck_assert_int_eq(rget(&r, "helm-tls-enabled")->verdict, PREFLIGHT_OK);
	ck_assert_int_eq(rget(&r, "helm-mesh-gateway-enabled")->verdict, PREFLIGHT_OK);
	ck_assert_int_eq(rget(&r, "helm-mesh-gateway-replicas")->verdict, PREFLIGHT_WARN);
	preflight_report_free(&r);

	/* null drops the chart's default: connectInject then reads false. */
	ck_assert_int_eq(lint_text("connectInject:\n  enabled: null\n", &r, &e), 0);
	ck_assert_int_eq(rget(&r, "helm-connect-inject-enabled")->verdict, PREFLIGHT_FAIL);
	ck_assert(strstr(rget(&r, "helm-connect-inject-enabled")->evidence, "null drops"));
	preflight_report_free(&r);

	/* "-" follows global.enabled, as the chart's templates read it. */
	ck_assert_int_eq(
	        lint_text("global: {enabled: false}\nconnectInject: {enabled: \"-\"}\n", &r, &e),
	        0);
	ck_assert_int_eq(rget(&r, "helm-connect-inject-enabled")->verdict, PREFLIGHT_FAIL);
	preflight_report_free(&r);

	/* An empty file: every value is the chart's default. */
	ck_assert_int_eq(lint_text("", &r, &e), 0);
	ck_assert_int_eq(rget(&r, "helm-peering-enabled")->verdict, PREFLIGHT_FAIL);
	ck_assert(strstr(rget(&r, "helm-peering-enabled")->evidence, "chart's default is false"));
	ck_assert_int_eq(rget(&r, "helm-connect-inject-enabled")->verdict, PREFLIGHT_OK);
	preflight_report_free(&r);

	/* Unknown alias, a list at the top, a merge of a scalar. */
	ck_assert_int_eq(lint_text("global: *nothing\n", &r, &e), -1);
	ck_assert(strstr(e.text, ":1:9: alias *nothing names no anchor before it"));
	ck_assert_int_eq(lint_text("- a\n- b\n", &r, &e), -1);
	ck_assert(strstr(e.text, "the top level is a list"));
	ck_assert_int_eq(lint_text("a: &x 1\nb:\n  <<: *x\n", &r, &e), -1);
	ck_assert(strstr(e.text, "a \"<<\" merge needs a mapping"));

	/* Billion laughs: stopped, named. */
	ck_assert_int_eq(lint_text("a: &a [x, x, x, x, x, x, x, x, x, x]\n"
	                           "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
	                           "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
	                           "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
	                           "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
	                           "f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n",
	                           &r, &e),
	                 -1);
	ck_assert_msg(strstr(e.text, "aliases expanding without end"), "%s", e.text);

	/* An anchor on a key, used later as a value. */
	ck_assert_int_eq(lint_text("&k enabled: 1\nglobal:\n  peering: {*k : true}\n", &r, &e), 0);
	ck_assert_int_eq(rget(&r, "helm-peering-enabled")->verdict, PREFLIGHT_OK);
	preflight_report_free(&r);
}
END_TEST

START_TEST(values_main_exit_statuses)
{
	char good[4096], bad[4096], multi[4096];
	const char *files[2];
	/* Both thrown away: only the exit statuses matter here. */
	FILE *out = tmpfile(), *err = tmpfile();

	ck_assert(out && err);
	snprintf(good, sizeof good, "%s", unit_fixture("values/good.yaml"));
	snprintf(bad, sizeof bad, "%s", unit_fixture("values/bad.yaml"));
	snprintf(multi, sizeof multi, "%s", unit_fixture("values/multidoc.yaml"));
	files[0] = good;
	ck_assert_int_eq(preflight_values_main(files, 1, NULL, false, out, err), 0);
	ck_assert_int_eq(preflight_values_main(files, 1, "json", true, out, err), 0);
	ck_assert_int_eq(preflight_values_main(files, 1, "yaml", false, out, err), 2);
	ck_assert_int_eq(preflight_values_main(files, 0, NULL, false, out, err), 2);
	files[0] = bad;
	ck_assert_int_eq(preflight_values_main(files, 1, "table", false, out, err), 1);
	files[0] = multi;
	ck_assert_int_eq(preflight_values_main(files, 1, NULL, false, out, err), 0);
	ck_assert_int_eq(preflight_values_main(files, 1, NULL, true, out, err), 1);
	files[1] = "/nonexistent/values.yaml";
	ck_assert_int_eq(preflight_values_main(files, 2, NULL, false, out, err), 2);
	fclose(out);
	fclose(err);
}
END_TEST

/* The crossing exports, indexed in the order the pair checks look them up
 * in (from, to, peer, then the join's order), the exported rows only:
 * counted into runs where the clusters are few, sorted whole where they
 * are many for the rows, and with long runs. */
static void cross_in_order(struct join_export *x, size_t n)
{
	struct join_view j = {.exports = x, .nexports = n};
	struct pf_cross bp;
	size_t exported = 0;

	for (size_t i = 0; i < n; i++)
		exported += x[i].exported;
	ck_assert_int_eq(pf_cross_init(&bp, &j), 0);
	ck_assert_uint_eq(bp.n, exported);
	for (size_t i = 0; i < bp.n; i++) {
		const struct join_export *e = &x[bp.v[i]];
		ck_assert(e->exported);
		if (!i)
			continue;
		const struct join_export *d = &x[bp.v[i - 1]];
		int c = d->from != e->from ? (d->from < e->from ? -1 : 1)
		        : d->to != e->to   ? (d->to < e->to ? -1 : 1)
		                           : strcmp(d->peer, e->peer);
		ck_assert_msg(c < 0 || (c == 0 && bp.v[i - 1] < bp.v[i]),
		              "%zu (%zu->%zu %s) after %zu (%zu->%zu %s)", bp.v[i], e->from, e->to,
		              e->peer, bp.v[i - 1], d->from, d->to, d->peer);
	}
	free(bp.v);
}

START_TEST(crossing_exports_in_pair_order)
{
	static const char *const peers[] = {"b", "a", "c", "a"};
	enum {
		N = 600
	};
	struct join_export *x = calloc(N, sizeof *x);
	unsigned long r = 7;

	ck_assert_ptr_nonnull(x);
	for (size_t i = 0; i < N; i++) {
		r = r * 6364136223846793005ul + 1442695040888963407ul;
		x[i].from = (r >> 33) % 5;
		x[i].to = (r >> 40) % 7 == 6 ? JOIN_NONE : (r >> 40) % 7;
		x[i].peer = peers[(r >> 50) % 4];
		x[i].exported = (r >> 55) % 5 != 0;
	}
	cross_in_order(x, N);
	/* One long run (a cluster's exports of every service to one peer),
	 * peers out of order. */
	for (size_t i = 0; i < N; i++) {
		x[i].from = 1;
		x[i].to = 2;
	}
	cross_in_order(x, N);
	/* Cluster indexes far apart for the rows: sorted whole. */
	for (size_t i = 0; i < N; i++)
		x[i].from = i % 2 ? 9000 : 3;
	cross_in_order(x, N);
	cross_in_order(x, 0);
	free(x);
}
END_TEST

static Suite *preflight_suite(void)
{
	Suite *s = suite_create("preflight");
	TCase *t = tcase_create("rules");
	TCase *c = tcase_create("clusters");
	TCase *p = tcase_create("pairs");
	TCase *v = tcase_create("values");

	tcase_add_test(t, table_is_consistent);
	tcase_add_test(t, table_is_documented);
	tcase_add_test(t, versions);
	tcase_add_test(t, peer_names);
	tcase_add_test(t, addresses);
	tcase_add_test(t, image_tags);
	suite_add_tcase(s, t);
	tcase_add_test(c, consul_version);
	tcase_add_test(c, gateway_registered);
	tcase_add_test(c, gateway_passing);
	tcase_add_test(c, gateway_wan_address);
	tcase_add_test(c, gateway_proxy_config);
	tcase_add_test(c, mesh_peer_through_gateways);
	tcase_add_test(c, mode_none);
	tcase_add_test(c, mode_local_gateway);
	tcase_add_test(c, mode_per_service);
	tcase_add_test(c, exports_consumer_peer);
	tcase_add_test(c, exports_partition);
	tcase_add_test(c, exports_intentions);
	tcase_add_test(c, consul_k8s_version);
	tcase_add_test(c, controllers_ready);
	tcase_add_test(c, helm_values);
	tcase_add_test(c, helm_admin_partitions);
	tcase_add_test(c, crds);
	tcase_add_test(c, acceptor_secret_shared);
	tcase_add_test(c, peer_name);
	tcase_add_test(c, acl_checks);
	tcase_add_test(c, rbac_checks);
	tcase_add_test(c, servers_versions_live);
	tcase_add_test(c, acl_live);
	tcase_add_test(c, access_live);
	suite_add_tcase(s, c);
	tcase_add_test(p, pair_versions);
	tcase_add_test(p, pair_peer_through_gateways);
	tcase_add_test(p, exports_imported);
	tcase_add_test(p, dialer_secret);
	tcase_add_test(p, one_sided);
	tcase_add_test(p, report_helpers);
	tcase_add_test(p, memo_reruns_what_changed);
	suite_add_tcase(s, p);
	tcase_add_test(v, values_good);
	tcase_add_test(v, values_bad);
	tcase_add_test(v, values_merge_in_order);
	tcase_add_test(v, values_anchors);
	tcase_add_test(v, values_multi_document);
	tcase_add_test(v, values_enterprise);
	tcase_add_test(v, values_errors);
	tcase_add_test(v, values_odd_yaml);
	tcase_add_test(v, values_main_exit_statuses);
	tcase_add_test(p, crossing_exports_in_pair_order);
	suite_add_tcase(s, v);
	return s;
}

UNIT_MAIN(preflight_suite)
