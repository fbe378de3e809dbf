/* peerscope-sim, Consul half: what every endpoint shares — the raft index,
 * JSON replies, the read headers, blocking queries (?index, ?wait), the
 * version and leader checks. */
#include "autoconfig.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "simc.h"

#define WAIT_DEFAULT_MS (5 * 60 * 1000)

#define WAIT_MAX_MS (10 * 60 * 1000)

uint64_t simc_write(struct simc_state *cs)
{
	return ++cs->index;
}

const char *simc_part(const char *part)
{
	return !part || !strcmp(part, "default") ? "" : part;
}

const char *simc_part_name(const char *part)
{
	return part && *part ? part : "default";
}

bool simc_part_eq(const char *a, const char *b)
{
	return !strcmp(simc_part(a), simc_part(b));
}

const struct simc_partition *simc_partition_find(const struct simc_state *cs, const char *part)
{
	static const struct simc_partition dflt = {"default", "", 0, 0};

	part = simc_part(part);
	if (!*part)
		return cs->nparts ? &cs->parts[0] : &dflt;
	for (int i = 1; i < cs->nparts; i++)
		if (!strcmp(cs->parts[i].name, part))
			return &cs->parts[i];
	return NULL;
}

void simc_json(struct sim_resp *resp, int status, cJSON *item)
{
	if (resp->defer_print && item) {
		free(resp->body);
		resp->body = NULL;
		resp->body_len = 0;
		cJSON_Delete(resp->tree);
		resp->tree = item;
		resp->status = status;
		resp->content_type[0] = '\0';
		return;
	}
	char *s = item ? sim_json_print(item, NULL) : NULL;

	cJSON_Delete(item);
	sim_resp_json(resp, status, s);
}

bool simc_version_at_least(const struct sim_cluster *c, int major, int minor)
{
	return simc_version_at_least3(c, major, minor, 0);
}

bool simc_version_at_least3(const struct sim_cluster *c, int major, int minor, int patch)
{
	int ma = 0, mi = 0, pa = 0;

	if (sscanf(c->install.consul_version, "%d.%d.%d", &ma, &mi, &pa) < 2)
		return true;
	if (ma != major)
		return ma > major;
	if (mi != minor)
		return mi > minor;
	return pa >= patch;
}

void simc_body_error(const char *body, char *buf, size_t len)
{
	const char *p = body;

	while (*p && isspace((unsigned char)*p))
		p++;
	if (!*p) {
		snprintf(buf, len, "EOF");
		return;
	}
	const char *at = cJSON_GetErrorPtr();
	if (at && *at)
		snprintf(buf, len, "invalid character '%c' looking for beginning of value", *at);
	else
		snprintf(buf, len, "unexpected end of JSON input");
}

void simc_set_read_headers(struct sim_cluster *c, const struct simc_auth *a, struct sim_resp *resp,
                           uint64_t index)
{
	sim_resp_header(resp, "X-Consul-Index", "%" PRIu64, index ? index : 1);
	sim_resp_header(resp, "X-Consul-KnownLeader", simc_has_leader(c) ? "true" : "false");
	sim_resp_header(resp, "X-Consul-LastContact", "0");
	sim_resp_header(resp, "X-Consul-Effective-Consistency", "leader");
	sim_resp_header(resp, "X-Consul-Query-Backend", "blocking-query");
	if (a->enabled)
		sim_resp_header(resp, "X-Consul-Default-ACL-Policy", "deny");
	else
		sim_resp_header(resp, "X-Consul-Default-ACL-Policy", "allow");
	if (a->filtered && a->sent)
		sim_resp_header(resp, "X-Consul-Results-Filtered-By-ACLs", "true");
}

