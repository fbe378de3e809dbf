/* conn: conn.h. Builds the clients of one configured cluster. */
#include "autoconfig.h"

#include "peerscope/conn.h"

#include "peerscope/config.h"
#include "peerscope/consul.h"
#include "peerscope/http.h"
#include "peerscope/kube.h"
#include "peerscope/kubeconfig.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static void kube_open(struct conn *pc, const struct config *cfg, const struct config_cluster *c,
                      struct log_sink *log, struct kubeconfig_endpoint *ep)
{
	struct http_options o = {0};
	struct http_error err;

	if (!cfg->kube) {
		snprintf(pc->kube_error, sizeof pc->kube_error, "%s: no kubeconfig for context %s",
		         c->name, c->context);
		return;
	}
	if (kubeconfig_resolve(cfg->kube, c->context, time(NULL), ep, pc->kube_error,
	                       sizeof pc->kube_error)) {
		return;
	}
	kubeconfig_http_options(ep, &o);
	o.cluster = c->name;
	o.log = log;
	o.connect_timeout_ms = 3000;
	o.timeout_ms = POLLER_DEFAULT_REQUEST_MS;
	pc->kube = http_client_new(&o, &err);
	if (!pc->kube)
		http_error_format(&err, pc->kube_error, sizeof pc->kube_error);
}

/* Consul through the API server's service proxy: the Kubernetes endpoint's
 * TLS and credentials, the route's base URL, plus the Consul token. */
static void consul_via_proxy(struct conn *pc, const struct config_cluster *c, const char *token,
                             struct log_sink *log, const struct kubeconfig_endpoint *ep)
{
	struct kube_consul_route route = {0};
	struct consul_options co = {0};
	struct http_error err;

	if (kube_consul_route(pc->kube, c->namespace, true, &route, &err)) {
		http_error_format(&err, pc->consul_error, sizeof pc->consul_error);
		return;
	}
	kubeconfig_http_options(ep, &co.http);
	co.http.base_url = route.base_url;
	co.http.auth.consul_token = token;
	co.http.cluster = c->name;
	co.http.log = log;
	pc->consul = consul_client_new(&co, &err);
	if (!pc->consul)
		http_error_format(&err, pc->consul_error, sizeof pc->consul_error);
	kube_consul_route_clear(&route);
}

void conn_open(struct conn *pc, const struct config *cfg, const struct config_cluster *c,
               struct log_sink *log)
{
	struct kubeconfig_endpoint ep = {0};
	struct http_error err;
	char *token = NULL;

	memset(pc, 0, sizeof *pc);
	if (c->context)
		kube_open(pc, cfg, c, log, &ep);
	if (config_consul_token(c, &token, pc->consul_error, sizeof pc->consul_error)) {
		/* consul_error names the token file */
	} else if (c->consul.address) {
		struct consul_options co = {0};
		config_consul_http_options(c, token, &co.http);
		co.http.cluster = c->name;
		co.http.log = log;
		pc->consul = consul_client_new(&co, &err);
		if (!pc->consul)
			http_error_format(&err, pc->consul_error, sizeof pc->consul_error);
	} else if (pc->kube) {
		consul_via_proxy(pc, c, token, log, &ep);
	} else {
		snprintf(pc->consul_error, sizeof pc->consul_error,
		         "%s: no Consul address, and no Kubernetes API to reach Consul "
		         "through%s%.300s",
		         c->name, *pc->kube_error ? ": " : "", pc->kube_error);
	}
	config_token_free(token);
	kubeconfig_endpoint_clear(&ep);
	pc->cluster = (struct poller_cluster){
	        .name = c->name,
	        .context = c->context ? c->context : "",
	        .consul_address = c->consul.address ? c->consul.address : "",
	        .release_ns = c->namespace,
	        .readonly = config_cluster_readonly(cfg, c),
	        .consul = pc->consul,
	        .consul_error = pc->consul_error,
	        .kube = pc->kube,
	        .kube_error = pc->kube_error,
	};
}

void conn_close(struct conn *pc)
{
	consul_client_free(pc->consul);
	http_client_free(pc->kube);
	memset(pc, 0, sizeof *pc);
}
