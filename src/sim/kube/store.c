/* peerscope-sim: a cluster's Kubernetes objects and their change log.
 *
 * Invariants: every stored object's metadata.resourceVersion is the decimal
 * form of its rv; k->rv is the highest rv handed out; the event ring holds
 * the most recent changes in increasing rv order. Caller holds world->lock. */
#include "autoconfig.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "simk.h"

const struct simk_rtype *simk_rtype(const struct simk_state *k, int rt)
{
	return rt >= 0 && rt < k->nrtypes ? &k->rtypes[rt] : NULL;
}

int simk_rtype_by_plural(const struct simk_state *k, const char *group, const char *plural)
{
	for (int i = 0; i < k->nrtypes; i++)
		if (strcmp(k->rtypes[i].group, group) == 0 &&
		    strcmp(k->rtypes[i].plural, plural) == 0)
			return i;
	return -1;
}

cJSON *simk_path(const cJSON *obj, const char *path)
{
	char key[128];
	const cJSON *cur = obj;

	while (cur && *path) {
		size_t n = strcspn(path, ".");

		if (n >= sizeof key)
			return NULL;
		memcpy(key, path, n);
		key[n] = '\0';
		cur = cJSON_IsObject(cur) ? cJSON_GetObjectItemCaseSensitive(cur, key) : NULL;
		path += n;
		if (*path == '.')
			path++;
	}
	return (cJSON *)cur;
}

