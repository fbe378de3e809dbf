/* ops: planning and running an operation: each kind's table of steps
 * (peering.c, unpeer.c, mesh.c, exports.c, intentions.c), the
 * prerequisites that guard it (prereqs.c), then each step's check and act
 * with the helpers of run.c. The top of the module: the files below it do
 * not call it. */
#include "autoconfig.h"

#include "ops_internal.h"

#include "peerscope/monotime.h"
#include "peerscope/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const struct op_def *const defs[OPS_KIND_COUNT] = {
        [OPS_PEER] = &ops_def_peer,
        [OPS_ACCEPTOR] = &ops_def_acceptor,
        [OPS_EXCHANGE] = &ops_def_exchange,
        [OPS_DIALER] = &ops_def_dialer,
        [OPS_REGENERATE] = &ops_def_regenerate,
        [OPS_UNPEER] = &ops_def_unpeer,
        [OPS_GATEWAY_MODE] = &ops_def_gateway_mode,
        [OPS_PEER_THROUGH_GATEWAYS] = &ops_def_ptmg,
        [OPS_EXPORT] = &ops_def_export,
        [OPS_UNEXPORT] = &ops_def_unexport,
        [OPS_ALLOW] = &ops_def_allow,
        [OPS_DENY] = &ops_def_deny,
};

const char *ops_resume_hint(const struct ops_plan *plan, char *buf, size_t len)
{
	const struct ops_request *q = &plan->req;

	if (ops_kind_is_mesh(q->kind))
		ops_mesh_hint(q, buf, len);
	else if (q->kind == OPS_DIALER)
		snprintf(buf, len, "peerscope dialer %s %s", q->b, q->a);
	else
		snprintf(buf, len, "peerscope %s %s %s", ops_kind_name(q->kind), q->a, q->b);
	/* The same partitions again. */
	if (*q->partition) {
		size_t used = strlen(buf);
		snprintf(buf + used, len - used, " --partition %s", q->partition);
	}
	if (!ops_kind_is_mesh(q->kind) && *q->dialer_partition) {
		size_t used = strlen(buf);
		snprintf(buf + used, len - used, " --dialer-partition %s", q->dialer_partition);
	}
	return buf;
}

/* ------------------------------------------------------------ plan */

static void run_init(struct run *r, const struct ops_env *env, struct ops_plan *plan)
{
	memset(r, 0, sizeof *r);
	r->env = env;
	r->plan = plan;
	r->def = defs[plan->req.kind];
	r->wait_ms = plan->req.wait_ms > 0 ? plan->req.wait_ms : OPS_DEFAULT_WAIT_MS;
	ops_resume_hint(plan, r->resume, sizeof r->resume);
}

/* A plan cancelled: whatever it had found, nothing is to be done. */
static void plan_stopped(struct ops_plan *p)
{
	p->refusal = OPS_REFUSE_STOPPED;
	snprintf(p->reason, sizeof p->reason, "stopped before any change");
	p->fix[0] = '\0';
	p->destructive = false;
}

int ops_plan(const struct ops_env *env, const struct ops_request *req, struct ops_plan *out)
{
	return ops_plan_cancellable(env, req, NULL, out);
}

int ops_plan_cancellable(const struct ops_env *env, const struct ops_request *req,
                         const atomic_bool *cancel, struct ops_plan *out)
{
	struct run r;
	int rc = 0;

	memset(out, 0, sizeof *out);
	out->req = *req;
	if ((unsigned)req->kind >= OPS_KIND_COUNT) {
		out->refusal = OPS_REFUSE_USAGE;
		snprintf(out->reason, sizeof out->reason, "unknown operation");
		return 0;
	}
	run_init(&r, env, out);
	r.planning = true;
	r.cancel = cancel;
	if (r.def->resolve(&r) < 0 || out->refusal != OPS_GO)
		goto out;
	if (ops_prereqs(&r) < 0) {
		rc = -1; /* not a plan without its checks */
		goto out;
	}
	if (out->refusal != OPS_GO)
		goto out;
	for (size_t i = 0; i < r.def->nsteps; i++) {
		const struct step_def *d = r.def->steps[i];
		struct ops_step *s = &out->steps[out->nsteps++];
		enum step_result res;

		if (ops_cancelled(&r))
			break;
		d->title(&r, s);
		res = d->check(&r, s);
		if (res == STEP_FAIL) {
			out->refusal = OPS_REFUSE_RULE;
			s->state = OPS_STEP_FAILED;
			break;
		}
		s->state = res == STEP_ALREADY ? OPS_STEP_SKIPPED : OPS_STEP_TODO;
		if (res == STEP_ALREADY && !s->note[0])
			ops_note(s, "nothing to do");
	}
out:
	if (ops_cancelled(&r))
		plan_stopped(out);
	ops_token_clear(&r);
	ops_res_clear(&r.res);
	ops_snapshots_release(&r);
	if (rc < 0)
		ops_plan_free(out);
	return rc;
}

void ops_plan_free(struct ops_plan *p)
{
	model_strv_clear(&p->notes);
	model_strv_clear(&p->preview);
	model_strv_clear(&p->followups);
	for (size_t i = 0; i < p->nchanges; i++) {
		free(p->changes[i].body);
		free(p->changes[i].diff);
	}
	free(p->changes);
	p->changes = NULL;
	p->nchanges = 0;
}

static int strv_copy(struct model_strv *dst, const struct model_strv *src)
{
	for (size_t i = 0; i < src->n; i++)
		if (model_strv_push(dst, src->v[i]) < 0)
			return -1;
	return 0;
}

