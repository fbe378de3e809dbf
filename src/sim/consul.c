/* peerscope-sim, Consul half: routing, common headers, blocking queries,
 * the agent and status endpoints, and the cluster's lifecycle. */
#include "autoconfig.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "consul.h"

#define WAIT_DEFAULT_MS (5 * 60 * 1000)
#define WAIT_MAX_MS     (10 * 60 * 1000)

/* ---------------------------------------------------------- helpers */

uint64_t cs_write(struct sim_consul *cs)
{
	return ++cs->index;
}

void cs_json(struct sim_resp *resp, int status, cJSON *item)
{
	char *s = item ? cJSON_PrintUnformatted(item) : NULL;

	cJSON_Delete(item);
	sim_resp_json(resp, status, s);
}

bool cs_version_at_least(const struct sim_cluster *c, int major, int minor)
{
	int ma = 0, mi = 0;

	if (sscanf(c->install.consul_version, "%d.%d", &ma, &mi) < 2)
		return true;
	return ma > major || (ma == major && mi >= minor);
}

void cs_body_error(const char *body, char *buf, size_t len)
{
	const char *p = body;

	while (*p && isspace((unsigned char)*p))
		p++;
	if (!*p) {
		snprintf(buf, len, "EOF");
		return;
	}
	const char *at = cJSON_GetErrorPtr();
	if (at && *at)
		snprintf(buf, len, "invalid character '%c' looking for beginning of value", *at);
	else
		snprintf(buf, len, "unexpected end of JSON input");
}

void cs_set_read_headers(struct sim_cluster *c, const struct cs_auth *a, struct sim_resp *resp,
                         uint64_t index)
{
	sim_resp_header(resp, "X-Consul-Index", "%" PRIu64, index ? index : 1);
	sim_resp_header(resp, "X-Consul-KnownLeader", cs_has_leader(c) ? "true" : "false");
	sim_resp_header(resp, "X-Consul-LastContact", "0");
	sim_resp_header(resp, "X-Consul-Effective-Consistency", "leader");
	sim_resp_header(resp, "X-Consul-Query-Backend", "blocking-query");
	if (a->enabled)
		sim_resp_header(resp, "X-Consul-Default-ACL-Policy", "deny");
	else
		sim_resp_header(resp, "X-Consul-Default-ACL-Policy", "allow");
	if (a->filtered && a->sent)
		sim_resp_header(resp, "X-Consul-Results-Filtered-By-ACLs", "true");
}

/* ?index and ?wait (API.md §5): 0 with the values, -1 with a 400 in RESP. */
static int parse_blocking(const struct sim_req *req, struct sim_resp *resp, uint64_t *index,
                          int64_t *wait_ms)
{
	const char *iv = sim_req_arg(req, "index", NULL), *wv = sim_req_arg(req, "wait", NULL);

	*index = 0;
	*wait_ms = WAIT_DEFAULT_MS;
	if (wv) {
		*wait_ms = sim_parse_duration_ms(wv);
		if (*wait_ms < 0) {
			sim_resp_text(resp, 400, "Invalid wait time");
			return -1;
		}
		if (*wait_ms > WAIT_MAX_MS)
			*wait_ms = WAIT_MAX_MS;
	}
	if (iv) {
		char *end;
		if (!*iv || !isdigit((unsigned char)*iv)) {
			sim_resp_text(resp, 400, "Invalid index");
			return -1;
		}
		*index = strtoull(iv, &end, 10);
		if (*end) {
			sim_resp_text(resp, 400, "Invalid index");
			return -1;
		}
	}
	return 0;
}

void cs_blocking(struct sim_cluster *c, const struct sim_req *req, struct cs_auth *a,
                 struct sim_resp *resp, cs_index_fn index_fn, cs_render_fn render, const char *arg)
{
	struct sim_world *w = c->world;
	uint64_t min_index;
	int64_t wait_ms;

