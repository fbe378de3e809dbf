/* peerscope-sim, Consul half: config entries (API.md §2) — PUT with cas,
 * GET by kind and name, DELETE, the server-side validation of
 * exported-services, mesh, proxy-defaults and service-defaults, and the
 * mesh gateway mode they imply. */
#include "autoconfig.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "consul.h"

/* Index 0 is exported-services: the UI endpoints watch it. */
static const char *const kinds[CS_NKINDS] = {
        "exported-services",  "mesh",
        "proxy-defaults",     "service-defaults",
        "service-intentions", "service-resolver",
        "service-router",     "service-splitter",
        "ingress-gateway",    "terminating-gateway",
        "sameness-group",     "api-gateway",
};

static int kind_index(const char *k)
{
	for (int i = 0; k && i < CS_NKINDS; i++)
		if (!strcmp(kinds[i], k))
			return i;
	return -1;
}

const struct cs_config *cs_config_find(const struct sim_consul *cs, const char *kind,
                                       const char *name)
{
	for (int i = 0; i < cs->ncfg; i++)
		if (!strcmp(cs->cfg[i].kind, kind) && !strcmp(cs->cfg[i].name, name))
			return &cs->cfg[i];
	return NULL;
}

void cs_config_free_all(struct sim_consul *cs)
{
	for (int i = 0; i < cs->ncfg; i++)
		cJSON_Delete(cs->cfg[i].entry);
	free(cs->cfg);
	cs->cfg = NULL;
	cs->ncfg = 0;
}

bool cs_config_peer_through_gateways(const struct sim_cluster *c)
{
	const struct cs_config *m = cs_config_find(c->consul, "mesh", "mesh");
	const cJSON *p = m ? cJSON_GetObjectItem(m->entry, "Peering") : NULL;

	return cJSON_IsTrue(cJSON_GetObjectItem(p, "PeerThroughMeshGateways"));
}

static const char *mode_of(const cJSON *obj)
{
	return cJSON_GetStringValue(
	        cJSON_GetObjectItem(cJSON_GetObjectItem(obj, "MeshGateway"), "Mode"));
}

const char *cs_config_gateway_mode(struct sim_cluster *c, const char *from, const char *svc,
                                   const char *peer)
{
	const struct cs_config *sd =
	        from ? cs_config_find(c->consul, "service-defaults", from) : NULL;
	const char *m;

	if (sd) {
		const cJSON *uc = cJSON_GetObjectItem(sd->entry, "UpstreamConfig"), *ov;
		cJSON_ArrayForEach(ov, cJSON_GetObjectItem(uc, "Overrides"))
		{
			const char *n = cJSON_GetStringValue(cJSON_GetObjectItem(ov, "Name"));
			const char *p = cJSON_GetStringValue(cJSON_GetObjectItem(ov, "Peer"));
			if (n && p && !strcmp(n, svc) && !strcmp(p, peer) && (m = mode_of(ov)) &&
			    *m)
				return m;
		}
		if ((m = mode_of(cJSON_GetObjectItem(uc, "Defaults"))) && *m)
			return m;
		if ((m = mode_of(sd->entry)) && *m)
			return m;
	}
	const struct cs_config *pd = cs_config_find(c->consul, "proxy-defaults", "global");
	if (pd && (m = mode_of(pd->entry)) && *m)
		return m;
	return "";
}

/* ------------------------------------------------------------ validate */

static int check_mode(const cJSON *obj, char *err, size_t len)
{
	const char *m = mode_of(obj);

	if (m && *m && strcmp(m, "none") && strcmp(m, "local") && strcmp(m, "remote")) {
		snprintf(err, len, "Invalid Mesh Gateway Mode: \"%s\"", m);
		return -1;
	}
	return 0;
}

static const char *str_or_empty(const cJSON *o, const char *key)
{
	const char *s = cJSON_GetStringValue(cJSON_GetObjectItem(o, key));

	return s ? s : "";
}

