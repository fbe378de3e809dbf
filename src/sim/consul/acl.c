/* peerscope-sim, Consul half: ACL tokens, their rules, and the ACL
 * endpoints (API.md §4). The default policy is deny; tokens are made at
 * start from the seeded RNG and written to the state directory. */
#include "autoconfig.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "simc.h"

#define MGMT_POLICY_ID "00000000-0000-0000-0000-000000000001"
#define ANON_ACCESSOR  "00000000-0000-0000-0000-000000000002"

static struct simc_token *add_token(struct sim_cluster *c, const char *role, const char *desc,
                                    const char *policy)
{
	struct simc_state *cs = c->consul;

	if (cs->ntokens == SIMC_MAX_TOKENS)
		return NULL;
	struct simc_token *t = &cs->tokens[cs->ntokens++];
	memset(t, 0, sizeof *t);
	snprintf(t->role, sizeof t->role, "%s", role);
	sim_uuid(c->world, t->accessor);
	sim_uuid(c->world, t->secret);
	snprintf(t->description, sizeof t->description, "%s", desc);
	snprintf(t->policy_name, sizeof t->policy_name, "%s", policy);
	sim_uuid(c->world, t->policy_id);
	t->create_index = cs->index;
	return t;
}

static void svc_rule(struct simc_token *t, const char *name, enum simc_level l)
{
	if (t->rules.nsvc < 2) {
		snprintf(t->rules.svc[t->rules.nsvc].name, SIMC_NAME_MAX, "%s", name);
		t->rules.svc[t->rules.nsvc++].level = l;
	}
}

int simc_acl_init(struct sim_cluster *c)
{
	struct simc_token *t;

	if (!(t = add_token(c, "management", "Bootstrap Token (Global Management)",
	                    "global-management")))
		return -1;
	snprintf(t->policy_id, sizeof t->policy_id, MGMT_POLICY_ID);
	t->rules.management = true;

	if (!(t = add_token(c, "dashboard-readonly", "peerscope dashboard (read-only)",
	                    "peerscope-readonly")))
		return -1;
	t->rules.peering = t->rules.mesh = SIMC_READ;
	t->rules.service_prefix = t->rules.node_prefix = t->rules.agent_prefix = SIMC_READ;

	if (!(t = add_token(c, "dashboard", "peerscope dashboard (actions)", "peerscope-actions")))
		return -1;
	t->rules.peering = t->rules.mesh = SIMC_WRITE;
	t->rules.service_prefix = SIMC_WRITE;
	t->rules.node_prefix = t->rules.agent_prefix = SIMC_READ;

	/* Exactly the specification's rules for mesh gateways. */
	if (!(t = add_token(c, "gateway", "mesh gateway (specification rules)",
	                    "mesh-gateway-policy")))
		return -1;
	svc_rule(t, "mesh-gateway", SIMC_WRITE);
	t->rules.service_prefix = SIMC_READ;
	t->rules.mesh = SIMC_WRITE;

	if (!(t = add_token(c, "gateway-no-mesh-write", "mesh gateway without mesh:write",
	                    "mesh-gateway-no-mesh-write")))
		return -1;
	svc_rule(t, "mesh-gateway", SIMC_WRITE);
	t->rules.service_prefix = SIMC_READ;

	if (!(t = add_token(c, "connect-injector", "connect-injector (consul-k8s controllers)",
	                    "connect-inject-policy")))
		return -1;
	t->rules.peering = t->rules.mesh = t->rules.operator_ = t->rules.acl = SIMC_WRITE;
	t->rules.node_prefix = t->rules.service_prefix = SIMC_WRITE;
	return 0;
}

const char *simc_token(const struct sim_cluster *c, const char *role)
{
	if (!c->consul)
		return NULL;
	for (int i = 0; i < c->consul->ntokens; i++)
		if (!strcmp(c->consul->tokens[i].role, role))
			return c->consul->tokens[i].secret;
	return NULL;
}

