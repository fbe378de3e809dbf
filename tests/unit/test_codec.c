/* codec: JSON faults and their offsets, base64 in both modes, wiping. */
#include "autoconfig.h"

#include "unit.h"

#include "peerscope/codec.h"
#include "peerscope/monotime.h"

#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <yaml.h>

/* The fault codec_json_parse reports for TEXT, or "" when it parses. */
static const char *fault_of(const char *text)
{
	static char why[128];
	cJSON *root;

	why[0] = '\0';
	root = codec_json_parse(text, strlen(text), why, sizeof why);
	ck_assert(!root == !!why[0]);
	cJSON_Delete(root);
	return why;
}

START_TEST(json_faults)
{
	char why[128];

	ck_assert_str_eq(fault_of(" {\"a\": [1, 2]}\n"), "");
	ck_assert_str_eq(fault_of(""), "empty body where JSON was expected");
	ck_assert_str_eq(fault_of(" \r\n\t"), "empty body where JSON was expected");
	ck_assert_str_eq(fault_of("{\"a\": \"b"),
	                 "invalid JSON: the text ends early (truncated after 8 bytes)");
	ck_assert_str_eq(fault_of("[{\"a\": 1}"),
	                 "invalid JSON: the text ends early (truncated after 9 bytes)");
	/* An escaped quote does not end the string. */
	ck_assert_str_eq(fault_of("{\"a\": \"\\\"]}"),
	                 "invalid JSON: the text ends early (truncated after 11 bytes)");
	ck_assert_str_eq(fault_of("{\"a\": nul, \"b\": 2}"), "invalid JSON at byte 6 of 18");
	ck_assert_str_eq(fault_of("{} x"),
	                 "invalid JSON: unexpected text after the value at byte 3");
	ck_assert_ptr_null(codec_json_parse(NULL, 0, why, sizeof why));
	ck_assert_str_eq(why, "empty body where JSON was expected");
}
END_TEST

static char *b64(const char *in, enum codec_b64_mode mode, long *bad_at)
{
	size_t n;
	unsigned char *out = codec_base64_decode(in, strlen(in), mode, &n, bad_at);

	if (out)
		ck_assert_uint_eq(n, strlen((char *)out));
	return (char *)out;
}

START_TEST(base64_modes)
{
	long bad;
	char *s;

	s = b64("aGVsbG8=", CODEC_B64_STRICT, &bad);
	ck_assert_str_eq(s, "hello");
	free(s);
	s = b64("aGVsbG8", CODEC_B64_STRICT, &bad);
	ck_assert_str_eq(s, "hello");
	free(s);
	s = b64("", CODEC_B64_STRICT, &bad);
	ck_assert_str_eq(s, "");
	free(s);
	/* Strict: no blanks, no URL-safe letters, padding only at the end. */
	ck_assert_ptr_null(b64("aGVs bG8=", CODEC_B64_STRICT, &bad));
	ck_assert_int_eq(bad, 4);
	ck_assert_ptr_null(b64("-_8=", CODEC_B64_STRICT, &bad));
	ck_assert_int_eq(bad, 0);
	ck_assert_ptr_null(b64("aG=Vs", CODEC_B64_STRICT, &bad));
	ck_assert_int_eq(bad, 3);
	ck_assert_ptr_null(b64("aGVsb", CODEC_B64_STRICT, &bad));
	ck_assert_int_eq(bad, 5);
	ck_assert_ptr_null(b64("aGVsbA===", CODEC_B64_STRICT, &bad));
	ck_assert_int_eq(bad, 9);
	/* Lenient: blanks, URL-safe letters and missing padding. */
	s = b64(" aGVs\nbG8 ", CODEC_B64_LENIENT, &bad);
	ck_assert_str_eq(s, "hello");
	free(s);
	s = b64("-_8", CODEC_B64_LENIENT, &bad);
	ck_assert_mem_eq(s, "\xfb\xff", 2);
	free(s);
	ck_assert_ptr_null(b64("aGVs!bG8", CODEC_B64_LENIENT, &bad));
	ck_assert_int_eq(bad, 4);
	ck_assert_ptr_null(b64("aGU=bG8", CODEC_B64_LENIENT, &bad));
	ck_assert_int_eq(bad, 4);
}
END_TEST

