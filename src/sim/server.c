/* peerscope-sim: the HTTP layer. libmicrohttpd, one thread per connection,
 * GnuTLS (always on the Kubernetes listeners, as on a real API server; on
 * Consul's with --tls). Each request becomes a struct sim_req; the fault
 * injector runs first, then the handler the listener was given; the struct
 * sim_resp it fills is sent back as a buffer, a streamed body, or a
 * deliberately broken one (faults). A TLS cluster listener accepts through
 * server_front.c, which gives a client that asks for HTTP/2 to
 * server_h2.c and the rest to libmicrohttpd. */
#include "autoconfig.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core.h"
#include "server_internal.h"

#define MAX_ARGS      64
#define MAX_HEADERS   64
#define STACK_SIZE    (512u << 10)
#define IDLE_TIMEOUT  900 /* seconds; blocking queries wait up to 10m + jitter */
#define MONITOR_EVERY 1000

/* A request that may wait (blocking query, watch): its socket is checked
 * by the monitor thread so the wait can end when the client hangs up. */
struct waiter {
	int fd;
	bool hung_up; /* seen by the monitor; guarded by wlock */
	volatile bool *gone;
	struct waiter *next;
};

struct rctx {
	char *body;
	size_t len, cap;
	bool too_big;
	volatile bool gone;
	struct waiter w;
	bool waiting;
};

/* -------------------------------------------------------------- monitor */

static void waiter_add(struct sim_server *s, struct rctx *r, int fd)
{
	r->w.fd = fd;
	r->w.hung_up = false;
	r->w.gone = &r->gone;
	pthread_mutex_lock(&s->wlock);
	r->w.next = s->waiters;
	if (!s->waiters)
		pthread_cond_signal(&s->wcond);
	s->waiters = &r->w;
	r->waiting = true;
	pthread_mutex_unlock(&s->wlock);
}

static void waiter_remove(struct sim_server *s, struct rctx *r)
{
	if (!r->waiting)
		return;
	pthread_mutex_lock(&s->wlock);
	for (struct waiter **p = &s->waiters; *p; p = &(*p)->next) {
		if (*p == &r->w) {
			*p = r->w.next;
			break;
		}
	}
	r->waiting = false;
	pthread_mutex_unlock(&s->wlock);
}

/* Once a second, looks for waiting clients that hung up and wakes the world
 * so their handlers notice. One thread for all connections. */
static void *monitor_main(void *arg)
{
	struct sim_server *s = arg;

	pthread_mutex_lock(&s->wlock);
	while (!s->monitor_stop) {
		struct timespec ts;
		/* Nobody waiting: sleep until someone does (no idle wake-ups). */
		if (!s->waiters) {
			pthread_cond_wait(&s->wcond, &s->wlock);
			continue;
		}
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_sec += MONITOR_EVERY / 1000;
		pthread_cond_timedwait(&s->wcond, &s->wlock, &ts);
		bool any = false;
		for (struct waiter *w = s->waiters; w; w = w->next) {
			struct pollfd p = {.fd = w->fd, .events = POLLRDHUP};
			if (!w->hung_up && poll(&p, 1, 0) > 0 &&
			    (p.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL))) {
				w->hung_up = true;
				any = true;
			}
		}
		if (!any)
			continue;
		/* Handlers read the flag under the world lock; set it there. */
		pthread_mutex_lock(&s->world->lock);
		for (struct waiter *w = s->waiters; w; w = w->next)
			if (w->hung_up)
				*w->gone = true;
		sim_changed(s->world);
		pthread_mutex_unlock(&s->world->lock);
	}
	pthread_mutex_unlock(&s->wlock);
	return NULL;
}

/* ------------------------------------------------------ body producers */

