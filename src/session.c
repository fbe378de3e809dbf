/* session: the wiring of one running peerscope: configuration -> per-cluster
 * connections -> pollers -> store, and the operations worker beside them. */
#include "autoconfig.h"

#include "peerscope/session.h"

#include "peerscope/audit.h"
#include "peerscope/config.h"
#include "peerscope/conn.h"
#include "peerscope/consul.h"
#include "peerscope/http.h"
#include "peerscope/kubeconfig.h"
#include "peerscope/log.h"
#include "peerscope/monotime.h"
#include "peerscope/store.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern char **environ;

/* One configured cluster. */
struct scluster {
	struct session *s;
	size_t index;
	struct conn conn;
	/* Guarded by the session's lock. */
	bool opening, opened;
	struct ops_cluster ops; /* valid once opened */
};

struct session {
	const struct config *cfg;
	struct log_sink *log;
	struct session_options opt;
	size_t n;
	struct scluster *cl;
	const char **names;
	pthread_mutex_t lock;
	pthread_cond_t opened;       /* a connection finished opening */
	atomic_bool closing;         /* stops the exec plugins of connections opening */
	int64_t connect_deadline_ms; /* monotime; 0: none */
	struct store *store;
	pthread_mutex_t start_lock; /* guards poller */
	struct poller *poller;      /* NULL until the pollers start */
	struct audit *audit;
	struct ops_env env;
	struct worker *worker;
};

/* ------------------------------------------------------------ connections */

static void fill_ops(struct scluster *c)
{
	const struct config_cluster *cc = &c->s->cfg->clusters[c->index];

	c->ops = (struct ops_cluster){
	        .name = cc->name,
	        .context = cc->context ? cc->context : "",
	        .ns = cc->namespace,
	        .readonly = config_cluster_readonly(c->s->cfg, cc),
	        .kube = c->conn.kube,
	        .consul = c->conn.consul,
	        .kube_error = c->conn.kube_error,
	        .consul_error = c->conn.consul_error,
	};
}

/* Opens cluster C's connection on the calling thread, unless another
 * thread does it; either way returns once it is open. */
static void open_cluster(struct scluster *c)
{
	struct session *s = c->s;

	pthread_mutex_lock(&s->lock);
	if (c->opening || c->opened) {
		while (!c->opened)
			pthread_cond_wait(&s->opened, &s->lock);
		pthread_mutex_unlock(&s->lock);
		return;
	}
	c->opening = true;
	pthread_mutex_unlock(&s->lock);
	struct kubeconfig_wait w = {.deadline_ms = s->connect_deadline_ms, .cancel = &s->closing};
	conn_open(&c->conn, s->cfg, &s->cfg->clusters[c->index], s->log, &w);
	pthread_mutex_lock(&s->lock);
	fill_ops(c);
	c->opened = true;
	pthread_cond_broadcast(&s->opened);
	pthread_mutex_unlock(&s->lock);
}

/* The poller's hook: first thing on cluster I's thread. */
static void poller_connect(void *ctx, size_t i, struct poller_cluster *pc)
{
	struct session *s = ctx;
	struct scluster *c = &s->cl[i];

	open_cluster(c);
	*pc = c->conn.cluster;
}

static const struct ops_cluster *ops_cluster(void *ctx, const char *name)
{
	struct session *s = ctx;

	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->cfg->clusters[i].name, name)) {
			open_cluster(&s->cl[i]);
			return &s->cl[i].ops;
		}
	return NULL;
}

/* ------------------------------------------------- the operations' reads */

/* The configuration index of each of NAMES into IDX; false when one is not
 * configured. */
static bool indexes(const struct session *s, const char *const *names, size_t n, size_t *idx)
{
	for (size_t k = 0; k < n; k++) {
		size_t i = 0;
		while (i < s->n && strcmp(s->cfg->clusters[i].name, names[k]))
			i++;
		if (i == s->n)
			return false;
		idx[k] = i;
	}
	return true;
}

/* Reads the clusters IDX[0..N-1] afresh: pollers of their own on the
 * clusters' open connections, stopped once every source answered. */
