/* peerscope-sim, Kubernetes half: who a request is and what it may do.
 *
 * Authentication by bearer token (a static token per user, as a token file
 * gives one), then RBAC as kube-apiserver applies it: a user's rules are
 * those of its bindings plus what every authenticated user has
 * (system:basic-user, system:discovery, system:public-info-viewer); a
 * request is allowed when one rule matches its verb, API group, resource
 * ("resource/subresource"), name and namespace, else it is a 403 Status
 * worded as the API server words it. SelfSubjectAccessReview and
 * SelfSubjectRulesReview answer from the same rules.
 *
 * Each cluster has the admin user of its kubeconfig (kubernetes-admin, in
 * group system:masters: everything) and, when --set kube_user=PRESET or the
 * control API gives it one, a restricted user "peerscope" whose rules come
 * from a preset or are given as PolicyRules, cluster-wide (a
 * ClusterRoleBinding) or per namespace (RoleBindings). The kubeconfig's
 * context for the cluster then uses that user; the admin keeps a context of
 * its own, <cluster>-admin. */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "simk.h"

#define ADMIN_NAME  "kubernetes-admin"
#define ADMIN_GROUP "system:masters"

/* ------------------------------------------------------------ presets */

/* ClusterRoles a restricted user can be given by name. */
static const struct {
	const char *name;
	const char *rules; /* JSON array of PolicyRules */
} presets[] = {
        {"cluster-admin", "[{\"verbs\":[\"*\"],\"apiGroups\":[\"*\"],\"resources\":[\"*\"]},"
                          "{\"verbs\":[\"*\"],\"nonResourceURLs\":[\"*\"]}]"},
        /* Reads everything, Secrets and the service proxy included. */
        {"read-only", "[{\"verbs\":[\"get\",\"list\",\"watch\"],\"apiGroups\":[\"*\"],"
                      "\"resources\":[\"*\"]}]"},
        /* Everything but creating Secrets. */
        {"no-secret-create",
         "[{\"verbs\":[\"*\"],\"apiGroups\":[\"consul.hashicorp.com\"],\"resources\":[\"*\"]},"
         "{\"verbs\":[\"*\"],\"apiGroups\":[\"\"],\"resources\":[\"namespaces\",\"configmaps\","
         "\"services\",\"services/proxy\"]},"
         "{\"verbs\":[\"get\",\"list\",\"watch\",\"update\",\"patch\",\"delete\"],"
         "\"apiGroups\":[\"\"],\"resources\":[\"secrets\"]}]"},
        /* Everything but Consul through the API server's service proxy. */
        {"no-service-proxy",
         "[{\"verbs\":[\"*\"],\"apiGroups\":[\"consul.hashicorp.com\"],\"resources\":[\"*\"]},"
         "{\"verbs\":[\"*\"],\"apiGroups\":[\"\"],\"resources\":[\"namespaces\",\"configmaps\","
         "\"services\",\"secrets\"]}]"},
};

/* What every authenticated user may do (system:basic-user, system:discovery,
 * system:public-info-viewer). */
static const char basic_rules[] =
        "[{\"verbs\":[\"create\"],\"apiGroups\":[\"authorization.k8s.io\"],"
        "\"resources\":[\"selfsubjectaccessreviews\",\"selfsubjectrulesreviews\"]},"
        "{\"verbs\":[\"get\"],\"nonResourceURLs\":[\"/api\",\"/api/*\",\"/apis\",\"/apis/*\","
        "\"/healthz\",\"/livez\",\"/openapi\",\"/openapi/*\",\"/readyz\",\"/version\","
        "\"/version/\"]}]";

int simk_rbac_preset(const char *name)
{
	for (size_t i = 0; name && i < sizeof presets / sizeof presets[0]; i++)
		if (!strcmp(presets[i].name, name))
			return (int)i;
	return -1;
}

const char *simk_rbac_preset_names(void)
{
	return "cluster-admin, read-only, no-secret-create, no-service-proxy";
}

/* ------------------------------------------------------------- matching */

static bool has(const cJSON *arr, const char *v)
{
	const cJSON *it;

	cJSON_ArrayForEach(it, arr)
	{
		if (cJSON_IsString(it) &&
		    (!strcmp(it->valuestring, "*") || !strcmp(it->valuestring, v)))
			return true;
	}
	return false;
}

