/* Gateways pane: per cluster, its mesh gateway instances, the effective
 * mode and the peerings whose traffic they carry. */
#include "autoconfig.h"

#include "pane.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
	G_CLUSTER,
	G_PART,
	G_INSTANCE,
	G_WAN,
	G_HEALTH,
	G_MODE,
	G_PEERS,
	G_LAN,
	G_COUNT
};

static const struct view_column columns[G_COUNT] = {
        [G_CLUSTER] = {"CLUSTER", 12, false},    [G_INSTANCE] = {"INSTANCE", 18, false, true, true},
        [G_LAN] = {"LAN", 16, false, true},      [G_WAN] = {"WAN", 16, false},
        [G_HEALTH] = {"HEALTH", 8, false},       [G_MODE] = {"MODE", 24, false},
        [G_PEERS] = {"CARRIES", 12, true, true}, [G_PART] = {"PARTITION", 12, false},
};

static const struct view_column *gateways_columns(size_t *n)
{
	*n = G_COUNT;
	return columns;
}

/* The PARTITION column only when some cluster is Enterprise. */
static void gateways_columns_for(const struct view_input *in, struct view_table *t)
{
	view_columns_without(t, columns, G_COUNT, view_any_enterprise(in) ? G_COUNT : G_PART);
}

static enum theme_role health_role(enum model_health h)
{
	switch (h) {
	case MODEL_HEALTH_PASSING:
		return THEME_OK;
	case MODEL_HEALTH_WARNING:
		return THEME_WARN;
	case MODEL_HEALTH_UNKNOWN:
		return THEME_DIM;
	default:
		return THEME_BAD;
	}
}

static int address_cell(struct view_row *r, size_t col, const struct model_address *a, bool ascii)
{
	if (!*a->address)
		return view_cell_set(r, col, THEME_DIM, "%s", ascii ? "-" : "\u2014");
	return view_cell_set(r, col, THEME_NORMAL, "%s:%d", a->address, a->port);
}

/* The services whose effective mode differs from the cluster's, each with
 * where it comes from: "web: remote (service-defaults)", "web -> api
 * (peer p): local (upstream-override)"; SEP between them. */
static int service_modes(char **out, const struct store_snapshot *s, const struct join_gateways *g,
                         const char *sep, size_t max)
{
	size_t n = 0;
	int rc = 0;

	for (size_t i = 0; i < s->service_defaults->n && rc == 0; i++) {
		const struct model_service_defaults_entry *sd = &s->service_defaults->v[i];
		enum join_mode_source src;
		enum model_mgw_mode m = join_effective_mode(s, sd->head.name, NULL, NULL, &src);
		if (m != g->mode && n++ < max)
			rc = view_append(out, "%s%s: %s (%s)", *out ? sep : "", sd->head.name,
			                 model_mgw_mode_name(m), join_mode_source_name(src));
		for (size_t k = 0; k < sd->noverrides && rc == 0; k++) {
			const struct model_upstream_override *o = &sd->overrides[k];
			m = join_effective_mode(s, sd->head.name, o->name, o->peer, &src);
			if (m != g->mode && n++ < max)
				rc = view_append(out, "%s%s -> %s%s%s: %s (%s)", *out ? sep : "",
				                 sd->head.name, o->name,
				                 *o->peer ? " of peer " : "", o->peer,
				                 model_mgw_mode_name(m),
				                 join_mode_source_name(src));
		}
	}
	if (rc == 0 && n > max)
		rc = view_append(out, "%s+%zu more", sep, n - max);
	return rc;
}

