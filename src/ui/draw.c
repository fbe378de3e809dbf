/* draw: layout and painting of the whole screen from the view model. Only
 * names theme roles; never decides anything about the data. */
#include "autoconfig.h"

#include "ui_internal.h"

#include "peerscope/codec.h"
#include "peerscope/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <wchar.h>

#define BIG_COLS   120
#define BIG_LINES  40
#define MAX_COLS   VIEW_MAX_COLS
#define TEXT_FLOOR 12 /* cells a text column keeps while others need room */
#define MIN_COLS   40
#define MIN_LINES  10

/* ------------------------------------------------------------ layout */

/* The inside of a box at (y, x) of h lines and w columns, with a column of
 * margin on each side. */
static int natural_width(struct ui *u, enum view_pane p, int text_max, int gap);

static void box_inner(struct ui_rect *r, int y, int x, int h, int w)
{
	*r = (struct ui_rect){y + 1, x + 2, h - 2, w - 4};
}

void ui_draw_layout(struct ui *u)
{
	int area_y = 1, area_h = LINES - 3;

	memset(u->shown, 0, sizeof u->shown);
	memset(u->pane, 0, sizeof u->pane);
	memset(u->tab_at, 0, sizeof u->tab_at);
	u->big = COLS >= BIG_COLS && LINES >= BIG_LINES;
	if (!u->big) {
		/* Tabs on line 1, the focused pane below, no box. */
		u->shown[u->focus] = true;
		u->pane[u->focus] = (struct ui_rect){3, 1, LINES - 5, COLS - 1};
		return;
	}
	/* Three bands: clusters; peerings beside gateways; exports. Each
	 * takes what its rows need (two borders, the header, the rows); the
	 * room over goes to the band with the most rows; when they do not
	 * fit, each keeps a few rows and the lines go where most rows are
	 * hidden. */
	int rows[3], h[3], left = area_h;
	rows[0] = (int)u->vm.table[VIEW_CLUSTERS].nvisible;
	rows[1] = (int)u->vm.table[VIEW_PEERINGS].nvisible;
	if ((int)u->vm.table[VIEW_GATEWAYS].nvisible > rows[1])
		rows[1] = (int)u->vm.table[VIEW_GATEWAYS].nvisible;
	rows[2] = (int)u->vm.table[VIEW_EXPORTS].nvisible;
	for (int b = 0; b < 3; b++) {
		int need = (rows[b] > 0 ? rows[b] : 1) + 3;
		h[b] = need < 6 ? need : 6;
		left -= h[b];
	}
	/* On a tie the peerings and gateways come first, then the exports. */
	static const int order[3] = {1, 2, 0};
	while (left > 0) {
		int most = order[0];
		for (int i = 1; i < 3; i++)
			if (rows[order[i]] + 3 - h[order[i]] > rows[most] + 3 - h[most])
				most = order[i];
		if (rows[most] + 3 - h[most] <= 0) {
			for (int i = 1; i < 3; i++)
				if (rows[order[i]] > rows[most])
					most = order[i];
			h[most] += left;
			break;
		}
		h[most]++;
		left--;
	}
	int ch = h[0], mh = h[1], eh = h[2];
	/* Peerings and gateways share their band's width (each box adds 4):
	 * both whole when they fit, the room over shared; else the peerings
	 * keep their columns, tight and with text cut, and the gateways what
	 * is left;
	 * each at least a third. */
	int want_p = natural_width(u, VIEW_PEERINGS, 1 << 20, 2) + 4;
	int want_g = natural_width(u, VIEW_GATEWAYS, 1 << 20, 2) + 4;
	int pw;
	if (want_p + want_g <= COLS)
		pw = want_p + (COLS - want_p - want_g) / 2;
	else
		pw = natural_width(u, VIEW_PEERINGS, TEXT_FLOOR, 1) + 4;
	if (pw < COLS / 3)
		pw = COLS / 3;
	if (pw > COLS - COLS / 3)
		pw = COLS - COLS / 3;

	box_inner(&u->pane[VIEW_CLUSTERS], area_y, 0, ch, COLS);
	box_inner(&u->pane[VIEW_PEERINGS], area_y + ch, 0, mh, pw);
	box_inner(&u->pane[VIEW_GATEWAYS], area_y + ch, pw, mh, COLS - pw);
	box_inner(&u->pane[VIEW_EXPORTS], area_y + ch + mh, 0, eh, COLS);
	for (int p = 0; p < VIEW_PANE_COUNT; p++)
		u->shown[p] = true;
}

/* ------------------------------------------------------------ pieces */

static int put(struct ui *u, int y, int x, int w, const char *text, enum theme_role role)
{
	return ui_screen_put(y, x, w, text, u->attr[role], false);
}

