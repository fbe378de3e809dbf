/* map: the topology map, a full-screen layer: the clusters as boxes in two
 * columns, each peering as a line of its own in the lanes between them,
 * coloured by its state and numbered, and a legend that names each line's
 * ends and state. Up and Down choose a line; Enter opens that peering's
 * detail. What does not fit is said, not dropped silently. */
#include "autoconfig.h"

#include "ui_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BOX_H   3 /* the name in the top border, the gateways inside */
#define LANE_DX 2

struct map {
	size_t sel; /* the chosen link */
};

/* A text painted over the grid. */
struct label {
	int y, x, w;
	enum theme_role role;
	char text[80];
};

struct labels {
	struct label v[64];
	size_t n;
};

static void label(struct labels *l, int y, int x, int w, enum theme_role role, const char *text)
{
	if (l->n < sizeof l->v / sizeof l->v[0]) {
		l->v[l->n] = (struct label){y, x, w, role, ""};
		snprintf(l->v[l->n++].text, sizeof l->v[0].text, "%.79s", text);
	}
}

struct cell {
	const char *glyph; /* NULL: blank */
	enum theme_role role;
};

struct grid {
	struct cell *c;
	int h, w;
};

static struct cell *at(struct grid *g, int y, int x)
{
	return y >= 0 && y < g->h && x >= 0 && x < g->w ? &g->c[y * g->w + x] : NULL;
}

static void set(struct grid *g, int y, int x, const char *glyph, enum theme_role role)
{
	struct cell *c = at(g, y, x);

	if (c) {
		c->glyph = glyph;
		c->role = role;
	}
}

/* A node's place: its box's top row and left column, and which side. */
struct place {
	int y, x;
	bool left;
	bool shown;
};

/* The mark of link I on its line and in the legend. */
static const char *link_mark(size_t i)
{
	static const char *const marks[] = {"1", "2", "3", "4", "5", "6", "7", "8", "9",
	                                    "a", "b", "c", "d", "e", "f", "g", "h", "i",
	                                    "j", "k", "l", "m", "n", "o", "p", "q", "r",
	                                    "s", "t", "u", "v", "w", "x", "y", "z"};

	return i < sizeof marks / sizeof marks[0] ? marks[i] : "*";
}

/* The stubs of a link: from each end's box to its lane X. Drawn for every
 * link before any lane, so that a lane crossing a stub shows the crossing. */
static void draw_stubs(struct ui *u, struct grid *g, const struct place *pa, const struct place *pb,
                       int bw, int x, enum theme_role role)
{
	for (int k = 0; k < 2; k++) {
		const struct place *p = k ? pb : pa;
		int y = p->y + 1, from = p->left ? p->x + bw : x + 1,
		    to = p->left ? x - 1 : p->x - 1;
		for (int xx = from; xx <= to; xx++)
			set(g, y, xx, u->g->h, role);
	}
}

/* The lane of a link: its vertical line, the corners where the stubs meet
 * it, and its mark half way. */
static void draw_lane(struct ui *u, struct grid *g, const struct place *pa, const struct place *pb,
                      int bw, int x, enum theme_role role, const char *mark)
{
	const struct place *top = pa->y <= pb->y ? pa : pb, *bot = top == pa ? pb : pa;
	int yt = top->y + 1, yb = bot->y + 1;

	if (yt == yb) {
		/* Side by side: one straight line, its mark half way. */
		set(g, yt, x, u->g->h, role);
		set(g, yt, top->left == bot->left ? x : (top->x + bw + bot->x) / 2, mark, role);
		return;
	}
	for (int y = yt + 1; y < yb; y++) {
		struct cell *c = at(g, y, x);
		set(g, y, x, c && c->glyph == u->g->h ? u->g->cross : u->g->v, role);
	}
	set(g, yt, x, top->left ? u->g->tr : u->g->tl, role);
	set(g, yb, x, bot->left ? u->g->br : u->g->bl, role);
	set(g, (yt + yb + 1) / 2, x, mark, role);
}

