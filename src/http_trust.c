/* http: the CA certificates of a client, read once into an OpenSSL
 * X509_STORE that every one of its connections shares.
 *
 * libcurl 7.88 makes an SSL_CTX for each connection and loads the CA into
 * it: a CA given from memory (CURLOPT_CAINFO_BLOB) is parsed again every
 * time, and so is a CA file while the default CA path is set (its CA cache
 * then stays off). A cluster opens a connection for each of its dozen long
 * polls and watches at once: the parsing was about a fifth of the
 * dashboard's start-up CPU at 8 clusters. Here the CA is parsed when the
 * client is made, libcurl is told to load none (CAINFO and CAPATH NULL), and
 * CURLOPT_SSL_CTX_FUNCTION gives each new SSL_CTX this store, with the one
 * flag libcurl sets on its own (X509_V_FLAG_PARTIAL_CHAIN: an intermediate
 * in the CA file is a trust anchor). Verification, the host name check and
 * its errors stay libcurl's.
 *
 * Only with libcurl on OpenSSL and no proxy reached over TLS (the callback
 * would run for the proxy's handshake too: http.c); otherwise, or when the
 * CA does not parse here, the client gives libcurl the CA as before, and
 * libcurl's error names the fault at the first request. */
#include "autoconfig.h"

#include "http_trust.h"

#include <curl/curl.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct http_trust {
	X509_STORE *store;
};

/* libcurl runs on OpenSSL, whose SSL_CTX can be given a store. */
static bool usable(void)
{
	const curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);

	return v && v->ssl_version && !strncmp(v->ssl_version, "OpenSSL/", 8);
}

/* Every certificate and CRL of the PEM text in MEM; the count of
 * certificates, or -1. */
static int add_pem(X509_STORE *store, const char *mem, size_t len)
{
	BIO *bio = BIO_new_mem_buf(mem, (int)len);
	STACK_OF(X509_INFO) *infos = bio ? PEM_X509_INFO_read_bio(bio, NULL, NULL, NULL) : NULL;
	int certs = 0, rc = 0;

	for (int i = 0; infos && i < sk_X509_INFO_num(infos); i++) {
		X509_INFO *in = sk_X509_INFO_value(infos, i);
		if (in->x509) {
			if (!X509_STORE_add_cert(store, in->x509))
				rc = -1;
			certs++;
		}
		if (in->crl && !X509_STORE_add_crl(store, in->crl))
			rc = -1;
	}
	if (infos)
		sk_X509_INFO_pop_free(infos, X509_INFO_free);
	BIO_free(bio);
	return !infos || rc ? -1 : certs;
}

struct http_trust *http_trust_new(const char *mem, size_t len, const char *file)
{
	struct http_trust *t;

	if ((!mem && !file) || (mem && len > INT32_MAX) || !usable())
		return NULL;
	if (!(t = calloc(1, sizeof *t)) || !(t->store = X509_STORE_new())) {
		free(t);
		return NULL;
	}
	bool ok = mem ? add_pem(t->store, mem, len) > 0
	              : X509_STORE_load_locations(t->store, file, NULL) == 1;
	/* What did not parse is libcurl's to report, request by request. */
	ERR_clear_error();
	if (!ok) {
		http_trust_free(t);
		return NULL;
	}
	X509_STORE_set_flags(t->store, X509_V_FLAG_PARTIAL_CHAIN);
	return t;
}

void http_trust_free(struct http_trust *t)
{
	if (!t)
		return;
	X509_STORE_free(t->store);
	free(t);
}

/* CURLOPT_SSL_CTX_FUNCTION: after libcurl set up SSL_CTX (with no CA),
 * before the handshake. */
static CURLcode give_store(CURL *curl, void *sslctx, void *parm)
{
	const struct http_trust *t = parm;

	(void)curl;
	SSL_CTX_set1_cert_store(sslctx, t->store);
	return CURLE_OK;
}

int http_trust_setopt(CURL *e, const struct http_trust *t)
{
	CURLcode r = curl_easy_setopt(e, CURLOPT_CAINFO, (char *)NULL);

	if (r == CURLE_OK)
		r = curl_easy_setopt(e, CURLOPT_CAPATH, (char *)NULL);
	if (r == CURLE_OK)
		r = curl_easy_setopt(e, CURLOPT_SSL_CTX_FUNCTION, give_store);
	if (r == CURLE_OK)
		r = curl_easy_setopt(e, CURLOPT_SSL_CTX_DATA, (void *)t);
	return r == CURLE_OK ? 0 : -1;
}
