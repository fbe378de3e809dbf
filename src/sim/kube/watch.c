/* peerscope-sim: Kubernetes watch streams.
 *
 * A watch is a chunked response of newline-delimited JSON events read from
 * the cluster's event ring: ADDED/MODIFIED/DELETED as objects change,
 * BOOKMARK now and then when asked for, and one ERROR with a 410 Status when
 * the requested resourceVersion is older than the ring remembers. It ends at
 * timeoutSeconds, when the client goes away or when the simulator stops. */
#include "autoconfig.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "simk.h"

#define WATCH_DEFAULT_TIMEOUT_S 1800
#define WATCH_MAX_TIMEOUT_S     3600
/* The API server's watch cache sends a BOOKMARK about every minute and one
 * 2 s before the watch's deadline (timeoutSeconds), then one a second until
 * it ends: kubernetes staging/src/k8s.io/apiserver/pkg/storage/cacher,
 * cacher.go (defaultBookmarkFrequency) and cache_watcher.go
 * (nextBookmarkTime). */
#define WATCH_BOOKMARK_MS       60000 /* nominal, scaled by --speed */
#define WATCH_PRE_DEADLINE_MS   2000
#define WATCH_LAST_BOOKMARK_MS  1000
#define WATCH_POLL_MS           5000 /* a quiet watch re-checks; hang-ups also wake it */

struct watch_ctx {
	struct sim_cluster *c;
	int rt;
	char *ns; /* NULL: all namespaces */
	struct simk_selector *sel;
	char *fsel;
	char *path;   /* the request's path, for the control API's waiters */
	uint64_t rv;  /* events up to this one have been considered */
	bool initial; /* send the current objects as ADDED first */
	bool bookmarks;
	bool ended; /* an ERROR was sent: stop at the next call */
	bool table; /* objects as meta.k8s.io Tables (kubectl get --watch) */
	bool headers_sent;
	int64_t deadline_ms;
	int64_t next_bookmark_ms;
	volatile bool *client_gone;
};

static const char *const ev_names[] = {"ADDED", "MODIFIED", "DELETED"};

/* When the bookmark after one sent (or the watch's start) at NOW is due. */
static int64_t next_bookmark(const struct watch_ctx *w, int64_t now)
{
	int64_t next = now + sim_scaled_ms(w->c->world, WATCH_BOOKMARK_MS);
	int64_t pre = w->deadline_ms - WATCH_PRE_DEADLINE_MS;

	if (pre < next)
		next = pre > now ? pre : now + WATCH_LAST_BOOKMARK_MS;
	return next;
}

/* Appends one event line; OBJ is not taken over. */
static bool append_event(char **buf, size_t *len, const char *type, const cJSON *obj)
{
	char *text = sim_json_print(obj, NULL);
	size_t add;
	char *p;

	if (!text)
		return false;
	add = strlen(type) + strlen(text) + 24;
	p = realloc(*buf, *len + add);
	if (!p) {
		free(text);
		return false;
	}
	*len += (size_t)snprintf(p + *len, add, "{\"type\":\"%s\",\"object\":%s}\n", type, text);
	*buf = p;
	free(text);
	return true;
}

/* An object event, as a Table row when the client prints server-side. */
static bool append_obj(struct watch_ctx *w, char **buf, size_t *len, const char *type,
                       const cJSON *obj)
{
	cJSON *table;
	bool ok;

	if (!w->table)
		return append_event(buf, len, type, obj);
	table = simk_table(w->c, w->rt, obj, !w->headers_sent);
	if (!table)
		return false;
	w->headers_sent = true;
	ok = append_event(buf, len, type, table);
	cJSON_Delete(table);
	return ok;
}

static bool namespace_ok(const struct watch_ctx *w, const cJSON *obj)
{
	const char *ns = simk_str(obj, "metadata.namespace");

	return !w->ns || strcmp(ns ? ns : "", w->ns) == 0;
}

static bool matches(const struct watch_ctx *w, int rt, const cJSON *obj)
{
	if (rt != w->rt || !namespace_ok(w, obj))
		return false;
	return simk_selector_match(w->sel, simk_path(obj, "metadata.labels")) &&
	       simk_field_selector_match(w->fsel, obj);
}

