/* report: `peerscope --once`, JSON and table output. See include/peerscope/report.h. */
#include "autoconfig.h"

#include "peerscope/report.h"

#include "peerscope/config.h"
#include "peerscope/http.h"
#include "peerscope/session.h"
#include "peerscope/monotime.h"
#include "peerscope/redact.h"
#include "peerscope/term.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

bool report_format_parse(const char *text, enum report_format *out)
{
	if (text && strcmp(text, "json") == 0)
		*out = REPORT_JSON;
	else if (text && strcmp(text, "table") == 0)
		*out = REPORT_TABLE;
	else
		return false;
	return true;
}

/* ------------------------------------------------------------ JSON helpers */

static const char *nz(const char *s)
{
	return s ? s : "";
}

/* Adds KEY as an RFC 3339 string, or null for "never". */
static void add_time(cJSON *o, const char *key, int64_t ns)
{
	char buf[40];

	if (ns == 0) {
		cJSON_AddNullToObject(o, key);
		return;
	}
	cJSON_AddStringToObject(o, key, model_time_format(ns, buf, sizeof buf));
}

static cJSON *strv_json(const struct model_strv *sv)
{
	cJSON *a = cJSON_CreateArray();

	for (size_t i = 0; a && i < sv->n; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(nz(sv->v[i])));
	return a;
}

static void add_address(cJSON *o, const char *key, const struct model_address *a)
{
	char buf[300];

	if (!a->address || !*a->address) {
		cJSON_AddNullToObject(o, key);
		return;
	}
	snprintf(buf, sizeof buf, "%s:%d", a->address, a->port);
	cJSON_AddStringToObject(o, key, buf);
}

/* ---------------------------------------------------------- cluster parts */

static cJSON *peering_json(const struct model_peering *p)
{
	cJSON *o = cJSON_CreateObject();

	if (!o)
		return NULL;
	cJSON_AddStringToObject(o, "name", nz(p->name));
	cJSON_AddStringToObject(o, "partition", nz(p->partition));
	cJSON_AddStringToObject(o, "id", nz(p->id));
	cJSON_AddStringToObject(o, "state", model_peering_state_name(p->state));
	cJSON_AddStringToObject(o, "peer_id", nz(p->peer_id));
	cJSON_AddStringToObject(o, "peer_server_name", nz(p->peer_server_name));
	cJSON_AddItemToObject(o, "peer_server_addresses", strv_json(&p->peer_server_addresses));
	cJSON_AddItemToObject(o, "imported_services", strv_json(&p->stream.imported_services));
	cJSON_AddItemToObject(o, "exported_services", strv_json(&p->stream.exported_services));
	cJSON_AddNumberToObject(o, "imported_count", (double)model_peering_imported_count(p));
	cJSON_AddNumberToObject(o, "exported_count", (double)model_peering_exported_count(p));
	add_time(o, "last_heartbeat", p->stream.last_heartbeat_ns);
	add_time(o, "last_receive", p->stream.last_receive_ns);
	add_time(o, "last_send", p->stream.last_send_ns);
	add_time(o, "deleted_at", p->deleted_at_ns);
	cJSON *r = cJSON_AddObjectToObject(o, "remote");
	if (r) {
		cJSON_AddStringToObject(r, "datacenter", nz(p->remote.datacenter));
		cJSON_AddStringToObject(r, "partition", nz(p->remote.partition));
	}
	return o;
}

static cJSON *cr_json(const struct model_kube_peering *cr)
{
	cJSON *o = cJSON_CreateObject();

	if (!o)
		return NULL;
	cJSON_AddStringToObject(o, "name", nz(cr->meta.name));
	cJSON_AddStringToObject(o, "namespace", nz(cr->meta.ns));
	cJSON *s = cJSON_AddObjectToObject(o, "secret");
	if (s) {
		cJSON_AddStringToObject(s, "name", nz(cr->spec_secret.name));
		cJSON_AddStringToObject(s, "key", nz(cr->spec_secret.key));
	}
	bool legacy = cr->legacy_status && cr->synced.status == MODEL_COND_UNSET;
	if (legacy)
		cJSON_AddBoolToObject(o, "synced", !cr->legacy_error);
	else if (cr->synced.status == MODEL_COND_UNSET || cr->synced.status == MODEL_COND_UNKNOWN)
		cJSON_AddNullToObject(o, "synced");
	else
		cJSON_AddBoolToObject(o, "synced", cr->synced.status == MODEL_COND_TRUE);
	cJSON_AddStringToObject(o, "reason", nz(cr->synced.reason));
	cJSON_AddStringToObject(o, "message",
	                        legacy ? nz(cr->legacy_message) : nz(cr->synced.message));
	if (cr->has_latest_version)
		cJSON_AddNumberToObject(o, "latest_peering_version", (double)cr->latest_version);
	else
		cJSON_AddNullToObject(o, "latest_peering_version");
	add_time(o, "last_synced", cr->last_synced_ns);
	cJSON_AddBoolToObject(o, "terminating", cr->meta.deleting_ns != 0);
	return o;
}

