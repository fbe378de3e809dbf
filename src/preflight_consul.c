/* preflight: the checks of what Consul says about a cluster: its version,
 * its mesh gateways, the mesh entry, gateway modes and exports. */
#include "autoconfig.h"

#include "preflight_internal.h"

#include <stdio.h>
#include <string.h>

#define HEALTH_GW "GET /v1/health/service/mesh-gateway"

/* ---------------------------------------------------------------- version */

/* Every server's version, from GET /v1/agent/members (Tags.build): the
 * agent that answers may be a client, or one server of several. Not
 * known: unknown, with why. */
static void servers_versions(const struct pf_cluster *c, struct pf_draft *r)
{
	const struct model_meta *sv = c->live->server_versions;
	const char *why = c->live->servers_why;
	bool ok;

	if (!sv || !sv->n) {
		r->verdict = PREFLIGHT_UNKNOWN;
		pf_more(r, "; the servers' versions are not known: %s",
		        why && *why ? why : "not fetched yet (GET /v1/agent/members)");
		if (c->live->acl_known && c->live->acl_enabled)
			pf_fix(r,
			       "grant peerscope's token node_prefix \"\" { policy = \"read\" } (or "
			       "check by hand: consul members, the Build column)");
		else
			pf_fix(r, "check by hand: consul members (the Build column)");
		return;
	}
	for (size_t i = 0; i < sv->n; i++) {
		if (preflight_version_at_least(sv->v[i].value, 1, 14, 0, &ok) || !ok)
			continue;
		pf_verdict(r, PREFLIGHT_FAIL, "server %s runs Consul %s", sv->v[i].key,
		           sv->v[i].value);
		pf_seen(r, "%s", sv->v[i].value);
		return;
	}
	pf_more(r, "; every server (%zu) runs 1.14 or later", sv->n);
}

void pf_consul_version(const struct pf_cluster *c, struct pf_draft *r)
{
	const struct store_snapshot *s = c->s;
	bool ok, recent;

	pf_required(r, ">= 1.14");
	if (!s->has_identity) {
		if (!pf_unread(s, STORE_SRC_IDENTITY, "the Consul agent (/v1/agent/self)", r))
			pf_verdict(r, PREFLIGHT_UNKNOWN,
			           "the Consul agent did not say its version");
		pf_fix(r, "check by hand: consul members (the Build column)");
		return;
	}
	/* agent/self needs agent:read; the poller falls back to agent/version,
	 * which names no node. */
	const char *from = *s->identity->node_name ? "GET /v1/agent/self Config.Version"
	                                           : "GET /v1/agent/version HumanVersion";
	const char *v = s->identity->version;
	pf_seen(r, "%s", v);
	recent = preflight_version_at_least(v, 1, 14, 0, &ok);
	if (!ok) {
		pf_verdict(r, PREFLIGHT_UNKNOWN, "%s=\"%s\" is not a version", from, v);
		pf_fix(r, "check by hand: consul members (the Build column)");
		return;
	}
	pf_verdict(r, recent ? PREFLIGHT_OK : PREFLIGHT_FAIL, "%s=%s", from, v);
	if (recent)
		servers_versions(c, r);
	if (r->verdict == PREFLIGHT_OK || r->verdict == PREFLIGHT_UNKNOWN)
		return;
	if (s->kube_configured)
		pf_helm_fix(r, s, "global.image=hashicorp/consul:1.14.1 (or a newer Consul)");
	else
		pf_fix(r, "upgrade every Consul server to 1.14 or later");
}

/* --------------------------------------------------------------- gateways */

static const char *instance_name(const struct model_service_instance *g)
{
	const char *pod = model_meta_get(&g->meta, "pod-name");

	return pod && *pod ? pod : g->service_id;
}

static void list_instances(struct pf_draft *r, const struct model_instance_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		pf_more(r, "%s%s", i ? ", " : "", instance_name(&l->v[i]));
}

