/* Unit tests of peerscope-sim's Kubernetes half: the pure parts (YAML,
 * patches, selectors, schema validation, base64) and the API server's
 * handlers driven with struct sim_req values on a real world. */
#include "autoconfig.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

#include "consul/simc.h"
#include "core.h"
#include "kube/simk.h"
#include "unit.h"

/* ------------------------------------------------------------ pure parts */

START_TEST(yaml_scalars_resolve_like_yaml_1_2)
{
	const char *y = "a: 1\nb: true\nc: \"1\"\nd: null\ne: x.y\nf: [1, two]\ng: -2.5\n";
	char err[128];
	cJSON *j = simk_yaml_to_json(y, strlen(y), err, sizeof err);

	ck_assert_ptr_nonnull(j);
	ck_assert(cJSON_IsNumber(cJSON_GetObjectItem(j, "a")));
	ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(j, "b")));
	ck_assert_str_eq(cJSON_GetObjectItem(j, "c")->valuestring, "1");
	ck_assert(cJSON_IsNull(cJSON_GetObjectItem(j, "d")));
	ck_assert_str_eq(cJSON_GetObjectItem(j, "e")->valuestring, "x.y");
	ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(j, "f")), 2);
	ck_assert(cJSON_GetObjectItem(j, "g")->valuedouble == -2.5);
	cJSON_Delete(j);
}
END_TEST

START_TEST(yaml_error_names_the_line)
{
	const char *y = "a: 1\nb: [1, 2\n";
	char err[128] = "";

	ck_assert_ptr_null(simk_yaml_to_json(y, strlen(y), err, sizeof err));
	ck_assert_msg(strncmp(err, "line ", 5) == 0, "%s", err);
}
END_TEST

static char *merge(const char *target, const char *patch)
{
	cJSON *t = cJSON_Parse(target), *p = cJSON_Parse(patch), *r = simk_merge_patch(t, p);
	char *out = cJSON_PrintUnformatted(r);

	cJSON_Delete(t);
	cJSON_Delete(p);
	cJSON_Delete(r);
	return out;
}

START_TEST(merge_patch_follows_rfc_7386)
{
	static const char *const cases[][3] = {
	        {"{\"a\":\"b\"}", "{\"a\":\"c\"}", "{\"a\":\"c\"}"},
	        {"{\"a\":\"b\"}", "{\"b\":\"c\"}", "{\"a\":\"b\",\"b\":\"c\"}"},
	        {"{\"a\":\"b\"}", "{\"a\":null}", "{}"},
	        {"{\"a\":[{\"b\":\"c\"}]}", "{\"a\":[1]}", "{\"a\":[1]}"},
	        {"{\"a\":{\"b\":\"c\"}}", "{\"a\":{\"b\":\"d\",\"c\":null}}",
	         "{\"a\":{\"b\":\"d\"}}"},
	        {"{\"e\":null}", "{\"a\":1}", "{\"e\":null,\"a\":1}"},
	        {"[1,2]", "{\"a\":\"b\",\"c\":null}", "{\"a\":\"b\"}"},
	        {"{}", "{\"a\":{\"bb\":{\"ccc\":null}}}", "{\"a\":{\"bb\":{}}}"},
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *got = merge(cases[i][0], cases[i][1]);

		ck_assert_msg(got && strcmp(got, cases[i][2]) == 0, "case %zu: %s", i, got);
		free(got);
	}
}
END_TEST

static char *jpatch(const char *target, const char *ops, char *err, size_t len)
{
	cJSON *t = cJSON_Parse(target), *o = cJSON_Parse(ops);
	cJSON *r = simk_json_patch(t, o, err, len);
	char *out = r ? cJSON_PrintUnformatted(r) : NULL;

	cJSON_Delete(t);
	cJSON_Delete(o);
	cJSON_Delete(r);
	return out;
}

START_TEST(json_patch_follows_rfc_6902)
{
	char err[256];
	char *got;

	got = jpatch("{\"a\":{\"b\":[1,2]}}",
	             "[{\"op\":\"add\",\"path\":\"/a/b/1\",\"value\":9},"
	             "{\"op\":\"add\",\"path\":\"/a/b/-\",\"value\":3},"
	             "{\"op\":\"replace\",\"path\":\"/a/b/0\",\"value\":0},"
	             "{\"op\":\"copy\",\"from\":\"/a/b\",\"path\":\"/c\"},"
	             "{\"op\":\"move\",\"from\":\"/c\",\"path\":\"/d\"},"
	             "{\"op\":\"remove\",\"path\":\"/a\"},"
	             "{\"op\":\"test\",\"path\":\"/d/1\",\"value\":9},"
	             "{\"op\":\"add\",\"path\":\"/e~1f\",\"value\":\"x\"}]",
	             err, sizeof err);
	ck_assert_str_eq(got, "{\"d\":[0,9,2,3],\"e/f\":\"x\"}");
	free(got);
	ck_assert_ptr_null(
	        jpatch("{\"a\":1}", "[{\"op\":\"remove\",\"path\":\"/b\"}]", err, sizeof err));
	ck_assert_msg(strstr(err, "/b") != NULL, "%s", err);
	ck_assert_ptr_null(jpatch("{\"a\":1}", "[{\"op\":\"test\",\"path\":\"/a\",\"value\":2}]",
	                          err, sizeof err));
	ck_assert_ptr_null(jpatch("{\"a\":[1]}", "[{\"op\":\"add\",\"path\":\"/a/5\",\"value\":2}]",
	                          err, sizeof err));
}
END_TEST

START_TEST(label_selectors_match)
{
	cJSON *labels =
	        cJSON_Parse("{\"consul.hashicorp.com/peering-token\":\"true\",\"app\":\"x\"}");
	static const char *const yes[] = {"",
	                                  "consul.hashicorp.com/peering-token=true",
	                                  "app==x,consul.hashicorp.com/peering-token",
	                                  "app in (x, y)",
	                                  "app notin (z),!missing",
	                                  "app!=y"};
	static const char *const no[] = {"app=y", "missing", "app notin (x)", "!app", "app in (y)"};
	char err[200];

	for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
		struct simk_selector *s = simk_selector_parse(yes[i], err, sizeof err);

		ck_assert_msg(s && simk_selector_match(s, labels), "%s", yes[i]);
		simk_selector_free(s);
	}
	for (size_t i = 0; i < sizeof no / sizeof no[0]; i++) {
		struct simk_selector *s = simk_selector_parse(no[i], err, sizeof err);

		ck_assert_msg(s && !simk_selector_match(s, labels), "%s", no[i]);
		simk_selector_free(s);
	}
	ck_assert_ptr_null(simk_selector_parse("app in x", err, sizeof err));
	ck_assert_ptr_null(simk_selector_parse("app=x y", err, sizeof err));
	cJSON_Delete(labels);
}
END_TEST

START_TEST(field_selectors_take_metadata_name)
{
	cJSON *obj = cJSON_Parse("{\"metadata\":{\"name\":\"a\",\"namespace\":\"default\"}}");
	char err[200];

	ck_assert(simk_field_selector_ok("metadata.name=a", err, sizeof err));
	ck_assert(simk_field_selector_match("metadata.name=a", obj));
	ck_assert(simk_field_selector_match("metadata.name==a,metadata.namespace=default", obj));
	ck_assert(!simk_field_selector_match("metadata.name!=a", obj));
	ck_assert(!simk_field_selector_match("metadata.name=b", obj));
	ck_assert(!simk_field_selector_ok("spec.x=1", err, sizeof err));
	ck_assert_str_eq(err, "field label not supported: spec.x");
	cJSON_Delete(obj);
}
END_TEST

