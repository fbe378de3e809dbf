/* Exported services pane: the service x peer matrix. A row per service of a
 * cluster (exported, or local and exportable), a column per configured
 * cluster: what that cluster receives of the service (imported, with
 * healthy instances; exported but not imported; not exported), whether its
 * services may call it (imports no intention allows are marked), and a last
 * column for consumers that are not configured clusters. Each cell of a
 * peer's column is a target the keys act on (export, unexport, allow, deny)
 * with its own detail: the traffic path. On Consul Enterprise a row is a
 * service of one admin partition of a cluster, with a PARTITION column. */
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
	case JOIN_CELL_UNKNOWN:
		return "loading";
	default:
		return "no peering";
	}
}

/* ------------------------------------------------------------ the rows */

/* One row: a service of one cluster (of one of its admin partitions). */
struct key {
	const char *service;
	size_t from;
	const char *partition; /* "" for the default partition and on CE */
};

struct keys {
	struct key *v;
	size_t n, cap;
};

/* "" for the default partition, as join_partition_eq compares them. */
static const char *part_key(const char *p)
{
	return !p || !strcmp(p, "default") ? "" : p;
}

static int key_add(struct keys *k, const char *service, size_t from, const char *partition)
{
	if (k->n == k->cap) {
		size_t cap = k->cap ? k->cap * 2 : 32;
		struct key *v = realloc(k->v, cap * sizeof *v);
		if (!v)
			return -1;
		k->v = v;
		k->cap = cap;
	}
	k->v[k->n++] = (struct key){service, from, part_key(partition)};
	return 0;
}

static int key_cmp(const void *pa, const void *pb)
{
	const struct key *a = pa, *b = pb;
	int c = strcmp(a->service, b->service);

	if (c)
		return c;
	if (a->from != b->from)
		return a->from < b->from ? -1 : 1;
	return strcmp(a->partition, b->partition);
}

/* A service a cluster could export: its own, not Consul nor a gateway. */
static bool exportable(const struct model_service_summary *s)
{
	return !*s->peer_name && !*s->kind && strcmp(s->name, "consul");
}

/* Every exported service, and every service a cluster could export. */
/* Sorted, one per (service, cluster, partition). */
static void sort_unique(struct keys *k)
{
	size_t kept = 0;

	if (k->n)
		qsort(k->v, k->n, sizeof *k->v, key_cmp);
	for (size_t i = 0; i < k->n; i++)
		if (!kept || key_cmp(&k->v[kept - 1], &k->v[i]))
			k->v[kept++] = k->v[i];
	k->n = kept;
}

/* Every exported service, and every service a cluster could export while
 * there are at most VIEW_EXPORTS_OTHERS_MAX of those: a matrix of every
 * service of large clusters (16 x 10,000) would hold a row, a cell and a
 * status line per service and cluster for rows nobody scrolls through. In
 * *OTHERS, how many exportable services have no row. */
static int collect(const struct view_input *in, struct keys *k, size_t *others)
{
	size_t exported;

	*others = 0;
	/* The join's exports are in order of service and cluster: a row's
	 * come one after the other, and one key for them is enough to sort
	 * (12,800 exports at 64 clusters of 100 services, 640 rows). */
	for (size_t i = 0; in->join && i < in->join->nexports; i++) {
		const struct join_export *e = &in->join->exports[i];
		struct key probe = {e->service, e->from, part_key(e->partition)};
		if (k->n && !key_cmp(&k->v[k->n - 1], &probe))
			continue;
		if (key_add(k, e->service, e->from, e->partition) < 0)
			return -1;
	}
	sort_unique(k);
	exported = k->n;
	for (size_t c = 0; c < in->n; c++)
		for (size_t i = 0; in->snaps[c] && i < in->snaps[c]->services->n; i++) {
			const struct model_service_summary *s = &in->snaps[c]->services->v[i];
			struct key probe = {s->name, c, part_key(s->partition)};
			if (!exportable(s) ||
			    (exported && bsearch(&probe, k->v, exported, sizeof *k->v, key_cmp)))
				continue;
			if (++*others <= VIEW_EXPORTS_OTHERS_MAX &&
			    key_add(k, s->name, c, s->partition) < 0)
				return -1;
		}
	if (*others > VIEW_EXPORTS_OTHERS_MAX) {
		k->n = exported; /* only the exported ones */
		return 0;
	}
	*others = 0;
	sort_unique(k);
	return 0;
}

