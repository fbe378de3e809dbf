/* peerscope-sim, Kubernetes half: what the consul-k8s controllers share —
 * reading and writing objects under the world lock, finalizers, the Synced
 * condition, events, and calls to the cluster's Consul as the Go API client
 * makes them (and words their errors). */
#include "autoconfig.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "consul/simc.h"
#include "simk.h"

/* A copy of the object, or NULL when it does not exist. */
cJSON *simk_ctl_get(struct sim_cluster *c, int rt, const char *ns, const char *name)
{
	struct simk_obj *o;
	cJSON *copy = NULL;

	pthread_mutex_lock(&c->world->lock);
	o = name ? simk_find(c->kube, rt, ns, name) : NULL;
	if (o)
		copy = cJSON_Duplicate(o->json, true);
	pthread_mutex_unlock(&c->world->lock);
	return copy;
}

/* Writes OBJ (taken over) as the new state of an existing object, or
 * creates it. Returns the stored resourceVersion (0 on failure). */
uint64_t simk_ctl_put(struct sim_cluster *c, int rt, const char *ns, cJSON *obj)
{
	struct simk_obj *o;
	uint64_t rv = 0;

	pthread_mutex_lock(&c->world->lock);
	o = simk_find(c->kube, rt, ns, simk_str(obj, "metadata.name"));
	if (o) {
		if (simk_replace(c, o, obj, NULL) != SIMK_GONE)
			rv = o->rv;
	} else {
		o = simk_insert(c, rt, ns, obj);
		rv = o ? o->rv : 0;
	}
	pthread_mutex_unlock(&c->world->lock);
	return rv;
}

/* The controllers run without the world lock and take it for each step;
 * the event log is part of the world, so recording an event takes it too. */

