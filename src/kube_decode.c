/* kube: decoders for the Kubernetes objects peerscope reads (doc/api-contract.md §7, §8).
 *
 * Kubernetes JSON keys are camelCase and matched exactly. Unknown fields are
 * ignored, null is the same as absent, and a value of the wrong type is
 * treated as absent too: only what cannot be an object at all (invalid JSON,
 * a Status where an object was expected, an object without a name) fails. */
#include "autoconfig.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube_internal.h"
#include "peerscope/codec.h"

#define FINALIZER "finalizers.consul.hashicorp.com"

/* ------------------------------------------------------------------ kinds */

#define CR_API "/apis/" KUBE_GROUP "/" KUBE_VERSION

struct kind_info {
	const char *name;
	const char *plural;
	bool consul;     /* a consul.hashicorp.com custom resource */
	const char *api; /* the group version's path */
};

static const struct kind_info kinds[KUBE_KIND_COUNT] = {
        [KUBE_PEERING_ACCEPTOR] = {"PeeringAcceptor", "peeringacceptors", true, CR_API},
        [KUBE_PEERING_DIALER] = {"PeeringDialer", "peeringdialers", true, CR_API},
        [KUBE_MESH] = {"Mesh", "meshes", true, CR_API},
        [KUBE_EXPORTED_SERVICES] = {"ExportedServices", "exportedservices", true, CR_API},
        [KUBE_PROXY_DEFAULTS] = {"ProxyDefaults", "proxydefaults", true, CR_API},
        [KUBE_SERVICE_DEFAULTS] = {"ServiceDefaults", "servicedefaults", true, CR_API},
        [KUBE_SERVICE_INTENTIONS] = {"ServiceIntentions", "serviceintentions", true, CR_API},
        [KUBE_SECRET] = {"Secret", "secrets", false, "/api/v1"},
        [KUBE_SERVICE] = {"Service", "services", false, "/api/v1"},
        [KUBE_DEPLOYMENT] = {"Deployment", "deployments", false, "/apis/apps/v1"},
};

static bool kind_valid(enum kube_kind kind)
{
	return (unsigned)kind < KUBE_KIND_COUNT;
}

const char *kube_kind_name(enum kube_kind kind)
{
	return kind_valid(kind) ? kinds[kind].name : "unknown kind";
}

const char *kube_kind_plural(enum kube_kind kind)
{
	return kind_valid(kind) ? kinds[kind].plural : "";
}

bool kube_kind_is_consul(enum kube_kind kind)
{
	return kind_valid(kind) && kinds[kind].consul;
}

