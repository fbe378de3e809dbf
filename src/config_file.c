/* config: finding and reading the config file (YAML, one document, one
 * mapping of settings). See include/peerscope/config.h and
 * src/config_internal.h. */
#include "autoconfig.h"

#include "peerscope/config.h"

#include "config_internal.h"

#include "peerscope/codec.h"

#include "peerscope/actions.h"
#include "peerscope/kubeconfig.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#define CONFIG_MAX_FILE (4 * 1024 * 1024)

/* ------------------------------------------------------------ which file */

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
int config_file_choose(struct config_loader *ld, const struct config_args *args, char **path)
{
	const char *xdg = config_env_get(ld->envp, "XDG_CONFIG_HOME");
	const char *dirs = config_env_get(ld->envp, "XDG_CONFIG_DIRS");
	int rc;

	*path = NULL;
	if (args->value[CONFIG_KEY_CONFIG] && !*args->value[CONFIG_KEY_CONFIG]) {
		config_diag(ld->d, false, "--config",
		            "expected a file path, found an empty string");
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

/* ------------------------------------------------------------ reading it */

static yaml_node_t *node_at(struct config_loader *ld, yaml_node_item_t id)
{
	return yaml_document_get_node(ld->doc, id);
}

static struct config_origin file_origin(const yaml_node_t *n)
{
	return (struct config_origin){.source = CONFIG_SRC_FILE,
	                              .line = (unsigned)n->start_mark.line + 1,
	                              .column = (unsigned)n->start_mark.column + 1};
}

static void file_error(struct config_loader *ld, const yaml_node_t *n, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static void file_error(struct config_loader *ld, const yaml_node_t *n, const char *fmt, ...)
{
	char where[4200], msg[1024];
	va_list ap;

	snprintf(where, sizeof where, "%s:%lu:%lu", ld->file, (unsigned long)n->start_mark.line + 1,
	         (unsigned long)n->start_mark.column + 1);
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	config_diag(ld->d, false, where, "%s", msg);
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
static bool file_scalar(struct config_loader *ld, const char *keypath,
                        const struct config_option *o, yaml_node_t *v, void *field)
{
	char why[512];

	if (v->type != YAML_SCALAR_NODE || is_null(v)) {
		file_error(ld, v, "'%s': expected %s, found %s", keypath,
		           config_type_expectation(o->type), found_what(v));
		return false;
	}
	if (config_set_value(ld, o, (const char *)v->data.scalar.value, field, true, why,
	                     sizeof why)) {
		file_error(ld, v, "'%s': %s", keypath, why);
		return false;
	}
	return true;
}

/* Iterates a mapping, reporting non-scalar keys, keys given twice and
 * names not among the N NAMES (NULL entries match nothing; a near miss
 * gets a suggestion). NOUN says what the keys name ("key", "action"). Calls
 * fn with BASE + the index of each known name. */
typedef void (*field_fn)(struct config_loader *ld, size_t idx, yaml_node_t *key, yaml_node_t *val,
                         void *obj);

static void each_name(struct config_loader *ld, yaml_node_t *map, const char *what,
                      const char *noun, const char *const *names, size_t n, size_t base,
                      field_fn fn, void *obj)
{
	char hint[160];

	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *k = node_at(ld, p->key), *v = node_at(ld, p->value);
		if (k->type != YAML_SCALAR_NODE) {
			file_error(ld, k, "%s: expected %s %s name, found %s", what,
			           *noun == 'a' ? "an" : "a", noun, found_what(k));
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
			file_error(ld, k, "%s: %s '%s' is given twice", what, noun, name);
			continue;
		}
		size_t idx = n;
		for (size_t i = 0; i < n; i++)
			if (names[i] && !strcmp(names[i], name))
				idx = i;
		if (idx == n) {
			file_error(ld, k, "unknown %s '%s' in %s%s", noun, name, what,
			           config_did_you_mean(name, names, n, hint, sizeof hint));
			continue;
		}
		fn(ld, base + idx, k, v, obj);
	}
}

/* each_name over the keys of TABLE from FIRST to LAST. */
static void each_key(struct config_loader *ld, yaml_node_t *map, const char *what,
                     const struct config_option *table, size_t first, size_t last, field_fn fn,
                     void *obj)
{
	const char *names[CONFIG_KEY_COUNT + CONFIG_CK_COUNT];

	for (size_t i = first; i < last; i++)
		names[i - first] = table[i].key;
	each_name(ld, map, what, "key", names, last - first, first, fn, obj);
}

/* A cluster's keys are those before CONFIG_CK_ADDRESS; its consul
 * mapping's, those from CONFIG_CK_ADDRESS on (see config.h). */
_Static_assert(CONFIG_CK_ADDRESS == CONFIG_CK_CONSUL + 1,
               "the consul mapping's keys follow CONFIG_CK_CONSUL");

struct cluster_ctx {
	struct config_cluster *c;
	char path[64]; /* "clusters[2]" */
};

static void consul_key(struct config_loader *ld, size_t idx, yaml_node_t *k, yaml_node_t *v,
                       void *obj)
{
	struct cluster_ctx *cc = obj;
	char keypath[128];

	snprintf(keypath, sizeof keypath, "%s.consul.%s", cc->path, config_cluster_table[idx].key);
	if (file_scalar(ld, keypath, &config_cluster_table[idx], v,
	                config_cluster_field(cc->c, (enum config_cluster_key)idx)))
		cc->c->origin[idx] = file_origin(v);
}

/* A partition name as Consul Enterprise takes it: a DNS label. */
static bool partition_name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 63 || s[0] == '-' || s[n - 1] == '-')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return false;
	return true;
}

static void partition_add(struct config_loader *ld, struct cluster_ctx *cc, yaml_node_t *item,
                          size_t i)
{
	struct config_cluster *c = cc->c;

	if (item->type != YAML_SCALAR_NODE || is_null(item)) {
		file_error(ld, item, "'%s.partitions[%zu]': expected a partition name, found %s",
		           cc->path, i,
		           item->type == YAML_SCALAR_NODE ? "nothing" : found_what(item));
		return;
	}
	const char *name = (const char *)item->data.scalar.value;
	if (!strcmp(name, "all")) {
		file_error(ld, item,
		           "'%s.partitions[%zu]': 'all' stands alone (partitions: all), not in "
		           "a list",
		           cc->path, i);
		return;
	}
	if (!partition_name_ok(name)) {
		file_error(ld, item,
		           "'%s.partitions[%zu]': '%s' is not a partition name (expected %s)",
		           cc->path, i, name, "lowercase letters, digits and '-', at most 63");
		return;
	}
	for (size_t j = 0; j < c->npartitions; j++)
		if (!strcmp(c->partitions[j], name)) {
			file_error(ld, item, "'%s.partitions': partition '%s' is given twice",
			           cc->path, name);
			return;
		}
	char **grown = realloc(c->partitions, (c->npartitions + 1) * sizeof *grown);
	char *copy = strdup(name);
	if (grown)
		c->partitions = grown;
	if (!grown || !copy) {
		free(copy);
		file_error(ld, item, "out of memory");
		return;
	}
	c->partitions[c->npartitions++] = copy;
}

/* partitions: all, or a list of names. */
static void cluster_partitions(struct config_loader *ld, struct cluster_ctx *cc, yaml_node_t *v)
{
	const char *expect = config_type_expectation(CONFIG_T_PARTITIONS);

	if (v->type == YAML_SCALAR_NODE && !is_null(v)) {
		if (strcmp((const char *)v->data.scalar.value, "all") != 0) {
			file_error(ld, v, "'%s.partitions': expected %s, found '%s'", cc->path,
			           expect, (const char *)v->data.scalar.value);
			return;
		}
		cc->c->partitions_all = true;
		cc->c->origin[CONFIG_CK_PARTITIONS] = file_origin(v);
		return;
	}
	if (v->type != YAML_SEQUENCE_NODE) {
		file_error(ld, v, "'%s.partitions': expected %s, found %s", cc->path, expect,
		           found_what(v));
		return;
	}
	if (v->data.sequence.items.top == v->data.sequence.items.start) {
		file_error(ld, v,
		           "'%s.partitions' is empty; remove the key to read the token's own "
		           "partition",
		           cc->path);
		return;
	}
	size_t i = 0;
	for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top;
	     it++)
		partition_add(ld, cc, node_at(ld, *it), i++);
	cc->c->origin[CONFIG_CK_PARTITIONS] = file_origin(v);
}