void pf_gateway_registered(const struct pf_cluster *c, struct pf_draft *r)
{
	const struct store_snapshot *s = c->s;
	struct pf_exports e;
	char where[160], kc[200];

	pf_required(r, "at least 1 registered");
	if (pf_unread(s, STORE_SRC_GATEWAYS, "the mesh gateways (" HEALTH_GW ")", r))
		return;
	pf_seen(r, "%zu", s->gateways->n);
	if (s->gateways->n) {
		pf_verdict(r, PREFLIGHT_OK, HEALTH_GW ": %zu registered: ", s->gateways->n);
		list_instances(r, s->gateways);
		return;
	}
	pf_exports_of(s, &e, where, sizeof where);
	bool ptmg = c->gw && c->gw->peer_through_mesh_gateways;
	size_t peerings = pf_live_peerings(s);
	if (pf_exports_to(&e, NULL))
		pf_verdict(r, PREFLIGHT_FAIL,
		           HEALTH_GW ": none registered, and the %s exports to peers", where);
	else if (ptmg)
		pf_verdict(r, PREFLIGHT_FAIL,
		           HEALTH_GW ": none registered, and the mesh entry peers through mesh "
		                     "gateways (generating a peering token fails)");
	else if (peerings)
		pf_verdict(r, PREFLIGHT_FAIL, HEALTH_GW ": none registered, and %zu peering%s",
		           peerings, peerings == 1 ? " exists" : "s exist");
	else
		pf_verdict(r, PREFLIGHT_WARN,
		           HEALTH_GW ": none registered (the cluster cannot export to a peer)");
	if (!s->kube_configured)
		pf_fix(r, "register a mesh gateway (consul connect envoy -gateway=mesh -register)");
	else if (s->has_helm && !s->helm->mesh_gateway_enabled)
		pf_helm_fix(r, s, "meshGateway.enabled=true");
	else
		pf_fix(r,
		       "%s get pods,services -l component=mesh-gateway (a LoadBalancer without an "
		       "external address keeps the gateway out of Consul's catalog)",
		       pf_kubectl(s, kc, sizeof kc));
}

void pf_gateway_passing(const struct pf_cluster *c, struct pf_draft *r)
{
	const struct store_snapshot *s = c->s;
	const struct model_service_instance *bad = NULL;
	size_t passing = 0, n = s->gateways->n;
	char kc[200];

	pf_required(r, "at least 1 passing");
	if (pf_unread(s, STORE_SRC_GATEWAYS, "the mesh gateways (" HEALTH_GW ")", r))
		return;
	if (n == 0) {
		pf_verdict(r, PREFLIGHT_SKIP, "no mesh gateway is registered (gateway-registered)");
		return;
	}
	for (size_t i = 0; i < n; i++) {
		if (s->gateways->v[i].health == MODEL_HEALTH_PASSING)
			passing++;
		else if (!bad)
			bad = &s->gateways->v[i];
	}
	pf_seen(r, "%zu/%zu passing", passing, n);
	pf_verdict(r,
	           passing == n ? PREFLIGHT_OK
	           : passing    ? PREFLIGHT_WARN
	                        : PREFLIGHT_FAIL,
	           HEALTH_GW ": %zu of %zu passing", passing, n);
	for (size_t i = 0; i < n; i++)
		if (s->gateways->v[i].health != MODEL_HEALTH_PASSING)
			pf_more(r, "; %s %s", instance_name(&s->gateways->v[i]),
			        model_health_name(s->gateways->v[i].health));
	if (!bad)
		return;
	if (s->kube_configured)
		pf_fix(r,
		       "%s describe pod %s (and its logs): the gateway passes once Envoy is ready",
		       pf_kubectl(s, kc, sizeof kc), instance_name(bad));
	else
		pf_fix(r, "look at the failing checks of %s (GET /v1/health/checks/mesh-gateway)",
		       instance_name(bad));
}

/* The address a peer dials: Consul prefers the WAN tagged address, then the
 * service's, then the node's (agent/consul/peering_backend.go). */
static const char *dial_address(const struct model_service_instance *g, int *port,
                                const char **which)
{
	if (g->wan.address && *g->wan.address) {
		*port = g->wan.port ? g->wan.port : g->port;
		*which = "wan";
		return g->wan.address;
	}
	*port = g->port;
	if (g->address && *g->address) {
		*which = "address (no wan tagged address)";
		return g->address;
	}
	*which = "node address (no wan tagged address)";
	return g->node_address;
}