static cJSON *crs_json(const struct store_kube_peerings *l)
{
	cJSON *a = cJSON_CreateArray();

	for (size_t i = 0; a && i < l->n; i++)
		cJSON_AddItemToArray(a, cr_json(&l->v[i]));
	return a;
}

static const struct model_kube_secret *secret_find(const struct store_snapshot *s, const char *ns,
                                                   const char *name)
{
	for (size_t i = 0; i < s->token_secrets->n; i++) {
		const struct model_kube_secret *x = &s->token_secrets->v[i];
		if (strcmp(nz(x->meta.name), nz(name)) == 0 && strcmp(nz(x->meta.ns), nz(ns)) == 0)
			return x;
	}
	return NULL;
}

static bool secret_listed(cJSON *a, const char *ns, const char *name)
{
	cJSON *it;

	cJSON_ArrayForEach(it, a)
	{
		if (strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(it, "name")), name) == 0 &&
		    strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(it, "namespace")), ns) == 0)
			return true;
	}
	return false;
}

static void token_secret_add(cJSON *a, const char *ns, const char *name, const char *key,
                             const struct model_kube_secret *sec)
{
	cJSON *o = cJSON_CreateObject();

	if (!o)
		return;
	cJSON_AddStringToObject(o, "name", nz(name));
	cJSON_AddStringToObject(o, "namespace", nz(ns));
	cJSON_AddBoolToObject(o, "present", sec != NULL);
	cJSON_AddBoolToObject(o, "key_present",
	                      sec && (!key || model_kube_secret_find(sec, key) != NULL));
	cJSON_AddBoolToObject(o, "labelled", sec && sec->token_label);
	cJSON_AddItemToArray(a, o);
}

/* The token Secrets the CRs name, present or not, then the other labelled
 * ones: names and keys only, never a value. */
static cJSON *token_secrets_json(const struct store_snapshot *s)
{
	cJSON *a = cJSON_CreateArray();
	const struct store_kube_peerings *lists[2] = {s->acceptors, s->dialers};

	if (!a)
		return NULL;
	for (int l = 0; l < 2; l++) {
		for (size_t i = 0; i < lists[l]->n; i++) {
			const struct model_kube_peering *cr = &lists[l]->v[i];
			const char *ns = nz(cr->meta.ns), *name = nz(cr->spec_secret.name);
			if (!*name || secret_listed(a, ns, name))
				continue;
			token_secret_add(a, ns, name, cr->spec_secret.key,
			                 secret_find(s, ns, name));
		}
	}
	for (size_t i = 0; i < s->token_secrets->n; i++) {
		const struct model_kube_secret *x = &s->token_secrets->v[i];
		if (!secret_listed(a, nz(x->meta.ns), nz(x->meta.name)))
			token_secret_add(a, nz(x->meta.ns), nz(x->meta.name), NULL, x);
	}
	return a;
}

static cJSON *gateways_json(const struct model_instance_list *l)
{
	cJSON *a = cJSON_CreateArray();

	for (size_t i = 0; a && i < l->n; i++) {
		const struct model_service_instance *g = &l->v[i];
		cJSON *o = cJSON_CreateObject();
		if (!o)
			break;
		cJSON_AddStringToObject(o, "id", nz(g->service_id));
		cJSON_AddStringToObject(o, "partition", nz(g->partition));
		cJSON_AddStringToObject(o, "node", nz(g->node));
		add_address(o, "lan", &g->lan);
		add_address(o, "wan", &g->wan);
		cJSON_AddStringToObject(o, "status", model_health_name(g->health));
		cJSON_AddItemToArray(a, o);
	}
	return a;
}

