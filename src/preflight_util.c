/* preflight: the small rules and snapshot readers the checks share, and the
 * helpers that fill a result (verdict, evidence, fix). */
#include "autoconfig.h"

#include "preflight_internal.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ------------------------------------------------------------- versions */

bool preflight_version_at_least(const char *version, int major, int minor, int patch, bool *ok)
{
	int v[3] = {0, 0, 0}, n = 0;
	const char *p = version ? version : "";

	if (*p == 'v' || *p == 'V')
		p++;
	while (n < 3 && isdigit((unsigned char)*p)) {
		char *end;
		long x = strtol(p, &end, 10);
		v[n++] = x > 100000 ? 100000 : (int)x;
		p = end;
		if (*p != '.')
			break;
		p++;
	}
	*ok = n >= 2;
	if (!*ok)
		return false;
	if (v[0] != major)
		return v[0] > major;
	if (v[1] != minor)
		return v[1] > minor;
	return v[2] >= patch;
}

/* ---------------------------------------------------------- peer names */

/* Consul's rule: ^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$ */
bool preflight_peer_name_valid(const char *name)
{
	size_t n = name ? strlen(name) : 0;

	if (n == 0 || n > 63 || name[0] == '-' || name[n - 1] == '-')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!(islower((unsigned char)name[i]) || isdigit((unsigned char)name[i]) ||
		      name[i] == '-'))
			return false;
	return true;
}

/* ------------------------------------------------------------ addresses */

static const char *v4_class(const unsigned char a[4])
{
	if (a[0] == 127)
		return "loopback";
	if (a[0] == 169 && a[1] == 254)
		return "link-local";
	if (!a[0] && !a[1] && !a[2] && !a[3])
		return "unspecified";
	return NULL;
}

static const char *v6_class(const unsigned char a[16])
{
	static const unsigned char zero[16], one[16] = {[15] = 1};
	static const unsigned char mapped[12] = {[10] = 0xff, [11] = 0xff};

	if (!memcmp(a, zero, 16))
		return "unspecified";
	if (!memcmp(a, one, 16))
		return "loopback";
	if (a[0] == 0xfe && (a[1] & 0xc0) == 0x80)
		return "link-local";
	if (!memcmp(a, mapped, 12))
		return v4_class(a + 12);
	return NULL;
}

const char *preflight_address_unroutable(const char *address)
{
	unsigned char bin[16];
	char host[256];
	size_t n;

	if (!address || !*address)
		return "empty";
	snprintf(host, sizeof host, "%s", address[0] == '[' ? address + 1 : address);
	n = strlen(host);
	if (n && host[n - 1] == ']')
		host[--n] = '\0';
	if (inet_pton(AF_INET, host, bin) == 1)
		return v4_class(bin);
	if (inet_pton(AF_INET6, host, bin) == 1)
		return v6_class(bin);
	if (!strcasecmp(host, "localhost") || (n > 10 && !strcasecmp(host + n - 10, ".localhost")))
		return "loopback";
	return NULL;
}

/* --------------------------------------------------------------- images */

const char *preflight_image_tag(const char *image, char *buf, size_t len)
{
	const char *at, *slash, *colon;
	size_t n;

	buf[0] = '\0';
	if (!image)
		return buf;
	at = strchr(image, '@');
	n = at ? (size_t)(at - image) : strlen(image);
	slash = NULL;
	colon = NULL;
	for (size_t i = 0; i < n; i++) {
		if (image[i] == '/')
			slash = image + i;
		else if (image[i] == ':')
			colon = image + i;
	}
	/* A colon before the last slash is a registry's port. */
	if (colon && (!slash || colon > slash))
		snprintf(buf, len, "%.*s", (int)(image + n - colon - 1), colon + 1);
	return buf;
}

/* ------------------------------------------------------ Envoy settings */

/* Keys Consul reads from a gateway's Proxy.Config (agent/xds/config's
 * ProxyConfig and GatewayConfig, the Envoy bootstrap's settings); Consul
 * ignores any other key without a word. */
