/* http: a client's CA certificates read once, shared by all its
 * connections (src/http_trust.c). Private to the http module. */
#ifndef PEERSCOPE_HTTP_TRUST_H
#define PEERSCOPE_HTTP_TRUST_H

#include <curl/curl.h>
#include <stddef.h>

struct http_trust;

/* The CA from memory (MEM, LEN bytes of PEM) or else from FILE; NULL when
 * libcurl is not on OpenSSL, out of memory, or the CA does not parse (the
 * caller then gives libcurl the CA itself, and libcurl names the fault). */
struct http_trust *http_trust_new(const char *mem, size_t len, const char *file);
void http_trust_free(struct http_trust *t);
/* Tells E to load no CA and to give each new SSL_CTX T's store. T must
 * outlive E's transfers. 0, or -1. */
int http_trust_setopt(CURL *e, const struct http_trust *t);

#endif
