/* kube Helm values: a release Secret built here the way Helm 3 writes it
 * (JSON, gzip, base64, then Kubernetes' base64), decoded back. */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "peerscope/kube.h"
#include "unit.h"

static char *b64(const unsigned char *in, size_t n)
{
	static const char abc[] =
	        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char *out = malloc(n / 3 * 4 + 5), *p = out;

	ck_assert_ptr_nonnull(out);
	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)in[i] << 16 | (i + 1 < n ? (unsigned)in[i + 1] << 8 : 0) |
		             (i + 2 < n ? in[i + 2] : 0);
		*p++ = abc[v >> 18 & 63];
		*p++ = abc[v >> 12 & 63];
		*p++ = i + 1 < n ? abc[v >> 6 & 63] : '=';
		*p++ = i + 2 < n ? abc[v & 63] : '=';
	}
	*p = 0;
	return out;
}

static unsigned char *gzip(const char *text, size_t *len)
{
	z_stream zs;
	size_t cap = strlen(text) + 256;
	unsigned char *out = malloc(cap);

	memset(&zs, 0, sizeof zs);
	ck_assert_int_eq(deflateInit2(&zs, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY),
	                 Z_OK);
	zs.next_in = (unsigned char *)(uintptr_t)text;
	zs.avail_in = (uInt)strlen(text);
	zs.next_out = out;
	zs.avail_out = (uInt)cap;
	ck_assert_int_eq(deflate(&zs, Z_FINISH), Z_STREAM_END);
	*len = cap - zs.avail_out;
	deflateEnd(&zs);
	return out;
}

/* A release Secret whose release JSON is RELEASE; GZ false stores it plain. */
static char *release_secret(const char *release, bool gz)
{
	size_t n = strlen(release);
	unsigned char *z = gz ? gzip(release, &n) : (unsigned char *)strdup(release);
	char *inner = b64(z, n), *outer = b64((unsigned char *)inner, strlen(inner));
	size_t cap = strlen(outer) + 512;
	char *secret = malloc(cap);

	snprintf(
	        secret, cap,
	        "{\"kind\":\"Secret\",\"metadata\":{\"name\":\"sh.helm.release.v1.consul.v3\","
	        "\"namespace\":\"consul\",\"labels\":{\"owner\":\"helm\",\"status\":\"deployed\"}},"
	        "\"type\":\"helm.sh/release.v1\",\"data\":{\"release\":\"%s\"}}",
	        outer);
	free(z);
	free(inner);
	free(outer);
	return secret;
}

static const char release_text[] =
        "{\"name\":\"consul\",\"namespace\":\"consul\",\"version\":3,"
        "\"info\":{\"status\":\"deployed\"},"
        "\"chart\":{\"metadata\":{\"name\":\"consul\",\"version\":\"1.3.1\",\"appVersion\":"
        "\"1.17.3\"},\"values\":{\"global\":{\"datacenter\":\"dc1\",\"tls\":{\"enabled\":false,"
        "\"httpsOnly\":true},\"peering\":{\"enabled\":false}},\"meshGateway\":{\"enabled\":false,"
        "\"replicas\":1,\"service\":{\"type\":\"LoadBalancer\"}}}},"
        "\"config\":{\"global\":{\"datacenter\":\"east\",\"image\":\"hashicorp/consul:1.17.3\","
        "\"peering\":{\"enabled\":true},\"tls\":{\"enabled\":true,\"httpsOnly\":null},"
        "\"adminPartitions\":{\"enabled\":true,\"name\":\"team-a\"}},"
        "\"meshGateway\":{\"enabled\":true,\"replicas\":2,\"service\":{\"type\":\"NodePort\"}}},"
        "\"manifest\":\"---\\n# Source: consul/templates/server-statefulset.yaml\\n\"}";

