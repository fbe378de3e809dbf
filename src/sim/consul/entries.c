/* peerscope-sim, Consul half: the config entry table — entries by kind and
 * name with their indexes, and what they say about mesh gateways. */
#include "autoconfig.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "simc.h"

/* Index 0 is exported-services: the UI endpoints watch it. */
static const char *const kinds[SIMC_NKINDS] = {
        "exported-services",  "mesh",
        "proxy-defaults",     "service-defaults",
        "service-intentions", "service-resolver",
        "service-router",     "service-splitter",
        "ingress-gateway",    "terminating-gateway",
        "sameness-group",     "api-gateway",
};

int simc_config_kind(const char *k)
{
	for (int i = 0; k && i < SIMC_NKINDS; i++)
		if (!strcmp(kinds[i], k))
			return i;
	return -1;
}

const char *simc_config_kind_name(int k)
{
	return k >= 0 && k < SIMC_NKINDS ? kinds[k] : "";
}

const struct simc_config *simc_config_find(const struct simc_state *cs, const char *part,
                                           const char *kind, const char *name)
{
	for (int i = 0; i < cs->ncfg; i++)
		if (!strcmp(cs->cfg[i].kind, kind) && !strcmp(cs->cfg[i].name, name) &&
		    simc_part_eq(cs->cfg[i].partition, part))
			return &cs->cfg[i];
	return NULL;
}

void simc_config_free_all(struct simc_state *cs)
{
	for (int i = 0; i < cs->ncfg; i++)
		cJSON_Delete(cs->cfg[i].entry);
	free(cs->cfg);
	cs->cfg = NULL;
	cs->ncfg = 0;
}

bool simc_config_peer_through_gateways(const struct sim_cluster *c)
{
	/* Peering through mesh gateways is a setting of the default partition's
	 * mesh entry (consul-k8s mesh_types.go: only valid there). */
	const struct simc_config *m = simc_config_find(c->consul, "", "mesh", "mesh");
	const cJSON *p = m ? cJSON_GetObjectItem(m->entry, "Peering") : NULL;

	return cJSON_IsTrue(cJSON_GetObjectItem(p, "PeerThroughMeshGateways"));
}

const char *simc_config_mode_of(const cJSON *obj)
{
	return cJSON_GetStringValue(
	        cJSON_GetObjectItem(cJSON_GetObjectItem(obj, "MeshGateway"), "Mode"));
}

const char *simc_config_gateway_mode(struct sim_cluster *c, const char *part, const char *from,
                                     const char *svc, const char *peer)
{
	const struct simc_config *sd =
	        from ? simc_config_find(c->consul, part, "service-defaults", from) : NULL;
	const char *m;

	if (sd) {
		const cJSON *uc = cJSON_GetObjectItem(sd->entry, "UpstreamConfig"), *ov;
		cJSON_ArrayForEach(ov, cJSON_GetObjectItem(uc, "Overrides"))
		{
			const char *n = cJSON_GetStringValue(cJSON_GetObjectItem(ov, "Name"));
			const char *p = cJSON_GetStringValue(cJSON_GetObjectItem(ov, "Peer"));
			if (n && p && !strcmp(n, svc) && !strcmp(p, peer) &&
			    (m = simc_config_mode_of(ov)) && *m)
				return m;
		}
		if ((m = simc_config_mode_of(cJSON_GetObjectItem(uc, "Defaults"))) && *m)
			return m;
		if ((m = simc_config_mode_of(sd->entry)) && *m)
			return m;
	}
	const struct simc_config *pd =
	        simc_config_find(c->consul, part, "proxy-defaults", "global");
	if (pd && (m = simc_config_mode_of(pd->entry)) && *m)
		return m;
	return "";
}

static struct simc_config *slot(struct simc_state *cs, const char *part, const char *kind,
                                const char *name)
{
	struct simc_config *e = (struct simc_config *)simc_config_find(cs, part, kind, name);

	if (e)
		return e;
	if (cs->ncfg == cs->cfg_cap) {
		int cap = cs->cfg_cap ? cs->cfg_cap * 2 : 8;
		struct simc_config *n = realloc(cs->cfg, (size_t)cap * sizeof *n);
		if (!n)
			return NULL;
		cs->cfg = n;
		cs->cfg_cap = cap;
	}
	e = &cs->cfg[cs->ncfg++];
	memset(e, 0, sizeof *e);
	snprintf(e->kind, sizeof e->kind, "%s", kind);
	snprintf(e->name, sizeof e->name, "%s", name);
	snprintf(e->partition, sizeof e->partition, "%s", simc_part(part));
	return e;
}

