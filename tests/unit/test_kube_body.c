/* kube request bodies: what is created, patched and copied. */
#include "autoconfig.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "peerscope/kube.h"
#include "unit.h"

static char *slurp(const char *name, size_t *len)
{
	return unit_fixture_read("kube", name, len);
}

START_TEST(test_peering_bodies)
{
	char err[256];
	char *b = kube_body_peering(MODEL_PEERING_ACCEPTOR, "consul", "cluster-02", "peering-token",
	                            "data", err, sizeof err);

	ck_assert_ptr_nonnull(b);
	ck_assert_str_eq(b,
	                 "{\"apiVersion\":\"consul.hashicorp.com/v1alpha1\",\"kind\":"
	                 "\"PeeringAcceptor\",\"metadata\":{\"name\":\"cluster-02\",\"namespace\":"
	                 "\"consul\"},\"spec\":{\"peer\":{\"secret\":{\"name\":\"peering-token\","
	                 "\"key\":\"data\",\"backend\":\"kubernetes\"}}}}");
	/* What we build, we decode back the same. */
	struct kube_object o;
	ck_assert_int_eq(
	        kube_object_decode(KUBE_PEERING_ACCEPTOR, b, strlen(b), &o, err, sizeof err), 0);
	ck_assert_str_eq(o.u.peering.spec_secret.key, "data");
	kube_object_clear(&o);
	free(b);

	b = kube_body_peering(MODEL_PEERING_DIALER, "consul", "cluster-01", "tok", "data", err,
	                      sizeof err);
	ck_assert_ptr_nonnull(strstr(b, "\"kind\":\"PeeringDialer\""));
	free(b);
	ck_assert_ptr_null(kube_body_peering(MODEL_PEERING_DIALER, "consul", "Bad_Name", "tok",
	                                     "data", err, sizeof err));
	ck_assert_ptr_nonnull(strstr(err, "\"Bad_Name\" is not a valid"));
	ck_assert_ptr_null(kube_body_peering(MODEL_PEERING_DIALER, "consul", "ok", "tok", "", err,
	                                     sizeof err));
	ck_assert_str_eq(err, "PeeringDialer ok: the Secret key is empty");

	b = kube_body_version_bump(4, NULL, err, sizeof err);
	ck_assert_str_eq(b, "{\"metadata\":{\"annotations\":{\"consul.hashicorp.com/"
	                    "peering-version\":\"4\"}}}");
	free(b);
	b = kube_body_version_bump(5, "812", err, sizeof err);
	ck_assert_str_eq(b, "{\"metadata\":{\"annotations\":{\"consul.hashicorp.com/"
	                    "peering-version\":\"5\"},\"resourceVersion\":\"812\"}}");
	free(b);
}
END_TEST

START_TEST(test_entry_bodies)
{
	char err[256];
	char *b = kube_body_mesh("consul", true, err, sizeof err);

	ck_assert_str_eq(b, "{\"apiVersion\":\"consul.hashicorp.com/v1alpha1\",\"kind\":\"Mesh\","
	                    "\"metadata\":{\"name\":\"mesh\",\"namespace\":\"consul\"},\"spec\":"
	                    "{\"peering\":{\"peerThroughMeshGateways\":true}}}");
	free(b);
	b = kube_body_mesh_patch(false, err, sizeof err);
	ck_assert_str_eq(b, "{\"spec\":{\"peering\":{\"peerThroughMeshGateways\":false}}}");
	free(b);
	b = kube_body_proxy_defaults("consul", MODEL_MGW_LOCAL, err, sizeof err);
	ck_assert_ptr_nonnull(strstr(b, "\"name\":\"global\""));
	ck_assert_ptr_nonnull(strstr(b, "\"spec\":{\"meshGateway\":{\"mode\":\"local\"}}"));
	free(b);
	b = kube_body_gateway_mode_patch(MODEL_MGW_REMOTE, err, sizeof err);
	ck_assert_str_eq(b, "{\"spec\":{\"meshGateway\":{\"mode\":\"remote\"}}}");
	free(b);
	/* Inherit: null removes the key in a merge patch. */
	b = kube_body_gateway_mode_patch(MODEL_MGW_DEFAULT, err, sizeof err);
	ck_assert_str_eq(b, "{\"spec\":{\"meshGateway\":{\"mode\":null}}}");
	free(b);
	ck_assert_ptr_null(kube_body_gateway_mode_patch(MODEL_MGW_INVALID, err, sizeof err));
	ck_assert_ptr_nonnull(strstr(err, "invalid mode"));
	b = kube_body_service_defaults("default", "web", "http", MODEL_MGW_NONE, err, sizeof err);
	ck_assert_ptr_nonnull(strstr(b, "\"spec\":{\"protocol\":\"http\",\"meshGateway\":{\"mode\":"
	                                "\"none\"}}"));
	free(b);
	b = kube_body_service_defaults("default", "web", NULL, MODEL_MGW_DEFAULT, err, sizeof err);
	ck_assert_ptr_nonnull(strstr(b, "\"spec\":{\"meshGateway\":{}}"));
	free(b);
}
END_TEST

