/* A rig for the poller and operations tests and the benchmarks:
 * peerscope-sim started as a child process, the configuration it writes
 * loaded, and a session (pollers into a store, the operations worker) on
 * it. Everything returns 0 on success, -1 with a message on
 * stderr otherwise, so both Check tests and benchmarks can use it. */
#ifndef PEERSCOPE_TESTS_SIMRIG_H
#define PEERSCOPE_TESTS_SIMRIG_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "peerscope/poller.h"
#include "peerscope/session.h"
#include "peerscope/store.h"

#define SIMRIG_MAX 4

struct config;

struct simrig {
	pid_t pid; /* peerscope-sim */
	char dir[256];
	char cfg_path[300];
	char control[256];
	struct config *cfg;
	struct session *s; /* pollers and the operations worker, no audit log */
	struct store *st;  /* the session's */
	size_t n;
	struct log_sink *log; /* $SIMRIG_LOG, at debug level, or NULL */
};

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
/* A control API request; 0 for a 2xx answer. */
int simrig_ctl(const struct simrig *r, const char *method, const char *path, const char *body);
/* A Kubernetes API request to cluster I with its bearer token; 0 for 2xx. */
/* Cluster I as the operations see it (its clients). */
const struct ops_cluster *simrig_cluster(const struct simrig *r, size_t i);
int simrig_kube(const struct simrig *r, size_t i, const char *method, const char *path,
                const char *body);

typedef bool (*simrig_pred)(const struct store_snapshot *s, const void *arg);
/* Waits until PRED holds on cluster I's newest snapshot; on a timeout,
 * prints every source's state to stderr and returns false. */
bool simrig_wait_for(struct simrig *r, size_t i, simrig_pred pred, const void *arg,
                     long timeout_ms);

#endif
