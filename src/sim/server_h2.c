/* peerscope-sim: HTTP/2 over TLS (RFC 9113), for a client whose ClientHello
 * offered h2 (server_front.c). GnuTLS for the connection, nghttp2 for the
 * framing. One thread owns the connection and its nghttp2 session; each
 * request runs in a worker thread of its own, because a handler may wait
 * (a blocking query, a watch) as long as the client lets it. A worker
 * hands its answer to the connection thread piece by piece through the
 * stream's buffer and an eventfd. The faults keep their meaning per
 * request: a reset or a cut body ends the stream with RST_STREAM
 * (INTERNAL_ERROR), the other streams of the connection carry on. */
#include "autoconfig.h"

#include <errno.h>
#include <nghttp2/nghttp2.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "server_internal.h"

/* Go's net/http default, which Consul's HTTPS listener and the Kubernetes
 * API server's keep unless told otherwise. */
#define H2_MAX_STREAMS 250
#define HANDSHAKE_MS   10000
#define MAX_ARGS       64
#define MAX_HEADERS    64
#define MAX_RHEADERS   20
#define WORKER_STACK   (512u << 10)
#define FLUSH_AT       (64u << 10) /* gathered frames written once this much */

struct h2_conn;

struct h2_stream {
	struct h2_conn *conn;
	int32_t id;
	struct h2_stream *next; /* every stream of the connection */

	/* The request, written by the connection thread until its last
	 * frame, then only read by the worker. */
	char *method, *target, *authority;
	struct sim_kv hdr[MAX_HEADERS];
	size_t nhdr;
	char *body;
	size_t len, cap;
	bool too_big;
	volatile bool gone; /* the client went away; under the world's lock */

	/* Shared by the worker and the connection thread: conn->lock. */
	bool worker;     /* a worker runs for the stream */
	bool closed;     /* the session closed the stream */
	bool queued;     /* on conn->queue */
	bool head_ready; /* rh[] holds the response's header */
	bool submitted;  /* the response (or the reset) went to the session */
	bool deferred;   /* the session waits for body bytes */
	bool ended;      /* the body is complete */
	bool abort;      /* end with RST_STREAM once out[] is sent */
	bool drop;       /* no answer: RST_STREAM at once */
	char *rh[MAX_RHEADERS][2];
	size_t nrh;
	char *out;
	size_t out_len, out_off, out_cap;
	struct h2_stream *qnext;
};

struct h2_conn {
	struct listener *l;
	struct sim_world *world;
	int fd, evfd, stop_fd;
	const char *raddr;
	gnutls_session_t tls;
	nghttp2_session *sess;
	pthread_mutex_t lock;
	pthread_cond_t quiet; /* workers reached 0 */
	int workers;
	bool dead; /* being torn down: callbacks do nothing */
	struct h2_stream *streams;
	struct h2_stream *queue;
	uint8_t *wbuf; /* frames to send (connection thread only) */
	size_t wlen, wcap;
};

/* ------------------------------------------------------------ helpers */

