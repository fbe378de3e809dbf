/* term: the one rule for outside text shown on a terminal, in a log or in
 * JSON: controls of every kind escaped, bidirectional controls neutralised,
 * invalid UTF-8 replaced; the printf family that applies it to arguments. */
#include "autoconfig.h"

#include "unit.h"

#include "peerscope/term.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *safe(const char *in)
{
	static char out[512];

	term_sanitize(in, out, sizeof out, 0);
	return out;
}

START_TEST(terminal_controls)
{
	/* OSC 0 (title), OSC 52 (clipboard), CSI 2J: nothing reaches the terminal. */
	ck_assert_str_eq(safe("dc\x1b]0;owned\x07"), "dc\\x1b]0;owned\\x07");
	ck_assert_str_eq(safe("\x1b]52;c;cm0gLXJmIH4=\x1b\\"), "\\x1b]52;c;cm0gLXJmIH4=\\x1b\\");
	ck_assert_str_eq(safe("a\x1b[2Jb"), "a\\x1b[2Jb");
	ck_assert_str_eq(safe("line\nnext\r\tx\x7f"), "line\\nnext\\r\\tx\\x7f");
	/* C1 CSI (U+009B) and NEL (U+0085), as UTF-8. */
	ck_assert_str_eq(safe("a\xc2\x9b"
	                      "2Jb\xc2\x85"),
	                 "a\\u009b2Jb\\u0085");
	/* Bidirectional overrides, isolates and marks. */
	ck_assert_str_eq(safe("abc\xe2\x80\xae"
	                      "fed"),
	                 "abc\\u202efed");
	ck_assert_str_eq(safe("\xe2\x80\xaa\xe2\x81\xa6\xe2\x81\xa9\xe2\x80\x8f"),
	                 "\\u202a\\u2066\\u2069\\u200f");
	ck_assert_str_eq(safe("\xe2\x80\xa8"), "\\u2028");
	/* Printable text, UTF-8 included, passes. */
	ck_assert_str_eq(safe("caf\xc3\xa9 \xe6\x9d\xb1\xe4\xba\xac \xf0\x9f\x98\x80 a\\b"),
	                 "caf\xc3\xa9 \xe6\x9d\xb1\xe4\xba\xac \xf0\x9f\x98\x80 a\\b");
	ck_assert_str_eq(safe(NULL), "");
}
END_TEST

