/* http: pure helpers, and every transfer path against a loopback server. */
#include "autoconfig.h"

#include "heap.h"
#include "httpd.h"
#include "unit.h"

#include "peerscope/http.h"
#include "peerscope/log.h"
#include "peerscope/monotime.h"
#include "peerscope/redact.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <time.h>
#include <unistd.h>

#define TOKEN  "c0ffee00-planted-consul-token-1234"
#define BEARER "planted-bearer-token-abcdef"

static struct httpd *srv;
static char base[64];

/* Every log line the clients write goes to this file, to look for secrets. */
static FILE *log_file;
static struct log_sink *sink;

static void read_log(char *buf, size_t len)
{
	size_t n;

	fflush(log_file);
	rewind(log_file);
	n = fread(buf, 1, len - 1, log_file);
	buf[n] = '\0';
}

static void setup(void)
{
	srv = httpd_start();
	ck_assert_ptr_nonnull(srv);
	log_file = tmpfile();
	ck_assert_ptr_nonnull(log_file);
	sink = log_open_stream(log_file, LOG_LEVEL_DEBUG);
	ck_assert_ptr_nonnull(sink);
	snprintf(base, sizeof base, "http://127.0.0.1:%d", httpd_port(srv));
}

static void teardown(void)
{
	httpd_stop(srv);
	srv = NULL;
	log_close(sink);
	fclose(log_file);
}

static struct http_client *client_with(long timeout_ms, size_t max_body)
{
	struct http_options o = {
	        .cluster = "dc1",
	        .base_url = base,
	        .auth = {.consul_token = TOKEN, .bearer_token = BEARER},
	        .proxy_url = "",
	        .timeout_ms = timeout_ms,
	        .max_body = max_body,
	        .log = sink,
	};
	struct http_error err;
	struct http_client *c = http_client_new(&o, &err);
	ck_assert_msg(c != NULL, "client: %s", err.message);
	return c;
}

static struct http_client *client(void)
{
	return client_with(0, 0);
}

/* GET PATH on C, which must fail; the response is dropped, *err kept. */
static void get_fails(struct http_client *c, const char *path, struct http_error *err)
{
	struct http_response r = {0};
	struct http_request req = {.path = path};

	ck_assert_int_eq(http_do(c, &req, &r, err), -1);
	http_response_clear(&r);
}

/* ---------------------------------------------------------------- pure */

START_TEST(long_poll_timeout)
{
	ck_assert_int_eq(http_long_poll_timeout_ms(300000),
	                 300000 + 18750 + HTTP_LONG_POLL_MARGIN_MS);
	ck_assert_int_eq(http_long_poll_timeout_ms(16000), 16000 + 1000 + HTTP_LONG_POLL_MARGIN_MS);
	ck_assert_int_eq(http_long_poll_timeout_ms(0), HTTP_DEFAULT_TIMEOUT_MS);
}
END_TEST

START_TEST(redacted_url)
{
	char out[256];

	redact_url("https://user:pw@h:8501/v1/x?token=abc&dc=dc1", out, sizeof out);
	ck_assert_str_eq(out, "https://h:8501/v1/x?token=REDACTED&dc=dc1");
	redact_url("http://h/v1/x?dc=dc1&Access_Token=zz#frag", out, sizeof out);
	ck_assert_str_eq(out, "http://h/v1/x?dc=dc1&Access_Token=REDACTED#frag");
	redact_url("http://h/v1/peerings?index=5&wait=10s", out, sizeof out);
	ck_assert_str_eq(out, "http://h/v1/peerings?index=5&wait=10s");
	redact_url("http://h/a?tokenish=1&token", out, sizeof out);
	ck_assert_str_eq(out, "http://h/a?tokenish=1&token");
	redact_url("http://verylonghostname/abcdef", out, 12);
	ck_assert_str_eq(out, "http://very");
}
END_TEST

START_TEST(escape)
{
	char *e = http_escape("a b/c?d&é~");
	ck_assert_str_eq(e, "a%20b%2Fc%3Fd%26%C3%A9~");
	free(e);
}
END_TEST

START_TEST(error_format)
{
	struct http_error e = {0};
	char buf[512];

	ck_assert_str_eq(http_error_format(&e, buf, sizeof buf), "");
	snprintf(e.cluster, sizeof e.cluster, "dc1");
	snprintf(e.method, sizeof e.method, "GET");
	snprintf(e.url, sizeof e.url, "https://h/v1/peerings");
	e.kind = HTTP_ERR_STATUS;
	e.status = 403;
	snprintf(e.message, sizeof e.message, "ACL not found");
	ck_assert_str_eq(http_error_format(&e, buf, sizeof buf),
	                 "dc1: GET https://h/v1/peerings: HTTP 403: ACL not found");
	e.status = 0;
	e.message[0] = '\0';
	e.kind = HTTP_ERR_TRANSPORT;
	snprintf(e.curl_text, sizeof e.curl_text, "Connection refused");
	ck_assert_str_eq(http_error_format(&e, buf, sizeof buf),
	                 "dc1: GET https://h/v1/peerings (Connection refused)");
	e.kind = HTTP_ERR_TIMEOUT;
	e.curl_text[0] = '\0';
	ck_assert_str_eq(http_error_format(&e, buf, sizeof buf),
	                 "dc1: GET https://h/v1/peerings: timed out");
	http_error_format(&e, buf, 8);
	ck_assert_str_eq(buf, "dc1: GE");
}
END_TEST

