/* http: the libcurl wrapper. See include/peerscope/http.h.
 *
 * Connection reuse: libcurl keeps connections in the multi handle a transfer
 * runs in. A poller's struct http_multi therefore pools the connections of
 * its long polls; http_do() borrows an idle multi from its client's small
 * pool, so consecutive blocking calls on one client reuse connections too.
 * DNS answers and TLS sessions are shared by all transfers of a client
 * through a curl share handle (the connection cache is deliberately not
 * shared: libcurl does not support sharing it between threads), and so is
 * its CA, parsed once (http_trust.c).
 *
 * Lanes: a struct http_multi runs its transfers on one libcurl multi, the
 * main lane, but for the requests marked apart (http_request.apart: the
 * stream poll), which run on a second multi and so on a connection of
 * their own. libcurl 7.88's curl_multi_perform() looks at every transfer of
 * a multi, with a poll() of its socket each; an idle poller's answers to
 * its stream poll then cost a look at each of its dozen long polls and
 * watches. The wait is on the main lane with the apart lane's sockets
 * added (curl_multi_fdset()), and each lane is performed only when its
 * sockets, its timer or a transfer of its own say so.
 *
 * Cancellation: every multi running a transfer of a client is registered
 * with that client; http_client_cancel() sets a flag and wakes each of them,
 * and the run loop ends the client's transfers at once.
 */
#include "autoconfig.h"

#include "heap.h"
#include "http_trust.h"

#include "peerscope/codec.h"
#include "peerscope/http.h"
#include "peerscope/log.h"
#include "peerscope/monotime.h"
#include "peerscope/redact.h"
#include "peerscope/term.h"

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <ctype.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define IDLE_MULTIS_MAX    4
#define DO_POLL_MS         100 /* how often http_do() looks at a request's cancel flag */
#define HEADERS_MAX        ((size_t)1024 * 1024)
#define HTTP_UPLOAD_BUFFER 16384L /* libcurl's least */
#define HTTP_WAIT_BUFFER   4096L  /* a watch's receive buffer */
#define PERFORM_PASSES     16     /* perform(): passes after one that moved data */
#define NUDGE_MAX          8      /* take_done(): connections nudged in one run */
#define OVERDUE_MS         100    /* nudge_overdue(): a request's answer is late */
#define DEADLINE_GRACE_MS  250    /* past CURLOPT_TIMEOUT_MS: see reap_expired */
#define APART_FDS_MAX      32     /* lanes_wait(): sockets of the apart lane watched */
#define APART_BLIND_MS     10     /* lanes_wait(): see http_multi.apart_blind */
#define BODY_GROW_FAST     ((size_t)256 * 1024) /* append_body(): see there */

struct blob {
	char *data;
	size_t len;
};

struct multi_ref {
	struct http_multi *m;
	unsigned count; /* transfers of this client in m */
};

struct http_client {
	char *cluster;
	char *shown_base;              /* base URL as shown to people: redacted */
	char *curl_base;               /* base URL given to libcurl (host = server name) */
	struct curl_slist *connect_to; /* "sni:port:host:port" when a server name is set */
	char *host_header;
	char *ca_file, *cert_file, *key_file;
	struct blob ca, cert, key;
	struct http_trust *trust; /* the CA, parsed once; NULL: libcurl loads it */
	bool insecure;
	char *proxy_url; /* NULL: environment */
	char *consul_header;
	char *bearer_header; /* guarded by lock: replaced by http_client_set_bearer */
	char *bearer_token;
	char *username, *password;
	char *consul_token; /* kept to scrub error texts */
	long connect_timeout_ms, timeout_ms;
	size_t max_body;
	char *user_agent;
	char *unauthorized_hint;
	struct log_sink *log;

	CURLSH *share;
	pthread_mutex_t share_lock[CURL_LOCK_DATA_LAST];
	pthread_mutex_t lock; /* bearer_header, refs, idle */
	atomic_bool cancelled;
	struct multi_ref *refs;
	size_t nrefs, refs_cap;
	struct http_multi *idle[IDLE_MULTIS_MAX];
	size_t nidle;
};

struct http_xfer {
	struct http_multi *m;
	struct http_client *c;
	CURL *easy;
	struct curl_slist *headers;
	char *url;
	char *body;
	size_t body_len;
	char *secret;
	http_chunk_fn on_chunk;
	void *chunk_ctx;
	const atomic_bool *cancel;
	http_done_fn done;
	void *ctx;
	struct http_response resp;
	size_t body_cap;     /* what the body's buffer holds, counted in m->held */
	size_t received;     /* body bytes, for the size cap */
	size_t header_bytes; /* all header lines, bounded by HEADERS_MAX */
	size_t max_body;
	size_t headers_cap;
	uint64_t hint_key; /* its method and path, for its multi's size hints */
	size_t size_hint;  /* the body its last answer had: see append_body() */
	bool encoded;      /* the answer is content-encoded (gzip) */
	bool too_large, stopped, over_budget;
	bool nomem; /* one of our callbacks ran out of memory */
	struct http_error err;
	char errbuf[CURL_ERROR_SIZE];
	int64_t start_ns;    /* monotime_ns() when the transfer was added */
	int64_t nudged_ns;   /* when nudge_overdue() last nudged it */
	bool waits;          /* a long poll or a stream: it may rightly wait */
	bool apart;          /* on the apart lane (see "Lanes" above) */
	int64_t deadline_ns; /* its timeout and a grace: see reap_expired */
	long timeout_ms;
	struct http_xfer *prev, *next;
};

/* Requests whose answers' lengths a multi remembers, and the smallest answer
 * worth remembering. */
#define SIZE_HINTS    16
#define SIZE_HINT_MIN (64 * 1024)

enum lane {
	LANE_MAIN,
	LANE_APART,
	LANE_COUNT
};

struct http_multi {
	CURLM *cm;    /* the main lane, the one waited on */
	CURLM *apart; /* the apart lane; NULL until a transfer is put there */
	size_t napart;
	/* A lane has work that neither its sockets nor its timer would show:
	 * a transfer added, data handed to one of them, a nudge. */
	bool due[LANE_COUNT];
	/* A socket of the apart lane is beyond what curl_multi_fdset() can
	 * list (FD_SETSIZE): new requests stay on the main lane, and the wait
	 * looks at the apart lane every APART_BLIND_MS while it runs one. */
	bool apart_blind;
	struct http_xfer *head;
	size_t n;
	size_t budget; /* 0: none */
	size_t held;   /* sum of the body_cap of its transfers */
	/* The length of the last large body of a request (method and path,
	 * without the query, which a blocking query's index changes), for the
	 * next answer whose own length does not say it: a compressed one. */
	struct size_hint {
		uint64_t key;
		size_t len;
	} hints[SIZE_HINTS];
	unsigned next_hint;
};

/* ------------------------------------------------------------------ helpers */

static int dup_opt(char **dst, const char *s)
{
	*dst = NULL;
	if (!s)
		return 0;
	*dst = strdup(s);
	return *dst ? 0 : -1;
}

static int dup_blob(struct blob *b, const char *data, size_t len)
{
	b->data = NULL;
	b->len = 0;
	if (!data)
		return 0;
	if (!len)
		len = strlen(data);
	b->data = malloc(len + 1);
	if (!b->data)
		return -1;
	memcpy(b->data, data, len);
	b->data[len] = '\0';
	b->len = len;
	return 0;
}

static void free_blob(struct blob *b)
{
	if (b->data)
		codec_wipe(b->data, b->len);
	free(b->data);
	b->data = NULL;
	b->len = 0;
}

static char *str_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *str_printf(const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	return s;
}

static void copy_str(char *dst, size_t len, const char *src)
{
	snprintf(dst, len, "%s", src ? src : "");
}

static void scrub_error(struct http_error *err, const struct http_client *c, const char *extra)
{
	const char *secrets[] = {c->consul_token, c->bearer_token, c->password, extra};

	for (size_t i = 0; i < sizeof secrets / sizeof secrets[0]; i++) {
		redact_secret(err->message, sizeof err->message, secrets[i]);
		redact_secret(err->curl_text, sizeof err->curl_text, secrets[i]);
		redact_secret(err->url, sizeof err->url, secrets[i]);
	}
}

static void logf_(const struct http_client *c, enum log_level level, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
static void logf_(const struct http_client *c, enum log_level level, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	if (!c->log)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	log_msg(c->log, level, "%s", line);
}
/* ------------------------------------------------------------------- public */

long http_long_poll_timeout_ms(long wait_ms)
{
	if (wait_ms <= 0)
		return HTTP_DEFAULT_TIMEOUT_MS;
	return wait_ms + wait_ms / 16 + HTTP_LONG_POLL_MARGIN_MS;
}

void http_error_clear(struct http_error *err)
{
	if (err)
		memset(err, 0, sizeof *err);
}

void http_error_setf(struct http_error *err, enum http_err_kind kind, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return;
	err->kind = kind;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof err->message, fmt, ap);
	va_end(ap);
}