static void cluster_key(struct config_loader *ld, size_t idx, yaml_node_t *k, yaml_node_t *v,
                        void *obj)
{
	struct cluster_ctx *cc = obj;
	char keypath[128], what[96];

	if (idx == CONFIG_CK_PARTITIONS) {
		cluster_partitions(ld, cc, v);
		return;
	}
	if (idx == CONFIG_CK_CONSUL) {
		if (is_null(v))
			return; /* "consul:" alone: as if omitted */
		if (v->type != YAML_MAPPING_NODE) {
			file_error(ld, v, "'%s.consul': expected %s, found %s", cc->path,
			           config_type_expectation(CONFIG_T_MAPPING),
			           v->type == YAML_SCALAR_NODE ? "a scalar" : found_what(v));
			return;
		}
		cc->c->origin[CONFIG_CK_CONSUL] = file_origin(v);
		snprintf(what, sizeof what, "%s.consul", cc->path);
		each_key(ld, v, what, config_cluster_table, CONFIG_CK_ADDRESS, CONFIG_CK_COUNT,
		         consul_key, cc);
		return;
	}
	snprintf(keypath, sizeof keypath, "%s.%s", cc->path, config_cluster_table[idx].key);
	if (file_scalar(ld, keypath, &config_cluster_table[idx], v,
	                config_cluster_field(cc->c, (enum config_cluster_key)idx)))
		cc->c->origin[idx] = file_origin(v);
}