static void draw_header(struct ui *u)
{
	static const char *const badges[] = {"READ-ONLY", "DEMO", "FROZEN"};
	bool on[] = {u->opt->readonly, u->opt->demo, u->frozen};
	char buf[512], age[32] = "";
	int64_t newest = u->updated_ns > u->vm.newest_ns ? u->updated_ns : u->vm.newest_ns;
	int x = COLS, badges_w = 0;

	for (int i = 0; i < 3; i++)
		if (on[i])
			badges_w += (int)strlen(badges[i]) + 3;
	/* A time, not an age: an age would change the screen every second
	 * while nothing happens. The last answer's, same data or not: a
	 * quiet cluster that answers does not look hung. */
	if (newest) {
		time_t secs = (time_t)(newest / 1000000000);
		struct tm tm;
		localtime_r(&secs, &tm);
		strftime(age, sizeof age, "   updated %H:%M:%S", &tm);
	}
	int n = snprintf(
	        buf, sizeof buf, " %s %s   %u cluster%s   peerings %u/%u ACTIVE   %u problem%s",
	        PACKAGE_NAME, PACKAGE_VERSION, u->vm.clusters, u->vm.clusters == 1 ? "" : "s",
	        u->vm.pairs_active, u->vm.pairs, u->vm.problems, u->vm.problems == 1 ? "" : "s");
	/* The time whole or not at all: a badge drawn over half of it read
	 * "updated DEMO" on 80 columns. */
	if (n > 0 && n + (int)strlen(age) <= COLS - badges_w)
		snprintf(buf + n, sizeof buf - (size_t)n, "%s", age);
	ui_screen_put(0, 0, COLS, buf, u->attr[THEME_HEADER], true);
	for (int i = 0; i < 3; i++) {
		if (!on[i])
			continue;
		x -= (int)strlen(badges[i]) + 3;
		if (x < 0)
			break;
		snprintf(buf, sizeof buf, " %s ", badges[i]);
		put(u, 0, x + 1, (int)strlen(buf), buf, THEME_BADGE);
	}
}

static void draw_box(struct ui *u, const struct ui_rect *in, const char *title, bool focused)
{
	int y = in->y - 1, x = in->x - 2, h = in->h + 2, w = in->w + 4;
	attr_t a = u->attr[THEME_BORDER];
	char t[600];

	/* Each edge in one call (they were a call a cell, each decoding its
	 * glyph: a 160-column frame's boxes, some 500 calls). */
	put(u, y, x, 1, u->g->tl, THEME_BORDER);
	ui_screen_line(y, x + 1, w - 2, u->g->h, a, false);
	put(u, y, x + w - 1, 1, u->g->tr, THEME_BORDER);
	ui_screen_line(y + 1, x, h - 2, u->g->v, a, true);
	ui_screen_line(y + 1, x + w - 1, h - 2, u->g->v, a, true);
	put(u, y + h - 1, x, 1, u->g->bl, THEME_BORDER);
	ui_screen_line(y + h - 1, x + 1, w - 2, u->g->h, a, false);
	put(u, y + h - 1, x + w - 1, 1, u->g->br, THEME_BORDER);
	snprintf(t, sizeof t, " %s%s%s ", title, focused ? " " : "", focused ? u->g->focus : "");
	put(u, y, x + 1, w - 2, t, focused ? THEME_TITLE_FOCUSED : THEME_TITLE);
}

/* The title of a pane with its filter and sort, e.g. "Peerings /act ↑STATE A". */
static void pane_title(const struct ui *u, enum view_pane p, char *buf, size_t len)
{
	const struct view_table *t = &u->vm.table[p];
	int n = snprintf(buf, len, "%s", view_pane_title(p));

	if (n < 0 || (size_t)n >= len)
		return;
	if (*t->filter)
		n += snprintf(buf + n, len - (size_t)n, "  /%s (%zu of %zu)", t->filter,
		              t->nvisible, t->nrows);
	if (n >= 0 && (size_t)n < len && t->sort_col >= 0)
		n += snprintf(buf + n, len - (size_t)n, "  %s%s",
		              t->sort_desc ? u->g->down : u->g->up, t->cols[t->sort_col].title);
	/* The clusters pane shows staleness per row; the others mix every
	 * cluster's data and say which part is old. */
	if (n >= 0 && (size_t)n < len && p != VIEW_CLUSTERS && u->vm.stale)
		snprintf(buf + n, len - (size_t)n, "  STALE %s", u->vm.stale_note);
}

/* ------------------------------------------------------------ tables */

/* Narrows the free-text columns, the widest first, until OVER cells are
 * saved or each is down to FLOOR (its title's width when wider). Returns
 * what is still over. */
static int cut_text_columns(const struct view_table *t, size_t ncols, int *w, int over, int floor)
{
	while (over > 0) {
		int widest = -1;
		for (size_t c = 0; c < ncols; c++) {
			int least = ui_screen_width(t->cols[c].title);
			if (least < floor)
				least = floor;
			if (t->cols[c].text && w[c] > least && (widest < 0 || w[c] > w[widest]))
				widest = (int)c;
		}
		if (widest < 0)
			break;
		w[widest]--;
		over--;
	}
	return over;
}

