/* config: options table, command line, config file, environment, validation. */
#include "autoconfig.h"

#include "peerscope/config.h"
#include "peerscope/http.h"
#include "peerscope/kubeconfig.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#define CONFIG_MAX_FILE    (4 * 1024 * 1024)
#define CONFIG_MIN_REFRESH 100L
#define CONFIG_MAX_REFRESH 3600000L
#define COMMENT_COLUMN     44

/* ------------------------------------------------------------ the tables */

static const struct config_option options[CONFIG_KEY_COUNT] = {
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
        [CONFIG_KEY_LOG_FILE] = {"log_file", "log-file", 0, "FILE", NULL, CONFIG_T_PATH, NULL,
                                 "append the log to FILE"},
        [CONFIG_KEY_LOG_LEVEL] = {"log_level", "log-level", 0, "LEVEL", NULL, CONFIG_T_LEVEL,
                                  "info", "log detail: error, warn, info or debug"},
        [CONFIG_KEY_ONCE] = {NULL, "once", 0, NULL, NULL, CONFIG_T_BOOL, "false",
                             "print every cluster's state once, then exit"},
        [CONFIG_KEY_OUTPUT] = {NULL, "output", 'o', "FORMAT", NULL, CONFIG_T_STRING, "table",
                               "output of --once: table or json"},
        [CONFIG_KEY_TIMEOUT] = {NULL, "timeout", 0, "DURATION", NULL, CONFIG_T_DURATION, "10s",
                                "how long --once waits for every cluster"},
        [CONFIG_KEY_DEMO] = {NULL, "demo", 0, NULL, NULL, CONFIG_T_BOOL, "false",
                             "the dashboard on three simulated clusters"},
        [CONFIG_KEY_NO_MOUSE] = {NULL, "no-mouse", 0, NULL, NULL, CONFIG_T_BOOL, "false",
                                 "leave the mouse to the terminal"},
        [CONFIG_KEY_CLUSTERS] = {"clusters", NULL, 0, NULL, NULL, CONFIG_T_CLUSTERS, NULL,
                                 "the clusters to show (default: every kubeconfig context)"},
};

static const struct config_option cluster_options[CONFIG_CK_COUNT] = {
        [CONFIG_CK_NAME] = {"name", NULL, 0, NULL, NULL, CONFIG_T_STRING, NULL,
                            "unique name of the cluster (required)"},
        [CONFIG_CK_CONTEXT] = {"context", NULL, 0, NULL, NULL, CONFIG_T_STRING, NULL,
                               "kubeconfig context; omit for a Consul-only cluster"},
        [CONFIG_CK_NAMESPACE] = {"namespace", NULL, 0, NULL, NULL, CONFIG_T_NAMESPACE, "consul",
                                 "namespace where consul-k8s runs and the CRs live"},
        [CONFIG_CK_READONLY] = {"readonly", NULL, 0, NULL, NULL, CONFIG_T_BOOL, "false",
                                "never change anything in this cluster"},
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
};

const struct config_option *config_options(size_t *count)
{
	*count = CONFIG_KEY_COUNT;
	return options;
}

const struct config_option *config_cluster_options(size_t *count)
{
	*count = CONFIG_CK_COUNT;
	return cluster_options;
}

static const char *type_expectation(enum config_type t)
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
	case CONFIG_T_LIST:
		return "a comma-separated list of names";
	default:
		return "a string";
	}
}

/* ------------------------------------------------------------ diagnostics */

static void diag(struct config_diags *d, bool warning, const char *where, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

static void diag(struct config_diags *d, bool warning, const char *where, const char *fmt, ...)
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
		fprintf(out, "%s%s%s: %s\n", d->v[i].where ? d->v[i].where : "",
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
static const char *did_you_mean(const char *word, const char *const *cands, size_t n, char *buf,
                                size_t len)
{
	const char *s = suggest(word, cands, n);

	if (!s)
		return "";
	snprintf(buf, len, " (did you mean '%s'?)", s);
	return buf;
}

/* ------------------------------------------------------------ command line */

static const struct config_option *find_flag(const char *name, size_t len, enum config_key *key)
{
	for (size_t i = 0; i < CONFIG_KEY_COUNT; i++) {
		if (options[i].flag && strlen(options[i].flag) == len &&
		    !strncmp(options[i].flag, name, len)) {
			*key = (enum config_key)i;
			return &options[i];
		}
	}
	return NULL;
}

static const struct config_option *find_short(char c, enum config_key *key)
{
	for (size_t i = 0; i < CONFIG_KEY_COUNT; i++) {
		if (options[i].short_flag && options[i].short_flag == c) {
			*key = (enum config_key)i;
			return &options[i];
		}
	}
	return NULL;
}

static void unknown_flag(const char *arg, struct config_diags *d)
{
	char flags[CONFIG_KEY_COUNT][40];
	const char *cands[CONFIG_KEY_COUNT];
	char name[128], hint[160];

	for (size_t i = 0; i < CONFIG_KEY_COUNT; i++) {
		snprintf(flags[i], sizeof flags[i], "--%s", options[i].flag ? options[i].flag : "");
		cands[i] = options[i].flag ? flags[i] : NULL;
	}
	snprintf(name, sizeof name, "%.*s", (int)strcspn(arg, "="), arg);
	diag(d, false, NULL, "unknown option '%s'%s", name,
	     did_you_mean(name, cands, CONFIG_KEY_COUNT, hint, sizeof hint));
}

/* Handles argv[*i], a flag; advances *i past a separate argument. */
static void parse_flag(int argc, char **argv, int *i, struct config_args *args,
                       struct config_diags *d)
{
	const char *arg = argv[*i], *value = NULL;
	const struct config_option *opt;
	enum config_key key;

	if (arg[1] == '-') {
		const char *eq = strchr(arg, '=');
		size_t len = eq ? (size_t)(eq - arg - 2) : strlen(arg + 2);
		opt = find_flag(arg + 2, len, &key);
		if (eq)
			value = eq + 1;
	} else {
		opt = arg[2] ? NULL : find_short(arg[1], &key);
	}
	if (!opt) {
		if (arg[1] == '-')
			unknown_flag(arg, d);
		else
			diag(d, false, NULL, "unknown option '%s'", arg);
		return;
	}
	if (!opt->metavar) {
		if (value)
			diag(d, false, NULL, "option '--%s' takes no value", opt->flag);
		else
			args->value[key] = "";
		args->flag_used[key] = arg;
		return;
	}
	if (!value) {
		if (*i + 1 >= argc) {
			diag(d, false, NULL, "option '--%s' needs a value (%s)", opt->flag,
			     opt->metavar);
			return;
		}
		value = argv[++*i];
	}
	args->value[key] = value;
	args->flag_used[key] = opt->flag;
}

int config_parse_args(int argc, char **argv, struct config_args *args, struct config_diags *d)
{
	size_t errors = d->errors;
	bool options_done = false;

	memset(args, 0, sizeof *args);
	args->words = calloc((size_t)(argc > 0 ? argc : 1), sizeof *args->words);
	if (!args->words) {
		diag(d, false, NULL, "out of memory");
		return -1;
	}
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];
		if (options_done || arg[0] != '-' || !arg[1]) {
			args->words[args->nwords++] = arg;
		} else if (!strcmp(arg, "--")) {
			options_done = true;
		} else {
			parse_flag(argc, argv, &i, args, d);
		}
	}
	return d->errors > errors ? -1 : 0;
}

