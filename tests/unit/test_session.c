/* Unit tests of the session's view for the operations (src/session.c), on
 * clusters whose Consul refuses every connection (127.0.0.1:1): no
 * simulator is needed to see what the snapshots callback hands back. */
#include "autoconfig.h"

#include "unit.h"

#include "peerscope/config.h"
#include "peerscope/ops.h"
#include "peerscope/session.h"
#include "peerscope/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define NCLUSTERS 12 /* more than 8; the simulator serves up to 16 */

/* Every configured cluster's snapshot is handed back, however many there
 * are (above 8 none was: the callback returned nothing). */
START_TEST(snapshots_of_many_clusters)
{
	char dir[] = "/tmp/peerscope-session-XXXXXX", path[300], err[512];
	char text[4096] = "clusters:\n", a0[] = "peerscope", a1[] = "--config";
	char *argv[] = {a0, a1, path, NULL}, *envp[] = {NULL};
	struct store_snapshot *out[NCLUSTERS];
	struct session_options so = {.pollers = true,
	                             .poll = {.backoff_base_ms = 100, .backoff_max_ms = 500}};
	struct config_diags d = {0};
	struct config_args args;
	struct config *cfg = NULL;
	struct session *s = NULL;
	FILE *f;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	for (int i = 1; i <= NCLUSTERS; i++) {
		size_t used = strlen(text);
		snprintf(text + used, sizeof text - used,
		         "  - name: c%02d\n    consul: {address: \"http://127.0.0.1:1\"}\n", i);
	}
	snprintf(path, sizeof path, "%s/config.yaml", dir);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fputs(text, f);
	fclose(f);
	chmod(path, 0600);
	ck_assert_int_eq(config_parse_args(3, argv, &args, &d), 0);
	ck_assert_int_eq(config_load(&args, envp, &cfg, &d), 0);
	ck_assert_int_eq(session_open(cfg, NULL, &so, &s, err, sizeof err), 0);
	const struct ops_env *env = session_ops_env(s);
	ck_assert_uint_eq(session_count(s), NCLUSTERS);
	env->snapshots(env->ctx, session_names(s), NCLUSTERS, 10000, NULL, out);
	for (size_t i = 0; i < NCLUSTERS; i++) {
		ck_assert_msg(out[i] != NULL, "no snapshot of cluster %zu", i);
		ck_assert_str_eq(out[i]->name, session_names(s)[i]);
		store_snapshot_unref(out[i]);
	}
	session_close(s);
	config_free(cfg);
	config_args_free(&args);
	config_diags_free(&d);
	unlink(path);
	rmdir(dir);
}
END_TEST

static Suite *session_suite(void)
{
	Suite *s = suite_create("session");
	TCase *t = tcase_create("snapshots");

	tcase_set_timeout(t, 30);
	tcase_add_test(t, snapshots_of_many_clusters);
	suite_add_tcase(s, t);
	return s;
}

UNIT_MAIN(session_suite)
