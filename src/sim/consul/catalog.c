/* peerscope-sim, Consul half: the catalog, health and UI endpoints (API.md
 * §3), with imported services read from the exporting peer. */
#include "autoconfig.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "simc.h"

/* -------------------------------------------------------------- filters */

/* The few bexpr forms clients use here: SELECTOR == "v", SELECTOR != "v",
 * joined by "and". */
struct view {
	const struct simc_service *s;
	const struct simc_inst *in;
	const struct simc_node *node;
	const char *peer;
};

static const char *selector_value(const struct view *v, const char *sel, bool *known)
{
	*known = true;
	if (!strcmp(sel, "Service.Kind") || !strcmp(sel, "ServiceKind"))
		return v->s->kind;
	if (!strcmp(sel, "Service.Service") || !strcmp(sel, "ServiceName"))
		return v->s->name;
	if (!strcmp(sel, "Service.ID") || !strcmp(sel, "ServiceID"))
		return v->in->id;
	if (!strcmp(sel, "Node.Node") || !strcmp(sel, "Node"))
		return v->node->name;
	if (!strcmp(sel, "Service.PeerName") || !strcmp(sel, "PeerName"))
		return v->peer ? v->peer : "";
	*known = false;
	return NULL;
}

/* Returns 1 match, 0 no match, -1 bad filter (message in err). */
static int filter_match(const char *filter, const struct view *v, char *err, size_t errlen)
{
	char buf[512];

	if (!filter || !*filter)
		return 1;
	if (strlen(filter) >= sizeof buf) {
		snprintf(err, errlen, "filter too long");
		return -1;
	}
	snprintf(buf, sizeof buf, "%s", filter);
	char *clause = buf;
	while (clause) {
		char *next = strstr(clause, " and ");
		if (next) {
			*next = '\0';
			next += 5;
		}
		char sel[64], val[128], op[3];
		int n = 0;
		int got = sscanf(clause, " %63[A-Za-z.] %2[=!] \"%127[^\"]\" %n", sel, op, val, &n);
		if (got < 3 || clause[n] != '\0') {
			/* bexpr also takes a bare word as the value. */
			n = 0;
			got = sscanf(clause, " %63[A-Za-z.] %2[=!] %127[A-Za-z0-9._-] %n", sel, op,
			             val, &n);
		}
		if (got < 3 || clause[n] != '\0' || (strcmp(op, "==") && strcmp(op, "!="))) {
			snprintf(err, errlen,
			         "1:1 (0): no match found, expected: a selector "
			         "expression");
			return -1;
		}
		bool known;
		const char *have = selector_value(v, sel, &known);
		if (!known) {
			snprintf(err, errlen, "Selector \"%s\" is not valid", sel);
			return -1;
		}
		if ((strcmp(have, val) == 0) != (op[0] == '='))
			return 0;
		clause = next;
	}
	return 1;
}

/* ------------------------------------------------------------ renderers */

static cJSON *addr_port(const char *addr, int port)
{
	cJSON *o = cJSON_CreateObject();

	if (o) {
		cJSON_AddStringToObject(o, "Address", addr);
		cJSON_AddNumberToObject(o, "Port", port);
	}
	return o;
}

static cJSON *node_json(const struct sim_cluster *src, const struct simc_node *n, const char *peer)
{
	cJSON *o = cJSON_CreateObject(), *ta, *meta;

	if (!o)
		return NULL;
	cJSON_AddStringToObject(o, "ID", n->id);
	cJSON_AddStringToObject(o, "Node", n->name);
	cJSON_AddStringToObject(o, "Address", n->address);
	cJSON_AddStringToObject(o, "Datacenter", src->install.datacenter);
	if (peer)
		cJSON_AddStringToObject(o, "PeerName", peer);
	if ((ta = cJSON_AddObjectToObject(o, "TaggedAddresses"))) {
		cJSON_AddStringToObject(ta, "lan", n->address);
		cJSON_AddStringToObject(ta, "lan_ipv4", n->address);
		cJSON_AddStringToObject(ta, "wan", n->address);
		cJSON_AddStringToObject(ta, "wan_ipv4", n->address);
	}
	if ((meta = cJSON_AddObjectToObject(o, "Meta"))) {
		cJSON_AddStringToObject(meta, "consul-network-segment", "");
		if (n != &src->consul->nodes[0])
			cJSON_AddStringToObject(meta, "synthetic-node", "true");
	}
	/* A node is written once, when it registers: a later write elsewhere
	 * in the cluster leaves its indexes alone. */
	cJSON_AddNumberToObject(o, "CreateIndex", (double)n->create_index);
	cJSON_AddNumberToObject(o, "ModifyIndex", (double)n->create_index);
	return o;
}

static cJSON *tags_json(const struct simc_service *s)
{
	cJSON *t = cJSON_CreateArray();

	for (int i = 0; t && i < s->ntags; i++)
		cJSON_AddItemToArray(t, cJSON_CreateString(s->tags[i]));
	return t;
}

static void tagged_addresses(cJSON *o, const char *key, const struct simc_service *s,
                             const struct simc_inst *in)
{
	cJSON *ta = cJSON_AddObjectToObject(o, key);

	if (!ta)
		return;
	if (s->kind[0]) {
		cJSON_AddItemToObject(ta, "lan", addr_port(in->address, in->port));
		cJSON_AddItemToObject(ta, "wan", addr_port(in->wan_addr, in->wan_port));
	} else {
		cJSON_AddItemToObject(ta, "lan_ipv4", addr_port(in->address, in->port));
		cJSON_AddItemToObject(ta, "wan_ipv4", addr_port(in->address, in->port));
	}
}

static cJSON *service_meta(const struct sim_cluster *src, const struct simc_service *s,
                           const struct simc_inst *in)
{
	cJSON *m = cJSON_CreateObject();
	char pod[200];

	if (!m || !strcmp(s->name, "consul"))
		return m;
	snprintf(pod, sizeof pod, "%s", in->id);
	if (!s->kind[0]) {
		/* "<pod>-<service>": the pod name is the ID without the suffix. */
		size_t l = strlen(pod), sl = strlen(s->name);
		if (l > sl + 1)
			pod[l - sl - 1] = '\0';
	}
	cJSON_AddStringToObject(m, "k8s-namespace", s->kind[0] ? "consul" : "default");
	cJSON_AddStringToObject(m, "k8s-service-name",
	                        s->kind[0] ? "consul-mesh-gateway" : s->name);
	cJSON_AddStringToObject(m, "managed-by", "consul-k8s-endpoints-controller");
	cJSON_AddStringToObject(m, "pod-name", pod);
	cJSON_AddStringToObject(m, "pod-uid", in->pod_uid);
	cJSON_AddStringToObject(m, "synthetic-node", "true");
	return m;
}

