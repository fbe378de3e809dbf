/* theme: colour names, reduction, resolution, theme files and fallbacks. */
#include "autoconfig.h"

#include "unit.h"

#include "peerscope/theme.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char *shipped_dir(void)
{
	static char dir[4096];
	const char *top = getenv("top_srcdir");

	snprintf(dir, sizeof dir, "%s/themes", top ? top : ".");
	return dir;
}

static bool diags_contain(const struct theme_diags *d, const char *text)
{
	for (size_t i = 0; i < d->n; i++)
		if (strstr(d->v[i], text))
			return true;
	return false;
}

START_TEST(role_names)
{
	for (int r = 0; r < THEME_ROLE_COUNT; r++) {
		const char *name = theme_role_name((enum theme_role)r);
		ck_assert_ptr_nonnull(name);
		ck_assert_int_eq(theme_role_parse(name), r);
		ck_assert_ptr_nonnull(theme_role_help((enum theme_role)r));
	}
	ck_assert_int_eq(theme_role_parse("selected"), THEME_SELECTED);
	ck_assert_int_eq(theme_role_parse("Selected"), -1);
	ck_assert_int_eq(theme_role_parse("nope"), -1);
	ck_assert_ptr_null(theme_role_name(THEME_ROLE_COUNT));
}
END_TEST

START_TEST(color_parse)
{
	short c = 99;

	ck_assert(theme_color_parse("red", &c) && c == 1);
	ck_assert(theme_color_parse("Bright-Blue", &c) && c == 12);
	ck_assert(theme_color_parse("gray", &c) && c == 8);
	ck_assert(theme_color_parse("0", &c) && c == 0);
	ck_assert(theme_color_parse("255", &c) && c == 255);
	ck_assert(theme_color_parse("default", &c) && c == THEME_COLOR_DEFAULT);
	ck_assert(theme_color_parse("inherit", &c) && c == THEME_COLOR_INHERIT);
	/* Pure red, white and a mid grey land on the cube and the grey ramp. */
	ck_assert(theme_color_parse("#ff0000", &c) && c == 196);
	ck_assert(theme_color_parse("#FFFFFF", &c) && c == 231);
	ck_assert(theme_color_parse("#808080", &c) && c == 244);
	c = 42;
	ck_assert(!theme_color_parse("256", &c));
	ck_assert(!theme_color_parse("-1", &c));
	ck_assert(!theme_color_parse("#12345", &c));
	ck_assert(!theme_color_parse("#12345g", &c));
	ck_assert(!theme_color_parse("purple", &c));
	ck_assert(!theme_color_parse("", &c));
	ck_assert(!theme_color_parse("12x", &c));
	ck_assert_int_eq(c, 42);
}
END_TEST

START_TEST(attr_parse)
{
	unsigned bit = 77;

	ck_assert(theme_attr_parse("bold", &bit) && bit == THEME_ATTR_BOLD);
	ck_assert(theme_attr_parse("REVERSE", &bit) && bit == THEME_ATTR_REVERSE);
	ck_assert(theme_attr_parse("none", &bit) && bit == 0);
	ck_assert(!theme_attr_parse("blink", &bit));
}
END_TEST

START_TEST(color_reduce)
{
	/* What the terminal has is kept. */
	ck_assert_int_eq(theme_color_reduce(2, 8), 2);
	ck_assert_int_eq(theme_color_reduce(196, 256), 196);
	ck_assert_int_eq(theme_color_reduce(9, 16), 9);
	/* Bright and cube colours fall to the nearest basic one. */
	ck_assert_int_eq(theme_color_reduce(196, 16), 9);
	ck_assert_int_eq(theme_color_reduce(196, 8), 1);
	ck_assert_int_eq(theme_color_reduce(9, 8), 1);
	ck_assert_int_eq(theme_color_reduce(244, 16), 8);
	ck_assert_int_eq(theme_color_reduce(244, 8), 7);
	ck_assert_int_eq(theme_color_reduce(16, 8), 0);
	ck_assert_int_eq(theme_color_reduce(8, 8), 7);
	ck_assert_int_eq(theme_color_reduce(18, 16), 4);
	ck_assert_int_eq(theme_color_reduce(18, 8), 4);
	/* 88-colour terminals are treated as 16. */
	ck_assert_int_eq(theme_color_reduce(196, 88), 9);
	ck_assert_int_eq(theme_color_reduce(THEME_COLOR_DEFAULT, 8), THEME_COLOR_DEFAULT);
}
END_TEST

