/* poller: per-cluster threads feeding the store. See include/peerscope/poller.h.
 *
 * Each cluster thread owns everything it touches: its http_multi, one
 * struct src per store source, and a private working snapshot that is never
 * published itself; publishing derives a copy of it (sharing the parts) and
 * hands that to the store. The only state shared with other threads is the
 * stop and refresh flags and the store. */
#include "autoconfig.h"

#include "peerscope/poller.h"

#include "peerscope/backoff.h"
#include "peerscope/consul.h"
#include "peerscope/http.h"
#include "peerscope/kube.h"
#include "peerscope/log.h"
#include "peerscope/monotime.h"
#include "peerscope/store.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NEVER           INT64_MAX
/* Longest sleep of a cluster thread. Events wake it earlier; the cap bounds
 * how long a readiness that libcurl's poll misses goes unnoticed (seen with
 * two long polls answering at the same instant), at a negligible cost. */
#define POLL_CAP_MS     1000
#define TOKEN_SELECTOR  MODEL_KUBE_TOKEN_LABEL "=true"
/* The Kubernetes liveness probe: cheap, served to every authenticated
 * client, and answered by the API server itself. */
#define KUBE_PROBE_PATH "/version"

/* ------------------------------------------------------------------ types */

enum src_kind {
	SK_CONSUL, /* blocking query */
	SK_STREAM, /* plain poll on a timer */
	SK_IDENTITY,
	SK_CRDS,
	SK_KUBE, /* list then watch */
	SK_HELM, /* list the release Secrets, then read each */
};

struct cl;

struct src {
	enum store_src id;
	enum src_kind kind;
	struct cl *cl;
	struct http_xfer *x; /* in flight, or NULL */
	int64_t next_ms;     /* monotonic time of the next start; NEVER: none */
	struct backoff_bucket bucket;
	struct store_source st;
	uint64_t hash; /* of the last body stored in this source's slot */
	bool has_hash;
	bool unreachable; /* marked stale because the cluster stopped answering */
	int step;         /* identity, CRDs: which request of the sequence */
	uint64_t index;   /* Consul blocking index */
	/* Kubernetes */
	enum kube_kind kkind;
	bool listed;
	/* The last watch failed: the next one resumes from rv with a short
	 * timeout, so that its end proves the recovery within a second (a
	 * healthy watch may stay silent for minutes). */
	bool resume;
	char *rv;
	struct kube_watch_parser *wp;
	struct store_part **objs; /* one part per object, each a struct kube_object */
	size_t nobjs, capobjs;
	bool objs_changed;
};

struct cl {
	struct poller *p;
	size_t index;
	struct poller_cluster cfg;
	struct http_multi *m;
	pthread_t thread;
	bool started;
	atomic_bool refresh;
	uint64_t rng;
	struct src src[STORE_SRC_COUNT];
	struct store_snapshot *work;  /* private: never published itself */
	struct store_snapshot *last;  /* the newest published, one reference */
	struct store_snapshot *empty; /* points at the shared empty lists */
	bool dirty;                   /* something to publish */
	bool index_reset;             /* an index went backwards: restart the queries */
	bool reconnected;             /* Consul answers again: restart the queries */
	/* Kubernetes liveness: a GET of KUBE_PROBE_PATH every stream interval,
	 * plus what every other Kubernetes request learns. */
	struct http_xfer *probe;
	int64_t probe_next_ms;
	bool kube_down;        /* the API server stopped answering */
	bool kube_reconnected; /* it answers again: restart the watches */
	bool soft;             /* only success times changed */
	int64_t last_pub_ms;
	struct model_cluster_identity *ident; /* identity being assembled */
	struct kube_discovery disc;
	struct model_strv helm_names; /* release Secrets still to read */
	struct model_kube_helm *helm; /* the newest release read so far */
};

struct poller {
	struct store *st;
	struct poller_options o;
	atomic_bool stop;
	size_t n;
	struct cl *cl;
};

static struct log_sink *LOG(const struct cl *c)
{
	return c->p->o.log;
}

/* ----------------------------------------------------------- source status */

static void src_schedule(struct src *s, long delay_ms)
{
	s->next_ms = monotime_ms() + (delay_ms > 0 ? delay_ms : 0);
}

/* After a success: the next request may go when the bucket allows. */
static void src_again(struct src *s)
{
	s->next_ms = monotime_ms();
}

static enum model_source_state fail_state(const struct src *s, long status);

static bool is_consul(const struct src *s)
{
	return s->kind == SK_CONSUL || s->kind == SK_IDENTITY;
}

/* The plain poll of Consul got no answer: a long poll in flight may still
 * wait minutes for its timeout, so the data of every other Consul source is
 * marked stale now. The mark goes at the next answer. */
static void consul_unreachable(struct cl *c, bool down)
{
	for (size_t i = 0; i < STORE_SRC_COUNT; i++) {
		struct src *o = &c->src[i];
		if (!is_consul(o) || !o->st.enabled)
			continue;
		if (down && o->st.state == MODEL_SOURCE_OK) {
			o->st.state = MODEL_SOURCE_STALE;
			o->st.stale = true;
			o->unreachable = true;
		} else if (!down && o->unreachable) {
			c->reconnected = true;
			o->st.state =
			        o->st.failures ? fail_state(o, o->st.http_status) : MODEL_SOURCE_OK;
			o->st.stale = o->st.failures > 0;
			o->unreachable = false;
		}
	}
	c->dirty = true;
}

/* The API server did not answer (refused, reset before a status, timed
 * out): every Kubernetes source's data is stale from now on, with TEXT as
 * the reason, until some request gets an answer again. Watches in flight
 * may hang on a silent server until their own timeout, so their sources
 * are marked too. */
static void kube_unreachable(struct cl *c, const char *text)
{
	int64_t now = store_now_ns();

	c->work->kube_reachable = false;
	for (size_t i = 0; i < STORE_SRC_COUNT; i++) {
		struct src *o = &c->src[i];
		if (!store_src_is_kube(o->id) || !o->st.enabled)
			continue;
		if (o->st.state == MODEL_SOURCE_OK) {
			o->st.state = MODEL_SOURCE_STALE;
			o->st.stale = true;
			o->unreachable = true;
		}
		if (o->unreachable) {
			snprintf(o->st.last_error, sizeof o->st.last_error, "%s", text);
			o->st.last_error_ns = now;
		}
	}
	if (!c->kube_down) {
		store_event(c->p->st, STORE_EV_WARN, c->cfg.name, "kubernetes",
		            "Kubernetes API unreachable: %s", text);
		log_warn(LOG(c), "%s: Kubernetes API unreachable: %s", c->cfg.name, text);
	}
	c->kube_down = true;
	c->dirty = true;
}

/* The API server answered: the marks go and, after a silence, every watch
 * starts over (the ones in flight may sit on connections that died). */
