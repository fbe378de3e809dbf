/* peerscope-sim, Consul half: nodes, services, mesh gateways and checks;
 * the catalog, health and UI endpoints (API.md §3), with imported services
 * read from the exporting peer and the cross-peer path probe. */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "consul.h"

static const char *const pool[] = {"frontend", "backend", "api",     "payments", "inventory",
                                   "orders",   "auth",    "search",  "cart",     "shipping",
                                   "billing",  "catalog", "reviews", "email"};

#define GW_NAME "mesh-gateway"

/* ------------------------------------------------------------ services */

struct cs_service *cs_service_find(struct sim_consul *cs, const char *name)
{
	int lo = 0, hi = cs->nsvcs - 1;

	while (lo <= hi) {
		int mid = (lo + hi) / 2, r = strcmp(name, cs->svcs[mid].name);
		if (!r)
			return &cs->svcs[mid];
		if (r < 0)
			hi = mid - 1;
		else
			lo = mid + 1;
	}
	return NULL;
}

static struct cs_service *service_insert(struct sim_consul *cs, const char *name)
{
	int at = 0;

	if (cs->nsvcs == cs->svcs_cap) {
		int cap = cs->svcs_cap ? cs->svcs_cap * 2 : 32;
		struct cs_service *n = realloc(cs->svcs, (size_t)cap * sizeof *n);
		if (!n)
			return NULL;
		cs->svcs = n;
		cs->svcs_cap = cap;
	}
	while (at < cs->nsvcs && strcmp(cs->svcs[at].name, name) < 0)
		at++;
	memmove(&cs->svcs[at + 1], &cs->svcs[at], (size_t)(cs->nsvcs - at) * sizeof cs->svcs[0]);
	cs->nsvcs++;
	struct cs_service *s = &cs->svcs[at];
	memset(s, 0, sizeof *s);
	snprintf(s->name, sizeof s->name, "%s", name);
	return s;
}

static void pod_suffix(struct sim_world *w, char *buf, size_t len)
{
	static const char alnum[] = "bcdfghjklmnpqrstvwxz2456789";
	uint64_t r = sim_rand(w);
	char a[6];

	for (int i = 0; i < 5; i++)
		a[i] = alnum[(r >> (i * 5)) % (sizeof alnum - 1)];
	a[5] = '\0';
	snprintf(buf, len, "%08x-%s", (unsigned)(sim_rand(w) & 0xffffffffu) >> 4, a);
}

static int inst_add(struct sim_cluster *c, struct cs_service *s, const char *status)
{
	struct sim_consul *cs = c->consul;

	if (s->ninst == s->cap) {
		int cap = s->cap ? s->cap * 2 : 2;
		struct cs_inst *n = realloc(s->inst, (size_t)cap * sizeof *n);
		if (!n)
			return -1;
		s->inst = n;
		s->cap = cap;
	}
	struct cs_inst *in = &s->inst[s->ninst];
	memset(in, 0, sizeof *in);
	unsigned seq = (unsigned)(cs->gw_seq++);
	char pod[64];
	pod_suffix(c->world, pod, sizeof pod);
	if (!strcmp(s->kind, "mesh-gateway"))
		snprintf(in->id, sizeof in->id, "consul-mesh-gateway-%s", pod);
	else
		snprintf(in->id, sizeof in->id, "%s-%s-%s", s->name, pod, s->name);
	in->node = cs->nnodes > 1 ? 1 + (int)(seq % (unsigned)(cs->nnodes - 1)) : 0;
	snprintf(in->address, sizeof in->address, "10.%d.%u.%u", 100 + c->index, 2 + seq / 250,
	         1 + seq % 250);
	in->port = s->port;
	snprintf(in->status, sizeof in->status, "%s", status ? status : "passing");
	sim_uuid(c->world, in->pod_uid);
	if (!strcmp(s->kind, "mesh-gateway")) {
		snprintf(in->wan_addr, sizeof in->wan_addr, "198.51.100.%d", 10 + c->index);
		in->wan_port = 443;
	}
	in->create_index = in->modify_index = cs->index;
	s->ninst++;
	return 0;
}

struct cs_service *cs_service_add(struct sim_cluster *c, const char *name, const char *kind, int n,
                                  const char *status)
{
	struct sim_consul *cs = c->consul;
	struct cs_service *s = cs_service_find(cs, name);

	if (!s) {
		s = service_insert(cs, name);
		if (!s)
			return NULL;
		snprintf(s->kind, sizeof s->kind, "%s", kind ? kind : "");
		s->port = !strcmp(s->kind, "mesh-gateway") ? 8443 : 8080;
		s->create_index = cs->index;
	}
	for (int i = 0; i < n; i++)
		if (inst_add(c, s, status) < 0)
			return NULL;
	s->modify_index = cs->index;
	return s;
}

