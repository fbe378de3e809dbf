/* consul: the Consul API calls. See include/peerscope/consul.h; the decoders
 * and encoders live in consul_decode.c. */
#include "autoconfig.h"

#include "peerscope/codec.h"
#include "peerscope/consul.h"

#include <cjson/cJSON.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct consul_client {
	struct http_client *http;
	char *partition;  /* NULL or "": none */
	char *datacenter; /* NULL: the agent's own */
	atomic_bool enterprise;
};

typedef int (*decode_fn)(const char *json, size_t len, void *out, char *err, size_t errlen);

/* NAME: a decode_fn that hands its void *out to the typed decoder FN. */
#define DECODE_AS_VOID(name, fn)                                                                   \
	static int name(const char *j, size_t l, void *o, char *e, size_t el)                      \
	{                                                                                          \
		return fn(j, l, o, e, el);                                                         \
	}

void consul_secret_free(char *secret)
{
	codec_wipe_free(secret);
}

static void wipe_response(struct http_response *r)
{
	if (r->body)
		codec_wipe(r->body, r->body_len);
	http_response_clear(r);
}

/* ------------------------------------------------------------------ client */

struct consul_client *consul_client_new(const struct consul_options *o, struct http_error *err)
{
	struct consul_client *c = calloc(1, sizeof *c);

	if (!c) {
		http_error_setf(err, HTTP_ERR_NOMEM, "out of memory");
		return NULL;
	}
	atomic_init(&c->enterprise, false);
	c->http = http_client_new(&o->http, err);
	if (!c->http)
		goto fail;
	if ((o->partition && !(c->partition = strdup(o->partition))) ||
	    (o->datacenter && !(c->datacenter = strdup(o->datacenter)))) {
		http_error_setf(err, HTTP_ERR_NOMEM, "out of memory");
		goto fail;
	}
	return c;
fail:
	consul_client_free(c);
	return NULL;
}

void consul_client_free(struct consul_client *c)
{
	if (!c)
		return;
	http_client_free(c->http);
	free(c->partition);
	free(c->datacenter);
	free(c);
}

struct http_client *consul_http(struct consul_client *c)
{
	return c->http;
}

void consul_client_set_enterprise(struct consul_client *c, bool enterprise)
{
	atomic_store(&c->enterprise, enterprise);
}

bool consul_client_enterprise(const struct consul_client *c)
{
	return atomic_load(&((struct consul_client *)c)->enterprise);
}

/* The partition to send: only to an Enterprise server, never to CE (which
 * answers 400 to any partition parameter). */
static const char *ent_partition(const struct consul_client *c)
{
	if (!c->partition || !*c->partition || !consul_client_enterprise(c))
		return NULL;
	return c->partition;
}

/* The partition of one request: WANT when given, else the client's; only
 * to an Enterprise server. */
static const char *ent_partition_of(const struct consul_client *c, const char *want)
{
	if (want && *want)
		return consul_client_enterprise(c) ? want : NULL;
	return ent_partition(c);
}

bool consul_not_found(const struct http_error *err)
{
	return err->kind == HTTP_ERR_STATUS && err->status == 404;
}

bool consul_acl_disabled(const struct http_error *err)
{
	return err->kind == HTTP_ERR_STATUS && err->status == 401;
}

/* ---------------------------------------------------------- blocking queries */

static uint64_t header_u64(const struct http_response *r, const char *name)
{
	const char *v = http_response_header(r, name);
	char *end;
	unsigned long long n;

	if (!v || *v < '0' || *v > '9')
		return 0;
	n = strtoull(v, &end, 10);
	return *end ? 0 : (uint64_t)n;
}

