/* The dashboard's state and the parts of src/ui that share it. Only the UI
 * thread touches any of this. */
#ifndef PEERSCOPE_UI_INTERNAL_H
#define PEERSCOPE_UI_INTERNAL_H

#include <curses.h>
#include <stdbool.h>
#include <stdint.h>

#include "peerscope/actions.h"
#include "peerscope/theme.h"
#include "peerscope/ui.h"
#include "peerscope/view.h"

/* What a handler asks the loop to do. */
enum {
	UI_REDRAW = 1u << 0,   /* paint again */
	UI_RELAYOUT = 1u << 1, /* the size changed: clear and lay out */
	UI_REVIEW = 1u << 2,   /* rebuild the view model from the store */
	UI_QUIT = 1u << 3,
	UI_REFETCH = 1u << 4, /* ask the data sources to fetch everything again */
};

enum ui_mode {
	UI_MODE_MAIN,
	UI_MODE_FILTER,
	UI_MODE_COMMAND,
};

enum ui_overlay {
	UI_OVERLAY_NONE,
	UI_OVERLAY_HELP,
	UI_OVERLAY_DETAIL,
	UI_OVERLAY_EVENTS,
};

struct ui_rect {
	int y, x, h, w;
};

/* Line-drawing characters: UTF-8 box drawing or ASCII. */
struct ui_glyphs {
	const char *h, *v, *tl, *tr, *bl, *br;
	const char *focus;     /* marks the focused pane's title */
	const char *arrow;     /* between the ends of a pair */
	const char *up, *down; /* sort direction */
};

#define UI_BAR_MAX    16
#define UI_CHANGED_MS 3000 /* how long a new or changed row stays highlighted */
#define UI_MESSAGE_MS 6000

struct ui {
	const struct ui_options *opt;
	struct view_model vm;
	struct actions_keymap km;
	struct theme theme;
	attr_t attr[THEME_ROLE_COUNT];
	int ncolors;
	bool ascii;
	const struct ui_glyphs *g;
	bool mouse;

	enum view_pane focus;
	int hscroll[VIEW_PANE_COUNT];
	bool big;                             /* every pane on screen */
	struct ui_rect pane[VIEW_PANE_COUNT]; /* table area of each shown pane */
	bool shown[VIEW_PANE_COUNT];
	struct ui_rect tab_at[VIEW_PANE_COUNT]; /* small layout: the tabs */
	struct action_bar_item bar[UI_BAR_MAX];
	struct ui_rect bar_at[UI_BAR_MAX];
	size_t nbar;

	enum ui_mode mode;
	char line[256]; /* the filter or command being typed */
	char saved_filter[128];

	enum ui_overlay overlay;
	long overlay_top;
	bool raw;
	enum view_pane detail_pane;
	char detail_id[VIEW_ID_MAX];

	char message[1024];
	bool message_error;
	int64_t message_ns;

	bool frozen;
	int64_t now_ns;
	struct model_strv themes;  /* for completion */
	struct model_strv targets; /* cluster and peer names, for completion */
};

/* screen.c */
int ui_screen_start(struct ui *u);
void ui_screen_stop(void);
void ui_screen_install_theme(struct ui *u);
/* Writes TEXT at (Y, X) in at most W cells with attribute A; pads the rest
 * of the W cells with spaces when PAD. Returns the cells used. */
int ui_screen_put(int y, int x, int w, const char *text, attr_t a, bool pad);
/* Display width of TEXT in cells. */
int ui_screen_width(const char *text);

/* draw.c */
void ui_draw_layout(struct ui *u);
void ui_draw_screen(struct ui *u);
/* The pane and visible row under a mouse click; false when none. */
bool ui_draw_hit_row(const struct ui *u, int y, int x, enum view_pane *pane, long *row);

#endif
