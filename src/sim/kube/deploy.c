/* peerscope-sim: the part of Kubernetes' deployment controller the
 * simulator plays for the Deployments it serves: the status, as
 * kube-controller-manager writes it (kubernetes pkg/controller/deployment:
 * sync.go calculateStatus, progress.go syncRolloutStatus,
 * util/deployment_util.go SetDeploymentCondition and MaxUnavailable).
 *
 * The pods are not simulated: a Deployment's pods are either ready or all
 * running but not ready (a crash loop, as when the connect-injector cannot
 * reach Consul). Not ready, replicas and updatedReplicas stay, readyReplicas
 * and availableReplicas are 0, unavailableReplicas counts the pods, and
 * Available turns False (MinimumReplicasUnavailable) once fewer pods are
 * available than spec.replicas minus maxUnavailable. Counts of 0 are left
 * out of the JSON, as the API's omitempty does. A rollout is instant. */
#include "autoconfig.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "simk.h"

#define REVISION_ANNO "deployment.kubernetes.io/revision"

/* k8s.io/apimachinery/pkg/util/rand SafeEncodeString's alphabet: no vowels,
 * no confusable characters. */
static const char safe_chars[] = "bcdfghjklmnpqrstvwxz2456789";

void simk_deploy_template_hash(const cJSON *deploy, char *buf, size_t len)
{
	char *text = cJSON_PrintUnformatted(simk_path(deploy, "spec.template"));
	uint32_t h = 2166136261u;
	char num[16];
	size_t i;

	/* The controller hashes the pod template (FNV-32a) and encodes the
	 * decimal number, character by character, in the safe alphabet. */
	for (const char *p = text ? text : ""; *p; p++) {
		h ^= (unsigned char)*p;
		h *= 16777619u;
	}
	free(text);
	snprintf(num, sizeof num, "%u", (unsigned)h);
	for (i = 0; num[i] && i + 1 < len; i++)
		buf[i] = safe_chars[(unsigned char)num[i] % (sizeof safe_chars - 1)];
	if (len)
		buf[i] = '\0';
}

/* An int-or-percent of REPLICAS (intstr.GetScaledValueFromIntOrPercent),
 * rounded up or down; DEF when absent or malformed. */
static long scaled(const cJSON *v, long replicas, bool up, long def)
{
	if (cJSON_IsNumber(v))
		return (long)v->valuedouble;
	if (!cJSON_IsString(v))
		return def;
	char *end;
	long pct = strtol(v->valuestring, &end, 10);
	if (end == v->valuestring || strcmp(end, "%") != 0)
		return def;
	return up ? (replicas * pct + 99) / 100 : replicas * pct / 100;
}

/* MaxUnavailable of deployment_util.go: 0 for Recreate or no replicas; the
 * RollingUpdate value (25% by default), 1 when it and maxSurge both resolve
 * to 0, never above the replicas. */
static long max_unavailable(const cJSON *d, long replicas)
{
	const char *type = simk_str(d, "spec.strategy.type");
	const cJSON *ru = simk_path(d, "spec.strategy.rollingUpdate");

	if ((type && strcmp(type, "RollingUpdate") != 0) || replicas == 0)
		return 0;
	long surge = scaled(cJSON_GetObjectItemCaseSensitive(ru, "maxSurge"), replicas, true,
	                    (replicas * 25 + 99) / 100);
	long unav = scaled(cJSON_GetObjectItemCaseSensitive(ru, "maxUnavailable"), replicas, false,
	                   replicas * 25 / 100);
	if (surge == 0 && unav == 0)
		unav = 1;
	return unav > replicas ? replicas : unav;
}

static const char *cond_str(const cJSON *c, const char *key)
{
	const char *s = simk_str(c, key);

	return s ? s : "";
}

/* SetDeploymentCondition: nothing when the condition has this status,
 * reason and message already; else it moves to the end of the list with
 * lastUpdateTime now, keeping lastTransitionTime while the status stays. */
static void set_condition(cJSON *conds, const char *type, const char *status, const char *reason,
                          const char *message, const char *now)
{
	cJSON *cur = NULL, *it, *c;
	char since[32];
	int i = 0, at = -1;

	cJSON_ArrayForEach(it, conds)
	{
		if (!strcmp(cond_str(it, "type"), type)) {
			cur = it;
			at = i;
		}
		i++;
	}
	if (cur && !strcmp(cond_str(cur, "status"), status) &&
	    !strcmp(cond_str(cur, "reason"), reason) && !strcmp(cond_str(cur, "message"), message))
		return;
	snprintf(since, sizeof since, "%s",
	         cur && !strcmp(cond_str(cur, "status"), status)
	                 ? cond_str(cur, "lastTransitionTime")
	                 : now);
	if (at >= 0)
		cJSON_DeleteItemFromArray(conds, at);
	if (!(c = cJSON_CreateObject()))
		return;
	cJSON_AddStringToObject(c, "type", type);
	cJSON_AddStringToObject(c, "status", status);
	cJSON_AddStringToObject(c, "lastUpdateTime", now);
	cJSON_AddStringToObject(c, "lastTransitionTime", since);
	cJSON_AddStringToObject(c, "reason", reason);
	cJSON_AddStringToObject(c, "message", message);
	cJSON_AddItemToArray(conds, c);
}