const char *simc_config_normalise(cJSON *e, char *err, size_t len)
{
	cJSON *k = cJSON_GetObjectItem(e, "Kind");

	if (!cJSON_IsString(k)) {
		snprintf(err, len, "Payload does not contain a kind/Kind key at the top level");
		return NULL;
	}
	if (simc_config_kind(k->valuestring) < 0) {
		snprintf(err, len, "invalid config entry kind: %s", k->valuestring);
		return NULL;
	}
	const char *kind = kinds[simc_config_kind(k->valuestring)];
	cJSON_DeleteItemFromObject(e, "CreateIndex");
	cJSON_DeleteItemFromObject(e, "ModifyIndex");
	cJSON_DeleteItemFromObject(e, "Hash");
	cJSON_ReplaceItemInObject(e, "Kind", cJSON_CreateString(kind));
	/* The mesh entry has no Name; proxy-defaults' Normalize names it
	 * "global" when unnamed (agent/structs/config_entry.go). */
	if (!strcmp(kind, "mesh"))
		cJSON_DeleteItemFromObject(e, "Name");
	const char *name = cJSON_GetStringValue(cJSON_GetObjectItem(e, "Name"));
	if (!strcmp(kind, "proxy-defaults") && (!name || !*name)) {
		if (cJSON_GetObjectItem(e, "Name")) /* in place: decoded entries have it */
			cJSON_ReplaceItemInObject(e, "Name", cJSON_CreateString("global"));
		else
			cJSON_AddStringToObject(e, "Name", "global");
	}
	return kind;
}

bool simc_config_same(const struct simc_config *old, const cJSON *entry)
{
	static const char *const raft[] = {"CreateIndex", "ModifyIndex", "Hash", NULL};
	cJSON *a, *b;
	bool same;

	if (!old || !old->entry || !entry)
		return false;
	a = cJSON_Duplicate(old->entry, 1);
	b = cJSON_Duplicate(entry, 1);
	for (const char *const *k = raft; a && b && *k; k++) {
		cJSON_DeleteItemFromObjectCaseSensitive(a, *k);
		cJSON_DeleteItemFromObjectCaseSensitive(b, *k);
	}
	same = a && b && cJSON_Compare(a, b, true);
	cJSON_Delete(a);
	cJSON_Delete(b);
	return same;
}

int simc_config_store(struct sim_cluster *c, cJSON *entry)
{
	char err[256];
	const char *kind = simc_config_normalise(entry, err, sizeof err);
	const char *name = !kind ? NULL
	                   : !strcmp(kind, "mesh")
	                           ? "mesh"
	                           : cJSON_GetStringValue(cJSON_GetObjectItem(entry, "Name"));
	/* An Enterprise entry carries its partition. */
	const char *part = cJSON_GetStringValue(cJSON_GetObjectItem(entry, "Partition"));
	struct simc_config *e = kind ? slot(c->consul, part, kind, name ? name : "") : NULL;

	if (!e) {
		cJSON_Delete(entry);
		return -1;
	}
	if (simc_config_same(e, entry)) { /* no raft write */
		cJSON_Delete(entry);
		return 0;
	}
	uint64_t idx = simc_write(c->consul);
	if (!e->entry)
		e->create_index = idx;
	cJSON_Delete(e->entry);
	e->entry = entry;
	e->modify_index = idx;
	c->consul->config_idx[simc_config_kind(kind)] = idx;
	sim_changed(c->world);
	return 0;
}

void simc_config_remove(struct sim_cluster *c, const struct simc_config *e)
{
	struct simc_state *cs = c->consul;
	int at = (int)(e - cs->cfg), k = simc_config_kind(e->kind);

	cJSON_Delete(cs->cfg[at].entry);
	memmove(&cs->cfg[at], &cs->cfg[at + 1], (size_t)(cs->ncfg - at - 1) * sizeof *e);
	cs->ncfg--;
	uint64_t idx = simc_write(cs);
	if (k >= 0)
		cs->config_idx[k] = idx;
	sim_changed(c->world);
}
