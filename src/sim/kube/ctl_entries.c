/* peerscope-sim, Kubernetes half: consul-k8s's config-entry controllers
 * (Mesh, ExportedServices, ProxyDefaults, ServiceDefaults, ServiceIntentions;
 * doc/api-contract.md §3.5):
 * the CR's spec becomes a Consul config entry, written when absent or
 * different, adopted or refused when another wrote it. */
#include "autoconfig.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "consul/simc.h"
#include "simk.h"

struct entry_kind {
	const char *crd_kind;
	const char *consul_kind;
	const char *fixed_name; /* Consul name, else the CR's name */
	bool destination;       /* the Consul name is spec.destination.name */
};

static const struct entry_kind entry_kinds[] = {
        {"Mesh", "mesh", "mesh", false},
        {"ExportedServices", "exported-services", NULL, false},
        {"ProxyDefaults", "proxy-defaults", "global", false},
        {"ServiceDefaults", "service-defaults", NULL, false},
        /* control-plane/api/v1alpha1/serviceintentions_types.go ToConsul:
         * named after spec.destination.name, Sources as given. */
        {"ServiceIntentions", "service-intentions", NULL, true},
};

/* camelCase spec keys become Consul's PascalCase; opaque maps (config,
 * meta) keep their keys. */
static cJSON *pascal(const cJSON *v)
{
	cJSON *out, *it;
	char key[128];

	if (!cJSON_IsObject(v))
		return cJSON_Duplicate(v, true);
	out = cJSON_CreateObject();
	cJSON_ArrayForEach(it, v)
	{
		bool opaque = strcmp(it->string, "config") == 0 || strcmp(it->string, "meta") == 0;
		cJSON *child = opaque ? cJSON_Duplicate(it, true) : pascal(it);

		if (cJSON_IsArray(it) && !opaque) {
			const cJSON *e;

			cJSON_Delete(child);
			child = cJSON_CreateArray();
			cJSON_ArrayForEach(e, it)
			{
				cJSON_AddItemToArray(child, pascal(e));
			}
		}
		snprintf(key, sizeof key, "%s", it->string);
		if (key[0] >= 'a' && key[0] <= 'z')
			key[0] = (char)(key[0] - 'a' + 'A');
		if (out && child)
			cJSON_AddItemToObject(out, key, child);
		else
			cJSON_Delete(child);
	}
	return out;
}

/* The entry consul-k8s writes for CR: its spec through the resource's
 * ToConsul (control-plane/api/v1alpha1/mesh_types.go and its siblings),
 * i.e. the api structs' JSON names
 * (TLS, TLSMinVersion, HTTP, ...); written here through the same decoding
 * Consul applies, so what is compared with Consul's copy is canonical. */
static cJSON *desired_entry(const struct entry_kind *ek, const cJSON *cr, const char *name,
                            const char *dc, bool enterprise)
{
	cJSON *e = pascal(simk_path(cr, "spec")), *meta;

	if (!cJSON_IsObject(e)) {
		cJSON_Delete(e);
		e = cJSON_CreateObject();
	}
	if (!e)
		return NULL;
	cJSON_DeleteItemFromObjectCaseSensitive(e, "Kind");
	cJSON_DeleteItemFromObjectCaseSensitive(e, "Name");
	if (ek->destination) {
		const char *ns = simk_str(cr, "spec.destination.namespace");
		if (ns && *ns)
			cJSON_AddStringToObject(e, "Namespace", ns);
		cJSON_DeleteItemFromObjectCaseSensitive(e, "Destination");
	}
	cJSON_AddStringToObject(e, "Kind", ek->consul_kind);
	if (strcmp(ek->consul_kind, "mesh") != 0)
		cJSON_AddStringToObject(e, "Name", name);
	meta = cJSON_AddObjectToObject(e, "Meta");
	cJSON_AddStringToObject(meta, "consul.hashicorp.com/source-datacenter", dc);
	cJSON_AddStringToObject(meta, "external-source", "kubernetes");
	char err[512];
	cJSON *canon = simc_entry_decode(e, ek->consul_kind, enterprise, err, sizeof err);
	if (!canon)
		return e; /* Consul refuses it with its own words */
	cJSON_Delete(e);
	if (ek->destination)
		simc_intentions_normalize(canon); /* as Consul stores it */
	return canon;
}

/* What Consul has matches what the CR asks for: every desired member equal,
 * and nothing else set apart from Consul's bookkeeping. */