/* The Raft indexes every catalog and health record of an instance ends with. */
static cJSON *add_indexes(cJSON *o, const struct simc_inst *in)
{
	cJSON_AddNumberToObject(o, "CreateIndex", (double)in->create_index);
	cJSON_AddNumberToObject(o, "ModifyIndex", (double)in->modify_index);
	return o;
}

/* What a health entry registers: the instance itself, or (for
 * /v1/health/connect) the sidecar proxy consul-k8s registers next to it. */
struct svc_names {
	const char *kind, *id, *name;
	int port;
	bool sidecar;
	char id_buf[220], name_buf[SIMC_NAME_MAX + 16];
};

#define SIDECAR_PORT 20000 /* consul-k8s's Envoy public listener */

static void svc_names_init(struct svc_names *v, const struct simc_service *s,
                           const struct simc_inst *in, bool sidecar)
{
	v->sidecar = sidecar;
	if (!sidecar) {
		*v = (struct svc_names){s->kind, in->id, s->name, in->port, false, "", ""};
		return;
	}
	snprintf(v->id_buf, sizeof v->id_buf, "%s-sidecar-proxy", in->id);
	snprintf(v->name_buf, sizeof v->name_buf, "%s-sidecar-proxy", s->name);
	v->kind = "connect-proxy";
	v->id = v->id_buf;
	v->name = v->name_buf;
	v->port = SIDECAR_PORT;
}

static void proxy_json(cJSON *o, const struct simc_service *s, const struct simc_inst *in,
                       const struct svc_names *v)
{
	cJSON *proxy = cJSON_AddObjectToObject(o, "Proxy");

	if (!proxy)
		return;
	if (v->sidecar) {
		cJSON_AddStringToObject(proxy, "DestinationServiceName", s->name);
		cJSON_AddStringToObject(proxy, "DestinationServiceID", in->id);
		cJSON_AddStringToObject(proxy, "LocalServiceAddress", "127.0.0.1");
		cJSON_AddNumberToObject(proxy, "LocalServicePort", in->port);
		cJSON_AddStringToObject(proxy, "Mode", "transparent");
	}
	cJSON_AddObjectToObject(proxy, "MeshGateway");
	cJSON_AddObjectToObject(proxy, "Expose");
}

static cJSON *service_json(const struct sim_cluster *src, const struct simc_service *s,
                           const struct simc_inst *in, const char *peer, const struct svc_names *v)
{
	cJSON *o = cJSON_CreateObject(), *w;

	if (!o)
		return NULL;
	if (v->kind[0])
		cJSON_AddStringToObject(o, "Kind", v->kind);
	cJSON_AddStringToObject(o, "ID", v->id);
	cJSON_AddStringToObject(o, "Service", v->name);
	cJSON_AddItemToObject(o, "Tags", tags_json(s));
	cJSON_AddStringToObject(o, "Address", in->address);
	tagged_addresses(o, "TaggedAddresses", s, in);
	cJSON_AddItemToObject(o, "Meta", service_meta(src, s, in));
	cJSON_AddNumberToObject(o, "Port", v->port);
	if ((w = cJSON_AddObjectToObject(o, "Weights"))) {
		cJSON_AddNumberToObject(w, "Passing", 1);
		cJSON_AddNumberToObject(w, "Warning", 1);
	}
	cJSON_AddBoolToObject(o, "EnableTagOverride", false);
	proxy_json(o, s, in, v);
	cJSON_AddObjectToObject(o, "Connect");
	if (peer)
		cJSON_AddStringToObject(o, "PeerName", peer);
	return add_indexes(o, in);
}

/* The status that wins among "passing" and STATUS, as getMostImportantStatus
 * ranks them: maintenance, critical, warning, passing. */
static const char *worse(const char *a, const char *b)
{
	static const char *rank[] = {"maintenance", "critical", "warning", "passing"};

	for (size_t i = 0; i < sizeof rank / sizeof rank[0]; i++)
		if (!strcmp(a, rank[i]) || !strcmp(b, rank[i]))
			return rank[i];
	return "critical";
}

static cJSON *check_json(const struct sim_cluster *src, const struct simc_service *s,
                         const struct simc_inst *in, const char *peer, const struct svc_names *v)
{
	const struct simc_node *n = &src->consul->nodes[in->node];
	cJSON *o = cJSON_CreateObject();
	char id[300];

	if (!o)
		return NULL;
	cJSON_AddStringToObject(o, "Node", n->name);
	if (peer) {
		/* Imported: the exporter flattens an instance's checks (its node's
		 * serfHealth included) into one (peerstream/subscription_manager.go
		 * flattenChecks). */
		snprintf(id, sizeof id, "%s:overall-check", v->id);
		cJSON_AddStringToObject(o, "CheckID", id);
		cJSON_AddStringToObject(o, "Name", "overall-check");
		cJSON_AddStringToObject(o, "Status", worse("passing", in->status));
		cJSON_AddStringToObject(o, "Output", "");
		cJSON_AddStringToObject(o, "ServiceID", v->id);
		cJSON_AddStringToObject(o, "ServiceName", v->name);
		cJSON_AddStringToObject(o, "Type", "");
	} else if (!v) {
		cJSON_AddStringToObject(o, "CheckID", "serfHealth");
		cJSON_AddStringToObject(o, "Name", "Serf Health Status");
		cJSON_AddStringToObject(o, "Status", "passing");
		cJSON_AddStringToObject(o, "Output", "Agent alive and reachable");
		cJSON_AddStringToObject(o, "ServiceID", "");
		cJSON_AddStringToObject(o, "ServiceName", "");
		cJSON_AddStringToObject(o, "Type", "");
	} else {
		snprintf(id, sizeof id, "%s/%s", v->id, v->name);
		cJSON_AddStringToObject(o, "CheckID", id);
		cJSON_AddStringToObject(o, "Name", "Kubernetes Readiness Check");
		cJSON_AddStringToObject(o, "Status", in->status);
		cJSON_AddStringToObject(o, "Output",
		                        !strcmp(in->status, "passing")
		                                ? "Kubernetes health checks passing"
		                                : "Pod is not ready");
		cJSON_AddStringToObject(o, "ServiceID", v->id);
		cJSON_AddStringToObject(o, "ServiceName", v->name);
		cJSON_AddStringToObject(o, "Type", "kubernetes-readiness");
	}
	cJSON_AddStringToObject(o, "Notes", "");
	if (v && !peer)
		cJSON_AddItemToObject(o, "ServiceTags", tags_json(s));
	else if (peer)
		cJSON_AddItemToObject(o, "ServiceTags", cJSON_CreateArray());
	if (peer)
		cJSON_AddStringToObject(o, "PeerName", peer);
	cJSON_AddStringToObject(o, "Interval", "");
	cJSON_AddStringToObject(o, "Timeout", "");
	cJSON_AddNumberToObject(o, "ExposedPort", 0);
	cJSON_AddObjectToObject(o, "Definition");
	return add_indexes(o, in);
}

