/* ops exports: a service exported to a consumer peer, or no longer, in the
 * exported-services entry "default" (the ExportedServices CR "default" on
 * Kubernetes), other services and consumers kept; then the wait until the
 * consumer imports it (or no longer does). In a Consul Enterprise admin
 * partition the entry (and the CR) is named after the partition (entry.c).
 *
 * Warnings before the write (doc/peerscope-rules.7): the exporting cluster
 * has no passing mesh gateway ("A cluster requires a registered mesh gateway
 * in order to export services to peers"), the consumer is not a peer of the
 * cluster, the service has no instances. consul-k8s refuses a service
 * without consumers and an ExportedServices without services
 * (k8s:control-plane/api/v1alpha1/exportedservices_types.go), and Consul a
 * service without consumers (consul:agent/structs/config_entry_exports.go):
 * removing the last consumer removes the service, and the last service the
 * resource. */
#include "autoconfig.h"

#include "ops_internal.h"

#include <cjson/cJSON.h>

#include <stdio.h>
#include <stdlib.h>
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

/* The consumers list of service item SVC. */
static cJSON *consumers_of(cJSON *svc, bool kube)
{
	cJSON *c = cJSON_GetObjectItem(svc, K(kube, "consumers", "Consumers"));

	if (cJSON_IsArray(c))
		return c;
	cJSON_DeleteItemFromObject(svc, K(kube, "consumers", "Consumers"));
	return cJSON_AddArrayToObject(svc, K(kube, "consumers", "Consumers"));
}

static bool has_consumer(const cJSON *svc, bool kube, const char *peer)
{
	const cJSON *c;

	cJSON_ArrayForEach(c, cJSON_GetObjectItem(svc, K(kube, "consumers", "Consumers")))
	{
		if (str_is(c, K(kube, "peer", "Peer"), peer))
			return true;
	}
	return false;
}

/* The services item NAME (in the default namespace), or NULL. */
static cJSON *service_item(cJSON *services, bool kube, const char *name)
{
	cJSON *s;

	cJSON_ArrayForEach(s, services)
	{
		const cJSON *ns = cJSON_GetObjectItem(s, K(kube, "namespace", "Namespace"));
		bool default_ns = !cJSON_IsString(ns) || !*ns->valuestring ||
		                  !strcmp(ns->valuestring, "default");
		if (str_is(s, K(kube, "name", "Name"), name) && default_ns)
			return s;
	}
	return NULL;
}

static cJSON *services_of(cJSON *doc, bool kube)
{
	cJSON *s = cJSON_GetObjectItem(doc, K(kube, "services", "Services"));

	if (cJSON_IsArray(s))
		return s;
	cJSON_DeleteItemFromObject(doc, K(kube, "services", "Services"));
	return cJSON_AddArrayToObject(doc, K(kube, "services", "Services"));
}

static cJSON *consumer(bool kube, const char *peer)
{
	cJSON *c = cJSON_CreateObject();

	cJSON_AddStringToObject(c, K(kube, "peer", "Peer"), peer);
	return c;
}

static enum ops_res_edit edit_export(struct run *r, struct ops_step *s, cJSON *doc, bool kube)
{
	const struct ops_request *q = &r->plan->req;
	cJSON *services = services_of(doc, kube), *svc, *all;

	if (!services)
		return OPS_RES_FAIL;
	all = service_item(services, kube, "*");
	if (all && has_consumer(all, kube, q->peer)) {
		ops_note(s, "every service is exported to %s already (Name \"*\")", q->peer);
		return OPS_RES_SAME;
	}
	svc = service_item(services, kube, q->service);
	if (!svc) {
		svc = cJSON_CreateObject();
		cJSON_AddStringToObject(svc, K(kube, "name", "Name"), q->service);
		cJSON_AddItemToArray(services, svc);
	}
	if (has_consumer(svc, kube, q->peer))
		return OPS_RES_SAME;
	cJSON_AddItemToArray(consumers_of(svc, kube), consumer(kube, q->peer));
	return OPS_RES_CHANGED;
}

