/* config: the options tables, diagnostics, values, and the settings'
 * consumers: what every file of the module shares (src/config_internal.h).
 * The command line and the environment are read in config_args.c, the file
 * in config_file.c, the layers put together in config_load.c, and the
 * settings printed in config_print.c. */
#include "autoconfig.h"

#include "peerscope/config.h"

#include "config_internal.h"

#include "peerscope/codec.h"
#include "peerscope/http.h"
#include "peerscope/kubeconfig.h"
#include "peerscope/term.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ------------------------------------------------------------ the tables */

const struct config_option config_table[CONFIG_KEY_COUNT] = {
        [CONFIG_KEY_HELP] = {NULL, "help", 'h', NULL, NULL, CONFIG_T_ACTION, NULL,
                             "show this help and exit"},
        [CONFIG_KEY_VERSION] = {NULL, "version", 'V', NULL, NULL, CONFIG_T_ACTION, NULL,
                                "show the version and exit"},
        [CONFIG_KEY_CONFIG] = {NULL, "config", 0, "FILE", NULL, CONFIG_T_PATH,
                               "$XDG_CONFIG_HOME/peerscope/config.yaml",
                               "read the configuration from FILE"},
        [CONFIG_KEY_KUBECONFIG] = {"kubeconfig", "kubeconfig", 0, "FILE", "KUBECONFIG",
                                   CONFIG_T_PATH, "~/.kube/config",
                                   "kubeconfig file(s), ':'-separated"},
        [CONFIG_KEY_CONTEXT] = {NULL, "context", 0, "NAME,...", NULL, CONFIG_T_LIST, NULL,
                                "show only these clusters (names or contexts)"},
        [CONFIG_KEY_READONLY] = {"readonly", "readonly", 0, NULL, NULL, CONFIG_T_BOOL, "false",
                                 "offer no action that changes anything"},
        [CONFIG_KEY_THEME] = {"theme", "theme", 0, "NAME", NULL, CONFIG_T_STRING, "default",
                              "colour theme: a name or a file"},
        [CONFIG_KEY_NO_COLOR] = {"no_color", "no-color", 0, NULL, "NO_COLOR", CONFIG_T_BOOL,
                                 "false", "do not use colours"},
        [CONFIG_KEY_ASCII] = {"ascii", "ascii", 0, NULL, NULL, CONFIG_T_BOOL, "false",
                              "draw with ASCII characters only"},
        [CONFIG_KEY_REFRESH] = {"refresh", NULL, 0, NULL, NULL, CONFIG_T_DURATION, "5s",
                                "how often stream health is polled"},
        [CONFIG_KEY_STEADY_REFRESH] = {"steady_refresh", NULL, 0, NULL, NULL, CONFIG_T_DURATION,
                                       "15s",
                                       "how often the stream health of a steady cluster is polled"},
        [CONFIG_KEY_KUBE_PROBE] = {"kube_probe", NULL, 0, NULL, NULL, CONFIG_T_DURATION, "30s",
                                   "how often a Kubernetes API server that answers is probed"},
        [CONFIG_KEY_HIGHLIGHT] = {"highlight", NULL, 0, NULL, NULL, CONFIG_T_DURATION, "3s",
                                  "how long a new or changed row stays highlighted (0s: never)"},
        [CONFIG_KEY_LOG_FILE] = {"log_file", "log-file", 0, "FILE", NULL, CONFIG_T_PATH, NULL,
                                 "append the log to FILE"},
        [CONFIG_KEY_LOG_LEVEL] = {"log_level", "log-level", 0, "LEVEL", NULL, CONFIG_T_LEVEL,
                                  "info", "error, warn, info, debug; --core-dumps allows cores"},
        [CONFIG_KEY_ONCE] = {NULL, "once", 0, NULL, NULL, CONFIG_T_BOOL, "false",
                             "print every cluster's state once (--timeout D)"},
        [CONFIG_KEY_OUTPUT] = {NULL, "output", 'o', "FORMAT", NULL, CONFIG_T_STRING, "table",
                               "table or json (--once, the operations, check)"},
        [CONFIG_KEY_TIMEOUT] = {NULL, "timeout", 0, "DURATION", NULL, CONFIG_T_DURATION, "10s",
                                "how long --once waits for every cluster", CONFIG_HELP_INLINE},
        [CONFIG_KEY_STRICT] = {NULL, "strict", 0, NULL, NULL, CONFIG_T_BOOL, "false",
                               "check: a warning or an unknown fails too", CONFIG_HELP_INLINE},
        [CONFIG_KEY_DEMO] = {NULL, "demo", 0, NULL, NULL, CONFIG_T_BOOL, "false",
                             "simulated clusters, the tour: --demo --help"},
        [CONFIG_KEY_NO_MOUSE] = {NULL, "no-mouse", 0, NULL, NULL, CONFIG_T_BOOL, "false",
                                 "leave the mouse to the terminal"},
        [CONFIG_KEY_CORE_DUMPS] = {NULL, "core-dumps", 0, NULL, NULL, CONFIG_T_BOOL, "false",
                                   "allow core dumps (they hold tokens: for debugging)",
                                   CONFIG_HELP_INLINE},
        [CONFIG_KEY_AUDIT_LOG] = {"audit_log", "audit-log", 0, "FILE", NULL, CONFIG_T_PATH,
                                  "$XDG_STATE_HOME/peerscope/audit.log",
                                  "the audit log: a line for every change made", CONFIG_HELP_OPS},
        [CONFIG_KEY_WAIT] = {NULL, "wait", 0, "DURATION", NULL, CONFIG_T_DURATION, "2m",
                             "how long each wait of an operation lasts", CONFIG_HELP_OPS},
        [CONFIG_KEY_NAME] = {NULL, "name", 0, "NAME", NULL, CONFIG_T_STRING, NULL,
                             "peer name on the first (default: the second's name)",
                             CONFIG_HELP_OPS},
        [CONFIG_KEY_DIALER_NAME] = {NULL, "dialer-name", 0, "NAME", NULL, CONFIG_T_STRING, NULL,
                                    "peer name on the second (default: the first's)",
                                    CONFIG_HELP_OPS},
        [CONFIG_KEY_SECRET_NAME] = {NULL, "secret-name", 0, "NAME", NULL, CONFIG_T_STRING, NULL,
                                    "the token Secret (default: peering-token-NAME)",
                                    CONFIG_HELP_OPS},
        [CONFIG_KEY_PARTITION] = {NULL, "partition", 0, "P", NULL, CONFIG_T_STRING, NULL,
                                  "admin partition on the first (Enterprise)", CONFIG_HELP_OPS},
        [CONFIG_KEY_DIALER_PARTITION] = {NULL, "dialer-partition", 0, "P", NULL, CONFIG_T_STRING,
                                         NULL, "admin partition on the second (Enterprise)",
                                         CONFIG_HELP_OPS},
        [CONFIG_KEY_SERVICE] = {NULL, "service", 0, "SERVICE", NULL, CONFIG_T_STRING, NULL,
                                "gateway-mode: of this service (ServiceDefaults)", CONFIG_HELP_OPS},
        [CONFIG_KEY_TO] = {NULL, "to", 0, "PEER", NULL, CONFIG_T_STRING, NULL,
                           "export, unexport: the consumer peer", CONFIG_HELP_OPS},
        [CONFIG_KEY_FROM] = {NULL, "from", 0, "PEER", NULL, CONFIG_T_STRING, NULL,
                             "allow, deny: the calling peer", CONFIG_HELP_OPS},
        [CONFIG_KEY_YES] = {NULL, "yes", 'y', NULL, NULL, CONFIG_T_BOOL, "false",
                            "do not ask before deleting or replacing anything", CONFIG_HELP_OPS},
        [CONFIG_KEY_DRY_RUN] = {NULL, "dry-run", 0, NULL, NULL, CONFIG_T_BOOL, "false",
                                "print the manifests and requests, change nothing",
                                CONFIG_HELP_OPS},
        [CONFIG_KEY_SCRIPT] = {NULL, "script", 0, "FILE", NULL, CONFIG_T_PATH, NULL,
                               "play the script FILE on the dashboard", CONFIG_HELP_DEMO},
        [CONFIG_KEY_TOUR] = {NULL, "tour", 0, NULL, NULL, CONFIG_T_BOOL, "false",
                             "with --demo: the guided tour (Space goes on)", CONFIG_HELP_DEMO},
        [CONFIG_KEY_TOUR_AUTO] = {NULL, "tour-auto", 0, "SECONDS", NULL, CONFIG_T_STRING, NULL,
                                  "the tour goes on by itself after SECONDS", CONFIG_HELP_DEMO},
        [CONFIG_KEY_DEMO_CLUSTERS] = {NULL, "demo-clusters", 0, "N", NULL, CONFIG_T_STRING, "3",
                                      "simulated clusters, 2 to 8", CONFIG_HELP_DEMO},
        [CONFIG_KEY_DEMO_SCALE] = {NULL, "demo-scale", 0, "services=N", NULL, CONFIG_T_STRING, NULL,
                                   "more services in each simulated cluster", CONFIG_HELP_DEMO},
        [CONFIG_KEY_KEYS] = {"keys", NULL, 0, NULL, NULL, CONFIG_T_KEYS, NULL,
                             "keys of actions, replacing their defaults (quit: \"q F10\")"},
        [CONFIG_KEY_CLUSTERS] = {"clusters", NULL, 0, NULL, NULL, CONFIG_T_CLUSTERS, NULL,
                                 "the clusters to show (default: every kubeconfig context)"},
};

