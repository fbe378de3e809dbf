/* peerscope-sim: a cluster's Kubernetes API server.
 *
 * Routing, bearer-token authentication, discovery documents, Status errors
 * and the API server's service proxy to the cluster's Consul. The resource
 * endpoints live in kube_api.c, watches in kube_watch.c, OpenAPI in
 * kube_openapi.c. */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "consul/simc.h"
#include "simk.h"

#define SIMK_MAX_SEGS 12
#define AUTHZ_GROUP   "authorization.k8s.io"

static void not_found_path(struct sim_resp *resp)
{
	simk_status_error(resp, 404, "NotFound", "the server could not find the requested resource",
	                  NULL, NULL, NULL, NULL);
}

/* ---------------------------------------------------------------- discovery */

static void send_version(struct sim_resp *resp)
{
	cJSON *v = cJSON_CreateObject();

	if (v) {
		cJSON_AddStringToObject(v, "major", "1");
		cJSON_AddStringToObject(v, "minor", "32");
		cJSON_AddStringToObject(v, "gitVersion", "v1.32.0-peerscope-sim");
		cJSON_AddStringToObject(v, "gitCommit", "0000000000000000000000000000000000000000");
		cJSON_AddStringToObject(v, "gitTreeState", "clean");
		cJSON_AddStringToObject(v, "buildDate", "2026-01-01T00:00:00Z");
		cJSON_AddStringToObject(v, "goVersion", "go1.23.0");
		cJSON_AddStringToObject(v, "compiler", "gc");
		cJSON_AddStringToObject(v, "platform", "linux/amd64");
	}
	simk_send_json(resp, 200, v);
}

static void send_api_versions(struct sim_cluster *c, struct sim_resp *resp)
{
	cJSON *v = cJSON_CreateObject();
	cJSON *cidrs, *one;
	char addr[96];

	if (!v) {
		simk_send_json(resp, 200, NULL);
		return;
	}
	cJSON_AddStringToObject(v, "kind", "APIVersions");
	cJSON_AddItemToObject(v, "versions", cJSON_CreateStringArray((const char *[]){"v1"}, 1));
	cidrs = cJSON_AddArrayToObject(v, "serverAddressByClientCIDRs");
	one = cJSON_CreateObject();
	snprintf(addr, sizeof addr, "%s:%u", c->world->opt.listen, (unsigned)c->kube_port);
	if (one) {
		cJSON_AddStringToObject(one, "clientCIDR", "0.0.0.0/0");
		cJSON_AddStringToObject(one, "serverAddress", addr);
		cJSON_AddItemToArray(cidrs, one);
	}
	simk_send_json(resp, 200, v);
}

static cJSON *group_json(const char *group, const char *version)
{
	cJSON *g = cJSON_CreateObject(), *versions, *gv, *pref;
	char groupversion[80];

	if (!g)
		return NULL;
	snprintf(groupversion, sizeof groupversion, "%s/%s", group, version);
	cJSON_AddStringToObject(g, "name", group);
	versions = cJSON_AddArrayToObject(g, "versions");
	gv = cJSON_CreateObject();
	if (gv) {
		cJSON_AddStringToObject(gv, "groupVersion", groupversion);
		cJSON_AddStringToObject(gv, "version", version);
		cJSON_AddItemToArray(versions, gv);
	}
	pref = cJSON_AddObjectToObject(g, "preferredVersion");
	if (pref) {
		cJSON_AddStringToObject(pref, "groupVersion", groupversion);
		cJSON_AddStringToObject(pref, "version", version);
	}
	return g;
}

/* Whether any consul.hashicorp.com type is served: the group exists. */
static bool group_served(struct sim_cluster *c)
{
	bool any = false;

	pthread_mutex_lock(&c->world->lock);
	for (int i = SIMK_RT_FIRST_CR; i < c->kube->nrtypes; i++)
		any = any || simk_served(c, i);
	pthread_mutex_unlock(&c->world->lock);
	return any;
}

