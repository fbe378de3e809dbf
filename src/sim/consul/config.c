/* peerscope-sim, Consul half: the config entry endpoints (API.md §2) — PUT
 * with cas, GET by kind and name, DELETE, and the server-side validation of
 * exported-services, mesh, proxy-defaults, service-defaults and
 * service-intentions. */
#include "autoconfig.h"

#include <ctype.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "simc.h"

/* ------------------------------------------------------------ validate */

static int check_mode(const cJSON *obj, char *err, size_t len)
{
	const char *m = simc_config_mode_of(obj);

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

static int validate_exports(const char *part, const cJSON *e, char *err, size_t len)
{
	const cJSON *svcs = cJSON_GetObjectItem(e, "Services"), *s;
	int i = 0;

	/* validateExportedServicesName: "default" in CE; in Enterprise the
	 * entry's partition is its Name (put() made it so), so this holds. */
	if (strcmp(str_or_empty(e, "Name"), simc_part_name(part))) {
		snprintf(err, len, "exported-services Name must be \"%s\"", simc_part_name(part));
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
			           *cpart = str_or_empty(co, "Partition");
			int n = (*peer != 0) + (*cpart != 0) +
			        (*str_or_empty(co, "SamenessGroup") != 0);
			if (n > 1) {
				snprintf(err, len,
				         "Services[%d].Consumers[%d]: must define at most one of "
				         "Peer, Partition, or SamenessGroup",
				         i, j);
				return -1;
			}
			if (!strcmp(cpart, "*")) {
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

/* The TLS versions of one direction (config_entry_mesh.go
 * validateMeshDirectionalTLSConfig, types/tls.go ValidateTLSVersion). */
static int validate_tls_dir(const cJSON *dir, char *err, size_t len)
{
	static const char *const keys[] = {"TLSMinVersion", "TLSMaxVersion"};
	static const char *const ok[] = {"TLS_AUTO", "TLSv1_0", "TLSv1_1", "TLSv1_2", "TLSv1_3"};

	for (size_t k = 0; k < 2; k++) {
		const char *v = str_or_empty(dir, keys[k]);
		bool good = !*v;
		for (size_t i = 0; !good && i < sizeof ok / sizeof ok[0]; i++)
			good = !strcmp(v, ok[i]);
		if (!good) {
			snprintf(err, len,
			         "no matching TLS version found for %s, please specify one of "
			         "[TLS_AUTO, TLSv1_0, TLSv1_1, TLSv1_2, TLSv1_3]",
			         v);
			return -1;
		}
	}
	return 0;
}

static int validate_mesh(const cJSON *e, char *err, size_t len)
{
	const cJSON *tls = cJSON_GetObjectItemCaseSensitive(e, "TLS");

	if (validate_tls_dir(cJSON_GetObjectItemCaseSensitive(tls, "Incoming"), err, len) < 0 ||
	    validate_tls_dir(cJSON_GetObjectItemCaseSensitive(tls, "Outgoing"), err, len) < 0)
		return -1;
	return 0;
}

/* ServiceIntentionsConfigEntry.validate (agent/structs/config_entry_intentions.go),
 * the checks that apply to what the simulator keeps. */
static int validate_intentions(const cJSON *e, char *err, size_t len)
{
	const cJSON *srcs = cJSON_GetObjectItem(e, "Sources"), *src;
	const char *name = str_or_empty(e, "Name");
	bool wild = !strcmp(name, "*");
	int i = 0;

	if (!*name) {
		snprintf(err, len, "Name is required");
		return -1;
	}
	if (!wild && strchr(name, '*')) {
		snprintf(err, len,
		         "Name: wildcard character '*' cannot be used with partial values");
		return -1;
	}
	if (!cJSON_GetArraySize(srcs)) {
		snprintf(err, len, "At least one source is required");
		return -1;
	}
	cJSON_ArrayForEach(src, srcs)
	{
		const char *sn = str_or_empty(src, "Name"), *peer = str_or_empty(src, "Peer");
		const char *part = str_or_empty(src, "Partition"),
		           *act = str_or_empty(src, "Action");
		const cJSON *perms = cJSON_GetObjectItem(src, "Permissions"), *perm, *o;
		if (!*sn) {
			snprintf(err, len, "Sources[%d].Name is required", i);
			return -1;
		}
		if (strcmp(sn, "*") && strchr(sn, '*')) {
			snprintf(err, len,
			         "Sources[%d].Name: wildcard character '*' cannot be used with "
			         "partial "
			         "values",
			         i);
			return -1;
		}
		if (strchr(peer, '*')) {
			snprintf(err, len, "Sources[%d].Peer: cannot use wildcard '*' in peer", i);
			return -1;
		}
		if (*peer && *part) {
			snprintf(
			        err, len,
			        "Sources[%d].Peer: cannot set Peer and Partition at the same time.",
			        i);
			return -1;
		}
		if (!cJSON_GetArraySize(perms) && strcmp(act, "allow") && strcmp(act, "deny")) {
			snprintf(err, len, "Sources[%d].Action must be set to 'allow' or 'deny'",
			         i);
			return -1;
		}
		if (cJSON_GetArraySize(perms) && *act) {
			snprintf(err, len,
			         "Sources[%d].Action must be omitted if Permissions are specified",
			         i);
			return -1;
		}
		if (wild && cJSON_GetArraySize(perms)) {
			snprintf(err, len,
			         "Sources[%d].Permissions cannot be specified on intentions with "
			         "wildcarded destinations",
			         i);
			return -1;
		}
		int j = 0;
		cJSON_ArrayForEach(perm, perms)
		{
			const char *pa = str_or_empty(perm, "Action");
			if (strcmp(pa, "allow") && strcmp(pa, "deny")) {
				snprintf(err, len,
				         "Sources[%d].Permissions[%d].Action must be set to "
				         "'allow' or "
				         "'deny'",
				         i, j);
				return -1;
			}
			if (!cJSON_IsObject(cJSON_GetObjectItem(perm, "HTTP"))) {
				snprintf(err, len, "Sources[%d].Permissions[%d].HTTP is required",
				         i, j);
				return -1;
			}
			j++;
		}
		/* The same source twice. */
		int k = 0;
		cJSON_ArrayForEach(o, srcs)
		{
			if (k++ >= i)
				break;
			if (strcmp(str_or_empty(o, "Name"), sn) ||
			    strcmp(str_or_empty(o, "Peer"), peer))
				continue;
			if (*peer)
				snprintf(err, len,
				         "Sources[%d] defines peer(\"%s\") \"%s\" more than once",
				         i, peer, sn);
			else
				snprintf(err, len, "Sources[%d] defines \"%s\" more than once", i,
				         sn);
			return -1;
		}
		i++;
	}
	return 0;
}

static int validate(const struct sim_cluster *c, const char *part, const char *kind, const cJSON *e,
                    char *err, size_t len)
{
	if (!strcmp(kind, "service-intentions"))
		return validate_intentions(e, err, len);
	if (!strcmp(kind, "exported-services"))
		return validate_exports(part, e, err, len);
	if (!strcmp(kind, "mesh"))
		return validate_mesh(e, err, len);
	if (!strcmp(kind, "proxy-defaults")) {
		/* ProxyConfigEntry.Validate (agent/structs/config_entry.go). */
		if (strcmp(str_or_empty(e, "Name"), "global")) {
			snprintf(err, len, "invalid name (\"%s\"), only \"global\" is supported",
			         str_or_empty(e, "Name"));
			return -1;
		}
		return check_mode(e, err, len);
	}
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

static bool may(const struct simc_auth *a, const char *kind, const char *name, enum simc_level lvl)
{
	if (!strcmp(kind, "exported-services"))
		return simc_allowed(a, "mesh", NULL, lvl);
	if (!strcmp(kind, "mesh") || !strcmp(kind, "proxy-defaults"))
		return lvl == SIMC_READ || simc_allowed(a, "mesh", NULL, SIMC_WRITE);
	if (!strcmp(kind, "service-defaults") || !strcmp(kind, "service-intentions") ||
	    !strcmp(kind, "service-resolver") || !strcmp(kind, "service-router") ||
	    !strcmp(kind, "service-splitter"))
		return simc_allowed(a, "service", name, lvl);
	return simc_allowed(a, "operator", NULL, lvl);
}

static void deny(struct sim_resp *resp, const struct simc_auth *a, const char *kind,
                 const char *name, enum simc_level lvl)
{
	if (!strcmp(kind, "exported-services") || !strcmp(kind, "mesh") ||
	    !strcmp(kind, "proxy-defaults"))
		simc_denied(resp, a, "mesh", NULL, lvl);
	else if (!strncmp(kind, "service-", 8))
		simc_denied(resp, a, "service", name, lvl);
	else
		simc_denied(resp, a, "operator", NULL, lvl);
}

/* --------------------------------------------------------------- write */

/* Writes ENTRY (taken over); what peers import follows the exports. */
int simc_config_put(struct sim_cluster *c, cJSON *entry)
{
	bool exports = !strcmp(str_or_empty(entry, "Kind"), "exported-services");
	bool mesh = !strcmp(str_or_empty(entry, "Kind"), "mesh");

	if (simc_config_store(c, entry) < 0)
		return -1;
	if (exports)
		simc_catalog_changed(c);
	if (mesh) /* PeerThroughMeshGateways: what acceptors push, how dialers dial */
		simc_stream_recheck(c->world);
	return 0;
}

/* ?cas=: 0 absent (or empty), 1 read into *CAS, -1 not a number: Consul's
 * HTTP handler returns strconv.ParseUint's error as it is, a 500
 * (agent/config_endpoint.go, ConfigApply and ConfigDelete). */
static int parse_cas(const struct sim_req *req, uint64_t *cas, struct sim_resp *resp)
{
	const char *v = sim_req_arg(req, "cas", NULL);
	unsigned long long n = 0;
	bool range = false;
	char q[200];
	size_t o = 0;

	if (!v || !*v)
		return 0;
	for (const char *p = v; *p && !range; p++) {
		if (*p < '0' || *p > '9')
			goto bad;
		range = n > (ULLONG_MAX - (unsigned)(*p - '0')) / 10;
		n = n * 10 + (unsigned)(*p - '0');
	}
	if (range)
		goto bad;
	*cas = n;
	return 1;
bad:
	/* Go's %q of the text, for what a query string can carry. */
	for (const unsigned char *p = (const unsigned char *)v; *p && o + 6 < sizeof q; p++)
		o += (size_t)(*p == '"' || *p == '\\' ? snprintf(q + o, sizeof q - o, "\\%c", *p)
		              : *p < 0x20 || *p >= 0x7f
		                      ? snprintf(q + o, sizeof q - o, "\\x%02x", *p)
		                      : snprintf(q + o, sizeof q - o, "%c", *p));
	sim_resp_text(resp, 500, "strconv.ParseUint: parsing \"%s\": %s", q,
	              range ? "value out of range" : "invalid syntax");
	return -1;
}

static void put(struct sim_cluster *c, const struct sim_req *req, struct simc_auth *a,
                struct sim_resp *resp)
{
	char err[256];
	cJSON *e = cJSON_ParseWithLength(req->body, req->body_len);
	uint64_t cas = 0;
	int use_cas;

	if (!cJSON_IsObject(e)) {
		simc_body_error(req->body, err, sizeof err);
		sim_resp_text(resp, 400, "Request decoding failed: %s", err);
		cJSON_Delete(e);
		return;
	}
	/* DecodeConfigEntry: the kind from "Kind" or "kind", then the entry
	 * decoded as its struct (schema.c). */
	const cJSON *kv = cJSON_GetObjectItemCaseSensitive(e, "Kind");
	if (!kv)
		kv = cJSON_GetObjectItemCaseSensitive(e, "kind");
	if (!cJSON_IsString(kv)) {
		sim_resp_text(resp, 400, "Request decoding failed: %s",
		              "Payload does not contain a kind/Kind key at the top level");
		cJSON_Delete(e);
		return;
	}
	if (simc_config_kind(kv->valuestring) < 0) {
		sim_resp_text(resp, 400, "Request decoding failed: invalid config entry kind: %s",
		              kv->valuestring);
		cJSON_Delete(e);
		return;
	}
	char bigerr[2048];
	cJSON *dec = simc_entry_decode(e, simc_config_kind_name(simc_config_kind(kv->valuestring)),
	                               c->install.enterprise, bigerr, sizeof bigerr);
	cJSON_Delete(e);
	e = dec;
	if (!e) {
		sim_resp_text(resp, 400, "Request decoding failed: %s", bigerr);
		return;
	}
	/* The handler reads ?cas= once the body is decoded, before the RPC. */
	use_cas = parse_cas(req, &cas, resp);
	if (use_cas < 0) {
		cJSON_Delete(e);
		return;
	}
	const char *kind = simc_config_normalise(e, err, sizeof err);
	if (!kind) {
		sim_resp_text(resp, 400, "Request decoding failed: %s", err);
		cJSON_Delete(e);
		return;
	}
	const char *name = !strcmp(kind, "mesh") ? "mesh" : str_or_empty(e, "Name");
	/* Enterprise: the entry lives in the partition its body names, else
	 * the request's; it is read back with its partition (and namespace
	 * for the kinds that have one). */
	char part[32];
	snprintf(part, sizeof part, "%s", simc_part(a->part));
	if (c->install.enterprise && !strcmp(kind, "exported-services")) {
		/* The exported-services entry of a partition is named after it:
		 * Normalize sets its partition from Name, whatever the body or
		 * the query said (agent/structs/config_entry_exports.go); a
		 * wildcard is no partition's name. */
		const char *n = str_or_empty(e, "Name");
		if (!*n || !strcmp(n, "*") || strlen(n) >= sizeof part) {
			sim_resp_text(resp, 500,
			              "exported-services Name must be the name of a partition, and "
			              "not a wildcard");
			cJSON_Delete(e);
			return;
		}
		cJSON_DeleteItemFromObject(e, "Partition");
		cJSON_AddStringToObject(e, "Partition", n);
	}
	if (c->install.enterprise) {
		if (*str_or_empty(e, "Partition"))
			snprintf(part, sizeof part, "%s", simc_part(str_or_empty(e, "Partition")));
		cJSON_DeleteItemFromObject(e, "Partition");
		cJSON_DeleteItemFromObject(e, "Namespace");
		cJSON_AddStringToObject(e, "Partition", simc_part_name(part));
		if (!strcmp(kind, "service-defaults") || !strcmp(kind, "service-intentions"))
			cJSON_AddStringToObject(e, "Namespace", "default");
	}
	pthread_mutex_lock(&c->world->lock);
	if (c->install.enterprise && !simc_partition_find(c->consul, part)) {
		sim_resp_text(resp, 500, "partition \"%s\" does not exist", part);
		goto fail;
	}
	if (validate(c, part, kind, e, err, sizeof err) < 0) {
		sim_resp_text(resp, 500, "%s", err);
		goto fail;
	}
	if (!strcmp(kind, "service-intentions"))
		simc_intentions_normalize(e);
	if (!may(a, kind, name, SIMC_WRITE)) {
		deny(resp, a, kind, name, SIMC_WRITE);
		goto fail;
	}
	const struct simc_config *old = simc_config_find(c->consul, part, kind, name);
	/* Apply skips an upsert that changes nothing, before any raft write
	 * and so before the check-and-set: true, the indexes unmoved. */
	if (simc_config_same(old, e)) {
		sim_resp_json(resp, 200, strdup("true"));
		goto fail;
	}
	if (use_cas && ((cas == 0 && old) || (cas != 0 && (!old || old->modify_index != cas)))) {
		sim_resp_json(resp, 200, strdup("false"));
		goto fail;
	}
	sim_event(c->world, c, "config entry %s/%s written", kind, name);
	if (simc_config_put(c, e) < 0) {
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

static void del(struct sim_cluster *c, const struct sim_req *req, struct simc_auth *a,
                struct sim_resp *resp, const char *kind, const char *name)
{
	struct simc_state *cs = c->consul;
	uint64_t cas = 0;
	int use_cas = parse_cas(req, &cas, resp);

	if (use_cas < 0)
		return;
	pthread_mutex_lock(&c->world->lock);
	if (!may(a, kind, name, SIMC_WRITE)) {
		deny(resp, a, kind, name, SIMC_WRITE);
		goto out;
	}
	const struct simc_config *e = simc_config_find(cs, a->part, kind, name);
	/* Delete skips a missing entry, CAS or not: Deleted=true. */
	if (use_cas && e && e->modify_index != cas) {
		sim_resp_json(resp, 200, strdup("false"));
		goto out;
	}
	if (e) {
		bool exports = !strcmp(kind, "exported-services");
		sim_event(c->world, c, "config entry %s/%s deleted", kind, name);
		simc_config_remove(c, e);
		if (exports)
			simc_catalog_changed(c);
		if (!strcmp(kind, "mesh"))
			simc_stream_recheck(c->world);
	}
	sim_resp_json(resp, 200, strdup(use_cas ? "true" : "{}"));
out:
	pthread_mutex_unlock(&c->world->lock);
}

/* ---------------------------------------------------------------- read */

static cJSON *entry_json(const struct simc_config *e)
{
	cJSON *o = cJSON_Duplicate(e->entry, true);

	if (o) {
		cJSON_AddNumberToObject(o, "CreateIndex", (double)e->create_index);
		cJSON_AddNumberToObject(o, "ModifyIndex", (double)e->modify_index);
	}
	return o;
}

static uint64_t idx_kind(struct sim_cluster *c, const struct sim_req *req,
                         const struct simc_auth *a, const char *kind)
{
	int k = simc_config_kind(kind);

	return k >= 0 ? c->consul->config_idx[k] : c->consul->index;
}

static void r_list(struct sim_cluster *c, const struct sim_req *req, struct simc_auth *a,
                   struct sim_resp *resp, const char *kind)
{
	cJSON *arr = cJSON_CreateArray();
	struct simc_state *cs = c->consul;

	/* Sorted by name, as the state store returns them. */
	bool *done = calloc((size_t)cs->ncfg + 1, sizeof *done);
	for (int n = 0; arr && done && n < cs->ncfg; n++) {
		int best = -1;
		for (int i = 0; i < cs->ncfg; i++)
			if (!done[i] && !strcmp(cs->cfg[i].kind, kind) &&
			    simc_part_eq(cs->cfg[i].partition, a->part) &&
			    (best < 0 || strcmp(cs->cfg[i].name, cs->cfg[best].name) < 0))
				best = i;
		if (best < 0)
			break;
		done[best] = true;
		if (!may(a, kind, cs->cfg[best].name, SIMC_READ)) {
			a->filtered = true;
			continue;
		}
		cJSON_AddItemToArray(arr, entry_json(&cs->cfg[best]));
	}
	free(done);
	simc_json(resp, 200, arr);
}

/* ARG is "kind/name". */
static void r_get(struct sim_cluster *c, const struct sim_req *req, struct simc_auth *a,
                  struct sim_resp *resp, const char *arg)
{
	const char *slash = strchr(arg, '/');
	char kind[32];

	snprintf(kind, sizeof kind, "%.*s", (int)(slash - arg), arg);
	const char *name = slash + 1;
	if (!may(a, kind, name, SIMC_READ)) {
		deny(resp, a, kind, name, SIMC_READ);
		return;
	}
	const struct simc_config *e = simc_config_find(c->consul, a->part, kind, name);
	if (!e) {
		sim_resp_text(resp, 404, "Config entry not found for \"%s\" / \"%s\"", kind, name);
		return;
	}
	simc_json(resp, 200, entry_json(e));
}

static uint64_t idx_get(struct sim_cluster *c, const struct sim_req *req, const struct simc_auth *a,
                        const char *arg)
{
	char kind[32];
	const char *slash = strchr(arg, '/');

	snprintf(kind, sizeof kind, "%.*s", (int)(slash - arg), arg);
	return idx_kind(c, req, a, kind);
}

void simc_config_route(struct sim_cluster *c, const struct sim_req *req, struct simc_auth *a,
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
	if (simc_config_kind(kind) < 0) {
		sim_resp_text(resp, 400, "invalid config entry kind: %s", kind);
		return;
	}
	if (is_delete) {
		del(c, req, a, resp, simc_config_kind_name(simc_config_kind(kind)), name);
		return;
	}
	if (!*name) {
		simc_blocking(c, req, a, resp, idx_kind, r_list,
		              simc_config_kind_name(simc_config_kind(kind)));
		return;
	}
	simc_blocking(c, req, a, resp, idx_get, r_get, rest);
}