const struct config_option config_cluster_table[CONFIG_CK_COUNT] = {
        [CONFIG_CK_NAME] = {"name", NULL, 0, NULL, NULL, CONFIG_T_STRING, NULL,
                            "unique name of the cluster (required)"},
        [CONFIG_CK_CONTEXT] = {"context", NULL, 0, NULL, NULL, CONFIG_T_STRING, NULL,
                               "kubeconfig context; omit for a Consul-only cluster"},
        [CONFIG_CK_NAMESPACE] = {"namespace", NULL, 0, NULL, NULL, CONFIG_T_NAMESPACE, "consul",
                                 "namespace where consul-k8s runs and the CRs live"},
        [CONFIG_CK_READONLY] = {"readonly", NULL, 0, NULL, NULL, CONFIG_T_BOOL, "false",
                                "never change anything in this cluster"},
        [CONFIG_CK_PARTITIONS] = {"partitions", NULL, 0, NULL, NULL, CONFIG_T_PARTITIONS, NULL,
                                  "Consul Enterprise admin partitions to read: a list, or all"},
        [CONFIG_CK_CONSUL] = {"consul", NULL, 0, NULL, NULL, CONFIG_T_MAPPING, NULL,
                              "how to reach Consul"},
        [CONFIG_CK_ADDRESS] = {"address", NULL, 0, NULL, "CONSUL_HTTP_ADDR", CONFIG_T_ADDRESS, NULL,
                               "Consul HTTP address; omit to go through the Kubernetes API "
                               "server's service proxy"},
        [CONFIG_CK_TOKEN] = {"token", NULL, 0, NULL, "CONSUL_HTTP_TOKEN", CONFIG_T_SECRET, NULL,
                             "ACL token (discouraged: prefer token_file)"},
        [CONFIG_CK_TOKEN_FILE] = {"token_file", NULL, 0, NULL, "CONSUL_HTTP_TOKEN_FILE",
                                  CONFIG_T_PATH, NULL, "file holding the ACL token"},
        [CONFIG_CK_CA_FILE] = {"ca_file", NULL, 0, NULL, "CONSUL_CACERT", CONFIG_T_PATH, NULL,
                               "CA certificate(s) to verify Consul's certificate"},
        [CONFIG_CK_CLIENT_CERT_FILE] = {"client_cert_file", NULL, 0, NULL, "CONSUL_CLIENT_CERT",
                                        CONFIG_T_PATH, NULL, "client certificate for mutual TLS"},
        [CONFIG_CK_CLIENT_KEY_FILE] = {"client_key_file", NULL, 0, NULL, "CONSUL_CLIENT_KEY",
                                       CONFIG_T_PATH, NULL, "client key for mutual TLS"},
        [CONFIG_CK_TLS_SERVER_NAME] = {"tls_server_name", NULL, 0, NULL, "CONSUL_TLS_SERVER_NAME",
                                       CONFIG_T_STRING, NULL,
                                       "name to verify Consul's certificate against"},
        [CONFIG_CK_INSECURE] = {"insecure_skip_verify", NULL, 0, NULL, "CONSUL_HTTP_SSL_VERIFY",
                                CONFIG_T_BOOL, "false",
                                "do not verify Consul's certificate (warned; "
                                "CONSUL_HTTP_SSL_VERIFY=false sets it)"},
        [CONFIG_CK_GATEWAY_TOKEN_FILE] = {"gateway_token_file", NULL, 0, NULL, NULL, CONFIG_T_PATH,
                                          NULL,
                                          "file holding the mesh gateways' ACL token, for the "
                                          "checks of its grants"},
};