static const char *kind_text(enum http_err_kind k)
{
	switch (k) {
	case HTTP_ERR_TIMEOUT:
		return "timed out";
	case HTTP_ERR_CANCELLED:
		return "cancelled";
	case HTTP_ERR_TOO_LARGE:
		return "response too large";
	case HTTP_ERR_NOMEM:
		return "out of memory";
	default:
		return NULL;
	}
}

const char *http_error_format(const struct http_error *err, char *buf, size_t len)
{
	size_t off = 0;
	const char *sep = "";

#define APPEND(...)                                                                                \
	do {                                                                                       \
		if (off < len) {                                                                   \
			int n_ = snprintf(buf + off, len - off, __VA_ARGS__);                      \
			if (n_ > 0)                                                                \
				off += (size_t)n_;                                                 \
		}                                                                                  \
	} while (0)

	if (!len)
		return buf;
	buf[0] = '\0';
	if (err->cluster[0]) {
		APPEND("%s", err->cluster);
		sep = ": ";
	}
	if (err->method[0] || err->url[0]) {
		APPEND("%s%s%s%s", sep, err->method, err->method[0] && err->url[0] ? " " : "",
		       err->url);
		sep = ": ";
	}
	if (err->status) {
		APPEND("%sHTTP %ld", sep, err->status);
		sep = ": ";
	}
	if (err->message[0]) {
		APPEND("%s%s", sep, err->message);
		sep = ": ";
	} else if (kind_text(err->kind)) {
		APPEND("%s%s", sep, kind_text(err->kind));
		sep = ": ";
	}
	if (err->curl_text[0])
		APPEND("%s(%s)", *sep ? " " : "", err->curl_text);
#undef APPEND
	/* The message is the server's: it goes to terminals and logs. */
	term_sanitize_inplace(buf, len, 0);
	return buf;
}

const char *http_response_header(const struct http_response *resp, const char *name)
{
	for (size_t i = resp->nheaders; i-- > 0;)
		if (!strcasecmp(resp->header_names[i], name))
			return resp->header_values[i];
	return NULL;
}

static void headers_clear(struct http_response *resp)
{
	for (size_t i = 0; i < resp->nheaders; i++) {
		free(resp->header_names[i]);
		free(resp->header_values[i]);
	}
	free(resp->header_names);
	free(resp->header_values);
	resp->header_names = resp->header_values = NULL;
	resp->nheaders = 0;
	resp->content_type = NULL;
}

void http_response_clear(struct http_response *resp)
{
	if (!resp)
		return;
	headers_clear(resp);
	/* A body may hold a token (a Secret, a peering token): wiped. */
	if (resp->body)
		codec_wipe(resp->body, resp->body_len);
	free(resp->body);
	memset(resp, 0, sizeof *resp);
}

char *http_escape(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = strlen(s);
	char *out = malloc(3 * n + 1), *o = out;

	if (!out)
		return NULL;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (isalnum(*p) || *p == '-' || *p == '.' || *p == '_' || *p == '~') {
			*o++ = (char)*p;
			continue;
		}
		*o++ = '%';
		*o++ = hex[*p >> 4];
		*o++ = hex[*p & 15];
	}
	*o = '\0';
	return out;
}

/* GnuTLS comes into the process only because libcurl links librtmp and
 * libldap, for rtmp:// and ldap:// URLs no transfer here may use
 * (CURLOPT_PROTOCOLS_STR is "http,https"). Its constructor would initialise
 * it at load all the same: the system's crypto policy, p11-kit and its trust
 * modules, some 0.6 MiB resident at 8 clusters for a library never called.
 * This is GnuTLS's documented way out (GNUTLS_SKIP_GLOBAL_INIT in
 * gnutls/gnutls.h): its constructor asks this function, a weak symbol the
 * program overrides. Whoever does use GnuTLS calls gnutls_global_init()
 * first (libcurl's GnuTLS backend, librtmp and libldap all do), so nothing
 * is lost if one ever runs. The linker exports it to the dynamic symbol
 * table because libgnutls, below libcurl, refers to it
 * (tests/e2e/gnutls_skip.sh checks the binding). */
int _gnutls_global_init_skip(void);
int _gnutls_global_init_skip(void)
{
	return 1;
}

/* libcurl's global initialisation is process-wide and, before libcurl 7.84,
 * not thread-safe; it runs exactly once, on first use, whichever thread that
 * is. This once-flag is the module's only global state. */
static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static CURLcode global_rc = CURLE_FAILED_INIT;

static void global_init_once(void)
{
	global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

int http_global_init(void)
{
	pthread_once(&global_once, global_init_once);
	return global_rc == CURLE_OK ? 0 : -1;
}

void http_global_cleanup(void)
{
	curl_global_cleanup();
}

/* ------------------------------------------------------------------- client */

static void share_lock(CURL *h, curl_lock_data data, curl_lock_access access, void *ctx)
{
	struct http_client *c = ctx;

	(void)h;
	(void)access;
	if ((int)data >= 0 && data < CURL_LOCK_DATA_LAST)
		pthread_mutex_lock(&c->share_lock[data]);
}

static void share_unlock(CURL *h, curl_lock_data data, void *ctx)
{
	struct http_client *c = ctx;

	(void)h;
	if ((int)data >= 0 && data < CURL_LOCK_DATA_LAST)
		pthread_mutex_unlock(&c->share_lock[data]);
}

static int setup_share(struct http_client *c)
{
	for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
		pthread_mutex_init(&c->share_lock[i], NULL);
	c->share = curl_share_init();
	if (!c->share)
		return -1;
	if (curl_share_setopt(c->share, CURLSHOPT_LOCKFUNC, share_lock) ||
	    curl_share_setopt(c->share, CURLSHOPT_UNLOCKFUNC, share_unlock) ||
	    curl_share_setopt(c->share, CURLSHOPT_USERDATA, c) ||
	    curl_share_setopt(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS) ||
	    curl_share_setopt(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION))
		return -1;
	return 0;
}

/* Fill the base URLs: the one shown (redacted) and the one libcurl uses, which
 * names the TLS server name as host and is sent to the real host through
 * CONNECT_TO, keeping the original Host header. */
/* Copy url without its trailing slashes. */
static char *strip_slashes(const char *url)
{
	size_t len = strlen(url);

	while (len && url[len - 1] == '/')
		len--;
	return strndup(url, len);
}

/* With a TLS server name, libcurl is given a URL naming that host (so that
 * SNI and certificate checks use it) and sent to the real host through
 * CONNECT_TO; the Host header keeps the real host. */
static int setup_server_name(struct http_client *c, const char *name, struct http_error *err)
{
	CURLU *u = curl_url();
	char *host = NULL, *port = NULL, *url = NULL, *line = NULL;
	int rc = -1;

	if (!u)
		goto nomem;
	if (curl_url_set(u, CURLUPART_URL, c->curl_base, 0) ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) ||
	    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT)) {
		http_error_setf(err, HTTP_ERR_USAGE, "the address is not a valid URL");
		goto out;
	}
	if (curl_url_set(u, CURLUPART_HOST, name, 0) || curl_url_get(u, CURLUPART_URL, &url, 0)) {
		http_error_setf(err, HTTP_ERR_USAGE,
		                "the TLS server name \"%s\" is not a valid host", name);
		goto out;
	}
	line = str_printf("%s:%s:%s:%s", name, port, host, port);
	c->connect_to = line ? curl_slist_append(NULL, line) : NULL;
	c->host_header = str_printf("Host: %s:%s", host, port);
	free(c->curl_base);
	c->curl_base = strip_slashes(url);
	if (!c->connect_to || !c->host_header || !c->curl_base)
		goto nomem;
	rc = 0;
	goto out;
nomem:
	http_error_setf(err, HTTP_ERR_NOMEM, "out of memory");
out:
	free(line);
	curl_free(host);
	curl_free(port);
	curl_free(url);
	curl_url_cleanup(u);
	return rc;
}

