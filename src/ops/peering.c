/* ops peering: the steps of making a peering, and the operations built
 * from them: acceptor, exchange, dialer, peer (all of them and the wait for
 * ACTIVE) and regenerate.
 *
 * How each side acts (doc/api-contract.md, consul-k8s's peering acceptor
 * and dialer controllers): on Kubernetes, peerscope writes the custom
 * resources and the dialer's Secret, and the controllers call Consul; on a
 * Consul-only cluster peerscope calls /v1/peering/token and
 * /v1/peering/establish itself and holds the token in memory only. */
#include "autoconfig.h"

#include "ops_secret.h"

#include "peerscope/monotime.h"
#include "peerscope/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* How long a regeneration waits for the dialer's controller to establish
 * again from the updated Secret before it bumps the dialer's version
 * annotation (a controller that did not see the Secret change). */
#define REDIAL_GRACE_MS 15000

static const char *ns_of(const struct side *sd)
{
	return sd->c->ns;
}

static const char *secret_name(const struct run *r)
{
	return r->plan->req.secret_name;
}

static const char *state_text(const struct model_peering *p)
{
	return model_peering_state_name(p->state);
}

/* ------------------------------------------------------------ shared reads */

/* The dialer's record points at the acceptor's: the peering is made (or
 * being made) with the current token. 1 yes, 0 no, -1 error in ERR. */
static int established(struct run *r, struct http_error *err)
{
	struct model_peering pa, pb;
	int ra = ops_read_peering(&r->a, &pa, err),
	    rb = ra < 0 ? -1 : ops_read_peering(&r->b, &pb, err);
	int rc = ra < 0 || rb < 0 ? -1 : 0;

	if (ra > 0 && rb > 0 && *pa.id && !strcmp(pb.peer_id, pa.id) && !ops_peering_dead(&pa) &&
	    (pb.state == MODEL_PEERING_ACTIVE || pb.state == MODEL_PEERING_ESTABLISHING))
		rc = 1;
	if (ra > 0)
		model_peering_clear(&pa);
	if (rb > 0)
		model_peering_clear(&pb);
	return rc;
}

static const struct model_kube_synced *synced(const struct kube_object *o)
{
	return &o->u.peering.synced;
}

static void synced_text(const struct kube_object *o, char *buf, size_t len)
{
	const struct model_kube_synced *s = synced(o);

	if (s->status == MODEL_COND_TRUE)
		snprintf(buf, len, "Synced=True");
	else if (s->status == MODEL_COND_FALSE)
		snprintf(buf, len, "Synced=False (%s): %s", s->reason, s->message);
	else
		snprintf(buf, len, "not Synced yet");
}

/* Synced=False written after the step began: the controller acted on what
 * this step did and failed (an older False may be one it is retrying). */
static bool synced_failed_now(const struct run *r, const struct kube_object *o)
{
	const struct model_kube_synced *sy = synced(o);

	return sy->status == MODEL_COND_FALSE && sy->last_transition_ns >= r->step_wall_ns;
}

/* ------------------------------------------------------------ check */

/* Before anything is written: both ends answer, the peering is not ACTIVE
 * on both ends already, and neither is being deleted. (Peering disabled in
 * the Helm values, and every other prerequisite, refuse the plan before
 * its steps: src/ops/prereqs.c.) */
static void check_title(struct run *r, struct ops_step *s)
{
	char a[160], b[160];

	snprintf(s->title, sizeof s->title, "check %s and %s", ops_side_label(&r->a, a, sizeof a),
	         ops_side_label(&r->b, b, sizeof b));
	s->cluster[0] = '\0';
}

static enum step_result side_check(struct run *r, struct ops_step *s, const struct side *sd,
                                   struct model_peering *p, int *have)
{
	struct http_error err = {0};

	*have = ops_read_peering(sd, p, &err);
	if (*have < 0)
		return ops_fail_http(r, s, sd, "read the peering", &err);
	if (*have > 0 && ops_peering_dead(p)) {
		char fix[256];
		snprintf(fix, sizeof fix,
		         "wait until Consul has removed it (peerscope unpeer %s %s finishes the "
		         "removal), then run this again",
		         r->a.c->name, r->b.c->name);
		return ops_fail(r, s, fix, "the peering %s on %s is %s", sd->peer, sd->c->name,
		                state_text(p));
	}
	return STEP_ALREADY;
}

static enum step_result check_check(struct run *r, struct ops_step *s)
{
	struct model_peering pa = {0}, pb = {0};
	int ha = 0, hb = 0;
	enum step_result res = side_check(r, s, &r->a, &pa, &ha);

	if (res != STEP_FAIL && r->def->kind != OPS_ACCEPTOR)
		res = side_check(r, s, &r->b, &pb, &hb);
	if (res != STEP_FAIL && ha > 0 && hb > 0 && pa.state == MODEL_PEERING_ACTIVE &&
	    pb.state == MODEL_PEERING_ACTIVE && r->def->kind == OPS_PEER) {
		const struct ops_request *q = &r->plan->req;
		char fix[384], la[160], lb[160];
		snprintf(fix, sizeof fix,
		         "nothing to do: the peerings pane shows it (:peering %s); peerscope "
		         "regenerate %s %s%s%.63s%s%.63s makes a new token",
		         r->b.c->name, r->a.c->name, r->b.c->name,
		         *q->partition ? " --partition " : "", q->partition,
		         *q->dialer_partition ? " --dialer-partition " : "", q->dialer_partition);
		res = ops_fail(r, s, fix, "%s and %s are peered already: ACTIVE on both ends",
		               ops_side_label(&r->a, la, sizeof la),
		               ops_side_label(&r->b, lb, sizeof lb));
	}
	if (ha > 0)
		model_peering_clear(&pa);
	if (hb > 0)
		model_peering_clear(&pb);
	if (res == STEP_FAIL)
		return res;
	if (r->def->kind == OPS_ACCEPTOR)
		ops_note(s, "%s answers", r->a.c->name);
	else
		ops_note(s, "both answer");
	return STEP_ALREADY;
}

static const struct step_def step_check = {check_title, check_check, NULL};

/* ------------------------------------------------------------ acceptor */

static void acceptor_title(struct run *r, struct ops_step *s)
{
	char on[160];

	if (r->a.kube)
		snprintf(s->title, sizeof s->title, "PeeringAcceptor %s on %s", r->a.peer,
		         r->a.c->name);
	else
		snprintf(s->title, sizeof s->title, "peering token for %s on %s", r->a.peer,
		         ops_side_label(&r->a, on, sizeof on));
	snprintf(s->cluster, sizeof s->cluster, "%s", r->a.c->name);
}

