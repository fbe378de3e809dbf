/* peerscope-sim: the request log. Every request that reaches a cluster's
 * Consul or Kubernetes listener is recorded (method, path, query) in a
 * bounded ring with its own lock, before the fault injector runs, so a
 * client's requests can be counted from outside: how many a command sends,
 * to which endpoints, with which arguments, and in which representation a
 * Kubernetes client asked for the answer (the Accept header's "as=": Table,
 * PartialObjectMetadataList); and, once the answer is ready to send, the
 * length of its body and, when it went out gzip-compressed, of what was
 * sent (encode.c). Read through the control API (GET /v1/requests). Times
 * are real time, not the simulated clock. */
#include "autoconfig.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core.h"

#define REQ_RING 16384

struct req_rec {
	uint64_t seq;
	int64_t ms;
	int cluster;
	enum sim_listener listener;
	char method[8];
	char path[200];
	char query[160];
	char as[32];  /* the Accept header's first "as=", "" when none */
	size_t bytes; /* the answer's body as the handler made it */
	size_t gzip;  /* the body sent, when compressed; 0 when plain */
};

struct sim_reqlog {
	pthread_mutex_t lock;
	struct req_rec ring[REQ_RING];
	size_t start, count;
	uint64_t next_seq;
};

struct sim_reqlog *sim_reqlog_new(void)
{
	struct sim_reqlog *l = calloc(1, sizeof *l);

	if (l)
		pthread_mutex_init(&l->lock, NULL);
	return l;
}

void sim_reqlog_free(struct sim_reqlog *l)
{
	if (!l)
		return;
	pthread_mutex_destroy(&l->lock);
	free(l);
}

/* The decoded query arguments back as "k=v&k2", cut to fit. */
static void query_text(const struct sim_req *req, char *out, size_t len)
{
	size_t used = 0;

	out[0] = '\0';
	for (size_t i = 0; i < req->nargs && used < len; i++) {
		const struct sim_kv *a = &req->args[i];
		int n = snprintf(out + used, len - used, "%s%s%s%s", i ? "&" : "", a->key,
		                 a->value ? "=" : "", a->value ? a->value : "");
		if (n < 0)
			break;
		used += (size_t)n;
	}
}

/* The first "as=" parameter of REQ's Accept header into OUT ("" when
 * none): the representation a Kubernetes client asked for. */
static void accept_as(const struct sim_req *req, char *out, size_t len)
{
	const char *accept = sim_req_header(req, "Accept");
	const char *as = accept ? strstr(accept, "as=") : NULL;

	out[0] = '\0';
	if (as)
		snprintf(out, len, "%.*s", (int)strcspn(as + 3, ";, "), as + 3);
}

uint64_t sim_reqlog_add(struct sim_reqlog *l, const struct sim_cluster *c, enum sim_listener kind,
                        const struct sim_req *req)
{
	struct req_rec r = {.cluster = c ? c->index : -1, .listener = kind};

	if (!l)
		return 0;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	r.ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	snprintf(r.method, sizeof r.method, "%s", req->method);
	snprintf(r.path, sizeof r.path, "%s", req->path);
	query_text(req, r.query, sizeof r.query);
	accept_as(req, r.as, sizeof r.as);
	pthread_mutex_lock(&l->lock);
	if (l->count == REQ_RING) {
		l->start = (l->start + 1) % REQ_RING;
		l->count--;
	}
	r.seq = ++l->next_seq;
	l->ring[(l->start + l->count) % REQ_RING] = r;
	l->count++;
	pthread_mutex_unlock(&l->lock);
	return r.seq;
}

void sim_reqlog_answered(struct sim_reqlog *l, uint64_t seq, size_t bytes, size_t gzip)
{
	if (!l || !seq)
		return;
	pthread_mutex_lock(&l->lock);
	/* The ring holds consecutive sequence numbers from its start's. */
	if (l->count) {
		uint64_t first = l->ring[l->start].seq;
		if (seq >= first && seq - first < l->count) {
			struct req_rec *r = &l->ring[(l->start + (size_t)(seq - first)) % REQ_RING];
			r->bytes = bytes;
			r->gzip = gzip;
		}
	}
	pthread_mutex_unlock(&l->lock);
}

static const char *listener_name(enum sim_listener k)
{
	return k == SIM_LISTEN_CONSUL ? "consul" : k == SIM_LISTEN_KUBE ? "kube" : "control";
}

cJSON *sim_reqlog_json(struct sim_reqlog *l, const struct sim_world *w, uint64_t since, int cluster)
{
	cJSON *arr = cJSON_CreateArray();
	char ts[40];

	if (!arr || !l)
		return arr;
	pthread_mutex_lock(&l->lock);
	for (size_t i = 0; i < l->count; i++) {
		const struct req_rec *r = &l->ring[(l->start + i) % REQ_RING];
		if (r->seq <= since || (cluster >= 0 && r->cluster != cluster))
			continue;
		cJSON *o = cJSON_CreateObject();
		if (!o)
			goto fail;
		cJSON_AddItemToArray(arr, o);
		sim_format_time(r->ms, ts, sizeof ts);
		if (!cJSON_AddNumberToObject(o, "seq", (double)r->seq) ||
		    !cJSON_AddStringToObject(o, "time", ts) ||
		    !cJSON_AddStringToObject(o, "cluster",
		                             r->cluster >= 0 ? w->clusters[r->cluster].name : "") ||
		    !cJSON_AddStringToObject(o, "listener", listener_name(r->listener)) ||
		    !cJSON_AddStringToObject(o, "method", r->method) ||
		    !cJSON_AddStringToObject(o, "path", r->path) ||
		    !cJSON_AddStringToObject(o, "query", r->query) ||
		    !cJSON_AddStringToObject(o, "as", r->as) ||
		    !cJSON_AddNumberToObject(o, "bytes", (double)r->bytes) ||
		    !cJSON_AddNumberToObject(o, "gzip", (double)r->gzip))
			goto fail;
	}
	pthread_mutex_unlock(&l->lock);
	return arr;
fail:
	pthread_mutex_unlock(&l->lock);
	cJSON_Delete(arr);
	return NULL;
}
