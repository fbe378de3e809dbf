/* The benchmarks' worlds, statistics and table (bench_world.h). */
#include "autoconfig.h"

#include "bench_world.h"
#include "simrig.h"

#include "peerscope/monotime.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <ftw.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define WORLDS_DEFAULT "3x0 8x2000 16x10000 64x100 16x100"
#define ACTIVE_WAIT_S  60

double bench_now_s(void)
{
	return monotime_s();
}

const char *bench_bin(const char *name, char *buf, size_t len)
{
	const char *top = getenv("top_builddir");

	snprintf(buf, len, "%s/%s", top && *top ? top : ".", name);
	return buf;
}

/* ------------------------------------------------------------ worlds */

static void label(struct bench_world *w)
{
	if (!w->services) {
		snprintf(w->label, sizeof w->label, "%d x default", w->clusters);
		return;
	}
	if (w->services >= 1000)
		snprintf(w->label, sizeof w->label, "%d x %d,%03d", w->clusters, w->services / 1000,
		         w->services % 1000);
	else
		snprintf(w->label, sizeof w->label, "%d x %d", w->clusters, w->services);
}

int bench_world_parse(const char *spec, struct bench_world *w)
{
	char digits[64];
	size_t n = 0;
	int c, s;

	memset(w, 0, sizeof *w);
	for (const char *p = spec; *p && n < sizeof digits - 1; p++)
		if (*p != ',')
			digits[n++] = *p;
	digits[n] = '\0';
	if (sscanf(digits, "%dx%d%n", &c, &s, &(int){0}) != 2 || c < 1 || c > BENCH_CLUSTERS_MAX ||
	    s < 0 || s > 100000) {
		fprintf(stderr,
		        "bench: world \"%s\": CLUSTERSxSERVICES, 1 to %d clusters, 0 (the "
		        "default world) to 100000 services\n",
		        spec, BENCH_CLUSTERS_MAX);
		return -1;
	}
	w->clusters = c;
	w->services = s;
	label(w);
	return 0;
}

int bench_worlds(int argc, char **argv, struct bench_world *w, int max)
{
	char buf[512];
	int n = 0;

	if (argc > 1) {
		for (int i = 1; i < argc && n < max; i++)
			if (bench_world_parse(argv[i], &w[n++]) < 0)
				return -1;
		return n;
	}
	const char *env = getenv("BENCH_WORLDS");
	snprintf(buf, sizeof buf, "%s", env && *env ? env : WORLDS_DEFAULT);
	for (char *save = NULL, *t = strtok_r(buf, " \t", &save); t && n < max;
	     t = strtok_r(NULL, " \t", &save))
		if (bench_world_parse(t, &w[n++]) < 0)
			return -1;
	return n;
}

