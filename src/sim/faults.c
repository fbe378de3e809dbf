/* peerscope-sim: the fault injector. Per cluster and per listener (Consul,
 * Kubernetes): added latency, error responses at a rate, connection resets,
 * truncated, malformed or slow-drip bodies, optionally limited to a method,
 * a path prefix and the next N requests. Decisions use the seeded RNG. */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core.h"

struct fault_spec {
	bool active;
	int64_t latency_ms;
	double error_rate;
	int error_code;
	double reset_rate;
	bool truncate;
	bool malformed;
	int64_t drip_bytes;
	int64_t drip_delay_ms;
	char method[16]; /* only this method ("": any) */
	char path[256];
	bool watch_only; /* only Kubernetes watches: their lists succeed */
	int64_t count;   /* requests left to affect; -1 unlimited */
};

struct sim_faults {
	struct fault_spec l[2]; /* SIM_LISTEN_CONSUL, SIM_LISTEN_KUBE */
};

int sim_faults_new(struct sim_cluster *c)
{
	c->faults = calloc(1, sizeof *c->faults);
	return c->faults ? 0 : -1;
}

void sim_faults_free(struct sim_cluster *c)
{
	free(c->faults);
	c->faults = NULL;
}

static double unit_rand(struct sim_world *w)
{
	return (double)(sim_rand(w) >> 11) / (double)(1ULL << 53);
}

void sim_faults_plan(struct sim_cluster *c, enum sim_listener l, const char *method,
                     const char *path, bool watch, struct sim_fault_plan *plan)
{
	struct sim_world *w = c->world;

	memset(plan, 0, sizeof *plan);
	if (l != SIM_LISTEN_CONSUL && l != SIM_LISTEN_KUBE)
		return;
	pthread_mutex_lock(&w->lock);
	struct fault_spec *f = c->faults ? &c->faults->l[l] : NULL;
	if (!f || !f->active || f->count == 0 || (f->watch_only && !watch) ||
	    (f->method[0] && strcasecmp(method, f->method) != 0) ||
	    (f->path[0] && strncmp(path, f->path, strlen(f->path)) != 0))
		goto out;
	plan->delay_ms = f->latency_ms;
	plan->reset = f->reset_rate > 0 && unit_rand(w) < f->reset_rate;
	if (!plan->reset && f->error_rate > 0 && unit_rand(w) < f->error_rate)
		plan->error_code = f->error_code ? f->error_code : 500;
	plan->truncate = f->truncate;
	plan->malformed = f->malformed;
	plan->drip_bytes = (size_t)f->drip_bytes;
	plan->drip_delay_ms = f->drip_delay_ms;
	if (f->count > 0)
		f->count--;
	if (plan->reset || plan->error_code || plan->truncate || plan->malformed ||
	    plan->drip_bytes || plan->delay_ms)
		sim_event(w, c, "fault on %s %s: %s", l == SIM_LISTEN_CONSUL ? "consul" : "kube",
		          path,
		          plan->reset        ? "reset"
		          : plan->error_code ? "error"
		          : plan->truncate   ? "truncated body"
		          : plan->malformed  ? "malformed body"
		          : plan->drip_bytes ? "slow drip"
		                             : "latency");
out:
	pthread_mutex_unlock(&w->lock);
}

static const char *reason_for(int code)
{
	switch (code) {
	case 400:
		return "BadRequest";
	case 401:
		return "Unauthorized";
	case 403:
		return "Forbidden";
	case 404:
		return "NotFound";
	case 409:
		return "Conflict";
	case 410:
		return "Expired";
	case 429:
		return "TooManyRequests";
	case 503:
		return "ServiceUnavailable";
	case 504:
		return "Timeout";
	default:
		return "InternalError";
	}
}

void sim_faults_error(enum sim_listener l, int code, struct sim_resp *resp)
{
	if (l != SIM_LISTEN_KUBE) {
		sim_resp_text(resp, code, "injected fault: HTTP %d", code);
		return;
	}
	cJSON *s = cJSON_CreateObject();
	char msg[64];

	snprintf(msg, sizeof msg, "injected fault: HTTP %d", code);
	if (s) {
		cJSON_AddStringToObject(s, "kind", "Status");
		cJSON_AddStringToObject(s, "apiVersion", "v1");
		cJSON_AddObjectToObject(s, "metadata");
		cJSON_AddStringToObject(s, "status", "Failure");
		cJSON_AddStringToObject(s, "message", msg);
		cJSON_AddStringToObject(s, "reason", reason_for(code));
		cJSON_AddNumberToObject(s, "code", code);
	}
	char *text = s ? cJSON_PrintUnformatted(s) : NULL;
	cJSON_Delete(s);
	sim_resp_json(resp, code, text);
}

/* ------------------------------------------------------------- control */

static int num(const cJSON *v, const char *key, double lo, double hi, double *out, char *err,
               size_t len)
{
	if (!cJSON_IsNumber(v) || v->valuedouble < lo || v->valuedouble > hi) {
		snprintf(err, len, "%s: expected a number from %g to %g", key, lo, hi);
		return -1;
	}
	*out = v->valuedouble;
	return 0;
}

