/* peerscope-sim, Consul half: routing of the HTTP API, the in-process
 * client the controllers use, and the cluster's lifecycle. */
#include "autoconfig.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "simc.h"

/* ------------------------------------------------------------ routing */

struct route {
	const char *path; /* "/v1/peering/" with a trailing slash: a prefix */
	const char *allow;
};

static const struct route routes[] = {
        {"/v1/agent/self", "GET"},
        {"/v1/agent/version", "GET"},
        {"/v1/agent/members", "GET"},
        {"/v1/status/leader", "GET"},
        {"/v1/status/peers", "GET"},
        {"/v1/catalog/datacenters", "GET"},
        {"/v1/catalog/services", "GET"},
        {"/v1/catalog/service/", "GET"},
        {"/v1/health/service/", "GET"},
        {"/v1/health/connect/", "GET"},
        {"/v1/internal/ui/services", "GET"},
        {"/v1/internal/ui/exported-services", "GET"},
        {"/v1/exported-services", "GET"},
        {"/v1/imported-services", "GET"},
        {"/v1/peering/token", "POST"},
        {"/v1/peering/establish", "POST"},
        {"/v1/peering/", "GET,DELETE"},
        {"/v1/peerings", "GET"},
        {"/v1/config", "PUT"},
        {"/v1/config/", "GET,DELETE"},
        {"/v1/acl/token/self", "GET"},
        {"/v1/internal/acl/authorize", "POST"},
        {"/v1/partitions", "GET"},
        {"/v1/partition", "PUT"},
        {"/v1/partition/", "GET,PUT,DELETE"},
};

static const struct route *find_route(const char *path)
{
	for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
		const char *r = routes[i].path;
		size_t n = strlen(r);
		if (r[n - 1] == '/' ? strncmp(path, r, n) == 0 : strcmp(path, r) == 0)
			return &routes[i];
	}
	return NULL;
}

static bool method_allowed(const struct route *r, const char *method)
{
	char buf[32];

	snprintf(buf, sizeof buf, "%s", r->allow);
	for (char *save = NULL, *m = strtok_r(buf, ",", &save); m; m = strtok_r(NULL, ",", &save))
		if (!strcmp(m, method))
			return true;
	return false;
}

/* Checks every request gets before routing: the partition (Consul CE
 * refuses one; Enterprise reads ?partition, then X-Consul-Partition, and
 * serves its default partition otherwise). */
static int common_checks(const struct sim_cluster *c, const struct sim_req *req,
                         struct simc_auth *a, struct sim_resp *resp)
{
	const char *part = sim_req_arg(req, "partition", NULL);
	const char *hpart = sim_req_header(req, "X-Consul-Partition");
	bool stale, consistent;

	a->part[0] = '\0';
	a->part_known = true;
	if (c->install.enterprise) {
		const char *p = part && *part ? part : hpart && *hpart ? hpart : "";
		snprintf(a->part, sizeof a->part, "%s", simc_part(p));
		a->part_known = !strcmp(a->part, "*") || simc_partition_find(c->consul, a->part);
		part = hpart = NULL;
	}
	if (part && *part) {
		sim_resp_text(resp, 400,
		              "Invalid query parameter: \"partition\" - Partitions are a Consul "
		              "Enterprise feature");
		return -1;
	}
	if (hpart && *hpart) {
		sim_resp_text(resp, 400,
		              "Invalid header: \"X-Consul-Partition\" - Partitions are a Consul "
		              "Enterprise feature");
		return -1;
	}
	sim_req_arg(req, "stale", &stale);
	sim_req_arg(req, "consistent", &consistent);
	if (stale && consistent) {
		sim_resp_text(resp, 400,
		              "Cannot specify ?stale with ?consistent, conflicting semantics.");
		return -1;
	}
	return 0;
}

/* Endpoints newer servers only have: /v1/exported-services from Consul
 * 1.17.3 (its changelog), /v1/imported-services from 1.21 (the simulator's
 * choice). */
