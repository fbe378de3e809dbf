/* poller, Kubernetes sources: CRD discovery, list then watch of the custom
 * resources, the token Secrets and the consul-k8s controllers' Deployments,
 * the Helm release, and the API server's liveness probe. See
 * src/poller_src.h. */
#include "autoconfig.h"

#include "poller_src.h"

#include "peerscope/http.h"
#include "peerscope/kube.h"
#include "peerscope/log.h"
#include "peerscope/monotime.h"
#include "peerscope/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TOKEN_SELECTOR  MODEL_KUBE_TOKEN_LABEL "=true"
/* The Kubernetes liveness probe: cheap, served to every authenticated
 * client, and answered by the API server itself. */
#define KUBE_PROBE_PATH "/version"

/* ------------------------------------------------------------- reachability */

/* The API server did not answer (refused, reset before a status, timed
 * out): every Kubernetes source's data is stale from now on, with TEXT as
 * the reason, until some request gets an answer again. Watches in flight
 * may hang on a silent server until their own timeout, so their sources
 * are marked too. */
static void kube_unreachable(struct poller_cl *c, const char *text)
{
	int64_t now = store_now_ns();

	c->work->kube_reachable = false;
	for (size_t i = 0; i < STORE_SRC_COUNT; i++) {
		struct poller_src *o = &c->src[i];
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
		log_warn(poller_log(c), "%s: Kubernetes API unreachable: %s", c->cfg.name, text);
	}
	c->kube_down = true;
	c->dirty = true;
}

/* The API server answered: the marks go and, after a silence, every watch
 * starts over (the ones in flight may sit on connections that died). */
static void kube_answers(struct poller_cl *c)
{
	c->kube_heard_ms = monotime_ms();
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
		struct poller_src *o = &c->src[i];
		if (!store_src_is_kube(o->id) || !o->unreachable)
			continue;
		o->st.state =
		        o->st.failures ? poller_fail_state(o, o->st.http_status) : MODEL_SOURCE_OK;
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
void poller_kube_observe(struct poller_cl *c, int rc, const struct http_response *resp,
                         const struct http_error *err)
{
	if (rc == 0 || resp->status >= 300) {
		kube_answers(c);
	} else if (resp->status == 0 &&
	           (err->kind == HTTP_ERR_TRANSPORT || err->kind == HTTP_ERR_TIMEOUT)) {
		int64_t now = monotime_ms();
		if (c->probe_next_ms > now)
			c->probe_next_ms = now;
		c->probe_forced = true; /* what was heard before may be all there is */
	}
}

/* --------------------------------------------------------------------- CRDs */

static void crds_done(void *ctx, int rc, struct http_response *resp, struct http_error *err);

static int crds_request(struct poller_src *s, const char *path, struct http_error *err)
{
	struct poller_cl *c = s->cl;
	struct http_request req = {.path = path,
	                           .timeout_ms = c->p->o.request_timeout_ms,
	                           .max_body = KUBE_MAX_DISCOVERY};

	s->x = http_multi_add(c->m, c->cfg.kube, &req, crds_done, s, err);
	return s->x ? 0 : -1;
}

int poller_crds_start(struct poller_src *s, struct http_error *err)
{
	kube_discovery_clear(&s->cl->disc);
	s->step = 0;
	return crds_request(s, "/apis/" KUBE_GROUP, err);
}

static void crds_finish(struct poller_src *s)
{
	struct poller_cl *c = s->cl;
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
	crds.service_intentions = d->served[KUBE_SERVICE_INTENTIONS];
	bool changed = memcmp(&crds, &c->work->crds, sizeof crds) != 0;
	c->work->crds = crds;
	poller_src_ok(s, 200, changed);
	poller_src_every(s, c->p->o.identity_interval_ms);
}

static void crds_done(void *ctx, int rc, struct http_response *resp, struct http_error *err)
{
	struct poller_src *s = ctx;
	struct poller_cl *c = s->cl;
	char why[384], path[128];

	s->x = NULL;
	poller_kube_observe(c, rc, resp, err);
	if (rc != 0 && s->step == 0 && resp->status == 404) {
		crds_finish(s); /* the group is not served at all */
		return;
	}
	if (rc != 0) {
		poller_src_fail(s, err);
		return;
	}
	const char *b = resp->body ? resp->body : "";
	int drc = s->step == 0 ? kube_discovery_decode_group(b, resp->body_len, &c->disc, why,
	                                                     sizeof why)
	                       : kube_discovery_decode_resources(b, resp->body_len, &c->disc, why,
	                                                         sizeof why);
	if (drc != 0) {
		http_error_setf(err, HTTP_ERR_DECODE, "%s", why);
		poller_src_fail(s, err);
		return;
	}
	if (s->step == 0 && c->disc.group_served && c->disc.preferred_version &&
	    *c->disc.preferred_version) {
		s->step = 1;
		snprintf(path, sizeof path, "/apis/%s/%s", KUBE_GROUP, c->disc.preferred_version);
		if (crds_request(s, path, err))
			poller_src_fail(s, err);
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

static void objs_clear(struct poller_src *s)
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
static int objs_put(struct poller_src *s, struct kube_object *obj)
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

static void objs_del(struct poller_src *s, const struct kube_object *obj)
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
		struct store_kube_intentions intentions;
		struct store_kube_deployments deployments;
	} u;
	void *buf;
	struct store_part **holds;
	size_t n;
	char *refused; /* the Deployments' list: the API server's refusal, or "" */
};

static void klist_free(void *data)
{
	struct klist *k = data;

	for (size_t i = 0; i < k->n; i++)
		store_part_unref(k->holds[i]);
	free(k->holds);
	free(k->buf);
	free(k->refused);
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
	case KUBE_SERVICE_INTENTIONS:
		return sizeof(struct model_kube_service_intentions);
	case KUBE_DEPLOYMENT:
		return sizeof(struct model_kube_deployment);
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
	case KUBE_SERVICE_INTENTIONS:
		k->u.intentions.v = k->buf;
		k->u.intentions.n = k->n;
		break;
	case KUBE_DEPLOYMENT:
		k->u.deployments.v = k->buf;
		k->u.deployments.n = k->n;
		k->u.deployments.refused = k->refused;
		break;
	default:
		break;
	}
}