static cJSON *exports_json(const struct store_snapshot *s)
{
	cJSON *a = cJSON_CreateArray();
	const struct model_export_service *v = s->exports->services;
	size_t n = s->exports->nservices;

	/* Consul's entry; the CR only when Consul could not be read. */
	if (!s->has_exports && s->sources[STORE_SRC_EXPORTS].last_ok_ns == 0 &&
	    s->kube_exports->n > 0) {
		v = s->kube_exports->v[0].services;
		n = s->kube_exports->v[0].nservices;
	}
	for (size_t i = 0; a && i < n; i++) {
		cJSON *o = cJSON_CreateObject(), *c = cJSON_CreateArray();
		if (!o || !c) {
			cJSON_Delete(o);
			cJSON_Delete(c);
			break;
		}
		cJSON_AddStringToObject(o, "name", nz(v[i].name));
		cJSON_AddStringToObject(o, "partition", nz(v[i].partition));
		for (size_t k = 0; k < v[i].nconsumers; k++) {
			const struct model_export_consumer *x = &v[i].consumers[k];
			const char *who = x->peer && *x->peer ? x->peer : nz(x->partition);
			cJSON_AddItemToArray(c, cJSON_CreateString(who));
		}
		cJSON_AddItemToObject(o, "consumers", c);
		cJSON_AddItemToArray(a, o);
	}
	return a;
}

static cJSON *imports_json(const struct store_snapshot *s)
{
	cJSON *a = cJSON_CreateArray();

	for (size_t i = 0; a && i < s->services->n; i++) {
		const struct model_service_summary *x = &s->services->v[i];
		if (!x->peer_name || !*x->peer_name)
			continue;
		cJSON *o = cJSON_CreateObject();
		if (!o)
			break;
		cJSON_AddStringToObject(o, "name", nz(x->name));
		cJSON_AddStringToObject(o, "peer", x->peer_name);
		cJSON_AddStringToObject(o, "partition", nz(x->partition));
		cJSON_AddNumberToObject(o, "instances", x->instance_count);
		cJSON_AddNumberToObject(o, "checks_critical", x->checks_critical);
		cJSON_AddItemToArray(a, o);
	}
	return a;
}

static bool source_failed(const struct store_source *src)
{
	return src->enabled && src->state != MODEL_SOURCE_OK &&
	       src->state != MODEL_SOURCE_UNSUPPORTED;
}

/* Source I is stale because its side stopped answering after it had
 * answered, and its error (newer than its last success) says so. */
static bool side_silent(const struct store_snapshot *s, size_t i)
{
	const struct store_source *src = &s->sources[i];

	return src->stale && src->last_error_ns >= src->last_ok_ns &&
	       store_side_stale(s, store_src_is_kube((enum store_src)i));
}

/* What a source that never answered says, and what its cluster's
 * connection was still waiting for. */
static const char *late_text(const struct store_snapshot *s, char *buf, size_t len)
{
	snprintf(buf, len, "no answer before the deadline%s%s%s",
	         s->exec_plugin[0] ? " (waiting for the exec plugin '" : "", s->exec_plugin,
	         s->exec_plugin[0] ? "')" : "");
	return buf;
}

static cJSON *sources_json(const struct store_snapshot *s, bool timed_out)
{
	char why[256];
	cJSON *a = cJSON_CreateArray();

	for (size_t i = 0; a && i < STORE_SRC_COUNT; i++) {
		const struct store_source *src = &s->sources[i];
		if (!src->enabled)
			continue;
		cJSON *o = cJSON_CreateObject();
		if (!o)
			break;
		bool late = timed_out && src->state == MODEL_SOURCE_UNKNOWN;
		cJSON_AddStringToObject(o, "name", store_src_name((enum store_src)i));
		cJSON_AddBoolToObject(o, "ok", src->state == MODEL_SOURCE_OK);
		cJSON_AddStringToObject(o, "state",
		                        late ? "timed_out" : model_source_state_name(src->state));
		cJSON_AddBoolToObject(o, "stale", src->stale);
		cJSON_AddBoolToObject(o, "timed_out", late);
		cJSON_AddNumberToObject(o, "failures", src->failures);
		if (late)
			cJSON_AddStringToObject(o, "last_error", late_text(s, why, sizeof why));
		else if (src->last_error[0] && (src->failures > 0 || side_silent(s, i)))
			cJSON_AddStringToObject(o, "last_error", src->last_error);
		else
			cJSON_AddNullToObject(o, "last_error");
		add_time(o, "last_error_at", src->last_error_ns);
		add_time(o, "last_success", src->last_ok_ns);
		cJSON_AddItemToArray(a, o);
	}
	return a;
}

