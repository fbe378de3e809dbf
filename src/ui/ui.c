/* ui: the event loop, signals, and what each action does. */
#include "autoconfig.h"

#include "ui_internal.h"

#include "peerscope/codec.h"
#include "peerscope/config.h"
#include "peerscope/term.h"
#include "peerscope/join.h"
#include "peerscope/log.h"
#include "peerscope/script.h"
#include "peerscope/simctl.h"
#include "peerscope/store.h"

#include <errno.h>
#include <fcntl.h>
#include <langinfo.h>
#include <limits.h>
#include <locale.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <term.h>
#include <termios.h>
#include <unistd.h>
#include <wchar.h>

#define TICK_MS 1000

static const struct ui_glyphs utf8_glyphs = {
        "\u2500", "\u2502", "\u250c", "\u2510", "\u2514", "\u2518", "\u25b2", "\u2194",
        "\u2191", "\u2193", "\u2713", "\u2717", "\u2013", "\u25b8", "\u253c", "\u2026",
};
static const struct ui_glyphs ascii_glyphs = {"-", "|", "+",  "+",  "+",  "+", "^", "<->",
                                              "^", "v", "ok", "!!", "--", ">", "+", "~"};

/* ------------------------------------------------------------ signals */

/* The only mutable globals of the dashboard: a signal handler can reach
 * nothing else. Handlers set a flag and write one byte to wake poll(). */
static volatile sig_atomic_t sig_resize, sig_quit;
static int sig_pipe[2] = {-1, -1};
/* What a crash handler writes to give the terminal back (leave the
 * alternate screen, reset attributes, show the cursor, put the keypad back
 * in normal mode, stop the mouse),
 * prepared before it could be needed; and the terminal modes to restore. */
static char crash_text[256];
static size_t crash_len;
static struct termios saved_modes;
static volatile sig_atomic_t saved_modes_ok;

static void on_signal(int sig)
{
	int saved = errno;
	ssize_t w;

	if (sig == SIGWINCH)
		sig_resize = 1;
	else
		sig_quit = sig;
	if (sig_pipe[1] >= 0)
		w = write(sig_pipe[1], "s", 1);
	(void)w;
	errno = saved;
}

static void on_crash(int sig)
{
	ssize_t w;

	if (crash_len)
		w = write(STDOUT_FILENO, crash_text, crash_len);
	(void)w;
	if (saved_modes_ok)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved_modes);
	signal(sig, SIG_DFL);
	raise(sig);
}

static const int quit_signals[] = {SIGHUP, SIGTERM, SIGINT, SIGQUIT};
static const int crash_signals[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};

static void add_cap(const char *name)
{
	char *s = tigetstr(name);
	size_t n;

	if (!s || s == (char *)-1)
		return;
	n = strlen(s);
	if (crash_len + n < sizeof crash_text) {
		memcpy(crash_text + crash_len, s, n);
		crash_len += n;
	}
}

static void prepare_crash_text(void)
{
	static const char mouse_off[] = "\033[?1000l\033[?1002l\033[?1006l";

	crash_len = 0;
	add_cap("sgr0");
	add_cap("cnorm");
	add_cap("rmkx"); /* the keypad back to normal mode, as endwin() does */
	add_cap("rmcup");
	memcpy(crash_text + crash_len, mouse_off, sizeof mouse_off - 1);
	crash_len += sizeof mouse_off - 1;
}

static int signals_install(void)
{
	struct sigaction sa;

	if (pipe(sig_pipe) < 0)
		return -1;
	for (int i = 0; i < 2; i++) {
		fcntl(sig_pipe[i], F_SETFL, fcntl(sig_pipe[i], F_GETFL) | O_NONBLOCK);
		fcntl(sig_pipe[i], F_SETFD, FD_CLOEXEC);
	}
	sig_resize = sig_quit = 0;
	memset(&sa, 0, sizeof sa);
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_signal;
	sigaction(SIGWINCH, &sa, NULL);
	for (size_t i = 0; i < sizeof quit_signals / sizeof quit_signals[0]; i++)
		sigaction(quit_signals[i], &sa, NULL);
	sa.sa_handler = on_crash;
	sa.sa_flags = SA_RESETHAND;
	for (size_t i = 0; i < sizeof crash_signals / sizeof crash_signals[0]; i++)
		sigaction(crash_signals[i], &sa, NULL);
	return 0;
}

static void signals_remove(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_DFL;
	sigaction(SIGWINCH, &sa, NULL);
	for (size_t i = 0; i < sizeof quit_signals / sizeof quit_signals[0]; i++)
		sigaction(quit_signals[i], &sa, NULL);
	for (size_t i = 0; i < sizeof crash_signals / sizeof crash_signals[0]; i++)
		sigaction(crash_signals[i], &sa, NULL);
	for (int i = 0; i < 2; i++) {
		if (sig_pipe[i] >= 0)
			close(sig_pipe[i]);
		sig_pipe[i] = -1;
	}
}

static void drain(int fd)
{
	char buf[64];

	while (read(fd, buf, sizeof buf) > 0)
		;
}

/* ------------------------------------------------------------ data */

static void release_all(struct store_snapshot **snaps, size_t n)
{
	for (size_t i = 0; snaps && i < n; i++) {
		store_snapshot_unref(snaps[i]);
		snaps[i] = NULL;
	}
}