void pf_gateway_wan_address(const struct pf_cluster *c, struct pf_draft *r)
{
	const struct store_snapshot *s = c->s;
	size_t bad = 0, n = s->gateways->n;

	pf_required(r, "an address peers can reach");
	if (pf_unread(s, STORE_SRC_GATEWAYS, "the mesh gateways (" HEALTH_GW ")", r))
		return;
	if (n == 0) {
		pf_verdict(r, PREFLIGHT_SKIP, "no mesh gateway is registered (gateway-registered)");
		return;
	}
	pf_verdict(r, PREFLIGHT_OK, HEALTH_GW ":");
	for (size_t i = 0; i < n; i++) {
		const char *which, *why;
		int port;
		const char *a = dial_address(&s->gateways->v[i], &port, &which);
		why = preflight_address_unroutable(a);
		bad += why != NULL;
		pf_more(r, "%s %s %s %s:%d%s%s", i ? "," : "", instance_name(&s->gateways->v[i]),
		        which, a ? a : "", port, why ? " is " : "", why ? why : "");
		if (i == 0 || why)
			pf_seen(r, "%s:%d", a ? a : "", port);
	}
	if (!bad)
		return;
	r->verdict = bad == n ? PREFLIGHT_FAIL : PREFLIGHT_WARN;
	if (s->kube_configured)
		pf_helm_fix(r, s,
		            "meshGateway.wanAddress.source=Static,meshGateway.wanAddress.static="
		            "ADDRESS "
		            "(an address the peers reach; or source=Service with a LoadBalancer)");
	else
		pf_fix(r, "register the mesh gateway with a WAN address the peers can reach "
		          "(consul connect envoy -gateway=mesh -wan-address)");
}

static void config_keys(struct pf_draft *r, const struct preflight_gateway_config *g,
                        size_t *unknown, size_t *set)
{
	for (size_t k = 0; g->config && k < g->config->n; k++) {
		const struct model_kv *kv = &g->config->v[k];
		bool known = pf_envoy_key_known(kv->key);
		(*set)++;
		if (!known)
			(*unknown)++;
		pf_more(r, "%s%s %s=%.40s%s", *set > 1 ? "," : "", g->instance, kv->key,
		        kv->value ? kv->value : "", known ? "" : " (not a key Consul reads)");
	}
}

void pf_gateway_proxy_config(const struct pf_cluster *c, struct pf_draft *r)
{
	const struct store_snapshot *s = c->s;
	const struct preflight_live *l = c->live;
	size_t unknown = 0, set = 0;

	if (pf_unread(s, STORE_SRC_GATEWAYS, "the mesh gateways (" HEALTH_GW ")", r))
		return;
	if (s->gateways->n == 0) {
		pf_verdict(r, PREFLIGHT_SKIP, "no mesh gateway is registered (gateway-registered)");
		return;
	}
	if (!l->gateway_configs_known) {
		pf_verdict(r, PREFLIGHT_UNKNOWN,
		           "not fetched yet: the mesh gateways' Proxy.Config (" HEALTH_GW ")");
		pf_fix(r, "check by hand: curl $CONSUL_HTTP_ADDR/v1/health/service/mesh-gateway | "
		          "jq '.[].Service.Proxy.Config'");
		return;
	}
	pf_verdict(r, PREFLIGHT_OK, "Proxy.Config:");
	for (size_t i = 0; i < l->ngateway_configs; i++)
		config_keys(r, &l->gateway_configs[i], &unknown, &set);
	pf_seen(r, "%zu key%s set", set, set == 1 ? "" : "s");
	if (set == 0)
		pf_more(r, " none set: Consul's defaults for mesh gateways");
	if (!unknown)
		return;
	r->verdict = PREFLIGHT_WARN;
	pf_fix(r, "remove or correct the keys Consul does not read (gateway options: "
	          "envoy_gateway_bind_addresses, envoy_gateway_bind_tagged_addresses, "
	          "connect_timeout_ms, envoy_dns_discovery_type, ...); Consul ignores them");
}

/* ------------------------------------------------------------------- mesh */

