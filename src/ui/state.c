/* state: what every part of the terminal UI uses of struct ui: the status
 * line's message and the focused pane's table. */
#include "autoconfig.h"

#include "ui_internal.h"

#include "peerscope/store.h"

#include <stdarg.h>
#include <stdio.h>

unsigned ui_say(struct ui *u, bool error, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(u->message, sizeof u->message, fmt, ap);
	va_end(ap);
	u->message_error = error;
	u->message_ns = store_now_ns();
	return UI_REDRAW;
}

struct view_table *ui_focused(struct ui *u)
{
	return &u->vm.table[u->focus];
}
