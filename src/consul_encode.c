/* consul encoders: config entries as JSON bodies for PUT /v1/config, built
 * on the entry Consul returned so that fields this build does not know are
 * kept. Pure. See include/peerscope/consul.h. */
#include "autoconfig.h"

#include "peerscope/consul.h"

#include "consul_internal.h"

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Sets member KEY of OBJ to ITEM (taken), replacing any member whose name
 * matches KEY without regard to case. */
static bool jset(cJSON *obj, const char *key, cJSON *item)
{
	if (!item)
		return false;
	while (consul_json_get(obj, key))
		cJSON_DeleteItemFromObject(obj, consul_json_get(obj, key)->string);
	if (!cJSON_AddItemToObject(obj, key, item)) {
		cJSON_Delete(item);
		return false;
	}
	return true;
}

static bool jset_str(cJSON *obj, const char *key, const char *s)
{
	return jset(obj, key, cJSON_CreateString(s ? s : ""));
}

/* jset_str for an optional value: nothing is set when s is NULL or "". */
static bool jset_opt(cJSON *obj, const char *key, const char *s)
{
	return !s || !*s || jset_str(obj, key, s);
}

/* A copy of base to build on, or a new object. NULL when base is given but
 * not a JSON object, or when out of memory. */
static cJSON *encode_start(const char *base)
{
	cJSON *o;

	if (!base)
		return cJSON_CreateObject();
	o = cJSON_Parse(base);
	if (o && !cJSON_IsObject(o)) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

/* The object member key of o, created when missing or not an object. */
static cJSON *child_object(cJSON *o, const char *key)
{
	cJSON *c = (cJSON *)consul_json_get(o, key);

	if (cJSON_IsObject(c))
		return c;
	c = cJSON_CreateObject();
	return jset(o, key, c) ? c : NULL;
}

static char *encode_finish(cJSON *o, bool ok)
{
	char *s = ok ? cJSON_PrintUnformatted(o) : NULL;

	cJSON_Delete(o);
	return s;
}

static bool meta_encode(cJSON *o, const struct model_meta *m)
{
	cJSON *obj;

	if (!m->n)
		return true;
	obj = cJSON_CreateObject();
	for (size_t i = 0; obj && i < m->n; i++) {
		if (!cJSON_AddStringToObject(obj, m->v[i].key, m->v[i].value)) {
			cJSON_Delete(obj);
			return false;
		}
	}
	return jset(o, "Meta", obj);
}

/* Kind, Name, Partition/Namespace (only when set), Meta. */
static bool head_encode(cJSON *o, const struct model_entry_head *h, const char *kind,
                        const char *default_name)
{
	const char *name = h->name && *h->name ? h->name : default_name;

	return jset_str(o, "Kind", kind) && name && jset_str(o, "Name", name) &&
	       jset_opt(o, "Partition", h->partition) && jset_opt(o, "Namespace", h->ns) &&
	       meta_encode(o, &h->meta);
}

/* MeshGateway {Mode} on o; removed when the mode is inherited. */
static bool mgw_encode(cJSON *o, enum model_mgw_mode mode)
{
	cJSON *mg;

	if (mode == MODEL_MGW_DEFAULT || mode == MODEL_MGW_INVALID) {
		while (consul_json_get(o, "MeshGateway"))
			cJSON_DeleteItemFromObject(o, consul_json_get(o, "MeshGateway")->string);
		return true;
	}
	mg = child_object(o, "MeshGateway");
	return mg && jset_str(mg, "Mode", model_mgw_mode_name(mode));
}

static cJSON *consumer_encode(const struct model_export_consumer *c)
{
	cJSON *o = cJSON_CreateObject();
	bool ok = o && jset_opt(o, "Peer", c->peer) && jset_opt(o, "Partition", c->partition) &&
	          jset_opt(o, "SamenessGroup", c->sameness_group);

	if (!ok) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

static cJSON *export_encode(const struct model_export_service *s)
{
	cJSON *o = cJSON_CreateObject(), *arr = cJSON_CreateArray();
	bool ok = o && arr && jset_str(o, "Name", s->name) && jset_opt(o, "Namespace", s->ns);

	for (size_t i = 0; ok && i < s->nconsumers; i++) {
		cJSON *c = consumer_encode(&s->consumers[i]);
		ok = c && cJSON_AddItemToArray(arr, c);
	}
	if (ok) {
		ok = jset(o, "Consumers", arr);
		arr = NULL;
	}
	cJSON_Delete(arr);
	if (!ok) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

char *consul_encode_exported_services_entry(const struct model_exported_services_entry *e,
                                            const char *base)
{
	cJSON *o = encode_start(base), *arr = cJSON_CreateArray();
	bool ok = o && arr && head_encode(o, &e->head, CONSUL_KIND_EXPORTED_SERVICES, "default");

	for (size_t i = 0; ok && i < e->nservices; i++) {
		cJSON *s = export_encode(&e->services[i]);
		ok = s && cJSON_AddItemToArray(arr, s);
	}
	if (ok) {
		ok = jset(o, "Services", arr);
		arr = NULL;
	}
	cJSON_Delete(arr);
	if (!o)
		return NULL;
	return encode_finish(o, ok);
}

/* Set a boolean member when true, or when base already has it. */
static bool bool_encode(cJSON *o, const char *key, bool v)
{
	if (!v && !consul_json_get(o, key))
		return true;
	return jset(o, key, cJSON_CreateBool(v));
}

char *consul_encode_mesh_entry(const struct model_mesh_entry *e, const char *base)
{
	cJSON *o = encode_start(base), *peering, *tproxy;
	bool ok;

	if (!o)
		return NULL;
	ok = head_encode(o, &e->head, CONSUL_KIND_MESH, "mesh");
	/* The mesh entry has no Name: Consul refuses one with `invalid config
	 * key "Name"` (consul agent/structs/config_entry_mesh.go,
	 * doc/api-contract.md §3.1, §3.3). */
	while (ok && consul_json_get(o, "Name"))
		cJSON_DeleteItemFromObject(o, consul_json_get(o, "Name")->string);
	peering = ok ? child_object(o, "Peering") : NULL;
	ok = peering && jset(peering, "PeerThroughMeshGateways",
	                     cJSON_CreateBool(e->peer_through_mesh_gateways));
	if (ok && (e->mesh_destinations_only || consul_json_get(o, "TransparentProxy"))) {
		tproxy = child_object(o, "TransparentProxy");
		ok = tproxy &&
		     bool_encode(tproxy, "MeshDestinationsOnly", e->mesh_destinations_only);
	}
	if (ok)
		ok = bool_encode(o, "AllowEnablingPermissiveMutualTLS",
		                 e->allow_enabling_permissive_mtls);
	return encode_finish(o, ok);
}

char *consul_encode_proxy_defaults_entry(const struct model_proxy_defaults_entry *e,
                                         const char *base)
{
	cJSON *o = encode_start(base), *cfg;
	bool ok;

	if (!o)
		return NULL;
	ok = head_encode(o, &e->head, CONSUL_KIND_PROXY_DEFAULTS, "global") &&
	     mgw_encode(o, e->mgw_mode);
	if (ok && e->protocol && *e->protocol) {
		cfg = child_object(o, "Config");
		ok = cfg && jset_str(cfg, "protocol", e->protocol);
	}
	return encode_finish(o, ok);
}

static bool same(const char *a, const char *b)
{
	return !strcmp(a ? a : "", b ? b : "");
}

/* The override of base (an array) for the same upstream, copied. */
static cJSON *override_base(const cJSON *arr, const struct model_upstream_override *u)
{
	const cJSON *it;

	cJSON_ArrayForEach(it, arr)
	{
		const cJSON *n = consul_json_get(it, "Name"), *p = consul_json_get(it, "Peer"),
		            *ns = consul_json_get(it, "Namespace"),
		            *pt = consul_json_get(it, "Partition");
		if (same(cJSON_GetStringValue(n), u->name) &&
		    same(cJSON_GetStringValue(p), u->peer) &&
		    same(cJSON_GetStringValue(ns), u->ns) &&
		    same(cJSON_GetStringValue(pt), u->partition))
			return cJSON_Duplicate(it, true);
	}
	return cJSON_CreateObject();
}

static cJSON *override_encode(const cJSON *base_arr, const struct model_upstream_override *u)
{
	cJSON *o = override_base(base_arr, u);
	bool ok = o && jset_str(o, "Name", u->name) && jset_opt(o, "Peer", u->peer) &&
	          jset_opt(o, "Namespace", u->ns) && jset_opt(o, "Partition", u->partition) &&
	          mgw_encode(o, u->mgw_mode);

	if (!ok) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

static bool upstream_encode(cJSON *o, const struct model_service_defaults_entry *e)
{
	cJSON *uc, *arr, *defs;
	const cJSON *old;
	bool ok = true;

	if (!e->noverrides && !e->has_upstream_defaults && !consul_json_get(o, "UpstreamConfig"))
		return true;
	uc = child_object(o, "UpstreamConfig");
	if (!uc)
		return false;
	old = consul_json_get(uc, "Overrides");
	arr = cJSON_CreateArray();
	for (size_t i = 0; arr && ok && i < e->noverrides; i++) {
		cJSON *it = override_encode(old, &e->overrides[i]);
		ok = it && cJSON_AddItemToArray(arr, it);
	}
	if (!arr || !ok) {
		cJSON_Delete(arr);
		return false;
	}
	if (!jset(uc, "Overrides", arr))
		return false;
	if (!e->has_upstream_defaults)
		return true;
	defs = child_object(uc, "Defaults");
	return defs && mgw_encode(defs, e->upstream_defaults_mgw_mode);
}

char *consul_encode_service_defaults_entry(const struct model_service_defaults_entry *e,
                                           const char *base)
{
	cJSON *o = encode_start(base);
	bool ok;

	if (!o)
		return NULL;
	ok = head_encode(o, &e->head, CONSUL_KIND_SERVICE_DEFAULTS, NULL) &&
	     mgw_encode(o, e->mgw_mode) && upstream_encode(o, e) &&
	     jset_opt(o, "Protocol", e->protocol);
	return encode_finish(o, ok);
}

/* ---------------------------------------------------------------------- ACL */

char *consul_encode_authorize(const struct model_acl_check *checks, size_t n)
{
	cJSON *arr = cJSON_CreateArray();
	char *s = NULL;
	bool ok = arr != NULL;

	for (size_t i = 0; ok && i < n; i++) {
		cJSON *o = cJSON_CreateObject();
		ok = o && cJSON_AddItemToArray(arr, o) &&
		     cJSON_AddStringToObject(o, "Resource", checks[i].resource) &&
		     cJSON_AddStringToObject(o, "Segment",
		                             checks[i].segment ? checks[i].segment : "") &&
		     cJSON_AddStringToObject(o, "Access", checks[i].access);
	}
	if (ok)
		s = cJSON_PrintUnformatted(arr);
	cJSON_Delete(arr);
	return s;
}