static void kube_answers(struct cl *c)
{
	if (!c->work->kube_reachable)
		c->dirty = true;
	c->work->kube_reachable = true;
	if (!c->kube_down)
		return;
	c->kube_down = false;
	c->kube_reconnected = true;
	store_event(c->p->st, STORE_EV_INFO, c->cfg.name, "kubernetes",
	            "Kubernetes API answers again");
	for (size_t i = 0; i < STORE_SRC_COUNT; i++) {
		struct src *o = &c->src[i];
		if (!store_src_is_kube(o->id) || !o->unreachable)
			continue;
		o->st.state = o->st.failures ? fail_state(o, o->st.http_status) : MODEL_SOURCE_OK;
		o->st.stale = o->st.failures > 0;
		o->unreachable = false;
	}
}

/* What one finished Kubernetes request says about the API server. A
 * complete answer, or any error status: it answers. No status at all: the
 * probe goes now and decides (one reset path must not mark the whole API
 * server down). A body cut after a success status (a watch dropped
 * mid-stream) proves neither, so it changes nothing: counting it as an
 * answer made the state of a stopped server flip with every dropped watch. */
static void kube_observe(struct cl *c, int rc, const struct http_response *resp,
                         const struct http_error *err)
{
	if (rc == 0 || resp->status >= 300) {
		kube_answers(c);
	} else if (resp->status == 0 &&
	           (err->kind == HTTP_ERR_TRANSPORT || err->kind == HTTP_ERR_TIMEOUT)) {
		int64_t now = monotime_ms();
		if (c->probe_next_ms > now)
			c->probe_next_ms = now;
	}
}

static void src_ok(struct src *s, long http_status, bool changed)
{
	struct store_source *st = &s->st;
	bool was_bad = st->state != MODEL_SOURCE_OK;

	s->unreachable = false;
	if (s->kind == SK_STREAM)
		consul_unreachable(s->cl, false);

	if (st->failures > 0 && st->last_ok_ns != 0)
		store_event(s->cl->p->st, STORE_EV_INFO, s->cl->cfg.name, store_src_name(s->id),
		            "%s recovered", store_src_name(s->id));
	st->state = MODEL_SOURCE_OK;
	st->stale = false;
	st->failures = 0;
	st->http_status = http_status;
	st->last_ok_ns = store_now_ns();
	if (changed || was_bad)
		s->cl->dirty = true;
	else
		s->cl->soft = true;
}

static enum model_source_state fail_state(const struct src *s, long status)
{
	if (s->st.last_ok_ns != 0)
		return MODEL_SOURCE_STALE;
	if (status == 401 || status == 403)
		return MODEL_SOURCE_FORBIDDEN;
	if (status == 404 || status == 405)
		return MODEL_SOURCE_UNSUPPORTED;
	return MODEL_SOURCE_ERROR;
}

static void src_fail_text(struct src *s, long status, const char *text)
{
	struct cl *c = s->cl;
	struct store_source *st = &s->st;

	st->failures++;
	st->http_status = status;
	st->last_error_ns = store_now_ns();
	snprintf(st->last_error, sizeof st->last_error, "%s", text);
	st->state = fail_state(s, status);
	st->stale = st->last_ok_ns != 0;
	if (s->kind == SK_STREAM && status == 0)
		consul_unreachable(c, true);
	if (st->failures == 1) {
		store_event(c->p->st, STORE_EV_WARN, c->cfg.name, store_src_name(s->id), "%s: %s",
		            store_src_name(s->id), text);
		log_warn(LOG(c), "%s: %s: %s", c->cfg.name, store_src_name(s->id), text);
	}
	const struct poller_options *o = &c->p->o;
	long d = backoff_ms(st->failures, o->backoff_base_ms, o->backoff_max_ms, &c->rng);
	/* A server that says no keeps saying no: wait the longest. */
	if (st->state == MODEL_SOURCE_FORBIDDEN || st->state == MODEL_SOURCE_UNSUPPORTED)
		d = o->backoff_max_ms;
	src_schedule(s, d);
	c->dirty = true;
}

static void src_fail(struct src *s, const struct http_error *err)
{
	char buf[512];

	http_error_format(err, buf, sizeof buf);
	src_fail_text(s, err->status, buf);
}

static uint64_t body_hash(const char *b, size_t n)
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a */

	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)b[i];
		h *= 1099511628211ull;
	}
	return h;
}

/* True when BODY differs from what SLOT holds (and records it). */
static bool body_changed(struct src *slot, const char *body, size_t len)
{
	uint64_t h = body_hash(body ? body : "", body ? len : 0);

	if (slot->has_hash && slot->hash == h)
		return false;
	slot->hash = h;
	slot->has_hash = true;
	return true;
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
static struct store_part *decode_part(enum store_src id, const char *body, size_t len, char *err,
                                      size_t errlen, int *rc)
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
	default:
		snprintf(err, errlen, "no decoder for %s", store_src_name(id));
		return NULL;
	}
#undef DECODE
}

/* Points the working snapshot's field for ID at part P (NULL: empty). */
static void install(struct cl *c, enum store_src id, struct store_part *p, bool present)
{
	struct store_snapshot *w = c->work;
	enum store_src slot = id == STORE_SRC_STREAM ? STORE_SRC_PEERINGS : id;
	const void *d = store_hold(w, slot, p);
	const struct store_snapshot *empty = c->empty;

	switch (slot) {
	case STORE_SRC_PEERINGS:
		w->peerings = d ? d : empty->peerings;
		break;
	case STORE_SRC_GATEWAYS:
		w->gateways = d ? d : empty->gateways;
		break;
	case STORE_SRC_EXPORTS:
		w->exports = d ? d : empty->exports;
		w->has_exports = present && d;
		break;
	case STORE_SRC_MESH:
		w->mesh = d ? d : empty->mesh;
		w->has_mesh = present && d;
		break;
	case STORE_SRC_PROXY_DEFAULTS:
		w->proxy_defaults = d ? d : empty->proxy_defaults;
		w->has_proxy_defaults = present && d;
		break;
	case STORE_SRC_SERVICE_DEFAULTS:
		w->service_defaults = d ? d : empty->service_defaults;
		break;
	case STORE_SRC_SERVICES:
		w->services = d ? d : empty->services;
		break;
	case STORE_SRC_IDENTITY:
		w->identity = d ? d : empty->identity;
		w->has_identity = d != NULL;
		break;
	case STORE_SRC_KUBE_ACCEPTORS:
		w->acceptors = d ? d : empty->acceptors;
		break;
	case STORE_SRC_KUBE_DIALERS:
		w->dialers = d ? d : empty->dialers;
		break;
	case STORE_SRC_KUBE_MESHES:
		w->kube_meshes = d ? d : empty->kube_meshes;
		break;
	case STORE_SRC_KUBE_EXPORTS:
		w->kube_exports = d ? d : empty->kube_exports;
		break;
	case STORE_SRC_KUBE_PROXY_DEFAULTS:
		w->kube_proxy_defaults = d ? d : empty->kube_proxy_defaults;
		break;
	case STORE_SRC_KUBE_SECRETS:
		w->token_secrets = d ? d : empty->token_secrets;
		break;
	case STORE_SRC_KUBE_HELM:
		w->helm = d ? d : empty->helm;
		w->has_helm = present && d;
		break;
	default:
		break;
	}
}

