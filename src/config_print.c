/* config: printing the settings: --help, `config check` (the effective
 * configuration with the origin of each value) and `config keys`. See
 * include/peerscope/config.h and src/config_internal.h. */
#include "autoconfig.h"

#include "peerscope/config.h"

#include "config_internal.h"

#include "peerscope/audit.h"
#include "peerscope/kubeconfig.h"
#include "peerscope/log.h"
#include "peerscope/redact.h"
#include "peerscope/term.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define COMMENT_COLUMN 44

/* ------------------------------------------------------------------ usage */

static void usage_options(FILE *out, enum config_help which)
{
	for (size_t i = 0; i < CONFIG_KEY_COUNT; i++) {
		const struct config_option *o = &config_table[i];
		char left[64], shortf[8] = "    ";
		if (!o->flag || o->help_in != which)
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
}

void config_usage(FILE *out)
{
	/* At most 22 lines of at most 80 columns: --help and the two lines the
	 * shell writes after it fit an 80x24 terminal (tests/e2e/config.sh). */
	fprintf(out,
	        "Usage: peerscope [OPTION]... [COMMAND]  (a Consul cluster peering dashboard)\n"
	        "Commands (none: the dashboard; off a terminal, the clusters selected):\n"
	        "  peer A B        peer two clusters; the other operations: peerscope peer --help\n"
	        "  config check    validate and print the configuration; config keys: all keys\n"
	        "  check [C]...    check the peering prerequisites of every cluster (or C), live\n"
	        "  check values F  lint Helm values F (--strict fails on warnings and unknowns)\n"
	        "Options (settings: peerscope-config(5); exit 2: usage or configuration error):\n");
	usage_options(out, CONFIG_HELP_MAIN);
}

void config_usage_demo(FILE *out)
{
	fprintf(out,
	        "Usage: peerscope --demo [OPTION]...   the dashboard on simulated clusters\n"
	        "       peerscope --script FILE         a script played on the dashboard\n"
	        "peerscope-sim runs as a child with cluster-01 and cluster-02 peered; it goes\n"
	        "when the dashboard ends. In it, :tour starts the tour, :sim drives the\n"
	        "simulator and m shows the map. Options:\n");
	usage_options(out, CONFIG_HELP_DEMO);
	fprintf(out, "Scripts and the tour: peerscope-ui(7), THE DEMO and SCRIPTS.\n");
}

void config_usage_ops(FILE *out)
{
	fprintf(out,
	        "Usage: peerscope [OPTION]... peer A B        A accepts, B dials; until ACTIVE\n"
	        "       peerscope [OPTION]... acceptor A B    PeeringAcceptor on A, its token\n"
	        "       peerscope [OPTION]... exchange A B    A's token Secret copied to B\n"
	        "       peerscope [OPTION]... dialer B A      the PeeringDialer on B for A\n"
	        "       peerscope [OPTION]... regenerate A B  a new token, moved, dialed again\n"
	        "       peerscope [OPTION]... unpeer A B      delete the peering (asks first)\n"
	        "The mesh configuration of cluster C (the consul-k8s resource, or Consul's\n"
	        "config entry on a Consul-only cluster), the specification's rules checked:\n"
	        "       peerscope [OPTION]... gateway-mode C local|remote [--service S]\n"
	        "       peerscope [OPTION]... peer-through-gateways C on|off\n"
	        "       peerscope [OPTION]... export C S --to PEER    (and unexport)\n"
	        "       peerscope [OPTION]... allow C S --from PEER   (and deny)\n"
	        "Each step prints a line on stderr; a stopped operation continues where it\n"
	        "stopped when run again. Options:\n");
	usage_options(out, CONFIG_HELP_OPS);
	fprintf(out, "  -o, --output FORMAT        table or json: the end state on stdout\n"
	             "Exit status 0: done; 1: failed, refused by a rule or timed out; 2: a usage\n"
	             "or configuration error, or a read-only cluster. See peerscope(1).\n");
}

/* ----------------------------------------------------------- config check */

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
	if (strstr(v, ": ") || strstr(v, " #") || strpbrk(v, "\n\t\\") || !term_is_safe(v, 0))
		return false;
	for (const char *p = v; *p; p++)
		digits &= isdigit((unsigned char)*p) || *p == '.';
	return !digits && strcasecmp(v, "null") && strcmp(v, "~") && strcasecmp(v, "true") &&
	       strcasecmp(v, "false") && strcasecmp(v, "yes") && strcasecmp(v, "no") &&
	       strcasecmp(v, "on") && strcasecmp(v, "off");
}