const char *const pf_envoy_keys[] = {
        "protocol",
        "bind_address",
        "bind_port",
        "connect_timeout_ms",
        "local_connect_timeout_ms",
        "local_request_timeout_ms",
        "local_idle_timeout_ms",
        "max_inbound_connections",
        "balance_inbound_connections",
        "max_request_headers_kb",
        "xds_fetch_timeout_ms",
        "envoy_public_listener_json",
        "envoy_listener_json",
        "envoy_listener_tracing_json",
        "envoy_local_cluster_json",
        "envoy_cluster_json",
        "envoy_gateway_bind_tagged_addresses",
        "envoy_gateway_bind_addresses",
        "envoy_gateway_no_default_bind",
        "envoy_mesh_gateway_bind_tagged_addresses",
        "envoy_mesh_gateway_bind_addresses",
        "envoy_mesh_gateway_no_default_bind",
        "envoy_dns_discovery_type",
        "envoy_gateway_remote_tcp_enable_keepalive",
        "envoy_gateway_remote_tcp_keepalive_time",
        "envoy_gateway_remote_tcp_keepalive_interval",
        "envoy_gateway_remote_tcp_keepalive_probes",
        "envoy_statsd_url",
        "envoy_dogstatsd_url",
        "envoy_stats_tags",
        "envoy_prometheus_bind_addr",
        "envoy_stats_bind_addr",
        "envoy_bootstrap_json_tpl",
        "envoy_extra_static_clusters_json",
        "envoy_extra_static_listeners_json",
        "envoy_extra_stats_sinks_json",
        "envoy_stats_config_json",
        "envoy_stats_flush_interval",
        "envoy_tracing_json",
        "envoy_telemetry_collector_bind_socket_dir",
        "envoy_hcp_metrics_bind_socket_dir",
        NULL,
};

bool pf_envoy_key_known(const char *key)
{
	/* Consul matches these keys without regard to case. */
	for (size_t i = 0; pf_envoy_keys[i]; i++)
		if (!strcasecmp(pf_envoy_keys[i], key))
			return true;
	return false;
}

/* ------------------------------------------------------ snapshot readers */

bool pf_has_data(const struct store_snapshot *s, enum store_src src)
{
	return s->sources[src].last_ok_ns != 0;
}

bool pf_unread(const struct store_snapshot *s, enum store_src src, const char *what,
               struct pf_draft *r)
{
	const struct store_source *x = &s->sources[src];

	bool kube = store_src_is_kube(src);

	if (pf_has_data(s, src))
		return false;
	if (!x->enabled && x->state == MODEL_SOURCE_UNKNOWN) {
		pf_verdict(r, PREFLIGHT_UNKNOWN, "%s is not read for this cluster", what);
		pf_fix(r, "give the cluster %s in peerscope's configuration (peerscope-config(5))",
		       kube ? "a Kubernetes context" : "a Consul address or a Kubernetes context");
	} else if (x->state == MODEL_SOURCE_FORBIDDEN) {
		pf_verdict(r, PREFLIGHT_UNKNOWN, "%s could not be read, access denied: %s", what,
		           x->last_error);
		pf_fix(r, "grant peerscope's %s read access to %s",
		       kube ? "Kubernetes user" : "Consul token", what);
	} else if (*x->last_error) {
		pf_verdict(r, PREFLIGHT_UNKNOWN, "%s could not be read: %s", what, x->last_error);
		pf_fix(r, "make it answer (the error says why); Enter on the cluster shows its "
		          "sources");
	} else {
		pf_verdict(r, PREFLIGHT_UNKNOWN, "%s has not answered yet", what);
		pf_fix(r, "wait for its first answer");
	}
	return true;
}

bool pf_no_kube(const struct store_snapshot *s, struct pf_draft *r)
{
	if (s->kube_configured)
		return false;
	pf_verdict(r, PREFLIGHT_SKIP, "the cluster has no Kubernetes context (Consul only)");
	return true;
}

const char *pf_ns(const struct store_snapshot *s)
{
	if (s->has_helm && s->helm->ns && *s->helm->ns)
		return s->helm->ns;
	if (s->acceptors->n && *s->acceptors->v[0].meta.ns)
		return s->acceptors->v[0].meta.ns;
	if (s->dialers->n && *s->dialers->v[0].meta.ns)
		return s->dialers->v[0].meta.ns;
	return "consul";
}