static bool version_serves(const struct sim_cluster *c, const char *path)
{
	if (!strncmp(path, "/v1/partition", 13))
		return c->install.enterprise; /* not routed by Consul CE */
	if (!strcmp(path, "/v1/exported-services"))
		return simc_version_at_least3(c, 1, 17, 3);
	if (!strcmp(path, "/v1/imported-services"))
		return simc_version_at_least(c, 1, 21);
	return true;
}

static void dispatch(struct sim_cluster *c, const struct sim_req *req, struct sim_resp *resp)
{
	struct sim_world *w = c->world;
	struct simc_auth a;
	const struct route *r = find_route(req->path);

	if (!r || !version_serves(c, r->path)) {
		if (!strncmp(req->path, "/v1/", 4))
			sim_resp_text(resp, 404,
			              "Invalid URL path: not a recognized HTTP API endpoint");
		else
			sim_resp_text(resp, 404, "404 page not found\n");
		return;
	}
	if (!method_allowed(r, req->method)) {
		sim_resp_header(resp, "Allow", "%s", r->allow);
		sim_resp_text(resp, 405, "method %s not allowed", req->method);
		return;
	}
	memset(&a, 0, sizeof a);
	pthread_mutex_lock(&w->lock);
	int rc = common_checks(c, req, &a, resp);
	if (rc == 0)
		rc = simc_no_leader(c, req, resp) ? -1 : simc_auth(c, req, &a, resp);
	/* Reads of a partition that does not exist find nothing; writes fail
	 * (the wording is the simulator's: Enterprise's source is not public). */
	if (rc == 0 && !a.part_known && strcmp(req->method, "GET") != 0) {
		sim_resp_text(resp, 500, "partition \"%s\" does not exist", a.part);
		rc = -1;
	}
	pthread_mutex_unlock(&w->lock);
	if (rc < 0)
		return;
	const char *p = req->path;
	if (!strncmp(p, "/v1/peering", 11)) {
		simc_peering_route(c, req, &a, resp, p);
	} else if (!strncmp(p, "/v1/config", 10)) {
		simc_config_route(c, req, &a, resp, p);
	} else if (!strncmp(p, "/v1/partition", 13)) {
		simc_partition_route(c, req, &a, resp, p);
	} else if (!strncmp(p, "/v1/acl/", 8) || !strncmp(p, "/v1/internal/acl/", 17)) {
		simc_acl_route(c, req, &a, resp, p);
	} else if (!strncmp(p, "/v1/catalog/s", 13) || !strncmp(p, "/v1/health/", 11) ||
	           !strncmp(p, "/v1/internal/ui/", 16) || !strcmp(p, "/v1/exported-services") ||
	           !strcmp(p, "/v1/imported-services")) {
		simc_catalog_route(c, req, &a, resp, p);
	} else {
		pthread_mutex_lock(&w->lock);
		simc_agent_route(c, req, &a, resp);
		pthread_mutex_unlock(&w->lock);
	}
}

void simc_handle(struct sim_cluster *c, const struct sim_req *req, struct sim_resp *resp)
{
	resp->status = 200;
	dispatch(c, req, resp);
}

int simc_call(struct sim_cluster *c, const char *method, const char *path_and_query,
              const char *token, const char *body, char **resp_body)
{
	struct sim_kv args[32], hdr[1];
	struct sim_resp resp = {0};
	char *copy = strdup(path_and_query);
	size_t nargs = 0;

	*resp_body = NULL;
	if (!copy)
		return 500;
	char *q = strchr(copy, '?');
	if (q) {
		*q++ = '\0';
		for (char *save = NULL, *kv = strtok_r(q, "&", &save); kv && nargs < 32;
		     kv = strtok_r(NULL, "&", &save)) {
			char *eq = strchr(kv, '=');
			if (eq)
				*eq++ = '\0';
			args[nargs].key = kv;
			args[nargs].value = eq;
			nargs++;
		}
	}
	hdr[0].key = (char *)"X-Consul-Token";
	hdr[0].value = (char *)(token ? token : "");
	struct sim_req req = {
	        .method = method,
	        .path = copy,
	        .args = args,
	        .nargs = nargs,
	        .headers = hdr,
	        .nheaders = token ? 1 : 0,
	        .body = body ? body : "",
	        .body_len = body ? strlen(body) : 0,
	        .remote_addr = "127.0.0.1:0",
	        .client_gone = NULL,
	};
	simc_handle(c, &req, &resp);
	int status = resp.status;
	*resp_body = resp.body ? resp.body : strdup("");
	resp.body = NULL;
	sim_resp_free(&resp);
	free(copy);
	return status;
}