const struct config_option *config_options(size_t *count)
{
	*count = CONFIG_KEY_COUNT;
	return config_table;
}

const struct config_option *config_cluster_options(size_t *count)
{
	*count = CONFIG_CK_COUNT;
	return config_cluster_table;
}

const char *config_type_expectation(enum config_type t)
{
	switch (t) {
	case CONFIG_T_BOOL:
		return "true or false";
	case CONFIG_T_DURATION:
		return "a duration such as 5s, 500ms or 1m";
	case CONFIG_T_LEVEL:
		return "one of error, warn, info, debug";
	case CONFIG_T_ADDRESS:
		return "an address such as https://127.0.0.1:8501 or 127.0.0.1:8500";
	case CONFIG_T_NAMESPACE:
		return "a Kubernetes namespace name (lowercase letters, digits and '-', "
		       "at most 63)";
	case CONFIG_T_PATH:
		return "a file path";
	case CONFIG_T_CLUSTERS:
		return "a list of clusters";
	case CONFIG_T_MAPPING:
		return "a mapping of keys";
	case CONFIG_T_KEYS:
		return "a mapping of action names to key names, such as quit: \"q F10\"";
	case CONFIG_T_LIST:
		return "a comma-separated list of names";
	case CONFIG_T_PARTITIONS:
		return "a list of admin partition names (lowercase letters, digits and '-', at "
		       "most 63), or all";
	default:
		return "a string";
	}
}

