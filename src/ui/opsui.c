/* opsui: the operations on screen: a dialog to choose the other cluster
 * and the names, the plan to confirm (what will be applied, or why not),
 * and the progress of the run, each step with its state and time. The
 * worker does the work; these layers only ask it and show what it says. */
#include "autoconfig.h"

#include "ui_internal.h"

#include "peerscope/monotime.h"
#include "peerscope/session.h"
#include "peerscope/worker.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
	enum action_id id;
	enum ops_kind kind;
} op_actions[] = {
        {ACTION_OP_PEER, OPS_PEER},
        {ACTION_OP_ACCEPTOR, OPS_ACCEPTOR},
        {ACTION_OP_EXCHANGE, OPS_EXCHANGE},
        {ACTION_OP_DIALER, OPS_DIALER},
        {ACTION_OP_REGENERATE, OPS_REGENERATE},
        {ACTION_OP_UNPEER, OPS_UNPEER},
        {ACTION_OP_GATEWAY_MODE, OPS_GATEWAY_MODE},
        {ACTION_OP_PTMG, OPS_PEER_THROUGH_GATEWAYS},
        {ACTION_OP_EXPORT, OPS_EXPORT},
        {ACTION_OP_UNEXPORT, OPS_UNEXPORT},
        {ACTION_OP_ALLOW, OPS_ALLOW},
        {ACTION_OP_DENY, OPS_DENY},
};

bool ui_ops_action(enum action_id id, enum ops_kind *kind)
{
	for (size_t i = 0; i < sizeof op_actions / sizeof op_actions[0]; i++)
		if (op_actions[i].id == id) {
			*kind = op_actions[i].kind;
			return true;
		}
	return false;
}

bool ui_ops_busy(const struct ui *u)
{
	enum worker_phase p;

	if (!u->opt->worker)
		return false;
	p = worker_state(u->opt->worker, NULL, NULL, NULL);
	return p == WORKER_PLANNING || p == WORKER_RUNNING;
}

static bool writable(const struct ui *u, size_t i)
{
	return u->opt->session && session_writable(u->opt->session, i);
}

static const char *name_of(const struct ui *u, size_t i)
{
	return i < u->opt->nclusters ? u->opt->names[i] : "?";
}

/* Appends TEXT to OUT in lines of at most WIDTH bytes, cut at blanks: the
 * first line after FIRST, the others indented as far. */
static void wrap(struct model_strv *out, const char *first, const char *text, int width)
{
	char line[1100];
	int lead = ui_screen_width(first);
	size_t w = width > lead + 10 ? (size_t)(width - lead) : 10;
	bool first_line = true;

	do {
		size_t n = strlen(text);
		if (n > w) {
			n = w;
			while (n > w / 2 && text[n] != ' ')
				n--;
			if (text[n] != ' ')
				n = w;
		}
		if (first_line)
			snprintf(line, sizeof line, "%s%.*s", first, (int)n, text);
		else
			snprintf(line, sizeof line, "%*s%.*s", lead, "", (int)n, text);
		model_strv_push(out, line);
		text += n;
		while (*text == ' ')
			text++;
		first_line = false;
	} while (*text);
}

/* ------------------------------------------------------------ progress */

struct prog {
	struct ops_status st;
	uint64_t seq;
	bool done;
	int64_t started_ms; /* monotonic: the clock in the title runs from here */
	/* What the plan offers to run next ("A B" of a token to regenerate). */
	struct model_strv followups;
};

static void prog_done(struct ui_overlay *o)
{
	struct prog *p = o->data;

	model_strv_clear(&p->followups);
	free(p);
}

static const char *step_glyph(const struct ui *u, enum ops_step_state s)
{
	switch (s) {
	case OPS_STEP_DONE:
		return u->g->done;
	case OPS_STEP_SKIPPED:
		return u->g->skipped;
	case OPS_STEP_FAILED:
	case OPS_STEP_STOPPED:
		return u->g->failed;
	case OPS_STEP_RUNNING:
		return u->g->running;
	default:
		return " ";
	}
}