/* rbac/v1 helpers: ResourceMatches, with "*" for every resource and
 * "*\/sub" for a subresource of any. */
static bool resource_matches(const cJSON *arr, const char *combined, const char *sub)
{
	const cJSON *it;

	cJSON_ArrayForEach(it, arr)
	{
		const char *r = cJSON_GetStringValue(it);
		if (!r)
			continue;
		if (!strcmp(r, "*") || !strcmp(r, combined))
			return true;
		if (sub && *sub && r[0] == '*' && r[1] == '/' && !strcmp(r + 2, sub))
			return true;
	}
	return false;
}

/* NonResourceURLMatches: exact, or a prefix ending in "*". */
static bool url_matches(const cJSON *arr, const char *path)
{
	const cJSON *it;

	cJSON_ArrayForEach(it, arr)
	{
		const char *u = cJSON_GetStringValue(it);
		size_t n = u ? strlen(u) : 0;
		if (!u)
			continue;
		if (!strcmp(u, "*") || !strcmp(u, path) ||
		    (n && u[n - 1] == '*' && !strncmp(u, path, n - 1)))
			return true;
	}
	return false;
}

static bool rule_allows(const cJSON *rule, const struct simk_attrs *a)
{
	if (!has(cJSON_GetObjectItemCaseSensitive(rule, "verbs"), a->verb))
		return false;
	if (!a->resource)
		return url_matches(cJSON_GetObjectItemCaseSensitive(rule, "nonResourceURLs"),
		                   a->path);
	char combined[160];
	snprintf(combined, sizeof combined, "%s%s%s", a->resource, a->sub && *a->sub ? "/" : "",
	         a->sub && *a->sub ? a->sub : "");
	const cJSON *names = cJSON_GetObjectItemCaseSensitive(rule, "resourceNames");
	if (cJSON_GetArraySize(names) > 0 &&
	    (!a->name || !*a->name || !has(names, a->name) ||
	     !strcmp(a->verb, "create") /* names never authorize a create */))
		return false;
	return has(cJSON_GetObjectItemCaseSensitive(rule, "apiGroups"), a->group ? a->group : "") &&
	       resource_matches(cJSON_GetObjectItemCaseSensitive(rule, "resources"), combined,
	                        a->sub);
}

static bool rules_allow(const cJSON *rules, const struct simk_attrs *a)
{
	const cJSON *r;

	cJSON_ArrayForEach(r, rules)
	{
		if (rule_allows(r, a))
			return true;
	}
	return false;
}

/* ---------------------------------------------------------------- users */

static void user_clear(struct simk_user *u)
{
	cJSON_Delete(u->rules);
	cJSON_Delete(u->ns_rules);
	memset(u, 0, sizeof *u);
}

/* Checks RULES, PolicyRules given through the control API. */
static int rules_valid(const cJSON *rules, const char *what, char *err, size_t len)
{
	const cJSON *r;
	int i = 0;

	if (!cJSON_IsArray(rules)) {
		snprintf(err, len, "%s: expected an array of PolicyRules", what);
		return -1;
	}
	cJSON_ArrayForEach(r, rules)
	{
		const cJSON *res = cJSON_GetObjectItemCaseSensitive(r, "resources");
		const cJSON *groups = cJSON_GetObjectItemCaseSensitive(r, "apiGroups");
		const cJSON *urls = cJSON_GetObjectItemCaseSensitive(r, "nonResourceURLs");
		if (!cJSON_IsObject(r) ||
		    !cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(r, "verbs"))) {
			snprintf(err, len, "%s[%d]: a rule needs verbs", what, i);
			return -1;
		}
		if (!(cJSON_GetArraySize(res) && cJSON_GetArraySize(groups)) &&
		    !cJSON_GetArraySize(urls)) {
			snprintf(err, len,
			         "%s[%d]: a rule needs resources and apiGroups, or "
			         "nonResourceURLs",
			         what, i);
			return -1;
		}
		i++;
	}
	return 0;
}

