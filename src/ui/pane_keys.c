/* pane_keys: what each pane does with an action before the global table
 * (tig's view_ops->request): the operations take their clusters from the
 * selected row, a cluster (clusters, gateways and exports panes) or the two
 * ends of a peering (peerings pane). */
#include "autoconfig.h"

#include "ui_internal.h"

#include <stdio.h>

/* A row about one cluster: the operation starts from it (in the row's
 * admin partition, a gateway's or an exported service's) and asks for the
 * other side. */
static unsigned cluster_action(struct ui *u, const struct view_row *r, enum ops_kind kind)
{
	if (kind == OPS_REGENERATE || kind == OPS_UNPEER)
		return ui_say(u, true, "%s works on a peering: select it in the peerings pane (2)",
		              ops_kind_name(kind));
	return ui_ops_pick(u, kind, r->target.a, r->target.a_partition);
}

/* A peering row: both ends are known. */
static unsigned pair_action(struct ui *u, const struct view_row *r, enum ops_kind kind)
{
	const struct view_target *t = &r->target;

	if (t->a == VIEW_NO_CLUSTER || t->b == VIEW_NO_CLUSTER)
		return ui_say(u, true,
		              "the other end of %s is not among the configured clusters: add it "
		              "to the configuration to act on both ends",
		              r->id);
	return ui_ops_pair(u, kind, t);
}

typedef unsigned (*row_action_fn)(struct ui *u, const struct view_row *r, enum ops_kind kind);

static const row_action_fn pane_ops[VIEW_PANE_COUNT] = {
        [VIEW_CLUSTERS] = cluster_action,
        [VIEW_PEERINGS] = pair_action,
        [VIEW_GATEWAYS] = cluster_action,
        [VIEW_EXPORTS] = cluster_action,
};

unsigned ui_pane_action(struct ui *u, enum action_id id)
{
	const struct view_row *r;
	enum ops_kind kind;

	/* The exports matrix moves cell by cell. */
	if (u->focus == VIEW_EXPORTS && (id == ACTION_LEFT || id == ACTION_RIGHT))
		return view_table_cell_move(ui_focused(u), id == ACTION_LEFT ? -1 : 1) ? UI_REDRAW
		                                                                       : UI_PASS;
	if (!ui_ops_action(id, &kind) || !actions_available(&u->km, id))
		return UI_PASS;
	if (ops_kind_is_mesh(kind))
		return ui_mesh_action(u, kind);
	r = view_table_selected(ui_focused(u));
	if (!r || r->target.a == VIEW_NO_CLUSTER)
		return ui_say(u, true, "select a cluster (1) or a peering (2) first, or :%s A B",
		              ops_kind_name(kind));
	return pane_ops[u->focus](u, r, kind);
}