/* Who else uses Secret NAME on side SD: the custom resource (of the CRs in
 * L) that names it other than OWN, or a Secret of that name that is not a
 * peering token. 1 with *USER set (NULL: not a peering's), 0 free, -1
 * error. */
static int secret_user(const struct side *sd, const struct kube_list *l, const char *own,
                       const char *name, const char **user, struct http_error *err)
{
	struct ops_secret sec;
	int rc;

	*user = NULL;
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->items[i].u.peering.spec_secret.name, name) &&
		    strcmp(l->items[i].u.peering.meta.name, own)) {
			*user = l->items[i].u.peering.meta.name;
			return 1;
		}
	if (ops_secret_read(sd, name, &sec, err) < 0)
		return -1;
	/* A token Secret nobody else reads may be written again. */
	rc = sec.exists && !sec.token_label;
	ops_secret_clear(&sec);
	return rc;
}

/* The token Secret's name, free on both sides: the requested one, or (for
 * the default name) the first variant that no other acceptor of A and no
 * other dialer of B reads, and that is not a Secret of something else. The
 * copy on B has the same name as on A, so a name another peering's dialer
 * reads on B would replace that peering's token. consul-k8s's webhook also
 * refuses an acceptor whose Secret another acceptor of the namespace uses.
 * ON_A: A's side is checked too (a Kubernetes acceptor). */
static enum step_result pick_secret(struct run *r, struct ops_step *s, bool on_a)
{
	struct ops_request *q = &r->plan->req;
	struct kube_list la = {0}, lb = {0};
	struct http_error err = {0};
	char base[OPS_SECRET_NAME_MAX], name[OPS_SECRET_NAME_MAX];
	enum step_result res = STEP_TODO;
	const struct side *where = NULL;
	const char *user = NULL;

	if (on_a &&
	    kube_list(r->a.c->kube, KUBE_PEERING_ACCEPTOR, ns_of(&r->a), NULL, &la, &err) < 0)
		return ops_fail_http(r, s, &r->a, "list the PeeringAcceptors", &err);
	if (r->b.kube &&
	    kube_list(r->b.c->kube, KUBE_PEERING_DIALER, ns_of(&r->b), NULL, &lb, &err) < 0) {
		kube_list_clear(&la);
		return ops_fail_http(r, s, &r->b, "list the PeeringDialers", &err);
	}
	snprintf(base, sizeof base, "%s", q->secret_name);
	for (int n = 1; n < 100; n++) {
		int ta = 0, tb = 0;

		if (n == 1)
			snprintf(name, sizeof name, "%s", base);
		else
			snprintf(name, sizeof name, "%.240s-%d", base, n);
		if (on_a && (ta = secret_user(&r->a, &la, r->a.peer, name, &user, &err)) < 0) {
			res = ops_fail_http(r, s, &r->a, "read the Secrets", &err);
			goto out;
		}
		if (!ta && r->b.kube &&
		    (tb = secret_user(&r->b, &lb, r->b.peer, name, &user, &err)) < 0) {
			res = ops_fail_http(r, s, &r->b, "read the Secrets", &err);
			goto out;
		}
		if (!ta && !tb) {
			if (n > 1)
				ops_plan_note(r, "Secret %s is in use on %s: the token goes to %s",
				              base, where->c->name, name);
			snprintf(q->secret_name, sizeof q->secret_name, "%s", name);
			goto out;
		}
		if (n == 1)
			where = ta ? &r->a : &r->b;
		if (r->secret_chosen) {
			res = ops_fail(r, s, "choose another name with --secret-name",
			               "Secret %s on %s is in use%s%s%s", name, where->c->name,
			               !user ? " by something other than a peering"
			               : ta  ? " by PeeringAcceptor "
			                     : " by PeeringDialer ",
			               user ? user : "", user ? ", another peering" : "");
			goto out;
		}
	}
	res = ops_fail(r, s, "choose a name with --secret-name", "no free Secret name for %s",
	               base);
out:
	kube_list_clear(&la);
	kube_list_clear(&lb);
	return res;
}

static enum step_result acceptor_check_kube(struct run *r, struct ops_step *s)
{
	struct ops_request *q = &r->plan->req;
	struct http_error err = {0};
	struct kube_object o;
	char sy[512], *body, why[256];
	int have = ops_read_cr(&r->a, KUBE_PEERING_ACCEPTOR, &o, &err);

	if (have < 0)
		return ops_fail_http(r, s, &r->a, "read the PeeringAcceptor", &err);
	if (have > 0) {
		enum step_result res = STEP_ALREADY;
		synced_text(&o, sy, sizeof sy);
		if (o.u.peering.meta.deleting_ns)
			res = ops_fail(r, s, "wait until it is gone, then run this again",
			               "PeeringAcceptor %s on %s is being deleted", r->a.peer,
			               r->a.c->name);
		else if (strcmp(o.u.peering.spec_secret.name, q->secret_name))
			/* The existing acceptor's Secret is the one to move. */
			snprintf(q->secret_name, sizeof q->secret_name, "%s",
			         o.u.peering.spec_secret.name);
		if (res == STEP_ALREADY)
			ops_note(s, "exists (%s), token Secret %s", sy, q->secret_name);
		kube_object_clear(&o);
		return res;
	}
	enum step_result res = pick_secret(r, s, true);
	if (res != STEP_TODO)
		return res;
	ops_note(s, "create, token Secret %s (key %s)", q->secret_name, OPS_TOKEN_KEY);
	body = kube_body_peering(MODEL_PEERING_ACCEPTOR, ns_of(&r->a), r->a.peer, q->secret_name,
	                         OPS_TOKEN_KEY, why, sizeof why);
	ops_plan_change(r, &r->a, body, "create PeeringAcceptor %s/%s", ns_of(&r->a), r->a.peer);
	free(body);
	return STEP_TODO;
}

static enum step_result acceptor_check_consul(struct run *r, struct ops_step *s)
{
	struct http_error err = {0};
	int made = established(r, &err);

	if (made < 0)
		return ops_fail_http(r, s, &r->a, "read the peerings", &err);
	if (made > 0 && r->def->kind != OPS_ACCEPTOR) {
		ops_note(s, "%s dialed this peering already: no new token", r->b.c->name);
		return STEP_ALREADY;
	}
	ops_note(s, "POST /v1/peering/token (the token stays in memory)");
	char body[160];
	snprintf(body, sizeof body, "{\"PeerName\": \"%s\"}", r->a.peer);
	ops_plan_change(r, &r->a, body, "POST /v1/peering/token");
	return STEP_TODO;
}

