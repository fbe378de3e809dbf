/* kube: calls to a Kubernetes API server, on the http module. */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube_internal.h"

#include "peerscope/codec.h"

#define PATH_MAX_LEN 2048
#define LIST_LIMIT   500

/* After a non-2xx answer: the Status object in one line as the message.
 * Another body (a proxy's text) keeps the http module's message: the status
 * is already said once, "HTTP 500: HTTP 500: ..." said it twice. */
static void status_message(struct http_error *err, const struct http_response *resp)
{
	char line[sizeof err->message], why[64];
	struct kube_status st;

	if (!resp->body || !resp->body_len ||
	    kube_status_decode(resp->body, resp->body_len, &st, why, sizeof why) != 0)
		return;
	kube_status_clear(&st);
	kube_error_text((int)resp->status, resp->body, resp->body_len, line, sizeof line);
	http_error_setf(err, HTTP_ERR_STATUS, "%s", line);
}

static int roundtrip(struct http_client *c, const struct http_request *req,
                     struct http_response *resp, struct http_error *err)
{
	struct http_request capped = *req;

	/* At most a list's worth of any answer (kube.h). */
	if (!capped.max_body)
		capped.max_body = KUBE_MAX_LIST;
	memset(resp, 0, sizeof *resp);
	http_error_clear(err);
	if (http_do(c, &capped, resp, err) == 0)
		return 0;
	if (err->kind == HTTP_ERR_STATUS)
		status_message(err, resp);
	return -1;
}

/* Responses may hold Secrets: wipe the body before it is freed. */
static void response_wipe(struct http_response *resp)
{
	if (resp->body)
		codec_wipe(resp->body, resp->body_len);
	http_response_clear(resp);
}

static int bad_path(struct http_error *err, const char *why)
{
	http_error_clear(err);
	http_error_setf(err, HTTP_ERR_USAGE, "%s", why);
	return -1;
}

/* The 2xx body decoded as an object of KIND into OUT (may be NULL). */
static int decode_into(enum kube_kind kind, const struct http_response *resp,
                       struct kube_object *out, struct http_error *err)
{
	char why[384];

	if (!out)
		return 0;
	if (kube_object_decode(kind, resp->body, resp->body_len, out, why, sizeof why) == 0)
		return 0;
	http_error_setf(err, HTTP_ERR_TRANSPORT, "invalid response: %s", why);
	return -1;
}

bool kube_not_found(const struct http_error *err)
{
	return err->kind == HTTP_ERR_STATUS && err->status == 404;
}

/* ------------------------------------------------------------- discovery */

/* GET of PATH decoded by DECODE into D; 404 gives 1 (not served). */
static int discovery_get(struct http_client *c, const char *path,
                         int (*decode)(const char *, size_t, struct kube_discovery *, char *,
                                       size_t),
                         struct kube_discovery *d, struct http_error *err)
{
	struct http_request req = {.path = path};
	struct http_response resp;
	char why[384];
	int rc = roundtrip(c, &req, &resp, err);

	if (rc) {
		rc = kube_not_found(err) ? 1 : -1;
	} else if (decode(resp.body, resp.body_len, d, why, sizeof why)) {
		http_error_setf(err, HTTP_ERR_TRANSPORT, "invalid response: %s", why);
		rc = -1;
	}
	http_response_clear(&resp);
	return rc;
}

int kube_discover(struct http_client *c, struct kube_discovery *out, struct http_error *err)
{
	char path[128];
	const char *v;

	memset(out, 0, sizeof *out);
	int rc = discovery_get(c, "/apis/" KUBE_GROUP, kube_discovery_decode_group, out, err);
	if (rc == 1) {
		/* The group is not served, which is an answer. */
		http_error_clear(err);
		out->preferred_version = strdup("");
		if (out->preferred_version)
			return 0;
		http_error_setf(err, HTTP_ERR_NOMEM, "out of memory");
		return -1;
	}
	if (rc || !out->group_served)
		goto out;
	/* The version goes into a path: only what a version can be. */
	v = out->preferred_version;
	if (strspn(v, "abcdefghijklmnopqrstuvwxyz0123456789") != strlen(v) || strlen(v) > 32) {
		http_error_setf(err, HTTP_ERR_TRANSPORT,
		                "invalid response: API group " KUBE_GROUP ": \"%.40s\" is not a "
		                "version",
		                v);
		rc = -1;
		goto out;
	}
	snprintf(path, sizeof path, "/apis/" KUBE_GROUP "/%s", v);
	rc = discovery_get(c, path, kube_discovery_decode_resources, out, err);
	if (rc == 1) /* the group names a version it does not serve */
		rc = -1;
out:
	if (rc)
		kube_discovery_clear(out);
	return rc;
}