static unsigned prog_update(struct ui *u, struct ui_overlay *o)
{
	struct prog *p = o->data;
	uint64_t seq;
	enum worker_phase ph = worker_state(u->opt->worker, NULL, NULL, &seq);

	if (seq == p->seq)
		return 0;
	p->seq = seq;
	worker_state(u->opt->worker, NULL, &p->st, NULL);
	if (ph == WORKER_DONE && !p->done) {
		p->done = true;
		/* What changed is there now: fetch it at once. */
		return UI_REDRAW | UI_REFETCH;
	}
	return UI_REDRAW;
}

static void prog_lines(struct ui *u, const struct prog *p, int width, struct model_strv *out)
{
	char line[1024];

	for (size_t i = 0; i < p->st.nsteps; i++) {
		const struct ops_step *s = &p->st.steps[i];
		bool live = s->state == OPS_STEP_RUNNING || s->state == OPS_STEP_FAILED ||
		            s->state == OPS_STEP_STOPPED;
		snprintf(line, sizeof line, "%s %s", step_glyph(u, s->state), s->title);
		if (s->state != OPS_STEP_PENDING && s->state != OPS_STEP_RUNNING) {
			size_t used = strlen(line);
			snprintf(line + used, sizeof line - used, "  %.1fs",
			         (double)s->elapsed_ms / 1000.0);
		}
		model_strv_push(out, line);
		if (live && s->note[0])
			wrap(out, "    ", s->note, width);
	}
	if (!p->done)
		return;
	model_strv_push(out, "");
	for (int i = 0; i < 2; i++) {
		const struct ops_end *e = &p->st.ends[i];
		char hb[32];
		if (!e->cluster[0])
			continue;
		view_age(e->heartbeat_age_ms, u->ascii, hb, sizeof hb);
		snprintf(line, sizeof line,
		         "%-16s %-16s %-12s heartbeat %-5s exported %zu  imported %zu", e->cluster,
		         e->name, e->present ? e->state : "absent", hb, e->exported, e->imported);
		model_strv_push(out, line);
	}
	wrap(out, "", p->st.message, width);
	if (p->st.fix[0]) {
		snprintf(line, sizeof line, "fix: %s", p->st.fix);
		wrap(out, "", line, width);
	}
}

static void prog_draw(struct ui *u, struct ui_overlay *o)
{
	struct prog *p = o->data;
	struct model_strv lines = {0};
	int w = COLS < 84 ? COLS : 84;
	char title[400];
	int64_t secs = (p->done ? p->st.elapsed_ms : monotime_ms() - p->started_ms) / 1000;
	struct ui_rect in;

	prog_lines(u, p, w - 6, &lines);
	snprintf(title, sizeof title, "%s  %02lld:%02lld", p->st.title[0] ? p->st.title : "Running",
	         (long long)(secs / 60), (long long)(secs % 60));
	ui_draw_dialog(u, (int)lines.n + 4, w, title, &in);
	for (int i = 0; i < in.h - 1 && (size_t)i < lines.n; i++) {
		enum theme_role role = THEME_DIALOG;
		if (i < (int)p->st.nsteps && p->st.steps[i].state == OPS_STEP_FAILED)
			role = THEME_ERROR;
		ui_draw_put(u, in.y + i, in.x, in.w, lines.v[i], role);
	}
	char foot[300];
	if (p->done && p->st.outcome == OPS_OK && p->followups.n)
		snprintf(foot, sizeof foot, "done. Enter: close   R: regenerate the token of %s",
		         p->followups.v[0]);
	else
		snprintf(foot, sizeof foot, "%s",
		         p->done ? (p->st.outcome == OPS_OK
		                            ? "done. Enter: close"
		                            : "Enter: close (run it again to continue)")
		                 : "Esc: stop waiting (what exists stays)");
	ui_draw_put(u, in.y + in.h - 1, in.x, in.w, foot,
	            p->done && p->st.outcome != OPS_OK ? THEME_WARN : THEME_DIM);
	model_strv_clear(&lines);
}

static bool is_enter(int r, wint_t wc)
{
	return (r != KEY_CODE_YES && (wc == '\n' || wc == '\r')) ||
	       (r == KEY_CODE_YES && wc == KEY_ENTER);
}

static bool is_esc(int r, wint_t wc)
{
	return r != KEY_CODE_YES && wc == 27;
}

