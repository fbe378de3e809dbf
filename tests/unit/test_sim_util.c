/* peerscope-sim's pure helpers: Go durations (?wait=), base64 (peering
 * tokens, kubeconfig CA data), atomic file writes. */
#include "autoconfig.h"

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
	suite_add_tcase(s, tc);
	return s;
}

// cppcheck-suppress uninitvar
UNIT_MAIN(sim_util_suite)
