/* ops unpeer: deleting a peering, after showing what goes away.
 *
 * The dialer goes first, then the acceptor (whose controller deletes the
 * Consul peering and its own token Secret, consul-k8s's acceptor
 * controller), then the Secret copy on the dialing side if and only if
 * peerscope wrote it (its managed-by label), and the operation waits until
 * Consul on both sides no longer has the peering. A side without the CR is
 * deleted through Consul's DELETE /v1/peering/NAME. */
#include "autoconfig.h"

#include "ops_secret.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ preview */

/* "cluster-02 stops importing: payments (2 instances), web (1)". */
static void preview_imports(struct run *r, const struct side *sd, const struct side *from)
{
	struct model_service_summary_list l = {0};
	struct http_error err = {0};
	char line[1024];
	size_t used, n = 0;

	struct consul_query q = {.partition = sd->partition};

	if (consul_ui_services(sd->c->consul, &q, &l, NULL, &err) < 0) {
		snprintf(line, sizeof line, "%s: its imports could not be read (%s)", sd->c->name,
		         err.message[0] ? err.message : "no answer");
		model_strv_push(&r->plan->preview, line);
		return;
	}
	used = (size_t)snprintf(line, sizeof line, "%s stops importing from %s:", sd->c->name,
	                        from->c->name);
	for (size_t i = 0; i < l.n; i++) {
		const struct model_service_summary *v = &l.v[i];
		if (strcmp(v->peer_name, sd->peer) || used >= sizeof line)
			continue;
		used += (size_t)snprintf(line + used, sizeof line - used, "%s %s (%u instance%s)",
		                         n ? "," : "", v->name, v->instance_count,
		                         v->instance_count == 1 ? "" : "s");
		n++;
	}
	if (n == 0)
		snprintf(line + used, sizeof line - used, " nothing");
	model_strv_push(&r->plan->preview, line);
	model_service_summary_list_free(&l);
}

/* ------------------------------------------------------------ the ends */

static enum kube_kind end_kind(const struct run *r, const struct side *sd)
{
	return sd == &r->b ? KUBE_PEERING_DIALER : KUBE_PEERING_ACCEPTOR;
}

static void dialer_title(struct run *r, struct ops_step *s)
{
	char on[160];

	snprintf(s->title, sizeof s->title, "%s %s deleted on %s",
	         r->b.kube ? "PeeringDialer" : "dialing peering", r->b.peer,
	         ops_side_label(&r->b, on, sizeof on));
	snprintf(s->cluster, sizeof s->cluster, "%s", r->b.c->name);
}

static void acceptor_title(struct run *r, struct ops_step *s)
{
	char on[160];

	snprintf(s->title, sizeof s->title, "%s %s deleted on %s",
	         r->a.kube ? "PeeringAcceptor" : "accepting peering", r->a.peer,
	         ops_side_label(&r->a, on, sizeof on));
	snprintf(s->cluster, sizeof s->cluster, "%s", r->a.c->name);
}

/* Where the uid of SD's custom resource is kept. */
static char *end_uid(struct run *r, const struct side *sd)
{
	return r->end_uid[sd == &r->b];
}

/* What the side has: 2 a CR (its uid into UID, unless NULL), 1 only a
 * Consul peering, 0 nothing; -1 error. */
static int holds(struct run *r, struct ops_step *s, const struct side *sd, bool *deleting,
                 char *uid)
{
	struct http_error err = {0};
	struct kube_object o;
	struct model_peering p;
	int have;

	*deleting = false;
	if (uid)
		uid[0] = '\0';
	if (sd->kube) {
		have = ops_read_cr(sd, end_kind(r, sd), &o, &err);
		if (have < 0)
			return ops_fail_http(r, s, sd, "read the peering resource", &err), -1;
		if (have > 0) {
			*deleting = o.u.peering.meta.deleting_ns != 0;
			if (uid)
				snprintf(uid, sizeof r->end_uid[0], "%s",
				         o.u.peering.meta.uid ? o.u.peering.meta.uid : "");
			kube_object_clear(&o);
			return 2;
		}
	}
	have = ops_read_peering(sd, &p, &err);
	if (have < 0)
		return ops_fail_http(r, s, sd, "read the peering", &err), -1;
	if (have > 0) {
		*deleting = p.state == MODEL_PEERING_DELETING || p.deleted_at_ns;
		model_peering_clear(&p);
		return 1;
	}
	return 0;
}

static enum step_result end_check(struct run *r, struct ops_step *s, const struct side *sd)
{
	bool deleting;
	/* The delete is tied to the resource this check vetted. */
	int have = holds(r, s, sd, &deleting, end_uid(r, sd));

