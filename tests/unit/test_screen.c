/* The screen's text: what ui_screen_put() writes into a window and how many
 * cells ui_screen_width() says a text takes, for plain ASCII (drawn without
 * decoding) and for the rest (sanitised, decoded, measured with wcwidth):
 * both ways give the same cells. Curses runs on a screen of its own whose
 * output goes to /dev/null. */
#include "autoconfig.h"

#include "unit.h"

#include "ui_internal.h"

#include <locale.h>
#include <stdio.h>
#include <string.h>
#include <wchar.h>

static SCREEN *scr;
static FILE *io; /* /dev/null, the screen's input and output */

static void setup(void)
{
	ck_assert_ptr_nonnull(setlocale(LC_ALL, "C.UTF-8"));
	io = fopen("/dev/null", "r+");
	ck_assert_ptr_nonnull(io);
	scr = newterm("xterm", io, io);
	ck_assert_ptr_nonnull(scr);
}

static void teardown(void)
{
	endwin();
	delscreen(scr);
	fclose(io);
}

/* The cells of row Y from X, W of them, as UTF-8. */
static const char *cells(int y, int x, int w)
{
	static char text[1024];
	wchar_t wc[512];
	cchar_t cc;
	size_t o = 0;

	for (int i = 0; i < w && i < 511; i++) {
		attr_t a;
		short pair;
		wchar_t one[CCHARW_MAX + 1];
		ck_assert_int_ne(mvin_wch(y, x + i, &cc), ERR);
		ck_assert_int_ne(getcchar(&cc, one, &a, &pair, NULL), ERR);
		wc[o++] = one[0] ? one[0] : L' ';
	}
	wc[o] = L'\0';
	ck_assert_int_ne((int)wcstombs(text, wc, sizeof text), -1);
	return text;
}

START_TEST(ascii_is_drawn_as_it_is)
{
	ck_assert_int_eq(ui_screen_width("cluster-01"), 10);
	ck_assert_int_eq(ui_screen_width(""), 0);
	ck_assert_int_eq(ui_screen_width(NULL), 0);
	ck_assert_int_eq(ui_screen_put(0, 0, 20, "cluster-01", A_NORMAL, false), 10);
	ck_assert_str_eq(cells(0, 0, 12), "cluster-01  ");
	/* Cut to the cells given; padded when asked. */
	ck_assert_int_eq(ui_screen_put(1, 0, 4, "ACTIVE", A_NORMAL, false), 4);
	ck_assert_str_eq(cells(1, 0, 6), "ACTI  ");
	ck_assert_int_eq(ui_screen_put(2, 0, 8, "ok", A_NORMAL, true), 8);
	ck_assert_str_eq(cells(2, 0, 8), "ok      ");
}
END_TEST

START_TEST(long_ascii_is_cut_as_before)
{
	char big[3000];

	memset(big, 'a', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	/* What the sanitised copy holds: 2,047 bytes. */
	ck_assert_int_eq(ui_screen_width(big), 2047);
	ck_assert_int_eq(ui_screen_put(0, 0, 70, big, A_NORMAL, false), 70);
	ck_assert_str_eq(cells(0, 68, 4), "aa  ");
}
END_TEST

START_TEST(the_rest_is_sanitised_and_measured)
{
	/* A control character is shown escaped: "\x1b" takes four cells. */
	ck_assert_int_eq(ui_screen_width("a\x1b[31mb"), 10);
	ck_assert_int_eq(ui_screen_put(0, 0, 20, "a\x1b[31mb", A_NORMAL, false), 10);
	ck_assert_str_eq(cells(0, 0, 10), "a\\x1b[31mb");
	/* Wide characters take two cells each, and one that does not fit
	 * whole is left out. */
	ck_assert_int_eq(ui_screen_width("日本"), 4);
	ck_assert_int_eq(ui_screen_put(1, 0, 3, "日本", A_NORMAL, false), 2);
	ck_assert_int_eq(ui_screen_width("—"), 1);
	ck_assert_int_eq(ui_screen_put(2, 0, 10, "a — b", A_NORMAL, false), 5);
	ck_assert_str_eq(cells(2, 0, 5), "a — b");
	/* A tab and DEL are not plain either. */
	ck_assert_int_eq(ui_screen_width("a\tb"), 4);
	ck_assert_int_eq(ui_screen_width("a\x7f"), 5);
}
END_TEST

static Suite *screen_suite(void)
{
	Suite *s = suite_create("screen");
	TCase *tc = tcase_create("text");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, ascii_is_drawn_as_it_is);
	tcase_add_test(tc, long_ascii_is_cut_as_before);
	tcase_add_test(tc, the_rest_is_sanitised_and_measured);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN(screen_suite)
