/* peerscope: entry point. Parses the command line and dispatches. */
#include "autoconfig.h"

#include "peerscope/checkcmd.h"
#include "peerscope/config.h"
#include "peerscope/report.h"
#include "peerscope/log.h"
#include "peerscope/opcmd.h"
#include "peerscope/demo.h"
#include "peerscope/dashboard.h"
#include "peerscope/preflight.h"
#include "peerscope/redact.h"
#include "peerscope/term.h"
#include "heap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

extern char **environ;

enum {
	EXIT_USAGE = 2
};

enum command {
	CMD_CLUSTERS,     /* no command: the dashboard, or the list off a terminal */
	CMD_CONFIG_CHECK, /* config check */
	CMD_CONFIG_KEYS,  /* config keys */
	CMD_OPERATION,    /* peer, ..., unpeer; gateway-mode, ..., allow, deny */
	CMD_CHECK_VALUES, /* check values FILE...: offline, no configuration needed */
	CMD_CHECK,        /* check [CLUSTER...]: live */
};

/* A core dump of peerscope would hold ACL tokens, bearer tokens and
 * peering tokens: the process is not dumpable (which also keeps other
 * processes of the user from reading its memory through ptrace or
 * /proc/PID/mem) and its core size limit is 0, unless --core-dumps asks
 * otherwise. Before any file or credential is read. */