START_TEST(bad_options)
{
	struct http_error err;
	struct http_options o = {.cluster = "dc9", .base_url = "ftp://x"};

	ck_assert_ptr_null(http_client_new(&o, &err));
	ck_assert_int_eq(err.kind, HTTP_ERR_USAGE);
	ck_assert_str_eq(err.cluster, "dc9");
	ck_assert_ptr_nonnull(strstr(err.message, "http://"));
	o.base_url = "https://consul:8501/?token=abc";
	ck_assert_ptr_null(http_client_new(&o, &err));
	ck_assert_str_eq(err.message, "the address may not carry a query or a fragment");
	ck_assert_str_eq(err.url, "https://consul:8501/?token=REDACTED");
	o.base_url = NULL;
	ck_assert_ptr_null(http_client_new(&o, &err));
	ck_assert_ptr_nonnull(strstr(err.message, "no address"));
	o.base_url = "http://x";
	o.auth.bearer_token = "t";
	o.auth.username = "u";
	ck_assert_ptr_null(http_client_new(&o, &err));
	ck_assert_int_eq(err.kind, HTTP_ERR_USAGE);
}
END_TEST

/* ---------------------------------------------------------------- transfers */

START_TEST(get_ok_headers)
{
	struct http_client *c = client();
	struct http_response r = {0};
	struct http_error err;
	struct http_request req = {.path = "/ok?index=1"};

	ck_assert_int_eq(http_do(c, &req, &r, &err), 0);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(r.body, "{\"ok\":true}");
	ck_assert_uint_eq(r.body_len, 11);
	ck_assert_str_eq(http_response_header(&r, "x-consul-index"), "42");
	ck_assert_str_eq(http_response_header(&r, "X-Consul-KnownLeader"), "true");
	ck_assert_str_eq(r.content_type, "application/json");
	ck_assert_ptr_null(http_response_header(&r, "X-Nope"));
	ck_assert_int_eq(err.kind, HTTP_ERR_NONE);
	http_response_clear(&r);
	http_client_free(c);
}
END_TEST

START_TEST(auth_headers_sent)
{
	struct http_client *c = client();
	struct http_response r = {0};
	struct http_header extra = {"Accept", "application/json"};
	struct http_request req = {.path = "/echo", .headers = &extra, .nheaders = 1};

	ck_assert_int_eq(http_do(c, &req, &r, NULL), 0);
	ck_assert_ptr_nonnull(strstr(r.body, "GET /echo HTTP/1.1"));
	ck_assert_ptr_nonnull(strstr(r.body, "X-Consul-Token: " TOKEN));
	ck_assert_ptr_nonnull(strstr(r.body, "Authorization: Bearer " BEARER));
	ck_assert_ptr_nonnull(strstr(r.body, "Accept: application/json"));
	ck_assert_ptr_nonnull(strstr(r.body, "User-Agent: peerscope/"));
	/* Any encoding libcurl can inflate is accepted, unless the request
	 * asks for the answer as it is. */
	ck_assert_ptr_nonnull(strstr(r.body, "Accept-Encoding: "));
	http_response_clear(&r);
	req.identity = true;
	ck_assert_int_eq(http_do(c, &req, &r, NULL), 0);
	ck_assert_ptr_null(strstr(r.body, "Accept-Encoding"));
	http_response_clear(&r);
	req.identity = false;

	/* A refreshed bearer token replaces the old one. */
	ck_assert_int_eq(http_client_set_bearer(c, "second-bearer"), 0);
	ck_assert_int_eq(http_do(c, &req, &r, NULL), 0);
	ck_assert_ptr_nonnull(strstr(r.body, "Authorization: Bearer second-bearer"));
	ck_assert_ptr_null(strstr(r.body, BEARER));
	http_response_clear(&r);
	http_client_free(c);
}
END_TEST

START_TEST(post_put_delete)
{
	struct http_client *c = client();
	struct http_response r = {0};
	struct http_request req = {
	        .method = "POST", .path = "/post", .body = "{\"PeerName\":\"a\"}"};

	ck_assert_int_eq(http_do(c, &req, &r, NULL), 0);
	ck_assert_str_eq(r.body, "{\"PeerName\":\"a\"}");
	req.method = "PUT";
	req.body = "abcdef";
	req.body_len = 3;
	ck_assert_int_eq(http_do(c, &req, &r, NULL), 0);
	ck_assert_str_eq(r.body, "abc");
	/* A body many times the upload buffer (16 KiB) arrives whole: an
	 * exported-services entry of thousands of services. */
	size_t big = 48 * 1024; /* the test server reads 64 KiB */
	char *body = malloc(big);
	ck_assert_ptr_nonnull(body);
	for (size_t i = 0; i < big; i++)
		body[i] = (char)('a' + i % 23);
	req.body = body;
	req.body_len = big;
	ck_assert_int_eq(http_do(c, &req, &r, NULL), 0);
	ck_assert_uint_eq(r.body_len, big);
	ck_assert(memcmp(r.body, body, big) == 0);
	free(body);
	struct http_request del = {.method = "DELETE", .path = "/empty"};
	ck_assert_int_eq(http_do(c, &del, &r, NULL), 0);
	ck_assert_int_eq(r.status, 200);
	ck_assert_uint_eq(r.body_len, 0);
	http_response_clear(&r);
	http_client_free(c);
}
END_TEST