	if (parse_blocking(req, resp, &min_index, &wait_ms) < 0)
		return;
	pthread_mutex_lock(&w->lock);
	if (min_index > 0) {
		/* Up to wait/16 of jitter spreads out clients that all time out
		 * together, as Consul does. */
		int64_t jitter =
		        wait_ms >= 16 ? (int64_t)(sim_rand(w) % (uint64_t)(wait_ms / 16)) : 0;
		int64_t deadline = sim_mono_ms() + wait_ms + jitter;
		uint64_t abandon = c->consul->abandon;
		while (index_fn(c, req, arg) <= min_index && !w->stopping && c->running &&
		       c->consul->abandon == abandon && !(req->client_gone && *req->client_gone)) {
			if (!sim_wait(w, deadline) && sim_mono_ms() >= deadline)
				break;
		}
	}
	uint64_t idx = index_fn(c, req, arg);
	render(c, req, a, resp, arg);
	/* Consul sets the query meta before it reports "not found", so a
	 * client can block on an entry that does not exist yet. */
	if (resp->status == 200 || resp->status == 404)
		cs_set_read_headers(c, a, resp, idx);
	pthread_mutex_unlock(&w->lock);
}

/* ---------------------------------------------------- agent / status */

static void server_addr(const struct sim_cluster *c, char *buf, size_t len)
{
	snprintf(buf, len, "10.%d.0.10", 100 + c->index);
}

static cJSON *agent_config(const struct sim_cluster *c)
{
	cJSON *o = cJSON_CreateObject();
	char build[40];

	if (!o)
		return NULL;
	sim_format_time(1700000000000LL, build, sizeof build);
	cJSON_AddStringToObject(o, "Datacenter", c->install.datacenter);
	cJSON_AddStringToObject(o, "PrimaryDatacenter", c->install.datacenter);
	cJSON_AddStringToObject(o, "NodeName", c->consul->nodes[0].name);
	cJSON_AddStringToObject(o, "NodeID", c->consul->node_id);
	cJSON_AddStringToObject(o, "Revision", c->consul->revision);
	cJSON_AddBoolToObject(o, "Server", true);
	cJSON_AddStringToObject(o, "Version", c->install.consul_version);
	cJSON_AddStringToObject(o, "BuildDate", build);
	return o;
}

static void agent_self(struct sim_cluster *c, const struct sim_req *req, struct cs_auth *a,
                       struct sim_resp *resp)
{
	struct sim_consul *cs = c->consul;
	char addr[32];

