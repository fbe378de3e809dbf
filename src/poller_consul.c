/* poller, Consul sources: blocking queries, the stream-health poll and the
 * cluster's identity. See src/poller_src.h. */
#include "autoconfig.h"

#include "poller_src.h"

#include "peerscope/codec.h"
#include "peerscope/consul.h"
#include "peerscope/http.h"
#include "peerscope/log.h"
#include "peerscope/monotime.h"
#include "peerscope/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --------------------------------------------------------- what changed */

/* A 64-bit hash of the body: a list of 10,000 services is 3 MB, hashed
 * again every time a blocking query returns. */
static uint64_t body_hash(const char *b, size_t n)
{
	return codec_hash_bytes(1469598103934665603ull ^ n, b, n);
}

/* True when BODY differs from what SLOT holds (and records it). */
static bool body_changed(struct poller_src *slot, const char *body, size_t len)
{
	uint64_t h = body_hash(body ? body : "", body ? len : 0);

	if (slot->has_hash && slot->hash == h)
		return false;
	slot->hash = h;
	slot->has_hash = true;
	return true;
}

/* A peerings answer that differs from the one SLOT's list was made of only
 * in its stream times (consul_peering_times.c): that list with the new
 * times, without decoding the body. Every stream poll of a live peering
 * brings new times, and little else as a rule. NULL: decode it; the shape
 * read is SLOT's once the decoded list is installed. */
static struct store_part *peerings_times_only(struct poller_cl *c, struct poller_src *slot,
                                              const char *body, size_t len)
{
	const struct model_peering_list *base = slot->shaped;
	struct store_part *owner = store_held(c->work, STORE_SRC_PEERINGS);
	uint64_t was = slot->shape;
	struct model_peering_list l;

	slot->shaped = NULL;
	/* Unread (out of memory), the body has no shape: the list decoded
	 * from it must not pass for one of the shape before. */
	slot->shape = 0;
	if (consul_peerings_times_read(body, len, &c->times) < 0)
		return NULL;
	slot->shape = c->times.shape;
	if (!base || base != c->work->peerings || base != store_part_data(owner) ||
	    was != c->times.shape || !c->times.usable)
		return NULL;
	if (consul_peerings_with_times(base, &c->times, &l) < 0)
		return NULL;
	return store_part_peerings_over(&l, owner);
}

/* --------------------------------------------------------- Consul sources */

static const char *consul_endpoint(enum store_src id)
{
	switch (id) {
	case STORE_SRC_PEERINGS:
	case STORE_SRC_STREAM:
		return CONSUL_PATH_PEERINGS;
	case STORE_SRC_GATEWAYS:
		return CONSUL_PATH_HEALTH_SERVICE CONSUL_MESH_GATEWAY_SERVICE;
	case STORE_SRC_EXPORTS:
		return CONSUL_PATH_CONFIG "/" CONSUL_KIND_EXPORTED_SERVICES "/default";
	case STORE_SRC_MESH:
		return CONSUL_PATH_CONFIG "/" CONSUL_KIND_MESH "/mesh";
	case STORE_SRC_PROXY_DEFAULTS:
		return CONSUL_PATH_CONFIG "/" CONSUL_KIND_PROXY_DEFAULTS "/global";
	case STORE_SRC_SERVICE_DEFAULTS:
		return CONSUL_PATH_CONFIG "/" CONSUL_KIND_SERVICE_DEFAULTS;
	case STORE_SRC_INTENTIONS:
		return CONSUL_PATH_CONFIG "/" CONSUL_KIND_SERVICE_INTENTIONS;
	case STORE_SRC_SERVICES:
		return CONSUL_PATH_UI_SERVICES;
	default:
		return NULL;
	}
}

static bool is_entry(enum store_src id)
{
	return id == STORE_SRC_EXPORTS || id == STORE_SRC_MESH || id == STORE_SRC_PROXY_DEFAULTS;
}

/* Decodes BODY of source ID into a new part; *present tells an entry from a
 * 404 (absent). 0, or -1 with err filled. */
