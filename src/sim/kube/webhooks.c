/* peerscope-sim: the consul-k8s admission webhooks (API.md §6.7).
 *
 * The connect-injector serves one mutating webhook per custom resource, with
 * failurePolicy Fail, for CREATE and UPDATE of the main resource (never the
 * status subresource). A denial reaches the client as a 400 Status whose
 * message is prefixed with the webhook's name, as the API server words it. */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "simk.h"

struct verdict {
	char msg[1536];
	size_t len;
	int nerrs;
	bool plain; /* a plain error, not a field.ErrorList */
};

/* Adds "<field>: Invalid value: <text>: <detail>" to a field error list;
 * TEXT is the value as Go's field.Invalid prints it. */
static void field_invalid_text(struct verdict *v, const char *field, const char *text,
                               const char *detail)
{
	if (v->len < sizeof v->msg)
		v->len += (size_t)snprintf(v->msg + v->len, sizeof v->msg - v->len,
		                           "%s%s: Invalid value: %s: %s", v->nerrs ? ", " : "",
		                           field, text, detail);
	v->nerrs++;
}

/* The same for a JSON value: strings quoted, null as "null". */
static void field_invalid(struct verdict *v, const char *field, const cJSON *value,
                          const char *detail)
{
	char val[160];

	if (!value || cJSON_IsNull(value))
		snprintf(val, sizeof val, "\"null\"");
	else if (cJSON_IsString(value))
		snprintf(val, sizeof val, "\"%.120s\"", value->valuestring);
	else {
		char *text = cJSON_PrintUnformatted(value);

		snprintf(val, sizeof val, "%.150s", text ? text : "?");
		free(text);
	}
	field_invalid_text(v, field, val, detail);
}

/* "<field>: Required value: <detail>" (apimachinery field.Required). */
static void field_required(struct verdict *v, const char *field, const char *detail)
{
	if (v->len < sizeof v->msg)
		v->len += (size_t)snprintf(v->msg + v->len, sizeof v->msg - v->len,
		                           "%s%s: Required value: %s", v->nerrs ? ", " : "", field,
		                           detail);
	v->nerrs++;
}

static void plain_error(struct verdict *v, const char *msg)
{
	snprintf(v->msg, sizeof v->msg, "%s", msg);
	v->plain = true;
	v->nerrs = 1;
}

/* Fills RESP with the denial; SIMK_KIND is consul-k8s's lower-case kind. */
static bool deny(struct sim_resp *resp, const struct verdict *v, const char *webhook,
                 const char *kube_kind, const char *name)
{
	char msg[2048];

	if (v->plain)
		snprintf(msg, sizeof msg, "admission webhook \"%s\" denied the request: %s",
		         webhook, v->msg);
	else
		snprintf(msg, sizeof msg,
		         "admission webhook \"%s\" denied the request: %s." SIMK_GROUP
		         " \"%s\" is invalid: %s%s%s",
		         webhook, kube_kind, name, v->nerrs > 1 ? "[" : "", v->msg,
		         v->nerrs > 1 ? "]" : "");
	simk_status_error(resp, 400, NULL, msg, NULL, NULL, NULL, NULL);
	return false;
}

/* The objects of type RT after AFTER (the first when NULL), as a webhook's
 * List sees them. Every uniqueness check runs on CREATE only, before the
 * storage create, so the list includes an object of the same namespace and
 * name: creating an existing resource is denied by the webhook (400), not
 * answered 409 AlreadyExists (peeringdialer_webhook.go, mesh_webhook.go,
 * common/configentry_webhook.go). */
static const struct simk_obj *listed(struct simk_state *k, int rt, const struct simk_obj *after)
{
	for (const struct simk_obj *o = after ? after->next : k->objs; o; o = o->next)
		if (o->rt == rt)
			return o;
	return NULL;
}

/* ------------------------------------------------------ peering acceptor/dialer */

