/* line: the input line at the bottom: the filter of the focused pane (as
 * you type) and the ':' command line with Tab completion. */
#include "autoconfig.h"

#include "ui_internal.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct line {
	bool command; /* else the filter */
	char text[256];
};

/* ------------------------------------------------------------ the layer */

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

void ui_line_services_drop(struct ui *u)
{
	free(u->services.v); /* the names are the snapshots' */
	u->services.v = NULL;
	u->services.n = 0;
	u->services_stale = true;
}

/* The names of the services the clusters could export, each once, listed
 * from the snapshots shown when a completion first asks after a change:
 * sorted, where a list kept at every change scanned itself for every name
 * (16 x 10,000 services: seconds of each review). The names are borrowed
 * from the snapshots shown, which stay held until the list is dropped.
 * Out of memory: none, and listed again at the next completion. */
static const struct model_strv *service_names(struct ui *u)
{
	size_t n = 0, k = 0, kept = 0;
	char **v;

	if (!u->services_stale || !u->shown_snaps)
		return &u->services;
	ui_line_services_drop(u);
	for (size_t i = 0; i < u->opt->nclusters; i++)
		n += u->shown_snaps[i] ? u->shown_snaps[i]->services->n : 0;
	if (!(v = malloc((n ? n : 1) * sizeof *v)))
		return &u->services;
	for (size_t i = 0; i < u->opt->nclusters; i++) {
		const struct store_snapshot *s = u->shown_snaps[i];
		for (size_t j = 0; s && j < s->services->n; j++)
			if (!*s->services->v[j].peer_name && !*s->services->v[j].kind &&
			    *s->services->v[j].name)
				v[k++] = s->services->v[j].name;
	}
	qsort(v, k, sizeof *v, name_cmp);
	for (size_t i = 0; i < k; i++)
		if (i == 0 || strcmp(v[kept - 1], v[i]))
			v[kept++] = v[i];
	u->services.v = v;
	u->services.n = kept;
	u->services_stale = false;
	return &u->services;
}

int ui_push_unique(struct model_strv *v, const char *s)
{
	return !*s || model_strv_contains(v, s) ? 0 : model_strv_push(v, s);
}

/* The cluster names, then the peer names of the pairs shown, each once,
 * listed when a completion first asks after a review: each review listed
 * them, each name checked against the list (64 clusters and 640 pairs: a
 * fifth of the UI thread's work in 30 idle seconds). The names are copies.
 * Out of memory: what was listed, and listed again at the next ask. */
static const struct model_strv *peer_names(struct ui *u)
{
	int rc = 0;

	if (!u->targets_stale)
		return &u->targets;
	model_strv_clear(&u->targets);
	for (size_t i = 0; i < u->opt->nclusters && rc == 0; i++)
		rc = ui_push_unique(&u->targets, u->opt->names[i]);
	for (size_t i = 0; u->have_jv && i < u->jv.npairs && rc == 0; i++)
		rc = ui_push_unique(&u->targets, u->jv.pairs[i].a.name) |
		     ui_push_unique(&u->targets, u->jv.pairs[i].b.name);
	u->targets_stale = rc != 0;
	return &u->targets;
}

static const struct model_strv *complete_args(void *ctx, enum action_arg kind)
{
	struct ui *u = ctx;

	switch (kind) {
	case ACTION_ARG_THEME:
		return &u->themes;
	case ACTION_ARG_PEER:
		return peer_names(u);
	case ACTION_ARG_CLUSTER:
	case ACTION_ARG_CLUSTERS:
		return &u->clusters;
	case ACTION_ARG_SIM:
		return &u->simwords;
	case ACTION_ARG_SERVICE:
		return service_names(u);
	default:
		return NULL;
	}
}

static unsigned complete(struct ui *u, struct line *l)
{
	struct model_strv m = {0};
	int n = actions_complete(&u->km, l->text, sizeof l->text, complete_args, u, &m);
	char list[256] = "";

	for (size_t i = 0; n > 1 && i < m.n; i++) {
		size_t used = strlen(list);
		snprintf(list + used, sizeof list - used, "%s%s", i ? "  " : "", m.v[i]);
	}
	model_strv_clear(&m);
	if (n > 1)
		return ui_say(u, false, "%s", list);
	return UI_REDRAW;
}

/* The line hands an accepted command to the loop, which runs it. */
static unsigned run_command(struct ui *u, const char *text)
{
	snprintf(u->command, sizeof u->command, "%s", text);
	return UI_COMMAND;
}

static unsigned done(struct ui *u, bool accept)
{
	struct line l = *(struct line *)ui_overlay_top(u)->data;

	ui_overlay_pop(u);
	if (l.command)
		return accept ? run_command(u, l.text) : UI_REDRAW;
	if (!accept)
		view_table_set_filter(ui_focused(u), "");
	return UI_REDRAW;
}

static unsigned line_key(struct ui *u, struct ui_overlay *o, int r, wint_t wc, enum action_id id)
{
	struct line *l = o->data;
	bool is_key = r == KEY_CODE_YES;
	size_t size = l->command ? sizeof l->text : sizeof ui_focused(u)->filter;

	(void)id;
	if ((!is_key && (wc == '\n' || wc == '\r')) || (is_key && wc == KEY_ENTER))
		return done(u, true);
	if (!is_key && wc == 27)
		return done(u, false);
	if (!*l->text && l->command &&
	    ((is_key && wc == KEY_BACKSPACE) || (!is_key && (wc == 127 || wc == 8))))
		return done(u, false);
	if (!is_key && wc == '\t' && l->command)
		return complete(u, l);
	if (!ui_overlay_edit(l->text, size, r, wc))
		return 0; /* the line keeps the keys */
	if (!l->command)
		view_table_set_filter(ui_focused(u), l->text);
	return UI_REDRAW;
}

static void line_draw(struct ui *u, struct ui_overlay *o)
{
	struct line *l = o->data;
	char buf[300];
	int y = LINES - 2, used;

	snprintf(buf, sizeof buf, "%s%s", l->command ? ":" : "/", l->text);
	used = ui_screen_put(y, 0, COLS, buf, u->attr[THEME_INPUT], false);
	ui_screen_put(y, used, COLS - used, "", u->attr[THEME_NORMAL], true);
	u->cursor_y = y;
	u->cursor_x = used < COLS ? used : COLS - 1;
}

static const struct ui_overlay_ops line_ops = {
        .name = "line",
        .draw = line_draw,
        .key = line_key,
};

static unsigned open_line(struct ui *u, bool command)
{
	struct line *l = calloc(1, sizeof *l);

	if (!l)
		return ui_say(u, true, "out of memory");
	l->command = command;
	if (!command)
		snprintf(l->text, sizeof l->text, "%s", ui_focused(u)->filter);
	return ui_overlay_push(u, &line_ops, l);
}

unsigned ui_line_filter(struct ui *u)
{
	return open_line(u, false);
}

unsigned ui_line_command(struct ui *u)
{
	return open_line(u, true);
}