static struct store_part *decode_part(enum store_src id, const char *body, size_t len,
                                      const struct consul_meta *meta, char *err, size_t errlen,
                                      int *rc)
{
	*rc = -1;
#define DECODE(type, fn, ctor)                                                                     \
	do {                                                                                       \
		type *v = calloc(1, sizeof *v);                                                    \
		if (!v) {                                                                          \
			snprintf(err, errlen, "out of memory");                                    \
			return NULL;                                                               \
		}                                                                                  \
		if (fn(body, len, v, err, errlen) != 0) {                                          \
			free(v);                                                                   \
			return NULL;                                                               \
		}                                                                                  \
		*rc = 0;                                                                           \
		return ctor(v);                                                                    \
	} while (0)
	switch (id) {
	case STORE_SRC_PEERINGS:
	case STORE_SRC_STREAM:
		DECODE(struct model_peering_list, consul_decode_peerings, store_part_peerings);
	case STORE_SRC_GATEWAYS:
		DECODE(struct model_instance_list, consul_decode_health_service,
		       store_part_instances);
	case STORE_SRC_EXPORTS:
		DECODE(struct model_exported_services_entry, consul_decode_exported_services_entry,
		       store_part_exports);
	case STORE_SRC_MESH:
		DECODE(struct model_mesh_entry, consul_decode_mesh_entry, store_part_mesh);
	case STORE_SRC_PROXY_DEFAULTS:
		DECODE(struct model_proxy_defaults_entry, consul_decode_proxy_defaults_entry,
		       store_part_proxy_defaults);
	case STORE_SRC_SERVICES:
		DECODE(struct model_service_summary_list, consul_decode_ui_services,
		       store_part_services);
	case STORE_SRC_SERVICE_DEFAULTS: {
		struct store_service_defaults *v = calloc(1, sizeof *v);
		if (!v) {
			snprintf(err, errlen, "out of memory");
			return NULL;
		}
		if (consul_decode_service_defaults_list(body, len, &v->v, &v->n, err, errlen)) {
			free(v);
			return NULL;
		}
		*rc = 0;
		return store_part_service_defaults(v);
	}
	case STORE_SRC_INTENTIONS: {
		struct store_intentions *v = calloc(1, sizeof *v);
		if (!v) {
			snprintf(err, errlen, "out of memory");
			return NULL;
		}
		if (consul_decode_service_intentions_list(body, len, &v->v, &v->n, err, errlen)) {
			free(v);
			return NULL;
		}
		/* What decides a call no intention matches comes with the read. */
		snprintf(v->default_policy, sizeof v->default_policy, "%s",
		         meta->default_acl_policy);
		*rc = 0;
		return store_part_intentions(v);
	}
	default:
		snprintf(err, errlen, "no decoder for %s", store_src_name(id));
		return NULL;
	}
#undef DECODE
}

