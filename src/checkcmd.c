/* checkcmd: `peerscope check [CLUSTER...]`. See include/peerscope/checkcmd.h. */
#include "autoconfig.h"

#include "peerscope/checkcmd.h"
#include "peerscope/term.h"

#include "peerscope/config.h"
#include "peerscope/join.h"
#include "peerscope/preflight.h"
#include "peerscope/report.h"
#include "peerscope/store.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The index of the configured cluster NAME, or -1. */
static long cluster_index(const struct config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->nclusters; i++)
		if (!strcmp(cfg->clusters[i].name, name))
			return (long)i;
	return -1;
}

/* WANTED[i]: cluster i was named (every one when none was). */
static int select_clusters(const struct config *cfg, const char *const *names, size_t n,
                           bool *wanted)
{
	for (size_t i = 0; i < cfg->nclusters; i++)
		wanted[i] = n == 0;
	for (size_t k = 0; k < n; k++) {
		long i = cluster_index(cfg, names[k]);
		if (i < 0) {
			fprintf(stderr,
			        "peerscope: check: no cluster named '%s' in the configuration\n",
			        names[k]);
			return -1;
		}
		wanted[i] = true;
	}
	return 0;
}

/* Keeps the results about a wanted cluster: its own checks, and the checks
 * of the pairs it is an end of. */
static void keep_wanted(struct preflight_report *r, const bool *wanted)
{
	size_t kept = 0;

	for (size_t i = 0; i < r->n; i++) {
		const struct preflight_result *x = &r->v[i];
		bool keep = (x->cluster != PREFLIGHT_NONE && wanted[x->cluster]) ||
		            (x->other != PREFLIGHT_NONE && wanted[x->other]);
		if (keep)
			r->v[kept++] = *x;
		else
			preflight_results_free(&r->v[i], 1);
	}
	r->n = kept;
}

static int print(const struct config *cfg, const struct preflight_report *r, const bool *wanted,
                 bool json, bool complete)
{
	const char **names = calloc(cfg->nclusters ? cfg->nclusters : 1, sizeof *names);
	size_t n = 0;

	if (!names)
		return -1;
	for (size_t i = 0; i < cfg->nclusters; i++)
		if (wanted[i])
			names[n++] = cfg->clusters[i].name;
	if (json) {
		char *text = preflight_json_clusters(r, names, n, complete, cfg->strict);
		if (text)
			printf("%s\n", text);
		free(text);
		free(names);
		return text ? 0 : -1;
	}
	preflight_print_table(stdout, r);
	if (!complete)
		printf("(some sources had not answered by the deadline: their checks are "
		       "unknown)\n");
	free(names);
	return 0;
}

static int check(const struct config *cfg, const struct report_options *o, const bool *wanted,
                 bool json)
{
	size_t n = cfg->nclusters;
	struct store_snapshot **snaps = calloc(n ? n : 1, sizeof *snaps);
	struct preflight_report r = {0};
	struct join_view v;
	bool timed_out = false, joined = false;
	int64_t now = store_now_ns();
	int rc = CHECKCMD_EXIT_FAILED;

	if (!snaps || report_collect(cfg, o, snaps, &timed_out) < 0)
		goto out;
	const struct store_snapshot *const *cs = (const struct store_snapshot *const *)snaps;
	if (join_build(cs, n, now, NULL, &v) != 0)
		goto nomem;
	joined = true;
	struct preflight_input in = {cs, n, &v, NULL, now, NULL};
	if (preflight_run(&in, &r) < 0)
		goto nomem;
	keep_wanted(&r, wanted);
	if (print(cfg, &r, wanted, json, !timed_out) < 0)
		goto nomem;
	rc = preflight_exit_status(&r, cfg->strict);
	if (fflush(stdout) != 0) {
		fprintf(stderr, "peerscope: check: cannot write the report\n");
		rc = CHECKCMD_EXIT_FAILED;
	}
	goto out;
nomem:
	fprintf(stderr, "peerscope: out of memory\n");
	rc = CHECKCMD_EXIT_FAILED;
out:
	preflight_report_free(&r);
	if (joined)
		join_view_free(&v);
	for (size_t i = 0; snaps && i < n; i++)
		store_snapshot_unref(snaps[i]);
	free(snaps);
	return rc;
}

int checkcmd_main(const struct config *cfg, struct log_sink *log, const char *const *names,
                  size_t n)
{
	struct report_options o = {.timeout_ms = cfg->timeout_ms, .log = log};
	bool *wanted = calloc(cfg->nclusters ? cfg->nclusters : 1, sizeof *wanted);
	bool json = false;
	int rc = CHECKCMD_EXIT_USAGE;

	if (!wanted) {
		fprintf(stderr, "peerscope: out of memory\n");
		return CHECKCMD_EXIT_FAILED;
	}
	if (cfg->output && !strcmp(cfg->output, "json")) {
		json = true;
	} else if (cfg->output && strcmp(cfg->output, "table")) {
		term_fprintf(stderr, "peerscope: --output: expected json or table, found '%s'\n",
		             cfg->output);
		goto out;
	}
	if (o.timeout_ms <= 0) {
		fprintf(stderr, "peerscope: --timeout: expected a positive duration\n");
		goto out;
	}
	if (select_clusters(cfg, names, n, wanted) < 0)
		goto out;
	o.poll.stream_interval_ms = cfg->refresh_ms;
	o.poll.log = log;
	o.poll.once = true; /* every source, each asked once */
	rc = check(cfg, &o, wanted, json);
out:
	free(wanted);
	return rc;
}
