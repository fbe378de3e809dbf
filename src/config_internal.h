/* config module internals shared by its source files: the options tables,
 * the loader state, diagnostics and the value setters. Not part of the
 * public interface.
 *
 * config.c        tables, diagnostics, values, cluster entries, consumers
 * config_args.c   the command line and the environment
 * config_file.c   finding and reading the config file
 * config_load.c   the load order, the clusters and their validation
 * config_print.c  --help, `config check`, `config keys`
 * config_load.c calls the readers, and every file calls config.c; nothing
 * calls back up.
 */
#ifndef PEERSCOPE_CONFIG_INTERNAL_H
#define PEERSCOPE_CONFIG_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <yaml.h>

#include "peerscope/config.h"

/* The tables config_options() and config_cluster_options() return. */
extern const struct config_option config_table[CONFIG_KEY_COUNT];
extern const struct config_option config_cluster_table[CONFIG_CK_COUNT];

/* Context for turning text into a setting. */
struct config_loader {
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
	/* How long a config file or kubeconfig that is a pipe may take to
	 * arrive: --timeout when given, else KUBECONFIG_PIPE_TIMEOUT_MS. */
	long pipe_timeout_ms;
};

/* ------------------------------------------------------------- config.c */

/* Adds a diagnostic; WHERE (copied) may be NULL. */
void config_diag(struct config_diags *d, bool warning, const char *where, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));
/* A warning about the setting that came from O. */
void config_warn_at(struct config_loader *ld, const struct config_origin *o, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
/* "file:line:col", the variable, or the flag of an origin; NULL for a
 * default. */
const char *config_origin_where(const struct config_loader *ld, const struct config_origin *o,
                                char *buf, size_t len);
/* What a value of type T looks like, for "expected ..." messages. */
const char *config_type_expectation(enum config_type t);
/* " (did you mean 'x'?)" when WORD is close to one of CANDS, or "". */
const char *config_did_you_mean(const char *word, const char *const *cands, size_t n, char *buf,
                                size_t len);
/* "true"/"false" in the three spellings YAML 1.2 core allows. */
bool config_parse_bool(const char *s, bool *out);
/* Stores TEXT into the setting at FIELD. Returns 0, or -1 after describing
 * the problem in WHY. FROM_FILE: relative paths are the file's. */
int config_set_value(struct config_loader *ld, const struct config_option *o, const char *text,
                     void *field, bool from_file, char *why, size_t whylen);
/* Where setting K lives in CFG or in cluster C; NULL for keys without a
 * field of their own. */
void *config_global_field(struct config *cfg, enum config_key k);
void *config_cluster_field(struct config_cluster *c, enum config_cluster_key k);
/* A new cluster with its defaults at the end of CFG's list; NULL when out
 * of memory. */
struct config_cluster *config_cluster_add(struct config *cfg);
void config_cluster_clear(struct config_cluster *c);

/* -------------------------------------------------------- config_args.c */

/* The value of NAME in ENVP ("NAME=VALUE" strings), or NULL. */
const char *config_env_get(char *const *envp, const char *name);
/* KUBECONFIG and NO_COLOR, over the file. */
void config_apply_env_globals(struct config_loader *ld);
/* The flags, over everything else. */
void config_apply_flags(struct config_loader *ld, const struct config_args *args);
/* CONSUL_*: applied to the only cluster selected, else ignored with a
 * warning. */
void config_apply_env_consul(struct config_loader *ld);
/* A Consul-only cluster from CONSUL_HTTP_ADDR; false when it is not set. */
bool config_cluster_from_env(struct config_loader *ld);

/* -------------------------------------------------------- config_file.c */

/* Which file to read into *PATH (NULL: none); -1 when out of memory. */
int config_file_choose(struct config_loader *ld, const struct config_args *args, char **path);
/* Reads ld->file into ld->cfg, adding a diagnostic for every problem. */
void config_file_parse(struct config_loader *ld);

#endif
