/* kube: the Consul Helm release's values, as Helm 3 stores them.
 *
 * Helm keeps each revision of a release in a Secret of type
 * helm.sh/release.v1 named sh.helm.release.v1.<release>.v<revision>, labelled
 * owner=helm, name=<release>, status=<status>, version=<revision>. Its
 * data.release is, once Kubernetes' base64 is removed, base64 of gzip of the
 * release JSON: "config" holds the values the user gave, "chart.values" the
 * chart's defaults (values.yaml). A value is the user's, else the chart's,
 * else the default documented for the chart (doc/api-contract.md §8.10). */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "kube_internal.h"
#include "peerscope/codec.h"

/* Largest release JSON accepted: releases carry the rendered manifest. */
#define HELM_MAX_JSON ((size_t)64 * 1024 * 1024)

/* gunzip of IN into a malloc'd, NUL-terminated buffer. */
static char *gunzip(const unsigned char *in, size_t n, size_t *outlen, char *err, size_t errlen)
{
	z_stream zs;
	size_t cap = n * 4 + 1024, len = 0;
	char *out = malloc(cap);
	int zrc = Z_OK;

	memset(&zs, 0, sizeof zs);
	if (!out || inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) {
		free(out);
		kube_fail(err, errlen, "out of memory");
		return NULL;
	}
	zs.next_in = (unsigned char *)(uintptr_t)in;
	zs.avail_in = (uInt)n;
	while (zrc == Z_OK) {
		if (cap - len < 2) {
			char *bigger = cap < HELM_MAX_JSON ? realloc(out, cap * 2) : NULL;
			if (!bigger)
				break;
			out = bigger;
			cap *= 2;
		}
		zs.next_out = (unsigned char *)out + len;
		zs.avail_out = (uInt)(cap - len - 1);
		zrc = inflate(&zs, Z_NO_FLUSH);
		len = cap - 1 - zs.avail_out;
	}
	inflateEnd(&zs);
	if (zrc != Z_STREAM_END) {
		free(out);
		kube_fail(err, errlen, "the release is not valid gzip data%s",
		          zrc == Z_OK ? " or is too large" : "");
		return NULL;
	}
	out[len] = 0;
	*outlen = len;
	return out;
}

/* base64 text of length N into malloc'd bytes (NUL-terminated). */
static unsigned char *unbase64(const char *in, size_t n, size_t *outlen)
{
	long bad_at;

	return codec_base64_decode(in, n, CODEC_B64_STRICT, outlen, &bad_at);
}

/* The release JSON inside a Helm release Secret. */
static cJSON *release_json(const cJSON *secret, const char *name, char *err, size_t errlen)
{
	const cJSON *data = cJSON_GetObjectItemCaseSensitive(secret, "data");
	const cJSON *rel = cJSON_GetObjectItemCaseSensitive(data, "release");
	unsigned char *inner = NULL, *gz = NULL;
	char *json = NULL, why[256];
	size_t inner_len, gz_len, json_len = 0;
	cJSON *root = NULL;

	if (!cJSON_IsString(rel)) {
		kube_fail(err, errlen, "Secret %s has no data.release", name);
		return NULL;
	}
	inner = unbase64(rel->valuestring, strlen(rel->valuestring), &inner_len);
	gz = inner ? unbase64((const char *)inner, inner_len, &gz_len) : NULL;
	if (!gz) {
		kube_fail(err, errlen, "Secret %s: data.release is not base64 of base64", name);
		goto out;
	}
	/* Helm gzips releases; it reads plain JSON too. */
	if (gz_len >= 2 && gz[0] == 0x1f && gz[1] == 0x8b) {
		json = gunzip(gz, gz_len, &json_len, why, sizeof why);
		if (!json) {
			kube_fail(err, errlen, "Secret %s: %s", name, why);
			goto out;
		}
	}
	root = kube_json_parse(json ? json : (const char *)gz, json ? json_len : gz_len,
	                       "Helm release", why, sizeof why);
	if (!root)
		kube_fail(err, errlen, "Secret %s: %s", name, why);
out:
	free(inner);
	free(gz);
	free(json);
	return root;
}

