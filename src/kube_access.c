/* kube: what peerscope may do (SelfSubjectAccessReview) and the image of
 * the consul-k8s controllers (the connect-injector Deployment), for the
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

static const char *str(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* The first container's image of ITEM, or NULL. */
static const char *first_image(const cJSON *item)
{
	const cJSON *spec = cJSON_GetObjectItemCaseSensitive(item, "spec");
	const cJSON *tmpl = cJSON_GetObjectItemCaseSensitive(spec, "template");
	const cJSON *pod = cJSON_GetObjectItemCaseSensitive(tmpl, "spec");
	const cJSON *containers = cJSON_GetObjectItemCaseSensitive(pod, "containers");

	return cJSON_IsArray(containers) ? str(cJSON_GetArrayItem(containers, 0), "image") : NULL;
}

int kube_deployment_image_decode(const char *json, size_t len, char **image, char **where,
                                 char *err, size_t errlen)
{
	cJSON *root = cJSON_ParseWithLength(json ? json : "", len);
	const cJSON *items, *it;
	int rc = 0;

	*image = *where = NULL;
	if (!root)
		return fail(err, errlen, "DeploymentList: not JSON");
	items = cJSON_GetObjectItemCaseSensitive(root, "items");
	if (items && !cJSON_IsArray(items) && !cJSON_IsNull(items)) {
		cJSON_Delete(root);
		return fail(err, errlen, "DeploymentList: items is not a list");
	}
	cJSON_ArrayForEach(it, items)
	{
		const cJSON *meta = cJSON_GetObjectItemCaseSensitive(it, "metadata");
		const char *img = first_image(it), *ns = str(meta, "namespace"),
		           *name = str(meta, "name");
		if (!img || !*img)
			continue;
		size_t n = strlen("Deployment /") + strlen(ns ? ns : "") +
		           strlen(name ? name : "") + 1;
		*where = malloc(n);
		*image = strdup(img);
		if (!*where || !*image) {
			free(*where);
			free(*image);
			*image = *where = NULL;
			rc = fail(err, errlen, "out of memory");
			break;
		}
		snprintf(*where, n, "Deployment %s/%s", ns ? ns : "", name ? name : "");
		break;
	}
	cJSON_Delete(root);
	return rc;
}
