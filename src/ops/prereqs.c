/* ops prereqs: the pre-step of every plan. The prerequisites checks
 * (preflight.h) that guard the operation run on the two clusters' newest
 * snapshots, from the session's pollers when they run or read fresh when
 * not (ops_env.snapshots); a fail refuses the plan with the check's id,
 * evidence and fix, a warn becomes a plan note, and so does the fail of a
 * check that only warns the operation (unpeer with the controllers down:
 * the deletions are recorded and finish when they run again). */
#include "autoconfig.h"

#include "ops_internal.h"

#include "peerscope/join.h"
#include "peerscope/preflight.h"
#include "peerscope/store.h"

#include <stdio.h>
#include <string.h>

/* How long the plan waits for every source of the two clusters to answer
 * (a cluster that does not answer leaves its checks unknown). */
#define PREREQS_WAIT_MS 10000L

/* Which checks guard an operation, and about which of its clusters. */
static const struct {
	unsigned gates;
	bool a, b; /* the acceptor's, the dialer's cluster checks */
} guard[OPS_KIND_COUNT] = {
        [OPS_PEER] = {PREFLIGHT_GATE_PEER, true, true},
        [OPS_ACCEPTOR] = {PREFLIGHT_GATE_PEER, true, false},
        [OPS_EXCHANGE] = {PREFLIGHT_GATE_PEER, true, true},
        [OPS_DIALER] = {PREFLIGHT_GATE_PEER, false, true},
        [OPS_REGENERATE] = {PREFLIGHT_GATE_PEER, true, true},
        [OPS_UNPEER] = {PREFLIGHT_GATE_UNPEER, true, true},
        /* The mesh operations act on one cluster, A; allow and deny only
         * need its controllers (controllers-ready). */
        [OPS_GATEWAY_MODE] = {PREFLIGHT_GATE_MODE, true, false},
        [OPS_PEER_THROUGH_GATEWAYS] = {PREFLIGHT_GATE_MESH, true, false},
        [OPS_EXPORT] = {PREFLIGHT_GATE_EXPORT, true, false},
        [OPS_UNEXPORT] = {PREFLIGHT_GATE_EXPORT, true, false},
        [OPS_ALLOW] = {PREFLIGHT_GATE_INTENTIONS, true, false},
        [OPS_DENY] = {PREFLIGHT_GATE_INTENTIONS, true, false},
};

/* Checks of what the operations themselves repair: the dialer's token
 * Secret is what exchange, regenerate and peer write; the mode is what
 * gateway-mode writes (and its own rules judge). */
static bool repaired(const struct preflight_check *c, enum ops_kind kind)
{
	return !strcmp(c->id, "dialer-secret") ||
	       (kind == OPS_GATEWAY_MODE &&
	        (!strcmp(c->id, "mode-none") || !strcmp(c->id, "mode-local-gateway")));
}

/* Checks whose fail no write of the cluster's consul-k8s resources gets
 * past: the connect-injector's webhooks refuse them, and no controller
 * would act on them. */
static bool stops_writes(const struct preflight_check *c)
{
	return !strcmp(c->id, "controllers-ready");
}

/* The result is about the operation: a cluster check of a guarded side, or
 * a check of the pair of the two clusters (snapshot 0 is A, 1 is B). */
static bool concerns(const struct preflight_result *x, enum ops_kind kind)
{
	if (!((x->check->gates | x->check->warns) & guard[kind].gates) || repaired(x->check, kind))
		return false;
	if (x->check->scope == PREFLIGHT_PAIR)
		return x->other != PREFLIGHT_NONE && x->cluster != x->other;
	return (x->cluster == 0 && guard[kind].a) || (x->cluster == 1 && guard[kind].b);
}

static void refuse(struct run *r, const struct preflight_result *x)
{
	ops_refuse(r, OPS_REFUSE_RULE, x->fix, "prerequisite %s fails on %.100s: %.500s",
	           x->check->id, x->subject, x->evidence);
}

/* Judges the report: the first fail refuses, warns and unknowns are
 * noted. */
