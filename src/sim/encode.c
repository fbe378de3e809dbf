/* peerscope-sim: a complete answer's body compressed as the real server
 * compresses it, for HTTP/1.1 and HTTP/2 alike (sim_server_dispatch calls
 * this once the handler and the body faults are done).
 *
 * Consul (hashicorp/consul agent/http.go) wraps every HTTP API handler in
 * NYTimes gziphandler with MinSize(0): when the request's Accept-Encoding
 * names gzip with a q-value that is not 0, any answer with a body, errors
 * included, goes out gzip-compressed with Content-Encoding: gzip, and every
 * answer, compressed or not, carries Vary: Accept-Encoding. An answer
 * without a body goes out plain. Its blocking queries are complete answers
 * like any other. Consul reached through the API server's service proxy
 * keeps Consul's rule: the proxy passes the client's Accept-Encoding on and
 * the answer back as it came.
 *
 * The Kubernetes API server (k8s.io/apiserver pkg/endpoints/handlers/
 * responsewriters/writers.go: defaultGzipThresholdBytes = 128 * 1024,
 * defaultGzipContentEncodingLevel = 1) compresses a body longer than
 * 128 KiB when one of the Accept-Encoding's comma-separated tokens is
 * exactly "gzip" (a token with parameters, "gzip;q=0" or "gzip;q=1", is
 * not), with Content-Encoding: gzip and Vary: Accept-Encoding; smaller
 * bodies go plain and carry no Vary. Watch streams are never compressed.
 *
 * Both at level 1. Consul's real level is Go's default, 6; on the 3.2 MB
 * services list of 10,000 services zlib takes 9.5 ms of CPU at level 6 and
 * 3.6 ms at level 1, for 33.8 KB against 38.1 KB, and inflating either takes
 * the client the same 1.9 ms. Up to sixteen simulated clusters share the
 * machine's cores where real servers each have their own, so the simulator
 * spends the cheaper level: what a client pays to inflate is the same.
 *
 * A body whose first 64 KB level 1 cannot halve (the Helm release Secrets:
 * base64 of gzip) is coded by Huffman alone: zlib's level 1 spends 20 ms
 * hunting repeats in each megabyte of such a list to make it 694.7 KB, Huffman
 * alone 5.9 ms for 693.1 KB, and the client inflates it in 3.6 ms instead
 * of 5.2. Go's level 1 (compress/flate's fast encoder, the API server's)
 * passes over such text as quickly, for much the same size. */
#include "autoconfig.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>

#include "server_internal.h"

#define KUBE_GZIP_THRESHOLD (128u * 1024u)
#define GZIP_LEVEL          1

/* Whether the element [P, P+N) of a comma-separated list, spaces around it
 * dropped, is exactly WORD (case-insensitive when FOLD). */
static bool token_is(const char *p, size_t n, const char *word, bool fold)
{
	size_t wn = strlen(word);

	while (n && (*p == ' ' || *p == '\t')) {
		p++;
		n--;
	}
	while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
		n--;
	return n == wn && (fold ? strncasecmp(p, word, n) == 0 : strncmp(p, word, n) == 0);
}

/* The q-value among the parameters [P, P+N) of one coding (";q=0.5"),
 * 1 when none; a malformed one counts as 0. */
static double coding_q(const char *p, size_t n)
{
	const char *end = p + n;

	while (p < end) {
		const char *semi = memchr(p, ';', (size_t)(end - p));
		const char *pe = semi ? semi : end;
		while (p < pe && (*p == ' ' || *p == '\t'))
			p++;
		if (pe - p >= 2 && p[0] == 'q' && p[1] == '=') {
			char num[32];
			size_t len = (size_t)(pe - p - 2);
			char *stop;
			if (len == 0 || len >= sizeof num)
				return 0;
			memcpy(num, p + 2, len);
			num[len] = '\0';
			double q = strtod(num, &stop);
			while (*stop == ' ' || *stop == '\t')
				stop++;
			return *stop ? 0 : q;
		}
		p = semi ? semi + 1 : end;
	}
	return 1;
}

/* Consul's rule: a "gzip" coding whose q is above 0 (the last one named
 * counts, as a map of codings keeps it). */
