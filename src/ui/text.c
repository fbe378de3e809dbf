/* text: the full-screen layers of text: help, the event log, and the detail
 * of a row (its summary or raw JSON/YAML, and its events). */
#include "autoconfig.h"

#include "ui_internal.h"

#include "peerscope/store.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum text_kind {
	TEXT_HELP,
	TEXT_EVENTS,
	TEXT_DETAIL,
};

struct text {
	enum text_kind kind;
	enum view_pane pane; /* detail: the row's pane and id */
	char id[VIEW_ID_MAX];
	int cell; /* a matrix's selected cell (its column), or -1: the whole row */
	bool raw;
};

/* ------------------------------------------------------------ lines */

static int event_lines(struct ui *u, struct model_strv *out, const char *a, const char *b)
{
	struct store_event ev[256];
	size_t n = store_events_since(u->opt->store, 0, ev, 256);
	char line[600], when[16];

	for (size_t i = 0; i < n; i++) {
		if (a && strcmp(ev[i].cluster, a) && !strstr(ev[i].subject, a) &&
		    (!b || (strcmp(ev[i].cluster, b) && !strstr(ev[i].subject, b))))
			continue;
		time_t secs = (time_t)(ev[i].time_ns / 1000000000);
		struct tm tm;
		gmtime_r(&secs, &tm);
		strftime(when, sizeof when, "%H:%M:%S", &tm);
		snprintf(line, sizeof line, "%s %-5s %-12s %s%s%s", when,
		         ev[i].level == STORE_EV_ERROR  ? "ERROR"
		         : ev[i].level == STORE_EV_WARN ? "WARN"
		                                        : "info",
		         ev[i].cluster, ev[i].subject, *ev[i].subject ? ": " : "", ev[i].text);
		if (model_strv_push(out, line) < 0)
			return -1;
	}
	if (n == 0 && model_strv_push(out, "(no events yet)") < 0)
		return -1;
	return 0;
}

/* TEXT's lines, those wider than WIDTH cut at a blank and continued
 * indented (a traffic path's hops carry long addresses). */
static int wrapped_lines(struct model_strv *out, const char *text, int width)
{
	char line[1024];

	for (const char *l = text; *l;) {
		size_t n = strcspn(l, "\n"), lead = strspn(l, " ");
		const char *p = l;
		bool first = true;
		while (p < l + n) {
			size_t room = (size_t)(width > 30 ? width : 30) - (first ? 0 : lead + 4);
			size_t take = (size_t)(l + n - p);
			if ((size_t)ui_screen_width(p) > room && take > room) {
				take = room;
				while (take > room / 2 && p[take] != ' ')
					take--;
				if (p[take] != ' ')
					take = room;
			}
			snprintf(line, sizeof line, "%*s%.*s", first ? 0 : (int)lead + 4, "",
			         (int)take, p);
			if (model_strv_push(out, line) < 0)
				return -1;
			p += take;
			while (p < l + n && *p == ' ')
				p++;
			first = false;
		}
		if (n == 0 && model_strv_push(out, "") < 0)
			return -1;
		l += n + (l[n] == '\n');
	}
	return 0;
}

static int detail_lines(struct ui *u, const struct text *t, struct model_strv *out, char *title,
                        size_t tlen)
{
	struct view_table *tb = &u->vm.table[t->pane];
	const struct view_row *r = NULL;

	for (size_t i = 0; i < tb->nrows; i++)
		if (!strcmp(tb->rows[i].id, t->id))
			r = &tb->rows[i];
	snprintf(title, tlen, "%s %s  (y: %s  Esc: back)", view_pane_title(t->pane), t->id,
	         t->raw ? "summary" : "raw JSON/YAML");
	if (!r)
		return model_strv_push(out, "This row is gone: the data changed.");
	/* A cell of the matrix: what it holds and its traffic path. */
	if (!t->raw && t->cell >= 0 && (size_t)t->cell < r->ncells && r->cells[t->cell].cell) {
		snprintf(title, tlen, "%s %s for %s  (Esc: back)", view_pane_title(t->pane), t->id,
		         tb->cols[t->cell].title);
		return wrapped_lines(out, r->cells[t->cell].cell->detail, COLS - 6);
	}
	if (t->raw)
		return ui_draw_push_text(out, *r->raw ? r->raw : "(no raw form for this row)\n",
		                         COLS);
	if (ui_draw_push_text(out, *r->detail ? r->detail : "(nothing more is known)\n", COLS) <
	            0 ||
	    model_strv_push(out, "") < 0 || model_strv_push(out, "Events:") < 0)
		return -1;
	/* Events about this row: its first two cells name the clusters. */
	return event_lines(u, out, r->cells[0].text, r->ncells > 1 ? r->cells[1].text : NULL);
}

