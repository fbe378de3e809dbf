/* http_watch: a multi handle's sockets, timer and wake pipe. See
 * src/http_watch.h. */
#include "autoconfig.h"

#include "http_watch.h"

#include "peerscope/monotime.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define WAIT_MAX_MS 60000L

static int set_flags(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -1;
	return fcntl(fd, F_SETFD, FD_CLOEXEC);
}

static short poll_events(int what)
{
	return (short)((what & CURL_POLL_IN ? POLLIN : 0) | (what & CURL_POLL_OUT ? POLLOUT : 0));
}

static int grow(struct http_watch *w)
{
	size_t cap = w->cap * 2;
	struct pollfd *p = realloc(w->fds, cap * sizeof *p);

	if (!p)
		return -1;
	w->fds = p;
	w->cap = cap;
	return 0;
}

/* CURLMOPT_SOCKETFUNCTION: S is to be waited on for WHAT, or no longer. */
static int on_socket(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
	struct http_watch *w = userp;
	size_t i;

	(void)easy;
	(void)socketp;
	for (i = 1; i < w->n && w->fds[i].fd != s; i++)
		;
	if (what == CURL_POLL_REMOVE) {
		if (i < w->n)
			w->fds[i] = w->fds[--w->n];
		return 0;
	}
	if (i == w->n) {
		if (w->n == w->cap && grow(w) < 0)
			return -1; /* libcurl fails the transfer */
		w->fds[w->n++] = (struct pollfd){.fd = s};
	}
	w->fds[i].events = poll_events(what);
	return 0;
}

/* CURLMOPT_TIMERFUNCTION: libcurl wants to run in TIMEOUT_MS (0: at once;
 * -1: no timer). */
static int on_timer(CURLM *cm, long timeout_ms, void *userp)
{
	struct http_watch *w = userp;

	(void)cm;
	w->due_ms = timeout_ms < 0 ? -1 : monotime_ms() + timeout_ms;
	return 0;
}

int http_watch_init(struct http_watch *w, CURLM *cm)
{
	int p[2];

	memset(w, 0, sizeof *w);
	w->due_ms = -1;
	w->wake_w = -1;
	w->cap = 8;
	w->fds = malloc(w->cap * sizeof *w->fds);
	if (!w->fds)
		return -1;
	if (pipe(p) < 0) {
		free(w->fds);
		w->fds = NULL;
		return -1;
	}
	if (set_flags(p[0]) < 0 || set_flags(p[1]) < 0) {
		close(p[0]);
		close(p[1]);
		free(w->fds);
		w->fds = NULL;
		return -1;
	}
	w->fds[0] = (struct pollfd){.fd = p[0], .events = POLLIN};
	w->n = 1;
	w->wake_w = p[1];
	curl_multi_setopt(cm, CURLMOPT_SOCKETFUNCTION, on_socket);
	curl_multi_setopt(cm, CURLMOPT_SOCKETDATA, w);
	curl_multi_setopt(cm, CURLMOPT_TIMERFUNCTION, on_timer);
	curl_multi_setopt(cm, CURLMOPT_TIMERDATA, w);
	return 0;
}

void http_watch_free(struct http_watch *w)
{
	if (w->fds && w->n)
		close(w->fds[0].fd);
	if (w->wake_w >= 0)
		close(w->wake_w);
	free(w->fds);
	free(w->ready);
	memset(w, 0, sizeof *w);
	w->wake_w = -1;
}

void http_watch_wake(struct http_watch *w)
{
	char b = 1;

	/* A full pipe is a wake-up already pending. */
	if (write(w->wake_w, &b, 1) < 0 && errno != EAGAIN) {
		/* Nothing to do: the next wait ends with its timeout. */
	}
}

static void drain(int fd)
{
	char buf[64];

	while (read(fd, buf, sizeof buf) > 0)
		;
}

/* libcurl's timer is one-shot: cleared before it runs, so that a timer it
 * sets again meanwhile is kept. */
static int run_timer(struct http_watch *w, CURLM *cm)
{
	int running;
	CURLMcode rc;

	w->due_ms = -1;
	rc = curl_multi_socket_action(cm, CURL_SOCKET_TIMEOUT, 0, &running);
	return rc == CURLM_OK ? 0 : -1;
}

static int ready_flags(short revents)
{
	return (revents & (POLLIN | POLLPRI | POLLHUP) ? CURL_CSELECT_IN : 0) |
	       (revents & POLLOUT ? CURL_CSELECT_OUT : 0) |
	       (revents & (POLLERR | POLLNVAL) ? CURL_CSELECT_ERR : 0);
}

int http_watch_step(struct http_watch *w, CURLM *cm, long timeout_ms)
{
	int64_t now = monotime_ms();
	long wait = timeout_ms < 0 || timeout_ms > WAIT_MAX_MS ? WAIT_MAX_MS : timeout_ms;
	size_t n = w->n;
	int nready, running;

	if (w->due_ms >= 0 && w->due_ms <= now)
		return run_timer(w, cm);
	if (w->due_ms >= 0 && w->due_ms - now < wait)
		wait = (long)(w->due_ms - now);
	/* libcurl's callbacks may change fds while the ready sockets are
	 * handed to it: they are read from a copy. */
	if (!w->ready || w->ready_cap < n) {
		struct pollfd *r = realloc(w->ready, w->cap * sizeof *r);
		if (!r)
			return -1;
		w->ready = r;
		w->ready_cap = w->cap;
	}
	memcpy(w->ready, w->fds, n * sizeof *w->ready);
	nready = poll(w->ready, (nfds_t)n, (int)wait);
	if (nready < 0)
		return errno == EINTR ? 0 : -1;
	if (w->ready[0].revents)
		drain(w->ready[0].fd);
	for (size_t i = 1; i < n && nready > 0; i++) {
		if (!w->ready[i].revents)
			continue;
		nready--;
		if (curl_multi_socket_action(cm, w->ready[i].fd, ready_flags(w->ready[i].revents),
		                             &running) != CURLM_OK)
			return -1;
	}
	if (w->due_ms >= 0 && w->due_ms <= monotime_ms())
		return run_timer(w, cm);
	return 0;
}