static bool consul_accepts(const char *ae)
{
	bool ok = false;

	while (ae && *ae) {
		size_t n = strcspn(ae, ",");
		size_t name = strcspn(ae, ";");
		if (name > n)
			name = n;
		if (token_is(ae, name, "gzip", true))
			ok = coding_q(ae + name, n - name) > 0;
		ae += n;
		if (*ae == ',')
			ae++;
	}
	return ok;
}

/* The API server's rule: a token that is exactly "gzip". */
static bool kube_accepts(const char *ae)
{
	while (ae && *ae) {
		size_t n = strcspn(ae, ",");
		if (token_is(ae, n, "gzip", false))
			return true;
		ae += n;
		if (*ae == ',')
			ae++;
	}
	return false;
}

#define SAMPLE_BYTES (64u * 1024u)

/* Whether level 1 leaves the first SAMPLE_BYTES of IN (N bytes) above half
 * their size: text without repeats worth the search. */
static bool few_repeats(const char *in, size_t n)
{
	uLongf len = compressBound(SAMPLE_BYTES);
	unsigned char *room;

	if (n < 2 * SAMPLE_BYTES || !(room = malloc(len)))
		return false;
	int zrc = compress2(room, &len, (const Bytef *)in, SAMPLE_BYTES, 1);
	free(room);
	return zrc == Z_OK && len > SAMPLE_BYTES / 2;
}

/* IN (N bytes) as a gzip member at LEVEL into *OUT (malloc'd), its length
 * in *OUT_LEN; -1 on no memory. */
static int gzip_body(const char *in, size_t n, int level, char **out, size_t *out_len)
{
	z_stream zs;
	int zrc;

	if (n > UINT_MAX / 2)
		return -1; /* more than zlib's counters take at once: sent plain */
	memset(&zs, 0, sizeof zs);
	/* windowBits 15 + 16: zlib writes the gzip header and trailer. */
	if (deflateInit2(&zs, level, Z_DEFLATED, MAX_WBITS + 16, 8,
	                 few_repeats(in, n) ? Z_HUFFMAN_ONLY : Z_DEFAULT_STRATEGY) != Z_OK)
		return -1;
	size_t cap = deflateBound(&zs, (uLong)n);
	unsigned char *buf = malloc(cap ? cap : 1);

	if (!buf) {
		deflateEnd(&zs);
		return -1;
	}
	zs.next_in = (unsigned char *)in;
	zs.avail_in = (uInt)n;
	zs.next_out = buf;
	zs.avail_out = (uInt)cap;
	/* deflateBound's room takes the whole body in one call. */
	zrc = deflate(&zs, Z_FINISH);
	size_t made = zs.total_out;
	deflateEnd(&zs);
	if (zrc != Z_STREAM_END) {
		free(buf);
		return -1;
	}
	/* The room deflateBound asked for is some plain body's size; the
	 * answer keeps only what the member takes. */
	unsigned char *fit = realloc(buf, made ? made : 1);
	if (fit)
		buf = fit;
	*out = (char *)buf;
	*out_len = made;
	return 0;
}

bool sim_encode(enum sim_listener kind, const struct sim_req *req, struct sim_resp *resp)
{
	const char *ae = sim_req_header(req, "Accept-Encoding");
	bool consul = kind == SIM_LISTEN_CONSUL || resp->consul_body;

	if (kind == SIM_LISTEN_CONTROL || resp->stream.next)
		return false;
	if (consul)
		sim_resp_header(resp, "Vary", "Accept-Encoding");
	if (!resp->body || !resp->body_len)
		return false;
	if (consul ? !consul_accepts(ae)
	           : resp->body_len <= KUBE_GZIP_THRESHOLD || !kube_accepts(ae))
		return false;

	char *gz;
	size_t gz_len;

	if (gzip_body(resp->body, resp->body_len, GZIP_LEVEL, &gz, &gz_len) < 0)
		return false; /* no memory: the body goes plain */
	free(resp->body);
	resp->body = gz;
	resp->body_len = gz_len;
	sim_resp_header(resp, "Content-Encoding", "gzip");
	if (!consul)
		sim_resp_header(resp, "Vary", "Accept-Encoding");
	return true;
}