/* Column K's widest text, title included, up to twice its preferred
 * width; a column of clock cells at least as wide as an age can be. Ages
 * gain and lose a digit as they tick ("9s", "10s"), and a column that
 * followed them moved the peerings' share of their band with the widest
 * age: the review of new times found the layout moved and painted every
 * pane (at 64 x 100, each review in 30 idle seconds, 3.6 M instructions
 * against 1.2 M for the peerings pane alone). */
static int column_width(const struct view_table *t, size_t k, bool clock)
{
	int w = ui_screen_width(t->cols[k].title);

	if (clock && w < MODEL_AGE_WIDTH)
		w = MODEL_AGE_WIDTH;
	for (size_t i = 0; i < t->nrows && w < 2 * t->cols[k].width; i++) {
		if (k >= t->rows[i].ncells)
			continue;
		int cw = ui_screen_width(t->rows[i].cells[k].text);
		if (cw > w)
			w = cw;
	}
	return w;
}

static bool column_has_clock(const struct view_table *t, size_t k)
{
	for (size_t i = 0; i < t->nrows; i++)
		if (k < t->rows[i].ncells && t->rows[i].cells[k].clock)
			return true;
	return false;
}

/* Each column's width (column_width()): measured again when the table's
 * rows were replaced, and only the clock cells' columns when only those
 * were set again. Measuring all of them after each review of new stream
 * times was a third of the drawing at 640 peerings. */
static const int *cell_widths(struct ui *u, enum view_pane p)
{
	const struct view_table *t = &u->vm.table[p];
	struct ui_widths *c = &u->widths[p];
	size_t ncols = t->ncols < MAX_COLS ? t->ncols : MAX_COLS;

	if (c->gen && c->gen == t->rows_gen && c->cols == t->cols && c->ncols == ncols) {
		if (c->clock_gen == t->clock_gen)
			return c->w;
		for (size_t k = 0; k < ncols; k++)
			if (c->clock[k])
				c->w[k] = column_width(t, k, true);
		c->clock_gen = t->clock_gen;
		return c->w;
	}
	for (size_t k = 0; k < ncols; k++) {
		c->clock[k] = column_has_clock(t, k);
		c->w[k] = column_width(t, k, c->clock[k]);
	}
	c->gen = t->rows_gen;
	c->clock_gen = t->clock_gen;
	c->cols = t->cols;
	c->ncols = ncols;
	return c->w;
}

/* The width table P's columns want with GAP between them; text columns at
 * most TEXT_MAX cells wide (their titles when wider). */
static int natural_width(struct ui *u, enum view_pane p, int text_max, int gap)
{
	const struct view_table *t = &u->vm.table[p];
	const int *cw = cell_widths(u, p);
	int total = 0, shown = 0;
	size_t ncols = t->ncols < MAX_COLS ? t->ncols : MAX_COLS;

	for (size_t c = 0; c < ncols; c++) {
		int w = cw[c], title = ui_screen_width(t->cols[c].title);
		if (w > 2 * t->cols[c].width)
			w = 2 * t->cols[c].width;
		if (t->cols[c].text && w > text_max)
			w = title > text_max ? title : text_max;
		total += w;
		shown += w > 0;
	}
	return total + gap * (shown > 0 ? shown - 1 : 0);
}

/* Column widths: each as wide as its widest cell (within twice its
 * preferred width); when they do not fit, the free-text columns give way
 * first, so a state, a mode or a health stays whole; when there is room
 * over, the expanding one takes it. Columns hidden by horizontal scrolling
 * get 0. Returns the gap between columns. */
static int column_widths(struct ui *u, enum view_pane p, int avail, int *w)
{
	const struct view_table *t = &u->vm.table[p];
	const int *cw = cell_widths(u, p);
	int total = 0, expand = -1, gap;
	size_t ncols = t->ncols < MAX_COLS ? t->ncols : MAX_COLS;

	for (size_t c = 0; c < ncols; c++) {
		w[c] = 0;
		if (c > 0 && (int)c <= u->hscroll[p])
			continue;
		w[c] = cw[c];
		if (w[c] > 2 * t->cols[c].width)
			w[c] = 2 * t->cols[c].width;
		if (t->cols[c].expand)
			expand = (int)c;
		total += w[c];
	}
	int shown = 0;
	for (size_t c = 0; c < ncols; c++)
		shown += w[c] > 0;
	gap = total + 2 * (shown - 1) <= avail ? 2 : 1;
	total += gap * (shown - 1);
	/* Text columns give way down to TEXT_FLOOR cells; then, when the last
	 * column that is not text still does not fit, those before it down to
	 * their titles; what is left over is cut at the pane's edge (Left and
	 * Right scroll). */
	if (total > avail)
		total = avail + cut_text_columns(t, ncols, w, total - avail, TEXT_FLOOR);
	if (total > avail) {
		int end = 0, last = -1;
		for (size_t c = 0; c < ncols; c++)
			if (w[c] > 0 && !t->cols[c].text)
				last = (int)c;
		for (int c = 0; c <= last; c++)
			end += w[c] > 0 ? w[c] + gap : 0;
		end -= gap;
		if (last >= 0 && end > avail)
			cut_text_columns(t, (size_t)last, w, end - avail, 4);
	}
	if (expand >= 0 && w[expand] > 0 && total < avail)
		w[expand] += avail - total;
	return gap;
}

