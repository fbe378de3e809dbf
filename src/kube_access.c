/* kube: what peerscope may do (SelfSubjectAccessReview), for the
 * prerequisites checks. Pure: bodies in, bodies out. See
 * include/peerscope/kube.h and doc/api-contract.md §7.6. */
#include "autoconfig.h"

#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "peerscope/kube.h"

static int fail(char *err, size_t errlen, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

static bool put(cJSON *o, const char *key, const char *value)
{
	return cJSON_AddStringToObject(o, key, value ? value : "") != NULL;
}

char *kube_body_access_review(const char *ns, const char *verb, const char *group,
                              const char *resource, const char *subresource)
{
	cJSON *o = cJSON_CreateObject(), *spec, *attrs;
	char *out = NULL;

	if (!o)
		return NULL;
	if (put(o, "apiVersion", "authorization.k8s.io/v1") &&
	    put(o, "kind", "SelfSubjectAccessReview") &&
	    (spec = cJSON_AddObjectToObject(o, "spec")) &&
	    (attrs = cJSON_AddObjectToObject(spec, "resourceAttributes")) &&
	    put(attrs, "namespace", ns) && put(attrs, "verb", verb) && put(attrs, "group", group) &&
	    put(attrs, "resource", resource) && put(attrs, "subresource", subresource))
		out = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return out;
}

int kube_access_review_decode(const char *json, size_t len, bool *allowed, char *err, size_t errlen)
{
	cJSON *root = cJSON_ParseWithLength(json ? json : "", len);
	const cJSON *status, *a;
	int rc = 0;

	*allowed = false;
	if (!root)
		return fail(err, errlen, "SelfSubjectAccessReview: not JSON");
	status = cJSON_GetObjectItemCaseSensitive(root, "status");
	a = cJSON_GetObjectItemCaseSensitive(status, "allowed");
	/* status.allowed is omitted when false (omitempty in authorization/v1). */
	if (status && !cJSON_IsObject(status))
		rc = fail(err, errlen, "SelfSubjectAccessReview: status is not an object");
	else if (!status)
		rc = fail(err, errlen, "SelfSubjectAccessReview: no status in the answer");
	else if (a && !cJSON_IsBool(a))
		rc = fail(err, errlen, "SelfSubjectAccessReview: status.allowed is not a boolean");
	else
		*allowed = cJSON_IsTrue(a);
	cJSON_Delete(root);
	return rc;
}