static bool admit_peering(struct sim_cluster *c, int rt, const char *ns, const cJSON *obj,
                          bool create, struct sim_resp *resp)
{
	const struct simk_rtype *t = simk_rtype(c->kube, rt);
	bool acceptor = strcmp(t->kind, "PeeringAcceptor") == 0;
	const char *name = simk_str(obj, "metadata.name");
	const cJSON *peer = simk_path(obj, "spec.peer");
	const cJSON *secret = simk_path(obj, "spec.peer.secret");
	const cJSON *backend = simk_path(obj, "spec.peer.secret.backend");
	const char *sname = simk_str(obj, "spec.peer.secret.name");
	const char *webhook = acceptor ? "consul-mutate-peeringacceptors.consul.hashicorp.com"
	                               : "consul-mutate-peeringdialers.consul.hashicorp.com";
	/* PeeringAcceptorKubeKind and PeeringDialerKubeKind are plural
	 * (control-plane/api/v1alpha1/peeringacceptor_types.go). */
	const char *kube_kind = acceptor ? "peeringacceptors" : "peeringdialers";
	struct verdict v = {0};

	if (!cJSON_IsObject(peer)) {
		field_invalid(&v, "spec.peer", NULL, "peer must be specified");
		return deny(resp, &v, webhook, kube_kind, name);
	}
	if (!cJSON_IsObject(secret)) {
		field_invalid(&v, "spec.peer.secret", NULL, "secret must be specified");
		return deny(resp, &v, webhook, kube_kind, name);
	}
	if (!cJSON_IsString(backend) || strcmp(backend->valuestring, "kubernetes") != 0) {
		/* Backend is a Go string: a missing one prints as "". */
		if (cJSON_IsString(backend))
			field_invalid(&v, "spec.peer.secret.backend", backend,
			              "backend must be \"kubernetes\"");
		else
			field_invalid_text(&v, "spec.peer.secret.backend", "\"\"",
			                   "backend must be \"kubernetes\"");
		return deny(resp, &v, webhook, kube_kind, name);
	}
	if (!create)
		return true;
	for (const struct simk_obj *o = listed(c->kube, rt, NULL); o; o = listed(c->kube, rt, o)) {
		const char *oname = simk_str(o->json, "spec.peer.secret.name");

		if (strcmp(o->ns, ns) == 0 && strcmp(oname ? oname : "", sname ? sname : "") == 0) {
			char msg[512];

			snprintf(msg, sizeof msg,
			         "an existing %s resource has the same secret name `name: %.200s, "
			         "namespace: %.64s`",
			         t->kind, sname ? sname : "", ns);
			plain_error(&v, msg);
			return deny(resp, &v, webhook, kube_kind, name);
		}
	}
	return true;
}

/* ----------------------------------------------------------- config entries */

static void check_gateway_mode(struct verdict *v, const cJSON *obj, const char *path,
                               const char *field)
{
	const cJSON *mode = simk_path(obj, path);
	static const char *const modes[] = {"remote", "local", "none", ""};

	if (!mode)
		return;
	for (size_t i = 0; i < 4; i++)
		if (cJSON_IsString(mode) && strcmp(mode->valuestring, modes[i]) == 0)
			return;
	field_invalid(v, field, mode, "must be one of \"remote\", \"local\", \"none\", \"\"");
}

/* A Go slice as %#v prints it when it is nil or empty. */
static void go_empty_slice(char *buf, size_t len, const char *type, const cJSON *v)
{
	snprintf(buf, len, "[]v1alpha1.%s%s", type, cJSON_IsArray(v) ? "{}" : "(nil)");
}

/* ServiceConsumer.validate: the first problem of one consumer. */
static void check_consumer(struct verdict *v, const cJSON *cons, int i, int j, bool partitions)
{
	const char *peer = simk_str(cons, "peer"), *part = simk_str(cons, "partition");
	const char *sg = simk_str(cons, "samenessGroup");
	int set = (peer && *peer) + (part && *part) + (sg && *sg);
	char field[160], val[400];

	snprintf(field, sizeof field, "spec.services[%d].consumers[%d]", i, j);
	snprintf(val, sizeof val,
	         "v1alpha1.ServiceConsumer{Partition:\"%.100s\", Peer:\"%.100s\", "
	         "SamenessGroup:\"%.100s\"}",
	         part ? part : "", peer ? peer : "", sg ? sg : "");
	if (set != 1) {
		field_invalid_text(v, field, val,
		                   set ? "service consumer must define at most one of Peer, "
		                         "Partition, or SamenessGroup"
		                       : "service consumer must define at least one of Peer, "
		                         "Partition, or SamenessGroup");
	} else if (part && *part && !partitions) {
		strncat(field, ".partition", sizeof field - strlen(field) - 1);
		field_invalid(v, field, cJSON_GetObjectItem(cons, "partition"),
		              "Consul Admin Partitions need to be enabled to specify partition.");
	} else if (part && strcmp(part, "*") == 0) {
		strncat(field, ".partition", sizeof field - strlen(field) - 1);
		field_invalid_text(v, field, "\"\"",
		                   "exporting to all partitions (wildcard) is not supported");
	} else if (peer && strcmp(peer, "*") == 0) {
		strncat(field, ".peer", sizeof field - strlen(field) - 1);
		field_invalid_text(v, field, "\"\"",
		                   "exporting to all peers (wildcard) is not supported");
	} else if (sg && strcmp(sg, "*") == 0) {
		strncat(field, ".samenessgroup", sizeof field - strlen(field) - 1);
		field_invalid_text(v, field, "\"\"",
		                   "exporting to all sameness groups (wildcard) is not supported");
	}
}

