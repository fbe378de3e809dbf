/* kube: the Consul Helm release's values, as Helm 3 stores them.
 *
 * Helm keeps each revision of a release in a Secret of type
 * helm.sh/release.v1 named sh.helm.release.v1.<release>.v<revision>, labelled
 * owner=helm, name=<release>, status=<status>, version=<revision>. Its
 * data.release is, once Kubernetes' base64 is removed, base64 of gzip of the
 * release JSON: "config" holds the values the user gave, "chart.values" the
 * chart's defaults (values.yaml). A value is the user's, else the chart's,
 * else the default documented for the chart (doc/api-contract.md §8.10).
 *
 * A release of the consul chart is large, about 1 MB of Secret on the wire:
 * the Secrets are scanned (codec_scan), and the release JSON is inflated
 * and read only as far as the members a reader wants
 * (kube_helm_release.c). Its revision and namespace, which Helm writes at
 * the end, are then the Secret's: the ".v<revision>" its name ends with
 * and its own namespace, as Helm's Secrets driver names and places it. A
 * list whose Secrets are the ones decoded last (their names, uids and
 * resourceVersions: kube_helm_decode_list()'s key) is not decoded again. */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube_internal.h"
#include "peerscope/codec.h"

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

/* What is read of a release Secret: texts in the body scanned. */
struct secret_view {
	struct codec_text name, uid, rv, ns, release;
	bool has_name, has_uid, has_rv, has_ns, has_release;
};

/* The string members NAMES[0..N) of the object S has just opened into
 * *TEXTS[i], *HAVE[i] saying which came (the first of two of one name);
 * any other member passed over. */
static bool take_strings(struct codec_scan *s, const char *const *names, size_t n,
                         struct codec_text *const *texts, bool *const *have)
{
	struct codec_text k;
	enum codec_tok t;

	while ((t = codec_scan_next(s, &k)) == CODEC_T_KEY) {
		size_t i = 0;
		while (i < n && !kube_key_is(&k, names[i]))
			i++;
		struct codec_text v;
		enum codec_tok first = codec_scan_next(s, &v);
		if (i < n && first == CODEC_T_STRING && !*have[i]) {
			*texts[i] = v;
			*have[i] = true;
		} else if (!codec_scan_skip(s, first)) {
			return false;
		}
	}
	return t == CODEC_T_OBJECT_END;
}

/* The Secret whose object S has just opened, up to its end, into V: its
 * first metadata's name, uid, resourceVersion and namespace, its first
 * data's release. */
static bool scan_secret(struct codec_scan *s, struct secret_view *v)
{
	static const char *const md_names[] = {"name", "uid", "resourceVersion", "namespace"};
	static const char *const data_names[] = {"release"};
	struct codec_text *const md[] = {&v->name, &v->uid, &v->rv, &v->ns};
	bool *const have_md[] = {&v->has_name, &v->has_uid, &v->has_rv, &v->has_ns};
	struct codec_text *const data[] = {&v->release};
	bool *const have_data[] = {&v->has_release};
	bool md_seen = false, data_seen = false;
	struct codec_text k;
	enum codec_tok t;

	memset(v, 0, sizeof *v);
	while ((t = codec_scan_next(s, &k)) == CODEC_T_KEY) {
		bool is_md = kube_key_is(&k, "metadata"), is_data = kube_key_is(&k, "data");
		struct codec_text first_text;
		enum codec_tok first = codec_scan_next(s, &first_text);
		if (first == CODEC_T_OBJECT && is_md && !md_seen) {
			md_seen = true;
			if (!take_strings(s, md_names, 4, md, have_md))
				return false;
		} else if (first == CODEC_T_OBJECT && is_data && !data_seen) {
			data_seen = true;
			if (!take_strings(s, data_names, 1, data, have_data))
				return false;
		} else if (!codec_scan_skip(s, first)) {
			return false;
		}
	}
	return t == CODEC_T_OBJECT_END;
}

/* A text of the body as a string: into BUF (cut to LEN - 1 bytes), or,
 * when BUF is NULL, malloc'd whole. */
static char *text_copy(const struct codec_text *t, char *buf, size_t len)
{
	char *whole = malloc(t->len + 1);

	if (!whole)
		return NULL;
	codec_scan_text(t, whole);
	if (!buf)
		return whole;
	snprintf(buf, len, "%s", whole);
	free(whole);
	return buf;
}

