/* report: the headless consumer of the store, behind `peerscope --once`.
 *
 * report_run() starts the pollers for every configured cluster, waits until
 * every source of every cluster has answered (successfully or not) or the
 * deadline passes, joins the snapshots and prints them once, as JSON (the
 * format documented in doc/peerscope-json.md) or as a table, then stops the
 * pollers. Sources that did not answer in time are reported as timed out.
 *
 * The formatting functions are pure: snapshots and a join view in, text out.
 */
#ifndef PEERSCOPE_REPORT_H
#define PEERSCOPE_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "peerscope/join.h"
#include "peerscope/poller.h"
#include "peerscope/store.h"

struct config;
struct log_sink;

#define REPORT_DEFAULT_TIMEOUT_MS 10000L

/* Exit statuses of `peerscope --once`. */
enum {
	REPORT_EXIT_OK = 0,     /* every source of every cluster was read */
	REPORT_EXIT_FAILED = 1, /* some source failed or did not answer in time */
	REPORT_EXIT_USAGE = 2,  /* usage or configuration error */
};

enum report_format {
	REPORT_TABLE,
	REPORT_JSON,
};

/* "json" or "table"; false for anything else. */
bool report_format_parse(const char *text, enum report_format *out);

struct report_options {
	enum report_format format;
	long timeout_ms; /* 0: REPORT_DEFAULT_TIMEOUT_MS */
	struct poller_options poll;
	struct log_sink *log;
};

/* Polls every cluster of CFG until every source answered or the deadline,
 * as --once does, and leaves the newest snapshots in SNAPS (cfg->nclusters
 * entries, zeroed by the caller; one reference each, NULL for a cluster
 * that published none), *TIMED_OUT when the deadline came first. 0, or -1
 * when no session could be opened (said on stderr). For --once and
 * `peerscope check`. */
int report_collect(const struct config *cfg, const struct report_options *opt,
                   struct store_snapshot **snaps, bool *timed_out);
/* Polls every cluster of CFG once and prints the result to OUT. Returns one
 * of the exit statuses above. */
int report_run(const struct config *cfg, const struct report_options *opt, FILE *out);
/* `peerscope --once`: report_run() on stdout with the configuration's
 * --output, --timeout and refresh; a bad --output is a usage error. */
int report_main(const struct config *cfg, struct log_sink *log);

/* The JSON document for SNAPS (index i = cluster i, NULL: no data) and the
 * view joined from them, at NOW_NS. TIMED_OUT: the deadline passed before
 * every source answered (unanswered sources are then marked timed out).
 * malloc'd text, NULL when out of memory. */
char *report_json(const struct store_snapshot *const *snaps, size_t n, const struct join_view *v,
                  int64_t now_ns, bool timed_out);
/* The same as a human-readable table. */
void report_table(FILE *out, const struct store_snapshot *const *snaps, size_t n,
                  const struct join_view *v, int64_t now_ns);
/* REPORT_EXIT_OK when every enabled source of every cluster answered
 * successfully (a server that lacks an endpoint counts as read), else
 * REPORT_EXIT_FAILED. */
int report_exit_status(const struct store_snapshot *const *snaps, size_t n);

#endif