static bool readable_by_others(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && (st.st_mode & (S_IRGRP | S_IROTH));
}

static void parse_cluster(struct config_loader *ld, yaml_node_t *item, size_t index)
{
	struct cluster_ctx cc;

	snprintf(cc.path, sizeof cc.path, "clusters[%zu]", index);
	if (item->type != YAML_MAPPING_NODE) {
		file_error(ld, item, "'%s': expected a cluster (a mapping with a name), found %s",
		           cc.path, item->type == YAML_SCALAR_NODE ? "a scalar" : found_what(item));
		return;
	}
	cc.c = config_cluster_add(ld->cfg);
	if (!cc.c) {
		file_error(ld, item, "out of memory");
		return;
	}
	each_key(ld, item, cc.path, config_cluster_table, CONFIG_CK_NAME, CONFIG_CK_ADDRESS,
	         cluster_key, &cc);
	if (!cc.c->name && !cc.c->origin[CONFIG_CK_NAME].line)
		file_error(ld, item,
		           "'%s' has no 'name' (expected a unique name such as cluster-01)",
		           cc.path);
	if (cc.c->consul.token && cc.c->consul.token_file) {
		char where[4200];
		config_diag(ld->d, false,
		            config_origin_where(ld, &cc.c->origin[CONFIG_CK_TOKEN], where,
		                                sizeof where),
		            "'%s.consul': give either token or token_file, not both", cc.path);
	}
	if (cc.c->consul.token)
		config_warn_at(ld, &cc.c->origin[CONFIG_CK_TOKEN],
		               "a token in the config file is discouraged; use token_file%s",
		               readable_by_others(ld->file) ? " (and the file is readable by other "
		                                              "users: chmod 600 it)"
		                                            : "");
}

