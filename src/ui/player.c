/* player: a script (script.h) played on the dashboard, with human pacing:
 * captions in a box over the panes, keys and commands fed to the dashboard
 * as if typed, waits for time or for a text on the screen, the demo's
 * simulator controls, and the tour's pauses for the presenter.
 *
 * The player only says what comes next (ui_player_tick fills a struct
 * ui_play); the loop in ui.c feeds it to the dashboard, so the player never
 * calls back up. */
#include "autoconfig.h"

#include "ui_internal.h"

#include "peerscope/monotime.h"
#include "peerscope/simctl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum play_state {
	PLAY_RUN,   /* steps run as their time comes */
	PLAY_UNTIL, /* waiting for a text on the screen */
	PLAY_SIM,   /* waiting for a simulator command */
	PLAY_PAUSE, /* waiting for the presenter (Space, Enter) */
	PLAY_DONE,
};

struct player {
	struct script sc;
	bool tour;
	long auto_ms; /* a pause ends by itself after this; 0: never */
	long pace_ms;
	size_t next;    /* the step to run */
	size_t key;     /* within a keys or type step: the next key */
	size_t say_at;  /* the step of the caption shown (Backspace goes back to it) */
	int64_t due_ms; /* monotonic: when the next step may run */
	int64_t until_ms;
	enum play_state state;
	char caption[1024];
	char where[64];     /* "file:line" of the caption's step */
	struct ui_rect box; /* where the caption was drawn: not part of the screen waited on */
};

#define DEFAULT_PACE_MS 600L

static const struct ui_overlay_ops caption_ops;

/* ------------------------------------------------------------ caption */

static void caption_lines(const struct player *p, int width, struct model_strv *out)
{
	char line[1100];
	const char *t = p->caption;

	while (*t) {
		size_t n = strlen(t);
		if (n > (size_t)width) {
			n = (size_t)width;
			while (n > (size_t)width / 2 && t[n] != ' ')
				n--;
			if (t[n] != ' ')
				n = (size_t)width;
		}
		snprintf(line, sizeof line, "%.*s", (int)n, t);
		model_strv_push(out, line);
		t += n;
		while (*t == ' ')
			t++;
	}
}

/* The rows the caption takes at the bottom, for the dialogs to leave free. */
static void measure(struct ui *u)
{
	struct player *p = u->player;
	struct model_strv lines = {0};
	int w = COLS - 4 < 78 ? COLS - 4 : 78;

	if (!p || !p->caption[0]) {
		u->caption_h = 0;
		return;
	}
	caption_lines(p, w - 4, &lines);
	u->caption_h = (int)lines.n + 3;
	model_strv_clear(&lines);
}

static void caption_draw(struct ui *u, struct ui_overlay *o)
{
	struct player *p = u->player;
	struct model_strv lines = {0};
	int w = COLS - 4 < 78 ? COLS - 4 : 78, h, y, x;
	const char *foot;
	struct ui_rect in;

	(void)o;
	measure(u);
	if (!p || !p->caption[0]) {
		if (p)
			p->box = (struct ui_rect){0};
		return;
	}
	caption_lines(p, w - 4, &lines);
	h = (int)lines.n + 3;
	y = LINES - 3 - h;
	x = (COLS - w) / 2;
	if (y < 1)
		y = 1;
	p->box = (struct ui_rect){y, x, h, w};
	for (int i = y; i < y + h && i < LINES - 2; i++)
		ui_screen_put(i, x, w, "", u->attr[THEME_DIALOG], true);
	in = (struct ui_rect){y + 1, x + 2, h - 2, w - 4};
	ui_draw_box(u, &in, p->tour ? "Tour" : "Script", false);
	for (size_t i = 0; i < lines.n && (int)i < in.h - 1; i++)
		ui_draw_put(u, in.y + (int)i, in.x, in.w, lines.v[i], THEME_DIALOG);
	foot = p->state == PLAY_PAUSE
	               ? (p->tour ? "Space: go on   Backspace: again   q: leave the tour"
	                          : "Space: go on   Esc: stop the script")
	       : p->state == PLAY_DONE ? (p->tour ? "The end. q: close" : "Done. Esc: close")
	                               : (p->tour ? "q: leave the tour" : "Esc: stop the script");
	ui_draw_put(u, in.y + in.h - 1, in.x, in.w, foot, THEME_DIM);
	model_strv_clear(&lines);
}

