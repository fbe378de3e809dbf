/* Unit tests of what the mesh operations show and send: the diff of a
 * resource before -> after, and the JSON merge patch (RFC 7386) of a custom
 * resource's spec. */
#include "autoconfig.h"

#include "unit.h"

#include "ops_internal.h"

#include <cjson/cJSON.h>

#include <stdlib.h>
#include <string.h>

START_TEST(diff_lines)
{
	char *d = ops_diff("{\n  \"mode\": \"local\",\n  \"x\": 1\n}\n",
	                   "{\n  \"mode\": \"remote\",\n  \"x\": 1\n}\n");

	ck_assert_ptr_nonnull(d);
	ck_assert_str_eq(
	        d, "  {\n-   \"mode\": \"local\",\n+   \"mode\": \"remote\",\n    \"x\": 1\n  }\n");
	free(d);
	/* Created: every line comes; deleted: every line goes. */
	d = ops_diff("", "a\nb\n");
	ck_assert_str_eq(d, "+ a\n+ b\n");
	free(d);
	d = ops_diff("a\nb\n", "");
	ck_assert_str_eq(d, "- a\n- b\n");
	free(d);
	d = ops_diff("same\n", "same\n");
	ck_assert_str_eq(d, "  same\n");
	free(d);
	/* An added element in the middle keeps what is around it. */
	d = ops_diff("[\n  a,\n  c\n]\n", "[\n  a,\n  b,\n  c\n]\n");
	ck_assert_str_eq(d, "  [\n    a,\n+   b,\n    c\n  ]\n");
	free(d);
}
END_TEST

/* RFC 7386: changed members set, objects merged member by member, removed
 * members null, arrays replaced whole. */
START_TEST(merge_patch)
{
	cJSON *old = cJSON_Parse("{\"meshGateway\":{\"mode\":\"local\"},\"protocol\":\"http\","
	                         "\"services\":[{\"name\":\"a\"}],\"gone\":1}");
	cJSON *now = cJSON_Parse("{\"meshGateway\":{\"mode\":\"remote\"},\"protocol\":\"http\","
	                         "\"services\":[{\"name\":\"a\"},{\"name\":\"b\"}],\"new\":true}");
	cJSON *p = ops_merge_patch(old, now);
	char *text = cJSON_PrintUnformatted(p);

	ck_assert_str_eq(text, "{\"meshGateway\":{\"mode\":\"remote\"},\"services\":[{\"name\":"
	                       "\"a\"},{\"name\":\"b\"}],\"new\":true,\"gone\":null}");
	free(text);
	cJSON_Delete(p);
	p = ops_merge_patch(old, old);
	ck_assert_int_eq(cJSON_GetArraySize(p), 0);
	cJSON_Delete(p);
	cJSON_Delete(old);
	cJSON_Delete(now);
}
END_TEST

static Suite *ops_suite(void)
{
	Suite *s = suite_create("ops");
	TCase *tc = tcase_create("diff");

	tcase_add_test(tc, diff_lines);
	tcase_add_test(tc, merge_patch);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN(ops_suite)