/* The restricted user of C, made if needed (the admin stays first). */
static struct simk_user *restricted(struct sim_cluster *c, bool *created)
{
	struct simk_state *k = c->kube;
	struct simk_user *u = &k->users[1];

	*created = false;
	if (k->nusers > 1)
		return u;
	memset(u, 0, sizeof *u);
	snprintf(u->name, sizeof u->name, "peerscope");
	char uuid[37];
	sim_uuid(c->world, uuid);
	snprintf(u->token, sizeof u->token, "sim-%s", uuid);
	k->nusers = 2;
	*created = true;
	return u;
}

int simk_rbac_init(struct sim_cluster *c)
{
	struct simk_state *k = c->kube;
	struct simk_user *a = &k->users[0];
	char err[160];

	memset(a, 0, sizeof *a);
	snprintf(a->name, sizeof a->name, ADMIN_NAME);
	snprintf(a->token, sizeof a->token, "%s", c->kube_token);
	snprintf(a->role, sizeof a->role, "cluster-admin");
	a->masters = true;
	k->nusers = 1;
	if (!c->kube_user[0])
		return 0;
	cJSON *spec = cJSON_CreateObject();
	if (!spec || !cJSON_AddStringToObject(spec, "preset", c->kube_user)) {
		cJSON_Delete(spec);
		return -1;
	}
	int rc = simk_rbac_set(c, spec, NULL, err, sizeof err);
	cJSON_Delete(spec);
	return rc;
}

void simk_rbac_free(struct simk_state *k)
{
	for (int i = 0; i < k->nusers; i++)
		user_clear(&k->users[i]);
	k->nusers = 0;
}

/* Checks a control API spec: a known preset or valid rules, a name. */
static int spec_valid(const cJSON *spec, char *err, size_t len)
{
	const char *preset = cJSON_GetStringValue(cJSON_GetObjectItem(spec, "preset"));
	const char *name = cJSON_GetStringValue(cJSON_GetObjectItem(spec, "name"));
	const cJSON *rules = cJSON_GetObjectItem(spec, "rules");
	const cJSON *ns_rules = cJSON_GetObjectItem(spec, "namespaces"), *it;

	if (preset && simk_rbac_preset(preset) < 0) {
		snprintf(err, len, "preset: \"%s\" is not one of %s", preset,
		         simk_rbac_preset_names());
		return -1;
	}
	if (!preset == !(rules || ns_rules)) {
		snprintf(err, len, "give a preset (%s), or rules and/or namespaces",
		         simk_rbac_preset_names());
		return -1;
	}
	if (rules && rules_valid(rules, "rules", err, len) < 0)
		return -1;
	if (ns_rules && !cJSON_IsObject(ns_rules)) {
		snprintf(err, len, "namespaces: expected an object of namespace: [PolicyRules]");
		return -1;
	}
	cJSON_ArrayForEach(it, ns_rules)
	{
		char what[96];
		snprintf(what, sizeof what, "namespaces.%.64s", it->string);
		if (rules_valid(it, what, err, len) < 0)
			return -1;
	}
	if (name && (!*name || strlen(name) >= sizeof((struct simk_user *)0)->name ||
	             !strcmp(name, ADMIN_NAME))) {
		snprintf(err, len, "name: \"%s\" cannot be given", name);
		return -1;
	}
	return 0;
}

int simk_rbac_set(struct sim_cluster *c, const cJSON *spec, bool *created, char *err, size_t len)
{
	const char *preset = cJSON_GetStringValue(cJSON_GetObjectItem(spec, "preset"));
	const char *name = cJSON_GetStringValue(cJSON_GetObjectItem(spec, "name"));
	const cJSON *rules = cJSON_GetObjectItem(spec, "rules");
	const cJSON *ns_rules = cJSON_GetObjectItem(spec, "namespaces");
	int p = simk_rbac_preset(preset);
	bool made;

	if (spec_valid(spec, err, len) < 0)
		return -1;
	cJSON *r = p >= 0  ? cJSON_Parse(presets[p].rules)
	           : rules ? cJSON_Duplicate(rules, true)
	                   : cJSON_CreateArray();
	cJSON *n = ns_rules ? cJSON_Duplicate(ns_rules, true) : cJSON_CreateObject();
	if (!r || !n) {
		cJSON_Delete(r);
		cJSON_Delete(n);
		snprintf(err, len, "out of memory");
		return -1;
	}
	struct simk_user *u = restricted(c, &made);
	cJSON_Delete(u->rules);
	cJSON_Delete(u->ns_rules);
	u->rules = r;
	u->ns_rules = n;
	if (name)
		snprintf(u->name, sizeof u->name, "%s", name);
	snprintf(u->role, sizeof u->role, "%s", p >= 0 ? presets[p].name : "custom");
	if (created)
		*created = made;
	sim_event(c->world, c, "kube: user %s now has the role %s", u->name, u->role);
	return 0;
}