static char *dupn(const char *s, size_t n)
{
	char *d = malloc(n + 1);

	if (d) {
		memcpy(d, s, n);
		d[n] = '\0';
	}
	return d;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes %XX in S in place, and '+' as a space when PLUS: what
 * libmicrohttpd does to a path (no PLUS) and to query arguments. */
static void unescape(char *s, bool plus)
{
	char *w = s;

	for (const char *r = s; *r; r++) {
		int hi, lo;
		if (*r == '%' && (hi = hexval(r[1])) >= 0 && (lo = hexval(r[2])) >= 0) {
			*w++ = (char)(hi << 4 | lo);
			r += 2;
		} else {
			*w++ = plus && *r == '+' ? ' ' : *r;
		}
	}
	*w = '\0';
}

/* Splits the query Q (modified) into ARGS as libmicrohttpd does: '&'
 * between arguments, '=' before a value, each part decoded. */
static size_t split_query(char *q, struct sim_kv *args, size_t max)
{
	size_t n = 0;

	while (q && *q && n < max) {
		char *amp = strchr(q, '&');
		if (amp)
			*amp = '\0';
		if (*q) {
			char *eq = strchr(q, '=');
			if (eq)
				*eq = '\0';
			unescape(q, true);
			if (eq)
				unescape(eq + 1, true);
			args[n].key = q;
			args[n].value = eq ? eq + 1 : NULL;
			n++;
		}
		q = amp ? amp + 1 : NULL;
	}
	return n;
}

static void wake(struct h2_conn *c)
{
	uint64_t one = 1;

	if (write(c->evfd, &one, sizeof one) < 0 && errno != EAGAIN)
		perror("peerscope-sim: h2 wake");
}

/* Puts S on the connection thread's list; conn->lock held. */
static void enqueue(struct h2_stream *s)
{
	if (s->queued)
		return;
	s->queued = true;
	s->qnext = s->conn->queue;
	s->conn->queue = s;
}

/* Marks S's request as abandoned by the client, as the monitor does for
 * an HTTP/1.1 connection: under the world's lock, waking its handler. */
static void mark_gone(struct h2_conn *c, struct h2_stream *s)
{
	pthread_mutex_lock(&c->world->lock);
	s->gone = true;
	sim_changed(c->world);
	pthread_mutex_unlock(&c->world->lock);
}

static void stream_free(struct h2_stream *s)
{
	free(s->method);
	free(s->target);
	free(s->authority);
	for (size_t i = 0; i < s->nhdr; i++) {
		free(s->hdr[i].key);
		free(s->hdr[i].value);
	}
	for (size_t i = 0; i < s->nrh; i++) {
		free(s->rh[i][0]);
		free(s->rh[i][1]);
	}
	free(s->body);
	free(s->out);
	free(s);
}

/* ------------------------------------------------------------- worker */

/* Appends N bytes of P to S's body, and ends it when LAST (in the same
 * step, so that the last bytes carry END_STREAM: a client that has its
 * Content-Length resets a stream left open, and nghttp2 counts resets
 * against the rapid-reset limit); false once nobody will read them. */
static bool put(struct h2_stream *s, const char *p, size_t n, bool last)
{
	struct h2_conn *c = s->conn;
	bool ok;

	pthread_mutex_lock(&c->lock);
	ok = !s->closed && !c->dead;
	if (ok && (n || last)) {
		if (s->out_off > 0 && s->out_off == s->out_len)
			s->out_off = s->out_len = 0;
		if (s->out_len + n > s->out_cap) {
			size_t cap = (s->out_len + n) * 2;
			char *o = realloc(s->out, cap);
			if (!o) {
				ok = false;
				s->abort = true;
			} else {
				s->out = o;
				s->out_cap = cap;
			}
		}
		if (ok) {
			if (n)
				memcpy(s->out + s->out_len, p, n);
			s->out_len += n;
			s->ended = last;
		}
		enqueue(s);
	}
	pthread_mutex_unlock(&c->lock);
	if (n || last)
		wake(c);
	return ok;
}

/* Sends N bytes of P, in pieces of FP's drip size with its delay between
 * them when the plan drips; LAST ends the body with them. */
static bool send_body(struct h2_stream *s, const char *p, size_t n, const struct sim_fault_plan *fp,
                      bool *started, bool last)
{
	if (!fp->drip_bytes || !n)
		return put(s, p, n, last);
	for (size_t off = 0; off < n;) {
		size_t k = n - off < fp->drip_bytes ? n - off : fp->drip_bytes;
		if (*started)
			sim_server_sleep_ms(fp->drip_delay_ms);
		*started = true;
		if (!put(s, p + off, k, last && off + k == n))
			return false;
		off += k;
	}
	return true;
}

/* S's answer broken off: RST_STREAM once what was put is sent. The reset
 * waits until the connection has taken those bytes, and a moment more:
 * sent together, a client may drop the bytes with the stream, where over
 * HTTP/1.1 they come before the connection closes. */
static void cut_off(struct h2_stream *s)
{
	struct h2_conn *c = s->conn;

	for (int i = 0; i < 200; i++) {
		pthread_mutex_lock(&c->lock);
		bool taken = s->out_off >= s->out_len || s->closed || c->dead;
		pthread_mutex_unlock(&c->lock);
		if (taken)
			break;
		sim_server_sleep_ms(5);
	}
	sim_server_sleep_ms(50);
	pthread_mutex_lock(&c->lock);
	s->abort = true;
	enqueue(s);
	pthread_mutex_unlock(&c->lock);
	wake(c);
}

static void add_rh(struct h2_stream *s, const char *name, const char *value)
{
	if (s->nrh >= MAX_RHEADERS)
		return;
	char *n = strdup(name), *v = strdup(value);
	if (!n || !v) {
		free(n);
		free(v);
		return;
	}
	for (char *p = n; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	s->rh[s->nrh][0] = n;
	s->rh[s->nrh][1] = v;
	s->nrh++;
}

/* HTTP/2 forbids the connection-specific header fields (RFC 9113 8.2.2). */
static bool hop_by_hop(const char *name)
{
	static const char *const names[] = {"connection", "keep-alive", "proxy-connection",
	                                    "transfer-encoding", "upgrade"};

	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strcasecmp(name, names[i]) == 0)
			return true;
	return false;
}

/* The header of RESP for S: status, content type, length (LEN >= 0), the
 * date as libmicrohttpd sends it, and the handler's own fields. */
static void head(struct h2_stream *s, const struct sim_resp *resp, long long len)
{
	char num[32], date[64];
	time_t now = time(NULL);
	struct tm tm;

	snprintf(num, sizeof num, "%d", resp->status);
	add_rh(s, ":status", num);
	add_rh(s, "content-type", resp->content_type[0] ? resp->content_type : "application/json");
	if (len >= 0) {
		snprintf(num, sizeof num, "%lld", len);
		add_rh(s, "content-length", num);
	}
	if (gmtime_r(&now, &tm) && strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm))
		add_rh(s, "date", date);
	for (size_t i = 0; i < resp->nheaders; i++)
		if (!hop_by_hop(resp->headers[i].key))
			add_rh(s, resp->headers[i].key, resp->headers[i].value);
	pthread_mutex_lock(&s->conn->lock);
	s->head_ready = true;
	enqueue(s);
	pthread_mutex_unlock(&s->conn->lock);
	wake(s->conn);
}

