/* meshui: the mesh operations from the dashboard. The selection says what
 * they act on: a cluster (clusters and gateways panes), a service of a
 * cluster or one cell of the exports matrix (a service and a peer); a key
 * on a cell exports or unexports it, allows or denies it, as it stands. A
 * gateway's row and an exported service's carry their admin partition
 * (Consul Enterprise): the operation acts in it. The
 * gateway mode has a small dialog (local or remote, and an optional
 * service). The plan, its confirmation with the diff, and the progress are
 * opsui's. */
#include "autoconfig.h"

#include "ui_internal.h"

#include "peerscope/session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *name_of(const struct ui *u, size_t i)
{
	return i < u->opt->nclusters ? u->opt->names[i] : "?";
}

static bool writable(const struct ui *u, size_t i)
{
	return u->opt->session && session_writable(u->opt->session, i);
}

/* The request on CLUSTER in PARTITION (a row's; NULL or "": none named). */
static struct ops_request request(const struct ui *u, enum ops_kind kind, size_t cluster,
                                  const char *partition)
{
	struct ops_request req = {.kind = kind, .wait_ms = u->opt->wait_ms};

	snprintf(req.a, sizeof req.a, "%s", name_of(u, cluster));
	if (u->vm.enterprise && partition)
		snprintf(req.partition, sizeof req.partition, "%.63s", partition);
	return req;
}

/* The cluster's peerThroughMeshGateways as the clusters pane shows it. */
static int ptmg_of(const struct ui *u, size_t cluster)
{
	const struct view_table *t = &u->vm.table[VIEW_CLUSTERS];

	for (size_t i = 0; i < t->nrows; i++)
		if (t->rows[i].target.a == cluster)
			return t->rows[i].target.ptmg;
	return -1;
}

/* ------------------------------------------------------------ mode dialog */

struct mode_pick {
	size_t cluster;
	int cursor; /* 0 local, 1 remote */
	bool on_service;
	char service[OPS_SERVICE_MAX];
	char partition[OPS_NAME_MAX]; /* the row's, "" none */
};

static void mode_draw(struct ui *u, struct ui_overlay *o)
{
	struct mode_pick *p = o->data;
	static const char *const modes[2] = {
	        "local  (calls leave through this cluster's gateway)",
	        "remote (straight to the peer's gateway; the default)"};
	char title[200], line[400];
	int w = COLS < 72 ? COLS : 72, y;
	struct ui_rect in;

	snprintf(title, sizeof title, "Mesh gateway mode of %s%s%s", name_of(u, p->cluster),
	         *p->partition ? "/" : "", p->partition);
	ui_draw_dialog(u, 8, w, title, &in);
	y = in.y;
	for (int i = 0; i < 2; i++, y++) {
		snprintf(line, sizeof line, "%s %s", i == p->cursor ? ">" : " ", modes[i]);
		ui_draw_put(u, y, in.x, in.w, line,
		            i == p->cursor && !p->on_service ? THEME_SELECTED : THEME_DIALOG);
	}
	snprintf(line, sizeof line, "Service  %s%s", p->service,
	         p->service[0] || p->on_service ? "" : "(none: every service of the cluster)");
	y++;
	int used = ui_draw_put(u, y, in.x, in.w, line, p->on_service ? THEME_INPUT : THEME_DIALOG);
	if (p->on_service) {
		u->cursor_y = y;
		u->cursor_x = in.x + (int)strlen("Service  ") + (int)strlen(p->service);
		(void)used;
	}
	ui_draw_put(u, in.y + in.h - 1, in.x, in.w,
	            "Enter: plan   Up/Down: choose   Tab: service   Esc: cancel", THEME_DIM);
}

static unsigned mode_key(struct ui *u, struct ui_overlay *o, int r, wint_t wc, enum action_id id)
{
	struct mode_pick *p = o->data;
	bool is_key = r == KEY_CODE_YES;

	if (!is_key && wc == 27) {
		ui_overlay_pop(u);
		return UI_REDRAW;
	}
	if ((!is_key && (wc == '\n' || wc == '\r')) || (is_key && wc == KEY_ENTER)) {
		struct ops_request req = request(u, OPS_GATEWAY_MODE, p->cluster, p->partition);
		snprintf(req.value, sizeof req.value, "%s", p->cursor ? "remote" : "local");
		snprintf(req.service, sizeof req.service, "%s", p->service);
		return ui_ops_ask(u, &req);
	}
	if ((!is_key && wc == '\t') || (is_key && wc == KEY_BTAB)) {
		p->on_service = !p->on_service;
		return UI_REDRAW;
	}
	if (p->on_service)
		return ui_overlay_edit(p->service, sizeof p->service, r, wc) ? UI_REDRAW : 0;
	if (id == ACTION_UP || (is_key && wc == KEY_UP) || id == ACTION_DOWN ||
	    (is_key && wc == KEY_DOWN)) {
		p->cursor = !p->cursor;
		return UI_REDRAW;
	}
	return 0;
}

static const struct ui_overlay_ops mode_ops = {
        .name = "gateway-mode",
        .draw = mode_draw,
        .key = mode_key,
        .chooser = true,
};

