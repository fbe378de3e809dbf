/* preflight: the table of checks, running them over the snapshots, and the
 * report. See include/peerscope/preflight.h. */
#include "autoconfig.h"

#include "preflight_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ----------------------------------------------------------------- table */

/* The sentences of the specification the checks come from. */
#define S_CONSUL "Consul v1.14 or higher"
#define S_K8S    "Consul on Kubernetes v1.0.0 or higher"
#define S_VALUES "The following values must be set in the Helm chart to enable mesh gateways"
#define S_MESHGW                                                                                   \
	"In addition, the following service mesh components are required in order to "             \
	"establish cluster peering connections"
#define S_GWREQ "Mesh gateways are required when establishing cluster peering connections."
#define S_ENT                                                                                      \
	"For Enterprise, this mesh gateway must also be registered in the same "                   \
	"partition as the exported services and their exported-services "                          \
	"configuration entry."
#define S_CRDS                                                                                     \
	"You must create the following CRDs in order to establish a peering "                      \
	"connection: PeeringAcceptor, PeeringDialer"
#define S_EXPORTS                                                                                  \
	"The exported-services CRD is required in order for services to "                          \
	"communicate across partitions with cluster peering connections."
#define S_EXPORT_GW                                                                                \
	"A cluster requires a registered mesh gateway in order to export services to "             \
	"peers."
#define S_ROUTING                                                                                  \
	"Mesh gateways are required for routing service mesh traffic between "                     \
	"partitions with cluster peering connections."
#define S_PROXY                                                                                    \
	"In addition, you must define the Proxy.Config settings using opaque "                     \
	"parameters compatible with your proxy."
#define S_MESH                                                                                     \
	"In cluster-01 create the Mesh custom resource with "                                      \
	"peeringThroughMeshGateways set to true."
#define S_MESH2                                                                                    \
	"Repeat the process to create and apply a mesh gateway with cluster "                      \
	"peering enabled to cluster-02."
#define S_NONE "The none mode is invalid for mesh gateways with cluster peering connections."
#define S_LOCAL                                                                                    \
	"To use the local mesh gateway mode, you must register a mesh gateway in "                 \
	"the importing cluster."
#define S_REMOTE "By default, all cluster peering connections use mesh gateways in remote mode."
#define S_ACL    "If ACLs are enabled, you must add tokens to grant the following permissions"
#define S_SVCW                                                                                     \
	"Grant service:write permissions to services that define mesh gateways in "                \
	"their server definition."
#define S_SVCR "Grant service:read permissions for all services on the partition."
#define S_MESHW                                                                                    \
	"Grant mesh:write permissions to the mesh gateways that participate in "                   \
	"cluster peering connections."
#define S_ACCEPT                                                                                   \
	"PeeringAcceptor: Generates a peering token and accepts an incoming peering "              \
	"connection."
#define S_DIAL                                                                                     \
	"PeeringDialer: Uses a peering token to make an outbound peering connection "              \
	"with the cluster that generated the token."
#define S_NAME "metadata: name: cluster-02 ## The name of the peer you want to connect to"
#define S_OWN  ""

enum {
	G_PEER = PREFLIGHT_GATE_PEER,
	G_EXPORT = PREFLIGHT_GATE_EXPORT,
	G_MODE = PREFLIGHT_GATE_MODE,
	G_MESH = PREFLIGHT_GATE_MESH,
	G_UNPEER = PREFLIGHT_GATE_UNPEER,
	G_INTENTIONS = PREFLIGHT_GATE_INTENTIONS,
};

struct pf_def {
	struct preflight_check check;
	pf_cluster_fn *cluster;
	pf_pair_fn *pair;
};

#define CLUSTER(id, title, spec, gates, pending, fn)                                               \
	{                                                                                          \
		{id, title, spec, PREFLIGHT_CLUSTER, gates, pending}, fn, NULL                     \
	}
#define PAIR(id, title, spec, gates, fn)                                                           \
	{                                                                                          \
		{id, title, spec, PREFLIGHT_PAIR, gates, ""}, NULL, fn                             \
	}
