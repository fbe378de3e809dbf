/* peerscope-sim: the types shared by its parts.
 *
 * The simulator is one process holding a "world" of N clusters. Each cluster
 * has a Consul half (sim/consul/, names prefixed simc_) and a Kubernetes half
 * (sim/kube/, prefixed simk_: the API server, the admission webhooks and the
 * consul-k8s controllers). The core (this folder, prefixed sim_) holds the
 * world (clusters, clock, random numbers, event log), the HTTP layer
 * (sim/server.c, libmicrohttpd, one thread per connection, with the request
 * and response helpers of sim/message.c), the fault injector, the control
 * API and the program. The server turns every request into a struct sim_req
 * and hands it to the handler of its listener, after the fault injector has
 * had its say; the handler fills a struct sim_resp. The core knows the two
 * halves only through the handlers and hooks that sim/lifecycle.c and main()
 * give it, so neither half is below the world or the server.
 *
 * Locking: one mutex guards the whole world (every cluster's Consul and
 * Kubernetes state, the clock, the event log). Handlers take it, do their work
 * and release it; a handler that must wait (blocking query, watch) waits on
 * world->changed, which is broadcast after every change. Nothing blocks on I/O
 * while holding the lock.
 */
#ifndef PEERSCOPE_SIM_H
#define PEERSCOPE_SIM_H

#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SIM_MAX_CLUSTERS 16

struct simc_state; /* sim/consul/: a cluster's Consul state */
struct simk_state; /* sim/kube/: a cluster's Kubernetes state */
struct sim_faults; /* sim/faults.c: what to break on a listener */
struct sim_world;
struct sim_core;   /* sim/world.c: what the world keeps to itself */
struct sim_ticker; /* sim/lifecycle.c: the thread of timed transitions */

/* ------------------------------------------------------------------ requests */

struct sim_kv {
	char *key;
	char *value;
};

enum sim_listener {
	SIM_LISTEN_CONSUL,
	SIM_LISTEN_KUBE,
	SIM_LISTEN_CONTROL,
};

struct sim_req {
	const char *method;        /* "GET", "PUT", ... */
	const char *path;          /* decoded path, no query string */
	const struct sim_kv *args; /* query arguments, decoded, in order */
	size_t nargs;
	const struct sim_kv *headers; /* request headers, names as sent */
	size_t nheaders;
	const char *body; /* request body, NUL-terminated, may be "" */
	size_t body_len;
	const char *remote_addr; /* "127.0.0.1:54321" */
	/* Set by the server (under world->lock, within a second) when the client
	 * hangs up; a handler that waits (blocking query, watch) reads it with
	 * the lock held and gives up when it becomes true. */
	volatile bool *client_gone;
};

/* Value of query argument NAME, or NULL. present tells "?name" from absent.
 * The request and response helpers live in sim/message.c. */
const char *sim_req_arg(const struct sim_req *req, const char *name, bool *present);
/* Value of header NAME (case-insensitive), or NULL. */
const char *sim_req_header(const struct sim_req *req, const char *name);

/* A streamed body (Kubernetes watch). The server calls next() until it
 * returns false; each call may wait (on world->changed) and appends what it has
 * to *out (malloc'd, the server frees it). done() is called once at the end,
 * also when the client went away. */
struct sim_stream {
	bool (*next)(void *ctx, char **out, size_t *out_len);
	void (*done)(void *ctx);
	void *ctx;
};

struct sim_resp {
	int status;
	char *body; /* malloc'd, owned by the response; NULL for an empty body */
	size_t body_len;
	char content_type[64]; /* "" means application/json */
	struct sim_kv headers[16];
	size_t nheaders;
	struct sim_stream stream; /* stream.next != NULL: chunked streaming body */
	/* The body is Consul's, through the API server's service proxy: it is
	 * compressed by Consul's rule, not the API server's (sim/encode.c). */
	bool consul_body;
	/* A JSON body built under the world's lock and printed after it is
	 * released (sim_resp_print_deferred), so that a large answer does not
	 * hold up every other cluster's: set by simc_blocking for its render. */
	bool defer_print;
	struct cJSON *tree; /* the body not printed yet, when set */
	/* Or a body still to be built, from what the render copied under the
	 * lock (RENDER_CTX): RENDER builds it into the response, RENDER_FREE
	 * frees the copy, whether it ran or not. */
	void (*render)(void *ctx, struct sim_resp *resp);
	void (*render_free)(void *ctx);
	void *render_ctx;
};

