/* peerscope-sim, Consul half: the peering endpoints (API.md §1). Tokens in
 * the real format, single-use establishment secrets, the stored and
 * computed states, soft delete with the other side TERMINATED. */
#include "autoconfig.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "simc.h"

#define NAME_ERR                                                                                   \
	"a valid peering name must consist of lower case alphanumeric characters or '-', and "     \
	"must "                                                                                    \
	"start and end with an alphanumeric character"

/* The record a token generation (acceptor) or an establish (dialer) works
 * on: the existing one of that role, or a new one. Consul refuses a name held
 * by the other role or being deleted; the error is written to resp. */
static struct simc_peering *peering_claim(struct sim_cluster *c, const char *part, const char *name,
                                          enum simc_role role, struct sim_resp *resp)
{
	struct simc_peering *p = simc_peering_find(c->consul, part, name);
	if (p && p->role != role) {
		sim_resp_text(resp, 500,
		              "rpc error: code = Unknown desc = cannot create peering with name: "
		              "\"%s\"; %s",
		              name,
		              role == SIMC_ACCEPTOR
		                      ? "there is already an established peering"
		                      : "there is an existing peering expecting to be dialed");
		return NULL;
	}
	/* PeeringWrite refuses it, and GenerateToken and Establish wrap the
	 * plain error (agent/consul/state/peering.go, agent/rpc/peering/
	 * service.go): gRPC code Unknown. */
	if (p && !strcmp(p->state, "DELETING")) {
		sim_resp_text(resp, 500,
		              "rpc error: code = Unknown desc = failed to write peering: cannot "
		              "write to peering that is marked for deletion");
		return NULL;
	}
	if (!p && !(p = simc_peering_new(c, name, role)))
		sim_resp_text(resp, 500, "out of memory");
	else if (p)
		snprintf(p->partition, sizeof p->partition, "%s", simc_part(part));
	return p;
}

/* The request's Meta, when it has one, replaces the record's. */
static void peering_set_meta(struct simc_peering *p, const cJSON *body)
{
	const cJSON *meta = cJSON_GetObjectItem(body, "Meta");
	if (!cJSON_IsObject(meta))
		return;
	cJSON_Delete(p->meta);
	p->meta = cJSON_Duplicate(meta, true);
}

/* ------------------------------------------------------------- render */

static void add_time(cJSON *o, const char *key, int64_t ms)
{
	char buf[40];

	if (ms <= 0) {
		cJSON_AddNullToObject(o, key);
		return;
	}
	sim_format_time(ms, buf, sizeof buf);
	cJSON_AddStringToObject(o, key, buf);
}

/* A time a tracked stream has never had: Go's zero time, as the latest of
 * no times is in reconcilePeering. */
static void add_time_or_zero(cJSON *o, const char *key, int64_t ms)
{
	if (ms <= 0)
		cJSON_AddStringToObject(o, key, "0001-01-01T00:00:00Z");
	else
		add_time(o, key, ms);
}

static cJSON *string_list(char list[][64], int n)
{
	cJSON *a = cJSON_CreateArray();

	for (int i = 0; a && i < n; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(list[i]));
	return a;
}

