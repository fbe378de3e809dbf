/* Peerings pane: one row per peering pair, both ends joined. */
#include "autoconfig.h"

#include "pane.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
	P_A,
	P_B,
	P_PART,
	P_STATE_A,
	P_CR_A,
	P_STATE_B,
	P_CR_B,
	P_HB,
	P_AB,
	P_BA,
	P_MARK,
	P_PROBLEM,
	P_COUNT
};

static const struct view_column columns[P_COUNT] = {
        [P_A] = {"A", 12, false},
        [P_B] = {"B", 12, false},
        [P_PART] = {"PARTITION", 16, false, true},
        [P_STATE_A] = {"STATE A", 12, false},
        [P_CR_A] = {"CR A", 9, false},
        [P_STATE_B] = {"STATE B", 12, false},
        [P_CR_B] = {"CR B", 9, false},
        [P_HB] = {"HB", 4, false},
        [P_AB] = {"A>B", 5, false},
        [P_BA] = {"B>A", 5, false},
        [P_MARK] = {"", 1, false},
        [P_PROBLEM] = {"PROBLEM", 20, true, true},
};

static const struct view_column *peerings_columns(size_t *n)
{
	*n = P_COUNT;
	return columns;
}

/* The PARTITION column only when some cluster is Enterprise. */
static void peerings_columns_for(const struct view_input *in, struct view_table *t)
{
	view_columns_without(t, columns, P_COUNT, view_any_enterprise(in) ? P_COUNT : P_PART);
}

static const char *part_name(const struct join_end *e, bool ascii)
{
	return view_partition_text(e->snap, e->partition, ascii);
}

static const char *none(bool ascii)
{
	return ascii ? "-" : "\u2014";
}

static const char *end_name(const struct join_end *e, const struct join_pair *p)
{
	if (e->snap)
		return e->snap->name;
	/* One-sided: what the present end calls its peer. */
	return *p->remote_datacenter ? p->remote_datacenter : p->a.name;
}

static int state_cell(struct view_row *r, size_t col, const struct join_end *e, bool ascii)
{
	if (!e->peering && e->loading && e->cluster != JOIN_NONE)
		return view_cell_set(r, col, THEME_DIM, "loading");
	if (!e->peering)
		return view_cell_set(r, col, e->present ? THEME_WARN : THEME_DIM, "%s",
		                     e->present ? "no peering" : none(ascii));
	return view_cell_set(r, col, view_state_role(e->peering->state), "%s",
	                     model_peering_state_name(e->peering->state));
}

/* The controllers-ready check of cluster I when it fails: then nothing
 * reconciles that cluster's peering resources. */
static const struct preflight_result *controllers_down(const struct view_input *in, size_t i)
{
	for (size_t k = 0; in->checks && i != JOIN_NONE && k < in->checks->n; k++) {
		const struct preflight_result *x = &in->checks->v[k];
		if (x->cluster == i && x->check->scope == PREFLIGHT_CLUSTER &&
		    !strcmp(x->check->id, "controllers-ready"))
			return x->verdict == PREFLIGHT_FAIL ? x : NULL;
	}
	return NULL;
}

/* "acc ok", "dial fail", ...; "acc stale" when no controller runs on its
 * cluster: its status is what the controller last wrote. */
static int cr_cell(struct view_row *r, size_t col, const struct join_end *e,
                   const struct view_input *in)
{
	const char *kind;
	enum theme_role role;
	bool ascii = in->ascii;

	if (!e->cr)
		return view_cell_set(r, col, THEME_DIM, "%s", none(ascii));
	kind = e->cr->role == MODEL_PEERING_ACCEPTOR ? "acc" : "dial";
	if (controllers_down(in, e->cluster))
		return view_cell_set(r, col, THEME_WARN, "%s stale", kind);
	switch (e->cr->synced.status) {
	case MODEL_COND_TRUE:
		role = THEME_OK;
		break;
	case MODEL_COND_FALSE:
		role = THEME_BAD;
		break;
	default:
		role = THEME_WARN;
	}
	return view_cell_set(r, col, role, "%s %s", kind,
	                     e->cr->synced.status == MODEL_COND_TRUE    ? "ok"
	                     : e->cr->synced.status == MODEL_COND_FALSE ? "fail"
	                                                                : "?");
}

