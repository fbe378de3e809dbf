/* peerscope-sim, Consul half: the peering table — records by name and ID,
 * the two ends of a peering, the state a read shows. */
#include "autoconfig.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "simc.h"

struct simc_peering *simc_peering_find(struct simc_state *cs, const char *part, const char *name)
{
	for (int i = 0; name && i < cs->npeerings; i++)
		if (!strcasecmp(cs->peerings[i]->name, name) &&
		    simc_part_eq(cs->peerings[i]->partition, part))
			return cs->peerings[i];
	return NULL;
}

struct simc_peering *simc_peering_by_id(struct simc_state *cs, const char *id)
{
	for (int i = 0; id && *id && i < cs->npeerings; i++)
		if (!strcmp(cs->peerings[i]->id, id))
			return cs->peerings[i];
	return NULL;
}

struct simc_peering *simc_peering_other(struct sim_cluster *c, const struct simc_peering *p,
                                        struct sim_cluster **other)
{
	struct sim_world *w = c->world;

	*other = NULL;
	if (p->link_cluster < 0 || p->link_cluster >= w->nclusters)
		return NULL;
	struct sim_cluster *oc = &w->clusters[p->link_cluster];
	struct simc_peering *q = oc->consul ? simc_peering_by_id(oc->consul, p->link_id) : NULL;
	if (!q || q->link_cluster != c->index || strcmp(q->link_id, p->id))
		return NULL;
	*other = oc;
	return q;
}

/* What a read shows: the stored state, or ACTIVE / FAILING when the
 * server's stream tracker has the peering connected / with a disconnect
 * error (agent/rpc/peering/service.go reconcilePeering). */
const char *simc_peering_state(const struct sim_cluster *c, const struct simc_peering *p)
{
	if (!strcmp(p->state, "DELETING") || !strcmp(p->state, "TERMINATED"))
		return p->state;
	if (p->tr.tracked && p->tr.connected)
		return "ACTIVE";
	if (p->tr.tracked && p->tr.err[0])
		return "FAILING";
	if (!strcmp(p->state, "PENDING") && !simc_version_at_least(c, 1, 14))
		return "INITIAL";
	return p->state[0] ? p->state : "UNDEFINED";
}

/* A lower-case RFC 1123 label of at most 63 characters. */
bool simc_peering_valid_name(const char *n)
{
	size_t len = strlen(n);

	if (len == 0 || len > 63 || n[0] == '-' || n[len - 1] == '-')
		return false;
	for (size_t i = 0; i < len; i++)
		if (!(islower((unsigned char)n[i]) || isdigit((unsigned char)n[i]) || n[i] == '-'))
			return false;
	return true;
}

struct simc_peering *simc_peering_new(struct sim_cluster *c, const char *name, enum simc_role role)
{
	struct simc_state *cs = c->consul;

	if (cs->npeerings == cs->peerings_cap) {
		int cap = cs->peerings_cap ? cs->peerings_cap * 2 : 16;
		struct simc_peering **n = realloc(cs->peerings, (size_t)cap * sizeof *n);
		if (!n)
			return NULL;
		cs->peerings = n;
		cs->peerings_cap = cap;
	}
	struct simc_peering *p = calloc(1, sizeof *p);
	if (!p)
		return NULL;
	sim_uuid(c->world, p->id);
	snprintf(p->name, sizeof p->name, "%s", name);
	p->role = role;
	p->link_cluster = -1;
	p->create_index = p->modify_index = simc_write(cs);
	cs->peerings_idx = p->create_index;
	if (!cs->resync_due_ms)
		cs->resync_due_ms = sim_now_ms(c->world) + sim_scaled_ms(c->world, SIMC_CONNECT_MS);
	cs->peerings[cs->npeerings++] = p;
	return p;
}

static void peering_free(struct simc_peering *p)
{
	cJSON_Delete(p->meta);
	free(p->peer_ca);
	free(p);
}

void simc_peering_remove(struct sim_cluster *c, struct simc_peering *p)
{
	struct simc_state *cs = c->consul;

	for (int i = 0; i < cs->npeerings; i++) {
		if (cs->peerings[i] != p)
			continue;
		memmove(&cs->peerings[i], &cs->peerings[i + 1],
		        (size_t)(cs->npeerings - i - 1) * sizeof p);
		cs->npeerings--;
		break;
	}
	peering_free(p);
	cs->peerings_idx = simc_write(cs);
}

void simc_peering_free_all(struct simc_state *cs)
{
	for (int i = 0; i < cs->npeerings; i++)
		peering_free(cs->peerings[i]);
	free(cs->peerings);
	cs->peerings = NULL;
	cs->npeerings = 0;
}

void simc_peering_touch(struct sim_cluster *c, struct simc_peering *p)
{
	p->modify_index = simc_write(c->consul);
	c->consul->peerings_idx = p->modify_index;
	/* The leader's peering loop watches the table and runs again. */
	if (!c->consul->resync_due_ms)
		c->consul->resync_due_ms =
		        sim_now_ms(c->world) + sim_scaled_ms(c->world, SIMC_CONNECT_MS);
}

bool simc_peering_live(struct sim_cluster *c, struct simc_peering *p)
{
	struct sim_cluster *oc;
	struct simc_peering *q = simc_peering_other(c, p, &oc);

	return q && p->tr.connected && q->tr.connected && !p->tr.silent_ms && c->running &&
	       oc->running;
}

void simc_server_name(const struct sim_cluster *c, char *buf, size_t len)
{
	snprintf(buf, len, "server.%s.peering.%s", c->install.datacenter, c->trust_domain);
}