int kube_fail(char *err, size_t errlen, const char *fmt, ...)
{
	if (err && errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* ------------------------------------------------------------------ paths */

/* A DNS subdomain (object names) or, with LABEL, a DNS label (namespaces). */
static bool name_valid(const char *s, bool label)
{
	size_t n = strlen(s);

	if (n == 0 || n > (label ? 63u : 253u))
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
		bool inner = c == '-' || (!label && c == '.');
		if (!alnum && (!inner || i == 0 || i == n - 1))
			return false;
	}
	return true;
}

int kube_path(char *buf, size_t len, enum kube_kind kind, const char *ns, const char *name,
              const char *query, char *err, size_t errlen)
{
	if (!kind_valid(kind))
		return kube_fail(err, errlen, "unknown resource kind %d", (int)kind);
	if (ns && !name_valid(ns, true))
		return kube_fail(err, errlen, "\"%.80s\" is not a valid namespace name", ns);
	if (name && !name_valid(name, false))
		return kube_fail(err, errlen, "\"%.80s\" is not a valid %s name", name,
		                 kinds[kind].name);
	if (name && !ns)
		return kube_fail(err, errlen, "%s %s: a namespace is required", kinds[kind].name,
		                 name);
	int n = snprintf(buf, len, "%s%s%s/%s%s%s%s%s", kinds[kind].api, ns ? "/namespaces/" : "",
	                 ns ? ns : "", kinds[kind].plural, name ? "/" : "", name ? name : "",
	                 query && *query ? "?" : "", query && *query ? query : "");
	if (n < 0 || (size_t)n >= len)
		return kube_fail(err, errlen, "request path for %s is too long", kinds[kind].name);
	return 0;
}

/* ------------------------------------------------------------ JSON helpers */

cJSON *kube_json_parse(const char *json, size_t len, const char *what, char *err, size_t errlen)
{
	char why[128];
	cJSON *root = codec_json_parse(json, len, why, sizeof why);

	if (!root)
		kube_fail(err, errlen, "%s: %s", what, why);
	return root;
}

static const cJSON *jget(const cJSON *obj, const char *key)
{
	const cJSON *v = cJSON_IsObject(obj) ? cJSON_GetObjectItemCaseSensitive(obj, key) : NULL;
	return cJSON_IsNull(v) ? NULL : v;
}

static const char *jstr(const cJSON *obj, const char *key)
{
	const cJSON *v = jget(obj, key);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* Copies string KEY of OBJ into *OUT ("" when absent); -1 only when out of
 * memory. */
static int dup_str(const cJSON *obj, const char *key, char **out)
{
	const char *s = jstr(obj, key);

	*out = strdup(s ? s : "");
	return *out ? 0 : -1;
}

static bool jbool(const cJSON *obj, const char *key)
{
	return cJSON_IsTrue(jget(obj, key));
}

/* A non-negative integer number; false when absent or not one. */
static bool juint(const cJSON *obj, const char *key, uint64_t *out)
{
	const cJSON *v = jget(obj, key);

	if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > 9007199254740992.0)
		return false;
	*out = (uint64_t)v->valuedouble;
	return (double)*out == v->valuedouble;
}

/* A timestamp in nanoseconds; 0 when absent, malformed or Go's zero time,
 * all of which mean "unset" to the dashboard. */
static int64_t jtime(const cJSON *obj, const char *key)
{
	int64_t ns = 0;
	const char *text = jstr(obj, key);

	return text && model_time_parse(text, &ns) == 0 ? ns : 0;
}

#define OOM(err, errlen) kube_fail(err, errlen, "out of memory")

typedef int (*item_fn)(const cJSON *item, void *elem);

/* Decodes every element of the array ARR (anything else: none) with FN into
 * a calloc'd array *V of SIZE-byte elements. *N counts the elements begun,
 * so the owner's clear also frees a list cut short. -1 when out of memory. */
static int decode_items(const cJSON *arr, void **v, size_t *n, size_t size, item_fn fn)
{
	size_t count = (size_t)cJSON_GetArraySize(arr);
	const cJSON *it;
	char *base;

	if (!cJSON_IsArray(arr) || count == 0)
		return 0;
	base = calloc(count, size);
	if (!base)
		return -1;
	*v = base;
	cJSON_ArrayForEach(it, arr)
	{
		if (fn(it, base + (*n)++ * size))
			return -1;
	}
	return 0;
}

/* ------------------------------------------------------------- metadata */

static int meta_decode(const cJSON *root, struct model_kube_meta *m)
{
	const cJSON *md = jget(root, "metadata");
	uint64_t gen = 0;

	if (dup_str(md, "name", &m->name) || dup_str(md, "namespace", &m->ns) ||
	    dup_str(md, "uid", &m->uid) || dup_str(md, "resourceVersion", &m->resource_version) ||
	    dup_str(jget(md, "annotations"), MODEL_KUBE_VERSION_ANNOTATION, &m->peering_version))
		return -1;
	if (juint(md, "generation", &gen))
		m->generation = (int64_t)gen;
	m->created_ns = jtime(md, "creationTimestamp");
	m->deleting_ns = jtime(md, "deletionTimestamp");
	const cJSON *f;
	cJSON_ArrayForEach(f, jget(md, "finalizers"))
	{
		if (cJSON_IsString(f) && !strcmp(f->valuestring, FINALIZER))
			m->has_finalizer = true;
	}
	return 0;
}

/* The Synced condition among status.conditions, and status.lastSyncedTime. */
static int synced_decode(const cJSON *status, struct model_kube_synced *s, int64_t *last_synced)
{
	const cJSON *c, *found = NULL;

	*last_synced = jtime(status, "lastSyncedTime");
	cJSON_ArrayForEach(c, jget(status, "conditions"))
	{
		const char *type = jstr(c, "type");
		if (type && !strcmp(type, "Synced"))
			found = c;
	}
	const char *st = jstr(found, "status");
	s->status = !st                    ? MODEL_COND_UNSET
	            : !strcmp(st, "True")  ? MODEL_COND_TRUE
	            : !strcmp(st, "False") ? MODEL_COND_FALSE
	                                   : MODEL_COND_UNKNOWN;
	s->last_transition_ns = jtime(found, "lastTransitionTime");
	return dup_str(found, "reason", &s->reason) || dup_str(found, "message", &s->message) ? -1
	                                                                                      : 0;
}

static int secret_ref_decode(const cJSON *ref, struct model_kube_secret_ref *r)
{
	if (dup_str(ref, "name", &r->name) || dup_str(ref, "key", &r->key) ||
	    dup_str(ref, "backend", &r->backend))
		return -1;
	return dup_str(ref, "resourceVersion", &r->resource_version);
}

/* ---------------------------------------------------------------- kinds */

static int peering_decode(const cJSON *root, struct model_kube_peering *p)
{
	const cJSON *status = jget(root, "status");
	const cJSON *re = jget(status, "reconcileError");

	if (meta_decode(root, &p->meta) ||
	    secret_ref_decode(jget(jget(jget(root, "spec"), "peer"), "secret"), &p->spec_secret) ||
	    secret_ref_decode(jget(status, "secret"), &p->status_secret) ||
	    synced_decode(status, &p->synced, &p->last_synced_ns) ||
	    dup_str(re, "message", &p->legacy_message))
		return -1;
	p->has_status = cJSON_IsObject(status);
	p->has_latest_version = juint(status, "latestPeeringVersion", &p->latest_version);
	/* Before consul-k8s 0.47: reconcileError and lastReconcileTime. */
	if (re || jget(status, "lastReconcileTime")) {
		p->legacy_status = true;
		p->legacy_error = jbool(re, "error");
		if (!p->last_synced_ns)
			p->last_synced_ns = jtime(status, "lastReconcileTime");
	}
	return 0;
}

/* Decoded size of standard base64 text (padding optional). */
static size_t b64_decoded_size(const char *s)
{
	size_t n = strlen(s);

	while (n && s[n - 1] == '=')
		n--;
	return n / 4 * 3 + (n % 4 > 1 ? n % 4 - 1 : 0);
}

static int secret_decode(const cJSON *root, struct model_kube_secret *s)
{
	const cJSON *data = jget(root, "data"), *v;
	const cJSON *labels = jget(jget(root, "metadata"), "labels");
	const char *label = jstr(labels, MODEL_KUBE_TOKEN_LABEL);
	const char *by = jstr(labels, MODEL_KUBE_MANAGED_LABEL);
	size_t n = (size_t)cJSON_GetArraySize(data);

	if (meta_decode(root, &s->meta) || dup_str(root, "type", &s->type))
		return -1;
	s->token_label = label && !strcmp(label, "true");
	s->managed = by && !strcmp(by, MODEL_KUBE_MANAGED_VALUE);
	if (!cJSON_IsObject(data) || n == 0)
		return 0;
	s->keys = calloc(n, sizeof *s->keys);
	if (!s->keys)
		return -1;
	cJSON_ArrayForEach(v, data)
	{
		struct model_kube_secret_key *k = &s->keys[s->nkeys];
		k->key = strdup(v->string ? v->string : "");
		if (!k->key)
			return -1;
		k->size = cJSON_IsString(v) ? b64_decoded_size(v->valuestring) : 0;
		s->nkeys++;
	}
	return 0;
}

static int head_decode(const cJSON *root, struct model_kube_entry_head *h)
{
	if (meta_decode(root, &h->meta))
		return -1;
	return synced_decode(jget(root, "status"), &h->synced, &h->last_synced_ns);
}

/* spec.meshGateway.mode under PARENT. */
static enum model_mgw_mode mgw_mode(const cJSON *parent)
{
	return model_mgw_mode_parse(jstr(jget(parent, "meshGateway"), "mode"));
}

static int mesh_decode(const cJSON *root, struct model_kube_mesh *m)
{
	m->peer_through_mesh_gateways =
	        jbool(jget(jget(root, "spec"), "peering"), "peerThroughMeshGateways");
	return head_decode(root, &m->head);
}

static int consumer_item(const cJSON *c, void *elem)
{
	struct model_export_consumer *k = elem;

	return dup_str(c, "peer", &k->peer) || dup_str(c, "partition", &k->partition) ||
	                       dup_str(c, "samenessGroup", &k->sameness_group)
	               ? -1
	               : 0;
}

static int export_item(const cJSON *svc, void *elem)
{
	struct model_export_service *e = elem;

	return dup_str(svc, "name", &e->name) || dup_str(svc, "namespace", &e->ns) ||
	                       decode_items(jget(svc, "consumers"), (void **)&e->consumers,
	                                    &e->nconsumers, sizeof *e->consumers, consumer_item)
	               ? -1
	               : 0;
}

static int exported_decode(const cJSON *root, struct model_kube_exported_services *e)
{
	return head_decode(root, &e->head) || decode_items(jget(jget(root, "spec"), "services"),
	                                                   (void **)&e->services, &e->nservices,
	                                                   sizeof *e->services, export_item)
	               ? -1
	               : 0;
}

static int proxy_defaults_decode(const cJSON *root, struct model_kube_proxy_defaults *p)
{
	p->mgw_mode = mgw_mode(jget(root, "spec"));
	return head_decode(root, &p->head);
}

static int override_item(const cJSON *o, void *elem)
{
	struct model_upstream_override *u = elem;

	u->mgw_mode = mgw_mode(o);
	return dup_str(o, "name", &u->name) || dup_str(o, "peer", &u->peer) ||
	                       dup_str(o, "namespace", &u->ns) ||
	                       dup_str(o, "partition", &u->partition)
	               ? -1
	               : 0;
}

static int service_defaults_decode(const cJSON *root, struct model_kube_service_defaults *s)
{
	const cJSON *spec = jget(root, "spec"), *up = jget(spec, "upstreamConfig");

	s->mgw_mode = mgw_mode(spec);
	s->has_upstream_defaults = cJSON_IsObject(jget(up, "defaults"));
	s->upstream_defaults_mgw_mode = mgw_mode(jget(up, "defaults"));
	return head_decode(root, &s->head) || dup_str(spec, "protocol", &s->protocol) ||
	                       decode_items(jget(up, "overrides"), (void **)&s->overrides,
	                                    &s->noverrides, sizeof *s->overrides, override_item)
	               ? -1
	               : 0;
}

static int intention_source_item(const cJSON *o, void *elem)
{
	struct model_intention_source *x = elem;
	const char *action = jstr(o, "action");
	const cJSON *perms = jget(o, "permissions");

	x->action = action && !strcmp(action, "allow")  ? MODEL_INTENTION_ALLOW
	            : action && !strcmp(action, "deny") ? MODEL_INTENTION_DENY
	                                                : MODEL_INTENTION_L7;
	x->npermissions = cJSON_IsArray(perms) ? (size_t)cJSON_GetArraySize(perms) : 0;
	return dup_str(o, "name", &x->name) || dup_str(o, "peer", &x->peer) ||
	                       dup_str(o, "namespace", &x->ns) ||
	                       dup_str(o, "partition", &x->partition) ||
	                       dup_str(o, "samenessGroup", &x->sameness_group) ||
	                       dup_str(o, "description", &x->description)
	               ? -1
	               : 0;
}

static int intentions_decode(const cJSON *root, struct model_kube_service_intentions *s)
{
	const cJSON *spec = jget(root, "spec"), *dst = jget(spec, "destination");

	return head_decode(root, &s->head) || dup_str(dst, "name", &s->destination) ||
	                       dup_str(dst, "namespace", &s->destination_ns) ||
	                       decode_items(jget(spec, "sources"), (void **)&s->sources,
	                                    &s->nsources, sizeof *s->sources, intention_source_item)
	               ? -1
	               : 0;
}

static int port_item(const cJSON *p, void *elem)
{
	struct kube_service_port *sp = elem;
	uint64_t port = 0;

	if (juint(p, "port", &port) && port <= 65535)
		sp->port = (int)port;
	return dup_str(p, "name", &sp->name);
}

static int service_decode(const cJSON *root, struct kube_service *s)
{
	const cJSON *labels = jget(jget(root, "metadata"), "labels");

	return meta_decode(root, &s->meta) || dup_str(labels, "component", &s->component) ||
	                       dup_str(labels, "app", &s->app) ||
	                       decode_items(jget(jget(root, "spec"), "ports"), (void **)&s->ports,
	                                    &s->nports, sizeof *s->ports, port_item)
	               ? -1
	               : 0;
}

/* An integer count; 0 when absent, as Kubernetes leaves out a count of 0. */
static int64_t jcount(const cJSON *obj, const char *key)
{
	uint64_t n = 0;

	return juint(obj, key, &n) && n <= INT32_MAX ? (int64_t)n : 0;
}

/* apps/v1 Deployment: the replicas asked for and the deployment
 * controller's counts and Available condition (kubernetes
 * pkg/controller/deployment/sync.go calculateStatus). */
static int deployment_decode(const cJSON *root, struct model_kube_deployment *d)
{
	const cJSON *spec = jget(root, "spec"), *st = jget(root, "status"), *c, *avail = NULL;
	const cJSON *ctr =
	        cJSON_GetArrayItem(jget(jget(jget(spec, "template"), "spec"), "containers"), 0);
	uint64_t want = 1;

	/* The API server defaults spec.replicas to 1. */
	juint(spec, "replicas", &want);
	d->replicas = want <= INT32_MAX ? (int64_t)want : INT32_MAX;
	d->observed_generation = jcount(st, "observedGeneration");
	d->status_replicas = jcount(st, "replicas");
	d->updated = jcount(st, "updatedReplicas");
	d->ready = jcount(st, "readyReplicas");
	d->available = jcount(st, "availableReplicas");
	d->unavailable = jcount(st, "unavailableReplicas");
	cJSON_ArrayForEach(c, jget(st, "conditions"))
	{
		const char *type = jstr(c, "type");
		if (type && !strcmp(type, "Available"))
			avail = c;
	}
	const char *as = jstr(avail, "status");
	d->available_status = !as                    ? MODEL_COND_UNSET
	                      : !strcmp(as, "True")  ? MODEL_COND_TRUE
	                      : !strcmp(as, "False") ? MODEL_COND_FALSE
	                                             : MODEL_COND_UNKNOWN;
	return meta_decode(root, &d->meta) || dup_str(avail, "reason", &d->available_reason) ||
	                       dup_str(avail, "message", &d->available_message) ||
	                       dup_str(ctr, "image", &d->image)
	               ? -1
	               : 0;
}

/* --------------------------------------------------------------- objects */

const struct model_kube_meta *kube_object_meta(const struct kube_object *obj)
{
	switch (obj->kind) {
	case KUBE_PEERING_ACCEPTOR:
	case KUBE_PEERING_DIALER:
		return &obj->u.peering.meta;
	case KUBE_MESH:
		return &obj->u.mesh.head.meta;
	case KUBE_EXPORTED_SERVICES:
		return &obj->u.exported.head.meta;
	case KUBE_PROXY_DEFAULTS:
		return &obj->u.proxy_defaults.head.meta;
	case KUBE_SERVICE_DEFAULTS:
		return &obj->u.service_defaults.head.meta;
	case KUBE_SERVICE_INTENTIONS:
		return &obj->u.intentions.head.meta;
	case KUBE_SECRET:
		return &obj->u.secret.meta;
	case KUBE_DEPLOYMENT:
		return &obj->u.deployment.meta;
	case KUBE_SERVICE:
	case KUBE_KIND_COUNT:
		break;
	}
	return &obj->u.service.meta;
}

static void service_free(struct kube_service *s)
{
	model_kube_meta_clear(&s->meta);
	free(s->component);
	free(s->app);
	for (size_t i = 0; i < s->nports; i++)
		free(s->ports[i].name);
	free(s->ports);
	memset(s, 0, sizeof *s);
}

void kube_object_clear(struct kube_object *obj)
{
	if (!obj)
		return;
	switch (obj->kind) {
	case KUBE_PEERING_ACCEPTOR:
	case KUBE_PEERING_DIALER:
		model_kube_peering_clear(&obj->u.peering);
		break;
	case KUBE_MESH:
		model_kube_mesh_clear(&obj->u.mesh);
		break;
	case KUBE_EXPORTED_SERVICES:
		model_kube_exported_services_clear(&obj->u.exported);
		break;
	case KUBE_PROXY_DEFAULTS:
		model_kube_proxy_defaults_clear(&obj->u.proxy_defaults);
		break;
	case KUBE_SERVICE_DEFAULTS:
		model_kube_service_defaults_clear(&obj->u.service_defaults);
		break;
	case KUBE_SERVICE_INTENTIONS:
		model_kube_service_intentions_clear(&obj->u.intentions);
		break;
	case KUBE_SECRET:
		model_kube_secret_clear(&obj->u.secret);
		break;
	case KUBE_SERVICE:
		service_free(&obj->u.service);
		break;
	case KUBE_DEPLOYMENT:
		model_kube_deployment_clear(&obj->u.deployment);
		break;
	case KUBE_KIND_COUNT:
		break;
	}
	enum kube_kind kind = obj->kind;
	memset(obj, 0, sizeof *obj);
	obj->kind = kind;
}

static int decode_kind(enum kube_kind kind, const cJSON *root, struct kube_object *out)
{
	switch (kind) {
	case KUBE_PEERING_ACCEPTOR:
	case KUBE_PEERING_DIALER:
		out->u.peering.role = kind == KUBE_PEERING_ACCEPTOR ? MODEL_PEERING_ACCEPTOR
		                                                    : MODEL_PEERING_DIALER;
		return peering_decode(root, &out->u.peering);
	case KUBE_MESH:
		return mesh_decode(root, &out->u.mesh);
	case KUBE_EXPORTED_SERVICES:
		return exported_decode(root, &out->u.exported);
	case KUBE_PROXY_DEFAULTS:
		return proxy_defaults_decode(root, &out->u.proxy_defaults);
	case KUBE_SERVICE_DEFAULTS:
		return service_defaults_decode(root, &out->u.service_defaults);
	case KUBE_SERVICE_INTENTIONS:
		return intentions_decode(root, &out->u.intentions);
	case KUBE_SECRET:
		return secret_decode(root, &out->u.secret);
	case KUBE_SERVICE:
		return service_decode(root, &out->u.service);
	case KUBE_DEPLOYMENT:
		return deployment_decode(root, &out->u.deployment);
	case KUBE_KIND_COUNT:
		break;
	}
	return -1;
}

int kube_object_from_json(enum kube_kind kind, const cJSON *root, struct kube_object *out,
                          char *err, size_t errlen)
{
	memset(out, 0, sizeof *out);
	out->kind = kind;
	if (!kind_valid(kind))
		return kube_fail(err, errlen, "unknown resource kind %d", (int)kind);
	if (!cJSON_IsObject(root))
		return kube_fail(err, errlen, "%s: expected a JSON object", kinds[kind].name);
	const char *k = jstr(root, "kind");
	if (k && !strcmp(k, "Status")) {
		const char *msg = jstr(root, "message");
		return kube_fail(err, errlen, "%s: the server answered with a Status: %.300s",
		                 kinds[kind].name, msg ? msg : "(no message)");
	}
	if (k && strcmp(k, kinds[kind].name))
		return kube_fail(err, errlen, "expected a %s, got a %.60s", kinds[kind].name, k);
	if (!jstr(jget(root, "metadata"), "name"))
		return kube_fail(err, errlen, "%s without metadata.name", kinds[kind].name);
	if (decode_kind(kind, root, out)) {
		kube_object_clear(out);
		return OOM(err, errlen);
	}
	return 0;
}

int kube_object_decode(enum kube_kind kind, const char *json, size_t len, struct kube_object *out,
                       char *err, size_t errlen)
{
	memset(out, 0, sizeof *out);
	out->kind = kind;
	cJSON *root = kube_json_parse(json, len, kube_kind_name(kind), err, errlen);
	if (!root)
		return -1;
	int rc = kube_object_from_json(kind, root, out, err, errlen);
	if (kind == KUBE_SECRET)
		codec_json_wipe(root); /* the data: a token must not stay in freed memory */
	cJSON_Delete(root);
	return rc;
}

/* ------------------------------------------------------------------ lists */

void kube_list_clear(struct kube_list *list)
{
	if (!list)
		return;
	for (size_t i = 0; i < list->n; i++)
		kube_object_clear(&list->items[i]);
	free(list->items);
	free(list->resource_version);
	free(list->continue_token);
	enum kube_kind kind = list->kind;
	memset(list, 0, sizeof *list);
	list->kind = kind;
}

static int list_items(enum kube_kind kind, const cJSON *items, struct kube_list *out, char *err,
                      size_t errlen)
{
	size_t n = (size_t)cJSON_GetArraySize(items), i = 0;
	const cJSON *it;

	if (n == 0)
		return 0;
	out->items = calloc(n, sizeof *out->items);
	if (!out->items)
		return OOM(err, errlen);
	cJSON_ArrayForEach(it, items)
	{
		char why[256];
		if (kube_object_from_json(kind, it, &out->items[i], why, sizeof why))
			return kube_fail(err, errlen, "%s list, item %zu: %s", kinds[kind].name, i,
			                 why);
		out->n = ++i;
	}
	return 0;
}

int kube_list_decode(enum kube_kind kind, const char *json, size_t len, struct kube_list *out,
                     char *err, size_t errlen)
{
	char what[64];
	int rc = -1;

	memset(out, 0, sizeof *out);
	out->kind = kind;
	if (!kind_valid(kind))
		return kube_fail(err, errlen, "unknown resource kind %d", (int)kind);
	snprintf(what, sizeof what, "%s list", kinds[kind].name);
	cJSON *root = kube_json_parse(json, len, what, err, errlen);
	if (!root)
		return -1;
	const char *k = jstr(root, "kind");
	const cJSON *items = jget(root, "items");
	if (!cJSON_IsObject(root) || (k && !strcmp(k, "Status"))) {
		kube_fail(err, errlen, "%s: expected a list object%s%.300s", what,
		          k ? ", got a Status: " : "", k ? jstr(root, "message") : "");
		goto out;
	}
	if (items && !cJSON_IsArray(items)) {
		kube_fail(err, errlen, "%s: \"items\" is not an array", what);
		goto out;
	}
	const cJSON *md = jget(root, "metadata");
	if (dup_str(md, "resourceVersion", &out->resource_version) ||
	    dup_str(md, "continue", &out->continue_token)) {
		OOM(err, errlen);
		goto out;
	}
	rc = list_items(kind, items, out, err, errlen);
out:
	if (rc)
		kube_list_clear(out);
	if (kind == KUBE_SECRET)
		codec_json_wipe(root);
	cJSON_Delete(root);
	return rc;
}

/* ----------------------------------------------------------------- Status */

void kube_status_clear(struct kube_status *st)
{
	if (!st)
		return;
	free(st->status);
	free(st->reason);
	free(st->message);
	free(st->name);
	free(st->kind);
	for (size_t i = 0; i < st->ncauses; i++) {
		free(st->causes[i].reason);
		free(st->causes[i].message);
		free(st->causes[i].field);
	}
	free(st->causes);
	memset(st, 0, sizeof *st);
}

static int status_fill(const cJSON *root, struct kube_status *out)
{
	const cJSON *details = jget(root, "details"), *causes = jget(details, "causes"), *c;
	uint64_t code = 0;
	size_t n = (size_t)cJSON_GetArraySize(causes);

	if (juint(root, "code", &code) && code < 1000)
		out->code = (int)code;
	if (dup_str(root, "status", &out->status) || dup_str(root, "reason", &out->reason) ||
	    dup_str(root, "message", &out->message) || dup_str(details, "name", &out->name) ||
	    dup_str(details, "kind", &out->kind))
		return -1;
	if (!cJSON_IsArray(causes) || n == 0)
		return 0;
	out->causes = calloc(n, sizeof *out->causes);
	if (!out->causes)
		return -1;
	cJSON_ArrayForEach(c, causes)
	{
		struct kube_status_cause *k = &out->causes[out->ncauses++];
		if (dup_str(c, "reason", &k->reason) || dup_str(c, "message", &k->message) ||
		    dup_str(c, "field", &k->field))
			return -1;
	}
	return 0;
}

int kube_status_from_json(const cJSON *root, struct kube_status *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof *out);
	const char *k = jstr(root, "kind");
	if (!cJSON_IsObject(root) || (k && strcmp(k, "Status")))
		return kube_fail(err, errlen, "expected a Status object%s%.60s",
		                 k ? ", got a " : "", k ? k : "");
	if (!jget(root, "code") && !jget(root, "reason") && !jget(root, "message"))
		return kube_fail(err, errlen, "Status object without code, reason or message");
	if (status_fill(root, out)) {
		kube_status_clear(out);
		return OOM(err, errlen);
	}
	return 0;
}