static int validate_exports(const cJSON *e, char *err, size_t len)
{
	const cJSON *svcs = cJSON_GetObjectItem(e, "Services"), *s;
	int i = 0;

	if (strcmp(str_or_empty(e, "Name"), "default")) {
		snprintf(err, len, "exported-services Name must be \"default\"");
		return -1;
	}
	cJSON_ArrayForEach(s, svcs)
	{
		const char *name = str_or_empty(s, "Name");
		const cJSON *cons = cJSON_GetObjectItem(s, "Consumers"), *co;
		if (!*name) {
			snprintf(err, len, "Services[%d]: service name cannot be empty", i);
			return -1;
		}
		if (!strcmp(str_or_empty(s, "Namespace"), "*") && strcmp(name, "*")) {
			snprintf(err, len,
			         "Services[%d]: service name must be wildcard if namespace is "
			         "wildcard",
			         i);
			return -1;
		}
		if (!cJSON_GetArraySize(cons)) {
			snprintf(err, len, "Services[%d]: must have at least one consumer", i);
			return -1;
		}
		int j = 0;
		cJSON_ArrayForEach(co, cons)
		{
			const char *peer = str_or_empty(co, "Peer"),
			           *part = str_or_empty(co, "Partition");
			int n = (*peer != 0) + (*part != 0) +
			        (*str_or_empty(co, "SamenessGroup") != 0);
			if (n > 1) {
				snprintf(err, len,
				         "Services[%d].Consumers[%d]: must define at most one of "
				         "Peer, Partition, or SamenessGroup",
				         i, j);
				return -1;
			}
			if (!strcmp(part, "*")) {
				snprintf(err, len,
				         "Services[%d].Consumers[%d]: exporting to all partitions "
				         "(wildcard) is not supported",
				         i, j);
				return -1;
			}
			if (!strcmp(peer, "*")) {
				snprintf(err, len,
				         "Services[%d].Consumers[%d]: exporting to all peers "
				         "(wildcard) is not supported",
				         i, j);
				return -1;
			}
			j++;
		}
		i++;
	}
	return 0;
}

static int validate(const char *kind, const cJSON *e, char *err, size_t len)
{
	if (!strcmp(kind, "exported-services"))
		return validate_exports(e, err, len);
	if (!strcmp(kind, "mesh")) {
		const cJSON *p = cJSON_GetObjectItem(e, "Peering");
		if (p && !cJSON_IsObject(p) && !cJSON_IsNull(p)) {
			snprintf(err, len, "Peering: expected an object");
			return -1;
		}
		return 0;
	}
	if (!strcmp(kind, "proxy-defaults"))
		return check_mode(e, err, len);
	if (!*str_or_empty(e, "Name")) {
		snprintf(err, len, "Name is required");
		return -1;
	}
	if (!strcmp(kind, "service-defaults")) {
		const char *proto = str_or_empty(e, "Protocol");
		if (*proto && strcmp(proto, "tcp") && strcmp(proto, "http") &&
		    strcmp(proto, "http2") && strcmp(proto, "grpc")) {
			snprintf(err, len, "invalid value for protocol: %s", proto);
			return -1;
		}
		const cJSON *uc = cJSON_GetObjectItem(e, "UpstreamConfig"), *ov;
		if (check_mode(e, err, len) < 0 ||
		    check_mode(cJSON_GetObjectItem(uc, "Defaults"), err, len) < 0)
			return -1;
		cJSON_ArrayForEach(ov, cJSON_GetObjectItem(uc, "Overrides"))
		{
			if (check_mode(ov, err, len) < 0)
				return -1;
		}
	}
	return 0;
}

/* ----------------------------------------------------------------- ACL */