static void judge(struct run *r, const struct preflight_report *rep)
{
	enum ops_kind kind = r->def->kind;
	char unknown[384] = "";
	size_t nunknown = 0, nok = 0;

	for (size_t i = 0; i < rep->n; i++) {
		const struct preflight_result *x = &rep->v[i];
		if (!concerns(x, kind))
			continue;
		switch (x->verdict) {
		case PREFLIGHT_FAIL:
			if (x->check->warns & guard[kind].gates) {
				ops_plan_note(r, "prerequisite %s fails on %s: %s", x->check->id,
				              x->subject, x->evidence);
				ops_plan_note(r, "%s goes ahead, but %s (fix: %s)",
				              ops_kind_name(kind), x->check->warns_why, x->fix);
				break;
			}
			/* A mesh operation's rules are its own steps' (peerscope-
			 * rules(7)): what the checks find is a warning, unless none
			 * of its writes could take effect. */
			if (ops_kind_is_mesh(kind) && !stops_writes(x->check)) {
				ops_plan_note(r,
				              "warning: prerequisite %s fails on %s: %s (fix: %s)",
				              x->check->id, x->subject, x->evidence, x->fix);
				break;
			}
			refuse(r, x);
			return;
		case PREFLIGHT_WARN:
			ops_plan_note(r, "prerequisite %s warns on %s: %s (fix: %s)", x->check->id,
			              x->subject, x->evidence, x->fix);
			break;
		case PREFLIGHT_UNKNOWN: {
			size_t used = strlen(unknown);
			if (used < sizeof unknown - 1)
				snprintf(unknown + used, sizeof unknown - used, "%s%s on %s",
				         nunknown ? ", " : "", x->check->id, x->subject);
			nunknown++;
			break;
		}
		case PREFLIGHT_OK:
			nok++;
			break;
		default:
			break;
		}
	}
	if (nunknown)
		ops_plan_note(r, "prerequisites not known (peerscope check shows why): %s",
		              unknown);
	else if (nok)
		ops_plan_note(r, "prerequisites: %zu checks ok", nok);
}

/* Reads the plan's clusters once: A, and B unless the operation has one
 * cluster. */
static void read_snaps(struct run *r)
{
	const struct ops_env *env = r->env;
	size_t n = r->b.c && !ops_kind_is_mesh(r->def->kind) ? 2 : 1;
	const char *names[2];

	if (r->snaps_read || !r->planning || !r->a.c)
		return;
	r->snaps_read = true;
	if (!env->snapshots)
		return;
	names[0] = r->a.c->name;
	names[1] = n == 2 ? r->b.c->name : "";
	for (size_t i = 0; i < n; i++)
		snprintf(r->snap_names[i], sizeof r->snap_names[i], "%s", names[i]);
	env->snapshots(env->ctx, names, n, PREREQS_WAIT_MS, r->cancel, r->snaps);
}

const struct store_snapshot *ops_snapshot(struct run *r, const char *name)
{
	read_snaps(r);
	for (size_t i = 0; i < 2; i++)
		if (r->snaps[i] && !strcmp(r->snap_names[i], name))
			return r->snaps[i];
	return NULL;
}

bool ops_snapshots_all(struct run *r, struct store_snapshot **out)
{
	const struct ops_env *env = r->env;

	if (!env->snapshots || !env->n)
		return false;
	env->snapshots(env->ctx, env->names, env->n, PREREQS_WAIT_MS, r->cancel, out);
	return true;
}

void ops_snapshots_release(struct run *r)
{
	for (size_t i = 0; i < 2; i++) {
		store_snapshot_unref(r->snaps[i]);
		r->snaps[i] = NULL;
	}
	r->snaps_read = false;
}

int ops_prereqs(struct run *r)
{
	const struct ops_env *env = r->env;
	/* A mesh operation changes one cluster. */
	size_t n = r->b.c && !ops_kind_is_mesh(r->def->kind) ? 2 : 1;
	const char *names[2] = {r->a.c->name, n == 2 ? r->b.c->name : ""};
	const struct store_snapshot *cs[2] = {NULL, NULL};
	struct preflight_report rep = {0};
	struct join_view v;
	int64_t now = store_now_ns();
	int rc = -1;

	if (!env->snapshots || !guard[r->def->kind].gates)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!(cs[i] = ops_snapshot(r, names[i])))
			ops_plan_note(r, "prerequisites of %s not checked: nothing was read",
			              names[i]);
	if (join_build(cs, n, now, NULL, &v) != 0)
		return -1;
	struct preflight_input in = {cs, n, &v, NULL, now, NULL};
	if (preflight_run(&in, &rep) == 0) {
		judge(r, &rep);
		rc = 0;
	}
	preflight_report_free(&rep);
	join_view_free(&v);
	return rc;
}