/* The row whose detail is shown, as a view input wants it: "" for none. */
static void detail_wanted(struct ui *u, struct view_input *in)
{
	const char *id = "";
	enum view_pane p = VIEW_CLUSTERS;

	if (!ui_text_detail_row(u, &p, &id))
		id = "";
	in->detail_id = id;
	in->detail_pane = p;
}

/* Nothing the view model shows came with the newest snapshots (a source
 * answered again with the same data), and the same row's detail is
 * wanted. */
static bool nothing_new(const struct ui *u, struct store_snapshot *const *snaps,
                        const struct view_input *in)
{
	if (!u->have_jv || !u->shown_with_detail || u->shown_detail_pane != in->detail_pane ||
	    strcmp(u->shown_detail, in->detail_id))
		return false;
	for (size_t i = 0; i < u->opt->nclusters; i++)
		if (!store_snapshot_same(u->shown_snaps[i], snaps[i]))
			return false;
	return true;
}

/* Every one of SNAPS[0..N) says what the shown one says but for the
 * streams' times and the sources' success times (remembered by seq until
 * the next review). */
static bool only_times_moved(struct ui *u, struct store_snapshot *const *snaps, size_t n)
{
	if (!u->times_ok_seq && !(u->times_ok_seq = calloc(n ? n : 1, sizeof *u->times_ok_seq)))
		return false;
	for (size_t i = 0; i < n; i++) {
		if (snaps[i] == u->shown_snaps[i] ||
		    (snaps[i] && snaps[i]->seq && snaps[i]->seq == u->times_ok_seq[i]))
			continue;
		if (!store_snapshot_same_but_times(u->shown_snaps[i], snaps[i]))
			return false;
		if (snaps[i])
			u->times_ok_seq[i] = snaps[i]->seq;
	}
	return true;
}

/* A shown pair's heartbeat is stale: a new one clears a problem. */
static bool heartbeat_stale_shown(const struct join_view *jv)
{
	for (size_t i = 0; i < jv->npairs; i++)
		if (jv->pairs[i].flags & JOIN_F_HEARTBEAT_STALE)
			return true;
	return false;
}

/* Nothing but stream times came with the newest snapshots, the same row's
 * detail is wanted, no heartbeat shown is stale, and the last review is more
 * recent than UI_TIMES_MS: the times wait for their turn (the view shows the
 * ages of the last review, which next_tick() brings up to date when their
 * turn comes). */
static bool times_wait(struct ui *u, struct store_snapshot *const *snaps,
                       const struct view_input *in)
{
	size_t n = u->opt->nclusters;

	if (!u->have_jv || !u->shown_with_detail ||
	    u->now_ns + (int64_t)UI_TIMES_EARLY_MS * 1000000 >= u->times_due_ns ||
	    u->shown_detail_pane != in->detail_pane || strcmp(u->shown_detail, in->detail_id) ||
	    heartbeat_stale_shown(&u->jv))
		return false;
	return only_times_moved(u, snaps, n);
}

/* What the pairs of JV came to, summed up: their ids, flags, health and
 * problems. Between two joins of snapshots that differ only in times, the
 * same sum says that only the pairs' ages moved. */
static uint64_t pairs_outcome(const struct join_view *jv)
{
	uint64_t h = codec_hash_bytes(jv->npairs, (const char *)&jv->pairs_active,
	                              sizeof jv->pairs_active);

	for (size_t i = 0; i < jv->npairs; i++) {
		const struct join_pair *p = &jv->pairs[i];
		h = codec_hash_bytes(h, p->id, strlen(p->id) + 1);
		h = codec_hash_bytes(h, (const char *)&p->flags, sizeof p->flags);
		h = codec_hash_bytes(h, (const char *)&p->healthy, sizeof p->healthy);
		h = codec_hash_bytes(h, p->problem, strlen(p->problem) + 1);
	}
	return h;
}

/* The snapshots SNAPS[0..N), the same data as those shown, answered later:
 * the header's time follows them, with no review. UI_HEADER when the time
 * it shows (to the second) moved. O(clusters). */
static unsigned note_published(struct ui *u, struct store_snapshot *const *snaps, size_t n)
{
	int64_t newest = u->updated_ns;

	for (size_t i = 0; i < n; i++)
		if (snaps[i] && snaps[i]->published_ns > newest)
			newest = snaps[i]->published_ns;
	if (newest / 1000000000 == u->updated_ns / 1000000000) {
		u->updated_ns = newest;
		return 0;
	}
	u->updated_ns = newest;
	return UI_HEADER;
}

/* Tells the store which answers need not wake the UI, after a review that
 * showed nothing new: until the header's second is over, one with the same
 * data (it would not move the header's time), and, while stream times wait
 * for their turn, one with new times too, within that second and before
 * the turn. At 16 clusters the stream polls' answers, all within a few
 * milliseconds on their grid, woke the UI a dozen times each interval. */
static void quiet_until_news(struct ui *u)
{
	int64_t sec_end = (u->updated_ns / 1000000000 + 1) * 1000000000;
	int64_t turn = u->times_due_ns - (int64_t)UI_TIMES_EARLY_MS * 1000000;

	store_quiet_until(u->opt->store, sec_end,
	                  u->times_waiting ? (turn < sec_end ? turn : sec_end) : 0);
}