void config_args_free(struct config_args *args)
{
	free(args->words);
	memset(args, 0, sizeof *args);
}

void config_usage(FILE *out)
{
	/* At most 22 lines of at most 80 columns: --help and the two lines the
	 * shell writes after it fit an 80x24 terminal (tests/e2e/config.sh). */
	fprintf(out,
	        "Usage: peerscope [OPTION]... [COMMAND]  (a Consul cluster peering dashboard)\n"
	        "Commands (none: the dashboard; off a terminal, the clusters selected):\n"
	        "  config check    validate the configuration and print it, secrets masked\n"
	        "  config keys     list every config file key, variable and option\n"
	        "Options:\n");
	for (size_t i = 0; i < CONFIG_KEY_COUNT; i++) {
		const struct config_option *o = &options[i];
		char left[64], shortf[8] = "    ";
		if (!o->flag)
			continue;
		if (o->short_flag)
			snprintf(shortf, sizeof shortf, "-%c, ", o->short_flag);
		snprintf(left, sizeof left, "%s--%s%s%s", shortf, o->flag, o->metavar ? " " : "",
		         o->metavar ? o->metavar : "");
		fprintf(out, "  %-26s %s", left, o->help);
		if (o->env)
			fprintf(out, " [%s]", o->env);
		fputc('\n', out);
	}
	fprintf(out, "Settings: peerscope-config(5). Exit status 2: a usage or configuration "
	             "error.\n");
}

/* ------------------------------------------------------------ environment */

static const char *env_get(char *const *envp, const char *name)
{
	size_t len = strlen(name);

	for (size_t i = 0; envp && envp[i]; i++)
		if (!strncmp(envp[i], name, len) && envp[i][len] == '=')
			return envp[i] + len + 1;
	return NULL;
}

/* ------------------------------------------------------------ values */

/* Context for turning text into a setting. */
struct loader {
	struct config *cfg;
	struct config_diags *d;
	char *const *envp;
	const char *home;
	const char *file;     /* config file, for "file:line:col" */
	char *file_dir;       /* its folder, for relative paths */
	yaml_document_t *doc; /* while parsing the file */
	bool file_clusters;   /* the file had a clusters key */
	bool file_kubeconfig; /* the file set kubeconfig */
	bool file_unreadable; /* the file could not be read or parsed at all */
	char *default_file;   /* where the config file is looked for by default */
};

static char *expand_path(const struct loader *ld, const char *text, bool from_file)
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

static bool parse_bool_text(const char *s, bool *out)
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
		return parse_bool_text(text, field) ? 0 : -1;
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
static char *string_value(const struct loader *ld, const struct config_option *o, const char *text,
                          bool from_file, bool *bad)
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
static int set_value(struct loader *ld, const struct config_option *o, const char *text,
                     void *field, bool from_file, char *why, size_t whylen)
{
	bool bad;
	int rc = set_scalar(o, text, field);

	if (rc == 0)
		return 0;
	char *s = rc < 0 ? NULL : string_value(ld, o, text, from_file, &bad);
	if (rc < 0 || bad) {
		if (*text)
			snprintf(why, whylen, "expected %s, found '%s'", type_expectation(o->type),
			         text);
		else
			snprintf(why, whylen, "expected %s, found an empty string",
			         type_expectation(o->type));
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

static void *global_field(struct config *cfg, enum config_key k)
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
	case CONFIG_KEY_DEMO:
		return &cfg->demo;
	case CONFIG_KEY_NO_MOUSE:
		return &cfg->no_mouse;
	default:
		return NULL;
	}
}

static void *cluster_field(struct config_cluster *c, enum config_cluster_key k)
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
	default:
		return NULL;
	}
}

/* "file:line:col", the variable, or the flag of an origin. */
static const char *origin_where(const struct loader *ld, const struct config_origin *o, char *buf,
                                size_t len)
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

/* ------------------------------------------------------------ the file */

static yaml_node_t *node_at(struct loader *ld, yaml_node_item_t id)
{
	return yaml_document_get_node(ld->doc, id);
}

static struct config_origin file_origin(const yaml_node_t *n)
{
	return (struct config_origin){.source = CONFIG_SRC_FILE,
	                              .line = (unsigned)n->start_mark.line + 1,
	                              .column = (unsigned)n->start_mark.column + 1};
}

