/* Benchmark of peerscope-sim at the scale of the specification: 16 clusters,
 * 2,000 services and 200 peerings per cluster, then 100 concurrent Consul long
 * polls and 100 Kubernetes watches per cluster. Prints start-up time, memory,
 * idle CPU (alone, with the long polls, with the watches), request latency
 * percentiles and the time for a change to wake every long poll of a cluster.
 *
 *   bench_sim PATH-TO-peerscope-sim [CLUSTERS SERVICES PEERINGS POLLS]
 */
#include "autoconfig.h"

#include "peerscope/monotime.h"
#include "simrig_sim.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#define MAX_CLUSTERS 16

struct run {
	struct simrig_sim sim;
	pid_t pid;
	char consul[MAX_CLUSTERS][256];
	char kube[MAX_CLUSTERS][256];
	char token[MAX_CLUSTERS][128];
	int clusters;
	long clk_tck;
};

static void sleep_s(double s)
{
	struct timespec ts = {.tv_sec = (time_t)s,
	                      .tv_nsec = (long)((s - (double)(time_t)s) * 1e9)};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static double cpu_s(const struct run *r)
{
	char path[64], buf[1024];
	unsigned long ut = 0, st = 0;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%d/stat", (int)r->pid);
	if (!(f = fopen(path, "r")))
		return -1;
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* Fields 14 and 15 after the ")" that closes the command name. */
	const char *p = strrchr(buf, ')');
	if (!p ||
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
		return -1;
	return (double)(ut + st) / (double)r->clk_tck;
}

static long status_kb(const struct run *r, const char *key)
{
	char path[64], line[256];
	long v = -1;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%d/status", (int)r->pid);
	if (!(f = fopen(path, "r")))
		return -1;
	while (fgets(line, sizeof line, f))
		if (!strncmp(line, key, strlen(key)))
			v = strtol(line + strlen(key) + 1, NULL, 10);
	fclose(f);
	return v;
}

/* Each cluster's Consul and Kubernetes URLs, from the ready file. */
static void read_ready(struct run *r)
{
	char key[32];

	for (int c = 0; c < r->clusters; c++) {
		snprintf(key, sizeof key, "cluster-%02d.consul", c + 1);
		simrig_sim_ready_value(&r->sim, key, r->consul[c], sizeof r->consul[0]);
		snprintf(key, sizeof key, "cluster-%02d.kube", c + 1);
		simrig_sim_ready_value(&r->sim, key, r->kube[c], sizeof r->kube[0]);
	}
}

/* Bearer tokens of the users cluster-NN-admin in the kubeconfig. */
static void read_tokens(struct run *r, const char *path)
{
	char line[256];
	int idx = -1;
	FILE *f = fopen(path, "r");

	if (!f)
		return;
	while (fgets(line, sizeof line, f)) {
		int n;
		char tok[128];
		if (sscanf(line, "- name: cluster-%d-admin", &n) == 1)
			idx = n - 1;
		else if (sscanf(line, " token: %127s", tok) == 1 && idx >= 0 && idx < MAX_CLUSTERS)
			snprintf(r->token[idx], sizeof r->token[0], "%s", tok);
	}
	fclose(f);
}

static int start(struct run *r, const char *bin, int clusters, const char *scale)
{
	char n[8], kc[300];
	const char *args[] = {"--clusters", n, "--scale", scale, "--seed", "1", NULL};

	snprintf(n, sizeof n, "%d", clusters);
	r->clusters = clusters;
	if (simrig_sim_start(&r->sim, bin, args) < 0)
		return -1;
	r->pid = r->sim.pid;
	read_tokens(r, simrig_sim_path(&r->sim, "kubeconfig", kc, sizeof kc));
	read_ready(r);
	return 0;
}

static size_t sink(char *p, size_t s, size_t n, void *ud)
{
	size_t *total = ud;

	*total += s * n;
	return s * n;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void latency(const struct run *r, const char *path, int n)
{
	CURL *h = curl_easy_init();
	double *t = calloc((size_t)n, sizeof *t);
	char url[600];
	size_t bytes = 0;

	if (!h || !t)
		goto out;
	snprintf(url, sizeof url, "%s%s", r->consul[0], path);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &bytes);
	for (int i = 0; i < n; i++) {
		double t0 = monotime_s();
		if (curl_easy_perform(h) != CURLE_OK) {
			printf("  %-45s request failed\n", path);
			goto out;
		}
		t[i] = (monotime_s() - t0) * 1000;
	}
	qsort(t, (size_t)n, sizeof *t, cmp_double);
	printf("  %-45s p50 %7.2f ms  p99 %7.2f ms  max %7.2f ms  (%zu bytes)\n", path, t[n / 2],
	       t[n * 99 / 100], t[n - 1], bytes / (size_t)n);
out:
	free(t);
	if (h)
		curl_easy_cleanup(h);
}

static double idle_cpu(const struct run *r, double secs)
{
	double c0 = cpu_s(r), t0 = monotime_s();

	sleep_s(secs);
	return (cpu_s(r) - c0) / (monotime_s() - t0) * 100;
}

static long index_of(const char *url)
{
	CURL *h = curl_easy_init();
	struct curl_header *hd = NULL;
	size_t bytes = 0;
	long idx = -1;

	if (!h)
		return -1;
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &bytes);
	if (curl_easy_perform(h) == CURLE_OK &&
	    curl_easy_header(h, "X-Consul-Index", 0, CURLH_HEADER, -1, &hd) == CURLHE_OK)
		idx = strtol(hd->value, NULL, 10);
	curl_easy_cleanup(h);
	return idx;
}

static int post(const char *url, const char *body)
{
	CURL *h = curl_easy_init();
	size_t bytes = 0;
	int rc;

	if (!h)
		return -1;
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &bytes);
	rc = curl_easy_perform(h) == CURLE_OK ? 0 : -1;
	curl_easy_cleanup(h);
	return rc;
}

