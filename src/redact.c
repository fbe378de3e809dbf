/* redact: secrets out of shown addresses and messages. See
 * include/peerscope/redact.h. */
#include "autoconfig.h"

#include "peerscope/redact.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

bool redact_param_is_secret(const char *name, size_t len)
{
	static const char *const names[] = {
	        "token",    "access_token", "id_token",      "refresh_token",
	        "password", "passwd",       "secret",        "client_secret",
	        "api_key",  "apikey",       "key",           "signature",
	        "sig",      "auth",         "authorization", "x-consul-token",
	};
	char plain[64];
	size_t n = 0;

	/* The name as a server reads it: percent-decoded, '+' as a blank. */
	for (size_t i = 0; i < len; i++) {
		int c = (unsigned char)name[i];
		if (c == '%' && i + 2 < len && hexval(name[i + 1]) >= 0 &&
		    hexval(name[i + 2]) >= 0) {
			c = hexval(name[i + 1]) * 16 + hexval(name[i + 2]);
			i += 2;
		} else if (c == '+') {
			c = ' ';
		}
		if (n + 1 >= sizeof plain)
			return false; /* no secret's name is that long */
		plain[n++] = (char)c;
	}
	plain[n] = '\0';
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (!strcasecmp(names[i], plain))
			return true;
	return false;
}

/* Copy n bytes of src into out at *off, keeping room for the NUL. */
static void put(char *out, size_t len, size_t *off, const char *src, size_t n)
{
	if (*off + 1 >= len)
		return;
	if (n > len - 1 - *off)
		n = len - 1 - *off;
	memcpy(out + *off, src, n);
	*off += n;
	out[*off] = '\0';
}

/* The pairs "a=b&c=d" from P up to a character in STOP, secret values
 * replaced; returns where it stopped. */
static const char *put_pairs(char *out, size_t len, size_t *off, const char *p, const char *stop)
{
	while (*p && !strchr(stop, *p)) {
		size_t plen = strcspn(p, "&;");
		size_t stop_at = strcspn(p, stop);
		if (stop_at < plen)
			plen = stop_at;
		size_t nlen = strcspn(p, "=&;");
		if (nlen < plen && redact_param_is_secret(p, nlen)) {
			put(out, len, off, p, nlen + 1);
			put(out, len, off, REDACT_MARK, sizeof REDACT_MARK - 1);
		} else {
			put(out, len, off, p, plen);
		}
		p += plen;
		if (*p == '&' || *p == ';')
			put(out, len, off, p++, 1);
	}
	return p;
}

void redact_url(const char *url, char *out, size_t len)
{
	size_t off = 0;
	const char *p, *scheme_end;

	if (!len)
		return;
	out[0] = '\0';
	if (!url)
		return;
	p = url;
	scheme_end = strstr(url, "://");
	/* The authority: after "scheme://", or from the start of a bare
	 * "user:pw@host:port/path". */
	const char *auth = p;
	if (scheme_end && (size_t)(scheme_end - url) == strcspn(url, ":/?#")) {
		auth = scheme_end + 3;
		put(out, len, &off, url, (size_t)(auth - url));
	}
	size_t host_len = strcspn(auth, "/?#");
	const char *at = NULL;
	for (const char *q = auth; q < auth + host_len; q++)
		if (*q == '@')
			at = q; /* the last '@': a password may hold one */
	p = at ? at + 1 : auth;
	size_t path_len = strcspn(p, "?#");
	put(out, len, &off, p, path_len);
	p += path_len;
	if (*p == '?') {
		put(out, len, &off, p++, 1);
		p = put_pairs(out, len, &off, p, "#");
	}
	if (*p == '#') {
		/* A fragment may carry pairs too (access_token=...). */
		put(out, len, &off, p++, 1);
		put_pairs(out, len, &off, p, "");
	}
}

void redact_secret(char *buf, size_t cap, const char *secret)
{
	static const char marker[] = "[" REDACT_MARK "]";
	size_t slen, mlen = sizeof marker - 1;
	char *p, *from = buf;

	if (!secret || (slen = strlen(secret)) < 4 || cap <= mlen)
		return;
	while ((p = strstr(from, secret))) {
		size_t tail = strlen(p + slen);
		if ((size_t)(p - buf) + mlen >= cap)
			break;
		if ((size_t)(p - buf) + mlen + tail + 1 > cap)
			tail = cap - (size_t)(p - buf) - mlen - 1;
		memmove(p + mlen, p + slen, tail);
		p[mlen + tail] = '\0';
		memcpy(p, marker, mlen);
		from = p + mlen;
	}
}

char *redact_secret_dup(const char *msg, const char *secret)
{
	size_t slen = secret ? strlen(secret) : 0, n = 0;
	const char *p;
	char *out;

	if (slen < 4)
		return strdup(msg);
	for (p = msg; (p = strstr(p, secret)); p += slen)
		n++;
	size_t cap = strlen(msg) + n * (sizeof REDACT_MARK + 1) + 1;
	out = malloc(cap);
	if (!out)
		return NULL;
	memcpy(out, msg, strlen(msg) + 1);
	redact_secret(out, cap, secret);
	return out;
}