static bool may(const struct cs_auth *a, const char *kind, const char *name, enum cs_level lvl)
{
	if (!strcmp(kind, "exported-services"))
		return cs_allowed(a, "mesh", NULL, lvl);
	if (!strcmp(kind, "mesh") || !strcmp(kind, "proxy-defaults"))
		return lvl == CS_READ || cs_allowed(a, "mesh", NULL, CS_WRITE);
	if (!strcmp(kind, "service-defaults") || !strcmp(kind, "service-intentions") ||
	    !strcmp(kind, "service-resolver") || !strcmp(kind, "service-router") ||
	    !strcmp(kind, "service-splitter"))
		return cs_allowed(a, "service", name, lvl);
	return cs_allowed(a, "operator", NULL, lvl);
}

static void deny(struct sim_resp *resp, const struct cs_auth *a, const char *kind, const char *name,
                 enum cs_level lvl)
{
	if (!strcmp(kind, "exported-services") || !strcmp(kind, "mesh") ||
	    !strcmp(kind, "proxy-defaults"))
		cs_denied(resp, a, "mesh", NULL, lvl);
	else if (!strncmp(kind, "service-", 8))
		cs_denied(resp, a, "service", name, lvl);
	else
		cs_denied(resp, a, "operator", NULL, lvl);
}

/* --------------------------------------------------------------- write */

static struct cs_config *slot(struct sim_consul *cs, const char *kind, const char *name)
{
	struct cs_config *e = (struct cs_config *)cs_config_find(cs, kind, name);

	if (e)
		return e;
	if (cs->ncfg == cs->cfg_cap) {
		int cap = cs->cfg_cap ? cs->cfg_cap * 2 : 8;
		struct cs_config *n = realloc(cs->cfg, (size_t)cap * sizeof *n);
		if (!n)
			return NULL;
		cs->cfg = n;
		cs->cfg_cap = cap;
	}
	e = &cs->cfg[cs->ncfg++];
	memset(e, 0, sizeof *e);
	snprintf(e->kind, sizeof e->kind, "%s", kind);
	snprintf(e->name, sizeof e->name, "%s", name);
	return e;
}

static void after_write(struct sim_cluster *c, const char *kind)
{
	int k = kind_index(kind);

	if (k >= 0)
		c->consul->config_idx[k] = c->consul->index;
	if (!strcmp(kind, "exported-services"))
		cs_catalog_changed(c);
	sim_changed(c->world);
}

/* Kind and Name normalised; the indexes a client sent are dropped. */
static const char *normalise(cJSON *e, char *err, size_t len)
{
	cJSON *k = cJSON_GetObjectItem(e, "Kind");

	if (!cJSON_IsString(k)) {
		snprintf(err, len, "Payload does not contain a kind/Kind key at the top level");
		return NULL;
	}
	if (kind_index(k->valuestring) < 0) {
		snprintf(err, len, "invalid config entry kind: %s", k->valuestring);
		return NULL;
	}
	const char *kind = kinds[kind_index(k->valuestring)];
	cJSON_DeleteItemFromObject(e, "Kind");
	cJSON_DeleteItemFromObject(e, "CreateIndex");
	cJSON_DeleteItemFromObject(e, "ModifyIndex");
	cJSON_DeleteItemFromObject(e, "Hash");
	cJSON_AddItemToObject(e, "Kind", cJSON_CreateString(kind));
	const char *fixed = !strcmp(kind, "mesh")             ? "mesh"
	                    : !strcmp(kind, "proxy-defaults") ? "global"
	                                                      : NULL;
	if (fixed) {
		cJSON_DeleteItemFromObject(e, "Name");
		cJSON_AddItemToObject(e, "Name", cJSON_CreateString(fixed));
	}
	return kind;
}

