/* peerscope-sim: the world — clusters, the simulated clock, the seeded RNG
 * and the event log. What each cluster runs (its two halves) is brought up
 * by sim/lifecycle.c. */
#include "autoconfig.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core.h"

#define EVENT_RING 4096

struct event_rec {
	uint64_t seq;
	int64_t ms;
	int cluster; /* -1: the world */
	char *text;
};

struct sim_core {
	struct event_rec ring[EVENT_RING];
	size_t start, count;
	uint64_t next_seq;
	bool echo;
};

/* ------------------------------------------------------------- clock */

int64_t sim_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t sim_now_ms(const struct sim_world *w)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 + w->clock_offset_ms;
}

int64_t sim_scaled_ms(const struct sim_world *w, int64_t nominal_ms)
{
	double speed = w->opt.speed > 0 ? w->opt.speed : 1.0;
	int64_t v = (int64_t)((double)nominal_ms / speed);

	return v > 0 ? v : 1;
}

void sim_format_time(int64_t ms, char *buf, size_t len)
{
	time_t secs = (time_t)(ms / 1000);
	int frac = (int)(ms % 1000);
	struct tm tm;
	char base[32];

	if (frac < 0) {
		frac += 1000;
		secs--;
	}
	gmtime_r(&secs, &tm);
	strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
	if (frac == 0) {
		snprintf(buf, len, "%sZ", base);
		return;
	}
	/* Go's RFC3339Nano drops trailing zeros of the fraction. */
	char f[8];
	snprintf(f, sizeof f, "%03d", frac);
	for (int i = 2; i > 0 && f[i] == '0'; i--)
		f[i] = '\0';
	snprintf(buf, len, "%s.%sZ", base, f);
}

bool sim_wait(struct sim_world *w, int64_t deadline_ms)
{
	if (deadline_ms == INT64_MAX)
		return pthread_cond_wait(&w->changed, &w->lock) == 0;
	struct timespec ts = {.tv_sec = deadline_ms / 1000,
	                      .tv_nsec = (long)(deadline_ms % 1000) * 1000000};
	return pthread_cond_timedwait(&w->changed, &w->lock, &ts) != ETIMEDOUT;
}

void sim_changed(struct sim_world *w)
{
	pthread_cond_broadcast(&w->changed);
}

/* ----------------------------------------------------------- waiters */

void sim_waiter_enter(struct sim_cluster *c, struct sim_waiter *w, enum sim_listener listener,
                      const char *path)
{
	w->listener = listener;
	w->path = path;
	w->next = c->waiters;
	c->waiters = w;
}

void sim_waiter_leave(struct sim_cluster *c, struct sim_waiter *w)
{
	for (struct sim_waiter **p = &c->waiters; *p; p = &(*p)->next) {
		if (*p == w) {
			*p = w->next;
			return;
		}
	}
}

