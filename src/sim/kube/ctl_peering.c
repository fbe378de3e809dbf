/* peerscope-sim, Kubernetes half: consul-k8s's PeeringAcceptor and
 * PeeringDialer controllers (API.md §6.5, §6.6): tokens into labelled
 * Secrets, Secrets into established peerings, the peering-version
 * annotation, deletion through the finalizer. */
#include "autoconfig.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "simk.h"

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

/* The Consul peering NAME exists (1), does not (0), or the read failed (-1). */
static int peering_exists(struct sim_cluster *c, const char *name, char *err, size_t errlen)
{
	char path[320];
	int st;

	snprintf(path, sizeof path, "/v1/peering/%s", name);
	st = simk_ctl_consul(c, "GET", path, NULL, NULL, err, errlen);
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
	simk_ctl_consul(c, "POST", "/v1/peering/token", body, &out, err, errlen);
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
	return simk_ctl_put(c, SIMK_RT_SECRETS, ns, s) != 0;
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
	simk_ctl_status_error(p->c, p->rt, p->ns, p->name, reason, p->err);
}

/* updateStatus of both controllers: status.secret from the spec (with the
 * Secret's resourceVersion for a dialer), lastSyncedTime, Synced=True and
 * latestPeeringVersion. A non-numeric annotation fails it without a status
 * write, as the controllers do. */
static bool peer_update_status(struct peer_ctx *p, const char *secret_rv)
{
	cJSON *cr = simk_ctl_get(p->c, p->rt, p->ns, p->name);
	struct simk_cond cd = {.w = p->c->world, .ok = true, .synced_time = true};
	bool present, ok = false;
	uint64_t v;

	if (!cr)
		return false;
	if (peering_version(cr, &present, &v, p->err, sizeof p->err)) {
		cd.secret_ref = simk_path(cr, "spec.peer.secret");
		cd.secret_rv = secret_rv;
		cd.set_version = version_bumped(cr, present, v);
		cd.version = v;
		simk_ctl_put_status(p->c, p->rt, p->ns, p->name, simk_ctl_edit_condition, &cd);
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
	simk_ctl_event(p->c, "controller: acceptor %s/%s wrote token Secret %s", p->ns, p->name,
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
	cJSON *spec_secret = simk_ctl_get(p->c, SIMK_RT_SECRETS, p->ns,
	                                  simk_str(p->cr, "spec.peer.secret.name"));
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
			simk_ctl_delete(p->c, SIMK_RT_SECRETS, p->ns, st_name);
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
		simk_ctl_delete(p->c, SIMK_RT_SECRETS, p->ns, st_name);
	return peer_update_status(p, NULL);
}

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
	ok = simk_ctl_consul(p->c, "POST", "/v1/peering/establish", body, NULL, p->err,
	                     sizeof p->err) == 200;
	free(body);
	if (!ok) {
		peer_error(p, "consulAgentError");
		return false;
	}
	simk_ctl_event(p->c, "controller: dialer %s/%s established", p->ns, p->name);
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
	cJSON *secret = simk_ctl_get(p->c, SIMK_RT_SECRETS, p->ns,
	                             simk_str(p->cr, "spec.peer.secret.name"));
	cJSON *status_secret;
	int establish = 1;
	bool ok;

	if (!secret) {
		snprintf(p->err, sizeof p->err, "PeeringDialer spec.peer.secret does not exist");
		peer_error(p, "internalError");
		return false;
	}
	status_secret = cJSON_IsObject(simk_path(p->cr, "status.secret")) && st_name
	                        ? simk_ctl_get(p->c, SIMK_RT_SECRETS, p->ns, st_name)
	                        : NULL;
	if (status_secret)
		establish = dialer_should_establish(p, secret);
	cJSON_Delete(status_secret);
	ok = establish == 0 || (establish > 0 && dialer_establish(p, secret));
	cJSON_Delete(secret);
	return ok;
}

bool simk_reconcile_peering(struct sim_cluster *c, int rt, const char *ns, const char *name)
{
	struct peer_ctx p = {.c = c, .rt = rt, .ns = ns, .name = name};
	bool acceptor = strcmp(simk_rtype(c->kube, rt)->kind, "PeeringAcceptor") == 0;
	char path[320];
	bool ok;

	p.cr = simk_ctl_get(c, rt, ns, name);
	if (!p.cr)
		return true;
	if (simk_str(p.cr, "metadata.deletionTimestamp")) {
		ok = true;
		if (simk_ctl_has_finalizer(p.cr)) {
			snprintf(path, sizeof path, "/v1/peering/%s", name);
			ok = simk_ctl_consul(c, "DELETE", path, NULL, NULL, p.err, sizeof p.err) ==
			     200;
			/* The acceptor deletes its Secret too, and its Consul error
			 * is overwritten by that result (§6.5 step 2). */
			if (acceptor) {
				simk_ctl_delete(c, SIMK_RT_SECRETS, ns,
				                simk_str(p.cr, "spec.peer.secret.name"));
				ok = true;
			}
			if (ok) {
				simk_ctl_set_finalizer(c, rt, ns, name, false);
				simk_ctl_event(c, "controller: %s/%s deleted peering %s", ns, name,
				               name);
			}
		}
		cJSON_Delete(p.cr);
		return ok;
	}
	if (!simk_ctl_has_finalizer(p.cr))
		simk_ctl_set_finalizer(c, rt, ns, name, true);
	ok = acceptor ? reconcile_acceptor(&p) : reconcile_dialer(&p);
	cJSON_Delete(p.cr);
	return ok;
}