/* The base URL as shown (redacted, without query) and as given to libcurl. */
static int setup_base(struct http_client *c, const struct http_options *o, struct http_error *err)
{
	char shown[512];

	redact_url(o->base_url, shown, sizeof shown);
	copy_str(err->url, sizeof err->url, shown);
	if (strncasecmp(o->base_url, "http://", 7) && strncasecmp(o->base_url, "https://", 8)) {
		http_error_setf(err, HTTP_ERR_USAGE,
		                "the address must start with http:// or https://");
		return -1;
	}
	if (strpbrk(o->base_url, "?#")) {
		http_error_setf(err, HTTP_ERR_USAGE,
		                "the address may not carry a query or a fragment");
		return -1;
	}
	c->shown_base = strip_slashes(shown);
	c->curl_base = strip_slashes(o->base_url);
	if (!c->shown_base || !c->curl_base) {
		http_error_setf(err, HTTP_ERR_NOMEM, "out of memory");
		return -1;
	}
	if (!o->tls.server_name || !*o->tls.server_name)
		return 0;
	return setup_server_name(c, o->tls.server_name, err);
}

bool http_header_safe(const char *v)
{
	for (const unsigned char *p = (const unsigned char *)v; *p; p++)
		if ((*p < 0x20 && *p != '\t') || *p == 0x7f)
			return false;
	return true;
}

static int setup_auth(struct http_client *c, const struct http_auth *a, struct http_error *err)
{
	bool bearer = a->bearer_token && *a->bearer_token;
	bool basic = a->username && *a->username;

	if ((a->consul_token && !http_header_safe(a->consul_token)) ||
	    (bearer && !http_header_safe(a->bearer_token))) {
		http_error_setf(err, HTTP_ERR_USAGE,
		                "the %s holds a line break or another control character: refused "
		                "(it would be sent as headers of its own)",
		                bearer && !http_header_safe(a->bearer_token) ? "bearer token"
		                                                             : "Consul ACL token");
		return -1;
	}
	if (bearer && basic) {
		http_error_setf(err, HTTP_ERR_USAGE,
		                "a bearer token and a username/password may not both be set");
		return -1;
	}
	if (a->consul_token && *a->consul_token) {
		c->consul_token = strdup(a->consul_token);
		c->consul_header = str_printf("X-Consul-Token: %s", a->consul_token);
		if (!c->consul_token || !c->consul_header)
			goto nomem;
	}
	if (bearer && http_client_set_bearer(c, a->bearer_token))
		goto nomem;
	if (basic && (dup_opt(&c->username, a->username) ||
	              dup_opt(&c->password, a->password ? a->password : "")))
		goto nomem;
	return 0;
nomem:
	http_error_setf(err, HTTP_ERR_NOMEM, "out of memory");
	return -1;
}

/* libcurl takes at most this much PEM from memory (CURL_MAX_INPUT_LENGTH). */
#define BLOB_MAX 8000000u

static int tls_sizes(const struct http_tls *t, struct http_error *err)
{
	const struct {
		const char *what, *data;
		size_t len;
	} blobs[] = {{"certificate authority", t->ca_data, t->ca_data_len},
	             {"client certificate", t->cert_data, t->cert_data_len},
	             {"client key", t->key_data, t->key_data_len}};

	for (size_t i = 0; i < sizeof blobs / sizeof blobs[0]; i++) {
		size_t n = !blobs[i].data ? 0 : blobs[i].len ? blobs[i].len : strlen(blobs[i].data);
		if (n > BLOB_MAX) {
			http_error_setf(
			        err, HTTP_ERR_USAGE,
			        "the %s given as data is %zu bytes, more than the %u libcurl "
			        "takes from memory: give it as a file",
			        blobs[i].what, n, BLOB_MAX);
			return -1;
		}
	}
	return 0;
}

/* The proxy C's requests to an https URL may go through is itself reached
 * over TLS: CURLOPT_SSL_CTX_FUNCTION then runs for the proxy's handshake
 * too, where the cluster's CA must not replace the proxy's. libcurl reads
 * https_proxy, then all_proxy (either case) when none is set. */
static bool proxy_over_tls(const struct http_client *c)
{
	static const char *const env[] = {"https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"};

	if (c->proxy_url)
		return !strncasecmp(c->proxy_url, "https://", 8);
	for (size_t i = 0; i < sizeof env / sizeof env[0]; i++) {
		const char *v = getenv(env[i]);
		if (v && *v)
			return !strncasecmp(v, "https://", 8);
	}
	return false;
}

static int setup_tls(struct http_client *c, const struct http_tls *t)
{
	c->insecure = t->insecure;
	if (dup_opt(&c->ca_file, t->ca_file) || dup_opt(&c->cert_file, t->cert_file) ||
	    dup_opt(&c->key_file, t->key_file))
		return -1;
	if (dup_blob(&c->ca, t->ca_data, t->ca_data_len) ||
	    dup_blob(&c->cert, t->cert_data, t->cert_data_len) ||
	    dup_blob(&c->key, t->key_data, t->key_data_len))
		return -1;
	if (!c->insecure && (c->ca.data || c->ca_file) && !proxy_over_tls(c))
		c->trust = http_trust_new(c->ca.data, c->ca.len, c->ca_file);
	return 0;
}

struct http_client *http_client_new(const struct http_options *o, struct http_error *err)
{
	struct http_error local;
	struct http_client *c;

	if (!err)
		err = &local;
	http_error_clear(err);
	copy_str(err->cluster, sizeof err->cluster, o->cluster);
	if (!o->base_url || !*o->base_url) {
		http_error_setf(err, HTTP_ERR_USAGE, "no address given");
		return NULL;
	}
	if (http_global_init()) {
		http_error_setf(err, HTTP_ERR_TRANSPORT, "libcurl failed to initialise");
		return NULL;
	}
	c = calloc(1, sizeof *c);
	if (!c) {
		http_error_setf(err, HTTP_ERR_NOMEM, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&c->lock, NULL);
	atomic_init(&c->cancelled, false);
	c->connect_timeout_ms =
	        o->connect_timeout_ms > 0 ? o->connect_timeout_ms : HTTP_DEFAULT_CONNECT_TIMEOUT_MS;
	c->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : HTTP_DEFAULT_TIMEOUT_MS;
	c->max_body = o->max_body ? o->max_body : HTTP_DEFAULT_MAX_BODY;
	c->log = o->log;
	c->cluster = strdup(o->cluster ? o->cluster : "");
	c->user_agent = o->user_agent ? strdup(o->user_agent) : strdup(PACKAGE "/" VERSION);
	if (dup_opt(&c->unauthorized_hint, o->unauthorized_hint))
		goto fail;
	if (setup_share(c))
		goto fail;
	if (tls_sizes(&o->tls, err))
		goto fail;
	if (!c->cluster || !c->user_agent || dup_opt(&c->proxy_url, o->proxy_url) ||
	    setup_tls(c, &o->tls)) {
		http_error_setf(err, HTTP_ERR_NOMEM, "out of memory");
		goto fail;
	}
	if (setup_base(c, o, err) || setup_auth(c, &o->auth, err))
		goto fail;
	if (c->insecure)
		logf_(c, LOG_LEVEL_WARN, "%s: TLS certificate verification is off for %s",
		      c->cluster, c->shown_base);
	return c;
fail:
	if (!err->kind)
		http_error_setf(err, HTTP_ERR_NOMEM, "out of memory");
	http_client_free(c);
	return NULL;
}

static void multi_destroy(struct http_multi *m);

void http_client_free(struct http_client *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->nidle; i++)
		multi_destroy(c->idle[i]);
	free(c->refs);
	if (c->share)
		curl_share_cleanup(c->share);
	for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
		pthread_mutex_destroy(&c->share_lock[i]);
	pthread_mutex_destroy(&c->lock);
	free(c->cluster);
	free(c->shown_base);
	free(c->curl_base);
	curl_slist_free_all(c->connect_to);
	free(c->host_header);
	free(c->ca_file);
	free(c->cert_file);
	free(c->key_file);
	free_blob(&c->ca);
	http_trust_free(c->trust);
	free_blob(&c->cert);
	free_blob(&c->key);
	free(c->proxy_url);
	codec_wipe_free(c->consul_header);
	codec_wipe_free(c->consul_token);
	codec_wipe_free(c->bearer_header);
	codec_wipe_free(c->bearer_token);
	free(c->username);
	codec_wipe_free(c->password);
	free(c->user_agent);
	free(c->unauthorized_hint);
	free(c);
}

const char *http_client_cluster(const struct http_client *c)
{
	return c->cluster;
}

const char *http_client_base_url(const struct http_client *c)
{
	return c->shown_base;
}

bool http_client_insecure(const struct http_client *c)
{
	return c->insecure;
}