void simk_ctl_event(struct sim_cluster *c, const char *fmt, ...)
{
	char *text = NULL;
	va_list ap;

	va_start(ap, fmt);
	int n = vasprintf(&text, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	pthread_mutex_lock(&c->world->lock);
	sim_event(c->world, c, "%s", text);
	pthread_mutex_unlock(&c->world->lock);
	free(text);
}

void simk_ctl_delete(struct sim_cluster *c, int rt, const char *ns, const char *name)
{
	struct simk_obj *o;
	char *printed = NULL;

	pthread_mutex_lock(&c->world->lock);
	o = simk_find(c->kube, rt, ns, name);
	if (o)
		simk_delete(c, o, &printed);
	pthread_mutex_unlock(&c->world->lock);
	free(printed);
}

/* Edits metadata.finalizers of the live object. */
void simk_ctl_set_finalizer(struct sim_cluster *c, int rt, const char *ns, const char *name,
                            bool add)
{
	cJSON *obj = simk_ctl_get(c, rt, ns, name), *meta, *fins, *it;

	if (!obj)
		return;
	meta = cJSON_GetObjectItemCaseSensitive(obj, "metadata");
	fins = cJSON_GetObjectItemCaseSensitive(meta, "finalizers");
	if (!cJSON_IsArray(fins)) {
		cJSON_DeleteItemFromObjectCaseSensitive(meta, "finalizers");
		fins = cJSON_AddArrayToObject(meta, "finalizers");
	}
	for (it = fins ? fins->child : NULL; it; it = it->next)
		if (cJSON_IsString(it) && strcmp(it->valuestring, SIMK_FINALIZER) == 0)
			break;
	if (add && !it)
		cJSON_AddItemToArray(fins, cJSON_CreateString(SIMK_FINALIZER));
	else if (!add && it)
		cJSON_Delete(cJSON_DetachItemViaPointer(fins, it));
	if (cJSON_GetArraySize(fins) == 0)
		cJSON_DeleteItemFromObjectCaseSensitive(meta, "finalizers");
	simk_ctl_put(c, rt, ns, obj);
}

bool simk_ctl_has_finalizer(const cJSON *obj)
{
	const cJSON *it;

	cJSON_ArrayForEach(it, simk_path(obj, "metadata.finalizers"))
	{
		if (cJSON_IsString(it) && strcmp(it->valuestring, SIMK_FINALIZER) == 0)
			return true;
	}
	return false;
}

/* Applies EDIT to the live object's status, as Status().Update does. */
void simk_ctl_put_status(struct sim_cluster *c, int rt, const char *ns, const char *name,
                         void (*edit)(cJSON *status, void *ctx), void *ctx)
{
	cJSON *obj = simk_ctl_get(c, rt, ns, name), *status;

	if (!obj)
		return;
	status = cJSON_GetObjectItemCaseSensitive(obj, "status");
	if (!cJSON_IsObject(status)) {
		cJSON_DeleteItemFromObjectCaseSensitive(obj, "status");
		status = cJSON_AddObjectToObject(obj, "status");
	}
	if (!status) {
		cJSON_Delete(obj);
		return;
	}
	edit(status, ctx);
	simk_ctl_put(c, rt, ns, obj);
}

void simk_ctl_edit_condition(cJSON *status, void *ctx)
{
	const struct simk_cond *cd = ctx;
	cJSON *conds, *cond;
	char now[32];

	simk_timestamp(cd->w, now, sizeof now);
	cJSON_DeleteItemFromObjectCaseSensitive(status, "conditions");
	conds = cJSON_AddArrayToObject(status, "conditions");
	cond = cJSON_CreateObject();
	if (!conds || !cond) {
		cJSON_Delete(cond);
		return;
	}
	cJSON_AddStringToObject(cond, "type", "Synced");
	cJSON_AddStringToObject(cond, "status",
	                        cd->unknown ? "Unknown"
	                        : cd->ok    ? "True"
	                                    : "False");
	cJSON_AddStringToObject(cond, "lastTransitionTime", now);
	if (cd->reason && *cd->reason)
		cJSON_AddStringToObject(cond, "reason", cd->reason);
	if (cd->message && *cd->message)
		cJSON_AddStringToObject(cond, "message", cd->message);
	cJSON_AddItemToArray(conds, cond);
	if (cd->synced_time) {
		cJSON_DeleteItemFromObjectCaseSensitive(status, "lastSyncedTime");
		cJSON_AddStringToObject(status, "lastSyncedTime", now);
	}
	if (cd->secret_ref) {
		cJSON *ref = cJSON_Duplicate(cd->secret_ref, true);

		if (ref && cd->secret_rv)
			cJSON_AddStringToObject(ref, "resourceVersion", cd->secret_rv);
		cJSON_DeleteItemFromObjectCaseSensitive(status, "secret");
		cJSON_AddItemToObject(status, "secret", ref);
	}
	if (cd->set_version) {
		cJSON_DeleteItemFromObjectCaseSensitive(status, "latestPeeringVersion");
		cJSON_AddNumberToObject(status, "latestPeeringVersion", (double)cd->version);
	}
}

void simk_ctl_status_error(struct sim_cluster *c, int rt, const char *ns, const char *name,
                           const char *reason, const char *message)
{
	struct simk_cond cd = {.w = c->world, .ok = false, .reason = reason, .message = message};

	simk_ctl_put_status(c, rt, ns, name, simk_ctl_edit_condition, &cd);
	simk_ctl_event(c, "controller: %s/%s not synced: %s: %s", ns, name, reason, message);
}

/* Calls Consul; on failure writes the Go API client's error text into err. */
int simk_ctl_consul(struct sim_cluster *c, const char *method, const char *path, const char *body,
                    char **out, char *err, size_t errlen)
{
	char *resp = NULL;
	int status = simc_call(c, method, path, simc_controller_token(c), body, &resp);

	if (status >= 200 && status < 300) {
		if (out)
			*out = resp;
		else
			free(resp);
		return status;
	}
	if (status <= 0)
		snprintf(err, errlen,
		         "%c%s \"https://consul-server.consul.svc:8501%s\": dial tcp: connect: "
		         "connection refused",
		         method[0],
		         strcmp(method, "DELETE") == 0 ? "elete"
		         : strcmp(method, "POST") == 0 ? "ost"
		         : strcmp(method, "PUT") == 0  ? "ut"
		                                       : "et",
		         path);
	else {
		size_t n = resp ? strlen(resp) : 0;

		/* Consul's plain-text errors end in a newline; the client trims it. */
		while (n && (resp[n - 1] == '\n' || resp[n - 1] == ' '))
			resp[--n] = '\0';
		snprintf(err, errlen, "Unexpected response code: %d (%.400s)", status,
		         resp ? resp : "");
	}
	if (out)
		*out = NULL;
	free(resp);
	return status;
}
