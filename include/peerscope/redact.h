/* redact: secrets taken out of what is shown or written.
 *
 * One rule for every address peerscope shows or writes (the dashboard's
 * cluster detail, --once JSON, config check, errors, the log): the
 * userinfo of a URL ("https://user:password@host", with or without a
 * scheme) is dropped, and the value of every secret query or fragment
 * parameter (token, access_token, id_token, refresh_token, password,
 * passwd, secret, client_secret, api_key, apikey, key, signature, sig,
 * auth, authorization, x-consul-token; any case, percent-encoded names
 * too) becomes "REDACTED". And a known secret (a token a request carried)
 * is replaced wherever a server echoes it in a message.
 *
 * Pure functions; any thread. */
#ifndef PEERSCOPE_REDACT_H
#define PEERSCOPE_REDACT_H

#include <stdbool.h>
#include <stddef.h>

/* What replaces a secret parameter's value, and an echoed secret. */
#define REDACT_MARK "REDACTED"

/* True when the query parameter NAME (LEN bytes, not terminated, maybe
 * percent-encoded) holds a secret. */
bool redact_param_is_secret(const char *name, size_t len);

/* URL with its userinfo removed and its secret parameters' values
 * replaced, into OUT (LEN bytes, always NUL-terminated when LEN > 0).
 * Idempotent. */
void redact_url(const char *url, char *out, size_t len);

/* Replaces every occurrence of SECRET (at least 4 bytes; shorter ones and
 * NULL are left alone: too likely to match ordinary text) in the
 * NUL-terminated BUF of capacity CAP by "[REDACTED]", cutting what no
 * longer fits. */
void redact_secret(char *buf, size_t cap, const char *secret);

/* The same on a copy of MSG, which may grow; malloc'd, NULL when out of
 * memory. */
char *redact_secret_dup(const char *msg, const char *secret);

#endif
