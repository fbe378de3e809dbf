/* The worlds of the dashboard and --once benchmarks (make bench-ui,
 * make bench-once), and what both print.
 *
 * A world is CLUSTERS x SERVICES: peerscope-sim --tls with --scale
 * services=SERVICES,peerings=20 (each cluster ends with 20 peerings, all
 * ACTIVE, and exports its first ten services to its peers), or the
 * simulator's default world when SERVICES is 0. Beyond 16 clusters (one
 * simulator's most) the world is several simulators of 16 with their own
 * seeds, in one peerscope configuration: the clusters are named cluster-01
 * to cluster-64 and each datacenter is named after its cluster's number, so
 * that no two clusters of the configuration share a name, a kubeconfig
 * context or a datacenter.
 *
 * $BENCH_SIM_ARGS adds its words to every simulator's command line
 * (--no-gzip: every answer plain, to measure what compression costs).
 *
 * bench_world_start() writes in a temporary folder:
 *   config.yaml    the peerscope configuration of every cluster
 *   kubeconfig-K   simulator K's kubeconfig, its names renamed
 *   world.tsv      a line per cluster: name, Consul URL, CA file, kubeconfig,
 *                  context (what tests/bench/once_reference.sh reads)
 * and removes it in bench_world_stop(), with the simulators.
 *
 * The statistics and the one table each benchmark prints are here too. */
#ifndef PEERSCOPE_TESTS_BENCH_WORLD_H
#define PEERSCOPE_TESTS_BENCH_WORLD_H

#include "simrig_sim.h"

#include <stdbool.h>
#include <stddef.h>

#define BENCH_SIM_MAX      16 /* clusters of one simulator */
#define BENCH_SIMS_MAX     4
#define BENCH_CLUSTERS_MAX (BENCH_SIM_MAX * BENCH_SIMS_MAX)
#define BENCH_PEERINGS     20 /* --scale peerings= */

struct bench_world {
	int clusters;
	int services; /* 0: the simulator's default world */
	char label[32];
	char cut[160]; /* why the world was made smaller than asked; "" */
	int nsims;
	struct simrig_sim sim[BENCH_SIMS_MAX];
	char dir[256];
	char config[300];
	char tsv[300];
	char names[BENCH_CLUSTERS_MAX][24];
	int pairs; /* peerings joined, both ends known: what --once counts */
};

/* "16x10000" (or "16x10,000"; "3x0": the default world) into W. 0, or -1
 * with a message. */
int bench_world_parse(const char *spec, struct bench_world *w);

/* The worlds to run: the arguments, else $BENCH_WORLDS, else the default
 * list "3x0 8x2000 16x10000 64x100 16x100". Returns how many (at most
 * MAX), -1 on a bad one. */
int bench_worlds(int argc, char **argv, struct bench_world *w, int max);

/* Makes W smaller when this machine's available memory cannot hold it
 * (saying so in w->cut), then starts its simulators and writes its files.
 * Waits until every peering of the world is ACTIVE on both sides (read
 * with peerscope --once, whose pair count is kept in w->pairs). */
int bench_world_start(struct bench_world *w);
void bench_world_stop(struct bench_world *w);

/* POST /v1/clusters/NAME/WHAT with BODY to the simulator of cluster I, in
 * that simulator's own name for it. 0 for a 2xx answer. */
int bench_world_ctl(const struct bench_world *w, int i, const char *what, const char *body);

/* $top_builddir/NAME (or ./NAME) in BUF. */
const char *bench_bin(const char *name, char *buf, size_t len);

/* ------------------------------------------------------------ statistics */

struct bench_series {
	double *v;
	size_t n, cap;
};

int bench_add(struct bench_series *s, double v);
void bench_series_free(struct bench_series *s);
/* The P-th percentile (nearest rank on the sorted samples); -1 when
 * empty. */
double bench_pct(struct bench_series *s, int p);

/* ------------------------------------------------------------ the table */

#define BENCH_COLS_MAX 8

struct bench_row {
	char label[64];
	char cell[BENCH_COLS_MAX][32];
	char target[64];
};

struct bench_table {
	int ncols;
	char col[BENCH_COLS_MAX][32];
	struct bench_row *rows;
	size_t nrows, cap;
};

/* A new row LABEL with TARGET ("" for none); its cells empty. NULL when
 * out of memory. */
struct bench_row *bench_row(struct bench_table *t, const char *label, const char *target);
/* Sets cell COL of row R to V printed with DECIMALS, followed by " ok" or
 * " MISS" when a bound applies (HAS_BOUND): V <= BOUND, or V >= BOUND when
 * AT_LEAST. A negative V (nothing measured) prints "-". */
void bench_cell(struct bench_row *r, int col, double v, int decimals, bool has_bound, double bound,
                bool at_least);
void bench_table_print(const struct bench_table *t);
void bench_table_free(struct bench_table *t);
/* Prints T, then the note of each of the N worlds that was cut to fit in
 * memory, and frees T. */
void bench_table_report(struct bench_table *t, const struct bench_world *w, int n);
/* BENCH_RUNS, or DEFAULT_RUNS when unset or not a positive number. */
int bench_runs(int default_runs);

/* Seconds of monotonic time as a double. */
double bench_now_s(void);

#endif