static void send_group_list(struct sim_cluster *c, struct sim_resp *resp)
{
	cJSON *l = cJSON_CreateObject(), *groups;

	if (l) {
		cJSON_AddStringToObject(l, "kind", "APIGroupList");
		cJSON_AddStringToObject(l, "apiVersion", "v1");
		groups = cJSON_AddArrayToObject(l, "groups");
		cJSON_AddItemToArray(groups, group_json(AUTHZ_GROUP, "v1"));
		cJSON_AddItemToArray(groups, group_json(SIMK_APPS_GROUP, "v1"));
		if (group_served(c))
			cJSON_AddItemToArray(groups, group_json(SIMK_GROUP, SIMK_CR_VERSION));
	}
	simk_send_json(resp, 200, l);
}

static void send_group(struct sim_resp *resp, const char *group, const char *version)
{
	cJSON *g = group_json(group, version);

	if (g) {
		cJSON_AddStringToObject(g, "kind", "APIGroup");
		cJSON_AddStringToObject(g, "apiVersion", "v1");
	}
	simk_send_json(resp, 200, g);
}

static cJSON *resource_json(const struct simk_rtype *t, bool status)
{
	/* No deletecollection: the simulator deletes one object at a time. */
	static const char *const verbs[] = {"create", "delete", "get",  "list",
	                                    "patch",  "update", "watch"};
	static const char *const status_verbs[] = {"get", "patch", "update"};
	cJSON *r = cJSON_CreateObject();
	char name[48];

	if (!r)
		return NULL;
	snprintf(name, sizeof name, "%s%s", t->plural, status ? "/status" : "");
	cJSON_AddStringToObject(r, "name", name);
	cJSON_AddStringToObject(r, "singularName", status ? "" : t->singular);
	cJSON_AddBoolToObject(r, "namespaced", t->namespaced);
	cJSON_AddStringToObject(r, "kind", t->kind);
	if (status) {
		cJSON_AddItemToObject(r, "verbs", cJSON_CreateStringArray(status_verbs, 3));
		return r;
	}
	cJSON_AddItemToObject(r, "verbs", cJSON_CreateStringArray(verbs, 7));
	if (*t->short_name)
		cJSON_AddItemToObject(r, "shortNames",
		                      cJSON_CreateStringArray((const char *[]){t->short_name}, 1));
	if (t->crd)
		cJSON_AddItemToObject(r, "categories",
		                      cJSON_CreateStringArray((const char *[]){"consul"}, 1));
	return r;
}

/* The types of GROUP ("" the core group) at VERSION. */
static void send_resource_list(struct sim_cluster *c, struct sim_resp *resp, const char *group,
                               const char *version)
{
	char gv[80];
	struct simk_state *k = c->kube;
	cJSON *l = cJSON_CreateObject(), *arr;

	if (!l) {
		simk_send_json(resp, 200, NULL);
		return;
	}
	cJSON_AddStringToObject(l, "kind", "APIResourceList");
	cJSON_AddStringToObject(l, "apiVersion", "v1");
	snprintf(gv, sizeof gv, "%s%s%s", group, *group ? "/" : "", version);
	cJSON_AddStringToObject(l, "groupVersion", gv);
	arr = cJSON_AddArrayToObject(l, "resources");
	pthread_mutex_lock(&c->world->lock);
	for (int i = 0; i < k->nrtypes; i++) {
		const struct simk_rtype *t = &k->rtypes[i];

		if (strcmp(t->group, group) || !simk_served(c, i))
			continue;
		cJSON_AddItemToArray(arr, resource_json(t, false));
		if (t->has_status)
			cJSON_AddItemToArray(arr, resource_json(t, true));
	}
	pthread_mutex_unlock(&c->world->lock);
	simk_send_json(resp, 200, l);
}