/* What Helm writes after the text kube_helm_release_json() may cut, the
 * release's version and namespace, into REL when it has not got them, from
 * the Secret V named SNAME: the ".v<revision>" its name ends with
 * (sh.helm.release.v1.<release>.v<revision>) and its own namespace. False
 * when memory ran out. */
static bool from_secret(cJSON *rel, const struct secret_view *v, const char *sname)
{
	const char *dot = strrchr(sname, '.');

	if (!cJSON_HasObjectItem(rel, "version") && dot && dot[1] == 'v') {
		char *end;
		long rev = strtol(dot + 2, &end, 10);
		if (rev > 0 && end != dot + 2 && !*end &&
		    !cJSON_AddNumberToObject(rel, "version", (double)rev))
			return false;
	}
	if (!cJSON_HasObjectItem(rel, "namespace") && v->has_ns) {
		char *ns = text_copy(&v->ns, NULL, 0);
		bool ok = ns && cJSON_AddStringToObject(rel, "namespace", ns);
		free(ns);
		return ok;
	}
	return true;
}

/* The release in the Secret V. */
static int decode_secret(const struct secret_view *v, struct model_kube_helm *out, char *err,
                         size_t errlen)
{
	char why[384], sname[256] = "(unnamed)";
	char *unescaped = NULL;
	cJSON *rel = NULL;
	int rc = -1;

	memset(out, 0, sizeof *out);
	if (v->has_name && !text_copy(&v->name, sname, sizeof sname))
		return kube_fail(err, errlen, "out of memory");
	if (!v->has_release)
		return kube_fail(err, errlen, "Helm release: Secret %s has no data.release", sname);
	/* Base64 has no letter JSON escapes; a writer may escape one anyway. */
	if (v->release.escaped && !(unescaped = text_copy(&v->release, NULL, 0)))
		return kube_fail(err, errlen, "out of memory");
	rel = kube_helm_release_json(unescaped ? unescaped : v->release.p,
	                             unescaped ? strlen(unescaped) : v->release.len, sname, why,
	                             sizeof why);
	codec_wipe_free(unescaped);
	if (!rel)
		return kube_fail(err, errlen, "Helm release: %s", why);
	const cJSON *chart_md = cJSON_GetObjectItemCaseSensitive(
	        cJSON_GetObjectItemCaseSensitive(rel, "chart"), "metadata");
	const cJSON *chart = cJSON_GetObjectItemCaseSensitive(chart_md, "name");
	if (!cJSON_IsString(chart) || strcmp(chart->valuestring, "consul")) {
		kube_fail(err, errlen,
		          "Helm release in Secret %s is of chart \"%.60s\", not consul", sname,
		          cJSON_IsString(chart) ? chart->valuestring : "");
		goto out;
	}
	rc = from_secret(rel, v, sname) ? helm_fill(rel, out) : -1;
	if (rc) {
		kube_fail(err, errlen, "out of memory");
		model_kube_helm_clear(out);
	}
out:
	codec_json_wipe(rel);
	cJSON_Delete(rel);
	return rc;
}

/* The fault S stopped at, as kube_json_parse() words it. */
static int scan_fault(const struct codec_scan *s, const char *what, char *err, size_t errlen)
{
	return kube_fail(err, errlen, "%s: %s", what, s->failed ? s->why : "not an object");
}

int kube_helm_decode(const char *secret_json, size_t len, struct model_kube_helm *out, char *err,
                     size_t errlen)
{
	struct codec_scan s;
	struct codec_text t;
	struct secret_view v;

	memset(out, 0, sizeof *out);
	codec_scan_init(&s, secret_json ? secret_json : "", secret_json ? len : 0);
	if (codec_scan_next(&s, &t) != CODEC_T_OBJECT || !scan_secret(&s, &v) ||
	    codec_scan_next(&s, &t) != CODEC_T_END)
		return scan_fault(&s, "Helm release Secret", err, errlen);
	return decode_secret(&v, out, err, errlen);
}

/* One more Secret of a list into its key: its name, uid and
 * resourceVersion, each with its length. */
