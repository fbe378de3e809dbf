/* http: the one libcurl wrapper used by the Consul and Kubernetes clients.
 *
 * A struct http_client describes one endpoint of one cluster (a Consul HTTP
 * API or a Kubernetes API server): base URL, TLS material, credentials,
 * proxy, timeouts and the response size cap. Its transfers share one
 * connection cache (keep-alive, TLS sessions, DNS), so repeated calls reuse
 * connections. A client may be used from several threads at once.
 *
 * Two ways to run requests:
 *   - http_do(): one request, blocking the calling thread until it completes,
 *     times out or the client is cancelled;
 *   - struct http_multi: a set of requests in flight at the same time, driven
 *     from one thread (a poller keeps all of a cluster's long polls and
 *     watches in one multi); http_multi_wakeup() interrupts the wait from any
 *     thread, so a poller can stop within a few milliseconds.
 *
 * Secrets (tokens, passwords, key material) are copied into the client, sent
 * only in headers or TLS, wiped when the client is freed, and never appear in
 * log lines, URLs shown to the user or error texts (redact.h's rule).
 */
#ifndef PEERSCOPE_HTTP_H
#define PEERSCOPE_HTTP_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Default cap on a response body. */
#define HTTP_DEFAULT_MAX_BODY           ((size_t)64 * 1024 * 1024)
/* Defaults used when the options leave the timeouts at 0. */
#define HTTP_DEFAULT_CONNECT_TIMEOUT_MS 5000L
#define HTTP_DEFAULT_TIMEOUT_MS         30000L
/* Added to wait + wait/16 for a long poll, for the network and the server. */
#define HTTP_LONG_POLL_MARGIN_MS        5000L

/* ------------------------------------------------------------------ options */

/* TLS material. Each of CA, certificate and key comes from a file or from
 * memory (PEM); memory wins when both are given. In-memory material is handed
 * to libcurl as blobs: key material is never written to a temporary file. */
struct http_tls {
	const char *ca_file;
	const char *ca_data; /* PEM bundle */
	size_t ca_data_len;  /* 0: strlen(ca_data) */
	const char *cert_file;
	const char *cert_data;
	size_t cert_data_len;
	const char *key_file;
	const char *key_data; /* secret */
	size_t key_data_len;
	/* Name used for SNI and for verifying the server certificate instead of
	 * the URL's host (kubeconfig tls-server-name, CONSUL_TLS_SERVER_NAME). */
	const char *server_name;
	/* Skip certificate verification. Only when asked; the client then
	 * reports http_client_insecure() so the UI can warn. */
	bool insecure;
};

/* Credentials. Any combination may be set; each goes into its own header. */
struct http_auth {
	const char *consul_token; /* X-Consul-Token */
	const char *bearer_token; /* Authorization: Bearer */
	const char *username;     /* Authorization: Basic, with password */
	const char *password;
};

struct log_sink;

struct http_options {
	const char *cluster; /* name of the cluster, for errors and logs */
	/* Scheme, host, port and an optional path prefix, e.g.
	 * "https://10.0.0.5:8501" or "https://k8s:6443/api/v1/namespaces/consul/
	 * services/https:consul-server:8501/proxy". A request's path is appended. */
	const char *base_url;
	struct http_tls tls;
	struct http_auth auth;
	/* NULL: libcurl's environment handling (http_proxy, https_proxy,
	 * no_proxy). "": no proxy at all. Otherwise the proxy URL to use. */
	const char *proxy_url;
	long connect_timeout_ms; /* 0: HTTP_DEFAULT_CONNECT_TIMEOUT_MS */
	long timeout_ms;         /* total per request; 0: HTTP_DEFAULT_TIMEOUT_MS */
	size_t max_body;         /* 0: HTTP_DEFAULT_MAX_BODY */
	const char *user_agent;  /* NULL: "peerscope/<version>" */
	/* Request lines (debug), failures (info) and the insecure-TLS warning go
	 * here, free of secrets; NULL discards them. Not owned. */
	struct log_sink *log;
	/* Added to the message of a 401 answer: why no credential was sent
	 * (NULL: nothing). */
	const char *unauthorized_hint;
};

/* ------------------------------------------------------------------- errors */