/* authorization.k8s.io/v1: the access reviews, create only. */
static void send_authz_resources(struct sim_resp *resp)
{
	/* The reviews of one's own access; those about other users are not
	 * simulated. */
	static const char *const plurals[][2] = {
	        {"selfsubjectaccessreviews", "SelfSubjectAccessReview"},
	        {"selfsubjectrulesreviews", "SelfSubjectRulesReview"},
	};
	cJSON *l = cJSON_CreateObject(), *arr = l ? cJSON_AddArrayToObject(l, "resources") : NULL;

	if (arr) {
		cJSON_AddStringToObject(l, "kind", "APIResourceList");
		cJSON_AddStringToObject(l, "apiVersion", "v1");
		cJSON_AddStringToObject(l, "groupVersion", AUTHZ_GROUP "/v1");
	}
	for (size_t i = 0; arr && i < sizeof plurals / sizeof plurals[0]; i++) {
		cJSON *r = cJSON_CreateObject();
		if (!r)
			break;
		cJSON_AddItemToArray(arr, r);
		cJSON_AddStringToObject(r, "name", plurals[i][0]);
		cJSON_AddStringToObject(r, "singularName", "");
		cJSON_AddBoolToObject(r, "namespaced", false);
		cJSON_AddStringToObject(r, "kind", plurals[i][1]);
		cJSON_AddItemToObject(r, "verbs",
		                      cJSON_CreateStringArray((const char *[]){"create"}, 1));
	}
	simk_send_json(resp, 200, l);
}

/* ------------------------------------------------------------ service proxy */

/* The Consul server Service as the Helm chart names it: <fullname>-server. */
static bool proxy_target_ok(const struct sim_cluster *c, bool tls, const char *svc, char *why,
                            size_t len)
{
	char scheme[8] = "", name[64] = "", port[8] = "";
	const char *host_end = strchr(c->grpc_addr, ':');
	int host_len = host_end ? (int)(host_end - c->grpc_addr) : (int)strlen(c->grpc_addr);
	int n;

	n = sscanf(svc, "%7[^:]:%63[^:]:%7s", scheme, name, port);
	if (n == 3 && strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0)
		n = 0;
	if (n < 3) {
		snprintf(scheme, sizeof scheme, "%s", tls ? "https" : "http");
		n = sscanf(svc, "%63[^:]:%7s", name, port);
		if (n == 1)
			snprintf(port, sizeof port, "%s", tls ? "8501" : "8500");
		else if (n != 2)
			name[0] = '\0';
	}
	if (strcmp(name, "consul-server") != 0) {
		snprintf(why, len, "services \"%s\" not found", name);
		return false;
	}
	/* With global.tls.enabled the chart serves HTTPS on 8501 and, with the
	 * default httpsOnly, nothing on 8500. */
	if (strcmp(port, tls ? "8501" : "8500") != 0 ||
	    strcmp(scheme, tls ? "https" : "http") != 0) {
		snprintf(why, len,
		         "error trying to reach service: dial tcp %.*s:%s: connect: connection "
		         "refused",
		         host_len, c->grpc_addr, port);
		return false;
	}
	return true;
}

static void service_proxy(struct sim_cluster *c, const struct sim_req *req, const char *svc,
                          const char *rest, struct sim_resp *resp)
{
	struct sim_kv headers[64];
	struct sim_req sub = *req;
	char why[200], path[2048];
	size_t n = 0;

	struct simk_attrs a = {.verb = simk_rbac_verb(req, true),
	                       .group = "",
	                       .resource = "services",
	                       .sub = "proxy",
	                       .ns = "consul",
	                       .name = svc,
	                       .path = req->path};
	bool tls;

	if (!simk_rbac_allow(c, req, &a, resp))
		return;
	pthread_mutex_lock(&c->world->lock);
	tls = c->install.tls_enabled;
	pthread_mutex_unlock(&c->world->lock);
	if (!proxy_target_ok(c, tls, svc, why, sizeof why)) {
		if (strncmp(why, "services", 8) == 0)
			simk_status_error(resp, 404, "NotFound", why, svc, "", "services", NULL);
		else
			simk_status_error(resp, 503, "ServiceUnavailable", why, NULL, NULL, NULL,
			                  NULL);
		return;
	}
	/* The API server authenticates the caller itself and does not pass its
	 * credentials on to the backend. */
	for (size_t i = 0; i < req->nheaders && n < sizeof headers / sizeof headers[0]; i++)
		if (strcasecmp(req->headers[i].key, "Authorization") != 0)
			headers[n++] = req->headers[i];
	snprintf(path, sizeof path, "/%s", rest);
	sub.path = path;
	sub.headers = headers;
	sub.nheaders = n;
	resp->consul_body = true;
	simc_handle(c, &sub, resp);
}

