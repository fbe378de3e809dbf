/* theme: what the dashboard's text looks like, by role.
 *
 * Drawing code names a role (ok, warn, bad, selected, ...) and never a
 * colour. A theme maps every role to a foreground, a background and
 * attributes, plus the attributes to use on a terminal without colour. The
 * default theme is complete and compiled in; a theme file (YAML) overrides
 * some roles and inherits the rest, so a partial theme still works:
 *
 *   name: light
 *   color: true            # false: always draw with attributes only
 *   roles:
 *     normal:   {fg: black, bg: default}
 *     selected: {fg: white, bg: "#005f87", attrs: [bold], mono: [reverse]}
 *
 * Colours are names (default, black, red, ..., bright-red, ..., gray), a
 * number 0-255, "#rrggbb" (mapped to the nearest of the 256), or "inherit"
 * (the normal role's colour). On a terminal with fewer colours each colour
 * becomes the nearest one it has; with none (or NO_COLOR) each role uses its
 * mono attributes.
 *
 * Everything here is pure: no curses calls. The UI turns a resolved theme
 * into colour pairs. */
#ifndef PEERSCOPE_THEME_H
#define PEERSCOPE_THEME_H

#include <stdbool.h>
#include <stddef.h>

#include "peerscope/model.h"

/* X(id, config name, description) */
#define THEME_ROLES(X)                                                                             \
	X(NORMAL, "normal", "ordinary text and the background of panes")                           \
	X(DIM, "dim", "secondary text: absent values, hints, ages")                                \
	X(ACCENT, "accent", "names and emphasis")                                                  \
	X(OK, "ok", "healthy state: ACTIVE, passing, Synced=True")                                 \
	X(WARN, "warn", "needs attention: PENDING, ESTABLISHING, warning marker")                  \
	X(BAD, "bad", "broken: FAILING, TERMINATED, critical, unreachable, stale")                 \
	X(SELECTED, "selected", "the cursor row of the focused pane")                              \
	X(SELECTED_INACTIVE, "selected_inactive", "the cursor row of another pane")                \
	X(CHANGED, "changed", "a row that appeared or changed a moment ago")                       \
	X(HEADER, "header", "the top line")                                                        \
	X(BADGE, "badge", "READ-ONLY and DEMO badges")                                             \
	X(BORDER, "border", "pane borders")                                                        \
	X(TITLE, "title", "pane titles")                                                           \
	X(TITLE_FOCUSED, "title_focused", "the focused pane's title")                              \
	X(COLUMN, "column", "column headings")                                                     \
	X(TAB, "tab", "tabs of the hidden panes on a small terminal")                              \
	X(TAB_ACTIVE, "tab_active", "the tab of the focused pane")                                 \
	X(STATUS, "status", "the status line")                                                     \
	X(ERROR, "error", "an error on the status line")                                           \
	X(FKEY, "fkey", "a key on the function-key bar")                                           \
	X(FKEY_LABEL, "fkey_label", "what that key does")                                          \
	X(DIALOG, "dialog", "help, detail and event-log views")                                    \
	X(INPUT, "input", "the command line and the filter")

enum theme_role {
#define THEME_ROLE_ENUM(id, name, help) THEME_##id,
	THEME_ROLES(THEME_ROLE_ENUM)
#undef THEME_ROLE_ENUM
	THEME_ROLE_COUNT
};

/* Colour values besides 0..255. */
#define THEME_COLOR_DEFAULT (-1) /* the terminal's own foreground or background */
#define THEME_COLOR_INHERIT (-2) /* the colour of the normal role */

/* Attribute bits. */
enum {
	THEME_ATTR_BOLD = 1u << 0,
	THEME_ATTR_DIM = 1u << 1,
	THEME_ATTR_UNDERLINE = 1u << 2,
	THEME_ATTR_REVERSE = 1u << 3,
	THEME_ATTR_ITALIC = 1u << 4,
};

struct theme_style {
	short fg, bg;   /* 0..255, THEME_COLOR_DEFAULT or THEME_COLOR_INHERIT */
	unsigned attrs; /* with colour */
	unsigned mono;  /* without colour */
};

struct theme {
	char name[64];
	bool color; /* false: a monochrome theme, mono attributes always */
	struct theme_style role[THEME_ROLE_COUNT];
};

/* Problems found while loading, one message each, "file:line:col: ..." or
 * "theme NAME: ...". */
struct theme_diags {
	char **v;
	size_t n;
	size_t errors; /* an error makes the loader fall back to the default */
};
void theme_diags_free(struct theme_diags *d);

/* "normal", ...; NULL for an id out of range. */
const char *theme_role_name(enum theme_role r);
const char *theme_role_help(enum theme_role r);
/* The role called NAME, or -1. */
int theme_role_parse(const char *name);

/* Parses a colour as described above into *out. */
bool theme_color_parse(const char *text, short *out);
/* Parses one attribute name (bold, dim, underline, reverse, italic, none). */
bool theme_attr_parse(const char *text, unsigned *bit);

/* The complete built-in default theme. */
void theme_default(struct theme *t);

/* Reads a theme file over the default theme. Returns 0 with *out set (d may
 * hold warnings: unknown keys and roles), or -1 with *out the default theme
 * and the reason, naming file:line, in d. */
int theme_load_file(const char *path, struct theme *out, struct theme_diags *d);

/* Loads theme NAME: the built-in default for "default" unless a file
 * overrides it, a file when NAME contains '/', otherwise NAME.yaml from the
 * first of DIRS that has it. Same result convention as theme_load_file. */
int theme_load(const char *name, const char *const *dirs, size_t ndirs, struct theme *out,
               struct theme_diags *d);

/* How many folders theme_dirs() may fill. */
#define THEME_DIRS_MAX 3

/* Where themes are looked for, first match wins: the user's
 * $XDG_CONFIG_HOME/peerscope/themes (or ~/.config/...), then the installed
 * THEMEDIR, then, for a program run from its build tree without being
 * installed, the source tree's themes/ (theme_source_dir). Fills dirs
 * (pointing into buf, or static) and returns how many. */
size_t theme_dirs(char *buf, size_t buflen, const char *dirs[THEME_DIRS_MAX]);

/* The source tree's themes folder when EXE, the path of the running
 * program, is a program at the top of the build tree it was built in (an
 * uninstalled build, as the README's quick start runs it); NULL otherwise,
 * an installed program above all. */
const char *theme_source_dir(const char *exe);

/* Names of the themes in DIRS (".yaml" removed), sorted, without
 * duplicates, "default" always among them. 0, or -1 when out of memory. */
int theme_list(const char *const *dirs, size_t ndirs, struct model_strv *out);

/* ------------------------------------------------------------ resolving */

/* What a role looks like on a given terminal. fg and bg are -1 (default)
 * or a colour the terminal has. */
struct theme_cell {
	short fg, bg;
	unsigned attrs;
};

struct theme_resolved {
	bool color; /* false: every fg and bg is -1, attrs are the mono ones */
	struct theme_cell role[THEME_ROLE_COUNT];
};

/* Resolves T for a terminal with NCOLORS colours (0 or 1: none); use_color
 * false forces monochrome (NO_COLOR, --no-color). Inherited colours take the
 * normal role's; a role whose foreground and background become the same
 * colour falls back to its mono attributes so that its text stays readable. */
void theme_resolve(const struct theme *t, int ncolors, bool use_color, struct theme_resolved *out);

/* The nearest colour to C (0..255) among the first NCOLORS of the xterm
 * palette (8, 16, 88 treated as 16, 256). */
short theme_color_reduce(short c, int ncolors);

#endif
