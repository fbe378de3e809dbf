/* peerscope-sim, Consul half: nodes, services, mesh gateways and checks,
 * and what a cluster exports to its peers and imports from them. */
#include "autoconfig.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "simc.h"

static const char *const pool[] = {"frontend", "backend", "api",     "payments", "inventory",
                                   "orders",   "auth",    "search",  "cart",     "shipping",
                                   "billing",  "catalog", "reviews", "email"};

#define GW_NAME "mesh-gateway"

/* Services are sorted by partition ("" first), then name. */
static int svc_cmp(const char *part, const char *name, const struct simc_service *s)
{
	int r = strcmp(part, s->partition);

	return r ? r : strcmp(name, s->name);
}

struct simc_service *simc_service_find_in(struct simc_state *cs, const char *part, const char *name)
{
	int lo = 0, hi = cs->nsvcs - 1;

	part = simc_part(part);
	while (lo <= hi) {
		int mid = (lo + hi) / 2, r = svc_cmp(part, name, &cs->svcs[mid]);
		if (!r)
			return &cs->svcs[mid];
		if (r < 0)
			hi = mid - 1;
		else
			lo = mid + 1;
	}
	return NULL;
}

struct simc_service *simc_service_find(struct simc_state *cs, const char *name)
{
	return simc_service_find_in(cs, "", name);
}