/* The progress keeps only Esc (and, at the end, Enter): the panes beneath
 * go on answering every other key while the operation runs. */
static unsigned prog_key(struct ui *u, struct ui_overlay *o, int r, wint_t wc, enum action_id id)
{
	struct prog *p = o->data;

	(void)id;
	if (p->done && p->followups.n && r != KEY_CODE_YES && wc == 'R') {
		struct ops_request req = {.kind = OPS_REGENERATE, .wait_ms = u->opt->wait_ms};
		if (sscanf(p->followups.v[0], "%63s %63s", req.a, req.b) != 2)
			return 0;
		worker_drop(u->opt->worker);
		ui_overlay_pop(u);
		return ui_ops_ask(u, &req);
	}
	if (p->done && (is_enter(r, wc) || is_esc(r, wc))) {
		worker_drop(u->opt->worker);
		ui_overlay_pop(u);
		return UI_REDRAW;
	}
	if (!p->done && is_esc(r, wc)) {
		worker_cancel(u->opt->worker);
		return ui_say(u, false, "stopping the wait: what was created stays");
	}
	return UI_PASS;
}

static const struct ui_overlay_ops prog_ops = {
        .name = "progress",
        .draw = prog_draw,
        .key = prog_key,
        .update = prog_update,
        .done = prog_done,
};

static const struct ui_overlay_ops pick_ops;

/* ------------------------------------------------------------ the plan */

struct plan_ov {
	struct ops_request req;
	uint64_t seq;
	bool have;
	struct ops_plan plan;
	bool show_changes;
	char typed[OPS_NAME_MAX];
};

static void plan_done(struct ui_overlay *o)
{
	struct plan_ov *p = o->data;

	if (p->have)
		ops_plan_free(&p->plan);
	free(p);
}

static unsigned plan_update(struct ui *u, struct ui_overlay *o)
{
	struct plan_ov *p = o->data;
	uint64_t seq;
	enum worker_phase ph;

	if (p->have)
		return 0;
	ph = worker_state(u->opt->worker, NULL, NULL, &seq);
	if (seq == p->seq)
		return 0;
	p->seq = seq;
	if (ph == WORKER_PLANNED) {
		worker_state(u->opt->worker, &p->plan, NULL, NULL);
		p->have = true;
	} else if (ph == WORKER_IDLE) {
		/* The plan failed (out of memory): refused, nothing to run. */
		memset(&p->plan, 0, sizeof p->plan);
		p->plan.refusal = OPS_REFUSE_RULE;
		snprintf(p->plan.reason, sizeof p->plan.reason,
		         "the plan could not be made: out of memory");
		p->have = true;
	}
	return UI_REDRAW;
}

static const char *plan_glyph(const struct ui *u, enum ops_step_state s)
{
	return s == OPS_STEP_SKIPPED ? u->g->skipped : s == OPS_STEP_FAILED ? u->g->failed : "+";
}

/* The diff of a change around what changes: two lines of context, the
 * rest as "...". */
#define DIFF_CONTEXT 2
static void diff_lines(const char *diff, struct model_strv *out)
{
	struct model_strv all = {0};
	size_t last_shown = (size_t)-1;

	ui_draw_push_text(&all, diff, 200);
	for (size_t i = 0; i < all.n; i++) {
		bool near = false;
		for (size_t k = i >= DIFF_CONTEXT ? i - DIFF_CONTEXT : 0;
		     k < all.n && k <= i + DIFF_CONTEXT && !near; k++)
			near = all.v[k][0] == '+' || all.v[k][0] == '-';
		if (!near)
			continue;
		if (last_shown != (size_t)-1 ? i > last_shown + 1 : i > 0)
			model_strv_push(out, "  ...");
		model_strv_push(out, all.v[i]);
		last_shown = i;
	}
	if (last_shown != (size_t)-1 && last_shown + 1 < all.n)
		model_strv_push(out, "  ...");
	model_strv_clear(&all);
}

