/* The operations worker and the plan against peerscope-sim: what a plan
 * does when something fails as when out of memory, and a cancel at the
 * edges of a run. join_build and ops_plan_copy are wrapped
 * (-Wl,--wrap=...) so that a test can make them fail; otherwise they are
 * the real ones. Judged with the Kubernetes API, not peerscope's reader. */
#include "autoconfig.h"

#include "unit.h"

#include "simrig.h"

#include "peerscope/join.h"
#include "peerscope/monotime.h"
#include "peerscope/ops.h"
#include "peerscope/worker.h"

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

static struct simrig rig;
static atomic_bool fail_join, fail_copy;

int __real_join_build(const struct store_snapshot *const *snaps, size_t n, int64_t now_ns,
                      const struct join_options *opt, struct join_view *out);
int __wrap_join_build(const struct store_snapshot *const *snaps, size_t n, int64_t now_ns,
                      const struct join_options *opt, struct join_view *out);
int __real_ops_plan_copy(struct ops_plan *dst, const struct ops_plan *src);
int __wrap_ops_plan_copy(struct ops_plan *dst, const struct ops_plan *src);

int __wrap_join_build(const struct store_snapshot *const *snaps, size_t n, int64_t now_ns,
                      const struct join_options *opt, struct join_view *out)
{
	if (atomic_load(&fail_join)) {
		memset(out, 0, sizeof *out);
		return -1;
	}
	return __real_join_build(snaps, n, now_ns, opt, out);
}

int __wrap_ops_plan_copy(struct ops_plan *dst, const struct ops_plan *src)
{
	if (atomic_load(&fail_copy)) {
		memset(dst, 0, sizeof *dst);
		return -1;
	}
	return __real_ops_plan_copy(dst, src);
}

static void up(void)
{
	ck_assert_int_eq(simrig_up(&rig, "2", "20", NULL), 0);
}

static void down(void)
{
	atomic_store(&fail_join, false);
	atomic_store(&fail_copy, false);
	simrig_down(&rig);
}

static struct ops_request peer_request(void)
{
	struct ops_request q = {.kind = OPS_PEER, .wait_ms = 30000};

	snprintf(q.a, sizeof q.a, "cluster-01");
	snprintf(q.b, sizeof q.b, "cluster-02");
	return q;
}

/* The phase once the worker has left PHASE (at most LIMIT_MS). */
static enum worker_phase leave(struct worker *w, enum worker_phase phase, long limit_ms)
{
	uint64_t seq;
	enum worker_phase p = worker_state(w, NULL, NULL, &seq);
	int64_t end = monotime_ms() + limit_ms;

	while (p == phase && monotime_ms() < end) {
		worker_wait(w, seq, 100);
		p = worker_state(w, NULL, NULL, &seq);
	}
	return p;
}

/* The HTTP status of GET PATH on cluster I's Kubernetes API. */
static bool kube_has(size_t i, const char *path)
{
	return simrig_kube(&rig, i, "GET", path, NULL) == 0;
}

#define ACCEPTOR "/apis/consul.hashicorp.com/v1alpha1/namespaces/consul/peeringacceptors/cluster-02"

/* The prerequisites checks failing (out of memory) fail the plan: it is
 * not a plan with no step that would run unconfirmed. */
START_TEST(prereqs_failure_fails_the_plan)
{
	const struct ops_env *env = session_ops_env(rig.s);
	struct ops_request q = peer_request();
	struct ops_plan plan;
	struct worker *w = worker_start(env, NULL, NULL);

	ck_assert_ptr_nonnull(w);
	atomic_store(&fail_join, true);
	ck_assert_int_eq(ops_plan(env, &q, &plan), -1);
	ops_plan_free(&plan);
	ck_assert(worker_plan(w, &q));
	ck_assert_int_eq(leave(w, WORKER_PLANNING, 30000), WORKER_IDLE);
	ck_assert(!worker_run(w));
	atomic_store(&fail_join, false);
	worker_stop(w);
	ck_assert(!kube_has(0, ACCEPTOR));
}
END_TEST

/* A plan that could not be copied out of the worker is a refusal: an empty
 * copy read as GO, not destructive, with no confirmation word, and the
 * caller ran the worker's real plan unconfirmed. */
START_TEST(failed_copy_refuses)
{
	struct ops_request q = peer_request();
	struct ops_plan plan;
	struct worker *w = worker_start(session_ops_env(rig.s), NULL, NULL);

	ck_assert_ptr_nonnull(w);
	ck_assert(worker_plan(w, &q));
	ck_assert_int_eq(leave(w, WORKER_PLANNING, 30000), WORKER_PLANNED);
	worker_state(w, &plan, NULL, NULL);
	ck_assert_int_eq(plan.refusal, OPS_GO);
	ops_plan_free(&plan);
	atomic_store(&fail_copy, true);
	worker_state(w, &plan, NULL, NULL);
	atomic_store(&fail_copy, false);
	ck_assert_int_ne(plan.refusal, OPS_GO);
	ck_assert_msg(strstr(plan.reason, "out of memory"), "%s", plan.reason);
	ops_plan_free(&plan);
	worker_stop(w);
	ck_assert(!kube_has(0, ACCEPTOR));
}
END_TEST

/* A cancel right after worker_run() is kept: the run stops before its
 * first step (the thread cleared the flag when it began, after the
 * cancel). */
START_TEST(cancel_at_start_is_kept)
{
	struct ops_request q = peer_request();
	struct ops_status st;
	struct worker *w = worker_start(session_ops_env(rig.s), NULL, NULL);

	ck_assert_ptr_nonnull(w);
	ck_assert(worker_plan(w, &q));
	ck_assert_int_eq(leave(w, WORKER_PLANNING, 30000), WORKER_PLANNED);
	ck_assert(worker_run(w));
	worker_cancel(w);
	ck_assert_int_eq(leave(w, WORKER_RUNNING, 60000), WORKER_DONE);
	worker_state(w, NULL, &st, NULL);
	ck_assert_int_eq(st.outcome, OPS_CANCELLED);
	worker_stop(w);
	ck_assert(!kube_has(0, ACCEPTOR));
}
END_TEST

/* worker_stop() right after worker_run() ends the run at once rather than
 * waiting for the whole operation (30 s for ACTIVE here). */
START_TEST(stop_at_start_is_prompt)
{
	struct ops_request q = peer_request();
	struct worker *w = worker_start(session_ops_env(rig.s), NULL, NULL);
	int64_t t0;

	ck_assert_ptr_nonnull(w);
	ck_assert(worker_plan(w, &q));
	ck_assert_int_eq(leave(w, WORKER_PLANNING, 30000), WORKER_PLANNED);
	ck_assert(worker_run(w));
	t0 = monotime_ms();
	worker_stop(w);
	ck_assert_int_lt(monotime_ms() - t0, 5000);
}
END_TEST

static Suite *worker_suite(void)
{
	Suite *s = suite_create("worker");
	TCase *t = tcase_create("sim");

	tcase_set_timeout(t, 120);
	tcase_add_checked_fixture(t, up, down);
	tcase_add_test(t, prereqs_failure_fails_the_plan);
	tcase_add_test(t, failed_copy_refuses);
	tcase_add_test(t, cancel_at_start_is_kept);
	tcase_add_test(t, stop_at_start_is_prompt);
	suite_add_tcase(s, t);
	return s;
}

UNIT_MAIN(worker_suite)
