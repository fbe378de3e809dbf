/* peerscope-sim: the consul-k8s controllers (API.md §6.5, §6.6, §6.8).
 *
 * One thread serves every cluster, as a controller manager with a work
 * queue per cluster: changes in the cluster's event ring enqueue the objects
 * the real controllers watch (the CR itself; for a labelled token Secret the
 * acceptors whose status names it and the dialers whose spec names it), and
 * failed reconciles come back with exponential backoff. A reconcile reads the
 * CR under the world lock, talks to the cluster's Consul through its HTTP
 * API with the lock released (sim_consul_call takes it itself), then writes
 * Kubernetes under the lock again. */
#include "autoconfig.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube_internal.h"

/* Retry backoff, nominal (divided by --speed): consul-k8s gives its
 * config-entry controllers 200 ms doubling to 5 s; the peering controllers
 * keep controller-runtime's exponential backoff, capped here at 16 s. */
#define CTL_BACKOFF_BASE_MS       250
#define CTL_BACKOFF_MAX_MS        16000
#define CTL_ENTRY_BACKOFF_BASE_MS 200
#define CTL_ENTRY_BACKOFF_MAX_MS  5000
#define CTL_IDLE_WAIT_MS          5000 /* changes broadcast; this is a safety net */

struct ctl_item {
	int rt;
	char ns[64];
	char name[254];
	int64_t due_ms; /* monotonic */
	int failures;
};

struct ctl_queue {
	struct ctl_item *items;
	size_t n, cap;
	uint64_t seen_rv; /* events up to here have been enqueued */
	bool primed;      /* the initial list has been enqueued */
};

struct sim_controllers {
	pthread_t thread;
	struct ctl_queue queues[SIM_MAX_CLUSTERS];
};

enum ctl_kind {
	CTL_ACCEPTOR,
	CTL_DIALER,
	CTL_ENTRY,
	CTL_NONE,
};

/* ------------------------------------------------------------------ queue */

static enum ctl_kind kind_of(const struct sim_kube *k, int rt)
{
	const struct simk_rtype *t = simk_rtype(k, rt);

	if (!t || !t->crd)
		return CTL_NONE;
	if (strcmp(t->kind, "PeeringAcceptor") == 0)
		return CTL_ACCEPTOR;
	if (strcmp(t->kind, "PeeringDialer") == 0)
		return CTL_DIALER;
	return CTL_ENTRY;
}

/* Adds (rt, ns, name) due now; an item already queued becomes due now. */
static void enqueue(struct ctl_queue *q, int rt, const char *ns, const char *name)
{
	int64_t now = sim_mono_ms();
	struct ctl_item *it;

	for (size_t i = 0; i < q->n; i++) {
		it = &q->items[i];
		if (it->rt == rt && strcmp(it->ns, ns) == 0 && strcmp(it->name, name) == 0) {
			it->due_ms = now;
			return;
		}
	}
	if (q->n == q->cap) {
		size_t cap = q->cap ? q->cap * 2 : 16;
		struct ctl_item *p = realloc(q->items, cap * sizeof *p);

		/* Without memory the item is dropped; the next event on the
		 * object enqueues it again. */
		if (!p)
			return;
		q->items = p;
		q->cap = cap;
	}
	it = &q->items[q->n++];
	memset(it, 0, sizeof *it);
	it->rt = rt;
	snprintf(it->ns, sizeof it->ns, "%s", ns);
	snprintf(it->name, sizeof it->name, "%s", name);
	it->due_ms = now;
}

static void enqueue_all_crs(struct sim_cluster *c, struct ctl_queue *q)
{
	for (struct simk_obj *o = c->kube->objs; o; o = o->next)
		if (kind_of(c->kube, o->rt) != CTL_NONE)
			enqueue(q, o->rt, o->ns, o->name);
}

/* A labelled token Secret changed: who watches it. */
static void enqueue_for_secret(struct sim_cluster *c, struct ctl_queue *q, const cJSON *secret)
{
	const char *label = simk_label(secret, SIMK_TOKEN_LABEL);
	const char *ns = simk_str(secret, "metadata.namespace");
	const char *name = simk_str(secret, "metadata.name");

	if (!label || strcmp(label, "true") != 0 || !ns || !name)
		return;
	for (struct simk_obj *o = c->kube->objs; o; o = o->next) {
		enum ctl_kind kind = kind_of(c->kube, o->rt);
		const char *ref = NULL;

		if (kind == CTL_ACCEPTOR)
			ref = simk_str(o->json, "status.secret.name");
		else if (kind == CTL_DIALER)
			ref = simk_str(o->json, "spec.peer.secret.name");
		if (ref && strcmp(ref, name) == 0 && strcmp(o->ns, ns) == 0)
			enqueue(q, o->rt, o->ns, o->name);
	}
}

/* Reads the cluster's new events into its queue. Lock held. */
static void collect(struct sim_cluster *c, struct ctl_queue *q)
{
	struct sim_kube *k = c->kube;

	if (!q->primed || q->seen_rv < simk_oldest_rv(k)) {
		enqueue_all_crs(c, q);
		q->primed = true;
		q->seen_rv = k->rv;
		return;
	}
	for (size_t i = simk_events_after(k, q->seen_rv); i < k->ev_count; i++) {
		const struct simk_event *ev = simk_event_at(k, i);

		if (kind_of(k, ev->rt) != CTL_NONE)
			enqueue(q, ev->rt, simk_str(ev->obj, "metadata.namespace"),
			        simk_str(ev->obj, "metadata.name"));
		else if (ev->rt == SIMK_RT_SECRETS)
			enqueue_for_secret(c, q, ev->obj);
	}
	q->seen_rv = k->rv;
}

