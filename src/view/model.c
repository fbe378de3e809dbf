/* view model: every pane's rows rebuilt from the joined snapshots, and the
 * counts the title line shows. */
#include "autoconfig.h"

#include "peerscope/view.h"

#include <stdio.h>
#include <string.h>

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
	view_map_free(&vm->map);
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

int view_model_update(struct view_model *vm, const struct view_input *given)
{
	struct preflight_report checks = {0};
	struct view_input with = *given;
	const struct view_input *in = &with;
	int rc = 0;

	/* Panes only draw verdicts: the checks run once, here, for all. */
	if (!given->checks) {
		struct preflight_input pin = {given->snaps, given->n,      given->join,
		                              NULL,         given->now_ns, NULL};
		if (preflight_run(&pin, &checks) < 0)
			rc = -1;
		with.checks = &checks;
	}

	vm->clusters = (unsigned)in->n;
	vm->pairs = in->join ? (unsigned)in->join->npairs : 0;
	vm->pairs_active = in->join ? in->join->pairs_active : 0;
	vm->problems = in->join ? in->join->problems : 0;
	vm->newest_ns = 0;
	vm->enterprise = view_any_enterprise(in);
	vm->stale = 0;
	vm->stale_note[0] = '\0';
	for (size_t i = 0; i < in->n; i++) {
		const struct store_snapshot *s = in->snaps[i];
		if (!s)
			continue;
		if (s->published_ns > vm->newest_ns)
			vm->newest_ns = s->published_ns;
		if (store_side_stale(s, false) || (s->kube_configured && store_side_stale(s, true)))
			note_stale(vm, s, in);
	}
	for (int p = 0; p < VIEW_PANE_COUNT; p++) {
		const struct view_pane_ops *ops = view_pane_get((enum view_pane)p);
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
	view_map_free(&vm->map);
	if (view_map_build(in, &vm->map) < 0)
		rc = -1;
	preflight_report_free(&checks);
	return rc;
}