#define VALUES(id, title, spec)                                                                    \
	{                                                                                          \
		{id, title, spec, PREFLIGHT_VALUES, 0, ""}, NULL, NULL                             \
	}

static const struct pf_def defs[] = {
        CLUSTER("consul-version", "Consul 1.14 or later", S_CONSUL, G_PEER, "", pf_consul_version),
        CLUSTER("consul-k8s-version", "consul-k8s 1.0.0 or later", S_K8S, G_PEER, "",
                pf_consul_k8s_version),
        /* The controllers are what generates the token and dials. */
        {{"controllers-ready", "the consul-k8s controllers are running", S_ACCEPT " " S_DIAL,
          PREFLIGHT_CLUSTER, G_PEER | G_EXPORT | G_MODE | G_MESH | G_INTENTIONS, "", G_UNPEER,
          "the resources deleted stay Terminating, and the peering in Consul, until the "
          "controllers run again and remove their finalizers"},
         pf_controllers_ready,
         NULL},
        CLUSTER("helm-peering-enabled", "Helm value global.peering.enabled is true",
                S_VALUES " (global.peering.enabled: true)", G_PEER, "", pf_helm_peering),
        CLUSTER("helm-tls-enabled", "Helm value global.tls.enabled is true",
                S_VALUES " (global.tls.enabled: true)", G_PEER, "", pf_helm_tls),
        CLUSTER("helm-mesh-gateway-enabled", "Helm value meshGateway.enabled is true",
                S_VALUES " (meshGateway.enabled: true)", G_PEER | G_EXPORT | G_MESH, "",
                pf_helm_mesh_gateway),
        CLUSTER("helm-mesh-gateway-replicas", "Helm value meshGateway.replicas is at least 1",
                S_GWREQ, G_EXPORT | G_MESH, "", pf_helm_replicas),
        CLUSTER("helm-connect-inject-enabled", "Helm value connectInject.enabled is true", S_MESHGW,
                G_PEER, "", pf_helm_connect_inject),
        CLUSTER("helm-admin-partitions", "Enterprise: admin partitions set up consistently", S_ENT,
                G_EXPORT, "", pf_helm_admin_partitions),
        CLUSTER("crds-peering", "PeeringAcceptor and PeeringDialer CRDs served", S_CRDS, G_PEER, "",
                pf_crds_peering),
        CLUSTER("crds-config-entries", "Mesh, ProxyDefaults and ExportedServices CRDs served",
                S_EXPORTS, G_EXPORT | G_MODE | G_MESH, "", pf_crds_config_entries),
        CLUSTER("gateway-registered", "a mesh gateway is registered", S_EXPORT_GW,
                G_EXPORT | G_MESH, "", pf_gateway_registered),
        CLUSTER("gateway-passing", "the mesh gateways pass their health checks", S_GWREQ, G_EXPORT,
                "", pf_gateway_passing),
        CLUSTER("gateway-wan-address", "the mesh gateways' WAN addresses can be reached by peers",
                S_ROUTING, G_EXPORT | G_MESH, "", pf_gateway_wan_address),
        CLUSTER("gateway-proxy-config", "the mesh gateways' Proxy.Config keys are known to Consul",
                S_PROXY, 0, "", pf_gateway_proxy_config),
        CLUSTER("mesh-peer-through-gateways", "peering goes through the mesh gateways", S_MESH, 0,
                "", pf_mesh_ptmg),
        CLUSTER("mode-none", "no mesh gateway mode none", S_NONE, G_PEER | G_MODE, "",
                pf_mode_none),
        CLUSTER("mode-local-gateway", "mode local has a passing mesh gateway here", S_LOCAL, G_MODE,
                "", pf_mode_local_gateway),
        CLUSTER("mode-per-service", "the effective mesh gateway mode of each service", S_REMOTE, 0,
                "", pf_mode_per_service),
        CLUSTER("exports-consumer-peer", "services are exported to peers that exist", S_EXPORTS,
                G_EXPORT, "", pf_exports_consumer_peer),
        CLUSTER("exports-partition",
                "Enterprise: gateway, exported services and their entry in one partition", S_ENT,
                G_EXPORT, "", pf_exports_partition),
        CLUSTER("exports-intentions", "exported services admit their consumer peers", S_OWN, 0, "",
                pf_exports_intentions),
        CLUSTER("acl-token", "peerscope's ACL token is known to Consul", S_ACL, 0, "",
                pf_acl_token),
        CLUSTER("acl-service-write", "service:write on the mesh gateway's service", S_SVCW,
                G_EXPORT, "", pf_acl_service_write),
        CLUSTER("acl-service-read", "service:read on every service of the partition", S_SVCR,
                G_EXPORT, "", pf_acl_service_read),
        CLUSTER("acl-mesh-write", "mesh:write for the mesh gateways", S_MESHW, G_EXPORT | G_MESH,
                "", pf_acl_mesh_write),
        CLUSTER("rbac-peering", "Kubernetes access to the peering resources and token Secrets",
                S_CRDS, G_PEER | G_UNPEER, "", pf_rbac_peering),
        CLUSTER("rbac-config-entries", "Kubernetes access to Mesh, ProxyDefaults, ExportedServices",
                S_MESH, G_EXPORT | G_MODE | G_MESH, "", pf_rbac_config_entries),
        CLUSTER("rbac-service-proxy", "Kubernetes access to Consul through the service proxy",
                S_OWN, 0, "", pf_rbac_service_proxy),
        CLUSTER("acceptor-secret-shared", "each PeeringAcceptor has its own token Secret", S_ACCEPT,
                G_PEER, "", pf_acceptor_secret_shared),
        CLUSTER("peer-name", "peer names are names Consul accepts", S_NAME, G_PEER, "",
                pf_peer_name),
        PAIR("pair-versions", "both ends run Consul 1.14 and consul-k8s 1.0.0 or later",
             S_CONSUL "; " S_K8S, G_PEER, pf_pair_versions),
        PAIR("pair-peer-through-gateways", "both ends peer through mesh gateways alike", S_MESH2, 0,
             pf_pair_ptmg),
        PAIR("exports-imported", "services exported over the peering are imported", S_EXPORTS, 0,
             pf_exports_imported),
        PAIR("dialer-secret", "the dialer's token Secret is there and current", S_DIAL, G_PEER,
             pf_dialer_secret),
        PAIR("one-sided", "the peering exists on both ends", S_ACCEPT " " S_DIAL, 0, pf_one_sided),
        VALUES("values-file", "the values files read as Helm reads them", S_OWN),
};