/* ------------------------------------------------------------ diagnostics */

void config_diag(struct config_diags *d, bool warning, const char *where, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (!warning)
		d->errors++; /* counted even if it cannot be stored */
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	struct config_diag *grown = realloc(d->v, (d->n + 1) * sizeof *grown);
	if (!grown)
		return;
	d->v = grown;
	grown[d->n].warning = warning;
	grown[d->n].where = where ? strdup(where) : NULL;
	grown[d->n].msg = strdup(msg);
	if (grown[d->n].msg)
		d->n++;
	else
		free(grown[d->n].where);
}

void config_diags_print(const struct config_diags *d, FILE *out)
{
	for (size_t i = 0; i < d->n; i++)
		term_fprintf(out, "%s%s%s: %s\n", d->v[i].where ? d->v[i].where : "",
		             d->v[i].where ? ": " : "", d->v[i].warning ? "warning" : "error",
		             d->v[i].msg);
	if (d->errors > d->n)
		fprintf(out, "error: %zu more errors could not be stored (out of memory)\n",
		        d->errors - d->n);
}

void config_diags_free(struct config_diags *d)
{
	for (size_t i = 0; i < d->n; i++) {
		free(d->v[i].where);
		free(d->v[i].msg);
	}
	free(d->v);
	memset(d, 0, sizeof *d);
}

/* ------------------------------------------------------------ durations */

static long unit_ms(const char *u, size_t len)
{
	static const struct {
		const char *name;
		long ms;
	} units[] = {{"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000}};

	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
		if (strlen(units[i].name) == len && !strncmp(u, units[i].name, len))
			return units[i].ms;
	return 0;
}

bool config_parse_duration(const char *text, long *ms)
{
	const char *p = text;
	double total = 0;

	if (!text || !*text)
		return false;
	while (*p) {
		if (!isdigit((unsigned char)*p) && *p != '.')
			return false;
		char *end;
		errno = 0;
		double v = strtod(p, &end);
		if (end == p || errno)
			return false;
		p = end;
		size_t ulen = 0;
		while (isalpha((unsigned char)p[ulen]))
			ulen++;
		long unit = unit_ms(p, ulen);
		if (!unit)
			return false;
		total += v * (double)unit;
		p += ulen;
	}
	if (total > (double)LONG_MAX / 2)
		return false;
	*ms = (long)(total + 0.5);
	return true;
}

char *config_format_duration(long ms, char *out, size_t outlen)
{
	size_t o = 0;

	if (ms <= 0 || ms % 1000) {
		snprintf(out, outlen, "%ldms", ms);
		return out;
	}
	long s = ms / 1000;
	out[0] = '\0';
	if (s >= 3600)
		o += (size_t)snprintf(out + o, outlen - o, "%ldh", s / 3600);
	if (o < outlen && s % 3600 >= 60)
		o += (size_t)snprintf(out + o, outlen - o, "%ldm", s % 3600 / 60);
	if (o < outlen && s % 60)
		snprintf(out + o, outlen - o, "%lds", s % 60);
	return out;
}

/* ------------------------------------------------------------ suggestions */

static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	size_t row[64];

	if (la >= 63 || lb >= 63)
		return SIZE_MAX;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag_prev = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t cost = tolower((unsigned char)a[i - 1]) !=
			              tolower((unsigned char)b[j - 1]);
			size_t best = diag_prev + cost;
			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag_prev = up;
		}
	}
	return row[lb];
}

