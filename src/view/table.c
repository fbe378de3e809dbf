/* view tables: the mechanics every pane shares: the cursor kept by row id,
 * the filter, the sort, and the stamps of new and changed rows. */
#include "autoconfig.h"

#include "peerscope/view.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void view_table_init(struct view_table *t, const struct view_column *cols, size_t ncols)
{
	memset(t, 0, sizeof *t);
	t->cols = cols;
	t->ncols = ncols;
	t->sort_col = -1;
	t->cell = -1;
}

void view_table_free(struct view_table *t)
{
	view_rows_free(t->rows, t->nrows);
	free(t->order);
	t->rows = NULL;
	t->order = NULL;
	t->nrows = t->nvisible = t->cursor = t->top = 0;
	t->rows_gen++;
}

const struct view_row *view_table_visible(const struct view_table *t, size_t i)
{
	return i < t->nvisible ? &t->rows[t->order[i]] : NULL;
}

const struct view_row *view_table_selected(const struct view_table *t)
{
	return view_table_visible(t, t->cursor);
}

static void remember_cursor(struct view_table *t)
{
	const struct view_row *r = view_table_selected(t);

	if (r)
		snprintf(t->cursor_id, sizeof t->cursor_id, "%s", r->id);
}

static bool row_matches(const struct view_row *r, const char *filter)
{
	if (!*filter)
		return true;
	for (size_t i = 0; i < r->ncells; i++)
		if (strcasestr(r->cells[i].text, filter))
			return true;
	return false;
}

/* Numbers inside texts compare by value: "cluster-2" < "cluster-10". */
static int natural_cmp(const char *a, const char *b)
{
	while (*a && *b) {
		if (isdigit((unsigned char)*a) && isdigit((unsigned char)*b)) {
			char *ea, *eb;
			unsigned long long na = strtoull(a, &ea, 10), nb = strtoull(b, &eb, 10);
			if (na != nb)
				return na < nb ? -1 : 1;
			a = ea;
			b = eb;
			continue;
		}
		int ca = tolower((unsigned char)*a), cb = tolower((unsigned char)*b);
		if (ca != cb)
			return ca < cb ? -1 : 1;
		a++;
		b++;
	}
	return *a ? 1 : *b ? -1 : 0;
}

static int order_cmp(const void *pa, const void *pb, void *ctx)
{
	size_t a = *(const size_t *)pa, b = *(const size_t *)pb;
	const struct view_table *t = ctx;
	int c = natural_cmp(t->rows[a].cells[t->sort_col].text, t->rows[b].cells[t->sort_col].text);

	if (c == 0)
		return a < b ? -1 : a > b; /* stable: the built order breaks ties */
	return t->sort_desc ? -c : c;
}

/* In a matrix, a selected row without a cell in the selected column selects
 * its nearest one. */
static void snap_cell(struct view_table *t)
{
	int keep = t->cell;

	if (t->cell < 0 || view_table_cell(t))
		return;
	if (!view_table_cell_move(t, 1) && !view_table_cell_move(t, -1))
		t->cell = keep;
}

/* Rebuilds the visible order and puts the cursor back on cursor_id, or as
 * near its old position as the rows allow. */
static void relist(struct view_table *t)
{
	size_t old_cursor = t->cursor;
	bool found = false;

	t->nvisible = 0;
	for (size_t i = 0; i < t->nrows; i++)
		if (row_matches(&t->rows[i], t->filter))
			t->order[t->nvisible++] = i;
	if (t->sort_col >= 0 && (size_t)t->sort_col < t->ncols) {
		qsort_r(t->order, t->nvisible, sizeof *t->order, order_cmp, t);
	}
	for (size_t i = 0; *t->cursor_id && i < t->nvisible; i++) {
		if (!strcmp(t->rows[t->order[i]].id, t->cursor_id)) {
			t->cursor = i;
			found = true;
			break;
		}
	}
	if (!found)
		t->cursor = t->nvisible == 0           ? 0
		            : old_cursor < t->nvisible ? old_cursor
		                                       : t->nvisible - 1;
	remember_cursor(t);
	snap_cell(t);
}

static int id_cmp(const void *a, const void *b)
{
	return strcmp((*(const struct view_row *const *)a)->id,
	              (*(const struct view_row *const *)b)->id);
}

static bool same_cells(const struct view_row *a, const struct view_row *b)
{
	if (a->ncells != b->ncells || strcmp(a->reason, b->reason))
		return false;
	for (size_t i = 0; i < a->ncells; i++)
		if (a->cells[i].role != b->cells[i].role ||
		    (!(a->cells[i].clock && b->cells[i].clock) &&
		     strcmp(a->cells[i].text, b->cells[i].text)))
			return false;
	return true;
}