static cJSON *peering_json(struct sim_cluster *c, struct simc_peering *p)
{
	struct sim_world *w = c->world;
	cJSON *o = cJSON_CreateObject();
	struct sim_cluster *oc = NULL;
	struct simc_peering *q = simc_peering_other(c, p, &oc);
	const char *state = simc_peering_state(c, p);
	/* The service lists and times come from the server's stream tracker;
	 * a peering it does not track has an empty StreamStatus. */
	bool tracked = p->tr.tracked && strcmp(state, "DELETING") && strcmp(state, "TERMINATED");
	cJSON *imp = tracked && q ? simc_exported_names(oc, q->partition, q->name) : NULL;
	cJSON *exp = tracked && q ? simc_exported_names(c, p->partition, p->name) : NULL;

	if (!o)
		goto out;
	cJSON_AddStringToObject(o, "ID", p->id);
	cJSON_AddStringToObject(o, "Name", p->name);
	if (c->install.enterprise) /* api/peering.go: Partition, omitted on CE */
		cJSON_AddStringToObject(o, "Partition", simc_part_name(p->partition));
	if (p->deleted_ms)
		add_time(o, "DeletedAt", p->deleted_ms);
	if (p->meta)
		cJSON_AddItemToObject(o, "Meta", cJSON_Duplicate(p->meta, true));
	cJSON_AddStringToObject(o, "State", state);
	if (p->peer_id[0])
		cJSON_AddStringToObject(o, "PeerID", p->peer_id);
	if (p->peer_ca) {
		const char *one[] = {p->peer_ca};
		cJSON_AddItemToObject(o, "PeerCAPems", cJSON_CreateStringArray(one, 1));
	}
	if (p->peer_server_name[0])
		cJSON_AddStringToObject(o, "PeerServerName", p->peer_server_name);
	if (p->npeer_addrs)
		cJSON_AddItemToObject(o, "PeerServerAddresses",
		                      string_list(p->peer_addrs, p->npeer_addrs));
	if (!simc_version_at_least(c, 1, 14)) {
		/* Consul 1.13 had counts instead of StreamStatus and Remote. */
		cJSON_AddNumberToObject(o, "ImportedServiceCount",
		                        imp ? cJSON_GetArraySize(imp) : 0);
		cJSON_AddNumberToObject(o, "ExportedServiceCount",
		                        exp ? cJSON_GetArraySize(exp) : 0);
	} else {
		int64_t now = sim_now_ms(w);
		cJSON *ss = cJSON_AddObjectToObject(o, "StreamStatus");
		if (ss) {
			if (imp && cJSON_GetArraySize(imp)) {
				cJSON_AddItemToObject(ss, "ImportedServices", imp);
				imp = NULL;
			} else {
				cJSON_AddNullToObject(ss, "ImportedServices");
			}
			if (exp && cJSON_GetArraySize(exp)) {
				cJSON_AddItemToObject(ss, "ExportedServices", exp);
				exp = NULL;
			} else {
				cJSON_AddNullToObject(ss, "ExportedServices");
			}
			if (tracked) {
				add_time(ss, "LastHeartbeat",
				         simc_stream_last_heartbeat(c, p, now));
				add_time_or_zero(ss, "LastReceive",
				                 simc_stream_last_receive(c, p, now));
				add_time_or_zero(ss, "LastSend", simc_stream_last_send(c, p, now));
			} else {
				cJSON_AddNullToObject(ss, "LastHeartbeat");
				cJSON_AddNullToObject(ss, "LastReceive");
				cJSON_AddNullToObject(ss, "LastSend");
			}
		}
	}
	cJSON_AddNumberToObject(o, "CreateIndex", (double)p->create_index);
	cJSON_AddNumberToObject(o, "ModifyIndex", (double)p->modify_index);
	if (simc_version_at_least(c, 1, 14)) {
		cJSON *r = cJSON_AddObjectToObject(o, "Remote");
		if (r) {
			cJSON_AddStringToObject(r, "Partition", p->remote_partition);
			cJSON_AddStringToObject(r, "Datacenter", p->remote_dc);
		}
	}
out:
	cJSON_Delete(imp);
	cJSON_Delete(exp);
	return o;
}

/* --------------------------------------------------------------- reads */

static uint64_t idx_peerings(struct sim_cluster *c, const struct sim_req *req,
                             const struct simc_auth *a, const char *arg)
{
	return c->consul->peerings_idx;
}

static void r_peering(struct sim_cluster *c, const struct sim_req *req, struct simc_auth *a,
                      struct sim_resp *resp, const char *name)
{
	struct simc_peering *p = simc_peering_find(c->consul, a->part, name);

	if (!p) {
		sim_resp_text(resp, 404, "Peering not found for \"%s\"", name);
		return;
	}
	simc_json(resp, 200, peering_json(c, p));
}

/* The order of the name index: partition, then name. */
static int by_partition_name(const void *x, const void *y)
{
	const struct simc_peering *p = *(const struct simc_peering *const *)x;
	const struct simc_peering *q = *(const struct simc_peering *const *)y;
	int d = strcmp(simc_part(p->partition), simc_part(q->partition));

	return d ? d : strcmp(p->name, q->name);
}