/* The candidate nearest to word, if it is near enough to be a typo. */
static const char *suggest(const char *word, const char *const *cands, size_t n)
{
	const char *best = NULL;
	size_t best_d = SIZE_MAX, limit = strlen(word) <= 4 ? 1 : strlen(word) <= 8 ? 2 : 3;

	for (size_t i = 0; i < n; i++) {
		if (!cands[i])
			continue;
		size_t dist = edit_distance(word, cands[i]);
		if (dist < best_d) {
			best_d = dist;
			best = cands[i];
		}
	}
	return best_d <= limit ? best : NULL;
}

/* " (did you mean 'x'?)" or "". */
const char *config_did_you_mean(const char *word, const char *const *cands, size_t n, char *buf,
                                size_t len)
{
	const char *s = suggest(word, cands, n);

	if (!s)
		return "";
	snprintf(buf, len, " (did you mean '%s'?)", s);
	return buf;
}

/* ------------------------------------------------------------ values */

static char *expand_path(const struct config_loader *ld, const char *text, bool from_file)
{
	char *out;

	if (text[0] == '~' && (text[1] == '/' || !text[1])) {
		if (!ld->home)
			return strdup(text);
		if (asprintf(&out, "%s%s", ld->home, text + 1) < 0)
			return NULL;
		return out;
	}
	if (text[0] == '/' || !from_file || !ld->file_dir)
		return strdup(text);
	if (asprintf(&out, "%s/%s", ld->file_dir, text) < 0)
		return NULL;
	return out;
}

static bool valid_namespace(const char *s)
{
	size_t len = strlen(s);

	if (!len || len > 63 || s[0] == '-' || s[len - 1] == '-')
		return false;
	for (const char *p = s; *p; p++)
		if (!islower((unsigned char)*p) && !isdigit((unsigned char)*p) && *p != '-')
			return false;
	return true;
}

/* "http(s)://host[:port][/...]" or "host:port" (http assumed). Returns the
 * normalized address, or NULL (*oom tells why). */
static char *normalize_address(const char *s, bool *oom)
{
	char *out = NULL;
	const char *host = s;

	*oom = false;
	if (!strncasecmp(s, "http://", 7))
		host = s + 7;
	else if (!strncasecmp(s, "https://", 8))
		host = s + 8;
	else if (strstr(s, "://"))
		return NULL;
	if (!*host || *host == '/' || *host == ':' || strpbrk(host, " \t"))
		return NULL;
	if (host == s) {
		if (!strchr(s, ':'))
			return NULL; /* "consul" alone: a port is needed without a scheme */
		if (asprintf(&out, "http://%s", s) < 0)
			out = NULL;
	} else {
		out = strdup(s);
	}
	if (!out)
		*oom = true;
	return out;
}

bool config_parse_bool(const char *s, bool *out)
{
	if (!strcmp(s, "true") || !strcmp(s, "True") || !strcmp(s, "TRUE")) {
		*out = true;
		return true;
	}
	if (!strcmp(s, "false") || !strcmp(s, "False") || !strcmp(s, "FALSE")) {
		*out = false;
		return true;
	}
	return false;
}

/* Settings held as numbers or flags: 0 stored, -1 not valid, 1 when O's
 * type is held as a string. */
static int set_scalar(const struct config_option *o, const char *text, void *field)
{
	long ms;

	switch (o->type) {
	case CONFIG_T_BOOL:
		return config_parse_bool(text, field) ? 0 : -1;
	case CONFIG_T_LEVEL:
		return log_level_parse(text, field) ? 0 : -1;
	case CONFIG_T_DURATION:
		if (!config_parse_duration(text, &ms))
			return -1;
		*(long *)field = ms;
		return 0;
	default:
		return 1;
	}
}

/* The stored form of a string setting, or NULL: *bad tells a value that is
 * not valid from running out of memory. */