START_TEST(consul_text_error)
{
	struct http_client *c = client();
	struct http_response r = {0};
	struct http_error err;
	char buf[1024], logs[8192];
	struct http_request req = {.path = "/text-error?token=" TOKEN};

	ck_assert_int_eq(http_do(c, &req, &r, &err), -1);
	ck_assert_int_eq(err.kind, HTTP_ERR_STATUS);
	ck_assert_int_eq(err.status, 403);
	ck_assert_int_eq(r.status, 403);
	ck_assert_str_eq(err.cluster, "dc1");
	ck_assert_str_eq(err.method, "GET");
	ck_assert_ptr_nonnull(strstr(err.url, "/text-error?token=REDACTED"));
	ck_assert_ptr_nonnull(strstr(err.message, "Permission denied: token [REDACTED]"));
	/* The planted secrets are in the body, but in no error or log line. */
	ck_assert_ptr_nonnull(strstr(r.body, TOKEN));
	http_error_format(&err, buf, sizeof buf);
	ck_assert_ptr_null(strstr(buf, TOKEN));
	ck_assert_ptr_null(strstr(buf, BEARER));
	read_log(logs, sizeof logs);
	ck_assert_ptr_nonnull(strstr(logs, "HTTP 403"));
	ck_assert_ptr_null(strstr(logs, TOKEN));
	ck_assert_ptr_null(strstr(logs, BEARER));
	http_response_clear(&r);
	http_client_free(c);
}
END_TEST

START_TEST(kube_status_error)
{
	struct http_client *c = client();
	struct http_response r = {0};
	struct http_error err;
	struct http_request req = {.path = "/status-error"};

	ck_assert_int_eq(http_do(c, &req, &r, &err), -1);
	ck_assert_int_eq(err.status, 404);
	ck_assert_str_eq(err.message, "peeringacceptors.consul.hashicorp.com \"x\" not found");
	ck_assert_ptr_nonnull(strstr(r.body, "\"reason\":\"NotFound\""));
	http_response_clear(&r);
	get_fails(c, "/nowhere", &err);
	ck_assert_str_eq(err.message, "Invalid URL path: not a recognized HTTP API endpoint");
	http_client_free(c);
}
END_TEST

/* True when S holds no byte a terminal acts on: no C0 control, no C1
 * control (UTF-8 or bare), no U+202E, no byte that is not UTF-8 here. */
static bool shows_safely(const char *s)
{
	const unsigned char *u = (const unsigned char *)s;

	for (size_t i = 0; u[i]; i++) {
		if (u[i] < 0x20 || u[i] == 0x7f || u[i] == 0xff || u[i] == 0xfe)
			return false;
		if (u[i] == 0xc2 && u[i + 1] >= 0x80 && u[i + 1] <= 0x9f)
			return false;
		if (u[i] == 0xe2 && u[i + 1] == 0x80 && u[i + 2] == 0xae)
			return false;
		if (u[i] >= 0x80 && u[i] < 0xc0 && (i == 0 || u[i - 1] < 0x80))
			return false; /* a bare continuation byte */
	}
	return true;
}

START_TEST(hostile_error_bodies)
{
	struct http_client *c = client();
	struct http_error err;
	char buf[1024], logs[16384];

	get_fails(c, "/hostile-text", &err);
	ck_assert_int_eq(err.status, 502);
	ck_assert_msg(shows_safely(err.message), "message: %s", err.message);
	ck_assert_msg(strstr(err.message, "bad gateway \\x1b]0;pwn\\x07") != NULL, "%s",
	              err.message);
	http_error_format(&err, buf, sizeof buf);
	ck_assert_msg(shows_safely(buf), "formatted: %s", buf);
	get_fails(c, "/hostile-status", &err);
	ck_assert_int_eq(err.status, 500);
	ck_assert_msg(shows_safely(err.message), "message: %s", err.message);
	ck_assert_msg(strstr(err.message, "boom \\x1b]52;c;eA==\\x07\\u009b\\u202e") != NULL, "%s",
	              err.message);
	/* The log line of each failure is safe too. */
	read_log(logs, sizeof logs);
	ck_assert_msg(strstr(logs, "HTTP 502") && strstr(logs, "HTTP 500"), "%s", logs);
	for (char *line = strtok(logs, "\n"); line; line = strtok(NULL, "\n"))
		ck_assert_msg(shows_safely(line), "log line: %s", line);
	http_client_free(c);
}
END_TEST

START_TEST(size_cap)
{
	struct http_client *c = client_with(0, 50000);
	struct http_response r = {0};
	struct http_error err;
	char buf[1024];
	struct http_request req = {.path = "/big-chunked"};

	get_fails(c, "/big", &err);
	ck_assert_int_eq(err.kind, HTTP_ERR_TOO_LARGE);
	http_error_format(&err, buf, sizeof buf);
	ck_assert_msg(strstr(buf, "larger than the limit of 50000 bytes") != NULL, "%s", buf);
	ck_assert_msg(strstr(buf, "/big") != NULL, "%s", buf);
	get_fails(c, "/big-chunked", &err);
	ck_assert_int_eq(err.kind, HTTP_ERR_TOO_LARGE);
	http_client_free(c);

	c = client_with(0, 200000);
	ck_assert_int_eq(http_do(c, &req, &r, &err), 0);
	ck_assert_uint_eq(r.body_len, 100000);
	http_response_clear(&r);
	http_client_free(c);
}
END_TEST