/* --------------------------------------------------------- single objects */

int kube_get_raw(struct http_client *c, enum kube_kind kind, const char *ns, const char *name,
                 char **json, size_t *len, struct http_error *err)
{
	char path[PATH_MAX_LEN], why[256];
	struct http_response resp;

	*json = NULL;
	*len = 0;
	if (!name || kube_path(path, sizeof path, kind, ns, name, NULL, why, sizeof why))
		return bad_path(err, name ? why : "an object name is required");
	struct http_request req = {.path = path};
	if (roundtrip(c, &req, &resp, err)) {
		http_response_clear(&resp);
		return -1;
	}
	if (!resp.body) {
		http_response_clear(&resp);
		http_error_setf(err, HTTP_ERR_TRANSPORT, "invalid response: empty body");
		return -1;
	}
	*json = resp.body;
	*len = resp.body_len;
	resp.body = NULL;
	http_response_clear(&resp);
	return 0;
}

int kube_get(struct http_client *c, enum kube_kind kind, const char *ns, const char *name,
             struct kube_object *out, struct http_error *err)
{
	char *json;
	size_t len;
	char why[384];

	memset(out, 0, sizeof *out);
	out->kind = kind;
	if (kube_get_raw(c, kind, ns, name, &json, &len, err))
		return -1;
	int rc = kube_object_decode(kind, json, len, out, why, sizeof why);
	if (rc)
		http_error_setf(err, HTTP_ERR_TRANSPORT, "invalid response: %s", why);
	/* A Secret's JSON holds its data: do not leave it in freed memory (a
	 * memset before free() is removed by the optimiser; codec_wipe is not). */
	codec_wipe(json, len);
	free(json);
	return rc;
}

/* A method with an optional body on one object or a collection. */
static int write_call(struct http_client *c, const char *method, const char *content_type,
                      enum kube_kind kind, const char *ns, const char *name, const char *body,
                      struct kube_object *out, struct http_error *err)
{
	char path[PATH_MAX_LEN], why[256];
	struct http_response resp;

	if (out) {
		memset(out, 0, sizeof *out);
		out->kind = kind;
	}
	if (!ns)
		return bad_path(err, "a namespace is required");
	if (kube_path(path, sizeof path, kind, ns, name, NULL, why, sizeof why))
		return bad_path(err, why);
	struct http_request req = {
	        .method = method,
	        .path = path,
	        .content_type = content_type,
	        .body = body,
	};
	int rc = roundtrip(c, &req, &resp, err);
	if (!rc)
		rc = decode_into(kind, &resp, out, err);
	response_wipe(&resp);
	return rc;
}

int kube_create(struct http_client *c, enum kube_kind kind, const char *ns, const char *body,
                struct kube_object *out, struct http_error *err)
{
	if (!body)
		return bad_path(err, "a request body is required");
	return write_call(c, "POST", "application/json", kind, ns, NULL, body, out, err);
}

int kube_merge_patch(struct http_client *c, enum kube_kind kind, const char *ns, const char *name,
                     const char *patch, struct kube_object *out, struct http_error *err)
{
	if (!name || !patch)
		return bad_path(err, "an object name and a patch are required");
	return write_call(c, "PATCH", "application/merge-patch+json", kind, ns, name, patch, out,
	                  err);
}

int kube_delete(struct http_client *c, enum kube_kind kind, const char *ns, const char *name,
                struct http_error *err)
{
	if (!name)
		return bad_path(err, "an object name is required");
	return write_call(c, "DELETE", NULL, kind, ns, name, NULL, NULL, err);
}

