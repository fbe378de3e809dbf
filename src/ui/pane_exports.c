/* Exported services pane: the service x peer matrix, one row per exported
 * service and consumer peer: exported here, imported there (with healthy
 * instances), and the mismatches. */
#include "config.h"

#include "pane.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
	E_SERVICE,
	E_FROM,
	E_TO,
	E_EXPORTED,
	E_IMPORTED,
	E_MARK,
	E_STATE,
	E_COUNT
};

static const struct view_column columns[E_COUNT] = {
        [E_SERVICE] = {"SERVICE", 16, false},
        [E_FROM] = {"FROM", 12, false},
        [E_TO] = {"TO", 12, false},
        [E_EXPORTED] = {"EXPORTED", 9, false},
        [E_IMPORTED] = {"IMPORTED", 14, false},
        [E_MARK] = {"", 1, false},
        [E_STATE] = {"STATE", 20, true},
};

static const struct view_column *exports_columns(size_t *n)
{
	*n = E_COUNT;
	return columns;
}

static const char *state_text(enum join_cell_state s)
{
	switch (s) {
	case JOIN_CELL_OK:
		return "ok";
	case JOIN_CELL_NOT_IMPORTED:
		return "exported, not imported";
	case JOIN_CELL_NOT_EXPORTED:
		return "imported, no longer exported";
	case JOIN_CELL_PEER_UNKNOWN:
		return "peer not among the clusters";
	default:
		return "exported to a name with no peering";
	}
}

static int export_row(struct view_row *r, const struct join_export *e, const struct view_input *in)
{
	const char *none = in->ascii ? "-" : "\u2014";
	bool ok = e->state == JOIN_CELL_OK;
	int rc;

	if (view_row_init(r, e->id, E_COUNT) < 0)
		return -1;
	rc = view_cell_set(r, E_SERVICE, THEME_ACCENT, "%s", e->service);
	rc |= view_cell_set(r, E_FROM, THEME_NORMAL, "%s", in->names[e->from]);
	rc |= view_cell_set(r, E_TO, e->to == JOIN_NONE ? THEME_DIM : THEME_NORMAL, "%s%s",
	                    e->to == JOIN_NONE ? e->peer : in->names[e->to],
	                    e->to == JOIN_NONE ? "?" : "");
	rc |= view_cell_set(r, E_EXPORTED, e->exported ? THEME_NORMAL : THEME_WARN, "%s%s",
	                    e->exported ? "yes" : "no", e->wildcard ? " (*)" : "");
	if (e->imported)
		rc |= view_cell_set(r, E_IMPORTED,
		                    e->healthy == e->instances && e->instances ? THEME_OK
		                                                               : THEME_WARN,
		                    "%u/%u healthy", e->healthy, e->instances);
	else
		rc |= view_cell_set(r, E_IMPORTED, THEME_DIM, "%s", none);
	rc |= view_cell_set(r, E_MARK, THEME_WARN, "%s", ok ? "" : in->ascii ? "!" : "\u26a0");
	rc |= view_cell_set(r, E_STATE, ok ? THEME_OK : THEME_WARN, "%s", state_text(e->state));
	r->problem = !ok;
	if (rc == 0 && !ok) {
		free(r->reason);
		r->reason = NULL;
		rc = view_append(&r->reason, "%s from %s to %s: %s", e->service, in->names[e->from],
		                 e->peer, state_text(e->state));
	}
	if (rc == 0)
		rc = view_append(&r->detail,
		                 "Service %s exported by %s to peer %s\nexported %s%s\n"
		                 "imported %s: %u instances, %u healthy\nstate %s (%s)\n",
		                 e->service, in->names[e->from], e->peer,
		                 e->exported ? "yes" : "no", e->wildcard ? " (through \"*\")" : "",
		                 e->imported ? "yes" : "no", e->instances, e->healthy,
		                 state_text(e->state), join_cell_state_name(e->state));
	return rc < 0 ? -1 : 0;
}

static int exports_rows(const struct view_input *in, struct view_row **rows, size_t *n)
{
	size_t count = in->join ? in->join->nexports : 0;
	struct view_row *v = calloc(count ? count : 1, sizeof *v);

	*rows = NULL;
	*n = 0;
	if (!v)
		return -1;
	for (size_t i = 0; i < count; i++) {
		if (export_row(&v[i], &in->join->exports[i], in) < 0) {
			view_row_clear(&v[i]);
			view_rows_free(v, i);
			return -1;
		}
	}
	*rows = v;
	*n = count;
	return 0;
}

const struct pane_ops pane_exports = {
        .id = VIEW_EXPORTS,
        .title = "Exported services",
        .tab = "Exports",
        .columns = exports_columns,
        .rows = exports_rows,
        .empty = "no exported services",
};
