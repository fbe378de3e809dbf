/* Clusters pane: one row per configured cluster, what it runs and whether
 * it meets the requirements of cluster peering. */
#include "autoconfig.h"

#include "pane.h"

#include "peerscope/redact.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
	C_NAME,
	C_CONTEXT,
	C_K8S,
	C_CONSUL,
	C_VERSION,
	C_DC,
	C_PART,
	C_LEADER,
	C_GATEWAYS,
	C_MODE,
	C_PTMG,
	C_PREREQS,
	C_COUNT
};

static const struct view_column columns[C_COUNT] = {
        [C_NAME] = {"NAME", 12, false},
        [C_CONTEXT] = {"CONTEXT", 12, false, true},
        [C_K8S] = {"K8S", 10, false},
        [C_CONSUL] = {"CONSUL", 12, false},
        [C_VERSION] = {"VERSION", 8, false},
        [C_DC] = {"DC", 8, false},
        [C_LEADER] = {"LEADER", 6, false},
        [C_GATEWAYS] = {"GATEWAYS", 8, false},
        [C_MODE] = {"MODE", 7, false},
        [C_PTMG] = {"PTMG", 4, false},
        /* PREREQS: its count and verdict come first, cut at the end, so the
         * check named after them gives way before the other columns do. */
        [C_PREREQS] = {"PREREQS", 20, true, true},
        [C_PART] = {"PARTITION", 14, false, true},
};

/* The PARTITION column only when some cluster is Enterprise. */
static void clusters_columns_for(const struct view_input *in, struct view_table *t)
{
	view_columns_without(t, columns, C_COUNT, view_any_enterprise(in) ? C_COUNT : C_PART);
}

/* The partitions read: "default, team-a", "all: 3", or the token's own. */
static int partition_cell(struct view_row *r, const struct store_snapshot *s, bool ascii)
{
	const char *none = ascii ? "-" : "\u2014";
	char *list = NULL;
	int rc = 0;

	if (!s->has_identity || !s->identity->enterprise)
		return view_cell_set(r, C_PART, THEME_DIM, "%s", none);
	if (s->partitions->n == 0)
		return view_cell_set(r, C_PART, THEME_NORMAL, "%s",
		                     *s->identity->partition ? s->identity->partition : "default");
	for (size_t i = 0; i < s->partitions->n && rc == 0; i++)
		rc = view_append(&list, "%s%s", i ? "," : "", s->partitions->v[i]);
	if (rc == 0)
		rc = view_cell_set(r, C_PART, THEME_NORMAL, "%s", list);
	free(list);
	return rc;
}

static const struct view_column *clusters_columns(size_t *n)
{
	*n = C_COUNT;
	return columns;
}

/* What a cluster's row takes from the checks, found for every cluster in
 * one pass over the report: each row scanned every result three times (for
 * its worst verdict, the first check with it, and the version check), and
 * a report has a result for each check of each pair (64 clusters with 640
 * pairs: some 5,800 results, most of the cost of the clusters pane, which
 * each review of new stream times builds again). */
struct verdicts {
	enum preflight_verdict worst;         /* PREFLIGHT_SKIP: no check */
	unsigned n;                           /* how many have it */
	const struct preflight_result *first; /* the first with it */
	bool version_fails;                   /* consul-version fails: the version cell is marked */
	bool version_seen;
};

static struct verdicts *verdicts_make(const struct view_input *in)
{
	struct verdicts *t = calloc(in->n ? in->n : 1, sizeof *t);

	if (!t)
		return NULL;
	for (size_t i = 0; i < in->n; i++)
		t[i].worst = PREFLIGHT_SKIP;
	for (size_t i = 0; in->checks && i < in->checks->n; i++) {
		const struct preflight_result *x = &in->checks->v[i];
		struct verdicts *v = x->cluster < in->n ? &t[x->cluster] : NULL;
		if (!v || x->check->scope != PREFLIGHT_CLUSTER)
			continue;
		if (x->verdict > v->worst) {
			v->worst = x->verdict;
			v->n = 0;
			v->first = NULL;
		}
		if (x->verdict == v->worst && v->n++ == 0)
			v->first = x;
		if (!v->version_seen && !strcmp(x->check->id, "consul-version")) {
			v->version_seen = true;
			v->version_fails = x->verdict == PREFLIGHT_FAIL;
		}
	}
	return t;
}