static cJSON *health_entry(const struct sim_cluster *src, const struct simc_service *s,
                           const struct simc_inst *in, const char *peer, bool sidecar)
{
	cJSON *o = cJSON_CreateObject(), *checks;
	struct svc_names v;

	if (!o)
		return NULL;
	svc_names_init(&v, s, in, sidecar);
	cJSON_AddItemToObject(o, "Node", node_json(src, &src->consul->nodes[in->node], peer));
	cJSON_AddItemToObject(o, "Service", service_json(src, s, in, peer, &v));
	if ((checks = cJSON_AddArrayToObject(o, "Checks"))) {
		if (!peer)
			cJSON_AddItemToArray(checks, check_json(src, s, in, peer, NULL));
		cJSON_AddItemToArray(checks, check_json(src, s, in, peer, &v));
	}
	return o;
}

/* The node half of a /v1/catalog/service entry. */
static cJSON *catalog_node_part(const struct sim_cluster *src, const struct simc_node *n)
{
	cJSON *o = cJSON_CreateObject();

	if (!o)
		return NULL;
	cJSON_AddStringToObject(o, "ID", n->id);
	cJSON_AddStringToObject(o, "Node", n->name);
	cJSON_AddStringToObject(o, "Address", n->address);
	cJSON_AddStringToObject(o, "Datacenter", src->install.datacenter);
	cJSON *nj = node_json(src, n, NULL);
	if (nj) {
		cJSON_AddItemToObject(o, "TaggedAddresses",
		                      cJSON_DetachItemFromObject(nj, "TaggedAddresses"));
		cJSON_AddItemToObject(o, "NodeMeta", cJSON_DetachItemFromObject(nj, "Meta"));
		cJSON_Delete(nj);
	}
	return o;
}

/* ---------------------------------------------- imported connect proxies */

/* What an exporter sends for the connect endpoints of exported service S:
 * no sidecar of its own but one "S-sidecar-proxy" per mesh gateway
 * instance, at the gateway's address and port, with one check that
 * follows the gateway's (peerstream/subscription_manager.go
 * syntheticProxies and flattenChecks). PEER is the importer's name of the
 * peering, PEER_ON_SRC the exporter's. CATALOG: the /v1/catalog form. */
static cJSON *synthetic_proxy(const struct sim_cluster *src, const struct simc_service *s,
                              const struct simc_service *gw, int i, const char *peer,
                              const char *peer_on_src, bool catalog)
{
	const struct simc_inst *g = &gw->inst[i];
	const struct simc_node *n = &src->consul->nodes[g->node];
	char id[220], name[SIMC_NAME_MAX + 16], dest[200], buf[512];
	cJSON *svc = cJSON_CreateObject(), *px, *conn, *pm, *arr, *w;

	if (!svc)
		return NULL;
	snprintf(id, sizeof id, "%s-sidecar-proxy-instance-%d", s->name, i);
	snprintf(name, sizeof name, "%s-sidecar-proxy", s->name);
	snprintf(dest, sizeof dest, "%s-instance-%d", s->name, i);
	cJSON_AddStringToObject(svc, catalog ? "ServiceKind" : "Kind", "connect-proxy");
	cJSON_AddStringToObject(svc, catalog ? "ServiceID" : "ID", id);
	cJSON_AddStringToObject(svc, catalog ? "ServiceName" : "Service", name);
	cJSON_AddNullToObject(svc, catalog ? "ServiceTags" : "Tags");
	cJSON_AddStringToObject(svc, catalog ? "ServiceAddress" : "Address", g->address);
	tagged_addresses(svc, catalog ? "ServiceTaggedAddresses" : "TaggedAddresses", gw, g);
	cJSON_AddNullToObject(svc, catalog ? "ServiceMeta" : "Meta");
	cJSON_AddNumberToObject(svc, catalog ? "ServicePort" : "Port", g->port);
	if (!catalog && (w = cJSON_AddObjectToObject(svc, "Weights"))) {
		cJSON_AddNumberToObject(w, "Passing", 1);
		cJSON_AddNumberToObject(w, "Warning", 1);
	}
	cJSON_AddBoolToObject(svc, catalog ? "ServiceEnableTagOverride" : "EnableTagOverride",
	                      false);
	if ((px = cJSON_AddObjectToObject(svc, catalog ? "ServiceProxy" : "Proxy"))) {
		cJSON_AddStringToObject(px, "DestinationServiceName", s->name);
		cJSON_AddStringToObject(px, "DestinationServiceID", dest);
		cJSON_AddObjectToObject(px, "MeshGateway");
		cJSON_AddObjectToObject(px, "Expose");
	}
	if ((conn = cJSON_AddObjectToObject(svc, catalog ? "ServiceConnect" : "Connect")) &&
	    (pm = cJSON_AddObjectToObject(conn, "PeerMeta"))) {
		const char *td = src->trust_domain;
		if ((arr = cJSON_AddArrayToObject(pm, "SNI"))) {
			snprintf(buf, sizeof buf, "%s.default.default.%s.external.%s", s->name,
			         peer_on_src, td);
			cJSON_AddItemToArray(arr, cJSON_CreateString(buf));
		}
		if ((arr = cJSON_AddArrayToObject(pm, "SpiffeID"))) {
			snprintf(buf, sizeof buf, "spiffe://%s/ns/default/dc/%s/svc/%s", td,
			         src->install.datacenter, s->name);
			cJSON_AddItemToArray(arr, cJSON_CreateString(buf));
		}
		cJSON_AddStringToObject(pm, "Protocol", "tcp");
	}
	cJSON_AddStringToObject(svc, "PeerName", peer);
	add_indexes(svc, g);
	if (catalog) {
		cJSON *o = catalog_node_part(src, n);
		cJSON *it = svc->child;
		while (o && it) {
			cJSON *next = it->next;
			if (!cJSON_GetObjectItemCaseSensitive(o, it->string))
				cJSON_AddItemToObject(o, it->string,
				                      cJSON_DetachItemViaPointer(svc, it));
			it = next;
		}
		cJSON_Delete(svc);
		return o;
	}
	cJSON *o = cJSON_CreateObject(), *checks, *ck;
	if (!o) {
		cJSON_Delete(svc);
		return NULL;
	}
	cJSON_AddItemToObject(o, "Node", node_json(src, n, peer));
	cJSON_AddItemToObject(o, "Service", svc);
	if ((checks = cJSON_AddArrayToObject(o, "Checks")) && (ck = cJSON_CreateObject())) {
		char cid[260];
		snprintf(cid, sizeof cid, "%s:overall-check", id);
		cJSON_AddStringToObject(ck, "Node", n->name);
		cJSON_AddStringToObject(ck, "CheckID", cid);
		cJSON_AddStringToObject(ck, "Name", "overall-check");
		cJSON_AddStringToObject(ck, "Status", worse("passing", g->status));
		cJSON_AddStringToObject(ck, "Notes", "");
		cJSON_AddStringToObject(ck, "Output", "");
		cJSON_AddStringToObject(ck, "ServiceID", id);
		cJSON_AddStringToObject(ck, "ServiceName", name);
		cJSON_AddItemToObject(ck, "ServiceTags", cJSON_CreateArray());
		cJSON_AddStringToObject(ck, "Type", "");
		cJSON_AddStringToObject(ck, "PeerName", peer);
		cJSON_AddStringToObject(ck, "Interval", "");
		cJSON_AddStringToObject(ck, "Timeout", "");
		cJSON_AddNumberToObject(ck, "ExposedPort", 0);
		cJSON_AddObjectToObject(ck, "Definition");
		add_indexes(ck, g);
		cJSON_AddItemToArray(checks, ck);
	}
	return o;
}