/* Cells every row of a cluster shares: its name, mode and peers. */
static int common_cells(struct view_row *r, const struct join_gateways *g, const char *name,
                        const struct view_input *in)
{
	char *peers = NULL, *modes = NULL;
	int rc = 0;

	for (size_t i = 0; i < g->npeers && rc == 0; i++)
		rc = view_append(&peers, "%s%s", i ? ", " : "", g->peers[i]);
	if (rc < 0) {
		free(peers);
		return -1;
	}
	rc = view_cell_set(r, G_CLUSTER, THEME_ACCENT, "%s", name);
	r->target.ptmg = g->peer_through_mesh_gateways;
	if (in->snaps[g->cluster] && service_modes(&modes, in->snaps[g->cluster], g, ", ", 1) < 0)
		rc = -1;
	rc |= view_cell_set(
	        r, G_MODE,
	        g->mode == MODEL_MGW_NONE || g->mode == MODEL_MGW_INVALID ? THEME_BAD
	                                                                  : THEME_NORMAL,
	        "%s (%s)%s%s",
	        g->mode == MODEL_MGW_DEFAULT ? "remote" : model_mgw_mode_name(g->mode),
	        join_mode_source_name(g->mode_source), modes ? "; " : "", modes ? modes : "");
	free(modes);
	rc |= view_cell_set(r, G_PEERS, peers ? THEME_NORMAL : THEME_DIM, "%s",
	                    peers ? peers : "no peerings");
	free(peers);
	return rc;
}

/* What the detail of a cluster's gateway rows adds: the mode and where it
 * comes from, peering through gateways, and the traffic paths through the
 * cluster's gateways, in both directions. */
#define DETAIL_PATHS 4
static int gateway_detail(struct view_row *r, const struct join_gateways *g,
                          const struct view_input *in)
{
	const struct store_snapshot *s = in->snaps[g->cluster];
	char *modes = NULL;
	size_t shown = 0;
	int rc;

	rc = view_append(&r->detail, "\nMode %s (%s); peering through mesh gateways %s\n",
	                 g->mode == MODEL_MGW_DEFAULT ? "remote" : model_mgw_mode_name(g->mode),
	                 join_mode_source_name(g->mode_source),
	                 g->peer_through_mesh_gateways ? "on" : "off");
	if (rc == 0 && s && service_modes(&modes, s, g, "\n  ", 20) == 0 && modes)
		rc = view_append(&r->detail, "Services with a mode of their own:\n  %s\n", modes);
	free(modes);
	for (size_t i = 0; rc == 0 && in->join && i < in->join->nexports; i++) {
		const struct join_export *e = &in->join->exports[i];
		if (e->to == JOIN_NONE || (e->from != g->cluster && e->to != g->cluster) ||
		    !join_partition_eq(e->partition, "")) /* paths: the default partition's */
			continue;
		if (shown++ == DETAIL_PATHS) {
			rc = view_append(&r->detail,
			                 "\n(more in the exports pane: Enter on a cell)\n");
			break;
		}
		rc = view_append(&r->detail, "\n");
		if (rc == 0)
			rc = view_path(in, e->from, e->to, e->service, e->peer, &r->detail);
	}
	return rc;
}

static int instance_row(struct view_row *r, const struct join_gateways *g, const char *name,
                        const struct model_service_instance *gi, const struct view_input *in)
{
	bool ascii = in->ascii;
	char id[VIEW_ID_MAX];
	int rc;

	snprintf(id, sizeof id, "%s/%s", name, gi->service_id);
	if (view_row_init(r, id, G_COUNT) < 0)
		return -1;
	r->target.a = g->cluster;
	snprintf(r->target.a_partition, sizeof r->target.a_partition, "%s",
	         gi->partition ? gi->partition : "");
	rc = common_cells(r, g, name, in);
	rc |= view_cell_set(r, G_INSTANCE, THEME_NORMAL, "%s", gi->service_id);
	rc |= view_cell_set(r, G_PART, THEME_NORMAL, "%s",
	                    view_partition_text(in->snaps[g->cluster], gi->partition, ascii));
	rc |= address_cell(r, G_LAN, &gi->lan, ascii);
	rc |= address_cell(r, G_WAN, &gi->wan, ascii);
	rc |= view_cell_set(r, G_HEALTH, health_role(gi->health), "%s",
	                    model_health_name(gi->health));
	r->problem = gi->health != MODEL_HEALTH_PASSING;
	if (rc == 0 && r->problem) {
		free(r->reason);
		r->reason = NULL;
		rc = view_append(&r->reason, "gateway %s on %s is %s", gi->service_id, name,
		                 model_health_name(gi->health));
	}
	if (rc == 0 && view_want_detail(in, VIEW_GATEWAYS, r->id))
		rc = view_append(&r->detail,
		                 "Mesh gateway %s on %s%s%s\nnode %s (%s)\nLAN %s:%d  WAN %s:%d\n"
		                 "health %s: %u passing, %u warning, %u critical\n",
		                 gi->service_id, name,
		                 gi->partition && *gi->partition ? ", partition " : "",
		                 gi->partition ? gi->partition : "", gi->node, gi->node_address,
		                 gi->lan.address, gi->lan.port, gi->wan.address, gi->wan.port,
		                 model_health_name(gi->health), gi->checks_passing,
		                 gi->checks_warning, gi->checks_critical);
	if (rc == 0 && view_want_detail(in, VIEW_GATEWAYS, r->id))
		rc = gateway_detail(r, g, in);
	return rc < 0 ? -1 : 0;
}

