/* panes: the one place the panes are registered, in screen order. */
#include "autoconfig.h"

#include "pane.h"

static const struct view_pane_ops *const panes[VIEW_PANE_COUNT] = {
        [VIEW_CLUSTERS] = &view_pane_clusters,
        [VIEW_PEERINGS] = &view_pane_peerings,
        [VIEW_GATEWAYS] = &view_pane_gateways,
        [VIEW_EXPORTS] = &view_pane_exports,
};

const struct view_pane_ops *view_pane_get(enum view_pane p)
{
	return (unsigned)p < VIEW_PANE_COUNT ? panes[p] : NULL;
}

const struct view_column *view_columns(enum view_pane p, size_t *ncols)
{
	return panes[p]->columns(ncols);
}

const char *view_pane_title(enum view_pane p)
{
	return panes[p]->title;
}