/* Stamps rows that are new or differ from the old row with the same id. */
static int stamp_changes(const struct view_table *t, struct view_row *rows, size_t n,
                         int64_t now_ns)
{
	const struct view_row **old = malloc((t->nrows ? t->nrows : 1) * sizeof *old);

	if (!old)
		return -1;
	for (size_t i = 0; i < t->nrows; i++)
		old[i] = &t->rows[i];
	qsort(old, t->nrows, sizeof *old, id_cmp);
	for (size_t i = 0; i < n; i++) {
		const struct view_row *key = &rows[i];
		const struct view_row **hit = bsearch(&key, old, t->nrows, sizeof *old, id_cmp);
		if (!hit || !same_cells(*hit, &rows[i]))
			rows[i].changed_ns = now_ns;
		else
			rows[i].changed_ns = (*hit)->changed_ns;
	}
	free(old);
	return 0;
}

int view_table_set_rows(struct view_table *t, struct view_row *rows, size_t n, int64_t now_ns)
{
	size_t *order = malloc((n ? n : 1) * sizeof *order);

	if (!order || stamp_changes(t, rows, n, now_ns) < 0) {
		free(order);
		view_rows_free(rows, n);
		view_table_free(t);
		return -1;
	}
	/* The very first rows are not news. */
	if (!t->order)
		for (size_t i = 0; i < n; i++)
			rows[i].changed_ns = 0;
	remember_cursor(t);
	view_rows_free(t->rows, t->nrows);
	free(t->order);
	t->rows = rows;
	t->nrows = n;
	t->order = order;
	t->rows_gen++;
	relist(t);
	/* A matrix has a cell selected from the start. */
	if (t->cell < 0)
		view_table_cell_move(t, 1);
	return 0;
}

void view_table_touched(struct view_table *t)
{
	remember_cursor(t);
	t->rows_gen++;
	relist(t);
}

void view_table_clocks_touched(struct view_table *t)
{
	remember_cursor(t);
	t->clock_gen++;
	relist(t);
}

const struct view_cell_target *view_table_cell(const struct view_table *t)
{
	const struct view_row *r = view_table_selected(t);

	if (!r || t->cell < 0 || (size_t)t->cell >= r->ncells)
		return NULL;
	return r->cells[t->cell].cell;
}

bool view_table_cell_move(struct view_table *t, int delta)
{
	const struct view_row *r = view_table_selected(t);
	long c = t->cell < 0 ? (delta > 0 ? -1 : (long)t->ncols) : t->cell;

	if (!r || delta == 0)
		return false;
	for (c += delta > 0 ? 1 : -1; c >= 0 && (size_t)c<r->ncells; c += delta> 0 ? 1 : -1)
		if (r->cells[c].cell) {
			t->cell = (int)c;
			return true;
		}
	return false;
}

void view_table_move(struct view_table *t, long delta)
{
	long c = (long)t->cursor + delta;

	if (t->nvisible == 0)
		return;
	if (c < 0)
		c = 0;
	if (c >= (long)t->nvisible)
		c = (long)t->nvisible - 1;
	t->cursor = (size_t)c;
	remember_cursor(t);
	snap_cell(t);
}

void view_table_home(struct view_table *t)
{
	view_table_move(t, -(long)t->nvisible);
}

void view_table_end(struct view_table *t)
{
	view_table_move(t, (long)t->nvisible);
}

void view_table_select(struct view_table *t, size_t i)
{
	if (i < t->nvisible) {
		t->cursor = i;
		remember_cursor(t);
	}
}

static bool row_has(const struct view_row *r, const char *name, bool exact)
{
	if (exact ? !strcmp(r->id, name) : strstr(r->id, name) != NULL)
		return true;
	for (size_t i = 0; i < r->ncells; i++)
		if (exact ? !strcmp(r->cells[i].text, name)
		          : strstr(r->cells[i].text, name) != NULL)
			return true;
	return false;
}

bool view_table_find(struct view_table *t, const char *name)
{
	for (int exact = 1; exact >= 0; exact--) {
		for (size_t i = 0; i < t->nvisible; i++) {
			if (row_has(&t->rows[t->order[i]], name, exact)) {
				view_table_select(t, i);
				return true;
			}
		}
	}
	return false;
}

void view_table_scroll(struct view_table *t, size_t height)
{
	if (height == 0)
		return;
	if (t->cursor < t->top)
		t->top = t->cursor;
	if (t->cursor >= t->top + height)
		t->top = t->cursor - height + 1;
	if (t->nvisible <= height)
		t->top = 0;
	else if (t->top > t->nvisible - height)
		t->top = t->nvisible - height;
}

void view_table_set_filter(struct view_table *t, const char *filter)
{
	remember_cursor(t);
	snprintf(t->filter, sizeof t->filter, "%s", filter);
	relist(t);
}

void view_table_sort_next(struct view_table *t)
{
	remember_cursor(t);
	t->sort_col = t->sort_col + 1 >= (int)t->ncols ? -1 : t->sort_col + 1;
	t->sort_desc = false;
	relist(t);
}

void view_table_sort_reverse(struct view_table *t)
{
	remember_cursor(t);
	if (t->sort_col < 0)
		t->sort_col = 0;
	t->sort_desc = !t->sort_desc;
	relist(t);
}