/* The value at dotted PATH in the user's values, else the chart's. */
static const cJSON *value_at(const cJSON *rel, const char *path)
{
	const cJSON *sources[2] = {
	        cJSON_GetObjectItemCaseSensitive(rel, "config"),
	        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(rel, "chart"),
	                                         "values"),
	};
	char key[64];

	for (int i = 0; i < 2; i++) {
		const cJSON *v = sources[i];
		for (const char *p = path; v && *p;) {
			size_t n = strcspn(p, ".");
			snprintf(key, sizeof key, "%.*s", (int)n, p);
			v = cJSON_IsObject(v) ? cJSON_GetObjectItemCaseSensitive(v, key) : NULL;
			p += n + (p[n] == '.');
		}
		if (v && !cJSON_IsNull(v))
			return v;
	}
	return NULL;
}

static bool value_bool(const cJSON *rel, const char *path, bool dflt)
{
	const cJSON *v = value_at(rel, path);

	/* The chart's "-" means "follow the default" for some booleans. */
	return cJSON_IsBool(v) ? cJSON_IsTrue(v) : dflt;
}

static char *value_str(const cJSON *rel, const char *path, const char *dflt)
{
	const cJSON *v = value_at(rel, path);

	return strdup(cJSON_IsString(v) ? v->valuestring : dflt);
}

static char *member_str(const cJSON *obj, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	return strdup(cJSON_IsString(v) ? v->valuestring : "");
}

static int helm_fill(const cJSON *rel, struct model_kube_helm *h)
{
	const cJSON *chart_md = cJSON_GetObjectItemCaseSensitive(
	        cJSON_GetObjectItemCaseSensitive(rel, "chart"), "metadata");
	const cJSON *rev = cJSON_GetObjectItemCaseSensitive(rel, "version");
	const cJSON *replicas = value_at(rel, "meshGateway.replicas");

	h->revision = cJSON_IsNumber(rev) ? rev->valueint : 0;
	h->peering_enabled = value_bool(rel, "global.peering.enabled", false);
	h->tls_enabled = value_bool(rel, "global.tls.enabled", false);
	h->tls_https_only = value_bool(rel, "global.tls.httpsOnly", true);
	h->mesh_gateway_enabled = value_bool(rel, "meshGateway.enabled", false);
	h->connect_inject_enabled = value_bool(rel, "connectInject.enabled", true);
	h->manage_system_acls = value_bool(rel, "global.acls.manageSystemACLs", false);
	h->mesh_gateway_replicas = cJSON_IsNumber(replicas) ? replicas->valueint : 1;
	h->release = member_str(rel, "name");
	h->ns = member_str(rel, "namespace");
	h->status = member_str(cJSON_GetObjectItemCaseSensitive(rel, "info"), "status");
	h->chart_version = member_str(chart_md, "version");
	h->app_version = member_str(chart_md, "appVersion");
	h->image = value_str(rel, "global.image", "");
	h->datacenter = value_str(rel, "global.datacenter", "dc1");
	h->mesh_gateway_service_type = value_str(rel, "meshGateway.service.type", "LoadBalancer");
	h->admin_partitions_enabled = value_bool(rel, "global.adminPartitions.enabled", false);
	h->admin_partition_name = value_str(rel, "global.adminPartitions.name", "default");
	h->consul_namespaces_enabled = value_bool(rel, "global.enableConsulNamespaces", false);
	return h->release && h->ns && h->status && h->chart_version && h->app_version && h->image &&
	                       h->datacenter && h->mesh_gateway_service_type &&
	                       h->admin_partition_name
	               ? 0
	               : -1;
}