static struct simc_service *service_insert(struct simc_state *cs, const char *part,
                                           const char *name)
{
	int at = 0;

	if (cs->nsvcs == cs->svcs_cap) {
		int cap = cs->svcs_cap ? cs->svcs_cap * 2 : 32;
		struct simc_service *n = realloc(cs->svcs, (size_t)cap * sizeof *n);
		if (!n)
			return NULL;
		cs->svcs = n;
		cs->svcs_cap = cap;
	}
	while (at < cs->nsvcs && svc_cmp(part, name, &cs->svcs[at]) > 0)
		at++;
	memmove(&cs->svcs[at + 1], &cs->svcs[at], (size_t)(cs->nsvcs - at) * sizeof cs->svcs[0]);
	cs->nsvcs++;
	struct simc_service *s = &cs->svcs[at];
	memset(s, 0, sizeof *s);
	snprintf(s->name, sizeof s->name, "%s", name);
	snprintf(s->partition, sizeof s->partition, "%s", part);
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

static int inst_add(struct sim_cluster *c, struct simc_service *s, const char *status)
{
	struct simc_state *cs = c->consul;

	if (s->ninst == s->cap) {
		int cap = s->cap ? s->cap * 2 : 2;
		struct simc_inst *n = realloc(s->inst, (size_t)cap * sizeof *n);
		if (!n)
			return -1;
		s->inst = n;
		s->cap = cap;
	}
	struct simc_inst *in = &s->inst[s->ninst];
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

struct simc_service *simc_service_add(struct sim_cluster *c, const char *name, const char *kind,
                                      int n, const char *status)
{
	return simc_service_add_in(c, "", name, kind, n, status);
}

struct simc_service *simc_service_add_in(struct sim_cluster *c, const char *part, const char *name,
                                         const char *kind, int n, const char *status)
{
	struct simc_state *cs = c->consul;
	struct simc_service *s = simc_service_find_in(cs, part, name);

	if (!s) {
		s = service_insert(cs, simc_part(part), name);
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

int simc_service_remove(struct sim_cluster *c, const char *part, const char *name)
{
	struct simc_state *cs = c->consul;
	struct simc_service *s = simc_service_find_in(cs, part, name);

	if (!s)
		return -1;
	cs->svc_gone_idx = cs->index;
	free(s->inst);
	int at = (int)(s - cs->svcs);
	memmove(&cs->svcs[at], &cs->svcs[at + 1], (size_t)(cs->nsvcs - at - 1) * sizeof *s);
	cs->nsvcs--;
	return 0;
}

/* What of C's catalog changed, and so which peers hear of it. */
enum replicated {
	TO_ALL,      /* every peer: the exports, a stream, a peering */
	TO_PART,     /* the peers of a partition: its mesh gateways */
	TO_EXPORTED, /* the peers a service is exported to */
};

/* Whether CONSUMERS (an entry's) name the peer PEER; any peer: NULL. */
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

/* Whether partition PART of C exports service NAME to its peer PEER, by
 * name or by "*": the entry alone, so that a service just deregistered
 * counts. */
static bool exports_to(struct sim_cluster *c, const char *part, const char *name, const char *peer)
{
	const struct simc_config *e =
	        simc_config_find(c->consul, part, "exported-services", simc_part_name(part));
	const cJSON *svc;

	if (!e)
		return false;
	cJSON_ArrayForEach(svc, cJSON_GetObjectItemCaseSensitive(e->entry, "Services"))
	{
		const char *n = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(svc, "Name"));
		if (n && (!strcmp(n, name) || !strcmp(n, "*")) &&
		    consumers_have_peer(cJSON_GetObjectItemCaseSensitive(svc, "Consumers"), peer))
			return true;
	}
	return false;
}

/* C's catalog changed: its index moves, and so does the catalog of each
 * peer the change is replicated to over its stream. Consul's exporting
 * side sends a peer the services exported to it and the mesh gateways of
 * the peering's partition, nothing else of its catalog
 * (agent/grpc-external/services/peerstream/subscription_manager.go:
 * subscribe() watches the exported services for the peer and the mesh
 * gateways for its partition), and the importer writes them into its own
 * catalog, where its blocking queries see them. */
static void catalog_changed(struct sim_cluster *c, enum replicated to, const char *part,
                            const char *name)
{
	struct sim_world *w = c->world;
	bool bumped[SIM_MAX_CLUSTERS] = {false};

	c->consul->catalog_idx = simc_write(c->consul);
	bumped[c->index] = true;
	int64_t now = sim_now_ms(w);
	for (int i = 0; i < c->consul->npeerings; i++) {
		struct simc_peering *p = c->consul->peerings[i];
		if (to != TO_ALL && !simc_part_eq(p->partition, part))
			continue;
		if (to == TO_EXPORTED && !exports_to(c, part, name, p->name))
			continue;
		struct sim_cluster *oc;
		struct simc_peering *q = simc_peering_other(c, p, &oc);
		if (q && simc_peering_live(c, p)) {
			p->tr.send_ok_ms = now;
			q->tr.recv_ok_ms = now;
		}
		int o = p->link_cluster;
		if (o < 0 || bumped[o] || !w->clusters[o].consul)
			continue;
		bumped[o] = true;
		w->clusters[o].consul->catalog_idx = simc_write(w->clusters[o].consul);
	}
	sim_changed(w);
}

void simc_catalog_changed(struct sim_cluster *c)
{
	catalog_changed(c, TO_ALL, "", "");
}

void simc_gateways_changed(struct sim_cluster *c, const char *part)
{
	catalog_changed(c, TO_PART, part, "");
}

void simc_service_changed(struct sim_cluster *c, const char *part, const char *name)
{
	catalog_changed(c, TO_EXPORTED, part, name);
}

void simc_gateways_sync(struct sim_cluster *c)
{
	struct simc_state *cs = c->consul;
	int want = c->install.mesh_gateway_enabled ? c->install.mesh_gateway_replicas : 0;
	struct simc_service *s = simc_service_find(cs, GW_NAME);
	int have = s ? s->ninst : 0;

	if (want == have)
		return;
	simc_write(cs);
	if (want == 0) {
		simc_service_remove(c, "", GW_NAME);
	} else if (want > have) {
		simc_service_add(c, GW_NAME, "mesh-gateway", want - have, "passing");
	} else {
		s->ninst = want;
		s->modify_index = cs->index;
	}
	sim_event(c->world, c, "mesh gateway instances: %d", want);
	simc_gateways_changed(c, "");
}

bool simc_gateways_set_status(struct sim_cluster *c, const char *part, const char *status)
{
	struct simc_service *s = simc_service_find_in(c->consul, part, GW_NAME);

	if (!s || !s->ninst)
		return false;
	uint64_t idx = simc_write(c->consul);
	for (int i = 0; i < s->ninst; i++) {
		snprintf(s->inst[i].status, sizeof s->inst[i].status, "%s", status);
		s->inst[i].modify_index = idx;
	}
	s->modify_index = idx;
	simc_gateways_changed(c, part);
	return true;
}

int simc_gateways_count(const struct sim_cluster *c, bool passing_only)
{
	return simc_gateways_count_in(c, "", passing_only);
}

int simc_gateways_count_in(const struct sim_cluster *c, const char *part, bool passing_only)
{
	struct simc_service *s = simc_service_find_in(c->consul, part, GW_NAME);
	int n = 0;

	for (int i = 0; s && i < s->ninst; i++)
		if (!passing_only || !strcmp(s->inst[i].status, "passing"))
			n++;
	return n;
}

struct sim_cluster *simc_cluster_by_peering_addr(struct sim_world *w, const char *addr)
{
	for (int i = 0; addr && i < w->nclusters; i++) {
		struct sim_cluster *c = &w->clusters[i];
		if (!strcmp(c->grpc_addr, addr))
			return c;
		struct simc_service *s = c->consul ? simc_service_find(c->consul, GW_NAME) : NULL;
		for (int k = 0; s && k < s->ninst; k++) {
			char a[80];
			snprintf(a, sizeof a, "%s:%d", s->inst[k].wan_addr, s->inst[k].wan_port);
			if (!strcmp(a, addr))
				return c;
		}
	}
	return NULL;
}

int simc_catalog_init(struct sim_cluster *c)
{
	struct sim_world *w = c->world;
	struct simc_state *cs = c->consul;

	cs->nnodes = 3;
	for (int i = 0; i < cs->nnodes; i++) {
		struct simc_node *n = &cs->nodes[i];
		if (i == 0)
			snprintf(n->name, sizeof n->name, "consul-server-0");
		else
			/* consul-k8s registers workloads on "<k8s node>-virtual". */
			snprintf(n->name, sizeof n->name, "%s-worker-%d-virtual", c->name, i);
		sim_uuid(w, n->id);
		snprintf(n->address, sizeof n->address, "10.%d.%d.10", 100 + c->index, i);
		n->create_index = cs->index;
	}
	struct simc_service *s = simc_service_add(c, "consul", "", 1, "passing");
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
		s = simc_service_add(c, name, "", n, "passing");
		if (!s)
			return -1;
		snprintf(s->tags[0], sizeof s->tags[0], "v%d", 1 + (int)(sim_rand(w) % 3));
		s->ntags = 1;
	}
	for (int i = 1; i <= c->world->opt.scale_services; i++) {
		char name[32];
		snprintf(name, sizeof name, "svc-%04d", i);
		if (!simc_service_add(c, name, "", c->world->opt.scale_instances, "passing"))
			return -1;
	}
	if (c->install.mesh_gateway_enabled &&
	    !simc_service_add(c, GW_NAME, "mesh-gateway", c->install.mesh_gateway_replicas,
	                      "passing"))
		return -1;
	cs->catalog_idx = cs->index;
	return 0;
}

void simc_catalog_free(struct simc_state *cs)
{
	for (int i = 0; i < cs->nsvcs; i++)
		free(cs->svcs[i].inst);
	free(cs->svcs);
	cs->svcs = NULL;
	cs->nsvcs = 0;
}

bool simc_service_exportable(const struct simc_service *s)
{
	return strcmp(s->name, "consul") != 0 && !s->kind[0];
}

bool simc_names_has(const cJSON *arr, const char *name)
{
	const cJSON *it;

	cJSON_ArrayForEach(it, arr)
	{
		if (cJSON_IsString(it) && !strcmp(it->valuestring, name))
			return true;
	}
	return false;
}

cJSON *simc_exported_names(struct sim_cluster *c, const char *part, const char *peer)
{
	/* One entry per partition, named after it ("default" in CE). */
	const struct simc_config *e =
	        simc_config_find(c->consul, part, "exported-services", simc_part_name(part));
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
			const struct simc_service *s = simc_service_find_in(c->consul, part, name);
			if (s && simc_service_exportable(s) && !simc_names_has(out, s->name))
				cJSON_AddItemToArray(out, cJSON_CreateString(s->name));
			continue;
		}
		for (int i = 0; i < c->consul->nsvcs; i++) {
			struct simc_service *s = &c->consul->svcs[i];
			if (simc_part_eq(s->partition, part) && simc_service_exportable(s) &&
			    !simc_names_has(out, s->name))
				cJSON_AddItemToArray(out, cJSON_CreateString(s->name));
		}
	}
	return out;
}