static void file_error(struct loader *ld, const yaml_node_t *n, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static void file_error(struct loader *ld, const yaml_node_t *n, const char *fmt, ...)
{
	char where[4200], msg[1024];
	va_list ap;

	snprintf(where, sizeof where, "%s:%lu:%lu", ld->file, (unsigned long)n->start_mark.line + 1,
	         (unsigned long)n->start_mark.column + 1);
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	diag(ld->d, false, where, "%s", msg);
}

static void file_warning(struct loader *ld, const struct config_origin *o, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static void file_warning(struct loader *ld, const struct config_origin *o, const char *fmt, ...)
{
	char where[4200], msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	diag(ld->d, true, origin_where(ld, o, where, sizeof where), "%s", msg);
}

static const char *found_what(const yaml_node_t *n)
{
	if (n->type == YAML_MAPPING_NODE)
		return "a mapping";
	if (n->type == YAML_SEQUENCE_NODE)
		return "a list";
	return "nothing";
}

static bool is_null(const yaml_node_t *n)
{
	if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	const char *v = (const char *)n->data.scalar.value;
	return !*v || !strcmp(v, "~") || !strcmp(v, "null");
}

/* Sets one scalar from the file. Returns true when it was stored. */
static bool file_scalar(struct loader *ld, const char *keypath, const struct config_option *o,
                        yaml_node_t *v, void *field)
{
	char why[512];

	if (v->type != YAML_SCALAR_NODE || is_null(v)) {
		file_error(ld, v, "'%s': expected %s, found %s", keypath, type_expectation(o->type),
		           found_what(v));
		return false;
	}
	if (set_value(ld, o, (const char *)v->data.scalar.value, field, true, why, sizeof why)) {
		file_error(ld, v, "'%s': %s", keypath, why);
		return false;
	}
	return true;
}

/* Iterates a mapping, reporting non-scalar keys, duplicate keys and unknown
 * keys (with a suggestion among the table's keys first..last). Calls fn for
 * each known key. */
typedef void (*field_fn)(struct loader *ld, size_t idx, yaml_node_t *key, yaml_node_t *val,
                         void *obj);

static void each_key(struct loader *ld, yaml_node_t *map, const char *what,
                     const struct config_option *table, size_t first, size_t last, field_fn fn,
                     void *obj)
{
	const char *names[CONFIG_KEY_COUNT + CONFIG_CK_COUNT];
	char hint[160];

	for (size_t i = first; i < last; i++)
		names[i - first] = table[i].key;
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *k = node_at(ld, p->key), *v = node_at(ld, p->value);
		if (k->type != YAML_SCALAR_NODE) {
			file_error(ld, k, "%s: expected a key name, found %s", what, found_what(k));
			continue;
		}
		const char *name = (const char *)k->data.scalar.value;
		bool dup = false;
		for (yaml_node_pair_t *q = map->data.mapping.pairs.start; q < p && !dup; q++) {
			yaml_node_t *qk = node_at(ld, q->key);
			dup = qk->type == YAML_SCALAR_NODE &&
			      !strcmp((const char *)qk->data.scalar.value, name);
		}
		if (dup) {
			file_error(ld, k, "%s: key '%s' is given twice", what, name);
			continue;
		}
		size_t idx = last;
		for (size_t i = first; i < last; i++)
			if (table[i].key && !strcmp(table[i].key, name))
				idx = i;
		if (idx == last) {
			file_error(ld, k, "unknown key '%s' in %s%s", name, what,
			           did_you_mean(name, names, last - first, hint, sizeof hint));
			continue;
		}
		fn(ld, idx, k, v, obj);
	}
}

struct cluster_ctx {
	struct config_cluster *c;
	char path[64]; /* "clusters[2]" */
};

static void consul_key(struct loader *ld, size_t idx, yaml_node_t *k, yaml_node_t *v, void *obj)
{
	struct cluster_ctx *cc = obj;
	char keypath[128];

	snprintf(keypath, sizeof keypath, "%s.consul.%s", cc->path, cluster_options[idx].key);
	if (file_scalar(ld, keypath, &cluster_options[idx], v,
	                cluster_field(cc->c, (enum config_cluster_key)idx)))
		cc->c->origin[idx] = file_origin(v);
}

static void cluster_key(struct loader *ld, size_t idx, yaml_node_t *k, yaml_node_t *v, void *obj)
{
	struct cluster_ctx *cc = obj;
	char keypath[128], what[96];

	if (idx == CONFIG_CK_CONSUL) {
		if (is_null(v))
			return; /* "consul:" alone: as if omitted */
		if (v->type != YAML_MAPPING_NODE) {
			file_error(ld, v, "'%s.consul': expected %s, found %s", cc->path,
			           type_expectation(CONFIG_T_MAPPING),
			           v->type == YAML_SCALAR_NODE ? "a scalar" : found_what(v));
			return;
		}
		cc->c->origin[CONFIG_CK_CONSUL] = file_origin(v);
		snprintf(what, sizeof what, "%s.consul", cc->path);
		each_key(ld, v, what, cluster_options, CONFIG_CK_ADDRESS, CONFIG_CK_COUNT,
		         consul_key, cc);
		return;
	}
	snprintf(keypath, sizeof keypath, "%s.%s", cc->path, cluster_options[idx].key);
	if (file_scalar(ld, keypath, &cluster_options[idx], v,
	                cluster_field(cc->c, (enum config_cluster_key)idx)))
		cc->c->origin[idx] = file_origin(v);
}

static void cluster_defaults(struct config_cluster *c)
{
	memset(c, 0, sizeof *c);
	c->namespace = strdup(cluster_options[CONFIG_CK_NAMESPACE].def);
}

static void cluster_clear(struct config_cluster *c)
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
	memset(c, 0, sizeof *c);
}

static struct config_cluster *add_cluster(struct config *cfg)
{
	struct config_cluster *grown = realloc(cfg->clusters, (cfg->nclusters + 1) * sizeof *grown);

	if (!grown)
		return NULL;
	cfg->clusters = grown;
	cluster_defaults(&grown[cfg->nclusters]);
	if (!grown[cfg->nclusters].namespace)
		return NULL;
	return &grown[cfg->nclusters++];
}

static bool readable_by_others(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && (st.st_mode & (S_IRGRP | S_IROTH));
}

static void parse_cluster(struct loader *ld, yaml_node_t *item, size_t index)
{
	struct cluster_ctx cc;

	snprintf(cc.path, sizeof cc.path, "clusters[%zu]", index);
	if (item->type != YAML_MAPPING_NODE) {
		file_error(ld, item, "'%s': expected a cluster (a mapping with a name), found %s",
		           cc.path, item->type == YAML_SCALAR_NODE ? "a scalar" : found_what(item));
		return;
	}
	cc.c = add_cluster(ld->cfg);
	if (!cc.c) {
		file_error(ld, item, "out of memory");
		return;
	}
	each_key(ld, item, cc.path, cluster_options, CONFIG_CK_NAME, CONFIG_CK_ADDRESS, cluster_key,
	         &cc);
	if (!cc.c->name && !cc.c->origin[CONFIG_CK_NAME].line)
		file_error(ld, item,
		           "'%s' has no 'name' (expected a unique name such as cluster-01)",
		           cc.path);
	if (cc.c->consul.token && cc.c->consul.token_file) {
		char where[4200];
		diag(ld->d, false,
		     origin_where(ld, &cc.c->origin[CONFIG_CK_TOKEN], where, sizeof where),
		     "'%s.consul': give either token or token_file, not both", cc.path);
	}
	if (cc.c->consul.token)
		file_warning(ld, &cc.c->origin[CONFIG_CK_TOKEN],
		             "a token in the config file is discouraged; use token_file%s",
		             readable_by_others(ld->file) ? " (and the file is readable by other "
		                                            "users: chmod 600 it)"
		                                          : "");
}