static bool initial_events(struct watch_ctx *w, char **buf, size_t *len)
{
	struct simk_state *k = w->c->kube;

	for (struct simk_obj *o = k->objs; o; o = o->next)
		if (matches(w, o->rt, o->json) && !append_obj(w, buf, len, "ADDED", o->json))
			return false;
	w->rv = k->rv;
	w->initial = false;
	return true;
}

static bool expired_event(struct watch_ctx *w, char **buf, size_t *len)
{
	cJSON *st = cJSON_CreateObject();
	char msg[96];
	bool ok;

	if (!st)
		return false;
	snprintf(msg, sizeof msg, "too old resource version: %" PRIu64 " (%" PRIu64 ")", w->rv,
	         simk_oldest_rv(w->c->kube) + 1);
	cJSON_AddStringToObject(st, "kind", "Status");
	cJSON_AddStringToObject(st, "apiVersion", "v1");
	cJSON_AddItemToObject(st, "metadata", cJSON_CreateObject());
	cJSON_AddStringToObject(st, "status", "Failure");
	cJSON_AddStringToObject(st, "message", msg);
	cJSON_AddStringToObject(st, "reason", "Expired");
	cJSON_AddNumberToObject(st, "code", 410);
	ok = append_event(buf, len, "ERROR", st);
	cJSON_Delete(st);
	w->ended = true;
	return ok;
}

static bool bookmark_event(struct watch_ctx *w, char **buf, size_t *len)
{
	const struct simk_rtype *t = simk_rtype(w->c->kube, w->rt);
	cJSON *obj = cJSON_CreateObject(), *meta;
	char rv[24], av[64];
	bool ok;

	if (!obj)
		return false;
	w->rv = w->c->kube->rv;
	snprintf(rv, sizeof rv, "%" PRIu64, w->rv);
	snprintf(av, sizeof av, "%s%s%s", t->group, *t->group ? "/" : "", t->version);
	cJSON_AddStringToObject(obj, "kind", t->kind);
	cJSON_AddStringToObject(obj, "apiVersion", av);
	meta = cJSON_AddObjectToObject(obj, "metadata");
	cJSON_AddStringToObject(meta, "resourceVersion", rv);
	ok = append_event(buf, len, "BOOKMARK", obj);
	cJSON_Delete(obj);
	return ok;
}

/* The event type this watch sees for EV, or NULL when it sees nothing. A
 * label change can move an object into the selection (ADDED) or out of it
 * (DELETED). */
static const char *event_type(const struct watch_ctx *w, const struct simk_event *ev)
{
	bool now, before;

	if (ev->rt != w->rt || !namespace_ok(w, ev->obj) ||
	    !simk_field_selector_match(w->fsel, ev->obj))
		return NULL;
	now = simk_selector_match(w->sel, simk_path(ev->obj, "metadata.labels"));
	if (ev->type != SIMK_EV_MODIFIED)
		return now ? ev_names[ev->type] : NULL;
	before = simk_selector_match(w->sel, ev->prev_labels);
	if (now)
		return ev_names[before ? SIMK_EV_MODIFIED : SIMK_EV_ADDED];
	return before ? ev_names[SIMK_EV_DELETED] : NULL;
}

/* Events after w->rv that this watch selects; advances w->rv past all. */
static bool pending_events(struct watch_ctx *w, char **buf, size_t *len)
{
	struct simk_state *k = w->c->kube;

	for (size_t i = simk_events_after(k, w->rv); i < k->ev_count; i++) {
		const struct simk_event *ev = simk_event_at(k, i);
		const char *type = event_type(w, ev);

		if (type && !append_obj(w, buf, len, type, ev->obj))
			return false;
		w->rv = ev->rv;
	}
	return true;
}