static enum theme_role cell_role(const struct ui *u, enum view_pane p, const struct view_row *r,
                                 size_t c, bool selected)
{
	bool focused = p == u->focus;
	int cell = u->vm.table[p].cell;

	/* A matrix: the selected cell stands out of its row. */
	if (selected && cell >= 0)
		return focused && (int)c == cell ? THEME_SELECTED : THEME_SELECTED_INACTIVE;
	if (selected)
		return focused ? THEME_SELECTED : THEME_SELECTED_INACTIVE;
	if (c == 0 && r->changed_ns && u->now_ns - r->changed_ns < u->highlight_ns)
		return THEME_CHANGED;
	return r->cells[c].role;
}

/* The first N cells of TEXT, in bytes (N >= 0). */
static size_t bytes_of_cells(const char *text, int n)
{
	mbstate_t st;
	size_t at = 0, len = strlen(text);
	int used = 0;

	memset(&st, 0, sizeof st);
	while (at < len) {
		wchar_t wc;
		size_t k = mbrtowc(&wc, text + at, len - at, &st);
		if (k == (size_t)-1 || k == (size_t)-2 || k == 0) {
			k = 1;
			wc = L'?';
		}
		int cw = wcwidth(wc) > 0 ? wcwidth(wc) : 1;
		if (used + cw > n)
			break;
		used += cw;
		at += k;
	}
	return at;
}

/* A cell of column COL. Free text cut short carries the cut mark, so it is
 * not taken for the whole: at its end, or in its middle for a name whose
 * end tells it apart. */
static void put_cell(struct ui *u, int y, int x, int w, const char *text,
                     const struct view_column *col, enum theme_role role)
{
	int mark = ui_screen_width(u->g->cut), full = ui_screen_width(text);
	char buf[512];

	if (!col->text || w <= mark + 2 || full <= w) {
		put(u, y, x, w, text, role);
		return;
	}
	if (!col->middle || strchr(text, ' ')) { /* words, not a name */
		put(u, y, x, w - mark, text, role);
		put(u, y, x + w - mark, mark, u->g->cut, role);
		return;
	}
	int head = (w - mark) / 2, tail = w - mark - head;
	size_t hb = bytes_of_cells(text, head), tb = bytes_of_cells(text, full - tail);
	snprintf(buf, sizeof buf, "%.*s%s%s", (int)hb, text, u->g->cut, text + tb);
	put(u, y, x, w, buf, role);
}

/* Row R (NULL: the column titles) on line Y of A. CLOCKS: its clock cells
 * alone, each blanked and written over what the last paint left. */
static void draw_row(struct ui *u, enum view_pane p, const struct view_row *r, int y,
                     const struct ui_rect *a, const int *w, int gap, bool selected, bool clocks)
{
	const struct view_table *t = &u->vm.table[p];
	int x = a->x;
	size_t ncols = t->ncols < MAX_COLS ? t->ncols : MAX_COLS;
	bool matrix = t->cell >= 0;
	enum theme_role fill =
	        selected ? (p == u->focus && !matrix ? THEME_SELECTED : THEME_SELECTED_INACTIVE)
	                 : THEME_NORMAL;

	if (!clocks)
		ui_screen_put(y, a->x, a->w, "", u->attr[fill], true);
	for (size_t c = 0; c < ncols && x < a->x + a->w; c++) {
		if (w[c] == 0)
			continue;
		int room = a->x + a->w - x;
		int cw = w[c] < room ? w[c] : room;
		if (clocks) {
			if (r && c < r->ncells && r->cells[c].clock) {
				ui_screen_put(y, x, cw, "", u->attr[fill], true);
				put_cell(u, y, x, cw, r->cells[c].text, &t->cols[c],
				         cell_role(u, p, r, c, selected));
			}
		} else if (r && c < r->ncells)
			put_cell(u, y, x, cw, r->cells[c].text, &t->cols[c],
			         cell_role(u, p, r, c, selected));
		else
			put(u, y, x, cw, t->cols[c].title, THEME_COLUMN);
		x += w[c] + gap;
	}
}

