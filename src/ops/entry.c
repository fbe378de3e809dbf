/* ops entry: the resource a mesh operation changes, read, edited and
 * written as the cluster keeps it.
 *
 * On a cluster with a kube context the resource is the consul-k8s custom
 * resource (the controller writes Consul's entry from it:
 * doc/api-contract.md §3.5) when its kind is served; on a Consul-only
 * cluster, where the kind is not served, or where Consul holds an entry
 * written outside Kubernetes and no CR (a CR over it would only report
 * ExternallyManagedConfigError), it is Consul's config entry.
 *
 * Everything is done on the JSON as the server sent it, so fields peerscope
 * does not know are kept. A write is tied to what was read: a merge patch
 * carrying metadata.resourceVersion (409 Conflict when the CR changed), or
 * PUT /v1/config?cas=<ModifyIndex> (answers false when the entry changed;
 * consul:agent/config_endpoint.go). Either way the resource is read again
 * once and the edit made again on what another writer left, so that
 * writer's change is kept. */
#include "autoconfig.h"

#include "ops_internal.h"

#include "peerscope/monotime.h"
#include "peerscope/store.h"

#include <cjson/cJSON.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DIFF_MAX_LINES 600
#define MIGRATE_ANNO   "consul.hashicorp.com/migrate-entry"

/* ------------------------------------------------------------ kinds */

/* The query that names SD's admin partition (none: the client's). Each
 * kind of entry is per partition in Consul Enterprise (?partition= on
 * GET, PUT and DELETE /v1/config: agent/config_endpoint.go). */
static struct consul_query in_part(const struct side *sd)
{
	return (struct consul_query){.partition = sd->partition};
}

static const struct {
	enum kube_kind kube;
	const char *consul;
	const char *fixed; /* the only name the entry may have, or NULL */
} kinds[] = {
        [OPS_RES_PROXY_DEFAULTS] = {KUBE_PROXY_DEFAULTS, CONSUL_KIND_PROXY_DEFAULTS, "global"},
        [OPS_RES_SERVICE_DEFAULTS] = {KUBE_SERVICE_DEFAULTS, CONSUL_KIND_SERVICE_DEFAULTS, NULL},
        [OPS_RES_MESH] = {KUBE_MESH, CONSUL_KIND_MESH, "mesh"},
        /* Named after its partition (fixed_name). */
        [OPS_RES_EXPORTS] = {KUBE_EXPORTED_SERVICES, CONSUL_KIND_EXPORTED_SERVICES, "default"},
        [OPS_RES_INTENTIONS] = {KUBE_SERVICE_INTENTIONS, CONSUL_KIND_SERVICE_INTENTIONS, NULL},
};

const char *ops_res_label(const struct ops_res *res, char *buf, size_t len)
{
	if (res->kube)
		snprintf(buf, len, "%s %s", kube_kind_name(kinds[res->kind].kube),
		         *res->cr ? res->cr : res->name);
	else
		snprintf(buf, len, "%s %s", kinds[res->kind].consul, res->name);
	return buf;
}

/* The only name the entry may have on SD, or NULL. The exported-services
 * entry of a partition is named after it: Consul Enterprise puts the entry
 * in the partition its Name names (agent/structs/config_entry_exports.go
 * Normalize), CE wants "default" (config_entry_ce.go
 * validateExportedServicesName), and consul-k8s wants the ExportedServices
 * CR named after the partition it runs in, else "default"
 * (control-plane/api/v1alpha1/exportedservices_types.go Validate). */
static const char *fixed_name(const struct ops_res *res, const struct side *sd)
{
	if (res->kind == OPS_RES_EXPORTS && sd->partition && *sd->partition)
		return sd->partition;
	return kinds[res->kind].fixed;
}

void ops_res_clear(struct ops_res *res)
{
	cJSON_Delete(res->doc);
	res->doc = NULL;
	res->exists = false;
	res->rv[0] = '\0';
	res->index = 0;
	res->foreign = false;
	res->entry_dc[0] = '\0';
	res->migrate = false;
}

/* ------------------------------------------------------------ diff */

