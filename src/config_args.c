/* config: the command line and the environment. See
 * include/peerscope/config.h and src/config_internal.h. */
#include "autoconfig.h"

#include "peerscope/config.h"

#include "config_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ command line */

static const struct config_option *find_flag(const char *name, size_t len, enum config_key *key)
{
	for (size_t i = 0; i < CONFIG_KEY_COUNT; i++) {
		if (config_table[i].flag && strlen(config_table[i].flag) == len &&
		    !strncmp(config_table[i].flag, name, len)) {
			*key = (enum config_key)i;
			return &config_table[i];
		}
	}
	return NULL;
}

static const struct config_option *find_short(char c, enum config_key *key)
{
	for (size_t i = 0; i < CONFIG_KEY_COUNT; i++) {
		if (config_table[i].short_flag && config_table[i].short_flag == c) {
			*key = (enum config_key)i;
			return &config_table[i];
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
		snprintf(flags[i], sizeof flags[i], "--%s",
		         config_table[i].flag ? config_table[i].flag : "");
		cands[i] = config_table[i].flag ? flags[i] : NULL;
	}
	snprintf(name, sizeof name, "%.*s", (int)strcspn(arg, "="), arg);
	config_diag(d, false, NULL, "unknown option '%s'%s", name,
	            config_did_you_mean(name, cands, CONFIG_KEY_COUNT, hint, sizeof hint));
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
			config_diag(d, false, NULL, "unknown option '%s'", arg);
		return;
	}
	if (!opt->metavar) {
		if (value)
			config_diag(d, false, NULL, "option '--%s' takes no value", opt->flag);
		else
			args->value[key] = "";
		args->flag_used[key] = arg;
		return;
	}
	if (!value) {
		if (*i + 1 >= argc) {
			config_diag(d, false, NULL, "option '--%s' needs a value (%s)", opt->flag,
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
		config_diag(d, false, NULL, "out of memory");
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

/* ------------------------------------------------------------ environment */

const char *config_env_get(char *const *envp, const char *name)
{
	size_t len = strlen(name);

	for (size_t i = 0; envp && envp[i]; i++)
		if (!strncmp(envp[i], name, len) && envp[i][len] == '=')
			return envp[i] + len + 1;
	return NULL;
}

void config_apply_env_globals(struct config_loader *ld)
{
	const char *kc = config_env_get(ld->envp, "KUBECONFIG");
	const char *nc = config_env_get(ld->envp, "NO_COLOR");
	struct config *cfg = ld->cfg;

	/* A file that names its kubeconfig keeps it: see config.h. */
	if (kc && *kc && !ld->file_kubeconfig) {
		char *dup = strdup(kc);
		if (!dup) {
			config_diag(ld->d, false, NULL, "out of memory");
			return;
		}
		free(cfg->kubeconfig);
		cfg->kubeconfig = dup;
		cfg->origin[CONFIG_KEY_KUBECONFIG] =
		        (struct config_origin){.source = CONFIG_SRC_ENV, .name = "KUBECONFIG"};
	} else if (kc && *kc) {
		config_warn_at(ld, &cfg->origin[CONFIG_KEY_KUBECONFIG],
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

void config_apply_flags(struct config_loader *ld, const struct config_args *args)
{
	struct config *cfg = ld->cfg;
	char why[512];

	for (size_t i = 0; i < CONFIG_KEY_COUNT; i++) {
		const char *v = args->value[i];
		const struct config_option *o = &config_table[i];
		if (!v || o->type == CONFIG_T_ACTION || i == CONFIG_KEY_CONFIG)
			continue;
		char where[80];
		snprintf(where, sizeof where, "--%s", o->flag);
		if (o->type == CONFIG_T_LIST) {
			if (!*v || split_list(v, &cfg->contexts, &cfg->ncontexts) != 0 ||
			    !cfg->ncontexts)
				config_diag(ld->d, false, where, "expected %s",
				            config_type_expectation(o->type));
		} else if (o->type == CONFIG_T_BOOL) {
			*(bool *)config_global_field(cfg, (enum config_key)i) = true;
		} else if (config_set_value(ld, o, v, config_global_field(cfg, (enum config_key)i),
		                            false, why, sizeof why) != 0) {
			config_diag(ld->d, false, where, "%s", why);
			continue;
		}
		cfg->origin[i] = (struct config_origin){.source = CONFIG_SRC_FLAG, .name = o->flag};
		if (i == CONFIG_KEY_KUBECONFIG)
			cfg->kubeconfig_explicit = true;
	}
}

/* A Consul-only cluster from CONSUL_HTTP_ADDR when nothing else exists. */
bool config_cluster_from_env(struct config_loader *ld)
{
	const char *addr = config_env_get(ld->envp, "CONSUL_HTTP_ADDR");
	struct config_cluster *c;

	if (!addr || !*addr)
		return false;
	c = config_cluster_add(ld->cfg);
	if (!c || !(c->name = strdup("consul"))) {
		config_diag(ld->d, false, NULL, "out of memory");
		return true;
	}
	c->origin[CONFIG_CK_NAME] =
	        (struct config_origin){.source = CONFIG_SRC_ENV, .name = "CONSUL_HTTP_ADDR"};
	return true;
}

static void forget_setting(struct config_cluster *c, enum config_cluster_key k)
{
	char **field = config_cluster_field(c, k);

	if (*field)
		explicit_bzero(*field, strlen(*field));
	free(*field);
	*field = NULL;
	c->origin[k] = (struct config_origin){0};
}

/* Applies one CONSUL_* variable (value V) to cluster C. */
static void env_consul_one(struct config_loader *ld, struct config_cluster *c,
                           enum config_cluster_key k, const char *v)
{
	const struct config_option *o = &config_cluster_table[k];
	char where[80], why[512];
	bool verify;

	snprintf(where, sizeof where, "environment variable %s", o->env);
	if (k == CONFIG_CK_INSECURE) {
		if (!config_parse_bool(v, &verify)) {
			config_diag(ld->d, false, where, "expected true or false, found '%s'", v);
			return;
		}
		c->consul.insecure_skip_verify = !verify;
	} else if (config_set_value(ld, o, v, config_cluster_field(c, k), false, why, sizeof why) !=
	           0) {
		config_diag(ld->d, false, where, "%s", why);
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
void config_apply_env_consul(struct config_loader *ld)
{
	struct config *cfg = ld->cfg;
	char names[512] = "";
	size_t used = 0;

	for (size_t k = CONFIG_CK_ADDRESS; k < CONFIG_CK_COUNT; k++) {
		if (!config_cluster_table[k].env)
			continue; /* a setting no CONSUL_* variable gives */
		const char *v = config_env_get(ld->envp, config_cluster_table[k].env);
		if (!v || !*v)
			continue;
		if (cfg->nclusters == 1) {
			env_consul_one(ld, &cfg->clusters[0], (enum config_cluster_key)k, v);
			continue;
		}
		if (used < sizeof names - 1)
			used += (size_t)snprintf(names + used, sizeof names - used, "%s%s",
			                         used ? ", " : "", config_cluster_table[k].env);
	}
	if (cfg->nclusters == 1)
		settle_token(&cfg->clusters[0]);
	if (used)
		config_diag(ld->d, true, NULL,
		            "%s ignored: they describe one Consul and %zu clusters are selected; "
		            "set consul settings per cluster in the config file",
		            names, cfg->nclusters);
}