static uint64_t key_add(uint64_t h, const struct secret_view *v)
{
	const struct codec_text *parts[] = {&v->name, &v->uid, &v->rv};

	for (size_t i = 0; i < 3; i++) {
		uint64_t n = parts[i]->len;
		h = codec_hash_bytes(h, (const char *)&n, sizeof n);
		h = codec_hash_bytes(h, parts[i]->p, parts[i]->len);
	}
	return h;
}

/* The Secrets of the array S has just opened (a list's "items"), up to its
 * end, appended to *V (malloc'd) and *N; *KEY, their key (0 when one lacks
 * a name, a uid or a resourceVersion: such a list is always decoded).
 * *OOM when memory ran out. */
static bool scan_items(struct codec_scan *s, struct secret_view **v, size_t *n, uint64_t *key,
                       bool *oom)
{
	struct codec_text t;
	enum codec_tok k;
	size_t cap = 0;
	bool keyed = true;

	*key = 0x6b5;
	while ((k = codec_scan_next(s, &t)) == CODEC_T_OBJECT) {
		if (*n == cap) {
			size_t ncap = cap ? cap * 2 : 4;
			struct secret_view *bigger = realloc(*v, ncap * sizeof **v);
			if (!bigger) {
				*oom = true;
				return false;
			}
			*v = bigger;
			cap = ncap;
		}
		struct secret_view *it = &(*v)[*n];
		if (!scan_secret(s, it))
			return false;
		(*n)++;
		keyed = keyed && it->has_name && it->has_uid && it->has_rv;
		*key = key_add(*key, it);
	}
	if (!keyed || !*key)
		*key = 0;
	return k == CODEC_T_ARRAY_END;
}

/* The list's Secrets, its "items" (none when it has none), into *V
 * (malloc'd, texts in LIST_JSON) and *N, and their key. */
static int scan_list(const char *list_json, size_t len, struct secret_view **v, size_t *n,
                     uint64_t *key, char *err, size_t errlen)
{
	struct codec_scan s;
	struct codec_text t;
	enum codec_tok k = CODEC_T_ERROR;
	bool seen = false, oom = false;

	*v = NULL;
	*n = 0;
	*key = 0;
	codec_scan_init(&s, list_json ? list_json : "", list_json ? len : 0);
	if (codec_scan_next(&s, &t) == CODEC_T_OBJECT) {
		while ((k = codec_scan_next(&s, &t)) == CODEC_T_KEY) {
			bool items = !seen && kube_key_is(&t, "items");
			enum codec_tok first = codec_scan_next(&s, &t);
			if (items && first == CODEC_T_ARRAY) {
				seen = true;
				if (!scan_items(&s, v, n, key, &oom)) {
					k = CODEC_T_ERROR;
					break;
				}
			} else if (!codec_scan_skip(&s, first)) {
				k = CODEC_T_ERROR;
				break;
			}
		}
	}
	if (k == CODEC_T_OBJECT_END && codec_scan_next(&s, &t) == CODEC_T_END)
		return 0;
	free(*v);
	*v = NULL;
	*n = 0;
	if (oom)
		return kube_fail(err, errlen, "out of memory");
	return scan_fault(&s, "list of Helm release Secrets", err, errlen);
}

int kube_helm_decode_list(const char *list_json, size_t len, uint64_t *key,
                          struct model_kube_helm *out, char *err, size_t errlen)
{
	struct secret_view *v;
	size_t n;
	uint64_t k;
	char why[384];

	memset(out, 0, sizeof *out);
	if (scan_list(list_json, len, &v, &n, &k, err, errlen))
		return -1;
	if (key && k && k == *key) {
		free(v);
		return 1;
	}
	/* One deployed revision per release; other charts are skipped. */
	for (size_t i = 0; i < n; i++) {
		struct model_kube_helm h;
		if (decode_secret(&v[i], &h, why, sizeof why))
			continue;
		if (h.revision > out->revision) {
			model_kube_helm_clear(out);
			*out = h;
		} else {
			model_kube_helm_clear(&h);
		}
	}
	free(v);
	if (key)
		*key = k;
	return 0;
}

int kube_helm_list_key(const char *list_json, size_t len, uint64_t *key, char *err, size_t errlen)
{
	struct secret_view *v;
	size_t n;

	if (scan_list(list_json, len, &v, &n, key, err, errlen))
		return -1;
	free(v);
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