int kube_status_decode(const char *json, size_t len, struct kube_status *out, char *err,
                       size_t errlen)
{
	memset(out, 0, sizeof *out);
	cJSON *root = kube_json_parse(json, len, "Status", err, errlen);
	if (!root)
		return -1;
	int rc = kube_status_from_json(root, out, err, errlen);
	cJSON_Delete(root);
	return rc;
}

void kube_status_format(const struct kube_status *st, char *buf, size_t len)
{
	size_t n;

	if (!len)
		return;
	n = (size_t)snprintf(buf, len, "%s (%d): %s",
	                     st->reason && *st->reason ? st->reason : "Failure", st->code,
	                     st->message && *st->message ? st->message : "(no message)");
	/* Field causes say which part of a request was refused; the message
	 * usually repeats them, so add only those it does not mention. */
	for (size_t i = 0; i < st->ncauses && n < len; i++) {
		const struct kube_status_cause *c = &st->causes[i];
		if (!c->field || (st->message && strstr(st->message, c->field)))
			continue;
		n += (size_t)snprintf(buf + n, len - n, "; %s: %s", c->field,
		                      c->message  ? c->message
		                      : c->reason ? c->reason
		                                  : "invalid");
	}
}

/* Copies the start of a non-JSON body, one line, control characters as
 * spaces. */