static long mem_available_mib(void)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[256];
	long kb = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof line, f))
		if (sscanf(line, "MemAvailable: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb < 0 ? -1 : kb / 1024;
}

/* What a world needs, as measured on the 16 x 10,000 one: about 1.2 KiB of
 * simulator per service and cluster, 0.5 KiB of dashboard, and 60 MiB per
 * simulator besides; twice that for safety. */
static long world_need_mib(int clusters, int services)
{
	long per = (long)clusters * (services ? services : 20);
	long sims = (clusters + BENCH_SIM_MAX - 1) / BENCH_SIM_MAX;
	return 2 * (per * 17 / 10 / 1024 + 60 * sims + 64);
}

static void cut_to_fit(struct bench_world *w)
{
	long avail = mem_available_mib();
	int asked = w->services;

	if (avail < 0)
		return;
	while (w->services > 100 && world_need_mib(w->clusters, w->services) > avail)
		w->services /= 2;
	if (w->services != asked) {
		char before[32];
		snprintf(before, sizeof before, "%s", w->label);
		label(w);
		snprintf(w->cut, sizeof w->cut,
		         "%s cut to %s: %ld MiB available, about %ld MiB needed", before, w->label,
		         avail, world_need_mib(w->clusters, asked));
	}
}

#define EXTRA_ARGS_MAX 8

/* $BENCH_SIM_ARGS, words split at spaces (--no-gzip: the answers plain),
 * into ARGS from A on, in BUF. How many, or -1 for too many. */
static int extra_args(const char **args, size_t a, char *buf, size_t len)
{
	const char *env = getenv("BENCH_SIM_ARGS");
	int n = 0;

	snprintf(buf, len, "%s", env ? env : "");
	for (char *save = NULL, *tok = strtok_r(buf, " ", &save); tok;
	     tok = strtok_r(NULL, " ", &save)) {
		if (n == EXTRA_ARGS_MAX) {
			fprintf(stderr, "bench: BENCH_SIM_ARGS: more than %d words\n",
			        EXTRA_ARGS_MAX);
			return -1;
		}
		args[a + (size_t)n++] = tok;
	}
	return n;
}

static int start_sims(struct bench_world *w)
{
	char n[16], seed[16], scale[96], set[BENCH_SIM_MAX][64], extra[256];
	const char *args[8 + EXTRA_ARGS_MAX + 2 * BENCH_SIM_MAX];

	w->nsims = (w->clusters + BENCH_SIM_MAX - 1) / BENCH_SIM_MAX;
	snprintf(scale, sizeof scale, "services=%d,peerings=%d", w->services, BENCH_PEERINGS);
	for (int k = 0; k < w->nsims; k++) {
		int here = w->clusters - k * BENCH_SIM_MAX;
		size_t a = 0;
		if (here > BENCH_SIM_MAX)
			here = BENCH_SIM_MAX;
		snprintf(n, sizeof n, "%d", here);
		snprintf(seed, sizeof seed, "%d", k + 1);
		args[a++] = "-n";
		args[a++] = n;
		args[a++] = "--tls";
		args[a++] = "--seed";
		args[a++] = seed;
		if (w->services) {
			args[a++] = "--scale";
			args[a++] = scale;
		}
		int more = extra_args(args, a, extra, sizeof extra);
		if (more < 0)
			return -1;
		a += (size_t)more;
		/* Beyond the first simulator, datacenters named after the
		 * clusters' numbers in the whole world. */
		for (int i = 0; k > 0 && i < here; i++) {
			snprintf(set[i], sizeof set[i], "cluster-%02d:datacenter=dc%d", i + 1,
			         k * BENCH_SIM_MAX + i + 1);
			args[a++] = "--set";
			args[a++] = set[i];
		}
		args[a] = NULL;
		if (simrig_sim_start(&w->sim[k], NULL, args) < 0)
			return -1;
	}
	return 0;
}

/* Simulator K's kubeconfig with "cluster-NN" renamed to the world's name
 * of that cluster, into OUT. */
static int rename_kubeconfig(const struct bench_world *w, int k, const char *out)
{
	char in[300], line[8192];
	FILE *f = fopen(simrig_sim_path(&w->sim[k], "kubeconfig", in, sizeof in), "r");
	FILE *o = f ? fopen(out, "w") : NULL;
	int rc = 0;

	if (!o) {
		fprintf(stderr, "bench: %s: %s\n", f ? out : in, strerror(errno));
		if (f)
			fclose(f);
		return -1;
	}
	while (fgets(line, sizeof line, f)) {
		char *p = line, *hit;
		while ((hit = strstr(p, "cluster-")) && hit[8] >= '0' && hit[8] <= '9' &&
		       hit[9] >= '0' && hit[9] <= '9') {
			int local = (hit[8] - '0') * 10 + (hit[9] - '0');
			fprintf(o, "%.*s%s", (int)(hit - p), p,
			        w->names[k * BENCH_SIM_MAX + local - 1]);
			p = hit + 10;
		}
		fputs(p, o);
	}
	if (ferror(f) || fclose(o) != 0)
		rc = -1;
	fclose(f);
	return rc;
}

static int write_files(struct bench_world *w)
{
	char kc[BENCH_SIMS_MAX][300], list[BENCH_SIMS_MAX * 300 + 8] = "", ca[300];
	FILE *cfg, *tsv;

	for (int i = 0; i < w->clusters; i++)
		snprintf(w->names[i], sizeof w->names[i], "cluster-%02d", i + 1);
	for (int k = 0; k < w->nsims; k++) {
		snprintf(kc[k], sizeof kc[k], "%s/kubeconfig-%d", w->dir, k + 1);
		if (rename_kubeconfig(w, k, kc[k]) < 0)
			return -1;
		snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", k ? ":" : "",
		         kc[k]);
	}
	snprintf(w->config, sizeof w->config, "%s/config.yaml", w->dir);
	snprintf(w->tsv, sizeof w->tsv, "%s/world.tsv", w->dir);
	cfg = fopen(w->config, "w");
	tsv = fopen(w->tsv, "w");
	if (!cfg || !tsv) {
		fprintf(stderr, "bench: %s: %s\n", w->dir, strerror(errno));
		if (cfg)
			fclose(cfg);
		if (tsv)
			fclose(tsv);
		return -1;
	}
	fprintf(cfg, "# %s: %d simulator(s)\nkubeconfig: \"%s\"\nclusters:\n", w->label, w->nsims,
	        list);
	for (int i = 0; i < w->clusters; i++) {
		int k = i / BENCH_SIM_MAX;
		char key[40], url[256];
		snprintf(key, sizeof key, "cluster-%02d.consul", i % BENCH_SIM_MAX + 1);
		if (simrig_sim_ready_value(&w->sim[k], key, url, sizeof url) < 0) {
			fprintf(stderr, "bench: no %s in simulator %d's ready file\n", key, k + 1);
			fclose(cfg);
			fclose(tsv);
			return -1;
		}
		simrig_sim_path(&w->sim[k], "state/ca.pem", ca, sizeof ca);
		fprintf(cfg,
		        "  - name: %s\n    context: %s\n    namespace: consul\n    consul:\n"
		        "      address: %s\n      ca_file: \"%s\"\n",
		        w->names[i], w->names[i], url, ca);
		fprintf(tsv, "%s\t%s\t%s\t%s\t%s\n", w->names[i], url, ca, kc[k], w->names[i]);
	}
	int rc = fclose(cfg) | fclose(tsv);
	return rc ? -1 : 0;
}

