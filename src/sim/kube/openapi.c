/* peerscope-sim: the OpenAPI documents of the Kubernetes API server, built
 * from the CRD schemas, so that kubectl can validate and patch custom
 * resources the way it does against a real cluster.
 *
 *   /openapi/v2                               Swagger 2.0, definitions only
 *   /openapi/v3                               index of group-version documents
 *   /openapi/v3/apis/consul.hashicorp.com/v1alpha1, /openapi/v3/api/v1
 *
 * The path items carry the operations kubectl looks at: their
 * x-kubernetes-group-version-kind, the fieldValidation query parameter (so
 * kubectl leaves validation to the server) and the patch media types (no
 * strategic merge for custom resources, so kubectl apply sends a JSON merge
 * patch, as it does for real CRDs). */
#include "autoconfig.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "simk.h"

#define CR_PREFIX   "com.hashicorp.consul.v1alpha1."
#define CORE_PREFIX "io.k8s.api.core.v1."

static void send(struct sim_resp *resp, cJSON *doc)
{
	char *text = doc ? cJSON_PrintUnformatted(doc) : NULL;

	cJSON_Delete(doc);
	if (!text) {
		simk_status_error(resp, 500, "InternalError", "out of memory", NULL, NULL, NULL,
		                  NULL);
		return;
	}
	sim_resp_json(resp, 200, text);
}

static cJSON *gvk_json(const struct simk_rtype *t)
{
	cJSON *g = cJSON_CreateObject();

	if (g) {
		cJSON_AddStringToObject(g, "group", t->group);
		cJSON_AddStringToObject(g, "kind", t->kind);
		cJSON_AddStringToObject(g, "version", t->version);
	}
	return g;
}

static const char *def_prefix(const struct simk_rtype *t)
{
	return *t->group ? CR_PREFIX : CORE_PREFIX;
}

#define OBJECT_META "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"
#define META_REF    "{\"allOf\":[{\"$ref\":\"#/components/schemas/" OBJECT_META "\"}],\"default\":{}}"

/* ObjectMeta with the patch strategies kubectl's strategic merge reads. */
static cJSON *object_meta_schema(void)
{
	static const char meta[] =
	        "{\"type\":\"object\",\"properties\":{"
	        "\"annotations\":{\"type\":\"object\",\"additionalProperties\":{\"type\":"
	        "\"string\",\"default\":\"\"}},"
	        "\"labels\":{\"type\":\"object\",\"additionalProperties\":{\"type\":\"string\","
	        "\"default\":\"\"}},"
	        "\"creationTimestamp\":{\"type\":\"string\",\"format\":\"date-time\"},"
	        "\"deletionTimestamp\":{\"type\":\"string\",\"format\":\"date-time\"},"
	        "\"deletionGracePeriodSeconds\":{\"type\":\"integer\",\"format\":\"int64\"},"
	        "\"finalizers\":{\"type\":\"array\",\"items\":{\"type\":\"string\","
	        "\"default\":\"\"},\"x-kubernetes-list-type\":\"set\","
	        "\"x-kubernetes-patch-strategy\":\"merge\"},"
	        "\"generateName\":{\"type\":\"string\"},"
	        "\"generation\":{\"type\":\"integer\",\"format\":\"int64\"},"
	        "\"name\":{\"type\":\"string\"},\"namespace\":{\"type\":\"string\"},"
	        "\"resourceVersion\":{\"type\":\"string\"},\"uid\":{\"type\":\"string\"}}}";

	return cJSON_Parse(meta);
}