/* ---------------------------------------------------------------- routing */

/* Each connection is answered on its own thread: strtok_r, never strtok,
 * whose state all threads share. */
static int split_path(char *path, char **segs)
{
	char *save = NULL;
	int n = 0;

	for (char *p = strtok_r(path, "/", &save); p && n < SIMK_MAX_SEGS;
	     p = strtok_r(NULL, "/", &save))
		segs[n++] = p;
	return n;
}

/* Resource paths below a group/version: SEGS start after it. */
static void route_resource(struct sim_cluster *c, const struct sim_req *req, struct sim_resp *resp,
                           const char *group, char **segs, int n)
{
	struct simk_state *k = c->kube;
	const char *ns = NULL;
	int rt;

	/* namespaces/{ns}/{plural}[/{name}[/{sub}]], unless it is the
	 * Namespace object itself: namespaces/{name}/status. */
	if (n >= 3 && strcmp(segs[0], "namespaces") == 0 &&
	    (n >= 4 || strcmp(segs[2], "status") != 0)) {
		ns = segs[1];
		segs += 2;
		n -= 2;
	}
	if (n < 1 || n > 3) {
		not_found_path(resp);
		return;
	}
	/* The API server authorizes before it looks for the resource; a
	 * Namespace object is in its own namespace. */
	const char *name = n > 1 ? segs[1] : NULL, *sub = n > 2 ? segs[2] : NULL;
	struct simk_attrs a = {.verb = simk_rbac_verb(req, name != NULL),
	                       .group = group,
	                       .resource = segs[0],
	                       .sub = sub,
	                       .ns = ns                               ? ns
	                             : !strcmp(segs[0], "namespaces") ? name
	                                                              : NULL,
	                       .name = name,
	                       .path = req->path};
	if (!simk_rbac_allow(c, req, &a, resp))
		return;
	rt = simk_rtype_by_plural(k, group, segs[0]);
	if (rt < 0 || (ns && !k->rtypes[rt].namespaced)) {
		not_found_path(resp);
		return;
	}
	simk_api_resource(c, req, resp, rt, ns, name, sub);
}

/* /apis/authorization.k8s.io/v1/<plural>: the reviews a user makes of its
 * own access. */
static void route_authorization(struct sim_cluster *c, const struct sim_req *req,
                                struct sim_resp *resp, const char *plural)
{
	struct simk_attrs a = {.verb = simk_rbac_verb(req, false),
	                       .group = AUTHZ_GROUP,
	                       .resource = plural,
	                       .path = req->path};

	if (!simk_rbac_allow(c, req, &a, resp))
		return;
	if (strcmp(plural, "selfsubjectaccessreviews") &&
	    strcmp(plural, "selfsubjectrulesreviews")) {
		not_found_path(resp);
		return;
	}
	if (strcmp(req->method, "POST")) {
		simk_status_error(resp, 405, "MethodNotAllowed",
		                  "the server does not allow this method on the requested resource",
		                  NULL, NULL, NULL, NULL);
		return;
	}
	simk_rbac_review(c, req, plural, resp);
}