START_TEST(base64_round_trips)
{
	static const char *const texts[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
	static const char *const enc[] = {"",         "Zg==",     "Zm8=",    "Zm9v",
	                                  "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
	size_t len;

	for (size_t i = 0; i < 7; i++) {
		char *e = sim_b64_encode(texts[i], strlen(texts[i]));
		char *d = sim_b64_decode(enc[i], &len);

		ck_assert_str_eq(e, enc[i]);
		ck_assert_str_eq(d, texts[i]);
		ck_assert_uint_eq(len, strlen(texts[i]));
		free(e);
		free(d);
	}
	ck_assert_ptr_null(sim_b64_decode("Zm9", &len));
	ck_assert_ptr_null(sim_b64_decode("Zm=v", &len));
	ck_assert_ptr_null(sim_b64_decode("Z!9v", &len));
}
END_TEST

/* gunzip of N bytes at GZ, NUL-terminated (malloc'd), or NULL. */
static char *gunzip(const unsigned char *gz, size_t n, size_t *len)
{
	z_stream zs;
	size_t cap = 1 << 20;
	char *out = malloc(cap);
	int rc;

	memset(&zs, 0, sizeof zs);
	ck_assert_int_eq(inflateInit2(&zs, 16 + MAX_WBITS), Z_OK);
	zs.next_in = (Bytef *)(uintptr_t)gz;
	zs.avail_in = (uInt)n;
	zs.next_out = (Bytef *)out;
	zs.avail_out = (uInt)(cap - 1);
	rc = inflate(&zs, Z_FINISH);
	*len = zs.total_out;
	inflateEnd(&zs);
	if (rc != Z_STREAM_END) {
		free(out);
		return NULL;
	}
	out[*len] = '\0';
	return out;
}

/* A release's gzip reuses the pieces every release carries, deflated once,
 * wherever they are in it, and is what one deflate of the whole would give
 * back. */
START_TEST(gzip_reuses_deflated_pieces)
{
	char a[3000], b[5000], text[12000];
	struct simk_deflated known[2];
	static const char *const layouts[] = {"xAyBz", "AB", "xA", "By", "xyz"};

	for (size_t i = 0; i < sizeof a - 1; i++)
		a[i] = "template "[i % 9];
	a[sizeof a - 1] = '\0';
	for (size_t i = 0; i < sizeof b - 1; i++)
		b[i] = (char)('a' + (i * 7919) % 26);
	b[sizeof b - 1] = '\0';
	ck_assert_int_eq(simk_deflate(a, strlen(a), 6, &known[0]), 0);
	ck_assert_int_eq(simk_deflate(b, strlen(b), 6, &known[1]), 0);
	for (size_t l = 0; l < sizeof layouts / sizeof layouts[0]; l++) {
		size_t n = 0, gz_len, out_len;
		unsigned char *gz;
		char *out;

		for (const char *p = layouts[l]; *p; p++)
			n += (size_t)snprintf(text + n, sizeof text - n, "%s",
			                      *p == 'A'   ? a
			                      : *p == 'B' ? b
			                                  : "{\"release\":1}");
		gz = simk_gzip(text, n, known, 2, 6, &gz_len);
		ck_assert_ptr_nonnull(gz);
		ck_assert(n < 1000 || gz_len < n / 2);
		out = gunzip(gz, gz_len, &out_len);
		ck_assert_msg(out != NULL, "layout %s: not valid gzip", layouts[l]);
		ck_assert_uint_eq(out_len, n);
		ck_assert_msg(memcmp(out, text, n) == 0, "layout %s: not the text", layouts[l]);
		free(out);
		free(gz);
	}
	simk_deflated_free(&known[0]);
	simk_deflated_free(&known[1]);
}
END_TEST

START_TEST(schema_reports_types_required_and_prunes)
{
	const char *schema_text =
	        "{\"type\":\"object\",\"properties\":{\"spec\":{\"type\":\"object\",\"required\":"
	        "[\"peer\"],\"properties\":{\"peer\":{\"type\":\"object\",\"properties\":{"
	        "\"secret\":"
	        "{\"type\":\"object\",\"properties\":{\"name\":{\"type\":\"string\"}}}}},"
	        "\"n\":{\"type\":\"integer\"},\"m\":{\"type\":\"string\",\"enum\":[\"a\",\"b\"]}}}}"
	        "}";
	cJSON *schema = cJSON_Parse(schema_text);
	cJSON *obj = cJSON_Parse("{\"metadata\":{\"keep\":1},\"spec\":{\"peer\":{\"secret\":"
	                         "{\"name\":5,\"x\":1}},\"n\":1.5,\"m\":\"c\",\"y\":2},\"z\":3}");
	cJSON *causes = cJSON_CreateArray();
	char *unknown = NULL;

	simk_schema_check(schema, obj, true, causes, &unknown);
	ck_assert_int_eq(cJSON_GetArraySize(causes), 3);
	ck_assert_str_eq(simk_str(cJSON_GetArrayItem(causes, 0), "field"), "spec.peer.secret.name");
	ck_assert_str_eq(
	        simk_str(cJSON_GetArrayItem(causes, 0), "message"),
	        "Invalid value: \"integer\": spec.peer.secret.name in body must be of type "
	        "string: \"integer\"");
	ck_assert_str_eq(simk_str(cJSON_GetArrayItem(causes, 1), "reason"),
	                 "FieldValueTypeInvalid");
	ck_assert_str_eq(simk_str(cJSON_GetArrayItem(causes, 2), "reason"),
	                 "FieldValueNotSupported");
	ck_assert_str_eq(unknown, "unknown field \"spec.peer.secret.x\", unknown field "
	                          "\"spec.y\", unknown field \"z\"");
	ck_assert_ptr_null(simk_path(obj, "spec.y"));
	ck_assert_ptr_nonnull(simk_path(obj, "metadata.keep"));
	free(unknown);
	cJSON_Delete(obj);
	cJSON_Delete(causes);

	obj = cJSON_Parse("{\"spec\":{}}");
	causes = cJSON_CreateArray();
	simk_schema_check(schema, obj, false, causes, &unknown);
	ck_assert_ptr_null(unknown);
	ck_assert_str_eq(simk_str(cJSON_GetArrayItem(causes, 0), "field"), "spec.peer");
	ck_assert_str_eq(simk_str(cJSON_GetArrayItem(causes, 0), "message"), "Required value");
	cJSON_Delete(obj);
	cJSON_Delete(causes);
	cJSON_Delete(schema);
}
END_TEST

/* ------------------------------------------------------------ a live world */

static struct sim_world world;

/* The Kubernetes half alone: each cluster's Kubernetes state on a world
 * without Consul (the API tests do not reach Consul). */
static void world_up(void)
{
	struct sim_options opt = {.clusters = 2, .seed = 7, .speed = 20.0};
	char err[256];

	snprintf(opt.listen, sizeof opt.listen, "127.0.0.1");
	ck_assert_msg(sim_world_init(&world, &opt, err, sizeof err) == 0, "%s", err);
	pthread_mutex_lock(&world.lock);
	for (int i = 0; i < world.nclusters; i++)
		ck_assert_int_eq(simk_init(&world.clusters[i]), 0);
	pthread_mutex_unlock(&world.lock);
}

/* The whole simulator: both halves of every cluster. */
static void full_world_up(void)
{
	struct sim_options opt = {.clusters = 2, .seed = 7, .speed = 20.0};
	char err[256];

	snprintf(opt.listen, sizeof opt.listen, "127.0.0.1");
	ck_assert_msg(sim_world_init(&world, &opt, err, sizeof err) == 0, "%s", err);
	ck_assert_msg(sim_world_populate(&world, err, sizeof err) == 0, "%s", err);
}

static void world_down(void)
{
	simk_controllers_stop(&world);
	sim_world_depopulate(&world);
	sim_world_free(&world);
}

struct call {
	int status;
	cJSON *json;
	char *body;
};

/* The bearer token kcall sends; NULL: the cluster's admin token. */
static const char *call_token;

/* One request to cluster CI's Kubernetes API; QUERY is "k=v&k=v" (decoded). */
static struct call kcall(int ci, const char *method, const char *path, const char *query,
                         const char *ctype, const char *body, bool auth)
{
	struct sim_cluster *c = &world.clusters[ci];
	struct sim_kv args[8], headers[3];
	char qbuf[512], authz[128];
	struct sim_req req = {.method = method, .path = path, .args = args, .headers = headers};
	struct sim_resp resp;
	struct call out = {0};

	memset(&resp, 0, sizeof resp);
	snprintf(qbuf, sizeof qbuf, "%s", query ? query : "");
	for (char *kv = strtok(qbuf, "&"); kv && req.nargs < 8; kv = strtok(NULL, "&")) {
		char *eq = strchr(kv, '=');

		if (eq)
			*eq++ = '\0';
		args[req.nargs].key = kv;
		args[req.nargs++].value = eq ? eq : (char *)"";
	}
	snprintf(authz, sizeof authz, "Bearer %s", call_token ? call_token : c->kube_token);
	if (auth) {
		headers[req.nheaders].key = (char *)"Authorization";
		headers[req.nheaders++].value = authz;
	}
	if (ctype) {
		headers[req.nheaders].key = (char *)"Content-Type";
		headers[req.nheaders++].value = (char *)ctype;
	}
	req.body = body ? body : "";
	req.body_len = body ? strlen(body) : 0;
	simk_handle(c, &req, &resp);
	out.status = resp.status;
	if (resp.body) {
		out.body = strndup(resp.body, resp.body_len);
		out.json = cJSON_Parse(out.body);
	}
	if (resp.stream.next) {
		char *chunk = NULL;
		size_t len = 0;

		if (resp.stream.next(resp.stream.ctx, &chunk, &len)) {
			out.body = strndup(chunk, len);
			free(chunk);
		}
		resp.stream.done(resp.stream.ctx);
		resp.stream.next = NULL;
	}
	sim_resp_free(&resp);
	return out;
}

static void call_free(struct call *c)
{
	cJSON_Delete(c->json);
	free(c->body);
}

#define ACCEPTORS "/apis/consul.hashicorp.com/v1alpha1/namespaces/default/peeringacceptors"
#define ACCEPTOR_BODY(name, secret)                                                                \
	"{\"apiVersion\":\"consul.hashicorp.com/v1alpha1\",\"kind\":\"PeeringAcceptor\","          \
	"\"metadata\":{\"name\":\"" name "\"},\"spec\":{\"peer\":{\"secret\":{\"name\":\"" secret  \
	"\",\"key\":\"data\",\"backend\":\"kubernetes\"}}}}"

START_TEST(unauthenticated_requests_get_401)
{
	struct call r = kcall(0, "GET", "/api/v1/namespaces", NULL, NULL, NULL, false);

	ck_assert_int_eq(r.status, 401);
	ck_assert_str_eq(simk_str(r.json, "reason"), "Unauthorized");
	ck_assert_str_eq(simk_str(r.json, "kind"), "Status");
	call_free(&r);
	r = kcall(0, "GET", "/version", NULL, NULL, NULL, false);
	ck_assert_int_eq(r.status, 200);
	call_free(&r);
}
END_TEST

/* RBAC as kube-apiserver applies it: the 403 Status worded by
 * staging/src/k8s.io/apiserver/pkg/endpoints/handlers/responsewriters/errors.go
 * (forbiddenMessage, wrapped by apierrors.NewForbidden), rules matched as
 * plugin/pkg/auth/authorizer/rbac/rbac.go (RuleAllows) does, and the
 * reviews of pkg/registry/authorization/selfsubject{access,rules}review. */
static void give_user(int ci, const char *spec_json)
{
	char err[300];
	cJSON *spec = cJSON_Parse(spec_json);

	pthread_mutex_lock(&world.lock);
	int rc = simk_rbac_set(&world.clusters[ci], spec, NULL, err, sizeof err);
	call_token = simk_rbac_token(&world.clusters[ci], 1);
	pthread_mutex_unlock(&world.lock);
	cJSON_Delete(spec);
	ck_assert_msg(rc == 0, "%s", err);
}

static void assert_forbidden(struct call *r, const char *message)
{
	ck_assert_int_eq(r->status, 403);
	ck_assert_str_eq(simk_str(r->json, "reason"), "Forbidden");
	ck_assert_str_eq(simk_str(r->json, "message"), message);
	call_free(r);
}

START_TEST(rbac_forbids_with_the_api_servers_words)
{
	struct call r;

	give_user(0, "{\"preset\":\"read-only\"}");
	r = kcall(0, "GET", "/api/v1/namespaces/default/secrets", NULL, NULL, NULL, true);
	ck_assert_int_eq(r.status, 200);
	call_free(&r);
	r = kcall(0, "POST", "/api/v1/namespaces/default/secrets", NULL, "application/json",
	          "{\"metadata\":{\"name\":\"s\"}}", true);
	ck_assert_str_eq(simk_str(r.json, "details.kind"), "secrets");
	assert_forbidden(&r, "secrets is forbidden: User \"peerscope\" cannot create resource "
	                     "\"secrets\" in API group \"\" in the namespace \"default\"");
	r = kcall(0, "POST", ACCEPTORS, NULL, "application/json", ACCEPTOR_BODY("a", "s"), true);
	ck_assert_str_eq(simk_str(r.json, "details.group"), "consul.hashicorp.com");
	assert_forbidden(&r, "peeringacceptors.consul.hashicorp.com is forbidden: User "
	                     "\"peerscope\" cannot create resource \"peeringacceptors\" in API "
	                     "group \"consul.hashicorp.com\" in the namespace \"default\"");
	r = kcall(0, "DELETE", ACCEPTORS "/a", NULL, NULL, NULL, true);
	ck_assert_str_eq(simk_str(r.json, "details.name"), "a");
	assert_forbidden(&r, "peeringacceptors.consul.hashicorp.com \"a\" is forbidden: User "
	                     "\"peerscope\" cannot delete resource \"peeringacceptors\" in API "
	                     "group \"consul.hashicorp.com\" in the namespace \"default\"");
	r = kcall(0, "PUT", ACCEPTORS "/a/status", NULL, "application/json", "{}", true);
	assert_forbidden(&r, "peeringacceptors.consul.hashicorp.com \"a\" is forbidden: User "
	                     "\"peerscope\" cannot update resource \"peeringacceptors/status\" "
	                     "in API group \"consul.hashicorp.com\" in the namespace "
	                     "\"default\"");
	/* Authorization comes before the resource is looked for. */
	r = kcall(0, "POST", "/apis/consul.hashicorp.com/v1alpha1/namespaces/default/nosuch", NULL,
	          "application/json", "{}", true);
	ck_assert_int_eq(r.status, 403);
	call_free(&r);
	/* The admin's token still does everything. */
	call_token = NULL;
	r = kcall(0, "POST", "/api/v1/namespaces/default/secrets", NULL, "application/json",
	          "{\"metadata\":{\"name\":\"s\"}}", true);
	ck_assert_int_eq(r.status, 201);
	call_free(&r);
	/* Rules bound in one namespace only, and the service proxy. */
	give_user(0, "{\"rules\":[{\"verbs\":[\"get\",\"list\"],\"apiGroups\":[\"\"],"
	             "\"resources\":[\"namespaces\"]}],\"namespaces\":{\"consul\":[{\"verbs\":"
	             "[\"list\"],\"apiGroups\":[\"\"],\"resources\":[\"secrets\"]}]}}");
	r = kcall(0, "GET", "/api/v1/namespaces/consul/secrets", NULL, NULL, NULL, true);
	ck_assert_int_eq(r.status, 200);
	call_free(&r);
	r = kcall(0, "GET", "/api/v1/namespaces/default/secrets", NULL, NULL, NULL, true);
	assert_forbidden(&r, "secrets is forbidden: User \"peerscope\" cannot list resource "
	                     "\"secrets\" in API group \"\" in the namespace \"default\"");
	r = kcall(0, "GET", "/api/v1/secrets", NULL, NULL, NULL, true);
	assert_forbidden(&r, "secrets is forbidden: User \"peerscope\" cannot list resource "
	                     "\"secrets\" in API group \"\" at the cluster scope");
	r = kcall(0, "GET",
	          "/api/v1/namespaces/consul/services/https:consul-server:8501/proxy/v1/"
	          "status/leader",
	          NULL, NULL, NULL, true);
	assert_forbidden(&r, "services \"https:consul-server:8501\" is forbidden: User "
	                     "\"peerscope\" cannot get resource \"services/proxy\" in API group "
	                     "\"\" in the namespace \"consul\"");
	/* Discovery is every authenticated user's (system:discovery). */
	r = kcall(0, "GET", "/apis", NULL, NULL, NULL, true);
	ck_assert_int_eq(r.status, 200);
	call_free(&r);
	call_token = "not-a-token";
	r = kcall(0, "GET", "/apis", NULL, NULL, NULL, true);
	ck_assert_int_eq(r.status, 401);
	call_free(&r);
	call_token = NULL;
}
END_TEST

#define SSAR "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews"
#define SSRR "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews"

/* An access review's status: "true", "false", or the status code. */
static char *review(int ci, const char *attrs, char *reason, size_t len)
{
	static char out[16];
	char body[512];

	snprintf(body, sizeof body,
	         "{\"apiVersion\":\"authorization.k8s.io/v1\",\"kind\":\"SelfSubjectAccessReview\","
	         "\"spec\":%s}",
	         attrs);
	struct call r = kcall(ci, "POST", SSAR, NULL, "application/json", body, true);
	const cJSON *st = simk_path(r.json, "status");
	snprintf(reason, len, "%s", simk_str(st, "reason") ? simk_str(st, "reason") : "");
	if (r.status == 201)
		snprintf(out, sizeof out, "%s",
		         cJSON_IsTrue(cJSON_GetObjectItem(st, "allowed")) ? "true" : "false");
	else
		snprintf(out, sizeof out, "%d", r.status);
	call_free(&r);
	return out;
}

START_TEST(rbac_reviews_answer_from_the_rules)
{
	char why[400];

	/* The admin (system:masters) is let through before RBAC: no reason. */
	ck_assert_str_eq(review(0,
	                        "{\"resourceAttributes\":{\"verb\":\"create\",\"resource\":"
	                        "\"secrets\",\"namespace\":\"consul\"}}",
	                        why, sizeof why),
	                 "true");
	ck_assert_str_eq(why, "");
	give_user(0, "{\"preset\":\"no-secret-create\"}");
	ck_assert_str_eq(review(0,
	                        "{\"resourceAttributes\":{\"verb\":\"create\",\"resource\":"
	                        "\"secrets\",\"namespace\":\"consul\"}}",
	                        why, sizeof why),
	                 "false");
	ck_assert_str_eq(review(0,
	                        "{\"resourceAttributes\":{\"verb\":\"update\",\"resource\":"
	                        "\"secrets\",\"namespace\":\"consul\"}}",
	                        why, sizeof why),
	                 "true");
	ck_assert_str_eq(why, "RBAC: allowed by ClusterRoleBinding \"peerscope-no-secret-create\" "
	                      "of ClusterRole \"no-secret-create\" to User \"peerscope\"");
	ck_assert_str_eq(review(0,
	                        "{\"resourceAttributes\":{\"verb\":\"get\",\"resource\":"
	                        "\"services\",\"subresource\":\"proxy\",\"namespace\":"
	                        "\"consul\"}}",
	                        why, sizeof why),
	                 "true");
	ck_assert_str_eq(review(0,
	                        "{\"resourceAttributes\":{\"verb\":\"create\",\"group\":"
	                        "\"consul.hashicorp.com\",\"resource\":\"peeringdialers\","
	                        "\"namespace\":\"consul\"}}",
	                        why, sizeof why),
	                 "true");
	ck_assert_str_eq(review(0,
	                        "{\"nonResourceAttributes\":{\"verb\":\"get\",\"path\":"
	                        "\"/version\"}}",
	                        why, sizeof why),
	                 "true");
	ck_assert_str_eq(review(0, "{}", why, sizeof why), "422");
	/* The rules review: the role's rules, then every user's. */
	struct call r = kcall(0, "POST", SSRR, NULL, "application/json",
	                      "{\"spec\":{\"namespace\":\"consul\"}}", true);
	ck_assert_int_eq(r.status, 201);
	const cJSON *rules = simk_path(r.json, "status.resourceRules");
	ck_assert_int_eq(cJSON_GetArraySize(rules), 4);
	const cJSON *secrets = cJSON_GetArrayItem(rules, 2);
	ck_assert_str_eq(
	        cJSON_GetArrayItem(cJSON_GetObjectItem(secrets, "resources"), 0)->valuestring,
	        "secrets");
	ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(secrets, "verbs")), 6);
	ck_assert_str_eq(cJSON_GetArrayItem(
	                         cJSON_GetObjectItem(cJSON_GetArrayItem(rules, 3), "apiGroups"), 0)
	                         ->valuestring,
	                 "authorization.k8s.io");
	ck_assert(cJSON_IsFalse(simk_path(r.json, "status.incomplete")));
	ck_assert_int_eq(cJSON_GetArraySize(simk_path(r.json, "status.nonResourceRules")), 1);
	call_free(&r);
	r = kcall(0, "POST", SSRR, NULL, "application/json", "{\"spec\":{}}", true);
	ck_assert_int_eq(r.status, 422);
	call_free(&r);
	r = kcall(0, "GET", "/apis/authorization.k8s.io/v1", NULL, NULL, NULL, true);
	ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(r.json, "resources")), 2);
	call_free(&r);
	call_token = NULL;
}
END_TEST