/* ------------------------------------------------------ Kubernetes access */

/* A copy of the object, or NULL when it does not exist. */
static cJSON *kget(struct sim_cluster *c, int rt, const char *ns, const char *name)
{
	struct simk_obj *o;
	cJSON *copy = NULL;

	pthread_mutex_lock(&c->world->lock);
	o = name ? simk_find(c->kube, rt, ns, name) : NULL;
	if (o)
		copy = cJSON_Duplicate(o->json, true);
	pthread_mutex_unlock(&c->world->lock);
	return copy;
}

/* Writes OBJ (taken over) as the new state of an existing object, or
 * creates it. Returns the stored resourceVersion (0 on failure). */
static uint64_t kput(struct sim_cluster *c, int rt, const char *ns, cJSON *obj)
{
	struct simk_obj *o;
	uint64_t rv = 0;

	pthread_mutex_lock(&c->world->lock);
	o = simk_find(c->kube, rt, ns, simk_str(obj, "metadata.name"));
	if (o) {
		if (simk_replace(c, o, obj, NULL) != SIMK_GONE)
			rv = o->rv;
	} else {
		o = simk_insert(c, rt, ns, obj);
		rv = o ? o->rv : 0;
	}
	pthread_mutex_unlock(&c->world->lock);
	return rv;
}

/* The controllers run without the world lock and take it for each step;
 * the event log is part of the world, so recording an event takes it too. */