static void no_core_dumps(void)
{
	struct rlimit none = {0, 0};

	setrlimit(RLIMIT_CORE, &none);
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

static int usage_error(void)
{
	fprintf(stderr, "Try 'peerscope --help' for more information.\n");
	return EXIT_USAGE;
}

static int parse_command(const struct config_args *args, enum command *cmd, enum ops_kind *op)
{
	const char *const *w = args->words;

	if (args->nwords == 0) {
		*cmd = CMD_CLUSTERS;
		return 0;
	}
	if (opcmd_find(w[0], op)) {
		*cmd = CMD_OPERATION;
		return 0;
	}
	if (!strcmp(w[0], "config") && args->nwords == 2 && !strcmp(w[1], "check")) {
		*cmd = CMD_CONFIG_CHECK;
		return 0;
	}
	if (!strcmp(w[0], "config") && args->nwords == 2 && !strcmp(w[1], "keys")) {
		*cmd = CMD_CONFIG_KEYS;
		return 0;
	}
	if (!strcmp(w[0], "config") && args->nwords == 1) {
		fprintf(stderr, "peerscope: 'config' needs a subcommand: check or keys\n");
		return -1;
	}
	if (!strcmp(w[0], "check") && args->nwords >= 2 && !strcmp(w[1], "values")) {
		*cmd = CMD_CHECK_VALUES;
		return 0;
	}
	if (!strcmp(w[0], "check")) {
		*cmd = CMD_CHECK;
		return 0;
	}
	fprintf(stderr, "peerscope: unknown command '");
	for (size_t i = 0; i < args->nwords; i++)
		term_fprintf(stderr, "%s%s", i ? " " : "", w[i]);
	fprintf(stderr, "' (commands: peer, acceptor, exchange, dialer, regenerate, unpeer, "
	                "gateway-mode, peer-through-gateways, export, unexport, allow, deny, "
	                "config check, config keys, check [CLUSTER...], check values FILE...)\n");
	return -1;
}

static void print_clusters(const struct config *cfg)
{
	term_printf("%-20s %-24s %-12s %s\n", "CLUSTER", "CONTEXT", "NAMESPACE", "CONSUL");
	for (size_t i = 0; i < cfg->nclusters; i++) {
		const struct config_cluster *c = &cfg->clusters[i];
		char shown[512];
		redact_url(c->consul.address ? c->consul.address : "(service proxy)", shown,
		           sizeof shown);
		term_printf("%-20s %-24s %-12s %s%s\n", c->name, c->context ? c->context : "-",
		            c->namespace, shown,
		            config_cluster_readonly(cfg, c) ? "  readonly" : "");
	}
}

/* The log of this run, when --log-file (or log_file) asks for one: the
 * configuration's warnings and what was loaded. NULL otherwise. */
static int open_log(const struct config *cfg, const struct config_diags *diags,
                    struct log_sink **sink)
{
	char err[4200];

	*sink = NULL;
	if (!cfg->log_file)
		return 0;
	*sink = log_open(cfg->log_file, cfg->log_level, err, sizeof err);
	if (!*sink) {
		term_fprintf(stderr, "peerscope: %s\n", err);
		return -1;
	}
	log_info(*sink, "%s %s: %zu cluster%s, configuration %s", PACKAGE_NAME, PACKAGE_VERSION,
	         cfg->nclusters, cfg->nclusters == 1 ? "" : "s",
	         cfg->config_file ? cfg->config_file : "(none: kubeconfig contexts)");
	struct rlimit core;
	bool dumpable = prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != 0;
	bool limited = getrlimit(RLIMIT_CORE, &core) == 0 && core.rlim_cur == 0;
	log_debug(*sink, "core dumps: %s",
	          !dumpable && limited ? "off (not dumpable, limit 0)"
	          : dumpable           ? "on (--core-dumps)"
	                               : "off (not dumpable)");
	for (size_t i = 0; i < diags->n; i++)
		log_warn(*sink, "%s%s%s", diags->v[i].where ? diags->v[i].where : "",
		         diags->v[i].where ? ": " : "", diags->v[i].msg);
	return 0;
}

static int run(const struct config_args *args, enum command cmd, enum ops_kind op)
{
	struct config_diags diags = {0};
	struct config *cfg = NULL;
	struct log_sink *sink = NULL;
	int rc = config_load(args, environ, &cfg, &diags);

	config_diags_print(&diags, stderr);
	if (rc != 0) {
		fprintf(stderr, "peerscope: the configuration has %zu error%s\n", diags.errors,
		        diags.errors == 1 ? "" : "s");
		rc = EXIT_USAGE;
		goto out;
	}
	if (open_log(cfg, &diags, &sink) != 0) {
		rc = EXIT_USAGE;
		goto out;
	}
	if (cmd == CMD_OPERATION) {
		rc = opcmd_main(cfg, sink, op, args->words + 1, args->nwords - 1);
		goto out;
	}
	if (cmd == CMD_CHECK) {
		rc = checkcmd_main(cfg, sink, args->words + 1, args->nwords - 1);
		goto out;
	}
	if (cfg->once && cmd == CMD_CLUSTERS) {
		rc = report_main(cfg, sink);
		goto out;
	}
	if (cmd == CMD_CLUSTERS && cfg->script) {
		rc = dashboard_run_script(cfg, sink);
		goto out;
	}
	if (cmd == CMD_CLUSTERS && isatty(STDIN_FILENO) && isatty(STDOUT_FILENO)) {
		rc = dashboard_run(cfg, NULL, sink);
		goto out;
	}
	if (cmd == CMD_CONFIG_CHECK)
		config_print(cfg, stdout);
	else
		print_clusters(cfg);
	rc = fflush(stdout) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
out:
	log_close(sink);
	config_free(cfg);
	config_diags_free(&diags);
	return rc;
}

int main(int argc, char **argv)
{
	struct config_diags diags = {0};
	struct config_args args;
	enum command cmd;
	enum ops_kind op = OPS_PEER;
	int rc;

	heap_setup();

	if (config_parse_args(argc, argv, &args, &diags) != 0) {
		no_core_dumps();
		for (size_t i = 0; i < diags.n; i++)
			term_fprintf(stderr, "peerscope: %s\n", diags.v[i].msg);
		config_diags_free(&diags);
		config_args_free(&args);
		return usage_error();
	}
	if (!args.value[CONFIG_KEY_CORE_DUMPS])
		no_core_dumps();
	if (args.value[CONFIG_KEY_HELP] && args.nwords && opcmd_find(args.words[0], &op)) {
		config_usage_ops(stdout);
		rc = EXIT_SUCCESS;
	} else if (args.value[CONFIG_KEY_HELP] && args.value[CONFIG_KEY_DEMO]) {
		config_usage_demo(stdout);
		rc = EXIT_SUCCESS;
	} else if (args.value[CONFIG_KEY_HELP]) {
		config_usage(stdout);
		rc = EXIT_SUCCESS;
	} else if (args.value[CONFIG_KEY_VERSION]) {
		printf("%s %s\n", PACKAGE_NAME, PACKAGE_VERSION);
		rc = EXIT_SUCCESS;
	} else if (parse_command(&args, &cmd, &op) != 0) {
		rc = usage_error();
	} else if (cmd == CMD_CONFIG_KEYS) {
		config_print_keys(stdout);
		rc = EXIT_SUCCESS;
	} else if (cmd == CMD_CHECK_VALUES) {
		rc = preflight_values_main(args.words + 2, args.nwords - 2,
		                           args.value[CONFIG_KEY_OUTPUT],
		                           args.value[CONFIG_KEY_STRICT] != NULL, stdout, stderr);
	} else if (args.value[CONFIG_KEY_DEMO] && cmd == CMD_CLUSTERS) {
		rc = demo_run(&args, environ, argv[0], NULL);
	} else {
		rc = run(&args, cmd, op);
	}
	config_args_free(&args);
	return rc;
}
