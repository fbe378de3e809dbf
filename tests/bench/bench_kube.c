/* Benchmark of the kube decoders: a 10,000-item PeeringAcceptor list, and a
 * watch stream of 100,000 events fed in network-sized chunks. Prints time
 * per operation and the peak resident size; exits non-zero when a target is
 * missed (list decode under 250 ms, watch parser over 50,000 events/s). */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "peerscope/kube.h"
#include "peerscope/monotime.h"

#define ITEMS  10000
#define EVENTS 100000
#define CHUNK  1448 /* one TCP segment's payload */

static const char item_fmt[] =
        "{\"apiVersion\":\"consul.hashicorp.com/v1alpha1\",\"kind\":\"PeeringAcceptor\","
        "\"metadata\":{\"name\":\"peer-%d\",\"namespace\":\"consul\",\"uid\":\"uid-%d\","
        "\"resourceVersion\":\"%d\",\"generation\":1,\"creationTimestamp\":\"2026-11-27T10:00:"
        "00Z\","
        "\"finalizers\":[\"finalizers.consul.hashicorp.com\"]},\"spec\":{\"peer\":{\"secret\":{"
        "\"name\":\"token-%d\",\"key\":\"data\",\"backend\":\"kubernetes\"}}},\"status\":{"
        "\"conditions\":[{\"type\":\"Synced\",\"status\":\"True\",\"lastTransitionTime\":"
        "\"2026-11-27T10:00:05Z\"}],\"lastSyncedTime\":\"2026-11-27T10:00:05Z\","
        "\"latestPeeringVersion\":%d,\"secret\":{\"name\":\"token-%d\",\"key\":\"data\","
        "\"backend\":\"kubernetes\"}}}";

static char *make_list(size_t *len)
{
	size_t cap = (size_t)ITEMS * (sizeof item_fmt + 64) + 128, off = 0;
	char *buf = malloc(cap);

	if (!buf)
		return NULL;
	off += (size_t)snprintf(buf, cap,
	                        "{\"kind\":\"PeeringAcceptorList\",\"metadata\":"
	                        "{\"resourceVersion\":\"1\"},\"items\":[");
	for (int i = 0; i < ITEMS; i++) {
		if (i)
			buf[off++] = ',';
		off += (size_t)snprintf(buf + off, cap - off, item_fmt, i, i, i, i, i, i);
	}
	off += (size_t)snprintf(buf + off, cap - off, "]}");
	*len = off;
	return buf;
}

static char *make_stream(size_t *len)
{
	size_t cap = (size_t)EVENTS * (sizeof item_fmt + 96), off = 0;
	char *buf = malloc(cap);

	if (!buf)
		return NULL;
	for (int i = 0; i < EVENTS; i++) {
		off += (size_t)snprintf(buf + off, cap - off, "{\"type\":\"%s\",\"object\":",
		                        i % 3 ? "MODIFIED" : "ADDED");
		off += (size_t)snprintf(buf + off, cap - off, item_fmt, i % 50, i, i, i, i, i);
		off += (size_t)snprintf(buf + off, cap - off, "}\n");
	}
	*len = off;
	return buf;
}

static int count(struct kube_event *ev, void *ctx)
{
	(void)ev;
	(*(size_t *)ctx)++;
	return 0;
}

int main(void)
{
	char err[256];
	size_t len, slen, seen = 0;
	char *list = make_list(&len), *stream = make_stream(&slen);
	int rc = 0;

	if (!list || !stream) {
		fprintf(stderr, "bench_kube: out of memory\n");
		return 1;
	}
	const int rounds = 5;
	double t0 = monotime_s();
	for (int r = 0; r < rounds; r++) {
		struct kube_list l;
		if (kube_list_decode(KUBE_PEERING_ACCEPTOR, list, len, &l, err, sizeof err) ||
		    l.n != ITEMS) {
			fprintf(stderr, "bench_kube: %s\n", err);
			return 1;
		}
		kube_list_clear(&l);
	}
	double list_ms = (monotime_s() - t0) * 1000 / rounds;

	struct kube_watch_parser *p = kube_watch_parser_new(KUBE_PEERING_ACCEPTOR, 0);
	t0 = monotime_s();
	for (size_t off = 0; p && off < slen; off += CHUNK) {
		size_t n = slen - off < CHUNK ? slen - off : CHUNK;
		if (kube_watch_parser_feed(p, stream + off, n, count, &seen, err, sizeof err)) {
			fprintf(stderr, "bench_kube: %s\n", err);
			return 1;
		}
	}
	double watch_s = monotime_s() - t0;
	kube_watch_parser_free(p);

	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	double eps = (double)seen / watch_s;
	printf("kube list decode: %d items, %.1f KiB, %.1f ms per list\n", ITEMS,
	       (double)len / 1024, list_ms);
	printf("kube watch parser: %zu events, %.1f MiB in %d-byte chunks, %.0f events/s, "
	       "%.1f MiB/s\n",
	       seen, (double)slen / 1048576, CHUNK, eps, (double)slen / 1048576 / watch_s);
	printf("peak RSS: %.1f MiB (inputs included)\n", (double)ru.ru_maxrss / 1024);
	if (list_ms > 250) {
		printf("FAIL: a 10,000-item list takes more than 250 ms to decode\n");
		rc = 1;
	}
	if (seen != EVENTS || eps < 50000) {
		printf("FAIL: the watch parser handles fewer than 50,000 events/s\n");
		rc = 1;
	}
	free(list);
	free(stream);
	return rc;
}