/* -------------------------------------------------------------- requests */

/* The user whose token REQ carries, or NULL. Lock held. */
static const struct simk_user *token_user(const struct sim_cluster *c, const struct sim_req *req)
{
	const char *auth = sim_req_header(req, "Authorization");

	if (!c->kube || !auth || strncmp(auth, "Bearer ", 7) != 0)
		return NULL;
	for (int i = 0; i < c->kube->nusers; i++)
		if (c->kube->users[i].token[0] && !strcmp(auth + 7, c->kube->users[i].token))
			return &c->kube->users[i];
	return NULL;
}

/* Whether U may do A, and why (REASON as the RBAC authorizer words it,
 * "" for system:masters, which the API server lets through first). */
static bool user_allows(const struct simk_user *u, const struct simk_attrs *a, char *reason,
                        size_t len)
{
	const cJSON *ns_rules = a->ns && *a->ns && u->ns_rules
	                                ? cJSON_GetObjectItemCaseSensitive(u->ns_rules, a->ns)
	                                : NULL;

	reason[0] = '\0';
	if (u->masters)
		return true;
	if (rules_allow(u->rules, a)) {
		snprintf(reason, len,
		         "RBAC: allowed by ClusterRoleBinding \"%s-%s\" of ClusterRole \"%s\" to "
		         "User "
		         "\"%s\"",
		         u->name, u->role, u->role, u->name);
		return true;
	}
	if (rules_allow(ns_rules, a)) {
		snprintf(reason, len,
		         "RBAC: allowed by RoleBinding \"%s/%s\" of Role \"%s\" to User \"%s\"",
		         u->name, a->ns, u->name, u->name);
		return true;
	}
	cJSON *basic = cJSON_Parse(basic_rules);
	bool ok = rules_allow(basic, a);
	cJSON_Delete(basic);
	if (ok)
		snprintf(reason, len,
		         "RBAC: allowed by ClusterRoleBinding \"system:basic-user\" of ClusterRole "
		         "\"system:basic-user\" to Group \"system:authenticated\"");
	return ok;
}

/* The API server's 403: "<resource>[.group] [\"name\"] is forbidden: User
 * \"u\" cannot <verb> resource \"r[/sub]\" in API group \"g\" in the
 * namespace \"ns\"" (responsewriters/errors.go, forbiddenMessage). */
static void forbidden(struct sim_resp *resp, const char *user, const struct simk_attrs *a)
{
	char msg[1024], why[600], gr[160];

	if (!a->resource) {
		snprintf(msg, sizeof msg, "forbidden: User \"%s\" cannot %s path \"%s\"", user,
		         a->verb, a->path);
		simk_status_error(resp, 403, "Forbidden", msg, NULL, NULL, NULL, NULL);
		return;
	}
	const char *sub = a->sub && *a->sub ? a->sub : NULL;
	if (a->ns && *a->ns)
		snprintf(why, sizeof why,
		         "User \"%s\" cannot %s resource \"%s%s%s\" in API group \"%s\" in the "
		         "namespace \"%s\"",
		         user, a->verb, a->resource, sub ? "/" : "", sub ? sub : "", a->group,
		         a->ns);
	else
		snprintf(why, sizeof why,
		         "User \"%s\" cannot %s resource \"%s%s%s\" in API group \"%s\" at the "
		         "cluster scope",
		         user, a->verb, a->resource, sub ? "/" : "", sub ? sub : "", a->group);
	snprintf(gr, sizeof gr, "%s%s%s", a->resource, *a->group ? "." : "", a->group);
	if (a->name && *a->name)
		snprintf(msg, sizeof msg, "%s \"%s\" is forbidden: %s", gr, a->name, why);
	else
		snprintf(msg, sizeof msg, "%s is forbidden: %s", gr, why);
	simk_status_error(resp, 403, "Forbidden", msg, a->name && *a->name ? a->name : NULL,
	                  a->group, a->resource, NULL);
}