static int empty_row(struct view_row *r, const struct join_gateways *g, const char *name,
                     const struct view_input *in)
{
	bool ascii = in->ascii;
	char id[VIEW_ID_MAX];
	int rc;

	snprintf(id, sizeof id, "%s/", name);
	if (view_row_init(r, id, G_COUNT) < 0)
		return -1;
	r->target.a = g->cluster;
	rc = common_cells(r, g, name, in);
	rc |= view_cell_set(r, G_INSTANCE, THEME_BAD, "no mesh gateway");
	rc |= view_cell_set(r, G_LAN, THEME_DIM, "%s", ascii ? "-" : "\u2014");
	rc |= view_cell_set(r, G_WAN, THEME_DIM, "%s", ascii ? "-" : "\u2014");
	r->problem = true;
	free(r->reason);
	r->reason = NULL;
	rc |= view_append(&r->reason, "%s has no registered mesh gateway: peering needs one", name);
	if (rc != 0 || !view_want_detail(in, VIEW_GATEWAYS, r->id))
		return rc < 0 ? -1 : 0;
	rc = view_append(&r->detail, "%s has no registered mesh gateway\n", name);
	if (rc == 0)
		rc = gateway_detail(r, g, in);
	return rc < 0 ? -1 : 0;
}

/* Consul Enterprise: partition PART of the cluster exports services (the
 * exports EX[0..n) that need it) but has no mesh gateway registered in it,
 * as the specification requires. */
static int partition_row(struct view_row *r, const struct join_gateways *g, const char *name,
                         const struct join_export *ex, size_t n, const struct view_input *in)
{
	char id[VIEW_ID_MAX];
	const char *part = *ex[0].partition ? ex[0].partition : "default";
	int rc;

	snprintf(id, sizeof id, "%s/partition/%s", name, part);
	if (view_row_init(r, id, G_COUNT) < 0)
		return -1;
	r->target.a = g->cluster;
	snprintf(r->target.a_partition, sizeof r->target.a_partition, "%s", part);
	rc = common_cells(r, g, name, in);
	rc |= view_cell_set(r, G_PART, THEME_BAD, "%s", part);
	rc |= view_cell_set(r, G_INSTANCE, THEME_BAD, "no mesh gateway");
	rc |= view_cell_set(r, G_LAN, THEME_DIM, "%s", in->ascii ? "-" : "\u2014");
	rc |= view_cell_set(r, G_WAN, THEME_DIM, "%s", in->ascii ? "-" : "\u2014");
	r->problem = true;
	free(r->reason);
	r->reason = NULL;
	rc |= view_append(&r->reason,
	                  "no mesh gateway in partition %s of %s, which exports %s: Consul "
	                  "Enterprise needs one there",
	                  part, name, ex[0].service);
	if (rc != 0 || !view_want_detail(in, VIEW_GATEWAYS, r->id))
		return rc < 0 ? -1 : 0;
	rc |= view_append(
	        &r->detail,
	        "Partition %s of %s has no mesh gateway registered.\n"
	        "Consul Enterprise needs the mesh gateway registered in the same partition "
	        "as the exported services and their exported-services entry.\n"
	        "Exported from it:\n",
	        part, name);
	for (size_t i = 0; i < n && rc == 0; i++)
		if (ex[i].no_partition_gateway && ex[i].from == g->cluster &&
		    join_partition_eq(ex[i].partition, ex[0].partition))
			rc |= view_append(&r->detail, "  %s to %s\n", ex[i].service, ex[i].peer);
	rc |= view_append(&r->detail,
	                  "fix: deploy a mesh gateway in partition %s (consul-k8s "
	                  "with global.adminPartitions.name: %s and meshGateway.enabled)\n",
	                  part, part);
	return rc < 0 ? -1 : 0;
}