static void text_excerpt(const char *body, size_t len, char *buf, size_t buflen)
{
	size_t j = 0;

	while (len && (*body == ' ' || *body == '\n' || *body == '\r' || *body == '\t')) {
		body++;
		len--;
	}
	for (size_t i = 0; i < len && j + 1 < buflen && j < 300; i++) {
		unsigned char c = (unsigned char)body[i];
		buf[j++] = c < 0x20 || c == 0x7f ? ' ' : (char)c;
	}
	while (j && buf[j - 1] == ' ')
		j--;
	buf[j] = 0;
}

void kube_error_text(int http_status, const char *body, size_t len, char *buf, size_t buflen)
{
	struct kube_status st;
	char why[64];

	if (!buflen)
		return;
	if (body && len && kube_status_decode(body, len, &st, why, sizeof why) == 0) {
		if (!st.code)
			st.code = http_status;
		kube_status_format(&st, buf, buflen);
		kube_status_clear(&st);
		return;
	}
	char excerpt[320] = "";
	if (body)
		text_excerpt(body, len, excerpt, sizeof excerpt);
	snprintf(buf, buflen, "HTTP %d%s%s", http_status, *excerpt ? ": " : "", excerpt);
}

/* -------------------------------------------------------------- discovery */

void kube_discovery_clear(struct kube_discovery *d)
{
	if (!d)
		return;
	free(d->preferred_version);
	for (size_t i = 0; i < d->nversions; i++)
		free(d->versions[i]);
	free(d->versions);
	memset(d, 0, sizeof *d);
}