/* Standard alphabet with padding (RFC 4648 section 10 vectors), and the
 * decoder reads back what the encoder wrote for every byte value. */
/* The hash the pollers tell a body from the last one by: every byte of a
 * 21-byte body (words and tail) moves it, and so does where it starts. */
START_TEST(hash_bytes)
{
	char body[] = "{\"Name\":\"cluster-02\"}";
	size_t n = strlen(body);
	uint64_t h = codec_hash_bytes(1, body, n);

	ck_assert_uint_eq(codec_hash_bytes(1, body, n), h);
	ck_assert_uint_ne(codec_hash_bytes(2, body, n), h);
	ck_assert_uint_ne(codec_hash_bytes(1, body, n - 1), h);
	for (size_t i = 0; i < n; i++) {
		body[i] ^= 1;
		ck_assert_msg(codec_hash_bytes(1, body, n) != h, "byte %zu does not move it", i);
		body[i] ^= 1;
	}
}
END_TEST

START_TEST(base64_encode)
{
	static const char *const vec[][2] = {{"", ""},
	                                     {"f", "Zg=="},
	                                     {"fo", "Zm8="},
	                                     {"foo", "Zm9v"},
	                                     {"foob", "Zm9vYg=="},
	                                     {"fooba", "Zm9vYmE="},
	                                     {"foobar", "Zm9vYmFy"}};
	unsigned char all[256];

	for (size_t i = 0; i < sizeof vec / sizeof vec[0]; i++) {
		char *e = codec_base64_encode(vec[i][0], strlen(vec[i][0]));
		ck_assert_str_eq(e, vec[i][1]);
		free(e);
	}
	for (int i = 0; i < 256; i++)
		all[i] = (unsigned char)(255 - i);
	char *e = codec_base64_encode(all, sizeof all);
	size_t n = 0;
	long bad = 0;
	unsigned char *d = codec_base64_decode(e, strlen(e), CODEC_B64_STRICT, &n, &bad);
	ck_assert_ptr_nonnull(d);
	ck_assert_uint_eq(n, sizeof all);
	ck_assert_mem_eq(d, all, sizeof all);
	free(d);
	free(e);
}
END_TEST

/* Long texts go through whole quads first (decode_quads()), then the
 * careful pass: every length and every place of a fault reads as a byte at
 * a time did, in both modes. */
START_TEST(base64_long_runs)
{
	unsigned char raw[64];

	for (size_t i = 0; i < sizeof raw; i++)
		raw[i] = (unsigned char)(i * 37 + 11);
	for (size_t len = 0; len <= sizeof raw; len++) {
		char *e = codec_base64_encode(raw, len);
		size_t elen = strlen(e), n = 0;
		long bad = 0;
		for (int mode = 0; mode < 2; mode++) {
			enum codec_b64_mode m = mode ? CODEC_B64_LENIENT : CODEC_B64_STRICT;
			unsigned char *d = codec_base64_decode(e, elen, m, &n, &bad);
			ck_assert_msg(d && n == len && !memcmp(d, raw, len), "length %zu", len);
			free(d);
		}
		/* A bad letter anywhere is found where it is. */
		for (size_t at = 0; at < elen; at++) {
			char saved = e[at];
			e[at] = '!';
			ck_assert_ptr_null(
			        codec_base64_decode(e, elen, CODEC_B64_STRICT, &n, &bad));
			ck_assert_int_eq(bad, (long)at);
			/* A blank: strict refuses it, lenient reads past it. */
			e[at] = '\n';
			ck_assert_ptr_null(
			        codec_base64_decode(e, elen, CODEC_B64_STRICT, &n, &bad));
			ck_assert_int_eq(bad, (long)at);
			e[at] = saved;
		}
		free(e);
	}
	/* URL-safe letters in the middle of a long text: lenient only. */
	const char *url = "AAAAAAAAAAAAAAAA-_-_AAAAAAAAAAAAAAAA";
	size_t n = 0;
	long bad = 0;
	unsigned char *d = codec_base64_decode(url, strlen(url), CODEC_B64_LENIENT, &n, &bad);
	ck_assert_ptr_nonnull(d);
	ck_assert_uint_eq(n, 27);
	ck_assert_uint_eq(d[12], 0xfb);
	ck_assert_uint_eq(d[13], 0xff);
	free(d);
	ck_assert_ptr_null(codec_base64_decode(url, strlen(url), CODEC_B64_STRICT, &n, &bad));
	ck_assert_int_eq(bad, 16);
	/* Padding in the middle of a long text ends it: what follows is bad. */
	const char *mid = "AAAAAAAAAAAAAA==AAAAAAAAAAAA";
	ck_assert_ptr_null(codec_base64_decode(mid, strlen(mid), CODEC_B64_STRICT, &n, &bad));
	ck_assert_int_eq(bad, 16);
}
END_TEST