START_TEST(resolve_color_and_mono)
{
	struct theme t;
	struct theme_resolved r;

	theme_default(&t);
	theme_resolve(&t, 256, true, &r);
	ck_assert(r.color);
	ck_assert_int_eq(r.role[THEME_OK].fg, 2);
	/* Inherited backgrounds take the normal role's (here the terminal's). */
	ck_assert_int_eq(r.role[THEME_OK].bg, THEME_COLOR_DEFAULT);
	ck_assert_int_eq(r.role[THEME_HEADER].bg, 24);
	ck_assert_uint_eq(r.role[THEME_BAD].attrs, THEME_ATTR_BOLD);

	/* NO_COLOR: no colour anywhere, the mono attributes instead. */
	theme_resolve(&t, 256, false, &r);
	ck_assert(!r.color);
	for (int i = 0; i < THEME_ROLE_COUNT; i++) {
		ck_assert_int_eq(r.role[i].fg, THEME_COLOR_DEFAULT);
		ck_assert_int_eq(r.role[i].bg, THEME_COLOR_DEFAULT);
		ck_assert_uint_eq(r.role[i].attrs, t.role[i].mono);
	}
	ck_assert_uint_eq(r.role[THEME_SELECTED].attrs, THEME_ATTR_REVERSE);

	/* A terminal without colours is monochrome too. */
	theme_resolve(&t, 2, true, &r);
	ck_assert(!r.color);
	ck_assert_uint_eq(r.role[THEME_SELECTED].attrs, THEME_ATTR_REVERSE);
}
END_TEST

START_TEST(resolve_inherit_and_collision)
{
	struct theme t;
	struct theme_resolved r;

	theme_default(&t);
	t.role[THEME_NORMAL].fg = 250;
	t.role[THEME_NORMAL].bg = 18;
	t.role[THEME_DIALOG].fg = THEME_COLOR_INHERIT;
	theme_resolve(&t, 256, true, &r);
	ck_assert_int_eq(r.role[THEME_DIALOG].fg, 250);
	ck_assert_int_eq(r.role[THEME_DIALOG].bg, 18);
	ck_assert_int_eq(r.role[THEME_OK].bg, 18);

	/* On 8 colours 18 (dark blue) and 4 (blue) meet: the role must not vanish. */
	t.role[THEME_OK].fg = 4;
	theme_resolve(&t, 8, true, &r);
	ck_assert_int_eq(r.role[THEME_NORMAL].bg, 4);
	ck_assert_int_eq(r.role[THEME_OK].fg, THEME_COLOR_DEFAULT);
	ck_assert_int_eq(r.role[THEME_OK].bg, THEME_COLOR_DEFAULT);
	ck_assert_uint_eq(r.role[THEME_OK].attrs, t.role[THEME_OK].mono);
}
END_TEST

START_TEST(shipped_default_matches_builtin)
{
	struct theme builtin, file;
	struct theme_diags d = {0};
	char path[4200];

	snprintf(path, sizeof path, "%s/default.yaml", shipped_dir());
	theme_default(&builtin);
	ck_assert_int_eq(theme_load_file(path, &file, &d), 0);
	ck_assert_msg(d.n == 0, "%s", d.n ? d.v[0] : "");
	ck_assert_str_eq(file.name, "default");
	for (int i = 0; i < THEME_ROLE_COUNT; i++) {
		const struct theme_style *a = &builtin.role[i], *b = &file.role[i];
		ck_assert_msg(a->fg == b->fg && a->bg == b->bg && a->attrs == b->attrs &&
		                      a->mono == b->mono,
		              "role %s differs between default.yaml and the built-in default",
		              theme_role_name((enum theme_role)i));
	}
	theme_diags_free(&d);
}
END_TEST