static void route(struct sim_cluster *c, const struct sim_req *req, struct sim_resp *resp, char **s,
                  int n, const char *rest_after_proxy)
{
	if (n == 1 && strcmp(s[0], "api") == 0) {
		send_api_versions(c, resp);
	} else if (n == 2 && strcmp(s[0], "api") == 0 && strcmp(s[1], "v1") == 0) {
		send_resource_list(c, resp, "", "v1");
	} else if (n == 1 && strcmp(s[0], "apis") == 0) {
		send_group_list(c, resp);
	} else if ((n == 2 || n == 3) && strcmp(s[0], "apis") == 0 &&
	           strcmp(s[1], SIMK_GROUP) == 0 && !group_served(c)) {
		not_found_path(resp);
	} else if (n == 2 && strcmp(s[0], "apis") == 0 && strcmp(s[1], SIMK_GROUP) == 0) {
		send_group(resp, SIMK_GROUP, SIMK_CR_VERSION);
	} else if (n == 3 && strcmp(s[0], "apis") == 0 && strcmp(s[1], SIMK_GROUP) == 0 &&
	           strcmp(s[2], SIMK_CR_VERSION) == 0) {
		send_resource_list(c, resp, SIMK_GROUP, SIMK_CR_VERSION);
	} else if (n == 2 && strcmp(s[0], "apis") == 0 && strcmp(s[1], SIMK_APPS_GROUP) == 0) {
		send_group(resp, SIMK_APPS_GROUP, "v1");
	} else if (n == 3 && strcmp(s[0], "apis") == 0 && strcmp(s[1], SIMK_APPS_GROUP) == 0 &&
	           strcmp(s[2], "v1") == 0) {
		send_resource_list(c, resp, SIMK_APPS_GROUP, "v1");
	} else if (n == 2 && strcmp(s[0], "apis") == 0 && strcmp(s[1], AUTHZ_GROUP) == 0) {
		send_group(resp, AUTHZ_GROUP, "v1");
	} else if (n == 3 && strcmp(s[0], "apis") == 0 && strcmp(s[1], AUTHZ_GROUP) == 0 &&
	           strcmp(s[2], "v1") == 0) {
		send_authz_resources(resp);
	} else if (n == 4 && strcmp(s[0], "apis") == 0 && strcmp(s[1], AUTHZ_GROUP) == 0 &&
	           strcmp(s[2], "v1") == 0) {
		route_authorization(c, req, resp, s[3]);
	} else if (n >= 1 && strcmp(s[0], "openapi") == 0) {
		if (n == 2 && strcmp(s[1], "v2") == 0)
			simk_openapi_v2(c, resp);
		else if (n >= 2 && strcmp(s[1], "v3") == 0)
			simk_openapi_v3(c, req->path + strlen("/openapi/v3"), resp);
		else
			not_found_path(resp);
	} else if (rest_after_proxy) {
		service_proxy(c, req, s[5], rest_after_proxy, resp);
	} else if (n >= 3 && strcmp(s[0], "api") == 0 && strcmp(s[1], "v1") == 0) {
		route_resource(c, req, resp, "", s + 2, n - 2);
	} else if (n >= 4 && strcmp(s[0], "apis") == 0 && strcmp(s[1], SIMK_GROUP) == 0 &&
	           strcmp(s[2], SIMK_CR_VERSION) == 0) {
		route_resource(c, req, resp, SIMK_GROUP, s + 3, n - 3);
	} else if (n >= 4 && strcmp(s[0], "apis") == 0 && strcmp(s[1], SIMK_APPS_GROUP) == 0 &&
	           strcmp(s[2], "v1") == 0) {
		route_resource(c, req, resp, SIMK_APPS_GROUP, s + 3, n - 3);
	} else {
		not_found_path(resp);
	}
}

/* "/api/v1/namespaces/consul/services/<svc>/proxy[/rest]": the rest, or NULL. */
static const char *proxy_rest(const char *path)
{
	static const char prefix[] = "/api/v1/namespaces/consul/services/";
	const char *p;

	if (strncmp(path, prefix, sizeof prefix - 1) != 0)
		return NULL;
	p = strchr(path + sizeof prefix - 1, '/');
	if (!p || strncmp(p, "/proxy", 6) != 0 || (p[6] != '\0' && p[6] != '/'))
		return NULL;
	return p[6] == '/' ? p + 7 : p + 6;
}