static unsigned resume(struct player *p)
{
	p->state = PLAY_RUN;
	p->due_ms = monotime_ms();
	return UI_REDRAW;
}

static unsigned caption_key(struct ui *u, struct ui_overlay *o, int r, wint_t wc, enum action_id id)
{
	struct player *p = u->player;
	bool is_key = r == KEY_CODE_YES;

	(void)o;
	(void)id;
	if (!p || u->playing)
		return UI_PASS;
	if ((p->tour && !is_key && wc == 'q') || (!p->tour && !is_key && wc == 27)) {
		bool tour = p->tour;
		ui_player_stop(u);
		return ui_say(u, false, "%s: the dashboard stays",
		              tour ? "left the tour" : "the script stopped");
	}
	if (p->state != PLAY_PAUSE)
		return UI_PASS;
	if (!is_key && (wc == ' ' || wc == '\n' || wc == '\r'))
		return resume(p);
	if ((is_key && wc == KEY_BACKSPACE) || (!is_key && (wc == 127 || wc == 8))) {
		/* The step's explanation again, from its caption. */
		p->next = p->say_at;
		p->key = 0;
		return resume(p);
	}
	return UI_PASS;
}

static const struct ui_overlay_ops caption_ops = {
        .name = "caption",
        .draw = caption_draw,
        .key = caption_key,
        .done = NULL,
        .on_top = true,
};

/* ------------------------------------------------------------ control */

int ui_player_start(struct ui *u, struct script *sc, bool tour, long auto_ms)
{
	struct player *p;

	if (u->player)
		ui_player_stop(u);
	if (!(p = calloc(1, sizeof *p)))
		return -1;
	p->sc = *sc;
	memset(sc, 0, sizeof *sc);
	p->tour = tour;
	p->auto_ms = auto_ms;
	p->pace_ms = DEFAULT_PACE_MS;
	p->due_ms = monotime_ms();
	u->player = p;
	ui_overlay_push(u, &caption_ops, NULL);
	return 0;
}

void ui_player_stop(struct ui *u)
{
	struct ui_overlay *o = ui_overlay_find(u, &caption_ops);

	if (o)
		ui_overlay_pop_to(u, o);
	if (!u->player)
		return;
	script_free(&u->player->sc);
	free(u->player);
	u->player = NULL;
	u->caption_h = 0;
}

bool ui_player_running(const struct ui *u)
{
	return u->player && u->player->state != PLAY_DONE;
}

long ui_player_wait_ms(const struct ui *u)
{
	const struct player *p = u->player;
	int64_t now;

	if (!p || p->state == PLAY_DONE)
		return -1;
	if (p->state == PLAY_UNTIL || p->state == PLAY_SIM)
		return 50;
	if (p->state == PLAY_PAUSE && !p->auto_ms)
		return -1;
	now = monotime_ms();
	return p->due_ms > now ? (long)(p->due_ms - now) : 0;
}

/* ------------------------------------------------------------ steps */

/* The script stops at step S, saying WHY with its file and line. */
static unsigned stop_with(struct ui *u, const struct script_step *s, const char *why)
{
	struct player *p = u->player;

	snprintf(p->caption, sizeof p->caption, "%s:%u: %s", p->sc.file, s->line, why);
	p->state = PLAY_DONE;
	return ui_say(u, true, "%s", p->caption);
}

static void key_of(int code, struct ui_play *out)
{
	out->what = UI_PLAY_KEY;
	out->r = code >= KEY_MIN ? KEY_CODE_YES : OK;
	out->wc = (wint_t)code;
}

/* The next character of TEXT from byte AT, as a key; the bytes it took. */
static size_t char_of(const char *text, size_t at, struct ui_play *out)
{
	mbstate_t st;
	wchar_t wc;
	size_t n;

	memset(&st, 0, sizeof st);
	n = mbrtowc(&wc, text + at, strlen(text + at), &st);
	if (n == (size_t)-1 || n == (size_t)-2 || n == 0) {
		wc = (unsigned char)text[at];
		n = 1;
	}
	out->what = UI_PLAY_KEY;
	out->r = OK;
	out->wc = (wint_t)wc;
	return n;
}

static unsigned run_sim(struct ui *u, const struct script_step *s)
{
	char err[300];

	if (!u->opt->simctl)
		return stop_with(u, s, "sim works only in a demo (peerscope --demo)");
	if (!simctl_start(u->opt->simctl, s->argv, s->argc, err, sizeof err))
		return stop_with(u, s, err);
	u->player->state = PLAY_SIM;
	return 0;
}