/* The inside of a YAML double-quoted scalar: quote and backslash escaped,
 * and term.h's escapes (\x1b, \u202e, \n), which YAML reads back, for
 * what a terminal must not see. Returns the bytes written. */
static int print_quoted(FILE *out, const char *value)
{
	size_t n = strlen(value);
	int used = 0;

	for (size_t i = 0; i < n;) {
		uint32_t cp;
		char piece[TERM_ESC_MAX];
		i += term_decode(value + i, n - i, &cp);
		if (cp == '"' || cp == '\\') {
			used += fprintf(out, "\\%c", (char)cp);
			continue;
		}
		size_t k = term_show(cp, 0, piece);
		used += (int)fwrite(piece, 1, k, out);
	}
	return used;
}

/* "KEY: VALUE", VALUE quoted when plain style would change its meaning.
 * Returns the bytes written. */
static int print_pair(FILE *out, const char *indent, const char *key, const char *value)
{
	int used;

	if (!value)
		return term_fprintf(out, "%s%s: null", indent, key);
	if (plain_ok(value))
		return term_fprintf(out, "%s%s: %s", indent, key, value);
	used = term_fprintf(out, "%s%s: \"", indent, key);
	used += print_quoted(out, value);
	return used + fprintf(out, "\"");
}

/* A YAML scalar and its source. */
static void print_scalar(FILE *out, const char *indent, const char *key, const char *value,
                         const struct config_origin *o)
{
	print_source(out, print_pair(out, indent, key, value), o);
}

static void print_bool(FILE *out, const char *indent, const char *key, bool v,
                       const struct config_origin *o)
{
	print_source(out, term_fprintf(out, "%s%s: %s", indent, key, v ? "true" : "false"), o);
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
		term_fprintf(out, "%s# %s\n", in, about);
	print_scalar(out, in, "namespace", c->namespace, &c->origin[CONFIG_CK_NAMESPACE]);
	print_bool(out, in, "readonly", c->readonly, &c->origin[CONFIG_CK_READONLY]);
	if (c->partitions_all)
		print_scalar(out, in, "partitions", "all", &c->origin[CONFIG_CK_PARTITIONS]);
	else if (c->npartitions) {
		int used = term_fprintf(out, "%spartitions: [", in);
		for (size_t i = 0; i < c->npartitions; i++)
			used += term_fprintf(out, "%s%s", i ? ", " : "", c->partitions[i]);
		used += fprintf(out, "]");
		print_source(out, used, &c->origin[CONFIG_CK_PARTITIONS]);
	}
	fprintf(out, "    consul:\n");
	char shown[512];
	redact_url(cs->address, shown, sizeof shown);
	if (cs->address)
		print_scalar(out, cin, "address", shown, &c->origin[CONFIG_CK_ADDRESS]);
	else
		fprintf(out,
		        "%saddress: null%*s# default: the Kubernetes API server's service "
		        "proxy\n",
		        cin, COMMENT_COLUMN - 19, "");
	if (cs->token)
		print_scalar(out, cin, "token", LOG_MASK, &c->origin[CONFIG_CK_TOKEN]);
	for (size_t k = CONFIG_CK_TOKEN_FILE; k <= CONFIG_CK_TLS_SERVER_NAME; k++) {
		char *const *v = config_cluster_field((struct config_cluster *)c,
		                                      (enum config_cluster_key)k);
		if (*v)
			print_scalar(out, cin, config_cluster_table[k].key, *v, &c->origin[k]);
	}
	print_bool(out, cin, "insecure_skip_verify", cs->insecure_skip_verify,
	           &c->origin[CONFIG_CK_INSECURE]);
	/* The path only: the token it holds is never printed. */
	if (cs->gateway_token_file)
		print_scalar(out, cin, "gateway_token_file", cs->gateway_token_file,
		             &c->origin[CONFIG_CK_GATEWAY_TOKEN_FILE]);
}