static bool entry_matches(const cJSON *want, const cJSON *have)
{
	static const char *const ignore[] = {"Kind",        "Name",      "CreateIndex",
	                                     "ModifyIndex", "Partition", "Namespace",
	                                     "Hash",        "Meta",      NULL};
	const cJSON *it;

	/* Like consul-k8s's MatchesConsul: the entry's content, not its Meta. */
	cJSON_ArrayForEach(it, want)
	{
		if (strcmp(it->string, "Meta") != 0 &&
		    !cJSON_Compare(it, cJSON_GetObjectItemCaseSensitive(have, it->string), true))
			return false;
	}
	cJSON_ArrayForEach(it, have)
	{
		bool skip = false;

		for (const char *const *k = ignore; *k; k++)
			skip = skip || strcmp(*k, it->string) == 0;
		if (skip || cJSON_GetObjectItemCaseSensitive(want, it->string))
			continue;
		if (!(cJSON_IsNull(it) || cJSON_IsFalse(it) ||
		      (cJSON_IsString(it) && !*it->valuestring) ||
		      ((cJSON_IsObject(it) || cJSON_IsArray(it)) && !it->child) ||
		      (cJSON_IsNumber(it) && it->valuedouble == 0)))
			return false;
	}
	return true;
}

static bool write_entry(struct sim_cluster *c, const cJSON *entry, char *err, size_t errlen)
{
	char *body = cJSON_PrintUnformatted(entry), *out = NULL;
	bool ok;

	if (!body) {
		snprintf(err, errlen, "out of memory");
		return false;
	}
	ok = simk_ctl_consul(c, "PUT", "/v1/config", body, &out, err, errlen) == 200;
	free(body);
	if (ok && out && strncmp(out, "true", 4) != 0) {
		snprintf(err, errlen, "config entry was not written");
		ok = false;
	}
	free(out);
	return ok;
}

/* syncSuccessful: Synced=True and lastSyncedTime; without a write (FORCE
 * false) only when the condition is not True already. */
static void entry_synced(struct sim_cluster *c, int rt, const char *ns, const char *name,
                         const cJSON *cr, bool force)
{
	struct simk_cond cd = {.w = c->world, .ok = true, .synced_time = true};
	const char *s = NULL;
	const cJSON *it;

	cJSON_ArrayForEach(it, simk_path(cr, "status.conditions"))
	{
		if (simk_str(it, "type") && strcmp(simk_str(it, "type"), "Synced") == 0)
			s = simk_str(it, "status");
	}
	if (!force && s && strcmp(s, "True") == 0)
		return;
	simk_ctl_put_status(c, rt, ns, name, simk_ctl_edit_condition, &cd);
}

/* Meta["consul.hashicorp.com/source-datacenter"] of a Consul entry. */
static const char *source_dc(const cJSON *entry)
{
	const cJSON *meta = cJSON_GetObjectItemCaseSensitive(entry, "Meta");
	const cJSON *dc =
	        cJSON_GetObjectItemCaseSensitive(meta, "consul.hashicorp.com/source-datacenter");

	return cJSON_IsString(dc) ? dc->valuestring : NULL;
}

struct entry_ctx {
	struct sim_cluster *c;
	int rt;
	const char *ns, *name;
	const char *cname; /* the Consul entry's name */
	const struct entry_kind *ek;
	cJSON *cr;
	char dc[64]; /* this cluster's datacenter, read under the lock */
	bool enterprise;
	char err[600];
	char msg[900];
};

/* syncFailed (Synced=False) or syncUnknownWithError (UNKNOWN). */
static void entry_error(struct entry_ctx *e, const char *reason, const char *what, bool unknown)
{
	struct simk_cond cd = {.w = e->c->world, .unknown = unknown, .reason = reason};

	snprintf(e->msg, sizeof e->msg, "%s%s", what, e->err);
	cd.message = e->msg;
	simk_ctl_put_status(e->c, e->rt, e->ns, e->name, simk_ctl_edit_condition, &cd);
	simk_ctl_event(e->c, "controller: %s/%s not synced: %s: %s", e->ns, e->name, reason,
	               e->msg);
}

/* The CR is being deleted: remove our entry (one from another datacenter
 * stays), then the finalizer. */
static bool entry_finalize(struct entry_ctx *e)
{
	char path[400], *out = NULL;
	const char *dc;
	cJSON *have;
	int st;

	if (!simk_ctl_has_finalizer(e->cr))
		return true;
	snprintf(path, sizeof path, "/v1/config/%s/%s", e->ek->consul_kind, e->cname);
	st = simk_ctl_consul(e->c, "GET", path, NULL, &out, e->err, sizeof e->err);
	if (st != 200 && st != 404)
		return false; /* retried, no status */
	have = out ? cJSON_Parse(out) : NULL;
	free(out);
	dc = source_dc(have);
	if (dc && strcmp(dc, e->dc) == 0 &&
	    simk_ctl_consul(e->c, "DELETE", path, NULL, NULL, e->err, sizeof e->err) != 200) {
		cJSON_Delete(have);
		entry_error(e, "ConsulAgentError", "deleting config entry from consul: ", false);
		return false;
	}
	cJSON_Delete(have);
	simk_ctl_set_finalizer(e->c, e->rt, e->ns, e->name, false);
	return true;
}

/* The entry exists in Consul as HAVE: the cases of consul-k8s's
 * ReconcileEntry switch, in its order. A foreign entry (another datacenter
 * in its Meta, or none) that already matches is left as it is, Meta and
 * ModifyIndex included, unless the migrate-entry annotation asks for it;
 * with that annotation any difference is MigrationFailedError, whoever
 * wrote the entry. */
