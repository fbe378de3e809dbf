/* peerscope-sim: the control API (its own listener; JSON in and out) and
 * `peerscope-sim ctl`, its command-line client. */
#include "autoconfig.h"

#include <curl/curl.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "consul/simc.h"
#include "kube/simk.h"

/* ------------------------------------------------------------- server */

static void ctl_error(struct sim_resp *resp, int code, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static void ctl_error(struct sim_resp *resp, int code, const char *fmt, ...)
{
	cJSON *o = cJSON_CreateObject();
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (o)
		cJSON_AddStringToObject(o, "error", msg);
	simc_json(resp, code, o);
}

static void ok(struct sim_resp *resp)
{
	cJSON *o = cJSON_CreateObject();

	if (o)
		cJSON_AddBoolToObject(o, "ok", true);
	simc_json(resp, 200, o);
}

static cJSON *world_json(struct sim_app *app)
{
	struct sim_world *w = app->world;
	cJSON *o = cJSON_CreateObject(), *arr;
	char now[40], host[80];

	if (!o)
		return NULL;
	sim_url_host(w->opt.listen, host, sizeof host);
	sim_format_time(sim_now_ms(w), now, sizeof now);
	cJSON_AddStringToObject(o, "time", now);
	cJSON_AddNumberToObject(o, "speed", w->opt.speed);
	cJSON_AddNumberToObject(o, "seed", (double)w->opt.seed);
	cJSON_AddBoolToObject(o, "acl", w->opt.acl);
	cJSON_AddBoolToObject(o, "tls", w->opt.tls);
	if (!(arr = cJSON_AddArrayToObject(o, "clusters")))
		return o;
	for (int i = 0; i < w->nclusters; i++) {
		struct sim_cluster *c = &w->clusters[i];
		cJSON *co = cJSON_CreateObject();
		char url[128];
		if (!co)
			break;
		cJSON_AddItemToArray(arr, co);
		cJSON_AddStringToObject(co, "name", c->name);
		cJSON_AddBoolToObject(co, "running", c->running);
		snprintf(url, sizeof url, "%s://%s:%u",
		         sim_server_scheme(app->server, SIM_LISTEN_CONSUL), host,
		         (unsigned)c->consul_port);
		cJSON_AddStringToObject(co, "consul", url);
		snprintf(url, sizeof url, "%s://%s:%u",
		         sim_server_scheme(app->server, SIM_LISTEN_KUBE), host,
		         (unsigned)c->kube_port);
		cJSON_AddStringToObject(co, "kube", url);
		cJSON_AddNumberToObject(co, "raft_index", (double)c->consul->index);
		cJSON_AddNumberToObject(co, "services", c->consul->nsvcs);
		cJSON_AddNumberToObject(co, "peerings", c->consul->npeerings);
		cJSON_AddNumberToObject(co, "mesh_gateways", simc_gateways_count(c, false));
		cJSON_AddItemToObject(co, "install", sim_install_json(&c->install));
	}
	return o;
}

static cJSON *body_json(const struct sim_req *req, struct sim_resp *resp)
{
	cJSON *b = req->body_len ? cJSON_ParseWithLength(req->body, req->body_len)
	                         : cJSON_CreateObject();

	if (!cJSON_IsObject(b)) {
		cJSON_Delete(b);
		ctl_error(resp, 400, "request body: %s", "expected a JSON object");
		return NULL;
	}
	return b;
}

static void do_stop_start(struct sim_app *app, struct sim_cluster *c, bool start, bool refuse,
                          struct sim_resp *resp)
{
	struct sim_world *w = app->world;
	char err[256];

	pthread_mutex_lock(&w->lock);
	bool running = c->running;
	if (!start && running)
		simc_set_running(c, false, refuse);
	pthread_mutex_unlock(&w->lock);
	if (start == running) {
		ok(resp);
		return;
	}
	if (!start) {
		sim_server_stop_cluster(app->server, c, refuse);
		ok(resp);
		return;
	}
	/* Running before the listeners are back: the requests the kernel held
	 * while it hung are served as soon as the daemon accepts them, and a
	 * request finding its cluster not running is dropped. */
	pthread_mutex_lock(&w->lock);
	simc_set_running(c, true, true);
	pthread_mutex_unlock(&w->lock);
	if (sim_server_start_cluster(app->server, c, err, sizeof err) < 0) {
		pthread_mutex_lock(&w->lock);
		simc_set_running(c, false, true);
		pthread_mutex_unlock(&w->lock);
		ctl_error(resp, 500, "%s", err);
		return;
	}
	ok(resp);
}

static void do_gateway(struct sim_cluster *c, const cJSON *b, struct sim_resp *resp)
{
	const char *st = cJSON_GetStringValue(cJSON_GetObjectItem(b, "status"));
	const char *part = simc_part(cJSON_GetStringValue(cJSON_GetObjectItem(b, "partition")));

	if (!st) {
		ctl_error(resp, 400, "status: %s",
		          "expected passing, warning, critical, remove or add");
		return;
	}
	if (*part && !simc_partition_find(c->consul, part)) {
		ctl_error(resp, 400, "no partition \"%s\" on %s", part, c->name);
		return;
	}
	if (*part && (!strcmp(st, "remove") || !strcmp(st, "add"))) {
		/* A partition's own gateway (consul-k8s installed in it). */
		if (st[0] == 'a' && !simc_service_find_in(c->consul, part, "mesh-gateway")) {
			simc_write(c->consul);
			simc_service_add_in(c, part, "mesh-gateway", "mesh-gateway", 1, "passing");
		} else if (st[0] == 'r' && simc_service_find_in(c->consul, part, "mesh-gateway")) {
			simc_write(c->consul);
			simc_service_remove(c, part, "mesh-gateway");
		}
		sim_event(c->world, c, "mesh gateway of partition %s: %s", part,
		          st[0] == 'a' ? "registered" : "removed");
		simc_gateways_changed(c, part);
		simc_stream_recheck(c->world);
		ok(resp);
		return;
	}
	if (!strcmp(st, "remove") || !strcmp(st, "add")) {
		c->install.mesh_gateway_enabled = st[0] == 'a';
		if (c->install.mesh_gateway_enabled && c->install.mesh_gateway_replicas < 1)
			c->install.mesh_gateway_replicas = 1;
		simc_install_changed(c);
		ok(resp);
		return;
	}
	if (strcmp(st, "passing") && strcmp(st, "warning") && strcmp(st, "critical")) {
		ctl_error(resp, 400,
		          "status: \"%s\" is not passing, warning, critical, remove or add", st);
		return;
	}
	if (!simc_gateways_set_status(c, part, st)) {
		ctl_error(resp, 409, "%s has no mesh gateway%s%s", c->name, *part ? " in " : "",
		          part);
		return;
	}
	sim_event(c->world, c, "mesh gateway now %s", st);
	simc_stream_recheck(c->world);
	ok(resp);
}

static void do_service(struct sim_cluster *c, const cJSON *b, struct sim_resp *resp)
{
	const char *name = cJSON_GetStringValue(cJSON_GetObjectItem(b, "name"));
	const char *st = cJSON_GetStringValue(cJSON_GetObjectItem(b, "status"));
	const cJSON *n = cJSON_GetObjectItem(b, "instances");
	int count = cJSON_IsNumber(n) ? n->valueint : 1;
	const char *part = simc_part(cJSON_GetStringValue(cJSON_GetObjectItem(b, "partition")));

	if (*part && !simc_partition_find(c->consul, part)) {
		ctl_error(resp, 400, "no partition \"%s\" on %s", part, c->name);
		return;
	}
	if (cJSON_IsTrue(cJSON_GetObjectItem(b, "remove"))) {
		const struct simc_service *s =
		        name ? simc_service_find_in(c->consul, part, name) : NULL;
		if (!s || !simc_service_exportable(s)) {
			ctl_error(resp, 404, "no application service \"%s\"", name ? name : "");
			return;
		}
		simc_write(c->consul);
		simc_service_remove(c, part, name);
		sim_event(c->world, c, "service %s: deregistered", name);
		simc_service_changed(c, part, name);
		ok(resp);
		return;
	}
	if (!name || !*name || strlen(name) >= SIMC_NAME_MAX || count < 1 || count > 100) {
		ctl_error(resp, 400, "%s",
		          "name (1 to 63 characters) and instances (1 to 100) needed");
		return;
	}
	if (st && strcmp(st, "passing") && strcmp(st, "warning") && strcmp(st, "critical")) {
		ctl_error(resp, 400, "status: \"%s\" is not passing, warning or critical", st);
		return;
	}
	simc_write(c->consul);
	if (!simc_service_add_in(c, part, name, "", count, st ? st : "passing")) {
		ctl_error(resp, 500, "%s", "out of memory");
		return;
	}
	sim_event(c->world, c, "service %s: %d instance(s) added", name, count);
	simc_service_changed(c, part, name);
	ok(resp);
}

static void do_install(struct sim_cluster *c, const cJSON *b, struct sim_resp *resp)
{
	struct sim_install in = c->install;
	const cJSON *it;
	char err[256], val[64];

	cJSON_ArrayForEach(it, b)
	{
		if (cJSON_IsString(it))
			snprintf(val, sizeof val, "%s", it->valuestring);
		else if (cJSON_IsBool(it))
			snprintf(val, sizeof val, "%s", cJSON_IsTrue(it) ? "true" : "false");
		else if (cJSON_IsNumber(it))
			snprintf(val, sizeof val, "%d", it->valueint);
		else
			val[0] = '\0';
		if (sim_install_set(&in, it->string, val, err, sizeof err) < 0) {
			ctl_error(resp, 400, "%s", err);
			return;
		}
	}
	c->install = in;
	sim_event(c->world, c, "install changed");
	/* The state dir's values.yaml follows what the cluster now runs. */
	char path[1200], *values = sim_values_yaml(c);
	snprintf(path, sizeof path, "%s/%s-values.yaml", c->world->opt.state_dir, c->name);
	if (!values || sim_write_file(path, values, 0644, err, sizeof err) < 0)
		sim_event(c->world, c, "cannot rewrite %s", path);
	free(values);
	simc_install_changed(c);
	simc_json(resp, 200, sim_install_json(&c->install));
}

static const char *str_or(const char *s)
{
	return s ? s : "";
}

static void do_peer(struct sim_world *w, const cJSON *b, struct sim_resp *resp)
{
	/* "cluster-01" or, on Enterprise, "cluster-01/PARTITION". */
	char ab[64] = "", db[64] = "";
	snprintf(ab, sizeof ab, "%s",
	         str_or(cJSON_GetStringValue(cJSON_GetObjectItem(b, "acceptor"))));
	snprintf(db, sizeof db, "%s",
	         str_or(cJSON_GetStringValue(cJSON_GetObjectItem(b, "dialer"))));
	char *ap = strchr(ab, '/'), *dp = strchr(db, '/');
	if (ap)
		*ap++ = '\0';
	if (dp)
		*dp++ = '\0';
	struct sim_cluster *a = sim_cluster_by_name(w, ab);
	struct sim_cluster *d = sim_cluster_by_name(w, db);
	const char *an = cJSON_GetStringValue(cJSON_GetObjectItem(b, "acceptor_name"));
	const char *dn = cJSON_GetStringValue(cJSON_GetObjectItem(b, "dialer_name"));

	if (!a || !d || a == d) {
		ctl_error(resp, 400, "%s", "acceptor and dialer must name two different clusters");
		return;
	}
	if ((ap && !a->install.enterprise) || (dp && !d->install.enterprise)) {
		ctl_error(resp, 400, "%s", "partitions need an Enterprise cluster");
		return;
	}
	/* Each side names the peering after the other cluster by default. */
	if (simc_peering_make(a, ap, an ? an : d->name, d, dp, dn ? dn : a->name, true) < 0) {
		ctl_error(resp, 409, "%s",
		          "the names are invalid or already used by a peering, or a partition "
		          "does not exist");
		return;
	}
	sim_event(w, a, "peering with %s made through the control API", d->name);
	sim_changed(w);
	ok(resp);
}

static void do_faults(struct sim_cluster *c, const char *method, const cJSON *b,
                      struct sim_resp *resp)
{
	char err[300];

	if (!strcmp(method, "GET")) {
		simc_json(resp, 200, sim_faults_json(c));
		return;
	}
	if (!strcmp(method, "DELETE"))
		sim_faults_clear(c);
	else if (sim_faults_set(c, b, err, sizeof err) < 0) {
		ctl_error(resp, 400, "%s", err);
		return;
	}
	ok(resp);
}

/* {"up": false} takes the connect-injector down, {"up": true} brings it back. */
static void do_injector(struct sim_cluster *c, const char *method, const cJSON *b,
                        struct sim_resp *resp)
{
	const cJSON *up = cJSON_GetObjectItem(b, "up");

	if (!strcmp(method, "POST")) {
		if (!cJSON_IsBool(up)) {
			ctl_error(resp, 400, "up: %s", "expected true or false");
			return;
		}
		simk_set_injector(c, cJSON_IsTrue(up));
	}
	cJSON *o = cJSON_CreateObject();
	if (o)
		cJSON_AddBoolToObject(o, "up", simk_injector_up(c));
	simc_json(resp, 200, o);
}

/* What of C is parked: blocking queries and watches waiting for a change,
 * and, while it is stopped with hang, connections nobody accepts. */
static void waiting(struct sim_app *app, struct sim_cluster *c, struct sim_resp *resp)
{
	int queued = sim_server_queued(app->server, c);

	pthread_mutex_lock(&app->world->lock);
	cJSON *o = sim_waiters_json(c);
	pthread_mutex_unlock(&app->world->lock);
	if (o && !cJSON_AddNumberToObject(o, "queued_connections", queued)) {
		cJSON_Delete(o);
		o = NULL;
	}
	simc_json(resp, o ? 200 : 500, o);
}

/* GET: the cluster's Kubernetes users; POST {"preset"} or {"rules",
 * "namespaces"} [, "name"]: its restricted user, made if it had none (the
 * kubeconfig is then written again with its context on that user). */
static void kube_user(struct sim_app *app, struct sim_cluster *c, const struct sim_req *req,
                      struct sim_resp *resp)
{
	struct sim_world *w = app->world;
	bool post = !strcmp(req->method, "POST"), created = false;
	cJSON *b = NULL;
	char err[300];
	int rc = 0;

	if (!post && strcmp(req->method, "GET")) {
		ctl_error(resp, 405, "method %s not allowed", req->method);
		return;
	}
	if (post && !(b = body_json(req, resp)))
		return;
	pthread_mutex_lock(&w->lock);
	if (post)
		rc = simk_rbac_set(c, b, &created, err, sizeof err);
	cJSON *o = rc == 0 ? simk_rbac_json(c) : NULL;
	pthread_mutex_unlock(&w->lock);
	cJSON_Delete(b);
	if (rc < 0) {
		ctl_error(resp, 400, "%s", err);
		return;
	}
	if (created && sim_write_kubeconfig(app) < 0) {
		cJSON_Delete(o);
		ctl_error(resp, 500, "cannot write %s", w->opt.kubeconfig_out);
		return;
	}
	simc_json(resp, 200, o);
}

static void cluster_route(struct sim_app *app, struct sim_cluster *c, const char *what,
                          const struct sim_req *req, struct sim_resp *resp)
{
	struct sim_world *w = app->world;
	const char *m = req->method;

	if (!strcmp(what, "stop") || !strcmp(what, "start")) {
		if (strcmp(m, "POST"))
			goto method;
		cJSON *sb = body_json(req, resp);
		if (!sb)
			return;
		/* Default: refused, as a stopped process; "hang": unanswered, as
		 * a cluster whose network is gone. */
		bool refuse = !cJSON_IsTrue(cJSON_GetObjectItem(sb, "hang"));
		cJSON_Delete(sb);
		do_stop_start(app, c, what[2] == 'a', refuse, resp);
		return;
	}
	if (!strcmp(what, "kube-user")) {
		kube_user(app, c, req, resp);
		return;
	}
	if (!strcmp(what, "waiting")) {
		if (strcmp(m, "GET"))
			goto method;
		waiting(app, c, resp);
		return;
	}
	cJSON *b = NULL;
	if (!strcmp(m, "POST") || !strcmp(m, "PUT"))
		if (!(b = body_json(req, resp)))
			return;
	pthread_mutex_lock(&w->lock);
	if (!strcmp(what, "faults")) {
		do_faults(c, m, b, resp);
	} else if (!strcmp(what, "restart-consul") && !strcmp(m, "POST")) {
		simc_restart(c);
		ok(resp);
	} else if (!strcmp(what, "injector") && (!strcmp(m, "POST") || !strcmp(m, "GET"))) {
		do_injector(c, m, b, resp);
	} else if (!strcmp(what, "gateway") && !strcmp(m, "POST")) {
		do_gateway(c, b, resp);
	} else if (!strcmp(what, "services") && !strcmp(m, "POST")) {
		do_service(c, b, resp);
	} else if (!strcmp(what, "install") && (!strcmp(m, "POST") || !strcmp(m, "GET"))) {
		if (b)
			do_install(c, b, resp);
		else
			simc_json(resp, 200, sim_install_json(&c->install));
	} else if (!strcmp(what, "path") && !strcmp(m, "GET")) {
		const char *peer = sim_req_arg(req, "peer", NULL);
		const char *svc = sim_req_arg(req, "service", NULL);
		if (!peer || !svc)
			ctl_error(resp, 400, "%s", "peer and service are required");
		else
			simc_json(resp, 200,
			          simc_path_probe(c, simc_part(sim_req_arg(req, "partition", NULL)),
			                          peer, svc, sim_req_arg(req, "from", NULL)));
	} else {
		ctl_error(resp, 404, "no control endpoint %s", req->path);
	}
	sim_changed(w);
	pthread_mutex_unlock(&w->lock);
	cJSON_Delete(b);
	return;
method:
	ctl_error(resp, 405, "method %s not allowed", m);
}

/* GET /v1/requests[?since=SEQ][&cluster=NAME]: the request log, which has
 * a lock of its own. */
static void requests(struct sim_app *app, const struct sim_req *req, struct sim_resp *resp)
{
	const char *since = sim_req_arg(req, "since", NULL);
	const char *name = sim_req_arg(req, "cluster", NULL);
	int index = -1;

	if (name) {
		pthread_mutex_lock(&app->world->lock);
		struct sim_cluster *c = sim_cluster_by_name(app->world, name);
		index = c ? c->index : -2;
		pthread_mutex_unlock(&app->world->lock);
		if (index == -2) {
			ctl_error(resp, 404, "no cluster named \"%s\"", name);
			return;
		}
	}
	simc_json(resp, 200,
	          sim_server_requests_json(app->server, since ? strtoull(since, NULL, 10) : 0,
	                                   index));
}

void sim_control_handle(void *ctx, const struct sim_req *req, struct sim_resp *resp)
{
	struct sim_app *app = ctx;
	struct sim_world *w = app->world;
	const char *p = req->path;

	resp->status = 200;
	if (!strncmp(p, "/v1/clusters/", 13)) {
		char name[32];
		const char *slash = strchr(p + 13, '/');
		snprintf(name, sizeof name, "%.*s", slash ? (int)(slash - p - 13) : 31, p + 13);
		struct sim_cluster *c = sim_cluster_by_name(w, name);
		if (!c) {
			ctl_error(resp, 404, "no cluster named \"%s\"", name);
			return;
		}
		cluster_route(app, c, slash ? slash + 1 : "", req, resp);
		return;
	}
	if (!strcmp(p, "/v1/requests") && !strcmp(req->method, "GET")) {
		requests(app, req, resp);
		return;
	}
	cJSON *b = NULL;
	if (!strcmp(req->method, "POST") && !(b = body_json(req, resp)))
		return;
	pthread_mutex_lock(&w->lock);
	if (!strcmp(p, "/v1/world") && !strcmp(req->method, "GET")) {
		simc_json(resp, 200, world_json(app));
	} else if (!strcmp(p, "/v1/events") && !strcmp(req->method, "GET")) {
		const char *s = sim_req_arg(req, "since", NULL);
		simc_json(resp, 200, sim_events_json(w, s ? strtoull(s, NULL, 10) : 0));
	} else if (!strcmp(p, "/v1/time/advance") && b) {
		const cJSON *s = cJSON_GetObjectItem(b, "seconds");
		if (!cJSON_IsNumber(s) || s->valuedouble < 0 || s->valuedouble > 1e7) {
			ctl_error(resp, 400, "%s", "seconds: expected a number from 0 to 10000000");
		} else {
			w->clock_offset_ms += (int64_t)(s->valuedouble * 1000);
			sim_event(w, NULL, "time advanced by %g s", s->valuedouble);
			/* What fell due happens before the answer, not when the
			 * ticker thread next runs. */
			sim_run_due(w);
			sim_changed(w);
			ok(resp);
		}
	} else if (!strcmp(p, "/v1/peerings") && b) {
		do_peer(w, b, resp);
	} else {
		ctl_error(resp, 404, "no control endpoint %s", p);
	}
	pthread_mutex_unlock(&w->lock);
	cJSON_Delete(b);
}

/* ---------------------------------------------------------------- ctl */

struct buf {
	char *data;
	size_t len;
};

static size_t on_data(char *ptr, size_t size, size_t n, void *ud)
{
	struct buf *b = ud;
	char *nd = realloc(b->data, b->len + size * n + 1);

	if (!nd)
		return 0;
	b->data = nd;
	memcpy(b->data + b->len, ptr, size * n);
	b->len += size * n;
	b->data[b->len] = '\0';
	return size * n;
}

static int request(const char *base, const char *method, const char *path, const char *body)
{
	CURL *h = curl_easy_init();
	struct buf out = {NULL, 0};
	struct curl_slist *hdr = NULL;
	char url[1024];
	long code = 0;

	if (!h)
		return 1;
	snprintf(url, sizeof url, "%s%s", base, path);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &out);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 30L);
	if (body) {
		hdr = curl_slist_append(hdr, "Content-Type: application/json");
		curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
	}
	CURLcode rc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	curl_slist_free_all(hdr);
	curl_easy_cleanup(h);
	if (rc != CURLE_OK) {
		fprintf(stderr, "peerscope-sim ctl: %s: %s\n", url, curl_easy_strerror(rc));
		free(out.data);
		return 1;
	}
	FILE *f = code >= 200 && code < 300 ? stdout : stderr;
	if (out.data)
		fprintf(f, "%s%s", out.data, out.len && out.data[out.len - 1] == '\n' ? "" : "\n");
	free(out.data);
	return code >= 200 && code < 300 ? 0 : 1;
}