void simk_handle(struct sim_cluster *c, const struct sim_req *req, struct sim_resp *resp)
{
	char *path = strdup(req->path ? req->path : "/");
	char *segs[SIMK_MAX_SEGS];
	int n;

	if (!path) {
		sim_resp_text(resp, 500, "out of memory");
		return;
	}
	if (strcmp(path, "/version") == 0 || strcmp(path, "/version/") == 0) {
		send_version(resp);
		goto out;
	}
	if (strcmp(path, "/healthz") == 0 || strcmp(path, "/livez") == 0 ||
	    strcmp(path, "/readyz") == 0) {
		sim_resp_text(resp, 200, "ok");
		snprintf(resp->content_type, sizeof resp->content_type,
		         "text/plain; charset=utf-8");
		goto out;
	}
	/* An install changed through the control API shows as a Helm upgrade. */
	pthread_mutex_lock(&c->world->lock);
	simk_helm_refresh(c);
	pthread_mutex_unlock(&c->world->lock);
	simk_ca_secret(c);
	if (!simk_rbac_authenticated(c, req, resp))
		goto out;
	n = split_path(path, segs);
	route(c, req, resp, segs, n, proxy_rest(req->path));
out:
	free(path);
}

/* ---------------------------------------------------------------- lifecycle */

static int seed_namespace(struct sim_cluster *c, const char *name)
{
	cJSON *ns = cJSON_Parse("{\"kind\":\"Namespace\",\"apiVersion\":\"v1\",\"metadata\":{},"
	                        "\"spec\":{\"finalizers\":[\"kubernetes\"]},"
	                        "\"status\":{\"phase\":\"Active\"}}");
	cJSON *labels;

	if (!ns)
		return -1;
	cJSON_AddStringToObject(cJSON_GetObjectItem(ns, "metadata"), "name", name);
	labels = cJSON_AddObjectToObject(cJSON_GetObjectItem(ns, "metadata"), "labels");
	cJSON_AddStringToObject(labels, "kubernetes.io/metadata.name", name);
	return simk_insert(c, SIMK_RT_NAMESPACES, "", ns) ? 0 : -1;
}

int simk_init(struct sim_cluster *c)
{
	char err[256];

	c->kube = calloc(1, sizeof *c->kube);
	if (!c->kube)
		return -1;
	if (simk_crds_load(c->kube, err, sizeof err) < 0) {
		sim_event(c->world, c, "kube: %s", err);
		goto fail;
	}
	if (simk_rbac_init(c) < 0) {
		sim_event(c->world, c, "kube: kube_user \"%s\" is not one of %s", c->kube_user,
		          simk_rbac_preset_names());
		goto fail;
	}
	if (seed_namespace(c, "default") < 0 || seed_namespace(c, "kube-system") < 0 ||
	    seed_namespace(c, "consul") < 0 || simk_helm_release(c) < 0)
		goto fail;
	return 0;
fail:
	simk_free(c);
	return -1;
}

void simk_free(struct sim_cluster *c)
{
	struct simk_state *k = c->kube;

	if (!k)
		return;
	while (k->objs) {
		struct simk_obj *o = k->objs;

		k->objs = o->next;
		cJSON_Delete(o->json);
		free(o->ns);
		free(o->name);
		free(o);
	}
	for (size_t i = 0; i < k->ev_count; i++) {
		cJSON_Delete(k->ring[(k->ev_start + i) % SIMK_EVENT_RING].obj);
		cJSON_Delete(k->ring[(k->ev_start + i) % SIMK_EVENT_RING].prev_labels);
	}
	cJSON_Delete(k->crds);
	simk_rbac_free(k);
	free(k->helm_values);
	free(k);
	c->kube = NULL;
}