#define NDEFS (sizeof defs / sizeof defs[0])

size_t preflight_check_count(void)
{
	return NDEFS;
}

const struct preflight_check *preflight_check_at(size_t i)
{
	return i < NDEFS ? &defs[i].check : NULL;
}

const struct preflight_check *preflight_check_find(const char *id)
{
	for (size_t i = 0; id && i < NDEFS; i++)
		if (!strcmp(defs[i].check.id, id))
			return &defs[i].check;
	return NULL;
}

const char *preflight_verdict_name(enum preflight_verdict v)
{
	static const char *const names[PREFLIGHT_VERDICT_COUNT] = {
	        [PREFLIGHT_SKIP] = "skip",       [PREFLIGHT_OK] = "ok",
	        [PREFLIGHT_UNKNOWN] = "unknown", [PREFLIGHT_WARN] = "warn",
	        [PREFLIGHT_FAIL] = "fail",
	};
	return (unsigned)v < PREFLIGHT_VERDICT_COUNT ? names[v] : "unknown";
}

/* ---------------------------------------------------------------- report */

void preflight_results_free(struct preflight_result *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i].text_);
}

void preflight_report_free(struct preflight_report *r)
{
	if (r->v)
		preflight_results_free(r->v, r->n);
	free(r->v);
	memset(r, 0, sizeof *r);
}