int poller_kube_list_install(struct poller_cl *c, struct poller_src *s)
{
	size_t esz = kind_size(s->kkind);
	struct klist *k = calloc(1, sizeof *k);

	if (!k)
		return -1;
	k->buf = calloc(s->nobjs ? s->nobjs : 1, esz);
	k->holds = calloc(s->nobjs ? s->nobjs : 1, sizeof *k->holds);
	k->refused = strdup(s->refused ? s->refused : "");
	if (!k->buf || !k->holds || !k->refused) {
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
	poller_install(c, s->id, p, true);
	store_part_unref(p);
	s->objs_changed = false;
	return 0;
}

static const char *kube_selector(const struct poller_src *s)
{
	return s->kkind == KUBE_SECRET       ? TOKEN_SELECTOR
	       : s->kkind == KUBE_DEPLOYMENT ? KUBE_INJECTOR_SELECTOR
	                                     : NULL;
}

/* The cluster's namespace; the chart's for its Deployments. NULL: all. */
static const char *kube_ns(const struct poller_src *s)
{
	const struct poller_cl *c = s->cl;
	const char *ns = s->kkind == KUBE_DEPLOYMENT ? c->cfg.release_ns : c->cfg.ns;

	return ns && *ns ? ns : NULL;
}

/* ---------------------------------------------- the controllers' Deployments */

/* The controllers' Deployments are read for a check: the API server
 * refusing to list them (403 from RBAC, 404) is the answer the check
 * quotes, never a failure of the cluster. It is asked again every identity
 * interval. True when RESP was such a refusal (S is then done). */
static bool list_refused(struct poller_src *s, const struct http_response *resp,
                         const struct http_error *err)
{
	char buf[sizeof err->message + 32];

	if (s->kkind != KUBE_DEPLOYMENT || (resp->status != 403 && resp->status != 404))
		return false;
	/* The server's words name the permission; the URL adds nothing. */
	snprintf(buf, sizeof buf, "HTTP %ld%s%s", resp->status, err->message[0] ? ": " : "",
	         err->message);
	if (s->nobjs || !s->refused || strcmp(s->refused, buf)) {
		char *text = strdup(buf);
		if (!text)
			return false;
		free(s->refused);
		s->refused = text;
		objs_clear(s);
		s->objs_changed = true;
	}
	s->listed = false;
	s->resume = false;
	s->watch_failing = false;
	poller_src_ok(s, resp->status, s->objs_changed);
	poller_src_every(s, s->cl->p->o.identity_interval_ms);
	return true;
}

/* A watch refused while the list was allowed ("list" without "watch" in a
 * Role): the list is polled every stream interval instead, and the watch
 * tried again after an identity interval. True when RESP was such a
 * refusal. */
static bool watch_refused(struct poller_src *s, const struct http_response *resp)
{
	struct poller_cl *c = s->cl;

	if (s->kkind != KUBE_DEPLOYMENT || resp->status != 403)
		return false;
	if (s->poll_until_ms == 0)
		log_warn(poller_log(c), "%s: %s: the watch is refused, polling the list instead",
		         c->cfg.name, store_src_name(s->id));
	s->poll_until_ms = monotime_ms() + c->p->o.identity_interval_ms;
	s->listed = false;
	s->resume = false;
	s->watch_failing = false;
	poller_src_ok(s, resp->status, s->objs_changed);
	poller_src_every(s, c->p->o.stream_interval_ms);
	return true;
}

/* After a list: watch from it, or, while the watch is refused, list again
 * after a stream interval. */
static void after_list(struct poller_src *s)
{
	if (s->poll_until_ms && monotime_ms() < s->poll_until_ms) {
		s->listed = false;
		poller_src_every(s, s->cl->p->o.stream_interval_ms);
		return;
	}
	s->poll_until_ms = 0;
	poller_src_again(s);
}

static void kube_list_done(void *ctx, int rc, struct http_response *resp, struct http_error *err)
{
	struct poller_src *s = ctx;
	struct poller_cl *c = s->cl;
	struct kube_list list = {0};
	char why[384];

	s->x = NULL;
	poller_kube_observe(c, rc, resp, err);
	if (rc != 0 && list_refused(s, resp, err))
		return;
	if (rc != 0) {
		poller_src_fail(s, err);
		return;
	}
	if (kube_list_decode(s->kkind, resp->body ? resp->body : "", resp->body_len, &list, why,
	                     sizeof why)) {
		http_error_setf(err, HTTP_ERR_DECODE, "%s", why);
		poller_src_fail(s, err);
		return;
	}
	objs_clear(s);
	for (size_t i = 0; i < list.n; i++) {
		if (objs_put(s, &list.items[i])) {
			kube_list_clear(&list);
			poller_src_fail_text(s, 0, "out of memory");
			return;
		}
	}
	free(s->rv);
	s->rv = list.resource_version;
	list.resource_version = NULL;
	kube_list_clear(&list);
	s->listed = true;
	s->objs_changed = true;
	free(s->refused);
	s->refused = NULL;
	if (s->watch_failing) {
		/* The list is fresh, but its watch keeps failing: the error and
		 * its backoff stay until a watch ends cleanly. */
		poller_src_data(s);
	} else {
		poller_src_ok(s, resp->status, true);
	}
	after_list(s);
}

static int kube_event(struct kube_event *ev, void *ctx)
{
	struct poller_src *s = ctx;

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
	struct poller_src *s = ctx;
	char why[256];

	s->cl->kube_heard_ms = monotime_ms(); /* an event or a bookmark: it answers */
	int rc = kube_watch_parser_feed(s->wp, data, len, kube_event, s, why, sizeof why);
	if (rc < 0)
		log_warn(poller_log(s->cl), "%s: %s watch: %s", s->cl->cfg.name,
		         store_src_name(s->id), why);
	return rc;
}

static void watch_end(struct poller_src *s)
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
	struct poller_src *s = ctx;
	struct poller_cl *c = s->cl;
	char why[256];

	s->x = NULL;
	poller_kube_observe(c, rc, resp, err);
	if (rc == 0 && kube_watch_parser_finish(s->wp, kube_event, s, why, sizeof why) < 0 &&
	    !kube_watch_parser_expired(s->wp)) {
		http_error_setf(err, HTTP_ERR_DECODE, "%s", why);
		rc = -1;
	}
	bool expired = kube_watch_parser_expired(s->wp) || resp->status == 410;
	watch_end(s);
	if (rc != 0 && watch_refused(s, resp))
		return;
	if (expired && ++s->expired == 1) {
		/* The changes since rv are gone from the server's history: only
		 * a list tells what exists now, deletions included. */
		store_event(c->p->st, STORE_EV_INFO, c->cfg.name, store_src_name(s->id),
		            "%s: resourceVersion expired (410), listing again",
		            store_src_name(s->id));
		s->listed = false;
		s->resume = false;
		poller_src_again(s);
		return;
	}
	if (expired) {
		/* 410 again right after a fresh list: a failure like any other,
		 * so that the backoff grows. */
		s->listed = false;
		s->resume = false;
		s->watch_failing = true;
		poller_src_fail_text(
		        s, 410,
		        "the watch keeps answering 410 (resourceVersion expired) right "
		        "after a fresh list");
		return;
	}
	if (rc != 0 && err->kind != HTTP_ERR_CALLBACK) {
		/* Resume from rv: the server replays what happened meanwhile,
		 * or answers 410 and the source lists again. */
		s->resume = s->rv && *s->rv;
		s->listed = s->resume;
		s->watch_failing = true;
		poller_src_fail(s, err);
		return;
	}
	if (rc != 0) {
		/* The stream could not be parsed: start over from a list. */
		s->listed = false;
		s->resume = false;
		s->watch_failing = true;
		poller_src_fail(s, err);
		return;
	}
	s->resume = false;
	s->watch_failing = false;
	s->expired = 0;
	poller_src_ok(s, resp->status, s->objs_changed);
	poller_src_again(s);
}