/* A streamed body (a watch), with the faults that apply to its first
 * event: malformed garbles it, truncate cuts it in half and the stream. */
static void stream_body(struct h2_stream *s, struct sim_resp *resp, const struct sim_fault_plan *fp)
{
	bool garble = fp->malformed, truncate = fp->truncate, cut = false, started = false;

	for (;;) {
		char *chunk = NULL;
		size_t n = 0;
		bool more = resp->stream.next(resp->stream.ctx, &chunk, &n);
		if (!chunk)
			n = 0;
		if (n && garble) {
			garble = false;
			sim_server_garble(&chunk, &n, true);
		}
		if (n && truncate) {
			truncate = false;
			n /= 2;
			cut = true;
		}
		bool ok = send_body(s, chunk, n, fp, &started, !more && !cut);
		free(chunk);
		if (ok && cut)
			cut_off(s);
		if (!ok || cut || !more)
			return;
	}
}

static void *worker_main(void *arg)
{
	struct h2_stream *s = arg;
	struct h2_conn *c = s->conn;
	struct sim_kv args[MAX_ARGS];
	struct sim_fault_plan fp;
	struct sim_resp resp = {0};
	char *path = strdup(s->target ? s->target : "/");
	size_t nargs = 0;

	if (path) {
		char *q = strchr(path, '?');
		if (q)
			*q++ = '\0';
		unescape(path, false);
		nargs = split_query(q, args, MAX_ARGS);
	}
	struct sim_req req = {
	        .method = s->method ? s->method : "GET",
	        .path = path ? path : "/",
	        .args = args,
	        .nargs = nargs,
	        .headers = s->hdr,
	        .nheaders = s->nhdr,
	        .body = s->body ? s->body : "",
	        .body_len = s->len,
	        .remote_addr = c->raddr,
	        .client_gone = &s->gone,
	};
	if (!path || sim_server_dispatch(c->l, &req, s->too_big, &fp, &resp) < 0) {
		pthread_mutex_lock(&c->lock);
		s->drop = true;
		enqueue(s);
		pthread_mutex_unlock(&c->lock);
		wake(c);
	} else if (resp.stream.next) {
		head(s, &resp, -1);
		stream_body(s, &resp, &fp);
	} else {
		bool started = false;
		size_t limit = fp.truncate ? resp.body_len / 2 : resp.body_len;
		head(s, &resp, (long long)resp.body_len);
		if (send_body(s, resp.body, limit, &fp, &started, !fp.truncate) && fp.truncate)
			cut_off(s);
	}
	sim_resp_free(&resp);
	free(path);
	pthread_mutex_lock(&c->lock);
	s->worker = false; /* S may be freed from here on */
	enqueue(s);        /* to be reaped if the session is done with it */
	pthread_mutex_unlock(&c->lock);
	wake(c);
	/* Last: once the count is 0 the connection may go, eventfd and all. */
	pthread_mutex_lock(&c->lock);
	if (--c->workers == 0)
		pthread_cond_broadcast(&c->quiet);
	pthread_mutex_unlock(&c->lock);
	return NULL;
}