static void consul_json(cJSON *c, const struct store_snapshot *s)
{
	cJSON *o = cJSON_AddObjectToObject(c, "consul");

	if (!o)
		return;
	char shown[512];
	redact_url(s->consul_address, shown, sizeof shown);
	cJSON_AddStringToObject(o, "address", shown);
	cJSON_AddBoolToObject(o, "via_proxy", s->consul_via_proxy);
	cJSON_AddBoolToObject(o, "reachable", s->consul_reachable);
	const struct model_cluster_identity *id = s->identity;
	if (!s->has_identity) {
		cJSON_AddNullToObject(o, "version");
		cJSON_AddNullToObject(o, "datacenter");
		cJSON_AddNullToObject(o, "leader");
		return;
	}
	cJSON_AddStringToObject(o, "version", nz(id->version));
	cJSON_AddStringToObject(o, "datacenter", nz(id->datacenter));
	cJSON_AddStringToObject(o, "leader", nz(id->leader));
	cJSON_AddBoolToObject(o, "enterprise", id->enterprise);
}

static void kube_json(cJSON *c, const struct store_snapshot *s)
{
	cJSON *o = cJSON_AddObjectToObject(c, "kube");

	if (!o)
		return;
	cJSON_AddBoolToObject(o, "configured", s->kube_configured);
	cJSON_AddBoolToObject(o, "reachable", s->kube_reachable);
	cJSON *crds = cJSON_AddObjectToObject(o, "crds");
	if (!crds)
		return;
	const struct store_crds *d = &s->crds;
	cJSON_AddBoolToObject(crds, "served", d->group_served);
	cJSON_AddStringToObject(crds, "version", d->version);
	cJSON_AddBoolToObject(crds, "peering_acceptors", d->peering_acceptors);
	cJSON_AddBoolToObject(crds, "peering_dialers", d->peering_dialers);
	cJSON_AddBoolToObject(crds, "meshes", d->meshes);
	cJSON_AddBoolToObject(crds, "exported_services", d->exported_services);
	cJSON_AddBoolToObject(crds, "proxy_defaults", d->proxy_defaults);
	cJSON_AddBoolToObject(crds, "service_defaults", d->service_defaults);
	cJSON_AddBoolToObject(crds, "service_intentions", d->service_intentions);
}

static void helm_json(cJSON *c, const struct store_snapshot *s)
{
	const struct model_kube_helm *h = s->helm;

	if (!s->has_helm) {
		cJSON_AddNullToObject(c, "helm");
		return;
	}
	cJSON *o = cJSON_AddObjectToObject(c, "helm");
	if (!o)
		return;
	cJSON_AddStringToObject(o, "release", nz(h->release));
	cJSON_AddStringToObject(o, "namespace", nz(h->ns));
	cJSON_AddNumberToObject(o, "revision", h->revision);
	cJSON_AddStringToObject(o, "chart_version", nz(h->chart_version));
	cJSON_AddStringToObject(o, "app_version", nz(h->app_version));
	cJSON_AddStringToObject(o, "datacenter", nz(h->datacenter));
	cJSON_AddBoolToObject(o, "peering_enabled", h->peering_enabled);
	cJSON_AddBoolToObject(o, "tls_enabled", h->tls_enabled);
	cJSON_AddBoolToObject(o, "mesh_gateway_enabled", h->mesh_gateway_enabled);
	cJSON_AddBoolToObject(o, "connect_inject_enabled", h->connect_inject_enabled);
	cJSON_AddBoolToObject(o, "manage_system_acls", h->manage_system_acls);
	cJSON_AddNumberToObject(o, "mesh_gateway_replicas", h->mesh_gateway_replicas);
}

