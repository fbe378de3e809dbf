/* The peerscope-sim rig of the integration tests and the poller
 * benchmark. */
#include "autoconfig.h"

#include "simrig.h"

#include "peerscope/config.h"
#include "peerscope/consul.h"
#include "peerscope/http.h"
#include "peerscope/log.h"
#include "peerscope/monotime.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int load_config(struct simrig *r)
{
	char home[300], path[300], a0[] = "peerscope", a1[] = "--config";
	char *argv[] = {a0, a1, path, NULL}, *envp[] = {home, NULL};
	struct config_args args;
	struct config_diags d = {0};
	int rc = -1;

	simrig_sim_path(&r->sim, "config.yaml", path, sizeof path);
	snprintf(home, sizeof home, "HOME=%s", r->sim.dir);
	if (config_parse_args(3, argv, &args, &d) == 0 &&
	    config_load(&args, envp, &r->cfg, &d) == 0)
		rc = 0;
	config_diags_print(&d, stderr);
	config_args_free(&args);
	config_diags_free(&d);
	return rc;
}

/* Rewrites the configuration the simulator wrote without cluster NAME's
 * consul mapping (only an address there, without ACLs or TLS). */
static int drop_consul_address(struct simrig *r, const char *name)
{
	char path[300], tmp[320], line[1024], cur[sizeof line] = "";
	FILE *in = fopen(simrig_sim_path(&r->sim, "config.yaml", path, sizeof path), "r"), *out;
	int rc = 0;

	if (!in)
		return -1;
	snprintf(tmp, sizeof tmp, "%s.new", path);
	if (!(out = fopen(tmp, "w"))) {
		fclose(in);
		return -1;
	}
	while (fgets(line, sizeof line, in)) {
		if (!strncmp(line, "  - name: ", 10)) {
			memcpy(cur, line + 10, sizeof line - 10);
			cur[strcspn(cur, "\n")] = '\0';
		}
		if (!strcmp(cur, name) &&
		    (!strcmp(line, "    consul:\n") || !strncmp(line, "      address: ", 15)))
			continue;
		if (fputs(line, out) == EOF)
			rc = -1;
	}
	fclose(in);
	if (fclose(out) != 0 || rc != 0 || rename(tmp, path) != 0) {
		perror(tmp);
		return -1;
	}
	return 0;
}

int simrig_up(struct simrig *r, const char *clusters, const char *speed,
              const struct poller_options *opt)
{
	return simrig_up_via_proxy(r, clusters, speed, opt, NULL);
}

int simrig_up_via_proxy(struct simrig *r, const char *clusters, const char *speed,
                        const struct poller_options *opt, const char *via_proxy)
{
	const char *args[] = {"-n", clusters, "--speed", speed, NULL};

	memset(r, 0, sizeof *r);
	if (simrig_sim_start(&r->sim, NULL, args))
		return -1;
	if (via_proxy && drop_consul_address(r, via_proxy))
		return -1;
	if (load_config(r))
		return -1;
	r->n = r->cfg->nclusters;
	if (r->n > SIMRIG_MAX)
		return -1;
	const char *log = getenv("SIMRIG_LOG");
	char err[256];
	if (log && !(r->log = log_open(log, LOG_LEVEL_DEBUG, err, sizeof err)))
		fprintf(stderr, "%s\n", err);
	struct session_options so = {.pollers = true, .worker = true, .audit_path = ""};
	if (opt)
		so.poll = *opt;
	so.poll.log = r->log;
	if (session_open(r->cfg, r->log, &so, &r->s, err, sizeof err) < 0) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	r->st = session_store(r->s);
	/* Every cluster reachable, as the simulator promises. */
	for (size_t i = 0; i < r->n; i++) {
		const struct ops_cluster *c = simrig_cluster(r, i);
		if (!c || !c->consul || !c->kube) {
			fprintf(stderr, "%s: %s %s\n", r->cfg->clusters[i].name,
			        c ? c->consul_error : "", c ? c->kube_error : "");
			return -1;
		}
	}
	return 0;
}

void simrig_down(struct simrig *r)
{
	session_close(r->s);
	r->s = NULL;
	r->st = NULL;
	config_free(r->cfg);
	log_close(r->log);
	simrig_sim_stop(&r->sim);
	memset(r, 0, sizeof *r);
}

/* METHOD PATH [BODY] with client C; the answer's body in *ANSWER when
 * ANSWER is not NULL. */
static int request(struct http_client *c, const char *method, const char *path, const char *body,
                   char **answer)
{
	struct http_error err;
	struct http_response resp = {0};
	struct http_request req = {.method = method, .path = path, .body = body};
	char buf[1024];

	int rc = http_do(c, &req, &resp, &err);
	if (rc != 0)
		fprintf(stderr, "%s\n", http_error_format(&err, buf, sizeof buf));
	else if (answer && !(*answer = strdup(resp.body ? resp.body : "")))
		rc = -1;
	http_response_clear(&resp);
	return rc;
}

