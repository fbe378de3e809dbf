/* kube: request bodies (objects to create, merge patches, Secret copies).
 *
 * Each builder assembles a cJSON tree and prints it without formatting. The
 * cJSON adders return NULL on allocation failure and accept a NULL parent,
 * so a failure anywhere propagates to the final print, which is checked. */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube_internal.h"

/* Prints ROOT (taking it) or reports what was being built. */
static char *finish(cJSON *root, bool ok, const char *what, char *err, size_t errlen)
{
	char *text = ok && root ? cJSON_PrintUnformatted(root) : NULL;

	cJSON_Delete(root);
	if (!text)
		kube_fail(err, errlen, "%s: out of memory", what);
	return text;
}

static bool names_ok(const char *ns, const char *name, char *err, size_t errlen)
{
	char path[640];

	/* kube_path checks both names the way the API server will. */
	return kube_path(path, sizeof path, KUBE_SECRET, ns, name, NULL, err, errlen) == 0;
}

/* apiVersion, kind and metadata {name, namespace} of a custom resource. */
static cJSON *new_cr(enum kube_kind kind, const char *ns, const char *name, bool *ok)
{
	cJSON *root = cJSON_CreateObject();
	cJSON *md;

	*ok = cJSON_AddStringToObject(root, "apiVersion", KUBE_GROUP "/" KUBE_VERSION) &&
	      cJSON_AddStringToObject(root, "kind", kube_kind_name(kind)) &&
	      (md = cJSON_AddObjectToObject(root, "metadata")) &&
	      cJSON_AddStringToObject(md, "name", name) &&
	      cJSON_AddStringToObject(md, "namespace", ns);
	return root;
}

char *kube_body_peering(enum model_peering_role role, const char *ns, const char *name,
                        const char *secret_name, const char *secret_key, char *err, size_t errlen)
{
	enum kube_kind kind =
	        role == MODEL_PEERING_DIALER ? KUBE_PEERING_DIALER : KUBE_PEERING_ACCEPTOR;
	cJSON *spec, *peer, *secret;
	bool ok;

	if (!names_ok(ns, name, err, errlen) || !names_ok(ns, secret_name, err, errlen))
		return NULL;
	if (!secret_key || !*secret_key)
		return kube_fail(err, errlen, "%s %s: the Secret key is empty",
		                 kube_kind_name(kind), name),
		       NULL;
	cJSON *root = new_cr(kind, ns, name, &ok);
	ok = ok && (spec = cJSON_AddObjectToObject(root, "spec")) &&
	     (peer = cJSON_AddObjectToObject(spec, "peer")) &&
	     (secret = cJSON_AddObjectToObject(peer, "secret")) &&
	     cJSON_AddStringToObject(secret, "name", secret_name) &&
	     cJSON_AddStringToObject(secret, "key", secret_key) &&
	     cJSON_AddStringToObject(secret, "backend", "kubernetes");
	return finish(root, ok, kube_kind_name(kind), err, errlen);
}

char *kube_body_version_bump(uint64_t version, const char *resource_version, char *err,
                             size_t errlen)
{
	char value[24];
	cJSON *root = cJSON_CreateObject(), *md, *an;

	snprintf(value, sizeof value, "%llu", (unsigned long long)version);
	bool ok = (md = cJSON_AddObjectToObject(root, "metadata")) &&
	          (an = cJSON_AddObjectToObject(md, "annotations")) &&
	          cJSON_AddStringToObject(an, MODEL_KUBE_VERSION_ANNOTATION, value);
	/* With a resourceVersion the patch applies only to that version. */
	if (ok && resource_version && *resource_version)
		ok = cJSON_AddStringToObject(md, "resourceVersion", resource_version) != NULL;
	return finish(root, ok, "peering-version patch", err, errlen);
}

static bool add_mesh_spec(cJSON *root, bool ptmg)
{
	cJSON *spec, *peering;

	return (spec = cJSON_AddObjectToObject(root, "spec")) &&
	       (peering = cJSON_AddObjectToObject(spec, "peering")) &&
	       cJSON_AddBoolToObject(peering, "peerThroughMeshGateways", ptmg);
}