static void fresh_snapshots(struct session *s, const size_t *idx, size_t n, long timeout_ms,
                            const atomic_bool *cancel, struct store_snapshot **out)
{
	struct poller_cluster *pcs = calloc(n, sizeof *pcs);
	struct poller_options po = s->opt.poll;
	struct store *st = store_new(n, 0);
	struct poller *p = NULL;

	if (!pcs || !st)
		goto out;
	for (size_t k = 0; k < n; k++) {
		open_cluster(&s->cl[idx[k]]);
		pcs[k] = s->cl[idx[k]].conn.cluster;
		pcs[k].connect = NULL;
	}
	if (!po.log)
		po.log = s->log;
	po.once = true; /* stopped once every source answered */
	p = poller_start(st, pcs, n, &po);
	if (p)
		store_wait_answered(st, NULL, 0, out, timeout_ms, cancel);
out:
	poller_stop(p);
	store_free(st);
	free(pcs);
}

static bool pollers_running(struct session *s)
{
	pthread_mutex_lock(&s->start_lock);
	bool running = s->poller != NULL;
	pthread_mutex_unlock(&s->start_lock);
	return running;
}

static void ops_snapshots(void *ctx, const char *const *names, size_t n, long timeout_ms,
                          const atomic_bool *cancel, struct store_snapshot **out)
{
	struct session *s = ctx;
	size_t *idx = calloc(n ? n : 1, sizeof *idx); /* every configured cluster may be asked */

	for (size_t k = 0; k < n; k++)
		out[k] = NULL;
	if (!idx || !indexes(s, names, n, idx))
		goto out;
	if (pollers_running(s))
		store_wait_answered(s->store, idx, n, out, timeout_ms, cancel);
	else
		fresh_snapshots(s, idx, n, timeout_ms, cancel, out);
out:
	free(idx);
}

/* ------------------------------------------------------------ audit */

static int open_audit(struct session *s, char *err, size_t errlen)
{
	char def[4096];
	const char *path = s->opt.audit_path;

	if (path && !*path)
		return 0; /* none, on purpose */
	if (!path)
		path = s->cfg->audit_log ? s->cfg->audit_log
		                         : audit_default_path(environ, def, sizeof def);
	s->audit = audit_open(path, err, errlen);
	return s->audit ? 0 : -1;
}

/* ------------------------------------------------------------ open, close */

static int start_pollers(struct session *s)
{
	struct poller_cluster *pcs = calloc(s->n ? s->n : 1, sizeof *pcs);
	struct poller_options po = s->opt.poll;

	if (!pcs)
		return -1;
	for (size_t i = 0; i < s->n; i++) {
		const struct config_cluster *cc = &s->cfg->clusters[i];
		/* The screen says which plugin a cluster waits for. */
		const char *plugin = cc->context && s->cfg->kube
		                             ? kubeconfig_exec_command(s->cfg->kube, cc->context)
		                             : NULL;
		const char *base = plugin ? strrchr(plugin, '/') : NULL;
		pcs[i] = (struct poller_cluster){
		        .name = cc->name,
		        .context = cc->context ? cc->context : "",
		        .consul_address = cc->consul.address ? cc->consul.address : "",
		        .release_ns = cc->namespace,
		        .readonly = config_cluster_readonly(s->cfg, cc),
		        .partitions = cc->partitions,
		        .npartitions = cc->npartitions,
		        .partitions_all = cc->partitions_all,
		        .connect = poller_connect,
		        .connect_ctx = s,
		        .exec_plugin = base ? base + 1 : plugin,
		};
	}
	if (!po.log)
		po.log = s->log;
	s->poller = poller_start(s->store, pcs, s->n, &po);
	free(pcs);
	return s->poller ? 0 : -1;
}

int session_start_pollers(struct session *s)
{
	int rc = 0;

	if (!s->opt.pollers)
		return 0;
	pthread_mutex_lock(&s->start_lock);
	if (!s->poller)
		rc = start_pollers(s);
	pthread_mutex_unlock(&s->start_lock);
	return rc;
}

int session_open(const struct config *cfg, struct log_sink *log, const struct session_options *opt,
                 struct session **out, char *err, size_t errlen)
{
	struct session *s = calloc(1, sizeof *s);
	size_t n = cfg->nclusters;

