/* overlay: the stack of layers over the panes, as htop's ScreenManager and
 * tig's view stack: the top one draws last and sees keys first. */
#include "autoconfig.h"

#include "ui_internal.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

unsigned ui_overlay_push(struct ui *u, const struct ui_overlay_ops *ops, void *data)
{
	if (u->depth == UI_OVERLAY_MAX) {
		struct ui_overlay dead = {.ops = ops, .data = data};
		if (ops->done)
			ops->done(&dead);
		else
			free(data);
		return ui_say(u, true, "too many windows open: Esc closes one");
	}
	u->stack[u->depth++] = (struct ui_overlay){.ops = ops, .data = data};
	return UI_REDRAW;
}

void ui_overlay_pop(struct ui *u)
{
	struct ui_overlay *o;

	if (u->depth == 0)
		return;
	o = &u->stack[--u->depth];
	if (o->ops->done)
		o->ops->done(o);
	else
		free(o->data);
	*o = (struct ui_overlay){0};
}

struct ui_overlay *ui_overlay_top(struct ui *u)
{
	return u->depth ? &u->stack[u->depth - 1] : NULL;
}

struct ui_overlay *ui_overlay_find(struct ui *u, const struct ui_overlay_ops *ops)
{
	for (size_t i = u->depth; i-- > 0;)
		if (u->stack[i].ops == ops)
			return &u->stack[i];
	return NULL;
}

void ui_overlay_pop_to(struct ui *u, struct ui_overlay *o)
{
	size_t at = (size_t)(o - u->stack);

	while (u->depth > at)
		ui_overlay_pop(u);
}

unsigned ui_overlay_key(struct ui *u, int r, wint_t wc, enum action_id id)
{
	for (size_t i = u->depth; i-- > 0;) {
		struct ui_overlay *o = &u->stack[i];
		unsigned todo;
		if (!o->ops->on_top)
			continue;
		todo = o->ops->key(u, o, r, wc, id);
		if (!(todo & UI_PASS))
			return todo;
	}
	for (size_t i = u->depth; i-- > 0;) {
		struct ui_overlay *o = &u->stack[i];
		unsigned todo;
		if (o->ops->on_top)
			continue;
		todo = o->ops->key(u, o, r, wc, id);
		if (!(todo & UI_PASS))
			return todo;
		/* A full-screen layer hides what is below it. */
		if (o->ops->full_screen)
			break;
	}
	return UI_PASS;
}

unsigned ui_overlay_update(struct ui *u)
{
	unsigned todo = 0;

	for (size_t i = 0; i < u->depth; i++)
		if (u->stack[i].ops->update)
			todo |= u->stack[i].ops->update(u, &u->stack[i]);
	return todo;
}

void ui_overlay_draw(struct ui *u)
{
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < u->depth; i++)
			if (u->stack[i].ops->on_top == (pass == 1))
				u->stack[i].ops->draw(u, &u->stack[i]);
}

bool ui_overlay_full_screen(const struct ui *u)
{
	for (size_t i = 0; i < u->depth; i++)
		if (u->stack[i].ops->full_screen)
			return true;
	return false;
}

/* ------------------------------------------------------------ what layers share */

static void backspace(char *buf)
{
	size_t n = strlen(buf);

	/* Back over UTF-8 continuation bytes to the start of the character. */
	while (n > 0 && ((unsigned char)buf[n - 1] & 0xC0) == 0x80)
		n--;
	if (n > 0)
		n--;
	buf[n] = '\0';
}

static void insert(char *buf, size_t size, wint_t wc)
{
	char mb[MB_LEN_MAX];
	mbstate_t st;
	size_t n, used = strlen(buf);

	memset(&st, 0, sizeof st);
	n = wcrtomb(mb, (wchar_t)wc, &st);
	if (n == (size_t)-1 || used + n + 1 > size)
		return;
	memcpy(buf + used, mb, n);
	buf[used + n] = '\0';
}

bool ui_overlay_edit(char *buf, size_t size, int r, wint_t wc)
{
	bool is_key = r == KEY_CODE_YES;

	if ((is_key && wc == KEY_BACKSPACE) || (!is_key && (wc == 127 || wc == 8))) {
		backspace(buf);
		return true;
	}
	if (!is_key && wc == 21) { /* C-u */
		buf[0] = '\0';
		return true;
	}
	if (!is_key && wc >= ' ') {
		insert(buf, size, wc);
		return true;
	}
	return false;
}

bool ui_overlay_scroll(struct ui *u, struct ui_overlay *o, enum action_id id)
{
	long page = LINES - 6 > 1 ? LINES - 6 : 1;

	switch (id) {
	case ACTION_UP:
		o->top--;
		return true;
	case ACTION_DOWN:
		o->top++;
		return true;
	case ACTION_PAGE_UP:
		o->top -= page;
		return true;
	case ACTION_PAGE_DOWN:
		o->top += page;
		return true;
	case ACTION_TOP:
		o->top = 0;
		return true;
	case ACTION_BOTTOM:
		o->top = LONG_MAX / 2;
		return true;
	default:
		(void)u;
		return false;
	}
}