static void plan_lines(struct ui *u, const struct plan_ov *p, int width, struct model_strv *out)
{
	const struct ops_plan *pl = &p->plan;
	char line[1100];

	if (!p->have) {
		model_strv_push(out, "Reading what it would do ...");
		return;
	}
	if (pl->refusal != OPS_GO) {
		snprintf(line, sizeof line, "%s %s", u->g->failed, pl->reason);
		wrap(out, "", line, width);
		if (pl->fix[0]) {
			snprintf(line, sizeof line, "fix: %s", pl->fix);
			wrap(out, "", line, width);
		}
		return;
	}
	for (size_t i = 0; i < pl->preview.n; i++)
		wrap(out, "", pl->preview.v[i], width);
	for (size_t i = 0; i < pl->notes.n; i++) {
		snprintf(line, sizeof line, "%s %s", u->ascii ? "!" : "\u26a0", pl->notes.v[i]);
		wrap(out, "", line, width);
	}
	if (pl->preview.n || pl->notes.n)
		model_strv_push(out, "");
	for (size_t i = 0; i < pl->nsteps; i++) {
		const struct ops_step *s = &pl->steps[i];
		char glyph[16];
		snprintf(glyph, sizeof glyph, "%s ", plan_glyph(u, s->state));
		snprintf(line, sizeof line, "%s: %s%s", s->title,
		         s->state == OPS_STEP_SKIPPED ? "already: " : "", s->note);
		wrap(out, glyph, line, width);
	}
	/* What changes in each resource, before -> after. */
	for (size_t i = 0; i < pl->nchanges; i++) {
		if (!pl->changes[i].diff)
			continue;
		snprintf(line, sizeof line, "%s: %s, before -> after:", pl->changes[i].cluster,
		         pl->changes[i].what);
		model_strv_push(out, "");
		wrap(out, "", line, width);
		diff_lines(pl->changes[i].diff, out);
	}
	if (!p->show_changes)
		return;
	model_strv_push(out, "");
	if (pl->nchanges == 0)
		model_strv_push(out, "# nothing to change");
	for (size_t i = 0; i < pl->nchanges; i++) {
		snprintf(line, sizeof line, "# %s: %s", pl->changes[i].cluster,
		         pl->changes[i].what);
		model_strv_push(out, line);
		if (pl->changes[i].body)
			ui_draw_push_text(out, pl->changes[i].body, width);
	}
}

static bool needs_word(const struct plan_ov *p)
{
	return p->have && p->plan.refusal == OPS_GO && p->plan.req.kind == OPS_UNPEER;
}

static void plan_draw(struct ui *u, struct ui_overlay *o)
{
	struct plan_ov *p = o->data;
	struct model_strv lines = {0};
	int w = COLS < 96 ? COLS : 96;
	char title[400], foot[200];
	struct ui_rect in;

	plan_lines(u, p, w - 6, &lines);
	snprintf(title, sizeof title, "%s", p->have ? p->plan.title : "Planning");
	ui_draw_dialog(u, (int)lines.n + 5, w, title, &in);
	long max_top = (long)lines.n - (in.h - 2);
	if (o->top > max_top)
		o->top = max_top;
	if (o->top < 0)
		o->top = 0;
	for (int i = 0; i < in.h - 2 && (size_t)(o->top + i) < lines.n; i++) {
		const char *l = lines.v[o->top + i];
		enum theme_role role = l[0] == '#'            ? THEME_DIM
		                       : !strncmp(l, "- ", 2) ? THEME_BAD
		                       : !strncmp(l, "+ ", 2) ? THEME_OK
		                                              : THEME_DIALOG;
		if (p->have && p->plan.refusal != OPS_GO && o->top + i == 0)
			role = THEME_ERROR;
		ui_draw_put(u, in.y + i, in.x, in.w, l, role);
	}
	if (!p->have)
		snprintf(foot, sizeof foot, "Esc: cancel");
	else if (p->plan.refusal != OPS_GO)
		snprintf(foot, sizeof foot, "Enter or Esc: close");
	else if (needs_word(p))
		snprintf(foot, sizeof foot, "Type %s to confirm: %s", p->plan.confirm_word,
		         p->typed);
	else
		snprintf(foot, sizeof foot, "Enter: %s   Tab: %s   Esc: cancel",
		         p->plan.destructive ? "replace and run" : "run",
		         p->show_changes ? "hide what it sends" : "what it sends (dry run)");
	int used = ui_draw_put(u, in.y + in.h - 1, in.x, in.w, foot,
	                       needs_word(p) ? THEME_WARN : THEME_DIM);
	if (needs_word(p)) {
		u->cursor_y = in.y + in.h - 1;
		u->cursor_x = in.x + used;
	}
	model_strv_clear(&lines);
}