/* Scrolls the columns so that the selected cell of a matrix is in view. */
static int cell_in_view(struct ui *u, enum view_pane p, const struct ui_rect *a, int *w)
{
	const struct view_table *t = &u->vm.table[p];
	int gap = column_widths(u, p, a->w, w);

	if (t->cell <= 0 || p != u->focus)
		return gap;
	if (t->cell <= u->hscroll[p]) {
		u->hscroll[p] = t->cell - 1;
		return column_widths(u, p, a->w, w);
	}
	for (;;) {
		int x = 0;
		for (int c = 0; c < t->cell; c++)
			x += w[c] ? w[c] + gap : 0;
		if (x + w[t->cell] <= a->w || u->hscroll[p] >= t->cell - 1)
			return gap;
		u->hscroll[p]++;
		gap = column_widths(u, p, a->w, w);
	}
}

/* Over a paint that is not erased first (ui_draw_clock()): blanks what
 * the table's rows do not cover, as erase() would have. Of the table area
 * A, the first N lines (painted whole by draw_row()) have their cursor's
 * marker column and right margin blanked; the lines below them are blanked
 * whole, up to the box's border or the screen's edge. */
static void clear_around(struct ui *u, const struct ui_rect *a, int n)
{
	int x0 = a->x - 1, x1 = a->x + a->w + 1 < COLS ? a->x + a->w + 1 : COLS;
	attr_t blank = u->attr[THEME_NORMAL];

	for (int y = a->y; y < a->y + a->h; y++) {
		if (y >= a->y + n) {
			ui_screen_put(y, x0, x1 - x0, "", blank, true);
			continue;
		}
		ui_screen_put(y, x0, 1, "", blank, true);
		if (a->x + a->w < x1)
			ui_screen_put(y, a->x + a->w, x1 - a->x - a->w, "", blank, true);
	}
}

/* What places pane P's cells in A, its table scrolled: the columns'
 * widths and gap, the first column shown, the rows in view and the
 * cursor. A paint of new times over a pane whose frame it is writes its
 * clock cells alone. */
static uint64_t table_frame(const struct ui *u, enum view_pane p, const struct ui_rect *a,
                            const int *w, int gap)
{
	const struct view_table *t = &u->vm.table[p];
	size_t ncols = t->ncols < MAX_COLS ? t->ncols : MAX_COLS, rows = (size_t)(a->h - 1);
	long v[] = {a->y,
	            a->x,
	            a->w,
	            a->h,
	            gap,
	            u->hscroll[p],
	            p == u->focus,
	            t->cell,
	            (long)t->top,
	            (long)t->cursor,
	            (long)t->nvisible,
	            (long)ncols};
	uint64_t h = codec_hash_bytes(0, (const char *)v, sizeof v);

	h = codec_hash_bytes(h, (const char *)w, ncols * sizeof *w);
	for (size_t i = t->top; i < t->nvisible && i < t->top + rows; i++)
		h = codec_hash_bytes(h, (const char *)&t->order[i], sizeof t->order[i]);
	return h;
}

/* How draw_table() paints a table. */
enum table_paint {
	TABLE_ERASED, /* whole, on a screen erase() cleared */
	TABLE_OVER,   /* whole, over the last paint (clear_around()) */
	TABLE_CLOCKS, /* its clock cells alone when the pane's frame is the
	               * last paint's; else as TABLE_OVER */
};

/* Pane P's table in A: its column titles and the rows in view. */
static void draw_table(struct ui *u, enum view_pane p, const struct ui_rect *a,
                       enum table_paint how)
{
	struct view_table *t = &u->vm.table[p];
	int w[MAX_COLS], gap, rows = a->h - 1;

	if (a->h < 2 || a->w < 4) {
		if (how != TABLE_ERASED && a->h > 0 && a->w > 0)
			clear_around(u, a, 0);
		return;
	}
	gap = cell_in_view(u, p, a, w);
	if (t->nvisible > 0)
		view_table_scroll(t, (size_t)rows);
	uint64_t frame = table_frame(u, p, a, w, gap);
	if (how == TABLE_CLOCKS && frame == u->painted.frame[p] && t->nvisible > 0) {
		for (int i = 0; i < rows; i++) {
			const struct view_row *r = view_table_visible(t, t->top + (size_t)i);
			if (!r)
				break;
			draw_row(u, p, r, a->y + 1 + i, a, w, gap, t->top + (size_t)i == t->cursor,
			         true);
		}
		return;
	}
	u->painted.frame[p] = frame;
	if (how != TABLE_ERASED) {
		int lines = 1;
		if (t->nvisible > 0) {
			while (lines <= rows && view_table_visible(t, t->top + (size_t)(lines - 1)))
				lines++;
		}
		clear_around(u, a, lines);
	}
	draw_row(u, p, NULL, a->y, a, w, gap, false, false);
	if (t->nvisible == 0) {
		put(u, a->y + 1, a->x + 1, a->w - 1,
		    t->nrows ? "no row matches the filter" : view_pane_get(p)->empty, THEME_DIM);
		return;
	}
	for (int i = 0; i < rows; i++) {
		const struct view_row *r = view_table_visible(t, t->top + (size_t)i);
		if (!r)
			break;
		bool sel = t->top + (size_t)i == t->cursor;
		draw_row(u, p, r, a->y + 1 + i, a, w, gap, sel, false);
		/* The cursor is also a character, for terminals without colour or
		 * reverse video, and for screen dumps. */
		if (sel && p == u->focus)
			put(u, a->y + 1 + i, a->x - 1, 1, ">", THEME_ACCENT);
	}
}