struct body_ctx {
	struct sim_resp resp;
	size_t off;
	size_t limit;       /* truncate: stop with an error here */
	size_t drip;        /* > 0: bytes per chunk */
	int64_t drip_delay; /* ms between chunks */
	char *chunk;        /* streaming: current chunk */
	size_t chunk_len, chunk_off;
	bool ended;
	bool truncate; /* streaming, truncate: cut the next chunk in half */
	bool cut;      /* streaming: end with an error after this chunk */
	bool garble;   /* streaming, malformed: garble the next chunk */
};

static ssize_t body_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct body_ctx *b = cls;

	if (b->off >= b->limit)
		return b->limit < b->resp.body_len ? MHD_CONTENT_READER_END_WITH_ERROR
		                                   : MHD_CONTENT_READER_END_OF_STREAM;
	size_t n = b->limit - b->off;
	if (n > max)
		n = max;
	if (b->drip) {
		if (b->off > 0)
			sim_server_sleep_ms(b->drip_delay);
		if (n > b->drip)
			n = b->drip;
	}
	memcpy(buf, b->resp.body + b->off, n);
	b->off += n;
	return (ssize_t)n;
}

/* The faults of a streamed body (a watch), applied to its first event:
 * truncate cuts it in half and breaks the stream, malformed garbles it;
 * slow drip sends every event in small pieces. */
static void stream_fault(struct body_ctx *b)
{
	if (!b->chunk_len)
		return;
	if (b->garble) {
		b->garble = false;
		sim_server_garble(&b->chunk, &b->chunk_len, true);
	}
	if (b->truncate) {
		b->truncate = false;
		b->chunk_len /= 2;
		b->cut = true;
	}
}

static ssize_t stream_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct body_ctx *b = cls;

	/* Thread per connection: this call may block until there is data;
	 * returning 0 would make the connection thread spin. */
	while (b->chunk_off >= b->chunk_len) {
		free(b->chunk);
		b->chunk = NULL;
		b->chunk_len = b->chunk_off = 0;
		if (b->cut)
			return MHD_CONTENT_READER_END_WITH_ERROR;
		if (b->ended)
			return MHD_CONTENT_READER_END_OF_STREAM;
		if (!b->resp.stream.next(b->resp.stream.ctx, &b->chunk, &b->chunk_len))
			b->ended = true;
		if (!b->chunk)
			b->chunk_len = 0;
		stream_fault(b);
	}
	size_t n = b->chunk_len - b->chunk_off;
	if (n > max)
		n = max;
	if (b->drip) {
		if (b->chunk_off > 0)
			sim_server_sleep_ms(b->drip_delay);
		if (n > b->drip)
			n = b->drip;
	}
	memcpy(buf, b->chunk + b->chunk_off, n);
	b->chunk_off += n;
	return (ssize_t)n;
}

static void body_free(void *cls)
{
	struct body_ctx *b = cls;

	free(b->chunk);
	sim_resp_free(&b->resp);
	free(b);
}

/* ------------------------------------------------------------- dispatch */

struct kv_collect {
	struct sim_kv *kv;
	size_t n, cap;
};

static enum MHD_Result collect_kv(void *cls, enum MHD_ValueKind kind, const char *key,
                                  const char *value)
{
	struct kv_collect *k = cls;

	if (k->n < k->cap) {
		k->kv[k->n].key = (char *)key;
		k->kv[k->n].value = (char *)value;
		k->n++;
	}
	return MHD_YES;
}

static void remote_addr(struct MHD_Connection *conn, char *buf, size_t len)
{
	const union MHD_ConnectionInfo *ci =
	        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	char host[INET6_ADDRSTRLEN] = "?", port[8] = "0";

	if (ci && ci->client_addr) {
		socklen_t sl = ci->client_addr->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
		                                                      : sizeof(struct sockaddr_in);
		if (getnameinfo(ci->client_addr, sl, host, sizeof host, port, sizeof port,
		                NI_NUMERICHOST | NI_NUMERICSERV) != 0)
			snprintf(host, sizeof host, "?");
	}
	snprintf(buf, len, "%s:%s", host, port);
}

static struct MHD_Response *make_response(struct body_ctx *b, const struct sim_fault_plan *fp)
{
	struct sim_resp *resp = &b->resp;

