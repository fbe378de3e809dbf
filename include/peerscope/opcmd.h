/* opcmd: the operations as command-line subcommands, for scripts and
 * runbooks: peerscope peer A B, acceptor A B, exchange A B, dialer B A,
 * regenerate A B, unpeer A B.
 *
 * The same operations as the dashboard's keys, on the same worker: the plan
 * first (on stderr; --dry-run prints its manifests and requests on stdout,
 * secrets redacted, and stops), then the run with one line per step on
 * stderr, then the end state on stdout (-o table or json). Whatever deletes
 * or replaces something asks first on a terminal; without one it needs
 * --yes. Ctrl-C stops a running wait: what was created stays, and running
 * the same command again continues.
 *
 * Exit status: 0 when the end state was reached (or a dry run printed),
 * 1 when the operation failed, timed out, was stopped or was refused by a
 * rule, 2 for a usage or configuration error or a read-only cluster. */
#ifndef PEERSCOPE_OPCMD_H
#define PEERSCOPE_OPCMD_H

#include <stdbool.h>
#include <stddef.h>

#include "peerscope/ops.h"

struct config;
struct log_sink;

enum {
	OPCMD_EXIT_OK = 0,
	OPCMD_EXIT_FAILED = 1,
	OPCMD_EXIT_USAGE = 2,
};

/* True when WORD names an operation subcommand; sets *KIND. */
bool opcmd_find(const char *word, enum ops_kind *kind);

/* Runs the subcommand KIND with its WORDS (the cluster names after the
 * command word). Returns the exit status. */
int opcmd_main(const struct config *cfg, struct log_sink *log, enum ops_kind kind,
               const char *const *words, size_t nwords);

/* The end state as JSON (documented in doc/peerscope-json.md): malloc'd,
 * NULL when out of memory. */
char *opcmd_json(const struct ops_plan *plan, const struct ops_status *st);

#endif