int ops_plan_copy(struct ops_plan *dst, const struct ops_plan *src)
{
	*dst = *src;
	dst->notes = (struct model_strv){0};
	dst->preview = (struct model_strv){0};
	dst->followups = (struct model_strv){0};
	dst->changes = NULL;
	dst->nchanges = 0;
	if (strv_copy(&dst->notes, &src->notes) < 0 ||
	    strv_copy(&dst->preview, &src->preview) < 0 ||
	    strv_copy(&dst->followups, &src->followups) < 0)
		goto fail;
	if (src->nchanges) {
		dst->changes = calloc(src->nchanges, sizeof *dst->changes);
		if (!dst->changes)
			goto fail;
		for (size_t i = 0; i < src->nchanges; i++) {
			struct ops_change *c = &dst->changes[dst->nchanges++];
			*c = src->changes[i];
			c->body = c->diff = NULL;
			if ((src->changes[i].body && !(c->body = strdup(src->changes[i].body))) ||
			    (src->changes[i].diff && !(c->diff = strdup(src->changes[i].diff))))
				goto fail;
		}
	}
	return 0;
fail:
	ops_plan_free(dst);
	return -1;
}

/* ------------------------------------------------------------ run */

static void make_id(char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;
	char when[24];
	unsigned long x;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(when, sizeof when, "%Y%m%dT%H%M%SZ", &tm);
	x = (unsigned long)ts.tv_nsec ^ ((unsigned long)getpid() << 16) ^
	    (unsigned long)monotime_ns();
	snprintf(buf, len, "%s-%06lx", when, x & 0xffffff);
}

static enum ops_step_state state_of(enum step_result res)
{
	switch (res) {
	case STEP_ALREADY:
		return OPS_STEP_SKIPPED;
	case STEP_OK:
		return OPS_STEP_DONE;
	case STEP_CANCEL:
		return OPS_STEP_STOPPED;
	default:
		return OPS_STEP_FAILED;
	}
}

static enum ops_outcome outcome_of(enum step_result res)
{
	switch (res) {
	case STEP_TIMEOUT:
		return OPS_TIMEOUT;
	case STEP_CANCEL:
		return OPS_CANCELLED;
	case STEP_FAIL:
		return OPS_FAILED;
	default:
		return OPS_OK;
	}
}

/* One step: check, then act when something is left to do. */
static enum step_result run_step(struct run *r, size_t i)
{
	const struct step_def *d = r->def->steps[i];
	struct ops_step *s = &r->st->steps[i];
	int64_t t0 = monotime_ms();
	enum step_result res;

	r->st->current = i;
	r->step_wall_ns = store_now_ns() - 1000000000; /* a second of clock skew */
	s->state = OPS_STEP_RUNNING;
	s->note[0] = '\0';
	ops_progress(r, i);
	res = ops_cancelled(r) ? STEP_CANCEL : d->check(r, s);
	if (res == STEP_TODO)
		res = d->act ? d->act(r, s) : STEP_OK;
	if (res == STEP_ALREADY && !s->note[0])
		ops_note(s, "already so: nothing to do");
	s->elapsed_ms = monotime_ms() - t0;
	s->state = state_of(res);
	ops_progress(r, i);
	return res;
}

enum ops_outcome ops_run(const struct ops_env *env, const struct ops_plan *plan,
                         const atomic_bool *cancel, ops_progress_fn fn, void *ctx,
                         struct ops_status *out)
{
	struct ops_plan work = *plan;
	struct run r;
	int64_t t0 = monotime_ms();
	enum step_result res = STEP_OK;

	memset(out, 0, sizeof *out);
	make_id(out->id, sizeof out->id);
	out->kind = plan->req.kind;
	snprintf(out->title, sizeof out->title, "%s", plan->title);
	if (plan->refusal != OPS_GO) {
		out->outcome = OPS_REFUSED;
		snprintf(out->message, sizeof out->message, "%s", plan->reason);
		snprintf(out->fix, sizeof out->fix, "%s", plan->fix);
		return out->outcome;
	}
	/* The run reads the resolved request; notes and changes stay with the
	 * caller's plan. */
	work.notes = (struct model_strv){0};
	work.preview = (struct model_strv){0};
	work.followups = (struct model_strv){0};
	work.changes = NULL;
	work.nchanges = 0;
	run_init(&r, env, &work);
	r.st = out;
	r.cancel = cancel;
	r.fn = fn;
	r.ctx = ctx;
	out->nsteps = r.def->nsteps;
	out->outcome = OPS_RUNNING;
	if (r.def->resolve(&r) < 0 || work.refusal != OPS_GO) {
		out->outcome = OPS_REFUSED;
		snprintf(out->message, sizeof out->message, "%s", work.reason);
		snprintf(out->fix, sizeof out->fix, "%s", work.fix);
		goto out;
	}
	for (size_t i = 0; i < r.def->nsteps; i++)
		r.def->steps[i]->title(&r, &out->steps[i]);
	for (size_t i = 0; i < r.def->nsteps; i++) {
		res = run_step(&r, i);
		if (res != STEP_OK && res != STEP_ALREADY)
			break;
	}
	out->outcome = outcome_of(res);
	if (out->outcome == OPS_CANCELLED) {
		char hint[256];
		snprintf(out->message, sizeof out->message,
		         "stopped: what was created stays; run '%s' to continue where it stopped",
		         ops_resume_hint(plan, hint, sizeof hint));
	} else if (out->outcome == OPS_OK && !out->message[0]) {
		snprintf(out->message, sizeof out->message, "%s: done", plan->title);
	}
out:
	out->elapsed_ms = monotime_ms() - t0;
	ops_token_clear(&r);
	ops_res_clear(&r.res);
	ops_plan_free(&work);
	ops_progress(&r, OPS_MAX_STEPS);
	return out->outcome;
}