static cJSON *catalog_entry(const struct sim_cluster *src, const struct simc_service *s,
                            const struct simc_inst *in, const char *peer)
{
	const struct simc_node *n = &src->consul->nodes[in->node];
	cJSON *o = catalog_node_part(src, n);

	if (!o)
		return NULL;
	cJSON_AddStringToObject(o, "ServiceKind", s->kind);
	cJSON_AddStringToObject(o, "ServiceID", in->id);
	cJSON_AddStringToObject(o, "ServiceName", s->name);
	cJSON_AddItemToObject(o, "ServiceTags", tags_json(s));
	cJSON_AddStringToObject(o, "ServiceAddress", in->address);
	tagged_addresses(o, "ServiceTaggedAddresses", s, in);
	cJSON_AddItemToObject(o, "ServiceMeta", service_meta(src, s, in));
	cJSON_AddNumberToObject(o, "ServicePort", in->port);
	cJSON_AddBoolToObject(o, "ServiceEnableTagOverride", false);
	cJSON_AddObjectToObject(o, "ServiceProxy");
	cJSON_AddObjectToObject(o, "ServiceConnect");
	if (peer)
		cJSON_AddStringToObject(o, "PeerName", peer);
	return add_indexes(o, in);
}

/* --------------------------------------------------------- endpoints */

static uint64_t idx_catalog(struct sim_cluster *c, const struct sim_req *req,
                            const struct simc_auth *a, const char *arg)
{
	return c->consul->catalog_idx;
}

static uint64_t idx_ui(struct sim_cluster *c, const struct sim_req *req, const struct simc_auth *a,
                       const char *arg)
{
	uint64_t cat = c->consul->catalog_idx, cfg = c->consul->config_idx[0];

	return cat > cfg ? cat : cfg;
}

/* A query of one service (/v1/health/service/NAME, /v1/catalog/service/NAME,
 * /v1/health/connect/NAME) waits on that service's own index, as Consul's
 * do (agent/consul/state/catalog.go: serviceNodesTxn, checkServiceNodesTxn
 * and maxIndexForService, keyed by the service's name, partition and peer):
 * the ModifyIndex of the service, moved by any change to it or its
 * instances; for a service not registered, the index of the last
 * deregistration (service_last_extinction), else the catalog's. So a
 * gateway's change on a peer, replicated into this catalog, wakes this
 * cluster's list of services but not its query of its own gateways. A
 * query of what a peer replicates (?peer=) waits on the whole catalog. */
static uint64_t idx_service(struct sim_cluster *c, const struct sim_req *req,
                            const struct simc_auth *a, const char *name)
{
	const char *peer = sim_req_arg(req, "peer", NULL);
	struct simc_state *cs = c->consul;
	const struct simc_service *s;
	uint64_t idx;

	if (peer && *peer)
		return cs->catalog_idx;
	s = simc_service_find_in(cs, a->part, name);
	if (!s) {
		idx = cs->svc_gone_idx ? cs->svc_gone_idx : cs->catalog_idx;
	} else {
		idx = s->modify_index;
		for (int i = 0; i < s->ninst; i++)
			if (s->inst[i].modify_index > idx)
				idx = s->inst[i].modify_index;
	}
	return idx ? idx : 1;
}

/* Imports change with the peerings and with what the peers replicate. */
static uint64_t idx_imported(struct sim_cluster *c, const struct sim_req *req,
                             const struct simc_auth *a, const char *arg)
{
	uint64_t cat = c->consul->catalog_idx, peer = c->consul->peerings_idx;

	(void)req;
	(void)arg;
	return cat > peer ? cat : peer;
}

static void r_catalog_services(struct sim_cluster *c, const struct sim_req *req,
                               struct simc_auth *a, struct sim_resp *resp, const char *arg)
{
	const char *peer = sim_req_arg(req, "peer", NULL);
	cJSON *o = cJSON_CreateObject();

	if (!o) {
		sim_resp_text(resp, 500, "out of memory");
		return;
	}
	if (peer && *peer) {
		struct sim_cluster *src = NULL;
		struct simc_peering *p = simc_peering_find(c->consul, a->part, peer);
		struct simc_peering *other = p ? simc_peering_other(c, p, &src) : NULL;
		cJSON *names = simc_imported_names(c, a->part, peer, &src), *n;
		cJSON_ArrayForEach(n, names)
		{
			const struct simc_service *s =
			        simc_imported(c, a->part, peer, n->valuestring, &src);
			if (!s)
				continue;
			if (!simc_allowed(a, "service", s->name, SIMC_READ)) {
				a->filtered = true;
				continue;
			}
			cJSON_AddItemToObject(o, s->name, tags_json(s));
			/* With the exporter's gateways come its synthetic proxies. */
			char sp[SIMC_NAME_MAX + 16];
			snprintf(sp, sizeof sp, "%s-sidecar-proxy", s->name);
			if (other && simc_gateways_count_in(src, other->partition, false) &&
			    simc_allowed(a, "service", sp, SIMC_READ))
				cJSON_AddItemToObject(o, sp, cJSON_CreateArray());
		}
		cJSON_Delete(names);
		simc_json(resp, 200, o);
		return;
	}
	for (int i = 0; i < c->consul->nsvcs; i++) {
		const struct simc_service *s = &c->consul->svcs[i];
		if (!simc_part_eq(s->partition, a->part))
			continue;
		if (!simc_allowed(a, "service", s->name, SIMC_READ)) {
			a->filtered = true;
			continue;
		}
		cJSON_AddItemToObject(o, s->name, tags_json(s));
	}
	simc_json(resp, 200, o);
}

static bool inst_passing(const struct simc_inst *in)
{
	return !strcmp(in->status, "passing");
}

enum entry_form {
	FORM_CATALOG, /* /v1/catalog/service/:name */
	FORM_HEALTH,  /* /v1/health/service/:name */
	FORM_CONNECT  /* /v1/health/connect/:name: the sidecar proxies */
};

/* Consul Enterprise's records carry their EnterpriseMeta: Partition on
 * nodes, Namespace and Partition on services and checks (agent/structs
 * NodeService, HealthCheck, ServiceNode). C is the cluster asked, PART the
 * partition the answer is in. */