static void check_exports(struct verdict *v, const cJSON *obj, bool partitions)
{
	const cJSON *services = simk_path(obj, "spec.services"), *svc;
	char field[160], val[160];
	int i = 0;

	if (cJSON_GetArraySize(services) == 0) {
		go_empty_slice(val, sizeof val, "ExportedService", services);
		field_invalid_text(v, "spec.services", val,
		                   "at least one service must be exported");
	}
	cJSON_ArrayForEach(svc, services)
	{
		const cJSON *consumers = cJSON_GetObjectItemCaseSensitive(svc, "consumers"), *cons;
		int j = 0;

		snprintf(field, sizeof field, "spec.services[%d]", i);
		if (cJSON_GetArraySize(consumers) == 0) {
			go_empty_slice(val, sizeof val, "ServiceConsumer", consumers);
			field_invalid_text(v, field, val, "service must have at least 1 consumer.");
		}
		if (simk_str(svc, "namespace") && *simk_str(svc, "namespace"))
			field_invalid(v, field, cJSON_GetObjectItem(svc, "namespace"),
			              "Consul Namespaces must be enabled to specify service "
			              "namespace.");
		cJSON_ArrayForEach(cons, consumers)
		{
			check_consumer(v, cons, i, j++, partitions);
		}
		i++;
	}
}

struct entry_rule {
	const char *kind;      /* CRD kind */
	const char *kube_kind; /* consul-k8s's lower-case kind */
	const char *webhook;
	const char *fixed_name; /* the only name allowed, or NULL */
	const char *name_msg;
	const char *one_msg; /* only one per cluster, or NULL */
};

/* The config-entry webhooks are named mutate-<kind>.consul.hashicorp.com,
 * without the release prefix the peering ones carry (consul-k8s
 * charts/consul/templates/connect-inject-mutatingwebhookconfiguration.yaml). */
static const struct entry_rule entry_rules[] = {
        {"Mesh", "mesh", "mutate-mesh.consul.hashicorp.com", "mesh",
         "mesh resource name must be \"mesh\"",
         "mesh resource already defined - only one mesh entry is supported"},
        {"ExportedServices", "exportedservices", "mutate-exportedservices.consul.hashicorp.com",
         NULL, NULL,
         "exportedservices resource already defined - only one exportedservices entry is "
         "supported per Kubernetes cluster"},
        {"ProxyDefaults", "proxydefaults", "mutate-proxydefaults.consul.hashicorp.com", "global",
         "proxydefaults resource name must be \"global\"",
         "proxydefaults resource already defined - only one global entry is supported"},
        {"ServiceDefaults", "servicedefaults", "mutate-servicedefaults.consul.hashicorp.com", NULL,
         NULL, NULL},
        {"ServiceIntentions", "serviceintentions", "mutate-serviceintentions.consul.hashicorp.com",
         NULL, NULL, NULL},
};

