/* peerscope-sim core: what main, the world, the server, the faults and the
 * control API share. The Consul half keeps its own in consul/simc.h, the
 * Kubernetes half in kube/simk.h. */
#ifndef PEERSCOPE_SIM_CORE_H
#define PEERSCOPE_SIM_CORE_H

#include <cjson/cJSON.h>

#include "sim.h"

/* ------------------------------------------------------------- world.c */

/* Sets up the world for OPT: clusters, their names, install defaults, RNG,
 * clock and event log. The halves come with sim_world_populate. ERR gets a
 * message on failure. */
int sim_world_init(struct sim_world *w, const struct sim_options *opt, char *err, size_t errlen);
/* Frees what sim_world_init made (after sim_world_depopulate). */
void sim_world_free(struct sim_world *w);
/* Events with a sequence number above SINCE, as a JSON array; lock held. */
cJSON *sim_events_json(const struct sim_world *w, uint64_t since);
/* Prints every event to stderr as it is recorded (--verbose). */
void sim_events_echo(struct sim_world *w, bool on);
/* Parses "key=value" for struct sim_install; ERR names the key at fault. */
int sim_install_set(struct sim_install *in, const char *key, const char *value, char *err,
                    size_t errlen);
cJSON *sim_install_json(const struct sim_install *in);
/* Cluster C's waiting requests: {"blocking_queries": N, "watches": M,
 * "waiting": [{"listener", "path"}...]}. Lock held. */
cJSON *sim_waiters_json(const struct sim_cluster *c);

/* --------------------------------------------------------- lifecycle.c */

/* Second stage, after flags adjusted each cluster's install: creates each
 * cluster's fault injector, Consul and Kubernetes state, and the world-wide
 * scale peerings. */
int sim_world_populate(struct sim_world *w, char *err, size_t errlen);
/* Frees every cluster's halves and fault injector. */
void sim_world_depopulate(struct sim_world *w);
/* The thread that runs timed transitions (simc_tick) when they fall due. */
/* Runs what is due at the simulated clock's now on every cluster (the
 * caller holds the world's lock); returns when the next thing is due
 * (INT64_MAX: nothing). The ticker thread calls it, and so does a move of
 * the clock, so that the move's effects are there when it answers. */
int64_t sim_run_due(struct sim_world *w);
int sim_ticker_start(struct sim_world *w);
void sim_ticker_stop(struct sim_world *w);

/* ------------------------------------------------------------ server.c */

struct sim_server;

/* Handles a control-API request (sim/control.c). */
typedef void (*sim_control_fn)(void *ctx, const struct sim_req *req, struct sim_resp *resp);
/* Handles a request to one of cluster C's listeners (simc_handle, simk_handle). */
typedef void (*sim_handler_fn)(struct sim_cluster *c, const struct sim_req *req,
                               struct sim_resp *resp);

/* PEM text of the CA and of a server certificate and key for --tls. */
struct sim_tls {
	char *ca_pem;
	char *cert_pem;
	char *key_pem;
};

/* A server for W whose cluster listeners hand their requests to CONSUL and
 * KUBE. */
struct sim_server *sim_server_new(struct sim_world *w, const struct sim_tls *tls,
                                  sim_handler_fn consul, sim_handler_fn kube);
/* Binds and starts the Consul and Kubernetes listeners of cluster C (ports
 * from c->consul_port / c->kube_port, 0 = any; updated once bound). */
int sim_server_start_cluster(struct sim_server *s, struct sim_cluster *c, char *err, size_t errlen);
/* Stops cluster C's listeners and ends its connections. REFUSE closes the
 * listening sockets (connections are refused); otherwise they stay open
 * and unanswered (clients time out) until the cluster starts again. Lock
 * NOT held. */
void sim_server_stop_cluster(struct sim_server *s, struct sim_cluster *c, bool refuse);
int sim_server_start_control(struct sim_server *s, uint16_t *port, sim_control_fn fn, void *ctx,
                             char *err, size_t errlen);
void sim_server_free(struct sim_server *s);
/* Connections waiting to be accepted on cluster C's listeners while it is
 * stopped with hang (the kernel's accept queue); 0 otherwise. */
int sim_server_queued(struct sim_server *s, const struct sim_cluster *c);
/* "http" or "https" for a cluster listener of kind L: the Kubernetes
 * listeners always serve HTTPS, the Consul ones with --tls. */
const char *sim_server_scheme(const struct sim_server *s, enum sim_listener l);
/* The requests the cluster listeners received with a sequence number above
 * SINCE, of cluster CLUSTER (index; -1: every cluster), oldest first, as a
 * JSON array of {seq, time, cluster, listener, method, path, query}. */
cJSON *sim_server_requests_json(struct sim_server *s, uint64_t since, int cluster);

/* ------------------------------------------------------------ reqlog.c */

/* The request log the server keeps (the last 16384 requests); its own
 * lock, any thread. */
struct sim_reqlog;
struct sim_reqlog *sim_reqlog_new(void);
void sim_reqlog_free(struct sim_reqlog *l); /* NULL is fine */
/* Records REQ, received on cluster C's listener KIND; returns its sequence
 * number (0 without a log). */