START_TEST(wipe)
{
	char buf[] = "secret";

	codec_wipe(buf, sizeof buf - 1);
	ck_assert_mem_eq(buf, "\0\0\0\0\0\0", sizeof buf);
	codec_wipe_free(NULL);
	codec_wipe_free(strdup("token"));
}
END_TEST

START_TEST(json_wipe)
{
	cJSON *j = cJSON_Parse("{\"status\":{\"token\":\"sekret\",\"list\":[\"ab\"]},\"n\":1}");
	char *tok = cJSON_GetObjectItem(cJSON_GetObjectItem(j, "status"), "token")->valuestring;
	char *item =
	        cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "status"), "list"), 0)
	                ->valuestring;

	codec_json_wipe(j);
	ck_assert_mem_eq(tok, "\0\0\0\0\0\0", 6);
	ck_assert_mem_eq(item, "\0\0", 2);
	cJSON_Delete(j);
	codec_json_wipe(NULL);
}
END_TEST

/* The error codec_yaml_load gives for TEXT ("" when it loads). */
static const char *yaml_fault(const char *text, size_t len, unsigned long *second)
{
	static char err[512];
	yaml_document_t doc;

	err[0] = '\0';
	if (codec_yaml_load("f.yaml", text, len, &doc, second, err, sizeof err) == 0)
		codec_yaml_free(&doc);
	else
		ck_assert_msg(err[0], "a failure without a message");
	return err;
}

START_TEST(yaml_errors)
{
	unsigned long second;

	ck_assert_str_eq(yaml_fault("a: 1\n", 5, NULL), "");
	/* libyaml gives no context here: no stray line numbers follow. */
	ck_assert_str_eq(yaml_fault("a: *x\n", 6, NULL),
	                 "f.yaml:1:4: invalid YAML: found undefined alias");
	ck_assert_str_eq(yaml_fault("a: [1, 2\n", 9, NULL),
	                 "f.yaml:2:1: invalid YAML: did not find expected ',' or ']' while parsing "
	                 "a flow sequence that starts at line 1, column 4");
	ck_assert_str_eq(yaml_fault("a: 1\n---\nb: 2\n", 14, &second), "");
	ck_assert_uint_eq(second, 2);
	ck_assert_str_eq(yaml_fault("a: 1\n---\n", 9, &second), "");
	ck_assert_uint_eq(second, 0);
}
END_TEST

START_TEST(yaml_depth)
{
	size_t n = 100000;
	char *deep = malloc(n + 1);

	/* 100,000 '[': refused at once, where the 65th level opens. */
	memset(deep, '[', n);
	deep[n] = '\0';
	int64_t t0 = monotime_ms();
	ck_assert_str_eq(yaml_fault(deep, n, NULL), "f.yaml:1:65: nested deeper than 64 levels");
	ck_assert_msg(monotime_ms() - t0 < 2000, "took %lld ms", (long long)(monotime_ms() - t0));
	/* Block mappings count the same; 64 levels are fine. */
	size_t cap = 70 * 70 * 2 + 16, used = 0;
	char *block = malloc(cap);
	for (int level = 0; level < 64; level++)
		used += (size_t)snprintf(block + used, cap - used, "%*sk%d:\n", level, "", level);
	ck_assert_str_eq(yaml_fault(block, used, NULL), "");
	used += (size_t)snprintf(block + used, cap - used, "%*sdeeper: {x: 1}\n", 64, "");
	ck_assert_str_eq(yaml_fault(block, used, NULL),
	                 "f.yaml:65:65: nested deeper than 64 levels");
	free(block);
	free(deep);
}
END_TEST