/* ServiceIntentions.Validate (control-plane/api/v1alpha1/serviceintentions_types.go). */
static void check_intentions(struct verdict *v, const cJSON *obj, bool partitions)
{
	const cJSON *srcs = simk_path(obj, "spec.sources"), *src;
	char field[160];
	int i = 0;

	if (cJSON_GetArraySize(srcs) == 0)
		field_required(v, "spec.sources", "at least one source must be specified");
	cJSON_ArrayForEach(src, srcs)
	{
		const char *act = simk_str(src, "action"), *name = simk_str(src, "name");
		const char *peer = simk_str(src, "peer"), *part = simk_str(src, "partition");
		const char *sg = simk_str(src, "samenessGroup");
		const cJSON *perms = cJSON_GetObjectItemCaseSensitive(src, "permissions"), *perm;
		if (cJSON_GetArraySize(perms) && act && *act) {
			char *json = cJSON_PrintUnformatted(src), q[700];
			snprintf(field, sizeof field, "spec.sources[%d]", i);
			snprintf(q, sizeof q, "\"%.600s\"", json ? json : "");
			free(json);
			field_invalid_text(
			        v, field, q,
			        "action and permissions are mutually exclusive and only one "
			        "of them can be specified");
		} else if (!cJSON_GetArraySize(perms)) {
			if (!act || (strcmp(act, "allow") && strcmp(act, "deny"))) {
				snprintf(field, sizeof field, "spec.sources[%d].action", i);
				if (act)
					field_invalid(v, field, cJSON_GetObjectItem(src, "action"),
					              "must be one of \"allow\", \"deny\"");
				else /* a Go string: missing prints as "" */
					field_invalid_text(v, field, "\"\"",
					                   "must be one of \"allow\", \"deny\"");
			}
		} else {
			int j = 0;
			cJSON_ArrayForEach(perm, perms)
			{
				const char *pa = simk_str(perm, "action");
				if (!pa || (strcmp(pa, "allow") && strcmp(pa, "deny"))) {
					snprintf(field, sizeof field,
					         "spec.sources[%d].permissions[%d].action", i, j);
					if (pa)
						field_invalid(v, field,
						              cJSON_GetObjectItem(perm, "action"),
						              "must be one of \"allow\", \"deny\"");
					else
						field_invalid_text(
						        v, field, "\"\"",
						        "must be one of \"allow\", \"deny\"");
				}
				j++;
			}
		}
		if (!name || !*name) {
			snprintf(field, sizeof field, "spec.sources[%d].name", i);
			field_required(v, field, "name is required.");
		}
		if (part && strchr(part, '*')) {
			snprintf(field, sizeof field, "spec.sources[%d].partition", i);
			field_invalid(v, field, cJSON_GetObjectItem(src, "partition"),
			              "partition cannot use or contain wildcard '*'");
		}
		if (peer && strchr(peer, '*')) {
			snprintf(field, sizeof field, "spec.sources[%d].peer", i);
			field_invalid(v, field, cJSON_GetObjectItem(src, "peer"),
			              "peer cannot use or contain wildcard '*'");
		}
		if (part && *part && !partitions) {
			snprintf(field, sizeof field, "spec.sources[%d].partition", i);
			field_invalid(v, field, cJSON_GetObjectItem(src, "partition"),
			              "Consul Enterprise Admin Partitions must be enabled to set "
			              "source.partition");
		}
		/* These print the whole source as Go's %#v; the simulator abridges it. */
		if (peer && *peer && part && *part) {
			snprintf(field, sizeof field, "spec.sources[%d]", i);
			field_invalid_text(v, field, "v1alpha1.SourceIntention{...}",
			                   "cannot set peer and partition at the same time.");
		}
		if (sg && *sg && peer && *peer) {
			snprintf(field, sizeof field, "spec.sources[%d]", i);
			field_invalid_text(v, field, "v1alpha1.SourceIntention{...}",
			                   "cannot set samenessgroup and peer at the same time.");
		}
		i++;
	}
	/* validateNamespaces: Consul CE and Enterprise here both run without
	 * namespaces. */
	i = 0;
	cJSON_ArrayForEach(src, srcs)
	{
		if (simk_str(src, "namespace") && *simk_str(src, "namespace")) {
			snprintf(field, sizeof field, "spec.sources[%d].namespace", i);
			field_invalid(v, field, cJSON_GetObjectItem(src, "namespace"),
			              "Consul Enterprise namespaces must be enabled to set "
			              "source.namespace");
		}
		i++;
	}
	const char *dns = simk_str(obj, "spec.destination.namespace");
	if (dns && *dns)
		field_invalid(v, "spec.destination.namespace",
		              simk_path(obj, "spec.destination.namespace"),
		              "Consul Enterprise namespaces must be enabled to set "
		              "destination.namespace");
}

