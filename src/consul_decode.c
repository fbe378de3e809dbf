/* consul decoders: pure functions from JSON bodies to the model structs.
 * See include/peerscope/consul.h; the encoders are in consul_encode.c.
 *
 * The helpers at the top carry the path of the value being decoded
 * ("peerings[3].StreamStatus") and the first error, so every failure names
 * its place. Getters treat a missing key and null alike (empty value), look
 * keys up exactly and then case-insensitively (Consul's own clients decode
 * keys without regard to case, and some documented samples use lower case),
 * and fail on a wrong type. */
#include "autoconfig.h"

#include "peerscope/consul.h"

#include "consul_internal.h"

#include "peerscope/codec.h"

#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct jctx {
	char *err;
	size_t errlen;
	bool failed;
	size_t plen;
	char path[256];
};

static void jctx_init(struct jctx *j, const char *root, char *err, size_t errlen)
{
	j->err = err;
	j->errlen = errlen;
	j->failed = false;
	if (err && errlen)
		err[0] = '\0';
	snprintf(j->path, sizeof j->path, "%s", root);
	j->plen = strlen(j->path);
}

static size_t jpush(struct jctx *j, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static size_t jpush(struct jctx *j, const char *fmt, ...)
{
	size_t old = j->plen;
	va_list ap;

	if (j->plen + 1 < sizeof j->path) {
		va_start(ap, fmt);
		vsnprintf(j->path + j->plen, sizeof j->path - j->plen, fmt, ap);
		va_end(ap);
		j->plen = strlen(j->path);
	}
	return old;
}

static size_t jpush_key(struct jctx *j, const char *key)
{
	return jpush(j, ".%s", key);
}

static size_t jpush_index(struct jctx *j, size_t i)
{
	return jpush(j, "[%zu]", i);
}

static void jpop(struct jctx *j, size_t len)
{
	if (len < sizeof j->path) {
		j->plen = len;
		j->path[len] = '\0';
	}
}

static int jfail(struct jctx *j, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int jfail(struct jctx *j, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	if (j->failed)
		return -1;
	j->failed = true;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (j->err && j->errlen)
		snprintf(j->err, j->errlen, "%s: %s", j->path, msg);
	return -1;
}

static cJSON *jparse(struct jctx *j, const char *json, size_t len)
{
	char why[128];
	cJSON *root = codec_json_parse(json, len, why, sizeof why);

	if (!root)
		jfail(j, "%s", why);
	return root;
}

const cJSON *consul_json_get(const cJSON *obj, const char *key)
{
	const cJSON *it;

	if (!cJSON_IsObject(obj))
		return NULL;
	cJSON_ArrayForEach(it, obj)
	{
		if (it->string && !strcmp(it->string, key))
			return it;
	}
	cJSON_ArrayForEach(it, obj)
	{
		if (it->string && !strcasecmp(it->string, key))
			return it;
	}
	return NULL;
}

static bool jhas(const cJSON *obj, const char *key)
{
	const cJSON *v = consul_json_get(obj, key);
	return v && !cJSON_IsNull(v);
}

static const char *type_name(const cJSON *v)
{
	if (cJSON_IsString(v))
		return "a string";
	if (cJSON_IsNumber(v))
		return "a number";
	if (cJSON_IsBool(v))
		return "a boolean";
	if (cJSON_IsArray(v))
		return "a list";
	if (cJSON_IsObject(v))
		return "an object";
	return "null";
}

/* The member, or NULL when absent or null. */
static const cJSON *member(const cJSON *obj, const char *key)
{
	const cJSON *v = consul_json_get(obj, key);
	return v && !cJSON_IsNull(v) ? v : NULL;
}

static int wrong(struct jctx *j, const char *key, const char *want, const cJSON *v)
{
	size_t old = jpush_key(j, key);
	jfail(j, "expected %s, found %s", want, type_name(v));
	jpop(j, old);
	return -1;
}

static const cJSON *jobj(struct jctx *j, const cJSON *obj, const char *key)
{
	const cJSON *v = member(obj, key);

	if (v && !cJSON_IsObject(v)) {
		wrong(j, key, "an object", v);
		return NULL;
	}
	return v;
}

static const cJSON *jarr(struct jctx *j, const cJSON *obj, const char *key)
{
	const cJSON *v = member(obj, key);

	if (v && !cJSON_IsArray(v)) {
		wrong(j, key, "a list", v);
		return NULL;
	}
	return v;
}

static const cJSON *jroot_array(struct jctx *j, const cJSON *root)
{
	if (cJSON_IsNull(root))
		return NULL;
	if (!cJSON_IsArray(root)) {
		jfail(j, "expected a list, found %s", type_name(root));
		return NULL;
	}
	return root;
}

static bool jroot_object(struct jctx *j, const cJSON *root)
{
	if (cJSON_IsObject(root))
		return true;
	jfail(j, "expected an object, found %s", type_name(root));
	return false;
}

static int nomem(struct jctx *j)
{
	return jfail(j, "out of memory");
}

static int jstr(struct jctx *j, const cJSON *obj, const char *key, char **out)
{
	const cJSON *v = member(obj, key);

	free(*out);
	*out = NULL;
	if (v && !cJSON_IsString(v))
		return wrong(j, key, "a string", v);
	*out = strdup(v ? v->valuestring : "");
	return *out ? 0 : nomem(j);
}

static int jbool(struct jctx *j, const cJSON *obj, const char *key, bool *out)
{
	const cJSON *v = member(obj, key);

	*out = false;
	if (!v)
		return 0;
	if (!cJSON_IsBool(v))
		return wrong(j, key, "a boolean", v);
	*out = cJSON_IsTrue(v);
	return 0;
}

/* A number in [min, end) named WANT in errors; 0 when absent. */
static int jnumber(struct jctx *j, const cJSON *obj, const char *key, double min, double end,
                   const char *want, double *out)
{
	const cJSON *v = member(obj, key);

	*out = 0;
	if (!v)
		return 0;
	if (!cJSON_IsNumber(v) || v->valuedouble < min || v->valuedouble >= end)
		return wrong(j, key, want, v);
	*out = v->valuedouble;
	return 0;
}

static int ju64(struct jctx *j, const cJSON *obj, const char *key, uint64_t *out)
{
	double d;
	int rc = jnumber(j, obj, key, 0, 18446744073709551616.0, "a non-negative integer", &d);

	*out = (uint64_t)d;
	return rc;
}

static int jint(struct jctx *j, const cJSON *obj, const char *key, int *out)
{
	double d;
	int rc = jnumber(j, obj, key, -2147483648.0, 2147483648.0, "an integer", &d);

	*out = (int)d;
	return rc;
}

static int jtime(struct jctx *j, const cJSON *obj, const char *key, int64_t *out)
{
	const cJSON *v = member(obj, key);

	*out = 0;
	if (!v)
		return 0;
	if (!cJSON_IsString(v))
		return wrong(j, key, "a time", v);
	if (!v->valuestring[0])
		return 0;
	if (model_time_parse(v->valuestring, out)) {
		size_t old = jpush_key(j, key);
		jfail(j, "not an RFC 3339 time: \"%.40s\"", v->valuestring);
		jpop(j, old);
		return -1;
	}
	return 0;
}

static int jstrv(struct jctx *j, const cJSON *obj, const char *key, struct model_strv *out)
{
	const cJSON *a = jarr(j, obj, key), *it;
	size_t i = 0;

	model_strv_clear(out);
	if (!a)
		return j->failed ? -1 : 0;
	cJSON_ArrayForEach(it, a)
	{
		if (!cJSON_IsString(it)) {
			size_t old = jpush_key(j, key);
			jpush_index(j, i);
			jfail(j, "expected a string, found %s", type_name(it));
			jpop(j, old);
			return -1;
		}
		if (model_strv_push(out, it->valuestring))
			return nomem(j);
		i++;
	}
	return 0;
}

static int jmeta(struct jctx *j, const cJSON *obj, const char *key, struct model_meta *out)
{
	const cJSON *o = jobj(j, obj, key), *it;

	model_meta_clear(out);
	if (!o)
		return j->failed ? -1 : 0;
	cJSON_ArrayForEach(it, o)
	{
		if (!cJSON_IsString(it)) {
			size_t old = jpush_key(j, key);
			jpush_key(j, it->string);
			jfail(j, "expected a string, found %s", type_name(it));
			jpop(j, old);
			return -1;
		}
		if (model_meta_set(out, it->string, it->valuestring))
			return nomem(j);
	}
	return 0;
}

static void jwipe(cJSON *item)
{
	if (cJSON_IsString(item) && item->valuestring)
		codec_wipe(item->valuestring, strlen(item->valuestring));
}

/* ------------------------------------------------------------------ lists */

typedef int (*elem_fn)(struct jctx *j, const cJSON *it, void *elem);
typedef void (*clear_fn)(void *elem);

/* NAME: a clear_fn that hands its void *elem to the typed model clear FN. */
#define CLEAR_AS_VOID(name, fn)                                                                    \
	static void name(void *elem)                                                               \
	{                                                                                          \
		fn(elem);                                                                          \
	}

/* Decode every element of arr (NULL: none) into a calloc'd array. */
static int decode_list(struct jctx *j, const cJSON *arr, void **v, size_t *n, size_t size,
                       elem_fn fn, clear_fn clear)
{
	const cJSON *it;
	size_t count = 0, i = 0;
	char *base;

	*v = NULL;
	*n = 0;
	cJSON_ArrayForEach(it, arr)
	{
		count++;
	}
	if (!count)
		return 0;
	base = calloc(count, size);
	if (!base)
		return nomem(j);
	cJSON_ArrayForEach(it, arr)
	{
		size_t old = jpush_index(j, i);
		if (!cJSON_IsObject(it)) {
			jfail(j, "expected an object, found %s", type_name(it));
		} else if (fn(j, it, base + i * size) == 0) {
			jpop(j, old);
			i++;
			continue;
		}
		jpop(j, old);
		for (size_t k = 0; k <= i && k < count; k++)
			clear(base + k * size);
		free(base);
		return -1;
	}
	*v = base;
	*n = count;
	return 0;
}

/* Parse json and check that the top is a list (or null). */
static cJSON *parse_list(struct jctx *j, const char *json, size_t len, const cJSON **arr)
{
	cJSON *root = jparse(j, json, len);

	*arr = NULL;
	if (!root)
		return NULL;
	*arr = jroot_array(j, root);
	if (j->failed) {
		cJSON_Delete(root);
		return NULL;
	}
	return root;
}

static cJSON *parse_object(struct jctx *j, const char *json, size_t len)
{
	cJSON *root = jparse(j, json, len);

	if (root && !jroot_object(j, root)) {
		cJSON_Delete(root);
		return NULL;
	}
	return root;
}

/* Decode the object member key of o (absent or null: fn gets NULL) with the
 * path extended by key. */
static int jnested(struct jctx *j, const cJSON *o, const char *key, elem_fn fn, void *out)
{
	const cJSON *inner = jobj(j, o, key);
	size_t old;
	int rc;

	if (j->failed)
		return -1;
	old = jpush_key(j, key);
	rc = fn(j, inner, out);
	jpop(j, old);
	return rc;
}

/* Decode the list member key of o (absent or null: none) into a calloc'd
 * array, with the path extended by key. */
static int jlist(struct jctx *j, const cJSON *o, const char *key, void **v, size_t *n, size_t size,
                 elem_fn fn, clear_fn clear)
{
	const cJSON *arr = jarr(j, o, key);
	size_t old;
	int rc;

	*v = NULL;
	*n = 0;
	if (j->failed)
		return -1;
	old = jpush_key(j, key);
	rc = decode_list(j, arr, v, n, size, fn, clear);
	jpop(j, old);
	return rc;
}

/* A body that is a list of objects (or null), named root in errors. */
static int decode_body_list(const char *json, size_t len, const char *root, char *err,
                            size_t errlen, void **v, size_t *n, size_t size, elem_fn fn,
                            clear_fn clear)
{
	struct jctx j;
	const cJSON *arr;
	cJSON *tree;
	int rc;

	*v = NULL;
	*n = 0;
	jctx_init(&j, root, err, errlen);
	tree = parse_list(&j, json, len, &arr);
	if (!tree)
		return -1;
	rc = decode_list(&j, arr, v, n, size, fn, clear);
	cJSON_Delete(tree);
	return rc;
}

/* A body that is one object, decoded by fn into out (size bytes, zeroed
 * first); cleared again on failure. */
static int decode_body_object(const char *json, size_t len, const char *root, char *err,
                              size_t errlen, void *out, size_t size, elem_fn fn, clear_fn clear)
{
	struct jctx j;
	cJSON *tree;

	memset(out, 0, size);
	jctx_init(&j, root, err, errlen);
	tree = parse_object(&j, json, len);
	if (!tree)
		return -1;
	if (fn(&j, tree, out))
		clear(out);
	cJSON_Delete(tree);
	return j.failed ? -1 : 0;
}

/* ---------------------------------------------------------------- identity */

static bool version_is_enterprise(const char *v)
{
	const char *plus = strchr(v, '+');
	return plus && strstr(plus, "ent");
}

int consul_decode_agent_self(const char *json, size_t len, struct model_cluster_identity *out,
                             char *err, size_t errlen)
{
	struct jctx j;
	cJSON *root;
	const cJSON *cfg;

	memset(out, 0, sizeof *out);
	jctx_init(&j, "agent/self", err, errlen);
	root = parse_object(&j, json, len);
	if (!root)
		return -1;
	cfg = jobj(&j, root, "Config");
	if (!cfg && !j.failed)
		jfail(&j, "the Config object is missing");
	if (!j.failed) {
		size_t old = jpush_key(&j, "Config");
		if (!jstr(&j, cfg, "Datacenter", &out->datacenter) &&
		    !jstr(&j, cfg, "PrimaryDatacenter", &out->primary_datacenter) &&
		    !jstr(&j, cfg, "NodeName", &out->node_name) &&
		    !jstr(&j, cfg, "NodeID", &out->node_id) &&
		    !jstr(&j, cfg, "Partition", &out->partition) &&
		    !jstr(&j, cfg, "Revision", &out->revision) &&
		    !jstr(&j, cfg, "Version", &out->version) &&
		    !jbool(&j, cfg, "Server", &out->server) &&
		    !jtime(&j, cfg, "BuildDate", &out->build_date_ns)) {
			out->enterprise = version_is_enterprise(out->version) || *out->partition;
		}
		jpop(&j, old);
	}
	if (!j.failed && !(out->leader = strdup("")))
		nomem(&j);
	cJSON_Delete(root);
	if (j.failed)
		model_cluster_identity_clear(out);
	return j.failed ? -1 : 0;
}

/* Replace *dst by a copy of src; false when out of memory. */
static bool replace_str(char **dst, const char *src)
{
	char *s = strdup(src);

	if (!s)
		return false;
	free(*dst);
	*dst = s;
	return true;
}

int consul_decode_agent_version(const char *json, size_t len, struct model_cluster_identity *out,
                                char *err, size_t errlen)
{
	struct jctx j;
	cJSON *root;
	char *version = NULL, *sha = NULL;
	int64_t built = 0;
	const cJSON *fips;

	jctx_init(&j, "agent/version", err, errlen);
	root = parse_object(&j, json, len);
	if (!root)
		return -1;
	if (!jstr(&j, root, "HumanVersion", &version) && !jstr(&j, root, "SHA", &sha) &&
	    !jtime(&j, root, "BuildDate", &built)) {
		fips = consul_json_get(root, "FIPS");
		if (*version && !replace_str(&out->version, version))
			nomem(&j);
		if (*sha && !j.failed && !replace_str(&out->revision, sha))
			nomem(&j);
		if (built)
			out->build_date_ns = built;
		out->fips = (cJSON_IsString(fips) && fips->valuestring[0] &&
		             strcasecmp(fips->valuestring, "false")) ||
		            cJSON_IsTrue(fips);
		if (*version && version_is_enterprise(version))
			out->enterprise = true;
	}
	free(version);
	free(sha);
	cJSON_Delete(root);
	return j.failed ? -1 : 0;
}

int consul_decode_leader(const char *json, size_t len, char **out, char *err, size_t errlen)
{
	struct jctx j;
	cJSON *root;

	*out = NULL;
	jctx_init(&j, "status/leader", err, errlen);
	root = jparse(&j, json, len);
	if (!root)
		return -1;
	if (!cJSON_IsString(root))
		jfail(&j, "expected a string, found %s", type_name(root));
	else if (!(*out = strdup(root->valuestring)))
		nomem(&j);
	cJSON_Delete(root);
	return j.failed ? -1 : 0;
}

/* ---------------------------------------------------------------- peerings */

static int locality_fields(struct jctx *j, const cJSON *loc, void *out)
{
	struct model_locality *l = out;

	return jstr(j, loc, "Region", &l->region) || jstr(j, loc, "Zone", &l->zone) ? -1 : 0;
}

static int locality_decode(struct jctx *j, const cJSON *o, const char *key, bool *has,
                           struct model_locality *l)
{
	*has = member(o, key) != NULL;
	return jnested(j, o, key, locality_fields, l);
}

static int stream_fields(struct jctx *j, const cJSON *st, void *out)
{
	struct model_peering *p = out;
	struct model_stream_status *s = &p->stream;

	p->has_stream_status = st != NULL;
	return jstrv(j, st, "ImportedServices", &s->imported_services) ||
	                       jstrv(j, st, "ExportedServices", &s->exported_services) ||
	                       jtime(j, st, "LastHeartbeat", &s->last_heartbeat_ns) ||
	                       jtime(j, st, "LastReceive", &s->last_receive_ns) ||
	                       jtime(j, st, "LastSend", &s->last_send_ns)
	               ? -1
	               : 0;
}

static int remote_fields(struct jctx *j, const cJSON *r, void *out)
{
	struct model_peering *p = out;
	struct model_peering_remote *rm = &p->remote;

	p->has_remote = r != NULL;
	return jstr(j, r, "Partition", &rm->partition) ||
	                       jstr(j, r, "Datacenter", &rm->datacenter) ||
	                       locality_decode(j, r, "Locality", &rm->has_locality, &rm->locality)
	               ? -1
	               : 0;
}

static int peering_elem(struct jctx *j, const cJSON *o, void *elem)
{
	struct model_peering *p = elem;

	if (jstr(j, o, "ID", &p->id) || jstr(j, o, "Name", &p->name) ||
	    jstr(j, o, "Partition", &p->partition) || jtime(j, o, "DeletedAt", &p->deleted_at_ns) ||
	    jmeta(j, o, "Meta", &p->meta) || jstr(j, o, "State", &p->state_text) ||
	    jstr(j, o, "PeerID", &p->peer_id) || jstrv(j, o, "PeerCAPems", &p->peer_ca_pems) ||
	    jstr(j, o, "PeerServerName", &p->peer_server_name) ||
	    jstrv(j, o, "PeerServerAddresses", &p->peer_server_addresses) ||
	    jnested(j, o, "StreamStatus", stream_fields, p) ||
	    jnested(j, o, "Remote", remote_fields, p) ||
	    ju64(j, o, "CreateIndex", &p->create_index) ||
	    ju64(j, o, "ModifyIndex", &p->modify_index))
		return -1;
	p->state = model_peering_state_parse(p->state_text);
	p->has_counts = jhas(o, "ImportedServiceCount") || jhas(o, "ExportedServiceCount");
	if (ju64(j, o, "ImportedServiceCount", &p->imported_service_count) ||
	    ju64(j, o, "ExportedServiceCount", &p->exported_service_count))
		return -1;
	return 0;
}

CLEAR_AS_VOID(peering_clear_v, model_peering_clear)

int consul_decode_peering(const char *json, size_t len, struct model_peering *out, char *err,
                          size_t errlen)
{
	return decode_body_object(json, len, "peering", err, errlen, out, sizeof *out, peering_elem,
	                          peering_clear_v);
}

/* The tree decoder's list, the reference consul_scan_peerings.c is checked
 * against (consul_internal.h). */
int consul_decode_peerings_tree(const char *json, size_t len, struct model_peering_list *out,
                                char *err, size_t errlen)
{
	out->shape = 0;
	return decode_body_list(json, len, "peerings", err, errlen, (void **)&out->v, &out->n,
	                        sizeof *out->v, peering_elem, peering_clear_v);
}

/* ----------------------------------------------------------- peering token */

/* A Kubernetes Secret's data value is the token base64-encoded once more:
 * when the first decoding gives base64 text rather than JSON, decode again. */
static void unwrap_secret_data(unsigned char **raw, size_t *len)
{
	unsigned char *inner;
	size_t inner_len = 0;
	long bad_at;
	size_t i = 0;

	while (i < *len && (*raw)[i] <= ' ')
		i++;
	if (i == *len || (*raw)[i] == '{')
		return;
	inner = codec_base64_decode((const char *)*raw, *len, CODEC_B64_LENIENT, &inner_len,
	                            &bad_at);
	if (!inner)
		return;
	for (i = 0; i < inner_len && inner[i] <= ' ';)
		i++;
	if (i == inner_len || inner[i] != '{') {
		codec_wipe(inner, inner_len);
		free(inner);
		return;
	}
	codec_wipe(*raw, *len);
	free(*raw);
	*raw = inner;
	*len = inner_len;
}

static int token_remote(struct jctx *j, const cJSON *remote, void *out)
{
	struct model_token_summary *t = out;

	return jstr(j, remote, "Partition", &t->remote_partition) ||
	                       jstr(j, remote, "Datacenter", &t->remote_datacenter) ||
	                       locality_decode(j, remote, "Locality", &t->has_locality,
	                                       &t->locality)
	               ? -1
	               : 0;
}

static int token_fields(struct jctx *j, const cJSON *o, struct model_token_summary *t)
{
	if (jstrv(j, o, "CA", &t->ca_pems) ||
	    jstrv(j, o, "ManualServerAddresses", &t->manual_server_addresses) ||
	    jstrv(j, o, "ServerAddresses", &t->server_addresses) ||
	    jstr(j, o, "ServerName", &t->server_name) || jstr(j, o, "PeerID", &t->peer_id) ||
	    jnested(j, o, "Remote", token_remote, t))
		return -1;
	t->target = model_token_target_guess(t->server_addresses.n ? &t->server_addresses
	                                                           : &t->manual_server_addresses);
	return 0;
}

int consul_decode_peering_token(const char *token, struct model_token_summary *out, char *err,
                                size_t errlen)
{
	struct jctx j;
	unsigned char *raw;
	size_t raw_len = 0;
	long bad_at;
	cJSON *root = NULL;
	cJSON *secret;

	memset(out, 0, sizeof *out);
	jctx_init(&j, "peering token", err, errlen);
	if (!token || !*token)
		return jfail(&j, "the token is empty");
	raw = codec_base64_decode(token, strlen(token), CODEC_B64_LENIENT, &raw_len, &bad_at);
	if (!raw)
		return bad_at >= 0 ? jfail(&j, "not base64: bad character at offset %ld", bad_at)
		                   : nomem(&j);
	unwrap_secret_data(&raw, &raw_len);
	root = parse_object(&j, (const char *)raw, raw_len);
	codec_wipe(raw, raw_len);
	free(raw);
	if (!root)
		return -1;
	secret = (cJSON *)consul_json_get(root, "EstablishmentSecret");
	out->has_secret = cJSON_IsString(secret) && secret->valuestring[0];
	/* The secret never leaves this function. */
	jwipe(secret);
	if (token_fields(&j, root, out))
		model_token_summary_clear(out);
	cJSON_Delete(root);
	return j.failed ? -1 : 0;
}

/* ----------------------------------------------------------- config entries */

static int head_decode(struct jctx *j, const cJSON *o, struct model_entry_head *h)
{
	return jstr(j, o, "Kind", &h->kind) || jstr(j, o, "Name", &h->name) ||
	                       jstr(j, o, "Partition", &h->partition) ||
	                       jstr(j, o, "Namespace", &h->ns) || jmeta(j, o, "Meta", &h->meta) ||
	                       ju64(j, o, "CreateIndex", &h->create_index) ||
	                       ju64(j, o, "ModifyIndex", &h->modify_index)
	               ? -1
	               : 0;
}

/* The kind of an entry must be the one asked for (when present). */
static int check_kind(struct jctx *j, const struct model_entry_head *h, const char *kind)
{
	if (*h->kind && strcasecmp(h->kind, kind))
		return jfail(j, "expected a %s entry, found Kind \"%.40s\"", kind, h->kind);
	return 0;
}

static int mgw_fields(struct jctx *j, const cJSON *mg, void *out)
{
	enum model_mgw_mode *mode = out;
	char *text = NULL;

	if (jstr(j, mg, "Mode", &text))
		return -1;
	*mode = model_mgw_mode_parse(text);
	free(text);
	return 0;
}

/* MeshGateway.Mode of o into *mode. */
static int mgw_decode(struct jctx *j, const cJSON *o, enum model_mgw_mode *mode)
{
	*mode = MODEL_MGW_DEFAULT;
	return jnested(j, o, "MeshGateway", mgw_fields, mode);
}

static int consumer_elem(struct jctx *j, const cJSON *o, void *elem)
{
	struct model_export_consumer *c = elem;

	if (jstr(j, o, "Peer", &c->peer) || jstr(j, o, "Partition", &c->partition) ||
	    jstr(j, o, "SamenessGroup", &c->sameness_group))
		return -1;
	/* Some 1.13-era documents spelt the key PeerName. */
	if (!*c->peer && jhas(o, "PeerName") && jstr(j, o, "PeerName", &c->peer))
		return -1;
	return 0;
}

CLEAR_AS_VOID(consumer_clear_v, model_export_consumer_clear)

static int export_elem(struct jctx *j, const cJSON *o, void *elem)
{
	struct model_export_service *s = elem;

	return jstr(j, o, "Name", &s->name) || jstr(j, o, "Namespace", &s->ns) ||
	                       jlist(j, o, "Consumers", (void **)&s->consumers, &s->nconsumers,
	                             sizeof *s->consumers, consumer_elem, consumer_clear_v)
	               ? -1
	               : 0;
}

CLEAR_AS_VOID(export_clear_v, model_export_service_clear)

static int exported_entry_elem(struct jctx *j, const cJSON *o, void *elem)
{
	struct model_exported_services_entry *e = elem;

	return head_decode(j, o, &e->head) ||
	                       check_kind(j, &e->head, CONSUL_KIND_EXPORTED_SERVICES) ||
	                       jlist(j, o, "Services", (void **)&e->services, &e->nservices,
	                             sizeof *e->services, export_elem, export_clear_v)
	               ? -1
	               : 0;
}

CLEAR_AS_VOID(exported_entry_clear_v, model_exported_services_entry_clear)

int consul_decode_exported_services_entry(const char *json, size_t len,
                                          struct model_exported_services_entry *out, char *err,
                                          size_t errlen)
{
	return decode_body_object(json, len, "exported-services", err, errlen, out, sizeof *out,
	                          exported_entry_elem, exported_entry_clear_v);
}

static int mesh_peering(struct jctx *j, const cJSON *o, void *out)
{
	return jbool(j, o, "PeerThroughMeshGateways", out);
}

static int mesh_tproxy(struct jctx *j, const cJSON *o, void *out)
{
	return jbool(j, o, "MeshDestinationsOnly", out);
}

static int mesh_elem(struct jctx *j, const cJSON *o, void *elem)
{
	struct model_mesh_entry *e = elem;

	return head_decode(j, o, &e->head) || check_kind(j, &e->head, CONSUL_KIND_MESH) ||
	                       jbool(j, o, "AllowEnablingPermissiveMutualTLS",
	                             &e->allow_enabling_permissive_mtls) ||
	                       jnested(j, o, "Peering", mesh_peering,
	                               &e->peer_through_mesh_gateways) ||
	                       jnested(j, o, "TransparentProxy", mesh_tproxy,
	                               &e->mesh_destinations_only)
	               ? -1
	               : 0;
}

CLEAR_AS_VOID(mesh_clear_v, model_mesh_entry_clear)

int consul_decode_mesh_entry(const char *json, size_t len, struct model_mesh_entry *out, char *err,
                             size_t errlen)
{
	return decode_body_object(json, len, "mesh", err, errlen, out, sizeof *out, mesh_elem,
	                          mesh_clear_v);
}

static int proxy_defaults_elem(struct jctx *j, const cJSON *o, void *elem)
{
	struct model_proxy_defaults_entry *e = elem;
	const cJSON *cfg, *proto;

	if (head_decode(j, o, &e->head) || check_kind(j, &e->head, CONSUL_KIND_PROXY_DEFAULTS) ||
	    mgw_decode(j, o, &e->mgw_mode))
		return -1;
	/* Config is free-form; only a string protocol is of interest. */
	cfg = jobj(j, o, "Config");
	proto = consul_json_get(cfg, "protocol");
	if (j->failed)
		return -1;
	e->protocol = strdup(cJSON_IsString(proto) ? proto->valuestring : "");
	return e->protocol ? 0 : nomem(j);
}

CLEAR_AS_VOID(proxy_defaults_clear_v, model_proxy_defaults_entry_clear)

int consul_decode_proxy_defaults_entry(const char *json, size_t len,
                                       struct model_proxy_defaults_entry *out, char *err,
                                       size_t errlen)
{
	return decode_body_object(json, len, "proxy-defaults", err, errlen, out, sizeof *out,
	                          proxy_defaults_elem, proxy_defaults_clear_v);
}

static int override_elem(struct jctx *j, const cJSON *o, void *elem)
{
	struct model_upstream_override *u = elem;

	return jstr(j, o, "Name", &u->name) || jstr(j, o, "Peer", &u->peer) ||
	                       jstr(j, o, "Namespace", &u->ns) ||
	                       jstr(j, o, "Partition", &u->partition) ||
	                       mgw_decode(j, o, &u->mgw_mode)
	               ? -1
	               : 0;
}

CLEAR_AS_VOID(override_clear_v, model_upstream_override_clear)

static int upstream_defaults(struct jctx *j, const cJSON *defs, void *out)
{
	struct model_service_defaults_entry *e = out;

	e->has_upstream_defaults = defs != NULL;
	return mgw_decode(j, defs, &e->upstream_defaults_mgw_mode);
}

static int upstream_fields(struct jctx *j, const cJSON *uc, void *out)
{
	struct model_service_defaults_entry *e = out;

	return jlist(j, uc, "Overrides", (void **)&e->overrides, &e->noverrides,
	             sizeof *e->overrides, override_elem, override_clear_v) ||
	                       jnested(j, uc, "Defaults", upstream_defaults, e)
	               ? -1
	               : 0;
}

static int service_defaults_elem(struct jctx *j, const cJSON *o, void *elem)
{
	struct model_service_defaults_entry *e = elem;

	return head_decode(j, o, &e->head) ||
	                       check_kind(j, &e->head, CONSUL_KIND_SERVICE_DEFAULTS) ||
	                       jstr(j, o, "Protocol", &e->protocol) ||
	                       mgw_decode(j, o, &e->mgw_mode) ||
	                       jnested(j, o, "UpstreamConfig", upstream_fields, e)
	               ? -1
	               : 0;
}

CLEAR_AS_VOID(service_defaults_clear_v, model_service_defaults_entry_clear)

int consul_decode_service_defaults_entry(const char *json, size_t len,
                                         struct model_service_defaults_entry *out, char *err,
                                         size_t errlen)
{
	return decode_body_object(json, len, "service-defaults", err, errlen, out, sizeof *out,
	                          service_defaults_elem, service_defaults_clear_v);
}

int consul_decode_service_defaults_list(const char *json, size_t len,
                                        struct model_service_defaults_entry **out, size_t *n,
                                        char *err, size_t errlen)
{
	return decode_body_list(json, len, "service-defaults", err, errlen, (void **)out, n,
	                        sizeof **out, service_defaults_elem, service_defaults_clear_v);
}

void consul_service_defaults_list_free(struct model_service_defaults_entry *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		model_service_defaults_entry_clear(&v[i]);
	free(v);
}

/* One source of a service-intentions entry: an L4 Action, or L7
 * Permissions (only counted). */
static int intention_source_elem(struct jctx *j, const cJSON *o, void *elem)
{
	struct model_intention_source *x = elem;
	const cJSON *perms;
	char *action = NULL;

	if (jstr(j, o, "Name", &x->name) || jstr(j, o, "Peer", &x->peer) ||
	    jstr(j, o, "Namespace", &x->ns) || jstr(j, o, "Partition", &x->partition) ||
	    jstr(j, o, "SamenessGroup", &x->sameness_group) ||
	    jstr(j, o, "Description", &x->description) || jstr(j, o, "Action", &action))
		return -1;
	perms = jarr(j, o, "Permissions");
	if (j->failed) {
		free(action);
		return -1;
	}
	x->npermissions = (size_t)cJSON_GetArraySize(perms);
	x->action = !strcasecmp(action, "allow")  ? MODEL_INTENTION_ALLOW
	            : !strcasecmp(action, "deny") ? MODEL_INTENTION_DENY
	                                          : MODEL_INTENTION_L7;
	free(action);
	return 0;
}

CLEAR_AS_VOID(intention_source_clear_v, model_intention_source_clear)

static int intentions_elem(struct jctx *j, const cJSON *o, void *elem)
{
	struct model_service_intentions_entry *e = elem;

	return head_decode(j, o, &e->head) ||
	                       check_kind(j, &e->head, CONSUL_KIND_SERVICE_INTENTIONS) ||
	                       jlist(j, o, "Sources", (void **)&e->sources, &e->nsources,
	                             sizeof *e->sources, intention_source_elem,
	                             intention_source_clear_v)
	               ? -1
	               : 0;
}

CLEAR_AS_VOID(intentions_clear_v, model_service_intentions_entry_clear)

int consul_decode_service_intentions_entry(const char *json, size_t len,
                                           struct model_service_intentions_entry *out, char *err,
                                           size_t errlen)
{
	return decode_body_object(json, len, "service-intentions", err, errlen, out, sizeof *out,
	                          intentions_elem, intentions_clear_v);
}

int consul_decode_service_intentions_list(const char *json, size_t len,
                                          struct model_service_intentions_entry **out, size_t *n,
                                          char *err, size_t errlen)
{
	return decode_body_list(json, len, "service-intentions", err, errlen, (void **)out, n,
	                        sizeof **out, intentions_elem, intentions_clear_v);
}

void consul_service_intentions_list_free(struct model_service_intentions_entry *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		model_service_intentions_entry_clear(&v[i]);
	free(v);
}

/* ------------------------------------------------------- service instances */

static int address_fields(struct jctx *j, const cJSON *o, void *out)
{
	struct model_address *a = out;

	return jstr(j, o, "Address", &a->address) || jint(j, o, "Port", &a->port) ? -1 : 0;
}

static int tagged_fields(struct jctx *j, const cJSON *tagged, void *out)
{
	struct model_service_instance *s = out;

	return jnested(j, tagged, "lan", address_fields, &s->lan) ||
	                       jnested(j, tagged, "wan", address_fields, &s->wan)
	               ? -1
	               : 0;
}

/* The worst check: critical, then maintenance, warning, passing. */
static int checks_decode(struct jctx *j, const cJSON *o, struct model_service_instance *s)
{
	const cJSON *arr = jarr(j, o, "Checks"), *it;
	bool maint = false;
	size_t i = 0;

	if (j->failed)
		return -1;
	cJSON_ArrayForEach(it, arr)
	{
		size_t old = jpush_key(j, "Checks");
		char *status = NULL;
		jpush_index(j, i++);
		if (!cJSON_IsObject(it) || jstr(j, it, "Status", &status)) {
			jfail(j, "expected a check object");
			free(status);
			return -1;
		}
		jpop(j, old);
		switch (model_health_parse(status)) {
		case MODEL_HEALTH_PASSING:
			s->checks_passing++;
			break;
		case MODEL_HEALTH_WARNING:
			s->checks_warning++;
			break;
		case MODEL_HEALTH_CRITICAL:
			s->checks_critical++;
			break;
		case MODEL_HEALTH_MAINTENANCE:
			maint = true;
			break;
		default:
			break;
		}
		free(status);
	}
	if (s->checks_critical)
		s->health = MODEL_HEALTH_CRITICAL;
	else if (maint)
		s->health = MODEL_HEALTH_MAINTENANCE;
	else if (s->checks_warning)
		s->health = MODEL_HEALTH_WARNING;
	else if (s->checks_passing)
		s->health = MODEL_HEALTH_PASSING;
	return 0;
}

/* Service.Proxy.Config is opaque to Consul: each value is kept as text, a
 * string as it is and anything else as compact JSON. */
static int instance_proxy(struct jctx *j, const cJSON *proxy, void *out)
{
	struct model_service_instance *s = out;
	const cJSON *cfg = jobj(j, proxy, "Config"), *it;

	model_meta_clear(&s->proxy_config);
	if (!cfg)
		return j->failed ? -1 : 0;
	cJSON_ArrayForEach(it, cfg)
	{
		char *text = cJSON_IsString(it) ? NULL : cJSON_PrintUnformatted(it);
		int rc;
		if (!cJSON_IsString(it) && !text)
			return nomem(j);
		rc = model_meta_set(&s->proxy_config, it->string, text ? text : it->valuestring);
		cJSON_free(text);
		if (rc)
			return nomem(j);
	}
	return 0;
}

static int instance_service(struct jctx *j, const cJSON *svc, void *out)
{
	struct model_service_instance *s = out;

	if (jstr(j, svc, "ID", &s->service_id) || jstr(j, svc, "Service", &s->service_name) ||
	    jstr(j, svc, "Kind", &s->kind) || jstr(j, svc, "Address", &s->address) ||
	    jint(j, svc, "Port", &s->port) || jstrv(j, svc, "Tags", &s->tags) ||
	    jmeta(j, svc, "Meta", &s->meta))
		return -1;
	if (jhas(svc, "PeerName") && jstr(j, svc, "PeerName", &s->peer_name))
		return -1;
	if (jstr(j, svc, "Partition", &s->partition))
		return -1;
	if (jnested(j, svc, "Proxy", instance_proxy, s))
		return -1;
	return jnested(j, svc, "TaggedAddresses", tagged_fields, s);
}

static int instance_node(struct jctx *j, const cJSON *node, void *out)
{
	struct model_service_instance *s = out;

	return jstr(j, node, "Node", &s->node) || jstr(j, node, "Address", &s->node_address) ||
	                       jstr(j, node, "Datacenter", &s->datacenter) ||
	                       jstr(j, node, "PeerName", &s->peer_name)
	               ? -1
	               : 0;
}

static int instance_elem(struct jctx *j, const cJSON *o, void *elem)
{
	return jnested(j, o, "Node", instance_node, elem) ||
	                       jnested(j, o, "Service", instance_service, elem) ||
	                       checks_decode(j, o, elem)
	               ? -1
	               : 0;
}

CLEAR_AS_VOID(instance_clear_v, model_service_instance_clear)

/* ------------------------------------------------------------ agent members */

/* serf's member status: 3 is "left" (api/agent.go, MemberStatus). */
#define MEMBER_LEFT 3

static int member_elem(struct jctx *j, const cJSON *o, void *out)
{
	struct model_meta *servers = out;
	const cJSON *tags;
	char *name = NULL, *role = NULL, *build = NULL;
	int status = 0, rc = -1;

	if (!cJSON_IsObject(o)) {
		jfail(j, "expected an object, found %s", type_name(o));
		return -1;
	}
	tags = jobj(j, o, "Tags");
	if (j->failed || jstr(j, o, "Name", &name) || jint(j, o, "Status", &status))
		goto out;
	if (jstr(j, tags, "role", &role) || jstr(j, tags, "build", &build))
		goto out;
	rc = 0;
	if (strcmp(role, "consul") || status == MEMBER_LEFT)
		goto out;
	/* Tags.build is "<version>:<revision>" (agent/agent.go, newConsulConfig). */
	build[strcspn(build, ":")] = '\0';
	if (model_meta_set(servers, name, build))
		rc = nomem(j);
out:
	free(name);
	free(role);
	free(build);
	return rc;
}

int consul_decode_members(const char *json, size_t len, struct model_meta *servers, char *err,
                          size_t errlen)
{
	struct jctx j;
	const cJSON *arr, *it;
	cJSON *root;
	size_t i = 0;

	model_meta_clear(servers);
	jctx_init(&j, "agent/members", err, errlen);
	root = parse_list(&j, json, len, &arr);
	if (!root)
		return -1;
	cJSON_ArrayForEach(it, arr)
	{
		size_t old = jpush_index(&j, i++);
		if (member_elem(&j, it, servers))
			break;
		jpop(&j, old);
	}
	cJSON_Delete(root);
	if (j.failed)
		model_meta_clear(servers);
	return j.failed ? -1 : 0;
}

static int partition_elem(struct jctx *j, const cJSON *o, void *out)
{
	char *name = NULL;
	int rc = jstr(j, o, "Name", &name);

	if (rc == 0 && *name && model_strv_push(out, name))
		rc = nomem(j);
	free(name);
	return rc;
}

int consul_decode_partitions(const char *json, size_t len, struct model_strv *names, char *err,
                             size_t errlen)
{
	struct jctx j;
	const cJSON *arr, *it;
	cJSON *root;
	size_t i = 0;

	model_strv_clear(names);
	jctx_init(&j, "partitions", err, errlen);
	root = parse_list(&j, json, len, &arr);
	if (!root)
		return -1;
	cJSON_ArrayForEach(it, arr)
	{
		size_t old = jpush_index(&j, i++);
		if (partition_elem(&j, it, names))
			break;
		jpop(&j, old);
	}
	cJSON_Delete(root);
	if (j.failed)
		model_strv_clear(names);
	return j.failed ? -1 : 0;
}

int consul_decode_health_service(const char *json, size_t len, struct model_instance_list *out,
                                 char *err, size_t errlen)
{
	return decode_body_list(json, len, "health/service", err, errlen, (void **)&out->v, &out->n,
	                        sizeof *out->v, instance_elem, instance_clear_v);
}

/* ------------------------------------------------------ summaries, exports */

/* consul_decode_ui_services() scans its body: src/consul_scan.c. */

CLEAR_AS_VOID(exported_clear_v, model_exported_service_clear)

static int ui_export_elem(struct jctx *j, const cJSON *o, void *elem)
{
	struct model_exported_service *s = elem;

	return jstr(j, o, "Name", &s->service) || jstr(j, o, "Partition", &s->partition) ||
	                       jstr(j, o, "Namespace", &s->ns)
	               ? -1
	               : 0;
}

int consul_decode_ui_exported_services(const char *json, size_t len, const char *peer,
                                       struct model_exported_service_list *out, char *err,
                                       size_t errlen)
{
	int rc = decode_body_list(json, len, "internal/ui/exported-services", err, errlen,
	                          (void **)&out->v, &out->n, sizeof *out->v, ui_export_elem,
	                          exported_clear_v);

	for (size_t i = 0; !rc && peer && *peer && i < out->n; i++) {
		if (model_strv_push(&out->v[i].peers, peer)) {
			model_exported_service_list_free(out);
			if (err && errlen)
				snprintf(err, errlen,
				         "internal/ui/exported-services: out of memory");
			rc = -1;
		}
	}
	return rc;
}

static int consumers_fields(struct jctx *j, const cJSON *cons, void *out)
{
	struct model_exported_service *s = out;

	return jstrv(j, cons, "Peers", &s->peers) || jstrv(j, cons, "Partitions", &s->partitions)
	               ? -1
	               : 0;
}

static int export_resolved_elem(struct jctx *j, const cJSON *o, void *elem)
{
	struct model_exported_service *s = elem;

	return jstr(j, o, "Service", &s->service) || jstr(j, o, "Partition", &s->partition) ||
	                       jstr(j, o, "Namespace", &s->ns) ||
	                       jnested(j, o, "Consumers", consumers_fields, s)
	               ? -1
	               : 0;
}

int consul_decode_exported_services(const char *json, size_t len,
                                    struct model_exported_service_list *out, char *err,
                                    size_t errlen)
{
	return decode_body_list(json, len, "exported-services", err, errlen, (void **)&out->v,
	                        &out->n, sizeof *out->v, export_resolved_elem, exported_clear_v);
}

static int imported_elem(struct jctx *j, const cJSON *o, void *elem)
{
	struct model_imported_service *s = elem;

	return jstr(j, o, "Service", &s->service) || jstr(j, o, "Partition", &s->partition) ||
	                       jstr(j, o, "Namespace", &s->ns) ||
	                       jstr(j, o, "SourcePeer", &s->source_peer) ||
	                       jstr(j, o, "SourcePartition", &s->source_partition)
	               ? -1
	               : 0;
}

CLEAR_AS_VOID(imported_clear_v, model_imported_service_clear)

int consul_decode_imported_services(const char *json, size_t len,
                                    struct model_imported_service_list *out, char *err,
                                    size_t errlen)
{
	return decode_body_list(json, len, "imported-services", err, errlen, (void **)&out->v,
	                        &out->n, sizeof *out->v, imported_elem, imported_clear_v);
}

/* ---------------------------------------------------------------------- ACL */

static int link_elem(struct jctx *j, const cJSON *o, void *elem)
{
	struct model_acl_link *l = elem;

	return jstr(j, o, "ID", &l->id) || jstr(j, o, "Name", &l->name) ? -1 : 0;
}

static void link_clear(void *elem)
{
	struct model_acl_link *l = elem;

	free(l->id);
	free(l->name);
}

/* The names under key (a list of objects) into out. */
static int names_decode(struct jctx *j, const cJSON *o, const char *key, const char *name_key,
                        struct model_strv *out)
{
	const cJSON *arr = jarr(j, o, key), *it;
	size_t i = 0;

	if (j->failed)
		return -1;
	cJSON_ArrayForEach(it, arr)
	{
		size_t old = jpush_key(j, key);
		char *name = NULL;
		jpush_index(j, i++);
		if (!cJSON_IsObject(it))
			return jfail(j, "expected an object, found %s", type_name(it));
		if (jstr(j, it, name_key, &name))
			return -1;
		jpop(j, old);
		int rc = model_strv_push(out, name);
		free(name);
		if (rc)
			return nomem(j);
	}
	return 0;
}

static int acl_token_elem(struct jctx *j, const cJSON *o, void *elem)
{
	struct model_acl_token *t = elem;

	/* The response repeats the token's secret: wipe it from the tree. */
	jwipe((cJSON *)consul_json_get(o, "SecretID"));
	return jstr(j, o, "AccessorID", &t->accessor_id) ||
	                       jstr(j, o, "Description", &t->description) ||
	                       jlist(j, o, "Policies", (void **)&t->policies, &t->npolicies,
	                             sizeof *t->policies, link_elem, link_clear) ||
	                       jlist(j, o, "Roles", (void **)&t->roles, &t->nroles,
	                             sizeof *t->roles, link_elem, link_clear) ||
	                       names_decode(j, o, "ServiceIdentities", "ServiceName",
	                                    &t->service_identities) ||
	                       names_decode(j, o, "NodeIdentities", "NodeName",
	                                    &t->node_identities) ||
	                       jbool(j, o, "Local", &t->local) ||
	                       jstr(j, o, "AuthMethod", &t->auth_method) ||
	                       jtime(j, o, "ExpirationTime", &t->expiration_time_ns) ||
	                       jtime(j, o, "CreateTime", &t->create_time_ns) ||
	                       ju64(j, o, "CreateIndex", &t->create_index) ||
	                       ju64(j, o, "ModifyIndex", &t->modify_index)
	               ? -1
	               : 0;
}

CLEAR_AS_VOID(acl_token_clear_v, model_acl_token_clear)

int consul_decode_acl_token(const char *json, size_t len, struct model_acl_token *out, char *err,
                            size_t errlen)
{
	return decode_body_object(json, len, "acl/token/self", err, errlen, out, sizeof *out,
	                          acl_token_elem, acl_token_clear_v);
}

int consul_decode_authorize(const char *json, size_t len, struct model_acl_check *checks, size_t n,
                            char *err, size_t errlen)
{
	struct jctx j;
	const cJSON *arr, *it;
	cJSON *root;
	size_t i = 0;

	jctx_init(&j, "internal/acl/authorize", err, errlen);
	root = parse_list(&j, json, len, &arr);
	if (!root)
		return -1;
	if ((size_t)cJSON_GetArraySize(arr) != n) {
		jfail(&j, "%d answers for %zu checks", cJSON_GetArraySize(arr), n);
		goto out;
	}
	cJSON_ArrayForEach(it, arr)
	{
		size_t old = jpush_index(&j, i);
		char *res = NULL;
		if (!cJSON_IsObject(it)) {
			jfail(&j, "expected an object, found %s", type_name(it));
			goto out;
		}
		if (jstr(&j, it, "Resource", &res) || jbool(&j, it, "Allow", &checks[i].allow)) {
			free(res);
			goto out;
		}
		if (*res && checks[i].resource && strcasecmp(res, checks[i].resource))
			jfail(&j, "answers for \"%.20s\" where \"%.20s\" was asked", res,
			      checks[i].resource);
		free(res);
		jpop(&j, old);
		if (j.failed)
			goto out;
		i++;
	}
out:
	cJSON_Delete(root);
	return j.failed ? -1 : 0;
}
