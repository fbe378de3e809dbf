/* config: peerscope's settings, from one options table.
 *
 * Load order, each layer overriding the one before:
 *   built-in defaults
 *   -> one config file (--config; else $XDG_CONFIG_HOME/peerscope/config.yaml;
 *      else the first peerscope/config.yaml of $XDG_CONFIG_DIRS)
 *   -> the environment (KUBECONFIG, NO_COLOR, CONSUL_*)
 *   -> command-line flags.
 * Two refinements, both documented in peerscope-config(5): the CONSUL_*
 * variables describe one Consul, so they apply only when exactly one cluster
 * is selected (otherwise they are ignored with a warning); and a config file
 * that names its kubeconfig keeps it even when KUBECONFIG is set (the file
 * was written for that kubeconfig; --kubeconfig still wins).
 *
 * The tables returned by config_options() and config_cluster_options() are
 * the single description of every setting: the flag parser, the file
 * parser, the environment, --help, `peerscope config keys` and the
 * documentation tests all read them. A later flag is one more entry.
 *
 * Every problem is collected as a diagnostic naming where it comes from
 * (file:line:column, the environment variable or the flag) and what was
 * expected; loading goes on after an error so that all of them are reported
 * together. */
#ifndef PEERSCOPE_CONFIG_H
#define PEERSCOPE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "peerscope/log.h"

struct http_options;
struct kubeconfig;

/* ------------------------------------------------------------ the tables */

enum config_type {
	CONFIG_T_ACTION,     /* flag that does something and exits (--help) */
	CONFIG_T_BOOL,       /* file: true/false; flag: no argument, sets true */
	CONFIG_T_STRING,     /* any non-empty string */
	CONFIG_T_SECRET,     /* a string that is never printed unmasked */
	CONFIG_T_PATH,       /* "~/" expands to $HOME; relative to the config file */
	CONFIG_T_DURATION,   /* 5s, 500ms, 1m, 1h, 1m30s */
	CONFIG_T_LIST,       /* flag: comma-separated names */
	CONFIG_T_LEVEL,      /* error, warn, info, debug */
	CONFIG_T_ADDRESS,    /* http(s)://host:port, or host:port meaning http:// */
	CONFIG_T_NAMESPACE,  /* a Kubernetes namespace name */
	CONFIG_T_CLUSTERS,   /* the list of clusters (file only) */
	CONFIG_T_MAPPING,    /* a nested mapping (cluster.consul) */
	CONFIG_T_KEYS,       /* action names to key lists (file only) */
	CONFIG_T_PARTITIONS, /* a list of admin partition names, or all (file only) */
};

/* Where --help lists a flag: the main --help fits an 80x24 terminal, so the
 * operations' flags have their own (peerscope peer --help), and a few are
 * named in another flag's line. */
enum config_help {
	CONFIG_HELP_MAIN,
	CONFIG_HELP_OPS,
	CONFIG_HELP_INLINE, /* named in the help of another flag */
	CONFIG_HELP_DEMO,   /* the demo's and the scripts' (peerscope --demo --help) */
};

struct config_option {
	const char *key;     /* key in the config file, or NULL */
	const char *flag;    /* long flag without "--", or NULL */
	char short_flag;     /* or 0 */
	const char *metavar; /* name of the flag's argument, NULL when it takes none */
	const char *env;     /* environment variable, or NULL */
	enum config_type type;
	const char *def; /* default, as shown to the user; NULL: unset */
	const char *help;
	enum config_help help_in; /* which --help lists the flag */
};

/* Settings of the program as a whole, in the order of config_options(). */
enum config_key {
	CONFIG_KEY_HELP,
	CONFIG_KEY_VERSION,
	CONFIG_KEY_CONFIG,
	CONFIG_KEY_KUBECONFIG,
	CONFIG_KEY_CONTEXT,
	CONFIG_KEY_READONLY,
	CONFIG_KEY_THEME,
	CONFIG_KEY_NO_COLOR,
	CONFIG_KEY_ASCII,
	CONFIG_KEY_REFRESH,
	CONFIG_KEY_STEADY_REFRESH,
	CONFIG_KEY_KUBE_PROBE,
	CONFIG_KEY_HIGHLIGHT,
	CONFIG_KEY_LOG_FILE,
	CONFIG_KEY_LOG_LEVEL,
	CONFIG_KEY_ONCE,
	CONFIG_KEY_OUTPUT,
	CONFIG_KEY_TIMEOUT,
	CONFIG_KEY_STRICT,
	CONFIG_KEY_DEMO,
	CONFIG_KEY_NO_MOUSE,
	CONFIG_KEY_CORE_DUMPS,
	CONFIG_KEY_AUDIT_LOG,
	CONFIG_KEY_WAIT,
	CONFIG_KEY_NAME,
	CONFIG_KEY_DIALER_NAME,
	CONFIG_KEY_SECRET_NAME,
	CONFIG_KEY_PARTITION,
	CONFIG_KEY_DIALER_PARTITION,
	CONFIG_KEY_SERVICE,
	CONFIG_KEY_TO,
	CONFIG_KEY_FROM,
	CONFIG_KEY_YES,
	CONFIG_KEY_DRY_RUN,
	CONFIG_KEY_SCRIPT,
	CONFIG_KEY_TOUR,
	CONFIG_KEY_TOUR_AUTO,
	CONFIG_KEY_DEMO_CLUSTERS,
	CONFIG_KEY_DEMO_SCALE,
	CONFIG_KEY_KEYS,
	CONFIG_KEY_CLUSTERS,
	CONFIG_KEY_COUNT
};

