/* The pollers against peerscope-sim over loopback: changes reach the store,
 * each fault of the simulator's control API shows as an error and staleness
 * on its cluster only, recovery happens by itself, and shutdown is fast. */
#include "config.h"

#include "unit.h"

#include "peerscope/config.h"
#include "peerscope/http.h"
#include "peerscope/poller.h"
#include "peerscope/store.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* -------------------------------------------------------------- simulator */

struct sim {
	pid_t pid;
	char dir[256];
	char cfg[300];
	char control[256];
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sim_binary(char *buf, size_t len)
{
	const char *top = getenv("top_builddir");

	snprintf(buf, len, "%s/peerscope-sim", top ? top : ".");
}

static bool read_ready(struct sim *s)
{
	char path[300], line[200];
	FILE *f;

	snprintf(path, sizeof path, "%s/ready", s->dir);
	if (!(f = fopen(path, "r")))
		return false;
	while (fgets(line, sizeof line, f)) {
		line[strcspn(line, "\n")] = '\0';
		if (!strncmp(line, "control=", 8))
			snprintf(s->control, sizeof s->control, "%s", line + 8);
	}
	fclose(f);
	return s->control[0] != '\0';
}

static void sim_up(struct sim *s, const char *clusters)
{
	char bin[256], state[300], kc[300], ready[300];

	memset(s, 0, sizeof *s);
	snprintf(s->dir, sizeof s->dir, "%s/ps-poller-XXXXXX",
	         getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(s->dir));
	sim_binary(bin, sizeof bin);
	snprintf(state, sizeof state, "%s/state", s->dir);
	snprintf(kc, sizeof kc, "%s/kubeconfig", s->dir);
	snprintf(s->cfg, sizeof s->cfg, "%s/config.yaml", s->dir);
	snprintf(ready, sizeof ready, "%s/ready", s->dir);
	s->pid = fork();
	ck_assert_int_ge(s->pid, 0);
	if (s->pid == 0) {
		/* The simulator is under test elsewhere; here it only serves. In a
		 * ThreadSanitizer build its own reports must not stop it. */
		setenv("TSAN_OPTIONS", "report_bugs=0:exitcode=0", 1);
		execl(bin, bin, "-n", clusters, "--speed", "20", "--state-dir", state,
		      "--kubeconfig-out", kc, "--config-out", s->cfg, "--ready-file", ready,
		      (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 200 && !read_ready(s); i++)
		usleep(50000);
	ck_assert_msg(s->control[0], "peerscope-sim (%s) did not become ready", bin);
}

static void sim_down(struct sim *s)
{
	char cmd[400];

	if (s->pid > 0) {
		kill(s->pid, SIGTERM);
		waitpid(s->pid, NULL, 0);
	}
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", s->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", s->dir);
}

/* A control API request; fails the test unless it answers 2xx. */
static void ctl(const struct sim *s, const char *method, const char *path, const char *body)
{
	struct http_options o = {.cluster = "control", .base_url = s->control};
	struct http_error err;
	struct http_response resp = {0};
	struct http_client *c = http_client_new(&o, &err);
	struct http_request req = {.method = method, .path = path, .body = body};
	char buf[1024];

	ck_assert_ptr_nonnull(c);
	int rc = http_do(c, &req, &resp, &err);
	ck_assert_msg(rc == 0, "%s", http_error_format(&err, buf, sizeof buf));
	http_response_clear(&resp);
	http_client_free(c);
}

static void fault(const struct sim *s, const char *cluster, const char *spec)
{
	char path[128];

	snprintf(path, sizeof path, "/v1/clusters/%s/faults", cluster);
	ctl(s, "POST", path, spec);
}

static void clear_faults(const struct sim *s, const char *cluster)
{
	char path[128];

	snprintf(path, sizeof path, "/v1/clusters/%s/faults", cluster);
	ctl(s, "DELETE", path, NULL);
}

static void cluster_op(const struct sim *s, const char *cluster, const char *op)
{
	char path[128];

	snprintf(path, sizeof path, "/v1/clusters/%s/%s", cluster, op);
	ctl(s, "POST", path, "{}");
}

static void add_service(const struct sim *s, const char *cluster, const char *name)
{
	char path[128], body[128];

	snprintf(path, sizeof path, "/v1/clusters/%s/services", cluster);
	snprintf(body, sizeof body, "{\"name\":\"%s\",\"instances\":1}", name);
	ctl(s, "POST", path, body);
}

/* ------------------------------------------------------------------ pollers */

struct rig {
	struct sim sim;
	struct config *cfg;
	struct poller_conn conns[4];
	struct poller_cluster pcs[4];
	struct store *st;
	struct poller *p;
	size_t n;
};

static void rig_up(struct rig *r, const char *clusters, const struct poller_options *opt)
{
	char home[300], *envp[2];
	char a0[] = "peerscope", a1[] = "--config";
	char *argv[] = {a0, a1, NULL, NULL};
	struct config_args args;
	struct config_diags d = {0};

	memset(r, 0, sizeof *r);
	sim_up(&r->sim, clusters);
	argv[2] = r->sim.cfg;
	snprintf(home, sizeof home, "HOME=%s", r->sim.dir);
	envp[0] = home;
	envp[1] = NULL;
	ck_assert_int_eq(config_parse_args(3, argv, &args, &d), 0);
	ck_assert_int_eq(config_load(&args, envp, &r->cfg, &d), 0);
	config_args_free(&args);
	config_diags_free(&d);
	r->n = r->cfg->nclusters;
	ck_assert_uint_le(r->n, 4);
	for (size_t i = 0; i < r->n; i++) {
		poller_conn_open(&r->conns[i], r->cfg, &r->cfg->clusters[i], NULL);
		ck_assert_ptr_nonnull(r->conns[i].consul);
		ck_assert_ptr_nonnull(r->conns[i].kube);
		r->pcs[i] = r->conns[i].cluster;
	}
	r->st = store_new(r->n, 0);
	ck_assert_ptr_nonnull(r->st);
	r->p = poller_start(r->st, r->pcs, r->n, opt);
	ck_assert_ptr_nonnull(r->p);
}

static void rig_down(struct rig *r)
{
	poller_stop(r->p);
	for (size_t i = 0; i < r->n; i++)
		poller_conn_close(&r->conns[i]);
	store_free(r->st);
	config_free(r->cfg);
	sim_down(&r->sim);
}

/* Fast settings, so that faults show and clear within a second or two. */
static const struct poller_options fast = {
        .wait_ms = 10000,
        .stream_interval_ms = 300,
        .backoff_base_ms = 50,
        .backoff_max_ms = 500,
        .request_timeout_ms = 800,
        .rate_interval_ms = 50,
};

typedef bool (*pred_fn)(const struct store_snapshot *s, const void *arg);

/* What each source of S says, for a failure message. */
static void dump(const struct store_snapshot *s)
{
	for (size_t i = 0; s && i < STORE_SRC_COUNT; i++)
		fprintf(stderr, "# %s %s: %s failures=%u %s\n", s->name,
		        store_src_name((enum store_src)i),
		        model_source_state_name(s->sources[i].state), s->sources[i].failures,
		        s->sources[i].last_error);
}

/* Waits until PRED holds on cluster I's newest snapshot. */
static bool wait_for(struct rig *r, size_t i, pred_fn pred, const void *arg, long timeout_ms)
{
	int64_t end = now_ms() + timeout_ms;

	for (;;) {
		uint64_t gen = store_generation(r->st);
		struct store_snapshot *s = store_get(r->st, i);
		bool ok = s && pred(s, arg);
		int64_t left = end - now_ms();
		if (!ok && left <= 0)
			dump(s);
		store_snapshot_unref(s);
		if (ok)
			return true;
		if (left <= 0)
			return false;
		store_wait(r->st, gen, (long)left);
	}
}

static bool all_ok(const struct store_snapshot *s, const void *arg)
{
	(void)arg;
	for (size_t i = 0; i < STORE_SRC_COUNT; i++)
		if (s->sources[i].enabled && s->sources[i].state != MODEL_SOURCE_OK)
			return false;
	return true;
}

static bool has_service(const struct store_snapshot *s, const void *name)
{
	for (size_t i = 0; i < s->services->n; i++)
		if (!strcmp(s->services->v[i].name, name))
			return true;
	return false;
}

static bool peering_active(const struct store_snapshot *s, const void *name)
{
	for (size_t i = 0; i < s->peerings->n; i++)
		if (!strcmp(s->peerings->v[i].name, name))
			return s->peerings->v[i].state == MODEL_PEERING_ACTIVE;
	return false;
}

/* The stream-health source has failed at least twice and its data is stale. */
static bool stream_stale(const struct store_snapshot *s, const void *arg)
{
	(void)arg;
	const struct store_source *src = &s->sources[STORE_SRC_STREAM];
	return src->stale && src->state == MODEL_SOURCE_STALE && src->failures >= 2;
}

static void assert_error_names(struct rig *r, size_t i, const char *what)
{
	struct store_snapshot *s = store_get(r->st, i);
	const char *e = s->sources[STORE_SRC_STREAM].last_error;

	ck_assert_msg(strstr(e, s->name) && strstr(e, "/v1/peerings") && strstr(e, what),
	              "unexpected error text: %s", e);
	ck_assert(s->sources[STORE_SRC_STREAM].last_error_ns > 0);
	ck_assert(s->sources[STORE_SRC_STREAM].last_ok_ns > 0);
	store_snapshot_unref(s);
}

/* While cluster-02 is broken, cluster-01 keeps updating. */
static void other_cluster_updates(struct rig *r, const char *service)
{
	int64_t t0 = now_ms();
	add_service(&r->sim, "cluster-01", service);
	ck_assert_msg(wait_for(r, 0, has_service, service, 2000),
	              "cluster-01 did not see %s while cluster-02 was failing", service);
	ck_assert_int_lt(now_ms() - t0, 2000);
}

/* Runs one fault on cluster-02 through its life: error and staleness shown,
 * the other cluster unaffected, recovery without help once cleared. */
static void fault_cycle(const char *spec, const char *what, const char *service)
{
	struct rig r;

	rig_up(&r, "2", &fast);
	ck_assert(wait_for(&r, 0, all_ok, NULL, 5000));
	ck_assert(wait_for(&r, 1, all_ok, NULL, 5000));
	fault(&r.sim, "cluster-02", spec);
	ck_assert_msg(wait_for(&r, 1, stream_stale, NULL, 5000), "no staleness after %s", spec);
	assert_error_names(&r, 1, what);
	other_cluster_updates(&r, service);
	clear_faults(&r.sim, "cluster-02");
	ck_assert_msg(wait_for(&r, 1, all_ok, NULL, 5000), "no recovery after %s", spec);
	struct store_event ev[64];
	size_t n = store_events_since(r.st, 0, ev, 64);
	bool failing = false, recovered = false;
	for (size_t i = 0; i < n; i++) {
		failing |= !strcmp(ev[i].cluster, "cluster-02") && ev[i].level == STORE_EV_WARN;
		recovered |=
		        !strcmp(ev[i].cluster, "cluster-02") && strstr(ev[i].text, "recovered");
	}
	ck_assert_msg(failing && recovered, "the activity log misses the failure or recovery");
	rig_down(&r);
}

/* -------------------------------------------------------------------- tests */

START_TEST(changes_reach_the_store)
{
	struct rig r;

	rig_up(&r, "2", &fast);
	ck_assert(wait_for(&r, 0, all_ok, NULL, 5000));
	struct store_snapshot *s = store_get(r.st, 0);
	ck_assert(s->has_identity);
	ck_assert_str_eq(s->identity->datacenter, "dc1");
	ck_assert(s->consul_reachable && s->kube_reachable);
	ck_assert(s->crds.group_served && s->crds.peering_acceptors);
	ck_assert_uint_ge(s->gateways->n, 1);
	store_snapshot_unref(s);

	ctl(&r.sim, "POST", "/v1/peerings",
	    "{\"acceptor\":\"cluster-01\",\"dialer\":\"cluster-02\"}");
	ck_assert(wait_for(&r, 0, peering_active, "cluster-02", 3000));
	ck_assert(wait_for(&r, 1, peering_active, "cluster-01", 3000));
	struct store_event ev[64];
	size_t n = store_events_since(r.st, 0, ev, 64);
	bool seen = false;
	for (size_t i = 0; i < n; i++)
		seen |= strstr(ev[i].text, "peering cluster-02") != NULL;
	ck_assert_msg(seen, "no event for the new peering");
	rig_down(&r);
}
END_TEST

START_TEST(fault_server_errors)
{
	fault_cycle("{\"error_rate\":1,\"error_code\":500}", "HTTP 500", "svc-errors");
}
END_TEST

START_TEST(fault_latency)
{
	/* Slower than the request timeout: every plain request times out. */
	fault_cycle("{\"latency_ms\":2000}", "/v1/peerings", "svc-latency");
}
END_TEST

START_TEST(fault_resets)
{
	fault_cycle("{\"reset_rate\":1}", "/v1/peerings", "svc-resets");
}
END_TEST

START_TEST(fault_malformed_json)
{
	fault_cycle("{\"malformed\":true}", "/v1/peerings", "svc-malformed");
}
END_TEST

START_TEST(fault_stop_start)
{
	struct rig r;

	rig_up(&r, "2", &fast);
	ck_assert(wait_for(&r, 1, all_ok, NULL, 5000));
	cluster_op(&r.sim, "cluster-02", "stop");
	ck_assert(wait_for(&r, 1, stream_stale, NULL, 5000));
	assert_error_names(&r, 1, "/v1/peerings");
	other_cluster_updates(&r, "svc-stopped");
	cluster_op(&r.sim, "cluster-02", "start");
	/* Long polls cut by the stop are retried after a backoff; the ones
	 * the stopped server left hanging end at their timeout. */
	ck_assert_msg(wait_for(&r, 1, all_ok, NULL, 20000), "cluster-02 did not recover");
	add_service(&r.sim, "cluster-02", "svc-after-start");
	ck_assert(wait_for(&r, 1, has_service, "svc-after-start", 3000));
	rig_down(&r);
}
END_TEST

START_TEST(index_reset_is_followed)
{
	struct rig r;

	rig_up(&r, "2", &fast);
	ck_assert(wait_for(&r, 0, all_ok, NULL, 5000));
	add_service(&r.sim, "cluster-01", "svc-before");
	ck_assert(wait_for(&r, 0, has_service, "svc-before", 2000));
	/* The raft index goes back: a client that kept its index would block
	 * for the whole wait and miss the next change. */
	cluster_op(&r.sim, "cluster-01", "restart-consul");
	add_service(&r.sim, "cluster-01", "svc-after");
	ck_assert_msg(wait_for(&r, 0, has_service, "svc-after", 4000),
	              "a change after the index reset did not arrive");
	rig_down(&r);
}
END_TEST

START_TEST(shutdown_is_fast)
{
	struct rig r;

	rig_up(&r, "2", &fast);
	ck_assert(wait_for(&r, 0, all_ok, NULL, 5000));
	ck_assert(wait_for(&r, 1, all_ok, NULL, 5000));
	usleep(200000); /* every long poll and watch is in flight */
	int64_t t0 = now_ms();
	poller_stop(r.p);
	int64_t took = now_ms() - t0;
	r.p = NULL;
	ck_assert_msg(took < 200, "poller_stop took %lld ms", (long long)took);
	rig_down(&r);
}
END_TEST

static Suite *poller_suite(void)
{
	Suite *s = suite_create("poller");
	TCase *tc = tcase_create("sim");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, changes_reach_the_store);
	tcase_add_test(tc, fault_server_errors);
	tcase_add_test(tc, fault_latency);
	tcase_add_test(tc, fault_resets);
	tcase_add_test(tc, fault_malformed_json);
	tcase_add_test(tc, fault_stop_start);
	tcase_add_test(tc, index_reset_is_followed);
	tcase_add_test(tc, shutdown_is_fast);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN(poller_suite)