/* ---------------------------------------------------------- lifecycle */

int simc_init(struct sim_cluster *c)
{
	struct sim_world *w = c->world;
	struct simc_state *cs = calloc(1, sizeof *cs);

	if (!cs)
		return -1;
	c->consul = cs;
	cs->index = 10;
	sim_uuid(w, cs->node_id);
	snprintf(cs->revision, sizeof cs->revision, "%08" PRIx64, sim_rand(w) & 0xffffffffu);
	cs->connect_ca = sim_tls_connect_ca(c->trust_domain);
	if (!cs->connect_ca || simc_acl_init(c) < 0 || simc_catalog_init(c) < 0) {
		simc_free(c);
		return -1;
	}
	cs->peerings_idx = cs->acl_idx = cs->index;
	for (int i = 0; i < SIMC_NKINDS; i++)
		cs->config_idx[i] = cs->index;
	simc_partitions_sync(c);
	return 0;
}

void simc_free(struct sim_cluster *c)
{
	struct simc_state *cs = c->consul;

	if (!cs)
		return;
	simc_peering_free_all(cs);
	simc_config_free_all(cs);
	simc_catalog_free(cs);
	free(cs->connect_ca);
	free(cs);
	c->consul = NULL;
}

const char *simc_controller_token(const struct sim_cluster *c)
{
	return simc_token(c, "connect-injector");
}

int64_t simc_tick(struct sim_cluster *c, int64_t now)
{
	if (!c->consul)
		return INT64_MAX;
	return simc_stream_tick(c, now);
}

void simc_set_running(struct sim_cluster *c, bool running, bool refuse)
{
	int64_t now = sim_now_ms(c->world);
	bool was_hung = c->hung;

	c->running = running;
	c->hung = !running && !refuse;
	sim_event(c->world, c, "%s", running ? "started" : refuse ? "stopped" : "network gone");
	if (running)
		simc_stream_started(c, was_hung, now);
	else
		simc_stream_stopped(c, refuse, now);
	sim_changed(c->world);
}

static uint64_t max_u64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

void simc_restart(struct sim_cluster *c)
{
	struct simc_state *cs = c->consul;
	uint64_t cat = 5, peer = 5, acl = 5, cfg[SIMC_NKINDS];

	/* Consul restores its snapshot: every object keeps its indexes, and each
	 * table's index is the highest among its objects, as the snapshot has
	 * it. What was written since without leaving an object behind (a
	 * deregistration, a replicated change) is forgotten, so clients see
	 * X-Consul-Index go backwards (client.md). */
	for (int i = 0; i < SIMC_NKINDS; i++)
		cfg[i] = 5;
	for (int i = 0; i < cs->nsvcs; i++) {
		struct simc_service *s = &cs->svcs[i];
		cat = max_u64(cat, s->modify_index);
		for (int k = 0; k < s->ninst; k++)
			cat = max_u64(cat, s->inst[k].modify_index);
	}
	for (int i = 0; i < cs->npeerings; i++)
		peer = max_u64(peer, cs->peerings[i]->modify_index);
	for (int i = 0; i < cs->ncfg; i++) {
		int k = simc_config_kind(cs->cfg[i].kind);
		if (k >= 0)
			cfg[k] = max_u64(cfg[k], cs->cfg[i].modify_index);
	}
	for (int i = 0; i < cs->ntokens; i++)
		acl = max_u64(acl, cs->tokens[i].create_index);
	cs->catalog_idx = cat;
	cs->svc_gone_idx = 0; /* a deregistration leaves nothing behind */
	cs->peerings_idx = peer;
	cs->acl_idx = acl;
	cs->index = max_u64(max_u64(cat, peer), acl);
	for (int i = 0; i < SIMC_NKINDS; i++) {
		cs->config_idx[i] = cfg[i];
		cs->index = max_u64(cs->index, cfg[i]);
	}
	cs->abandon++; /* Consul closes the state store's abandon channel */
	/* Until it has elected itself again it knows no leader. */
	cs->leader_due_ms = sim_now_ms(c->world) + sim_scaled_ms(c->world, SIMC_ELECT_MS);
	/* A new process: its stream tracker is empty, its peers' streams drop. */
	simc_stream_restarted(c, sim_now_ms(c->world));
	sim_event(c->world, c, "Consul restarted from its snapshot (raft index %" PRIu64 ")",
	          cs->index);
	sim_changed(c->world);
}

