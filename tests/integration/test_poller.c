/* The pollers against peerscope-sim over loopback: changes reach the store,
 * each fault of the simulator's control API shows as an error and staleness
 * on its cluster only, recovery happens by itself, and shutdown is fast. */
#include "autoconfig.h"

#include "unit.h"

#include "simrig.h"

#include "peerscope/config.h"
#include "peerscope/consul.h"
#include "peerscope/join.h"
#include "peerscope/monotime.h"
#include "peerscope/report.h"

#include <cjson/cJSON.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct simrig rig;

/* Bounds, not targets (speed is measured by bench-poller): generous, so
 * that a loaded machine does not fail the tests. */
#define READY_MS 15000

/* Fast settings, so that faults show and clear within a second or two. */
static const struct poller_options fast = {
        .wait_ms = 10000,
        .stream_interval_ms = 300,
        .backoff_base_ms = 50,
        .backoff_max_ms = 500,
        .request_timeout_ms = 800,
        .rate_interval_ms = 50,
};

static void up(void)
{
	ck_assert_int_eq(simrig_up(&rig, "2", "20", &fast), 0);
}

static bool wait_for(struct simrig *r, size_t i, simrig_pred pred, const void *arg, long timeout_ms)
{
	return simrig_wait_for(r, i, pred, arg, timeout_ms);
}

static void ctl(const char *method, const char *path, const char *body)
{
	ck_assert_msg(simrig_ctl(&rig, method, path, body) == 0, "control %s %s failed", method,
	              path);
}

static void fault(const char *cluster, const char *spec)
{
	char path[128];

	snprintf(path, sizeof path, "/v1/clusters/%s/faults", cluster);
	ctl("POST", path, spec);
}

static void clear_faults(const char *cluster)
{
	char path[128];

	snprintf(path, sizeof path, "/v1/clusters/%s/faults", cluster);
	ctl("DELETE", path, NULL);
}

static void cluster_op(const char *cluster, const char *op)
{
	char path[128];

	snprintf(path, sizeof path, "/v1/clusters/%s/%s", cluster, op);
	ctl("POST", path, "{}");
}

