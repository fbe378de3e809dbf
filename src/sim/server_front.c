/* peerscope-sim: the front of a TLS cluster listener. It accepts, reads the
 * client's TLS ClientHello without taking it off the socket (MSG_PEEK),
 * and looks at its ALPN offer: a client that offers "h2" is served HTTP/2
 * here (server_h2.c), any other is handed with its ClientHello unread to
 * libmicrohttpd, which does the handshake and HTTP/1.1. Consul's HTTPS
 * listener (agent/agent.go, http2.ConfigureServer) and the Kubernetes API
 * server both choose h2 for a client that offers it, so curl, kubectl and
 * peerscope multiplex their requests over one connection. */
#include "autoconfig.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "server_internal.h"

#define HELLO_WAIT_S 10 /* a client that sends no ClientHello in this is dropped */
#define TLS_RECORD   (16384 + 5)

struct front_conn {
	struct sim_front *f;
	int fd;
	struct sockaddr_storage addr;
	socklen_t alen;
	struct front_conn *next;
};

struct sim_front {
	struct listener *l;
	int lfd;
	int stop[2]; /* a pipe: readable once the front stops */
	pthread_t acceptor;
	pthread_mutex_t lock; /* guards everything below */
	pthread_cond_t idle;
	bool stopping;
	int nconns; /* connection threads alive */
	struct front_conn *conns;
};

/* ------------------------------------------------------------ ALPN */