/* A large answer read through http_do counts towards giving the heap back:
 * its callback takes the body, and the length counted was once read after
 * it, always 0, so a --once or an operation never led to a trim. */
START_TEST(large_answer_counts_for_the_heap)
{
	struct http_client *c = client_with(0, 200000);
	struct http_response r = {0};
	struct http_error err;
	struct http_request req = {.path = "/big"};

	ck_assert_int_eq(http_do(c, &req, &r, &err), 0);
	ck_assert_uint_eq(r.body_len, 100000);
	http_response_clear(&r);
	http_client_free(c);
	int64_t end = monotime_ms() + 5000;
	bool trimmed = false;
	while (!trimmed && monotime_ms() < end) {
		trimmed = heap_settle();
		if (!trimmed)
			usleep(20000);
	}
	ck_assert_msg(trimmed, "a 100,000-byte answer: no trim after it");
}
END_TEST

START_TEST(timeout)
{
	struct http_client *c = client_with(300, 0);
	struct http_error err;
	double t0 = monotime_s();

	get_fails(c, "/slow", &err);
	ck_assert_int_eq(err.kind, HTTP_ERR_TIMEOUT);
	ck_assert_double_lt(monotime_s() - t0, 2.0);
	http_client_free(c);
}
END_TEST

START_TEST(connection_refused)
{
	struct http_options o = {
	        .cluster = "dc2", .base_url = "http://127.0.0.1:1", .proxy_url = ""};
	struct http_client *c = http_client_new(&o, NULL);
	struct http_response r = {0};
	struct http_error err;
	char buf[1024];
	struct http_request req = {.path = "/v1/status/leader"};

	ck_assert_int_eq(http_do(c, &req, &r, &err), -1);
	ck_assert_int_eq(err.kind, HTTP_ERR_TRANSPORT);
	ck_assert_int_eq(err.status, 0);
	ck_assert_str_ne(err.curl_text, "");
	http_error_format(&err, buf, sizeof buf);
	ck_assert_msg(!strncmp(buf, "dc2: GET http://127.0.0.1:1/v1/status/leader (", 46), "%s",
	              buf);
	http_client_free(c);
}
END_TEST

START_TEST(keep_alive)
{
	struct http_client *c = client();
	struct http_response r = {0};
	struct http_request req = {.path = "/ok"};

	for (int i = 0; i < 5; i++) {
		ck_assert_int_eq(http_do(c, &req, &r, NULL), 0);
		http_response_clear(&r);
	}
	ck_assert_int_eq(httpd_connections(srv), 1);
	http_client_free(c);
}
END_TEST

/* A server that drops kept-alive connections (a restart, an idle timeout)
 * costs a new connection, not a failed request. */
START_TEST(dropped_connection_is_replaced)
{
	struct http_client *c = client();
	struct http_response r = {0};
	struct http_error err;
	struct http_request req = {.path = "/ok-then-close"};

	for (int i = 0; i < 3; i++) {
		ck_assert_msg(http_do(c, &req, &r, &err) == 0, "request %d: %s", i, err.curl_text);
		http_response_clear(&r);
	}
	ck_assert_int_eq(httpd_connections(srv), 3);
	http_client_free(c);
}
END_TEST

START_TEST(server_name_override)
{
	struct http_options o = {
	        .cluster = "dc1",
	        .base_url = base,
	        .proxy_url = "",
	        .tls = {.server_name = "server.dc1.peering.example"},
	};
	struct http_client *c = http_client_new(&o, NULL);
	struct http_response r = {0};
	struct http_error err;
	struct http_request req = {.path = "/echo"};
	char host[80];

	ck_assert_ptr_nonnull(c);
	ck_assert_str_eq(http_client_base_url(c), base);
	ck_assert_int_eq(http_do(c, &req, &r, &err), 0);
	snprintf(host, sizeof host, "Host: 127.0.0.1:%d", httpd_port(srv));
	ck_assert_msg(strstr(r.body, host) != NULL, "%s", r.body);
	http_response_clear(&r);
	get_fails(c, "/nowhere", &err);
	ck_assert_ptr_nonnull(strstr(err.url, base));
	http_client_free(c);
}
END_TEST

START_TEST(proxy_honoured)
{
	char proxy[64];
	struct http_options o = {.cluster = "dc1", .base_url = "http://consul.invalid:8500"};
	struct http_client *c;
	struct http_response r = {0};
	struct http_error err;
	struct http_request req = {.path = "/echo"};

	snprintf(proxy, sizeof proxy, "http://127.0.0.1:%d", httpd_port(srv));
	o.proxy_url = proxy;
	c = http_client_new(&o, NULL);
	ck_assert_int_eq(http_do(c, &req, &r, &err), 0);
	ck_assert_msg(strstr(r.body, "GET http://consul.invalid:8500/echo HTTP/1.1") != NULL, "%s",
	              r.body);
	http_response_clear(&r);
	http_client_free(c);

	/* From the environment when not set; "" turns every proxy off. */
	setenv("http_proxy", proxy, 1);
	o.proxy_url = NULL;
	c = http_client_new(&o, NULL);
	ck_assert_int_eq(http_do(c, &req, &r, &err), 0);
	ck_assert_ptr_nonnull(strstr(r.body, "GET http://consul.invalid:8500/echo"));
	http_response_clear(&r);
	http_client_free(c);
	o.proxy_url = "";
	o.base_url = base;
	c = http_client_new(&o, NULL);
	ck_assert_int_eq(http_do(c, &req, &r, &err), 0);
	ck_assert_ptr_nonnull(strstr(r.body, "GET /echo HTTP/1.1"));
	unsetenv("http_proxy");
	http_response_clear(&r);
	http_client_free(c);
}
END_TEST