static enum ops_res_edit edit_unexport(struct run *r, struct ops_step *s, cJSON *doc, bool kube)
{
	const struct ops_request *q = &r->plan->req;
	cJSON *services = cJSON_GetObjectItem(doc, K(kube, "services", "Services"));
	cJSON *svc = service_item(services, kube, q->service), *all, *cons;
	bool removed = false;

	if (svc && (cons = consumers_of(svc, kube))) {
		for (int i = cJSON_GetArraySize(cons); i-- > 0;)
			if (str_is(cJSON_GetArrayItem(cons, i), K(kube, "peer", "Peer"), q->peer)) {
				cJSON_DeleteItemFromArray(cons, i);
				removed = true;
			}
		if (removed && cJSON_GetArraySize(cons) == 0) {
			for (int i = cJSON_GetArraySize(services); i-- > 0;)
				if (cJSON_GetArrayItem(services, i) == svc)
					cJSON_DeleteItemFromArray(services, i);
		}
	}
	all = service_item(services, kube, "*");
	if (all && has_consumer(all, kube, q->peer))
		return ops_fail(r, s,
		                "edit the entry by hand: list the services to export to the peer "
		                "instead of \"*\"",
		                "every service is exported to %s through Name \"*\": %s alone "
		                "cannot be taken out of it",
		                q->peer, q->service),
		       OPS_RES_FAIL;
	if (!removed)
		return OPS_RES_SAME;
	return cJSON_GetArraySize(services) == 0 ? OPS_RES_EMPTY : OPS_RES_CHANGED;
}

/* ------------------------------------------------------------ rules */

static void rules_title(struct run *r, struct ops_step *s)
{
	char where[160];

	snprintf(s->title, sizeof s->title, "rules for %s %.180s to %s on %s",
	         ops_kind_name(r->plan->req.kind), r->plan->req.service, r->plan->req.peer,
	         ops_side_label(&r->a, where, sizeof where));
	snprintf(s->cluster, sizeof s->cluster, "%s", r->a.c->name);
}

/* The service's local instances on the cluster: -1 when not known. */
static long instances(const struct side *sd, const char *service)
{
	struct model_service_summary_list l = {0};
	struct http_error err = {0};
	struct consul_query q = {.partition = sd->partition};
	long n = 0;

	if (consul_ui_services(sd->c->consul, &q, &l, NULL, &err) < 0)
		return -1;
	for (size_t i = 0; i < l.n; i++)
		if (!strcmp(l.v[i].name, service) && !*l.v[i].peer_name)
			n += l.v[i].instance_count;
	model_service_summary_list_free(&l);
	return n;
}

/* The specification's Enterprise rule, broken: no passing mesh gateway in
 * the partition of the export. */
static void gateway_partition_note(struct run *r, unsigned total)
{
	const struct ops_request *q = &r->plan->req;
	const char *p = r->a.partition;

	ops_plan_note(r,
	              "warning: %s has no passing mesh gateway in admin partition %s (%u "
	              "registered there): in Consul Enterprise \"this mesh gateway must also be "
	              "registered in the same partition as the exported services and their "
	              "exported-services configuration entry\"; %s cannot reach %s until one "
	              "passes. Fix: "
	              "%s",
	              r->a.c->name, p, total, q->peer, q->service,
	              r->a.kube ? "enable the mesh gateway of the consul-k8s release that runs "
	                          "in this partition (Helm meshGateway.enabled=true)"
	                        : "register a mesh gateway in that partition (its service "
	                          "registration with Partition set) and make its checks pass");
}

static enum step_result rules(struct run *r, struct ops_step *s)
{
	const struct ops_request *q = &r->plan->req;
	struct http_error err = {0};
	struct model_peering p;
	unsigned total = 0, passing = 0;
	int have;