static void put_count(cJSON *st, const char *key, long n)
{
	if (n > 0)
		cJSON_AddNumberToObject(st, key, (double)n);
}

/* The revision annotation: kept while the template stays, one more when it
 * changed (a new ReplicaSet). */
static void revision(cJSON *d, const cJSON *old, bool new_rs)
{
	cJSON *meta = cJSON_GetObjectItemCaseSensitive(d, "metadata");
	cJSON *anno = cJSON_GetObjectItemCaseSensitive(meta, "annotations");
	const char *was = old ? simk_annotation(old, REVISION_ANNO) : NULL;
	char num[24];

	snprintf(num, sizeof num, "%ld", (was ? atol(was) : 0) + (new_rs || !was ? 1 : 0));
	if (!anno)
		anno = cJSON_AddObjectToObject(meta, "annotations");
	if (!anno)
		return;
	cJSON_DeleteItemFromObjectCaseSensitive(anno, REVISION_ANNO);
	cJSON_AddStringToObject(anno, REVISION_ANNO, num);
}

/* The status of D (a copy the caller owns) when its pods are READY or not;
 * OLD is the stored object (its conditions and ReplicaSet). */
static void status_of(struct sim_cluster *c, cJSON *d, const cJSON *old, bool ready)
{
	const cJSON *r = simk_path(d, "spec.replicas");
	long want = cJSON_IsNumber(r) ? (long)r->valuedouble : 1;
	long avail = ready ? want : 0;
	bool available = avail >= want - max_unavailable(d, want);
	const cJSON *gen = simk_path(d, "metadata.generation");
	char hash[16], now[32], msg[320];
	const char *name = simk_str(d, "metadata.name");
	cJSON *st, *conds;

	simk_deploy_template_hash(d, hash, sizeof hash);
	simk_timestamp(c->world, now, sizeof now);
	conds = cJSON_Duplicate(simk_path(old, "status.conditions"), true);
	if (!cJSON_IsArray(conds)) {
		cJSON_Delete(conds);
		conds = cJSON_CreateArray();
	}
	/* The ReplicaSet is named after the template's hash; a new one is a
	 * rollout, finished at once when the pods are ready. */
	const cJSON *prog = NULL, *it;
	cJSON_ArrayForEach(it, conds)
	{
		if (!strcmp(cond_str(it, "type"), "Progressing"))
			prog = it;
	}
	snprintf(msg, sizeof msg, "ReplicaSet \"%s-%s\" ", name ? name : "", hash);
	bool had_prog = prog != NULL;
	bool new_rs = !prog || !strstr(cond_str(prog, "message"), msg);
	if (new_rs || strcmp(cond_str(prog, "reason"), "NewReplicaSetAvailable")) {
		bool done = avail >= want;
		snprintf(msg + strlen(msg), sizeof msg - strlen(msg), "%s",
		         done ? "has successfully progressed." : "is progressing.");
		set_condition(conds, "Progressing", "True",
		              done ? "NewReplicaSetAvailable" : "ReplicaSetUpdated", msg, now);
	}
	set_condition(conds, "Available", available ? "True" : "False",
	              available ? "MinimumReplicasAvailable" : "MinimumReplicasUnavailable",
	              available ? "Deployment has minimum availability."
	                        : "Deployment does not have minimum availability.",
	              now);
	/* A new Deployment lists Available first, as a finished rollout does. */
	if (!had_prog && cJSON_GetArraySize(conds) == 2)
		cJSON_AddItemToArray(conds, cJSON_DetachItemFromArray(conds, 0));
	revision(d, old, new_rs && had_prog);
	cJSON_DeleteItemFromObjectCaseSensitive(d, "status");
	if (!(st = cJSON_AddObjectToObject(d, "status"))) {
		cJSON_Delete(conds);
		return;
	}
	if (cJSON_IsNumber(gen))
		cJSON_AddNumberToObject(st, "observedGeneration", gen->valuedouble);
	put_count(st, "replicas", want);
	put_count(st, "updatedReplicas", want);
	put_count(st, "readyReplicas", avail);
	put_count(st, "availableReplicas", avail);
	put_count(st, "unavailableReplicas", want - avail);
	cJSON_AddItemToObject(st, "conditions", conds);
}

void simk_deploy_sync(struct sim_cluster *c, struct simk_obj *o, bool ready)
{
	cJSON *d = cJSON_Duplicate(o->json, true);

	if (!d)
		return;
	status_of(c, d, o->json, ready);
	/* Unchanged: no write, no event (simk_replace compares). */
	simk_replace(c, o, d, NULL);
}