struct chunks {
	char text[256];
	size_t len;
	int calls;
	int stop_after;
};

static int on_chunk(void *ctx, const char *data, size_t len)
{
	struct chunks *ch = ctx;
	if (ch->len + len < sizeof ch->text) {
		memcpy(ch->text + ch->len, data, len);
		ch->len += len;
		ch->text[ch->len] = '\0';
	}
	return ++ch->calls == ch->stop_after;
}

START_TEST(streaming)
{
	struct http_client *c = client();
	struct http_response r = {0};
	struct http_error err;
	struct chunks ch = {0};
	struct http_request req = {.path = "/stream", .on_chunk = on_chunk, .chunk_ctx = &ch};

	ck_assert_int_eq(http_do(c, &req, &r, &err), 0);
	ck_assert_str_eq(ch.text, httpd_stream_text);
	ck_assert_int_ge(ch.calls, 2);
	ck_assert_ptr_null(r.body);
	http_response_clear(&r);

	memset(&ch, 0, sizeof ch);
	ch.stop_after = 1;
	ck_assert_int_eq(http_do(c, &req, &r, &err), -1);
	ck_assert_int_eq(err.kind, HTTP_ERR_CALLBACK);
	http_response_clear(&r);

	/* The size cap bounds collected bodies, not streams. */
	struct http_client *small = client_with(0, 16);
	memset(&ch, 0, sizeof ch);
	ck_assert_int_eq(http_do(small, &req, &r, &err), 0);
	ck_assert_str_eq(ch.text, httpd_stream_text);
	http_response_clear(&r);
	http_client_free(small);

	/* A non-2xx answer is not streamed but kept for the error. */
	memset(&ch, 0, sizeof ch);
	req.path = "/status-error";
	ck_assert_int_eq(http_do(c, &req, &r, &err), -1);
	ck_assert_int_eq(ch.calls, 0);
	ck_assert_int_eq(err.status, 404);
	ck_assert_ptr_nonnull(strstr(err.message, "not found"));
	http_response_clear(&r);
	http_client_free(c);
}
END_TEST

struct canceller {
	struct http_client *c;
	struct http_multi *m;
	atomic_bool *flag;
	int held;          /* fires once the server holds this many /slow requests */
	_Atomic double at; /* when it fired; 0 before */
};

/* Waits (5 s at most) until the server holds N requests to /slow: then
 * whoever sent them is waiting for their answers. */
static void wait_held(int n)
{
	double end = monotime_s() + 5;

	while (httpd_held(srv) < n && monotime_s() < end)
		nanosleep(&(struct timespec){.tv_nsec = 1000000L}, NULL);
}

static void *cancel_later(void *arg)
{
	struct canceller *k = arg;

	wait_held(k->held);
	k->at = monotime_s();
	if (k->c)
		http_client_cancel(k->c);
	if (k->flag)
		atomic_store(k->flag, true);
	if (k->m)
		http_multi_wakeup(k->m);
	return NULL;
}

/* A cancel or wakeup ends what it ends at once: in milliseconds, where the
 * held requests would run for a minute (their wait), a wait for them 20 s,
 * or until the test's timeout (/slow is held until the server ends it). The bound only tells
 * those apart; how fast it is belongs to make bench-client, not
 * to a test that a loaded machine would fail. */
#define PROMPT_S 2.0

/* Runs REQ on C, which must fail, while K fires from another thread; the
 * seconds from the firing to the return. */
static double run_cancelled(struct http_client *c, const struct http_request *req,
                            struct canceller *k, struct http_error *err)
{
	struct http_response r = {0};
	pthread_t th;

	pthread_create(&th, NULL, cancel_later, k);
	ck_assert_int_eq(http_do(c, req, &r, err), -1);
	double latency = monotime_s() - k->at;
	pthread_join(th, NULL);
	http_response_clear(&r);
	return latency;
}

START_TEST(cancel_client)
{
	struct http_client *c = client();
	struct http_error err;
	struct http_request req = {.path = "/slow"};
	struct canceller k = {.c = c, .held = 1};

	double latency = run_cancelled(c, &req, &k, &err);
	ck_assert_int_eq(err.kind, HTTP_ERR_CANCELLED);
	ck_assert_msg(latency < PROMPT_S, "cancel took %.3f s", latency);
	ck_assert(http_client_cancelled(c));
	/* A cancelled client refuses new work at once. */
	get_fails(c, "/slow", &err);
	ck_assert_int_eq(err.kind, HTTP_ERR_CANCELLED);
	http_client_free(c);
}
END_TEST

START_TEST(cancel_flag)
{
	struct http_client *c = client();
	struct http_error err;
	atomic_bool flag = false;
	struct http_request req = {.path = "/slow", .cancel = &flag};
	struct canceller k = {.flag = &flag, .held = 1};

	double latency = run_cancelled(c, &req, &k, &err);
	ck_assert_int_eq(err.kind, HTTP_ERR_CANCELLED);
	ck_assert_msg(latency < PROMPT_S, "cancel took %.3f s", latency);
	ck_assert(!http_client_cancelled(c));
	http_client_free(c);
}
END_TEST