int poller_kube_start(struct poller_src *s, struct http_error *err)
{
	struct poller_cl *c = s->cl;
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
		if (kube_path(path, sizeof path, s->kkind, kube_ns(s), NULL, sel ? query : NULL,
		              why, sizeof why)) {
			http_error_setf(err, HTTP_ERR_USAGE, "%s", why);
			return -1;
		}
		req.path = path;
		req.timeout_ms = c->p->o.request_timeout_ms;
		req.max_body = KUBE_MAX_LIST;
		s->x = http_multi_add(c->m, c->cfg.kube, &req, kube_list_done, s, err);
		return s->x ? 0 : -1;
	}
	int tmo = s->resume ? 1 : c->p->o.watch_timeout_s;
	if (kube_watch_path(path, sizeof path, s->kkind, kube_ns(s), s->rv, kube_selector(s), tmo,
	                    why, sizeof why)) {
		http_error_setf(err, HTTP_ERR_USAGE, "%s", why);
		return -1;
	}
	s->wp = kube_watch_parser_new(s->kkind, KUBE_MAX_EVENT);
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
static void helm_meta_done(void *ctx, int rc, struct http_response *resp, struct http_error *err);

/* What the list of release Secrets is asked as: whole, or their metadata
 * alone, as client-go's metadata client asks (a server that cannot give it
 * gives the whole list, the next type the header accepts). */
