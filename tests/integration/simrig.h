/* The rig of the C integration tests and the poller benchmark: the
 * simulator started the one way (simrig_sim.h), its control API, and for
 * the poller and operations tests a session on what it serves: the
 * configuration it writes, loaded, then pollers into a store and the
 * operations worker. Everything returns 0 (or true) on success, -1 (or
 * false) with a message on stderr otherwise, so both Check tests and
 * benchmarks can use it. */
#ifndef PEERSCOPE_TESTS_SIMRIG_H
#define PEERSCOPE_TESTS_SIMRIG_H

#include <stdbool.h>
#include <stdint.h>

#include "simrig_sim.h"

#include "peerscope/poller.h"
#include "peerscope/session.h"
#include "peerscope/store.h"

#define SIMRIG_MAX 4

struct config;

struct simrig {
	struct simrig_sim sim;
	struct config *cfg;
	struct session *s; /* pollers and the operations worker, no audit log */
	struct store *st;  /* the session's */
	size_t n;
	struct log_sink *log; /* $SIMRIG_LOG, at debug level, or NULL */
};

/* ------------------------------------------------------------ the simulator */

/* A control API request (METHOD PATH [BODY]); the answer's body in *ANSWER
 * when ANSWER is not NULL (the caller frees it). 0 for a 2xx answer. */
int simrig_sim_ctl(const struct simrig_sim *sim, const char *method, const char *path,
                   const char *body, char **answer);

/* How many requests of CLUSTER on PATH (NULL: on any path) wait for a
 * change now: blocking queries parked on their index, watches between
 * events (GET /v1/clusters/CLUSTER/waiting). -1 when it cannot be read. */
int simrig_sim_waiting(const struct simrig_sim *sim, const char *cluster, const char *path);

/* Waits until at least N requests of CLUSTER on PATH (NULL: any) wait for
 * a change, so that a change made next wakes them; false after
 * TIMEOUT_MS. */
bool simrig_sim_wait_parked(const struct simrig_sim *sim, const char *cluster, const char *path,
                            int n, long timeout_ms);

/* ------------------------------------------------------------ the session */

/* Starts a simulator of CLUSTERS clusters running SPEED times faster, then
 * a session with pollers (OPT) and the operations worker on every cluster. */
int simrig_up(struct simrig *r, const char *clusters, const char *speed,
              const struct poller_options *opt);
/* The same, with cluster VIA_PROXY (a name; NULL: none) configured without
 * a Consul address, so its Consul is reached through the Kubernetes API
 * server's service proxy. */
int simrig_up_via_proxy(struct simrig *r, const char *clusters, const char *speed,
                        const struct poller_options *opt, const char *via_proxy);
/* Stops the pollers (if still running) and the simulator; removes files. */
void simrig_down(struct simrig *r);
/* simrig_sim_ctl() on the rig's simulator, without the answer. */
int simrig_ctl(const struct simrig *r, const char *method, const char *path, const char *body);
/* Cluster I as the operations see it (its clients). */
const struct ops_cluster *simrig_cluster(const struct simrig *r, size_t i);
/* A Kubernetes API request to cluster I with its bearer token; 0 for 2xx. */
int simrig_kube(const struct simrig *r, size_t i, const char *method, const char *path,
                const char *body);

/* Polls cluster I's Consul itself (GET /v1/peering/NAME, the raw answer)
 * until the peering NAME is in STATE; when that was first seen
 * (monotime_ms), or -1 after LIMIT_MS. */
int64_t simrig_consul_state_seen(const struct simrig *r, size_t i, const char *name,
                                 const char *state, long limit_ms);

typedef bool (*simrig_pred)(const struct store_snapshot *s, const void *arg);
/* A simrig_pred: every enabled source of the cluster is ok (ARG unused). */
bool simrig_all_ok(const struct store_snapshot *s, const void *arg);
/* Waits until PRED holds on cluster I's newest snapshot; on a timeout,
 * prints every source's state to stderr and returns false. */
bool simrig_wait_for(struct simrig *r, size_t i, simrig_pred pred, const void *arg,
                     long timeout_ms);

#endif