bool simk_rbac_authenticated(struct sim_cluster *c, const struct sim_req *req,
                             struct sim_resp *resp)
{
	pthread_mutex_lock(&c->world->lock);
	bool ok = token_user(c, req) != NULL;
	pthread_mutex_unlock(&c->world->lock);
	if (!ok)
		simk_status_error(resp, 401, "Unauthorized", "Unauthorized", NULL, NULL, NULL,
		                  NULL);
	return ok;
}

bool simk_rbac_allow(struct sim_cluster *c, const struct sim_req *req, const struct simk_attrs *a,
                     struct sim_resp *resp)
{
	char reason[400], user[64] = "";
	bool ok = false;

	pthread_mutex_lock(&c->world->lock);
	const struct simk_user *u = token_user(c, req);
	if (u) {
		ok = user_allows(u, a, reason, sizeof reason);
		snprintf(user, sizeof user, "%s", u->name);
	}
	pthread_mutex_unlock(&c->world->lock);
	if (!u)
		simk_status_error(resp, 401, "Unauthorized", "Unauthorized", NULL, NULL, NULL,
		                  NULL);
	else if (!ok)
		forbidden(resp, user, a);
	return ok;
}

const char *simk_rbac_verb(const struct sim_req *req, bool named)
{
	const char *m = req->method, *w = sim_req_arg(req, "watch", NULL);

	if (!strcmp(m, "GET") || !strcmp(m, "HEAD")) {
		if (named)
			return "get";
		return w && (!strcmp(w, "1") || !strcmp(w, "true")) ? "watch" : "list";
	}
	if (!strcmp(m, "POST"))
		return "create";
	if (!strcmp(m, "PUT"))
		return "update";
	if (!strcmp(m, "PATCH"))
		return "patch";
	if (!strcmp(m, "DELETE"))
		return named ? "delete" : "deletecollection";
	return "unknown";
}

/* -------------------------------------------------------------- reviews */

static cJSON *review_object(const char *kind, const cJSON *spec)
{
	cJSON *o = cJSON_CreateObject(), *meta;

	if (!o)
		return NULL;
	cJSON_AddStringToObject(o, "kind", kind);
	cJSON_AddStringToObject(o, "apiVersion", "authorization.k8s.io/v1");
	if ((meta = cJSON_AddObjectToObject(o, "metadata")))
		cJSON_AddNullToObject(meta, "creationTimestamp");
	cJSON_AddItemToObject(o, "spec", cJSON_Duplicate(spec, true));
	return o;
}

static void invalid_review(struct sim_resp *resp, const char *kind, const char *field,
                           const char *detail)
{
	char msg[512];
	cJSON *causes = cJSON_CreateArray(), *cause = cJSON_CreateObject();

	snprintf(msg, sizeof msg, "%s.authorization.k8s.io \"\" is invalid: %s: %s", kind, field,
	         detail);
	if (causes && cause) {
		cJSON_AddStringToObject(cause, "reason", "FieldValueInvalid");
		cJSON_AddStringToObject(cause, "message", detail);
		cJSON_AddStringToObject(cause, "field", field);
		cJSON_AddItemToArray(causes, cause);
		cause = NULL;
	}
	cJSON_Delete(cause);
	simk_status_error(resp, 422, "Invalid", msg, "", "authorization.k8s.io", kind, causes);
}