static void start_worker(struct h2_conn *c, struct h2_stream *s)
{
	pthread_attr_t at;
	pthread_t t;

	pthread_mutex_lock(&c->lock);
	s->worker = true;
	c->workers++;
	pthread_mutex_unlock(&c->lock);
	pthread_attr_init(&at);
	pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&at, WORKER_STACK);
	if (pthread_create(&t, &at, worker_main, s) != 0) {
		pthread_mutex_lock(&c->lock);
		s->worker = false;
		s->drop = true;
		enqueue(s);
		c->workers--;
		pthread_mutex_unlock(&c->lock);
	}
	pthread_attr_destroy(&at);
}

/* ------------------------------------------------------- nghttp2 side */

/* Frames are gathered and written together (flush): one TLS record and one
 * segment for a header and its body, not one each, which Nagle's
 * algorithm and a delayed ACK would hold 40 ms. */
static bool gather(struct h2_conn *c, const uint8_t *data, size_t len)
{
	if (c->wlen + len > c->wcap) {
		size_t cap = (c->wlen + len) * 2;
		uint8_t *w = realloc(c->wbuf, cap);
		if (!w)
			return false;
		c->wbuf = w;
		c->wcap = cap;
	}
	memcpy(c->wbuf + c->wlen, data, len);
	c->wlen += len;
	return true;
}

static bool flush(struct h2_conn *c)
{
	size_t off = 0;

	while (off < c->wlen) {
		ssize_t n = gnutls_record_send(c->tls, c->wbuf + off, c->wlen - off);
		if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED)
			continue;
		if (n < 0)
			return false;
		off += (size_t)n;
	}
	c->wlen = 0;
	return true;
}

static void run_queue(struct h2_conn *c);

/* Sends what the session has, a frame at a time, taking up what the
 * workers queued between frames: nghttp2 takes turns among the streams
 * with a body to send, so a small answer ready meanwhile goes out after a
 * frame or two of a large one, not after all of it, as a Go server's
 * write scheduler does. */
static bool send_all(struct h2_conn *c)
{
	for (;;) {
		const uint8_t *data;
		run_queue(c);
		ssize_t n = nghttp2_session_mem_send(c->sess, &data);
		if (n < 0 || (n > 0 && !gather(c, data, (size_t)n)))
			return false;
		if (n == 0 || c->wlen >= FLUSH_AT) {
			if (!flush(c))
				return false;
			if (n == 0)
				return true;
		}
	}
}

static int on_begin_headers(nghttp2_session *sess, const nghttp2_frame *frame, void *ud)
{
	struct h2_conn *c = ud;

	if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST)
		return 0;
	struct h2_stream *s = calloc(1, sizeof *s);
	if (!s)
		return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
	s->conn = c;
	s->id = frame->hd.stream_id;
	s->next = c->streams;
	c->streams = s;
	nghttp2_session_set_stream_user_data(sess, s->id, s);
	return 0;
}