START_TEST(test_release)
{
	struct model_kube_helm h;
	char err[256];
	char *secret = release_secret(release_text, true);

	ck_assert_int_eq(kube_helm_decode(secret, strlen(secret), &h, err, sizeof err), 0);
	ck_assert_str_eq(h.release, "consul");
	ck_assert_str_eq(h.ns, "consul");
	ck_assert_int_eq(h.revision, 3);
	ck_assert_str_eq(h.status, "deployed");
	ck_assert_str_eq(h.chart_version, "1.3.1");
	ck_assert_str_eq(h.app_version, "1.17.3");
	ck_assert_str_eq(h.image, "hashicorp/consul:1.17.3");
	/* The user's values win; null and absent fall back to the chart. */
	ck_assert_str_eq(h.datacenter, "east");
	ck_assert(h.peering_enabled);
	ck_assert(h.tls_enabled);
	ck_assert(h.tls_https_only);
	ck_assert(h.mesh_gateway_enabled);
	ck_assert_int_eq(h.mesh_gateway_replicas, 2);
	ck_assert_str_eq(h.mesh_gateway_service_type, "NodePort");
	/* In neither: the chart's documented default. */
	ck_assert(h.connect_inject_enabled);
	ck_assert(!h.manage_system_acls);
	/* Enterprise settings: the user's partition, namespaces from the chart. */
	ck_assert(h.admin_partitions_enabled);
	ck_assert_str_eq(h.admin_partition_name, "team-a");
	ck_assert(!h.consul_namespaces_enabled);
	model_kube_helm_clear(&h);
	ck_assert_ptr_null(h.release);
	free(secret);
}
END_TEST

START_TEST(test_plain_release_and_defaults)
{
	struct model_kube_helm h;
	char err[256];
	char *secret = release_secret("{\"name\":\"c\",\"chart\":{\"metadata\":{\"name\":"
	                              "\"consul\"}},\"config\":{}}",
	                              false);

	ck_assert_int_eq(kube_helm_decode(secret, strlen(secret), &h, err, sizeof err), 0);
	ck_assert_str_eq(h.datacenter, "dc1");
	ck_assert(!h.peering_enabled);
	ck_assert(!h.tls_enabled);
	ck_assert(h.tls_https_only);
	ck_assert(!h.mesh_gateway_enabled);
	ck_assert_int_eq(h.mesh_gateway_replicas, 1);
	ck_assert_str_eq(h.mesh_gateway_service_type, "LoadBalancer");
	ck_assert_str_eq(h.image, "");
	ck_assert(!h.admin_partitions_enabled);
	ck_assert_str_eq(h.admin_partition_name, "default");
	ck_assert(!h.consul_namespaces_enabled);
	model_kube_helm_clear(&h);
	free(secret);
}
END_TEST

/* The list of release Secrets answers with every Secret whole: the newest
 * release of the consul chart is read from it; other charts are skipped. */
START_TEST(test_release_list)
{
	struct model_kube_helm h;
	char err[256];
	char *older = release_secret("{\"name\":\"consul\",\"version\":2,\"chart\":{\"metadata\":{"
	                             "\"name\":\"consul\"}},\"config\":{}}",
	                             false);
	char *newer = release_secret(release_text, true);
	char *other = release_secret("{\"name\":\"x\",\"version\":9,\"chart\":{\"metadata\":{"
	                             "\"name\":\"nginx\"}},\"config\":{}}",
	                             false);
	size_t cap = strlen(older) + strlen(newer) + strlen(other) + 128;
	char *list = malloc(cap);

	ck_assert_ptr_nonnull(list);
	snprintf(list, cap, "{\"kind\":\"SecretList\",\"items\":[%s,%s,%s]}", older, other, newer);
	ck_assert_int_eq(kube_helm_decode_list(list, strlen(list), NULL, &h, err, sizeof err), 0);
	ck_assert_int_eq(h.revision, 3);
	ck_assert_str_eq(h.datacenter, "east");
	model_kube_helm_clear(&h);
	/* None of the consul chart: no release, no error. */
	snprintf(list, cap, "{\"kind\":\"SecretList\",\"items\":[%s]}", other);
	ck_assert_int_eq(kube_helm_decode_list(list, strlen(list), NULL, &h, err, sizeof err), 0);
	ck_assert_ptr_null(h.release);
	ck_assert_int_eq(kube_helm_decode_list("{\"items\":", 9, NULL, &h, err, sizeof err), -1);
	free(list);
	free(older);
	free(newer);
	free(other);
}
END_TEST

/* SECRET (from release_secret()) with a uid and resourceVersion RV in its
 * metadata, as the API server writes every object. */
static char *with_version(const char *secret, const char *uid, const char *rv)
{
	const char *at = strstr(secret, "\"metadata\":{") + strlen("\"metadata\":{");
	size_t cap = strlen(secret) + 128;
	char *out = malloc(cap);

	ck_assert_ptr_nonnull(out);
	snprintf(out, cap, "%.*s\"uid\":\"%s\",\"resourceVersion\":\"%s\",%s", (int)(at - secret),
	         secret, uid, rv, at);
	return out;
}