START_TEST(shipped_themes_load_cleanly)
{
	static const char *const names[] = {"default", "light", "solarized-dark", "high-contrast",
	                                    "monochrome"};
	const char *dirs[] = {shipped_dir()};
	struct model_strv list;

	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		struct theme t;
		struct theme_diags d = {0};
		ck_assert_int_eq(theme_load(names[i], dirs, 1, &t, &d), 0);
		ck_assert_msg(d.n == 0, "%s: %s", names[i], d.n ? d.v[0] : "");
		ck_assert_str_eq(t.name, names[i]);
		theme_diags_free(&d);
	}
	ck_assert_int_eq(theme_list(dirs, 1, &list), 0);
	ck_assert_uint_eq(list.n, 5);
	ck_assert_str_eq(list.v[0], "default");
	ck_assert_str_eq(list.v[1], "high-contrast");
	ck_assert_str_eq(list.v[4], "solarized-dark");
	model_strv_clear(&list);
}
END_TEST

START_TEST(monochrome_theme_never_colours)
{
	const char *dirs[] = {shipped_dir()};
	struct theme t;
	struct theme_diags d = {0};
	struct theme_resolved r;

	ck_assert_int_eq(theme_load("monochrome", dirs, 1, &t, &d), 0);
	ck_assert(!t.color);
	theme_resolve(&t, 256, true, &r);
	ck_assert(!r.color);
	ck_assert_uint_eq(r.role[THEME_SELECTED].attrs, THEME_ATTR_REVERSE);
	theme_diags_free(&d);
}
END_TEST

START_TEST(partial_theme_overlays_and_warns)
{
	struct theme t, def;
	struct theme_diags d = {0};

	theme_default(&def);
	ck_assert_int_eq(theme_load_file(unit_fixture("themes/partial.yaml"), &t, &d), 0);
	ck_assert_uint_eq(d.errors, 0);
	ck_assert_str_eq(t.name, "partial");
	ck_assert_int_eq(t.role[THEME_OK].fg, 34);
	ck_assert_int_eq(t.role[THEME_BAD].fg, 196);
	ck_assert_uint_eq(t.role[THEME_BAD].attrs, THEME_ATTR_BOLD | THEME_ATTR_UNDERLINE);
	ck_assert_int_eq(t.role[THEME_WARN].fg, 3);
	/* Everything not named keeps the default. */
	ck_assert_int_eq(t.role[THEME_SELECTED].bg, def.role[THEME_SELECTED].bg);
	/* Three unknown keys, each a warning with its line. */
	ck_assert_uint_eq(d.n, 3);
	ck_assert(diags_contain(&d, "partial.yaml:6:3: warning: unknown role \"sparkle\""));
	ck_assert(diags_contain(&d, "partial.yaml:7:22: warning: unknown key \"blink\""));
	ck_assert(diags_contain(&d, "partial.yaml:8:1: warning: unknown key \"flavour\""));
	theme_diags_free(&d);
}
END_TEST

static void check_rejected(const char *fixture, const char *where)
{
	struct theme t, def;
	struct theme_diags d = {0};

	theme_default(&def);
	ck_assert_int_eq(theme_load_file(unit_fixture(fixture), &t, &d), -1);
	ck_assert_uint_ge(d.errors, 1);
	ck_assert_msg(diags_contain(&d, where), "no \"%s\" in \"%s\"", where,
	              d.n ? d.v[0] : "(none)");
	/* A broken theme leaves the complete default, not half of each. */
	ck_assert_str_eq(t.name, "default");
	ck_assert(memcmp(t.role, def.role, sizeof t.role) == 0);
	theme_diags_free(&d);
}

START_TEST(broken_themes_fall_back)
{
	check_rejected("themes/bad-color.yaml", "bad-color.yaml:5:13: error: invalid colour");
	check_rejected("themes/bad-syntax.yaml", "bad-syntax.yaml:4:");
	check_rejected("themes/bad-attr.yaml", "bad-attr.yaml:5:19: error: unknown attribute");
	check_rejected("themes/no-such-file.yaml", "no-such-file.yaml: error: cannot open");
}
END_TEST

