/* The dashboard's state and the parts of src/ui that share it. Only the UI
 * thread touches any of this.
 *
 * Keys go down a stack: the top overlay (help, detail, the event log, the
 * input line, the operations' dialogs, confirmations and progress) sees a
 * key first; what it does not handle (UI_PASS) goes to the focused pane's
 * own handler (pane_keys.c), then to the global action table. An overlay
 * that takes text gets the raw key as well as the action the keymap binds
 * to it. */
#ifndef PEERSCOPE_UI_INTERNAL_H
#define PEERSCOPE_UI_INTERNAL_H

#include <curses.h>
#include <stdbool.h>
#include <stdint.h>
#include <wchar.h>

#include "peerscope/actions.h"
#include "peerscope/ops.h"
#include "peerscope/script.h"
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
	UI_PASS = 1u << 5,    /* not handled here: the layer below gets the key */
	UI_COMMAND = 1u << 6, /* run the command line's u->command */
	UI_AGES = 1u << 7,    /* only the time moved: redo the ages a stale cluster shows */
	UI_WAKE = 1u << 8,    /* the store woke us: an event, progress or a snapshot */
	UI_REJOIN = 1u << 9,  /* time changed a judgment: review the same snapshots */
	UI_HEADER = 1u << 10, /* only the header's time moved: paint that line */
	UI_CLOCK = 1u << 11,  /* a review of new times: paint what it changed (ui_draw_clock) */
};

struct ui_rect {
	int y, x, h, w;
};

/* Line-drawing characters: UTF-8 box drawing or ASCII. */
struct ui_glyphs {
	const char *h, *v, *tl, *tr, *bl, *br;
	const char *focus;                             /* marks the focused pane's title */
	const char *arrow;                             /* between the ends of a pair */
	const char *up, *down;                         /* sort direction */
	const char *done, *failed, *skipped, *running; /* an operation's steps */
	const char *cross;                             /* two lines crossing */
	const char *cut;                               /* ends a text cut short */
};

#define UI_BAR_MAX        16
#define UI_CHANGED_MS     3000 /* how long a new or changed row stays highlighted by default */
#define UI_MESSAGE_MS     6000
/* When nothing but the peerings' stream times (heartbeat, receive, send)
 * changed, the view shows them at most this often: every cluster's stream
 * poll brings new ones, and each would be a review of the whole view. */
#define UI_TIMES_MS       5000
/* The stream polls of every cluster answer together, once a stream interval
 * (the pollers' grid): the batch a period later may come a little before
 * UI_TIMES_MS since the last review, and is then shown at once rather than
 * in a wake-up of its own a few milliseconds later. */
#define UI_TIMES_EARLY_MS 1000
#define UI_OVERLAY_MAX    8

struct ui;
struct ui_overlay;
struct player;

/* One layer over the panes. */
struct ui_overlay_ops {
	const char *name;
	void (*draw)(struct ui *u, struct ui_overlay *o);
	/* A key: R and WC as get_wch() gave them, ID the action the keymap
	 * binds to it (ACTION_NONE: none). Returns intents; UI_PASS to let the
	 * layer below have it. */
	unsigned (*key)(struct ui *u, struct ui_overlay *o, int r, wint_t wc, enum action_id id);
	/* The store or the worker changed. NULL: nothing to follow. */
	unsigned (*update)(struct ui *u, struct ui_overlay *o);
	void (*done)(struct ui_overlay *o); /* frees data; NULL: free(data) */
	bool full_screen;                   /* hides the panes: clicks do not reach them */
	bool on_top;                        /* drawn over every other layer, and sees keys first */
	bool chooser; /* a dialog that chooses what to plan: the run replaces it */
};