void consul_meta_from_response(const struct http_response *r, struct consul_meta *m)
{
	const char *v;

	memset(m, 0, sizeof *m);
	m->index = header_u64(r, "X-Consul-Index");
	m->last_contact_ms = header_u64(r, "X-Consul-LastContact");
	v = http_response_header(r, "X-Consul-KnownLeader");
	if (v) {
		m->has_known_leader = true;
		m->known_leader = !strcasecmp(v, "true");
	}
	v = http_response_header(r, "X-Consul-Results-Filtered-By-ACLs");
	m->results_filtered = v && !strcasecmp(v, "true");
	v = http_response_header(r, "X-Consul-Default-ACL-Policy");
	if (v && (!strcasecmp(v, "allow") || !strcasecmp(v, "deny")))
		snprintf(m->default_acl_policy, sizeof m->default_acl_policy, "%s", v);
}

uint64_t consul_next_index(uint64_t prev, uint64_t got)
{
	if (got < prev)
		return 0;
	return got ? got : 1;
}

void consul_format_wait(long wait_ms, char *buf, size_t len)
{
	if (wait_ms % 1000 == 0)
		snprintf(buf, len, "%lds", wait_ms / 1000);
	else
		snprintf(buf, len, "%ldms", wait_ms);
}

/* Append "?name=value" or "&name=value", value escaped (NULL: no value). */
static void sb_param(struct model_text *b, const char *name, const char *value)
{
	model_text_put(b, strchr(b->s ? b->s : "", '?') ? "&" : "?");
	model_text_put(b, name);
	if (!value)
		return;
	char *e = http_escape(value);
	if (!e) {
		b->nomem = true;
		return;
	}
	model_text_put(b, "=");
	model_text_put(b, e);
	free(e);
}

char *consul_path(const struct consul_client *c, const char *endpoint, const struct consul_query *q)
{
	struct model_text b = {0};
	char num[32];

	model_text_put(&b, endpoint);
	if (q && q->index && q->wait_ms > 0) {
		snprintf(num, sizeof num, "%" PRIu64, q->index);
		sb_param(&b, "index", num);
		consul_format_wait(q->wait_ms, num, sizeof num);
		sb_param(&b, "wait", num);
	}
	if (q && q->peer && *q->peer)
		sb_param(&b, "peer", q->peer);
	if (q && q->filter && *q->filter)
		sb_param(&b, "filter", q->filter);
	if (q && q->passing)
		sb_param(&b, "passing", NULL);
	if (q && q->stale)
		sb_param(&b, "stale", NULL);
	if (c->datacenter && *c->datacenter)
		sb_param(&b, "dc", c->datacenter);
	const char *part = q && q->partition && *q->partition ? q->partition : c->partition;
	if (part && *part && consul_client_enterprise(c))
		sb_param(&b, "partition", part);
	if (b.nomem) {
		free(b.s);
		return NULL;
	}
	return b.s;
}

size_t consul_max_body(const char *endpoint)
{
	static const struct {
		const char *prefix;
		size_t max;
	} caps[] = {
	        {CONSUL_PATH_LEADER, 64 << 10},      {CONSUL_PATH_AGENT_VERSION, 64 << 10},
	        {CONSUL_PATH_AGENT_SELF, 1 << 20},   {"/v1/acl/", 1 << 20},
	        {"/v1/internal/acl/", 1 << 20},      {CONSUL_PATH_PEERINGS, 8 << 20},
	        {CONSUL_PATH_PEERING, 2 << 20},      {CONSUL_PATH_HEALTH_SERVICE, 8 << 20},
	        {CONSUL_PATH_UI_SERVICES, 16 << 20}, {CONSUL_PATH_UI_EXPORTED, 8 << 20},
	        {CONSUL_PATH_EXPORTED, 8 << 20},     {CONSUL_PATH_IMPORTED, 8 << 20},
	};
	size_t slashes = 0;

	if (!endpoint)
		return 8 << 20;
	for (size_t i = 0; i < sizeof caps / sizeof caps[0]; i++)
		if (!strncmp(endpoint, caps[i].prefix, strlen(caps[i].prefix)))
			return caps[i].max;
	/* /v1/config/KIND/NAME is one entry; /v1/config/KIND, the list. */
	if (!strncmp(endpoint, CONSUL_PATH_CONFIG "/", sizeof CONSUL_PATH_CONFIG)) {
		for (const char *p = endpoint; *p && *p != '?'; p++)
			slashes += *p == '/';
		return slashes >= 4 ? (size_t)2 << 20 : (size_t)8 << 20;
	}
	return 8 << 20;
}