void pf_mesh_ptmg(const struct pf_cluster *c, struct pf_draft *r)
{
	const struct store_snapshot *s = c->s;
	bool consul = pf_has_data(s, STORE_SRC_MESH), cr = pf_has_data(s, STORE_SRC_KUBE_MESHES);
	const struct model_kube_mesh *m = cr && s->kube_meshes->n ? &s->kube_meshes->v[0] : NULL;
	bool on;
	char kc[200];

	pf_required(r, "true");
	if (!consul && !cr) {
		pf_unread(s, STORE_SRC_MESH, "the mesh config entry (/v1/config/mesh/mesh)", r);
		return;
	}
	if (consul && s->has_mesh) {
		on = s->mesh->peer_through_mesh_gateways;
		pf_verdict(r, PREFLIGHT_OK,
		           "GET /v1/config/mesh/mesh Peering.PeerThroughMeshGateways=%s",
		           on ? "true" : "false");
	} else if (consul) {
		on = false;
		pf_verdict(r, PREFLIGHT_OK, "GET /v1/config/mesh/mesh: no mesh entry");
	} else {
		on = m && m->peer_through_mesh_gateways;
		if (m)
			pf_verdict(r, PREFLIGHT_OK,
			           "Mesh %s/%s spec.peering.peerThroughMeshGateways=%s",
			           m->head.meta.ns, m->head.meta.name, on ? "true" : "false");
		else
			pf_verdict(r, PREFLIGHT_OK, "no Mesh resource");
	}
	pf_seen(r, "%s", on ? "true" : "false");
	if (on)
		return;
	r->verdict = PREFLIGHT_WARN;
	if (consul && m && m->peer_through_mesh_gateways) {
		pf_more(r, "; Mesh %s/%s asks for true but Consul does not have it (Synced=%s%s%s)",
		        m->head.meta.ns, m->head.meta.name, model_cond_name(m->head.synced.status),
		        *m->head.synced.message ? ": " : "", m->head.synced.message);
		pf_fix(r, "%s get mesh %s -o yaml: the controller's Synced condition says why",
		       pf_kubectl(s, kc, sizeof kc), m->head.meta.name);
	} else if (s->kube_configured) {
		pf_fix(r,
		       "%s apply -f mesh.yaml (apiVersion consul.hashicorp.com/v1alpha1, kind "
		       "Mesh, "
		       "name mesh, spec.peering.peerThroughMeshGateways: true)",
		       pf_kubectl(s, kc, sizeof kc));
	} else {
		pf_fix(r,
		       "consul config write a mesh entry with Peering { PeerThroughMeshGateways = "
		       "true }");
	}
}

/* ------------------------------------------------------------------ modes */

/* The cluster-wide mode as written, and where; false when neither Consul's
 * proxy-defaults nor its CR was read. */
static bool cluster_mode(const struct store_snapshot *s, enum model_mgw_mode *m, char *where,
                         size_t len)
{
	if (pf_has_data(s, STORE_SRC_PROXY_DEFAULTS)) {
		*m = s->has_proxy_defaults ? s->proxy_defaults->mgw_mode : MODEL_MGW_DEFAULT;
		snprintf(where, len, "GET /v1/config/proxy-defaults/global MeshGateway.Mode=%s",
		         *m == MODEL_MGW_DEFAULT ? "\"\"" : model_mgw_mode_name(*m));
		return true;
	}
	if (!pf_has_data(s, STORE_SRC_KUBE_PROXY_DEFAULTS))
		return false;
	const struct model_kube_proxy_defaults *p =
	        s->kube_proxy_defaults->n ? &s->kube_proxy_defaults->v[0] : NULL;
	*m = p ? p->mgw_mode : MODEL_MGW_DEFAULT;
	if (p)
		snprintf(where, len, "ProxyDefaults %s/%s spec.meshGateway.mode=%s",
		         p->head.meta.ns, p->head.meta.name,
		         *m == MODEL_MGW_DEFAULT ? "\"\"" : model_mgw_mode_name(*m));
	else
		snprintf(where, len, "no ProxyDefaults resource");
	return true;
}

/* A mesh gateway mode that a service-defaults entry sets. */
enum use_kind {
	USE_SERVICE,  /* MeshGateway.Mode */
	USE_DEFAULTS, /* UpstreamConfig.Defaults.MeshGateway.Mode */
	USE_OVERRIDE, /* UpstreamConfig.Overrides[].MeshGateway.Mode */
};

struct mode_use {
	enum use_kind kind;
	const char *service;
	const char *upstream; /* an override's upstream, or "" */
	const char *peer;     /* an override's peer, or "" */
	enum model_mgw_mode mode;
};

static size_t service_modes(const struct store_snapshot *s, struct mode_use *out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < s->service_defaults->n; i++) {
		const struct model_service_defaults_entry *sd = &s->service_defaults->v[i];
		if (sd->mgw_mode != MODEL_MGW_DEFAULT && n < max)
			out[n++] =
			        (struct mode_use){USE_SERVICE, sd->head.name, "", "", sd->mgw_mode};
		if (sd->has_upstream_defaults &&
		    sd->upstream_defaults_mgw_mode != MODEL_MGW_DEFAULT && n < max)
			out[n++] = (struct mode_use){USE_DEFAULTS, sd->head.name, "", "",
			                             sd->upstream_defaults_mgw_mode};
		for (size_t k = 0; k < sd->noverrides && n < max; k++) {
			const struct model_upstream_override *o = &sd->overrides[k];
			if (o->mgw_mode != MODEL_MGW_DEFAULT)
				out[n++] = (struct mode_use){USE_OVERRIDE, sd->head.name, o->name,
				                             o->peer ? o->peer : "", o->mgw_mode};
		}
	}
	return n;
}