/* Long polls: POLLS per cluster on catalog/services at the current index. */
static void long_polls(struct run *r, int polls)
{
	int total = polls * r->clusters;
	CURLM *m = curl_multi_init();
	CURL **hs = calloc((size_t)total, sizeof *hs);
	size_t bytes = 0;
	int running = 0;

	if (!m || !hs)
		goto out;
	curl_multi_setopt(m, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)total);
	for (int c = 0; c < r->clusters; c++) {
		char url[300];
		snprintf(url, sizeof url, "%s/v1/catalog/services", r->consul[c]);
		long idx = index_of(url);
		for (int k = 0; k < polls; k++) {
			CURL *h = curl_easy_init();
			char u[360];
			snprintf(u, sizeof u, "%s?index=%ld&wait=5m", url, idx);
			curl_easy_setopt(h, CURLOPT_URL, u);
			curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink);
			curl_easy_setopt(h, CURLOPT_WRITEDATA, &bytes);
			curl_easy_setopt(h, CURLOPT_FORBID_REUSE, 1L);
			curl_easy_setopt(h, CURLOPT_PRIVATE, (char *)(intptr_t)c);
			curl_multi_add_handle(m, h);
			hs[c * polls + k] = h;
		}
	}
	/* Open every connection: drive the transfers until requests are sent. */
	double t0 = monotime_s();
	while (monotime_s() - t0 < 3) {
		curl_multi_perform(m, &running);
		curl_multi_poll(m, NULL, 0, 100, NULL);
	}
	printf("long polls open: %d (of %d) after %.1f s\n", running, total, monotime_s() - t0);
	printf("  threads %ld, RSS %ld MB\n", status_kb(r, "Threads:"),
	       status_kb(r, "VmRSS:") / 1024);
	printf("  idle CPU with the long polls open: %.2f %%\n", idle_cpu(r, 5));

	/* A change on cluster-01 must wake its polls and only those. */
	char ctl[320];
	snprintf(ctl, sizeof ctl, "%s/v1/clusters/cluster-01/services", r->sim.control);
	double tc = monotime_s();
	post(ctl, "{\"name\":\"bench-wake\"}");
	int woken = 0, other = 0;
	while (woken < polls && monotime_s() - tc < 10) {
		curl_multi_perform(m, &running);
		CURLMsg *msg;
		int left;
		while ((msg = curl_multi_info_read(m, &left))) {
			char *priv = NULL;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &priv);
			if ((intptr_t)priv == 0)
				woken++;
			else
				other++;
		}
		if (woken < polls)
			curl_multi_poll(m, NULL, 0, 10, NULL);
	}
	printf("  a change on cluster-01 woke %d of its %d polls in %.1f ms (%d polls on its peers "
	       "woke too: their catalogs hold its exports)\n",
	       woken, polls, (monotime_s() - tc) * 1000, other);
out:
	for (int i = 0; hs && i < total; i++) {
		if (hs[i]) {
			curl_multi_remove_handle(m, hs[i]);
			curl_easy_cleanup(hs[i]);
		}
	}
	free(hs);
	if (m)
		curl_multi_cleanup(m);
}

/* Kubernetes watches: WATCHES per cluster on the consul namespace's Secrets,
 * with bookmarks, as the dashboard's pollers open them. */