/* The last row when exportable services have none: how many, and how to
 * export one of them. */
static int others_row(struct view_row *r, size_t others, const struct view_input *in)
{
	size_t k = shown_clusters(in), ncols = E_FIXED + k + 2;
	int rc;

	if (view_row_init(r, "(others)", ncols) < 0)
		return -1;
	rc = view_cell_set(r, E_SERVICE, THEME_DIM, "(%zu more)", others);
	rc |= view_cell_set(r, E_FROM, THEME_DIM, "%s", in->ascii ? "-" : "\u2014");
	rc |= view_cell_set(r, E_FIXED + k + 1, THEME_DIM,
	                    "services exported to no peer: :export CLUSTER SERVICE PEER");
	rc |= view_append(&r->detail,
	                  "%zu services of the clusters are exported to no peer: too many for a "
	                  "row each.\nExport one with :export CLUSTER SERVICE PEER; then it has "
	                  "its row.\n",
	                  others);
	if (!view_any_enterprise(in))
		view_row_drop_cell(r, E_PART);
	return rc < 0 ? -1 : 0;
}

/* ------------------------------------------------------------ a cell */

/* What the cells of the rows share, made once a build (exports_rows()):
 * - NAMES, each cluster's names for its peerings, from the join's pairs:
 *   row FROM, column TO holds FROM's name for its peering with TO, that of
 *   the first pair in the join's order where FROM's end is present; NULL
 *   where FROM has none. Looked up pair by pair for each cell, at 64
 *   clusters (640 pairs, some 40,000 cells) it was a tenth of the UI
 *   thread's work for a gateway's change;
 * - AT, the row being built: its export to each shown cluster, the first
 *   in the join's order; NULL where there is none (matrix_row()). A lookup
 *   of the row's exports for each cell was a quarter of the pane's work. */
struct matrix {
	const char **names;
	size_t n;
	const struct join_export **at;
	size_t k;
};

static void names_put(struct matrix *m, const struct join_end *me, const struct join_end *other)
{
	if (me->cluster >= m->n || other->cluster >= m->n || !me->present || !me->peering)
		return;
	const char **at = &m->names[me->cluster * m->n + other->cluster];
	if (!*at)
		*at = me->name;
}

static int matrix_make(const struct view_input *in, struct matrix *m)
{
	m->n = in->n;
	m->k = shown_clusters(in);
	m->names = calloc(m->n ? m->n * m->n : 1, sizeof *m->names);
	m->at = calloc(m->k ? m->k : 1, sizeof *m->at);
	if (!m->names || !m->at)
		return -1;
	for (size_t i = 0; in->join && i < in->join->npairs; i++) {
		const struct join_pair *p = &in->join->pairs[i];
		names_put(m, &p->a, &p->b);
		names_put(m, &p->b, &p->a);
	}
	return 0;
}

static void matrix_free(struct matrix *m)
{
	free(m->names);
	free(m->at);
}

/* The exports of KEY's row into M->at. */
static void matrix_row(struct matrix *m, const struct view_input *in, const struct key *key)
{
	size_t n;
	const struct join_export *v = join_find_exports(in->join, key->service, key->from, &n);

	memset(m->at, 0, m->k * sizeof *m->at);
	for (size_t i = 0; i < n; i++)
		if (v[i].to < m->k && !m->at[v[i].to] &&
		    join_partition_eq(v[i].partition, key->partition))
			m->at[v[i].to] = &v[i];
}

/* FROM's name for its peering with TO: "" when there is none. */
static const char *peer_name(const struct matrix *m, size_t from, size_t to)
{
	const char *name = from < m->n && to < m->n ? m->names[from * m->n + to] : NULL;

	return name ? name : "";
}