static void place_nodes(const struct view_map *m, struct place *pl, int h, int w, int bw,
                        size_t *shown)
{
	size_t nl = (m->nnodes + 1) / 2, nr = m->nnodes / 2;
	int gap = (int)nl * BOX_H + (int)(nl ? nl - 1 : 0) + 1 <= h ? 1 : 0;
	size_t fit = (size_t)((h - 1 + gap) / (BOX_H + gap));

	*shown = 0;
	for (size_t i = 0; i < m->nnodes; i++) {
		bool left = i < nl;
		size_t row = left ? i : i - nl;
		size_t col = left ? nl : nr;
		int spread = col > 1 ? (h - BOX_H) / (int)(col - 1) : 0;
		if (spread > BOX_H + 3)
			spread = BOX_H + 3;
		if (spread < BOX_H + gap)
			spread = BOX_H + gap;
		/* The right column a row lower: the two sides' lines never share
		 * a row. */
		int used = (int)(col ? col - 1 : 0) * spread + BOX_H + 1;
		int top = (used < h ? (h - used) / 2 : 0) + (left ? 0 : 1);
		pl[i] = (struct place){top + (int)row * spread, left ? 0 : w - bw, left,
		                       row < fit && top + (int)row * spread + BOX_H <= h};
		*shown += pl[i].shown;
	}
}

static void draw_nodes(struct ui *u, struct grid *g, const struct view_map *m,
                       const struct place *pl, int bw, struct labels *texts)
{
	char buf[128];

	for (size_t i = 0; i < m->nnodes; i++) {
		const struct view_map_node *n = &m->nodes[i];
		const struct place *p = &pl[i];
		if (!p->shown)
			continue;
		set(g, p->y, p->x, u->g->tl, THEME_BORDER);
		set(g, p->y, p->x + bw - 1, u->g->tr, THEME_BORDER);
		set(g, p->y + BOX_H - 1, p->x, u->g->bl, THEME_BORDER);
		set(g, p->y + BOX_H - 1, p->x + bw - 1, u->g->br, THEME_BORDER);
		for (int x = 1; x < bw - 1; x++) {
			set(g, p->y, p->x + x, u->g->h, THEME_BORDER);
			set(g, p->y + BOX_H - 1, p->x + x, u->g->h, THEME_BORDER);
		}
		for (int y = 1; y < BOX_H - 1; y++) {
			set(g, p->y + y, p->x, u->g->v, THEME_BORDER);
			set(g, p->y + y, p->x + bw - 1, u->g->v, THEME_BORDER);
		}
		/* The name in the top border, the gateways inside. */
		snprintf(buf, sizeof buf, " %s ", n->name);
		label(texts, p->y, p->x + 1, bw - 2, THEME_ACCENT, buf);
		if (n->loaded)
			snprintf(buf, sizeof buf, "gw %u/%u %s", n->gw_healthy, n->gw_total,
			         n->mode);
		label(texts, p->y + 1, p->x + 2, bw - 3, n->loaded ? n->role : THEME_DIM,
		      n->loaded ? buf : "loading");
	}
}

/* "N of M clusters drawn; not drawn: a b c" in BUF. */
static void undrawn(const struct view_map *m, const struct place *pl, size_t shown, char *buf,
                    size_t len)
{
	int n = snprintf(buf, len, "%zu of %zu clusters drawn; not drawn:", shown, m->nnodes);

	for (size_t i = 0; i < m->nnodes && n > 0 && (size_t)n < len; i++)
		if (!pl[i].shown)
			n += snprintf(buf + n, len - (size_t)n, " %s", m->nodes[i].name);
}