const char *pf_release(const struct store_snapshot *s)
{
	return s->has_helm && s->helm->release && *s->helm->release ? s->helm->release : "consul";
}

const char *pf_kubectl(const struct store_snapshot *s, char *buf, size_t len)
{
	if (*s->context)
		snprintf(buf, len, "kubectl --context %s -n %s", s->context, pf_ns(s));
	else
		snprintf(buf, len, "kubectl -n %s", pf_ns(s));
	return buf;
}

void pf_helm_fix(struct pf_draft *r, const struct store_snapshot *s, const char *setting)
{
	char ctx[160] = "";

	if (*s->context)
		snprintf(ctx, sizeof ctx, " --kube-context %s", s->context);
	pf_fix(r, "helm upgrade %s hashicorp/consul%s -n %s --reuse-values --set %s", pf_release(s),
	       ctx, pf_ns(s), setting);
}

void pf_exports_of(const struct store_snapshot *s, struct pf_exports *out, char *buf, size_t len)
{
	memset(out, 0, sizeof *out);
	out->where = buf;
	buf[0] = '\0';
	if (pf_has_data(s, STORE_SRC_EXPORTS)) {
		out->known = true;
		if (s->has_exports) {
			out->v = s->exports->services;
			out->n = s->exports->nservices;
			snprintf(buf, len, "exported-services entry %s",
			         *s->exports->head.name ? s->exports->head.name : "default");
		}
		return;
	}
	if (!pf_has_data(s, STORE_SRC_KUBE_EXPORTS))
		return;
	out->known = true;
	if (s->kube_exports->n) {
		const struct model_kube_exported_services *e = &s->kube_exports->v[0];
		out->v = e->services;
		out->n = e->nservices;
		snprintf(buf, len, "ExportedServices %s/%s", e->head.meta.ns, e->head.meta.name);
	}
}

size_t pf_live_peerings(const struct store_snapshot *s)
{
	size_t n = 0;

	for (size_t i = 0; i < s->peerings->n; i++)
		n += s->peerings->v[i].state != MODEL_PEERING_DELETING &&
		     s->peerings->v[i].state != MODEL_PEERING_TERMINATED;
	return n;
}

bool pf_exports_to(const struct pf_exports *e, const char *peer)
{
	for (size_t i = 0; i < e->n; i++)
		for (size_t k = 0; k < e->v[i].nconsumers; k++) {
			const char *p = e->v[i].consumers[k].peer;
			if (p && *p && (!peer || !strcmp(p, peer)))
				return true;
		}
	return false;
}

const struct model_peering *pf_peering(const struct store_snapshot *s, const char *name)
{
	for (size_t i = 0; name && i < s->peerings->n; i++)
		if (s->peerings->v[i].name && !strcmp(s->peerings->v[i].name, name))
			return &s->peerings->v[i];
	return NULL;
}

/* ------------------------------------------------------ result helpers */

__attribute__((format(printf, 4, 0))) static void vput(char *buf, size_t len, size_t at,
                                                       const char *fmt, va_list ap)
{
	if (at >= len - 1)
		return;
	int n = vsnprintf(buf + at, len - at, fmt, ap);
	/* Cut: say so at the end rather than leave half a word. */
	if (n >= 0 && (size_t)n >= len - at && len > 4)
		memcpy(buf + len - 4, "...", 4);
}

void pf_verdict(struct pf_draft *r, enum preflight_verdict v, const char *fmt, ...)
{
	va_list ap;

	r->verdict = v;
	va_start(ap, fmt);
	vput(r->evidence, sizeof r->evidence, 0, fmt, ap);
	va_end(ap);
}

void pf_more(struct pf_draft *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vput(r->evidence, sizeof r->evidence, strlen(r->evidence), fmt, ap);
	va_end(ap);
}

void pf_fix(struct pf_draft *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vput(r->fix, sizeof r->fix, 0, fmt, ap);
	va_end(ap);
}

void pf_seen(struct pf_draft *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vput(r->seen, sizeof r->seen, 0, fmt, ap);
	va_end(ap);
}

void pf_required(struct pf_draft *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vput(r->required, sizeof r->required, 0, fmt, ap);
	va_end(ap);
}
