/* view: table mechanics (cursor by id, filter, sort, change stamps) and the
 * view model that rebuilds every pane's rows. */
#include "config.h"

#include "peerscope/view.h"

#include "pane.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ rows */

int view_row_init(struct view_row *r, const char *id, size_t ncells)
{
	memset(r, 0, sizeof *r);
	snprintf(r->id, sizeof r->id, "%s", id);
	r->cells = calloc(ncells ? ncells : 1, sizeof *r->cells);
	r->reason = strdup("");
	r->detail = strdup("");
	r->raw = strdup("");
	if (!r->cells || !r->reason || !r->detail || !r->raw) {
		view_row_clear(r);
		return -1;
	}
	r->ncells = ncells;
	for (size_t i = 0; i < ncells; i++) {
		r->cells[i].text = strdup("");
		if (!r->cells[i].text) {
			view_row_clear(r);
			return -1;
		}
		r->cells[i].role = THEME_NORMAL;
	}
	return 0;
}

void view_row_clear(struct view_row *r)
{
	for (size_t i = 0; r->cells && i < r->ncells; i++)
		free(r->cells[i].text);
	free(r->cells);
	free(r->reason);
	free(r->detail);
	free(r->raw);
	memset(r, 0, sizeof *r);
}

void view_rows_free(struct view_row *rows, size_t n)
{
	for (size_t i = 0; i < n; i++)
		view_row_clear(&rows[i]);
	free(rows);
}

int view_rows_build(const struct view_input *in, size_t count,
                    int (*fill)(struct view_row *r, const struct view_input *in, size_t i),
                    struct view_row **rows, size_t *n)
{
	struct view_row *v = calloc(count ? count : 1, sizeof *v);

	*rows = NULL;
	*n = 0;
	if (!v)
		return -1;
	for (size_t i = 0; i < count; i++) {
		if (fill(&v[i], in, i) < 0) {
			view_row_clear(&v[i]);
			view_rows_free(v, i);
			return -1;
		}
	}
	*rows = v;
	*n = count;
	return 0;
}

__attribute__((format(printf, 1, 0))) static char *vformat(const char *fmt, va_list ap)
{
	va_list copy;
	int len;
	char *s;

	va_copy(copy, ap);
	len = vsnprintf(NULL, 0, fmt, copy);
	va_end(copy);
	if (len < 0)
		return NULL;
	s = malloc((size_t)len + 1);
	if (s)
		vsnprintf(s, (size_t)len + 1, fmt, ap);
	return s;
}

int view_cell_set(struct view_row *r, size_t i, enum theme_role role, const char *fmt, ...)
{
	va_list ap;
	char *s;

	if (i >= r->ncells)
		return -1;
	va_start(ap, fmt);
	s = vformat(fmt, ap);
	va_end(ap);
	if (!s)
		return -1;
	free(r->cells[i].text);
	r->cells[i].text = s;
	r->cells[i].role = role;
	return 0;
}

int view_append(char **s, const char *fmt, ...)
{
	va_list ap;
	char *add, *joined;
	size_t old = *s ? strlen(*s) : 0;

	va_start(ap, fmt);
	add = vformat(fmt, ap);
	va_end(ap);
	if (!add)
		return -1;
	joined = realloc(*s, old + strlen(add) + 1);
	if (!joined) {
		free(add);
		return -1;
	}
	memcpy(joined + old, add, strlen(add) + 1);
	free(add);
	*s = joined;
	return 0;
}

const char *view_age(int64_t ms, bool ascii, char *buf, size_t len)
{
	int64_t s = ms / 1000;

	if (ms < 0)
		snprintf(buf, len, "%s", ascii ? "-" : "\u2014");
	else if (s < 60)
		snprintf(buf, len, "%llds", (long long)s);
	else if (s < 3600)
		snprintf(buf, len, "%lldm", (long long)(s / 60));
	else if (s < 86400)
		snprintf(buf, len, "%lldh", (long long)(s / 3600));
	else
		snprintf(buf, len, "%lldd", (long long)(s / 86400));
	return buf;
}

