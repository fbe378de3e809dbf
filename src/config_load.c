/* config: the load order (defaults, file, environment, flags), the clusters
 * it yields, and their validation. See include/peerscope/config.h and
 * src/config_internal.h. */
#include "autoconfig.h"

#include "peerscope/config.h"

#include "config_internal.h"

#include "peerscope/http.h"

#include "peerscope/actions.h"
#include "peerscope/kubeconfig.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CONFIG_MIN_REFRESH   100L
#define CONFIG_MAX_REFRESH   3600000L
#define CONFIG_MAX_HIGHLIGHT 60000L

/* ------------------------------------------------------------ defaults */

static int set_defaults(struct config *cfg)
{
	cfg->theme = strdup(config_table[CONFIG_KEY_THEME].def);
	cfg->log_level = LOG_LEVEL_INFO;
	if (!config_parse_duration(config_table[CONFIG_KEY_REFRESH].def, &cfg->refresh_ms) ||
	    !config_parse_duration(config_table[CONFIG_KEY_STEADY_REFRESH].def,
	                           &cfg->steady_refresh_ms) ||
	    !config_parse_duration(config_table[CONFIG_KEY_KUBE_PROBE].def, &cfg->kube_probe_ms) ||
	    !config_parse_duration(config_table[CONFIG_KEY_HIGHLIGHT].def, &cfg->highlight_ms) ||
	    !config_parse_duration(config_table[CONFIG_KEY_TIMEOUT].def, &cfg->timeout_ms) ||
	    !config_parse_duration(config_table[CONFIG_KEY_WAIT].def, &cfg->wait_ms))
		return -1;
	cfg->output = strdup(config_table[CONFIG_KEY_OUTPUT].def);
	return cfg->theme && cfg->output ? 0 : -1;
}

/* ------------------------------------------------------------ clusters */

/* Loads cfg->kube once; on failure describes the problem in err. */
static void load_kubeconfig(struct config_loader *ld, char *err, size_t errlen)
{
	struct config *cfg = ld->cfg;
	char path[4096];

	if (cfg->kube)
		return;
	if (!cfg->kubeconfig) {
		kubeconfig_default_path(ld->home, path, sizeof path);
		cfg->kubeconfig = strdup(path);
		if (!cfg->kubeconfig) {
			config_diag(ld->d, false, NULL, "out of memory");
			return;
		}
	}
	/* A path from the file or a flag is named on purpose; KUBECONFIG and
	 * the default are lists whose missing files kubectl skips. */
	bool explicit_file = cfg->origin[CONFIG_KEY_KUBECONFIG].source == CONFIG_SRC_FILE ||
	                     cfg->origin[CONFIG_KEY_KUBECONFIG].source == CONFIG_SRC_FLAG;
	cfg->kubeconfig_explicit = explicit_file;
	cfg->kube = kubeconfig_load_within(cfg->kubeconfig, explicit_file, ld->pipe_timeout_ms, err,
	                                   errlen);
}

static void clusters_from_kubeconfig(struct config_loader *ld)
{
	struct config *cfg = ld->cfg;
	struct kubeconfig *kc = cfg->kube;

	for (size_t i = 0; i < kubeconfig_context_count(kc); i++) {
		const char *name = kubeconfig_context_name(kc, i);
		struct config_cluster *c = config_cluster_add(cfg);
		if (!c || !(c->name = strdup(name)) || !(c->context = strdup(name))) {
			config_diag(ld->d, false, NULL, "out of memory");
			return;
		}
		struct config_origin o = {.source = CONFIG_SRC_KUBECONFIG, .name = "context"};
		c->origin[CONFIG_CK_NAME] = o;
		c->origin[CONFIG_CK_CONTEXT] = o;
	}
	if (!cfg->nclusters)
		config_diag(ld->d, false, NULL,
		            "no clusters: the kubeconfig %s has no contexts and there is no config "
		            "file",
		            kubeconfig_files(kc));
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
static void select_clusters(struct config_loader *ld)
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
			config_diag(ld->d, false, "--context",
			            "no cluster or kubeconfig context is named '%s'",
			            cfg->contexts[i]);
	}
	for (size_t j = 0; j < cfg->nclusters; j++) {
		if (selected(cfg, &cfg->clusters[j]))
			cfg->clusters[kept++] = cfg->clusters[j];
		else
			config_cluster_clear(&cfg->clusters[j]);
	}
	cfg->nclusters = kept;
}

static void check_contexts(struct config_loader *ld)
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
		config_diag(
		        ld->d, false,
		        config_origin_where(ld, &first->origin[CONFIG_CK_CONTEXT], where,
		                            sizeof where),
		        "cluster '%s' names kubeconfig context '%s', but the kubeconfig cannot be "
		        "read: %s",
		        first->name ? first->name : "?", first->context, err);
		return;
	}
	for (size_t i = 0; i < cfg->nclusters; i++) {
		struct config_cluster *c = &cfg->clusters[i];
		if (!c->context || kubeconfig_has_context(cfg->kube, c->context))
			continue;
		config_diag(
		        ld->d, false,
		        config_origin_where(ld, &c->origin[CONFIG_CK_CONTEXT], where, sizeof where),
		        "cluster '%s': context '%s' is not in the kubeconfig (%s)", c->name,
		        c->context, kubeconfig_files(cfg->kube));
	}
}