struct ui_overlay {
	const struct ui_overlay_ops *ops;
	long top;   /* first line shown, for those that scroll */
	void *data; /* owned */
};

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

	struct ui_overlay stack[UI_OVERLAY_MAX];
	size_t depth;
	/* What the screen shows: its size and layout as of the last full
	 * paint, and the generation of the rows and clock cells last painted
	 * in each pane. A paint of new times (ui_draw_clock()) paints again
	 * only the panes that moved since. */
	struct ui_painted {
		bool valid;
		int lines, cols;
		bool big;
		bool highlight; /* a row highlighted as new or changed */
		bool shown[VIEW_PANE_COUNT];
		struct ui_rect pane[VIEW_PANE_COUNT];
		uint64_t rows_gen[VIEW_PANE_COUNT], clock_gen[VIEW_PANE_COUNT];
		/* Where each pane's cells went (table_frame() in draw.c), and
		 * what its box says (pane_box()). */
		uint64_t frame[VIEW_PANE_COUNT], box[VIEW_PANE_COUNT];
	} painted;
	/* Where the terminal's cursor goes after painting; -1: hidden. */
	int cursor_y, cursor_x;

	char message[1024];
	bool message_error;
	int64_t message_ns;

	bool frozen;
	int64_t now_ns;
	int64_t highlight_ns;  /* how long a new or changed row is highlighted; 0: never */
	uint64_t worker_seq;   /* the worker's state last seen */
	uint64_t reviewed_gen; /* the store's generation the view model shows */
	/* The newest publish among the snapshots last taken, reviewed or
	 * skipped as the same as those shown: the header's "updated". */
	int64_t updated_ns;
	/* Snapshots that changed nothing but stream times wait until
	 * TIMES_DUE_NS (the last review plus UI_TIMES_MS) when TIMES_WAITING. */
	int64_t times_due_ns;
	bool times_waiting;
	/* Per cluster, the seq of its newest snapshot already found the same
	 * as the one shown but for stream times (0: none): each wake-up then
	 * compares only the clusters that published since. */
	uint64_t *times_ok_seq;
	struct join_cache *jcache;             /* what the next join reuses from the last */
	struct preflight_memo *pmemo;          /* what the next checks reuse from the last */
	const struct preflight_report *checks; /* of the view model, in pmemo */
	/* What the view model was built from: the snapshots (one reference
	 * each), their join and the row whose detail it holds. */
	struct store_snapshot **shown_snaps;
	bool state_shown; /* a frame showed every cluster's state (opt->state_shown) */
	struct join_view jv;
	bool have_jv;
	/* What jv's pairs came to (pairs_outcome() in ui.c), when the review
	 * that built it took it: the next review compares with it. */
	uint64_t jv_outcome;
	bool have_jv_outcome;
	enum view_pane shown_detail_pane;
	char shown_detail[VIEW_ID_MAX];
	bool shown_with_detail;
	uint64_t event_seen; /* the newest event drawn */
	/* Each table's columns as wide as their widest cell, kept while its
	 * rows stay the same (rows_gen); the columns of clock cells measured
	 * again when only those moved (clock_gen). */
	struct ui_widths {
		uint64_t gen, clock_gen;
		const struct view_column *cols;
		size_t ncols;
		int w[VIEW_MAX_COLS];
		bool clock[VIEW_MAX_COLS]; /* some cell of the column is a clock */
	} widths[VIEW_PANE_COUNT];
	struct model_strv themes; /* for completion */
	/* Cluster and peer names, for completion: listed from jv when a
	 * completion first asks after a review (targets_stale). */
	struct model_strv targets;
	bool targets_stale;
	struct model_strv clusters; /* cluster names, for completion */
	/* Service names of every cluster, for completion: the array is ours,
	 * the names are borrowed from shown_snaps (ui_line_services_drop()
	 * before those are released). */
	struct model_strv services;
	bool services_stale;        /* services is to be listed again from shown_snaps */
	char command[256];          /* a command line accepted, for the loop to run */
	struct player *player;      /* a script or the tour being played; NULL: none */
	int caption_h;              /* rows its caption takes at the bottom; 0: none */
	bool sim_pending;           /* a :sim command runs */
	bool playing;               /* the key being handled comes from a script */
	struct model_strv simwords; /* :sim's commands and the cluster names, for completion */
};