static void draw_tabs(struct ui *u)
{
	int x = 1;

	ui_screen_put(1, 0, COLS, "", u->attr[THEME_NORMAL], true);
	for (int p = 0; p < VIEW_PANE_COUNT; p++) {
		char t[64];
		const struct view_table *tb = &u->vm.table[p];
		snprintf(t, sizeof t, "[%d %s%s (%zu)]", p + 1,
		         view_pane_get((enum view_pane)p)->tab,
		         p == (int)u->focus ? u->g->focus : "", tb->nrows);
		int w = ui_screen_width(t);
		if (x + w > COLS)
			break;
		u->tab_at[p] = (struct ui_rect){1, x, 1, w};
		put(u, 1, x, w, t, p == (int)u->focus ? THEME_TAB_ACTIVE : THEME_TAB);
		x += w + 1;
	}
	char title[512];
	pane_title(u, u->focus, title, sizeof title);
	put(u, 2, 0, COLS, title, THEME_TITLE_FOCUSED);
}

/* Pane P's box and title, unless AGAIN and the last paint drew the same
 * (the box's lines are then left as they are, not written over). */
static void pane_box(struct ui *u, enum view_pane p, bool again)
{
	char title[512];
	bool focus = p == u->focus;

	pane_title(u, p, title, sizeof title);
	uint64_t key = codec_hash_bytes(codec_hash_bytes(0, (const char *)&focus, sizeof focus),
	                                title, strlen(title));
	if (again && key == u->painted.box[p])
		return;
	u->painted.box[p] = key;
	draw_box(u, &u->pane[p], title, focus);
}

static void draw_panes(struct ui *u)
{
	if (!u->big) {
		draw_tabs(u);
		draw_table(u, u->focus, &u->pane[u->focus], TABLE_ERASED);
		return;
	}
	for (int p = 0; p < VIEW_PANE_COUNT; p++) {
		pane_box(u, (enum view_pane)p, false);
		draw_table(u, (enum view_pane)p, &u->pane[p], TABLE_ERASED);
	}
}

/* ------------------------------------------------------------ status, bar */

static void last_event(struct ui *u, char *buf, size_t len)
{
	struct store_event ev;
	uint64_t last = store_last_event(u->opt->store);

	buf[0] = '\0';
	if (last == 0 || store_events_since(u->opt->store, last - 1, &ev, 1) != 1)
		return;
	time_t secs = (time_t)(ev.time_ns / 1000000000);
	struct tm tm;
	char when[16];
	gmtime_r(&secs, &tm);
	strftime(when, sizeof when, "%H:%M:%S", &tm);
	snprintf(buf, len, " %s %s%s%s%s%s", when, ev.cluster, *ev.cluster ? " " : "", ev.subject,
	         *ev.subject ? ": " : "", ev.text);
}

static void draw_status(struct ui *u)
{
	int y = LINES - 2;
	char buf[1100]; /* a space, then the whole message */
	const struct view_row *sel = view_table_selected(&u->vm.table[u->focus]);

	if (*u->message && u->now_ns - u->message_ns < (int64_t)UI_MESSAGE_MS * 1000000) {
		snprintf(buf, sizeof buf, " %s", u->message);
		ui_screen_put(y, 0, COLS, buf,
		              u->attr[u->message_error ? THEME_ERROR : THEME_STATUS], true);
		return;
	}
	const struct view_cell_target *cell =
	        u->focus == VIEW_EXPORTS ? view_table_cell(&u->vm.table[u->focus]) : NULL;
	if (!ui_overlay_full_screen(u) && cell && sel) {
		buf[0] = ' ';
		view_cell_status(sel, cell, u->opt->names, buf + 1, sizeof buf - 1);
		ui_screen_put(y, 0, COLS, buf, u->attr[cell->allowed ? THEME_STATUS : THEME_WARN],
		              true);
		return;
	}
	if (!ui_overlay_full_screen(u) && sel && *sel->reason) {
		snprintf(buf, sizeof buf, " %s %s", u->ascii ? "!" : "\u26a0", sel->reason);
		ui_screen_put(y, 0, COLS, buf, u->attr[THEME_WARN], true);
		return;
	}
	last_event(u, buf, sizeof buf);
	ui_screen_put(y, 0, COLS, buf, u->attr[THEME_STATUS], true);
}

