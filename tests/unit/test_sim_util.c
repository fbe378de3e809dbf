/* peerscope-sim's pure helpers: Go durations (?wait=), base64 (peering
 * tokens, kubeconfig CA data), atomic file writes. */
#include "autoconfig.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "consul/simc.h"
#include "core.h"
#include "unit.h"

START_TEST(duration_valid)
{
	ck_assert_int_eq(sim_parse_duration_ms("0"), 0);
	ck_assert_int_eq(sim_parse_duration_ms("10s"), 10000);
	ck_assert_int_eq(sim_parse_duration_ms("5m"), 300000);
	ck_assert_int_eq(sim_parse_duration_ms("1m30s"), 90000);
	ck_assert_int_eq(sim_parse_duration_ms("250ms"), 250);
	ck_assert_int_eq(sim_parse_duration_ms("1.5s"), 1500);
	ck_assert_int_eq(sim_parse_duration_ms("2h"), 7200000);
	ck_assert_int_eq(sim_parse_duration_ms("1500000us"), 1500);
	ck_assert_int_eq(sim_parse_duration_ms(".5s"), 500);
}
END_TEST

START_TEST(duration_invalid)
{
	const char *bad[] = {"",      "10",   "s",    "-1s",   "1x",
	                     "0x10s", "1e3s", "nans", "inf",   "1.s.",
	                     ".s",    "5 m",  "+5s",  "1m-3s", "99999999999999999999h"};

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		ck_assert_msg(sim_parse_duration_ms(bad[i]) == -1, "accepted \"%s\"", bad[i]);
	ck_assert_int_eq(sim_parse_duration_ms(NULL), -1);
}
END_TEST

START_TEST(b64_roundtrip)
{
	const char *plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
	const char *enc[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};

	for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++) {
		char *e = sim_b64_encode(plain[i], strlen(plain[i]));
		ck_assert_str_eq(e, enc[i]);
		size_t n = 99;
		char *d = sim_b64_decode(e, &n);
		ck_assert_ptr_nonnull(d);
		ck_assert_uint_eq(n, strlen(plain[i]));
		ck_assert_mem_eq(d, plain[i], n);
		free(e);
		free(d);
	}
	unsigned char bin[256];
	for (int i = 0; i < 256; i++)
		bin[i] = (unsigned char)i;
	char *e = sim_b64_encode(bin, sizeof bin);
	size_t n;
	char *d = sim_b64_decode(e, &n);
	ck_assert_uint_eq(n, sizeof bin);
	ck_assert_mem_eq(d, bin, n);
	free(e);
	free(d);
}
END_TEST

START_TEST(b64_invalid)
{
	const char *bad[] = {"Zg=", "Z===", "Zm9v!", "=Zg=", "Zg==Zg==", "Z=g=", "Zm9vY-==", "Zg"};
	size_t n;

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char *d = sim_b64_decode(bad[i], &n);
		ck_assert_msg(d == NULL, "accepted \"%s\"", bad[i]);
	}
}
END_TEST

START_TEST(write_file_atomic)
{
	char dir[] = "/tmp/test-sim-util.XXXXXX", path[64], err[256], buf[32];
	struct stat st;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/token", dir);
	ck_assert_int_eq(sim_write_file(path, "secret\n", 0600, err, sizeof err), 0);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	FILE *f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(fgets(buf, sizeof buf, f));
	fclose(f);
	ck_assert_str_eq(buf, "secret\n");
	snprintf(path, sizeof path, "%s/missing/token", dir);
	ck_assert_int_eq(sim_write_file(path, "x", 0600, err, sizeof err), -1);
	ck_assert_msg(strstr(err, path) != NULL, "error does not name the file: %s", err);
	snprintf(path, sizeof path, "%s/token", dir);
	unlink(path);
	rmdir(dir);
}
END_TEST

/* A blocking query's answer is built under the world's lock and printed
 * after it (simc_blocking): the tree waits in the response, and a body set
 * after it (an error) replaces it. */