int cs_config_put(struct sim_cluster *c, cJSON *entry)
{
	char err[256];
	const char *kind = normalise(entry, err, sizeof err);
	const char *name = kind ? str_or_empty(entry, "Name") : NULL;
	struct cs_config *e = kind ? slot(c->consul, kind, name) : NULL;

	if (!e) {
		cJSON_Delete(entry);
		return -1;
	}
	uint64_t idx = cs_write(c->consul);
	if (!e->entry)
		e->create_index = idx;
	cJSON_Delete(e->entry);
	e->entry = entry;
	e->modify_index = idx;
	after_write(c, kind);
	return 0;
}

static bool parse_cas(const struct sim_req *req, uint64_t *cas)
{
	const char *v = sim_req_arg(req, "cas", NULL);
	char *end;

	if (!v)
		return false;
	*cas = strtoull(v, &end, 10);
	return true;
}

static void put(struct sim_cluster *c, const struct sim_req *req, struct cs_auth *a,
                struct sim_resp *resp)
{
	char err[256];
	cJSON *e = cJSON_ParseWithLength(req->body, req->body_len);
	uint64_t cas = 0;
	bool use_cas = parse_cas(req, &cas);

	if (!cJSON_IsObject(e)) {
		cs_body_error(req->body, err, sizeof err);
		sim_resp_text(resp, 400, "Request decoding failed: %s", err);
		cJSON_Delete(e);
		return;
	}
	const char *kind = normalise(e, err, sizeof err);
	if (!kind) {
		sim_resp_text(resp, 400, "Request decoding failed: %s", err);
		cJSON_Delete(e);
		return;
	}
	const char *name = str_or_empty(e, "Name");
	pthread_mutex_lock(&c->world->lock);
	if (validate(kind, e, err, sizeof err) < 0) {
		sim_resp_text(resp, 500, "%s", err);
		goto fail;
	}
	if (!may(a, kind, name, CS_WRITE)) {
		deny(resp, a, kind, name, CS_WRITE);
		goto fail;
	}
	const struct cs_config *old = cs_config_find(c->consul, kind, name);
	if (use_cas && ((cas == 0 && old) || (cas != 0 && (!old || old->modify_index != cas)))) {
		sim_resp_json(resp, 200, strdup("false"));
		goto fail;
	}
	sim_event(c->world, c, "config entry %s/%s written", kind, name);
	if (cs_config_put(c, e) < 0) {
		sim_resp_text(resp, 500, "out of memory");
	} else {
		sim_resp_json(resp, 200, strdup("true"));
	}
	pthread_mutex_unlock(&c->world->lock);
	return;
fail:
	pthread_mutex_unlock(&c->world->lock);
	cJSON_Delete(e);
}

static void del(struct sim_cluster *c, const struct sim_req *req, struct cs_auth *a,
                struct sim_resp *resp, const char *kind, const char *name)
{
	struct sim_consul *cs = c->consul;
	uint64_t cas = 0;
	bool use_cas = parse_cas(req, &cas);

	pthread_mutex_lock(&c->world->lock);
	if (!may(a, kind, name, CS_WRITE)) {
		deny(resp, a, kind, name, CS_WRITE);
		goto out;
	}
	const struct cs_config *e = cs_config_find(cs, kind, name);
	if (use_cas && (!e || e->modify_index != cas)) {
		sim_resp_json(resp, 200, strdup("false"));
		goto out;
	}
	if (e) {
		int at = (int)(e - cs->cfg);
		cJSON_Delete(cs->cfg[at].entry);
		memmove(&cs->cfg[at], &cs->cfg[at + 1], (size_t)(cs->ncfg - at - 1) * sizeof *e);
		cs->ncfg--;
		cs_write(cs);
		sim_event(c->world, c, "config entry %s/%s deleted", kind, name);
		after_write(c, kind);
	}
	sim_resp_json(resp, 200, strdup(use_cas ? "true" : "{}"));
out:
	pthread_mutex_unlock(&c->world->lock);
}

/* ---------------------------------------------------------------- read */