cJSON *sim_waiters_json(const struct sim_cluster *c)
{
	cJSON *o = cJSON_CreateObject(), *arr = o ? cJSON_AddArrayToObject(o, "waiting") : NULL;
	int n[2] = {0, 0};

	if (!arr) {
		cJSON_Delete(o);
		return NULL;
	}
	for (const struct sim_waiter *w = c->waiters; w; w = w->next) {
		cJSON *e = cJSON_CreateObject();
		if (!e || !cJSON_AddItemToArray(arr, e) ||
		    !cJSON_AddStringToObject(
		            e, "listener", w->listener == SIM_LISTEN_CONSUL ? "consul" : "kube") ||
		    !cJSON_AddStringToObject(e, "path", w->path)) {
			cJSON_Delete(o);
			return NULL;
		}
		n[w->listener == SIM_LISTEN_CONSUL ? 0 : 1]++;
	}
	if (!cJSON_AddNumberToObject(o, "blocking_queries", n[0]) ||
	    !cJSON_AddNumberToObject(o, "watches", n[1])) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

/* --------------------------------------------------------------- RNG */

uint64_t sim_rand(struct sim_world *w)
{
	/* xorshift64*: small, fast, and the same sequence for the same seed. */
	uint64_t x = w->rng;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	w->rng = x;
	return x * 0x2545F4914F6CDD1DULL;
}

void sim_uuid(struct sim_world *w, char out[37])
{
	uint64_t a = sim_rand(w), b = sim_rand(w);

	snprintf(out, 37, "%08" PRIx64 "-%04" PRIx64 "-4%03" PRIx64 "-%04" PRIx64 "-%012" PRIx64,
	         a >> 32, (a >> 16) & 0xffff, a & 0xfff, (uint64_t)(((b >> 48) & 0x3fff) | 0x8000),
	         (uint64_t)(b & 0xffffffffffffULL));
}

/* ------------------------------------------------------------ events */

void sim_event(struct sim_world *w, const struct sim_cluster *c, const char *fmt, ...)
{
	struct sim_core *core = w->core;
	char *text = NULL;
	va_list ap;

	va_start(ap, fmt);
	int n = vasprintf(&text, fmt, ap);
	va_end(ap);
	if (n < 0 || !core) {
		if (n >= 0)
			free(text);
		return;
	}
	if (core->count == EVENT_RING) {
		free(core->ring[core->start].text);
		core->start = (core->start + 1) % EVENT_RING;
		core->count--;
	}
	struct event_rec *e = &core->ring[(core->start + core->count) % EVENT_RING];
	e->seq = ++core->next_seq;
	e->ms = sim_now_ms(w);
	e->cluster = c ? c->index : -1;
	e->text = text;
	core->count++;
	if (core->echo)
		fprintf(stderr, "peerscope-sim: %s%s%s\n", c ? c->name : "", c ? ": " : "", text);
}

void sim_events_echo(struct sim_world *w, bool on)
{
	if (w->core)
		w->core->echo = on;
}

cJSON *sim_events_json(const struct sim_world *w, uint64_t since)
{
	const struct sim_core *core = w->core;
	cJSON *arr = cJSON_CreateArray();
	char ts[40];

	if (!arr)
		return NULL;
	for (size_t i = 0; core && i < core->count; i++) {
		const struct event_rec *e = &core->ring[(core->start + i) % EVENT_RING];
		if (e->seq <= since)
			continue;
		cJSON *o = cJSON_CreateObject();
		if (!o)
			goto fail;
		cJSON_AddItemToArray(arr, o);
		sim_format_time(e->ms, ts, sizeof ts);
		if (!cJSON_AddNumberToObject(o, "seq", (double)e->seq) ||
		    !cJSON_AddStringToObject(o, "time", ts) ||
		    !cJSON_AddStringToObject(o, "cluster",
		                             e->cluster >= 0 ? w->clusters[e->cluster].name : "") ||
		    !cJSON_AddStringToObject(o, "event", e->text))
			goto fail;
	}
	return arr;
fail:
	cJSON_Delete(arr);
	return NULL;
}

/* ------------------------------------------------------------ lookup */

struct sim_cluster *sim_cluster_by_name(struct sim_world *w, const char *name)
{
	for (int i = 0; name && i < w->nclusters; i++)
		if (strcmp(w->clusters[i].name, name) == 0)
			return &w->clusters[i];
	return NULL;
}

/* --------------------------------------------------------- install */

static int parse_bool(const char *v, bool *out)
{
	if (!strcasecmp(v, "true") || !strcmp(v, "1") || !strcasecmp(v, "yes")) {
		*out = true;
		return 0;
	}
	if (!strcasecmp(v, "false") || !strcmp(v, "0") || !strcasecmp(v, "no")) {
		*out = false;
		return 0;
	}
	return -1;
}

static int set_string(char *dst, size_t cap, const char *key, const char *v, char *err,
                      size_t errlen)
{
	if (!*v || strlen(v) >= cap) {
		snprintf(err, errlen, "%s: value must be 1 to %zu characters", key, cap - 1);
		return -1;
	}
	snprintf(dst, cap, "%s", v);
	return 0;
}

int sim_install_set(struct sim_install *in, const char *key, const char *value, char *err,
                    size_t errlen)
{
	static const struct {
		const char *key;
		size_t off;
	} bools[] = {
	        {"peering_enabled", offsetof(struct sim_install, peering_enabled)},
	        {"tls_enabled", offsetof(struct sim_install, tls_enabled)},
	        {"mesh_gateway_enabled", offsetof(struct sim_install, mesh_gateway_enabled)},
	        {"connect_inject_enabled", offsetof(struct sim_install, connect_inject_enabled)},
	        {"acls_enabled", offsetof(struct sim_install, acls_enabled)},
	        {"enterprise", offsetof(struct sim_install, enterprise)},
	        {"consul_namespaces", offsetof(struct sim_install, consul_namespaces)},
	};

	if (!strcmp(key, "consul_version"))
		return set_string(in->consul_version, sizeof in->consul_version, key, value, err,
		                  errlen);
	if (!strcmp(key, "consul_k8s_version"))
		return set_string(in->consul_k8s_version, sizeof in->consul_k8s_version, key, value,
		                  err, errlen);
	if (!strcmp(key, "datacenter"))
		return set_string(in->datacenter, sizeof in->datacenter, key, value, err, errlen);
	if (!strcmp(key, "partitions")) {
		/* Admin partitions besides default: lower-case labels, ":" or ";"
		 * separated on the command line (--set splits on ","). */
		char buf[sizeof in->partitions];
		size_t n = 0;
		snprintf(buf, sizeof buf, "%s", value);
		for (char *save = NULL, *t = strtok_r(buf, ":;", &save); t;
		     t = strtok_r(NULL, ":;", &save)) {
			size_t l = strlen(t);
			bool ok = l > 0 && l < 32 && strcmp(t, "default") != 0;
			for (size_t i = 0; ok && i < l; i++)
				ok = islower((unsigned char)t[i]) || isdigit((unsigned char)t[i]) ||
				     t[i] == '-';
			if (!ok) {
				snprintf(err, errlen,
				         "%s: \"%s\" is not a partition name (lower-case letters, "
				         "digits and -, not default)",
				         key, t);
				return -1;
			}
			n++;
		}
		if (strlen(value) >= sizeof in->partitions || n > SIM_MAX_PARTITIONS) {
			snprintf(err, errlen, "%s: at most %d partitions", key, SIM_MAX_PARTITIONS);
			return -1;
		}
		snprintf(in->partitions, sizeof in->partitions, "%s", value);
		for (char *q = in->partitions; *q; q++)
			if (*q == ';')
				*q = ':';
		return 0;
	}
	if (!strcmp(key, "mesh_gateway_replicas")) {
		char *end;
		long n = strtol(value, &end, 10);
		if (*end || end == value || n < 0 || n > 8) {
			snprintf(err, errlen, "%s: \"%s\" is not a number from 0 to 8", key, value);
			return -1;
		}
		in->mesh_gateway_replicas = (int)n;
		return 0;
	}
	for (size_t i = 0; i < sizeof bools / sizeof bools[0]; i++) {
		if (strcmp(key, bools[i].key) != 0)
			continue;
		if (parse_bool(value, (bool *)((char *)in + bools[i].off)) < 0) {
			snprintf(err, errlen, "%s: \"%s\" is not true or false", key, value);
			return -1;
		}
		return 0;
	}
	snprintf(err, errlen,
	         "unknown install key \"%s\" (consul_version, consul_k8s_version, datacenter, "
	         "peering_enabled, tls_enabled, mesh_gateway_enabled, connect_inject_enabled, "
	         "acls_enabled, mesh_gateway_replicas, enterprise, consul_namespaces, "
	         "partitions)",
	         key);
	return -1;
}

cJSON *sim_install_json(const struct sim_install *in)
{
	cJSON *o = cJSON_CreateObject();

	if (!o)
		return NULL;
	if (!cJSON_AddStringToObject(o, "consul_version", in->consul_version) ||
	    !cJSON_AddStringToObject(o, "consul_k8s_version", in->consul_k8s_version) ||
	    !cJSON_AddStringToObject(o, "datacenter", in->datacenter) ||
	    !cJSON_AddBoolToObject(o, "peering_enabled", in->peering_enabled) ||
	    !cJSON_AddBoolToObject(o, "tls_enabled", in->tls_enabled) ||
	    !cJSON_AddBoolToObject(o, "mesh_gateway_enabled", in->mesh_gateway_enabled) ||
	    !cJSON_AddBoolToObject(o, "connect_inject_enabled", in->connect_inject_enabled) ||
	    !cJSON_AddBoolToObject(o, "acls_enabled", in->acls_enabled) ||
	    !cJSON_AddNumberToObject(o, "mesh_gateway_replicas", in->mesh_gateway_replicas) ||
	    !cJSON_AddBoolToObject(o, "enterprise", in->enterprise) ||
	    !cJSON_AddBoolToObject(o, "consul_namespaces", in->consul_namespaces) ||
	    !cJSON_AddStringToObject(o, "partitions", in->partitions)) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

/* An Enterprise release's global values: admin partitions, the namespaces
 * the chart requires with them (consul-k8s charts/consul/templates/
 * connect-inject-deployment.yaml and the other deployments fail with
 * "global.enableConsulNamespaces must be true if
 * global.adminPartitions.enabled=true"), and the license. consul-k8s runs
 * in the default partition: a release with servers must use it
 * (client-daemonset.yaml: "global.adminPartitions.name has to be
 * \"default\" in the server cluster"). */
static char *enterprise_values(const struct sim_install *in)
{
	char *out = NULL;

	if (!in->enterprise)
		return strdup("");
	if (asprintf(&out,
	             "  adminPartitions:\n"
	             "    enabled: true\n"
	             "    name: \"default\"\n"
	             "  enableConsulNamespaces: %s\n"
	             "  enterpriseLicense:\n"
	             "    secretName: \"consul-ent-license\"\n"
	             "    secretKey: \"key\"\n",
	             in->consul_namespaces ? "true" : "false") < 0)
		return NULL;
	return out;
}

char *sim_values_yaml(const struct sim_cluster *c)
{
	const struct sim_install *in = &c->install;
	char *out = NULL, *ent = enterprise_values(in);

	if (!ent)
		return NULL;
#define TF(b) ((b) ? "true" : "false")
	if (asprintf(&out,
	             "# Helm values of the consul release in namespace consul (%s)\n"
	             "global:\n"
	             "  name: consul\n"
	             "  datacenter: %s\n"
	             "  image: \"hashicorp/consul%s:%s%s\"\n"
	             "  imageK8S: \"hashicorp/consul-k8s-control-plane:%s\"\n"
	             "  peering:\n"
	             "    enabled: %s\n"
	             "  tls:\n"
	             "    enabled: %s\n"
	             "    httpsOnly: %s\n"
	             "  acls:\n"
	             "    manageSystemACLs: %s\n"
	             "%s"
	             "server:\n"
	             "  replicas: 1\n"
	             "connectInject:\n"
	             "  enabled: %s\n"
	             "meshGateway:\n"
	             "  enabled: %s\n"
	             "  replicas: %d\n",
	             c->name, in->datacenter, in->enterprise ? "-enterprise" : "",
	             in->consul_version, in->enterprise ? "-ent" : "", in->consul_k8s_version,
	             TF(in->peering_enabled), TF(in->tls_enabled), TF(in->tls_enabled),
	             TF(in->acls_enabled), ent, TF(in->connect_inject_enabled),
	             TF(in->mesh_gateway_enabled), in->mesh_gateway_replicas) < 0)
		out = NULL;
#undef TF
	free(ent);
	return out;
}

/* -------------------------------------------------------------- init */

static void install_defaults(struct sim_cluster *c, const struct sim_options *opt)
{
	struct sim_install *in = &c->install;

	snprintf(in->consul_version, sizeof in->consul_version, "1.18.2");
	snprintf(in->consul_k8s_version, sizeof in->consul_k8s_version, "1.4.3");
	snprintf(in->datacenter, sizeof in->datacenter, "dc%d", c->index + 1);
	in->peering_enabled = true;
	in->tls_enabled = true;
	in->mesh_gateway_enabled = true;
	in->connect_inject_enabled = true;
	in->acls_enabled = opt->acl;
	in->mesh_gateway_replicas = 1;
	in->enterprise = opt->enterprise;
	in->consul_namespaces = true;
}

static int init_cond(struct sim_world *w)
{
	pthread_condattr_t ca;

	if (pthread_condattr_init(&ca) != 0)
		return -1;
	/* sim_wait deadlines are CLOCK_MONOTONIC, immune to clock steps. */
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	int rc = pthread_cond_init(&w->changed, &ca);
	pthread_condattr_destroy(&ca);
	return rc == 0 ? 0 : -1;
}

int sim_world_init(struct sim_world *w, const struct sim_options *opt, char *err, size_t errlen)
{
	memset(w, 0, sizeof *w);
	w->opt = *opt;
	w->nclusters = opt->clusters;
	w->rng = opt->seed ? opt->seed : 0x9E3779B97F4A7C15ULL;
	w->core = calloc(1, sizeof *w->core);
	if (!w->core || pthread_mutex_init(&w->lock, NULL) != 0 || init_cond(w) < 0) {
		snprintf(err, errlen, "out of memory");
		free(w->core);
		w->core = NULL;
		return -1;
	}
	for (int i = 0; i < w->nclusters; i++) {
		struct sim_cluster *c = &w->clusters[i];
		char uuid[37];
		c->world = w;
		c->index = i;
		c->running = true;
		snprintf(c->name, sizeof c->name, "cluster-%02d", i + 1);
		install_defaults(c, opt);
		sim_uuid(w, uuid);
		snprintf(c->trust_domain, sizeof c->trust_domain, "%s.consul", uuid);
		snprintf(c->grpc_addr, sizeof c->grpc_addr, "10.%d.0.10:8502", 100 + i);
		sim_uuid(w, uuid);
		snprintf(c->kube_token, sizeof c->kube_token, "sim-%s", uuid);
	}
	return 0;
}

void sim_world_free(struct sim_world *w)
{
	if (!w->core)
		return;
	for (size_t i = 0; i < w->core->count; i++)
		free(w->core->ring[(w->core->start + i) % EVENT_RING].text);
	free(w->core);
	w->core = NULL;
	pthread_cond_destroy(&w->changed);
	pthread_mutex_destroy(&w->lock);
}