/* "exported by FROM / imported by TO", from each side's stream status. */
static int flow_cell(struct view_row *r, size_t col, const struct join_end *from,
                     const struct join_end *to, bool ascii)
{
	if (!from->peering && !to->peering)
		return view_cell_set(r, col, THEME_DIM, "%s", none(ascii));
	size_t exp = from->peering ? model_peering_exported_count(from->peering) : 0;
	size_t imp = to->peering ? model_peering_imported_count(to->peering) : 0;
	return view_cell_set(r, col, exp == imp || !to->peering ? THEME_NORMAL : THEME_WARN,
	                     "%zu/%zu", exp, imp);
}

static int64_t worst_heartbeat(const struct join_pair *p)
{
	int64_t a = p->a.heartbeat_age_ms, b = p->b.heartbeat_age_ms;

	return a > b ? a : b;
}

/* ------------------------------------------------------------ detail */

static void side_lines(const struct join_end *e, const struct join_pair *p, int line, bool ascii,
                       char *buf, size_t len)
{
	const struct model_peering *pe = e->peering;
	char a1[16], a2[16], a3[16];

	buf[0] = '\0';
	switch (line) {
	case 0:
		snprintf(buf, len, "%s%s%s (%s)", end_name(e, p),
		         *e->partition ? " partition " : "", e->partition,
		         e->acceptor ? "acceptor"
		         : e->dialer ? "dialer"
		                     : "role unknown");
		break;
	case 1:
		if (pe)
			snprintf(buf, len, "Consul peering  %s  %s", pe->name,
			         model_peering_state_name(pe->state));
		else
			snprintf(buf, len, "Consul peering  %s",
			         e->present ? "none yet" : "absent");
		break;
	case 2:
		if (pe)
			snprintf(buf, len, "ID %.8s%s  PeerID %.8s%s", pe->id,
			         ascii ? "." : "\u2026", *pe->peer_id ? pe->peer_id : "-",
			         ascii ? "." : "\u2026");
		break;
	case 3:
		if (pe && pe->has_stream_status)
			snprintf(buf, len, "heartbeat %s  receive %s  send %s",
			         view_age(e->heartbeat_age_ms, ascii, a1, sizeof a1),
			         view_age(pe->stream.last_receive_ns
			                          ? (e->snap->published_ns -
			                             pe->stream.last_receive_ns) /
			                                    1000000
			                          : -1,
			                  ascii, a2, sizeof a2),
			         view_age(pe->stream.last_send_ns ? (e->snap->published_ns -
			                                             pe->stream.last_send_ns) /
			                                                    1000000
			                                          : -1,
			                  ascii, a3, sizeof a3));
		break;
	case 4:
		if (pe)
			snprintf(buf, len, "imported %zu  exported %zu",
			         model_peering_imported_count(pe),
			         model_peering_exported_count(pe));
		break;
	case 5:
		if (e->cr)
			snprintf(buf, len, "CR %s/%s  Synced=%s%s%s",
			         e->cr->role == MODEL_PEERING_ACCEPTOR ? "PeeringAcceptor"
			                                               : "PeeringDialer",
			         e->cr->meta.name,
			         *model_cond_name(e->cr->synced.status)
			                 ? model_cond_name(e->cr->synced.status)
			                 : "unset",
			         *e->cr->synced.message ? " " : "", e->cr->synced.message);
		else
			snprintf(buf, len, "CR none");
		break;
	case 6:
		if (e->cr)
			snprintf(buf, len, "Secret %s (%s) %s", e->cr->spec_secret.name,
			         e->cr->spec_secret.key, e->secret ? "present" : "MISSING");
		break;
	default:
		break;
	}
}