static unsigned mode_pick(struct ui *u, size_t cluster, const char *service, const char *partition)
{
	struct mode_pick *p = calloc(1, sizeof *p);

	if (!p)
		return ui_say(u, true, "out of memory");
	p->cluster = cluster;
	if (u->vm.enterprise && partition)
		snprintf(p->partition, sizeof p->partition, "%.63s", partition);
	snprintf(p->service, sizeof p->service, "%s", service ? service : "");
	return ui_overlay_push(u, &mode_ops, p);
}

/* ------------------------------------------------------------ the selection */

/* A key on a cell: export or unexport it, allow or deny it, as it stands. */
static unsigned cell_action(struct ui *u, enum ops_kind kind, const struct view_row *r,
                            const struct view_cell_target *c)
{
	if (!c)
		return ui_say(u, true,
		              "select a cell in a peer's column (Left/Right) to %s a service for "
		              "it",
		              ops_kind_name(kind));
	/* In the partition of the exported service. */
	struct ops_request req =
	        request(u, kind, r->target.a, *c->partition ? c->partition : r->target.a_partition);
	if (kind == OPS_EXPORT && c->exported)
		req.kind = OPS_UNEXPORT;
	else if (kind == OPS_ALLOW && c->allowed)
		req.kind = OPS_DENY;
	snprintf(req.service, sizeof req.service, "%s", r->target.service);
	snprintf(req.peer, sizeof req.peer, "%s", c->peer);
	return ui_ops_ask(u, &req);
}

static unsigned cluster_mesh(struct ui *u, enum ops_kind kind, size_t cluster, const char *service,
                             const char *partition)
{
	struct ops_request req = request(u, kind, cluster, partition);

	if (kind == OPS_GATEWAY_MODE)
		return mode_pick(u, cluster, service, partition);
	snprintf(req.value, sizeof req.value, "%s", ptmg_of(u, cluster) == 1 ? "off" : "on");
	return ui_ops_ask(u, &req);
}

unsigned ui_mesh_action(struct ui *u, enum ops_kind kind)
{
	const struct view_table *t = ui_focused(u);
	const struct view_row *r = view_table_selected(t);
	bool on_cluster = kind == OPS_GATEWAY_MODE || kind == OPS_PEER_THROUGH_GATEWAYS;

	if (!r || r->target.a == VIEW_NO_CLUSTER || u->focus == VIEW_PEERINGS)
		return ui_say(u, true,
		              "select a cluster (1) or a cell of the exports pane (4), or :%s",
		              ops_kind_name(kind));
	if (!writable(u, r->target.a))
		return ui_say(u, true, "%s is read-only: peerscope changes nothing there",
		              name_of(u, r->target.a));
	if (on_cluster)
		return cluster_mesh(u, kind, r->target.a,
		                    u->focus == VIEW_EXPORTS ? r->target.service : NULL,
		                    r->target.a_partition);
	if (u->focus != VIEW_EXPORTS)
		return ui_say(u, true, "%s acts on a cell of the exports matrix: focus it (4)",
		              ops_kind_name(kind));
	return cell_action(u, kind, r, view_table_cell(t));
}

/* ------------------------------------------------------------ commands */

unsigned ui_mesh_start(struct ui *u, enum ops_kind kind, const char *arg)
{
	struct ops_request req = {.kind = kind, .wait_ms = u->opt->wait_ms};
	char w[5][OPS_SERVICE_MAX] = {"", "", "", "", ""};
	int got = sscanf(arg, "%255s %255s %255s %255s %255s", w[0], w[1], w[2], w[3], w[4]), n = 0;

	/* The words, and --partition P anywhere among them, as on the command
	 * line. */
	for (int i = 0; i < got; i++) {
		if (!strcmp(w[i], "--partition") && i + 1 < got)
			snprintf(req.partition, sizeof req.partition, "%.63s", w[++i]);
		else if (w[i][0] == '-')
			return ui_say(u, true, "':%s' takes --partition P and no other flag",
			              ops_kind_name(kind));
		else if (n != i)
			memmove(w[n++], w[i], sizeof w[0]);
		else
			n++;
	}
	snprintf(req.a, sizeof req.a, "%.63s", w[0]);
	switch (kind) {
	case OPS_GATEWAY_MODE:
		if (n < 2 || n > 3)
			return ui_say(u, true,
			              "':gateway-mode' needs CLUSTER local|remote [SERVICE]");
		snprintf(req.value, sizeof req.value, "%.15s", w[1]);
		snprintf(req.service, sizeof req.service, "%s", w[2]);
		break;
	case OPS_PEER_THROUGH_GATEWAYS:
		if (n != 2)
			return ui_say(u, true, "':peer-through-gateways' needs CLUSTER on|off");
		snprintf(req.value, sizeof req.value, "%.15s", w[1]);
		break;
	default:
		if (n != 3)
			return ui_say(u, true, "':%s' needs CLUSTER SERVICE PEER",
			              ops_kind_name(kind));
		snprintf(req.service, sizeof req.service, "%s", w[1]);
		snprintf(req.peer, sizeof req.peer, "%.63s", w[2]);
		break;
	}
	return ui_ops_ask(u, &req);
}