int kube_delete_if(struct http_client *c, enum kube_kind kind, const char *ns, const char *name,
                   const char *uid, const char *rv, struct http_error *err)
{
	cJSON *o, *pre;
	char *body;
	int rc;

	if (!name)
		return bad_path(err, "an object name is required");
	if ((!uid || !*uid) && (!rv || !*rv))
		return kube_delete(c, kind, ns, name, err);
	o = cJSON_CreateObject();
	pre = o ? cJSON_AddObjectToObject(o, "preconditions") : NULL;
	if (pre && cJSON_AddStringToObject(o, "apiVersion", "v1") &&
	    cJSON_AddStringToObject(o, "kind", "DeleteOptions") &&
	    (!uid || !*uid || cJSON_AddStringToObject(pre, "uid", uid)) &&
	    (!rv || !*rv || cJSON_AddStringToObject(pre, "resourceVersion", rv)))
		body = cJSON_PrintUnformatted(o);
	else
		body = NULL;
	cJSON_Delete(o);
	if (!body) {
		http_error_setf(err, HTTP_ERR_NOMEM, "out of memory");
		return -1;
	}
	rc = write_call(c, "DELETE", "application/json", kind, ns, name, body, NULL, err);
	free(body);
	return rc;
}

/* ------------------------------------------------------------------ lists */

/* Query string: limit, continue token and label selector, escaped. */
static int list_query(char *buf, size_t len, const char *label_selector, const char *cont)
{
	char *sel = label_selector && *label_selector ? http_escape(label_selector) : NULL;
	char *con = cont && *cont ? http_escape(cont) : NULL;
	int rc = -1;

	if ((label_selector && *label_selector && !sel) || (cont && *cont && !con))
		goto out;
	int n = snprintf(buf, len, "limit=%d%s%s%s%s", LIST_LIMIT, sel ? "&labelSelector=" : "",
	                 sel ? sel : "", con ? "&continue=" : "", con ? con : "");
	rc = n < 0 || (size_t)n >= len ? -1 : 0;
out:
	free(sel);
	free(con);
	return rc;
}

/* Moves the items of PAGE to the end of ALL. */
static int list_append(struct kube_list *all, struct kube_list *page)
{
	if (!page->n)
		return 0;
	struct kube_object *items = realloc(all->items, (all->n + page->n) * sizeof *items);
	if (!items)
		return -1;
	memcpy(items + all->n, page->items, page->n * sizeof *items);
	all->items = items;
	all->n += page->n;
	free(page->items);
	page->items = NULL;
	page->n = 0;
	return 0;
}

int kube_list(struct http_client *c, enum kube_kind kind, const char *ns,
              const char *label_selector, struct kube_list *out, struct http_error *err)
{
	char query[1024], path[PATH_MAX_LEN], why[384];
	struct kube_list page = {.kind = kind};
	struct http_response resp = {0};
	int rc = -1;

	memset(out, 0, sizeof *out);
	out->kind = kind;
	do {
		if (list_query(query, sizeof query, label_selector, page.continue_token) ||
		    kube_path(path, sizeof path, kind, ns, NULL, query, why, sizeof why)) {
			bad_path(err, "list request too long or out of memory");
			goto out;
		}
		kube_list_clear(&page);
		struct http_request req = {.path = path};
		if (roundtrip(c, &req, &resp, err))
			goto out;
		if (kube_list_decode(kind, resp.body, resp.body_len, &page, why, sizeof why)) {
			http_error_setf(err, HTTP_ERR_TRANSPORT, "invalid response: %s", why);
			goto out;
		}
		response_wipe(&resp);
		if (list_append(out, &page)) {
			http_error_setf(err, HTTP_ERR_NOMEM, "out of memory");
			goto out;
		}
		/* The version of the last page is the list's version. */
		free(out->resource_version);
		out->resource_version = page.resource_version;
		page.resource_version = NULL;
	} while (*page.continue_token);
	out->continue_token = strdup("");
	rc = out->continue_token && out->resource_version ? 0 : -1;
	if (rc)
		http_error_setf(err, HTTP_ERR_NOMEM, "out of memory");
out:
	kube_list_clear(&page);
	response_wipe(&resp);
	if (rc)
		kube_list_clear(out);
	return rc;
}

/* ------------------------------------------------------------------ watch */

