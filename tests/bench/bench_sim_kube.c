/* Benchmark of peerscope-sim's Kubernetes half at the scale of issue 3 (G):
 * 16 clusters with 100 concurrent watches each. Reports the simulator's CPU
 * use while the watches are idle, its memory, and how long a change takes
 * to reach every watcher of a cluster.
 *
 *   bench_sim_kube PEERSCOPE-SIM [CLUSTERS [WATCHES-PER-CLUSTER [IDLE-SECONDS]]]
 */
#include "autoconfig.h"

#include "peerscope/monotime.h"
#include "simrig_sim.h"

#include <curl/curl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#define MAX_CLUSTERS 16

struct cluster {
	char server[128];
	char token[96];
	char ca[512]; /* the simulator's CA: its API servers serve HTTPS */
};

struct watcher {
	int cluster;
	size_t lines; /* complete events received */
	CURL *easy;
	struct curl_slist *hdrs;
};

static size_t on_data(char *p, size_t size, size_t n, void *ctx)
{
	struct watcher *w = ctx;

	for (size_t i = 0; i < size * n; i++)
		if (p[i] == '\n')
			w->lines++;
	return size * n;
}

static size_t discard(char *p, size_t size, size_t n, void *ctx)
{
	(void)p;
	(void)ctx;
	return size * n;
}

/* CPU seconds (user + system) and RSS in KiB of PID, from /proc. */
static int proc_usage(pid_t pid, double *cpu, long *rss_kib, long *threads)
{
	char path[64], buf[4096], *p;
	unsigned long ut, st;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f || !fgets(buf, sizeof buf, f)) {
		if (f)
			fclose(f);
		return -1;
	}
	fclose(f);
	p = strrchr(buf, ')');
	if (!p ||
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu %*d %*d %*d %*d %ld",
	           &ut, &st, threads) != 3)
		return -1;
	*cpu = (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	*rss_kib = 0;
	while (f && fgets(buf, sizeof buf, f))
		if (sscanf(buf, "VmRSS: %ld", rss_kib) == 1)
			break;
	if (f)
		fclose(f);
	return 0;
}

/* Reads server URLs and tokens from the kubeconfig the simulator wrote. */
static int read_kubeconfig(const char *path, struct cluster *cl, int n)
{
	char line[512];
	int servers = 0, tokens = 0;
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof line, f)) {
		char *v;

		if ((v = strstr(line, "server: ")) && servers < n)
			sscanf(v + 8, "%127s", cl[servers++].server);
		else if ((v = strstr(line, "token: ")) && tokens < n)
			sscanf(v + 7, "%95s", cl[tokens++].token);
	}
	fclose(f);
	return servers == n && tokens == n ? 0 : -1;
}