/* Every token of TEXT, one letter each (E error, . end, {}[], : key,
 * s string, n number, t, f, 0 null), up to the end or the fault; WHY gets
 * the fault. */
static const char *scan_all(const char *text, char *why, size_t whylen)
{
	static char out[256];
	struct codec_scan s;
	struct codec_text t;
	enum codec_tok k;
	size_t n = 0;

	codec_scan_init(&s, text, strlen(text));
	do {
		k = codec_scan_next(&s, &t);
		out[n++] = "E.{}[]:sntf0"[k];
	} while (k != CODEC_T_END && k != CODEC_T_ERROR && n < sizeof out - 1);
	out[n] = '\0';
	snprintf(why, whylen, "%s", s.why);
	return out;
}

START_TEST(scan_tokens_and_faults)
{
	char why[160];

	ck_assert_str_eq(
	        scan_all(" [{\"a\": 1, \"b\": [true, null, \"x\"]}, {}, false] ", why, sizeof why),
	        "[{:n:[t0s]}{}f].");
	ck_assert_str_eq(why, "");
	ck_assert_str_eq(scan_all("\"\\\"\" ", why, sizeof why), "s.");
	ck_assert_str_eq(scan_all(" \n", why, sizeof why), "E");
	ck_assert_str_eq(why, "empty body where JSON was expected");
	ck_assert_str_eq(scan_all("[{\"a\": 1}", why, sizeof why), "[{:n}E");
	ck_assert_str_eq(why, "invalid JSON: the text ends early (truncated after 9 bytes)");
	ck_assert_str_eq(scan_all("{} x", why, sizeof why), "{}E");
	ck_assert_str_eq(why, "invalid JSON: unexpected text after the value at byte 3");
	ck_assert_str_eq(scan_all("{\"a\": nul}", why, sizeof why), "{:E");
	ck_assert_str_eq(why, "invalid JSON at byte 6 of 10: an unknown word");
	ck_assert_str_eq(scan_all("[1 2]", why, sizeof why), "[nE");
	ck_assert_str_eq(why, "invalid JSON at byte 3 of 5: ',' or ']' was expected");
	ck_assert_str_eq(scan_all("{\"a\" 1}", why, sizeof why), "{E");
	ck_assert_str_eq(scan_all("[1}", why, sizeof why), "[nE");
	ck_assert_str_eq(scan_all("\"a\tb\"", why, sizeof why), "E");
	/* Deep nesting stops at the limit instead of overflowing. */
	char deep[CODEC_SCAN_DEPTH + 2];
	memset(deep, '[', sizeof deep - 1);
	deep[sizeof deep - 1] = '\0';
	scan_all(deep, why, sizeof why);
	ck_assert(strstr(why, "nested deeper than"));
}
END_TEST

/* The scanner refuses what cJSON refuses (cJSON_ParseWithLengthOpts, which
 * codec_json_parse() uses): bad escapes and numbers outside RFC 8259's
 * grammar; a byte at fault is named by its value, never copied into the
 * text. A lone surrogate stays accepted (decoded to U+FFFD). */
/* A long string is read eight bytes at a time (plain_run()): a quote, a
 * backslash or a control character anywhere in it is seen where it is, as
 * cJSON sees it, and bytes of UTF-8 are plain. */