static bool mode_bad(enum model_mgw_mode m)
{
	return m == MODEL_MGW_NONE || m == MODEL_MGW_INVALID;
}

static void put_use(struct pf_draft *r, const struct mode_use *u)
{
	const char *mode = model_mgw_mode_name(u->mode);

	if (u->kind == USE_SERVICE)
		pf_more(r, "; service-defaults %s MeshGateway.Mode=%s", u->service, mode);
	else if (u->kind == USE_DEFAULTS)
		pf_more(r, "; service-defaults %s UpstreamConfig.Defaults MeshGateway.Mode=%s",
		        u->service, mode);
	else
		pf_more(r,
		        "; service-defaults %s UpstreamConfig.Overrides[%s%s%s] "
		        "MeshGateway.Mode=%s",
		        u->service, u->upstream, *u->peer ? " peer " : "", u->peer, mode);
}

/* Peering traffic exists or is being set up: the cluster has peerings or
 * exports to peers. */
static bool peering_in_use(const struct store_snapshot *s)
{
	struct pf_exports e;
	char where[160];

	pf_exports_of(s, &e, where, sizeof where);
	return pf_live_peerings(s) > 0 || pf_exports_to(&e, NULL);
}

void pf_mode_none(const struct pf_cluster *c, struct pf_draft *r)
{
	const struct store_snapshot *s = c->s;
	struct mode_use uses[32];
	enum model_mgw_mode m;
	char where[200], kc[200];
	size_t n, bad = 0;

	pf_required(r, "remote or local");
	if (!cluster_mode(s, &m, where, sizeof where)) {
		pf_unread(s, STORE_SRC_PROXY_DEFAULTS,
		          "the proxy-defaults entry (/v1/config/proxy-defaults/global)", r);
		return;
	}
	n = service_modes(s, uses, sizeof uses / sizeof uses[0]);
	pf_seen(r, "%s", m == MODEL_MGW_DEFAULT ? "remote (default)" : model_mgw_mode_name(m));
	pf_verdict(r, PREFLIGHT_OK, "%s", where);
	bad = mode_bad(m);
	for (size_t i = 0; i < n; i++) {
		if (!mode_bad(uses[i].mode))
			continue;
		if (!bad++)
			pf_seen(r, "%s (service-defaults %s)", model_mgw_mode_name(uses[i].mode),
			        uses[i].service);
		put_use(r, &uses[i]);
	}
	if (!bad) {
		pf_more(r, "; no service-defaults sets none");
		return;
	}
	r->verdict = PREFLIGHT_FAIL;
	if (!peering_in_use(s)) {
		r->verdict = PREFLIGHT_WARN;
		pf_more(r, " (no peering yet: invalid once the cluster peers)");
	}
	if (mode_bad(m) && s->kube_configured)
		pf_fix(r,
		       "%s apply ProxyDefaults global with spec.meshGateway.mode: remote (or local "
		       "with a passing mesh gateway)",
		       pf_kubectl(s, kc, sizeof kc));
	else if (mode_bad(m))
		pf_fix(r, "consul config write proxy-defaults global with MeshGateway { Mode = "
		          "\"remote\" }");
	else
		pf_fix(r, "set the service-defaults' mesh gateway mode to remote or local, or "
		          "remove it "
		          "(ServiceDefaults spec.meshGateway.mode, spec.upstreamConfig)");
}