static void check_file_readable(struct config_loader *ld, const struct config_cluster *c,
                                enum config_cluster_key k, const char *path)
{
	char where[4200];
	struct stat st;

	if (!path)
		return;
	if (access(path, R_OK) != 0) {
		config_diag(
		        ld->d, false, config_origin_where(ld, &c->origin[k], where, sizeof where),
		        "cluster '%s': consul.%s %s cannot be read: %s", c->name ? c->name : "?",
		        config_cluster_table[k].key, path, strerror(errno));
		return;
	}
	/* A FIFO would block whoever reads it (libcurl reads the TLS files). */
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode))
		config_diag(ld->d, false,
		            config_origin_where(ld, &c->origin[k], where, sizeof where),
		            "cluster '%s': consul.%s %s is not a regular file%s",
		            c->name ? c->name : "?", config_cluster_table[k].key, path,
		            S_ISDIR(st.st_mode) ? " (a directory)" : "");
}

static void validate_cluster(struct config_loader *ld, const struct config_cluster *c,
                             bool used_before)
{
	const struct config_consul *cs = &c->consul;
	char where[4200];

	if (used_before)
		config_diag(
		        ld->d, false,
		        config_origin_where(ld, &c->origin[CONFIG_CK_NAME], where, sizeof where),
		        "cluster name '%s' is used twice (names must be unique)", c->name);
	if (cs->token && !http_header_safe(cs->token))
		config_diag(
		        ld->d, false,
		        config_origin_where(ld, &c->origin[CONFIG_CK_TOKEN], where, sizeof where),
		        "cluster '%s': consul.token holds a line break or another control "
		        "character: refused (it would be sent as request headers of its own)",
		        c->name ? c->name : "?");
	check_file_readable(ld, c, CONFIG_CK_TOKEN_FILE, cs->token_file);
	check_file_readable(ld, c, CONFIG_CK_GATEWAY_TOKEN_FILE, cs->gateway_token_file);
	check_file_readable(ld, c, CONFIG_CK_CA_FILE, cs->ca_file);
	check_file_readable(ld, c, CONFIG_CK_CLIENT_CERT_FILE, cs->client_cert_file);
	check_file_readable(ld, c, CONFIG_CK_CLIENT_KEY_FILE, cs->client_key_file);
	if (!cs->client_cert_file != !cs->client_key_file) {
		enum config_cluster_key k = cs->client_cert_file ? CONFIG_CK_CLIENT_CERT_FILE
		                                                 : CONFIG_CK_CLIENT_KEY_FILE;
		config_diag(ld->d, false,
		            config_origin_where(ld, &c->origin[k], where, sizeof where),
		            "cluster '%s': client_cert_file and client_key_file go together",
		            c->name ? c->name : "?");
	}
	if (!c->context && !cs->address)
		config_diag(
		        ld->d, false,
		        config_origin_where(ld, &c->origin[CONFIG_CK_NAME], where, sizeof where),
		        "cluster '%s' has neither a kubeconfig context nor consul.address "
		        "(expected at least one)",
		        c->name ? c->name : "?");
	if (cs->insecure_skip_verify)
		config_diag(ld->d, true,
		            config_origin_where(ld, &c->origin[CONFIG_CK_INSECURE], where,
		                                sizeof where),
		            "cluster '%s': Consul's TLS certificate is not verified",
		            c->name ? c->name : "?");
}

/* True when one of the key names in KEYS (space-separated) means KEY. */
static bool keys_have(const char *keys, int key)
{
	char buf[256], *save = NULL;

	snprintf(buf, sizeof buf, "%s", keys);
	for (char *w = strtok_r(buf, " ", &save); w; w = strtok_r(NULL, " ", &save))
		if (actions_key_parse(w) == key)
			return true;
	return false;
}

/* The keys: of the file against the final settings: a dangerous action is
 * not bound in read-only mode, and a key given to two actions goes to the
 * later one. Both are warnings: the dashboard still starts. */