	if (!cs_allowed(a, "agent", cs->nodes[0].name, CS_READ)) {
		cs_denied(resp, a, "agent", cs->nodes[0].name, CS_READ);
		return;
	}
	server_addr(c, addr, sizeof addr);
	cJSON *o = cJSON_CreateObject();
	cJSON *cfg = agent_config(c);
	if (!o || !cfg) {
		cJSON_Delete(o);
		cJSON_Delete(cfg);
		sim_resp_text(resp, 500, "out of memory");
		return;
	}
	cJSON_AddItemToObject(o, "Config", cfg);
	cJSON *dbg = cJSON_AddObjectToObject(o, "DebugConfig");
	if (dbg) {
		cJSON_AddStringToObject(dbg, "Datacenter", c->install.datacenter);
		cJSON_AddBoolToObject(dbg, "ACLsEnabled", c->install.acls_enabled);
		cJSON_AddBoolToObject(dbg, "ConnectEnabled", c->install.connect_inject_enabled);
		cJSON_AddBoolToObject(dbg, "PeeringEnabled", c->install.peering_enabled);
		cJSON_AddNumberToObject(dbg, "GRPCTLSPort", c->install.tls_enabled ? 8502 : -1);
		cJSON_AddNumberToObject(dbg, "HTTPSPort", c->install.tls_enabled ? 8501 : -1);
	}
	cJSON *coord = cJSON_AddObjectToObject(o, "Coord");
	if (coord) {
		cJSON_AddNumberToObject(coord, "Adjustment", 0);
		cJSON_AddNumberToObject(coord, "Error", 1.5);
		cJSON_AddNumberToObject(coord, "Height", 1e-05);
	}
	cJSON *m = cJSON_AddObjectToObject(o, "Member");
	if (m) {
		cJSON_AddStringToObject(m, "Name", cs->nodes[0].name);
		cJSON_AddStringToObject(m, "Addr", addr);
		cJSON_AddNumberToObject(m, "Port", 8301);
		cJSON *tags = cJSON_AddObjectToObject(m, "Tags");
		if (tags) {
			cJSON_AddStringToObject(tags, "dc", c->install.datacenter);
			cJSON_AddStringToObject(tags, "role", "consul");
			cJSON_AddStringToObject(tags, "build", c->install.consul_version);
			cJSON_AddStringToObject(tags, "id", cs->node_id);
		}
		cJSON_AddNumberToObject(m, "Status", 1);
	}
	cJSON *stats = cJSON_AddObjectToObject(o, "Stats");
	cJSON *consul = stats ? cJSON_AddObjectToObject(stats, "consul") : NULL;
	if (consul) {
		cJSON_AddStringToObject(consul, "leader", "true");
		cJSON_AddStringToObject(consul, "server", "true");
		cJSON_AddStringToObject(consul, "known_datacenters", "1");
	}
	cJSON *meta = cJSON_AddObjectToObject(o, "Meta");
	if (meta)
		cJSON_AddStringToObject(meta, "consul-network-segment", "");
	cJSON *xds = cJSON_AddObjectToObject(o, "xDS");
	if (xds) {
		cJSON *sp = cJSON_AddObjectToObject(xds, "SupportedProxies");
		const char *env[] = {"1.28.1", "1.27.3", "1.26.7", "1.25.11"};
		if (sp)
			cJSON_AddItemToObject(sp, "envoy", cJSON_CreateStringArray(env, 4));
		cJSON_AddNumberToObject(xds, "Port", 8502);
		cJSON *ports = cJSON_AddObjectToObject(xds, "Ports");
		if (ports) {
			cJSON_AddNumberToObject(ports, "Plaintext", -1);
			cJSON_AddNumberToObject(ports, "TLS", 8502);
		}
	}
	cs_json(resp, 200, o);
}

static void agent_version(struct sim_cluster *c, struct sim_resp *resp)
{
	cJSON *o = cJSON_CreateObject();
	char build[40];

	sim_format_time(1700000000000LL, build, sizeof build);
	if (o) {
		cJSON_AddStringToObject(o, "SHA", c->consul->revision);
		cJSON_AddStringToObject(o, "BuildDate", build);
		cJSON_AddStringToObject(o, "HumanVersion", c->install.consul_version);
		cJSON_AddBoolToObject(o, "FIPS", false);
	}
	cs_json(resp, 200, o);
}

static void status_leader(struct sim_cluster *c, struct sim_resp *resp, bool peers)
{
	char addr[40], port[48];

	server_addr(c, addr, sizeof addr);
	snprintf(port, sizeof port, "%s:8300", addr);
	if (peers) {
		const char *one[] = {port};
		cs_json(resp, 200, cJSON_CreateStringArray(one, 1));
		return;
	}
	cs_json(resp, 200, cJSON_CreateString(cs_has_leader(c) ? port : ""));
}

bool cs_has_leader(const struct sim_cluster *c)
{
	return sim_now_ms(c->world) >= c->consul->leader_due_ms;
}

/* ------------------------------------------------------------ routing */

struct route {
	const char *path; /* "/v1/peering/" with a trailing slash: a prefix */
	const char *allow;
};