static void consul_done(void *ctx, int rc, struct http_response *resp, struct http_error *err)
{
	struct poller_src *s = ctx;
	struct poller_cl *c = s->cl;
	struct consul_meta meta = {0};
	char why[384];
	int drc;

	s->x = NULL;
	c->work->consul_reachable = resp->status != 0;
	consul_meta_from_response(resp, &meta);
	bool absent = rc != 0 && resp->status == 404 && is_entry(s->id);
	/* With one answer wanted, the stream poll (of the same partition)
	 * takes the peerings one. */
	struct poller_src *mirror = c->p->o.once && s->id == STORE_SRC_PEERINGS
	                                    ? &(s->part ? s->part->src : c->src)[STORE_SRC_STREAM]
	                                    : NULL;
	if (rc != 0 && !absent) {
		/* Retry without blocking: a fetch that answers at once proves
		 * the recovery, where a long poll would sit stale until the
		 * next change. */
		s->index = 0;
		poller_src_fail(s, err);
		if (mirror && mirror->st.enabled)
			poller_src_fail(mirror, err);
		return;
	}
	enum store_src sid = s->id == STORE_SRC_STREAM ? STORE_SRC_PEERINGS : s->id;
	struct poller_src *slot = s->part ? &s->part->src[sid] : &c->src[sid];
	bool changed = false;
	if (s->part) {
		/* One partition's answer: the lists of all of them go in. */
		changed = absent ? body_changed(slot, NULL, 0)
		                 : body_changed(slot, resp->body, resp->body_len);
		if (changed &&
		    poller_part_install(s, absent ? NULL : resp->body, absent ? 0 : resp->body_len,
		                        !absent, why, sizeof why)) {
			slot->has_hash = false;
			http_error_setf(err, HTTP_ERR_DECODE, "%s", why);
			poller_src_fail(s, err);
			if (mirror && mirror->st.enabled)
				poller_src_fail(mirror, err);
			return;
		}
	} else if (absent) {
		changed = body_changed(slot, NULL, 0);
		if (changed)
			poller_install(c, s->id, NULL, false);
	} else if (body_changed(slot, resp->body, resp->body_len)) {
		bool peerings = sid == STORE_SRC_PEERINGS;
		struct store_part *p =
		        peerings ? peerings_times_only(c, slot, resp->body, resp->body_len) : NULL;
		drc = 0;
		if (!p)
			p = decode_part(s->id, resp->body ? resp->body : "", resp->body_len, &meta,
			                why, sizeof why, &drc);
		if (drc != 0) {
			slot->has_hash = false;
			http_error_setf(err, HTTP_ERR_DECODE, "%s", why);
			poller_src_fail(s, err);
			if (mirror && mirror->st.enabled)
				poller_src_fail(mirror, err);
			return;
		}
		poller_install(c, s->id, p, true);
		if (peerings && p && slot->shape)
			slot->shaped = c->work->peerings;
		store_part_unref(p);
		changed = true;
	}
	poller_src_ok(s, resp->status, changed);
	if (mirror && mirror->st.enabled)
		poller_src_ok(mirror, resp->status, changed);
	if (s->kind == POLLER_SK_STREAM) {
		/* The plain poll sees a restore first: the blocking queries of
		 * this cluster would otherwise wait for an index that is gone. */
		if (meta.index && meta.index < s->index)
			c->index_reset = true;
		s->index = meta.index;
		/* When the answer moved more than times, the publish that
		 * follows brings the next poll nearer (poller_moved()). */
		poller_src_every(s, poller_stream_period(c, monotime_ms()));
		return;
	}
	/* doc/api-contract.md §5: start over when the index goes backwards, never block on 0. A 404
	 * without an index cannot block: poll it instead. */
	uint64_t prev = s->index;
	s->index = consul_next_index(s->index, meta.index);
	if (prev && !s->index)
		c->index_reset = true;
	if (absent && meta.index == 0)
		poller_src_every(s, c->p->o.stream_interval_ms);
	else
		poller_src_again(s);
}

/* The stream poll, asked every refresh, runs on a lane of its own (http.c,
 * "Lanes") once it has answered: the start, where every source of the
 * cluster asks at once, opens one connection to Consul as before, and the
 * first refresh the lane's, its TLS session resumed. With --once it is
 * asked once, and a connection of its own would only cost. */
static bool stream_apart(const struct poller_src *s)
{
	return s->kind == POLLER_SK_STREAM && !s->cl->p->o.once && s->st.last_ok_ns;
}

int poller_consul_start(struct poller_src *s, struct http_error *err)
{
	struct poller_cl *c = s->cl;
	struct consul_query q = {0};

	if (s->kind == POLLER_SK_CONSUL && s->index > 0) {
		q.index = s->index;
		q.wait_ms = c->p->o.wait_ms;
	}
	char ep[160];
	const char *endpoint = consul_endpoint(s->id);
	if (s->part) {
		/* In Enterprise a partition's exported-services entry is named
		 * after the partition. */
		q.partition = s->part->name;
		if (s->id == STORE_SRC_EXPORTS) {
			snprintf(ep, sizeof ep, "%s/%s/%s", CONSUL_PATH_CONFIG,
			         CONSUL_KIND_EXPORTED_SERVICES, s->part->name);
			endpoint = ep;
		}
	}
	char *path = consul_path(c->cfg.consul, endpoint, &q);
	if (!path) {
		http_error_setf(err, HTTP_ERR_NOMEM, "out of memory");
		return -1;
	}
	struct http_request req = {.path = path,
	                           .wait_ms = q.wait_ms,
	                           .max_body = consul_max_body(consul_endpoint(s->id)),
	                           .apart = stream_apart(s)};
	if (!q.wait_ms)
		req.timeout_ms = c->p->o.request_timeout_ms;
	s->x = http_multi_add(c->m, consul_http(c->cfg.consul), &req, consul_done, s, err);
	free(path);
	return s->x ? 0 : -1;
}

/* ----------------------------------------------------------------- identity */

static void identity_done(void *ctx, int rc, struct http_response *resp, struct http_error *err);