enum http_err_kind {
	HTTP_ERR_NONE = 0,
	HTTP_ERR_STATUS,    /* the server answered with a non-2xx status */
	HTTP_ERR_TRANSPORT, /* connect, DNS, TLS, protocol: see curl_text */
	HTTP_ERR_TIMEOUT,
	HTTP_ERR_CANCELLED,
	HTTP_ERR_TOO_LARGE, /* body over the size cap */
	HTTP_ERR_CALLBACK,  /* the streaming callback asked to stop */
	HTTP_ERR_USAGE,     /* bad request or options (message says which) */
	HTTP_ERR_DECODE,    /* a 2xx body that is not what the API promises */
	HTTP_ERR_NOMEM,
};

/* Everything needed to say what went wrong, and nothing secret. */
struct http_error {
	enum http_err_kind kind;
	char cluster[64];
	char method[16];
	char url[512]; /* without credentials or secret query parameters */
	long status;   /* HTTP status, 0 when no response arrived */
	/* The server's message: the body's text for Consul's plain-text
	 * errors, Status.message for a Kubernetes Status object; or a message
	 * from this module (size cap, usage). */
	char message[512];
	char curl_text[256]; /* libcurl's error text, "" if none */
};

/* "<cluster>: <METHOD> <url>: HTTP <status>: <message> (<curl text>)", the
 * parts that are empty left out. Returns buf. */
const char *http_error_format(const struct http_error *err, char *buf, size_t len);
/* Reset to "no error". */
void http_error_clear(struct http_error *err);
/* Fill err with a message from the caller (a decoder, for instance) while
 * keeping cluster, method and URL; printf-style. */