/* Core types get a reduced schema of the fields the simulator serves. */
static cJSON *core_schema(const struct simk_rtype *t)
{
	static const char secret[] =
	        "{\"type\":\"object\",\"properties\":{\"apiVersion\":{\"type\":\"string\"},"
	        "\"kind\":{\"type\":\"string\"},\"metadata\":" META_REF ","
	        "\"immutable\":{\"type\":\"boolean\"},"
	        "\"data\":{\"type\":\"object\",\"additionalProperties\":{\"type\":\"string\","
	        "\"format\":\"byte\"}},"
	        "\"stringData\":{\"type\":\"object\",\"additionalProperties\":{\"type\":\"string\"}"
	        "},"
	        "\"type\":{\"type\":\"string\"}}}";
	static const char configmap[] =
	        "{\"type\":\"object\",\"properties\":{\"apiVersion\":{\"type\":\"string\"},"
	        "\"kind\":{\"type\":\"string\"},\"metadata\":" META_REF ","
	        "\"immutable\":{\"type\":\"boolean\"},"
	        "\"data\":{\"type\":\"object\",\"additionalProperties\":{\"type\":\"string\"}},"
	        "\"binaryData\":{\"type\":\"object\",\"additionalProperties\":{\"type\":\"string\","
	        "\"format\":\"byte\"}}}}";
	static const char ns[] =
	        "{\"type\":\"object\",\"properties\":{\"apiVersion\":{\"type\":\"string\"},"
	        "\"kind\":{\"type\":\"string\"},\"metadata\":" META_REF ","
	        "\"spec\":{\"type\":\"object\",\"properties\":{\"finalizers\":{\"type\":\"array\","
	        "\"items\":{\"type\":\"string\"}}}},"
	        "\"status\":{\"type\":\"object\",\"properties\":{\"phase\":{\"type\":\"string\"}}}}"
	        "}";

	static const char service[] =
	        "{\"type\":\"object\",\"properties\":{\"apiVersion\":{\"type\":\"string\"},"
	        "\"kind\":{\"type\":\"string\"},\"metadata\":" META_REF ","
	        "\"spec\":{\"type\":\"object\",\"properties\":{\"type\":{\"type\":\"string\"},"
	        "\"clusterIP\":{\"type\":\"string\"},\"selector\":{\"type\":\"object\","
	        "\"additionalProperties\":{\"type\":\"string\"}},\"ports\":{\"type\":\"array\","
	        "\"x-kubernetes-patch-merge-key\":\"port\",\"x-kubernetes-patch-strategy\":"
	        "\"merge\","
	        "\"items\":{\"type\":\"object\",\"properties\":{\"name\":{\"type\":\"string\"},"
	        "\"port\":{\"type\":\"integer\"},\"protocol\":{\"type\":\"string\"},"
	        "\"targetPort\":{\"x-kubernetes-int-or-string\":true},\"nodePort\":{\"type\":"
	        "\"integer\"}}}}}},"
	        "\"status\":{\"type\":\"object\"}}}";

	if (strcmp(t->plural, "services") == 0)
		return cJSON_Parse(service);
	if (strcmp(t->plural, "secrets") == 0)
		return cJSON_Parse(secret);
	if (strcmp(t->plural, "configmaps") == 0)
		return cJSON_Parse(configmap);
	return cJSON_Parse(ns);
}

static cJSON *type_schema(const struct simk_rtype *t)
{
	cJSON *s = t->schema ? cJSON_Duplicate(t->schema, true) : core_schema(t);
	cJSON *gvks;

	if (!s)
		return NULL;
	gvks = cJSON_AddArrayToObject(s, "x-kubernetes-group-version-kind");
	cJSON_AddItemToArray(gvks, gvk_json(t));
	return s;
}

static cJSON *param(const char *name, const char *in, bool required)
{
	cJSON *p = cJSON_CreateObject();

	if (!p)
		return NULL;
	cJSON_AddStringToObject(p, "name", name);
	cJSON_AddStringToObject(p, "in", in);
	if (required)
		cJSON_AddTrueToObject(p, "required");
	cJSON_AddItemToObject(p, "schema",
	                      cJSON_Parse("{\"type\":\"string\",\"uniqueItems\":true}"));
	return p;
}

static cJSON *ref_content(const char *ref, const char *const *types, size_t n)
{
	cJSON *content = cJSON_CreateObject();

	for (size_t i = 0; content && i < n; i++) {
		cJSON *mt = cJSON_AddObjectToObject(content, types[i]);
		cJSON *schema = cJSON_AddObjectToObject(mt, "schema");

		cJSON_AddStringToObject(schema, "$ref", ref);
	}
	return content;
}