static const struct http_header metadata_only = {
        "Accept", "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,"
                  "application/json"};

/* The list of the deployed release Secrets: whole, or (META) their
 * metadata alone. Whole, it is asked as it is: each release in it is
 * base64 of gzip already, which the API server's gzip (level 1, for a body
 * over 128 KiB) shrinks by 29 %, for a compression pass on the server and
 * 3.6 to 5.2 ms of inflating here a megabyte, where a LAN carries the
 * difference in a few milliseconds (the control plane's own clients
 * stopped asking for gzip for that reason, kubernetes/kubernetes#80919;
 * kubectl has --disable-compression). */
static int helm_request(struct poller_src *s, bool meta, struct http_error *err)
{
	struct poller_cl *c = s->cl;
	char path[512], why[256];

	if (kube_path(path, sizeof path, KUBE_SECRET, c->cfg.release_ns, NULL,
	              "labelSelector=owner%3Dhelm%2Cstatus%3Ddeployed", why, sizeof why)) {
		http_error_setf(err, HTTP_ERR_USAGE, "%s", why);
		return -1;
	}
	struct http_request req = {.path = path,
	                           .headers = meta ? &metadata_only : NULL,
	                           .nheaders = meta ? 1 : 0,
	                           .timeout_ms = c->p->o.request_timeout_ms,
	                           .max_body = KUBE_MAX_LIST,
	                           .identity = !meta};
	s->x = http_multi_add(c->m, c->cfg.kube, &req, meta ? helm_meta_done : helm_done, s, err);
	return s->x ? 0 : -1;
}