void pf_draft_init(struct pf_draft *d, const struct preflight_check *c)
{
	d->check = c;
	d->verdict = PREFLIGHT_SKIP;
	d->cluster = d->other = PREFLIGHT_NONE;
	d->file = NULL;
	d->line = d->column = 0;
	d->subject[0] = d->path[0] = d->seen[0] = d->required[0] = '\0';
	d->evidence[0] = d->fix[0] = '\0';
}

int pf_report_put(struct preflight_report *r, const struct pf_draft *d)
{
	const char *from[6] = {d->subject, d->path, d->seen, d->required, d->evidence, d->fix};
	size_t len[6], total = 0;

	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 64;
		struct preflight_result *v = realloc(r->v, cap * sizeof *v);
		if (!v)
			return -1;
		r->v = v;
		r->cap = cap;
	}
	for (int k = 0; k < 6; k++)
		total += len[k] = strlen(from[k]) + 1;
	char *text = malloc(total), *at = text;
	if (!text)
		return -1;
	const char *to[6];
	for (int k = 0; k < 6; k++) {
		memcpy(at, from[k], len[k]);
		to[k] = at;
		at += len[k];
	}
	r->v[r->n++] = (struct preflight_result){
	        .check = d->check,
	        .verdict = d->verdict,
	        .cluster = d->cluster,
	        .other = d->other,
	        .file = d->file,
	        .line = d->line,
	        .column = d->column,
	        .subject = to[0],
	        .path = to[1],
	        .seen = to[2],
	        .required = to[3],
	        .evidence = to[4],
	        .fix = to[5],
	        .text_ = text,
	};
	return 0;
}

enum preflight_verdict preflight_worst(const struct preflight_report *r, size_t cluster,
                                       unsigned *count)
{
	enum preflight_verdict worst = PREFLIGHT_SKIP;
	unsigned n = 0;

	for (size_t i = 0; i < r->n; i++) {
		const struct preflight_result *x = &r->v[i];
		if (cluster != PREFLIGHT_NONE &&
		    (x->cluster != cluster || x->check->scope != PREFLIGHT_CLUSTER))
			continue;
		if (x->verdict > worst) {
			worst = x->verdict;
			n = 0;
		}
		if (x->verdict == worst)
			n++;
	}
	if (count)
		*count = n;
	return worst;
}

unsigned preflight_count(const struct preflight_report *r, enum preflight_verdict v)
{
	unsigned n = 0;

	for (size_t i = 0; i < r->n; i++)
		n += r->v[i].verdict == v;
	return n;
}

const struct preflight_result *preflight_blocking(const struct preflight_report *r, unsigned gates,
                                                  size_t cluster)
{
	for (size_t i = 0; i < r->n; i++) {
		const struct preflight_result *x = &r->v[i];
		if (x->verdict == PREFLIGHT_FAIL && (x->check->gates & gates) &&
		    !(x->check->warns & gates) && (x->cluster == cluster || x->other == cluster))
			return x;
	}
	return NULL;
}

int preflight_exit_status(const struct preflight_report *r, bool strict)
{
	for (size_t i = 0; i < r->n; i++) {
		enum preflight_verdict v = r->v[i].verdict;
		if (v == PREFLIGHT_FAIL ||
		    (strict && (v == PREFLIGHT_WARN || v == PREFLIGHT_UNKNOWN)))
			return 1;
	}
	return 0;
}

/* ------------------------------------------------------------------ run */

static const struct join_gateways *gateways_of(const struct join_view *j, size_t cluster)
{
	for (size_t i = 0; j && i < j->ngateways; i++)
		if (j->gateways[i].cluster == cluster)
			return &j->gateways[i];
	return NULL;
}

static const struct preflight_live *live_of(const struct preflight_input *in, size_t i)
{
	static const struct preflight_live none;

	return in->live && i < in->n ? &in->live[i] : &none;
}