static void add_watch(CURLM *multi, struct watcher *w, const struct cluster *c)
{
	char url[512], auth[160];

	snprintf(url, sizeof url,
	         "%.200s/api/v1/namespaces/default/"
	         "secrets?watch=1&resourceVersion=1&timeoutSeconds=600",
	         c->server);
	snprintf(auth, sizeof auth, "Authorization: Bearer %.100s", c->token);
	w->hdrs = curl_slist_append(NULL, auth);
	w->easy = curl_easy_init();
	curl_easy_setopt(w->easy, CURLOPT_URL, url);
	curl_easy_setopt(w->easy, CURLOPT_CAINFO, c->ca);
	curl_easy_setopt(w->easy, CURLOPT_HTTPHEADER, w->hdrs);
	curl_easy_setopt(w->easy, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(w->easy, CURLOPT_WRITEDATA, w);
	curl_multi_add_handle(multi, w->easy);
}

static void pump(CURLM *multi, double seconds)
{
	double end = monotime_s() + seconds;
	int running;

	do {
		curl_multi_perform(multi, &running);
		curl_multi_poll(multi, NULL, 0, 20, NULL);
	} while (monotime_s() < end);
}

/* Creates a Secret on cluster C with a plain blocking request. */
static int create_secret(const struct cluster *c, int i)
{
	char url[512], auth[160], body[160];
	struct curl_slist *h;
	CURL *e = curl_easy_init();
	long code = 0;

	snprintf(url, sizeof url, "%.200s/api/v1/namespaces/default/secrets", c->server);
	snprintf(auth, sizeof auth, "Authorization: Bearer %.100s", c->token);
	snprintf(body, sizeof body, "{\"metadata\":{\"name\":\"bench-%d\"}}", i);
	h = curl_slist_append(NULL, auth);
	h = curl_slist_append(h, "Content-Type: application/json");
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_CAINFO, c->ca);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(e, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_perform(e);
	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &code);
	curl_slist_free_all(h);
	curl_easy_cleanup(e);
	return code == 201 ? 0 : -1;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Time until every watcher of each cluster saw one more event. */
static void fanout(CURLM *multi, struct watcher *ws, int nw, const struct cluster *cl, int ncl,
                   int per)
{
	double lat[MAX_CLUSTERS] = {0};
	int running;

	for (int c = 0; c < ncl; c++) {
		size_t base = ws[c * per].lines;
		double t0 = monotime_s(), deadline = t0 + 10;
		bool all = false;

		if (create_secret(&cl[c], c) < 0) {
			printf("  cluster %d: creating a Secret failed\n", c + 1);
			lat[c] = -1;
			continue;
		}
		while (!all && monotime_s() < deadline) {
			curl_multi_perform(multi, &running);
			curl_multi_poll(multi, NULL, 0, 1, NULL);
			all = true;
			for (int i = c * per; i < (c + 1) * per && i < nw; i++)
				all = all && ws[i].lines > base;
		}
		lat[c] = all ? (monotime_s() - t0) * 1000 : -1;
	}
	qsort(lat, (size_t)ncl, sizeof lat[0], cmp_double);
	printf("  fan-out of one change to %d watchers: median %.1f ms, worst %.1f ms "
	       "(per cluster, create to last delivery)\n",
	       per, lat[ncl / 2], lat[ncl - 1]);
}

int main(int argc, char **argv)
{
	int ncl = argc > 2 ? atoi(argv[2]) : 16, per = argc > 3 ? atoi(argv[3]) : 100;
	int idle = argc > 4 ? atoi(argv[4]) : 10;
	struct simrig_sim sim;
	struct cluster cl[MAX_CLUSTERS];
	char n[16];
	const char *args[] = {"--clusters", n, NULL};
	struct watcher *ws;
	struct rlimit rl;
	double cpu0, cpu1;
	long rss0, rss1, thr0, thr1;
	CURLM *multi;
	pid_t pid;
	int nw = ncl * per;

	if (argc < 2 || ncl < 1 || ncl > MAX_CLUSTERS || per < 1) {
		fprintf(stderr, "usage: %s PEERSCOPE-SIM [CLUSTERS [WATCHES [IDLE-SECONDS]]]\n",
		        argv[0]);
		return 2;
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	snprintf(n, sizeof n, "%d", ncl);
	if (simrig_sim_start(&sim, argv[1], args) < 0) {
		fprintf(stderr, "bench_sim_kube: cannot start %s\n", argv[1]);
		return 1;
	}
	pid = sim.pid;
	char kc[300];
	simrig_sim_path(&sim, "kubeconfig", kc, sizeof kc);
	if (read_kubeconfig(kc, cl, ncl) < 0) {
		fprintf(stderr, "bench_sim_kube: %s: unreadable\n", kc);
		simrig_sim_stop(&sim);
		return 1;
	}
	for (int i = 0; i < ncl; i++)
		simrig_sim_path(&sim, "state/ca.pem", cl[i].ca, sizeof cl[i].ca);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	multi = curl_multi_init();
	ws = calloc((size_t)nw, sizeof *ws);
	if (!multi || !ws)
		return 1;
	proc_usage(pid, &cpu0, &rss0, &thr0);
	for (int i = 0; i < nw; i++) {
		ws[i].cluster = i / per;
		add_watch(multi, &ws[i], &cl[i / per]);
	}
	pump(multi, 2.0); /* connect and receive the initial events */
	proc_usage(pid, &cpu0, &rss1, &thr1);
	pump(multi, idle);
	proc_usage(pid, &cpu1, &rss1, &thr1);
	printf("peerscope-sim, Kubernetes half: %d clusters x %d watches = %d open watches\n", ncl,
	       per, nw);
	printf("  idle CPU with all watches open: %.2f%% of one core over %d s\n",
	       (cpu1 - cpu0) * 100.0 / idle, idle);
	printf("  resident memory: %ld KiB before the watches, %ld KiB with them (%ld threads)\n",
	       rss0, rss1, thr1);
	fanout(multi, ws, nw, cl, ncl, per);
	for (int i = 0; i < nw; i++) {
		curl_multi_remove_handle(multi, ws[i].easy);
		curl_easy_cleanup(ws[i].easy);
		curl_slist_free_all(ws[i].hdrs);
	}
	curl_multi_cleanup(multi);
	curl_global_cleanup();
	free(ws);
	simrig_sim_stop(&sim);
	return 0;
}
