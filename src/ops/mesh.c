/* ops mesh: the mesh gateway mode of a cluster or of one service, and
 * peering through mesh gateways, with the specification's rules checked
 * before anything is written.
 *
 * The rules (doc/peerscope-rules.7, each from a sentence of the
 * specification):
 *   - mode none is refused: "The none mode is invalid for mesh gateways with
 *     cluster peering connections";
 *   - mode local is refused when the cluster (the importing side) has no
 *     registered, passing mesh gateway: "To use the local mesh gateway mode,
 *     you must register a mesh gateway in the importing cluster";
 *   - any mode warns, naming the peer, when a peer's cluster has no passing
 *     mesh gateway: its services are reached through it ("A cluster requires
 *     a registered mesh gateway in order to export services to peers");
 *   - peering through mesh gateways is refused without a passing mesh
 *     gateway ("Mesh gateways are required for cluster peering
 *     connections"), and the plan says what changes and which tokens to
 *     regenerate. */
#include "autoconfig.h"

#include "ops_internal.h"

#include <cjson/cJSON.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ json */

/* The object KEY of DOC (found whatever its case), made when absent. */
static cJSON *child(cJSON *doc, const char *key)
{
	cJSON *c = cJSON_GetObjectItem(doc, key);

	if (cJSON_IsObject(c))
		return c;
	cJSON_DeleteItemFromObject(doc, key);
	return cJSON_AddObjectToObject(doc, key);
}

/* Sets DOC's KEY (whatever its case) to V; false when it was V already. */
static bool set_item(cJSON *doc, const char *key, cJSON *v)
{
	cJSON *old = cJSON_GetObjectItem(doc, key);

	if (!v)
		return false;
	if (old && cJSON_Compare(old, v, 1)) {
		cJSON_Delete(v);
		return false;
	}
	cJSON_DeleteItemFromObject(doc, key);
	cJSON_AddItemToObject(doc, key, v);
	return true;
}

/* ------------------------------------------------------------ hints */

void ops_mesh_hint(const struct ops_request *q, char *buf, size_t len)
{
	const char *k = ops_kind_name(q->kind);

	switch (q->kind) {
	case OPS_GATEWAY_MODE:
		snprintf(buf, len, "peerscope gateway-mode %s %s%s%s", q->a, q->value,
		         *q->service ? " --service " : "", q->service);
		break;
	case OPS_PEER_THROUGH_GATEWAYS:
		snprintf(buf, len, "peerscope peer-through-gateways %s %s", q->a, q->value);
		break;
	case OPS_EXPORT:
	case OPS_UNEXPORT:
		snprintf(buf, len, "peerscope %s %s %s --to %s", k, q->a, q->service, q->peer);
		break;
	default:
		snprintf(buf, len, "peerscope %s %s %s --from %s", k, q->a, q->service, q->peer);
		break;
	}
}

/* ------------------------------------------------------------ gateways */

/* The cluster's gateways into *PASSING; FAIL when they cannot be read. */
static enum step_result gateways(struct run *r, struct ops_step *s, unsigned *total,
                                 unsigned *passing)
{
	struct http_error err = {0};

	if (ops_gateways(&r->a, total, passing, &err) < 0)
		return ops_fail_http(r, s, &r->a, "read the mesh gateways", &err);
	return STEP_ALREADY;
}

static const char *gw_fix(const struct run *r, char *buf, size_t len)
{
	if (r->a.kube)
		snprintf(buf, len,
		         "bring a mesh gateway up on %s (Helm meshGateway.enabled=true; kubectl "
		         "--context %s -n %s get pods -l component=mesh-gateway), then run this "
		         "again",
		         r->a.c->name, r->a.c->context, r->a.c->ns);
	else
		snprintf(buf, len,
		         "register a mesh gateway on %s and make its checks pass, then run this "
		         "again",
		         r->a.c->name);
	return buf;
}