int http_client_set_bearer(struct http_client *c, const char *token)
{
	char *hdr = NULL, *tok = NULL;

	if (token && !http_header_safe(token))
		return -1;
	if (token && *token) {
		hdr = str_printf("Authorization: Bearer %s", token);
		tok = strdup(token);
		if (!hdr || !tok) {
			codec_wipe_free(hdr);
			codec_wipe_free(tok);
			return -1;
		}
	}
	pthread_mutex_lock(&c->lock);
	codec_wipe_free(c->bearer_header);
	codec_wipe_free(c->bearer_token);
	c->bearer_header = hdr;
	c->bearer_token = tok;
	pthread_mutex_unlock(&c->lock);
	return 0;
}

void http_client_cancel(struct http_client *c)
{
	atomic_store(&c->cancelled, true);
	pthread_mutex_lock(&c->lock);
	for (size_t i = 0; i < c->nrefs; i++)
		curl_multi_wakeup(c->refs[i].m->cm);
	pthread_mutex_unlock(&c->lock);
}

bool http_client_cancelled(const struct http_client *c)
{
	return atomic_load(&((struct http_client *)c)->cancelled);
}

/* Record that m runs a transfer of c, so that a cancel can wake m. */
static int client_ref(struct http_client *c, struct http_multi *m)
{
	int rc = 0;

	pthread_mutex_lock(&c->lock);
	for (size_t i = 0; i < c->nrefs; i++) {
		if (c->refs[i].m == m) {
			c->refs[i].count++;
			goto out;
		}
	}
	if (c->nrefs == c->refs_cap) {
		size_t cap = c->refs_cap ? 2 * c->refs_cap : 4;
		struct multi_ref *r = realloc(c->refs, cap * sizeof *r);
		if (!r) {
			rc = -1;
			goto out;
		}
		c->refs = r;
		c->refs_cap = cap;
	}
	c->refs[c->nrefs++] = (struct multi_ref){m, 1};
out:
	pthread_mutex_unlock(&c->lock);
	return rc;
}

static void client_unref(struct http_client *c, struct http_multi *m)
{
	pthread_mutex_lock(&c->lock);
	for (size_t i = 0; i < c->nrefs; i++) {
		if (c->refs[i].m != m)
			continue;
		if (--c->refs[i].count == 0)
			c->refs[i] = c->refs[--c->nrefs];
		break;
	}
	pthread_mutex_unlock(&c->lock);
}

/* ---------------------------------------------------------------- transfers */

static size_t on_header(char *data, size_t size, size_t n, void *ctx)
{
	struct http_xfer *x = ctx;
	size_t len = size * n, nlen, vstart;
	struct http_response *r = &x->resp;
	char *name, *value;

	x->m->due[x->apart ? LANE_APART : LANE_MAIN] = true;
	/* Headers have their own bound, so that a streamed body's cap is the
	 * caller's alone. */
	x->header_bytes += len;
	if (x->header_bytes > HEADERS_MAX) {
		x->too_large = true;
		return 0;
	}
	if (len >= 5 && !strncmp(data, "HTTP/", 5)) {
		/* A new response begins (after 100 Continue or a proxy's CONNECT). */
		headers_clear(r);
		x->encoded = false;
		return len;
	}
	while (len && (data[len - 1] == '\r' || data[len - 1] == '\n'))
		len--;
	nlen = 0;
	while (nlen < len && data[nlen] != ':')
		nlen++;
	if (!nlen || nlen == len)
		return size * n;
	vstart = nlen + 1;
	while (vstart < len && (data[vstart] == ' ' || data[vstart] == '\t'))
		vstart++;
	if (r->nheaders == x->headers_cap) {
		size_t cap = x->headers_cap ? 2 * x->headers_cap : 16;
		char **nv = realloc(r->header_names, cap * sizeof *nv);
		if (!nv) {
			x->nomem = true;
			return 0;
		}
		r->header_names = nv;
		char **vv = realloc(r->header_values, cap * sizeof *vv);
		if (!vv) {
			x->nomem = true;
			return 0;
		}
		r->header_values = vv;
		x->headers_cap = cap;
	}
	name = strndup(data, nlen);
	value = strndup(data + vstart, len - vstart);
	if (!name || !value) {
		free(name);
		free(value);
		x->nomem = true;
		return 0;
	}
	r->header_names[r->nheaders] = name;
	r->header_values[r->nheaders++] = value;
	if (!strcasecmp(name, "Content-Type"))
		r->content_type = value;
	else if (!strcasecmp(name, "Content-Encoding"))
		x->encoded = strcasecmp(value, "identity") != 0;
	return size * n;
}

static int append_body(struct http_xfer *x, const char *data, size_t len)
{
	struct http_response *r = &x->resp;

	if (r->body_len + len + 1 > x->body_cap) {
		size_t cap = x->body_cap ? x->body_cap : 4096, need = r->body_len + len + 1;
		curl_off_t announced = -1;
		/* The announced length: one buffer of the right size, where
		 * doubling would copy a large body several times over and keep
		 * up to twice its size. A compressed answer announces what it
		 * carries, not what it inflates to: the length of the same
		 * request's last answer, and an eighth more, stands for it. */
		if (!x->body_cap && !x->encoded &&
		    curl_easy_getinfo(x->easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &announced) ==
		            CURLE_OK &&
		    announced > 0 && (size_t)announced <= x->max_body &&
		    (size_t)announced >= r->body_len + len)
			cap = (size_t)announced + 1;
		else if (!x->body_cap && x->size_hint && x->size_hint + 1 >= need &&
		         x->size_hint <= x->max_body)
			cap = x->size_hint + x->size_hint / 8 + 1;
		/* Past 256 KiB, four times: a block that large is mapped on its
		 * own (heap.c), and pages the body never reaches are never
		 * touched, where each doubling copied and wiped it all. */
		while (cap < need)
			cap *= cap >= BODY_GROW_FAST ? 4 : 2;
		/* Never more than the cap allows: a body at the cap holds the cap,
		 * not the next power of two. */
		if (cap > x->max_body + 1 && need <= x->max_body + 1)
			cap = x->max_body + 1;
		struct http_multi *m = x->m;
		/* Nor more than the budget leaves, when the body fits in it. */
		if (m && m->budget && m->held - x->body_cap + cap > m->budget &&
		    m->held - x->body_cap + need <= m->budget)
			cap = m->budget - (m->held - x->body_cap);
		if (m && m->budget && m->held - x->body_cap + cap > m->budget) {
			x->over_budget = true;
			return -1;
		}
		/* Not realloc: a body may hold a secret (a peering token), and
		 * the old buffer is wiped before it goes back to the heap. */
		char *b = malloc(cap);
		if (!b)
			return -1;
		if (r->body) {
			memcpy(b, r->body, r->body_len);
			codec_wipe(r->body, r->body_len);
			free(r->body);
		}
		r->body = b;
		if (m)
			m->held = m->held - x->body_cap + cap;
		x->body_cap = cap;
	}
	memcpy(r->body + r->body_len, data, len);
	r->body_len += len;
	r->body[r->body_len] = '\0';
	return 0;
}

static size_t on_body(char *data, size_t size, size_t n, void *ctx)
{
	struct http_xfer *x = ctx;
	size_t len = size * n;
	long status = 0;

	x->m->due[x->apart ? LANE_APART : LANE_MAIN] = true;
	curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
	if (x->on_chunk && status >= 200 && status < 300) {
		if (x->on_chunk(x->chunk_ctx, data, len)) {
			x->stopped = true;
			return 0;
		}
		return len;
	}
	x->received += len;
	if (x->received > x->max_body) {
		x->too_large = true;
		return 0;
	}
	if (append_body(x, data, len) != 0) {
		x->too_large |= x->over_budget;
		x->nomem |= !x->over_budget;
		return 0;
	}
	return len;
}

static bool xfer_cancelled(const struct http_xfer *x)
{
	return atomic_load(&x->c->cancelled) || (x->cancel && atomic_load(x->cancel));
}

static int on_progress(void *ctx, curl_off_t dlt, curl_off_t dln, curl_off_t ult, curl_off_t uln)
{
	(void)dlt;
	(void)dln;
	(void)ult;
	(void)uln;
	return xfer_cancelled(ctx) ? 1 : 0;
}

static void xfer_free(struct http_xfer *x)
{
	struct curl_slist *h;

	if (!x)
		return;
	if (x->easy)
		curl_easy_cleanup(x->easy);
	/* Auth headers sit in this list: wipe them before freeing. */
	for (h = x->headers; h; h = h->next)
		codec_wipe(h->data, strlen(h->data));
	curl_slist_free_all(x->headers);
	free(x->url);
	if (x->body)
		codec_wipe(x->body, x->body_len);
	free(x->body);
	codec_wipe_free(x->secret);
	http_response_clear(&x->resp);
	free(x);
}