/* state.c */
__attribute__((format(printf, 3, 4))) unsigned ui_say(struct ui *u, bool error, const char *fmt,
                                                      ...);
struct view_table *ui_focused(struct ui *u);

/* ui.c */
unsigned ui_focus_pane(struct ui *u, enum view_pane p);
/* Carries out a global action (after the overlays and the pane said
 * UI_PASS). */
unsigned ui_run_action(struct ui *u, enum action_id id, const char *arg);
unsigned ui_switch_theme(struct ui *u, const char *name);

/* overlay.c: the stack. */
/* Pushes a layer; DATA is owned by it from now on (freed on failure). */
unsigned ui_overlay_push(struct ui *u, const struct ui_overlay_ops *ops, void *data);
void ui_overlay_pop(struct ui *u);
struct ui_overlay *ui_overlay_top(struct ui *u);
/* The topmost layer made by OPS, or NULL. */
struct ui_overlay *ui_overlay_find(struct ui *u, const struct ui_overlay_ops *ops);
/* Pops every layer from the top down to, and with, O. */
void ui_overlay_pop_to(struct ui *u, struct ui_overlay *o);
/* The key for the stack: the top layer, then the layers below it while
 * they pass. UI_PASS when none took it. */
unsigned ui_overlay_key(struct ui *u, int r, wint_t wc, enum action_id id);
unsigned ui_overlay_update(struct ui *u);
void ui_overlay_draw(struct ui *u);
bool ui_overlay_full_screen(const struct ui *u);
/* What layers share: the action scrolls layer O (up, down, pages, ends);
 * false when it is not a scrolling action. */
bool ui_overlay_scroll(struct ui *u, struct ui_overlay *o, enum action_id id);
/* Text input: edits BUF (SIZE bytes) by one key; true when the key was an
 * edit. */
bool ui_overlay_edit(char *buf, size_t size, int r, wint_t wc);

/* text.c: the layers that show lines of text. */
unsigned ui_text_help(struct ui *u);
unsigned ui_text_events(struct ui *u);
unsigned ui_text_detail(struct ui *u);
/* The row whose detail is shown (pane, id); false when none is. */
bool ui_text_detail_row(struct ui *u, enum view_pane *pane, const char **id);

/* line.c: the input line. */
unsigned ui_line_filter(struct ui *u);
unsigned ui_line_command(struct ui *u);

/* opsui.c: the operations' dialogs, confirmation and progress. */
/* Operation KIND on the two clusters named in ARG ("A B", then
 * --partition P and --dialer-partition P as on the command line). */
unsigned ui_ops_start(struct ui *u, enum ops_kind kind, const char *arg);
/* From one cluster (index FROM, in admin partition PARTITION when the row
 * names one, "" else): a dialog to choose the other side, the names and,
 * when some cluster runs Consul Enterprise, the partitions; then the
 * plan. */
unsigned ui_ops_pick(struct ui *u, enum ops_kind kind, size_t from, const char *partition);
/* On the two ends of a peering, in their partitions: the plan at once. */
unsigned ui_ops_pair(struct ui *u, enum ops_kind kind, const struct view_target *t);
/* Asks the worker for the plan of REQ and shows it to confirm. */
unsigned ui_ops_ask(struct ui *u, const struct ops_request *req);
/* True when an action is an operation; *KIND is set. */
bool ui_ops_action(enum action_id id, enum ops_kind *kind);
/* Something runs on the worker: the screen's clock matters. */
bool ui_ops_busy(const struct ui *u);

/* player.c: a script played on the dashboard. */
struct ui_play {
	enum {
		UI_PLAY_NONE,
		UI_PLAY_KEY,
		UI_PLAY_COMMAND,
		UI_PLAY_FOCUS
	} what;
	int r; /* a key, as get_wch() gives it */
	wint_t wc;
	enum view_pane pane; /* a focus: the pane ... */
	char text[256];      /* ... and the row to find; a command's text */
};
/* Plays SC (taken over) from its first step; TOUR: the presenter's keys
 * (Space, Backspace, q); AUTO_MS: pauses end by themselves. -1 when out of
 * memory. */