/* Sources of a reachable side whose last fetch failed; the first one's
 * error in *error. */
static unsigned failing(const struct store_snapshot *s, bool kube, const char **error)
{
	unsigned n = 0;

	for (int i = 0; i < STORE_SRC_COUNT; i++) {
		const struct store_source *src = &s->sources[i];
		if (!src->enabled || store_src_is_kube((enum store_src)i) != kube ||
		    src->failures == 0)
			continue;
		if (n++ == 0)
			*error = src->last_error;
	}
	return n;
}

static bool any_answer(const struct store_snapshot *s, bool kube)
{
	for (int i = 0; i < STORE_SRC_COUNT; i++)
		if (s->sources[i].enabled && store_src_is_kube((enum store_src)i) == kube &&
		    s->sources[i].state != MODEL_SOURCE_UNKNOWN)
			return true;
	return false;
}

static int reach_cell(struct view_row *r, size_t col, const struct store_snapshot *s, bool kube,
                      const struct view_input *in)
{
	char age[16];
	int64_t stale = store_side_stale_age_ms(s, kube, in->now_ns);
	bool reachable = kube ? s->kube_reachable : s->consul_reachable;
	const char *how = kube ? "" : s->consul_via_proxy ? " (proxy)" : " (direct)";

	if (kube && !s->kube_configured)
		return view_cell_set(r, col, THEME_DIM, "%s", in->ascii ? "-" : "\u2014");
	if (stale >= 0)
		return view_cell_set(r, col, THEME_BAD, "STALE %s",
		                     view_age(stale, in->ascii, age, sizeof age));
	if (!any_answer(s, kube) && s->exec_plugin[0])
		return view_cell_set(r, col, THEME_WARN, "plugin %s", s->exec_plugin);
	if (!any_answer(s, kube))
		return view_cell_set(r, col, THEME_DIM, "waiting");
	if (reachable) {
		/* It answers, but some of what it answers are errors (a 503, a
		 * 403): say how many sources fail; the detail has their errors. */
		const char *error = "";
		unsigned n = failing(s, kube, &error);
		if (n)
			return view_cell_set(r, col, THEME_WARN, "%u failing%s", n, how);
		return view_cell_set(r, col, THEME_OK, "ok%s", how);
	}
	return view_cell_set(r, col, THEME_BAD, "down");
}

static const struct join_gateways *gateways_of(const struct view_input *in, size_t cluster)
{
	for (size_t i = 0; in->join && i < in->join->ngateways; i++)
		if (in->join->gateways[i].cluster == cluster)
			return &in->join->gateways[i];
	return NULL;
}

static enum theme_role verdict_role(enum preflight_verdict v)
{
	switch (v) {
	case PREFLIGHT_FAIL:
		return THEME_BAD;
	case PREFLIGHT_WARN:
		return THEME_WARN;
	case PREFLIGHT_UNKNOWN:
		return THEME_DIM;
	default:
		return THEME_OK;
	}
}

/* The prerequisites column: "ok", or the worst verdict with how many have
 * it, and for a fail or a warn the first such check ("2 fail:
 * controllers-ready +1"); a fail or warn is the row's problem, its first
 * check the reason. */