static void watches(struct run *r, int n)
{
	int total = n * r->clusters, running = 0;
	CURLM *m = curl_multi_init();
	CURL **hs = calloc((size_t)total, sizeof *hs);
	struct curl_slist *auth[MAX_CLUSTERS] = {NULL};
	size_t bytes = 0;
	char ca[300];

	/* The simulator's API servers serve HTTPS with its CA. */
	simrig_sim_path(&r->sim, "state/ca.pem", ca, sizeof ca);
	if (!m || !hs)
		goto out;
	curl_multi_setopt(m, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)total);
	for (int c = 0; c < r->clusters; c++) {
		char hdr[160], url[400];
		snprintf(hdr, sizeof hdr, "Authorization: Bearer %s", r->token[c]);
		auth[c] = curl_slist_append(NULL, hdr);
		snprintf(url, sizeof url,
		         "%s/api/v1/namespaces/consul/secrets?watch=1&allowWatchBookmarks=true"
		         "&timeoutSeconds=600",
		         r->kube[c]);
		for (int k = 0; k < n; k++) {
			CURL *h = curl_easy_init();
			curl_easy_setopt(h, CURLOPT_URL, url);
			curl_easy_setopt(h, CURLOPT_CAINFO, ca);
			curl_easy_setopt(h, CURLOPT_HTTPHEADER, auth[c]);
			curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink);
			curl_easy_setopt(h, CURLOPT_WRITEDATA, &bytes);
			curl_easy_setopt(h, CURLOPT_FORBID_REUSE, 1L);
			curl_multi_add_handle(m, h);
			hs[c * n + k] = h;
		}
	}
	double t0 = monotime_s();
	while (monotime_s() - t0 < 3) {
		curl_multi_perform(m, &running);
		curl_multi_poll(m, NULL, 0, 100, NULL);
	}
	printf("watches open: %d (of %d)\n", running, total);
	printf("  threads %ld, RSS %ld MB\n", status_kb(r, "Threads:"),
	       status_kb(r, "VmRSS:") / 1024);
	/* Keep reading bookmarks while measuring, as a client would. */
	double c0 = cpu_s(r), t1 = monotime_s();
	while (monotime_s() - t1 < 5) {
		curl_multi_perform(m, &running);
		curl_multi_poll(m, NULL, 0, 100, NULL);
	}
	printf("  CPU with the watches open: %.2f %% (%d still open)\n",
	       (cpu_s(r) - c0) / (monotime_s() - t1) * 100, running);
out:
	for (int i = 0; hs && i < total; i++) {
		if (hs[i]) {
			curl_multi_remove_handle(m, hs[i]);
			curl_easy_cleanup(hs[i]);
		}
	}
	for (int c = 0; c < MAX_CLUSTERS; c++)
		curl_slist_free_all(auth[c]);
	free(hs);
	if (m)
		curl_multi_cleanup(m);
}

static void stop(struct run *r)
{
	double t0 = monotime_s();
	int st = simrig_sim_stop(&r->sim);

	printf("stopped in %.2f s, exit status %d\n", monotime_s() - t0, st);
}

int main(int argc, char **argv)
{
	struct run r = {0};
	struct rlimit rl;
	char scale[96];

	if (argc < 2) {
		fprintf(stderr,
		        "usage: bench_sim PEERSCOPE-SIM [CLUSTERS SERVICES PEERINGS POLLS]\n");
		return 2;
	}
	int clusters = argc > 2 ? atoi(argv[2]) : 16, services = argc > 3 ? atoi(argv[3]) : 2000;
	int peerings = argc > 4 ? atoi(argv[4]) : 200, polls = argc > 5 ? atoi(argv[5]) : 100;
	if (clusters < 1 || clusters > MAX_CLUSTERS || polls < 1) {
		fprintf(stderr, "bench_sim: 1 to 16 clusters and at least one poll\n");
		return 2;
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	r.clk_tck = sysconf(_SC_CLK_TCK);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	snprintf(scale, sizeof scale, "services=%d,peerings=%d,instances=1", services, peerings);
	printf("peerscope-sim: %d clusters, %s, %d long polls per cluster\n", clusters, scale,
	       polls);
	double t0 = monotime_s();
	if (start(&r, argv[1], clusters, scale) < 0) {
		fprintf(stderr, "bench_sim: %s did not start\n", argv[1]);
		return 1;
	}
	printf("ready in %.2f s; RSS %ld MB, %ld threads\n", monotime_s() - t0,
	       status_kb(&r, "VmRSS:") / 1024, status_kb(&r, "Threads:"));
	sleep_s(1);
	printf("idle CPU: %.2f %%\n", idle_cpu(&r, 5));
	printf("request latency on cluster-01 (sequential, keep-alive):\n");
	latency(&r, "/v1/agent/self", 200);
	latency(&r, "/v1/peerings", 50);
	latency(&r, "/v1/peering/cluster-02-p001", 200);
	latency(&r, "/v1/catalog/services", 50);
	latency(&r, "/v1/health/service/svc-0001", 200);
	latency(&r, "/v1/health/service/svc-0001?peer=cluster-02-p001", 200);
	latency(&r, "/v1/internal/ui/services", 20);
	latency(&r, "/v1/config/exported-services/default", 200);
	long_polls(&r, polls);
	watches(&r, polls);
	stop(&r);
	curl_global_cleanup();
	return 0;
}