static void draw_bar(struct ui *u)
{
	int y = LINES - 1, x = 0;
	bool compact = COLS < 100;

	u->nbar = actions_bar(&u->km, u->bar, UI_BAR_MAX);
	ui_screen_put(y, 0, COLS, "", u->attr[THEME_NORMAL], true);
	for (size_t i = 0; i < u->nbar; i++) {
		int kw = ui_screen_width(u->bar[i].key), lw = ui_screen_width(u->bar[i].label);
		int sep = compact ? 0 : 1, w = kw + sep + lw;
		if (x + w > COLS) {
			u->nbar = i;
			break;
		}
		u->bar_at[i] = (struct ui_rect){y, x, 1, w};
		put(u, y, x, kw, u->bar[i].key, THEME_FKEY);
		put(u, y, x + kw + sep, lw, u->bar[i].label, THEME_FKEY_LABEL);
		x += w + (compact ? 1 : 2);
	}
}

/* ------------------------------------------------------------ layers */

int ui_draw_put(struct ui *u, int y, int x, int w, const char *text, enum theme_role role)
{
	return put(u, y, x, w, text, role);
}

void ui_draw_box(struct ui *u, const struct ui_rect *in, const char *title, bool focused)
{
	draw_box(u, in, title, focused);
}

void ui_draw_dialog(struct ui *u, int h, int w, const char *title, struct ui_rect *in)
{
	/* A script's caption keeps the bottom rows: dialogs fit above it. */
	int maxh = LINES - 3 - (u->caption_h < LINES / 2 ? u->caption_h : 0), maxw = COLS;

	if (h > maxh)
		h = maxh;
	if (w > maxw)
		w = maxw;
	int y = 1 + (maxh - h) / 2, x = (COLS - w) / 2;
	for (int i = y; i < y + h; i++)
		ui_screen_put(i, x, w, "", u->attr[THEME_DIALOG], true);
	box_inner(in, y, x, h, w);
	draw_box(u, in, title, false);
}

void ui_draw_text(struct ui *u, const struct model_strv *lines, const char *title, long *top,
                  bool headings)
{
	struct ui_rect a = {1, 0, LINES - 3, COLS}, in;

	for (int y = a.y; y < a.y + a.h; y++)
		ui_screen_put(y, 0, COLS, "", u->attr[THEME_DIALOG], true);
	box_inner(&in, a.y, a.x, a.h, a.w);
	draw_box(u, &in, title, true);
	long max_top = (long)lines->n - in.h;
	if (*top > max_top)
		*top = max_top;
	if (*top < 0)
		*top = 0;
	for (int i = 0; i < in.h && (size_t)(*top + i) < lines->n; i++) {
		const char *l = lines->v[*top + i];
		const char *tab = strchr(l, '\t');
		enum theme_role role =
		        headings && l[0] && l[0] != ' ' && !tab ? THEME_ACCENT : THEME_DIALOG;
		if (!tab) {
			put(u, in.y + i, in.x + 1, in.w - 2, l, role);
			continue;
		}
		/* Two ends side by side: the left half, then the right. */
		char left[512];
		size_t n =
		        (size_t)(tab - l) < sizeof left - 1 ? (size_t)(tab - l) : sizeof left - 1;
		memcpy(left, l, n);
		left[n] = '\0';
		int half = (in.w - 3) / 2;
		put(u, in.y + i, in.x + 1, half, left, role);
		put(u, in.y + i, in.x + 2 + half, half, tab + 1, role);
	}
}

bool ui_draw_screen_has(const char *text, const struct ui_rect *skip)
{
	wchar_t wline[1024];
	char line[4096];

	for (int y = 0; y < LINES; y++) {
		int n = mvwinnwstr(stdscr, y, 0, wline, COLS < 1023 ? COLS : 1023);
		if (n <= 0)
			continue;
		wline[n] = L'\0';
		/* What the caller drew itself does not count. */
		if (skip && y >= skip->y && y < skip->y + skip->h)
			for (int x = skip->x; x < skip->x + skip->w && x < n; x++)
				wline[x] = L' ';
		if (wcstombs(line, wline, sizeof line) == (size_t)-1)
			continue;
		if (strstr(line, text))
			return true;
	}
	return false;
}

int ui_draw_push_text(struct model_strv *out, const char *text, int width)
{
	char line[1024];

	while (*text) {
		size_t n = strcspn(text, "\n");
		size_t m = n < sizeof line - 1 ? n : sizeof line - 1;
		memcpy(line, text, m);
		line[m] = '\0';
		char *tab = strchr(line, '\t');
		/* Too narrow for two columns: one end below the other. */
		if (tab && width < 70) {
			*tab = '\0';
			if (model_strv_push(out, line) < 0)
				return -1;
			memmove(line + 2, tab + 1, strlen(tab + 1) + 1);
			line[0] = line[1] = ' ';
		}
		if (model_strv_push(out, line) < 0)
			return -1;
		text += n + (text[n] == '\n');
	}
	return 0;
}

/* ------------------------------------------------------------ screen */