static enum step_result acceptor_check(struct run *r, struct ops_step *s)
{
	return r->a.kube ? acceptor_check_kube(r, s) : acceptor_check_consul(r, s);
}

static enum step_result acceptor_act(struct run *r, struct ops_step *s)
{
	struct http_error err = {0};
	char why[256], *body;
	bool created;

	if (!r->a.kube) {
		if (ops_consul_token(r, &r->a, &err) < 0)
			return ops_fail_http(r, s, &r->a, "generate a peering token", &err);
		ops_note(s, "token generated (kept in memory)");
		return STEP_OK;
	}
	body = kube_body_peering(MODEL_PEERING_ACCEPTOR, ns_of(&r->a), r->a.peer, secret_name(r),
	                         OPS_TOKEN_KEY, why, sizeof why);
	if (!body)
		return ops_fail(r, s, "", "PeeringAcceptor %s: %s", r->a.peer, why);
	int rc = ops_kube_create(r, &r->a, KUBE_PEERING_ACCEPTOR, r->a.peer, body, &created, &err);
	free(body);
	if (rc < 0)
		return ops_fail_http(r, s, &r->a, "create the PeeringAcceptor", &err);
	ops_note(s, created ? "created" : "exists (made meanwhile)");
	return STEP_OK;
}

static const struct step_def step_acceptor = {acceptor_title, acceptor_check, acceptor_act};

/* ------------------------------------------------------------ token */

static void token_title(struct run *r, struct ops_step *s)
{
	if (r->a.kube)
		snprintf(s->title, sizeof s->title, "token Secret %s written by the controller",
		         secret_name(r));
	else
		snprintf(s->title, sizeof s->title, "token held in memory (Consul-only %s)",
		         r->a.c->name);
	snprintf(s->cluster, sizeof s->cluster, "%s", r->a.c->name);
}

/* 1: the acceptor is Synced and its Secret holds the token (and, in a
 * regeneration, a newer one); 0 not yet; -1 failed. */
static int token_ready(struct run *r, struct ops_step *s, char *seen, size_t len)
{
	struct http_error err = {0};
	struct kube_object o;
	struct ops_secret sec;
	int have = ops_read_cr(&r->a, KUBE_PEERING_ACCEPTOR, &o, &err), rc = 0;
	char sy[512];

	if (have < 0)
		return ops_wait_read_failed(r, s, &r->a, "read the PeeringAcceptor", &err, seen,
		                            len);
	if (have == 0) {
		snprintf(seen, len, "PeeringAcceptor %s is gone", r->a.peer);
		return ops_fail(r, s, "run the operation again to create it", "%s", seen), -1;
	}
	synced_text(&o, sy, sizeof sy);
	bool version_ok = !r->target_version || (o.u.peering.has_latest_version &&
	                                         o.u.peering.latest_version >= r->target_version);
	bool is_synced = synced(&o)->status == MODEL_COND_TRUE;
	bool failed = synced_failed_now(r, &o);
	char failure[512];
	snprintf(failure, sizeof failure, "%s", synced(&o)->message);
	kube_object_clear(&o);
	if (ops_secret_read(&r->a, secret_name(r), &sec, &err) < 0)
		return ops_wait_read_failed(r, s, &r->a, "read the token Secret", &err, seen, len);
	bool fresh = sec.has_key && (!r->old_rv[0] || strcmp(sec.rv, r->old_rv) != 0);
	snprintf(seen, len, "PeeringAcceptor %s %s; Secret %s %s", r->a.peer, sy, secret_name(r),
	         !sec.exists    ? "absent"
	         : !sec.has_key ? "without the key"
	         : fresh        ? "written"
	                        : "not rewritten yet");
	ops_secret_clear(&sec);
	if (is_synced && version_ok && fresh)
		rc = 1;
	else if (failed)
		return ops_fail(r, s,
		                "fix what the controller's message names; then run the same "
		                "command again to continue",
		                "PeeringAcceptor %s on %s: the controller failed: %s", r->a.peer,
		                r->a.c->name, failure),
		       -1;
	ops_progress_note(r, s, "%s", seen);
	return rc;
}

static enum step_result token_check(struct run *r, struct ops_step *s)
{
	char seen[512];

	if (!r->a.kube) {
		ops_note(s, r->token || r->planning ? "in memory" : "not needed");
		return STEP_ALREADY;
	}
	if (r->planning) {
		struct ops_secret sec;
		struct http_error err = {0};
		if (ops_secret_read(&r->a, secret_name(r), &sec, &err) < 0)
			return ops_fail_http(r, s, &r->a, "read the token Secret", &err);
		bool ready = sec.has_key && !r->target_version;
		ops_secret_clear(&sec);
		ops_note(s, ready ? "written" : "wait for the acceptor's controller to write it");
		return ready ? STEP_ALREADY : STEP_TODO;
	}
	int rc = token_ready(r, s, seen, sizeof seen);
	if (rc < 0)
		return STEP_FAIL;
	return rc > 0 ? STEP_ALREADY : STEP_TODO;
}

static enum step_result token_act(struct run *r, struct ops_step *s)
{
	enum step_result res = ops_wait(r, s, "the token Secret", token_ready);

	if (res == STEP_OK)
		ops_note(s, "written by the controller");
	return res;
}

static const struct step_def step_token = {token_title, token_check, token_act};

/* ------------------------------------------------------------ exchange */

static void exchange_title(struct run *r, struct ops_step *s)
{
	if (r->b.kube)
		snprintf(s->title, sizeof s->title, "Secret %s copied to %s", secret_name(r),
		         r->b.c->name);
	else
		snprintf(s->title, sizeof s->title, "token handed to %s in memory", r->b.c->name);
	snprintf(s->cluster, sizeof s->cluster, "%s", r->b.c->name);
}

/* Brings the token into memory from A's Secret (Kubernetes acceptor).
 * 1 done, 0 the Secret has no token yet, -1 error. */
static int load_token(struct run *r, struct ops_step *s)
{
	struct ops_secret sec;
	struct http_error err = {0};

	if (!r->a.kube)
		return r->token ? 1 : 0;
	if (ops_secret_read(&r->a, secret_name(r), &sec, &err) < 0)
		return ops_fail_http(r, s, &r->a, "read the token Secret", &err), -1;
	if (!sec.has_key) {
		ops_secret_clear(&sec);
		return 0;
	}
	ops_token_set(r, sec.value, sec.len);
	sec.value = NULL;
	ops_secret_clear(&sec);
	return 1;
}

static enum step_result exchange_check(struct run *r, struct ops_step *s)
{
	struct http_error err = {0};
	struct ops_secret dst;
	char *body;
	int have;

