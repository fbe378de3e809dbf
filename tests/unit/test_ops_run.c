/* Unit tests of the ops module's write helpers (src/ops/run.c) against the
 * test server (tests/unit/httpd.h): what the audit log says of a write. */
#include "autoconfig.h"

#include "unit.h"

#include "httpd.h"
#include "ops_internal.h"

#include "peerscope/audit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A DELETE answered 404 is what was asked for (0), and the audit log says
 * so with the server's status, not nothing. */
START_TEST(delete_of_a_gone_object_is_logged)
{
	struct httpd *srv = httpd_start();
	char dir[] = "/tmp/peerscope-ops-run-XXXXXX", path[300], base[64], err[256];
	struct http_error herr = {0};
	struct http_options ho = {.cluster = "k", .proxy_url = ""};
	struct http_client *kube;
	struct audit *audit;

	ck_assert_ptr_nonnull(srv);
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/audit.log", dir);
	snprintf(base, sizeof base, "http://127.0.0.1:%d", httpd_port(srv));
	ho.base_url = base;
	ho.connect_timeout_ms = 1000;
	ho.timeout_ms = 5000;
	ck_assert_ptr_nonnull(kube = http_client_new(&ho, &herr));
	ck_assert_ptr_nonnull(audit = audit_open(path, err, sizeof err));

	struct ops_cluster oc = {
	        .name = "east", .context = "east-ctx", .ns = "consul", .kube = kube};
	struct ops_env env = {.audit = audit, .operation = "unpeer"};
	struct ops_plan plan = {0};
	struct run r = {.env = &env, .def = &ops_def_unpeer, .plan = &plan};
	struct side sd = {.c = &oc, .peer = "west", .kube = true, .partition = ""};

	/* The test server answers 404 to every path it does not know. */
	ck_assert_int_eq(ops_kube_delete(&r, &sd, KUBE_PEERING_DIALER, "west", &herr), 0);
	audit_close(audit);

	size_t len;
	char *text = unit_slurp(path, &len);
	ck_assert_msg(strstr(text, "\"verb\":\"delete\"") && strstr(text, "\"status\":404") &&
	                      strstr(text, "\"result\":\"ok\"") &&
	                      strstr(text, "\"message\":\"already gone\""),
	              "%s", text);
	free(text);
	unlink(path);
	rmdir(dir);
	http_client_free(kube);
	httpd_stop(srv);
}
END_TEST

static const struct ops_cluster *no_cluster(void *ctx, const char *name)
{
	(void)ctx;
	(void)name;
	return NULL;
}

/* A refusal quoting the command line (or a server) is safe to show: an
 * escape sequence in a cluster name does not reach the reason raw. */
START_TEST(refusal_is_sanitised)
{
	static const char *const names[] = {"east"};
	struct ops_env env = {.cluster = no_cluster, .names = names, .n = 1};
	struct ops_request q = {.kind = OPS_PEER};
	struct ops_plan p;

	snprintf(q.a, sizeof q.a, "x\x1b]52;c;eA==\x07y");
	snprintf(q.b, sizeof q.b, "east");
	ck_assert_int_eq(ops_plan(&env, &q, &p), 0);
	ck_assert_int_eq(p.refusal, OPS_REFUSE_USAGE);
	ck_assert_msg(strstr(p.reason, "no cluster named"), "%s", p.reason);
	ck_assert_ptr_null(strchr(p.reason, '\x1b'));
	ck_assert_ptr_null(strchr(p.reason, '\x07'));
	ops_plan_free(&p);
}
END_TEST

static Suite *ops_run_suite(void)
{
	Suite *s = suite_create("ops_run");
	TCase *t = tcase_create("audit");

	tcase_add_test(t, delete_of_a_gone_object_is_logged);
	tcase_add_test(t, refusal_is_sanitised);
	suite_add_tcase(s, t);
	return s;
}

UNIT_MAIN(ops_run_suite)