static void consul_done(void *ctx, int rc, struct http_response *resp, struct http_error *err)
{
	struct src *s = ctx;
	struct cl *c = s->cl;
	struct consul_meta meta = {0};
	char why[384];
	int drc;

	s->x = NULL;
	c->work->consul_reachable = resp->status != 0;
	consul_meta_from_response(resp, &meta);
	bool absent = rc != 0 && resp->status == 404 && is_entry(s->id);
	if (rc != 0 && !absent) {
		/* Retry without blocking: a fetch that answers at once proves
		 * the recovery, where a long poll would sit stale until the
		 * next change. */
		s->index = 0;
		src_fail(s, err);
		return;
	}
	struct src *slot = &c->src[s->id == STORE_SRC_STREAM ? STORE_SRC_PEERINGS : s->id];
	bool changed = false;
	if (absent) {
		changed = body_changed(slot, NULL, 0);
		if (changed)
			install(c, s->id, NULL, false);
	} else if (body_changed(slot, resp->body, resp->body_len)) {
		struct store_part *p = decode_part(s->id, resp->body ? resp->body : "",
		                                   resp->body_len, why, sizeof why, &drc);
		if (drc != 0) {
			slot->has_hash = false;
			http_error_setf(err, HTTP_ERR_DECODE, "%s", why);
			src_fail(s, err);
			return;
		}
		install(c, s->id, p, true);
		store_part_unref(p);
		changed = true;
	}
	src_ok(s, resp->status, changed);
	if (s->kind == SK_STREAM) {
		/* The plain poll sees a restore first: the blocking queries of
		 * this cluster would otherwise wait for an index that is gone. */
		if (meta.index && meta.index < s->index)
			c->index_reset = true;
		s->index = meta.index;
		src_schedule(s, c->p->o.stream_interval_ms);
		return;
	}
	/* §5: start over when the index goes backwards, never block on 0. A 404
	 * without an index cannot block: poll it instead. */
	uint64_t prev = s->index;
	s->index = consul_next_index(s->index, meta.index);
	if (prev && !s->index)
		c->index_reset = true;
	if (absent && meta.index == 0)
		src_schedule(s, c->p->o.stream_interval_ms);
	else
		src_again(s);
}

static int consul_start(struct src *s, struct http_error *err)
{
	struct cl *c = s->cl;
	struct consul_query q = {0};

	if (s->kind == SK_CONSUL && s->index > 0) {
		q.index = s->index;
		q.wait_ms = c->p->o.wait_ms;
	}
	char *path = consul_path(c->cfg.consul, consul_endpoint(s->id), &q);
	if (!path) {
		http_error_setf(err, HTTP_ERR_NOMEM, "out of memory");
		return -1;
	}
	struct http_request req = {.path = path, .wait_ms = q.wait_ms};
	if (!q.wait_ms)
		req.timeout_ms = c->p->o.request_timeout_ms;
	s->x = http_multi_add(c->m, consul_http(c->cfg.consul), &req, consul_done, s, err);
	free(path);
	return s->x ? 0 : -1;
}

/* ----------------------------------------------------------------- identity */

static void identity_done(void *ctx, int rc, struct http_response *resp, struct http_error *err);

static int identity_request(struct src *s, const char *path, struct http_error *err)
{
	struct cl *c = s->cl;
	struct http_request req = {.path = path, .timeout_ms = c->p->o.request_timeout_ms};

	s->x = http_multi_add(c->m, consul_http(c->cfg.consul), &req, identity_done, s, err);
	return s->x ? 0 : -1;
}

static int identity_start(struct src *s, struct http_error *err)
{
	struct cl *c = s->cl;

	model_cluster_identity_clear(c->ident);
	s->step = 0;
	return identity_request(s, CONSUL_PATH_AGENT_SELF, err);
}

static void identity_finish(struct src *s)
{
	struct cl *c = s->cl;
	struct model_cluster_identity *id = calloc(1, sizeof *id);

	if (!id) {
		src_fail_text(s, 0, "out of memory");
		return;
	}
	/* Hand the assembled identity to a part; the scratch one starts empty. */
	*id = *c->ident;
	memset(c->ident, 0, sizeof *c->ident);
	consul_client_set_enterprise(c->cfg.consul, id->enterprise);
	bool changed = !c->work->has_identity ||
	               strcmp(c->work->identity->version ? c->work->identity->version : "",
	                      id->version ? id->version : "") != 0 ||
	               strcmp(c->work->identity->leader ? c->work->identity->leader : "",
	                      id->leader ? id->leader : "") != 0 ||
	               strcmp(c->work->identity->datacenter ? c->work->identity->datacenter : "",
	                      id->datacenter ? id->datacenter : "") != 0;
	struct store_part *p = store_part_identity(id);
	if (!p) {
		src_fail_text(s, 0, "out of memory");
		return;
	}
	install(c, STORE_SRC_IDENTITY, p, true);
	store_part_unref(p);
	src_ok(s, 200, changed);
	src_schedule(s, c->p->o.identity_interval_ms);
}

static void identity_done(void *ctx, int rc, struct http_response *resp, struct http_error *err)
{
	struct src *s = ctx;
	struct cl *c = s->cl;
	char why[384];
	int drc = 0;

	s->x = NULL;
	c->work->consul_reachable = resp->status != 0;
	/* agent/self needs agent:read; agent/version does not. */
	if (rc != 0 && s->step == 0 && (resp->status == 403 || resp->status == 404)) {
		s->step = 1;
		if (identity_request(s, CONSUL_PATH_AGENT_VERSION, err))
			src_fail(s, err);
		return;
	}
	if (rc != 0) {
		src_fail(s, err);
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
		src_fail(s, err);
		return;
	}
	if (s->step < 2) {
		s->step = 2;
		if (identity_request(s, CONSUL_PATH_LEADER, err))
			src_fail(s, err);
		return;
	}
	identity_finish(s);
}

/* --------------------------------------------------------------------- CRDs */

static void crds_done(void *ctx, int rc, struct http_response *resp, struct http_error *err);

static int crds_request(struct src *s, const char *path, struct http_error *err)
{
	struct cl *c = s->cl;
	struct http_request req = {.path = path, .timeout_ms = c->p->o.request_timeout_ms};

	s->x = http_multi_add(c->m, c->cfg.kube, &req, crds_done, s, err);
	return s->x ? 0 : -1;
}

static int crds_start(struct src *s, struct http_error *err)
{
	kube_discovery_clear(&s->cl->disc);
	s->step = 0;
	return crds_request(s, "/apis/" KUBE_GROUP, err);
}

static void crds_finish(struct src *s)
{
	struct cl *c = s->cl;
	const struct kube_discovery *d = &c->disc;
	struct store_crds crds = {.group_served = d->group_served};

	snprintf(crds.version, sizeof crds.version, "%s",
	         d->preferred_version ? d->preferred_version : "");
	crds.peering_acceptors = d->served[KUBE_PEERING_ACCEPTOR];
	crds.peering_dialers = d->served[KUBE_PEERING_DIALER];
	crds.meshes = d->served[KUBE_MESH];
	crds.exported_services = d->served[KUBE_EXPORTED_SERVICES];
	crds.proxy_defaults = d->served[KUBE_PROXY_DEFAULTS];
	crds.service_defaults = d->served[KUBE_SERVICE_DEFAULTS];
	bool changed = memcmp(&crds, &c->work->crds, sizeof crds) != 0;
	c->work->crds = crds;
	src_ok(s, 200, changed);
	src_schedule(s, c->p->o.identity_interval_ms);
}

