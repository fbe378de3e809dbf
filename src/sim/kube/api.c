/* peerscope-sim: the Kubernetes resource endpoints.
 *
 * get, list, create, update, patch (merge, JSON, strategic on Secrets only,
 * server-side apply) and delete for every served type, with the API server's
 * order of work: decode, defaulting, admission webhooks, schema validation,
 * preconditions, store. Errors are Status objects with the API server's
 * reasons and messages. */
#include "autoconfig.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "simk.h"

#define CT_MERGE     "application/merge-patch+json"
#define CT_JSONPATCH "application/json-patch+json"
#define CT_STRATEGIC "application/strategic-merge-patch+json"
#define CT_APPLY     "application/apply-patch+yaml"

struct api_ctx {
	struct sim_cluster *c;
	const struct sim_req *req;
	struct sim_resp *resp;
	int rt;
	const struct simk_rtype *t;
	const char *ns; /* "" for cluster-scoped */
	char qualified[96];
};

static void reply_printed(struct sim_resp *resp, int status, char *printed)
{
	if (!printed) {
		simk_status_error(resp, 500, "InternalError", "out of memory", NULL, NULL, NULL,
		                  NULL);
		return;
	}
	sim_resp_json(resp, status, printed);
}

static void reply_obj(struct sim_resp *resp, int status, const cJSON *obj)
{
	reply_printed(resp, status, sim_json_print(obj, NULL));
}

static void err_not_found(struct api_ctx *a, const char *name)
{
	char msg[512];

	snprintf(msg, sizeof msg, "%s \"%s\" not found", a->qualified, name);
	simk_status_error(a->resp, 404, "NotFound", msg, name, a->t->group, a->t->plural, NULL);
}

/* 406, as the API server answers a representation it cannot give
 * (k8s.io/apiserver pkg/endpoints/handlers/response.go, errNotAcceptable). */
static void err_not_acceptable(struct api_ctx *a, const char *msg)
{
	simk_status_error(a->resp, 406, "NotAcceptable", msg, NULL, NULL, NULL, NULL);
}

static void err_bad_request(struct api_ctx *a, const char *msg)
{
	simk_status_error(a->resp, 400, "BadRequest", msg, NULL, NULL, NULL, NULL);
}

static cJSON *cause(const char *reason, const char *field, const char *message)
{
	cJSON *c = cJSON_CreateObject();

	if (c) {
		cJSON_AddStringToObject(c, "reason", reason);
		cJSON_AddStringToObject(c, "message", message);
		cJSON_AddStringToObject(c, "field", field);
	}
	return c;
}

/* 422 Invalid: "<Kind>.<group> "<name>" is invalid: <field>: <message>, ...". */
static void err_invalid(struct api_ctx *a, const char *name, cJSON *causes)
{
	char msg[2048];
	size_t len;
	int n = cJSON_GetArraySize(causes);
	const cJSON *it;

	if (*a->t->group)
		len = (size_t)snprintf(msg, sizeof msg, "%s.%s \"%s\" is invalid: ", a->t->kind,
		                       a->t->group, name);
	else
		len = (size_t)snprintf(msg, sizeof msg, "%s \"%s\" is invalid: ", a->t->kind, name);
	if (n > 1 && len < sizeof msg)
		len += (size_t)snprintf(msg + len, sizeof msg - len, "[");
	cJSON_ArrayForEach(it, causes)
	{
		if (len >= sizeof msg)
			break;
		len += (size_t)snprintf(msg + len, sizeof msg - len, "%s%s: %s",
		                        it == causes->child ? "" : ", ",
		                        simk_str(it, "field") ? simk_str(it, "field") : "",
		                        simk_str(it, "message") ? simk_str(it, "message") : "");
	}
	if (n > 1 && len < sizeof msg)
		snprintf(msg + len, sizeof msg - len, "]");
	simk_status_error(a->resp, 422, "Invalid", msg, name, a->t->group, a->t->kind, causes);
}

static void err_conflict(struct api_ctx *a, const char *name)
{
	char msg[640];

	snprintf(msg, sizeof msg,
	         "Operation cannot be fulfilled on %s \"%s\": the object has been modified; "
	         "please apply your changes to the latest version and try again",
	         a->qualified, name);
	simk_status_error(a->resp, 409, "Conflict", msg, name, a->t->group, a->t->plural, NULL);
}

static bool dry_run(const struct api_ctx *a)
{
	const char *d = sim_req_arg(a->req, "dryRun", NULL);

	return d && strcmp(d, "All") == 0;
}

static bool namespace_exists(struct api_ctx *a)
{
	return !a->t->namespaced || simk_find(a->c->kube, SIMK_RT_NAMESPACES, "", a->ns);
}

static void err_namespace_missing(struct api_ctx *a)
{
	char msg[160];

	snprintf(msg, sizeof msg, "namespaces \"%s\" not found", a->ns);
	simk_status_error(a->resp, 404, "NotFound", msg, a->ns, "", "namespaces", NULL);
}

/* ------------------------------------------------------------------- list */

