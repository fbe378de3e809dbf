/* peerscope-sim: what the HTTP layer's files share. server.c runs the
 * listeners and HTTP/1.1 (libmicrohttpd); server_front.c accepts on a TLS
 * cluster listener and reads the client's ALPN offer, handing HTTP/1.1 to
 * libmicrohttpd and HTTP/2 to server_h2.c, as Consul's HTTPS listener and
 * the Kubernetes API server both offer h2 by ALPN; server_request.c is
 * what a request goes through under either. */
#ifndef PEERSCOPE_SIM_SERVER_INTERNAL_H
#define PEERSCOPE_SIM_SERVER_INTERNAL_H

#include <gnutls/gnutls.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "core.h"

#define SIM_MAX_BODY (8u << 20) /* a request body larger gets 413 */

struct sim_front;

struct listener {
	struct sim_server *srv;
	enum sim_listener kind;
	struct sim_cluster *c; /* NULL for the control listener */
	struct MHD_Daemon *d;
	uint16_t port;
	struct sim_front *front; /* a TLS cluster listener's accept loop, or NULL */
};

struct waiter;

/* The server: its listeners, the hung-up monitor (server.c), the request
 * log, and the credentials of HTTP/2's own TLS sessions. */
struct sim_server {
	struct sim_world *world;
	const struct sim_tls *tls; /* the Kubernetes listeners always serve HTTPS */
	bool consul_tls;           /* --tls: the Consul listeners too */
	struct listener consul[SIM_MAX_CLUSTERS];
	struct listener kube[SIM_MAX_CLUSTERS];
	struct listener control;
	/* Listening sockets of stopped clusters kept open (nothing accepts on
	 * them, so clients hang) and taken up again on start. */
	MHD_socket held[SIM_MAX_CLUSTERS][2];
	sim_handler_fn consul_fn, kube_fn;
	sim_control_fn control_fn;
	void *control_ctx;
	pthread_mutex_t wlock; /* guards waiters, monitor_stop and held */
	pthread_cond_t wcond;
	struct waiter *waiters;
	bool monitor_stop;
	bool monitor_running;
	pthread_t monitor;
	struct sim_reqlog *reqlog;              /* every request of the cluster listeners */
	gnutls_certificate_credentials_t creds; /* for HTTP/2 over TLS */
};

/* ---------------------------------------------------- server_request.c */

void sim_server_sleep_ms(int64_t ms);
/* Everything of one request that does not depend on the protocol: the
 * request log, the fault plan (into *FP), its delay, then the handler (or
 * the planned error, or 413 when TOO_BIG) into RESP, a malformed body
 * garbled, then the body compressed when the real server would compress it
 * (encode.c). Returns 0 with RESP to send, or -1 when the request gets no
 * answer: a planned reset, or the cluster stopped while the request
 * waited. The other body faults (truncate, drip, and malformed on a
 * stream) are the caller's, after, on the bytes it sends. */
int sim_server_dispatch(struct listener *l, const struct sim_req *req, bool too_big,
                        struct sim_fault_plan *fp, struct sim_resp *resp);
/* Half of *BODY, then junk ("#!malformed", LINE: with a newline, as in
 * a stream of lines): what a malformed fault sends. */
void sim_server_garble(char **body, size_t *len, bool line);

/* ------------------------------------------------------------ encode.c */

/* Compresses RESP's complete body for the request REQ to a KIND listener
 * when the real server would: Consul's rule on the Consul listener and for
 * a body Consul made through the service proxy (RESP->consul_body), the
 * API server's on the Kubernetes listener; never a stream. Adds the header
 * fields that go with it (Vary, Content-Encoding). True when the body is
 * now gzip. */
bool sim_encode(enum sim_listener kind, const struct sim_req *req, struct sim_resp *resp);

/* ------------------------------------------------------ server_front.c */

/* Starts accepting on the listening socket LFD (bound and listening) for
 * L, whose libmicrohttpd daemon takes connections that do not ask for h2.
 * NULL on failure, with a message in ERR. */
struct sim_front *sim_front_start(struct listener *l, int lfd, char *err, size_t errlen);
/* Stops accepting and ends every connection the front serves itself (not
 * those handed to the daemon: stopping the daemon ends them). Returns the
 * listening socket, still open, for the caller to keep or close. */
int sim_front_stop(struct sim_front *f);

/* ------------------------------------------------------- server_h2.c */

/* Serves the HTTP/2 connection FD (a TCP socket whose TLS ClientHello
 * offered h2) for L until it ends; the caller closes FD. RADDR is the client's address
 * as "host:port". STOP_FD becomes readable when the listener stops. */
void sim_h2_serve(struct listener *l, int fd, const char *raddr, int stop_fd);

#endif