int kube_discovery_decode_group(const char *json, size_t len, struct kube_discovery *out, char *err,
                                size_t errlen)
{
	int rc = -1;
	const cJSON *v;

	memset(out, 0, sizeof *out);
	cJSON *root = kube_json_parse(json, len, "API group " KUBE_GROUP, err, errlen);
	if (!root)
		return -1;
	const char *name = jstr(root, "name");
	if (!name || strcmp(name, KUBE_GROUP)) {
		kube_fail(err, errlen, "API group " KUBE_GROUP ": the server described \"%.60s\"",
		          name ? name : "(no name)");
		goto out;
	}
	const cJSON *versions = jget(root, "versions");
	size_t n = (size_t)cJSON_GetArraySize(versions);
	if (n && !(out->versions = calloc(n, sizeof *out->versions)))
		goto oom;
	cJSON_ArrayForEach(v, versions)
	{
		if (!jstr(v, "version"))
			continue;
		if (dup_str(v, "version", &out->versions[out->nversions]))
			goto oom;
		out->nversions++;
	}
	if (dup_str(jget(root, "preferredVersion"), "version", &out->preferred_version))
		goto oom;
	if (!*out->preferred_version && out->nversions) {
		free(out->preferred_version);
		if (!(out->preferred_version = strdup(out->versions[0])))
			goto oom;
	}
	out->group_served = out->nversions > 0;
	rc = 0;
	goto out;
oom:
	OOM(err, errlen);
out:
	if (rc)
		kube_discovery_clear(out);
	cJSON_Delete(root);
	return rc;
}

