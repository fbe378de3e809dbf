/* conn: conn.h. Builds the clients of one configured cluster. */
#include "autoconfig.h"

#include "peerscope/conn.h"

#include "peerscope/config.h"
#include "peerscope/consul.h"
#include "peerscope/http.h"
#include "peerscope/kube.h"
#include "peerscope/kubeconfig.h"
#include "peerscope/log.h"
#include "peerscope/redact.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static void kube_open(struct conn *pc, const struct config *cfg, const struct config_cluster *c,
                      struct log_sink *log, const struct kubeconfig_wait *w,
                      struct kubeconfig_endpoint *ep)
{
	struct http_options o = {0};
	struct http_error err;

	if (!cfg->kube) {
		snprintf(pc->kube_error, sizeof pc->kube_error, "%s: no kubeconfig for context %s",
		         c->name, c->context);
		return;
	}
	if (kubeconfig_resolve_within(cfg->kube, c->context, time(NULL), w, ep, pc->kube_error,
	                              sizeof pc->kube_error)) {
		return;
	}
	if (ep->credentials_withheld) {
		char shown[512];
		redact_url(ep->server, shown, sizeof shown);
		log_warn(log,
		         "%s: the kubeconfig's credentials of context %s are not sent to %s: it is "
		         "plain http://, and kubectl does not send them either",
		         c->name, c->context, shown);
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

/* A Consul client for cluster C with TOKEN: at BASE_URL with the
 * Kubernetes endpoint's TLS and credentials (EP, the service proxy), or at
 * consul.address; NULL with ERR. */
static struct consul_client *consul_open(const struct config_cluster *c, const char *token,
                                         const char *base_url, const struct kubeconfig_endpoint *ep,
                                         struct log_sink *log, char *err, size_t errlen)
{
	struct consul_options co = {0};
	struct consul_client *cc;
	struct http_error e;

	if (base_url) {
		kubeconfig_http_options(ep, &co.http);
		co.http.base_url = base_url;
		co.http.auth.consul_token = token;
	} else {
		config_consul_http_options(c, token, &co.http);
	}
	co.http.cluster = c->name;
	co.http.log = log;
	cc = consul_client_new(&co, &e);
	if (!cc)
		http_error_format(&e, err, errlen);
	return cc;
}

/* The clients with peerscope's token and, when configured, the mesh
 * gateways' (BASE_URL: through the service proxy, else consul.address). */
static void consul_clients(struct conn *pc, const struct config_cluster *c, const char *base_url,
                           const struct kubeconfig_endpoint *ep, struct log_sink *log)
{
	char *token = NULL;

	if (config_consul_token(c, &token, pc->consul_error, sizeof pc->consul_error))
		return; /* consul_error names the token file */
	pc->consul =
	        consul_open(c, token, base_url, ep, log, pc->consul_error, sizeof pc->consul_error);
	config_token_free(token);
	token = NULL;
	if (config_gateway_token(c, &token, pc->gateway_error, sizeof pc->gateway_error) || !token)
		return;
	pc->gateway_consul = consul_open(c, token, base_url, ep, log, pc->gateway_error,
	                                 sizeof pc->gateway_error);
	config_token_free(token);
}

/* Consul through the API server's service proxy: the Kubernetes endpoint's
 * TLS and credentials, the route's base URL, plus the Consul token. */
static void consul_via_proxy(struct conn *pc, const struct config_cluster *c, struct log_sink *log,
                             const struct kubeconfig_endpoint *ep)
{
	struct kube_consul_route route = {0};
	struct http_error err;

	if (kube_consul_route(pc->kube, c->namespace, true, &route, &err)) {
		http_error_format(&err, pc->consul_error, sizeof pc->consul_error);
		return;
	}
	consul_clients(pc, c, route.base_url, ep, log);
	kube_consul_route_clear(&route);
}

void conn_open(struct conn *pc, const struct config *cfg, const struct config_cluster *c,
               struct log_sink *log, const struct kubeconfig_wait *w)
{
	struct kubeconfig_endpoint ep = {0};

	memset(pc, 0, sizeof *pc);
	if (c->context)
		kube_open(pc, cfg, c, log, w, &ep);
	if (c->consul.address) {
		consul_clients(pc, c, NULL, &ep, log);
	} else if (pc->kube) {
		consul_via_proxy(pc, c, log, &ep);
	} else {
		snprintf(pc->consul_error, sizeof pc->consul_error,
		         "%s: no Consul address, and no Kubernetes API to reach Consul "
		         "through%s%.300s",
		         c->name, *pc->kube_error ? ": " : "", pc->kube_error);
	}
	kubeconfig_endpoint_clear(&ep);
	if (*pc->kube_error)
		log_warn(log, "%s: Kubernetes API: %s", c->name, pc->kube_error);
	if (*pc->consul_error)
		log_warn(log, "%s: Consul: %s", c->name, pc->consul_error);
	pc->cluster = (struct poller_cluster){
	        .name = c->name,
	        .context = c->context ? c->context : "",
	        .consul_address = c->consul.address ? c->consul.address : "",
	        .release_ns = c->namespace,
	        .readonly = config_cluster_readonly(cfg, c),
	        .partitions = c->partitions,
	        .npartitions = c->npartitions,
	        .partitions_all = c->partitions_all,
	        .consul = pc->consul,
	        .consul_error = pc->consul_error,
	        .kube = pc->kube,
	        .kube_error = pc->kube_error,
	        .gateway_consul = pc->gateway_consul,
	        .gateway_error = pc->gateway_error,
	};
}

void conn_close(struct conn *pc)
{
	consul_client_free(pc->consul);
	consul_client_free(pc->gateway_consul);
	http_client_free(pc->kube);
	memset(pc, 0, sizeof *pc);
}
