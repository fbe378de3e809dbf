/* demo: the dashboard on a simulated world that this process owns, set up
 * through the simulated clusters' Kubernetes APIs as an operator does.
 *
 * Layout of the temporary folder (removed at the end):
 *   config.yaml  kubeconfig  ready  sim.log  state/  audit.log
 * Children: peerscope-sim, and a watcher that waits on a pipe; when this
 * process ends without saying goodbye on the pipe (killed, crashed), the
 * watcher stops the simulator and removes the folder. */
#include "autoconfig.h"

#include "peerscope/config.h"
#include "peerscope/consul.h"
#include "peerscope/term.h"
#include "peerscope/demo.h"
#include "peerscope/http.h"
#include "peerscope/ops.h"
#include "peerscope/script.h"
#include "peerscope/session.h"
#include "peerscope/simctl.h"
#include "peerscope/theme.h"
#include "peerscope/dashboard.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define READY_TIMEOUT_MS 15000
#define STEP_TIMEOUT_MS  10000 /* each step of the world's setup */
#define STOP_TIMEOUT_MS  3000

/* The peering the demo sets up, as the specification's procedure has it
 * and peerscope peer does it: the acceptor on cluster-01 is named after its
 * peer, cluster-02, the dialer on cluster-02 after cluster-01; the token
 * travels in the Secret peering-token-cluster-02. */
#define DEMO_ACCEPTOR_SIDE "cluster-01"
#define DEMO_DIALER_SIDE   "cluster-02"
#define DEMO_EXPORTS       3 /* services cluster-01 exports to cluster-02 */
#define DEMO_EXPORTS_BACK  1 /* and cluster-02 to cluster-01 */

/* What the command line asks of the demo. */
struct demo_options {
	int clusters;       /* --demo-clusters: 2 to 8 */
	long services;      /* --demo-scale services=N; 0: the simulator's default */
	bool tour;          /* --tour */
	long tour_auto_ms;  /* --tour-auto; 0: the presenter's Space */
	struct script play; /* the tour or --script, loaded before anything starts */
	bool has_play;
	char tour_file[PATH_MAX];
};

struct demo {
	char dir[PATH_MAX];
	char sim[PATH_MAX];
	pid_t sim_pid;
	pid_t watcher_pid;
	int watcher_fd; /* write end; closing it without a byte means "clean up" */
};

/* Set by the signal handler while the simulator starts (the dashboard has
 * its own handlers once it runs). */
static volatile sig_atomic_t demo_stop;

static void on_stop(int sig)
{
	demo_stop = sig;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

/* ------------------------------------------------------------ files */

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

static void remove_tree(const char *dir)
{
	if (*dir)
		nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void path_in(const struct demo *d, const char *name, char *out, size_t len)
{
	snprintf(out, len, "%s/%s", d->dir, name);
}

/* peerscope-sim next to this program (build tree or bindir), else PATH. */
static void find_sim(const char *argv0, char *out, size_t len)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	char *slash;

	if (n > 0) {
		self[n] = '\0';
		if ((slash = strrchr(self, '/'))) {
			*slash = '\0';
			if (snprintf(out, len, "%s/peerscope-sim", self) < (int)len &&
			    access(out, X_OK) == 0)
				return;
		}
	}
	if (argv0 && strchr(argv0, '/')) {
		snprintf(self, sizeof self, "%s", argv0);
		*strrchr(self, '/') = '\0';
		if (snprintf(out, len, "%s/peerscope-sim", self) < (int)len &&
		    access(out, X_OK) == 0)
			return;
	}
	snprintf(out, len, "peerscope-sim");
}

/* ------------------------------------------------------------ children */

/* Runs the simulator with output to sim.log. */
static pid_t spawn(const struct demo *d, const char *const argv[])
{
	char log[PATH_MAX + 16];
	pid_t pid;

	path_in(d, "sim.log", log, sizeof log);
	pid = fork();
	if (pid != 0)
		return pid;
	int fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || null < 0)
		_exit(127);
	dup2(null, STDIN_FILENO);
	dup2(fd, STDOUT_FILENO);
	dup2(fd, STDERR_FILENO);
	/* Its own process group: a Ctrl-C meant for the dashboard does not
	 * stop the world under it; the dashboard stops it when it ends. */
	setpgid(0, 0);
	execvp(argv[0], (char *const *)argv);
	_exit(127);
}