int kube_discovery_decode_resources(const char *json, size_t len, struct kube_discovery *d,
                                    char *err, size_t errlen)
{
	const cJSON *r;

	cJSON *root = kube_json_parse(json, len, "API resources of " KUBE_GROUP, err, errlen);
	if (!root)
		return -1;
	const cJSON *resources = jget(root, "resources");
	if (!cJSON_IsArray(resources)) {
		cJSON_Delete(root);
		return kube_fail(err, errlen, "API resources of " KUBE_GROUP ": no resources list");
	}
	cJSON_ArrayForEach(r, resources)
	{
		const char *name = jstr(r, "name"); /* "peeringacceptors" or ".../status" */
		for (int k = 0; name && k < KUBE_KIND_COUNT; k++)
			if (kinds[k].consul && !strcmp(name, kinds[k].plural))
				d->served[k] = true;
	}
	cJSON_Delete(root);
	return 0;
}

/* ---------------------------------------------------------------- Secrets */

int kube_secret_value(const char *secret_json, size_t len, const char *key, char **out,
                      size_t *outlen, char *err, size_t errlen)
{
	int rc = -1;

	*out = NULL;
	*outlen = 0;
	cJSON *root = kube_json_parse(secret_json, len, "Secret", err, errlen);
	if (!root)
		return -1;
	const char *name = jstr(jget(root, "metadata"), "name");
	const char *v = jstr(jget(root, "data"), key);
	if (!v) {
		kube_fail(err, errlen, "Secret %.253s has no data key \"%.253s\"",
		          name ? name : "(unnamed)", key);
		goto out;
	}
	long bad_at;
	unsigned char *buf = codec_base64_decode(v, strlen(v), CODEC_B64_STRICT, outlen, &bad_at);
	if (!buf && bad_at < 0) {
		OOM(err, errlen);
		goto out;
	}
	if (!buf) {
		kube_fail(err, errlen, "Secret %.253s, key \"%.253s\": the value is not base64",
		          name ? name : "(unnamed)", key);
		goto out;
	}
	*out = (char *)buf;
	rc = 0;
out:
	codec_json_wipe(root);
	cJSON_Delete(root);
	return rc;
}