static char *list_of(const char *item)
{
	size_t cap = strlen(item) + 64;
	char *list = malloc(cap);

	ck_assert_ptr_nonnull(list);
	snprintf(list, cap, "{\"kind\":\"SecretList\",\"items\":[%s]}", item);
	return list;
}

/* A list whose Secrets are the ones decoded last (their names, uids and
 * resourceVersions) is not decoded again; any of them written since, or
 * a Secret without a resourceVersion, is. */
START_TEST(test_list_key)
{
	struct model_kube_helm h;
	char err[256];
	char *plain = release_secret(release_text, true);
	char *v1 = with_version(plain, "u-1", "100"), *v2 = with_version(plain, "u-1", "101");
	char *other = with_version(plain, "u-2", "100");
	char *l1 = list_of(v1), *l2 = list_of(v2), *lo = list_of(other), *lp = list_of(plain);
	uint64_t key = 0;

	ck_assert_int_eq(kube_helm_decode_list(l1, strlen(l1), &key, &h, err, sizeof err), 0);
	ck_assert_uint_ne(key, 0);
	ck_assert_str_eq(h.datacenter, "east");
	model_kube_helm_clear(&h);
	uint64_t first = key;
	/* The same Secrets: nothing decoded, the key stands. */
	ck_assert_int_eq(kube_helm_decode_list(l1, strlen(l1), &key, &h, err, sizeof err), 1);
	ck_assert_ptr_null(h.release);
	ck_assert_uint_eq(key, first);
	/* Their metadata alone, as the API server gives it
	 * (as=PartialObjectMetadataList): the same key. */
	const char *meta = "{\"kind\":\"PartialObjectMetadataList\",\"apiVersion\":"
	                   "\"meta.k8s.io/v1\",\"metadata\":{\"resourceVersion\":\"7\"},"
	                   "\"items\":[{\"kind\":\"PartialObjectMetadata\",\"apiVersion\":"
	                   "\"meta.k8s.io/v1\",\"metadata\":{\"name\":"
	                   "\"sh.helm.release.v1.consul.v3\",\"namespace\":\"consul\","
	                   "\"resourceVersion\":\"100\",\"uid\":\"u-1\"}}]}";
	uint64_t mkey = 0;
	ck_assert_int_eq(kube_helm_list_key(meta, strlen(meta), &mkey, err, sizeof err), 0);
	ck_assert_uint_eq(mkey, first);
	ck_assert_int_eq(kube_helm_list_key(l2, strlen(l2), &mkey, err, sizeof err), 0);
	ck_assert_uint_ne(mkey, first);
	ck_assert_int_eq(kube_helm_list_key("[]", 2, &mkey, err, sizeof err), -1);
	ck_assert_str_eq(err, "list of Helm release Secrets: not an object");
	/* Written since (its resourceVersion), or another object of the name
	 * (its uid): decoded. */
	ck_assert_int_eq(kube_helm_decode_list(l2, strlen(l2), &key, &h, err, sizeof err), 0);
	ck_assert_str_eq(h.datacenter, "east");
	model_kube_helm_clear(&h);
	ck_assert_uint_ne(key, first);
	ck_assert_int_eq(kube_helm_decode_list(lo, strlen(lo), &key, &h, err, sizeof err), 0);
	model_kube_helm_clear(&h);
	/* No resourceVersion to tell by: always decoded, the key 0. */
	ck_assert_int_eq(kube_helm_decode_list(lp, strlen(lp), &key, &h, err, sizeof err), 0);
	ck_assert_uint_eq(key, 0);
	model_kube_helm_clear(&h);
	ck_assert_int_eq(kube_helm_decode_list(lp, strlen(lp), &key, &h, err, sizeof err), 0);
	ck_assert_str_eq(h.datacenter, "east");
	model_kube_helm_clear(&h);
	/* An empty list has a key too: no release, and nothing to decode
	 * next time. */
	const char *none = "{\"items\":[]}";
	key = 0;
	ck_assert_int_eq(kube_helm_decode_list(none, strlen(none), &key, &h, err, sizeof err), 0);
	ck_assert_ptr_null(h.release);
	ck_assert_uint_ne(key, 0);
	ck_assert_int_eq(kube_helm_decode_list(none, strlen(none), &key, &h, err, sizeof err), 1);
	free(plain);
	free(v1);
	free(v2);
	free(other);
	free(l1);
	free(l2);
	free(lo);
	free(lp);
}
END_TEST

/* A release as large as the consul chart's: the chart's templates (base64)
 * before its values, the manifest (escaped, as Go writes it) before the
 * version and namespace, and members in another order. What a reader wants
 * is found around them, the first of two members of one name is taken. */
