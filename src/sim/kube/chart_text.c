/* peerscope-sim: the text of the consul-k8s chart's files, for the Helm
 * release (chart.c, helm.c).
 *
 * The consul-k8s chart (hashicorp/consul-k8s charts/consul, at a 2026
 * commit) has 213 files under templates/, 1,706,556 bytes in all, of which
 * 58 are CRDs (crd-*.yaml, 1,215,940 bytes) rendered into the manifest of
 * every install. Reading a release costs in proportion to those sizes, so
 * the simulator's chart is as large: as many templates, with believable
 * names and the same sizes in all, their text generated here and none of
 * the chart's copied: CRDs with openAPIV3Schema trees of described
 * properties, and Deployments, Jobs, Services, RBAC and the like with
 * {{ ... }} directives, from a fixed vocabulary and the world's seed, so
 * that a release compresses about as a real one does (6 to 7 times).
 *
 * A template is written as its file or rendered for an install by the same
 * generator: rendering writes values for the directives and leaves out the
 * {{ if }} blocks whose condition the install makes false. */
#include "autoconfig.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "simk.h"

#define NCRDS        58
#define NCONSUL_CRDS 50      /* and 8 of the Gateway API */
#define CRD_BYTES    1215940 /* the 58 crd-*.yaml */
#define OTHER_BYTES  490616  /* the other 155: 1,706,556 bytes in all */

/* ------------------------------------------------------------------ text */

struct sbuf {
	char *p;
	size_t len, cap;
	bool failed;
};