static int on_header(nghttp2_session *sess, const nghttp2_frame *frame, const uint8_t *name,
                     size_t namelen, const uint8_t *value, size_t valuelen, uint8_t flags, void *ud)
{
	struct h2_stream *s = nghttp2_session_get_stream_user_data(sess, frame->hd.stream_id);
	const char *n = (const char *)name, *v = (const char *)value;
	char **slot = NULL;

	(void)flags;
	(void)ud;
	if (!s || frame->hd.type != NGHTTP2_HEADERS)
		return 0;
	if (namelen == 7 && memcmp(n, ":method", 7) == 0)
		slot = &s->method;
	else if (namelen == 5 && memcmp(n, ":path", 5) == 0)
		slot = &s->target;
	else if (namelen == 10 && memcmp(n, ":authority", 10) == 0)
		slot = &s->authority;
	if (slot) {
		free(*slot);
		*slot = dupn(v, valuelen);
		return 0;
	}
	if (n[0] == ':' || s->nhdr >= MAX_HEADERS - 1)
		return 0;
	s->hdr[s->nhdr].key = dupn(n, namelen);
	s->hdr[s->nhdr].value = dupn(v, valuelen);
	if (!s->hdr[s->nhdr].key || !s->hdr[s->nhdr].value) {
		free(s->hdr[s->nhdr].key);
		free(s->hdr[s->nhdr].value);
		return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
	}
	s->nhdr++;
	return 0;
}

static int on_data(nghttp2_session *sess, uint8_t flags, int32_t id, const uint8_t *data,
                   size_t len, void *ud)
{
	struct h2_stream *s = nghttp2_session_get_stream_user_data(sess, id);

	(void)flags;
	(void)ud;
	if (!s || s->too_big)
		return 0;
	if (s->len + len > SIM_MAX_BODY) {
		s->too_big = true;
		return 0;
	}
	if (s->len + len + 1 > s->cap) {
		size_t cap = (s->len + len + 1) * 2;
		char *b = realloc(s->body, cap);
		if (!b)
			return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
		s->body = b;
		s->cap = cap;
	}
	memcpy(s->body + s->len, data, len);
	s->len += len;
	s->body[s->len] = '\0';
	return 0;
}

static int on_frame(nghttp2_session *sess, const nghttp2_frame *frame, void *ud)
{
	struct h2_conn *c = ud;

	if ((frame->hd.type != NGHTTP2_HEADERS && frame->hd.type != NGHTTP2_DATA) ||
	    !(frame->hd.flags & NGHTTP2_FLAG_END_STREAM))
		return 0;
	struct h2_stream *s = nghttp2_session_get_stream_user_data(sess, frame->hd.stream_id);
	if (!s)
		return 0;
	/* The host, as libmicrohttpd would have it from an HTTP/1.1 request. */
	if (s->authority && s->nhdr < MAX_HEADERS) {
		s->hdr[s->nhdr].key = strdup("host");
		s->hdr[s->nhdr].value = strdup(s->authority);
		if (s->hdr[s->nhdr].key && s->hdr[s->nhdr].value) {
			s->nhdr++;
		} else {
			free(s->hdr[s->nhdr].key);
			free(s->hdr[s->nhdr].value);
		}
	}
	start_worker(c, s);
	return 0;
}

static int on_close(nghttp2_session *sess, int32_t id, uint32_t error_code, void *ud)
{
	struct h2_conn *c = ud;
	struct h2_stream *s = nghttp2_session_get_stream_user_data(sess, id);

	(void)error_code;
	if (!s || c->dead)
		return 0;
	pthread_mutex_lock(&c->lock);
	s->closed = true;
	bool waiting = s->worker;
	enqueue(s); /* to be reaped */
	pthread_mutex_unlock(&c->lock);
	if (waiting)
		mark_gone(c, s);
	return 0;
}

static ssize_t on_read(nghttp2_session *sess, int32_t id, uint8_t *buf, size_t len, uint32_t *flags,
                       nghttp2_data_source *src, void *ud)
{
	struct h2_stream *s = src->ptr;
	struct h2_conn *c = ud;
	ssize_t rc;

	(void)sess;
	(void)id;
	pthread_mutex_lock(&c->lock);
	size_t avail = s->out_len - s->out_off;
	if (avail) {
		size_t n = avail < len ? avail : len;
		memcpy(buf, s->out + s->out_off, n);
		s->out_off += n;
		if (n == avail && s->ended)
			*flags |= NGHTTP2_DATA_FLAG_EOF;
		rc = (ssize_t)n;
	} else if (s->ended) {
		*flags |= NGHTTP2_DATA_FLAG_EOF;
		rc = 0;
	} else if (s->abort) {
		rc = NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
	} else {
		s->deferred = true;
		rc = NGHTTP2_ERR_DEFERRED;
	}
	pthread_mutex_unlock(&c->lock);
	return rc;
}