/* Lookup order of API.md §0: ?token, X-Consul-Token, Authorization: Bearer. */
static const char *request_token(const struct sim_req *req)
{
	const char *t = sim_req_arg(req, "token", NULL);

	if (t && *t)
		return t;
	t = sim_req_header(req, "X-Consul-Token");
	if (t && *t)
		return t;
	t = sim_req_header(req, "Authorization");
	if (t && !strncmp(t, "Bearer ", 7) && t[7])
		return t + 7;
	return NULL;
}

int simc_auth(struct sim_cluster *c, const struct sim_req *req, struct simc_auth *a,
              struct sim_resp *resp)
{
	const char *secret = request_token(req);

	/* The partition (set by the router) stays. */
	a->tok = NULL;
	a->filtered = false;
	a->error[0] = '\0';
	a->enabled = c->install.acls_enabled;
	a->sent = secret != NULL;
	if (!secret || !strcmp(secret, "anonymous"))
		return 0;
	for (int i = 0; i < c->consul->ntokens; i++) {
		if (!strcmp(c->consul->tokens[i].secret, secret)) {
			a->tok = &c->consul->tokens[i];
			return 0;
		}
	}
	if (!a->enabled)
		return 0;
	sim_resp_text(resp, 403, "ACL not found");
	return -1;
}

static enum simc_level level_of(const struct simc_rules *r, const char *resource,
                                const char *segment)
{
	if (!strcmp(resource, "peering"))
		return r->peering;
	if (!strcmp(resource, "mesh"))
		return r->mesh;
	if (!strcmp(resource, "operator"))
		return r->operator_;
	if (!strcmp(resource, "acl"))
		return r->acl;
	if (!strcmp(resource, "agent"))
		return r->agent_prefix;
	if (!strcmp(resource, "node"))
		return r->node_prefix;
	if (!strcmp(resource, "service")) {
		/* An exact rule wins over the prefix rule. */
		for (int i = 0; segment && i < r->nsvc; i++)
			if (!strcmp(r->svc[i].name, segment))
				return r->svc[i].level;
		return r->service_prefix;
	}
	return SIMC_DENY;
}

bool simc_allowed(const struct simc_auth *a, const char *resource, const char *segment,
                  enum simc_level need)
{
	if (!a->enabled)
		return true;
	if (!a->tok)
		return false;
	if (a->tok->rules.management)
		return true;
	return level_of(&a->tok->rules, resource, segment) >= need;
}

void simc_denied(struct sim_resp *resp, const struct simc_auth *a, const char *resource,
                 const char *segment, enum simc_level need)
{
	const char *lvl = need == SIMC_WRITE ? "write" : "read";
	char who[96];

	if (a->tok)
		snprintf(who, sizeof who, "token with AccessorID '%s'", a->tok->accessor);
	else
		snprintf(who, sizeof who, "anonymous token");
	if (segment && *segment)
		sim_resp_text(resp, 403, "Permission denied: %s lacks permission '%s:%s' on \"%s\"",
		              who, resource, lvl, segment);
	else
		sim_resp_text(resp, 403, "Permission denied: %s lacks permission '%s:%s'", who,
		              resource, lvl);
}

