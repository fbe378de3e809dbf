/* consul: query paths, blocking-query rules, response metadata, peer names and
 * the checks made before any request is sent. No network is used. */
#include "autoconfig.h"

#include "unit.h"

#include "peerscope/consul.h"

#include <string.h>

static struct consul_client *client(const char *partition, const char *dc)
{
	struct consul_options o = {
	        .http = {.cluster = "dc1", .base_url = "http://127.0.0.1:1", .proxy_url = ""},
	        .partition = partition,
	        .datacenter = dc,
	};
	struct http_error err;
	struct consul_client *c = consul_client_new(&o, &err);

	ck_assert_msg(c != NULL, "%s", err.message);
	return c;
}

START_TEST(paths)
{
	struct consul_client *c = client("team-a", NULL);
	struct consul_query q = {.index = 42, .wait_ms = 300000};
	char *p;

	p = consul_path(c, CONSUL_PATH_PEERINGS, NULL);
	ck_assert_str_eq(p, "/v1/peerings");
	free(p);
	p = consul_path(c, CONSUL_PATH_PEERINGS, &q);
	ck_assert_str_eq(p, "/v1/peerings?index=42&wait=300s");
	free(p);
	/* An index alone would block for the server's default 5 minutes. */
	q.wait_ms = 0;
	p = consul_path(c, CONSUL_PATH_PEERINGS, &q);
	ck_assert_str_eq(p, "/v1/peerings");
	free(p);

	struct consul_query h = {.peer = "cluster 02",
	                         .filter = "Service.Kind == \"mesh-gateway\"",
	                         .passing = true,
	                         .stale = true};
	p = consul_path(c, "/v1/health/service/web", &h);
	ck_assert_str_eq(p,
	                 "/v1/health/service/web?peer=cluster%2002&filter=Service.Kind%20%3D%3D%20%"
	                 "22mesh-gateway%22&passing&stale");
	free(p);

	/* The partition goes only to an Enterprise server. */
	ck_assert(!consul_client_enterprise(c));
	consul_client_set_enterprise(c, true);
	p = consul_path(c, CONSUL_PATH_PEERINGS, NULL);
	ck_assert_str_eq(p, "/v1/peerings?partition=team-a");
	free(p);
	consul_client_free(c);

	c = client(NULL, "dc2");
	consul_client_set_enterprise(c, true);
	p = consul_path(c, CONSUL_PATH_LEADER, NULL);
	ck_assert_str_eq(p, "/v1/status/leader?dc=dc2");
	free(p);
	consul_client_free(c);
}
END_TEST

START_TEST(request_for_multi)
{
	struct consul_client *c = client(NULL, NULL);
	struct consul_query q = {.index = 7, .wait_ms = 60000};
	struct http_request req;
	char *path;

	ck_assert_int_eq(consul_request_get(c, CONSUL_PATH_PEERINGS, &q, &req, &path), 0);
	ck_assert_str_eq(req.path, "/v1/peerings?index=7&wait=60s");
	ck_assert_ptr_eq(req.path, path);
	ck_assert_str_eq(req.method, "GET");
	ck_assert_int_eq(req.wait_ms, 60000);
	free(path);
	q.index = 0;
	ck_assert_int_eq(consul_request_get(c, CONSUL_PATH_PEERINGS, &q, &req, &path), 0);
	ck_assert_int_eq(req.wait_ms, 0);
	free(path);
	ck_assert_ptr_nonnull(consul_http(c));
	consul_client_free(c);
}
END_TEST

START_TEST(blocking_rules)
{
	char buf[32];

	ck_assert_uint_eq(consul_next_index(0, 0), 1);
	ck_assert_uint_eq(consul_next_index(5, 9), 9);
	ck_assert_uint_eq(consul_next_index(9, 9), 9);
	ck_assert_uint_eq(consul_next_index(9, 5), 0); /* went backwards: start over */
	consul_format_wait(300000, buf, sizeof buf);
	ck_assert_str_eq(buf, "300s");
	consul_format_wait(1500, buf, sizeof buf);
	ck_assert_str_eq(buf, "1500ms");
}
END_TEST