/* Gives the session what the workers queued: headers, resumed bodies,
 * resets. Then frees the streams nobody needs any more. */
static void run_queue(struct h2_conn *c)
{
	pthread_mutex_lock(&c->lock);
	struct h2_stream *q = c->queue;
	c->queue = NULL;
	for (struct h2_stream *s = q, *next; s; s = next) {
		next = s->qnext;
		s->qnext = NULL;
		s->queued = false;
		if (s->closed)
			continue;
		if (s->drop && !s->submitted) {
			s->submitted = true;
			nghttp2_submit_rst_stream(c->sess, NGHTTP2_FLAG_NONE, s->id,
			                          NGHTTP2_INTERNAL_ERROR);
		} else if (s->head_ready && !s->submitted) {
			nghttp2_nv nva[MAX_RHEADERS];
			for (size_t i = 0; i < s->nrh; i++)
				nva[i] = (nghttp2_nv){(uint8_t *)s->rh[i][0],
				                      (uint8_t *)s->rh[i][1], strlen(s->rh[i][0]),
				                      strlen(s->rh[i][1]), NGHTTP2_NV_FLAG_NONE};
			nghttp2_data_provider prd = {.source.ptr = s, .read_callback = on_read};
			s->submitted = true;
			if (nghttp2_submit_response(c->sess, s->id, nva, s->nrh, &prd) != 0)
				nghttp2_submit_rst_stream(c->sess, NGHTTP2_FLAG_NONE, s->id,
				                          NGHTTP2_INTERNAL_ERROR);
		} else if (s->submitted && s->deferred &&
		           (s->out_len > s->out_off || s->ended || s->abort)) {
			s->deferred = false;
			nghttp2_session_resume_data(c->sess, s->id);
		}
	}
	/* Reap: closed by the session and no worker left. */
	for (struct h2_stream **p = &c->streams; *p;) {
		struct h2_stream *s = *p;
		if (s->closed && !s->worker && !s->queued) {
			*p = s->next;
			stream_free(s);
		} else {
			p = &s->next;
		}
	}
	pthread_mutex_unlock(&c->lock);
}

static nghttp2_session *session_new(struct h2_conn *c)
{
	nghttp2_session_callbacks *cb;
	nghttp2_session *sess = NULL;

	if (nghttp2_session_callbacks_new(&cb) != 0)
		return NULL;
	nghttp2_session_callbacks_set_on_begin_headers_callback(cb, on_begin_headers);
	nghttp2_session_callbacks_set_on_header_callback(cb, on_header);
	nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, on_data);
	nghttp2_session_callbacks_set_on_frame_recv_callback(cb, on_frame);
	nghttp2_session_callbacks_set_on_stream_close_callback(cb, on_close);
	/* nghttp2 sends GOAWAY once a client has reset more than 1,000
	 * streams at 33 a second (its rapid-reset guard); Go's servers bound
	 * the handlers running instead, and a dashboard that cancels its long
	 * polls for hours must not be cut off: no limit here. */
	nghttp2_option *opt = NULL;
	if (nghttp2_option_new(&opt) != 0) {
		nghttp2_session_callbacks_del(cb);
		return NULL;
	}
#if HAVE_DECL_NGHTTP2_OPTION_SET_STREAM_RESET_RATE_LIMIT
	nghttp2_option_set_stream_reset_rate_limit(opt, UINT64_MAX / 2, UINT64_MAX / 2);
#endif
	int rc = nghttp2_session_server_new2(&sess, cb, c, opt);
	nghttp2_option_del(opt);
	nghttp2_session_callbacks_del(cb);
	if (rc != 0)
		return NULL;
	nghttp2_settings_entry iv[] = {{NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, H2_MAX_STREAMS}};
	if (nghttp2_submit_settings(sess, NGHTTP2_FLAG_NONE, iv, 1) != 0) {
		nghttp2_session_del(sess);
		return NULL;
	}
	return sess;
}