static void add_service(const char *cluster, const char *name)
{
	char path[128], body[128];

	snprintf(path, sizeof path, "/v1/clusters/%s/services", cluster);
	snprintf(body, sizeof body, "{\"name\":\"%s\",\"instances\":1}", name);
	ctl("POST", path, body);
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

static void assert_error_names(struct simrig *r, size_t i, const char *what)
{
	struct store_snapshot *s = store_get(r->st, i);
	const char *e = s->sources[STORE_SRC_STREAM].last_error;

	ck_assert_msg(strstr(e, s->name) && strstr(e, "/v1/peerings") && strstr(e, what),
	              "unexpected error text: %s", e);
	ck_assert(s->sources[STORE_SRC_STREAM].last_error_ns > 0);
	ck_assert(s->sources[STORE_SRC_STREAM].last_ok_ns > 0);
	store_snapshot_unref(s);
}

/* Waits until an event of CLUSTER whose text holds TEXT comes after event
 * AFTER. The pollers add a publish's events before they publish it, so a
 * new generation is the moment to look again. */
static bool wait_event(struct simrig *r, uint64_t after, const char *cluster, const char *text,
                       long timeout_ms)
{
	int64_t end = monotime_ms() + timeout_ms;
	struct store_event ev[64];

	for (;;) {
		uint64_t gen = store_generation(r->st);
		size_t n;
		while ((n = store_events_since(r->st, after, ev, 64)) > 0) {
			for (size_t i = 0; i < n; i++)
				if (!strcmp(ev[i].cluster, cluster) && strstr(ev[i].text, text))
					return true;
			after = ev[n - 1].seq;
		}
		int64_t left = end - monotime_ms();
		if (left <= 0)
			return false;
		store_wait(r->st, gen, (long)left);
	}
}

/* While cluster-02 is broken, cluster-01 keeps updating. */
static void other_cluster_updates(struct simrig *r, const char *service)
{
	int64_t t0 = monotime_ms();
	add_service("cluster-01", service);
	ck_assert_msg(wait_for(r, 0, has_service, service, 5000),
	              "cluster-01 did not see %s while cluster-02 was failing", service);
	ck_assert_int_lt(monotime_ms() - t0, 5000);
}

/* Runs one fault on cluster-02 through its life: error and staleness shown,
 * the other cluster unaffected, recovery without help once cleared. */
static void fault_cycle(const char *spec, const char *what, const char *service)
{
	struct simrig *r = &rig;

	up();
	ck_assert(wait_for(r, 0, simrig_all_ok, NULL, READY_MS));
	ck_assert(wait_for(r, 1, simrig_all_ok, NULL, READY_MS));
	fault("cluster-02", spec);
	ck_assert_msg(wait_for(r, 1, stream_stale, NULL, 10000), "no staleness after %s", spec);
	assert_error_names(r, 1, what);
	other_cluster_updates(r, service);
	clear_faults("cluster-02");
	ck_assert_msg(wait_for(r, 1, simrig_all_ok, NULL, READY_MS), "no recovery after %s", spec);
	struct store_event ev[64];
	size_t n = store_events_since(r->st, 0, ev, 64);
	bool failing = false, recovered = false;
	for (size_t i = 0; i < n; i++) {
		failing |= !strcmp(ev[i].cluster, "cluster-02") && ev[i].level == STORE_EV_WARN;
		recovered |=
		        !strcmp(ev[i].cluster, "cluster-02") && strstr(ev[i].text, "recovered");
	}
	ck_assert_msg(failing && recovered, "the activity log misses the failure or recovery");
	simrig_down(r);
}

/* -------------------------------------------------------------------- tests */

START_TEST(changes_reach_the_store)
{
	struct simrig *r = &rig;

	up();
	ck_assert(wait_for(r, 0, simrig_all_ok, NULL, READY_MS));
	struct store_snapshot *s = store_get(r->st, 0);
	ck_assert(s->has_identity);
	ck_assert_str_eq(s->identity->datacenter, "dc1");
	ck_assert(s->consul_reachable && s->kube_reachable);
	ck_assert(s->crds.group_served && s->crds.peering_acceptors);
	ck_assert_uint_ge(s->gateways->n, 1);
	store_snapshot_unref(s);

	ctl("POST", "/v1/peerings", "{\"acceptor\":\"cluster-01\",\"dialer\":\"cluster-02\"}");
	ck_assert(wait_for(r, 0, peering_active, "cluster-02", 8000));
	ck_assert(wait_for(r, 1, peering_active, "cluster-01", 8000));
	struct store_event ev[64];
	size_t n = store_events_since(r->st, 0, ev, 64);
	bool seen = false;
	for (size_t i = 0; i < n; i++)
		seen |= strstr(ev[i].text, "peering cluster-02") != NULL;
	ck_assert_msg(seen, "no event for the new peering");
	uint64_t last = store_last_event(r->st);
	ctl("POST", "/v1/clusters/cluster-02/gateway", "{\"status\":\"critical\"}");
	ck_assert_msg(wait_event(r, last, "cluster-02", "passing -> critical", 8000),
	              "no event for the gateway going critical");
	simrig_down(r);
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

/* Every Consul source of a stopped cluster shows its data as stale, long
 * polls included (they may wait minutes for their own timeout). */
static bool consul_stale(const struct store_snapshot *s, const void *arg)
{
	(void)arg;
	for (size_t i = 0; i < STORE_SRC_COUNT; i++)
		if (!store_src_is_kube((enum store_src)i) && s->sources[i].enabled &&
		    !s->sources[i].stale)
			return false;
	return true;
}

START_TEST(fault_stop_start)
{
	struct simrig *r = &rig;

	up();
	ck_assert(wait_for(r, 1, simrig_all_ok, NULL, READY_MS));
	cluster_op("cluster-02", "stop");
	ck_assert(wait_for(r, 1, stream_stale, NULL, 10000));
	ck_assert(wait_for(r, 1, consul_stale, NULL, 10000));
	assert_error_names(r, 1, "/v1/peerings");
	other_cluster_updates(r, "svc-stopped");
	cluster_op("cluster-02", "start");
	/* Long polls cut by the stop are retried after a backoff; the ones
	 * the stopped server left hanging are restarted once it answers. */
	ck_assert_msg(wait_for(r, 1, simrig_all_ok, NULL, 10000), "cluster-02 did not recover");
	add_service("cluster-02", "svc-after-start");
	ck_assert(wait_for(r, 1, has_service, "svc-after-start", 8000));
	simrig_down(r);
}
END_TEST

START_TEST(index_reset_is_followed)
{
	struct simrig *r = &rig;

	up();
	ck_assert(wait_for(r, 0, simrig_all_ok, NULL, READY_MS));
	add_service("cluster-01", "svc-before");
	ck_assert(wait_for(r, 0, has_service, "svc-before", 10000));
	/* The raft index goes back: a client that kept its index would block
	 * for the whole wait and miss the next change. */
	cluster_op("cluster-01", "restart-consul");
	add_service("cluster-01", "svc-after");
	ck_assert_msg(wait_for(r, 0, has_service, "svc-after", 6000),
	              "a change after the index reset did not arrive");
	simrig_down(r);
}
END_TEST

static bool has_acceptor(const struct store_snapshot *s, const void *name)
{
	for (size_t i = 0; i < s->acceptors->n; i++)
		if (!strcmp(s->acceptors->v[i].meta.name, name))
			return true;
	return false;
}

static bool no_acceptor(const struct store_snapshot *s, const void *name)
{
	return !has_acceptor(s, name);
}

static bool has_secret(const struct store_snapshot *s, const void *name)
{
	for (size_t i = 0; i < s->token_secrets->n; i++)
		if (!strcmp(s->token_secrets->v[i].meta.name, name))
			return s->token_secrets->v[i].nkeys > 0;
	return false;
}

START_TEST(kube_watch_changes)
{
	struct simrig *r = &rig;
	const char *path = "/apis/consul.hashicorp.com/v1alpha1/namespaces/consul/peeringacceptors";

	up();
	ck_assert(wait_for(r, 0, simrig_all_ok, NULL, READY_MS));
	ck_assert_int_eq(
	        simrig_kube(r, 0, "POST", path,
	                    "{\"apiVersion\":\"consul.hashicorp.com/v1alpha1\",\"kind\":"
	                    "\"PeeringAcceptor\",\"metadata\":{\"name\":\"cluster-02\"},\"spec\":{"
	                    "\"peer\":{\"secret\":{\"name\":\"peering-token\",\"key\":\"data\","
	                    "\"backend\":\"kubernetes\"}}}}"),
	        0);
	ck_assert(wait_for(r, 0, has_acceptor, "cluster-02", 10000));
	/* The controller answers with a token Secret: another watch. */
	ck_assert(wait_for(r, 0, has_secret, "peering-token", 10000));
	ck_assert_int_eq(simrig_kube(r, 0, "DELETE",
	                             "/apis/consul.hashicorp.com/v1alpha1/namespaces/consul/"
	                             "peeringacceptors/cluster-02",
	                             NULL),
	                 0);
	ck_assert(wait_for(r, 0, no_acceptor, "cluster-02", 10000));
	simrig_down(r);
}
END_TEST

/* The API server of a stopped cluster is down for every Kubernetes source
 * at once, the ones idle on a watch included. */
static bool kube_down(const struct store_snapshot *s, const void *arg)
{
	(void)arg;
	if (s->kube_reachable)
		return false;
	for (size_t i = 0; i < STORE_SRC_COUNT; i++)
		if (store_src_is_kube((enum store_src)i) && s->sources[i].enabled &&
		    (!s->sources[i].stale || !s->sources[i].last_error[0]))
			return false;
	return true;
}

static bool kube_up(const struct store_snapshot *s, const void *arg)
{
	return s->kube_reachable && simrig_all_ok(s, arg);
}

static const char *acceptor_json(const char *name)
{
	static char buf[512];

	snprintf(buf, sizeof buf,
	         "{\"apiVersion\":\"consul.hashicorp.com/v1alpha1\",\"kind\":"
	         "\"PeeringAcceptor\",\"metadata\":{\"name\":\"%s\"},\"spec\":{"
	         "\"peer\":{\"secret\":{\"name\":\"tok-%s\",\"key\":\"data\","
	         "\"backend\":\"kubernetes\"}}}}",
	         name, name);
	return buf;
}

#define ACCEPTORS "/apis/consul.hashicorp.com/v1alpha1/namespaces/consul/peeringacceptors"

/* Whether object O's "name" is NAME. */
static bool named(const cJSON *o, const char *name)
{
	const char *n = cJSON_GetStringValue(cJSON_GetObjectItem(o, "name"));

	return n && !strcmp(n, name);
}

/* The last_error the JSON report gives source SRC of cluster CLUSTER, or
 * NULL. Points into a buffer of its own, valid until the next call. */
static const char *report_source_error(const char *json, const char *cluster, const char *src)
{
	static char buf[512];
	cJSON *root = cJSON_Parse(json), *c, *o;
	const char *found = NULL;

	cJSON_ArrayForEach(c, cJSON_GetObjectItem(root, "clusters"))
	{
		if (!named(c, cluster))
			continue;
		cJSON_ArrayForEach(o, cJSON_GetObjectItem(c, "sources"))
		{
			const char *e = cJSON_GetStringValue(cJSON_GetObjectItem(o, "last_error"));
			if (named(o, src) && e) {
				snprintf(buf, sizeof buf, "%s", e);
				found = buf;
			}
		}
	}
	cJSON_Delete(root);
	return found;
}

/* Cluster-02 stopped (connections refused, or left hanging): its
 * Kubernetes side turns stale as a whole and stays so, without flipping
 * back with each dropped watch, then recovers by itself with its watches
 * restarted. */
static void kube_stop_cycle(const char *stop_body)
{
	struct simrig *r = &rig;

	up();
	ck_assert(wait_for(r, 1, simrig_all_ok, NULL, READY_MS));
	ctl("POST", "/v1/clusters/cluster-02/stop", stop_body);
	ck_assert_msg(wait_for(r, 1, kube_down, NULL, 8000), "Kubernetes side not marked down");
	/* Steady: for five probe intervals (retries at the longest backoff in
	 * between), never back to ok. A window of time is what is measured. */
	int64_t end = monotime_ms() + 5 * fast.stream_interval_ms;
	unsigned seen = 0;
	while (monotime_ms() < end) {
		uint64_t gen = store_generation(r->st);
		struct store_snapshot *s = store_get(r->st, 1);
		bool down = kube_down(s, NULL);
		seen++;
		store_snapshot_unref(s);
		ck_assert_msg(down, "the Kubernetes side flipped back while stopped");
		store_wait(r->st, gen, 200);
	}
	ck_assert_uint_gt(seen, 3);
	/* A source idle between identity refreshes carries the probe's error;
	 * or its own, when its discovery was in flight at the stop and timed
	 * out before the probe found the server gone (seen on a loaded
	 * machine): an error either way, never "ok". */
	struct store_snapshot *s = store_get(r->st, 1);
	const char *e = s->sources[STORE_SRC_KUBE_CRDS].last_error;
	ck_assert_msg(strstr(e, "/version") || strstr(e, "/apis"), "%s", e);
	ck_assert_msg(strstr(e, "cluster-02") != NULL, "%s", e);
	ck_assert_int_ne(s->sources[STORE_SRC_KUBE_CRDS].state, MODEL_SOURCE_OK);
	/* --once -o json shows that error, whichever of the two it is: the
	 * report gives each source's own last error. It once required
	 * "/version" here while the line above allowed "/apis", and failed
	 * on the runs where the discovery's timeout came first. */
	const struct store_snapshot *snaps[2] = {store_get(r->st, 0), s};
	struct join_view v;
	ck_assert_int_eq(join_build(snaps, 2, store_now_ns(), NULL, &v), 0);
	char *json = report_json(snaps, 2, &v, store_now_ns(), false);
	ck_assert_ptr_nonnull(json);
	const char *shown = report_source_error(json, "cluster-02", "kube_crds");
	ck_assert_msg(shown && !strcmp(shown, e),
	              "the JSON report shows '%s', the source holds '%s'", shown ? shown : "(null)",
	              e);
	free(json);
	join_view_free(&v);
	store_snapshot_unref(snaps[0]);
	store_snapshot_unref(s);
	other_cluster_updates(r, "svc-kube-stopped");
	cluster_op("cluster-02", "start");
	ck_assert_msg(wait_for(r, 1, kube_up, NULL, 10000), "cluster-02 did not recover");
	ck_assert_int_eq(simrig_kube(r, 1, "POST", ACCEPTORS, acceptor_json("after-start")), 0);
	ck_assert_msg(wait_for(r, 1, has_acceptor, "after-start", 8000),
	              "a change after the restart did not arrive");
	simrig_down(r);
}

START_TEST(kube_stop_refused)
{
	kube_stop_cycle("{}");
}
END_TEST

START_TEST(kube_stop_hang)
{
	kube_stop_cycle("{\"hang\":true}");
}
END_TEST

/* The acceptors in the store are exactly the NULL-terminated names. */
static bool acceptors_are(const struct store_snapshot *s, const void *arg)
{
	const char *const *names = arg;
	size_t n = 0;

	for (; names[n]; n++)
		if (!has_acceptor(s, names[n]))
			return false;
	return s->acceptors->n == n &&
	       s->sources[STORE_SRC_KUBE_ACCEPTORS].state == MODEL_SOURCE_OK;
}

static bool acceptors_failing(const struct store_snapshot *s, const void *arg)
{
	(void)arg;
	return s->sources[STORE_SRC_KUBE_ACCEPTORS].failures >= 2;
}

static bool relisted_event(struct simrig *r)
{
	struct store_event ev[64];
	size_t n = store_events_since(r->st, 0, ev, 64);

	for (size_t i = 0; i < n; i++)
		if (!strcmp(ev[i].cluster, "cluster-01") && strstr(ev[i].text, "kube_acceptors") &&
		    strstr(ev[i].text, "expired (410)"))
			return true;
	return false;
}

/* The simulator keeps the last 1024 changes for watches. */
#define KUBE_HISTORY 1024

/* The acceptors watch is cut off (every connection reset) while more
 * changes happen than the server's watch history holds, an acceptor
 * deleted among them: once the fault goes, the watch resumed from its old
 * resourceVersion gets 410 Expired, the poller lists again, and the store
 * holds exactly the acceptors that exist. */
START_TEST(watch_expired_relists)
{
	struct simrig *r = &rig;
	struct poller_options o = fast;
	char path[160], body[256];

	o.watch_timeout_s = 1; /* the running watch ends soon, the next one meets the fault */
	ck_assert_int_eq(simrig_up(r, "2", "20", &o), 0);
	ck_assert(wait_for(r, 0, simrig_all_ok, NULL, READY_MS));
	ck_assert_int_eq(simrig_kube(r, 0, "POST", ACCEPTORS, acceptor_json("keep")), 0);
	ck_assert_int_eq(simrig_kube(r, 0, "POST", ACCEPTORS, acceptor_json("gone")), 0);
	const char *before[] = {"keep", "gone", NULL};
	ck_assert(wait_for(r, 0, acceptors_are, before, 8000));
	/* All-namespaces requests only: the poller's, not this test's. */
	fault("cluster-01", "{\"listener\":\"kube\",\"reset_rate\":1,"
	                    "\"path\":\"/apis/consul.hashicorp.com/v1alpha1/peeringacceptors\"}");
	ck_assert(wait_for(r, 0, acceptors_failing, NULL, 8000));
	ck_assert_int_eq(simrig_kube(r, 0, "DELETE", ACCEPTORS "/gone", NULL), 0);
	ck_assert_int_eq(simrig_kube(r, 0, "POST", ACCEPTORS, acceptor_json("new")), 0);
	for (int i = 0; i < KUBE_HISTORY + 50; i++) {
		snprintf(body, sizeof body,
		         "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":"
		         "\"churn-%d\"},\"data\":{\"i\":\"%d\"}}",
		         i, i);
		snprintf(path, sizeof path, "/api/v1/namespaces/default/configmaps");
		ck_assert_int_eq(simrig_kube(r, 0, "POST", path, body), 0);
	}
	ck_assert(!relisted_event(r));
	clear_faults("cluster-01");
	const char *after[] = {"keep", "new", NULL};
	ck_assert_msg(wait_for(r, 0, acceptors_are, after, 10000),
	              "the store does not hold exactly the current acceptors");
	ck_assert_msg(relisted_event(r), "no 410 relist was reported");
	simrig_down(r);
}
END_TEST

static bool has_gateway(const struct store_snapshot *s, const void *arg)
{
	(void)arg;
	return s->gateways->n >= 1;
}

/* The Consul requests that do not block (identity, stream health) fail,
 * each error naming the service proxy's path. */
static bool consul_fails_via_proxy(const struct store_snapshot *s, const void *arg)
{
	static const enum store_src polled[] = {STORE_SRC_IDENTITY, STORE_SRC_STREAM};

	(void)arg;
	for (size_t i = 0; i < sizeof polled / sizeof polled[0]; i++) {
		const struct store_source *src = &s->sources[polled[i]];
		if (!src->failures ||
		    !strstr(src->last_error, "/api/v1/namespaces/consul/services/") ||
		    !strstr(src->last_error, ":consul-server:") ||
		    !strstr(src->last_error, "/proxy/v1/"))
			return false;
	}
	return true;
}

/* The Consul sources that do not block (identity, stream health) answered
 * after *(int64_t *)ARG, and every source is ok. */
static bool polled_ok_since(const struct store_snapshot *s, const void *arg)
{
	static const enum store_src polled[] = {STORE_SRC_IDENTITY, STORE_SRC_STREAM};

	for (size_t i = 0; i < sizeof polled / sizeof polled[0]; i++)
		if (s->sources[polled[i]].last_ok_ns <= *(const int64_t *)arg)
			return false;
	return simrig_all_ok(s, NULL);
}

/* Cluster-02's configuration has no Consul address: its Consul is read
 * through the API server's service proxy, peerings and gateways included,
 * and its sources' errors show that path. */
START_TEST(consul_through_service_proxy)
{
	struct simrig *r = &rig;

	ck_assert_int_eq(simrig_up_via_proxy(r, "2", "20", &fast, "cluster-02"), 0);
	ck_assert_ptr_null(r->cfg->clusters[1].consul.address);
	ck_assert_ptr_nonnull(r->cfg->clusters[0].consul.address);
	ck_assert(wait_for(r, 1, simrig_all_ok, NULL, READY_MS));
	ck_assert(wait_for(r, 1, has_gateway, NULL, 8000));
	struct store_snapshot *s = store_get(r->st, 1);
	ck_assert(s->consul_via_proxy);
	ck_assert(s->consul_reachable);
	ck_assert(s->has_identity);
	ck_assert_str_eq(s->identity->datacenter, "dc2");
	store_snapshot_unref(s);
	ctl("POST", "/v1/peerings", "{\"acceptor\":\"cluster-01\",\"dialer\":\"cluster-02\"}");
	ck_assert(wait_for(r, 1, peering_active, "cluster-01", 8000));
	add_service("cluster-02", "svc-via-proxy");
	ck_assert(wait_for(r, 1, has_service, "svc-via-proxy", 8000));
	/* Consul's own listener is not on the path: refusing it changes
	 * nothing. The sources polled on a timer (the blocking ones are in
	 * flight) answer again after the refresh, through the proxy. */
	fault("cluster-02", "{\"listener\":\"consul\",\"reset_rate\":1}");
	int64_t t0 = store_now_ns();
	session_refresh(r->s);
	ck_assert_msg(wait_for(r, 1, polled_ok_since, &t0, 8000),
	              "a source polled after Consul's listener was refused did not answer");
	ck_assert(wait_for(r, 1, simrig_all_ok, NULL, 1000));
	/* The proxy path failing fails every Consul source, and says where. */
	fault("cluster-02", "{\"listener\":\"kube\",\"error_rate\":1,\"error_code\":503,"
	                    "\"path\":\"/api/v1/namespaces/consul/services/\"}");
	session_refresh(r->s);
	ck_assert(wait_for(r, 1, consul_fails_via_proxy, NULL, 8000));
	clear_faults("cluster-02");
	ck_assert_msg(wait_for(r, 1, simrig_all_ok, NULL, 10000), "cluster-02 did not recover");
	simrig_down(r);
}
END_TEST

static bool peering_failing(const struct store_snapshot *s, const void *name)
{
	for (size_t i = 0; i < s->peerings->n; i++)
		if (!strcmp(s->peerings->v[i].name, name))
			return s->peerings->v[i].state == MODEL_PEERING_FAILING;
	return false;
}

/* The acceptors' source answered after *(int64_t *)ARG: a watch the server
 * ended counts as an answer. */
static bool acceptors_ok_since(const struct store_snapshot *s, const void *arg)
{
	const struct store_source *src = &s->sources[STORE_SRC_KUBE_ACCEPTORS];

	return src->state == MODEL_SOURCE_OK && src->last_ok_ns > *(const int64_t *)arg;
}

static int64_t acceptors_last_ok(struct simrig *r)
{
	struct store_snapshot *s = store_get(r->st, 0);
	int64_t t = s->sources[STORE_SRC_KUBE_ACCEPTORS].last_ok_ns;

	store_snapshot_unref(s);
	return t;
}

/* Watches the server ends (timeoutSeconds) are resumed from the last
 * resourceVersion, and nothing is missed in between. */
START_TEST(watch_resumes_after_server_ends_it)
{
	struct simrig *r = &rig;
	struct poller_options o = fast;

	o.watch_timeout_s = 1;
	ck_assert_int_eq(simrig_up(r, "2", "20", &o), 0);
	ck_assert(wait_for(r, 0, simrig_all_ok, NULL, READY_MS));
	/* Two watches end at the server's word, each answering once more. */
	for (int cycle = 0; cycle < 2; cycle++) {
		int64_t t = acceptors_last_ok(r);
		ck_assert_msg(wait_for(r, 0, acceptors_ok_since, &t, 5000),
		              "watch %d was not ended by the server and resumed", cycle + 1);
	}
	ck_assert_int_eq(
	        simrig_kube(
	                r, 0, "POST",
	                "/apis/consul.hashicorp.com/v1alpha1/namespaces/consul/peeringacceptors",
	                "{\"apiVersion\":\"consul.hashicorp.com/v1alpha1\",\"kind\":"
	                "\"PeeringAcceptor\",\"metadata\":{\"name\":\"late\"},\"spec\":{"
	                "\"peer\":{\"secret\":{\"name\":\"tok-late\",\"key\":\"data\","
	                "\"backend\":\"kubernetes\"}}}}"),
	        0);
	ck_assert(wait_for(r, 0, has_acceptor, "late", 5000));
	struct store_snapshot *s = store_get(r->st, 0);
	ck_assert(s->sources[STORE_SRC_KUBE_ACCEPTORS].state == MODEL_SOURCE_OK);
	store_snapshot_unref(s);
	simrig_down(r);
}
END_TEST

/* The connect-injector's Deployments are watched: its going down (the
 * simulator writes the status as Kubernetes' deployment controller does,
 * availableReplicas left out) reaches the store within a second or two,
 * on its cluster only, with no source failing, and so does its return. */
static bool injector_available(const struct store_snapshot *s, const void *want)
{
	const struct store_kube_deployments *d = s->controllers;

	if (!s->sources[STORE_SRC_KUBE_CONTROLLERS].last_ok_ns || d->n != 1 || *d->refused)
		return false;
	return d->v[0].available == *(const int64_t *)want &&
	       d->v[0].available_status ==
	               (*(const int64_t *)want ? MODEL_COND_TRUE : MODEL_COND_FALSE);
}

START_TEST(controllers_follow_the_injector)
{
	struct simrig *r = &rig;
	const int64_t one = 1, none = 0;

	up();
	ck_assert(wait_for(r, 1, simrig_all_ok, NULL, READY_MS));
	ck_assert(wait_for(r, 0, injector_available, &one, READY_MS));
	ck_assert(wait_for(r, 1, injector_available, &one, READY_MS));
	struct store_snapshot *s = store_get(r->st, 1);
	ck_assert_str_eq(s->controllers->v[0].meta.name, "consul-connect-injector");
	ck_assert_str_eq(s->controllers->v[0].meta.ns, "consul");
	ck_assert_int_eq(s->controllers->v[0].replicas, 1);
	store_snapshot_unref(s);
	int64_t t0 = monotime_ms();
	ctl("POST", "/v1/clusters/cluster-02/injector", "{\"up\":false}");
	ck_assert_msg(wait_for(r, 1, injector_available, &none, 5000),
	              "the injector's fall not seen");
	int64_t took = monotime_ms() - t0;
	ck_assert_msg(took < 2000, "the injector's fall took %lld ms", (long long)took);
	s = store_get(r->st, 1);
	ck_assert_str_eq(s->controllers->v[0].available_reason, "MinimumReplicasUnavailable");
	ck_assert_int_eq(s->controllers->v[0].ready, 0);
	ck_assert_int_eq(s->controllers->v[0].unavailable, 1);
	ck_assert(simrig_all_ok(s, NULL));
	store_snapshot_unref(s);
	s = store_get(r->st, 0);
	ck_assert(injector_available(s, &one));
	store_snapshot_unref(s);
	ctl("POST", "/v1/clusters/cluster-02/injector", "{\"up\":true}");
	ck_assert(wait_for(r, 1, injector_available, &one, 5000));
	ck_assert(wait_for(r, 0, injector_available, &one, 5000));
	simrig_down(r);
}
END_TEST

/* FAILING is computed on read and wakes no blocking query: with a stream
 * poll far away, only poller_refresh() brings it in. */
START_TEST(refresh_polls_stream_health_now)
{
	struct simrig *r = &rig;
	struct poller_options slow = fast;

	slow.stream_interval_ms = 60000;
	ck_assert_int_eq(simrig_up(r, "2", "20", &slow), 0);
	ck_assert(wait_for(r, 0, simrig_all_ok, NULL, READY_MS));
	ctl("POST", "/v1/peerings", "{\"acceptor\":\"cluster-01\",\"dialer\":\"cluster-02\"}");
	ck_assert(wait_for(r, 0, peering_active, "cluster-02", 8000));
	cluster_op("cluster-02", "stop");
	/* Consul itself says FAILING; for a while (what is measured here:
	 * three stream intervals of the fast settings) the store does not. */
	ck_assert_msg(simrig_consul_state_seen(r, 0, "cluster-02", "FAILING", 8000) >= 0,
	              "Consul did not report FAILING");
	ck_assert_msg(!wait_for(r, 0, peering_failing, "cluster-02", 3 * fast.stream_interval_ms),
	              "FAILING arrived without the stream poll");
	int64_t t0 = monotime_ms();
	session_refresh(r->s);
	ck_assert(wait_for(r, 0, peering_failing, "cluster-02", 3000));
	ck_assert_int_lt(monotime_ms() - t0, 3000);
	simrig_down(r);
}
END_TEST

/* The decoder of /v1/peerings, counted: ld --wrap (mk/store.am). */
static atomic_uint peerings_decoded;
int __real_consul_decode_peerings(const char *json, size_t len, struct model_peering_list *out,
                                  char *err, size_t errlen);
int __wrap_consul_decode_peerings(const char *json, size_t len, struct model_peering_list *out,
                                  char *err, size_t errlen);
int __wrap_consul_decode_peerings(const char *json, size_t len, struct model_peering_list *out,
                                  char *err, size_t errlen)
{
	atomic_fetch_add(&peerings_decoded, 1);
	return __real_consul_decode_peerings(json, len, out, err, errlen);
}

/* The stream times' reader, made to fail (as it does when out of memory)
 * while times_read_fails is set: ld --wrap (mk/store.am). */
static atomic_bool times_read_fails;
int __real_consul_peerings_times_read(const char *json, size_t len,
                                      struct consul_peerings_times *t);
int __wrap_consul_peerings_times_read(const char *json, size_t len,
                                      struct consul_peerings_times *t);
int __wrap_consul_peerings_times_read(const char *json, size_t len, struct consul_peerings_times *t)
{
	if (atomic_load(&times_read_fails))
		return -1;
	return __real_consul_peerings_times_read(json, len, t);
}

static const struct model_peering *peering_named(const struct store_snapshot *s, const char *name)
{
	for (size_t i = 0; i < s->peerings->n; i++)
		if (!strcmp(s->peerings->v[i].name, name))
			return &s->peerings->v[i];
	return NULL;
}

struct beat {
	const char *peer;
	int64_t after; /* ns */
};

static bool heartbeat_after(const struct store_snapshot *s, const void *arg)
{
	const struct beat *b = arg;
	const struct model_peering *p = peering_named(s, b->peer);

	return p && p->stream.last_heartbeat_ns > b->after;
}

/* The heartbeat of cluster-01's peering PEER: the store's, and Consul's
 * own (GET /v1/peering/PEER, read by the decoder of one peering) when it
 * is the same beat. False when the two never matched: another beat came
 * between each read of the two. */
static bool heartbeat_is_consuls(struct simrig *r, const char *peer, int64_t *ns)
{
	const struct ops_cluster *oc = simrig_cluster(r, 0);
	char path[128], err[256];

	snprintf(path, sizeof path, "/v1/peering/%s", peer);
	for (int tries = 0; tries < 5; tries++) {
		struct store_snapshot *s = store_get(r->st, 0);
		const struct model_peering *mine = peering_named(s, peer);
		int64_t hb = mine ? mine->stream.last_heartbeat_ns : -1;
		store_snapshot_unref(s);
		struct http_request req = {.path = path};
		struct http_response resp = {0};
		struct http_error herr;
		struct model_peering theirs = {0};
		bool same = http_do(consul_http(oc->consul), &req, &resp, &herr) == 0 &&
		            consul_decode_peering(resp.body, resp.body_len, &theirs, err,
		                                  sizeof err) == 0 &&
		            theirs.stream.last_heartbeat_ns == hb;
		model_peering_clear(&theirs);
		http_response_clear(&resp);
		if (same) {
			*ns = hb;
			return true;
		}
	}
	return false;
}

/* A stream poll whose answer differs from the last only in its stream times
 * (computed on read, agent/rpc/peering/service.go reconcilePeering) is not
 * decoded: the last list takes the new times. Anything else is. */
START_TEST(stream_times_without_decoding)
{
	struct simrig *r = &rig;
	struct beat b = {"cluster-02", 0};

	up();
	ck_assert(wait_for(r, 0, simrig_all_ok, NULL, READY_MS));
	ctl("POST", "/v1/peerings", "{\"acceptor\":\"cluster-01\",\"dialer\":\"cluster-02\"}");
	ck_assert(wait_for(r, 0, peering_active, "cluster-02", 8000));
	/* Heartbeats every 15 s, 0.75 s at the rig's speed; one first, on
	 * each side: the counted decodes are both clusters', and the first
	 * heartbeat an end hears turns its LastHeartbeat from null into a
	 * time (a *time.Time in api/peering.go, PeeringStreamStatus), a new
	 * shape that is decoded. Waiting for cluster-01's alone, a loaded machine
	 * saw cluster-02's first one among the three counted. */
	struct beat other = {"cluster-01", 0};
	ck_assert(wait_for(r, 0, heartbeat_after, &b, 5000));
	ck_assert(wait_for(r, 1, heartbeat_after, &other, 5000));
	ck_assert(heartbeat_is_consuls(r, "cluster-02", &b.after));
	unsigned before = atomic_load(&peerings_decoded);
	for (int k = 0; k < 3; k++) {
		ck_assert_msg(wait_for(r, 0, heartbeat_after, &b, 5000),
		              "heartbeat %d did not come", k + 1);
		ck_assert(heartbeat_is_consuls(r, "cluster-02", &b.after));
	}
	unsigned decoded = atomic_load(&peerings_decoded) - before;
	ck_assert_msg(decoded == 0, "%u answers decoded for three heartbeats", decoded);
	/* A state is no time: the answer that brings FAILING is decoded. */
	cluster_op("cluster-02", "stop");
	ck_assert(wait_for(r, 0, peering_failing, "cluster-02", 8000));
	ck_assert_uint_gt(atomic_load(&peerings_decoded), before);
	simrig_down(r);
}
END_TEST

/* METHOD PATH with BODY to cluster I's Consul, through its own client. */
static void consul_call(struct simrig *r, size_t i, const char *method, const char *path,
                        const char *body)
{
	struct http_request req = {.method = method, .path = path, .body = body};
	struct http_response resp = {0};
	struct http_error err;

	ck_assert_msg(http_do(consul_http(simrig_cluster(r, i)->consul), &req, &resp, &err) == 0,
	              "%s %s failed", method, path);
	http_response_clear(&resp);
}

/* Cluster-01's peering PEER exports the services of ARG (NULL-terminated:
 * none when empty), as the store holds it. */
struct exports_of {
	const char *peer;
	const char *const *names;
};

static bool peering_exports(const struct store_snapshot *s, const void *arg)
{
	const struct exports_of *x = arg;
	const struct model_peering *p = peering_named(s, x->peer);
	size_t n = 0;

	if (!p)
		return false;
	for (; x->names[n]; n++)
		if (!model_strv_contains(&p->stream.exported_services, x->names[n]))
			return false;
	return p->stream.exported_services.n == n;
}

/* An answer whose stream times could not be read is decoded, and the list
 * it gives has no shape to take new times from later. Here cluster-01
 * exports billing to cluster-02 while the reader fails (as it does out of
 * memory), then stops, and the reader is back: the next answer is the one
 * before the export but for its times (StreamStatus.ExportedServices back
 * to null), and the store must follow it, not keep the export with new
 * times. (A stream poll between the stop and the reader's return reads it
 * with the reader failing, and the test then cannot tell.) */
START_TEST(unread_times_leave_no_shape)
{
	struct simrig *r = &rig;
	static const char *const billing[] = {"billing", NULL}, *const none[] = {NULL};
	struct exports_of exported = {"cluster-02", billing}, cleared = {"cluster-02", none};

	up();
	ck_assert(wait_for(r, 0, simrig_all_ok, NULL, READY_MS));
	ctl("POST", "/v1/peerings", "{\"acceptor\":\"cluster-01\",\"dialer\":\"cluster-02\"}");
	ck_assert(wait_for(r, 0, peering_active, "cluster-02", 8000));
	ck_assert(wait_for(r, 0, peering_exports, &cleared, 8000));
	/* A heartbeat first: every answer after it has its three times. */
	struct beat b = {"cluster-02", 0};
	ck_assert(wait_for(r, 0, heartbeat_after, &b, 5000));
	atomic_store(&times_read_fails, true);
	consul_call(r, 0, "PUT", "/v1/config",
	            "{\"Kind\":\"exported-services\",\"Name\":\"default\",\"Services\":[{"
	            "\"Name\":\"billing\",\"Consumers\":[{\"Peer\":\"cluster-02\"}]}]}");
	ck_assert(wait_for(r, 0, peering_exports, &exported, 8000));
	/* The reader back at once: the next answer is read with it. */
	consul_call(r, 0, "DELETE", "/v1/config/exported-services/default", NULL);
	atomic_store(&times_read_fails, false);
	ck_assert_msg(wait_for(r, 0, peering_exports, &cleared, 8000),
	              "the store kept the export that Consul no longer reports");
	simrig_down(r);
}
END_TEST

/* Each source asked every identity interval (the agent's identity, the ACL
 * facts, the access reviews, the Helm release) answered after AT (an
 * int64_t of store_now_ns()). */
static bool refreshed_after(const struct store_snapshot *s, const void *arg)
{
	static const enum store_src ids[] = {STORE_SRC_IDENTITY, STORE_SRC_ACL,
	                                     STORE_SRC_KUBE_ACCESS, STORE_SRC_KUBE_HELM};
	const int64_t *at = arg;

	for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++)
		if (s->sources[ids[i]].last_ok_ns <= *at)
			return false;
	return true;
}

/* The release differs from ARG (a struct model_kube_helm) in its revision
 * and replicas. */
static bool helm_revised(const struct store_snapshot *s, const void *arg)
{
	const struct model_kube_helm *h = arg;

	return s->has_helm && s->helm->revision > h->revision &&
	       s->helm->mesh_gateway_replicas == 2 && h->mesh_gateway_replicas != 2;
}

/* How often cluster-01's Helm release Secrets were listed, by what was
 * asked: their metadata alone (*META) or the Secrets whole (*WHOLE), as the
 * simulator's request log has it. */
static void helm_lists(const struct simrig *r, int *meta, int *whole)
{
	char *answer = NULL;
	const cJSON *it;

	*meta = *whole = 0;
	ck_assert_int_eq(
	        simrig_sim_ctl(&r->sim, "GET", "/v1/requests?cluster=cluster-01", NULL, &answer),
	        0);
	cJSON *log = cJSON_Parse(answer);
	ck_assert_ptr_nonnull(log);
	cJSON_ArrayForEach(it, log)
	{
		const char *path = cJSON_GetStringValue(cJSON_GetObjectItem(it, "path"));
		const char *query = cJSON_GetStringValue(cJSON_GetObjectItem(it, "query"));
		const char *as = cJSON_GetStringValue(cJSON_GetObjectItem(it, "as"));
		if (!path || strcmp(path, "/api/v1/namespaces/consul/secrets") || !query ||
		    !strstr(query, "owner=helm") || !as)
			continue;
		if (!strcmp(as, "PartialObjectMetadataList"))
			(*meta)++;
		else if (!*as)
			(*whole)++;
	}
	cJSON_Delete(log);
	free(answer);
}

/* The identity interval's answers, the same again, change nothing: the
 * snapshot keeps the parts it held, so that neither the cluster's stream
 * polls (poller_moved()) nor the dashboard take the refresh for a change.
 * Every five minutes, each cluster's refresh (some 50 requests, 42 of them
 * access reviews) was taken for one: at 64 clusters the dashboard spent a
 * second of CPU in that half minute, and its stream polls went every
 * refresh again. */
START_TEST(identity_refresh_with_nothing_new)
{
	struct simrig *r = &rig;
	struct poller_options o = fast;

	o.identity_interval_ms = 500;
	ck_assert_int_eq(simrig_up(r, "2", "20", &o), 0);
	ck_assert(wait_for(r, 0, simrig_all_ok, NULL, READY_MS));
	int64_t at = store_now_ns();
	ck_assert(wait_for(r, 0, refreshed_after, &at, 8000));
	struct store_snapshot *a = store_get(r->st, 0);
	ck_assert(a->has_identity && a->has_helm && a->acl->acl_known &&
	          a->kube_access->reviews_known && a->kube_access->nreviews > 0);
	for (int k = 0; k < 2; k++) {
		at = store_now_ns();
		ck_assert_msg(wait_for(r, 0, refreshed_after, &at, 8000), "refresh %d", k + 1);
	}
	struct store_snapshot *b = store_get(r->st, 0);
	ck_assert_ptr_eq(a->identity, b->identity);
	ck_assert_ptr_eq(a->acl, b->acl);
	ck_assert_ptr_eq(a->kube_access, b->kube_access);
	ck_assert_ptr_eq(a->helm, b->helm);
	ck_assert(store_snapshot_same_but_times(a, b));
	store_snapshot_unref(b);
	/* The release was listed whole once; each refresh since asked for the
	 * Secrets' metadata alone, a kilobyte where a release of the consul
	 * chart is a megabyte, and found them the same. */
	int meta, whole;
	helm_lists(r, &meta, &whole);
	ck_assert_int_eq(whole, 1);
	ck_assert_int_ge(meta, 3);
	/* What does change is taken: a new revision of the release, its
	 * Secrets listed whole again. */
	ctl("POST", "/v1/clusters/cluster-01/install", "{\"mesh_gateway_replicas\":2}");
	ck_assert_msg(wait_for(r, 0, helm_revised, a->helm, 8000),
	              "the release's new revision was not taken");
	helm_lists(r, &meta, &whole);
	ck_assert_int_eq(whole, 2);
	store_snapshot_unref(a);
	simrig_down(r);
}
END_TEST

/* The requests of a cluster that wait for a change: the blocking queries
 * (peerings, gateways, exports, mesh, proxy-defaults, service-defaults,
 * services) and the watches (acceptors, dialers, meshes, exports,
 * proxy-defaults, secrets). */
#define LONG_LIVED 13

START_TEST(shutdown_is_fast)
{
	struct simrig *r = &rig;

	up();
	ck_assert(wait_for(r, 0, simrig_all_ok, NULL, READY_MS));
	ck_assert(wait_for(r, 1, simrig_all_ok, NULL, READY_MS));
	/* Every long poll and watch is in flight: the simulator holds them. */
	ck_assert(simrig_sim_wait_parked(&r->sim, "cluster-01", NULL, LONG_LIVED, 8000));
	ck_assert(simrig_sim_wait_parked(&r->sim, "cluster-02", NULL, LONG_LIVED, 8000));
	int64_t t0 = monotime_ms();
	session_close(r->s);
	int64_t took = monotime_ms() - t0;
	r->s = NULL;
	r->st = NULL;
	ck_assert_msg(took < 200, "session_close took %lld ms", (long long)took);
	simrig_down(r);
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
	tcase_add_test(tc, kube_watch_changes);
	tcase_add_test(tc, controllers_follow_the_injector);
	tcase_add_test(tc, watch_resumes_after_server_ends_it);
	tcase_add_test(tc, kube_stop_refused);
	tcase_add_test(tc, kube_stop_hang);
	tcase_add_test(tc, watch_expired_relists);
	tcase_add_test(tc, consul_through_service_proxy);
	tcase_add_test(tc, refresh_polls_stream_health_now);
	tcase_add_test(tc, stream_times_without_decoding);
	tcase_add_test(tc, unread_times_leave_no_shape);
	tcase_add_test(tc, identity_refresh_with_nothing_new);
	tcase_add_test(tc, shutdown_is_fast);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN(poller_suite)