static int add_header(struct http_xfer *x, const char *line)
{
	struct curl_slist *l = curl_slist_append(x->headers, line);

	if (!l)
		return -1;
	x->headers = l;
	return 0;
}

static int add_header2(struct http_xfer *x, const char *name, const char *value)
{
	char *line = str_printf("%s: %s", name, value);
	int rc;

	if (!line)
		return -1;
	rc = add_header(x, line);
	free(line);
	return rc;
}

static int build_headers(struct http_xfer *x, const struct http_request *req)
{
	struct http_client *c = x->c;
	int rc = 0;

	for (size_t i = 0; i < req->nheaders; i++)
		if (add_header2(x, req->headers[i].name, req->headers[i].value))
			return -1;
	if (x->body && add_header2(x, "Content-Type",
	                           req->content_type ? req->content_type : "application/json"))
		return -1;
	if (add_header(x, "Expect:") || (c->host_header && add_header(x, c->host_header)) ||
	    (c->consul_header && add_header(x, c->consul_header)))
		return -1;
	pthread_mutex_lock(&c->lock);
	if (c->bearer_header)
		rc = add_header(x, c->bearer_header);
	pthread_mutex_unlock(&c->lock);
	return rc;
}

/* Options that come from the client. */
static int setopt_client(CURL *e, struct http_client *c)
{
	CURLcode r = CURLE_OK;

#define SET(opt, val)                                                                              \
	do {                                                                                       \
		if (r == CURLE_OK)                                                                 \
			r = curl_easy_setopt(e, opt, val);                                         \
	} while (0)
	SET(CURLOPT_SHARE, c->share);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_PROTOCOLS_STR, "http,https");
	SET(CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
	/* A server that speaks HTTP/2 (Consul over HTTPS, the Kubernetes API
	 * server) carries every request of a cluster on one connection: a new
	 * request waits for the connection being made to say whether it can,
	 * rather than opening one of its own. Over TLS the handshake's ALPN
	 * says so; over plain HTTP only a first answer would, and a long poll
	 * in flight would hold every request after it. */
	if (!strncasecmp(c->curl_base, "https://", 8))
		SET(CURLOPT_PIPEWAIT, 1L);
	SET(CURLOPT_CONNECTTIMEOUT_MS, c->connect_timeout_ms);
	SET(CURLOPT_TCP_KEEPALIVE, 1L);
	SET(CURLOPT_ACCEPT_ENCODING, "");
	SET(CURLOPT_USERAGENT, c->user_agent);
	/* Over TLS libcurl copies each request into an upload buffer that the
	 * transfer keeps to its end: 64 KiB by default for every long poll and
	 * watch in flight. peerscope's requests are a few KiB. */
	SET(CURLOPT_UPLOAD_BUFFERSIZE, HTTP_UPLOAD_BUFFER);
	if (c->proxy_url)
		SET(CURLOPT_PROXY, c->proxy_url);
	if (c->connect_to)
		SET(CURLOPT_CONNECT_TO, c->connect_to);
	if (c->trust) {
		if (r == CURLE_OK && http_trust_setopt(e, c->trust))
			r = CURLE_FAILED_INIT;
	} else if (c->ca.data) {
		struct curl_blob b = {c->ca.data, c->ca.len, CURL_BLOB_NOCOPY};
		SET(CURLOPT_CAINFO_BLOB, &b);
	} else if (c->ca_file) {
		SET(CURLOPT_CAINFO, c->ca_file);
	}
	if (c->cert.data) {
		struct curl_blob b = {c->cert.data, c->cert.len, CURL_BLOB_NOCOPY};
		SET(CURLOPT_SSLCERT_BLOB, &b);
		SET(CURLOPT_SSLCERTTYPE, "PEM");
	} else if (c->cert_file) {
		SET(CURLOPT_SSLCERT, c->cert_file);
	}
	if (c->key.data) {
		struct curl_blob b = {c->key.data, c->key.len, CURL_BLOB_NOCOPY};
		SET(CURLOPT_SSLKEY_BLOB, &b);
		SET(CURLOPT_SSLKEYTYPE, "PEM");
	} else if (c->key_file) {
		SET(CURLOPT_SSLKEY, c->key_file);
	}
	if (c->insecure) {
		SET(CURLOPT_SSL_VERIFYPEER, 0L);
		SET(CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (c->username) {
		SET(CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		SET(CURLOPT_USERNAME, c->username);
		SET(CURLOPT_PASSWORD, c->password);
	}
#undef SET
	return r == CURLE_OK ? 0 : -1;
}

static void body_message_raw(const struct http_response *r, char *out, size_t len);

/* The server's message from an error body: Status.message (or any "message"
 * string) of a JSON object, else the text itself on one line; made safe to
 * show (term.h). */
static void body_message(const struct http_response *r, char *out, size_t len)
{
	body_message_raw(r, out, len);
	term_sanitize_inplace(out, len, 0);
}

static void body_message_raw(const struct http_response *r, char *out, size_t len)
{
	size_t o = 0;
	const char *p = r->body;

	out[0] = '\0';
	if (!p || !r->body_len)
		return;
	while (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')
		p++;
	if (*p == '{') {
		cJSON *j = cJSON_ParseWithLength(r->body, r->body_len);
		const cJSON *m = cJSON_GetObjectItemCaseSensitive(j, "message");
		if (cJSON_IsString(m) && m->valuestring[0]) {
			p = m->valuestring;
			for (; *p && o + 1 < len; p++)
				out[o++] = (*p == '\n' || *p == '\r' || *p == '\t') ? ' ' : *p;
			out[o] = '\0';
			cJSON_Delete(j);
			return;
		}
		cJSON_Delete(j);
	}
	/* Line breaks and tabs become blanks (one line); other controls stay
	 * and are shown escaped by term_sanitize. */
	for (; *p && o + 1 < len; p++)
		out[o++] = (*p == '\n' || *p == '\r' || *p == '\t') ? ' ' : *p;
	while (o && out[o - 1] == ' ')
		o--;
	out[o] = '\0';
}

static int fill_result(struct http_xfer *x, CURLcode res)
{
	struct http_error *err = &x->err;
	struct http_response *r = &x->resp;

	curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &r->status);
	r->elapsed_s = (double)(monotime_ns() - x->start_ns) / 1e9;
	if (x->header_bytes > HEADERS_MAX) {
		http_error_setf(err, HTTP_ERR_TOO_LARGE, "the response headers exceed %zu bytes",
		                HEADERS_MAX);
	} else if (x->over_budget) {
		http_error_setf(
		        err, HTTP_ERR_TOO_LARGE,
		        "the answers in flight from this cluster would hold more than %zu MiB "
		        "(the response is larger than the limit of what peerscope keeps)",
		        x->m->budget >> 20);
	} else if (x->too_large || res == CURLE_FILESIZE_EXCEEDED) {
		http_error_setf(err, HTTP_ERR_TOO_LARGE,
		                "the response is larger than the limit of %zu bytes", x->max_body);
	} else if (x->stopped) {
		err->kind = HTTP_ERR_CALLBACK;
	} else if (res == CURLE_ABORTED_BY_CALLBACK || (res != CURLE_OK && xfer_cancelled(x))) {
		err->kind = HTTP_ERR_CANCELLED;
	} else if (res == CURLE_OPERATION_TIMEDOUT) {
		err->kind = HTTP_ERR_TIMEOUT;
		copy_str(err->curl_text, sizeof err->curl_text,
		         x->errbuf[0] ? x->errbuf : curl_easy_strerror(res));
	} else if (res == CURLE_OUT_OF_MEMORY && !x->nomem) {
		/* libcurl's own refusal: it says "out of memory" for a header
		 * line over its limit too. */
		http_error_setf(err, HTTP_ERR_TRANSPORT,
		                "libcurl could not take the response: a header line longer than "
		                "%d bytes, or out of memory",
		                CURL_MAX_HTTP_HEADER);
		copy_str(err->curl_text, sizeof err->curl_text, x->errbuf);
	} else if (res == CURLE_OUT_OF_MEMORY || res == CURLE_WRITE_ERROR) {
		http_error_setf(err, HTTP_ERR_NOMEM, "out of memory");
	} else if (res != CURLE_OK) {
		err->kind = HTTP_ERR_TRANSPORT;
		copy_str(err->curl_text, sizeof err->curl_text,
		         x->errbuf[0] ? x->errbuf : curl_easy_strerror(res));
	} else if (r->status >= 300 && r->status <= 399) {
		/* Redirects are not followed (credentials would go along): say
		 * where it pointed. */
		const char *to = http_response_header(r, "Location");
		char shown[384];
		err->kind = HTTP_ERR_STATUS;
		redact_url(to ? to : "", shown, sizeof shown);
		http_error_setf(err, HTTP_ERR_STATUS, "%s%s (peerscope does not follow redirects)",
		                to ? "redirected to " : "a redirect without a Location", shown);
	} else if (r->status < 200 || r->status > 299) {
		err->kind = HTTP_ERR_STATUS;
		body_message(r, err->message, sizeof err->message);
		if (r->status == 401 && x->c->unauthorized_hint) {
			size_t used = strlen(err->message);
			snprintf(err->message + used, sizeof err->message - used, "%s%s",
			         used ? " (" : "", x->c->unauthorized_hint);
			if (used && strlen(err->message) + 2 <= sizeof err->message)
				strcat(err->message, ")");
		}
	}
	if (err->kind != HTTP_ERR_NONE && err->kind != HTTP_ERR_STATUS && r->status &&
	    (r->status < 200 || r->status > 299) && !err->message[0])
		body_message(r, err->message, sizeof err->message);
	err->status = r->status;
	scrub_error(err, x->c, x->secret);
	return err->kind == HTTP_ERR_NONE ? 0 : -1;
}

static void log_result(const struct http_xfer *x, int rc)
{
	char buf[1024];

	if (rc == 0) {
		logf_(x->c, LOG_LEVEL_DEBUG, "%s: %s %s -> %ld in %.0f ms (%zu bytes)",
		      x->c->cluster, x->err.method, x->err.url, x->resp.status,
		      x->resp.elapsed_s * 1000.0, x->resp.body_len);
		return;
	}
	logf_(x->c, x->err.kind == HTTP_ERR_CANCELLED ? LOG_LEVEL_DEBUG : LOG_LEVEL_INFO, "%s",
	      http_error_format(&x->err, buf, sizeof buf));
}

static void multi_link(struct http_multi *m, struct http_xfer *x)
{
	x->next = m->head;
	if (m->head)
		m->head->prev = x;
	m->head = x;
	m->n++;
}

static void multi_unlink(struct http_multi *m, struct http_xfer *x)
{
	if (x->prev)
		x->prev->next = x->next;
	else
		m->head = x->next;
	if (x->next)
		x->next->prev = x->prev;
	x->prev = x->next = NULL;
	m->n--;
}

static CURLM *lane_of(const struct http_multi *m, const struct http_xfer *x)
{
	return x->apart ? m->apart : m->cm;
}

static void lane_remove(struct http_multi *m, struct http_xfer *x)
{
	curl_multi_remove_handle(lane_of(m, x), x->easy);
	if (x->apart)
		m->napart--;
}

/* Take x out of the multi and release it, without a callback. */
static void xfer_drop(struct http_multi *m, struct http_xfer *x)
{
	m->held -= x->body_cap;
	lane_remove(m, x);
	multi_unlink(m, x);
	client_unref(x->c, m);
	xfer_free(x);
}

/* The size hint of REQ's answers on M, into X. */
static void hint_find(struct http_multi *m, struct http_xfer *x, const struct http_request *req)
{
	const char *method = req->method ? req->method : "GET";
	const char *path = req->path ? req->path : "";

	x->hint_key = codec_hash_bytes((uint64_t)(uintptr_t)x->c, method, strlen(method));
	x->hint_key = codec_hash_bytes(x->hint_key, path, strcspn(path, "?"));
	for (size_t i = 0; i < SIZE_HINTS; i++)
		if (m->hints[i].key == x->hint_key && m->hints[i].len) {
			x->size_hint = m->hints[i].len;
			return;
		}
}

/* X's answer had LEN bytes: the next answer of its request may too. */
static void hint_keep(struct http_multi *m, const struct http_xfer *x, size_t len)
{
	size_t i;

	for (i = 0; i < SIZE_HINTS && m->hints[i].key != x->hint_key; i++)
		;
	if (i == SIZE_HINTS)
		i = m->next_hint++ % SIZE_HINTS;
	m->hints[i].key = x->hint_key;
	m->hints[i].len = len;
}

/* x ended with res: report it through the callback, then release it. */
static void xfer_finish(struct http_multi *m, struct http_xfer *x, CURLcode res)
{
	int rc = fill_result(x, res);

	m->held -= x->body_cap;
	lane_remove(m, x);
	multi_unlink(m, x);
	client_unref(x->c, m);
	log_result(x, rc);
	/* Before the callback, which may take the body (http_do's does). */
	size_t got = x->resp.body_len;
	if (rc == 0 && got >= SIZE_HINT_MIN)
		hint_keep(m, x, got);
	if (x->done)
		x->done(x->ctx, rc, &x->resp, &x->err);
	xfer_free(x);
	heap_answered(got);
}

static int xfer_setup(struct http_xfer *x, const struct http_request *req)
{
	struct http_client *c = x->c;
	const char *method = req->method ? req->method : "GET";
	long timeout = req->timeout_ms > 0 ? req->timeout_ms : c->timeout_ms;
	CURL *e;
	CURLcode r = CURLE_OK;

	if (req->wait_ms > 0)
		timeout = http_long_poll_timeout_ms(req->wait_ms);
	x->timeout_ms = timeout;
	x->waits = req->wait_ms > 0 || req->on_chunk;
	x->deadline_ns = timeout > 0 ? x->start_ns + (timeout + DEADLINE_GRACE_MS) * 1000000 : 0;
	e = x->easy = curl_easy_init();
	if (!e || setopt_client(e, c) || build_headers(x, req))
		return -1;
#define SET(opt, val)                                                                              \
	do {                                                                                       \
		if (r == CURLE_OK)                                                                 \
			r = curl_easy_setopt(e, opt, val);                                         \
	} while (0)
	SET(CURLOPT_URL, x->url);
	SET(CURLOPT_PRIVATE, x);
	SET(CURLOPT_ERRORBUFFER, x->errbuf);
	SET(CURLOPT_TIMEOUT_MS, timeout);
	SET(CURLOPT_HTTPHEADER, x->headers);
	SET(CURLOPT_HEADERFUNCTION, on_header);
	SET(CURLOPT_HEADERDATA, x);
	SET(CURLOPT_WRITEFUNCTION, on_body);
	SET(CURLOPT_WRITEDATA, x);
	SET(CURLOPT_NOPROGRESS, 0L);
	SET(CURLOPT_XFERINFOFUNCTION, on_progress);
	SET(CURLOPT_XFERINFODATA, x);
	/* A stream (a watch) may run for hours; its caller bounds what it keeps. */
	if (!x->on_chunk)
		SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)x->max_body);
	/* A watch spends its life waiting, and keeps its own receive buffer
	 * (16 KiB by default) all along: at 8 clusters some 80 of them. What
	 * it brings are events of a few hundred bytes. Not a long poll: its
	 * answer may be a services list of megabytes, which over HTTP/2 came
	 * in 4 KiB at a time through libcurl's loop, and held up the small
	 * answers on the same connection (change -> screen at 16 x 10,000: 99
	 * ms with 4 KiB, 57 with 16). */
	if (x->on_chunk)
		SET(CURLOPT_BUFFERSIZE, HTTP_WAIT_BUFFER);
	if (req->identity)
		SET(CURLOPT_ACCEPT_ENCODING, NULL);
	if (!strcmp(method, "HEAD")) {
		SET(CURLOPT_NOBODY, 1L);
	} else if (strcmp(method, "GET") || x->body) {
		SET(CURLOPT_CUSTOMREQUEST, method);
		if (x->body || !strcmp(method, "POST") || !strcmp(method, "PUT") ||
		    !strcmp(method, "PATCH")) {
			SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)x->body_len);
			SET(CURLOPT_POSTFIELDS, x->body ? x->body : "");
		}
	}