static int prereqs(struct view_row *r, const struct verdicts *v)
{
	enum preflight_verdict w = v->worst;
	const struct preflight_result *first = v->first;
	char more[16] = "";

	if (w <= PREFLIGHT_OK)
		return view_cell_set(r, C_PREREQS, THEME_OK, "ok");
	if (w == PREFLIGHT_UNKNOWN)
		return view_cell_set(r, C_PREREQS, verdict_role(w), "%u %s", v->n,
		                     preflight_verdict_name(w));
	if (v->n > 1)
		snprintf(more, sizeof more, " +%u", v->n - 1);
	if (view_cell_set(r, C_PREREQS, verdict_role(w), "%u %s: %s%s", v->n,
	                  preflight_verdict_name(w), first->check->id, more) < 0)
		return -1;
	r->problem = true;
	free(r->reason);
	r->reason = NULL;
	return view_append(&r->reason, "%s %s: %s (Enter: every check)", preflight_verdict_name(w),
	                   first->check->id, first->evidence);
}

static int identity_cells(struct view_row *r, const struct store_snapshot *s,
                          const struct view_input *in, const struct verdicts *v)
{
	const char *none = in->ascii ? "-" : "\u2014";
	const struct model_cluster_identity *id = s->identity;

	if (!s->has_identity)
		return view_cell_set(r, C_VERSION, THEME_DIM, "%s", none) |
		       view_cell_set(r, C_DC, THEME_DIM, "%s", none) |
		       view_cell_set(r, C_LEADER, THEME_DIM, "%s", none);
	return view_cell_set(r, C_VERSION, v->version_fails ? THEME_BAD : THEME_NORMAL, "%s",
	                     *id->version ? id->version : none) |
	       view_cell_set(r, C_DC, THEME_NORMAL, "%s", *id->datacenter ? id->datacenter : none) |
	       view_cell_set(r, C_LEADER, *id->leader ? THEME_OK : THEME_BAD, "%s",
	                     *id->leader ? "yes" : "no");
}

static int gateway_cells(struct view_row *r, const struct join_gateways *g, bool ascii)
{
	const char *none = ascii ? "-" : "\u2014";
	const char *mode;
	enum theme_role role;

	if (!g)
		return view_cell_set(r, C_GATEWAYS, THEME_DIM, "%s", none) |
		       view_cell_set(r, C_MODE, THEME_DIM, "%s", none) |
		       view_cell_set(r, C_PTMG, THEME_DIM, "%s", none);
	role = g->total == 0 || g->healthy == 0 ? THEME_BAD
	       : g->healthy < g->total          ? THEME_WARN
	                                        : THEME_OK;
	mode = g->mode == MODEL_MGW_DEFAULT ? "remote" : model_mgw_mode_name(g->mode);
	return view_cell_set(r, C_GATEWAYS, role, "%u/%u", g->healthy, g->total) |
	       view_cell_set(r, C_MODE,
	                     g->mode == MODEL_MGW_NONE || g->mode == MODEL_MGW_INVALID ? THEME_BAD
	                     : g->mode_source == JOIN_MODE_DEFAULT                     ? THEME_DIM
	                                                           : THEME_NORMAL,
	                     "%s", mode) |
	       view_cell_set(r, C_PTMG, g->peer_through_mesh_gateways ? THEME_OK : THEME_DIM, "%s",
	                     g->peer_through_mesh_gateways ? "yes" : "no");
}

/* Appends TEXT after LEAD, cut into lines of at most WRAP columns at
 * spaces, the lines after the first indented like it. */
#define WRAP 78
static int wrapped(char **d, const char *lead, const char *text)
{
	int rc = view_append(d, "%s", lead);
	size_t col = strlen(lead), indent = col;

	while (*text && rc == 0) {
		size_t word = strcspn(text, " ");
		if (col > indent && col + 1 + word > WRAP) {
			rc |= view_append(d, "\n%*s", (int)indent, "");
			col = indent;
		} else if (col > indent) {
			rc |= view_append(d, " ");
			col++;
		}
		rc |= view_append(d, "%.*s", (int)word, text);
		col += word;
		text += word;
		text += strspn(text, " ");
	}
	return rc | view_append(d, "\n");
}