static unsigned start_run(struct ui *u, struct ui_overlay *o)
{
	struct prog *pr = calloc(1, sizeof *pr);
	struct plan_ov *p = o->data;

	if (!pr)
		return ui_say(u, true, "out of memory");
	if (!worker_run(u->opt->worker)) {
		free(pr);
		return ui_say(u, true,
		              "another operation is running: wait for it, or Esc stops it");
	}
	snprintf(pr->st.title, sizeof pr->st.title, "%s", p->plan.title);
	pr->started_ms = monotime_ms();
	for (size_t i = 0; i < p->plan.followups.n; i++)
		model_strv_push(&pr->followups, p->plan.followups.v[i]);
	/* The choices are made: the plan and the dialog under it go. */
	ui_overlay_pop(u);
	if (ui_overlay_top(u) && ui_overlay_top(u)->ops->chooser)
		ui_overlay_pop(u);
	return ui_overlay_push(u, &prog_ops, pr) | ui_overlay_update(u);
}

static unsigned plan_key(struct ui *u, struct ui_overlay *o, int r, wint_t wc, enum action_id id)
{
	struct plan_ov *p = o->data;

	if (is_esc(r, wc)) {
		worker_drop(u->opt->worker);
		ui_overlay_pop(u);
		return UI_REDRAW;
	}
	if (!p->have)
		return 0;
	if (is_enter(r, wc)) {
		if (p->plan.refusal != OPS_GO) {
			worker_drop(u->opt->worker);
			ui_overlay_pop(u);
			return UI_REDRAW;
		}
		if (needs_word(p) && strcmp(p->typed, p->plan.confirm_word))
			return ui_say(u, true, "type %s to confirm, or Esc", p->plan.confirm_word);
		return start_run(u, o);
	}
	if (r != KEY_CODE_YES && wc == '\t') {
		p->show_changes = !p->show_changes;
		return UI_REDRAW;
	}
	if (needs_word(p) && ui_overlay_edit(p->typed, sizeof p->typed, r, wc))
		return UI_REDRAW;
	if (ui_overlay_scroll(u, o, id))
		return UI_REDRAW;
	return 0; /* the plan waits for an answer */
}

static const struct ui_overlay_ops plan_ops = {
        .name = "plan",
        .draw = plan_draw,
        .key = plan_key,
        .update = plan_update,
        .done = plan_done,
};

/* Asks the worker for the plan of REQ and shows it. */
unsigned ui_ops_ask(struct ui *u, const struct ops_request *req)
{
	struct plan_ov *p;

	if (!u->opt->worker)
		return ui_say(u, true, "operations are not available here");
	if (ui_overlay_find(u, &prog_ops) || ui_ops_busy(u))
		return ui_say(u, true,
		              "an operation is under way: wait for it to end (Esc stops it)");
	/* A finished run's state makes way. */
	worker_drop(u->opt->worker);
	if (!(p = calloc(1, sizeof *p)))
		return ui_say(u, true, "out of memory");
	p->req = *req;
	if (!worker_plan(u->opt->worker, req)) {
		free(p);
		return ui_say(u, true, "an operation is under way: wait for it to end");
	}
	return ui_overlay_push(u, &plan_ops, p) | ui_overlay_update(u);
}

/* ------------------------------------------------------------ pick */

enum {
	F_LIST,
	F_NAME,
	F_DIALER_NAME,
	F_SECRET,
	F_PART, /* the partitions: only when some cluster runs Consul Enterprise */
	F_DIALER_PART,
	F_COUNT
};

struct pick {
	enum ops_kind kind;
	size_t from;     /* the cluster the operation starts from */
	bool from_dials; /* a dialer: FROM is the dialing side */
	size_t choice[64];
	size_t n, cursor;
	int field;
	int nfields;                             /* F_PART, or F_COUNT with the partitions */
	char text[F_COUNT][OPS_SECRET_NAME_MAX]; /* "" : the default */
};