/* TEXT from line Y on, at most N lines of IN's width, broken at blanks. */
static void put_wrapped(struct ui *u, int y, int n, const struct ui_rect *in, const char *text)
{
	size_t len = strlen(text);

	for (int k = 0; k < n && len; k++, y++) {
		size_t cut = len;
		if (ui_screen_width(text) > in->w) {
			cut = (size_t)in->w;
			while (cut > 0 && text[cut] != ' ')
				cut--;
			if (cut == 0)
				cut = (size_t)in->w;
		}
		char part[512];
		snprintf(part, sizeof part, "%.*s", (int)cut, text);
		ui_draw_put(u, y, in->x, in->w, part, THEME_WARN);
		text += cut;
		len -= cut;
		while (*text == ' ')
			text++, len--;
	}
}

static void map_draw(struct ui *u, struct ui_overlay *o)
{
	struct map *mp = o->data;
	const struct view_map *m = &u->vm.map;
	struct ui_rect a = {1, 0, LINES - 3, COLS}, in = {a.y + 1, a.x + 2, a.h - 2, a.w - 4};
	struct labels texts = {.n = 0};
	struct place *pl = calloc(m->nnodes ? m->nnodes : 1, sizeof *pl);
	int legend = (int)m->nlinks + 1, bw = 18, mh;
	size_t shown = 0, lanes, drawn = 0;
	char line[2048];

	for (int y = a.y; y < a.y + a.h; y++)
		ui_screen_put(y, 0, COLS, "", u->attr[THEME_DIALOG], true);
	ui_draw_box(u, &in, "Topology map  (Up/Down: a peering  Enter: its detail  Esc: back)",
	            false);
	if (!pl)
		return;
	if (legend > in.h / 3 + 1)
		legend = in.h / 3 + 1;
	mh = in.h - legend - 1;
	if (in.w >= 100)
		bw = 22;
	struct grid g = {calloc((size_t)(mh > 0 ? mh : 1) * (size_t)in.w, sizeof(struct cell)), mh,
	                 in.w};
	if (!g.c || mh < BOX_H) {
		ui_draw_put(u, in.y, in.x, in.w, "the terminal is too small for the map",
		            THEME_ERROR);
		free(g.c);
		free(pl);
		return;
	}
	place_nodes(m, pl, mh, in.w, bw, &shown);
	/* The clusters without a box are listed by name under the legend: the
	 * lines that takes come from the map (twice: fewer boxes, more names). */
	int foot = 1;
	for (int round = 0; round < 2 && shown < m->nnodes; round++) {
		undrawn(m, pl, shown, line, sizeof line);
		int need = (ui_screen_width(line) + in.w - 1) / in.w;
		if (need <= foot || mh - (need - foot) < BOX_H)
			break;
		mh -= need - foot;
		foot = need;
		g.h = mh;
		place_nodes(m, pl, mh, in.w, bw, &shown);
	}
	lanes = (size_t)((in.w - 2 * bw - 4) / LANE_DX);
	size_t *lane = calloc(m->nlinks ? m->nlinks : 1, sizeof *lane), *lane_of = lane;
	for (size_t i = 0; lane && i < m->nlinks; i++)
		lane[i] = (size_t)-1;
	for (size_t i = 0; lane && i < m->nlinks && drawn < lanes; i++) {
		const struct view_map_link *l = &m->links[i];
		if (l->b == VIEW_NO_CLUSTER || !pl[l->a].shown || !pl[l->b].shown)
			continue;
		lane[i] = drawn++;
	}
	for (int pass = 0; lane && pass < 2; pass++)
		for (size_t i = 0; i < m->nlinks; i++) {
			const struct view_map_link *l = &m->links[i];
			enum theme_role role = i == mp->sel ? THEME_SELECTED : l->role;
			int x = bw + 2 + (int)lane[i] * LANE_DX;
			if (i >= drawn + 64 || lane[i] == (size_t)-1 || lane[i] >= lanes)
				continue;
			if (pass == 0)
				draw_stubs(u, &g, &pl[l->a], &pl[l->b], bw, x, role);
			else
				draw_lane(u, &g, &pl[l->a], &pl[l->b], bw, x, role, link_mark(i));
		}
	draw_nodes(u, &g, m, pl, bw, &texts);
	for (int y = 0; y < g.h; y++)
		for (int x = 0; x < g.w; x++) {
			const struct cell *c = &g.c[y * g.w + x];
			if (c->glyph)
				ui_draw_put(u, in.y + y, in.x + x, 1, c->glyph, c->role);
		}
	for (size_t i = 0; i < texts.n; i++) {
		const struct label *t = &texts.v[i];
		ui_draw_put(u, in.y + t->y, in.x + t->x, t->w, t->text, t->role);
	}
	/* The legend: every line, its ends and its state, those not drawn
	 * said so; when it is longer than its room, how many more. */
	int ly = in.y + mh + 1, last = in.y + in.h - foot;
	bool full = m->nlinks > (size_t)(last - ly);
	for (size_t i = 0; i < m->nlinks && ly < last; i++, ly++) {
		const struct view_map_link *l = &m->links[i];
		bool on_map = lane_of && lane_of[i] != (size_t)-1 && lane_of[i] < lanes;
		if (full && ly == last - 1) {
			snprintf(line, sizeof line,
			         "and %zu more peerings: the peerings pane lists them",
			         m->nlinks - i);
			ui_draw_put(u, ly++, in.x, in.w, line, THEME_WARN);
			break;
		}
		snprintf(line, sizeof line, "%s %s %s %s%s  %s%s%s%s", on_map ? link_mark(i) : "-",
		         m->nodes[l->a].name, u->g->arrow, l->peer,
		         l->b == VIEW_NO_CLUSTER ? " (not configured)" : "", l->label,
		         l->note[0] ? "  " : "", l->note,
		         on_map || l->b == VIEW_NO_CLUSTER ? "" : "  (not drawn)");
		ui_draw_put(u, ly, in.x, in.w, line, i == mp->sel ? THEME_SELECTED : l->role);
	}
	/* The clusters without a box, by name. */
	if (shown < m->nnodes) {
		undrawn(m, pl, shown, line, sizeof line);
		put_wrapped(u, last, foot, &in, line);
	} else if (m->nlinks == 0) {
		ui_draw_put(u, last, in.x, in.w, "no peerings yet", THEME_DIM);
	}
	free(lane_of);
	free(g.c);
	free(pl);
}

