/* kubeconfig module internals shared by its source files: kubeconfig.c
 * (parsing, merging, resolving) calls kubeconfig_exec.c (the exec plugins),
 * and both read files through kubeconfig_file.c. Not part of the public
 * interface. */
#ifndef PEERSCOPE_KUBECONFIG_INTERNAL_H
#define PEERSCOPE_KUBECONFIG_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "peerscope/kubeconfig.h"

#define KC_MAX_FILE (16 * 1024 * 1024)

struct kc_exec {
	char *api_version;
	char *command;
	char **args; /* NULL-terminated, args[0] = command */
	size_t nargs;
	char **env; /* "NAME=VALUE" */
	size_t nenv;
	char *install_hint;
	bool provide_cluster_info;
	bool interactive_always;
	/* Cache of the last credentials, guarded by kubeconfig.lock; running:
	 * a thread runs the plugin now (without the lock), others wait. */
	bool cached, running;
	char *token, *cert, *key;
	time_t expires;
};

struct kc_cluster {
	char *name, *where;
	char *server, *ca_file, *ca_data, *tls_server_name, *proxy_url;
	size_t ca_len;
	bool insecure;
};

/* ----------------------------------------------------- kubeconfig_exec.c */

/* Fills EP with the credentials of plugin E for cluster C, running the
 * plugin when nothing is cached or the cached credentials expire within a
 * minute of NOW. The caller holds LOCK (the kubeconfig's), which is released
 * while the plugin runs; a thread that needs E while another runs it waits
 * on COND for that run. The run and the wait end at W's deadline (and at
 * most after 30 s) or when W's cancel flag is set, the plugin and what it
 * started then killed. Returns 0, or -1 with ERR (never the plugin's stdout,
 * which holds the secret). */
int kubeconfig_exec_fill(struct kc_exec *e, const struct kc_cluster *c, time_t now,
                         const struct kubeconfig_wait *w, pthread_mutex_t *lock,
                         pthread_cond_t *cond, struct kubeconfig_endpoint *ep, char *err,
                         size_t errlen);
/* The credentials an ExecCredential gives. */
struct kc_creds {
	char *token, *cert, *key;
	time_t expires;
};

/* Reads the ExecCredential plugin COMMAND printed (OUT, NUL-terminated),
 * which must carry API_VERSION, into *CR. 0, or -1 with ERR (never quoting
 * OUT, which holds the secret). */
int kubeconfig_exec_decode(const char *command, const char *api_version, const char *out,
                           struct kc_creds *cr, char *err, size_t errlen);
/* Wipes and frees what *CR holds, and zeroes it. */
void kubeconfig_exec_creds_clear(struct kc_creds *cr);

/* Frees E, its settings and its cached credentials; NULL is fine. */
void kubeconfig_exec_free(struct kc_exec *e);

#endif
