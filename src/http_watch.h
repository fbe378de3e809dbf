/* http_watch: what one multi handle waits on, driven through libcurl's
 * socket interface. Private to src/http.c.
 *
 * libcurl tells which sockets its transfers wait on and how long until it
 * must be called again (CURLMOPT_SOCKETFUNCTION, CURLMOPT_TIMERFUNCTION);
 * the watch keeps them in one pollfd array, with a pipe at its head that
 * wakes the wait from any thread. A step hands libcurl only the sockets
 * that moved (curl_multi_socket_action), so a wake-up costs the transfers
 * it concerns, not every transfer of the multi: a poller holds a dozen
 * long polls and watches that are quiet nearly all the time, and
 * curl_multi_perform looked at each of them at every wake-up. */
#ifndef PEERSCOPE_HTTP_WATCH_H
#define PEERSCOPE_HTTP_WATCH_H

#include <curl/curl.h>
#include <poll.h>
#include <stddef.h>
#include <stdint.h>

struct http_watch {
	struct pollfd *fds;   /* [0]: the wake pipe's read end; then libcurl's */
	struct pollfd *ready; /* a copy of fds for one poll, the same capacity */
	size_t n, cap, ready_cap;
	int wake_w;     /* the wake pipe's write end */
	int64_t due_ms; /* libcurl's timer, monotime_ms() when due; -1: none */
};

/* Sets up W for CM: the wake pipe and libcurl's two callbacks. -1 when the
 * pipe or the memory cannot be had. */
int http_watch_init(struct http_watch *w, CURLM *cm);

/* Closes the pipe and frees the arrays; CM is cleaned up by the caller. */
void http_watch_free(struct http_watch *w);

/* Makes the current or the next http_watch_step() return at once. Any
 * thread; async-signal-safe. */
void http_watch_wake(struct http_watch *w);

/* One step: when libcurl's timer is due, runs it without waiting;
 * otherwise waits up to TIMEOUT_MS (or until the timer) for a socket or a
 * wake-up and hands libcurl what moved. The caller then reads libcurl's
 * finished transfers. -1 when libcurl fails. */
int http_watch_step(struct http_watch *w, CURLM *cm, long timeout_ms);

#endif
