/* screen: curses set-up and tear-down, theme roles as attributes, and
 * UTF-8 text clipped to a number of cells. */
#include "autoconfig.h"

#include "ui_internal.h"

#include "peerscope/term.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

int ui_screen_start(struct ui *u)
{
	if (!newterm(NULL, stdout, stdin))
		return -1;
	/* Until curses has been suspended once, ncurses 6.4 writes out its
	 * buffer at every cursor movement (lib_mvcur.c, for programs that use
	 * only terminfo): a frame of the dashboard went out in about thirty
	 * write()s, each a packet of its own over SSH. Leaving and resuming
	 * before anything else, as a return from Ctrl-Z does, makes every frame
	 * one write(). First: endwin() turns the keypad mode off again. */
	endwin();
	doupdate();
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	set_escdelay(25);
	curs_set(0);
	u->ncolors = 0;
	if (has_colors() && start_color() == OK) {
		u->ncolors = COLORS;
		use_default_colors();
	}
	u->mouse = false;
	if (!u->opt->no_mouse) {
		mmask_t want = BUTTON1_CLICKED | BUTTON1_PRESSED | BUTTON4_PRESSED;
#ifdef BUTTON5_PRESSED
		want |= BUTTON5_PRESSED;
#endif
		u->mouse = mousemask(want, NULL) != 0;
		mouseinterval(0);
	}
	return 0;
}

void ui_screen_stop(void)
{
	if (isendwin())
		return;
	mousemask(0, NULL);
	curs_set(1);
	endwin();
}

static attr_t to_attr(unsigned bits)
{
	attr_t a = A_NORMAL;

	if (bits & THEME_ATTR_BOLD)
		a |= A_BOLD;
	if (bits & THEME_ATTR_DIM)
		a |= A_DIM;
	if (bits & THEME_ATTR_UNDERLINE)
		a |= A_UNDERLINE;
	if (bits & THEME_ATTR_REVERSE)
		a |= A_REVERSE;
#ifdef A_ITALIC
	if (bits & THEME_ATTR_ITALIC)
		a |= A_ITALIC;
#endif
	return a;
}

void ui_screen_install_theme(struct ui *u)
{
	struct theme_resolved r;

	theme_resolve(&u->theme, u->ncolors, !u->opt->no_color, &r);
	for (int i = 0; i < THEME_ROLE_COUNT; i++) {
		const struct theme_cell *c = &r.role[i];
		u->attr[i] = to_attr(c->attrs);
		if (!r.color || i + 1 >= COLOR_PAIRS)
			continue;
		if (init_pair((short)(i + 1), c->fg, c->bg) == OK)
			u->attr[i] |= COLOR_PAIR(i + 1);
	}
	bkgdset(' ' | u->attr[THEME_NORMAL]);
}

/* Decodes the next character of S into *wc; returns the bytes it used
 * (a byte that is not valid UTF-8 becomes '?'). */
static size_t next_char(const char *s, mbstate_t *st, wchar_t *wc)
{
	size_t n = mbrtowc(wc, s, MB_CUR_MAX, st);

	if (n == (size_t)-1 || n == (size_t)-2 || n == 0) {
		memset(st, 0, sizeof *st);
		*wc = L'?';
		return 1;
	}
	return n;
}

static int char_width(wchar_t wc)
{
	int w = wcwidth(wc);

	return w < 0 ? 1 : w;
}

/* What is drawn for TEXT: term.h's safe form (cut to what a line can hold). */
#define SHOWN_MAX 2048

static atomic_ulong cells_painted;

unsigned long ui_cells_painted(void)
{
	return atomic_load_explicit(&cells_painted, memory_order_relaxed);
}

static void painted(int n)
{
	if (n > 0)
		atomic_fetch_add_explicit(&cells_painted, (unsigned long)n, memory_order_relaxed);
}

/* The length of TEXT when it is all printable ASCII, which term.h leaves
 * as it is and every locale draws one cell a byte; else SIZE_MAX. Most of
 * what the panes draw is: names, states, numbers. */
static size_t plain_length(const char *text)
{
	const unsigned char *p = (const unsigned char *)(text ? text : "");

	for (; *p; p++)
		if (*p < ' ' || *p > '~')
			return SIZE_MAX;
	return (size_t)(p - (const unsigned char *)(text ? text : ""));
}

int ui_screen_width(const char *text)
{
	char shown[SHOWN_MAX];
	mbstate_t st;
	int w = 0;
	size_t plain = plain_length(text);

	if (plain != SIZE_MAX) /* as the slow path, cut to what SHOWN holds */
		return (int)(plain < SHOWN_MAX ? plain : SHOWN_MAX - 1);
	term_sanitize(text, shown, sizeof shown, 0);
	text = shown;
	memset(&st, 0, sizeof st);
	while (*text) {
		wchar_t wc;
		text += next_char(text, &st, &wc);
		w += char_width(wc);
	}
	return w;
}

int ui_screen_line(int y, int x, int n, const char *glyph, attr_t a, bool vertical)
{
	wchar_t wc[2] = {L'?', L'\0'};
	mbstate_t st;
	cchar_t cc;

	if (n <= 0 || y < 0 || x < 0)
		return 0;
	memset(&st, 0, sizeof st);
	next_char(glyph, &st, &wc[0]);
	if (wc[0] < L' ' || (wc[0] >= 127 && wc[0] < 160) || char_width(wc[0]) != 1)
		wc[0] = L'?';
	if (setcchar(&cc, wc, a & ~A_COLOR, (short)PAIR_NUMBER(a), NULL) != OK)
		return 0;
	if (vertical)
		mvvline_set(y, x, &cc, n);
	else
		mvhline_set(y, x, &cc, n);
	return n;
}

int ui_screen_put(int y, int x, int w, const char *text, attr_t a, bool pad)
{
	char shown[SHOWN_MAX];
	wchar_t buf[512];
	mbstate_t st;
	int used = 0;
	size_t n = 0;

	if (w <= 0 || y < 0 || x < 0)
		return 0;
	size_t plain = plain_length(text);
	if (plain != SIZE_MAX) {
		/* What the loop below makes of it, without decoding. */
		size_t max = sizeof buf / sizeof buf[0] - 1;
		if (plain > SHOWN_MAX - 1)
			plain = SHOWN_MAX - 1;
		if (plain > max)
			plain = max;
		if (plain > (size_t)w)
			plain = (size_t)w;
		for (; n < plain; n++)
			buf[n] = (wchar_t)(unsigned char)text[n];
		used = (int)n;
		text = "";
	} else {
		/* Cluster data is written by someone else: no control
		 * character, bidirectional override or invalid byte reaches
		 * the terminal. */
		term_sanitize(text, shown, sizeof shown, 0);
		text = shown;
	}
	memset(&st, 0, sizeof st);
	while (*text && n < sizeof buf / sizeof buf[0] - 1) {
		wchar_t wc;
		size_t len = next_char(text, &st, &wc);
		int cw = char_width(wc);
		if (used + cw > w)
			break;
		/* Only a locale that is not UTF-8 can still decode a control. */
		buf[n++] = wc < L' ' || (wc >= 127 && wc < 160) ? L'?' : wc;
		used += cw;
		text += len;
	}
	buf[n] = L'\0';
	attrset(a);
	mvaddnwstr(y, x, buf, (int)n);
	if (pad && used < w)
		mvhline(y, x + used, ' ' | a, w - used);
	attrset(A_NORMAL);
	painted(used);
	return pad ? w : used;
}
