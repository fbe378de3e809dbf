/* Exported services pane: the service x peer matrix. A row per exported
 * service and exporting cluster, a column per configured cluster: what that
 * cluster sees of the service (imported, with healthy instances, or a
 * mismatch), and a last column for consumers that are not configured
 * clusters. */
#include "autoconfig.h"

#include "pane.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Fixed columns; one per cluster follows E_FROM, then the mark and the
 * consumers elsewhere. */
enum {
	E_SERVICE,
	E_FROM,
	E_PART, /* only when some cluster is Enterprise */
	E_FIXED
};

static const struct view_column fixed[E_FIXED] = {
        [E_SERVICE] = {"SERVICE", 16, false},
        [E_FROM] = {"FROM", 12, false},
        [E_PART] = {"PARTITION", 12, false},
};

static const struct view_column *exports_columns(size_t *n)
{
	*n = E_FIXED;
	return fixed;
}

/* How many clusters get a column: what fits in the table. */
static size_t shown_clusters(const struct view_input *in)
{
	return in->n < VIEW_MAX_COLS - E_FIXED - 2 ? in->n : VIEW_MAX_COLS - E_FIXED - 2;
}

static void exports_columns_for(const struct view_input *in, struct view_table *t)
{
	size_t k = shown_clusters(in), c = 0;

	for (; c < E_FIXED; c++)
		t->dyn[c] = fixed[c];
	for (size_t i = 0; i < k; i++, c++) {
		snprintf(t->dyn_title[c], sizeof t->dyn_title[c], "%s", in->names[i]);
		t->dyn[c] = (struct view_column){t->dyn_title[c], 14, false};
	}
	t->dyn[c++] = (struct view_column){"", 1, false};
	t->dyn[c++] = (struct view_column){"ELSEWHERE", 16, true, true};
	if (!view_any_enterprise(in)) {
		memmove(&t->dyn[E_PART], &t->dyn[E_PART + 1], (c - E_PART - 1) * sizeof *t->dyn);
		c--;
	}
	t->cols = t->dyn;
	t->ncols = c;
}

static const char *state_text(enum join_cell_state s)
{
	switch (s) {
	case JOIN_CELL_OK:
		return "imported";
	case JOIN_CELL_NOT_IMPORTED:
		return "exported, not imported";
	case JOIN_CELL_NOT_EXPORTED:
		return "imported, not exported";
	case JOIN_CELL_PEER_UNKNOWN:
		return "peer not a cluster";
	default:
		return "no peering";
	}
}

/* One cell of the matrix: what cluster TO sees of export E. */
static int matrix_cell(struct view_row *r, size_t col, const struct join_export *e, bool ascii)
{
	const char *mark = ascii ? "!" : "\u26a0";

	if (e->state == JOIN_CELL_OK)
		return view_cell_set(
		        r, col, e->instances && e->healthy == e->instances ? THEME_OK : THEME_WARN,
		        "imported %u/%u", e->healthy, e->instances);
	return view_cell_set(r, col, THEME_WARN, "%s %s", state_text(e->state), mark);
}

static bool same_group(const struct join_export *a, const struct join_export *b)
{
	return a->from == b->from && !strcmp(a->service, b->service) &&
	       join_partition_eq(a->partition, b->partition);
}