struct tally {
	int ok, failed;
	long last_status;
	char body[64];
};

static void count_done(void *ctx, int rc, struct http_response *resp, struct http_error *err)
{
	struct tally *t = ctx;
	(void)err;
	if (rc == 0)
		t->ok++;
	else
		t->failed++;
	t->last_status = resp->status;
	snprintf(t->body, sizeof t->body, "%s", resp->body ? resp->body : "");
}

START_TEST(multi_concurrent)
{
	struct http_client *c = client();
	struct http_multi *m = http_multi_new();
	struct tally t = {0}, slow = {0};
	struct http_request ok = {.path = "/ok"}, s = {.path = "/slow"};

	ck_assert_ptr_nonnull(m);
	for (int i = 0; i < 4; i++)
		ck_assert_ptr_nonnull(http_multi_add(m, c, &ok, count_done, &t, NULL));
	struct http_xfer *x = http_multi_add(m, c, &s, count_done, &slow, NULL);
	ck_assert_ptr_nonnull(x);
	ck_assert_uint_eq(http_multi_pending(m), 5);
	double t0 = monotime_s();
	while (t.ok + t.failed < 4 && monotime_s() - t0 < 5)
		ck_assert_int_ge(http_multi_run(m, 100), 0);
	ck_assert_int_eq(t.ok, 4);
	ck_assert_str_eq(t.body, "{\"ok\":true}");
	ck_assert_uint_eq(http_multi_pending(m), 1);
	/* The slow one is abandoned without a callback. */
	http_multi_remove(m, x);
	ck_assert_uint_eq(http_multi_pending(m), 0);
	ck_assert_int_eq(slow.ok + slow.failed, 0);
	http_multi_free(m);
	http_client_free(c);
}
END_TEST

/* An answer that the first perform of a run reads completes at once: the run
 * must not then wait for the other transfers' sockets (the answer's socket
 * is already drained and would not wake the wait). */
START_TEST(multi_answer_read_before_wait)
{
	struct http_client *c = client();
	struct http_multi *m = http_multi_new();
	struct tally t = {0}, slow = {0};
	struct http_request ok = {.path = "/ok"}, s = {.path = "/slow"};

	ck_assert_ptr_nonnull(http_multi_add(m, c, &s, count_done, &slow, NULL));
	/* Start the slow one, and its connection, first. */
	ck_assert_int_eq(http_multi_run(m, 200), 1);
	ck_assert_ptr_nonnull(http_multi_add(m, c, &ok, count_done, &t, NULL));
	/* Send the request, then let the answer arrive while nobody reads. */
	int answered = httpd_answers(srv);
	ck_assert_int_ge(http_multi_run(m, 0), 1);
	for (int i = 0; i < 50 && t.ok == 0; i++) {
		/* The server has sent it (or, when the request is not out yet,
		 * 20 ms pass: the run below sends it). */
		double end = monotime_s() + 0.02;
		while (httpd_answers(srv) == answered && monotime_s() < end)
			nanosleep(&(struct timespec){.tv_nsec = 1000000L}, NULL);
		if (t.ok == 0) {
			double t0 = monotime_s();
			ck_assert_int_ge(http_multi_run(m, 4000), 1);
			/* /slow answers after 5 s: a run that waited 4 s failed. */
			ck_assert_msg(monotime_s() - t0 < 2.0, "the run waited %.3f s",
			              monotime_s() - t0);
		}
	}
	ck_assert_int_eq(t.ok, 1);
	ck_assert_int_eq(slow.ok + slow.failed, 0);
	http_multi_free(m);
	http_client_free(c);
}
END_TEST

/* A compressed answer announces the bytes it carries, not the body they
 * inflate to (Consul gzips every answer: consul agent/http.go, gziphandler
 * with MinSize(0)). Its buffer grows by doubling, and a body the budget
 * holds must not be refused because the next power of two would not fit;
 * the same request again starts from the size of its last answer. */
START_TEST(multi_compressed_body_within_budget)
{
	struct http_client *c = client();
	struct http_multi *m = http_multi_new();
	struct http_request req = {.path = "/gzip/1000001", .max_body = 4u << 20};

	/* Exactly the body and its NUL: no power of two from 4 KB is. */
	http_multi_set_budget(m, 1000002);
	for (int round = 0; round < 2; round++) {
		struct tally t = {0};
		ck_assert_ptr_nonnull(http_multi_add(m, c, &req, count_done, &t, NULL));
		double t0 = monotime_s();
		while (t.ok + t.failed < 1 && monotime_s() - t0 < 5)
			ck_assert_int_ge(http_multi_run(m, 100), 0);
		ck_assert_msg(t.ok == 1, "round %d: status %ld", round, t.last_status);
		ck_assert_int_eq(t.body[0], '[');
	}
	http_multi_free(m);
	http_client_free(c);
}
END_TEST