/* The terminal's cursor where the paint left it, and the frame out. */
static void paint_done(struct ui *u)
{
	curs_set(u->cursor_y >= 0);
	if (u->cursor_y >= 0)
		move(u->cursor_y, u->cursor_x);
	wnoutrefresh(stdscr);
	doupdate();
}

/* A row is highlighted as new or changed (cell_role()). */
static bool highlight_shown(const struct ui *u)
{
	return u->vm.newest_change_ns && u->now_ns - u->vm.newest_change_ns < u->highlight_ns;
}

/* Pane P's rows as the paint shows them (for ui_draw_clock()). */
static void painted_pane(struct ui *u, enum view_pane p)
{
	u->painted.rows_gen[p] = u->vm.table[p].rows_gen;
	u->painted.clock_gen[p] = u->vm.table[p].clock_gen;
}

void ui_draw_screen(struct ui *u)
{
	erase();
	u->cursor_y = -1;
	u->painted.valid = false;
	if (COLS < MIN_COLS || LINES < MIN_LINES) {
		char buf[64];
		snprintf(buf, sizeof buf, "terminal too small (%dx%d)", COLS, LINES);
		put(u, 0, 0, COLS, buf, THEME_ERROR);
		curs_set(0);
		wnoutrefresh(stdscr);
		doupdate();
		return;
	}
	draw_header(u);
	draw_panes(u);
	draw_bar(u);
	draw_status(u);
	ui_overlay_draw(u);
	paint_done(u);
	struct ui_painted *pt = &u->painted;
	pt->valid = true;
	pt->lines = LINES;
	pt->cols = COLS;
	pt->big = u->big;
	pt->highlight = highlight_shown(u);
	memcpy(pt->shown, u->shown, sizeof pt->shown);
	memcpy(pt->pane, u->pane, sizeof pt->pane);
	for (int p = 0; p < VIEW_PANE_COUNT; p++)
		painted_pane(u, (enum view_pane)p);
}

/* A review of new times changes the clock cells of a pane or two (the
 * peerings' heartbeat ages) and, now and then, a pane's rows; the other
 * panes (the exports' matrix, the gateways) stand as painted. Painting
 * every pane again for it was most of an idle dashboard's UI thread (at
 * 16 x 10,000, 12 M of its 15 M instructions in 30 s, callgrind): the
 * cells of every row drawn, then compared by curses with what the
 * terminal has. Here each pane that moved is painted over its own area,
 * what its rows do not cover blanked as a full paint's erase() would (the
 * cursor's marker column, the lines below the last row). A highlight shown
 * or fading, or an operation running, may change any pane: a full
 * paint. */
void ui_draw_clock(struct ui *u)
{
	struct ui_painted *pt = &u->painted;

	ui_draw_layout(u);
	if (!pt->valid || ui_overlay_top(u) || pt->highlight || highlight_shown(u) ||
	    ui_ops_busy(u) || pt->lines != LINES || pt->cols != COLS || pt->big != u->big ||
	    memcmp(pt->shown, u->shown, sizeof pt->shown) ||
	    memcmp(pt->pane, u->pane, sizeof pt->pane)) {
		ui_draw_screen(u);
		return;
	}
	u->cursor_y = -1;
	draw_header(u);
	for (int i = 0; i < VIEW_PANE_COUNT; i++) {
		enum view_pane p = (enum view_pane)i;
		const struct view_table *t = &u->vm.table[p];
		const struct ui_rect *a = &u->pane[p];
		if (!u->shown[p] ||
		    (t->rows_gen == pt->rows_gen[p] && t->clock_gen == pt->clock_gen[p]))
			continue;
		if (u->big)
			pane_box(u, p, true);
		else
			draw_tabs(u);
		draw_table(u, p, a, t->rows_gen == pt->rows_gen[p] ? TABLE_CLOCKS : TABLE_OVER);
		painted_pane(u, p);
	}
	draw_bar(u);
	draw_status(u);
	paint_done(u);
}

void ui_draw_header_line(struct ui *u)
{
	if (COLS < MIN_COLS || LINES < MIN_LINES)
		return;
	draw_header(u);
	/* An overlay reaching the first line stays on top; the cursor where
	 * the last full paint left it. */
	ui_overlay_draw(u);
	if (u->cursor_y >= 0)
		move(u->cursor_y, u->cursor_x);
	wnoutrefresh(stdscr);
	doupdate();
}

bool ui_draw_hit_row(const struct ui *u, int y, int x, enum view_pane *pane, long *row)
{
	for (int p = 0; p < VIEW_PANE_COUNT; p++) {
		const struct ui_rect *a = &u->pane[p];
		if (!u->shown[p] || y < a->y - 1 || y > a->y + a->h || x < a->x - 2 ||
		    x > a->x + a->w + 1)
			continue;
		*pane = (enum view_pane)p;
		*row = y > a->y ? (long)u->vm.table[p].top + (y - a->y - 1) : -1;
		return true;
	}
	return false;
}