void http_error_setf(struct http_error *err, enum http_err_kind kind, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/* ------------------------------------------------------- requests, responses */

struct http_header {
	const char *name;
	const char *value;
};

/* Called with each piece of a streamed 2xx body as it arrives (pieces do not
 * follow line boundaries). Return 0 to go on, non-zero to stop the transfer
 * (reported as HTTP_ERR_CALLBACK). A non-2xx body is not streamed: it is
 * collected for the error message and left in the response. */
typedef int (*http_chunk_fn)(void *ctx, const char *data, size_t len);

struct http_request {
	const char *method; /* NULL: "GET" */
	/* Path and query appended to the client's base URL, already escaped:
	 * "/v1/peerings?index=12&wait=300s". Never put secrets here. */
	const char *path;
	const struct http_header *headers; /* extra headers; none secret */
	size_t nheaders;
	const char *content_type; /* for the body; NULL: "application/json" */
	const char *body;         /* NULL: no body */
	size_t body_len;          /* 0: strlen(body) */
	/* > 0: a long poll (Consul blocking query, Kubernetes watch); the
	 * total timeout becomes http_long_poll_timeout_ms(wait_ms). */
	long wait_ms;
	long timeout_ms;        /* > 0: overrides the client's total timeout */
	http_chunk_fn on_chunk; /* non-NULL: stream the body instead */
	void *chunk_ctx;
	/* Optional flag checked during the transfer: when it becomes true the
	 * transfer stops with HTTP_ERR_CANCELLED. */
	const atomic_bool *cancel;
	/* A secret the body carries (a peering token), removed from any error
	 * text should the server echo it. */
	const char *body_secret;
	/* > 0: the cap on this response's body instead of the client's (the
	 * size after decompression, as for the client's cap). */
	size_t max_body;
	/* A request repeated every few seconds on an idle multi (the stream
	 * poll): it runs on a connection of its own, so that its answers do
	 * not make libcurl look at each of the multi's long polls. */
	bool apart;
	/* Ask for the answer as it is (no Accept-Encoding), for a body that is
	 * compressed already (a Helm release Secret: base64 of gzip), which a
	 * server's gzip would shrink by a fraction of what it costs both. */
	bool identity;
};

struct http_response {
	long status;
	char *body; /* NUL-terminated (body_len excludes the NUL); NULL if none */
	size_t body_len;
	char **header_names; /* headers of the final response, in order */
	char **header_values;
	size_t nheaders;
	const char *content_type; /* points into the headers; NULL if none */
	double elapsed_s;
};

/* Value of header NAME (case-insensitive; the last one wins), or NULL. */
const char *http_response_header(const struct http_response *resp, const char *name);
/* Free what the response holds and zero it; safe on a zeroed response. */
void http_response_clear(struct http_response *resp);

/* Total timeout for a long poll waiting up to wait_ms on the server: the
 * server adds up to wait/16 of jitter, and the margin covers the network. */
long http_long_poll_timeout_ms(long wait_ms);

/* ------------------------------------------------------------------- client */

struct http_client;

/* Copies everything in opts; NULL with *err filled on failure. A client is
 * freed only after every transfer that uses it has ended. */
struct http_client *http_client_new(const struct http_options *opts, struct http_error *err);
void http_client_free(struct http_client *c);

const char *http_client_cluster(const struct http_client *c);
const char *http_client_base_url(const struct http_client *c);
/* True when the client was built with certificate verification off. */
bool http_client_insecure(const struct http_client *c);
/* Replace the bearer token (an exec plugin's token was refreshed). Transfers
 * that start afterwards use the new one. 0 on success, -1 when out of memory
 * or when the token may not go into a header (http_header_safe). */
int http_client_set_bearer(struct http_client *c, const char *token);

/* Stop every transfer of this client, now and later: running ones end with
 * HTTP_ERR_CANCELLED within a few milliseconds, new ones fail at once. Any
 * thread may call it. Used at shutdown. */
void http_client_cancel(struct http_client *c);
bool http_client_cancelled(const struct http_client *c);

/* Run one request to completion. Returns 0 for a 2xx response; otherwise -1
 * and err says why. For HTTP_ERR_STATUS the response still holds the status,
 * headers and body, so callers can handle 404 or decode an error object.
 * resp must be zeroed or cleared; the caller clears it afterwards. */
int http_do(struct http_client *c, const struct http_request *req, struct http_response *resp,
            struct http_error *err);

/* ------------------------------------------------------------------- multi */

/* A set of requests in flight at once, driven by one thread. Requests may
 * use different clients. Only http_multi_wakeup() may be called from another
 * thread. */
struct http_multi;
struct http_xfer;

/* Called on the multi's thread when a transfer ends, with the same meaning
 * of resp and err as http_do(). rc is 0 for a 2xx response. The callback may
 * take resp->body (set it to NULL); everything else is freed after it
 * returns. It may add new transfers to the multi, and must not free it. */
typedef void (*http_done_fn)(void *ctx, int rc, struct http_response *resp, struct http_error *err);

struct http_multi *http_multi_new(void);
/* Cancels what is still in flight without calling the callbacks. */
void http_multi_free(struct http_multi *m);

/* Start a request; everything in req is copied. NULL with *err filled on
 * failure (no callback is called then). The handle stays valid until the
 * done callback has run or http_multi_remove() was called. */
struct http_xfer *http_multi_add(struct http_multi *m, struct http_client *c,
                                 const struct http_request *req, http_done_fn done, void *ctx,
                                 struct http_error *err);
/* Abandon a transfer without calling its callback. */
void http_multi_remove(struct http_multi *m, struct http_xfer *x);

/* Wait up to timeout_ms (-1: until something happens) for network activity
 * or a wakeup, move the transfers along and call the callbacks of those that
 * ended. Returns the number of transfers still in flight, or -1 on an
 * internal libcurl error. */
int http_multi_run(struct http_multi *m, long timeout_ms);
size_t http_multi_pending(const struct http_multi *m);

/* Make a running or the next http_multi_run() return at once. Any thread. */
void http_multi_wakeup(struct http_multi *m);

/* Bounds the memory the multi's transfers hold in bodies at once (0: no
 * bound): a transfer whose body would take the total past BYTES fails as
 * too large, saying so. A poller's multi is one cluster's: its bound is
 * that cluster's, whatever the cluster sends. */
void http_multi_set_budget(struct http_multi *m, size_t bytes);

/* ------------------------------------------------------------------- helpers */

/* True when V may be sent as a header's value: no CR, LF, NUL or other
 * control character but a tab. A credential that fails this would add
 * headers of its own choosing to every request, so clients refuse it. */
bool http_header_safe(const char *v);

/* Percent-encode s for use in a path segment or query value. Returns a
 * malloc'd string or NULL when out of memory. */
char *http_escape(const char *s);

/* libcurl's process-wide setup. It runs once, on first use by any thread;
 * http_global_init() reports whether it worked. http_global_cleanup() is
 * for the very end of the program (leak checkers); nothing of this module
 * may be used after it. */
int http_global_init(void);
void http_global_cleanup(void);

#endif