#undef SET
	return r == CURLE_OK ? 0 : -1;
}

static struct http_xfer *xfer_new(struct http_client *c, const struct http_request *req,
                                  struct http_error *err)
{
	struct http_xfer *x = calloc(1, sizeof *x);
	const char *path = req->path ? req->path : "";
	char shown[1024];

	if (!x)
		return NULL;
	x->c = c;
	x->max_body = req->max_body ? req->max_body : c->max_body;
	x->on_chunk = req->on_chunk;
	x->chunk_ctx = req->chunk_ctx;
	x->cancel = req->cancel;
	x->start_ns = monotime_ns();
	copy_str(x->err.cluster, sizeof x->err.cluster, c->cluster);
	copy_str(x->err.method, sizeof x->err.method, req->method ? req->method : "GET");
	snprintf(shown, sizeof shown, "%s%s", c->shown_base, path);
	redact_url(shown, x->err.url, sizeof x->err.url);
	*err = x->err;
	x->url = str_printf("%s%s", c->curl_base, path);
	if (!x->url || dup_opt(&x->secret, req->body_secret))
		goto fail;
	if (req->body) {
		x->body_len = req->body_len ? req->body_len : strlen(req->body);
		x->body = malloc(x->body_len + 1);
		if (!x->body)
			goto fail;
		memcpy(x->body, req->body, x->body_len);
		x->body[x->body_len] = '\0';
	}
	if (xfer_setup(x, req))
		goto fail;
	return x;
fail:
	xfer_free(x);
	return NULL;
}