/* Response helpers. Each takes ownership of nothing and copies what it needs. */
void sim_resp_header(struct sim_resp *resp, const char *name, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
/* A JSON body; takes ownership of the malloc'd string. */
void sim_resp_json(struct sim_resp *resp, int status, char *json);
/* A plain-text body, as Consul sends its errors. */
void sim_resp_text(struct sim_resp *resp, int status, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
void sim_resp_free(struct sim_resp *resp);
/* Builds a deferred body (resp->render) and prints a deferred JSON body
 * (resp->tree) into resp->body; no lock needed. */
void sim_resp_print_deferred(struct sim_resp *resp);

/* --------------------------------------------------------------- the world */

/* What a cluster runs; set per cluster from flags or the control API, so that
 * worlds that break a requirement of the specification can be simulated. */
struct sim_install {
	char consul_version[32];     /* "1.17.3" */
	char consul_k8s_version[32]; /* "1.3.1" */
	char datacenter[64];         /* global.datacenter */
	bool peering_enabled;        /* global.peering.enabled */
	bool tls_enabled;            /* global.tls.enabled */
	bool mesh_gateway_enabled;   /* meshGateway.enabled */
	bool connect_inject_enabled; /* connectInject.enabled */
	bool acls_enabled;           /* global.acls.manageSystemACLs */
	int mesh_gateway_replicas;   /* meshGateway.replicas */
	bool enterprise;             /* Consul Enterprise, global.adminPartitions.enabled */
	bool consul_namespaces;      /* Enterprise: global.enableConsulNamespaces */
	char partitions[128];        /* Enterprise: partitions besides default, "a:b" */
};

/* A request of a cluster that is parked until something changes: a blocking
 * query or a watch (sim_waiter_enter). The control API counts them, so tests
 * can wait until a request is seen waiting instead of sleeping. */
struct sim_waiter {
	enum sim_listener listener;
	const char *path;
	struct sim_waiter *next;
};

struct sim_cluster {
	struct sim_world *world;
	int index;           /* 0-based */
	char name[32];       /* "cluster-01" */
	char kube_token[80]; /* bearer token of its Kubernetes API */
	struct sim_install install;
	bool running;         /* false while stopped by the control API */
	bool hung;            /* stopped with hang: its network is gone */
	uint16_t consul_port; /* listeners, once bound */
	uint16_t kube_port;
	char grpc_addr[64];    /* "10.0.1.2:8502": address peering tokens carry */
	char trust_domain[64]; /* "<uuid>.consul" */
	struct simc_state *consul;
	struct simk_state *kube;
	struct sim_faults *faults;
	struct sim_waiter *waiters; /* parked requests, newest first */
	char kube_user[32];         /* --set kube_user=PRESET: a restricted user ("") */
};

#define SIM_MAX_PARTITIONS 4 /* besides default */

struct sim_options {
	int clusters;
	char listen[64];
	uint16_t port; /* 0: free ports */
	char state_dir[1024];
	char kubeconfig_out[1024];
	char config_out[1024];
	char ready_file[1024];
	int scale_services;
	int scale_peerings;
	int scale_instances;
	bool acl;
	bool tls;
	bool enterprise;
	bool no_gzip; /* --no-gzip: no answer is compressed (sim/encode.c) */
	uint64_t seed;
	double speed;
};

struct sim_world {
	pthread_mutex_t lock;
	pthread_cond_t changed; /* broadcast after every change */
	struct sim_options opt;
	int nclusters;
	struct sim_cluster clusters[SIM_MAX_CLUSTERS];
	uint64_t rng;            /* xorshift state, from --seed */
	int64_t clock_offset_ms; /* added by "advance time" */
	volatile bool stopping;
	struct sim_core *core;                /* sim/world.c: event log */
	struct sim_ticker *ticker;            /* sim/lifecycle.c: timed transitions */
	struct simk_controllers *controllers; /* sim/kube/controllers.c: thread, queues */
};

/* Simulated wall-clock time in milliseconds since the epoch: real time plus
 * whatever the control API advanced it by. Timed transitions (ESTABLISHING to
 * ACTIVE, heartbeats) are scheduled on this clock divided by --speed. */
int64_t sim_now_ms(const struct sim_world *w);
/* Scale a nominal duration by --speed (2.0 makes it twice as fast). */
int64_t sim_scaled_ms(const struct sim_world *w, int64_t nominal_ms);
/* RFC 3339 with nanoseconds, UTC, as Go marshals time.Time. */
void sim_format_time(int64_t ms, char *buf, size_t len);
/* Deterministic pseudo-random numbers from --seed. Caller holds the lock. */
uint64_t sim_rand(struct sim_world *w);
/* A random UUID from sim_rand, "8-4-4-4-12". Caller holds the lock. */
void sim_uuid(struct sim_world *w, char out[37]);

/* The cluster whose name is NAME, or NULL. */
struct sim_cluster *sim_cluster_by_name(struct sim_world *w, const char *name);

/* Record an event in the world's log (sim/world.c); caller holds the lock.
 * The log is readable through the control API. */
void sim_event(struct sim_world *w, const struct sim_cluster *c, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/* Wake every waiter (blocking queries, watches, controllers) after a change.
 * Caller holds the lock. */
void sim_changed(struct sim_world *w);

/* Wait on world->changed until DEADLINE_MS (CLOCK_MONOTONIC milliseconds) or
 * a broadcast; returns false on timeout. Caller holds the lock. */
bool sim_wait(struct sim_world *w, int64_t deadline_ms);
int64_t sim_mono_ms(void);
/* A request of C to LISTENER at PATH starts / stops waiting; W lives (on
 * the caller's stack) until the matching leave. Caller holds the lock. */
void sim_waiter_enter(struct sim_cluster *c, struct sim_waiter *w, enum sim_listener listener,
                      const char *path);
void sim_waiter_leave(struct sim_cluster *c, struct sim_waiter *w);

/* The Helm values cluster C was installed with, as YAML (malloc'd, NULL on
 * no memory); also written to <state-dir>/<cluster>-values.yaml. Caller
 * holds the lock. */
char *sim_values_yaml(const struct sim_cluster *c);

#endif
