/* ops intentions: let a peer's services call a service, or stop them, with
 * a source {name "*", peer, action} on the destination's service-intentions
 * (the ServiceIntentions CR whose spec.destination.name is the service on
 * Kubernetes; consul-k8s allows one per destination,
 * k8s:control-plane/api/v1alpha1/serviceintentions_webhook.go), other
 * sources kept.
 *
 * Exporting a service lets the peer see it, not call it when intentions
 * deny by default. Allow sets the source's action to allow (an L7 one loses
 * its permissions: the diff shows them go). Deny removes the allowing
 * source and, when the default policy would still let the calls through
 * (ACLs off or allow, or not known), adds one that denies. Consul and
 * consul-k8s refuse an entry without sources
 * (consul:agent/structs/config_entry_intentions.go, "At least one source is
 * required"): removing the last one removes the resource. */
#include "autoconfig.h"

#include "ops_internal.h"

#include <cjson/cJSON.h>

#include <stdio.h>
#include <string.h>

static const char *K(bool kube, const char *camel, const char *pascal)
{
	return kube ? camel : pascal;
}

static bool str_is(const cJSON *o, const char *key, const char *want)
{
	const cJSON *v = cJSON_GetObjectItem(o, key);

	return cJSON_IsString(v) && !strcmp(v->valuestring, want);
}

static cJSON *sources_of(cJSON *doc, bool kube)
{
	cJSON *s = cJSON_GetObjectItem(doc, K(kube, "sources", "Sources"));

	if (cJSON_IsArray(s))
		return s;
	cJSON_DeleteItemFromObject(doc, K(kube, "sources", "Sources"));
	return cJSON_AddArrayToObject(doc, K(kube, "sources", "Sources"));
}

/* The index of the source {name "*", peer PEER}, or -1. */
static int wildcard_from(const cJSON *sources, bool kube, const char *peer)
{
	int i = 0;
	const cJSON *x;

	cJSON_ArrayForEach(x, sources)
	{
		if (str_is(x, K(kube, "name", "Name"), "*") &&
		    str_is(x, K(kube, "peer", "Peer"), peer))
			return i;
		i++;
	}
	return -1;
}

static cJSON *source(bool kube, const char *peer, const char *action)
{
	cJSON *x = cJSON_CreateObject();

	cJSON_AddStringToObject(x, K(kube, "name", "Name"), "*");
	cJSON_AddStringToObject(x, K(kube, "peer", "Peer"), peer);
	cJSON_AddStringToObject(x, K(kube, "action", "Action"), action);
	return x;
}

static enum ops_res_edit edit_allow(struct run *r, struct ops_step *s, cJSON *doc, bool kube)
{
	const char *peer = r->plan->req.peer;
	cJSON *sources = sources_of(doc, kube);
	int i = wildcard_from(sources, kube, peer);

	(void)s;
	if (i < 0) {
		cJSON_AddItemToArray(sources, source(kube, peer, "allow"));
		return OPS_RES_CHANGED;
	}
	cJSON *x = cJSON_GetArrayItem(sources, i);
	if (str_is(x, K(kube, "action", "Action"), "allow") &&
	    !cJSON_GetObjectItem(x, K(kube, "permissions", "Permissions")))
		return OPS_RES_SAME;
	cJSON_DeleteItemFromObject(x, K(kube, "permissions", "Permissions"));
	cJSON_DeleteItemFromObject(x, K(kube, "action", "Action"));
	cJSON_AddStringToObject(x, K(kube, "action", "Action"), "allow");
	r->replaces = true;
	return OPS_RES_CHANGED;
}

static enum ops_res_edit edit_deny(struct run *r, struct ops_step *s, cJSON *doc, bool kube)
{
	const char *peer = r->plan->req.peer;
	cJSON *sources = sources_of(doc, kube);
	int i = wildcard_from(sources, kube, peer);
	/* Without a source the default policy decides: only deny is enough. */
	bool default_denies = !strcmp(r->res.default_policy, "deny");

	(void)s;
	if (i >= 0 && str_is(cJSON_GetArrayItem(sources, i), K(kube, "action", "Action"), "deny"))
		return OPS_RES_SAME;
	if (i >= 0)
		cJSON_DeleteItemFromArray(sources, i);
	if (!default_denies)
		cJSON_AddItemToArray(sources, source(kube, peer, "deny"));
	else if (i < 0)
		return OPS_RES_SAME;
	return cJSON_GetArraySize(sources) == 0 ? OPS_RES_EMPTY : OPS_RES_CHANGED;
}

/* ------------------------------------------------------------ rules */

static void rules_title(struct run *r, struct ops_step *s)
{
	const struct ops_request *q = &r->plan->req;

	char where[160];

	snprintf(s->title, sizeof s->title, "calls from peer %s to %.180s on %s", q->peer,
	         q->service, ops_side_label(&r->a, where, sizeof where));
	snprintf(s->cluster, sizeof s->cluster, "%s", r->a.c->name);
}

/* The default policy comes with every read of Consul (the peerings here,
 * which also say whether the peer is one). */
static enum step_result rules(struct run *r, struct ops_step *s)
{
	const struct ops_request *q = &r->plan->req;
	struct http_error err = {0};
	struct model_peering_list l = {0};
	struct consul_meta meta = {0};
	struct consul_query pq = {.partition = r->a.partition};
	bool known = false;

	/* The peer is one of the partition's peerings. */
	if (consul_peerings_list(r->a.c->consul, &pq, &l, &meta, &err) < 0)
		return ops_fail_http(r, s, &r->a, "read the peerings", &err);
	for (size_t i = 0; i < l.n; i++)
		known = known || !strcmp(l.v[i].name, q->peer);
	model_peering_list_free(&l);
	if (!known)
		ops_plan_note(r, "warning: %s is not a peer of %s (no peering of that name)",
		              q->peer, r->a.c->name);
	const char *policy = meta.default_acl_policy;
	ops_note(s, "default policy %s%s", *policy ? policy : "not known",
	         q->kind == OPS_DENY && strcmp(policy, "deny") ? ": a source that denies is needed"
	                                                       : "");
	return STEP_ALREADY;
}

static const struct step_def step_rules = {rules_title, rules, NULL};

static int resolve(struct run *r)
{
	const struct ops_request *q = &r->plan->req;
	char a[160];

	snprintf(r->plan->title, sizeof r->plan->title, "%s calls from peer %s to %.160s on %s",
	         q->kind == OPS_ALLOW ? "Allow" : "Deny", q->peer, q->service,
	         ops_req_label(q, a, sizeof a));
	if (ops_resolve_service_peer(r, OPS_RES_INTENTIONS, q->service) < 0)
		return -1;
	r->edit = q->kind == OPS_ALLOW ? edit_allow : edit_deny;
	return 0;
}

static const struct step_def *const steps[] = {&step_rules, &ops_step_res_write,
                                               &ops_step_res_synced};

const struct op_def ops_def_allow = {OPS_ALLOW, resolve, steps, 3};
const struct op_def ops_def_deny = {OPS_DENY, resolve, steps, 3};
