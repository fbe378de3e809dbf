/* The peerscope-sim rig of the poller tests and benchmarks. */
#include "autoconfig.h"

#include "simrig.h"

#include "peerscope/config.h"
#include "peerscope/http.h"
#include "peerscope/log.h"
#include "peerscope/monotime.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static bool read_ready(struct simrig *r)
{
	char path[300], line[200];
	FILE *f;

	snprintf(path, sizeof path, "%s/ready", r->dir);
	if (!(f = fopen(path, "r")))
		return false;
	while (fgets(line, sizeof line, f)) {
		line[strcspn(line, "\n")] = '\0';
		if (!strncmp(line, "control=", 8))
			snprintf(r->control, sizeof r->control, "%s", line + 8);
	}
	fclose(f);
	return r->control[0] != '\0';
}

static int sim_up(struct simrig *r, const char *clusters, const char *speed)
{
	char bin[256], state[300], kc[300], ready[300];
	const char *top = getenv("top_builddir"), *tmp = getenv("TMPDIR");

	snprintf(r->dir, sizeof r->dir, "%s/ps-simrig-XXXXXX", tmp ? tmp : "/tmp");
	if (!mkdtemp(r->dir)) {
		perror("mkdtemp");
		return -1;
	}
	snprintf(bin, sizeof bin, "%s/peerscope-sim", top ? top : ".");
	snprintf(state, sizeof state, "%s/state", r->dir);
	snprintf(kc, sizeof kc, "%s/kubeconfig", r->dir);
	snprintf(r->cfg_path, sizeof r->cfg_path, "%s/config.yaml", r->dir);
	snprintf(ready, sizeof ready, "%s/ready", r->dir);
	r->pid = fork();
	if (r->pid < 0)
		return -1;
	if (r->pid == 0) {
		/* The simulator is tested on its own; here it only serves. In a
		 * ThreadSanitizer build its own reports must not stop it. */
		setenv("TSAN_OPTIONS", "report_bugs=0:exitcode=0", 1);
		execl(bin, bin, "-n", clusters, "--speed", speed, "--state-dir", state,
		      "--kubeconfig-out", kc, "--config-out", r->cfg_path, "--ready-file", ready,
		      (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 200 && !read_ready(r); i++)
		usleep(50000);
	if (!r->control[0]) {
		fprintf(stderr, "peerscope-sim (%s) did not become ready\n", bin);
		return -1;
	}
	return 0;
}

static int load_config(struct simrig *r)
{
	char home[300], a0[] = "peerscope", a1[] = "--config";
	char *argv[] = {a0, a1, r->cfg_path, NULL}, *envp[] = {home, NULL};
	struct config_args args;
	struct config_diags d = {0};
	int rc = -1;

	snprintf(home, sizeof home, "HOME=%s", r->dir);
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
	char tmp[320], line[1024], cur[sizeof line] = "";
	FILE *in = fopen(r->cfg_path, "r"), *out;
	int rc = 0;

	if (!in)
		return -1;
	snprintf(tmp, sizeof tmp, "%s.new", r->cfg_path);
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
	if (fclose(out) != 0 || rc != 0 || rename(tmp, r->cfg_path) != 0) {
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
	memset(r, 0, sizeof *r);
	if (sim_up(r, clusters, speed))
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
	char cmd[400];

	session_close(r->s);
	r->s = NULL;
	r->st = NULL;
	config_free(r->cfg);
	log_close(r->log);
	if (r->pid > 0) {
		kill(r->pid, SIGTERM);
		waitpid(r->pid, NULL, 0);
	}
	if (r->dir[0]) {
		snprintf(cmd, sizeof cmd, "rm -rf '%s'", r->dir);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", r->dir);
	}
	memset(r, 0, sizeof *r);
}

static int request(struct http_client *c, const char *method, const char *path, const char *body)
{
	struct http_error err;
	struct http_response resp = {0};
	struct http_request req = {.method = method, .path = path, .body = body};
	char buf[1024];

	int rc = http_do(c, &req, &resp, &err);
	if (rc != 0)
		fprintf(stderr, "%s\n", http_error_format(&err, buf, sizeof buf));
	http_response_clear(&resp);
	return rc;
}

int simrig_ctl(const struct simrig *r, const char *method, const char *path, const char *body)
{
	struct http_options o = {.cluster = "control", .base_url = r->control};
	struct http_error err;
	struct http_client *c = http_client_new(&o, &err);

	if (!c)
		return -1;
	int rc = request(c, method, path, body);
	http_client_free(c);
	return rc;
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

	return c ? request(c->kube, method, path, body) : -1;
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