/* Settings of one cluster, in the order of config_cluster_options(). The
 * keys after CONFIG_CK_CONSUL live in the cluster's "consul" mapping. */
enum config_cluster_key {
	CONFIG_CK_NAME,
	CONFIG_CK_CONTEXT,
	CONFIG_CK_NAMESPACE,
	CONFIG_CK_READONLY,
	CONFIG_CK_PARTITIONS,
	CONFIG_CK_CONSUL,
	CONFIG_CK_ADDRESS,
	CONFIG_CK_TOKEN,
	CONFIG_CK_TOKEN_FILE,
	CONFIG_CK_CA_FILE,
	CONFIG_CK_CLIENT_CERT_FILE,
	CONFIG_CK_CLIENT_KEY_FILE,
	CONFIG_CK_TLS_SERVER_NAME,
	CONFIG_CK_INSECURE,
	CONFIG_CK_GATEWAY_TOKEN_FILE,
	CONFIG_CK_COUNT
};

const struct config_option *config_options(size_t *count);
const struct config_option *config_cluster_options(size_t *count);

/* ------------------------------------------------------------ diagnostics */

struct config_diag {
	bool warning;
	char *where; /* "file:3:5", "environment variable X", "--flag"; or NULL */
	char *msg;
};

struct config_diags {
	struct config_diag *v;
	size_t n;
	size_t errors; /* how many of v are errors, not warnings */
};

/* One line each: "where: error: msg" / "where: warning: msg". */
void config_diags_print(const struct config_diags *d, FILE *out);
void config_diags_free(struct config_diags *d);

/* ------------------------------------------------------------ command line */

/* What the command line said: flags by key, and the remaining words
 * (the subcommand). Strings point into argv. */
struct config_args {
	const char *value[CONFIG_KEY_COUNT];     /* argument, or "" for a flag without one */
	const char *flag_used[CONFIG_KEY_COUNT]; /* "--theme" or "-h", NULL if absent */
	const char **words;
	size_t nwords;
};

/* Parses argv. "--" ends the options; "--name=value" and "--name value"
 * both work. Returns 0, or -1 with the problems in d (unknown flags get a
 * "did you mean" suggestion). */
int config_parse_args(int argc, char **argv, struct config_args *args, struct config_diags *d);
void config_args_free(struct config_args *args);

/* --help, generated from config_options(). */
void config_usage(FILE *out);
/* The operations' --help (peerscope peer --help): their commands and
 * flags. */
void config_usage_ops(FILE *out);
/* The demo's --help (peerscope --demo --help): the demo's flags and
 * scripts. */
void config_usage_demo(FILE *out);

/* ------------------------------------------------------------ settings */

enum config_source {
	CONFIG_SRC_DEFAULT,
	CONFIG_SRC_FILE,
	CONFIG_SRC_ENV,
	CONFIG_SRC_FLAG,
	CONFIG_SRC_KUBECONFIG, /* a cluster made from a kubeconfig context */
};

struct config_origin {
	enum config_source source;
	unsigned line, column; /* CONFIG_SRC_FILE */
	const char *name;      /* the variable or flag; static or argv storage */
};

struct config_consul {
	char *address; /* NULL: through the Kubernetes API server's service proxy */
	char *token;   /* secret */
	char *token_file;
	char *ca_file;
	char *client_cert_file;
	char *client_key_file;
	char *tls_server_name;
	bool insecure_skip_verify;
	/* The mesh gateways' ACL token, for the checks of its grants only. */
	char *gateway_token_file;
};

struct config_cluster {
	char *name;
	char *context; /* kubeconfig context; NULL for a Consul-only cluster */
	char *namespace;
	bool readonly; /* this cluster's own setting; see config_cluster_readonly() */
	/* Consul Enterprise admin partitions to read: the names given, or
	 * every partition /v1/partitions lists when partitions_all. None and
	 * not all: the token's partition, with no partition parameter sent. */
	char **partitions;
	size_t npartitions;
	bool partitions_all;
	struct config_consul consul;
	struct config_origin origin[CONFIG_CK_COUNT];
};

/* One entry of the file's keys: mapping: the keys of ACTION, replacing its
 * default keys. Both were checked at load against the action table
 * (actions.h): the action exists and takes no argument, every key name is
 * known. */
struct config_binding {
	char *action; /* an action name, "quit" */
	char *keys;   /* key names separated by spaces, "q F10" */
	struct config_origin origin;
};