	have = ops_read_peering(&(struct side){r->a.c, q->peer, false, r->a.partition}, &p, &err);
	if (have < 0)
		return ops_fail_http(r, s, &r->a, "read the peering", &err);
	r->no_peering = have == 0;
	if (have == 0)
		ops_plan_note(r,
		              "warning: %s is not a peer of %s (no peering of that name): nothing "
		              "is sent until a peering named %s exists",
		              q->peer, r->a.c->name, q->peer);
	else if (p.state != MODEL_PEERING_ACTIVE)
		ops_plan_note(r, "warning: the peering %s on %s is %s, not ACTIVE", q->peer,
		              r->a.c->name, model_peering_state_name(p.state));
	if (have > 0)
		model_peering_clear(&p);
	if (q->kind == OPS_UNEXPORT) {
		ops_note(s, "%s stops receiving %s", q->peer, q->service);
		return STEP_ALREADY;
	}
	if (ops_gateways(&r->a, &total, &passing, &err) < 0)
		return ops_fail_http(r, s, &r->a, "read the mesh gateways", &err);
	if (passing == 0 && r->a.partition && *r->a.partition)
		gateway_partition_note(r, total);
	else if (passing == 0)
		ops_plan_note(
		        r,
		        "warning: %s has no passing mesh gateway (%u registered): \"A cluster "
		        "requires a registered mesh gateway in order to export services to "
		        "peers\"; %s cannot reach %s until one passes",
		        r->a.c->name, total, q->peer, q->service);
	long n = r->instances = instances(&r->a, q->service);
	if (n == 0)
		ops_plan_note(r, "warning: %s has no instances of %s: the peer imports it empty",
		              r->a.c->name, q->service);
	ops_note(s, "%u of %u mesh gateways pass; %s", passing, total,
	         n < 0   ? "instances not known"
	         : n > 0 ? "the service has instances"
	                 : "no instances");
	return STEP_ALREADY;
}

static const struct step_def step_rules = {rules_title, rules, NULL};

/* ------------------------------------------------------------ the consumer */

static bool imports(const struct model_strv *v, const char *service)
{
	return model_strv_contains(v, service);
}

static void consumer_title(struct run *r, struct ops_step *s)
{
	const struct ops_request *q = &r->plan->req;
	bool in = q->kind == OPS_EXPORT;

	if (r->b.c)
		snprintf(s->title, sizeof s->title, "%s %s %s", r->b.c->name,
		         in ? "imports" : "no longer imports", q->service);
	else
		snprintf(s->title, sizeof s->title, "%s %s to %s", r->a.c->name,
		         in ? "sends" : "no longer sends", q->peer);
	snprintf(s->cluster, sizeof s->cluster, "%s", r->b.c ? r->b.c->name : r->a.c->name);
}

/* The consumer's peering lists the service among its imports (or, when the
 * consumer is not a configured cluster, the exporting side among what it
 * sends); for unexport, no longer. */
static int consumer_ready(struct run *r, struct ops_step *s, char *seen, size_t len)
{
	const struct ops_request *q = &r->plan->req;
	struct side sd = r->b.c ? r->b : (struct side){r->a.c, q->peer, false, r->a.partition};
	struct http_error err = {0};
	struct model_peering p;
	bool want = q->kind == OPS_EXPORT, has;
	int have = ops_read_peering(&sd, &p, &err);

	if (have < 0)
		return ops_wait_read_failed(r, s, &sd, "read the peering", &err, seen, len);
	has = have > 0 &&
	      imports(r->b.c ? &p.stream.imported_services : &p.stream.exported_services,
	              q->service);
	snprintf(seen, len, "%s's peering %s %s %s (%s)", sd.c->name, sd.peer,
	         has ? "lists" : "does not list", q->service,
	         have > 0 ? model_peering_state_name(p.state) : "absent");
	if (have > 0)
		model_peering_clear(&p);
	ops_progress_note(r, s, "%s", seen);
	return has == want;
}

