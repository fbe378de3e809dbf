/* bench_client: speed and memory of the client layer.
 *
 *   - decoding /v1/peerings bodies of 1,000 to 100,000 peerings, and the
 *     stream-health poll's body of 20 again and again, with the scanner and
 *     with the tree decoder it replaced;
 *   - requests per second through http_do() with keep-alive;
 *   - a poller's shape: 200 long polls in one http_multi, and how long
 *     cancelling the client takes to end them all (target < 200 ms).
 *
 * Prints one line per figure; exits non-zero when a target is missed. */
#include "autoconfig.h"

#include "../unit/httpd.h"
#include "consul_internal.h"
#include "peerscope/consul.h"
#include "peerscope/monotime.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

static long max_rss_kib(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

static char *peerings_json(size_t n, size_t *len)
{
	size_t cap = n * 700 + 16, off = 0;
	char *s = malloc(cap);

	if (!s)
		return NULL;
	s[off++] = '[';
	for (size_t i = 0; i < n; i++)
		off += (size_t)snprintf(
		        s + off, cap - off,
		        "%s{\"ID\":\"%08zx-0000-4000-8000-000000000000\",\"Name\":\"peer-%zu\","
		        "\"State\":\"ACTIVE\",\"PeerID\":\"p-%zu\",\"PeerServerName\":"
		        "\"server.dc2.peering.11111111-2222-3333-4444-555555555555.consul\","
		        "\"PeerServerAddresses\":[\"203.0.113.10:443\",\"203.0.113.11:443\"],"
		        "\"StreamStatus\":{\"ImportedServices\":[\"api\",\"billing\",\"web\"],"
		        "\"ExportedServices\":[\"frontend\"],\"LastHeartbeat\":"
		        "\"2024-05-01T10:00:00.123456789Z\",\"LastReceive\":\"2024-05-01T10:00:"
		        "01Z\","
		        "\"LastSend\":null},\"CreateIndex\":%zu,\"ModifyIndex\":%zu,\"Remote\":"
		        "{\"Partition\":\"default\",\"Datacenter\":\"dc2\"}}",
		        i ? "," : "", i, i, i, i + 1, i + 2);
	s[off++] = ']';
	s[off] = '\0';
	*len = off;
	return s;
}

static int bench_decode(void)
{
	static const size_t sizes[] = {1000, 10000, 100000};
	int rc = 0;

	for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
		size_t len;
		char *json = peerings_json(sizes[k], &len), err[256];
		struct model_peering_list l;
		long before = max_rss_kib();
		double t0 = monotime_s();

		if (!json || consul_decode_peerings(json, len, &l, err, sizeof err)) {
			fprintf(stderr, "bench_client: decode failed: %s\n", err);
			free(json);
			return 1;
		}
		double t = monotime_s() - t0;
		printf("decode %6zu peerings: %8.1f ms  %6.2f us/peering  body %5.1f MiB  "
		       "peak RSS +%ld KiB\n",
		       sizes[k], t * 1000, t * 1e6 / (double)sizes[k], (double)len / 1048576.0,
		       max_rss_kib() - before);
		if (sizes[k] == 10000 && t > 1.0) {
			printf("  target missed: 10,000 peerings should decode in under 1 s\n");
			rc = 1;
		}
		model_peering_list_free(&l);
		free(json);
	}
	return rc;
}

/* The stream-health poll's shape: a body of 20 peerings decoded 2,000
 * times, by the scanner and by the tree decoder in turn; the best of five
 * rounds each. */
static int bench_poll_decode(void)
{
	size_t len;
	char *json = peerings_json(20, &len), err[256];
	double best[2] = {1e9, 1e9};

	for (int round = 0; json && round < 5; round++) {
		for (int tree = 0; tree < 2; tree++) {
			double t0 = monotime_s();
			for (int i = 0; i < 2000; i++) {
				struct model_peering_list l;
				int rc = tree ? consul_decode_peerings_tree(json, len, &l, err,
				                                            sizeof err)
				              : consul_decode_peerings(json, len, &l, err,
				                                       sizeof err);
				if (rc) {
					fprintf(stderr, "bench_client: decode failed: %s\n", err);
					free(json);
					return 1;
				}
				model_peering_list_free(&l);
			}
			double t = (monotime_s() - t0) / 2000;
			if (t < best[tree])
				best[tree] = t;
		}
	}
	if (!json)
		return 1;
	printf("decode 20 peerings (%zu bytes, a stream poll): scanner %.1f us, tree %.1f us, "
	       "%.1fx\n",
	       len, best[0] * 1e6, best[1] * 1e6, best[1] / best[0]);
	free(json);
	return 0;
}

