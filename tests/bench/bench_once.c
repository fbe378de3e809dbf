/* peerscope --once -o json beside the script an operator would write
 * (make bench-once): tests/bench/once_reference.sh fetches the same facts
 * with kubectl and curl, one cluster after another or all at once
 * (--parallel), against the worlds of bench_world.h.
 *
 * After a run of each that is not counted (kubectl's discovery cache warm,
 * the simulators' answers built once), BENCH_RUNS (default 5) rounds run
 * the three in turn, so that the machine's other load falls on each alike.
 * For --once: the wall time, its CPU time (user + system) and its peak RSS
 * (from wait4); for the scripts the wall time; and the requests cluster-01
 * received from each (peerscope-sim's request log). The table gives the
 * medians, the p90s, the ratio of the script's median to --once's, and
 * issue 13's targets: --once at least 5 times faster than the sequential
 * script at 3 x default and 8 x 2,000, at least 2 times at 16 x 10,000.
 *
 *   bench_once [WORLD...]     WORLD: CLUSTERSxSERVICES, as in bench_world.h */
#include "autoconfig.h"

#include "bench_world.h"
#include "simrig.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

enum kind {
	ONCE,
	SEQUENTIAL,
	PARALLEL,
	KINDS
};

struct results {
	struct bench_series wall[KINDS], cpu, rss;
	long requests[KINDS]; /* cluster-01's, in the last round */
};

/* Runs ARGV with its output to /dev/null; its wall time (s), CPU time (s)
 * and peak RSS (KiB). 0 when it exited with status 0. */
static int run(const char *const *argv, double *wall, double *cpu, long *rss)
{
	struct rusage ru;
	int status;
	double t0 = bench_now_s();
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);
		if (null >= 0)
			dup2(null, 1);
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	while (wait4(pid, &status, 0, &ru) < 0)
		if (errno != EINTR)
			return -1;
	*wall = bench_now_s() - t0;
	*cpu = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
	*rss = ru.ru_maxrss;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "bench_once: %s exited with status %d\n", argv[0],
		        WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
		return -1;
	}
	return 0;
}

/* The newest sequence number of simulator K's request log, or of the
 * requests cluster-01 received since SINCE when COUNT (their number). */
static long requests(const struct bench_world *w, unsigned long since, bool count)
{
	char path[96], *answer = NULL;
	long n = 0;
	const cJSON *x;

	snprintf(path, sizeof path, "/v1/requests?since=%lu%s", since,
	         count ? "&cluster=cluster-01" : "");
	if (simrig_sim_ctl(&w->sim[0], "GET", path, NULL, &answer) != 0)
		return -1;
	cJSON *doc = cJSON_Parse(answer);
	free(answer);
	cJSON_ArrayForEach(x, doc)
	{
		if (count) {
			n++;
			continue;
		}
		double seq = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(x, "seq"));
		if (seq > (double)n)
			n = (long)seq;
	}
	cJSON_Delete(doc);
	return n;
}

static int one(const struct bench_world *w, enum kind k, struct results *r, bool counted)
{
	char ps[300], script[300], out[320];
	const char *top = getenv("top_srcdir");
	double wall, cpu;
	long rss, since = requests(w, 0, false);

	snprintf(out, sizeof out, "%s/reference", w->dir);
	snprintf(script, sizeof script, "%s/tests/bench/once_reference.sh", top ? top : ".");
	const char *once[] = {bench_bin("peerscope", ps, sizeof ps),
	                      "--config",
	                      w->config,
	                      "--once",
	                      "-o",
	                      "json",
	                      NULL};
	const char *seq[] = {"bash", script, w->tsv, out, NULL};
	const char *par[] = {"bash", script, "--parallel", w->tsv, out, NULL};
	const char *const *argv = k == ONCE ? once : k == SEQUENTIAL ? seq : par;

	int rc = run(argv, &wall, &cpu, &rss);
	/* The reference script's curl 7.88 can leave a transfer of an HTTP/2
	 * connection unfinished though its whole answer came (the server's
	 * stream closed with NO_ERROR, nothing left on the socket): its
	 * --max-time ends it, and the round is run again, the failed one not
	 * counted. */
	if (rc < 0 && k != ONCE) {
		fprintf(stderr, "bench_once: %s: the script failed; run again\n", w->label);
		since = requests(w, 0, false);
		rc = run(argv, &wall, &cpu, &rss);
	}
	if (rc < 0)
		return -1;
	if (!counted)
		return 0;
	bench_add(&r->wall[k], wall * 1000);
	if (k == ONCE) {
		bench_add(&r->cpu, cpu * 1000);
		bench_add(&r->rss, (double)rss / 1024);
	}
	if (since >= 0)
		r->requests[k] = requests(w, (unsigned long)since, true);
	return 0;
}