static bool watch_next(void *ctx, char **out, size_t *out_len)
{
	struct watch_ctx *w = ctx;
	struct sim_world *world = w->c->world;
	char *buf = NULL;
	size_t len = 0;
	bool ok = true;

	struct sim_waiter parked;
	bool waiting = false;

	if (w->ended)
		return false;
	pthread_mutex_lock(&world->lock);
	for (;;) {
		int64_t now = sim_mono_ms(), wake;

		/* A stopped cluster takes its API server and its watches down. */
		if (world->stopping || !w->c->running || (w->client_gone && *w->client_gone) ||
		    now >= w->deadline_ms) {
			ok = false;
			break;
		}
		if (w->initial)
			ok = initial_events(w, &buf, &len);
		else if (w->rv < simk_oldest_rv(w->c->kube))
			ok = expired_event(w, &buf, &len);
		else
			ok = pending_events(w, &buf, &len);
		if (!ok || len > 0)
			break;
		if (w->bookmarks && now >= w->next_bookmark_ms) {
			w->next_bookmark_ms = next_bookmark(w, now);
			ok = bookmark_event(w, &buf, &len);
			break;
		}
		wake = now + WATCH_POLL_MS;
		if (wake > w->deadline_ms)
			wake = w->deadline_ms;
		if (w->bookmarks && wake > w->next_bookmark_ms)
			wake = w->next_bookmark_ms;
		if (!waiting)
			sim_waiter_enter(w->c, &parked, SIM_LISTEN_KUBE, w->path);
		waiting = true;
		sim_wait(world, wake);
	}
	if (waiting)
		sim_waiter_leave(w->c, &parked);
	pthread_mutex_unlock(&world->lock);
	if (!ok || len == 0) {
		free(buf);
		return false;
	}
	*out = buf;
	*out_len = len;
	return true;
}

static void watch_done(void *ctx)
{
	struct watch_ctx *w = ctx;

	simk_selector_free(w->sel);
	free(w->ns);
	free(w->fsel);
	free(w->path);
	free(w);
}

static int64_t timeout_ms(const struct sim_req *req)
{
	const char *t = sim_req_arg(req, "timeoutSeconds", NULL);
	long s = t ? strtol(t, NULL, 10) : WATCH_DEFAULT_TIMEOUT_S;

	if (s <= 0 || s > WATCH_MAX_TIMEOUT_S)
		s = s <= 0 ? WATCH_DEFAULT_TIMEOUT_S : WATCH_MAX_TIMEOUT_S;
	return (int64_t)s * 1000;
}

void simk_watch_start(struct sim_cluster *c, const struct sim_req *req, struct sim_resp *resp,
                      int rt, const char *ns)
{
	const char *rv = sim_req_arg(req, "resourceVersion", NULL);
	const char *fsel = sim_req_arg(req, "fieldSelector", NULL);
	const char *bm = sim_req_arg(req, "allowWatchBookmarks", NULL);
	struct watch_ctx *w = calloc(1, sizeof *w);
	char err[256];

	if (!w)
		goto oom;
	w->c = c;
	w->rt = rt;
	w->client_gone = req->client_gone;
	w->sel = simk_selector_parse(sim_req_arg(req, "labelSelector", NULL), err, sizeof err);
	if (!w->sel || !simk_field_selector_ok(fsel, err, sizeof err)) {
		watch_done(w);
		simk_status_error(resp, 400, "BadRequest", err, NULL, NULL, NULL, NULL);
		return;
	}
	w->ns = ns ? strdup(ns) : NULL;
	w->fsel = fsel ? strdup(fsel) : NULL;
	w->path = strdup(req->path);
	if ((ns && !w->ns) || (fsel && !w->fsel) || !w->path) {
		watch_done(w);
		goto oom;
	}
	/* No resourceVersion (or "0"): the current state first, then changes. */
	w->initial = !rv || !*rv || strcmp(rv, "0") == 0;
	w->rv = w->initial ? 0 : strtoull(rv, NULL, 10);
	w->bookmarks = bm && (strcmp(bm, "true") == 0 || strcmp(bm, "1") == 0);
	w->table = simk_wants_table(req);
	w->deadline_ms = sim_mono_ms() + timeout_ms(req);
	pthread_mutex_lock(&c->world->lock);
	w->next_bookmark_ms = next_bookmark(w, sim_mono_ms());
	pthread_mutex_unlock(&c->world->lock);
	resp->status = 200;
	resp->stream.next = watch_next;
	resp->stream.done = watch_done;
	resp->stream.ctx = w;
	return;
oom:
	simk_status_error(resp, 500, "InternalError", "out of memory", NULL, NULL, NULL, NULL);
}