static enum step_result consumer_check(struct run *r, struct ops_step *s)
{
	char seen[512];

	if (r->no_peering) {
		ops_note(s, "no peering named %s on %s: nothing to wait for", r->plan->req.peer,
		         r->a.c->name);
		return STEP_ALREADY;
	}
	/* Consul sends a peer the services that have instances. */
	if (r->plan->req.kind == OPS_EXPORT && r->instances == 0) {
		ops_note(s, "%s has no instances on %s: nothing to import until it has",
		         r->plan->req.service, r->a.c->name);
		return STEP_ALREADY;
	}
	if (r->planning) {
		ops_note(s, "wait up to %ld s", (r->wait_ms + 999) / 1000);
		return STEP_TODO;
	}
	int rc = consumer_ready(r, s, seen, sizeof seen);
	return rc < 0 ? STEP_FAIL : rc > 0 ? STEP_ALREADY : STEP_TODO;
}

static enum step_result consumer_act(struct run *r, struct ops_step *s)
{
	return ops_wait(r, s, r->plan->req.kind == OPS_EXPORT ? "the import" : "the removal",
	                consumer_ready);
}

static const struct step_def step_consumer = {consumer_title, consumer_check, consumer_act};

/* ------------------------------------------------------------ resolve */

int ops_resolve_service_peer(struct run *r, enum ops_res_kind kind, const char *name)
{
	struct ops_request *q = &r->plan->req;

	if (!*q->service || strchr(q->service, '/') || strchr(q->service, ' ')) {
		r->plan->refusal = OPS_REFUSE_USAGE;
		snprintf(r->plan->reason, sizeof r->plan->reason, "'%s' is not a service name",
		         q->service);
		return -1;
	}
	if (!consul_peer_name_valid(q->peer)) {
		r->plan->refusal = OPS_REFUSE_USAGE;
		snprintf(
		        r->plan->reason, sizeof r->plan->reason,
		        "'%s' is not a peer name: Consul's are lower-case DNS labels of at most 63 "
		        "characters",
		        q->peer);
		snprintf(r->plan->fix, sizeof r->plan->fix,
		         "give the peer as the cluster names it (the peerings pane, column B)");
		return -1;
	}
	if (ops_resolve_one(r) < 0)
		return -1;
	r->res.kind = kind;
	snprintf(r->res.name, sizeof r->res.name, "%s", name);
	return 0;
}

static int resolve(struct run *r)
{
	const struct ops_request *q = &r->plan->req;
	struct http_error err = {0};
	char name[OPS_NAME_MAX], a[160];
	const struct ops_cluster *x = NULL;

	snprintf(r->plan->title, sizeof r->plan->title, "%s %.160s from %s to %s",
	         q->kind == OPS_EXPORT ? "Export" : "Stop exporting", q->service,
	         ops_req_label(q, a, sizeof a), q->peer);
	/* The name is the partition's in Enterprise: ops_res_read sets it. */
	if (ops_resolve_service_peer(r, OPS_RES_EXPORTS, "default") < 0)
		return -1;
	r->edit = q->kind == OPS_EXPORT ? edit_export : edit_unexport;
	/* The consumer, when it is a configured cluster: whose imports to wait
	 * for. */
	if (ops_peer_cluster(r, &r->a, q->peer, &x, name, sizeof name, &err) > 0) {
		snprintf(r->consumer_peer, sizeof r->consumer_peer, "%s", name);
		r->b = (struct side){x, r->consumer_peer, false};
	}
	return 0;
}

static const struct step_def *const steps[] = {&step_rules, &ops_step_res_write,
                                               &ops_step_res_synced, &step_consumer};

const struct op_def ops_def_export = {OPS_EXPORT, resolve, steps, 4};
const struct op_def ops_def_unexport = {OPS_UNEXPORT, resolve, steps, 4};