static int obj_order(const void *pa, const void *pb)
{
	const struct simk_obj *a = *(const struct simk_obj *const *)pa;
	const struct simk_obj *b = *(const struct simk_obj *const *)pb;
	int cmp = strcmp(a->ns, b->ns);

	return cmp ? cmp : strcmp(a->name, b->name);
}

/* Fills LIST's items with the page PG (NULL: all) of the sorted OBJS and,
 * when more remain, its continue token. Returns false on no memory. */
static bool fill_page(struct sim_cluster *c, cJSON *list, struct simk_obj **objs, size_t n,
                      const struct simk_page *pg)
{
	cJSON *items = cJSON_GetObjectItem(list, "items"),
	      *meta = cJSON_GetObjectItem(list, "metadata");
	size_t i = 0, sent = 0;

	while (i < n && !simk_page_after_start(pg, objs[i]->ns, objs[i]->name))
		i++;
	for (; i < n && (!pg || !pg->limit || sent < pg->limit); i++, sent++) {
		cJSON *copy = cJSON_Duplicate(objs[i]->json, true);

		if (!copy)
			return false;
		cJSON_AddItemToArray(items, copy);
	}
	if (i == n || !pg)
		return true;
	uint64_t rv = pg->rv ? pg->rv : c->kube->rv;
	char *token = simk_continue_token(rv, objs[i - 1]->ns, objs[i - 1]->name);
	bool ok = token && cJSON_AddStringToObject(meta, "continue", token);

	free(token);
	if (ok && pg->count_remaining)
		ok = cJSON_AddNumberToObject(meta, "remainingItemCount", (double)(n - i)) != NULL;
	return ok;
}

cJSON *simk_api_list(struct sim_cluster *c, int rt, const char *ns, const struct simk_selector *sel,
                     const char *fsel, const struct simk_page *pg)
{
	const struct simk_rtype *t = simk_rtype(c->kube, rt);
	cJSON *list = cJSON_CreateObject(), *meta, *items;
	struct simk_obj **sel_objs = NULL;
	size_t n = 0, cap = 0;
	char rv[24], api_version[64];

	if (!list)
		return NULL;
	snprintf(api_version, sizeof api_version, "%s%s%s", t->group, *t->group ? "/" : "",
	         t->version);
	/* Every page shows the first page's resourceVersion. */
	snprintf(rv, sizeof rv, "%" PRIu64, pg && pg->rv ? pg->rv : c->kube->rv);
	cJSON_AddStringToObject(list, "apiVersion", api_version);
	cJSON_AddStringToObject(list, "kind", t->list_kind);
	meta = cJSON_AddObjectToObject(list, "metadata");
	cJSON_AddStringToObject(meta, "resourceVersion", rv);
	items = cJSON_AddArrayToObject(list, "items");
	if (!items)
		goto fail;
	for (struct simk_obj *o = c->kube->objs; o; o = o->next) {
		if (o->rt != rt || (ns && strcmp(o->ns, ns) != 0))
			continue;
		if (!simk_selector_match(sel, simk_path(o->json, "metadata.labels")) ||
		    !simk_field_selector_match(fsel, o->json))
			continue;
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			struct simk_obj **p = realloc(sel_objs, ncap * sizeof *p);

			if (!p)
				goto fail;
			sel_objs = p;
			cap = ncap;
		}
		sel_objs[n++] = o;
	}
	/* Lists come in namespace and name order, as from etcd. */
	if (n)
		qsort(sel_objs, n, sizeof *sel_objs, obj_order);
	if (!fill_page(c, list, sel_objs, n, pg))
		goto fail;
	free(sel_objs);
	return list;
fail:
	free(sel_objs);
	cJSON_Delete(list);
	return NULL;
}

static void do_list(struct api_ctx *a)
{
	const char *lsel = sim_req_arg(a->req, "labelSelector", NULL);
	const char *fsel = sim_req_arg(a->req, "fieldSelector", NULL);
	struct simk_selector *sel;
	struct simk_page pg;
	char err[256];
	cJSON *list;
	int code = simk_page_parse(a->c->kube, sim_req_arg(a->req, "limit", NULL),
	                           sim_req_arg(a->req, "continue", NULL), &pg, err, sizeof err);

	if (code) {
		simk_status_error(a->resp, code, code == 410 ? "Expired" : "BadRequest", err, NULL,
		                  NULL, NULL, NULL);
		return;
	}
	pg.count_remaining = !(lsel && *lsel) && !(fsel && *fsel);
	sel = simk_selector_parse(lsel, err, sizeof err);
	if (!sel) {
		err_bad_request(a, err);
		return;
	}
	if (!simk_field_selector_ok(fsel, err, sizeof err)) {
		simk_selector_free(sel);
		err_bad_request(a, err);
		return;
	}
	list = simk_api_list(a->c, a->rt, *a->ns ? a->ns : NULL, sel, fsel, &pg);
	simk_selector_free(sel);
	if (list && simk_wants_table(a->req)) {
		cJSON *table = simk_table(a->c, a->rt, list, true);

		cJSON_Delete(list);
		list = table;
	} else if (list && simk_wants_metadata(a->req) == SIMK_META_OBJECT) {
		cJSON_Delete(list);
		err_not_acceptable(a, "you requested PartialObjectMetadata, but the requested "
		                      "object is a list");
		return;
	} else if (list && simk_wants_metadata(a->req) == SIMK_META_LIST) {
		cJSON *partial = simk_metadata(list, true);

		cJSON_Delete(list);
		list = partial;
	}
	if (!list) {
		simk_status_error(a->resp, 500, "InternalError", "out of memory", NULL, NULL, NULL,
		                  NULL);
		return;
	}
	reply_obj(a->resp, 200, list);
	cJSON_Delete(list);
}