/* ------------------------------------------------------------------- multi */

struct http_multi *http_multi_new(void)
{
	struct http_multi *m = calloc(1, sizeof *m);

	if (!m)
		return NULL;
	if (http_global_init()) {
		free(m);
		return NULL;
	}
	m->cm = curl_multi_init();
	if (!m->cm) {
		free(m);
		return NULL;
	}
	return m;
}

static void multi_destroy(struct http_multi *m)
{
	while (m->head)
		xfer_drop(m, m->head);
	curl_multi_cleanup(m->cm);
	if (m->apart)
		curl_multi_cleanup(m->apart);
	free(m);
}

void http_multi_free(struct http_multi *m)
{
	if (m)
		multi_destroy(m);
}

/* CURLOPT_SOCKOPTFUNCTION of the apart lane's transfers: each socket
 * libcurl opens for them. */
static int apart_socket(void *clientp, curl_socket_t fd, curlsocktype purpose)
{
	struct http_multi *m = clientp;

	(void)purpose;
	if (fd >= FD_SETSIZE)
		m->apart_blind = true;
	return CURL_SOCKOPT_OK;
}

/* Whether X can go on M's apart lane: made when first needed, told of
 * the sockets it opens. */
static bool lane_apart_ready(struct http_multi *m, struct http_xfer *x)
{
	if (m->apart_blind)
		return false;
	if (!m->apart && !(m->apart = curl_multi_init()))
		return false;
	return curl_easy_setopt(x->easy, CURLOPT_SOCKOPTFUNCTION, apart_socket) == CURLE_OK &&
	       curl_easy_setopt(x->easy, CURLOPT_SOCKOPTDATA, m) == CURLE_OK;
}

struct http_xfer *http_multi_add(struct http_multi *m, struct http_client *c,
                                 const struct http_request *req, http_done_fn done, void *ctx,
                                 struct http_error *err)
{
	struct http_error local;
	struct http_xfer *x;

	if (!err)
		err = &local;
	http_error_clear(err);
	x = xfer_new(c, req, err);
	if (!x) {
		http_error_setf(err, HTTP_ERR_NOMEM, "out of memory");
		return NULL;
	}
	if (xfer_cancelled(x)) {
		err->kind = HTTP_ERR_CANCELLED;
		xfer_free(x);
		return NULL;
	}
	x->m = m;
	x->done = done;
	x->ctx = ctx;
	hint_find(m, x, req);
	if (client_ref(c, m)) {
		http_error_setf(err, HTTP_ERR_NOMEM, "out of memory");
		xfer_free(x);
		return NULL;
	}
	x->apart = req->apart && lane_apart_ready(m, x);
	if (curl_multi_add_handle(lane_of(m, x), x->easy) != CURLM_OK) {
		client_unref(c, m);
		http_error_setf(err, HTTP_ERR_NOMEM, "libcurl refused the transfer");
		xfer_free(x);
		return NULL;
	}
	if (x->apart)
		m->napart++;
	m->due[x->apart ? LANE_APART : LANE_MAIN] = true;
	multi_link(m, x);
	return x;
}

void http_multi_remove(struct http_multi *m, struct http_xfer *x)
{
	if (m && x)
		xfer_drop(m, x);
}

size_t http_multi_pending(const struct http_multi *m)
{
	return m->n;
}

void http_multi_wakeup(struct http_multi *m)
{
	curl_multi_wakeup(m->cm);
}

void http_multi_set_budget(struct http_multi *m, size_t bytes)
{
	m->budget = bytes;
}

/* End the transfers whose client or flag was cancelled. A callback may add or
 * remove transfers, so the walk starts over after each one. */
static void reap_cancelled(struct http_multi *m)
{
	struct http_xfer *x = m->head;

	while (x) {
		if (xfer_cancelled(x)) {
			xfer_finish(m, x, CURLE_ABORTED_BY_CALLBACK);
			x = m->head;
			continue;
		}
		x = x->next;
	}
}

/* End the transfers past their timeout that libcurl has not ended. It
 * checks a transfer's timeout only once the transfer has a connection: one
 * that waits for another's connection to be made (CURLOPT_PIPEWAIT, while
 * a server takes the TCP connection and never answers the handshake) would
 * wait through one connect timeout after another. The grace lets libcurl
 * name its own timeouts. Returns the time to the next deadline in ms (-1:
 * none). */
static long reap_expired(struct http_multi *m)
{
	int64_t now = monotime_ns(), next = INT64_MAX;
	struct http_xfer *x = m->head;

	while (x) {
		if (x->deadline_ns && now >= x->deadline_ns) {
			if (!x->errbuf[0])
				snprintf(x->errbuf, sizeof x->errbuf,
				         "no answer within %ld ms (waiting for a connection)",
				         x->timeout_ms);
			xfer_finish(m, x, CURLE_OPERATION_TIMEDOUT);
			x = m->head;
			continue;
		}
		if (x->deadline_ns && x->deadline_ns < next)
			next = x->deadline_ns;
		x = x->next;
	}
	return next == INT64_MAX ? -1 : (long)((next - now) / 1000000) + 1;
}

static void nudge(struct http_xfer *x)
{
	curl_easy_pause(x->easy, CURLPAUSE_RECV);
	curl_easy_pause(x->easy, CURLPAUSE_CONT);
	x->m->due[x->apart ? LANE_APART : LANE_MAIN] = true;
}

/* Ends the transfers libcurl says are done. With T0 (the start of this
 * run; 0: none), also nudges the connection of each one that ended: one of
 * its client's other transfers added before T0 is paused
 * and resumed at once, which in libcurl 7.88 is what makes the next pass
 * read that connection (curl_easy_pause() sets its select bits: "the data
 * might've been read into the buffer already"). A stream that ended with
 * the bytes of a paused read can leave the connection's buffer holding
 * other streams' frames that no pass reads otherwise (see perform()):
 * --once at 16 x 10,000 lost a source to its deadline that way in about
 * one run of twenty. A nudge leaves the lane due (nudge()). */
static void take_done(struct http_multi *m, int64_t t0)
{
	struct http_client *ended[NUDGE_MAX];
	bool ended_apart[NUDGE_MAX];
	size_t nended = 0;
	int left = 0;
	CURLMsg *msg;

	for (int k = 0; k < LANE_COUNT; k++) {
		CURLM *lane = k == LANE_APART ? m->apart : m->cm;
		while (lane && (msg = curl_multi_info_read(lane, &left))) {
			struct http_xfer *x = NULL;
			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&x);
			if (!x)
				continue;
			bool seen = false;
			for (size_t i = 0; i < nended; i++)
				seen |= ended[i] == x->c && ended_apart[i] == x->apart;
			if (t0 && !seen && nended < NUDGE_MAX) {
				ended_apart[nended] = x->apart;
				ended[nended++] = x->c;
			}
			xfer_finish(m, x, msg->data.result);
		}
	}
	/* A lane's connections are its own: its transfers are nudged. */
	for (size_t i = 0; i < nended; i++) {
		for (struct http_xfer *y = m->head; y; y = y->next) {
			if (y->c != ended[i] || y->apart != ended_apart[i] || y->start_ns >= t0)
				continue;
			nudge(y);
			break;
		}
	}
}

/* Moves the transfers along until a pass hands nothing to any of them and
 * ends none. Over HTTP/2, libcurl 7.88 reads a connection on behalf of one
 * transfer and keeps what belongs to the others. When a stream's receive
 * buffer is full it pauses nghttp2, and the rest of what it read (other
 * streams' frames, or the end of the paused one) waits in the connection's
 * buffer with no timer set and the socket drained: lib/http2.c marks the
 * paused stream drained without Curl_expire(), and cf_h2_data_pending()
 * compares the buffer's fill and read offsets the wrong way round, so it
 * never reports it. A wait then sleeps on a socket that has nothing more,
 * until some unrelated timer: against the simulator a small answer came 3 s
 * late (the connect timeout) in one start of two, and a services list
 * stopped 1.5 KB short of its end until its timeout (test_http_sim). A pass
 * that moved something may have left such a remainder; one that moved
 * nothing has not. The transfers that ended are taken after each pass
 * (take_done(), T0 as there), and the pass after them is the one their
 * nudges wait for: an answer costs two passes, not three. A pass runs
 * the lanes that are due (the lane of a transfer that was handed data or
 * nudged is due again), and each lane it runs, every transfer of it, with
 * a poll() of its socket each in libcurl 7.88: an idle cluster thread's
 * CPU is mostly these, hence the lanes. Bounded, lest a stream that
 * trickles keep the thread here. */