/* Once a release was read, a refresh asks for the Secrets' metadata first
 * (a kilobyte where the whole list is about one megabyte for each release
 * of the consul chart), and for the whole list only when they are not the
 * ones it was read from. */
int poller_helm_start(struct poller_src *s, struct http_error *err)
{
	struct poller_cl *c = s->cl;

	model_kube_helm_clear(c->helm);
	return helm_request(s, c->helm_key != 0, err);
}

/* Installs the release read (c->helm) when it differs from the one the
 * snapshot holds. False when memory ran out. */
static bool helm_finish(struct poller_src *s)
{
	struct poller_cl *c = s->cl;
	struct model_kube_helm *h = calloc(1, sizeof *h);

	if (!h) {
		poller_src_fail_text(s, 0, "out of memory");
		return false;
	}
	*h = *c->helm;
	memset(c->helm, 0, sizeof *c->helm);
	bool found = h->release != NULL;
	/* The same release again keeps the part held, as the identity does
	 * (poller_consul.c). */
	bool changed =
	        found != c->work->has_helm || (found && !model_kube_helm_same(c->work->helm, h));
	if (changed) {
		struct store_part *p = store_part_helm(h);
		if (!p) {
			poller_src_fail_text(s, 0, "out of memory");
			return false;
		}
		poller_install(s->cl, STORE_SRC_KUBE_HELM, p, found);
		store_part_unref(p);
	} else {
		model_kube_helm_clear(h);
		free(h);
	}
	poller_src_ok(s, 200, changed);
	poller_src_every(s, c->p->o.identity_interval_ms);
	return true;
}

/* The Secrets listed are the ones the release installed was read from. */
static void helm_unchanged(struct poller_src *s)
{
	poller_src_ok(s, 200, false);
	poller_src_every(s, s->cl->p->o.identity_interval_ms);
}

/* The Secrets' metadata: the same Secrets keep the release installed;
 * others are read whole. (An API server that cannot give the metadata
 * alone gives the whole list, whose key is the same.) */
static void helm_meta_done(void *ctx, int rc, struct http_response *resp, struct http_error *err)
{
	struct poller_src *s = ctx;
	struct poller_cl *c = s->cl;
	char why[384];
	uint64_t key = 0;

	s->x = NULL;
	poller_kube_observe(c, rc, resp, err);
	if (rc != 0) {
		poller_src_fail(s, err);
		return;
	}
	int krc = kube_helm_list_key(resp->body, resp->body_len, &key, why, sizeof why);
	/* A server that gave the whole list gave the release's values. */
	if (resp->body)
		explicit_bzero(resp->body, resp->body_len);
	if (krc) {
		http_error_setf(err, HTTP_ERR_DECODE, "%s", why);
		poller_src_fail(s, err);
		return;
	}
	if (key && key == c->helm_key) {
		helm_unchanged(s);
		return;
	}
	http_error_clear(err);
	if (helm_request(s, false, err))
		poller_src_fail(s, err);
}

/* The list answers with every release Secret whole: the newest release of
 * the consul chart is read from it, without a request per Secret. The
 * Secrets of the release read last (c->helm_key) are not decoded again:
 * about 1 MB of base64, gzip and a 3 MB JSON for each cluster at each
 * identity refresh (kube_helm.c). */
static void helm_done(void *ctx, int rc, struct http_response *resp, struct http_error *err)
{
	struct poller_src *s = ctx;
	struct poller_cl *c = s->cl;
	const char *b = resp->body ? resp->body : "";
	char why[384];
	uint64_t key = c->helm_key;

	s->x = NULL;
	poller_kube_observe(c, rc, resp, err);
	if (rc != 0) {
		poller_src_fail(s, err);
		return;
	}
	model_kube_helm_clear(c->helm);
	rc = kube_helm_decode_list(b, resp->body_len, &key, c->helm, why, sizeof why);
	/* A release Secret holds every value of the chart: none stays around. */
	if (resp->body)
		explicit_bzero(resp->body, resp->body_len);
	if (rc < 0) {
		c->helm_key = 0;
		http_error_setf(err, HTTP_ERR_DECODE, "%s", why);
		poller_src_fail(s, err);
		return;
	}
	if (rc == 1) {
		helm_unchanged(s);
		return;
	}
	c->helm_key = 0;
	if (helm_finish(s))
		c->helm_key = key;
}