/* ------------------------------------------------------------ validation */

static bool dns_label(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n == 0 || n > max || !isalnum((unsigned char)s[0]) || !isalnum((unsigned char)s[n - 1]))
		return false;
	for (; *s; s++)
		if (!(islower((unsigned char)*s) || isdigit((unsigned char)*s) || *s == '-'))
			return false;
	return true;
}

static bool dns_subdomain(const char *s)
{
	char part[254];
	size_t n = strlen(s);

	if (n == 0 || n > 253)
		return false;
	while (*s) {
		size_t len = strcspn(s, ".");

		memcpy(part, s, len);
		part[len] = '\0';
		if (!dns_label(part, 63))
			return false;
		s += len;
		if (*s == '.' && *++s == '\0')
			return false;
	}
	return true;
}

static cJSON *name_causes(const struct simk_rtype *t, const char *name)
{
	char msg[512];
	cJSON *causes = cJSON_CreateArray();

	if (!causes)
		return NULL;
	if (!name || !*name) {
		cJSON_AddItemToArray(causes,
		                     cause("FieldValueRequired", "metadata.name",
		                           "Required value: name or generateName is required"));
		return causes;
	}
	if (strcmp(t->plural, "namespaces") == 0 ? dns_label(name, 63) : dns_subdomain(name)) {
		cJSON_Delete(causes);
		return NULL;
	}
	if (strcmp(t->plural, "namespaces") == 0)
		snprintf(msg, sizeof msg,
		         "Invalid value: \"%.200s\": a lowercase RFC 1123 label must consist of "
		         "lower "
		         "case alphanumeric characters or '-', and must start and end with an "
		         "alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for "
		         "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
		         name);
	else
		snprintf(
		        msg, sizeof msg,
		        "Invalid value: \"%.200s\": a lowercase RFC 1123 subdomain must consist of "
		        "lower case alphanumeric characters, '-' or '.', and must start and end "
		        "with "
		        "an alphanumeric character (e.g. 'example.com', regex used for validation "
		        "is "
		        "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
		        name);
	cJSON_AddItemToArray(causes, cause("FieldValueInvalid", "metadata.name", msg));
	return causes;
}

/* apiVersion and kind, when sent, must name this endpoint's type. */
static bool check_type_meta(struct api_ctx *a, cJSON *obj)
{
	const char *av = simk_str(obj, "apiVersion"), *kind = simk_str(obj, "kind");
	char want[64], msg[256];

	snprintf(want, sizeof want, "%s%s%s", a->t->group, *a->t->group ? "/" : "", a->t->version);
	if (av && strcmp(av, want) != 0) {
		snprintf(msg, sizeof msg,
		         "the API version in the data (%.64s) does not match the expected API "
		         "version (%s)",
		         av, want);
		err_bad_request(a, msg);
		return false;
	}
	if (kind && strcmp(kind, a->t->kind) != 0) {
		snprintf(msg, sizeof msg,
		         "the kind in the data (%.64s) does not match the expected kind (%s)", kind,
		         a->t->kind);
		err_bad_request(a, msg);
		return false;
	}
	if (!av)
		cJSON_AddStringToObject(obj, "apiVersion", want);
	if (!kind)
		cJSON_AddStringToObject(obj, "kind", a->t->kind);
	if (!cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(obj, "metadata"))) {
		cJSON_DeleteItemFromObjectCaseSensitive(obj, "metadata");
		cJSON_AddObjectToObject(obj, "metadata");
	}
	return true;
}

static bool config_key_ok(const char *k)
{
	if (!*k)
		return false;
	for (; *k; k++)
		if (!isalnum((unsigned char)*k) && *k != '-' && *k != '_' && *k != '.')
			return false;
	return true;
}

/* Secrets: stringData folded into data, data checked as base64, type
 * defaulted. Returns false after filling the response. */
