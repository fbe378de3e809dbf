/* pane: what each pane of the dashboard provides. One file per pane
 * (pane_clusters.c, ...) fills one constant table; panes.c registers them.
 * The generic table code (view.c, draw.c) scrolls, filters, sorts and
 * draws, so a pane only says what its columns are and how its rows are
 * made from the view input. */
#ifndef PEERSCOPE_UI_PANE_H
#define PEERSCOPE_UI_PANE_H

#include "peerscope/view.h"

struct ui_pane_ops {
	enum view_pane id;
	const char *title; /* "Mesh gateways" */
	const char *tab;   /* short, for the tabs of a small terminal: "Gateways" */
	const struct view_column *(*columns)(size_t *n);
	/* Rows from the joined snapshots (the pane's update). */
	int (*rows)(const struct view_input *in, struct view_row **rows, size_t *n);
	/* NULL, or sets the table's columns from the data (t->dyn), before
	 * rows() is called with the same input. */
	void (*columns_for)(const struct view_input *in, struct view_table *t);
	/* What the pane shows when it has no rows. */
	const char *empty;
};

extern const struct ui_pane_ops ui_pane_clusters;
extern const struct ui_pane_ops ui_pane_peerings;
extern const struct ui_pane_ops ui_pane_gateways;
extern const struct ui_pane_ops ui_pane_exports;

/* The panes in screen order, indexed by enum view_pane. */
const struct ui_pane_ops *ui_pane_get(enum view_pane p);

#endif