uint64_t sim_reqlog_add(struct sim_reqlog *l, const struct sim_cluster *c, enum sim_listener kind,
                        const struct sim_req *req);
/* The answer of request SEQ is ready to send: its body had BYTES bytes as
 * the handler made it (0 for a stream), and goes out as GZIP bytes of gzip
 * (0: plain). Nothing when SEQ has left the log. */
void sim_reqlog_answered(struct sim_reqlog *l, uint64_t seq, size_t bytes, size_t gzip);
cJSON *sim_reqlog_json(struct sim_reqlog *l, const struct sim_world *w, uint64_t since,
                       int cluster);

/* --------------------------------------------------------------- tls.c */

/* A CA and a server certificate signed by it, valid for HOSTS (DNS names and
 * IP addresses, comma-separated). */
int sim_tls_generate(struct sim_tls *t, const char *hosts, char *err, size_t errlen);
/* A self-signed CA certificate, PEM, for a cluster's Connect CA. */
char *sim_tls_connect_ca(const char *trust_domain);
void sim_tls_free(struct sim_tls *t);

/* ------------------------------------------------------------ faults.c */

/* What the fault injector decided for one request. */
struct sim_fault_plan {
	int64_t delay_ms;
	bool reset;        /* close the connection without a response */
	int error_code;    /* > 0: answer with this status instead */
	bool truncate;     /* send half the body, then close */
	bool malformed;    /* garble the body */
	size_t drip_bytes; /* > 0: send the body in chunks of this size */
	int64_t drip_delay_ms;
};

int sim_faults_new(struct sim_cluster *c);
void sim_faults_free(struct sim_cluster *c);
/* Decides the faults for a METHOD request to LISTENER at PATH. Takes the
 * lock. WATCH: the request is a Kubernetes watch (a fault with watch_only
 * affects only those). */
void sim_faults_plan(struct sim_cluster *c, enum sim_listener l, const char *method,
                     const char *path, bool watch, struct sim_fault_plan *plan);
/* An injected error response, shaped as the listener's API shapes errors. */
void sim_faults_error(enum sim_listener l, int code, struct sim_resp *resp);
/* Control API: replaces or clears the faults of C from a JSON object. Lock
 * held. Returns 0, or -1 with a message in err naming the bad key. */
int sim_faults_set(struct sim_cluster *c, const cJSON *spec, char *err, size_t errlen);
void sim_faults_clear(struct sim_cluster *c);
cJSON *sim_faults_json(const struct sim_cluster *c);

/* ----------------------------------------------------------- control.c */

/* What the control API and the files written for clients need. */
struct sim_app {
	struct sim_world *world;
	struct sim_server *server;
	const struct sim_tls *tls;
	uint16_t control_port;
};

void sim_control_handle(void *app, const struct sim_req *req, struct sim_resp *resp);
/* `peerscope-sim ctl ...`: returns the exit status. */
int sim_ctl_main(int argc, char **argv);

/* ------------------------------------------------------------- files.c */

/* The files of --kubeconfig-out, --config-out, the state directory and
 * --ready-file (each a no-op when not asked for). 0, or -1 after a message
 * on stderr. sim_write_state takes the world lock itself; the kubeconfig is
 * written again when a cluster gets a restricted Kubernetes user. */
int sim_write_kubeconfig(const struct sim_app *app);
int sim_write_config(const struct sim_app *app);
int sim_write_state(const struct sim_app *app);
int sim_write_ready(const struct sim_app *app);
/* Removes what this run wrote to a temporary state directory. */
void sim_remove_temp_state(const struct sim_world *w);

/* -------------------------------------------------------------- util */

/* Standard base64 with padding; malloc'd, NULL on no memory. decode
 * returns NULL on bad input, the length in *len, plus a NUL. */
char *sim_b64_encode(const void *data, size_t len);
char *sim_b64_decode(const char *text, size_t *len);
/* Go-style duration ("10s", "1m30s", "250ms") in milliseconds; -1 if bad. */
int64_t sim_parse_duration_ms(const char *s);
/* ADDR as the host part of a URL ("[::1]" for IPv6). */
void sim_url_host(const char *addr, char *buf, size_t len);
/* ITEM as cJSON_PrintUnformatted() prints it, byte for byte, and faster;
 * its length in *LEN (if not NULL). malloc'd; NULL as cJSON gives NULL
 * (an invalid item, a raw one without text) or on no memory. */
char *sim_json_print(const cJSON *item, size_t *len);
/* JSON text written piece by piece, as sim_json_print writes it: raw text,
 * a string quoted and escaped, a number. A failed allocation is kept and
 * makes sim_json_buf_take() give NULL; it gives the text (malloc'd, its
 * length in *LEN) and leaves the buffer empty. */
struct sim_json_buf {
	char *p;
	size_t len, cap;
	bool failed;
};
void sim_json_raw(struct sim_json_buf *b, const char *s, size_t n);
void sim_json_str(struct sim_json_buf *b, const char *s);
void sim_json_num(struct sim_json_buf *b, double d);
char *sim_json_buf_take(struct sim_json_buf *b, size_t *len);
/* Writes TEXT to PATH atomically (temp file + rename) with MODE. */
int sim_write_file(const char *path, const char *text, int mode, char *err, size_t errlen);

#endif