/* Rebuilds the view model from every cluster's newest snapshot, doing only
 * what changed asks for: nothing when no snapshot brought anything new,
 * and the join and the panes reuse what they can (join_cache, the panes'
 * keys). */
static unsigned review(struct ui *u, bool force)
{
	size_t n = u->opt->nclusters;
	struct store_snapshot **snaps = calloc(n ? n : 1, sizeof *snaps);
	struct join_options jopt = {.heartbeat_stale_ms = u->opt->heartbeat_stale_ms};
	struct view_input in = {.names = u->opt->names, .n = n, .ascii = u->ascii};
	uint64_t gen;
	unsigned todo = UI_REDRAW;

	if (!snaps)
		return ui_say(u, true, "out of memory: the screen shows older data");
	/* Before the snapshots are read: whatever comes after them wakes. */
	store_quiet_until(u->opt->store, 0, 0);
	store_get_all(u->opt->store, snaps, &gen);
	u->reviewed_gen = gen;
	detail_wanted(u, &in);
	bool same = !force && nothing_new(u, snaps, &in);
	if (same || (!force && times_wait(u, snaps, &in))) {
		/* The header's time follows the answers all the same. */
		if (!same)
			u->times_waiting = true;
		todo = note_published(u, snaps, n);
		quiet_until_news(u);
		release_all(snaps, n);
		free(snaps);
		return todo;
	}
	/* Only times moved since the review before: if the pairs come out the
	 * same, the view sets what shows a time and keeps the rest. */
	bool times = !force && u->have_jv && u->shown_with_detail &&
	             u->shown_detail_pane == in.detail_pane &&
	             !strcmp(u->shown_detail, in.detail_id) && only_times_moved(u, snaps, n);
	uint64_t outcome = !times ? 0 : u->have_jv_outcome ? u->jv_outcome : pairs_outcome(&u->jv);
	/* The last view borrows from the cache: free it before the build. */
	if (u->have_jv)
		join_view_free(&u->jv);
	u->have_jv = false;
	u->have_jv_outcome = false;
	in.snaps = (const struct store_snapshot *const *)snaps;
	in.now_ns = u->now_ns;
	if (join_build_cached(u->jcache, in.snaps, n, u->now_ns, &jopt, &u->jv) < 0) {
		todo = ui_say(u, true, "out of memory: the screen shows older data");
		release_all(snaps, n);
		free(snaps);
		return todo;
	}
	u->have_jv = true;
	in.join = &u->jv;
	struct preflight_input pin = {in.snaps, n, &u->jv, NULL, u->now_ns, NULL};
	/* NULL (out of memory): the model runs them itself. */
	u->checks = in.checks = preflight_memo_run(u->pmemo, &pin);
	/* Taken once a review: hashed again before the next build, it was
	 * half of what the sums cost at 640 pairs. */
	if (times) {
		u->jv_outcome = pairs_outcome(&u->jv);
		u->have_jv_outcome = true;
	}
	bool clock = times && u->jv_outcome == outcome;
	if ((clock ? view_model_update_times(&u->vm, &in) : view_model_update(&u->vm, &in)) < 0)
		ui_say(u, true, "out of memory: some panes are empty");
	else if (clock)
		todo = UI_CLOCK; /* the panes that moved, painted over the last frame */
	u->updated_ns = u->vm.newest_ns;
	u->targets_stale = true; /* the pairs' names: listed when a completion asks */
	/* Keep what the model was made of: the ages of a stale cluster are
	 * redrawn from it, and the next review compares with it. */
	ui_line_services_drop(u); /* its names are the old snapshots' */
	release_all(u->shown_snaps, n);
	free(u->shown_snaps);
	u->shown_snaps = snaps;
	if (u->times_ok_seq)
		memset(u->times_ok_seq, 0, n * sizeof *u->times_ok_seq);
	u->shown_detail_pane = in.detail_pane;
	snprintf(u->shown_detail, sizeof u->shown_detail, "%s", in.detail_id);
	u->shown_with_detail = true;
	u->times_waiting = false;
	u->times_due_ns = u->now_ns + (int64_t)UI_TIMES_MS * 1000000;
	return todo;
}

/* Only the time moved: the ages a stale cluster shows. */
static unsigned review_ages(struct ui *u)
{
	struct view_input in = {.snaps = (const struct store_snapshot *const *)u->shown_snaps,
	                        .names = u->opt->names,
	                        .n = u->opt->nclusters,
	                        .join = &u->jv,
	                        .now_ns = u->now_ns,
	                        .ascii = u->ascii,
	                        .checks = u->checks};

	if (!u->have_jv || !u->shown_snaps)
		return UI_REVIEW | UI_REDRAW;
	detail_wanted(u, &in);
	if (u->shown_detail_pane != in.detail_pane || strcmp(u->shown_detail, in.detail_id))
		return UI_REVIEW | UI_REDRAW;
	if (view_model_update_ages(&u->vm, &in) < 0)
		ui_say(u, true, "out of memory: some panes are empty");
	return UI_REDRAW;
}

/* A diagnostic without the folders of its file name: the status line is
 * short, and the log has the whole text. */