int cs_service_remove(struct sim_cluster *c, const char *name)
{
	struct sim_consul *cs = c->consul;
	struct cs_service *s = cs_service_find(cs, name);

	if (!s)
		return -1;
	free(s->inst);
	int at = (int)(s - cs->svcs);
	memmove(&cs->svcs[at], &cs->svcs[at + 1], (size_t)(cs->nsvcs - at - 1) * sizeof *s);
	cs->nsvcs--;
	return 0;
}

void cs_catalog_changed(struct sim_cluster *c)
{
	struct sim_world *w = c->world;
	bool bumped[SIM_MAX_CLUSTERS] = {false};

	c->consul->catalog_idx = cs_write(c->consul);
	bumped[c->index] = true;
	/* What peers import from C is replicated into their catalogs, over
	 * each connected stream. */
	int64_t now = sim_now_ms(w);
	for (int i = 0; i < c->consul->npeerings; i++) {
		struct cs_peering *p = c->consul->peerings[i];
		struct sim_cluster *oc;
		struct cs_peering *q = cs_peering_other(c, p, &oc);
		if (q && p->connected) {
			p->last_send_ms = now;
			q->last_recv_ms = now;
		}
		int o = p->link_cluster;
		if (o < 0 || bumped[o] || !w->clusters[o].consul)
			continue;
		bumped[o] = true;
		w->clusters[o].consul->catalog_idx = cs_write(w->clusters[o].consul);
	}
	sim_changed(w);
}

void cs_gateways_sync(struct sim_cluster *c)
{
	struct sim_consul *cs = c->consul;
	int want = c->install.mesh_gateway_enabled ? c->install.mesh_gateway_replicas : 0;
	struct cs_service *s = cs_service_find(cs, GW_NAME);
	int have = s ? s->ninst : 0;

	if (want == have)
		return;
	cs_write(cs);
	if (want == 0) {
		cs_service_remove(c, GW_NAME);
	} else if (want > have) {
		cs_service_add(c, GW_NAME, "mesh-gateway", want - have, "passing");
	} else {
		s->ninst = want;
		s->modify_index = cs->index;
	}
	sim_event(c->world, c, "mesh gateway instances: %d", want);
	cs_catalog_changed(c);
}

bool cs_gateways_set_status(struct sim_cluster *c, const char *status)
{
	struct cs_service *s = cs_service_find(c->consul, GW_NAME);

	if (!s || !s->ninst)
		return false;
	uint64_t idx = cs_write(c->consul);
	for (int i = 0; i < s->ninst; i++) {
		snprintf(s->inst[i].status, sizeof s->inst[i].status, "%s", status);
		s->inst[i].modify_index = idx;
	}
	s->modify_index = idx;
	cs_catalog_changed(c);
	return true;
}

int cs_gateways_count(const struct sim_cluster *c, bool passing_only)
{
	struct cs_service *s = cs_service_find(c->consul, GW_NAME);
	int n = 0;

	for (int i = 0; s && i < s->ninst; i++)
		if (!passing_only || !strcmp(s->inst[i].status, "passing"))
			n++;
	return n;
}

struct sim_cluster *sim_cluster_by_peering_addr(struct sim_world *w, const char *addr)
{
	for (int i = 0; addr && i < w->nclusters; i++) {
		struct sim_cluster *c = &w->clusters[i];
		if (!strcmp(c->grpc_addr, addr))
			return c;
		struct cs_service *s = c->consul ? cs_service_find(c->consul, GW_NAME) : NULL;
		for (int k = 0; s && k < s->ninst; k++) {
			char a[80];
			snprintf(a, sizeof a, "%s:%d", s->inst[k].wan_addr, s->inst[k].wan_port);
			if (!strcmp(a, addr))
				return c;
		}
	}
	return NULL;
}