/* The TLS handshake, which must choose h2. */
static bool handshake(struct h2_conn *c)
{
	gnutls_certificate_credentials_t creds = c->l->srv->creds;
	gnutls_datum_t h2 = {(unsigned char *)"h2", 2}, sel = {NULL, 0};
	int rc;

	if (!creds || gnutls_init(&c->tls, GNUTLS_SERVER | GNUTLS_NO_SIGNAL) < 0)
		return false;
	if (gnutls_credentials_set(c->tls, GNUTLS_CRD_CERTIFICATE, creds) < 0 ||
	    gnutls_set_default_priority(c->tls) < 0 ||
	    gnutls_alpn_set_protocols(c->tls, &h2, 1, GNUTLS_ALPN_MANDATORY) < 0)
		return false;
	gnutls_transport_set_int(c->tls, c->fd);
	gnutls_handshake_set_timeout(c->tls, HANDSHAKE_MS);
	do
		rc = gnutls_handshake(c->tls);
	while (rc < 0 && !gnutls_error_is_fatal(rc));
	return rc == 0 && gnutls_alpn_get_selected_protocol(c->tls, &sel) == 0 && sel.size == 2 &&
	       memcmp(sel.data, "h2", 2) == 0;
}

static void serve(struct h2_conn *c)
{
	uint8_t buf[16384];

	for (;;) {
		if (!send_all(c))
			return;
		if (!nghttp2_session_want_read(c->sess) && !nghttp2_session_want_write(c->sess))
			return;
		if (gnutls_record_check_pending(c->tls) == 0) {
			struct pollfd p[3] = {{.fd = c->fd, .events = POLLIN},
			                      {.fd = c->evfd, .events = POLLIN},
			                      {.fd = c->stop_fd, .events = POLLIN}};
			if (poll(p, 3, -1) < 0) {
				if (errno == EINTR)
					continue;
				return;
			}
			if (p[2].revents)
				return;
			if (p[1].revents) {
				uint64_t v;
				if (read(c->evfd, &v, sizeof v) < 0 && errno != EAGAIN)
					return;
			}
			if (!p[0].revents)
				continue;
		}
		ssize_t n = gnutls_record_recv(c->tls, buf, sizeof buf);
		if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED)
			continue;
		if (n <= 0 || nghttp2_session_mem_recv(c->sess, buf, (size_t)n) < 0)
			return;
	}
}

/* Ends every stream: their clients are gone, their workers must finish
 * before the session goes. */
static void teardown(struct h2_conn *c)
{
	pthread_mutex_lock(&c->lock);
	c->dead = true;
	for (struct h2_stream *s = c->streams; s; s = s->next)
		s->closed = true;
	pthread_mutex_unlock(&c->lock);
	/* Only this thread adds or frees streams: the list holds still. */
	for (struct h2_stream *s = c->streams; s; s = s->next)
		mark_gone(c, s);
	pthread_mutex_lock(&c->lock);
	while (c->workers > 0)
		pthread_cond_wait(&c->quiet, &c->lock);
	pthread_mutex_unlock(&c->lock);
	if (c->sess)
		nghttp2_session_del(c->sess);
	for (struct h2_stream *s = c->streams, *next; s; s = next) {
		next = s->next;
		stream_free(s);
	}
	c->streams = NULL;
}

void sim_h2_serve(struct listener *l, int fd, const char *raddr, int stop_fd)
{
	struct h2_conn c = {
	        .l = l,
	        .world = l->srv->world,
	        .fd = fd,
	        .evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC),
	        .stop_fd = stop_fd,
	        .raddr = raddr,
	};

	if (c.evfd < 0)
		return;
	pthread_mutex_init(&c.lock, NULL);
	pthread_cond_init(&c.quiet, NULL);
	if (handshake(&c) && (c.sess = session_new(&c)))
		serve(&c);
	teardown(&c);
	if (c.tls)
		gnutls_deinit(c.tls);
	pthread_cond_destroy(&c.quiet);
	pthread_mutex_destroy(&c.lock);
	close(c.evfd);
	free(c.wbuf);
}