static char *string_value(const struct config_loader *ld, const struct config_option *o,
                          const char *text, bool from_file, bool *bad)
{
	bool oom = false;
	char *s;

	*bad = !*text;
	if (*bad)
		return NULL;
	switch (o->type) {
	case CONFIG_T_NAMESPACE:
		*bad = !valid_namespace(text);
		return *bad ? NULL : strdup(text);
	case CONFIG_T_ADDRESS:
		s = normalize_address(text, &oom);
		*bad = !s && !oom;
		return s;
	case CONFIG_T_PATH:
		return expand_path(ld, text, from_file);
	default:
		return strdup(text);
	}
}

/* Stores TEXT into the setting at FIELD. Returns 0, or -1 after describing
 * the problem in why. Only empty values of free-form strings are refused,
 * so a secret is never quoted back. */
int config_set_value(struct config_loader *ld, const struct config_option *o, const char *text,
                     void *field, bool from_file, char *why, size_t whylen)
{
	bool bad;
	int rc = set_scalar(o, text, field);

	if (rc == 0)
		return 0;
	char *s = rc < 0 ? NULL : string_value(ld, o, text, from_file, &bad);
	if (rc < 0 || bad) {
		if (*text)
			snprintf(why, whylen, "expected %s, found '%s'",
			         config_type_expectation(o->type), text);
		else
			snprintf(why, whylen, "expected %s, found an empty string",
			         config_type_expectation(o->type));
		return -1;
	}
	if (!s) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	char *old = *(char **)field;
	if (old && o->type == CONFIG_T_SECRET)
		explicit_bzero(old, strlen(old));
	free(old);
	*(char **)field = s;
	return 0;
}

void *config_global_field(struct config *cfg, enum config_key k)
{
	switch (k) {
	case CONFIG_KEY_CONFIG:
		return &cfg->config_file;
	case CONFIG_KEY_KUBECONFIG:
		return &cfg->kubeconfig;
	case CONFIG_KEY_READONLY:
		return &cfg->readonly;
	case CONFIG_KEY_THEME:
		return &cfg->theme;
	case CONFIG_KEY_NO_COLOR:
		return &cfg->no_color;
	case CONFIG_KEY_ASCII:
		return &cfg->ascii;
	case CONFIG_KEY_REFRESH:
		return &cfg->refresh_ms;
	case CONFIG_KEY_STEADY_REFRESH:
		return &cfg->steady_refresh_ms;
	case CONFIG_KEY_KUBE_PROBE:
		return &cfg->kube_probe_ms;
	case CONFIG_KEY_HIGHLIGHT:
		return &cfg->highlight_ms;
	case CONFIG_KEY_LOG_FILE:
		return &cfg->log_file;
	case CONFIG_KEY_LOG_LEVEL:
		return &cfg->log_level;
	case CONFIG_KEY_ONCE:
		return &cfg->once;
	case CONFIG_KEY_OUTPUT:
		return &cfg->output;
	case CONFIG_KEY_TIMEOUT:
		return &cfg->timeout_ms;
	case CONFIG_KEY_STRICT:
		return &cfg->strict;
	case CONFIG_KEY_DEMO:
		return &cfg->demo;
	case CONFIG_KEY_NO_MOUSE:
		return &cfg->no_mouse;
	case CONFIG_KEY_CORE_DUMPS:
		return &cfg->core_dumps;
	case CONFIG_KEY_AUDIT_LOG:
		return &cfg->audit_log;
	case CONFIG_KEY_WAIT:
		return &cfg->wait_ms;
	case CONFIG_KEY_NAME:
		return &cfg->name;
	case CONFIG_KEY_DIALER_NAME:
		return &cfg->dialer_name;
	case CONFIG_KEY_SECRET_NAME:
		return &cfg->secret_name;
	case CONFIG_KEY_PARTITION:
		return &cfg->partition;
	case CONFIG_KEY_DIALER_PARTITION:
		return &cfg->dialer_partition;
	case CONFIG_KEY_SERVICE:
		return &cfg->service;
	case CONFIG_KEY_TO:
		return &cfg->to;
	case CONFIG_KEY_FROM:
		return &cfg->from;
	case CONFIG_KEY_YES:
		return &cfg->yes;
	case CONFIG_KEY_DRY_RUN:
		return &cfg->dry_run;
	case CONFIG_KEY_SCRIPT:
		return &cfg->script;
	case CONFIG_KEY_TOUR:
		return &cfg->tour;
	case CONFIG_KEY_TOUR_AUTO:
		return &cfg->tour_auto;
	case CONFIG_KEY_DEMO_CLUSTERS:
		return &cfg->demo_clusters;
	case CONFIG_KEY_DEMO_SCALE:
		return &cfg->demo_scale;
	default:
		return NULL;
	}
}

