/* Unit tests of the session (src/session.c), on clusters whose Consul
 * refuses every connection (127.0.0.1:1): no simulator is needed to see what
 * the snapshots callback hands back, or which threads a session runs. */
#include "autoconfig.h"

#include "unit.h"

#include "peerscope/config.h"
#include "peerscope/ops.h"
#include "peerscope/poller.h"
#include "peerscope/session.h"
#include "peerscope/store.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define NCLUSTERS 12 /* more than 8; the simulator serves up to 16 */

/* poller_start is wrapped (-Wl,--wrap=poller_start): it fails while this
 * is set, as when a thread cannot start. */
static bool fail_poller_start;

struct poller *__real_poller_start(struct store *st, const struct poller_cluster *clusters,
                                   size_t n, const struct poller_options *opt);
struct poller *__wrap_poller_start(struct store *st, const struct poller_cluster *clusters,
                                   size_t n, const struct poller_options *opt);

struct poller *__wrap_poller_start(struct store *st, const struct poller_cluster *clusters,
                                   size_t n, const struct poller_options *opt)
{
	return fail_poller_start ? NULL : __real_poller_start(st, clusters, n, opt);
}

/* A configuration of NCLUSTERS clusters that refuse every connection. */
struct fixture {
	char dir[40], path[300];
	struct config_diags d;
	struct config_args args;
	struct config *cfg;
};

static void fixture_load(struct fixture *fx)
{
	/* The parsed arguments point into argv: these outlive the call. */
	static char a0[] = "peerscope", a1[] = "--config";
	char text[4096] = "clusters:\n";
	char *argv[] = {a0, a1, fx->path, NULL}, *envp[] = {NULL};
	FILE *f;

	memset(fx, 0, sizeof *fx);
	snprintf(fx->dir, sizeof fx->dir, "/tmp/peerscope-session-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(fx->dir));
	for (int i = 1; i <= NCLUSTERS; i++) {
		size_t used = strlen(text);
		snprintf(text + used, sizeof text - used,
		         "  - name: c%02d\n    consul: {address: \"http://127.0.0.1:1\"}\n", i);
	}
	snprintf(fx->path, sizeof fx->path, "%s/config.yaml", fx->dir);
	ck_assert_ptr_nonnull(f = fopen(fx->path, "w"));
	fputs(text, f);
	fclose(f);
	chmod(fx->path, 0600);
	ck_assert_int_eq(config_parse_args(3, argv, &fx->args, &fx->d), 0);
	ck_assert_int_eq(config_load(&fx->args, envp, &fx->cfg, &fx->d), 0);
}

static void fixture_free(struct fixture *fx)
{
	config_free(fx->cfg);
	config_args_free(&fx->args);
	config_diags_free(&fx->d);
	unlink(fx->path);
	rmdir(fx->dir);
}

/* The operations' snapshots callback hands back every cluster's. */
static void expect_all_snapshots(struct session *s)
{
	const struct ops_env *env = session_ops_env(s);
	struct store_snapshot *out[NCLUSTERS];

	ck_assert_uint_eq(session_count(s), NCLUSTERS);
	env->snapshots(env->ctx, session_names(s), NCLUSTERS, 10000, NULL, out);
	for (size_t i = 0; i < NCLUSTERS; i++) {
		ck_assert_msg(out[i] != NULL, "no snapshot of cluster %zu", i);
		ck_assert_str_eq(out[i]->name, session_names(s)[i]);
		store_snapshot_unref(out[i]);
	}
}

/* The threads of this process, from /proc/self/status. */
static long threads(void)
{
	char line[256];
	long n = -1;
	FILE *f = fopen("/proc/self/status", "r");

	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof line, f))
		if (sscanf(line, "Threads: %ld", &n) == 1)
			break;
	fclose(f);
	ck_assert_int_gt(n, 0);
	return n;
}

/* Every configured cluster's snapshot is handed back, however many there
 * are (above 8 none was: the callback returned nothing). */
START_TEST(snapshots_of_many_clusters)
{
	struct session_options so = {.pollers = true,
	                             .poll = {.backoff_base_ms = 100, .backoff_max_ms = 500}};
	struct session *s = NULL;
	struct fixture fx;
	char err[512];

	fixture_load(&fx);
	ck_assert_int_eq(session_open(fx.cfg, NULL, &so, &s, err, sizeof err), 0);
	expect_all_snapshots(s);
	session_close(s);
	fixture_free(&fx);
}
END_TEST

/* With defer_pollers the session opens without a thread of its own and
 * nothing in the store; session_start_pollers starts one poller thread a
 * cluster, once: a second call starts none. Each thread joins on close. */