	if (fp->drip_bytes) {
		b->drip = fp->drip_bytes;
		b->drip_delay = fp->drip_delay_ms;
	}
	if (resp->stream.next) {
		b->truncate = fp->truncate;
		b->garble = fp->malformed;
		return MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16384, stream_reader, b,
		                                         body_free);
	}
	b->limit = resp->body_len;
	if (fp->truncate)
		b->limit = resp->body_len / 2;
	return MHD_create_response_from_callback(resp->body_len, 16384, body_reader, b, body_free);
}

static enum MHD_Result respond(struct MHD_Connection *conn, struct listener *l, struct rctx *r,
                               const char *url, const char *method)
{
	struct sim_kv args[MAX_ARGS], headers[MAX_HEADERS];
	struct kv_collect ka = {args, 0, MAX_ARGS}, kh = {headers, 0, MAX_HEADERS};
	struct sim_fault_plan fp;
	char raddr[80];
	struct body_ctx *b = calloc(1, sizeof *b);

	if (!b)
		return MHD_NO;
	MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, collect_kv, &ka);
	MHD_get_connection_values(conn, MHD_HEADER_KIND, collect_kv, &kh);
	remote_addr(conn, raddr, sizeof raddr);
	struct sim_req req = {
	        .method = method,
	        .path = url,
	        .args = args,
	        .nargs = ka.n,
	        .headers = headers,
	        .nheaders = kh.n,
	        .body = r->body ? r->body : "",
	        .body_len = r->len,
	        .remote_addr = raddr,
	        .client_gone = &r->gone,
	};
	bool may_wait = sim_req_arg(&req, "index", NULL) || sim_req_arg(&req, "watch", NULL) ||
	                strstr(url, "/watch/");
	if (may_wait) {
		const union MHD_ConnectionInfo *ci =
		        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
		if (ci)
			waiter_add(l->srv, r, ci->connect_fd);
	}
	if (sim_server_dispatch(l, &req, r->too_big, &fp, &b->resp) < 0) {
		body_free(b);
		return MHD_NO;
	}
	struct MHD_Response *mr = make_response(b, &fp);
	if (!mr) {
		body_free(b);
		return MHD_NO;
	}
	const char *ct = b->resp.content_type[0] ? b->resp.content_type : "application/json";
	MHD_add_response_header(mr, MHD_HTTP_HEADER_CONTENT_TYPE, ct);
	for (size_t i = 0; i < b->resp.nheaders; i++)
		MHD_add_response_header(mr, b->resp.headers[i].key, b->resp.headers[i].value);
	enum MHD_Result rc = MHD_queue_response(conn, (unsigned)b->resp.status, mr);
	MHD_destroy_response(mr);
	return rc;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls)
{
	struct listener *l = cls;
	struct rctx *r = *con_cls;

	if (!r) {
		r = calloc(1, sizeof *r);
		if (!r)
			return MHD_NO;
		*con_cls = r;
		return MHD_YES;
	}
	if (*upload_size) {
		size_t n = *upload_size;
		*upload_size = 0;
		if (r->too_big || r->len + n > SIM_MAX_BODY) {
			r->too_big = true;
			return MHD_YES;
		}
		if (r->len + n + 1 > r->cap) {
			size_t cap = (r->len + n + 1) * 2;
			char *nb = realloc(r->body, cap);
			if (!nb)
				return MHD_NO;
			r->body = nb;
			r->cap = cap;
		}
		memcpy(r->body + r->len, upload, n);
		r->len += n;
		r->body[r->len] = '\0';
		return MHD_YES;
	}
	return respond(conn, l, r, url, method);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
	struct listener *l = cls;
	struct rctx *r = *con_cls;

	if (!r)
		return;
	waiter_remove(l->srv, r);
	free(r->body);
	free(r);
	*con_cls = NULL;
}

/* ------------------------------------------------------------ listeners */

