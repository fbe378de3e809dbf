/* peerscope-sim, Consul half: the agent and status endpoints. */
#include "autoconfig.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "simc.h"

/* The version with its metadata: "1.18.2+ent" on Enterprise
 * (version/version.go GetHumanVersion, VersionWithMetadata). */
static void human_version(const struct sim_cluster *c, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s", c->install.consul_version, c->install.enterprise ? "+ent" : "");
}

static cJSON *agent_config(const struct sim_cluster *c)
{
	cJSON *o = cJSON_CreateObject();
	char build[40], ver[48];

	if (!o)
		return NULL;
	sim_format_time(1700000000000LL, build, sizeof build);
	human_version(c, ver, sizeof ver);
	cJSON_AddStringToObject(o, "Datacenter", c->install.datacenter);
	cJSON_AddStringToObject(o, "PrimaryDatacenter", c->install.datacenter);
	cJSON_AddStringToObject(o, "NodeName", c->consul->nodes[0].name);
	cJSON_AddStringToObject(o, "NodeID", c->consul->node_id);
	/* agent/agent_endpoint.go AgentSelf: Partition, omitted on CE. */
	if (c->install.enterprise)
		cJSON_AddStringToObject(o, "Partition", "default");
	cJSON_AddStringToObject(o, "Revision", c->consul->revision);
	cJSON_AddBoolToObject(o, "Server", true);
	cJSON_AddStringToObject(o, "Version", ver);
	cJSON_AddStringToObject(o, "BuildDate", build);
	return o;
}

/* The server's serf member, as /v1/agent/self's Member and /v1/agent/members
 * show it (consul agent/consul/server_serf.go setupSerf: Tags.role "consul",
 * Tags.build "<version>:<revision>" from agent/agent.go newConsulConfig). */
static cJSON *member_json(const struct sim_cluster *c, const char *addr)
{
	const struct simc_state *cs = c->consul;
	cJSON *m = cJSON_CreateObject(), *tags;
	char build[80];

	if (!m)
		return NULL;
	snprintf(build, sizeof build, "%s:%.8s", c->install.consul_version, cs->revision);
	cJSON_AddStringToObject(m, "Name", cs->nodes[0].name);
	cJSON_AddStringToObject(m, "Addr", addr);
	cJSON_AddNumberToObject(m, "Port", 8301);
	tags = cJSON_AddObjectToObject(m, "Tags");
	if (tags) {
		cJSON_AddStringToObject(tags, "acls", c->install.acls_enabled ? "1" : "0");
		cJSON_AddStringToObject(tags, "build", build);
		cJSON_AddStringToObject(tags, "dc", c->install.datacenter);
		cJSON_AddStringToObject(tags, "id", cs->node_id);
		cJSON_AddStringToObject(tags, "port", "8300");
		cJSON_AddStringToObject(tags, "role", "consul");
		cJSON_AddStringToObject(tags, "vsn", "2");
	}
	cJSON_AddNumberToObject(m, "Status", 1);
	cJSON_AddNumberToObject(m, "ProtocolMin", 1);
	cJSON_AddNumberToObject(m, "ProtocolMax", 5);
	cJSON_AddNumberToObject(m, "ProtocolCur", 2);
	cJSON_AddNumberToObject(m, "DelegateMin", 2);
	cJSON_AddNumberToObject(m, "DelegateMax", 5);
	cJSON_AddNumberToObject(m, "DelegateCur", 4);
	return m;
}

/* GET /v1/agent/members: the LAN members, here the server (consul-k8s 1.x
 * runs no client agents). A member whose node the token may not read is
 * left out, silently (consul agent/acl.go filterMembers: node:read). */
static void agent_members(struct sim_cluster *c, struct simc_auth *a, struct sim_resp *resp)
{
	cJSON *arr = cJSON_CreateArray(), *m;
	char addr[32];

	simc_server_addr(c, addr, sizeof addr);
	if (arr && simc_allowed(a, "node", c->consul->nodes[0].name, SIMC_READ) &&
	    (m = member_json(c, addr)))
		cJSON_AddItemToArray(arr, m);
	simc_json(resp, 200, arr);
}

static void agent_self(struct sim_cluster *c, const struct sim_req *req, struct simc_auth *a,
                       struct sim_resp *resp)
{
	struct simc_state *cs = c->consul;
	char addr[32];

	if (!simc_allowed(a, "agent", cs->nodes[0].name, SIMC_READ)) {
		simc_denied(resp, a, "agent", cs->nodes[0].name, SIMC_READ);
		return;
	}
	simc_server_addr(c, addr, sizeof addr);
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
	cJSON *m = member_json(c, addr);
	if (m)
		cJSON_AddItemToObject(o, "Member", m);
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
	simc_json(resp, 200, o);
}

static void agent_version(struct sim_cluster *c, struct sim_resp *resp)
{
	cJSON *o = cJSON_CreateObject();
	char build[40], ver[48];

	sim_format_time(1700000000000LL, build, sizeof build);
	human_version(c, ver, sizeof ver);
	if (o) {
		cJSON_AddStringToObject(o, "SHA", c->consul->revision);
		cJSON_AddStringToObject(o, "BuildDate", build);
		cJSON_AddStringToObject(o, "HumanVersion", ver);
		cJSON_AddBoolToObject(o, "FIPS", false);
	}
	simc_json(resp, 200, o);
}

static void status_leader(struct sim_cluster *c, struct sim_resp *resp, bool peers)
{
	char addr[40], port[48];

	simc_server_addr(c, addr, sizeof addr);
	snprintf(port, sizeof port, "%s:8300", addr);
	if (peers) {
		const char *one[] = {port};
		simc_json(resp, 200, cJSON_CreateStringArray(one, 1));
		return;
	}
	simc_json(resp, 200, cJSON_CreateString(simc_has_leader(c) ? port : ""));
}

void simc_agent_route(struct sim_cluster *c, const struct sim_req *req, struct simc_auth *a,
                      struct sim_resp *resp)
{
	const char *p = req->path;

	if (!strcmp(p, "/v1/agent/self"))
		agent_self(c, req, a, resp);
	else if (!strcmp(p, "/v1/agent/version"))
		agent_version(c, resp);
	else if (!strcmp(p, "/v1/agent/members"))
		agent_members(c, a, resp);
	else if (!strcmp(p, "/v1/status/leader"))
		status_leader(c, resp, false);
	else if (!strcmp(p, "/v1/status/peers"))
		status_leader(c, resp, true);
	else {
		const char *one[] = {c->install.datacenter};
		simc_json(resp, 200, cJSON_CreateStringArray(one, 1));
	}
}