struct config {
	char *config_file; /* the file read, or NULL */
	char *kubeconfig;  /* the kubeconfig path list in use, or NULL */
	bool kubeconfig_explicit;
	char **contexts; /* --context selection */
	size_t ncontexts;
	char *theme;
	long refresh_ms;
	long steady_refresh_ms; /* the stream poll of a cluster where nothing moves */
	long kube_probe_ms;     /* how often an API server that answers is probed */
	long highlight_ms;      /* how long a new or changed row stays highlighted; 0: never */
	bool readonly;
	bool no_color;
	bool ascii;
	char *log_file;
	enum log_level log_level;
	bool once;           /* --once: print every cluster's state and exit */
	char *output;        /* --output of --once: "table" or "json" */
	long timeout_ms;     /* --timeout of --once */
	bool strict;         /* --strict: check's warnings and unknowns fail too */
	bool demo;           /* --demo: the dashboard on a simulated world */
	char *script;        /* --script: a script the dashboard plays */
	bool tour;           /* --tour: the demo's guided tour */
	char *tour_auto;     /* --tour-auto: seconds after which a pause ends; NULL: never */
	char *demo_clusters; /* --demo-clusters N: 2 to 8 */
	char *demo_scale;    /* --demo-scale services=N */
	bool no_mouse;       /* --no-mouse: leave the mouse to the terminal */
	bool core_dumps;     /* --core-dumps: the process may dump core (tokens and all) */
	char *audit_log;     /* the audit log; NULL: $XDG_STATE_HOME/peerscope/audit.log */
	/* The operation subcommands (peer, unpeer, ...). */
	long wait_ms;      /* --wait: each wait of an operation */
	char *name;        /* --name: the peer name on the first cluster */
	char *dialer_name; /* --dialer-name: the peer name on the second */
	char *secret_name; /* --secret-name: the token Secret */
	/* --partition, --dialer-partition: the admin partition on the first
	 * cluster and on the second (Consul Enterprise). */
	char *partition;
	char *dialer_partition;
	char *service; /* --service: gateway-mode of one service */
	char *to;      /* --to: export's and unexport's consumer peer */
	char *from;    /* --from: allow's and deny's source peer */
	bool yes;      /* --yes: no confirmation */
	bool dry_run;  /* --dry-run: print what would be sent, change nothing */
	/* The file's keys:, in its order. */
	struct config_binding *bindings;
	size_t nbindings;
	struct config_cluster *clusters;
	size_t nclusters;
	size_t capclusters; /* room in clusters, grown geometrically */
	/* The loaded kubeconfig (NULL when no cluster needs one), owned. */
	struct kubeconfig *kube;
	struct config_origin origin[CONFIG_KEY_COUNT];
};

/* Loads the configuration for ARGS. envp: the environment ("NAME=VALUE",
 * NULL-terminated), so tests can pass their own. Returns 0 with *out set, or
 * -1 when d holds at least one error (*out is NULL then). Warnings are added
 * to d either way. */
int config_load(const struct config_args *args, char *const *envp, struct config **out,
                struct config_diags *d);
void config_free(struct config *cfg);

/* Readonly for this cluster: the global setting or its own. */
bool config_cluster_readonly(const struct config *cfg, const struct config_cluster *c);

/* The cluster's Consul ACL token: consul.token, or the content of
 * consul.token_file with trailing whitespace removed (read on each call, so
 * a rotated file is picked up). *token is NULL when neither is set; free it
 * with config_token_free(). Returns 0, or -1 with err naming the file, never
 * the token. */
int config_consul_token(const struct config_cluster *c, char **token, char *err, size_t errlen);
void config_token_free(char *token);
/* The content of consul.gateway_token_file, as config_consul_token reads
 * its file; *token NULL when it is not set. */
int config_gateway_token(const struct config_cluster *c, char **token, char *err, size_t errlen);

/* Fills the Consul part of http options for a cluster with consul.address:
 * base_url, CA, client certificate and key files, server name, insecure and
 * the X-Consul-Token (TOKEN, from config_consul_token). The pointers borrow
 * from c and token. Clusters without an address go through the Kubernetes
 * service proxy instead (the kube module builds that URL). */
void config_consul_http_options(const struct config_cluster *c, const char *token,
                                struct http_options *opts);

/* The effective configuration as YAML, secrets masked, each value followed
 * by a comment saying where it came from. */
void config_print(const struct config *cfg, FILE *out);

/* Every config file key, environment variable and flag, from the tables. */
void config_print_keys(FILE *out);

/* Parses a duration ("5s", "500ms", "1m", "1h30m", "1.5s") into
 * milliseconds. Returns false for anything else, or for a value that does
 * not fit. */
bool config_parse_duration(const char *text, long *ms);
/* Writes ms as the shortest duration text ("5s", "1m30s", "250ms"). */
char *config_format_duration(long ms, char *out, size_t outlen);

#endif