/* ------------------------------------------------------- Kubernetes liveness */

/* When the probe is due if nothing more is heard: once the API server has
 * been silent for the probe interval, give or take half a period of the
 * stream polls' grid, on that grid (their current period), so that the
 * probe goes in a wake-up the cluster thread has anyway. A probe answered
 * just after its instant is thus followed by one a probe interval later,
 * not a period more. */
static int64_t probe_due(const struct poller_cl *c, int64_t now)
{
	long period = poller_stream_period(c, now);

	return poller_grid_ceil(c->kube_heard_ms + c->p->o.probe_interval_ms - period / 2, period);
}

static void probe_done(void *ctx, int rc, struct http_response *resp, struct http_error *err)
{
	struct poller_cl *c = ctx;
	char buf[384];

	(void)rc; /* any status is an answer, 401 and 404 included */
	c->probe = NULL;
	if (resp->status != 0) {
		kube_answers(c);
		c->probe_next_ms = probe_due(c, monotime_ms());
		return;
	}
	/* Silent: ask again every stream interval, to see it come back. */
	c->probe_next_ms = poller_period_next(monotime_ms(), c->p->o.stream_interval_ms);
	http_error_format(err, buf, sizeof buf);
	kube_unreachable(c, buf);
}

/* Watches stay silent while nothing changes, so they cannot tell a quiet
 * API server from a dead one: the probe can. It goes once the server has
 * said nothing for the probe interval (kube_probe, 30 s: client-go's HTTP/2
 * health check pings a connection after 30 s without a frame,
 * readIdleTimeoutSeconds in k8s.io/apimachinery/pkg/util/net/http.go).
 * Anything the server sends counts: an answer, a watch's event, or the
 * BOOKMARK its watch cache sends each watch about every minute
 * (k8s.io/apiserver/pkg/storage/cacher/cacher.go, defaultBookmarkFrequency),
 * so a cluster with a few watches is seldom probed at all. A refused or
 * reset connection needs no probe to be seen, as the watches on it end at
 * once and poller_kube_observe() sends one now, as does a refresh. */
void poller_kube_probe(struct poller_cl *c, int64_t now)
{
	struct http_request req = {.path = KUBE_PROBE_PATH,
	                           .timeout_ms = c->p->o.request_timeout_ms,
	                           .max_body = KUBE_MAX_VERSION};
	struct http_error err;

	/* One answer of each source is all --once wants: those answers say
	 * whether the API server answers. */
	if (!c->cfg.kube || !c->cfg.context || !*c->cfg.context || c->probe ||
	    c->probe_next_ms > now || c->p->o.once)
		return;
	if (!c->probe_forced && !c->kube_down) {
		int64_t due = probe_due(c, now);
		if (due > now) {
			c->probe_next_ms = due; /* heard since: no need yet */
			return;
		}
	}
	c->probe_forced = false;
	http_error_clear(&err);
	c->probe = http_multi_add(c->m, c->cfg.kube, &req, probe_done, c, &err);
	if (!c->probe) {
		c->probe_next_ms = poller_period_next(now, c->p->o.stream_interval_ms);
		log_warn(poller_log(c), "%s: Kubernetes probe: %s", c->cfg.name, err.message);
	}
}

/* The API server answers again after a silence: every watch starts over
 * from its resourceVersion, every source in a backoff retries now. */
void poller_kube_restart(struct poller_cl *c)
{
	int64_t now = monotime_ms();

	c->kube_reconnected = false;
	for (size_t i = 0; i < STORE_SRC_COUNT; i++) {
		struct poller_src *s = &c->src[i];
		if (!store_src_is_kube(s->id) || !s->st.enabled)
			continue;
		if (s->x && s->kind == POLLER_SK_KUBE && s->wp) {
			http_multi_remove(c->m, s->x);
			s->x = NULL;
			watch_end(s);
			s->next_ms = now;
		} else if (!s->x && s->next_ms != POLLER_NEVER) {
			s->next_ms = now; /* POLLER_NEVER: no client, nothing to retry */
		}
	}
}

void poller_kube_src_free(struct poller_src *s)
{
	objs_clear(s);
	free(s->objs);
	free(s->refused);
	free(s->rv);
	kube_watch_parser_free(s->wp);
}
