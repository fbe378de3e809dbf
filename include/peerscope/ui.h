/* ui: the interactive dashboard.
 *
 * ui_run() owns the terminal from start to end: it runs one event loop on
 * the calling thread (the only thread that calls ncurses), waiting with
 * poll() on the terminal, the store's wake pipe and a signal self-pipe.
 * Signal handlers only set flags (and write a byte to wake the loop).
 * SIGWINCH re-lays the screen out; SIGHUP, SIGTERM, SIGINT and end of
 * input end the loop; the terminal is restored on every exit, crash
 * signals included. The screen is painted (wnoutrefresh, then one
 * doupdate) only when something changed.
 *
 * Data comes only from the store: each wake-up takes every cluster's
 * newest snapshot, joins them and rebuilds the view model. The first frame
 * is drawn before anything else happens: every cluster's row, waiting for
 * a store that may still be empty; then the drawn callback runs (the
 * dashboard starts its pollers there). */
#ifndef PEERSCOPE_UI_H
#define PEERSCOPE_UI_H

#include <stdbool.h>
#include <stddef.h>

struct config_binding;
struct log_sink;
struct script;
struct session;
struct simctl;
struct store;
struct worker;

struct ui_options {
	struct store *store;
	const char *const *names; /* the configured clusters, store order */
	size_t nclusters;
	struct session *session; /* which clusters may change; NULL: none may */
	struct worker *worker;   /* runs the operations; NULL: none offered */
	long wait_ms;            /* an operation's waits; 0: the default */
	/* A script to play from the start (taken over; NULL: none), as the
	 * tour when TOUR, its pauses ending by themselves after TOUR_AUTO_MS
	 * (0: the presenter's Space). */
	struct script *script;
	bool tour;
	long tour_auto_ms;
	/* The demo: its simulator's controls (:sim) and its tour's file
	 * (:tour); NULL outside a demo. */
	struct simctl *simctl;
	const char *tour_file;
	const char *theme;       /* name or file; NULL: default */
	bool readonly;           /* READ-ONLY badge; dangerous actions unbound */
	bool no_color;           /* NO_COLOR, --no-color */
	bool ascii;              /* --ascii; also forced when the locale is not UTF-8 */
	bool no_mouse;           /* --no-mouse */
	bool demo;               /* DEMO badge */
	long heartbeat_stale_ms; /* 0: join's default */
	/* How long a new or changed row stays highlighted; 0: the default
	 * (3 s), negative: never. */
	long highlight_ms;
	/* The config file's keys: (config.h), laid over the default keys. */
	const struct config_binding *bindings;
	size_t nbindings;
	struct log_sink *log;
	/* Asks the data sources to fetch everything again (F5); NULL: none. */
	void (*refetch)(void *ctx);
	void *refetch_ctx;
	/* Called once, on the UI thread, right after the first frame reached
	 * the terminal, before any key is read; NULL: none. Non-zero ends the
	 * dashboard at once (ui_run returns 1; the caller says why once the
	 * terminal is restored). */
	int (*drawn)(void *ctx);
	void *drawn_ctx;
	/* Called once, on the UI thread, right after the first frame that
	 * shows every cluster's state: each cluster's sources answered, but
	 * the held ones (store_snapshot_state_answered()); NULL: none. The
	 * dashboard lets the held sources' requests start then. */
	void (*state_shown)(void *ctx);
	void *state_shown_ctx;
};

/* Runs the dashboard until the user quits, a hang-up or end of input.
 * Returns 0, or 1 when the terminal could not be used (a message was
 * printed to stderr) or the drawn callback failed (nothing was printed). */
int ui_run(const struct ui_options *opt);

/* How many cells of text the paints so far have written into the screen,
 * each time it was written (blanks and box lines, which curses fills in one
 * call, left out): what a paint cost, for the tests. Safe to read from any
 * thread. */
unsigned long ui_cells_painted(void);

#endif