	if (!r->b.kube) {
		int made = established(r, &err);
		if (made < 0)
			return ops_fail_http(r, s, &r->b, "read the peerings", &err);
		if (made > 0 && !r->regenerating) {
			ops_note(s, "%s dialed already", r->b.c->name);
			return STEP_ALREADY;
		}
		ops_note(s, "the token goes to POST /v1/peering/establish in the next step");
		return STEP_TODO;
	}
	have = load_token(r, s);
	if (have < 0)
		return STEP_FAIL;
	if (ops_secret_read(&r->b, secret_name(r), &dst, &err) < 0)
		return ops_fail_http(r, s, &r->b, "read the Secret", &err);
	if (have > 0 && dst.exists && ops_secret_same(&dst, r->token, r->token_len) &&
	    dst.token_label && r->planning && r->regenerating) {
		/* The token read now is the one the run replaces first. */
		ops_note(s, "put the new token in %s's Secret %s", r->b.c->name, secret_name(r));
		body = ops_secret_patch(dst.rv, NULL, 0);
		ops_plan_change(r, &r->b, body, "patch Secret %s/%s", ns_of(&r->b), secret_name(r));
		free(body);
		ops_secret_clear(&dst);
		return STEP_TODO;
	}
	if (have > 0 && dst.exists && ops_secret_same(&dst, r->token, r->token_len) &&
	    dst.token_label) {
		snprintf(r->copy_rv, sizeof r->copy_rv, "%s", dst.rv);
		ops_note(s, "%s holds the same token", r->b.c->name);
		ops_secret_clear(&dst);
		return STEP_ALREADY;
	}
	if (!r->a.kube && !r->token && !r->planning) {
		int made = established(r, &err);
		ops_secret_clear(&dst);
		if (made > 0) {
			ops_note(s, "%s dialed already: the token is not needed", r->b.c->name);
			return STEP_ALREADY;
		}
		return ops_fail(r, s, "run peerscope peer or regenerate, which makes the token",
		                "no token to copy: %s is Consul-only and its token was not made in "
		                "this run",
		                r->a.c->name);
	}
	if (!r->a.kube && !dst.exists && r->planning && !r->secret_chosen) {
		/* A Consul-only acceptor: the name only has to be free on B. */
		enum step_result res = pick_secret(r, s, false);
		if (res != STEP_TODO) {
			ops_secret_clear(&dst);
			return res;
		}
	}
	if (dst.exists) {
		const char *user = NULL;
		struct kube_list lb = {0};
		int used =
		        kube_list(r->b.c->kube, KUBE_PEERING_DIALER, ns_of(&r->b), NULL, &lb, &err);
		if (used == 0)
			used = secret_user(&r->b, &lb, r->b.peer, secret_name(r), &user, &err);
		kube_list_clear(&lb);
		if (used != 0) {
			ops_secret_clear(&dst);
			if (used < 0)
				return ops_fail_http(r, s, &r->b, "read the PeeringDialers", &err);
			return ops_fail(
			        r, s,
			        "name the token Secret with --secret-name: it must be free on "
			        "both clusters",
			        "Secret %s on %s is read by %s%s: replacing it would break that "
			        "peering",
			        secret_name(r), r->b.c->name, user ? "PeeringDialer " : "",
			        user ? user : "something other than a peering");
		}
		r->plan->destructive = true;
		r->copy_absent = false;
		ops_note(s, "replace the token in %s's Secret %s%s", r->b.c->name, secret_name(r),
		         dst.managed ? "" : " (not written by peerscope)");
		ops_plan_note(r, "Secret %s on %s holds %s: it is replaced", secret_name(r),
		              r->b.c->name, dst.has_key ? "another token" : "no token");
		body = ops_secret_patch(dst.rv, NULL, 0);
		ops_plan_change(r, &r->b, body, "patch Secret %s/%s", ns_of(&r->b), secret_name(r));
	} else {
		r->copy_absent = true;
		ops_note(s, "create, labelled %s and %s=%s", MODEL_KUBE_TOKEN_LABEL,
		         OPS_MANAGED_LABEL, OPS_MANAGED_VALUE);
		body = ops_secret_body(ns_of(&r->b), secret_name(r), NULL, NULL, 0, true);
		ops_plan_change(r, &r->b, body, "create Secret %s/%s", ns_of(&r->b),
		                secret_name(r));
	}
	free(body);
	ops_secret_clear(&dst);
	return STEP_TODO;
}

static enum step_result exchange_act(struct run *r, struct ops_step *s)
{
	struct http_error err = {0};
	struct ops_secret dst;
	char source[320];
	int have;

	have = load_token(r, s);
	if (have < 0)
		return STEP_FAIL;
	if (have == 0)
		return ops_fail(r, s, "wait for the acceptor's controller, then run this again",
		                "Secret %s on %s holds no token yet", secret_name(r), r->a.c->name);
	if (!r->b.kube) {
		ops_note(s, "in memory");
		return STEP_OK;
	}
	snprintf(source, sizeof source, "%s/%s/%s", r->a.c->name, ns_of(&r->a), secret_name(r));
	if (!r->a.kube)
		snprintf(source, sizeof source, "%s (Consul)", r->a.c->name);
	/* What the check vetted: a copy it found absent is created, and one
	 * that appeared since is not replaced unchecked (ops_secret_put). */
	memset(&dst, 0, sizeof dst);
	if (!r->copy_absent && ops_secret_read(&r->b, secret_name(r), &dst, &err) < 0)
		return ops_fail_http(r, s, &r->b, "read the Secret", &err);
	if (ops_secret_put(r, &r->b, secret_name(r), source, &dst, &err) < 0) {
		ops_secret_clear(&dst);
		return ops_fail_http(r, s, &r->b, "write the token Secret", &err);
	}
	ops_secret_clear(&dst);
	/* Read back through a fresh request and compare. */
	if (ops_secret_read(&r->b, secret_name(r), &dst, &err) < 0)
		return ops_fail_http(r, s, &r->b, "read the token Secret back", &err);
	bool same = ops_secret_same(&dst, r->token, r->token_len);
	snprintf(r->copy_rv, sizeof r->copy_rv, "%s", dst.rv);
	ops_secret_clear(&dst);
	if (!same)
		return ops_fail(r, s, "run the operation again",
		                "Secret %s on %s does not hold the token after the write",
		                secret_name(r), r->b.c->name);
	ops_note(s, "copied; the copy matches");
	return STEP_OK;
}

static const struct step_def step_exchange = {exchange_title, exchange_check, exchange_act};

/* ------------------------------------------------------------ dialer */