/* ------------------------------------------------------ Consul via proxy */

void kube_consul_route_clear(struct kube_consul_route *r)
{
	if (!r)
		return;
	free(r->service);
	free(r->scheme);
	free(r->base_url);
	memset(r, 0, sizeof *r);
}

/* The port named NAME, or the one numbered PORT, of SVC; 0 if neither. */
static int service_port(const struct kube_service *svc, const char *name, int port)
{
	for (size_t i = 0; i < svc->nports; i++)
		if (!strcmp(svc->ports[i].name, name))
			return svc->ports[i].port;
	for (size_t i = 0; i < svc->nports; i++)
		if (svc->ports[i].port == port)
			return port;
	return 0;
}

int kube_route_build(const char *api_url, const char *ns, const char *service, bool tls, int port,
                     struct kube_consul_route *out, char *errbuf, size_t errlen)
{
	const char *scheme = tls ? "https" : "http";
	size_t n = strlen(api_url);

	memset(out, 0, sizeof *out);
	while (n && api_url[n - 1] == '/')
		n--;
	size_t len = n + strlen(ns) + strlen(service) + 96;
	out->service = strdup(service);
	out->scheme = strdup(scheme);
	out->base_url = malloc(len);
	out->port = port;
	if (!out->service || !out->scheme || !out->base_url) {
		kube_consul_route_clear(out);
		return kube_fail(errbuf, errlen, "out of memory");
	}
	snprintf(out->base_url, len, "%.*s/api/v1/namespaces/%s/services/%s:%s:%d/proxy", (int)n,
	         api_url, ns, scheme, service, port);
	return 0;
}

int kube_consul_route_from_service(const char *api_url, const struct kube_service *svc, bool tls,
                                   struct kube_consul_route *out, char *errbuf, size_t errlen)
{
	const char *scheme = tls ? "https" : "http";
	int dflt = tls ? KUBE_CONSUL_HTTPS_PORT : KUBE_CONSUL_HTTP_PORT;
	/* The Helm chart names the ports "https" (8501) and "http" (8500). */
	int port = svc->nports ? service_port(svc, scheme, dflt) : dflt;

	memset(out, 0, sizeof *out);
	if (!port)
		return kube_fail(errbuf, errlen, "Service %s/%s has no %s port (%d)", svc->meta.ns,
		                 svc->meta.name, scheme, dflt);
	return kube_route_build(api_url, svc->meta.ns, svc->meta.name, tls, port, out, errbuf,
	                        errlen);
}
