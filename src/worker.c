/* worker: the thread that plans and runs operations, one at a time. */
#include "autoconfig.h"

#include "peerscope/worker.h"

#include "peerscope/store.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct worker {
	const struct ops_env *env;
	worker_progress_fn fn;
	void *fn_ctx;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond; /* a request for the thread, or a change for waiters */
	bool stop;
	enum worker_phase phase;
	bool want_plan, want_run;
	struct ops_request req;
	struct ops_plan plan; /* PLANNED, RUNNING, DONE: the current operation's */
	bool have_plan;
	struct ops_status status;
	atomic_bool cancel;
	uint64_t seq;
	/* Per step, the state last reported to the activity log. */
	enum ops_step_state told[OPS_MAX_STEPS];
};

const char *worker_phase_name(enum worker_phase p)
{
	static const char *const names[] = {"idle", "planning", "planned", "running", "done"};

	return (unsigned)p < sizeof names / sizeof names[0] ? names[p] : "?";
}

/* Under the lock: the state changed. */
static void changed(struct worker *w)
{
	w->seq++;
	pthread_cond_broadcast(&w->cond);
}

static void wake_readers(struct worker *w)
{
	if (w->env->store)
		store_wake(w->env->store);
}

/* A step's start and end in the activity log (not its live notes). */
static void log_step(struct worker *w, const struct ops_status *st, size_t i)
{
	const struct ops_step *s = &st->steps[i];
	enum store_event_level lv = s->state == OPS_STEP_FAILED    ? STORE_EV_ERROR
	                            : s->state == OPS_STEP_STOPPED ? STORE_EV_WARN
	                                                           : STORE_EV_INFO;

	if (!w->env->store || w->told[i] == s->state)
		return;
	w->told[i] = s->state;
	if (s->state == OPS_STEP_RUNNING)
		store_event(w->env->store, lv, s->cluster, ops_kind_name(st->kind), "%s: started",
		            s->title);
	else
		store_event(w->env->store, lv, s->cluster, ops_kind_name(st->kind), "%s: %s%s%s",
		            s->title, ops_step_state_name(s->state), s->note[0] ? ": " : "",
		            s->note);
}

static void on_progress(void *ctx, const struct ops_status *st, size_t step)
{
	struct worker *w = ctx;

	pthread_mutex_lock(&w->lock);
	w->status = *st;
	changed(w);
	pthread_mutex_unlock(&w->lock);
	if (step < OPS_MAX_STEPS)
		log_step(w, st, step);
	else if (w->env->store)
		store_event(w->env->store,
		            st->outcome == OPS_OK          ? STORE_EV_INFO
		            : st->outcome == OPS_CANCELLED ? STORE_EV_WARN
		                                           : STORE_EV_ERROR,
		            "", ops_kind_name(st->kind), "%s: %s%s%s", st->title,
		            ops_outcome_name(st->outcome), st->message[0] ? ": " : "", st->message);
	if (w->fn)
		w->fn(w->fn_ctx, st, step);
	wake_readers(w);
}

static void do_plan(struct worker *w)
{
	struct ops_request req = w->req;
	struct ops_plan plan;
	int rc;

	pthread_mutex_unlock(&w->lock);
	rc = ops_plan_cancellable(w->env, &req, &w->cancel, &plan);
	pthread_mutex_lock(&w->lock);
	if (w->have_plan)
		ops_plan_free(&w->plan);
	w->have_plan = rc == 0;
	if (rc == 0)
		w->plan = plan;
	w->phase = rc == 0 ? WORKER_PLANNED : WORKER_IDLE;
	changed(w);
	pthread_mutex_unlock(&w->lock);
	wake_readers(w);
	pthread_mutex_lock(&w->lock);
}