/* key=value arguments as a JSON object: numbers and booleans typed. */
static char *kv_json(int argc, char **argv)
{
	cJSON *o = cJSON_CreateObject();

	for (int i = 0; o && i < argc; i++) {
		char *eq = strchr(argv[i], '=');
		if (!eq) {
			fprintf(stderr, "peerscope-sim ctl: \"%s\" is not KEY=VALUE\n", argv[i]);
			cJSON_Delete(o);
			return NULL;
		}
		*eq = '\0';
		const char *v = eq + 1;
		char *end;
		double d = strtod(v, &end);
		if (!strcmp(v, "true") || !strcmp(v, "false"))
			cJSON_AddBoolToObject(o, argv[i], v[0] == 't');
		else if (*v && !*end && strcmp(argv[i], "consul_version") &&
		         strcmp(argv[i], "consul_k8s_version") && strcmp(argv[i], "name") &&
		         strcmp(argv[i], "datacenter"))
			cJSON_AddNumberToObject(o, argv[i], d);
		else
			cJSON_AddStringToObject(o, argv[i], v);
	}
	char *s = o ? sim_json_print(o, NULL) : NULL;
	cJSON_Delete(o);
	return s;
}

static int ctl_usage(void)
{
	fputs("Usage: peerscope-sim ctl [--control URL | --state-dir DIR] COMMAND [ARG]...\n"
	      "Commands:\n"
	      "  world                          clusters, ports, install\n"
	      "  events [SINCE]                 the event log\n"
	      "  requests [SINCE [CLUSTER]]     the requests the clusters received\n"
	      "  advance SECONDS                move the simulated clock forward\n"
	      "  stop CLUSTER [hang] | start CLUSTER\n"
	      "                                 stop (refused, or unanswered) or start a cluster\n"
	      "  restart-consul CLUSTER         restart Consul with its raft index reset\n"
	      "  waiting CLUSTER                blocking queries and watches waiting now\n"
	      "  kube-user CLUSTER [PRESET|JSON]  the cluster's Kubernetes users; give it\n"
	      "                                 a restricted one (read-only, ...)\n"
	      "  gateway CLUSTER passing|warning|critical|remove|add\n"
	      "  injector CLUSTER up|down       the connect-injector and its webhooks\n"
	      "  add-service CLUSTER NAME [INSTANCES] | remove-service CLUSTER NAME\n"
	      "  peer ACCEPTOR DIALER           make a peering between two clusters\n"
	      "  fault CLUSTER KEY=VALUE...     inject faults (see peerscope-sim(1))\n"
	      "  faults CLUSTER | clear-faults CLUSTER\n"
	      "  install CLUSTER KEY=VALUE...   change what a cluster runs\n"
	      "  probe CLUSTER PEER SERVICE [FROM]  the cross-peer path to a service\n"
	      "  raw METHOD PATH [BODY]         any control API request\n",
	      stderr);
	return 2;
}