/* POST selfsubjectaccessreviews: may the caller do what spec describes? */
static void access_review(const struct simk_user *u, const cJSON *body, struct sim_resp *resp)
{
	const cJSON *spec = cJSON_GetObjectItem(body, "spec");
	const cJSON *ra = cJSON_GetObjectItem(spec, "resourceAttributes");
	const cJSON *na = cJSON_GetObjectItem(spec, "nonResourceAttributes");
	struct simk_attrs a = {0};
	char reason[400];

	if (!cJSON_IsObject(ra) == !cJSON_IsObject(na)) {
		invalid_review(resp, "SelfSubjectAccessReview", "spec.resourceAttributes",
		               "Invalid value: \"null\": exactly one of nonResourceAttributes or "
		               "resourceAttributes must be specified");
		return;
	}
	if (ra) {
		a.verb = cJSON_GetStringValue(cJSON_GetObjectItem(ra, "verb"));
		a.group = cJSON_GetStringValue(cJSON_GetObjectItem(ra, "group"));
		a.resource = cJSON_GetStringValue(cJSON_GetObjectItem(ra, "resource"));
		a.sub = cJSON_GetStringValue(cJSON_GetObjectItem(ra, "subresource"));
		a.ns = cJSON_GetStringValue(cJSON_GetObjectItem(ra, "namespace"));
		a.name = cJSON_GetStringValue(cJSON_GetObjectItem(ra, "name"));
		if (!a.resource)
			a.resource = "";
	} else {
		a.verb = cJSON_GetStringValue(cJSON_GetObjectItem(na, "verb"));
		a.path = cJSON_GetStringValue(cJSON_GetObjectItem(na, "path"));
		if (!a.path)
			a.path = "";
	}
	if (!a.verb)
		a.verb = "";
	if (!a.group)
		a.group = "";
	cJSON *o = review_object("SelfSubjectAccessReview", spec), *st;
	bool ok = user_allows(u, &a, reason, sizeof reason);
	if (o && (st = cJSON_AddObjectToObject(o, "status"))) {
		cJSON_AddBoolToObject(st, "allowed", ok);
		if (ok && reason[0])
			cJSON_AddStringToObject(st, "reason", reason);
	}
	simk_send_json(resp, 201, o);
}

/* Splits RULES into the review's resourceRules and nonResourceRules. */
static void add_rules(cJSON *res, cJSON *nonres, const cJSON *rules)
{
	static const char *const keys[] = {"verbs", "apiGroups", "resources", "resourceNames"};
	const cJSON *r;

	cJSON_ArrayForEach(r, rules)
	{
		if (cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(r, "resources"))) {
			cJSON *o = cJSON_CreateObject();
			for (size_t i = 0; o && i < 4; i++) {
				const cJSON *v = cJSON_GetObjectItemCaseSensitive(r, keys[i]);
				if (cJSON_GetArraySize(v))
					cJSON_AddItemToObject(o, keys[i], cJSON_Duplicate(v, true));
			}
			cJSON_AddItemToArray(res, o);
		}
		const cJSON *urls = cJSON_GetObjectItemCaseSensitive(r, "nonResourceURLs");
		if (cJSON_GetArraySize(urls)) {
			cJSON *o = cJSON_CreateObject();
			if (o) {
				cJSON_AddItemToObject(
				        o, "verbs",
				        cJSON_Duplicate(
				                cJSON_GetObjectItemCaseSensitive(r, "verbs"),
				                true));
				cJSON_AddItemToObject(o, "nonResourceURLs",
				                      cJSON_Duplicate(urls, true));
			}
			cJSON_AddItemToArray(nonres, o);
		}
	}
}

/* POST selfsubjectrulesreviews: the caller's rules in spec.namespace. */
static void rules_review(const struct simk_user *u, const cJSON *body, struct sim_resp *resp)
{
	const cJSON *spec = cJSON_GetObjectItem(body, "spec");
	const char *ns = cJSON_GetStringValue(cJSON_GetObjectItem(spec, "namespace"));
	cJSON *o, *st, *res, *nonres, *basic = cJSON_Parse(basic_rules), *all = NULL;

	if (!ns || !*ns) {
		cJSON_Delete(basic);
		invalid_review(resp, "SelfSubjectRulesReview", "spec.namespace",
		               "Required value: namespace must be specified");
		return;
	}
	if (u->masters)
		all = cJSON_Parse(presets[0].rules);
	o = review_object("SelfSubjectRulesReview", spec);
	st = o ? cJSON_AddObjectToObject(o, "status") : NULL;
	res = st ? cJSON_AddArrayToObject(st, "resourceRules") : NULL;
	nonres = st ? cJSON_AddArrayToObject(st, "nonResourceRules") : NULL;
	if (res && nonres) {
		add_rules(res, nonres, all ? all : u->rules);
		if (u->ns_rules)
			add_rules(res, nonres, cJSON_GetObjectItemCaseSensitive(u->ns_rules, ns));
		add_rules(res, nonres, basic);
		cJSON_AddBoolToObject(st, "incomplete", false);
	}
	cJSON_Delete(all);
	cJSON_Delete(basic);
	simk_send_json(resp, 201, o);
}