char *kube_body_mesh(const char *ns, bool peer_through_mesh_gateways, char *err, size_t errlen)
{
	bool ok;

	if (!names_ok(ns, "mesh", err, errlen))
		return NULL;
	cJSON *root = new_cr(KUBE_MESH, ns, "mesh", &ok);
	ok = ok && add_mesh_spec(root, peer_through_mesh_gateways);
	return finish(root, ok, "Mesh", err, errlen);
}

char *kube_body_mesh_patch(bool peer_through_mesh_gateways, char *err, size_t errlen)
{
	cJSON *root = cJSON_CreateObject();

	return finish(root, add_mesh_spec(root, peer_through_mesh_gateways), "Mesh patch", err,
	              errlen);
}

static const char *mode_text(enum model_mgw_mode mode)
{
	switch (mode) {
	case MODEL_MGW_NONE:
		return "none";
	case MODEL_MGW_LOCAL:
		return "local";
	case MODEL_MGW_REMOTE:
		return "remote";
	case MODEL_MGW_DEFAULT:
		return "";
	case MODEL_MGW_INVALID:
		break;
	}
	return NULL;
}

/* spec.meshGateway.mode = MODE under PARENT; in a merge patch an inherited
 * mode is null, which removes the key. */
static bool add_mode(cJSON *parent, enum model_mgw_mode mode, bool patch)
{
	cJSON *mgw = cJSON_AddObjectToObject(parent, "meshGateway");
	const char *text = mode_text(mode);

	if (!text || !mgw)
		return false;
	if (!*text)
		return patch ? cJSON_AddNullToObject(mgw, "mode") != NULL : true;
	return cJSON_AddStringToObject(mgw, "mode", text) != NULL;
}

char *kube_body_proxy_defaults(const char *ns, enum model_mgw_mode mode, char *err, size_t errlen)
{
	bool ok;
	cJSON *spec;

	if (!mode_text(mode))
		return kube_fail(err, errlen, "ProxyDefaults: invalid mesh gateway mode"), NULL;
	if (!names_ok(ns, "global", err, errlen))
		return NULL;
	cJSON *root = new_cr(KUBE_PROXY_DEFAULTS, ns, "global", &ok);
	ok = ok && (spec = cJSON_AddObjectToObject(root, "spec")) && add_mode(spec, mode, false);
	return finish(root, ok, "ProxyDefaults", err, errlen);
}

char *kube_body_gateway_mode_patch(enum model_mgw_mode mode, char *err, size_t errlen)
{
	cJSON *root = cJSON_CreateObject(), *spec;

	if (!mode_text(mode)) {
		cJSON_Delete(root);
		return kube_fail(err, errlen, "mesh gateway mode patch: invalid mode"), NULL;
	}
	bool ok = (spec = cJSON_AddObjectToObject(root, "spec")) && add_mode(spec, mode, true);
	return finish(root, ok, "mesh gateway mode patch", err, errlen);
}

/* One consumer: exactly one of peer, partition, samenessGroup. */
static bool add_consumer(cJSON *arr, const struct model_export_consumer *k)
{
	cJSON *c = cJSON_CreateObject();

	if (!c || !cJSON_AddItemToArray(arr, c)) {
		cJSON_Delete(c);
		return false;
	}
	if (k->peer && *k->peer)
		return cJSON_AddStringToObject(c, "peer", k->peer) != NULL;
	if (k->partition && *k->partition)
		return cJSON_AddStringToObject(c, "partition", k->partition) != NULL;
	return cJSON_AddStringToObject(c, "samenessGroup", k->sameness_group) != NULL;
}

static bool consumer_valid(const struct model_export_consumer *k)
{
	int set = (k->peer && *k->peer) + (k->partition && *k->partition) +
	          (k->sameness_group && *k->sameness_group);
	return set == 1;
}