static int perform(struct http_multi *m, int64_t t0)
{
	for (int pass = 0; pass < PERFORM_PASSES; pass++) {
		bool ran = false;
		for (int k = 0; k < LANE_COUNT; k++) {
			CURLM *lane = k == LANE_APART ? m->apart : m->cm;
			int running = 0;
			if (!m->due[k] || !lane)
				continue;
			m->due[k] = false;
			ran = true;
			if (curl_multi_perform(lane, &running) != CURLM_OK)
				return -1;
		}
		/* A pass that moved data or ended a transfer leaves its lane due
		 * (the callbacks, nudge()). */
		take_done(m, t0);
		if (!ran || !(m->due[LANE_MAIN] || m->due[LANE_APART]))
			break;
	}
	return 0;
}

/* Nudges (as take_done() does) each request that is not a long poll or a
 * stream and has waited OVERDUE_MS for its answer, at most once every
 * OVERDUE_MS: what take_done() cannot see, a request added after the
 * stream that ended (the next of a sequence), is read within that. Returns
 * how many were nudged; *NEXT_MS, when the next one falls due (-1: none).
 * Without ACT it only says when. */
static int nudge_overdue(struct http_multi *m, bool act, long *next_ms)
{
	int64_t now = monotime_ns(), due = INT64_MAX, late = (int64_t)OVERDUE_MS * 1000000;
	int n = 0;

	for (struct http_xfer *x = m->head; x; x = x->next) {
		if (x->waits)
			continue;
		int64_t at = (x->nudged_ns > x->start_ns ? x->nudged_ns : x->start_ns) + late;
		if (at <= now && act) {
			nudge(x);
			x->nudged_ns = now;
			n++;
			at = now + late;
		}
		if (at < due)
			due = at;
	}
	*next_ms = due == INT64_MAX ? -1 : (long)((due - now) / 1000000) + 1;
	return n;
}

/* The sockets of M's apart lane, with what it waits for on each, into
 * W[0..*N). -1 when there are more than APART_FDS_MAX. */
static int apart_fds(struct http_multi *m, struct curl_waitfd *w, unsigned *n)
{
	fd_set r, wr, e;
	int maxfd = -1;

	*n = 0;
	FD_ZERO(&r);
	FD_ZERO(&wr);
	FD_ZERO(&e);
	if (curl_multi_fdset(m->apart, &r, &wr, &e, &maxfd) != CURLM_OK)
		return -1;
	for (int fd = 0; fd <= maxfd; fd++) {
		short ev = (short)((FD_ISSET(fd, &r) ? CURL_WAIT_POLLIN : 0) |
		                   (FD_ISSET(fd, &wr) ? CURL_WAIT_POLLOUT : 0) |
		                   (FD_ISSET(fd, &e) ? CURL_WAIT_POLLPRI : 0));
		if (!ev)
			continue;
		if (*n == APART_FDS_MAX)
			return -1;
		w[(*n)++] = (struct curl_waitfd){.fd = fd, .events = ev, .revents = 0};
	}
	return 0;
}

/* Waits up to T ms for M's main lane (its sockets, its timer, a wakeup) and
 * its apart lane (its sockets, added to the wait, and its timer), and marks
 * due the lanes that have something. */
static int lanes_wait(struct http_multi *m, int t)
{
	struct curl_waitfd w[APART_FDS_MAX];
	unsigned nw = 0;
	long due = -1, due_apart = -1;
	int ready = 0;
	bool blind = false;

	if (m->napart) {
		if (curl_multi_timeout(m->apart, &due_apart) != CURLM_OK)
			return -1;
		blind = m->apart_blind || apart_fds(m, w, &nw) < 0;
		if (blind)
			nw = 0;
		if (due_apart >= 0 && due_apart < t)
			t = (int)due_apart;
		if (blind && t > APART_BLIND_MS)
			t = APART_BLIND_MS;
	}
	if (m->due[LANE_MAIN] || m->due[LANE_APART])
		t = 0;
	if (curl_multi_timeout(m->cm, &due) != CURLM_OK ||
	    curl_multi_poll(m->cm, w, nw, t, &ready) != CURLM_OK)
		return -1;
	/* READY counts the apart lane's sockets too. */
	for (unsigned i = 0; i < nw; i++)
		if (w[i].revents) {
			m->due[LANE_APART] = true;
			ready--;
		}
	if (ready > 0 || (due >= 0 && due <= t))
		m->due[LANE_MAIN] = true;
	if (m->napart && (blind || (due_apart >= 0 && due_apart <= t)))
		m->due[LANE_APART] = true;
	return 0;
}

int http_multi_run(struct http_multi *m, long timeout_ms)
{
	int64_t t0 = monotime_ns();

	heap_settle();

	if (!m->n) {
		/* Nothing to wait for but a wakeup. */
		if (curl_multi_poll(m->cm, NULL, 0, timeout_ms < 0 ? 1000 : (int)timeout_ms,
		                    NULL) != CURLM_OK)
			return -1;
		return 0;
	}
	/* Wait first, then move the transfers along: libcurl's poll ends at its
	 * own next deadline, which a transfer just added sets to now, and the
	 * answers a perform reads are taken from the info queue below before
	 * the next wait. A perform checks every transfer's socket; a wait that
	 * ended on the caller's timeout, before libcurl's deadline and with no
	 * socket ready, leaves it nothing to do, and it is skipped. */
	int t = timeout_ms < 0 || timeout_ms > 60000 ? 60000 : (int)timeout_ms;
	long expiry = reap_expired(m);
	if (!m->n)
		return 0;
	if (expiry >= 0 && expiry < t)
		t = (int)expiry;
	long overdue_in;
	nudge_overdue(m, false, &overdue_in);
	if (overdue_in >= 0 && overdue_in < t)
		t = (int)overdue_in;
	if (lanes_wait(m, t) < 0)
		return -1;
	if ((m->due[LANE_MAIN] || m->due[LANE_APART]) && perform(m, t0) < 0)
		return -1;
	long overdue;
	if (nudge_overdue(m, true, &overdue) > 0 && perform(m, 0) < 0)
		return -1;
	reap_cancelled(m);
	return (int)m->n;
}

/* ---------------------------------------------------------------- http_do */

struct do_result {
	bool done;
	int rc;
	struct http_response *resp;
	struct http_error *err;
};

static void do_done(void *ctx, int rc, struct http_response *resp, struct http_error *err)
{
	struct do_result *d = ctx;

	d->done = true;
	d->rc = rc;
	*d->resp = *resp; /* the caller takes everything */
	memset(resp, 0, sizeof *resp);
	*d->err = *err;
}

static struct http_multi *borrow_multi(struct http_client *c)
{
	struct http_multi *m = NULL;

	pthread_mutex_lock(&c->lock);
	if (c->nidle)
		m = c->idle[--c->nidle];
	pthread_mutex_unlock(&c->lock);
	return m ? m : http_multi_new();
}

static void return_multi(struct http_client *c, struct http_multi *m)
{
	pthread_mutex_lock(&c->lock);
	if (c->nidle < IDLE_MULTIS_MAX) {
		c->idle[c->nidle++] = m;
		m = NULL;
	}
	pthread_mutex_unlock(&c->lock);
	if (m)
		multi_destroy(m);
}

int http_do(struct http_client *c, const struct http_request *req, struct http_response *resp,
            struct http_error *err)
{
	struct http_error local;
	struct do_result d = {false, -1, resp, err ? err : &local};
	struct http_multi *m;

	http_response_clear(resp);
	http_error_clear(d.err);
	m = borrow_multi(c);
	if (!m) {
		copy_str(d.err->cluster, sizeof d.err->cluster, c->cluster);
		http_error_setf(d.err, HTTP_ERR_NOMEM, "out of memory");
		return -1;
	}
	if (!http_multi_add(m, c, req, do_done, &d, d.err)) {
		return_multi(c, m);
		return -1;
	}
	while (!d.done) {
		if (http_multi_run(m, DO_POLL_MS) < 0) {
			http_multi_free(m);
			http_error_setf(d.err, HTTP_ERR_TRANSPORT,
			                "libcurl's multi interface failed");
			return -1;
		}
	}
	return_multi(c, m);
	return d.rc;
}