/* The token's summary as the dialer's peering reports it: where it points,
 * never the secret. */
static int token_line(char **d, const struct join_pair *p)
{
	const struct join_end *dialer = p->a.dialer ? &p->a : p->b.dialer ? &p->b : NULL;
	const struct model_peering *pe = dialer ? dialer->peering : NULL;
	char addrs[256] = "";

	if (!pe || pe->peer_server_addresses.n == 0)
		return view_append(d, "Token: no dialer has used a token yet\n");
	for (size_t i = 0; i < pe->peer_server_addresses.n; i++) {
		size_t used = strlen(addrs);
		snprintf(addrs + used, sizeof addrs - used, "%s%s", i ? ", " : "",
		         pe->peer_server_addresses.v[i]);
	}
	return view_append(
	        d, "Token: %s -> %s (%s), remote datacenter %s\n",
	        *pe->peer_server_name ? pe->peer_server_name : "(no server name)", addrs,
	        model_token_target_name(model_token_target_guess(&pe->peer_server_addresses)),
	        pe->has_remote && *pe->remote.datacenter ? pe->remote.datacenter : "?");
}

/* The pair's checks, worst first, one line each with its fix under it. */
static int pair_checks(char **d, const struct view_input *in, const struct join_pair *p)
{
	int rc = 0;
	bool any = false;

	for (int v = PREFLIGHT_FAIL; v >= PREFLIGHT_SKIP && rc == 0; v--)
		for (size_t i = 0; in->checks && i < in->checks->n && rc == 0; i++) {
			const struct preflight_result *x = &in->checks->v[i];
			if (x->check->scope != PREFLIGHT_PAIR ||
			    x->verdict != (enum preflight_verdict)v || strcmp(x->subject, p->id))
				continue;
			if (!any)
				rc = view_append(d, "Checks:\n");
			any = true;
			rc |= view_append(d, "%-8s%s: %s\n", preflight_verdict_name(x->verdict),
			                  x->check->id, x->evidence);
			if (*x->fix && x->verdict != PREFLIGHT_OK && x->verdict != PREFLIGHT_SKIP)
				rc |= view_append(d, "        fix: %s\n", x->fix);
		}
	return rc;
}

static int pair_detail(struct view_row *r, const struct join_pair *p, const struct view_input *in)
{
	bool ascii = in->ascii;
	char *d = NULL, left[160], right[160];
	int rc;

	rc = view_append(&d, "%s %s %s\n", end_name(&p->a, p), ascii ? "<->" : "\u2194",
	                 end_name(&p->b, p));
	for (int line = 0; line < 7 && rc == 0; line++) {
		side_lines(&p->a, p, line, ascii, left, sizeof left);
		side_lines(&p->b, p, line, ascii, right, sizeof right);
		rc = view_append(&d, "%s\t%s\n", left, right);
	}
	if (rc == 0)
		rc = token_line(&d, p);
	if (rc == 0 && *p->problem)
		rc = view_append(&d, "Problem: %s\n", p->problem);
	if (rc == 0)
		rc = pair_checks(&d, in, p);
	if (rc < 0) {
		free(d);
		return -1;
	}
	free(r->detail);
	r->detail = d;
	return 0;
}

/* ------------------------------------------------------------ raw */

static void add_time(cJSON *o, const char *key, int64_t ns)
{
	char buf[40];

	if (ns)
		cJSON_AddStringToObject(o, key, model_time_format(ns, buf, sizeof buf));
	else
		cJSON_AddNullToObject(o, key);
}

static cJSON *strv_json(const struct model_strv *v)
{
	cJSON *a = cJSON_CreateArray();

	for (size_t i = 0; a && i < v->n; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(v->v[i]));
	return a;
}

