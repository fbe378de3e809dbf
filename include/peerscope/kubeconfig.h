/* kubeconfig: Kubernetes client configuration files, read the way kubectl
 * reads them.
 *
 * Loading: a list of files (KUBECONFIG, separated by ':') is merged by
 * kubectl's rules: for clusters, users and contexts the first file that
 * defines a name wins; current-context comes from the first file that sets
 * it. Missing files in a list are skipped (as kubectl does), but a list in
 * which no file exists, or an explicitly named file (--kubeconfig) that is
 * missing, is an error. Relative paths inside a file (certificate-authority,
 * client-certificate, client-key, tokenFile, an exec command containing '/')
 * resolve against that file's folder. Every error names the file and, when
 * it is about the file's content, the line and column.
 *
 * Resolving a context gives a struct kubeconfig_endpoint: everything needed
 * to talk to that context's API server, including credentials. Credentials
 * from an exec plugin (client.authentication.k8s.io/v1 or v1beta1) are cached
 * per user until their expirationTimestamp; resolving is thread-safe.
 *
 * Credentials go only to a server reached over TLS: for an http:// server
 * no token, password, client certificate or exec plugin is used, as kubectl
 * does (client-go reads a user's identification only for a TLS transport),
 * and the endpoint says it withheld them.
 *
 * Secrets (token, password, client key) are never part of an error text. */
#ifndef PEERSCOPE_KUBECONFIG_H
#define PEERSCOPE_KUBECONFIG_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct http_options;

struct kubeconfig;

/* A resolved context. Strings are owned by the endpoint; NULL means unset.
 * In-memory PEM data is NUL-terminated, len excludes the NUL. */
struct kubeconfig_endpoint {
	char *context;
	char *cluster; /* kubeconfig cluster name */
	char *user;    /* kubeconfig user name */
	char *namespace;
	char *server; /* https://host:port[/path] */
	char *ca_file;
	char *ca_data;
	size_t ca_data_len;
	char *cert_file;
	char *cert_data;
	size_t cert_data_len;
	char *key_file;
	char *key_data; /* secret */
	size_t key_data_len;
	char *token; /* secret: token, tokenFile's content or the exec plugin's */
	char *username;
	char *password; /* secret */
	char *tls_server_name;
	char *proxy_url;
	bool insecure;
	bool from_exec; /* credentials came from an exec plugin */
	/* The user has credentials, but the server is http://: none are sent. */
	bool credentials_withheld;
	/* When exec credentials expire (0: never). Resolve again after it. */
	time_t expires;
};

/* How long a kubeconfig or config file that is a pipe (KUBECONFIG=<(...))
 * may take to arrive, unless the caller says otherwise. */
#define KUBECONFIG_PIPE_TIMEOUT_MS 10000L

/* Loads the files of PATHS (':'-separated). explicit_file: PATHS is one file
 * named on purpose, so its absence is an error. Returns NULL and describes
 * the first error in err. A file that is a pipe is read for at most
 * KUBECONFIG_PIPE_TIMEOUT_MS; kubeconfig_load_within says how long. */
struct kubeconfig *kubeconfig_load(const char *paths, bool explicit_file, char *err, size_t errlen);
struct kubeconfig *kubeconfig_load_within(const char *paths, bool explicit_file,
                                          long pipe_timeout_ms, char *err, size_t errlen);
void kubeconfig_free(struct kubeconfig *kc);

/* Reads the whole file at PATH, of at most MAX bytes, and never blocks
 * longer than it is told: PIPE_TIMEOUT_MS 0 reads a regular file only (a
 * directory, FIFO, device or socket is refused: "is a directory", "is not a
 * regular file (a FIFO or pipe)"); > 0 also reads a pipe, FIFO or device as
 * kubectl does (KUBECONFIG=<(...)), for at most that long ("nothing arrived
 * within 10 s"). Returns it NUL-terminated with its length in *len, or NULL
 * with the reason (without PATH) in err. peerscope's own config file, its
 * themes and token files are read through it too. */
char *kubeconfig_read_file(const char *path, size_t max, long pipe_timeout_ms, size_t *len,
                           char *err, size_t errlen);

/* The default location when neither --kubeconfig nor KUBECONFIG is given:
 * $HOME/.kube/config. Writes it to out; returns out. */
char *kubeconfig_default_path(const char *home, char *out, size_t outlen);

/* The files that were read, ':'-separated (missing ones left out). */
const char *kubeconfig_files(const struct kubeconfig *kc);

/* current-context, or NULL. */
const char *kubeconfig_current_context(const struct kubeconfig *kc);

/* Contexts in the order they appear (first file first). */
size_t kubeconfig_context_count(const struct kubeconfig *kc);
const char *kubeconfig_context_name(const struct kubeconfig *kc, size_t i);
bool kubeconfig_has_context(const struct kubeconfig *kc, const char *name);

/* Where a context is defined, for messages: "file:line:column". */
const char *kubeconfig_context_where(const struct kubeconfig *kc, const char *name);

/* One line about CONTEXT for people, without secrets and without running
 * anything: "https://10.0.0.1:6443, user admin (exec plugin aws)". Returns
 * out, or NULL when the context is not defined. */
char *kubeconfig_describe(const struct kubeconfig *kc, const char *context, char *out,
                          size_t outlen);

/* How long a resolve may wait for an exec plugin: until DEADLINE_MS (a
 * monotime_ms() value; 0: the plugin's own limit of 30 s), or until CANCEL
 * (may be NULL) becomes true. The plugin is then killed, with whatever it
 * started. */
struct kubeconfig_wait {
	int64_t deadline_ms;
	const atomic_bool *cancel;
};

/* Resolves CONTEXT (NULL: current-context) into *ep, running an exec plugin
 * when its cached credentials are missing or expire within a minute.
 * now: the current time (tests pass their own). Returns 0, or -1 with err
 * filled (for a failed plugin: its exit status, stderr and installHint).
 * Plugins of different users run at the same time; threads that need the
 * same one share its run. kubeconfig_resolve_within bounds the wait by W. */
int kubeconfig_resolve(struct kubeconfig *kc, const char *context, time_t now,
                       struct kubeconfig_endpoint *ep, char *err, size_t errlen);
int kubeconfig_resolve_within(struct kubeconfig *kc, const char *context, time_t now,
                              const struct kubeconfig_wait *w, struct kubeconfig_endpoint *ep,
                              char *err, size_t errlen);

/* The command of the exec plugin that resolving CONTEXT runs, or NULL when
 * its user has none (for "waiting for exec plugin aws"). */
const char *kubeconfig_exec_command(const struct kubeconfig *kc, const char *context);

/* Drops the cached exec credentials of CONTEXT's user, so the next resolve
 * runs the plugin again. For a 401 from the API server, as kubectl does for
 * credentials without an expirationTimestamp. Unknown contexts are ignored. */
void kubeconfig_forget_credentials(struct kubeconfig *kc, const char *context);

/* Frees what *ep holds, wiping secrets, and zeroes it. */
void kubeconfig_endpoint_clear(struct kubeconfig_endpoint *ep);

/* Fills the endpoint's part of http options: base_url, tls, auth (bearer
 * token, basic credentials), proxy_url, and for withheld credentials the
 * hint a 401 answer gets. The pointers borrow from ep, which must outlive
 * opts until http_client_new() has copied them. */
void kubeconfig_http_options(const struct kubeconfig_endpoint *ep, struct http_options *opts);

#endif