static void crds_done(void *ctx, int rc, struct http_response *resp, struct http_error *err)
{
	struct src *s = ctx;
	struct cl *c = s->cl;
	char why[384], path[128];

	s->x = NULL;
	kube_observe(c, rc, resp, err);
	if (rc != 0 && s->step == 0 && resp->status == 404) {
		crds_finish(s); /* the group is not served at all */
		return;
	}
	if (rc != 0) {
		src_fail(s, err);
		return;
	}
	const char *b = resp->body ? resp->body : "";
	int drc = s->step == 0 ? kube_discovery_decode_group(b, resp->body_len, &c->disc, why,
	                                                     sizeof why)
	                       : kube_discovery_decode_resources(b, resp->body_len, &c->disc, why,
	                                                         sizeof why);
	if (drc != 0) {
		http_error_setf(err, HTTP_ERR_DECODE, "%s", why);
		src_fail(s, err);
		return;
	}
	if (s->step == 0 && c->disc.group_served && c->disc.preferred_version &&
	    *c->disc.preferred_version) {
		s->step = 1;
		snprintf(path, sizeof path, "/apis/%s/%s", KUBE_GROUP, c->disc.preferred_version);
		if (crds_request(s, path, err))
			src_fail(s, err);
		return;
	}
	crds_finish(s);
}

/* --------------------------------------------------------- Kubernetes sources */

static void kobj_free(void *data)
{
	struct kube_object *o = data;

	kube_object_clear(o);
	free(o);
}

static void objs_clear(struct src *s)
{
	for (size_t i = 0; i < s->nobjs; i++)
		store_part_unref(s->objs[i]);
	s->nobjs = 0;
}

static const struct model_kube_meta *obj_meta(struct store_part *p)
{
	return kube_object_meta(store_part_data(p));
}

static bool same_object(const struct model_kube_meta *a, const struct model_kube_meta *b)
{
	return strcmp(a->name ? a->name : "", b->name ? b->name : "") == 0 &&
	       strcmp(a->ns ? a->ns : "", b->ns ? b->ns : "") == 0;
}

/* Takes OBJ over (its content moves into a new part; OBJ is zeroed) and
 * puts it in place of the object with the same namespace and name. */
static int objs_put(struct src *s, struct kube_object *obj)
{
	struct kube_object *o = malloc(sizeof *o);

	if (!o)
		return -1;
	memcpy(o, obj, sizeof *o);
	memset(&obj->u, 0, sizeof obj->u);
	struct store_part *p = store_part_new(o, kobj_free);
	if (!p)
		return -1;
	const struct model_kube_meta *m = kube_object_meta(o);
	for (size_t i = 0; i < s->nobjs; i++) {
		if (same_object(obj_meta(s->objs[i]), m)) {
			store_part_unref(s->objs[i]);
			s->objs[i] = p;
			return 0;
		}
	}
	if (s->nobjs == s->capobjs) {
		size_t cap = s->capobjs ? s->capobjs * 2 : 8;
		struct store_part **v = realloc(s->objs, cap * sizeof *v);
		if (!v) {
			store_part_unref(p);
			return -1;
		}
		s->objs = v;
		s->capobjs = cap;
	}
	s->objs[s->nobjs++] = p;
	return 0;
}

static void objs_del(struct src *s, const struct kube_object *obj)
{
	const struct model_kube_meta *m = kube_object_meta(obj);

	for (size_t i = 0; i < s->nobjs; i++) {
		if (same_object(obj_meta(s->objs[i]), m)) {
			store_part_unref(s->objs[i]);
			s->objs[i] = s->objs[--s->nobjs];
			return;
		}
	}
}

/* A published list of custom resources: shallow copies of the objects'
 * structs, whose strings stay owned by the per-object parts held here. */
struct klist {
	union {
		struct store_kube_peerings peerings;
		struct store_kube_secrets secrets;
		struct store_kube_meshes meshes;
		struct store_kube_exports exports;
		struct store_kube_proxy_defaults proxy_defaults;
	} u;
	void *buf;
	struct store_part **holds;
	size_t n;
};

static void klist_free(void *data)
{
	struct klist *k = data;

	for (size_t i = 0; i < k->n; i++)
		store_part_unref(k->holds[i]);
	free(k->holds);
	free(k->buf);
	free(k);
}

static size_t kind_size(enum kube_kind kind)
{
	switch (kind) {
	case KUBE_PEERING_ACCEPTOR:
	case KUBE_PEERING_DIALER:
		return sizeof(struct model_kube_peering);
	case KUBE_SECRET:
		return sizeof(struct model_kube_secret);
	case KUBE_MESH:
		return sizeof(struct model_kube_mesh);
	case KUBE_EXPORTED_SERVICES:
		return sizeof(struct model_kube_exported_services);
	case KUBE_PROXY_DEFAULTS:
		return sizeof(struct model_kube_proxy_defaults);
	default:
		return 0;
	}
}

static void klist_point(struct klist *k, enum kube_kind kind)
{
	switch (kind) {
	case KUBE_PEERING_ACCEPTOR:
	case KUBE_PEERING_DIALER:
		k->u.peerings.v = k->buf;
		k->u.peerings.n = k->n;
		break;
	case KUBE_SECRET:
		k->u.secrets.v = k->buf;
		k->u.secrets.n = k->n;
		break;
	case KUBE_MESH:
		k->u.meshes.v = k->buf;
		k->u.meshes.n = k->n;
		break;
	case KUBE_EXPORTED_SERVICES:
		k->u.exports.v = k->buf;
		k->u.exports.n = k->n;
		break;
	case KUBE_PROXY_DEFAULTS:
		k->u.proxy_defaults.v = k->buf;
		k->u.proxy_defaults.n = k->n;
		break;
	default:
		break;
	}
}

static int klist_install(struct cl *c, struct src *s)
{
	size_t esz = kind_size(s->kkind);
	struct klist *k = calloc(1, sizeof *k);

	if (!k)
		return -1;
	k->buf = calloc(s->nobjs ? s->nobjs : 1, esz);
	k->holds = calloc(s->nobjs ? s->nobjs : 1, sizeof *k->holds);
	if (!k->buf || !k->holds) {
		klist_free(k);
		return -1;
	}
	for (size_t i = 0; i < s->nobjs; i++) {
		const struct kube_object *o = store_part_data(s->objs[i]);
		memcpy((char *)k->buf + i * esz, &o->u, esz);
		k->holds[k->n++] = store_part_ref(s->objs[i]);
	}
	klist_point(k, s->kkind);
	struct store_part *p = store_part_new(k, klist_free);
	if (!p)
		return -1;
	install(c, s->id, p, true);
	store_part_unref(p);
	s->objs_changed = false;
	return 0;
}

static const char *kube_selector(const struct src *s)
{
	return s->kkind == KUBE_SECRET ? TOKEN_SELECTOR : NULL;
}

