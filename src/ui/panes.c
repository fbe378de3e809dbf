/* panes: the one place the panes are registered, in screen order. */
#include "config.h"

#include "pane.h"

static const struct pane_ops *const panes[VIEW_PANE_COUNT] = {
        [VIEW_CLUSTERS] = &pane_clusters,
        [VIEW_PEERINGS] = &pane_peerings,
        [VIEW_GATEWAYS] = &pane_gateways,
        [VIEW_EXPORTS] = &pane_exports,
};

const struct pane_ops *pane_get(enum view_pane p)
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