void pf_mode_local_gateway(const struct pf_cluster *c, struct pf_draft *r)
{
	const struct store_snapshot *s = c->s;
	struct mode_use uses[32];
	enum model_mgw_mode m;
	char where[200];
	size_t n, local = 0, passing = 0;

	if (!cluster_mode(s, &m, where, sizeof where)) {
		pf_unread(s, STORE_SRC_PROXY_DEFAULTS,
		          "the proxy-defaults entry (/v1/config/proxy-defaults/global)", r);
		return;
	}
	n = service_modes(s, uses, sizeof uses / sizeof uses[0]);
	pf_verdict(r, PREFLIGHT_OK, "%s", where);
	local = m == MODEL_MGW_LOCAL;
	for (size_t i = 0; i < n; i++)
		if (uses[i].mode == MODEL_MGW_LOCAL) {
			put_use(r, &uses[i]);
			local++;
		}
	if (!local) {
		pf_verdict(r, PREFLIGHT_SKIP, "no mode local: %s", where);
		return;
	}
	if (pf_unread(s, STORE_SRC_GATEWAYS, "the mesh gateways (" HEALTH_GW ")", r))
		return;
	for (size_t i = 0; i < s->gateways->n; i++)
		passing += s->gateways->v[i].health == MODEL_HEALTH_PASSING;
	pf_seen(r, "%zu passing here", passing);
	pf_required(r, "at least 1 passing here");
	pf_more(r, "; " HEALTH_GW ": %zu of %zu passing", passing, s->gateways->n);
	if (passing)
		return;
	r->verdict = pf_live_peerings(s) ? PREFLIGHT_FAIL : PREFLIGHT_WARN;
	if (s->kube_configured && s->has_helm && !s->helm->mesh_gateway_enabled)
		pf_helm_fix(r, s, "meshGateway.enabled=true (or set the mode to remote)");
	else
		pf_fix(r, "run a passing mesh gateway in this cluster, or set the mode to remote");
}

void pf_mode_per_service(const struct pf_cluster *c, struct pf_draft *r)
{
	const struct store_snapshot *s = c->s;
	struct mode_use uses[32];
	enum join_mode_source src;
	enum model_mgw_mode m;
	size_t n, differ = 0;

	if (pf_unread(s, STORE_SRC_SERVICE_DEFAULTS,
	              "the service-defaults entries (/v1/config/service-defaults)", r))
		return;
	m = join_effective_mode(s, NULL, NULL, NULL, &src);
	n = service_modes(s, uses, sizeof uses / sizeof uses[0]);
	pf_verdict(r, PREFLIGHT_OK, "cluster-wide %s (%s)", model_mgw_mode_name(m),
	           join_mode_source_name(src));
	for (size_t i = 0; i < n; i++) {
		if (uses[i].mode == m)
			continue;
		put_use(r, &uses[i]);
		differ++;
	}
	if (!differ)
		pf_more(r, "; every service uses it");
	pf_seen(r, "%zu service setting%s differ%s", differ, differ == 1 ? "" : "s",
	        differ == 1 ? "s" : "");
}

/* ---------------------------------------------------------------- exports */

void pf_exports_consumer_peer(const struct pf_cluster *c, struct pf_draft *r)
{
	const struct store_snapshot *s = c->s;
	struct pf_exports e;
	char where[160];
	size_t missing = 0, consumers = 0;

	pf_exports_of(s, &e, where, sizeof where);
	if (!e.known) {
		pf_unread(s, STORE_SRC_EXPORTS,
		          "the exported-services entry (/v1/config/exported-services/default)", r);
		return;
	}
	if (!pf_exports_to(&e, NULL)) {
		pf_verdict(r, PREFLIGHT_SKIP, "nothing is exported to a peer");
		return;
	}
	if (pf_unread(s, STORE_SRC_PEERINGS, "the peerings (/v1/peerings)", r))
		return;
	pf_verdict(r, PREFLIGHT_OK, "%s:", where);
	for (size_t i = 0; i < e.n; i++)
		for (size_t k = 0; k < e.v[i].nconsumers; k++) {
			const char *peer = e.v[i].consumers[k].peer;
			if (!peer || !*peer)
				continue;
			const struct model_peering *p = pf_peering(s, peer);
			bool gone = !p || p->state == MODEL_PEERING_DELETING ||
			            p->state == MODEL_PEERING_TERMINATED;
			pf_more(r, "%s %s -> %s (%s)", consumers++ ? "," : "", e.v[i].name, peer,
			        p ? model_peering_state_name(p->state) : "no such peering");
			if (gone && !missing++)
				pf_seen(r, "%s", peer);
		}
	if (!missing)
		return;
	r->verdict = PREFLIGHT_WARN;
	pf_required(r, "a peering of that name");
	pf_fix(r,
	       "create the peering named %s on %s (a PeeringAcceptor or PeeringDialer of that "
	       "name), or correct the consumer's peer in the %s",
	       r->seen, s->name, where);
}

static const char *part(const char *p)
{
	return p && *p ? p : "default";
}