static void add_ent(cJSON *o, bool ns, const char *part)
{
	if (!o)
		return;
	if (ns && !cJSON_GetObjectItemCaseSensitive(o, "Namespace"))
		cJSON_AddStringToObject(o, "Namespace", "default");
	if (!cJSON_GetObjectItemCaseSensitive(o, "Partition"))
		cJSON_AddStringToObject(o, "Partition", simc_part_name(part));
}

static cJSON *ent_entry(const struct sim_cluster *c, cJSON *e, enum entry_form form,
                        const char *part)
{
	cJSON *ck;

	if (!c->install.enterprise || !e)
		return e;
	if (form == FORM_CATALOG) {
		add_ent(e, true, part);
		return e;
	}
	add_ent(cJSON_GetObjectItemCaseSensitive(e, "Node"), false, part);
	add_ent(cJSON_GetObjectItemCaseSensitive(e, "Service"), true, part);
	cJSON_ArrayForEach(ck, cJSON_GetObjectItemCaseSensitive(e, "Checks"))
	{
		add_ent(ck, true, part);
	}
	return e;
}

/* "NAME-sidecar-proxy" of an imported service NAME: its base in BASE. */
static bool sidecar_base(const char *name, char *base, size_t len)
{
	static const char suffix[] = "-sidecar-proxy";
	size_t n = strlen(name), k = sizeof suffix - 1;

	if (n <= k || strcmp(name + n - k, suffix) || n - k >= len)
		return false;
	memcpy(base, name, n - k);
	base[n - k] = '\0';
	return true;
}

/* The imported connect proxies of BASE from PEER (synthetic_proxy). */
static int r_synthetic(struct sim_cluster *c, const struct sim_req *req, struct simc_auth *a,
                       cJSON *arr, const char *base, const char *peer, enum entry_form form)
{
	const char *filter = sim_req_arg(req, "filter", NULL);
	const char *tag = sim_req_arg(req, "tag", NULL);
	bool passing;
	struct sim_cluster *src = NULL;
	char err[160], name[SIMC_NAME_MAX + 16];

	sim_req_arg(req, "passing", &passing);
	const struct simc_service *s = simc_imported(c, a->part, peer, base, &src);
	struct simc_peering *p = simc_peering_find(c->consul, a->part, peer);
	struct sim_cluster *oc;
	struct simc_peering *q = p ? simc_peering_other(c, p, &oc) : NULL;
	if (!s || !q || !simc_service_exportable(s) || (tag && *tag))
		return 0;
	snprintf(name, sizeof name, "%s-sidecar-proxy", base);
	if (!simc_allowed(a, "service", name, SIMC_READ)) {
		a->filtered = true;
		return 0;
	}
	/* The exporter's gateways of the partition it exports from. */
	const struct simc_service *gw =
	        simc_service_find_in(src->consul, q->partition, "mesh-gateway");
	for (int i = 0; gw && i < gw->ninst; i++) {
		struct simc_service fs = {0};
		struct simc_inst fi = gw->inst[i];
		if (strlen(name) >= sizeof fs.name)
			break; /* no such long names in the simulator */
		memcpy(fs.name, name, strlen(name) + 1);
		snprintf(fs.kind, sizeof fs.kind, "connect-proxy");
		snprintf(fi.id, sizeof fi.id, "%s-sidecar-proxy-instance-%d", base, i);
		struct view v = {&fs, &fi, &src->consul->nodes[fi.node], peer};
		int m = filter_match(filter, &v, err, sizeof err);
		if (m < 0) {
			snprintf(a->error, sizeof a->error, "%s", err);
			return -1;
		}
		if (!m || (form != FORM_CATALOG && passing && strcmp(fi.status, "passing")))
			continue;
		if (!simc_allowed(a, "node", src->consul->nodes[fi.node].name, SIMC_READ)) {
			a->filtered = true;
			continue;
		}
		cJSON_AddItemToArray(arr, ent_entry(c,
		                                    synthetic_proxy(src, s, gw, i, peer, q->name,
		                                                    form == FORM_CATALOG),
		                                    form, a->part));
	}
	return 0;
}

/* /v1/health/service/:name, /v1/health/connect/:name and
 * /v1/catalog/service/:name. */
static void r_service(struct sim_cluster *c, const struct sim_req *req, struct simc_auth *a,
                      struct sim_resp *resp, const char *name, enum entry_form form)
{
	bool health = form != FORM_CATALOG;
	const char *peer = sim_req_arg(req, "peer", NULL);
	const char *filter = sim_req_arg(req, "filter", NULL);
	const char *tag = sim_req_arg(req, "tag", NULL);
	bool passing;
	struct sim_cluster *src = c;
	const struct simc_service *s;
	char err[160];

	sim_req_arg(req, "passing", &passing);
	if (peer && !*peer)
		peer = NULL;
	char base[SIMC_NAME_MAX];
	if (peer && (form == FORM_CONNECT || sidecar_base(name, base, sizeof base))) {
		cJSON *arr = cJSON_CreateArray();
		if (!arr) {
			sim_resp_text(resp, 500, "out of memory");
			return;
		}
		if (r_synthetic(c, req, a, arr, form == FORM_CONNECT ? name : base, peer, form) <
		    0) {
			cJSON_Delete(arr);
			sim_resp_text(resp, 400,
			              "Failed to create boolean expression evaluator: %s",
			              a->error);
			return;
		}
		simc_json(resp, 200, arr);
		return;
	}
	s = peer ? simc_imported(c, a->part, peer, name, &src)
	         : simc_service_find_in(c->consul, a->part, name);
	/* Only services with sidecars are connect-capable: not gateways, not consul. */
	if (s && form == FORM_CONNECT && !simc_service_exportable(s))
		s = NULL;
	cJSON *arr = cJSON_CreateArray();
	if (!arr) {
		sim_resp_text(resp, 500, "out of memory");
		return;
	}
	if (s && !simc_allowed(a, "service", name, SIMC_READ)) {
		a->filtered = true;
		s = NULL;
	}
	for (int i = 0; s && i < s->ninst; i++) {
		const struct simc_inst *in = &s->inst[i];
		struct view v = {s, in, &src->consul->nodes[in->node], peer};
		int m = filter_match(filter, &v, err, sizeof err);
		if (m < 0) {
			cJSON_Delete(arr);
			sim_resp_text(resp, 400,
			              "Failed to create boolean expression evaluator: %s", err);
			return;
		}
		if (!m || (health && passing && !inst_passing(in)))
			continue;
		/* Entries whose node the token cannot read are dropped too. */
		if (!simc_allowed(a, "node", src->consul->nodes[in->node].name, SIMC_READ)) {
			a->filtered = true;
			continue;
		}
		if (tag && *tag) {
			bool has = false;
			for (int t = 0; t < s->ntags; t++)
				has |= !strcmp(s->tags[t], tag);
			if (!has)
				continue;
		}
		cJSON_AddItemToArray(
		        arr, ent_entry(c,
		                       health ? health_entry(src, s, in, peer, form == FORM_CONNECT)
		                              : catalog_entry(src, s, in, peer),
		                       form, a->part));
	}
	simc_json(resp, 200, arr);
}