/* The names of the services C imports from its peer PEER (a malloc'd array,
 * in *SRC the cluster they come from); NULL while the peering is not up. */
cJSON *simc_imported_names(struct sim_cluster *c, const char *part, const char *peer,
                           struct sim_cluster **src)
{
	struct simc_peering *p = simc_peering_find(c->consul, part, peer), *o;
	const char *st;

	if (!p)
		return NULL;
	/* Imported data lives in the importer's state store from the first
	 * replication until the peering is deleted or terminated. */
	st = simc_peering_state(c, p);
	if (!p->synced || !strcmp(st, "DELETING") || !strcmp(st, "TERMINATED"))
		return NULL;
	o = simc_peering_other(c, p, src);
	return o ? simc_exported_names(*src, o->partition, o->name) : NULL;
}

/* The cluster and its service that C imports as SVC from its peer PEER;
 * NULL when it does not. */
const struct simc_service *simc_imported(struct sim_cluster *c, const char *part, const char *peer,
                                         const char *svc, struct sim_cluster **src)
{
	struct simc_peering *p = simc_peering_find(c->consul, part, peer), *o;
	cJSON *names = simc_imported_names(c, part, peer, src);
	bool ok = names && simc_names_has(names, svc);

	cJSON_Delete(names);
	o = ok && p ? simc_peering_other(c, p, src) : NULL;
	return o ? simc_service_find_in((*src)->consul, o->partition, svc) : NULL;
}