static unsigned map_key(struct ui *u, struct ui_overlay *o, int r, wint_t wc, enum action_id id)
{
	struct map *mp = o->data;
	size_t n = u->vm.map.nlinks;

	(void)r;
	(void)wc;
	if (id == ACTION_BACK || id == ACTION_MAP) {
		ui_overlay_pop(u);
		return UI_REDRAW;
	}
	if (id == ACTION_UP || id == ACTION_DOWN) {
		if (n)
			mp->sel = id == ACTION_UP ? (mp->sel + n - 1) % n : (mp->sel + 1) % n;
		return UI_REDRAW;
	}
	if (id == ACTION_DETAIL && mp->sel < n) {
		char pid[VIEW_ID_MAX];
		snprintf(pid, sizeof pid, "%s", u->vm.map.links[mp->sel].id);
		ui_overlay_pop(u);
		u->focus = VIEW_PEERINGS;
		struct view_table *t = &u->vm.table[VIEW_PEERINGS];
		for (size_t i = 0; i < t->nvisible; i++)
			if (!strcmp(view_table_visible(t, i)->id, pid))
				view_table_select(t, i);
		return ui_text_detail(u);
	}
	return UI_PASS;
}

static const struct ui_overlay_ops map_ops = {
        .name = "map",
        .draw = map_draw,
        .key = map_key,
        .full_screen = true,
};

unsigned ui_map(struct ui *u)
{
	struct map *mp = calloc(1, sizeof *mp);
	struct ui_overlay *old = ui_overlay_find(u, &map_ops);

	if (!mp)
		return ui_say(u, true, "out of memory");
	if (old)
		ui_overlay_pop_to(u, old);
	return ui_overlay_push(u, &map_ops, mp);
}