int pf_run_cluster(const struct preflight_input *in, size_t i, struct preflight_report *out)
{
	const struct store_snapshot *s = in->snaps[i];
	struct pf_cluster c = {s, live_of(in, i), gateways_of(in->join, i), in};
	struct pf_draft d;

	for (size_t k = 0; k < NDEFS; k++) {
		if (!defs[k].cluster)
			continue;
		pf_draft_init(&d, &defs[k].check);
		d.cluster = i;
		snprintf(d.subject, sizeof d.subject, "%s", s->name);
		defs[k].cluster(&c, &d);
		if (pf_report_put(out, &d) < 0)
			return -1;
	}
	return 0;
}

static int cross_cmp(const struct join_export *x, size_t from, size_t to, const char *peer)
{
	if (x->from != from)
		return x->from < from ? -1 : 1;
	if (x->to != to)
		return x->to < to ? -1 : 1;
	return strcmp(x->peer, peer);
}

static int by_pair_cmp(const void *pa, const void *pb, void *ctx)
{
	const struct join_export *x = ctx;
	size_t a = *(const size_t *)pa, b = *(const size_t *)pb;
	int c = cross_cmp(&x[a], x[b].from, x[b].to, x[b].peer);

	return c ? c : a < b ? -1 : a > b;
}

/* V[0..N) in by_pair_cmp()'s order, which it has already but for the
 * peer: the indexes of one (from, to) in the join's order. Such a run is a
 * cluster's exports to one other, under one peer name as a rule. */
static void sort_run(size_t *v, size_t n, const struct join_export *x)
{
	if (n > 32) {
		qsort_r(v, n, sizeof *v, by_pair_cmp, (void *)x);
		return;
	}
	for (size_t i = 1; i < n; i++) {
		size_t cur = v[i], k = i;
		for (; k > 0 && strcmp(x[v[k - 1]].peer, x[cur].peer) > 0; k--)
			v[k] = v[k - 1];
		v[k] = cur;
	}
}

int pf_cross_init(struct pf_cross *bp, const struct join_view *j)
{
	size_t nf = 0, nt = 0, *start = NULL;

	memset(bp, 0, sizeof *bp);
	if (!j || !j->nexports)
		return 0;
	bp->x = j->exports;
	bp->v = malloc(j->nexports * sizeof *bp->v);
	if (!bp->v)
		return -1;
	for (size_t i = 0; i < j->nexports; i++) {
		const struct join_export *x = &j->exports[i];
		if (!x->exported)
			continue;
		nf = x->from >= nf ? x->from + 1 : nf;
		nt = x->to != JOIN_NONE && x->to >= nt ? x->to + 1 : nt;
	}
	nt++; /* JOIN_NONE last, as the largest */
	/* Counted into runs of (from, to) in the join's order, each then put
	 * in the order of its peers: a sort of every exported row (12,800 at
	 * 64 clusters of 100 services) was half the checks' memo's work at
	 * each change of a services list. */
	if (nf && nf * nt <= 4 * j->nexports + 4096)
		start = calloc(nf * nt + 1, sizeof *start);
	if (!start) {
		for (size_t i = 0; i < j->nexports; i++)
			if (j->exports[i].exported)
				bp->v[bp->n++] = i;
		qsort_r(bp->v, bp->n, sizeof *bp->v, by_pair_cmp, (void *)bp->x);
		return 0;
	}
#define RUN(x) ((x)->from * nt + ((x)->to == JOIN_NONE ? nt - 1 : (x)->to))
	for (size_t i = 0; i < j->nexports; i++)
		if (j->exports[i].exported)
			start[RUN(&j->exports[i]) + 1]++;
	for (size_t r = 0; r < nf * nt; r++)
		start[r + 1] += start[r];
	bp->n = start[nf * nt];
	for (size_t i = 0; i < j->nexports; i++)
		if (j->exports[i].exported)
			bp->v[start[RUN(&j->exports[i])]++] = i;
#undef RUN
	/* Each start is now its run's end. */
	for (size_t r = 0, at = 0; r < nf * nt; at = start[r++])
		sort_run(bp->v + at, start[r] - at, bp->x);
	free(start);
	return 0;
}