static bool prepare_secret(struct api_ctx *a, cJSON *obj, const char *name)
{
	cJSON *data = cJSON_GetObjectItemCaseSensitive(obj, "data");
	cJSON *sdata = cJSON_GetObjectItemCaseSensitive(obj, "stringData");
	cJSON *it;
	char msg[320];

	if (!data || cJSON_IsNull(data)) {
		cJSON_DeleteItemFromObjectCaseSensitive(obj, "data");
		data = cJSON_AddObjectToObject(obj, "data");
	}
	cJSON_ArrayForEach(it, data)
	{
		size_t len;
		char *raw = cJSON_IsString(it) ? sim_b64_decode(it->valuestring, &len) : NULL;

		if (!raw) {
			snprintf(msg, sizeof msg,
			         "Secret in version \"v1\" cannot be handled as a Secret: illegal "
			         "base64 data at input byte 0 (data[%.64s])",
			         it->string);
			err_bad_request(a, msg);
			return false;
		}
		free(raw);
	}
	cJSON_ArrayForEach(it, sdata)
	{
		char *enc = cJSON_IsString(it)
		                    ? sim_b64_encode(it->valuestring, strlen(it->valuestring))
		                    : NULL;

		if (!enc) {
			err_bad_request(a,
			                "Secret in version \"v1\" cannot be handled as a Secret: "
			                "stringData values must be strings");
			return false;
		}
		cJSON_DeleteItemFromObjectCaseSensitive(data, it->string);
		cJSON_AddStringToObject(data, it->string, enc);
		free(enc);
	}
	cJSON_DeleteItemFromObjectCaseSensitive(obj, "stringData");
	cJSON_ArrayForEach(it, data)
	{
		if (!config_key_ok(it->string)) {
			char field[96];

			snprintf(field, sizeof field, "data[%.64s]", it->string);
			snprintf(msg, sizeof msg,
			         "Invalid value: \"%.64s\": a valid config key must consist of "
			         "alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or "
			         "'KEY_NAME',  or 'key-name', regex used for validation is "
			         "'[-._a-zA-Z0-9]+')",
			         it->string);
			cJSON *causes = cJSON_CreateArray();

			cJSON_AddItemToArray(causes, cause("FieldValueInvalid", field, msg));
			err_invalid(a, name, causes);
			return false;
		}
	}
	if (!simk_str(obj, "type"))
		cJSON_AddStringToObject(obj, "type", "Opaque");
	return true;
}

/* Type-specific preparation on create (OLD NULL) and update. */
static bool prepare(struct api_ctx *a, cJSON *obj, const cJSON *old, const char *name)
{
	if (a->rt == SIMK_RT_SECRETS) {
		if (!prepare_secret(a, obj, name))
			return false;
		if (old && strcmp(simk_str(obj, "type"), simk_str(old, "type")) != 0) {
			char msg[160];
			cJSON *causes = cJSON_CreateArray();

			snprintf(msg, sizeof msg, "Invalid value: \"%.64s\": field is immutable",
			         simk_str(obj, "type"));
			cJSON_AddItemToArray(causes, cause("FieldValueInvalid", "type", msg));
			err_invalid(a, name, causes);
			return false;
		}
	}
	/* With a status subresource the main endpoint never changes status. */
	if (a->t->has_status) {
		cJSON_DeleteItemFromObjectCaseSensitive(obj, "status");
		if (old && cJSON_GetObjectItemCaseSensitive(old, "status"))
			cJSON_AddItemToObject(
			        obj, "status",
			        cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(old, "status"),
			                        true));
	}
	/* A new Namespace is Active; its spec holds the kubernetes finalizer. */
	if (a->rt == SIMK_RT_NAMESPACES && !old) {
		cJSON_AddItemToObject(obj, "status", cJSON_Parse("{\"phase\":\"Active\"}"));
		cJSON_DeleteItemFromObjectCaseSensitive(obj, "spec");
		cJSON_AddItemToObject(obj, "spec",
		                      cJSON_Parse("{\"finalizers\":[\"kubernetes\"]}"));
	}
	return true;
}

/* Schema validation of custom resources: 422 on violations, 400 on unknown
 * fields with fieldValidation=Strict. */
static bool validate_schema(struct api_ctx *a, cJSON *obj, const char *name)
{
	const char *fv = sim_req_arg(a->req, "fieldValidation", NULL);
	bool strict = fv && strcmp(fv, "Strict") == 0;
	cJSON *causes;
	char *unknown = NULL;

	if (!a->t->schema)
		return true;
	causes = cJSON_CreateArray();
	if (!causes) {
		simk_status_error(a->resp, 500, "InternalError", "out of memory", NULL, NULL, NULL,
		                  NULL);
		return false;
	}
	simk_schema_check(a->t->schema, obj, strict, causes, &unknown);
	if (cJSON_GetArraySize(causes) > 0) {
		free(unknown);
		err_invalid(a, name, causes);
		return false;
	}
	cJSON_Delete(causes);
	if (unknown) {
		char msg[1024];

		snprintf(msg, sizeof msg, "strict decoding error: %s", unknown);
		free(unknown);
		err_bad_request(a, msg);
		return false;
	}
	return true;
}

/* Fields only the server sets are dropped from what a client sends. */
static void strip_server_fields(cJSON *obj)
{
	static const char *const fields[] = {"uid",
	                                     "creationTimestamp",
	                                     "deletionTimestamp",
	                                     "deletionGracePeriodSeconds",
	                                     "generation",
	                                     "managedFields",
	                                     "selfLink",
	                                     NULL};
	cJSON *meta = cJSON_GetObjectItemCaseSensitive(obj, "metadata");

	for (const char *const *f = fields; *f; f++)
		cJSON_DeleteItemFromObjectCaseSensitive(meta, *f);
}

static void random_suffix(struct sim_world *w, char *out, size_t n)
{
	static const char chars[] = "bcdfghjklmnpqrstvwxz2456789";

	for (size_t i = 0; i + 1 < n; i++)
		out[i] = chars[sim_rand(w) % (sizeof chars - 1)];
	out[n - 1] = '\0';
}