static void do_run(struct worker *w)
{
	struct ops_status st;

	memset(w->told, 0, sizeof w->told);
	pthread_mutex_unlock(&w->lock);
	/* The plan stays put while it runs: only this thread replaces it. */
	ops_run(w->env, &w->plan, &w->cancel, on_progress, w, &st);
	pthread_mutex_lock(&w->lock);
	w->status = st;
	w->phase = WORKER_DONE;
	changed(w);
	pthread_mutex_unlock(&w->lock);
	wake_readers(w);
	pthread_mutex_lock(&w->lock);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	pthread_mutex_lock(&w->lock);
	for (;;) {
		while (!w->stop && !w->want_plan && !w->want_run)
			pthread_cond_wait(&w->cond, &w->lock);
		if (w->stop)
			break;
		if (w->want_plan) {
			w->want_plan = false;
			do_plan(w);
		} else {
			w->want_run = false;
			do_run(w);
		}
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

struct worker *worker_start(const struct ops_env *env, worker_progress_fn fn, void *ctx)
{
	struct worker *w = calloc(1, sizeof *w);
	pthread_condattr_t ca;

	if (!w)
		return NULL;
	w->env = env;
	w->fn = fn;
	w->fn_ctx = ctx;
	atomic_init(&w->cancel, false);
	pthread_mutex_init(&w->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&w->cond, &ca);
	pthread_condattr_destroy(&ca);
	if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
		pthread_cond_destroy(&w->cond);
		pthread_mutex_destroy(&w->lock);
		free(w);
		return NULL;
	}
	return w;
}

void worker_stop(struct worker *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->lock);
	w->stop = true;
	/* After stop, under the lock: no run can begin and clear it. */
	atomic_store(&w->cancel, true);
	pthread_cond_broadcast(&w->cond);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	if (w->have_plan)
		ops_plan_free(&w->plan);
	pthread_cond_destroy(&w->cond);
	pthread_mutex_destroy(&w->lock);
	free(w);
}

static bool busy(const struct worker *w)
{
	return w->want_plan || w->want_run || w->phase == WORKER_PLANNING ||
	       w->phase == WORKER_RUNNING;
}

bool worker_plan(struct worker *w, const struct ops_request *req)
{
	bool ok;

	pthread_mutex_lock(&w->lock);
	ok = !busy(w);
	if (ok) {
		w->req = *req;
		atomic_store(&w->cancel, false);
		w->want_plan = true;
		w->phase = WORKER_PLANNING;
		memset(&w->status, 0, sizeof w->status);
		changed(w);
	}
	pthread_mutex_unlock(&w->lock);
	return ok;
}

bool worker_run(struct worker *w)
{
	bool ok;

	pthread_mutex_lock(&w->lock);
	ok = !busy(w) && w->phase == WORKER_PLANNED && w->have_plan && w->plan.refusal == OPS_GO;
	if (ok) {
		/* Cleared here, not when the thread begins: a cancel right
		 * after this call is kept. */
		atomic_store(&w->cancel, false);
		w->want_run = true;
		w->phase = WORKER_RUNNING;
		memset(&w->status, 0, sizeof w->status);
		w->status.kind = w->plan.req.kind;
		w->status.outcome = OPS_RUNNING;
		changed(w);
	}
	pthread_mutex_unlock(&w->lock);
	return ok;
}

void worker_drop(struct worker *w)
{
	pthread_mutex_lock(&w->lock);
	if (w->phase == WORKER_PLANNED || w->phase == WORKER_DONE) {
		if (w->have_plan)
			ops_plan_free(&w->plan);
		w->have_plan = false;
		w->phase = WORKER_IDLE;
		changed(w);
	}
	pthread_mutex_unlock(&w->lock);
}

void worker_cancel(struct worker *w)
{
	atomic_store(&w->cancel, true);
}

/* A plan that could not be copied: a refusal, so that no caller runs what
 * it could not show (an empty copy reads as GO, unconfirmed). */
static void copy_failed(struct ops_plan *plan, const struct ops_plan *src)
{
	memset(plan, 0, sizeof *plan);
	plan->req = src->req;
	snprintf(plan->title, sizeof plan->title, "%s", src->title);
	plan->refusal = OPS_REFUSE_RULE;
	snprintf(plan->reason, sizeof plan->reason,
	         "out of memory: the plan could not be shown, so it is not run");
}

enum worker_phase worker_state(struct worker *w, struct ops_plan *plan, struct ops_status *status,
                               uint64_t *seq)
{
	enum worker_phase p;

	pthread_mutex_lock(&w->lock);
	p = w->phase;
	if (plan) {
		memset(plan, 0, sizeof *plan);
		if (w->have_plan && ops_plan_copy(plan, &w->plan) < 0)
			copy_failed(plan, &w->plan);
	}
	if (status)
		*status = w->status;
	if (seq)
		*seq = w->seq;
	pthread_mutex_unlock(&w->lock);
	return p;
}

uint64_t worker_wait(struct worker *w, uint64_t seq, long timeout_ms)
{
	struct timespec ts;
	uint64_t now;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	if (timeout_ms >= 0) {
		ts.tv_sec += timeout_ms / 1000;
		ts.tv_nsec += (timeout_ms % 1000) * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
	}
	pthread_mutex_lock(&w->lock);
	while (w->seq == seq) {
		int rc = timeout_ms < 0 ? pthread_cond_wait(&w->cond, &w->lock)
		                        : pthread_cond_timedwait(&w->cond, &w->lock, &ts);
		if (rc == ETIMEDOUT)
			break;
	}
	now = w->seq;
	pthread_mutex_unlock(&w->lock);
	return now;
}
