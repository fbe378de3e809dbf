/* The panes' tables, for the registry in panes.c. */
#ifndef PEERSCOPE_VIEW_PANE_H
#define PEERSCOPE_VIEW_PANE_H

#include "peerscope/view.h"

extern const struct view_pane_ops view_pane_clusters;
extern const struct view_pane_ops view_pane_peerings;
extern const struct view_pane_ops view_pane_gateways;
extern const struct view_pane_ops view_pane_exports;

#endif