START_TEST(deferred_json_body)
{
	struct sim_resp resp;
	cJSON *o = cJSON_CreateObject();

	memset(&resp, 0, sizeof resp);
	cJSON_AddStringToObject(o, "Name", "web");
	resp.defer_print = true;
	simc_json(&resp, 200, o);
	resp.defer_print = false;
	ck_assert_ptr_null(resp.body);
	ck_assert_ptr_nonnull(resp.tree);
	ck_assert_int_eq(resp.status, 200);
	sim_resp_print_deferred(&resp);
	ck_assert_ptr_null(resp.tree);
	ck_assert_str_eq(resp.body, "{\"Name\":\"web\"}");
	ck_assert_uint_eq(resp.body_len, strlen(resp.body));
	sim_resp_free(&resp);

	/* A later error wins over the tree. */
	memset(&resp, 0, sizeof resp);
	resp.defer_print = true;
	simc_json(&resp, 200, cJSON_CreateArray());
	sim_resp_text(&resp, 403, "Permission denied");
	resp.defer_print = false;
	ck_assert_ptr_null(resp.tree);
	sim_resp_print_deferred(&resp);
	ck_assert_int_eq(resp.status, 403);
	ck_assert_str_eq(resp.body, "Permission denied");
	sim_resp_free(&resp);

	/* Freed unprinted: nothing leaks (the sanitizer builds check). */
	memset(&resp, 0, sizeof resp);
	resp.defer_print = true;
	simc_json(&resp, 200, cJSON_CreateArray());
	sim_resp_free(&resp);
	ck_assert_ptr_null(resp.tree);
}
END_TEST

static int renders, frees;

static void count_free(void *ctx)
{
	frees++;
	free(ctx);
}

static void render_name(void *ctx, struct sim_resp *resp)
{
	cJSON *o = cJSON_CreateObject();

	renders++;
	cJSON_AddStringToObject(o, "Name", ctx);
	simc_json(resp, 200, o);
}

/* RESP, empty, with a body to build after the lock: {"Name":"web"}. */
static void arm_render(struct sim_resp *resp)
{
	memset(resp, 0, sizeof *resp);
	resp->render = render_name;
	resp->render_free = count_free;
	resp->render_ctx = strdup("web");
}

/* A body built after the lock from what was copied under it: built once,
 * its copy freed once, whether it was built or not, and a later error
 * wins over it. */
START_TEST(deferred_render)
{
	struct sim_resp resp;

	renders = frees = 0;
	arm_render(&resp);
	sim_resp_print_deferred(&resp);
	ck_assert_int_eq(renders, 1);
	ck_assert_int_eq(frees, 1);
	ck_assert_ptr_null(resp.render_ctx);
	ck_assert_str_eq(resp.body, "{\"Name\":\"web\"}");
	ck_assert_int_eq(resp.status, 200);
	sim_resp_print_deferred(&resp); /* nothing left to do */
	ck_assert_int_eq(renders, 1);
	sim_resp_free(&resp);
	ck_assert_int_eq(frees, 1);

	arm_render(&resp);
	sim_resp_text(&resp, 403, "Permission denied");
	ck_assert_int_eq(frees, 2);
	sim_resp_print_deferred(&resp);
	ck_assert_int_eq(renders, 1);
	ck_assert_str_eq(resp.body, "Permission denied");
	sim_resp_free(&resp);

	arm_render(&resp);
	sim_resp_free(&resp);
	ck_assert_int_eq(renders, 1);
	ck_assert_int_eq(frees, 3);
}
END_TEST

/* sim_json_print gives what cJSON_PrintUnformatted gives: ITEM printed
 * both ways, then freed. */
static void same_print(cJSON *item)
{
	size_t len = 0;
	char *want = cJSON_PrintUnformatted(item), *got = sim_json_print(item, &len);

	if (!want) {
		ck_assert_ptr_null(got);
	} else {
		ck_assert_ptr_nonnull(got);
		ck_assert_str_eq(got, want);
		ck_assert_uint_eq(len, strlen(want));
	}
	free(want);
	free(got);
	cJSON_Delete(item);
}