/* Waits up to TIMEOUT_MS for PID; returns its wait status, or -1. */
static int wait_child(pid_t pid, long timeout_ms)
{
	int status;

	for (long t = 0; t <= timeout_ms; t += 20) {
		pid_t r = waitpid(pid, &status, WNOHANG);
		if (r == pid)
			return status;
		if (r < 0)
			return -1;
		sleep_ms(20);
	}
	return -1;
}

static void stop_child(pid_t pid)
{
	if (pid <= 0)
		return;
	kill(pid, SIGTERM);
	if (wait_child(pid, STOP_TIMEOUT_MS) == -1) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
}

/* The watcher: blocks on the pipe. A byte means the dashboard cleaned up
 * itself; end of file without one means it died, so the watcher does it. */
static void watcher_main(int fd, pid_t sim, const char *dir)
{
	char c;
	ssize_t n;

	signal(SIGINT, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	do
		n = read(fd, &c, 1);
	while (n < 0 && errno == EINTR);
	if (n == 1)
		_exit(0);
	kill(sim, SIGTERM);
	for (int i = 0; i < STOP_TIMEOUT_MS / 20 && kill(sim, 0) == 0; i++)
		sleep_ms(20);
	kill(sim, SIGKILL);
	remove_tree(dir);
	_exit(0);
}

static int start_watcher(struct demo *d)
{
	int fds[2];

	if (pipe(fds) < 0)
		return -1;
	d->watcher_pid = fork();
	if (d->watcher_pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (d->watcher_pid == 0) {
		close(fds[1]);
		watcher_main(fds[0], d->sim_pid, d->dir);
	}
	close(fds[0]);
	fcntl(fds[1], F_SETFD, FD_CLOEXEC);
	d->watcher_fd = fds[1];
	return 0;
}

/* ------------------------------------------------------------ start, stop */

static int wait_ready(const struct demo *d)
{
	char ready[PATH_MAX + 16];
	struct stat st;

	path_in(d, "ready", ready, sizeof ready);
	for (long t = 0; t < READY_TIMEOUT_MS && !demo_stop; t += 50) {
		if (stat(ready, &st) == 0 && st.st_size > 0)
			return 0;
		if (waitpid(d->sim_pid, NULL, WNOHANG) == d->sim_pid) {
			fprintf(stderr, "peerscope: peerscope-sim ended early (see %s/sim.log)\n",
			        d->dir);
			return -1;
		}
		sleep_ms(50);
	}
	if (!demo_stop)
		fprintf(stderr, "peerscope: peerscope-sim was not ready within %d s\n",
		        READY_TIMEOUT_MS / 1000);
	return -1;
}

static int start_sim(struct demo *d, const struct demo_options *o)
{
	char state[PATH_MAX + 16], kube[PATH_MAX + 16], conf[PATH_MAX + 16], ready[PATH_MAX + 16];
	char clusters[16], scale[64];

	path_in(d, "state", state, sizeof state);
	path_in(d, "kubeconfig", kube, sizeof kube);
	path_in(d, "config.yaml", conf, sizeof conf);
	path_in(d, "ready", ready, sizeof ready);
	if (mkdir(state, 0700) < 0)
		return -1;
	snprintf(clusters, sizeof clusters, "%d", o->clusters);
	snprintf(scale, sizeof scale, "services=%ld", o->services);
	const char *const argv[] = {d->sim,   "--clusters",
	                            clusters, "--state-dir",
	                            state,    "--kubeconfig-out",
	                            kube,     "--config-out",
	                            conf,     "--ready-file",
	                            ready,    o->services ? "--scale" : NULL,
	                            scale,    NULL};
	d->sim_pid = spawn(d, argv);
	if (d->sim_pid < 0)
		return -1;
	if (start_watcher(d) < 0)
		return -1;
	return wait_ready(d);
}

/* ------------------------------------------------------------ the world
 *
 * The demo sets up two of the simulated clusters with the operations an
 * operator runs with the keys or peerscope's subcommands (peer-through-
 * gateways, gateway-mode, peer, export), on a session of its own, and lets
 * the simulated consul-k8s controllers do the rest; cluster-03 stays
 * unpeered. Each operation has a deadline; a failure names the step, its
 * cluster and the server's words. */

/* "peerscope: demo: STEP on CLUSTER: WHY" (a step that names its cluster
 * already: "STEP: WHY"). */
static int step_fail(const char *step, const char *cluster, const char *why)
{
	size_t ls = strlen(step), lc = strlen(cluster);
	bool named = ls > lc + 4 && !strcmp(step + ls - lc, cluster) &&
	             !strncmp(step + ls - lc - 4, " on ", 4);

	term_fprintf(stderr, "peerscope: demo: %s%s%s: %s\n", step, named ? "" : " on ",
	             named ? "" : cluster, why);
	return -1;
}

/* Plans and runs REQ on the session's operations. */
static int run_op(struct session *s, const struct ops_request *req)
{
	const struct ops_env *env = session_ops_env(s);
	struct ops_plan plan;
	struct ops_status st;
	char what[64];
	int rc = -1;

	snprintf(what, sizeof what, "plan %s", ops_kind_name(req->kind));
	if (ops_plan(env, req, &plan) < 0) {
		step_fail(what, req->a, "out of memory");
	} else if (plan.refusal != OPS_GO) {
		step_fail(what, req->a, plan.reason);
	} else if (ops_run(env, &plan, NULL, NULL, NULL, &st) != OPS_OK) {
		const struct ops_step *f = &st.steps[st.current];
		step_fail(f->title, f->cluster[0] ? f->cluster : req->a, st.message);
	} else {
		rc = 0;
	}
	ops_plan_free(&plan);
	return rc;
}

static int mesh_op(struct session *s, enum ops_kind kind, const char *cluster, const char *service,
                   const char *peer, const char *value)
{
	struct ops_request req = {.kind = kind, .wait_ms = STEP_TIMEOUT_MS};

	snprintf(req.a, sizeof req.a, "%s", cluster);
	snprintf(req.service, sizeof req.service, "%s", service ? service : "");
	snprintf(req.peer, sizeof req.peer, "%s", peer ? peer : "");
	snprintf(req.value, sizeof req.value, "%s", value ? value : "");
	return run_op(s, &req);
}

/* Up to MAX of the services CLUSTER's Consul catalog holds, in its order,
 * except Consul itself, the mesh gateway and the names in SKIP. */
static int pick_services(struct session *s, const char *cluster, char **out, size_t max,
                         char *const *skip, size_t nskip, size_t *n)
{
	const struct ops_env *env = session_ops_env(s);
	const struct ops_cluster *c = env->cluster(env->ctx, cluster);
	struct http_request req = {.path = "/v1/catalog/services"};
	struct http_response resp = {0};
	struct http_error herr = {0};
	const char *step = "choose services to export";
	char buf[1024];
	cJSON *root, *e;

	*n = 0;
	if (!c || !c->consul)
		return step_fail(step, cluster,
		                 c && c->consul_error ? c->consul_error : "no Consul");
	if (http_do(consul_http(c->consul), &req, &resp, &herr) < 0) {
		http_response_clear(&resp);
		return step_fail(step, cluster, http_error_format(&herr, buf, sizeof buf));
	}
	root = cJSON_ParseWithLength(resp.body ? resp.body : "", resp.body_len);
	http_response_clear(&resp);
	if (!cJSON_IsObject(root)) {
		cJSON_Delete(root);
		return step_fail(step, cluster, "GET /v1/catalog/services: not a JSON object");
	}
	cJSON_ArrayForEach(e, root)
	{
		bool skipped = !strcmp(e->string, "consul") || !strcmp(e->string, "mesh-gateway");

		for (size_t i = 0; i < nskip && !skipped; i++)
			skipped = !strcmp(skip[i], e->string);
		if (skipped || *n == max)
			continue;
		if (!(out[*n] = strdup(e->string))) {
			cJSON_Delete(root);
			return step_fail(step, cluster, "out of memory");
		}
		(*n)++;
	}
	cJSON_Delete(root);
	if (*n == 0)
		return step_fail(step, cluster, "the Consul catalog holds no service to export");
	return 0;
}

static void free_names(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
}

/* Exports NAMES of FROM to peer TO, one operation each. */
static int export_all(struct session *s, const char *from, const char *to, char *const *names,
                      size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (mesh_op(s, OPS_EXPORT, from, names[i], to, NULL) < 0)
			return -1;
	return 0;
}

static int build_world(struct session *s)
{
	static const char *const both[2] = {DEMO_ACCEPTOR_SIDE, DEMO_DIALER_SIDE};
	char *exports[DEMO_EXPORTS] = {0}, *back[DEMO_EXPORTS_BACK] = {0};
	size_t nexports = 0, nback = 0;
	struct ops_request peer = {.kind = OPS_PEER, .wait_ms = STEP_TIMEOUT_MS};
	int rc = -1;

	/* 1. Mesh gateways carry the peering, in local mode. */
	for (int i = 0; i < 2; i++)
		if (mesh_op(s, OPS_PEER_THROUGH_GATEWAYS, both[i], NULL, NULL, "on") < 0 ||
		    mesh_op(s, OPS_GATEWAY_MODE, both[i], NULL, NULL, "local") < 0)
			return -1;
	/* 2. The peering: acceptor, token Secret, exchange, dialer, ACTIVE. */
	snprintf(peer.a, sizeof peer.a, "%s", DEMO_ACCEPTOR_SIDE);
	snprintf(peer.b, sizeof peer.b, "%s", DEMO_DIALER_SIDE);
	if (run_op(s, &peer) < 0)
		return -1;
	/* 3. Services exported to the peer, and one back, each imported. */
	if (pick_services(s, DEMO_ACCEPTOR_SIDE, exports, DEMO_EXPORTS, NULL, 0, &nexports) == 0 &&
	    export_all(s, DEMO_ACCEPTOR_SIDE, DEMO_DIALER_SIDE, exports, nexports) == 0 &&
	    pick_services(s, DEMO_DIALER_SIDE, back, DEMO_EXPORTS_BACK, exports, nexports,
	                  &nback) == 0 &&
	    export_all(s, DEMO_DIALER_SIDE, DEMO_ACCEPTOR_SIDE, back, nback) == 0)
		rc = 0;
	free_names(exports, nexports);
	free_names(back, nback);
	return rc;
}

/* Peers cluster-01 (acceptor) with cluster-02 (dialer); cluster-03 stays
 * unpeered. The operations' audit log is the demo's. */
static int peer_two(const struct config *cfg)
{
	struct session_options so = {.worker = true, .audit_path = cfg->audit_log};
	struct session *s;
	char err[600];
	int rc;

	fprintf(stderr, "peerscope: demo: peering %s with %s through Kubernetes...\n",
	        DEMO_ACCEPTOR_SIDE, DEMO_DIALER_SIDE);
	if (session_open(cfg, NULL, &so, &s, err, sizeof err) < 0)
		return step_fail("open a session", DEMO_ACCEPTOR_SIDE, err);
	rc = build_world(s);
	session_close(s);
	return rc;
}

static void demo_end(struct demo *d)
{
	stop_child(d->sim_pid);
	remove_tree(d->dir);
	if (d->watcher_fd >= 0) {
		ssize_t w = write(d->watcher_fd, "x", 1);
		(void)w;
		close(d->watcher_fd);
	}
	if (d->watcher_pid > 0)
		waitpid(d->watcher_pid, NULL, 0);
}

static int load_config(const struct demo *d, const struct config_args *args, char *const *envp,
                       struct config **cfg)
{
	struct config_args a = *args;
	struct config_diags diags = {0};
	char conf[PATH_MAX + 16];
	int rc;

	path_in(d, "config.yaml", conf, sizeof conf);
	a.value[CONFIG_KEY_CONFIG] = conf;
	a.flag_used[CONFIG_KEY_CONFIG] = "--config";
	rc = config_load(&a, envp, cfg, &diags);
	config_diags_print(&diags, stderr);
	config_diags_free(&diags);
	return rc;
}

/* The tour shipped with the program: in its data folder, or in the source
 * tree beside a program run from its build tree (as themes are found). */
static void find_tour(char *out, size_t len)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	const char *themes, *slash;

	snprintf(out, len, "%s/tour.script", PKGDATADIR);
	if (access(out, R_OK) == 0 || n <= 0)
		return;
	exe[n] = '\0';
	themes = theme_source_dir(exe);
	if (themes && (slash = strrchr(themes, '/')))
		snprintf(out, len, "%.*s/data/tour.script", (int)(slash - themes), themes);
}

static int usage(const char *what, const char *value, const char *want)
{
	term_fprintf(stderr, "peerscope: %s: expected %s, found '%s'\n", what, want, value);
	return -1;
}

/* The demo's own flags, checked (and the tour or script loaded) before
 * anything starts. */
static int demo_options(const struct config_args *args, struct demo_options *o)
{
	const char *v;
	char *end, err[700];

	memset(o, 0, sizeof *o);
	o->clusters = 3;
	if ((v = args->value[CONFIG_KEY_DEMO_CLUSTERS])) {
		long n = strtol(v, &end, 10);
		if (!*v || *end || n < 2 || n > 8)
			return usage("--demo-clusters", v, "a number of clusters from 2 to 8");
		o->clusters = (int)n;
	}
	if ((v = args->value[CONFIG_KEY_DEMO_SCALE])) {
		long n = strncmp(v, "services=", 9) ? -1 : strtol(v + 9, &end, 10);
		if (n < 1 || n > 10000 || *end)
			return usage("--demo-scale", v, "services=N, N from 1 to 10000");
		o->services = n;
	}
	o->tour = args->value[CONFIG_KEY_TOUR] != NULL;
	if ((v = args->value[CONFIG_KEY_TOUR_AUTO])) {
		double secs = strtod(v, &end);
		if (!*v || *end || secs <= 0 || secs > 3600)
			return usage("--tour-auto", v, "seconds, more than 0");
		o->tour = true;
		o->tour_auto_ms = (long)(secs * 1000);
	}
	if (o->tour && args->value[CONFIG_KEY_SCRIPT]) {
		fprintf(stderr, "peerscope: --tour and --script: one at a time\n");
		return -1;
	}
	find_tour(o->tour_file, sizeof o->tour_file);
	v = o->tour ? o->tour_file : args->value[CONFIG_KEY_SCRIPT];
	if (v) {
		if (script_load(v, &o->play, err, sizeof err) < 0) {
			term_fprintf(stderr, "peerscope: %s\n", err);
			return -1;
		}
		o->has_play = true;
	}
	return 0;
}

/* The simulator's control API, for :sim and the scripts' sim steps. */
static struct simctl *open_simctl(const struct demo *d)
{
	char path[PATH_MAX + 32], url[512] = "";
	FILE *f;

	path_in(d, "state/control.url", path, sizeof path);
	if (!(f = fopen(path, "r")))
		return NULL;
	if (!fgets(url, sizeof url, f))
		url[0] = '\0';
	fclose(f);
	url[strcspn(url, "\r\n")] = '\0';
	return *url ? simctl_new(d->sim, url) : NULL;
}

int demo_run(const struct config_args *args, char *const *envp, const char *argv0,
             struct log_sink *log)
{
	struct demo d = {.sim_pid = -1, .watcher_pid = -1, .watcher_fd = -1};
	struct sigaction sa = {0}, old[3];
	static const int sigs[3] = {SIGINT, SIGTERM, SIGHUP};
	const char *tmp = getenv("TMPDIR");
	struct config *cfg = NULL;
	struct demo_options o;
	struct simctl *ctl = NULL;
	int rc = 1;

	if (demo_options(args, &o) < 0)
		return 2;
	snprintf(d.dir, sizeof d.dir, "%s/peerscope-demo.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(d.dir)) {
		fprintf(stderr, "peerscope: cannot create %s: %s\n", d.dir, strerror(errno));
		script_free(&o.play);
		return 1;
	}
	find_sim(argv0, d.sim, sizeof d.sim);
	demo_stop = 0;
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	for (int i = 0; i < 3; i++)
		sigaction(sigs[i], &sa, &old[i]);
	if (start_sim(&d, &o) < 0 || demo_stop)
		goto out;
	if (load_config(&d, args, envp, &cfg) < 0 || demo_stop)
		goto out;
	/* The demo's changes are to its own world: they are logged beside it,
	 * not in the operator's audit log. */
	free(cfg->audit_log);
	char audit[PATH_MAX + 16];
	path_in(&d, "audit.log", audit, sizeof audit);
	if (!(cfg->audit_log = strdup(audit)))
		goto out;
	if (peer_two(cfg) < 0 || demo_stop)
		goto out;
	ctl = open_simctl(&d);
	struct dashboard_extras x = {
	        .demo = true,
	        .script = o.has_play ? &o.play : NULL,
	        .tour = o.tour,
	        .tour_auto_ms = o.tour_auto_ms,
	        .simctl = ctl,
	        .tour_file = access(o.tour_file, R_OK) == 0 ? o.tour_file : NULL,
	};
	rc = dashboard_run(cfg, &x, log);
out:
	simctl_free(ctl);
	script_free(&o.play);
	config_free(cfg);
	demo_end(&d);
	for (int i = 0; i < 3; i++)
		sigaction(sigs[i], &old[i], NULL);
	return rc;
}