static void ctl_event(struct sim_cluster *c, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));
static void ctl_event(struct sim_cluster *c, const char *fmt, ...)
{
	char *text = NULL;
	va_list ap;

	va_start(ap, fmt);
	int n = vasprintf(&text, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	pthread_mutex_lock(&c->world->lock);
	sim_event(c->world, c, "%s", text);
	pthread_mutex_unlock(&c->world->lock);
	free(text);
}

static void kdelete(struct sim_cluster *c, int rt, const char *ns, const char *name)
{
	struct simk_obj *o;
	char *printed = NULL;

	pthread_mutex_lock(&c->world->lock);
	o = simk_find(c->kube, rt, ns, name);
	if (o)
		simk_delete(c, o, &printed);
	pthread_mutex_unlock(&c->world->lock);
	free(printed);
}

/* Edits metadata.finalizers of the live object. */
static void set_finalizer(struct sim_cluster *c, int rt, const char *ns, const char *name, bool add)
{
	cJSON *obj = kget(c, rt, ns, name), *meta, *fins, *it;

	if (!obj)
		return;
	meta = cJSON_GetObjectItemCaseSensitive(obj, "metadata");
	fins = cJSON_GetObjectItemCaseSensitive(meta, "finalizers");
	if (!cJSON_IsArray(fins)) {
		cJSON_DeleteItemFromObjectCaseSensitive(meta, "finalizers");
		fins = cJSON_AddArrayToObject(meta, "finalizers");
	}
	for (it = fins ? fins->child : NULL; it; it = it->next)
		if (cJSON_IsString(it) && strcmp(it->valuestring, SIMK_FINALIZER) == 0)
			break;
	if (add && !it)
		cJSON_AddItemToArray(fins, cJSON_CreateString(SIMK_FINALIZER));
	else if (!add && it)
		cJSON_Delete(cJSON_DetachItemViaPointer(fins, it));
	if (cJSON_GetArraySize(fins) == 0)
		cJSON_DeleteItemFromObjectCaseSensitive(meta, "finalizers");
	kput(c, rt, ns, obj);
}

static bool has_finalizer(const cJSON *obj)
{
	const cJSON *it;

	cJSON_ArrayForEach(it, simk_path(obj, "metadata.finalizers"))
	{
		if (cJSON_IsString(it) && strcmp(it->valuestring, SIMK_FINALIZER) == 0)
			return true;
	}
	return false;
}

/* Applies EDIT to the live object's status, as Status().Update does. */
static void put_status(struct sim_cluster *c, int rt, const char *ns, const char *name,
                       void (*edit)(cJSON *status, void *ctx), void *ctx)
{
	cJSON *obj = kget(c, rt, ns, name), *status;

	if (!obj)
		return;
	status = cJSON_GetObjectItemCaseSensitive(obj, "status");
	if (!cJSON_IsObject(status)) {
		cJSON_DeleteItemFromObjectCaseSensitive(obj, "status");
		status = cJSON_AddObjectToObject(obj, "status");
	}
	if (!status) {
		cJSON_Delete(obj);
		return;
	}
	edit(status, ctx);
	kput(c, rt, ns, obj);
}

struct cond {
	struct sim_world *w;
	bool ok;
	bool unknown; /* Synced "Unknown" (config entries while a write is pending) */
	const char *reason;
	const char *message;
	bool synced_time;        /* also set lastSyncedTime */
	const cJSON *secret_ref; /* status.secret to write, or NULL */
	const char *secret_rv;
	bool set_version;
	uint64_t version;
};

static void edit_condition(cJSON *status, void *ctx)
{
	const struct cond *cd = ctx;
	cJSON *conds, *cond;
	char now[32];

	simk_timestamp(cd->w, now, sizeof now);
	cJSON_DeleteItemFromObjectCaseSensitive(status, "conditions");
	conds = cJSON_AddArrayToObject(status, "conditions");
	cond = cJSON_CreateObject();
	if (!conds || !cond) {
		cJSON_Delete(cond);
		return;
	}
	cJSON_AddStringToObject(cond, "type", "Synced");
	cJSON_AddStringToObject(cond, "status",
	                        cd->unknown ? "Unknown"
	                        : cd->ok    ? "True"
	                                    : "False");
	cJSON_AddStringToObject(cond, "lastTransitionTime", now);
	if (cd->reason && *cd->reason)
		cJSON_AddStringToObject(cond, "reason", cd->reason);
	if (cd->message && *cd->message)
		cJSON_AddStringToObject(cond, "message", cd->message);
	cJSON_AddItemToArray(conds, cond);
	if (cd->synced_time) {
		cJSON_DeleteItemFromObjectCaseSensitive(status, "lastSyncedTime");
		cJSON_AddStringToObject(status, "lastSyncedTime", now);
	}
	if (cd->secret_ref) {
		cJSON *ref = cJSON_Duplicate(cd->secret_ref, true);

		if (ref && cd->secret_rv)
			cJSON_AddStringToObject(ref, "resourceVersion", cd->secret_rv);
		cJSON_DeleteItemFromObjectCaseSensitive(status, "secret");
		cJSON_AddItemToObject(status, "secret", ref);
	}
	if (cd->set_version) {
		cJSON_DeleteItemFromObjectCaseSensitive(status, "latestPeeringVersion");
		cJSON_AddNumberToObject(status, "latestPeeringVersion", (double)cd->version);
	}
}

static void status_error(struct sim_cluster *c, int rt, const char *ns, const char *name,
                         const char *reason, const char *message)
{
	struct cond cd = {.w = c->world, .ok = false, .reason = reason, .message = message};

	put_status(c, rt, ns, name, edit_condition, &cd);
	ctl_event(c, "controller: %s/%s not synced: %s: %s", ns, name, reason, message);
}

/* ------------------------------------------------------------ Consul access */

/* Calls Consul; on failure writes the Go API client's error text into err. */
static int consul(struct sim_cluster *c, const char *method, const char *path, const char *body,
                  char **out, char *err, size_t errlen)
{
	char *resp = NULL;
	int status = sim_consul_call(c, method, path, sim_consul_controller_token(c), body, &resp);

	if (status >= 200 && status < 300) {
		if (out)
			*out = resp;
		else
			free(resp);
		return status;
	}
	if (status <= 0)
		snprintf(err, errlen,
		         "%c%s \"https://consul-server.consul.svc:8501%s\": dial tcp: connect: "
		         "connection refused",
		         method[0],
		         strcmp(method, "DELETE") == 0 ? "elete"
		         : strcmp(method, "POST") == 0 ? "ost"
		         : strcmp(method, "PUT") == 0  ? "ut"
		                                       : "et",
		         path);
	else {
		size_t n = resp ? strlen(resp) : 0;

		/* Consul's plain-text errors end in a newline; the client trims it. */
		while (n && (resp[n - 1] == '\n' || resp[n - 1] == ' '))
			resp[--n] = '\0';
		snprintf(err, errlen, "Unexpected response code: %d (%.400s)", status,
		         resp ? resp : "");
	}
	if (out)
		*out = NULL;
	free(resp);
	return status;
}

/* -------------------------------------------------- peering version annotation */

/* The consul.hashicorp.com/peering-version annotation: false with an error
 * text when it is not an unsigned integer. */
static bool peering_version(const cJSON *obj, bool *present, uint64_t *v, char *err, size_t errlen)
{
	const char *a = simk_annotation(obj, SIMK_VERSION_ANNO);
	char *end;

	*present = a != NULL;
	*v = 0;
	if (!a)
		return true;
	errno = 0;
	*v = strtoull(a, &end, 10);
	if (!*a || *end || *a == '-' || *a == '+' || errno) {
		snprintf(err, errlen, "strconv.ParseUint: parsing \"%.64s\": invalid syntax", a);
		return false;
	}
	return true;
}

static bool version_bumped(const cJSON *obj, bool present, uint64_t v)
{
	const cJSON *latest = simk_path(obj, "status.latestPeeringVersion");

	return present && (!cJSON_IsNumber(latest) || (uint64_t)latest->valuedouble < v);
}

/* ------------------------------------------------------------ acceptor */

/* The Consul peering NAME exists (1), does not (0), or the read failed (-1). */
static int peering_exists(struct sim_cluster *c, const char *name, char *err, size_t errlen)
{
	char path[320];
	int st;

	snprintf(path, sizeof path, "/v1/peering/%s", name);
	st = consul(c, "GET", path, NULL, NULL, err, errlen);
	if (st == 200)
		return 1;
	return st == 404 ? 0 : -1;
}

static char *generate_token(struct sim_cluster *c, const char *name, char *err, size_t errlen)
{
	cJSON *req = cJSON_CreateObject(), *resp;
	char *body, *out = NULL, *token = NULL;

	if (!req)
		return NULL;
	cJSON_AddStringToObject(req, "PeerName", name);
	body = cJSON_PrintUnformatted(req);
	cJSON_Delete(req);
	if (!body)
		return NULL;
	consul(c, "POST", "/v1/peering/token", body, &out, err, errlen);
	free(body);
	resp = out ? cJSON_Parse(out) : NULL;
	if (cJSON_IsString(cJSON_GetObjectItem(resp, "PeeringToken")))
		token = strdup(cJSON_GetObjectItem(resp, "PeeringToken")->valuestring);
	else if (out)
		snprintf(err, errlen, "invalid response from Consul: no PeeringToken");
	cJSON_Delete(resp);
	free(out);
	return token;
}

/* The labelled token Secret of §6.4. Returns false when it cannot be built. */
static bool write_token_secret(struct sim_cluster *c, const char *ns, const char *sname,
                               const char *key, const char *token)
{
	char *enc = sim_b64_encode(token, strlen(token));
	cJSON *labels, *s = enc ? simk_secret_new(ns, sname, "Opaque", key, enc, &labels) : NULL;

	free(enc);
	if (!s)
		return false;
	cJSON_AddStringToObject(labels, SIMK_TOKEN_LABEL, "true");
	/* Update keeps the identity of an existing Secret; the write replaces
	 * its data and labels, as client.Update does. */
	return kput(c, SIMK_RT_SECRETS, ns, s) != 0;
}

struct peer_ctx {
	struct sim_cluster *c;
	int rt;
	const char *ns;
	const char *name;
	cJSON *cr;
	char err[600];
};

static bool str_differs(const cJSON *a, const cJSON *b, const char *key)
{
	const char *x = simk_str(a, key), *y = simk_str(b, key);

	return strcmp(x ? x : "", y ? y : "") != 0;
}

static void peer_error(struct peer_ctx *p, const char *reason)
{
	status_error(p->c, p->rt, p->ns, p->name, reason, p->err);
}

/* updateStatus of both controllers: status.secret from the spec (with the
 * Secret's resourceVersion for a dialer), lastSyncedTime, Synced=True and
 * latestPeeringVersion. A non-numeric annotation fails it without a status
 * write, as the controllers do. */
static bool peer_update_status(struct peer_ctx *p, const char *secret_rv)
{
	cJSON *cr = kget(p->c, p->rt, p->ns, p->name);
	struct cond cd = {.w = p->c->world, .ok = true, .synced_time = true};
	bool present, ok = false;
	uint64_t v;

	if (!cr)
		return false;
	if (peering_version(cr, &present, &v, p->err, sizeof p->err)) {
		cd.secret_ref = simk_path(cr, "spec.peer.secret");
		cd.secret_rv = secret_rv;
		cd.set_version = version_bumped(cr, present, v);
		cd.version = v;
		put_status(p->c, p->rt, p->ns, p->name, edit_condition, &cd);
		ok = true;
	}
	cJSON_Delete(cr);
	return ok;
}

/* Generates a token and writes the labelled Secret. */
static bool acceptor_token(struct peer_ctx *p, bool *consul_failed)
{
	const char *sname = simk_str(p->cr, "spec.peer.secret.name");
	const char *key = simk_str(p->cr, "spec.peer.secret.key");
	char *token = generate_token(p->c, p->name, p->err, sizeof p->err);
	bool ok;

	*consul_failed = !token;
	if (!token)
		return false;
	ok = write_token_secret(p->c, p->ns, sname ? sname : "", key ? key : "", token);
	free(token);
	if (!ok) {
		snprintf(p->err, sizeof p->err, "Secret \"%s\" could not be written",
		         sname ? sname : "");
		return false;
	}
	ctl_event(p->c, "controller: acceptor %s/%s wrote token Secret %s", p->ns, p->name,
	          sname ? sname : "");
	return true;
}

/* shouldGenerateToken: with status.secret set, a changed name (*renamed) or
 * key, or a higher version annotation; a changed backend and a non-numeric
 * annotation are errors (-1); in any case a missing spec Secret. */
static int acceptor_should_generate(struct peer_ctx *p, bool spec_secret_exists, bool *renamed)
{
	const cJSON *spec = simk_path(p->cr, "spec.peer.secret");
	const cJSON *st = simk_path(p->cr, "status.secret");
	bool present;
	uint64_t v;

	*renamed = false;
	if (cJSON_IsObject(st)) {
		if (str_differs(st, spec, "name"))
			return *renamed = true;
		if (str_differs(st, spec, "key"))
			return 1;
		if (str_differs(st, spec, "backend")) {
			snprintf(p->err, sizeof p->err,
			         "PeeringAcceptor backend cannot be changed");
			return -1;
		}
		if (!peering_version(p->cr, &present, &v, p->err, sizeof p->err))
			return -1;
		if (version_bumped(p->cr, present, v))
			return 1;
	}
	return !spec_secret_exists;
}

static bool reconcile_acceptor(struct peer_ctx *p)
{
	const char *st_name = simk_str(p->cr, "status.secret.name");
	bool status_set = cJSON_IsObject(simk_path(p->cr, "status.secret"));
	cJSON *spec_secret =
	        kget(p->c, SIMK_RT_SECRETS, p->ns, simk_str(p->cr, "spec.peer.secret.name"));
	bool spec_exists = spec_secret != NULL, renamed, consul_failed;
	int exists, gen;

	cJSON_Delete(spec_secret);
	/* A failed read is retried without a status write. */
	exists = peering_exists(p->c, p->name, p->err, sizeof p->err);
	if (exists < 0)
		return false;
	if (exists == 0) {
		/* A stale Secret from an earlier peering goes first. */
		if (status_set && st_name)
			kdelete(p->c, SIMK_RT_SECRETS, p->ns, st_name);
		if (!acceptor_token(p, &consul_failed)) {
			peer_error(p, consul_failed ? "consulAgentError" : "kubernetesError");
			return false;
		}
		return peer_update_status(p, NULL);
	}
	gen = acceptor_should_generate(p, spec_exists, &renamed);
	if (gen < 0) {
		peer_error(p, "internalError");
		return false;
	}
	if (!gen)
		return true;
	/* Regenerating for an existing peering records no error status. */
	if (!acceptor_token(p, &consul_failed))
		return false;
	if (renamed && status_set && st_name)
		kdelete(p->c, SIMK_RT_SECRETS, p->ns, st_name);
	return peer_update_status(p, NULL);
}

/* -------------------------------------------------------------- dialer */

static bool dialer_establish(struct peer_ctx *p, const cJSON *secret)
{
	const char *key = simk_str(p->cr, "spec.peer.secret.key");
	const cJSON *val =
	        key ? cJSON_GetObjectItemCaseSensitive(simk_path(secret, "data"), key) : NULL;
	char *token = NULL, *body;
	size_t len;
	cJSON *req;
	bool ok;

	if (cJSON_IsString(val))
		token = sim_b64_decode(val->valuestring, &len);
	req = cJSON_CreateObject();
	if (!req) {
		free(token);
		return false;
	}
	cJSON_AddStringToObject(req, "PeerName", p->name);
	cJSON_AddStringToObject(req, "PeeringToken", token ? token : "");
	free(token);
	body = cJSON_PrintUnformatted(req);
	cJSON_Delete(req);
	if (!body)
		return false;
	ok = consul(p->c, "POST", "/v1/peering/establish", body, NULL, p->err, sizeof p->err) ==
	     200;
	free(body);
	if (!ok) {
		peer_error(p, "consulAgentError");
		return false;
	}
	ctl_event(p->c, "controller: dialer %s/%s established", p->ns, p->name);
	return peer_update_status(p, simk_str(secret, "metadata.resourceVersion"));
}

/* specStatusSecretsDifferent: name, key, backend or the Secret's version. */
static bool dialer_secret_changed(const struct peer_ctx *p, const cJSON *secret)
{
	const cJSON *spec = simk_path(p->cr, "spec.peer.secret");
	const cJSON *st = simk_path(p->cr, "status.secret");
	const char *rv = simk_str(st, "resourceVersion");

	return str_differs(st, spec, "name") || str_differs(st, spec, "key") ||
	       str_differs(st, spec, "backend") ||
	       strcmp(simk_str(secret, "metadata.resourceVersion"), rv ? rv : "") != 0;
}

/* Whether to establish once the Secret in the status exists: 1, 0, or -1
 * after an error (a failed read is retried without a status write). */
static int dialer_should_establish(struct peer_ctx *p, const cJSON *secret)
{
	bool present;
	uint64_t v;
	int exists = peering_exists(p->c, p->name, p->err, sizeof p->err);

	if (exists < 0)
		return -1;
	if (exists == 0 || dialer_secret_changed(p, secret))
		return 1;
	if (!peering_version(p->cr, &present, &v, p->err, sizeof p->err)) {
		peer_error(p, "internalError");
		return -1;
	}
	return version_bumped(p->cr, present, v);
}

static bool reconcile_dialer(struct peer_ctx *p)
{
	const char *st_name = simk_str(p->cr, "status.secret.name");
	cJSON *secret =
	        kget(p->c, SIMK_RT_SECRETS, p->ns, simk_str(p->cr, "spec.peer.secret.name"));
	cJSON *status_secret;
	int establish = 1;
	bool ok;

	if (!secret) {
		snprintf(p->err, sizeof p->err, "PeeringDialer spec.peer.secret does not exist");
		peer_error(p, "internalError");
		return false;
	}
	status_secret = cJSON_IsObject(simk_path(p->cr, "status.secret")) && st_name
	                        ? kget(p->c, SIMK_RT_SECRETS, p->ns, st_name)
	                        : NULL;
	if (status_secret)
		establish = dialer_should_establish(p, secret);
	cJSON_Delete(status_secret);
	ok = establish == 0 || (establish > 0 && dialer_establish(p, secret));
	cJSON_Delete(secret);
	return ok;
}

/* --------------------------------------------------- peering CRs: entry */

static bool reconcile_peering(struct sim_cluster *c, int rt, const char *ns, const char *name)
{
	struct peer_ctx p = {.c = c, .rt = rt, .ns = ns, .name = name};
	bool acceptor = kind_of(c->kube, rt) == CTL_ACCEPTOR;
	char path[320];
	bool ok;

	p.cr = kget(c, rt, ns, name);
	if (!p.cr)
		return true;
	if (simk_str(p.cr, "metadata.deletionTimestamp")) {
		ok = true;
		if (has_finalizer(p.cr)) {
			snprintf(path, sizeof path, "/v1/peering/%s", name);
			ok = consul(c, "DELETE", path, NULL, NULL, p.err, sizeof p.err) == 200;
			/* The acceptor deletes its Secret too, and its Consul error
			 * is overwritten by that result (§6.5 step 2). */
			if (acceptor) {
				kdelete(c, SIMK_RT_SECRETS, ns,
				        simk_str(p.cr, "spec.peer.secret.name"));
				ok = true;
			}
			if (ok) {
				set_finalizer(c, rt, ns, name, false);
				ctl_event(c, "controller: %s/%s deleted peering %s", ns, name,
				          name);
			}
		}
		cJSON_Delete(p.cr);
		return ok;
	}
	if (!has_finalizer(p.cr))
		set_finalizer(c, rt, ns, name, true);
	ok = acceptor ? reconcile_acceptor(&p) : reconcile_dialer(&p);
	cJSON_Delete(p.cr);
	return ok;
}

/* ------------------------------------------------------- config entries */

struct entry_kind {
	const char *crd_kind;
	const char *consul_kind;
	const char *fixed_name; /* Consul name, else the CR's name */
};

static const struct entry_kind entry_kinds[] = {
        {"Mesh", "mesh", "mesh"},
        {"ExportedServices", "exported-services", NULL},
        {"ProxyDefaults", "proxy-defaults", "global"},
        {"ServiceDefaults", "service-defaults", NULL},
};

/* camelCase spec keys become Consul's PascalCase; opaque maps (config,
 * meta) keep their keys. */
static cJSON *pascal(const cJSON *v)
{
	cJSON *out, *it;
	char key[128];

	if (!cJSON_IsObject(v))
		return cJSON_Duplicate(v, true);
	out = cJSON_CreateObject();
	cJSON_ArrayForEach(it, v)
	{
		bool opaque = strcmp(it->string, "config") == 0 || strcmp(it->string, "meta") == 0;
		cJSON *child = opaque ? cJSON_Duplicate(it, true) : pascal(it);

		if (cJSON_IsArray(it) && !opaque) {
			const cJSON *e;

			cJSON_Delete(child);
			child = cJSON_CreateArray();
			cJSON_ArrayForEach(e, it)
			{
				cJSON_AddItemToArray(child, pascal(e));
			}
		}
		snprintf(key, sizeof key, "%s", it->string);
		if (key[0] >= 'a' && key[0] <= 'z')
			key[0] = (char)(key[0] - 'a' + 'A');
		if (out && child)
			cJSON_AddItemToObject(out, key, child);
		else
			cJSON_Delete(child);
	}
	return out;
}

static cJSON *desired_entry(const struct entry_kind *ek, const cJSON *cr, const char *name,
                            const char *dc)
{
	cJSON *e = pascal(simk_path(cr, "spec")), *meta;

	if (!cJSON_IsObject(e)) {
		cJSON_Delete(e);
		e = cJSON_CreateObject();
	}
	if (!e)
		return NULL;
	cJSON_DeleteItemFromObjectCaseSensitive(e, "Kind");
	cJSON_DeleteItemFromObjectCaseSensitive(e, "Name");
	cJSON_AddStringToObject(e, "Kind", ek->consul_kind);
	if (strcmp(ek->consul_kind, "mesh") != 0)
		cJSON_AddStringToObject(e, "Name", name);
	meta = cJSON_AddObjectToObject(e, "Meta");
	cJSON_AddStringToObject(meta, "consul.hashicorp.com/source-datacenter", dc);
	cJSON_AddStringToObject(meta, "external-source", "kubernetes");
	return e;
}

/* What Consul has matches what the CR asks for: every desired member equal,
 * and nothing else set apart from Consul's bookkeeping. */
static bool entry_matches(const cJSON *want, const cJSON *have)
{
	static const char *const ignore[] = {"Kind",        "Name",      "CreateIndex",
	                                     "ModifyIndex", "Partition", "Namespace",
	                                     "Hash",        "Meta",      NULL};
	const cJSON *it;

	/* Like consul-k8s's MatchesConsul: the entry's content, not its Meta. */
	cJSON_ArrayForEach(it, want)
	{
		if (strcmp(it->string, "Meta") != 0 &&
		    !cJSON_Compare(it, cJSON_GetObjectItemCaseSensitive(have, it->string), true))
			return false;
	}
	cJSON_ArrayForEach(it, have)
	{
		bool skip = false;

		for (const char *const *k = ignore; *k; k++)
			skip = skip || strcmp(*k, it->string) == 0;
		if (skip || cJSON_GetObjectItemCaseSensitive(want, it->string))
			continue;
		if (!(cJSON_IsNull(it) || cJSON_IsFalse(it) ||
		      (cJSON_IsString(it) && !*it->valuestring) ||
		      ((cJSON_IsObject(it) || cJSON_IsArray(it)) && !it->child) ||
		      (cJSON_IsNumber(it) && it->valuedouble == 0)))
			return false;
	}
	return true;
}

static bool write_entry(struct sim_cluster *c, const cJSON *entry, char *err, size_t errlen)
{
	char *body = cJSON_PrintUnformatted(entry), *out = NULL;
	bool ok;

	if (!body) {
		snprintf(err, errlen, "out of memory");
		return false;
	}
	ok = consul(c, "PUT", "/v1/config", body, &out, err, errlen) == 200;
	free(body);
	if (ok && out && strncmp(out, "true", 4) != 0) {
		snprintf(err, errlen, "config entry was not written");
		ok = false;
	}
	free(out);
	return ok;
}

/* syncSuccessful: Synced=True and lastSyncedTime; without a write (FORCE
 * false) only when the condition is not True already. */
static void entry_synced(struct sim_cluster *c, int rt, const char *ns, const char *name,
                         const cJSON *cr, bool force)
{
	struct cond cd = {.w = c->world, .ok = true, .synced_time = true};
	const char *s = NULL;
	const cJSON *it;

	cJSON_ArrayForEach(it, simk_path(cr, "status.conditions"))
	{
		if (simk_str(it, "type") && strcmp(simk_str(it, "type"), "Synced") == 0)
			s = simk_str(it, "status");
	}
	if (!force && s && strcmp(s, "True") == 0)
		return;
	put_status(c, rt, ns, name, edit_condition, &cd);
}

/* Meta["consul.hashicorp.com/source-datacenter"] of a Consul entry. */
static const char *source_dc(const cJSON *entry)
{
	const cJSON *meta = cJSON_GetObjectItemCaseSensitive(entry, "Meta");
	const cJSON *dc =
	        cJSON_GetObjectItemCaseSensitive(meta, "consul.hashicorp.com/source-datacenter");

	return cJSON_IsString(dc) ? dc->valuestring : NULL;
}

struct entry_ctx {
	struct sim_cluster *c;
	int rt;
	const char *ns, *name;
	const char *cname; /* the Consul entry's name */
	const struct entry_kind *ek;
	cJSON *cr;
	char dc[64]; /* this cluster's datacenter, read under the lock */
	char err[600];
	char msg[900];
};

/* syncFailed (Synced=False) or syncUnknownWithError (UNKNOWN). */
static void entry_error(struct entry_ctx *e, const char *reason, const char *what, bool unknown)
{
	struct cond cd = {.w = e->c->world, .unknown = unknown, .reason = reason};

	snprintf(e->msg, sizeof e->msg, "%s%s", what, e->err);
	cd.message = e->msg;
	put_status(e->c, e->rt, e->ns, e->name, edit_condition, &cd);
	ctl_event(e->c, "controller: %s/%s not synced: %s: %s", e->ns, e->name, reason, e->msg);
}

/* The CR is being deleted: remove our entry (one from another datacenter
 * stays), then the finalizer. */
static bool entry_finalize(struct entry_ctx *e)
{
	char path[400], *out = NULL;
	const char *dc;
	cJSON *have;
	int st;

	if (!has_finalizer(e->cr))
		return true;
	snprintf(path, sizeof path, "/v1/config/%s/%s", e->ek->consul_kind, e->cname);
	st = consul(e->c, "GET", path, NULL, &out, e->err, sizeof e->err);
	if (st != 200 && st != 404)
		return false; /* retried, no status */
	have = out ? cJSON_Parse(out) : NULL;
	free(out);
	dc = source_dc(have);
	if (dc && strcmp(dc, e->dc) == 0 &&
	    consul(e->c, "DELETE", path, NULL, NULL, e->err, sizeof e->err) != 200) {
		cJSON_Delete(have);
		entry_error(e, "ConsulAgentError", "deleting config entry from consul: ", false);
		return false;
	}
	cJSON_Delete(have);
	set_finalizer(e->c, e->rt, e->ns, e->name, false);
	return true;
}

/* The entry exists in Consul as HAVE. Ours is brought in line with WANT;
 * another's is adopted only when it already matches (or, with the
 * migrate-entry annotation, refused with MigrationFailedError). */
static bool entry_update(struct entry_ctx *e, const cJSON *want, const cJSON *have)
{
	const char *dc = source_dc(have);
	const char *migrate = simk_annotation(e->cr, SIMK_MIGRATE_ANNO);
	bool foreign = !dc || strcmp(dc, e->dc) != 0;
	bool matches = entry_matches(want, have);

	if (foreign && !matches && !(migrate && strcmp(migrate, "true") == 0)) {
		if (dc)
			snprintf(e->err, sizeof e->err,
			         "config entry managed in different datacenter: \"%s\"", dc);
		else
			snprintf(e->err, sizeof e->err, "config entry already exists in Consul");
		entry_error(e, "ExternallyManagedConfigError", "", false);
		return false;
	}
	if (foreign && !matches) {
		char *h = cJSON_PrintUnformatted(have), *w = cJSON_PrintUnformatted(want);

		snprintf(e->err, sizeof e->err,
		         "migration failed: Kubernetes resource does not match existing Consul "
		         "config "
		         "entry: consul=%.300s, kube=%.300s",
		         h ? h : "", w ? w : "");
		free(h);
		free(w);
		entry_error(e, "MigrationFailedError", "", false);
		return false;
	}
	if (matches && !foreign) {
		entry_synced(e->c, e->rt, e->ns, e->name, e->cr, false);
		return true;
	}
	/* Out of date, or a matching entry to take over: write ours. */
	if (!write_entry(e->c, want, e->err, sizeof e->err)) {
		entry_error(e, "ConsulAgentError", "updating config entry in consul: ", true);
		return false;
	}
	ctl_event(e->c, "controller: %s %s %s from %s/%s", foreign ? "migrated" : "updated",
	          e->ek->consul_kind, e->cname, e->ns, e->name);
	entry_synced(e->c, e->rt, e->ns, e->name, e->cr, true);
	return true;
}

static bool entry_sync(struct entry_ctx *e)
{
	cJSON *want = desired_entry(e->ek, e->cr, e->cname, e->dc), *have = NULL;
	char path[400], *out = NULL;
	bool ok = false;
	int st;

	snprintf(path, sizeof path, "/v1/config/%s/%s", e->ek->consul_kind, e->cname);
	st = consul(e->c, "GET", path, NULL, &out, e->err, sizeof e->err);
	if (!want || (st != 200 && st != 404)) {
		entry_error(e, "ConsulAgentError", "", false);
		goto out;
	}
	have = out ? cJSON_Parse(out) : NULL;
	if (have) {
		ok = entry_update(e, want, have);
	} else if (!write_entry(e->c, want, e->err, sizeof e->err)) {
		entry_error(e, "ConsulAgentError", "writing config entry to consul: ", false);
	} else {
		ctl_event(e->c, "controller: wrote %s %s from %s/%s", e->ek->consul_kind, e->cname,
		          e->ns, e->name);
		entry_synced(e->c, e->rt, e->ns, e->name, e->cr, true);
		ok = true;
	}
out:
	free(out);
	cJSON_Delete(want);
	cJSON_Delete(have);
	return ok;
}

static bool reconcile_entry(struct sim_cluster *c, int rt, const char *ns, const char *name)
{
	const struct simk_rtype *t = simk_rtype(c->kube, rt);
	struct entry_ctx e = {.c = c, .rt = rt, .ns = ns, .name = name};
	bool ok;

	for (size_t i = 0; i < sizeof entry_kinds / sizeof entry_kinds[0]; i++)
		if (strcmp(entry_kinds[i].crd_kind, t->kind) == 0)
			e.ek = &entry_kinds[i];
	e.cr = kget(c, rt, ns, name);
	if (!e.cr || !e.ek) {
		cJSON_Delete(e.cr);
		return true;
	}
	pthread_mutex_lock(&c->world->lock);
	snprintf(e.dc, sizeof e.dc, "%s", c->install.datacenter);
	pthread_mutex_unlock(&c->world->lock);
	e.cname = e.ek->fixed_name ? e.ek->fixed_name : name;
	if (simk_str(e.cr, "metadata.deletionTimestamp")) {
		ok = entry_finalize(&e);
	} else {
		/* A new finalizer comes with Synced=Unknown (syncUnknown). */
		if (!has_finalizer(e.cr)) {
			struct cond cd = {.w = c->world, .unknown = true, .synced_time = true};

			set_finalizer(c, rt, ns, name, true);
			put_status(c, rt, ns, name, edit_condition, &cd);
		}
		ok = entry_sync(&e);
	}
	cJSON_Delete(e.cr);
	return ok;
}

/* ------------------------------------------------------------------ loop */

static bool reconcile(struct sim_cluster *c, const struct ctl_item *it)
{
	switch (kind_of(c->kube, it->rt)) {
	case CTL_ACCEPTOR:
	case CTL_DIALER:
		return reconcile_peering(c, it->rt, it->ns, it->name);
	case CTL_ENTRY:
		return reconcile_entry(c, it->rt, it->ns, it->name);
	default:
		return true;
	}
}

/* The cluster and queue index of the earliest item; -1 when none. */
static int earliest(struct sim_world *w, struct sim_controllers *ctl, size_t *idx, int64_t *due)
{
	int best = -1;

	*due = INT64_MAX;
	for (int i = 0; i < w->nclusters; i++) {
		struct ctl_queue *q = &ctl->queues[i];

		if (!w->clusters[i].running || !w->clusters[i].kube ||
		    !w->clusters[i].install.connect_inject_enabled)
			continue;
		for (size_t j = 0; j < q->n; j++)
			if (q->items[j].due_ms < *due) {
				*due = q->items[j].due_ms;
				*idx = j;
				best = i;
			}
	}
	return best;
}

static struct ctl_item *find_item(struct ctl_queue *q, const struct ctl_item *key)
{
	for (size_t j = 0; j < q->n; j++)
		if (q->items[j].rt == key->rt && strcmp(q->items[j].ns, key->ns) == 0 &&
		    strcmp(q->items[j].name, key->name) == 0)
			return &q->items[j];
	return NULL;
}

static void run_one(struct sim_world *w, struct sim_controllers *ctl, int ci, size_t idx)
{
	struct ctl_queue *q = &ctl->queues[ci];
	struct ctl_item item = q->items[idx], *again;
	int64_t delay;

	/* The item leaves the queue while it runs; an event during the run
	 * enqueues it afresh, as controller-runtime's dirty set does. */
	q->items[idx] = q->items[--q->n];
	/* A controller whose CRD is not installed does not run. */
	if (!simk_served(&w->clusters[ci], item.rt))
		return;
	pthread_mutex_unlock(&w->lock);
	if (reconcile(&w->clusters[ci], &item)) {
		pthread_mutex_lock(&w->lock);
		return;
	}
	pthread_mutex_lock(&w->lock);
	/* A failure comes back with exponential backoff. */
	if (kind_of(w->clusters[ci].kube, item.rt) == CTL_ENTRY) {
		delay = (int64_t)CTL_ENTRY_BACKOFF_BASE_MS
		        << (item.failures < 6 ? item.failures : 6);
		if (delay > CTL_ENTRY_BACKOFF_MAX_MS)
			delay = CTL_ENTRY_BACKOFF_MAX_MS;
	} else {
		delay = (int64_t)CTL_BACKOFF_BASE_MS << (item.failures < 7 ? item.failures : 7);
		if (delay > CTL_BACKOFF_MAX_MS)
			delay = CTL_BACKOFF_MAX_MS;
	}
	again = find_item(q, &item);
	if (!again) {
		enqueue(q, item.rt, item.ns, item.name);
		again = find_item(q, &item);
		if (!again)
			return;
		again->due_ms = sim_mono_ms() + sim_scaled_ms(w, delay);
	}
	again->failures = item.failures + 1;
}

static void *controllers_main(void *arg)
{
	struct sim_world *w = arg;
	struct sim_controllers *ctl = w->controllers;

	pthread_mutex_lock(&w->lock);
	while (!w->stopping) {
		int64_t due, now;
		size_t idx = 0;
		int ci;

		for (int i = 0; i < w->nclusters; i++) {
			if (!w->clusters[i].kube)
				continue;
			simk_helm_refresh(&w->clusters[i]);
			collect(&w->clusters[i], &ctl->queues[i]);
		}
		ci = earliest(w, ctl, &idx, &due);
		now = sim_mono_ms();
		if (ci >= 0 && due <= now) {
			run_one(w, ctl, ci, idx);
			continue;
		}
		sim_wait(w, due < now + CTL_IDLE_WAIT_MS ? due : now + CTL_IDLE_WAIT_MS);
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

int sim_controllers_start(struct sim_world *w)
{
	struct sim_controllers *ctl = calloc(1, sizeof *ctl);

	if (!ctl)
		return -1;
	w->controllers = ctl;
	if (pthread_create(&ctl->thread, NULL, controllers_main, w) != 0) {
		w->controllers = NULL;
		free(ctl);
		return -1;
	}
	return 0;
}

/* Called with world->stopping set (or about to be): wakes and joins. */
void sim_controllers_stop(struct sim_world *w)
{
	struct sim_controllers *ctl = w->controllers;

	if (!ctl)
		return;
	pthread_mutex_lock(&w->lock);
	w->stopping = true;
	sim_changed(w);
	pthread_mutex_unlock(&w->lock);
	pthread_join(ctl->thread, NULL);
	for (int i = 0; i < SIM_MAX_CLUSTERS; i++)
		free(ctl->queues[i].items);
	free(ctl);
	w->controllers = NULL;
}