static void r_health(struct sim_cluster *c, const struct sim_req *req, struct simc_auth *a,
                     struct sim_resp *resp, const char *name)
{
	r_service(c, req, a, resp, name, FORM_HEALTH);
}

static void r_catalog_service(struct sim_cluster *c, const struct sim_req *req, struct simc_auth *a,
                              struct sim_resp *resp, const char *name)
{
	r_service(c, req, a, resp, name, FORM_CATALOG);
}

/* /v1/internal/ui/services is read under the world's lock into rows that
 * hold what the answer says, and its text is written after the lock is
 * released: a cluster's list of 10,000 services took long enough to build
 * that a gateway's small answer, woken with sixteen of them, waited behind
 * them for a large part of a second. Each row's strings are in the list's
 * one block, by offset. */
struct ui_row {
	size_t name, kind, dc, peer, tags, nodes; /* offsets into the block */
	int ntags, nnodes;
	int ninst, pass, warn, crit;
};

struct ui_list {
	struct ui_row *v;
	size_t n, cap;
	char *blk;
	size_t len, size;
	bool enterprise;
	bool failed;
	char part[64];
};

static size_t ui_str(struct ui_list *l, const char *s)
{
	size_t n = strlen(s) + 1, at = l->len;

	if (l->len + n > l->size) {
		size_t size = l->size ? l->size * 2 : 4096;
		while (size < l->len + n)
			size *= 2;
		char *b = realloc(l->blk, size);
		if (!b) {
			l->failed = true;
			return 0;
		}
		l->blk = b;
		l->size = size;
	}
	memcpy(l->blk + at, s, n);
	l->len += n;
	return at;
}

static void ui_list_free(void *ctx)
{
	struct ui_list *l = ctx;

	if (!l)
		return;
	free(l->v);
	free(l->blk);
	free(l);
}

/* One row for service S of SRC, imported from PEER (NULL: local). */
static void ui_collect(struct ui_list *l, const struct sim_cluster *src,
                       const struct simc_service *s, const char *peer)
{
	struct ui_row r = {0};

	if (l->failed)
		return;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 256;
		struct ui_row *v = realloc(l->v, cap * sizeof *v);
		if (!v) {
			l->failed = true;
			return;
		}
		l->v = v;
		l->cap = cap;
	}
	r.name = ui_str(l, s->name);
	r.kind = ui_str(l, s->kind);
	r.dc = ui_str(l, src->install.datacenter);
	r.peer = ui_str(l, peer ? peer : "");
	r.tags = l->len;
	r.ntags = s->ntags;
	for (int i = 0; i < s->ntags; i++)
		ui_str(l, s->tags[i]);
	r.nodes = l->len;
	for (int i = 0; i < s->ninst; i++) {
		const char *nn = src->consul->nodes[s->inst[i].node].name;
		bool seen = false;
		for (int k = 0; k < i && !seen; k++)
			seen = s->inst[k].node == s->inst[i].node ||
			       !strcmp(src->consul->nodes[s->inst[k].node].name, nn);
		if (!seen) {
			ui_str(l, nn);
			r.nnodes++;
		}
		if (!peer)
			r.pass++; /* serfHealth of its node; imported: one flattened check */
		if (!strcmp(s->inst[i].status, "passing"))
			r.pass++;
		else if (!strcmp(s->inst[i].status, "warning"))
			r.warn++;
		else
			r.crit++;
	}
	r.ninst = s->ninst;
	l->v[l->n++] = r;
}

/* Strings from AT of the block, N of them, as a JSON array. */
static void ui_strings(struct sim_json_buf *b, const struct ui_list *l, size_t at, int n)
{
	sim_json_raw(b, "[", 1);
	for (int i = 0; i < n; i++) {
		const char *s = l->blk + at;
		if (i)
			sim_json_raw(b, ",", 1);
		sim_json_str(b, s);
		at += strlen(s) + 1;
	}
	sim_json_raw(b, "]", 1);
}

#define UI_LIT(b, s) sim_json_raw(b, s, sizeof s - 1)

static void ui_count(struct sim_json_buf *b, const char *key, int v)
{
	sim_json_raw(b, key, strlen(key));
	sim_json_num(b, v);
}

/* A row as Consul's ServiceSummary: the text a cJSON tree of it prints
 * (the simulator's other answers are such trees). */
static void ui_summary(struct sim_json_buf *b, const struct ui_list *l, const struct ui_row *r)
{
	const char *name = l->blk + r->name, *kind = l->blk + r->kind, *peer = l->blk + r->peer;

	UI_LIT(b, "{");
	if (*kind) {
		UI_LIT(b, "\"Kind\":");
		sim_json_str(b, kind);
		UI_LIT(b, ",");
	}
	UI_LIT(b, "\"Name\":");
	sim_json_str(b, name);
	UI_LIT(b, ",\"Datacenter\":");
	sim_json_str(b, l->blk + r->dc);
	UI_LIT(b, ",\"Tags\":");
	ui_strings(b, l, r->tags, r->ntags);
	UI_LIT(b, ",\"Nodes\":");
	ui_strings(b, l, r->nodes, r->nnodes);
	if (strcmp(name, "consul"))
		UI_LIT(b, ",\"ExternalSources\":[\"kubernetes\"]");
	else
		UI_LIT(b, ",\"ExternalSources\":[]");
	ui_count(b, ",\"InstanceCount\":", r->ninst);
	ui_count(b, ",\"ChecksPassing\":", r->pass);
	ui_count(b, ",\"ChecksWarning\":", r->warn);
	ui_count(b, ",\"ChecksCritical\":", r->crit);
	if (*kind)
		UI_LIT(b, ",\"GatewayConfig\":{\"AssociatedServiceCount\":0}");
	else
		UI_LIT(b, ",\"GatewayConfig\":{}");
	UI_LIT(b, ",\"TransparentProxy\":false,\"ConnectNative\":false");
	if (*peer) {
		UI_LIT(b, ",\"PeerName\":");
		sim_json_str(b, peer);
	}
	UI_LIT(b, ",\"ConnectedWithProxy\":false,\"ConnectedWithGateway\":false");
	if (l->enterprise) {
		UI_LIT(b, ",\"Namespace\":\"default\",\"Partition\":");
		sim_json_str(b, simc_part_name(l->part));
	}
	UI_LIT(b, "}");
}

/* The answer from the rows, outside the lock: written as text, with no
 * tree between (a tree of 10,000 summaries is some 300,000 allocations). */