int consul_request_get(const struct consul_client *c, const char *endpoint,
                       const struct consul_query *q, struct http_request *req, char **path)
{
	memset(req, 0, sizeof *req);
	*path = consul_path(c, endpoint, q);
	if (!*path)
		return -1;
	req->method = "GET";
	req->path = *path;
	req->max_body = consul_max_body(endpoint);
	req->wait_ms = q && q->index && q->wait_ms > 0 ? q->wait_ms : 0;
	return 0;
}

bool consul_peer_name_valid(const char *name)
{
	size_t n = name ? strlen(name) : 0;

	if (n < 1 || n > 63)
		return false;
	for (size_t i = 0; i < n; i++) {
		char ch = name[i];
		bool alnum = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9');
		if (!alnum && (ch != '-' || i == 0 || i == n - 1))
			return false;
	}
	return true;
}

/* ---------------------------------------------------------------- requests */

static int nomem(struct consul_client *c, struct http_error *err)
{
	snprintf(err->cluster, sizeof err->cluster, "%s", http_client_cluster(c->http));
	http_error_setf(err, HTTP_ERR_NOMEM, "out of memory");
	return -1;
}

/* Send a request to endpoint (path built for this server) and keep the
 * response. body_secret: a secret inside body. */
static int call(struct consul_client *c, const char *method, const char *endpoint,
                const struct consul_query *q, const char *body, const char *body_secret,
                struct http_response *resp, struct consul_meta *meta, struct http_error *err)
{
	struct http_request req;
	char *path;
	int rc;

	if (consul_request_get(c, endpoint, q, &req, &path))
		return nomem(c, err);
	req.method = method;
	req.body = body;
	req.body_secret = body_secret;
	rc = http_do(c->http, &req, resp, err);
	free(path);
	if (rc == 0 && meta)
		consul_meta_from_response(resp, meta);
	return rc;
}

static int decode_failed(struct http_error *err, const char *msg)
{
	err->status = 0;
	http_error_setf(err, HTTP_ERR_DECODE, "%s", msg);
	return -1;
}

/* GET endpoint and decode the body into out. */
static int get_decoded(struct consul_client *c, const char *endpoint, const struct consul_query *q,
                       decode_fn decode, void *out, struct consul_meta *meta,
                       struct http_error *err)
{
	struct http_response resp = {0};
	char msg[512];
	int rc = call(c, "GET", endpoint, q, NULL, NULL, &resp, meta, err);

	if (rc == 0 && decode(resp.body, resp.body_len, out, msg, sizeof msg))
		rc = decode_failed(err, msg);
	http_response_clear(&resp);
	return rc;
}

/* endpoint + "/" + each escaped part. */
static char *join_path(const char *endpoint, const char *a, const char *b)
{
	char *ea = a ? http_escape(a) : NULL, *eb = b ? http_escape(b) : NULL, *out = NULL;
	size_t len = strlen(endpoint) + (ea ? strlen(ea) + 1 : 0) + (eb ? strlen(eb) + 1 : 0) + 1;

	if ((a && !ea) || (b && !eb))
		goto out;
	out = malloc(len);
	if (!out)
		goto out;
	snprintf(out, len, "%s%s%s%s%s", endpoint, ea ? "/" : "", ea ? ea : "", eb ? "/" : "",
	         eb ? eb : "");
out:
	free(ea);
	free(eb);
	return out;
}