static const char *kube_ns(const struct cl *c)
{
	return c->cfg.ns && *c->cfg.ns ? c->cfg.ns : NULL;
}

static void kube_list_done(void *ctx, int rc, struct http_response *resp, struct http_error *err)
{
	struct src *s = ctx;
	struct cl *c = s->cl;
	struct kube_list list = {0};
	char why[384];

	s->x = NULL;
	kube_observe(c, rc, resp, err);
	if (rc != 0) {
		src_fail(s, err);
		return;
	}
	if (kube_list_decode(s->kkind, resp->body ? resp->body : "", resp->body_len, &list, why,
	                     sizeof why)) {
		http_error_setf(err, HTTP_ERR_DECODE, "%s", why);
		src_fail(s, err);
		return;
	}
	objs_clear(s);
	for (size_t i = 0; i < list.n; i++) {
		if (objs_put(s, &list.items[i])) {
			kube_list_clear(&list);
			src_fail_text(s, 0, "out of memory");
			return;
		}
	}
	free(s->rv);
	s->rv = list.resource_version;
	list.resource_version = NULL;
	kube_list_clear(&list);
	s->listed = true;
	s->objs_changed = true;
	src_ok(s, resp->status, true);
	src_again(s);
}

static int kube_event(struct kube_event *ev, void *ctx)
{
	struct src *s = ctx;

	switch (ev->type) {
	case KUBE_EVENT_ADDED:
	case KUBE_EVENT_MODIFIED:
		if (objs_put(s, &ev->object))
			return -1;
		s->objs_changed = true;
		s->cl->dirty = true;
		return 0;
	case KUBE_EVENT_DELETED:
		objs_del(s, &ev->object);
		s->objs_changed = true;
		s->cl->dirty = true;
		return 0;
	case KUBE_EVENT_BOOKMARK:
		return 0;
	case KUBE_EVENT_ERROR:
		/* 410 and friends: stop here, the done callback relists. */
		return 1;
	}
	return 0;
}

static int kube_chunk(void *ctx, const char *data, size_t len)
{
	struct src *s = ctx;
	char why[256];

	int rc = kube_watch_parser_feed(s->wp, data, len, kube_event, s, why, sizeof why);
	if (rc < 0)
		log_warn(LOG(s->cl), "%s: %s watch: %s", s->cl->cfg.name, store_src_name(s->id),
		         why);
	return rc;
}

static void watch_end(struct src *s)
{
	const char *rv = kube_watch_parser_resource_version(s->wp);

	if (kube_watch_parser_expired(s->wp)) {
		s->listed = false; /* too old a resourceVersion: list again */
		s->resume = false;
	} else if (rv && *rv) {
		char *copy = strdup(rv);
		if (copy) {
			free(s->rv);
			s->rv = copy;
		}
	}
	kube_watch_parser_free(s->wp);
	s->wp = NULL;
}

static void kube_watch_done(void *ctx, int rc, struct http_response *resp, struct http_error *err)
{
	struct src *s = ctx;
	struct cl *c = s->cl;
	char why[256];

	s->x = NULL;
	kube_observe(c, rc, resp, err);
	if (rc == 0 && kube_watch_parser_finish(s->wp, kube_event, s, why, sizeof why) < 0 &&
	    !kube_watch_parser_expired(s->wp)) {
		http_error_setf(err, HTTP_ERR_DECODE, "%s", why);
		rc = -1;
	}
	bool expired = kube_watch_parser_expired(s->wp) || resp->status == 410;
	watch_end(s);
	if (expired) {
		/* The changes since rv are gone from the server's history: only
		 * a list tells what exists now, deletions included. */
		store_event(c->p->st, STORE_EV_INFO, c->cfg.name, store_src_name(s->id),
		            "%s: resourceVersion expired (410), listing again",
		            store_src_name(s->id));
		s->listed = false;
		s->resume = false;
		src_again(s);
		return;
	}
	if (rc != 0 && err->kind != HTTP_ERR_CALLBACK) {
		/* Resume from rv: the server replays what happened meanwhile,
		 * or answers 410 and the source lists again. */
		s->resume = s->rv && *s->rv;
		s->listed = s->resume;
		src_fail(s, err);
		return;
	}
	if (rc != 0) {
		/* The stream could not be parsed: start over from a list. */
		s->listed = false;
		s->resume = false;
		src_fail(s, err);
		return;
	}
	s->resume = false;
	src_ok(s, resp->status, s->objs_changed);
	src_again(s);
}