/* ------------------------------------------------------------------ create */

/* The name a new object gets: metadata.name, or generateName plus five
 * random characters. */
static void create_name(struct api_ctx *a, cJSON *obj, char *name, size_t len)
{
	const char *gen = simk_str(obj, "metadata.generateName");

	if (!simk_str(obj, "metadata.name") && gen) {
		char suffix[6];

		random_suffix(a->c->world, suffix, sizeof suffix);
		snprintf(name, len, "%.250s%s", gen, suffix);
		cJSON_AddStringToObject(cJSON_GetObjectItem(obj, "metadata"), "name", name);
	}
	snprintf(name, len, "%s",
	         simk_str(obj, "metadata.name") ? simk_str(obj, "metadata.name") : "");
}

/* What a create is refused for before admission: the namespace in the body,
 * the name, a resourceVersion, a missing or terminating namespace. */
static bool create_allowed(struct api_ctx *a, const cJSON *obj, const char *name)
{
	const char *ns_in_body = simk_str(obj, "metadata.namespace");
	const char *rv = simk_str(obj, "metadata.resourceVersion");
	cJSON *causes;
	char msg[512];

	if (a->t->namespaced && ns_in_body && *ns_in_body && strcmp(ns_in_body, a->ns) != 0) {
		err_bad_request(a, "the namespace of the provided object does not match the "
		                   "namespace sent on the request");
		return false;
	}
	if ((causes = name_causes(a->t, name)) != NULL) {
		err_invalid(a, name, causes);
		return false;
	}
	if (rv && *rv) {
		simk_status_error(a->resp, 500, "InternalError",
		                  "resourceVersion should not be set on objects to be created",
		                  NULL, NULL, NULL, NULL);
		return false;
	}
	if (!namespace_exists(a)) {
		err_namespace_missing(a);
		return false;
	}
	if (a->t->namespaced && simk_ns_terminating(a->c->kube, a->ns)) {
		snprintf(msg, sizeof msg,
		         "%s \"%.200s\" is forbidden: unable to create new content in namespace "
		         "%.64s because it is being terminated",
		         a->qualified, name, a->ns);
		simk_status_error(a->resp, 403, "Forbidden", msg, name, a->t->group, a->t->plural,
		                  NULL);
		return false;
	}
	return true;
}

/* Admission of a create (OLD NULL) or update: defaulting, the webhooks,
 * then the schema, in the API server's order. */
static bool admit(struct api_ctx *a, cJSON *obj, const cJSON *old, const char *name)
{
	strip_server_fields(obj);
	return prepare(a, obj, old, name) &&
	       simk_webhook_admit(a->c, a->rt, a->ns, obj, old, a->resp) &&
	       validate_schema(a, obj, name);
}

static void do_create_obj(struct api_ctx *a, cJSON *obj)
{
	char name[300], msg[512];
	struct simk_obj *o;

	if (!check_type_meta(a, obj))
		goto out;
	create_name(a, obj, name, sizeof name);
	if (!create_allowed(a, obj, name) || !admit(a, obj, NULL, name))
		goto out;
	if (simk_find(a->c->kube, a->rt, a->ns, name)) {
		snprintf(msg, sizeof msg, "%s \"%s\" already exists", a->qualified, name);
		simk_status_error(a->resp, 409, "AlreadyExists", msg, name, a->t->group,
		                  a->t->plural, NULL);
		goto out;
	}
	/* dryRun=All: everything but the write. */
	if (dry_run(a)) {
		reply_obj(a->resp, 201, obj);
		goto out;
	}
	o = simk_insert(a->c, a->rt, a->ns, obj);
	obj = NULL;
	if (!o) {
		simk_status_error(a->resp, 500, "InternalError", "out of memory", NULL, NULL, NULL,
		                  NULL);
		goto out;
	}
	sim_event(a->c->world, a->c, "kube: created %s %s/%s", a->t->kind, o->ns, o->name);
	reply_obj(a->resp, 201, o->json);
out:
	cJSON_Delete(obj);
}

static cJSON *parse_body(struct api_ctx *a)
{
	cJSON *obj = a->req->body && a->req->body_len
	                     ? cJSON_ParseWithLength(a->req->body, a->req->body_len)
	                     : NULL;
	char msg[200];
	const char *ct = sim_req_header(a->req, "Content-Type");

	/* client-go sends built-in types as protobuf. */
	if (ct && strncmp(ct, "application/vnd.kubernetes.protobuf", 35) == 0) {
		char err[160];

		cJSON_Delete(obj);
		obj = simk_proto_decode(a->t, a->req->body ? a->req->body : "", a->req->body_len,
		                        err, sizeof err);
		if (!obj) {
			simk_status_error(a->resp, 415, "UnsupportedMediaType", err, NULL, NULL,
			                  NULL, NULL);
			return NULL;
		}
		return obj;
	}
	if (cJSON_IsObject(obj))
		return obj;
	cJSON_Delete(obj);
	snprintf(msg, sizeof msg,
	         "the body of the request was in an unknown format - accepted media types "
	         "include: application/json, application/yaml");
	if (a->req->body_len)
		snprintf(msg, sizeof msg,
		         "couldn't get version/kind; json parse error: invalid "
		         "JSON in the request body");
	err_bad_request(a, msg);
	return NULL;
}