static cJSON *cluster_json(const struct store_snapshot *s, const struct join_gateways *g,
                           bool timed_out)
{
	cJSON *o = cJSON_CreateObject();

	if (!o)
		return NULL;
	cJSON_AddStringToObject(o, "name", s->name);
	cJSON_AddStringToObject(o, "context", s->context);
	cJSON_AddBoolToObject(o, "readonly", s->readonly);
	cJSON_AddItemToObject(o, "partitions", strv_json(s->partitions));
	consul_json(o, s);
	kube_json(o, s);
	helm_json(o, s);
	cJSON *a = cJSON_AddArrayToObject(o, "peerings");
	for (size_t i = 0; a && i < s->peerings->n; i++)
		cJSON_AddItemToArray(a, peering_json(&s->peerings->v[i]));
	cJSON_AddItemToObject(o, "acceptors", crs_json(s->acceptors));
	cJSON_AddItemToObject(o, "dialers", crs_json(s->dialers));
	cJSON_AddItemToObject(o, "token_secrets", token_secrets_json(s));
	cJSON_AddItemToObject(o, "gateways", gateways_json(s->gateways));
	cJSON_AddNumberToObject(o, "gateways_healthy", g ? g->healthy : 0);
	enum model_mgw_mode m = g ? g->mode : MODEL_MGW_REMOTE;
	cJSON_AddStringToObject(o, "gateway_mode", model_mgw_mode_name(m));
	cJSON_AddStringToObject(o, "gateway_mode_source",
	                        join_mode_source_name(g ? g->mode_source : JOIN_MODE_DEFAULT));
	cJSON_AddBoolToObject(o, "peer_through_mesh_gateways", g && g->peer_through_mesh_gateways);
	cJSON_AddItemToObject(o, "exported_services", exports_json(s));
	cJSON_AddItemToObject(o, "imported_services", imports_json(s));
	cJSON_AddItemToObject(o, "sources", sources_json(s, timed_out));
	return o;
}

/* ------------------------------------------------------------ pairs, exports */

static const char *const flag_names[] = {
        "asymmetric", "heartbeat_stale", "not_synced",         "token_missing", "one_sided",
        "state_bad",  "data_stale",      "cr_without_peering", "loading",
};

static const char *end_state_name(const struct join_end *e)
{
	if (!e->present)
		return "ABSENT";
	return e->peering ? model_peering_state_name(e->peering->state) : "NO_PEERING";
}

static cJSON *end_json(const struct join_end *e)
{
	cJSON *o = cJSON_CreateObject();

	if (!o)
		return NULL;
	cJSON_AddStringToObject(o, "peer_name", e->name);
	cJSON_AddStringToObject(o, "partition", nz(e->partition));
	cJSON_AddStringToObject(o, "role", e->acceptor ? "acceptor" : e->dialer ? "dialer" : "");
	if (e->cr && e->cr->synced.status != MODEL_COND_UNSET)
		cJSON_AddBoolToObject(o, "synced", e->cr->synced.status == MODEL_COND_TRUE);
	else
		cJSON_AddNullToObject(o, "synced");
	if (e->heartbeat_age_ms >= 0)
		cJSON_AddNumberToObject(o, "heartbeat_age_s", (double)(e->heartbeat_age_ms / 1000));
	else
		cJSON_AddNullToObject(o, "heartbeat_age_s");
	return o;
}

static cJSON *pair_json(const struct join_pair *p)
{
	cJSON *o = cJSON_CreateObject(), *f;

	if (!o)
		return NULL;
	cJSON_AddStringToObject(o, "id", p->id);
	cJSON_AddStringToObject(o, "a", p->a.snap ? p->a.snap->name : "");
	if (p->b.snap)
		cJSON_AddStringToObject(o, "b", p->b.snap->name);
	else
		cJSON_AddNullToObject(o, "b");
	cJSON_AddStringToObject(o, "state_a", end_state_name(&p->a));
	cJSON_AddStringToObject(o, "state_b",
	                        p->b.cluster == JOIN_NONE ? "UNKNOWN" : end_state_name(&p->b));
	cJSON_AddBoolToObject(o, "healthy", p->healthy);
	cJSON_AddItemToObject(o, "end_a", end_json(&p->a));
	cJSON_AddItemToObject(o, "end_b", end_json(&p->b));
	cJSON_AddStringToObject(o, "remote_datacenter", nz(p->remote_datacenter));
	if ((f = cJSON_AddArrayToObject(o, "flags")))
		for (size_t i = 0; i < sizeof flag_names / sizeof flag_names[0]; i++)
			if (p->flags & (1u << i))
				cJSON_AddItemToArray(f, cJSON_CreateString(flag_names[i]));
	cJSON_AddStringToObject(o, "problem", p->problem);
	return o;
}