int kube_watch_path(char *buf, size_t len, enum kube_kind kind, const char *ns,
                    const char *resource_version, const char *label_selector, int timeout_s,
                    char *errbuf, size_t errlen)
{
	char query[1024], tmo[32] = "";
	char *rv = resource_version && *resource_version ? http_escape(resource_version) : NULL;
	char *sel = label_selector && *label_selector ? http_escape(label_selector) : NULL;
	int rc = -1;

	if ((resource_version && *resource_version && !rv) ||
	    (label_selector && *label_selector && !sel)) {
		kube_fail(errbuf, errlen, "out of memory");
		goto out;
	}
	if (timeout_s > 0)
		snprintf(tmo, sizeof tmo, "&timeoutSeconds=%d", timeout_s);
	int n = snprintf(query, sizeof query, "watch=1&allowWatchBookmarks=true%s%s%s%s%s",
	                 rv ? "&resourceVersion=" : "", rv ? rv : "", sel ? "&labelSelector=" : "",
	                 sel ? sel : "", tmo);
	if (n < 0 || (size_t)n >= sizeof query) {
		kube_fail(errbuf, errlen, "watch of %s: query too long", kube_kind_name(kind));
		goto out;
	}
	rc = kube_path(buf, len, kind, ns, NULL, query, errbuf, errlen);
out:
	free(rv);
	free(sel);
	return rc;
}

struct watch_ctx {
	struct kube_watch_parser *parser;
	kube_event_fn fn;
	void *ctx;
	int rc; /* first non-zero from the parser */
	char why[512];
};

static int watch_chunk(void *ctx, const char *data, size_t len)
{
	struct watch_ctx *w = ctx;

	w->rc = kube_watch_parser_feed(w->parser, data, len, w->fn, w->ctx, w->why, sizeof w->why);
	return w->rc;
}

/* What the end of a watch means, once the transfer is over. */
static int watch_result(struct watch_ctx *w, int http_rc, struct http_error *err)
{
	if (http_rc == 0 && w->rc == 0)
		w->rc = kube_watch_parser_finish(w->parser, w->fn, w->ctx, w->why, sizeof w->why);
	if (w->rc == -1) {
		http_error_setf(err, HTTP_ERR_TRANSPORT, "invalid watch stream: %s", w->why);
		return -1;
	}
	if (kube_watch_parser_expired(w->parser)) {
		http_error_clear(err);
		return KUBE_WATCH_EXPIRED;
	}
	if (w->rc) {
		http_error_clear(err);
		return KUBE_WATCH_STOPPED;
	}
	if (http_rc) {
		/* A watch that starts from a compacted version may also be
		 * refused outright with 410 Gone. */
		if (err->kind == HTTP_ERR_STATUS && err->status == 410)
			return KUBE_WATCH_EXPIRED;
		return -1;
	}
	return KUBE_WATCH_CLOSED;
}

int kube_watch(struct http_client *c, enum kube_kind kind, const char *ns,
               const char *label_selector, int timeout_s, char **rv, const atomic_bool *cancel,
               kube_event_fn fn, void *ctx, struct http_error *err)
{
	char path[PATH_MAX_LEN];
	struct watch_ctx w = {.fn = fn, .ctx = ctx};
	struct http_response resp;

	/* The server must end the watch before the client's timeout does. */
	if (timeout_s <= 0)
		timeout_s = KUBE_WATCH_DEFAULT_TIMEOUT_S;
	if (kube_watch_path(path, sizeof path, kind, ns, *rv, label_selector, timeout_s, w.why,
	                    sizeof w.why))
		return bad_path(err, w.why);
	w.parser = kube_watch_parser_new(kind, 0);
	if (!w.parser) {
		http_error_clear(err);
		http_error_setf(err, HTTP_ERR_NOMEM, "out of memory");
		return -1;
	}
	struct http_request req = {
	        .path = path,
	        .wait_ms = (long)timeout_s * 1000,
	        .on_chunk = watch_chunk,
	        .chunk_ctx = &w,
	        .cancel = cancel,
	};
	int http_rc = roundtrip(c, &req, &resp, err);
	int rc = watch_result(&w, http_rc, err);
	const char *last = kube_watch_parser_resource_version(w.parser);
	if (last) {
		char *copy = strdup(last);
		if (copy) {
			free(*rv);
			*rv = copy;
		}
	}
	kube_watch_parser_free(w.parser);
	http_response_clear(&resp);
	return rc;
}

/* ------------------------------------------------------ Consul via proxy */

/* The Consul server Service of NS, labelled component=server (app=consul
 * preferred when several are), into OUT. 1 when none is labelled. */
static int labelled_server(struct http_client *c, const char *ns, struct kube_object *out,
                           struct http_error *err)
{
	struct kube_list list;
	size_t pick;