/* audit_log: the file set, else the default the operations open
 * ($XDG_STATE_HOME/peerscope/audit.log; ~/.local/state without it). */
static void print_audit_log(FILE *out, const struct config *cfg)
{
	const struct config_origin *o = &cfg->origin[CONFIG_KEY_AUDIT_LOG];
	char def[4096];
	int used;

	if (cfg->audit_log || o->source != CONFIG_SRC_DEFAULT) {
		print_scalar(out, "", "audit_log", cfg->audit_log, o);
		return;
	}
	audit_default_path(NULL, def, sizeof def);
	used = print_pair(out, "", "audit_log", *def ? def : NULL);
	fprintf(out, "%*s# default: $XDG_STATE_HOME/peerscope/audit.log\n",
	        used < COMMENT_COLUMN ? COMMENT_COLUMN - used : 1, "");
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
	print_scalar(out, "", "steady_refresh",
	             config_format_duration(cfg->steady_refresh_ms, dur, sizeof dur),
	             &cfg->origin[CONFIG_KEY_STEADY_REFRESH]);
	print_scalar(out, "", "kube_probe",
	             config_format_duration(cfg->kube_probe_ms, dur, sizeof dur),
	             &cfg->origin[CONFIG_KEY_KUBE_PROBE]);
	print_scalar(out, "", "highlight",
	             config_format_duration(cfg->highlight_ms, dur, sizeof dur),
	             &cfg->origin[CONFIG_KEY_HIGHLIGHT]);
	print_bool(out, "", "readonly", cfg->readonly, &cfg->origin[CONFIG_KEY_READONLY]);
	print_bool(out, "", "no_color", cfg->no_color, &cfg->origin[CONFIG_KEY_NO_COLOR]);
	print_bool(out, "", "ascii", cfg->ascii, &cfg->origin[CONFIG_KEY_ASCII]);
	print_scalar(out, "", "log_file", cfg->log_file, &cfg->origin[CONFIG_KEY_LOG_FILE]);
	print_scalar(out, "", "log_level", log_level_name(cfg->log_level),
	             &cfg->origin[CONFIG_KEY_LOG_LEVEL]);
	print_audit_log(out, cfg);
	if (cfg->nbindings)
		fprintf(out, "keys:\n");
	for (size_t i = 0; i < cfg->nbindings; i++)
		print_scalar(out, "  ", cfg->bindings[i].action, cfg->bindings[i].keys,
		             &cfg->bindings[i].origin);
	fprintf(out, "clusters:\n");
	for (size_t i = 0; i < cfg->nclusters; i++)
		print_cluster(out, cfg, &cfg->clusters[i]);
}

/* ------------------------------------------------------------ config keys */

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
		if (config_table[i].key)
			print_key_row(out, config_table[i].key, &config_table[i]);
	for (size_t i = 0; i < CONFIG_CK_COUNT; i++) {
		snprintf(key, sizeof key, "clusters[].%s%s", i > CONFIG_CK_CONSUL ? "consul." : "",
		         config_cluster_table[i].key);
		print_key_row(out, key, &config_cluster_table[i]);
	}
	fprintf(out, "\n%-34s %s\n", "OPTION", "MEANING");
	for (size_t i = 0; i < CONFIG_KEY_COUNT; i++) {
		if (!config_table[i].flag)
			continue;
		snprintf(key, sizeof key, "--%s%s%s", config_table[i].flag,
		         config_table[i].metavar ? " " : "",
		         config_table[i].metavar ? config_table[i].metavar : "");
		fprintf(out, "%-34s %s\n", key, config_table[i].help);
	}
}