static void dialer_title(struct run *r, struct ops_step *s)
{
	char on[160];

	if (r->b.kube)
		snprintf(s->title, sizeof s->title, "PeeringDialer %s on %s", r->b.peer,
		         r->b.c->name);
	else
		snprintf(s->title, sizeof s->title, "peering %s established on %s", r->b.peer,
		         ops_side_label(&r->b, on, sizeof on));
	snprintf(s->cluster, sizeof s->cluster, "%s", r->b.c->name);
}

/* The dialer's controller established with the Secret as it is now:
 * status.secret.resourceVersion is the copy's and Synced=True. */
static int dialer_ready(struct run *r, struct ops_step *s, char *seen, size_t len)
{
	struct http_error err = {0};
	struct kube_object o;
	struct ops_secret sec;
	char sy[512];
	int have = ops_read_cr(&r->b, KUBE_PEERING_DIALER, &o, &err), rc;

	if (have < 0)
		return ops_wait_read_failed(r, s, &r->b, "read the PeeringDialer", &err, seen, len);
	if (have == 0) {
		snprintf(seen, len, "PeeringDialer %s is gone", r->b.peer);
		return ops_fail(r, s, "run the operation again to create it", "%s", seen), -1;
	}
	if (!r->copy_rv[0]) {
		if (ops_secret_read(&r->b, secret_name(r), &sec, &err) < 0) {
			kube_object_clear(&o);
			return ops_wait_read_failed(r, s, &r->b, "read the token Secret", &err,
			                            seen, len);
		}
		snprintf(r->copy_rv, sizeof r->copy_rv, "%s", sec.rv);
		ops_secret_clear(&sec);
	}
	synced_text(&o, sy, sizeof sy);
	if (synced_failed_now(r, &o)) {
		char fix[384];
		if (strstr(synced(&o)->message, "new peering token"))
			ops_token_refused_fix(r, fix, sizeof fix);
		else
			snprintf(fix, sizeof fix,
			         "fix what the controller's message names; then run the same "
			         "command again to continue (%s, %s)",
			         r->a.c->name, r->b.c->name);
		ops_fail(r, s, fix, "PeeringDialer %s on %s: the controller failed: %s", r->b.peer,
		         r->b.c->name, synced(&o)->message);
		kube_object_clear(&o);
		return -1;
	}
	rc = synced(&o)->status == MODEL_COND_TRUE &&
	     !strcmp(o.u.peering.status_secret.name, secret_name(r)) &&
	     !strcmp(o.u.peering.status_secret.resource_version, r->copy_rv);
	snprintf(seen, len, "PeeringDialer %s %s%s", r->b.peer, sy,
	         rc || synced(&o)->status != MODEL_COND_TRUE ? ""
	                                                     : ", not yet with the current Secret");
	kube_object_clear(&o);
	ops_progress_note(r, s, "%s", seen);
	return rc;
}

static enum step_result dialer_check_kube(struct run *r, struct ops_step *s)
{
	struct http_error err = {0};
	struct kube_object o;
	char why[256], *body;
	int have = ops_read_cr(&r->b, KUBE_PEERING_DIALER, &o, &err);

	r->dialer_seen = have > 0;
	if (have < 0)
		return ops_fail_http(r, s, &r->b, "read the PeeringDialer", &err);
	if (have > 0) {
		const char *used = o.u.peering.spec_secret.name;
		enum step_result res = STEP_TODO;
		char fix[320], seen[512];

		if (o.u.peering.meta.deleting_ns)
			res = ops_fail(r, s, "wait until it is gone, then run this again",
			               "PeeringDialer %s on %s is being deleted", r->b.peer,
			               r->b.c->name);
		else if (strcmp(used, secret_name(r))) {
			snprintf(fix, sizeof fix,
			         "delete it (peerscope unpeer) or use its Secret: --secret-name %s",
			         used);
			res = ops_fail(r, s, fix, "PeeringDialer %s on %s uses Secret %s, not %s",
			               r->b.peer, r->b.c->name, used, secret_name(r));
		}
		kube_object_clear(&o);
		if (res == STEP_FAIL)
			return res;
		if (r->planning) {
			ops_note(s, "exists: wait for its controller to establish with the Secret");
			return STEP_TODO;
		}
		int ready = dialer_ready(r, s, seen, sizeof seen);
		if (ready < 0)
			return STEP_FAIL;
		if (ready > 0) {
			ops_note(s, "exists, established with the current Secret");
			return STEP_ALREADY;
		}
		ops_note(s, "exists: wait for its controller");
		return STEP_TODO;
	}
	if (!r->planning) {
		struct ops_secret sec;
		if (ops_secret_read(&r->b, secret_name(r), &sec, &err) < 0)
			return ops_fail_http(r, s, &r->b, "read the token Secret", &err);
		bool ok = sec.has_key;
		ops_secret_clear(&sec);
		if (!ok) {
			char fix[256];
			snprintf(fix, sizeof fix, "copy the token first: peerscope exchange %s %s",
			         r->a.c->name, r->b.c->name);
			return ops_fail(r, s, fix, "Secret %s on %s holds no token", secret_name(r),
			                r->b.c->name);
		}
	}
	ops_note(s, "create, reading Secret %s", secret_name(r));
	body = kube_body_peering(MODEL_PEERING_DIALER, ns_of(&r->b), r->b.peer, secret_name(r),
	                         OPS_TOKEN_KEY, why, sizeof why);
	ops_plan_change(r, &r->b, body, "create PeeringDialer %s/%s", ns_of(&r->b), r->b.peer);
	free(body);
	return STEP_TODO;
}

static enum step_result dialer_check_consul(struct run *r, struct ops_step *s)
{
	struct http_error err = {0};
	char body[200];
	int made = established(r, &err);

	if (made < 0)
		return ops_fail_http(r, s, &r->b, "read the peerings", &err);
	if (made > 0 && !r->regenerating) {
		ops_note(s, "established already");
		return STEP_ALREADY;
	}
	ops_note(s, "POST /v1/peering/establish");
	snprintf(body, sizeof body, "{\"PeerName\": \"%s\", \"PeeringToken\": \"REDACTED\"}",
	         r->b.peer);
	ops_plan_change(r, &r->b, body, "POST /v1/peering/establish");
	return STEP_TODO;
}

static enum step_result dialer_check(struct run *r, struct ops_step *s)
{
	return r->b.kube ? dialer_check_kube(r, s) : dialer_check_consul(r, s);
}

static enum step_result dialer_act(struct run *r, struct ops_step *s)
{
	struct http_error err = {0};
	char why[256], *body;
	bool created = false;