static void sb_put(struct sbuf *b, const char *s, size_t n)
{
	if (b->failed)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		char *p;

		while (cap < b->len + n + 1)
			cap *= 2;
		if (!(p = realloc(b->p, cap))) {
			b->failed = true;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void sb_puts(struct sbuf *b, const char *s)
{
	sb_put(b, s, strlen(s));
}

/* The buffer's text (malloc'd, "" when empty), or NULL when it failed. */
static char *sb_take(struct sbuf *b)
{
	if (!b->failed && !b->p)
		sb_put(b, "", 0);
	if (b->failed) {
		free(b->p);
		b->p = NULL;
	}
	return b->p;
}

/* -------------------------------------------------------- template writer */

#define MAX_DEPTH 8 /* {{ if }} blocks inside one another */

/* One template written as its file (render false) or rendered for an
 * install (render true). Both runs draw the same random numbers and count
 * the template's length the same way, so a rendering follows its file. */
struct tw {
	struct sbuf out;
	bool render;
	const struct sim_install *in; /* the values rendered; NULL for the CRDs */
	uint64_t rng;
	size_t tlen;           /* bytes of the template file written so far */
	int depth;             /* {{ if }} blocks open */
	bool mutes[MAX_DEPTH]; /* whether each of them hides what follows */
	int muted;             /* how many do */
	size_t limit;          /* a CRD's schema grows no deeper past this length */
};

static uint64_t rnd(struct tw *t)
{
	/* splitmix64 */
	uint64_t z = (t->rng += 0x9E3779B97F4A7C15ULL);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

static unsigned rndn(struct tw *t, unsigned n)
{
	return (unsigned)(rnd(t) % n);
}

/* Text that is the same in the file and its rendering. */
static void lit(struct tw *t, const char *s)
{
	size_t n = strlen(s);

	t->tlen += n;
	if (!t->muted)
		sb_put(&t->out, s, n);
}

static void litf(struct tw *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void litf(struct tw *t, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	lit(t, line);
}

/* A directive: "{{ EXPR }}" in the file, VALUE in a rendering. */
static void expr(struct tw *t, const char *e, const char *value)
{
	char d[256];
	int n = snprintf(d, sizeof d, "{{ %s }}", e);

	t->tlen += (size_t)n;
	if (!t->muted)
		sb_puts(&t->out, t->render ? value : d);
}

/* "{{- if COND }}" on a line of its own, INDENT deep: in a rendering what
 * follows up to the matching end() is left out when VALUE is false. */
static void if_(struct tw *t, int indent, const char *cond, bool value)
{
	char line[256];
	int n = snprintf(line, sizeof line, "%*s{{- if %s }}\n", indent, "", cond);
	bool mute = t->render && !value;

	if (t->depth == MAX_DEPTH) {
		t->out.failed = true;
		return;
	}
	t->tlen += (size_t)n;
	if (!t->render)
		sb_puts(&t->out, line);
	t->mutes[t->depth++] = mute;
	t->muted += mute;
}

static void end(struct tw *t, int indent)
{
	char line[64];
	int n = snprintf(line, sizeof line, "%*s{{- end }}\n", indent, "");

	if (t->depth == 0) {
		t->out.failed = true;
		return;
	}
	t->tlen += (size_t)n;
	t->muted -= t->mutes[--t->depth];
	if (!t->render)
		sb_puts(&t->out, line);
}

/* --------------------------------------------------------------- words */

static const char *const words[] = {
        "the",      "a",           "of",          "to",         "is",         "and",
        "when",     "for",         "this",        "that",       "in",         "be",
        "set",      "by",          "if",          "or",         "not",        "on",
        "with",     "it",          "an",          "are",        "as",         "from",
        "must",     "may",         "will",        "only",       "each",       "which",
        "service",  "services",    "peer",        "peering",    "partition",  "namespace",
        "gateway",  "mesh",        "proxy",       "upstream",   "downstream", "sidecar",
        "cluster",  "datacenter",  "server",      "client",     "agent",      "token",
        "secret",   "certificate", "request",     "response",   "route",      "listener",
        "address",  "port",        "protocol",    "timeout",    "interval",   "limit",
        "config",   "entry",       "resource",    "field",      "value",      "default",
        "name",     "label",       "annotation",  "selector",   "condition",  "status",
        "traffic",  "connection",  "endpoint",    "instance",   "health",     "check",
        "failover", "target",      "destination", "source",     "intention",  "policy",
        "header",   "path",        "prefix",      "match",      "weight",     "split",
        "retry",    "attempts",    "backoff",     "duration",   "seconds",    "maximum",
        "minimum",  "number",      "string",      "list",       "map",        "object",
        "used",     "applied",     "configured",  "exported",   "imported",   "enabled",
        "disabled", "allowed",     "denied",      "specified",  "defined",    "omitted",
        "empty",    "local",       "remote",      "external",   "internal",   "global",
        "Consul",   "Kubernetes",  "Envoy",       "TLS",        "mTLS",       "HTTP",
        "gRPC",     "TCP",         "JWT",         "ACL",        "SNI",        "DNS",
        "between",  "within",      "across",      "through",    "after",      "before",
        "until",    "while",       "instead",     "otherwise",  "also",       "then",
        "should",   "can",         "does",        "has",        "have",       "no",
        "any",      "all",         "more",        "other",      "same",       "new",
        "override", "inherit",     "resolve",     "forward",    "redirect",   "rewrite",
        "validate", "reject",      "accept",      "dial",       "establish",  "terminate",
        "identity", "trust",       "domain",      "root",       "signing",    "rotation",
        "rate",     "burst",       "queue",       "concurrent", "pending",    "active",
        "filter",   "chain",       "cipher",      "version",    "suite",      "mode",
};

static const char *const names[] = {
        "access",      "address",  "algorithm", "allow",       "audience",    "backend",
        "balance",     "bind",     "cache",     "ca",          "certificate", "cipher",
        "claim",       "client",   "config",    "connect",     "consumer",    "cookie",
        "datacenter",  "default",  "deny",      "destination", "dial",        "discovery",
        "domain",      "drain",    "enforce",   "envoy",       "expose",      "extension",
        "failover",    "filter",   "forward",   "gateway",     "grace",       "hash",
        "header",      "health",   "host",      "http",        "identity",    "idle",
        "ingress",     "interval", "issuer",    "jwks",        "key",         "limit",
        "listener",    "local",    "locality",  "match",       "max",         "mesh",
        "method",      "min",      "mode",      "mutual",      "namespace",   "outlier",
        "partition",   "passive",  "path",      "peer",        "policy",      "port",
        "prefix",      "protocol", "provider",  "proxy",       "query",       "rate",
        "redirect",    "regex",    "remote",    "request",     "resolver",    "response",
        "retry",       "ring",     "route",     "sameness",    "secret",      "segment",
        "service",     "session",  "size",      "source",      "split",       "subset",
        "tag",         "target",   "threshold", "timeout",     "tls",         "token",
        "transparent", "ttl",      "upstream",  "uri",         "weight",      "window",
};

#define NWORDS (sizeof words / sizeof words[0])
#define NNAMES (sizeof names / sizeof names[0])

/* A property name: one or two words of names[], camelCase. */
static void prop_name(struct tw *t, char *buf, size_t len)
{
	const char *a = names[rndn(t, NNAMES)];

	if (rndn(t, 2)) {
		const char *b = names[rndn(t, NNAMES)];
		snprintf(buf, len, "%s%c%s", a, b[0] - 'a' + 'A', b + 1);
	} else {
		snprintf(buf, len, "%s", a);
	}
}

/* One to three sentences of words[]. */
static void sentences(struct tw *t, char *buf, size_t len)
{
	int nsent = 1 + (int)rndn(t, 3);
	size_t n = 0;

	buf[0] = '\0';
	for (int s = 0; s < nsent && n + 160 < len; s++) {
		int nw = 5 + (int)rndn(t, 12);
		for (int i = 0; i < nw && n + 32 < len; i++) {
			const char *w = words[rndn(t, NWORDS)];
			n += (size_t)snprintf(
			        buf + n, len - n, "%s%c%s", n ? " " : "",
			        i == 0 && w[0] >= 'a' && w[0] <= 'z' ? w[0] - 'a' + 'A' : w[0],
			        w + 1);
		}
		n += (size_t)snprintf(buf + n, len - n, ".");
	}
}

/* CRDs repeat their descriptions (the same type in many places): a
 * template's descriptions come from a few it made before, or are new. */
#define DESC_POOL 24
struct descs {
	char text[DESC_POOL][640];
	int n;
};

/* "description: ..." at INDENT, folded as controller-gen folds long ones. */
static void description(struct tw *t, int indent, struct descs *d)
{
	char fresh[640];
	const char *s;

	if (d->n > 0 && rndn(t, 100) < 32) {
		s = d->text[rndn(t, (unsigned)d->n)];
	} else {
		sentences(t, fresh, sizeof fresh);
		int slot = d->n < DESC_POOL ? d->n++ : (int)rndn(t, DESC_POOL);
		snprintf(d->text[slot], sizeof d->text[slot], "%s", fresh);
		s = d->text[slot];
	}
	if ((int)strlen(s) + indent + 13 <= 80) {
		litf(t, "%*sdescription: %s\n", indent, "", s);
		return;
	}
	litf(t, "%*sdescription: |-\n", indent, "");
	while (*s) {
		size_t n = strlen(s), room = indent < 58 ? (size_t)(78 - indent) : 20;
		if (n > room) {
			n = room;
			while (n > 0 && s[n] != ' ')
				n--;
			if (n == 0)
				n = room;
		}
		litf(t, "%*s%.*s\n", indent + 2, "", (int)n, s);
		s += n;
		while (*s == ' ')
			s++;
	}
}

/* ---------------------------------------------------------------- CRDs */

static int cmp_name(const void *a, const void *b)
{
	return strcmp((const char *)a, (const char *)b);
}

/* N distinct property names, sorted as controller-gen writes them. */
static int sorted_names(struct tw *t, char (*buf)[40], int n)
{
	int k = 0;

	for (int i = 0; i < n; i++)
		prop_name(t, buf[i], sizeof buf[i]);
	qsort(buf, (size_t)n, sizeof buf[0], cmp_name);
	for (int i = 0; i < n; i++)
		if (k == 0 || strcmp(buf[k - 1], buf[i]) != 0)
			memmove(buf[k++], buf[i], sizeof buf[0]);
	return k;
}

static void schema_prop(struct tw *t, int ind, int depth, const char *name, struct descs *d);

static void schema_object(struct tw *t, int ind, int depth, struct descs *d)
{
	char kids[8][40];
	int n = sorted_names(t, kids, 2 + (int)rndn(t, 6));

	litf(t, "%*sproperties:\n", ind, "");
	for (int i = 0; i < n && (i == 0 || t->tlen < t->limit); i++)
		schema_prop(t, ind + 2, depth + 1, kids[i], d);
	if (rndn(t, 4) == 0)
		litf(t, "%*srequired:\n%*s- %s\n", ind, "", ind, "", kids[0]);
	litf(t, "%*stype: object\n", ind, "");
}

static void schema_scalar(struct tw *t, int ind)
{
	unsigned r = rndn(t, 100);

	if (r < 55) {
		if (rndn(t, 6) == 0) {
			litf(t, "%*senum:\n", ind, "");
			for (int i = 0, n = 2 + (int)rndn(t, 4); i < n; i++)
				litf(t, "%*s- %s\n", ind, "", names[rndn(t, NNAMES)]);
		} else if (rndn(t, 8) == 0) {
			litf(t, "%*sformat: duration\n", ind, "");
		}
		litf(t, "%*stype: string\n", ind, "");
	} else if (r < 80) {
		litf(t, "%*sformat: int%d\n", ind, "", rndn(t, 2) ? 32 : 64);
		if (rndn(t, 3) == 0)
			litf(t, "%*sminimum: 0\n", ind, "");
		litf(t, "%*stype: integer\n", ind, "");
	} else {
		litf(t, "%*stype: boolean\n", ind, "");
	}
}

static void schema_prop(struct tw *t, int ind, int depth, const char *name, struct descs *d)
{
	unsigned r = rndn(t, 100);

	litf(t, "%*s%s:\n", ind, "", name);
	description(t, ind + 2, d);
	if (t->tlen >= t->limit)
		r = 99; /* a scalar */
	if (depth < 5 && r < 26) {
		schema_object(t, ind + 2, depth, d);
	} else if (depth < 5 && r < 38) {
		litf(t, "%*sitems:\n", ind + 2, "");
		if (rndn(t, 2))
			schema_object(t, ind + 4, depth + 1, d);
		else
			litf(t, "%*stype: string\n", ind + 4, "");
		litf(t, "%*stype: array\n", ind + 2, "");
	} else {
		schema_scalar(t, ind + 2);
	}
}

/* Labels every object of the chart carries. */
static void chart_labels(struct tw *t, int ind, const char *component)
{
	litf(t, "%*sapp: ", ind, "");
	expr(t, "template \"consul.name\" .", "consul");
	litf(t, "\n%*schart: ", ind, "");
	expr(t, "template \"consul.chart\" .", "consul-helm");
	litf(t, "\n%*sheritage: ", ind, "");
	expr(t, ".Release.Service", "Helm");
	litf(t, "\n%*srelease: ", ind, "");
	expr(t, ".Release.Name", "consul");
	litf(t, "\n%*scomponent: %s\n", ind, "", component);
}

static const char crd_status[] =
        "          status:\n"
        "            description: What the controller last saw of the resource in Consul.\n"
        "            properties:\n"
        "              conditions:\n"
        "                description: The conditions of the resource, Synced among them.\n"
        "                items:\n"
        "                  description: One condition, with the time it last changed.\n"
        "                  properties:\n"
        "                    lastTransitionTime:\n"
        "                      format: date-time\n"
        "                      type: string\n"
        "                    message:\n"
        "                      description: What happened, in words.\n"
        "                      type: string\n"
        "                    reason:\n"
        "                      description: Why it happened, in one CamelCase word.\n"
        "                      type: string\n"
        "                    status:\n"
        "                      description: True, False or Unknown.\n"
        "                      type: string\n"
        "                    type:\n"
        "                      description: The kind of condition.\n"
        "                      type: string\n"
        "                  required:\n"
        "                  - status\n"
        "                  - type\n"
        "                  type: object\n"
        "                type: array\n"
        "              lastSyncedTime:\n"
        "                description: When the resource was last written to Consul.\n"
        "                format: date-time\n"
        "                type: string\n"
        "            type: object\n"
        "        type: object\n"
        "    served: true\n"
        "    storage: true\n"
        "    subresources:\n"
        "      status: {}\n";

/* The CRDs: consul-k8s's own, then the Gateway API's, which the chart
 * ships as crd-*-external.yaml. */
static const char *const crd_kinds[NCRDS] = {
        "APIGateway", "BackendTLSPolicy", "ComputedExportedServices", "ComputedRoutes",
        "ControlPlaneRequestLimit", "Destinations", "DestinationPolicy", "ExportedServices",
        "FailoverPolicy", "GatewayClass", "GatewayClassConfig", "GatewayPolicy", "Gateway",
        "GRPCRoute", "HTTPRoute", "IngressGateway", "JWTProvider", "Mesh", "MeshConfiguration",
        "MeshGateway", "MeshService", "NamespaceExportedServices", "NamespaceTrafficPermissions",
        "PartitionExportedServices", "PartitionTrafficPermissions", "PeeringAcceptor",
        "PeeringDialer", "ProxyConfiguration", "ProxyDefaults", "ProxyStateTemplate",
        "ReferenceGrant", "Registration", "RouteAuthFilter", "RouteRetryFilter",
        "RouteTimeoutFilter", "SamenessGroup", "Service", "ServiceDefaults", "ServiceEndpoints",
        "ServiceIntentions", "ServiceResolver", "ServiceRouter", "ServiceSplitter", "TCPRoute",
        "TerminatingGateway", "TLSRoute", "TrafficPermissions", "UDPRoute", "Workload",
        "WorkloadIdentity",
        /* NCONSUL_CRDS: the Gateway API's */
        "GatewayClass", "Gateway", "GRPCRoute", "HTTPRoute", "ReferenceGrant", "TCPRoute",
        "TLSRoute", "UDPRoute"};

static void lower_word(const char *w, char *buf, size_t len)
{
	size_t n = 0;

	for (; w[n] && n + 1 < len; n++)
		buf[n] = (char)(w[n] >= 'A' && w[n] <= 'Z' ? w[n] - 'A' + 'a' : w[n]);
	buf[n] = '\0';
}

/* "ExportedServices" -> "exportedservices", "Mesh" -> "meshes",
 * "GatewayClass" -> "gatewayclasses", "GatewayPolicy" -> "gatewaypolicies",
 * as controller-gen pluralizes. */
static void crd_plural(const char *kind, char *buf, size_t len)
{
	size_t n;

	lower_word(kind, buf, len - 3);
	n = strlen(buf);
	if (n > 1 && buf[n - 1] == 'y' && !strchr("aeiou", buf[n - 2]))
		snprintf(buf + n - 1, len - n + 1, "ies");
	else if (n > 1 && (buf[n - 1] == 'h' || (buf[n - 1] == 's' && buf[n - 2] == 's')))
		snprintf(buf + n, len - n, "es");
	else if (n > 0 && buf[n - 1] != 's')
		snprintf(buf + n, len - n, "s");
}

static void crd_template(struct tw *t, int crd, size_t target)
{
	bool gw = crd >= NCONSUL_CRDS;
	const char *group = gw ? "gateway.networking.k8s.io" : SIMK_GROUP, *kind = crd_kinds[crd];
	char plural[64], singular[64], spec_names[320][40];
	struct descs *d = calloc(1, sizeof *d);
	int n;

	if (!d) {
		t->out.failed = true;
		return;
	}
	crd_plural(kind, plural, sizeof plural);
	lower_word(kind, singular, sizeof singular);
	litf(t, "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\n"
	        "metadata:\n  annotations:\n    controller-gen.kubebuilder.io/version: v0.16.5\n"
	        "  labels:\n");
	chart_labels(t, 4, "crd");
	litf(t, "  name: %s.%s\nspec:\n  group: %s\n  names:\n    kind: %s\n    listKind: %sList\n",
	     plural, group, group, kind, kind);
	litf(t, "    plural: %s\n    singular: %s\n  scope: Namespaced\n  versions:\n", plural,
	     singular);
	litf(t,
	     "  - additionalPrinterColumns:\n    - description: Whether the resource is in Consul\n"
	     "      jsonPath: .status.conditions[?(@.type==\"Synced\")].status\n"
	     "      name: Synced\n      type: string\n"
	     "    - jsonPath: .metadata.creationTimestamp\n      name: Age\n      type: date\n");
	litf(t, "    name: %s\n    schema:\n      openAPIV3Schema:\n", gw ? "v1" : "v1alpha1");
	description(t, 8, d);
	litf(t, "        properties:\n          apiVersion:\n");
	description(t, 12, d);
	litf(t, "            type: string\n          kind:\n");
	description(t, 12, d);
	litf(t, "            type: string\n          metadata:\n            type: object\n"
	        "          spec:\n");
	description(t, 12, d);
	litf(t, "            properties:\n");
	n = sorted_names(t, spec_names, 320);
	t->limit = target > sizeof crd_status + 40 ? target - sizeof crd_status - 40 : 0;
	for (int i = 0; i < n && t->tlen < t->limit; i++)
		schema_prop(t, 14, 0, spec_names[i], d);
	litf(t, "            type: object\n");
	lit(t, crd_status);
	free(d);
}

/* ---------------------------------------------------------- components */

enum when {
	W_ALWAYS,
	W_NEVER, /* off by default: <component>.enabled */
	W_INJECT,
	W_MESHGW,
	W_TLS,
	W_ACLS,
	W_PARTITIONS,
	W_PEERING,
};

static bool when_value(enum when w, const struct sim_install *in)
{
	switch (w) {
	case W_ALWAYS:
		return true;
	case W_INJECT:
		return in->connect_inject_enabled;
	case W_MESHGW:
		return in->mesh_gateway_enabled;
	case W_TLS:
		return in->tls_enabled;
	case W_ACLS:
		return in->acls_enabled;
	case W_PARTITIONS:
		return in->enterprise;
	case W_PEERING:
		return in->peering_enabled;
	default:
		return false;
	}
}

/* The kinds of object a template makes, in Helm's install order
 * (pkg/release/util/kind_sorter.go InstallOrder) as far as the chart uses
 * them; SecurityContextConstraints, unknown to it, go last. */
enum kind {
	K_PSP,
	K_PDB,
	K_SA,
	K_SEC,
	K_CM,
	K_CRD,
	K_CR,
	K_CRB,
	K_R,
	K_RB,
	K_SVC,
	K_DS,
	K_POD,
	K_D,
	K_SS,
	K_J,
	K_MWC,
	K_SCC,
	K_HELPERS, /* not rendered into the manifest */
	K_NOTES,
	NKINDS
};

_Static_assert(NKINDS <= SIMK_TPL_ORDERS, "an order for every kind");

static const struct {
	const char *suffix, *api, *kind;
	double weight; /* share of the templates' bytes */
} kinds[NKINDS] = {
        [K_PSP] = {"podsecuritypolicy", "policy/v1beta1", "PodSecurityPolicy", 1.2},
        [K_PDB] = {"disruptionbudget", "policy/v1", "PodDisruptionBudget", 0.6},
        [K_SA] = {"serviceaccount", "v1", "ServiceAccount", 0.4},
        [K_SEC] = {"secret", "v1", "Secret", 0.5},
        [K_CM] = {"configmap", "v1", "ConfigMap", 2.0},
        [K_CRD] = {"", "apiextensions.k8s.io/v1", "CustomResourceDefinition", 0},
        [K_CR] = {"clusterrole", "rbac.authorization.k8s.io/v1", "ClusterRole", 1.3},
        [K_CRB] = {"clusterrolebinding", "rbac.authorization.k8s.io/v1", "ClusterRoleBinding", 0.5},
        [K_R] = {"role", "rbac.authorization.k8s.io/v1", "Role", 0.9},
        [K_RB] = {"rolebinding", "rbac.authorization.k8s.io/v1", "RoleBinding", 0.5},
        [K_SVC] = {"service", "v1", "Service", 1.0},
        [K_DS] = {"daemonset", "apps/v1", "DaemonSet", 6.5},
        [K_POD] = {"", "v1", "Pod", 2.0},
        [K_D] = {"deployment", "apps/v1", "Deployment", 6.5},
        [K_SS] = {"statefulset", "apps/v1", "StatefulSet", 8.0},
        [K_J] = {"job", "batch/v1", "Job", 3.5},
        [K_MWC] = {"mutatingwebhookconfiguration", "admissionregistration.k8s.io/v1",
                   "MutatingWebhookConfiguration", 2.5},
        [K_SCC] = {"securitycontextconstraints", "security.openshift.io/v1",
                   "SecurityContextConstraints", 1.0},
        [K_HELPERS] = {"", "", "", 12.0},
        [K_NOTES] = {"", "", "", 0.6},
};

#define KM(k)     (1u << (k))
#define JOB_KINDS (KM(K_J) | KM(K_SA) | KM(K_R) | KM(K_RB) | KM(K_PSP) | KM(K_SCC))

static const struct component {
	const char *name;
	enum when when;
	unsigned kinds; /* KM() of the templates it has */
} comps[] = {
        {"api-gateway-controller", W_NEVER,
         KM(K_D) | KM(K_SVC) | KM(K_SA) | KM(K_CR) | KM(K_CRB) | KM(K_CM) | KM(K_PSP)},
        {"auth-method", W_ACLS, KM(K_CR) | KM(K_CRB) | KM(K_SA) | KM(K_SEC)},
        {"client", W_NEVER,
         KM(K_DS) | KM(K_CM) | KM(K_SA) | KM(K_R) | KM(K_RB) | KM(K_PSP) | KM(K_SCC)},
        {"cni", W_NEVER,
         KM(K_DS) | KM(K_SA) | KM(K_CR) | KM(K_CRB) | KM(K_R) | KM(K_RB) | KM(K_CM) | KM(K_PSP) |
                 KM(K_SCC)},
        {"connect-inject", W_INJECT,
         KM(K_D) | KM(K_SVC) | KM(K_SA) | KM(K_CR) | KM(K_CRB) | KM(K_MWC) | KM(K_CM) | KM(K_PDB) |
                 KM(K_PSP)},
        {"create-federation-secret", W_NEVER, JOB_KINDS},
        {"dns", W_INJECT, KM(K_SVC)},
        {"enterprise-license", W_NEVER, JOB_KINDS},
        {"expose-servers", W_PEERING, KM(K_SVC)},
        {"gateway-cleanup", W_NEVER, KM(K_J) | KM(K_SA) | KM(K_CR) | KM(K_CRB)},
        {"gateway-resources", W_INJECT, KM(K_J) | KM(K_CM) | KM(K_SA) | KM(K_CR) | KM(K_CRB)},
        {"gossip-encryption-autogenerate", W_NEVER, JOB_KINDS},
        {"ingress-gateways", W_NEVER,
         KM(K_D) | KM(K_SVC) | KM(K_SA) | KM(K_R) | KM(K_RB) | KM(K_PSP) | KM(K_SCC)},
        {"mesh-gateway", W_MESHGW,
         KM(K_D) | KM(K_SVC) | KM(K_SA) | KM(K_R) | KM(K_RB) | KM(K_PSP) | KM(K_SCC)},
        {"partition-init", W_PARTITIONS, JOB_KINDS},
        {"server", W_ALWAYS,
         KM(K_SS) | KM(K_SVC) | KM(K_CM) | KM(K_SA) | KM(K_R) | KM(K_RB) | KM(K_PDB) | KM(K_PSP) |
                 KM(K_SCC)},
        {"server-acl-init", W_ACLS, JOB_KINDS},
        {"server-acl-init-cleanup", W_ACLS, JOB_KINDS},
        {"server-snapshot-agent", W_NEVER, KM(K_CM)},
        {"sync-catalog", W_NEVER,
         KM(K_D) | KM(K_SA) | KM(K_CR) | KM(K_CRB) | KM(K_PSP) | KM(K_SCC)},
        {"sync-catalog-cleanup", W_NEVER, KM(K_J) | KM(K_SA) | KM(K_CR) | KM(K_CRB)},
        {"telemetry-collector", W_NEVER,
         KM(K_D) | KM(K_SVC) | KM(K_SA) | KM(K_R) | KM(K_RB) | KM(K_CM) | KM(K_PSP) | KM(K_SCC)},
        {"terminating-gateways", W_NEVER,
         KM(K_D) | KM(K_SVC) | KM(K_SA) | KM(K_R) | KM(K_RB) | KM(K_PSP) | KM(K_SCC)},
        {"tls-init", W_TLS, JOB_KINDS},
        {"tls-init-cleanup", W_TLS, JOB_KINDS},
        {"ui", W_ALWAYS, KM(K_SVC)},
        {"webhook-cert-manager", W_INJECT,
         KM(K_D) | KM(K_SA) | KM(K_CR) | KM(K_CRB) | KM(K_CM) | KM(K_PSP) | KM(K_SCC)},
};

#define NCOMPS (int)(sizeof comps / sizeof comps[0])

/* Inner {{ if }} blocks: the values a template tests. */
static const struct {
	const char *cond;
	enum when when;
} switches[] = {
        {".Values.global.tls.enabled", W_TLS},
        {".Values.global.acls.manageSystemACLs", W_ACLS},
        {".Values.global.adminPartitions.enabled", W_PARTITIONS},
        {".Values.global.peering.enabled", W_PEERING},
        {".Values.global.metrics.enabled", W_NEVER},
        {".Values.global.openshift.enabled", W_NEVER},
        {".Values.connectInject.enabled", W_INJECT},
        {".Values.meshGateway.enabled", W_MESHGW},
};

#define NSWITCHES (sizeof switches / sizeof switches[0])

/* Values of directives the simulator has no install field for. */
static const char *const plain[] = {
        "100m", "128Mi", "256Mi", "500m",         "true", "false", "3",    "8080",
        "30",   "1Gi",   "info",  "IfNotPresent", "25%",  "10s",   "8501", "\"\"",
};

#define NPLAIN (sizeof plain / sizeof plain[0])

struct comp_ctx {
	const struct component *c;
	char key[40]; /* its key in values.yaml: "meshGateway" */
};

static bool sw_value(struct tw *t, int i)
{
	return t->in && when_value(switches[i].when, t->in);
}

/* {{- if <one of switches[]> }} at INDENT. */
static void if_switch(struct tw *t, int indent)
{
	int i = (int)rndn(t, NSWITCHES);

	if_(t, indent, switches[i].cond, sw_value(t, i));
}

/* {{ .Values.<component>.<key> }}, rendered as one of plain[]. */
static void value_ref(struct tw *t, const struct comp_ctx *x, bool quote)
{
	char key[40], e[128], v[40];
	const char *p;

	prop_name(t, key, sizeof key);
	p = plain[rndn(t, NPLAIN)];
	snprintf(e, sizeof e, ".Values.%s.%s%s", x->key, key, quote ? " | quote" : "");
	snprintf(v, sizeof v, quote && p[0] != '"' ? "\"%s\"" : "%s", p);
	expr(t, e, v);
}

/* {{ template "consul.fullname" . }}-SUFFIX: consul-SUFFIX. */
static void fullname(struct tw *t, const char *suffix)
{
	expr(t, "template \"consul.fullname\" .", "consul");
	litf(t, "-%s", suffix);
}

static void upper_word(const char *w, char *buf, size_t len)
{
	size_t n = 0;

	for (; w[n] && n + 1 < len; n++)
		buf[n] = (char)(w[n] >= 'a' && w[n] <= 'z' ? w[n] - 'a' + 'A' : w[n]);
	buf[n] = '\0';
}

/* One entry of a container's env at IND. */
static void env_entry(struct tw *t, const struct comp_ctx *x, int ind)
{
	char a[24], b[24];
	unsigned r = rndn(t, 10);

	upper_word(names[rndn(t, NNAMES)], a, sizeof a);
	upper_word(names[rndn(t, NNAMES)], b, sizeof b);
	if (r < 2) {
		litf(t,
		     "%*s- name: %s_%s\n%*s  valueFrom:\n%*s    fieldRef:\n%*s      fieldPath: "
		     "%s\n",
		     ind, "", a, b, ind, "", ind, "", ind, "",
		     rndn(t, 2) ? "metadata.namespace" : "status.podIP");
	} else if (r < 4) {
		if_switch(t, ind);
		litf(t, "%*s- name: CONSUL_%s_%s\n%*s  value: \"/consul/%s/%s\"\n", ind, "", a, b,
		     ind, "", names[rndn(t, NNAMES)], names[rndn(t, NNAMES)]);
		end(t, ind);
	} else if (r < 5) {
		litf(t, "%*s- name: CONSUL_DATACENTER\n%*s  value: ", ind, "", ind, "");
		expr(t, ".Values.global.datacenter", t->in ? t->in->datacenter : "");
		lit(t, "\n");
	} else {
		litf(t, "%*s- name: CONSUL_%s_%s\n%*s  value: ", ind, "", a, b, ind, "");
		value_ref(t, x, true);
		lit(t, "\n");
	}
}

/* One flag of the container's command at IND. */
static void flag(struct tw *t, const struct comp_ctx *x, int ind)
{
	char f[40];
	unsigned r = rndn(t, 10);

	prop_name(t, f, sizeof f);
	if (r < 3) {
		if_switch(t, ind);
		litf(t, "%*s-%s=/consul/%s/%s \\\n", ind, "", f, names[rndn(t, NNAMES)],
		     names[rndn(t, NNAMES)]);
		end(t, ind);
	} else if (r < 4) {
		litf(t, "%*s-%s=", ind, "", f);
		fullname(t, names[rndn(t, NNAMES)]);
		lit(t, " \\\n");
	} else {
		litf(t, "%*s-%s=", ind, "", f);
		value_ref(t, x, false);
		lit(t, " \\\n");
	}
}

static void volume_mount(struct tw *t, int ind)
{
	const char *a = names[rndn(t, NNAMES)], *b = names[rndn(t, NNAMES)];

	litf(t, "%*s- name: %s-%s\n%*s  mountPath: /consul/%s/%s\n%*s  readOnly: true\n", ind, "",
	     a, b, ind, "", a, b, ind, "");
}

static void volume(struct tw *t, int ind)
{
	const char *a = names[rndn(t, NNAMES)], *b = names[rndn(t, NNAMES)];

	litf(t, "%*s- name: %s-%s\n", ind, "", a, b);
	if (rndn(t, 2)) {
		litf(t, "%*s  emptyDir:\n%*s    medium: \"Memory\"\n", ind, "", ind, "");
		return;
	}
	litf(t, "%*s  secret:\n%*s    secretName: ", ind, "", ind, "");
	fullname(t, a);
	litf(t, "-%s\n", b);
}

/* What a Deployment, StatefulSet, DaemonSet or Job has before its pod's
 * spec: replicas, selector, the pod's labels. */
static void pod_template_head(struct tw *t, const struct comp_ctx *x, enum kind k)
{
	if (k == K_D || k == K_SS) {
		char e[80], n[16];
		bool gw = t->in && !strcmp(x->key, "meshGateway");

		snprintf(e, sizeof e, ".Values.%s.replicas", x->key);
		snprintf(n, sizeof n, "%d", gw ? t->in->mesh_gateway_replicas : 1);
		lit(t, "  replicas: ");
		expr(t, e, n);
		lit(t, "\n");
	}
	if (k != K_J) {
		lit(t, "  selector:\n    matchLabels:\n      app: ");
		expr(t, "template \"consul.name\" .", "consul");
		lit(t, "\n      release: ");
		expr(t, ".Release.Name", "consul");
		litf(t, "\n      component: %s\n", x->c->name);
	}
	lit(t, "  template:\n    metadata:\n      labels:\n");
	chart_labels(t, 8, x->c->name);
	lit(t, "      annotations:\n        \"consul.hashicorp.com/connect-inject\": "
	       "\"false\"\n    spec:\n");
}

/* The container's image: Consul's for the servers, consul-k8s's for the
 * rest, as the install's values name them. */
static void container_image(struct tw *t, const struct comp_ctx *x)
{
	const struct sim_install *in = t->in;
	char image[160];

	if (strcmp(x->c->name, "server") != 0) {
		snprintf(image, sizeof image, "hashicorp/consul-k8s-control-plane:%s",
		         in ? in->consul_k8s_version : "");
		expr(t, ".Values.global.imageK8S", image);
		return;
	}
	snprintf(image, sizeof image, "hashicorp/consul%s:%s%s",
	         in && in->enterprise ? "-enterprise" : "", in ? in->consul_version : "",
	         in && in->enterprise ? "-ent" : "");
	expr(t, ".Values.global.image", image);
}

/* Deployments, StatefulSets, DaemonSets, Jobs and the test Pod: a pod
 * spec whose env, command flags and volumes fill the template's size. */
static void workload(struct tw *t, const struct comp_ctx *x, enum kind k, size_t target)
{
	size_t start = t->tlen, span = target > start ? target - start : 0;
	int p = k == K_POD ? 2 : 6, c = p + 4; /* the pod's spec, a container's */

	lit(t, "spec:\n");
	if (k != K_POD)
		pod_template_head(t, x, k);
	if (k == K_J || k == K_POD)
		litf(t, "%*srestartPolicy: Never\n", p, "");
	litf(t, "%*sserviceAccountName: ", p, "");
	fullname(t, x->c->name);
	litf(t, "\n%*scontainers:\n%*s- name: %s\n%*s  image: ", p, "", p, "", x->c->name, p, "");
	container_image(t, x);
	litf(t, "\n%*s  env:\n%*s- name: CONSUL_DATACENTER\n%*s  value: ", p, "", c, "", c, "");
	expr(t, ".Values.global.datacenter", t->in ? t->in->datacenter : "");
	lit(t, "\n");
	while (t->tlen < start + span * 35 / 100)
		env_entry(t, x, c);
	litf(t, "%*s  command:\n%*s    - \"/bin/sh\"\n%*s    - \"-ec\"\n%*s    - |\n", p, "", p, "",
	     p, "", p, "");
	litf(t, "%*s      exec consul-k8s-control-plane %s \\\n", p, "", x->c->name);
	while (t->tlen < start + span * 70 / 100)
		flag(t, x, c + 4);
	litf(t, "%*s        -log-level=info\n%*s  volumeMounts:\n", p, "", p, "");
	while (t->tlen < start + span * 82 / 100)
		volume_mount(t, c);
	litf(t, "%*svolumes:\n", p, "");
	while (t->tlen < target)
		volume(t, p);
}

static const char *const verbs[] = {"get", "list", "watch", "create", "update", "patch", "delete"};
static const char *const resources[] = {
        "secrets",
        "configmaps",
        "services",
        "endpoints",
        "pods",
        "deployments",
        "namespaces",
        "leases",
        "serviceaccounts",
        "events",
        "nodes",
        "jobs",
        "endpointslices",
        "peeringacceptors",
        "peeringdialers",
        "meshes",
        "exportedservices",
        "proxydefaults",
        "servicedefaults",
        "gateways",
};

#define NVERBS     (sizeof verbs / sizeof verbs[0])
#define NRESOURCES (sizeof resources / sizeof resources[0])

/* A ConfigMap's or Secret's entry: a JSON file named A-B. */
static void config_entry(struct tw *t, const struct comp_ctx *x, const char *a, const char *b)
{
	litf(t, "  %s-%s.json: |-\n    {\n      \"%s\": {\n        \"%s\": ", a, b, a, b);
	value_ref(t, x, false);
	litf(t, ",\n        \"datacenter\": \"");
	expr(t, ".Values.global.datacenter", t->in ? t->in->datacenter : "");
	lit(t, "\"\n      }\n    }\n");
}

/* One admission webhook of a MutatingWebhookConfiguration, named A-B. */
static void webhook(struct tw *t, const struct comp_ctx *x, const char *a, const char *b)
{
	litf(t,
	     "- name: %s-%s.%s.consul.hashicorp.com\n  clientConfig:\n    service:\n"
	     "      name: ",
	     a, b, x->c->name);
	fullname(t, x->c->name);
	lit(t, "\n      namespace: ");
	expr(t, ".Release.Namespace", "consul");
	litf(t,
	     "\n      path: \"/mutate-%s-%s\"\n  rules:\n  - operations: [ \"CREATE\", "
	     "\"UPDATE\" ]\n    apiGroups: [\"%s\"]\n    apiVersions: [\"v1alpha1\"]\n"
	     "    resources: [\"%s\"]\n  failurePolicy: Fail\n  sideEffects: None\n"
	     "  admissionReviewVersions:\n  - \"v1beta1\"\n  - \"v1\"\n",
	     a, b, SIMK_GROUP, resources[rndn(t, NRESOURCES)]);
}

/* One part of a small object, repeated to the template's size. */
static void unit(struct tw *t, const struct comp_ctx *x, enum kind k)
{
	const char *a = names[rndn(t, NNAMES)], *b = names[rndn(t, NNAMES)];
	bool cond = rndn(t, 4) == 0;
	int ind = k == K_SA ? 4 : k == K_SVC || k == K_PDB || k == K_PSP || k == K_SCC ? 2 : 0;

	if (cond)
		if_switch(t, ind);
	switch (k) {
	case K_SVC:
		litf(t, "  - name: %s-%s\n    port: %u\n    targetPort: %s\n", a, b,
		     8000 + rndn(t, 1000), a);
		break;
	case K_R:
	case K_CR:
		litf(t, "- apiGroups: [\"%s\"]\n  resources:\n", rndn(t, 2) ? "" : SIMK_GROUP);
		for (unsigned i = 0, n = 1 + rndn(t, 3); i < n; i++)
			litf(t, "  - %s\n", resources[rndn(t, NRESOURCES)]);
		lit(t, "  verbs:\n");
		for (unsigned i = 0, n = 1 + rndn(t, 4); i < n; i++)
			litf(t, "  - %s\n", verbs[rndn(t, NVERBS)]);
		break;
	case K_RB:
	case K_CRB:
		lit(t, "- kind: ServiceAccount\n  name: ");
		fullname(t, x->c->name);
		lit(t, "\n  namespace: ");
		expr(t, ".Release.Namespace", "consul");
		lit(t, "\n");
		break;
	case K_CM:
	case K_SEC:
		config_entry(t, x, a, b);
		break;
	case K_MWC:
		webhook(t, x, a, b);
		break;
	default: /* PDB, PSP, SCC: more of the spec; SA: annotations */
		litf(t, "%*s%s%c%s: ", ind, "", a, b[0] - 'a' + 'A', b + 1);
		value_ref(t, x, false);
		lit(t, "\n");
		break;
	}
	if (cond)
		end(t, ind);
}

/* apiVersion, kind, metadata: what every object of the chart starts with. */
static void object_head(struct tw *t, const struct comp_ctx *x, enum kind k)
{
	bool cluster_scoped = k == K_CR || k == K_CRB || k == K_MWC || k == K_PSP || k == K_SCC;

	litf(t, "apiVersion: %s\nkind: %s\nmetadata:\n  name: ", kinds[k].api, kinds[k].kind);
	fullname(t, x->c->name);
	lit(t, "\n");
	if (!cluster_scoped) {
		lit(t, "  namespace: ");
		expr(t, ".Release.Namespace", "consul");
		lit(t, "\n");
	}
	lit(t, "  labels:\n");
	chart_labels(t, 4, x->c->name);
	if (k == K_POD)
		lit(t, "  annotations:\n    \"helm.sh/hook\": test\n");
}

/* What comes before the repeated part of a small object. */
static void small_head(struct tw *t, const struct comp_ctx *x, enum kind k)
{
	switch (k) {
	case K_SVC:
		lit(t, "spec:\n  type: ClusterIP\n  selector:\n    app: ");
		expr(t, "template \"consul.name\" .", "consul");
		lit(t, "\n    release: ");
		expr(t, ".Release.Name", "consul");
		litf(t, "\n    component: %s\n  ports:\n", x->c->name);
		break;
	case K_R:
	case K_CR:
		lit(t, "rules:\n");
		break;
	case K_RB:
	case K_CRB:
		litf(t, "roleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: %s\n  name: ",
		     k == K_RB ? "Role" : "ClusterRole");
		fullname(t, x->c->name);
		lit(t, "\nsubjects:\n");
		break;
	case K_CM:
		lit(t, "data:\n");
		break;
	case K_SEC:
		lit(t, "type: Opaque\nstringData:\n");
		break;
	case K_MWC:
		lit(t, "webhooks:\n");
		break;
	case K_SA:
		lit(t, "  annotations:\n");
		break;
	case K_PDB:
		lit(t, "spec:\n  maxUnavailable: ");
		expr(t, "template \"consul.pdb.maxUnavailable\" .", "0");
		lit(t, "\n  selector:\n    matchLabels:\n      app: ");
		expr(t, "template \"consul.name\" .", "consul");
		litf(t, "\n      component: %s\n", x->c->name);
		break;
	default:
		lit(t, "spec:\n");
		break;
	}
}

/* A ServiceAccount's pull secrets, when the values give some. */
static void image_pull_secrets(struct tw *t)
{
	if_(t, 0, ".Values.global.imagePullSecrets", false);
	lit(t, "imagePullSecrets:\n{{- range .Values.global.imagePullSecrets }}\n"
	       "  - name: {{ .name }}\n{{- end }}\n");
	end(t, 0);
}

/* The {{ if }} around a whole template of component X, and its value. */
static bool file_condition(const struct comp_ctx *x, enum kind k, const struct sim_install *in,
                           char *buf, size_t len)
{
	char base[96] = "";
	bool on = in && when_value(x->c->when, in);

	switch (x->c->when) {
	case W_ALWAYS:
		snprintf(base, sizeof base, "(ne (.Values.%s.enabled | toString) \"false\")",
		         x->key);
		break;
	case W_NEVER:
		snprintf(base, sizeof base, ".Values.%s.enabled", x->key);
		break;
	default:
		for (size_t i = 0; i < NSWITCHES; i++)
			if (switches[i].when == x->c->when)
				snprintf(base, sizeof base, "%s", switches[i].cond);
		break;
	}
	if (k == K_PSP || k == K_SCC) {
		snprintf(buf, len, "(and %s %s)", base,
		         k == K_PSP ? ".Values.global.enablePodSecurityPolicies"
		                    : ".Values.global.openshift.enabled");
		return false;
	}
	snprintf(buf, len, "%s", base);
	return on;
}

static void component_template(struct tw *t, const struct comp_ctx *x, enum kind k, size_t target)
{
	char cond[200];
	bool on = file_condition(x, k, t->in, cond, sizeof cond);

	if (t->render && !on)
		return; /* renders to nothing */
	if_(t, 0, cond, on);
	object_head(t, x, k);
	if (k == K_D || k == K_SS || k == K_DS || k == K_J || k == K_POD) {
		workload(t, x, k, target > 12 ? target - 12 : 0);
	} else {
		small_head(t, x, k);
		while (t->tlen + 12 + (k == K_SA ? 96 : 0) < target)
			unit(t, x, k);
		if (k == K_SA)
			image_pull_secrets(t);
	}
	end(t, 0);
}

/* _helpers.tpl: named templates, never rendered on their own. */
static void helpers(struct tw *t, size_t target)
{
	char text[640], name[40];

	while (t->tlen < target) {
		sentences(t, text, sizeof text);
		prop_name(t, name, sizeof name);
		litf(t, "{{/*\n%s\n*/}}\n{{- define \"consul.%s\" -}}\n", text, name);
		if_switch(t, 0);
		litf(t,
		     "{{- printf \"%%s-%%s\" (include \"consul.fullname\" .) \"%s\" | trunc 63 | "
		     "trimSuffix \"-\" -}}\n{{- else -}}\n{{- .Values.%s.%s | default \"%s\" "
		     "| quote -}}\n",
		     names[rndn(t, NNAMES)], names[rndn(t, NNAMES)], name, plain[rndn(t, NPLAIN)]);
		end(t, 0);
		lit(t, "{{- end -}}\n\n");
	}
}

/* NOTES.txt, which helm install prints and keeps as info.notes. */
static void notes(struct tw *t, size_t target)
{
	char text[640];

	lit(t, "\nHashiCorp Consul is installed as release ");
	expr(t, ".Release.Name", "consul");
	lit(t, ".\n\nIts state:\n\n  $ helm status ");
	expr(t, ".Release.Name", "consul");
	lit(t, " -n ");
	expr(t, ".Release.Namespace", "consul");
	lit(t, "\n");
	while (t->tlen < target) {
		sentences(t, text, sizeof text);
		litf(t, "\n%s\n", text);
	}
}

/* ---------------------------------------------------------- the files */

static const struct component tests_comp = {"tests", W_ALWAYS, KM(K_POD)};

static void comp_ctx(struct comp_ctx *x, int comp)
{
	const char *s;
	size_t n = 0;
	bool up = false;

	x->c = comp == NCOMPS ? &tests_comp : &comps[comp];
	for (s = x->c->name; *s && n + 1 < sizeof x->key; s++) {
		if (*s == '-') {
			up = true;
			continue;
		}
		x->key[n++] = up && *s >= 'a' && *s <= 'z' ? (char)(*s - 'a' + 'A') : *s;
		up = false;
	}
	x->key[n] = '\0';
}

static int cmp_tpl(const void *a, const void *b)
{
	return strcmp(((const struct simk_tpl *)a)->name, ((const struct simk_tpl *)b)->name);
}

static struct simk_tpl *add_tpl(struct simk_tpl *tpls, int *n, enum kind k, int crd, int comp)
{
	static struct simk_tpl spare; /* past the end: simk_chart_list fails */
	struct simk_tpl *p = *n < SIMK_CHART_TEMPLATES ? &tpls[*n] : &spare;
	static const enum simk_tpl_role roles[NKINDS] = {
	        [K_CRD] = SIMK_TPL_CRD,
	        [K_HELPERS] = SIMK_TPL_PARTIAL,
	        [K_NOTES] = SIMK_TPL_NOTES,
	        [K_POD] = SIMK_TPL_TEST,
	};

	(*n)++;
	p->role = roles[k];
	p->order = (int)k;
	p->kind = (int)k;
	p->crd = crd;
	p->comp = comp;
	return p;
}

int simk_chart_list(struct simk_tpl *tpls, uint64_t seed)
{
	struct tw t = {.rng = seed};
	double w[SIMK_CHART_TEMPLATES], sum_crd = 0, sum_other = 0;
	char plural[48];
	int n = 0;

	for (int i = 0; i < NCRDS; i++) {
		bool gw = i >= NCONSUL_CRDS;
		crd_plural(crd_kinds[i], plural, sizeof plural);
		snprintf(add_tpl(tpls, &n, K_CRD, i, -1)->name, sizeof tpls->name, "crd-%s%s.yaml",
		         plural, gw ? "-external" : "");
	}
	for (int c = 0; c < NCOMPS; c++)
		for (int k = 0; k < NKINDS; k++)
			if (comps[c].kinds & KM(k))
				snprintf(add_tpl(tpls, &n, (enum kind)k, -1, c)->name,
				         sizeof tpls->name, "%s-%s.yaml", comps[c].name,
				         kinds[k].suffix);
	snprintf(add_tpl(tpls, &n, K_HELPERS, -1, -1)->name, sizeof tpls->name, "_helpers.tpl");
	snprintf(add_tpl(tpls, &n, K_NOTES, -1, -1)->name, sizeof tpls->name, "NOTES.txt");
	snprintf(add_tpl(tpls, &n, K_POD, -1, NCOMPS)->name, sizeof tpls->name,
	         "tests/test-runner.yaml");
	if (n != SIMK_CHART_TEMPLATES)
		return -1;
	/* The CRDs share CRD_BYTES, a few large and most small, the others
	 * OTHER_BYTES by the weight of their kind. */
	for (int i = 0; i < n; i++) {
		double u = (double)(rnd(&t) >> 11) / 9007199254740992.0;
		if (tpls[i].kind == K_CRD)
			sum_crd += w[i] = 0.35 + 7 * u * u * u;
		else
			sum_other += w[i] = kinds[tpls[i].kind].weight * (0.7 + 0.6 * u);
	}
	for (int i = 0; i < n; i++) {
		tpls[i].target = (size_t)(w[i] * (tpls[i].kind == K_CRD ? CRD_BYTES / sum_crd
		                                                        : OTHER_BYTES / sum_other));
		tpls[i].seed = rnd(&t);
	}
	qsort(tpls, (size_t)n, sizeof *tpls, cmp_tpl);
	return 0;
}

char *simk_tpl_text(const struct simk_tpl *p, bool render, const struct sim_install *in)
{
	struct tw t = {.render = render, .in = in, .rng = p->seed};
	struct comp_ctx x;

	switch (p->kind) {
	case K_CRD:
		crd_template(&t, p->crd, p->target);
		break;
	case K_HELPERS:
		helpers(&t, p->target);
		break;
	case K_NOTES:
		notes(&t, p->target);
		break;
	default:
		comp_ctx(&x, p->comp);
		component_template(&t, &x, (enum kind)p->kind, p->target);
		break;
	}
	return sb_take(&t.out);
}

static const char helmignore[] = "# What helm package leaves out of the chart.\n"
                                 ".DS_Store\n.git/\n.gitignore\n.bzr/\n.hg/\n.svn/\n"
                                 "*.swp\n*.bak\n*.tmp\n*~\n.project\n.idea/\n*.tmproj\n"
                                 ".vscode/\ntest/\n";

static void readme(struct tw *t)
{
	char text[640];

	lit(t, "# Consul Helm Chart\n");
	while (t->tlen < 2600) {
		sentences(t, text, sizeof text);
		litf(t, "\n%s\n", text);
	}
}

static void prometheus_values(struct tw *t)
{
	char name[40];

	lit(t, "# Values for a Prometheus to scrape the chart's components.\nserver:\n");
	while (t->tlen < 900) {
		prop_name(t, name, sizeof name);
		litf(t, "  %s: %s\n", name, plain[rndn(t, NPLAIN)]);
	}
}

char *simk_chart_other_file(int i, uint64_t seed, const char **name)
{
	struct tw t = {.rng = seed + (uint64_t)i};

	switch (i) {
	case 0:
		*name = ".helmignore";
		lit(&t, helmignore);
		break;
	case 1:
		*name = "README.md";
		readme(&t);
		break;
	case 2:
		*name = "addons/values/prometheus.yaml";
		prometheus_values(&t);
		break;
	default:
		*name = NULL;
		return NULL;
	}
	return sb_take(&t.out);
}