START_TEST(scan_long_strings)
{
	char text[64];
	struct codec_scan s;
	struct codec_text t;

	for (size_t at = 1; at < 40; at++) {
		/* "aaaa...": 40 letters of 2-byte UTF-8 and ASCII, one of them changed. */
		memset(text, 0, sizeof text);
		text[0] = '"';
		for (size_t i = 1; i < 41; i++)
			text[i] = i % 3 ? 'a' : (char)0xc3;
		text[41] = '"';
		codec_scan_init(&s, text, 42);
		ck_assert_int_eq(codec_scan_next(&s, &t), CODEC_T_STRING);
		ck_assert_uint_eq(t.len, 40);
		/* A control character: the string is refused (the fault names
		 * where it begins). */
		char saved = text[at];
		text[at] = '\x01';
		codec_scan_init(&s, text, 42);
		ck_assert_int_eq(codec_scan_next(&s, &t), CODEC_T_ERROR);
		ck_assert_str_eq(s.why, "invalid JSON at byte 1 of 42: a bad string");
		/* A quote: the string ends there. */
		text[at] = '"';
		codec_scan_init(&s, text, (size_t)at + 1);
		ck_assert_int_eq(codec_scan_next(&s, &t), CODEC_T_STRING);
		ck_assert_uint_eq(t.len, at - 1);
		/* A backslash: an escape, read as one. */
		text[at] = '\\';
		text[at + 1] = 'n';
		codec_scan_init(&s, text, 42);
		ck_assert_int_eq(codec_scan_next(&s, &t), CODEC_T_STRING);
		ck_assert(t.escaped);
		ck_assert_uint_eq(t.len, 40);
		text[at] = saved;
	}
}
END_TEST

START_TEST(scan_checks_escapes_and_numbers)
{
	static const char *const good[] = {
	        "\"\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u00e9 \\uABCD \\ud800\"",
	        "0",
	        "-0",
	        "7",
	        "-12",
	        "10",
	        "0.5",
	        "-1.25",
	        "1e9",
	        "1E+9",
	        "2.5e-3",
	        "0e0",
	        "[0, -1, 2.0e1]",
	        "{\"a\": 1e2}",
	};
	static const char *const bad_string[] = {
	        "\"\\x\"", "\"\\u12G4\"", "\"\\u12\"", "\"a\\\"", "\"\\'\"", "\"\\U0041\"",
	};
	static const char *const bad_number[] = {
	        "01",  "-01", "1-2",   "1.",   "1.e3", ".5",    "1e",          "1e+",
	        "--1", "-",   "1.2.3", "1ee3", "+1",   "[1-2]", "{\"a\": 00}",
	};
	char why[160];

	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		const char *r = scan_all(good[i], why, sizeof why);
		ck_assert_msg(r[strlen(r) - 1] == '.', "refused %s: %s", good[i], why);
	}
	for (size_t i = 0; i < sizeof bad_string / sizeof bad_string[0]; i++) {
		ck_assert_str_eq(scan_all(bad_string[i], why, sizeof why), "E");
		ck_assert_msg(strstr(why, "invalid JSON") != NULL, "%s: %s", bad_string[i], why);
	}
	for (size_t i = 0; i < sizeof bad_number / sizeof bad_number[0]; i++) {
		const char *r = scan_all(bad_number[i], why, sizeof why);
		ck_assert_msg(r[strlen(r) - 1] == 'E', "accepted %s", bad_number[i]);
	}
	ck_assert_str_eq(scan_all("\"a\\\"", why, sizeof why), "E");
	ck_assert_str_eq(why, "invalid JSON: the text ends early (truncated after 4 bytes)");
	/* Cut inside an escape, a word or a number: the text ends early, as
	 * codec_json_parse() says (it said "a bad escape", "an unknown word"). */
	static const char *const cut[] = {"[\"a\\", "[\"\\u00", "[tr", "{\"a\": nu",
	                                  "[-",     "[1.",      "[2e+"};
	for (size_t i = 0; i < sizeof cut / sizeof cut[0]; i++) {
		char want[96];
		scan_all(cut[i], why, sizeof why);
		snprintf(want, sizeof want,
		         "invalid JSON: the text ends early (truncated after %zu bytes)",
		         strlen(cut[i]));
		ck_assert_msg(!strcmp(why, want), "%s: %s", cut[i], why);
	}
	ck_assert_str_eq(scan_all("\"\\x\"", why, sizeof why), "E");
	ck_assert_str_eq(why, "invalid JSON at byte 1 of 4: a bad escape");
	ck_assert_str_eq(scan_all("[1-2]", why, sizeof why), "[E");
	ck_assert_str_eq(why, "invalid JSON at byte 1 of 5: a bad number");
	/* A byte at fault by its value: a body's control bytes stay out. */
	ck_assert_str_eq(scan_all("[\x1b]", why, sizeof why), "[E");
	ck_assert_str_eq(why, "invalid JSON at byte 1 of 3: unexpected byte 0x1b");
	ck_assert_str_eq(scan_all("[\xff]", why, sizeof why), "[E");
	ck_assert_str_eq(why, "invalid JSON at byte 1 of 3: unexpected byte 0xff");
}
END_TEST