void *config_cluster_field(struct config_cluster *c, enum config_cluster_key k)
{
	switch (k) {
	case CONFIG_CK_NAME:
		return &c->name;
	case CONFIG_CK_CONTEXT:
		return &c->context;
	case CONFIG_CK_NAMESPACE:
		return &c->namespace;
	case CONFIG_CK_READONLY:
		return &c->readonly;
	case CONFIG_CK_ADDRESS:
		return &c->consul.address;
	case CONFIG_CK_TOKEN:
		return &c->consul.token;
	case CONFIG_CK_TOKEN_FILE:
		return &c->consul.token_file;
	case CONFIG_CK_CA_FILE:
		return &c->consul.ca_file;
	case CONFIG_CK_CLIENT_CERT_FILE:
		return &c->consul.client_cert_file;
	case CONFIG_CK_CLIENT_KEY_FILE:
		return &c->consul.client_key_file;
	case CONFIG_CK_TLS_SERVER_NAME:
		return &c->consul.tls_server_name;
	case CONFIG_CK_INSECURE:
		return &c->consul.insecure_skip_verify;
	case CONFIG_CK_GATEWAY_TOKEN_FILE:
		return &c->consul.gateway_token_file;
	default:
		return NULL;
	}
}

/* "file:line:col", the variable, or the flag of an origin. */
const char *config_origin_where(const struct config_loader *ld, const struct config_origin *o,
                                char *buf, size_t len)
{
	switch (o->source) {
	case CONFIG_SRC_FILE:
		snprintf(buf, len, "%s:%u:%u", ld->file ? ld->file : "config", o->line, o->column);
		return buf;
	case CONFIG_SRC_ENV:
		snprintf(buf, len, "environment variable %s", o->name);
		return buf;
	case CONFIG_SRC_FLAG:
		snprintf(buf, len, "--%s", o->name);
		return buf;
	case CONFIG_SRC_KUBECONFIG:
		snprintf(buf, len, "kubeconfig %s", o->name ? o->name : "");
		return buf;
	default:
		return NULL;
	}
}

/* ------------------------------------------------------------ warnings */

void config_warn_at(struct config_loader *ld, const struct config_origin *o, const char *fmt, ...)
{
	char where[4200], msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	config_diag(ld->d, true, config_origin_where(ld, o, where, sizeof where), "%s", msg);
}

/* ------------------------------------------------------- cluster entries */

static void cluster_defaults(struct config_cluster *c)
{
	memset(c, 0, sizeof *c);
	c->namespace = strdup(config_cluster_table[CONFIG_CK_NAMESPACE].def);
}

void config_cluster_clear(struct config_cluster *c)
{
	free(c->name);
	free(c->context);
	free(c->namespace);
	free(c->consul.address);
	if (c->consul.token) {
		explicit_bzero(c->consul.token, strlen(c->consul.token));
		free(c->consul.token);
	}
	free(c->consul.token_file);
	free(c->consul.ca_file);
	free(c->consul.client_cert_file);
	free(c->consul.client_key_file);
	free(c->consul.tls_server_name);
	free(c->consul.gateway_token_file);
	for (size_t i = 0; i < c->npartitions; i++)
		free(c->partitions[i]);
	free(c->partitions);
	memset(c, 0, sizeof *c);
}

struct config_cluster *config_cluster_add(struct config *cfg)
{
	/* Geometric: a kubeconfig of 20,000 contexts makes as many clusters,
	 * and growing by one copied them all each time. */
	if (cfg->nclusters == cfg->capclusters) {
		size_t cap = cfg->capclusters ? 2 * cfg->capclusters : 8;
		struct config_cluster *grown = realloc(cfg->clusters, cap * sizeof *grown);
		if (!grown)
			return NULL;
		cfg->clusters = grown;
		cfg->capclusters = cap;
	}
	struct config_cluster *c = &cfg->clusters[cfg->nclusters];
	cluster_defaults(c);
	if (!c->namespace)
		return NULL;
	cfg->nclusters++;
	return c;
}