static int kube_start(struct src *s, struct http_error *err)
{
	struct cl *c = s->cl;
	char path[1024], why[256], query[256] = "";
	struct http_request req = {0};

	if (!s->listed) {
		const char *sel = kube_selector(s);
		if (sel) {
			char *e = http_escape(sel);
			if (!e) {
				http_error_setf(err, HTTP_ERR_NOMEM, "out of memory");
				return -1;
			}
			snprintf(query, sizeof query, "labelSelector=%s", e);
			free(e);
		}
		if (kube_path(path, sizeof path, s->kkind, kube_ns(c), NULL, sel ? query : NULL,
		              why, sizeof why)) {
			http_error_setf(err, HTTP_ERR_USAGE, "%s", why);
			return -1;
		}
		req.path = path;
		req.timeout_ms = c->p->o.request_timeout_ms;
		s->x = http_multi_add(c->m, c->cfg.kube, &req, kube_list_done, s, err);
		return s->x ? 0 : -1;
	}
	int tmo = s->resume ? 1 : c->p->o.watch_timeout_s;
	if (kube_watch_path(path, sizeof path, s->kkind, kube_ns(c), s->rv, kube_selector(s), tmo,
	                    why, sizeof why)) {
		http_error_setf(err, HTTP_ERR_USAGE, "%s", why);
		return -1;
	}
	s->wp = kube_watch_parser_new(s->kkind, 0);
	if (!s->wp) {
		http_error_setf(err, HTTP_ERR_NOMEM, "out of memory");
		return -1;
	}
	req.path = path;
	req.wait_ms = (long)tmo * 1000;
	req.on_chunk = kube_chunk;
	req.chunk_ctx = s;
	s->x = http_multi_add(c->m, c->cfg.kube, &req, kube_watch_done, s, err);
	if (!s->x) {
		kube_watch_parser_free(s->wp);
		s->wp = NULL;
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------ Helm release */

static void helm_done(void *ctx, int rc, struct http_response *resp, struct http_error *err);

/* NAME NULL: the list of deployed release Secrets; else that Secret. */
static int helm_request(struct src *s, const char *name, struct http_error *err)
{
	struct cl *c = s->cl;
	char path[512], why[256];

	if (kube_path(path, sizeof path, KUBE_SECRET, c->cfg.release_ns, name,
	              name ? NULL : "labelSelector=owner%3Dhelm%2Cstatus%3Ddeployed", why,
	              sizeof why)) {
		http_error_setf(err, HTTP_ERR_USAGE, "%s", why);
		return -1;
	}
	struct http_request req = {.path = path, .timeout_ms = c->p->o.request_timeout_ms};
	s->x = http_multi_add(c->m, c->cfg.kube, &req, helm_done, s, err);
	return s->x ? 0 : -1;
}

static int helm_start(struct src *s, struct http_error *err)
{
	struct cl *c = s->cl;

	model_strv_clear(&c->helm_names);
	model_kube_helm_clear(c->helm);
	s->step = 0;
	return helm_request(s, NULL, err);
}

static void helm_finish(struct src *s)
{
	struct cl *c = s->cl;
	struct model_kube_helm *h = calloc(1, sizeof *h);

	if (!h) {
		src_fail_text(s, 0, "out of memory");
		return;
	}
	*h = *c->helm;
	memset(c->helm, 0, sizeof *c->helm);
	bool found = h->release != NULL;
	const struct model_kube_helm *old = c->work->helm;
	bool changed = found != c->work->has_helm ||
	               (found && (h->revision != old->revision ||
	                          strcmp(h->release, old->release ? old->release : "") != 0));
	struct store_part *p = store_part_helm(h);
	if (!p) {
		src_fail_text(s, 0, "out of memory");
		return;
	}
	install(s->cl, STORE_SRC_KUBE_HELM, p, found);
	store_part_unref(p);
	src_ok(s, 200, changed);
	src_schedule(s, c->p->o.identity_interval_ms);
}

static void helm_list(struct cl *c, const char *body, size_t len, struct src *s,
                      struct http_error *err)
{
	struct kube_list list = {0};
	char why[384];

	if (kube_list_decode(KUBE_SECRET, body, len, &list, why, sizeof why)) {
		http_error_setf(err, HTTP_ERR_DECODE, "%s", why);
		src_fail(s, err);
		return;
	}
	for (size_t i = 0; i < list.n; i++)
		if (model_strv_push(&c->helm_names, list.items[i].u.secret.meta.name))
			break;
	kube_list_clear(&list);
}

/* Keeps the release in BODY when it is the consul chart's newest so far;
 * other charts' releases do not decode and are skipped. */
static void helm_release(struct cl *c, const char *body, size_t len)
{
	struct model_kube_helm h;
	char why[384];

	if (kube_helm_decode(body, len, &h, why, sizeof why) != 0)
		return;
	if (h.revision > c->helm->revision) {
		model_kube_helm_clear(c->helm);
		*c->helm = h;
	} else {
		model_kube_helm_clear(&h);
	}
}

static void helm_done(void *ctx, int rc, struct http_response *resp, struct http_error *err)
{
	struct src *s = ctx;
	struct cl *c = s->cl;
	const char *b = resp->body ? resp->body : "";
	unsigned failures = s->st.failures;

	s->x = NULL;
	kube_observe(c, rc, resp, err);
	if (rc != 0) {
		src_fail(s, err);
		return;
	}
	if (s->step == 0)
		helm_list(c, b, resp->body_len, s, err);
	else
		helm_release(c, b, resp->body_len);
	/* A release Secret holds every value of the chart: none stays around. */
	if (resp->body)
		explicit_bzero(resp->body, resp->body_len);
	if (s->st.failures > failures)
		return; /* the list could not be decoded */
	s->step++;
	if ((size_t)s->step > c->helm_names.n) {
		helm_finish(s);
		return;
	}
	if (helm_request(s, c->helm_names.v[s->step - 1], err))
		src_fail(s, err);
}

/* ------------------------------------------------------- Kubernetes liveness */

static void probe_done(void *ctx, int rc, struct http_response *resp, struct http_error *err)
{
	struct cl *c = ctx;
	char buf[384];

	(void)rc; /* any status is an answer, 401 and 404 included */
	c->probe = NULL;
	c->probe_next_ms = monotime_ms() + c->p->o.stream_interval_ms;
	if (resp->status != 0) {
		kube_answers(c);
		return;
	}
	http_error_format(err, buf, sizeof buf);
	kube_unreachable(c, buf);
}

/* Watches stay silent while nothing changes, so they cannot tell a quiet
 * API server from a dead one: the probe can, every stream interval. */
static void probe_tick(struct cl *c, int64_t now)
{
	struct http_request req = {.path = KUBE_PROBE_PATH,
	                           .timeout_ms = c->p->o.request_timeout_ms};
	struct http_error err;

	if (!c->cfg.kube || !c->cfg.context || !*c->cfg.context || c->probe ||
	    c->probe_next_ms > now)
		return;
	http_error_clear(&err);
	c->probe = http_multi_add(c->m, c->cfg.kube, &req, probe_done, c, &err);
	if (!c->probe) {
		c->probe_next_ms = now + c->p->o.stream_interval_ms;
		log_warn(LOG(c), "%s: Kubernetes probe: %s", c->cfg.name, err.message);
	}
}

/* The API server answers again after a silence: every watch starts over
 * from its resourceVersion, every source in a backoff retries now. */
static void restart_watches(struct cl *c)
{
	int64_t now = monotime_ms();

	c->kube_reconnected = false;
	for (size_t i = 0; i < STORE_SRC_COUNT; i++) {
		struct src *s = &c->src[i];
		if (!store_src_is_kube(s->id) || !s->st.enabled)
			continue;
		if (s->x && s->kind == SK_KUBE && s->wp) {
			http_multi_remove(c->m, s->x);
			s->x = NULL;
			watch_end(s);
			s->next_ms = now;
		} else if (!s->x && s->next_ms != NEVER) {
			s->next_ms = now; /* NEVER: no client, nothing to retry */
		}
	}
}

/* ---------------------------------------------------------- the source table */

static const struct {
	enum store_src id;
	enum src_kind kind;
	enum kube_kind kkind;
} src_table[STORE_SRC_COUNT] = {
        {STORE_SRC_IDENTITY, SK_IDENTITY, 0},
        {STORE_SRC_PEERINGS, SK_CONSUL, 0},
        {STORE_SRC_STREAM, SK_STREAM, 0},
        {STORE_SRC_GATEWAYS, SK_CONSUL, 0},
        {STORE_SRC_EXPORTS, SK_CONSUL, 0},
        {STORE_SRC_MESH, SK_CONSUL, 0},
        {STORE_SRC_PROXY_DEFAULTS, SK_CONSUL, 0},
        {STORE_SRC_SERVICE_DEFAULTS, SK_CONSUL, 0},
        {STORE_SRC_SERVICES, SK_CONSUL, 0},
        {STORE_SRC_KUBE_CRDS, SK_CRDS, 0},
        {STORE_SRC_KUBE_ACCEPTORS, SK_KUBE, KUBE_PEERING_ACCEPTOR},
        {STORE_SRC_KUBE_DIALERS, SK_KUBE, KUBE_PEERING_DIALER},
        {STORE_SRC_KUBE_MESHES, SK_KUBE, KUBE_MESH},
        {STORE_SRC_KUBE_EXPORTS, SK_KUBE, KUBE_EXPORTED_SERVICES},
        {STORE_SRC_KUBE_PROXY_DEFAULTS, SK_KUBE, KUBE_PROXY_DEFAULTS},
        {STORE_SRC_KUBE_SECRETS, SK_KUBE, KUBE_SECRET},
        {STORE_SRC_KUBE_HELM, SK_HELM, KUBE_SECRET},
};

static int src_start(struct src *s, struct http_error *err)
{
	switch (s->kind) {
	case SK_CONSUL:
	case SK_STREAM:
		return consul_start(s, err);
	case SK_IDENTITY:
		return identity_start(s, err);
	case SK_CRDS:
		return crds_start(s, err);
	case SK_KUBE:
		return kube_start(s, err);
	case SK_HELM:
		return helm_start(s, err);
	}
	return -1;
}

/* Re-requests of long polls and watches go through the bucket; timers and
 * retries after a failure do not. */
static bool uses_bucket(const struct src *s)
{
	return (s->kind == SK_CONSUL || s->kind == SK_KUBE) && s->st.failures == 0;
}

static void src_tick(struct src *s, int64_t now)
{
	struct http_error err;

	if (!s->st.enabled || s->x || s->next_ms > now)
		return;
	if (uses_bucket(s)) {
		long w = backoff_bucket_take(&s->bucket, now);
		if (w > 0) {
			s->next_ms = now + w;
			return;
		}
	}
	http_error_clear(&err);
	s->next_ms = NEVER;
	if (src_start(s, &err) != 0)
		src_fail(s, &err);
}

/* ------------------------------------------------------------------ publish */

static const struct model_peering *find_peering(const struct model_peering_list *l,
                                                const char *name)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i].name, name) == 0)
			return &l->v[i];
	return NULL;
}