const char *simk_str(const cJSON *obj, const char *path)
{
	const cJSON *v = simk_path(obj, path);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static const char *meta_map_value(const cJSON *obj, const char *map, const char *key)
{
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(simk_path(obj, "metadata"), map);
	const cJSON *v = cJSON_IsObject(m) ? cJSON_GetObjectItemCaseSensitive(m, key) : NULL;

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

const char *simk_label(const cJSON *obj, const char *key)
{
	return meta_map_value(obj, "labels", key);
}

const char *simk_annotation(const cJSON *obj, const char *key)
{
	return meta_map_value(obj, "annotations", key);
}

void simk_timestamp(const struct sim_world *w, char *buf, size_t len)
{
	time_t t = (time_t)(sim_now_ms(w) / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

struct simk_obj *simk_find(struct simk_state *k, int rt, const char *ns, const char *name)
{
	for (struct simk_obj *o = k->objs; o; o = o->next)
		if (o->rt == rt && strcmp(o->name, name) == 0 && strcmp(o->ns, ns ? ns : "") == 0)
			return o;
	return NULL;
}

/* Sets metadata[key] to a string, replacing what was there. */
static void meta_set_str(cJSON *meta, const char *key, const char *value)
{
	cJSON_DeleteItemFromObjectCaseSensitive(meta, key);
	cJSON_AddStringToObject(meta, key, value);
}

static void set_rv(cJSON *obj, uint64_t rv)
{
	char buf[24];

	snprintf(buf, sizeof buf, "%" PRIu64, rv);
	meta_set_str(cJSON_GetObjectItemCaseSensitive(obj, "metadata"), "resourceVersion", buf);
}

static void record(struct sim_cluster *c, enum simk_ev_type type, int rt, const cJSON *obj,
                   uint64_t rv, const cJSON *prev_labels)
{
	struct simk_state *k = c->kube;
	struct simk_event *ev;
	cJSON *copy = cJSON_Duplicate(obj, true);
	cJSON *labels = prev_labels ? cJSON_Duplicate(prev_labels, true) : NULL;

	/* Without memory for the copy the change still happened; watchers then
	 * miss it and resync through a 410, which clients must handle anyway. */
	if (k->ev_count == SIMK_EVENT_RING) {
		ev = &k->ring[k->ev_start];
		k->dropped_rv = ev->rv;
		cJSON_Delete(ev->obj);
		cJSON_Delete(ev->prev_labels);
		k->ev_start = (k->ev_start + 1) % SIMK_EVENT_RING;
		k->ev_count--;
	}
	if (!copy || (prev_labels && !labels)) {
		cJSON_Delete(copy);
		cJSON_Delete(labels);
		k->dropped_rv = rv;
		sim_changed(c->world);
		return;
	}
	ev = &k->ring[(k->ev_start + k->ev_count) % SIMK_EVENT_RING];
	ev->rv = rv;
	ev->type = type;
	ev->rt = rt;
	ev->obj = copy;
	ev->prev_labels = labels;
	k->ev_count++;
	sim_changed(c->world);
}

uint64_t simk_oldest_rv(const struct simk_state *k)
{
	return k->dropped_rv;
}

const struct simk_event *simk_event_at(const struct simk_state *k, size_t i)
{
	return i < k->ev_count ? &k->ring[(k->ev_start + i) % SIMK_EVENT_RING] : NULL;
}

size_t simk_events_after(const struct simk_state *k, uint64_t after)
{
	size_t lo = 0, hi = k->ev_count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (simk_event_at(k, mid)->rv <= after)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Makes ITEM (detached, keeping its key) the first member of PARENT. cJSON
 * keeps child->prev pointing at the last member. */
static void prepend(cJSON *parent, cJSON *item)
{
	cJSON *first = parent->child;

	item->next = first;
	item->prev = first ? first->prev : item;
	if (first)
		first->prev = item;
	parent->child = item;
}

/* kind, apiVersion, metadata first, as the API server serialises objects;
 * in metadata, name and namespace first. */
static void order_members(cJSON *obj)
{
	static const char *const top[] = {"metadata", "apiVersion", "kind"};
	static const char *const meta[] = {"namespace", "name"};
	cJSON *m = cJSON_GetObjectItemCaseSensitive(obj, "metadata");

	for (size_t i = 0; i < 3; i++) {
		cJSON *it = cJSON_DetachItemFromObjectCaseSensitive(obj, top[i]);

		if (it)
			prepend(obj, it);
	}
	for (size_t i = 0; m && i < 2; i++) {
		cJSON *it = cJSON_DetachItemFromObjectCaseSensitive(m, meta[i]);

		if (it)
			prepend(m, it);
	}
}

struct simk_obj *simk_insert(struct sim_cluster *c, int rt, const char *ns, cJSON *obj)
{
	struct simk_state *k = c->kube;
	const struct simk_rtype *t = simk_rtype(k, rt);
	struct simk_obj *o = calloc(1, sizeof *o);
	cJSON *meta = cJSON_GetObjectItemCaseSensitive(obj, "metadata");
	char uid[37], ts[32];

	if (!o || !cJSON_IsObject(meta) || !simk_str(obj, "metadata.name"))
		goto fail;
	o->rt = rt;
	o->ns = strdup(t->namespaced && ns ? ns : "");
	o->name = strdup(simk_str(obj, "metadata.name"));
	if (!o->ns || !o->name)
		goto fail;
	sim_uuid(c->world, uid);
	simk_timestamp(c->world, ts, sizeof ts);
	if (t->namespaced)
		meta_set_str(meta, "namespace", o->ns);
	meta_set_str(meta, "uid", uid);
	meta_set_str(meta, "creationTimestamp", ts);
	cJSON_DeleteItemFromObjectCaseSensitive(meta, "deletionTimestamp");
	cJSON_DeleteItemFromObjectCaseSensitive(meta, "generation");
	/* Custom resources and apps/v1 objects count the changes of their spec
	 * (the Deployment strategy's PrepareForCreate). */
	if (t->crd || !strcmp(t->group, SIMK_APPS_GROUP))
		cJSON_AddNumberToObject(meta, "generation", 1);
	o->rv = ++k->rv;
	set_rv(obj, o->rv);
	order_members(obj);
	o->json = obj;
	o->next = k->objs;
	k->objs = o;
	record(c, SIMK_EV_ADDED, rt, obj, o->rv, NULL);
	return o;
fail:
	if (o) {
		free(o->ns);
		free(o->name);
	}
	free(o);
	cJSON_Delete(obj);
	return NULL;
}

static void obj_free(struct simk_obj *o)
{
	cJSON_Delete(o->json);
	free(o->ns);
	free(o->name);
	free(o);
}

static void simk_remove(struct sim_cluster *c, struct simk_obj *o);

static bool ns_empty(const struct simk_state *k, const char *ns)
{
	for (const struct simk_obj *o = k->objs; o; o = o->next)
		if (*o->ns && strcmp(o->ns, ns) == 0)
			return false;
	return true;
}

/* A terminating namespace goes once the last object in it has gone. */
static void ns_settle(struct sim_cluster *c, const char *ns)
{
	struct simk_obj *n;

	if (!*ns || !ns_empty(c->kube, ns))
		return;
	n = simk_find(c->kube, SIMK_RT_NAMESPACES, "", ns);
	if (n && simk_str(n->json, "metadata.deletionTimestamp"))
		simk_remove(c, n);
}

bool simk_ns_terminating(struct simk_state *k, const char *ns)
{
	struct simk_obj *n = ns && *ns ? simk_find(k, SIMK_RT_NAMESPACES, "", ns) : NULL;

	return n && simk_str(n->json, "metadata.deletionTimestamp");
}

/* Removes O for good and records a DELETED event. */
static void simk_remove(struct sim_cluster *c, struct simk_obj *o)
{
	struct simk_state *k = c->kube;
	struct simk_obj **pp = &k->objs;

	while (*pp && *pp != o)
		pp = &(*pp)->next;
	if (!*pp)
		return;
	*pp = o->next;
	/* The DELETED event carries the resourceVersion of the deletion. */
	o->rv = ++k->rv;
	set_rv(o->json, o->rv);
	record(c, SIMK_EV_DELETED, o->rt, o->json, o->rv, NULL);
	ns_settle(c, o->ns);
	obj_free(o);
}

/* Equal apart from the members named in SKIP (top level only). */
static bool equal_except(const cJSON *a, const cJSON *b, const char *const *skip)
{
	cJSON *ca = cJSON_Duplicate(a, true), *cb = cJSON_Duplicate(b, true);
	bool eq;

	if (!ca || !cb) {
		cJSON_Delete(ca);
		cJSON_Delete(cb);
		return false;
	}
	for (; *skip; skip++) {
		cJSON_DeleteItemFromObjectCaseSensitive(ca, *skip);
		cJSON_DeleteItemFromObjectCaseSensitive(cb, *skip);
	}
	eq = cJSON_Compare(ca, cb, true);
	cJSON_Delete(ca);
	cJSON_Delete(cb);
	return eq;
}

static bool meta_equal(const cJSON *a, const cJSON *b)
{
	static const char *const skip[] = {"resourceVersion", "managedFields", NULL};

	return equal_except(simk_path(a, "metadata"), simk_path(b, "metadata"), skip);
}

static bool deleting_without_finalizers(const cJSON *obj)
{
	const cJSON *fin = simk_path(obj, "metadata.finalizers");

	return simk_str(obj, "metadata.deletionTimestamp") && cJSON_GetArraySize(fin) == 0;
}

enum simk_write simk_replace(struct sim_cluster *c, struct simk_obj *o, cJSON *obj, char **printed)
{
	static const char *const body_skip[] = {"metadata", "status", NULL};
	static const char *const all_skip[] = {"metadata", NULL};
	struct simk_state *k = c->kube;
	cJSON *meta = cJSON_GetObjectItemCaseSensitive(obj, "metadata");
	const cJSON *gen = simk_path(o->json, "metadata.generation");
	cJSON *old;
	bool spec_changed;

	if (printed)
		*printed = NULL;
	if (!cJSON_IsObject(meta)) {
		cJSON_Delete(obj);
		return SIMK_UNCHANGED;
	}
	/* Identity is the server's, whatever the client sent. */
	meta_set_str(meta, "name", o->name);
	if (*o->ns)
		meta_set_str(meta, "namespace", o->ns);
	meta_set_str(meta, "uid", simk_str(o->json, "metadata.uid"));
	meta_set_str(meta, "creationTimestamp", simk_str(o->json, "metadata.creationTimestamp"));
	cJSON_DeleteItemFromObjectCaseSensitive(meta, "generation");
	if (cJSON_IsNumber(gen))
		cJSON_AddNumberToObject(meta, "generation", gen->valuedouble);
	cJSON_DeleteItemFromObjectCaseSensitive(meta, "deletionTimestamp");
	if (simk_str(o->json, "metadata.deletionTimestamp"))
		cJSON_AddStringToObject(meta, "deletionTimestamp",
		                        simk_str(o->json, "metadata.deletionTimestamp"));
	if (meta_equal(o->json, obj) && equal_except(o->json, obj, all_skip)) {
		cJSON_Delete(obj);
		if (printed)
			*printed = sim_json_print(o->json, NULL);
		return SIMK_UNCHANGED;
	}
	spec_changed = !equal_except(o->json, obj, body_skip);
	if (spec_changed && cJSON_IsNumber(gen))
		cJSON_SetNumberValue(cJSON_GetObjectItemCaseSensitive(meta, "generation"),
		                     gen->valuedouble + 1);
	old = o->json;
	order_members(obj);
	o->json = obj;
	o->rv = ++k->rv;
	set_rv(obj, o->rv);
	record(c, SIMK_EV_MODIFIED, o->rt, obj, o->rv, simk_path(old, "metadata.labels"));
	cJSON_Delete(old);
	if (printed)
		*printed = sim_json_print(obj, NULL);
	if (deleting_without_finalizers(obj)) {
		simk_remove(c, o);
		return SIMK_GONE;
	}
	return SIMK_CHANGED;
}

/* Deleting a Namespace: it turns Terminating, everything in it is deleted
 * (finalizers still hold custom resources until their controller is done),
 * and it goes with its last object. */
static bool delete_namespace(struct sim_cluster *c, struct simk_obj *ns, char **printed)
{
	cJSON *meta = cJSON_GetObjectItemCaseSensitive(ns->json, "metadata");
	cJSON *status = cJSON_GetObjectItemCaseSensitive(ns->json, "status");
	char ts[32], name[256];
	bool again = true;

	snprintf(name, sizeof name, "%s", ns->name);
	if (!simk_str(ns->json, "metadata.deletionTimestamp")) {
		simk_timestamp(c->world, ts, sizeof ts);
		meta_set_str(meta, "deletionTimestamp", ts);
		if (cJSON_IsObject(status))
			meta_set_str(status, "phase", "Terminating");
		ns->rv = ++c->kube->rv;
		set_rv(ns->json, ns->rv);
		record(c, SIMK_EV_MODIFIED, ns->rt, ns->json, ns->rv,
		       simk_path(ns->json, "metadata.labels"));
	}
	*printed = sim_json_print(ns->json, NULL);
	/* Each deletion may change the list: start over until nothing moves. */
	while (again) {
		again = false;
		for (struct simk_obj *o = c->kube->objs; o; o = o->next) {
			char *p = NULL;

			if (strcmp(o->ns, name) != 0 ||
			    simk_str(o->json, "metadata.deletionTimestamp"))
				continue;
			simk_delete(c, o, &p);
			free(p);
			again = true;
			break;
		}
	}
	ns_settle(c, name);
	return !simk_find(c->kube, SIMK_RT_NAMESPACES, "", name);
}

bool simk_delete(struct sim_cluster *c, struct simk_obj *o, char **printed)
{
	cJSON *meta = cJSON_GetObjectItemCaseSensitive(o->json, "metadata");
	char ts[32];

	if (o->rt == SIMK_RT_NAMESPACES)
		return delete_namespace(c, o, printed);
	if (cJSON_GetArraySize(simk_path(o->json, "metadata.finalizers")) == 0) {
		*printed = sim_json_print(o->json, NULL);
		simk_remove(c, o);
		return true;
	}
	/* Finalizers hold the object: mark it once, then wait for them. */
	if (!simk_str(o->json, "metadata.deletionTimestamp")) {
		simk_timestamp(c->world, ts, sizeof ts);
		meta_set_str(meta, "deletionTimestamp", ts);
		cJSON_DeleteItemFromObjectCaseSensitive(meta, "deletionGracePeriodSeconds");
		cJSON_AddNumberToObject(meta, "deletionGracePeriodSeconds", 0);
		o->rv = ++c->kube->rv;
		set_rv(o->json, o->rv);
		record(c, SIMK_EV_MODIFIED, o->rt, o->json, o->rv,
		       simk_path(o->json, "metadata.labels"));
	}
	*printed = sim_json_print(o->json, NULL);
	return false;
}

bool simk_served(const struct sim_cluster *c, int rt)
{
	const struct simk_rtype *t = c->kube ? simk_rtype(c->kube, rt) : NULL;

	if (!t)
		return false;
	if (!t->crd)
		return true;
	if (!c->install.connect_inject_enabled)
		return false;
	if (strcmp(t->kind, "PeeringAcceptor") == 0 || strcmp(t->kind, "PeeringDialer") == 0)
		return c->install.peering_enabled;
	return true;
}

cJSON *simk_secret_new(const char *ns, const char *name, const char *type, const char *key,
                       const char *value_b64, cJSON **labels)
{
	cJSON *s = cJSON_CreateObject(), *meta, *data;

	if (!s)
		return NULL;
	cJSON_AddStringToObject(s, "apiVersion", "v1");
	cJSON_AddStringToObject(s, "kind", "Secret");
	meta = cJSON_AddObjectToObject(s, "metadata");
	cJSON_AddStringToObject(meta, "name", name);
	cJSON_AddStringToObject(meta, "namespace", ns);
	*labels = cJSON_AddObjectToObject(meta, "labels");
	cJSON_AddStringToObject(s, "type", type);
	data = cJSON_AddObjectToObject(s, "data");
	cJSON_AddStringToObject(data, key, value_b64);
	if (!*labels || !data || !cJSON_GetObjectItem(data, key)) {
		cJSON_Delete(s);
		return NULL;
	}
	return s;
}