/* ?index and ?wait (API.md §5): 0 with the values, -1 with a 400 in RESP. */
static int parse_blocking(const struct sim_req *req, struct sim_resp *resp, uint64_t *index,
                          int64_t *wait_ms)
{
	const char *iv = sim_req_arg(req, "index", NULL), *wv = sim_req_arg(req, "wait", NULL);

	*index = 0;
	*wait_ms = WAIT_DEFAULT_MS;
	if (wv) {
		*wait_ms = sim_parse_duration_ms(wv);
		if (*wait_ms < 0) {
			sim_resp_text(resp, 400, "Invalid wait time");
			return -1;
		}
		if (*wait_ms > WAIT_MAX_MS)
			*wait_ms = WAIT_MAX_MS;
	}
	if (iv) {
		char *end;
		if (!*iv || !isdigit((unsigned char)*iv)) {
			sim_resp_text(resp, 400, "Invalid index");
			return -1;
		}
		*index = strtoull(iv, &end, 10);
		if (*end) {
			sim_resp_text(resp, 400, "Invalid index");
			return -1;
		}
	}
	return 0;
}

void simc_blocking(struct sim_cluster *c, const struct sim_req *req, struct simc_auth *a,
                   struct sim_resp *resp, simc_index_fn index_fn, simc_render_fn render,
                   const char *arg)
{
	struct sim_world *w = c->world;
	uint64_t min_index;
	int64_t wait_ms;

	if (parse_blocking(req, resp, &min_index, &wait_ms) < 0)
		return;
	pthread_mutex_lock(&w->lock);
	if (min_index > 0) {
		/* Up to wait/16 of jitter spreads out clients that all time out
		 * together, as Consul does. */
		int64_t jitter =
		        wait_ms >= 16 ? (int64_t)(sim_rand(w) % (uint64_t)(wait_ms / 16)) : 0;
		int64_t deadline = sim_mono_ms() + wait_ms + jitter;
		uint64_t abandon = c->consul->abandon;
		struct sim_waiter parked;
		bool waiting = false;
		while (index_fn(c, req, a, arg) <= min_index && !w->stopping && c->running &&
		       c->consul->abandon == abandon && !(req->client_gone && *req->client_gone)) {
			if (!waiting)
				sim_waiter_enter(c, &parked, SIM_LISTEN_CONSUL, req->path);
			waiting = true;
			if (!sim_wait(w, deadline) && sim_mono_ms() >= deadline)
				break;
		}
		if (waiting)
			sim_waiter_leave(c, &parked);
	}
	if (simc_no_leader(c, req, resp)) {
		pthread_mutex_unlock(&w->lock);
		return;
	}
	uint64_t idx = index_fn(c, req, a, arg);
	/* Every cluster's blocking queries wake together and render under the
	 * one world lock, where real clusters answer on their own servers:
	 * the tree is built under it, printed after. */
	resp->defer_print = true;
	render(c, req, a, resp, arg);
	resp->defer_print = false;
	/* Consul sets the query meta before it reports "not found", so a
	 * client can block on an entry that does not exist yet. */
	if (resp->status == 200 || resp->status == 404)
		simc_set_read_headers(c, a, resp, idx);
	pthread_mutex_unlock(&w->lock);
	sim_resp_print_deferred(resp);
}

bool simc_has_leader(const struct sim_cluster *c)
{
	return sim_now_ms(c->world) >= c->consul->leader_due_ms;
}

bool simc_no_leader(const struct sim_cluster *c, const struct sim_req *req, struct sim_resp *resp)
{
	const char *p = req->path;
	bool stale;

	if (simc_has_leader(c) || !strncmp(p, "/v1/agent/", 10) || !strncmp(p, "/v1/status/", 11) ||
	    !strcmp(p, "/v1/catalog/datacenters"))
		return false;
	/* A stale read is served by any server; the peering endpoints go
	 * through the leader's gRPC service whatever the request says. */
	sim_req_arg(req, "stale", &stale);
	if (stale && !strcmp(req->method, "GET") && strncmp(p, "/v1/peering", 11) != 0)
		return false;
	sim_resp_text(resp, 500, "No cluster leader");
	return true;
}

void simc_server_addr(const struct sim_cluster *c, char *buf, size_t len)
{
	snprintf(buf, len, "10.%d.0.10", 100 + c->index);
}