static bool entry_update(struct entry_ctx *e, const cJSON *want, const cJSON *have)
{
	const char *dc = source_dc(have);
	const char *migrate = simk_annotation(e->cr, SIMK_MIGRATE_ANNO);
	bool ours = dc && strcmp(dc, e->dc) == 0;
	bool matches = entry_matches(want, have);
	bool migrating = migrate && strcmp(migrate, "true") == 0;

	if (!matches && !ours && !migrating) {
		if (dc && *dc)
			snprintf(e->err, sizeof e->err,
			         "config entry managed in different datacenter: \"%s\"", dc);
		else
			snprintf(e->err, sizeof e->err, "config entry already exists in Consul");
		entry_error(e, "ExternallyManagedConfigError", "", false);
		return false;
	}
	if (!matches && migrating) {
		char *h = cJSON_PrintUnformatted(have), *w = cJSON_PrintUnformatted(want);

		snprintf(e->err, sizeof e->err,
		         "migration failed: Kubernetes resource does not match existing Consul "
		         "config entry: consul=%.300s, kube=%.300s",
		         h ? h : "", w ? w : "");
		free(h);
		free(w);
		entry_error(e, "MigrationFailedError", "", false);
		return false;
	}
	if (matches && (ours || !migrating)) {
		entry_synced(e->c, e->rt, e->ns, e->name, e->cr, false);
		return true;
	}
	/* Out of date and ours, or a matching entry migrated: write ours. */
	if (!write_entry(e->c, want, e->err, sizeof e->err)) {
		entry_error(e, "ConsulAgentError", "updating config entry in consul: ", true);
		return false;
	}
	simk_ctl_event(e->c, "controller: %s %s %s from %s/%s", matches ? "migrated" : "updated",
	               e->ek->consul_kind, e->cname, e->ns, e->name);
	entry_synced(e->c, e->rt, e->ns, e->name, e->cr, true);
	return true;
}

static bool entry_sync(struct entry_ctx *e)
{
	cJSON *want = desired_entry(e->ek, e->cr, e->cname, e->dc, e->enterprise), *have = NULL;
	char path[400], *out = NULL;
	bool ok = false;
	int st;

	snprintf(path, sizeof path, "/v1/config/%s/%s", e->ek->consul_kind, e->cname);
	st = simk_ctl_consul(e->c, "GET", path, NULL, &out, e->err, sizeof e->err);
	if (!want || (st != 200 && st != 404)) {
		entry_error(e, "ConsulAgentError", "", false);
		goto out;
	}
	have = out ? cJSON_Parse(out) : NULL;
	if (have) {
		ok = entry_update(e, want, have);
	} else if (!write_entry(e->c, want, e->err, sizeof e->err)) {
		entry_error(e, "ConsulAgentError", "writing config entry to consul: ", false);
	} else {
		simk_ctl_event(e->c, "controller: wrote %s %s from %s/%s", e->ek->consul_kind,
		               e->cname, e->ns, e->name);
		entry_synced(e->c, e->rt, e->ns, e->name, e->cr, true);
		ok = true;
	}
out:
	free(out);
	cJSON_Delete(want);
	cJSON_Delete(have);
	return ok;
}

bool simk_reconcile_entry(struct sim_cluster *c, int rt, const char *ns, const char *name)
{
	const struct simk_rtype *t = simk_rtype(c->kube, rt);
	struct entry_ctx e = {.c = c, .rt = rt, .ns = ns, .name = name};
	bool ok;

	for (size_t i = 0; i < sizeof entry_kinds / sizeof entry_kinds[0]; i++)
		if (strcmp(entry_kinds[i].crd_kind, t->kind) == 0)
			e.ek = &entry_kinds[i];
	e.cr = simk_ctl_get(c, rt, ns, name);
	if (!e.cr || !e.ek) {
		cJSON_Delete(e.cr);
		return true;
	}
	pthread_mutex_lock(&c->world->lock);
	snprintf(e.dc, sizeof e.dc, "%s", c->install.datacenter);
	e.enterprise = c->install.enterprise;
	pthread_mutex_unlock(&c->world->lock);
	e.cname = e.ek->fixed_name ? e.ek->fixed_name
	          : e.ek->destination && simk_str(e.cr, "spec.destination.name")
	                  ? simk_str(e.cr, "spec.destination.name")
	                  : name;
	if (simk_str(e.cr, "metadata.deletionTimestamp")) {
		ok = entry_finalize(&e);
	} else {
		/* A new finalizer comes with Synced=Unknown (syncUnknown). */
		if (!simk_ctl_has_finalizer(e.cr)) {
			struct simk_cond cd = {.w = c->world, .unknown = true, .synced_time = true};

			simk_ctl_set_finalizer(c, rt, ns, name, true);
			simk_ctl_put_status(c, rt, ns, name, simk_ctl_edit_condition, &cd);
		}
		ok = entry_sync(&e);
	}
	cJSON_Delete(e.cr);
	return ok;
}