/* The partition of gateway instance G of S. One read without a partition
 * (no Partition field) is taken to be where consul-k8s registers its
 * gateways (Helm global.adminPartitions.name), else in the agent's. */
static const char *gateway_partition(const struct store_snapshot *s,
                                     const struct model_service_instance *g)
{
	if (g->partition && *g->partition)
		return g->partition;
	if (s->has_helm && s->helm->admin_partitions_enabled)
		return part(s->helm->admin_partition_name);
	return part(s->identity->partition);
}

static bool gateway_in(const struct store_snapshot *s, const char *p)
{
	for (size_t i = 0; i < s->gateways->n; i++)
		if (!strcmp(gateway_partition(s, &s->gateways->v[i]), p))
			return true;
	return false;
}

/* The partition of exported service SVC: the entry it is listed in. */
static const char *export_partition(const struct store_snapshot *s,
                                    const struct model_export_service *svc)
{
	if (svc->partition && *svc->partition)
		return svc->partition;
	if (s->has_exports && *s->exports->head.partition)
		return s->exports->head.partition;
	return part(s->identity->partition);
}

/* Where the mesh gateways are: "default, team-a", or "none". */
static void gateway_partitions(const struct store_snapshot *s, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < s->gateways->n && off < len; i++) {
		const char *p = gateway_partition(s, &s->gateways->v[i]);
		if (strstr(buf, p) && off)
			continue;
		off += (size_t)snprintf(buf + off, len - off, "%s%s", off ? ", " : "", p);
	}
	if (!off)
		snprintf(buf, len, "none");
}

void pf_exports_partition(const struct pf_cluster *c, struct pf_draft *r)
{
	const struct store_snapshot *s = c->s;
	struct pf_exports e;
	char where[160], gws[160];
	const char *helm = NULL, *bad = NULL;
	size_t nbad = 0;

	if (!s->has_identity) {
		if (!pf_unread(s, STORE_SRC_IDENTITY, "the Consul agent (/v1/agent/self)", r))
			pf_verdict(r, PREFLIGHT_UNKNOWN,
			           "the Consul agent did not say its edition");
		pf_fix(r, "check by hand: consul version");
		return;
	}
	if (!s->identity->enterprise) {
		pf_verdict(r, PREFLIGHT_SKIP, "Consul %s is not Enterprise: one partition",
		           s->identity->version);
		return;
	}
	pf_exports_of(s, &e, where, sizeof where);
	if (!e.known) {
		pf_unread(s, STORE_SRC_EXPORTS, "the exported-services entries", r);
		return;
	}
	if (pf_unread(s, STORE_SRC_GATEWAYS, "the mesh gateways (/v1/health/service/mesh-gateway)",
	              r))
		return;
	if (s->has_helm && s->helm->admin_partitions_enabled)
		helm = part(s->helm->admin_partition_name);
	gateway_partitions(s, gws, sizeof gws);
	pf_required(r, "a mesh gateway in the partition of each exported service and its entry");
	pf_verdict(r, PREFLIGHT_OK, "mesh gateways registered in partition%s %s",
	           strchr(gws, ',') ? "s" : "", gws);
	if (s->partitions->n)
		pf_more(r, " (partitions read: %zu)", s->partitions->n);
	if (helm)
		pf_more(r, "; Helm global.adminPartitions.name=%s", helm);
	for (size_t i = 0; i < e.n; i++) {
		const char *p = part(export_partition(s, &e.v[i]));
		if (gateway_in(s, p))
			continue;
		if (!nbad++) {
			bad = p;
			pf_seen(r, "%s exported from partition %s, no mesh gateway there",
			        e.v[i].name, p);
		}
		pf_more(r,
		        "; %s is exported from partition %s (exported-services entry %s) but no "
		        "mesh gateway is registered there",
		        e.v[i].name, p, p);
	}
	if (!nbad) {
		pf_seen(r, "%s", gws);
		return;
	}
	r->verdict = PREFLIGHT_FAIL;
	pf_fix(r,
	       "register a mesh gateway in partition %s: consul-k8s installed in that partition "
	       "(Helm global.adminPartitions.name: %s, meshGateway.enabled: true), or export the "
	       "services from the partition of the gateways (%s) with their exported-services "
	       "entry there",
	       bad, bad, gws);
}