/* The Consul peering object with Consul's field names, as decoded. */
static cJSON *peering_json(const struct model_peering *p)
{
	cJSON *o = cJSON_CreateObject(), *st, *rem;

	if (!o)
		return NULL;
	cJSON_AddStringToObject(o, "ID", p->id);
	cJSON_AddStringToObject(o, "Name", p->name);
	if (p->partition && *p->partition)
		cJSON_AddStringToObject(o, "Partition", p->partition);
	cJSON_AddStringToObject(o, "State", p->state_text);
	cJSON_AddStringToObject(o, "PeerID", p->peer_id);
	cJSON_AddStringToObject(o, "PeerServerName", p->peer_server_name);
	cJSON_AddItemToObject(o, "PeerServerAddresses", strv_json(&p->peer_server_addresses));
	if (p->has_stream_status && (st = cJSON_AddObjectToObject(o, "StreamStatus"))) {
		cJSON_AddItemToObject(st, "ImportedServices",
		                      strv_json(&p->stream.imported_services));
		cJSON_AddItemToObject(st, "ExportedServices",
		                      strv_json(&p->stream.exported_services));
		add_time(st, "LastHeartbeat", p->stream.last_heartbeat_ns);
		add_time(st, "LastReceive", p->stream.last_receive_ns);
		add_time(st, "LastSend", p->stream.last_send_ns);
	}
	if (p->has_remote && (rem = cJSON_AddObjectToObject(o, "Remote"))) {
		cJSON_AddStringToObject(rem, "Partition", p->remote.partition);
		cJSON_AddStringToObject(rem, "Datacenter", p->remote.datacenter);
	}
	cJSON_AddNumberToObject(o, "CreateIndex", (double)p->create_index);
	cJSON_AddNumberToObject(o, "ModifyIndex", (double)p->modify_index);
	return o;
}

static int yaml_str(char **d, int indent, const char *key, const char *value)
{
	return view_append(d, "%*s%s: \"%s\"\n", indent, "", key, value);
}

/* The custom resource as YAML, with the fields that were decoded. */
static int cr_yaml(char **d, const struct model_kube_peering *cr)
{
	int rc = view_append(d, "apiVersion: consul.hashicorp.com/v1alpha1\nkind: %s\nmetadata:\n",
	                     cr->role == MODEL_PEERING_ACCEPTOR ? "PeeringAcceptor"
	                                                        : "PeeringDialer");
	rc |= yaml_str(d, 2, "name", cr->meta.name);
	rc |= yaml_str(d, 2, "namespace", cr->meta.ns);
	rc |= yaml_str(d, 2, "resourceVersion", cr->meta.resource_version);
	rc |= view_append(d, "spec:\n  peer:\n    secret:\n");
	rc |= yaml_str(d, 6, "name", cr->spec_secret.name);
	rc |= yaml_str(d, 6, "key", cr->spec_secret.key);
	rc |= yaml_str(d, 6, "backend", cr->spec_secret.backend);
	if (!cr->has_status)
		return rc;
	rc |= view_append(d, "status:\n");
	if (cr->has_latest_version)
		rc |= view_append(d, "  latestPeeringVersion: %llu\n",
		                  (unsigned long long)cr->latest_version);
	rc |= view_append(d, "  conditions:\n  - type: Synced\n");
	rc |= yaml_str(d, 4, "status", model_cond_name(cr->synced.status));
	rc |= yaml_str(d, 4, "reason", cr->synced.reason);
	rc |= yaml_str(d, 4, "message", cr->synced.message);
	return rc;
}

