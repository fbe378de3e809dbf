/* peerscope-sim, Consul half: admin partitions (Consul Enterprise). The
 * cluster's partitions come from its install (default, then the
 * "partitions" key) and from PUT /v1/partition; consul api/partition.go
 * gives the shape. Consul CE does not route these paths. */
#include "autoconfig.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "simc.h"

static struct simc_partition *part_add(struct simc_state *cs, const char *name, const char *desc)
{
	if (cs->nparts > SIM_MAX_PARTITIONS)
		return NULL;
	struct simc_partition *p = &cs->parts[cs->nparts++];
	memset(p, 0, sizeof *p);
	snprintf(p->name, sizeof p->name, "%s", name);
	snprintf(p->description, sizeof p->description, "%s", desc ? desc : "");
	p->create_index = p->modify_index = simc_write(cs);
	cs->parts_idx = p->create_index;
	return p;
}

void simc_partitions_sync(struct sim_cluster *c)
{
	struct simc_state *cs = c->consul;
	char buf[sizeof c->install.partitions];

	if (!c->install.enterprise)
		return;
	if (!cs->nparts)
		part_add(cs, "default", "Builtin Default Partition");
	snprintf(buf, sizeof buf, "%s", c->install.partitions);
	for (char *save = NULL, *t = strtok_r(buf, ":", &save); t; t = strtok_r(NULL, ":", &save))
		if (!simc_partition_find(cs, t) && part_add(cs, t, ""))
			sim_event(c->world, c, "partition %s created", t);
}

static cJSON *part_json(const struct simc_partition *p)
{
	cJSON *o = cJSON_CreateObject();

	if (!o)
		return NULL;
	cJSON_AddStringToObject(o, "Name", p->name);
	if (p->description[0])
		cJSON_AddStringToObject(o, "Description", p->description);
	cJSON_AddNumberToObject(o, "CreateIndex", (double)p->create_index);
	cJSON_AddNumberToObject(o, "ModifyIndex", (double)p->modify_index);
	return o;
}

static uint64_t idx_parts(struct sim_cluster *c, const struct sim_req *req,
                          const struct simc_auth *a, const char *arg)
{
	(void)req;
	(void)arg;
	return c->consul->parts_idx;
}

static void r_list(struct sim_cluster *c, const struct sim_req *req, struct simc_auth *a,
                   struct sim_resp *resp, const char *arg)
{
	cJSON *arr = cJSON_CreateArray();

	(void)req;
	(void)a;
	(void)arg;
	for (int i = 0; arr && i < c->consul->nparts; i++)
		cJSON_AddItemToArray(arr, part_json(&c->consul->parts[i]));
	simc_json(resp, 200, arr);
}

static void r_one(struct sim_cluster *c, const struct sim_req *req, struct simc_auth *a,
                  struct sim_resp *resp, const char *name)
{
	const struct simc_partition *p = simc_partition_find(c->consul, name);

	(void)req;
	(void)a;
	if (!p || (!*simc_part(name) && strcmp(name, "default"))) {
		sim_resp_text(resp, 404, "Partition not found for \"%s\"", name);
		return;
	}
	simc_json(resp, 200, part_json(p));
}

static bool part_empty(const struct simc_state *cs, const char *name)
{
	for (int i = 0; i < cs->nsvcs; i++)
		if (!strcmp(cs->svcs[i].partition, name))
			return false;
	for (int i = 0; i < cs->npeerings; i++)
		if (!strcmp(cs->peerings[i]->partition, name))
			return false;
	for (int i = 0; i < cs->ncfg; i++)
		if (!strcmp(cs->cfg[i].partition, name))
			return false;
	return true;
}

static bool valid_name(const char *n)
{
	size_t l = strlen(n);

	if (!l || l >= 32 || n[0] == '-' || n[l - 1] == '-')
		return false;
	for (size_t i = 0; i < l; i++)
		if (!islower((unsigned char)n[i]) && !isdigit((unsigned char)n[i]) && n[i] != '-')
			return false;
	return true;
}

/* PUT /v1/partition (create) and PUT /v1/partition/NAME (update). */
static void put(struct sim_cluster *c, const struct sim_req *req, const char *path_name,
                struct sim_resp *resp)
{
	struct simc_state *cs = c->consul;
	cJSON *b = cJSON_ParseWithLength(req->body, req->body_len);
	const char *name = cJSON_GetStringValue(cJSON_GetObjectItem(b, "Name"));
	const char *desc = cJSON_GetStringValue(cJSON_GetObjectItem(b, "Description"));

	if (path_name && *path_name)
		name = path_name;
	if (!cJSON_IsObject(b) || !name || !valid_name(name)) {
		sim_resp_text(resp, 400, "Invalid partition name \"%s\"", name ? name : "");
		cJSON_Delete(b);
		return;
	}
	struct simc_partition *p = (struct simc_partition *)simc_partition_find(cs, name);
	if (p) {
		snprintf(p->description, sizeof p->description, "%s", desc ? desc : "");
		p->modify_index = simc_write(cs);
		cs->parts_idx = p->modify_index;
	} else if (!(p = part_add(cs, name, desc))) {
		sim_resp_text(resp, 500, "the simulator keeps at most %d partitions",
		              SIM_MAX_PARTITIONS + 1);
		cJSON_Delete(b);
		return;
	} else {
		sim_event(c->world, c, "partition %s created", name);
	}
	sim_changed(c->world);
	simc_json(resp, 200, part_json(p));
	cJSON_Delete(b);
}

static void del(struct sim_cluster *c, const char *name, struct sim_resp *resp)
{
	struct simc_state *cs = c->consul;

	if (!strcmp(name, "default") || !*name) {
		sim_resp_text(resp, 500, "cannot delete the default partition");
		return;
	}
	for (int i = 1; i < cs->nparts; i++) {
		if (strcmp(cs->parts[i].name, name))
			continue;
		if (!part_empty(cs, name)) {
			sim_resp_text(resp, 500, "partition \"%s\" is not empty", name);
			return;
		}
		memmove(&cs->parts[i], &cs->parts[i + 1],
		        (size_t)(cs->nparts - i - 1) * sizeof cs->parts[0]);
		cs->nparts--;
		cs->parts_idx = simc_write(cs);
		sim_event(c->world, c, "partition %s deleted", name);
		sim_changed(c->world);
		break;
	}
	resp->status = 200;
}

void simc_partition_route(struct sim_cluster *c, const struct sim_req *req, struct simc_auth *a,
                          struct sim_resp *resp, const char *path)
{
	bool write = strcmp(req->method, "GET") != 0;
	const char *name = !strncmp(path, "/v1/partition/", 14) ? path + 14 : NULL;

	pthread_mutex_lock(&c->world->lock);
	bool ok = simc_allowed(a, "operator", NULL, write ? SIMC_WRITE : SIMC_READ);
	pthread_mutex_unlock(&c->world->lock);
	if (!ok) {
		simc_denied(resp, a, "operator", NULL, write ? SIMC_WRITE : SIMC_READ);
		return;
	}
	if (!strcmp(path, "/v1/partitions")) {
		simc_blocking(c, req, a, resp, idx_parts, r_list, NULL);
		return;
	}
	if (!write) {
		if (!name || !*name) {
			sim_resp_text(resp, 400, "Missing partition name");
			return;
		}
		simc_blocking(c, req, a, resp, idx_parts, r_one, name);
		return;
	}
	pthread_mutex_lock(&c->world->lock);
	if (!strcmp(req->method, "DELETE"))
		del(c, name ? name : "", resp);
	else
		put(c, req, name, resp);
	pthread_mutex_unlock(&c->world->lock);
}