static int parse_spec(const cJSON *spec, struct fault_spec *f, char *err, size_t len)
{
	const cJSON *it;
	double d;

	memset(f, 0, sizeof *f);
	f->active = true;
	f->count = -1;
	f->error_code = 500;
	cJSON_ArrayForEach(it, spec)
	{
		const char *k = it->string;
		if (!strcmp(k, "listener"))
			continue;
		if (!strcmp(k, "latency_ms")) {
			if (num(it, k, 0, 600000, &d, err, len) < 0)
				return -1;
			f->latency_ms = (int64_t)d;
		} else if (!strcmp(k, "error_rate")) {
			if (num(it, k, 0, 1, &f->error_rate, err, len) < 0)
				return -1;
		} else if (!strcmp(k, "error_code")) {
			if (num(it, k, 400, 599, &d, err, len) < 0)
				return -1;
			f->error_code = (int)d;
		} else if (!strcmp(k, "reset_rate")) {
			if (num(it, k, 0, 1, &f->reset_rate, err, len) < 0)
				return -1;
		} else if (!strcmp(k, "truncate") || !strcmp(k, "malformed") ||
		           !strcmp(k, "watch_only")) {
			if (!cJSON_IsBool(it)) {
				snprintf(err, len, "%s: expected true or false", k);
				return -1;
			}
			*(k[0] == 't'   ? &f->truncate
			  : k[0] == 'm' ? &f->malformed
			                : &f->watch_only) = cJSON_IsTrue(it);
		} else if (!strcmp(k, "drip_bytes")) {
			if (num(it, k, 1, 1 << 20, &d, err, len) < 0)
				return -1;
			f->drip_bytes = (int64_t)d;
		} else if (!strcmp(k, "drip_delay_ms")) {
			if (num(it, k, 0, 60000, &d, err, len) < 0)
				return -1;
			f->drip_delay_ms = (int64_t)d;
		} else if (!strcmp(k, "path")) {
			if (!cJSON_IsString(it) || strlen(it->valuestring) >= sizeof f->path) {
				snprintf(err, len, "path: expected a path prefix");
				return -1;
			}
			snprintf(f->path, sizeof f->path, "%s", it->valuestring);
		} else if (!strcmp(k, "method")) {
			if (!cJSON_IsString(it) || !*it->valuestring ||
			    strlen(it->valuestring) >= sizeof f->method) {
				snprintf(err, len, "method: expected an HTTP method");
				return -1;
			}
			snprintf(f->method, sizeof f->method, "%s", it->valuestring);
		} else if (!strcmp(k, "count")) {
			if (num(it, k, 1, 1e9, &d, err, len) < 0)
				return -1;
			f->count = (int64_t)d;
		} else {
			snprintf(err, len,
			         "unknown fault key \"%s\" (listener, latency_ms, error_rate, "
			         "error_code, reset_rate, truncate, malformed, drip_bytes, "
			         "drip_delay_ms, method, path, watch_only, count)",
			         k);
			return -1;
		}
	}
	if (f->drip_bytes && !f->drip_delay_ms)
		f->drip_delay_ms = 100;
	return 0;
}

int sim_faults_set(struct sim_cluster *c, const cJSON *spec, char *err, size_t errlen)
{
	struct fault_spec f;
	const char *l = cJSON_GetStringValue(cJSON_GetObjectItem(spec, "listener"));

	if (!cJSON_IsObject(spec)) {
		snprintf(err, errlen, "expected a JSON object");
		return -1;
	}
	if (l && strcmp(l, "consul") && strcmp(l, "kube") && strcmp(l, "both")) {
		snprintf(err, errlen, "listener: \"%s\" is not consul, kube or both", l);
		return -1;
	}
	if (parse_spec(spec, &f, err, errlen) < 0)
		return -1;
	if (!l || strcmp(l, "kube"))
		c->faults->l[SIM_LISTEN_CONSUL] = f;
	if (l && strcmp(l, "consul"))
		c->faults->l[SIM_LISTEN_KUBE] = f;
	sim_event(c->world, c, "faults set on %s", l ? l : "consul");
	return 0;
}

void sim_faults_clear(struct sim_cluster *c)
{
	memset(c->faults, 0, sizeof *c->faults);
	sim_event(c->world, c, "faults cleared");
}

static cJSON *spec_json(const struct fault_spec *f)
{
	cJSON *o = cJSON_CreateObject();

	if (!o || !f->active)
		return o;
	cJSON_AddNumberToObject(o, "latency_ms", (double)f->latency_ms);
	cJSON_AddNumberToObject(o, "error_rate", f->error_rate);
	cJSON_AddNumberToObject(o, "error_code", f->error_code);
	cJSON_AddNumberToObject(o, "reset_rate", f->reset_rate);
	cJSON_AddBoolToObject(o, "truncate", f->truncate);
	cJSON_AddBoolToObject(o, "malformed", f->malformed);
	cJSON_AddNumberToObject(o, "drip_bytes", (double)f->drip_bytes);
	cJSON_AddNumberToObject(o, "drip_delay_ms", (double)f->drip_delay_ms);
	cJSON_AddStringToObject(o, "method", f->method);
	cJSON_AddStringToObject(o, "path", f->path);
	cJSON_AddNumberToObject(o, "count", (double)f->count);
	return o;
}

cJSON *sim_faults_json(const struct sim_cluster *c)
{
	cJSON *o = cJSON_CreateObject();

	if (o) {
		cJSON_AddItemToObject(o, "consul", spec_json(&c->faults->l[SIM_LISTEN_CONSUL]));
		cJSON_AddItemToObject(o, "kube", spec_json(&c->faults->l[SIM_LISTEN_KUBE]));
	}
	return o;
}