static int identity_request(struct poller_src *s, const char *path, struct http_error *err)
{
	struct poller_cl *c = s->cl;
	struct http_request req = {.path = path,
	                           .timeout_ms = c->p->o.request_timeout_ms,
	                           .max_body = consul_max_body(path)};

	s->x = http_multi_add(c->m, consul_http(c->cfg.consul), &req, identity_done, s, err);
	return s->x ? 0 : -1;
}

int poller_identity_start(struct poller_src *s, struct http_error *err)
{
	struct poller_cl *c = s->cl;

	model_cluster_identity_clear(c->ident);
	s->step = 0;
	return identity_request(s, CONSUL_PATH_AGENT_SELF, err);
}

static void identity_finish(struct poller_src *s)
{
	struct poller_cl *c = s->cl;
	struct model_cluster_identity *id = calloc(1, sizeof *id);

	if (!id) {
		poller_src_fail_text(s, 0, "out of memory");
		return;
	}
	/* Hand the assembled identity to a part; the scratch one starts empty. */
	*id = *c->ident;
	memset(c->ident, 0, sizeof *c->ident);
	consul_client_set_enterprise(c->cfg.consul, id->enterprise);
	/* The same identity again keeps the part held: the snapshot stays the
	 * one published, and the refresh is no move (poller_moved()). */
	bool changed =
	        !c->work->has_identity || !model_cluster_identity_same(c->work->identity, id);
	if (changed) {
		struct store_part *p = store_part_identity(id);
		if (!p) {
			poller_src_fail_text(s, 0, "out of memory");
			return;
		}
		poller_install(c, STORE_SRC_IDENTITY, p, true);
		store_part_unref(p);
	} else {
		model_cluster_identity_clear(id);
		free(id);
	}
	poller_part_update(c);
	poller_src_ok(s, 200, changed);
	poller_src_every(s, c->p->o.identity_interval_ms);
}

static void identity_done(void *ctx, int rc, struct http_response *resp, struct http_error *err)
{
	struct poller_src *s = ctx;
	struct poller_cl *c = s->cl;
	char why[384];
	int drc = 0;

	s->x = NULL;
	c->work->consul_reachable = resp->status != 0;
	/* agent/self needs agent:read; agent/version does not. */
	if (rc != 0 && s->step == 0 && (resp->status == 403 || resp->status == 404)) {
		s->step = 1;
		if (identity_request(s, CONSUL_PATH_AGENT_VERSION, err))
			poller_src_fail(s, err);
		return;
	}
	if (rc != 0) {
		poller_src_fail(s, err);
		return;
	}
	const char *b = resp->body ? resp->body : "";
	if (s->step == 0)
		drc = consul_decode_agent_self(b, resp->body_len, c->ident, why, sizeof why);
	else if (s->step == 1)
		drc = consul_decode_agent_version(b, resp->body_len, c->ident, why, sizeof why);
	else {
		char *leader = NULL;
		drc = consul_decode_leader(b, resp->body_len, &leader, why, sizeof why);
		if (drc == 0) {
			free(c->ident->leader);
			c->ident->leader = leader;
		}
	}
	if (drc != 0) {
		http_error_setf(err, HTTP_ERR_DECODE, "%s", why);
		poller_src_fail(s, err);
		return;
	}
	if (s->step < 2) {
		s->step = 2;
		if (identity_request(s, CONSUL_PATH_LEADER, err))
			poller_src_fail(s, err);
		return;
	}
	identity_finish(s);
}

/* ---------------------------------------------------------------- restarts */

/* A snapshot restore or a Consul restart moved the raft index back, or
 * Consul answers again after a silence (long polls may hang on connections
 * that died): every blocking query starts over. */
void poller_consul_restart(struct poller_cl *c)
{
	int64_t now = monotime_ms();

	if (c->index_reset)
		store_event(
		        c->p->st, STORE_EV_WARN, c->cfg.name, "consul",
		        "Consul's index went backwards (restore or restart): queries restarted");
	c->index_reset = false;
	c->reconnected = false;
	for (size_t j = 0; j < poller_nsrc(c); j++) {
		struct poller_src *s = poller_src_nth(c, j);
		if (s->kind != POLLER_SK_CONSUL || !s->st.enabled || s->fanout)
			continue;
		if (s->x) {
			http_multi_remove(c->m, s->x);
			s->x = NULL;
		}
		s->index = 0;
		s->next_ms = now;
	}
}