START_TEST(discovery_lists_the_crds)
{
	struct call r =
	        kcall(0, "GET", "/apis/consul.hashicorp.com/v1alpha1", NULL, NULL, NULL, true);
	const cJSON *it;
	int n = 0;

	ck_assert_int_eq(r.status, 200);
	cJSON_ArrayForEach(it, cJSON_GetObjectItem(r.json, "resources"))
	{
		if (!strchr(simk_str(it, "name"), '/'))
			n++;
	}
	/* PeeringAcceptor, PeeringDialer, Mesh, ExportedServices, ProxyDefaults,
	 * ServiceDefaults, ServiceIntentions. */
	ck_assert_int_eq(n, 7);
	call_free(&r);
	/* The built-in authorization.k8s.io and apps first, then the CRDs'
	 * group. */
	r = kcall(0, "GET", "/apis", NULL, NULL, NULL, true);
	ck_assert_str_eq(
	        simk_str(cJSON_GetArrayItem(cJSON_GetObjectItem(r.json, "groups"), 0), "name"),
	        "authorization.k8s.io");
	ck_assert_str_eq(
	        simk_str(cJSON_GetArrayItem(cJSON_GetObjectItem(r.json, "groups"), 1), "name"),
	        "apps");
	ck_assert_str_eq(
	        simk_str(cJSON_GetArrayItem(cJSON_GetObjectItem(r.json, "groups"), 2), "name"),
	        "consul.hashicorp.com");
	call_free(&r);
	r = kcall(0, "GET", "/api/v1/namespaces", NULL, NULL, NULL, true);
	ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(r.json, "items")), 3);
	call_free(&r);
}
END_TEST

/* One thread's share of concurrent_requests_route_alike: PATH asked N times
 * of cluster 0, counting the answers other than 200. */
struct route_job {
	const char *path;
	int n, wrong;
};

static void *route_many(void *arg)
{
	struct route_job *j = arg;
	struct sim_cluster *c = &world.clusters[0];
	char authz[128];
	struct sim_kv hdr = {.key = (char *)"Authorization", .value = authz};

	snprintf(authz, sizeof authz, "Bearer %s", c->kube_token);
	for (int i = 0; i < j->n; i++) {
		struct sim_req req = {.method = "GET",
		                      .path = j->path,
		                      .headers = &hdr,
		                      .nheaders = 1,
		                      .body = ""};
		struct sim_resp resp;

		memset(&resp, 0, sizeof resp);
		simk_handle(c, &req, &resp);
		if (resp.status != 200)
			j->wrong++;
		sim_resp_free(&resp);
	}
	return NULL;
}

/* The API server answers each connection on its own thread: one request's
 * path is never routed with another's segments. (The router split paths
 * with strtok, whose state is shared by all threads: under load a
 * SelfSubjectAccessReview got 404 "the server could not find the requested
 * resource".) The Secrets are listed where the Helm release is not: the
 * routing is what is tested, not printing the release 20,000 times. */
START_TEST(concurrent_requests_route_alike)
{
	struct route_job jobs[] = {
	        {.path = "/apis/authorization.k8s.io/v1", .n = 20000},
	        {.path = "/api/v1/namespaces/default/secrets", .n = 20000},
	        {.path = "/apis/consul.hashicorp.com/v1alpha1/namespaces/consul/peeringacceptors",
	         .n = 20000},
	        {.path = "/apis", .n = 20000},
	};
	pthread_t t[4];

	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, route_many, &jobs[i]), 0);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	for (int i = 0; i < 4; i++)
		ck_assert_msg(jobs[i].wrong == 0, "%s: %d of %d answers were not 200", jobs[i].path,
		              jobs[i].wrong, jobs[i].n);
}
END_TEST

START_TEST(create_get_conflict_and_patch)
{
	struct call r = kcall(0, "POST", ACCEPTORS, NULL, "application/json",
	                      ACCEPTOR_BODY("cluster-02", "peering-token"), true);
	char body[512], rv[24];

	ck_assert_int_eq(r.status, 201);
	ck_assert_ptr_nonnull(simk_str(r.json, "metadata.uid"));
	ck_assert_int_eq((int)simk_path(r.json, "metadata.generation")->valuedouble, 1);
	snprintf(rv, sizeof rv, "%s", simk_str(r.json, "metadata.resourceVersion"));
	call_free(&r);

	/* A second acceptor with the same Secret is refused by the webhook. */
	r = kcall(0, "POST", ACCEPTORS, NULL, "application/json",
	          ACCEPTOR_BODY("cluster-03", "peering-token"), true);
	ck_assert_int_eq(r.status, 400);
	ck_assert_str_eq(
	        simk_str(r.json, "message"),
	        "admission webhook \"consul-mutate-peeringacceptors.consul.hashicorp.com\" "
	        "denied the request: an existing PeeringAcceptor resource has the same "
	        "secret name `name: peering-token, namespace: default`");
	call_free(&r);

	/* A stale resourceVersion is a 409 Conflict. */
	snprintf(body, sizeof body,
	         "{\"metadata\":{\"name\":\"cluster-02\",\"resourceVersion\":\"1\"},\"spec\":{"
	         "\"peer\":"
	         "{\"secret\":{\"name\":\"peering-token\",\"key\":\"data\",\"backend\":"
	         "\"kubernetes\"}}}}");
	r = kcall(0, "PUT", ACCEPTORS "/cluster-02", NULL, "application/json", body, true);
	ck_assert_int_eq(r.status, 409);
	ck_assert_str_eq(simk_str(r.json, "reason"), "Conflict");
	call_free(&r);

	/* Merge patch of an annotation: new resourceVersion, same generation. */
	r = kcall(
	        0, "PATCH", ACCEPTORS "/cluster-02", NULL, "application/merge-patch+json",
	        "{\"metadata\":{\"annotations\":{\"consul.hashicorp.com/peering-version\":\"2\"}}}",
	        true);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_ne(simk_str(r.json, "metadata.resourceVersion"), rv);
	ck_assert_int_eq((int)simk_path(r.json, "metadata.generation")->valuedouble, 1);
	call_free(&r);

	/* JSON patch of the spec bumps the generation. */
	r = kcall(0, "PATCH", ACCEPTORS "/cluster-02", NULL, "application/json-patch+json",
	          "[{\"op\":\"replace\",\"path\":\"/spec/peer/secret/key\",\"value\":\"token\"}]",
	          true);
	ck_assert_int_eq(r.status, 200);
	ck_assert_int_eq((int)simk_path(r.json, "metadata.generation")->valuedouble, 2);
	call_free(&r);

	r = kcall(0, "PATCH", ACCEPTORS "/cluster-02", NULL,
	          "application/strategic-merge-patch+json", "{}", true);
	ck_assert_int_eq(r.status, 415);
	call_free(&r);

	r = kcall(0, "GET", ACCEPTORS "/nope", NULL, NULL, NULL, true);
	ck_assert_int_eq(r.status, 404);
	ck_assert_str_eq(simk_str(r.json, "message"),
	                 "peeringacceptors.consul.hashicorp.com \"nope\" not found");
	call_free(&r);
}
END_TEST

/* The webhooks' names and words: the chart names the peering ones
 * consul-mutate-<plural> and the config-entry ones mutate-<kind>
 * (consul-k8s charts/consul/templates/connect-inject-mutatingwebhookconfiguration.yaml);
 * "is invalid" names the resource's KubeKind, plural for the peering ones
 * (control-plane/api/v1alpha1/peeringacceptor_types.go Validate); a
 * missing string prints as "" (apimachinery field.Error); Mesh TLS
 * versions are checked (mesh_types.go MeshDirectionalTLSConfig.validate). */