START_TEST(multi_wakeup_and_shutdown)
{
	struct http_client *c = client();
	struct http_multi *m = http_multi_new();
	struct tally t = {0};
	struct http_request s = {.path = "/slow", .wait_ms = 60000};
	struct canceller k = {.m = m, .held = 3};
	pthread_t th;

	for (int i = 0; i < 3; i++)
		ck_assert_ptr_nonnull(http_multi_add(m, c, &s, count_done, &t, NULL));
	/* A wakeup makes a long wait return early (the wait it came in, or the
	 * next one when it came between two), with the polls still running. */
	pthread_create(&th, NULL, cancel_later, &k);
	double t0 = monotime_s();
	while (monotime_s() - t0 < 5.0 && k.at == 0)
		ck_assert_int_eq(http_multi_run(m, 20000), 3);
	double latency = monotime_s() - k.at;
	pthread_join(th, NULL);
	ck_assert_msg(latency < PROMPT_S, "wakeup took %.3f s", latency);
	ck_assert_int_eq(t.ok + t.failed, 0);

	/* Shutdown: cancelling the client ends all of them at once. */
	struct canceller k2 = {.c = c, .held = 3};
	pthread_create(&th, NULL, cancel_later, &k2);
	while (http_multi_pending(m) > 0)
		ck_assert_int_ge(http_multi_run(m, 20000), 0);
	latency = monotime_s() - k2.at;
	pthread_join(th, NULL);
	ck_assert_msg(latency < PROMPT_S, "shutdown took %.3f s", latency);
	ck_assert_int_eq(t.failed, 3);
	http_multi_free(m);
	http_client_free(c);
}
END_TEST

/* Adds N long polls to /slow on M, counted in T, and runs M until the
 * server holds them all. */
static void hold_long_polls(struct http_multi *m, struct http_client *c, int n, struct tally *t)
{
	struct http_request s = {.path = "/slow", .wait_ms = 60000};

	for (int i = 0; i < n; i++)
		ck_assert_ptr_nonnull(http_multi_add(m, c, &s, count_done, t, NULL));
	double t0 = monotime_s();
	while (httpd_held(srv) < n && monotime_s() - t0 < 5)
		ck_assert_int_eq(http_multi_run(m, 50), n);
	ck_assert_int_eq(httpd_held(srv), n);
}

/* Runs M until T has N answers, each added with REQ and prompt; fails on a
 * run that returned fewer than LEAST pending. */
static void answered_in_turn(struct http_multi *m, struct http_client *c,
                             const struct http_request *req, struct tally *t, int n, int least)
{
	for (int i = 0; i < n; i++) {
		double r0 = monotime_s();
		int before = t->ok;
		ck_assert_ptr_nonnull(http_multi_add(m, c, req, count_done, t, NULL));
		while (t->ok + t->failed == before && monotime_s() - r0 < PROMPT_S)
			ck_assert_int_ge(http_multi_run(m, 4000), least);
		ck_assert_msg(t->ok == before + 1, "request %d: answered in %.3f s", i,
		              monotime_s() - r0);
	}
}

/* A dozen quiet long polls, a connection each, stay open while short
 * requests come and go on the same multi (a kept connection each time),
 * each answered at once: no run holds an answer back in a wait on the
 * quiet polls' sockets. A way of driving libcurl that was tried and not
 * kept (doc/performance.md) held one for a whole 4 s wait when it read the
 * answer as the request went out. */
START_TEST(multi_quiet_polls_and_busy_requests)
{
	struct http_client *c = client();
	struct http_multi *m = http_multi_new();
	struct tally quiet = {0}, t = {0};
	struct http_request ok = {.path = "/ok"};

	hold_long_polls(m, c, 12, &quiet);
	answered_in_turn(m, c, &ok, &t, 20, 12);
	ck_assert_str_eq(t.body, "{\"ok\":true}");
	ck_assert_int_eq(quiet.ok + quiet.failed, 0);
	ck_assert_uint_eq(http_multi_pending(m), 12);
	http_multi_free(m);
	http_client_free(c);
}
END_TEST

/* curl_multi_perform() wrapped (mk/client.am), so that a test can tell
 * which of a multi's lanes were looked at: the most transfers a perform
 * reported running since the test last cleared it, the libcurl multi
 * performed last, and whether one other than ONLY_MULTI was. */
CURLMcode __real_curl_multi_perform(CURLM *multi, int *running);
CURLMcode __wrap_curl_multi_perform(CURLM *multi, int *running);
static int most_running;
static CURLM *last_multi, *only_multi;
static bool other_multi;

CURLMcode __wrap_curl_multi_perform(CURLM *multi, int *running)
{
	CURLMcode rc = __real_curl_multi_perform(multi, running);

	if (*running > most_running)
		most_running = *running;
	last_multi = multi;
	if (only_multi && multi != only_multi)
		other_multi = true;
	return rc;
}

/* A request marked apart (the stream poll) runs on a lane of its own: its
 * answers, read promptly, make libcurl look at none of the multi's long
 * polls (in libcurl 7.88 each such look is a poll() of the socket); before
 * the lanes every perform ran all 13 transfers. */
START_TEST(apart_requests_leave_the_long_polls_alone)
{
	struct http_client *c = client();
	struct http_multi *m = http_multi_new();
	struct tally quiet = {0}, t = {0};
	struct http_request ok = {.path = "/ok", .apart = true};

	hold_long_polls(m, c, 12, &quiet);
	/* Whatever is left of the long polls' start. */
	ck_assert_int_eq(http_multi_run(m, 0), 12);
	most_running = 0;
	answered_in_turn(m, c, &ok, &t, 20, 12);
	ck_assert_str_eq(t.body, "{\"ok\":true}");
	ck_assert_msg(most_running < 12, "a perform ran %d transfers", most_running);
	ck_assert_int_eq(quiet.ok + quiet.failed, 0);
	ck_assert_uint_eq(http_multi_pending(m), 12);
	http_multi_free(m);
	http_client_free(c);
}
END_TEST