static void parse_clusters(struct config_loader *ld, yaml_node_t *v)
{
	ld->file_clusters = true;
	ld->cfg->origin[CONFIG_KEY_CLUSTERS] = file_origin(v);
	if (v->type != YAML_SEQUENCE_NODE) {
		file_error(ld, v, "'clusters': expected %s, found %s",
		           config_type_expectation(CONFIG_T_CLUSTERS),
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

/* ------------------------------------------------------------------- keys */

/* Where the word at OFF of scalar V starts, for a plain or quoted scalar on
 * one line; else where V starts. */
static struct config_origin word_origin(const yaml_node_t *v, size_t off)
{
	struct config_origin o = file_origin(v);
	const char *text = (const char *)v->data.scalar.value;
	yaml_scalar_style_t st = v->data.scalar.style;

	if (v->start_mark.line != v->end_mark.line || strchr(text, '\\'))
		return o;
	if (st == YAML_PLAIN_SCALAR_STYLE)
		o.column += (unsigned)off;
	else if (st == YAML_SINGLE_QUOTED_SCALAR_STYLE || st == YAML_DOUBLE_QUOTED_SCALAR_STYLE)
		o.column += (unsigned)off + 1;
	return o;
}

/* Every key name of V is known; the first unknown one is reported. */
static bool key_names_known(struct config_loader *ld, const char *action, const yaml_node_t *v)
{
	const char *text = (const char *)v->data.scalar.value;
	char where[4200], word[64];

	for (size_t off = 0; text[off];) {
		size_t len = strcspn(text + off, " ");
		if (!len) {
			off++;
			continue;
		}
		snprintf(word, sizeof word, "%.*s", (int)len, text + off);
		if (len >= sizeof word || actions_key_parse(word) < 0) {
			struct config_origin o = word_origin(v, off);
			config_diag(
			        ld->d, false, config_origin_where(ld, &o, where, sizeof where),
			        "'keys.%s': unknown key '%.*s' (expected a character, F1 to F12, "
			        "C-a to C-z, or a name such as Enter, Esc, Tab, S-Tab, Space, Up, "
			        "PgDn, Home)",
			        action, (int)len, text + off);
			return false;
		}
		off += len;
	}
	return true;
}

static void binding_key(struct config_loader *ld, size_t idx, yaml_node_t *k, yaml_node_t *v,
                        void *obj)
{
	const struct action *a = actions_get((enum action_id)idx);
	struct config *cfg = ld->cfg;

	(void)k;
	(void)obj;
	if (v->type != YAML_SCALAR_NODE || is_null(v) ||
	    !((const char *)
	              v->data.scalar.value)[strspn((const char *)v->data.scalar.value, " ")]) {
		file_error(ld, v,
		           "'keys.%s': expected key names separated by spaces, such as "
		           "\"q F10\", found %s",
		           a->name,
		           v->type == YAML_SCALAR_NODE && !is_null(v) ? "no key" : found_what(v));
		return;
	}
	if (a->flags & ACTION_F_NO_KEY_OK) {
		file_error(ld, v,
		           "'keys.%s': %s takes an argument and runs from the command line "
		           "(:%s NAME), not from a key",
		           a->name, a->name, a->name);
		return;
	}
	if (!key_names_known(ld, a->name, v))
		return;
	struct config_binding *grown =
	        realloc(cfg->bindings, (cfg->nbindings + 1) * sizeof *cfg->bindings);
	if (!grown) {
		file_error(ld, v, "out of memory");
		return;
	}
	cfg->bindings = grown;
	struct config_binding *b = &grown[cfg->nbindings];
	b->action = strdup(a->name);
	b->keys = strdup((const char *)v->data.scalar.value);
	b->origin = file_origin(v);
	if (!b->action || !b->keys) {
		free(b->action);
		free(b->keys);
		file_error(ld, v, "out of memory");
		return;
	}
	cfg->nbindings++;
}

static void parse_keys(struct config_loader *ld, yaml_node_t *v)
{
	const char *names[ACTION_COUNT];

	if (is_null(v))
		return; /* "keys:" alone: as if omitted */
	ld->cfg->origin[CONFIG_KEY_KEYS] = file_origin(v);
	if (v->type != YAML_MAPPING_NODE) {
		file_error(ld, v, "'keys': expected %s, found %s",
		           config_type_expectation(CONFIG_T_KEYS),
		           v->type == YAML_SCALAR_NODE ? "a scalar" : found_what(v));
		return;
	}
	for (size_t i = 0; i < ACTION_COUNT; i++)
		names[i] = actions_get((enum action_id)i)->name;
	each_name(ld, v, "keys", "action", names, ACTION_COUNT, 0, binding_key, NULL);
}

/* -------------------------------------------------------------- top level */

static void top_key(struct config_loader *ld, size_t idx, yaml_node_t *k, yaml_node_t *v, void *obj)
{
	if (idx == CONFIG_KEY_CLUSTERS) {
		parse_clusters(ld, v);
		return;
	}
	if (idx == CONFIG_KEY_KEYS) {
		parse_keys(ld, v);
		return;
	}
	if (file_scalar(ld, config_table[idx].key, &config_table[idx], v,
	                config_global_field(ld->cfg, (enum config_key)idx))) {
		ld->cfg->origin[idx] = file_origin(v);
		if (idx == CONFIG_KEY_KUBECONFIG)
			ld->file_kubeconfig = true;
	}
}

void config_file_parse(struct config_loader *ld)
{
	yaml_document_t doc;
	char err[4400];
	unsigned long second = 0;
	size_t len = 0;
	char *text = kubeconfig_read_file(ld->file, CONFIG_MAX_FILE, ld->pipe_timeout_ms, &len, err,
	                                  sizeof err);

	if (!text) {
		config_diag(ld->d, false, ld->file, "cannot read the config file: %s", err);
		ld->file_unreadable = true;
		return;
	}
	if (codec_yaml_load(ld->file, text, len, &doc, &second, err, sizeof err) != 0) {
		/* "FILE:LINE:COLUMN: what": the diagnostic's place, then its text. */
		size_t flen = strlen(ld->file);
		char *what = strncmp(err, ld->file, flen) ? NULL : strstr(err + flen, ": ");
		if (what)
			*what = '\0';
		config_diag(ld->d, false, what ? err : ld->file, "%s", what ? what + 2 : err);
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
			each_key(ld, root, "the configuration", config_table, 0, CONFIG_KEY_COUNT,
			         top_key, NULL);
	}
	ld->doc = NULL;
	codec_yaml_free(&doc);
	if (second) {
		/* A second "---" document would be ignored silently: say so. */
		char where[4200];
		snprintf(where, sizeof where, "%s:%lu:1", ld->file, second);
		config_diag(ld->d, false, where,
		            "a second YAML document; the configuration is one document");
	}
out:
	codec_wipe(text, len);
	free(text);
}