/* One operation of a path item. BODY_TYPES: request media types, if any. */
static cJSON *operation(const struct simk_rtype *t, const char *id, const char *action,
                        const char *ref, const char *const *body_types, size_t nbody,
                        bool field_validation)
{
	static const char *const out_types[] = {"application/json", "application/yaml"};
	cJSON *op = cJSON_CreateObject(), *params, *responses, *ok;

	if (!op)
		return NULL;
	cJSON_AddStringToObject(op, "operationId", id);
	params = cJSON_AddArrayToObject(op, "parameters");
	cJSON_AddItemToArray(params, param("dryRun", "query", false));
	cJSON_AddItemToArray(params, param("fieldManager", "query", false));
	if (field_validation)
		cJSON_AddItemToArray(params, param("fieldValidation", "query", false));
	if (nbody) {
		cJSON *rb = cJSON_AddObjectToObject(op, "requestBody");

		cJSON_AddItemToObject(rb, "content", ref_content(ref, body_types, nbody));
		cJSON_AddTrueToObject(rb, "required");
	}
	responses = cJSON_AddObjectToObject(op, "responses");
	ok = cJSON_AddObjectToObject(responses, "200");
	cJSON_AddStringToObject(ok, "description", "OK");
	cJSON_AddItemToObject(ok, "content", ref_content(ref, out_types, 2));
	cJSON_AddStringToObject(op, "x-kubernetes-action", action);
	cJSON_AddItemToObject(op, "x-kubernetes-group-version-kind", gvk_json(t));
	return op;
}

static void add_paths(cJSON *paths, const struct simk_rtype *t)
{
	static const char *const json_body[] = {"application/json", "application/yaml"};
	static const char *const cr_patch[] = {"application/json-patch+json",
	                                       "application/merge-patch+json",
	                                       "application/apply-patch+yaml"};
	static const char *const core_patch[] = {
	        "application/json-patch+json", "application/merge-patch+json",
	        "application/strategic-merge-patch+json", "application/apply-patch+yaml"};
	char base[160], coll[224], item[240], ref[160], id[96];
	cJSON *c, *i;

	if (*t->group)
		snprintf(base, sizeof base, "/apis/%s/%s", t->group, t->version);
	else
		snprintf(base, sizeof base, "/api/%s", t->version);
	if (t->namespaced)
		snprintf(coll, sizeof coll, "%s/namespaces/{namespace}/%s", base, t->plural);
	else
		snprintf(coll, sizeof coll, "%s/%s", base, t->plural);
	snprintf(item, sizeof item, "%s/{name}", coll);
	snprintf(ref, sizeof ref, "#/components/schemas/%s%s", def_prefix(t), t->kind);
	c = cJSON_AddObjectToObject(paths, coll);
	snprintf(id, sizeof id, "create%s", t->kind);
	cJSON_AddItemToObject(c, "post", operation(t, id, "post", ref, json_body, 2, true));
	snprintf(id, sizeof id, "list%s", t->kind);
	cJSON_AddItemToObject(c, "get", operation(t, id, "list", ref, NULL, 0, false));
	i = cJSON_AddObjectToObject(paths, item);
	snprintf(id, sizeof id, "read%s", t->kind);
	cJSON_AddItemToObject(i, "get", operation(t, id, "get", ref, NULL, 0, false));
	snprintf(id, sizeof id, "replace%s", t->kind);
	cJSON_AddItemToObject(i, "put", operation(t, id, "put", ref, json_body, 2, true));
	snprintf(id, sizeof id, "patch%s", t->kind);
	cJSON_AddItemToObject(i, "patch",
	                      operation(t, id, "patch", ref, *t->group ? cr_patch : core_patch,
	                                *t->group ? 3 : 4, true));
	snprintf(id, sizeof id, "delete%s", t->kind);
	cJSON_AddItemToObject(i, "delete", operation(t, id, "delete", ref, NULL, 0, false));
}

static cJSON *group_doc(struct sim_cluster *c, bool core)
{
	cJSON *doc = cJSON_CreateObject(), *info, *paths, *schemas;
	char key[96];

	if (!doc)
		return NULL;
	cJSON_AddStringToObject(doc, "openapi", "3.0.0");
	info = cJSON_AddObjectToObject(doc, "info");
	cJSON_AddStringToObject(info, "title", core ? "Kubernetes" : "Kubernetes CRD Swagger");
	cJSON_AddStringToObject(info, "version", core ? "v1.32.0" : "v0.1.0");
	paths = cJSON_AddObjectToObject(doc, "paths");
	schemas = cJSON_AddObjectToObject(cJSON_AddObjectToObject(doc, "components"), "schemas");
	for (int i = 0; i < c->kube->nrtypes; i++) {
		const struct simk_rtype *t = &c->kube->rtypes[i];

		/* The core group's types, or the custom resources': the
		 * Deployments (apps/v1) have no document here. */
		if ((core ? *t->group != '\0' : !t->crd) || !simk_served(c, i))
			continue;
		add_paths(paths, t);
		snprintf(key, sizeof key, "%s%s", def_prefix(t), t->kind);
		cJSON_AddItemToObject(schemas, key, type_schema(t));
	}
	if (core)
		cJSON_AddItemToObject(schemas, OBJECT_META, object_meta_schema());
	return doc;
}