	if (!r->b.kube) {
		int have = load_token(r, s);
		if (have < 0)
			return STEP_FAIL;
		if (have == 0)
			return ops_fail(r, s, "run the operation again",
			                "no token to establish with: Secret %s on %s holds none",
			                secret_name(r), r->a.c->name);
		if (ops_consul_establish(r, &r->b, &err) < 0)
			return ops_fail_http(r, s, &r->b, "establish the peering", &err);
		r->regenerating = false;
		ops_note(s, "established");
		return STEP_OK;
	}
	/* One the check saw is waited on, never created again (consul-k8s's
	 * webhook would deny the create). */
	if (!r->dialer_seen) {
		body = kube_body_peering(MODEL_PEERING_DIALER, ns_of(&r->b), r->b.peer,
		                         secret_name(r), OPS_TOKEN_KEY, why, sizeof why);
		if (!body)
			return ops_fail(r, s, "", "PeeringDialer %s: %s", r->b.peer, why);
		int rc = ops_kube_create(r, &r->b, KUBE_PEERING_DIALER, r->b.peer, body, &created,
		                         &err);
		free(body);
		if (rc < 0)
			return ops_fail_http(r, s, &r->b, "create the PeeringDialer", &err);
	}
	enum step_result res = ops_wait(r, s, "the PeeringDialer", dialer_ready);
	if (res == STEP_OK)
		ops_note(s, "%s, Synced with the current Secret", created ? "created" : "exists");
	return res;
}

static const struct step_def step_dialer = {dialer_title, dialer_check, dialer_act};

/* ------------------------------------------------------------ active */

static void active_title(struct run *r, struct ops_step *s)
{
	snprintf(s->title, sizeof s->title, "ACTIVE on both ends");
	s->cluster[0] = '\0';
	(void)r;
}

static void fill_end(struct ops_end *e, const struct side *sd, const struct model_peering *p,
                     int have)
{
	snprintf(e->cluster, sizeof e->cluster, "%s", sd->c->name);
	snprintf(e->partition, sizeof e->partition, "%s", sd->partition ? sd->partition : "");
	snprintf(e->name, sizeof e->name, "%s", sd->peer);
	e->present = have > 0;
	e->heartbeat_age_ms = -1;
	if (have <= 0) {
		e->state[0] = '\0';
		return;
	}
	snprintf(e->state, sizeof e->state, "%s", state_text(p));
	if (p->has_stream_status && p->stream.last_heartbeat_ns > 0)
		e->heartbeat_age_ms = (store_now_ns() - p->stream.last_heartbeat_ns) / 1000000;
	e->exported = model_peering_exported_count(p);
	e->imported = model_peering_imported_count(p);
}

/* What the dialer's CR says, for a wait that does not end. */
static void dialer_hint(const struct side *b, char *buf, size_t len)
{
	struct http_error err = {0};
	struct kube_object o;

	buf[0] = '\0';
	if (!b->kube || ops_read_cr(b, KUBE_PEERING_DIALER, &o, &err) <= 0)
		return;
	if (synced(&o)->status == MODEL_COND_FALSE)
		snprintf(buf, len, " (PeeringDialer %s Synced=False: %s)", b->peer,
		         synced(&o)->message);
	kube_object_clear(&o);
}

static int active_ready(struct run *r, struct ops_step *s, char *seen, size_t len)
{
	struct http_error err = {0};
	struct model_peering pa, pb;
	int ha = ops_read_peering(&r->a, &pa, &err), hb = ops_read_peering(&r->b, &pb, &err);
	char hint[400] = "";
	int rc;

	if (r->st) {
		fill_end(&r->st->ends[0], &r->a, &pa, ha);
		fill_end(&r->st->ends[1], &r->b, &pb, hb);
	}
	rc = ha > 0 && hb > 0 && pa.state == MODEL_PEERING_ACTIVE &&
	     pb.state == MODEL_PEERING_ACTIVE;
	if (!rc && hb > 0 && pb.state == MODEL_PEERING_FAILING)
		dialer_hint(&r->b, hint, sizeof hint);
	snprintf(seen, len, "%s %s · %s %s%s", r->a.c->name,
	         ha > 0   ? state_text(&pa)
	         : ha < 0 ? "unreachable"
	                  : "absent",
	         r->b.c->name,
	         hb > 0   ? state_text(&pb)
	         : hb < 0 ? "unreachable"
	                  : "absent",
	         hint);
	if (ha > 0)
		model_peering_clear(&pa);
	if (hb > 0)
		model_peering_clear(&pb);
	ops_progress_note(r, s, "%s", seen);
	return rc;
}

static enum step_result active_check(struct run *r, struct ops_step *s)
{
	char seen[512];

	if (r->planning) {
		ops_note(s, "wait up to %ld s", (r->wait_ms + 999) / 1000);
		return STEP_TODO;
	}
	return active_ready(r, s, seen, sizeof seen) > 0 ? STEP_ALREADY : STEP_TODO;
}

static enum step_result active_act(struct run *r, struct ops_step *s)
{
	return ops_wait(r, s, "ACTIVE on both ends", active_ready);
}

static const struct step_def step_active = {active_title, active_check, active_act};

/* ------------------------------------------------------------ regenerate */

static void renew_title(struct run *r, struct ops_step *s)
{
	char on[160];

	if (r->a.kube)
		snprintf(s->title, sizeof s->title, "new token: PeeringAcceptor %s version bumped",
		         r->a.peer);
	else
		snprintf(s->title, sizeof s->title, "new token for %s on %s", r->a.peer,
		         ops_side_label(&r->a, on, sizeof on));
	snprintf(s->cluster, sizeof s->cluster, "%s", r->a.c->name);
}

/* The peering-version annotation as a number; 0 when absent or not one. */
static uint64_t annotated_version(const struct model_kube_peering *p)
{
	const char *v = p->meta.peering_version;

	if (!v || !*v || strspn(v, "0123456789") != strlen(v) || strlen(v) >= 20)
		return 0;
	return strtoull(v, NULL, 10);
}

/* A regeneration stopped after the acceptor made its new token and before
 * it reached B: A's token differs from B's copy. */
static int half_done(struct run *r, struct ops_step *s)
{
	struct ops_secret src, dst;
	struct http_error err = {0};
	int rc = 0;

	if (!r->a.kube || !r->b.kube)
		return 0;
	if (ops_secret_read(&r->a, secret_name(r), &src, &err) < 0)
		return ops_fail_http(r, s, &r->a, "read the token Secret", &err), -1;
	if (ops_secret_read(&r->b, secret_name(r), &dst, &err) < 0) {
		ops_secret_clear(&src);
		return ops_fail_http(r, s, &r->b, "read the token Secret", &err), -1;
	}
	rc = src.has_key && dst.exists && !ops_secret_same(&dst, src.value, src.len);
	ops_secret_clear(&src);
	ops_secret_clear(&dst);
	return rc;
}