/* The lines of TEXT, pointing into a copy (*buf, malloc'd). */
static size_t split_lines(const char *text, char **buf, char ***lines)
{
	size_t n = 0, cap = 0;
	char *save = NULL;

	*lines = NULL;
	*buf = strdup(text ? text : "");
	if (!*buf)
		return 0;
	for (char *l = strtok_r(*buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		if (n == cap) {
			size_t nc = cap ? cap * 2 : 32;
			char **v = realloc(*lines, nc * sizeof *v);
			if (!v)
				break;
			*lines = v;
			cap = nc;
		}
		(*lines)[n++] = l;
	}
	return n;
}

static int append(char **out, size_t *len, size_t *cap, const char *mark, const char *line)
{
	size_t need = strlen(mark) + strlen(line) + 2;

	if (*len + need >= *cap) {
		size_t nc = (*cap + need) * 2;
		char *v = realloc(*out, nc);
		if (!v)
			return -1;
		*out = v;
		*cap = nc;
	}
	*len += (size_t)sprintf(*out + *len, "%s%s\n", mark, line);
	return 0;
}

/* Longest common subsequence of the lines, then the walk that prints it. */
static char *lcs_diff(char **a, size_t na, char **b, size_t nb)
{
	unsigned short *t = calloc((na + 1) * (nb + 1), sizeof *t);
	char *out = NULL;
	size_t len = 0, cap = 0, i = 0, j = 0;
	int rc = 0;

	if (!t)
		return NULL;
#define T(x, y) t[(x) * (nb + 1) + (y)]
	for (size_t x = na; x-- > 0;)
		for (size_t y = nb; y-- > 0;)
			T(x, y) = !strcmp(a[x], b[y]) ? (unsigned short)(T(x + 1, y + 1) + 1)
			          : T(x + 1, y) >= T(x, y + 1) ? T(x + 1, y)
			                                       : T(x, y + 1);
	while (rc == 0 && (i < na || j < nb)) {
		if (i < na && j < nb && !strcmp(a[i], b[j])) {
			rc = append(&out, &len, &cap, "  ", a[i]);
			i++, j++;
		} else if (i < na && (j == nb || T(i + 1, j) >= T(i, j + 1))) {
			rc = append(&out, &len, &cap, "- ", a[i++]);
		} else {
			rc = append(&out, &len, &cap, "+ ", b[j++]);
		}
	}
#undef T
	free(t);
	if (rc < 0 || (!out && !(out = strdup("")))) {
		free(out);
		return NULL;
	}
	return out;
}

char *ops_diff(const char *before, const char *after)
{
	char *ba = NULL, *bb = NULL, **a = NULL, **b = NULL, *out = NULL;
	size_t na = split_lines(before, &ba, &a), nb = split_lines(after, &bb, &b);

	if (ba && bb) {
		if (na <= DIFF_MAX_LINES && nb <= DIFF_MAX_LINES) {
			out = lcs_diff(a, na, b, nb);
		} else { /* too long to compare: all of it went, all of it came */
			out = lcs_diff(a, na, NULL, 0);
			char *more = out ? lcs_diff(NULL, 0, b, nb) : NULL;
			char *both = more ? malloc(strlen(out) + strlen(more) + 1) : NULL;
			if (both)
				sprintf(both, "%s%s", out, more);
			free(out);
			free(more);
			out = both;
		}
	}
	free(a);
	free(b);
	free(ba);
	free(bb);
	return out;
}

/* ------------------------------------------------------------ merge patch */

cJSON *ops_merge_patch(const cJSON *old, const cJSON *now)
{
	cJSON *p = cJSON_CreateObject();
	const cJSON *it;

	if (!p)
		return NULL;
	cJSON_ArrayForEach(it, now)
	{
		const cJSON *was = cJSON_GetObjectItemCaseSensitive(old, it->string);
		cJSON *v;
		if (was && cJSON_Compare(was, it, true))
			continue;
		if (was && cJSON_IsObject(was) && cJSON_IsObject(it))
			v = ops_merge_patch(was, it);
		else
			v = cJSON_Duplicate(it, true);
		if (!v) {
			cJSON_Delete(p);
			return NULL;
		}
		cJSON_AddItemToObject(p, it->string, v);
	}
	cJSON_ArrayForEach(it, old)
	{
		if (!cJSON_GetObjectItemCaseSensitive(now, it->string))
			cJSON_AddNullToObject(p, it->string);
	}
	return p;
}

/* ------------------------------------------------------------ reading */

/* The CR of KIND named NAME, or, for intentions, the one whose
 * spec.destination.name is NAME. 1 found (CR named in res->cr, JSON in
 * *JSON), 0 none, -1 ERR. */
static int read_cr(const struct side *sd, struct ops_res *res, char **json, struct http_error *err)
{
	enum kube_kind kind = kinds[res->kind].kube;
	size_t len;

	*json = NULL;
	if (res->kind == OPS_RES_INTENTIONS) {
		struct kube_list l = {0};
		if (kube_list(sd->c->kube, kind, sd->c->ns, NULL, &l, err) < 0)
			return -1;
		res->cr[0] = '\0';
		for (size_t i = 0; i < l.n && !res->cr[0]; i++)
			if (!strcmp(l.items[i].u.intentions.destination, res->name))
				snprintf(res->cr, sizeof res->cr, "%s",
				         l.items[i].u.intentions.head.meta.name);
		kube_list_clear(&l);
		if (!res->cr[0]) {
			snprintf(res->cr, sizeof res->cr, "%s", res->name);
			return 0;
		}
	} else if (!res->cr[0]) {
		snprintf(res->cr, sizeof res->cr, "%s", res->name);
	}
	if (kube_get_raw(sd->c->kube, kind, sd->c->ns, res->cr, json, &len, err) == 0)
		return 1;
	if (kube_not_found(err)) {
		http_error_clear(err);
		return 0;
	}
	return -1;
}

/* Consul's entry: 1 read (*JSON, and the policy and ModifyIndex in RES), 0
 * absent, -1 ERR. */
static int read_entry(const struct side *sd, struct ops_res *res, char **json,
                      struct http_error *err)
{
	struct consul_meta meta = {0};
	struct consul_query q = in_part(sd);
	int rc = consul_config_get_raw(sd->c->consul, kinds[res->kind].consul, res->name, &q, json,
	                               &meta, err);

	snprintf(res->default_policy, sizeof res->default_policy, "%s", meta.default_acl_policy);
	if (rc == 0)
		return 1;
	if (!consul_not_found(err))
		return -1;
	http_error_clear(err);
	/* A 404 carries no read headers: the policy comes with another read. */
	if (!*res->default_policy) {
		struct model_peering_list l = {0};
		if (consul_peerings_list(sd->c->consul, &q, &l, &meta, err) == 0)
			snprintf(res->default_policy, sizeof res->default_policy, "%s",
			         meta.default_acl_policy);
		model_peering_list_free(&l);
		http_error_clear(err);
	}
	return 0;
}

/* Written from Kubernetes: Meta["external-source"] = "kubernetes". */
static bool from_kube(const cJSON *entry)
{
	const cJSON *src =
	        cJSON_GetObjectItem(cJSON_GetObjectItem(entry, "Meta"), "external-source");

	return cJSON_IsString(src) && !strcmp(src->valuestring, "kubernetes");
}

/* Whether ENTRY, held by a CR, is another writer's: consul-k8s's
 * controller writes into an existing entry only when its
 * Meta["consul.hashicorp.com/source-datacenter"] is the cluster's datacenter
 * (k8s:control-plane/config-entries/controllers/configentry_controller.go,
 * ReconcileEntry). The datacenter comes from agent/self; without it (no
 * agent:read) only an entry not from Kubernetes is known to be foreign. */
static void judge_foreign(const struct side *sd, struct ops_res *res, const char *entry)
{
	cJSON *e = cJSON_Parse(entry);
	const cJSON *dc = cJSON_GetObjectItem(cJSON_GetObjectItem(e, "Meta"),
	                                      "consul.hashicorp.com/source-datacenter");
	struct model_cluster_identity id = {0};
	struct http_error err = {0};

	snprintf(res->entry_dc, sizeof res->entry_dc, "%s",
	         cJSON_IsString(dc) ? dc->valuestring : "");
	res->foreign = e && (!from_kube(e) || !res->entry_dc[0]);
	if (e && !res->foreign && consul_agent_self(sd->c->consul, &id, &err) == 0 &&
	    id.datacenter && *id.datacenter)
		res->foreign = strcmp(id.datacenter, res->entry_dc) != 0;
	model_cluster_identity_clear(&id);
	http_error_clear(&err);
	cJSON_Delete(e);
}

static bool served(const struct side *sd, enum kube_kind kind, struct http_error *err, int *rc)
{
	struct kube_discovery d = {0};
	bool yes;

	*rc = kube_discover(sd->c->kube, &d, err);
	yes = *rc == 0 && d.served[kind];
	kube_discovery_clear(&d);
	return yes;
}

static int adopt(struct ops_res *res, char *json)
{
	cJSON *doc = cJSON_Parse(json);

	free(json);
	if (!doc)
		return -1;
	res->doc = doc;
	res->exists = true;
	if (res->kube) {
		const cJSON *m = cJSON_GetObjectItem(doc, "metadata");
		const cJSON *rv = cJSON_GetObjectItem(m, "resourceVersion");
		const cJSON *mig =
		        cJSON_GetObjectItem(cJSON_GetObjectItem(m, "annotations"), MIGRATE_ANNO);
		snprintf(res->rv, sizeof res->rv, "%s", cJSON_IsString(rv) ? rv->valuestring : "");
		res->migrate = cJSON_IsString(mig) && !strcmp(mig->valuestring, "true");
	} else {
		const cJSON *mi = cJSON_GetObjectItem(doc, "ModifyIndex");
		res->index = cJSON_IsNumber(mi) ? (uint64_t)mi->valuedouble : 0;
	}
	return 0;
}

int ops_res_read(struct run *r, const struct side *sd, struct http_error *err)
{
	struct ops_res *res = &r->res;
	char *entry = NULL, *cr = NULL;
	int have_entry, have_cr = 0, rc = 0;

	ops_res_clear(res);
	if (fixed_name(res, sd))
		snprintf(res->name, sizeof res->name, "%s", fixed_name(res, sd));
	have_entry = read_entry(sd, res, &entry, err);
	if (have_entry < 0)
		return -1;
	res->kube = sd->kube && served(sd, kinds[res->kind].kube, err, &rc);
	if (rc < 0)
		goto fail;
	if (res->kube && (have_cr = read_cr(sd, res, &cr, err)) < 0)
		goto fail;
	if (res->kube && !have_cr && have_entry) {
		cJSON *e = cJSON_Parse(entry);
		res->kube = from_kube(e);
		cJSON_Delete(e);
		if (!res->kube)
			ops_plan_note(r,
			              "%s's %s entry %s was written outside Kubernetes and no "
			              "custom resource holds it: peerscope changes it in Consul",
			              sd->c->name, kinds[res->kind].consul, res->name);
	}
	if (res->kube && have_cr > 0 && have_entry > 0)
		judge_foreign(sd, res, entry);
	res->located = true;
	if (res->kube) {
		free(entry);
		return have_cr > 0 && adopt(res, cr) < 0 ? -1 : 0;
	}
	free(cr);
	return have_entry > 0 && adopt(res, entry) < 0 ? -1 : 0;
fail:
	free(entry);
	free(cr);
	return -1;
}

/* ------------------------------------------------------------ editing */

/* A new document: the CR's manifest (spec empty) or the entry's head. */
static cJSON *fresh(const struct side *sd, const struct ops_res *res)
{
	cJSON *d = cJSON_CreateObject(), *meta;

	if (!d)
		return NULL;
	if (!res->kube) {
		cJSON_AddStringToObject(d, "Kind", kinds[res->kind].consul);
		cJSON_AddStringToObject(d, "Name", res->name);
		return d;
	}
	cJSON_AddStringToObject(d, "apiVersion", KUBE_GROUP "/" KUBE_VERSION);
	cJSON_AddStringToObject(d, "kind", kube_kind_name(kinds[res->kind].kube));
	meta = cJSON_AddObjectToObject(d, "metadata");
	cJSON_AddStringToObject(meta, "name", res->cr);
	cJSON_AddStringToObject(meta, "namespace", sd->c->ns);
	cJSON_AddObjectToObject(d, "spec");
	if (res->kind == OPS_RES_INTENTIONS)
		cJSON_AddStringToObject(
		        cJSON_AddObjectToObject(cJSON_GetObjectItem(d, "spec"), "destination"),
		        "name", res->name);
	return d;
}

/* What the diff shows: the CR without its server-kept metadata and status,
 * or the entry without its raft indexes. */
static char *shown(const struct ops_res *res, const cJSON *doc)
{
	cJSON *v;
	char *text, *out;

	if (!doc)
		return strdup("");
	if (res->kube) {
		const cJSON *m = cJSON_GetObjectItem(doc, "metadata");
		v = cJSON_CreateObject();
		cJSON_AddItemToObject(v, "apiVersion",
		                      cJSON_Duplicate(cJSON_GetObjectItem(doc, "apiVersion"), 1));
		cJSON_AddItemToObject(v, "kind",
		                      cJSON_Duplicate(cJSON_GetObjectItem(doc, "kind"), 1));
		cJSON *mm = cJSON_AddObjectToObject(v, "metadata");
		cJSON_AddItemToObject(mm, "name",
		                      cJSON_Duplicate(cJSON_GetObjectItem(m, "name"), 1));
		cJSON_AddItemToObject(mm, "namespace",
		                      cJSON_Duplicate(cJSON_GetObjectItem(m, "namespace"), 1));
		/* The one annotation a change may take away. */
		const cJSON *mig =
		        cJSON_GetObjectItem(cJSON_GetObjectItem(m, "annotations"), MIGRATE_ANNO);
		if (mig)
			cJSON_AddItemToObject(cJSON_AddObjectToObject(mm, "annotations"),
			                      MIGRATE_ANNO, cJSON_Duplicate(mig, 1));
		const cJSON *spec = cJSON_GetObjectItem(doc, "spec");
		cJSON_AddItemToObject(v, "spec",
		                      spec ? cJSON_Duplicate(spec, 1) : cJSON_CreateObject());
	} else {
		v = cJSON_Duplicate(doc, 1);
		cJSON_DeleteItemFromObject(v, "CreateIndex");
		cJSON_DeleteItemFromObject(v, "ModifyIndex");
		cJSON_DeleteItemFromObject(v, "Hash");
	}
	text = v ? cJSON_PrintUnformatted(v) : NULL;
	cJSON_Delete(v);
	out = text ? ops_pretty(text) : NULL;
	free(text);
	return out;
}

/* The part the edit works on: the CR's spec, or the whole entry. */
static cJSON *editable(const struct ops_res *res, cJSON *doc)
{
	cJSON *spec;

	if (!res->kube)
		return doc;
	spec = cJSON_GetObjectItem(doc, "spec");
	if (!cJSON_IsObject(spec)) {
		cJSON_DeleteItemFromObject(doc, "spec");
		spec = cJSON_AddObjectToObject(doc, "spec");
	}
	return spec;
}

/* Edits a copy of what was read into *AFTER. */
static enum ops_res_edit edit_copy(struct run *r, struct ops_step *s, const struct side *sd,
                                   cJSON **after)
{
	const struct ops_res *res = &r->res;
	enum ops_res_edit e;

	*after = res->doc ? cJSON_Duplicate(res->doc, 1) : fresh(sd, res);
	if (!*after)
		return ops_fail(r, s, "", "out of memory"), OPS_RES_FAIL;
	e = r->edit(r, s, editable(res, *after), res->kube);
	if (e == OPS_RES_FAIL) {
		cJSON_Delete(*after);
		*after = NULL;
		return e;
	}
	if (e == OPS_RES_CHANGED && res->doc && cJSON_Compare(res->doc, *after, 1))
		e = OPS_RES_SAME;
	if (e == OPS_RES_EMPTY && !res->exists)
		e = OPS_RES_SAME;
	if (e == OPS_RES_CHANGED && res->kube && res->migrate)
		cJSON_DeleteItemFromObject(
		        cJSON_GetObjectItem(cJSON_GetObjectItem(*after, "metadata"), "annotations"),
		        MIGRATE_ANNO);
	return e;
}

/* What is sent, for the plan: the manifest, the merge patch, the entry. */
static char *request_body(const struct ops_res *res, const cJSON *after, enum ops_res_edit e)
{
	cJSON *body = NULL;
	char *text;

	if (e == OPS_RES_EMPTY)
		return NULL;
	if (res->kube && res->exists) {
		body = ops_merge_patch(cJSON_GetObjectItem(res->doc, "spec"),
		                       cJSON_GetObjectItem(after, "spec"));
		cJSON *spec = body;
		body = cJSON_CreateObject();
		cJSON *meta = cJSON_AddObjectToObject(body, "metadata");
		cJSON_AddStringToObject(meta, "resourceVersion", res->rv);
		if (res->migrate)
			cJSON_AddNullToObject(cJSON_AddObjectToObject(meta, "annotations"),
			                      MIGRATE_ANNO);
		cJSON_AddItemToObject(body, "spec", spec ? spec : cJSON_CreateObject());
	} else {
		body = cJSON_Duplicate(after, 1);
		cJSON_DeleteItemFromObject(body, "CreateIndex");
		cJSON_DeleteItemFromObject(body, "ModifyIndex");
		cJSON_DeleteItemFromObject(body, "Hash");
	}
	text = body ? cJSON_PrintUnformatted(body) : NULL;
	cJSON_Delete(body);
	return text;
}

static void describe(const struct run *r, const struct side *sd, enum ops_res_edit e, char *buf,
                     size_t len)
{
	const struct ops_res *res = &r->res;
	const char *kk = kube_kind_name(kinds[res->kind].kube);
	char part[96] = "";

	if (sd->partition && *sd->partition)
		snprintf(part, sizeof part, "partition=%s", sd->partition);

	if (res->kube)
		snprintf(buf, len, "%s %s %s/%s",
		         e == OPS_RES_EMPTY ? "delete"
		         : res->exists      ? "patch"
		                            : "create",
		         kk, sd->c->ns, res->cr);
	else if (e == OPS_RES_EMPTY)
		snprintf(buf, len, "DELETE /v1/config/%s/%s?cas=%llu%s%s", kinds[res->kind].consul,
		         res->name, (unsigned long long)res->index, *part ? "&" : "", part);
	else
		snprintf(buf, len, "PUT /v1/config?cas=%llu%s%s (%s %s)",
		         (unsigned long long)(res->exists ? res->index : 0), *part ? "&" : "", part,
		         kinds[res->kind].consul, res->name);
}

/* An edit of a CR over a foreign entry would never reach Consul: the
 * controller reports ExternallyManagedConfigError (or, with the
 * migrate-entry annotation, MigrationFailedError), and deleting the CR
 * leaves the entry. Refused, with the ways out. */
static enum step_result refuse_foreign(struct run *r, struct ops_step *s, const struct side *sd,
                                       const char *label)
{
	const struct ops_res *res = &r->res;
	char fix[700];

	snprintf(fix, sizeof fix,
	         "to manage it from Kubernetes, make the resource match the entry and add the "
	         "annotation consul.hashicorp.com/migrate-entry: \"true\" to %s %s/%s (the "
	         "controller then takes the entry over), then run this again; or change the "
	         "entry in Consul after deleting the resource (its deletion leaves the entry)",
	         kube_kind_name(kinds[res->kind].kube), sd->c->ns, res->cr);
	return ops_fail(r, s, fix,
	                "%s: Consul's %s entry %s on %s was %s, so consul-k8s would never write "
	                "a change of the resource into it (%s)",
	                label, kinds[res->kind].consul, res->name, sd->c->name,
	                res->entry_dc[0] ? "written by another datacenter's controller"
	                                 : "written outside Kubernetes",
	                res->migrate ? "MigrationFailedError: " MIGRATE_ANNO
	                               " migrates only a resource that matches the entry"
	                             : "ExternallyManagedConfigError");
}

enum step_result ops_res_check(struct run *r, struct ops_step *s, const struct side *sd)
{
	struct http_error err = {0};
	char what[300], label[400];
	cJSON *after = NULL;
	enum ops_res_edit e;

	if (ops_res_read(r, sd, &err) < 0)
		return ops_fail_http(r, s, sd, "read the resource", &err);
	ops_res_label(&r->res, label, sizeof label);
	/* The title guessed where the resource is; now it is known. */
	char where[160];
	snprintf(s->title, sizeof s->title, "%.240s on %s", label,
	         ops_side_label(sd, where, sizeof where));
	r->replaces = false;
	e = edit_copy(r, s, sd, &after);
	if (e == OPS_RES_FAIL)
		return STEP_FAIL;
	if (e == OPS_RES_SAME) {
		cJSON_Delete(after);
		if (!s->note[0])
			ops_note(s, "%s is so already: nothing to change", label);
		return STEP_ALREADY;
	}
	if (r->res.kube && r->res.foreign) {
		cJSON_Delete(after);
		return refuse_foreign(r, s, sd, label);
	}
	describe(r, sd, e, what, sizeof what);
	ops_note(s, "%s", what);
	if (r->planning) {
		char *before = shown(&r->res, r->res.doc);
		char *now = e == OPS_RES_EMPTY ? strdup("") : shown(&r->res, after);
		char *body = request_body(&r->res, after, e);
		struct ops_plan *p = r->plan;
		ops_plan_change(r, sd, body, "%s", what);
		if (p->nchanges && before && now)
			p->changes[p->nchanges - 1].diff = ops_diff(before, now);
		free(before);
		free(now);
		free(body);
		if (e == OPS_RES_EMPTY)
			ops_plan_note(r, "nothing would be left in %s: it is deleted", label);
		else if (r->res.kube && r->res.migrate)
			ops_plan_note(r,
			              "%s: the annotation " MIGRATE_ANNO " is removed with the "
			              "change (kept, consul-k8s would refuse the change with "
			              "MigrationFailedError; the entry was migrated already)",
			              label);
		if (r->replaces)
			ops_plan_note(r,
			              "%s: an existing source is replaced (its action and any "
			              "permissions)",
			              label);
		/* Taking something away asks first. */
		if (e == OPS_RES_EMPTY || p->req.kind == OPS_UNEXPORT || p->req.kind == OPS_DENY ||
		    r->replaces)
			p->destructive = true;
	}
	cJSON_Delete(after);
	return STEP_TODO;
}

/* ------------------------------------------------------------ writing */

enum wrote {
	WROTE_OK,
	WROTE_CONFLICT, /* changed since it was read */
	WROTE_ERROR,
};

static enum wrote write_kube(struct run *r, const struct side *sd, const cJSON *after,
                             enum ops_res_edit e, struct http_error *err)
{
	struct ops_res *res = &r->res;
	enum kube_kind kind = kinds[res->kind].kube;
	const char *kname = kube_kind_name(kind);
	char *body;
	int rc;

	if (e == OPS_RES_EMPTY) {
		/* Tied to the version read, as the patch is. */
		rc = ops_kube_delete_if(r, sd, kind, res->cr, NULL, res->rv, err);
		r->deleted = rc == 0;
		if (rc < 0 && err->kind == HTTP_ERR_STATUS && err->status == 409)
			return WROTE_CONFLICT;
		return rc == 0 ? WROTE_OK : WROTE_ERROR;
	}
	body = request_body(res, after, e);
	if (!body) {
		http_error_setf(err, HTTP_ERR_NOMEM, "out of memory");
		return WROTE_ERROR;
	}
	if (res->exists) {
		rc = ops_kube_patch(r, sd, kind, res->cr, body, err);
	} else {
		rc = kube_create(sd->c->kube, kind, sd->c->ns, body, NULL, err);
		ops_audit(r, sd, "create", kname, res->cr, rc, err);
	}
	free(body);
	if (rc < 0 && err->kind == HTTP_ERR_STATUS && err->status == 409)
		return WROTE_CONFLICT;
	return rc == 0 ? WROTE_OK : WROTE_ERROR;
}

static enum wrote write_consul(struct run *r, const struct side *sd, const cJSON *after,
                               enum ops_res_edit e, struct http_error *err)
{
	struct ops_res *res = &r->res;
	const char *kind = kinds[res->kind].consul;
	struct consul_query q = in_part(sd);
	bool applied = false;
	char *body;
	int rc;

	if (e == OPS_RES_EMPTY) {
		rc = consul_config_delete(sd->c->consul, kind, res->name, res->index, &q, &applied,
		                          err);
		if (rc == 0 && !applied)
			http_error_setf(err, HTTP_ERR_STATUS,
			                "the check-and-set failed: the entry changed since it was "
			                "read (ModifyIndex %llu)",
			                (unsigned long long)res->index);
		ops_audit(r, sd, "DELETE", kind, res->name, rc == 0 && applied ? 0 : -1, err);
		r->deleted = rc == 0 && applied;
	} else {
		body = request_body(res, after, e);
		if (!body) {
			http_error_setf(err, HTTP_ERR_NOMEM, "out of memory");
			return WROTE_ERROR;
		}
		rc = consul_config_put(sd->c->consul, body, res->exists ? res->index : 0, &q,
		                       &applied, err);
		free(body);
		if (rc == 0 && !applied)
			http_error_setf(err, HTTP_ERR_STATUS,
			                "the check-and-set failed: the entry changed since it was "
			                "read (ModifyIndex %llu)",
			                (unsigned long long)res->index);
		ops_audit(r, sd, "PUT", kind, res->name, rc == 0 && applied ? 0 : -1, err);
	}
	if (rc < 0)
		return WROTE_ERROR;
	return applied ? WROTE_OK : WROTE_CONFLICT;
}

enum step_result ops_res_write(struct run *r, struct ops_step *s, const struct side *sd)
{
	struct http_error err = {0};
	char label[400];

	for (int attempt = 0; attempt < 2; attempt++) {
		cJSON *after = NULL;
		enum ops_res_edit e;
		enum wrote w;

		if (attempt > 0 && ops_res_read(r, sd, &err) < 0)
			return ops_fail_http(r, s, sd, "read the resource again", &err);
		e = edit_copy(r, s, sd, &after);
		if (e == OPS_RES_FAIL)
			return STEP_FAIL;
		ops_res_label(&r->res, label, sizeof label);
		if (e == OPS_RES_SAME) {
			cJSON_Delete(after);
			ops_note(s, "%s%s", label,
			         attempt ? ": another writer made the same change meanwhile"
			                 : " is so already");
			return STEP_ALREADY;
		}
		if (r->res.kube && r->res.foreign) {
			cJSON_Delete(after);
			return refuse_foreign(r, s, sd, label);
		}
		w = r->res.kube ? write_kube(r, sd, after, e, &err)
		                : write_consul(r, sd, after, e, &err);
		cJSON_Delete(after);
		if (w == WROTE_OK) {
			ops_note(s, "%s %s%s", label, e == OPS_RES_EMPTY ? "deleted" : "written",
			         attempt ? " (read again after a concurrent change, which is kept)"
			                 : "");
			return STEP_OK;
		}
		if (w == WROTE_ERROR)
			return ops_fail_http(r, s, sd, "write the resource", &err);
		http_error_clear(&err);
	}
	return ops_fail(r, s, "run the same command again: it reads the resource afresh",
	                "%s on %s changed again while peerscope wrote it", label, sd->c->name);
}

/* ------------------------------------------------------------ synced */

static const struct model_kube_synced *synced_of(const struct kube_object *o)
{
	switch (o->kind) {
	case KUBE_MESH:
		return &o->u.mesh.head.synced;
	case KUBE_EXPORTED_SERVICES:
		return &o->u.exported.head.synced;
	case KUBE_PROXY_DEFAULTS:
		return &o->u.proxy_defaults.head.synced;
	case KUBE_SERVICE_DEFAULTS:
		return &o->u.service_defaults.head.synced;
	case KUBE_SERVICE_INTENTIONS:
		return &o->u.intentions.head.synced;
	default:
		return NULL;
	}
}

static void synced_title(struct run *r, struct ops_step *s)
{
	struct ops_res guess = r->res;
	char label[400];

	char where[160];

	guess.kube = r->res.located ? r->res.kube : r->a.kube;
	snprintf(s->title, sizeof s->title, "%s reached Consul on %s",
	         ops_res_label(&guess, label, sizeof label),
	         ops_side_label(&r->a, where, sizeof where));
	snprintf(s->cluster, sizeof s->cluster, "%s", r->a.c->name);
}

/* The CR's Synced=False since the step began, in WHY ("" when not). 0, or
 * -1 with ERR when the CR could not be read. */
static int controller_failed(struct run *r, const struct side *sd, char *why, size_t len,
                             struct http_error *err)
{
	const struct ops_res *res = &r->res;
	struct kube_object o;

	why[0] = '\0';
	if (kube_get(sd->c->kube, kinds[res->kind].kube, sd->c->ns, res->cr, &o, err) < 0)
		return -1;
	const struct model_kube_synced *sy = synced_of(&o);
	if (sy && sy->status == MODEL_COND_FALSE && sy->last_transition_ns >= r->step_wall_ns)
		snprintf(why, len, "Synced=False (%s): %s", sy->reason, sy->message);
	kube_object_clear(&o);
	return 0;
}

/* Consul's entry is as the edit wants it (the edit changes nothing on it),
 * or the controller said Synced=False since the write. */
static int synced_ready(struct run *r, struct ops_step *s, char *seen, size_t len)
{
	struct http_error err = {0};
	struct ops_res *res = &r->res;
	char *json = NULL, why[600] = "";
	cJSON *doc;
	int have;

	/* The controller's verdict matters once something was written; the
	 * plan reads only Consul's entry. */
	if (!r->planning && controller_failed(r, &r->a, why, sizeof why, &err) < 0 &&
	    !kube_not_found(&err))
		return ops_wait_read_failed(r, s, &r->a, "read the custom resource", &err, seen,
		                            len);
	if (why[0])
		return ops_fail(r, s,
		                "fix what the controller's message names, then run the same "
		                "command again",
		                "%s on %s: the controller did not write it to Consul: %s", res->cr,
		                r->a.c->name, why),
		       -1;
	http_error_clear(&err);
	struct consul_query q = in_part(&r->a);
	have = consul_config_get_raw(r->a.c->consul, kinds[res->kind].consul, res->name, &q, &json,
	                             NULL, &err);
	if (have < 0 && !consul_not_found(&err))
		return ops_wait_read_failed(r, s, &r->a, "read Consul's entry", &err, seen, len);
	doc = have == 0 ? cJSON_Parse(json) : cJSON_CreateObject();
	free(json);
	if (!doc)
		return 0;
	enum ops_res_edit e = r->edit(r, s, doc, false);
	cJSON_Delete(doc);
	if (e == OPS_RES_FAIL)
		return -1;
	bool done = e == OPS_RES_SAME || (e == OPS_RES_EMPTY && have != 0);
	snprintf(seen, len, "Consul's %s %s %s", kinds[res->kind].consul, res->name,
	         done        ? "is up to date"
	         : have != 0 ? "is absent"
	                     : "is not updated yet");
	ops_progress_note(r, s, "%s", seen);
	return done;
}

static enum step_result synced_check(struct run *r, struct ops_step *s)
{
	char seen[512];

	synced_title(r, s);
	if (!r->res.kube) {
		ops_note(s, "written to Consul directly");
		return STEP_ALREADY;
	}
	int rc = synced_ready(r, s, seen, sizeof seen);
	if (rc == 0 && r->planning)
		ops_note(s, "wait for the consul-k8s controller to write it to Consul");
	return rc < 0 ? STEP_FAIL : rc > 0 ? STEP_ALREADY : STEP_TODO;
}

static enum step_result synced_act(struct run *r, struct ops_step *s)
{
	return ops_wait(r, s, "the controller's write to Consul", synced_ready);
}

const struct step_def ops_step_res_synced = {synced_title, synced_check, synced_act};

/* ------------------------------------------------------------ gateways, peers */

int ops_gateways(const struct side *sd, unsigned *total, unsigned *passing, struct http_error *err)
{
	struct model_instance_list l = {0};
	struct consul_query q = in_part(sd);

	/* Enterprise: the gateways registered in SD's partition, the ones
	 * that serve it. */
	*total = *passing = 0;
	if (consul_health_service(sd->c->consul, CONSUL_MESH_GATEWAY_SERVICE, &q, &l, NULL, err) <
	    0)
		return -1;
	*total = (unsigned)l.n;
	for (size_t i = 0; i < l.n; i++)
		*passing += l.v[i].health == MODEL_HEALTH_PASSING;
	model_instance_list_free(&l);
	return 0;
}

/* X's peering that is the other end of P: ids point at each other. */
static bool other_end(const struct model_peering *p, const struct model_peering_list *l, char *name,
                      size_t len)
{
	for (size_t i = 0; i < l->n; i++) {
		const struct model_peering *q = &l->v[i];
		if ((*p->id && !strcmp(q->peer_id, p->id)) ||
		    (*p->peer_id && !strcmp(q->id, p->peer_id))) {
			snprintf(name, len, "%s", q->name);
			return true;
		}
	}
	return false;
}

static bool try_cluster(struct run *r, const struct ops_cluster *x, const struct model_peering *p,
                        char *name, size_t len)
{
	struct model_peering_list l = {0};
	struct http_error err = {0};
	bool found;

	if (!x || !x->consul || ops_cancelled(r))
		return false;
	if (consul_peerings_list(x->consul, NULL, &l, NULL, &err) < 0)
		return false;
	found = other_end(p, &l, name, len);
	model_peering_list_free(&l);
	return found;
}

int ops_peer_cluster(struct run *r, const struct side *sd, const char *peer,
                     const struct ops_cluster **out, char *name, size_t len, struct http_error *err)
{
	struct side me = *sd;
	struct model_peering p;
	int have;

	*out = NULL;
	name[0] = '\0';
	me.peer = peer;
	have = ops_read_peering(&me, &p, err);
	if (have <= 0)
		return have;
	/* The cluster named like the peer first: the usual naming. */
	const struct ops_cluster *x = ops_find_cluster(r->env, peer);
	if (x && x != sd->c && try_cluster(r, x, &p, name, len))
		*out = x;
	for (size_t i = 0; !*out && i < r->env->n; i++) {
		if (!strcmp(r->env->names[i], peer) || !strcmp(r->env->names[i], sd->c->name))
			continue;
		x = ops_find_cluster(r->env, r->env->names[i]);
		if (try_cluster(r, x, &p, name, len))
			*out = x;
	}
	model_peering_clear(&p);
	return *out ? 1 : 0;
}