static void ui_render(void *ctx, struct sim_resp *resp)
{
	const struct ui_list *l = ctx;
	struct sim_json_buf b = {0};
	char *text;

	UI_LIT(&b, "[");
	for (size_t i = 0; i < l->n; i++) {
		if (i)
			UI_LIT(&b, ",");
		ui_summary(&b, l, &l->v[i]);
	}
	UI_LIT(&b, "]");
	text = l->failed ? NULL : sim_json_buf_take(&b, NULL);
	free(b.p);
	if (!text) {
		sim_resp_text(resp, 500, "out of memory");
		return;
	}
	sim_resp_json(resp, 200, text);
}

static void r_ui_services(struct sim_cluster *c, const struct sim_req *req, struct simc_auth *a,
                          struct sim_resp *resp, const char *arg)
{
	struct simc_state *cs = c->consul;
	struct ui_list *l = calloc(1, sizeof *l);

	if (!l) {
		sim_resp_text(resp, 500, "out of memory");
		return;
	}
	l->enterprise = c->install.enterprise;
	snprintf(l->part, sizeof l->part, "%s", a->part);
	for (int i = 0; i < cs->nsvcs; i++) {
		if (!simc_part_eq(cs->svcs[i].partition, a->part))
			continue;
		if (!simc_allowed(a, "service", cs->svcs[i].name, SIMC_READ)) {
			a->filtered = true;
			continue;
		}
		ui_collect(l, c, &cs->svcs[i], NULL);
	}
	for (int i = 0; i < cs->npeerings; i++) {
		struct simc_peering *p = cs->peerings[i], *o;
		struct sim_cluster *src = NULL;
		if (!simc_part_eq(p->partition, a->part))
			continue;
		cJSON *names = simc_imported_names(c, a->part, p->name, &src), *n;
		if (!names || !(o = simc_peering_other(c, p, &src))) {
			cJSON_Delete(names);
			continue;
		}
		cJSON_ArrayForEach(n, names)
		{
			const struct simc_service *s =
			        simc_service_find_in(src->consul, o->partition, n->valuestring);
			if (!s)
				continue;
			if (!simc_allowed(a, "service", s->name, SIMC_READ)) {
				a->filtered = true;
				continue;
			}
			ui_collect(l, src, s, p->name);
		}
		cJSON_Delete(names);
	}
	if (!resp->defer_print) {
		ui_render(l, resp);
		ui_list_free(l);
		return;
	}
	resp->status = 200;
	resp->render = ui_render;
	resp->render_free = ui_list_free;
	resp->render_ctx = l;
}

/* A new object {KEY: NAME} for the service NAME; NULL on no memory or when
 * the token may not read it (the answer then counts as filtered). */
static cJSON *visible_service(struct simc_auth *a, const char *key, const char *name)
{
	cJSON *o;

	if (!simc_allowed(a, "service", name, SIMC_READ)) {
		a->filtered = true;
		return NULL;
	}
	o = cJSON_CreateObject();
	if (o && !cJSON_AddStringToObject(o, key, name)) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

static void r_ui_exported(struct sim_cluster *c, const struct sim_req *req, struct simc_auth *a,
                          struct sim_resp *resp, const char *arg)
{
	const char *peer = sim_req_arg(req, "peer", NULL);
	cJSON *names = simc_exported_names(c, a->part, peer && *peer ? peer : NULL), *n;
	cJSON *arr = cJSON_CreateArray();

	if (!arr || !names) {
		cJSON_Delete(arr);
		cJSON_Delete(names);
		sim_resp_text(resp, 500, "out of memory");
		return;
	}
	cJSON_ArrayForEach(n, names)
	{
		cJSON *o = visible_service(a, "Name", n->valuestring);
		if (!o)
			continue;
		cJSON_AddStringToObject(o, "Datacenter", c->install.datacenter);
		cJSON_AddItemToArray(arr, o);
	}
	cJSON_Delete(names);
	simc_json(resp, 200, arr);
}

static int cmp_json_name(const void *x, const void *y)
{
	const cJSON *const *a = x, *const *b = y;
	return strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(*a, "Service")),
	              cJSON_GetStringValue(cJSON_GetObjectItem(*b, "Service")));
}

/* The resolved entry of service NAME in ARR, added when new. */
static cJSON *resolved_for(cJSON *arr, const char *name)
{
	cJSON *o;

	cJSON_ArrayForEach(o, arr)
	{
		if (!strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(o, "Service")), name))
			return o;
	}
	o = cJSON_CreateObject();
	if (!o)
		return NULL;
	cJSON_AddStringToObject(o, "Service", name);
	cJSON_AddObjectToObject(o, "Consumers");
	cJSON_AddItemToArray(arr, o);
	return o;
}

static void add_consumer(cJSON *svc, const char *key, const char *value)
{
	cJSON *cons = cJSON_GetObjectItem(svc, "Consumers");
	cJSON *list = cJSON_GetObjectItem(cons, key);

	if (!list)
		list = cJSON_AddArrayToObject(cons, key);
	if (list && !simc_names_has(list, value))
		cJSON_AddItemToArray(list, cJSON_CreateString(value));
}

/* /v1/exported-services (Consul 1.17.3+): the exported-services entry
 * resolved. An explicitly named service is listed whether or not it is
 * registered; only "*" reads the catalog (agent/consul/state
 * ResolvedExportedServices; api/exported_services.go for the shape). */
static void r_exported_services(struct sim_cluster *c, const struct sim_req *req,
                                struct simc_auth *a, struct sim_resp *resp, const char *arg)
{
	struct simc_state *cs = c->consul;
	cJSON *arr = cJSON_CreateArray();
	const struct simc_config *e =
	        simc_config_find(cs, a->part, "exported-services", simc_part_name(a->part));
	const cJSON *svc, *co;

	(void)req;
	(void)arg;
	if (!arr) {
		sim_resp_text(resp, 500, "out of memory");
		return;
	}
	const cJSON *services = e ? cJSON_GetObjectItem(e->entry, "Services") : NULL;
	cJSON_ArrayForEach(svc, services)
	{
		const char *nm = cJSON_GetStringValue(cJSON_GetObjectItem(svc, "Name"));
		cJSON *targets[256];
		int nt = 0;
		if (!nm)
			continue;
		if (strcmp(nm, "*") != 0) {
			targets[nt++] = resolved_for(arr, nm);
		} else {
			for (int i = 0; i < cs->nsvcs && nt < 256; i++)
				if (simc_part_eq(cs->svcs[i].partition, a->part) &&
				    simc_service_exportable(&cs->svcs[i]))
					targets[nt++] = resolved_for(arr, cs->svcs[i].name);
		}
		cJSON_ArrayForEach(co, cJSON_GetObjectItem(svc, "Consumers"))
		{
			const char *pn = cJSON_GetStringValue(cJSON_GetObjectItem(co, "Peer"));
			const char *pa = cJSON_GetStringValue(cJSON_GetObjectItem(co, "Partition"));
			for (int i = 0; i < nt; i++) {
				if (!targets[i])
					continue;
				if (pn && *pn)
					add_consumer(targets[i], "Peers", pn);
				if (pa && *pa)
					add_consumer(targets[i], "Partitions", pa);
			}
		}
	}
	int n = cJSON_GetArraySize(arr);
	cJSON **items = n ? calloc((size_t)n, sizeof *items) : NULL;
	if (items) {
		for (int i = 0; i < n; i++)
			items[i] = cJSON_DetachItemFromArray(arr, 0);
		qsort(items, (size_t)n, sizeof *items, cmp_json_name);
		for (int i = 0; i < n; i++) {
			/* Enterprise names the service's partition and namespace. */
			if (c->install.enterprise) {
				cJSON *cons = cJSON_DetachItemFromObject(items[i], "Consumers");
				cJSON_AddStringToObject(items[i], "Partition",
				                        simc_part_name(a->part));
				cJSON_AddStringToObject(items[i], "Namespace", "default");
				cJSON_AddItemToObject(items[i], "Consumers", cons);
			}
			cJSON_AddItemToArray(arr, items[i]);
		}
		free(items);
	}
	simc_json(resp, 200, arr);
}