	if (have < 0)
		return STEP_FAIL;
	if (have == 0) {
		ops_note(s, "not there: nothing to delete");
		return STEP_ALREADY;
	}
	if (deleting) {
		ops_note(s, "being deleted already");
		return STEP_ALREADY;
	}
	if (have == 2) {
		ops_note(s, "delete the %s (its controller deletes the Consul peering%s)",
		         kube_kind_name(end_kind(r, sd)),
		         sd == &r->a ? " and its token Secret" : "");
		ops_plan_change(r, sd, NULL, "delete %s %s/%s", kube_kind_name(end_kind(r, sd)),
		                sd->c->ns, sd->peer);
	} else {
		ops_note(s, "DELETE /v1/peering/%s", sd->peer);
		ops_plan_change(r, sd, NULL, "DELETE /v1/peering/%s", sd->peer);
	}
	return STEP_TODO;
}

/* The CR has gone (its finalizer removed by the controller). */
static int cr_gone(struct run *r, struct ops_step *s, const struct side *sd, char *seen, size_t len)
{
	struct http_error err = {0};
	struct kube_object o;
	int have = ops_read_cr(sd, end_kind(r, sd), &o, &err);

	if (have < 0)
		return ops_wait_read_failed(r, s, sd, "read the peering resource", &err, seen, len);
	if (have == 0)
		return 1;
	snprintf(seen, len, "%s %s Terminating, waiting for its controller",
	         kube_kind_name(end_kind(r, sd)), sd->peer);
	kube_object_clear(&o);
	ops_progress_note(r, s, "%s", seen);
	return 0;
}

static int dialer_gone(struct run *r, struct ops_step *s, char *seen, size_t len)
{
	return cr_gone(r, s, &r->b, seen, len);
}

static int acceptor_gone(struct run *r, struct ops_step *s, char *seen, size_t len)
{
	return cr_gone(r, s, &r->a, seen, len);
}

static enum step_result end_act(struct run *r, struct ops_step *s, const struct side *sd)
{
	struct http_error err = {0};
	bool deleting;
	int have = holds(r, s, sd, &deleting, NULL); /* the check's uid is the one deleted */

	if (have < 0)
		return STEP_FAIL;
	if (have == 1) {
		if (ops_consul_delete(r, sd, &err) < 0)
			return ops_fail_http(r, s, sd, "delete the peering", &err);
		ops_note(s, "deleted through Consul");
		return STEP_OK;
	}
	if (have == 2) {
		/* Only the object the check read (DeleteOptions.preconditions.uid:
		 * kube-apiserver answers 409 when the name holds another). */
		const char *vetted = *end_uid(r, sd) ? end_uid(r, sd) : NULL;
		if (ops_kube_delete_if(r, sd, end_kind(r, sd), sd->peer, vetted, NULL, &err) < 0) {
			if (err.kind == HTTP_ERR_STATUS && err.status == 409)
				return ops_fail(
				        r, s,
				        "run the same command again: it reads the resource again",
				        "%s %s on %s was replaced since it was read: not deleted",
				        kube_kind_name(end_kind(r, sd)), sd->peer, sd->c->name);
			return ops_fail_http(r, s, sd, "delete the peering resource", &err);
		}
		enum step_result res =
		        ops_wait(r, s, "the deletion", sd == &r->b ? dialer_gone : acceptor_gone);
		if (res == STEP_OK)
			ops_note(s, "deleted");
		return res;
	}
	return STEP_OK;
}

static enum step_result dialer_check(struct run *r, struct ops_step *s)
{
	return end_check(r, s, &r->b);
}

static enum step_result dialer_act(struct run *r, struct ops_step *s)
{
	return end_act(r, s, &r->b);
}

static enum step_result acceptor_check(struct run *r, struct ops_step *s)
{
	return end_check(r, s, &r->a);
}

static enum step_result acceptor_act(struct run *r, struct ops_step *s)
{
	return end_act(r, s, &r->a);
}

static const struct step_def step_dialer = {dialer_title, dialer_check, dialer_act};
static const struct step_def step_acceptor = {acceptor_title, acceptor_check, acceptor_act};

/* ------------------------------------------------------------ the copy */

static void copy_title(struct run *r, struct ops_step *s)
{
	snprintf(s->title, sizeof s->title, "Secret %s deleted on %s (if peerscope wrote it)",
	         r->plan->req.secret_name, r->b.c->name);
	snprintf(s->cluster, sizeof s->cluster, "%s", r->b.c->name);
}

static enum step_result copy_check(struct run *r, struct ops_step *s)
{
	struct http_error err = {0};
	struct ops_secret sec;
	const char *name = r->plan->req.secret_name;