	*out = NULL;
	if (!s)
		goto nomem;
	s->cfg = cfg;
	s->log = log;
	s->opt = *opt;
	s->n = n;
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->opened, NULL);
	pthread_mutex_init(&s->start_lock, NULL);
	atomic_init(&s->closing, false);
	if (opt->connect_timeout_ms > 0)
		s->connect_deadline_ms = monotime_ms() + opt->connect_timeout_ms;
	s->cl = calloc(n ? n : 1, sizeof *s->cl);
	s->names = calloc(n ? n : 1, sizeof *s->names);
	if (!s->cl || !s->names)
		goto nomem;
	for (size_t i = 0; i < n; i++) {
		s->cl[i].s = s;
		s->cl[i].index = i;
		s->names[i] = cfg->clusters[i].name;
	}
	s->env = (struct ops_env){
	        .cluster = ops_cluster,
	        .ctx = s,
	        .names = s->names,
	        .n = n,
	        .log = log,
	        .poll_ms = opt->op_poll_ms,
	        .snapshots = ops_snapshots,
	};
	if (opt->pollers || opt->worker) {
		s->store = store_new(n, 0);
		if (!s->store)
			goto nomem;
		s->env.store = s->store;
	}
	if (opt->worker) {
		if (open_audit(s, err, errlen) < 0)
			goto fail;
		s->env.audit = s->audit;
		s->worker = worker_start(&s->env, opt->progress, opt->progress_ctx);
		if (!s->worker) {
			snprintf(err, errlen, "cannot start the operations worker");
			goto fail;
		}
	}
	if (opt->pollers && !opt->defer_pollers && session_start_pollers(s) < 0) {
		snprintf(err, errlen, "cannot start the pollers");
		goto fail;
	}
	*out = s;
	return 0;
nomem:
	snprintf(err, errlen, "out of memory");
fail:
	session_close(s);
	return -1;
}

void session_close(struct session *s)
{
	if (!s)
		return;
	/* Exec plugins of connections still opening are killed, requests in
	 * flight end at once: the threads below join fast. */
	atomic_store(&s->closing, true);
	for (size_t i = 0; s->cl && i < s->n; i++) {
		pthread_mutex_lock(&s->lock);
		bool opened = s->cl[i].opened;
		pthread_mutex_unlock(&s->lock);
		if (!opened)
			continue;
		if (s->cl[i].conn.kube)
			http_client_cancel(s->cl[i].conn.kube);
		if (s->cl[i].conn.consul)
			http_client_cancel(consul_http(s->cl[i].conn.consul));
		if (s->cl[i].conn.gateway_consul)
			http_client_cancel(consul_http(s->cl[i].conn.gateway_consul));
	}
	worker_stop(s->worker);
	poller_stop(s->poller);
	for (size_t i = 0; s->cl && i < s->n; i++)
		if (s->cl[i].opened)
			conn_close(&s->cl[i].conn);
	audit_close(s->audit);
	store_free(s->store);
	pthread_cond_destroy(&s->opened);
	pthread_mutex_destroy(&s->start_lock);
	pthread_mutex_destroy(&s->lock);
	free(s->names);
	free(s->cl);
	free(s);
}

/* ------------------------------------------------------------ accessors */

const struct config *session_config(const struct session *s)
{
	return s->cfg;
}

struct store *session_store(const struct session *s)
{
	return s->store;
}

struct worker *session_worker(const struct session *s)
{
	return s->worker;
}

struct log_sink *session_log(const struct session *s)
{
	return s->log;
}

const char *const *session_names(const struct session *s)
{
	return s->names;
}

size_t session_count(const struct session *s)
{
	return s->n;
}

bool session_writable(const struct session *s, size_t i)
{
	return i < s->n && !config_cluster_readonly(s->cfg, &s->cfg->clusters[i]);
}

void session_refresh(struct session *s)
{
	pthread_mutex_lock(&s->start_lock);
	poller_refresh(s->poller);
	pthread_mutex_unlock(&s->start_lock);
}

void session_state_shown(struct session *s)
{
	pthread_mutex_lock(&s->start_lock);
	poller_release_held(s->poller);
	pthread_mutex_unlock(&s->start_lock);
}

const struct ops_env *session_ops_env(const struct session *s)
{
	return &s->env;
}

const char *session_audit_path(const struct session *s)
{
	return audit_path(s->audit);
}