static cJSON *export_json(const struct join_export *x, const struct store_snapshot *const *snaps)
{
	cJSON *o = cJSON_CreateObject();

	if (!o)
		return NULL;
	cJSON_AddStringToObject(o, "service", x->service);
	cJSON_AddStringToObject(o, "from", snaps[x->from]->name);
	cJSON_AddStringToObject(o, "partition", nz(x->partition));
	cJSON_AddStringToObject(o, "peer", x->peer);
	if (x->to != JOIN_NONE)
		cJSON_AddStringToObject(o, "to", snaps[x->to]->name);
	else
		cJSON_AddNullToObject(o, "to");
	cJSON_AddStringToObject(o, "to_partition", nz(x->to_partition));
	cJSON_AddStringToObject(o, "state", join_cell_state_name(x->state));
	cJSON_AddBoolToObject(o, "exported", x->exported);
	cJSON_AddBoolToObject(o, "imported", x->imported);
	cJSON_AddNumberToObject(o, "instances", x->instances);
	cJSON_AddNumberToObject(o, "healthy", x->healthy);
	cJSON_AddBoolToObject(o, "no_partition_gateway", x->no_partition_gateway);
	char why[JOIN_PROBLEM_MAX];
	if (join_export_problem(x, why, sizeof why))
		cJSON_AddStringToObject(o, "problem", why);
	else
		cJSON_AddNullToObject(o, "problem");
	return o;
}

char *report_json(const struct store_snapshot *const *snaps, size_t n, const struct join_view *v,
                  int64_t now_ns, bool timed_out)
{
	cJSON *root = cJSON_CreateObject(), *a;
	char *text = NULL;
	size_t gi = 0;

	if (!root)
		return NULL;
	add_time(root, "generated_at", now_ns);
	if ((a = cJSON_AddArrayToObject(root, "clusters"))) {
		for (size_t i = 0; i < n; i++) {
			if (!snaps[i])
				continue;
			const struct join_gateways *g =
			        gi < v->ngateways && v->gateways[gi].cluster == i
			                ? &v->gateways[gi++]
			                : NULL;
			cJSON_AddItemToArray(a, cluster_json(snaps[i], g, timed_out));
		}
	}
	if ((a = cJSON_AddArrayToObject(root, "pairs")))
		for (size_t i = 0; i < v->npairs; i++)
			cJSON_AddItemToArray(a, pair_json(&v->pairs[i]));
	if ((a = cJSON_AddArrayToObject(root, "exports")))
		for (size_t i = 0; i < v->nexports; i++)
			cJSON_AddItemToArray(a, export_json(&v->exports[i], snaps));
	cJSON *sum = cJSON_AddObjectToObject(root, "summary");
	if (sum) {
		cJSON_AddNumberToObject(sum, "clusters", (double)n);
		cJSON_AddNumberToObject(sum, "pairs", (double)v->npairs);
		cJSON_AddNumberToObject(sum, "pairs_active", v->pairs_active);
		cJSON_AddNumberToObject(sum, "problems", v->problems);
		cJSON_AddBoolToObject(sum, "timed_out", timed_out);
		cJSON_AddNumberToObject(sum, "exit_status", report_exit_status(snaps, n));
	}
	text = cJSON_Print(root);
	cJSON_Delete(root);
	/* Names and messages are the clusters' own: the document is valid
	 * UTF-8 and holds no control a terminal would act on. */
	char *safe = text ? term_json(text) : NULL;
	free(text);
	return safe;
}

int report_exit_status(const struct store_snapshot *const *snaps, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (!snaps[i])
			return REPORT_EXIT_FAILED;
		for (size_t k = 0; k < STORE_SRC_COUNT; k++)
			if (source_failed(&snaps[i]->sources[k]))
				return REPORT_EXIT_FAILED;
	}
	return REPORT_EXIT_OK;
}

/* ------------------------------------------------------------------- table */

static const char *yes_no(bool b)
{
	return b ? "yes" : "no";
}