/* ------------------------------------------------------------------ update */

/* Preconditions of an update: the name in the body, and the
 * resourceVersion (stale: 409; missing on a custom resource's PUT: 422). */
static bool update_allowed(struct api_ctx *a, const struct simk_obj *o, const cJSON *obj,
                           bool is_patch)
{
	const char *rv = simk_str(obj, "metadata.resourceVersion");
	const char *body_name = simk_str(obj, "metadata.name");
	char cur_rv[24], msg[600];
	cJSON *causes;

	snprintf(cur_rv, sizeof cur_rv, "%" PRIu64, o->rv);
	if (body_name && strcmp(body_name, o->name) != 0) {
		snprintf(msg, sizeof msg,
		         "the name of the object (%.250s) does not match the name on the URL "
		         "(%.250s)",
		         body_name, o->name);
		err_bad_request(a, msg);
		return false;
	}
	if (rv && *rv && strcmp(rv, cur_rv) != 0) {
		err_conflict(a, o->name);
		return false;
	}
	if ((!rv || !*rv) && !is_patch && a->t->crd) {
		causes = cJSON_CreateArray();
		cJSON_AddItemToArray(causes, cause("FieldValueInvalid", "metadata.resourceVersion",
		                                   "Invalid value: 0x0: must be specified for an "
		                                   "update"));
		err_invalid(a, o->name, causes);
		return false;
	}
	return true;
}

/* The status subresource takes status and nothing else: OBJ's status on a
 * copy of the stored object. Takes OBJ over; NULL on no memory. */
static cJSON *status_update(const struct simk_obj *o, cJSON *obj)
{
	cJSON *st = cJSON_DetachItemFromObjectCaseSensitive(obj, "status");
	cJSON *next = cJSON_Duplicate(o->json, true);

	cJSON_Delete(obj);
	if (!next) {
		cJSON_Delete(st);
		return NULL;
	}
	cJSON_DeleteItemFromObjectCaseSensitive(next, "status");
	if (st)
		cJSON_AddItemToObject(next, "status", st);
	return next;
}

/* The common path of PUT and PATCH. OBJ is taken over. */
static void do_update_obj(struct api_ctx *a, struct simk_obj *o, cJSON *obj, const char *sub,
                          bool is_patch)
{
	char name[256];
	enum simk_write w;
	char *printed;

	snprintf(name, sizeof name, "%s", o->name);
	if (!check_type_meta(a, obj) || !update_allowed(a, o, obj, is_patch))
		goto out;
	if (sub) {
		obj = status_update(o, obj);
		if (!obj) {
			simk_status_error(a->resp, 500, "InternalError", "out of memory", NULL,
			                  NULL, NULL, NULL);
			return;
		}
		if (!validate_schema(a, obj, name))
			goto out;
	} else if (!admit(a, obj, o->json, name)) {
		goto out;
	}
	if (dry_run(a)) {
		reply_obj(a->resp, 200, obj);
		goto out;
	}
	w = simk_replace(a->c, o, obj, &printed);
	obj = NULL;
	if (w == SIMK_CHANGED)
		sim_event(a->c->world, a->c, "kube: updated %s %s/%s%s", a->t->kind, a->ns, name,
		          sub ? " status" : "");
	else if (w == SIMK_GONE)
		sim_event(a->c->world, a->c, "kube: finalized %s %s/%s", a->t->kind, a->ns, name);
	reply_printed(a->resp, 200, printed);
out:
	cJSON_Delete(obj);
}

/* ------------------------------------------------------------------- patch */

static const char *media_type(const struct sim_req *req, char *buf, size_t len)
{
	const char *ct = sim_req_header(req, "Content-Type");
	size_t n;

	if (!ct)
		return "";
	n = strcspn(ct, "; ");
	snprintf(buf, len, "%.*s", (int)n, ct);
	return buf;
}

static void err_media(struct api_ctx *a, bool strategic_ok)
{
	char msg[300];

	snprintf(msg, sizeof msg,
	         "the body of the request was in an unknown format - accepted media types "
	         "include: application/json-patch+json, application/merge-patch+json, "
	         "application/apply-patch+yaml%s",
	         strategic_ok ? ", application/strategic-merge-patch+json" : "");
	simk_status_error(a->resp, 415, "UnsupportedMediaType", msg, NULL, NULL, NULL, NULL);
}