/* State changes of peerings, for the activity log. */
static void diff_peerings(struct cl *c, const struct store_snapshot *old,
                          const struct store_snapshot *new)
{
	struct store *st = c->p->st;

	if (!old || old->sources[STORE_SRC_PEERINGS].last_ok_ns == 0 ||
	    old->peerings == new->peerings)
		return;
	for (size_t i = 0; i < new->peerings->n; i++) {
		const struct model_peering *p = &new->peerings->v[i];
		const struct model_peering *o = find_peering(old->peerings, p->name);
		if (!o)
			store_event(st, STORE_EV_INFO, c->cfg.name, p->name,
			            "peering %s appeared (%s)", p->name,
			            model_peering_state_name(p->state));
		else if (o->state != p->state)
			store_event(st,
			            p->state == MODEL_PEERING_FAILING ||
			                            p->state == MODEL_PEERING_TERMINATED
			                    ? STORE_EV_WARN
			                    : STORE_EV_INFO,
			            c->cfg.name, p->name, "peering %s %s -> %s", p->name,
			            model_peering_state_name(o->state),
			            model_peering_state_name(p->state));
	}
	for (size_t i = 0; i < old->peerings->n; i++) {
		const struct model_peering *o = &old->peerings->v[i];
		if (!find_peering(new->peerings, o->name))
			store_event(st, STORE_EV_INFO, c->cfg.name, o->name, "peering %s removed",
			            o->name);
	}
}

static const struct model_service_instance *find_gateway(const struct model_instance_list *l,
                                                         const char *id)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i].service_id, id) == 0)
			return &l->v[i];
	return NULL;
}

/* Mesh gateways registered, deregistered or changing health. */
static void diff_gateways(struct cl *c, const struct store_snapshot *old,
                          const struct store_snapshot *new)
{
	struct store *st = c->p->st;

	if (!old || old->sources[STORE_SRC_GATEWAYS].last_ok_ns == 0 ||
	    old->gateways == new->gateways)
		return;
	for (size_t i = 0; i < new->gateways->n; i++) {
		const struct model_service_instance *g = &new->gateways->v[i];
		const struct model_service_instance *o = find_gateway(old->gateways, g->service_id);
		if (!o)
			store_event(st, STORE_EV_INFO, c->cfg.name, g->service_id,
			            "mesh gateway %s registered (%s)", g->service_id,
			            model_health_name(g->health));
		else if (o->health != g->health)
			store_event(st,
			            g->health == MODEL_HEALTH_PASSING ? STORE_EV_INFO
			                                              : STORE_EV_WARN,
			            c->cfg.name, g->service_id, "mesh gateway %s %s -> %s",
			            g->service_id, model_health_name(o->health),
			            model_health_name(g->health));
	}
	for (size_t i = 0; i < old->gateways->n; i++) {
		const struct model_service_instance *o = &old->gateways->v[i];
		if (!find_gateway(new->gateways, o->service_id))
			store_event(st, STORE_EV_WARN, c->cfg.name, o->service_id,
			            "mesh gateway %s deregistered", o->service_id);
	}
}

static void publish(struct cl *c)
{
	for (size_t i = 0; i < STORE_SRC_COUNT; i++) {
		struct src *s = &c->src[i];
		if (s->kind == SK_KUBE && s->objs_changed && klist_install(c, s))
			log_error(LOG(c), "%s: out of memory publishing %s", c->cfg.name,
			          store_src_name(s->id));
		c->work->sources[i] = s->st;
	}
	struct store_snapshot *snap = store_snapshot_derive(c->work);
	if (!snap) {
		log_error(LOG(c), "%s: out of memory publishing a snapshot", c->cfg.name);
		return;
	}
	diff_peerings(c, c->last, snap);
	diff_gateways(c, c->last, snap);
	store_snapshot_unref(c->last);
	c->last = store_snapshot_ref(snap);
	store_publish(c->p->st, snap);
	c->dirty = false;
	c->soft = false;
	c->last_pub_ms = monotime_ms();
}

/* ------------------------------------------------------------------ thread */

static void refresh_all(struct cl *c, int64_t now)
{
	for (size_t i = 0; i < STORE_SRC_COUNT; i++) {
		struct src *s = &c->src[i];
		if (s->st.enabled && !s->x)
			s->next_ms = now;
	}
	if (!c->probe)
		c->probe_next_ms = now;
}

static long next_wait(struct cl *c, int64_t now)
{
	int64_t next = now + POLL_CAP_MS;

	for (size_t i = 0; i < STORE_SRC_COUNT; i++) {
		const struct src *s = &c->src[i];
		if (s->st.enabled && !s->x && s->next_ms < next)
			next = s->next_ms;
	}
	/* Only success times changed: publish them at most once per stream
	 * interval, so idle clusters do not wake the UI for nothing. */
	if (c->probe_next_ms < next && !c->probe && c->cfg.kube)
		next = c->probe_next_ms;
	if (c->soft) {
		int64_t due = c->last_pub_ms + c->p->o.stream_interval_ms;
		if (due < next)
			next = due;
	}
	return next <= now ? 0 : (long)(next - now);
}

/* A snapshot restore or a Consul restart moved the raft index back, or
 * Consul answers again after a silence (long polls may hang on connections
 * that died): every blocking query starts over. */
static void restart_queries(struct cl *c)
{
	int64_t now = monotime_ms();

	if (c->index_reset)
		store_event(
		        c->p->st, STORE_EV_WARN, c->cfg.name, "consul",
		        "Consul's index went backwards (restore or restart): queries restarted");
	c->index_reset = false;
	c->reconnected = false;
	for (size_t i = 0; i < STORE_SRC_COUNT; i++) {
		struct src *s = &c->src[i];
		if (s->kind != SK_CONSUL || !s->st.enabled)
			continue;
		if (s->x) {
			http_multi_remove(c->m, s->x);
			s->x = NULL;
		}
		s->index = 0;
		s->next_ms = now;
	}
}