static bool is(const struct bench_world *w, int clusters, int services)
{
	return w->clusters == clusters && w->services == services;
}

static void table(struct bench_world *w, struct results *r, int n, int runs)
{
	static const char *const name[KINDS] = {"--once -o json", "script, sequential",
	                                        "script, parallel"};
	struct bench_table t = {.ncols = n};
	struct bench_row *row;
	char label[64];

	for (int c = 0; c < n; c++)
		snprintf(t.col[c], sizeof t.col[c], "%s", w[c].label);
	for (int k = 0; k < KINDS; k++) {
		snprintf(label, sizeof label, "%s, median (ms)", name[k]);
		row = bench_row(&t, label, "");
		for (int c = 0; c < n; c++)
			bench_cell(row, c, bench_pct(&r[c].wall[k], 50), 0, false, 0, false);
		snprintf(label, sizeof label, "%s, p90 (ms)", name[k]);
		row = bench_row(&t, label, "");
		for (int c = 0; c < n; c++)
			bench_cell(row, c, bench_pct(&r[c].wall[k], 90), 0, false, 0, false);
	}
	row = bench_row(&t, "--once CPU (user + system), median (ms)", "");
	for (int c = 0; c < n; c++)
		bench_cell(row, c, bench_pct(&r[c].cpu, 50), 0, false, 0, false);
	row = bench_row(&t, "--once peak RSS, median (MiB)", "");
	for (int c = 0; c < n; c++)
		bench_cell(row, c, bench_pct(&r[c].rss, 50), 1, false, 0, false);
	row = bench_row(&t, "sequential script / --once (medians)",
	                ">= 5 at 3 x default and 8 x 2,000, >= 2 at 16 x 10,000");
	for (int c = 0; c < n; c++) {
		double once = bench_pct(&r[c].wall[ONCE], 50);
		double seq = bench_pct(&r[c].wall[SEQUENTIAL], 50);
		bool bound = is(&w[c], 3, 0) || is(&w[c], 8, 2000) || is(&w[c], 16, 10000);
		bench_cell(row, c, once > 0 && seq > 0 ? seq / once : -1, 1, bound,
		           is(&w[c], 16, 10000) ? 2 : 5, true);
	}
	row = bench_row(&t, "parallel script / --once (medians)", "");
	for (int c = 0; c < n; c++) {
		double once = bench_pct(&r[c].wall[ONCE], 50);
		double par = bench_pct(&r[c].wall[PARALLEL], 50);
		bench_cell(row, c, once > 0 && par > 0 ? par / once : -1, 1, false, 0, false);
	}
	for (int k = ONCE; k <= SEQUENTIAL; k++) {
		snprintf(label, sizeof label, "requests to cluster-01, %s",
		         k == ONCE ? "--once" : "script");
		row = bench_row(&t, label, "");
		for (int c = 0; c < n; c++)
			bench_cell(row, c, (double)r[c].requests[k], 0, false, 0, false);
	}
	printf("\nbench-once: peerscope --once -o json and tests/bench/once_reference.sh "
	       "(kubectl %s, curl), peerscope-sim --tls, %d peerings a cluster; %d round(s) "
	       "a world after one not counted\n\n",
	       "--cache-dir warm", BENCH_PEERINGS, runs);
	bench_table_report(&t, w, n);
}

int main(int argc, char **argv)
{
	struct bench_world w[BENCH_COLS_MAX];
	struct results r[BENCH_COLS_MAX] = {0};
	int runs = bench_runs(5), n, failed = 0;

	if ((n = bench_worlds(argc, argv, w, BENCH_COLS_MAX)) <= 0)
		return 2;
	signal(SIGPIPE, SIG_IGN);
	for (int c = 0; c < n; c++) {
		fprintf(stderr, "bench_once: %s: starting the simulator(s)\n", w[c].label);
		if (bench_world_start(&w[c]) < 0) {
			bench_world_stop(&w[c]);
			failed = 1;
			continue;
		}
		int bad = 0;
		for (int k = 0; k < KINDS; k++)
			bad |= one(&w[c], (enum kind)k, &r[c], false) < 0;
		for (int i = 0; i < runs && !bad; i++) {
			fprintf(stderr, "bench_once: %s: round %d of %d\n", w[c].label, i + 1,
			        runs);
			for (int k = 0; k < KINDS; k++)
				bad |= one(&w[c], (enum kind)k, &r[c], true) < 0;
		}
		failed |= bad;
		bench_world_stop(&w[c]);
	}
	table(w, r, n, runs);
	for (int c = 0; c < n; c++) {
		for (int k = 0; k < KINDS; k++)
			bench_series_free(&r[c].wall[k]);
		bench_series_free(&r[c].cpu);
		bench_series_free(&r[c].rss);
	}
	return failed;
}