static int control_url(const char *state_dir, char *url, size_t len)
{
	char path[1100];
	FILE *f;

	snprintf(path, sizeof path, "%s/control.url", state_dir);
	if (!(f = fopen(path, "r"))) {
		fprintf(stderr, "peerscope-sim ctl: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (!fgets(url, (int)len, f))
		url[0] = '\0';
	fclose(f);
	url[strcspn(url, "\r\n")] = '\0';
	return url[0] ? 0 : -1;
}

static int ctl_cluster_cmd(const char *base, const char *cmd, int argc, char **argv)
{
	char path[256], body[512];

	if (argc < 1)
		return ctl_usage();
	snprintf(path, sizeof path, "/v1/clusters/%s/", argv[0]);
	if (!strcmp(cmd, "stop") && argc == 2 && !strcmp(argv[1], "hang")) {
		strncat(path, cmd, sizeof path - strlen(path) - 1);
		return request(base, "POST", path, "{\"hang\":true}");
	}
	if ((!strcmp(cmd, "stop") || !strcmp(cmd, "start") || !strcmp(cmd, "restart-consul")) &&
	    argc == 1) {
		strncat(path, cmd, sizeof path - strlen(path) - 1);
		return request(base, "POST", path, "{}");
	}
	if (!strcmp(cmd, "gateway") && argc == 2) {
		strncat(path, "gateway", sizeof path - strlen(path) - 1);
		snprintf(body, sizeof body, "{\"status\":\"%s\"}", argv[1]);
		return request(base, "POST", path, body);
	}
	if (!strcmp(cmd, "injector") && argc == 2 &&
	    (!strcmp(argv[1], "up") || !strcmp(argv[1], "down"))) {
		strncat(path, "injector", sizeof path - strlen(path) - 1);
		return request(base, "POST", path,
		               argv[1][0] == 'u' ? "{\"up\":true}" : "{\"up\":false}");
	}
	if (!strcmp(cmd, "add-service") && (argc == 2 || argc == 3)) {
		strncat(path, "services", sizeof path - strlen(path) - 1);
		snprintf(body, sizeof body, "{\"name\":\"%s\",\"instances\":%d}", argv[1],
		         argc == 3 ? atoi(argv[2]) : 1);
		return request(base, "POST", path, body);
	}
	if (!strcmp(cmd, "remove-service") && argc == 2) {
		strncat(path, "services", sizeof path - strlen(path) - 1);
		snprintf(body, sizeof body, "{\"name\":\"%s\",\"remove\":true}", argv[1]);
		return request(base, "POST", path, body);
	}
	if (!strcmp(cmd, "kube-user") && (argc == 1 || argc == 2)) {
		strncat(path, "kube-user", sizeof path - strlen(path) - 1);
		if (argc == 1)
			return request(base, "GET", path, NULL);
		/* A preset's name, or a JSON spec. */
		if (argv[1][0] == '{')
			return request(base, "POST", path, argv[1]);
		snprintf(body, sizeof body, "{\"preset\":\"%s\"}", argv[1]);
		return request(base, "POST", path, body);
	}
	if (!strcmp(cmd, "waiting") && argc == 1) {
		strncat(path, "waiting", sizeof path - strlen(path) - 1);
		return request(base, "GET", path, NULL);
	}
	if (!strcmp(cmd, "faults") || !strcmp(cmd, "clear-faults")) {
		strncat(path, "faults", sizeof path - strlen(path) - 1);
		return request(base, cmd[0] == 'f' ? "GET" : "DELETE", path, NULL);
	}
	if (!strcmp(cmd, "fault") || !strcmp(cmd, "install")) {
		strncat(path, cmd[0] == 'f' ? "faults" : "install", sizeof path - strlen(path) - 1);
		char *json = kv_json(argc - 1, argv + 1);
		if (!json)
			return 2;
		int rc = request(base, "POST", path, json);
		free(json);
		return rc;
	}
	if (!strcmp(cmd, "probe") && (argc == 3 || argc == 4)) {
		char q[512];
		snprintf(q, sizeof q, "path?peer=%s&service=%s%s%s", argv[1], argv[2],
		         argc == 4 ? "&from=" : "", argc == 4 ? argv[3] : "");
		strncat(path, q, sizeof path - strlen(path) - 1);
		return request(base, "GET", path, NULL);
	}
	return ctl_usage();
}

int sim_ctl_main(int argc, char **argv)
{
	char url[512] = "";
	const char *env = getenv("PEERSCOPE_SIM_CONTROL");
	int i = 1, rc;

	if (env)
		snprintf(url, sizeof url, "%s", env);
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--control") && i + 1 < argc) {
			snprintf(url, sizeof url, "%s", argv[++i]);
		} else if (!strcmp(argv[i], "--state-dir") && i + 1 < argc) {
			if (control_url(argv[++i], url, sizeof url) < 0)
				return 1;
		} else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			ctl_usage();
			return 0;
		} else {
			fprintf(stderr, "peerscope-sim ctl: unknown option %s\n", argv[i]);
			return ctl_usage();
		}
	}
	if (i >= argc)
		return ctl_usage();
	if (!url[0]) {
		fprintf(stderr, "peerscope-sim ctl: give --control URL, --state-dir DIR or set "
		                "PEERSCOPE_SIM_CONTROL\n");
		return 2;
	}
	const char *cmd = argv[i++];
	int n = argc - i;
	char **args = argv + i, path[128], body[256];
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (!strcmp(cmd, "world") && n == 0) {
		rc = request(url, "GET", "/v1/world", NULL);
	} else if (!strcmp(cmd, "events") && n <= 1) {
		snprintf(path, sizeof path, "/v1/events?since=%s", n ? args[0] : "0");
		rc = request(url, "GET", path, NULL);
	} else if (!strcmp(cmd, "requests") && n <= 2) {
		snprintf(path, sizeof path, "/v1/requests?since=%s%s%.40s", n ? args[0] : "0",
		         n == 2 ? "&cluster=" : "", n == 2 ? args[1] : "");
		rc = request(url, "GET", path, NULL);
	} else if (!strcmp(cmd, "advance") && n == 1) {
		char *end;
		double s = strtod(args[0], &end);
		if (*end || end == args[0]) {
			fprintf(stderr, "peerscope-sim ctl: advance: \"%s\" is not seconds\n",
			        args[0]);
			rc = 2;
		} else {
			snprintf(body, sizeof body, "{\"seconds\":%g}", s);
			rc = request(url, "POST", "/v1/time/advance", body);
		}
	} else if (!strcmp(cmd, "peer") && (n == 2 || n == 4)) {
		char big[512];
		snprintf(big, sizeof big, "{\"acceptor\":\"%s\",\"dialer\":\"%s\"", args[0],
		         args[1]);
		if (n == 4)
			snprintf(big + strlen(big), sizeof big - strlen(big),
			         ",\"acceptor_name\":\"%s\",\"dialer_name\":\"%s\"", args[2],
			         args[3]);
		strncat(big, "}", sizeof big - strlen(big) - 1);
		rc = request(url, "POST", "/v1/peerings", big);
	} else if (!strcmp(cmd, "raw") && (n == 2 || n == 3)) {
		rc = request(url, args[0], args[1], n == 3 ? args[2] : NULL);
	} else {
		rc = ctl_cluster_cmd(url, cmd, n, args);
	}
	curl_global_cleanup();
	return rc;
}