static int bench_requests(struct httpd *srv)
{
	char base[64];
	struct http_options o = {.cluster = "bench", .base_url = base, .proxy_url = ""};
	struct http_request req = {.path = "/ok"};
	struct http_response r = {0};
	const int n = 2000;

	snprintf(base, sizeof base, "http://127.0.0.1:%d", httpd_port(srv));
	struct http_client *c = http_client_new(&o, NULL);
	double t0 = monotime_s();
	for (int i = 0; i < n; i++) {
		if (http_do(c, &req, &r, NULL)) {
			fprintf(stderr, "bench_client: request %d failed\n", i);
			http_client_free(c);
			return 1;
		}
		http_response_clear(&r);
	}
	double t = monotime_s() - t0;
	printf("http_do keep-alive: %d requests in %.2f s = %.0f req/s over %d connection(s)\n", n,
	       t, n / t, httpd_connections(srv));
	http_client_free(c);
	return 0;
}

struct counter {
	int done;
};

static void count(void *ctx, int rc, struct http_response *resp, struct http_error *err)
{
	(void)rc;
	(void)resp;
	(void)err;
	((struct counter *)ctx)->done++;
}

struct cancel_job {
	struct http_client *c;
	double at;
};

static void *cancel_soon(void *arg)
{
	struct cancel_job *j = arg;
	struct timespec ts = {0, 300 * 1000000L};

	nanosleep(&ts, NULL);
	j->at = monotime_s();
	http_client_cancel(j->c);
	return NULL;
}

static int bench_shutdown(struct httpd *srv)
{
	char base[64];
	struct http_options o = {.cluster = "bench", .base_url = base, .proxy_url = ""};
	struct http_request req = {.path = "/slow", .wait_ms = 300000};
	struct counter cnt = {0};
	struct cancel_job job;
	pthread_t th;
	const int n = 200;

	snprintf(base, sizeof base, "http://127.0.0.1:%d", httpd_port(srv));
	struct http_client *c = http_client_new(&o, NULL);
	struct http_multi *m = http_multi_new();
	long before = max_rss_kib();
	for (int i = 0; i < n; i++)
		if (!http_multi_add(m, c, &req, count, &cnt, NULL))
			return 1;
	job.c = c;
	job.at = 0;
	pthread_create(&th, NULL, cancel_soon, &job);
	while (http_multi_pending(m))
		http_multi_run(m, 10000);
	double took = monotime_s() - job.at;
	pthread_join(th, NULL);
	printf("%d long polls in one multi: all ended %.1f ms after the cancel (target < 200 ms); "
	       "peak RSS +%ld KiB\n",
	       n, took * 1000, max_rss_kib() - before);
	http_multi_free(m);
	http_client_free(c);
	return cnt.done == n && took < 0.2 ? 0 : 1;
}

/* The other way to stop: free the multi with its polls still in flight. */
static int bench_free_in_flight(struct httpd *srv)
{
	char base[64];
	struct http_options o = {.cluster = "bench", .base_url = base, .proxy_url = ""};
	struct http_request req = {.path = "/slow", .wait_ms = 300000};
	struct counter cnt = {0};
	const int n = 200;

	snprintf(base, sizeof base, "http://127.0.0.1:%d", httpd_port(srv));
	struct http_client *c = http_client_new(&o, NULL);
	struct http_multi *m = http_multi_new();
	for (int i = 0; i < n; i++)
		if (!http_multi_add(m, c, &req, count, &cnt, NULL))
			return 1;
	/* Let every request reach the server. */
	double t0 = monotime_s();
	while (httpd_connections(srv) < n && monotime_s() - t0 < 5)
		http_multi_run(m, 50);
	t0 = monotime_s();
	http_multi_free(m);
	double took = monotime_s() - t0;
	printf("%d long polls in flight: http_multi_free took %.1f ms (target < 200 ms)\n", n,
	       took * 1000);
	http_client_free(c);
	return cnt.done == 0 && took < 0.2 ? 0 : 1;
}

int main(void)
{
	struct httpd *srv = httpd_start();
	int rc;

	if (!srv)
		return 1;
	rc = bench_requests(srv);
	rc |= bench_shutdown(srv);
	httpd_stop(srv);
	srv = httpd_start();
	if (!srv)
		return 1;
	rc |= bench_free_in_flight(srv);
	httpd_stop(srv);
	return rc | bench_decode() | bench_poll_decode();
}