START_TEST(webhook_and_schema_errors)
{
	struct call r = kcall(0, "POST", ACCEPTORS, NULL, "application/json",
	                      "{\"metadata\":{\"name\":\"x\"},\"spec\":{}}", true);

	ck_assert_int_eq(r.status, 400);
	ck_assert_str_eq(
	        simk_str(r.json, "message"),
	        "admission webhook \"consul-mutate-peeringacceptors.consul.hashicorp.com\" "
	        "denied the request: peeringacceptors.consul.hashicorp.com \"x\" is invalid: "
	        "spec.peer: Invalid value: \"null\": peer must be specified");
	call_free(&r);
	r = kcall(0, "POST", ACCEPTORS, NULL, "application/json",
	          "{\"metadata\":{\"name\":\"x\"},\"spec\":{\"peer\":{\"secret\":{\"name\":"
	          "\"s\"}}}}",
	          true);
	ck_assert_int_eq(r.status, 400);
	ck_assert_str_eq(
	        simk_str(r.json, "message"),
	        "admission webhook \"consul-mutate-peeringacceptors.consul.hashicorp.com\" "
	        "denied the request: peeringacceptors.consul.hashicorp.com \"x\" is "
	        "invalid: spec.peer.secret.backend: Invalid value: \"\": backend must be "
	        "\"kubernetes\"");
	call_free(&r);
	r = kcall(0, "POST", "/apis/consul.hashicorp.com/v1alpha1/namespaces/default/meshes", NULL,
	          "application/json",
	          "{\"metadata\":{\"name\":\"mesh\"},\"spec\":{\"tls\":{\"incoming\":{"
	          "\"tlsMinVersion\":\"TLSv9\"}}}}",
	          true);
	ck_assert_int_eq(r.status, 400);
	ck_assert_str_eq(simk_str(r.json, "message"),
	                 "admission webhook \"mutate-mesh.consul.hashicorp.com\" denied the "
	                 "request: mesh.consul.hashicorp.com \"mesh\" is invalid: "
	                 "spec.tls.incoming.tlsMinVersion: Invalid value: \"TLSv9\": must be one "
	                 "of \"TLS_AUTO\", \"TLSv1_0\", \"TLSv1_1\", \"TLSv1_2\", \"TLSv1_3\", "
	                 "\"\"");
	call_free(&r);
	r = kcall(0, "POST", ACCEPTORS, NULL, "application/json",
	          "{\"metadata\":{\"name\":\"x\"},\"spec\":{\"peer\":{\"secret\":{\"name\":7,"
	          "\"backend\":\"kubernetes\"}}}}",
	          true);
	ck_assert_int_eq(r.status, 422);
	ck_assert_str_eq(simk_str(r.json, "reason"), "Invalid");
	ck_assert_str_eq(
	        simk_str(cJSON_GetArrayItem(simk_path(r.json, "details.causes"), 0), "field"),
	        "spec.peer.secret.name");
	call_free(&r);
	r = kcall(0, "POST", "/apis/consul.hashicorp.com/v1alpha1/namespaces/default/meshes", NULL,
	          "application/json", "{\"metadata\":{\"name\":\"other\"},\"spec\":{}}", true);
	ck_assert_int_eq(r.status, 400);
	ck_assert(strstr(simk_str(r.json, "message"), "mesh resource name must be \"mesh\""));
	call_free(&r);
	r = kcall(0, "POST",
	          "/apis/consul.hashicorp.com/v1alpha1/namespaces/default/exportedservices", NULL,
	          "application/json",
	          "{\"metadata\":{\"name\":\"default\"},\"spec\":{\"services\":[{\"name\":"
	          "\"web\",\"consumers\":[{\"peer\":\"*\"}]}]}}",
	          true);
	ck_assert_int_eq(r.status, 400);
	ck_assert_str_eq(simk_str(r.json, "message"),
	                 "admission webhook \"mutate-exportedservices.consul.hashicorp.com\" "
	                 "denied the request: exportedservices.consul.hashicorp.com \"default\" is "
	                 "invalid: spec.services[0].consumers[0].peer: Invalid value: \"\": "
	                 "exporting to all peers (wildcard) is not supported");
	call_free(&r);
	r = kcall(0, "POST", "/apis/consul.hashicorp.com/v1alpha1/namespaces/default/proxydefaults",
	          NULL, "application/json",
	          "{\"metadata\":{\"name\":\"global\"},\"spec\":{\"meshGateway\":{\"mode\":"
	          "\"sideways\"}}}",
	          true);
	ck_assert_int_eq(r.status, 400);
	ck_assert_msg(strstr(simk_str(r.json, "message"),
	                     "spec.meshGateway.mode: Invalid value: \"sideways\": must be one of "
	                     "\"remote\", \"local\", \"none\", \"\""),
	              "%s", simk_str(r.json, "message"));
	call_free(&r);
	r = kcall(0, "POST", ACCEPTORS, NULL, "application/json", ACCEPTOR_BODY("Bad_Name", "t"),
	          true);
	ck_assert_int_eq(r.status, 422);
	call_free(&r);
	r = kcall(0, "POST", "/apis/consul.hashicorp.com/v1alpha1/namespaces/nowhere/meshes", NULL,
	          "application/json", "{\"metadata\":{\"name\":\"mesh\"},\"spec\":{}}", true);
	ck_assert_int_eq(r.status, 404);
	ck_assert_str_eq(simk_str(r.json, "message"), "namespaces \"nowhere\" not found");
	call_free(&r);
}
END_TEST

/* A connect-injector that is down fails every create and update of the
 * consul.hashicorp.com resources (failurePolicy: Fail); reads, Secrets and
 * the other cluster are not affected. */
START_TEST(injector_down_fails_every_cr_write)
{
	struct call r = kcall(0, "POST", ACCEPTORS, NULL, "application/json",
	                      ACCEPTOR_BODY("before", "t1"), true);

	ck_assert_int_eq(r.status, 201);
	call_free(&r);
	pthread_mutex_lock(&world.lock);
	simk_set_injector(&world.clusters[0], false);
	ck_assert(!simk_injector_up(&world.clusters[0]));
	pthread_mutex_unlock(&world.lock);
	r = kcall(0, "POST", ACCEPTORS, NULL, "application/json", ACCEPTOR_BODY("during", "t2"),
	          true);
	ck_assert_int_eq(r.status, 500);
	ck_assert_str_eq(simk_str(r.json, "reason"), "InternalError");
	ck_assert_str_eq(simk_str(r.json, "message"),
	                 "Internal error occurred: failed calling webhook "
	                 "\"consul-mutate-peeringacceptors.consul.hashicorp.com\": failed to call "
	                 "webhook: Post \"https://consul-connect-injector.consul.svc:443/"
	                 "mutate-v1alpha1-peeringacceptors?timeout=10s\": dial tcp "
	                 "10.96.0.12:443: connect: connection refused");
	ck_assert(strncmp(simk_str(cJSON_GetArrayItem(simk_path(r.json, "details.causes"), 0),
	                           "message"),
	                  "failed calling webhook", 22) == 0);
	call_free(&r);
	r = kcall(0, "PATCH", ACCEPTORS "/before", NULL, "application/merge-patch+json",
	          "{\"metadata\":{\"labels\":{\"a\":\"b\"}}}", true);
	ck_assert_int_eq(r.status, 500);
	call_free(&r);
	r = kcall(0, "POST", "/apis/consul.hashicorp.com/v1alpha1/namespaces/default/meshes", NULL,
	          "application/json", "{\"metadata\":{\"name\":\"mesh\"},\"spec\":{}}", true);
	ck_assert_int_eq(r.status, 500);
	ck_assert_msg(
	        strstr(simk_str(r.json, "message"),
	               "failed calling webhook \"mutate-mesh.consul.hashicorp.com\": failed to "
	               "call webhook: Post \"https://consul-connect-injector.consul.svc:443/"
	               "mutate-v1alpha1-mesh?timeout"),
	        "%s", simk_str(r.json, "message"));
	call_free(&r);
	r = kcall(0, "GET", ACCEPTORS "/before", NULL, NULL, NULL, true);
	ck_assert_int_eq(r.status, 200);
	ck_assert_ptr_null(simk_str(r.json, "metadata.labels.a"));
	call_free(&r);
	r = kcall(0, "POST", "/api/v1/namespaces/default/secrets", NULL, "application/json",
	          "{\"metadata\":{\"name\":\"s\"},\"data\":{\"k\":\"eA==\"}}", true);
	ck_assert_int_eq(r.status, 201);
	call_free(&r);
	r = kcall(1, "POST", ACCEPTORS, NULL, "application/json", ACCEPTOR_BODY("other", "t3"),
	          true);
	ck_assert_int_eq(r.status, 201);
	call_free(&r);
	pthread_mutex_lock(&world.lock);
	simk_set_injector(&world.clusters[0], true);
	pthread_mutex_unlock(&world.lock);
	r = kcall(0, "POST", ACCEPTORS, NULL, "application/json", ACCEPTOR_BODY("during", "t2"),
	          true);
	ck_assert_int_eq(r.status, 201);
	call_free(&r);
}
END_TEST

#define INJECTOR_DEPLOY "/apis/apps/v1/namespaces/consul/deployments/consul-connect-injector"

static const cJSON *condition(const cJSON *deploy, const char *type)
{
	const cJSON *it;

	cJSON_ArrayForEach(it, simk_path(deploy, "status.conditions"))
	{
		if (!strcmp(simk_str(it, "type"), type))
			return it;
	}
	return NULL;
}

/* The connect-injector Deployment's status follows the injector, as the
 * deployment controller writes it (kubernetes pkg/controller/deployment
 * sync.go calculateStatus, util/deployment_util.go: Available with
 * MinimumReplicasAvailable "Deployment has minimum availability." or
 * MinimumReplicasUnavailable "Deployment does not have minimum
 * availability."; a changed condition moves to the end of the list; counts
 * of 0 are omitted, apps/v1 DeploymentStatus's omitempty), and a watch of
 * the chart's label sees each change as MODIFIED. */