/* The release in SECRET (a parsed Secret object). */
static int decode_secret(const cJSON *secret, struct model_kube_helm *out, char *err, size_t errlen)
{
	char why[384];
	int rc = -1;

	memset(out, 0, sizeof *out);
	const cJSON *md = cJSON_GetObjectItemCaseSensitive(secret, "metadata");
	const cJSON *name = cJSON_GetObjectItemCaseSensitive(md, "name");
	const char *sname = cJSON_IsString(name) ? name->valuestring : "(unnamed)";
	cJSON *rel = release_json(secret, sname, why, sizeof why);
	if (!rel) {
		kube_fail(err, errlen, "Helm release: %s", why);
		return -1;
	}
	const cJSON *chart_md = cJSON_GetObjectItemCaseSensitive(
	        cJSON_GetObjectItemCaseSensitive(rel, "chart"), "metadata");
	const cJSON *chart = cJSON_GetObjectItemCaseSensitive(chart_md, "name");
	if (!cJSON_IsString(chart) || strcmp(chart->valuestring, "consul")) {
		kube_fail(err, errlen,
		          "Helm release in Secret %s is of chart \"%.60s\", not consul", sname,
		          cJSON_IsString(chart) ? chart->valuestring : "");
		goto out;
	}
	rc = helm_fill(rel, out);
	if (rc) {
		kube_fail(err, errlen, "out of memory");
		model_kube_helm_clear(out);
	}
out:
	cJSON_Delete(rel);
	return rc;
}

int kube_helm_decode(const char *secret_json, size_t len, struct model_kube_helm *out, char *err,
                     size_t errlen)
{
	memset(out, 0, sizeof *out);
	cJSON *secret = kube_json_parse(secret_json, len, "Helm release Secret", err, errlen);
	if (!secret)
		return -1;
	int rc = decode_secret(secret, out, err, errlen);
	cJSON_Delete(secret);
	return rc;
}

int kube_helm_decode_list(const char *list_json, size_t len, struct model_kube_helm *out, char *err,
                          size_t errlen)
{
	const cJSON *it;
	char why[384];

	memset(out, 0, sizeof *out);
	cJSON *list = kube_json_parse(list_json, len, "list of Helm release Secrets", err, errlen);
	if (!list)
		return -1;
	/* One deployed revision per release; other charts are skipped. */
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(list, "items"))
	{
		struct model_kube_helm h;
		if (decode_secret(it, &h, why, sizeof why))
			continue;
		if (h.revision > out->revision) {
			model_kube_helm_clear(out);
			*out = h;
		} else {
			model_kube_helm_clear(&h);
		}
	}
	cJSON_Delete(list);
	return 0;
}

int kube_helm_read(struct http_client *c, const char *ns, struct model_kube_helm *out,
                   struct http_error *err)
{
	struct kube_list list;
	int rc = -1;

	memset(out, 0, sizeof *out);
	/* One deployed revision per release; other charts are skipped. */
	if (kube_list(c, KUBE_SECRET, ns, "owner=helm,status=deployed", &list, err))
		return -1;
	for (size_t i = 0; i < list.n; i++) {
		struct model_kube_helm h;
		char *json, why[384];
		size_t len;
		if (kube_get_raw(c, KUBE_SECRET, ns, list.items[i].u.secret.meta.name, &json, &len,
		                 err))
			goto out;
		int drc = kube_helm_decode(json, len, &h, why, sizeof why);
		free(json);
		if (drc)
			continue;
		if (h.revision > out->revision) {
			model_kube_helm_clear(out);
			*out = h;
		} else {
			model_kube_helm_clear(&h);
		}
	}
	rc = out->release ? 0 : -1;
	if (rc) {
		http_error_clear(err);
		http_error_setf(err, HTTP_ERR_STATUS,
		                "no deployed Helm release of the consul chart in "
		                "namespace %s",
		                ns);
		err->status = 404;
	}
out:
	kube_list_clear(&list);
	return rc;
}
