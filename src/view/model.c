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
	preflight_report_free(&vm->checks_);
}

/* The earliest of *next and the moment the text of an age of AGE_MS at
 * NOW changes. */
static void age_counts(int64_t *next, int64_t now, int64_t age_ms)
{
	int64_t in = view_age_next_ms(age_ms);

	if (in < 0)
		return;
	if (!*next || now + in * 1000000 < *next)
		*next = now + in * 1000000;
}

/* Counts a stale cluster and names it, with the age of its newest data,
 * for the panes whose rows mix every cluster's data. */
static void note_stale(struct view_model *vm, const struct store_snapshot *s,
                       const struct view_input *in)
{
	int64_t newest = 0, age_ms;
	size_t used = strlen(vm->stale_note);
	char age[16];

	for (int i = 0; i < STORE_SRC_COUNT; i++)
		if (s->sources[i].last_ok_ns > newest)
			newest = s->sources[i].last_ok_ns;
	vm->stale++;
	age_ms = newest ? (in->now_ns - newest) / 1000000 : -1;
	view_age(age_ms, in->ascii, age, sizeof age);
	snprintf(vm->stale_note + used, sizeof vm->stale_note - used, "%s%s %s", used ? ", " : "",
	         s->name, age);
	/* The note's age and each side's in the clusters pane count. */
	age_counts(&vm->ages_change_ns, in->now_ns, age_ms);
	for (int kube = 0; kube < 2; kube++)
		age_counts(&vm->ages_change_ns, in->now_ns,
		           store_side_stale_age_ms(s, kube, in->now_ns));
}

/* The counts of the title line and the stale clusters. */
static void summarize(struct view_model *vm, const struct view_input *in)
{
	vm->clusters = (unsigned)in->n;
	vm->pairs = in->join ? (unsigned)in->join->npairs : 0;
	vm->pairs_active = in->join ? in->join->pairs_active : 0;
	vm->problems = in->join ? in->join->problems : 0;
	vm->newest_ns = 0;
	vm->enterprise = view_any_enterprise(in);
	vm->stale = 0;
	vm->stale_note[0] = '\0';
	vm->ages_change_ns = 0;
	for (size_t i = 0; i < in->n; i++) {
		const struct store_snapshot *s = in->snaps[i];
		if (!s)
			continue;
		if (s->published_ns > vm->newest_ns)
			vm->newest_ns = s->published_ns;
		if (store_side_stale(s, false) || (s->kube_configured && store_side_stale(s, true)))
			note_stale(vm, s, in);
	}
}

static uint64_t mix(uint64_t h, const char *s, uint64_t v)
{
	for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
		h ^= *p;
		h *= 1099511628211ull;
	}
	for (int i = 0; i < 8; i++) {
		h ^= (v >> (8 * i)) & 0xff;
		h *= 1099511628211ull;
	}
	return h;
}

/* The pane's key, with what every pane's rows depend on besides: the
 * clusters' names, ASCII, which detail texts are wanted. 0: no key. */
static uint64_t pane_key(const struct view_pane_ops *ops, const struct view_input *in)
{
	uint64_t k = ops->key ? ops->key(in) : 0;

	if (!k)
		return 0;
	k = mix(k, NULL, in->n * 4 + (in->ascii ? 2 : 0) + (in->detail_id ? 1 : 0));
	for (size_t i = 0; i < in->n; i++)
		k = mix(k, in->names[i], 0);
	if (in->detail_id && in->detail_pane == ops->id)
		k = mix(k, in->detail_id, 1);
	return k ? k : 1;
}

static int build_pane(struct view_model *vm, const struct view_input *in, enum view_pane p)
{
	const struct view_pane_ops *ops = view_pane_get(p);
	struct view_table *t = &vm->table[p];
	struct view_row *rows = NULL;
	size_t n = 0;
	uint64_t key = pane_key(ops, in);

	if (key && key == vm->key_[p])
		return 0;
	vm->key_[p] = 0;
	vm->builds_[p]++;
	if (ops->columns_for) {
		ops->columns_for(in, t);
		if (t->sort_col >= (int)t->ncols)
			t->sort_col = -1;
	}
	if (ops->rows(in, &rows, &n) < 0 || view_table_set_rows(t, rows, n, in->now_ns) < 0)
		return -1;
	vm->newest_[p] = 0;
	for (size_t i = 0; i < t->nrows; i++)
		if (t->rows[i].changed_ns > vm->newest_[p])
			vm->newest_[p] = t->rows[i].changed_ns;
	vm->key_[p] = key;
	return 0;
}

static void newest_change(struct view_model *vm)
{
	vm->newest_change_ns = 0;
	for (int p = 0; p < VIEW_PANE_COUNT; p++)
		if (vm->newest_[p] > vm->newest_change_ns)
			vm->newest_change_ns = vm->newest_[p];
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
	summarize(vm, in);
	for (int p = 0; p < VIEW_PANE_COUNT; p++)
		if (build_pane(vm, in, (enum view_pane)p) < 0)
			rc = -1;
	newest_change(vm);
	view_map_free(&vm->map);
	if (view_map_build(in, &vm->map) < 0)
		rc = -1;
	/* Kept for view_model_update_ages(). */
	preflight_report_free(&vm->checks_);
	vm->checks_ = checks;
	return rc;
}

int view_model_update_ages(struct view_model *vm, const struct view_input *given)
{
	struct view_input with = *given;
	int rc;

	if (!with.checks)
		with.checks = &vm->checks_;
	summarize(vm, &with);
	rc = build_pane(vm, &with, VIEW_CLUSTERS);
	newest_change(vm);
	return rc;
}

int view_model_update_times(struct view_model *vm, const struct view_input *given)
{
	struct view_input with = *given;
	int rc = 0;

	/* Nothing to keep before the first update. */
	for (int p = 0; p < VIEW_PANE_COUNT; p++)
		if (!vm->builds_[p])
			return view_model_update(vm, given);
	if (!with.checks)
		with.checks = &vm->checks_;
	summarize(vm, &with);
	for (int p = 0; p < VIEW_PANE_COUNT; p++) {
		const struct view_pane_ops *ops = view_pane_get((enum view_pane)p);
		int patched = ops->timeless ? 0 : ops->clock ? ops->clock(&with, &vm->table[p]) : 1;
		if (patched < 0)
			rc = -1;
		if (patched > 0 && build_pane(vm, &with, (enum view_pane)p) < 0)
			rc = -1;
	}
	newest_change(vm);
	/* The map, of the pairs' states and problems and of the gateways, is
	 * kept as it is. */
	return rc;
}

unsigned view_model_builds(const struct view_model *vm, enum view_pane p)
{
	return (unsigned)p < VIEW_PANE_COUNT ? vm->builds_[p] : 0;
}

bool view_want_detail(const struct view_input *in, enum view_pane p, const char *id)
{
	return !in->detail_id || (in->detail_pane == p && !strcmp(in->detail_id, id));
}