START_TEST(injector_deployment_status_follows_the_injector)
{
	struct call r = kcall(0, "GET", INJECTOR_DEPLOY, NULL, NULL, NULL, true);
	const cJSON *avail, *prog;
	char rv[24], query[200], since[32], hash[16], rs[80];

	ck_assert_int_eq(r.status, 200);
	ck_assert_int_eq(cJSON_GetNumberValue(simk_path(r.json, "status.observedGeneration")),
	                 cJSON_GetNumberValue(simk_path(r.json, "metadata.generation")));
	ck_assert_int_eq(cJSON_GetNumberValue(simk_path(r.json, "status.readyReplicas")), 1);
	ck_assert_int_eq(cJSON_GetNumberValue(simk_path(r.json, "status.availableReplicas")), 1);
	ck_assert_str_eq(simk_annotation(r.json, "deployment.kubernetes.io/revision"), "1");
	avail = cJSON_GetArrayItem(simk_path(r.json, "status.conditions"), 0);
	prog = cJSON_GetArrayItem(simk_path(r.json, "status.conditions"), 1);
	ck_assert_str_eq(simk_str(avail, "type"), "Available");
	ck_assert_str_eq(simk_str(avail, "status"), "True");
	ck_assert_str_eq(simk_str(avail, "reason"), "MinimumReplicasAvailable");
	ck_assert_str_eq(simk_str(avail, "message"), "Deployment has minimum availability.");
	ck_assert_str_eq(simk_str(prog, "reason"), "NewReplicaSetAvailable");
	simk_deploy_template_hash(r.json, hash, sizeof hash);
	ck_assert_msg(strspn(hash, "bcdfghjklmnpqrstvwxz2456789") == strlen(hash) &&
	                      strlen(hash) >= 8,
	              "%s", hash);
	snprintf(rs, sizeof rs,
	         "ReplicaSet \"consul-connect-injector-%s\" has successfully "
	         "progressed.",
	         hash);
	ck_assert_str_eq(simk_str(prog, "message"), rs);
	snprintf(since, sizeof since, "%s", simk_str(prog, "lastTransitionTime"));
	snprintf(rv, sizeof rv, "%s", simk_str(r.json, "metadata.resourceVersion"));
	call_free(&r);

	pthread_mutex_lock(&world.lock);
	simk_set_injector(&world.clusters[0], false);
	pthread_mutex_unlock(&world.lock);
	snprintf(query, sizeof query,
	         "watch=1&resourceVersion=%s&labelSelector=component=connect-injector", rv);
	r = kcall(0, "GET", "/apis/apps/v1/namespaces/consul/deployments", query, NULL, NULL, true);
	ck_assert_ptr_nonnull(r.body);
	ck_assert_msg(strncmp(r.body, "{\"type\":\"MODIFIED\"", 18) == 0, "%s", r.body);
	call_free(&r);
	r = kcall(0, "GET", INJECTOR_DEPLOY, NULL, NULL, NULL, true);
	ck_assert_ptr_null(simk_path(r.json, "status.readyReplicas"));
	ck_assert_ptr_null(simk_path(r.json, "status.availableReplicas"));
	ck_assert_int_eq(cJSON_GetNumberValue(simk_path(r.json, "status.replicas")), 1);
	ck_assert_int_eq(cJSON_GetNumberValue(simk_path(r.json, "status.updatedReplicas")), 1);
	ck_assert_int_eq(cJSON_GetNumberValue(simk_path(r.json, "status.unavailableReplicas")), 1);
	avail = cJSON_GetArrayItem(simk_path(r.json, "status.conditions"), 1);
	ck_assert_str_eq(simk_str(avail, "type"), "Available");
	ck_assert_str_eq(simk_str(avail, "status"), "False");
	ck_assert_str_eq(simk_str(avail, "reason"), "MinimumReplicasUnavailable");
	ck_assert_str_eq(simk_str(avail, "message"),
	                 "Deployment does not have minimum availability.");
	/* The rollout is done and stays so: Progressing does not move. */
	ck_assert_str_eq(simk_str(condition(r.json, "Progressing"), "lastTransitionTime"), since);
	ck_assert_str_eq(simk_str(condition(r.json, "Progressing"), "reason"),
	                 "NewReplicaSetAvailable");
	snprintf(rv, sizeof rv, "%s", simk_str(r.json, "metadata.resourceVersion"));
	call_free(&r);

	/* Down again changes nothing; up brings it back. */
	pthread_mutex_lock(&world.lock);
	simk_set_injector(&world.clusters[0], false);
	simk_injector_sync(&world.clusters[0]);
	pthread_mutex_unlock(&world.lock);
	r = kcall(0, "GET", INJECTOR_DEPLOY, NULL, NULL, NULL, true);
	ck_assert_str_eq(simk_str(r.json, "metadata.resourceVersion"), rv);
	call_free(&r);
	pthread_mutex_lock(&world.lock);
	simk_set_injector(&world.clusters[0], true);
	pthread_mutex_unlock(&world.lock);
	r = kcall(0, "GET", INJECTOR_DEPLOY, NULL, NULL, NULL, true);
	ck_assert_int_eq(cJSON_GetNumberValue(simk_path(r.json, "status.availableReplicas")), 1);
	ck_assert_ptr_null(simk_path(r.json, "status.unavailableReplicas"));
	ck_assert_str_eq(simk_str(condition(r.json, "Available"), "status"), "True");
	ck_assert_str_eq(simk_str(condition(r.json, "Available"), "reason"),
	                 "MinimumReplicasAvailable");
	call_free(&r);
	/* The other cluster's injector never moved. */
	r = kcall(1, "GET", INJECTOR_DEPLOY, NULL, NULL, NULL, true);
	ck_assert_str_eq(simk_str(condition(r.json, "Available"), "lastTransitionTime"),
	                 simk_str(condition(r.json, "Available"), "lastUpdateTime"));
	ck_assert_str_eq(simk_str(condition(r.json, "Available"), "status"), "True");
	call_free(&r);
}
END_TEST

/* Scaled to 0 a Deployment is Available (0 >= 0 - maxUnavailable) with no
 * counts at all; at 4 replicas, 25% may be missing (MaxUnavailable). */
START_TEST(deployment_status_follows_replicas)
{
	struct call r = kcall(0, "PATCH", INJECTOR_DEPLOY, NULL, "application/merge-patch+json",
	                      "{\"spec\":{\"replicas\":0}}", true);

	ck_assert_int_eq(r.status, 200);
	call_free(&r);
	pthread_mutex_lock(&world.lock);
	simk_injector_sync(&world.clusters[0]);
	pthread_mutex_unlock(&world.lock);
	r = kcall(0, "GET", INJECTOR_DEPLOY, NULL, NULL, NULL, true);
	ck_assert_int_eq(cJSON_GetNumberValue(simk_path(r.json, "metadata.generation")), 2);
	ck_assert_int_eq(cJSON_GetNumberValue(simk_path(r.json, "status.observedGeneration")), 2);
	ck_assert_ptr_null(simk_path(r.json, "status.replicas"));
	ck_assert_ptr_null(simk_path(r.json, "status.availableReplicas"));
	ck_assert_str_eq(simk_str(condition(r.json, "Available"), "status"), "True");
	call_free(&r);
	r = kcall(0, "PATCH", INJECTOR_DEPLOY, NULL, "application/merge-patch+json",
	          "{\"spec\":{\"replicas\":4}}", true);
	call_free(&r);
	pthread_mutex_lock(&world.lock);
	simk_set_injector(&world.clusters[0], false);
	pthread_mutex_unlock(&world.lock);
	r = kcall(0, "GET", INJECTOR_DEPLOY, NULL, NULL, NULL, true);
	ck_assert_int_eq(cJSON_GetNumberValue(simk_path(r.json, "status.replicas")), 4);
	ck_assert_int_eq(cJSON_GetNumberValue(simk_path(r.json, "status.unavailableReplicas")), 4);
	ck_assert_str_eq(simk_str(condition(r.json, "Available"), "status"), "False");
	call_free(&r);
}
END_TEST

START_TEST(secrets_selectors_and_strategic_merge)
{
	struct call r =
	        kcall(1, "POST", "/api/v1/namespaces/default/secrets", NULL, "application/json",
	              "{\"metadata\":{\"name\":\"peering-token\",\"labels\":{"
	              "\"consul.hashicorp.com/peering-token\":\"true\"}},"
	              "\"stringData\":{\"data\":\"abc\"}}",
	              true);

	ck_assert_int_eq(r.status, 201);
	ck_assert_str_eq(simk_str(r.json, "data.data"), "YWJj");
	ck_assert_str_eq(simk_str(r.json, "type"), "Opaque");
	call_free(&r);
	r = kcall(1, "GET", "/api/v1/secrets",
	          "labelSelector=consul.hashicorp.com/peering-token=true", NULL, NULL, true);
	ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(r.json, "items")), 1);
	call_free(&r);
	r = kcall(1, "GET", "/api/v1/namespaces/default/secrets", "fieldSelector=metadata.name=x",
	          NULL, NULL, true);
	ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(r.json, "items")), 0);
	call_free(&r);
	r = kcall(1, "PATCH", "/api/v1/namespaces/default/secrets/peering-token", NULL,
	          "application/strategic-merge-patch+json", "{\"data\":{\"more\":\"eA==\"}}", true);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(simk_str(r.json, "data.more"), "eA==");
	call_free(&r);
	r = kcall(1, "POST", "/api/v1/namespaces/default/secrets", NULL, "application/json",
	          "{\"metadata\":{\"name\":\"bad\"},\"data\":{\"k\":\"not base64!\"}}", true);
	ck_assert_int_eq(r.status, 400);
	call_free(&r);
}
END_TEST

START_TEST(finalizers_hold_deletion_and_watch_sees_it)
{
	struct call r = kcall(0, "POST", ACCEPTORS, NULL, "application/json",
	                      "{\"metadata\":{\"name\":\"p\",\"finalizers\":[\"x/y\"]},\"spec\":"
	                      "{\"peer\":{\"secret\":{\"name\":\"s\",\"key\":\"k\",\"backend\":"
	                      "\"kubernetes\"}}}}",
	                      true);
	char rv[24], query[128];

	ck_assert_int_eq(r.status, 201);
	snprintf(rv, sizeof rv, "%s", simk_str(r.json, "metadata.resourceVersion"));
	call_free(&r);
	r = kcall(0, "DELETE", ACCEPTORS "/p", NULL, NULL, NULL, true);
	ck_assert_int_eq(r.status, 200);
	ck_assert_ptr_nonnull(simk_str(r.json, "metadata.deletionTimestamp"));
	call_free(&r);
	snprintf(query, sizeof query, "watch=1&resourceVersion=%s&timeoutSeconds=1", rv);
	r = kcall(0, "GET", ACCEPTORS, query, NULL, NULL, true);
	ck_assert_ptr_nonnull(r.body);
	ck_assert_msg(strncmp(r.body, "{\"type\":\"MODIFIED\"", 18) == 0, "%s", r.body);
	call_free(&r);
	/* Removing the last finalizer of a deleted object deletes it. */
	r = kcall(0, "PATCH", ACCEPTORS "/p", NULL, "application/merge-patch+json",
	          "{\"metadata\":{\"finalizers\":null}}", true);
	ck_assert_int_eq(r.status, 200);
	call_free(&r);
	r = kcall(0, "GET", ACCEPTORS "/p", NULL, NULL, NULL, true);
	ck_assert_int_eq(r.status, 404);
	call_free(&r);
}
END_TEST

START_TEST(watch_from_a_forgotten_version_gets_410)
{
	struct call r;
	char body[256];

	/* Overflow the event ring with Secret updates. */
	r = kcall(0, "POST", "/api/v1/namespaces/default/secrets", NULL, "application/json",
	          "{\"metadata\":{\"name\":\"churn\"},\"stringData\":{\"n\":\"0\"}}", true);
	call_free(&r);
	for (int i = 1; i <= SIMK_EVENT_RING + 1; i++) {
		snprintf(body, sizeof body, "{\"stringData\":{\"n\":\"%d\"}}", i);
		r = kcall(0, "PATCH", "/api/v1/namespaces/default/secrets/churn", NULL,
		          "application/merge-patch+json", body, true);
		call_free(&r);
	}
	r = kcall(0, "GET", "/api/v1/namespaces/default/secrets", "watch=true&resourceVersion=2",
	          NULL, NULL, true);
	ck_assert_ptr_nonnull(r.body);
	ck_assert_msg(strstr(r.body, "\"type\":\"ERROR\"") && strstr(r.body, "\"code\":410") &&
	                      strstr(r.body, "\"reason\":\"Expired\""),
	              "%s", r.body);
	call_free(&r);
}
END_TEST

/* Lists in pages: limit and continue, the first page's resourceVersion on
 * every page, remainingItemCount without selectors; a bad token is a 400
 * and a token older than the changes kept is 410 Expired. */