/* The peers of the cluster whose mesh gateways do not pass: a warning each,
 * naming the peer and what the cluster imports from it. */
static void warn_peers(struct run *r)
{
	struct model_peering_list l = {0};
	struct http_error err = {0};
	struct consul_query pq = {.partition = r->a.partition};

	if (!r->planning || consul_peerings_list(r->a.c->consul, &pq, &l, NULL, &err) < 0)
		return;
	for (size_t i = 0; i < l.n; i++) {
		const struct model_peering *p = &l.v[i];
		const struct ops_cluster *x = NULL;
		char name[OPS_NAME_MAX];
		unsigned total = 0, passing = 0;

		if (p->state == MODEL_PEERING_DELETING || p->state == MODEL_PEERING_TERMINATED)
			continue;
		if (ops_peer_cluster(r, &r->a, p->name, &x, name, sizeof name, &err) <= 0) {
			ops_plan_note(
			        r,
			        "peer %s is not a configured cluster: whether its mesh gateways "
			        "pass is not known",
			        p->name);
			continue;
		}
		struct side xs = {x, name, false};
		if (ops_gateways(&xs, &total, &passing, &err) < 0 || passing > 0)
			continue;
		char imports[400] = "";
		size_t used = 0;
		for (size_t k = 0; k < p->stream.imported_services.n && used < sizeof imports; k++)
			used += (size_t)snprintf(imports + used, sizeof imports - used, "%s%s",
			                         k ? ", " : "", p->stream.imported_services.v[k]);
		ops_plan_note(r,
		              "warning: peer %s (cluster %s) has no passing mesh gateway (%u "
		              "registered): calls to what it exports%s%s%s fail until one passes",
		              p->name, x->name, total, *imports ? " (" : "", imports,
		              *imports ? ")" : "");
	}
	model_peering_list_free(&l);
}

/* ------------------------------------------------------------ gateway mode */

static void rules_title(struct run *r, struct ops_step *s)
{
	const struct ops_request *q = &r->plan->req;
	char where[160];

	snprintf(s->title, sizeof s->title, "rules for %s on %s", ops_kind_name(q->kind),
	         ops_side_label(&r->a, where, sizeof where));
	snprintf(s->cluster, sizeof s->cluster, "%s", r->a.c->name);
}

static enum step_result mode_rules(struct run *r, struct ops_step *s)
{
	const struct ops_request *q = &r->plan->req;
	unsigned total, passing;
	char fix[400];

	if (gateways(r, s, &total, &passing) == STEP_FAIL)
		return STEP_FAIL;
	if (!strcmp(q->value, "local") && passing == 0)
		return ops_fail(r, s, gw_fix(r, fix, sizeof fix),
		                "mode local needs a registered, passing mesh gateway in %s, the "
		                "importing cluster (the specification: \"To use the local mesh "
		                "gateway mode, you must register a mesh gateway in the importing "
		                "cluster\"): it has %u registered, none passing",
		                r->a.c->name, total);
	warn_peers(r);
	ops_note(s, "%u of %u mesh gateways pass on %s", passing, total, r->a.c->name);
	return STEP_ALREADY;
}

static const struct step_def step_mode_rules = {rules_title, mode_rules, NULL};

static void write_title(struct run *r, struct ops_step *s)
{
	struct ops_res guess = r->res;
	char label[400], where[160];

	/* Before the read: the custom resource on a cluster with a context. */
	guess.kube = r->res.located ? r->res.kube : r->a.kube;
	snprintf(s->title, sizeof s->title, "%s on %s", ops_res_label(&guess, label, sizeof label),
	         ops_side_label(&r->a, where, sizeof where));
	snprintf(s->cluster, sizeof s->cluster, "%s", r->a.c->name);
}

static enum step_result write_check(struct run *r, struct ops_step *s)
{
	return ops_res_check(r, s, &r->a);
}