/* The ServiceIntentions webhook (serviceintentions_webhook.go): on CREATE
 * no other resource for the same destination, on UPDATE the destination
 * immutable; plain errors. */
static bool intentions_unique(struct sim_cluster *c, int rt, const cJSON *obj, const cJSON *old,
                              struct verdict *v)
{
	const char *dest = simk_str(obj, "spec.destination.name");
	char msg[400];

	if (old) {
		const char *od = simk_str(old, "spec.destination.name");
		const char *on = simk_str(old, "spec.destination.namespace");
		const char *nn = simk_str(obj, "spec.destination.namespace");
		if (strcmp(od ? od : "", dest ? dest : "") || strcmp(on ? on : "", nn ? nn : "")) {
			plain_error(v, "spec.destination.name and spec.destination.namespace are "
			               "immutable fields for ServiceIntentions");
			return false;
		}
		return true;
	}
	for (const struct simk_obj *o = listed(c->kube, rt, NULL); o; o = listed(c->kube, rt, o)) {
		const char *od = simk_str(o->json, "spec.destination.name");
		if (strcmp(od ? od : "", dest ? dest : "") == 0) {
			snprintf(msg, sizeof msg,
			         "an existing ServiceIntentions resource has "
			         "`spec.destination.name: %s`",
			         dest ? dest : "");
			plain_error(v, msg);
			return false;
		}
	}
	return true;
}

/* Mesh.Validate: TLS versions, and PeerThroughMeshGateways only in the
 * default partition (control-plane/api/v1alpha1/mesh_types.go). */
static void check_tls_dir(struct verdict *v, const cJSON *obj, const char *dir)
{
	static const char *const ok[] = {"TLS_AUTO", "TLSv1_0", "TLSv1_1",
	                                 "TLSv1_2",  "TLSv1_3", ""};
	static const char *const keys[] = {"tlsMaxVersion", "tlsMinVersion"};
	char path[96], field[96];

	for (size_t k = 0; k < 2; k++) {
		snprintf(path, sizeof path, "spec.tls.%s.%s", dir, keys[k]);
		const cJSON *val = simk_path(obj, path);
		bool good = !val;
		for (size_t i = 0; !good && i < sizeof ok / sizeof ok[0]; i++)
			good = cJSON_IsString(val) && strcmp(val->valuestring, ok[i]) == 0;
		if (good)
			continue;
		snprintf(field, sizeof field, "spec.tls.%s.%s", dir, keys[k]);
		field_invalid(v, field, val,
		              "must be one of \"TLS_AUTO\", \"TLSv1_0\", \"TLSv1_1\", \"TLSv1_2\", "
		              "\"TLSv1_3\", \"\"");
	}
}

static void check_mesh(struct verdict *v, const cJSON *obj)
{
	check_tls_dir(v, obj, "incoming");
	check_tls_dir(v, obj, "outgoing");
}