static cJSON *token_json(const struct sim_cluster *c, const struct simc_token *t)
{
	cJSON *o = cJSON_CreateObject(), *pols, *p;
	char created[40], hash[64];

	if (!o)
		return NULL;
	sim_format_time(1700000000000LL, created, sizeof created);
	if (t) {
		snprintf(hash, sizeof hash, "%.8s%.8s", t->secret, t->accessor);
		char *h = sim_b64_encode(hash, strlen(hash));
		cJSON_AddStringToObject(o, "AccessorID", t->accessor);
		cJSON_AddStringToObject(o, "SecretID", t->secret);
		cJSON_AddStringToObject(o, "Description", t->description);
		pols = cJSON_AddArrayToObject(o, "Policies");
		if (pols && (p = cJSON_CreateObject())) {
			cJSON_AddStringToObject(p, "ID", t->policy_id);
			cJSON_AddStringToObject(p, "Name", t->policy_name);
			cJSON_AddItemToArray(pols, p);
		}
		cJSON_AddBoolToObject(o, "Local", false);
		cJSON_AddStringToObject(o, "CreateTime", created);
		cJSON_AddStringToObject(o, "Hash", h ? h : "");
		free(h);
		cJSON_AddNumberToObject(o, "CreateIndex", (double)t->create_index);
		cJSON_AddNumberToObject(o, "ModifyIndex", (double)t->create_index);
		return o;
	}
	cJSON_AddStringToObject(o, "AccessorID", ANON_ACCESSOR);
	cJSON_AddStringToObject(o, "SecretID", "anonymous");
	cJSON_AddStringToObject(o, "Description", "Anonymous Token");
	cJSON_AddBoolToObject(o, "Local", false);
	cJSON_AddStringToObject(o, "CreateTime", created);
	cJSON_AddNumberToObject(o, "CreateIndex", 5);
	cJSON_AddNumberToObject(o, "ModifyIndex", 5);
	return o;
}

static void authorize(struct sim_cluster *c, const struct sim_req *req, struct simc_auth *a,
                      struct sim_resp *resp)
{
	static const char *resources[] = {"acl",     "agent",   "event",  "intention", "key",
	                                  "keyring", "mesh",    "node",   "operator",  "peering",
	                                  "query",   "service", "session"};
	char err[128];
	cJSON *arr = cJSON_Parse(req->body);

	if (!arr || !cJSON_IsArray(arr)) {
		simc_body_error(req->body, err, sizeof err);
		sim_resp_text(resp, 400, "Failed to decode request body: %s",
		              arr ? "json: cannot unmarshal object into Go value of type "
		                    "[]structs.ACLAuthorizationRequest"
		                  : err);
		cJSON_Delete(arr);
		return;
	}
	if (cJSON_GetArraySize(arr) > 64) {
		cJSON_Delete(arr);
		sim_resp_text(resp, 400, "Refusing to process more than 64 authorizations at once");
		return;
	}
	cJSON *it;
	int i = 0;
	cJSON_ArrayForEach(it, arr)
	{
		const char *res = cJSON_GetStringValue(cJSON_GetObjectItem(it, "Resource"));
		const char *seg = cJSON_GetStringValue(cJSON_GetObjectItem(it, "Segment"));
		const char *acc = cJSON_GetStringValue(cJSON_GetObjectItem(it, "Access"));
		bool known = false;
		for (size_t k = 0; res && k < sizeof resources / sizeof resources[0]; k++)
			known |= !strcmp(res, resources[k]);
		if (!known) {
			sim_resp_text(resp, 400, "Invalid request %d: Invalid resource: %s", i,
			              res ? res : "");
			cJSON_Delete(arr);
			return;
		}
		if (!acc || (strcmp(acc, "read") && strcmp(acc, "write"))) {
			sim_resp_text(resp, 400, "Invalid request %d: Invalid access level: %s", i,
			              acc ? acc : "");
			cJSON_Delete(arr);
			return;
		}
		enum simc_level need = !strcmp(acc, "write") ? SIMC_WRITE : SIMC_READ;
		cJSON_AddBoolToObject(it, "Allow", simc_allowed(a, res, seg, need));
		i++;
	}
	simc_json(resp, 200, arr);
}

void simc_acl_route(struct sim_cluster *c, const struct sim_req *req, struct simc_auth *a,
                    struct sim_resp *resp, const char *rest)
{
	struct sim_world *w = c->world;

	pthread_mutex_lock(&w->lock);
	if (!a->enabled) {
		sim_resp_text(resp, 401, "ACL support disabled");
	} else if (!strcmp(rest, "/v1/acl/token/self")) {
		simc_json(resp, 200, token_json(c, a->tok));
		if (resp->status == 200)
			simc_set_read_headers(c, a, resp, c->consul->acl_idx);
	} else {
		authorize(c, req, a, resp);
	}
	pthread_mutex_unlock(&w->lock);
}