START_TEST(test_exported_services_body)
{
	char err[256];
	char peer[] = "cluster-02", part[] = "p", a[] = "a", name[] = "payments", empty[] = "";
	struct model_export_consumer c1[] = {{.peer = peer}, {.partition = part}};
	struct model_export_consumer bad[] = {{.peer = a, .partition = part}};
	struct model_export_service svcs[] = {
	        {.name = name, .ns = empty, .consumers = c1, .nconsumers = 2},
	};

	char *b = kube_body_exported_services("consul", "default", svcs, 1, err, sizeof err);
	ck_assert_ptr_nonnull(b);
	ck_assert_ptr_nonnull(strstr(b, "\"spec\":{\"services\":[{\"name\":\"payments\","
	                                "\"consumers\":[{\"peer\":\"cluster-02\"},{\"partition\":"
	                                "\"p\"}]}]}"));
	struct kube_object o;
	ck_assert_int_eq(
	        kube_object_decode(KUBE_EXPORTED_SERVICES, b, strlen(b), &o, err, sizeof err), 0);
	ck_assert_str_eq(o.u.exported.services[0].consumers[0].peer, "cluster-02");
	kube_object_clear(&o);
	free(b);
	b = kube_body_exported_services_patch(NULL, 0, err, sizeof err);
	ck_assert_str_eq(b, "{\"spec\":{\"services\":[]}}");
	free(b);
	svcs[0].consumers = bad;
	svcs[0].nconsumers = 1;
	ck_assert_ptr_null(
	        kube_body_exported_services("consul", "default", svcs, 1, err, sizeof err));
	ck_assert_ptr_nonnull(strstr(err, "payments, consumer 0: set exactly one"));
	svcs[0].nconsumers = 0;
	ck_assert_ptr_null(kube_body_exported_services_patch(svcs, 1, err, sizeof err));
	ck_assert_str_eq(err, "exported service payments has no consumer");
}
END_TEST

