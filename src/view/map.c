/* view map: the topology map's nodes and links from the join (view.h). */
#include "autoconfig.h"

#include "peerscope/view.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void view_map_free(struct view_map *m)
{
	free(m->nodes);
	free(m->links);
	memset(m, 0, sizeof *m);
}

static void node_of(const struct view_input *in, size_t i, struct view_map_node *n)
{
	const struct join_gateways *g = NULL;

	snprintf(n->name, sizeof n->name, "%s", in->names[i]);
	n->loaded = in->snaps[i] != NULL;
	for (size_t k = 0; in->join && k < in->join->ngateways; k++)
		if (in->join->gateways[k].cluster == i)
			g = &in->join->gateways[k];
	n->role = THEME_DIM;
	snprintf(n->mode, sizeof n->mode, "%s", "?");
	if (!g)
		return;
	n->gw_total = g->total;
	n->gw_healthy = g->healthy;
	snprintf(n->mode, sizeof n->mode, "%s",
	         g->mode == MODEL_MGW_DEFAULT ? "remote" : model_mgw_mode_name(g->mode));
	n->role = g->healthy == 0 ? THEME_BAD : g->healthy < g->total ? THEME_WARN : THEME_OK;
}

static const char *end_state(const struct join_end *e)
{
	return e->peering   ? model_peering_state_name(e->peering->state)
	       : e->present ? "no peering"
	                    : "—";
}

static void link_of(const struct join_pair *p, struct view_map_link *l)
{
	l->a = p->a.cluster;
	l->b = p->b.cluster;
	snprintf(l->id, sizeof l->id, "%s", p->id);
	snprintf(l->peer, sizeof l->peer, "%s", p->b.snap ? p->b.snap->name : p->a.name);
	snprintf(l->note, sizeof l->note, "%.159s", p->healthy ? "" : p->problem);
	/* One end only: the peer has no peering of this pair, or is not
	 * among the configured clusters. */
	if (!p->a.peering != !p->b.peering)
		snprintf(l->label, sizeof l->label, "%s, one-sided",
		         end_state(p->a.peering ? &p->a : &p->b));
	else if (p->a.peering && p->b.peering && p->a.peering->state == p->b.peering->state)
		snprintf(l->label, sizeof l->label, "%s", end_state(&p->a));
	else
		snprintf(l->label, sizeof l->label, "%s / %s", end_state(&p->a), end_state(&p->b));
	if (p->healthy)
		l->role = THEME_OK;
	else if (p->flags & JOIN_F_LOADING) /* waiting for a cluster's data */
		l->role = THEME_DIM;
	else if (p->flags & (JOIN_F_STATE_BAD | JOIN_F_ASYMMETRIC | JOIN_F_ONE_SIDED))
		l->role = THEME_BAD;
	else
		l->role = THEME_WARN;
}

int view_map_build(const struct view_input *in, struct view_map *out)
{
	size_t np = in->join ? in->join->npairs : 0;

	memset(out, 0, sizeof *out);
	out->nodes = calloc(in->n ? in->n : 1, sizeof *out->nodes);
	out->links = calloc(np ? np : 1, sizeof *out->links);
	if (!out->nodes || !out->links) {
		view_map_free(out);
		return -1;
	}
	for (size_t i = 0; i < in->n; i++)
		node_of(in, i, &out->nodes[out->nnodes++]);
	for (size_t i = 0; i < np; i++)
		link_of(&in->join->pairs[i], &out->links[out->nlinks++]);
	return 0;
}
