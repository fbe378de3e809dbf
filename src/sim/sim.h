/* peerscope-sim: the types shared by its parts.
 *
 * The simulator is one process holding a "world" of N clusters. Each cluster
 * has a Consul half (sim/consul_*.c) and a Kubernetes half (sim/kube_*.c plus
 * the consul-k8s controllers in sim/controllers.c). Both halves are served by
 * the same HTTP layer (sim/server.c, libmicrohttpd, one thread per connection),
 * which turns every request into a struct sim_req and sends back a
 * struct sim_resp, after the fault injector (sim/faults.c) has had its say.
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

struct sim_consul; /* sim/consul.c: a cluster's Consul state */
struct sim_kube;   /* sim/kube.c: a cluster's Kubernetes state */
struct sim_faults; /* sim/faults.c: what to break on a listener */
struct sim_world;
struct sim_core; /* sim/world.c: what the world keeps to itself */

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

/* Value of query argument NAME, or NULL. present tells "?name" from absent. */
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
};

struct sim_cluster {
	struct sim_world *world;
	int index;           /* 0-based */
	char name[32];       /* "cluster-01" */
	char kube_token[80]; /* bearer token of its Kubernetes API */
	struct sim_install install;
	bool running;         /* false while stopped by the control API */
	uint16_t consul_port; /* listeners, once bound */
	uint16_t kube_port;
	char grpc_addr[64];    /* "10.0.1.2:8502": address peering tokens carry */
	char trust_domain[64]; /* "<uuid>.consul" */
	struct sim_consul *consul;
	struct sim_kube *kube;
	struct sim_faults *faults;
};

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
	struct sim_core *core;               /* sim/world.c: event log, ticker thread */
	struct sim_controllers *controllers; /* sim/controllers.c: its thread and queues */
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
/* The cluster whose Consul gRPC (peering) address or mesh-gateway WAN
 * address is ADDR ("host:port"), or NULL: how an establish call finds the
 * acceptor, so a token used on the wrong cluster fails as it would for real. */
struct sim_cluster *sim_cluster_by_peering_addr(struct sim_world *w, const char *addr);

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

/* The Helm values cluster C was installed with, as YAML (malloc'd, NULL on
 * no memory); also written to <state-dir>/<cluster>-values.yaml. Caller
 * holds the lock. */
char *sim_values_yaml(const struct sim_cluster *c);

/* ---------------------------------------------------------- the two halves */

/* Consul HTTP API of one cluster (sim/consul.c). Caller does NOT hold the
 * lock; the handler takes it. Used by the server for the Consul listener, by
 * the Kubernetes API server's service proxy, and by the controllers, which
 * talk to Consul through its HTTP API exactly as consul-k8s does. */
void sim_consul_handle(struct sim_cluster *c, const struct sim_req *req, struct sim_resp *resp);

/* In-process call of the Consul HTTP API as a client would make it. TOKEN is
 * sent as X-Consul-Token (NULL: none). Returns the HTTP status; *resp_body is
 * malloc'd (may be empty). Caller does NOT hold the lock. */
int sim_consul_call(struct sim_cluster *c, const char *method, const char *path_and_query,
                    const char *token, const char *body, char **resp_body);

/* Kubernetes API of one cluster (sim/kube.c). Caller does NOT hold the lock. */
void sim_kube_handle(struct sim_cluster *c, const struct sim_req *req, struct sim_resp *resp);

/* Lifecycle of each half; called with the lock held, in this order at start:
 * consul_init, kube_init (which seeds the namespaces and the Helm release).
 * The token the controllers use to reach Consul is sim_consul_controller_token. */
int sim_consul_init(struct sim_cluster *c);
void sim_consul_free(struct sim_cluster *c);
int sim_kube_init(struct sim_cluster *c);
void sim_kube_free(struct sim_cluster *c);
const char *sim_consul_controller_token(const struct sim_cluster *c);

/* Controllers (sim/controllers.c): one thread for the whole world that
 * reconciles PeeringAcceptor, PeeringDialer and the config-entry CRs of every
 * cluster whenever something changed, as consul-k8s does. */
int sim_controllers_start(struct sim_world *w);
void sim_controllers_stop(struct sim_world *w);

/* The install of C changed (control API): the Kubernetes half writes a new
 * revision of the Helm release Secret. Lock held. */
void sim_kube_install_changed(struct sim_cluster *c);
/* Takes the connect-injector down or up (control API): while it is down,
 * every create or update of a consul.hashicorp.com resource fails as its
 * webhook cannot be called. Lock held. */
void sim_kube_set_injector(struct sim_cluster *c, bool up);
bool sim_kube_injector_up(const struct sim_cluster *c);

#endif