/* The row of the exports V[0..n) of one service from one cluster. */
static int group_row(struct view_row *r, const struct join_export *v, size_t n,
                     const struct view_input *in)
{
	size_t k = shown_clusters(in), ncols = E_FIXED + k + 2;
	char id[VIEW_ID_MAX], *elsewhere = NULL;
	const char *none = in->ascii ? "-" : "\u2014";
	int rc;

	if (join_partition_eq(v[0].partition, ""))
		snprintf(id, sizeof id, "%s/%s", in->names[v[0].from], v[0].service);
	else
		snprintf(id, sizeof id, "%s/%s/%s", in->names[v[0].from], v[0].partition,
		         v[0].service);
	if (view_row_init(r, id, ncols) < 0)
		return -1;
	r->target.a = v[0].from;
	rc = view_cell_set(r, E_SERVICE, THEME_ACCENT, "%s", v[0].service);
	rc |= view_cell_set(r, E_FROM, THEME_NORMAL, "%s", in->names[v[0].from]);
	rc |= view_cell_set(r, E_PART, v[0].no_partition_gateway ? THEME_BAD : THEME_NORMAL, "%s",
	                    *v[0].partition ? v[0].partition : "default");
	for (size_t i = 0; i < k; i++)
		rc |= view_cell_set(r, E_FIXED + i, THEME_DIM, "%s",
		                    i == v[0].from ? "(here)" : none);
	rc |= view_append(&r->detail, "Service %s, exported by %s%s%s to:\n", v[0].service,
	                  in->names[v[0].from], *v[0].partition ? " from partition " : "",
	                  v[0].partition);
	char why[JOIN_PROBLEM_MAX];
	if (join_export_problem(&v[0], why, sizeof why)) {
		r->problem = true;
		free(r->reason);
		r->reason = NULL;
		rc |= view_append(&r->reason, "%s of %s", why, in->names[v[0].from]);
		rc |= view_append(&r->detail, "Problem: %s\n", why);
	}
	for (size_t j = 0; j < n && rc == 0; j++) {
		const struct join_export *e = &v[j];
		if (e->state != JOIN_CELL_OK) {
			r->problem = true;
			if (!*r->reason) {
				free(r->reason);
				r->reason = NULL;
				rc |= view_append(&r->reason, "%s from %s to %s: %s", e->service,
				                  in->names[e->from], e->peer,
				                  state_text(e->state));
			}
		}
		rc |= view_append(&r->detail, "%-16s %-12s %s%s, %u of %u instances healthy\n",
		                  e->peer, e->to == JOIN_NONE ? "(no cluster)" : in->names[e->to],
		                  state_text(e->state), e->wildcard ? " (through \"*\")" : "",
		                  e->healthy, e->instances);
		if (e->to != JOIN_NONE && e->to < k)
			rc |= matrix_cell(r, E_FIXED + e->to, e, in->ascii);
		else
			rc |= view_append(&elsewhere, "%s%s: %s", elsewhere ? ", " : "", e->peer,
			                  state_text(e->state));
	}
	rc |= view_cell_set(r, E_FIXED + k, THEME_WARN, "%s",
	                    r->problem ? (in->ascii ? "!" : "\u26a0") : "");
	rc |= view_cell_set(r, E_FIXED + k + 1, elsewhere ? THEME_WARN : THEME_DIM, "%s",
	                    elsewhere ? elsewhere : "");
	free(elsewhere);
	return rc < 0 ? -1 : 0;
}

static int exports_rows(const struct view_input *in, struct view_row **rows, size_t *n)
{
	size_t count = in->join ? in->join->nexports : 0, k = 0;
	struct view_row *v = calloc(count ? count : 1, sizeof *v);

	*rows = NULL;
	*n = 0;
	if (!v)
		return -1;
	/* join sorts by service, then exporting cluster, then peer: each
	 * group is a run. */
	for (size_t i = 0; i < count;) {
		size_t j = i + 1;
		while (j < count && same_group(&in->join->exports[i], &in->join->exports[j]))
			j++;
		if (group_row(&v[k], &in->join->exports[i], j - i, in) < 0) {
			view_row_clear(&v[k]);
			view_rows_free(v, k);
			return -1;
		}
		if (!view_any_enterprise(in))
			view_row_drop_cell(&v[k], E_PART);
		k++;
		i = j;
	}
	*rows = v;
	*n = k;
	return 0;
}

const struct view_pane_ops view_pane_exports = {
        .id = VIEW_EXPORTS,
        .title = "Exported services",
        .tab = "Exports",
        .columns = exports_columns,
        .rows = exports_rows,
        .columns_for = exports_columns_for,
        .empty = "no exported services",
};