static const char *short_path(const char *diag)
{
	const char *colon = strchr(diag, ':'), *slash = NULL;

	for (const char *c = diag; colon && c < colon; c++)
		if (*c == '/')
			slash = c;
	return slash ? slash + 1 : diag;
}

unsigned ui_switch_theme(struct ui *u, const char *name)
{
	char buf[4096];
	const char *dirs[THEME_DIRS_MAX];
	size_t ndirs = theme_dirs(buf, sizeof buf, dirs);
	struct theme_diags d = {0};
	unsigned todo;

	if (theme_load(name, dirs, ndirs, &u->theme, &d) < 0) {
		todo = ui_say(u, true, "using the default theme: %s",
		              d.n ? short_path(d.v[0]) : name);
	} else if (d.n) {
		todo = ui_say(u, true, "theme %s: %s", u->theme.name, short_path(d.v[0]));
	} else {
		todo = ui_say(u, false, "theme %s", u->theme.name);
	}
	for (size_t i = 0; i < d.n; i++)
		log_warn(u->opt->log, "%s", d.v[i]);
	theme_diags_free(&d);
	if (!isendwin())
		ui_screen_install_theme(u);
	return todo | UI_RELAYOUT;
}

/* ------------------------------------------------------------ actions */

static long page(const struct ui *u)
{
	long h = u->pane[u->focus].h - 1;

	return h > 1 ? h : 1;
}

static unsigned move_cursor(struct ui *u, long delta)
{
	view_table_move(ui_focused(u), delta);
	return UI_REDRAW;
}

/* Focusing a pane closes the full-screen layers over it. */
unsigned ui_focus_pane(struct ui *u, enum view_pane p)
{
	while (ui_overlay_full_screen(u))
		ui_overlay_pop(u);
	u->focus = p;
	return UI_REDRAW;
}

static unsigned go_to(struct ui *u, enum view_pane p, const char *name)
{
	if (!view_table_find(&u->vm.table[p], name))
		return ui_say(u, true, "no %s matches '%s'",
		              p == VIEW_PEERINGS ? "peering" : "cluster", name);
	ui_focus_pane(u, p);
	return UI_REDRAW;
}

static unsigned sort(struct ui *u, bool reverse)
{
	struct view_table *t = ui_focused(u);

	if (reverse)
		view_table_sort_reverse(t);
	else
		view_table_sort_next(t);
	if (t->sort_col < 0)
		return ui_say(u, false, "%s: in their natural order", view_pane_title(u->focus));
	return ui_say(u, false, "%s: sorted by %s%s", view_pane_title(u->focus),
	              t->cols[t->sort_col].title, t->sort_desc ? ", descending" : "");
}

static unsigned back(struct ui *u)
{
	if (*ui_focused(u)->filter) {
		view_table_set_filter(ui_focused(u), "");
		return ui_say(u, false, "filter cleared");
	}
	return 0;
}

static unsigned scroll_columns(struct ui *u, int delta)
{
	int h = u->hscroll[u->focus] + delta, max = (int)ui_focused(u)->ncols - 2;

	u->hscroll[u->focus] = h < 0 ? 0 : h > max ? max : h;
	return UI_REDRAW;
}

/* :tour, in a demo: the tour's file played from its start. */
static unsigned start_tour(struct ui *u)
{
	struct script sc;
	char err[600];

	if (!u->opt->tour_file)
		return ui_say(u, true, "':tour' works in a demo: peerscope --demo --tour");
	if (script_load(u->opt->tour_file, &sc, err, sizeof err) < 0)
		return ui_say(u, true, "%s", err);
	if (ui_player_start(u, &sc, true, 0) < 0) {
		script_free(&sc);
		return ui_say(u, true, "out of memory");
	}
	return UI_REDRAW;
}

/* :sim ARGS, in a demo: a command of its simulator, in the background. */
static unsigned sim_command(struct ui *u, const char *arg)
{
	char buf[256], *argv[24], *save = NULL, err[400];
	size_t argc = 0;

	if (!u->opt->simctl)
		return ui_say(
		        u, true,
		        "':sim' works only in a demo (peerscope --demo): it drives the demo's "
		        "own simulator, never a real cluster");
	snprintf(buf, sizeof buf, "%s", arg);
	for (char *w = strtok_r(buf, " \t", &save); w && argc < 24;
	     w = strtok_r(NULL, " \t", &save))
		argv[argc++] = w;
	if (!simctl_start(u->opt->simctl, argv, argc, err, sizeof err))
		return ui_say(u, true, "%s", err);
	u->sim_pending = true;
	return ui_say(u, false, "sim %s ...", arg);
}

/* The answer of a :sim command, once it came. */
static unsigned sim_poll(struct ui *u)
{
	char msg[400];
	bool ok;

	if (!u->sim_pending || !simctl_poll(u->opt->simctl, &ok, msg, sizeof msg))
		return 0;
	u->sim_pending = false;
	return ui_say(u, !ok, "%s", msg);
}

/* What a script asks of the dashboard: a key, a command, a focus. */
static unsigned key(struct ui *u, int r, wint_t wc);

