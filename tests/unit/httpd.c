/* A tiny HTTP/1.1 server for the client tests; see httpd.h. */
#include "autoconfig.h"

#include "httpd.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#define MAX_CONNS 512

const char httpd_stream_text[] = "{\"type\":\"ADDED\"}\n{\"type\":\"MOD"
                                 "IFIED\"}\n{\"ty"
                                 "pe\":\"DELETED\"}\n";
static const char *const stream_parts[] = {"{\"type\":\"ADDED\"}\n{\"type\":\"MOD",
                                           "IFIED\"}\n{\"ty", "pe\":\"DELETED\"}\n"};

struct conn {
	struct httpd *s;
	int fd;
	pthread_t th;
};

struct httpd {
	int fd;
	int port;
	pthread_t th;
	atomic_bool stop;
	atomic_int nconns;
	atomic_int answers; /* responses sent in full */
	atomic_int held;    /* /slow requests waiting now */
	pthread_mutex_t lock;
	pthread_cond_t stopping; /* signalled with stop, under lock */
	struct conn conns[MAX_CONNS];
};

static void msleep(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

static int send_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int reply(int fd, int status, const char *ctype, const char *extra, const char *body,
                 size_t len)
{
	char head[512];
	int n = snprintf(head, sizeof head,
	                 "HTTP/1.1 %d X\r\nContent-Type: %s\r\nContent-Length: %zu\r\n%s\r\n",
	                 status, ctype, len, extra ? extra : "");
	if (send_all(fd, head, (size_t)n))
		return -1;
	return send_all(fd, body, len);
}

/* Value of header NAME in the request head, copied into out. */
static void header_value(const char *head, const char *name, char *out, size_t len)
{
	size_t nlen = strlen(name);
	out[0] = '\0';
	for (const char *p = strstr(head, "\r\n"); p && p[2]; p = strstr(p + 2, "\r\n")) {
		const char *l = p + 2;
		if (!strncasecmp(l, name, nlen) && l[nlen] == ':') {
			const char *v = l + nlen + 1;
			while (*v == ' ')
				v++;
			snprintf(out, len, "%.*s", (int)strcspn(v, "\r\n"), v);
			return;
		}
	}
}

static int chunk(int fd, const char *p, size_t n)
{
	char h[32];
	int hl = snprintf(h, sizeof h, "%zx\r\n", n);
	if (send_all(fd, h, (size_t)hl) || send_all(fd, p, n))
		return -1;
	return send_all(fd, "\r\n", 2);
}

/* 256 MiB of '0' as gzip, made once. */
static pthread_mutex_t bomb_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned char *bomb;
static size_t bomb_len;

static int make_bomb(void)
{
	static unsigned char zeros[65536];
	z_stream z = {0};
	size_t cap = 1 << 20;
	int rc = -1;

	pthread_mutex_lock(&bomb_lock);
	if (bomb) {
		pthread_mutex_unlock(&bomb_lock);
		return 0;
	}
	memset(zeros, '0', sizeof zeros);
	unsigned char *out = malloc(cap);
	if (!out || deflateInit2(&z, 9, Z_DEFLATED, 31, 9, Z_DEFAULT_STRATEGY) != Z_OK)
		goto out;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	for (int i = 0; i < 4096; i++) {
		z.next_in = zeros;
		z.avail_in = sizeof zeros;
		if (deflate(&z, i == 4095 ? Z_FINISH : Z_NO_FLUSH) == Z_STREAM_ERROR ||
		    !z.avail_out)
			goto out;
	}
	bomb_len = cap - z.avail_out;
	bomb = out;
	out = NULL;
	rc = 0;
out:
	deflateEnd(&z);
	free(out);
	pthread_mutex_unlock(&bomb_lock);
	return rc;
}

/* Routes that stand for a hostile server, whatever the rest of the path:
 * /endless/..., /gzbomb/..., /longheader/...; and /gzip/N, a compressed
 * answer. */
static int hostile(struct httpd *s, int fd, const char *path)
{
	if (!strncmp(path, "/endless/", 9)) {
		static const char h[] = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
		                        "Transfer-Encoding: chunked\r\n\r\n";
		char chunkbuf[65536];
		memset(chunkbuf, 'x', sizeof chunkbuf);
		if (send_all(fd, h, sizeof h - 1))
			return -1;
		while (!atomic_load(&s->stop))
			if (chunk(fd, chunkbuf, sizeof chunkbuf))
				return -1;
		return -1;
	}
	if (!strncmp(path, "/gzbomb/", 8)) {
		char head[256];
		if (make_bomb())
			return -1;
		int n = snprintf(head, sizeof head,
		                 "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
		                 "Content-Encoding: gzip\r\nContent-Length: %zu\r\n\r\n",
		                 bomb_len);
		if (send_all(fd, head, (size_t)n))
			return -1;
		return send_all(fd, (const char *)bomb, bomb_len);
	}
	if (!strncmp(path, "/gzip/", 6)) {
		/* /gzip/N: a JSON array of N bytes, "[0,0,...,0]", gzip-encoded,
		 * its Content-Length the compressed one (as Consul sends). */
		size_t n = strtoul(path + 6, NULL, 10), zcap;
		if (n < 3 || n % 2 == 0 || n > (64u << 20))
			return -1;
		char *plain = malloc(n);
		z_stream z = {0};
		if (!plain)
			return -1;
		plain[0] = '[';
		for (size_t i = 1; i + 1 < n; i++)
			plain[i] = i % 2 ? '0' : ',';
		plain[n - 1] = ']';
		unsigned char *gz = NULL;
		int rc = -1;
		if (deflateInit2(&z, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY) == Z_OK) {
			zcap = deflateBound(&z, (uLong)n);
			if ((gz = malloc(zcap))) {
				z.next_in = (unsigned char *)plain;
				z.avail_in = (uInt)n;
				z.next_out = gz;
				z.avail_out = (uInt)zcap;
				if (deflate(&z, Z_FINISH) == Z_STREAM_END) {
					char head[256];
					int hl = snprintf(head, sizeof head,
					                  "HTTP/1.1 200 OK\r\nContent-Type: "
					                  "application/json\r\nContent-Encoding: "
					                  "gzip\r\nContent-Length: %lu\r\n\r\n",
					                  z.total_out);
					rc = send_all(fd, head, (size_t)hl) ||
					                     send_all(fd, (const char *)gz,
					                              z.total_out)
					             ? -1
					             : 0;
				}
			}
			deflateEnd(&z);
		}
		free(gz);
		free(plain);
		return rc;
	}
	if (!strncmp(path, "/redirect/", 10)) {
		static const char r[] = "HTTP/1.1 302 Found\r\nLocation: "
		                        "https://admin:s3cret@login.example/sso?token=t0k3n&x=1\r\n"
		                        "Content-Length: 0\r\n\r\n";
		return send_all(fd, r, sizeof r - 1);
	}
	if (!strncmp(path, "/longheader/", 12)) {
		size_t n = 200000;
		char *h = malloc(n + 128);
		if (!h)
			return -1;
		int k = snprintf(h, 128, "HTTP/1.1 200 OK\r\nX-Long: ");
		memset(h + k, 'a', n);
		memcpy(h + k + n, "\r\nContent-Length: 2\r\n\r\n{}", 26);
		int rc = send_all(fd, h, (size_t)k + n + 26);
		free(h);
		return rc;
	}
	return 1;
}

static int route(struct httpd *s, int fd, const char *head, const char *body, size_t blen)
{
	char path[256], tok[256], auth[256], msg[1024];
	const char *sp = strchr(head, ' ');

	const char *target = sp ? sp + 1 : "";
	/* A proxy's request names the whole URL: keep its path. */
	if (!strncmp(target, "http://", 7)) {
		const char *slash = strchr(target + 7, '/');
		target = slash ? slash : "/";
	}
	snprintf(path, sizeof path, "%.*s", (int)strcspn(target, " ?"), target);
	int bad = hostile(s, fd, path);
	if (bad <= 0)
		return bad;
	if (!strcmp(path, "/ok"))
		return reply(fd, 200, "application/json",
		             "X-Consul-Index: 42\r\nX-Consul-KnownLeader: true\r\n",
		             "{\"ok\":true}", 11);
	if (!strcmp(path, "/ok-then-close")) {
		/* Answer as if keeping the connection, then drop it. */
		reply(fd, 200, "application/json", NULL, "{}", 2);
		return -1;
	}
	if (!strcmp(path, "/echo"))
		return reply(fd, 200, "text/plain", NULL, head, strlen(head));
	if (!strcmp(path, "/post"))
		return reply(fd, 200, "application/json", NULL, body, blen);
	if (!strcmp(path, "/empty"))
		return reply(fd, 200, "application/json", NULL, "", 0);
	if (!strcmp(path, "/text-error")) {
		header_value(head, "X-Consul-Token", tok, sizeof tok);
		header_value(head, "Authorization", auth, sizeof auth);
		int n = snprintf(
		        msg, sizeof msg,
		        "Permission denied: token %s (%s) lacks permission 'peering:write'\n", tok,
		        auth);
		return reply(fd, 403, "text/plain", NULL, msg, (size_t)n);
	}
	if (!strcmp(path, "/status-error")) {
		static const char st[] =
		        "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},"
		        "\"status\":\"Failure\",\"message\":\"peeringacceptors.consul.hashicorp."
		        "com "
		        "\\\"x\\\" not found\",\"reason\":\"NotFound\",\"code\":404}";
		return reply(fd, 404, "application/json", NULL, st, sizeof st - 1);
	}
	if (!strcmp(path, "/unauthorized")) {
		static const char st[] = "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":"
		                         "\"Failure\",\"message\":\"Unauthorized\",\"reason\":"
		                         "\"Unauthorized\",\"code\":401}";
		return reply(fd, 401, "application/json", NULL, st, sizeof st - 1);
	}
	if (!strcmp(path, "/hostile-text")) {
		static const char t[] = "bad gateway \x1b]0;pwn\x07\x1b[2J\xc2\x9b"
		                        "2J"
		                        "\xe2\x80\xae\xff end\n";
		return reply(fd, 502, "text/plain", NULL, t, sizeof t - 1);
	}
	if (!strcmp(path, "/hostile-status")) {
		static const char st[] =
		        "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\","
		        "\"message\":\"boom "
		        "\\u001b]52;c;eA==\\u0007\\u009b\\u202e\xff\",\"code\":500}";
		return reply(fd, 500, "application/json", NULL, st, sizeof st - 1);
	}
	if (!strcmp(path, "/big") || !strcmp(path, "/big-chunked")) {
		char *big = malloc(100000);
		int rc;
		if (!big)
			return -1;
		memset(big, 'x', 100000);
		if (!strcmp(path, "/big")) {
			rc = reply(fd, 200, "text/plain", NULL, big, 100000);
		} else {
			static const char h[] =
			        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
			rc = send_all(fd, h, sizeof h - 1);
			for (int i = 0; !rc && i < 10; i++)
				rc = chunk(fd, big + i * 10000, 10000);
			if (!rc)
				rc = send_all(fd, "0\r\n\r\n", 5);
		}
		free(big);
		return rc;
	}
	if (!strcmp(path, "/slow")) {
		struct timespec dl;
		clock_gettime(CLOCK_REALTIME, &dl);
		dl.tv_sec += 5;
		pthread_mutex_lock(&s->lock);
		atomic_fetch_add(&s->held, 1);
		while (!atomic_load(&s->stop) &&
		       pthread_cond_timedwait(&s->stopping, &s->lock, &dl) == 0)
			;
		atomic_fetch_sub(&s->held, 1);
		pthread_mutex_unlock(&s->lock);
		return reply(fd, 200, "application/json", NULL, "{}", 2);
	}
	if (!strcmp(path, "/stream")) {
		static const char h[] = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
		                        "Transfer-Encoding: chunked\r\n\r\n";
		if (send_all(fd, h, sizeof h - 1))
			return -1;
		/* A pause between the pieces, as a server streaming events
		 * over time does, so that they reach the client apart. */
		for (size_t i = 0; i < sizeof stream_parts / sizeof stream_parts[0]; i++) {
			if (chunk(fd, stream_parts[i], strlen(stream_parts[i])))
				return -1;
			msleep(20);
		}
		return send_all(fd, "0\r\n\r\n", 5);
	}
	static const char nf[] = "Invalid URL path: not a recognized HTTP API endpoint";
	return reply(fd, 404, "text/plain", NULL, nf, sizeof nf - 1);
}

/* Read until the socket has data, the peer closed or the server stops. */
static ssize_t recv_wait(struct httpd *s, int fd, char *buf, size_t len)
{
	while (!atomic_load(&s->stop)) {
		struct pollfd p = {fd, POLLIN, 0};
		int r = poll(&p, 1, 20);
		if (r < 0)
			return -1;
		if (r > 0)
			return recv(fd, buf, len, 0);
	}
	return -1;
}

static void *conn_main(void *arg)
{
	struct conn *c = arg;
	char *buf = malloc(65536);
	size_t have = 0;

	while (buf) {
		char *end = have ? strstr(buf, "\r\n\r\n") : NULL;
		if (!end) {
			if (have + 1 >= 65536)
				break;
			ssize_t r = recv_wait(c->s, c->fd, buf + have, 65535 - have);
			if (r <= 0)
				break;
			have += (size_t)r;
			buf[have] = '\0';
			continue;
		}
		size_t head_len = (size_t)(end - buf) + 4;
		char cl[32];
		end[2] = '\0';
		header_value(buf, "Content-Length", cl, sizeof cl);
		size_t blen = (size_t)strtoul(cl, NULL, 10);
		while (have < head_len + blen && have + 1 < 65536) {
			ssize_t r = recv_wait(c->s, c->fd, buf + have, 65535 - have);
			if (r <= 0)
				goto out;
			have += (size_t)r;
		}
		if (have < head_len + blen)
			break;
		char *body = strndup(buf + head_len, blen);
		int rc = body ? route(c->s, c->fd, buf, body, blen) : -1;
		free(body);
		if (rc)
			break;
		atomic_fetch_add(&c->s->answers, 1);
		memmove(buf, buf + head_len + blen, have - head_len - blen);
		have -= head_len + blen;
		buf[have] = '\0';
	}
out:
	free(buf);
	close(c->fd);
	return NULL;
}

static void *accept_main(void *arg)
{
	struct httpd *s = arg;

	while (!atomic_load(&s->stop)) {
		struct pollfd p = {s->fd, POLLIN, 0};
		if (poll(&p, 1, 20) <= 0)
			continue;
		int fd = accept(s->fd, NULL, NULL);
		if (fd < 0)
			continue;
		/* Heads and bodies go out in separate writes: no Nagle delay. */
		int one = 1;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		int i = atomic_load(&s->nconns);
		if (i >= MAX_CONNS) {
			close(fd);
			continue;
		}
		s->conns[i].s = s;
		s->conns[i].fd = fd;
		/* Counted before it serves anything, so a client that has its
		 * answer sees the connection counted. */
		atomic_store(&s->nconns, i + 1);
		if (pthread_create(&s->conns[i].th, NULL, conn_main, &s->conns[i])) {
			atomic_store(&s->nconns, i);
			close(fd);
		}
	}
	return NULL;
}

struct httpd *httpd_start(void)
{
	struct httpd *s = calloc(1, sizeof *s);
	struct sockaddr_in a = {0};
	socklen_t alen = sizeof a;
	int one = 1;

	if (!s)
		return NULL;
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->stopping, NULL);
	s->fd = socket(AF_INET, SOCK_STREAM, 0);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(s->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (s->fd < 0 || bind(s->fd, (struct sockaddr *)&a, sizeof a) || listen(s->fd, 256) ||
	    getsockname(s->fd, (struct sockaddr *)&a, &alen))
		goto fail;
	s->port = ntohs(a.sin_port);
	if (pthread_create(&s->th, NULL, accept_main, s))
		goto fail;
	return s;
fail:
	if (s->fd >= 0)
		close(s->fd);
	pthread_cond_destroy(&s->stopping);
	pthread_mutex_destroy(&s->lock);
	free(s);
	return NULL;
}

void httpd_stop(struct httpd *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&s->lock);
	atomic_store(&s->stop, true);
	pthread_cond_broadcast(&s->stopping);
	pthread_mutex_unlock(&s->lock);
	pthread_join(s->th, NULL);
	for (int i = 0; i < atomic_load(&s->nconns); i++)
		pthread_join(s->conns[i].th, NULL);
	close(s->fd);
	pthread_cond_destroy(&s->stopping);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

int httpd_port(const struct httpd *s)
{
	return s->port;
}

int httpd_connections(const struct httpd *s)
{
	return atomic_load(&((struct httpd *)s)->nconns);
}

int httpd_answers(const struct httpd *s)
{
	return atomic_load(&((struct httpd *)s)->answers);
}

int httpd_held(const struct httpd *s)
{
	return atomic_load(&((struct httpd *)s)->held);
}