/* Runs peerscope --once -o json on the world; the pairs it joined in
 * *PAIRS and how many of them are healthy in *HEALTHY. */
static int once_pairs(const struct bench_world *w, int *pairs, int *healthy)
{
	char bin[300], cmd[1024], *out = NULL;
	size_t len = 0, cap = 0;
	FILE *p;

	snprintf(cmd, sizeof cmd, "'%s' --config '%s' --once -o json --timeout 20s 2>/dev/null",
	         bench_bin("peerscope", bin, sizeof bin), w->config);
	if (!(p = popen(cmd, "r")))
		return -1;
	for (;;) {
		if (len + 65536 > cap) {
			char *n = realloc(out, cap = cap * 2 + 65536);
			if (!n)
				break;
			out = n;
		}
		size_t got = fread(out + len, 1, cap - len - 1, p);
		if (!got)
			break;
		len += got;
	}
	pclose(p);
	cJSON *doc = out ? cJSON_ParseWithLength(out, len) : NULL;
	free(out);
	const cJSON *list = cJSON_GetObjectItemCaseSensitive(doc, "pairs"), *x;
	if (!cJSON_IsArray(list)) {
		cJSON_Delete(doc);
		return -1;
	}
	*pairs = *healthy = 0;
	cJSON_ArrayForEach(x, list)
	{
		(*pairs)++;
		*healthy += cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(x, "healthy"));
	}
	cJSON_Delete(doc);
	return 0;
}

int bench_world_start(struct bench_world *w)
{
	const char *tmp = getenv("TMPDIR");
	int want = w->services ? w->clusters * BENCH_PEERINGS / 2 : 0, healthy = 0;
	double end;

	cut_to_fit(w);
	if (w->cut[0])
		fprintf(stderr, "bench: %s\n", w->cut);
	snprintf(w->dir, sizeof w->dir, "%s/ps-bench-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(w->dir)) {
		fprintf(stderr, "bench: mkdtemp %s: %s\n", w->dir, strerror(errno));
		w->dir[0] = '\0';
		return -1;
	}
	if (start_sims(w) < 0 || write_files(w) < 0)
		return -1;
	/* The peerings connect from the start: wait until every one is. */
	end = bench_now_s() + ACTIVE_WAIT_S;
	for (;;) {
		if (once_pairs(w, &w->pairs, &healthy) == 0 && w->pairs >= want &&
		    healthy == w->pairs)
			return 0;
		if (bench_now_s() > end) {
			fprintf(stderr, "bench: %s: %d of %d peerings healthy after %d s\n",
			        w->label, healthy, want, ACTIVE_WAIT_S);
			return -1;
		}
		nanosleep(&(struct timespec){.tv_nsec = 500 * 1000000L}, NULL);
	}
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

void bench_world_stop(struct bench_world *w)
{
	for (int k = 0; k < w->nsims; k++)
		simrig_sim_stop(&w->sim[k]);
	w->nsims = 0;
	if (w->dir[0])
		nftw(w->dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	w->dir[0] = '\0';
}

int bench_world_ctl(const struct bench_world *w, int i, const char *what, const char *body)
{
	char path[128];

	snprintf(path, sizeof path, "/v1/clusters/cluster-%02d/%s", i % BENCH_SIM_MAX + 1, what);
	return simrig_sim_ctl(&w->sim[i / BENCH_SIM_MAX], "POST", path, body, NULL);
}

/* ------------------------------------------------------------ statistics */

int bench_add(struct bench_series *s, double v)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 32;
		double *n = realloc(s->v, cap * sizeof *n);
		if (!n)
			return -1;
		s->v = n;
		s->cap = cap;
	}
	s->v[s->n++] = v;
	return 0;
}