/* Every check of the cluster, worst first: verdict, title, evidence, fix. */
static int checks_detail(char **d, const struct view_input *in, size_t cluster)
{
	int rc = 0;
	unsigned count[PREFLIGHT_VERDICT_COUNT] = {0};

	for (size_t i = 0; in->checks && i < in->checks->n; i++)
		if (in->checks->v[i].cluster == cluster &&
		    in->checks->v[i].check->scope == PREFLIGHT_CLUSTER)
			count[in->checks->v[i].verdict]++;
	rc |= view_append(d, "\nCHECKS  %u fail, %u warn, %u unknown, %u ok, %u skip\n",
	                  count[PREFLIGHT_FAIL], count[PREFLIGHT_WARN], count[PREFLIGHT_UNKNOWN],
	                  count[PREFLIGHT_OK], count[PREFLIGHT_SKIP]);
	for (int v = PREFLIGHT_FAIL; v >= PREFLIGHT_SKIP; v--)
		for (size_t i = 0; in->checks && i < in->checks->n; i++) {
			const struct preflight_result *x = &in->checks->v[i];
			char lead[64];
			if (x->cluster != cluster || x->check->scope != PREFLIGHT_CLUSTER ||
			    x->verdict != (enum preflight_verdict)v)
				continue;
			rc |= view_append(d, "%-8s%s  (%s)\n", preflight_verdict_name(x->verdict),
			                  x->check->id, x->check->title);
			rc |= wrapped(d, "        ", x->evidence);
			if (*x->fix && x->verdict != PREFLIGHT_OK && x->verdict != PREFLIGHT_SKIP) {
				snprintf(lead, sizeof lead, "        fix: ");
				rc |= wrapped(d, lead, x->fix);
			}
		}
	return rc;
}

/* The detail: identity, every source with its freshness and error, then
 * every check. */
static int cluster_detail(struct view_row *r, const struct store_snapshot *s,
                          const struct view_input *in)
{
	char *d = NULL, age[16];
	int rc = 0;

	rc |= view_append(&d, "Cluster %s\n", s->name);
	if (s->exec_plugin[0])
		rc |= view_append(&d, "Connecting: waiting for the exec credential plugin '%s'\n",
		                  s->exec_plugin);
	rc |= view_append(&d, "kube context    %s\n", *s->context ? s->context : "(none)");
	char shown[512];
	redact_url(s->consul_address, shown, sizeof shown);
	rc |= view_append(&d, "Consul          %s\n", *shown ? shown : "through the service proxy");
	if (s->has_identity)
		rc |= view_append(&d, "version %s  datacenter %s  node %s  leader %s%s\n",
		                  s->identity->version, s->identity->datacenter,
		                  s->identity->node_name,
		                  *s->identity->leader ? s->identity->leader : "(none)",
		                  s->identity->enterprise ? "  enterprise" : "");
	if (s->partitions->n) {
		rc |= view_append(&d, "partitions     ");
		for (size_t i = 0; i < s->partitions->n; i++)
			rc |= view_append(&d, " %s", s->partitions->v[i]);
		rc |= view_append(&d, "\n");
	}
	rc |= view_append(&d,
	                  "\nSOURCE                 STATE        AGE    FAILURES  LAST ERROR\n");
	for (int i = 0; i < STORE_SRC_COUNT; i++) {
		const struct store_source *src = &s->sources[i];
		if (!src->enabled)
			continue;
		rc |= view_append(&d, "%-22s %-12s %-6s %-9u %s\n",
		                  store_src_name((enum store_src)i),
		                  model_source_state_name(src->state),
		                  view_age(store_source_age_ms(s, (enum store_src)i, in->now_ns),
		                           in->ascii, age, sizeof age),
		                  src->failures, src->last_error);
	}
	rc |= checks_detail(&d, in, s->index);
	if (rc < 0) {
		free(d);
		return -1;
	}
	free(r->detail);
	r->detail = d;
	return 0;
}