START_TEST(lists_come_in_pages)
{
	const char *secrets = "/api/v1/namespaces/default/secrets";
	char body[256], query[600], first_rv[32], token[512];
	struct call r;

	for (int i = 1; i <= 5; i++) {
		snprintf(body, sizeof body,
		         "{\"metadata\":{\"name\":\"p%d\",\"labels\":{\"page\":\"yes\"}},"
		         "\"stringData\":{\"n\":\"%d\"}}",
		         i, i);
		r = kcall(0, "POST", secrets, NULL, "application/json", body, true);
		ck_assert_int_eq(r.status, 201);
		call_free(&r);
	}
	r = kcall(0, "GET", secrets, "limit=2", NULL, NULL, true);
	ck_assert_int_eq(r.status, 200);
	ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(r.json, "items")), 2);
	ck_assert_str_eq(simk_str(cJSON_GetArrayItem(cJSON_GetObjectItem(r.json, "items"), 1),
	                          "metadata.name"),
	                 "p2");
	ck_assert_int_eq(simk_path(r.json, "metadata.remainingItemCount")->valueint, 3);
	snprintf(first_rv, sizeof first_rv, "%s", simk_str(r.json, "metadata.resourceVersion"));
	snprintf(token, sizeof token, "%s", simk_str(r.json, "metadata.continue"));
	call_free(&r);
	/* A change between pages does not move the list's resourceVersion. */
	r = kcall(0, "POST", secrets, NULL, "application/json",
	          "{\"metadata\":{\"name\":\"p0\"},\"stringData\":{\"n\":\"0\"}}", true);
	call_free(&r);
	snprintf(query, sizeof query, "limit=2&continue=%s", token);
	r = kcall(0, "GET", secrets, query, NULL, NULL, true);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(simk_str(r.json, "metadata.resourceVersion"), first_rv);
	ck_assert_str_eq(simk_str(cJSON_GetArrayItem(cJSON_GetObjectItem(r.json, "items"), 0),
	                          "metadata.name"),
	                 "p3");
	snprintf(query, sizeof query, "limit=2&continue=%s", simk_str(r.json, "metadata.continue"));
	call_free(&r);
	r = kcall(0, "GET", secrets, query, NULL, NULL, true);
	ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(r.json, "items")), 1);
	ck_assert_ptr_null(simk_path(r.json, "metadata.continue"));
	call_free(&r);
	r = kcall(0, "GET", secrets, "limit=1&labelSelector=page=yes", NULL, NULL, true);
	ck_assert_ptr_nonnull(simk_str(r.json, "metadata.continue"));
	ck_assert_ptr_null(simk_path(r.json, "metadata.remainingItemCount"));
	call_free(&r);
	r = kcall(0, "GET", secrets, "limit=2&continue=not-a-token", NULL, NULL, true);
	ck_assert_int_eq(r.status, 400);
	ck_assert_str_eq(simk_str(r.json, "reason"), "BadRequest");
	call_free(&r);
	r = kcall(0, "GET", secrets, "limit=-1", NULL, NULL, true);
	ck_assert_int_eq(r.status, 400);
	call_free(&r);
	for (int i = 1; i <= SIMK_EVENT_RING + 1; i++) {
		snprintf(body, sizeof body, "{\"stringData\":{\"n\":\"%d\"}}", i);
		r = kcall(0, "PATCH", "/api/v1/namespaces/default/secrets/p0", NULL,
		          "application/merge-patch+json", body, true);
		call_free(&r);
	}
	snprintf(query, sizeof query, "limit=2&continue=%s", token);
	r = kcall(0, "GET", secrets, query, NULL, NULL, true);
	ck_assert_int_eq(r.status, 410);
	ck_assert_str_eq(simk_str(r.json, "reason"), "Expired");
	call_free(&r);
}
END_TEST

START_TEST(helm_release_secret_carries_the_values)
{
	struct call r = kcall(0, "GET", "/api/v1/namespaces/consul/secrets",
	                      "labelSelector=owner=helm,name=consul", NULL, NULL, true);
	const cJSON *item = cJSON_GetArrayItem(cJSON_GetObjectItem(r.json, "items"), 0);

	ck_assert_ptr_nonnull(item);
	ck_assert_str_eq(simk_str(item, "type"), "helm.sh/release.v1");
	ck_assert_str_eq(simk_str(item, "metadata.name"), "sh.helm.release.v1.consul.v1");
	ck_assert_str_eq(simk_label(item, "status"), "deployed");
	ck_assert_ptr_nonnull(simk_str(item, "data.release"));
	call_free(&r);

	/* A changed install is a Helm upgrade: revision 2, revision 1 superseded. */
	pthread_mutex_lock(&world.lock);
	world.clusters[0].install.peering_enabled = !world.clusters[0].install.peering_enabled;
	pthread_mutex_unlock(&world.lock);
	r = kcall(0, "GET", "/api/v1/namespaces/consul/secrets", "labelSelector=owner=helm", NULL,
	          NULL, true);
	ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(r.json, "items")), 2);
	item = cJSON_GetArrayItem(cJSON_GetObjectItem(r.json, "items"), 0);
	ck_assert_str_eq(simk_label(item, "status"), "superseded");
	item = cJSON_GetArrayItem(cJSON_GetObjectItem(r.json, "items"), 1);
	ck_assert_str_eq(simk_str(item, "metadata.name"), "sh.helm.release.v1.consul.v2");
	ck_assert_str_eq(simk_label(item, "status"), "deployed");
	call_free(&r);
	/* The chart's consul-server Service follows the TLS setting. */
	pthread_mutex_lock(&world.lock);
	world.clusters[0].install.tls_enabled = false;
	pthread_mutex_unlock(&world.lock);
	r = kcall(0, "GET", "/api/v1/namespaces/consul/services", "labelSelector=component=server",
	          NULL, NULL, true);
	item = cJSON_GetArrayItem(cJSON_GetObjectItem(r.json, "items"), 0);
	ck_assert_str_eq(simk_str(item, "metadata.name"), "consul-server");
	ck_assert_str_eq(simk_str(cJSON_GetArrayItem(simk_path(item, "spec.ports"), 0), "name"),
	                 "http");
	call_free(&r);
	/* Unchanged values write nothing new. */
	r = kcall(0, "GET", "/api/v1/namespaces/consul/secrets", "labelSelector=owner=helm", NULL,
	          NULL, true);
	ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(r.json, "items")), 3);
	call_free(&r);
}
END_TEST

/* Protobuf builder: appends a length-delimited field. */
static size_t pb_field(unsigned char *buf, size_t at, unsigned num, const void *data, size_t len)
{
	buf[at++] = (unsigned char)(num << 3 | 2);
	buf[at++] = (unsigned char)len; /* lengths below 128 in these tests */
	memcpy(buf + at, data, len);
	return at + len;
}

START_TEST(protobuf_secrets_are_decoded)
{
	unsigned char meta[64], entry[32], label[64], secret[256], tm[32], body[512];
	size_t m = 0, e = 0, l = 0, s = 0, t = 0, b = 4;
	char *printed;
	struct call r;

	m = pb_field(meta, m, 1, "tok", 3);
	l = pb_field(label, l, 1, SIMK_TOKEN_LABEL, strlen(SIMK_TOKEN_LABEL));
	l = pb_field(label, l, 2, "true", 4);
	m = pb_field(meta, m, 11, label, l);
	e = pb_field(entry, e, 1, "data", 4);
	e = pb_field(entry, e, 2, "\x01\x02x", 3);
	s = pb_field(secret, s, 1, meta, m);
	s = pb_field(secret, s, 2, entry, e);
	s = pb_field(secret, s, 3, "", 0);
	t = pb_field(tm, t, 1, "v1", 2);
	t = pb_field(tm, t, 2, "Secret", 6);
	memcpy(body, "k8s\0", 4);
	b = pb_field(body, b, 1, tm, t);
	b = pb_field(body, b, 2, secret, s);

	struct sim_cluster *c = &world.clusters[0];
	struct sim_kv headers[2] = {
	        {(char *)"Authorization", NULL},
	        {(char *)"Content-Type", (char *)"application/vnd.kubernetes.protobuf"}};
	char authz[128];
	struct sim_req req = {.method = "POST",
	                      .path = "/api/v1/namespaces/default/secrets",
	                      .headers = headers,
	                      .nheaders = 2,
	                      .body = (const char *)body,
	                      .body_len = b};
	struct sim_resp resp;

	snprintf(authz, sizeof authz, "Bearer %s", call_token ? call_token : c->kube_token);
	headers[0].value = authz;
	memset(&resp, 0, sizeof resp);
	simk_handle(c, &req, &resp);
	ck_assert_int_eq(resp.status, 201);
	sim_resp_free(&resp);
	r = kcall(0, "GET", "/api/v1/namespaces/default/secrets/tok", NULL, NULL, NULL, true);
	ck_assert_str_eq(simk_str(r.json, "data.data"), "AQJ4");
	ck_assert_str_eq(simk_str(r.json, "type"), "Opaque");
	ck_assert_str_eq(simk_label(r.json, SIMK_TOKEN_LABEL), "true");
	printed = cJSON_PrintUnformatted(simk_path(r.json, "metadata"));
	ck_assert_msg(!strstr(printed, "generateName"), "%s", printed);
	free(printed);
	call_free(&r);

	/* A truncated body is a 415 naming the problem. */
	req.body_len = b - 3;
	memset(&resp, 0, sizeof resp);
	simk_handle(c, &req, &resp);
	ck_assert_int_eq(resp.status, 415);
	sim_resp_free(&resp);
}
END_TEST

START_TEST(status_subresource_and_apply)
{
	struct call r = kcall(0, "POST", ACCEPTORS, NULL, "application/json",
	                      ACCEPTOR_BODY("cluster-02", "peering-token"), true);
	char body[512];

	ck_assert_int_eq(r.status, 201);
	call_free(&r);
	/* The main resource ignores status; the subresource takes only status. */
	r = kcall(0, "PATCH", ACCEPTORS "/cluster-02", NULL, "application/merge-patch+json",
	          "{\"status\":{\"lastSyncedTime\":\"2026-01-01T00:00:00Z\"}}", true);
	ck_assert_int_eq(r.status, 200);
	ck_assert_ptr_null(simk_path(r.json, "status"));
	call_free(&r);
	r = kcall(0, "PATCH", ACCEPTORS "/cluster-02/status", NULL, "application/merge-patch+json",
	          "{\"spec\":{\"peer\":null},\"status\":{\"lastSyncedTime\":\"2026-01-01T00:00:"
	          "00Z\"}}",
	          true);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(simk_str(r.json, "status.lastSyncedTime"), "2026-01-01T00:00:00Z");
	ck_assert_ptr_nonnull(simk_path(r.json, "spec.peer"));
	call_free(&r);
	/* Server-side apply creates and merges; it needs a field manager. */
	snprintf(body, sizeof body,
	         "apiVersion: consul.hashicorp.com/v1alpha1\nkind: PeeringAcceptor\nmetadata:\n"
	         "  name: cluster-05\nspec:\n  peer:\n    secret:\n      name: t5\n"
	         "      backend: kubernetes\n");
	r = kcall(0, "PATCH", ACCEPTORS "/cluster-05", NULL, "application/apply-patch+yaml", body,
	          true);
	ck_assert_int_eq(r.status, 400);
	call_free(&r);
	r = kcall(0, "PATCH", ACCEPTORS "/cluster-05", "fieldManager=test",
	          "application/apply-patch+yaml", body, true);
	ck_assert_int_eq(r.status, 201);
	ck_assert_str_eq(simk_str(r.json, "spec.peer.secret.name"), "t5");
	call_free(&r);
	r = kcall(0, "PATCH", ACCEPTORS "/cluster-05", "fieldManager=test",
	          "application/apply-patch+yaml", "metadata:\n  labels:\n    team: a\n", true);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(simk_label(r.json, "team"), "a");
	ck_assert_str_eq(simk_str(r.json, "spec.peer.secret.name"), "t5");
	call_free(&r);
	/* PUT of a custom resource needs a resourceVersion. */
	r = kcall(0, "PUT", ACCEPTORS "/cluster-05", NULL, "application/json",
	          ACCEPTOR_BODY("cluster-05", "t5"), true);
	ck_assert_int_eq(r.status, 422);
	ck_assert_msg(strstr(simk_str(r.json, "message"), "must be specified for an update"), "%s",
	              simk_str(r.json, "message"));
	call_free(&r);
}
END_TEST