static size_t acceptor_of(const struct pick *p)
{
	return p->from_dials ? p->choice[p->cursor] : p->from;
}

static size_t dialer_of(const struct pick *p)
{
	return p->from_dials ? p->from : p->choice[p->cursor];
}

/* What the field shows: the text typed, or the default in brackets. */
static void field_text(const struct ui *u, const struct pick *p, int f, char *buf, size_t len)
{
	const char *a = name_of(u, acceptor_of(p)), *b = name_of(u, dialer_of(p));

	if (p->text[f][0]) {
		snprintf(buf, len, "%s", p->text[f]);
		return;
	}
	switch (f) {
	case F_NAME:
		snprintf(buf, len, "%s", b);
		break;
	case F_DIALER_NAME:
		snprintf(buf, len, "%s", a);
		break;
	case F_PART:
	case F_DIALER_PART:
		snprintf(buf, len, "its own");
		break;
	default:
		snprintf(buf, len, "%s%.63s", OPS_SECRET_PREFIX,
		         p->text[F_NAME][0] ? p->text[F_NAME] : b);
		break;
	}
}

/* The text of the cell under the column titled TITLE; "" when none. */
static const char *cell_of(const struct view_table *t, const struct view_row *r, const char *title)
{
	for (size_t i = 0; i < t->ncols && i < r->ncells; i++)
		if (!strcmp(t->cols[i].title, title))
			return r->cells[i].text;
	return "";
}

/* A and B name the same admin partition ("" is the default one). */
static bool same_partition(const char *a, const char *b)
{
	return !strcmp(*a ? a : "default", *b ? b : "default");
}

/* What the choices list says beside a cluster: peered already (FROM in the
 * partition the dialog names for it, when it names one), read-only. */
static void choice_note(const struct ui *u, const struct pick *p, size_t c, char *buf, size_t len)
{
	const struct view_table *t = &u->vm.table[VIEW_PEERINGS];
	const char *part = p->text[p->from_dials ? F_DIALER_PART : F_PART];

	buf[0] = '\0';
	if (!writable(u, c)) {
		snprintf(buf, len, "read-only");
		return;
	}
	for (size_t i = 0; i < t->nrows; i++) {
		const struct view_target *g = &t->rows[i].target;
		bool fa = g->a == p->from && g->b == c, fb = g->a == c && g->b == p->from;
		if (!fa && !fb)
			continue;
		if (*part && !same_partition(fa ? g->a_partition : g->b_partition, part))
			continue;
		snprintf(buf, len, "peered: %s / %s", cell_of(t, &t->rows[i], "STATE A"),
		         cell_of(t, &t->rows[i], "STATE B"));
		return;
	}
}

static const char *pick_verb(enum ops_kind k)
{
	switch (k) {
	case OPS_PEER:
		return "Peer";
	case OPS_ACCEPTOR:
		return "PeeringAcceptor on";
	case OPS_DIALER:
		return "PeeringDialer on";
	default:
		return "Copy the token of";
	}
}