	if (!r->b.kube) {
		ops_note(s, "%s is Consul-only: no Secret there", r->b.c->name);
		return STEP_ALREADY;
	}
	if (ops_secret_read(&r->b, name, &sec, &err) < 0)
		return ops_fail_http(r, s, &r->b, "read the Secret", &err);
	bool exists = sec.exists, managed = sec.managed;
	/* The delete is tied to the Secret this check vetted. */
	snprintf(r->copy_rv, sizeof r->copy_rv, "%s", sec.rv);
	snprintf(r->copy_uid, sizeof r->copy_uid, "%s", sec.uid);
	ops_secret_clear(&sec);
	if (!exists) {
		ops_note(s, "not there");
		return STEP_ALREADY;
	}
	if (!managed) {
		ops_note(s, "left alone: peerscope did not write it");
		ops_plan_note(r, "Secret %s on %s stays: peerscope did not write it", name,
		              r->b.c->name);
		return STEP_ALREADY;
	}
	ops_note(s, "delete (written by peerscope)");
	ops_plan_change(r, &r->b, NULL, "delete Secret %s/%s", r->b.c->ns, name);
	return STEP_TODO;
}

static enum step_result copy_act(struct run *r, struct ops_step *s)
{
	struct http_error err = {0};

	if (ops_kube_delete_if(r, &r->b, KUBE_SECRET, r->plan->req.secret_name, r->copy_uid,
	                       r->copy_rv, &err) < 0) {
		if (err.kind == HTTP_ERR_STATUS && err.status == 409)
			return ops_fail(r, s,
			                "run the same command again: it reads the Secret again",
			                "Secret %s on %s changed since it was read: not deleted",
			                r->plan->req.secret_name, r->b.c->name);
		return ops_fail_http(r, s, &r->b, "delete the Secret", &err);
	}
	ops_note(s, "deleted");
	return STEP_OK;
}

static const struct step_def step_copy = {copy_title, copy_check, copy_act};

/* ------------------------------------------------------------ gone */

static void gone_title(struct run *r, struct ops_step *s)
{
	snprintf(s->title, sizeof s->title, "gone from Consul on both ends");
	s->cluster[0] = '\0';
	(void)r;
}

static int gone(struct run *r, struct ops_step *s, char *seen, size_t len)
{
	struct http_error err = {0};
	struct model_peering pa, pb;
	int ha = ops_read_peering(&r->a, &pa, &err), hb = ops_read_peering(&r->b, &pb, &err);

	snprintf(seen, len, "%s %s · %s %s", r->a.c->name,
	         ha > 0   ? model_peering_state_name(pa.state)
	         : ha < 0 ? "unreachable"
	                  : "gone",
	         r->b.c->name,
	         hb > 0   ? model_peering_state_name(pb.state)
	         : hb < 0 ? "unreachable"
	                  : "gone");
	if (ha > 0)
		model_peering_clear(&pa);
	if (hb > 0)
		model_peering_clear(&pb);
	ops_progress_note(r, s, "%s", seen);
	return ha == 0 && hb == 0;
}

static enum step_result gone_check(struct run *r, struct ops_step *s)
{
	char seen[512];

	if (r->planning) {
		ops_note(s, "wait up to %ld s", (r->wait_ms + 999) / 1000);
		return STEP_TODO;
	}
	return gone(r, s, seen, sizeof seen) ? STEP_ALREADY : STEP_TODO;
}

static enum step_result gone_act(struct run *r, struct ops_step *s)
{
	return ops_wait(r, s, "the removal of the peering", gone);
}

static const struct step_def step_gone = {gone_title, gone_check, gone_act};

/* ------------------------------------------------------------ operation */

static int resolve_unpeer(struct run *r)
{
	if (ops_resolve_existing(r, true) < 0)
		return -1;
	char a[160], b[160];

	snprintf(r->plan->title, sizeof r->plan->title, "Delete the peering %s ↔ %s",
	         ops_side_label(&r->a, a, sizeof a), ops_side_label(&r->b, b, sizeof b));
	r->plan->destructive = true;
	if (r->planning) {
		preview_imports(r, &r->b, &r->a);
		preview_imports(r, &r->a, &r->b);
	}
	return 0;
}

static const struct step_def *const unpeer_steps[] = {&step_dialer, &step_acceptor, &step_copy,
                                                      &step_gone};

const struct op_def ops_def_unpeer = {OPS_UNPEER, resolve_unpeer, unpeer_steps,
                                      sizeof unpeer_steps / sizeof unpeer_steps[0]};