static void validate_bindings(struct config_loader *ld)
{
	const struct config *cfg = ld->cfg;
	char where[4200], buf[256], *save = NULL;

	for (size_t j = 0; j < cfg->nbindings; j++) {
		const struct config_binding *b = &cfg->bindings[j];
		const struct action *a = actions_get(actions_find(b->action));
		const char *at = config_origin_where(ld, &b->origin, where, sizeof where);
		if (a && (a->flags & ACTION_F_DANGEROUS) && cfg->readonly)
			config_diag(
			        ld->d, true, at,
			        "'keys.%s': %s changes clusters, so it is not bound in read-only "
			        "mode",
			        b->action, b->action);
		snprintf(buf, sizeof buf, "%s", b->keys);
		for (char *w = strtok_r(buf, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
			for (size_t i = 0; i < j; i++)
				if (keys_have(cfg->bindings[i].keys, actions_key_parse(w)))
					config_diag(ld->d, true, at,
					            "'keys.%s': key '%s' is given to %s too; %s "
					            "gets it",
					            b->action, w, cfg->bindings[i].action,
					            b->action);
		}
	}
}

/* Orders the clusters' positions by name, then position. */
static int by_name(const void *a, const void *b, void *arg)
{
	const struct config_cluster *v = arg;
	size_t i = *(const size_t *)a, j = *(const size_t *)b;
	int c = strcmp(v[i].name, v[j].name);

	return c ? c : (i > j) - (i < j);
}

/* DUP[i]: cluster i has the name of an earlier one. Sorted, not compared
 * pair by pair: thousands of kubeconfig contexts stay fast. */
static bool *duplicates(const struct config *cfg)
{
	size_t n = cfg->nclusters, *order = calloc(n ? n : 1, sizeof *order);
	bool *dup = calloc(n ? n : 1, sizeof *dup);
	size_t m = 0;

	if (!order || !dup) {
		free(order);
		free(dup);
		return NULL;
	}
	for (size_t i = 0; i < n; i++)
		if (cfg->clusters[i].name)
			order[m++] = i;
	qsort_r(order, m, sizeof *order, by_name, cfg->clusters);
	for (size_t k = 1; k < m; k++)
		dup[order[k]] =
		        !strcmp(cfg->clusters[order[k]].name, cfg->clusters[order[k - 1]].name);
	free(order);
	return dup;
}

/* A duration setting K (value V) outside [MIN, MAX] ms is an error that
 * names where it was set; RANGE says the bounds to the reader. */
static void check_duration(struct config_loader *ld, enum config_key k, long v, long min, long max,
                           const char *range)
{
	char where[4200];

	if (v < min || v > max)
		config_diag(ld->d, false,
		            config_origin_where(ld, &ld->cfg->origin[k], where, sizeof where),
		            "'%s': expected a duration between %s, found %ldms",
		            config_table[k].key, range, v);
}

static void validate(struct config_loader *ld)
{
	struct config *cfg = ld->cfg;

	check_duration(ld, CONFIG_KEY_REFRESH, cfg->refresh_ms, CONFIG_MIN_REFRESH,
	               CONFIG_MAX_REFRESH, "100ms and 1h");
	check_duration(ld, CONFIG_KEY_STEADY_REFRESH, cfg->steady_refresh_ms, CONFIG_MIN_REFRESH,
	               CONFIG_MAX_REFRESH, "100ms and 1h");
	check_duration(ld, CONFIG_KEY_KUBE_PROBE, cfg->kube_probe_ms, CONFIG_MIN_REFRESH,
	               CONFIG_MAX_REFRESH, "100ms and 1h");
	check_duration(ld, CONFIG_KEY_HIGHLIGHT, cfg->highlight_ms, 0, CONFIG_MAX_HIGHLIGHT,
	               "0s and 1m");
	bool *dup = duplicates(cfg);
	if (!dup)
		config_diag(ld->d, false, NULL, "out of memory");
	for (size_t i = 0; dup && i < cfg->nclusters; i++)
		validate_cluster(ld, &cfg->clusters[i], dup[i]);
	free(dup);
	validate_bindings(ld);
}

static void build_clusters(struct config_loader *ld)
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
			config_diag(ld->d, false, NULL, "%s (the kubeconfig named by %s)", err,
			            config_origin_where(ld, ko, where, sizeof where));
		else if (!config_cluster_from_env(ld))
			config_diag(
			        ld->d, false, NULL,
			        "no clusters are configured: there is no config file (%s) and no "
			        "kubeconfig (%s)",
			        ld->default_file ? ld->default_file : "see --config",
			        cfg->kubeconfig);
	}
	select_clusters(ld);
	check_contexts(ld);
	config_apply_env_consul(ld);
	validate(ld);
}

int config_load(const struct config_args *args, char *const *envp, struct config **out,
                struct config_diags *d)
{
	struct config *cfg = calloc(1, sizeof *cfg);
	struct config_loader ld = {.cfg = cfg, .d = d, .envp = envp};
	size_t errors = d->errors;

	*out = NULL;
	if (!cfg || set_defaults(cfg) != 0) {
		config_diag(d, false, NULL, "out of memory");
		config_free(cfg);
		return -1;
	}
	ld.home = config_env_get(envp, "HOME");
	/* A file that is a pipe is read for at most --timeout (the flags come
	 * after the file in the load order, but a deadline is the caller's). */
	ld.pipe_timeout_ms = KUBECONFIG_PIPE_TIMEOUT_MS;
	long t;
	if (args->value[CONFIG_KEY_TIMEOUT] &&
	    config_parse_duration(args->value[CONFIG_KEY_TIMEOUT], &t) && t > 0)
		ld.pipe_timeout_ms = t;
	if (config_file_choose(&ld, args, &cfg->config_file) != 0) {
		config_diag(d, false, NULL, "out of memory");
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
		config_file_parse(&ld);
	}
	config_apply_env_globals(&ld);
	config_apply_flags(&ld, args);
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