START_TEST(watch_filters_by_label_and_sends_bookmarks)
{
	struct call r =
	        kcall(0, "GET", "/api/v1/namespaces/default/secrets", NULL, NULL, NULL, true);
	char query[200], rv[24];

	snprintf(rv, sizeof rv, "%s", simk_str(r.json, "metadata.resourceVersion"));
	call_free(&r);
	r = kcall(0, "POST", "/api/v1/namespaces/default/secrets", NULL, "application/json",
	          "{\"metadata\":{\"name\":\"plain\"}}", true);
	call_free(&r);
	r = kcall(0, "POST", "/api/v1/namespaces/default/secrets", NULL, "application/json",
	          "{\"metadata\":{\"name\":\"tok\",\"labels\":{\"a\":\"b\"}}}", true);
	call_free(&r);
	snprintf(query, sizeof query, "watch=1&resourceVersion=%s&labelSelector=a=b", rv);
	r = kcall(0, "GET", "/api/v1/namespaces/default/secrets", query, NULL, NULL, true);
	ck_assert_ptr_nonnull(r.body);
	ck_assert_msg(strstr(r.body, "\"name\":\"tok\"") && !strstr(r.body, "\"name\":\"plain\""),
	              "%s", r.body);
	call_free(&r);
	/* Losing the label takes the object out of the selection: DELETED. */
	r = kcall(0, "GET", "/api/v1/namespaces/default/secrets", NULL, NULL, NULL, true);
	snprintf(rv, sizeof rv, "%s", simk_str(r.json, "metadata.resourceVersion"));
	call_free(&r);
	r = kcall(0, "PATCH", "/api/v1/namespaces/default/secrets/tok", NULL,
	          "application/merge-patch+json", "{\"metadata\":{\"labels\":{\"a\":null}}}", true);
	call_free(&r);
	r = kcall(0, "PATCH", "/api/v1/namespaces/default/secrets/plain", NULL,
	          "application/merge-patch+json", "{\"metadata\":{\"labels\":{\"a\":\"b\"}}}",
	          true);
	call_free(&r);
	snprintf(query, sizeof query, "watch=1&resourceVersion=%s&labelSelector=a=b", rv);
	r = kcall(0, "GET", "/api/v1/namespaces/default/secrets", query, NULL, NULL, true);
	ck_assert_ptr_nonnull(r.body);
	ck_assert_msg(strstr(r.body,
	                     "{\"type\":\"DELETED\",\"object\":{\"kind\":\"Secret\",\"apiVersion\":"
	                     "\"v1\",\"metadata\":{\"name\":\"tok\"") &&
	                      strstr(r.body, "{\"type\":\"ADDED\"") && !strstr(r.body, "MODIFIED"),
	              "%s", r.body);
	call_free(&r);
	/* Nothing new: a bookmark with the current resourceVersion. */
	r = kcall(0, "GET", "/api/v1/namespaces/default/secrets", NULL, NULL, NULL, true);
	snprintf(rv, sizeof rv, "%s", simk_str(r.json, "metadata.resourceVersion"));
	call_free(&r);
	snprintf(query, sizeof query,
	         "watch=1&resourceVersion=%s&allowWatchBookmarks=true&timeoutSeconds=5", rv);
	r = kcall(0, "GET", "/api/v1/namespaces/default/secrets", query, NULL, NULL, true);
	ck_assert_ptr_nonnull(r.body);
	ck_assert_msg(strstr(r.body, "\"type\":\"BOOKMARK\"") && strstr(r.body, rv), "%s", r.body);
	call_free(&r);
}
END_TEST

/* The API server's watch cache sends a bookmark about every minute, one 2 s
 * before timeoutSeconds ends, then one a second: kubernetes
 * staging/src/k8s.io/apiserver/pkg/storage/cacher/cacher.go
 * (defaultBookmarkFrequency = time.Minute) and cache_watcher.go
 * (nextBookmarkTime). At --speed 20 the minute is 3 s: a 6 s watch with
 * nothing changing gets its bookmarks at 3 s (the minute), 4 s (2 s before
 * the end) and 5 s. */
START_TEST(watch_bookmarks_every_minute_and_before_the_end)
{
	char k_watch[] = "watch", k_bm[] = "allowWatchBookmarks", k_tmo[] = "timeoutSeconds",
	     k_rv[] = "resourceVersion", v_one[] = "1", v_true[] = "true", v_six[] = "6";
	char authz[128], rv[24], h_auth[] = "Authorization";
	struct sim_kv args[] = {{k_watch, v_one}, {k_bm, v_true}, {k_tmo, v_six}, {k_rv, rv}};
	struct sim_kv headers[1] = {{h_auth, authz}};
	struct call r =
	        kcall(0, "GET", "/api/v1/namespaces/default/secrets", NULL, NULL, NULL, true);

	snprintf(rv, sizeof rv, "%s", simk_str(r.json, "metadata.resourceVersion"));
	call_free(&r);
	snprintf(authz, sizeof authz, "Bearer %s", world.clusters[0].kube_token);
	struct sim_req req = {.method = "GET",
	                      .path = "/api/v1/namespaces/default/secrets",
	                      .args = args,
	                      .nargs = 4,
	                      .headers = headers,
	                      .nheaders = 1,
	                      .body = ""};
	struct sim_resp resp;
	int64_t at[8] = {0};
	int n = 0;
	char *chunk;
	size_t len;

	memset(&resp, 0, sizeof resp);
	int64_t t0 = sim_mono_ms();
	simk_handle(&world.clusters[0], &req, &resp);
	ck_assert_int_eq(resp.status, 200);
	ck_assert_ptr_nonnull(resp.stream.next);
	while (resp.stream.next(resp.stream.ctx, &chunk, &len)) {
		ck_assert_msg(strstr(chunk, "\"type\":\"BOOKMARK\"") && strstr(chunk, rv), "%.*s",
		              (int)len, chunk);
		free(chunk);
		if (n < 8)
			at[n] = sim_mono_ms() - t0;
		n++;
	}
	resp.stream.done(resp.stream.ctx);
	resp.stream.next = NULL;
	sim_resp_free(&resp);
	/* Every 10 s of the world (0.5 s here) sent eleven, the first at
	 * 0.5 s. A slow machine may see the watch end before the last. */
	ck_assert_msg(n >= 2 && n <= 3, "%d bookmarks", n);
	ck_assert_msg(at[0] >= 2900 && at[1] >= 3900 && (n < 3 || at[2] >= 4900),
	              "bookmarks at %lld, %lld, %lld ms", (long long)at[0], (long long)at[1],
	              (long long)at[2]);
}
END_TEST

START_TEST(namespace_deletion_cascades)
{
	struct call r = kcall(0, "POST", "/api/v1/namespaces", NULL, "application/json",
	                      "{\"metadata\":{\"name\":\"tmp\"}}", true);

	ck_assert_int_eq(r.status, 201);
	call_free(&r);
	r = kcall(0, "POST", "/api/v1/namespaces/tmp/secrets", NULL, "application/json",
	          "{\"metadata\":{\"name\":\"s\"}}", true);
	ck_assert_int_eq(r.status, 201);
	call_free(&r);
	r = kcall(0, "POST", "/apis/consul.hashicorp.com/v1alpha1/namespaces/tmp/peeringacceptors",
	          NULL, "application/json",
	          "{\"metadata\":{\"name\":\"p\",\"finalizers\":[\"x/y\"]},\"spec\":{\"peer\":"
	          "{\"secret\":{\"name\":\"s\",\"backend\":\"kubernetes\"}}}}",
	          true);
	ck_assert_int_eq(r.status, 201);
	call_free(&r);
	r = kcall(0, "DELETE", "/api/v1/namespaces/tmp", NULL, NULL, NULL, true);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(simk_str(r.json, "status.phase"), "Terminating");
	call_free(&r);
	r = kcall(0, "GET", "/api/v1/namespaces/tmp/secrets/s", NULL, NULL, NULL, true);
	ck_assert_int_eq(r.status, 404);
	call_free(&r);
	r = kcall(0, "POST", "/api/v1/namespaces/tmp/secrets", NULL, "application/json",
	          "{\"metadata\":{\"name\":\"late\"}}", true);
	ck_assert_int_eq(r.status, 403);
	ck_assert_str_eq(simk_str(r.json, "message"),
	                 "secrets \"late\" is forbidden: unable to create new content in namespace "
	                 "tmp because it is being terminated");
	call_free(&r);
	/* The finalizer holds the namespace; releasing it lets both go. */
	r = kcall(0, "PATCH",
	          "/apis/consul.hashicorp.com/v1alpha1/namespaces/tmp/peeringacceptors/p", NULL,
	          "application/merge-patch+json", "{\"metadata\":{\"finalizers\":null}}", true);
	ck_assert_int_eq(r.status, 200);
	call_free(&r);
	r = kcall(0, "GET", "/api/v1/namespaces/tmp", NULL, NULL, NULL, true);
	ck_assert_int_eq(r.status, 404);
	call_free(&r);
}
END_TEST