static void parse_clusters(struct loader *ld, yaml_node_t *v)
{
	ld->file_clusters = true;
	ld->cfg->origin[CONFIG_KEY_CLUSTERS] = file_origin(v);
	if (v->type != YAML_SEQUENCE_NODE) {
		file_error(ld, v, "'clusters': expected %s, found %s",
		           type_expectation(CONFIG_T_CLUSTERS),
		           v->type == YAML_SCALAR_NODE && !is_null(v) ? "a scalar" : found_what(v));
		return;
	}
	if (v->data.sequence.items.top == v->data.sequence.items.start) {
		file_error(ld, v,
		           "'clusters' is empty; remove the key to use every kubeconfig context");
		return;
	}
	size_t index = 0;
	for (yaml_node_item_t *i = v->data.sequence.items.start; i < v->data.sequence.items.top;
	     i++)
		parse_cluster(ld, node_at(ld, *i), index++);
}

static void top_key(struct loader *ld, size_t idx, yaml_node_t *k, yaml_node_t *v, void *obj)
{
	if (idx == CONFIG_KEY_CLUSTERS) {
		parse_clusters(ld, v);
		return;
	}
	if (file_scalar(ld, options[idx].key, &options[idx], v,
	                global_field(ld->cfg, (enum config_key)idx))) {
		ld->cfg->origin[idx] = file_origin(v);
		if (idx == CONFIG_KEY_KUBECONFIG)
			ld->file_kubeconfig = true;
	}
}

/* A second "---" document would be ignored silently: say so instead. */
static void check_single_document(struct loader *ld, yaml_parser_t *parser)
{
	yaml_document_t doc;
	char where[4200];

	if (!yaml_parser_load(parser, &doc))
		return; /* a syntax error after the first document: reported below */
	yaml_node_t *root = yaml_document_get_root_node(&doc);
	if (root && !is_null(root)) {
		snprintf(where, sizeof where, "%s:%lu:%lu", ld->file,
		         (unsigned long)doc.start_mark.line + 1,
		         (unsigned long)doc.start_mark.column + 1);
		diag(ld->d, false, where,
		     "a second YAML document; the configuration is one document");
	}
	yaml_document_delete(&doc);
}

static void parse_file(struct loader *ld)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	char err[512];
	size_t len = 0;
	char *text = kubeconfig_read_file(ld->file, CONFIG_MAX_FILE, &len, err, sizeof err);

	if (!text) {
		diag(ld->d, false, ld->file, "cannot read the config file: %s", err);
		ld->file_unreadable = true;
		return;
	}
	if (!yaml_parser_initialize(&parser)) {
		diag(ld->d, false, ld->file, "out of memory");
		free(text);
		return;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &doc)) {
		char where[4200];
		snprintf(where, sizeof where, "%s:%lu:%lu", ld->file,
		         (unsigned long)parser.problem_mark.line + 1,
		         (unsigned long)parser.problem_mark.column + 1);
		diag(ld->d, false, where, "invalid YAML: %s%s%s%s%lu%s%lu",
		     parser.problem ? parser.problem : "syntax error", parser.context ? " " : "",
		     parser.context ? parser.context : "",
		     parser.context ? " that starts at line " : "",
		     (unsigned long)parser.context_mark.line + 1, parser.context ? ", column " : "",
		     (unsigned long)parser.context_mark.column + 1);
		ld->file_unreadable = true;
		goto out;
	}
	ld->doc = &doc;
	yaml_node_t *root = yaml_document_get_root_node(&doc);
	if (root && !is_null(root)) {
		if (root->type != YAML_MAPPING_NODE)
			file_error(ld, root,
			           "expected a mapping of settings (theme:, clusters:, "
			           "...), found %s",
			           root->type == YAML_SCALAR_NODE ? "a scalar" : found_what(root));
		else
			each_key(ld, root, "the configuration", options, 0, CONFIG_KEY_COUNT,
			         top_key, NULL);
	}
	ld->doc = NULL;
	yaml_document_delete(&doc);
	check_single_document(ld, &parser);
out:
	yaml_parser_delete(&parser);
	free(text);
}

/* ------------------------------------------------------------ layers */

static int set_defaults(struct config *cfg)
{
	cfg->theme = strdup(options[CONFIG_KEY_THEME].def);
	cfg->log_level = LOG_LEVEL_INFO;
	if (!config_parse_duration(options[CONFIG_KEY_REFRESH].def, &cfg->refresh_ms) ||
	    !config_parse_duration(options[CONFIG_KEY_TIMEOUT].def, &cfg->timeout_ms))
		return -1;
	cfg->output = strdup(options[CONFIG_KEY_OUTPUT].def);
	return cfg->theme && cfg->output ? 0 : -1;
}

/* The first existing peerscope/config.yaml of the ':'-separated DIRS, or
 * NULL. Returns -1 when out of memory. */
