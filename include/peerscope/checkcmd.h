/* checkcmd: `peerscope check [CLUSTER...]`, the prerequisites of cluster
 * peering checked live.
 *
 * The pollers read every configured cluster until every source answered
 * or the deadline (--timeout), as --once does (report_collect()); then
 * every check of peerscope-checks(7) runs on the snapshots (preflight.h),
 * and the results about the named clusters (all of them when none is
 * named) and the peering pairs they are part of are printed: a table (-o
 * table, the default) or the JSON document of doc/peerscope-check-json.md.
 *
 * Exit status: 0 when no check fails (a warning or an unknown fails only
 * with --strict), 1 when one does, 2 for a usage or configuration error
 * (an unknown output format, a cluster that is not configured). */
#ifndef PEERSCOPE_CHECKCMD_H
#define PEERSCOPE_CHECKCMD_H

#include <stddef.h>

struct config;
struct log_sink;

enum {
	CHECKCMD_EXIT_OK = 0,
	CHECKCMD_EXIT_FAILED = 1,
	CHECKCMD_EXIT_USAGE = 2,
};

/* Runs `peerscope check` on the clusters NAMES[0..N-1] (N 0: every
 * configured cluster) with CFG's --output, --strict and --timeout; prints
 * to stdout, errors to stderr. Returns the exit status. */
int checkcmd_main(const struct config *cfg, struct log_sink *log, const char *const *names,
                  size_t n);

#endif