int ui_player_start(struct ui *u, struct script *sc, bool tour, long auto_ms);
void ui_player_stop(struct ui *u);
bool ui_player_running(const struct ui *u);
/* How long the loop may wait before the next tick; -1: until something
 * happens. */
long ui_player_wait_ms(const struct ui *u);
/* Runs what is due; OUT says what the loop must feed the dashboard. */
unsigned ui_player_tick(struct ui *u, struct ui_play *out);

/* map.c: the topology map layer. */
unsigned ui_map(struct ui *u);

/* meshui.c: the mesh operations: on what the selection names (a cluster, a
 * service, a cell of the exports matrix), with a dialog for the gateway
 * mode; or on the words of a ':' command. */
unsigned ui_mesh_action(struct ui *u, enum ops_kind kind);
unsigned ui_mesh_start(struct ui *u, enum ops_kind kind, const char *arg);

/* pane_keys.c: each pane's own handling of an action, before the global
 * table. UI_PASS when the pane has nothing to do with it. */
unsigned ui_pane_action(struct ui *u, enum action_id id);

/* screen.c */
int ui_screen_start(struct ui *u);
void ui_screen_stop(void);
void ui_screen_install_theme(struct ui *u);
/* Writes TEXT at (Y, X) in at most W cells with attribute A; pads the rest
 * of the W cells with spaces when PAD. Returns the cells used. */
int ui_screen_put(int y, int x, int w, const char *text, attr_t a, bool pad);
/* N cells of the one-cell GLYPH (one of the glyph table's, UTF-8 or ASCII)
 * from (Y, X), rightwards or, VERTICAL, downwards: one call for a box's
 * edge, the glyph decoded once. Returns N (0 when nothing is drawn). */
int ui_screen_line(int y, int x, int n, const char *glyph, attr_t a, bool vertical);
/* Display width of TEXT in cells. */
int ui_screen_width(const char *text);

/* line.c: forgets the service names (they borrow from shown_snaps). */
void ui_line_services_drop(struct ui *u);
/* Appends a copy of S to V unless it is "" or V has it. 0, or -1. */
int ui_push_unique(struct model_strv *v, const char *s);

/* draw.c */
void ui_draw_layout(struct ui *u);
void ui_draw_screen(struct ui *u);
/* Paints the header line alone (its time moved), the overlays over it. */
void ui_draw_header_line(struct ui *u);
/* Paints what a review of new times changed: the header, status and key
 * lines and the panes whose rows or clock cells moved since the last
 * paint; the rest of the screen stands. A full paint when anything else
 * moved (the size, the layout, an overlay is open). */
void ui_draw_clock(struct ui *u);
/* The pane and visible row under a mouse click; false when none. */
bool ui_draw_hit_row(const struct ui *u, int y, int x, enum view_pane *pane, long *row);
/* A box with a title around the inside IN (a margin of a column each side). */
void ui_draw_box(struct ui *u, const struct ui_rect *in, const char *title, bool focused);
/* A box of H lines and W columns (clamped to the screen) centred over the
 * panes, filled with the dialog colour; the inside in *IN. */
void ui_draw_dialog(struct ui *u, int h, int w, const char *title, struct ui_rect *in);
int ui_draw_put(struct ui *u, int y, int x, int w, const char *text, enum theme_role role);
/* Text lines in a full-screen box, scrolled from *TOP (clamped): "left\tright"
 * lines go side by side, or one below the other on a narrow screen. */
void ui_draw_text(struct ui *u, const struct model_strv *lines, const char *title, long *top,
                  bool headings);
/* True when TEXT shows somewhere on the screen as last painted, outside
 * SKIP (may be NULL). */
bool ui_draw_screen_has(const char *text, const struct ui_rect *skip);
/* Appends TEXT's lines to OUT, split at tabs when WIDTH is too narrow for
 * two columns. */
int ui_draw_push_text(struct model_strv *out, const char *text, int width);

#endif