/* The long polls' answers are read when they come while apart requests
 * keep the other lane busy: /slow answers after 5 s. */
START_TEST(long_polls_answered_beside_apart_requests)
{
	struct http_client *c = client();
	struct http_multi *m = http_multi_new();
	struct tally slow = {0}, t = {0};
	struct http_request ok = {.path = "/ok", .apart = true};

	hold_long_polls(m, c, 4, &slow);
	double held = monotime_s();
	/* One apart request at a time, each waited for, until the long polls
	 * have their answers. */
	while (slow.ok + slow.failed < 4 && monotime_s() - held < 5 + PROMPT_S) {
		int before = t.ok;
		ck_assert_ptr_nonnull(http_multi_add(m, c, &ok, count_done, &t, NULL));
		while (t.ok == before && monotime_s() - held < 5 + PROMPT_S)
			ck_assert_int_ge(http_multi_run(m, 4000), 0);
	}
	ck_assert_msg(slow.ok == 4, "%d of 4 long polls answered %.3f s after the hold", slow.ok,
	              monotime_s() - held);
	ck_assert_int_gt(t.ok, 0);
	/* And an answer to the main lane alone is read too. */
	struct http_request plain = {.path = "/ok"};
	answered_in_turn(m, c, &plain, &t, 3, 0);
	http_multi_free(m);
	http_client_free(c);
}
END_TEST

/* A socket numbered beyond FD_SETSIZE cannot be listed for the wait
 * (curl_multi_fdset()): the apart lane's answer is still read promptly,
 * and the requests after it run on the main lane. */
START_TEST(apart_lane_beyond_fd_setsize)
{
	struct rlimit rl;
	ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &rl), 0);
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < FD_SETSIZE + 64) {
		fprintf(stderr, "skipped: the hard limit of open files is %lu\n",
		        (unsigned long)rl.rlim_max);
		return;
	}
	struct rlimit raised = {FD_SETSIZE + 64, rl.rlim_max};
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &raised), 0);
	struct http_client *c = client();
	struct http_multi *m = http_multi_new();
	struct tally quiet = {0}, t = {0};
	struct http_request ok = {.path = "/ok", .apart = true};

	hold_long_polls(m, c, 1, &quiet);
	CURLM *main_lane = last_multi;
	/* Every lower number taken: the apart lane's socket gets a high one. */
	static int fds[FD_SETSIZE];
	int nfds = 0, fd;
	while ((fd = dup(0)) >= 0 && fd < FD_SETSIZE)
		fds[nfds++] = fd;
	ck_assert_int_ge(fd, FD_SETSIZE);
	close(fd);
	answered_in_turn(m, c, &ok, &t, 3, 1);
	for (int i = 0; i < nfds; i++)
		close(fds[i]);
	/* On the main lane now, beside the long poll, for the multi's life. */
	only_multi = main_lane;
	other_multi = false;
	answered_in_turn(m, c, &ok, &t, 3, 1);
	only_multi = NULL;
	ck_assert_msg(!other_multi, "a request ran apart after the lane could not be watched");
	ck_assert_int_eq(quiet.ok + quiet.failed, 0);
	http_multi_free(m);
	http_client_free(c);
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);
}
END_TEST

static Suite *http_suite(void)
{
	Suite *s = suite_create("http");
	TCase *pure = tcase_create("pure");
	TCase *net = tcase_create("loopback");

	tcase_add_test(pure, long_poll_timeout);
	tcase_add_test(pure, redacted_url);
	tcase_add_test(pure, escape);
	tcase_add_test(pure, error_format);
	tcase_add_test(pure, bad_options);
	suite_add_tcase(s, pure);

	tcase_add_checked_fixture(net, setup, teardown);
	tcase_add_test(net, get_ok_headers);
	tcase_add_test(net, auth_headers_sent);
	tcase_add_test(net, post_put_delete);
	tcase_add_test(net, consul_text_error);
	tcase_add_test(net, kube_status_error);
	tcase_add_test(net, hostile_error_bodies);
	tcase_add_test(net, size_cap);
	tcase_add_test(net, large_answer_counts_for_the_heap);
	tcase_add_test(net, timeout);
	tcase_add_test(net, connection_refused);
	tcase_add_test(net, keep_alive);
	tcase_add_test(net, dropped_connection_is_replaced);
	tcase_add_test(net, server_name_override);
	tcase_add_test(net, proxy_honoured);
	tcase_add_test(net, streaming);
	tcase_add_test(net, cancel_client);
	tcase_add_test(net, cancel_flag);
	tcase_add_test(net, multi_concurrent);
	tcase_add_test(net, multi_answer_read_before_wait);
	tcase_add_test(net, multi_compressed_body_within_budget);
	tcase_add_test(net, multi_wakeup_and_shutdown);
	tcase_add_test(net, multi_quiet_polls_and_busy_requests);
	tcase_add_test(net, apart_requests_leave_the_long_polls_alone);
	tcase_add_test(net, apart_lane_beyond_fd_setsize);
	suite_add_tcase(s, net);

	/* /slow answers after 5 s, beyond check's default 4 s. */
	TCase *slow = tcase_create("loopback, 5 s answers");
	tcase_add_checked_fixture(slow, setup, teardown);
	tcase_set_timeout(slow, 30);
	tcase_add_test(slow, long_polls_answered_beside_apart_requests);
	suite_add_tcase(s, slow);
	return s;
}

UNIT_MAIN(http_suite)