START_TEST(test_large_release)
{
	size_t cap = (size_t)4 << 20, n = 0;
	char *rel = malloc(cap);
	struct model_kube_helm h;
	char err[256];

	ck_assert_ptr_nonnull(rel);
	n += (size_t)snprintf(rel + n, cap - n,
	                      "{\"name\":\"consul\",\"info\":{\"status\":\"deployed\"},"
	                      "\"chart\":{\"templates\":[");
	for (int i = 0; i < 200; i++) {
		n += (size_t)snprintf(rel + n, cap - n,
		                      "%s{\"name\":\"templates/t%03d.yaml\",\"data\":\"",
		                      i ? "," : "", i);
		for (int j = 0; j < 2000; j++)
			rel[n++] = "Zm9vOiB7eyAuVmFsdWVzIH19Cg"[(i + j) % 26];
		n += (size_t)snprintf(rel + n, cap - n, "\"}");
	}
	n += (size_t)snprintf(rel + n, cap - n,
	                      "],\"values\":{\"meshGateway\":{\"replicas\":1}},"
	                      "\"metadata\":{\"name\":\"consul\",\"version\":\"1.4.3\","
	                      "\"appVersion\":\"1.18.2\"},\"files\":[]},"
	                      "\"config\":{\"global\":{\"datacenter\":\"west\"},"
	                      "\"meshGateway\":{\"replicas\":3}},\"manifest\":\"");
	for (int j = 0; j < 20000; j++)
		n += (size_t)snprintf(rel + n, cap - n,
		                      "---\\n# Source: \\u003cx\\u003e\\\"q\\\"\\n");
	n += (size_t)snprintf(rel + n, cap - n,
	                      "\",\"hooks\":[],\"config\":{\"global\":{\"datacenter\":\"no\"}},"
	                      "\"version\":7,\"namespace\":\"elsewhere\"}");
	ck_assert_uint_gt(n, (size_t)1 << 20);
	char *secret = release_secret(rel, true);
	ck_assert_int_eq(kube_helm_decode(secret, strlen(secret), &h, err, sizeof err), 0);
	/* Inflating stopped at the manifest, as Helm's order allows: what
	 * follows it is not read, and the revision and namespace are the
	 * Secret's (Helm writes them equal; they differ here to show which is
	 * read). */
	ck_assert_int_eq(h.revision, 3);
	ck_assert_str_eq(h.ns, "consul");
	ck_assert_str_eq(h.datacenter, "west");
	ck_assert_int_eq(h.mesh_gateway_replicas, 3);
	ck_assert_str_eq(h.chart_version, "1.4.3");
	ck_assert_str_eq(h.status, "deployed");
	model_kube_helm_clear(&h);
	free(secret);
	/* So a manifest cut short is never seen... */
	size_t manifest_at = (size_t)(strstr(rel, "\"manifest\"") - rel);
	rel[manifest_at + (n - manifest_at) / 2] = '\0';
	secret = release_secret(rel, true);
	ck_assert_int_eq(kube_helm_decode(secret, strlen(secret), &h, err, sizeof err), 0);
	ck_assert_str_eq(h.datacenter, "west");
	model_kube_helm_clear(&h);
	free(secret);
	/* ...where templates cut short are a fault, named. */
	rel[n / 8] = '\0';
	secret = release_secret(rel, true);
	ck_assert_int_eq(kube_helm_decode(secret, strlen(secret), &h, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "Secret sh.helm.release.v1.consul.v3: Helm release: "
	                                  "invalid JSON: the text ends early"));
	free(secret);
	free(rel);
}
END_TEST

/* A release in another order than Helm's (the manifest first, the
 * revision and namespace before the values) is read whole. Its manifest
 * holds, escaped, what would look like the members if read as JSON, and an
 * escape across the 256 KiB the text is inflated by at a time. */