static void pick_draw(struct ui *u, struct ui_overlay *o)
{
	struct pick *p = o->data;
	static const char *const labels[F_COUNT] = {"",
	                                            "Peer name on ",
	                                            "Peer name on ",
	                                            "Token Secret",
	                                            "Partition on ",
	                                            "Partition on "};
	char title[300], line[600], val[OPS_SECRET_NAME_MAX], note[200];
	int w = COLS < 78 ? COLS : 78, y;
	struct ui_rect in;

	snprintf(title, sizeof title, "%s %s with ...", pick_verb(p->kind), name_of(u, p->from));
	ui_draw_dialog(u, (int)p->n + 5 + p->nfields - F_NAME, w, title, &in);
	y = in.y;
	snprintf(line, sizeof line, "%s side   %s", p->from_dials ? "Dialer" : "Acceptor",
	         name_of(u, p->from));
	ui_draw_put(u, y++, in.x, in.w, line, THEME_DIALOG);
	for (size_t i = 0; i < p->n && y < in.y + in.h - 2 - (p->nfields - F_NAME); i++, y++) {
		choice_note(u, p, p->choice[i], note, sizeof note);
		snprintf(line, sizeof line, "%s%s %-16s %s",
		         i               ? "             "
		         : p->from_dials ? "Acceptor side"
		                         : "Dialer side  ",
		         i == p->cursor ? ">" : " ", name_of(u, p->choice[i]), note);
		ui_draw_put(u, y, in.x, in.w, line,
		            i == p->cursor && p->field == F_LIST ? THEME_SELECTED : THEME_DIALOG);
	}
	for (int f = F_NAME; f < p->nfields; f++, y++) {
		bool on_a = f == F_NAME || f == F_PART,
		     on_b = f == F_DIALER_NAME || f == F_DIALER_PART;
		field_text(u, p, f, val, sizeof val);
		snprintf(line, sizeof line, "%s%-*s %s%s%s", labels[f],
		         f == F_SECRET ? 3 : 16 - (int)strlen(labels[f]) + 2,
		         on_a   ? name_of(u, acceptor_of(p))
		         : on_b ? name_of(u, dialer_of(p))
		                : "",
		         p->text[f][0] || p->field == f ? "" : "[", val,
		         p->text[f][0] || p->field == f ? "" : "]");
		int used = ui_draw_put(u, y, in.x, in.w, line,
		                       p->field == f ? THEME_INPUT : THEME_DIALOG);
		if (p->field == f) {
			u->cursor_y = y;
			u->cursor_x = in.x + used;
		}
	}
	ui_draw_put(u, in.y + in.h - 1, in.x, in.w,
	            "Enter: plan   Up/Down: choose   Tab: next field   Esc: cancel", THEME_DIM);
}

static unsigned pick_plan(struct ui *u, struct pick *p)
{
	struct ops_request req = {.kind = p->kind, .wait_ms = u->opt->wait_ms};

	if (p->n == 0)
		return ui_say(u, true, "no other cluster to pair %s with", name_of(u, p->from));
	snprintf(req.a, sizeof req.a, "%s", name_of(u, acceptor_of(p)));
	snprintf(req.b, sizeof req.b, "%s", name_of(u, dialer_of(p)));
	snprintf(req.name, sizeof req.name, "%.63s", p->text[F_NAME]);
	snprintf(req.dialer_name, sizeof req.dialer_name, "%.63s", p->text[F_DIALER_NAME]);
	snprintf(req.secret_name, sizeof req.secret_name, "%s", p->text[F_SECRET]);
	snprintf(req.partition, sizeof req.partition, "%.63s", p->text[F_PART]);
	snprintf(req.dialer_partition, sizeof req.dialer_partition, "%.63s",
	         p->text[F_DIALER_PART]);
	return ui_ops_ask(u, &req);
}

static unsigned pick_key(struct ui *u, struct ui_overlay *o, int r, wint_t wc, enum action_id id)
{
	struct pick *p = o->data;
	bool is_key = r == KEY_CODE_YES;

	if (is_esc(r, wc)) {
		ui_overlay_pop(u);
		return UI_REDRAW;
	}
	if (is_enter(r, wc))
		return pick_plan(u, p);
	if ((!is_key && wc == '\t') || (is_key && wc == KEY_BTAB)) {
		p->field = (p->field + (is_key ? p->nfields - 1 : 1)) % p->nfields;
		return UI_REDRAW;
	}
	if (p->field == F_LIST) {
		if ((id == ACTION_UP || (is_key && wc == KEY_UP)) && p->cursor > 0)
			p->cursor--;
		else if ((id == ACTION_DOWN || (is_key && wc == KEY_DOWN)) && p->cursor + 1 < p->n)
			p->cursor++;
		return UI_REDRAW;
	}
	if (is_key && (wc == KEY_UP || wc == KEY_DOWN)) {
		p->field = wc == KEY_UP ? p->field - 1 : (p->field + 1) % p->nfields;
		return UI_REDRAW;
	}
	if (ui_overlay_edit(p->text[p->field],
	                    p->field == F_SECRET ? sizeof p->text[0] : OPS_NAME_MAX, r, wc))
		return UI_REDRAW;
	return 0;
}

static const struct ui_overlay_ops pick_ops = {
        .chooser = true,
        .name = "pick",
        .draw = pick_draw,
        .key = pick_key,
};

