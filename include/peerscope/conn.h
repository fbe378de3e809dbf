/* conn: the clients of one configured cluster.
 *
 * From the configuration and the cluster's kubeconfig context, conn_open()
 * builds the Kubernetes API client and the Consul client; Consul is reached
 * directly (consul.address) or through the Kubernetes API server's service
 * proxy. The result carries a struct poller_cluster ready for
 * poller_start(). Connections are opened and closed by one thread; the
 * clients themselves may then be used as http.h allows.
 */
#ifndef PEERSCOPE_CONN_H
#define PEERSCOPE_CONN_H

#include "peerscope/poller.h"

struct config;
struct config_cluster;
struct consul_client;
struct http_client;
struct log_sink;
struct kubeconfig_wait;

struct conn {
	struct poller_cluster cluster; /* ready for poller_start() */
	struct consul_client *consul;
	struct http_client *kube;
	/* The same Consul with the mesh gateways' token (consul.gateway_token_file),
	 * for the checks of its grants; NULL when not configured, or see
	 * gateway_error. */
	struct consul_client *gateway_consul;
	char consul_error[512];
	char kube_error[512];
	char gateway_error[512];
};

/* Never fails as a whole: what cannot be set up is left NULL with its
 * error text, so the cluster shows the problem instead of vanishing.
 * Reaching Consul through the proxy looks the Consul Service up once, with
 * a short timeout. An exec credential plugin runs until W's deadline or
 * cancel flag (W NULL: its own limit of 30 s). */
void conn_open(struct conn *pc, const struct config *cfg, const struct config_cluster *c,
               struct log_sink *log, const struct kubeconfig_wait *w);
/* Frees both clients; PC is zeroed. */
void conn_close(struct conn *pc);

#endif