START_TEST(test_secret_copy)
{
	char err[256];
	size_t len;
	char *src = slurp("secret-token.json", &len);
	char *b = kube_body_secret_copy(src, len, "consul-b", err, sizeof err);

	ck_assert_ptr_nonnull(b);
	free(src);
	cJSON *root = cJSON_Parse(b);
	ck_assert_ptr_nonnull(root);
	cJSON *md = cJSON_GetObjectItem(root, "metadata");
	ck_assert_str_eq(cJSON_GetObjectItem(md, "name")->valuestring, "peering-token");
	ck_assert_str_eq(cJSON_GetObjectItem(md, "namespace")->valuestring, "consul-b");
	/* The source cluster's bookkeeping stays behind. */
	static const char *const dropped[] = {"resourceVersion", "uid", "creationTimestamp",
	                                      "managedFields", "ownerReferences"};
	for (size_t i = 0; i < sizeof dropped / sizeof dropped[0]; i++)
		ck_assert_msg(!cJSON_GetObjectItem(md, dropped[i]), "%s kept", dropped[i]);
	/* The label that makes the dialer re-dial on updates is kept. */
	cJSON *labels = cJSON_GetObjectItem(md, "labels");
	ck_assert_str_eq(
	        cJSON_GetObjectItem(labels, "consul.hashicorp.com/peering-token")->valuestring,
	        "true");
	ck_assert_str_eq(cJSON_GetObjectItem(labels, "team")->valuestring, "mesh");
	cJSON *an = cJSON_GetObjectItem(md, "annotations");
	ck_assert_str_eq(cJSON_GetObjectItem(an, "owner")->valuestring, "ops");
	ck_assert_ptr_null(
	        cJSON_GetObjectItem(an, "kubectl.kubernetes.io/last-applied-configuration"));
	ck_assert_str_eq(cJSON_GetObjectItem(root, "type")->valuestring, "Opaque");
	ck_assert_str_eq(
	        cJSON_GetObjectItem(cJSON_GetObjectItem(root, "data"), "data")->valuestring,
	        "UExBTlRFRC1QRUVSSU5HLVRPS0VOLXZhbHVl");
	cJSON_Delete(root);
	free(b);

	/* Bringing an existing copy up to date: labels and data only. */
	src = slurp("secret-token.json", &len);
	b = kube_body_secret_copy_patch(src, len, err, sizeof err);
	free(src);
	ck_assert_ptr_nonnull(b);
	ck_assert_str_eq(b, "{\"metadata\":{\"labels\":{\"consul.hashicorp.com/peering-token\":"
	                    "\"true\",\"team\":\"mesh\"}},\"data\":{\"data\":"
	                    "\"UExBTlRFRC1QRUVSSU5HLVRPS0VOLXZhbHVl\",\"empty\":\"\",\"short\":"
	                    "\"YQ==\"}}");
	free(b);

	const char *notsecret = "{\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"x\"}}";
	ck_assert_ptr_null(
	        kube_body_secret_copy(notsecret, strlen(notsecret), "a", err, sizeof err));
	ck_assert_str_eq(err, "copying a Secret: the source is a ConfigMap");
	const char *cut = "{\"kind\":\"Secret\",\"data\":{\"data\":\"UExBTlRFRC";
	ck_assert_ptr_null(kube_body_secret_copy(cut, strlen(cut), "a", err, sizeof err));
	ck_assert_ptr_nonnull(strstr(err, "truncated"));
	ck_assert_ptr_null(strstr(err, "UExBTlRFRC"));
}
END_TEST

START_TEST(test_next_version)
{
	char three[] = "3", junk[] = "x1", empty[] = "", big[] = "99999999999999999999999";
	struct model_kube_peering p = {.meta = {.peering_version = empty}};

	ck_assert_uint_eq(kube_peering_next_version(&p), 1);
	p.has_latest_version = true;
	p.latest_version = 7;
	ck_assert_uint_eq(kube_peering_next_version(&p), 8);
	p.meta.peering_version = three;
	ck_assert_uint_eq(kube_peering_next_version(&p), 8);
	p.latest_version = 2;
	ck_assert_uint_eq(kube_peering_next_version(&p), 4);
	/* What is not a number does not count (the controller fails on it). */
	p.meta.peering_version = junk;
	ck_assert_uint_eq(kube_peering_next_version(&p), 3);
	p.meta.peering_version = big;
	ck_assert_uint_eq(kube_peering_next_version(&p), 3);
}
END_TEST

static Suite *body_suite(void)
{
	Suite *s = suite_create("kube_body");
	TCase *t = tcase_create("bodies");

	tcase_add_test(t, test_peering_bodies);
	tcase_add_test(t, test_entry_bodies);
	tcase_add_test(t, test_exported_services_body);
	tcase_add_test(t, test_secret_copy);
	tcase_add_test(t, test_next_version);
	suite_add_tcase(s, t);
	return s;
}

UNIT_MAIN(body_suite)