/* A new token replaces the current one: asks first. */
static void replaces_token(struct run *r)
{
	if (!r->planning)
		return;
	r->plan->destructive = true;
	ops_plan_note(r, "the current token stops working for new connections once replaced");
}

/* A new token cannot bring back a peering that is TERMINATED or being
 * deleted: Consul keeps a TERMINATED acceptor TERMINATED with its new token
 * (agent/consul/state/peering.go PeeringWrite), and refuses the stream of a
 * peering that is not active (peerstream/server.go StreamResources), so the
 * dialer would never be ACTIVE. */
static enum step_result regen_alive(struct run *r, struct ops_step *s, const struct side *sd)
{
	struct model_peering p = {0};
	struct http_error err = {0};
	char fix[320];
	const char *state;
	int have = ops_read_peering(sd, &p, &err);
	bool dead;

	if (have < 0)
		return ops_fail_http(r, s, sd, "read the peering", &err);
	if (have == 0)
		return STEP_ALREADY;
	dead = ops_peering_dead(&p);
	state = state_text(&p);
	model_peering_clear(&p);
	if (!dead)
		return STEP_ALREADY;
	snprintf(fix, sizeof fix,
	         "a new token cannot revive it: peerscope unpeer %s %s, then peerscope peer %s %s",
	         r->a.c->name, r->b.c->name, r->a.c->name, r->b.c->name);
	return ops_fail(r, s, fix, "the peering %s on %s is %s", sd->peer, sd->c->name, state);
}

static enum step_result renew_check(struct run *r, struct ops_step *s)
{
	struct http_error err = {0};
	struct kube_object o;
	char body[200];
	int half, have;

	if (regen_alive(r, s, &r->a) == STEP_FAIL || regen_alive(r, s, &r->b) == STEP_FAIL)
		return STEP_FAIL;
	half = half_done(r, s);
	if (half < 0)
		return STEP_FAIL;
	r->regenerating = true;
	if (half > 0) {
		ops_note(s, "the new token is there, not yet on %s: continuing with the exchange",
		         r->b.c->name);
		return STEP_ALREADY;
	}
	if (!r->a.kube) {
		ops_note(s, "POST /v1/peering/token (the token stays in memory)");
		snprintf(body, sizeof body, "{\"PeerName\": \"%s\"}", r->a.peer);
		ops_plan_change(r, &r->a, body, "POST /v1/peering/token");
		replaces_token(r);
		return STEP_TODO;
	}
	have = ops_read_cr(&r->a, KUBE_PEERING_ACCEPTOR, &o, &err);
	if (have < 0)
		return ops_fail_http(r, s, &r->a, "read the PeeringAcceptor", &err);
	if (have == 0) {
		char fix[256];
		snprintf(fix, sizeof fix, "peer them first: peerscope peer %s %s", r->a.c->name,
		         r->b.c->name);
		return ops_fail(r, s, fix, "no PeeringAcceptor %s on %s", r->a.peer, r->a.c->name);
	}
	uint64_t asked = annotated_version(&o.u.peering);
	bool pending =
	        o.u.peering.has_latest_version ? asked > o.u.peering.latest_version : asked > 0;
	r->target_version = pending ? asked : kube_peering_next_version(&o.u.peering);
	kube_object_clear(&o);
	if (pending) {
		ops_note(s, "asked for already (version %llu): waiting for the controller",
		         (unsigned long long)asked);
		return STEP_ALREADY;
	}
	struct ops_secret sec;
	if (ops_secret_read(&r->a, secret_name(r), &sec, &err) < 0)
		return ops_fail_http(r, s, &r->a, "read the token Secret", &err);
	snprintf(r->old_rv, sizeof r->old_rv, "%s", sec.rv);
	ops_secret_clear(&sec);
	ops_note(s, "set %s to %llu", MODEL_KUBE_VERSION_ANNOTATION,
	         (unsigned long long)r->target_version);
	char *patch = kube_body_version_bump(r->target_version, NULL, body, sizeof body);
	ops_plan_change(r, &r->a, patch, "patch PeeringAcceptor %s/%s", ns_of(&r->a), r->a.peer);
	free(patch);
	replaces_token(r);
	return STEP_TODO;
}

/* Sets KIND NAME's version annotation to the target, tied to the version
 * just read; a 409 reads again once. */
static int bump(struct run *r, const struct side *sd, enum kube_kind kind, uint64_t target,
                struct http_error *err)
{
	for (int attempt = 0; attempt < 2; attempt++) {
		struct kube_object o;
		char why[256], *patch;
		int have = ops_read_cr(sd, kind, &o, err), rc;

		if (have <= 0) {
			if (have == 0)
				http_error_setf(err, HTTP_ERR_STATUS, "%s %s is gone",
				                kube_kind_name(kind), sd->peer);
			return -1;
		}
		if (kube_peering_next_version(&o.u.peering) > target) {
			kube_object_clear(&o);
			return 0; /* there already: a retry after a lost answer */
		}
		patch = kube_body_version_bump(target, o.u.peering.meta.resource_version, why,
		                               sizeof why);
		kube_object_clear(&o);
		if (!patch) {
			http_error_setf(err, HTTP_ERR_USAGE, "%s", why);
			return -1;
		}
		rc = ops_kube_patch(r, sd, kind, sd->peer, patch, err);
		free(patch);
		if (rc == 0 || err->kind != HTTP_ERR_STATUS || err->status != 409)
			return rc;
	}
	return -1;
}

static enum step_result renew_act(struct run *r, struct ops_step *s)
{
	struct http_error err = {0};

	if (!r->a.kube) {
		if (ops_consul_token(r, &r->a, &err) < 0)
			return ops_fail_http(r, s, &r->a, "generate a new token", &err);
		ops_note(s, "token generated (kept in memory)");
		return STEP_OK;
	}
	if (bump(r, &r->a, KUBE_PEERING_ACCEPTOR, r->target_version, &err) < 0)
		return ops_fail_http(r, s, &r->a, "bump the PeeringAcceptor's version", &err);
	ops_note(s, "%s set to %llu", MODEL_KUBE_VERSION_ANNOTATION,
	         (unsigned long long)r->target_version);
	return STEP_OK;
}

static const struct step_def step_renew = {renew_title, renew_check, renew_act};