/* ------------------------------------------------------------ freeing */

void config_free(struct config *cfg)
{
	if (!cfg)
		return;
	for (size_t i = 0; i < cfg->nclusters; i++)
		config_cluster_clear(&cfg->clusters[i]);
	free(cfg->clusters);
	for (size_t i = 0; i < cfg->ncontexts; i++)
		free(cfg->contexts[i]);
	free(cfg->contexts);
	free(cfg->config_file);
	free(cfg->kubeconfig);
	free(cfg->theme);
	free(cfg->log_file);
	free(cfg->output);
	free(cfg->audit_log);
	free(cfg->script);
	free(cfg->tour_auto);
	free(cfg->demo_clusters);
	free(cfg->demo_scale);
	free(cfg->name);
	free(cfg->dialer_name);
	free(cfg->secret_name);
	free(cfg->partition);
	free(cfg->dialer_partition);
	free(cfg->service);
	free(cfg->to);
	free(cfg->from);
	for (size_t i = 0; i < cfg->nbindings; i++) {
		free(cfg->bindings[i].action);
		free(cfg->bindings[i].keys);
	}
	free(cfg->bindings);
	kubeconfig_free(cfg->kube);
	free(cfg);
}

bool config_cluster_readonly(const struct config *cfg, const struct config_cluster *c)
{
	return cfg->readonly || c->readonly;
}

/* ------------------------------------------------------------ consumers */

/* The token in PATH (a regular file), blanks around it removed: 0, or -1
 * with ERR naming the file, never the token. */
static int read_token_file(const struct config_cluster *c, const char *path, char **token,
                           char *err, size_t errlen)
{
	char why[256];
	size_t len = 0;
	/* A regular file only: a FIFO would block the connection for ever. */
	char *buf = kubeconfig_read_file(path, 4096, 0, &len, why, sizeof why);

	*token = NULL;
	if (!buf) {
		bool is = !strncmp(why, "is ", 3) || strstr(why, "larger than");
		term_snprintf(err, errlen, "cluster '%s': token file %s%s%s", c->name, path,
		              is ? " " : ": ",
		              strstr(why, "larger than") ? "is longer than 4 KiB" : why);
		return -1;
	}
	/* Blanks around the token go, as Consul trims a token file. */
	while (len && isspace((unsigned char)buf[len - 1]))
		buf[--len] = '\0';
	size_t lead = strspn(buf, " \t\r\n\v\f");
	if (!len || !http_header_safe(buf + lead)) {
		codec_wipe(buf, len);
		free(buf);
		snprintf(err, errlen, "cluster '%s': token file %s %s", c->name, path,
		         !len ? "is empty"
		              : "holds a line break or another control character within the "
		                "token: refused (it would be sent as request headers of its own)");
		return -1;
	}
	*token = strdup(buf + lead);
	codec_wipe(buf, len);
	free(buf);
	if (!*token) {
		snprintf(err, errlen, "cluster '%s': out of memory", c->name);
		return -1;
	}
	return 0;
}

int config_consul_token(const struct config_cluster *c, char **token, char *err, size_t errlen)
{
	*token = NULL;
	if (c->consul.token) {
		*token = strdup(c->consul.token);
		if (!*token) {
			snprintf(err, errlen, "cluster '%s': out of memory", c->name);
			return -1;
		}
		return 0;
	}
	if (!c->consul.token_file)
		return 0;
	return read_token_file(c, c->consul.token_file, token, err, errlen);
}

int config_gateway_token(const struct config_cluster *c, char **token, char *err, size_t errlen)
{
	*token = NULL;
	if (!c->consul.gateway_token_file)
		return 0;
	return read_token_file(c, c->consul.gateway_token_file, token, err, errlen);
}

void config_token_free(char *token)
{
	if (!token)
		return;
	explicit_bzero(token, strlen(token));
	free(token);
}

void config_consul_http_options(const struct config_cluster *c, const char *token,
                                struct http_options *opts)
{
	opts->cluster = c->name;
	opts->base_url = c->consul.address;
	opts->tls.ca_file = c->consul.ca_file;
	opts->tls.cert_file = c->consul.client_cert_file;
	opts->tls.key_file = c->consul.client_key_file;
	opts->tls.server_name = c->consul.tls_server_name;
	opts->tls.insecure = c->consul.insecure_skip_verify;
	opts->auth.consul_token = token;
}