static unsigned play(struct ui *u)
{
	struct ui_play pl;
	unsigned todo = ui_player_tick(u, &pl);
	enum view_pane p;

	switch (pl.what) {
	case UI_PLAY_KEY:
		/* A key of the script goes to the dashboard, not to the script's
		 * own caption. */
		u->playing = true;
		todo |= key(u, pl.r, pl.wc);
		u->playing = false;
		return todo;
	case UI_PLAY_COMMAND:
		snprintf(u->command, sizeof u->command, "%s", pl.text);
		return todo | UI_COMMAND;
	case UI_PLAY_FOCUS:
		p = pl.pane;
		todo |= ui_focus_pane(u, p);
		if (pl.text[0])
			view_table_find(&u->vm.table[p], pl.text);
		return todo | UI_REDRAW;
	default:
		return todo;
	}
}

static unsigned run_general(struct ui *u, enum action_id id, const char *arg)
{
	switch (id) {
	case ACTION_HELP:
		return ui_text_help(u);
	case ACTION_COMMAND:
		return ui_line_command(u);
	case ACTION_EVENTS:
		return ui_text_events(u);
	case ACTION_FREEZE:
		u->frozen = !u->frozen;
		ui_say(u, false,
		       u->frozen ? "frozen: updates are not shown (Z resumes)" : "live again");
		return u->frozen ? UI_REDRAW : UI_REVIEW | UI_REDRAW;
	case ACTION_REFRESH:
		if (!u->opt->refetch)
			return ui_say(u, true, "nothing to refresh: no data source");
		return ui_say(u, false, "fetching everything again") | UI_REFETCH;
	case ACTION_REDRAW:
		return UI_RELAYOUT | UI_REDRAW;
	case ACTION_THEME:
		return ui_switch_theme(u, arg);
	case ACTION_MAP:
		return ui_map(u);
	case ACTION_TOUR:
		return start_tour(u);
	case ACTION_SIM:
		return sim_command(u, arg);
	case ACTION_QUIT:
		return UI_QUIT;
	default:
		return 0;
	}
}

static unsigned run_panes(struct ui *u, enum action_id id)
{
	switch (id) {
	case ACTION_PANE_NEXT:
		return ui_focus_pane(u, (enum view_pane)((u->focus + 1) % VIEW_PANE_COUNT));
	case ACTION_PANE_PREV:
		return ui_focus_pane(
		        u, (enum view_pane)((u->focus + VIEW_PANE_COUNT - 1) % VIEW_PANE_COUNT));
	default:
		return ui_focus_pane(u, (enum view_pane)(id - ACTION_PANE_CLUSTERS));
	}
}

static unsigned run_move(struct ui *u, enum action_id id, const char *arg)
{
	switch (id) {
	case ACTION_UP:
		return move_cursor(u, -1);
	case ACTION_DOWN:
		return move_cursor(u, 1);
	case ACTION_PAGE_UP:
		return move_cursor(u, -page(u));
	case ACTION_PAGE_DOWN:
		return move_cursor(u, page(u));
	case ACTION_TOP:
		return move_cursor(u, -LONG_MAX / 2);
	case ACTION_BOTTOM:
		return move_cursor(u, LONG_MAX / 2);
	case ACTION_LEFT:
		return scroll_columns(u, -1);
	case ACTION_RIGHT:
		return scroll_columns(u, 1);
	case ACTION_PEERING:
		return go_to(u, VIEW_PEERINGS, arg);
	case ACTION_CLUSTER:
		return go_to(u, VIEW_CLUSTERS, arg);
	default:
		return 0;
	}
}

static unsigned run_view(struct ui *u, enum action_id id)
{
	switch (id) {
	case ACTION_DETAIL:
		return ui_text_detail(u);
	case ACTION_RAW:
		return ui_say(u, true, "y works in the detail view (Enter opens it)");
	case ACTION_BACK:
		return back(u);
	case ACTION_FILTER:
		return ui_line_filter(u);
	case ACTION_SORT:
		return sort(u, false);
	case ACTION_SORT_REVERSE:
		return sort(u, true);
	default:
		return 0;
	}
}

unsigned ui_run_action(struct ui *u, enum action_id id, const char *arg)
{
	const struct action *a = actions_get(id);
	enum ops_kind kind;

	if (!a || !actions_available(&u->km, id))
		return ui_say(u, true, "not available%s",
		              u->km.readonly ? " in read-only mode" : "");
	/* An action on the selected row needs one; the command line can name
	 * its target instead. */
	if ((a->flags & ACTION_F_SELECTION) && !*arg && !view_table_selected(ui_focused(u)))
		return ui_say(u, true, "no row is selected");
	switch (a->group) {
	case ACTION_G_GENERAL:
		return run_general(u, id, arg);
	case ACTION_G_PANES:
		return run_panes(u, id);
	case ACTION_G_MOVE:
		return run_move(u, id, arg);
	case ACTION_G_VIEW:
		return run_view(u, id);
	case ACTION_G_OPS:
		if (!ui_ops_action(id, &kind))
			return 0;
		if (*arg && ops_kind_is_mesh(kind))
			return ui_mesh_start(u, kind, arg);
		if (*arg)
			return ui_ops_start(u, kind, arg);
		/* No clusters named: the selected row says which. */
		return ui_pane_action(u, id) & ~UI_PASS;
	default:
		return ui_say(u, true, "':%s' is not available here", a->name);
	}
}

