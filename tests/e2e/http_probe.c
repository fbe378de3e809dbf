/* http_probe: one request through the http module, for the end-to-end tests.
 *
 *   http_probe [options] URL PATH
 *     --ca-file F      CA bundle from a file
 *     --ca-mem F       CA bundle read from F and passed from memory
 *     --cert F         client certificate file    --cert-mem F  ... from memory
 *     --key F          client key file            --key-mem F   ... from memory
 *     --server-name N  TLS server name
 *     --insecure       skip certificate verification
 *     --token T        X-Consul-Token             --bearer T    Authorization: Bearer
 *     --log F          write the client's log to F
 *     --ca-gone        remove the --ca-file once the client is made
 *     --proxy-env      proxies from the environment (default: none)
 *
 * Prints "status=<code> insecure=<0|1> bytes=<n>" and exits 0 for a 2xx
 * answer; otherwise prints the formatted error and exits 1. */
#include "autoconfig.h"

#include "peerscope/http.h"
#include "peerscope/log.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (!f) {
		fprintf(stderr, "http_probe: cannot open %s\n", path);
		exit(2);
	}
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) {
		fprintf(stderr, "http_probe: cannot read %s\n", path);
		exit(2);
	}
	buf[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return buf;
}

int main(int argc, char **argv)
{
	struct http_options o = {.cluster = "probe", .proxy_url = "", .timeout_ms = 5000};
	struct http_request req = {0};
	struct http_response resp = {0};
	struct http_error err;
	struct http_client *c;
	char *mem[3] = {NULL, NULL, NULL}, buf[1024];
	const char *log_path = NULL;
	struct log_sink *sink = NULL;
	bool ca_gone = false;
	int i, rc;

	for (i = 1; i < argc && !strncmp(argv[i], "--", 2); i++) {
		const char *opt = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(opt, "--ca-gone")) {
			ca_gone = true;
			continue;
		}
		if (!strcmp(opt, "--proxy-env")) {
			o.proxy_url = NULL;
			continue;
		}
		if (!strcmp(opt, "--insecure")) {
			o.tls.insecure = true;
			continue;
		}
		if (!val) {
			fprintf(stderr, "http_probe: %s needs a value\n", opt);
			return 2;
		}
		i++;
		if (!strcmp(opt, "--ca-file"))
			o.tls.ca_file = val;
		else if (!strcmp(opt, "--ca-mem"))
			o.tls.ca_data = mem[0] = slurp(val, &o.tls.ca_data_len);
		else if (!strcmp(opt, "--cert"))
			o.tls.cert_file = val;
		else if (!strcmp(opt, "--cert-mem"))
			o.tls.cert_data = mem[1] = slurp(val, &o.tls.cert_data_len);
		else if (!strcmp(opt, "--key"))
			o.tls.key_file = val;
		else if (!strcmp(opt, "--key-mem"))
			o.tls.key_data = mem[2] = slurp(val, &o.tls.key_data_len);
		else if (!strcmp(opt, "--server-name"))
			o.tls.server_name = val;
		else if (!strcmp(opt, "--token"))
			o.auth.consul_token = val;
		else if (!strcmp(opt, "--bearer"))
			o.auth.bearer_token = val;
		else if (!strcmp(opt, "--log"))
			log_path = val;
		else {
			fprintf(stderr, "http_probe: unknown option %s\n", opt);
			return 2;
		}
	}
	if (argc - i != 2) {
		fprintf(stderr, "usage: http_probe [options] URL PATH\n");
		return 2;
	}
	if (log_path) {
		sink = log_open(log_path, LOG_LEVEL_DEBUG, buf, sizeof buf);
		if (!sink) {
			fprintf(stderr, "http_probe: %s\n", buf);
			return 2;
		}
		o.log = sink;
	}
	o.base_url = argv[i];
	req.path = argv[i + 1];
	c = http_client_new(&o, &err);
	if (!c) {
		printf("%s\n", http_error_format(&err, buf, sizeof buf));
		return 1;
	}
	if (ca_gone && o.tls.ca_file && unlink(o.tls.ca_file) != 0) {
		perror(o.tls.ca_file);
		return 2;
	}
	rc = http_do(c, &req, &resp, &err);
	if (rc == 0)
		printf("status=%ld insecure=%d bytes=%zu\n", resp.status, http_client_insecure(c),
		       resp.body_len);
	else
		printf("%s\n", http_error_format(&err, buf, sizeof buf));
	http_response_clear(&resp);
	http_client_free(c);
	log_close(sink);
	for (i = 0; i < 3; i++)
		free(mem[i]);
	return rc ? 1 : 0;
}