void simk_rbac_review(struct sim_cluster *c, const struct sim_req *req, const char *plural,
                      struct sim_resp *resp)
{
	bool access = !strcmp(plural, "selfsubjectaccessreviews");
	const char *ct = sim_req_header(req, "Content-Type");
	char err[160];
	cJSON *body;

	/* client-go (kubectl auth can-i) sends the reviews as protobuf. */
	if (ct && !strncmp(ct, "application/vnd.kubernetes.protobuf", 35)) {
		body = simk_proto_decode_review(access, req->body ? req->body : "", req->body_len,
		                                err, sizeof err);
		if (!body) {
			simk_status_error(resp, 415, "UnsupportedMediaType", err, NULL, NULL, NULL,
			                  NULL);
			return;
		}
	} else {
		body = req->body_len ? cJSON_ParseWithLength(req->body, req->body_len) : NULL;
	}
	if (!cJSON_IsObject(body)) {
		cJSON_Delete(body);
		simk_status_error(resp, 400, "BadRequest",
		                  "the body of the request was in an unknown format - accepted "
		                  "media types include: application/json, application/yaml, "
		                  "application/vnd.kubernetes.protobuf",
		                  NULL, NULL, NULL, NULL);
		return;
	}
	pthread_mutex_lock(&c->world->lock);
	const struct simk_user *u = token_user(c, req);
	if (!u)
		simk_status_error(resp, 401, "Unauthorized", "Unauthorized", NULL, NULL, NULL,
		                  NULL);
	else if (access)
		access_review(u, body, resp);
	else
		rules_review(u, body, resp);
	pthread_mutex_unlock(&c->world->lock);
	cJSON_Delete(body);
}

/* ---------------------------------------------------------- control API */

cJSON *simk_rbac_json(const struct sim_cluster *c)
{
	cJSON *o = cJSON_CreateObject(), *arr = o ? cJSON_AddArrayToObject(o, "users") : NULL;

	if (!arr) {
		cJSON_Delete(o);
		return NULL;
	}
	for (int i = 0; c->kube && i < c->kube->nusers; i++) {
		const struct simk_user *u = &c->kube->users[i];
		char entry[128];
		cJSON *e = cJSON_CreateObject();
		if (!e)
			break;
		cJSON_AddItemToArray(arr, e);
		simk_rbac_kubeconfig_entry(c, i, entry, sizeof entry);
		cJSON_AddStringToObject(e, "name", u->name);
		cJSON_AddStringToObject(e, "kubeconfig_user", entry);
		cJSON_AddStringToObject(e, "role", u->role);
		if (u->masters)
			cJSON_AddItemToObject(
			        e, "groups",
			        cJSON_CreateStringArray((const char *[]){ADMIN_GROUP}, 1));
		if (u->rules)
			cJSON_AddItemToObject(e, "rules", cJSON_Duplicate(u->rules, true));
		if (u->ns_rules)
			cJSON_AddItemToObject(e, "namespaces", cJSON_Duplicate(u->ns_rules, true));
	}
	cJSON_AddStringToObject(o, "context_user",
	                        c->kube ? c->kube->users[c->kube->nusers - 1].name : "");
	return o;
}

int simk_rbac_users(const struct sim_cluster *c)
{
	return c->kube ? c->kube->nusers : 0;
}

const char *simk_rbac_token(const struct sim_cluster *c, int i)
{
	return c->kube && i >= 0 && i < c->kube->nusers ? c->kube->users[i].token : "";
}

void simk_rbac_kubeconfig_entry(const struct sim_cluster *c, int i, char *buf, size_t len)
{
	snprintf(buf, len, "%s-%s", c->name, i == 0 ? "admin" : "user");
}
