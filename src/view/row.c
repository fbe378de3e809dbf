/* view rows: building rows and cells, and the small formatters every pane
 * shares (ages, state roles). */
#include "autoconfig.h"

#include "peerscope/view.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The text of a cell nothing was set in, shared and never freed: a copy
 * for each cell (24 a row) was a third of the work of a pane's rows made
 * afresh, most of them replaced at once. */
static char no_text[] = "";

static void text_free(char *s)
{
	if (s != no_text)
		free(s);
}

int view_row_init(struct view_row *r, const char *id, size_t ncells)
{
	memset(r, 0, sizeof *r);
	snprintf(r->id, sizeof r->id, "%s", id);
	r->target = (struct view_target){
	        .a = VIEW_NO_CLUSTER, .b = VIEW_NO_CLUSTER, .acceptor = -1, .ptmg = -1};
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
		r->cells[i].text = no_text;
		r->cells[i].role = THEME_NORMAL;
	}
	return 0;
}

void view_row_clear(struct view_row *r)
{
	for (size_t i = 0; r->cells && i < r->ncells; i++) {
		text_free(r->cells[i].text);
		if (r->cells[i].cell) {
			free(r->cells[i].cell->detail);
			free(r->cells[i].cell);
		}
	}
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

/* A cell's text, formatted once. Most cells are one string ("%s") or a
 * fixed text, copied as they are; the others are formatted into a buffer
 * that fits nearly all, and again only when one does not fit. Measuring
 * first, then formatting, made the peerings pane's rows, rebuilt at each
 * review of new stream times, cost 1.7 times as much. */
__attribute__((format(printf, 1, 0))) static char *vformat(const char *fmt, va_list ap)
{
	char buf[256];
	va_list copy;
	int len;
	char *s;

	if (fmt[0] == '%' && fmt[1] == 's' && !fmt[2]) {
		const char *arg = va_arg(ap, const char *);
		return strdup(arg ? arg : "(null)");
	}
	if (!strchr(fmt, '%'))
		return strdup(fmt);
	va_copy(copy, ap);
	len = vsnprintf(buf, sizeof buf, fmt, copy);
	va_end(copy);
	if (len < 0 || !(s = malloc((size_t)len + 1)))
		return NULL;
	if ((size_t)len < sizeof buf)
		memcpy(s, buf, (size_t)len + 1);
	else
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
	text_free(r->cells[i].text);
	r->cells[i].text = s;
	r->cells[i].role = role;
	return 0;
}

int view_cell_set_text(struct view_row *r, size_t i, enum theme_role role, const char *text)
{
	if (i >= r->ncells)
		return -1;
	struct view_cell *c = &r->cells[i];
	size_t n = strlen(text);

	if (c->text != no_text && strlen(c->text) == n) {
		memcpy(c->text, text, n);
	} else {
		char *s = strdup(text);
		if (!s)
			return -1;
		text_free(c->text);
		c->text = s;
	}
	c->role = role;
	return 0;
}

/* Formatted once too, and straight to its place (a gateway's row appends
 * a piece per peer it carries). */
int view_append(char **s, const char *fmt, ...)
{
	char buf[256], *joined;
	size_t old = *s ? strlen(*s) : 0;
	va_list ap, copy;
	int len;

	va_start(ap, fmt);
	va_copy(copy, ap);
	len = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (len < 0 || !(joined = realloc(*s, old + (size_t)len + 1))) {
		va_end(copy);
		return -1;
	}
	if ((size_t)len < sizeof buf)
		memcpy(joined + old, buf, (size_t)len + 1);
	else
		vsnprintf(joined + old, (size_t)len + 1, fmt, copy);
	va_end(copy);
	*s = joined;
	return 0;
}

const char *view_age(int64_t ms, bool ascii, char *buf, size_t len)
{
	return model_age_format(ms, ascii ? "-" : "\u2014", buf, len);
}

int64_t view_age_next_ms(int64_t ms)
{
	return model_age_next_ms(ms);
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

bool view_any_enterprise(const struct view_input *in)
{
	for (size_t i = 0; i < in->n; i++)
		if (in->snaps[i] && in->snaps[i]->has_identity &&
		    in->snaps[i]->identity->enterprise)
			return true;
	return false;
}

const char *view_partition_text(const struct store_snapshot *s, const char *partition, bool ascii)
{
	if (partition && *partition)
		return partition;
	if (s && s->has_identity && s->identity->enterprise)
		return "default";
	return ascii ? "-" : "\u2014";
}

void view_columns_without(struct view_table *t, const struct view_column *cols, size_t n,
                          size_t drop)
{
	size_t c = 0;

	for (size_t i = 0; i < n && c < VIEW_MAX_COLS; i++)
		if (i != drop)
			t->dyn[c++] = cols[i];
	t->cols = t->dyn;
	t->ncols = c;
}

void view_row_drop_cell(struct view_row *r, size_t i)
{
	if (i >= r->ncells)
		return;
	text_free(r->cells[i].text);
	memmove(&r->cells[i], &r->cells[i + 1], (r->ncells - i - 1) * sizeof *r->cells);
	r->ncells--;
}