/* The world's --listen address and PORT as a socket address in SS (its
 * length in *SL); -1 with a message if the address is neither IPv4 nor
 * IPv6. */
static int listen_addr(const struct sim_world *w, uint16_t port, struct sockaddr_storage *ss,
                       socklen_t *sl, char *err, size_t errlen)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof *ss);
	if (inet_pton(AF_INET, w->opt.listen, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		*sl = sizeof *sin;
	} else if (inet_pton(AF_INET6, w->opt.listen, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		*sl = sizeof *sin6;
	} else {
		snprintf(err, errlen, "--listen %s: not an IPv4 or IPv6 address", w->opt.listen);
		return -1;
	}
	return 0;
}

/* A socket listening on SS, set up as libmicrohttpd sets up its own
 * (address reuse, IPv6 only for an IPv6 address); -1 with a message. */
static int listen_socket(const struct sim_world *w, const struct sockaddr_storage *ss, socklen_t sl,
                         uint16_t port, char *err, size_t errlen)
{
	int one = 1;
	int fd = socket(ss->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
	    (ss->ss_family == AF_INET6 &&
	     setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) < 0) ||
	    bind(fd, (const struct sockaddr *)ss, sl) < 0 || listen(fd, SOMAXCONN) < 0) {
		snprintf(err, errlen, "cannot listen on %s port %u: %s", w->opt.listen,
		         (unsigned)port, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static uint16_t bound_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;

	if (getsockname(fd, (struct sockaddr *)&ss, &sl) < 0)
		return 0;
	return ss.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&ss)->sin6_port)
	                                : ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

/* Starts L. A TLS cluster listener gets its own listening socket (HELD,
 * or a new one) and a front that hands HTTP/1.1 connections to the
 * daemon (which then listens on nothing); the others are the daemon's. */
static int start_listener(struct listener *l, bool tls, MHD_socket held, char *err, size_t errlen)
{
	struct sim_world *w = l->srv->world;
	struct sockaddr_storage ss;
	socklen_t sl;
	unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL_INTERNAL_THREAD | MHD_USE_ITC;
	bool front = tls && l->c;
	int lfd = -1;

	if (listen_addr(w, l->port, &ss, &sl, err, errlen) < 0)
		return -1;
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	if (tls)
		flags |= MHD_USE_TLS;
	const struct sim_tls *t = l->srv->tls;
	struct MHD_OptionItem where[2] = {
	        {MHD_OPTION_SOCK_ADDR, 0, &ss},
	        {MHD_OPTION_END, 0, NULL},
	};
	if (front) {
		lfd = held != MHD_INVALID_SOCKET ? held
		                                 : listen_socket(w, &ss, sl, l->port, err, errlen);
		if (lfd < 0)
			return -1;
		flags |= MHD_USE_NO_LISTEN_SOCKET;
		where[0] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
	} else if (held != MHD_INVALID_SOCKET) {
		where[0] = (struct MHD_OptionItem){MHD_OPTION_LISTEN_SOCKET, held, NULL};
	}
	l->d = MHD_start_daemon(
	        flags, l->port, NULL, NULL, on_request, l, MHD_OPTION_ARRAY, where,
	        MHD_OPTION_NOTIFY_COMPLETED, on_completed, l, MHD_OPTION_THREAD_STACK_SIZE,
	        (size_t)STACK_SIZE, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)IDLE_TIMEOUT,
	        MHD_OPTION_CONNECTION_LIMIT, 4096u, tls ? MHD_OPTION_HTTPS_MEM_KEY : MHD_OPTION_END,
	        tls ? t->key_pem : NULL, MHD_OPTION_HTTPS_MEM_CERT, tls ? t->cert_pem : NULL,
	        MHD_OPTION_END);
	if (!l->d) {
		snprintf(err, errlen, "cannot listen on %s port %u: %s", w->opt.listen,
		         (unsigned)l->port, errno ? strerror(errno) : "libmicrohttpd failed");
		if (front && lfd != held)
			close(lfd);
		return -1;
	}
	if (front) {
		l->port = bound_port(lfd);
		l->front = sim_front_start(l, lfd, err, errlen);
		if (!l->front) {
			MHD_stop_daemon(l->d);
			l->d = NULL;
			if (lfd != held)
				close(lfd);
			return -1;
		}
		return 0;
	}
	const union MHD_DaemonInfo *di = MHD_get_daemon_info(l->d, MHD_DAEMON_INFO_BIND_PORT);
	if (di)
		l->port = di->port;
	return 0;
}