START_TEST(invalid_utf8)
{
	/* A raw C1 byte, a lone continuation, a cut sequence, an overlong
	 * '/', a surrogate and a code point past U+10FFFF: each byte is U+FFFD. */
	ck_assert_str_eq(safe("a\x9b"
	                      "b"),
	                 "a\xef\xbf\xbd"
	                 "b");
	ck_assert_str_eq(safe("\x80"), "\xef\xbf\xbd");
	ck_assert_str_eq(safe("x\xe2\x80"), "x\xef\xbf\xbd\xef\xbf\xbd");
	ck_assert_str_eq(safe("\xc0\xaf"), "\xef\xbf\xbd\xef\xbf\xbd");
	ck_assert_str_eq(safe("\xed\xa0\x80"), "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	ck_assert_str_eq(safe("\xf4\x90\x80\x80"),
	                 "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	ck_assert(!term_is_safe("\xff", 0));
	ck_assert(term_is_safe("ok \xc3\xa9", 0));
}
END_TEST

START_TEST(idempotent_and_cut)
{
	const char *nasty = "\x1b[31m\xc2\x9b\xe2\x80\xae\xff\n";
	char once[128], twice[128], small[8];

	term_sanitize(nasty, once, sizeof once, 0);
	term_sanitize(once, twice, sizeof twice, 0);
	ck_assert_str_eq(once, twice);
	ck_assert(term_is_safe(once, 0));
	/* Cut at a whole piece, the full length returned. */
	size_t n = term_sanitize("ab\x1b"
	                         "cd",
	                         small, sizeof small, 0);
	ck_assert_uint_eq(n, 8);
	ck_assert_str_eq(small, "ab\\x1bc");
	n = term_sanitize("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", small, sizeof small, 0);
	ck_assert_str_eq(small, "\xc3\xa9\xc3\xa9\xc3\xa9");
	char buf[16] = "a\x1b"
	               "b";
	term_sanitize_inplace(buf, sizeof buf, 0);
	ck_assert_str_eq(buf, "a\\x1bb");
	char *d = term_sanitize_dup("x\ny\tz", TERM_KEEP_NEWLINE | TERM_KEEP_TAB);
	ck_assert_str_eq(d, "x\ny\tz");
	free(d);
}
END_TEST

static char *printed(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *printed(const char *fmt, ...)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	va_list ap;

	ck_assert_ptr_nonnull(f);
	va_start(ap, fmt);
	term_vfprintf(f, fmt, ap);
	va_end(ap);
	fclose(f);
	return buf;
}

START_TEST(printf_arguments)
{
	char *s;

	/* The format is the program's: its newline stays; arguments are made safe. */
	s = printed("%-8s|%s\n", "dc\x1b[2J", "x");
	ck_assert_str_eq(s, "dc\\x1b[2J|x\n");
	free(s);
	/* Widths count characters, so UTF-8 names line up. */
	s = printed("[%-6s][%6s][%.2s][%-*s]", "\xc3\xa9t\xc3\xa9", "ab",
	            "\xc3\xa9\xc3\xa9\xc3\xa9", 4, "z");
	ck_assert_str_eq(s, "[\xc3\xa9t\xc3\xa9   ][    ab][\xc3\xa9\xc3\xa9][z   ]");
	free(s);
	s = printed("%d %5ld %-3u| %zu %lld %x %05.1f %c %c %%", -4, 12L, 7u, (size_t)9, -5LL, 255u,
	            3.14159, 'q', '\x1b');
	ck_assert_str_eq(s, "-4    12 7  | 9 -5 ff 003.1 q \\x1b %");
	free(s);
	const char *none = getenv("PEERSCOPE_TEST_UNSET_VARIABLE");
	s = printed("%s", none);
	ck_assert_str_eq(s, "(null)");
	free(s);
	s = printed("%*d|%-*d|%.*f", 4, 1, 3, 2, 2, 1.0);
	ck_assert_str_eq(s, "   1|2  |1.00");
	free(s);
	char small[8];
	int n = term_snprintf(small, sizeof small, "%s", "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9");
	ck_assert_int_eq(n, 8);
	ck_assert_str_eq(small, "\xc3\xa9\xc3\xa9\xc3\xa9");
	/* Longer than the stack buffer. */
	char big[3000];
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	s = printed("<%s>", big);
	ck_assert_uint_eq(strlen(s), sizeof big + 1);
	free(s);
}
END_TEST

START_TEST(json_text)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "name",
	                        "svc\xff\xc2\x9b\xe2\x80\xae\x7f\x1b"
	                        "end");
	char *raw = cJSON_PrintUnformatted(o);
	char *j = term_json(raw);

	ck_assert_str_eq(j, "{\"name\":\"svc\\ufffd\\u009b\\u202e\\u007f\\u001bend\"}");
	ck_assert(term_is_safe(j, 0));
	/* A strict reader gets the same characters back, bar the bad byte. */
	cJSON *back = cJSON_Parse(j);
	ck_assert_str_eq(cJSON_GetObjectItem(back, "name")->valuestring,
	                 "svc\xef\xbf\xbd\xc2\x9b\xe2\x80\xae\x7f\x1b"
	                 "end");
	cJSON_Delete(back);
	free(j);
	free(raw);
	cJSON_Delete(o);
	/* Pretty output keeps its layout. */
	j = term_json("{\n\t\"a\": \"\xc3\xa9\"\n}");
	ck_assert_str_eq(j, "{\n\t\"a\": \"\xc3\xa9\"\n}");
	free(j);
}
END_TEST

static Suite *term_suite(void)
{
	Suite *s = suite_create("term");
	TCase *tc = tcase_create("term");

	tcase_add_test(tc, terminal_controls);
	tcase_add_test(tc, invalid_utf8);
	tcase_add_test(tc, idempotent_and_cut);
	tcase_add_test(tc, printf_arguments);
	tcase_add_test(tc, json_text);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN(term_suite)