/* Runs step S; fills OUT when the dashboard has to take a key, a command or
 * a focus. */
static unsigned run_step(struct ui *u, const struct script_step *s, struct ui_play *out)
{
	struct player *p = u->player;
	int64_t now = monotime_ms();
	long key_pace = p->pace_ms / 5;

	switch (s->op) {
	case SCRIPT_PACE:
		p->pace_ms = s->ms;
		break;
	case SCRIPT_SAY:
		snprintf(p->caption, sizeof p->caption, "%s", s->text);
		snprintf(p->where, sizeof p->where, "%s:%u", p->sc.file, s->line);
		measure(u);
		p->say_at = p->next;
		for (int k = 0; *s->pane && k < VIEW_PANE_COUNT; k++)
			if (!strcasecmp(view_pane_get((enum view_pane)k)->tab, s->pane)) {
				out->what = UI_PLAY_FOCUS;
				out->pane = (enum view_pane)k;
				snprintf(out->text, sizeof out->text, "%s", s->row);
			}
		break;
	case SCRIPT_KEYS:
		key_of(s->keys[p->key++], out);
		if (p->key < s->nkeys) {
			p->due_ms = now + key_pace;
			return UI_REDRAW; /* the same step goes on */
		}
		break;
	case SCRIPT_TYPE:
		if (!s->text[p->key])
			break;
		p->key += char_of(s->text, p->key, out);
		if (s->text[p->key]) {
			p->due_ms = now + key_pace;
			return UI_REDRAW;
		}
		break;
	case SCRIPT_COMMAND:
		out->what = UI_PLAY_COMMAND;
		snprintf(out->text, sizeof out->text, "%s", s->text);
		break;
	case SCRIPT_WAIT:
		p->next++;
		p->key = 0;
		p->due_ms = now + s->ms;
		return 0;
	case SCRIPT_WAIT_UNTIL:
		p->state = PLAY_UNTIL;
		p->until_ms = now + s->ms;
		return 0;
	case SCRIPT_SIM:
		return run_sim(u, s);
	case SCRIPT_PAUSE:
		p->next++;
		p->key = 0;
		p->state = PLAY_PAUSE;
		p->due_ms = now + p->auto_ms;
		return UI_REDRAW;
	}
	p->next++;
	p->key = 0;
	p->due_ms = now + p->pace_ms;
	return UI_REDRAW;
}

/* The waits that end on something else than time. */
static unsigned waiting(struct ui *u, bool *go_on)
{
	struct player *p = u->player;
	const struct script_step *s = &p->sc.v[p->next];
	char msg[300];
	bool ok;

	*go_on = false;
	if (p->state == PLAY_SIM) {
		if (!simctl_poll(u->opt->simctl, &ok, msg, sizeof msg))
			return 0;
		if (!ok)
			return stop_with(u, s, msg);
		ui_say(u, false, "%s", msg);
	} else if (p->state == PLAY_UNTIL) {
		if (!ui_draw_screen_has(s->text, &p->box)) {
			char why[600];
			if (monotime_ms() < p->until_ms)
				return 0;
			snprintf(why, sizeof why, "\"%.500s\" did not show on the screen in time",
			         s->text);
			return stop_with(u, s, why);
		}
	} else if (p->state == PLAY_PAUSE) {
		if (!p->auto_ms || monotime_ms() < p->due_ms)
			return 0;
		return resume(p);
	} else {
		*go_on = true;
		return 0;
	}
	p->state = PLAY_RUN;
	p->next++;
	p->key = 0;
	p->due_ms = monotime_ms() + p->pace_ms;
	return UI_REDRAW;
}

unsigned ui_player_tick(struct ui *u, struct ui_play *out)
{
	struct player *p = u->player;
	bool go_on;
	unsigned todo;

	out->what = UI_PLAY_NONE;
	if (!p || p->state == PLAY_DONE)
		return 0;
	todo = waiting(u, &go_on);
	if (!go_on || monotime_ms() < p->due_ms)
		return todo;
	if (p->next >= p->sc.n) {
		p->state = PLAY_DONE;
		snprintf(p->caption, sizeof p->caption, "%s",
		         p->tour ? "That was the tour. The dashboard stays: every key is yours."
		                 : "The script is done.");
		return UI_REDRAW;
	}
	return todo | run_step(u, &p->sc.v[p->next], out);
}