/* GET endpoint/a[/b] (each part escaped) and decode the body into out. */
static int get_at(struct consul_client *c, const char *endpoint, const char *a, const char *b,
                  const struct consul_query *q, decode_fn decode, void *out,
                  struct consul_meta *meta, struct http_error *err)
{
	char *path = join_path(endpoint, a, b);
	int rc;

	if (!path)
		return nomem(c, err);
	rc = get_decoded(c, path, q, decode, out, meta, err);
	free(path);
	return rc;
}

/* ---------------------------------------------------------------- identity */

DECODE_AS_VOID(dec_self, consul_decode_agent_self)
DECODE_AS_VOID(dec_version, consul_decode_agent_version)
DECODE_AS_VOID(dec_leader, consul_decode_leader)

int consul_agent_self(struct consul_client *c, struct model_cluster_identity *out,
                      struct http_error *err)
{
	memset(out, 0, sizeof *out);
	return get_decoded(c, CONSUL_PATH_AGENT_SELF, NULL, dec_self, out, NULL, err);
}

int consul_agent_version(struct consul_client *c, struct model_cluster_identity *out,
                         struct http_error *err)
{
	return get_decoded(c, CONSUL_PATH_AGENT_VERSION, NULL, dec_version, out, NULL, err);
}

int consul_leader(struct consul_client *c, char **out, struct http_error *err)
{
	*out = NULL;
	return get_decoded(c, CONSUL_PATH_LEADER, NULL, dec_leader, out, NULL, err);
}

/* Fields agent/self would have filled, as "" so that they are never NULL. */
static int fill_empty(struct model_cluster_identity *id)
{
	char **fields[] = {&id->datacenter, &id->primary_datacenter,
	                   &id->node_name,  &id->node_id,
	                   &id->partition,  &id->version,
	                   &id->revision,   &id->leader};

	for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
		if (!*fields[i] && !(*fields[i] = strdup("")))
			return -1;
	return 0;
}

/* agent/version also says whether the build is FIPS; a server without the
 * endpoint is no error. */
static void add_fips(struct consul_client *c, struct model_cluster_identity *id)
{
	struct model_cluster_identity v = {0};
	struct http_error err;

	if (consul_agent_version(c, &v, &err) == 0)
		id->fips = v.fips;
	model_cluster_identity_clear(&v);
}

int consul_identity(struct consul_client *c, struct model_cluster_identity *out,
                    struct http_error *err)
{
	struct http_error verr;
	char *leader = NULL;

	if (consul_agent_self(c, out, err) == 0) {
		add_fips(c, out);
	} else {
		/* Without agent:read, agent/version still tells the version. */
		if (err->kind != HTTP_ERR_STATUS || err->status != 403)
			return -1;
		memset(out, 0, sizeof *out);
		if (consul_agent_version(c, out, &verr)) {
			model_cluster_identity_clear(out);
			return -1; /* err keeps agent/self's 403 */
		}
		if (fill_empty(out)) {
			model_cluster_identity_clear(out);
			return nomem(c, err);
		}
	}
	if (consul_leader(c, &leader, err)) {
		model_cluster_identity_clear(out);
		return -1;
	}
	free(out->leader);
	out->leader = leader;
	consul_client_set_enterprise(c, out->enterprise);
	http_error_clear(err);
	return 0;
}

/* ---------------------------------------------------------------- peerings */

DECODE_AS_VOID(dec_peerings, consul_decode_peerings)
DECODE_AS_VOID(dec_peering, consul_decode_peering)

int consul_peerings_list(struct consul_client *c, const struct consul_query *q,
                         struct model_peering_list *out, struct consul_meta *meta,
                         struct http_error *err)
{
	memset(out, 0, sizeof *out);
	return get_decoded(c, CONSUL_PATH_PEERINGS, q, dec_peerings, out, meta, err);
}