static void table_clusters(FILE *out, const struct store_snapshot *const *snaps, size_t n,
                           const struct join_view *v)
{
	term_fprintf(out, "%-16s %-16s %-6s %-6s %-10s %-8s %-8s %-7s %-5s %s\n", "CLUSTER",
	             "CONTEXT", "K8S", "CONSUL", "VERSION", "DC", "GATEWAYS", "MODE", "PTMG",
	             "SOURCES");
	for (size_t i = 0, gi = 0; i < n; i++) {
		const struct store_snapshot *s = snaps[i];
		if (!s)
			continue;
		const struct join_gateways *g = gi < v->ngateways ? &v->gateways[gi++] : NULL;
		unsigned bad = 0, total = 0;
		for (size_t k = 0; k < STORE_SRC_COUNT; k++) {
			total += s->sources[k].enabled;
			bad += source_failed(&s->sources[k]);
		}
		char gw[24], src[32] = "ok";
		snprintf(gw, sizeof gw, "%u/%u", g ? g->healthy : 0, g ? g->total : 0);
		if (bad)
			snprintf(src, sizeof src, "%u/%u failing", bad, total);
		term_fprintf(out, "%-16s %-16s %-6s %-6s %-10s %-8s %-8s %-7s %-5s %s\n", s->name,
		             *s->context ? s->context : "-",
		             s->kube_configured ? (s->kube_reachable ? "ok" : "down") : "-",
		             s->consul_reachable ? "ok" : "down",
		             s->has_identity ? nz(s->identity->version) : "?",
		             s->has_identity ? nz(s->identity->datacenter) : "?", gw,
		             g ? model_mgw_mode_name(g->mode) : "?",
		             yes_no(g && g->peer_through_mesh_gateways), src);
	}
}

/* "cluster", or "cluster/partition" for a cluster of Consul Enterprise when
 * ENT (some cluster is): a CE cluster has no partitions to name. */
static const char *where(char *buf, size_t len, const struct store_snapshot *s,
                         const char *partition, bool ent)
{
	if (!ent || !s->has_identity || !s->identity->enterprise)
		return s->name;
	snprintf(buf, len, "%s/%s", s->name, partition && *partition ? partition : "default");
	return buf;
}

static bool any_enterprise(const struct store_snapshot *const *snaps, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (snaps[i] && snaps[i]->has_identity && snaps[i]->identity->enterprise)
			return true;
	return false;
}

static void table_pairs(FILE *out, const struct join_view *v, bool ent)
{
	char wa[160], wb[160];

	term_fprintf(out, "\n%-16s %-16s %-13s %-13s %-8s %s\n", "A", "B", "STATE A", "STATE B",
	             "HEALTHY", "PROBLEM");
	for (size_t i = 0; i < v->npairs; i++) {
		const struct join_pair *p = &v->pairs[i];
		term_fprintf(out, "%-16s %-16s %-13s %-13s %-8s %s\n",
		             p->a.snap ? where(wa, sizeof wa, p->a.snap, p->a.partition, ent) : "?",
		             p->b.snap ? where(wb, sizeof wb, p->b.snap, p->b.partition, ent)
		                       : p->a.name,
		             end_state_name(&p->a),
		             p->b.cluster == JOIN_NONE ? "-" : end_state_name(&p->b),
		             yes_no(p->healthy), p->problem);
	}
}

static void table_exports(FILE *out, const struct store_snapshot *const *snaps,
                          const struct join_view *v, bool ent)
{
	char wf[160], wt[160];

	if (!v->nexports)
		return;
	term_fprintf(out, "\n%-20s %-16s %-16s %-13s %s\n", "SERVICE", "FROM", "TO", "STATE",
	             "INSTANCES");
	for (size_t i = 0; i < v->nexports; i++) {
		const struct join_export *x = &v->exports[i];
		char inst[32] = "-", why[JOIN_PROBLEM_MAX];
		bool bad = join_export_problem(x, why, sizeof why) != NULL;
		if (x->imported)
			snprintf(inst, sizeof inst, "%u/%u healthy", x->healthy, x->instances);
		term_fprintf(out, "%-20s %-16s %-16s %-13s %s%s%s\n", x->service,
		             where(wf, sizeof wf, snaps[x->from], x->partition, ent),
		             x->to == JOIN_NONE
		                     ? x->peer
		                     : where(wt, sizeof wt, snaps[x->to], x->to_partition, ent),
		             join_cell_state_name(x->state), inst, bad ? "  " : "", bad ? why : "");
	}
}

static void table_errors(FILE *out, const struct store_snapshot *const *snaps, size_t n)
{
	bool header = false;
	char why[256];

	for (size_t i = 0; i < n; i++) {
		for (size_t k = 0; snaps[i] && k < STORE_SRC_COUNT; k++) {
			const struct store_source *src = &snaps[i]->sources[k];
			if (!source_failed(src))
				continue;
			if (!header)
				term_fprintf(out, "\nERRORS\n");
			header = true;
			term_fprintf(out, "%s %s: %s\n", snaps[i]->name,
			             store_src_name((enum store_src)k),
			             src->state == MODEL_SOURCE_UNKNOWN
			                     ? late_text(snaps[i], why, sizeof why)
			                     : src->last_error);
		}
	}
}