enum theme_role view_state_role(enum model_peering_state s)
{
	switch (s) {
	case MODEL_PEERING_ACTIVE:
		return THEME_OK;
	case MODEL_PEERING_PENDING:
	case MODEL_PEERING_ESTABLISHING:
		return THEME_WARN;
	default:
		return THEME_BAD;
	}
}

/* ------------------------------------------------------------ table */

void view_table_init(struct view_table *t, const struct view_column *cols, size_t ncols)
{
	memset(t, 0, sizeof *t);
	t->cols = cols;
	t->ncols = ncols;
	t->sort_col = -1;
}

void view_table_free(struct view_table *t)
{
	view_rows_free(t->rows, t->nrows);
	free(t->order);
	t->rows = NULL;
	t->order = NULL;
	t->nrows = t->nvisible = t->cursor = t->top = 0;
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
		if (strcmp(a->cells[i].text, b->cells[i].text) ||
		    a->cells[i].role != b->cells[i].role)
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
	relist(t);
	return 0;
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

/* ------------------------------------------------------------ model */

void view_model_init(struct view_model *vm)
{
	memset(vm, 0, sizeof *vm);
	for (int p = 0; p < VIEW_PANE_COUNT; p++) {
		size_t ncols;
		const struct view_column *cols = view_columns((enum view_pane)p, &ncols);
		view_table_init(&vm->table[p], cols, ncols);
	}
}

void view_model_free(struct view_model *vm)
{
	for (int p = 0; p < VIEW_PANE_COUNT; p++)
		view_table_free(&vm->table[p]);
}

/* A side is stale when it stopped answering after it had answered (the
 * clusters pane applies the same rule to each row). */
static bool side_stale(const struct store_snapshot *s, bool kube)
{
	if (kube ? s->kube_reachable : s->consul_reachable)
		return false;
	for (int i = 0; i < STORE_SRC_COUNT; i++)
		if (s->sources[i].enabled && store_src_is_kube((enum store_src)i) == kube &&
		    s->sources[i].last_ok_ns)
			return true;
	return false;
}

/* Counts a stale cluster and names it, with the age of its newest data,
 * for the panes whose rows mix every cluster's data. */
static void note_stale(struct view_model *vm, const struct store_snapshot *s,
                       const struct view_input *in)
{
	int64_t newest = 0;
	size_t used = strlen(vm->stale_note);
	char age[16];

	for (int i = 0; i < STORE_SRC_COUNT; i++)
		if (s->sources[i].last_ok_ns > newest)
			newest = s->sources[i].last_ok_ns;
	vm->stale++;
	view_age(newest ? (in->now_ns - newest) / 1000000 : -1, in->ascii, age, sizeof age);
	snprintf(vm->stale_note + used, sizeof vm->stale_note - used, "%s%s %s", used ? ", " : "",
	         s->name, age);
}

int view_model_update(struct view_model *vm, const struct view_input *in)
{
	int rc = 0;

	vm->clusters = (unsigned)in->n;
	vm->pairs = in->join ? (unsigned)in->join->npairs : 0;
	vm->pairs_active = in->join ? in->join->pairs_active : 0;
	vm->problems = in->join ? in->join->problems : 0;
	vm->newest_ns = 0;
	vm->stale = 0;
	vm->stale_note[0] = '\0';
	for (size_t i = 0; i < in->n; i++) {
		const struct store_snapshot *s = in->snaps[i];
		if (!s)
			continue;
		if (s->published_ns > vm->newest_ns)
			vm->newest_ns = s->published_ns;
		if (side_stale(s, false) || (s->kube_configured && side_stale(s, true)))
			note_stale(vm, s, in);
	}
	for (int p = 0; p < VIEW_PANE_COUNT; p++) {
		const struct ui_pane_ops *ops = ui_pane_get((enum view_pane)p);
		struct view_table *t = &vm->table[p];
		struct view_row *rows = NULL;
		size_t n = 0;
		if (ops->columns_for) {
			ops->columns_for(in, t);
			if (t->sort_col >= (int)t->ncols)
				t->sort_col = -1;
		}
		if (ops->rows(in, &rows, &n) < 0 || view_table_set_rows(t, rows, n, in->now_ns) < 0)
			rc = -1;
	}
	return rc;
}