static enum step_result write_act(struct run *r, struct ops_step *s)
{
	return ops_res_write(r, s, &r->a);
}

const struct step_def ops_step_res_write = {write_title, write_check, write_act};

static enum ops_res_edit edit_mode(struct run *r, struct ops_step *s, cJSON *doc, bool kube)
{
	cJSON *mg = child(doc, kube ? "meshGateway" : "MeshGateway");

	(void)s;
	if (!mg)
		return OPS_RES_FAIL;
	return set_item(mg, kube ? "mode" : "Mode", cJSON_CreateString(r->plan->req.value))
	               ? OPS_RES_CHANGED
	               : OPS_RES_SAME;
}

static int resolve_mode(struct run *r)
{
	struct ops_request *q = &r->plan->req;
	char a[160];

	ops_req_label(q, a, sizeof a);
	if (*q->service)
		snprintf(r->plan->title, sizeof r->plan->title,
		         "Mesh gateway mode of %.120s on %.140s: %.40s", q->service, a, q->value);
	else
		snprintf(r->plan->title, sizeof r->plan->title, "Mesh gateway mode of %s: %s", a,
		         q->value);
	if (!strcmp(q->value, "none"))
		return ops_refuse(
		        r, OPS_REFUSE_RULE,
		        "choose local (calls leave through this cluster's own mesh gateway) "
		        "or remote (straight to the peer's mesh gateway, the default)",
		        "mode none is invalid for mesh gateways with cluster peering "
		        "connections (the specification: \"The none mode is invalid for "
		        "mesh gateways with cluster peering connections\")");
	if (strcmp(q->value, "local") && strcmp(q->value, "remote"))
		return ops_refuse(r, OPS_REFUSE_USAGE, "give local or remote",
		                  "'%s' is not a mesh gateway mode for peering", q->value);
	if (ops_resolve_one(r) < 0)
		return -1;
	r->res.kind = *q->service ? OPS_RES_SERVICE_DEFAULTS : OPS_RES_PROXY_DEFAULTS;
	snprintf(r->res.name, sizeof r->res.name, "%s", *q->service ? q->service : "global");
	r->edit = edit_mode;
	return 0;
}

/* ------------------------------------------------------------ peer through gateways */

/* The peerings the cluster accepted: their tokens carry the addresses they
 * were made with, so they keep them until regenerated. */
static void offer_regenerate(struct run *r)
{
	struct model_peering_list l = {0};
	struct http_error err = {0};
	struct consul_query pq = {.partition = r->a.partition};
	bool on = !strcmp(r->plan->req.value, "on");

	ops_plan_note(r,
	              "%s: peering control-plane traffic, and the addresses new tokens made on "
	              "%s carry, go %s",
	              on ? "on" : "off", r->a.c->name,
	              on ? "through its mesh gateways" : "to its Consul servers' addresses");
	if (consul_peerings_list(r->a.c->consul, &pq, &l, NULL, &err) < 0)
		return;
	for (size_t i = 0; i < l.n; i++) {
		const struct model_peering *p = &l.v[i];
		const struct ops_cluster *x = NULL;
		char name[OPS_NAME_MAX], pair[2 * OPS_NAME_MAX + 2];

		/* The dialing side holds the acceptor's addresses. */
		if (p->peer_server_addresses.n > 0 || p->state == MODEL_PEERING_DELETING ||
		    p->state == MODEL_PEERING_TERMINATED)
			continue;
		if (ops_peer_cluster(r, &r->a, p->name, &x, name, sizeof name, &err) <= 0) {
			ops_plan_note(
			        r,
			        "the token of peering %s keeps its addresses until it is made "
			        "again",
			        p->name);
			continue;
		}
		snprintf(pair, sizeof pair, "%s %s", r->a.c->name, x->name);
		ops_plan_note(r,
		              "the peering with %s keeps its token's addresses until the token is "
		              "regenerated: peerscope regenerate %s",
		              x->name, pair);
		if (!model_strv_contains(&r->plan->followups, pair))
			model_strv_push(&r->plan->followups, pair);
	}
	model_peering_list_free(&l);
}

