/* script: every step parsed, every mistake named with file:line, and the
 * tour shipped with the program parsing. */
#include "autoconfig.h"

#include "unit.h"

#include "peerscope/actions.h"
#include "peerscope/script.h"

#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int parse(const char *text, struct script *sc, char *err, size_t len)
{
	return script_parse("t.script", text, strlen(text), sc, err, len);
}

START_TEST(every_step)
{
	static const char text[] = "# a comment\n"
	                           "pace 250ms\n"
	                           "say \"Peer \\\"them\\\"\" at peerings cluster-01  # trailing\n"
	                           "keys p Enter Esc Tab C-l F9\n"
	                           "type \"cluster-03\"\n"
	                           "command :peer cluster-01 cluster-03\n"
	                           "\n"
	                           "wait 2s\n"
	                           "wait-until \"Enter: close\" 3m\r\n"
	                           "sim gateway cluster-01 critical\n"
	                           "pause\n";
	struct script sc;
	char err[256] = "";

	ck_assert_msg(parse(text, &sc, err, sizeof err) == 0, "%s", err);
	ck_assert_uint_eq(sc.n, 9);
	ck_assert_int_eq(sc.v[0].op, SCRIPT_PACE);
	ck_assert_int_eq(sc.v[0].ms, 250);
	ck_assert_int_eq(sc.v[1].op, SCRIPT_SAY);
	ck_assert_str_eq(sc.v[1].text, "Peer \"them\"");
	ck_assert_str_eq(sc.v[1].pane, "peerings");
	ck_assert_str_eq(sc.v[1].row, "cluster-01");
	ck_assert_uint_eq(sc.v[1].line, 3);
	ck_assert_int_eq(sc.v[2].op, SCRIPT_KEYS);
	ck_assert_uint_eq(sc.v[2].nkeys, 6);
	ck_assert_int_eq(sc.v[2].keys[0], 'p');
	ck_assert_int_eq(sc.v[2].keys[4], 12);
	ck_assert_int_eq(sc.v[2].keys[5], KEY_F(9));
	ck_assert_str_eq(sc.v[3].text, "cluster-03");
	ck_assert_str_eq(sc.v[4].text, ":peer cluster-01 cluster-03");
	ck_assert_int_eq(sc.v[5].ms, 2000);
	ck_assert_int_eq(sc.v[6].op, SCRIPT_WAIT_UNTIL);
	ck_assert_str_eq(sc.v[6].text, "Enter: close");
	ck_assert_int_eq(sc.v[6].ms, 180000);
	ck_assert_uint_eq(sc.v[7].argc, 3);
	ck_assert_str_eq(sc.v[7].argv[2], "critical");
	ck_assert_int_eq(sc.v[8].op, SCRIPT_PAUSE);
	ck_assert_uint_eq(sc.v[8].line, 11);
	script_free(&sc);
}
END_TEST

static void rejects(const char *text, const char *want)
{
	struct script sc;
	char err[512] = "";

	ck_assert_int_eq(parse(text, &sc, err, sizeof err), -1);
	ck_assert_msg(strstr(err, want), "%s: got \"%s\"", text, err);
	ck_assert_uint_eq(sc.n, 0);
	ck_assert_ptr_null(sc.v);
}

START_TEST(mistakes_named_with_their_line)
{
	rejects("pace 1s\nfly away\n", "t.script:2: unknown step 'fly'");
	rejects("keys p Hyper\n", "t.script:1: 'Hyper' is not a key name");
	rejects("wait soon\n", "t.script:1: 'soon' is not a duration");
	rejects("say \"open\n", "t.script:1: a quote is not closed");
	rejects("say \"x\" at nowhere\n", "'nowhere' is not a pane");
	rejects("say \"x\" in peerings\n", "found 'in' where 'at' goes");
	rejects("sim explode cluster-01\n", "sim needs a command");
	rejects("pause now\n", "pause takes nothing");
	rejects("keys\n", "keys needs one to 32 key names");
	rejects("# only a comment\n\n", "t.script: no step in the script");
	/* A NUL inside a line: a binary file. */
	struct script sc;
	char err[256] = "";
	static const char nul[] = "pace 1s\nsay \"a\0b\"\n";
	ck_assert_int_eq(script_parse("t.script", nul, sizeof nul - 1, &sc, err, sizeof err), -1);
	ck_assert_str_eq(err, "t.script:2: a NUL byte: this is not a script");
}
END_TEST

START_TEST(load_refuses_what_is_not_a_file)
{
	struct script sc;
	char err[512];

	ck_assert_int_eq(script_load("/nonexistent/t.script", &sc, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "/nonexistent/t.script: No such file"));
	ck_assert_int_eq(script_load("/", &sc, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "/: not a regular file"));
}
END_TEST

/* The tour shipped with the program is a valid script, and it pauses for
 * the presenter. */
START_TEST(the_tour_parses)
{
	char path[4096], err[512];
	const char *top = getenv("top_srcdir");
	struct script sc;
	size_t pauses = 0;

	snprintf(path, sizeof path, "%s/data/tour.script", top ? top : ".");
	ck_assert_msg(script_load(path, &sc, err, sizeof err) == 0, "%s", err);
	for (size_t i = 0; i < sc.n; i++)
		pauses += sc.v[i].op == SCRIPT_PAUSE;
	ck_assert_uint_gt(pauses, 5);
	script_free(&sc);
	snprintf(path, sizeof path, "%s/doc/example.script", top ? top : ".");
	ck_assert_msg(script_load(path, &sc, err, sizeof err) == 0, "%s", err);
	script_free(&sc);
}
END_TEST

static Suite *script_suite(void)
{
	Suite *s = suite_create("script");
	TCase *tc = tcase_create("script");

	tcase_add_test(tc, every_step);
	tcase_add_test(tc, mistakes_named_with_their_line);
	tcase_add_test(tc, load_refuses_what_is_not_a_file);
	tcase_add_test(tc, the_tour_parses);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN(script_suite)