static const struct route routes[] = {
        {"/v1/agent/self", "GET"},
        {"/v1/agent/version", "GET"},
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

/* Checks every request gets before routing: CE-only arguments. */
static int common_checks(const struct sim_req *req, struct sim_resp *resp)
{
	const char *part = sim_req_arg(req, "partition", NULL);
	const char *hpart = sim_req_header(req, "X-Consul-Partition");
	bool stale, consistent;

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

static void simple_get(struct sim_cluster *c, const struct sim_req *req, struct cs_auth *a,
                       struct sim_resp *resp)
{
	const char *p = req->path;

	if (!strcmp(p, "/v1/agent/self"))
		agent_self(c, req, a, resp);
	else if (!strcmp(p, "/v1/agent/version"))
		agent_version(c, resp);
	else if (!strcmp(p, "/v1/status/leader"))
		status_leader(c, resp, false);
	else if (!strcmp(p, "/v1/status/peers"))
		status_leader(c, resp, true);
	else {
		const char *one[] = {c->install.datacenter};
		cs_json(resp, 200, cJSON_CreateStringArray(one, 1));
	}
}

/* Endpoints newer servers only have: /v1/exported-services from Consul 1.17
 * (documented), /v1/imported-services from 1.21 (the simulator's choice). */
static bool version_serves(const struct sim_cluster *c, const char *path)
{
	if (!strcmp(path, "/v1/exported-services"))
		return cs_version_at_least(c, 1, 17);
	if (!strcmp(path, "/v1/imported-services"))
		return cs_version_at_least(c, 1, 21);
	return true;
}

static void dispatch(struct sim_cluster *c, const struct sim_req *req, struct sim_resp *resp)
{
	struct sim_world *w = c->world;
	struct cs_auth a;
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
	if (common_checks(req, resp) < 0)
		return;
	pthread_mutex_lock(&w->lock);
	int rc = cs_auth(c, req, &a, resp);
	pthread_mutex_unlock(&w->lock);
	if (rc < 0)
		return;
	const char *p = req->path;
	if (!strncmp(p, "/v1/peering", 11)) {
		cs_peering_route(c, req, &a, resp, p);
	} else if (!strncmp(p, "/v1/config", 10)) {
		cs_config_route(c, req, &a, resp, p);
	} else if (!strncmp(p, "/v1/acl/", 8) || !strncmp(p, "/v1/internal/acl/", 17)) {
		cs_acl_route(c, req, &a, resp, p);
	} else if (!strncmp(p, "/v1/catalog/s", 13) || !strncmp(p, "/v1/health/", 11) ||
	           !strncmp(p, "/v1/internal/ui/", 16) || !strcmp(p, "/v1/exported-services") ||
	           !strcmp(p, "/v1/imported-services")) {
		cs_catalog_route(c, req, &a, resp, p);
	} else {
		pthread_mutex_lock(&w->lock);
		simple_get(c, req, &a, resp);
		pthread_mutex_unlock(&w->lock);
	}
}

void sim_consul_handle(struct sim_cluster *c, const struct sim_req *req, struct sim_resp *resp)
{
	resp->status = 200;
	dispatch(c, req, resp);
}

int sim_consul_call(struct sim_cluster *c, const char *method, const char *path_and_query,
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
	sim_consul_handle(c, &req, &resp);
	int status = resp.status;
	*resp_body = resp.body ? resp.body : strdup("");
	resp.body = NULL;
	sim_resp_free(&resp);
	free(copy);
	return status;
}

/* ---------------------------------------------------------- lifecycle */

int sim_consul_init(struct sim_cluster *c)
{
	struct sim_world *w = c->world;
	struct sim_consul *cs = calloc(1, sizeof *cs);

	if (!cs)
		return -1;
	c->consul = cs;
	cs->index = 10;
	sim_uuid(w, cs->node_id);
	snprintf(cs->revision, sizeof cs->revision, "%08" PRIx64, sim_rand(w) & 0xffffffffu);
	cs->connect_ca = sim_tls_connect_ca(c->trust_domain);
	if (!cs->connect_ca || cs_acl_init(c) < 0 || cs_catalog_init(c) < 0) {
		sim_consul_free(c);
		return -1;
	}
	cs->peerings_idx = cs->acl_idx = cs->index;
	for (int i = 0; i < CS_NKINDS; i++)
		cs->config_idx[i] = cs->index;
	return 0;
}

void sim_consul_free(struct sim_cluster *c)
{
	struct sim_consul *cs = c->consul;

	if (!cs)
		return;
	cs_peering_free_all(cs);
	cs_config_free_all(cs);
	cs_catalog_free(cs);
	free(cs->connect_ca);
	free(cs);
	c->consul = NULL;
}

const char *sim_consul_controller_token(const struct sim_cluster *c)
{
	return sim_consul_token(c, "connect-injector");
}

int64_t sim_consul_tick(struct sim_cluster *c, int64_t now)
{
	if (!c->consul)
		return INT64_MAX;
	return cs_peering_tick(c, now);
}

void sim_consul_set_running(struct sim_cluster *c, bool running)
{
	c->running = running;
	sim_event(c->world, c, "%s", running ? "started" : "stopped");
	cs_peering_recheck(c->world);
	sim_changed(c->world);
}

void sim_consul_restart(struct sim_cluster *c)
{
	struct sim_consul *cs = c->consul;

	/* A restore from an old snapshot: the raft index starts over low, so
	 * clients see X-Consul-Index go backwards (API.md §5 rule 1). */
	cs->index = 5;
	cs->abandon++; /* Consul closes the state store's abandon channel */
	/* Until it has elected itself again it knows no leader. */
	cs->leader_due_ms = sim_now_ms(c->world) + sim_scaled_ms(c->world, CS_ELECT_MS);
	cs->peerings_idx = cs->catalog_idx = cs->acl_idx = cs->index;
	for (int i = 0; i < CS_NKINDS; i++)
		cs->config_idx[i] = cs->index;
	for (int i = 0; i < cs->nsvcs; i++) {
		struct cs_service *s = &cs->svcs[i];
		s->create_index = s->modify_index = cs->index;
		for (int k = 0; k < s->ninst; k++)
			s->inst[k].create_index = s->inst[k].modify_index = cs->index;
	}
	for (int i = 0; i < cs->npeerings; i++)
		cs->peerings[i]->create_index = cs->peerings[i]->modify_index = cs->index;
	for (int i = 0; i < cs->ncfg; i++)
		cs->cfg[i].create_index = cs->cfg[i].modify_index = cs->index;
	/* Its peering streams drop and come back once it is up again. */
	for (int i = 0; i < cs->npeerings; i++) {
		struct cs_peering *p = cs->peerings[i];
		struct sim_cluster *oc;
		struct cs_peering *o = cs_peering_other(c, p, &oc);
		if (!p->connected)
			continue;
		int64_t now = sim_now_ms(c->world);
		p->connected = false;
		p->disconnected_ms = now;
		snprintf(p->disconnect_err, sizeof p->disconnect_err,
		         "stream ended unexpectedly: server restarted");
		p->connect_due_ms = now + sim_scaled_ms(c->world, CS_CONNECT_MS);
		if (o && o->connected) {
			o->connected = false;
			o->disconnected_ms = now;
			snprintf(o->disconnect_err, sizeof o->disconnect_err,
			         "stream ended unexpectedly: peer server restarted");
			o->connect_due_ms = p->connect_due_ms;
		}
	}
	sim_event(c->world, c, "Consul restarted with its raft index reset to %" PRIu64, cs->index);
	sim_changed(c->world);
}

void sim_consul_install_changed(struct sim_cluster *c)
{
	cs_gateways_sync(c);
	cs_peering_recheck(c->world);
	sim_changed(c->world);
}

/* Peerings for --scale peerings=M: spread over every pair of clusters,
 * each cluster ending with M, all connected from the start. */
void sim_consul_world_ready(struct sim_world *w)
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
		char na[CS_NAME_MAX], nb[CS_NAME_MAX];
		snprintf(na, sizeof na, "%s-p%03d", w->clusters[b].name, seq);
		snprintf(nb, sizeof nb, "%s-p%03d", w->clusters[a].name, seq);
		if (cs_peering_make(&w->clusters[a], na, &w->clusters[b], nb, true) < 0)
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
		cs_config_put(c, e);
	}
}