/* The run of exports from FROM to TO under PEER: *first, and the count. */
static size_t by_pair_run(const struct pf_cross *bp, size_t from, size_t to, const char *peer,
                          size_t *first)
{
	size_t lo = 0, hi = bp->n, end;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (cross_cmp(&bp->x[bp->v[mid]], from, to, peer) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (end = lo; end < bp->n && !cross_cmp(&bp->x[bp->v[end]], from, to, peer); end++)
		;
	*first = lo;
	return end - lo;
}

int pf_pair_exports(const struct pf_cross *bp, const struct join_pair *p, size_t **out, size_t *n)
{
	size_t fa = 0, fb = 0, na, nb;
	size_t *v;

	*out = NULL;
	*n = 0;
	na = by_pair_run(bp, p->a.cluster, p->b.cluster, p->a.name, &fa);
	nb = by_pair_run(bp, p->b.cluster, p->a.cluster, p->b.name, &fb);
	if (!na && !nb)
		return 0;
	if (!(v = malloc((na + nb) * sizeof *v)))
		return -1;
	for (size_t i = 0, k = 0; i < na || k < nb;)
		v[(*n)++] = k >= nb || (i < na && bp->v[fa + i] < bp->v[fb + k]) ? bp->v[fa + i++]
		                                                                 : bp->v[fb + k++];
	*out = v;
	return 0;
}

int pf_run_pair(const struct preflight_input *in, const struct join_pair *p,
                const struct pf_cross *bp, struct preflight_report *out)
{
	struct pf_pair c = {p,
	                    live_of(in, p->a.cluster),
	                    p->b.cluster == JOIN_NONE ? live_of(in, PREFLIGHT_NONE)
	                                              : live_of(in, p->b.cluster),
	                    in,
	                    NULL,
	                    0};
	size_t *xv;
	struct pf_draft d;

	if (pf_pair_exports(bp, p, &xv, &c.nexports) < 0)
		return -1;
	c.exports = xv;

	for (size_t k = 0; k < NDEFS; k++) {
		if (!defs[k].pair)
			continue;
		pf_draft_init(&d, &defs[k].check);
		d.cluster = p->a.cluster;
		d.other = p->b.cluster == JOIN_NONE ? PREFLIGHT_NONE : p->b.cluster;
		snprintf(d.subject, sizeof d.subject, "%s", p->id);
		defs[k].pair(&c, &d);
		if (pf_report_put(out, &d) < 0) {
			free(xv);
			return -1;
		}
	}
	free(xv);
	return 0;
}

/* The live data of every snapshot, derived from the snapshots. */
static int run_derived(const struct preflight_input *in, struct preflight_report *out)
{
	struct pf_live_buf *b = calloc(in->n ? in->n : 1, sizeof *b);
	struct preflight_live *live = calloc(in->n ? in->n : 1, sizeof *live);
	struct preflight_input with = *in;
	int rc = -1;

	if (!b || !live)
		goto out;
	for (size_t i = 0; i < in->n; i++) {
		if (in->snaps[i] && pf_live_from_snapshot(in->snaps[i], &b[i]) < 0)
			goto out;
		live[i] = b[i].live;
	}
	with.live = live;
	rc = preflight_run(&with, out);
out:
	for (size_t i = 0; b && i < in->n; i++)
		pf_live_buf_free(&b[i]);
	free(b);
	free(live);
	return rc;
}

int preflight_run(const struct preflight_input *in, struct preflight_report *out)
{
	if (!in->live && in->n)
		return run_derived(in, out);
	for (size_t i = 0; i < in->n; i++)
		if (in->snaps[i] && pf_run_cluster(in, i, out) < 0)
			return -1;
	struct pf_cross bp;
	if (pf_cross_init(&bp, in->join) < 0)
		return -1;
	for (size_t i = 0; in->join && i < in->join->npairs; i++) {
		if (pf_run_pair(in, &in->join->pairs[i], &bp, out) < 0) {
			free(bp.v);
			return -1;
		}
	}
	free(bp.v);
	return 0;
}