int consul_peering_read(struct consul_client *c, const char *name, const struct consul_query *q,
                        struct model_peering *out, struct consul_meta *meta, struct http_error *err)
{
	memset(out, 0, sizeof *out);
	return get_at(c, "/v1/peering", name, NULL, q, dec_peering, out, meta, err);
}

static bool add_meta(cJSON *o, const struct model_meta *m)
{
	cJSON *obj;

	if (!m || !m->n)
		return true;
	obj = cJSON_AddObjectToObject(o, "Meta");
	for (size_t i = 0; obj && i < m->n; i++)
		if (!cJSON_AddStringToObject(obj, m->v[i].key, m->v[i].value))
			return false;
	return obj != NULL;
}

static char *token_body(const struct consul_client *c, const struct consul_token_request *r)
{
	cJSON *o = cJSON_CreateObject();
	bool ok = o && cJSON_AddStringToObject(o, "PeerName", r->peer_name) && add_meta(o, r->meta);
	char *s;

	const char *part = ent_partition_of(c, r->partition);

	if (ok && part)
		ok = cJSON_AddStringToObject(o, "Partition", part) != NULL;
	if (ok && r->server_external_addrs && r->server_external_addrs->n) {
		cJSON *a = cJSON_AddArrayToObject(o, "ServerExternalAddresses");
		for (size_t i = 0; ok && i < r->server_external_addrs->n; i++)
			ok = a && cJSON_AddItemToArray(
			                  a, cJSON_CreateString(r->server_external_addrs->v[i]));
	}
	s = ok ? cJSON_PrintUnformatted(o) : NULL;
	cJSON_Delete(o);
	return s;
}

int consul_peering_generate_token(struct consul_client *c, const struct consul_token_request *r,
                                  char **token, struct http_error *err)
{
	struct http_response resp = {0};
	char *body;
	cJSON *root = NULL;
	const cJSON *tok;
	int rc;

	*token = NULL;
	if (!r->peer_name || !*r->peer_name) {
		snprintf(err->cluster, sizeof err->cluster, "%s", http_client_cluster(c->http));
		http_error_setf(err, HTTP_ERR_USAGE, "a peer name is required to generate a token");
		return -1;
	}
	body = token_body(c, r);
	if (!body)
		return nomem(c, err);
	rc = call(c, "POST", CONSUL_PATH_PEERING_TOKEN, NULL, body, NULL, &resp, NULL, err);
	free(body);
	if (rc)
		goto out;
	root = cJSON_ParseWithLength(resp.body ? resp.body : "", resp.body_len);
	tok = cJSON_GetObjectItem(root, "PeeringToken");
	if (!cJSON_IsString(tok) || !tok->valuestring[0])
		rc = decode_failed(err, "the response has no PeeringToken");
	else if (!(*token = strdup(tok->valuestring)))
		rc = nomem(c, err);
	if (tok)
		codec_wipe(tok->valuestring, strlen(tok->valuestring));
out:
	cJSON_Delete(root);
	wipe_response(&resp);
	return rc;
}

int consul_peering_establish(struct consul_client *c, const char *peer_name, const char *token,
                             const struct model_meta *meta, const char *partition,
                             struct http_error *err)
{
	struct http_response resp = {0};
	cJSON *o = cJSON_CreateObject();
	char *body = NULL;
	bool ok = o && cJSON_AddStringToObject(o, "PeerName", peer_name ? peer_name : "") &&
	          cJSON_AddStringToObject(o, "PeeringToken", token ? token : "") &&
	          add_meta(o, meta);
	const char *part = ent_partition_of(c, partition);
	int rc;