int cs_catalog_init(struct sim_cluster *c)
{
	struct sim_world *w = c->world;
	struct sim_consul *cs = c->consul;

	cs->nnodes = 3;
	for (int i = 0; i < cs->nnodes; i++) {
		struct cs_node *n = &cs->nodes[i];
		if (i == 0)
			snprintf(n->name, sizeof n->name, "consul-server-0");
		else
			snprintf(n->name, sizeof n->name, "%s-worker-%d", c->name, i);
		sim_uuid(w, n->id);
		snprintf(n->address, sizeof n->address, "10.%d.%d.10", 100 + c->index, i);
	}
	struct cs_service *s = cs_service_add(c, "consul", "", 1, "passing");
	if (!s)
		return -1;
	s->port = 8300;
	s->inst[0].port = 8300;
	s->inst[0].node = 0;
	snprintf(s->inst[0].id, sizeof s->inst[0].id, "consul");
	snprintf(s->inst[0].address, sizeof s->inst[0].address, "%s", cs->nodes[0].address);
	/* A few application services, picked by the seeded RNG. */
	int napps = 3 + (int)(sim_rand(w) % 3);
	size_t start = (size_t)(sim_rand(w) % (sizeof pool / sizeof pool[0]));
	for (int i = 0; i < napps; i++) {
		const char *name = pool[(start + (size_t)i * 3) % (sizeof pool / sizeof pool[0])];
		int n = 1 + (int)(sim_rand(w) % 3);
		s = cs_service_add(c, name, "", n, "passing");
		if (!s)
			return -1;
		snprintf(s->tags[0], sizeof s->tags[0], "v%d", 1 + (int)(sim_rand(w) % 3));
		s->ntags = 1;
	}
	for (int i = 1; i <= c->world->opt.scale_services; i++) {
		char name[32];
		snprintf(name, sizeof name, "svc-%04d", i);
		if (!cs_service_add(c, name, "", c->world->opt.scale_instances, "passing"))
			return -1;
	}
	if (c->install.mesh_gateway_enabled &&
	    !cs_service_add(c, GW_NAME, "mesh-gateway", c->install.mesh_gateway_replicas,
	                    "passing"))
		return -1;
	cs->catalog_idx = cs->index;
	return 0;
}

void cs_catalog_free(struct sim_consul *cs)
{
	for (int i = 0; i < cs->nsvcs; i++)
		free(cs->svcs[i].inst);
	free(cs->svcs);
	cs->svcs = NULL;
	cs->nsvcs = 0;
}

/* ------------------------------------------------------------- exports */

static bool exportable(const struct cs_service *s)
{
	return strcmp(s->name, "consul") != 0 && !s->kind[0];
}

static bool names_has(const cJSON *arr, const char *name)
{
	const cJSON *it;

	cJSON_ArrayForEach(it, arr)
	{
		if (cJSON_IsString(it) && !strcmp(it->valuestring, name))
			return true;
	}
	return false;
}

static bool consumers_have_peer(const cJSON *consumers, const char *peer)
{
	const cJSON *co;

	cJSON_ArrayForEach(co, consumers)
	{
		const cJSON *p = cJSON_GetObjectItemCaseSensitive(co, "Peer");
		if (!p)
			p = cJSON_GetObjectItemCaseSensitive(co, "PeerName");
		if (cJSON_IsString(p) && (!peer || !strcmp(p->valuestring, peer)))
			return true;
	}
	return false;
}

cJSON *cs_exported_names(struct sim_cluster *c, const char *peer)
{
	const struct cs_config *e = cs_config_find(c->consul, "exported-services", "default");
	cJSON *out = cJSON_CreateArray();
	const cJSON *svc;

	if (!out || !e)
		return out;
	cJSON_ArrayForEach(svc, cJSON_GetObjectItemCaseSensitive(e->entry, "Services"))
	{
		const char *name =
		        cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(svc, "Name"));
		if (!name ||
		    !consumers_have_peer(cJSON_GetObjectItemCaseSensitive(svc, "Consumers"), peer))
			continue;
		if (strcmp(name, "*") != 0) {
			const struct cs_service *s = cs_service_find(c->consul, name);
			if (s && exportable(s) && !names_has(out, s->name))
				cJSON_AddItemToArray(out, cJSON_CreateString(s->name));
			continue;
		}
		for (int i = 0; i < c->consul->nsvcs; i++) {
			struct cs_service *s = &c->consul->svcs[i];
			if (exportable(s) && !names_has(out, s->name))
				cJSON_AddItemToArray(out, cJSON_CreateString(s->name));
		}
	}
	return out;
}

/* -------------------------------------------------------------- filters */

/* The few bexpr forms clients use here: SELECTOR == "v", SELECTOR != "v",
 * joined by "and". */
struct view {
	const struct cs_service *s;
	const struct cs_inst *in;
	const struct cs_node *node;
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

static cJSON *node_json(const struct sim_cluster *src, const struct cs_node *n, const char *peer)
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
	cJSON_AddNumberToObject(o, "CreateIndex",
	                        (double)(src->consul->index > 12 ? 12 : src->consul->index));
	cJSON_AddNumberToObject(o, "ModifyIndex",
	                        (double)(src->consul->index > 12 ? 12 : src->consul->index));
	return o;
}

static cJSON *tags_json(const struct cs_service *s)
{
	cJSON *t = cJSON_CreateArray();

	for (int i = 0; t && i < s->ntags; i++)
		cJSON_AddItemToArray(t, cJSON_CreateString(s->tags[i]));
	return t;
}