START_TEST(test_release_order)
{
	size_t cap = (size_t)1 << 20, n = 0, step = (size_t)256 * 1024;
	char *rel = malloc(cap);
	struct model_kube_helm h;
	char err[256];

	ck_assert_ptr_nonnull(rel);
	n += (size_t)snprintf(rel, cap, "{\"manifest\":\"");
	while (n < step - 1)
		rel[n++] = 'a';
	for (int i = 0; i < 2000; i++)
		n += (size_t)snprintf(rel + n, cap - n,
		                      "\\\",\\\"config\\\":{\\\"global\\\":{"
		                      "\\\"datacenter\\\":\\\"fake\\\"}},\\\"x\\\":\\\"\\\\");
	n += (size_t)snprintf(rel + n, cap - n,
	                      "\",\"name\":\"consul\",\"version\":5,\"namespace\":\"mesh\","
	                      "\"info\":{\"status\":\"deployed\"},\"chart\":{\"metadata\":{"
	                      "\"name\":\"consul\",\"version\":\"1.4.3\"}},"
	                      "\"config\":{\"global\":{\"datacenter\":\"real\"}}}");
	ck_assert(rel[step - 1] == '\\' && rel[step] == '"');
	char *secret = release_secret(rel, true);
	ck_assert_int_eq(kube_helm_decode(secret, strlen(secret), &h, err, sizeof err), 0);
	ck_assert_str_eq(h.datacenter, "real");
	ck_assert_int_eq(h.revision, 5);
	ck_assert_str_eq(h.ns, "mesh");
	model_kube_helm_clear(&h);
	free(secret);
	free(rel);
}
END_TEST

/* A release holds every value, secrets included: the values read are
 * wiped before they are freed (doc/api-contract.md §7.8). */
START_TEST(test_release_wiped)
{
	const char *needle = "PLANTED-GOSSIP-KEY";
	struct model_kube_helm h;
	char err[256];
	char *secret =
	        release_secret("{\"name\":\"consul\",\"info\":{\"status\":\"deployed\"},\"chart\":{"
	                       "\"metadata\":{\"name\":\"consul\"},\"values\":{\"global\":{}}},"
	                       "\"config\":{\"global\":{\"gossipEncryption\":{\"secretKey\":"
	                       "\"PLANTED-GOSSIP-KEY\"}}},\"manifest\":\"\"}",
	                       true);

	unit_watch_frees(needle);
	ck_assert_int_eq(kube_helm_decode(secret, strlen(secret), &h, err, sizeof err), 0);
	model_kube_helm_clear(&h);
	ck_assert_int_eq(unit_frees_with_text(), 0);
	unit_watch_frees_end();
	free(secret);
}
END_TEST

START_TEST(test_bad_releases)
{
	struct model_kube_helm h;
	char err[256];
	char *secret = release_secret("{\"name\":\"pg\",\"chart\":{\"metadata\":{\"name\":"
	                              "\"postgresql\"}}}",
	                              true);

	ck_assert_int_eq(kube_helm_decode(secret, strlen(secret), &h, err, sizeof err), -1);
	ck_assert_str_eq(err, "Helm release in Secret sh.helm.release.v1.consul.v3 is of chart "
	                      "\"postgresql\", not consul");
	free(secret);

	/* gzip cut short. */
	size_t n;
	unsigned char *z = gzip(release_text, &n);
	char *inner = b64(z, n / 2), *outer = b64((unsigned char *)inner, strlen(inner));
	char buf[8192];
	snprintf(buf, sizeof buf, "{\"metadata\":{\"name\":\"r\"},\"data\":{\"release\":\"%s\"}}",
	         outer);
	ck_assert_int_eq(kube_helm_decode(buf, strlen(buf), &h, err, sizeof err), -1);
	ck_assert_str_eq(err, "Helm release: Secret r: the release is not valid gzip data");
	free(z);
	free(inner);
	free(outer);

	const char *nodata = "{\"metadata\":{\"name\":\"r\"},\"data\":{}}";
	ck_assert_int_eq(kube_helm_decode(nodata, strlen(nodata), &h, err, sizeof err), -1);
	ck_assert_str_eq(err, "Helm release: Secret r has no data.release");
	const char *notb64 = "{\"metadata\":{\"name\":\"r\"},\"data\":{\"release\":\"***\"}}";
	ck_assert_int_eq(kube_helm_decode(notb64, strlen(notb64), &h, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "not base64"));
}
END_TEST

static Suite *helm_suite(void)
{
	Suite *s = suite_create("kube_helm");
	TCase *t = tcase_create("helm");

	tcase_add_test(t, test_release);
	tcase_add_test(t, test_plain_release_and_defaults);
	tcase_add_test(t, test_bad_releases);
	tcase_add_test(t, test_release_list);
	tcase_add_test(t, test_list_key);
	tcase_add_test(t, test_large_release);
	tcase_add_test(t, test_release_order);
	tcase_add_test(t, test_release_wiped);
	suite_add_tcase(s, t);
	return s;
}

UNIT_MAIN(helm_suite)