/* ------------------------------------------------------------ layer */

static void text_draw(struct ui *u, struct ui_overlay *o)
{
	struct text *t = o->data;
	struct model_strv lines = {0};
	char title[512];
	int rc;

	switch (t->kind) {
	case TEXT_HELP:
		snprintf(title, sizeof title, "Help  (Esc: back)");
		rc = actions_help(&u->km, &lines);
		break;
	case TEXT_EVENTS:
		snprintf(title, sizeof title, "Event log  (Esc: back)");
		rc = event_lines(u, &lines, NULL, NULL);
		break;
	default:
		rc = detail_lines(u, t, &lines, title, sizeof title);
		break;
	}
	if (rc == 0)
		ui_draw_text(u, &lines, title, &o->top, t->kind == TEXT_HELP);
	model_strv_clear(&lines);
}

static unsigned text_key(struct ui *u, struct ui_overlay *o, int r, wint_t wc, enum action_id id)
{
	struct text *t = o->data;

	(void)r;
	(void)wc;
	if (ui_overlay_scroll(u, o, id))
		return UI_REDRAW;
	if (id == ACTION_BACK || (id == ACTION_HELP && t->kind == TEXT_HELP) ||
	    (id == ACTION_EVENTS && t->kind == TEXT_EVENTS)) {
		ui_overlay_pop(u);
		return UI_REDRAW;
	}
	if (id == ACTION_RAW && t->kind == TEXT_DETAIL) {
		t->raw = !t->raw;
		o->top = 0;
		return UI_REDRAW;
	}
	return UI_PASS;
}

static const struct ui_overlay_ops text_ops = {
        .name = "text",
        .draw = text_draw,
        .key = text_key,
        .full_screen = true,
};

static unsigned open_text(struct ui *u, enum text_kind kind, long top)
{
	struct text *t = calloc(1, sizeof *t);
	unsigned todo;

	if (!t)
		return ui_say(u, true, "out of memory");
	t->kind = kind;
	if (kind == TEXT_DETAIL) {
		const struct view_row *r = view_table_selected(ui_focused(u));
		t->pane = u->focus;
		t->cell = view_table_cell(ui_focused(u)) ? ui_focused(u)->cell : -1;
		snprintf(t->id, sizeof t->id, "%s", r ? r->id : "");
	}
	/* One text layer at a time: a new one replaces the one shown. */
	struct ui_overlay *old = ui_overlay_find(u, &text_ops);
	if (old)
		ui_overlay_pop_to(u, old);
	todo = ui_overlay_push(u, &text_ops, t);
	if (ui_overlay_top(u) && ui_overlay_top(u)->data == t)
		ui_overlay_top(u)->top = top;
	return todo;
}

unsigned ui_text_help(struct ui *u)
{
	return open_text(u, TEXT_HELP, 0);
}

unsigned ui_text_events(struct ui *u)
{
	return open_text(u, TEXT_EVENTS, LONG_MAX / 2);
}

unsigned ui_text_detail(struct ui *u)
{
	/* The rows carry their detail only while it is shown: build it. */
	return open_text(u, TEXT_DETAIL, 0) | UI_REVIEW;
}

bool ui_text_detail_row(struct ui *u, enum view_pane *pane, const char **id)
{
	struct ui_overlay *o = ui_overlay_find(u, &text_ops);
	const struct text *t = o ? o->data : NULL;

	if (!t || t->kind != TEXT_DETAIL)
		return false;
	*pane = t->pane;
	*id = t->id;
	return true;
}