static void tagged_addresses(cJSON *o, const char *key, const struct cs_service *s,
                             const struct cs_inst *in)
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

static cJSON *service_meta(const struct sim_cluster *src, const struct cs_service *s,
                           const struct cs_inst *in)
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
static cJSON *add_indexes(cJSON *o, const struct cs_inst *in)
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
	char id_buf[220], name_buf[CS_NAME_MAX + 16];
};

#define SIDECAR_PORT 20000 /* consul-k8s's Envoy public listener */

static void svc_names_init(struct svc_names *v, const struct cs_service *s,
                           const struct cs_inst *in, bool sidecar)
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

static void proxy_json(cJSON *o, const struct cs_service *s, const struct cs_inst *in,
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

static cJSON *service_json(const struct sim_cluster *src, const struct cs_service *s,
                           const struct cs_inst *in, const char *peer, const struct svc_names *v)
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

static cJSON *check_json(const struct sim_cluster *src, const struct cs_service *s,
                         const struct cs_inst *in, const char *peer, const struct svc_names *v)
{
	const struct cs_node *n = &src->consul->nodes[in->node];
	cJSON *o = cJSON_CreateObject();
	char id[300];

	if (!o)
		return NULL;
	cJSON_AddStringToObject(o, "Node", n->name);
	if (!v) {
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
	if (v)
		cJSON_AddItemToObject(o, "ServiceTags", tags_json(s));
	if (peer)
		cJSON_AddStringToObject(o, "PeerName", peer);
	cJSON_AddStringToObject(o, "Interval", "");
	cJSON_AddStringToObject(o, "Timeout", "");
	cJSON_AddNumberToObject(o, "ExposedPort", 0);
	cJSON_AddObjectToObject(o, "Definition");
	return add_indexes(o, in);
}

static cJSON *health_entry(const struct sim_cluster *src, const struct cs_service *s,
                           const struct cs_inst *in, const char *peer, bool sidecar)
{
	cJSON *o = cJSON_CreateObject(), *checks;
	struct svc_names v;

	if (!o)
		return NULL;
	svc_names_init(&v, s, in, sidecar);
	cJSON_AddItemToObject(o, "Node", node_json(src, &src->consul->nodes[in->node], peer));
	cJSON_AddItemToObject(o, "Service", service_json(src, s, in, peer, &v));
	if ((checks = cJSON_AddArrayToObject(o, "Checks"))) {
		cJSON_AddItemToArray(checks, check_json(src, s, in, peer, NULL));
		cJSON_AddItemToArray(checks, check_json(src, s, in, peer, &v));
	}
	return o;
}

static cJSON *catalog_entry(const struct sim_cluster *src, const struct cs_service *s,
                            const struct cs_inst *in, const char *peer)
{
	const struct cs_node *n = &src->consul->nodes[in->node];
	cJSON *o = cJSON_CreateObject();

	if (!o)
		return NULL;
	cJSON_AddStringToObject(o, "ID", n->id);
	cJSON_AddStringToObject(o, "Node", n->name);
	cJSON_AddStringToObject(o, "Address", n->address);
	cJSON_AddStringToObject(o, "Datacenter", src->install.datacenter);
	cJSON *nj = node_json(src, n, peer);
	if (nj) {
		cJSON_AddItemToObject(o, "TaggedAddresses",
		                      cJSON_DetachItemFromObject(nj, "TaggedAddresses"));
		cJSON_AddItemToObject(o, "NodeMeta", cJSON_DetachItemFromObject(nj, "Meta"));
		cJSON_Delete(nj);
	}
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

/* ----------------------------------------------------------- imported */

/* The names of the services C imports from its peer PEER (a malloc'd array,
 * in *SRC the cluster they come from); NULL while the peering is not up. */
static cJSON *imported_names(struct sim_cluster *c, const char *peer, struct sim_cluster **src)
{
	struct cs_peering *p = cs_peering_find(c->consul, peer), *o;
	const char *st;

	if (!p)
		return NULL;
	st = cs_peering_state(c, p);
	if (strcmp(st, "ACTIVE") && strcmp(st, "FAILING"))
		return NULL;
	o = cs_peering_other(c, p, src);
	return o ? cs_exported_names(*src, o->name) : NULL;
}

/* The cluster and its service that C imports as SVC from its peer PEER;
 * NULL when it does not. */
static const struct cs_service *imported(struct sim_cluster *c, const char *peer, const char *svc,
                                         struct sim_cluster **src)
{
	cJSON *names = imported_names(c, peer, src);
	bool ok = names && names_has(names, svc);

	cJSON_Delete(names);
	return ok ? cs_service_find((*src)->consul, svc) : NULL;
}

/* --------------------------------------------------------- endpoints */

static uint64_t idx_catalog(struct sim_cluster *c, const struct sim_req *req, const char *arg)
{
	return c->consul->catalog_idx;
}

static uint64_t idx_ui(struct sim_cluster *c, const struct sim_req *req, const char *arg)
{
	uint64_t a = c->consul->catalog_idx, b = c->consul->config_idx[0];

	return a > b ? a : b;
}

/* Imports change with the peerings and with what the peers replicate. */
static uint64_t idx_imported(struct sim_cluster *c, const struct sim_req *req, const char *arg)
{
	uint64_t a = c->consul->catalog_idx, b = c->consul->peerings_idx;

	(void)req;
	(void)arg;
	return a > b ? a : b;
}

static void r_catalog_services(struct sim_cluster *c, const struct sim_req *req, struct cs_auth *a,
                               struct sim_resp *resp, const char *arg)
{
	const char *peer = sim_req_arg(req, "peer", NULL);
	cJSON *o = cJSON_CreateObject();

	if (!o) {
		sim_resp_text(resp, 500, "out of memory");
		return;
	}
	if (peer && *peer) {
		struct cs_peering *p = cs_peering_find(c->consul, peer);
		struct sim_cluster *src;
		struct cs_peering *other = p ? cs_peering_other(c, p, &src) : NULL;
		cJSON *names = other ? cs_exported_names(src, other->name) : NULL, *n;
		cJSON_ArrayForEach(n, names)
		{
			const struct cs_service *s = imported(c, peer, n->valuestring, &src);
			if (!s)
				continue;
			if (!cs_allowed(a, "service", s->name, CS_READ)) {
				a->filtered = true;
				continue;
			}
			cJSON_AddItemToObject(o, s->name, tags_json(s));
		}
		cJSON_Delete(names);
		cs_json(resp, 200, o);
		return;
	}
	for (int i = 0; i < c->consul->nsvcs; i++) {
		const struct cs_service *s = &c->consul->svcs[i];
		if (!cs_allowed(a, "service", s->name, CS_READ)) {
			a->filtered = true;
			continue;
		}
		cJSON_AddItemToObject(o, s->name, tags_json(s));
	}
	cs_json(resp, 200, o);
}

static bool inst_passing(const struct cs_inst *in)
{
	return !strcmp(in->status, "passing");
}

enum entry_form {
	FORM_CATALOG, /* /v1/catalog/service/:name */
	FORM_HEALTH,  /* /v1/health/service/:name */
	FORM_CONNECT  /* /v1/health/connect/:name: the sidecar proxies */
};

/* /v1/health/service/:name, /v1/health/connect/:name and
 * /v1/catalog/service/:name. */
static void r_service(struct sim_cluster *c, const struct sim_req *req, struct cs_auth *a,
                      struct sim_resp *resp, const char *name, enum entry_form form)
{
	bool health = form != FORM_CATALOG;
	const char *peer = sim_req_arg(req, "peer", NULL);
	const char *filter = sim_req_arg(req, "filter", NULL);
	const char *tag = sim_req_arg(req, "tag", NULL);
	bool passing;
	struct sim_cluster *src = c;
	const struct cs_service *s;
	char err[160];

	sim_req_arg(req, "passing", &passing);
	if (peer && !*peer)
		peer = NULL;
	s = peer ? imported(c, peer, name, &src) : cs_service_find(c->consul, name);
	/* Only services with sidecars are connect-capable: not gateways, not consul. */
	if (s && form == FORM_CONNECT && !exportable(s))
		s = NULL;
	cJSON *arr = cJSON_CreateArray();
	if (!arr) {
		sim_resp_text(resp, 500, "out of memory");
		return;
	}
	if (s && !cs_allowed(a, "service", name, CS_READ)) {
		a->filtered = true;
		s = NULL;
	}
	for (int i = 0; s && i < s->ninst; i++) {
		const struct cs_inst *in = &s->inst[i];
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
		if (!cs_allowed(a, "node", src->consul->nodes[in->node].name, CS_READ)) {
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
		cJSON_AddItemToArray(arr,
		                     health ? health_entry(src, s, in, peer, form == FORM_CONNECT)
		                            : catalog_entry(src, s, in, peer));
	}
	cs_json(resp, 200, arr);
}

static void r_health(struct sim_cluster *c, const struct sim_req *req, struct cs_auth *a,
                     struct sim_resp *resp, const char *name)
{
	r_service(c, req, a, resp, name, FORM_HEALTH);
}

static void r_catalog_service(struct sim_cluster *c, const struct sim_req *req, struct cs_auth *a,
                              struct sim_resp *resp, const char *name)
{
	r_service(c, req, a, resp, name, FORM_CATALOG);
}

static cJSON *summary(const struct sim_cluster *src, const struct cs_service *s, const char *peer)
{
	cJSON *o = cJSON_CreateObject(), *nodes, *ext;
	int pass = 0, warn = 0, crit = 0;

	if (!o)
		return NULL;
	if (s->kind[0])
		cJSON_AddStringToObject(o, "Kind", s->kind);
	cJSON_AddStringToObject(o, "Name", s->name);
	cJSON_AddStringToObject(o, "Datacenter", src->install.datacenter);
	cJSON_AddItemToObject(o, "Tags", tags_json(s));
	if ((nodes = cJSON_AddArrayToObject(o, "Nodes"))) {
		for (int i = 0; i < s->ninst; i++) {
			const char *nn = src->consul->nodes[s->inst[i].node].name;
			if (!names_has(nodes, nn))
				cJSON_AddItemToArray(nodes, cJSON_CreateString(nn));
		}
	}
	if ((ext = cJSON_AddArrayToObject(o, "ExternalSources")) && strcmp(s->name, "consul"))
		cJSON_AddItemToArray(ext, cJSON_CreateString("kubernetes"));
	for (int i = 0; i < s->ninst; i++) {
		pass++; /* serfHealth of its node */
		if (!strcmp(s->inst[i].status, "passing"))
			pass++;
		else if (!strcmp(s->inst[i].status, "warning"))
			warn++;
		else
			crit++;
	}
	cJSON_AddNumberToObject(o, "InstanceCount", s->ninst);
	cJSON_AddNumberToObject(o, "ChecksPassing", pass);
	cJSON_AddNumberToObject(o, "ChecksWarning", warn);
	cJSON_AddNumberToObject(o, "ChecksCritical", crit);
	cJSON *gc = cJSON_AddObjectToObject(o, "GatewayConfig");
	if (gc && s->kind[0])
		cJSON_AddNumberToObject(gc, "AssociatedServiceCount", 0);
	cJSON_AddBoolToObject(o, "TransparentProxy", false);
	cJSON_AddBoolToObject(o, "ConnectNative", false);
	if (peer)
		cJSON_AddStringToObject(o, "PeerName", peer);
	cJSON_AddBoolToObject(o, "ConnectedWithProxy", false);
	cJSON_AddBoolToObject(o, "ConnectedWithGateway", false);
	return o;
}

static void r_ui_services(struct sim_cluster *c, const struct sim_req *req, struct cs_auth *a,
                          struct sim_resp *resp, const char *arg)
{
	cJSON *arr = cJSON_CreateArray();
	struct sim_consul *cs = c->consul;

	if (!arr) {
		sim_resp_text(resp, 500, "out of memory");
		return;
	}
	for (int i = 0; i < cs->nsvcs; i++) {
		if (!cs_allowed(a, "service", cs->svcs[i].name, CS_READ)) {
			a->filtered = true;
			continue;
		}
		cJSON_AddItemToArray(arr, summary(c, &cs->svcs[i], NULL));
	}
	for (int i = 0; i < cs->npeerings; i++) {
		struct cs_peering *p = cs->peerings[i];
		struct sim_cluster *src;
		struct cs_peering *o = cs_peering_other(c, p, &src);
		const char *st = cs_peering_state(c, p);
		if (!o || (strcmp(st, "ACTIVE") && strcmp(st, "FAILING")))
			continue;
		cJSON *names = cs_exported_names(src, o->name), *n;
		cJSON_ArrayForEach(n, names)
		{
			const struct cs_service *s = cs_service_find(src->consul, n->valuestring);
			if (!s)
				continue;
			if (!cs_allowed(a, "service", s->name, CS_READ)) {
				a->filtered = true;
				continue;
			}
			cJSON_AddItemToArray(arr, summary(src, s, p->name));
		}
		cJSON_Delete(names);
	}
	cs_json(resp, 200, arr);
}

/* A new object {KEY: NAME} for the service NAME; NULL on no memory or when
 * the token may not read it (the answer then counts as filtered). */
static cJSON *visible_service(struct cs_auth *a, const char *key, const char *name)
{
	cJSON *o;

	if (!cs_allowed(a, "service", name, CS_READ)) {
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

static void r_ui_exported(struct sim_cluster *c, const struct sim_req *req, struct cs_auth *a,
                          struct sim_resp *resp, const char *arg)
{
	const char *peer = sim_req_arg(req, "peer", NULL);
	cJSON *names = cs_exported_names(c, peer && *peer ? peer : NULL), *n;
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
	cs_json(resp, 200, arr);
}

static void r_exported_services(struct sim_cluster *c, const struct sim_req *req, struct cs_auth *a,
                                struct sim_resp *resp, const char *arg)
{
	struct sim_consul *cs = c->consul;
	cJSON *arr = cJSON_CreateArray();

	if (!arr) {
		sim_resp_text(resp, 500, "out of memory");
		return;
	}
	for (int i = 0; i < cs->nsvcs; i++) {
		cJSON *peers = cJSON_CreateArray();
		for (int k = 0; peers && k < cs->npeerings; k++) {
			cJSON *names = cs_exported_names(c, cs->peerings[k]->name);
			if (names && names_has(names, cs->svcs[i].name))
				cJSON_AddItemToArray(peers,
				                     cJSON_CreateString(cs->peerings[k]->name));
			cJSON_Delete(names);
		}
		/* Peers named in the entry without a peering yet count too. */
		const struct cs_config *e = cs_config_find(cs, "exported-services", "default");
		const cJSON *svc, *co;
		const cJSON *list = e ? cJSON_GetObjectItem(e->entry, "Services") : NULL;
		cJSON_ArrayForEach(svc, list)
		{
			const char *nm = cJSON_GetStringValue(cJSON_GetObjectItem(svc, "Name"));
			if (!nm || (strcmp(nm, "*") && strcmp(nm, cs->svcs[i].name)) ||
			    !exportable(&cs->svcs[i]))
				continue;
			cJSON_ArrayForEach(co, cJSON_GetObjectItem(svc, "Consumers"))
			{
				const char *pn =
				        cJSON_GetStringValue(cJSON_GetObjectItem(co, "Peer"));
				if (pn && peers && !names_has(peers, pn))
					cJSON_AddItemToArray(peers, cJSON_CreateString(pn));
			}
		}
		if (!peers || !cJSON_GetArraySize(peers)) {
			cJSON_Delete(peers);
			continue;
		}
		if (!cs_allowed(a, "service", cs->svcs[i].name, CS_READ)) {
			cJSON_Delete(peers);
			a->filtered = true;
			continue;
		}
		cJSON *o = cJSON_CreateObject(), *cons;
		if (!o) {
			cJSON_Delete(peers);
			break;
		}
		cJSON_AddStringToObject(o, "Service", cs->svcs[i].name);
		if ((cons = cJSON_AddObjectToObject(o, "Consumers")))
			cJSON_AddItemToObject(cons, "Peers", peers);
		else
			cJSON_Delete(peers);
		cJSON_AddItemToArray(arr, o);
	}
	cs_json(resp, 200, arr);
}

/* /v1/imported-services: what every established peering brings in. */
static void r_imported_services(struct sim_cluster *c, const struct sim_req *req, struct cs_auth *a,
                                struct sim_resp *resp, const char *arg)
{
	struct sim_consul *cs = c->consul;
	cJSON *arr = cJSON_CreateArray();

	(void)req;
	(void)arg;
	if (!arr) {
		sim_resp_text(resp, 500, "out of memory");
		return;
	}
	for (int k = 0; k < cs->npeerings; k++) {
		const char *peer = cs->peerings[k]->name;
		struct sim_cluster *src;
		cJSON *names = imported_names(c, peer, &src);
		const cJSON *it;
		cJSON_ArrayForEach(it, names)
		{
			cJSON *o = visible_service(a, "Service", it->valuestring);
			if (!o)
				continue;
			cJSON_AddStringToObject(o, "Partition", "default");
			cJSON_AddStringToObject(o, "Namespace", "default");
			cJSON_AddStringToObject(o, "SourcePeer", peer);
			cJSON_AddItemToArray(arr, o);
		}
		cJSON_Delete(names);
	}
	cs_json(resp, 200, arr);
}

/* Wrappers that give the blocking helper a name argument. */
static void rb_health(struct sim_cluster *c, const struct sim_req *req, struct cs_auth *a,
                      struct sim_resp *resp, const char *arg)
{
	r_health(c, req, a, resp, arg);
}

static void rb_connect(struct sim_cluster *c, const struct sim_req *req, struct cs_auth *a,
                       struct sim_resp *resp, const char *arg)
{
	r_service(c, req, a, resp, arg, FORM_CONNECT);
}

static void rb_catalog_service(struct sim_cluster *c, const struct sim_req *req, struct cs_auth *a,
                               struct sim_resp *resp, const char *arg)
{
	r_catalog_service(c, req, a, resp, arg);
}

void cs_catalog_route(struct sim_cluster *c, const struct sim_req *req, struct cs_auth *a,
                      struct sim_resp *resp, const char *path)
{
	if (!strcmp(path, "/v1/catalog/services")) {
		cs_blocking(c, req, a, resp, idx_catalog, r_catalog_services, NULL);
	} else if (!strncmp(path, "/v1/catalog/service/", 20)) {
		if (!path[20]) {
			sim_resp_text(resp, 400, "Missing service name");
			return;
		}
		cs_blocking(c, req, a, resp, idx_catalog, rb_catalog_service, path + 20);
	} else if (!strncmp(path, "/v1/health/service/", 19)) {
		if (!path[19]) {
			sim_resp_text(resp, 400, "Missing service name");
			return;
		}
		cs_blocking(c, req, a, resp, idx_catalog, rb_health, path + 19);
	} else if (!strncmp(path, "/v1/health/connect/", 19)) {
		if (!path[19]) {
			sim_resp_text(resp, 400, "Missing service name");
			return;
		}
		cs_blocking(c, req, a, resp, idx_catalog, rb_connect, path + 19);
	} else if (!strcmp(path, "/v1/internal/ui/services")) {
		cs_blocking(c, req, a, resp, idx_ui, r_ui_services, NULL);
	} else if (!strcmp(path, "/v1/internal/ui/exported-services")) {
		cs_blocking(c, req, a, resp, idx_ui, r_ui_exported, NULL);
	} else {
		pthread_mutex_lock(&c->world->lock);
		bool ok = cs_allowed(a, "mesh", NULL, CS_READ) ||
		          cs_allowed(a, "operator", NULL, CS_READ);
		pthread_mutex_unlock(&c->world->lock);
		if (!ok) {
			cs_denied(resp, a, "mesh", NULL, CS_READ);
			return;
		}
		bool exported = !strcmp(path, "/v1/exported-services");
		cs_blocking(c, req, a, resp, exported ? idx_ui : idx_imported,
		            exported ? r_exported_services : r_imported_services, NULL);
	}
}

/* ------------------------------------------------------------ path probe */

cJSON *cs_path_probe(struct sim_cluster *c, const char *peer, const char *svc, const char *from)
{
	cJSON *o = cJSON_CreateObject();
	struct cs_peering *p = cs_peering_find(c->consul, peer), *other;
	struct sim_cluster *src = NULL;
	char reason[256] = "", route[256] = "";
	const char *mode = "remote";

	if (!o)
		return NULL;
	if (!p) {
		snprintf(reason, sizeof reason, "%s has no peering named \"%s\"", c->name, peer);
		goto out;
	}
	const char *st = cs_peering_state(c, p);
	other = cs_peering_other(c, p, &src);
	if (strcmp(st, "ACTIVE") || !other) {
		snprintf(reason, sizeof reason, "peering \"%s\" is %s, not ACTIVE", peer, st);
		goto out;
	}
	if (!imported(c, peer, svc, &src)) {
		snprintf(reason, sizeof reason, "%s does not export \"%s\" to this cluster",
		         src->name, svc);
		goto out;
	}
	const char *m = cs_config_gateway_mode(c, from, svc, peer);
	if (m && *m)
		mode = m;
	if (!strcmp(mode, "none")) {
		snprintf(reason, sizeof reason,
		         "mesh gateway mode \"none\" is invalid for cluster peering: the sidecar "
		         "dials %s's instances directly and the connection is refused",
		         src->name);
		goto out;
	}
	if (!strcmp(mode, "local") && cs_gateways_count(c, true) == 0) {
		snprintf(reason, sizeof reason,
		         "mesh gateway mode \"local\" needs a healthy mesh gateway in %s; there is "
		         "none, so the upstream has no route",
		         c->name);
		goto out;
	}
	if (!src->running || cs_gateways_count(src, true) == 0) {
		snprintf(reason, sizeof reason,
		         "%s has no healthy mesh gateway to receive the traffic", src->name);
		goto out;
	}
	if (!strcmp(mode, "local"))
		snprintf(route, sizeof route, "sidecar -> %s mesh-gateway -> %s mesh-gateway -> %s",
		         c->name, src->name, svc);
	else
		snprintf(route, sizeof route, "sidecar -> %s mesh-gateway -> %s", src->name, svc);
out:
	cJSON_AddStringToObject(o, "cluster", c->name);
	cJSON_AddStringToObject(o, "peer", peer);
	cJSON_AddStringToObject(o, "service", svc);
	cJSON_AddStringToObject(o, "mode", mode);
	cJSON_AddBoolToObject(o, "ok", reason[0] == '\0');
	if (reason[0])
		cJSON_AddStringToObject(o, "reason", reason);
	else
		cJSON_AddStringToObject(o, "route", route);
	return o;
}