/* The member a decoder takes for a field (codec_scan_field): exactly, else
 * in any case; the first of a field's members wins, and one written in the
 * field's own case wins over one that is not; other keys are skipped. */
START_TEST(scan_field_choice)
{
	static const char *const names[] = {"Name", "State"};
	const char *json = "{\"name\":1,\"Name\":2,\"NAME\":3,\"Name\":4,\"x\":5,"
	                   "\"STATE\":6,\"state\":7}";
	unsigned char seen[2] = {0};
	struct codec_scan s;
	struct codec_text t;
	char got[32] = "";

	codec_scan_init(&s, json, strlen(json));
	ck_assert_int_eq(codec_scan_next(&s, &t), CODEC_T_OBJECT);
	while (codec_scan_next(&s, &t) == CODEC_T_KEY) {
		int f = codec_scan_field(&t, names, 2, seen);
		ck_assert_int_eq(codec_scan_next(&s, &t), CODEC_T_NUMBER);
		if (f >= 0)
			snprintf(got + strlen(got), sizeof got - strlen(got), "%c%.*s", "NS"[f],
			         (int)t.len, t.p);
	}
	/* name (1) taken, Name (2) over it; NAME and the second Name skipped;
	 * STATE (6) taken, state skipped. */
	ck_assert_str_eq(got, "N1N2S6");
}
END_TEST

START_TEST(scan_text_and_skip)
{
	const char *json =
	        "{\"x\": {\"y\": [1, {\"z\": []}]}, \"name\": \"caf\\u00e9 \\ud83d\\ude00 "
	        "\\ud800 \\n\\\"\\\\/\"}";
	struct codec_scan s;
	struct codec_text t;
	char buf[128];

	codec_scan_init(&s, json, strlen(json));
	ck_assert_int_eq(codec_scan_next(&s, &t), CODEC_T_OBJECT);
	ck_assert_int_eq(codec_scan_next(&s, &t), CODEC_T_KEY);
	ck_assert(codec_scan_key_is(&t, "X"));
	ck_assert(!codec_scan_key_is(&t, "xy"));
	/* The whole nested value goes at once. */
	ck_assert(codec_scan_skip(&s, codec_scan_next(&s, &t)));
	ck_assert_int_eq(codec_scan_next(&s, &t), CODEC_T_KEY);
	ck_assert_int_eq(codec_scan_next(&s, &t), CODEC_T_STRING);
	ck_assert(t.escaped);
	size_t n = codec_scan_text(&t, buf);
	/* A pair of surrogates is one character; a lone one is U+FFFD. */
	ck_assert_str_eq(buf, "caf\xc3\xa9 \xf0\x9f\x98\x80 \xef\xbf\xbd \n\"\\/");
	ck_assert_uint_eq(n, strlen(buf));
	ck_assert_uint_le(n, t.len);
	ck_assert_int_eq(codec_scan_next(&s, &t), CODEC_T_OBJECT_END);
	ck_assert_int_eq(codec_scan_next(&s, &t), CODEC_T_END);
}
END_TEST

static Suite *codec_suite(void)
{
	Suite *s = suite_create("codec");
	TCase *tc = tcase_create("codec");

	tcase_add_test(tc, json_faults);
	tcase_add_test(tc, base64_modes);
	tcase_add_test(tc, base64_encode);
	tcase_add_test(tc, base64_long_runs);
	tcase_add_test(tc, hash_bytes);
	tcase_add_test(tc, wipe);
	tcase_add_test(tc, json_wipe);
	tcase_add_test(tc, yaml_errors);
	tcase_add_test(tc, yaml_depth);
	tcase_add_test(tc, scan_tokens_and_faults);
	tcase_add_test(tc, scan_checks_escapes_and_numbers);
	tcase_add_test(tc, scan_long_strings);
	tcase_add_test(tc, scan_text_and_skip);
	tcase_add_test(tc, scan_field_choice);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN(codec_suite)