START_TEST(json_print_as_cjson)
{
	static const double nums[] = {0,
	                              -0.0,
	                              1,
	                              -1,
	                              42,
	                              1e14,
	                              999999999999999.0,
	                              1e15,
	                              -1e15,
	                              1e16,
	                              1e300,
	                              -1e-300,
	                              0.1,
	                              1.0 / 3,
	                              2.5,
	                              -7.125,
	                              1e-5,
	                              123456.789,
	                              4294967296.0,
	                              9007199254740993.0,
	                              -2147483648.0,
	                              2147483647.0,
	                              2147483648.0,
	                              5e-324};
	static const char *const strs[] = {"",           "plain",        "quote\"back\\slash",
	                                   "\b\f\n\r\t", "\x01\x1f\x7f", "caf\xc3\xa9 \xe2\x94\x82",
	                                   "/"};
	cJSON *o = cJSON_CreateObject();

	for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++) {
		char key[16];
		snprintf(key, sizeof key, "n%zu", i);
		cJSON_AddNumberToObject(o, key, nums[i]);
		same_print(cJSON_CreateNumber(nums[i]));
	}
	for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++) {
		cJSON_AddStringToObject(o, strs[i], strs[i]);
		same_print(cJSON_CreateString(strs[i]));
	}
	cJSON_AddItemToObject(o, "nan", cJSON_CreateNumber(NAN));
	cJSON_AddItemToObject(o, "inf", cJSON_CreateNumber(-INFINITY));
	cJSON_AddNullToObject(o, "null");
	cJSON_AddTrueToObject(o, "t");
	cJSON_AddFalseToObject(o, "f");
	cJSON_AddRawToObject(o, "raw", "{\"x\":[1,2]}");
	cJSON_AddItemToObject(o, "ea", cJSON_CreateArray());
	cJSON_AddItemToObject(o, "eo", cJSON_CreateObject());
	cJSON *a = cJSON_AddArrayToObject(o, "nested");
	cJSON_AddItemToArray(a, cJSON_CreateArray());
	cJSON_AddItemToArray(a, cJSON_Duplicate(o, true));
	cJSON_AddItemToArray(a, cJSON_CreateStringArray(strs, 3));
	same_print(o);

	/* A string item without text prints as "", a raw one fails, as in
	 * cJSON; so does an invalid item. */
	cJSON *s = cJSON_CreateString("x");
	free(s->valuestring);
	s->valuestring = NULL;
	same_print(s);
	cJSON *r = cJSON_CreateArray();
	cJSON_AddItemToArray(r, cJSON_CreateRaw("1"));
	free(r->child->valuestring);
	r->child->valuestring = NULL;
	same_print(r);
	cJSON *bad = cJSON_CreateNull();
	bad->type = cJSON_Invalid;
	same_print(bad);
	ck_assert_ptr_null(sim_json_print(NULL, NULL));

	/* Random trees, numbers of every kind. */
	srand(7);
	for (int t = 0; t < 300; t++) {
		cJSON *root = cJSON_CreateArray(), *cur = root;
		for (int k = 0; k < 40; k++) {
			double d = (rand() - RAND_MAX / 2) * pow(10, rand() % 40 - 20);
			char txt[8] = {0};
			for (int c = 0; c < 7; c++)
				txt[c] = (char)(1 + rand() % 126);
			switch (rand() % 5) {
			case 0:
				cJSON_AddItemToArray(cur, cJSON_CreateNumber(d));
				break;
			case 1:
				cJSON_AddItemToArray(cur, cJSON_CreateNumber(floor(d)));
				break;
			case 2:
				cJSON_AddItemToArray(cur, cJSON_CreateString(txt));
				break;
			case 3: {
				cJSON *x = cJSON_CreateObject();
				cJSON_AddNumberToObject(x, txt, rand() % 100000);
				cJSON_AddItemToArray(cur, x);
				break;
			}
			default: {
				cJSON *x = cJSON_CreateArray();
				cJSON_AddItemToArray(cur, x);
				cur = x;
			}
			}
		}
		same_print(root);
	}
}
END_TEST

static Suite *sim_util_suite(void)
{
	Suite *s = suite_create("sim_util");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, duration_valid);
	tcase_add_test(tc, duration_invalid);
	tcase_add_test(tc, b64_roundtrip);
	tcase_add_test(tc, b64_invalid);
	tcase_add_test(tc, write_file_atomic);
	tcase_add_test(tc, deferred_json_body);
	tcase_add_test(tc, json_print_as_cjson);
	tcase_add_test(tc, deferred_render);
	suite_add_tcase(s, tc);
	return s;
}

// cppcheck-suppress uninitvar
UNIT_MAIN(sim_util_suite)