START_TEST(pollers_start_when_asked_once)
{
	struct session_options so = {.pollers = true,
	                             .defer_pollers = true,
	                             .poll = {.backoff_base_ms = 100, .backoff_max_ms = 500}};
	struct session *s = NULL;
	struct fixture fx;
	char err[512];

	fixture_load(&fx);
	long base = threads();
	ck_assert_int_eq(session_open(fx.cfg, NULL, &so, &s, err, sizeof err), 0);
	ck_assert_int_eq(threads(), base);
	session_refresh(s); /* nothing to ask yet */
	for (size_t i = 0; i < NCLUSTERS; i++)
		ck_assert_ptr_null(store_get(session_store(s), i));

	ck_assert_int_eq(session_start_pollers(s), 0);
	long started = threads();
	ck_assert_int_ge(started, base + NCLUSTERS);
	ck_assert_int_eq(session_start_pollers(s), 0);
	ck_assert_int_eq(threads(), started);
	/* They poll: every cluster answers (refused) in the store. */
	struct store_snapshot *got[NCLUSTERS] = {0};
	ck_assert(store_wait_answered(session_store(s), NULL, 0, got, 10000, NULL));
	for (size_t i = 0; i < NCLUSTERS; i++)
		store_snapshot_unref(got[i]);
	expect_all_snapshots(s);
	session_close(s);
	ck_assert_int_eq(threads(), base);
	fixture_free(&fx);
}
END_TEST

/* Pollers deferred and never started: the operations still get every
 * cluster's snapshot (read afresh, as without pollers), and the session
 * closes. */
START_TEST(deferred_pollers_never_started)
{
	struct session_options so = {.pollers = true,
	                             .defer_pollers = true,
	                             .worker = true,
	                             .audit_path = "",
	                             .poll = {.backoff_base_ms = 100, .backoff_max_ms = 500}};
	struct session *s = NULL;
	struct fixture fx;
	char err[512];

	fixture_load(&fx);
	long base = threads();
	ck_assert_int_eq(session_open(fx.cfg, NULL, &so, &s, err, sizeof err), 0);
	ck_assert_int_eq(threads(), base + 1); /* the worker */
	expect_all_snapshots(s);
	for (size_t i = 0; i < NCLUSTERS; i++)
		ck_assert_ptr_null(store_get(session_store(s), i));
	session_close(s);
	ck_assert_int_eq(threads(), base);
	fixture_free(&fx);
}
END_TEST

/* Pollers that cannot start: -1, no thread left behind, and a later call
 * starts them. */
START_TEST(pollers_that_cannot_start)
{
	struct session_options so = {.pollers = true,
	                             .defer_pollers = true,
	                             .poll = {.backoff_base_ms = 100, .backoff_max_ms = 500}};
	struct session *s = NULL;
	struct fixture fx;
	char err[512];

	fixture_load(&fx);
	long base = threads();
	ck_assert_int_eq(session_open(fx.cfg, NULL, &so, &s, err, sizeof err), 0);
	fail_poller_start = true;
	ck_assert_int_eq(session_start_pollers(s), -1);
	fail_poller_start = false;
	ck_assert_int_eq(threads(), base);
	session_refresh(s);
	ck_assert_int_eq(session_start_pollers(s), 0);
	ck_assert_int_ge(threads(), base + NCLUSTERS);
	session_close(s);
	ck_assert_int_eq(threads(), base);
	fixture_free(&fx);
}
END_TEST

/* Without deferral, pollers that cannot start fail the open, as they did. */
START_TEST(open_fails_without_pollers)
{
	struct session_options so = {.pollers = true};
	struct session *s = NULL;
	struct fixture fx;
	char err[512] = "";

	fixture_load(&fx);
	fail_poller_start = true;
	ck_assert_int_eq(session_open(fx.cfg, NULL, &so, &s, err, sizeof err), -1);
	fail_poller_start = false;
	ck_assert_ptr_null(s);
	ck_assert_str_eq(err, "cannot start the pollers");
	fixture_free(&fx);
}
END_TEST

/* Without pollers there is nothing to start. */
START_TEST(no_pollers_nothing_to_start)
{
	struct session_options so = {0};
	struct session *s = NULL;
	struct fixture fx;
	char err[512];

	fixture_load(&fx);
	long base = threads();
	ck_assert_int_eq(session_open(fx.cfg, NULL, &so, &s, err, sizeof err), 0);
	ck_assert_int_eq(session_start_pollers(s), 0);
	ck_assert_int_eq(threads(), base);
	ck_assert_ptr_null(session_store(s));
	session_close(s);
	fixture_free(&fx);
}
END_TEST

static Suite *session_suite(void)
{
	Suite *s = suite_create("session");
	TCase *t = tcase_create("snapshots");

	tcase_set_timeout(t, 30);
	tcase_add_test(t, snapshots_of_many_clusters);
	suite_add_tcase(s, t);
	t = tcase_create("start");
	tcase_set_timeout(t, 30);
	tcase_add_test(t, pollers_start_when_asked_once);
	tcase_add_test(t, deferred_pollers_never_started);
	tcase_add_test(t, no_pollers_nothing_to_start);
	tcase_add_test(t, pollers_that_cannot_start);
	tcase_add_test(t, open_fails_without_pollers);
	suite_add_tcase(s, t);
	return s;
}

UNIT_MAIN(session_suite)