static int first_in_dirs(const char *dirs, char **path)
{
	char *list = strdup(dirs), *save = NULL;

	*path = NULL;
	if (!list)
		return -1;
	for (char *d = strtok_r(list, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		if (d[0] != '/')
			continue; /* the XDG spec ignores relative entries */
		if (asprintf(path, "%s/peerscope/config.yaml", d) < 0) {
			*path = NULL;
			free(list);
			return -1;
		}
		if (access(*path, F_OK) == 0)
			break;
		free(*path);
		*path = NULL;
	}
	free(list);
	return 0;
}

/* Which file to read: --config; else the user's file when it exists; else
 * the first one found in $XDG_CONFIG_DIRS (default /etc/xdg), the system's. */
static int choose_file(struct loader *ld, const struct config_args *args, char **path)
{
	const char *xdg = env_get(ld->envp, "XDG_CONFIG_HOME");
	const char *dirs = env_get(ld->envp, "XDG_CONFIG_DIRS");
	int rc;

	*path = NULL;
	if (args->value[CONFIG_KEY_CONFIG] && !*args->value[CONFIG_KEY_CONFIG]) {
		diag(ld->d, false, "--config", "expected a file path, found an empty string");
		ld->file_unreadable = true;
		return 0;
	}
	if (args->value[CONFIG_KEY_CONFIG]) {
		*path = strdup(args->value[CONFIG_KEY_CONFIG]);
		ld->cfg->origin[CONFIG_KEY_CONFIG] =
		        (struct config_origin){.source = CONFIG_SRC_FLAG, .name = "config"};
		return *path ? 0 : -1;
	}
	if (xdg && xdg[0] == '/')
		rc = asprintf(path, "%s/peerscope/config.yaml", xdg);
	else
		rc = asprintf(path, "%s/.config/peerscope/config.yaml", ld->home ? ld->home : "");
	if (rc < 0) {
		*path = NULL;
		return -1;
	}
	if (access(*path, F_OK) == 0)
		return 0;
	ld->default_file = *path;
	return first_in_dirs(dirs && *dirs ? dirs : "/etc/xdg", path);
}

static void apply_env_globals(struct loader *ld)
{
	const char *kc = env_get(ld->envp, "KUBECONFIG");
	const char *nc = env_get(ld->envp, "NO_COLOR");
	struct config *cfg = ld->cfg;

	/* A file that names its kubeconfig keeps it: see config.h. */
	if (kc && *kc && !ld->file_kubeconfig) {
		char *dup = strdup(kc);
		if (!dup) {
			diag(ld->d, false, NULL, "out of memory");
			return;
		}
		free(cfg->kubeconfig);
		cfg->kubeconfig = dup;
		cfg->origin[CONFIG_KEY_KUBECONFIG] =
		        (struct config_origin){.source = CONFIG_SRC_ENV, .name = "KUBECONFIG"};
	} else if (kc && *kc) {
		file_warning(ld, &cfg->origin[CONFIG_KEY_KUBECONFIG],
		             "KUBECONFIG is ignored: the config file names its kubeconfig "
		             "(--kubeconfig overrides both)");
	}
	/* no-color.org: present and not empty means no colour. */
	if (nc && *nc) {
		cfg->no_color = true;
		cfg->origin[CONFIG_KEY_NO_COLOR] =
		        (struct config_origin){.source = CONFIG_SRC_ENV, .name = "NO_COLOR"};
	}
}

static int split_list(const char *text, char ***out, size_t *n)
{
	char *copy = strdup(text), *save = NULL;

	if (!copy)
		return -1;
	for (char *p = strtok_r(copy, ",", &save); p; p = strtok_r(NULL, ",", &save)) {
		char **grown = realloc(*out, (*n + 1) * sizeof *grown);
		if (!grown || !(grown[*n] = strdup(p))) {
			if (grown)
				*out = grown;
			free(copy);
			return -1;
		}
		*out = grown;
		(*n)++;
	}
	free(copy);
	return 0;
}

static void apply_flags(struct loader *ld, const struct config_args *args)
{
	struct config *cfg = ld->cfg;
	char why[512];

	for (size_t i = 0; i < CONFIG_KEY_COUNT; i++) {
		const char *v = args->value[i];
		const struct config_option *o = &options[i];
		if (!v || o->type == CONFIG_T_ACTION || i == CONFIG_KEY_CONFIG)
			continue;
		char where[80];
		snprintf(where, sizeof where, "--%s", o->flag);
		if (o->type == CONFIG_T_LIST) {
			if (!*v || split_list(v, &cfg->contexts, &cfg->ncontexts) != 0 ||
			    !cfg->ncontexts)
				diag(ld->d, false, where, "expected %s", type_expectation(o->type));
		} else if (o->type == CONFIG_T_BOOL) {
			*(bool *)global_field(cfg, (enum config_key)i) = true;
		} else if (set_value(ld, o, v, global_field(cfg, (enum config_key)i), false, why,
		                     sizeof why) != 0) {
			diag(ld->d, false, where, "%s", why);
			continue;
		}
		cfg->origin[i] = (struct config_origin){.source = CONFIG_SRC_FLAG, .name = o->flag};
		if (i == CONFIG_KEY_KUBECONFIG)
			cfg->kubeconfig_explicit = true;
	}
}

/* ------------------------------------------------------------ clusters */

/* Loads cfg->kube once; on failure describes the problem in err. */
static void load_kubeconfig(struct loader *ld, char *err, size_t errlen)
{
	struct config *cfg = ld->cfg;
	char path[4096];

	if (cfg->kube)
		return;
	if (!cfg->kubeconfig) {
		kubeconfig_default_path(ld->home, path, sizeof path);
		cfg->kubeconfig = strdup(path);
		if (!cfg->kubeconfig) {
			diag(ld->d, false, NULL, "out of memory");
			return;
		}
	}
	/* A path from the file or a flag is named on purpose; KUBECONFIG and
	 * the default are lists whose missing files kubectl skips. */
	bool explicit_file = cfg->origin[CONFIG_KEY_KUBECONFIG].source == CONFIG_SRC_FILE ||
	                     cfg->origin[CONFIG_KEY_KUBECONFIG].source == CONFIG_SRC_FLAG;
	cfg->kubeconfig_explicit = explicit_file;
	cfg->kube = kubeconfig_load(cfg->kubeconfig, explicit_file, err, errlen);
}

static void clusters_from_kubeconfig(struct loader *ld)
{
	struct config *cfg = ld->cfg;
	struct kubeconfig *kc = cfg->kube;

	for (size_t i = 0; i < kubeconfig_context_count(kc); i++) {
		const char *name = kubeconfig_context_name(kc, i);
		struct config_cluster *c = add_cluster(cfg);
		if (!c || !(c->name = strdup(name)) || !(c->context = strdup(name))) {
			diag(ld->d, false, NULL, "out of memory");
			return;
		}
		struct config_origin o = {.source = CONFIG_SRC_KUBECONFIG, .name = "context"};
		c->origin[CONFIG_CK_NAME] = o;
		c->origin[CONFIG_CK_CONTEXT] = o;
	}
	if (!cfg->nclusters)
		diag(ld->d, false, NULL,
		     "no clusters: the kubeconfig %s has no contexts and there is no config file",
		     kubeconfig_files(kc));
}

/* A Consul-only cluster from CONSUL_HTTP_ADDR when nothing else exists. */
static bool cluster_from_env(struct loader *ld)
{
	const char *addr = env_get(ld->envp, "CONSUL_HTTP_ADDR");
	struct config_cluster *c;

	if (!addr || !*addr)
		return false;
	c = add_cluster(ld->cfg);
	if (!c || !(c->name = strdup("consul"))) {
		diag(ld->d, false, NULL, "out of memory");
		return true;
	}
	c->origin[CONFIG_CK_NAME] =
	        (struct config_origin){.source = CONFIG_SRC_ENV, .name = "CONSUL_HTTP_ADDR"};
	return true;
}

static bool selected(const struct config *cfg, const struct config_cluster *c)
{
	for (size_t i = 0; i < cfg->ncontexts; i++)
		if ((c->name && !strcmp(cfg->contexts[i], c->name)) ||
		    (c->context && !strcmp(cfg->contexts[i], c->context)))
			return true;
	return false;
}

/* Keeps only the clusters named by --context; each name must match one. */
static void select_clusters(struct loader *ld)
{
	struct config *cfg = ld->cfg;
	size_t kept = 0;

	if (!cfg->ncontexts)
		return;
	for (size_t i = 0; i < cfg->ncontexts; i++) {
		bool found = false;
		for (size_t j = 0; j < cfg->nclusters && !found; j++)
			found = (cfg->clusters[j].name &&
			         !strcmp(cfg->contexts[i], cfg->clusters[j].name)) ||
			        (cfg->clusters[j].context &&
			         !strcmp(cfg->contexts[i], cfg->clusters[j].context));
		if (!found)
			diag(ld->d, false, "--context",
			     "no cluster or kubeconfig context is named '%s'", cfg->contexts[i]);
	}
	for (size_t j = 0; j < cfg->nclusters; j++) {
		if (selected(cfg, &cfg->clusters[j]))
			cfg->clusters[kept++] = cfg->clusters[j];
		else
			cluster_clear(&cfg->clusters[j]);
	}
	cfg->nclusters = kept;
}

static void check_contexts(struct loader *ld)
{
	struct config *cfg = ld->cfg;
	char where[4200], err[1024] = "";
	struct config_cluster *first = NULL;

	for (size_t i = 0; i < cfg->nclusters && !first; i++)
		if (cfg->clusters[i].context)
			first = &cfg->clusters[i];
	if (!first)
		return;
	load_kubeconfig(ld, err, sizeof err);
	if (!cfg->kube) {
		diag(ld->d, false,
		     origin_where(ld, &first->origin[CONFIG_CK_CONTEXT], where, sizeof where),
		     "cluster '%s' names kubeconfig context '%s', but the kubeconfig cannot be "
		     "read: %s",
		     first->name ? first->name : "?", first->context, err);
		return;
	}
	for (size_t i = 0; i < cfg->nclusters; i++) {
		struct config_cluster *c = &cfg->clusters[i];
		if (!c->context || kubeconfig_has_context(cfg->kube, c->context))
			continue;
		diag(ld->d, false,
		     origin_where(ld, &c->origin[CONFIG_CK_CONTEXT], where, sizeof where),
		     "cluster '%s': context '%s' is not in the kubeconfig (%s)", c->name,
		     c->context, kubeconfig_files(cfg->kube));
	}
}

static void forget_setting(struct config_cluster *c, enum config_cluster_key k)
{
	char **field = cluster_field(c, k);

	if (*field)
		explicit_bzero(*field, strlen(*field));
	free(*field);
	*field = NULL;
	c->origin[k] = (struct config_origin){0};
}

/* Applies one CONSUL_* variable (value V) to cluster C. */
static void env_consul_one(struct loader *ld, struct config_cluster *c, enum config_cluster_key k,
                           const char *v)
{
	const struct config_option *o = &cluster_options[k];
	char where[80], why[512];
	bool verify;

	snprintf(where, sizeof where, "environment variable %s", o->env);
	if (k == CONFIG_CK_INSECURE) {
		if (!parse_bool_text(v, &verify)) {
			diag(ld->d, false, where, "expected true or false, found '%s'", v);
			return;
		}
		c->consul.insecure_skip_verify = !verify;
	} else if (set_value(ld, o, v, cluster_field(c, k), false, why, sizeof why) != 0) {
		diag(ld->d, false, where, "%s", why);
		return;
	}
	c->origin[k] = (struct config_origin){.source = CONFIG_SRC_ENV, .name = o->env};
}

/* One credential per cluster: a token from a later layer replaces a token
 * file from an earlier one and the other way round; with both variables
 * set, the token wins, as in the consul CLI. */
static void settle_token(struct config_cluster *c)
{
	enum config_source tok = c->origin[CONFIG_CK_TOKEN].source;
	enum config_source file = c->origin[CONFIG_CK_TOKEN_FILE].source;

	if (!c->consul.token || !c->consul.token_file)
		return;
	if (tok == CONFIG_SRC_ENV)
		forget_setting(c, CONFIG_CK_TOKEN_FILE);
	else if (file == CONFIG_SRC_ENV)
		forget_setting(c, CONFIG_CK_TOKEN);
}

/* CONSUL_* describe one Consul: applied to the only cluster, else ignored. */
static void apply_env_consul(struct loader *ld)
{
	struct config *cfg = ld->cfg;
	char names[512] = "";
	size_t used = 0;

	for (size_t k = CONFIG_CK_ADDRESS; k < CONFIG_CK_COUNT; k++) {
		const char *v = env_get(ld->envp, cluster_options[k].env);
		if (!v || !*v)
			continue;
		if (cfg->nclusters == 1) {
			env_consul_one(ld, &cfg->clusters[0], (enum config_cluster_key)k, v);
			continue;
		}
		if (used < sizeof names - 1)
			used += (size_t)snprintf(names + used, sizeof names - used, "%s%s",
			                         used ? ", " : "", cluster_options[k].env);
	}
	if (cfg->nclusters == 1)
		settle_token(&cfg->clusters[0]);
	if (used)
		diag(ld->d, true, NULL,
		     "%s ignored: they describe one Consul and %zu clusters are selected; "
		     "set consul settings per cluster in the config file",
		     names, cfg->nclusters);
}

static void check_file_readable(struct loader *ld, const struct config_cluster *c,
                                enum config_cluster_key k, const char *path)
{
	char where[4200];

	if (!path || access(path, R_OK) == 0)
		return;
	diag(ld->d, false, origin_where(ld, &c->origin[k], where, sizeof where),
	     "cluster '%s': consul.%s %s cannot be read: %s", c->name ? c->name : "?",
	     cluster_options[k].key, path, strerror(errno));
}

static void validate_cluster(struct loader *ld, const struct config_cluster *c, size_t i)
{
	const struct config_consul *cs = &c->consul;
	char where[4200];

	for (size_t j = 0; j < i && c->name; j++) {
		if (ld->cfg->clusters[j].name && !strcmp(ld->cfg->clusters[j].name, c->name))
			diag(ld->d, false,
			     origin_where(ld, &c->origin[CONFIG_CK_NAME], where, sizeof where),
			     "cluster name '%s' is used twice (names must be unique)", c->name);
	}
	check_file_readable(ld, c, CONFIG_CK_TOKEN_FILE, cs->token_file);
	check_file_readable(ld, c, CONFIG_CK_CA_FILE, cs->ca_file);
	check_file_readable(ld, c, CONFIG_CK_CLIENT_CERT_FILE, cs->client_cert_file);
	check_file_readable(ld, c, CONFIG_CK_CLIENT_KEY_FILE, cs->client_key_file);
	if (!cs->client_cert_file != !cs->client_key_file) {
		enum config_cluster_key k = cs->client_cert_file ? CONFIG_CK_CLIENT_CERT_FILE
		                                                 : CONFIG_CK_CLIENT_KEY_FILE;
		diag(ld->d, false, origin_where(ld, &c->origin[k], where, sizeof where),
		     "cluster '%s': client_cert_file and client_key_file go together",
		     c->name ? c->name : "?");
	}
	if (!c->context && !cs->address)
		diag(ld->d, false,
		     origin_where(ld, &c->origin[CONFIG_CK_NAME], where, sizeof where),
		     "cluster '%s' has neither a kubeconfig context nor consul.address "
		     "(expected at least one)",
		     c->name ? c->name : "?");
	if (cs->insecure_skip_verify)
		diag(ld->d, true,
		     origin_where(ld, &c->origin[CONFIG_CK_INSECURE], where, sizeof where),
		     "cluster '%s': Consul's TLS certificate is not verified",
		     c->name ? c->name : "?");
}

static void validate(struct loader *ld)
{
	struct config *cfg = ld->cfg;
	char where[4200];

	if (cfg->refresh_ms < CONFIG_MIN_REFRESH || cfg->refresh_ms > CONFIG_MAX_REFRESH)
		diag(ld->d, false,
		     origin_where(ld, &cfg->origin[CONFIG_KEY_REFRESH], where, sizeof where),
		     "'refresh': expected a duration between 100ms and 1h, found %ldms",
		     cfg->refresh_ms);
	for (size_t i = 0; i < cfg->nclusters; i++)
		validate_cluster(ld, &cfg->clusters[i], i);
}

static void build_clusters(struct loader *ld)
{
	struct config *cfg = ld->cfg;

	if (!ld->file_clusters) {
		/* Without a clusters list, kubeconfig contexts become clusters; with no
		 * kubeconfig either, CONSUL_HTTP_ADDR alone is enough. */
		char err[1024] = "", where[4200];
		load_kubeconfig(ld, err, sizeof err);
		const struct config_origin *ko = &cfg->origin[CONFIG_KEY_KUBECONFIG];
		if (cfg->kube)
			clusters_from_kubeconfig(ld);
		else if (ko->source != CONFIG_SRC_DEFAULT)
			diag(ld->d, false, NULL, "%s (the kubeconfig named by %s)", err,
			     origin_where(ld, ko, where, sizeof where));
		else if (!cluster_from_env(ld))
			diag(ld->d, false, NULL,
			     "no clusters are configured: there is no config file (%s) and no "
			     "kubeconfig (%s)",
			     ld->default_file ? ld->default_file : "see --config", cfg->kubeconfig);
	}
	select_clusters(ld);
	check_contexts(ld);
	apply_env_consul(ld);
	validate(ld);
}

int config_load(const struct config_args *args, char *const *envp, struct config **out,
                struct config_diags *d)
{
	struct config *cfg = calloc(1, sizeof *cfg);
	struct loader ld = {.cfg = cfg, .d = d, .envp = envp};
	size_t errors = d->errors;

	*out = NULL;
	if (!cfg || set_defaults(cfg) != 0) {
		diag(d, false, NULL, "out of memory");
		config_free(cfg);
		return -1;
	}
	ld.home = env_get(envp, "HOME");
	if (choose_file(&ld, args, &cfg->config_file) != 0) {
		diag(d, false, NULL, "out of memory");
		goto out;
	}
	if (cfg->config_file) {
		ld.file = cfg->config_file;
		ld.file_dir = strdup(cfg->config_file);
		if (ld.file_dir) {
			char *slash = strrchr(ld.file_dir, '/');
			if (slash)
				*(slash == ld.file_dir ? slash + 1 : slash) = '\0';
			else
				strcpy(ld.file_dir, ".");
		}
		parse_file(&ld);
	}
	apply_env_globals(&ld);
	apply_flags(&ld, args);
	if (!ld.file_unreadable)
		build_clusters(&ld);
out:
	free(ld.file_dir);
	free(ld.default_file);
	if (d->errors > errors) {
		config_free(cfg);
		return -1;
	}
	*out = cfg;
	return 0;
}

void config_free(struct config *cfg)
{
	if (!cfg)
		return;
	for (size_t i = 0; i < cfg->nclusters; i++)
		cluster_clear(&cfg->clusters[i]);
	free(cfg->clusters);
	for (size_t i = 0; i < cfg->ncontexts; i++)
		free(cfg->contexts[i]);
	free(cfg->contexts);
	free(cfg->config_file);
	free(cfg->kubeconfig);
	free(cfg->theme);
	free(cfg->log_file);
	free(cfg->output);
	kubeconfig_free(cfg->kube);
	free(cfg);
}

bool config_cluster_readonly(const struct config *cfg, const struct config_cluster *c)
{
	return cfg->readonly || c->readonly;
}

/* ------------------------------------------------------------ consumers */

int config_consul_token(const struct config_cluster *c, char **token, char *err, size_t errlen)
{
	char buf[4096];
	size_t len;
	FILE *f;

	*token = NULL;
	if (c->consul.token) {
		*token = strdup(c->consul.token);
		goto done;
	}
	if (!c->consul.token_file)
		return 0;
	f = fopen(c->consul.token_file, "r");
	if (!f) {
		snprintf(err, errlen, "cluster '%s': token file %s: %s", c->name,
		         c->consul.token_file, strerror(errno));
		return -1;
	}
	len = fread(buf, 1, sizeof buf - 1, f);
	bool too_long = !feof(f);
	fclose(f);
	buf[len] = '\0';
	while (len && isspace((unsigned char)buf[len - 1]))
		buf[--len] = '\0';
	if (!len || too_long) {
		explicit_bzero(buf, sizeof buf);
		snprintf(err, errlen, "cluster '%s': token file %s is %s", c->name,
		         c->consul.token_file, len ? "longer than 4 KiB" : "empty");
		return -1;
	}
	*token = strdup(buf);
	explicit_bzero(buf, sizeof buf);
done:
	if (!*token) {
		snprintf(err, errlen, "cluster '%s': out of memory", c->name);
		return -1;
	}
	return 0;
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

/* ------------------------------------------------------------ printing */

static void print_source(FILE *out, int used, const struct config_origin *o)
{
	fprintf(out, "%*s# ", used < COMMENT_COLUMN ? COMMENT_COLUMN - used : 1, "");
	switch (o->source) {
	case CONFIG_SRC_DEFAULT:
		fputs("default\n", out);
		break;
	case CONFIG_SRC_FILE:
		fprintf(out, "file:%u:%u\n", o->line, o->column);
		break;
	case CONFIG_SRC_ENV:
		fprintf(out, "env %s\n", o->name);
		break;
	case CONFIG_SRC_FLAG:
		fprintf(out, "flag --%s\n", o->name);
		break;
	case CONFIG_SRC_KUBECONFIG:
		fputs("kubeconfig context\n", out);
		break;
	}
}

/* True when VALUE reads back as the same string in YAML's plain style. */
static bool plain_ok(const char *v)
{
	size_t len = strlen(v);
	bool digits = true;

	if (!len || strchr("-?:,[]{}#&*!|>'\"%@`", v[0]) || isspace((unsigned char)v[0]) ||
	    isspace((unsigned char)v[len - 1]) || v[len - 1] == ':')
		return false;
	if (strstr(v, ": ") || strstr(v, " #") || strpbrk(v, "\n\t\\"))
		return false;
	for (const char *p = v; *p; p++)
		digits &= isdigit((unsigned char)*p) || *p == '.';
	return !digits && strcasecmp(v, "null") && strcmp(v, "~") && strcasecmp(v, "true") &&
	       strcasecmp(v, "false") && strcasecmp(v, "yes") && strcasecmp(v, "no") &&
	       strcasecmp(v, "on") && strcasecmp(v, "off");
}

/* A YAML scalar, quoted when plain style would change its meaning. */
static void print_scalar(FILE *out, const char *indent, const char *key, const char *value,
                         const struct config_origin *o)
{
	int used;

	if (!value) {
		used = fprintf(out, "%s%s: null", indent, key);
	} else if (plain_ok(value)) {
		used = fprintf(out, "%s%s: %s", indent, key, value);
	} else {
		used = fprintf(out, "%s%s: \"", indent, key);
		for (const char *p = value; *p; p++) {
			if (*p == '"' || *p == '\\')
				used += fprintf(out, "\\%c", *p);
			else if ((unsigned char)*p < 0x20)
				used += fprintf(out, "\\x%02x", (unsigned char)*p);
			else
				used += fprintf(out, "%c", *p);
		}
		used += fprintf(out, "\"");
	}
	print_source(out, used, o);
}

static void print_bool(FILE *out, const char *indent, const char *key, bool v,
                       const struct config_origin *o)
{
	print_source(out, fprintf(out, "%s%s: %s", indent, key, v ? "true" : "false"), o);
}

static void print_cluster(FILE *out, const struct config *cfg, const struct config_cluster *c)
{
	const struct config_consul *cs = &c->consul;
	const char *in = "    ", *cin = "      ";

	print_scalar(out, "  - ", "name", c->name, &c->origin[CONFIG_CK_NAME]);
	print_scalar(out, in, "context", c->context, &c->origin[CONFIG_CK_CONTEXT]);
	char about[1024];
	if (c->context && cfg->kube &&
	    kubeconfig_describe(cfg->kube, c->context, about, sizeof about))
		fprintf(out, "%s# %s\n", in, about);
	print_scalar(out, in, "namespace", c->namespace, &c->origin[CONFIG_CK_NAMESPACE]);
	print_bool(out, in, "readonly", c->readonly, &c->origin[CONFIG_CK_READONLY]);
	fprintf(out, "    consul:\n");
	if (cs->address)
		print_scalar(out, cin, "address", cs->address, &c->origin[CONFIG_CK_ADDRESS]);
	else
		fprintf(out,
		        "%saddress: null%*s# default: the Kubernetes API server's service "
		        "proxy\n",
		        cin, COMMENT_COLUMN - 19, "");
	if (cs->token)
		print_scalar(out, cin, "token", LOG_MASK, &c->origin[CONFIG_CK_TOKEN]);
	for (size_t k = CONFIG_CK_TOKEN_FILE; k <= CONFIG_CK_TLS_SERVER_NAME; k++) {
		char *const *v =
		        cluster_field((struct config_cluster *)c, (enum config_cluster_key)k);
		if (*v)
			print_scalar(out, cin, cluster_options[k].key, *v, &c->origin[k]);
	}
	print_bool(out, cin, "insecure_skip_verify", cs->insecure_skip_verify,
	           &c->origin[CONFIG_CK_INSECURE]);
}

void config_print(const struct config *cfg, FILE *out)
{
	char dur[32];

	fprintf(out, "# peerscope %s: effective configuration\n", PACKAGE_VERSION);
	print_scalar(out, "", "config", cfg->config_file, &cfg->origin[CONFIG_KEY_CONFIG]);
	print_scalar(out, "", "kubeconfig", cfg->kubeconfig, &cfg->origin[CONFIG_KEY_KUBECONFIG]);
	print_scalar(out, "", "theme", cfg->theme, &cfg->origin[CONFIG_KEY_THEME]);
	print_scalar(out, "", "refresh", config_format_duration(cfg->refresh_ms, dur, sizeof dur),
	             &cfg->origin[CONFIG_KEY_REFRESH]);
	print_bool(out, "", "readonly", cfg->readonly, &cfg->origin[CONFIG_KEY_READONLY]);
	print_bool(out, "", "no_color", cfg->no_color, &cfg->origin[CONFIG_KEY_NO_COLOR]);
	print_bool(out, "", "ascii", cfg->ascii, &cfg->origin[CONFIG_KEY_ASCII]);
	print_scalar(out, "", "log_file", cfg->log_file, &cfg->origin[CONFIG_KEY_LOG_FILE]);
	print_scalar(out, "", "log_level", log_level_name(cfg->log_level),
	             &cfg->origin[CONFIG_KEY_LOG_LEVEL]);
	fprintf(out, "clusters:\n");
	for (size_t i = 0; i < cfg->nclusters; i++)
		print_cluster(out, cfg, &cfg->clusters[i]);
}

static void print_key_row(FILE *out, const char *key, const struct config_option *o)
{
	fprintf(out, "%-34s %-9s %-24s %s\n", key, o->def ? o->def : "-", o->env ? o->env : "-",
	        o->help);
}

void config_print_keys(FILE *out)
{
	char key[96];

	fprintf(out, "%-34s %-9s %-24s %s\n", "KEY", "DEFAULT", "ENVIRONMENT", "MEANING");
	for (size_t i = 0; i < CONFIG_KEY_COUNT; i++)
		if (options[i].key)
			print_key_row(out, options[i].key, &options[i]);
	for (size_t i = 0; i < CONFIG_CK_COUNT; i++) {
		snprintf(key, sizeof key, "clusters[].%s%s", i > CONFIG_CK_CONSUL ? "consul." : "",
		         cluster_options[i].key);
		print_key_row(out, key, &cluster_options[i]);
	}
	fprintf(out, "\n%-34s %s\n", "OPTION", "MEANING");
	for (size_t i = 0; i < CONFIG_KEY_COUNT; i++) {
		if (!options[i].flag)
			continue;
		snprintf(key, sizeof key, "--%s%s%s", options[i].flag,
		         options[i].metavar ? " " : "",
		         options[i].metavar ? options[i].metavar : "");
		fprintf(out, "%-34s %s\n", key, options[i].help);
	}
}