	if (ok && part)
		ok = cJSON_AddStringToObject(o, "Partition", part) != NULL;
	if (ok)
		body = cJSON_PrintUnformatted(o);
	/* The tree holds a copy of the token. */
	for (cJSON *it = o ? o->child : NULL; it; it = it->next)
		if (cJSON_IsString(it) && !strcmp(it->string, "PeeringToken"))
			codec_wipe(it->valuestring, strlen(it->valuestring));
	cJSON_Delete(o);
	if (!body)
		return nomem(c, err);
	rc = call(c, "POST", CONSUL_PATH_PEERING_ESTAB, NULL, body, token, &resp, NULL, err);
	codec_wipe(body, strlen(body));
	free(body);
	http_response_clear(&resp);
	return rc;
}

int consul_peering_delete(struct consul_client *c, const char *name, const struct consul_query *q,
                          struct http_error *err)
{
	struct http_response resp = {0};
	char *path = join_path("/v1/peering", name, NULL);
	int rc;

	if (!path)
		return nomem(c, err);
	rc = call(c, "DELETE", path, q, NULL, NULL, &resp, NULL, err);
	free(path);
	http_response_clear(&resp);
	return rc;
}

/* ----------------------------------------------------------- config entries */

int consul_config_get_raw(struct consul_client *c, const char *kind, const char *name,
                          const struct consul_query *q, char **json, struct consul_meta *meta,
                          struct http_error *err)
{
	struct http_response resp = {0};
	char *path = join_path(CONSUL_PATH_CONFIG, kind, name);
	int rc;

	*json = NULL;
	if (!path)
		return nomem(c, err);
	rc = call(c, "GET", path, q, NULL, NULL, &resp, meta, err);
	free(path);
	if (rc == 0) {
		*json = resp.body ? resp.body : strdup("");
		resp.body = NULL;
		if (!*json)
			rc = nomem(c, err);
	}
	http_response_clear(&resp);
	return rc;
}

static int get_entry(struct consul_client *c, const char *kind, const char *name,
                     const struct consul_query *q, decode_fn decode, void *out,
                     struct consul_meta *meta, struct http_error *err)
{
	return get_at(c, CONSUL_PATH_CONFIG, kind, name, q, decode, out, meta, err);
}

DECODE_AS_VOID(dec_exported_entry, consul_decode_exported_services_entry)
DECODE_AS_VOID(dec_mesh, consul_decode_mesh_entry)
DECODE_AS_VOID(dec_proxy_defaults, consul_decode_proxy_defaults_entry)
DECODE_AS_VOID(dec_service_defaults, consul_decode_service_defaults_entry)

int consul_config_exported_services(struct consul_client *c, const struct consul_query *q,
                                    struct model_exported_services_entry *out,
                                    struct consul_meta *meta, struct http_error *err)
{
	/* CE allows only "default"; on ENT the entry is named after the partition. */
	const char *name = ent_partition(c) ? ent_partition(c) : "default";

	memset(out, 0, sizeof *out);
	return get_entry(c, CONSUL_KIND_EXPORTED_SERVICES, name, q, dec_exported_entry, out, meta,
	                 err);
}

int consul_config_mesh(struct consul_client *c, const struct consul_query *q,
                       struct model_mesh_entry *out, struct consul_meta *meta,
                       struct http_error *err)
{
	memset(out, 0, sizeof *out);
	return get_entry(c, CONSUL_KIND_MESH, "mesh", q, dec_mesh, out, meta, err);
}

int consul_config_proxy_defaults(struct consul_client *c, const struct consul_query *q,
                                 struct model_proxy_defaults_entry *out, struct consul_meta *meta,
                                 struct http_error *err)
{
	memset(out, 0, sizeof *out);
	return get_entry(c, CONSUL_KIND_PROXY_DEFAULTS, "global", q, dec_proxy_defaults, out, meta,
	                 err);
}

int consul_config_service_defaults(struct consul_client *c, const char *service,
                                   const struct consul_query *q,
                                   struct model_service_defaults_entry *out,
                                   struct consul_meta *meta, struct http_error *err)
{
	memset(out, 0, sizeof *out);
	return get_entry(c, CONSUL_KIND_SERVICE_DEFAULTS, service, q, dec_service_defaults, out,
	                 meta, err);
}