/* A command the input line accepted. */
static unsigned run_command(struct ui *u)
{
	struct action_command cmd;
	char err[256];

	if (actions_parse_command(&u->km, u->command, &cmd, err, sizeof err) < 0)
		return ui_say(u, true, "%s", err);
	return ui_run_action(u, cmd.id, cmd.arg);
}

/* ------------------------------------------------------------ mouse */

static bool inside(const struct ui_rect *r, int y, int x)
{
	return r->w > 0 && y >= r->y && y < r->y + r->h && x >= r->x && x < r->x + r->w;
}

static unsigned wheel(struct ui *u, long delta)
{
	struct ui_overlay *o = ui_overlay_top(u);

	if (o && o->ops->full_screen) {
		o->top += delta;
		return UI_REDRAW;
	}
	return move_cursor(u, delta);
}

static unsigned mouse(struct ui *u)
{
	MEVENT ev;
	enum view_pane p;
	long row;

	if (getmouse(&ev) != OK)
		return 0;
	if (ev.bstate & BUTTON4_PRESSED)
		return wheel(u, -3);
#ifdef BUTTON5_PRESSED
	if (ev.bstate & BUTTON5_PRESSED)
		return wheel(u, 3);
#endif
	if (!(ev.bstate & (BUTTON1_CLICKED | BUTTON1_PRESSED)))
		return 0;
	for (size_t i = 0; i < u->nbar; i++)
		if (inside(&u->bar_at[i], ev.y, ev.x))
			return ui_pane_action(u, u->bar[i].id) & UI_PASS
			               ? ui_run_action(u, u->bar[i].id, "")
			               : UI_REDRAW;
	if (ui_overlay_full_screen(u))
		return 0;
	for (int i = 0; i < VIEW_PANE_COUNT && !u->big; i++)
		if (inside(&u->tab_at[i], ev.y, ev.x))
			return ui_focus_pane(u, (enum view_pane)i);
	if (!ui_draw_hit_row(u, ev.y, ev.x, &p, &row))
		return 0;
	u->focus = p;
	if (row >= 0)
		view_table_select(&u->vm.table[p], (size_t)row);
	return UI_REDRAW;
}

/* ------------------------------------------------------------ keys */

/* A key goes down the stack of layers, then to the focused pane, then to
 * the global table. */
static unsigned key(struct ui *u, int r, wint_t wc)
{
	char name[32];
	int ch;
	enum action_id id;
	unsigned todo;

	if (r == KEY_CODE_YES && wc == KEY_RESIZE)
		return UI_RELAYOUT | UI_REDRAW;
	if (r == KEY_CODE_YES && wc == KEY_MOUSE)
		return mouse(u);
	ch = (int)wc;
	if ((r == KEY_CODE_YES && wc == KEY_ENTER) || (r != KEY_CODE_YES && wc == '\r'))
		ch = '\n';
	id = actions_lookup(&u->km, ch);
	todo = ui_overlay_key(u, r, wc, id);
	if (!(todo & UI_PASS))
		return todo;
	todo = ui_pane_action(u, id);
	if (!(todo & UI_PASS))
		return todo;
	if (id == ACTION_NONE) {
		actions_key_name(ch, name, sizeof name);
		return ui_say(u, true, "%s%s%sdoes nothing here (? shows the keys)",
		              *name ? "key " : "", name, *name ? " " : "that key ");
	}
	return ui_run_action(u, id, "");
}

/* Reads every key waiting. Returns the intents; sets *eof when the
 * terminal had nothing to give although poll() said it was readable. */
static unsigned read_keys(struct ui *u, bool *eof)
{
	unsigned todo = 0;
	wint_t wc;
	int r, n = 0;

	while ((r = get_wch(&wc)) != ERR) {
		n++;
		todo |= key(u, r, wc);
		if (todo & UI_QUIT)
			break;
	}
	if (n == 0) {
		int pending = 0;
		*eof = ioctl(STDIN_FILENO, FIONREAD, &pending) == 0 && pending == 0;
	}
	return todo;
}

/* ------------------------------------------------------------ loop */

static void resize(void)
{
	struct winsize ws;

	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 && ws.ws_col > 0)
		resizeterm(ws.ws_row, ws.ws_col);
}

/* The frame drawn shows every cluster's state: each one's snapshot with
 * every source answered but the held ones (store_src_held()). */
static bool state_all_shown(const struct ui *u)
{
	if (!u->shown_snaps)
		return false;
	for (size_t i = 0; i < u->opt->nclusters; i++)
		if (!u->shown_snaps[i] || !store_snapshot_state_answered(u->shown_snaps[i]))
			return false;
	return true;
}

static void earliest(int64_t *next, int64_t at)
{
	if (at && (!*next || at < *next))
		*next = at;
}

/* The screen changes with time alone only while a cluster is stale (the
 * text of its age changes), a heartbeat grows stale (or the age of a stale
 * one counts), a row's highlight or a message ends, an operation runs (its
 * clock counts), or stream times that waited are due; an idle dashboard
 * computes and draws nothing and sleeps until a key or a change. Returns
 * when the next of those is due (0: none), with in *ages what it asks for:
 * UI_AGES when it is a stale cluster's age, UI_REJOIN when it is a judgment
 * of the join, UI_REVIEW when it is the waiting times, and UI_REDRAW unless
 * it is those times alone. */