int simrig_sim_ctl(const struct simrig_sim *sim, const char *method, const char *path,
                   const char *body, char **answer)
{
	struct http_options o = {.cluster = "control", .base_url = sim->control};
	struct http_error err;
	struct http_client *c = http_client_new(&o, &err);

	if (answer)
		*answer = NULL;
	if (!c) {
		fprintf(stderr, "control API %s: %s\n", sim->control, err.message);
		return -1;
	}
	int rc = request(c, method, path, body, answer);
	http_client_free(c);
	return rc;
}

int simrig_sim_waiting(const struct simrig_sim *sim, const char *cluster, const char *path)
{
	char req[160], *answer = NULL;
	const cJSON *w;
	int n = 0;

	snprintf(req, sizeof req, "/v1/clusters/%s/waiting", cluster);
	if (simrig_sim_ctl(sim, "GET", req, NULL, &answer) != 0)
		return -1;
	cJSON *doc = cJSON_Parse(answer);
	free(answer);
	const cJSON *list = cJSON_GetObjectItemCaseSensitive(doc, "waiting");
	if (!cJSON_IsArray(list)) {
		fprintf(stderr, "%s: no waiting list\n", req);
		cJSON_Delete(doc);
		return -1;
	}
	cJSON_ArrayForEach(w, list)
	{
		const char *p = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(w, "path"));
		n += !path || (p && !strcmp(p, path));
	}
	cJSON_Delete(doc);
	return n;
}

bool simrig_sim_wait_parked(const struct simrig_sim *sim, const char *cluster, const char *path,
                            int n, long timeout_ms)
{
	int64_t end = monotime_ms() + timeout_ms;
	int got;

	while ((got = simrig_sim_waiting(sim, cluster, path)) < n) {
		if (monotime_ms() >= end) {
			fprintf(stderr, "%s: %d request(s) on %s wait for a change, not %d\n",
			        cluster, got, path ? path : "any path", n);
			return false;
		}
		nanosleep(&(struct timespec){.tv_nsec = 10 * 1000000L}, NULL);
	}
	return true;
}

int simrig_ctl(const struct simrig *r, const char *method, const char *path, const char *body)
{
	return simrig_sim_ctl(&r->sim, method, path, body, NULL);
}

const struct ops_cluster *simrig_cluster(const struct simrig *r, size_t i)
{
	const struct ops_env *env = session_ops_env(r->s);

	return i < r->n ? env->cluster(env->ctx, r->cfg->clusters[i].name) : NULL;
}

int simrig_kube(const struct simrig *r, size_t i, const char *method, const char *path,
                const char *body)
{
	const struct ops_cluster *c = simrig_cluster(r, i);

	return c ? request(c->kube, method, path, body, NULL) : -1;
}

int64_t simrig_consul_state_seen(const struct simrig *r, size_t i, const char *name,
                                 const char *state, long limit_ms)
{
	const struct ops_cluster *oc = simrig_cluster(r, i);
	char path[128], want[64];
	int64_t end = monotime_ms() + limit_ms;

	if (!oc || !oc->consul)
		return -1;
	snprintf(path, sizeof path, "/v1/peering/%s", name);
	snprintf(want, sizeof want, "\"State\":\"%s\"", state);
	while (monotime_ms() < end) {
		struct http_request req = {.path = path};
		struct http_response resp = {0};
		struct http_error err;
		bool hit = http_do(consul_http(oc->consul), &req, &resp, &err) == 0 && resp.body &&
		           strstr(resp.body, want);
		http_response_clear(&resp);
		if (hit)
			return monotime_ms();
		nanosleep(&(struct timespec){.tv_nsec = 10 * 1000000L}, NULL);
	}
	return -1;
}

bool simrig_all_ok(const struct store_snapshot *s, const void *arg)
{
	(void)arg;
	for (size_t i = 0; i < STORE_SRC_COUNT; i++)
		if (s->sources[i].enabled && s->sources[i].state != MODEL_SOURCE_OK)
			return false;
	return true;
}

static void dump(const struct store_snapshot *s)
{
	for (size_t i = 0; s && i < STORE_SRC_COUNT; i++)
		fprintf(stderr, "# %s %s: %s failures=%u %s\n", s->name,
		        store_src_name((enum store_src)i),
		        model_source_state_name(s->sources[i].state), s->sources[i].failures,
		        s->sources[i].last_error);
}

bool simrig_wait_for(struct simrig *r, size_t i, simrig_pred pred, const void *arg, long timeout_ms)
{
	int64_t end = monotime_ms() + timeout_ms;

	for (;;) {
		uint64_t gen = store_generation(r->st);
		struct store_snapshot *s = store_get(r->st, i);
		bool ok = s && pred(s, arg);
		int64_t left = end - monotime_ms();
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