/* peeringListTxn walks the name index, so the list is sorted by name
 * within a partition, not in creation order
 * (agent/consul/state/peering.go). */
static void r_peerings(struct sim_cluster *c, const struct sim_req *req, struct simc_auth *a,
                       struct sim_resp *resp, const char *arg)
{
	int n = c->consul->npeerings, k = 0;
	struct simc_peering **sel = n ? malloc((size_t)n * sizeof *sel) : NULL;
	cJSON *arr = cJSON_CreateArray();

	if ((n && !sel) || !arr) {
		free(sel);
		cJSON_Delete(arr);
		sim_resp_text(resp, 500, "out of memory");
		return;
	}
	for (int i = 0; i < n; i++)
		if (!strcmp(a->part, "*") ||
		    simc_part_eq(c->consul->peerings[i]->partition, a->part))
			sel[k++] = c->consul->peerings[i];
	if (k > 1)
		qsort(sel, (size_t)k, sizeof *sel, by_partition_name);
	for (int i = 0; i < k; i++)
		cJSON_AddItemToArray(arr, peering_json(c, sel[i]));
	free(sel);
	simc_json(resp, 200, arr);
}

/* ------------------------------------------------------------- writes */

/* Parses the body; 400s of the HTTP layer go to RESP. */
static cJSON *parse_body(const struct sim_req *req, struct sim_resp *resp)
{
	char err[128];

	if (!req->body_len) {
		sim_resp_text(resp, 400, "The peering arguments must be provided in the body");
		return NULL;
	}
	cJSON *b = cJSON_ParseWithLength(req->body, req->body_len);
	if (!b || !cJSON_IsObject(b)) {
		simc_body_error(req->body, err, sizeof err);
		sim_resp_text(resp, 400, "Body decoding failed: %s",
		              b ? "json: cannot unmarshal into Go value of type api.PeeringRequest"
		                : err);
		cJSON_Delete(b);
		return NULL;
	}
	return b;
}