void report_table(FILE *out, const struct store_snapshot *const *snaps, size_t n,
                  const struct join_view *v, int64_t now_ns)
{
	(void)now_ns;
	bool ent = any_enterprise(snaps, n);
	table_clusters(out, snaps, n, v);
	table_pairs(out, v, ent);
	table_exports(out, snaps, v, ent);
	table_errors(out, snaps, n);
}

/* ------------------------------------------------------------------- run */

static void release(struct store_snapshot **snaps, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		store_snapshot_unref(snaps[i]);
		snaps[i] = NULL;
	}
}

static int print(FILE *out, const struct report_options *opt, struct store_snapshot **snaps,
                 size_t n, bool timed_out)
{
	const struct store_snapshot *const *cs = (const struct store_snapshot *const *)snaps;
	struct join_view v;
	int64_t now = store_now_ns();

	if (join_build(cs, n, now, NULL, &v) != 0) {
		fprintf(stderr, "peerscope: out of memory\n");
		return REPORT_EXIT_FAILED;
	}
	if (opt->format == REPORT_JSON) {
		char *text = report_json(cs, n, &v, now, timed_out);
		if (text) {
			fputs(text, out);
			fputc('\n', out);
		}
		free(text);
	} else {
		report_table(out, cs, n, &v, now);
	}
	join_view_free(&v);
	return report_exit_status(cs, n);
}

int report_collect(const struct config *cfg, const struct report_options *opt,
                   struct store_snapshot **snaps, bool *timed_out)
{
	long timeout = opt->timeout_ms > 0 ? opt->timeout_ms : REPORT_DEFAULT_TIMEOUT_MS;
	/* An exec credential plugin gets no more than the deadline either. */
	struct session_options so = {
	        .pollers = true, .poll = opt->poll, .connect_timeout_ms = timeout};
	struct session *s = NULL;
	char err[512];

	if (session_open(cfg, opt->log, &so, &s, err, sizeof err) < 0) {
		term_fprintf(stderr, "peerscope: %s\n", err);
		return -1;
	}
	*timed_out = !store_wait_answered(session_store(s), NULL, 0, snaps, timeout, NULL);
	/* The snapshots hold their own references: the network can stop
	 * before the printing. */
	session_close(s);
	return 0;
}

int report_run(const struct config *cfg, const struct report_options *opt, FILE *out)
{
	size_t n = cfg->nclusters;
	struct store_snapshot **snaps = calloc(n ? n : 1, sizeof *snaps);
	bool timed_out;
	int rc = REPORT_EXIT_FAILED;

	if (!snaps) {
		fprintf(stderr, "peerscope: out of memory\n");
		return rc;
	}
	if (report_collect(cfg, opt, snaps, &timed_out) == 0) {
		rc = print(out, opt, snaps, n, timed_out);
		if (fflush(out) != 0)
			rc = REPORT_EXIT_FAILED;
	}
	release(snaps, n);
	free(snaps);
	return rc;
}

int report_main(const struct config *cfg, struct log_sink *log)
{
	struct report_options o = {.timeout_ms = cfg->timeout_ms, .log = log};

	if (!report_format_parse(cfg->output, &o.format)) {
		term_fprintf(stderr, "peerscope: --output: expected json or table, found '%s'\n",
		             cfg->output ? cfg->output : "");
		return REPORT_EXIT_USAGE;
	}
	if (o.timeout_ms <= 0) {
		fprintf(stderr, "peerscope: --timeout: expected a positive duration\n");
		return REPORT_EXIT_USAGE;
	}
	o.poll.stream_interval_ms = cfg->refresh_ms;
	o.poll.log = log;
	/* Ask for what is printed, once: not the service-defaults entries
	 * nor the prerequisites' ACL answers and access reviews, and the
	 * custom resources that stand in for a Consul entry only when that
	 * entry cannot be read. */
	o.poll.once = true;
	o.poll.skip = 1u << STORE_SRC_SERVICE_DEFAULTS | 1u << STORE_SRC_ACL |
	              1u << STORE_SRC_KUBE_ACCESS;
	o.poll.lazy = 1u << STORE_SRC_KUBE_MESHES | 1u << STORE_SRC_KUBE_EXPORTS |
	              1u << STORE_SRC_KUBE_PROXY_DEFAULTS | 1u << STORE_SRC_KUBE_INTENTIONS;
	return report_run(cfg, &o, stdout);
}