static int raw_end(char **d, const struct join_end *e, const struct join_pair *p)
{
	int rc = view_append(d, "# %s: Consul peering (JSON)\n", end_name(e, p));

	if (e->peering) {
		cJSON *o = peering_json(e->peering);
		char *text = o ? cJSON_Print(o) : NULL;
		cJSON_Delete(o);
		if (!text)
			return -1;
		/* A space per level: a tab separates the detail's columns. */
		for (char *t = strchr(text, '\t'); t; t = strchr(t, '\t'))
			*t = ' ';
		rc |= view_append(d, "%s\n", text);
		cJSON_free(text);
	} else {
		rc |= view_append(d, "(none)\n");
	}
	rc |= view_append(d, "# %s: custom resource (YAML)\n", end_name(e, p));
	if (e->cr)
		rc |= cr_yaml(d, e->cr);
	else
		rc |= view_append(d, "(none)\n");
	return rc;
}

static int pair_raw(struct view_row *r, const struct join_pair *p)
{
	char *d = NULL;

	if (raw_end(&d, &p->a, p) < 0 || view_append(&d, "\n") < 0 || raw_end(&d, &p->b, p) < 0) {
		free(d);
		return -1;
	}
	free(r->raw);
	r->raw = d;
	return 0;
}

/* ------------------------------------------------------------ rows */

/* An end whose cluster runs no controller: its CR does not move, whatever
 * is asked of it. A healthy pair says so in PROBLEM; a pair with a problem
 * adds it to the reason, as why nothing moves. */
static int unreconciled(struct view_row *r, const struct join_pair *p, const struct view_input *in)
{
	const struct join_end *e = p->a.cr && controllers_down(in, p->a.cluster)   ? &p->a
	                           : p->b.cr && controllers_down(in, p->b.cluster) ? &p->b
	                                                                           : NULL;
	char text[200];

	if (!e)
		return 0;
	snprintf(text, sizeof text,
	         "the consul-k8s controllers on %s are not running: its %s is not reconciled",
	         e->snap->name,
	         e->cr->role == MODEL_PEERING_ACCEPTOR ? "PeeringAcceptor" : "PeeringDialer");
	r->problem = true;
	if (p->healthy) {
		free(r->reason);
		r->reason = NULL;
		if (view_cell_set(r, P_MARK, THEME_WARN, "%s", in->ascii ? "!" : "\u26a0") < 0 ||
		    view_cell_set(r, P_PROBLEM, THEME_WARN, "controllers down on %s",
		                  e->snap->name) < 0)
			return -1;
		return view_append(&r->reason, "%s (controllers-ready)", text);
	}
	return view_append(&r->reason, "; %s", text);
}

/* The heartbeat's age, cell I of R: every stream poll moves it. */
static int heartbeat_cell(struct view_row *r, size_t i, const struct join_pair *p, bool ascii)
{
	char age[16];
	int rc = view_cell_set_text(r, i,
	                            p->flags & JOIN_F_HEARTBEAT_STALE ? THEME_WARN : THEME_NORMAL,
	                            view_age(worst_heartbeat(p), ascii, age, sizeof age));

	if (rc == 0)
		r->cells[i].clock = true;
	return rc;
}