static int64_t next_tick(const struct ui *u, int64_t now, unsigned *ages)
{
	int64_t sec = (int64_t)TICK_MS * 1000000, next = 0;
	int64_t highlight = u->vm.newest_change_ns && u->highlight_ns
	                            ? u->vm.newest_change_ns + u->highlight_ns
	                            : 0;
	int64_t message = *u->message ? u->message_ns + (int64_t)UI_MESSAGE_MS * 1000000 : 0;

	if (!u->frozen)
		earliest(&next, u->vm.ages_change_ns);
	/* Highlights fade a second apart until the newest one ended. */
	if (highlight > now)
		earliest(&next, highlight < now + sec ? highlight : now + sec);
	if (message > now)
		earliest(&next, message);
	if (ui_ops_busy(u))
		earliest(&next, now + sec);
	if (u->have_jv && !u->frozen)
		earliest(&next, u->jv.next_change_ns);
	/* Each of those paints; the times' turn alone leaves what to paint
	 * to its review (UI_CLOCK for new times). */
	int64_t paint = next;
	if (u->times_waiting && !u->frozen)
		earliest(&next, u->times_due_ns);
	*ages = paint && paint == next ? UI_REDRAW : 0;
	if (next && !u->frozen) {
		/* A review redoes the ages too. */
		if (u->have_jv && next == u->jv.next_change_ns)
			*ages |= UI_REJOIN;
		else if (u->times_waiting && next == u->times_due_ns)
			*ages |= UI_REVIEW;
		else if (next == u->vm.ages_change_ns)
			*ages |= UI_AGES;
	}
	return next;
}

/* 0 when the user or the terminal ends it; -1 when the drawn callback
 * fails. */
static int loop(struct ui *u)
{
	struct pollfd fds[3] = {
	        {STDIN_FILENO, POLLIN, 0},
	        {store_wake_fd(u->opt->store), POLLIN, 0},
	        {sig_pipe[0], POLLIN, 0},
	};
	unsigned todo = UI_REVIEW | UI_RELAYOUT | UI_REDRAW, ages = 0;
	int empty_reads = 0;
	bool first = true;
	int64_t tick_at = 0;

	/* A resize between curses' start and the handler's would be lost. */
	resize();
	for (;;) {
		if (todo & UI_COMMAND)
			todo = (todo & ~UI_COMMAND) | run_command(u);
		if (sig_quit || (todo & UI_QUIT))
			return 0;
		if ((todo & UI_REFETCH) && u->opt->refetch)
			u->opt->refetch(u->opt->refetch_ctx);
		if (sig_resize) {
			sig_resize = 0;
			resize();
			todo |= UI_RELAYOUT | UI_REDRAW;
		}
		u->now_ns = store_now_ns();
		if ((todo & UI_AGES) && !(todo & (UI_REVIEW | UI_REJOIN)))
			todo |= review_ages(u); /* may ask for a review */
		if (todo & (UI_REVIEW | UI_REJOIN))
			todo |= review(u, todo & UI_REJOIN);
		if ((todo & UI_WAKE) && store_last_event(u->opt->store) != u->event_seen) {
			/* The status line shows the newest event. */
			u->event_seen = store_last_event(u->opt->store);
			todo |= UI_REDRAW;
		}
		if (todo & (UI_REDRAW | UI_RELAYOUT | UI_WAKE | UI_CLOCK)) {
			/* An operation that ended asks for its result at once. */
			unsigned late = ui_overlay_update(u);
			if ((late & UI_REFETCH) && u->opt->refetch)
				u->opt->refetch(u->opt->refetch_ctx);
			todo |= late;
		}
		if (todo & UI_RELAYOUT)
			clearok(curscr, TRUE);
		if (todo & (UI_REDRAW | UI_RELAYOUT)) {
			ui_draw_layout(u);
			ui_draw_screen(u);
		} else if (todo & UI_CLOCK) {
			ui_draw_clock(u);
		} else if (todo & UI_HEADER) {
			ui_draw_header_line(u); /* no review, no other line */
		}
		if (first) {
			/* The first frame is on the terminal. */
			first = false;
			if (u->opt->drawn && u->opt->drawn(u->opt->drawn_ctx) != 0)
				return -1;
		}
		if (!u->state_shown && (todo & (UI_REDRAW | UI_RELAYOUT | UI_CLOCK)) &&
		    state_all_shown(u)) {
			u->state_shown = true;
			if (u->opt->state_shown)
				u->opt->state_shown(u->opt->state_shown_ctx);
		}
		todo = 0;
		tick_at = next_tick(u, u->now_ns, &ages);
		long wait = ui_player_wait_ms(u);
		if (u->sim_pending)
			wait = wait >= 0 && wait < 50 ? wait : 50;
		if (tick_at) {
			int64_t ms = (tick_at - u->now_ns + 999999) / 1000000;
			if (wait < 0 || ms < wait)
				wait = ms < 0 ? 0 : (long)ms;
		}
		if (poll(fds, 3, wait < 0 ? -1 : (int)(wait > INT_MAX ? INT_MAX : wait)) < 0) {
			if (errno != EINTR)
				return 0;
			continue;
		}
		todo |= sim_poll(u) | play(u);
		if (fds[2].revents)
			drain(sig_pipe[0]);
		if (fds[1].revents & POLLIN) {
			/* A new snapshot calls for the view model; an event or an
			 * operation's progress only for a repaint. */
			uint64_t gen = store_wake_drain(u->opt->store);
			todo |= UI_WAKE;
			if (!u->frozen && gen != u->reviewed_gen)
				todo |= UI_REVIEW;
		}
		if (fds[0].revents & (POLLHUP | POLLERR | POLLNVAL))
			return 0; /* the terminal went away */
		if (fds[0].revents & POLLIN) {
			bool eof = false;
			todo |= read_keys(u, &eof);
			empty_reads = eof ? empty_reads + 1 : 0;
			if (empty_reads >= 3)
				return 0; /* end of input */
		}
		if (tick_at && store_now_ns() >= tick_at)
			todo |= ages; /* next_tick(): what it is for */
	}
}