/* FNV-1a of the document text: the hash kubectl caches documents by. */
static uint64_t doc_hash(const cJSON *doc)
{
	char *text = cJSON_PrintUnformatted(doc);
	uint64_t h = 1469598103934665603ULL;

	for (const char *p = text; p && *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	free(text);
	return h;
}

void simk_openapi_v3(struct sim_cluster *c, const char *rest, struct sim_resp *resp)
{
	cJSON *root, *paths, *doc;
	char url[160];

	pthread_mutex_lock(&c->world->lock);
	if (strcmp(rest, "") == 0 || strcmp(rest, "/") == 0) {
		root = cJSON_CreateObject();
		paths = cJSON_AddObjectToObject(root, "paths");
		for (int core = 0; paths && core < 2; core++) {
			const char *gv = core ? "api/v1" : "apis/" SIMK_GROUP "/" SIMK_CR_VERSION;
			cJSON *d = group_doc(c, core);

			snprintf(url, sizeof url, "/openapi/v3/%s?hash=%016" PRIX64, gv,
			         doc_hash(d));
			cJSON_Delete(d);
			cJSON_AddStringToObject(cJSON_AddObjectToObject(paths, gv),
			                        "serverRelativeURL", url);
		}
		pthread_mutex_unlock(&c->world->lock);
		send(resp, root);
		return;
	}
	if (strcmp(rest, "/api/v1") == 0)
		doc = group_doc(c, true);
	else if (strcmp(rest, "/apis/" SIMK_GROUP "/" SIMK_CR_VERSION) == 0)
		doc = group_doc(c, false);
	else
		doc = NULL;
	pthread_mutex_unlock(&c->world->lock);
	if (!doc && strcmp(rest, "/api/v1") != 0 &&
	    strcmp(rest, "/apis/" SIMK_GROUP "/" SIMK_CR_VERSION) != 0) {
		simk_status_error(resp, 404, "NotFound",
		                  "the server could not find the requested "
		                  "resource",
		                  NULL, NULL, NULL, NULL);
		return;
	}
	send(resp, doc);
}

/* Swagger 2.0 needs its references under #/definitions. */
static void v2_refs(cJSON *node)
{
	cJSON *it;

	cJSON_ArrayForEach(it, node)
	{
		if (cJSON_IsString(it) && it->string && strcmp(it->string, "$ref") == 0) {
			const char *p = strrchr(it->valuestring, '/');
			char ref[160];

			snprintf(ref, sizeof ref, "#/definitions/%s", p ? p + 1 : it->valuestring);
			cJSON_SetValuestring(it, ref);
		} else {
			v2_refs(it);
		}
	}
}

void simk_openapi_v2(struct sim_cluster *c, struct sim_resp *resp)
{
	struct simk_state *k = c->kube;
	cJSON *doc = cJSON_CreateObject(), *info, *defs;
	char key[96];

	if (!doc) {
		send(resp, NULL);
		return;
	}
	cJSON_AddStringToObject(doc, "swagger", "2.0");
	info = cJSON_AddObjectToObject(doc, "info");
	cJSON_AddStringToObject(info, "title", "Kubernetes");
	cJSON_AddStringToObject(info, "version", "v1.32.0");
	cJSON_AddObjectToObject(doc, "paths");
	defs = cJSON_AddObjectToObject(doc, "definitions");
	pthread_mutex_lock(&c->world->lock);
	for (int i = 0; defs && i < k->nrtypes; i++) {
		const struct simk_rtype *t = &k->rtypes[i];

		if (!simk_served(c, i))
			continue;
		snprintf(key, sizeof key, "%s%s", def_prefix(t), t->kind);
		cJSON_AddItemToObject(defs, key, type_schema(t));
	}
	pthread_mutex_unlock(&c->world->lock);
	cJSON_AddItemToObject(defs, OBJECT_META, object_meta_schema());
	v2_refs(doc);
	send(resp, doc);
}