/* Waits up to ~10 s for PATH on cluster CI to exist. */
static cJSON *await(int ci, const char *path, const char *want_path, const char *want)
{
	for (int i = 0; i < 200; i++) {
		struct call r = kcall(ci, "GET", path, NULL, NULL, NULL, true);
		const char *v = r.status == 200 ? simk_str(r.json, want_path) : NULL;

		if (v && (!want || strcmp(v, want) == 0)) {
			free(r.body);
			return r.json;
		}
		call_free(&r);
		struct timespec ts = {0, 50 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	return NULL;
}

START_TEST(controllers_peer_two_clusters)
{
	struct call r;
	cJSON *secret, *acc, *dialer;
	char body[4096];

	ck_assert_int_eq(simk_controllers_start(&world), 0);
	r = kcall(0, "POST", ACCEPTORS, NULL, "application/json",
	          ACCEPTOR_BODY("cluster-02", "peering-token"), true);
	ck_assert_int_eq(r.status, 201);
	call_free(&r);
	secret = await(0, "/api/v1/namespaces/default/secrets/peering-token", "data.data", NULL);
	ck_assert_ptr_nonnull(secret);
	ck_assert_str_eq(simk_label(secret, SIMK_TOKEN_LABEL), "true");
	acc = await(0, ACCEPTORS "/cluster-02", "status.secret.name", "peering-token");
	ck_assert_ptr_nonnull(acc);
	ck_assert_str_eq(
	        simk_str(cJSON_GetArrayItem(simk_path(acc, "status.conditions"), 0), "status"),
	        "True");
	ck_assert_str_eq(simk_str(cJSON_GetArrayItem(simk_path(acc, "metadata.finalizers"), 0), ""),
	                 SIMK_FINALIZER);
	cJSON_Delete(acc);

	/* Copy the Secret to cluster-02 and dial. */
	snprintf(body, sizeof body,
	         "{\"metadata\":{\"name\":\"peering-token\",\"labels\":{\"%s\":\"true\"}},"
	         "\"data\":{\"data\":\"%s\"}}",
	         SIMK_TOKEN_LABEL, simk_str(secret, "data.data"));
	cJSON_Delete(secret);
	r = kcall(1, "POST", "/api/v1/namespaces/default/secrets", NULL, "application/json", body,
	          true);
	ck_assert_int_eq(r.status, 201);
	call_free(&r);
	r = kcall(
	        1, "POST", "/apis/consul.hashicorp.com/v1alpha1/namespaces/default/peeringdialers",
	        NULL, "application/json",
	        "{\"metadata\":{\"name\":\"cluster-01\"},\"spec\":{\"peer\":{\"secret\":{\"name\":"
	        "\"peering-token\",\"key\":\"data\",\"backend\":\"kubernetes\"}}}}",
	        true);
	ck_assert_int_eq(r.status, 201);
	call_free(&r);
	dialer = await(1,
	               "/apis/consul.hashicorp.com/v1alpha1/namespaces/default/peeringdialers/"
	               "cluster-01",
	               "status.secret.resourceVersion", NULL);
	ck_assert_ptr_nonnull(dialer);
	cJSON_Delete(dialer);

	/* A dialer without its Secret says so. */
	r = kcall(
	        1, "POST", "/apis/consul.hashicorp.com/v1alpha1/namespaces/default/peeringdialers",
	        NULL, "application/json",
	        "{\"metadata\":{\"name\":\"cluster-09\"},\"spec\":{\"peer\":{\"secret\":{\"name\":"
	        "\"missing\",\"key\":\"data\",\"backend\":\"kubernetes\"}}}}",
	        true);
	call_free(&r);
	for (int i = 0; i < 200; i++) {
		const cJSON *cond;

		r = kcall(1, "GET",
		          "/apis/consul.hashicorp.com/v1alpha1/namespaces/default/peeringdialers/"
		          "cluster-09",
		          NULL, NULL, NULL, true);
		cond = cJSON_GetArrayItem(simk_path(r.json, "status.conditions"), 0);
		if (cond) {
			ck_assert_str_eq(simk_str(cond, "status"), "False");
			ck_assert_str_eq(simk_str(cond, "reason"), "internalError");
			ck_assert_str_eq(simk_str(cond, "message"),
			                 "PeeringDialer spec.peer.secret does not exist");
			call_free(&r);
			return;
		}
		call_free(&r);
		struct timespec ts = {0, 50 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	ck_abort_msg("the dialer without a Secret got no condition");
}
END_TEST

/* The Synced condition's status of the object at PATH on cluster CI once it
 * is not Unknown (up to ~10 s); "" if it never gets one. */
static void synced_status(int ci, const char *path, char *out, size_t len)
{
	snprintf(out, len, "%s", "");
	for (int i = 0; i < 200; i++) {
		struct call r = kcall(ci, "GET", path, NULL, NULL, NULL, true);
		const char *st = simk_str(
		        cJSON_GetArrayItem(simk_path(r.json, "status.conditions"), 0), "status");

		if (st && strcmp(st, "Unknown") != 0) {
			snprintf(out, len, "%s", st);
			call_free(&r);
			return;
		}
		call_free(&r);
		struct timespec ts = {0, 50 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
}

/* consul-k8s control-plane/config-entries/controllers/configentry_controller.go
 * ReconcileEntry: an entry written outside Kubernetes that matches the CR
 * falls through the switch to syncSuccessful, with no write; one that does
 * not is ExternallyManagedConfigError. */
START_TEST(controllers_leave_a_foreign_entry_unwritten)
{
	char *out = NULL, st[16];
	char before[64];
	struct call r;

	ck_assert_int_eq(simk_controllers_start(&world), 0);
	/* Written straight into Consul, as the CR would write it. */
	ck_assert_int_eq(simc_call(&world.clusters[0], "PUT", "/v1/config",
	                           simc_controller_token(&world.clusters[0]),
	                           "{\"Kind\":\"proxy-defaults\",\"Name\":\"global\","
	                           "\"MeshGateway\":{\"Mode\":\"local\"}}",
	                           &out),
	                 200);
	free(out);
	ck_assert_int_eq(simc_call(&world.clusters[0], "GET", "/v1/config/proxy-defaults/global",
	                           simc_controller_token(&world.clusters[0]), NULL, &out),
	                 200);
	ck_assert_ptr_nonnull(strstr(out, "\"ModifyIndex\":"));
	snprintf(before, sizeof before, "%.*s", (int)strcspn(strstr(out, "\"ModifyIndex\":"), ",}"),
	         strstr(out, "\"ModifyIndex\":"));
	free(out);
	r = kcall(0, "POST", "/apis/consul.hashicorp.com/v1alpha1/namespaces/default/proxydefaults",
	          NULL, "application/json",
	          "{\"metadata\":{\"name\":\"global\"},\"spec\":{\"meshGateway\":{\"mode\":"
	          "\"local\"}}}",
	          true);
	ck_assert_int_eq(r.status, 201);
	call_free(&r);
	synced_status(0,
	              "/apis/consul.hashicorp.com/v1alpha1/namespaces/default/proxydefaults/global",
	              st, sizeof st);
	ck_assert_str_eq(st, "True");
	ck_assert_int_eq(simc_call(&world.clusters[0], "GET", "/v1/config/proxy-defaults/global",
	                           simc_controller_token(&world.clusters[0]), NULL, &out),
	                 200);
	ck_assert_msg(!strstr(out, "\"external-source\""), "%s", out);
	ck_assert_msg(strstr(out, before), "%s not in %s", before, out);
	free(out);

	/* A different one is someone else's. */
	ck_assert_int_eq(simc_call(&world.clusters[1], "PUT", "/v1/config",
	                           simc_controller_token(&world.clusters[1]),
	                           "{\"Kind\":\"mesh\",\"Peering\":{"
	                           "\"PeerThroughMeshGateways\":false}}",
	                           &out),
	                 200);
	free(out);
	r = kcall(1, "POST", "/apis/consul.hashicorp.com/v1alpha1/namespaces/default/meshes", NULL,
	          "application/json",
	          "{\"metadata\":{\"name\":\"mesh\"},\"spec\":{\"peering\":{"
	          "\"peerThroughMeshGateways\":true}}}",
	          true);
	ck_assert_int_eq(r.status, 201);
	call_free(&r);
	synced_status(1, "/apis/consul.hashicorp.com/v1alpha1/namespaces/default/meshes/mesh", st,
	              sizeof st);
	ck_assert_str_eq(st, "False");
	r = kcall(1, "GET", "/apis/consul.hashicorp.com/v1alpha1/namespaces/default/meshes/mesh",
	          NULL, NULL, NULL, true);
	ck_assert_str_eq(
	        simk_str(cJSON_GetArrayItem(simk_path(r.json, "status.conditions"), 0), "reason"),
	        "ExternallyManagedConfigError");
	call_free(&r);
}
END_TEST

/* consul-k8s writes a Mesh CR's spec through capi.MeshConfigEntry, whose
 * JSON names are TLS, TLSMinVersion, HTTP (control-plane/api/v1alpha1/
 * mesh_types.go ToConsul; consul api/config_entry_mesh.go), and Consul
 * reads it back in that canonical form (doc/api-contract.md §3.1, §3.5). */
START_TEST(controllers_write_entries_as_consul_k8s_does)
{
	char *out = NULL, st[16];
	struct call r;

	ck_assert_int_eq(simk_controllers_start(&world), 0);
	r = kcall(0, "POST", "/apis/consul.hashicorp.com/v1alpha1/namespaces/default/meshes", NULL,
	          "application/json",
	          "{\"metadata\":{\"name\":\"mesh\"},\"spec\":{\"tls\":{\"incoming\":{"
	          "\"tlsMinVersion\":\"TLSv1_2\"}},\"http\":{\"sanitizeXForwardedClientCert\":"
	          "true},\"peering\":{\"peerThroughMeshGateways\":true}}}",
	          true);
	ck_assert_int_eq(r.status, 201);
	call_free(&r);
	synced_status(0, "/apis/consul.hashicorp.com/v1alpha1/namespaces/default/meshes/mesh", st,
	              sizeof st);
	ck_assert_str_eq(st, "True");
	ck_assert_int_eq(simc_call(&world.clusters[0], "GET", "/v1/config/mesh/mesh",
	                           simc_controller_token(&world.clusters[0]), NULL, &out),
	                 200);
	ck_assert_msg(strstr(out, "\"TLS\":{\"Incoming\":{\"TLSMinVersion\":\"TLSv1_2\"}}"), "%s",
	              out);
	ck_assert_msg(strstr(out, "\"HTTP\":{\"SanitizeXForwardedClientCert\":true}"), "%s", out);
	ck_assert_msg(strstr(out, "\"Peering\":{\"PeerThroughMeshGateways\":true}"), "%s", out);
	ck_assert_msg(!strstr(out, "\"Tls\"") && !strstr(out, "\"Name\""), "%s", out);
	free(out);
}
END_TEST

/* The controllers run in the connect-injector's pod
 * (control-plane/subcommand/inject-connect/v1controllers.go): while it is
 * down a deleted resource stays Terminating, its finalizer held; when it is
 * up again the first list reconciles it and it goes. */
START_TEST(controllers_stop_with_the_injector)
{
	const char *mesh = "/apis/consul.hashicorp.com/v1alpha1/namespaces/default/meshes/mesh";
	char st[16];
	struct call r;
	cJSON *o;

	ck_assert_int_eq(simk_controllers_start(&world), 0);
	r = kcall(0, "POST", "/apis/consul.hashicorp.com/v1alpha1/namespaces/default/meshes", NULL,
	          "application/json", "{\"metadata\":{\"name\":\"mesh\"},\"spec\":{}}", true);
	ck_assert_int_eq(r.status, 201);
	call_free(&r);
	synced_status(0, mesh, st, sizeof st);
	ck_assert_str_eq(st, "True");
	pthread_mutex_lock(&world.lock);
	simk_set_injector(&world.clusters[0], false);
	pthread_mutex_unlock(&world.lock);
	r = kcall(0, "DELETE", mesh, NULL, NULL, NULL, true);
	ck_assert_int_eq(r.status, 200);
	call_free(&r);
	/* Long enough for a running controller to have removed it many times
	 * over (it takes a few milliseconds at --speed 20). */
	struct timespec ts = {0, 400 * 1000 * 1000};
	nanosleep(&ts, NULL);
	r = kcall(0, "GET", mesh, NULL, NULL, NULL, true);
	ck_assert_int_eq(r.status, 200);
	ck_assert_ptr_nonnull(simk_str(r.json, "metadata.deletionTimestamp"));
	call_free(&r);
	pthread_mutex_lock(&world.lock);
	simk_set_injector(&world.clusters[0], true);
	pthread_mutex_unlock(&world.lock);
	for (int i = 0; i < 200; i++) {
		r = kcall(0, "GET", mesh, NULL, NULL, NULL, true);
		int status = r.status;
		call_free(&r);
		if (status == 404)
			break;
		nanosleep(&(struct timespec){0, 50 * 1000 * 1000}, NULL);
	}
	o = await(0, mesh, "metadata.name", NULL);
	ck_assert_ptr_null(o);
}
END_TEST

/* The peering controllers retry as controller-runtime's
 * DefaultControllerRateLimiter does: 5 ms doubling to 1,000 s (client-go
 * util/workqueue/default_rate_limiters.go); consul-k8s's config-entry
 * controllers 200 ms doubling to 5 s (control-plane/controllers/
 * configentries/configentry_controller.go). */
START_TEST(controller_backoff_follows_controller_runtime)
{
	ck_assert_int_eq(simk_controller_backoff_ms(false, 0), 5);
	ck_assert_int_eq(simk_controller_backoff_ms(false, 1), 10);
	ck_assert_int_eq(simk_controller_backoff_ms(false, 10), 5120);
	ck_assert_int_eq(simk_controller_backoff_ms(false, 17), 655360);
	ck_assert_int_eq(simk_controller_backoff_ms(false, 18), 1000000);
	ck_assert_int_eq(simk_controller_backoff_ms(false, 60), 1000000);
	ck_assert_int_eq(simk_controller_backoff_ms(true, 0), 200);
	ck_assert_int_eq(simk_controller_backoff_ms(true, 4), 3200);
	ck_assert_int_eq(simk_controller_backoff_ms(true, 5), 5000);
}
END_TEST

static Suite *pure_suite(void)
{
	Suite *s = suite_create("sim-kube-pure");
	TCase *tc = tcase_create("pure");

	tcase_add_test(tc, yaml_scalars_resolve_like_yaml_1_2);
	tcase_add_test(tc, controller_backoff_follows_controller_runtime);
	tcase_add_test(tc, yaml_error_names_the_line);
	tcase_add_test(tc, merge_patch_follows_rfc_7386);
	tcase_add_test(tc, json_patch_follows_rfc_6902);
	tcase_add_test(tc, label_selectors_match);
	tcase_add_test(tc, field_selectors_take_metadata_name);
	tcase_add_test(tc, base64_round_trips);
	tcase_add_test(tc, gzip_reuses_deflated_pieces);
	tcase_add_test(tc, schema_reports_types_required_and_prunes);
	suite_add_tcase(s, tc);
	return s;
}

static Suite *api_suite(void)
{
	Suite *s = suite_create("sim-kube-api");
	TCase *tc = tcase_create("api");

	tcase_add_checked_fixture(tc, world_up, world_down);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, unauthenticated_requests_get_401);
	tcase_add_test(tc, rbac_forbids_with_the_api_servers_words);
	tcase_add_test(tc, rbac_reviews_answer_from_the_rules);
	tcase_add_test(tc, discovery_lists_the_crds);
	tcase_add_test(tc, concurrent_requests_route_alike);
	tcase_add_test(tc, create_get_conflict_and_patch);
	tcase_add_test(tc, webhook_and_schema_errors);
	tcase_add_test(tc, injector_down_fails_every_cr_write);
	tcase_add_test(tc, injector_deployment_status_follows_the_injector);
	tcase_add_test(tc, deployment_status_follows_replicas);
	tcase_add_test(tc, secrets_selectors_and_strategic_merge);
	tcase_add_test(tc, finalizers_hold_deletion_and_watch_sees_it);
	tcase_add_test(tc, watch_from_a_forgotten_version_gets_410);
	tcase_add_test(tc, lists_come_in_pages);
	tcase_add_test(tc, helm_release_secret_carries_the_values);
	tcase_add_test(tc, protobuf_secrets_are_decoded);
	tcase_add_test(tc, status_subresource_and_apply);
	tcase_add_test(tc, watch_filters_by_label_and_sends_bookmarks);
	tcase_add_test(tc, watch_bookmarks_every_minute_and_before_the_end);
	tcase_add_test(tc, namespace_deletion_cascades);
	suite_add_tcase(s, tc);
	tc = tcase_create("controllers");
	tcase_add_checked_fixture(tc, full_world_up, world_down);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, controllers_peer_two_clusters);
	tcase_add_test(tc, controllers_leave_a_foreign_entry_unwritten);
	tcase_add_test(tc, controllers_stop_with_the_injector);
	tcase_add_test(tc, controllers_write_entries_as_consul_k8s_does);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN(pure_suite, api_suite)