void simc_install_changed(struct sim_cluster *c)
{
	simc_partitions_sync(c);
	simc_gateways_sync(c);
	simc_stream_recheck(c->world);
	sim_changed(c->world);
}

/* Peerings for --scale peerings=M: spread over every pair of clusters,
 * each cluster ending with M, all connected from the start. */
void simc_world_ready(struct sim_world *w)
{
	int n = w->nclusters, m = w->opt.scale_peerings;
	int count[SIM_MAX_CLUSTERS] = {0};
	int pair_seq[SIM_MAX_CLUSTERS][SIM_MAX_CLUSTERS] = {{0}};

	if (n < 2 || m <= 0)
		return;
	for (long k = 0; k < (long)n * m * 4; k++) {
		int a = (int)(k % n);
		int b = (int)((a + 1 + (k / n) % (n - 1)) % n);
		if (count[a] >= m || count[b] >= m)
			continue;
		int lo = a < b ? a : b, hi = a < b ? b : a;
		int seq = ++pair_seq[lo][hi];
		char na[SIMC_NAME_MAX], nb[SIMC_NAME_MAX];
		snprintf(na, sizeof na, "%s-p%03d", w->clusters[b].name, seq);
		snprintf(nb, sizeof nb, "%s-p%03d", w->clusters[a].name, seq);
		if (simc_peering_make(&w->clusters[a], "", na, &w->clusters[b], "", nb, true) < 0)
			break;
		count[a]++;
		count[b]++;
	}
	/* Each cluster exports its first scale services to all its peers. */
	for (int i = 0; i < n && w->opt.scale_services > 0; i++) {
		struct sim_cluster *c = &w->clusters[i];
		cJSON *e = cJSON_CreateObject(),
		      *svcs = e ? cJSON_AddArrayToObject(e, "Services") : NULL;
		if (!svcs) {
			cJSON_Delete(e);
			continue;
		}
		cJSON_AddStringToObject(e, "Kind", "exported-services");
		cJSON_AddStringToObject(e, "Name", "default");
		int nexp = w->opt.scale_services < 10 ? w->opt.scale_services : 10;
		for (int s = 1; s <= nexp; s++) {
			char name[32];
			snprintf(name, sizeof name, "svc-%04d", s);
			cJSON *so = cJSON_CreateObject(), *cons = cJSON_CreateArray();
			if (!so || !cons) {
				cJSON_Delete(so);
				cJSON_Delete(cons);
				break;
			}
			cJSON_AddItemToArray(svcs, so);
			cJSON_AddStringToObject(so, "Name", name);
			cJSON_AddItemToObject(so, "Consumers", cons);
			for (int p = 0; p < c->consul->npeerings; p++) {
				cJSON *co = cJSON_CreateObject();
				if (!co)
					break;
				cJSON_AddStringToObject(co, "Peer", c->consul->peerings[p]->name);
				cJSON_AddItemToArray(cons, co);
			}
		}
		simc_config_put(c, e);
	}
}