static bool admit_entry(struct sim_cluster *c, int rt, const char *ns, const cJSON *obj,
                        const cJSON *old, const struct entry_rule *r, struct sim_resp *resp)
{
	const char *name = simk_str(obj, "metadata.name");
	struct verdict v = {0};
	bool create = old == NULL;

	if (strcmp(r->kind, "ServiceIntentions") == 0) {
		if (!intentions_unique(c, rt, obj, old, &v))
			return deny(resp, &v, r->webhook, r->kube_kind, name);
		check_intentions(&v, obj, c->install.enterprise);
		return v.nerrs ? deny(resp, &v, r->webhook, r->kube_kind, name) : true;
	}

	if (create && r->fixed_name && strcmp(name, r->fixed_name) != 0) {
		plain_error(&v, r->name_msg);
		return deny(resp, &v, r->webhook, r->kube_kind, name);
	}
	if (create && r->one_msg && listed(c->kube, rt, NULL)) {
		plain_error(&v, r->one_msg);
		return deny(resp, &v, r->webhook, r->kube_kind, name);
	}
	if (create && !r->one_msg) {
		for (const struct simk_obj *o = listed(c->kube, rt, NULL); o;
		     o = listed(c->kube, rt, o)) {
			if (strcmp(o->name, name) == 0) {
				char msg[400];

				snprintf(msg, sizeof msg,
				         "%s resource with name \"%s\" is already defined – all %s "
				         "resources must have unique names across namespaces",
				         r->kube_kind, name, r->kube_kind);
				plain_error(&v, msg);
				return deny(resp, &v, r->webhook, r->kube_kind, name);
			}
		}
	}
	if (strcmp(r->kind, "ExportedServices") == 0) {
		/* consul-k8s runs in the default partition here. */
		if (strcmp(name, "default") != 0)
			field_invalid(
			        &v, "name", cJSON_GetObjectItem(simk_path(obj, "metadata"), "name"),
			        c->install.enterprise
			                ? "exportedservices resource name must be the same name "
			                  "as the partition, \"default\""
			                : "exportedservices resource name must be \"default\"");
		check_exports(&v, obj, c->install.enterprise);
	}
	if (strcmp(r->kind, "Mesh") == 0)
		check_mesh(&v, obj);
	if (strcmp(r->kind, "ProxyDefaults") == 0 || strcmp(r->kind, "ServiceDefaults") == 0)
		check_gateway_mode(&v, obj, "spec.meshGateway.mode", "spec.meshGateway.mode");
	if (strcmp(r->kind, "ServiceDefaults") == 0)
		check_gateway_mode(&v, obj, "spec.upstreamConfig.defaults.meshGateway.mode",
		                   "spec.upstreamConfig.defaults.meshGateway.mode");
	if (v.nerrs)
		return deny(resp, &v, r->webhook, r->kube_kind, name);
	return true;
}

void simk_set_injector(struct sim_cluster *c, bool up)
{
	if (!c->kube || c->kube->injector_down == !up)
		return;
	c->kube->injector_down = !up;
	simk_injector_sync(c);
	sim_event(c->world, c, "connect-injector %s", up ? "up" : "down");
}

bool simk_injector_up(const struct sim_cluster *c)
{
	return c->kube && !c->kube->injector_down;
}

/* The API server cannot reach the webhook (failurePolicy: Fail): 500. */
static bool injector_unreachable(const struct simk_rtype *t, struct sim_resp *resp)
{
	/* The Mesh webhook is the one served at a singular path; only the
	 * peering webhooks carry the release's prefix. */
	const char *res = strcmp(t->kind, "Mesh") ? t->plural : "mesh";
	bool peering = !strcmp(t->kind, "PeeringAcceptor") || !strcmp(t->kind, "PeeringDialer");
	char msg[600];
	cJSON *causes = cJSON_CreateArray(), *cause = cJSON_CreateObject();

	snprintf(msg, sizeof msg,
	         "failed calling webhook \"%smutate-%s." SIMK_GROUP
	         "\": failed to call webhook: Post \"https://consul-connect-injector.consul.svc:443"
	         "/mutate-v1alpha1-%s?timeout=10s\": dial tcp 10.96.0.12:443: connect: "
	         "connection refused",
	         peering ? "consul-" : "", res, res);
	if (causes && cause) {
		cJSON_AddStringToObject(cause, "message", msg);
		cJSON_AddItemToArray(causes, cause);
		cause = NULL;
	}
	cJSON_Delete(cause);
	char full[640];
	snprintf(full, sizeof full, "Internal error occurred: %s", msg);
	simk_status_error(resp, 500, "InternalError", full, NULL, NULL, NULL, causes);
	return false;
}

bool simk_webhook_admit(struct sim_cluster *c, int rt, const char *ns, const cJSON *obj,
                        const cJSON *old, struct sim_resp *resp)
{
	const struct simk_rtype *t = simk_rtype(c->kube, rt);

	/* The webhooks run in the connect-injector; without it there are none
	 * (and no consul.hashicorp.com CRDs to write either). */
	if (!t->crd || !c->install.connect_inject_enabled)
		return true;
	if (c->kube->injector_down)
		return injector_unreachable(t, resp);
	if (strcmp(t->kind, "PeeringAcceptor") == 0 || strcmp(t->kind, "PeeringDialer") == 0)
		return admit_peering(c, rt, ns, obj, old == NULL, resp);
	for (size_t i = 0; i < sizeof entry_rules / sizeof entry_rules[0]; i++)
		if (strcmp(t->kind, entry_rules[i].kind) == 0)
			return admit_entry(c, rt, ns, obj, old, &entry_rules[i], resp);
	return true;
}