static cJSON *entry_json(const struct cs_config *e)
{
	cJSON *o = cJSON_Duplicate(e->entry, true);

	if (o) {
		cJSON_AddNumberToObject(o, "CreateIndex", (double)e->create_index);
		cJSON_AddNumberToObject(o, "ModifyIndex", (double)e->modify_index);
	}
	return o;
}

static uint64_t idx_kind(struct sim_cluster *c, const struct sim_req *req, const char *kind)
{
	int k = kind_index(kind);

	return k >= 0 ? c->consul->config_idx[k] : c->consul->index;
}

static void r_list(struct sim_cluster *c, const struct sim_req *req, struct cs_auth *a,
                   struct sim_resp *resp, const char *kind)
{
	cJSON *arr = cJSON_CreateArray();
	struct sim_consul *cs = c->consul;

	/* Sorted by name, as the state store returns them. */
	bool *done = calloc((size_t)cs->ncfg + 1, sizeof *done);
	for (int n = 0; arr && done && n < cs->ncfg; n++) {
		int best = -1;
		for (int i = 0; i < cs->ncfg; i++)
			if (!done[i] && !strcmp(cs->cfg[i].kind, kind) &&
			    (best < 0 || strcmp(cs->cfg[i].name, cs->cfg[best].name) < 0))
				best = i;
		if (best < 0)
			break;
		done[best] = true;
		if (!may(a, kind, cs->cfg[best].name, CS_READ)) {
			a->filtered = true;
			continue;
		}
		cJSON_AddItemToArray(arr, entry_json(&cs->cfg[best]));
	}
	free(done);
	cs_json(resp, 200, arr);
}

/* ARG is "kind/name". */
static void r_get(struct sim_cluster *c, const struct sim_req *req, struct cs_auth *a,
                  struct sim_resp *resp, const char *arg)
{
	const char *slash = strchr(arg, '/');
	char kind[32];

	snprintf(kind, sizeof kind, "%.*s", (int)(slash - arg), arg);
	const char *name = slash + 1;
	if (!may(a, kind, name, CS_READ)) {
		deny(resp, a, kind, name, CS_READ);
		return;
	}
	const struct cs_config *e = cs_config_find(c->consul, kind, name);
	if (!e) {
		sim_resp_text(resp, 404, "Config entry not found for \"%s\" / \"%s\"", kind, name);
		return;
	}
	cs_json(resp, 200, entry_json(e));
}

static uint64_t idx_get(struct sim_cluster *c, const struct sim_req *req, const char *arg)
{
	char kind[32];
	const char *slash = strchr(arg, '/');

	snprintf(kind, sizeof kind, "%.*s", (int)(slash - arg), arg);
	return idx_kind(c, req, kind);
}

void cs_config_route(struct sim_cluster *c, const struct sim_req *req, struct cs_auth *a,
                     struct sim_resp *resp, const char *path)
{
	if (!strcmp(path, "/v1/config")) {
		put(c, req, a, resp);
		return;
	}
	const char *rest = path + strlen("/v1/config/");
	const char *slash = strchr(rest, '/');
	char kind[64];
	snprintf(kind, sizeof kind, "%.*s", slash ? (int)(slash - rest) : (int)strlen(rest), rest);
	const char *name = slash ? slash + 1 : "";
	bool is_delete = !strcmp(req->method, "DELETE");

	if (!*kind || (is_delete && !*name)) {
		sim_resp_text(resp, 404,
		              is_delete ? "Must provide both a kind and name to delete"
		                        : "Must provide either a kind or both kind and "
		                          "name");
		return;
	}
	if (kind_index(kind) < 0) {
		sim_resp_text(resp, 400, "invalid config entry kind: %s", kind);
		return;
	}
	if (is_delete) {
		del(c, req, a, resp, kinds[kind_index(kind)], name);
		return;
	}
	if (!*name) {
		cs_blocking(c, req, a, resp, idx_kind, r_list, kinds[kind_index(kind)]);
		return;
	}
	cs_blocking(c, req, a, resp, idx_get, r_get, rest);
}