/* Whether BROKEN[B], one of the exports with the rule broken (their
 * indexes in the join's order), is cluster C's first of its partition. */
static bool first_of_partition(const struct join_view *j, const size_t *broken, size_t b, size_t c)
{
	const struct join_export *x = &j->exports[broken[b]];

	if (x->from != c)
		return false;
	for (size_t k = 0; k < b; k++)
		if (j->exports[broken[k]].from == c &&
		    join_partition_eq(j->exports[broken[k]].partition, x->partition))
			return false;
	return true;
}

static int gateways_rows(const struct view_input *in, struct view_row **rows, size_t *n)
{
	size_t count = 0, k = 0, nbroken = 0, *broken;
	struct view_row *v;

	*rows = NULL;
	*n = 0;
	for (size_t i = 0; in->join && i < in->join->ngateways; i++)
		count += in->join->gateways[i].total ? in->join->gateways[i].total : 1;
	/* A partition row comes from an export with the rule broken (none on
	 * CE): room for one per such export, not one per export, which made
	 * this block some 1 MB at 8 x 2,000 at every review. */
	for (size_t i = 0; in->join && i < in->join->nexports; i++)
		nbroken += in->join->exports[i].no_partition_gateway;
	count += nbroken;
	/* Those exports, listed once: looked for among every export for each
	 * gateway's cluster, they were most of the pane's work at 64 clusters
	 * (12,800 exports, none of them with the rule broken on CE). */
	broken = malloc((nbroken ? nbroken : 1) * sizeof *broken);
	v = calloc(count ? count : 1, sizeof *v);
	if (!v || !broken) {
		free(broken);
		free(v);
		return -1;
	}
	nbroken = 0;
	for (size_t i = 0; in->join && i < in->join->nexports; i++)
		if (in->join->exports[i].no_partition_gateway)
			broken[nbroken++] = i;
	for (size_t i = 0; in->join && i < in->join->ngateways; i++) {
		const struct join_gateways *g = &in->join->gateways[i];
		const char *name = in->names[g->cluster];
		int rc = 0;

		if (g->total == 0 || !g->instances)
			rc = empty_row(&v[k++], g, name, in);
		for (size_t j = 0; rc == 0 && g->instances && j < g->instances->n && k < count; j++)
			rc = instance_row(&v[k++], g, name, &g->instances->v[j], in);
		for (size_t b = 0; rc == 0 && b < nbroken && k < count; b++)
			if (first_of_partition(in->join, broken, b, g->cluster))
				rc = partition_row(&v[k++], g, name, &in->join->exports[broken[b]],
				                   in->join->nexports - broken[b], in);
		if (rc < 0) {
			free(broken);
			view_rows_free(v, k);
			return -1;
		}
	}
	free(broken);
	if (!view_any_enterprise(in))
		for (size_t i = 0; i < k; i++)
			view_row_drop_cell(&v[i], G_PART);
	/* Room was made for a partition row per export with the rule broken;
	 * a partition has one, and the rows stay while the pane shows them. */
	if (k < count) {
		struct view_row *fit = realloc(v, (k ? k : 1) * sizeof *v);
		if (fit)
			v = fit;
	}
	*rows = v;
	*n = k;
	return 0;
}

const struct view_pane_ops view_pane_gateways = {
        .id = VIEW_GATEWAYS,
        .title = "Mesh gateways",
        .tab = "Gateways",
        .columns = gateways_columns,
        .rows = gateways_rows,
        .columns_for = gateways_columns_for,
        .empty = "no gateway data yet",
        .timeless = true,
};