static void do_apply(struct api_ctx *a, struct simk_obj *o, const char *name, const char *sub)
{
	char err[200], msg[300];
	cJSON *cfg, *merged;

	if (!sim_req_arg(a->req, "fieldManager", NULL)) {
		err_bad_request(a, "PATCH requests require fieldManager to be set for apply "
		                   "requests");
		return;
	}
	cfg = simk_yaml_to_json(a->req->body ? a->req->body : "", a->req->body_len, err,
	                        sizeof err);
	if (!cJSON_IsObject(cfg)) {
		cJSON_Delete(cfg);
		snprintf(msg, sizeof msg, "error decoding YAML: %s", err);
		err_bad_request(a, msg);
		return;
	}
	if (!o) {
		const char *body_name = simk_str(cfg, "metadata.name");

		if (sub || (body_name && strcmp(body_name, name) != 0)) {
			cJSON_Delete(cfg);
			if (sub)
				err_not_found(a, name);
			else
				err_bad_request(a, "the name of the object does not match the "
				                   "name on the URL");
			return;
		}
		do_create_obj(a, cfg);
		return;
	}
	/* Server-side apply, reduced to its effect for a single field manager:
	 * the applied configuration is merged into the live object. */
	merged = simk_merge_patch(o->json, cfg);
	cJSON_Delete(cfg);
	if (!merged) {
		simk_status_error(a->resp, 500, "InternalError", "out of memory", NULL, NULL, NULL,
		                  NULL);
		return;
	}
	do_update_obj(a, o, merged, sub, true);
}

static void do_patch(struct api_ctx *a, const char *name, const char *sub)
{
	struct simk_obj *o = simk_find(a->c->kube, a->rt, a->ns, name);
	char mt[80], err[300];
	const char *type = media_type(a->req, mt, sizeof mt);
	cJSON *patch, *next;

	if (strcmp(type, CT_APPLY) == 0) {
		do_apply(a, o, name, sub);
		return;
	}
	if (strcmp(type, CT_MERGE) != 0 && strcmp(type, CT_JSONPATCH) != 0 &&
	    !(strcmp(type, CT_STRATEGIC) == 0 && !a->t->crd)) {
		err_media(a, !a->t->crd);
		return;
	}
	if (!o) {
		err_not_found(a, name);
		return;
	}
	patch = a->req->body_len ? cJSON_ParseWithLength(a->req->body, a->req->body_len) : NULL;
	if (!patch) {
		err_bad_request(a, "error decoding patch: invalid JSON in the request body");
		return;
	}
	if (strcmp(type, CT_JSONPATCH) == 0) {
		next = cJSON_IsArray(patch) ? simk_json_patch(o->json, patch, err, sizeof err)
		                            : NULL;
		if (!cJSON_IsArray(patch))
			snprintf(err, sizeof err, "the JSON patch must be an array of operations");
	} else {
		/* Strategic merge patch of a Secret: its fields are all maps and
		 * scalars, where strategic merge and JSON merge agree. */
		next = cJSON_IsObject(patch) ? simk_merge_patch(o->json, patch) : NULL;
		snprintf(err, sizeof err, "the merge patch must be a JSON object");
	}
	cJSON_Delete(patch);
	if (!next) {
		simk_status_error(a->resp, 422, "Invalid", err, name, a->t->group, a->t->kind,
		                  NULL);
		return;
	}
	do_update_obj(a, o, next, sub, true);
}

/* ------------------------------------------------------------------ delete */

/* DeleteOptions.preconditions (uid, resourceVersion) against the object,
 * as the API server's storage checks them (k8s.io/apiserver pkg/storage
 * interfaces.go, Preconditions.Check: an invalid-object StorageError,
 * which storage/errors InterpretDeleteError turns into 409 Conflict).
 * False when the answer is written. */
static bool delete_preconditions_hold(struct api_ctx *a, const struct simk_obj *o, const char *name)
{
	const char *have_uid = simk_str(o->json, "metadata.uid");
	const char *have_rv = simk_str(o->json, "metadata.resourceVersion");
	const char *uid, *rv;
	char why[400], msg[1200];
	cJSON *opts;

	if (!a->req->body || !a->req->body_len)
		return true;
	opts = cJSON_ParseWithLength(a->req->body, a->req->body_len);
	if (!cJSON_IsObject(opts)) {
		cJSON_Delete(opts);
		err_bad_request(a,
		                "error decoding DeleteOptions: invalid JSON in the request body");
		return false;
	}
	uid = simk_str(opts, "preconditions.uid");
	rv = simk_str(opts, "preconditions.resourceVersion");
	if (uid && strcmp(uid, have_uid ? have_uid : ""))
		snprintf(why, sizeof why,
		         "Precondition failed: UID in precondition: %.100s, UID in object meta: "
		         "%.100s",
		         uid, have_uid ? have_uid : "");
	else if (rv && strcmp(rv, have_rv ? have_rv : ""))
		snprintf(why, sizeof why,
		         "Precondition failed: ResourceVersion in precondition: %.100s, "
		         "ResourceVersion in object meta: %.100s",
		         rv, have_rv ? have_rv : "");
	else
		why[0] = '\0';
	cJSON_Delete(opts);
	if (!why[0])
		return true;
	snprintf(msg, sizeof msg,
	         "Operation cannot be fulfilled on %s \"%s\": StorageError: invalid object, Code: "
	         "4, "
	         "Key: /registry/%s%s%s/%s%s%s, ResourceVersion: 0, AdditionalErrorMsg: %s",
	         a->qualified, name, a->t->group, *a->t->group ? "/" : "", a->t->plural, a->ns,
	         *a->ns ? "/" : "", name, why);
	simk_status_error(a->resp, 409, "Conflict", msg, name, a->t->group, a->t->plural, NULL);
	return false;
}

