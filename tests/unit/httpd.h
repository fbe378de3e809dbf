/* A tiny HTTP/1.1 server on 127.0.0.1 for the client tests.
 *
 * It listens on an ephemeral port and serves each connection from its own
 * thread, with keep-alive. Routes (by path, query ignored):
 *   /ok            200 {"ok":true}, X-Consul-Index: 42, X-Consul-KnownLeader: true
 *   /echo          200, the request head (request line and headers) as body
 *   /text-error    403 plain text that repeats the request's X-Consul-Token
 *                  and Authorization values (a server that echoes secrets)
 *   /status-error  404 Kubernetes Status object
 *   /big           200 with Content-Length: 100000
 *   /big-chunked   200 chunked, 100000 bytes
 *   /slow          answers after 5 s (or when the server stops); held meanwhile
 *   /stream        200 chunked, several pieces that split lines
 *   /post          200, the request body as body
 *   /empty         200 with an empty body
 *   /ok-then-close 200 without "Connection: close", then the server hangs up
 *   /unauthorized  401 Kubernetes Status "Unauthorized"
 *   /hostile-text  502 plain text with OSC, CSI, a C1 CSI, U+202E, a bad byte
 *   /hostile-status 500 Kubernetes Status whose message carries the same
 *   /endless/...   200 chunked 'x' that never ends (until the server stops)
 *   /gzbomb/...    200 gzip of 256 MiB of '0' (about 256 KiB on the wire)
 *   /longheader/...  200 with a 200,000-byte header line
 *   /redirect/...  302 to a URL with userinfo and a token
 * Requests in proxy form ("GET http://host/path") are served by path, so the
 * server also stands in for an HTTP proxy.
 * Anything else: 404 "Invalid URL path: not a recognized HTTP API endpoint".
 */
#ifndef PEERSCOPE_TESTS_HTTPD_H
#define PEERSCOPE_TESTS_HTTPD_H

#include <stdatomic.h>

struct httpd;

struct httpd *httpd_start(void);
void httpd_stop(struct httpd *s);
int httpd_port(const struct httpd *s);
/* Connections accepted so far. */
int httpd_connections(const struct httpd *s);
/* Responses sent in full so far. */
int httpd_answers(const struct httpd *s);
/* Requests to /slow being held now. */
int httpd_held(const struct httpd *s);
/* The parts /stream sends, concatenated. */
extern const char httpd_stream_text[];

#endif