static enum step_result ptmg_rules(struct run *r, struct ops_step *s)
{
	unsigned total, passing;
	char fix[400];

	if (gateways(r, s, &total, &passing) == STEP_FAIL)
		return STEP_FAIL;
	if (!strcmp(r->plan->req.value, "on") && passing == 0)
		return ops_fail(r, s, gw_fix(r, fix, sizeof fix),
		                "peering through mesh gateways needs a registered, passing mesh "
		                "gateway in %s (the specification: \"Mesh gateways are required "
		                "for cluster peering connections\"): it has %u registered, none "
		                "passing",
		                r->a.c->name, total);
	if (r->planning)
		offer_regenerate(r);
	ops_note(s, "%u of %u mesh gateways pass on %s", passing, total, r->a.c->name);
	return STEP_ALREADY;
}

static const struct step_def step_ptmg_rules = {rules_title, ptmg_rules, NULL};

static enum ops_res_edit edit_ptmg(struct run *r, struct ops_step *s, cJSON *doc, bool kube)
{
	bool on = !strcmp(r->plan->req.value, "on");
	const char *pk = kube ? "peering" : "Peering",
	           *k = kube ? "peerThroughMeshGateways" : "PeerThroughMeshGateways";
	cJSON *peering = cJSON_GetObjectItem(doc, pk);

	(void)s;
	/* Off is what an absent key means. */
	if (!on && !cJSON_IsTrue(cJSON_GetObjectItem(peering, k)))
		return OPS_RES_SAME;
	if (!(peering = child(doc, pk)))
		return OPS_RES_FAIL;
	return set_item(peering, k, cJSON_CreateBool(on)) ? OPS_RES_CHANGED : OPS_RES_SAME;
}

static int resolve_ptmg(struct run *r)
{
	struct ops_request *q = &r->plan->req;
	char a[160];

	snprintf(r->plan->title, sizeof r->plan->title, "Peering through mesh gateways on %s: %s",
	         ops_req_label(q, a, sizeof a), q->value);
	if (strcmp(q->value, "on") && strcmp(q->value, "off"))
		return ops_refuse(r, OPS_REFUSE_USAGE, "give on or off", "'%s' is not on or off",
		                  q->value);
	if (ops_resolve_one(r) < 0)
		return -1;
	/* The setting is the default partition's mesh entry's: consul-k8s
	 * forbids it in any other ("\"peerThroughMeshGateways\" is only valid
	 * in the \"default\" partition", control-plane/api/v1alpha1/
	 * mesh_types.go). */
	if (r->a.partition && *r->a.partition && strcmp(r->a.partition, "default"))
		return ops_refuse(
		        r, OPS_REFUSE_RULE,
		        "leave the partition out (or name default): the setting is the "
		        "default partition's",
		        "peering through mesh gateways is set in the default partition's "
		        "mesh entry only (consul-k8s: \"peerThroughMeshGateways\" is only "
		        "valid in the \"default\" partition): it cannot be set in partition "
		        "%s",
		        r->a.partition);
	r->res.kind = OPS_RES_MESH;
	r->edit = edit_ptmg;
	return 0;
}

/* ------------------------------------------------------------ tables */

static const struct step_def *const mode_steps[] = {&step_mode_rules, &ops_step_res_write,
                                                    &ops_step_res_synced};
static const struct step_def *const ptmg_steps[] = {&step_ptmg_rules, &ops_step_res_write,
                                                    &ops_step_res_synced};

const struct op_def ops_def_gateway_mode = {OPS_GATEWAY_MODE, resolve_mode, mode_steps, 3};
const struct op_def ops_def_ptmg = {OPS_PEER_THROUGH_GATEWAYS, resolve_ptmg, ptmg_steps, 3};