static void do_delete(struct api_ctx *a, const char *name)
{
	struct simk_obj *o = simk_find(a->c->kube, a->rt, a->ns, name);
	char *printed;
	bool gone;

	if (!o) {
		err_not_found(a, name);
		return;
	}
	if (!delete_preconditions_hold(a, o, name))
		return;
	if (dry_run(a)) {
		reply_obj(a->resp, 200, o->json);
		return;
	}
	gone = simk_delete(a->c, o, &printed);
	sim_event(a->c->world, a->c, "kube: %s %s %s/%s", gone ? "deleted" : "deleting", a->t->kind,
	          a->ns, name);
	reply_printed(a->resp, 200, printed);
}

/* ------------------------------------------------------------------ entry */

static void method_not_allowed(struct api_ctx *a)
{
	char msg[160];

	snprintf(msg, sizeof msg,
	         "the server does not allow this method on the requested "
	         "resource");
	simk_status_error(a->resp, 405, "MethodNotAllowed", msg, NULL, NULL, NULL, NULL);
}

static bool is_watch(const struct sim_req *req)
{
	const char *w = sim_req_arg(req, "watch", NULL);

	return w && (strcmp(w, "1") == 0 || strcmp(w, "true") == 0);
}

static void dispatch(struct api_ctx *a, const char *name, const char *sub)
{
	const char *m = a->req->method;
	struct simk_obj *o;

	if (strcmp(m, "GET") == 0 && !name) {
		do_list(a);
	} else if (strcmp(m, "GET") == 0) {
		o = simk_find(a->c->kube, a->rt, a->ns, name);
		enum simk_meta meta = o ? simk_wants_metadata(a->req) : SIMK_META_NONE;
		if (o && simk_wants_table(a->req)) {
			cJSON *table = simk_table(a->c, a->rt, o->json, true);

			reply_printed(a->resp, 200, table ? sim_json_print(table, NULL) : NULL);
			cJSON_Delete(table);
		} else if (meta == SIMK_META_LIST) {
			err_not_acceptable(a, "you requested PartialObjectMetadataList, but the "
			                      "requested object is not a list");
		} else if (meta == SIMK_META_OBJECT) {
			cJSON *partial = simk_metadata(o->json, false);

			reply_printed(a->resp, 200, partial ? sim_json_print(partial, NULL) : NULL);
			cJSON_Delete(partial);
		} else if (o) {
			reply_obj(a->resp, 200, o->json);
		} else {
			err_not_found(a, name);
		}
	} else if (strcmp(m, "POST") == 0 && !name && !sub) {
		cJSON *obj = parse_body(a);

		if (obj)
			do_create_obj(a, obj);
	} else if (strcmp(m, "PUT") == 0 && name) {
		cJSON *obj = parse_body(a);

		o = simk_find(a->c->kube, a->rt, a->ns, name);
		if (obj && !o) {
			cJSON_Delete(obj);
			err_not_found(a, name);
		} else if (obj) {
			do_update_obj(a, o, obj, sub, false);
		}
	} else if (strcmp(m, "PATCH") == 0 && name) {
		do_patch(a, name, sub);
	} else if (strcmp(m, "DELETE") == 0 && name && !sub) {
		do_delete(a, name);
	} else {
		method_not_allowed(a);
	}
}

void simk_api_resource(struct sim_cluster *c, const struct sim_req *req, struct sim_resp *resp,
                       int rt, const char *ns, const char *name, const char *sub)
{
	struct api_ctx a = {.c = c, .req = req, .resp = resp, .rt = rt};

	a.t = simk_rtype(c->kube, rt);
	a.ns = a.t->namespaced ? (ns ? ns : "") : "";
	simk_qualified(a.t, a.qualified, sizeof a.qualified);
	if (sub && (strcmp(sub, "status") != 0 || !a.t->has_status || !name)) {
		simk_status_error(resp, 404, "NotFound",
		                  "the server could not find the requested resource", NULL, NULL,
		                  NULL, NULL);
		return;
	}
	/* A namespaced object needs its namespace in the path; only lists and
	 * watches may span all namespaces. */
	if (a.t->namespaced && !ns && (name || strcmp(req->method, "GET") != 0)) {
		simk_status_error(resp, 404, "NotFound",
		                  "the server could not find the requested resource", NULL, NULL,
		                  NULL, NULL);
		return;
	}
	pthread_mutex_lock(&c->world->lock);
	if (!simk_served(c, rt)) {
		pthread_mutex_unlock(&c->world->lock);
		simk_status_error(resp, 404, "NotFound",
		                  "the server could not find the requested resource", NULL, NULL,
		                  NULL, NULL);
		return;
	}
	if (strcmp(req->method, "GET") == 0 && !name && is_watch(req)) {
		pthread_mutex_unlock(&c->world->lock);
		simk_watch_start(c, req, resp, rt, a.t->namespaced ? ns : NULL);
		return;
	}
	dispatch(&a, name, sub);
	pthread_mutex_unlock(&c->world->lock);
}