static int cell_text(struct view_row *r, size_t col, const struct join_export *e,
                     const struct view_cell_target *t, bool ascii)
{
	const char *mark = ascii ? "!" : "\u26a0";

	if (!e)
		return view_cell_set(r, col, THEME_DIM, "%s",
		                     t->peered ? (ascii ? "-" : "\u00b7") : "no peering");
	if (e->state == JOIN_CELL_UNKNOWN) /* not read yet: no judgment */
		return view_cell_set(r, col, THEME_DIM, "%s", state_text(e->state));
	if (e->state == JOIN_CELL_OK && !t->allowed)
		return view_cell_set(r, col, THEME_WARN, "imported, no intention %s", mark);
	if (e->state == JOIN_CELL_OK)
		return view_cell_set(
		        r, col, e->instances && e->healthy == e->instances ? THEME_OK : THEME_WARN,
		        "imported %u/%u", e->healthy, e->instances);
	return view_cell_set(r, col, THEME_WARN, "%s %s", state_text(e->state), mark);
}

/* What the cell holds and its traffic path. A cell with nothing exported
 * has the first broken hop known without walking the rest: the export
 * (a matrix has many such cells). */
static int cell_detail(struct view_cell_target *t, const struct view_input *in, size_t from,
                       const char *service, const struct join_export *e)
{
	const char *to = in->names[t->to], *x = in->ascii ? "X" : "\u2717";

	if (*t->partition)
		return view_append(&t->detail,
		                   "%s of %s, partition %s, for %s (%s's peer %s)\n%s\n\n"
		                   "The traffic path and the mesh operations cover the default "
		                   "partition only.\n",
		                   service, in->names[from], t->partition, to, in->names[from],
		                   t->peer, e ? state_text(e->state) : "not exported");

	if (!e && !t->peered)
		return view_append(&t->detail,
		                   "%s of %s for %s\nnot exported; no peering between the two\n\n"
		                   "Traffic path\n %s    peering %s and %s  [absent]\n"
		                   "     first broken hop: no peering between %s and %s\n",
		                   service, in->names[from], to, x, in->names[from], to,
		                   in->names[from], to);
	if (!e)
		return view_append(&t->detail,
		                   "%s of %s for %s (%s's peer %s)\nnot exported\n\nTraffic path\n"
		                   " %s    export: %s exports %s to peer %s  [missing]\n"
		                   "     first broken hop: export missing: e exports it\n",
		                   service, in->names[from], to, in->names[from], t->peer, x,
		                   in->names[from], service, t->peer);
	int rc = view_append(&t->detail,
	                     "%s of %s for %s (%s's peer %s)\n%s%s, %u of %u instances healthy; "
	                     "calls from %s: %s\n\n",
	                     service, in->names[from], to, in->names[from], t->peer,
	                     state_text(e->state), e->wildcard ? " (through \"*\")" : "",
	                     e->healthy, e->instances, t->peer, join_intent_name(e->intent));
	return rc == 0 ? view_path(in, from, t->to, service, t->peer, &t->detail) : -1;
}

/* SRC into DST of LEN bytes, cut to fit, as snprintf's "%s" would: two of
 * those a cell were a fifth of the rows' work. */