	if (kube_list(c, KUBE_SERVICE, ns, "component=server", &list, err))
		return -1;
	pick = list.n;
	for (size_t i = 0; i < list.n; i++)
		if (pick == list.n || !strcmp(list.items[i].u.service.app, "consul"))
			pick = i;
	bool found = pick < list.n;
	if (found) {
		*out = list.items[pick];
		memset(&list.items[pick], 0, sizeof list.items[pick]);
		list.items[pick].kind = KUBE_SERVICE;
	}
	kube_list_clear(&list); /* zeroes list.n too */
	return found ? 0 : 1;
}

static int route_from(struct http_client *c, const struct kube_object *svc, bool tls,
                      struct kube_consul_route *out, struct http_error *err)
{
	char why[256];

	if (kube_consul_route_from_service(http_client_base_url(c), &svc->u.service, tls, out, why,
	                                   sizeof why) == 0)
		return 0;
	http_error_setf(err, HTTP_ERR_USAGE, "%s", why);
	return -1;
}

/* Route with the chart's name and port, for when Services may not be read. */
static int default_route(struct http_client *c, const char *ns, bool tls,
                         struct kube_consul_route *out, struct http_error *err)
{
	char why[256];

	http_error_clear(err);
	if (kube_route_build(http_client_base_url(c), ns, KUBE_CONSUL_SERVER_SERVICE, tls,
	                     tls ? KUBE_CONSUL_HTTPS_PORT : KUBE_CONSUL_HTTP_PORT, out, why,
	                     sizeof why) == 0)
		return 0;
	http_error_setf(err, HTTP_ERR_NOMEM, "%s", why);
	return -1;
}

int kube_consul_route(struct http_client *c, const char *ns, bool tls,
                      struct kube_consul_route *out, struct http_error *err)
{
	struct kube_object svc = {.kind = KUBE_SERVICE};
	int rc;

	memset(out, 0, sizeof *out);
	rc = labelled_server(c, ns, &svc, err);
	if (rc < 0) {
		/* 403: RBAC does not cover Services; 404: not served here. */
		if (err->kind == HTTP_ERR_STATUS && (err->status == 403 || err->status == 404))
			return default_route(c, ns, tls, out, err);
		return -1;
	}
	if (rc == 1 && kube_get(c, KUBE_SERVICE, ns, KUBE_CONSUL_SERVER_SERVICE, &svc, err)) {
		if (kube_not_found(err))
			http_error_setf(err, HTTP_ERR_STATUS,
			                "no Consul server Service in namespace %s (label "
			                "component=server or name " KUBE_CONSUL_SERVER_SERVICE ")",
			                ns);
		return -1;
	}
	rc = route_from(c, &svc, tls, out, err);
	kube_object_clear(&svc);
	return rc;
}

/* ----------------------------------------------------------- peering steps */

uint64_t kube_peering_next_version(const struct model_kube_peering *p)
{
	uint64_t annotated = 0, latest = p->has_latest_version ? p->latest_version : 0;
	const char *v = p->meta.peering_version;

	/* A value that is not a number counts as none: the bump replaces it. */
	if (v && *v && strspn(v, "0123456789") == strlen(v) && strlen(v) < 20)
		annotated = strtoull(v, NULL, 10);
	return (annotated > latest ? annotated : latest) + 1;
}

int kube_peering_bump_version(struct http_client *c, enum kube_kind kind, const char *ns,
                              const char *name, uint64_t target, struct http_error *err)
{
	struct kube_object o;
	char why[256];

	if (kind != KUBE_PEERING_ACCEPTOR && kind != KUBE_PEERING_DIALER)
		return bad_path(err,
		                "only PeeringAcceptor and PeeringDialer have a peering version");
	if (kube_get(c, kind, ns, name, &o, err))
		return -1;
	/* Already there (a retry after a lost answer): nothing to do. */
	if (kube_peering_next_version(&o.u.peering) > target) {
		kube_object_clear(&o);
		return 0;
	}
	char *patch =
	        kube_body_version_bump(target, o.u.peering.meta.resource_version, why, sizeof why);
	kube_object_clear(&o);
	if (!patch)
		return bad_path(err, why);
	int rc = kube_merge_patch(c, kind, ns, name, patch, NULL, err);
	free(patch);
	return rc;
}

/* Creates the copy in DST, or patches the one already there. */