/* An intention lets PEER's services reach SERVICE. */
static bool admitted(const struct preflight_live *l, const char *service, const char *peer,
                     bool *denied)
{
	for (size_t i = 0; i < l->nintentions; i++) {
		const struct preflight_intention *x = &l->intentions[i];
		if ((strcmp(x->destination, service) && strcmp(x->destination, "*")) ||
		    strcmp(x->source_peer ? x->source_peer : "", peer))
			continue;
		if (!x->allow)
			*denied = true;
		else
			return true;
	}
	return false;
}

/* The same from what the pollers read into the snapshot (Consul's entries,
 * else the CRs, and the default policy the read reported). False when
 * neither was read. */
static bool snapshot_intentions(const struct store_snapshot *s, const struct pf_exports *e,
                                struct pf_draft *r)
{
	const char *policy = join_default_policy(s);
	size_t lacking = 0;

	if (!pf_has_data(s, STORE_SRC_INTENTIONS) && !pf_has_data(s, STORE_SRC_KUBE_INTENTIONS))
		return false;
	pf_verdict(r, PREFLIGHT_OK, "%s; default policy %s",
	           pf_has_data(s, STORE_SRC_INTENTIONS) ? "service-intentions entries"
	                                                : "ServiceIntentions resources",
	           *policy ? policy : "not known");
	for (size_t i = 0; i < e->n; i++)
		for (size_t k = 0; k < e->v[i].nconsumers; k++) {
			const char *peer = e->v[i].consumers[k].peer;
			enum join_intent it;
			if (!peer || !*peer || !strcmp(e->v[i].name, "*"))
				continue;
			it = join_intention(s, e->v[i].name, peer, NULL, NULL);
			if (join_intent_ok(it) || it == JOIN_INTENT_SOME)
				continue;
			pf_more(r, "; %s: %s from peer %s", e->v[i].name,
			        it == JOIN_INTENT_DENIED ? "an intention denies calls"
			                                 : "no intention allows calls",
			        peer);
			if (!lacking++)
				pf_seen(r, "%s from peer %s", e->v[i].name, peer);
		}
	if (lacking) {
		r->verdict = !strcmp(policy, "allow") ? PREFLIGHT_WARN : PREFLIGHT_FAIL;
		pf_required(r, "an intention allowing the peer");
		pf_fix(r, "peerscope allow CLUSTER SERVICE --from PEER (a ServiceIntentions "
		          "source: name \"*\", peer: PEER, action: allow)");
	}
	return true;
}

void pf_exports_intentions(const struct pf_cluster *c, struct pf_draft *r)
{
	const struct store_snapshot *s = c->s;
	const struct preflight_live *l = c->live;
	const char *policy = l->acl_default_policy ? l->acl_default_policy : "";
	struct pf_exports e;
	char where[160];
	size_t lacking = 0;

	pf_exports_of(s, &e, where, sizeof where);
	if (!e.known) {
		pf_unread(s, STORE_SRC_EXPORTS,
		          "the exported-services entry (/v1/config/exported-services/default)", r);
		return;
	}
	if (!pf_exports_to(&e, NULL)) {
		pf_verdict(r, PREFLIGHT_SKIP, "nothing is exported to a peer");
		return;
	}
	if (!l->intentions_known && snapshot_intentions(s, &e, r))
		return;
	if (!l->intentions_known) {
		pf_verdict(r, PREFLIGHT_UNKNOWN,
		           "not fetched yet: the service-intentions entries "
		           "(/v1/config/service-intentions)");
		pf_fix(r, "check by hand: consul config list -kind service-intentions");
		return;
	}
	pf_verdict(r, PREFLIGHT_OK, "default ACL policy %s", *policy ? policy : "not known");
	for (size_t i = 0; i < e.n; i++)
		for (size_t k = 0; k < e.v[i].nconsumers; k++) {
			const char *peer = e.v[i].consumers[k].peer;
			bool denied = false;
			if (!peer || !*peer || admitted(l, e.v[i].name, peer, &denied))
				continue;
			if (!denied && !strcmp(policy, "allow"))
				continue;
			pf_more(r, "; %s: no intention allows a source from peer %s%s", e.v[i].name,
			        peer, denied ? " (one denies it)" : "");
			if (!lacking++)
				pf_seen(r, "%s from peer %s", e.v[i].name, peer);
		}
	if (!lacking)
		return;
	r->verdict = !strcmp(policy, "deny") ? PREFLIGHT_FAIL : PREFLIGHT_WARN;
	pf_required(r, "an intention allowing the peer");
	pf_fix(r, "apply a ServiceIntentions resource for the service with a source of the "
	          "consuming peer (sources: - name: \"*\", peer: PEER, action: allow)");
}