struct sd_list {
	struct model_service_defaults_entry *v;
	size_t n;
};

static int dec_sd_list(const char *j, size_t l, void *o, char *e, size_t el)
{
	struct sd_list *sl = o;
	return consul_decode_service_defaults_list(j, l, &sl->v, &sl->n, e, el);
}

int consul_config_service_defaults_list(struct consul_client *c, const struct consul_query *q,
                                        struct model_service_defaults_entry **out, size_t *n,
                                        struct consul_meta *meta, struct http_error *err)
{
	struct sd_list sl = {0};
	int rc = get_entry(c, CONSUL_KIND_SERVICE_DEFAULTS, NULL, q, dec_sd_list, &sl, meta, err);

	*out = sl.v;
	*n = sl.n;
	return rc;
}

/* A body of true or false, as PUT and DELETE with cas answer. */
static int bool_body(const struct http_response *r, bool *out, struct http_error *err)
{
	const char *b = r->body ? r->body : "";

	while (*b == ' ' || *b == '\n' || *b == '\r' || *b == '\t')
		b++;
	if (!strncmp(b, "true", 4)) {
		*out = true;
		return 0;
	}
	if (!strncmp(b, "false", 5)) {
		*out = false;
		return 0;
	}
	return decode_failed(err, "expected true or false in the response");
}

int consul_config_put(struct consul_client *c, const char *entry_json, uint64_t cas,
                      const struct consul_query *q, bool *applied, struct http_error *err)
{
	struct http_response resp = {0};
	char path[64];
	int rc;

	*applied = false;
	if (cas == CONSUL_NO_CAS)
		snprintf(path, sizeof path, "%s", CONSUL_PATH_CONFIG);
	else
		snprintf(path, sizeof path, "%s?cas=%" PRIu64, CONSUL_PATH_CONFIG, cas);
	rc = call(c, "PUT", path, q, entry_json, NULL, &resp, NULL, err);
	if (rc == 0)
		rc = bool_body(&resp, applied, err);
	http_response_clear(&resp);
	return rc;
}

int consul_config_delete(struct consul_client *c, const char *kind, const char *name, uint64_t cas,
                         const struct consul_query *q, bool *applied, struct http_error *err)
{
	struct http_response resp = {0};
	char *base = join_path(CONSUL_PATH_CONFIG, kind, name), *path = NULL;
	int rc;

	*applied = false;
	if (!base)
		return nomem(c, err);
	if (cas != CONSUL_NO_CAS) {
		size_t len = strlen(base) + 32;
		path = malloc(len);
		if (path)
			snprintf(path, len, "%s?cas=%" PRIu64, base, cas);
	}
	if (cas != CONSUL_NO_CAS && !path) {
		free(base);
		return nomem(c, err);
	}
	rc = call(c, "DELETE", path ? path : base, q, NULL, NULL, &resp, NULL, err);
	if (rc == 0 && cas != CONSUL_NO_CAS)
		rc = bool_body(&resp, applied, err);
	else if (rc == 0)
		*applied = true; /* body {} */
	free(base);
	free(path);
	http_response_clear(&resp);
	return rc;
}

/* --------------------------------------------------- services and exports */

DECODE_AS_VOID(dec_health, consul_decode_health_service)
DECODE_AS_VOID(dec_ui_services, consul_decode_ui_services)
DECODE_AS_VOID(dec_exported, consul_decode_exported_services)
DECODE_AS_VOID(dec_imported, consul_decode_imported_services)

int consul_health_service(struct consul_client *c, const char *service,
                          const struct consul_query *q, struct model_instance_list *out,
                          struct consul_meta *meta, struct http_error *err)
{
	memset(out, 0, sizeof *out);
	return get_at(c, "/v1/health/service", service, NULL, q, dec_health, out, meta, err);
}