struct sim_server *sim_server_new(struct sim_world *w, const struct sim_tls *tls,
                                  sim_handler_fn consul, sim_handler_fn kube)
{
	struct sim_server *s = calloc(1, sizeof *s);

	if (!s)
		return NULL;
	s->world = w;
	s->consul_fn = consul;
	s->kube_fn = kube;
	s->tls = tls;
	s->consul_tls = w->opt.tls;
	if (!(s->reqlog = sim_reqlog_new())) {
		free(s);
		return NULL;
	}
	for (int i = 0; i < SIM_MAX_CLUSTERS; i++)
		s->held[i][0] = s->held[i][1] = MHD_INVALID_SOCKET;
	if (tls && tls->cert_pem && tls->key_pem) {
		gnutls_datum_t crt = {(unsigned char *)tls->cert_pem,
		                      (unsigned)strlen(tls->cert_pem)};
		gnutls_datum_t key = {(unsigned char *)tls->key_pem,
		                      (unsigned)strlen(tls->key_pem)};
		if (gnutls_certificate_allocate_credentials(&s->creds) < 0 ||
		    gnutls_certificate_set_x509_key_mem(s->creds, &crt, &key, GNUTLS_X509_FMT_PEM) <
		            0) {
			if (s->creds)
				gnutls_certificate_free_credentials(s->creds);
			sim_reqlog_free(s->reqlog);
			free(s);
			return NULL;
		}
	}
	pthread_mutex_init(&s->wlock, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&s->wcond, &ca);
	pthread_condattr_destroy(&ca);
	if (pthread_create(&s->monitor, NULL, monitor_main, s) != 0) {
		if (s->creds)
			gnutls_certificate_free_credentials(s->creds);
		pthread_cond_destroy(&s->wcond);
		pthread_mutex_destroy(&s->wlock);
		sim_reqlog_free(s->reqlog);
		free(s);
		return NULL;
	}
	s->monitor_running = true;
	return s;
}

const char *sim_server_scheme(const struct sim_server *s, enum sim_listener l)
{
	return l == SIM_LISTEN_KUBE || (l == SIM_LISTEN_CONSUL && s->consul_tls) ? "https" : "http";
}

cJSON *sim_server_requests_json(struct sim_server *s, uint64_t since, int cluster)
{
	return sim_reqlog_json(s->reqlog, s->world, since, cluster);
}

/* The listening socket I (0 Consul, 1 Kubernetes) of a stopped cluster C,
 * kept open or MHD_INVALID_SOCKET. */
static void set_held(struct sim_server *s, const struct sim_cluster *c, int i, MHD_socket fd)
{
	pthread_mutex_lock(&s->wlock);
	s->held[c->index][i] = fd;
	pthread_mutex_unlock(&s->wlock);
}