static int pair_row(struct view_row *r, const struct join_pair *p, const struct view_input *in)
{
	bool ascii = in->ascii;
	int rc;

	if (view_row_init(r, p->id, P_COUNT) < 0)
		return -1;
	rc = view_cell_set(r, P_A, THEME_ACCENT, "%s", end_name(&p->a, p));
	rc |= view_cell_set(r, P_B, p->b.snap ? THEME_ACCENT : THEME_DIM, "%s%s",
	                    end_name(&p->b, p), p->b.snap ? "" : "?");
	rc |= view_cell_set(r, P_PART, THEME_NORMAL, "%s %s %s", part_name(&p->a, ascii),
	                    ascii ? "<->" : "\u2194", p->b.snap ? part_name(&p->b, ascii) : "?");
	rc |= state_cell(r, P_STATE_A, &p->a, ascii);
	rc |= cr_cell(r, P_CR_A, &p->a, in);
	rc |= state_cell(r, P_STATE_B, &p->b, ascii);
	rc |= cr_cell(r, P_CR_B, &p->b, in);
	rc |= heartbeat_cell(r, P_HB, p, ascii);
	rc |= flow_cell(r, P_AB, &p->a, &p->b, ascii);
	rc |= flow_cell(r, P_BA, &p->b, &p->a, ascii);
	r->target.a = p->a.cluster;
	r->target.b = p->b.cluster;
	snprintf(r->target.a_partition, sizeof r->target.a_partition, "%s", p->a.partition);
	snprintf(r->target.b_partition, sizeof r->target.b_partition, "%s", p->b.partition);
	snprintf(r->target.a_peer, sizeof r->target.a_peer, "%s", p->a.name);
	snprintf(r->target.b_peer, sizeof r->target.b_peer, "%s", p->b.name);
	r->target.acceptor = p->a.acceptor || p->b.dialer   ? 0
	                     : p->b.acceptor || p->a.dialer ? 1
	                                                    : -1;
	/* A pair waiting for a cluster's data is not a problem (yet). */
	r->problem = !p->healthy && !(p->flags & JOIN_F_LOADING);
	rc |= view_cell_set(r, P_MARK, THEME_WARN, "%s", !r->problem ? "" : ascii ? "!" : "\u26a0");
	rc |= view_cell_set(r, P_PROBLEM, r->problem ? THEME_WARN : THEME_DIM, "%s", p->problem);
	if (rc < 0)
		return -1;
	free(r->reason);
	r->reason = strdup(p->problem);
	if (!r->reason || unreconciled(r, p, in) < 0)
		return -1;
	if (view_want_detail(in, VIEW_PEERINGS, r->id) &&
	    (pair_detail(r, p, in) < 0 || pair_raw(r, p) < 0))
		return -1;
	return 0;
}

static int pair_fill(struct view_row *r, const struct view_input *in, size_t i)
{
	if (pair_row(r, &in->join->pairs[i], in) < 0)
		return -1;
	if (!view_any_enterprise(in))
		view_row_drop_cell(r, P_PART);
	return 0;
}

static int peerings_rows(const struct view_input *in, struct view_row **rows, size_t *n)
{
	return view_rows_build(in, in->join ? in->join->npairs : 0, pair_fill, rows, n);
}

/* Only the times moved (view_model_update_times()): each row's heartbeat
 * cell again, and the row whose detail is wanted built again, its detail
 * and raw text showing the times. The rows must be the join's pairs, in
 * its order. */
static int peerings_clock(const struct view_input *in, struct view_table *t)
{
	if (!in->join || !in->detail_id || t->nrows != in->join->npairs)
		return 1;
	for (size_t i = 0; i < t->nrows; i++)
		if (strcmp(t->rows[i].id, in->join->pairs[i].id))
			return 1;
	bool whole = false; /* a row built again, not only its clock */

	for (size_t i = 0; i < t->nrows; i++) {
		struct view_row *r = &t->rows[i];
		if (view_want_detail(in, VIEW_PEERINGS, r->id)) {
			whole = true;
			struct view_row fresh = {0};
			if (pair_fill(&fresh, in, i) < 0) {
				view_row_clear(&fresh);
				return -1;
			}
			fresh.changed_ns = r->changed_ns;
			view_row_clear(r);
			*r = fresh;
			continue;
		}
		for (size_t c = 0; c < r->ncells; c++)
			if (r->cells[c].clock &&
			    heartbeat_cell(r, c, &in->join->pairs[i], in->ascii) < 0)
				return -1;
	}
	if (whole)
		view_table_touched(t);
	else
		view_table_clocks_touched(t);
	return 0;
}

const struct view_pane_ops view_pane_peerings = {
        .id = VIEW_PEERINGS,
        .title = "Peerings",
        .tab = "Peerings",
        .columns = peerings_columns,
        .rows = peerings_rows,
        .columns_for = peerings_columns_for,
        .empty = "no peerings yet",
        .clock = peerings_clock,
};