/* The reason line of a cluster that is stale or has failing sources. */
static int source_reason(struct view_row *r, const struct store_snapshot *s)
{
	const char *error = "";
	unsigned n = failing(s, false, &error);
	bool stale = store_side_stale(s, false) || store_side_stale(s, true);

	if (n == 0)
		n = failing(s, true, &error);
	if (!stale && n == 0)
		return 0;
	r->problem = true;
	free(r->reason);
	r->reason = NULL;
	return view_append(&r->reason, "%s%u source%s failing: %s (Enter for details)",
	                   stale ? "stale data; " : "", n, n == 1 ? "" : "s", error);
}

static int cluster_row(struct view_row *r, const struct view_input *in, size_t i,
                       const struct verdicts *v)
{
	const struct store_snapshot *s = in->snaps[i];
	const char *none = in->ascii ? "-" : "\u2014";
	const struct join_gateways *g;
	int rc;

	if (view_row_init(r, in->names[i], C_COUNT) < 0)
		return -1;
	r->target.a = i;
	rc = view_cell_set(r, C_NAME, THEME_ACCENT, "%s", in->names[i]);
	if (!s) {
		rc |= view_cell_set(r, C_CONTEXT, THEME_DIM, "%s", none);
		rc |= view_cell_set(r, C_K8S, THEME_DIM, "waiting");
		rc |= view_cell_set(r, C_CONSUL, THEME_DIM, "waiting");
		return rc < 0 ? -1 : 0;
	}
	g = gateways_of(in, i);
	if (g)
		r->target.ptmg = g->peer_through_mesh_gateways;
	rc |= view_cell_set(r, C_CONTEXT, *s->context ? THEME_NORMAL : THEME_DIM, "%s",
	                    *s->context ? s->context : none);
	rc |= reach_cell(r, C_K8S, s, true, in);
	rc |= reach_cell(r, C_CONSUL, s, false, in);
	rc |= identity_cells(r, s, in, v);
	rc |= partition_cell(r, s, in->ascii);
	rc |= gateway_cells(r, g, in->ascii);
	rc |= prereqs(r, v);
	if (view_want_detail(in, VIEW_CLUSTERS, r->id))
		rc |= cluster_detail(r, s, in);
	if (rc == 0 && !*r->reason)
		rc = source_reason(r, s);
	return rc < 0 ? -1 : 0;
}

static int clusters_rows(const struct view_input *in, struct view_row **rows, size_t *n)
{
	struct verdicts *t = verdicts_make(in);
	struct view_row *v = calloc(in->n ? in->n : 1, sizeof *v);
	size_t made = 0;
	bool ent = view_any_enterprise(in);

	*rows = NULL;
	*n = 0;
	if (!t || !v)
		goto fail;
	for (; made < in->n; made++) {
		if (cluster_row(&v[made], in, made, &t[made]) < 0) {
			view_row_clear(&v[made]);
			goto fail;
		}
		if (!ent)
			view_row_drop_cell(&v[made], C_PART);
	}
	free(t);
	*rows = v;
	*n = made;
	return 0;
fail:
	view_rows_free(v, made);
	free(t);
	return -1;
}

/* A review of new stream times (view_model_update_times()): a cluster's
 * row reads nothing of the streams' times, and its sources' states, its
 * other lists and its checks are those of the last review, so the rows
 * stand. But for a shown detail, whose sources' ages move, and a stale
 * side's age ("STALE 42s"), which the time moves: those are built again.
 * 0: kept; 1: build the pane again. */
static int clusters_clock(const struct view_input *in, struct view_table *t)
{
	if (t->nrows != in->n)
		return 1;
	for (size_t i = 0; i < t->nrows; i++) {
		const struct store_snapshot *s = in->snaps[i];
		if (view_want_detail(in, VIEW_CLUSTERS, t->rows[i].id) ||
		    (s && (store_side_stale(s, false) || store_side_stale(s, true))))
			return 1;
	}
	return 0;
}

const struct view_pane_ops view_pane_clusters = {
        .id = VIEW_CLUSTERS,
        .title = "Clusters",
        .tab = "Clusters",
        .columns = clusters_columns,
        .rows = clusters_rows,
        .columns_for = clusters_columns_for,
        .empty = "no clusters are configured",
        .clock = clusters_clock,
};