static void copy_name(char *dst, size_t len, const char *src)
{
	size_t n = strnlen(src, len - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* Made only for the cell the cursor is on (draw.c): made for every cell,
 * some 40,000 at 64 clusters, it was a tenth of a review's work. */
void view_cell_status(const struct view_row *r, const struct view_cell_target *t,
                      const char *const *names, char *buf, size_t len)
{
	snprintf(buf, len, "%s of %s for %s: %s; calls %s   e: %s  i: %s  Enter: path",
	         r->target.service, names[r->target.a], names[t->to], t->state,
	         t->allowed ? "allowed" : "not allowed", t->exported ? "unexport" : "export",
	         t->allowed ? "deny" : "allow");
}

/* The cell of cluster TO's column in the row of SERVICE from FROM. */
static int matrix_cell(struct view_row *r, size_t col, const struct view_input *in,
                       const struct matrix *m, const struct key *key, size_t to, bool detail)
{
	size_t from = key->from;
	const char *service = key->service;
	const struct join_export *e = m->at[to];
	struct view_cell_target *t = calloc(1, sizeof *t);
	const char *peer = e ? e->peer : peer_name(m, from, to);

	if (!t)
		return -1;
	r->cells[col].cell = t;
	t->to = to;
	copy_name(t->partition, sizeof t->partition, key->partition);
	copy_name(t->peer, sizeof t->peer, *peer ? peer : in->names[to]);
	t->peered = e ? e->state != JOIN_CELL_NO_PEERING : *peer != '\0';
	t->exported = e && e->exported;
	t->allowed = join_intent_ok(
	        e                 ? e->intent
	        : *key->partition ? JOIN_INTENT_UNKNOWN
	                          : join_intention(in->snaps[from], service, t->peer, NULL, NULL));
	t->state = e ? state_text(e->state) : "not exported";
	/* The traffic path, for the row whose detail is shown only. */
	if (cell_text(r, col, e, t, in->ascii) < 0 ||
	    (detail && cell_detail(t, in, from, service, e) < 0))
		return -1;
	return 0;
}

/* ------------------------------------------------------------ a row */

static bool problem(const struct join_export *e)
{
	if (e->state == JOIN_CELL_UNKNOWN) /* a side not read yet */
		return false;
	return e->state != JOIN_CELL_OK || !join_intent_ok(e->intent);
}

/* The importing cluster of E, with its partition when it runs Consul
 * Enterprise ("cluster-02/ops"). */
static const char *importer(const struct view_input *in, const struct join_export *e, char *buf,
                            size_t len)
{
	const struct store_snapshot *s;

	if (e->to == JOIN_NONE)
		return "(no cluster)";
	s = in->snaps[e->to];
	if (!s || !s->has_identity || !s->identity->enterprise)
		return in->names[e->to];
	snprintf(buf, len, "%s/%s", in->names[e->to],
	         e->to_partition && *e->to_partition ? e->to_partition : "default");
	return buf;
}

/* The row's problem and detail from its exports; *NO_GATEWAY: its partition
 * has no mesh gateway (Enterprise). */
static int row_exports(struct view_row *r, const struct view_input *in, const struct key *key,
                       struct model_text *elsewhere, bool *no_gateway, bool detail)
{
	size_t k = shown_clusters(in), n;
	const struct join_export *v = join_find_exports(in->join, key->service, key->from, &n);
	int rc = !detail ? 0
	                 : view_append(&r->detail, "Service %s of %s%s%s\n", key->service,
	                               in->names[key->from], *key->partition ? ", partition " : "",
	                               key->partition);
	char why[JOIN_PROBLEM_MAX];

	for (size_t i = 0; i < n && rc == 0; i++) {
		const struct join_export *e = &v[i];
		if (!join_partition_eq(e->partition, key->partition))
			continue;
		if (join_export_problem(e, why, sizeof why) && !*no_gateway) {
			*no_gateway = r->problem = true;
			free(r->reason);
			r->reason = NULL;
			rc |= view_append(&r->reason, "%s of %s", why, in->names[e->from]);
			if (detail)
				rc |= view_append(&r->detail, "Problem: %s\n", why);
		}
		if (problem(e)) {
			r->problem = true;
			if (!*r->reason) {
				free(r->reason);
				r->reason = NULL;
				rc |= view_append(
				        &r->reason, "%s from %s to %s: %s", e->service,
				        in->names[e->from], e->peer,
				        e->state == JOIN_CELL_OK
				                ? "imported, but no intention allows calls"
				                : state_text(e->state));
			}
		}
		if (detail) {
			char to[160];
			rc |= view_append(
			        &r->detail, "%-16s %-12s %s%s, %u of %u instances healthy; %s\n",
			        e->peer, importer(in, e, to, sizeof to), state_text(e->state),
			        e->wildcard ? " (through \"*\")" : "", e->healthy, e->instances,
			        join_intent_name(e->intent));
		}
		/* Put together without formats: a dozen of them a row at 64
		 * clusters, each appended with a format and a realloc, were a
		 * quarter of the pane's work. */
		if (e->to == JOIN_NONE || e->to >= k) {
			if (elsewhere->n)
				model_text_put(elsewhere, ", ");
			model_text_put(elsewhere, e->peer);
			model_text_put(elsewhere, ": ");
			model_text_put(elsewhere, state_text(e->state));
		}
	}
	return elsewhere->nomem ? -1 : rc;
}

static int key_row(struct view_row *r, const struct key *key, const struct view_input *in,
                   struct matrix *m)
{
	size_t k = shown_clusters(in), ncols = E_FIXED + k + 2;
	char id[VIEW_ID_MAX];
	struct model_text elsewhere = {0};
	bool no_gateway = false;
	int rc;

	if (*key->partition)
		snprintf(id, sizeof id, "%s/%s/%s", in->names[key->from], key->partition,
		         key->service);
	else
		snprintf(id, sizeof id, "%s/%s", in->names[key->from], key->service);
	if (view_row_init(r, id, ncols) < 0)
		return -1;
	bool detail = view_want_detail(in, VIEW_EXPORTS, id);
	r->target.a = key->from;
	snprintf(r->target.a_partition, sizeof r->target.a_partition, "%s", key->partition);
	snprintf(r->target.service, sizeof r->target.service, "%s", key->service);
	rc = view_cell_set(r, E_SERVICE, THEME_ACCENT, "%s", key->service);
	rc |= view_cell_set(r, E_FROM, THEME_NORMAL, "%s", in->names[key->from]);
	rc |= view_cell_set(r, E_PART, THEME_NORMAL, "%s",
	                    view_partition_text(in->snaps[key->from], key->partition, in->ascii));
	matrix_row(m, in, key);
	for (size_t i = 0; i < k && rc == 0; i++) {
		if (i == key->from)
			rc = view_cell_set(r, E_FIXED + i, THEME_DIM, "(here)");
		else
			rc = matrix_cell(r, E_FIXED + i, in, m, key, i, detail);
	}
	if (rc == 0)
		rc = row_exports(r, in, key, &elsewhere, &no_gateway, detail);
	rc |= view_cell_set(r, E_FIXED + k, THEME_WARN, "%s",
	                    r->problem ? (in->ascii ? "!" : "\u26a0") : "");
	rc |= view_cell_set(r, E_FIXED + k + 1, elsewhere.n ? THEME_WARN : THEME_DIM, "%s",
	                    elsewhere.n ? elsewhere.s : "");
	free(elsewhere.s);
	if (no_gateway)
		r->cells[E_PART].role = THEME_BAD;
	if (!view_any_enterprise(in))
		view_row_drop_cell(r, E_PART);
	return rc < 0 ? -1 : 0;
}

static int exports_rows(const struct view_input *in, struct view_row **rows, size_t *n)
{
	struct keys k = {0};
	struct matrix m = {0};
	struct view_row *v = NULL;
	size_t made = 0, others;

	*rows = NULL;
	*n = 0;
	if (collect(in, &k, &others) < 0 || matrix_make(in, &m) < 0 ||
	    !(v = calloc(k.n + 1, sizeof *v)))
		goto fail;
	for (; made < k.n; made++)
		if (key_row(&v[made], &k.v[made], in, &m) < 0) {
			view_row_clear(&v[made]);
			goto fail;
		}
	if (others && others_row(&v[made++], others, in) < 0) {
		view_row_clear(&v[--made]);
		goto fail;
	}
	matrix_free(&m);
	free(k.v);
	*rows = v;
	*n = made;
	return 0;
fail:
	view_rows_free(v, made);
	matrix_free(&m);
	free(k.v);
	return -1;
}

/* The rows come from the join's exports, and from the lists its cache keys
 * them on (the services, the intentions, the pairs' ends): the same while
 * the join reused its exports and every cluster runs the same edition (an
 * Enterprise cluster's partitions are shown). A row's detail reads more:
 * the traffic path of each cell (path.c) follows the peerings' states, the
 * gateway modes, peering through the mesh gateways and the dialer's server
 * addresses, which the exports are not keyed on. While a detail is wanted
 * the pane has no key: rebuilt at each review, one row's detail at most
 * when a row is shown. */
static uint64_t exports_key(const struct view_input *in)
{
	uint64_t k;

	if (!in->join || !in->join->exports_gen)
		return 0;
	if (!in->detail_id || (in->detail_pane == VIEW_EXPORTS && *in->detail_id))
		return 0;
	k = in->join->exports_gen;
	for (size_t i = 0; i < in->n; i++) {
		const struct store_snapshot *s = in->snaps[i];
		bool ent = s && s->has_identity && s->identity->enterprise;
		k = k * 1099511628211ull + (ent ? 2 : 1);
	}
	return k ? k : 1;
}

const struct view_pane_ops view_pane_exports = {
        .id = VIEW_EXPORTS,
        .title = "Exported services",
        .tab = "Exports",
        .columns = exports_columns,
        .rows = exports_rows,
        .columns_for = exports_columns_for,
        .empty = "no services",
        .key = exports_key,
};