static void *cl_main(void *arg)
{
	struct cl *c = arg;
	struct poller *p = c->p;

	publish(c); /* the cluster exists, nothing answered yet */
	while (!atomic_load(&p->stop)) {
		int64_t now = monotime_ms();
		if (atomic_exchange(&c->refresh, false))
			refresh_all(c, now);
		for (size_t i = 0; i < STORE_SRC_COUNT; i++)
			src_tick(&c->src[i], now);
		probe_tick(c, now);
		if (c->dirty)
			publish(c);
		if (http_multi_run(c->m, next_wait(c, monotime_ms())) < 0) {
			log_error(LOG(c), "%s: libcurl's multi interface failed", c->cfg.name);
			break;
		}
		if (atomic_load(&p->stop))
			break;
		if (c->index_reset || c->reconnected)
			restart_queries(c);
		if (c->kube_reconnected)
			restart_watches(c);
		now = monotime_ms();
		if (c->dirty || (c->soft && now - c->last_pub_ms >= p->o.stream_interval_ms))
			publish(c);
	}
	return NULL;
}

/* ------------------------------------------------------------- start, stop */

static void opts_defaults(struct poller_options *o)
{
	if (o->wait_ms <= 0)
		o->wait_ms = POLLER_DEFAULT_WAIT_MS;
	if (o->stream_interval_ms <= 0)
		o->stream_interval_ms = POLLER_DEFAULT_STREAM_MS;
	if (o->identity_interval_ms <= 0)
		o->identity_interval_ms = POLLER_DEFAULT_IDENTITY_MS;
	if (o->backoff_base_ms <= 0)
		o->backoff_base_ms = POLLER_DEFAULT_BACKOFF_BASE_MS;
	if (o->backoff_max_ms <= 0)
		o->backoff_max_ms = POLLER_DEFAULT_BACKOFF_MAX_MS;
	if (o->watch_timeout_s <= 0)
		o->watch_timeout_s = POLLER_DEFAULT_WATCH_S;
	if (o->rate_burst == 0)
		o->rate_burst = POLLER_DEFAULT_RATE_BURST;
	if (o->rate_interval_ms <= 0)
		o->rate_interval_ms = POLLER_DEFAULT_RATE_MS;
	if (o->request_timeout_ms <= 0)
		o->request_timeout_ms = POLLER_DEFAULT_REQUEST_MS;
}

/* Sources that cannot run (no client) answer at once with the reason. */
static void src_setup(struct cl *c, struct src *s, size_t i, int64_t now)
{
	const struct poller_cluster *pc = &c->cfg;
	bool kube = store_src_is_kube(src_table[i].id);

	s->id = src_table[i].id;
	s->kind = src_table[i].kind;
	s->kkind = src_table[i].kkind;
	s->cl = c;
	s->next_ms = now;
	s->st.enabled = true;
	backoff_bucket_init(&s->bucket, c->p->o.rate_burst, c->p->o.rate_interval_ms, now);
	if (kube && (!pc->context || !*pc->context)) {
		s->st.enabled = false;
		return;
	}
	if (s->kind == SK_HELM && (!pc->release_ns || !*pc->release_ns)) {
		s->st.enabled = false;
		return;
	}
	const char *why =
	        kube ? (pc->kube ? NULL : pc->kube_error) : (pc->consul ? NULL : pc->consul_error);
	if (kube ? !pc->kube : !pc->consul) {
		s->st.state = MODEL_SOURCE_ERROR;
		s->st.failures = 1;
		s->st.last_error_ns = store_now_ns();
		snprintf(s->st.last_error, sizeof s->st.last_error, "%s",
		         why && *why ? why : "no client for this cluster");
		s->next_ms = NEVER;
	}
}

static int cl_init(struct poller *p, struct cl *c, size_t i, const struct poller_cluster *pc)
{
	int64_t now = monotime_ms();

	c->p = p;
	c->index = i;
	c->cfg = *pc;
	atomic_init(&c->refresh, false);
	c->rng = (uint64_t)store_now_ns() ^ ((uint64_t)(i + 1) << 32) ^ (uint64_t)(uintptr_t)c;
	c->m = http_multi_new();
	c->ident = calloc(1, sizeof *c->ident);
	c->helm = calloc(1, sizeof *c->helm);
	c->work = store_snapshot_new(i, pc->name, pc->context, pc->consul_address);
	c->empty = store_snapshot_new(i, "", "", "");
	if (!c->m || !c->ident || !c->helm || !c->work || !c->empty)
		return -1;
	c->work->readonly = pc->readonly;
	for (size_t k = 0; k < STORE_SRC_COUNT; k++)
		src_setup(c, &c->src[k], k, now);
	return 0;
}

static void cl_free(struct cl *c)
{
	http_multi_free(c->m);
	for (size_t i = 0; i < STORE_SRC_COUNT; i++) {
		struct src *s = &c->src[i];
		objs_clear(s);
		free(s->objs);
		free(s->rv);
		kube_watch_parser_free(s->wp);
	}
	if (c->ident) {
		model_cluster_identity_clear(c->ident);
		free(c->ident);
	}
	kube_discovery_clear(&c->disc);
	model_strv_clear(&c->helm_names);
	if (c->helm) {
		model_kube_helm_clear(c->helm);
		free(c->helm);
	}
	store_snapshot_unref(c->work);
	store_snapshot_unref(c->last);
	store_snapshot_unref(c->empty);
}

struct poller *poller_start(struct store *st, const struct poller_cluster *clusters, size_t n,
                            const struct poller_options *opt)
{
	struct poller *p = calloc(1, sizeof *p);

	if (!p)
		return NULL;
	p->st = st;
	if (opt)
		p->o = *opt;
	opts_defaults(&p->o);
	atomic_init(&p->stop, false);
	p->n = n;
	p->cl = calloc(n ? n : 1, sizeof *p->cl);
	if (!p->cl)
		goto fail;
	for (size_t i = 0; i < n; i++)
		if (cl_init(p, &p->cl[i], i, &clusters[i]))
			goto fail;
	for (size_t i = 0; i < n; i++) {
		if (pthread_create(&p->cl[i].thread, NULL, cl_main, &p->cl[i]) != 0)
			goto fail;
		p->cl[i].started = true;
	}
	return p;
fail:
	poller_stop(p);
	return NULL;
}

void poller_refresh(struct poller *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n; i++) {
		atomic_store(&p->cl[i].refresh, true);
		if (p->cl[i].m)
			http_multi_wakeup(p->cl[i].m);
	}
}

void poller_stop(struct poller *p)
{
	if (!p)
		return;
	atomic_store(&p->stop, true);
	for (size_t i = 0; p->cl && i < p->n; i++)
		if (p->cl[i].m)
			http_multi_wakeup(p->cl[i].m);
	for (size_t i = 0; p->cl && i < p->n; i++)
		if (p->cl[i].started)
			pthread_join(p->cl[i].thread, NULL);
	for (size_t i = 0; p->cl && i < p->n; i++)
		cl_free(&p->cl[i]);
	free(p->cl);
	free(p);
}
