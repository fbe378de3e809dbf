/* consul_sim_check: every Consul client call against a running peerscope-sim.
 *
 *   consul_sim_check MODE READY_FILE LOG_FILE
 *
 * MODE is plain, tls or acl, as the simulator was started. READY_FILE is the
 * simulator's --ready-file. The client's log goes to LOG_FILE. Prints one line
 * per check, "PASS|<what>" or "FAIL|<what>|<detail>", for the calling script
 * to turn into TAP; exits 0. Secrets seen during the run (tokens, the
 * establishment secret) are written as "SECRET|<value>" lines to fd 3 when it
 * is open, so that the script can look for them in everything else. */
#include "autoconfig.h"

#include "peerscope/consul.h"
#include "peerscope/log.h"
#include "peerscope/monotime.h"
#include "simrig.h"

#include <cjson/cJSON.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct env {
	const char *mode;
	bool tls, acl;
	struct simrig_sim sim; /* its control API only: the script started it */
	char state_dir[512];
	char url[2][512];
	char token[2][128];
	char readonly_token[128];
	struct log_sink *log;
	FILE *secrets;
	char errors[16384]; /* every error text seen, to search for secrets */
	size_t errors_len;
};

static int failures;

static void check(bool ok, const char *what, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
static void check(bool ok, const char *what, const char *fmt, ...)
{
	char detail[1024] = "";
	va_list ap;

	if (!ok) {
		va_start(ap, fmt);
		vsnprintf(detail, sizeof detail, fmt, ap);
		va_end(ap);
		for (char *p = detail; *p; p++)
			if (*p == '\n' || *p == '|')
				*p = ' ';
		failures++;
	}
	printf(ok ? "PASS|%s\n" : "FAIL|%s|%s\n", what, detail);
	fflush(stdout);
}

static const char *etext(struct env *e, const struct http_error *err)
{
	static char buf[1024];

	http_error_format(err, buf, sizeof buf);
	size_t n = strlen(buf);
	if (e->errors_len + n + 2 < sizeof e->errors) {
		memcpy(e->errors + e->errors_len, buf, n);
		e->errors_len += n;
		e->errors[e->errors_len++] = '\n';
		e->errors[e->errors_len] = '\0';
	}
	return buf;
}

static void secret(struct env *e, const char *s)
{
	if (e->secrets && s && *s)
		fprintf(e->secrets, "SECRET|%s\n", s);
}

static void msleep(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

static int read_line(const char *path, char *out, size_t len)
{
	FILE *f = fopen(path, "r");

	if (!f || !fgets(out, (int)len, f)) {
		if (f)
			fclose(f);
		return -1;
	}
	fclose(f);
	out[strcspn(out, "\r\n")] = '\0';
	return 0;
}

static int load_env(struct env *e, const char *ready)
{
	FILE *f = fopen(ready, "r");
	char line[512], path[1024];

	if (!f)
		return -1;
	while (fgets(line, sizeof line, f)) {
		line[strcspn(line, "\r\n")] = '\0';
		if (!strncmp(line, "control=", 8))
			snprintf(e->sim.control, sizeof e->sim.control, "%.255s", line + 8);
		else if (!strncmp(line, "state_dir=", 10))
			snprintf(e->state_dir, sizeof e->state_dir, "%s", line + 10);
		else if (!strncmp(line, "cluster-01.consul=", 18))
			snprintf(e->url[0], sizeof e->url[0], "%s", line + 18);
		else if (!strncmp(line, "cluster-02.consul=", 18))
			snprintf(e->url[1], sizeof e->url[1], "%s", line + 18);
	}
	fclose(f);
	if (!*e->state_dir || !*e->url[0] || !*e->url[1] || !*e->sim.control)
		return -1;
	for (int i = 0; e->acl && i < 2; i++) {
		snprintf(path, sizeof path, "%s/cluster-0%d-management.token", e->state_dir, i + 1);
		if (read_line(path, e->token[i], sizeof e->token[i]))
			return -1;
		secret(e, e->token[i]);
	}
	if (e->acl) {
		snprintf(path, sizeof path, "%s/cluster-01-dashboard-readonly.token", e->state_dir);
		if (read_line(path, e->readonly_token, sizeof e->readonly_token))
			return -1;
		secret(e, e->readonly_token);
	}
	return 0;
}

/* A client for cluster i (0 or 1) with the given token; the CA comes from
 * a file for cluster-01 and from memory for cluster-02. */
static struct consul_client *client(struct env *e, int i, const char *token, char **ca_mem)
{
	char ca_path[600], name[16];
	struct consul_options o = {.partition = "default"};
	struct http_error err = {0};
	struct consul_client *c;

	snprintf(name, sizeof name, "cluster-0%d", i + 1);
	snprintf(ca_path, sizeof ca_path, "%s/ca.pem", e->state_dir);
	o.http.cluster = name;
	o.http.base_url = e->url[i];
	o.http.proxy_url = "";
	o.http.log = e->log;
	o.http.auth.consul_token = token;
	*ca_mem = NULL;
	if (e->tls && i == 0) {
		o.http.tls.ca_file = ca_path;
	} else if (e->tls) {
		FILE *f = fopen(ca_path, "r");
		*ca_mem = calloc(1, 65536);
		if (f && *ca_mem && fread(*ca_mem, 1, 65535, f) == 0)
			check(false, "read the CA", "%s is empty", ca_path);
		if (f)
			fclose(f);
		o.http.tls.ca_data = *ca_mem;
	}
	c = consul_client_new(&o, &err);
	check(c != NULL, "client created", "%s", etext(e, &err));
	return c;
}

/* ----------------------------------------------------------------- checks */

static void check_identity(struct env *e, struct consul_client *c1, struct consul_client *c2)
{
	struct model_cluster_identity id;
	struct http_error err = {0};

	int rc = consul_identity(c1, &id, &err);
	check(rc == 0, "identity: agent/self, agent/version and leader", "%s", etext(e, &err));
	if (rc == 0) {
		check(!strcmp(id.datacenter, "dc1") && !strcmp(id.version, "1.18.2") && id.server &&
		              !id.enterprise && !strcmp(id.node_name, "consul-server-0"),
		      "identity: datacenter, version, server, CE", "dc=%s version=%s server=%d",
		      id.datacenter, id.version, id.server);
		check(*id.leader != '\0' && strchr(id.leader, ':') != NULL,
		      "identity: the leader's address", "leader=\"%s\"", id.leader);
		check(id.build_date_ns > 0, "identity: build date", "%lld",
		      (long long)id.build_date_ns);
	}
	model_cluster_identity_clear(&id);
	rc = consul_identity(c2, &id, &err);
	check(rc == 0 && !strcmp(id.datacenter, "dc2"), "identity of the second cluster", "%s",
	      rc ? etext(e, &err) : id.datacenter);
	model_cluster_identity_clear(&id);
	check(!consul_client_enterprise(c1), "CE server: Enterprise parameters stay off", "%s", "");
}

struct poll_ctx {
	int rc;
	bool done;
	struct model_peering_list list;
	struct consul_meta meta;
	char err[1024];
};

static void poll_done(void *ctx, int rc, struct http_response *resp, struct http_error *err)
{
	struct poll_ctx *p = ctx;

	p->done = true;
	p->rc = rc;
	if (rc) {
		http_error_format(err, p->err, sizeof p->err);
		return;
	}
	consul_meta_from_response(resp, &p->meta);
	p->rc = consul_decode_peerings(resp->body, resp->body_len, &p->list, p->err, sizeof p->err);
}

struct token_job {
	struct consul_client *c;
	const struct simrig_sim *sim;
	bool parked; /* the blocking query was seen waiting first */
	char *token;
	struct http_error err;
	int rc;
};

/* Generates a token once the simulator shows the blocking query on
 * /v1/peerings waiting, so that the change is what wakes it. */
static void *generate_later(void *arg)
{
	struct token_job *j = arg;
	struct model_meta meta = {0};
	struct consul_token_request req = {.peer_name = "cluster-02", .meta = &meta};

	j->parked = simrig_sim_wait_parked(j->sim, "cluster-01", CONSUL_PATH_PEERINGS, 1, 10000);
	model_meta_set(&meta, "origin", "peerscope-test");
	j->rc = consul_peering_generate_token(j->c, &req, &j->token, &j->err);
	model_meta_clear(&meta);
	return NULL;
}

/* A blocking query on /v1/peerings, driven by an http_multi as a poller
 * does, wakes up when another thread generates a token. */
static char *check_blocking_and_generate(struct env *e, struct consul_client *c1)
{
	struct model_peering_list l;
	struct consul_meta meta;
	struct http_error err = {0};
	struct poll_ctx p = {0};
	struct token_job job = {.c = c1, .sim = &e->sim};
	pthread_t th;

	int rc = consul_peerings_list(c1, NULL, &l, &meta, &err);
	check(rc == 0 && l.n == 0, "peerings: none at first", "%s n=%zu", rc ? etext(e, &err) : "",
	      l.n);
	check(rc == 0 && meta.index > 0 && meta.has_known_leader && meta.known_leader,
	      "peerings: X-Consul-Index and X-Consul-KnownLeader", "index=%llu",
	      (unsigned long long)meta.index);
	model_peering_list_free(&l);

	struct consul_query q = {.index = consul_next_index(0, meta.index), .wait_ms = 10000};
	struct http_request req;
	char *path = NULL;
	struct http_multi *m = http_multi_new();
	rc = consul_request_get(c1, CONSUL_PATH_PEERINGS, &q, &req, &path);
	check(rc == 0 && path && strstr(path, "wait=10s") && !strstr(path, "partition") &&
	              req.wait_ms == 10000,
	      "blocking request: index and wait, no partition on CE", "%s", path ? path : "");
	struct http_xfer *x = http_multi_add(m, consul_http(c1), &req, poll_done, &p, &err);
	check(x != NULL, "blocking query started", "%s", etext(e, &err));
	pthread_create(&th, NULL, generate_later, &job);
	double t0 = monotime_s();
	while (x && !p.done && monotime_s() - t0 < 15)
		http_multi_run(m, 1000);
	double took = monotime_s() - t0;
	pthread_join(th, NULL);
	check(job.parked, "the blocking query is seen waiting before the change", "%s", "");
	check(p.done && p.rc == 0 && took < 5.0, "blocking query returns on a change",
	      "done=%d rc=%d took=%.1fs %s", p.done, p.rc, took, p.err);
	check(p.list.n == 1 && !strcmp(p.list.v[0].name, "cluster-02") &&
	              p.list.v[0].state == MODEL_PEERING_PENDING && p.meta.index > meta.index,
	      "blocking query: the new peering is PENDING with a newer index", "n=%zu", p.list.n);
	model_peering_list_free(&p.list);
	http_multi_free(m);
	free(path);
	check(job.rc == 0 && job.token && *job.token, "generate token", "%s", etext(e, &job.err));
	secret(e, job.token);
	return job.token;
}

static void check_token(struct env *e, struct consul_client *c1, const char *token)
{
	struct model_token_summary t;
	struct model_peering p;
	struct http_error err = {0};
	char msg[256];

	int rc = consul_decode_peering_token(token, &t, msg, sizeof msg);
	check(rc == 0, "peering token decodes", "%s", msg);
	if (rc)
		return;
	check(!strcmp(t.remote_datacenter, "dc1") &&
	              !strncmp(t.server_name, "server.dc1.peering.", 19) && t.has_secret &&
	              t.server_addresses.n >= 1 && t.target == MODEL_TOKEN_TARGET_SERVERS,
	      "peering token: remote dc, server name, addresses, secret present",
	      "dc=%s name=%s n=%zu target=%s", t.remote_datacenter, t.server_name,
	      t.server_addresses.n, model_token_target_name(t.target));
	rc = consul_peering_read(c1, "cluster-02", NULL, &p, NULL, &err);
	check(rc == 0 && !strcmp(p.id, t.peer_id) && p.state == MODEL_PEERING_PENDING &&
	              !strcmp(model_meta_get(&p.meta, "origin") ? model_meta_get(&p.meta, "origin")
	                                                        : "",
	                      "peerscope-test"),
	      "peering read: PENDING acceptor, token's PeerID, Meta", "%s",
	      rc ? etext(e, &err) : p.state_text);
	model_peering_clear(&p);
	model_token_summary_clear(&t);
}

static void check_establish(struct env *e, struct consul_client *c1, struct consul_client *c2,
                            const char *token)
{
	struct model_peering p;
	struct http_error err = {0};

	int rc = consul_peering_establish(c2, "cluster-01", token, NULL, NULL, &err);
	check(rc == 0, "establish on the dialer", "%s", etext(e, &err));
	rc = consul_peering_establish(c2, "cluster-01", token, NULL, NULL, &err);
	check(rc == -1 && err.status == 403 &&
	              strstr(err.message, "a new peering token must be generated"),
	      "a used token is refused with 403", "rc=%d %s", rc, etext(e, &err));
	rc = consul_peering_read(c2, "cluster-01", NULL, &p, NULL, &err);
	check(rc == 0 &&
	              (p.state == MODEL_PEERING_ESTABLISHING || p.state == MODEL_PEERING_ACTIVE) &&
	              p.has_remote && !strcmp(p.remote.datacenter, "dc1") &&
	              !strncmp(p.peer_server_name, "server.dc1.peering.", 19) &&
	              p.peer_ca_pems.n >= 1,
	      "dialer's peering: ESTABLISHING or ACTIVE, remote dc1, server name, CA", "%s %s",
	      rc ? etext(e, &err) : p.state_text, rc ? "" : p.remote.datacenter);
	model_peering_clear(&p);

	/* Stream health is computed on read: poll until ACTIVE. */
	double t0 = monotime_s();
	bool active = false;
	while (!active && monotime_s() - t0 < 8) {
		rc = consul_peering_read(c1, "cluster-02", NULL, &p, NULL, &err);
		active = rc == 0 && p.state == MODEL_PEERING_ACTIVE &&
		         p.stream.last_heartbeat_ns > 0;
		model_peering_clear(&p);
		if (!active)
			msleep(100);
	}
	check(active, "acceptor becomes ACTIVE with a heartbeat", "%s", "");

	rc = consul_peering_read(c1, "nope", NULL, &p, NULL, &err);
	check(rc == -1 && consul_not_found(&err) &&
	              strstr(err.message, "Peering not found for \"nope\""),
	      "reading a missing peering is a 404", "%s", etext(e, &err));
}

static void check_config(struct env *e, struct consul_client *c1, const char *svc)
{
	struct http_error err = {0};
	bool applied = false;
	char *json = NULL, *raw = NULL;
	struct model_export_consumer cons = {.peer = (char *)"cluster-02"};
	struct model_export_service es = {.name = (char *)svc, .consumers = &cons, .nconsumers = 1};
	struct model_exported_services_entry ex = {.services = &es, .nservices = 1}, got;

	json = consul_encode_exported_services_entry(&ex, NULL);
	int rc = consul_config_put(c1, json, 0, NULL, &applied, &err);
	check(rc == 0 && applied, "config put with cas=0 creates the entry", "%s", etext(e, &err));
	/* The same entry again is skipped before the check-and-set: applied
	 * (agent/consul/config_endpoint.go, Apply, shouldSkipUpsertOperation). */
	rc = consul_config_put(c1, json, 0, NULL, &applied, &err);
	check(rc == 0 && applied, "config put with cas=0 of the same entry is skipped: true", "%s",
	      etext(e, &err));
	free(json);
	cons.peer = (char *)"cluster-03";
	json = consul_encode_exported_services_entry(&ex, NULL);
	cons.peer = (char *)"cluster-02";
	rc = consul_config_put(c1, json, 0, NULL, &applied, &err);
	check(rc == 0 && !applied,
	      "config put with cas=0 of another entry over an existing one is not applied", "%s",
	      etext(e, &err));
	free(json);
	rc = consul_config_exported_services(c1, NULL, &got, NULL, &err);
	check(rc == 0 && got.nservices == 1 && !strcmp(got.services[0].name, svc) &&
	              got.services[0].nconsumers == 1 &&
	              !strcmp(got.services[0].consumers[0].peer, "cluster-02") &&
	              got.head.modify_index > 0,
	      "exported-services entry reads back", "%s", etext(e, &err));
	uint64_t idx = got.head.modify_index;
	model_exported_services_entry_clear(&got);

	rc = consul_config_get_raw(c1, CONSUL_KIND_EXPORTED_SERVICES, "default", NULL, &raw, NULL,
	                           &err);
	check(rc == 0 && raw && strstr(raw, "\"exported-services\""), "config get raw", "%s",
	      etext(e, &err));
	rc = consul_config_delete(c1, CONSUL_KIND_EXPORTED_SERVICES, "default", idx + 1000, NULL,
	                          &applied, &err);
	check(rc == 0 && !applied, "config delete with a stale cas is not applied", "%s",
	      etext(e, &err));
	rc = consul_config_put(c1, raw, idx, NULL, &applied, &err);
	check(rc == 0 && applied, "config put with the current cas is applied", "%s",
	      etext(e, &err));
	free(raw);

	struct model_mesh_entry mesh = {.peer_through_mesh_gateways = true}, mgot;
	json = consul_encode_mesh_entry(&mesh, NULL);
	rc = consul_config_put(c1, json, CONSUL_NO_CAS, NULL, &applied, &err);
	free(json);
	check(rc == 0 && applied, "mesh entry written", "%s", etext(e, &err));
	rc = consul_config_mesh(c1, NULL, &mgot, NULL, &err);
	/* Consul's mesh entry has no Name (doc/api-contract.md §3.3). */
	check(rc == 0 && mgot.peer_through_mesh_gateways && (!mgot.head.name || !*mgot.head.name),
	      "mesh entry: PeerThroughMeshGateways", "%s", etext(e, &err));
	model_mesh_entry_clear(&mgot);

	struct model_proxy_defaults_entry pd = {.mgw_mode = MODEL_MGW_LOCAL}, pgot;
	json = consul_encode_proxy_defaults_entry(&pd, NULL);
	rc = consul_config_put(c1, json, CONSUL_NO_CAS, NULL, &applied, &err);
	free(json);
	rc = rc ? rc : consul_config_proxy_defaults(c1, NULL, &pgot, NULL, &err);
	check(rc == 0 && pgot.mgw_mode == MODEL_MGW_LOCAL && !strcmp(pgot.head.name, "global"),
	      "proxy-defaults: mesh gateway mode local", "%s", etext(e, &err));
	model_proxy_defaults_entry_clear(&pgot);

	struct model_upstream_override ov = {
	        .name = (char *)"api", .peer = (char *)"cluster-02", .mgw_mode = MODEL_MGW_REMOTE};
	struct model_service_defaults_entry sd = {.head = {.name = (char *)"web"},
	                                          .protocol = (char *)"http",
	                                          .overrides = &ov,
	                                          .noverrides = 1},
	                                    sgot, *list = NULL;
	size_t n = 0;
	json = consul_encode_service_defaults_entry(&sd, NULL);
	rc = consul_config_put(c1, json, CONSUL_NO_CAS, NULL, &applied, &err);
	free(json);
	rc = rc ? rc : consul_config_service_defaults(c1, "web", NULL, &sgot, NULL, &err);
	check(rc == 0 && !strcmp(sgot.protocol, "http") && sgot.noverrides == 1 &&
	              !strcmp(sgot.overrides[0].peer, "cluster-02") &&
	              sgot.overrides[0].mgw_mode == MODEL_MGW_REMOTE,
	      "service-defaults with an upstream override", "%s", etext(e, &err));
	model_service_defaults_entry_clear(&sgot);
	rc = consul_config_service_defaults_list(c1, NULL, &list, &n, NULL, &err);
	check(rc == 0 && n >= 1, "service-defaults list", "%s n=%zu", etext(e, &err), n);
	consul_service_defaults_list_free(list, n);
	rc = consul_config_delete(c1, CONSUL_KIND_SERVICE_DEFAULTS, "web", CONSUL_NO_CAS, NULL,
	                          &applied, &err);
	check(rc == 0 && applied, "config delete without cas", "%s", etext(e, &err));
	rc = consul_config_service_defaults(c1, "web", NULL, &sgot, NULL, &err);
	check(rc == -1 && consul_not_found(&err) && strstr(err.message, "Config entry not found"),
	      "a deleted config entry is a 404", "%s", etext(e, &err));
}

/* The first application service in the catalog. */
static char *pick_service(struct env *e, struct consul_client *c1)
{
	struct model_service_summary_list s;
	struct http_error err = {0};
	char *name = NULL;

	int rc = consul_ui_services(c1, NULL, &s, NULL, &err);
	check(rc == 0 && s.n >= 2, "internal/ui/services lists services", "%s", etext(e, &err));
	for (size_t i = 0; rc == 0 && i < s.n && !name; i++)
		if (!*s.v[i].kind && strcmp(s.v[i].name, "consul") && !*s.v[i].peer_name)
			name = strdup(s.v[i].name);
	model_service_summary_list_free(&s);
	check(name != NULL, "an application service to export", "%s", "");
	return name;
}

static void check_services(struct env *e, struct consul_client *c1, struct consul_client *c2,
                           const char *svc)
{
	struct http_error err = {0};
	struct model_instance_list gw;
	struct model_exported_service_list ex;
	struct model_imported_service_list im;
	struct consul_query q = {.peer = "cluster-02"};

	int rc = consul_health_service(c1, CONSUL_MESH_GATEWAY_SERVICE, NULL, &gw, NULL, &err);
	check(rc == 0 && gw.n >= 1 && !strcmp(gw.v[0].kind, "mesh-gateway") &&
	              gw.v[0].wan.port > 0 && *gw.v[0].wan.address &&
	              gw.v[0].health == MODEL_HEALTH_PASSING,
	      "mesh gateway instances with a WAN address and passing checks", "%s n=%zu",
	      etext(e, &err), gw.n);
	model_instance_list_free(&gw);

	rc = consul_ui_exported_services(c1, &q, &ex, NULL, &err);
	bool found = false;
	for (size_t i = 0; rc == 0 && i < ex.n; i++)
		found |= !strcmp(ex.v[i].service, svc) &&
		         model_strv_contains(&ex.v[i].peers, "cluster-02");
	check(found, "internal/ui/exported-services for the peer", "%s", etext(e, &err));
	model_exported_service_list_free(&ex);

	rc = consul_exported_services(c1, NULL, &ex, NULL, &err);
	found = false;
	for (size_t i = 0; rc == 0 && i < ex.n; i++)
		found |= !strcmp(ex.v[i].service, svc) &&
		         model_strv_contains(&ex.v[i].peers, "cluster-02");
	check(found, "/v1/exported-services (1.17+) resolves consumers", "%s", etext(e, &err));
	model_exported_service_list_free(&ex);

	rc = consul_imported_services(c2, NULL, &im, NULL, &err);
	check(rc == 0 || consul_not_found(&err),
	      "/v1/imported-services: decoded, or 404 on servers without it", "%s", etext(e, &err));
	model_imported_service_list_free(&im);

	/* The dialer sees the service imported: health with ?peer=, the UI
	 * summary and the peering's stream status. */
	struct consul_query qp = {.peer = "cluster-01"};
	struct model_instance_list inst = {0};
	double t0 = monotime_s();
	do {
		model_instance_list_free(&inst);
		rc = consul_health_service(c2, svc, &qp, &inst, NULL, &err);
		if (rc == 0 && inst.n)
			break;
		msleep(100);
	} while (monotime_s() - t0 < 8);
	check(rc == 0 && inst.n >= 1 && !strcmp(inst.v[0].peer_name, "cluster-01"),
	      "imported instances through health ?peer=", "%s n=%zu", etext(e, &err), inst.n);
	model_instance_list_free(&inst);

	struct model_service_summary_list s;
	rc = consul_ui_services(c2, NULL, &s, NULL, &err);
	found = false;
	for (size_t i = 0; rc == 0 && i < s.n; i++)
		found |= !strcmp(s.v[i].name, svc) && !strcmp(s.v[i].peer_name, "cluster-01");
	check(found, "internal/ui/services shows the imported service with its peer", "%s",
	      etext(e, &err));
	model_service_summary_list_free(&s);

	struct model_peering p;
	rc = consul_peering_read(c1, "cluster-02", NULL, &p, NULL, &err);
	check(rc == 0 && model_strv_contains(&p.stream.exported_services, svc),
	      "acceptor's StreamStatus lists the exported service", "%s", etext(e, &err));
	model_peering_clear(&p);
}

static void check_acl(struct env *e, struct consul_client *c1)
{
	struct model_acl_token t;
	struct http_error err = {0};
	char *ca = NULL;

	int rc = consul_acl_token_self(c1, &t, &err);
	if (!e->acl) {
		check(rc == -1 && consul_acl_disabled(&err) &&
		              strstr(err.message, "ACL support disabled"),
		      "token self without ACLs: 401 ACL support disabled", "%s", etext(e, &err));
		return;
	}
	check(rc == 0 && *t.accessor_id && t.npolicies >= 1 &&
	              !strcmp(t.policies[0].name, "global-management"),
	      "token self: accessor and policies", "%s", etext(e, &err));
	model_acl_token_clear(&t);

	struct model_acl_check ck[2] = {
	        {(char *)"peering", (char *)"", (char *)"write", false},
	        {(char *)"mesh", (char *)"", (char *)"read", false},
	};
	rc = consul_acl_authorize(c1, ck, 2, &err);
	check(rc == 0 && ck[0].allow && ck[1].allow, "authorize: management may write peerings",
	      "%s", etext(e, &err));

	struct consul_client *ro = client(e, 0, e->readonly_token, &ca);
	ck[0].allow = true;
	rc = consul_acl_authorize(ro, ck, 2, &err);
	check(rc == 0 && !ck[0].allow && ck[1].allow,
	      "authorize: the read-only token may not write peerings", "%s", etext(e, &err));
	char *tok = NULL;
	struct consul_token_request req = {.peer_name = "cluster-09"};
	rc = consul_peering_generate_token(ro, &req, &tok, &err);
	check(rc == -1 && err.status == 403 && strstr(err.message, "Permission denied"),
	      "generate token with a read-only token: 403 Permission denied", "%s", etext(e, &err));
	consul_secret_free(tok);
	consul_client_free(ro);
	free(ca);

	struct consul_client *anon = client(e, 0, NULL, &ca);
	struct model_peering_list l;
	rc = consul_peerings_list(anon, NULL, &l, NULL, &err);
	check(rc == -1 && err.status == 403, "peerings without a token: 403", "%s", etext(e, &err));
	consul_client_free(anon);
	free(ca);

	struct consul_client *bad = client(e, 0, "00000000-0000-4000-8000-planted0bad", &ca);
	secret(e, "00000000-0000-4000-8000-planted0bad");
	rc = consul_peerings_list(bad, NULL, &l, NULL, &err);
	check(rc == -1 && err.status == 403 && strstr(err.message, "ACL not found"),
	      "an unknown token: 403 ACL not found", "%s", etext(e, &err));
	consul_client_free(bad);
	free(ca);
}

static void check_tls_failures(struct env *e)
{
	struct consul_options o = {.http = {.cluster = "cluster-01",
	                                    .base_url = e->url[0],
	                                    .proxy_url = "",
	                                    .log = e->log}};
	struct http_error err = {0};
	char leader_ca[600];
	char *leader = NULL;

	if (!e->tls)
		return;
	struct consul_client *c = consul_client_new(&o, &err);
	int rc = c ? consul_leader(c, &leader, &err) : -1;
	check(rc == -1 && err.kind == HTTP_ERR_TRANSPORT && *err.curl_text,
	      "TLS without the CA fails with libcurl's reason", "%s", etext(e, &err));
	consul_client_free(c);
	free(leader);
	leader = NULL;

	snprintf(leader_ca, sizeof leader_ca, "%s/ca.pem", e->state_dir);
	o.http.tls.ca_file = leader_ca;
	o.http.tls.server_name = "localhost";
	c = consul_client_new(&o, &err);
	rc = c ? consul_leader(c, &leader, &err) : -1;
	check(rc == 0 && leader && *leader, "TLS server name override (localhost)", "%s",
	      etext(e, &err));
	consul_client_free(c);
	free(leader);
}

static void check_delete(struct env *e, struct consul_client *c1, struct consul_client *c2)
{
	struct http_error err = {0};
	struct model_peering p;

	int rc = consul_peering_delete(c2, "cluster-01", NULL, &err);
	check(rc == 0, "delete the dialer's peering", "%s", etext(e, &err));
	rc = consul_peering_delete(c2, "cluster-01", NULL, &err);
	check(rc == 0, "delete again: idempotent", "%s", etext(e, &err));
	rc = consul_peering_delete(c2, "never-existed", NULL, &err);
	check(rc == 0, "delete a missing peering: 200", "%s", etext(e, &err));
	double t0 = monotime_s();
	bool terminated = false;
	while (!terminated && monotime_s() - t0 < 8) {
		rc = consul_peering_read(c1, "cluster-02", NULL, &p, NULL, &err);
		terminated = rc == 0 && p.state == MODEL_PEERING_TERMINATED;
		model_peering_clear(&p);
		if (!terminated)
			msleep(100);
	}
	check(terminated, "the acceptor's peering becomes TERMINATED", "%s", "");
}

int main(int argc, char **argv)
{
	static struct env e;
	char *ca1 = NULL, *ca2 = NULL, *token = NULL, *svc = NULL;

	if (argc != 4) {
		fprintf(stderr, "usage: consul_sim_check plain|tls|acl READY_FILE LOG_FILE\n");
		return 2;
	}
	e.mode = argv[1];
	e.tls = !strcmp(e.mode, "tls");
	e.acl = !strcmp(e.mode, "acl");
	e.secrets = fdopen(3, "w");
	if (load_env(&e, argv[2])) {
		fprintf(stderr, "consul_sim_check: cannot read %s or the state it names\n",
		        argv[2]);
		return 2;
	}
	char lerr[256];
	e.log = log_open(argv[3], LOG_LEVEL_DEBUG, lerr, sizeof lerr);
	if (!e.log) {
		fprintf(stderr, "consul_sim_check: %s\n", lerr);
		return 2;
	}
	http_global_init();
	struct consul_client *c1 = client(&e, 0, e.acl ? e.token[0] : NULL, &ca1);
	struct consul_client *c2 = client(&e, 1, e.acl ? e.token[1] : NULL, &ca2);
	if (!c1 || !c2)
		return 0;

	check_identity(&e, c1, c2);
	token = check_blocking_and_generate(&e, c1);
	if (token) {
		check_token(&e, c1, token);
		check_establish(&e, c1, c2, token);
	}
	svc = pick_service(&e, c1);
	if (svc) {
		check_config(&e, c1, svc);
		check_services(&e, c1, c2, svc);
	}
	check_acl(&e, c1);
	check_tls_failures(&e);
	check_delete(&e, c1, c2);

	check(true, "run completed", "%s", "");
	/* Error texts seen above go to stderr for the script's secret search. */
	fputs(e.errors, stderr);
	consul_secret_free(token);
	free(svc);
	consul_client_free(c1);
	consul_client_free(c2);
	free(ca1);
	free(ca2);
	log_close(e.log);
	if (e.secrets)
		fclose(e.secrets);
	http_global_cleanup();
	return 0;
}
