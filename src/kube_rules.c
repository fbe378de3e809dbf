/* kube: what the caller may do in a namespace, from one
 * SelfSubjectRulesReview, matched as the RBAC authorizer matches a request
 * (k8s.io/kubernetes plugin/pkg/auth/authorizer/rbac/rbac.go, RuleAllows;
 * pkg/apis/rbac/v1/evaluation_helpers.go). Pure: bodies in, answers out.
 * See include/peerscope/kube.h and doc/api-contract.md §7.6. */
#include "autoconfig.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "kube_internal.h"
#include "peerscope/kube.h"

#define WHAT "SelfSubjectRulesReview"

char *kube_body_rules_review(const char *ns)
{
	cJSON *o = cJSON_CreateObject(), *spec;
	char *out = NULL;

	if (!o)
		return NULL;
	if (cJSON_AddStringToObject(o, "apiVersion", "authorization.k8s.io/v1") &&
	    cJSON_AddStringToObject(o, "kind", WHAT) &&
	    (spec = cJSON_AddObjectToObject(o, "spec")) &&
	    cJSON_AddStringToObject(spec, "namespace", ns ? ns : ""))
		out = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return out;
}

static void strings_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void kube_rules_clear(struct kube_rules *r)
{
	for (size_t i = 0; i < r->n; i++) {
		struct kube_rule *x = &r->r[i];
		strings_free(x->verbs, x->nverbs);
		strings_free(x->groups, x->ngroups);
		strings_free(x->resources, x->nresources);
	}
	free(r->r);
	memset(r, 0, sizeof *r);
}

/* The strings of member KEY of RULE (absent or null: none) into *V, *N.
 * 0; -1 with ERR for another type; -2 when out of memory. */
static int strings_of(const cJSON *rule, const char *key, size_t at, char ***v, size_t *n,
                      char *err, size_t errlen)
{
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(rule, key), *x;

	*v = NULL;
	*n = 0;
	if (!a || cJSON_IsNull(a))
		return 0;
	if (!cJSON_IsArray(a))
		return kube_fail(err, errlen, WHAT ": status.resourceRules[%zu].%s is not an array",
		                 at, key);
	int count = cJSON_GetArraySize(a);
	if (!count)
		return 0;
	if (!(*v = calloc((size_t)count, sizeof **v)))
		return -2;
	cJSON_ArrayForEach(x, a)
	{
		if (!cJSON_IsString(x)) {
			kube_fail(err, errlen,
			          WHAT ": status.resourceRules[%zu].%s[%zu] is not a string", at,
			          key, *n);
			return -1;
		}
		if (!((*v)[(*n)++] = strdup(x->valuestring)))
			return -2;
	}
	return 0;
}

/* Rule AT of the answer into X. 1 when it is kept, 0 when it names objects
 * (left out), -1 with ERR, -2 when out of memory. */
static int rule_decode(const cJSON *rule, size_t at, struct kube_rule *x, char *err, size_t errlen)
{
	const cJSON *names = cJSON_GetObjectItemCaseSensitive(rule, "resourceNames");
	int rc;

	if (!cJSON_IsObject(rule))
		return kube_fail(err, errlen, WHAT ": status.resourceRules[%zu] is not an object",
		                 at);
	/* ResourceNameMatches: a rule with names matches only those names,
	 * never a request without one. */
	if (cJSON_IsArray(names) && cJSON_GetArraySize(names) > 0)
		return 0;
	if ((rc = strings_of(rule, "verbs", at, &x->verbs, &x->nverbs, err, errlen)) ||
	    (rc = strings_of(rule, "apiGroups", at, &x->groups, &x->ngroups, err, errlen)) ||
	    (rc = strings_of(rule, "resources", at, &x->resources, &x->nresources, err, errlen)))
		return rc;
	return 1;
}

int kube_rules_review_decode(const char *json, size_t len, struct kube_rules *out, char *err,
                             size_t errlen)
{
	cJSON *root = cJSON_ParseWithLength(json ? json : "", len);
	const cJSON *status, *rules, *rule, *incomplete, *why;
	size_t at = 0;
	int rc = 0;

	memset(out, 0, sizeof *out);
	if (!root)
		return kube_fail(err, errlen, WHAT ": not JSON");
	status = cJSON_GetObjectItemCaseSensitive(root, "status");
	rules = cJSON_GetObjectItemCaseSensitive(status, "resourceRules");
	incomplete = cJSON_GetObjectItemCaseSensitive(status, "incomplete");
	why = cJSON_GetObjectItemCaseSensitive(status, "evaluationError");
	if (!cJSON_IsObject(status))
		rc = kube_fail(err, errlen, WHAT ": %s",
		               status ? "status is not an object" : "no status");
	else if (rules && !cJSON_IsArray(rules) && !cJSON_IsNull(rules))
		rc = kube_fail(err, errlen, WHAT ": status.resourceRules is not an array");
	else if (incomplete && !cJSON_IsBool(incomplete))
		rc = kube_fail(err, errlen, WHAT ": status.incomplete is not a boolean");
	else if (cJSON_IsArray(rules) &&
	         !(out->r = calloc((size_t)cJSON_GetArraySize(rules) + 1, sizeof *out->r)))
		rc = kube_fail(err, errlen, "out of memory");
	if (rc) {
		cJSON_Delete(root);
		return rc;
	}
	/* The authorizers that answered could not list all they allow. */
	out->incomplete =
	        cJSON_IsTrue(incomplete) || (cJSON_IsString(why) && why->valuestring[0] != '\0');
	const cJSON *list = cJSON_IsArray(rules) ? rules : NULL;
	cJSON_ArrayForEach(rule, list)
	{
		int k = rule_decode(rule, at++, &out->r[out->n], err, errlen);
		if (k == 1) {
			out->n++;
			continue;
		}
		if (k == 0)
			continue;
		/* The rule half made is cleared with the rest. */
		out->n++;
		if (k == -2)
			kube_fail(err, errlen, "out of memory");
		rc = -1;
		break;
	}
	cJSON_Delete(root);
	if (rc)
		kube_rules_clear(out);
	return rc;
}

static bool has(char *const *v, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i], "*") || !strcmp(v[i], s))
			return true;
	return false;
}

/* ResourceMatches: "*", the resource (with its subresource) itself, or
 * "*" before "/SUB" for the subresource asked. */
static bool resource_matches(const struct kube_rule *x, const char *resource, const char *sub)
{
	for (size_t i = 0; i < x->nresources; i++) {
		const char *r = x->resources[i];
		size_t rl = strlen(resource);
		if (!strcmp(r, "*"))
			return true;
		if (!*sub) {
			if (!strcmp(r, resource))
				return true;
			continue;
		}
		if (!strncmp(r, resource, rl) && r[rl] == '/' && !strcmp(r + rl + 1, sub))
			return true;
		if (r[0] == '*' && r[1] == '/' && !strcmp(r + 2, sub))
			return true;
	}
	return false;
}

bool kube_rules_allow(const struct kube_rules *r, const char *verb, const char *group,
                      const char *resource, const char *subresource)
{
	const char *sub = subresource ? subresource : "";

	for (size_t i = 0; i < r->n; i++) {
		const struct kube_rule *x = &r->r[i];
		if (has(x->verbs, x->nverbs, verb) &&
		    has(x->groups, x->ngroups, group ? group : "") &&
		    resource_matches(x, resource, sub))
			return true;
	}
	return false;
}