unsigned ui_ops_pick(struct ui *u, enum ops_kind kind, size_t from, const char *partition)
{
	struct pick *p;

	if (from >= u->opt->nclusters)
		return ui_say(u, true, "select a cluster first");
	if (!writable(u, from) && kind != OPS_EXCHANGE)
		return ui_say(u, true, "%s is read-only: peerscope changes nothing there",
		              name_of(u, from));
	if (!(p = calloc(1, sizeof *p)))
		return ui_say(u, true, "out of memory");
	p->kind = kind;
	p->from = from;
	p->from_dials = kind == OPS_DIALER;
	p->nfields = u->vm.enterprise ? F_COUNT : F_PART;
	/* The row's partition is FROM's side's. */
	if (u->vm.enterprise && partition && *partition)
		snprintf(p->text[p->from_dials ? F_DIALER_PART : F_PART], sizeof p->text[0],
		         "%.63s", partition);
	for (size_t i = 0; i < u->opt->nclusters && p->n < sizeof p->choice / sizeof p->choice[0];
	     i++)
		if (i != from)
			p->choice[p->n++] = i;
	/* The first writable cluster not peered with FROM yet. */
	for (size_t i = 0; i < p->n; i++) {
		char note[200];
		choice_note(u, p, p->choice[i], note, sizeof note);
		if (!note[0]) {
			p->cursor = i;
			break;
		}
	}
	return ui_overlay_push(u, &pick_ops, p);
}

/* ------------------------------------------------------------ pairs, commands */

unsigned ui_ops_pair(struct ui *u, enum ops_kind kind, const struct view_target *t)
{
	struct ops_request req = {.kind = kind, .wait_ms = u->opt->wait_ms};
	bool b_accepts = t->acceptor == 1;
	size_t a = b_accepts ? t->b : t->a, b = b_accepts ? t->a : t->b;
	const char *an = b_accepts ? t->b_peer : t->a_peer, *bn = b_accepts ? t->a_peer : t->b_peer;

	snprintf(req.a, sizeof req.a, "%s", name_of(u, a));
	snprintf(req.b, sizeof req.b, "%s", name_of(u, b));
	snprintf(req.name, sizeof req.name, "%s", an);
	snprintf(req.dialer_name, sizeof req.dialer_name, "%s", bn);
	/* Each end in its partition (none on Consul CE). */
	snprintf(req.partition, sizeof req.partition, "%.63s",
	         b_accepts ? t->b_partition : t->a_partition);
	snprintf(req.dialer_partition, sizeof req.dialer_partition, "%.63s",
	         b_accepts ? t->a_partition : t->b_partition);
	return ui_ops_ask(u, &req);
}

unsigned ui_ops_start(struct ui *u, enum ops_kind kind, const char *arg)
{
	struct ops_request req = {.kind = kind, .wait_ms = u->opt->wait_ms};
	char w[6][OPS_NAME_MAX] = {"", "", "", "", "", ""};
	const char *x = NULL, *y = NULL;
	int n;

	n = sscanf(arg, "%63s %63s %63s %63s %63s %63s", w[0], w[1], w[2], w[3], w[4], w[5]);
	/* Two cluster names and the flags of the command line, in any order. */
	for (int i = 0; i < n; i++) {
		char *dst = !strcmp(w[i], "--partition")          ? req.partition
		            : !strcmp(w[i], "--dialer-partition") ? req.dialer_partition
		                                                  : NULL;
		if (dst && i + 1 < n)
			snprintf(dst, OPS_NAME_MAX, "%s", w[++i]);
		else if (dst || w[i][0] == '-' || (x && y))
			return ui_say(u, true,
			              "':%s' takes two cluster names, --partition P and "
			              "--dialer-partition P",
			              ops_kind_name(kind));
		else if (!x)
			x = w[i];
		else
			y = w[i];
	}
	if (!x || !y)
		return ui_say(u, true, "':%s' needs two cluster names", ops_kind_name(kind));
	/* :dialer B A names the dialing cluster first. */
	snprintf(req.a, sizeof req.a, "%s", kind == OPS_DIALER ? y : x);
	snprintf(req.b, sizeof req.b, "%s", kind == OPS_DIALER ? x : y);
	return ui_ops_ask(u, &req);
}