static int check_services(const struct model_export_service *services, size_t n, char *err,
                          size_t errlen)
{
	for (size_t i = 0; i < n; i++) {
		const struct model_export_service *s = &services[i];
		if (!s->name || !*s->name)
			return kube_fail(err, errlen, "exported service %zu has no name", i);
		if (!s->nconsumers)
			return kube_fail(err, errlen, "exported service %s has no consumer",
			                 s->name);
		for (size_t j = 0; j < s->nconsumers; j++)
			if (!consumer_valid(&s->consumers[j]))
				return kube_fail(
				        err, errlen,
				        "exported service %s, consumer %zu: set exactly one "
				        "of peer, partition, samenessGroup",
				        s->name, j);
	}
	return 0;
}

static bool add_services(cJSON *spec, const struct model_export_service *services, size_t n)
{
	cJSON *arr = cJSON_AddArrayToObject(spec, "services");

	for (size_t i = 0; arr && i < n; i++) {
		cJSON *s = cJSON_CreateObject(), *consumers;
		if (!s || !cJSON_AddItemToArray(arr, s)) {
			cJSON_Delete(s);
			return false;
		}
		if (!cJSON_AddStringToObject(s, "name", services[i].name) ||
		    (services[i].ns && *services[i].ns &&
		     !cJSON_AddStringToObject(s, "namespace", services[i].ns)) ||
		    !(consumers = cJSON_AddArrayToObject(s, "consumers")))
			return false;
		for (size_t j = 0; j < services[i].nconsumers; j++)
			if (!add_consumer(consumers, &services[i].consumers[j]))
				return false;
	}
	return arr != NULL;
}

char *kube_body_exported_services(const char *ns, const char *name,
                                  const struct model_export_service *services, size_t n, char *err,
                                  size_t errlen)
{
	bool ok;
	cJSON *spec;

	if (!names_ok(ns, name, err, errlen) || check_services(services, n, err, errlen))
		return NULL;
	cJSON *root = new_cr(KUBE_EXPORTED_SERVICES, ns, name, &ok);
	ok = ok && (spec = cJSON_AddObjectToObject(root, "spec")) &&
	     add_services(spec, services, n);
	return finish(root, ok, "ExportedServices", err, errlen);
}

char *kube_body_exported_services_patch(const struct model_export_service *services, size_t n,
                                        char *err, size_t errlen)
{
	cJSON *spec;

	if (check_services(services, n, err, errlen))
		return NULL;
	cJSON *root = cJSON_CreateObject();
	bool ok = (spec = cJSON_AddObjectToObject(root, "spec")) && add_services(spec, services, n);
	return finish(root, ok, "ExportedServices patch", err, errlen);
}

char *kube_body_service_defaults(const char *ns, const char *name, const char *protocol,
                                 enum model_mgw_mode mode, char *err, size_t errlen)
{
	bool ok;
	cJSON *spec;

	if (!mode_text(mode))
		return kube_fail(err, errlen, "ServiceDefaults %s: invalid mesh gateway mode",
		                 name),
		       NULL;
	if (!names_ok(ns, name, err, errlen))
		return NULL;
	cJSON *root = new_cr(KUBE_SERVICE_DEFAULTS, ns, name, &ok);
	ok = ok && (spec = cJSON_AddObjectToObject(root, "spec")) &&
	     (!protocol || !*protocol || cJSON_AddStringToObject(spec, "protocol", protocol)) &&
	     add_mode(spec, mode, false);
	return finish(root, ok, "ServiceDefaults", err, errlen);
}

/* ---------------------------------------------------------- Secret copy */

/* Copies member KEY of SRC into DST when it is there. */
static bool copy_member(cJSON *dst, const cJSON *src, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(src, key);

	if (!v || cJSON_IsNull(v))
		return true;
	cJSON *dup = cJSON_Duplicate(v, true);
	return dup && cJSON_AddItemToObject(dst, key, dup);
}