/* ------------------------------------------------------------ run */

static bool locale_is_utf8(void)
{
	const char *cs = nl_langinfo(CODESET);

	return cs && (!strcasecmp(cs, "UTF-8") || !strcasecmp(cs, "utf8"));
}

static int ui_init(struct ui *u, const struct ui_options *opt)
{
	char buf[4096];
	const char *dirs[THEME_DIRS_MAX];
	size_t ndirs;

	memset(u, 0, sizeof *u);
	u->opt = opt;
	u->ascii = opt->ascii || !locale_is_utf8();
	u->highlight_ns = opt->highlight_ms < 0    ? 0
	                  : opt->highlight_ms == 0 ? (int64_t)UI_CHANGED_MS * 1000000
	                                           : (int64_t)opt->highlight_ms * 1000000;
	u->g = u->ascii ? &ascii_glyphs : &utf8_glyphs;
	/* Without a worker nothing can change a cluster: the operations are
	 * not offered, as in read-only mode. */
	actions_keymap_default(&u->km, opt->readonly || !opt->worker);
	for (size_t i = 0; i < opt->nbindings; i++)
		actions_keymap_set(&u->km, actions_find(opt->bindings[i].action),
		                   opt->bindings[i].keys);
	view_model_init(&u->vm);
	if (!(u->jcache = join_cache_new()) || !(u->pmemo = preflight_memo_new()))
		return -1;
	ndirs = theme_dirs(buf, sizeof buf, dirs);
	if (theme_list(dirs, ndirs, &u->themes) < 0)
		return -1;
	theme_default(&u->theme);
	for (size_t i = 0; i < simctl_ncommands; i++)
		if (model_strv_push(&u->simwords, simctl_commands[i]) < 0)
			return -1;
	for (size_t i = 0; i < opt->nclusters; i++)
		if (ui_push_unique(&u->clusters, opt->names[i]) < 0 ||
		    ui_push_unique(&u->simwords, opt->names[i]) < 0)
			return -1;
	u->targets_stale = true;
	if (opt->script && ui_player_start(u, opt->script, opt->tour, opt->tour_auto_ms) < 0)
		return -1;
	return 0;
}

static void ui_done(struct ui *u)
{
	ui_player_stop(u);
	while (u->depth)
		ui_overlay_pop(u);
	model_strv_clear(&u->simwords);
	view_model_free(&u->vm);
	if (u->have_jv)
		join_view_free(&u->jv);
	u->have_jv = false;
	release_all(u->shown_snaps, u->opt->nclusters);
	free(u->shown_snaps);
	u->shown_snaps = NULL;
	free(u->times_ok_seq);
	u->times_ok_seq = NULL;
	join_cache_free(u->jcache);
	preflight_memo_free(u->pmemo);
	u->pmemo = NULL;
	u->checks = NULL;
	u->jcache = NULL;
	model_strv_clear(&u->themes);
	model_strv_clear(&u->targets);
	model_strv_clear(&u->clusters);
	ui_line_services_drop(u);
}

int ui_run(const struct ui_options *opt)
{
	struct ui u;

	setlocale(LC_ALL, "");
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		fprintf(stderr, "peerscope: the dashboard needs a terminal on standard input and "
		                "output\n");
		return 1;
	}
	if (ui_init(&u, opt) < 0) {
		fprintf(stderr, "peerscope: out of memory\n");
		ui_done(&u);
		return 1;
	}
	saved_modes_ok = tcgetattr(STDIN_FILENO, &saved_modes) == 0;
	if (ui_screen_start(&u) < 0) {
		term_fprintf(stderr, "peerscope: cannot use the terminal (TERM=%s)\n",
		             getenv("TERM") ? getenv("TERM") : "");
		ui_done(&u);
		return 1;
	}
	prepare_crash_text();
	if (signals_install() < 0) {
		ui_screen_stop();
		fprintf(stderr, "peerscope: cannot create a pipe: %s\n", strerror(errno));
		ui_done(&u);
		return 1;
	}
	log_terminal_suspend(opt->log, true);
	ui_switch_theme(&u, opt->theme && *opt->theme ? opt->theme : "default");
	if (!u.message_error)
		u.message[0] = '\0'; /* a theme that loads needs no word */
	int rc = loop(&u) < 0 ? 1 : 0;
	ui_screen_stop();
	signals_remove();
	log_terminal_suspend(opt->log, false);
	if (sig_quit && sig_quit != SIGINT)
		log_info(opt->log, "signal %d: leaving the dashboard", (int)sig_quit);
	ui_done(&u);
	return rc;
}