int consul_ui_services(struct consul_client *c, const struct consul_query *q,
                       struct model_service_summary_list *out, struct consul_meta *meta,
                       struct http_error *err)
{
	memset(out, 0, sizeof *out);
	return get_decoded(c, CONSUL_PATH_UI_SERVICES, q, dec_ui_services, out, meta, err);
}

int consul_ui_exported_services(struct consul_client *c, const struct consul_query *q,
                                struct model_exported_service_list *out, struct consul_meta *meta,
                                struct http_error *err)
{
	struct http_response resp = {0};
	char msg[512];
	int rc;

	memset(out, 0, sizeof *out);
	if (!q || !q->peer || !*q->peer) {
		snprintf(err->cluster, sizeof err->cluster, "%s", http_client_cluster(c->http));
		http_error_setf(err, HTTP_ERR_USAGE, "exported services need a peer name");
		return -1;
	}
	rc = call(c, "GET", CONSUL_PATH_UI_EXPORTED, q, NULL, NULL, &resp, meta, err);
	if (rc == 0 && consul_decode_ui_exported_services(resp.body, resp.body_len, q->peer, out,
	                                                  msg, sizeof msg))
		rc = decode_failed(err, msg);
	http_response_clear(&resp);
	return rc;
}

int consul_exported_services(struct consul_client *c, const struct consul_query *q,
                             struct model_exported_service_list *out, struct consul_meta *meta,
                             struct http_error *err)
{
	memset(out, 0, sizeof *out);
	return get_decoded(c, CONSUL_PATH_EXPORTED, q, dec_exported, out, meta, err);
}

int consul_imported_services(struct consul_client *c, const struct consul_query *q,
                             struct model_imported_service_list *out, struct consul_meta *meta,
                             struct http_error *err)
{
	memset(out, 0, sizeof *out);
	return get_decoded(c, CONSUL_PATH_IMPORTED, q, dec_imported, out, meta, err);
}

/* ---------------------------------------------------------------------- ACL */

int consul_acl_token_self(struct consul_client *c, struct model_acl_token *out,
                          struct http_error *err)
{
	struct http_response resp = {0};
	char msg[512];
	int rc;

	memset(out, 0, sizeof *out);
	rc = call(c, "GET", CONSUL_PATH_ACL_TOKEN_SELF, NULL, NULL, NULL, &resp, NULL, err);
	if (rc == 0 && consul_decode_acl_token(resp.body, resp.body_len, out, msg, sizeof msg))
		rc = decode_failed(err, msg);
	/* The body holds the token's SecretID. */
	wipe_response(&resp);
	return rc;
}

int consul_acl_authorize(struct consul_client *c, struct model_acl_check *checks, size_t n,
                         struct http_error *err)
{
	struct http_response resp = {0};
	char msg[512], *body;
	int rc;

	if (!n || n > CONSUL_AUTHORIZE_MAX) {
		snprintf(err->cluster, sizeof err->cluster, "%s", http_client_cluster(c->http));
		http_error_setf(err, HTTP_ERR_USAGE, "between 1 and %d checks per call, not %zu",
		                CONSUL_AUTHORIZE_MAX, n);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		if (!checks[i].resource || !checks[i].access) {
			snprintf(err->cluster, sizeof err->cluster, "%s",
			         http_client_cluster(c->http));
			http_error_setf(err, HTTP_ERR_USAGE,
			                "check %zu lacks a resource or an access level", i);
			return -1;
		}
	}
	body = consul_encode_authorize(checks, n);
	if (!body)
		return nomem(c, err);
	rc = call(c, "POST", CONSUL_PATH_ACL_AUTHORIZE, NULL, body, NULL, &resp, NULL, err);
	free(body);
	if (rc == 0 &&
	    consul_decode_authorize(resp.body, resp.body_len, checks, n, msg, sizeof msg))
		rc = decode_failed(err, msg);
	http_response_clear(&resp);
	return rc;
}