static unsigned be16(const unsigned char *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

/* Whether the ClientHello handshake message in P (LEN bytes, from its type
 * byte) offers "h2" in its ALPN extension (RFC 7301). */
static bool hello_offers_h2(const unsigned char *p, size_t len)
{
	if (len < 4 || p[0] != 1) /* client_hello */
		return false;
	size_t hlen = (size_t)p[1] << 16 | (size_t)p[2] << 8 | p[3];
	size_t end = 4 + hlen < len ? 4 + hlen : len;
	size_t i = 4 + 2 + 32; /* version, random */
	if (i + 1 > end)
		return false;
	i += 1 + p[i]; /* session id */
	if (i + 2 > end)
		return false;
	i += 2 + be16(p + i); /* cipher suites */
	if (i + 1 > end)
		return false;
	i += 1 + p[i]; /* compression methods */
	if (i + 2 > end)
		return false;
	size_t xend = i + 2 + be16(p + i);
	if (xend > end)
		xend = end;
	for (i += 2; i + 4 <= xend;) {
		unsigned type = be16(p + i), n = be16(p + i + 2);
		i += 4;
		if (i + n > xend)
			return false;
		if (type == 16 && n >= 2) { /* application_layer_protocol_negotiation */
			size_t j = i + 2, lend = i + 2 + be16(p + i);
			if (lend > i + n)
				lend = i + n;
			while (j < lend) {
				size_t pl = p[j];
				if (j + 1 + pl > lend)
					break;
				if (pl == 2 && memcmp(p + j + 1, "h2", 2) == 0)
					return true;
				j += 1 + pl;
			}
			return false;
		}
		i += n;
	}
	return false;
}

/* 1: the client's first TLS record is a ClientHello that offers h2; 0: it
 * is not (another protocol, no ALPN, not TLS); -1: nothing came (the
 * client hung up, waited too long, or the front stops). The record stays
 * on the socket. */
static int peek_alpn(int fd)
{
	unsigned char *buf = malloc(TLS_RECORD);
	int rc = -1;

	if (!buf)
		return -1;
	ssize_t n = recv(fd, buf, 5, MSG_PEEK | MSG_WAITALL);
	if (n == 5) {
		if (buf[0] != 22) { /* handshake */
			rc = 0;
		} else {
			size_t want = 5 + be16(buf + 3);
			if (want > TLS_RECORD)
				want = TLS_RECORD;
			n = recv(fd, buf, want, MSG_PEEK | MSG_WAITALL);
			if (n == (ssize_t)want)
				rc = hello_offers_h2(buf + 5, want - 5) ? 1 : 0;
		}
	} else if (n > 0) {
		rc = 0;
	}
	free(buf);
	return rc;
}

/* --------------------------------------------------------- connections */

static void addr_text(const struct front_conn *fc, char *buf, size_t len)
{
	char host[INET6_ADDRSTRLEN] = "?", port[8] = "0";

	if (getnameinfo((const struct sockaddr *)&fc->addr, fc->alen, host, sizeof host, port,
	                sizeof port, NI_NUMERICHOST | NI_NUMERICSERV) != 0)
		snprintf(host, sizeof host, "?");
	snprintf(buf, len, "%s:%s", host, port);
}

/* Drops FC from the front's list and closes its socket (under the lock,
 * so that a stop never shuts down a number reused since), unless the
 * daemon took it. */
static void conn_forget(struct sim_front *f, struct front_conn *fc)
{
	pthread_mutex_lock(&f->lock);
	if (fc->fd >= 0)
		close(fc->fd);
	for (struct front_conn **p = &f->conns; *p; p = &(*p)->next) {
		if (*p == fc) {
			*p = fc->next;
			break;
		}
	}
	if (--f->nconns == 0)
		pthread_cond_broadcast(&f->idle);
	pthread_mutex_unlock(&f->lock);
	free(fc);
}

static void *conn_main(void *arg)
{
	struct front_conn *fc = arg;
	struct sim_front *f = fc->f;
	struct timeval tv = {HELLO_WAIT_S, 0}, none = {0, 0};

	setsockopt(fc->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	int h2 = peek_alpn(fc->fd);
	setsockopt(fc->fd, SOL_SOCKET, SO_RCVTIMEO, &none, sizeof none);
	if (h2 == 1) {
		char raddr[80];
		int one = 1;
		/* As Go's servers do for every TCP connection. */
		setsockopt(fc->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		addr_text(fc, raddr, sizeof raddr);
		sim_h2_serve(f->l, fc->fd, raddr, f->stop[0]);
		conn_forget(f, fc);
		return NULL;
	}
	/* Any other client (HTTP/1.1, no ALPN, not TLS at all) goes to the
	 * daemon, its ClientHello still unread; one that sent nothing within
	 * HELLO_WAIT_S, or whose listener stops, is closed. */
	pthread_mutex_lock(&f->lock);
	if (h2 == 0 && !f->stopping) {
		/* The daemon closes the socket even when it cannot take it. */
		(void)MHD_add_connection(f->l->d, fc->fd, (const struct sockaddr *)&fc->addr,
		                         fc->alen);
		fc->fd = -1;
	}
	pthread_mutex_unlock(&f->lock);
	conn_forget(f, fc);
	return NULL;
}

static void *accept_main(void *arg)
{
	struct sim_front *f = arg;

	for (;;) {
		struct pollfd p[2] = {{.fd = f->lfd, .events = POLLIN},
		                      {.fd = f->stop[0], .events = POLLIN}};
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[1].revents)
			break;
		if (!(p[0].revents & POLLIN))
			continue;
		struct front_conn *fc = calloc(1, sizeof *fc);
		if (!fc)
			continue;
		fc->f = f;
		fc->alen = sizeof fc->addr;
		fc->fd = accept4(f->lfd, (struct sockaddr *)&fc->addr, &fc->alen, SOCK_CLOEXEC);
		if (fc->fd < 0) {
			free(fc);
			continue;
		}
		pthread_attr_t at;
		pthread_t t;
		pthread_attr_init(&at);
		pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
		pthread_attr_setstacksize(&at, 256u << 10);
		pthread_mutex_lock(&f->lock);
		fc->next = f->conns;
		f->conns = fc;
		f->nconns++;
		pthread_mutex_unlock(&f->lock);
		if (pthread_create(&t, &at, conn_main, fc) != 0)
			conn_forget(f, fc);
		pthread_attr_destroy(&at);
	}
	return NULL;
}

/* ---------------------------------------------------------------- front */

struct sim_front *sim_front_start(struct listener *l, int lfd, char *err, size_t errlen)
{
	struct sim_front *f = calloc(1, sizeof *f);

	if (!f) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	f->l = l;
	f->lfd = lfd;
	if (pipe2(f->stop, O_CLOEXEC) < 0) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		free(f);
		return NULL;
	}
	pthread_mutex_init(&f->lock, NULL);
	pthread_cond_init(&f->idle, NULL);
	if (pthread_create(&f->acceptor, NULL, accept_main, f) != 0) {
		snprintf(err, errlen, "cannot start a thread");
		close(f->stop[0]);
		close(f->stop[1]);
		pthread_cond_destroy(&f->idle);
		pthread_mutex_destroy(&f->lock);
		free(f);
		return NULL;
	}
	return f;
}

int sim_front_stop(struct sim_front *f)
{
	int lfd = f->lfd;

	pthread_mutex_lock(&f->lock);
	f->stopping = true;
	pthread_mutex_unlock(&f->lock);
	/* The pipe wakes the acceptor and every HTTP/2 connection; a client
	 * still to send its ClientHello is cut off. */
	if (write(f->stop[1], "x", 1) < 0)
		perror("peerscope-sim: front stop");
	pthread_join(f->acceptor, NULL);
	pthread_mutex_lock(&f->lock);
	for (struct front_conn *fc = f->conns; fc; fc = fc->next)
		if (fc->fd >= 0)
			shutdown(fc->fd, SHUT_RDWR);
	while (f->nconns > 0)
		pthread_cond_wait(&f->idle, &f->lock);
	pthread_mutex_unlock(&f->lock);
	close(f->stop[0]);
	close(f->stop[1]);
	pthread_cond_destroy(&f->idle);
	pthread_mutex_destroy(&f->lock);
	free(f);
	return lfd;
}