/* The dialer again, after a new token: on Kubernetes its controller
 * establishes again when its labelled Secret changes (the exchange just
 * did that); it is not also bumped at once, since a token's establishment
 * secret works once and a second establish with it fails. Only a dialer
 * that has not moved after a grace period gets its version bumped. */
static void redial_title(struct run *r, struct ops_step *s)
{
	char on[160];

	if (r->b.kube)
		snprintf(s->title, sizeof s->title, "PeeringDialer %s established again",
		         r->b.peer);
	else
		snprintf(s->title, sizeof s->title, "peering %s established again on %s", r->b.peer,
		         ops_side_label(&r->b, on, sizeof on));
	snprintf(s->cluster, sizeof s->cluster, "%s", r->b.c->name);
}

static enum step_result redial_check(struct run *r, struct ops_step *s)
{
	if (!r->b.kube)
		return dialer_check_consul(r, s);
	if (r->planning) {
		ops_note(s, "wait for its controller to establish with the new Secret");
		ops_plan_change(r, &r->b, NULL,
		                "patch PeeringDialer %s/%s (only if its controller has not moved "
		                "within %d s)",
		                ns_of(&r->b), r->b.peer, REDIAL_GRACE_MS / 1000);
		return STEP_TODO;
	}
	char seen[512];
	int ready = dialer_ready(r, s, seen, sizeof seen);
	return ready < 0 ? STEP_FAIL : ready > 0 ? STEP_ALREADY : STEP_TODO;
}

static enum step_result redial_act(struct run *r, struct ops_step *s)
{
	struct http_error err = {0};
	long total = r->wait_ms;
	enum step_result res;

	if (!r->b.kube)
		return dialer_act(r, s);
	r->wait_ms = total < REDIAL_GRACE_MS ? total : REDIAL_GRACE_MS;
	res = ops_wait(r, s, "the PeeringDialer", dialer_ready);
	r->wait_ms = total;
	if (res != STEP_TIMEOUT)
		return res;
	struct kube_object o;
	if (ops_read_cr(&r->b, KUBE_PEERING_DIALER, &o, &err) <= 0)
		return ops_fail_http(r, s, &r->b, "read the PeeringDialer", &err);
	uint64_t target = kube_peering_next_version(&o.u.peering);
	kube_object_clear(&o);
	r->st->message[0] = r->st->fix[0] = '\0';
	if (bump(r, &r->b, KUBE_PEERING_DIALER, target, &err) < 0)
		return ops_fail_http(r, s, &r->b, "bump the PeeringDialer's version", &err);
	ops_progress_note(r, s, "no move after %d s: version bumped to %llu",
	                  REDIAL_GRACE_MS / 1000, (unsigned long long)target);
	res = ops_wait(r, s, "the PeeringDialer", dialer_ready);
	if (res == STEP_OK)
		ops_note(s, "established with the new Secret");
	return res;
}

static const struct step_def step_redial = {redial_title, redial_check, redial_act};

/* ------------------------------------------------------------ operations */

/* The plan's title: "<what> A <joint> B", each cluster with the partition
 * asked for ("cluster-01/team-a"). B_FIRST: B's name comes first. */
static void title(struct run *r, const char *what, const char *joint, bool b_first)
{
	const struct ops_request *q = &r->plan->req;
	char a[160], b[160];

	snprintf(a, sizeof a, "%s%s%s", q->a, *q->partition ? "/" : "", q->partition);
	snprintf(b, sizeof b, "%s%s%s", q->b, *q->dialer_partition ? "/" : "", q->dialer_partition);
	snprintf(r->plan->title, sizeof r->plan->title, "%s %.140s %s %.140s", what,
	         b_first ? b : a, joint, b_first ? a : b);
}

static int resolve_peer(struct run *r)
{
	title(r, "Peer", "with", false);
	return ops_resolve_sides(r, true, true);
}

static int resolve_acceptor(struct run *r)
{
	title(r, "PeeringAcceptor on", "for", false);
	return ops_resolve_sides(r, true, false);
}

static int resolve_exchange(struct run *r)
{
	title(r, "Token of", "copied to", false);
	if (ops_resolve_sides(r, false, true) < 0)
		return -1;
	if (!r->a.kube || !r->b.kube) {
		const struct side *c = !r->a.kube ? &r->a : &r->b;
		r->plan->refusal = OPS_REFUSE_USAGE;
		snprintf(r->plan->reason, sizeof r->plan->reason,
		         "%s is Consul-only: no Secret holds its token there", c->c->name);
		snprintf(r->plan->fix, sizeof r->plan->fix,
		         "peerscope peer %s %s moves the token in memory", r->a.c->name,
		         r->b.c->name);
		return -1;
	}
	return 0;
}

static int resolve_dialer(struct run *r)
{
	title(r, "PeeringDialer on", "for", true);
	if (ops_resolve_sides(r, false, true) < 0)
		return -1;
	if (!r->a.kube && !r->b.kube) {
		r->plan->refusal = OPS_REFUSE_USAGE;
		snprintf(r->plan->reason, sizeof r->plan->reason,
		         "both clusters are Consul-only: the token exists only during peer");
		snprintf(r->plan->fix, sizeof r->plan->fix, "run peerscope peer %s %s",
		         r->a.c->name, r->b.c->name);
		return -1;
	}
	return 0;
}

static int resolve_regenerate(struct run *r)
{
	if (ops_resolve_existing(r, false) < 0)
		return -1;
	title(r, "New token for", "and", false);
	return 0;
}

static const struct step_def *const peer_steps[] = {&step_check,    &step_acceptor, &step_token,
                                                    &step_exchange, &step_dialer,   &step_active};
static const struct step_def *const acceptor_steps[] = {&step_check, &step_acceptor, &step_token};
static const struct step_def *const exchange_steps[] = {&step_exchange};
static const struct step_def *const dialer_steps[] = {&step_dialer};
static const struct step_def *const regenerate_steps[] = {&step_renew, &step_token, &step_exchange,
                                                          &step_redial, &step_active};

#define DEF(k, res, steps)                                                                         \
	{                                                                                          \
		k, res, steps, sizeof steps / sizeof steps[0]                                      \
	}
const struct op_def ops_def_peer = DEF(OPS_PEER, resolve_peer, peer_steps);
const struct op_def ops_def_acceptor = DEF(OPS_ACCEPTOR, resolve_acceptor, acceptor_steps);
const struct op_def ops_def_exchange = DEF(OPS_EXCHANGE, resolve_exchange, exchange_steps);
const struct op_def ops_def_dialer = DEF(OPS_DIALER, resolve_dialer, dialer_steps);
const struct op_def ops_def_regenerate = DEF(OPS_REGENERATE, resolve_regenerate, regenerate_steps);