START_TEST(load_by_name)
{
	const char *dirs[] = {unit_fixture("themes"), shipped_dir()};
	char first[4096];
	struct theme t;
	struct theme_diags d = {0};

	snprintf(first, sizeof first, "%s", dirs[0]);
	dirs[0] = first;
	/* Found in the first folder. */
	ck_assert_int_eq(theme_load("partial", dirs, 2, &t, &d), 0);
	ck_assert_str_eq(t.name, "partial");
	theme_diags_free(&d);
	/* Found in the second. */
	ck_assert_int_eq(theme_load("light", dirs, 2, &t, &d), 0);
	ck_assert_str_eq(t.name, "light");
	theme_diags_free(&d);
	/* Missing: the default, and an error naming the folders. */
	ck_assert_int_eq(theme_load("nonesuch", dirs, 2, &t, &d), -1);
	ck_assert_str_eq(t.name, "default");
	ck_assert(diags_contain(&d, "theme \"nonesuch\": error: not found (looked in "));
	theme_diags_free(&d);
	/* Not a name: never a path outside the folders. */
	ck_assert_int_eq(theme_load("..", dirs, 2, &t, &d), -1);
	ck_assert(diags_contain(&d, "not a theme name"));
	theme_diags_free(&d);
	/* "default" needs no file at all. */
	ck_assert_int_eq(theme_load("default", dirs, 0, &t, &d), 0);
	ck_assert_uint_eq(d.n, 0);
	/* A path is read as a file. */
	ck_assert_int_eq(theme_load(unit_fixture("themes/bad-color.yaml"), dirs, 0, &t, &d), -1);
	theme_diags_free(&d);
}
END_TEST

START_TEST(search_dirs)
{
	char buf[4096];
	const char *dirs[THEME_DIRS_MAX];

	setenv("XDG_CONFIG_HOME", "/x/conf", 1);
	ck_assert_uint_eq(theme_dirs(buf, sizeof buf, dirs), 2);
	ck_assert_str_eq(dirs[0], "/x/conf/peerscope/themes");
	ck_assert_str_eq(dirs[1], THEMEDIR);
	unsetenv("XDG_CONFIG_HOME");
	setenv("HOME", "/home/op", 1);
	ck_assert_uint_eq(theme_dirs(buf, sizeof buf, dirs), 2);
	ck_assert_str_eq(dirs[0], "/home/op/.config/peerscope/themes");
}
END_TEST

/* A program at the top of the build tree finds the source tree's themes;
 * one anywhere else (installed, or a test program below the top) does not. */
START_TEST(source_dir_when_uninstalled)
{
	char themes[PATH_MAX];
	const char *dir;

	char src[PATH_MAX];

	dir = theme_source_dir(PEERSCOPE_ABS_BUILDDIR "/peerscope");
	ck_assert_ptr_nonnull(dir);
	/* Resolved: in a VPATH build the source tree is "<build>/../..". */
	ck_assert_ptr_nonnull(realpath(PEERSCOPE_ABS_SRCDIR, src));
	ck_assert_uint_lt(strlen(src), sizeof src - 8);
	strcat(src, "/themes");
	ck_assert_str_eq(dir, src);
	snprintf(themes, sizeof themes, "%s/default.yaml", dir);
	ck_assert_int_eq(access(themes, R_OK), 0);
	ck_assert_ptr_nonnull(theme_source_dir(PEERSCOPE_ABS_BUILDDIR "/./peerscope"));
	ck_assert_ptr_null(theme_source_dir(PEERSCOPE_ABS_BUILDDIR "/tests/unit/test_theme"));
	ck_assert_ptr_null(theme_source_dir("/nonexistent/bin/peerscope"));
	ck_assert_ptr_null(theme_source_dir("peerscope"));
	ck_assert_ptr_null(theme_source_dir(NULL));
}
END_TEST

static Suite *theme_suite(void)
{
	Suite *s = suite_create("theme");
	TCase *tc = tcase_create("theme");

	tcase_add_test(tc, role_names);
	tcase_add_test(tc, color_parse);
	tcase_add_test(tc, attr_parse);
	tcase_add_test(tc, color_reduce);
	tcase_add_test(tc, resolve_color_and_mono);
	tcase_add_test(tc, resolve_inherit_and_collision);
	tcase_add_test(tc, shipped_default_matches_builtin);
	tcase_add_test(tc, shipped_themes_load_cleanly);
	tcase_add_test(tc, monochrome_theme_never_colours);
	tcase_add_test(tc, partial_theme_overlays_and_warns);
	tcase_add_test(tc, broken_themes_fall_back);
	tcase_add_test(tc, load_by_name);
	tcase_add_test(tc, search_dirs);
	tcase_add_test(tc, source_dir_when_uninstalled);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN(theme_suite)