/* Annotations without kubectl's last-applied-configuration, which repeats
 * the whole object, data included, and names the source namespace. */
static bool copy_annotations(cJSON *md, const cJSON *src_md)
{
	const cJSON *an = cJSON_GetObjectItemCaseSensitive(src_md, "annotations"), *a;

	if (!cJSON_IsObject(an) || !an->child)
		return true;
	cJSON *out = cJSON_AddObjectToObject(md, "annotations");
	if (!out)
		return false;
	cJSON_ArrayForEach(a, an)
	{
		if (!strcmp(a->string, "kubectl.kubernetes.io/last-applied-configuration"))
			continue;
		cJSON *dup = cJSON_Duplicate(a, true);
		if (!dup || !cJSON_AddItemToObject(out, a->string, dup))
			return false;
	}
	return true;
}

/* The source Secret parsed, checked to be one and to have a name that NS
 * can hold; NULL with ERR set otherwise. */
static cJSON *secret_source(const char *src_json, size_t len, const char *ns, char *err,
                            size_t errlen)
{
	char why[256];
	cJSON *src = kube_json_parse(src_json, len, "Secret", why, sizeof why);

	if (!src) {
		kube_fail(err, errlen, "copying a Secret: %s", why);
		return NULL;
	}
	const cJSON *md = cJSON_GetObjectItemCaseSensitive(src, "metadata");
	const cJSON *name = cJSON_GetObjectItemCaseSensitive(md, "name");
	const cJSON *kind = cJSON_GetObjectItemCaseSensitive(src, "kind");
	if (cJSON_IsString(kind) && strcmp(kind->valuestring, "Secret"))
		kube_fail(err, errlen, "copying a Secret: the source is a %.60s",
		          kind->valuestring);
	else if (!cJSON_IsString(name))
		kube_fail(err, errlen, "copying a Secret: the source has no metadata.name");
	else if (names_ok(ns, name->valuestring, err, errlen))
		return src;
	cJSON_Delete(src);
	return NULL;
}

char *kube_body_secret_copy(const char *src_json, size_t len, const char *ns, char *err,
                            size_t errlen)
{
	cJSON *md;
	cJSON *src = secret_source(src_json, len, ns, err, errlen);

	if (!src)
		return NULL;
	const cJSON *src_md = cJSON_GetObjectItemCaseSensitive(src, "metadata");
	const char *name = cJSON_GetObjectItemCaseSensitive(src_md, "name")->valuestring;
	/* Only what the target needs: identity, ownership and bookkeeping
	 * fields of the source cluster (resourceVersion, uid,
	 * creationTimestamp, managedFields, ownerReferences, ...) stay behind. */
	cJSON *root = cJSON_CreateObject();
	bool ok = cJSON_AddStringToObject(root, "apiVersion", "v1") &&
	          cJSON_AddStringToObject(root, "kind", "Secret") &&
	          (md = cJSON_AddObjectToObject(root, "metadata")) &&
	          cJSON_AddStringToObject(md, "name", name) &&
	          cJSON_AddStringToObject(md, "namespace", ns) &&
	          copy_member(md, src_md, "labels") && copy_annotations(md, src_md) &&
	          copy_member(root, src, "type") && copy_member(root, src, "immutable") &&
	          copy_member(root, src, "data");
	cJSON_Delete(src);
	return finish(root, ok, "Secret copy", err, errlen);
}

char *kube_body_secret_copy_patch(const char *src_json, size_t len, char *err, size_t errlen)
{
	cJSON *md;
	cJSON *src = secret_source(src_json, len, "default", err, errlen);

	if (!src)
		return NULL;
	const cJSON *src_md = cJSON_GetObjectItemCaseSensitive(src, "metadata");
	cJSON *root = cJSON_CreateObject();
	bool ok = (md = cJSON_AddObjectToObject(root, "metadata")) &&
	          copy_member(md, src_md, "labels") && copy_member(root, src, "data");
	cJSON_Delete(src);
	return finish(root, ok, "Secret copy patch", err, errlen);
}