int sim_server_start_cluster(struct sim_server *s, struct sim_cluster *c, char *err, size_t errlen)
{
	struct listener *lc = &s->consul[c->index], *lk = &s->kube[c->index];

	*lc = (struct listener){s, SIM_LISTEN_CONSUL, c, NULL, c->consul_port, NULL};
	*lk = (struct listener){s, SIM_LISTEN_KUBE, c, NULL, c->kube_port, NULL};
	MHD_socket *held = s->held[c->index];
	if (start_listener(lc, s->consul_tls, held[0], err, errlen) < 0)
		return -1;
	set_held(s, c, 0, MHD_INVALID_SOCKET); /* the daemon owns it now */
	if (start_listener(lk, true, held[1], err, errlen) < 0) {
		if (lc->front) {
			close(sim_front_stop(lc->front));
			lc->front = NULL;
		}
		MHD_stop_daemon(lc->d);
		lc->d = NULL;
		return -1;
	}
	set_held(s, c, 1, MHD_INVALID_SOCKET);
	/* Ports never change once bound: a restart rebinds the same ones, and
	 * readers of these fields take no lock. */
	if (c->consul_port != lc->port)
		c->consul_port = lc->port;
	if (c->kube_port != lk->port)
		c->kube_port = lk->port;
	return 0;
}

void sim_server_stop_cluster(struct sim_server *s, struct sim_cluster *c, bool refuse)
{
	struct listener *ls[2] = {&s->consul[c->index], &s->kube[c->index]};

	for (int i = 0; i < 2; i++) {
		if (!ls[i]->d)
			continue;
		/* Stop accepting first, then wake waiting handlers and join
		 * their threads. A front ends its own connections first. */
		MHD_socket lsock;
		if (ls[i]->front) {
			lsock = sim_front_stop(ls[i]->front);
			ls[i]->front = NULL;
		} else {
			lsock = MHD_quiesce_daemon(ls[i]->d);
		}
		pthread_mutex_lock(&s->world->lock);
		sim_changed(s->world);
		pthread_mutex_unlock(&s->world->lock);
		MHD_stop_daemon(ls[i]->d);
		ls[i]->d = NULL;
		/* After quiesce the listening socket is ours: closed, new
		 * connections are refused; kept, they wait unanswered. */
		if (lsock == MHD_INVALID_SOCKET)
			continue;
		if (refuse)
			close(lsock);
		else
			set_held(s, c, i, lsock);
	}
}

int sim_server_queued(struct sim_server *s, const struct sim_cluster *c)
{
	int n = 0;

	pthread_mutex_lock(&s->wlock);
	for (int i = 0; i < 2; i++) {
		struct tcp_info ti;
		socklen_t len = sizeof ti;
		MHD_socket fd = s->held[c->index][i];
		/* For a listening socket Linux reports its accept queue's length
		 * as tcpi_unacked. */
		if (fd != MHD_INVALID_SOCKET &&
		    getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) == 0)
			n += (int)ti.tcpi_unacked;
	}
	pthread_mutex_unlock(&s->wlock);
	return n;
}

int sim_server_start_control(struct sim_server *s, uint16_t *port, sim_control_fn fn, void *ctx,
                             char *err, size_t errlen)
{
	s->control = (struct listener){s, SIM_LISTEN_CONTROL, NULL, NULL, *port, NULL};
	s->control_fn = fn;
	s->control_ctx = ctx;
	if (start_listener(&s->control, false, MHD_INVALID_SOCKET, err, errlen) < 0)
		return -1;
	*port = s->control.port;
	return 0;
}

void sim_server_free(struct sim_server *s)
{
	if (!s)
		return;
	for (int i = 0; i < s->world->nclusters; i++)
		sim_server_stop_cluster(s, &s->world->clusters[i], true);
	for (int i = 0; i < SIM_MAX_CLUSTERS; i++)
		for (int k = 0; k < 2; k++)
			if (s->held[i][k] != MHD_INVALID_SOCKET)
				close(s->held[i][k]);
	if (s->control.d)
		MHD_stop_daemon(s->control.d);
	if (s->monitor_running) {
		pthread_mutex_lock(&s->wlock);
		s->monitor_stop = true;
		pthread_cond_signal(&s->wcond);
		pthread_mutex_unlock(&s->wlock);
		pthread_join(s->monitor, NULL);
	}
	pthread_cond_destroy(&s->wcond);
	pthread_mutex_destroy(&s->wlock);
	sim_reqlog_free(s->reqlog);
	if (s->creds)
		gnutls_certificate_free_credentials(s->creds);
	free(s);
}