void bench_series_free(struct bench_series *s)
{
	free(s->v);
	memset(s, 0, sizeof *s);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

double bench_pct(struct bench_series *s, int p)
{
	if (!s->n)
		return -1;
	qsort(s->v, s->n, sizeof s->v[0], cmp_double);
	/* Nearest rank: the smallest sample with at least P % at or below. */
	size_t rank = (size_t)ceil((double)p / 100.0 * (double)s->n);
	return s->v[rank ? rank - 1 : 0];
}

/* ------------------------------------------------------------ the table */

struct bench_row *bench_row(struct bench_table *t, const char *label, const char *target)
{
	if (t->nrows == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;
		struct bench_row *n = realloc(t->rows, cap * sizeof *n);
		if (!n)
			return NULL;
		t->rows = n;
		t->cap = cap;
	}
	struct bench_row *r = &t->rows[t->nrows++];
	memset(r, 0, sizeof *r);
	snprintf(r->label, sizeof r->label, "%s", label);
	snprintf(r->target, sizeof r->target, "%s", target);
	return r;
}

void bench_cell(struct bench_row *r, int col, double v, int decimals, bool has_bound, double bound,
                bool at_least)
{
	if (!r || col < 0 || col >= BENCH_COLS_MAX)
		return;
	if (v < 0) {
		snprintf(r->cell[col], sizeof r->cell[col], "-");
		return;
	}
	bool ok = at_least ? v >= bound : v <= bound;
	snprintf(r->cell[col], sizeof r->cell[col], "%.*f%s", decimals, v,
	         !has_bound ? ""
	         : ok       ? " ok"
	                    : " MISS");
}

void bench_table_print(const struct bench_table *t)
{
	int wl = 6, wc[BENCH_COLS_MAX];

	for (size_t i = 0; i < t->nrows; i++)
		if ((int)strlen(t->rows[i].label) > wl)
			wl = (int)strlen(t->rows[i].label);
	for (int c = 0; c < t->ncols; c++) {
		wc[c] = (int)strlen(t->col[c]);
		for (size_t i = 0; i < t->nrows; i++)
			if ((int)strlen(t->rows[i].cell[c]) > wc[c])
				wc[c] = (int)strlen(t->rows[i].cell[c]);
	}
	printf("| %-*s |", wl, "");
	for (int c = 0; c < t->ncols; c++)
		printf(" %*s |", wc[c], t->col[c]);
	printf(" target |\n|%.*s|", wl + 2,
	       "-----------------------------------------------------------------------------");
	for (int c = 0; c < t->ncols; c++)
		printf("%.*s:|", wc[c] + 1, "---------------------------------------------------");
	printf("---|\n");
	for (size_t i = 0; i < t->nrows; i++) {
		printf("| %-*s |", wl, t->rows[i].label);
		for (int c = 0; c < t->ncols; c++)
			printf(" %*s |", wc[c], t->rows[i].cell[c][0] ? t->rows[i].cell[c] : "");
		printf(" %s |\n", t->rows[i].target);
	}
	fflush(stdout);
}

void bench_table_free(struct bench_table *t)
{
	free(t->rows);
	memset(t, 0, sizeof *t);
}

void bench_table_report(struct bench_table *t, const struct bench_world *w, int n)
{
	bench_table_print(t);
	for (int c = 0; c < n; c++)
		if (w[c].cut[0])
			printf("\n%s\n", w[c].cut);
	bench_table_free(t);
}

int bench_runs(int default_runs)
{
	const char *e = getenv("BENCH_RUNS");

	return e && atoi(e) > 0 ? atoi(e) : default_runs;
}