static const char *body_str(const cJSON *b, const char *key)
{
	const cJSON *v = cJSON_GetObjectItem(b, key); /* Go decodes keys case-insensitively */

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* The partition a token or establish call works in: the body's Partition,
 * else the request's. Consul CE refuses any but default
 * (EnterpriseCheckPartitions); "" on error, with RESP filled. */
static bool body_partition(struct sim_cluster *c, const cJSON *b, const struct simc_auth *a,
                           char *out, size_t len, struct sim_resp *resp)
{
	const char *bp = body_str(b, "Partition");

	snprintf(out, len, "%s", simc_part(bp && *bp ? bp : a->part));
	if (!c->install.enterprise && *out) {
		sim_resp_text(resp, 500,
		              "rpc error: code = InvalidArgument desc = Partitions are a Consul "
		              "Enterprise feature");
		return false;
	}
	if (c->install.enterprise && !simc_partition_find(c->consul, out)) {
		sim_resp_text(resp, 500,
		              "rpc error: code = InvalidArgument desc = partition \"%s\" does not "
		              "exist",
		              out);
		return false;
	}
	return true;
}

/* Checks shared by token and establish once the body is read; lock held. */
static int write_checks(struct sim_cluster *c, struct simc_auth *a, const char *name,
                        struct sim_resp *resp)
{
	if (!c->install.peering_enabled) {
		sim_resp_text(resp, 500,
		              "rpc error: code = FailedPrecondition desc = peering must be enabled "
		              "to use this endpoint");
		return -1;
	}
	if (!simc_peering_valid_name(name)) {
		sim_resp_text(
		        resp, 500,
		        "rpc error: code = InvalidArgument desc = %s is not a valid peer name: "
		        "%s",
		        name, NAME_ERR);
		return -1;
	}
	if (!simc_allowed(a, "peering", NULL, SIMC_WRITE)) {
		simc_denied(resp, a, "peering", NULL, SIMC_WRITE);
		return -1;
	}
	return 0;
}

static char *make_token(struct sim_cluster *c, const struct simc_peering *p, const cJSON *manual,
                        struct sim_resp *resp)
{
	cJSON *t = cJSON_CreateObject(), *addrs, *remote;
	char sn[160];
	char *json = NULL, *out = NULL;

	if (!t)
		return NULL;
	const char *ca[] = {c->consul->connect_ca};
	cJSON_AddItemToObject(t, "CA", cJSON_CreateStringArray(ca, 1));
	if (cJSON_IsArray(manual) && cJSON_GetArraySize(manual))
		cJSON_AddItemToObject(t, "ManualServerAddresses", cJSON_Duplicate(manual, true));
	else
		cJSON_AddNullToObject(t, "ManualServerAddresses");
	addrs = cJSON_AddArrayToObject(t, "ServerAddresses");
	if (simc_config_peer_through_gateways(c)) {
		struct simc_service *g = simc_service_find(c->consul, "mesh-gateway");
		for (int i = 0; g && addrs && i < g->ninst; i++) {
			char a[80];
			snprintf(a, sizeof a, "%s:%d", g->inst[i].wan_addr, g->inst[i].wan_port);
			if (!cJSON_GetArraySize(addrs) ||
			    strcmp(cJSON_GetArrayItem(addrs, 0)->valuestring, a))
				cJSON_AddItemToArray(addrs, cJSON_CreateString(a));
		}
	} else if (addrs) {
		cJSON_AddItemToArray(addrs, cJSON_CreateString(c->grpc_addr));
	}
	simc_server_name(c, sn, sizeof sn);
	cJSON_AddStringToObject(t, "ServerName", sn);
	cJSON_AddStringToObject(t, "PeerID", p->id);
	cJSON_AddStringToObject(t, "EstablishmentSecret", p->secret);
	if ((remote = cJSON_AddObjectToObject(t, "Remote"))) {
		/* The acceptor's partition: the dialer's Remote (token scoped to it). */
		cJSON_AddStringToObject(remote, "Partition", simc_part_name(p->partition));
		cJSON_AddStringToObject(remote, "Datacenter", c->install.datacenter);
		cJSON_AddNullToObject(remote, "Locality");
	}
	json = cJSON_PrintUnformatted(t);
	cJSON_Delete(t);
	if (json)
		out = sim_b64_encode(json, strlen(json));
	free(json);
	if (!out)
		sim_resp_text(resp, 500, "out of memory");
	return out;
}

static void generate_token(struct sim_cluster *c, const struct sim_req *req, struct simc_auth *a,
                           struct sim_resp *resp)
{
	cJSON *b = parse_body(req, resp);
	const char *name;

	if (!b)
		return;
	name = body_str(b, "PeerName");
	if (!name || !*name) {
		sim_resp_text(resp, 400,
		              "PeerName is required in the payload when generating a new peering "
		              "token.");
		goto out;
	}
	pthread_mutex_lock(&c->world->lock);
	char part[32];
	if (write_checks(c, a, name, resp) < 0 || !body_partition(c, b, a, part, sizeof part, resp))
		goto unlock;
	if (!c->install.connect_inject_enabled) {
		sim_resp_text(
		        resp, 500,
		        "rpc error: code = Unknown desc = connect.enabled must be set to true "
		        "in the server's configuration when generating peering tokens");
		goto unlock;
	}
	if (!c->install.tls_enabled) {
		sim_resp_text(resp, 500,
		              "rpc error: code = Unknown desc = TLS for gRPC must be enabled when "
		              "generating peering tokens");
		goto unlock;
	}
	if (simc_config_peer_through_gateways(c) && simc_gateways_count(c, false) == 0) {
		sim_resp_text(resp, 500,
		              "rpc error: code = Unknown desc = servers are configured to "
		              "PeerThroughMeshGateways, but no mesh gateway instances are "
		              "registered");
		goto unlock;
	}
	bool fresh = !simc_peering_find(c->consul, part, name);
	struct simc_peering *p = peering_claim(c, part, name, SIMC_ACCEPTOR, resp);
	if (!p)
		goto unlock;
	/* The write leaves the state UNDEFINED, which keeps the stored one
	 * (agent/consul/state/peering.go PeeringWrite): a TERMINATED acceptor
	 * stays TERMINATED with its new secret, and its stream refuses the
	 * dialer (peerstream/server.go StreamResources). */
	if (!p->state[0])
		snprintf(p->state, sizeof p->state, "PENDING");
	peering_set_meta(p, b);
	/* A new secret on every call: an unused earlier token stops working. */
	sim_uuid(c->world, p->secret);
	/* One write: a new record has CreateIndex == ModifyIndex. */
	if (!fresh)
		simc_peering_touch(c, p);
	char *tok = make_token(c, p, cJSON_GetObjectItem(b, "ServerExternalAddresses"), resp);
	if (tok) {
		cJSON *o = cJSON_CreateObject();
		if (o)
			cJSON_AddStringToObject(o, "PeeringToken", tok);
		simc_json(resp, 200, o);
		free(tok);
		sim_event(c->world, c, "peering %s: token generated", name);
	}
	sim_changed(c->world);
unlock:
	pthread_mutex_unlock(&c->world->lock);
out:
	cJSON_Delete(b);
}

struct token {
	cJSON *json;
	const char *ca;
	const char *server_name;
	const char *peer_id;
	const char *secret;
	const cJSON *addrs;  /* manual first, else server addresses: dialed */
	const cJSON *server; /* ServerAddresses: stored as PeerServerAddresses */
	const cJSON *manual; /* ManualServerAddresses: stored, never served */
	const char *remote_dc;
	const char *remote_partition;
};

static bool valid_addr(const char *a)
{
	const char *colon = strrchr(a, ':');
	char *end;

	if (!colon || colon == a)
		return false;
	long port = strtol(colon + 1, &end, 10);
	return *end == '\0' && end != colon + 1 && port >= 1 && port <= 65535;
}

/* Decodes and validates a token as Consul does; message in err. */
static int decode_token(const char *text, struct token *t, char *err, size_t len)
{
	size_t n;
	char *raw = sim_b64_decode(text, &n);

	memset(t, 0, sizeof *t);
	if (!raw) {
		snprintf(err, len, "failed to decode token: illegal base64 data at input byte 0");
		return -1;
	}
	t->json = cJSON_ParseWithLength(raw, n);
	if (!cJSON_IsObject(t->json)) {
		/* DecodeToken returns json.Unmarshal's error as it is, without
		 * the prefix of the base64 one (agent/consul/peering_backend.go). */
		size_t i = strspn(raw, " \t\r\n");
		unsigned char c = i < n ? (unsigned char)raw[i] : 0;
		if (c > 0x20 && c < 0x7f && !strchr("{[\"-0123456789tfn", c))
			snprintf(err, len, "invalid character '%c' looking for beginning of value",
			         c);
		else
			snprintf(err, len, "invalid character looking for beginning of value");
		free(raw);
		return -1;
	}
	free(raw);
	const cJSON *ca = cJSON_GetObjectItem(t->json, "CA");
	const cJSON *man = cJSON_GetObjectItem(t->json, "ManualServerAddresses");
	const cJSON *srv = cJSON_GetObjectItem(t->json, "ServerAddresses");
	t->ca = cJSON_GetStringValue(cJSON_GetArrayItem(ca, 0));
	t->server_name = cJSON_GetStringValue(cJSON_GetObjectItem(t->json, "ServerName"));
	t->peer_id = cJSON_GetStringValue(cJSON_GetObjectItem(t->json, "PeerID"));
	t->secret = cJSON_GetStringValue(cJSON_GetObjectItem(t->json, "EstablishmentSecret"));
	t->remote_dc = cJSON_GetStringValue(
	        cJSON_GetObjectItem(cJSON_GetObjectItem(t->json, "Remote"), "Datacenter"));
	t->remote_partition = cJSON_GetStringValue(
	        cJSON_GetObjectItem(cJSON_GetObjectItem(t->json, "Remote"), "Partition"));
	t->addrs = cJSON_GetArraySize(man) ? man : srv;
	t->server = srv;
	t->manual = man;
	const cJSON *it;
	cJSON_ArrayForEach(it, ca)
	{
		if (!cJSON_IsString(it) ||
		    !strstr(it->valuestring, "-----BEGIN CERTIFICATE-----")) {
			snprintf(err, len, "peering token invalid CA: no PEM-encoded data found");
			return -1;
		}
	}
	if (!cJSON_GetArraySize(t->addrs)) {
		snprintf(err, len, "peering token server addresses value is empty");
		return -1;
	}
	cJSON_ArrayForEach(it, t->addrs)
	{
		if (!cJSON_IsString(it) || !valid_addr(it->valuestring)) {
			snprintf(err, len, "%s is not a valid peering server address",
			         cJSON_IsString(it) ? it->valuestring : "");
			return -1;
		}
	}
	if (cJSON_GetArraySize(ca) && (!t->server_name || !*t->server_name)) {
		snprintf(err, len, "peering token server name value is empty");
		return -1;
	}
	if (!t->peer_id || !*t->peer_id) {
		snprintf(err, len, "peering token peer ID value is empty");
		return -1;
	}
	return 0;
}

/* The secret exchange with the acceptor, through each token address in
 * turn. Returns the acceptor's peering, or NULL with the status and text in
 * RESP. */
static struct simc_peering *exchange(struct sim_cluster *c, const struct token *t,
                                     struct sim_cluster **acc, struct sim_resp *resp)
{
	char errs[1024] = "";
	size_t off = 0;
	const cJSON *it;

	cJSON_ArrayForEach(it, t->addrs)
	{
		const char *addr = it->valuestring;
		struct sim_cluster *a = simc_cluster_by_peering_addr(c->world, addr);
		bool gw = a && strcmp(a->grpc_addr, addr) != 0;
		if (!a || !a->running || (gw && simc_gateways_count(a, true) == 0)) {
			off += (size_t)snprintf(
			        errs + off, off < sizeof errs ? sizeof errs - off : 0,
			        "%sfailed to exchange peering secret through address \"%s\": "
			        "failed to dial peer: connection refused",
			        off ? "; " : "", addr);
			if (off >= sizeof errs)
				off = sizeof errs - 1;
			continue;
		}
		struct simc_peering *q = simc_peering_by_id(a->consul, t->peer_id);
		/* ExchangeSecret judges the establishment secret alone
		 * (peerstream/server.go): an unknown PeerID, or a peering being
		 * deleted or terminated, has none (state/peering.go deletes the
		 * secrets of an inactive peering), and PermissionDenied is not
		 * retried on another address (agent/rpc/peering/service.go). */
		if (!q || q->role != SIMC_ACCEPTOR || !strcmp(q->state, "DELETING") ||
		    !q->secret[0] || !t->secret || strcmp(q->secret, t->secret)) {
			sim_resp_text(
			        resp, 403,
			        "rpc error: code = PermissionDenied desc = a new peering token "
			        "must be generated: invalid peering establishment secret");
			return NULL;
		}
		*acc = a;
		return q;
	}
	sim_resp_text(resp, 500, "rpc error: code = Unavailable desc = %s", errs);
	return NULL;
}

static int copy_addrs(char out[][64], const cJSON *arr)
{
	const cJSON *it;
	int n = 0;

	cJSON_ArrayForEach(it, arr)
	{
		if (cJSON_IsString(it) && n < SIMC_MAX_ADDRS)
			snprintf(out[n++], 64, "%s", it->valuestring);
	}
	return n;
}

/* The establish call's first write (agent/rpc/peering/service.go
 * Establish): the dialer's record takes what token T says before the secret
 * exchange, and keeps it if the exchange fails. Its state is left alone
 * ("State is intentionally not set until after the secret exchange
 * succeeds"): a new record is PENDING as the state store writes it. While a
 * stream is connected the addresses it has are kept. */
static void dialer_store_token(struct sim_cluster *c, struct simc_peering *p, const struct token *t,
                               bool fresh)
{
	if (!p->state[0])
		snprintf(p->state, sizeof p->state, "PENDING");
	snprintf(p->peer_id, sizeof p->peer_id, "%s", t->peer_id);
	free(p->peer_ca);
	p->peer_ca = t->ca ? strdup(t->ca) : NULL;
	snprintf(p->peer_server_name, sizeof p->peer_server_name, "%s",
	         t->server_name ? t->server_name : "");
	if (!(p->tr.tracked && p->tr.connected))
		p->npeer_addrs = copy_addrs(p->peer_addrs, t->server);
	p->nmanual_addrs = copy_addrs(p->manual_addrs, t->manual);
	snprintf(p->remote_dc, sizeof p->remote_dc, "%s", t->remote_dc ? t->remote_dc : "");
	snprintf(p->remote_partition, sizeof p->remote_partition, "%s",
	         t->remote_partition ? t->remote_partition : "");
	if (!fresh)
		simc_peering_touch(c, p);
}

/* The exchange succeeded: the second write, ESTABLISHING with the stream
 * secret; the leader's loop dials (a live stream is kept). Both records
 * point at each other. */
static void dialer_adopt(struct sim_cluster *c, struct simc_peering *p, struct sim_cluster *acc,
                         struct simc_peering *q)
{
	snprintf(p->state, sizeof p->state, "ESTABLISHING");
	p->stream_secret = true;
	p->link_cluster = acc->index;
	snprintf(p->link_id, sizeof p->link_id, "%s", q->id);
	q->link_cluster = c->index;
	snprintf(q->link_id, sizeof q->link_id, "%s", p->id);
	p->fails = 0;
	simc_peering_touch(c, p);
}

static void establish(struct sim_cluster *c, const struct sim_req *req, struct simc_auth *a,
                      struct sim_resp *resp)
{
	cJSON *b = parse_body(req, resp);
	struct token t = {0};
	char err[512], sn[160];

	if (!b)
		return;
	const char *name = body_str(b, "PeerName"), *tok = body_str(b, "PeeringToken");
	if (!name || !*name) {
		sim_resp_text(resp, 400,
		              "PeerName is required in the payload when establishing a peering.");
		goto out;
	}
	if (!tok || !*tok) {
		sim_resp_text(resp, 400,
		              "PeeringToken is required in the payload when establishing a "
		              "peering.");
		goto out;
	}
	pthread_mutex_lock(&c->world->lock);
	char part[32];
	if (write_checks(c, a, name, resp) < 0 || !body_partition(c, b, a, part, sizeof part, resp))
		goto unlock;
	if (decode_token(tok, &t, err, sizeof err) < 0) {
		/* Establish returns DecodeToken's and validatePeeringToken's
		 * errors unwrapped: code Unknown (agent/rpc/peering/service.go). */
		sim_resp_text(resp, 500, "rpc error: code = Unknown desc = %s", err);
		goto unlock;
	}
	simc_server_name(c, sn, sizeof sn);
	if (t.server_name && !strcmp(t.server_name, sn)) {
		sim_resp_text(resp, 500,
		              "rpc error: code = Unknown desc = cannot create a peering "
		              "within the same cluster \"%s\". Refer to the `exported-services` "
		              "documentation if you want to export between partitions without "
		              "peering",
		              sn);
		goto unlock;
	}
	bool fresh = !simc_peering_find(c->consul, part, name);
	struct simc_peering *p = peering_claim(c, part, name, SIMC_DIALER, resp);
	if (!p)
		goto unlock;
	/* The record is written before the exchange and stays if it fails. */
	peering_set_meta(p, b);
	dialer_store_token(c, p, &t, fresh);
	struct sim_cluster *acc = NULL;
	struct simc_peering *q = exchange(c, &t, &acc, resp);
	if (!q) {
		sim_event(c->world, c, "peering %s: establish failed", name);
		sim_changed(c->world);
		goto unlock;
	}
	q->secret[0] = '\0'; /* single use (the secrets table: no peering write) */
	dialer_adopt(c, p, acc, q);
	sim_event(c->world, c, "peering %s: established with %s (ESTABLISHING)", name, acc->name);
	sim_changed(c->world);
	simc_json(resp, 200, cJSON_CreateObject());
unlock:
	pthread_mutex_unlock(&c->world->lock);
out:
	cJSON_Delete(t.json);
	cJSON_Delete(b);
}

static void delete_peering(struct sim_cluster *c, const char *name, struct simc_auth *a,
                           struct sim_resp *resp)
{
	struct sim_world *w = c->world;

	pthread_mutex_lock(&w->lock);
	if (!c->install.peering_enabled) {
		sim_resp_text(resp, 500,
		              "rpc error: code = FailedPrecondition desc = peering must be enabled "
		              "to use this endpoint");
		goto out;
	}
	if (!simc_allowed(a, "peering", NULL, SIMC_WRITE)) {
		simc_denied(resp, a, "peering", NULL, SIMC_WRITE);
		goto out;
	}
	struct simc_peering *p = simc_peering_find(c->consul, a->part, name);
	resp->status = 200; /* empty body; also when absent or already deleting */
	if (!p || !strcmp(p->state, "DELETING"))
		goto out;
	int64_t now = sim_now_ms(w);
	struct sim_cluster *oc;
	struct simc_peering *q = simc_peering_other(c, p, &oc);
	if (q && simc_peering_live(c, p) && strcmp(q->state, "DELETING")) {
		/* The other side is told over the live stream to terminate and
		 * keeps its record. A peer that does not hear it now never does
		 * (peerstream/stream_resources.go sends Terminated on the stream). */
		snprintf(q->state, sizeof q->state, "TERMINATED");
		q->secret[0] = '\0'; /* an inactive peering's secrets are deleted */
		simc_stream_end(oc, q, now);
		simc_peering_touch(oc, q);
		sim_event(w, oc, "peering %s: TERMINATED by %s", q->name, c->name);
		simc_catalog_changed(oc);
	}
	snprintf(p->state, sizeof p->state, "DELETING");
	p->secret[0] = '\0';
	simc_stream_end(c, p, now);
	p->deleted_ms = now;
	p->delete_due_ms = now + sim_scaled_ms(w, SIMC_DELETE_MS);
	simc_peering_touch(c, p);
	simc_catalog_changed(c);
	sim_event(w, c, "peering %s: DELETING", name);
	sim_changed(w);
out:
	pthread_mutex_unlock(&w->lock);
}

/* ------------------------------------------------------------ routing */

static void rb_peering(struct sim_cluster *c, const struct sim_req *req, struct simc_auth *a,
                       struct sim_resp *resp, const char *name)
{
	r_peering(c, req, a, resp, name);
}

void simc_peering_route(struct sim_cluster *c, const struct sim_req *req, struct simc_auth *a,
                        struct sim_resp *resp, const char *path)
{
	if (!strcmp(path, "/v1/peering/token")) {
		generate_token(c, req, a, resp);
		return;
	}
	if (!strcmp(path, "/v1/peering/establish")) {
		establish(c, req, a, resp);
		return;
	}
	bool list = !strcmp(path, "/v1/peerings");
	const char *name = list ? NULL : path + strlen("/v1/peering/");
	if (!list && !strcmp(req->method, "DELETE")) {
		if (!*name)
			sim_resp_text(resp, 400, "Must specify a name to fetch.");
		else
			delete_peering(c, name, a, resp);
		return;
	}
	if (!list && !*name) {
		sim_resp_text(resp, 400, "Must specify a name to fetch.");
		return;
	}
	pthread_mutex_lock(&c->world->lock);
	bool enabled = c->install.peering_enabled;
	bool ok = simc_allowed(a, "peering", NULL, SIMC_READ);
	pthread_mutex_unlock(&c->world->lock);
	if (!enabled) {
		sim_resp_text(resp, 500,
		              "rpc error: code = FailedPrecondition desc = peering must be enabled "
		              "to use this endpoint");
		return;
	}
	if (!ok) {
		simc_denied(resp, a, "peering", NULL, SIMC_READ);
		return;
	}
	simc_blocking(c, req, a, resp, idx_peerings, list ? r_peerings : rb_peering, name);
}