/* /v1/imported-services: what every peering of the request's partition
 * brings in, and on Enterprise what the other partitions export to it; an
 * Enterprise server wraps the list as {Partition, ImportedServices}
 * (consul api/imported_services.go importedServicesResponse). */
static void r_imported_services(struct sim_cluster *c, const struct sim_req *req,
                                struct simc_auth *a, struct sim_resp *resp, const char *arg)
{
	struct simc_state *cs = c->consul;
	cJSON *arr = cJSON_CreateArray();
	const char *pn = simc_part_name(a->part);

	(void)req;
	(void)arg;
	if (!arr) {
		sim_resp_text(resp, 500, "out of memory");
		return;
	}
	for (int k = 0; k < cs->npeerings; k++) {
		const char *peer = cs->peerings[k]->name;
		struct sim_cluster *src;
		if (!simc_part_eq(cs->peerings[k]->partition, a->part))
			continue;
		cJSON *names = simc_imported_names(c, a->part, peer, &src);
		const cJSON *it;
		cJSON_ArrayForEach(it, names)
		{
			cJSON *o = visible_service(a, "Service", it->valuestring);
			if (!o)
				continue;
			cJSON_AddStringToObject(o, "Partition", pn);
			cJSON_AddStringToObject(o, "Namespace", "default");
			cJSON_AddStringToObject(o, "SourcePeer", peer);
			cJSON_AddItemToArray(arr, o);
		}
		cJSON_Delete(names);
	}
	for (int k = 0; c->install.enterprise && k < cs->nparts; k++) {
		const char *from = k ? cs->parts[k].name : "";
		if (simc_part_eq(from, a->part))
			continue;
		const struct simc_config *e =
		        simc_config_find(cs, from, "exported-services", simc_part_name(from));
		const cJSON *svc, *co;
		const cJSON *list = e ? cJSON_GetObjectItem(e->entry, "Services") : NULL;
		cJSON_ArrayForEach(svc, list)
		{
			const char *nm = cJSON_GetStringValue(cJSON_GetObjectItem(svc, "Name"));
			bool to_us = false;
			cJSON_ArrayForEach(co, cJSON_GetObjectItem(svc, "Consumers"))
			{
				const char *cp =
				        cJSON_GetStringValue(cJSON_GetObjectItem(co, "Partition"));
				to_us = to_us || (cp && !strcmp(cp, pn));
			}
			if (!nm || !to_us || !strcmp(nm, "*"))
				continue;
			cJSON *o = visible_service(a, "Service", nm);
			if (!o)
				continue;
			cJSON_AddStringToObject(o, "Partition", pn);
			cJSON_AddStringToObject(o, "Namespace", "default");
			cJSON_AddStringToObject(o, "SourcePartition", simc_part_name(from));
			cJSON_AddItemToArray(arr, o);
		}
	}
	if (c->install.enterprise) {
		cJSON *w = cJSON_CreateObject();
		if (w) {
			cJSON_AddStringToObject(w, "Partition", pn);
			cJSON_AddItemToObject(w, "ImportedServices", arr);
			arr = w;
		}
	}
	simc_json(resp, 200, arr);
}

/* Wrappers that give the blocking helper a name argument. */
static void rb_health(struct sim_cluster *c, const struct sim_req *req, struct simc_auth *a,
                      struct sim_resp *resp, const char *arg)
{
	r_health(c, req, a, resp, arg);
}

static void rb_connect(struct sim_cluster *c, const struct sim_req *req, struct simc_auth *a,
                       struct sim_resp *resp, const char *arg)
{
	r_service(c, req, a, resp, arg, FORM_CONNECT);
}

static void rb_catalog_service(struct sim_cluster *c, const struct sim_req *req,
                               struct simc_auth *a, struct sim_resp *resp, const char *arg)
{
	r_catalog_service(c, req, a, resp, arg);
}

void simc_catalog_route(struct sim_cluster *c, const struct sim_req *req, struct simc_auth *a,
                        struct sim_resp *resp, const char *path)
{
	if (!strcmp(path, "/v1/catalog/services")) {
		simc_blocking(c, req, a, resp, idx_catalog, r_catalog_services, NULL);
	} else if (!strncmp(path, "/v1/catalog/service/", 20)) {
		if (!path[20]) {
			sim_resp_text(resp, 400, "Missing service name");
			return;
		}
		simc_blocking(c, req, a, resp, idx_service, rb_catalog_service, path + 20);
	} else if (!strncmp(path, "/v1/health/service/", 19)) {
		if (!path[19]) {
			sim_resp_text(resp, 400, "Missing service name");
			return;
		}
		simc_blocking(c, req, a, resp, idx_service, rb_health, path + 19);
	} else if (!strncmp(path, "/v1/health/connect/", 19)) {
		if (!path[19]) {
			sim_resp_text(resp, 400, "Missing service name");
			return;
		}
		simc_blocking(c, req, a, resp, idx_service, rb_connect, path + 19);
	} else if (!strcmp(path, "/v1/internal/ui/services")) {
		simc_blocking(c, req, a, resp, idx_ui, r_ui_services, NULL);
	} else if (!strcmp(path, "/v1/internal/ui/exported-services")) {
		simc_blocking(c, req, a, resp, idx_ui, r_ui_exported, NULL);
	} else {
		bool exported = !strcmp(path, "/v1/exported-services");
		/* exported-services checks mesh:read only; imported-services
		 * takes operator:read too. */
		pthread_mutex_lock(&c->world->lock);
		bool ok = simc_allowed(a, "mesh", NULL, SIMC_READ) ||
		          (!exported && simc_allowed(a, "operator", NULL, SIMC_READ));
		pthread_mutex_unlock(&c->world->lock);
		if (!ok) {
			simc_denied(resp, a, "mesh", NULL, SIMC_READ);
			return;
		}
		simc_blocking(c, req, a, resp, exported ? idx_ui : idx_imported,
		              exported ? r_exported_services : r_imported_services, NULL);
	}
}