START_TEST(meta_headers)
{
	char n0[] = "X-Consul-Index", n1[] = "x-consul-knownleader", n2[] = "X-Consul-LastContact",
	     n3[] = "X-Consul-Results-Filtered-By-ACLs", n4[] = "X-Consul-Default-ACL-Policy";
	char v0[] = "1234", v1[] = "false", v2[] = "17", v3[] = "true", v4[] = "deny",
	     bad[] = "12x";
	char *names[] = {n0, n1, n2, n3, n4};
	char *values[] = {v0, v1, v2, v3, v4};
	struct http_response r = {.header_names = names, .header_values = values, .nheaders = 5};
	struct consul_meta m;

	consul_meta_from_response(&r, &m);
	ck_assert_uint_eq(m.index, 1234);
	ck_assert(m.has_known_leader);
	ck_assert(!m.known_leader);
	ck_assert_uint_eq(m.last_contact_ms, 17);
	ck_assert(m.results_filtered);
	ck_assert_str_eq(m.default_acl_policy, "deny");

	values[0] = bad;
	r.nheaders = 1;
	consul_meta_from_response(&r, &m);
	ck_assert_uint_eq(m.index, 0);
	ck_assert(!m.has_known_leader);
	ck_assert_str_eq(m.default_acl_policy, "");
}
END_TEST

START_TEST(peer_names)
{
	char long_name[80];

	ck_assert(consul_peer_name_valid("cluster-02"));
	ck_assert(consul_peer_name_valid("a"));
	ck_assert(consul_peer_name_valid("0-9"));
	ck_assert(!consul_peer_name_valid(""));
	ck_assert(!consul_peer_name_valid(NULL));
	ck_assert(!consul_peer_name_valid("-a"));
	ck_assert(!consul_peer_name_valid("a-"));
	ck_assert(!consul_peer_name_valid("Cluster"));
	ck_assert(!consul_peer_name_valid("dc2.example"));
	ck_assert(!consul_peer_name_valid("ñandú"));
	memset(long_name, 'a', 63);
	long_name[63] = '\0';
	ck_assert(consul_peer_name_valid(long_name));
	long_name[63] = 'a';
	long_name[64] = '\0';
	ck_assert(!consul_peer_name_valid(long_name));
}
END_TEST

START_TEST(checked_before_sending)
{
	struct consul_client *c = client(NULL, NULL);
	struct http_error err;
	char *token = (char *)1;
	struct consul_token_request req = {.peer_name = ""};
	struct model_acl_check checks[65];
	struct model_exported_service_list l;

	memset(checks, 0, sizeof checks);
	ck_assert_int_eq(consul_peering_generate_token(c, &req, &token, &err), -1);
	ck_assert_ptr_null(token);
	ck_assert_int_eq(err.kind, HTTP_ERR_USAGE);
	ck_assert_str_eq(err.cluster, "dc1");
	ck_assert_int_eq(consul_acl_authorize(c, checks, 0, &err), -1);
	ck_assert_int_eq(err.kind, HTTP_ERR_USAGE);
	ck_assert_int_eq(consul_acl_authorize(c, checks, 65, &err), -1);
	ck_assert_str_eq(err.message, "between 1 and 64 checks per call, not 65");
	ck_assert_int_eq(consul_acl_authorize(c, checks, 1, &err), -1);
	ck_assert_str_eq(err.message, "check 0 lacks a resource or an access level");
	ck_assert_int_eq(consul_ui_exported_services(c, NULL, &l, NULL, &err), -1);
	ck_assert_int_eq(err.kind, HTTP_ERR_USAGE);
	/* And a real request to a closed port names the call. */
	struct model_peering_list pl;
	ck_assert_int_eq(consul_peerings_list(c, NULL, &pl, NULL, &err), -1);
	ck_assert_int_eq(err.kind, HTTP_ERR_TRANSPORT);
	ck_assert_str_eq(err.method, "GET");
	ck_assert_str_eq(err.url, "http://127.0.0.1:1/v1/peerings");
	ck_assert(!consul_not_found(&err));
	consul_client_free(c);
}
END_TEST

static Suite *consul_suite(void)
{
	Suite *s = suite_create("consul");
	TCase *tc = tcase_create("consul");

	tcase_add_test(tc, paths);
	tcase_add_test(tc, request_for_multi);
	tcase_add_test(tc, blocking_rules);
	tcase_add_test(tc, meta_headers);
	tcase_add_test(tc, peer_names);
	tcase_add_test(tc, checked_before_sending);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN(consul_suite)
